"""The plugin's fixtures, and :class:`Runtime`: the run's target, shared by the fixtures' clients and
the interception of the code under test's own clients.

Every heavy import (boto3, the emulator, vcrpy, faker) happens inside a fixture or on first use.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import uuid
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import pytest

from pytest_connect_email.conformance import SEED_STEMS, SUITE
from pytest_connect_email.pytest.settings import CASSETTE, SETTINGS, Settings, enabled_for, intercepts

if TYPE_CHECKING:
    from pytest_connect_email.emulator import Emulator, RunningServer
    from pytest_connect_email.emulator.codec import HttpRequest, HttpResponse
    from pytest_connect_email.routing.intercept import Interception

__all__ = [
    "alias_pair",
    "connect_client",
    "connect_client_factory",
    "connect_contract",
    "connect_emulator",
    "connect_endpoint",
    "connect_fake",
    "connect_instance_id",
    "connect_settings",
    "email_address",
]

#: What points a child process's Connect clients at the run's loopback front (botocore and the AWS CLI read it).
FRONT_VARIABLE = "AWS_ENDPOINT_URL_CONNECT"


class Runtime:
    """The run's target, made on first use: the embedded emulator, the cassette of the running test
    (replay, or record into it), or an endpoint over HTTP. It is itself an
    :class:`~.intercept.Target`, so the session's interception and the fixtures' clients share it.
    """

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.settings: Settings = config.stash[SETTINGS]
        mode, endpoint = self.settings.mode, self.settings.endpoint_url
        self.embedded = mode == "emulator" or (mode == "record" and not endpoint)
        self.offline = mode in ("emulator", "replay") or (mode == "record" and not endpoint)
        self._emulator: Emulator | None = None
        self._owned: Emulator | None = None
        self._target: Any = None
        self._made = False
        self._server: RunningServer | None = None
        self.session: Interception | None = None
        self._saved_endpoint: str | None = None

    def emulator(self) -> Emulator:
        if self._emulator is None:
            from pytest_connect_email.emulator import Config, Emulator

            self._emulator = Emulator.create(config=Config(region=self.settings.region))
            self._owned = self._emulator
        return self._emulator

    def adopt(self, request: pytest.FixtureRequest) -> None:
        """Use the ``connect_emulator`` fixture's emulator (a suite may override the fixture, e.g. to
        inject faults) as the embedded target."""
        if not self.embedded:
            return
        emulator = request.getfixturevalue("connect_emulator")
        if emulator is not self._emulator:
            self._emulator, self._made = emulator, False

    def fresh_state(self, request: pytest.FixtureRequest) -> None:
        """Start the embedded target's next state (``--connect-emulator-scope``): the emulator the
        ``connect_emulator`` fixture gives (the plugin's, or a suite's own) forgets every instance,
        address, contact, queue and ClientToken, and stays the same object, so a suite's patched or
        faulty emulator keeps its behaviour. An emulator over a state file (``Emulator.create(state=...)``)
        is shared state by definition and is left alone; so is one without ``backend.reset()``."""
        if not self.embedded:
            return
        self.adopt(request)
        backend = getattr(self._emulator, "backend", None)
        reset = getattr(backend, "reset", None)
        if callable(reset) and getattr(getattr(backend, "store", None), "path", None) is None:
            reset()

    def seed(self, request: pytest.FixtureRequest, seed: str) -> None:
        """Make the embedded target's ids and timestamps follow ``seed`` and call order (record mode: see
        ``Backend.seed``); an emulator without ``backend.seed()`` is left alone."""
        if not self.embedded:
            return
        self.adopt(request)
        seed_with = getattr(getattr(self._emulator, "backend", None), "seed", None)
        if callable(seed_with):
            seed_with(seed)

    def target(self) -> Any:
        """The target of the mode, or ``None`` in live mode without ``--connect-endpoint-url``."""
        if not self._made:
            self._target = self._make()
            self._made = True
        return self._target

    def _make(self) -> Any:
        from pytest_connect_email.routing.targets import EmulatorTarget, HttpTarget

        settings = self.settings
        inner: Any = None
        if self.embedded:
            inner = EmulatorTarget(self.emulator())
        elif settings.endpoint_url:
            if settings.mode == "record":
                guard_account(settings, "record")
            inner = HttpTarget(settings.endpoint_url, settings.region)
        if settings.mode not in ("record", "replay"):
            return inner
        from pytest_connect_email.cassettes.replay import CassetteTarget

        # The host a call's URI is recorded with when its own is loopback (replay.recorded_base).
        base = f"https://connect.{settings.region}.amazonaws.com"
        return CassetteTarget(self.config.stash[CASSETTE], inner if settings.mode == "record" else None, base)

    def require_credentials(self) -> None:
        """Raise one :class:`pytest.UsageError` when the target needs AWS credentials (live mode, record
        mode against an endpoint) and boto3 finds none, rather than failing every check on its own."""
        if self.offline:
            return
        problem = credentials_problem(self.settings)
        if problem:
            raise pytest.UsageError(problem)

    def answer(self, operation: str, request: HttpRequest, signer: Any) -> HttpResponse | None:
        target = self.target()
        return None if target is None else target.answer(operation, request, signer)

    def interception(self) -> Interception:
        from pytest_connect_email.routing.intercept import Interception

        return Interception(target=self, check=True, serve=self.serve, region=self.settings.region)

    def intercept_session(self) -> None:
        self.session = self.interception().start()
        if self.offline:
            # Child processes (multiprocessing's spawn, a subprocess given os.environ) reach the target
            # through its loopback front, never the endpoint the environment names, for the run's length.
            self._saved_endpoint = os.environ.get(FRONT_VARIABLE)
            self.session._setenv(FRONT_VARIABLE, self.serve().url)

    def lift_front(self, scope: Interception) -> None:
        """For a test that opted out of interception: the environment names the user's own endpoint again."""
        if self.offline and self.session is not None:
            scope._setenv(FRONT_VARIABLE, self._saved_endpoint)

    def serve(self) -> RunningServer:
        """The target on loopback HTTP for subprocesses (one server per run)."""
        from pytest_connect_email.routing.targets import serve

        if self._server is None:
            self._server = serve(self)
        return self._server

    def close(self, *, last: bool = False) -> None:
        """Stop what the run started; ``last``: the process's outermost pytest run is ending, so a Connect
        call still made afterwards (a thread left running, an ``atexit`` handler) is refused, not sent."""
        if self.session is not None:
            self.session.stop()
            self.session = None
            if last and self.offline:
                from pytest_connect_email.routing.intercept import seal

                seal(
                    f"the pytest run routed Connect calls offline (mode {self.settings.mode}) and has ended, so "
                    "nothing answers this call and it may not leave the process; end threads that call Connect "
                    "before the run ends (join them in a fixture's teardown)"
                )
        if self._server is not None:
            self._server.stop()
            self._server = None
        if self._owned is not None:
            self._owned.backend.store.close()
            self._owned = self._emulator = None


