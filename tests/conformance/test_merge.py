"""``connect-email report merge``: shards of a CI matrix make one report equal to the whole run's, with
the gate recomputed over the union; disagreeing shards and a shard's own unrecomputable failure."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import botocore
import pytest

from pytest_connect_email import cli
from pytest_connect_email._version import __version__
from pytest_connect_email.conformance.report import GateOptions, OtherTests, Result, build_document, judge

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
    # Each shard's settings (its own --connect-report among them), each once, saying which shard(s) it came from.
    a_path, b_path = pytester.path / "a.json", pytester.path / "b.json"
    expected = [
        {
            **s,
            "source": f"{s['source']} (shards {a_path}, {b_path})"
            if s in b["settings"]
            else f"{s['source']} (shard {a_path})",
        }
        for s in a["settings"]
    ] + [{**s, "source": f"{s['source']} (shard {b_path})"} for s in b["settings"] if s not in a["settings"]]
    assert merged["settings"] == expected
    assert {"name": "--connect-report", "value": "a.json", "source": f"command line (shard {a_path})"} in expected
    # The report says what ran: this tool's and botocore's versions; the merge keeps the shards' (one) target.
    assert full["target"]["botocore"] == botocore.__version__
    assert full["target"]["tool"] == __version__
    assert full["target"]["baseline"] is None
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


TARGET = {"mode": "emulator", "endpoint_url": None, "region": "us-east-1", "botocore": "1.35.0", "baseline": None}


def _shard(
    path: Path,
    results: list[Result],
    options: GateOptions,
    other: OtherTests,
    kept: list[str],
    target: dict[str, Any] | None = None,
    settings: list[dict[str, str]] | None = None,
) -> Path:
    verdict = judge(results, options, other, kept)
    document = build_document(
        results,
        verdict=verdict,
        other=other,
        target=dict(TARGET if target is None else target),
        settings=settings or [],
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
        f"1 other test(s) failed (in shard {b}): t.py::test_app",
        f"{b}: pytest's exit status is 2 (interrupted)",
    ]
    assert _load(tmp_path / "m.json")["other_tests"] == {
        "ran": 3,
        "failed": 1,
        "failed_nodeids": ["t.py::test_app"],
        "failed_in": [str(b)],
    }
    assert f"gate failed: 1 other test(s) failed (in shard {b}): t.py::test_app" in out
    assert (tmp_path / "m.md").read_text(encoding="utf-8").startswith("# Amazon Connect email conformance: gate FAILED")


def _start(check_id: str = "START-001", outcome: str = "passed") -> Result:
    return Result(check_id, "StartEmailContact", f"s.py::{check_id}", outcome)


@pytest.mark.parametrize(
    ("field", "value"),
    [("mode", "live"), ("endpoint_url", "http://127.0.0.1:5079"), ("region", "eu-west-2"), ("botocore", "1.40.0")],
)
def test_shards_of_different_targets_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], field: str, value: str
) -> None:
    a = _shard(tmp_path / "a.json", [_start("START-001")], GateOptions(), OtherTests(), [])
    b = _shard(tmp_path / "b.json", [_start("START-002")], GateOptions(), OtherTests(), [], {**TARGET, field: value})
    code = cli.main(["report", "merge", str(a), str(b), "--output", str(tmp_path / "m.json")])
    err = capsys.readouterr().err
    assert code == 2, err
    assert f"{b}: target.{field} is {value!r} but {a} has {TARGET[field]!r}" in err
    assert not (tmp_path / "m.json").exists()


def test_shards_with_different_baselines_merge_listing_each(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a = _shard(
        tmp_path / "a.json", [_start("START-001")], GateOptions(), OtherTests(), [], {**TARGET, "baseline": "k.json"}
    )
    b = _shard(tmp_path / "b.json", [_start("START-002")], GateOptions(), OtherTests(), [])
    assert cli.main(["report", "merge", str(a), str(b), "--output", str(tmp_path / "m.json")]) == 0
    merged = _load(tmp_path / "m.json")
    assert merged["target"]["baseline"] == "differs per shard (see shards[].target.baseline)"
    assert [shard["target"]["baseline"] for shard in merged["shards"]] == ["k.json", None]
    assert f"- `{a}`: 1 passed; gate passed; baseline `k.json`" in (tmp_path / "m.md").read_text(encoding="utf-8")


def test_a_merged_report_or_the_output_among_the_inputs_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "r2"
    folder.mkdir()
    a = _shard(folder / "a.json", [_start("START-001")], GateOptions(), OtherTests(), [])
    b = _shard(folder / "b.json", [_start("START-002")], GateOptions(), OtherTests(), [])
    merged = folder / "merged.json"
    assert cli.main(["report", "merge", str(a), str(b), "--output", str(merged)]) == 0
    capsys.readouterr()
    # Run twice with a glob: the earlier merged report is among the inputs; it is not a shard.
    code = cli.main(["report", "merge", str(a), str(b), str(merged), "--output", str(tmp_path / "again.json")])
    err = capsys.readouterr().err
    assert code == 2
    assert f"{merged}: a merged report (it has 'shards'), not a shard's" in err
    assert "outside the shards' folder" in err
    assert "delete it" in err
    # --output is one of the inputs (the same file by another path): refused before anything is written.
    before = a.read_text(encoding="utf-8")
    code = cli.main(["report", "merge", str(a), str(b), "--output", str(folder / ".." / "r2" / "a.json")])
    err = capsys.readouterr().err
    assert code == 2
    assert f"it would overwrite the input {a}" in err
    assert a.read_text(encoding="utf-8") == before


def test_require_all_checks_fails_the_merge_when_a_shard_is_missing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from pytest_connect_email.conformance.report import shipped_operations

    shipped = shipped_operations()
    everything = [Result(i, op, f"t.py::{i}") for i, op in sorted(shipped.items())]
    sends = [r for r in everything if r.operation == "SendOutboundEmail"]
    rest = [r for r in everything if r.operation != "SendOutboundEmail"]
    a = _shard(tmp_path / "a.json", rest, GateOptions(), OtherTests(), [])
    # Without the flag, the missing shard (SendOutboundEmail's checks) is information, not a failure.
    assert cli.main(["report", "merge", str(a), "--output", str(tmp_path / "m.json")]) == 0
    out = capsys.readouterr().out
    names = ", ".join(r.id for r in sends)
    line = f"{len(rest)} of the suite's {len(shipped)} shipped checks ran; {len(sends)} were not selected: {names}"
    assert line in out
    document = _load(tmp_path / "m.json")
    assert line in document["gate"]["checked"]
    send = next(row for row in document["operations"] if row["operation"] == "SendOutboundEmail")
    assert (send["status"], send["not_selected"], send["checks"]) == ("not run", len(sends), 0)
    assert f"| SendOutboundEmail | not run ({len(sends)} not selected) |" in (tmp_path / "m.md").read_text(
        encoding="utf-8"
    )
    # With it, the merged gate fails naming them.
    code = cli.main(["report", "merge", str(a), "--output", str(tmp_path / "m.json"), "--require-all-checks"])
    out = capsys.readouterr().out
    assert code == 1, out
    failure = (
        f"--require-all-checks: {len(sends)} of the suite's {len(shipped)} shipped checks ran in no shard: {names}"
    )
    assert f"gate failed: {failure}" in out
    assert _load(tmp_path / "m.json")["gate"]["failures"] == [failure]
    b = _shard(tmp_path / "b.json", sends, GateOptions(), OtherTests(), [])
    assert (
        cli.main(["report", "merge", str(a), str(b), "--output", str(tmp_path / "m.json"), "--require-all-checks"]) == 0
    )
    checked = _load(tmp_path / "m.json")["gate"]["checked"]
    assert f"--require-all-checks: all {len(shipped)} of the suite's shipped checks ran" in checked
    assert f"all {len(shipped)} of the suite's shipped checks ran" in checked
