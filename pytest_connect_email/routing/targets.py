"""The targets intercepted calls go to (see :mod:`.intercept`), and a loopback front for subprocesses.

- :class:`EmulatorTarget` — the embedded reference emulator, in-process (no sockets, nothing signed).
  While moto's ``mock_aws`` is active, Connect has one state, moto's and the emulator's together: every
  operation moto implements (the instance operations among them, read from moto's own responses class)
  is answered by moto, through its process-wide stubber (so a client configured with any endpoint, an
  attached client and a subprocess behind :func:`serve` reach the same moto state); operations neither
  covers are left to moto's before-send handler as before; the email operations stay with the emulator,
  which takes moto's instances (id, ARN, alias) as its own through :func:`moto_instance`, handed to the
  backend as its ``instances_elsewhere`` callable (the emulator never imports moto). Tag operations
  (moto implements them) on a resource the emulator holds — an email address, even of a moto instance —
  are the emulator's; on moto's instances, moto's.
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
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from pytest_connect_email.contracts import spec
from pytest_connect_email.emulator import Emulator, RunningServer, router
from pytest_connect_email.emulator.errors import ServiceError
from pytest_connect_email.routing.exchange import TransportAnswer

#: Operations on a resource named by its ARN; under ``mock_aws`` they are the emulator's when it holds it.
TAG_OPERATIONS = frozenset({"TagResource", "UntagResource", "ListTagsForResource"})

if TYPE_CHECKING:
    from pytest_connect_email.emulator.codec import HttpRequest, HttpResponse
    from pytest_connect_email.routing.exchange import Target


def moto_active() -> bool:
    """Whether moto's ``mock_aws`` is on (without importing moto when the test run did not)."""
    models = sys.modules.get("moto.core.models")
    stubber = getattr(models, "botocore_stubber", None)
    return bool(getattr(stubber, "enabled", False))


def _stubber() -> Any:
    return getattr(sys.modules.get("moto.core.models"), "botocore_stubber", None)


@lru_cache(maxsize=1)
def moto_operations() -> frozenset[str]:
    """The Connect operations moto implements: its ``ConnectResponse`` defines a method of the operation's
    snake_case name (moto's own convention), for each operation of the model in use."""
    from botocore import xform_name
    from moto.connect.responses import ConnectResponse

    defined = vars(ConnectResponse)
    return frozenset(op for op in spec.service_model().operation_names if callable(defined.get(xform_name(op))))


def moto_instance(instance_id: str) -> Mapping[str, Any] | None:
    """moto's Connect instance with this id, in any account and region moto holds, while ``mock_aws`` is
    active: ``Id``, ``Arn``, ``InstanceAlias`` and the rest of what moto's DescribeInstance answers."""
    if not moto_active():
        return None
    from moto.connect.models import connect_backends

    for _account, _region, backend in connect_backends.iter_backends():
        found = getattr(backend, "instances", {}).get(instance_id)
        if found is not None:
            record: dict[str, Any] = found.to_dict()
            return record
    return None


def ask_moto(request: HttpRequest, signer: Any, region: str) -> HttpResponse | None:
    """``request`` answered by moto's process-wide stubber (``None``: moto has no route for it), addressed
    to Connect's AWS endpoint in the caller's region, as moto's own before-send handler would see it."""
    from botocore.awsrequest import AWSPreparedRequest
    from botocore.compat import HTTPHeaders

    from pytest_connect_email.emulator.codec import HttpResponse

    region = str(getattr(signer, "region_name", None) or region)
    query = f"?{request.raw_query}" if request.raw_query else ""
    headers = HTTPHeaders()
    for name, value in request.headers.items():
        headers[name] = value
    credentials = getattr(signer, "_credentials", None)  # moto reads the account from the access key
    access_key = getattr(credentials, "access_key", None)
    if access_key and "Authorization" not in headers:
        headers["Authorization"] = f"AWS4-HMAC-SHA256 Credential={access_key}/"
    prepared = AWSPreparedRequest(
        request.method,
        f"https://connect.{region}.amazonaws.com{request.raw_path}{query}",
        headers,
        request.body,
        stream_output=False,
    )
    answered = _stubber().process_request(prepared)
    if answered is None:
        return None
    status, answer_headers, body = answered
    if isinstance(body, str):
        body = body.encode("utf-8")
    return HttpResponse(int(status), {str(k): str(v) for k, v in answer_headers.items()}, bytes(body or b""))


@dataclass
class EmulatorTarget:
    """The embedded emulator, in-process; under moto's ``mock_aws``, moto for what moto implements."""

    emulator: Emulator
    offline: bool = True

    def __post_init__(self) -> None:
        backend = getattr(self.emulator, "backend", None)
        if backend is not None and hasattr(backend, "instances_elsewhere"):
            backend.instances_elsewhere = moto_instance

    def answer(self, operation: str, request: HttpRequest, signer: Any) -> HttpResponse | None:
        if moto_active():
            # the instance operations among them: moto's state is the one; tags of what the emulator holds
            # (its email addresses) are the emulator's
            if operation in moto_operations() and not self._emulator_holds(operation, request):
                return ask_moto(request, signer, self.emulator.config.region)
            if operation not in spec.OPERATIONS:
                return None  # neither covers it: moto's before-send handler answers what it can
        return self.emulator.handle(request, signed=False)

    def _emulator_holds(self, operation: str, request: HttpRequest) -> bool:
        """A tag operation on a resource of the emulator's store (an email address of a moto instance)."""
        if operation not in TAG_OPERATIONS:
            return False
        routed = router.match(request.method, request.raw_path)
        holds = getattr(getattr(self.emulator, "backend", None), "holds", None)
        return routed is not None and callable(holds) and bool(holds(routed[1].get("resourceArn", "")))

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
        return TransportAnswer(int(response.status_code), dict(response.headers.items()), bytes(response.content))

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
        from pytest_connect_email.routing.exchange import exchange

        try:  # recorded (connect_calls) and subject to injected faults like an in-process call
            answer = exchange(self.target, found[0], request, None)
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


#: Hosts that are this machine: recording from them needs no account check.
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def account_refusal(
    endpoint_url: str | None, region: str, mode: str, record_accounts: tuple[str, ...], action: str
) -> str | None:
    """Why ``action`` (recording, creating an instance live) is refused against ``endpoint_url``, or ``None``:
    anything but loopback needs the AWS account (asked of STS) to be among ``record_accounts``."""
    from urllib.parse import urlsplit

    host = urlsplit(endpoint_url or "").hostname
    if host in LOOPBACK:
        return None
    import boto3

    try:
        account = str(boto3.client("sts", region_name=region, endpoint_url=None).get_caller_identity()["Account"])
    except Exception as exc:
        return f"--connect-mode {mode}: cannot tell which AWS account this is ({exc}); refusing to {action}"
    if account not in record_accounts:
        return (
            f"--connect-mode {mode} refuses to {action} in AWS account {account}: it is not in "
            f"--connect-record-accounts (ini connect_record_accounts). Add it there if it is a sandbox account, "
            f"or pass --connect-instance-id to use an instance you made yourself."
        )
    return None
