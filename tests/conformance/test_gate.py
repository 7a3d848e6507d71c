"""The run's gates (--connect-fail-on-not-implemented, --connect-require-operations), the one-line
"not implemented" detail, the per-operation report with its coverage figure, and baseline reasons."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from pytest_connect_email.conformance import shipped_checks
from pytest_connect_email.contracts.spec import OPERATIONS
from pytest_connect_email.emulator.codec import HttpResponse
from tests.loopback import serving
from tests.pytest.test_plugin import BROKEN_IDS, BROKEN_TARGET, _report

HTML_404 = (
    b"<!DOCTYPE html>\n<html><head><title>404 Not Found</title><style>body { color: red; }</style></head>\n"
    b"<body>\n  <h1>Not   Found</h1>\n  <p>The requested URL was not found on this server &amp; nowhere else.</p>\n"
    + b"<p>"
    + b"padding " * 60
    + b"</p></body></html>\n"
)


@pytest.fixture
def html_404_endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A web server that knows no Connect operation: every request gets an HTML 404 page."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")  # inherited by the pytester subprocess
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    yield from serving(lambda _: HttpResponse(404, {"Content-Type": "text/html; charset=utf-8"}, HTML_404))


def _live(endpoint: str) -> list[str]:
    return [
        "-p",
        "connect_email",
        "--connect-conformance",
        "--connect-mode=live",
        f"--connect-endpoint-url={endpoint}",
        "--connect-instance-id=11111111-2222-3333-4444-555555555555",
    ]


def test_help_lists_the_gate_options(pytester: pytest.Pytester) -> None:
    out = pytester.runpytest("-p", "connect_email", "--help").stdout.str()
    for text in (
        "--connect-fail-on-not-implemented",
        "connect_fail_on_not_implemented",
        "--connect-require-operations",
        "connect_require_operations",
    ):
        assert text in out


@pytest.mark.parametrize("how", ["option", "ini"])
def test_an_unknown_required_operation_is_a_usage_error(pytester: pytest.Pytester, how: str) -> None:
    if how == "ini":
        pytester.makeini("[pytest]\nconnect_require_operations = StartEmailContact, SendEmail\n")
        result = pytester.runpytest("-p", "connect_email")
    else:
        result = pytester.runpytest("-p", "connect_email", "--connect-require-operations=StartEmailContact,SendEmail")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    message = result.stderr.str()
    assert "unknown operation(s) SendEmail" in message
    assert all(op in message for op in OPERATIONS)


@pytest.mark.parametrize(
    ("args", "ini", "gated"),
    [
        pytest.param([], "", False, id="no-gate"),
        pytest.param(["--connect-fail-on-not-implemented"], "", True, id="fail-on-not-implemented"),
        pytest.param([], "connect_fail_on_not_implemented = true\n", True, id="fail-on-not-implemented-ini"),
        pytest.param(["--connect-require-operations=DescribeEmailAddress"], "", True, id="require-operations"),
        pytest.param([], "connect_require_operations = StartEmailContact\n", True, id="require-operations-ini"),
    ],
)
def test_an_endpoint_that_answers_html_404_is_not_implemented_and_gated(
    pytester: pytest.Pytester, html_404_endpoint: str, args: list[str], ini: str, gated: bool
) -> None:
    if ini:
        pytester.makeini("[pytest]\n" + ini)
    report = pytester.path / "report.json"
    # The plain run checks every check's detail; each gate's run needs only the operations the gates name
    # (every check of this endpoint is "not implemented" alike), so they select those.
    subset = ["-k", "DescribeEmailAddress or StartEmailContact"] if gated else []
    result = pytester.runpytest_subprocess(
        *_live(html_404_endpoint), f"--connect-report={report}", *args, *subset, timeout=300
    )
    checks = _report(report)
    if gated:
        assert {c["operation"] for c in checks.values()} == {"DescribeEmailAddress", "StartEmailContact"}
    assert {c["outcome"] for c in checks.values()} == {"not implemented"}
    for check in checks.values():
        detail = check["detail"]
        assert "\n" not in detail
        assert "<" not in detail, detail  # no raw HTML
        assert ">" not in detail, detail
        assert "HTTP 404" in detail
        # the status once, the page's text without what repeats it ("404 Not Found Not Found The requested ...")
        assert ": HTTP 404 Not Found: The requested URL was not found on this server & nowhere else." in detail
        text = detail.split(": ", 2)[-1]  # after "X is not implemented by the endpoint: HTTP 404 Not Found: "
        assert len(text) <= 120, text
    if gated:
        assert result.ret == pytest.ExitCode.TESTS_FAILED, result.stdout.str()
        result.stdout.fnmatch_lines(["*gate failed: --connect-*"])
    else:
        assert result.ret == pytest.ExitCode.OK, result.stdout.str()
        assert "gate failed" not in result.stdout.str()


def test_required_operations_need_a_passing_check_and_the_report_covers_every_operation(
    pytester: pytest.Pytester, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("xdist")
    from pytest_connect_email.contracts import validator

    step_summary = tmp_path / "step-summary.md"
    step_summary.write_text("# earlier step\n", encoding="utf-8")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(step_summary))
    report = pytester.path / "report.json"
    result = pytester.runpytest_subprocess(
        "-p",
        "connect_email",
        "--connect-conformance",
        "-n",
        "2",
        f"--connect-report={report}",
        "--connect-fail-on-not-implemented",
        "--connect-require-operations=StartEmailContact,CreateEmailAddress",
        "-k",
        "not CreateEmailAddress",
        timeout=300,
    )
    # Every check that ran passes, but CreateEmailAddress's checks were deselected: the gate fails the run.
    assert result.ret == pytest.ExitCode.TESTS_FAILED, result.stdout.str()
    result.stdout.fnmatch_lines(
        ["*gate failed: --connect-require-operations: CreateEmailAddress has no passing check (no checks ran)*"]
    )
    assert "StartEmailContact has" not in result.stdout.str()

    document = json.loads(report.read_text(encoding="utf-8"))
    assert {c["outcome"] for c in document["checks"]} == {"passed"}
    rows = {row["operation"]: row for row in document["operations"]}
    # Every covered operation in order, then the pseudo-operation of the protocol checks.
    assert [row["operation"] for row in document["operations"]] == [*OPERATIONS, "(protocol)"]
    create = dict(rows["CreateEmailAddress"])
    unselected = sum(c.operation == "CreateEmailAddress" for c in shipped_checks().values())
    assert unselected > 0
    modelled = sorted(validator.error_codes("CreateEmailAddress"))
    assert set(create.pop("errors_exercised")) <= set(modelled)  # answered in other checks' setup calls, maybe
    assert create == {
        "operation": "CreateEmailAddress",
        "checks": 0,
        "passed": 0,
        "failed": 0,
        "not implemented": 0,
        "skipped": 0,
        "covered": False,
        "status": "not run",  # it has shipped checks: -k deselected them
        "not_selected": unselected,
        "missing_for": [],
        "errors_modelled": modelled,
    }
    start = rows["StartEmailContact"]
    assert start["covered"]
    assert start["status"] == "covered"
    assert start["checks"] == start["passed"] == sum(c["operation"] == "StartEmailContact" for c in document["checks"])
    covered = {c["operation"] for c in document["checks"]} & set(OPERATIONS)
    assert document["coverage"] == {
        "covered": len(covered),
        "operations": len(OPERATIONS),
        "uncovered": [op for op in OPERATIONS if op not in covered],
        "errors": {
            "exercised": sum(len(row["errors_exercised"]) for row in document["operations"]),
            "modelled": sum(len(validator.error_codes(op)) for op in OPERATIONS),
        },
    }
    assert document["coverage"]["errors"]["exercised"] > 0  # the suite's checks of refusals
    markdown = report.with_suffix(".md").read_text(encoding="utf-8")
    assert f"Coverage: **{len(covered)} of {len(OPERATIONS)}** operations" in markdown
    table = [line for line in markdown.splitlines() if line.startswith("| ") and not line.startswith("| operation")]
    assert [line.split(" | ")[0][2:] for line in table] == [*OPERATIONS, "(protocol)"]
    create_errors = f"{len(rows['CreateEmailAddress']['errors_exercised'])}/{len(modelled)}"
    assert (
        f"| CreateEmailAddress | not run ({unselected} not selected) | 0 | 0 | 0 | 0 | {create_errors} | 0 checks |"
        in markdown
    )
    assert step_summary.read_text(encoding="utf-8") == "# earlier step\n" + markdown + "\n"

    # The same run, requiring only operations that pass: green.
    monkeypatch.delenv("GITHUB_STEP_SUMMARY")
    green = pytester.runpytest_subprocess(
        "-p",
        "connect_email",
        "--connect-conformance",
        "--connect-fail-on-not-implemented",
        "--connect-require-operations=StartEmailContact,DescribeEmailAddress",
        timeout=300,
    )
    assert green.ret == pytest.ExitCode.OK, green.stdout.str()
    assert "gate failed" not in green.stdout.str()


def test_a_written_baseline_gives_the_failure_summary_as_reason(pytester: pytest.Pytester) -> None:
    pytest.importorskip("xdist")  # the summary must survive the trip from a worker to the controller
    pytester.makeconftest(BROKEN_TARGET)
    written = pytester.path / "baseline.json"
    result = pytester.runpytest_subprocess(
        "-p", "connect_email", "--connect-conformance", "-n", "2", f"--connect-write-baseline={written}", timeout=300
    )
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    reasons = {i: e["reason"] for i, e in json.loads(written.read_text(encoding="utf-8"))["checks"].items()}
    assert set(reasons) >= BROKEN_IDS
    assert reasons["DISASSOC-001"].startswith("AssertionError: expected an empty JSON object"), reasons
    assert reasons["DISASSOC-005"] == "Failed: DID NOT RAISE ClientError"
    for reason in reasons.values():
        assert ".py:" not in reason, reason
        assert "\n" not in reason, reason


# -- "not implemented" names the missing operation, the setup call included --------------------------

NO_CREATE_EMAIL_ADDRESS = """
import pytest
from pytest_connect_email.emulator import Emulator
from pytest_connect_email.emulator.errors import ServiceError


