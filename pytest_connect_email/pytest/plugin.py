"""The pytest11 entry point (``-p connect_email``): options, markers and hooks; it wires, it does not implement.

- :mod:`.settings` resolves the options and decides where the plugin acts;
- :mod:`.fixtures` holds the fixtures and the run's target (:class:`~.fixtures.Runtime`);
- :mod:`.intercept` routes the code under test's own clients (importable without pytest);
- :mod:`.report` gathers conformance results, applies the baseline and writes the report.

Import cost matters here: pytest imports this module on every run of every suite that has the
package installed. Nothing heavy (botocore's model, jsonschema, faker, vcrpy, the emulator) is
imported at module level, and a run that did not ask for the plugin's modes (see
:func:`.settings.run_enabled`) never touches botocore.
"""

from __future__ import annotations

import itertools
from collections.abc import Generator, Iterator
from pathlib import Path
from types import TracebackType
from typing import Any

import pytest

from pytest_connect_email._version import __version__
from pytest_connect_email.conformance import report
from pytest_connect_email.pytest import reporting
from pytest_connect_email.pytest.application import (  # noqa: F401  # fixtures and the per-test call log's hooks
    connect_calls,
    connect_faults,
    pytest_runtest_logfinish,
    pytest_runtest_logstart,
)
from pytest_connect_email.pytest.fixtures import (  # noqa: F401  # pytest finds a plugin's fixtures in its namespace
    RUNTIME,
    Runtime,
    _connect_cassette,
    _connect_intercept,
    _connect_state,
    alias_pair,
    connect_client,
    connect_client_factory,
    connect_contract,
    connect_emulator,
    connect_endpoint,
    connect_fake,
    connect_instance_id,
    connect_names,
    connect_queue_id,
    connect_settings,
    email_address,
    failures_of,
)
from pytest_connect_email.pytest.settings import CASSETTE, EMULATOR_SCOPES, MODES, RECORD_MODES, SETTINGS, resolve

# -- options ---------------------------------------------------------------------------------------


def _option(group: Any, parser: pytest.Parser, name: str, help: str, ini_type: str | None = None, **kw: Any) -> None:
    ini = name.lstrip("-").replace("-", "_")
    group.addoption(name, dest=ini, help=f"{help} (ini: {ini})", **kw)
    parser.addini(ini, help=help, type=ini_type, default=None)  # type: ignore[arg-type]


