"""The HTTP face of the emulator: signatures, bad input (never a 5xx), the AWS CLI, the serve command."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from botocore.serialize import create_serializer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_connect_email.contracts import spec
from pytest_connect_email.emulator import Config, Emulator, RunningServer
from pytest_connect_email.emulator.codec import HttpRequest
from pytest_connect_email.fakes import strategies

from ..loopback import stop_serving
from .conftest import make_client


def send(
    url: str,
    method: str,
    path: str,
    body: bytes = b"",
    *,
    sign: tuple[str, str] | None = ("testing", "testing"),
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], Any]:
    """A raw HTTP request, signed with botocore's SigV4 like any SDK would (or not at all)."""
    request = AWSRequest(method=method, url=url + path, data=body, headers=headers or {})
    if sign is not None:
        SigV4Auth(Credentials(*sign), "connect", "us-east-1").add_auth(request)
    prepared = request.prepare()
    raw = urllib.request.Request(prepared.url, data=body or None, method=method, headers=dict(prepared.headers))
    try:
        with urllib.request.urlopen(raw, timeout=10) as response:
            status, answer_headers, payload = response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        status, answer_headers, payload = error.code, dict(error.headers), error.read()
    return status, answer_headers, json.loads(payload) if payload else None


# -- signatures ------------------------------------------------------------------------------------


def test_wrong_secret_and_missing_signature(server: RunningServer) -> None:
    status, headers, body = send(server.url, "GET", "/instance", sign=("testing", "wrong"))
    assert (status, headers["x-amzn-ErrorType"]) == (403, "InvalidSignatureException")
    status, headers, body = send(server.url, "GET", "/instance", sign=None)
    assert (status, headers["x-amzn-ErrorType"]) == (403, "InvalidSignatureException")
    assert body["Message"]


@pytest.mark.parametrize("key", ["FOOBARKEY", "AKIAIOSFODNN7EXAMPLE", "someone-else"])
def test_any_access_key_is_accepted_unless_strict(key: str) -> None:
    lenient, strict = Emulator.create(), Emulator.create(strict_auth=True)
    with lenient.serve() as open_server, strict.serve() as strict_server:
        status, _, body = send(open_server.url, "GET", "/instance", sign=(key, "whatever-secret"))
        assert (status, body) == (200, {"InstanceSummaryList": []})
        status, headers, _ = send(strict_server.url, "GET", "/instance", sign=(key, "whatever-secret"))
        assert (status, headers["x-amzn-ErrorType"]) == (403, "UnrecognizedClientException")
        status, headers, _ = send(strict_server.url, "GET", "/instance", sign=("testing", "wrong"))
        assert (status, headers["x-amzn-ErrorType"]) == (403, "InvalidSignatureException")


def test_a_tampered_body_fails_the_signature(server: RunningServer) -> None:
    request = AWSRequest(method="PUT", url=server.url + "/instance", data=b"{}")
    SigV4Auth(Credentials("testing", "testing"), "connect", "us-east-1").add_auth(request)
    prepared = request.prepare()
    raw = urllib.request.Request(prepared.url, data=b'{"x":1}', method="PUT", headers=dict(prepared.headers))
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(raw, timeout=10)
    assert info.value.code == 403


def test_extra_credentials_and_no_auth(tmp_path: Path) -> None:
    emulator = Emulator.create(credentials=[("AKIDEXTRA", "s3cret")])
    with emulator.serve() as running:
        client = make_client(running.url, aws_access_key_id="AKIDEXTRA", aws_secret_access_key="s3cret")
        assert client.list_instances()["InstanceSummaryList"] == []
        assert make_client(running.url).list_instances()["InstanceSummaryList"] == []  # the default pair too
    open_door = Emulator.create(auth_enabled=False)
    with open_door.serve() as running:
        status, _, body = send(running.url, "GET", "/instance", sign=None)
    assert (status, body) == (200, {"InstanceSummaryList": []})


def test_environment_credentials_replace_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDENV")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "envsecret")
    emulator = Emulator.create(strict_auth=True)
    assert emulator.credentials == {"AKIDENV": "envsecret"}
    with emulator.serve() as running, pytest.raises(ClientError) as info:
        make_client(running.url).list_instances()  # testing/testing is not accepted now, in strict mode
    assert info.value.response["Error"]["Code"] == "UnrecognizedClientException"
    emulator.backend.store.close()


