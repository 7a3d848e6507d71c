"""The code under test's own Connect clients: routed to the target, checked, recorded, replayed, and
never let out — each scenario a small project run as a user runs it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

#: Real-looking, fake: the shape of an access key pair a CI or a developer's shell holds.
REAL_LOOKING = {
    "AWS_ACCESS_KEY_ID": "AKIAZ7XAMPLE3LQ4TYWM",
    "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY",
    "AWS_DEFAULT_REGION": "us-east-1",
}


class Blackhole:
    """A loopback listener that counts every connection made to it and closes it at once."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.sock.close()


class Crm:
    """A loopback HTTP service that is not AWS (a CRM the application also calls); counts requests."""

    def __init__(self) -> None:
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        crm = self
        self.requests = 0

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                crm.requests += 1
                body = b'{"customer": 1}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)


@pytest.fixture
def crm() -> Iterator[Crm]:
    service = Crm()
    yield service
    service.stop()


@pytest.fixture
def blackhole() -> Iterator[Blackhole]:
    hole = Blackhole()
    yield hole
    hole.stop()


@pytest.fixture
def environment(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, blackhole: Blackhole) -> Blackhole:
    """Real-looking credentials and every AWS endpoint pointed at the blackhole; no other AWS_ variables."""
    for key in [k for k in os.environ if k.startswith("AWS_")]:
        monkeypatch.delenv(key)
    for key, value in REAL_LOOKING.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("AWS_ENDPOINT_URL", blackhole.url)
    monkeypatch.setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", blackhole.url)  # a credential lookup would show too
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(pytester.path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(pytester.path / "no-aws-credentials"))
    return blackhole


#: The application under test: it makes its own clients, one at import and one per call.
APP = """
import boto3

MODULE_CLIENT = boto3.client("connect", region_name="us-east-1")


def new_instance():
    client = boto3.client("connect", region_name="us-east-1")
    return client.create_instance(
        IdentityManagementType="CONNECT_MANAGED", InboundCallsEnabled=True, OutboundCallsEnabled=True
    )["Id"]


def add_address(instance_id, address):
    session = boto3.Session(region_name="us-east-1")
    client = session.client("connect", endpoint_url="https://connect.example.invalid")
    return client.create_email_address(InstanceId=instance_id, EmailAddress=address)["EmailAddressId"]


def describe(instance_id, address_id):
    return MODULE_CLIENT.describe_email_address(InstanceId=instance_id, EmailAddressId=address_id)


def send_subject(instance_id, destination, subject):
    return MODULE_CLIENT.start_email_contact(
        InstanceId=instance_id,
        FromEmailAddress={"EmailAddress": "customer@example.org"},
        DestinationEmailAddress=destination,
        EmailMessage={"MessageSourceType": "RAW",
                      "RawMessage": {"Subject": subject, "Body": "hello", "ContentType": "text/plain"}},
    )
"""

APP_TESTS = """
import app


def test_application_calls_reach_the_emulator():
    instance = app.new_instance()
    address_id = app.add_address(instance, "support@example.com")
    assert app.describe(instance, address_id)["EmailAddress"] == "support@example.com"
"""


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", *args, timeout=120)


def test_inner_module_level_and_session_clients_go_to_the_emulator(
    pytester: pytest.Pytester, environment: Blackhole
) -> None:
    pytester.makepyfile(app=APP, test_app=APP_TESTS)
    result = run(pytester, "-p", "connect_email")
    result.assert_outcomes(passed=1)
    assert environment.connections == 0


def test_no_credentials_and_no_metadata_lookups_needed(pytester: pytest.Pytester, environment: Blackhole) -> None:
    os.environ.pop("AWS_ACCESS_KEY_ID")
    os.environ.pop("AWS_SECRET_ACCESS_KEY")
    pytester.makepyfile(app=APP, test_app=APP_TESTS)
    tapes = pytester.path / "tapes"
    for mode in ("emulator", "record", "replay"):
        result = run(pytester, "-p", "connect_email", f"--connect-mode={mode}", f"--connect-cassette-dir={tapes}")
        result.assert_outcomes(passed=1)
    assert environment.connections == 0


