"""The pytest11 entry point (``-p connect_email``): options, fixtures, the conformance run and its report.

Import cost matters here: pytest imports this module on every run of every suite that has the
package installed. Nothing heavy (botocore's model, jsonschema, faker, vcrpy, the emulator) is
imported at module level; fixtures and hooks import what they need when they run.

State lives under typed ``pytest.StashKey``s on the config: the resolved settings, the conformance
results (gathered from reports, so they work under pytest-xdist, where the controller sees every
worker's reports) and the baseline.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import uuid
import zlib
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pytest

from pytest_connect_email import __version__

MODES = ("emulator", "live", "replay", "record")
RECORD_MODES = ("once", "new_episodes", "all", "none")
CHECK_PROPERTY = "connect_check"


@dataclass(frozen=True)
class Settings:
    mode: str
    endpoint_url: str | None
    region: str
    instance_id: str | None
    seed: int
    conformance: bool
    report: Path | None
    baseline: Path | None
    write_baseline: Path | None
    email_domain: str
    cassette_dir: Path
    record_mode: str
    record_accounts: tuple[str, ...]
    cassette_strict: bool


@dataclass
class Result:
    id: str
    operation: str
    nodeid: str
    outcome: str = "passed"
    duration: float = 0.0
    detail: str = ""
    baseline: str = ""


@dataclass
class Run:
    results: dict[str, Result] = field(default_factory=dict)
    baseline: dict[str, dict[str, str]] = field(default_factory=dict)
    baseline_now_passing: list[str] = field(default_factory=list)
    baseline_expired: list[str] = field(default_factory=list)


SETTINGS = pytest.StashKey[Settings]()
RUN = pytest.StashKey[Run]()
CASSETTE = pytest.StashKey[Any]()  # cassettes.CassetteState, made in record and replay modes


# -- options ---------------------------------------------------------------------------------------


def _option(group: Any, parser: pytest.Parser, name: str, help: str, ini_type: str | None = None, **kw: Any) -> None:
    ini = name.lstrip("-").replace("-", "_")
    group.addoption(name, dest=ini, help=f"{help} (ini: {ini})", **kw)
    parser.addini(ini, help=help, type=ini_type, default=None)  # type: ignore[arg-type]


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("connect-email", "Amazon Connect email contracts and conformance (pytest-connect-email)")
    _option(
        group, parser, "--connect-mode", "target: emulator (default, in-process), live, replay or record", choices=MODES
    )
    _option(group, parser, "--connect-endpoint-url", "endpoint for live mode (default: AWS itself)")
    _option(group, parser, "--connect-region", "region of the clients (default us-east-1)")
    _option(group, parser, "--connect-instance-id", "use this existing instance instead of creating one")
    _option(group, parser, "--connect-seed", "seed of the fake data (default 0)")
    _option(
        group, parser, "--connect-email-domain", "domain of the addresses the fixtures create (default example.com)"
    )
    _option(
        group,
        parser,
        "--connect-conformance",
        "collect the shipped conformance suite too",
        "bool",
        action="store_true",
        default=None,
    )
    _option(group, parser, "--connect-report", "write the conformance report as JSON here, Markdown beside it")
    _option(group, parser, "--connect-baseline", "file of known failing check ids (reason, optional expiry)")
    _option(group, parser, "--connect-write-baseline", "write the current failures as a new baseline file here")
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
        "comma-separated AWS account ids that record mode may record against (loopback endpoints need none)",
    )
    _option(
        group,
        parser,
        "--connect-cassette-strict",
        "fail a replayed test that did not play every recorded interaction",
        "bool",
        action="store_true",
        default=None,
    )


def _value(config: pytest.Config, name: str, default: Any = None) -> Any:
    value = config.getoption(name)
    if value is None:
        value = config.getini(name)
    return default if value in (None, "", []) else value


def _settings(config: pytest.Config) -> Settings:
    mode = str(_value(config, "connect_mode", "emulator"))
    if mode not in MODES:
        raise pytest.UsageError(f"connect_mode = {mode!r}: choose one of {', '.join(MODES)}")
    record_mode = str(_value(config, "connect_record_mode", "once"))
    if record_mode not in RECORD_MODES:
        raise pytest.UsageError(f"connect_record_mode = {record_mode!r}: choose one of {', '.join(RECORD_MODES)}")
    seed_text = str(_value(config, "connect_seed", "0"))
    try:
        seed = int(seed_text)
    except ValueError:
        raise pytest.UsageError(
            f"--connect-seed {seed_text!r}: expected a whole number, e.g. --connect-seed 42"
        ) from None
    paths = {name: _value(config, name) for name in ("connect_report", "connect_baseline", "connect_write_baseline")}
    return Settings(
        mode=mode,
        endpoint_url=_value(config, "connect_endpoint_url"),
        region=str(_value(config, "connect_region", "us-east-1")),
        instance_id=_value(config, "connect_instance_id"),
        seed=seed,
        conformance=bool(_value(config, "connect_conformance", False)),
        report=Path(paths["connect_report"]) if paths["connect_report"] else None,
        baseline=Path(paths["connect_baseline"]) if paths["connect_baseline"] else None,
        write_baseline=Path(paths["connect_write_baseline"]) if paths["connect_write_baseline"] else None,
        email_domain=str(_value(config, "connect_email_domain", "example.com")),
        cassette_dir=Path(str(_value(config, "connect_cassette_dir", config.rootpath / "cassettes"))),
        record_mode=str(_value(config, "connect_record_mode", "once")),
        record_accounts=tuple(
            a.strip() for a in str(_value(config, "connect_record_accounts", "")).split(",") if a.strip()
        ),
        cassette_strict=bool(_value(config, "connect_cassette_strict", False)),
    )


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    from pytest_connect_email import hooks

    pluginmanager.add_hookspecs(hooks)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "connect_check(id, operation): a conformance check with a stable id")
    settings = _settings(config)
    config.stash[SETTINGS] = settings
    run = Run()
    if settings.baseline is not None:
        run.baseline = load_baseline(settings.baseline)
    config.stash[RUN] = run
    config.pluginmanager.register(_Recorder(config), "connect-email-recorder")
    if settings.mode in ("record", "replay"):
        from pytest_connect_email.cassettes import CassetteState

        config.stash[CASSETTE] = CassetteState()
    if settings.conformance:
        from pytest_connect_email.conformance import SUITE

        extra = [str(SUITE)]
        for paths in config.pluginmanager.hook.pytest_connect_email_checks(config=config):
            extra.extend(paths or [])
        config.args.extend(p for p in extra if p not in config.args)


def pytest_report_header(config: pytest.Config) -> list[str]:
    settings = config.stash.get(SETTINGS, None)
    target = (
        ""
        if settings is None
        else f", mode {settings.mode}" + (f" ({settings.endpoint_url})" if settings.endpoint_url else "")
    )
    from pytest_connect_email import active

    return [f"connect-email: pytest-connect-email {__version__}{target}", active.report_header()]


# -- baseline --------------------------------------------------------------------------------------


def load_baseline(path: Path) -> dict[str, dict[str, str]]:
    """Read a baseline file (JSON, or YAML by extension): ``{"checks": {id: {reason, expires?}}}``."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise pytest.UsageError(
            f"--connect-baseline {path}: cannot read it ({exc.strerror}); write one with --connect-write-baseline PATH"
        ) from None
    try:
        if path.suffix in (".yml", ".yaml"):
            import yaml

            data = yaml.safe_load(text)
        else:
            data = json.loads(text)
    except Exception as exc:
        raise pytest.UsageError(
            f"--connect-baseline {path}: not valid {'YAML' if path.suffix in ('.yml', '.yaml') else 'JSON'}: {exc}"
        ) from None
    checks = data.get("checks") if isinstance(data, dict) else None
    if not isinstance(checks, dict):
        raise pytest.UsageError(
            f'--connect-baseline {path}: expected an object {{"checks": {{"ID": {{"reason": ...}}}}}}'
        )
    out: dict[str, dict[str, str]] = {}
    for check_id, entry in checks.items():
        if not isinstance(entry, dict) or not isinstance(entry.get("reason"), str) or not entry["reason"].strip():
            raise pytest.UsageError(f"--connect-baseline {path}: entry {check_id!r} needs a non-empty 'reason'")
        expires = entry.get("expires")
        if expires is not None:
            try:
                dt.date.fromisoformat(str(expires))
            except ValueError:
                raise pytest.UsageError(
                    f"--connect-baseline {path}: entry {check_id!r} has expires={expires!r}; use a date like 2027-01-31"
                ) from None
        out[str(check_id)] = {"reason": entry["reason"], **({"expires": str(expires)} if expires else {})}
    return out


