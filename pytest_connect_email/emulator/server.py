"""Transports: a threaded WSGI server on loopback, and an in-process hook into botocore clients.

Both hand an :class:`~.codec.HttpRequest` to :meth:`Emulator.handle`, so everything after the HTTP
layer — signature check, routing, decoding, validation, the backend, encoding — is one code path.
``handle`` never raises: every failure becomes a well-formed error answer, and anything unexpected
becomes a 500 ``InternalServiceException`` (the tests hold the emulator to zero of those).
"""

from __future__ import annotations

import threading
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
        except Exception as exc:  # a bug: answer like the service does, never a traceback
            return codec.serialize_error(model, ServiceError("InternalServiceException", f"internal error: {exc!r}"))

    def _handle(self, request: codec.HttpRequest, signed: bool) -> codec.HttpResponse:
        if len(request.body) > self.config.max_body_bytes:
            raise ProtocolError(
                f"the request body has {len(request.body)} bytes, over the limit of {self.config.max_body_bytes}",
                code="RequestEntityTooLargeException",
            )
        if self.auth and signed:
            auth.verify(request, self.credentials, strict=self.strict_auth)
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
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > self.config.max_body_bytes:  # refuse before reading: the body may be huge
            error = ProtocolError(
                f"the request body has {length} bytes, over the limit of {self.config.max_body_bytes}",
                code="RequestEntityTooLargeException",
            )
            return self._respond(codec.serialize_error(spec.service_model(), error), start_response)
        body = environ["wsgi.input"].read(length) if length else b""
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
        """Start a threaded WSGI server on loopback in a background thread."""
        from werkzeug.serving import WSGIRequestHandler, make_server

        class QuietHandler(WSGIRequestHandler):
            def log_request(self, *args: Any, **kwargs: Any) -> None:  # one line per call is noise here
                pass

        if host not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError(f"the emulator serves on loopback only (127.0.0.1, localhost or ::1), not {host!r}")
        server = make_server(host, port, self.wsgi, threaded=True, request_handler=QuietHandler)
        thread = threading.Thread(target=server.serve_forever, name="connect-email-emulator", daemon=True)
        thread.start()
        return RunningServer(server, thread)


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
