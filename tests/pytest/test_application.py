"""Testing an application's own Connect code: what it sent (``connect_calls``, ``mock().calls``) and
Connect failing on purpose (``connect_faults``, ``mock().faults``), answered inside botocore's retry
loop so that the client's retry configuration behaves as it does against AWS."""

from __future__ import annotations

import os
import time

import boto3
import pytest
from botocore.config import Config

import pytest_connect_email
from pytest_connect_email.routing import intercept
from tests.conftest import run_plugin

#: An application that knows nothing of the plugin: it makes its own client, with no endpoint or credentials.
APP = """
import boto3
from botocore.config import Config


def client(mode="legacy", attempts=None, read_timeout=60):
    retries = {"mode": mode} if attempts is None else {"mode": mode, "max_attempts": attempts}
    return boto3.client("connect", region_name="us-east-1", config=Config(retries=retries, read_timeout=read_timeout))


def forward(instance_id, to, subject, **config):
    answer = client(**config).start_email_contact(
        InstanceId=instance_id,
        FromEmailAddress={"EmailAddress": "customer@example.org"},
        DestinationEmailAddress=to,
        EmailMessage={
            "MessageSourceType": "RAW",
            "RawMessage": {"Subject": subject, "Body": "hello", "ContentType": "text/plain"},
        },
    )
    return answer
"""


@pytest.fixture
def project(bare_project: pytest.Pytester) -> pytest.Pytester:
    """The application has no credentials nor endpoint: nothing is signed or sent."""
    bare_project.makepyfile(app=APP)
    return bare_project


run = run_plugin


def test_connect_calls_lists_what_the_application_and_the_fixtures_sent(project: pytest.Pytester) -> None:
    project.makepyfile(
        test_app="""
        import app


        def test_forward(connect_instance_id, email_address, connect_calls):
            support = email_address("support")
            app.forward(connect_instance_id, support.address, "Order 42")

            started = connect_calls.of("StartEmailContact")
            assert started[0].params["EmailMessage"]["RawMessage"]["Subject"] == "Order 42"
            assert started[0].params["DestinationEmailAddress"] == support.address
            assert started[0].response["ContactId"] and started[0].error is None
            operations = [call.operation for call in connect_calls]
            assert operations == ["CreateInstance", "CreateEmailAddress", "StartEmailContact"], operations
            assert connect_calls.of("start_email_contact") == started


        def test_the_next_test_starts_empty(connect_calls):
            assert list(connect_calls) == []
        """
    )
    run(project).assert_outcomes(passed=2)


def test_a_subprocess_through_connect_endpoint_is_listed(project: pytest.Pytester) -> None:
    project.makepyfile(
        test_cli="""
        import json, os, subprocess, sys

        AWS = os.path.join(os.path.dirname(sys.executable), "aws")


        def test_cli(connect_endpoint, connect_calls, connect_instance_id):
            out = subprocess.run(
                [AWS, "connect", "list-instances"], env=connect_endpoint.env, check=True, capture_output=True
            ).stdout
            listed = connect_calls.of("ListInstances")
            assert len(listed) == 1 and listed[0].error is None
            ids = [instance["Id"] for instance in json.loads(out)["InstanceSummaryList"]]
            assert [instance["Id"] for instance in listed[0].response["InstanceSummaryList"]] == ids
            assert [call.operation for call in connect_calls] == ["CreateInstance", "ListInstances"]
        """
    )
    run(project).assert_outcomes(passed=1)


def test_faults_are_answered_inside_botocores_retry_loop(project: pytest.Pytester) -> None:
    project.makepyfile(
        test_retries="""
        import types

        import botocore.endpoint
        import pytest
        from botocore.exceptions import ClientError

        import app


        @pytest.fixture(autouse=True)
        def no_backoff(monkeypatch):
            slept = []  # the backoff botocore asks for between attempts, not waited here
            monkeypatch.setattr(botocore.endpoint, "time", types.SimpleNamespace(sleep=slept.append))
            return slept


        @pytest.mark.parametrize("mode", ["standard", "legacy", "adaptive"])
        def test_retried_until_it_passes(mode, connect_instance_id, email_address, connect_faults, connect_calls,
                                         no_backoff):
            connect_faults.add("StartEmailContact", "ThrottlingException", times=2)
            answer = app.forward(connect_instance_id, email_address().address, "s", mode=mode, attempts=3)
            assert answer["ResponseMetadata"]["RetryAttempts"] == 2
            assert [c.error for c in connect_calls.of("StartEmailContact")] == ["ThrottlingException"] * 2 + [None]
            assert len(no_backoff) >= 2  # botocore backed off between attempts, as against AWS


        # botocore's max_attempts counts the retries after the first attempt (total_max_attempts counts all)
        @pytest.mark.parametrize(("mode", "retries"), [("standard", 2), ("legacy", 4), ("adaptive", 1)])
        def test_gives_up_after_max_attempts(mode, retries, connect_instance_id, connect_faults, connect_calls):
            connect_faults.add("StartEmailContact", "ThrottlingException", times=9)
            with pytest.raises(ClientError) as raised:  # what a Stubber-style test expects
                app.forward(connect_instance_id, "support@example.com", "s", mode=mode, attempts=retries)
            error = raised.value.response
            assert error["Error"]["Code"] == "ThrottlingException"
            assert error["ResponseMetadata"]["HTTPStatusCode"] == 429  # the model's status for the shape
            assert error["ResponseMetadata"]["RetryAttempts"] == retries
            assert len(connect_calls.of("StartEmailContact")) == retries + 1


        def test_a_modelled_error_that_is_not_retried(connect_instance_id, connect_faults, connect_calls):
            connect_faults.add("StartEmailContact", "ResourceNotFoundException")
            client = app.client(mode="standard", attempts=5)
            with pytest.raises(client.exceptions.ResourceNotFoundException):
                app.forward(connect_instance_id, "support@example.com", "s", mode="standard", attempts=5)
            assert len(connect_calls.of("StartEmailContact")) == 1


        def test_faults_last_for_their_test(connect_faults):
            assert connect_faults.pending == []
        """
    )
    run(project).assert_outcomes(passed=8)