def unknown(tx, params):
    raise ServiceError("UnknownOperationException", "CreateEmailAddress is not supported by this service")


@pytest.fixture(scope="session")
def connect_emulator():
    # Implements every operation but CreateEmailAddress, which the email_address fixture calls.
    emulator = Emulator.create()
    emulator.backend._handlers["CreateEmailAddress"] = unknown
    yield emulator
"""

DEMO_CHECKS = """
import uuid

import pytest
from botocore.exceptions import ClientError

from pytest_connect_email.conformance import check


@check("DEMO-001", "DescribeEmailAddress", "an unknown address is refused")
def test_describe_unknown(connect_client, connect_instance_id):
    with pytest.raises(ClientError):
        connect_client.describe_email_address(InstanceId=connect_instance_id, EmailAddressId=str(uuid.uuid4()))


@check("DEMO-002", "DisassociateEmailAddressAlias", "creates an address in its body")
def test_body_needs_an_address(connect_client, connect_instance_id, email_address):
    email_address()


@check("DEMO-003", "AssociateEmailAddressAlias", "its fixture creates two addresses")
def test_setup_needs_addresses(alias_pair):
    pass


@check("DEMO-004", "CreateEmailAddress", "creates an address itself")
def test_create(connect_client, connect_instance_id):
    connect_client.create_email_address(InstanceId=connect_instance_id, EmailAddress="a@example.com")


