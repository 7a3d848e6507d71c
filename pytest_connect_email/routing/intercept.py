"""Process-wide interception of botocore ``connect`` clients: route every call to a target, hold it
to the contracts, and let nothing escape in the offline modes. Importable without pytest.

How it reaches clients the code under test makes itself:

- :func:`install` appends its handlers to ``botocore.handlers.BUILTIN_HANDLERS`` (once per
  process), so every botocore session created afterwards, and every client made from it, carries
  them — boto3's default session, ``boto3.Session(...)``, clients made inside functions or at import;
- it also registers them on the sessions and ``connect`` clients that already exist (found once,
  through the garbage collector), so a module-level client made before the plugin loaded is covered
  too; :func:`patch_client` does the same for one client by hand.

The handlers do nothing while no :class:`Interception` is active (they are switched on and off, never
re-registered). While one is:

- ``provide-client-params.connect``: the request is checked against its contract before botocore
  builds it; a violation raises :class:`~.contracts.ContractViolation` naming the file and line of
  the call (:class:`~.contracts.ParameterViolation`, also botocore's ``ParamValidationError``, when
  botocore would refuse the request too), and is remembered with the exception: when the test ends,
  one caught outside the test's own code and the test machinery was swallowed by the code under
  test, and the test still fails (:func:`swallowed`);
- ``before-call.connect``: the call is routed to the target (after endpoint resolution, so the
  endpoint the client was configured with — ``endpoint_url``, ``AWS_ENDPOINT_URL``,
  ``AWS_ENDPOINT_URL_CONNECT`` — does not matter); it is remembered for this thread or task;
- ``choose-signer.connect``: an offline routed call is not signed (no credentials needed);
- ``before-send.connect`` (ahead of moto's ``before-send``): each attempt of the call is answered by an
  injected fault (:mod:`.faults`) or the target, recorded (:mod:`.calls`), and handed to botocore as
  the HTTP answer, *inside* botocore's retry loop: botocore parses it (``ClientError`` included),
  its retry handlers judge it and ``RetryAttempts`` counts, as over the wire. Nothing is sent. The
  answered request is re-addressed to an ``.invalid`` host so moto's handler, asked after ours, leaves
  it alone; aiobotocore clients (whose ``before-send`` awaits an answer object of their own) are
  answered at ``before-call`` instead, outside the retry loop;
- ``after-call.connect``: the answer is checked against the response or error contract;
- ``before-send`` (registered last, for every service, acting on ``connect`` only): in the offline
  modes a Connect request that nothing answered (an operation the emulator lacks when moto did not
  take it either) gets ``UnknownOperationException`` instead of reaching the network.

Operations the target does not cover go to moto when moto's ``mock_aws`` is active (its handler sits
on ``before-send``); every other service is never touched.
"""

from __future__ import annotations

import contextlib
import contextvars
import gc
import json
import os
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from types import FrameType
from typing import TYPE_CHECKING, Any

from pytest_connect_email.emulator.transport import ROUTED, RawBody, http_request, operation_path
from pytest_connect_email.routing.calls import Calls
from pytest_connect_email.routing.exchange import _LIBRARY_FRAMES, Target, call_site, exchange
from pytest_connect_email.routing.faults import Faults

if TYPE_CHECKING:
    from pytest_connect_email.emulator import RunningServer
    from pytest_connect_email.emulator.codec import HttpResponse

__all__ = ["CallRefused", "Interception", "Target", "call_site", "exempt", "install", "mock", "patch_client", "route"]


# -- the active interceptions ----------------------------------------------------------------------

_ACTIVE: list[Interception] = []
_LOCK = threading.RLock()
_INSTALLED = False
#: Why Connect calls are refused while no interception is active (set when a pytest run that routed
#: them offline ended: a thread still running, or an ``atexit`` handler, must not reach AWS instead).
_SEALED: str | None = None


class CallRefused(RuntimeError):
    """A Connect call made where the run promised that none leaves the process, and nothing routes it."""


class Failure(str):
    """One remembered failure (:attr:`Interception.failures`): its message, and the exception the
    caller got, whose traceback tells where it was caught (:func:`swallowed`)."""

    error: BaseException | None

    def __new__(cls, message: str, error: BaseException | None = None) -> Failure:
        made = super().__new__(cls, message)
        made.error = error
        return made


