"""``connect-email report merge`` refuses hostile input within the budgets: over MAX_REPORT_BYTES, nested
past MAX_DEPTH, not UTF-8, not JSON, not a report, a field of the wrong type, a folder, a missing file;
each with exit status 2, a message naming the file and the problem, no traceback and no output written."""

from __future__ import annotations

import json
import os
import re
import signal
from collections.abc import Callable
from pathlib import Path

import pytest

from pytest_connect_email import cli, limits

from .conftest import bounded


def _report_with(**fields: object) -> str:
    document: dict[str, object] = {
        "tool": "pytest-connect-email 0.1.0",
        "gate": {"passed": True, "failures": [], "checked": [], "options": {}, "run_failures": []},
        "checks": [],
    }
    document.update(fields)
    return json.dumps(document)


def _oversized(path: Path) -> None:
    with open(path, "wb") as out:  # sparse: a byte past the budget, nothing else on disk
        out.truncate(limits.MAX_REPORT_BYTES + 1)


WRONG_OUTCOME = _report_with(checks=[{"id": "A", "operation": "B", "outcome": 5}])
WRONG_COUNT = _report_with(other_tests={"ran": -1})
NEGATIVE = _report_with(checks=[{"id": "A", "operation": "B", "outcome": "passed", "duration": -1.5}])
HUGE_DURATION = _report_with(checks=[{"id": "A", "operation": "B", "outcome": "passed", "duration": 1e300}])
ABSURD_COUNT = '{"tool": "pytest-connect-email 0.1.0", "gate": {"options": {}, "passed": true}, "checks": [], ' + (
    '"other_tests": {"ran": 1' + "0" * 99 + "}}"
)
ABSURD_SUMMARY = _report_with(summary={"passed": 10**12})
NOT_PAIRS = _report_with(checks=[{"id": "A", "operation": "B", "outcome": "passed", "errors": [["x"]]}])

CASES: list[tuple[str, Callable[[Path], object], str]] = [
    ("over the byte budget", _oversized, "MAX_REPORT_BYTES"),
    ("nested too deep", lambda p: p.write_text('{"tool": ' + "[" * 1_000 + "]" * 1_000 + "}"), "MAX_DEPTH"),
    ("too many values", lambda p: p.write_text("[" + "0," * limits.MAX_NODES + "0]"), "MAX_NODES"),
    ("not UTF-8", lambda p: p.write_bytes(b'{"tool": "\xff\xfe"}'), "not UTF-8"),
    ("not JSON", lambda p: p.write_text('{"tool": "pytest-connect-email", '), "not JSON"),
    ("not a report", lambda p: p.write_text('{"checks": []}'), "not a conformance report"),
    ("a wrong outcome", lambda p: p.write_text(WRONG_OUTCOME), "checks[0].outcome must be text"),
    ("a wrong count", lambda p: p.write_text(WRONG_COUNT), "other_tests.ran must be a whole number"),
    ("a negative duration", lambda p: p.write_text(NEGATIVE), "checks[0].duration must be a number of seconds"),
    ("an absurd duration", lambda p: p.write_text(HUGE_DURATION), "(MAX_DURATION), not 1e+300"),
    ("an absurd count", lambda p: p.write_text(ABSURD_COUNT), "other_tests.ran must be a whole number from 0 to"),
    ("an absurd summary", lambda p: p.write_text(ABSURD_SUMMARY), "summary.passed must be a whole number from 0"),
    ("errors not pairs", lambda p: p.write_text(NOT_PAIRS), "checks[0].errors[0] must be an [operation, code] pair"),
    ("a target not an object", lambda p: p.write_text(_report_with(target=[])), "target must be an object"),
    ("a target field", lambda p: p.write_text(_report_with(target={"baseline": []})), "target.baseline must be text"),
    ("another target", lambda p: p.write_text(_report_with(target={"mode": "live"})), "target.mode is 'live' but"),
    ("a merged report", lambda p: p.write_text(_report_with(shards=[])), "a merged report (it has 'shards')"),
    ("a folder", lambda p: p.mkdir(), "a folder"),
    ("missing", lambda p: None, "no such file"),
]


@pytest.mark.parametrize(("make", "needle"), [pytest.param(m, n, id=i) for i, m, n in CASES])
def test_hostile_merge_input_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], make: Callable[[Path], object], needle: str
) -> None:
    bad = tmp_path / "bad.json"
    make(bad)
    good = tmp_path / "good.json"
    good.write_text(_report_with(), encoding="utf-8")
    output = tmp_path / "merged.json"
    with bounded():
        code = cli.main(["report", "merge", str(good), str(bad), "--output", str(output)])
    out, err = capsys.readouterr()
    assert code == 2, out + err
    assert needle in err, err
    assert str(bad) in err, err
    assert "Traceback" not in out + err
    assert not output.exists()
    assert not output.with_suffix(".md").exists()


