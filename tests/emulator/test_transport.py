"""The transports' own behaviour: ``x-amzn-RequestId`` on every answer, and HTTP/1.1 persistent connections.

Request ids are checked as botocore reads them (``ResponseMetadata.RequestId``) on both transports,
and on raw HTTP answers of every kind: success, service errors, framing errors, 503 over the
connection cap, errors of the request line. Keep-alive is checked from both ends: the client's local
port, and the connections the server accepted.
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

import pytest_connect_email
from pytest_connect_email.emulator import Config, Emulator, RunningServer
from pytest_connect_email.emulator import server as server_module

from .conftest import make_client

CREATE = b'{"IdentityManagementType":"CONNECT_MANAGED","InboundCallsEnabled":true,"OutboundCallsEnabled":true}'


def is_uuid(value: Any) -> bool:
    try:
        return bool(str(uuid.UUID(str(value))) == value)
    except ValueError:
        return False


@pytest.fixture
def open_emulator() -> Iterator[Emulator]:
    """No signature check, a short read timeout and a small connection cap, for raw requests."""
    emu = Emulator.create(config=Config(read_timeout=1.0, max_connections=4, max_body_bytes=1000), auth_enabled=False)
    yield emu
    emu.backend.store.close()


@pytest.fixture
def accepted(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, int]]:
    """Every connection the server accepts: (socket, its TCP_NODELAY option after acceptance)."""
    seen: list[tuple[Any, int]] = []
    original = server_module._Server.process_request

    def counting(self: Any, request: Any, client_address: Any) -> None:
        original(self, request, client_address)
        seen.append((request, request.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)))

    monkeypatch.setattr(server_module._Server, "process_request", counting)
    return seen


@pytest.fixture
def open_server(open_emulator: Emulator, accepted: list[tuple[Any, int]]) -> Iterator[RunningServer]:
    with open_emulator.serve() as running:
        yield running


def raw(server: RunningServer, data: bytes, timeout: float = 5.0) -> bytes:
    """Send raw bytes on a fresh connection; read until the server closes (or ``timeout``)."""
    with socket.create_connection((server.host, server.port), timeout=timeout) as sock:
        with contextlib.suppress(OSError):
            sock.sendall(data)
        chunks = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                chunk = sock.recv(65536)
            except (TimeoutError, ConnectionResetError):
                break
            if not chunk:
                break
            chunks.append(chunk)
    return b"".join(chunks)


def request_ids(answer: bytes) -> list[str]:
    return [
        line.split(b":", 1)[1].strip().decode()
        for line in answer.split(b"\r\n")
        if line.lower().startswith(b"x-amzn-requestid:")
    ]


# -- x-amzn-RequestId -----------------------------------------------------------------------------


def test_every_call_gets_its_own_request_id(client: Any) -> None:
    """Both transports (the ``client`` fixture is in-process and over HTTP), success and error alike."""
    ids = [client.list_instances()["ResponseMetadata"]["RequestId"] for _ in range(5)]
    with pytest.raises(ClientError) as info:
        client.describe_instance(InstanceId="no-such-instance")
    ids.append(info.value.response["ResponseMetadata"]["RequestId"])
    assert info.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert all(is_uuid(value) for value in ids), ids
    assert len(set(ids)) == len(ids)


def test_request_ids_through_the_process_wide_mock() -> None:
    with pytest_connect_email.mock():
        connect = make_client()
        first = connect.list_instances()["ResponseMetadata"]["RequestId"]
        with pytest.raises(ClientError) as info:
            connect.describe_instance(InstanceId="missing")
    second = info.value.response["ResponseMetadata"]["RequestId"]
    assert is_uuid(first)
    assert is_uuid(second)
    assert first != second


def test_signature_errors_over_http_carry_a_request_id(server: RunningServer) -> None:
    wrong = make_client(server.url, aws_secret_access_key="wrong")
    with pytest.raises(ClientError) as info:
        wrong.list_instances()
    assert info.value.response["Error"]["Code"] == "InvalidSignatureException"
    assert is_uuid(info.value.response["ResponseMetadata"]["RequestId"])


@pytest.mark.parametrize(
    ("data", "status"),
    [
        (b"GET /instance HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 200),
        (b"GET /no/such/path HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 400),
        (b"PUT /instance HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n{}", 413),
        (b"PUT /instance HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n{}", 400),
        (b"PUT /instance HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}", 400),
        (b"PUT /instance HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n", 400),
        (b"GET /instance HTTP/9.9\r\nHost: x\r\n\r\n", 505),
        (b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\n\r\n", 414),
        (b"GET /instance HTTP/1.1\r\n" + b"".join(b"X-%d: 1\r\n" % n for n in range(150)) + b"\r\n", 431),
    ],
    ids=[
        "ok",
        "unknown-path",
        "too-large",
        "bad-length",
        "two-lengths",
        "bad-chunk",
        "version",
        "long-line",
        "headers",
    ],
)
def test_raw_answers_of_every_kind_carry_a_request_id(open_server: RunningServer, data: bytes, status: int) -> None:
    answer = raw(open_server, data)
    assert answer.startswith(b"HTTP/1.1 %d " % status), answer[:200]
    ids = request_ids(answer)
    assert len(ids) == 1, answer[:400]
    assert is_uuid(ids[0])
    if status >= 400:
        assert b'"__type"' in answer


def test_the_503_over_the_connection_cap_carries_a_request_id(open_server: RunningServer) -> None:
    busy = [socket.create_connection((open_server.host, open_server.port), timeout=5) for _ in range(4)]
    try:
        for sock in busy:  # half a request each: every one holds a thread
            sock.sendall(b"PUT /instance HTTP/1.1\r\n")
        time.sleep(0.2)
        first = raw(open_server, b"GET /instance HTTP/1.1\r\nHost: x\r\n\r\n")
        second = raw(open_server, b"GET /instance HTTP/1.1\r\nHost: x\r\n\r\n")
    finally:
        for sock in busy:
            sock.close()
    assert first.startswith(b"HTTP/1.1 503"), first[:200]
    ids = request_ids(first) + request_ids(second)
    assert len(ids) == 2
    assert all(is_uuid(value) for value in ids)
    assert ids[0] != ids[1]


def test_raw_request_ids_are_unique_on_one_connection(open_server: RunningServer) -> None:
    connection = http.client.HTTPConnection(open_server.host, open_server.port, timeout=5)
    try:
        ids = []
        for _ in range(10):
            connection.request("GET", "/instance")
            response = connection.getresponse()
            response.read()
            ids.append(response.getheader("x-amzn-RequestId"))
    finally:
        connection.close()
    assert all(is_uuid(value) for value in ids)
    assert len(set(ids)) == 10


def test_the_wsgi_application_sends_request_ids_too(open_emulator: Emulator) -> None:
    import io

    answers: list[tuple[str, dict[str, str]]] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        answers.append((status, dict(headers)))
        return lambda _: None

    for length in ("", "nope"):  # an answer, and a body refused before the emulator's handling
        environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/instance", "CONTENT_LENGTH": length}
        b"".join(open_emulator.wsgi({**environ, "wsgi.input": io.BytesIO(b"")}, start_response))
    assert [status for status, _ in answers] == ["200 OK", "400 Bad Request"]
    ids = [headers["x-amzn-RequestId"] for _, headers in answers]
    assert all(is_uuid(value) for value in ids)
    assert ids[0] != ids[1]


# -- keep-alive ------------------------------------------------------------------------------------


def test_three_requests_on_one_connection(open_server: RunningServer, accepted: list[tuple[Any, int]]) -> None:
    connection = http.client.HTTPConnection(open_server.host, open_server.port, timeout=5)
    ports = set()
    try:
        calls = [("GET", "/instance", None), ("PUT", "/instance", CREATE), ("GET", "/instance", None)]
        for method, path, body in calls:
            connection.request(method, path, body=body, headers={"Content-Type": "application/json"})
            response = connection.getresponse()
            assert response.status == 200
            assert response.getheader("Connection") is None  # HTTP/1.1: persistent unless said otherwise
            response.read()
            assert connection.sock is not None
            ports.add(connection.sock.getsockname()[1])
    finally:
        connection.close()
    assert len(ports) == 1
    assert len(accepted) == 1
    assert accepted[0][1] != 0  # TCP_NODELAY on the accepted socket


def test_a_boto3_client_reuses_its_pooled_connection(
    open_server: RunningServer, accepted: list[tuple[Any, int]]
) -> None:
    connect = make_client(open_server.url)
    ids = {connect.list_instances()["ResponseMetadata"]["RequestId"] for _ in range(20)}
    assert len(ids) == 20
    assert len(accepted) == 1


def test_a_pipelined_request_is_answered_too(open_server: RunningServer) -> None:
    one = b"GET /instance HTTP/1.1\r\nHost: x\r\n\r\n"
    answer = raw(open_server, one + one + b"GET /instance HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert answer.count(b"HTTP/1.1 200 OK") == 3, answer
    assert len(set(request_ids(answer))) == 3


@pytest.mark.parametrize(
    "data",
    [
        b"GET /instance HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        b"GET /instance HTTP/1.0\r\nHost: x\r\n\r\n",
        b"PUT /instance HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n{}",
        b"PUT /instance HTTP/1.1\r\nHost: x\r\nContent-Length: -4\r\n\r\n{}",
        b"PUT /instance HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        b"PUT /instance HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n{}",
    ],
    ids=["connection-close", "http-1.0", "too-large", "bad-length", "bad-chunk", "not-chunked"],
)
def test_the_server_closes_when_asked_or_when_the_stream_is_lost(open_server: RunningServer, data: bytes) -> None:
    """``raw`` reads until the server closes: a connection left open would run into its 5 s timeout."""
    started = time.monotonic()
    answer = raw(open_server, data)
    assert time.monotonic() - started < 0.9  # closed by the server, before its own 1 s read timeout
    assert answer.count(b"HTTP/1.") == 1
    assert b"Connection: close" in answer


def test_a_keep_alive_connection_is_closed_after_the_read_timeout(open_server: RunningServer) -> None:
    with socket.create_connection((open_server.host, open_server.port), timeout=5) as sock:
        sock.sendall(b"GET /instance HTTP/1.1\r\nHost: x\r\n\r\n")
        first = sock.recv(65536)
        assert first.startswith(b"HTTP/1.1 200")
        started = time.monotonic()
        assert sock.recv(65536) == b""  # the server closes it: our own timeout would raise
        waited = time.monotonic() - started
    assert 0.5 < waited < 3.0  # the read timeout is 1 s


def test_a_parked_connection_is_served_again(open_server: RunningServer, accepted: list[tuple[Any, int]]) -> None:
    """Quiet past the linger, the connection waits in the selector and its next request still gets served."""
    connection = http.client.HTTPConnection(open_server.host, open_server.port, timeout=5)
    try:
        for _ in range(2):
            connection.request("GET", "/instance")
            response = connection.getresponse()
            response.read()
            assert response.status == 200
            time.sleep(server_module._LINGER + 0.2)
    finally:
        connection.close()
    assert len(accepted) == 1


def test_stop_closes_open_keep_alive_connections(open_emulator: Emulator) -> None:
    running = open_emulator.serve()
    with socket.create_connection((running.host, running.port), timeout=5) as sock:
        sock.sendall(b"GET /instance HTTP/1.1\r\nHost: x\r\n\r\n")
        assert sock.recv(65536).startswith(b"HTTP/1.1 200")
        started = time.monotonic()
        running.stop()
        assert time.monotonic() - started < 3
        with contextlib.suppress(ConnectionResetError):
            assert sock.recv(65536) == b""


def test_request_ids_through_the_plugins_client(pytester: pytest.Pytester) -> None:
    """The plugin's ``connect_client`` (the emulator, in-process, by default) shows them like botocore does."""
    pytester.makepyfile(
        """
        import uuid

        import pytest
        from botocore.exceptions import ClientError

        def test_ids(connect_client):
            ids = [connect_client.list_instances()["ResponseMetadata"]["RequestId"] for _ in range(3)]
            with pytest.raises(ClientError) as info:
                connect_client.describe_instance(InstanceId="missing")
            ids.append(info.value.response["ResponseMetadata"]["RequestId"])
            assert len({str(uuid.UUID(value)) for value in ids}) == 4
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


def test_an_attached_client_keeps_its_route_whenever_the_process_wide_handlers_arrive() -> None:
    """A client attached before the process-wide handlers were installed gets them after its own route;
    the call still goes to its emulator (it went to the network, depending on test order)."""
    import boto3

    from pytest_connect_email.emulator import Emulator
    from pytest_connect_email.routing import intercept

    emulator = Emulator.create(auth_enabled=False)
    try:
        client = boto3.client(
            "connect",
            region_name="us-east-1",
            endpoint_url="http://connect.emulator.invalid",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        emulator.attach(client)
        intercept.patch_client(client)  # the process-wide handlers, registered after the route
        assert client.list_instances()["InstanceSummaryList"] == []
    finally:
        emulator.backend.store.close()