def _active(entry: dict[str, str] | None) -> bool:
    if entry is None:
        return False
    expires = entry.get("expires")
    return expires is None or dt.date.fromisoformat(expires) >= dt.date.today()


# -- reports ---------------------------------------------------------------------------------------


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    marker = item.get_closest_marker("connect_check")
    if marker is None:
        return report
    from pytest_connect_email.client import EndpointNotImplemented

    check_id, operation = str(marker.args[0]), str(marker.args[1])
    if (CHECK_PROPERTY, check_id) not in report.user_properties:
        report.user_properties += [(CHECK_PROPERTY, check_id), ("connect_operation", operation)]
    if call.excinfo is not None and call.excinfo.errisinstance(EndpointNotImplemented):
        report.outcome = "skipped"
        report.longrepr = (str(item.path), item.location[1] or 0, f"not implemented: {call.excinfo.value}")
        report.user_properties.append(("connect_not_implemented", str(call.excinfo.value)))
        return report
    run = item.config.stash[RUN]
    entry = run.baseline.get(check_id)
    if report.failed and _active(entry):
        assert entry is not None
        report.user_properties.append(("connect_baseline", entry["reason"]))
        report.user_properties.append(("connect_detail", report.longreprtext))
        report.outcome = "skipped"
        report.wasxfail = f"baseline {check_id}: {entry['reason']}"
    return report


