"""Transports: a threaded HTTP/1.1 server on loopback, and an in-process hook into botocore clients.

Both hand an :class:`~.codec.HttpRequest` to :meth:`Emulator.handle`, so everything after the HTTP
layer — signature check, routing, decoding, validation, the backend, encoding — is one code path.
``handle`` never raises: every failure becomes a well-formed error answer, and anything unexpected
becomes a 500 ``InternalServiceException`` (the tests hold the emulator to zero of those). Every
answer, on either transport and whatever its status, carries a fresh ``x-amzn-RequestId``.

The server speaks HTTP/1.1 with persistent connections (an SDK's connection pool reuses them): a
connection is served by one thread while requests keep coming, waits for its next request in a
single selector thread once it goes quiet, and is closed after ``read_timeout`` seconds of silence.
``Emulator.wsgi`` is the same handling as a WSGI application, for hosting the emulator elsewhere.
"""

from __future__ import annotations

import contextlib
import email.message
import email.utils
import io
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
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, quote, urlsplit

from pytest_connect_email import spec
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

        The call is taken at botocore's ``before-call`` event — after the client has validated and
        serialised the parameters into an HTTP request, before it signs and sends it (the same event
        botocore's Stubber uses). The request goes through :meth:`handle` like an HTTP one, minus the
        signature check, and the answer is parsed by botocore's own rest-json parser, so the client
        sees exactly what it would see over the wire, errors included; ``after-call`` handlers still
        run. Nothing is retried in-process. (The same route :mod:`pytest_connect_email.intercept`
        gives every client of the process.)
        """
        from pytest_connect_email.intercept import route
        from pytest_connect_email.targets import EmulatorTarget

        return route(client, EmulatorTarget(self))

    # -- HTTP server ---------------------------------------------------------------------------------

    def serve(self, host: str = "127.0.0.1", port: int = 0) -> RunningServer:
        """Start a threaded HTTP/1.1 server on loopback in a background thread.

        Connections persist (keep-alive) until the client sends ``Connection: close``, speaks
        HTTP/1.0, or sends nothing for ``config.read_timeout`` seconds; an answer to a request whose
        framing is broken (a body over the limit, a bad or conflicting ``Content-Length``, a malformed
        chunk) closes the connection, as the next request's start is unknown. A connection waits for
        its first bytes, and between requests once it has been quiet for a moment, in one selector
        thread, costing no thread; a half-sent request holds its thread at most ``read_timeout``
        between reads. At most ``config.max_connections`` connections are served at once: the next
        one with bytes to read is answered 503 and closed.
        """
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError(f"the emulator serves on loopback only (127.0.0.1, localhost or ::1), not {host!r}")
        handler = type("Connection", (_Connection,), {"emulator": self, "timeout": self.config.read_timeout})
        server = _Server(host, port, handler, self.config.max_connections, self.config.read_timeout)
        thread = threading.Thread(target=server.serve_forever, name="connect-email-emulator", daemon=True)
        thread.start()
        return RunningServer(server, thread)


#: The environ key under which a WSGI host can report framing it refuses (conflicting lengths).
_BAD_FRAMING = "connect_email.bad_framing"
#: Seconds a served connection keeps its thread after an answer, waiting for the next request, before
#: it goes back to the selector (an SDK's calls follow each other much faster than this).
_LINGER = 0.25
#: Requests one thread serves on a connection in a row; the last of them is answered ``Connection: close``.
_MAX_REQUESTS = 1000
#: Most header lines of a request (as the stdlib's ``http.client``).
_MAX_HEADERS = 100
#: Longest chunk-size line and most trailer lines of a chunked body.
_CHUNK_LINE = 1024
_MAX_TRAILERS = 100
_BUSY_BODY = b'{"__type":"ServiceUnavailableException","Message":"too many connections; retry shortly"}'


def _busy() -> bytes:
    return (
        b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nConnection: close\r\n"
        b"x-amzn-ErrorType: ServiceUnavailableException\r\nx-amzn-RequestId: %s\r\nContent-Length: %d\r\n\r\n%s"
        % (codec.new_request_id().encode("ascii"), len(_BUSY_BODY), _BUSY_BODY)
    )


def _declared_length(declared: str, limit: int) -> int:
    """A request's ``Content-Length`` (0 when absent), refused before reading when it is no number of
    bytes or over ``limit`` (the body may be huge)."""
    if not declared:
        return 0
    if not declared.isdigit():
        raise ProtocolError(f"Content-Length {declared[:40]!r} is not a number of bytes")
    length = int(declared)
    if length > limit:
        raise _too_large(f"{length} bytes", limit)
    return length


def _too_large(size: str, limit: int) -> ProtocolError:
    return ProtocolError(
        f"the request body has {size}, over the limit of {limit} (pytest_connect_email.limits.MAX_BODY_BYTES)",
        code="RequestEntityTooLargeException",
    )


def _read_chunked(stream: io.BufferedIOBase, limit: int) -> bytes:
    """A ``Transfer-Encoding: chunked`` body, de-chunked within ``limit`` bytes (RFC 9112, section 7.1)."""
    chunks: list[bytes] = []
    size = 0
    for _ in range(limit + 2):  # every chunk but the last carries a byte: past limit + 1 of them, the body is over
        line = stream.readline(_CHUNK_LINE + 1)
        digits = line.split(b";", 1)[0].strip()
        if not line.endswith(b"\n") or not digits or digits.strip(b"0123456789abcdefABCDEF"):
            raise ProtocolError(f"a chunked body has a malformed chunk-size line {line[:40]!r}")
        length = int(digits, 16)
        if length == 0:
            for _ in range(_MAX_TRAILERS):
                if stream.readline(_CHUNK_LINE + 1) in (b"\r\n", b"\n", b""):
                    return b"".join(chunks)
            raise ProtocolError(f"a chunked body has more than {_MAX_TRAILERS} trailer lines")
        size += length
        if size > limit:
            raise _too_large(f"over {limit} bytes", limit)
        chunk = stream.read(length)
        if len(chunk) < length or stream.readline(3) not in (b"\r\n", b"\n"):
            raise ProtocolError("a chunked body ends early or has a chunk longer than its size line says")
        chunks.append(chunk)
    raise _too_large(f"over {limit} bytes", limit)


class _Fields:
    """A request's header lines in order, looked up case-insensitively: the part of
    ``http.client.HTTPMessage`` the server reads (``items``, ``get``, ``get_all``), without the
    ``email`` package behind it."""

    __slots__ = ("_by_name", "_lines")

    def __init__(self) -> None:
        self._lines: list[tuple[str, str]] = []
        self._by_name: dict[str, list[str]] = {}

    def add(self, name: str, value: str) -> None:
        self._lines.append((name, value))
        self._by_name.setdefault(name.lower(), []).append(value)

    def items(self) -> list[tuple[str, str]]:
        return list(self._lines)

    def get(self, name: str) -> str | None:
        found = self._by_name.get(name.lower())
        return found[0] if found else None

    def get_all(self, name: str) -> list[str] | None:
        found = self._by_name.get(name.lower())
        return list(found) if found else None


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


class _Connection(BaseHTTPRequestHandler):
    """One client connection, for as long as it keeps sending requests without a pause.

    ``handle`` answers requests in a row (at most ``_MAX_REQUESTS``); when the connection goes quiet
    for ``_LINGER`` seconds it sets ``parked`` and returns, and the server hands the socket back to its
    selector. A plain HTTP/1.1 or 1.0 request line and its headers are read by :meth:`parse_request`
    here, anything else by :class:`BaseHTTPRequestHandler`'s; errors of either are answered in JSON.
    """

    protocol_version = "HTTP/1.1"
    emulator: Emulator
    server: _Server
    parked = False
    #: The request's headers: read here into :class:`_Fields`, or by the stdlib's parser.
    fields: _Fields | email.message.Message

    def handle(self) -> None:
        self.close_connection = True
        for served in range(1, _MAX_REQUESTS + 1):
            self.last_call = served == _MAX_REQUESTS
            self.handle_one_request()
            if self.close_connection or not self._next_request():
                return

    def _next_request(self) -> bool:
        """Whether the next request is on its way within ``_LINGER``; if not, the connection is parked,
        or closed when it has been quiet for the whole read timeout already."""
        sock = self.connection
        linger = min(_LINGER, self.server.read_timeout)
        try:
            sock.settimeout(0.0)
            try:  # bytes already buffered (a pipelined request), or arrived: no wait
                waiting = bool(self.rfile.peek(1))  # type: ignore[attr-defined]
            finally:
                sock.settimeout(self.timeout)
            if waiting or _readable(sock, linger):
                return True
        except (OSError, ValueError):
            self.close_connection = True
            return False
        if linger >= self.server.read_timeout:
            self.close_connection = True
        else:
            self.parked = True
        return False

    def handle_one_request(self) -> None:
        try:
            self.raw_requestline = self.rfile.readline(65537)
            if len(self.raw_requestline) > 65536:
                self.requestline = self.request_version = self.command = ""
                self.send_error(HTTPStatus.REQUEST_URI_TOO_LONG)
                return
            if not self.raw_requestline:
                self.close_connection = True
                return
            if not self.parse_request():  # it answered the error (through send_error)
                return
            self._answer()
        except TimeoutError:  # a request that stalls mid-way: the connection is dropped unanswered
            self.close_connection = True

    def parse_request(self) -> bool:
        """The request line and headers of a plain HTTP/1.1 or 1.0 request, read without the ``email``
        package (the stdlib's parser is most of the HTTP layer's cost); any other request line goes to
        :meth:`BaseHTTPRequestHandler.parse_request`. The same limits: 100 headers, 64 KiB a line."""
        words = self.raw_requestline.split()
        if len(words) != 3 or words[2] not in (b"HTTP/1.1", b"HTTP/1.0"):
            parsed = super().parse_request()
            self.fields = self.headers if parsed else _Fields()
            return parsed
        self.requestline = self.raw_requestline.decode("iso-8859-1").rstrip("\r\n")
        self.command, self.path, self.request_version = (word.decode("iso-8859-1") for word in words)
        if self.path.startswith("//"):  # as the stdlib does: one leading slash
            self.path = "/" + self.path.lstrip("/")
        self.close_connection = self.request_version == "HTTP/1.0"
        headers = _Fields()
        for _ in range(_MAX_HEADERS + 1):
            line = self.rfile.readline(65537)
            if len(line) > 65536:
                self.send_error(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "Line too long")
                return False
            if line in (b"\r\n", b"\n", b""):
                break
            name, colon, value = line.decode("iso-8859-1").partition(":")
            if not colon or not name or name != name.strip():  # also an obsolete folded line (RFC 9112, 5.2)
                self.send_error(HTTPStatus.BAD_REQUEST, f"Bad header line {line[:40]!r}")
                return False
            headers.add(name, value.strip())
        else:
            self.send_error(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "Too many headers")
            return False
        self.fields = headers
        if "close" in (token.strip().lower() for token in (headers.get("Connection") or "").split(",")):
            self.close_connection = True
        if (headers.get("Expect") or "").lower() == "100-continue" and self.request_version == "HTTP/1.1":
            return self.handle_expect_100()
        return True

    def _answer(self) -> None:
        if self.request_version != "HTTP/1.1" or self.last_call:
            self.close_connection = True
        headers: dict[str, str] = {}
        names: dict[str, str] = {}
        for key, value in self.fields.items():
            value = value.replace("\r\n", "")
            name = names.setdefault(key.lower(), key)
            headers[name] = f"{headers[name]},{value}" if name in headers else value
        try:
            body = self._read_body()
        except ServiceError as error:  # where the next request starts is unknown: answer and close
            self.close_connection = True
            self._send(codec.serialize_error(spec.service_model(), error))
            return
        if body and "chunked" in (self.fields.get("Transfer-Encoding") or "").lower():
            headers["Content-Length"] = str(len(body))
        if self.path.startswith("/") and "?" not in self.path and "#" not in self.path:
            raw_path, raw_query = self.path, ""  # what urlsplit makes of it
        else:
            split = urlsplit(self.path)
            raw_path, raw_query = split.path or "/", split.query
        request = codec.HttpRequest(
            method=self.command,
            raw_path=raw_path,
            query=parse_qsl(raw_query, keep_blank_values=True) if raw_query else [],
            headers=headers,
            body=body,
            raw_query=raw_query,
            host=self.fields.get("Host") or "localhost",
        )
        self._send(self.emulator.handle(request))

    def _read_body(self) -> bytes:
        """The body, read within ``max_body_bytes``: by ``Content-Length``, or chunk by chunk when the
        client sends ``Transfer-Encoding: chunked``; refused before reading when declared too large."""
        limit = self.emulator.config.max_body_bytes
        lengths = {value.strip() for value in self.fields.get_all("Content-Length") or ()}
        coding = ",".join(self.fields.get_all("Transfer-Encoding") or ()).lower()
        chunked = "chunked" in coding
        if coding and not coding.rstrip().endswith("chunked"):  # the body's end is unknown (RFC 9112, 6.3)
            raise ProtocolError(f"Transfer-Encoding {coding[:40]!r} does not end in chunked; the body cannot be read")
        if len(lengths) > 1:
            raise ProtocolError("the request carries conflicting Content-Length headers")
        if lengths and chunked:
            raise ProtocolError("the request carries both Content-Length and Transfer-Encoding: chunked")
        if chunked:
            return _read_chunked(self.rfile, limit)
        length = _declared_length(lengths.pop() if lengths else "", limit)
        body = self.rfile.read(length) if length else b""
        if len(body) < length:
            raise ProtocolError(f"the request body ended after {len(body)} of its {length} bytes")
        return body

    def _send(self, response: codec.HttpResponse) -> None:
        """Write the answer with one ``send``: status line, headers, body (none to a HEAD)."""
        codec.with_request_id(response)
        lines = [f"HTTP/1.1 {response.status} {_phrase(response.status)}"]
        for key, value in response.headers.items():
            if key.lower() not in ("content-length", "connection", "transfer-encoding"):
                lines.append(f"{key}: {value}".replace("\r", " ").replace("\n", " "))
        lines.append(f"Content-Length: {len(response.body)}")
        lines.append(f"Date: {_http_date()}")
        if self.close_connection:
            lines.append("Connection: close")
        lines.append("\r\n")
        head = "\r\n".join(lines).encode("latin-1", "replace")
        self.wfile.write(head if self.command == "HEAD" else head + response.body)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Errors of the request line and headers, in the service's JSON error form; the connection closes."""
        self.close_connection = True
        phrase = _phrase(code)
        error = ProtocolError(f"{phrase}: {message}" if message else f"the request could not be read ({phrase})")
        response = codec.serialize_error(spec.service_model(), error)
        response.status = int(code)
        self._send(response)

    def log_message(self, format: str, *args: Any) -> None:  # one line per call is noise here
        pass


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

    def __init__(
        self, host: str, port: int, handler: type[_Connection], max_connections: int, read_timeout: float
    ) -> None:
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        super().__init__((host, port), handler)
        self.handler = handler
        self.read_timeout = read_timeout
        self.slots = threading.BoundedSemaphore(max_connections)
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
            parked = self.handler(request, client_address, self).parked
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
