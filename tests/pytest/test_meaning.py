"""A new user's existing tests keep their meaning under ``-p connect_email``: a request botocore refuses
still raises ``ParamValidationError``; a violation the test expects (``pytest.raises`` in either form,
``assertRaises``) does not fail it, one the application swallows does; and a contract failure shows the
application's call site and the violations, never botocore's frames nor the customer's address."""

from __future__ import annotations

import unittest

import pytest

#: Plugins the projects here do not use, left out of each in-process run for its start-up time.
QUIET: tuple[str, ...] = ("-p", "no:cacheprovider", "-p", "no:hypothesispytest", "-p", "no:faker")
QUIET += ("-p", "no:recording", "-p", "no:xdist", "-p", "no:randomly")

#: The customer's address as an application holds it (a display name too): never printed by a failure.
CUSTOMER = "Alice Liddell <alice.liddell@wonderland-corp.example>"

#: An email-routing application with its own client; nothing here knows about the plugin.
APP = f"""
import logging

import boto3

CONNECT = boto3.client("connect", region_name="us-east-1")
INSTANCE = "0c5b5f8e-6a8e-4f7c-9d5e-2f4a1b3c4d5e"
CUSTOMER = {CUSTOMER!r}


def ingest(subject):
    return CONNECT.start_email_contact(
        InstanceId=INSTANCE,
        FromEmailAddress={{"EmailAddress": "customer@example.org"}},
        DestinationEmailAddress="support@example.com",
        EmailMessage={{"MessageSourceType": "RAW",
                      "RawMessage": {{"Subject": subject, "Body": "hello", "ContentType": "text/plain"}}}},
    )


def ingest_and_log(subject):
    try:
        return ingest(subject)
    except Exception:
        logging.getLogger("app").exception("could not ingest")  # the application carries on


def reply(address):
    return CONNECT.start_email_contact(
        InstanceId=INSTANCE,
        FromEmailAddress={{"EmailAddress": address}},
        DestinationEmailAddress="support@example.com",
        EmailMessage={{"MessageSourceType": "RAW",
                      "RawMessage": {{"Subject": "re", "Body": "hello", "ContentType": "text/plain"}}}},
        Description=address,
    )


def label(address):
    return CONNECT.create_email_address(
        InstanceId=INSTANCE, EmailAddress="support@example.com", Tags={{address: "vip"}}
    )


def tag(address):
    return CONNECT.create_email_address(InstanceId={{"owner": address}}, EmailAddress="support@example.com")
"""


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest("-p", "connect_email", *QUIET, *args)


def test_a_request_botocore_refuses_still_raises_param_validation_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_stubber_style="""
        import boto3, pytest
        from botocore.exceptions import ParamValidationError
        from pytest_connect_email import ContractViolation

        def test_missing_members():
            client = boto3.client("connect", region_name="us-east-1")
            with pytest.raises(ParamValidationError, match='Missing required parameter in input: "EmailMessage"'):
                client.start_email_contact(InstanceId="x")
            with pytest.raises(ContractViolation) as caught:  # the same error, with the contract report
                client.start_email_contact(InstanceId="x")
            assert "[required]" in str(caught.value)

        def test_wrong_type():
            client = boto3.client("connect", region_name="us-east-1")
            with pytest.raises(ParamValidationError, match="Invalid type for parameter InstanceId"):
                client.describe_email_address(InstanceId=5, EmailAddressId="e-1")

        def test_a_rule_botocore_does_not_check_stays_a_contract_violation():
            client = boto3.client("connect", region_name="us-east-1")
            with pytest.raises(ContractViolation) as caught:
                client.describe_email_address(InstanceId="i" * 101, EmailAddressId="e-1")
            assert not isinstance(caught.value, ParamValidationError)
            assert isinstance(caught.value, AssertionError)
        """
    )
    run(pytester).assert_outcomes(passed=3)


