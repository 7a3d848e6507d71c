"""Contract-checked boto3 clients: every request, response and error is held to the contracts.

:func:`checked` registers two handlers on a ``connect`` client's event system:

- ``provide-client-params``: the parameters are validated before botocore even builds the request
  (unless the client is meant to send invalid requests on purpose);
- ``after-call``: a successful answer must meet the response contract, an error answer the error
  contract of the operation — on both transports, since the in-process emulator answers through the
  same event chain. Every error answer that meets its contract is noted in :data:`ERRORS` (operation
  and code), from which the conformance report tells which modelled errors a run exercised.

An answer that shows the endpoint does not implement the operation at all (an unknown route's 404 or
501, ``UnknownOperationException``, a 404 whose code the operation does not model) raises
:class:`EndpointNotImplemented` instead, so a conformance run can report "not implemented" rather
than a contract failure. This module never imports pytest.
"""

from __future__ import annotations

import html
import re
import threading
from dataclasses import dataclass
from typing import Any

from pytest_connect_email.contracts import validator

#: Error codes with which endpoints say "no such operation here".
NOT_IMPLEMENTED_CODES = frozenset(
    {"UnknownOperationException", "NotImplemented", "NotImplementedException", "InvalidAction", "404", "501"}
)


#: How much of an answer's text a "not implemented" summary keeps.
SUMMARY_CHARS = 120

_TAG = re.compile(r"<!--.*?-->|<(script|style)\b.*?</\1\s*>|<[^>]*>", re.S | re.I)


def text_summary(text: str, limit: int = SUMMARY_CHARS) -> str:
    """One line of an answer's text: HTML tags (and scripts, styles, comments) stripped, entities decoded,
    whitespace collapsed, at most ``limit`` characters (``...`` marks a cut)."""
    plain = " ".join(html.unescape(_TAG.sub(" ", text)).split())
    return plain if len(plain) <= limit else plain[: limit - 3].rstrip() + "..."


def _phrase(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def answer_summary(status: int, code: str, text: str, limit: int = SUMMARY_CHARS) -> str:
    """One line saying what an error answer was, each thing once: ``HTTP 404 Not Found: The requested URL
    ...`` (a page whose text only repeats its status), ``HTTP 400 UnknownOperationException: ...`` (a code
    of its own). The status's number and phrase, and the code, are left off the front of the text where it
    repeats them; the text is cut to ``limit`` characters (:func:`text_summary`)."""
    phrase = _phrase(status)
    own_code = bool(code) and code not in (str(status), phrase)
    head = f"HTTP {status} {code}" if own_code else f"HTTP {status} {phrase}".rstrip()
    plain = " ".join(html.unescape(_TAG.sub(" ", text)).split())
    repeats = [r for r in (str(status), phrase, code, f"HTTP {status}", f"HTTP/1.1 {status}") if r]
    trimmed = None
    while trimmed != plain:  # "404 Not Found Not Found The requested URL ..." -> "The requested URL ..."
        trimmed = plain
        for repeat in sorted(repeats, key=len, reverse=True):
            if plain.lower().startswith(repeat.lower()) and plain[len(repeat) : len(repeat) + 1] in ("", " ", ":"):
                plain = plain[len(repeat) :].lstrip(" :-")
    if not text.strip():
        return f"{head}: (empty answer)"
    return f"{head}: {text_summary(plain, limit)}" if plain else head


class EndpointNotImplemented(Exception):
    """The endpoint does not implement an operation; carries its answer.

    Its message is one line that says each thing once: the status (its number and phrase, or the answer's
    error code when it has one of its own) and a summary of the answer's text without what repeats them,
    at most :data:`SUMMARY_CHARS` characters (never raw HTML): ``HTTP 404 Not Found: The requested URL ...``.
    """

    def __init__(self, operation: str, status: int, code: str, message: str) -> None:
        self.operation, self.status, self.code, self.message = operation, status, code, message
        super().__init__(f"{operation} is not implemented by the endpoint: {answer_summary(status, code, message)}")


@dataclass
class Exchange:
    """The last answer a checked client received (for checks on the raw body)."""

    operation: str = ""
    status: int = 0
    body: bytes = b""


class ErrorLog:
    """The error answers checked clients of this process received, as ``(operation, code)`` pairs.

    Process-wide on purpose: the pytest plugin clears it before each test and hands what a conformance
    check saw to the check's report, which carries it to the controller under pytest-xdist.
    Thread-safe (checks may call from several threads at once).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seen: list[tuple[str, str]] = []

    def add(self, operation: str, code: str) -> None:
        with self._lock:
            self._seen.append((operation, code))

    def take(self) -> list[tuple[str, str]]:
        """What was noted since the last :meth:`take` or :meth:`clear`, in order; the log is emptied."""
        with self._lock:
            seen, self._seen = self._seen, []
        return seen

    def clear(self) -> None:
        with self._lock:
            self._seen.clear()


#: The error answers of every checked client in this process (see :func:`checked`).
ERRORS = ErrorLog()


def not_implemented(operation: str, status: int, code: str) -> bool:
    """Whether an error answer means the endpoint lacks the operation (rather than refusing the call)."""
    if code in NOT_IMPLEMENTED_CODES or status in (405, 501):
        return True
    return status == 404 and code not in validator.error_codes(operation)


def answer_body(http_response: Any) -> bytes | None:
    """The raw body of an answer; ``None`` for a stub's answer (botocore's Stubber sends no body)."""
    if getattr(http_response, "raw", None) is None:
        return None
    return bytes(http_response.content or b"")


def check_answer(operation: str, http_response: Any, parsed: Any) -> str:
    """Hold one answer to its contract: the response contract below 300, else the error contract.

    Returns the error code of an error answer that meets its contract (``""`` for a success, or for a
    stub's error, which no target sent). Raises :class:`EndpointNotImplemented` when the answer shows
    the endpoint lacks the operation.
    """
    status = int(http_response.status_code)
    body = answer_body(http_response)
    if status < 300:
        validator.validate_response(operation, parsed)
        return ""
    if body is None:  # a stubbed error (botocore's Stubber) has only the code it was given: nothing to judge
        return ""
    code = validator.error_code(http_response.headers, body)
    if not code and isinstance(parsed, dict):  # e.g. an HTML 404 page: botocore names it by its status
        code = str(parsed.get("Error", {}).get("Code", ""))
    if not_implemented(operation, status, code):
        message = parsed.get("Error", {}).get("Message", "") if isinstance(parsed, dict) else ""
        raise EndpointNotImplemented(operation, status, code, message or body.decode("utf-8", "replace"))
    validator.validate_error(operation, status, dict(http_response.headers), body)
    return code


def checked(client: Any, *, validate_requests: bool = True) -> Any:
    """Hold a boto3 ``connect`` client to the contracts; returns the same client.

    The last answer is kept on ``client.connect_email_last`` (an :class:`Exchange`); error answers
    that meet their contracts are noted in :data:`ERRORS`.
    """
    last = Exchange()

    def before(params: dict[str, Any], model: Any, **_: Any) -> None:
        if validate_requests:
            validator.validate_request(model.name, params)

    def after(http_response: Any, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        last.operation, last.status = model.name, int(http_response.status_code)
        last.body = answer_body(http_response) or b""
        code = check_answer(model.name, http_response, parsed)
        if code:
            ERRORS.add(model.name, code)

    client.meta.events.register("provide-client-params.connect", before)
    client.meta.events.register("after-call.connect", after)
    client.connect_email_last = last
    return client
