"""Cassettes: scrubbed recording, offline replay, clear errors, lint — run as a user runs them."""

from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pytest_connect_email.cassettes import lint, replay, scrub
from pytest_connect_email.contracts import validator
from tests.conftest import ROOT

PLANTED_KEY = "AKIAPLANTED000000042"
PLANTED_SECRET = "pLaNtEdSeCrEt/0123456789+abcdefghijKLMNOP"
PLANTED_TOKEN = "FwoGZXIvYXdzEPlantedSessionToken0123456789abcdef"
PLANTED_ADDRESS = "maria.gonzalez@acme-logistics.de"
PLANTED_NAME = "María González-Pérez"
PLANTED_SUBJECT = "Kündigung meines Vertrags 4711-0815"
PLANTED_BODY = "Sehr geehrte Damen und Herren, bitte kündigen Sie meinen Vertrag. IBAN DE89370400440532013000"
PLANTED = [PLANTED_KEY, PLANTED_SECRET, PLANTED_TOKEN, PLANTED_ADDRESS, PLANTED_NAME, PLANTED_SUBJECT, PLANTED_BODY]

USER_TESTS = f"""
import pytest

ADDRESS = {PLANTED_ADDRESS!r}
NAME = {PLANTED_NAME!r}


def test_address_round_trip(connect_client, connect_instance_id, email_address):
    iid = connect_instance_id
    created = connect_client.create_email_address(
        InstanceId=iid, EmailAddress=ADDRESS, DisplayName=NAME, Description="Kundin seit 2009, Tel. +49 30 1234567"
    )
    shown = connect_client.describe_email_address(InstanceId=iid, EmailAddressId=created["EmailAddressId"])
    assert shown["EmailAddress"] == ADDRESS      # the value this test sent, in replay too
    assert shown["DisplayName"] == NAME
    contact = connect_client.start_email_contact(
        InstanceId=connect_instance_id,
        FromEmailAddress={{"EmailAddress": "kunde.mueller@gmx-mail.de", "DisplayName": "Jörg Müller"}},
        DestinationEmailAddress=ADDRESS,
        EmailMessage={{"MessageSourceType": "RAW", "RawMessage": {{"Subject": {PLANTED_SUBJECT!r},
                       "Body": {PLANTED_BODY!r}, "ContentType": "text/plain"}}}},
    )["ContactId"]
    found = connect_client.describe_contact(InstanceId=connect_instance_id, ContactId=contact)["Contact"]
    assert found["CustomerEndpoint"]["Address"] == "kunde.mueller@gmx-mail.de"
    connect_client.delete_email_address(InstanceId=connect_instance_id, EmailAddressId=created["EmailAddressId"])


def test_second_call_same_request_plays_in_order(connect_client, connect_instance_id):
    first = connect_client.list_instances()["InstanceSummaryList"]
    second = connect_client.list_instances()["InstanceSummaryList"]
    assert [i["Id"] for i in first] == [i["Id"] for i in second]
"""

NO_SOCKETS = """
import socket

def _refuse(*args, **kwargs):
    raise AssertionError("replay opened a socket")

socket.socket.connect = _refuse
socket.create_connection = _refuse
"""


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull, **extra)
    return env


@pytest.fixture
def planted_server() -> Iterator[str]:
    """`connect-email emulator serve` that accepts only the planted credentials."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pytest_connect_email.cli",
            "emulator",
            "serve",
            "--credentials",
            f"{PLANTED_KEY}:{PLANTED_SECRET}",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
    )
    try:
        assert process.stdout is not None
        yield process.stdout.readline().strip()
    finally:
        process.terminate()
        process.wait(timeout=10)


def _run(pytester: pytest.Pytester, *args: str, env: dict[str, str] | None = None) -> pytest.RunResult:
    for key, value in (env or _env()).items():
        pytester._monkeypatch.setenv(key, value)
    for key in [k for k in os.environ if k.startswith("AWS_") and k not in (env or {})]:
        pytester._monkeypatch.delenv(key, raising=False)
    return pytester.runpytest_subprocess("-p", "connect_email", "-p", "no:cacheprovider", *args)


def _lint_cli(folder: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "pytest_connect_email.cli", "cassettes", "lint", str(folder)]
    return subprocess.run(command, capture_output=True, text=True, check=False)


def _all_text(folder: Path) -> str:
    """Every cassette's text, with binary and base64 blocks decoded."""
    out = []
    for path in folder.rglob("*.yaml"):
        text = path.read_text(encoding="utf-8")
        out.append(text)
        for _, value in lint._texts(__import__("yaml").safe_load(text), "c"):
            out.append(value)
    return "\n".join(out)