# -- bad input -------------------------------------------------------------------------------------


@pytest.fixture
def instance_path(server: RunningServer) -> str:
    client = make_client(server.url)
    iid = client.create_instance(
        IdentityManagementType="CONNECT_MANAGED", InboundCallsEnabled=True, OutboundCallsEnabled=True
    )["Id"]
    return f"/email-addresses/{iid}"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"{not json", "SerializationException"),
        (b"\xff\xfe{}", "SerializationException"),
        (b"[1, 2]", "SerializationException"),
        (json.dumps({"EmailAddress": 5}).encode(), "InvalidParameterException"),
        (json.dumps({"EmailAddress": "a@example.com", "Bogus": 1}).encode(), "InvalidParameterException"),
    ],
)
def test_malformed_bodies_get_a_4xx(server: RunningServer, instance_path: str, body: bytes, code: str) -> None:
    status, headers, answer = send(server.url, "PUT", instance_path, body)
    assert 400 <= status < 500
    assert headers["x-amzn-ErrorType"] == code
    assert answer["Message"]


@pytest.mark.parametrize(
    "path",
    ["/no/such/path", "/email-addresses/i/a%2Fb", "/email-addresses/i/..%2F..", "/email-addresses/i/a/b/c/d"],
)
def test_unknown_paths_and_odd_ids_get_a_4xx(server: RunningServer, path: str) -> None:
    status, headers, answer = send(server.url, "GET", path)
    assert 400 <= status < 500, answer
    assert headers["x-amzn-ErrorType"] in {"UnknownOperationException", "ResourceNotFoundException"}


def test_query_parameter_of_the_wrong_type(server: RunningServer) -> None:
    status, headers, answer = send(server.url, "GET", "/instance?maxResults=many")
    assert (status, headers["x-amzn-ErrorType"]) == (400, "SerializationException")
    assert "maxResults" in answer["Message"]


def test_body_over_the_limit(emulator: Emulator, server: RunningServer, instance_path: str) -> None:
    emulator.backend.config.max_body_bytes = 1000
    status, headers, answer = send(server.url, "PUT", instance_path, b"{" + b" " * 2000 + b"}")
    assert (status, headers["x-amzn-ErrorType"]) == (413, "RequestEntityTooLargeException")
    assert "limit of 1000" in answer["Message"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    method=st.sampled_from(["GET", "PUT", "POST", "DELETE"]),
    path=st.sampled_from(["/instance", "/contact/email", "/email-addresses/i", "/email-addresses/i/e/associate-alias"]),
    body=st.one_of(
        st.binary(max_size=200),
        st.recursive(
            st.none() | st.integers() | st.text(max_size=20),
            lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=10), c, max_size=3),
            max_leaves=10,
        ).map(lambda d: json.dumps(d).encode()),
    ),
)
def test_arbitrary_requests_never_get_a_5xx(emulator: Emulator, method: str, path: str, body: bytes) -> None:
    request = HttpRequest(method=method, raw_path=path, body=body, headers={})
    emulator.auth = False
    response = emulator.handle(request)
    assert 200 <= response.status < 500, response.body


# -- the AWS CLI and the serve command -------------------------------------------------------------


def _aws(url: str, operation: str, params: dict[str, Any], *, unknown_ok: bool = False) -> Any:
    """One AWS CLI v1 call, parameters given as --cli-input-json (None: the CLI lacks the operation)."""
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
    env.update(AWS_DEFAULT_REGION="us-east-1", AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull)
    env.pop("AWS_PROFILE", None)
    command = [sys.executable, "-m", "awscli", "--endpoint-url", url, "--output", "json", "connect"]
    command += [spec.snake_name(operation).replace("_", "-"), "--cli-input-json", json.dumps(params)]
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=60, check=False)
    if unknown_ok and "Invalid choice" in result.stderr:
        return None
    assert result.returncode == 0, f"{operation}: {result.stderr}"
    return json.loads(result.stdout) if result.stdout.strip() else {}


