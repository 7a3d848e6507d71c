"""`connect-email schemas generate|check`, run as a user runs them."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pytest_connect_email import cli
from pytest_connect_email.contracts import active, spec

from .conftest import ROOT, installed_model_data, needs_snapshot_botocore, write_model


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest_connect_email.cli", *args], capture_output=True, text=True, check=False
    )


@needs_snapshot_botocore
def test_check_passes_on_the_committed_schemas() -> None:
    result = run("schemas", "check")
    assert result.returncode == 0, result.stdout + result.stderr
    committed = sum(1 for path in (ROOT / "schemas").rglob("*") if path.is_file())
    assert f"schemas OK: {committed} files in " in result.stdout


def test_generate_then_check_in_a_fresh_directory(tmp_path: Path) -> None:
    out = tmp_path / "contracts"
    assert run("schemas", "generate", "--dir", str(out)).returncode == 0
    first = {p: p.read_bytes() for p in out.rglob("*.json")}
    assert run("schemas", "generate", "--dir", str(out)).returncode == 0
    assert {p: p.read_bytes() for p in out.rglob("*.json")} == first  # byte-identical
    assert run("schemas", "check", "--dir", str(out)).returncode == 0


@needs_snapshot_botocore
def test_check_catches_a_hand_edited_file(tmp_path: Path) -> None:
    out = tmp_path / "schemas"
    shutil.copytree(ROOT / "schemas", out)
    target = out / "DisassociateEmailAddressAlias" / "request.json"
    doc = json.loads(target.read_text(encoding="utf-8"))
    doc["properties"]["InstanceId"]["maxLength"] = 99
    target.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    (out / "StartEmailContact" / "errors" / "ThrottlingException.json").unlink()
    (out / "Bogus").mkdir()
    (out / "Bogus" / "request.json").write_text("{}\n", encoding="utf-8")

    result = run("schemas", "check", "--dir", str(out))
    assert result.returncode == 1
    text = result.stdout
    assert "schemas DRIFT: 3 operation(s)" in text
    assert "=== DisassociateEmailAddressAlias ===" in text
    assert '-      "maxLength": 99,' in text
    assert '+      "maxLength": 100,' in text
    assert "missing file StartEmailContact/errors/ThrottlingException.json" in text
    assert "unexpected file Bogus/request.json" in text
    assert "connect-email schemas generate" in text


@needs_snapshot_botocore
def test_generate_repairs_drift_and_removes_stale_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "schemas"
    shutil.copytree(ROOT / "schemas", out)
    (out / "Bogus").mkdir()
    (out / "Bogus" / "request.json").write_text("{}\n", encoding="utf-8")
    assert cli.main(["schemas", "generate", "--dir", str(out)]) == 0
    assert "removed 1 stale" in capsys.readouterr().out
    assert cli.main(["schemas", "check", "--dir", str(out)]) == 0


@needs_snapshot_botocore
def test_version_only_difference_is_not_drift(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from pytest_connect_email.contracts import schemagen

    out = tmp_path / "schemas"
    for relative, text in schemagen.generate(botocore_version="1.0.0").items():
        (out / relative).parent.mkdir(parents=True, exist_ok=True)
        (out / relative).write_text(text, encoding="utf-8")
    assert cli.main(["schemas", "check", "--dir", str(out)]) == 0
    assert "stamped botocore 1.0.0; content identical" in capsys.readouterr().out


def test_help_lists_the_commands() -> None:
    result = run("schemas", "--help")
    assert result.returncode == 0
    assert "generate" in result.stdout
    assert "check" in result.stdout


@needs_snapshot_botocore
def test_check_says_whose_contracts_are_active() -> None:
    result = run("schemas", "check")
    first = result.stdout.splitlines()[0]
    assert first.startswith("active: contracts of botocore ")
    assert "the committed snapshot" in first


@needs_snapshot_botocore
def test_diff_shows_what_a_newer_model_adds(newer_model: Path) -> None:
    result = run("schemas", "diff", "--to", str(newer_model))
    assert result.returncode == 0, result.stdout + result.stderr  # additions break no caller
    text = result.stdout
    assert text.startswith(f"API changes from the snapshot (botocore {spec.botocore_version()}) to the model in ")
    assert "\nDescribeContact\n  response: + member Contact.VoicemailInfo (VoicemailInfo)\n" in text
    assert "  request: + enum value VOICEMAIL_MESSAGE of References{}.Type (ReferenceType)" in text
    assert "  request: + enum value VOICEMAIL_DIRECTORY of IdentityManagementType (DirectoryType)" in text
    assert "Contact.VoicemailInfo.TranscriptionStatus" not in text  # a new structure is reported once
    assert "could break callers]" not in text


@needs_snapshot_botocore
def test_diff_exits_1_on_changes_that_could_break_callers(tmp_path: Path) -> None:
    data = installed_model_data()
    shapes = data["shapes"]
    shapes["ReferenceType"]["enum"].remove("DATE")
    shapes["InboundSubject"] = {**shapes["InboundSubject"], "max": 10}
    del shapes["Contact"]["members"]["Name"]
    shapes["DescribeEmailAddressRequest"]["required"] = []  # loosened: not breaking
    data["operations"]["DescribeEmailAddress"]["errors"].append({"shape": "ServiceQuotaExceededException"})
    older = write_model(tmp_path / "m", data, version="1.99.0")
    result = run("schemas", "diff", "--from", "snapshot", "--to", str(older))
    assert result.returncode == 1, result.stdout + result.stderr
    text = result.stdout
    assert "to botocore 1.99.0:" in text.splitlines()[0]
    assert "request: - enum value DATE of References{}.Type (ReferenceType)  [could break callers]" in text
    assert (
        "limit maxLength of EmailMessage.RawMessage.Subject (InboundSubject): 998 -> 10 (tightened)  [could break"
        in text
    )
    assert "response: - member Contact.Name (Name)  [could break callers]" in text
    assert "request: ~ member InstanceId is no longer required\n" in text
    assert "errors: + new error ServiceQuotaExceededException\n" in text
    # and the other way round the same changes are loosening or additions
    back = run("schemas", "diff", "--from", str(older), "--to", "snapshot")
    assert "limit maxLength of EmailMessage.RawMessage.Subject (InboundSubject): 10 -> 998 (loosened)\n" in back.stdout
    assert "request: ~ member InstanceId is now required  [could break callers]" in back.stdout


def test_diff_of_the_same_contracts_in_two_forms_is_empty(tmp_path: Path) -> None:
    out = tmp_path / "contracts"
    assert run("schemas", "generate", "--dir", str(out)).returncode == 0
    result = run("schemas", "diff", "--from", str(out), "--to", spec.botocore_version())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "none: the covered operations are the same" in result.stdout


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("1.2.3", "botocore 1.2.3 is not installed here"),
        ("1.2.3", "pip download botocore==1.2.3 --no-deps -d DIR"),
        ("{tmp}", "holds no connect model"),
        ("{tmp}", "nor does it hold generated contracts (index.json is missing: write them with"),
        ("{tmp}/missing", "no such file or directory"),
    ],
)
def test_diff_bad_sources_say_what_to_do(tmp_path: Path, source: str, message: str) -> None:
    result = run("schemas", "diff", "--from", source.format(tmp=tmp_path))
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_generate_needs_dir_outside_a_checkout(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(active, "checkout_root", lambda: None)
    assert cli.main(["schemas", "generate"]) == 2
    assert "--dir is required outside a checkout" in capsys.readouterr().err


def test_conformance_runs_in_the_users_project(tmp_path: Path) -> None:
    """The rootdir and ini file are those of the directory the command runs in; cassettes go under it."""
    (tmp_path / "pytest.ini").write_text("[pytest]\nconnect_mode = record\nconnect_cassette_dir = tapes\n")
    result = subprocess.run(
        [sys.executable, "-m", "pytest_connect_email.cli", "conformance", "-p", "no:cacheprovider", "-k", "DISASSOC"],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"rootdir: {tmp_path}" in result.stdout
    assert "(mode record)" in result.stdout
    suite = tmp_path / "tapes" / "pytest_connect_email" / "conformance" / "checks.py"
    recorded = sorted(p.name for p in suite.glob("*.connect.yaml"))
    assert "test_disassociate_answers_200_with_an_empty_object.connect.yaml" in recorded


def test_checks_lists_every_check_with_its_source(capsys: pytest.CaptureFixture[str]) -> None:
    from pytest_connect_email import cli
    from pytest_connect_email.conformance import shipped_checks

    assert cli.main(["checks", "--markdown"]) == 0
    out = capsys.readouterr().out
    checks = shipped_checks(stateful=True)
    assert "STATEFUL-001" in checks
    for entry in checks.values():
        assert f"| {entry.id} |" in out
        assert entry.source.strip(), f"{entry.id} has no source"
    assert out.rstrip().endswith(
        f"{len(checks)} check(s) of {len({c.operation for c in checks.values()})} operation(s)"
    )
    assert cli.main(["checks", "--operation", "NoSuchOperation"]) == 2


def test_every_covered_operation_has_behavioural_checks() -> None:
    """The suite checks the behaviour of every covered operation, not only its contract."""
    from pytest_connect_email.conformance import shipped_checks
    from pytest_connect_email.contracts.spec import OPERATIONS

    by_operation: dict[str, list[str]] = {}
    for entry in shipped_checks().values():
        by_operation.setdefault(entry.operation, []).append(entry.id)
    assert [op for op in OPERATIONS if not by_operation.get(op)] == []


@pytest.fixture
def newer_botocore(newer_model: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An installed botocore whose model is newer than the snapshot's: `schemas check` finds drift."""
    model = spec.load_model(newer_model)
    monkeypatch.setattr(spec, "installed_model", lambda: model)
    monkeypatch.setattr(spec, "botocore_version", lambda: "1.99.0")