RUNTIME = pytest.StashKey[Runtime]()
#: The interception a test runs under, and where its failures start in that interception's list.
TEST_SCOPE = pytest.StashKey[tuple["Interception", int]]()


def failures_of(item: pytest.Item) -> list[str]:
    """The contract violations and target errors of the test's Connect calls so far that the test did not
    expect: those the code under test swallowed. One the test caught itself (``pytest.raises`` in either
    form, ``assertRaises``, ``expect_violation``, a ``try`` in its own file) was expected
    (:func:`~.intercept.swallowed`)."""
    found = item.stash.get(TEST_SCOPE, None)
    if found is None:
        return []
    from pytest_connect_email.routing.intercept import swallowed

    return swallowed(found[0].failures[found[1] :], own_code(item))


def own_code(item: pytest.Item) -> Callable[[str], bool]:
    """Whether a file (absolute path) is the test's own code: its module, a ``conftest.py``, or a file
    named as pytest collects test modules (``python_files``: a test helper module named like one)."""
    import fnmatch

    own = os.path.abspath(str(item.path))
    patterns = [p for p in item.config.getini("python_files") if "/" not in p]

    def judge(file: str) -> bool:
        name = os.path.basename(file)
        return file == own or name == "conftest.py" or any(fnmatch.fnmatch(name, p) for p in patterns)

    return judge