def test_a_call_that_breaks_a_doc_rule_fails_before_sending_with_the_call_site(
    pytester: pytest.Pytester, environment: Blackhole
) -> None:
    pytester.makepyfile(
        app=APP,
        worker="""
        import app

        def send_and_log(instance, subject):
            try:
                app.send_subject(instance, "support@example.com", subject)
            except Exception:
                pass  # the application logs and carries on
        """,
        test_app="""
        import app, worker

        def test_long_subject():
            instance = app.new_instance()
            destination = "support@example.com"
            app.add_address(instance, destination)
            app.send_subject(instance, destination, "s" * 2000)

        def test_swallowed_violation_still_fails():
            instance = app.new_instance()
            worker.send_and_log(instance, "s" * 2000)  # the code under test swallows the violation
        """,
    )
    result = run(pytester, "-p", "connect_email")
    result.assert_outcomes(failed=2)
    out = result.stdout.str()
    assert "StartEmailContact request made at" in out
    assert "app.py:" in out
    assert "(in send_subject)" in out
    assert "[maxLength]" in out
    assert "test_swallowed_violation_still_fails" in out
    assert environment.connections == 0


def test_the_plugin_leaves_runs_that_did_not_ask_alone(pytester: pytest.Pytester, environment: Blackhole) -> None:
    """Installed but not asked for (no -p, option, ini, marker or fixture): the application's client is
    untouched and goes to its configured endpoint (the blackhole); the marker turns it on per test."""
    pytester.makepyfile(
        app=APP,
        test_app="""
        import botocore.exceptions
        import pytest
        import app

        NETWORK_ERRORS = (botocore.exceptions.EndpointConnectionError, botocore.exceptions.ConnectionClosedError)

        def test_untouched():
            with pytest.raises(NETWORK_ERRORS):
                app.new_instance()

        @pytest.mark.connect_email
        def test_asked_by_marker():
            assert app.new_instance()
        """,
    )
    result = run(pytester)
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*inactive unless a test asks*"])
    assert environment.connections >= 1


def test_opt_out_per_test_and_per_run(pytester: pytest.Pytester, environment: Blackhole) -> None:
    pytester.makepyfile(
        app=APP,
        test_app="""
        import botocore.exceptions
        import pytest
        import app

        NETWORK_ERRORS = (botocore.exceptions.EndpointConnectionError, botocore.exceptions.ConnectionClosedError)

        @pytest.mark.connect_email(intercept=False)
        def test_opted_out():
            with pytest.raises(NETWORK_ERRORS):
                app.new_instance()

        def test_intercepted(connect_client):
            assert app.new_instance()
        """,
    )
    result = run(pytester, "-p", "connect_email")
    result.assert_outcomes(passed=2)
    assert environment.connections == 1
    off = run(pytester, "-p", "connect_email", "--connect-intercept=off", "-k", "opted_out")
    off.assert_outcomes(passed=1)
    fixtures_only = run(pytester, "-p", "connect_email", "--connect-intercept=off", "-k", "intercepted")
    fixtures_only.assert_outcomes(failed=1)  # the application's call is not routed: it reaches the blackhole
    assert environment.connections == 3


def test_fixture_clients_and_application_clients_share_one_target(
    pytester: pytest.Pytester, environment: Blackhole
) -> None:
    pytester.makepyfile(
        app=APP,
        test_app="""
        import app

        def test_shared(connect_client, connect_instance_id, email_address):
            made = email_address()
            assert app.describe(connect_instance_id, made.id)["EmailAddress"] == made.address
            own = app.add_address(connect_instance_id, "sales@example.com")
            assert connect_client.describe_email_address(
                InstanceId=connect_instance_id, EmailAddressId=own)["EmailAddress"] == "sales@example.com"
        """,
    )
    run(pytester, "-p", "connect_email").assert_outcomes(passed=1)
    assert environment.connections == 0