def test_a_code_the_model_does_not_list_is_refused_naming_the_valid_ones() -> None:
    faults = pytest_connect_email.Faults()
    with pytest.raises(ValueError, match=r"does not answer 'TooManyRequestsException'.*InvalidRequestException"):
        faults.add("ListInstances", "TooManyRequestsException")
    faults.add("ListInstances", "ThrottlingException")  # common to every action, though the model omits it
    faults.add("StartEmailContact", "IdempotencyException")
    with pytest.raises(ValueError, match="times must be a positive int"):
        faults.add("ListInstances", "ThrottlingException", times=0)
    with pytest.raises(ValueError, match="delay must be between 0 and 30"):
        faults.add("ListInstances", delay=31)
    with pytest.raises(ValueError, match="give an error_code, a delay, or both"):
        faults.add("ListInstances")
    with pytest.raises(ValueError, match="SendEmail"):
        faults.add("SendEmail", "ThrottlingException")


def test_a_delay_longer_than_the_read_timeout_is_a_timeout_botocore_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [k for k in os.environ if k.startswith("AWS_")]:
        monkeypatch.delenv(name)
    from botocore.exceptions import ReadTimeoutError

    with pytest_connect_email.mock() as connect:
        patient = boto3.client("connect", region_name="us-east-1")
        connect.faults.add("ListInstances", delay=0.2)
        start = time.perf_counter()
        assert patient.list_instances()["InstanceSummaryList"] == []
        assert time.perf_counter() - start >= 0.2  # late, not failed

        impatient = boto3.client(
            "connect",
            region_name="us-east-1",
            config=Config(read_timeout=0.05, retries={"mode": "standard", "total_max_attempts": 2}),
        )
        connect.faults.add("ListInstances", delay=0.5)
        assert impatient.list_instances()["ResponseMetadata"]["RetryAttempts"] == 1
        connect.faults.add("ListInstances", delay=0.5, times=2)
        with pytest.raises(ReadTimeoutError):
            impatient.list_instances()
    timeout = "ReadTimeoutError"
    assert [call.error for call in connect.calls] == [None, timeout, None, timeout, timeout]


def test_mock_calls_and_faults_outside_pytest(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [k for k in os.environ if k.startswith("AWS_")]:
        monkeypatch.delenv(name)
    with pytest_connect_email.mock() as connect:
        client = boto3.client("connect", region_name="us-east-1")
        instance = client.create_instance(
            IdentityManagementType="CONNECT_MANAGED", InboundCallsEnabled=True, OutboundCallsEnabled=True
        )["Id"]
        connect.faults.add("DescribeInstance", "ThrottlingException")
        assert client.describe_instance(InstanceId=instance)["ResponseMetadata"]["RetryAttempts"] == 1
        # a client over the loopback front (as a subprocess would reach it) is recorded and faulted too
        served = intercept.exempt(
            boto3.client(
                "connect",
                region_name="us-east-1",
                endpoint_url=connect.url,
                aws_access_key_id="testing",
                aws_secret_access_key="testing",
                config=Config(retries={"mode": "standard", "total_max_attempts": 1}),
            )
        )
        connect.faults.add("ListInstances", "InternalServiceException")
        with pytest.raises(served.exceptions.InternalServiceException):
            served.list_instances()
        assert served.list_instances()["InstanceSummaryList"][0]["Id"] == instance
    assert [(call.operation, call.error) for call in connect.calls] == [
        ("CreateInstance", None),
        ("DescribeInstance", "ThrottlingException"),
        ("DescribeInstance", None),
        ("ListInstances", "InternalServiceException"),
        ("ListInstances", None),
    ]
    assert connect.calls[0].params["IdentityManagementType"] == "CONNECT_MANAGED"
    assert connect.calls[2].response is not None
    assert connect.calls[2].response["Instance"]["Id"] == instance
    assert connect.calls[1].response is None


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """botocore's backoff between attempts is asked for, not waited (the only use of ``time`` in its endpoint)."""
    import types

    import botocore.endpoint

    slept: list[float] = []
    monkeypatch.setattr(botocore.endpoint, "time", types.SimpleNamespace(sleep=slept.append))
    return slept


def test_the_two_fixtures_turn_the_plugin_on_for_their_test_alone(project: pytest.Pytester) -> None:
    """Without -p connect_email, a test that asks for connect_faults or connect_calls is routed (its
    faults apply, its calls are listed), as a test asking for any other Connect fixture is."""
    project.makepyfile(
        test_alone="""
        from botocore.exceptions import ClientError
        import pytest

        import app


        def test_faulted(connect_faults):
            connect_faults.add("ListInstances", "ThrottlingException", times=10)
            with pytest.raises(ClientError, match="ThrottlingException"):
                app.client(attempts=0).list_instances()


        def test_listed(connect_calls):
            app.client().list_instances()
            assert [c.operation for c in connect_calls] == ["ListInstances"]
        """
    )
    project.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=2)