def _flag(group: Any, parser: pytest.Parser, name: str, help: str) -> None:
    _option(group, parser, name, help, "bool", action="store_true", default=None)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("connect-email", "Amazon Connect email contracts and conformance (pytest-connect-email)")
    _option(
        group, parser, "--connect-mode", "target: emulator (default, in-process), live, replay or record", choices=MODES
    )
    _option(group, parser, "--connect-endpoint-url", "endpoint for live mode (default: AWS itself)")
    _option(
        group,
        parser,
        "--connect-emulator-scope",
        "how long one state of the embedded emulator lives: test (default: what one test creates is gone in the "
        "next), module or session",
        choices=EMULATOR_SCOPES,
    )
    _option(group, parser, "--connect-region", "region of the clients (default us-east-1)")
    _option(group, parser, "--connect-instance-id", "use this existing instance instead of creating one")
    _option(
        group,
        parser,
        "--connect-queue-id",
        "existing queue of the instance for the queue checks (default: a fresh queue id per test)",
    )
    _option(group, parser, "--connect-seed", "seed of the fake data (default 0)")
    _option(
        group, parser, "--connect-email-domain", "domain of the addresses the fixtures create (default example.com)"
    )
    _flag(
        group,
        parser,
        "--connect-conformance",
        "collect the shipped conformance suite too",
    )
    _option(group, parser, "--connect-report", "write the conformance report as JSON here, Markdown beside it")
    _option(group, parser, "--connect-baseline", "file of known failing check ids (reason, optional expiry)")
    _option(group, parser, "--connect-write-baseline", "write the current failures as a new baseline file here")
    _flag(
        group,
        parser,
        "--connect-fail-on-not-implemented",
        'fail the run when any conformance check is "not implemented" by the target',
    )
    _option(
        group,
        parser,
        "--connect-require-operations",
        "comma-separated operations (e.g. StartEmailContact,DescribeEmailAddress) that must each have a passing "
        'check and none "not implemented", else the run fails',
    )
    _flag(
        group,
        parser,
        "--connect-stateful",
        "run the stateful differential check STATEFUL-001 too: random call sequences on the target and the "
        "reference emulator in lockstep, the shortest divergence reported (emulator and live modes)",
    )
    _option(group, parser, "--connect-stateful-examples", "sequences the stateful check draws (default 100)")
    _option(group, parser, "--connect-stateful-steps", "steps per sequence at most (default 30)")
    _option(
        group,
        parser,
        "--connect-stateful-shrink-seconds",
        "how long the stateful check lets Hypothesis shrink a divergence (default 10); unneeded steps are then "
        "dropped by replay",
    )
    _option(group, parser, "--connect-stateful-seed", "seed of the stateful check (default: a new one, printed)")
    _option(
        group,
        parser,
        "--connect-stateful-replay",
        "make exactly the sequence saved in this file (by a failed stateful run) instead of exploring",
    )
    _option(group, parser, "--connect-cassette-dir", "where cassettes live (default: cassettes/ under the rootdir)")
    _option(
        group,
        parser,
        "--connect-record-mode",
        "vcrpy record mode in record mode: once (default), new_episodes, all, none",
        choices=RECORD_MODES,
    )
    _option(
        group,
        parser,
        "--connect-record-accounts",
        "comma-separated AWS account ids that record mode may record against and live mode may create instances in "
        "(loopback endpoints need none)",
    )
    _flag(
        group,
        parser,
        "--connect-cassette-strict",
        "fail a replayed test that did not play every recorded interaction, or whose request's members differ "
        "from every recording of its operation and path (without it: the next recording answers, with a warning)",
    )
    _option(
        group,
        parser,
        "--connect-cassette-ignore",
        "comma-separated request members cassettes never compare, as dotted boto3 parameter paths with * for any "
        "map key or list item (e.g. References.*.Value,Attributes.trace); idempotency tokens never count; "
        "one test adds its own with @pytest.mark.connect_cassette(ignore=[...])",
    )
    _option(
        group,
        parser,
        "--connect-intercept",
        "route the code under test's own Connect clients to the target and check their calls: on (default) or off "
        "(fixtures only); one test opts out with @pytest.mark.connect_email(intercept=False)",
        choices=("on", "off"),
    )
    _option(
        group,
        parser,
        "--connect-usage",
        "write (or add to) a usage manifest here: the operations, request members, enum values and sizes this "
        "run's Connect calls sent (never values), for `connect-email schemas diff --usage FILE`",
    )


class UsageRecorder:
    """``--connect-usage FILE``: every Connect call the run records (:func:`.calls.observe`: the application's,
    the test's own, subprocesses' through the loopback front, in every mode; not the plugin's own, whose
    ``origin`` is ``plugin``: its fixtures', the shipped checks') goes into a usage manifest (:mod:`.usage`).
    An xdist worker hands its part to the controller; the controller alone merges the parts
    with the manifest already at FILE and writes it whole."""

    KEY = "connect_email_usage"

    def __init__(self, config: pytest.Config, path: Path) -> None:
        from pytest_connect_email.contracts import usage
        from pytest_connect_email.routing import calls

        self.config, self.path = config, path
        self.usage = usage.Usage()
        self.written = ""
        if not hasattr(config, "workerinput") and path.exists():
            try:  # a file that is not a manifest is a usage error now, never overwritten after the run
                usage.load(path)
            except usage.ManifestError as exc:
                raise pytest.UsageError(f"--connect-usage {exc}") from None
        calls.observe(self.usage.record)

    def stop(self) -> None:
        from pytest_connect_email.routing import calls

        calls.unobserve(self.usage.record)

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        from pytest_connect_email.contracts import usage

        part = getattr(node, "workeroutput", {}).get(self.KEY)
        if part is not None:
            self.usage = self.usage.merged(usage.Usage.from_json(part, "a worker's usage"))

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        from pytest_connect_email.contracts import usage

        self.stop()
        if hasattr(self.config, "workerinput"):
            self.config.workeroutput[self.KEY] = self.usage.to_json()  # type: ignore[attr-defined]
            return
        try:
            before = usage.load(self.path) if self.path.exists() else usage.Usage()
            merged = before.merged(self.usage)
            report.write_file(self.path, merged.dumps())
            self.written = f"usage: {self.path} ({merged.describe()})"
        except (usage.ManifestError, OSError) as exc:
            self.written = f"--connect-usage {self.path}: not written ({exc})"
            if session.exitstatus == pytest.ExitCode.OK:
                session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.written:
            terminalreporter.write_line(f"connect-email {self.written}")

    def pytest_unconfigure(self) -> None:
        self.stop()


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    from pytest_connect_email.pytest import hooks

    pluginmanager.add_hookspecs(hooks)


