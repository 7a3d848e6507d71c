"""Hostile requests to the emulator: every one is a clear 4xx, fast, and leaves the state usable.

In-process cases hand an :class:`HttpRequest` to ``Emulator.handle`` (the code path both transports
share); cases about HTTP framing talk to a served emulator on 127.0.0.1 over raw sockets.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import select
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from pytest_connect_email import limits
from pytest_connect_email.emulator import Config, Emulator, RunningServer, auth
from pytest_connect_email.emulator.backend import AddressLocks
from pytest_connect_email.emulator.codec import HttpRequest
from pytest_connect_email.emulator.errors import ServiceError

from ..loopback import stop_serving
from .conftest import bounded, start_email_contact, value_map

STAMP = "%Y%m%dT%H%M%SZ"


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    emu = Emulator.create(config=Config(lock_wait=0.05), auth_enabled=False)
    yield emu
    emu.backend.store.close()


def call(emulator: Emulator, method: str, path: str, body: bytes | str = b"", **headers: str) -> tuple[int, Any]:
    raw = body.encode("utf-8", "surrogatepass") if isinstance(body, str) else body
    with bounded():
        response = emulator.handle(HttpRequest(method, path, headers=headers, body=raw), signed=False)
    return response.status, json.loads(response.body)


def refused(emulator: Emulator, method: str, path: str, body: bytes | str, status: int = 400) -> dict[str, Any]:
    got, answer = call(emulator, method, path, body)
    assert got == status, answer
    return dict(answer)


@pytest.fixture
def instance(emulator: Emulator) -> str:
    body = {"IdentityManagementType": "CONNECT_MANAGED", "InboundCallsEnabled": True, "OutboundCallsEnabled": True}
    status, answer = call(emulator, "PUT", "/instance", json.dumps(body))
    assert status == 200, answer
    instance_id = str(answer["Id"])
    status, answer = call(
        emulator,
        "PUT",
        f"/email-addresses/{instance_id}",
        json.dumps({"EmailAddress": "support@example.com"}),
    )
    assert status == 200, answer
    return instance_id


# -- unreadable bodies -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "limit"),
    [
        ("[" * 977 + "]" * 977, "MAX_DEPTH"),
        ('{"a":' * 100_000 + "1" + "}" * 100_000, "MAX_NODES"),
        ('{"InstanceAlias": ' + "9" * 4_301 + "}", "MAX_INT_DIGITS"),
        ('{"InstanceAlias": 1e999}', "number"),
        ('{"InstanceAlias": "\\ud800"}', "unicode"),
        ('{"InstanceAlias": {"k": ["\\udfff"]}}', "unicode"),
    ],
    ids=["977-levels", "100000-levels", "4301-digits", "infinity", "lone-surrogate", "nested-lone-surrogate"],
)
def test_unreadable_bodies_are_400_naming_the_limit(emulator: Emulator, body: str, limit: str) -> None:
    answer = refused(emulator, "PUT", "/instance", body)
    assert answer["__type"] == "SerializationException"
    assert limit in answer["Message"] or "surrogate" in answer["Message"] or "double" in answer["Message"]


def test_a_lone_surrogate_is_never_stored_and_errors_echo_no_record(emulator: Emulator, instance: str) -> None:
    body = json.dumps(start_email_contact(instance, Name="\ud800"), ensure_ascii=True)
    answer = refused(emulator, "PUT", "/contact/email", body)
    assert "surrogate" in answer["Message"]
    assert "example.com" not in answer["Message"]
    assert emulator.backend.store.transaction(write=False).__enter__().find("contact") == []


def test_segment_attributes_nested_243_levels_are_refused_and_nothing_is_stored(
    emulator: Emulator, instance: str
) -> None:
    body = json.dumps(start_email_contact(instance, SegmentAttributes={"k": value_map(243)}))
    answer = refused(emulator, "PUT", "/contact/email", body)
    assert "MAX_DEPTH" in answer["Message"]
    with emulator.backend.store.transaction(write=False) as tx:
        assert tx.find("contact") == []


def test_a_contact_within_the_budget_describes_back(emulator: Emulator, instance: str) -> None:
    body = json.dumps(start_email_contact(instance, SegmentAttributes={"k": value_map(25)}))
    status, answer = call(emulator, "PUT", "/contact/email", body)
    assert status == 200, answer
    status, described = call(emulator, "GET", f"/contacts/{instance}/{answer['ContactId']}")
    assert status == 200, described
    assert described["Contact"]["SegmentAttributes"]["k"] == value_map(25)


def test_an_invalid_value_under_121_value_map_levels_is_400(emulator: Emulator, instance: str) -> None:
    deep = value_map(121, {"ValueInteger": "not a number"})
    refused(emulator, "PUT", "/contact/email", json.dumps(start_email_contact(instance, SegmentAttributes={"k": deep})))


def test_search_criteria_nested_327_levels_is_400(emulator: Emulator, instance: str) -> None:
    criteria: dict[str, Any] = {
        "StringCondition": {"FieldName": "EmailAddress", "Value": "x", "ComparisonType": "EXACT"}
    }
    for _ in range(327):
        criteria = {"OrConditions": [criteria]}
    body = json.dumps({"InstanceId": instance, "SearchCriteria": criteria})
    assert "MAX_DEPTH" in refused(emulator, "POST", "/search-email-addresses", body)["Message"]


def test_600000_unknown_members_in_7_mb_are_refused_with_a_small_answer(emulator: Emulator) -> None:
    body = "{" + ",".join(f'"m{i:06d}":1' for i in range(600_000)) + "}"
    assert len(body) > 7_000_000
    status, answer = call(emulator, "PUT", "/instance", body)
    assert status == 400
    assert "MAX_NODES" in answer["Message"]
    assert len(json.dumps(answer)) < 1024


def test_a_million_list_items_are_refused(emulator: Emulator, instance: str) -> None:
    recipients = "[" + ",".join(["{}"] * 1_000_000) + "]"
    body = (
        json.dumps(start_email_contact(instance))[:-1] + ',"AdditionalRecipients":{"ToAddresses":' + recipients + "}}"
    )
    assert "MAX_NODES" in refused(emulator, "PUT", "/contact/email", body)["Message"]


def test_unknown_members_within_the_budget_give_a_bounded_answer(emulator: Emulator) -> None:
    body = "{" + ",".join(f'"member{i:05d}":1' for i in range(40_000)) + "}"
    status, answer = call(emulator, "PUT", "/instance", body)
    assert status == 400
    assert len(answer["Message"]) < 64 * 1024


@pytest.mark.parametrize(
    ("path", "body"),
    [
        (
            "/instance",
            {
                "IdentityManagementType": "CONNECT_MANAGED",
                "InboundCallsEnabled": True,
                "OutboundCallsEnabled": True,
                "InstanceAlias": "a" * 20_000,
            },
        ),
        ("/email-addresses/i", {"EmailAddress": "a" * 15_000 + "@" + "b" * 15_000}),
    ],
    ids=["20000-character-alias", "30001-character-address"],
)
def test_long_values_are_judged_by_length_fast(emulator: Emulator, path: str, body: dict[str, Any]) -> None:
    assert "maxLength" in refused(emulator, "PUT", path, json.dumps(body))["Message"]


def test_four_concurrent_long_values_do_not_saturate_the_cores(emulator: Emulator) -> None:
    body = json.dumps(
        {"IdentityManagementType": "CONNECT_MANAGED", "InboundCallsEnabled": True, "OutboundCallsEnabled": True}
        | {"InstanceAlias": "a" * 20_000}
    ).encode()
    statuses: list[int] = []

    def one() -> None:
        statuses.append(emulator.handle(HttpRequest("PUT", "/instance", body=body), signed=False).status)

    threads = [threading.Thread(target=one) for _ in range(4)]
    with bounded():
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    assert statuses == [400] * 4


def test_a_body_member_cannot_override_a_uri_label(emulator: Emulator, instance: str) -> None:
    answer = refused(emulator, "GET", f"/instance/{instance}", json.dumps({"InstanceId": "someone-else"}))
    assert "InstanceId is bound to the request's uri" in answer["Message"]


def test_lower_case_methods_are_refused(emulator: Emulator, instance: str) -> None:
    assert "case-sensitive" in refused(emulator, "get", f"/instance/{instance}", b"")["Message"]


def test_a_locked_state_file_answers_a_retryable_error_not_500(tmp_path: Path) -> None:
    state = tmp_path / "state.sqlite"
    emulator = Emulator.create(state=str(state), auth_enabled=False)
    other = sqlite3.connect(state, isolation_level=None)  # another process's connection, as SQLite sees it
    try:
        other.execute("BEGIN IMMEDIATE")
        body = {"IdentityManagementType": "CONNECT_MANAGED", "InboundCallsEnabled": True, "OutboundCallsEnabled": True}
        status, answer = call(emulator, "PUT", "/instance", json.dumps(body))
        assert (status, answer["__type"]) == (429, "ThrottlingException")
        assert "locked by another process" in answer["Message"]
        other.execute("ROLLBACK")
        status, _ = call(emulator, "PUT", "/instance", json.dumps(body))
        assert status == 200
    finally:
        other.close()
        emulator.backend.store.close()


# -- signatures ------------------------------------------------------------------------------------


def signed(
    when: dt.datetime, *, region: str = "us-east-1", service: str = "connect", path: str = "/instance"
) -> HttpRequest:
    """A GET signed by botocore's SigV4 signer as if at ``when``."""
    stamp = when.strftime(STAMP)
    request = AWSRequest(
        method="GET", url=f"http://localhost{path}", headers={"X-Amz-Date": stamp, "host": "localhost"}
    )
    request.context["timestamp"] = stamp
    signer = SigV4Auth(Credentials("testing", "testing"), service, region)
    canonical = signer.canonical_request(request)
    signature = signer.signature(signer.string_to_sign(request, canonical), request)
    scope = f"testing/{stamp[:8]}/{region}/{service}/aws4_request"
    request.headers["Authorization"] = (
        f"AWS4-HMAC-SHA256 Credential={scope}, SignedHeaders=host;x-amz-date, Signature={signature}"
    )
    return HttpRequest("GET", path, headers=dict(request.headers.items()), host="localhost")


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


