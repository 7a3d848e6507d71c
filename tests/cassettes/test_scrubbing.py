"""Unlinkable scrubbing by meaning: numbered fakes, no digest of any real value, consistent within a cassette,
replay still finding its recordings; lint flags what scrubbing would change; pytest-recording side by side."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from pytest_connect_email.cassettes import lint, scrub

ADDRESS = "jane.doe@gmail.com"
NAME = "Alex Weber"  # in Faker's en_US names and in the old scheme's list of fake names (kept verbatim there)
CC_ADDRESS = "r.ortiz@corp-mail.de"
CC_NAME = "Kim Novak"
SUBJECT = "Kündigung 4711"
BODY = "Please cancel my contract. IBAN DE89370400440532013000"
SECRETS = (ADDRESS, NAME, CC_ADDRESS, CC_NAME, SUBJECT, BODY)

CUSTOMER = f"""
import pytest

def test_customer(connect_client, connect_instance_id, email_address):
    system = email_address("support")
    contact = connect_client.start_email_contact(
        InstanceId=connect_instance_id,
        FromEmailAddress={{"EmailAddress": {ADDRESS!r}, "DisplayName": {NAME!r}}},
        DestinationEmailAddress=system.address,
        AdditionalRecipients={{"CcAddresses": [{{"EmailAddress": {CC_ADDRESS!r}, "DisplayName": {CC_NAME!r}}}]}},
        EmailMessage={{"MessageSourceType": "RAW",
                      "RawMessage": {{"Subject": {SUBJECT!r}, "Body": {BODY!r}, "ContentType": "text/plain"}}}},
    )["ContactId"]
    found = connect_client.describe_contact(InstanceId=connect_instance_id, ContactId=contact)["Contact"]
    assert found["CustomerEndpoint"]["Address"] == {ADDRESS!r}   # the test's own values, in replay too
    assert found["CustomerEndpoint"]["DisplayName"] == {NAME!r}
"""


def _run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    for key in [k for k in os.environ if k.startswith("AWS_")]:
        pytester._monkeypatch.delenv(key)
    pytester._monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    pytester._monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    return pytester.runpytest("-p", "connect_email", "-p", "no:cacheprovider", *args)


def _texts(path: Path) -> str:
    """A cassette's text, with every string in it (binary and base64 blocks decoded) after it."""
    text = path.read_text(encoding="utf-8")
    return "\n".join([text, *(value for _, value in lint._texts(yaml.safe_load(text), "c"))])


def _bodies(path: Path, operation_path: str) -> tuple[Any, Any]:
    for interaction in yaml.safe_load(path.read_text(encoding="utf-8"))["interactions"]:
        if interaction["request"]["uri"].split("?")[0].endswith(operation_path):
            request = interaction["request"]["body"]
            return json.loads(request) if request else None, json.loads(interaction["response"]["body"]["string"])
    raise AssertionError(f"no {operation_path} in {path}")


def test_a_customer_is_unlinkable_in_request_and_answer_and_replays(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_user=CUSTOMER)
    _run(pytester, "--connect-mode=record").assert_outcomes(passed=1)
    [path] = pytester.path.rglob("*.connect.yaml")
    text = _texts(path)
    for value in SECRETS:
        assert value not in text, value
        digest = hashlib.sha256(value.encode()).hexdigest()
        assert digest[:8] not in text, f"an unkeyed SHA-256 prefix of {value!r}"
    assert "@gmail.com" not in text
    assert "corp-mail" not in text

    sent, _ = _bodies(path, "/contact/email")
    _, described = _bodies(path, f"/{_contact_id(path)}")
    customer = described["Contact"]["CustomerEndpoint"]
    assert sent["FromEmailAddress"]["EmailAddress"] == customer["Address"] == "person-1@scrubbed.example.com"
    assert sent["FromEmailAddress"]["DisplayName"] == customer["DisplayName"] == "scrubbed-name-1"
    assert sent["EmailMessage"]["RawMessage"]["Subject"] == "scrubbed-subject-1"
    assert sent["EmailMessage"]["RawMessage"]["Body"] == "scrubbed-body-1"
    cc = described["Contact"]["AdditionalEmailRecipients"]["CcList"][0]
    assert cc == {"Address": "person-2@scrubbed.example.com", "DisplayName": "scrubbed-name-2"}
    assert described["Contact"]["SystemEndpoint"]["Address"] == sent["DestinationEmailAddress"]  # example.com: kept
    assert lint.lint(path) == []

    _run(pytester, "--connect-mode=replay", "--connect-cassette-strict").assert_outcomes(passed=1)


def _contact_id(path: Path) -> str:
    _, started = _bodies(path, "/contact/email")
    return str(started["ContactId"])


OVER_BUDGET = f"""
import pytest
from botocore.exceptions import ClientError

def test_over(connect_client_factory, connect_instance_id):
    client = connect_client_factory(validate_requests=False)
    deep = "x"
    for _ in range(80):  # nested past pytest_connect_email.limits.MAX_DEPTH
        deep = {{"a": deep}}
    with pytest.raises(ClientError):
        client.start_email_contact(
            InstanceId=connect_instance_id,
            FromEmailAddress={{"EmailAddress": {ADDRESS!r}, "DisplayName": {NAME!r}}},
            DestinationEmailAddress={CC_ADDRESS!r},
            EmailMessage={{"MessageSourceType": "RAW",
                          "RawMessage": {{"Subject": {SUBJECT!r}, "Body": {BODY!r}, "ContentType": "text/plain"}}}},
            Attributes={{"note": deep}},
        )
"""