#: pytest runs of this process that are configured now (pytester runs one inside another).
_RUNS = 0
_COUNTED = pytest.StashKey[bool]()


def pytest_configure(config: pytest.Config) -> None:
    global _RUNS
    _RUNS += 1
    config.stash[_COUNTED] = True
    config.addinivalue_line("markers", "connect_check(id, operation): a conformance check with a stable id")
    config.addinivalue_line(
        "markers",
        "connect_cassette(ignore=[...]): request members this test's cassette never compares (dotted boto3 "
        "parameter paths, * for any map key or list item), added to --connect-cassette-ignore",
    )
    config.addinivalue_line(
        "markers",
        "connect_email(intercept=True): turn the plugin's modes on for this test; intercept=False leaves the "
        "code under test's own Connect clients alone in it",
    )
    settings = resolve(config)
    config.stash[SETTINGS] = settings
    run = report.Run()
    if settings.baseline is not None:
        run.baseline = report.load_baseline(settings.baseline)
        run.divergences = report.load_divergences(settings.baseline)
    config.stash[report.RUN] = run
    config.pluginmanager.register(reporting.Recorder(config), "connect-email-recorder")
    if settings.usage is not None:
        config.pluginmanager.register(UsageRecorder(config, settings.usage), "connect-email-usage")
    if settings.mode in ("record", "replay"):
        from pytest_connect_email.cassettes.replay import CassetteState, record_options

        state = CassetteState()
        state.record_options = record_options(settings.sources)  # a printed recording command records here
        config.stash[CASSETTE] = state
    runtime = Runtime(config)
    config.stash[RUNTIME] = runtime
    if settings.enabled and settings.intercept:
        runtime.intercept_session()  # from now on: collection (module-level clients) and every test
    if settings.stateful and settings.mode in ("record", "replay"):
        raise pytest.UsageError(
            f"--connect-stateful needs a target that answers new calls, and mode {settings.mode} has cassettes, "
            "which hold only the calls that were recorded: use --connect-mode emulator (the default) or "
            "--connect-mode live --connect-endpoint-url URL"
        )
    if settings.stateful_replay is not None:  # a broken sequence file is a usage error, before any check runs
        from pytest_connect_email.stateful.script import load_sequence

        try:
            load_sequence(settings.stateful_replay)
        except ValueError as exc:
            raise pytest.UsageError(str(exc)) from None
    if settings.conformance or settings.stateful:
        from pytest_connect_email.conformance import (
            SEQUENCES,
            SEQUENCES_MODULE,
            SUITE_MODULES,
            SUITES,
            suite_args,
            support,
        )

        if not config.pluginmanager.is_registered(support):  # the suite's shared fixtures
            config.pluginmanager.register(support, "connect_email_conformance")

        named = SUITE_MODULES[0] in config.args  # connect-email conformance
        # Node ids of the suite (a printed command pasted in a user's project): those checks, found where installed.
        config.args[:], picked = suite_args(config.args, config.invocation_params.dir)
        extra = [] if named or picked or not settings.conformance else [str(path) for path in SUITES]
        if settings.stateful and not picked:
            extra.append(SEQUENCES_MODULE if named else str(SEQUENCES))
        if settings.conformance and not picked:
            for paths in config.pluginmanager.hook.pytest_connect_email_checks(config=config):
                extra.extend(paths or [])
        config.args.extend(p for p in extra if p not in config.args)


def pytest_unconfigure(config: pytest.Config) -> None:
    global _RUNS
    if config.stash.get(_COUNTED, False):
        _RUNS -= 1
    runtime = config.stash.get(RUNTIME, None)
    if runtime is not None:
        runtime.close(last=_RUNS == 0)


