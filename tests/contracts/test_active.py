"""The active contracts follow the model in use: snapshot, cache per botocore version, or in memory."""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import pytest
from faker import Faker

from pytest_connect_email import fakes
from pytest_connect_email.contracts import active, spec, validator
from tests.conftest import installed_model_data, needs_snapshot_botocore, write_model

CREATE_INSTANCE = {
    "IdentityManagementType": "VOICEMAIL_DIRECTORY",
    "InboundCallsEnabled": True,
    "OutboundCallsEnabled": False,
}
DESCRIBED = {"Contact": {"Id": "c-1", "VoicemailInfo": {"TranscriptionStatus": "COMPLETED"}}}


def _fake(seed: int = 0) -> Any:
    fake = Faker()
    fake.add_provider(fakes.ConnectEmailProvider)
    fake.seed_instance(seed)
    return fake


def test_the_snapshot_is_found_from_the_package_in_a_checkout() -> None:
    """The committed schemas/ beside the package: a move of the module that looks for it must not lose it
    (a lost snapshot silently turns every run into generating contracts)."""
    root = Path(__file__).resolve().parents[2]
    assert active.checkout_root() == root
    assert active.snapshot_dir() == root / "schemas"
    index = json.loads((root / "schemas" / active.INDEX_FILE).read_text(encoding="utf-8"))
    assert active.snapshot_version() == index["x-botocore-version"]


@needs_snapshot_botocore
def test_the_snapshot_is_active_when_botocore_is_the_snapshots() -> None:
    found = active.contracts()
    assert spec.botocore_version() == active.snapshot_version()
    assert found.kind == "snapshot"
    assert found.changed_operations == ()
    assert found.describe() == f"contracts of botocore {spec.botocore_version()}: the committed snapshot"


@needs_snapshot_botocore
def test_what_only_a_newer_model_has_validates_cleanly(newer_model: Path) -> None:
    # Under the snapshot, the newer value and member are violations ...
    assert [v.rule for v in validator.request_violations("CreateInstance", CREATE_INSTANCE)] == ["enum"]
    assert [v.rule for v in validator.response_violations("DescribeContact", DESCRIBED, strict=True)] == [
        "additionalProperties"
    ]
    # ... and following the newer model they are not.
    with spec.use_model(newer_model) as model:
        assert active.contracts().kind == "memory"
        assert active.contracts().label == model.label == f"the model in {newer_model.resolve()}"
        validator.validate_request("CreateInstance", CREATE_INSTANCE)
        validator.validate_response("DescribeContact", DESCRIBED, strict=True)
        enum = validator.load_schema("StartEmailContact")["$defs"]["Reference"]["properties"]["Type"]["enum"]
        assert "VOICEMAIL_MESSAGE" in enum
        changed = active.contracts().changed_operations
        assert {"CreateInstance", "DescribeContact", "StartEmailContact"} <= set(changed)
        assert "differ from the snapshot" in active.contracts().describe()
        # the fakes follow too: a strict-valid DescribeContact response may now carry VoicemailInfo
        response = _fake(3).connect_response("DescribeContact", fill="all")
        assert "VoicemailInfo" in response["Contact"]
        validator.validate_response("DescribeContact", response, strict=True)
    assert active.contracts().kind == "snapshot"


