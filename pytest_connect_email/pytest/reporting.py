"""The conformance report's pytest side: the plugin object that gathers each check's outcome, judges the
run at its end and publishes the verdict (terminal, JSON and Markdown report, JUnit case, step summary),
built by :mod:`pytest_connect_email.conformance.report` from the run's settings."""

from __future__ import annotations

import json
from typing import Any

import pytest

from pytest_connect_email._version import __version__
from pytest_connect_email.conformance.report import (
    CHECK_PROPERTY,
    ERRORS_PROPERTY,
    MISSING_PROPERTY,
    RUN,
    STATEFUL_PROPERTY,
    GateOptions,
    Result,
    Run,
    Verdict,
    _counts,
    _gate_options,
    active,
    append_step_summary,
    build_document,
    coverage_line,
    coverage_of,
    cut,
    failure_summary,
    judge,
    junit_case,
    markdown,
    operation_rows,
    stateful_line,
    write_file,
    write_report,
)
from pytest_connect_email.pytest.settings import SETTINGS, Settings


def gate_options(settings: Settings) -> GateOptions:
    """The run's gate options, from its settings."""
    return GateOptions(settings.fail_on_not_implemented, tuple(settings.require_operations))


class Recorder:
    """Gathers conformance results from reports and writes the report at the end (controller only)."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        props = dict(report.user_properties)
        check_id = props.get(CHECK_PROPERTY)
        run = self.config.stash[RUN]
        if check_id is None:  # another test: its failure fails the run too, and the verdict says so
            run.other_ran.add(report.nodeid)
            if report.failed:
                run.other_failed.setdefault(report.nodeid, None)
            return
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

    @pytest.hookimpl(tryfirst=True)  # before LogXML writes the JUnit file in its own pytest_sessionfinish
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if hasattr(self.config, "workerinput"):  # an xdist worker: the controller writes the report
            return
        settings, run = self.config.stash[SETTINGS], self.config.stash[RUN]
        if not asked_for(settings, run):  # a suite that only uses the fixtures: no verdict to publish
            return
        if session.exitstatus == pytest.ExitCode.USAGE_ERROR:  # the run never started (e.g. no credentials)
            self._publish(session, run, settings, files=False)
            return
        run.gate_failures = gate_failures(settings, run)
        if run.gate_failures and session.exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED):
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
        for check_id, entry in run.baseline.items():
            result = run.results.get(check_id)
            if not active(entry):
                run.baseline_expired.append(check_id)
            elif result is not None and result.outcome == "passed":
                run.baseline_now_passing.append(check_id)
        if settings.write_baseline is not None and run.results:
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
        self._publish(session, run, settings, files=True)

    def _judge(self, session: pytest.Session, run: Run, settings: Settings) -> Verdict:
        """The verdict on the run as it stands, and the exit status made to agree with it."""
        verdict = judge(
            run.results.values(), gate_options(settings), run.other_tests(), run.write_errors, int(session.exitstatus)
        )
        if not verdict.passed and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
        run.verdict = verdict
        return verdict

    def _document(self, run: Run, settings: Settings, verdict: Verdict) -> dict[str, Any]:
        from pytest_connect_email.conformance import all_checks

        texts = {i: (c.source, c.title) for i, c in all_checks(stateful=True).items()}
        return build_document(
            run.results.values(),
            verdict=verdict,
            other=run.other_tests(),
            target=target_of(settings),
            settings=settings_entries(settings),
            texts=texts,
            baseline_now_passing=run.baseline_now_passing,
            baseline_expired=run.baseline_expired,
        )

    def _publish(self, session: pytest.Session, run: Run, settings: Settings, *, files: bool) -> None:
        """Say the verdict everywhere: the report files (``--connect-report``), the GitHub step summary, the
        JUnit XML file; a report that cannot be written is itself a reason the run fails."""
        verdict = self._judge(session, run, settings)
        document = self._document(run, settings, verdict)
        if files and settings.report is not None:
            try:
                write_report(settings.report, document)
            except OSError as exc:
                run.write_errors.append(f"--connect-report {settings.report}: not written ({exc})")
                verdict = self._judge(session, run, settings)
                document = self._document(run, settings, verdict)
        problem = append_step_summary(markdown(document))
        if problem:
            run.notes.append(problem)
        junit_case(self.config, verdict)

    def pytest_terminal_summary(self, terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
        settings, run = config.stash[SETTINGS], config.stash[RUN]
        verdict = run.verdict
        if hasattr(config, "workerinput") or not (
            run.results or run.gate_failures or run.write_errors or run.notes or verdict is not None
        ):
            return
        terminalreporter.section("connect-email conformance")
        if run.results:
            summary = ", ".join(f"{n} {k}" for k, n in sorted(_counts(run.results.values()).items()))
            terminalreporter.write_line(f"{summary} (mode {settings.mode})")
        elif settings.conformance or settings.stateful:  # asked for, none selected (or the run never started)
            terminalreporter.write_line("no conformance checks ran")
        else:
            terminalreporter.write_line(
                "no conformance checks ran (add --connect-conformance, or run connect-email conformance)"
            )
        for result in sorted(run.results.values(), key=lambda r: r.id):
            if result.outcome == "not implemented":
                terminalreporter.write_line(f"{result.id} not implemented: {cut(result.not_implemented_line(), 200)}")
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
            rows = operation_rows(list(run.results.values()))
            terminalreporter.write_line(f"coverage: {coverage_line(coverage_of(rows))}")
        if settings.report is not None and not any(e.startswith("--connect-report ") for e in run.write_errors):
            terminalreporter.write_line(f"report: {settings.report} and {settings.report.with_suffix('.md')}")
        if verdict is None:  # the run ended before its verdict (it never started): what is known
            for problem in (*run.gate_failures, *run.write_errors):
                terminalreporter.write_line(f"gate failed: {problem}", red=True)
        elif verdict.passed:
            terminalreporter.write_line("gate passed: " + "; ".join(verdict.checked), green=True)
        else:  # every reason, as the JSON, the Markdown, JUnit and the step summary say them
            for problem in verdict.failures:
                terminalreporter.write_line(f"gate failed: {problem}", red=True)
        for note in run.notes:
            terminalreporter.write_line(note, yellow=True)


def gate_failures(settings: Settings, run: Run) -> list[str]:
    """Why ``--connect-fail-on-not-implemented`` and ``--connect-require-operations`` fail the run (empty: pass)."""
    return _gate_options(gate_options(settings), list(run.results.values()))[0]


def asked_for(settings: Settings, run: Run) -> bool:
    """Whether the run is one whose verdict the plugin publishes: conformance checks ran, or the run asked for
    the suite, a report or a gate (a suite that only uses the fixtures gets no gate test case or summary)."""
    return bool(
        run.results
        or settings.conformance
        or settings.stateful
        or settings.report is not None
        or settings.fail_on_not_implemented
        or settings.require_operations
    )


#: The fields of a report's ``target`` that shards must share to be merged.


def target_of(settings: Settings) -> dict[str, Any]:
    """What the run checked and with what: mode, endpoint, region, the botocore whose model the checks
    follow, this tool's version, and the baseline file in use (``None``: none)."""
    import botocore

    return {
        "mode": settings.mode,
        "endpoint_url": settings.endpoint_url,
        "region": settings.region,
        "botocore": botocore.__version__,
        "tool": __version__,
        "baseline": str(settings.baseline) if settings.baseline is not None else None,
    }


def settings_entries(settings: Settings) -> list[dict[str, str]]:
    """Each setting that is not its default: name, value and where it came from (``Settings.sources``)."""
    return [
        {"name": str(name), "value": str(value), "source": str(source)}
        for name, value, source in getattr(settings, "sources", ())
    ]
