"""Fixtures for testing the application's own Connect code: what it sent (``connect_calls``) and Connect
failing on purpose (``connect_faults``); :mod:`.plugin` imports them. The recording and the injection
live in :mod:`.calls` and :mod:`.faults` (importable without pytest); this module only wires them.

A test's log opens before its setup starts (``pytest_runtest_logstart``), so the calls of its fixtures
are in it, session-scoped ones made for it included, and closes when the test's report is done.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pytest_connect_email.routing import calls, faults

__all__ = ["connect_calls", "connect_faults"]


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_logstart(nodeid: str, location: tuple[str, int | None, str]) -> None:
    calls.begin()


@pytest.hookimpl(trylast=True)
def pytest_runtest_logfinish(nodeid: str, location: tuple[str, int | None, str]) -> None:
    calls.end()


@pytest.fixture
def connect_calls() -> calls.Calls:
    """Every Connect call of the running test, in order — its fixtures', the application's (any client
    it makes), and those of subprocesses through ``connect_endpoint`` — one entry per attempt:
    ``.operation``, ``.params`` (boto3 parameters), ``.response`` (``None`` on error), ``.error`` (the
    code, or ``None``). ``connect_calls.of("StartEmailContact")`` filters by operation."""
    log = calls.current()
    if log is None:  # a run whose hooks did not open one (the plugin registered late): start here
        log = calls.begin()
    return log


@pytest.fixture
def connect_faults() -> Iterator[faults.Faults]:
    """Make Connect fail on purpose for this test: ``connect_faults.add("StartEmailContact",
    "ThrottlingException", times=2)`` (errors the model lists for the operation, and
    ``ThrottlingException``), ``delay=`` seconds for timeouts. Answered inside botocore's retry loop,
    so the client's retry configuration applies as against AWS."""
    injected = faults.activate(faults.Faults())
    try:
        yield injected
    finally:
        faults.deactivate(injected)
