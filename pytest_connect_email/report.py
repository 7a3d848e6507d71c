"""Conformance results, the baseline gate, the run's gates and the report (JSON and Markdown), for the plugin.

Results are gathered from test reports' ``user_properties``, so they survive pytest-xdist: the
controller sees every worker's reports and alone writes the files and decides the exit status.

The gates (``--connect-fail-on-not-implemented``, ``--connect-require-operations``) turn a run that
pytest would call green into a failed one: "not implemented" checks are reported as skips, so a
target that implements nothing would otherwise pass.
"""

from __future__ import annotations

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


@dataclass
class Run:
    results: dict[str, Result] = field(default_factory=dict)
    baseline: dict[str, dict[str, str]] = field(default_factory=dict)
    baseline_now_passing: list[str] = field(default_factory=list)
    baseline_expired: list[str] = field(default_factory=list)
    #: Why the run's gates fail it (empty: they pass).
    gate_failures: list[str] = field(default_factory=list)


RUN = pytest.StashKey[Run]()


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


def failure_summary(report: pytest.TestReport, limit: int = 300) -> str:
    """One line saying why a test failed: the first line of its exception (``AssertionError: ...``,
    ``Failed: DID NOT RAISE ...``) as pytest's short summary shows it; never a file path or traceback line."""
    crash = getattr(report.longrepr, "reprcrash", None)
    text = str(getattr(crash, "message", "") or "") or report.longreprtext
    lines = [" ".join(line.split()) for line in text.splitlines() if line.strip()]
    return (lines[0] if lines else "failed")[:limit]


def check_outcome(item: pytest.Item, call: pytest.CallInfo[None], report: pytest.TestReport) -> pytest.TestReport:
    """A conformance check's report: "not implemented" as a skip that says so, a baselined failure as xfail."""
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
        if "connect_not_implemented" in props:
            result.outcome, result.detail = "not implemented", str(props["connect_not_implemented"])
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
        run.gate_failures = gate_failures(settings, run)
        if run.gate_failures and session.exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED):
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
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
            failing = {r.id: {"reason": r.summary or "failed"} for r in run.results.values() if r.outcome == "failed"}
            settings.write_baseline.parent.mkdir(parents=True, exist_ok=True)
            text = json.dumps({"checks": failing}, indent=2, sort_keys=True) + "\n"
            settings.write_baseline.write_text(text, encoding="utf-8")

    def pytest_terminal_summary(self, terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
        settings, run = config.stash[SETTINGS], config.stash[RUN]
        if hasattr(config, "workerinput") or not (run.results or run.gate_failures):
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
        if run.results:
            terminalreporter.write_line(f"coverage: {coverage_line(operation_rows(list(run.results.values())))}")
        if settings.report is not None and run.results:
            terminalreporter.write_line(f"report: {settings.report} and {settings.report.with_suffix('.md')}")
        for problem in run.gate_failures:
            terminalreporter.write_line(f"gate failed: {problem}", red=True)


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
        gaps = [r.id for r in mine if r.outcome == "not implemented"]
        if gaps:
            problems.append(f"--connect-require-operations: {operation} is not implemented ({', '.join(gaps)})")
        elif not any(r.outcome == "passed" for r in mine):
            ran = ", ".join(f"{r.id} {r.outcome}" for r in mine) or "no checks ran"
            problems.append(f"--connect-require-operations: {operation} has no passing check ({ran})")
    return problems


_OUTCOMES = ("passed", "failed", "not implemented", "skipped")


def operation_rows(results: list[Result]) -> list[dict[str, Any]]:
    """One row per covered operation (all of ``spec.OPERATIONS``, checked or not), then any other operation
    a check names. An operation is covered when at least one of its behavioural checks passed."""
    from pytest_connect_email.spec import OPERATIONS

    extra = sorted({r.operation for r in results} - set(OPERATIONS))
    rows = []
    for operation in (*OPERATIONS, *extra):
        mine = sorted((r for r in results if r.operation == operation), key=lambda r: r.id)
        counts = {o: sum(r.outcome == o for r in mine) for o in _OUTCOMES}
        rows.append(
            {
                "operation": operation,
                "checks": len(mine),
                **counts,
                "covered": counts["passed"] > 0,
                "listed": operation in OPERATIONS,
                "results": [(r.id, r.outcome) for r in mine],
            }
        )
    return rows


def coverage_line(rows: list[dict[str, Any]]) -> str:
    listed = [row for row in rows if row["listed"]]
    covered = sum(row["covered"] for row in listed)
    return f"{covered} of {len(listed)} operations have at least one passing check"


def write_report(path: Path, settings: Settings, run: Run) -> None:
    from pytest_connect_email.conformance import all_checks

    known = all_checks()
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
        },
        "operations": [
            {
                "operation": row["operation"],
                "checks": row["checks"],
                **{o: row[o] for o in _OUTCOMES},
                "covered": row["covered"],
                "status": _status(row),
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
                **({"summary": r.summary} if r.summary else {}),
                **({"baseline": r.baseline} if r.baseline else {}),
                "nodeid": r.nodeid,
            }
            for r in results
        ],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    text = markdown(document)
    path.with_suffix(".md").write_text(text, encoding="utf-8")
    step_summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if step_summary:  # GitHub Actions shows this file on the run's page
        with open(step_summary, "a", encoding="utf-8") as out:
            out.write(text + "\n")


def _status(row: dict[str, Any]) -> str:
    if not row["checks"]:
        return "no checks"
    if row["covered"]:
        return "covered"
    if row["not implemented"]:
        return "not implemented"
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
        "| operation | status | passed | failed | not implemented | skipped | checks |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in document["operations"]:
        mine = [c for c in checks if c["operation"] == row["operation"]]
        cells = [str(row[o]) for o in _OUTCOMES]
        listed = " ".join(f"{c['id']}:{_MARK[c['outcome']]}" for c in mine) or "0 checks"
        lines.append(f"| {row['operation']} | {row['status']} | {' | '.join(cells)} | {listed} |")
    problems = [c for c in checks if c["outcome"] in ("failed", "not implemented")]
    if problems:
        lines += ["", "## Failures and gaps", ""]
        for c in problems:
            first = c.get("summary") or " ".join(c["detail"].split())[:300]
            note = f" (baseline: {c['baseline']})" if c.get("baseline") else ""
            lines.append(f"- **{c['id']}** {c['operation']}: {c['outcome']}{note} — {first}")
    if document["baseline"]["now_passing"]:
        lines += ["", "Baseline entries that now pass: " + ", ".join(document["baseline"]["now_passing"])]
    return "\n".join(lines) + "\n"
