"""Transports: a threaded HTTP/1.1 server on loopback, and an in-process hook into botocore clients.

Both hand an :class:`~.codec.HttpRequest` to :meth:`Emulator.handle`, so everything after the HTTP
layer — signature check, routing, decoding, validation, the backend, encoding — is one code path.
``handle`` never raises: every failure becomes a well-formed error answer, and anything unexpected
becomes a 500 ``InternalServiceException`` (the tests hold the emulator to zero of those). Every
answer, on either transport and whatever its status, carries a fresh ``x-amzn-RequestId``.

The server speaks HTTP/1.1 with persistent connections (an SDK's connection pool reuses them): a
connection is served by one thread while requests keep coming, waits for its next request in a
single selector thread once it goes quiet, and is closed after ``read_timeout`` seconds of silence.
Requests are framed by h11 (a sans-I/O HTTP/1.1 parser) under the server's own socket loop, which
holds every request to its budgets (:mod:`pytest_connect_email.limits`): its head to
``MAX_REQUEST_HEAD_BYTES`` and ``MAX_REQUEST_HEADERS``, its body to ``max_body_bytes`` in one buffer,
each read to ``read_timeout`` and the whole request to ``request_deadline`` from its first byte.
``Emulator.wsgi`` is the same handling as a WSGI application, for hosting the emulator elsewhere.
"""

from __future__ import annotations

import contextlib
import email.utils
import re
import select
import selectors
import socket
import socketserver
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, quote, urlsplit

import h11

from pytest_connect_email import limits
from pytest_connect_email.contracts import spec
from pytest_connect_email.emulator import auth, codec, router
from pytest_connect_email.emulator.backend import Backend, Config
from pytest_connect_email.emulator.errors import ProtocolError, ServiceError
from pytest_connect_email.emulator.store import Store

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment


@dataclass
class Emulator:
    """The reference emulator: a backend, its credentials, and the HTTP handling around it."""

    backend: Backend = field(default_factory=Backend)
    credentials: dict[str, str] = field(default_factory=auth.default_credentials)
    auth: bool = True
    #: Refuse access keys other than ``credentials`` (by default any key is accepted; see :mod:`.auth`).
    strict_auth: bool = False

    @classmethod
    def create(
        cls,
        *,
        state: str | None = None,
        config: Config | None = None,
        credentials: Iterable[tuple[str, str]] = (),
        auth_enabled: bool = True,
        strict_auth: bool = False,
    ) -> Emulator:
        backend = Backend(Store(state), config or Config())
        return cls(
            backend=backend,
            credentials=auth.default_credentials(credentials),
            auth=auth_enabled,
            strict_auth=strict_auth,
        )

    @property
    def config(self) -> Config:
        return self.backend.config

    def handle(self, request: codec.HttpRequest, *, signed: bool = True) -> codec.HttpResponse:
        """Answer one request. ``signed=False`` skips the signature check (in-process calls are
        handed over before botocore signs them)."""
        try:
            response = self._handle(request, signed)
        except ServiceError as error:
            response = codec.serialize_error(spec.service_model(), error)
        except Exception as exc:  # a bug: answer like the service does, never a traceback nor the data at hand
            internal = ServiceError("InternalServiceException", f"internal error ({type(exc).__name__})")
            response = codec.serialize_error(spec.service_model(), internal)
        return codec.with_request_id(response)

    def _handle(self, request: codec.HttpRequest, signed: bool) -> codec.HttpResponse:
        if len(request.body) > self.config.max_body_bytes:
            raise ProtocolError(
                f"the request body has {len(request.body)} bytes, over the limit of {self.config.max_body_bytes}",
                code="RequestEntityTooLargeException",
            )
        if request.method != request.method.upper():
            raise ProtocolError(
                f"HTTP methods are case-sensitive: {request.method[:16]!r} is not one",
                code="UnknownOperationException",
            )
        if request.raw_path.startswith(FILES_PATH) and request.method in ("PUT", "GET"):
            return self._file_transfer(request)  # a pre-signed URL: its query authorises it, not a signature
        if self.auth and signed:
            auth.verify(request, self.credentials, strict=self.strict_auth)
            auth.check_scope(request, region=self.config.region, now=time.time(), max_skew=self.config.max_clock_skew)
        found = router.match(request.method, request.raw_path)
        if found is None:
            raise ProtocolError(
                f"no Connect operation of {spec.model().label}'s model is bound to {request.method} {request.raw_path}",
                code="UnknownOperationException",
            )
        operation, labels = found
        op = spec.service_model().operation_model(operation)
        params = codec.parse_request(op, request, labels)
        result = self.backend.invoke(operation, params)
        return codec.serialize_response(op, result)

    def _file_transfer(self, request: codec.HttpRequest) -> codec.HttpResponse:
        """An upload (PUT) to, or a download (GET) from, a URL that StartAttachedFileUpload or GetAttachedFile
        answered."""
        file_id = request.raw_path[len(FILES_PATH) :]
        status, body = self.backend.transfer(request.method, file_id, dict(request.query), request.body)
        kind = "application/octet-stream" if status == 200 and request.method == "GET" else "text/plain"
        return codec.HttpResponse(status, {"Content-Type": kind}, body)

    def serve_files_at(self, url: str) -> None:
        """Point the file URLs the backend answers at ``url`` (the served emulator's)."""
        self.backend.config.public_url = url

    # -- WSGI --------------------------------------------------------------------------------------

    def wsgi(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterator[bytes]:
        raw_uri = environ.get("RAW_URI") or environ.get("REQUEST_URI") or ""
        if raw_uri:
            split = urlsplit(raw_uri)
            raw_path, raw_query = split.path, split.query
        else:
            raw_path = quote(environ.get("PATH_INFO", "/").encode("latin-1").decode("utf-8", "replace"))
            raw_query = environ.get("QUERY_STRING", "")
        try:
            body = self._read_body(environ)
        except ServiceError as error:
            answer = codec.with_request_id(codec.serialize_error(spec.service_model(), error))
            return self._respond(answer, start_response)
        length = len(body)
        headers = {
            key[5:].replace("_", "-").title(): value for key, value in environ.items() if key.startswith("HTTP_")
        }
        if environ.get("CONTENT_TYPE"):
            headers["Content-Type"] = environ["CONTENT_TYPE"]
        if length:
            headers["Content-Length"] = str(length)
        request = codec.HttpRequest(
            method=environ.get("REQUEST_METHOD", "GET"),
            raw_path=raw_path or "/",
            query=parse_qsl(raw_query, keep_blank_values=True),
            headers=headers,
            body=body,
            raw_query=raw_query,
            host=environ.get("HTTP_HOST", "localhost"),
        )
        return self._respond(self.handle(request), start_response)

    def _read_body(self, environ: WSGIEnvironment) -> bytes:
        """The body, read within ``max_body_bytes``: by ``Content-Length``, or chunk by chunk when the
        client sends ``Transfer-Encoding: chunked``; refused before reading when declared too large."""
        limit = self.config.max_body_bytes
        problem = environ.get(_BAD_FRAMING)
        if problem:
            raise ProtocolError(problem)
        stream = environ["wsgi.input"]
        if environ.get("wsgi.input_terminated"):  # chunked: the WSGI server de-chunks, we bound
            chunks: list[bytes] = []
            size = 0
            while size <= limit:
                chunk = stream.read(min(65536, limit + 1 - size))
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
            if size > limit:
                raise _too_large(f"over {limit} bytes", limit)
            return b"".join(chunks)
        length = _declared_length(environ.get("CONTENT_LENGTH") or "", limit)
        body: bytes = stream.read(length) if length else b""
        return body

    @staticmethod
    def _respond(response: codec.HttpResponse, start_response: StartResponse) -> Iterator[bytes]:
        status = f"{response.status} {HTTPStatus(response.status).phrase}"
        headers = codec.with_request_id(response).headers
        start_response(status, [*headers.items(), ("Content-Length", str(len(response.body)))])
        return iter([response.body])

    # -- in-process ----------------------------------------------------------------------------------

    def attach(self, client: Any) -> Any:
        """Route a botocore/boto3 ``connect`` client's calls to this emulator, without sockets.

        The call is noted at botocore's ``before-call`` event and answered at ``before-send``, inside
        botocore's retry loop, unsigned — after the client has validated and serialised the parameters
        into an HTTP request. The request goes through :meth:`handle` like an HTTP one, minus the
        signature check, and the answer is parsed by botocore's own rest-json parser, so the client
        sees exactly what it would see over the wire, errors included, and retries a retryable error
        as its retry configuration says (:mod:`.transport`). The routing layer's interception, when one is active,
        leaves such a client's calls alone, but still checks them against the contracts.
        """
        from pytest_connect_email.emulator import transport

        return transport.attach(client, lambda request: self.handle(request, signed=False))

    # -- HTTP server ---------------------------------------------------------------------------------

    def serve(self, host: str = "127.0.0.1", port: int = 0) -> RunningServer:
        """Start a threaded HTTP/1.1 server on loopback in a background thread.

        Connections persist (keep-alive) until the client sends ``Connection: close``, speaks
        HTTP/1.0, or sends nothing for ``config.read_timeout`` seconds; an answer to a request whose
        framing is broken (a body over the limit, a bad or conflicting ``Content-Length``, a malformed
        chunk) closes the connection, as the next request's start is unknown. A connection waits for
        its first bytes, and between requests once it has been quiet for a moment, in one selector
        thread, costing no thread; a half-sent request holds its thread at most ``read_timeout``
        between reads and ``config.request_deadline`` in all (then it is answered 408 and closed). At
        most ``config.max_connections`` connections are served at once: the next one with bytes to
        read is answered 503 and closed.
        """
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError(f"the emulator serves on loopback only (127.0.0.1, localhost or ::1), not {host!r}")
        server = _Server(host, port, self)
        thread = threading.Thread(target=server.serve_forever, name="connect-email-emulator", daemon=True)
        thread.start()
        running = RunningServer(server, thread)
        self.serve_files_at(running.url)
        return running


#: The path of the emulator's attached files' pre-signed URLs (``/_connect-email/files/<FileId>?...``).
FILES_PATH = "/_connect-email/files/"
#: The environ key under which a WSGI host can report framing it refuses (conflicting lengths).
_BAD_FRAMING = "connect_email.bad_framing"
#: Seconds a served connection keeps its thread after an answer, waiting for the next request, before
#: it goes back to the selector (an SDK's calls follow each other much faster than this).
_LINGER = 0.25
#: Requests one thread serves on a connection in a row; the last of them is answered ``Connection: close``.
_MAX_REQUESTS = 1000
#: Bytes asked of the socket per read: also the most h11 holds unread at any moment beyond one event.
_READ_SIZE = 64 * 1024
#: Bytes read and dropped at most after a refusal, before the connection closes.
_DISCARD_BYTES = 1024 * 1024
_BUSY_BODY = b'{"__type":"ServiceUnavailableException","Message":"too many connections; retry shortly"}'
_CONTENT_LENGTH_LINE = re.compile(rb"^content-length[ \t]*:[ \t]*([^\r\n]*?)[ \t]*\r?$", re.I | re.M)


def _busy() -> bytes:
    return (
        b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nConnection: close\r\n"
        b"x-amzn-ErrorType: ServiceUnavailableException\r\nx-amzn-RequestId: %s\r\nContent-Length: %d\r\n\r\n%s"
        % (codec.new_request_id().encode("ascii"), len(_BUSY_BODY), _BUSY_BODY)
    )


def _valid_length(declared: str) -> bool:
    return declared.isascii() and declared.isdigit() and len(declared) <= limits.MAX_CONTENT_LENGTH_DIGITS


def _bad_length(declared: str) -> ProtocolError:
    return ProtocolError(
        f"Content-Length {declared[:40]!r} is not a number of bytes: it must be ASCII digits, at most "
        f"{limits.MAX_CONTENT_LENGTH_DIGITS} of them (pytest_connect_email.limits.MAX_CONTENT_LENGTH_DIGITS); "
        "send the body's size in bytes, or send it with Transfer-Encoding: chunked"
    )


def _declared_length(declared: str, limit: int) -> int:
    """A request's ``Content-Length`` (0 when absent), refused before reading when it is no number of
    bytes (ASCII digits, at most :data:`~pytest_connect_email.limits.MAX_CONTENT_LENGTH_DIGITS`) or over
    ``limit`` (the body may be huge)."""
    if not declared:
        return 0
    if not _valid_length(declared):
        raise _bad_length(declared)
    length = int(declared)
    if length > limit:
        raise _too_large(f"{length} bytes", limit)
    return length


def _too_large(size: str, limit: int) -> ProtocolError:
    return ProtocolError(
        f"the request body has {size}, over the limit of {limit} (pytest_connect_email.limits.MAX_BODY_BYTES); "
        "send a smaller body, or raise the limit (connect-email emulator serve --max-body-bytes)",
        code="RequestEntityTooLargeException",
    )


_date: tuple[int, str] = (0, "")


def _http_date() -> str:
    """The ``Date`` header's value, formatted once a second."""
    global _date
    now = int(time.time())
    second, text = _date
    if second != now:
        text = email.utils.formatdate(now, usegmt=True)
        _date = (now, text)
    return text


def _readable(sock: socket.socket, timeout: float) -> bool:
    """Whether ``sock`` has bytes (or its end) to read within ``timeout`` seconds; poll where there is
    one, as ``select`` refuses descriptors past 1023."""
    if hasattr(select, "poll"):
        poller = select.poll()
        poller.register(sock, select.POLLIN)
        return bool(poller.poll(timeout * 1000))
    return bool(select.select([sock], [], [], timeout)[0])


def _new_parser(leftover: bytes = b"", closed: bool = False) -> h11.Connection:
    """An h11 parser for the server's side of one request, fed what the last one left unread."""
    parser = h11.Connection(h11.SERVER, max_incomplete_event_size=limits.MAX_REQUEST_HEAD_BYTES)
    if leftover:
        parser.receive_data(leftover)
    if closed:
        parser.receive_data(b"")
    return parser


class _Refused(Exception):
    """A request answered with an error, after which the connection closes (where the next request
    starts is unknown, or the client is too slow)."""

    def __init__(self, error: ServiceError, status: int | None = None) -> None:
        super().__init__(error.message)
        self.error = error
        self.status = status


class _Dropped(Exception):
    """The client went quiet mid-request for the read timeout, or went away: closed unanswered."""


def _head_refusal(head: bytes, error: h11.RemoteProtocolError) -> _Refused:
    """The answer to a request line and headers h11 refuses, naming the budget or rule broken: the
    head as read (at most MAX_REQUEST_HEAD_BYTES) is looked at again only on this path."""
    fields = head.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]  # not the body that may follow
    for declared in _CONTENT_LENGTH_LINE.findall(fields):
        text = declared.decode("latin-1")
        if not _valid_length(text):
            return _Refused(_bad_length(text))
    lines = fields.count(b"\n")  # the header lines: each follows a line end
    if lines > limits.MAX_REQUEST_HEADERS:
        return _too_many_headers(lines)
    status = error.error_status_hint
    return _Refused(ProtocolError(f"the request could not be read ({_phrase(status)}): {str(error)[:200]}"), status)