def credentials_problem(settings: Settings) -> str:
    """Why boto3 cannot sign this run's requests (``""``: it found credentials), naming what was looked
    for and the fix."""
    import os

    import botocore.exceptions
    import botocore.session

    session = botocore.session.Session()
    session.set_config_variable("region", settings.region)
    profile = os.environ.get("AWS_PROFILE") or os.environ.get("AWS_DEFAULT_PROFILE")
    target = settings.endpoint_url or f"AWS ({settings.region})"
    try:
        found = session.get_credentials()
    except botocore.exceptions.ProfileNotFound:
        found, reason = None, f"AWS_PROFILE names profile {profile!r}, which is in no AWS config or credentials file"
    except botocore.exceptions.BotoCoreError as exc:
        found, reason = None, f"loading them failed: {exc}"
    else:
        reason = (
            "looked for AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, "
            + (f"profile {profile!r}" if profile else "the default profile")
            + " in the shared credentials and config files, SSO, container and instance metadata"
        )
    if found is not None:
        return ""
    return (
        f"--connect-mode {settings.mode} against {target} needs AWS credentials to sign its requests, and boto3 "
        f"found none ({reason}). Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (any values for an emulator "
        "or your own service), or AWS_PROFILE; or use --connect-mode=emulator or --connect-mode=replay, which "
        "need none."
    )


def guard_account(settings: Settings, action: str) -> None:
    """Recording, or creating an instance live, against anything but loopback needs an allowed account."""
    from pytest_connect_email.routing.targets import account_refusal

    refusal = account_refusal(settings.endpoint_url, settings.region, settings.mode, settings.record_accounts, action)
    if refusal:
        pytest.exit(refusal, 4)


# -- fixtures --------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def connect_settings(pytestconfig: pytest.Config) -> Settings:
    """The resolved ``--connect-*`` options."""
    return pytestconfig.stash[SETTINGS]


@pytest.fixture(scope="session")
def connect_emulator(pytestconfig: pytest.Config) -> Any:
    """The reference emulator: the target in emulator mode, and in record mode without an endpoint;
    skips otherwise."""
    runtime = pytestconfig.stash[RUNTIME]
    if not runtime.embedded:
        pytest.skip(
            f"connect_emulator exists only when the embedded emulator is the target (mode {runtime.settings.mode})"
        )
    return runtime.emulator()


@dataclass(frozen=True)
class Endpoint:
    """The target on loopback HTTP, for a subprocess: ``subprocess.run([...], env=connect_endpoint.env)``."""

    url: str
    region: str
    #: This process's environment with ``AWS_ENDPOINT_URL_CONNECT``, test credentials and the region.
    env: dict[str, str]


@pytest.fixture
def connect_endpoint(pytestconfig: pytest.Config) -> Endpoint:
    """The target served on 127.0.0.1 for subprocesses (the AWS CLI, another SDK, a script): in record
    mode its calls are recorded into the test's cassette, in replay mode answered from it."""
    from pytest_connect_email.routing.intercept import subprocess_environ

    runtime = pytestconfig.stash[RUNTIME]
    url = runtime.serve().url
    return Endpoint(url, runtime.settings.region, subprocess_environ(url, runtime.settings.region))


@pytest.fixture(scope="session")
def connect_client_factory(request: pytest.FixtureRequest, connect_settings: Settings) -> Callable[..., Any]:
    """Make more contract-checked clients: ``connect_client_factory(validate_requests=False)`` sends
    invalid requests on purpose (botocore's own parameter validation is off too)."""
    import boto3
    from botocore.config import Config as BotoConfig

    from pytest_connect_email.routing import intercept
    from pytest_connect_email.routing.client import checked

    runtime = request.config.stash[RUNTIME]

    def make(validate_requests: bool = True) -> Any:
        # One attempt per call: a check (and a test) judges the target's answer, not botocore's retries of it
        # (answers reach botocore's retry loop, so a 429 or 5xx would otherwise be asked again, and replayed).
        boto_config = BotoConfig(parameter_validation=validate_requests, retries={"total_max_attempts": 1})
        runtime.adopt(request)
        target = runtime.target()
        if target is not None:  # answered in-process (emulator, cassette) or re-addressed (endpoint)
            client = boto3.client(
                "connect",
                region_name=connect_settings.region,
                endpoint_url=f"https://connect.{connect_settings.region}.amazonaws.com",
                config=boto_config,
                aws_access_key_id="testing" if runtime.offline else None,
                aws_secret_access_key="testing" if runtime.offline else None,
            )
            intercept.exempt(client)  # it checks itself (below), whatever the interception does
            intercept.route(client, runtime)
        else:  # live mode against AWS itself
            client = boto3.client("connect", region_name=connect_settings.region, config=boto_config)
            intercept.exempt(client)
        checked(client, validate_requests=validate_requests)
        request.config.pluginmanager.hook.pytest_connect_email_client(
            client=client, mode=connect_settings.mode, config=request.config
        )
        return client

    return make


