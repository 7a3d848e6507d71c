"""Cassette matching as vcrpy users expect it: per-run values replay with a warning naming them, strict mode
fails once naming them, an ignore list (option, ini, marker) and a hook decide what counts, idempotency
tokens never count; and what is recorded replays (an operation the emulator does not cover)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from vcr.request import Request

from pytest_connect_email import cassettes

#: An application whose request carries values that change every run: a DATE reference from the clock and
#: a uuid4 attribute. It makes its own client (intercepted), as an application does.
APP = """
import time
import uuid

import boto3


def send(instance_id, sender, recipient):
    client = boto3.client("connect", region_name="us-east-1")
    return client.start_email_contact(
        InstanceId=instance_id,
        FromEmailAddress={"EmailAddress": sender},
        DestinationEmailAddress=recipient,
        EmailMessage={"MessageSourceType": "RAW", "RawMessage": {"Subject": "Hi", "Body": "Hello",
                      "ContentType": "text/plain"}},
        References={"received": {"Value": str(int(time.time() * 1000) + NUDGE), "Type": "DATE"}},
        Attributes={"trace": str(uuid.uuid4()), "channel": "web"},
    )["ContactId"]


NUDGE = 0
"""

TEST = """
import pytest

import app


def test_send(connect_client, connect_instance_id, email_address):
    recipient = email_address("inbox").address
    contact = app.send(connect_instance_id, "customer@example.com", recipient)
    found = connect_client.describe_contact(InstanceId=connect_instance_id, ContactId=contact)["Contact"]
    assert found["Id"] == contact
"""

WARNED = "*CassetteMismatchWarning*StartEmailContact was answered by its next recording in order*"
MEMBERS = "Attributes.trace, References.received.Value"


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    for key in [k for k in os.environ if k.startswith("AWS_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    pytester.makepyfile(app=APP, test_app=TEST)
    return pytester


def _run(pytester: pytest.Pytester, mode: str, *args: str) -> pytest.RunResult:
    # A fresh `app` module per run: the previous run's clock and uuid4 are not reused.
    import sys

    sys.modules.pop("app", None)
    return pytester.runpytest("-p", "connect_email", "-p", "no:cacheprovider", f"--connect-mode={mode}", *args)


def _recorded(pytester: pytest.Pytester) -> pytest.Pytester:
    _run(pytester, "record").assert_outcomes(passed=1)
    (pytester.path / "app.py").write_text(APP.replace("NUDGE = 0", "NUDGE = 86_400_000"), encoding="utf-8")
    return pytester


def test_per_run_values_replay_with_a_warning_naming_them(project: pytest.Pytester) -> None:
    _recorded(project)
    result = _run(project, "replay")
    result.assert_outcomes(passed=1, warnings=1)
    result.stdout.fnmatch_lines([WARNED])
    assert MEMBERS in result.stdout.str()
    assert "--connect-cassette-ignore Attributes.trace,References.received.Value" in result.stdout.str()
    assert "ClientToken" not in result.stdout.str()  # botocore's fresh token differs too, and never counts


def test_strict_mode_fails_once_naming_them(project: pytest.Pytester) -> None:
    _recorded(project)
    result = _run(project, "replay", "--connect-cassette-strict")
    result.assert_outcomes(failed=1)  # not failed and error: the unplayed recording is that same mismatch
    out = result.stdout.str()
    assert "no recording of StartEmailContact has this request's members (--connect-cassette-strict)" in out
    assert MEMBERS in out


@pytest.mark.parametrize(
    "how",
    [
        ("--connect-cassette-ignore=References.*.Value,Attributes.trace",),
        ("-o", "connect_cassette_ignore=References.*.Value Attributes.trace"),
    ],
    ids=["option", "ini"],
)
def test_strict_mode_with_an_ignore_list_passes(project: pytest.Pytester, how: tuple[str, ...]) -> None:
    _recorded(project)
    result = _run(project, "replay", "--connect-cassette-strict", *how)
    result.assert_outcomes(passed=1)
    assert "CassetteMismatchWarning" not in result.stdout.str()


def test_the_marker_ignores_members_for_its_test(project: pytest.Pytester) -> None:
    _recorded(project)
    marked = TEST.replace("def test_send", '@pytest.mark.connect_cassette(ignore=["References", "Attributes.*"])\ndef test_send')
    project.makepyfile(test_app=marked)
    _run(project, "replay", "--connect-cassette-strict").assert_outcomes(passed=1)
    project.makepyfile(test_app=TEST.replace("def test_send", '@pytest.mark.connect_cassette(ignore=["References"])\ndef test_send'))
    result = _run(project, "replay", "--connect-cassette-strict")
    result.assert_outcomes(failed=1)
    assert "these differ from the next recording in order: Attributes.trace;" in result.stdout.str()


@pytest.mark.parametrize(("verdict", "outcome"), [("True", "passed"), ("None", "failed"), ("False", "failed")])
def test_the_match_hook_decides(project: pytest.Pytester, verdict: str, outcome: str) -> None:
    _recorded(project)
    project.makeconftest(
        f"""