def _machinery() -> tuple[str, ...]:
    """The folders of the test machinery that catches on a test's behalf (``pytest.raises`` in either
    form, unittest's ``assertRaises``), of the ones this process has loaded."""
    folders = []
    for name in ("_pytest", "pytest", "unittest"):
        file = getattr(sys.modules.get(name), "__file__", None)
        if file:
            folders.append(os.path.dirname(os.path.abspath(file)) + os.sep)
    return tuple(folders)


def caught_in(error: BaseException) -> str | None:
    """The file of the frame that caught ``error`` (``None``: never raised): a traceback grows by one
    entry per frame the exception leaves, so its first entry is the frame whose ``try`` or ``with`` ended it."""
    tb = error.__traceback__ or getattr(error, "dropped_traceback", None)  # unittest drops it
    return None if tb is None else os.path.abspath(tb.tb_frame.f_code.co_filename)


def swallowed(failures: Iterable[str], test_code: Callable[[str], bool]) -> list[str]:
    """The failures the code under test swallowed: those whose exception was caught outside the test's
    own code (``test_code(file)`` says which files are) and the test machinery, or that raised nothing
    the caller saw. A violation the test caught itself (``pytest.raises``, ``assertRaises``, its own
    ``try``) was expected; one the application caught and logged was not."""
    machinery = _machinery()
    out = []
    for failure in failures:
        error = getattr(failure, "error", None)
        where = None if error is None else caught_in(error)
        if where is None or not (where.startswith(machinery) or test_code(where)):
            out.append(failure)
    return out


def seal(reason: str) -> None:
    """Refuse every Connect call made while no interception is active, saying ``reason``."""
    global _SEALED
    _SEALED = reason


def unseal() -> None:
    global _SEALED
    _SEALED = None


def active() -> Interception | None:
    """The innermost active interception, if any."""
    return _ACTIVE[-1] if _ACTIVE else None


def _outside_libraries(frame: FrameType | None) -> FrameType | None:
    """``frame`` or the innermost of its callers outside botocore, boto3 and this package."""
    while frame is not None and str(frame.f_globals.get("__name__", "")).split(".")[0] in _LIBRARY_FRAMES:
        frame = frame.f_back
    return frame


def _files_of(thing: object) -> set[str]:
    """The source files of a function, or of the functions a class defines (a decorated test's code)."""
    import inspect

    members = list(vars(thing).values()) if isinstance(thing, type) else [thing]
    files = set()
    for member in members:
        code = getattr(inspect.unwrap(member) if callable(member) else member, "__code__", None)
        if code is not None:
            files.add(os.path.abspath(code.co_filename))
    return files