def test_record_then_replay_application_calls_and_nothing_else(
    pytester: pytest.Pytester, environment: Blackhole, crm: Crm
) -> None:
    pytester.makepyfile(
        app=APP,
        test_app=f"""
        import urllib.request, urllib.error
        import app

        def test_round_trip():
            instance = app.new_instance()
            address_id = app.add_address(instance, "maria.gonzalez@acme-logistics.de")
            assert app.describe(instance, address_id)["EmailAddress"] == "maria.gonzalez@acme-logistics.de"

        def test_crm_only():
            try:
                urllib.request.urlopen("{crm.url}/customers/1", timeout=5)
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
        """,
    )
    tapes = pytester.path / "tapes"
    recorded = run(pytester, "-p", "connect_email", "--connect-mode=record", f"--connect-cassette-dir={tapes}")
    recorded.assert_outcomes(passed=2)
    files = sorted(p.relative_to(tapes).as_posix() for p in tapes.rglob("*"))
    assert files == ["test_app.py", "test_app.py/test_round_trip.connect.yaml"]
    text = (tapes / "test_app.py" / "test_round_trip.connect.yaml").read_text(encoding="utf-8")
    assert "acme-logistics" not in text
    assert REAL_LOOKING["AWS_ACCESS_KEY_ID"] not in text
    assert "Authorization" not in text
    replayed = run(
        pytester,
        "-p",
        "connect_email",
        "--connect-mode=replay",
        f"--connect-cassette-dir={tapes}",
        "--connect-cassette-strict",
    )
    replayed.assert_outcomes(passed=2)
    assert crm.requests == 2  # the CRM call went out both times, unrecorded
    assert environment.connections == 0


def test_replay_of_a_call_made_outside_any_test_says_so(pytester: pytest.Pytester, environment: Blackhole) -> None:
    pytester.makepyfile(
        app=APP,
        test_app="""
        import app
        INSTANCE = app.new_instance()   # at import, outside any test's cassette

        def test_nothing():
            pass
        """,
    )
    result = run(pytester, "-p", "connect_email", "--connect-mode=replay", f"--connect-cassette-dir={pytester.path}")
    result.stdout.fnmatch_lines(["*CassetteError: a Connect call (CreateInstance) was made outside a test's cassette*"])
    assert environment.connections == 0


def test_moto_takes_what_the_emulator_lacks_and_every_other_service(
    pytester: pytest.Pytester, environment: Blackhole
) -> None:
    # moto answers only the AWS endpoints it knows: other services keep theirs; Connect's is overridden,
    # and its calls still reach the emulator, or moto for what the emulator lacks.
    os.environ.pop("AWS_ENDPOINT_URL")
    os.environ["AWS_ENDPOINT_URL_CONNECT"] = environment.url
    pytester.makepyfile(
        app=APP,
        test_app="""
        import boto3
        from moto import mock_aws
        import app

        @mock_aws
        def test_side_by_side():
            s3 = boto3.client("s3", region_name="us-east-1")
            s3.create_bucket(Bucket="attachments")
            assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["attachments"]
            instance = app.new_instance()                      # moto's instance
            address = app.add_address(instance, "support@example.com")   # the emulator's address
            assert app.describe(instance, address)["EmailAddress"] == "support@example.com"
            client = boto3.client("connect", region_name="us-east-1")
            # moto: an operation the emulator lacks
            assert client.list_analytics_data_associations(InstanceId=instance)["Results"] == []
        """,
    )
    run(pytester, "-p", "connect_email").assert_outcomes(passed=1)
    assert environment.connections == 0


def test_without_moto_an_uncovered_operation_is_unknown_and_stays_home(
    pytester: pytest.Pytester, environment: Blackhole
) -> None:
    pytester.makepyfile(
        test_app="""
        import boto3, pytest
        from botocore.exceptions import ClientError

        def test_uncovered():
            client = boto3.client("connect", region_name="us-east-1")
            with pytest.raises(ClientError) as info:
                client.list_analytics_data_associations(InstanceId="x")
            assert info.value.response["Error"]["Code"] == "UnknownOperationException"
            assert "ListAnalyticsDataAssociations" in info.value.response["Error"]["Message"]
        """,
    )
    run(pytester, "-p", "connect_email").assert_outcomes(passed=1)
    assert environment.connections == 0


def test_pytest_recording_keeps_its_cassettes_and_ours_stay_apart(
    pytester: pytest.Pytester, environment: Blackhole, crm: Crm
) -> None:
    pytester.makepyfile(
        app=APP,
        test_app=f"""
        import urllib.request, urllib.error
        import pytest
        import app

        @pytest.mark.vcr
        def test_both():
            instance = app.new_instance()
            assert app.add_address(instance, "support@example.com")
            try:
                urllib.request.urlopen("{crm.url}/customers/1", timeout=5)
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
        """,
    )
    pytester.makeini("[pytest]\nconnect_cassette_dir = cassettes\n")
    result = run(pytester, "-p", "connect_email", "--connect-mode=record", "--record-mode=once")
    result.assert_outcomes(passed=1)
    theirs = pytester.path / "cassettes" / "test_app" / "test_both.yaml"
    ours = pytester.path / "cassettes" / "test_app.py" / "test_both.connect.yaml"
    assert ours.is_file()
    assert "/customers/1" in theirs.read_text(encoding="utf-8")
    their_text = theirs.read_text(encoding="utf-8")
    assert "email-addresses" not in their_text
    assert "Authorization" not in their_text
    assert "/customers/1" not in ours.read_text(encoding="utf-8")
    assert environment.connections == 0