@pytest.mark.usefixtures("newer_botocore")
def test_check_outside_a_checkout_explains_the_drift_and_never_says_generate(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(active, "checkout_root", lambda: None)
    assert cli.main(["schemas", "check"]) == 1
    out = capsys.readouterr().out
    assert "schemas DRIFT:" in out
    assert "schemas generate" not in out  # it refuses without --dir outside a checkout
    advice = out.rsplit("\n\n", 1)[-1]
    assert advice.startswith(
        "The installed botocore 1.99.0's model differs from the contracts this release of pytest-connect-email "
        f"was built with (botocore {active.snapshot_version()})."
    )
    assert "the validator, the fakes and the emulator follow the installed botocore" in advice
    assert "run `connect-email schemas diff`" in advice
    capsys.readouterr()
    # the command it names runs here and shows the change (exit 1 on the floor botocore, whose model lacks operations)
    assert cli.main(["schemas", "diff"]) in (0, 1)
    shown = capsys.readouterr().out
    assert "VOICEMAIL_MESSAGE" in shown, shown


@pytest.mark.usefixtures("newer_botocore")
def test_check_in_a_checkout_says_generate_and_commit(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setattr(active, "checkout_root", lambda: tmp_path)
    assert cli.main(["schemas", "check"]) == 1
    out = capsys.readouterr().out
    assert out.rstrip().endswith(
        "If the change is expected (a botocore upgrade), run `connect-email schemas generate` and commit the result."
    )
    other = tmp_path / "my contracts"
    assert cli.main(["schemas", "generate", "--dir", str(other)]) == 0
    (other / "Bogus").mkdir()
    (other / "Bogus" / "request.json").write_text("{}\n", encoding="utf-8")
    capsys.readouterr()
    assert cli.main(["schemas", "check", "--dir", str(other)]) == 1
    assert f"run `connect-email schemas generate --dir '{other}'`" in capsys.readouterr().out


# -- connect-email conformance: what it collects ---------------------------------------------------------

SUITE_NODEID = "pytest_connect_email/conformance/addresses.py::test_created_address_reads_back"


@pytest.mark.parametrize(
    ("args", "named"),
    [
        ([], False),
        (["-k", "ADDR-001", "--connect-mode", "replay"], False),
        (["--connect-cassette-dir", "/tmp/cdir", "-n", "2", "--connect-report=report.json"], False),
        ([SUITE_NODEID], True),
        (["-k", "x", SUITE_NODEID], True),
        (["tests/test_mine.py"], True),
        (["pytest_connect_email.conformance.addresses"], True),
        (["--", "tests"], True),
    ],
)
def test_conformance_knows_when_tests_are_named(args: list[str], named: bool) -> None:
    assert cli.names_tests(args) is named


def test_conformance_with_a_pasted_node_id_runs_that_check_alone(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    runs: list[pytest.RunResult] = []

    def main(args: list[str]) -> int:  # the command's pytest run, in-process and isolated by pytester
        runs.append(pytester.runpytest(*args))
        return int(runs[-1].ret)

    monkeypatch.setattr(pytest, "main", main)
    assert cli.main(["conformance", SUITE_NODEID, "-p", "no:cacheprovider"]) == 0
    runs[-1].assert_outcomes(passed=1)  # that check, not the 114 of the suite
    assert "collected 1 item" in runs[-1].stdout.str()
    assert cli.main(["conformance", "-k", "ADDR-001", "--co", "-q", "-p", "no:cacheprovider"]) == 0
    assert [line for line in runs[-1].outlines if "::" in line] == [SUITE_NODEID]  # no selection: the suite, -k'd
    pytester.makepyfile(test_mine="def test_mine():\n    pass\n")
    assert cli.main(["conformance", "test_mine.py", "--co", "-q", "-p", "no:cacheprovider"]) == 0
    collected = [line for line in runs[-1].outlines if "::" in line]
    assert "test_mine.py::test_mine" in collected  # a file of the user's own runs beside the suite
    assert SUITE_NODEID in collected
