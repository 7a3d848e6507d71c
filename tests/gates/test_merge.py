"""``connect-email report merge``: shards of a CI matrix make one report equal to the whole run's, with
the gate recomputed over the union; disagreeing shards and a shard's own unrecomputable failure."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pytest_connect_email import cli
from pytest_connect_email.report import GateOptions, OtherTests, Result, build_document, judge

REQUIRED = "--connect-require-operations=StartEmailContact,DisassociateEmailAddressAlias"


def _load(path: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return document


def _checks(document: dict[str, Any]) -> list[dict[str, Any]]:
    """The checks without their durations (which differ from run to run)."""
    return [{k: v for k, v in c.items() if k != "duration"} for c in document["checks"]]


def test_shards_merge_into_the_whole_run(
    pytester: pytest.Pytester, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def run(keyword: str, report: str) -> pytest.RunResult:
        return pytester.runpytest(
            "-p", "connect_email", "--connect-conformance", "-k", keyword, REQUIRED, f"--connect-report={report}"
        )

    whole = run("StartEmailContact or DisassociateEmailAddressAlias", "whole.json")
    assert whole.ret == pytest.ExitCode.OK, whole.stdout.str()
    # Each half alone fails the gate: the other half's operation has no passing check in it.
    for keyword, report, missing in (
        ("StartEmailContact", "a.json", "DisassociateEmailAddressAlias"),
        ("DisassociateEmailAddressAlias", "b.json", "StartEmailContact"),
    ):
        half = run(keyword, report)
        assert half.ret == pytest.ExitCode.TESTS_FAILED, half.stdout.str()
        failures = _load(pytester.path / report)["gate"]["failures"]
        assert failures == [f"--connect-require-operations: {missing} has no passing check (no checks ran)"]
    capsys.readouterr()

    summary = pytester.path / "summary.md"
    summary.write_text("# earlier step\n", encoding="utf-8")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    merged_path = pytester.path / "merged" / "m.json"
    code = cli.main(
        ["report", "merge", str(pytester.path / "a.json"), str(pytester.path / "b.json"), "-o", str(merged_path)]
    )
    out = capsys.readouterr().out
    assert code == 0, out

    full, merged = _load(pytester.path / "whole.json"), _load(merged_path)
    a, b = _load(pytester.path / "a.json"), _load(pytester.path / "b.json")
    assert a["checks"]
    assert b["checks"]
    assert {c["id"] for c in a["checks"]}.isdisjoint(c["id"] for c in b["checks"])
    assert _checks(merged) == _checks(full)
    for key in ("summary", "coverage", "operations", "gate", "other_tests", "target"):
        assert merged[key] == full[key], key
    # Each shard's settings (its own --connect-report among them), each once.
    assert merged["settings"] == a["settings"] + [s for s in b["settings"] if s not in a["settings"]]
    assert merged["gate"]["passed"] is True
    assert merged["coverage"]["errors"]["exercised"] > 0  # each check's errors travelled through the JSON
    assert [shard["gate"]["passed"] for shard in merged["shards"]] == [False, False]

    markdown = merged_path.with_suffix(".md").read_text(encoding="utf-8")
    assert markdown.splitlines()[0] == "# Amazon Connect email conformance: gate passed"
    assert "- --connect-require-operations StartEmailContact: passing checks " in markdown.split("Target:")[0]
    assert summary.read_text(encoding="utf-8") == "# earlier step\n" + markdown + "\n"
    assert f"report: {merged_path} and {merged_path.with_suffix('.md')}" in out

    # The same check in two shards with the same outcome is one check; with another outcome, an error.
    code = cli.main(
        ["report", "merge", str(pytester.path / "a.json"), str(pytester.path / "whole.json"), "-o", "x.json"]
    )
    assert code == 0
    assert _checks(_load(pytester.path / "x.json")) == _checks(full)
    changed = _load(pytester.path / "a.json")
    flipped = changed["checks"][0]
    flipped["outcome"] = "failed"
    (pytester.path / "c.json").write_text(json.dumps(changed), encoding="utf-8")
    capsys.readouterr()
    code = cli.main(
        ["report", "merge", str(pytester.path / "whole.json"), str(pytester.path / "c.json"), "-o", "y.json"]
    )
    err = capsys.readouterr().err
    assert code == 2
    files = f"{pytester.path / 'whole.json'} (passed) and in {pytester.path / 'c.json'} (failed)"
    assert f"check {flipped['id']} is in {files}" in err
    assert not (pytester.path / "y.json").exists()


def _shard(path: Path, results: list[Result], options: GateOptions, other: OtherTests, kept: list[str]) -> Path:
    verdict = judge(results, options, other, kept)
    document = build_document(
        results,
        verdict=verdict,
        other=other,
        target={"mode": "emulator", "endpoint_url": None, "region": "us-east-1"},
        settings=[],
        texts={},
    )
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def test_the_merged_gate_keeps_what_it_cannot_recompute_and_sums_other_tests(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    start = Result("START-001", "StartEmailContact", "s.py::test_start", "passed", errors=[("StartEmailContact", "X")])
    alias = Result("ALIAS-001", "AssociateEmailAddressAlias", "a.py::test_alias", "not implemented", detail="HTTP 404")
    a = _shard(tmp_path / "a.json", [start], GateOptions(False, ("StartEmailContact",)), OtherTests(ran=2), [])
    b = _shard(
        tmp_path / "b.json",
        [alias],
        GateOptions(True, ()),
        OtherTests(ran=1, failed=1, failed_nodeids=("t.py::test_app",)),
        ["pytest's exit status is 2 (interrupted)"],
    )
    code = cli.main(["report", "merge", str(a), str(b), "--output", str(tmp_path / "m.json")])
    out = capsys.readouterr().out
    assert code == 1, out
    gate = _load(tmp_path / "m.json")["gate"]
    assert gate["options"] == {"fail_on_not_implemented": True, "require_operations": ["StartEmailContact"]}
    assert gate["failures"] == [
        "--connect-fail-on-not-implemented: 1 check(s) not implemented: ALIAS-001",
        "1 other test(s) failed: t.py::test_app",
        f"{b}: pytest's exit status is 2 (interrupted)",
    ]
    assert _load(tmp_path / "m.json")["other_tests"] == {"ran": 3, "failed": 1, "failed_nodeids": ["t.py::test_app"]}
    assert "gate failed: 1 other test(s) failed: t.py::test_app" in out
    assert (tmp_path / "m.md").read_text(encoding="utf-8").startswith("# Amazon Connect email conformance: gate FAILED")