def test_a_subprocess_gets_the_target_through_connect_endpoint(
    pytester: pytest.Pytester, environment: Blackhole
) -> None:
    pytester.makepyfile(
        test_cli="""
        import json, subprocess, sys

        def aws(endpoint, *args):
            done = subprocess.run([sys.executable, "-m", "awscli", "connect", *args, "--output", "json"],
                                  env=endpoint.env, capture_output=True, text=True, timeout=60)
            assert done.returncode == 0, done.stderr
            return json.loads(done.stdout)

        def test_aws_cli(connect_endpoint, connect_client, connect_instance_id):
            assert connect_endpoint.url.startswith("http://127.0.0.1:")
            made = aws(connect_endpoint, "create-email-address", "--instance-id", connect_instance_id,
                       "--email-address", "cli@example.com")
            seen = connect_client.describe_email_address(InstanceId=connect_instance_id,
                                                         EmailAddressId=made["EmailAddressId"])
            assert seen["EmailAddress"] == "cli@example.com"
        """,
    )
    tapes = pytester.path / "tapes"
    for mode in ("emulator", "record", "replay"):
        result = run(pytester, "-p", "connect_email", f"--connect-mode={mode}", f"--connect-cassette-dir={tapes}")
        result.assert_outcomes(passed=1)
    assert (tapes / "test_cli.py" / "test_aws_cli.connect.yaml").is_file()
    assert environment.connections == 0


def test_live_mode_does_not_create_an_instance_in_an_account_it_was_not_allowed(
    pytester: pytest.Pytester, environment: Blackhole
) -> None:
    pytester.makepyfile(test_live="def test_it(connect_instance_id):\n    pass\n")
    result = run(
        pytester, "-p", "connect_email", "--connect-mode=live", "--connect-endpoint-url=https://connect.example.invalid"
    )
    assert result.ret == 4
    result.stdout.fnmatch_lines(["*refusing to create an instance*"])


MOCK_SCRIPT = """
import sys, unittest
import boto3

BEFORE = boto3.client("connect", region_name="us-east-1")   # made before the mock was ever started

import pytest_connect_email
import job  # the code under test: it swallows what its Connect call broke


class AppTest(unittest.TestCase):
    @pytest_connect_email.mock()
    def test_decorated(self):
        created = boto3.client("connect", region_name="us-east-1").create_instance(
            IdentityManagementType="CONNECT_MANAGED", InboundCallsEnabled=True, OutboundCallsEnabled=True)
        self.assertTrue(created["Id"])

    def test_context_manager_and_client_made_before(self):
        with pytest_connect_email.mock() as connect:
            assert connect.emulator is not None
            BEFORE.list_instances()
            env = connect.environ()
            assert env["AWS_ENDPOINT_URL_CONNECT"].startswith("http://127.0.0.1:")

    def test_contract_checked(self):
        with pytest_connect_email.mock():
            client = boto3.client("connect", region_name="us-east-1")
            with pytest_connect_email.expect_violation("maxLength"), self.assertRaises(AssertionError) as caught:
                client.create_email_address(InstanceId="i" * 101, EmailAddress="a@example.com")
            self.assertIn("script.py", str(caught.exception))

    def test_swallowed_violation_fails_the_block(self):
        with self.assertRaises(AssertionError) as caught, pytest_connect_email.mock():
            job.add_address(boto3.client("connect", region_name="us-east-1"))
        self.assertIn("broke their contract", str(caught.exception))


@pytest_connect_email.mock()
class DecoratedCase(unittest.TestCase):
    def setUp(self):
        self.client = boto3.client("connect", region_name="us-east-1")
        self.instance = self.client.create_instance(
            IdentityManagementType="CONNECT_MANAGED", InboundCallsEnabled=True, OutboundCallsEnabled=True)["Id"]

    def test_one(self):
        self.assertEqual(len(self.client.list_instances()["InstanceSummaryList"]), 1)

    def test_two_has_a_fresh_emulator(self):
        self.assertEqual(len(self.client.list_instances()["InstanceSummaryList"]), 1)


if __name__ == "__main__":
    unittest.main()
"""