@check("DEMO-005", "DeleteEmailAddress", "an error answer in a failing check is not counted")
def test_delete_unknown_then_fail(connect_client, connect_instance_id):
    with pytest.raises(ClientError):
        connect_client.delete_email_address(InstanceId=connect_instance_id, EmailAddressId=str(uuid.uuid4()))
    assert False, "deliberately failing"
"""


def test_not_implemented_names_the_missing_operation_setup_calls_included(pytester: pytest.Pytester) -> None:
    pytest.importorskip("xdist")  # the attribution must survive the trip from a worker to the controller
    pytester.makeconftest(NO_CREATE_EMAIL_ADDRESS)
    pytester.makepyfile(test_demo=DEMO_CHECKS)
    report = pytester.path / "report.json"
    args = ["-p", "connect_email", "-n", "2", "-rs", f"--connect-report={report}"]
    result = pytester.runpytest_subprocess(*args, "--connect-require-operations=CreateEmailAddress", timeout=300)
    out = result.stdout.str()
    assert result.ret == pytest.ExitCode.TESTS_FAILED, out
    checks = _report(report)
    assert {i: c["outcome"] for i, c in checks.items()} == {
        "DEMO-001": "passed",
        "DEMO-002": "not implemented",
        "DEMO-003": "not implemented",
        "DEMO-004": "not implemented",
        "DEMO-005": "failed",
    }
    for check_id in ("DEMO-002", "DEMO-003", "DEMO-004"):
        assert checks[check_id]["missing_operation"] == "CreateEmailAddress"
        assert checks[check_id]["detail"].startswith(
            "CreateEmailAddress is not implemented by the endpoint: HTTP 400 UnknownOperationException: "
            "CreateEmailAddress is not supported by this service"
        )
    assert "missing_operation" not in checks["DEMO-001"]

    rows = {row["operation"]: row for row in json.loads(report.read_text(encoding="utf-8"))["operations"]}
    assert rows["CreateEmailAddress"]["missing_for"] == ["DEMO-002", "DEMO-003", "DEMO-004"]
    assert rows["CreateEmailAddress"]["status"] == "not implemented"
    assert rows["DisassociateEmailAddressAlias"]["missing_for"] == []
    assert rows["DisassociateEmailAddressAlias"]["not implemented"] == 1
    assert rows["DisassociateEmailAddressAlias"]["status"] == "not covered"  # it is not the one missing
    assert rows["DescribeEmailAddress"]["status"] == "covered"

    markdown = report.with_suffix(".md").read_text(encoding="utf-8")
    create_row = next(line for line in markdown.splitlines() if line.startswith("| CreateEmailAddress |"))
    assert create_row.startswith("| CreateEmailAddress | not implemented | 0 | 0 | 1 | 0 | ")
    assert create_row.endswith(" | DEMO-004:n/i; missing for DEMO-002 DEMO-003 |")
    assert "- **DEMO-003** AssociateEmailAddressAlias: not implemented — setup call CreateEmailAddress is" in markdown
    assert "- **DEMO-004** CreateEmailAddress: not implemented — CreateEmailAddress is" in markdown

    # The terminal: a check of another operation names the setup call; the operation's own check does not.
    result.stdout.fnmatch_lines(
        [
            "DEMO-002 not implemented: setup call CreateEmailAddress is not implemented by the endpoint: "
            "HTTP 400 UnknownOperationException: *",
            "DEMO-003 not implemented: setup call CreateEmailAddress is not implemented by the endpoint: *",
            "DEMO-004 not implemented: CreateEmailAddress is not implemented by the endpoint: *",
            "*gate failed: --connect-require-operations: CreateEmailAddress is not implemented "
            "(DEMO-002, DEMO-003, DEMO-004)*",
        ]
    )
    # pytest's own skip reason (-rs) names the setup call too, for the setup-phase skip of DEMO-003.
    assert "not implemented: setup call CreateEmailAddress" in out
    # A setup call the endpoint lacks makes a skip ("not implemented"), not an error.
    assert result.parseoutcomes() == {"passed": 1, "failed": 1, "skipped": 3}


def test_a_required_operation_missing_only_in_setup_calls_fails_the_gate(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(NO_CREATE_EMAIL_ADDRESS)
    pytester.makepyfile(test_demo=DEMO_CHECKS)
    result = pytester.runpytest_subprocess(
        "-p", "connect_email", "-k", "DEMO-003", "--connect-require-operations=CreateEmailAddress", timeout=300
    )
    # No check of CreateEmailAddress ran; the one that ran found it missing in its setup.
    assert result.ret == pytest.ExitCode.TESTS_FAILED, result.stdout.str()
    result.stdout.fnmatch_lines(
        ["*gate failed: --connect-require-operations: CreateEmailAddress is not implemented (DEMO-003)*"]
    )
    result.assert_outcomes(skipped=1, deselected=4)


def test_the_shipped_suite_attributes_a_missing_setup_operation(pytester: pytest.Pytester) -> None:
    pytest.importorskip("xdist")
    pytester.makeconftest(NO_CREATE_EMAIL_ADDRESS)
    report = pytester.path / "report.json"
    result = pytester.runpytest_subprocess(
        "-p", "connect_email", "--connect-conformance", "-n", "2", f"--connect-report={report}", timeout=300
    )
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    checks = _report(report)
    gaps = sorted(i for i, c in checks.items() if c["outcome"] == "not implemented")
    blocked = [i for i in gaps if checks[i]["operation"] != "CreateEmailAddress"]
    assert blocked, "the suite has checks whose setup creates addresses"
    assert {checks[i]["missing_operation"] for i in gaps} == {"CreateEmailAddress"}
    assert any(c["outcome"] == "passed" for c in checks.values())  # the rest still ran
    rows = {row["operation"]: row for row in json.loads(report.read_text(encoding="utf-8"))["operations"]}
    assert rows["CreateEmailAddress"]["missing_for"] == gaps
    assert rows["CreateEmailAddress"]["status"] == "not implemented"
    result.stdout.fnmatch_lines(
        [f"{i} not implemented: setup call CreateEmailAddress is not implemented by the endpoint: *" for i in blocked]
    )


# -- coverage of the modelled errors -----------------------------------------------------------------


def test_coverage_counts_the_modelled_errors_answered_during_passing_checks(pytester: pytest.Pytester) -> None:
    pytest.importorskip("xdist")  # what a check saw travels from the worker in its report
    from pytest_connect_email.contracts import validator

    pytester.makepyfile(test_demo=DEMO_CHECKS)
    report = pytester.path / "report.json"
    result = pytester.runpytest_subprocess("-p", "connect_email", "-n", "2", f"--connect-report={report}", timeout=300)
    assert result.ret == pytest.ExitCode.TESTS_FAILED  # DEMO-005 fails on purpose
    document = json.loads(report.read_text(encoding="utf-8"))
    rows = {row["operation"]: row for row in document["operations"]}
    for operation in OPERATIONS:
        assert rows[operation]["errors_modelled"] == sorted(validator.error_codes(operation))
    assert "ResourceNotFoundException" in rows["DescribeEmailAddress"]["errors_modelled"]
    assert rows["DescribeEmailAddress"]["errors_exercised"] == ["ResourceNotFoundException"]
    # DeleteEmailAddress answered ResourceNotFoundException too, but in a check that failed.
    assert "ResourceNotFoundException" in rows["DeleteEmailAddress"]["errors_modelled"]
    assert rows["DeleteEmailAddress"]["errors_exercised"] == []
    exercised = sum(len(row["errors_exercised"]) for row in document["operations"])
    modelled = sum(len(rows[op]["errors_modelled"]) for op in OPERATIONS)
    assert exercised == 1
    assert document["coverage"]["errors"] == {"exercised": 1, "modelled": modelled}

    markdown = report.with_suffix(".md").read_text(encoding="utf-8")
    assert f"Modelled errors exercised: 1 of {modelled}" in markdown
    header = "| operation | status | passed | failed | not implemented | skipped | errors exercised | checks |"
    assert header in markdown
    described = len(rows["DescribeEmailAddress"]["errors_modelled"])
    assert f"| DescribeEmailAddress | covered | 1 | 0 | 0 | 0 | 1/{described} | DEMO-001:pass |" in markdown
    result.stdout.fnmatch_lines(
        [f"coverage: * operations have at least one passing check; 1 of {modelled} modelled errors exercised*"]
    )


# -- no credentials: one usage error before any check ------------------------------------------------

NEEDS_A_CLIENT = """
import pathlib