def test_a_markdown_output_and_a_report_given_twice_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = tmp_path / "good.json"
    good.write_text(_report_with(), encoding="utf-8")
    assert cli.main(["report", "merge", str(good), "--output", str(tmp_path / "m.md")]) == 2
    assert "give the JSON path" in capsys.readouterr().err
    assert (
        cli.main(["report", "merge", str(good), str(tmp_path / "." / "good.json"), "-o", str(tmp_path / "m.json")]) == 2
    )
    assert "given twice" in capsys.readouterr().err
    assert cli.main(["report", "merge", str(good), "-o", str(tmp_path / "m.json")]) == 0


def _loop(tmp_path: Path) -> Path:
    (tmp_path / "loop1").symlink_to(tmp_path / "loop2")
    (tmp_path / "loop2").symlink_to(tmp_path / "loop1")
    return tmp_path / "loop1"


@pytest.mark.parametrize("where", ["input", "output"])
def test_a_symlink_loop_or_an_overlong_name_is_refused_naming_the_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], where: str
) -> None:
    good = tmp_path / "good.json"
    good.write_text(_report_with(), encoding="utf-8")
    output = tmp_path / "m.json"
    for bad in (_loop(tmp_path), tmp_path / ("x" * 300 + ".json")):
        argv = [str(bad), str(good), "-o", str(output)] if where == "input" else [str(good), "-o", str(bad)]
        with bounded():
            code = cli.main(["report", "merge", *argv])
        out, err = capsys.readouterr()
        assert code == 2, out + err
        assert "Traceback" not in out + err
        assert str(bad)[:100] in err, err
        assert "symbolic links" in err or "too long" in err, err
        assert not output.exists()


def test_a_lone_surrogate_is_refused_naming_the_field(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(_report_with(checks=[{"id": "\ud800", "operation": "SendEmail", "outcome": "passed"}]))
    assert "\\ud800" in bad.read_text()  # a JSON escape: the file itself is valid UTF-8
    output = tmp_path / "m.json"
    with bounded():
        code = cli.main(["report", "merge", str(bad), "-o", str(output)])
    out, err = capsys.readouterr()
    assert code == 2, out + err
    assert "checks[0].id holds a lone surrogate" in err, err
    assert "Traceback" not in out + err
    assert not output.exists()
    assert not output.with_suffix(".md").exists()


HOSTILE = "a|b\n# heading <script>alert(1)</script> `code` [x](javascript:1) \\| &amp;"


@pytest.mark.parametrize(
    ("check", "field"),
    [
        ({"id": "X|1", "operation": "SendOutboundEmail"}, "checks[0].id"),
        ({"id": "X-1\n#", "operation": "SendOutboundEmail"}, "checks[0].id"),
        ({"id": "X-1", "operation": "Send<script>"}, "checks[0].operation"),
        ({"id": "X-1", "operation": "Send", "outcome": "not implemented", "missing_operation": "A|B"}, "missing_op"),
    ],
)
def test_ids_and_operations_that_are_not_plain_names_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], check: dict[str, str], field: str
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(_report_with(checks=[{"outcome": "passed", **check}]), encoding="utf-8")
    output = tmp_path / "m.json"
    assert cli.main(["report", "merge", str(bad), "-o", str(output)]) == 2
    err = capsys.readouterr().err
    assert field in err, err
    assert "not a plain name" in err, err
    assert "must match" in err, err
    assert not output.exists()


