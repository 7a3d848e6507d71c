"""The resolved ``--connect-*`` settings of a run, and the stash keys the plugin's modules share."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pytest_connect_email import limits
from pytest_connect_email.conformance.report import writable_problem

MODES = ("emulator", "live", "replay", "record")
#: How long one state of the embedded emulator lives (``--connect-emulator-scope``).
EMULATOR_SCOPES = ("test", "module", "session")
RECORD_MODES = ("once", "new_episodes", "all", "none")


@dataclass(frozen=True)
class Settings:
    mode: str
    endpoint_url: str | None
    region: str
    instance_id: str | None
    #: ``--connect-queue-id``: the existing queue the queue checks use (default: a fresh id per test).
    queue_id: str | None
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
    #: Route the code under test's own Connect clients to the target (``--connect-intercept off``: fixtures only).
    intercept: bool
    #: The run asked for the plugin's modes (see :func:`run_enabled`).
    enabled: bool
    #: Gate: any "not implemented" check fails the run.
    fail_on_not_implemented: bool = False
    #: Gate: these operations must have a passing check and none "not implemented".
    require_operations: tuple[str, ...] = ()
    #: ``--connect-stateful``: run the stateful differential check (STATEFUL-001).
    stateful: bool = False
    stateful_examples: int = 100
    stateful_steps: int = 30
    stateful_shrink_seconds: float = 10.0
    #: ``None``: a fresh seed per run (printed, so that the run can be reproduced).
    stateful_seed: int | None = None
    #: ``--connect-stateful-replay FILE``: make this saved sequence instead of exploring.
    stateful_replay: Path | None = None
    #: ``--connect-emulator-scope``: each test (default), each module or the whole run gets one state of
    #: the embedded emulator.
    emulator_scope: str = "test"
    #: ``--connect-cassette-ignore``: members a cassette never compares (dotted boto3 parameter paths, ``*``).
    cassette_ignore: tuple[str, ...] = ()
    #: ``--connect-usage FILE``: the usage manifest the run adds its Connect calls to (:mod:`.usage`).
    usage: Path | None = None
    #: Where each setting the run was given came from, in :data:`OPTION_NAMES` order: ``(option, value as text,
    #: source)``, the source being ``command line``, ``PYTEST_ADDOPTS``, ``addopts in <ini path>``, ``ini file
    #: <ini path>``, or one of the first three followed by `` (-o)`` for ``--override-ini``. Settings the run was
    #: not given (at their default) are not listed.
    sources: tuple[tuple[str, str, str], ...] = ()


#: The arguments ``connect-email conformance`` starts its pytest run with (then the user's).
CONFORMANCE_COMMAND = ("-p", "connect_email", "--connect-conformance", "--pyargs")

SETTINGS = pytest.StashKey[Settings]()
CASSETTE = pytest.StashKey[Any]()  # cassettes.CassetteState, made in record and replay modes


def value(config: pytest.Config, name: str, default: Any = None) -> Any:
    found = config.getoption(name)
    if found is None:
        found = config.getini(name)
    return default if found in (None, "", []) else found


def resolve(config: pytest.Config) -> Settings:
    mode = str(value(config, "connect_mode", "emulator"))
    if mode not in MODES:
        raise pytest.UsageError(f"connect_mode = {mode!r}: choose one of {', '.join(MODES)}")
    record_mode = str(value(config, "connect_record_mode", "once"))
    if record_mode not in RECORD_MODES:
        raise pytest.UsageError(f"connect_record_mode = {record_mode!r}: choose one of {', '.join(RECORD_MODES)}")
    seed_text = str(value(config, "connect_seed", "0"))
    try:
        seed = int(seed_text)
    except ValueError:
        raise pytest.UsageError(
            f"--connect-seed {seed_text!r}: expected a whole number, e.g. --connect-seed 42"
        ) from None
    paths = {name: value(config, name) for name in ("connect_report", "connect_baseline", "connect_write_baseline")}
    settings = Settings(
        mode=mode,
        endpoint_url=value(config, "connect_endpoint_url"),
        region=str(value(config, "connect_region", "us-east-1")),
        instance_id=value(config, "connect_instance_id"),
        queue_id=value(config, "connect_queue_id"),
        seed=seed,
        conformance=bool(value(config, "connect_conformance", False)) or _names_suite(config),
        report=_output_path("connect_report", paths["connect_report"], markdown_beside=True),
        baseline=Path(paths["connect_baseline"]) if paths["connect_baseline"] else None,
        write_baseline=_output_path("connect_write_baseline", paths["connect_write_baseline"]),
        email_domain=str(value(config, "connect_email_domain", "example.com")),
        cassette_dir=Path(str(value(config, "connect_cassette_dir", config.rootpath / "cassettes"))),
        record_mode=str(value(config, "connect_record_mode", "once")),
        record_accounts=tuple(
            a.strip() for a in str(value(config, "connect_record_accounts", "")).split(",") if a.strip()
        ),
        cassette_strict=bool(value(config, "connect_cassette_strict", False)),
        intercept=_switch(config, "connect_intercept"),
        enabled=run_enabled(config),
        fail_on_not_implemented=bool(value(config, "connect_fail_on_not_implemented", False)),
        require_operations=_operations(str(value(config, "connect_require_operations", ""))),
        stateful=bool(value(config, "connect_stateful", False)) or bool(value(config, "connect_stateful_replay")),
        stateful_examples=_count(config, "connect_stateful_examples", 100, limits.MAX_STATEFUL_EXAMPLES),
        stateful_steps=_count(config, "connect_stateful_steps", 30, limits.MAX_STATEFUL_STEPS),
        stateful_seed=_seed(config),
        stateful_shrink_seconds=_seconds(config, "connect_stateful_shrink_seconds", 10.0),
        stateful_replay=Path(str(replay)) if (replay := value(config, "connect_stateful_replay")) else None,
        emulator_scope=_emulator_scope(config),
        cassette_ignore=_ignore(config),
        usage=_output_path("connect_usage", value(config, "connect_usage")),
        sources=sources(config),
    )
    _refuse_shared_outputs(config, settings)
    return settings


def _same_file_key(path: Path) -> str:
    """The file ``path`` names, for comparing two outputs: resolved where the system can, else absolute."""
    import os

    try:
        return os.path.normcase(os.path.realpath(path))
    except (OSError, RuntimeError, ValueError):
        return os.path.normcase(os.path.abspath(path))


def _refuse_shared_outputs(config: pytest.Config, settings: Settings) -> None:
    """Two outputs of the run on one file: the one written last would replace the other (or be refused at
    the end, lost), so the run is refused before any test."""
    outputs: list[tuple[str, Path]] = []
    if settings.report is not None:
        outputs.append(("--connect-report", settings.report))
        outputs.append(("--connect-report (its Markdown)", settings.report.with_suffix(".md")))
    if settings.usage is not None:
        outputs.append(("--connect-usage", settings.usage))
    if settings.write_baseline is not None:
        outputs.append(("--connect-write-baseline", settings.write_baseline))
    xmlpath = getattr(config.option, "xmlpath", None)
    if xmlpath:
        outputs.append(("--junitxml", Path(str(xmlpath))))
    seen: dict[str, tuple[str, Path]] = {}
    for option, path in outputs:
        key = _same_file_key(path)
        if key in seen:
            first, first_path = seen[key]
            raise pytest.UsageError(
                f"{first} {first_path} and {option} {path} are the same file: each output of the run needs its "
                f"own file, or one replaces the other; give {option} another path"
            )
        seen[key] = (option, path)


def _text(found: Any) -> str:
    if isinstance(found, bool):
        return "true" if found else "false"
    if isinstance(found, (list, tuple)):
        return " ".join(str(part) for part in found)
    return str(found)


def _mentions(args: list[str], option: str) -> bool:
    return any(arg == option or arg.startswith(option + "=") for arg in args)


def _overrides(args: list[str], name: str) -> bool:
    """Whether ``args`` hold ``-o name=...`` / ``--override-ini name=...`` (any spelling pytest takes)."""
    for index, arg in enumerate(args):
        for flag in ("-o", "--override-ini"):
            if arg == flag and index + 1 < len(args) and args[index + 1].startswith(name + "="):
                return True
            if arg.startswith(flag) and arg[len(flag) :].lstrip("=").startswith(name + "="):
                return True
    return False


def sources(config: pytest.Config) -> tuple[tuple[str, str, str], ...]:
    """For each ``--connect-*`` setting the run was given: the option, its value as text and where it came from.

    pytest reads the ini file's ``addopts``, then ``PYTEST_ADDOPTS``, then the command line (the last given
    wins), and an ini value only when no option gave one; the source named is the layer whose value is in use.
    """
    import os
    import shlex

    try:
        from_env = shlex.split(os.environ.get("PYTEST_ADDOPTS", ""))
    except ValueError:  # pytest itself refused it before we get here; nothing to attribute
        from_env = []
    ini = str(config.inipath) if config.inipath is not None else "(no ini file)"
    try:
        addopts = [str(arg) for arg in config.getini("addopts")]
    except (ValueError, TypeError):
        addopts = []
    layers = (
        ("command line", [str(arg) for arg in config.invocation_params.args]),
        ("PYTEST_ADDOPTS", from_env),
        (f"addopts in {ini}", addopts),
    )
    found: list[tuple[str, str, str]] = []
    command = tuple(str(arg) for arg in config.invocation_params.args[: len(CONFORMANCE_COMMAND)])
    for name in OPTION_NAMES:
        option = "--" + name.replace("_", "-")
        given = config.getoption(name)
        if given is not None:
            where = next((layer for layer, args in layers if _mentions(args, option)), "command line")
            if option == "--connect-conformance" and command == CONFORMANCE_COMMAND:
                where = "connect-email conformance"  # the command gave it, not the user
            found.append((option, _text(given), where))
            continue
        from_ini = config.getini(name)
        if from_ini in (None, "", []):
            continue
        layer = next((layer for layer, args in layers if _overrides(args, name)), None)
        found.append((option, _text(from_ini), f"{layer} (-o)" if layer else f"ini file {ini}"))
    return tuple(found)


def _names_suite(config: pytest.Config) -> bool:
    """Whether the command line names checks of the shipped suite by node id or file (a command the plugin
    printed, pasted): the suite's fixtures are then registered as ``--connect-conformance`` does."""
    args = [str(arg) for arg in config.args]
    if not any(arg.split("::", 1)[0].endswith(".py") for arg in args):
        return False
    from pytest_connect_email.conformance import suite_file  # pytest only: the suite's modules load later

    return any(suite_file(arg, config.invocation_params.dir) is not None for arg in args)


