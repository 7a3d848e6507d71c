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
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from pytest_connect_email import __version__
from pytest_connect_email.settings import SETTINGS, Settings

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
    from pytest_connect_email.spec import OPERATIONS

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
    return (lines[0] if lines else "failed")[:limit]


def forget_errors() -> None:
    """Before every test's setup: forget the error answers noted before it (so that a conformance check's
    report carries only its own, and a long suite's log stays empty between tests)."""
    import sys

    client = sys.modules.get("pytest_connect_email.client")  # not loaded yet: nothing noted, nothing to import
    if client is not None:
        client.ERRORS.clear()


def check_outcome(item: pytest.Item, call: pytest.CallInfo[None], report: pytest.TestReport) -> pytest.TestReport:
    """A conformance check's report: "not implemented" as a skip that says so (in any phase: a fixture's
    setup call may be the one the endpoint lacks), a baselined failure as xfail. The call phase's report
    of a passing check carries the error answers its calls received (setup included)."""
    marker = item.get_closest_marker("connect_check")
    if marker is None:
        return report
    from pytest_connect_email.client import ERRORS, EndpointNotImplemented

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


class Recorder:
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
        stateful: Any = props.get(STATEFUL_PROPERTY)
        if isinstance(stateful, dict):
            result.stateful = dict(stateful)
        seen: Any = props.get(ERRORS_PROPERTY, ())  # [[operation, code], ...] (lists: it crossed from a worker)
        result.errors.extend((str(op), str(code)) for op, code in seen)
        if "connect_not_implemented" in props:
            result.outcome, result.detail = "not implemented", str(props["connect_not_implemented"])
            result.missing = str(props.get(MISSING_PROPERTY) or result.operation)
        elif "connect_baseline" in props:
            result.outcome, result.baseline = "failed", str(props["connect_baseline"])
            result.detail = str(props.get("connect_detail", ""))
            result.summary = str(props.get("connect_summary", ""))
        elif report.failed:
            result.outcome, result.detail = "failed", report.longreprtext
            result.summary = failure_summary(report)
        elif report.skipped and result.outcome == "passed":
            result.outcome = "skipped"
            result.detail = str(report.longrepr[-1]) if isinstance(report.longrepr, tuple) else report.longreprtext

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if hasattr(self.config, "workerinput"):  # an xdist worker: the controller writes the report
            return
        settings, run = self.config.stash[SETTINGS], self.config.stash[RUN]
        if session.exitstatus == pytest.ExitCode.USAGE_ERROR:  # the run never started (e.g. no credentials)
            return
        run.gate_failures = gate_failures(settings, run)
        if run.gate_failures and session.exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED):
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
        if not run.results:
            return
        for check_id, entry in run.baseline.items():
            result = run.results.get(check_id)
            if not active(entry):
                run.baseline_expired.append(check_id)
            elif result is not None and result.outcome == "passed":
                run.baseline_now_passing.append(check_id)
        if settings.report is not None:
            try:
                write_report(settings.report, settings, run)
            except OSError as exc:
                run.write_errors.append(f"--connect-report {settings.report}: not written ({exc})")
        if settings.write_baseline is not None:
            failed = [r for r in run.results.values() if r.outcome == "failed"]
            # A stateful divergence is excused by its kind (operation and field), not by failing the whole check.
            kinds = [kind for r in failed for kind in r.stateful.get("kinds", [])]
            failing = {r.id: {"reason": r.summary or "failed"} for r in failed if not r.stateful.get("kinds")}
            document: dict[str, Any] = {"checks": failing}
            if kinds:
                document["divergences"] = [
                    {"operation": op, "field": kind, "reason": "known divergence (written by --connect-write-baseline)"}
                    for op, kind in kinds
                ]
            text = json.dumps(document, indent=2, sort_keys=True) + "\n"
            try:
                write_file(settings.write_baseline, text)
            except OSError as exc:
                run.write_errors.append(f"--connect-write-baseline {settings.write_baseline}: not written ({exc})")
        if run.write_errors and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
        settings, run = config.stash[SETTINGS], config.stash[RUN]
        if hasattr(config, "workerinput") or not (run.results or run.gate_failures or run.write_errors):
            return
        counts: dict[str, int] = {}
        for result in run.results.values():
            counts[result.outcome] = counts.get(result.outcome, 0) + 1
        terminalreporter.section("connect-email conformance")
        summary = ", ".join(f"{n} {k}" for k, n in sorted(counts.items()))
        terminalreporter.write_line(f"{summary} (mode {settings.mode})")
        for result in sorted(run.results.values(), key=lambda r: r.id):
            if result.outcome == "not implemented":
                terminalreporter.write_line(f"{result.id} not implemented: {result.not_implemented_line()[:200]}")
        if run.baseline_now_passing:
            terminalreporter.write_line(
                "baseline entries that now pass: " + ", ".join(sorted(run.baseline_now_passing))
            )
        if run.baseline_expired:
            expired = ", ".join(sorted(run.baseline_expired))
            terminalreporter.write_line(f"expired baseline entries (they no longer excuse failures): {expired}")
        for result in run.results.values():
            if result.stateful:
                terminalreporter.write_line(stateful_line(result.stateful))
        if run.results:
            terminalreporter.write_line(f"coverage: {coverage_line(operation_rows(list(run.results.values())))}")
        if settings.report is not None and run.results:
            terminalreporter.write_line(f"report: {settings.report} and {settings.report.with_suffix('.md')}")
        for problem in run.gate_failures:
            terminalreporter.write_line(f"gate failed: {problem}", red=True)
        for problem in run.write_errors:
            terminalreporter.write_line(problem, red=True)


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