@pytest.mark.parametrize(
    ("age", "scope", "message"),
    [
        (dt.timedelta(days=5 * 365), {}, "Signature expired"),
        (dt.timedelta(days=400), {}, "Signature expired"),
        (dt.timedelta(minutes=20), {}, "Signature expired"),
        (dt.timedelta(minutes=-20), {}, "Signature not yet current"),
        (dt.timedelta(0), {"region": "eu-west-2"}, "scoped to a valid region, not 'eu-west-2'"),
        (dt.timedelta(0), {"service": "s3"}, "service"),
    ],
    ids=["5-years-old", "400-days-old", "20-minutes-old", "20-minutes-ahead", "other-region", "other-service"],
)
def test_signatures_follow_aws_skew_region_and_service(age: dt.timedelta, scope: dict[str, str], message: str) -> None:
    emulator = Emulator.create()
    response = emulator.handle(signed(now() - age, **scope))
    answer = json.loads(response.body)
    assert (response.status, answer["__type"]) == (403, "InvalidSignatureException")
    assert message in answer["Message"]


def test_fresh_signatures_pass_and_skew_can_be_relaxed_for_old_traffic() -> None:
    assert Emulator.create().handle(signed(now() - dt.timedelta(minutes=10))).status == 200
    relaxed = Emulator.create(config=Config(max_clock_skew=None))
    assert relaxed.handle(signed(now() - dt.timedelta(days=400))).status == 200
    assert relaxed.handle(signed(now(), region="eu-west-2")).status == 403  # the region still counts


