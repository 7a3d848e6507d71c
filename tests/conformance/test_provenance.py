"""Where each connect setting of a run came from: ``Settings.sources`` and the pytest header, and what
``connect-email conformance`` does with a project's ini file (it uses it, and says so)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_connect_email import cli
from pytest_connect_email.pytest.settings import SETTINGS, Settings

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestAssertRewriteWarning")

QUIET = ("-p", "no:cacheprovider", "-W", "ignore::pytest.PytestAssertRewriteWarning")
MODULE = "pytest_connect_email.conformance.addresses"


class Keep:
    """A plugin that keeps the run's resolved settings."""

    settings: Settings | None = None

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        self.settings = session.config.stash[SETTINGS]


def resolved(pytester: pytest.Pytester, *args: str) -> tuple[Settings, pytest.RunResult]:
    keep = Keep()
    result = pytester.runpytest("-p", "connect_email", "--collect-only", *QUIET, *args, plugins=[keep])
    assert keep.settings is not None, result.stdout.str()
    return keep.settings, result


def test_each_layer_is_named(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    ini = pytester.makeini(
        "[pytest]\nconnect_mode = replay\nconnect_email_domain = ini.example.com\n"
        "addopts = --connect-region eu-west-2 --connect-seed 5\n"
    )
    pytester.makepyfile("def test_nothing():\n    pass\n")
    monkeypatch.setenv("PYTEST_ADDOPTS", "--connect-seed 7 -o connect_record_mode=all")
    settings, result = resolved(pytester, "--connect-instance-id", "abc", "-o", "connect_queue_id=q-1")
    assert {option: (value, source) for option, value, source in settings.sources} == {
        "--connect-mode": ("replay", f"ini file {ini}"),
        "--connect-region": ("eu-west-2", f"addopts in {ini}"),
        "--connect-seed": ("7", "PYTEST_ADDOPTS"),  # given in addopts too: PYTEST_ADDOPTS comes later and wins
        "--connect-instance-id": ("abc", "command line"),
        "--connect-queue-id": ("q-1", "command line (-o)"),
        "--connect-record-mode": ("all", "PYTEST_ADDOPTS (-o)"),
        "--connect-email-domain": ("ini.example.com", f"ini file {ini}"),
    }
    assert (settings.mode, settings.region, settings.seed, settings.record_mode) == ("replay", "eu-west-2", 7, "all")
    header = next(line for line in result.outlines if line.startswith("connect-email settings:"))
    assert f"--connect-mode replay (from ini file {ini})" in header
    assert "--connect-instance-id abc (from command line)" in header
    result.stdout.fnmatch_lines(
        ["connect-email: --connect-mode, --connect-region, --connect-email-domain came from the project's ini file*"
         "on the command line, --connect-mode emulator or -o connect_mode=emulator; --connect-region VALUE or "
         "-o connect_region=VALUE; --connect-email-domain VALUE or -o connect_email_domain=VALUE overrides each"]
    )  # fmt: skip


def test_a_run_given_nothing_lists_nothing(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_nothing():\n    pass\n")
    settings, result = resolved(pytester)
    assert settings.sources == ()
    assert not [line for line in result.outlines if "connect-email settings" in line]


def run_conformance(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, *args: str) -> pytest.RunResult:
    """``connect-email conformance ARGS`` in the project's directory, its pytest run made in-process."""
    runs: list[pytest.RunResult] = []

    def main(arguments: list[str]) -> int:
        runs.append(pytester.runpytest(*arguments))
        return int(runs[-1].ret)

    monkeypatch.setattr(pytest, "main", main)
    code = cli.main(["conformance", *QUIET, *args])
    assert code == runs[0].ret
    return runs[0]


def test_conformance_uses_the_projects_ini_and_says_so(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    ini = pytester.makeini("[pytest]\nconnect_mode = replay\n")
    result = run_conformance(pytester, monkeypatch, "-k", "ADDR-001")
    result.stdout.fnmatch_lines(
        [
            "connect-email: pytest-connect-email *, mode replay*",
            f"connect-email settings: --connect-mode replay (from ini file {ini});*",
            "connect-email: --connect-mode came from the project's ini file (connect-email conformance uses it too)*",
            f"configfile: {Path(ini).name}",
        ]
    )
    result.assert_outcomes(errors=1)  # replay, and the project has no cassettes: what its ini asked for
    assert "no cassette at" in result.stdout.str()

    overridden = run_conformance(pytester, monkeypatch, "-k", "ADDR-001", "--connect-mode", "emulator")
    overridden.assert_outcomes(passed=1)
    overridden.stdout.fnmatch_lines(
        ["connect-email settings: --connect-mode emulator (from command line); "
         "--connect-conformance true (from connect-email conformance)"]
    )  # fmt: skip


def test_the_option_the_user_gives_is_still_from_the_command_line(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_nothing():\n    pass\n")
    settings, _ = resolved(pytester, "--connect-conformance", "-k", "nothing")
    assert ("--connect-conformance", "true", "command line") in settings.sources


def test_an_unknown_required_operation_suggests_the_closest(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_nothing():\n    pass\n")
    result = pytester.runpytest("-p", "connect_email", *QUIET, "--connect-require-operations", "DeleteEmailAdress")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*unknown operation(s) DeleteEmailAdress (did you mean DeleteEmailAddress?); choose from *CreateEmailAddress*"]
    )