@dataclass(eq=False)  # identity: the active stack holds these objects
class Interception:
    """Route every ``connect`` client of the process to ``target`` and check its calls.

    Use as a context manager or decorator; :meth:`start` and :meth:`stop` do the same by hand.
    ``target=None`` checks contracts only and lets the calls go where they were configured to.
    """

    target: Target | None
    check: bool = True
    #: Starts the loopback server that :meth:`environ` offers a subprocess.
    serve: Callable[[], RunningServer] | None = None
    region: str = "us-east-1"
    #: Every contract violation and target error seen while active (a test may have swallowed it).
    failures: list[str] = field(default_factory=list)
    #: The files whose frames are the test's own code (a decorated test's file; the block's opener is added).
    test_files: set[str] = field(default_factory=set, repr=False)
    _server: RunningServer | None = field(default=None, repr=False)
    _saved_env: dict[str, str | None] = field(default_factory=dict, repr=False)
    _owned: list[Callable[[], None]] = field(default_factory=list, repr=False)

    # -- switching ---------------------------------------------------------------------------------

    def start(self) -> Interception:
        install()
        unseal()
        if self.target is not None and self.target.offline:
            # Clients resolve credentials when they are made; in the offline modes nothing is signed,
            # so an instance-metadata lookup (a network call) would only waste time or leave the machine.
            self._setenv("AWS_EC2_METADATA_DISABLED", "true", only_if_unset=True)
        with _LOCK:
            _ACTIVE.append(self)
        return self

    def stop(self) -> None:
        with _LOCK:
            if self in _ACTIVE:
                _ACTIVE.remove(self)
        if self._server is not None:
            self._server.stop()
            self._server = None
        for name, value in self._saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        self._saved_env.clear()
        while self._owned:
            self._owned.pop()()

    def __enter__(self) -> Interception:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, *_: object) -> None:
        opener = _outside_libraries(sys._getframe(1))  # the frame whose `with` opened the block
        if opener is not None:
            self.test_files.add(os.path.abspath(opener.f_code.co_filename))
        files = set(self.test_files)
        failures = swallowed(self.failures, files.__contains__)
        self.stop()
        if exc_type is None and failures:
            # The code inside swallowed what its Connect calls broke: the block still fails, as a test would.
            raise AssertionError(
                f"{len(failures)} Connect call(s) broke their contract or had no answer:\n\n" + "\n\n".join(failures)
            )

    def fresh(self) -> Interception:
        """A new interception like this one (a decorated function gets one per run)."""
        return self

    def __call__(self, function: Any) -> Any:
        """Decorate a function (a script's main, a test) or a class (each ``test*`` method, and for a
        ``unittest.TestCase`` its ``setUp`` to ``tearDown`` too) to run under this interception."""
        import functools
        import unittest

        if isinstance(function, type):
            cls = function
            if issubclass(cls, unittest.TestCase):
                set_up = cls.setUp

                def setUp(case: unittest.TestCase) -> None:  # unittest's name
                    scope = self.fresh().__enter__()
                    scope.test_files.update(_files_of(cls))
                    case.addCleanup(scope.__exit__, None, None, None)
                    set_up(case)

                cls.setUp = setUp  # type: ignore[method-assign,assignment]
                return cls
            for name, member in list(vars(cls).items()):
                if name.startswith("test") and callable(member):
                    setattr(cls, name, self(member))
            return cls

        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self.fresh() as scope:
                scope.test_files.update(_files_of(function))
                return function(*args, **kwargs)

        return wrapper

    def _setenv(self, name: str, value: str | None, *, only_if_unset: bool = False) -> None:
        """Set (``None``: remove) an environment variable for as long as this interception is active."""
        if only_if_unset and os.environ.get(name):
            return
        self._saved_env.setdefault(name, os.environ.get(name))
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value

    # -- for subprocesses --------------------------------------------------------------------------

    def environ(self, base: dict[str, str] | None = None) -> dict[str, str]:
        """An environment for a subprocess (the AWS CLI, another SDK, a script): the target served on
        loopback HTTP as ``AWS_ENDPOINT_URL_CONNECT``, with credentials it accepts and the region."""
        if self.serve is None:
            raise RuntimeError("this interception has no loopback server to offer a subprocess")
        if self._server is None:
            self._server = self.serve()
        return subprocess_environ(self._server.url, self.region, base)

    @property
    def url(self) -> str:
        """The loopback URL of the target (started on first use)."""
        self.environ({})
        assert self._server is not None
        return self._server.url

    # -- what the handlers do ----------------------------------------------------------------------

    def fail(self, message: str, error: BaseException | None = None) -> None:
        """Remember a failure; ``error``, the exception the caller gets, tells later whether the test
        caught it (expected) or the code under test swallowed it (:func:`swallowed`)."""
        with _LOCK:
            self.failures.append(Failure(message, error))

    def check_request(self, operation: str, params: dict[str, Any], model: Any = None) -> None:
        """Hold a request to its contract. A violation botocore's own parameter validation would refuse
        too raises :class:`~.contracts.ParameterViolation` (also botocore's ``ParamValidationError``, as
        plain botocore would raise), any other :class:`~.contracts.ContractViolation`."""
        __tracebackhide__ = True  # pytest shows the caller's frame, not ours (nor the request's values)
        from pytest_connect_email.contracts import spec, validator

        if operation not in spec.OPERATIONS:
            return  # no contract of ours: another part of the Connect API
        violations = validator.request_violations(operation, params)
        if violations:
            subject = f"request made at {call_site()}"
            refusal = botocore_refusal(operation, params, model)
            error: validator.ContractViolation = (
                validator.ParameterViolation(operation, "request", violations, subject, refusal)
                if refusal
                else validator.ContractViolation(operation, "request", violations, subject)
            )
            self.fail(str(error), error)
            raise error

    def check_answer(self, operation: str, http_response: Any, parsed: Any) -> None:
        __tracebackhide__ = True  # pytest shows the caller's frame, not ours (nor the request's values)
        from pytest_connect_email.contracts import spec, validator
        from pytest_connect_email.routing import client

        if operation not in spec.OPERATIONS:
            return
        try:
            client.check_answer(operation, http_response, parsed)
        except client.EndpointNotImplemented:
            return  # the code under test sees the error itself; nothing to hold to a contract
        except validator.ContractViolation as error:
            where = f"{error.subject} (answer to the call made at {call_site()})"
            violation = validator.ContractViolation(error.operation, error.direction, error.violations, where)
            self.fail(str(violation), violation)
            raise violation from None
        except AssertionError as error:
            failure = AssertionError(f"{error}\n  (answer to the call made at {call_site()})")
            self.fail(str(failure), failure)
            raise failure from None

    def route(self, model: Any, params: dict[str, Any], signer: Any) -> tuple[Any, Any] | None:
        if self.target is None:
            return None
        return answer_call(self.target, model, params, signer, self)