SEEN = []

def pytest_connect_email_match(operation, recorded, sent):
    if operation == "StartEmailContact":
        assert "ClientToken" not in sent and sent["Attributes"]["channel"] == recorded["Attributes"]["channel"]
        return {verdict}
    return None
"""
    )
    result = _run(project, "replay", "--connect-cassette-strict")
    result.assert_outcomes(**{outcome: 1})


def test_idempotency_tokens_never_count(project: pytest.Pytester) -> None:
    """Every ClientToken the model marks as an idempotency token differs between runs (botocore draws a
    uuid4), and a request that differs in nothing else replays strictly, without a warning."""
    project.makepyfile(
        test_app="""
def test_tokens(connect_client, connect_instance_id, email_address):
    address = email_address("a")
    connect_client.start_email_contact(
        InstanceId=connect_instance_id,
        FromEmailAddress={"EmailAddress": "c@example.com"},
        DestinationEmailAddress=address.address,
        EmailMessage={"MessageSourceType": "RAW", "RawMessage": {"Subject": "s", "Body": "b",
                      "ContentType": "text/plain"}},
    )
"""
    )
    _run(project, "record").assert_outcomes(passed=1)
    result = _run(project, "replay", "--connect-cassette-strict", "-W", "error::UserWarning")
    result.assert_outcomes(passed=1)


UNCOVERED = """
import boto3
import pytest
from botocore.exceptions import ClientError


def test_uncovered(connect_instance_id):
    client = boto3.client("connect", region_name="us-east-1")
    with pytest.raises(ClientError) as raised:
        client.associate_analytics_data_set(InstanceId=connect_instance_id, DataSetId="sales")
    assert raised.value.response["Error"]["Code"] == "UnknownOperationException"
"""


@pytest.mark.parametrize("record_mode", ["once", "all"])
def test_an_operation_the_emulator_lacks_records_replays_and_lints(project: pytest.Pytester, record_mode: str) -> None:
    """Its answer (UnknownOperationException from the emulator; AWS's own against a sandbox) is recorded
    and replayed like any other, re-recorded by record mode all, and lint passes the cassette."""
    project.makepyfile(test_app=UNCOVERED)
    _run(project, "record").assert_outcomes(passed=1)
    (path,) = (project.path / "cassettes").rglob("*.connect.yaml")
    assert "/analytics-data/instance/" in path.read_text(encoding="utf-8")
    if record_mode == "all":
        _run(project, "record", "--connect-record-mode=all").assert_outcomes(passed=1)
    _run(project, "replay", "--connect-cassette-strict").assert_outcomes(passed=1)
    assert cassettes.lint(path) == []


def test_lint_still_names_another_api(tmp_path: Path) -> None:
    text = """interactions:
- request:
    body: ''
    headers: {}
    method: GET
    uri: https://lambda.us-east-1.amazonaws.com/2015-03-31/functions/f
  response:
    body: {string: '{}'}
    headers: {}
    status: {code: 200, message: OK}
version: 1
"""
    path = tmp_path / "c.connect.yaml"
    path.write_text(text, encoding="utf-8")
    assert [f.problem for f in cassettes.lint(path)] == ["GET /2015-03-31/functions/f is no Amazon Connect operation"]


def test_a_bad_ignore_list_is_a_usage_error(project: pytest.Pytester) -> None:
    result = _run(project, "replay", "--connect-cassette-ignore=References..Value")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--connect-cassette-ignore: 'References..Value' has an empty member name*"])


def _request(body: str) -> Request:
    return Request("POST", "https://h/contact/email/i-1", body.encode(), {})


def test_ignore_patterns_take_any_key_and_list_item() -> None:
    patterns = cassettes._compiled(cassettes.ignore_patterns("References.*.Value, Items.*.Id Attributes.trace"))
    document = {
        "References": {"a": {"Value": 1, "Type": "DATE"}, "b": {"Value": 2, "Type": "URL"}},
        "Items": [{"Id": 1, "Name": "x"}],
        "Attributes": {"trace": "t", "channel": "web"},
    }
    assert cassettes._without(document, patterns) == {
        "References": {"a": {"Type": "DATE"}, "b": {"Type": "URL"}},
        "Items": [{"Name": "x"}],
        "Attributes": {"channel": "web"},
    }
    assert cassettes._differences({"L": [1, {"a": 2}]}, {"L": [1, {"a": 3}], "M": 1}) == ["L.1.a", "M"]
