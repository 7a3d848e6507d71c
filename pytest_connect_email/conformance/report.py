"""Conformance results, the baseline gate, the run's gates and the report (JSON and Markdown), for the plugin.

Results are gathered from test reports' ``user_properties``, so they survive pytest-xdist: the
controller sees every worker's reports and alone writes the files and decides the exit status.

The gates (``--connect-fail-on-not-implemented``, ``--connect-require-operations``) turn a run that
pytest would call green into a failed one: "not implemented" checks are reported as skips, so a
target that implements nothing would otherwise pass.

A "not implemented" check names the operation the endpoint lacked, which need not be the one it
checks: a check of DisassociateEmailAddressAlias cannot run when CreateEmailAddress, which its setup
calls, is missing. The report counts such a check against the missing operation.

Coverage has two figures: the operations with a passing check, and the error codes the model lists
for them that the target answered during a passing check (noted by the checked clients, see
:data:`.client.ERRORS`).

The run's verdict (:class:`Verdict`, made by :func:`judge`) is one: the exit status, the JSON's ``gate``,
the Markdown's first lines, a ``connect-email::gate`` JUnit test case and GitHub's step summary all say
it, and :func:`build_document` makes the JSON for a run and for ``connect-email report merge``
(:mod:`.merge`) alike.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import stat
import types
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from pytest_connect_email._version import __version__

CHECK_PROPERTY = "connect_check"
#: The operation whose absence made a check "not implemented".
MISSING_PROPERTY = "connect_missing_operation"
#: The error answers (``[operation, code]`` pairs) a passing check's calls received.
ERRORS_PROPERTY = "connect_errors"
#: What the stateful check did: steps, sequences, seconds, seed, excused and found divergence kinds.
STATEFUL_PROPERTY = "connect_stateful"


@dataclass
class Result:
    id: str
    operation: str
    nodeid: str
    outcome: str = "passed"
    duration: float = 0.0
    detail: str = ""
    baseline: str = ""
    #: One line saying why a failed check failed, as pytest's short summary does (``AssertionError: ...``).
    summary: str = ""
    #: For a "not implemented" check: the operation the endpoint lacked (its own, or one its setup calls).
    missing: str = ""
    #: The error answers ``(operation, code)`` its calls received (kept for passing checks).
    errors: list[tuple[str, str]] = field(default_factory=list)
    #: For the stateful check: what it did (steps, sequences, seed ...), and the divergence kinds it found.
    stateful: dict[str, Any] = field(default_factory=dict)

    def not_implemented_line(self) -> str:
        """Why it is "not implemented", naming the setup call when the missing operation is not its own."""
        if self.missing and self.missing != self.operation:
            return f"setup call {self.detail}"
        return self.detail


@dataclass
class Run:
    results: dict[str, Result] = field(default_factory=dict)
    baseline: dict[str, dict[str, str]] = field(default_factory=dict)
    baseline_now_passing: list[str] = field(default_factory=list)
    baseline_expired: list[str] = field(default_factory=list)
    #: Why the run's gates fail it (empty: they pass).
    gate_failures: list[str] = field(default_factory=list)
    #: Divergence kinds the baseline excuses in the stateful check: ``(operation, field) -> entry``.
    divergences: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)
    #: Report files that could not be written when the run ended (the run then fails).
    write_errors: list[str] = field(default_factory=list)
    #: Node ids of the tests that are not conformance checks, and of those of them that failed (in order).
    other_ran: set[str] = field(default_factory=set)
    other_failed: dict[str, None] = field(default_factory=dict)
    #: The run's verdict, once the run has ended (controller only).
    verdict: Verdict | None = None
    #: What the terminal summary says besides (a step summary that could not be appended to).
    notes: list[str] = field(default_factory=list)

    def other_tests(self) -> OtherTests:
        failed = tuple(self.other_failed)
        return OtherTests(ran=len(self.other_ran), failed=len(failed), failed_nodeids=failed)


@dataclass(frozen=True)
class OtherTests:
    """The tests of a run that are not conformance checks: how many ran and failed (a failure fails the run)."""

    ran: int = 0
    failed: int = 0
    failed_nodeids: tuple[str, ...] = ()
    #: For a merge of shards: the shard reports whose other tests failed.
    failed_in: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        document: dict[str, Any] = {"ran": self.ran, "failed": self.failed, "failed_nodeids": list(self.failed_nodeids)}
        if self.failed_in:
            document["failed_in"] = list(self.failed_in)
        return document


@dataclass(frozen=True)
class GateOptions:
    """The gate options of a run (a merge of shards: the union of the operations, any shard's flag)."""

    fail_on_not_implemented: bool = False
    require_operations: tuple[str, ...] = ()
    #: ``connect-email report merge --require-all-checks``: every shipped check must have run in some shard.
    require_all_checks: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "fail_on_not_implemented": self.fail_on_not_implemented,
            "require_operations": list(self.require_operations),
            **({"require_all_checks": True} if self.require_all_checks else {}),
        }