@pytest.fixture(scope="session")
def connect_client(connect_client_factory: Callable[..., Any]) -> Any:
    """A boto3 Connect client wired to the mode; every request, response and error is contract-checked."""
    return connect_client_factory()


#: The pytest scope of one emulator state, by ``--connect-emulator-scope``.
_STATE_SCOPES: dict[str, Literal["function", "module", "session"]] = {
    "test": "function",
    "module": "module",
    "session": "session",
}


def _instance_scope(fixture_name: str, config: pytest.Config) -> Literal["function", "module", "session"]:
    settings = config.stash[SETTINGS]
    # With cassettes every test makes its own instance, so each cassette stands alone (and -k works).
    if settings.mode in ("record", "replay"):
        return "function"
    # The embedded emulator: the instance lives as long as the state that holds it. Live: one per run.
    return _STATE_SCOPES[settings.emulator_scope] if config.stash[RUNTIME].embedded else "session"


def _state_scope(fixture_name: str, config: pytest.Config) -> Literal["function", "module", "session"]:
    return _STATE_SCOPES[config.stash[SETTINGS].emulator_scope]


@pytest.fixture(autouse=True, scope=_state_scope)
def _connect_state(request: pytest.FixtureRequest) -> None:
    """One emulator state per test (``--connect-emulator-scope``: per module, or one for the run), as
    ``@mock_aws`` gives per test: what one test created is gone in the next. Autouse, so it runs before
    every fixture of its scope that a test asks for (``connect_instance_id``, the suite's own)."""
    settings: Settings = request.config.stash[SETTINGS]
    if settings.emulator_scope == "session":
        return
    if isinstance(request.node, pytest.Item) and not enabled_for(request.node, settings):
        return  # the plugin does not act in this test: its Connect calls never reach the emulator
    request.config.stash[RUNTIME].fresh_state(request)


def _names(request: pytest.FixtureRequest) -> Callable[[], str]:
    """Unique-looking names: random live, but reproducible with cassettes (seed, test id, counter),
    so that a replayed test sends exactly the requests it recorded."""
    settings = request.config.stash[SETTINGS]
    if settings.mode not in ("record", "replay"):
        return lambda: uuid.uuid4().hex[:16]
    counter = iter(range(1_000_000))
    # The cassette's identity (module and test name), not the node id, which depends on the rootdir.
    path = Path(str(request.node.path))
    stem = path.stem
    if path.parent == SUITE.parent and stem in SEED_STEMS:  # the shipped suite: as its cassettes were recorded
        stem = SEED_STEMS[stem]
    key = f"{settings.seed}:{stem}:{request.node.name}"
    return lambda: hashlib.sha256(f"{key}:{next(counter)}".encode()).hexdigest()[:16]


@pytest.fixture
def connect_names(request: pytest.FixtureRequest) -> Callable[[], str]:
    """Unique-looking names for this test: random in the emulator and live modes; with cassettes the same on
    every run (from ``--connect-seed``, the test's module and name, and a counter), so that a replayed test
    sends exactly the requests it recorded."""
    return _names(request)


@pytest.fixture(scope=_instance_scope)
def connect_instance_id(
    request: pytest.FixtureRequest, connect_settings: Settings, connect_client: Any
) -> Iterator[str]:
    """``--connect-instance-id``, or an instance made for this test (with the embedded emulator: for the
    module or the run under ``--connect-emulator-scope module|session``; live: for the run) and deleted after it."""
    if connect_settings.instance_id:
        yield connect_settings.instance_id
        return
    if connect_settings.mode == "live":
        guard_account(connect_settings, "create an instance")
    created = connect_client.create_instance(
        IdentityManagementType="CONNECT_MANAGED",
        InstanceAlias=f"ce-{_names(request)()[:12]}",
        InboundCallsEnabled=True,
        OutboundCallsEnabled=True,
    )
    try:
        yield str(created["Id"])
    finally:
        try:
            connect_client.delete_instance(InstanceId=created["Id"])
        except Exception as exc:  # cleanup must not hide the run's own result
            import warnings

            warnings.warn(f"could not delete instance {created['Id']}: {exc}", stacklevel=1)


