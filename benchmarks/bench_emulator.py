"""boto3 calls per second against the emulator, with two baselines measured in the same run.

Measures DescribeEmailAddress against the emulator over loopback HTTP and in-process;
DescribeInstance against ``moto_server`` (moto implements Connect instances but none of the email
operations); and DescribeEmailAddress against a canned server: a minimal HTTP/1.1 keep-alive server
(TCP_NODELAY) written here, which answers every request with one fixed DescribeEmailAddress body. The
canned server is the ceiling of any server behind the same boto3 client loop: what is left is the
client's own cost and loopback. Every server runs as its own process on 127.0.0.1, started and
stopped here. Each measurement is a bounded loop: at most ``--calls`` calls and ``--seconds`` seconds;
the targets are measured in turns for ``--rounds`` rounds, and each keeps its best. On Linux it also
prints the CPU time the emulator's and the canned server's processes spend per call (from /proc, the
least of the rounds): a figure that other work on the machine barely moves, unlike calls per second.

Targets: HTTP at least 3x moto's calls/s and at least 0.8x the canned server's; in-process at least
10x moto's.

    pip install -e '.[bench]'   # moto[server]
    python benchmarks/bench_emulator.py [--calls N] [--seconds S] [--rounds R]
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
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


def rate(call: Callable[[], Any], calls: int, seconds: float, pid: int | None = None) -> tuple[float, float | None]:
    """Calls per second, and the CPU seconds process ``pid`` spent per call meanwhile (None without one)."""
    for _ in range(20):  # warm up
        call()
    done = 0
    before = cpu_seconds(pid)
    start = time.perf_counter()
    deadline = start + seconds
    while done < calls and time.perf_counter() < deadline:
        call()
        done += 1
    elapsed = time.perf_counter() - start
    after = cpu_seconds(pid)
    per_call = (after - before) / done if before is not None and after is not None and done else None
    return done / elapsed, per_call


def cpu_seconds(pid: int | None) -> float | None:
    """User and system CPU seconds of process ``pid`` so far (Linux /proc), or None."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


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


