"""What the second attack review of issue 19 broke, each now held: a record stored as a BLOB, digits of
other scripts in a query number, a ClientToken conflict on an operation that models no conflict error,
an answer nested past the budget on its way to botocore's parser, and a flat cassette of nodes."""

from __future__ import annotations

import sqlite3
import time
import warnings
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from pytest_connect_email import limits
from pytest_connect_email.cassettes import lint
from pytest_connect_email.contracts import validator
from pytest_connect_email.emulator import Emulator
from pytest_connect_email.emulator.codec import HttpRequest, HttpResponse
from pytest_connect_email.emulator.store import StateRecordWarning
from pytest_connect_email.routing.intercept import Interception

from ..emulator.conftest import make_client


def _instance(client: Any, token: str | None = None, alias: str = "desk") -> str:
    extra = {"ClientToken": token} if token else {}
    created = client.create_instance(
        IdentityManagementType="CONNECT_MANAGED",
        InstanceAlias=alias,
        InboundCallsEnabled=True,
        OutboundCallsEnabled=True,
        **extra,
    )
    return str(created["Id"])


def test_a_record_stored_as_a_blob_is_absent_not_a_500(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    emulator = Emulator.create(state=str(path), auth_enabled=False)
    try:
        client = emulator.attach(make_client())
        kept, spoiled = _instance(client, alias="kept"), _instance(client, alias="spoiled")
        other = sqlite3.connect(path, isolation_level=None)  # the file edited by hand
        other.execute("UPDATE records SET data = x'ff00ff' WHERE id = ?", (spoiled,))
        other.close()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            listed = [i["Id"] for i in client.list_instances()["InstanceSummaryList"]]
        assert listed == [kept]
        assert any(spoiled in str(w.message) and "bytes" in str(w.message) for w in caught), caught
        with pytest.raises(ClientError) as info:
            client.describe_instance(InstanceId=spoiled)
        assert info.value.response["Error"]["Code"] == "ResourceNotFoundException"
        assert issubclass(StateRecordWarning, UserWarning)
    finally:
        emulator.backend.store.close()


@pytest.mark.parametrize("value", ["\u0663", "\uff13", "1" * (limits.MAX_INT_DIGITS + 1)])
def test_a_query_number_is_ascii_digits_within_the_budget(value: str) -> None:
    emulator = Emulator.create(auth_enabled=False)
    try:
        answer = emulator.handle(
            HttpRequest("GET", "/instance", [("maxResults", value)], {}, b"", f"maxResults={value}"),
            signed=False,
        )
        assert answer.status == 400, answer.body
        assert b"ASCII digits" in answer.body
    finally:
        emulator.backend.store.close()


def test_a_client_token_conflict_answers_an_error_the_operation_models() -> None:
    emulator = Emulator.create(auth_enabled=False)
    try:
        client = emulator.attach(make_client())
        _instance(client, token="same", alias="first")
        with pytest.raises(ClientError) as info:
            _instance(client, token="same", alias="second")
        code = info.value.response["Error"]["Code"]
        assert code in validator.error_codes("CreateInstance"), code
    finally:
        emulator.backend.store.close()


class _Deep:
    """A target whose answer nests far past MAX_DEPTH (a hand-edited cassette, a broken endpoint)."""

    offline = True

    def answer(self, operation: str, request: HttpRequest, signer: Any) -> HttpResponse:
        return HttpResponse(200, {"Content-Type": "application/json"}, b"[" * 3000)


def test_an_answer_nested_past_the_budget_is_named_never_a_recursion_error() -> None:
    client = make_client()
    with Interception(target=_Deep(), check=False), pytest.raises(limits.LimitExceeded, match="nests 3000 levels deep"):
        client.list_instances()


def test_a_flat_cassette_of_many_nodes_is_refused_at_the_budget(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Lint stops reading at MAX_YAML_NODES: a file ten times larger costs about as much (2,000,000 nodes,
    under the old budget, took 31 s to lint; the budget is now 500,000, here scaled down)."""
    monkeypatch.setattr(limits, "MAX_YAML_NODES", 20_000)

    def seconds(count: int) -> float:
        path = tmp_path / f"flat-{count}.connect.yaml"
        path.write_text("interactions: []\nx: [" + ",".join(["0"] * count) + "]\n", encoding="utf-8")
        start = time.perf_counter()
        findings = lint.lint(path)
        elapsed = time.perf_counter() - start
        assert any("MAX_YAML_NODES" in str(f) for f in findings), findings
        return elapsed

    seconds(30_000)  # warm up
    near, far = min(seconds(40_000) for _ in range(3)), min(seconds(400_000) for _ in range(3))
    assert far / near < 3, f"{near:.3f} s at twice the budget, {far:.3f} s at twenty times"