@dataclass(frozen=True)
class Verdict:
    """The run's verdict, said the same way in every report (terminal, JSON, Markdown, JUnit, step summary).

    ``failures`` holds every reason the run's exit status is not 0 that the report knows of; the gate
    passed exactly when it is empty. ``run_failures`` are those the checks, the gate options and the
    other tests do not explain (a report that could not be written, pytest's own exit status): a merge
    of shards cannot recompute them and keeps them. ``checked`` says what a passing gate checked."""

    failures: tuple[str, ...]
    checked: tuple[str, ...]
    options: GateOptions
    run_failures: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        return not self.failures

    def to_json(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "failures": list(self.failures),
            "checked": list(self.checked),
            "options": self.options.to_json(),
            "run_failures": list(self.run_failures),
        }


RUN = pytest.StashKey[Run]()


# -- baseline --------------------------------------------------------------------------------------


def _read_baseline(path: Path) -> dict[str, Any]:
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
    if not isinstance(data, dict) or not (isinstance(data.get("checks"), dict) or "divergences" in data):
        raise pytest.UsageError(
            f'--connect-baseline {path}: expected an object {{"checks": {{"ID": {{"reason": ...}}}}}} and/or '
            '{"divergences": [{"operation": ..., "field": ..., "reason": ...}]}'
        )
    return data


def _entry(path: Path, name: str, entry: Any) -> dict[str, str]:
    if not isinstance(entry, dict) or not isinstance(entry.get("reason"), str) or not entry["reason"].strip():
        raise pytest.UsageError(f"--connect-baseline {path}: entry {name} needs a non-empty 'reason'")
    expires = entry.get("expires")
    if expires is not None:
        try:
            dt.date.fromisoformat(str(expires))
        except ValueError:
            raise pytest.UsageError(
                f"--connect-baseline {path}: entry {name} has expires={expires!r}; use a date like 2027-01-31"
            ) from None
    return {"reason": entry["reason"], **({"expires": str(expires)} if expires else {})}


def load_baseline(path: Path) -> dict[str, dict[str, str]]:
    """Read a baseline file (JSON, or YAML by extension): ``{"checks": {id: {reason, expires?}}}``."""
    checks = _read_baseline(path).get("checks") or {}
    return {str(check_id): _entry(path, repr(check_id), entry) for check_id, entry in checks.items()}


def load_divergences(path: Path) -> dict[tuple[str, str], dict[str, str]]:
    """The divergence kinds a baseline file excuses for the stateful check: ``{"divergences": [{"operation",
    "field", "reason", "expires"?}]}``; ``field`` is a kind as a divergence names it (``(outcome)``,
    ``Pages[].EmailAddresses``, ``*`` for any)."""
    from pytest_connect_email.contracts.spec import OPERATIONS

    entries = _read_baseline(path).get("divergences") or []
    if not isinstance(entries, list):
        raise pytest.UsageError(f"--connect-baseline {path}: 'divergences' must be a list of objects")
    out: dict[tuple[str, str], dict[str, str]] = {}
    for number, entry in enumerate(entries, start=1):
        name = f"divergences[{number - 1}]"
        operation = entry.get("operation") if isinstance(entry, dict) else None
        field_name = entry.get("field") if isinstance(entry, dict) else None
        if operation not in OPERATIONS:
            raise pytest.UsageError(
                f"--connect-baseline {path}: {name} needs 'operation', one of the covered operations "
                f"(got {operation!r}), e.g. SearchEmailAddresses"
            )
        if not isinstance(field_name, str) or not field_name.strip():
            raise pytest.UsageError(
                f"--connect-baseline {path}: {name} needs 'field', the kind the divergence names "
                "(e.g. (outcome), Pages[].EmailAddresses, or * for any)"
            )
        out[(str(operation), field_name.strip())] = _entry(path, name, entry)
    return out


def active(entry: dict[str, str] | None) -> bool:
    if entry is None:
        return False
    expires = entry.get("expires")
    return expires is None or dt.date.fromisoformat(expires) >= dt.date.today()


# -- reports ---------------------------------------------------------------------------------------


def failure_summary(report: pytest.TestReport, limit: int = 300) -> str:
    """One line saying why a test failed: the first line of its exception (``AssertionError: ...``,
    ``Failed: DID NOT RAISE ...``) as pytest's short summary shows it; never a file path or traceback line."""
    crash = getattr(report.longrepr, "reprcrash", None)
    text = str(getattr(crash, "message", "") or "") or report.longreprtext
    lines = [" ".join(line.split()) for line in text.splitlines() if line.strip()]
    return cut(lines[0] if lines else "failed", limit)


def cut(text: str, limit: int) -> str:
    """``text`` in at most ``limit`` characters, an ellipsis (``…``) where it was cut."""
    if len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)].rstrip() + "…"


def forget_errors() -> None:
    """Before every test's setup: forget the error answers noted before it (so that a conformance check's
    report carries only its own, and a long suite's log stays empty between tests)."""
    import sys

    client = sys.modules.get("pytest_connect_email.routing.client")  # not loaded yet: nothing noted, nothing to import
    if client is not None:
        client.ERRORS.clear()