def _head_too_large(head: bytes) -> _Refused:
    if b"\n" not in head:
        what, status = "request line", HTTPStatus.REQUEST_URI_TOO_LONG
    else:
        what, status = "request line and headers", HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE
    return _Refused(
        ProtocolError(
            f"the {what} run past {limits.MAX_REQUEST_HEAD_BYTES} bytes, the limit "
            "(pytest_connect_email.limits.MAX_REQUEST_HEAD_BYTES); send a shorter path, query and headers"
        ),
        status,
    )


def _too_many_headers(count: int) -> _Refused:
    return _Refused(
        ProtocolError(
            f"the request has {count} header lines, over the limit of {limits.MAX_REQUEST_HEADERS} "
            "(pytest_connect_email.limits.MAX_REQUEST_HEADERS); send fewer headers"
        ),
        HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE,
    )


class _Connection:
    """One client connection, served by one thread for as long as it keeps sending requests.

    Requests are framed by h11 (RFC 9112: request line, headers, ``Content-Length`` and chunked bodies,
    their errors); answers are written here, each with one ``send``. Each request must arrive whole
    within ``request_deadline`` of its first byte, each read within ``read_timeout``; its head within
    MAX_REQUEST_HEAD_BYTES, its body within ``max_body_bytes``, gathered into one buffer that grows as
    bytes arrive (never a list of chunks; a declared length reserves nothing a client has not sent).
    :meth:`run` answers requests in a row (at most ``_MAX_REQUESTS``) and, when the connection goes
    quiet for ``_LINGER`` seconds, returns True: the server hands the socket back to its selector.
    """

    def __init__(self, sock: socket.socket, server: _Server) -> None:
        self.sock = sock
        self.server = server
        self.emulator = server.emulator
        self.parser = _new_parser()
        #: Bytes the parser holds from before the current request (a pipelined request's start).
        self.carried = b""
        #: Close the connection after the answer being prepared.
        self.close = False
        self._timeout: float | None = None  # the socket's, set only when it changes (two syscalls each)

    def run(self) -> bool:
        """Serve requests until the connection closes (False) or goes quiet (True: park it)."""
        linger = min(_LINGER, self.server.read_timeout)
        for served in range(1, _MAX_REQUESTS + 1):
            self.close = served == _MAX_REQUESTS
            try:
                if not self._serve_one():
                    return False
            except _Dropped:
                return False
            if self.close:
                return False
            self.carried, closed = self.parser.trailing_data
            self.parser = _new_parser(self.carried, closed)
            if self.carried or closed:  # a pipelined request, or the end of the stream: no wait
                continue
            try:
                if _readable(self.sock, linger):
                    continue
            except (OSError, ValueError):
                return False
            return linger < self.server.read_timeout  # parked, unless quiet for the whole read timeout already
        return False

    def _serve_one(self) -> bool:
        """Read one request and answer it; False when the client closed the connection before one."""
        try:
            request = self._read_request(time.monotonic() + self.server.request_deadline)
        except _Refused as refused:
            self.close = True
            response = codec.serialize_error(spec.service_model(), refused.error)
            if refused.status is not None:
                response.status = int(refused.status)
            self._send(response)
            self._discard()
            return True
        if request is None:
            return False
        self._send(self.emulator.handle(request), head_only=request.method == "HEAD")
        return True

    def _receive(self, deadline: float, size: int) -> bytes:
        """The next bytes from the client, within the read timeout and the request's deadline."""
        left = deadline - time.monotonic()
        late = left <= self.server.read_timeout
        if left <= 0.001:  # settimeout(0) would not wait at all
            raise self._late()
        try:
            self._settimeout(left if late else self.server.read_timeout)
            return self.sock.recv(size)
        except TimeoutError:
            if late:
                raise self._late() from None
            raise _Dropped from None
        except (OSError, ValueError):
            raise _Dropped from None

    def _late(self) -> _Refused:
        deadline = self.server.request_deadline
        return _Refused(
            ProtocolError(
                f"the request did not arrive whole within {deadline:g} s of its first byte "
                "(pytest_connect_email.limits.REQUEST_DEADLINE, Config.request_deadline); send each request "
                "at once, or raise the deadline",
                code="RequestTimeoutException",
            ),
            HTTPStatus.REQUEST_TIMEOUT,
        )

    def _read_request(self, deadline: float) -> codec.HttpRequest | None:
        parser = self.parser
        head = [self.carried]
        seen = len(self.carried)
        while True:
            try:
                event = parser.next_event()
            except h11.RemoteProtocolError as error:
                raise _head_refusal(b"".join(head), error) from None
            if event is not h11.NEED_DATA:
                break
            room = limits.MAX_REQUEST_HEAD_BYTES - seen
            if room <= 0:
                raise _head_too_large(b"".join(head))
            data = self._receive(deadline, min(_READ_SIZE, room))
            head.append(data)
            seen += len(data)
            parser.receive_data(data)
        if not isinstance(event, h11.Request):  # ConnectionClosed: the client is done
            return None
        del head
        if event.http_version not in (b"1.1", b"1.0"):
            self.close = True
            version = event.http_version.decode()
            unsupported = ProtocolError(f"HTTP/{version} is not served here; send HTTP/1.1 (or 1.0) requests")
            raise _Refused(unsupported, HTTPStatus.HTTP_VERSION_NOT_SUPPORTED)
        if len(event.headers) > limits.MAX_REQUEST_HEADERS:
            raise _too_many_headers(len(event.headers))
        headers: dict[str, str] = {}
        names: dict[str, str] = {}
        for raw_name, raw_value in event.headers.raw_items():
            key, value = raw_name.decode("latin-1"), raw_value.decode("latin-1")
            name = names.setdefault(key.lower(), key)
            headers[name] = f"{headers[name]},{value}" if name in headers else value
        lowered = {key: headers[name] for key, name in names.items()}
        connection = lowered.get("connection", "")
        if event.http_version == b"1.0" or "close" in (token.strip().lower() for token in connection.split(",")):
            self.close = True
        chunked = "transfer-encoding" in lowered  # h11 reads no other coding
        if chunked and "content-length" in lowered:
            raise _Refused(
                ProtocolError(
                    "the request carries both Content-Length and Transfer-Encoding: chunked, so where its body "
                    "ends is ambiguous (RFC 9112, section 6.3); send one of the two"
                )
            )
        limit = self.emulator.config.max_body_bytes
        try:
            _declared_length(lowered.get("content-length", ""), limit)
        except ProtocolError as error:
            raise _Refused(error) from None
        if parser.they_are_waiting_for_100_continue:
            self._write(b"HTTP/1.1 100 Continue\r\n\r\n")
        body = self._read_body(deadline, limit)
        if body and chunked:
            headers["Content-Length"] = str(len(body))
        target = event.target.decode("latin-1")
        if target.startswith("//"):  # as the stdlib does: one leading slash
            target = "/" + target.lstrip("/")
        if target.startswith("/") and "?" not in target and "#" not in target:
            raw_path, raw_query = target, ""  # what urlsplit makes of it
        else:
            split = urlsplit(target)
            raw_path, raw_query = split.path or "/", split.query
        return codec.HttpRequest(
            method=event.method.decode("ascii"),
            raw_path=raw_path,
            query=parse_qsl(raw_query, keep_blank_values=True) if raw_query else [],
            headers=headers,
            body=body,
            raw_query=raw_query,
            host=lowered.get("host") or "localhost",
        )

    def _read_body(self, deadline: float, limit: int) -> bytes:
        """The body, de-chunked by h11, into one buffer bounded by ``limit``."""
        parser = self.parser
        body = bytearray()
        while True:
            try:
                event = parser.next_event()
            except h11.RemoteProtocolError as error:
                problem = f"the request body could not be read ({str(error)[:200]}); frame it by Content-Length or "
                problem += "as well-formed chunks (RFC 9112, section 7.1)"
                raise _Refused(ProtocolError(problem), error.error_status_hint) from None
            if event is h11.NEED_DATA:
                parser.receive_data(self._receive(deadline, _READ_SIZE))
            elif type(event) is h11.Data:
                if len(body) + len(event.data) > limit:
                    raise _Refused(_too_large(f"over {limit} bytes", limit))
                body += event.data
            else:  # EndOfMessage
                return bytes(body)

    def _send(self, response: codec.HttpResponse, *, head_only: bool = False) -> None:
        """Write the answer with one ``send``: status line, headers, body (none to a HEAD)."""
        codec.with_request_id(response)
        lines = [f"HTTP/1.1 {response.status} {_phrase(response.status)}"]
        for key, value in response.headers.items():
            if key.lower() not in ("content-length", "connection", "transfer-encoding"):
                lines.append(f"{key}: {value}".replace("\r", " ").replace("\n", " "))
        lines.append(f"Content-Length: {len(response.body)}")
        lines.append(f"Date: {_http_date()}")
        if self.close:
            lines.append("Connection: close")
        lines.append("\r\n")
        head = "\r\n".join(lines).encode("latin-1", "replace")
        self._write(head if head_only else head + response.body)

    def _discard(self) -> None:
        """After a refusal: stop writing, and read and drop what the client still sends for ``_LINGER``
        seconds (at most ``_DISCARD_BYTES``), so that closing with its bytes unread does not reset the
        connection before the client has read the answer."""
        until = time.monotonic() + _LINGER
        dropped = 0
        try:
            self.sock.shutdown(socket.SHUT_WR)
            while dropped < _DISCARD_BYTES and (left := until - time.monotonic()) > 0:
                self._settimeout(left)
                data = self.sock.recv(_READ_SIZE)
                if not data:
                    return
                dropped += len(data)
        except (OSError, ValueError):
            return

    def _write(self, data: bytes) -> None:
        try:
            self._settimeout(self.server.read_timeout)  # a client that does not read is dropped
            self.sock.sendall(data)
        except (OSError, ValueError):
            raise _Dropped from None

    def _settimeout(self, timeout: float) -> None:
        if timeout != self._timeout:
            self.sock.settimeout(timeout)
            self._timeout = timeout


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