def signed_put(path: str, body: bytes, extra: dict[str, str], secret: str = "testing") -> HttpRequest:
    """A PUT with a body and an extra signed header, signed by botocore's SigV4 signer as an SDK would."""
    request = AWSRequest(method="PUT", url=f"http://localhost{path}", data=body, headers={"host": "localhost", **extra})
    SigV4Auth(Credentials("testing", secret), "connect", "us-east-1").add_auth(request)
    return HttpRequest("PUT", path, headers=dict(request.headers.items()), body=body, host="localhost")


def changed(request: HttpRequest, **changes: Any) -> HttpRequest:
    """A copy of ``request`` (without its lowered-header cache) with ``changes``."""
    return replace(request, _lowered=None, **changes)


def test_a_remembered_signature_still_refuses_any_signed_element_changed() -> None:
    """Accepted signatures are remembered (an SDK repeats one within a second), keyed on every input of
    the verification: changing the body, the path, a signed header or the secret is verified afresh."""
    credentials = {"testing": "testing"}
    original = signed_put("/instance", b'{"a":1}', {"X-Custom": "one"})
    assert auth.verify(original, credentials) == "testing"
    assert auth.verify(changed(original), credentials) == "testing"  # the same inputs: remembered
    tampered = [
        changed(original, body=b'{"a":2}', headers={**original.headers, "X-Amz-Content-SHA256": ""}),
        changed(original, raw_path="/instance/other"),
        changed(original, headers={**original.headers, "X-Custom": "two"}),
        changed(original, method="POST"),
        changed(original, raw_query="x=1"),
    ]
    for request in tampered:
        with pytest.raises(ServiceError) as info:
            auth.verify(request, credentials)
        assert info.value.code == "InvalidSignatureException"
    with pytest.raises(ServiceError):  # the same request, but the emulator's secret for the key changed
        auth.verify(changed(original), {"testing": "changed"})
    assert auth.verify(changed(original), credentials) == "testing"