def botocore_refusal(operation: str, params: dict[str, Any], model: Any = None) -> str:
    """botocore's own parameter validation report on a request (``""``: it accepts it); ``model``, the
    client's operation model, defaults to the toolkit's."""
    from botocore.validate import ParamValidator

    from pytest_connect_email.contracts import spec

    shape = (model if model is not None else spec.operation_model(operation)).input_shape
    if shape is None:
        return ""
    try:
        report = ParamValidator().validate(params, shape)
    except Exception:  # a value botocore's validator cannot read: the contract report says what is wrong
        return ""
    return str(report.generate_report()) if report.has_errors() else ""


def subprocess_environ(url: str, region: str, base: dict[str, str] | None = None) -> dict[str, str]:
    """``base`` (default: this process's environment) pointed at ``url`` for Connect."""
    env = dict(os.environ if base is None else base)
    for name in ("AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
        env.pop(name, None)
    env.update(
        {
            "AWS_ENDPOINT_URL_CONNECT": url,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": region,
            "AWS_REGION": region,
            "AWS_EC2_METADATA_DISABLED": "true",
        }
    )
    return env


# -- turning a call into an answer -----------------------------------------------------------------


def answer_call(
    target: Target, model: Any, params: dict[str, Any], signer: Any, owner: Interception | None = None
) -> tuple[Any, Any] | None:
    """Answer one call at ``before-call``, outside botocore's retry loop: botocore's ``(http_response,
    parsed)`` or ``None``. Only for clients whose ``before-send`` wants an answer object of their own
    (aiobotocore's); every other client is answered inside the loop by :func:`_on_send`."""
    from botocore.awsrequest import AWSResponse
    from botocore.compat import HTTPHeaders
    from botocore.parsers import create_parser

    response = exchange(target, model.name, http_request(params), signer, owner)
    if response is None:
        return None
    headers = HTTPHeaders()  # case-insensitive, as the headers botocore parses over HTTP are
    for name, value in response.headers.items():
        headers[name] = value
    parsed = create_parser("rest-json").parse(
        {"status_code": response.status, "headers": headers, "body": response.body}, model.output_shape
    )
    if isinstance(parsed.get("ResponseMetadata"), dict):
        parsed["ResponseMetadata"].setdefault("RetryAttempts", 0)  # as botocore reports a call sent once
    return AWSResponse(params["url"], response.status, response.headers, RawBody(response.body)), parsed


def unknown_operation(operation: str, reason: str) -> HttpResponse:
    from pytest_connect_email.emulator.codec import REQUEST_ID, HttpResponse, new_request_id

    body = json.dumps({"__type": "UnknownOperationException", "message": f"{operation}: {reason}"}).encode()
    headers = {
        "Content-Type": "application/json",
        "x-amzn-ErrorType": "UnknownOperationException",
        REQUEST_ID: new_request_id(),
    }
    return HttpResponse(400, headers, body)


# -- the handlers (module functions: one identity, registered once per emitter) ---------------------


def _on_params(params: dict[str, Any], model: Any, **_: Any) -> None:
    __tracebackhide__ = True  # pytest shows the caller's frame, not ours (nor the request's values)
    current = active()
    if current is not None and current.check:
        current.check_request(model.name, params, model)


@dataclass
class _Pending:
    """A call between its ``before-call`` and the ``before-send`` of each of its attempts."""

    target: Target
    owner: Interception | None
    model: Any
    params: dict[str, Any]
    signer: Any
    context: dict[str, Any]


#: The routed call of this thread (or task) in flight: botocore's ``before-send`` is given only the
#: prepared request, and every attempt of a call runs in the thread that made it.
_PENDING: contextvars.ContextVar[_Pending | None] = contextvars.ContextVar("connect_email_pending", default=None)
#: Set in a call's request context when its target answers offline: botocore signs nothing (no credentials).
_UNSIGNED = "connect_email_unsigned"
#: Where an answered request is re-addressed before the ``before-send`` handlers after ours (moto's) see it.
_ANSWERED = "https://answered.connect-email.invalid"


def _on_call(
    model: Any, params: dict[str, Any], request_signer: Any = None, context: Any = None, **_: Any
) -> tuple[Any, Any] | None:
    if isinstance(context, dict) and context.get(ROUTED):
        # Routed by its client's own handler (route(), Emulator.attach), which runs first: not ours.
        _PENDING.set(None)
        return None
    current = active()
    if current is None:
        if _SEALED is not None:
            raise CallRefused(
                f"pytest-connect-email refused a Connect call ({model.name}) made at {call_site()}: {_SEALED}"
            )
        _PENDING.set(None)
        return None
    if current.target is None:
        _PENDING.set(None)
        return None
    return _pend(current.target, current, model, params, request_signer, context)


def _pend(
    target: Target, owner: Interception | None, model: Any, params: dict[str, Any], signer: Any, context: Any
) -> tuple[Any, Any] | None:
    """Route one call: its attempts are answered at ``before-send`` (:func:`_on_send`), inside botocore's
    retry loop, so retries, ``RetryAttempts`` and botocore's error handling are those of a call to AWS."""
    if type(signer).__module__.startswith("aiobotocore"):
        # aiobotocore awaits an answer object of its own at before-send: its calls are answered here, once.
        answered = answer_call(target, model, params, signer, owner)
        if answered is None and target.offline:
            # Left to moto: address it to the AWS endpoint moto knows, whatever the client was configured with.
            region = str((context or {}).get("client_region") or "us-east-1")
            params["url"] = aws_url(params["url"], operation_path(params), region)
        return answered
    context = context if isinstance(context, dict) else {}
    _PENDING.set(_Pending(target, owner, model, params, signer, context))
    if target.offline:
        context[_UNSIGNED] = True
    return None


def _on_signer(context: Any = None, **_: Any) -> Any:
    """``choose-signer``: an offline routed call is not signed (nothing is sent, no credentials needed)."""
    if isinstance(context, dict) and context.get(_UNSIGNED):
        import botocore

        return botocore.UNSIGNED
    return None


def _on_send(request: Any, event_name: str = "", **_: Any) -> Any:
    """``before-send.connect`` (ahead of moto's ``before-send``): answer one attempt of the pending call."""
    pending = _PENDING.get()
    if pending is None or event_name.split(".")[2:3] != [pending.model.name]:
        return None
    return _answer_pending(pending, request)


def _answer_pending(pending: _Pending, request: Any) -> Any:
    from botocore.awsrequest import AWSResponse

    config = pending.context.get("client_config")
    read_timeout = getattr(config, "read_timeout", None)
    response = exchange(
        pending.target,
        pending.model.name,
        http_request(pending.params),
        pending.signer,
        pending.owner,
        float(read_timeout) if isinstance(read_timeout, int | float) else None,
    )
    url = request.url
    if response is None:
        if pending.target.offline:
            # Left to moto: address it to the AWS endpoint moto knows, whatever the client was configured with.
            region = str(pending.context.get("client_region") or "us-east-1")
            request.url = aws_url(url, operation_path(pending.params), region)
        return None
    request.url = _ANSWERED  # moto's handler, asked after ours, does not take it too
    return AWSResponse(url, response.status, response.headers, RawBody(response.body))


def aws_url(url: str, path: str, region: str) -> str:
    """``url`` re-addressed to the public Connect endpoint of ``region``: the operation's ``path``, the query."""
    from urllib.parse import urlsplit, urlunsplit

    split = urlsplit(url)
    return urlunsplit(("https", f"connect.{region}.amazonaws.com", path, split.query, ""))


def _on_answer(http_response: Any, parsed: Any, model: Any, **_: Any) -> None:
    __tracebackhide__ = True  # pytest shows the caller's frame, not ours (nor the request's values)
    current = active()
    if current is not None and current.check:
        current.check_answer(model.name, http_response, parsed)


def _on_unanswered(request: Any, event_name: str = "", **_: Any) -> Any:
    # botocore asks every before-send handler and takes the first answer: this one is registered last,
    # so an answer from moto (or another mock) wins over it, and it never has side effects.
    if not event_name.startswith("before-send.connect.") or request.url == _ANSWERED:
        return None
    current = active()
    if current is None or current.target is None or not current.target.offline:
        return None
    from botocore.awsrequest import AWSResponse

    operation = event_name.split(".")[2]
    reason = (
        "not covered by the pytest-connect-email target, and no mock (moto's mock_aws) answered it; "
        "the call was stopped before it left the process"
    )
    response = unknown_operation(operation, reason)
    return AWSResponse(request.url, response.status, response.headers, RawBody(response.body))


#: (event, handler, unique id); the before-send guard is registered last so that moto answers first.
_HANDLERS: tuple[tuple[str, Callable[..., Any], str], ...] = (
    ("provide-client-params.connect", _on_params, "connect-email-check-request"),
    ("before-call.connect", _on_call, "connect-email-route"),
    ("choose-signer.connect", _on_signer, "connect-email-unsigned"),
    ("before-send.connect", _on_send, "connect-email-answer"),
    ("after-call.connect", _on_answer, "connect-email-check-answer"),
)
_GUARD = ("before-send", _on_unanswered, "connect-email-guard")


def _register(emitter: Any) -> None:
    for event, handler, unique_id in _HANDLERS:
        emitter.register(event, handler, unique_id=unique_id)
    emitter.register_last(_GUARD[0], _GUARD[1], unique_id=_GUARD[2])


def install() -> None:
    """Put the handlers on every botocore session and ``connect`` client, now and later (idempotent)."""
    global _INSTALLED
    with _LOCK:
        if _INSTALLED:
            return
        from botocore import handlers
        from botocore.client import BaseClient
        from botocore.session import Session

        for event, handler, _ in _HANDLERS:
            handlers.BUILTIN_HANDLERS.append((event, handler))
        handlers.BUILTIN_HANDLERS.append((_GUARD[0], _GUARD[1], handlers.REGISTER_LAST))
        for thing in gc.get_objects():
            # type(), not isinstance(): isinstance() of a dead weak proxy among the objects raises ReferenceError.
            kind = type(thing)
            if issubclass(kind, Session):
                _register(thing.get_component("event_emitter"))
            elif issubclass(kind, BaseClient):
                patch_client(thing)
        _INSTALLED = True


def _service(client: Any) -> str:
    return str(client.meta.service_model.service_name)


def patch_client(client: Any) -> Any:
    """Give one client made before :func:`install` ran the handlers (other services: unchanged)."""
    if _service(client) == "connect":
        _register(client.meta.events)
    return client


def exempt(client: Any) -> Any:
    """Take the process-wide handlers off one client (the plugin's own clients wire themselves)."""
    for event, handler, unique_id in (*_HANDLERS, _GUARD):
        with contextlib.suppress(Exception):
            client.meta.events.unregister(event, handler)
        with contextlib.suppress(Exception):
            client.meta.events.unregister(event, unique_id=unique_id)
    return client


def route(client: Any, target: Target) -> Any:
    """Send one client's calls to ``target`` whether or not an interception is active.

    The client keeps its pending call in a slot of its own and answers it with a ``before-send`` handler
    of its own, so nothing process-wide (another interception's target, a second copy of this module
    that an in-process test run left behind) can take its calls elsewhere."""
    import threading

    local = threading.local()

    def on_call(
        model: Any, params: dict[str, Any], request_signer: Any = None, context: Any = None, **_: Any
    ) -> tuple[Any, Any] | None:
        if type(request_signer).__module__.startswith("aiobotocore"):
            return _pend(target, active(), model, params, request_signer, context)
        context = context if isinstance(context, dict) else {}
        context[ROUTED] = True  # the process-wide handlers leave this call alone
        local.pending = _Pending(target, active(), model, params, request_signer, context)
        if target.offline:
            context[_UNSIGNED] = True
        return None

    def on_send(request: Any, event_name: str = "", **_: Any) -> Any:
        pending = getattr(local, "pending", None)
        if pending is None or event_name.split(".")[2:3] != [pending.model.name]:
            return None
        return _answer_pending(pending, request)

    events = client.meta.events
    events.register_first("before-call.connect", on_call, unique_id="connect-email-client-route")
    events.register_first("before-send.connect", on_send, unique_id="connect-email-client-answer")
    events.register("choose-signer.connect", _on_signer, unique_id="connect-email-unsigned")
    return client


# -- outside pytest --------------------------------------------------------------------------------


@contextlib.contextmanager
def expect_violation(rule: str | None = None) -> Iterator[None]:
    """The Connect calls inside are expected to break a contract (of ``rule``, e.g. ``"maxLength"`` or
    ``"START-MSG-001"``, when given): the block passes when they did — whether the violation reached
    it or the code under test swallowed it — and the violation does not fail the test; it fails
    when none happened.

    ``with pytest_connect_email.expect_violation("maxLength"): app.send(subject="s" * 2000)``
    """
    current = active()
    if current is None:
        raise RuntimeError("expect_violation() needs an active interception (-p connect_email, or mock())")
    start = len(current.failures)
    try:
        yield
    except AssertionError as exc:
        if not any(getattr(failure, "error", None) is exc for failure in current.failures[start:]):
            raise  # not one of ours
    new = current.failures[start:]
    wanted = [m for m in new if rule is None or f"[{rule}]" in m]
    if not wanted:
        what = f"a contract violation of [{rule}]" if rule else "a contract violation"
        seen = "; it saw other failures:\n\n" + "\n\n".join(new) if new else ""
        raise AssertionError(f"expected {what} from the Connect calls inside the block, and none happened{seen}")
    with _LOCK:
        current.failures[start:] = [m for m in new if m not in wanted]


def mock(*, state: str | None = None, region: str = "us-east-1", check: bool = True) -> _Mock:
    """The reference emulator for every ``connect`` client of the process, outside pytest too.

    ``with pytest_connect_email.mock() as connect: ...`` or ``@pytest_connect_email.mock()`` on a
    function (each run gets a fresh emulator). Inside, ``connect.environ()`` is an environment for a
    subprocess and ``connect.emulator`` the emulator; ``connect.calls`` lists the block's Connect calls
    (:mod:`.calls`) and ``connect.faults.add(...)`` makes Connect fail on purpose (:mod:`.faults`).
    ``state`` is an SQLite file to keep the emulator's state in (default: memory).
    """
    return _Mock(target=None, check=check, region=region, state=state)


@dataclass(eq=False)
class _Mock(Interception):
    """:func:`mock`'s interception: makes its emulator when it starts, closes it when it stops."""

    state: str | None = None
    emulator: Any = None
    #: The Connect calls of the block (in-process and over :meth:`environ`'s loopback front), in order;
    #: a new list each time the mock starts.
    calls: Calls = field(default_factory=Calls)
    #: Faults to inject (``faults.add("StartEmailContact", "ThrottlingException", times=2)``); they
    #: apply while the mock is active and may be added before it starts.
    faults: Faults = field(default_factory=Faults)

    def start(self) -> _Mock:
        from pytest_connect_email.emulator import Config
        from pytest_connect_email.emulator import Emulator as EmulatorClass
        from pytest_connect_email.routing import calls, faults, targets

        if self in _ACTIVE:
            raise RuntimeError("this mock() is already active; make another with pytest_connect_email.mock()")
        self.emulator = EmulatorClass.create(state=self.state, config=Config(region=self.region))
        target = targets.EmulatorTarget(self.emulator)
        self.target = target
        self.serve = lambda: targets.serve(target)  # the front records subprocess calls and injects faults
        self._owned.append(self.emulator.backend.store.close)
        log, injected = calls.begin(), faults.activate(self.faults)
        self.calls = log
        self._owned.append(lambda: calls.end(log))
        self._owned.append(lambda: faults.deactivate(injected))
        super().start()
        return self

    def __enter__(self) -> _Mock:
        return self.start()

    def fresh(self) -> Interception:
        return _Mock(target=None, check=self.check, region=self.region, state=self.state)
