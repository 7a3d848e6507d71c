"""Transports: a threaded WSGI server on loopback, and an in-process hook into botocore clients.

Both hand an :class:`~.codec.HttpRequest` to :meth:`Emulator.handle`, so everything after the HTTP
layer — signature check, routing, decoding, validation, the backend, encoding — is one code path.
``handle`` never raises: every failure becomes a well-formed error answer, and anything unexpected
becomes a 500 ``InternalServiceException`` (the tests hold the emulator to zero of those).
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, quote, urlsplit

from pytest_connect_email import spec
from pytest_connect_email.emulator import auth, codec, router
from pytest_connect_email.emulator.backend import Backend, Config
from pytest_connect_email.emulator.errors import ProtocolError, ServiceError
from pytest_connect_email.emulator.store import Store

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment
    from werkzeug.serving import BaseWSGIServer


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
        model = spec.service_model()
        try:
            return self._handle(request, signed)
        except ServiceError as error:
            return codec.serialize_error(model, error)
        except Exception as exc:  # a bug: answer like the service does, never a traceback nor the data at hand
            internal = ServiceError("InternalServiceException", f"internal error ({type(exc).__name__})")
            return codec.serialize_error(model, internal)

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
            return self._respond(codec.serialize_error(spec.service_model(), error), start_response)
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
        if environ.get("wsgi.input_terminated"):  # chunked: werkzeug de-chunks, we bound
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
        declared = environ.get("CONTENT_LENGTH") or ""
        if not declared:
            return b""
        if not declared.isdigit():
            raise ProtocolError(f"Content-Length {declared[:40]!r} is not a number of bytes")
        length = int(declared)
        if length > limit:  # refuse before reading: the body may be huge
            raise _too_large(f"{length} bytes", limit)
        body: bytes = stream.read(length) if length else b""
        return body

    @staticmethod
    def _respond(response: codec.HttpResponse, start_response: StartResponse) -> Iterator[bytes]:
        status = f"{response.status} {HTTPStatus(response.status).phrase}"
        start_response(status, [*response.headers.items(), ("Content-Length", str(len(response.body)))])
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
        """Start a threaded WSGI server on loopback in a background thread.

        A connection that sends nothing for ``config.read_timeout`` seconds is closed, and waits for
        its first bytes without a thread; a half-sent request holds its thread at most that long
        between reads. At most ``config.max_connections`` connections are served at once: the next
        one with bytes to read is answered 503 and closed.
        """
        from werkzeug.serving import ThreadedWSGIServer, WSGIRequestHandler

        config = self.config

        class QuietHandler(WSGIRequestHandler):
            timeout = config.read_timeout  # socketserver applies it to every read of the connection

            def log_request(self, *args: Any, **kwargs: Any) -> None:  # one line per call is noise here
                pass

            def make_environ(self) -> WSGIEnvironment:
                environ = super().make_environ()
                lengths = {value.strip() for value in self.headers.get_all("Content-Length") or ()}
                if len(lengths) > 1:
                    environ[_BAD_FRAMING] = "the request carries conflicting Content-Length headers"
                elif lengths and "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
                    environ[_BAD_FRAMING] = "the request carries both Content-Length and Transfer-Encoding: chunked"
                return environ

        class BoundedServer(ThreadedWSGIServer):
            """Idle connections wait in one selector thread, costing a socket and no thread, and are
            closed after ``read_timeout``; a connection gets a thread once it has bytes to read, up to
            ``max_connections`` threads, beyond which it is answered 503 and closed."""

            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, **kwargs)
                self.slots = threading.BoundedSemaphore(config.max_connections)
                self._selector = selectors.DefaultSelector()
                self._wake_read, self._wake_write = socket.socketpair()
                self._wake_read.setblocking(False)
                self._selector.register(self._wake_read, selectors.EVENT_READ, None)
                self._pending: list[tuple[Any, Any]] = []
                self._pending_lock = threading.Lock()
                self._closing = False
                self._waiter = threading.Thread(target=self._wait, name="connect-email-idle", daemon=True)
                self._waiter.start()

            def process_request(self, request: Any, client_address: Any) -> None:
                with self._pending_lock:
                    self._pending.append((request, client_address))
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
                            with self._pending_lock:
                                arrived, self._pending = self._pending, []
                            for request, client_address in arrived:
                                self._selector.register(request, selectors.EVENT_READ, client_address)
                                deadlines[request] = time.monotonic() + config.read_timeout
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
                if not self.slots.acquire(blocking=False):
                    with contextlib.suppress(OSError):
                        request.sendall(_BUSY)
                    self.shutdown_request(request)
                    return
                try:
                    super().process_request(request, client_address)  # a thread for this connection
                except BaseException:
                    self.slots.release()
                    raise

            def handle_error(self, request: Any, client_address: Any) -> None:
                if not isinstance(sys.exc_info()[1], OSError):  # a timed-out or dropped client is no error
                    super().handle_error(request, client_address)

            def process_request_thread(self, request: Any, client_address: Any) -> None:
                try:
                    super().process_request_thread(request, client_address)
                finally:
                    self.slots.release()

            def server_close(self) -> None:
                self._closing = True
                with contextlib.suppress(OSError):
                    self._wake_write.send(b"\0")
                self._waiter.join(timeout=5)
                with self._pending_lock:
                    left, self._pending = self._pending, []
                for request, _ in left:
                    self.shutdown_request(request)
                self._selector.close()
                self._wake_read.close()
                self._wake_write.close()
                super().server_close()

        if host not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError(f"the emulator serves on loopback only (127.0.0.1, localhost or ::1), not {host!r}")
        server = BoundedServer(host, port, self.wsgi, handler=QuietHandler)
        thread = threading.Thread(target=server.serve_forever, name="connect-email-emulator", daemon=True)
        thread.start()
        return RunningServer(server, thread)


#: The environ key under which the request handler reports framing it refuses (conflicting lengths).
_BAD_FRAMING = "connect_email.bad_framing"
_BUSY_BODY = b'{"__type":"ServiceUnavailableException","Message":"too many connections; retry shortly"}'
_BUSY = (
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nConnection: close\r\n"
    b"x-amzn-ErrorType: ServiceUnavailableException\r\nContent-Length: %d\r\n\r\n%s" % (len(_BUSY_BODY), _BUSY_BODY)
)


def _too_large(size: str, limit: int) -> ProtocolError:
    return ProtocolError(
        f"the request body has {size}, over the limit of {limit} (pytest_connect_email.limits.MAX_BODY_BYTES)",
        code="RequestEntityTooLargeException",
    )


class RunningServer:
    """A started emulator server; use as a context manager or call :meth:`stop`."""

    def __init__(self, server: BaseWSGIServer, thread: threading.Thread) -> None:
        self._server = server
        self._thread = thread
        address = server.server_address
        self.host = address[0].decode() if isinstance(address[0], bytes) else str(address[0])
        self.port = int(address[1])

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> RunningServer:
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()