def test_a_remembered_signature_still_passes_the_scope_and_clock_checks() -> None:
    emulator = Emulator.create()
    request = signed(now() - dt.timedelta(minutes=10))
    assert emulator.handle(request).status == 200
    emulator.config.region = "eu-west-2"
    response = emulator.handle(changed(request))
    assert (response.status, json.loads(response.body)["__type"]) == (403, "InvalidSignatureException")


# -- HTTP framing (a served emulator on loopback) -----------------------------------------------------


@pytest.fixture
def served() -> Iterator[RunningServer]:
    emulator = Emulator.create(config=Config(read_timeout=0.5, max_connections=8), auth_enabled=False)
    with emulator.serve() as running:
        yield running
    emulator.backend.store.close()


def exchange(server: RunningServer, raw: bytes, timeout: float = 10.0) -> bytes:
    """Send raw bytes, read the answer until the server closes or goes quiet."""
    return exchange_at(server.host, server.port, raw, timeout)


def exchange_at(host: str, port: int, raw: bytes, timeout: float = 10.0) -> bytes:
    with socket.create_connection((host, port), timeout=timeout) as sock:
        with contextlib.suppress(OSError):  # the server may have answered and closed already
            sock.sendall(raw)
            sock.shutdown(socket.SHUT_WR)
        chunks = []
        while True:
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                break
            if not chunk:
                break
            chunks.append(chunk)
    return b"".join(chunks)


CREATE = b'{"IdentityManagementType":"CONNECT_MANAGED","InboundCallsEnabled":true,"OutboundCallsEnabled":true}'


def test_a_chunked_body_is_read(served: RunningServer) -> None:
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in (CREATE[:40], CREATE[40:])) + b"0\r\n\r\n"
    answer = exchange(
        served,
        b"PUT /instance HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
        b"Connection: close\r\n\r\n" + chunked,
    )
    assert answer.startswith(b"HTTP/1.1 200"), answer[:300]
    assert b'"Id"' in answer