def check_outcome(item: pytest.Item, call: pytest.CallInfo[None], report: pytest.TestReport) -> pytest.TestReport:
    """A conformance check's report: "not implemented" as a skip that says so (in any phase: a fixture's
    setup call may be the one the endpoint lacks), a baselined failure as xfail. The call phase's report
    of a passing check carries the error answers its calls received (setup included)."""
    marker = item.get_closest_marker("connect_check")
    if marker is None:
        return report
    from pytest_connect_email.routing.client import ERRORS, EndpointNotImplemented

    check_id, operation = str(marker.args[0]), str(marker.args[1])
    if (CHECK_PROPERTY, check_id) not in report.user_properties:
        report.user_properties += [(CHECK_PROPERTY, check_id), ("connect_operation", operation)]
    if call.when == "call":
        seen = ERRORS.take()
        if report.passed and seen:
            report.user_properties.append((ERRORS_PROPERTY, [list(pair) for pair in seen]))
    if call.excinfo is not None and call.excinfo.errisinstance(EndpointNotImplemented):
        error = call.excinfo.value
        missing = str(getattr(error, "operation", "") or operation)
        where = f"setup call {error}" if missing != operation else str(error)
        report.outcome = "skipped"
        report.longrepr = (str(item.path), item.location[1] or 0, f"not implemented: {where}")
        report.user_properties.append(("connect_not_implemented", str(error)))
        report.user_properties.append((MISSING_PROPERTY, missing))
        return report
    run = item.config.stash[RUN]
    entry = run.baseline.get(check_id)
    if report.failed and active(entry):
        assert entry is not None
        report.user_properties.append(("connect_baseline", entry["reason"]))
        report.user_properties.append(("connect_detail", report.longreprtext))
        report.user_properties.append(("connect_summary", failure_summary(report)))
        report.outcome = "skipped"
        report.wasxfail = f"baseline {check_id}: {entry['reason']}"
    return report


def not_implemented_report(item: pytest.Item, call: pytest.CallInfo[None]) -> pytest.TestReport | None:
    """The report of a conformance check the endpoint could not run (``EndpointNotImplemented`` in any
    phase), made without rendering the traceback, which :func:`check_outcome` replaces by one line anyway.

    pytest's own report renders every frame of a failure with its source (parsing each frame's file, botocore's
    included): some 0.3 s per check, so a target that implements nothing took 16 s to say so instead of 2.
    ``None`` for every other report (pytest makes it as usual).
    """
    if call.excinfo is None or item.get_closest_marker("connect_check") is None:
        return None
    from pytest_connect_email.routing.client import EndpointNotImplemented

    if not call.excinfo.errisinstance(EndpointNotImplemented):
        return None
    sections = [(f"Captured {key} {when}", content) for when, key, content in item._report_sections]
    return pytest.TestReport(
        item.nodeid,
        item.location,
        dict.fromkeys(item.keywords, 1),
        "skipped",
        (str(item.path), item.location[1] or 0, "not implemented"),
        call.when,  # type: ignore[arg-type]  # never "collect" for an item
        sections,
        duration=call.duration,
        start=call.start,
        stop=call.stop,
        user_properties=list(item.user_properties),
    )


def stateful_line(stats: dict[str, Any]) -> str:
    """One line on what the stateful check did."""
    line = f"stateful (STATEFUL-001): {stats.get('steps', 0)} steps in {stats.get('sequences', 0)} sequences"
    if stats.get("seconds_per_100_steps") is not None:
        line += f" ({stats['seconds_per_100_steps']:.2f} s per 100 steps"
        if stats.get("call_seconds_per_100_steps") is not None:
            line += f", {stats['call_seconds_per_100_steps']:.2f} s of it in calls"
        line += ")"
    line += f", seed {stats.get('seed')}" if stats.get("seed") is not None else ""
    if stats.get("replayed"):
        line += f", replayed {stats['replayed']}"
    if stats.get("excused"):
        line += "; excused by the baseline: " + ", ".join(f"{op} {kind} x{n}" for op, kind, n in stats["excused"])
    if stats.get("missing"):
        line += "; not implemented by the target (not compared): " + ", ".join(sorted(stats["missing"]))
    return line


def shipped_operations() -> dict[str, str]:
    """The suite's shipped checks (without STATEFUL-001, which runs only when asked for): id -> operation."""
    from pytest_connect_email.conformance import shipped_checks

    return {check_id: check.operation for check_id, check in shipped_checks().items()}