class _Recorder:
    """Gathers conformance results from reports and writes the report at the end (controller only)."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        props = dict(report.user_properties)
        check_id = props.get(CHECK_PROPERTY)
        if check_id is None:
            return
        run = self.config.stash[RUN]
        result = run.results.setdefault(
            str(check_id), Result(str(check_id), str(props.get("connect_operation", "")), report.nodeid)
        )
        result.duration += report.duration
        if "connect_not_implemented" in props:
            result.outcome, result.detail = "not implemented", str(props["connect_not_implemented"])
        elif "connect_baseline" in props:
            result.outcome, result.baseline = "failed", str(props["connect_baseline"])
            result.detail = str(props.get("connect_detail", ""))
        elif report.failed:
            result.outcome, result.detail = "failed", report.longreprtext
        elif report.skipped and result.outcome == "passed":
            result.outcome = "skipped"
            result.detail = str(report.longrepr[-1]) if isinstance(report.longrepr, tuple) else report.longreprtext

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if hasattr(self.config, "workerinput"):  # an xdist worker: the controller writes the report
            return
        settings, run = self.config.stash[SETTINGS], self.config.stash[RUN]
        if not run.results:
            return
        for check_id, entry in run.baseline.items():
            result = run.results.get(check_id)
            if not _active(entry):
                run.baseline_expired.append(check_id)
            elif result is not None and result.outcome == "passed":
                run.baseline_now_passing.append(check_id)
        if settings.report is not None:
            write_report(settings.report, settings, run)
        if settings.write_baseline is not None:
            failing = {
                r.id: {"reason": (r.detail.strip().splitlines() or ["failed"])[-1][:300]}
                for r in run.results.values()
                if r.outcome == "failed"
            }
            settings.write_baseline.parent.mkdir(parents=True, exist_ok=True)
            text = json.dumps({"checks": failing}, indent=2, sort_keys=True) + "\n"
            settings.write_baseline.write_text(text, encoding="utf-8")

    def pytest_terminal_summary(self, terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
        settings, run = config.stash[SETTINGS], config.stash[RUN]
        if not run.results or hasattr(config, "workerinput"):
            return
        counts: dict[str, int] = {}
        for result in run.results.values():
            counts[result.outcome] = counts.get(result.outcome, 0) + 1
        terminalreporter.section("connect-email conformance")
        summary = ", ".join(f"{n} {k}" for k, n in sorted(counts.items()))
        terminalreporter.write_line(f"{summary} (mode {settings.mode})")
        for result in sorted(run.results.values(), key=lambda r: r.id):
            if result.outcome == "not implemented":
                terminalreporter.write_line(f"{result.id} not implemented: {result.detail[:160]}")
        if run.baseline_now_passing:
            terminalreporter.write_line(
                "baseline entries that now pass: " + ", ".join(sorted(run.baseline_now_passing))
            )
        if run.baseline_expired:
            expired = ", ".join(sorted(run.baseline_expired))
            terminalreporter.write_line(f"expired baseline entries (they no longer excuse failures): {expired}")
        if settings.report is not None:
            terminalreporter.write_line(f"report: {settings.report} and {settings.report.with_suffix('.md')}")


def write_report(path: Path, settings: Settings, run: Run) -> None:
    from pytest_connect_email.conformance import all_checks

    known = all_checks()
    results = sorted(run.results.values(), key=lambda r: r.id)
    counts: dict[str, int] = {}
    for result in results:
        counts[result.outcome] = counts.get(result.outcome, 0) + 1
    document = {
        "tool": f"pytest-connect-email {__version__}",
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "target": {"mode": settings.mode, "endpoint_url": settings.endpoint_url, "region": settings.region},
        "summary": counts,
        "baseline": {"now_passing": sorted(run.baseline_now_passing), "expired": sorted(run.baseline_expired)},
        "checks": [
            {
                "id": r.id,
                "operation": r.operation,
                "outcome": r.outcome,
                "duration": round(r.duration, 4),
                "source": known[r.id].source if r.id in known else "",
                "title": known[r.id].title if r.id in known else "",
                "detail": r.detail,
                **({"baseline": r.baseline} if r.baseline else {}),
                "nodeid": r.nodeid,
            }
            for r in results
        ],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    path.with_suffix(".md").write_text(markdown(document), encoding="utf-8")


_MARK = {"passed": "pass", "failed": "FAIL", "not implemented": "n/i", "skipped": "skip"}


def markdown(document: dict[str, Any]) -> str:
    checks = document["checks"]
    operations = sorted({c["operation"] for c in checks})
    lines = [
        "# Amazon Connect email conformance report",
        "",
        f"Target: mode `{document['target']['mode']}`"
        + (f", endpoint `{document['target']['endpoint_url']}`" if document["target"]["endpoint_url"] else "")
        + f", region `{document['target']['region']}`. {document['tool']}, {document['created']}.",
        "",
        "Summary: " + ", ".join(f"{n} {k}" for k, n in sorted(document["summary"].items())),
        "",
        "| operation | passed | failed | not implemented | skipped | checks |",
        "|---|---|---|---|---|---|",
    ]
    for op in operations:
        mine = [c for c in checks if c["operation"] == op]
        cells = [str(sum(c["outcome"] == o for c in mine)) for o in ("passed", "failed", "not implemented", "skipped")]
        listed = " ".join(f"{c['id']}:{_MARK[c['outcome']]}" for c in mine)
        lines.append(f"| {op} | {' | '.join(cells)} | {listed} |")
    problems = [c for c in checks if c["outcome"] in ("failed", "not implemented")]
    if problems:
        lines += ["", "## Failures and gaps", ""]
        for c in problems:
            first = (c["detail"].strip().splitlines() or [""])[-1][:300]
            note = f" (baseline: {c['baseline']})" if c.get("baseline") else ""
            lines.append(f"- **{c['id']}** {c['operation']}: {c['outcome']}{note} — {first}")
    if document["baseline"]["now_passing"]:
        lines += ["", "Baseline entries that now pass: " + ", ".join(document["baseline"]["now_passing"])]
    return "\n".join(lines) + "\n"


# -- fixtures --------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def connect_settings(pytestconfig: pytest.Config) -> Settings:
    """The resolved ``--connect-*`` options."""
    return pytestconfig.stash[SETTINGS]


@pytest.fixture(scope="session")
def connect_emulator(connect_settings: Settings) -> Iterator[Any]:
    """The reference emulator: in-process in emulator mode, the recording target in record mode
    without an endpoint; skips otherwise."""
    embedded = connect_settings.mode == "emulator" or (
        connect_settings.mode == "record" and not connect_settings.endpoint_url
    )
    if not embedded:
        pytest.skip(
            f"connect_emulator exists only when the embedded emulator is the target (mode {connect_settings.mode})"
        )
    from pytest_connect_email.emulator import Config, Emulator

    emulator = Emulator.create(config=Config(region=connect_settings.region))
    yield emulator
    emulator.backend.store.close()


@pytest.fixture(scope="session")
def connect_client_factory(request: pytest.FixtureRequest, connect_settings: Settings) -> Callable[..., Any]:
    """Make more contract-checked clients: ``connect_client_factory(validate_requests=False)`` sends
    invalid requests on purpose (botocore's own parameter validation is off too)."""
    import boto3
    from botocore.config import Config as BotoConfig

    from pytest_connect_email.client import checked

    mode = connect_settings.mode
    local = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}

    def make(validate_requests: bool = True) -> Any:
        options: dict[str, Any] = {"region_name": connect_settings.region}
        boto_config = BotoConfig(parameter_validation=validate_requests)
        if mode == "emulator":
            emulator = request.getfixturevalue("connect_emulator")
            client = emulator.attach(
                boto3.client(
                    "connect", endpoint_url="http://connect-email.emulator", config=boto_config, **options, **local
                )
            )
        elif mode == "replay":  # vcrpy answers; the endpoint is never contacted
            client = boto3.client(
                "connect", endpoint_url="http://connect-email.replay", config=boto_config, **options, **local
            )
        elif mode == "record" and not connect_settings.endpoint_url:  # record the emulator over loopback HTTP
            url = request.getfixturevalue("_connect_recording_server").url
            client = boto3.client("connect", endpoint_url=url, config=boto_config, **options, **local)
        else:
            if mode == "record":
                _guard_recording(connect_settings, request.config)
            client = boto3.client("connect", endpoint_url=connect_settings.endpoint_url, config=boto_config, **options)
        checked(client, validate_requests=validate_requests)
        if mode in ("record", "replay"):
            from pytest_connect_email.cassettes import wire_client

            wire_client(client, request.config.stash[CASSETTE], replay=mode == "replay")
        request.config.pluginmanager.hook.pytest_connect_email_client(
            client=client, mode=connect_settings.mode, config=request.config
        )
        return client

    return make


