"""Shared test data: requests that are valid by construction, built by hand so that the contract
tests do not depend on the fakes they help to verify."""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

# Modules that hold process-wide state (the handlers botocore calls, the pending call, the open call log,
# the active faults) are imported by the suite's own process first: an in-process pytester run drops the
# modules first imported inside it, and a second copy's handlers would not see the first copy's state
# (an attached client's calls then went to the network, depending on test order).
import pytest_connect_email.routing.calls
import pytest_connect_email.routing.faults
import pytest_connect_email.routing.intercept
import pytest_connect_email.routing.targets  # noqa: F401

# The suite's subprocesses (pytester's runpytest_subprocess, the CLI, spawned children) cache bytecode, as
# Python does by default, even where the environment turns that off: pytest assertion-rewrites every module
# of a plugin's distribution (all of hypothesis and faker), so a child that may not cache compiles some 190
# modules from source, about 3 s of every run's start (benchmarked: 6.2 s -> 3.0 s for a one-test run).
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"

#: A StartEmailContact request with every optional member set (shared with benchmarks/).
RICH_START_EMAIL_CONTACT: dict[str, Any] = json.loads(
    (ROOT / "tests" / "data" / "start_email_contact_rich.json").read_text(encoding="utf-8")
)

DISASSOCIATE: dict[str, Any] = {
    "EmailAddressId": "11111111-2222-3333-4444-555555555555",
    "InstanceId": "0c5b5f8e-6a8e-4f7c-9d5e-2f4a1b3c4d5e",
    "AliasConfiguration": {"EmailAddressId": "66666666-7777-8888-9999-000000000000"},
    "ClientToken": "token-1",
}


@pytest.fixture
def rich_request() -> Callable[..., dict[str, Any]]:
    """A StartEmailContact request with every optional member set, as a fresh copy."""

    def make() -> dict[str, Any]:
        return copy.deepcopy(RICH_START_EMAIL_CONTACT)

    return make


@pytest.fixture
def disassociate_request() -> dict[str, Any]:
    return copy.deepcopy(DISASSOCIATE)


def strings(value: Any) -> Iterator[str]:
    """Every string in a document, map keys included."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, sub in value.items():
            yield str(key)
            yield from strings(sub)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def installed_model_data() -> dict[str, Any]:
    """A deep copy of the installed botocore's connect model (the raw service-2 dict)."""
    from botocore.loaders import create_loader

    return copy.deepcopy(create_loader().load_service_model("connect", "service-2"))


def write_model(directory: Path, data: dict[str, Any], version: str | None = None) -> Path:
    """Lay ``data`` out as a botocore data directory (``connect/<api>/service-2.json``); with ``version``,
    as an unpacked botocore package of that version. Returns the directory to pass as a model source."""
    root = directory / "botocore" if version else directory
    target = root / ("data" if version else "") / "connect" / "2017-08-08" / "service-2.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(data), encoding="utf-8")
    if version:
        (root / "__init__.py").write_text(f"__version__ = '{version}'\n", encoding="utf-8")
        return root
    return directory


def newer_model_data() -> dict[str, Any]:
    """The installed model plus what a newer release might bring: a ReferenceType and a DirectoryType
    value and a DescribeContact member (VoicemailInfo)."""
    data = installed_model_data()
    shapes = data["shapes"]
    shapes["ReferenceType"]["enum"].append("VOICEMAIL_MESSAGE")
    shapes["DirectoryType"]["enum"].append("VOICEMAIL_DIRECTORY")
    shapes["VoicemailInfo"] = {
        "type": "structure",
        "members": {"TranscriptionStatus": {"shape": "VoicemailTranscriptionStatus"}},
    }
    shapes["VoicemailTranscriptionStatus"] = {"type": "string", "enum": ["COMPLETED", "FAILED"]}
    shapes["Contact"]["members"]["VoicemailInfo"] = {"shape": "VoicemailInfo"}
    return data


@pytest.fixture
def newer_model(tmp_path: Path) -> Path:
    """A botocore data directory holding :func:`newer_model_data` (no network needed)."""
    return write_model(tmp_path / "newer", newer_model_data())


@pytest.fixture
def user_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private user cache directory (platformdirs reads XDG_CACHE_HOME on Linux)."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache"


def snapshot_botocore() -> bool:
    """Whether the installed botocore is the one the committed snapshot was generated from."""
    from pytest_connect_email.contracts import active, spec

    return spec.botocore_version() == active.snapshot_version()


#: For tests that compare with the committed snapshot or need every covered operation: the oldest-botocore
#: leg of .ci/run skips them.
needs_snapshot_botocore = pytest.mark.skipif(
    not snapshot_botocore(), reason="compares with the committed snapshot; the installed botocore is another"
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test parametrized with a covered operation that the installed model lacks is skipped, naming why."""
    from pytest_connect_email.contracts import spec

    if snapshot_botocore():
        return
    model = spec.model()
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        operation = params.get("operation")
        if isinstance(operation, str) and operation in spec.OPERATIONS and not model.has(operation):
            item.add_marker(pytest.mark.skip(reason=f"{operation} is not in {model.label}'s model"))


def needs_operation(operation: str) -> pytest.MarkDecorator:
    """Skip a test of ``operation`` when the installed model lacks it (the oldest-botocore leg)."""
    from pytest_connect_email.contracts import spec

    return pytest.mark.skipif(not spec.available(operation), reason=f"{operation} is not in the installed model")


@pytest.fixture(autouse=True)
def _no_step_summary(monkeypatch: pytest.MonkeyPatch) -> None:
    """The projects these tests run must not append their reports to a CI's real step summary."""
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)


@pytest.fixture
def bare_project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """A pytester project whose process has no AWS credentials, endpoint or config files: nothing is signed or sent."""
    for name in [k for k in os.environ if k.startswith("AWS_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(pytester.path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(pytester.path / "no-aws-credentials"))
    return pytester


def run_plugin(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    """An in-process run of the project with the plugin."""
    return pytester.runpytest("-p", "connect_email", "-p", "no:cacheprovider", *args)
