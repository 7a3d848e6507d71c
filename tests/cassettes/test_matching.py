"""Cassette matching as vcrpy users expect it: per-run values replay with a warning naming them, strict mode
fails once naming them, an ignore list (option, ini, marker) and a hook decide what counts, idempotency
tokens never count; and what is recorded replays (an operation the emulator does not cover)."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest

from pytest_connect_email.cassettes import lint, replay

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


@pytest.mark.connect_cassette(ignore=["References", "Attributes.*"])
def test_marked(connect_instance_id, email_address):
    app.send(connect_instance_id, "customer@example.com", email_address("inbox").address)


@pytest.mark.connect_cassette(ignore=["References"])
def test_partly_marked(connect_instance_id, email_address):
    app.send(connect_instance_id, "customer@example.com", email_address("inbox").address)


def test_tokens(connect_client, connect_instance_id, email_address):
    # Only the ClientToken botocore draws (a uuid4 per call) differs between runs: it never counts.
    connect_client.start_email_contact(
        InstanceId=connect_instance_id,
        FromEmailAddress={"EmailAddress": "c@example.com"},
        DestinationEmailAddress=email_address("a").address,
        EmailMessage={"MessageSourceType": "RAW", "RawMessage": {"Subject": "s", "Body": "b",
                      "ContentType": "text/plain"}},
    )
"""

WARNED = "*CassetteMismatchWarning*StartEmailContact was answered by its next recording in order*"
MEMBERS = "Attributes.trace, References.received.Value"
STRICT = "no recording of StartEmailContact has this request's members (--connect-cassette-strict)"


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    for key in [k for k in os.environ if k.startswith("AWS_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    pytester.makepyfile(app=APP, test_app=TEST)
    return pytester


def _run(pytester: pytest.Pytester, mode: str, *args: str) -> pytest.RunResult:
    sys.modules.pop("app", None)  # a fresh `app` module per run, as a new process would import it
    return pytester.runpytest("-p", "connect_email", "-p", "no:cacheprovider", f"--connect-mode={mode}", *args)


def _recorded(pytester: pytest.Pytester, *args: str, passed: int = 4) -> pytest.Pytester:
    """Record, then move the application's clock a day on: its DATE reference and uuid4 differ on replay."""
    _run(pytester, "record", *args).assert_outcomes(passed=passed)
    (pytester.path / "app.py").write_text(APP.replace("NUDGE = 0", "NUDGE = 86_400_000"), encoding="utf-8")
    return pytester


def _sections(result: pytest.RunResult) -> dict[str, str]:
    """Each failed test's report, by test name."""
    out = result.stdout.str()
    parts = re.split(r"_{3,} (test_\w+) _{3,}", out)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def test_per_run_values_warn_strict_fails_once_and_an_ignore_list_passes(project: pytest.Pytester) -> None:
    _recorded(project)
    # Without configuration: replayed, with one warning per test naming the members that differ.
    result = _run(project, "replay")
    result.assert_outcomes(passed=4, warnings=2)
    result.stdout.fnmatch_lines([WARNED])
    out = result.stdout.str()
    assert f"differ from it: {MEMBERS};" in out  # test_send
    assert "differ from it: Attributes.trace;" in out  # test_partly_marked: References ignored by its marker
    assert "--connect-cassette-ignore Attributes.trace,References.received.Value" in out
    assert "ClientToken" not in out  # test_tokens: botocore's fresh token never counts
    # Strict: one failure per test naming the members (not FAILED plus ERROR for the unplayed recording).
    result = _run(project, "replay", "--connect-cassette-strict")
    result.assert_outcomes(passed=2, failed=2)
    failed = _sections(result)
    assert sorted(failed) == ["test_partly_marked", "test_send"]
    assert STRICT in failed["test_send"]
    assert MEMBERS in failed["test_send"]
    assert "these differ from the next recording in order: Attributes.trace;" in failed["test_partly_marked"]
    # Strict with an ignore list (the ini value; the option is the same setting): every test passes.
    result = _run(
        project,
        "replay",
        "--connect-cassette-strict",
        "-o",
        "connect_cassette_ignore=References.*.Value, Attributes.trace",
    )
    result.assert_outcomes(passed=4)
    assert "CassetteMismatchWarning" not in result.stdout.str()


def test_the_match_hook_decides(project: pytest.Pytester) -> None:
    _recorded(project, "-k", "test_send or test_tokens", passed=2)
    project.makeconftest(
        """
def pytest_connect_email_match(operation, recorded, sent):
    if operation != "StartEmailContact":
        return None  # the comparison decides
    assert "ClientToken" not in sent and "ClientToken" not in recorded
    return "Attributes" in sent  # test_send's per-run values are fine; test_tokens' request is refused
"""
    )
    result = _run(project, "replay", "--connect-cassette-strict", "-k", "test_send or test_tokens")
    result.assert_outcomes(passed=1, failed=1)
    assert "(a pytest_connect_email_match hook said they differ)" in _sections(result)["test_tokens"]


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


def test_an_operation_the_emulator_lacks_records_replays_and_lints(project: pytest.Pytester) -> None:
    """Its answer (UnknownOperationException from the emulator; AWS's own against a sandbox) is recorded
    and replayed like any other, re-recorded by record mode all, and lint passes the cassette."""
    project.makepyfile(test_app=UNCOVERED)
    _run(project, "record").assert_outcomes(passed=1)
    (path,) = (project.path / "cassettes").rglob("*.connect.yaml")
    assert "/analytics-data/instance/" in path.read_text(encoding="utf-8")
    assert lint.lint(path) == []
    _run(project, "replay", "--connect-cassette-strict").assert_outcomes(passed=1)
    _run(project, "record", "--connect-record-mode=all").assert_outcomes(passed=1)
    _run(project, "replay", "--connect-cassette-strict").assert_outcomes(passed=1)


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
    assert [f.problem for f in lint.lint(path)] == ["GET /2015-03-31/functions/f is no Amazon Connect operation"]


def test_a_bad_ignore_list_is_a_usage_error(project: pytest.Pytester) -> None:
    result = _run(project, "replay", "--connect-cassette-ignore=References..Value")  # the option, parsed
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--connect-cassette-ignore: 'References..Value' has an empty member name*"])


def test_ignore_patterns_take_any_key_and_list_item() -> None:
    patterns = replay._compiled(replay.ignore_patterns("References.*.Value, Items.*.Id Attributes.trace"))
    document = {
        "References": {"a": {"Value": 1, "Type": "DATE"}, "b": {"Value": 2, "Type": "URL"}},
        "Items": [{"Id": 1, "Name": "x"}],
        "Attributes": {"trace": "t", "channel": "web"},
    }
    assert replay._without(document, patterns) == {
        "References": {"a": {"Type": "DATE"}, "b": {"Type": "URL"}},
        "Items": [{"Name": "x"}],
        "Attributes": {"channel": "web"},
    }
    assert replay._differences({"L": [1, {"a": 2}]}, {"L": [1, {"a": 3}], "M": 1}) == ["L.1.a", "M"]