#: The hours of operation a queue the fixtures create is given: every day, all day (the email channel's
#: routing is not emulated, so the hours only need to exist).
ALWAYS_OPEN: list[dict[str, Any]] = [
    {"Day": day, "StartTime": {"Hours": 0, "Minutes": 0}, "EndTime": {"Hours": 23, "Minutes": 59}}
    for day in ("SUNDAY", "MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY")
]


@pytest.fixture
def connect_queue_id(
    request: pytest.FixtureRequest, connect_settings: Settings, connect_client: Any, connect_instance_id: str
) -> Iterator[str]:
    """``--connect-queue-id``, or a queue of the instance made for this test: hours of operation
    (``CreateHoursOfOperation``, open all week) and a queue on them (``CreateQueue``). In live mode the
    account must be one ``--connect-record-accounts`` names, and both are deleted at teardown."""
    if connect_settings.queue_id:
        yield connect_settings.queue_id
        return
    if connect_settings.mode == "live":
        guard_account(connect_settings, "create a queue")
    name = f"ce-{_names(request)()[:12]}"
    hours = connect_client.create_hours_of_operation(
        InstanceId=connect_instance_id, Name=name, TimeZone="UTC", Config=ALWAYS_OPEN
    )["HoursOfOperationId"]
    queue = str(
        connect_client.create_queue(InstanceId=connect_instance_id, Name=name, HoursOfOperationId=hours)["QueueId"]
    )
    yield queue
    if connect_settings.mode == "live":  # the emulator's go with its state or their instance
        with contextlib.suppress(Exception):
            connect_client.delete_queue(InstanceId=connect_instance_id, QueueId=queue)
            connect_client.delete_hours_of_operation(InstanceId=connect_instance_id, HoursOfOperationId=hours)


@dataclass(frozen=True)
class EmailAddress:
    id: str
    address: str
    arn: str


@pytest.fixture
def email_address(
    request: pytest.FixtureRequest, connect_client: Any, connect_instance_id: str, connect_settings: Settings
) -> Iterator[Callable[..., EmailAddress]]:
    """Factory: ``email_address()`` creates an address of the instance; all are deleted at teardown."""
    made: list[EmailAddress] = []
    names = _names(request)

    def create(local_part: str | None = None, **extra: Any) -> EmailAddress:
        address = f"{local_part or 'ce-' + names()}@{connect_settings.email_domain}"
        answer = connect_client.create_email_address(InstanceId=connect_instance_id, EmailAddress=address, **extra)
        item = EmailAddress(str(answer["EmailAddressId"]), address, str(answer["EmailAddressArn"]))
        made.append(item)
        return item

    yield create
    for item in reversed(made):
        # Already deleted by the test, or the endpoint refuses: nothing more to do for this one.
        with contextlib.suppress(Exception):
            connect_client.delete_email_address(InstanceId=connect_instance_id, EmailAddressId=item.id)


@pytest.fixture
def alias_pair(email_address: Callable[..., EmailAddress]) -> tuple[EmailAddress, EmailAddress]:
    """Two fresh addresses of the instance: (primary, alias), not yet associated."""
    return email_address(), email_address()


@pytest.fixture(scope="session")
def connect_contract() -> Any:
    """The contract validator (``validate_request``, ``validate_response``, ``validate_error`` ...)."""
    from pytest_connect_email.contracts import validator

    return validator


@pytest.fixture
def connect_fake(request: pytest.FixtureRequest, connect_settings: Settings) -> Any:
    """A Faker with the project's provider, seeded from ``--connect-seed`` and the test's id."""
    from faker import Faker

    from pytest_connect_email.fakes import ConnectEmailProvider

    fake = Faker()
    fake.add_provider(ConnectEmailProvider)
    fake.seed_instance(connect_settings.seed ^ zlib.crc32(request.node.nodeid.encode()))
    return fake


