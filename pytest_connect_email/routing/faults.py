"""Connect failing on purpose: the next calls of an operation answer an error, or answer late.

``faults.add("StartEmailContact", "ThrottlingException", times=2)`` makes the next two attempts of
that operation answer ``ThrottlingException`` exactly as AWS would: the model's HTTP status for the
error shape (429 here), the code in ``x-amzn-ErrorType`` and the body's ``__type``, serialised by the
emulator's codec, so botocore parses it into the same ``ClientError`` and its retry handlers judge it
as they judge AWS's. An injected fault takes the place of the target's answer (the target never sees
the call); attempts after the last fault reach the target again.

Which codes an operation may answer comes from botocore's model (the operation's ``errors``), plus
:data:`COMMON_ERRORS`: the errors AWS documents as "common to all actions" that the connect model
also has a shape for. Anything else is a :class:`ValueError` naming the valid codes.

``delay=`` seconds (at most :data:`MAX_DELAY`) makes those attempts answer late: a client whose
``read_timeout`` is shorter gets botocore's ``ReadTimeoutError`` after its ``read_timeout`` (in
process as over the loopback front), and retries it as it would a real timeout.

Importable without pytest; :class:`Faults` is what ``connect_faults`` and ``mock().faults`` are.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pytest_connect_email.emulator.codec import HttpResponse

__all__ = ["COMMON_ERRORS", "MAX_DELAY", "Fault", "Faults", "active", "take"]

#: Errors any Connect action may answer whatever its model entry lists: AWS's "Common Errors" page
#: of the Connect API reference lists ThrottlingException for all actions (a request can be throttled
#: before it reaches the operation), and the connect model has its shape (status 429). botocore's
#: retry handlers also know ``TooManyRequestsException`` and others; those are allowed only where the
#: model lists them for the operation, since Connect answers them only there.
COMMON_ERRORS = ("ThrottlingException",)
#: The longest injected delay, in seconds (botocore's default ``read_timeout`` is 60 s: set a shorter
#: one on the client to see a timeout).
MAX_DELAY = 30.0


@dataclass
class Fault:
    """One injected fault: ``remaining`` more attempts of ``operation`` answer ``error_code`` (``None``:
    the target's own answer) after ``delay`` seconds."""

    operation: str
    error_code: str | None
    remaining: int
    delay: float = 0.0

    def response(self) -> HttpResponse:
        """The error answer, as the emulator serialises its own errors."""
        from pytest_connect_email.contracts import spec
        from pytest_connect_email.emulator import codec
        from pytest_connect_email.emulator.errors import ServiceError

        assert self.error_code is not None
        error = ServiceError(
            self.error_code, f"{self.error_code} injected by pytest-connect-email (faults.add) into {self.operation}"
        )
        return codec.with_request_id(codec.serialize_error(spec.service_model(), error))


def valid_errors(operation: str) -> list[str]:
    """The error codes ``operation`` may answer: its modelled errors and :data:`COMMON_ERRORS`."""
    from pytest_connect_email.contracts import spec

    modelled = [shape.name for shape in spec.operation_model(operation).error_shapes]
    return sorted(set(modelled) | {code for code in COMMON_ERRORS if code in spec.service_model().shape_names})


class Faults:
    """The faults of a test (``connect_faults``) or a ``mock()`` (``connect.faults``)."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<Faults {self._faults}>"

    def add(self, operation: str, error_code: str | None = None, *, times: int = 1, delay: float = 0.0) -> Fault:
        """Make the next ``times`` attempts of ``operation`` answer ``error_code`` (and/or answer ``delay``
        seconds late). Faults of one operation are used in the order they were added."""
        from pytest_connect_email.contracts import spec

        name = spec.resolve_operation(operation)  # UnknownOperationError (a ValueError) lists the known ones
        if isinstance(times, bool) or not isinstance(times, int) or times < 1:
            raise ValueError(f"faults.add({name!r}): times must be a positive int, not {times!r}")
        if isinstance(delay, bool) or not isinstance(delay, int | float) or not math.isfinite(delay):
            raise ValueError(f"faults.add({name!r}): delay must be a number of seconds, not {delay!r}")
        if not 0 <= delay <= MAX_DELAY:
            raise ValueError(f"faults.add({name!r}): delay must be between 0 and {MAX_DELAY:g} seconds, not {delay!r}")
        if error_code is None and not delay:
            raise ValueError(f"faults.add({name!r}): give an error_code, a delay, or both")
        if error_code is not None:
            valid = valid_errors(name)
            if error_code not in valid:
                raise ValueError(
                    f"faults.add({name!r}, {error_code!r}): {name} does not answer {error_code!r} in botocore's "
                    f"model; valid codes: {', '.join(valid)}"
                )
        fault = Fault(name, error_code, times, float(delay))
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    @property
    def pending(self) -> list[Fault]:
        """The faults that still have attempts to answer."""
        with self._lock:
            return [fault for fault in self._faults if fault.remaining > 0]

    def take(self, operation: str) -> Fault | None:
        """The fault that answers this attempt of ``operation`` (one of its ``times`` used), if any."""
        with self._lock:
            for fault in self._faults:
                if fault.operation == operation and fault.remaining > 0:
                    fault.remaining -= 1
                    return fault
        return None


_ACTIVE: list[Faults] = []
_LOCK = threading.Lock()


def activate(faults: Faults) -> Faults:
    """Make ``faults`` the ones calls consult (until :func:`deactivate`)."""
    with _LOCK:
        _ACTIVE.append(faults)
    return faults


def deactivate(faults: Faults) -> None:
    with _LOCK:
        for index in range(len(_ACTIVE) - 1, -1, -1):
            if _ACTIVE[index] is faults:
                del _ACTIVE[index]
                break


def active() -> Faults | None:
    return _ACTIVE[-1] if _ACTIVE else None


def take(operation: str) -> Fault | None:
    """The fault that answers this attempt of ``operation`` in the active faults, if any (fast when none)."""
    faults = _ACTIVE[-1] if _ACTIVE else None
    return None if faults is None else faults.take(operation)