def gate_failures(settings: Settings, run: Run) -> list[str]:
    """Why ``--connect-fail-on-not-implemented`` and ``--connect-require-operations`` fail the run (empty: pass)."""
    problems = []
    results = sorted(run.results.values(), key=lambda r: r.id)
    if settings.fail_on_not_implemented:
        gaps = [r.id for r in results if r.outcome == "not implemented"]
        if gaps:
            problems.append(
                f"--connect-fail-on-not-implemented: {len(gaps)} check(s) not implemented: {', '.join(gaps)}"
            )
    for operation in settings.require_operations:
        mine = [r for r in results if r.operation == operation]
        # Its own checks, or checks of other operations whose setup calls it, found it missing.
        gaps = [r.id for r in results if r.outcome == "not implemented" and _missing(r) == operation]
        if gaps:
            problems.append(f"--connect-require-operations: {operation} is not implemented ({', '.join(gaps)})")
        elif not any(r.outcome == "passed" for r in mine):
            ran = ", ".join(f"{r.id} {_outcome_text(r)}" for r in mine) or "no checks ran"
            problems.append(f"--connect-require-operations: {operation} has no passing check ({ran})")
    return problems


def _missing(result: Result) -> str:
    return result.missing or result.operation


def _outcome_text(result: Result) -> str:
    if result.outcome == "not implemented" and _missing(result) != result.operation:
        return f"not implemented: {_missing(result)} is missing"
    return result.outcome


_OUTCOMES = ("passed", "failed", "not implemented", "skipped")


def modelled_errors(operation: str) -> list[str]:
    """The error codes the model lists for ``operation`` (none for an operation the model lacks)."""
    from pytest_connect_email import contracts

    try:
        return sorted(contracts.error_codes(operation))
    except Exception:  # an operation of a user's check that the model in use does not have
        return []


def operation_rows(results: list[Result]) -> list[dict[str, Any]]:
    """One row per covered operation (all of ``spec.OPERATIONS``, checked or not), then any other operation
    a check names or found missing. An operation is covered when at least one of its behavioural checks
    passed; ``missing_for`` lists the checks (of any operation) that were not implemented because the
    endpoint lacks this one; ``errors_exercised`` are the modelled error codes of this operation that the
    target answered during passing checks."""
    from pytest_connect_email.spec import OPERATIONS

    named = {r.operation for r in results} | {_missing(r) for r in results if r.outcome == "not implemented"}
    extra = sorted(named - set(OPERATIONS))
    rows = []
    for operation in (*OPERATIONS, *extra):
        mine = sorted((r for r in results if r.operation == operation), key=lambda r: r.id)
        counts = {o: sum(r.outcome == o for r in mine) for o in _OUTCOMES}
        modelled = modelled_errors(operation)
        answered = {code for r in results if r.outcome == "passed" for op, code in r.errors if op == operation}
        rows.append(
            {
                "operation": operation,
                "checks": len(mine),
                **counts,
                "covered": counts["passed"] > 0,
                "listed": operation in OPERATIONS,
                "results": [(r.id, r.outcome) for r in mine],
                "missing_for": sorted(
                    r.id for r in results if r.outcome == "not implemented" and _missing(r) == operation
                ),
                "errors_exercised": [code for code in modelled if code in answered],
                "errors_modelled": modelled,
            }
        )
    return rows


def coverage_line(rows: list[dict[str, Any]]) -> str:
    listed = [row for row in rows if row["listed"]]
    covered = sum(row["covered"] for row in listed)
    exercised = sum(len(row["errors_exercised"]) for row in listed)
    modelled = sum(len(row["errors_modelled"]) for row in listed)
    return (
        f"{covered} of {len(listed)} operations have at least one passing check; "
        f"{exercised} of {modelled} modelled errors exercised by a passing check"
    )