def test_every_operation_through_the_aws_cli_v1(server: RunningServer) -> None:
    """The AWS CLI v1 signs without x-amz-content-sha256: the emulator hashes the body itself."""
    pytest.importorskip("awscli")
    url = server.url
    iid = _aws(
        url,
        "CreateInstance",
        {"IdentityManagementType": "CONNECT_MANAGED", "InboundCallsEnabled": True, "OutboundCallsEnabled": True},
    )["Id"]
    a = _aws(url, "CreateEmailAddress", {"InstanceId": iid, "EmailAddress": "cli@example.com"})["EmailAddressId"]
    b = _aws(url, "CreateEmailAddress", {"InstanceId": iid, "EmailAddress": "alias@example.com"})["EmailAddressId"]
    pair = {"InstanceId": iid, "EmailAddressId": a, "AliasConfiguration": {"EmailAddressId": b}}
    week = [{"Day": "MONDAY", "StartTime": {"Hours": 8, "Minutes": 0}, "EndTime": {"Hours": 17, "Minutes": 0}}]
    hours = _aws(url, "CreateHoursOfOperation", {"InstanceId": iid, "Name": "h", "TimeZone": "UTC", "Config": week})
    made = _aws(url, "CreateQueue", {"InstanceId": iid, "Name": "q", "HoursOfOperationId": hours["HoursOfOperationId"]})
    q = made["QueueId"]
    message = {
        "MessageSourceType": "RAW",
        "RawMessage": {"Subject": "Grüße", "Body": "Hallo", "ContentType": "text/plain"},
    }
    outbound = {
        "MessageSourceType": "RAW",
        "RawMessage": {"Subject": "Re", "Body": "Danke", "ContentType": "text/plain"},
    }
    steps: list[tuple[str, dict[str, Any]]] = [
        ("DescribeInstance", {"InstanceId": iid}),
        ("ListInstances", {}),
        ("UpdateEmailAddressMetadata", {"InstanceId": iid, "EmailAddressId": a, "DisplayName": "Støtte"}),
        ("AssociateEmailAddressAlias", pair),
        ("SearchEmailAddresses", {"InstanceId": iid}),
        ("DisassociateEmailAddressAlias", pair),
        (
            "AssociateQueueEmailAddresses",
            {"InstanceId": iid, "QueueId": q, "EmailAddressesConfig": [{"EmailAddressId": a}]},
        ),
        (
            "UpdateQueueOutboundEmailConfig",
            {"InstanceId": iid, "QueueId": q, "OutboundEmailConfig": {"OutboundEmailAddressId": a}},
        ),
        ("ListQueueEmailAddresses", {"InstanceId": iid, "QueueId": q}),
        ("TagResource", {"resourceArn": made["QueueArn"], "tags": {"team": "care", "tier": "gold"}}),
        ("UntagResource", {"resourceArn": made["QueueArn"], "tagKeys": ["tier", "zoë"]}),
        ("DisassociateQueueEmailAddresses", {"InstanceId": iid, "QueueId": q, "EmailAddressesId": [a]}),
        (
            "SendOutboundEmail",
            {
                "InstanceId": iid,
                "FromEmailAddress": {"EmailAddress": "cli@example.com"},
                "DestinationEmailAddress": {"EmailAddress": "k@example.net"},
                "EmailMessage": outbound,
                "TrafficType": "CAMPAIGN",
                "SourceCampaign": {"CampaignId": "c", "OutboundRequestId": "8c1f4c4e-5b7a-4f53-9d3c-2f0e8a6b1d2c"},
            },
        ),
    ]
    for operation, params in steps:
        _aws(url, operation, params)
    assert _aws(url, "DescribeQueue", {"InstanceId": iid, "QueueId": q})["Queue"]["Tags"] == {"team": "care"}
    shown = _aws(url, "DescribeEmailAddress", {"InstanceId": iid, "EmailAddressId": a})
    assert (shown["EmailAddress"], shown["DisplayName"]) == ("cli@example.com", "Støtte")
    start = {
        "InstanceId": iid,
        "FromEmailAddress": {"EmailAddress": "k@example.net"},
        "DestinationEmailAddress": "cli@example.com",
        "EmailMessage": message,
        "Attributes": {"k": "v"},
    }
    contact = _aws(url, "StartEmailContact", start)["ContactId"]
    assert _aws(url, "DescribeContact", {"InstanceId": iid, "ContactId": contact})["Contact"]["Channel"] == "EMAIL"
    assert _aws(url, "GetContactAttributes", {"InstanceId": iid, "InitialContactId": contact})["Attributes"] == {
        "k": "v"
    }
    reply = _aws(
        url,
        "CreateContact",
        {
            "InstanceId": iid,
            "Channel": "EMAIL",
            "InitiationMethod": "OUTBOUND",
            "UserInfo": {"UserId": "agent-1"},
            "RelatedContactId": contact,
        },
    )["ContactId"]
    # awscli 1.46 carries its own copy of botocore (1.43.62), whose model predates this operation.
    if (
        _aws(
            url,
            "UpdateOutboundEmailContactMessage",
            {
                "InstanceId": iid,
                "ContactId": reply,
                "EmailMessage": {"MessageSourceType": "RAW", "RawMessage": {"Body": "x", "ContentType": "text/plain"}},
            },
            unknown_ok=True,
        )
        is None
    ):
        assert "UpdateOutboundEmailContactMessage" in spec.OPERATIONS
    _aws(
        url,
        "StartOutboundEmailContact",
        {
            "InstanceId": iid,
            "ContactId": reply,
            "DestinationEmailAddress": {"EmailAddress": "k@example.net"},
            "EmailMessage": outbound,
        },
    )
    _aws(url, "DeleteEmailAddress", {"InstanceId": iid, "EmailAddressId": b})
    _aws(url, "DeleteInstance", {"InstanceId": iid})