def test_calls(connect_client):
    pathlib.Path("ran").write_text("yes")
"""


@pytest.fixture
def no_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("AWS_DEFAULT_PROFILE", raising=False)
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", raising=False)
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", raising=False)
    monkeypatch.delenv("AWS_WEB_IDENTITY_TOKEN_FILE", raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "nowhere" / "credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "nowhere" / "config"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.mark.usefixtures("no_credentials")
@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["--connect-mode=live"], id="live"),
        pytest.param(["--connect-mode=live", "-n", "2"], id="live-xdist"),
        pytest.param(["--connect-mode=record"], id="record"),
    ],
)
def test_no_credentials_is_one_usage_error_before_any_check(pytester: pytest.Pytester, args: list[str]) -> None:
    if "-n" in args:
        pytest.importorskip("xdist")
    pytester.makepyfile(NEEDS_A_CLIENT)
    result = pytester.runpytest_subprocess(
        "-p", "connect_email", "--connect-endpoint-url=http://127.0.0.1:9", *args, timeout=120
    )
    output = result.stdout.str() + result.stderr.str()
    assert result.ret == pytest.ExitCode.USAGE_ERROR, output
    assert output.count("needs AWS credentials to sign its requests") == 1, output
    assert "against http://127.0.0.1:9 needs AWS credentials" in output
    for text in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE", "--connect-mode=emulator", "replay"):
        assert text in output
    assert not (pytester.path / "ran").exists()
    assert "passed" not in output
    assert "failed" not in output
    assert "gate failed" not in output


@pytest.mark.usefixtures("no_credentials")
def test_a_missing_profile_is_named(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_PROFILE", "sandbox")
    pytester.makepyfile(NEEDS_A_CLIENT)
    result = pytester.runpytest_subprocess("-p", "connect_email", "--connect-mode=live", timeout=120)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "AWS_PROFILE names profile 'sandbox'" in result.stderr.str()
    assert not (pytester.path / "ran").exists()


@pytest.mark.usefixtures("no_credentials")
@pytest.mark.parametrize("mode", ["emulator", "replay"])
def test_offline_modes_need_no_credentials(pytester: pytest.Pytester, mode: str) -> None:
    pytester.makepyfile(
        """
        def test_calls(connect_client):
            assert connect_client.list_instances()["InstanceSummaryList"] == []
        """
        if mode == "emulator"
        else "def test_nothing_recorded():\n    pass\n"
    )
    result = pytester.runpytest_subprocess("-p", "connect_email", f"--connect-mode={mode}", timeout=120)
    result.assert_outcomes(passed=1)
    assert "needs AWS credentials" not in result.stdout.str() + result.stderr.str()


# -- -k selects checks by operation and id -----------------------------------------------------------


def test_k_selects_checks_by_operation_and_id(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_demo=DEMO_CHECKS)
    result = pytester.runpytest("-p", "connect_email", "-k", "DisassociateEmailAddressAlias", "--collect-only", "-q")
    assert [line for line in result.stdout.lines if "::" in line] == ["test_demo.py::test_body_needs_an_address"]
    result = pytester.runpytest("-p", "connect_email", "-k", "DEMO-004 or DeleteEmailAddress", "--collect-only", "-q")
    assert [line for line in result.stdout.lines if "::" in line] == [
        "test_demo.py::test_create",
        "test_demo.py::test_delete_unknown_then_fail",
    ]


def test_k_selects_shipped_checks_by_operation(pytester: pytest.Pytester) -> None:
    from pytest_connect_email.conformance import shipped_checks

    ids = sorted(c.id for c in shipped_checks().values() if c.operation == "DisassociateEmailAddressAlias")
    assert ids
    everything = pytester.runpytest("-p", "connect_email", "--connect-conformance", "--collect-only", "-q")
    selected = pytester.runpytest(
        "-p", "connect_email", "--connect-conformance", "-k", "DisassociateEmailAddressAlias", "--collect-only", "-q"
    )
    total = [line for line in everything.stdout.lines if "::" in line]
    chosen = [line for line in selected.stdout.lines if "::" in line]
    assert 0 < len(chosen) < len(total)
    by_id = [
        line
        for i in ids
        for line in pytester.runpytest(
            "-p", "connect_email", "--connect-conformance", "-k", i, "--collect-only", "-q"
        ).stdout.lines
        if "::" in line
    ]
    assert sorted(set(by_id)) == sorted(chosen)