def write_report(path: Path, settings: Settings, run: Run) -> None:
    from pytest_connect_email.conformance import all_checks

    known = all_checks(stateful=True)
    results = sorted(run.results.values(), key=lambda r: r.id)
    counts: dict[str, int] = {}
    for result in results:
        counts[result.outcome] = counts.get(result.outcome, 0) + 1
    rows = operation_rows(results)
    listed = [row for row in rows if row["listed"]]
    document = {
        "tool": f"pytest-connect-email {__version__}",
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "target": {"mode": settings.mode, "endpoint_url": settings.endpoint_url, "region": settings.region},
        "summary": counts,
        "coverage": {
            "covered": sum(row["covered"] for row in listed),
            "operations": len(listed),
            "uncovered": [row["operation"] for row in listed if not row["covered"]],
            "errors": {
                "exercised": sum(len(row["errors_exercised"]) for row in listed),
                "modelled": sum(len(row["errors_modelled"]) for row in listed),
            },
        },
        "operations": [
            {
                "operation": row["operation"],
                "checks": row["checks"],
                **{o: row[o] for o in _OUTCOMES},
                "covered": row["covered"],
                "status": _status(row),
                "missing_for": row["missing_for"],
                "errors_exercised": row["errors_exercised"],
                "errors_modelled": row["errors_modelled"],
            }
            for row in rows
        ],
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
                **({"missing_operation": _missing(r)} if r.outcome == "not implemented" else {}),
                **({"summary": r.summary} if r.summary else {}),
                **({"baseline": r.baseline} if r.baseline else {}),
                "nodeid": r.nodeid,
            }
            for r in results
        ],
    }
    text = markdown(document)
    write_file(path, json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    write_file(path.with_suffix(".md"), text)
    step_summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if step_summary:  # GitHub Actions shows this file on the run's page
        with open(step_summary, "a", encoding="utf-8") as out:
            out.write(text + "\n")


def write_file(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` whole or not at all: a temporary file beside it, then renamed over it."""
    import tempfile

    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _status(row: dict[str, Any]) -> str:
    if row["covered"]:
        return "covered"
    if row["missing_for"]:  # the endpoint said so, in one of its own checks or in another's setup call
        return "not implemented"
    if not row["checks"]:
        return "no checks"
    return "not covered"


_MARK = {"passed": "pass", "failed": "FAIL", "not implemented": "n/i", "skipped": "skip"}


def markdown(document: dict[str, Any]) -> str:
    checks = document["checks"]
    coverage = document["coverage"]
    lines = [
        "# Amazon Connect email conformance report",
        "",
        f"Target: mode `{document['target']['mode']}`"
        + (f", endpoint `{document['target']['endpoint_url']}`" if document["target"]["endpoint_url"] else "")
        + f", region `{document['target']['region']}`. {document['tool']}, {document['created']}.",
        "",
        "Summary: " + ", ".join(f"{n} {k}" for k, n in sorted(document["summary"].items())),
        "",
        f"Coverage: **{coverage['covered']} of {coverage['operations']}** operations have at least one passing check.",
        "",
        f"Modelled errors exercised: {coverage['errors']['exercised']} of {coverage['errors']['modelled']}"
        " (error codes the model lists for the operations, answered by the target during a passing check).",
        "",
        "| operation | status | passed | failed | not implemented | skipped | errors exercised | checks |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in document["operations"]:
        mine = [c for c in checks if c["operation"] == row["operation"]]
        cells = [str(row[o]) for o in _OUTCOMES]
        errors = f"{len(row['errors_exercised'])}/{len(row['errors_modelled'])}"
        listed = " ".join(f"{c['id']}:{_MARK[c['outcome']]}" for c in mine) or "0 checks"
        others = [i for i in row["missing_for"] if i not in {c["id"] for c in mine}]
        if others:
            listed += "; missing for " + " ".join(others)
        lines.append(f"| {row['operation']} | {row['status']} | {' | '.join(cells)} | {errors} | {listed} |")
    problems = [c for c in checks if c["outcome"] in ("failed", "not implemented")]
    if problems:
        lines += ["", "## Failures and gaps", ""]
        for c in problems:
            first = c.get("summary") or " ".join(c["detail"].split())[:300]
            if c.get("missing_operation", c["operation"]) != c["operation"]:
                first = f"setup call {first}"
            note = f" (baseline: {c['baseline']})" if c.get("baseline") else ""
            lines.append(f"- **{c['id']}** {c['operation']}: {c['outcome']}{note} — {first}")
    if document["baseline"]["now_passing"]:
        lines += ["", "Baseline entries that now pass: " + ", ".join(document["baseline"]["now_passing"])]
    return "\n".join(lines) + "\n"
