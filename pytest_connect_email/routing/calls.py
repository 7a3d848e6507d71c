"""What the code under test sent to Connect, and what it got back: one :class:`Call` per attempt that a
target answered, in order. Importable without pytest (and without botocore until a call is read).

Calls are recorded into the innermost open :class:`Calls` log (:func:`begin` opens one, :func:`end`
closes it): the pytest plugin opens one per test before its setup starts, so a test's calls include
those of its fixtures; :func:`pytest_connect_email.mock` opens one per block (``connect.calls``).
Every route records: the in-process interception of the application's clients, the fixtures'
clients, and the loopback front that subprocesses (the AWS CLI, another SDK) reach.

A call is kept as the HTTP exchange (cheap to record); its boto3 parameters, parsed answer and error
code are decoded on first read, with the emulator's codec and botocore's parser, so the cost of
recording does not grow with what a test never looks at. A retried call is one entry per attempt,
as AWS would see it.
"""

from __future__ import annotations

import functools
import os
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from types import FrameType
from typing import TYPE_CHECKING, Any, overload

if TYPE_CHECKING:
    from pytest_connect_email.emulator.codec import HttpRequest, HttpResponse

__all__ = ["Call", "Calls", "begin", "current", "end", "observe", "record", "unobserve"]

#: The error code recorded for an attempt that ended in botocore's ``ReadTimeoutError`` (an injected delay
#: longer than the client's ``read_timeout``): there is no answer, so no service error code.
TIMEOUT = "ReadTimeoutError"


class Call:
    """One Connect request and its answer.

    ``operation`` (``"StartEmailContact"``), ``params`` (the request as boto3 parameters, as sent:
    botocore's generated ``ClientToken`` included), ``response`` (the parsed answer without
    ``ResponseMetadata``, ``None`` on error) and ``error`` (the error code, ``None`` on success).
    """

    #: Who made the call: ``"application"`` (the test's or the code under test's, a subprocess's through the
    #: loopback front), or ``"plugin"`` when the frame that called the botocore client method belongs to this
    #: package (the fixtures' setup and teardown, the shipped conformance checks): see :func:`origin`.
    origin: str = "application"

    def __init__(self, operation: str, request: HttpRequest, answer: HttpResponse | None, error: str | None = None):
        self.operation = operation
        #: The HTTP request and answer as exchanged (``answer`` is ``None`` when the attempt timed out).
        self.request = request
        self.answer = answer
        if error is not None:
            self.__dict__["error"] = error

    def __repr__(self) -> str:
        outcome = f"error={self.error!r}" if self.error else "ok"
        return f"<Call {self.operation} {outcome}>"

    @functools.cached_property
    def params(self) -> dict[str, Any]:
        from pytest_connect_email.contracts import spec
        from pytest_connect_email.emulator import codec, router

        found = router.match(self.request.method, self.request.raw_path)
        labels = found[1] if found is not None else {}
        try:
            return codec.parse_request(spec.operation_model(self.operation), self.request, labels)
        except Exception:  # a request the codec cannot read (the emulator refused it too): nothing to show
            return {}

    @functools.cached_property
    def _parsed(self) -> dict[str, Any]:
        if self.answer is None:
            return {}
        from botocore.compat import HTTPHeaders
        from botocore.parsers import create_parser

        from pytest_connect_email.contracts import spec

        headers = HTTPHeaders()
        for name, value in self.answer.headers.items():
            headers[name] = value
        shape = spec.operation_model(self.operation).output_shape
        parsed: dict[str, Any] = create_parser("rest-json").parse(
            {"status_code": self.answer.status, "headers": headers, "body": self.answer.body}, shape
        )
        parsed.pop("ResponseMetadata", None)
        return parsed

    @functools.cached_property
    def error(self) -> str | None:
        if self.answer is None or self.answer.status < 300:
            return None
        return str(self._parsed.get("Error", {}).get("Code") or f"HTTP {self.answer.status}")

    @property
    def response(self) -> dict[str, Any] | None:
        return None if self.error is not None else self._parsed