def _start_ignoring_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # as a background job of a shell script starts


@pytest.mark.parametrize(
    "stop",
    [
        pytest.param(signal.SIGINT, id="ctrl-c-though-started-ignoring-it"),
        pytest.param(signal.SIGTERM, id="sigterm"),
    ],
)
def test_serve_command_prints_its_url_and_stops_on_ctrl_c_or_sigterm(tmp_path: Path, stop: signal.Signals) -> None:
    state = tmp_path / "state.sqlite"
    process = subprocess.Popen(
        [sys.executable, "-m", "pytest_connect_email.cli", "emulator", "serve", "--state", str(state)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_start_ignoring_sigint,
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        client = make_client(url)
        assert client.list_instances()["InstanceSummaryList"] == []
        client.create_instance(
            IdentityManagementType="CONNECT_MANAGED", InboundCallsEnabled=True, OutboundCallsEnabled=True
        )
    finally:
        stop_serving(process, stop)
    assert process.returncode == 0, process.stderr.read() if process.stderr else ""
    assert state.exists()


def test_serve_refuses_a_non_loopback_host() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pytest_connect_email.cli", "emulator", "serve", "--host", "0.0.0.0"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert "loopback only" in result.stderr


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
@pytest.mark.parametrize("operation", spec.OPERATIONS)
def test_invalid_requests_from_the_fakes_get_a_4xx(emulator: Emulator, operation: str, data: st.DataObject) -> None:
    """Serialise each invalid variant the way botocore would put it on the wire; expect a 4xx, never a 5xx."""
    rule, params = data.draw(strategies.invalid_requests(operation))
    op = spec.operation_model(operation)
    try:
        wire = create_serializer("rest-json", include_validation=False).serialize_to_request(params, op)
    except (TypeError, ValueError, KeyError, AttributeError):  # botocore cannot even put it on the wire
        return
    split = urlsplit(wire["url_path"])
    query = wire["query_string"]
    pairs = [(k, str(v)) for k, v in query.items()] if isinstance(query, dict) else parse_qsl(split.query)
    body = wire["body"] if isinstance(wire["body"], bytes) else str(wire["body"]).encode()
    request = HttpRequest(
        method=wire["method"], raw_path=split.path, query=pairs, headers=dict(wire["headers"]), body=body
    )
    response = emulator.handle(request, signed=False)
    assert 400 <= response.status < 500, (rule, response.body)


# -- framing (h11 under the server's socket loop) ------------------------------------------------------


@pytest.fixture
def open_server() -> Iterator[RunningServer]:
    emulator = Emulator.create(config=Config(read_timeout=1.0), auth_enabled=False)
    with emulator.serve() as running:
        yield running
    emulator.backend.store.close()


def test_expect_100_continue_is_answered_before_the_body(open_server: RunningServer) -> None:
    body = b'{"IdentityManagementType":"CONNECT_MANAGED","InboundCallsEnabled":true,"OutboundCallsEnabled":true}'
    with socket.create_connection((open_server.host, open_server.port), timeout=5) as sock:
        sock.sendall(
            b"PUT /instance HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nConnection: close\r\n"
            b"Content-Length: %d\r\n\r\n" % len(body)
        )
        assert sock.recv(65536) == b"HTTP/1.1 100 Continue\r\n\r\n"
        sock.sendall(body)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 200"), answer[:300]


@pytest.mark.parametrize(
    ("data", "status", "budget"),
    [
        (b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414, b"MAX_REQUEST_HEAD_BYTES"),
        (b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 70_000 + b"\r\n\r\n", 431, b"MAX_REQUEST_HEAD_BYTES"),
        (
            b"GET / HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-%d: 1\r\n" % n for n in range(101)) + b"\r\n",
            431,
            b"MAX_REQUEST_HEADERS",
        ),
    ],
    ids=["long-request-line", "long-header", "101-headers"],
)
def test_a_head_over_its_budget_is_refused_naming_it(
    open_server: RunningServer, data: bytes, status: int, budget: bytes
) -> None:
    with socket.create_connection((open_server.host, open_server.port), timeout=5) as sock:
        with contextlib.suppress(OSError):
            sock.sendall(data)
        answer = b""
        with contextlib.suppress(OSError):
            while chunk := sock.recv(65536):
                answer += chunk
    assert answer.startswith(b"HTTP/1.1 %d " % status), answer[:300]
    assert budget in answer


# -- attached files: the pre-signed URLs a served emulator answers ------------------------------------------


def _put(url: str, body: bytes) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=body, method="PUT")
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return int(answer.status), answer.read()
    except urllib.error.HTTPError as error:
        return int(error.code), error.read()


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return int(answer.status), answer.read()
    except urllib.error.HTTPError as error:
        return int(error.code), error.read()