def test_the_model_env_variable_is_followed(newer_model: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(spec.MODEL_ENV, str(newer_model))
    validator.validate_request("CreateInstance", CREATE_INSTANCE)


@pytest.fixture
def older_model(tmp_path: Path) -> Path:
    """The installed model without ListQueueEmailAddresses, as an unpacked botocore 1.0.1."""
    data = installed_model_data()
    data["operations"].pop("ListQueueEmailAddresses", None)
    return write_model(tmp_path / "older", data, version="1.0.1")


def test_an_operation_missing_from_the_model_is_named_never_a_crash(older_model: Path) -> None:
    with spec.use_model(older_model) as model:
        assert model.label == "botocore 1.0.1"
        assert "ListQueueEmailAddresses" in model.missing
        expected = "ListQueueEmailAddresses is not in botocore 1.0.1's model"
        with pytest.raises(spec.OperationNotInModelError, match=expected):
            validator.validate_request("ListQueueEmailAddresses", {})
        with pytest.raises(spec.OperationNotInModelError, match=expected):
            validator.response_violations("list_queue_email_addresses", {})
        with pytest.raises(spec.OperationNotInModelError, match=expected):
            _fake().connect_request("ListQueueEmailAddresses")
        assert "ListQueueEmailAddresses" in active.contracts().describe().split("; not in this model: ")[1]
        _fake().connect_request("StartEmailContact")  # the rest still works


def test_an_unknown_operation_is_still_unknown() -> None:
    with pytest.raises(spec.UnknownOperationError, match="Did you mean 'StartEmailContact'"):
        validator.validate_request("StartEmailContac", {})


def _as_installed(monkeypatch: pytest.MonkeyPatch, model: spec.Model) -> None:
    """Make ``model`` look like an installed botocore whose version is not the snapshot's."""
    installed = spec.Model(model.service, "9.9.9", "botocore 9.9.9", "installed")
    monkeypatch.setattr(spec, "installed_model", lambda: installed)
    monkeypatch.setattr(spec, "botocore_version", lambda: "9.9.9")
    active._ACTIVE.clear()


def test_an_installed_botocore_other_than_the_snapshots_is_cached_per_version(
    newer_model: Path, user_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _as_installed(monkeypatch, spec.load_model(newer_model))
    try:
        found = active.contracts()
        assert found.kind == "cache"
        assert found.directory is not None
        assert found.directory.is_relative_to(user_cache)
        assert found.directory.name.startswith("botocore-9.9.9-")
        manifest = json.loads((found.directory / active.MANIFEST_FILE).read_text())
        assert manifest["botocore"] == "9.9.9"
        assert "DescribeContact" in manifest["changed"]
        validator.validate_response("DescribeContact", DESCRIBED, strict=True)
        assert "botocore 9.9.9" in json.loads((found.directory / "index.json").read_text())["$comment"]
        assert "contracts of botocore 9.9.9 (generated from its model, cached in" in found.describe()
    finally:
        active._ACTIVE.clear()


@pytest.mark.parametrize(
    ("damage", "target"),
    [
        pytest.param(lambda text: text[: len(text) // 2], "CreateInstance/request.json", id="truncated"),
        pytest.param(
            lambda text: text.replace('"VOICEMAIL_DIRECTORY"', '"SAML"'),
            "CreateInstance/request.json",
            id="valid-json-but-edited",
        ),
        pytest.param(lambda text: "{", "manifest.json", id="manifest"),
    ],
)
def test_a_corrupt_cache_is_regenerated_never_trusted(
    newer_model: Path, user_cache: Path, monkeypatch: pytest.MonkeyPatch, damage: Any, target: str
) -> None:
    _as_installed(monkeypatch, spec.load_model(newer_model))
    try:
        directory = active.contracts().directory
        assert directory is not None
        path = directory / target
        path.write_text(damage(path.read_text()))
        active._ACTIVE.clear()  # a new process
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            validator.validate_request("CreateInstance", CREATE_INSTANCE)
        if target != "manifest.json":
            assert [w.category for w in caught] == [active.ContractCacheWarning]
            assert str(path) in str(caught[0].message)
        assert "VOICEMAIL_DIRECTORY" in path.read_text() or target == "manifest.json"
        json.loads((directory / "manifest.json").read_text())
    finally:
        active._ACTIVE.clear()


def test_an_unwritable_cache_falls_back_to_memory(
    newer_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    monkeypatch.setattr(active, "cache_root", lambda: blocker / "contracts")
    _as_installed(monkeypatch, spec.load_model(newer_model))
    try:
        assert active.contracts().kind == "memory"
        validator.validate_request("CreateInstance", CREATE_INSTANCE)
    finally:
        active._ACTIVE.clear()


def test_model_sources_that_cannot_be_read_say_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(spec.ModelSourceError, match=r"pip download botocore==1\.2\.3 --no-deps -d DIR"):
        spec.load_model("1.2.3")
    with pytest.raises(spec.ModelSourceError, match="holds no connect model"):
        spec.load_model(tmp_path)
    with pytest.raises(spec.ModelSourceError, match="no such file"):
        spec.load_model(tmp_path / "nope.whl")
    bad = tmp_path / "botocore-1.0.0-py3-none-any.whl"
    bad.write_bytes(b"not a zip")
    with pytest.raises(spec.ModelSourceError, match="cannot read a connect model"):
        spec.load_model(bad)


def test_the_emulator_follows_the_model_in_use(tmp_path: Path) -> None:
    import boto3
    from botocore.exceptions import ClientError

    from pytest_connect_email.emulator import Emulator

    data = installed_model_data()
    del data["operations"]["ListInstances"]
    emulator = Emulator.create()
    client = emulator.attach(
        boto3.client("connect", region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing")
    )
    with spec.use_model(write_model(tmp_path / "older", data, version="1.0.1")):
        with pytest.raises(ClientError) as info:
            client.list_instances()
        assert info.value.response["Error"]["Code"] == "UnknownOperationException"
        assert "botocore 1.0.1's model" in info.value.response["Error"]["Message"]
        with pytest.raises(ClientError) as info:  # the rest still answers
            client.describe_instance(InstanceId="0c5b5f8e-6a8e-4f7c-9d5e-2f4a1b3c4d5e")
        assert info.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_cached_contracts_follow_the_covered_operations(monkeypatch: pytest.MonkeyPatch) -> None:
    """A cache written before an operation joined the covered ones is not reused: the key changes."""
    from pytest_connect_email.contracts import active, spec

    before = active._generator_fingerprint()
    monkeypatch.setattr(spec, "OPERATIONS", (*spec.OPERATIONS, "CreateQueue"))
    assert active._generator_fingerprint() != before