def test_a_chunked_body_over_the_limit_is_413(tmp_path: Path) -> None:
    emulator = Emulator.create(config=Config(max_body_bytes=1000), auth_enabled=False)
    chunk = b"x" * 600
    body = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(3)) + b"0\r\n\r\n"
    with emulator.serve() as running:
        answer = exchange(
            running,
            b"PUT /instance HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n" + body,
        )
    emulator.backend.store.close()
    assert answer.startswith(b"HTTP/1.1 413"), answer[:300]


@pytest.mark.parametrize(
    "headers",
    [
        b"Content-Length: %d\r\nContent-Length: 5\r\n" % len(CREATE),
        b"Content-Length: %d\r\nTransfer-Encoding: chunked\r\n" % len(CREATE),
        b"Content-Length: -1\r\n",
    ],
    ids=["conflicting-lengths", "length-and-chunked", "negative-length"],
)
def test_ambiguous_framing_is_400(served: RunningServer, headers: bytes) -> None:
    answer = exchange(
        served, b"PUT /instance HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" + headers + b"\r\n" + CREATE
    )
    assert answer.startswith(b"HTTP/1.1 400"), answer[:300]


def test_lower_case_method_over_http_is_400(served: RunningServer) -> None:
    answer = exchange(served, b"get /instance HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 400"), answer[:300]


