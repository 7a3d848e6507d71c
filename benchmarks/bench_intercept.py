"""Cost of an application-made Connect call under interception, with moto's ``mock_aws`` as the baseline
in the same run; and what the installed plugin adds to ``pytest --co`` of a suite without Connect calls.

1. Per call: a client the "application" makes itself (``boto3.client("connect")``, no endpoint, no
   credentials of ours) calls DescribeEmailAddress under ``pytest_connect_email.mock()`` — routed to
   the in-process emulator and contract-checked both ways — against the same kind of call under
   ``moto.mock_aws`` (DescribeInstance, an operation moto implements). Rounds alternate between the
   two, each bounded by ``--calls`` and ``--seconds``. Target (issue "Every Connect call..."): ours at
   most 0.5x moto's time per call.
2. Import overhead: ``pytest --co -q`` of a generated suite of 200 plain tests, with the plugin loaded
   through its entry point (as in every run of an environment that has it installed) against
   ``-p no:connect_email``; median of ``--runs`` runs each, alternating. Target: within 10%.

    pip install -e '.[test]'   # moto
    python benchmarks/bench_intercept.py [--calls N] [--rounds N] [--runs N] [--seconds S]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
from moto import mock_aws

import pytest_connect_email


def per_call_us(call: Callable[[], Any], calls: int, seconds: float) -> float:
    done = 0
    start = time.perf_counter()
    deadline = start + seconds
    while done < calls and time.perf_counter() < deadline:
        call()
        done += 1
    return (time.perf_counter() - start) / max(done, 1) * 1e6


def ours_round(calls: int, seconds: float) -> float:
    with pytest_connect_email.mock():
        client = boto3.client("connect", region_name="us-east-1")
        instance = client.create_instance(
            IdentityManagementType="CONNECT_MANAGED", InboundCallsEnabled=True, OutboundCallsEnabled=True
        )["Id"]
        address = client.create_email_address(InstanceId=instance, EmailAddress="support@example.com")
        for _ in range(20):  # warm up: validators compiled, parser built
            client.describe_email_address(InstanceId=instance, EmailAddressId=address["EmailAddressId"])
        return per_call_us(
            lambda: client.describe_email_address(InstanceId=instance, EmailAddressId=address["EmailAddressId"]),
            calls,
            seconds,
        )


def moto_round(calls: int, seconds: float) -> float:
    with mock_aws():
        client = boto3.client("connect", region_name="us-east-1")
        instance = client.create_instance(
            IdentityManagementType="CONNECT_MANAGED", InboundCallsEnabled=True, OutboundCallsEnabled=True
        )["Id"]
        for _ in range(20):
            client.describe_instance(InstanceId=instance)
        return per_call_us(lambda: client.describe_instance(InstanceId=instance), calls, seconds)


def collect_seconds(folder: Path, *extra: str) -> float:
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_ADDOPTS"}
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "pytest", "--co", "-q", "-p", "no:cacheprovider", *extra],
        cwd=folder,
        env=env,
        capture_output=True,
        check=True,
        timeout=120,
    )
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=400, help="calls per round and side (default 400)")
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds (default 5)")
    parser.add_argument("--runs", type=int, default=7, help="pytest --co runs per side (default 7)")
    parser.add_argument("--seconds", type=float, default=10.0, help="time limit of one round (default 10)")
    args = parser.parse_args()
    for name in [k for k in os.environ if k.startswith("AWS_")]:
        del os.environ[name]  # the "application" has no credentials and no endpoint of its own

    ours: list[float] = []
    moto: list[float] = []
    for _ in range(args.rounds):
        ours.append(ours_round(args.calls, args.seconds))
        moto.append(moto_round(args.calls, args.seconds))
    ours_us, moto_us = statistics.median(ours), statistics.median(moto)
    print(f"application call under interception (DescribeEmailAddress, checked): {ours_us:8.1f} us/call")
    print(f"moto mock_aws (DescribeInstance):                                    {moto_us:8.1f} us/call")
    print(f"ratio ours/moto: {ours_us / moto_us:.2f}x (target <= 0.5x)")

    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
        for index in range(20):
            tests = "\n\n".join(f"def test_{index}_{n}():\n    assert {n} == {n}" for n in range(10))
            (root / f"test_plain_{index}.py").write_text(tests + "\n", encoding="utf-8")
        with_plugin: list[float] = []
        without: list[float] = []
        collect_seconds(root)  # warm the file system and bytecode caches
        for _ in range(args.runs):
            with_plugin.append(collect_seconds(root))
            without.append(collect_seconds(root, "-p", "no:connect_email"))
    loaded, bare = statistics.median(with_plugin), statistics.median(without)
    print(f"pytest --co, 200 tests, plugin installed: {loaded * 1000:7.1f} ms; disabled: {bare * 1000:7.1f} ms")
    print(f"import overhead ratio: {loaded / bare:.3f}x (target <= 1.10x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