def test_record_with_planted_secrets_then_lint_and_replay_offline(
    pytester: pytest.Pytester, planted_server: str
) -> None:
    pytester.makepyfile(test_user=USER_TESTS)
    tapes = pytester.path / "tapes"
    recorded = _run(
        pytester,
        "--connect-mode=record",
        f"--connect-endpoint-url={planted_server}",
        f"--connect-cassette-dir={tapes}",
        env=_env(AWS_ACCESS_KEY_ID=PLANTED_KEY, AWS_SECRET_ACCESS_KEY=PLANTED_SECRET, AWS_SESSION_TOKEN=PLANTED_TOKEN),
    )
    recorded.assert_outcomes(passed=2)
    files = sorted(p.relative_to(tapes).as_posix() for p in tapes.rglob("*.yaml"))
    assert files == [
        "test_user.py/test_address_round_trip.connect.yaml",
        "test_user.py/test_second_call_same_request_plays_in_order.connect.yaml",
    ]

    text = _all_text(tapes)
    for value in PLANTED:
        assert value not in text, f"planted value leaked: {value[:12]}..."
    assert "gmx-mail.de" not in text
    assert "Authorization" not in text

    lint = _lint_cli(tapes)
    assert lint.returncode == 0, lint.stdout
    assert "2 cassette(s) checked, 0 finding(s)" in lint.stdout

    pytester.makeconftest(NO_SOCKETS)  # replay must not open a single socket
    replayed = _run(pytester, "--connect-mode=replay", f"--connect-cassette-dir={tapes}", "--connect-cassette-strict")
    replayed.assert_outcomes(passed=2)


def _record(pytester: pytest.Pytester, tapes: Path, source: str) -> None:
    pytester.makepyfile(test_user=source)
    _run(pytester, "--connect-mode=record", f"--connect-cassette-dir={tapes}").assert_outcomes(passed=1)


SIMPLE = """
def test_it(connect_client, email_address):
    email_address("first")
    email_address("second")
"""


def test_an_unmatched_request_warns_and_in_strict_mode_fails_naming_the_members(pytester: pytest.Pytester) -> None:
    """A request that changed replays the next recording with a warning naming what differs; strict mode
    makes that one failure naming the cassette and the members."""
    tapes = pytester.path / "tapes"
    _record(pytester, tapes, SIMPLE)
    pytester.makepyfile(test_user=SIMPLE.replace('"second"', '"changed"'))
    lenient = _run(pytester, "--connect-mode=replay", f"--connect-cassette-dir={tapes}")
    lenient.assert_outcomes(passed=1)
    assert "CassetteMismatchWarning" in lenient.stdout.str()
    assert "EmailAddress" in lenient.stdout.str()
    strict = _run(pytester, "--connect-mode=replay", f"--connect-cassette-dir={tapes}", "--connect-cassette-strict")
    strict.assert_outcomes(failed=1)
    out = strict.stdout.str()
    assert "test_user.py/test_it.connect.yaml" in out
    assert "no recording of CreateEmailAddress has this request's members" in out
    assert "EmailAddress" in out


