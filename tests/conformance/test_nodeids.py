"""The shipped suite run from a user's project (the package outside the rootdir) keeps its module path in
its node ids: ``-v``, ``--junitxml`` class names and the commands the plugin prints name it, and a printed
command pasted in the project's directory runs the check it names."""

from __future__ import annotations

import re
import shlex
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import pytest_connect_email
from pytest_connect_email.conformance import NODE_PREFIX

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestAssertRewriteWarning")

MODULE = "pytest_connect_email.conformance.addresses"
TEST = "test_created_address_reads_back"
NODEID = f"{NODE_PREFIX}addresses.py::{TEST}"
QUIET = ("-p", "no:cacheprovider", "-W", "ignore::pytest.PytestAssertRewriteWarning")


def test_the_package_is_outside_the_project(pytester: pytest.Pytester) -> None:
    package = Path(pytest_connect_email.__file__).resolve().parent
    with pytest.raises(ValueError, match="is not in the subpath"):
        package.relative_to(pytester.path.resolve())


def test_node_ids_and_junit_class_names_carry_the_module_path(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest(
        "-p", "connect_email", "--connect-conformance", "--pyargs", MODULE, "-k", TEST, "-v", "--junitxml=junit.xml",
        *QUIET,
    )  # fmt: skip
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([f"{NODEID} PASSED*"])
    assert f" ::{TEST}" not in result.stdout.str()
    cases = ET.parse(pytester.path / "junit.xml").getroot().iter("testcase")
    assert [(c.get("classname"), c.get("name")) for c in cases] == [(MODULE, TEST), ("connect-email", "gate")]


def test_a_check_is_selected_by_its_printed_node_id_and_its_id(pytester: pytest.Pytester) -> None:
    by_nodeid = pytester.runpytest("-p", "connect_email", NODEID, "--collect-only", "-q", *QUIET)
    assert by_nodeid.ret == 0, by_nodeid.stdout.str()
    assert [line for line in by_nodeid.outlines if "::" in line] == [NODEID]  # that check only, not the suite
    by_id = pytester.runpytest("-p", "connect_email", "--connect-conformance", "-k", "ADDR-001", "--co", "-q", *QUIET)
    assert [line for line in by_id.outlines if "::" in line] == [NODEID]


def test_the_printed_recording_command_runs_when_pasted(pytester: pytest.Pytester) -> None:
    cassettes = pytester.path / "cassettes"
    missing = pytester.runpytest(
        "-p", "connect_email", "--connect-conformance", "--pyargs", MODULE, "-k", TEST, "--connect-mode", "replay",
        *QUIET,
    )  # fmt: skip
    assert missing.ret != 0
    hint = re.search(r"record it with: (pytest -p connect_email --connect-mode record .+)$", missing.stdout.str(), re.M)
    assert hint is not None, missing.stdout.str()
    command = shlex.split(hint.group(1))
    assert command[-1] == NODEID
    assert not cassettes.exists()

    recorded = pytester.runpytest(*command[1:], *QUIET)  # as pasted in the project's directory
    recorded.assert_outcomes(passed=1)
    cassette = cassettes / NODE_PREFIX / "addresses.py" / f"{TEST}.connect.yaml"
    assert cassette.is_file()
    replayed = pytester.runpytest(
        "-p", "connect_email", "--connect-conformance", "--pyargs", MODULE, "-k", TEST, "--connect-mode", "replay",
        *QUIET,
    )  # fmt: skip
    replayed.assert_outcomes(passed=1)


def test_the_printed_recording_command_keeps_the_runs_cassette_settings(pytester: pytest.Pytester) -> None:
    """A replay given --connect-cassette-dir (and a region) prints a command that records where it looks."""
    tapes = pytester.path / "my tapes"  # a space: the command quotes each argument
    replay = (
        "-p", "connect_email", "--connect-conformance", "--pyargs", MODULE, "-k", TEST, "--connect-mode", "replay",
        "--connect-cassette-dir", str(tapes), "--connect-region", "eu-west-2", *QUIET,
    )  # fmt: skip
    missing = pytester.runpytest(*replay)
    assert missing.ret != 0
    hint = re.search(r"record it with: (pytest .+)$", missing.stdout.str(), re.M)
    assert hint is not None, missing.stdout.str()
    command = shlex.split(hint.group(1))
    assert command == [
        "pytest", "-p", "connect_email", "--connect-mode", "record", "--connect-region", "eu-west-2",
        "--connect-cassette-dir", str(tapes), NODEID,
    ]  # fmt: skip

    pytester.runpytest(*command[1:], *QUIET).assert_outcomes(passed=1)  # pasted in the project's directory
    assert (tapes / NODE_PREFIX / "addresses.py" / f"{TEST}.connect.yaml").is_file()
    assert not (pytester.path / "cassettes").exists()
    pytester.runpytest(*replay).assert_outcomes(passed=1)