MOCK_JOB = """
def add_address(client):
    try:
        client.create_email_address(InstanceId="i" * 101, EmailAddress="a@example.com")
    except AssertionError:
        pass  # the job logs and carries on
"""


def test_mock_outside_pytest(tmp_path: Path, environment: Blackhole) -> None:
    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent(MOCK_SCRIPT), encoding="utf-8")
    (tmp_path / "job.py").write_text(MOCK_JOB, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=120, cwd=tmp_path, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "Ran 6 tests" in done.stderr
    assert environment.connections == 0


def test_live_and_record_against_an_endpoint_readdress_application_calls(
    pytester: pytest.Pytester, environment: Blackhole
) -> None:
    """With --connect-endpoint-url, the application's clients (configured for the blackhole) reach that
    endpoint, signed with their own real-looking keys, which a served emulator accepts."""
    from pytest_connect_email.emulator import Emulator

    pytester.makepyfile(app=APP, test_app=APP_TESTS)
    tapes = pytester.path / "tapes"
    emulator = Emulator.create()
    try:
        with emulator.serve() as server:
            live = run(pytester, "-p", "connect_email", "--connect-mode=live", f"--connect-endpoint-url={server.url}")
            live.assert_outcomes(passed=1)
            recorded = run(
                pytester,
                "-p",
                "connect_email",
                "--connect-mode=record",
                f"--connect-endpoint-url={server.url}",
                f"--connect-cassette-dir={tapes}",
            )
            recorded.assert_outcomes(passed=1)
        assert len(emulator.backend.invoke("ListInstances", {})["InstanceSummaryList"]) == 2
    finally:
        emulator.backend.store.close()
    cassette = tapes / "test_app.py" / "test_application_calls_reach_the_emulator.connect.yaml"
    text = cassette.read_text(encoding="utf-8")
    assert REAL_LOOKING["AWS_ACCESS_KEY_ID"] not in text
    replayed = run(pytester, "-p", "connect_email", "--connect-mode=replay", f"--connect-cassette-dir={tapes}")
    replayed.assert_outcomes(passed=1)
    assert environment.connections == 0


def test_an_endpoint_with_a_path_stubber_tests_and_expected_violations(
    pytester: pytest.Pytester, environment: Blackhole
) -> None:
    os.environ["AWS_ENDPOINT_URL_CONNECT"] = "https://gateway.internal.example/connect"
    pytester.makepyfile(
        app=APP,
        test_app="""
        import boto3, pytest
        from botocore.stub import Stubber
        import pytest_connect_email
        import app

        def test_endpoint_with_a_path_prefix():
            client = boto3.client("connect", region_name="us-east-1", endpoint_url="https://gw.example/a/b")
            assert client.list_instances()["InstanceSummaryList"] == []
            assert app.new_instance()  # AWS_ENDPOINT_URL_CONNECT has a path too
            assert client.list_instances()["ResponseMetadata"]["RetryAttempts"] == 0

        def test_stubber_keeps_working():
            client = boto3.client("connect", region_name="us-east-1")
            with Stubber(client) as stub:
                stub.add_response("describe_email_address",
                                  {"EmailAddressId": "e-1", "EmailAddress": "stubbed@example.com"},
                                  {"InstanceId": "i-1", "EmailAddressId": "e-1"})
                stub.add_client_error("describe_email_address", "ResourceNotFoundException", http_status_code=404)
                assert client.describe_email_address(InstanceId="i-1", EmailAddressId="e-1")["EmailAddress"]
                with pytest.raises(client.exceptions.ResourceNotFoundException):
                    client.describe_email_address(InstanceId="i-1", EmailAddressId="e-1")

        def test_expected_violation_raised_or_swallowed():
            instance = app.new_instance()
            with pytest_connect_email.expect_violation("maxLength"):
                app.send_subject(instance, "support@example.com", "s" * 2000)
            with pytest_connect_email.expect_violation("maxLength"):
                try:
                    app.send_subject(instance, "support@example.com", "s" * 2000)
                except AssertionError:
                    pass

        def test_expected_violation_that_does_not_happen():
            with pytest_connect_email.expect_violation("maxLength"):
                app.new_instance()
        """,
    )
    result = run(pytester, "-p", "connect_email")
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines(["*expected a contract violation of [[]maxLength[]]*none happened*"])
    assert environment.connections == 0
