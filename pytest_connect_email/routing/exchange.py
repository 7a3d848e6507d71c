"""One attempt of a routed call: an injected fault if one is due, else the target's answer, recorded in the
call log. What the interception (:mod:`.intercept`), the loopback front (:mod:`.targets`) and the cassettes
share: the :class:`Target` protocol, :class:`TransportAnswer` and :func:`call_site`."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from pytest_connect_email.emulator.codec import HttpResponse as _HttpResponse

if TYPE_CHECKING:
    from pytest_connect_email.emulator.codec import HttpRequest, HttpResponse


class Target(Protocol):
    """Where intercepted calls go. ``answer`` returns ``None`` to let botocore send the call itself."""

    #: True when no Connect request may leave the process (emulator and replay).
    offline: bool

    def answer(self, operation: str, request: HttpRequest, signer: Any) -> HttpResponse | None: ...


class Owner(Protocol):
    """Who a failed exchange is reported to (an :class:`~.intercept.Interception`)."""

    def fail(self, message: str, error: BaseException | None = None) -> None: ...


@dataclass
class TransportAnswer(_HttpResponse):
    """An answer exactly as an endpoint sent it over the network (:class:`HttpTarget`). Nothing is added to or
    removed from it before the contract and protocol checks see it: a target that sends no ``x-amzn-RequestId``
    is judged on that. Answers made in-process (the emulator, moto, a cassette's recording) are plain
    :class:`~.emulator.codec.HttpResponse` objects, which :func:`.intercept.exchange` names with a request id
    when they carry none."""


#: Top-level packages whose frames are not "the application's call".
_LIBRARY_FRAMES = frozenset(
    {"botocore", "boto3", "s3transfer", "aiobotocore", "pytest_connect_email", "contextlib", "functools"}
)


def call_site() -> str:
    """``file:line (in function)`` of the innermost frame outside botocore, boto3 and this package."""
    frame = sys._getframe(1)
    while frame is not None:
        top = str(frame.f_globals.get("__name__", "")).split(".")[0]
        if top not in _LIBRARY_FRAMES:
            return f"{frame.f_code.co_filename}:{frame.f_lineno} (in {frame.f_code.co_name})"
        frame = frame.f_back  # type: ignore[assignment]
    return "an unknown place"


def exchange(
    target: Target,
    operation: str,
    request: HttpRequest,
    signer: Any,
    owner: Owner | None = None,
    read_timeout: float | None = None,
) -> HttpResponse | None:
    """Answer one attempt of a call: an injected fault (:mod:`.faults`) if one is due, else ``target``;
    recorded in the open log (:mod:`.calls`). ``None``: the target leaves the call to botocore (moto).

    An injected delay of ``read_timeout`` seconds or more (the calling client's) waits ``read_timeout``
    and raises botocore's ``ReadTimeoutError``, as a socket would; without one it only waits.
    """
    from pytest_connect_email.emulator.codec import HttpResponse, with_request_id
    from pytest_connect_email.routing import calls, faults

    fault = faults.take(operation)
    if fault is not None:
        if fault.delay:
            import time

            if read_timeout is not None and fault.delay >= read_timeout:
                from botocore.exceptions import ReadTimeoutError

                time.sleep(read_timeout)
                calls.record(operation, request, None, calls.TIMEOUT)
                raise ReadTimeoutError(endpoint_url=f"https://{request.host}{request.raw_path}")
            time.sleep(fault.delay)
        if fault.error_code is not None:
            injected = fault.response()
            calls.record(operation, request, injected)
            return injected
    try:
        response = target.answer(operation, request, signer)
        if response is not None and response.body:
            # botocore's JSON parser recurses once per level: an answer over the budgets is the target's
            # fault, said as such, never a RecursionError inside botocore.
            from pytest_connect_email import limits

            limits.check_json_text(response.body.decode("utf-8", "replace"), f"the answer to {operation}")
    except Exception as exc:
        if owner is not None:
            owner.fail(f"{operation} call made at {call_site()}: {exc}", exc)
        raise
    if response is None:
        return None
    if not isinstance(response, TransportAnswer):
        # An answer made in-process (moto's, a cassette's recording, which keeps no request ids) names its
        # request as AWS's answers do (ResponseMetadata.RequestId); the emulator's carry their own already. An
        # endpoint's answer is judged as it was sent: nothing is added to or removed from it.
        response = with_request_id(HttpResponse(response.status, dict(response.headers), response.body))
    calls.record(operation, request, response)
    return response