@pytest.fixture(scope="session")
def _connect_recording_server(connect_emulator: Any) -> Iterator[Any]:
    with connect_emulator.serve() as server:
        yield server


def _guard_recording(settings: Settings, config: pytest.Config) -> None:
    """Record mode against anything but loopback needs an account the user allowed."""
    from urllib.parse import urlsplit

    host = urlsplit(settings.endpoint_url or "").hostname
    if host in ("127.0.0.1", "localhost", "::1"):
        return
    import boto3

    try:
        account = str(
            boto3.client("sts", region_name=settings.region, endpoint_url=None).get_caller_identity()["Account"]
        )
    except Exception as exc:
        pytest.exit(f"--connect-mode record: cannot tell which AWS account this is ({exc}); refusing to record", 4)
    if account not in settings.record_accounts:
        pytest.exit(
            f"--connect-mode record refuses to record AWS account {account}: it is not in --connect-record-accounts "
            f"(ini connect_record_accounts). Add it there if it is a sandbox account.",
            4,
        )


@pytest.fixture(scope="session")
def connect_client(connect_client_factory: Callable[..., Any]) -> Any:
    """A boto3 Connect client wired to the mode; every request, response and error is contract-checked."""
    return connect_client_factory()


def _instance_scope(fixture_name: str, config: pytest.Config) -> Literal["function", "session"]:
    # With cassettes every test makes its own instance, so each cassette stands alone (and -k works).
    return "function" if config.stash[SETTINGS].mode in ("record", "replay") else "session"