def test_a_stale_cassette_fails_in_strict_replay(pytester: pytest.Pytester) -> None:
    tapes = pytester.path / "tapes"
    _record(pytester, tapes, SIMPLE)
    pytester.makepyfile(test_user=SIMPLE.replace('    email_address("second")\n', ""))
    result = _run(pytester, "--connect-mode=replay", f"--connect-cassette-dir={tapes}", "--connect-cassette-strict")
    result.stdout.fnmatch_lines(["*recorded interaction(s) were not played (--connect-cassette-strict)*"])
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    _run(pytester, "--connect-mode=replay", f"--connect-cassette-dir={tapes}").assert_outcomes(passed=1)


def test_record_mode_all_rewrites_a_stale_cassette(pytester: pytest.Pytester) -> None:
    """What the stale-cassette message advises works: the cassette then holds only the new recording."""
    tapes = pytester.path / "tapes"
    _record(pytester, tapes, SIMPLE)
    pytester.makepyfile(test_user=SIMPLE.replace('    email_address("second")\n', ""))
    rerecord = ("--connect-mode=record", "--connect-record-mode=all", f"--connect-cassette-dir={tapes}")
    _run(pytester, *rerecord).assert_outcomes(passed=1)
    text = (tapes / "test_user.py" / "test_it.connect.yaml").read_text(encoding="utf-8")
    assert "second@" not in text
    strict = ("--connect-mode=replay", f"--connect-cassette-dir={tapes}", "--connect-cassette-strict")
    _run(pytester, *strict).assert_outcomes(passed=1)


def test_a_missing_cassette_says_how_to_record_it(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_user=SIMPLE)
    result = _run(pytester, "--connect-mode=replay", f"--connect-cassette-dir={pytester.path / 'none'}")
    expected = (
        "*no cassette at*test_user.py/test_it.connect.yaml*record it with: pytest -p connect_email --connect-mode*"
    )
    result.stdout.fnmatch_lines([expected])