class Calls(Sequence[Call]):
    """The calls of a test (``connect_calls``) or of a ``mock()`` block (``connect.calls``), in order."""

    def __init__(self) -> None:
        self._items: list[Call] = []

    @overload
    def __getitem__(self, index: int) -> Call: ...
    @overload
    def __getitem__(self, index: slice) -> list[Call]: ...
    def __getitem__(self, index: int | slice) -> Call | list[Call]:
        return self._items[index]

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[Call]:
        return iter(list(self._items))

    def __repr__(self) -> str:
        return f"<Calls {[call.operation for call in self._items]}>"

    def of(self, operation: str) -> list[Call]:
        """The calls of one operation (``"StartEmailContact"`` or ``"start_email_contact"``), in order."""
        from pytest_connect_email.contracts import spec

        name = spec.resolve_operation(operation)
        return [call for call in self._items if call.operation == name]

    def clear(self) -> None:
        self._items.clear()

    def append(self, call: Call) -> None:
        self._items.append(call)


_OPEN: list[Calls] = []
_LOCK = threading.Lock()


def begin(log: Calls | None = None) -> Calls:
    """Open a log (``log``, or a new one): calls are recorded into it until :func:`end` closes it."""
    log = Calls() if log is None else log
    with _LOCK:
        _OPEN.append(log)
    return log


def end(log: Calls | None = None) -> None:
    """Close ``log`` (default: the innermost); the log it was opened inside records again."""
    with _LOCK:
        if log is None:
            if _OPEN:
                _OPEN.pop()
        elif log in _OPEN:
            del _OPEN[len(_OPEN) - 1 - _OPEN[::-1].index(log)]


def current() -> Calls | None:
    """The innermost open log, if any."""
    return _OPEN[-1] if _OPEN else None


#: Called with every recorded call, whether or not a log is open (``--connect-usage``); empty unless asked,
#: so a run without it pays one check per call.
_OBSERVERS: list[Callable[[Call], None]] = []


def observe(observer: Callable[[Call], None]) -> None:
    """Hand every call recorded from now on to ``observer`` too (in the thread that made it; it must not raise)."""
    with _LOCK:
        _OBSERVERS.append(observer)


def unobserve(observer: Callable[[Call], None]) -> None:
    with _LOCK:
        if observer in _OBSERVERS:
            _OBSERVERS.remove(observer)


#: Packages a client call goes through on its way to the target; the frame outside them made the call.
_CLIENT_LIBRARIES = frozenset({"botocore", "boto3", "aiobotocore", "s3transfer"})
_PACKAGE = __name__.split(".")[0]
_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep  # the whole package, every layer


def _top(frame: FrameType) -> str:
    return str(frame.f_globals.get("__name__", "")).split(".")[0]


def origin(frame: FrameType | None = None) -> str:
    """``"plugin"`` when the frame that called the botocore client method (the caller of the run of botocore,
    boto3 and aiobotocore frames nearest ``frame``, default: the caller's) is this package's code
    (its fixtures, the shipped conformance checks), else ``"application"``: the test's own calls, through
    ``connect_client`` too, are the application's, and so is a call with no client frame in this thread (a
    subprocess's, through the loopback front)."""
    frame = sys._getframe(1) if frame is None else frame
    caller: FrameType | None = None
    inside = False
    while frame is not None:
        if _top(frame) in _CLIENT_LIBRARIES:
            inside = True  # a paginator's, boto3's and aiobotocore's frames belong to the same run
        elif inside:
            caller = frame
            break
        frame = frame.f_back
    if caller is None:
        return "application"
    ours = _top(caller) == _PACKAGE or os.path.abspath(caller.f_code.co_filename).startswith(_PACKAGE_DIR)
    return "plugin" if ours else "application"


def record(operation: str, request: HttpRequest, answer: HttpResponse | None, error: str | None = None) -> None:
    """Record one exchange into the innermost open log (nothing when none is open), and hand it to the observers."""
    log = _OPEN[-1] if _OPEN else None
    if log is None and not _OBSERVERS:
        return
    call = Call(operation, request, answer, error)
    if _OBSERVERS:  # the stack is read only when someone looks (--connect-usage)
        call.origin = origin(sys._getframe(1))
    if log is not None:
        log.append(call)
    for observer in list(_OBSERVERS):
        observer(call)