def test_hostile_text_stays_inside_its_markdown_cell(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from pytest_connect_email.conformance.report import markdown

    shard = tmp_path / "shard.json"
    checks = [
        {"id": "TEAM-001", "operation": "SendOutboundEmail", "outcome": "failed", "summary": HOSTILE},
        {"id": "TEAM-002", "operation": "(protocol)", "outcome": "not implemented", "detail": HOSTILE},
    ]
    shard.write_text(
        _report_with(
            checks=checks,
            settings=[{"name": HOSTILE, "value": HOSTILE, "source": HOSTILE}],
            target={"mode": HOSTILE, "endpoint_url": HOSTILE, "region": HOSTILE, "botocore": HOSTILE},
            baseline={"now_passing": ["TEAM-003"]},
        ),
        encoding="utf-8",
    )
    output = tmp_path / "m.json"
    assert cli.main(["report", "merge", str(shard), "-o", str(output)]) == 1, capsys.readouterr().err
    document = json.loads(output.read_text(encoding="utf-8"))
    document["baseline"]["now_passing"] = [HOSTILE]
    document["checks"][0]["baseline"] = HOSTILE
    text = markdown(document)
    assert "<script>" not in text
    assert "](javascript" not in text
    assert not any(line.startswith("# heading") for line in text.splitlines())
    header = "| operation | status |"
    rows = [line for line in text.splitlines() if line.startswith("| ")]
    assert rows[0].startswith(header)
    for row in rows:  # 9 cell borders in every row: no text adds or ends a cell
        assert len(re.findall(r"(?<!\\)\|", row)) == 9, row
    headings = [line for line in text.splitlines() if line.startswith("#")]
    assert headings == ["# Amazon Connect email conformance: gate FAILED", "## Failures and gaps"], headings


def test_a_shard_of_thousands_of_operations_merges_with_every_row_right(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Rows are built from results grouped by operation once (it was a scan of every result per row)."""
    checks = [
        {
            "id": f"T-{i:04d}",
            "operation": f"Op{i}",
            "outcome": "passed" if i % 2 else "not implemented",
            "errors": [[f"Op{i}", "Boom"]],
            **({} if i % 2 else {"missing_operation": f"Op{i + 1}"}),
        }
        for i in range(4_000)
    ]
    shard = tmp_path / "many.json"
    shard.write_text(_report_with(checks=checks), encoding="utf-8")
    output = tmp_path / "m.json"
    with bounded():
        assert cli.main(["report", "merge", str(shard), "-o", str(output)]) == 0, capsys.readouterr().err
    rows = {row["operation"]: row for row in json.loads(output.read_text(encoding="utf-8"))["operations"]}
    assert rows["Op1"]["missing_for"] == ["T-0000"]
    assert rows["Op1"]["passed"] == 1
    assert rows["Op0"]["missing_for"] == []
    assert rows["Op0"]["not implemented"] == 1
    assert (
        "| Op3999 | covered | 1 | 0 | 0 | 0 | 0/0 | T-3999:pass; missing for T-3998 |"
        in output.with_suffix(".md").read_text()
    )


@pytest.mark.parametrize("reader", [False, True], ids=["no reader", "a reader"])
def test_a_step_summary_that_is_a_fifo_is_refused_without_hanging(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, reader: bool
) -> None:
    fifo = tmp_path / "summary.fifo"
    os.mkfifo(fifo)
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(fifo))
    shard = tmp_path / "good.json"
    shard.write_text(_report_with(), encoding="utf-8")
    opened = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK) if reader else None
    previous = signal.signal(signal.SIGALRM, signal.default_int_handler)
    signal.alarm(20)  # a hang fails the test (KeyboardInterrupt) instead of stopping the suite
    try:
        with bounded():
            code = cli.main(["report", "merge", str(shard), "-o", str(tmp_path / "m.json")])
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
        if opened is not None:
            os.close(opened)
    out, err = capsys.readouterr()
    assert code == 0, out + err
    assert f"GITHUB_STEP_SUMMARY {fifo}: not appended to" in err, err
    assert (tmp_path / "m.json").is_file()


@pytest.mark.parametrize("how", ["hard link", "copy"])
def test_one_shard_twice_through_a_hard_link_or_a_copy_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], how: str
) -> None:
    shard = tmp_path / "a.json"
    shard.write_text(_report_with(checks=[{"id": "T-1", "operation": "SendOutboundEmail", "outcome": "passed"}]))
    other = tmp_path / "b.json"
    if how == "hard link":
        os.link(shard, other)
    else:
        other.write_bytes(shard.read_bytes())
    output = tmp_path / "m.json"
    assert cli.main(["report", "merge", str(shard), str(other), "-o", str(output)]) == 2
    err = capsys.readouterr().err
    assert f"{other}: the same " in err, err
    assert str(shard) in err, err
    assert "each shard's report once" in err, err
    assert not output.exists()


def test_gate_lines_name_a_bounded_number_of_checks_and_shards() -> None:
    from pytest_connect_email.conformance.report import (
        NAMES_IN_LINE,
        RUN_FAILURE_LINES,
        GateOptions,
        OtherTests,
        Result,
        judge,
    )

    results = [Result(f"X-{i:04d}", "SendOutboundEmail", "", outcome="failed") for i in range(143)]
    shards = tuple(f"many/r{i:04d}.json" for i in range(334))
    other = OtherTests(
        ran=400, failed=334, failed_nodeids=tuple(f"t.py::test_{i}" for i in range(334)), failed_in=shards
    )
    runs = [f"many/r{i:04d}.json: pytest's exit status is 3 (internal error)" for i in range(1_000)]
    verdict = judge(results, GateOptions(fail_on_not_implemented=True), other, runs, shipped={})
    checks, tests, *kept = verdict.failures
    assert checks.startswith("143 checks failed: X-0000, ")
    assert checks.endswith(f"X-{NAMES_IN_LINE - 1:04d} and {143 - NAMES_IN_LINE} more")
    assert "and 329 more)" in tests  # the shards
    assert tests.endswith("and 329 more")  # the tests
    assert len(kept) == RUN_FAILURE_LINES + 1
    assert kept[-1] == f"and {1_000 - RUN_FAILURE_LINES} more run failure(s)"
    assert max(len(line) for line in verdict.failures) < 1_000
    assert not any("\n" in line for line in verdict.failures)


def test_gate_lines_are_one_line_whatever_the_shards_say() -> None:
    from pytest_connect_email.conformance.report import GateOptions, OtherTests, judge

    other = OtherTests(ran=1, failed=1, failed_nodeids=("t.py::a\ngate passed",), failed_in=("s\n.json",))
    verdict = judge([], GateOptions(), other, ["one\ntwo"], shipped={})
    assert verdict.failures == (
        "1 other test(s) failed (in shard s .json): t.py::a gate passed",
        "one two",
    )
