"""Hostile output paths: overlong names, symlink loops and two outputs on one file are usage errors before
any test (exit 4), naming the option and the path; never an INTERNALERROR or a lost file."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_connect_email import cli
from pytest_connect_email.conformance.report import writable_problem

from .conftest import bounded

PASSING = "import pathlib\n\ndef test_ran():\n    pathlib.Path('ran').write_text('1')\n"
LONG = "a" * 300 + ".json"


def test_writable_problem_answers_for_an_overlong_name_and_a_symlink_loop(tmp_path: Path) -> None:
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    with bounded():
        assert "File name too long" in writable_problem(tmp_path / LONG)
        assert "symbolic links" in writable_problem(tmp_path / "loop" / "x.json")
        assert writable_problem(tmp_path / "fine.json") == ""


@pytest.mark.parametrize("option", ["--connect-report", "--connect-usage", "--connect-write-baseline"])
def test_an_overlong_output_path_is_a_usage_error(pytester: pytest.Pytester, option: str) -> None:
    pytester.makepyfile(PASSING)
    with bounded():
        result = pytester.runpytest("-p", "connect_email", option, LONG)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*{option} {LONG}*File name too long*"])
    assert "INTERNALERROR" not in result.stdout.str() + result.stderr.str()
    assert not (pytester.path / "ran").exists()


def test_an_output_path_through_a_symlink_loop_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(PASSING)
    (pytester.path / "loop").symlink_to(pytester.path / "loop")
    result = pytester.runpytest("-p", "connect_email", "--connect-usage", "loop/usage.json")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--connect-usage loop/usage.json*symbolic links*"])
    assert not (pytester.path / "ran").exists()


def test_report_merge_with_an_overlong_output_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report = tmp_path / "a.json"
    report.write_text("{}", encoding="utf-8")
    with bounded():
        status = cli.main(["report", "merge", str(report), str(report), "--output", str(tmp_path / LONG)])
    assert status == 2
    assert "File name too long" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--connect-report", "same.json", "--connect-usage", "same.json"], ("--connect-report", "--connect-usage")),
        (["--connect-report", "s2.json", "--connect-usage", "s2.md"], ("Markdown", "--connect-usage")),
        (["--junitxml", "jr.json", "--connect-report", "jr.json"], ("--connect-report", "--junitxml")),
        (
            ["--connect-report", "sub/../w.json", "--connect-write-baseline", "w.json"],
            ("--connect-report", "--connect-write-baseline"),
        ),
        (
            ["--connect-usage", "u.json", "--connect-write-baseline", "./u.json"],
            ("--connect-usage", "--connect-write-baseline"),
        ),
    ],
)
def test_two_outputs_on_one_file_are_refused_before_any_test(
    pytester: pytest.Pytester, args: list[str], named: tuple[str, str]
) -> None:
    pytester.makepyfile(PASSING)
    (pytester.path / "sub").mkdir()
    result = pytester.runpytest("-p", "connect_email", *args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    err = result.stderr.str()
    assert "same file" in err, err
    assert all(name in err for name in named), err
    assert not (pytester.path / "ran").exists()


def test_a_symlink_to_another_output_is_the_same_file(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(PASSING)
    (pytester.path / "real.json").write_text("{}", encoding="utf-8")
    (pytester.path / "link.json").symlink_to(pytester.path / "real.json")
    result = pytester.runpytest("-p", "connect_email", "--connect-report", "real.json", "--connect-usage", "link.json")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert (pytester.path / "real.json").read_text(encoding="utf-8") == "{}"
