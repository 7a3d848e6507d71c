"""The conformance suite catches every fault: a target that breaks any one documented behaviour of any
covered operation fails at least one check, while the reference emulator passes them all; and moto's
server, which implements none of the email operations, fails the gate in CI mode.

Each fault (tests/faulty_backend.py) is the reference backend with one handler overridden. The project
run here gets a copy of that module and a conftest.py whose ``connect_emulator`` fixture serves the
faulty backend; the plugin adopts that fixture's emulator as the run's target.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pytest_connect_email.conformance import shipped_checks
from pytest_connect_email.contracts.spec import OPERATIONS
from tests import faulty_backend
from tests.faulty_backend import FAULTS

CONFTEST = """
import pytest
from faulty_backend import make_backend
from pytest_connect_email.emulator import Emulator

FAULT = {fault!r}


@pytest.fixture(scope="session")
def connect_emulator():
    emulator = Emulator(backend=make_backend(FAULT))
    yield emulator
    emulator.backend.store.close()
"""

SUITE: tuple[str, ...] = ("-p", "connect_email", "--connect-conformance", "-p", "no:cacheprovider")
SUITE += ("--connect-report", "r.json")
#: Plugins the suite does not use, left out of each run for its start-up time (hypothesis's alone is ~3 s).
SUITE += ("-p", "no:hypothesispytest", "-p", "no:faker", "-p", "no:recording", "-p", "no:xdist")
#: Faults that no check catches yet: each is a documented behaviour without a check. Strict xfails: the day a
#: check catches one, its test fails until the fault leaves this list.
UNCAUGHT_YET: set[str] = set()


def _project(pytester: pytest.Pytester, fault: str) -> None:
    pytester.makepyfile(faulty_backend=Path(faulty_backend.__file__).read_text(encoding="utf-8"))
    pytester.makeconftest(CONFTEST.format(fault=fault))


def _checks(pytester: pytest.Pytester) -> list[dict[str, Any]]:
    checks: list[dict[str, Any]] = json.loads((pytester.path / "r.json").read_text(encoding="utf-8"))["checks"]
    return checks


def test_every_operation_has_a_fault() -> None:
    assert not UNCAUGHT_YET - set(FAULTS)
    assert {f.operation for f in FAULTS.values() if f.name not in UNCAUGHT_YET} == set(OPERATIONS)
    assert {f.name for f in FAULTS.values() if not f.caught_by} == UNCAUGHT_YET
    known = shipped_checks()
    assert {i for f in FAULTS.values() for i in f.caught_by} <= set(known)


def test_the_reference_emulator_passes_every_check(pytester: pytest.Pytester) -> None:
    _project(pytester, "")
    result = pytester.runpytest_subprocess(*SUITE, timeout=120)
    checks = _checks(pytester)
    assert result.ret == 0, result.stdout.str()[-3000:]
    assert checks
    assert {c["outcome"] for c in checks} == {"passed"}, [
        (c["id"], c["outcome"], c["detail"][-500:]) for c in checks if c["outcome"] != "passed"
    ]


@pytest.mark.parametrize(
    "fault",
    [
        pytest.param(name, marks=pytest.mark.xfail(reason="no check catches it yet", strict=True))
        if name in UNCAUGHT_YET
        else name
        for name in FAULTS
    ],
)
def test_the_suite_catches_the_fault(pytester: pytest.Pytester, fault: str) -> None:
    """The checks that catch the fault fail (so the whole suite fails); an uncaught fault runs the whole suite."""
    broken = FAULTS[fault]
    _project(pytester, fault)
    selection = ("-k", " or ".join(broken.caught_by)) if broken.caught_by else ()
    result = pytester.runpytest_subprocess(*SUITE, *selection, timeout=120)
    checks = _checks(pytester)
    failed = {c["id"] for c in checks if c["outcome"] == "failed"}
    assert result.ret == pytest.ExitCode.TESTS_FAILED, f"{broken.breaks}: {result.stdout.str()[-3000:]}"
    assert set(broken.caught_by) <= failed, f"{broken.operation}: {broken.breaks}; failed: {sorted(failed)}"
    assert "not implemented" not in {c["outcome"] for c in checks}


# -- moto's server in CI mode ----------------------------------------------------------------------


@pytest.fixture
def moto_endpoint(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """moto's server on loopback; credentials and an empty AWS configuration for the project run here."""
    from moto.server import ThreadedMotoServer

    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_CONFIG_FILE": str(pytester.path / "no-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(pytester.path / "no-aws-credentials"),
    }.items():
        monkeypatch.setenv(name, value)  # inherited by the subprocess
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        assert host == "127.0.0.1"
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def test_moto_server_fails_the_gate_in_ci_mode(pytester: pytest.Pytester, moto_endpoint: str) -> None:
    """moto implements the instance operations and none of the email ones. Against the whole suite (moto 5.2.5)
    the gated run fails with 106 checks not implemented and 6 instance checks passed; without the gate the
    same run exits 0, as "not implemented" checks are reported as skips: that is what the gate is for.

    The invalid-request checks (VAL-*) show both in seconds (moto answers each unknown route slowly): a run
    that fails the gate with part of the suite fails it with all of it.
    """
    live = (*SUITE, "--connect-mode=live", f"--connect-endpoint-url={moto_endpoint}", "-k", "test_invalid")
    gated = pytester.runpytest_subprocess(*live, "--connect-fail-on-not-implemented", timeout=120)
    out = gated.stdout.str() + gated.stderr.str()
    assert gated.ret != 0, out[-3000:]
    assert "gate failed: --connect-fail-on-not-implemented" in out, out[-3000:]
    checks = _checks(pytester)
    assert checks, out[-3000:]
    assert {c["outcome"] for c in checks} == {"not implemented"}, out[-3000:]
    assert all("CreateEmailAddress is not implemented by the endpoint" in c["detail"] for c in checks)

    plain = pytester.runpytest_subprocess(*live, timeout=120)
    out = plain.stdout.str() + plain.stderr.str()
    assert plain.ret == pytest.ExitCode.OK, out[-3000:]
    assert "gate failed" not in out
    assert {c["outcome"] for c in _checks(pytester)} == {"not implemented"}, out[-3000:]
