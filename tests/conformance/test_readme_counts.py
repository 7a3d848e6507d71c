"""Every count README.md states about the suite, the operations and the modelled errors is the code's: a
check added or an operation covered that the README does not follow fails here. Counts that depend on
botocore's model are stated (and compared) for the snapshot's botocore, so this holds on any botocore."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pytest_connect_email.conformance import STATEFUL, shipped_checks
from pytest_connect_email.contracts import active, spec

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
TEXT = " ".join(README.split())  # sentences wrap: compare with whitespace collapsed

CHECKS = len(shipped_checks())
WITH_STATEFUL = len(shipped_checks(stateful=True))
OPERATIONS = len(spec.OPERATIONS)

#: Numbers the README puts before "checks", "operations" and the like that are not counts of this project:
#: illustrations of other things (a report merge's budget, a header naming two changed operations, one check
#: of a gate example, moto's own test count).
NOT_COUNTS = {
    "4,000 checks",  # MAX_REPORT_BYTES holds about that many checks
    "2 operation(s)",  # an example header: contracts that differ from the snapshot in two operations
    "1 check(s)",  # the gate example of a run of one check
    "30 tests",  # moto's own Connect tests
}


def snapshot_modelled_errors() -> int:
    """The error shapes the snapshot's contracts list for the covered operations (the report's "modelled")."""
    directory = active.snapshot_dir()
    return sum(len(list((directory / operation / "errors").glob("*.json"))) for operation in spec.OPERATIONS)


def stated(pattern: str) -> list[tuple[str, ...]]:
    found = re.findall(pattern, TEXT)
    assert found, f"README.md no longer says {pattern!r}: update this test with the README"
    return [tuple(f) if isinstance(f, tuple) else (f,) for f in found]


def test_the_suite_size_and_the_operations_it_covers() -> None:
    assert stated(r"runs (\d+) checks with stable ids covering all (\d+) operations") == [
        (str(CHECKS), str(OPERATIONS))
    ]
    covered = {check.operation for check in shipped_checks().values()}
    assert set(spec.OPERATIONS) <= covered  # "all 22": every covered operation has a check
    assert stated(r"`connect-email checks` lists all (\d+), of the (\d+) operations plus") == [
        (str(WITH_STATEFUL), str(OPERATIONS))
    ]
    assert WITH_STATEFUL == CHECKS + 1  # "--stateful adds one more, STATEFUL-001"
    assert [c.id for c in shipped_checks(stateful=True).values() if c.operation == STATEFUL] == ["STATEFUL-001"]


def test_what_connect_email_checks_prints_matches(capsys: pytest.CaptureFixture[str]) -> None:
    from pytest_connect_email import cli

    assert cli.main(["checks"]) == 0
    last = capsys.readouterr().out.rstrip().splitlines()[-1]
    assert last == f"{WITH_STATEFUL} check(s) of {OPERATIONS + 2} operation(s)"  # + (protocol) and (stateful)


def test_the_operation_counts() -> None:
    for pattern in (
        r"one row per covered operation \(all (\d+),",
        r"at least one passing check, out of (\d+);",
        r"An emulator of the (\d+) covered operations",
        r"coverage: \d+ of (\d+) operations have (?:at least one passing check|a passing check of their own)",
    ):
        assert stated(pattern) == [(str(OPERATIONS),)], pattern


def test_the_gate_example_counts_every_check() -> None:
    assert stated(r"`(\d+) check\(s\) ran, none failed \((\d+) passed\)`") == [(str(CHECKS), str(CHECKS))]


def test_the_stateful_example_output() -> None:
    """Run with --stateful -k STATEFUL-001: the other checks are deselected; the modelled errors are the
    snapshot botocore's, which the README names."""
    assert stated(r"1 passed, (\d+) deselected in") == [(str(CHECKS),)]
    assert stated(r"with the snapshot's botocore ([0-9.]+), whose model lists (\d+) errors") == [
        (active.snapshot_version(), str(snapshot_modelled_errors()))
    ]
    assert stated(r"\d+ of (\d+) modelled errors exercised") == [(str(snapshot_modelled_errors()),)]


def test_no_other_count_is_stated() -> None:
    """Each number before checks/operations/modelled errors is one this file compares, or a listed illustration."""
    compared = {
        f"{CHECKS} checks",
        f"{CHECKS} check(s)",
        f"{OPERATIONS} operations",
        f"{OPERATIONS} covered operations",
        f"{snapshot_modelled_errors()} modelled errors",
    }
    found = re.findall(
        r"\b(\d[\d,]* (?:covered )?(?:check\(s\)|checks?|operation\(s\)|operations?|modelled errors|tests))", TEXT
    )
    assert found
    unknown = sorted({f for f in found if f not in compared | NOT_COUNTS})
    assert not unknown, f"README.md states counts this test does not compare: {unknown}"


def test_the_collected_suite_is_the_registered_one(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest(
        "-p", "connect_email", "-p", "no:cacheprovider", "--connect-conformance", "--collect-only", "-q",
        "-W", "ignore::pytest.PytestAssertRewriteWarning",
    )  # fmt: skip
    assert result.ret == 0, result.stdout.str()
    result.stdout.fnmatch_lines([f"{CHECKS} tests collected in *"])