def pytest_report_header(config: pytest.Config) -> list[str]:
    settings = config.stash.get(SETTINGS, None)
    target = ""
    lines = []
    if settings is not None:
        target = f", mode {settings.mode}" + (f" ({settings.endpoint_url})" if settings.endpoint_url else "")
        if settings.mode == "emulator" or (settings.mode == "record" and not settings.endpoint_url):
            target += (
                ", emulator state per "
                + {"test": "test", "module": "module", "session": "run"}[settings.emulator_scope]
            )
        if settings.enabled:
            target += ", application clients " + ("intercepted" if settings.intercept else "not intercepted")
            from pytest_connect_email.contracts import active  # loads botocore: only in runs that asked for the plugin

            lines.append(active.report_header())
        else:
            target += ", inactive unless a test asks (-p connect_email, a --connect-* option or ini value, "
            target += "the connect_email marker or a Connect fixture)"
    if settings is not None and settings.sources:
        lines.append(_settings_line(settings.sources))
    return [f"connect-email: pytest-connect-email {__version__}{target}", *lines]


def _settings_line(sources: tuple[tuple[str, str, str], ...]) -> str:
    """The connect settings the run was given and where each came from; values an ini file set say how to
    override them, since a project's ini applies to ``connect-email conformance`` too."""
    given = "; ".join(f"{option} {value} (from {source})" for option, value, source in sources)
    line = f"connect-email settings: {given}"
    from_ini = [(option, value) for option, value, source in sources if source.startswith(("ini file", "addopts in"))]
    if from_ini:
        overrides = []
        for option, _ in from_ini:
            name = option[2:].replace("-", "_")
            example = "emulator" if option == "--connect-mode" else "VALUE"
            overrides.append(f"{option} {example} or -o {name}={example}")
        line += (
            f"\nconnect-email: {', '.join(o for o, _ in from_ini)} came from the project's ini file (connect-email "
            f"conformance uses it too); on the command line, {'; '.join(overrides)} overrides "
            + ("it" if len(from_ini) == 1 else "each")
        )
    return line


def pytest_sessionstart(session: pytest.Session) -> None:
    config = session.config
    settings, runtime = config.stash[SETTINGS], config.stash[RUNTIME]
    if settings.enabled and not runtime.offline and not config.option.collectonly:
        runtime.require_credentials()  # one usage error up front, not one per check


@pytest.hookimpl(tryfirst=True)  # before -k deselects by keyword
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # `-k StartEmailContact` or `-k DISASSOC-002` selects checks by their operation or id.
    for item in items:
        marker = item.get_closest_marker("connect_check")
        if marker is not None and len(marker.args) >= 2:
            item.extra_keyword_matches.update({str(marker.args[0]), str(marker.args[1])})


def pytest_runtest_setup() -> None:
    report.forget_errors()  # a check's report carries the error answers of its own calls only


#: Packages whose frames a contract failure's traceback leaves out: the call only went through them, the
#: mistake is at the application's call site (and their frames' arguments are the request's data).
_PRUNED = ("botocore", "boto3", "s3transfer", "aiobotocore", "pytest_connect_email")
_VIOLATION = "pytest_connect_email.contracts.validator.ContractViolation"


