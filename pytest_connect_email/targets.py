"""The targets intercepted calls go to (see :mod:`.intercept`), and a loopback front for subprocesses.

- :class:`EmulatorTarget` — the embedded reference emulator, in-process (no sockets, nothing signed);
  operations it does not cover are left to moto when moto's ``mock_aws`` is active.
- :class:`HttpTarget` — an endpoint over HTTP (AWS, a served emulator, the team's own service): the
  call is re-addressed to it and signed with the calling client's own signer.
- :class:`~.cassettes.CassetteTarget` (in :mod:`.cassettes`) — replay from, or record into, the
  running test's cassette.

:func:`serve` puts any target behind the emulator's HTTP layer on 127.0.0.1, so a subprocess (the AWS
CLI, another SDK) reaches the same target through ``AWS_ENDPOINT_URL_CONNECT``. Importable without
pytest.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pytest_connect_email import spec
from pytest_connect_email.emulator import Emulator, RunningServer, router
from pytest_connect_email.emulator.errors import ServiceError

if TYPE_CHECKING:
    from pytest_connect_email.emulator.codec import HttpRequest, HttpResponse
    from pytest_connect_email.intercept import Target


def moto_active() -> bool:
    """Whether moto's ``mock_aws`` is on (without importing moto when the test run did not)."""
    models = sys.modules.get("moto.core.models")
    stubber = getattr(models, "botocore_stubber", None)
    return bool(getattr(stubber, "enabled", False))


@dataclass
class EmulatorTarget:
    """The embedded emulator, in-process."""

    emulator: Emulator
    offline: bool = True

    def answer(self, operation: str, request: HttpRequest, signer: Any) -> HttpResponse | None:
        if operation not in spec.OPERATIONS and moto_active():
            return None  # moto's before-send handler takes it
        return self.emulator.handle(request, signed=False)

    def serve(self) -> RunningServer:
        """The emulator on loopback HTTP; it accepts any access key (strict checking is opt-in)."""
        return self.emulator.serve()


@dataclass
class HttpTarget:
    """An endpoint over HTTP; calls are signed with the calling client's signer (or the default
    credentials, for calls that arrive unsigned through :func:`serve`)."""

    url: str
    region: str = "us-east-1"
    offline: bool = False
    _session: Any = field(default=None, repr=False)
    _signer: Any = field(default=None, repr=False)

    def answer(self, operation: str, request: HttpRequest, signer: Any) -> HttpResponse | None:
        from botocore.awsrequest import create_request_object
        from botocore.httpsession import URLLib3Session

        from pytest_connect_email.emulator.codec import HttpResponse

        if signer is None:
            signer = self._default_signer()
        query = f"?{request.raw_query}" if request.raw_query else ""
        headers = {
            k: v
            for k, v in request.headers.items()
            if k.lower() not in ("authorization", "host", "x-amz-date", "x-amz-security-token", "content-length")
        }
        aws_request = create_request_object(
            {
                "method": request.method,
                "url": f"{self.url.rstrip('/')}{request.raw_path}{query}",
                "headers": headers,
                "body": request.body,
                "context": {},
            }
        )
        signer.sign(operation, aws_request)
        if self._session is None:
            import socket

            # As botocore's own endpoints do: without TCP_NODELAY a request whose body is written after its
            # headers waits for the peer's delayed ACK (about 40 ms per call).
            self._session = URLLib3Session(socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)])
        response = self._session.send(aws_request.prepare())
        return HttpResponse(int(response.status_code), dict(response.headers.items()), bytes(response.content))

    def _default_signer(self) -> Any:
        if self._signer is None:
            import boto3

            client = boto3.client("connect", region_name=self.region, endpoint_url=self.url)
            self._signer = client._request_signer
        return self._signer


@dataclass
class _Front(Emulator):
    """The emulator's HTTP layer in front of any target (no signature check: any key is accepted)."""

    target: Any = None

    def handle(self, request: HttpRequest, *, signed: bool = True) -> HttpResponse:
        from pytest_connect_email.emulator import codec

        found = router.match(request.method, request.raw_path)
        if found is None:
            return super().handle(request, signed=False)  # answers UnknownOperationException
        try:
            answer = self.target.answer(found[0], request, None)
        except Exception as exc:
            return codec.serialize_error(spec.service_model(), ServiceError("InvalidRequestException", str(exc)))
        if answer is None:
            error = ServiceError("UnknownOperationException", f"{found[0]} is not covered by this target")
            return codec.serialize_error(spec.service_model(), error)
        response: HttpResponse = answer
        return response


def serve(target: Target) -> RunningServer:
    """Serve ``target`` on 127.0.0.1 (an ephemeral port) until the returned server is stopped."""
    return _Front(target=target).serve()