@pytest.fixture(autouse=True)
def _connect_cassette(request: pytest.FixtureRequest) -> Iterator[None]:
    """In record and replay modes, one cassette per test, at a path made from its whole node id
    (:func:`.cassettes.cassette_path`): ``<dir>/<test file>/<class>/<test name>.connect.yaml``.

    Only Connect calls reach it; a test that makes none writes nothing.
    """
    settings = request.config.stash[SETTINGS]
    if settings.mode not in ("record", "replay") or not enabled_for(request.node, settings):
        yield
        return
    from pytest_connect_email.cassettes import replay

    node = request.node
    path = replay.cassette_path(settings.cassette_dir, node.nodeid, Path(str(node.path)), request.config.rootpath)
    legacy = replay.legacy_cassette_path(settings.cassette_dir, Path(str(node.path)).stem, node.name)
    if not path.exists() and legacy.is_file():
        raise replay.CassetteError(
            f"{node.nodeid}: its cassette is at {path}, which is missing, and a cassette of the old layout "
            f"(one per module stem and test name, shared by same-named tests) is at {legacy}; move the old "
            "cassettes with `connect-email cassettes migrate` (run where you run pytest, with the same "
            "arguments after `--`), or delete the old file and record again"
        )
    hook = request.config.pluginmanager.hook.pytest_connect_email_scrub
    state: replay.CassetteState = request.config.stash[CASSETTE]
    # What the recording generates (the embedded emulator's ids and clock, the recorded ClientTokens) follows
    # the test's id and call order: recording an unchanged test again writes the same bytes.
    state.key = replay.test_key(node.nodeid, Path(str(node.path)), request.config.rootpath)
    if settings.mode == "record":
        request.config.stash[RUNTIME].seed(request, f"{settings.seed}:{state.key}")
    replaying = settings.mode == "replay"
    record_mode = "none" if replaying else settings.record_mode
    matching = _matching(request, settings)
    strict = replaying and settings.cassette_strict
    nodeid = request.node.nodeid
    with state.use(path, record_mode=record_mode, extra=hook, nodeid=nodeid, matching=matching, strict=strict):
        yield
        # A test that already failed for its cassette (a miss, a strict mismatch) fails once, not again here.
        if strict and not state.failed and state.cassette is not None and not state.cassette.all_played:
            unplayed = len(state.cassette) - len(state.cassette.play_counts)
            pytest.fail(
                f"{path}: {unplayed} recorded interaction(s) were not played (--connect-cassette-strict); "
                "the cassette is stale: record it again with --connect-mode record --connect-record-mode all",
                pytrace=False,
            )


def _matching(request: pytest.FixtureRequest, settings: Settings) -> Any:
    """The cassette's :class:`.cassettes.Matching`: ``--connect-cassette-ignore``, the test's ``connect_cassette``
    markers' ``ignore``, and the ``pytest_connect_email_match`` hook when a plugin implements it."""
    from pytest_connect_email.cassettes import replay

    ignore = list(settings.cassette_ignore)
    for marker in request.node.iter_markers("connect_cassette"):
        given = marker.kwargs.get("ignore", ())
        try:
            ignore += replay.ignore_patterns(given)
        except ValueError as exc:
            pytest.fail(f"@pytest.mark.connect_cassette(ignore=...): {exc}", pytrace=False)
    hook = request.config.pluginmanager.hook.pytest_connect_email_match
    decide = None
    if hook.get_hookimpls():

        def decide(operation: str, recorded: dict[str, Any], sent: dict[str, Any]) -> bool | None:
            verdict: bool | None = hook(operation=operation, recorded=recorded, sent=sent)
            return verdict

    return replay.Matching(tuple(dict.fromkeys(ignore)), decide)


@pytest.fixture(autouse=True)
def _connect_intercept(request: pytest.FixtureRequest, _connect_cassette: None) -> Iterator[None]:
    """Route the code under test's own Connect clients for this test (where the plugin acts at all),
    and collect what their calls broke, so that the test fails even if the code swallowed it."""
    settings: Settings = request.config.stash[SETTINGS]
    item = request.node
    if not enabled_for(item, settings):
        yield
        return
    runtime = request.config.stash[RUNTIME]
    runtime.adopt(request)
    from pytest_connect_email.routing.intercept import Interception

    if not intercepts(item, settings):
        # A test that opted out: its clients go where they were configured to, unchecked.
        scope = Interception(target=None, check=False) if runtime.session is not None else None
        if scope is not None:
            runtime.lift_front(scope)
    else:
        scope = runtime.interception() if runtime.session is None else runtime.session
    if scope is None:
        yield
        return
    own = scope is not runtime.session
    if own:
        scope.start()
    start = len(scope.failures)
    item.stash[TEST_SCOPE] = (scope, start)
    try:
        yield
    finally:
        del scope.failures[start:]
        if own:
            scope.stop()
