"""One verdict, everywhere: the exit status, the JSON's ``gate``, the Markdown's first lines, a JUnit test
case and GitHub's step summary say the same thing, with and without ``--connect-report``."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from pytest_connect_email.conformance import shipped_checks
from pytest_connect_email.conformance.report import (
    GateOptions,
    OtherTests,
    Result,
    build_document,
    coverage_line,
    cut,
    failure_summary,
    judge,
    markdown,
    shipped_operations,
)

DEMO = """
from pytest_connect_email.conformance import check


@check("VERDICT-901", "DescribeEmailAddress", "fails on purpose")
def test_failing_check():
    assert False, "deliberately failing check"


def test_plain_failure():
    assert 1 == 2
"""


def _junit(path: Path) -> tuple[ET.Element, dict[str, ET.Element]]:
    suite = ET.parse(path).getroot().find("testsuite")
    assert suite is not None
    cases = {f"{c.get('classname')}::{c.get('name')}": c for c in suite.iter("testcase")}
    return suite, cases


@pytest.fixture
def step_summary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "step-summary.md"
    path.write_text("# earlier step\n", encoding="utf-8")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(path))
    return path


def test_a_failing_gate_is_said_everywhere(pytester: pytest.Pytester, step_summary: Path) -> None:
    pytester.makepyfile(test_demo=DEMO)
    result = pytester.runpytest(
        "-p",
        "connect_email",
        "--connect-conformance",
        "-k",
        "ADDR-001 or test_failing_check or test_plain_failure",
        "--connect-require-operations=StartEmailContact",
        "--connect-report=g.json",
        "--junitxml=j.xml",
    )
    assert result.ret == pytest.ExitCode.TESTS_FAILED, result.stdout.str()
    document: dict[str, Any] = json.loads((pytester.path / "g.json").read_text(encoding="utf-8"))
    gate = document["gate"]
    assert gate["passed"] is False
    assert gate["options"] == {"fail_on_not_implemented": False, "require_operations": ["StartEmailContact"]}
    failures = gate["failures"]
    assert len(failures) == 3, failures
    assert failures[0].startswith("VERDICT-901 (DescribeEmailAddress) failed: AssertionError: deliberately failing")
    assert failures[1] == "--connect-require-operations: StartEmailContact has no passing check (no checks ran)"
    assert failures[2] == "1 other test(s) failed: test_demo.py::test_plain_failure"
    assert gate["run_failures"] == []
    assert document["summary"] == {"passed": 1, "failed": 1}
    assert document["other_tests"] == {"ran": 1, "failed": 1, "failed_nodeids": ["test_demo.py::test_plain_failure"]}

    markdown = (pytester.path / "g.md").read_text(encoding="utf-8")
    lines = markdown.splitlines()
    assert lines[0] == "# Amazon Connect email conformance: gate FAILED"
    table = next(i for i, line in enumerate(lines) if line.startswith("| operation | status |"))
    for failure in failures:
        assert lines.index(f"- {failure}") < table

    suite, cases = _junit(pytester.path / "j.xml")
    assert suite.get("failures") == "3"  # the failing check, the other test, and the gate
    gate_case = cases["connect-email::gate"]
    failure = gate_case.find("failure")
    assert failure is not None
    assert failure.text is not None
    assert "StartEmailContact has no passing check" in failure.text
    assert "1 other test(s) failed" in failure.text
    assert failure.get("message") == f"connect-email gate failed: {failures[0]} (and 2 more)"
    passing = [c for name, c in cases.items() if "test_created_address_reads_back" in name]
    assert passing
    assert passing[0].find("failure") is None

    # GitHub's step summary: appended after the earlier step's content, the same Markdown.
    assert step_summary.read_text(encoding="utf-8") == "# earlier step\n" + markdown + "\n"

    # The terminal says every reason too, not only the gate options'.
    out = result.stdout.str()
    section = out.split("connect-email conformance")[-1]
    for line in failures:
        assert f"gate failed: {line}" in section, section


def test_a_passing_gate_says_what_it_checked_without_a_report(pytester: pytest.Pytester, step_summary: Path) -> None:
    result = pytester.runpytest(
        "-p",
        "connect_email",
        "--connect-conformance",
        "-k",
        "START-001",
        "--connect-require-operations=StartEmailContact",
        "--connect-fail-on-not-implemented",
        "--junitxml=j.xml",
    )
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    assert not list(pytester.path.glob("*.json")), "no --connect-report: no report file"
    text = step_summary.read_text(encoding="utf-8")
    assert text.startswith("# earlier step\n# Amazon Connect email conformance: gate passed\n")
    head = text.split("Target:")[0]  # the verdict comes before everything else
    for checked in (
        "- 1 check(s) ran, none failed (1 passed)",
        "- --connect-fail-on-not-implemented: no check not implemented",
        "- --connect-require-operations StartEmailContact: passing check START-001",
    ):
        assert checked + "\n" in head, head

    suite, cases = _junit(pytester.path / "j.xml")
    assert suite.get("failures") == "0"
    assert suite.get("tests") == "2"  # START-001 and the gate
    gate_case = cases["connect-email::gate"]
    assert gate_case.find("failure") is None
    checked_props = [p.get("value") for p in gate_case.iter("property") if p.get("name") == "checked"]
    assert "--connect-fail-on-not-implemented: no check not implemented" in checked_props
    # The terminal says what the passing gate checked, as the other outputs do.
    shipped = len(shipped_operations())
    assert any((line or "").startswith(f"1 of the suite's {shipped} shipped checks ran; ") for line in checked_props)
    result.stdout.fnmatch_lines(["gate passed: 1 check(s) ran, none failed (1 passed); * of the suite's *"])


def test_a_suite_that_only_uses_the_fixtures_gets_no_gate(pytester: pytest.Pytester, step_summary: Path) -> None:
    pytester.makepyfile("def test_nothing():\n    pass\n")
    result = pytester.runpytest("-p", "connect_email", "--junitxml=j.xml")
    assert result.ret == pytest.ExitCode.OK
    assert step_summary.read_text(encoding="utf-8") == "# earlier step\n"
    assert "connect-email::gate" not in _junit(pytester.path / "j.xml")[1]


def _result(check_id: str, outcome: str, **kw: Any) -> Result:
    return Result(check_id, "StartEmailContact", f"t.py::{check_id}", outcome, **kw)


def test_the_verdict_agrees_with_the_exit_status() -> None:
    # pytest's exit status that nothing else explains is a reason of its own.
    interrupted = judge([], GateOptions(), OtherTests(), exit_status=2)
    assert interrupted.failures == ("pytest's exit status is 2 (interrupted)",)
    nothing = judge([], GateOptions(), OtherTests(), exit_status=5)
    assert nothing.failures == ("pytest's exit status is 5 (no tests collected)",)
    assert nothing.run_failures == nothing.failures  # a merge keeps it
    # Exit status 1 explained by a failed check: no extra line.
    failed = judge([_result("A-1", "failed", summary="AssertionError: x")], GateOptions(), OtherTests(), exit_status=1)
    assert failed.failures == ("A-1 (StartEmailContact) failed: AssertionError: x",)
    # A baselined failure does not fail the run, and a passing verdict says it was excused.
    excused = judge(
        [_result("A-1", "failed", baseline="known"), _result("A-2", "passed")],
        GateOptions(),
        OtherTests(),
        shipped={"START-001": "StartEmailContact"},
    )
    assert excused.passed
    assert excused.checked == (
        "2 check(s) ran, none failed outside the baseline (1 failed and excused by the baseline, 1 passed)",
        "1 failure(s) excused by the baseline: A-1",
        "0 of the suite's 1 shipped checks ran; 1 were not selected: START-001",
    )
    shipped = {"A-1": "StartEmailContact", "A-2": "StartEmailContact"}
    assert judge(
        [_result("A-1", "passed"), _result("A-2", "passed")], GateOptions(), OtherTests(), shipped=shipped
    ).checked == (
        "2 check(s) ran, none failed (2 passed)",
        "all 2 of the suite's shipped checks ran",
    )
    # Many failed checks: one line naming them all.
    many = judge([_result(f"A-{i}", "failed") for i in range(7)], GateOptions(), OtherTests())
    assert many.failures == ("7 checks failed: A-0, A-1, A-2, A-3, A-4, A-5, A-6",)
    # A report that could not be written fails the run.
    unwritten = judge([_result("A-1", "passed")], GateOptions(), OtherTests(), ["--connect-report r.json: not written"])
    assert not unwritten.passed
    assert unwritten.to_json()["run_failures"] == ["--connect-report r.json: not written"]


def test_under_xdist_the_controller_alone_appends_the_step_summary(
    pytester: pytest.Pytester, step_summary: Path
) -> None:
    pytest.importorskip("xdist")
    result = pytester.runpytest(
        "-p", "connect_email", "--connect-conformance", "-n", "2", "-k", "START-001 or START-003"
    )
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    text = step_summary.read_text(encoding="utf-8")
    assert text.count("# Amazon Connect email conformance:") == 1, text
    assert text.startswith("# earlier step\n# Amazon Connect email conformance: gate passed\n")
    assert "- 2 check(s) ran, none failed (2 passed)\n" in text


def test_the_terminal_says_when_no_check_ran(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_nothing():\n    pass\n")
    result = pytester.runpytest("-p", "connect_email", "--connect-require-operations=StartEmailContact")
    assert result.ret == pytest.ExitCode.TESTS_FAILED, result.stdout.str()
    out = result.stdout.str()
    assert " (mode emulator)" not in out
    result.stdout.fnmatch_lines(
        [
            "*connect-email conformance*",
            "no conformance checks ran (add --connect-conformance, or run connect-email conformance)",
            "gate failed: --connect-require-operations: StartEmailContact has no passing check (no checks ran)",
        ]
    )


def test_cut_reasons_end_in_an_ellipsis() -> None:
    assert cut("short", 10) == "short"
    assert cut("AssertionError: " + "word " * 100, 40) == "AssertionError: word word word word wor…"
    assert len(cut("x" * 500, 300)) == 300

    class Crash:
        message = "AssertionError: " + "a" * 400

    class Report:
        longrepr = type("L", (), {"reprcrash": Crash()})()
        longreprtext = ""

    line = failure_summary(Report(), 300)  # type: ignore[arg-type]
    assert len(line) == 300
    assert line.endswith("…")
    # The Markdown cuts a long detail the same way.
    detail = "E " + "b" * 400
    result = Result("A-1", "StartEmailContact", "t.py::A-1", "failed", detail=detail)
    document = build_document(
        [result],
        verdict=judge([result], GateOptions(), OtherTests()),
        other=OtherTests(),
        target={"mode": "emulator", "endpoint_url": None, "region": "us-east-1"},
        settings=[],
        texts={},
    )
    assert f"— {detail[:299]}…\n" in markdown(document)


def test_protocol_checks_alone_do_not_read_as_a_contradiction() -> None:
    results = [
        Result(
            "PROTO-001",
            "(protocol)",
            "p.py::PROTO-001",
            "passed",
            errors=[("DescribeEmailAddress", "ResourceNotFoundException")],
        )
    ]
    document = build_document(
        results,
        verdict=judge(results, GateOptions(), OtherTests()),
        other=OtherTests(),
        target={"mode": "emulator", "endpoint_url": None, "region": "us-east-1"},
        settings=[],
        texts={},
    )
    coverage = document["coverage"]
    assert coverage["covered"] == 0
    assert coverage["protocol_only"] is True
    line = coverage_line(coverage)
    assert line.startswith(
        f"0 of {coverage['operations']} operations have a passing check of their own (protocol checks only); "
    )
    assert line.endswith("modelled errors exercised by a passing protocol check")
    text = markdown(document)
    assert (
        f"Coverage: **0 of {coverage['operations']}** operations have a passing check of their own "
        "(protocol checks only)." in text
    )
    # Operations whose shipped checks did not run are "not run", not "no checks".
    rows = {row["operation"]: row for row in document["operations"]}
    assert rows["SendOutboundEmail"]["status"] == "not run"
    shipped = [c.operation for c in shipped_checks().values()]
    assert rows["SendOutboundEmail"]["not_selected"] == shipped.count("SendOutboundEmail") == 6
    assert rows["(protocol)"]["status"] == "covered"
    assert rows["(protocol)"]["not_selected"] == shipped.count("(protocol)") - 1  # PROTO-001 ran