def test_violations_the_test_expects_pass_and_swallowed_ones_fail(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        app=APP,
        test_app="""
        import unittest
        import pytest
        import pytest_connect_email
        from pytest_connect_email import ContractViolation
        import app

        def test_raises_as_context_manager():
            with pytest.raises(Exception):
                app.ingest("x" * 2000)

        def test_raises_as_callable():
            pytest.raises(ContractViolation, app.ingest, "x" * 2000)

        def test_expect_violation():
            with pytest_connect_email.expect_violation("maxLength"):
                app.ingest("x" * 2000)

        def test_app_swallows():
            app.ingest_and_log("x" * 2000)

        class TestUnittest(unittest.TestCase):
            def test_assert_raises(self):
                with self.assertRaises(AssertionError):
                    app.ingest("x" * 2000)

            def test_assert_raises_callable(self):
                self.assertRaises(ContractViolation, app.ingest, "x" * 2000)
        """,
    )
    result = run(pytester)
    result.assert_outcomes(passed=5, failed=1)
    result.stdout.fnmatch_lines(["FAILED test_app.py::test_app_swallows*"])
    result.stdout.fnmatch_lines(["*Connect calls of this test broke their contract*", "*[[]maxLength[]]*"])


def test_a_contract_failure_shows_the_call_site_and_no_customer_data(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        app=APP,
        test_app="""
        import app

        def test_reply():
            app.reply(app.CUSTOMER)

        def test_tag():
            app.tag(app.CUSTOMER)

        def test_label():
            app.label(app.CUSTOMER)
        """,
    )
    result = run(pytester, "--junitxml=junit.xml")
    result.assert_outcomes(failed=3)
    out = result.stdout.str()
    junit = (pytester.path / "junit.xml").read_text(encoding="utf-8")
    assert 'FromEmailAddress={"EmailAddress": address},' in out  # the application's call, as written
    assert "app.py:" in out
    assert "[EMAIL-ADDR-001]" in out  # the violations, each with its field and rule
    assert "Invalid type for parameter InstanceId, value: <redacted" in out  # botocore's report, redacted
    assert "/Tags/A*** L*** <a***@w***.example>: [pattern]" in out  # a map key: masked, its shape kept
    for text in (out, junit):
        assert "hooks.py" not in text
        assert "_emit" not in text
        assert "botocore" + "/client.py" not in text
        assert "alice.liddell" not in text
        assert "wonderland-corp" not in text
        assert "Liddell" not in text


def test_mask_keeps_the_shape_and_hides_the_customer() -> None:
    from pytest_connect_email.contracts.validator import mask

    assert mask("'alice@corp.example.com'") == "'a***@c***.com'"
    assert mask(repr(CUSTOMER)) == "'A*** L*** <a***@w***.example>'"
    assert mask("'alice@corp.exa...") == "'a***@c***.exa"  # a value cut short
    assert mask("2000 characters") == "2000 characters"


def test_a_mock_block_fails_only_for_what_its_code_swallowed(pytester: pytest.Pytester) -> None:
    """Outside pytest's hooks, ``mock()`` judges the same way when the block ends."""
    import boto3
    from botocore.exceptions import ParamValidationError

    import pytest_connect_email
    from pytest_connect_email import ContractViolation

    pytester.syspathinsert()
    pytester.makepyfile(
        job="""
        def send(client, instance):
            return client.describe_email_address(InstanceId=instance, EmailAddressId="e-1")

        def send_and_log(client, instance):
            try:
                send(client, instance)
            except Exception as exc:
                print("logged", type(exc).__name__)
        """
    )
    import job  # type: ignore[import-not-found]  # written just above

    with pytest_connect_email.mock():
        client = boto3.client("connect", region_name="us-east-1")
        with pytest.raises(ParamValidationError):
            client.start_email_contact(InstanceId="x")
        # unittest's machinery catching on the block's behalf is what this checks
        unittest.TestCase().assertRaises(ContractViolation, job.send, client, "i" * 101)  # noqa: PT027
    with pytest.raises(AssertionError, match=r"1 Connect call\(s\) broke their contract"), pytest_connect_email.mock():
        job.send_and_log(boto3.client("connect", region_name="us-east-1"), "i" * 101)