def test_a_request_over_the_budgets_is_recorded_scrubbed(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_user=OVER_BUDGET)
    _run(pytester, "--connect-mode=record").assert_outcomes(passed=1)
    [path] = pytester.path.rglob("*.connect.yaml")
    text = _texts(path)
    for value in SECRETS[:3] + SECRETS[4:]:
        assert value not in text, value
    for fake in ("person-1@scrubbed.example.com", "scrubbed-name-1", "scrubbed-body-1"):
        assert fake in text
    assert [f for f in lint.lint(path) if "unscrubbed" in f.problem or "@" in f.problem] == []


def _describe_cassette(endpoint: dict[str, str]) -> dict[str, Any]:
    answer = {"Contact": {"Id": "c", "Channel": "EMAIL", "CustomerEndpoint": {"Type": "EMAIL_ADDRESS", **endpoint}}}
    return {
        "interactions": [
            {
                "request": {"method": "GET", "uri": "https://h/contacts/i/c", "body": None, "headers": {}},
                "response": {
                    "status": {"code": 200, "message": "OK"},
                    "headers": {},
                    "body": {"string": json.dumps(answer)},
                },
            }
        ],
        "version": 1,
    }


def test_lint_flags_a_hand_planted_real_name_and_address(tmp_path: Path) -> None:
    path = tmp_path / "c.connect.yaml"
    path.write_text(yaml.safe_dump(_describe_cassette({"Address": ADDRESS, "DisplayName": NAME})), encoding="utf-8")
    found = {(f.where, f.problem) for f in lint.lint(path)}
    assert (
        "interactions[0].response.body.string/Contact/CustomerEndpoint/DisplayName",
        "a personal value left unscrubbed (scrubbing writes 'scrubbed-name-1' here)",
    ) in found
    assert any("an email address outside the example domains (@gmail.com)" in problem for _, problem in found)
    clean = {"Address": "person-1@scrubbed.example.com", "DisplayName": "scrubbed-name-1"}
    path.write_text(yaml.safe_dump(_describe_cassette(clean)), encoding="utf-8")
    assert [f.problem for f in lint.lint(path) if "unscrubbed" in f.problem or "@" in f.problem] == []


def test_fakes_are_numbered_per_cassette_and_restored() -> None:
    first, second = scrub.Scrubber(), scrub.Scrubber()
    document = {"FromEmailAddress": {"EmailAddress": ADDRESS, "DisplayName": NAME}, "Note": f"{NAME} <{ADDRESS}>"}
    scrubbed = first.scrub({}, document, learn=True)
    assert scrubbed == {
        "FromEmailAddress": {"EmailAddress": "person-1@scrubbed.example.com", "DisplayName": "scrubbed-name-1"},
        "Note": "scrubbed-name-1 <person-1@scrubbed.example.com>",  # a value echoed in free text, too
    }
    assert second.scrub({}, {"EmailAddress": "someone.else@gmail.com"}) == {
        "EmailAddress": "person-1@scrubbed.example.com"  # the number says nothing of the value
    }
    assert first.restore(scrubbed) == document
    assert first.scrub({}, scrubbed) == scrubbed  # idempotent


PROJECT_BOTH = """
import json
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest


class Hello(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"hello": "world"}')

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def vcr_config():
    return {"match_on": ["method", "path"]}  # the server's port changes from run to run


@pytest.fixture(scope="module")
def url():
    server = HTTPServer(("127.0.0.1", 0), Hello)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/hello"
    server.shutdown()


@pytest.mark.vcr
def test_both(url, connect_client):
    assert json.load(urllib.request.urlopen(url)) == {"hello": "world"}
    assert connect_client.list_instances()["InstanceSummaryList"] is not None
"""


def test_pytest_recording_and_this_plugin_write_where_the_readme_says(pytester: pytest.Pytester) -> None:
    pytest.importorskip("pytest_recording")
    pytester.mkdir("tests")
    (pytester.path / "tests" / "test_both.py").write_text(PROJECT_BOTH, encoding="utf-8")
    _run(pytester, "-p", "recording", "--record-mode=once", "--connect-mode=record").assert_outcomes(passed=1)
    written = sorted(p.relative_to(pytester.path).as_posix() for p in pytester.path.rglob("*.yaml"))
    recording = "tests/cassettes/test_both/test_both.yaml"  # pytest-recording: beside the test file
    ours = [p for p in written if p.endswith(".connect.yaml")]
    assert recording in written
    assert len(ours) == 1, written
    assert ours[0].startswith("cassettes/"), written  # ours: under the rootdir
    assert "/hello" in (pytester.path / recording).read_text(encoding="utf-8")
    assert "/instance" not in (pytester.path / recording).read_text(encoding="utf-8")  # Connect: ours only
    assert "/hello" not in (pytester.path / ours[0]).read_text(encoding="utf-8")
    replay = ("-p", "recording", "--record-mode=none", "--connect-mode=replay", "--connect-cassette-strict")
    _run(pytester, *replay).assert_outcomes(passed=1)