def _ignore(config: pytest.Config) -> tuple[str, ...]:
    """``--connect-cassette-ignore`` (ini ``connect_cassette_ignore``): member paths, judged before any test."""
    text = str(value(config, "connect_cassette_ignore", ""))
    if not text.strip():
        return ()
    from pytest_connect_email.cassettes.replay import ignore_patterns  # vcrpy: only in runs that set the option

    try:
        return ignore_patterns(text)
    except ValueError as exc:
        raise pytest.UsageError(f"--connect-cassette-ignore: {exc}") from None


def _emulator_scope(config: pytest.Config) -> str:
    """``--connect-emulator-scope``, ``test`` unless set: the shipped conformance suite and the stateful check
    pass under every scope (each check names what it makes uniquely), so they choose nothing of their own
    and the user's tests beside them stay independent of order."""
    chosen = value(config, "connect_emulator_scope")
    if chosen is None:
        return "test"
    scope = str(chosen).strip().lower()
    if scope not in EMULATOR_SCOPES:
        raise pytest.UsageError(
            f"connect_emulator_scope = {chosen!r}: choose one of {', '.join(EMULATOR_SCOPES)} (how long one state "
            "of the embedded emulator lives: each test, each module, or the whole run)"
        )
    return scope


def _output_path(name: str, text: Any, *, markdown_beside: bool = False) -> Path | None:
    """A file the run writes when it ends (``--connect-report``, ``--connect-write-baseline``), judged
    before any check runs: a usage error now, never a traceback after the whole run."""
    if not text:
        return None
    option = "--" + name.replace("_", "-")
    path = Path(str(text))
    if markdown_beside and path.suffix.lower() == ".md":
        raise pytest.UsageError(
            f"{option} {path}: the report is JSON, and its Markdown is written beside it as {path}; "
            f"give the JSON path, e.g. {option} {path.with_suffix('.json')}"
        )
    targets = [path, path.with_suffix(".md")] if markdown_beside else [path]
    for target in targets:
        problem = writable_problem(target)
        if problem:
            raise pytest.UsageError(f"{option} {path}: {problem}; give a path to a file in a writable folder")
    return path