def test_an_attachment_is_uploaded_and_downloaded_through_its_urls(open_server: RunningServer) -> None:
    """The upload URL takes exactly the announced bytes; the download URL of the APPROVED file serves them; a URL
    with another token, or one not yet APPROVED, is refused."""
    client = make_client(open_server.url)
    iid = client.create_instance(
        IdentityManagementType="CONNECT_MANAGED", InboundCallsEnabled=True, OutboundCallsEnabled=True
    )["Id"]
    client.create_email_address(InstanceId=iid, EmailAddress="support@example.com")
    contact = client.start_email_contact(
        InstanceId=iid,
        FromEmailAddress={"EmailAddress": "k@example.net"},
        DestinationEmailAddress="support@example.com",
        EmailMessage={
            "MessageSourceType": "RAW",
            "RawMessage": {"Subject": "s", "Body": "b", "ContentType": "text/plain"},
        },
    )["ContactId"]
    files = {
        "InstanceId": iid,
        "AssociatedResourceArn": client.describe_contact(InstanceId=iid, ContactId=contact)["Contact"]["Arn"],
    }
    body = "Grüße, Anhang".encode()
    started = client.start_attached_file_upload(
        **files, FileName="gruss.txt", FileSizeInBytes=len(body), FileUseCaseType="ATTACHMENT"
    )
    upload = started["UploadUrlMetadata"]
    assert upload["Url"].startswith(open_server.url + "/")
    assert upload["HeadersToInclude"] == {"Content-Length": str(len(body))}
    assert _put(upload["Url"], body[:-1])[0] == 400  # not the announced size
    assert _put(upload["Url"].replace("upload=", "upload=x"), body)[0] == 403  # another token
    assert _put(upload["Url"], body)[0] == 200
    pending = client.get_attached_file(**files, FileId=started["FileId"])
    assert "DownloadUrlMetadata" not in pending
    client.complete_attached_file_upload(**files, FileId=started["FileId"])
    download = client.get_attached_file(**files, FileId=started["FileId"])["DownloadUrlMetadata"]["Url"]
    assert _get(download) == (200, body)
    assert _get(download.replace("download=", "download=x"))[0] == 403
    assert _get(upload["Url"])[0] == 403  # an upload URL does not download
    references = client.list_contact_references(InstanceId=iid, ContactId=contact, ReferenceTypes=["EMAIL_MESSAGE"])
    message_id = references["ReferenceSummaryList"][0]["EmailMessage"]["Arn"].rsplit("/", 1)[1]
    message = client.get_attached_file(**files, FileId=message_id)
    assert (message["FileUseCaseType"], message["FileStatus"]) == ("EMAIL_MESSAGE", "APPROVED")
    status, text = _get(message["DownloadUrlMetadata"]["Url"])
    assert (status, json.loads(text)["RawMessage"]["Subject"]) == (200, "s")
    assert len(text) == message["FileSizeInBytes"]
    assert _get(message["DownloadUrlMetadata"]["Url"].replace("download=", "download=x"))[0] == 403
