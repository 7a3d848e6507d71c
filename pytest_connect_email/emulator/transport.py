"""The emulator as a botocore transport: a client's calls answered in-process, without sockets.

:func:`attach` registers three handlers on one ``connect`` client: at ``before-call`` it notes the serialised
request (and marks the call as routed, so that a process-wide interception leaves it alone), at
``choose-signer`` it asks for no signature (nothing leaves the process, no credentials are needed), and at
``before-send`` — inside botocore's retry loop — it hands the request to a callable (the emulator's
:meth:`~.server.Emulator.handle`) and gives botocore the answer as if it came over the wire: botocore parses
it with its own rest-json parser and retries a retryable error as its retry configuration says.

The conversions between botocore's request and response objects and the emulator's (:func:`http_request`,
:class:`RawBody`) are shared with the routing layer, which builds its interception on them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

from pytest_connect_email.emulator.codec import HttpRequest, HttpResponse

#: Set in a call's request context when its client's own handler answers it (:func:`attach`, the routing
#: layer's ``route``): the process-wide handlers leave the call alone.
ROUTED = "connect_email_routed"


def attach(client: Any, handle: Callable[[HttpRequest], HttpResponse]) -> Any:
    """Answer every call of ``client`` (a botocore/boto3 ``connect`` client) with ``handle``; returns the client."""
    import botocore
    from botocore.awsrequest import AWSResponse

    local = threading.local()

    def on_call(model: Any, params: dict[str, Any], context: Any = None, **_: Any) -> None:
        if isinstance(context, dict):
            context[ROUTED] = True
        local.pending = (model.name, params)

    def on_signer(**_: Any) -> Any:
        return botocore.UNSIGNED

    def on_send(request: Any, event_name: str = "", **_: Any) -> Any:
        pending = getattr(local, "pending", None)
        if pending is None or event_name.split(".")[2:3] != [pending[0]]:
            return None
        response = handle(http_request(pending[1]))
        return AWSResponse(request.url, response.status, response.headers, RawBody(response.body))

    events = client.meta.events
    events.register_first("before-call.connect", on_call, unique_id="connect-email-emulator-call")
    events.register_first("choose-signer.connect", on_signer, unique_id="connect-email-emulator-unsigned")
    events.register_first("before-send.connect", on_send, unique_id="connect-email-emulator-answer")
    return client


def http_request(params: dict[str, Any]) -> HttpRequest:
    """botocore's serialised request dict (``before-call``'s ``params``) as the emulator's request."""
    from urllib.parse import parse_qsl, urlsplit

    from pytest_connect_email.emulator.codec import HttpRequest

    split = urlsplit(params["url"])
    raw_path = operation_path(params)
    body = params.get("body") or b""
    if isinstance(body, str):
        body = body.encode("utf-8")
    elif hasattr(body, "read"):
        body = body.read()
    return HttpRequest(
        method=params["method"],
        raw_path=raw_path,
        query=parse_qsl(split.query, keep_blank_values=True),
        headers={k: v.decode() if isinstance(v, bytes) else str(v) for k, v in params["headers"].items()},
        body=bytes(body),
        raw_query=split.query,
        host=split.netloc,
    )


def operation_path(params: dict[str, Any]) -> str:
    """The operation's own path, without the path of the endpoint the client was configured with
    (``https://gateway.example/connect`` + ``/instance``): botocore keeps it as ``url_path``."""
    from urllib.parse import urlsplit

    url_path = params.get("url_path")
    if isinstance(url_path, str) and url_path.startswith("/"):
        return url_path.split("?", 1)[0]
    return urlsplit(params["url"]).path or "/"


class RawBody:
    """The raw body object botocore's ``AWSResponse`` reads from."""

    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._body

    def read(self, *_: Any) -> bytes:
        body, self._body = self._body, b""
        return body