def _gate_options(
    options: GateOptions, results: list[Result], shipped: Mapping[str, str] | None = None
) -> tuple[list[str], list[str]]:
    """The gate options' failures, and what they checked that held."""
    problems, held = [], []
    results = sorted(results, key=lambda r: r.id)
    if options.fail_on_not_implemented:
        gaps = [r.id for r in results if r.outcome == "not implemented"]
        if gaps:
            problems.append(f"--connect-fail-on-not-implemented: {len(gaps)} check(s) not implemented: {_names(gaps)}")
        else:
            held.append("--connect-fail-on-not-implemented: no check not implemented")
    for operation in options.require_operations:
        mine = [r for r in results if r.operation == operation]
        # Its own checks, or checks of other operations whose setup calls it, found it missing.
        gaps = [r.id for r in results if r.outcome == "not implemented" and _missing(r) == operation]
        passing = [r.id for r in mine if r.outcome == "passed"]
        if gaps:
            problems.append(f"--connect-require-operations: {operation} is not implemented ({_names(gaps)})")
        elif not passing:
            ran = _names([f"{r.id} {_outcome_text(r)}" for r in mine]) or "no checks ran"
            problems.append(f"--connect-require-operations: {operation} has no passing check ({ran})")
        else:
            held.append(
                f"--connect-require-operations {operation}: passing check{'s' if len(passing) > 1 else ''} "
                + _names(passing)
            )
    if options.require_all_checks:
        shipped = shipped_operations() if shipped is None else shipped
        selected = {r.id for r in results}
        absent = sorted(set(shipped) - selected)
        if absent:
            problems.append(
                f"--require-all-checks: {len(absent)} of the suite's {len(shipped)} shipped checks ran in no shard: "
                + _names(absent)
            )
        else:
            held.append(f"--require-all-checks: all {len(shipped)} of the suite's shipped checks ran")
    return problems, held


#: How many failed checks the verdict names one per line; more are named together in one line.
CHECK_LINES = 5
#: How many names a gate line lists (failed checks, shards, tests) before "and N more": the line is the
#: same in the terminal, the JSON, the Markdown and the JUnit XML, and stays readable for 1,000 shards.
NAMES_IN_LINE = 10
#: How many run failures (a shard's report not written, its pytest exit status) the verdict lists.
RUN_FAILURE_LINES = 10


def _names(ids: list[str] | tuple[str, ...], most: int = NAMES_IN_LINE) -> str:
    shown = ", ".join(ids[:most])
    return shown + (f" and {len(ids) - most} more" if len(ids) > most else "")


def exit_status_line(status: int) -> str:
    """A reason for a non-zero exit status that nothing else in the report explains."""
    try:
        name = pytest.ExitCode(status).name.lower().replace("_", " ")
    except ValueError:
        name = "unknown"
    return f"pytest's exit status is {status} ({name})"


def judge(
    results: Iterable[Result],
    options: GateOptions,
    other: OtherTests,
    run_failures: Iterable[str] = (),
    exit_status: int | None = None,
    shipped: Mapping[str, str] | None = None,
) -> Verdict:
    """The verdict on a run (or a merge of shards): its failed checks that the baseline does not excuse,
    the gate options, the other tests that failed and ``run_failures`` (reports not written, a shard's
    failure a merge cannot recompute); with ``exit_status``, pytest's, which the verdict then agrees
    with: a status other than 0 and 1, or 1 that nothing else explains, is a reason of its own. ``shipped``
    (id -> operation, by default the suite's) says which of the shipped checks ran (informational, unless
    the options require them all)."""
    ordered = sorted(results, key=lambda r: r.id)
    shipped = shipped_operations() if shipped is None else shipped
    failures: list[str] = []
    broken = [r for r in ordered if r.outcome == "failed" and not r.baseline]
    if len(broken) <= CHECK_LINES:
        failures += [f"{r.id} ({r.operation}) failed: {cut(_one_line(r.summary), 300) or 'failed'}" for r in broken]
    else:
        failures.append(f"{len(broken)} checks failed: {_names([r.id for r in broken])}")
    problems, held = _gate_options(options, ordered, shipped)
    failures += problems
    if other.failed:
        nodeids = [cut(_one_line(n), 200) for n in other.failed_nodeids]
        named = f": {_names(nodeids, 5)}" if nodeids else ""
        shard_names = [cut(_one_line(n), 200) for n in other.failed_in]
        where = f" (in shard {_names(shard_names, 5)})" if other.failed_in else ""
        failures.append(f"{other.failed} other test(s) failed{where}{named}")
    kept = [cut(_one_line(line), 500) for line in run_failures]
    if len(kept) > RUN_FAILURE_LINES:  # e.g. every one of 1,000 shards' pytest exit status
        kept = [*kept[:RUN_FAILURE_LINES], f"and {len(kept) - RUN_FAILURE_LINES} more run failure(s)"]
    if exit_status not in (None, 0) and (exit_status != 1 or not (failures or kept)):
        kept.append(exit_status_line(int(exit_status)))
    checked: list[str] = []
    if ordered and not broken:
        counts = _counts(ordered)
        excused = [r.id for r in ordered if r.outcome == "failed"]
        if excused:  # every failure is one the baseline excuses
            words = {"failed": "failed and excused by the baseline"}
            summary = ", ".join(f"{n} {words.get(k, k)}" for k, n in sorted(counts.items()))
            checked.append(f"{len(ordered)} check(s) ran, none failed outside the baseline ({summary})")
            checked.append(f"{len(excused)} failure(s) excused by the baseline: {_names(excused)}")
        else:
            summary = ", ".join(f"{n} {k}" for k, n in sorted(counts.items()))
            checked.append(f"{len(ordered)} check(s) ran, none failed ({summary})")
    elif not ordered:
        checked.append("no conformance check ran")
    if ordered and shipped:
        checked.append(shipped_line(ordered, shipped))
    checked += held
    if other.ran and not other.failed:
        checked.append(f"{other.ran} other test(s) ran, none failed")
    return Verdict(tuple(failures + kept), tuple(checked), options, tuple(kept))