def _count(config: pytest.Config, name: str, default: int, limit: int) -> int:
    """A positive whole number option within its budget (see :mod:`.limits`)."""
    text = str(value(config, name, default))
    option = "--" + name.replace("_", "-")
    try:
        number = int(text)
    except ValueError:
        raise pytest.UsageError(f"{option} {text!r}: expected a whole number, e.g. {option} {default}") from None
    if not 1 <= number <= limit:
        raise pytest.UsageError(f"{option} {number}: expected 1 to {limit} (the limit), e.g. {option} {default}")
    return number


def _seconds(config: pytest.Config, name: str, default: float) -> float:
    text = str(value(config, name, default))
    option = "--" + name.replace("_", "-")
    try:
        number = float(text)
    except ValueError:
        number = -1.0
    if not 0 < number <= limits.MAX_STATEFUL_SHRINK_SECONDS:
        raise pytest.UsageError(
            f"{option} {text!r}: expected seconds above 0, at most {limits.MAX_STATEFUL_SHRINK_SECONDS} (the limit), "
            f"e.g. {option} {default:g}"
        )
    return number


def _seed(config: pytest.Config) -> int | None:
    text = value(config, "connect_stateful_seed")
    if text is None:
        return None
    try:
        return int(str(text))
    except ValueError:
        raise pytest.UsageError(
            f"--connect-stateful-seed {text!r}: expected a whole number, e.g. the seed a failed run printed"
        ) from None


