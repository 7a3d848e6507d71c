"""A live target is judged on what it sent: nothing is added to its answers before the checks see them (a
target that sends no ``x-amzn-RequestId`` fails PROTO-001), and an endpoint that lacks an operation is
reported "not implemented" in one line that says its status, its code and its text once each."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config

from pytest_connect_email.emulator import Emulator
from pytest_connect_email.emulator.codec import HttpRequest, HttpResponse
from pytest_connect_email.routing import client as checked_client
from tests.loopback import serving

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestAssertRewriteWarning")

HTML_404 = (
    b"<!DOCTYPE html><html><head><title>404 Not Found</title></head>\n<body><h1>Not Found</h1>\n"
    b"<p>The requested URL was not found on this server.</p>" + b"<p>" + b"padding " * 40 + b"</p></body></html>\n"
)


@pytest.fixture
def html_404(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A web server that knows no Connect operation: every request gets an HTML 404 page."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")  # live mode signs its requests
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    yield from serving(lambda _: HttpResponse(404, {"Content-Type": "text/html; charset=utf-8"}, HTML_404))


@pytest.fixture
def without_request_ids() -> Iterator[tuple[str, str]]:
    """The reference emulator over HTTP, its answers stripped of x-amzn-RequestId; and an instance of it."""
    emulator = Emulator.create(auth_enabled=False)

    def answer(request: HttpRequest) -> HttpResponse:
        response = emulator.handle(request, signed=False)
        assert any(k.lower() == "x-amzn-requestid" for k in response.headers)  # the emulator names its answers
        headers = {k: v for k, v in response.headers.items() if k.lower() != "x-amzn-requestid"}
        return HttpResponse(response.status, headers, response.body)

    for url in serving(answer):
        made = _client(url).create_instance(
            IdentityManagementType="CONNECT_MANAGED",
            InstanceAlias="no-ids",
            InboundCallsEnabled=True,
            OutboundCallsEnabled=False,
        )
        yield url, str(made["Id"])


def _client(url: str) -> Any:
    return boto3.client(
        "connect",
        region_name="us-east-1",
        endpoint_url=url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"total_max_attempts": 1}),
    )


def test_the_served_target_really_sends_no_request_id(without_request_ids: tuple[str, str]) -> None:
    url, instance = without_request_ids
    answer = _client(url).describe_instance(InstanceId=instance)
    assert "x-amzn-requestid" not in answer["ResponseMetadata"]["HTTPHeaders"]
    assert "RequestId" not in answer["ResponseMetadata"]


def test_a_live_target_without_request_ids_fails_proto_001(
    pytester: pytest.Pytester, without_request_ids: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, instance = without_request_ids
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    live = ("--connect-mode=live", f"--connect-endpoint-url={url}", f"--connect-instance-id={instance}")
    result = pytester.runpytest(
        "-p", "connect_email", "-p", "no:cacheprovider", "--connect-conformance", *live, "-k", "PROTO-001 or PROTO-002",
    )  # fmt: skip
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*answers without x-amzn-RequestId: [[]'AssociateEmailAddressAlias 200'*"])
    result.stdout.fnmatch_lines(["FAILED *conformance/protocol.py::test_every_answer_has_a_request_id*"])


def test_the_embedded_emulator_passes_proto_001(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest(
        "-p", "connect_email", "-p", "no:cacheprovider", "--connect-conformance", "-k", "PROTO-001"
    )
    result.assert_outcomes(passed=1)


def test_not_implemented_says_each_thing_once(html_404: str) -> None:
    connect = checked_client.checked(_client(html_404))
    with pytest.raises(checked_client.EndpointNotImplemented) as raised:
        connect.describe_email_address(InstanceId="i-1", EmailAddressId="a-1")
    message = str(raised.value)
    assert message.startswith(
        "DescribeEmailAddress is not implemented by the endpoint: HTTP 404 Not Found: "
        "The requested URL was not found on this server. padding padding"
    ), message
    assert message.count("404") == 1
    assert message.count("Not Found") == 1
    assert "\n" not in message
    assert "<" not in message
    text = message.split("HTTP 404 Not Found: ", 1)[1]
    assert len(text) == checked_client.SUMMARY_CHARS, text
    assert text.endswith("...")
    assert (raised.value.status, raised.value.code) == (404, "404")


@pytest.mark.parametrize(
    ("status", "code", "text", "said"),
    [
        (400, "UnknownOperationException", "X is gone", "HTTP 400 UnknownOperationException: X is gone"),
        (404, "404", "Not Found", "HTTP 404 Not Found"),
        (501, "501", "", "HTTP 501 Not Implemented: (empty answer)"),
        (404, "404", "HTTP 404: 404 Not Found: no route", "HTTP 404 Not Found: no route"),
        (405, "", "<h1>405 Method Not Allowed</h1>", "HTTP 405 Method Not Allowed"),
        (404, "404", "404s are rare here", "HTTP 404 Not Found: 404s are rare here"),
    ],
)
def test_the_summary_of_an_answer(status: int, code: str, text: str, said: str) -> None:
    assert checked_client.answer_summary(status, code, text) == said


def test_the_conformance_run_prints_one_line_per_missing_operation(pytester: pytest.Pytester, html_404: str) -> None:
    live = ("--connect-mode=live", f"--connect-endpoint-url={html_404}", "--connect-instance-id=i-1")
    result = pytester.runpytest(
        "-p", "connect_email", "-p", "no:cacheprovider", "--connect-conformance", *live, "-k", "ADDR-001", "-rs",
    )  # fmt: skip
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(
        ["*ADDR-001 not implemented: CreateEmailAddress is not implemented by the endpoint: "
         "HTTP 404 Not Found: The requested URL was not found on this server. padding*"]
    )  # fmt: skip
    assert "404 404" not in result.stdout.str()
    assert "Not Found Not Found" not in result.stdout.str()
