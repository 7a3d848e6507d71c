"""boto3 calls per second against the emulator, with moto's server as the baseline in the same run.

Measures DescribeEmailAddress against the emulator over loopback HTTP and in-process, and
DescribeInstance against ``moto_server`` (moto implements Connect instances but none of the email
operations), started here on 127.0.0.1 and stopped afterwards. Each measurement is a bounded loop:
at most ``--calls`` calls and ``--seconds`` seconds.

Targets (issue "Reference emulator"): HTTP at least 2x moto's calls/s, in-process at least 10x.

    pip install -e '.[bench]'   # moto[server]
    python benchmarks/bench_emulator.py [--calls N] [--seconds S]
"""

from __future__ import annotations

import argparse
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3

from pytest_connect_email.emulator import Emulator


def client(url: str) -> Any:
    return boto3.client(
        "connect",
        region_name="us-east-1",
        endpoint_url=url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def rate(call: Callable[[], Any], calls: int, seconds: float) -> float:
    for _ in range(20):  # warm up
        call()
    done = 0
    start = time.perf_counter()
    deadline = start + seconds
    while done < calls and time.perf_counter() < deadline:
        call()
        done += 1
    return done / (time.perf_counter() - start)


def describe_email_address(connect: Any) -> Callable[[], Any]:
    """Make an instance and an address; return the call to measure."""
    iid = connect.create_instance(
        IdentityManagementType="CONNECT_MANAGED", InboundCallsEnabled=True, OutboundCallsEnabled=True
    )["Id"]
    address = connect.create_email_address(InstanceId=iid, EmailAddress="bench@example.com")["EmailAddressId"]
    return lambda: connect.describe_email_address(InstanceId=iid, EmailAddressId=address)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def moto_rate(calls: int, seconds: float) -> float | None:
    executable = shutil.which("moto_server") or str(Path(sys.executable).parent / "moto_server")
    if not Path(executable).exists():
        print("moto_server is not installed (pip install 'moto[server]'): no baseline")
        return None
    port = free_port()
    process = subprocess.Popen(
        [executable, "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("moto_server did not start within 30 s") from None
                time.sleep(0.1)
        moto = client(url)
        iid = moto.create_instance(
            IdentityManagementType="CONNECT_MANAGED", InboundCallsEnabled=True, OutboundCallsEnabled=True
        )["Id"]
        return rate(lambda: moto.describe_instance(InstanceId=iid), calls, seconds)
    finally:
        process.terminate()
        process.wait(timeout=10)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000, help="calls per measurement at most (default 2000)")
    parser.add_argument("--seconds", type=float, default=5.0, help="seconds per measurement at most (default 5)")
    args = parser.parse_args()

    # Over HTTP the emulator runs as its own process (`connect-email emulator serve`), as moto_server
    # does: a server thread in this process would compete with the client for the GIL.
    process = subprocess.Popen(
        [sys.executable, "-m", "pytest_connect_email.cli", "emulator", "serve"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        http = client(process.stdout.readline().strip())
        http_rate = rate(describe_email_address(http), args.calls, args.seconds)
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=10)

    emulator = Emulator.create()
    local_rate = rate(
        describe_email_address(emulator.attach(client("http://connect.emulator.test"))), args.calls, args.seconds
    )
    emulator.backend.store.close()
    baseline = moto_rate(args.calls, args.seconds)

    print(f"emulator over loopback HTTP (DescribeEmailAddress): {http_rate:8.0f} calls/s")
    print(f"emulator in-process         (DescribeEmailAddress): {local_rate:8.0f} calls/s")
    if baseline is None:
        return 0
    print(f"moto_server baseline        (DescribeInstance):     {baseline:8.0f} calls/s")
    http_ratio, local_ratio = http_rate / baseline, local_rate / baseline
    print(
        f"ratio HTTP / moto:       {http_ratio:5.2f}x (target >= 2x)  -> {'OK' if http_ratio >= 2 else 'UNDER TARGET'}"
    )
    verdict = "OK" if local_ratio >= 10 else "UNDER TARGET"
    print(f"ratio in-process / moto: {local_ratio:5.2f}x (target >= 10x) -> {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