def _chain(error: BaseException | None) -> Iterator[BaseException]:
    """The exception and those it was raised from, as pytest reports them."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        yield error
        error = error.__cause__ or (None if error.__suppress_context__ else error.__context__)


def _is_violation(error: BaseException) -> bool:
    """Known by its class's name: nothing is imported for it, and a reloaded module's class counts too."""
    return any(f"{c.__module__}.{c.__qualname__}" == _VIOLATION for c in type(error).__mro__)


def _without_library_frames(tb: TracebackType | None) -> TracebackType | None:
    """The traceback ``tb`` without the entries of :data:`_PRUNED` (``None`` if nothing else is left).
    A new chain: pytest cuts a traceback by following ``tb_next``, which would bring them back."""
    kept = []
    while tb is not None:
        if str(tb.tb_frame.f_globals.get("__name__", "")).split(".")[0] not in _PRUNED:
            kept.append(tb)
        tb = tb.tb_next
    pruned = None
    for entry in reversed(kept):
        pruned = TracebackType(pruned, entry.tb_frame, entry.tb_lasti, entry.tb_lineno)
    return pruned


def _show_call_site(excinfo: pytest.ExceptionInfo[BaseException]) -> bool:
    """For a failure that is (or was raised from) a contract violation: its traceback as pytest will
    report it, without botocore's frames and ours, so it (and its crash line) ends at the application's
    call site. Whether it is such a failure."""
    violations = [error for error in _chain(excinfo.value) if _is_violation(error)]
    for error in violations:
        pruned = _without_library_frames(error.__traceback__)
        if pruned is not None:
            error.__traceback__ = pruned  # only pytest reads it now: the test is over and failed
            if error is excinfo.value:
                excinfo.traceback = type(excinfo.traceback)(pruned)
    return bool(violations)


_CASSETTE_ERROR = "pytest_connect_email.cassettes.replay.CassetteError"
#: The packages a client call runs through on its way to the cassette.
_CLIENT_PACKAGES = ("botocore", "boto3", "s3transfer", "aiobotocore")


def _cassette_error(excinfo: pytest.ExceptionInfo[BaseException]) -> BaseException | None:
    """The :class:`~.cassettes.CassetteError` the failure is (or was raised from), known by its class's name."""
    for error in _chain(excinfo.value):
        if any(f"{c.__module__}.{c.__qualname__}" == _CASSETTE_ERROR for c in type(error).__mro__):
            return error
    return None


def _short_cassette_failure(item: pytest.Item, error: BaseException) -> Any:
    """A cassette error (a missing cassette, no recorded answer) said short: the frames of the test's own file
    (else the frame that made the call, e.g. a fixture's) and the message, without botocore's frames and ours,
    nor their arguments (the request's data). ``None`` when no such frame is found."""
    entries = []
    tb = error.__traceback__
    while tb is not None:
        entries.append(tb)
        tb = tb.tb_next

    def package(entry: TracebackType) -> str:
        return str(entry.tb_frame.f_globals.get("__name__", "")).split(".")[0]

    own = str(Path(str(item.path)).resolve())
    kept = [e for e in entries if str(Path(e.tb_frame.f_code.co_filename).resolve()) == own]
    if not kept:  # a fixture's call: the frame that called the client
        kept = [e for e, nxt in itertools.pairwise(entries) if package(nxt) in _CLIENT_PACKAGES][:1]
    if not kept:
        return None
    pruned = None
    for entry in reversed(kept):
        pruned = TracebackType(pruned, entry.tb_frame, entry.tb_lasti, entry.tb_lineno)
    short = pytest.ExceptionInfo.from_exc_info((type(error), error, pruned))  # type: ignore[arg-type]
    return short.getrepr(style="short", funcargs=False, chain=False, tbfilter=False)


def _hide_arguments(report: pytest.TestReport) -> None:
    """pytest prints each frame's arguments: the request's data (customer addresses) in the terminal and
    ``junit.xml``. A contract failure's report goes without them."""
    for reprtraceback, *_ in getattr(report.longrepr, "chain", None) or ():
        for entry in getattr(reprtraceback, "reprentries", None) or ():
            if hasattr(entry, "reprfuncargs"):
                entry.reprfuncargs = None


@pytest.hookimpl(tryfirst=True, specname="pytest_runtest_makereport")
def pytest_runtest_makereport_not_implemented(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> pytest.TestReport | None:
    """A check the endpoint could not run is reported without pytest's traceback rendering (see
    :func:`.report.not_implemented_report`); the wrapper below completes it as for any check."""
    return report.not_implemented_report(item, call)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    contract = call.excinfo is not None and _show_call_site(call.excinfo)
    cassette = None if call.excinfo is None else _cassette_error(call.excinfo)
    outcome = yield
    if contract:
        _hide_arguments(outcome)
    if cassette is not None and outcome.failed:
        outcome.longrepr = _short_cassette_failure(item, cassette) or outcome.longrepr
    failures = failures_of(item) if call.when == "call" else []
    if failures and outcome.passed:
        # The code under test swallowed a contract violation or a cassette error: the test still fails.
        outcome.outcome = "failed"
        outcome.longrepr = "Connect calls of this test broke their contract or had no answer:\n\n" + "\n\n".join(
            failures
        )
    return report.check_outcome(item, call, outcome)
