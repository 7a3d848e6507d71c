"""The edges of a run: report paths judged before any check runs, and Connect calls made outside the
run's interception (a thread left running, an ``atexit`` handler, a spawned child process)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.routing.test_intercept import Blackhole

PASSING = "def test_nothing():\n    pass\n"


def _refused(result: pytest.RunResult, needle: str) -> None:
    assert result.ret == pytest.ExitCode.USAGE_ERROR, result.stdout.str() + result.stderr.str()
    assert needle in result.stderr.str(), result.stderr.str()
    assert "Traceback" not in result.stderr.str() + result.stdout.str()


@pytest.mark.parametrize(
    ("make", "needle"),
    [
        pytest.param(lambda root: root / "out", "is a folder", id="a folder"),
        pytest.param(lambda root: root / "file.txt" / "r.json", "is a file, so", id="under a file"),
        pytest.param(lambda root: Path("/dev/full"), "not a regular file", id="a device"),
    ],
)
def test_a_report_path_that_cannot_be_written_is_a_usage_error_before_any_check(
    pytester: pytest.Pytester, make: object, needle: str
) -> None:
    (pytester.path / "out").mkdir()
    (pytester.path / "file.txt").write_text("x", encoding="utf-8")
    pytester.makepyfile(test_ran="import pathlib\n\ndef test_ran():\n    pathlib.Path('ran').write_text('1')\n")
    path = make(pytester.path)  # type: ignore[operator]
    for option in ("--connect-report", "--connect-write-baseline"):
        result = pytester.runpytest("-p", "connect_email", f"{option}={path}")
        _refused(result, needle)
        assert not (pytester.path / "ran").exists(), "a check ran before the usage error"


def test_a_markdown_report_path_is_refused_and_overwrites_nothing(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(PASSING)
    (pytester.path / "r.json").write_text("{}", encoding="utf-8")
    result = pytester.runpytest("-p", "connect_email", "--connect-conformance", "--connect-report=r.md")
    _refused(result, "give the JSON path, e.g. --connect-report r.json")
    assert (pytester.path / "r.json").read_text(encoding="utf-8") == "{}"
    assert not (pytester.path / "r.md").exists()


CONFTEST = """
import atexit
import threading

import boto3
import pytest

started = threading.Event()
release = threading.Event()


def late_call(where):
    client = boto3.client("connect", region_name="eu-west-2")
    try:
        client.list_instances()
        print(f"ESCAPED from {where}", flush=True)
    except Exception as exc:
        print(f"REFUSED in {where}: {type(exc).__name__}: {exc}", flush=True)


def in_thread():
    started.set()
    release.wait(110)  # the run ends first: the release comes from its unconfigure
    late_call("thread")


caller = threading.Thread(target=in_thread)


def child(queue):
    client = boto3.client("connect", region_name="eu-west-2")
    queue.put([i["InstanceAlias"] for i in client.list_instances()["InstanceSummaryList"]])


@pytest.fixture(scope="session", autouse=True)
def leave_a_thread_running():
    atexit.register(late_call, "atexit")
    caller.start()
    started.wait(10)
    yield


@pytest.hookimpl(trylast=True)  # after the plugin's own: the run has ended when the thread calls
def pytest_unconfigure(config):
    release.set()
    caller.join(10)
"""

SPAWNS = """
import multiprocessing

from conftest import child


def test_a_spawned_child_reaches_the_runs_target(connect_client):
    connect_client.create_instance(IdentityManagementType="CONNECT_MANAGED", InstanceAlias="spawned-seen",
                                   InboundCallsEnabled=True, OutboundCallsEnabled=True)
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=child, args=(queue,))
    process.start()
    aliases = queue.get(timeout=60)
    process.join(30)
    assert "spawned-seen" in aliases
"""


def test_calls_after_the_run_are_refused_and_spawned_children_reach_the_target(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    blackhole = Blackhole()
    try:
        # Everything points at the blackhole: what reaches it escaped the run's routing.
        monkeypatch.setenv("AWS_ENDPOINT_URL_CONNECT", blackhole.url)
        monkeypatch.setenv("AWS_ENDPOINT_URL", blackhole.url)
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
        pytester.makeconftest(CONFTEST)
        pytester.makepyfile(test_spawns=SPAWNS)
        result = pytester.runpytest_subprocess("-p", "connect_email", "-s", timeout=120)
        out = result.stdout.str()
        assert result.ret == 0, out + result.stderr.str()
        assert "ESCAPED" not in out
        refused = "CallRefused: pytest-connect-email refused a Connect call (ListInstances)"
        for where in ("thread", "atexit"):
            assert f"REFUSED in {where}: {refused}" in out
        assert "join them in a fixture's teardown" in out
        assert blackhole.connections == 0
    finally:
        blackhole.stop()
