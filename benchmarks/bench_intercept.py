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
3. A fresh emulator state per test (``--connect-emulator-scope test``, the default): ``Backend.reset()``
   after the state one test typically leaves (an instance, three addresses, two contacts), median of
   ``--resets``; and the whole per-test cost as pytest sees it: the setup of the autouse ``_connect_state``
   fixture (``connect_emulator`` resolved, the reset) timed by a ``pytest_fixture_setup`` wrapper in a
   generated suite of ``--tests`` tests that each make one intercepted call (median over tests, of the
   median of ``--runs`` runs). Both as a ratio to one intercepted call
   (part 1). Target: under 5 ms per test.
4. An injected fault: the same application call answered by ``connect.faults.add(..., "ThrottlingException")``
   (parsed by botocore into a ``ClientError``, recorded in ``connect.calls``; the client makes one attempt,
   so botocore's backoff is not part of it), in the rounds of part 1, against moto's call. Target: at most
   0.5x moto's, as the intercepted call.

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


def fault_round(calls: int, seconds: float) -> float:
    from botocore.config import Config
    from botocore.exceptions import ClientError

    with pytest_connect_email.mock() as connect:
        client = boto3.client(
            "connect", region_name="us-east-1", config=Config(retries={"mode": "standard", "total_max_attempts": 1})
        )
        instance = client.create_instance(
            IdentityManagementType="CONNECT_MANAGED", InboundCallsEnabled=True, OutboundCallsEnabled=True
        )["Id"]
        address = client.create_email_address(InstanceId=instance, EmailAddress="support@example.com")
        connect.faults.add("DescribeEmailAddress", "ThrottlingException", times=calls + 20)

        def call() -> None:
            try:
                client.describe_email_address(InstanceId=instance, EmailAddressId=address["EmailAddressId"])
            except ClientError as error:
                if error.response["Error"]["Code"] != "ThrottlingException":
                    raise
            else:
                raise AssertionError("the injected fault did not answer")

        for _ in range(20):
            call()
        return per_call_us(call, calls, seconds)


def moto_round(calls: int, seconds: float) -> float:
    with mock_aws():
        client = boto3.client("connect", region_name="us-east-1")
        instance = client.create_instance(
            IdentityManagementType="CONNECT_MANAGED", InboundCallsEnabled=True, OutboundCallsEnabled=True
        )["Id"]
        for _ in range(20):
            client.describe_instance(InstanceId=instance)
        return per_call_us(lambda: client.describe_instance(InstanceId=instance), calls, seconds)


def reset_us(resets: int) -> float:
    """Median cost of ``Backend.reset()`` after the state one test typically leaves."""
    from pytest_connect_email.emulator import Backend

    backend = Backend()
    samples: list[float] = []
    for _ in range(resets):
        instance = backend.invoke(
            "CreateInstance",
            {"IdentityManagementType": "CONNECT_MANAGED", "InboundCallsEnabled": True, "OutboundCallsEnabled": True},
        )["Id"]
        for n in range(3):
            backend.invoke("CreateEmailAddress", {"InstanceId": instance, "EmailAddress": f"desk{n}@example.com"})
        for _ in range(2):
            backend.invoke(
                "StartEmailContact",
                {
                    "InstanceId": instance,
                    "FromEmailAddress": {"EmailAddress": "customer@example.net"},
                    "DestinationEmailAddress": "desk0@example.com",
                    "EmailMessage": {
                        "MessageSourceType": "RAW",
                        "RawMessage": {"Subject": "Hi", "Body": "Hallo", "ContentType": "text/plain"},
                    },
                },
            )
        start = time.perf_counter()
        backend.reset()
        samples.append((time.perf_counter() - start) * 1e6)
    return statistics.median(samples)


#: The generated suite's conftest: times the per-test state fixture's setup, one line per test.
TIMER = """
import time, pytest

@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(fixturedef, request):
    if fixturedef.argname != "_connect_state":
        return (yield)
    start = time.perf_counter()
    try:
        return (yield)
    finally:
        with open("setup_us.txt", "a") as out:
            out.write(f"{(time.perf_counter() - start) * 1e6}\\n")
"""


def fixture_us(folder: Path) -> float:
    """Median setup of the per-test state fixture over one run of the generated suite."""
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_ADDOPTS"}
    timings = folder / "setup_us.txt"
    timings.unlink(missing_ok=True)
    subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "connect_email", "-p", "no:xdist"],
        cwd=folder,
        env=env,
        capture_output=True,
        check=True,
        timeout=600,
    )
    return statistics.median(float(line) for line in timings.read_text(encoding="utf-8").split())


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
    parser.add_argument("--resets", type=int, default=200, help="Backend.reset() samples (default 200)")
    parser.add_argument("--tests", type=int, default=200, help="tests of the per-test state suite (default 200)")
    args = parser.parse_args()
    for name in [k for k in os.environ if k.startswith("AWS_")]:
        del os.environ[name]  # the "application" has no credentials and no endpoint of its own

    ours: list[float] = []
    moto: list[float] = []
    faulted: list[float] = []
    for _ in range(args.rounds):
        ours.append(ours_round(args.calls, args.seconds))
        moto.append(moto_round(args.calls, args.seconds))
        faulted.append(fault_round(args.calls, args.seconds))
    ours_us, moto_us, fault_us = statistics.median(ours), statistics.median(moto), statistics.median(faulted)
    print(f"application call under interception (DescribeEmailAddress, checked): {ours_us:8.1f} us/call")
    print(f"moto mock_aws (DescribeInstance):                                    {moto_us:8.1f} us/call")
    print(f"ratio ours/moto: {ours_us / moto_us:.2f}x (target <= 0.5x)")
    print(f"injected fault (ThrottlingException, one attempt):                   {fault_us:8.1f} us/call")
    print(f"ratio fault/moto: {fault_us / moto_us:.2f}x (target <= 0.5x)")

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

    reset = reset_us(args.resets)
    print(f"Backend.reset() after one test's state: {reset:8.1f} us ({reset / ours_us:.2f}x one intercepted call)")
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
        (root / "app.py").write_text(
            'import boto3\nCONNECT = boto3.client("connect", region_name="us-east-1")\n', encoding="utf-8"
        )
        tests = "\n\n".join(
            f"def test_{n}():\n    assert app.CONNECT.list_instances()['InstanceSummaryList'] is not None"
            for n in range(args.tests)
        )
        (root / "test_calls.py").write_text("import app\n\n" + tests + "\n", encoding="utf-8")
        (root / "conftest.py").write_text(TIMER, encoding="utf-8")
        cost_us = statistics.median(fixture_us(root) for _ in range(args.runs))
    print(
        f"fresh state per test (fixture setup incl. reset, {args.tests} tests): {cost_us:8.1f} us/test "
        f"({cost_us / ours_us:.2f}x one intercepted call; target < 5000 us)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