@contextmanager
def moto_served() -> Iterator[str | None]:
    """``moto_server`` on a free loopback port (None when it is not installed); stopped on exit."""
    executable = shutil.which("moto_server") or str(Path(sys.executable).parent / "moto_server")
    if not Path(executable).exists():
        print("moto_server is not installed (pip install 'moto[server]'): no moto baseline")
        yield None
        return
    port = free_port()
    process = subprocess.Popen(
        [executable, "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("moto_server did not start within 30 s") from None
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def describe_instance(connect: Any) -> Callable[[], Any]:
    iid = connect.create_instance(
        IdentityManagementType="CONNECT_MANAGED", InboundCallsEnabled=True, OutboundCallsEnabled=True
    )["Id"]
    return lambda: connect.describe_instance(InstanceId=iid)


# -- the canned baseline ------------------------------------------------------------------------------

#: A DescribeEmailAddress answer as the emulator gives it (the client parses it the same way).
CANNED_BODY = (
    b'{"EmailAddressId":"7e1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",'
    b'"EmailAddressArn":"arn:aws:connect:us-east-1:123456789012:instance/'
    b'0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d/email-address/7e1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",'
    b'"EmailAddress":"bench@example.com","CreateTimestamp":"2026-01-01T00:00:00Z",'
    b'"ModifiedTimestamp":"2026-01-01T00:00:00Z","AliasConfigurations":[]}'
)


class CannedHandler(BaseHTTPRequestHandler):
    """Answers every request with :data:`CANNED_BODY` on a persistent HTTP/1.1 connection."""

    protocol_version = "HTTP/1.1"
    timeout = 10.0  # an idle keep-alive connection is dropped after this long

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        head = (
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nx-amzn-RequestId: %s\r\n"
            b"Content-Length: %d\r\n\r\n" % (str(uuid.uuid4()).encode(), len(CANNED_BODY))
        )
        self.wfile.write(head + CANNED_BODY)

    do_GET = do_PUT = do_POST = do_DELETE = answer

    def log_message(self, *_: Any) -> None:
        pass


def serve_canned() -> int:
    """Run the canned server on an ephemeral loopback port (prints its URL) until interrupted."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), CannedHandler)
    server.daemon_threads = True
    print(f"http://127.0.0.1:{server.server_address[1]}", flush=True)
    try:
        server.serve_forever(poll_interval=0.5)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


@contextmanager
def served(command: list[str]) -> Iterator[tuple[str, int]]:
    """Start a server process that prints its URL first (yields the URL and its pid); stop it (SIGINT) on exit."""
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        if not url.startswith("http://127.0.0.1:"):
            raise RuntimeError(f"{command[-1]}: no URL from the server, got {url!r}")
        yield url, process.pid
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def verdict(ratio: float, target: float) -> str:
    return "OK" if ratio >= target else "UNDER TARGET"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000, help="calls per measurement at most (default 2000)")
    parser.add_argument("--seconds", type=float, default=5.0, help="seconds per measurement at most (default 5)")
    parser.add_argument("--rounds", type=int, default=3, help="measurements of each target, best kept (default 3)")
    parser.add_argument("--serve-canned", action="store_true", help=argparse.SUPPRESS)  # the baseline's process
    args = parser.parse_args()
    if args.serve_canned:
        return serve_canned()

    # Every server runs as its own process, as moto_server does: a server thread in this process would
    # compete with the client for the GIL. All are up at once and measured in turns, round after round,
    # each keeping its best round: a machine busy with other work slows all of them alike.
    emulator = Emulator.create()
    rates: dict[str, float] = {}
    cpu: dict[str, float] = {}
    with (
        served([sys.executable, "-m", "pytest_connect_email.cli", "emulator", "serve"]) as (emulator_url, emulator_pid),
        served([sys.executable, __file__, "--serve-canned"]) as (canned_url, canned_pid),
        moto_served() as moto_url,
    ):
        pids = {"http": emulator_pid, "canned": canned_pid}
        canned = client(canned_url)
        calls = {
            "http": describe_email_address(client(emulator_url)),
            "in-process": describe_email_address(emulator.attach(client("http://connect.emulator.test"))),
            "canned": lambda: canned.describe_email_address(InstanceId="i", EmailAddressId="e"),
        }
        if moto_url is not None:
            calls["moto"] = describe_instance(client(moto_url))
        for _ in range(args.rounds):
            for name, call in calls.items():
                calls_per_second, per_call = rate(call, args.calls, args.seconds, pids.get(name))
                rates[name] = max(rates.get(name, 0.0), calls_per_second)
                if per_call is not None:
                    cpu[name] = min(cpu.get(name, per_call), per_call)
    emulator.backend.store.close()

    print(f"best of {args.rounds} rounds, each at most {args.calls} calls and {args.seconds:g} s")
    print(f"emulator over loopback HTTP (DescribeEmailAddress): {rates['http']:8.0f} calls/s")
    print(f"emulator in-process         (DescribeEmailAddress): {rates['in-process']:8.0f} calls/s")
    print(f"canned HTTP/1.1 baseline    (DescribeEmailAddress): {rates['canned']:8.0f} calls/s")
    if "moto" in rates:
        print(f"moto_server baseline        (DescribeInstance):     {rates['moto']:8.0f} calls/s")
    if "http" in cpu and "canned" in cpu:
        print(f"server CPU per call: emulator {cpu['http'] * 1e6:6.0f} us, canned {cpu['canned'] * 1e6:6.0f} us")
    ratio = rates["http"] / rates["canned"]
    print(f"ratio HTTP / canned:     {ratio:5.2f}x (target >= 0.8x) -> {verdict(ratio, 0.8)}")
    if "moto" in rates:
        ratio = rates["http"] / rates["moto"]
        print(f"ratio HTTP / moto:       {ratio:5.2f}x (target >= 3x)  -> {verdict(ratio, 3)}")
        ratio = rates["in-process"] / rates["moto"]
        print(f"ratio in-process / moto: {ratio:5.2f}x (target >= 10x) -> {verdict(ratio, 10)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