@pytest.mark.parametrize(
    ("mangle", "message"),
    [
        (lambda text: text[: len(text) // 2] + '\n  - "unterminated', "malformed YAML at line"),
        (
            lambda text: text.replace("/email-addresses/", "/2015-03-31/functions/").replace(
                "/instance", "/2015-03-31/functions"
            ),
            "no Amazon Connect email operation",
        ),
    ],
    ids=["truncated", "another-api"],
)
def test_bad_cassettes_are_clear_errors(pytester: pytest.Pytester, mangle: Any, message: str) -> None:
    tapes = pytester.path / "tapes"
    _record(pytester, tapes, SIMPLE)
    path = tapes / "test_user.py" / "test_it.connect.yaml"
    path.write_text(mangle(path.read_text(encoding="utf-8")), encoding="utf-8")
    result = _run(pytester, "--connect-mode=replay", f"--connect-cassette-dir={tapes}")
    assert result.ret != 0
    assert message in result.stdout.str()
    assert "record again" in result.stdout.str()


@pytest.mark.parametrize("credentials", [True, False])
def test_recording_a_non_loopback_endpoint_needs_an_allowed_account(
    pytester: pytest.Pytester, credentials: bool
) -> None:
    # With credentials but no account to tell (STS unreachable, asked once), the account guard refuses;
    # without credentials the run stops before that, saying so.
    extra = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"} if credentials else {}
    env = _env(AWS_ENDPOINT_URL_STS="http://127.0.0.1:9", AWS_MAX_ATTEMPTS="1", **extra)
    pytester.makepyfile(test_user=SIMPLE)
    result = _run(pytester, "--connect-mode=record", "--connect-endpoint-url=https://connect.example.invalid", env=env)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    output = result.stdout.str() + result.stderr.str()
    if credentials:
        assert "refusing to record" in output
    else:
        assert "needs AWS credentials to sign its requests" in output


def test_the_scrub_hook_scrubs_more(pytester: pytest.Pytester) -> None:
    tapes = pytester.path / "tapes"
    pytester.makeconftest(
        """
        def pytest_connect_email_scrub(request, response, operation):
            if operation == "CreateEmailAddress":
                response["headers"]["X-Team-Note"] = ["scrubbed by the team hook"]
        """
    )
    _record(pytester, tapes, SIMPLE)
    assert "scrubbed by the team hook" in (tapes / "test_user.py" / "test_it.connect.yaml").read_text(encoding="utf-8")


# -- the committed cassettes -------------------------------------------------------------------------


def test_committed_cassettes_lint_clean_and_replay_offline(pytester: pytest.Pytester) -> None:
    committed = ROOT / "cassettes"
    lint = _lint_cli(committed)
    assert lint.returncode == 0, lint.stdout
    pytester.makeconftest(NO_SOCKETS)
    result = pytester.runpytest_subprocess(
        "-p",
        "connect_email",
        "-p",
        "no:cacheprovider",
        "--connect-conformance",
        "--connect-mode=replay",
        f"--connect-cassette-dir={committed}",
        "--connect-cassette-strict",
    )
    assert result.ret == 0, result.stdout.str()
    from pytest_connect_email.conformance import shipped_checks

    # Skipped with cassettes: CONC-001 (interleaving) and the PROTO checks of the tour (transport headers);
    # PROTO-006 (invalid requests answered 4xx) replays.
    skipped = sorted(i for i in shipped_checks() if i == "CONC-001" or (i.startswith("PROTO-") and i != "PROTO-006"))
    outcomes = result.parseoutcomes()
    assert (outcomes.get("passed"), outcomes.get("skipped")) == (len(shipped_checks()) - len(skipped), len(skipped))


# -- lint and scrubbing, directly --------------------------------------------------------------------

GOOD = {
    "interactions": [
        {
            "request": {"method": "GET", "uri": "http://h/instance", "body": None, "headers": {}},
            "response": {
                "status": {"code": 200, "message": "OK"},
                "headers": {},
                "body": {"string": '{"InstanceSummaryList": []}'},
            },
        }
    ],
    "version": 1,
}


def _lint(tmp_path: Path, document: Any) -> list[str]:
    import yaml

    path = tmp_path / "c.yaml"
    path.write_text(document if isinstance(document, str) else yaml.safe_dump(document), encoding="utf-8")
    return [f.problem for f in lint.lint(path)]


def test_lint_accepts_a_clean_cassette(tmp_path: Path) -> None:
    assert _lint(tmp_path, GOOD) == []


@pytest.mark.parametrize(
    ("planted", "problem"),
    [
        (
            {"Authorization": "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/x, Signature=" + "a" * 64},
            "an AWS access key id",
        ),
        ({"X-Note": "arn:aws:connect:us-east-1:210987654321:instance/x"}, "a 12-digit account id (2109********)"),
        ({"X-Note": "write to jane@corp-mail.com"}, "an email address outside the example domains (@corp-mail.com)"),
        (
            {"X-Note": base64.b64encode(b"reply to jane@corp-mail.com please").decode()},
            "an email address outside the example domains (@corp-mail.com)",
        ),
        (
            {"X-Amz-Security-Token": "session_token=" + "Q" * 40},
            "something that looks like a secret key or session token",
        ),
    ],
    ids=["access-key", "account-id", "email", "base64-email", "token"],
)
def test_lint_finds_planted_secrets(tmp_path: Path, planted: dict[str, str], problem: str) -> None:
    document = json.loads(json.dumps(GOOD))
    document["interactions"][0]["request"]["headers"] = {k: [v] for k, v in planted.items()}
    assert problem in _lint(tmp_path, document)


def test_lint_decodes_binary_blocks(tmp_path: Path) -> None:
    document = json.loads(json.dumps(GOOD))
    document["interactions"][0]["response"]["body"]["string"] = b'{"InstanceSummaryList": [], "x": "bob@realmail.org"}'
    assert "an email address outside the example domains (@realmail.org)" in _lint(tmp_path, document)


def test_lint_reports_malformed_yaml_with_its_line(tmp_path: Path) -> None:
    assert any(
        "malformed YAML at line 4" in p for p in _lint(tmp_path, "interactions:\n- request:\n    uri: [unclosed\n")
    )


def test_lint_reports_contract_breaches(tmp_path: Path) -> None:
    document = json.loads(json.dumps(GOOD))
    document["interactions"][0]["response"]["body"]["string"] = '{"InstanceSummaryList": "not a list"}'
    assert "ListInstances answer breaks [type]" in _lint(tmp_path, document)
    document["interactions"][0]["request"]["uri"] = "http://h/instance?maxResults=99"
    document["interactions"][0]["response"]["body"]["string"] = '{"InstanceSummaryList": []}'
    assert "ListInstances request breaks [maximum] yet succeeded" in _lint(tmp_path, document)


def test_scrubbing_is_deterministic_idempotent_reversible_and_keeps_contracts() -> None:
    schema = validator.load_schema("CreateEmailAddress")
    original = {
        "InstanceId": "i",
        "EmailAddress": PLANTED_ADDRESS,
        "DisplayName": PLANTED_NAME,
        "Description": "secret",
    }
    first = scrub.Scrubber()
    scrubbed = first.scrub(schema, original, learn=True)
    assert scrubbed == scrub.Scrubber().scrub(schema, original)  # deterministic
    assert scrubbed["EmailAddress"] == "person-1@scrubbed.example.com"  # numbered, no digest of the value
    assert scrub.is_example_address(scrubbed["EmailAddress"])
    assert scrubbed["InstanceId"] == "i"
    assert scrub.Scrubber().scrub(schema, scrubbed) == scrubbed  # idempotent
    assert first.restore(scrubbed) == original  # reversible for the values the test sent
    validator.validate_request("CreateEmailAddress", scrubbed)
    assert scrub.scrub_account_ids("arn:aws:connect:us-east-1:210987654321:instance/x") == (
        f"arn:aws:connect:us-east-1:{scrub.FAKE_ACCOUNT_ID}:instance/x"
    )
    assert "Authorization" not in scrub.scrub_headers(
        {"Authorization": "x", "X-Amz-Security-Token": "t", "Accept": "a"}
    )


def test_no_socket_guard_is_real() -> None:
    """The NO_SOCKETS conftest used above would indeed stop a connection attempt."""
    namespace: dict[str, Any] = {}
    saved = socket.socket.connect, socket.create_connection
    try:
        exec(textwrap.dedent(NO_SOCKETS), namespace)
        with pytest.raises(AssertionError, match="replay opened a socket"):
            socket.create_connection(("127.0.0.1", 9))
    finally:
        socket.socket.connect, socket.create_connection = saved  # type: ignore[method-assign]


def key(body: str) -> tuple[str, str, str, str]:
    """The match key of a request to StartEmailContact's path with this body."""
    from vcr.request import Request

    return replay.match_key(Request("POST", "https://h/contact/email", body.encode(), {}))


@pytest.mark.parametrize(
    ("recorded_body", "new_body", "expected"),
    [
        ("[" * 70 + "]" * 70, "[" * 71 + "]" * 71, "the recorded body is over a budget: it nests 70 levels deep"),
        ('{"A": 1}', "[" * 70 + "]" * 70, "the new body is over a budget: it nests 70 levels deep"),
        ('{"A": 1}', "not json", "the new body is not JSON"),
    ],
    ids=["both-over", "new-over", "new-not-json"],
)
def test_a_miss_on_a_body_not_read_as_json_says_why(recorded_body: str, new_body: str, expected: str) -> None:
    said = replay._difference(key(recorded_body), key(new_body))
    assert said.startswith(f"body: {expected}"), said
    assert "pytest_connect_email.limits.MAX_DEPTH" in said or "not JSON" in said
    assert "so the bodies are compared as text: recorded '" in said


def test_a_miss_on_json_bodies_names_the_members_that_differ() -> None:
    said = replay._difference(key('{"A": 1, "B": 2}'), key('{"A": 1, "B": 3, "C": 4}'))
    assert said == "body members differ: B, C"