class _Server(socketserver.TCPServer):
    """Idle connections wait in one selector thread, costing a socket and no thread, and are closed
    after ``read_timeout``; a connection gets a thread once it has bytes to read, up to
    ``max_connections`` threads, beyond which it is answered 503 and closed. A connection whose thread
    finds it quiet between requests comes back to the selector."""

    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, host: str, port: int, emulator: Emulator) -> None:
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        # Connections are served by _Connection (process_request below), not by a handler class.
        super().__init__((host, port), socketserver.BaseRequestHandler)
        self.emulator = emulator
        config = emulator.config
        self.read_timeout = config.read_timeout
        self.request_deadline = config.request_deadline
        self.slots = threading.BoundedSemaphore(config.max_connections)
        self._selector = selectors.DefaultSelector()
        self._wake_read, self._wake_write = socket.socketpair()
        self._wake_read.setblocking(False)
        self._selector.register(self._wake_read, selectors.EVENT_READ, None)
        self._pending: list[tuple[socket.socket, Any, float]] = []
        self._lock = threading.Lock()
        self._serving: dict[socket.socket, threading.Thread] = {}
        self._closing = False
        self._waiter = threading.Thread(target=self._wait, name="connect-email-idle", daemon=True)
        self._waiter.start()

    def process_request(self, request: Any, client_address: Any) -> None:
        """A new connection: Nagle off (answers go out as soon as written), then to the selector."""
        with contextlib.suppress(OSError):
            request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._park(request, client_address, time.monotonic() + self.read_timeout)

    def _park(self, request: socket.socket, client_address: Any, deadline: float) -> None:
        with self._lock:
            self._pending.append((request, client_address, deadline))
        with contextlib.suppress(OSError):
            self._wake_write.send(b"\0")

    def _wait(self) -> None:
        deadlines: dict[Any, float] = {}
        while not self._closing:
            now = time.monotonic()
            timeout = min(1.0, max(0.0, min(deadlines.values(), default=now + 1.0) - now))
            for key, _ in self._selector.select(timeout):
                if key.fileobj is self._wake_read:
                    with contextlib.suppress(OSError):
                        self._wake_read.recv(4096)
                    with self._lock:
                        arrived, self._pending = self._pending, []
                    for request, client_address, deadline in arrived:
                        try:
                            self._selector.register(request, selectors.EVENT_READ, client_address)
                        except (OSError, ValueError):  # closed meanwhile
                            self.shutdown_request(request)
                            continue
                        deadlines[request] = deadline
                else:
                    self._selector.unregister(key.fileobj)
                    deadlines.pop(key.fileobj, None)
                    self._dispatch(key.fileobj, key.data)
            now = time.monotonic()
            for request in [r for r, deadline in deadlines.items() if deadline <= now]:
                self._selector.unregister(request)
                del deadlines[request]
                self.shutdown_request(request)
        for request in deadlines:
            self.shutdown_request(request)

    def _dispatch(self, request: Any, client_address: Any) -> None:
        if self._closing or not self.slots.acquire(blocking=False):
            with contextlib.suppress(OSError):
                request.sendall(_busy())
            self.shutdown_request(request)
            return
        thread = threading.Thread(
            target=self._serve_connection, args=(request, client_address), name="connect-email-conn", daemon=True
        )
        with self._lock:
            self._serving[request] = thread
        try:
            thread.start()
        except BaseException:
            with self._lock:
                self._serving.pop(request, None)
            self.slots.release()
            self.shutdown_request(request)
            raise

    def _serve_connection(self, request: socket.socket, client_address: Any) -> None:
        parked = False
        try:
            parked = _Connection(request, self).run()
        except Exception:
            self.handle_error(request, client_address)
        finally:
            with self._lock:
                self._serving.pop(request, None)
                parked = parked and not self._closing
            self.slots.release()
            if parked:  # quiet since its last answer for _LINGER: the read timeout counts from then
                self._park(request, client_address, time.monotonic() + self.read_timeout - _LINGER)
            else:
                self.shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], OSError):  # a timed-out or dropped client is no error
            super().handle_error(request, client_address)

    def server_close(self) -> None:
        """Stop the selector thread and every connection's thread (their sockets are shut down)."""
        self._closing = True
        with contextlib.suppress(OSError):
            self._wake_write.send(b"\0")
        self._waiter.join(timeout=5)
        with self._lock:
            left, self._pending = self._pending, []
            serving = dict(self._serving)
        for request, _, _ in left:
            self.shutdown_request(request)
        for request in serving:
            with contextlib.suppress(OSError):
                request.shutdown(socket.SHUT_RDWR)
        deadline = time.monotonic() + 5
        for thread in serving.values():
            thread.join(timeout=max(0.0, deadline - time.monotonic()))
        self._selector.close()
        self._wake_read.close()
        self._wake_write.close()
        super().server_close()


class RunningServer:
    """A started emulator server; use as a context manager or call :meth:`stop`."""

    def __init__(self, server: socketserver.TCPServer, thread: threading.Thread) -> None:
        self._server = server
        self._thread = thread
        address = server.server_address
        self.host = address[0].decode() if isinstance(address[0], bytes) else str(address[0])
        self.port = int(address[1])

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> RunningServer:
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()