def _operations(text: str) -> tuple[str, ...]:
    """``--connect-require-operations OP1,OP2``: covered operation names, as ``spec.OPERATIONS`` spells them."""
    from pytest_connect_email.contracts.spec import OPERATIONS  # no botocore: the list is a constant

    names = tuple(dict.fromkeys(n.strip() for n in text.split(",") if n.strip()))
    unknown = [n for n in names if n not in OPERATIONS]
    if unknown:
        import difflib

        hints = []
        for name in unknown:
            close = difflib.get_close_matches(name, OPERATIONS, n=1)
            hints.append(f"{name} (did you mean {close[0]}?)" if close else name)
        raise pytest.UsageError(
            f"--connect-require-operations: unknown operation(s) {', '.join(hints)}; "
            f"choose from {', '.join(OPERATIONS)}"
        )
    return names


def _switch(config: pytest.Config, name: str) -> bool:
    text = str(value(config, name, "on")).strip().lower()
    if text in ("on", "true", "yes", "1"):
        return True
    if text in ("off", "false", "no", "0"):
        return False
    raise pytest.UsageError(f"{name} = {text!r}: use on or off")


#: Options of the plugin; setting any of them (or its ini twin) turns the plugin's modes on for the run.
OPTION_NAMES = (
    "connect_mode",
    "connect_endpoint_url",
    "connect_region",
    "connect_instance_id",
    "connect_queue_id",
    "connect_seed",
    "connect_email_domain",
    "connect_conformance",
    "connect_report",
    "connect_baseline",
    "connect_write_baseline",
    "connect_cassette_dir",
    "connect_record_mode",
    "connect_record_accounts",
    "connect_cassette_strict",
    "connect_cassette_ignore",
    "connect_intercept",
    "connect_fail_on_not_implemented",
    "connect_require_operations",
    "connect_stateful",
    "connect_stateful_examples",
    "connect_stateful_steps",
    "connect_stateful_seed",
    "connect_stateful_shrink_seconds",
    "connect_stateful_replay",
    "connect_emulator_scope",
    "connect_usage",
)

#: Fixtures that use the target: a test that asks for one turns the plugin's modes on for itself.
TARGET_FIXTURES = frozenset(
    {
        "connect_client",
        "connect_client_factory",
        "connect_instance_id",
        "connect_queue_id",
        "email_address",
        "alias_pair",
        "connect_emulator",
        "connect_endpoint",
        "connect_calls",
        "connect_faults",
    }
)


def run_enabled(config: pytest.Config) -> bool:
    """Whether the run asked for the plugin's modes: ``-p connect_email`` (command line, addopts or
    ``PYTEST_ADDOPTS``), a ``--connect-*`` option, or a ``connect_*`` ini value.

    Installing the package loads the plugin into every pytest run of the environment; a run that
    asked for none of these keeps its botocore clients untouched, except in the tests that ask for
    it themselves (:func:`enabled_for`).
    """
    plugins = getattr(config.option, "plugins", None) or []
    if any(p in ("connect_email", "pytest_connect_email.pytest.plugin") for p in plugins):
        return True
    if any(config.getoption(name) is not None for name in OPTION_NAMES):
        return True
    return any(config.getini(name) not in (None, "", []) for name in OPTION_NAMES)


def enabled_for(item: pytest.Item, settings: Settings) -> bool:
    """Whether the plugin's modes act in this test: the run asked for them, or the test carries the
    ``connect_email`` marker, or it uses a fixture of the target."""
    if settings.enabled or item.get_closest_marker("connect_email") is not None:
        return True
    return bool(TARGET_FIXTURES & set(getattr(item, "fixturenames", ())))


def intercepts(item: pytest.Item, settings: Settings) -> bool:
    """Whether the code under test's own Connect clients are routed in this test."""
    marker = item.get_closest_marker("connect_email")
    if marker is not None and "intercept" in marker.kwargs:
        return bool(marker.kwargs["intercept"])
    return settings.intercept and enabled_for(item, settings)
