"""`connect-email schemas generate|check`, run as a user runs them."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pytest_connect_email import cli

from .conftest import ROOT


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest_connect_email.cli", *args], capture_output=True, text=True, check=False
    )


def test_check_passes_on_the_committed_schemas() -> None:
    result = run("schemas", "check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "schemas OK: 168 files" in result.stdout


def test_generate_then_check_in_a_fresh_directory(tmp_path: Path) -> None:
    out = tmp_path / "contracts"
    assert run("schemas", "generate", "--dir", str(out)).returncode == 0
    first = {p: p.read_bytes() for p in out.rglob("*.json")}
    assert run("schemas", "generate", "--dir", str(out)).returncode == 0
    assert {p: p.read_bytes() for p in out.rglob("*.json")} == first  # byte-identical
    assert run("schemas", "check", "--dir", str(out)).returncode == 0


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


def test_generate_repairs_drift_and_removes_stale_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "schemas"
    shutil.copytree(ROOT / "schemas", out)
    (out / "Bogus").mkdir()
    (out / "Bogus" / "request.json").write_text("{}\n", encoding="utf-8")
    assert cli.main(["schemas", "generate", "--dir", str(out)]) == 0
    assert "removed 1 stale" in capsys.readouterr().out
    assert cli.main(["schemas", "check", "--dir", str(out)]) == 0


def test_version_only_difference_is_not_drift(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from pytest_connect_email import schemagen

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
    recorded = sorted(p.name for p in (tmp_path / "tapes" / "conformance_checks").glob("*.connect.yaml"))
    assert "test_disassociate_answers_200_with_an_empty_object.connect.yaml" in recorded