def _names(request: pytest.FixtureRequest) -> Callable[[], str]:
    """Unique-looking names: random live, but reproducible with cassettes (seed, test id, counter),
    so that a replayed test sends exactly the requests it recorded."""
    settings = request.config.stash[SETTINGS]
    if settings.mode not in ("record", "replay"):
        return lambda: uuid.uuid4().hex[:16]
    counter = iter(range(1_000_000))
    # The cassette's identity (module and test name), not the node id, which depends on the rootdir.
    key = f"{settings.seed}:{Path(str(request.node.path)).stem}:{request.node.name}"
    return lambda: hashlib.sha256(f"{key}:{next(counter)}".encode()).hexdigest()[:16]


@pytest.fixture(scope=_instance_scope)
def connect_instance_id(
    request: pytest.FixtureRequest, connect_settings: Settings, connect_client: Any
) -> Iterator[str]:
    """``--connect-instance-id``, or an instance this run creates and deletes at the end."""
    if connect_settings.instance_id:
        yield connect_settings.instance_id
        return
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
    from pytest_connect_email import contracts

    return contracts


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
    """In record and replay modes, one cassette per test: ``<dir>/<test module>/<test name>.yaml``."""
    settings = request.config.stash[SETTINGS]
    if settings.mode not in ("record", "replay"):
        yield
        return
    from pytest_connect_email import cassettes

    module = Path(str(request.node.path)).stem
    path = cassettes.cassette_path(settings.cassette_dir, module, request.node.name)
    hook = request.config.pluginmanager.hook.pytest_connect_email_scrub
    state: cassettes.CassetteState = request.config.stash[CASSETTE]
    replay = settings.mode == "replay"
    record_mode = "none" if replay else settings.record_mode
    with state.use(path, record_mode=record_mode, extra=hook, nodeid=request.node.nodeid):
        yield
        if replay and settings.cassette_strict and state.cassette is not None and not state.cassette.all_played:
            unplayed = len(state.cassette) - len(state.cassette.play_counts)
            pytest.fail(
                f"{path}: {unplayed} recorded interaction(s) were not played (--connect-cassette-strict); "
                "the cassette is stale: record it again with --connect-mode record --connect-record-mode all",
                pytrace=False,
            )