def shipped_line(results: Iterable[Result], shipped: Mapping[str, str]) -> str:
    """How many of the suite's shipped checks ran, naming (some of) those that did not: a ``-k`` run is
    legitimate, so this is information, not a failure."""
    ran = {r.id for r in results} & set(shipped)
    absent = sorted(set(shipped) - ran)
    if not absent:
        return f"all {len(shipped)} of the suite's shipped checks ran"
    head = f"{len(ran)} of the suite's {len(shipped)} shipped checks ran"
    return f"{head}; {len(absent)} were not selected: {_names(absent)}"


def _counts(results: Iterable[Result]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for result in results:
        counts[result.outcome] = counts.get(result.outcome, 0) + 1
    return counts


TARGET_FIELDS = ("mode", "endpoint_url", "region", "botocore")


def _missing(result: Result) -> str:
    return result.missing or result.operation


def _outcome_text(result: Result) -> str:
    if result.outcome == "not implemented" and _missing(result) != result.operation:
        return f"not implemented: {_missing(result)} is missing"
    return result.outcome


_OUTCOMES = ("passed", "failed", "not implemented", "skipped")


def modelled_errors(operation: str) -> list[str]:
    """The error codes the model lists for ``operation`` (none for an operation the model lacks)."""
    from pytest_connect_email.contracts import validator

    try:
        return sorted(validator.error_codes(operation))
    except Exception:  # an operation of a user's check that the model in use does not have
        return []


def operation_rows(
    results: list[Result],
    modelled_of: Callable[[str], list[str]] = modelled_errors,
    shipped: Mapping[str, str] | None = None,
) -> list[dict[str, Any]]:
    """One row per covered operation (all of ``spec.OPERATIONS``, checked or not), then any other operation
    a check names or found missing. An operation is covered when at least one of its behavioural checks
    passed; ``missing_for`` lists the checks (of any operation) that were not implemented because the
    endpoint lacks this one; ``errors_exercised`` are the modelled error codes of this operation that the
    target answered during passing checks (``modelled_of`` gives an operation's modelled error codes: the
    installed model's, or for a merge those the shards' reports list); ``not_selected`` counts the operation's
    shipped checks (``shipped``, id -> operation, by default the suite's) that did not run."""
    from pytest_connect_email.contracts.spec import OPERATIONS

    shipped = shipped_operations() if shipped is None else shipped
    ran = {r.id for r in results}

    named = {r.operation for r in results} | {_missing(r) for r in results if r.outcome == "not implemented"}
    extra = sorted(named - set(OPERATIONS))
    # Grouped by operation once, not scanned once per row: a report of thousands of operations stays linear.
    of_operation: dict[str, list[Result]] = {}
    answered_by: dict[str, set[str]] = {}
    missing_for: dict[str, list[str]] = {}
    for r in sorted(results, key=lambda r: r.id):
        of_operation.setdefault(r.operation, []).append(r)
        if r.outcome == "passed":
            for op, code in r.errors:
                answered_by.setdefault(op, set()).add(code)
        elif r.outcome == "not implemented":
            missing_for.setdefault(_missing(r), []).append(r.id)
    not_selected: dict[str, int] = {}
    for i, op in shipped.items():
        if i not in ran:
            not_selected[op] = not_selected.get(op, 0) + 1
    rows = []
    for operation in (*OPERATIONS, *extra):
        mine = of_operation.get(operation, [])
        counts = {o: sum(r.outcome == o for r in mine) for o in _OUTCOMES}
        modelled = modelled_of(operation)
        answered = answered_by.get(operation, set())
        rows.append(
            {
                "operation": operation,
                "checks": len(mine),
                **counts,
                "covered": counts["passed"] > 0,
                "listed": operation in OPERATIONS,
                "results": [(r.id, r.outcome) for r in mine],
                "missing_for": missing_for.get(operation, []),
                "errors_exercised": [code for code in modelled if code in answered],
                "errors_modelled": modelled,
                "not_selected": not_selected.get(operation, 0),
            }
        )
    return rows


def coverage_of(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The report's ``coverage``: operations with a passing check of their own, and modelled errors exercised.
    ``protocol_only`` is true when no operation has a passing check of its own but checks of the
    pseudo-operation ``(protocol)`` (or another unlisted one) passed: their calls may still answer modelled
    errors."""
    listed = [row for row in rows if row["listed"]]
    covered = sum(row["covered"] for row in listed)
    coverage: dict[str, Any] = {
        "covered": covered,
        "operations": len(listed),
        "uncovered": [row["operation"] for row in listed if not row["covered"]],
        "errors": {
            "exercised": sum(len(row["errors_exercised"]) for row in listed),
            "modelled": sum(len(row["errors_modelled"]) for row in listed),
        },
    }
    if not covered and any(row["passed"] for row in rows if not row["listed"]):
        coverage["protocol_only"] = True
    return coverage


def coverage_line(coverage: dict[str, Any]) -> str:
    """The coverage in one line (the terminal, ``report merge``); the Markdown says the same."""
    errors = coverage["errors"]
    if coverage.get("protocol_only"):
        return (
            f"{coverage['covered']} of {coverage['operations']} operations have a passing check of their own "
            f"(protocol checks only); {errors['exercised']} of {errors['modelled']} modelled errors exercised by a "
            "passing protocol check"
        )
    return (
        f"{coverage['covered']} of {coverage['operations']} operations have at least one passing check; "
        f"{errors['exercised']} of {errors['modelled']} modelled errors exercised by a passing check"
    )


def build_document(
    results: Iterable[Result],
    *,
    verdict: Verdict,
    other: OtherTests,
    target: dict[str, Any],
    settings: list[dict[str, str]],
    texts: Mapping[str, tuple[str, str]],
    modelled_of: Callable[[str], list[str]] = modelled_errors,
    baseline_now_passing: Iterable[str] = (),
    baseline_expired: Iterable[str] = (),
    shards: list[dict[str, Any]] | None = None,
    shipped: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The report (JSON) of a run or of a merge of shards: one function, so both say the same things the
    same way. ``texts`` gives a check's source and title by id."""
    ordered = sorted(results, key=lambda r: r.id)
    rows = operation_rows(ordered, modelled_of, shipped)
    document: dict[str, Any] = {
        "tool": f"pytest-connect-email {__version__}",
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "target": target,
        "settings": settings,
        "gate": verdict.to_json(),
        "summary": _counts(ordered),
        "other_tests": other.to_json(),
        "coverage": coverage_of(rows),
        "operations": [
            {
                "operation": row["operation"],
                "checks": row["checks"],
                **{o: row[o] for o in _OUTCOMES},
                "covered": row["covered"],
                "status": _status(row),
                "not_selected": row["not_selected"],
                "missing_for": row["missing_for"],
                "errors_exercised": row["errors_exercised"],
                "errors_modelled": row["errors_modelled"],
            }
            for row in rows
        ],
        "baseline": {"now_passing": sorted(set(baseline_now_passing)), "expired": sorted(set(baseline_expired))},
        "checks": [
            {
                "id": r.id,
                "operation": r.operation,
                "outcome": r.outcome,
                "duration": round(r.duration, 4),
                "source": texts.get(r.id, ("", ""))[0],
                "title": texts.get(r.id, ("", ""))[1],
                "detail": r.detail,
                **({"missing_operation": _missing(r)} if r.outcome == "not implemented" else {}),
                **({"summary": r.summary} if r.summary else {}),
                **({"baseline": r.baseline} if r.baseline else {}),
                "errors": [list(pair) for pair in sorted(set(r.errors))],
                **({"stateful": r.stateful} if r.stateful else {}),
                "nodeid": r.nodeid,
            }
            for r in ordered
        ],
    }
    if shards is not None:
        document["shards"] = shards
    return document


def write_report(path: Path, document: dict[str, Any]) -> None:
    """The JSON at ``path`` and its Markdown beside it, both or neither (see :func:`write_files`)."""
    write_files(
        {path: json.dumps(document, indent=2, ensure_ascii=False) + "\n", path.with_suffix(".md"): markdown(document)}
    )


def append_step_summary(text: str) -> str:
    """Append ``text`` to GitHub Actions' step summary when ``GITHUB_STEP_SUMMARY`` names it (other steps'
    content stays); what went wrong ("" when it was appended or there is none)."""
    step_summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if not step_summary:
        return ""
    # Non-blocking: a FIFO (or another special file) must not hang the run; only a regular file is appended to.
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        handle = os.open(step_summary, flags, 0o644)
    except OSError as exc:
        return f"GITHUB_STEP_SUMMARY {step_summary}: not appended to ({exc.strerror or exc})"
    try:
        if not stat.S_ISREG(os.fstat(handle).st_mode):
            return (
                f"GITHUB_STEP_SUMMARY {step_summary}: not appended to (not a regular file); point it at a file, "
                "as GitHub Actions does"
            )
        if hasattr(os, "set_blocking"):
            os.set_blocking(handle, True)  # a regular file: writes complete whole
        data = (text + "\n").encode("utf-8", "backslashreplace")
        while data:
            written = os.write(handle, data)
            data = data[written:]
    except OSError as exc:
        return f"GITHUB_STEP_SUMMARY {step_summary}: not appended to ({exc.strerror or exc})"
    finally:
        os.close(handle)
    return ""


#: The JUnit XML test case that carries the verdict (classname ``connect-email``, name ``gate``).
GATE_NODEID = "connect-email::gate"


class _GateFailure:
    """What LogXML reads of a failure: a one-line message (the ``failure`` element's attribute) and the text."""

    def __init__(self, message: str, text: str) -> None:
        self.reprcrash = types.SimpleNamespace(message=message)
        self.text = text

    def __str__(self) -> str:
        return self.text


def junit_case(config: pytest.Config, verdict: Verdict) -> None:
    """Add the verdict to the ``--junitxml`` file as one test case, failing when the gate failed, so a CI's
    test view shows what the exit status says. Called before pytest's LogXML writes the file (in its own
    ``pytest_sessionfinish``); fed to it as a test's reports would be."""
    try:
        from _pytest.junitxml import xml_key
        from _pytest.reports import TestReport
    except ImportError:  # pragma: no cover - pytest moved them: the other reports still say it
        return
    xml = config.stash.get(xml_key, None)
    if xml is None:
        return
    location = ("connect-email", None, "gate")
    lines = verdict.failures if not verdict.passed else verdict.checked
    properties = [("failure" if not verdict.passed else "checked", line) for line in lines]
    longrepr: Any = None
    if not verdict.passed:
        more = f" (and {len(lines) - 1} more)" if len(lines) > 1 else ""
        longrepr = _GateFailure(
            f"connect-email gate failed: {lines[0]}{more}",
            "connect-email gate failed:\n" + "\n".join(f"- {line}" for line in lines),
        )
    call = TestReport(GATE_NODEID, location, {}, "passed" if verdict.passed else "failed", longrepr, "call")
    xml.pytest_runtest_logreport(call)
    # LogXML takes the test case's properties from its last report.
    teardown = TestReport(GATE_NODEID, location, {}, "passed", None, "teardown", user_properties=properties)
    xml.pytest_runtest_logreport(teardown)


def writable_problem(path: Path) -> str:
    """Why ``path`` cannot be written as a new or replaced regular file ("" when it can).

    Every filesystem question is asked safely: a name too long for the system, a symlink loop or a folder
    that cannot be searched is the problem text (``"<path>: <reason>"``), never an exception.
    """
    import errno
    import os
    import stat

    def mode(candidate: Path) -> int | None:
        """The file type bits of ``candidate``, ``None`` when it does not exist (a loop or overlong name raises)."""
        try:
            return os.stat(candidate).st_mode
        except OSError as exc:
            if exc.errno in (errno.ENOENT, errno.ENOTDIR):
                return None
            raise

    try:
        found = mode(path)
        if found is not None and not stat.S_ISREG(found):
            kind = "a folder" if stat.S_ISDIR(found) else "not a regular file"
            return f"{path} is {kind}"
        folder = path.parent
        while (folder_mode := mode(folder)) is None and folder != folder.parent:
            folder = folder.parent
        if folder_mode is None or not stat.S_ISDIR(folder_mode):
            return f"{folder} is a file, so {path} cannot be made under it"
        if not os.access(folder, os.W_OK | os.X_OK):
            return f"the folder {folder} is not writable"
    except OSError as exc:
        return f"{path}: {exc.strerror or exc}"
    except (RuntimeError, ValueError) as exc:  # a symlink loop on older Pythons; a NUL in the name
        return f"{path}: {exc}"
    return ""


def write_files(texts: Mapping[Path, str]) -> None:
    """Write every file whole, or none of them when one cannot be written: each goes to a temporary file
    beside it first, and only when all are written are they renamed over their paths."""
    import tempfile

    staged: list[tuple[str, Path]] = []
    try:
        for path, text in texts.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
            staged.append((temporary, path))
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(text)
        while staged:
            temporary, path = staged[0]
            os.replace(temporary, path)
            staged.pop(0)
    except BaseException:
        for temporary, _ in staged:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
        raise


def write_file(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` whole or not at all: a temporary file beside it, then renamed over it."""
    write_files({path: text})


def _status(row: dict[str, Any]) -> str:
    if row["covered"]:
        return "covered"
    if row["missing_for"]:  # the endpoint said so, in one of its own checks or in another's setup call
        return "not implemented"
    if not row["checks"]:  # none of its checks ran: because none were selected, or because it has none
        return "not run" if row["not_selected"] else "no checks"
    return "not covered"


_MARK = {"passed": "pass", "failed": "FAIL", "not implemented": "n/i", "skipped": "skip"}


def markdown(document: dict[str, Any]) -> str:
    checks = document["checks"]
    coverage = document["coverage"]
    lines = [*verdict_lines(document["gate"]), ""]
    target = document["target"]
    lines.append(
        f"Target: mode {_code(str(target['mode']))}"
        + (f", endpoint {_code(str(target['endpoint_url']))}" if target.get("endpoint_url") else "")
        + f", region {_code(str(target['region']))}"
        + (f", botocore {cell(str(target['botocore']))}" if target.get("botocore") else "")
        + (f", baseline {_code(str(target['baseline']))}" if target.get("baseline") else "")
        + f". {cell(document['tool'])}, {cell(document['created'])}."
    )
    if document.get("settings"):
        lines += ["", "Settings:", ""]
        lines += [f"- {cell(s['name'])} = {_code(s['value'])} ({cell(s['source'])})" for s in document["settings"]]
    if document.get("shards"):
        lines += ["", f"Merged from {len(document['shards'])} shard report(s):", ""]
        for shard in document["shards"]:
            counts = ", ".join(f"{n} {cell(k)}" for k, n in sorted(shard["summary"].items())) or "no checks"
            gate = "gate passed" if shard["gate"]["passed"] else "gate failed on its own"
            baseline = shard.get("target", {}).get("baseline")
            used = f"; baseline {_code(str(baseline))}" if baseline else ""
            lines.append(f"- {_code(shard['file'])}: {counts}; {gate}{used}")
    lines += [
        "",
        "Summary: " + (", ".join(f"{n} {k}" for k, n in sorted(document["summary"].items())) or "no checks ran"),
        "",
        f"Coverage: **{coverage['covered']} of {coverage['operations']}** operations "
        + (
            "have a passing check of their own (protocol checks only)."
            if coverage.get("protocol_only")
            else "have at least one passing check."
        ),
        "",
        f"Modelled errors exercised: {coverage['errors']['exercised']} of {coverage['errors']['modelled']}"
        " (error codes the model lists for the operations, answered by the target during a passing "
        + ("protocol check)." if coverage.get("protocol_only") else "check)."),
        "",
        "| operation | status | passed | failed | not implemented | skipped | errors exercised | checks |",
        "|---|---|---|---|---|---|---|---|",
    ]
    by_operation: dict[str, list[dict[str, Any]]] = {}
    for c in checks:  # once, not once per row: a report of thousands of operations stays linear
        by_operation.setdefault(c["operation"], []).append(c)
    for row in document["operations"]:
        mine = by_operation.get(row["operation"], [])
        status = f"not run ({row['not_selected']} not selected)" if row["status"] == "not run" else row["status"]
        cells = [str(row[o]) for o in _OUTCOMES]
        errors = f"{len(row['errors_exercised'])}/{len(row['errors_modelled'])}"
        listed = " ".join(f"{c['id']}:{_MARK.get(c['outcome'], c['outcome'])}" for c in mine) or "0 checks"
        own = {c["id"] for c in mine}
        others = [i for i in row["missing_for"] if i not in own]
        if others:
            listed += "; missing for " + " ".join(others)
        lines.append(f"| {cell(row['operation'])} | {cell(status)} | {' | '.join(cells)} | {errors} | {cell(listed)} |")
    problems = [c for c in checks if c["outcome"] in ("failed", "not implemented")]
    if problems:
        lines += ["", "## Failures and gaps", ""]
        for c in problems:
            first = c.get("summary") or cut(" ".join(c["detail"].split()), 300)
            if c.get("missing_operation", c["operation"]) != c["operation"]:
                first = f"setup call {first}"
            note = f" (baseline: {cell(c['baseline'])})" if c.get("baseline") else ""
            lines.append(f"- **{cell(c['id'])}** {cell(c['operation'])}: {c['outcome']}{note} — {cell(first)}")
    if document["baseline"]["now_passing"]:
        passing = ", ".join(cell(i) for i in document["baseline"]["now_passing"])
        lines += ["", "Baseline entries that now pass: " + passing]
    return "\n".join(lines) + "\n"


def verdict_lines(gate: dict[str, Any]) -> list[str]:
    """The Markdown report's first lines: whether the gate passed, and why it failed or what it checked."""
    if gate["passed"]:
        head = "# Amazon Connect email conformance: gate passed"
        return [
            head,
            "",
            "The run passes (exit status 0). Checked:",
            "",
            *(f"- {cell(c)}" for c in gate["checked"]),
        ]
    head = "# Amazon Connect email conformance: gate FAILED"
    return [
        head,
        "",
        "The run fails (exit status not 0) because:",
        "",
        *(f"- {cell(f)}" for f in gate["failures"]),
    ]


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


#: What :func:`cell` writes for the characters that would end a table cell, open HTML or code, or escape.
_CELL_ESCAPES = str.maketrans(
    {"&": "&amp;", "<": "&lt;", ">": "&gt;", "|": "\\|", "`": "&#96;", "\\": "&#92;", "[": "&#91;", "]": "&#93;"}
)


_UNSAFE = re.compile(r"[`|<>&\\\[\]]")


def cell(text: object) -> str:
    """Any text from input (a check's id, operation or summary, a setting, a shard's file) as one line of
    Markdown that renders as that text: whitespace (newlines included) collapsed to single spaces, ``|``
    escaped so it cannot end a table cell, and ``&``, ``<``, ``>``, backticks, backslashes and brackets
    written as HTML entities so it cannot open a tag, a code span or a link. Safe in a table cell, a list
    item and a heading."""
    return _one_line(str(text)).translate(_CELL_ESCAPES)


def _code(text: str) -> str:
    """``text`` as inline Markdown code; text from input that holds what could end or open anything (a
    backtick, ``|``, ``<``, ``>``, ``&``, a backslash or a bracket) is written as :func:`cell` instead, plain."""
    text = _one_line(text)
    if _UNSAFE.search(text):
        return cell(text)
    fence = "`" * (max((len(run) for run in re.findall("`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"