def test_a_half_sent_request_is_dropped_after_the_read_timeout(served: RunningServer) -> None:
    before = threading.active_count()
    with socket.create_connection((served.host, served.port), timeout=10) as sock, bounded():
        sock.sendall(b"PUT /instance HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
        assert sock.recv(65536) == b""  # closed by the server, not by our own timeout
    deadline = time.monotonic() + 5
    while threading.active_count() > before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert threading.active_count() <= before


def test_connections_over_the_cap_are_refused_and_calls_resume(served: RunningServer) -> None:
    busy = [socket.create_connection((served.host, served.port), timeout=10) for _ in range(8)]
    try:
        for sock in busy:  # half a request each: every one holds a thread
            sock.sendall(b"PUT /instance HTTP/1.1\r\n")
        time.sleep(0.2)  # let the server take them
        answer = exchange(served, b"GET /instance HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert answer.startswith(b"HTTP/1.1 503"), answer[:300]
    finally:
        for sock in busy:
            sock.close()
    deadline = time.monotonic() + 10
    answer = b""
    while time.monotonic() < deadline:  # the server frees the slots as it notices the closed sockets
        answer = exchange(served, b"GET /instance HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        if not answer.startswith(b"HTTP/1.1 503"):
            break
        time.sleep(0.05)
    assert answer.startswith(b"HTTP/1.1 200"), answer[:300]


def test_idle_connections_hold_no_thread_and_calls_are_served(served: RunningServer) -> None:
    before = threading.active_count()
    idle = [socket.create_connection((served.host, served.port), timeout=10) for _ in range(100)]  # cap is 8
    try:
        time.sleep(0.1)
        assert threading.active_count() - before < 8
        answer = exchange(served, b"GET /instance HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert answer.startswith(b"HTTP/1.1 200"), answer[:300]
        with bounded():
            assert idle[0].recv(10) == b""  # closed by the server after its read timeout
    finally:
        for sock in idle:
            sock.close()


@pytest.mark.parametrize(
    "length",
    [b"\xb2", "\u00b2".encode(), "\u0663".encode(), b"9" * 5_000],
    ids=["latin-1-superscript-two", "utf-8-superscript-two", "arabic-indic-three", "5000-digits"],
)
def test_a_content_length_of_other_than_ascii_digits_is_400(served: RunningServer, length: bytes) -> None:
    with bounded():
        answer = exchange(
            served, b"PUT /instance HTTP/1.1\r\nHost: x\r\nContent-Length: " + length + b"\r\n\r\n" + CREATE
        )
    assert answer.startswith(b"HTTP/1.1 400"), answer[:300]
    assert b"MAX_CONTENT_LENGTH_DIGITS" in answer
    assert b"Connection: close" in answer


@pytest.mark.parametrize("length", ["\u00b2", "9" * 5_000], ids=["superscript-two", "5000-digits"])
def test_a_content_length_of_other_than_ascii_digits_is_400_over_wsgi(emulator: Emulator, length: str) -> None:
    statuses: list[str] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        statuses.append(status)
        return lambda _: None

    environ = {"REQUEST_METHOD": "PUT", "PATH_INFO": "/instance", "CONTENT_LENGTH": length}
    answer = b"".join(emulator.wsgi({**environ, "wsgi.input": io.BytesIO(CREATE)}, start_response))
    assert statuses == ["400 Bad Request"]
    assert b"MAX_CONTENT_LENGTH_DIGITS" in answer


def test_a_slow_drip_client_is_cut_at_the_request_deadline_while_others_are_served() -> None:
    """One byte every 0.1 s keeps every read within the 0.5 s read timeout; the 1 s deadline cuts it."""
    config = Config(read_timeout=0.5, request_deadline=1.0, max_connections=8)
    emulator = Emulator.create(config=config, auth_enabled=False)
    request = b"PUT /instance HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s" % (len(CREATE), CREATE)
    served = answer = b""
    with emulator.serve() as running, socket.create_connection((running.host, running.port), timeout=5) as drip:
        started = time.monotonic()
        for index in range(40):  # 4 s at most; the request has over 100 bytes
            drip.sendall(request[index : index + 1])
            if index == 3:
                served = exchange(running, b"GET /instance HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            if select.select([drip], [], [], 0.1)[0]:
                break
        cut = time.monotonic() - started
        with contextlib.suppress(OSError):
            while chunk := drip.recv(65536):
                answer += chunk
    emulator.backend.store.close()
    assert served.startswith(b"HTTP/1.1 200"), served[:300]
    assert answer.startswith(b"HTTP/1.1 408"), answer[:300]
    assert b"REQUEST_DEADLINE" in answer
    assert 0.9 < cut < 3.0


#: The body limit of the peak-memory case: 65,536 one-byte chunks take the server about 2 s.
RSS_BODY_LIMIT = 64 * 1024


def peak_rss(pid: int) -> int:
    """The process's peak resident set (VmHWM), in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no VmHWM in /proc/{pid}/status")


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads the peak RSS from /proc")
def test_a_body_in_one_byte_chunks_costs_a_small_multiple_of_the_body_limit() -> None:
    """The server reads the body in 1-byte chunks into one buffer: its peak RSS grows by a small
    multiple of the body limit, not by a list of one bytes object per chunk (~80 bytes each)."""
    command = [sys.executable, "-m", "pytest_connect_email.cli", "emulator", "serve", "--port", "0", "--no-auth"]
    command += ["--max-body-bytes", str(RSS_BODY_LIMIT)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    watchdog = threading.Timer(60, process.kill)  # a hung server must not hang the test run
    watchdog.start()
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:"), url
        port = int(url.rsplit(":", 1)[1])
        small = b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in (CREATE[:40], CREATE[40:])) + b"0\r\n\r\n"
        head = b"PUT /instance HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        # One small chunked request first: the model, the codec and the parser are loaded before measuring.
        assert exchange_at("127.0.0.1", port, head + small).startswith(b"HTTP/1.1 200")
        before = peak_rss(process.pid)
        body = b"{" + b" " * (RSS_BODY_LIMIT - 2) + b"}"
        chunks = b"".join([b"1\r\n%c\r\n" % byte for byte in body]) + b"0\r\n\r\n"
        answer = exchange_at("127.0.0.1", port, head + chunks, timeout=30)
        grown = peak_rss(process.pid) - before
    finally:
        watchdog.cancel()
        process.kill()
        process.wait(timeout=10)
    assert answer.startswith(b"HTTP/1.1 400"), answer[:300]  # read whole: '{}' lacks the required members
    assert b"validation error" in answer
    assert grown < 4 * RSS_BODY_LIMIT + 1024 * 1024, f"peak RSS grew by {grown} bytes"


# -- per-address locks ---------------------------------------------------------------------------------


def test_unknown_ids_leave_the_lock_table_empty(emulator: Emulator) -> None:
    """A lock lives while it is held or waited for: the table does not grow with the ids ever named (it
    kept one lock per id, 78 MB for 200,000; 20,000 show the same at a tenth of the time)."""
    locks = AddressLocks()
    with bounded():
        for index in range(20_000):
            with locks.hold([f"unknown-{index}"], 0.05):
                pass
    assert len(locks) == 0
    for index in range(200):  # through the backend: ids no address has
        status, answer = call(emulator, "DELETE", f"/email-addresses/i/unknown-{index}")
        assert status == 404, answer
    assert len(emulator.backend.locks) == 0


def test_two_callers_on_one_id_share_its_lock_while_either_holds_it() -> None:
    locks = AddressLocks()
    holding, release = threading.Event(), threading.Event()

    def holder() -> None:
        with locks.hold(["id-1"], 1.0):
            holding.set()
            release.wait(5)

    thread = threading.Thread(target=holder)
    thread.start()
    try:
        assert holding.wait(5)
        with pytest.raises(ServiceError) as info, locks.hold(["id-2", "id-1"], 0.05):
            pass
        assert info.value.code == "ResourceConflictException"
        assert len(locks) == 1  # id-1, still held; id-2 was let go
    finally:
        release.set()
        thread.join(5)
    assert len(locks) == 0


def test_callers_taking_turns_on_one_id_never_hold_it_together() -> None:
    """Entries come and go as callers leave: a waiter must still get the holder's lock, not a new one."""
    locks = AddressLocks()
    counter = [0]

    def bump() -> None:
        for _ in range(200):
            with locks.hold(["id-1"], 5.0):
                seen = counter[0]
                time.sleep(0)  # let another thread in, were the lock not shared
                counter[0] = seen + 1

    threads = [threading.Thread(target=bump) for _ in range(4)]
    with bounded():
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    assert counter[0] == 800
    assert len(locks) == 0


def test_limits_are_the_emulators_defaults() -> None:
    config = Config()
    assert (
        config.max_body_bytes,
        config.read_timeout,
        config.max_connections,
        config.max_clock_skew,
        config.request_deadline,
    ) == (
        limits.MAX_BODY_BYTES,
        limits.READ_TIMEOUT,
        limits.MAX_CONNECTIONS,
        limits.MAX_CLOCK_SKEW,
        limits.REQUEST_DEADLINE,
    )


def test_serve_without_auth_warns() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "pytest_connect_email.cli", "emulator", "serve", "--no-auth", "--max-clock-skew", "off"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    watchdog = threading.Timer(60, process.kill)  # a hung server must not hang the test run
    watchdog.start()
    try:
        assert process.stdout is not None
        assert process.stderr is not None
        assert process.stdout.readline().startswith("http://127.0.0.1:")
        assert "warning: --no-auth" in process.stderr.readline()
    finally:
        watchdog.cancel()
        stop_serving(process)
    assert process.returncode == 0


def test_serve_refuses_a_negative_clock_skew() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pytest_connect_email.cli", "emulator", "serve", "--max-clock-skew", "-5"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "--max-clock-skew" in result.stderr


def test_an_internal_error_names_no_data(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_: Any) -> Any:
        raise ValueError("record {'EmailAddress': 'maria@acme-logistics.de'}")

    monkeypatch.setattr(emulator.backend, "invoke", broken)
    status, answer = call(emulator, "GET", "/instance")
    assert (status, answer) == (500, {"__type": "InternalServiceException", "Message": "internal error (ValueError)"})


def test_a_flow_nested_past_any_depth_is_refused_as_an_invalid_flow() -> None:
    """CreateContactFlow's Content is parsed by the emulator: JSON nested 100,000 deep is an
    InvalidContactFlowException (400) naming why, never a RecursionError, a 500 or a hang."""
    import time

    from pytest_connect_email.emulator import Emulator
    from pytest_connect_email.emulator.codec import HttpRequest

    emulator = Emulator.create(auth_enabled=False)
    instance = emulator.backend.invoke(
        "CreateInstance",
        {"IdentityManagementType": "CONNECT_MANAGED", "InboundCallsEnabled": True, "OutboundCallsEnabled": True},
    )["Id"]
    body = json.dumps({"Name": "deep", "Type": "CONTACT_FLOW", "Content": "[" * 100_000 + "]" * 100_000})
    started = time.perf_counter()
    answer = emulator.handle(HttpRequest("PUT", f"/contact-flows/{instance}", body=body.encode()), signed=False)
    assert time.perf_counter() - started < 10  # bounded: a budget, not a benchmark
    assert answer.status == 400
    assert json.loads(answer.body)["__type"] == "InvalidContactFlowException"
    assert "nested too deeply" in json.loads(answer.body)["Message"]
    emulator.backend.store.close()


def test_file_urls_refuse_forged_expiry_and_oversized_uploads() -> None:
    """The pre-signed file URLs a served emulator answers: an expiry that is not a number, or a past one, is
    403; a body over the emulator's body limit is refused before it is stored."""
    from pytest_connect_email.emulator import Config, Emulator
    from pytest_connect_email.emulator.codec import HttpRequest

    emulator = Emulator.create(config=Config(max_body_bytes=1024), auth_enabled=False)
    backend = emulator.backend
    instance = backend.invoke(
        "CreateInstance",
        {"IdentityManagementType": "CONNECT_MANAGED", "InboundCallsEnabled": True, "OutboundCallsEnabled": True},
    )["Id"]
    backend.invoke("CreateEmailAddress", {"InstanceId": instance, "EmailAddress": "s@example.com"})
    message = {"MessageSourceType": "RAW", "RawMessage": {"Subject": "s", "Body": "b", "ContentType": "text/plain"}}
    contact = backend.invoke(
        "StartEmailContact",
        {
            "InstanceId": instance,
            "FromEmailAddress": {"EmailAddress": "k@example.net"},
            "DestinationEmailAddress": "s@example.com",
            "EmailMessage": message,
        },
    )["ContactId"]
    arn = backend.invoke("DescribeContact", {"InstanceId": instance, "ContactId": contact})["Contact"]["Arn"]
    started = backend.invoke(
        "StartAttachedFileUpload",
        {
            "InstanceId": instance,
            "FileName": "a.bin",
            "FileSizeInBytes": 2048,
            "FileUseCaseType": "ATTACHMENT",
            "AssociatedResourceArn": arn,
        },
    )
    url = started["UploadUrlMetadata"]["Url"]
    path, _, query = url.partition("://")[2].partition("/")[2].partition("?")
    pairs = [(k, v) for k, _, v in (p.partition("=") for p in query.split("&"))]

    def put(pairs: list[tuple[str, str]], body: bytes) -> int:
        request = HttpRequest("PUT", "/" + path, query=pairs, body=body)
        return emulator.handle(request, signed=False).status

    forged = [(k, "not-a-number" if k == "expires" else v) for k, v in pairs]
    past = [(k, "1" if k == "expires" else v) for k, v in pairs]
    assert put(forged, b"x" * 10) == 403
    assert put(past, b"x" * 10) == 403
    assert put(pairs, b"x" * 2048) == 413  # over max_body_bytes: refused before any file is written
    with backend.store.transaction(write=False) as tx:
        assert tx.get("filedata", started["FileId"]) is None
    emulator.backend.store.close()
