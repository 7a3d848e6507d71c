"""The pytest11 entry point: `-p connect_email` loads it, cheaply."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from typing import Any

import pytest

from tests.conftest import installed_model_data, write_model


def test_plugin_loads_with_autoload_disabled(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    pytester.makepyfile(
        """
        def test_loaded(pytestconfig):
            assert pytestconfig.pluginmanager.has_plugin("connect_email")
        """
    )
    result = pytester.runpytest_subprocess("-p", "connect_email")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["connect-email: pytest-connect-email *"])


def test_plugin_import_stays_light() -> None:
    code = (
        "import sys, pytest_connect_email.pytest.plugin\n"
        "heavy = [m for m in ('botocore', 'boto3', 'jsonschema', 'jsonschema_rs', 'faker', 'vcr', 'hypothesis')"
        " if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == ""


def test_package_exports_the_validator_lazily() -> None:
    import pytest_connect_email

    assert pytest_connect_email.validate_request.__module__ == "pytest_connect_email.contracts.validator"
    with pytest.raises(AttributeError):
        _ = pytest_connect_email.nope


# -- options, fixtures, conformance, report, baseline ----------------------------------------------

BROKEN_TARGET = """
import pytest
from pytest_connect_email.emulator import Emulator


class CarelessBackend:
    # Answers DisassociateEmailAddressAlias with a body and forgets to remove the alias.
    @staticmethod
    def install(emulator):
        emulator.backend._handlers["DisassociateEmailAddressAlias"] = lambda tx, params: {"Status": "done"}


@pytest.fixture(scope="session")
def connect_emulator():
    emulator = Emulator.create()
    CarelessBackend.install(emulator)
    yield emulator
"""

BROKEN_IDS = {
    "DISASSOC-001",
    "DISASSOC-002",
    "DISASSOC-004",
    "DISASSOC-005",
    "ERR-003",
    "IDEMP-003",
    "ALIAS-004",
    "ALIAS-007",
    "PROTO-005",
}


def _report(path: Any) -> dict[str, Any]:
    return {c["id"]: c for c in json.loads(path.read_text(encoding="utf-8"))["checks"]}


def _every_check_passes(checks: dict[str, Any]) -> None:
    """Every check passed; under an older botocore (CI's floor leg), those that need an operation its model
    lacks are "not implemented" for that reason instead."""
    from pytest_connect_email.contracts import spec

    gaps = {i: c["detail"] for i, c in checks.items() if c["outcome"] == "not implemented"}
    if not spec.model().missing:
        assert not gaps
    assert all("model" in detail for detail in gaps.values()), gaps
    assert {c["outcome"] for c in checks.values()} <= {"passed", "not implemented"}
    assert any(c["outcome"] == "passed" for c in checks.values())


def _complete_model() -> bool:
    from pytest_connect_email.contracts import spec

    return not spec.model().missing


def test_help_lists_the_options_in_their_group(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("-p", "connect_email", "--help")
    result.stdout.fnmatch_lines(["*Amazon Connect email contracts and conformance*"])
    for option in (
        "--connect-mode",
        "--connect-endpoint-url",
        "--connect-region",
        "--connect-instance-id",
        "--connect-seed",
        "--connect-conformance",
        "--connect-report",
        "--connect-baseline",
        "--connect-write-baseline",
    ):
        assert option in result.stdout.str()
    assert "connect_mode" in result.stdout.str()  # the ini twin


def test_ini_options_are_read(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nconnect_region = eu-west-2\nconnect_seed = 7\n")
    pytester.makepyfile(
        """
        def test_settings(connect_settings):
            assert (connect_settings.region, connect_settings.seed) == ("eu-west-2", 7)
        """
    )
    pytester.runpytest("-p", "connect_email").assert_outcomes(passed=1)


def test_fixtures_check_contracts_and_clean_up_after_failures(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest
        from botocore.exceptions import ClientError
        from pytest_connect_email import ContractViolation

        CREATED = []

        def test_creates_then_fails(email_address, alias_pair, connect_client, connect_instance_id):
            CREATED.append(email_address().id)
            CREATED.extend(a.id for a in alias_pair)
            assert False, "deliberate failure"

        def test_addresses_of_the_failed_test_are_gone(connect_client, connect_instance_id):
            assert len(CREATED) == 3
            for address_id in CREATED:
                with pytest.raises(ClientError, match="ResourceNotFoundException"):
                    connect_client.describe_email_address(InstanceId=connect_instance_id, EmailAddressId=address_id)

        def test_requests_are_checked_before_sending(connect_client, connect_instance_id, email_address):
            with pytest.raises(ContractViolation, match="START-MSG-001"):
                connect_client.start_email_contact(
                    InstanceId=connect_instance_id,
                    FromEmailAddress={"EmailAddress": "a@example.com"},
                    DestinationEmailAddress=email_address().address,
                    EmailMessage={"MessageSourceType": "RAW",
                                  "RawMessage": {"Subject": "s", "Body": "b", "ContentType": "text/xml"}},
                )

        def test_other_fixtures(connect_fake, connect_contract, connect_emulator):
            request = connect_fake.start_email_contact_request()
            connect_contract.validate_request("StartEmailContact", request)
            assert connect_emulator.backend is not None
        """
    )
    result = pytester.runpytest_subprocess("-p", "connect_email")
    result.assert_outcomes(passed=3, failed=1)


def test_conformance_passes_against_the_emulator_and_writes_the_report(pytester: pytest.Pytester) -> None:
    report = pytester.path / "out" / "conformance.json"
    result = pytester.runpytest_subprocess("-p", "connect_email", "--connect-conformance", f"--connect-report={report}")
    assert result.ret == 0, result.stdout.str()
    checks = _report(report)
    from pytest_connect_email.conformance import shipped_checks

    assert set(checks) == set(shipped_checks())
    _every_check_passes(checks)
    sample = checks["DISASSOC-001"]
    assert sample["operation"] == "DisassociateEmailAddressAlias"
    assert sample["source"].startswith("200 status means alias was successfully disassociated.")
    assert sample["duration"] >= 0
    markdown = report.with_suffix(".md").read_text(encoding="utf-8")
    assert "| DisassociateEmailAddressAlias |" in markdown
    if _complete_model():
        result.stdout.fnmatch_lines(["*connect-email conformance*", f"{len(shipped_checks())} passed (mode emulator)"])


def test_a_broken_target_fails_the_right_checks(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(BROKEN_TARGET)
    report = pytester.path / "report.json"
    result = pytester.runpytest_subprocess(
        "-p", "connect_email", "--connect-conformance", f"--connect-report={report}", "--junitxml=junit.xml"
    )
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    checks = _report(report)
    failed = {i for i, c in checks.items() if c["outcome"] == "failed"}
    runnable = {i for i in BROKEN_IDS if checks[i]["outcome"] != "not implemented"}  # an older model lacks some
    assert failed >= runnable
    assert failed <= runnable | {"CONC-001"}  # concurrency may or may not trip over the kept alias
    assert checks["START-001"]["outcome"] == "passed"
    assert "Status" in checks["DISASSOC-001"]["detail"]
    assert "testcase" in (pytester.path / "junit.xml").read_text(encoding="utf-8")  # JUnit XML keeps working


def test_baseline_gate(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(BROKEN_TARGET)
    written = pytester.path / "baseline.json"
    first = pytester.runpytest_subprocess(
        "-p", "connect_email", "--connect-conformance", f"--connect-write-baseline={written}"
    )
    assert first.ret == pytest.ExitCode.TESTS_FAILED
    baseline = json.loads(written.read_text(encoding="utf-8"))
    assert set(baseline["checks"]) >= (BROKEN_IDS if _complete_model() else BROKEN_IDS - {"PROTO-005"})

    # Every failure is known: the run passes. One extra entry for a passing check is listed as now passing.
    baseline["checks"]["START-001"] = {"reason": "was flaky"}
    written.write_text(json.dumps(baseline), encoding="utf-8")
    gated = pytester.runpytest_subprocess(
        "-p", "connect_email", "--connect-conformance", f"--connect-baseline={written}"
    )
    assert gated.ret == 0, gated.stdout.str()
    gated.stdout.fnmatch_lines(["*baseline entries that now pass: START-001*"])

    # An expired entry no longer excuses its failure.
    baseline["checks"]["DISASSOC-002"]["expires"] = "2020-01-01"
    written.write_text(json.dumps(baseline), encoding="utf-8")
    expired = pytester.runpytest_subprocess(
        "-p", "connect_email", "--connect-conformance", f"--connect-baseline={written}"
    )
    assert expired.ret == pytest.ExitCode.TESTS_FAILED
    expired.stdout.fnmatch_lines(
        ["*expired baseline entries*DISASSOC-002*", "*FAILED*test_describe_shows_no_alias_after_disassociation*"]
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{nope", "not valid JSON"),
        ('{"checks": []}', "expected an object"),
        ('{"checks": {"ERR-001": {}}}', "entry 'ERR-001' needs a non-empty 'reason'"),
        ('{"checks": {"ERR-001": {"reason": "x", "expires": "soon"}}}', "use a date like"),
    ],
)
def test_bad_baseline_files_are_usage_errors(pytester: pytest.Pytester, content: str, message: str) -> None:
    (pytester.path / "b.json").write_text(content, encoding="utf-8")
    result = pytester.runpytest("-p", "connect_email", "--connect-baseline=b.json")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*{message}*"])


def test_conformance_under_xdist(pytester: pytest.Pytester) -> None:
    pytest.importorskip("xdist")
    report = pytester.path / "report.json"
    result = pytester.runpytest_subprocess(
        "-p", "connect_email", "--connect-conformance", "-n", "2", f"--connect-report={report}"
    )
    assert result.ret == 0, result.stdout.str()
    _every_check_passes(_report(report))


def test_conformance_passes_against_the_emulator_over_http(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reference emulator served on loopback passes every check as a live target, gates included."""
    from pytest_connect_email.conformance import shipped_checks
    from pytest_connect_email.emulator import Emulator

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    report = pytester.path / "report.json"
    with Emulator.create().serve() as server:
        result = pytester.runpytest_subprocess(
            "-p",
            "connect_email",
            "--connect-conformance",
            "--connect-mode=live",
            f"--connect-endpoint-url={server.url}",
            *(["--connect-fail-on-not-implemented"] if _complete_model() else []),
            "--connect-require-operations=StartEmailContact,DisassociateEmailAddressAlias",
            f"--connect-report={report}",
        )
    assert result.ret == 0, result.stdout.str()
    checks = _report(report)
    assert set(checks) == set(shipped_checks())
    _every_check_passes(checks)


def test_a_target_without_the_email_operations_is_reported_as_not_implemented(pytester: pytest.Pytester) -> None:
    """Like moto's server: instances work, the email family does not exist there."""
    pytester.makeconftest(
        """
        import pytest
        from pytest_connect_email.emulator import Emulator

        @pytest.fixture(scope="session")
        def connect_emulator():
            emulator = Emulator.create()
            for name in list(emulator.backend._handlers):
                if "Instance" not in name:
                    del emulator.backend._handlers[name]
            yield emulator
        """
    )
    report = pytester.path / "report.json"
    result = pytester.runpytest_subprocess("-p", "connect_email", "--connect-conformance", f"--connect-report={report}")
    assert result.ret == 0, result.stdout.str()
    checks = _report(report)
    passed = {c["operation"] for c in checks.values() if c["outcome"] == "passed"}
    assert passed <= {"CreateInstance", "DescribeInstance", "DeleteInstance", "ListInstances"}, passed
    assert {c["outcome"] for c in checks.values() if "Instance" not in c["operation"]} == {"not implemented"}
    assert "UnknownOperationException" in checks["ERR-001"]["detail"]
    assert "not implemented" in report.with_suffix(".md").read_text(encoding="utf-8")
    result.stdout.fnmatch_lines(["*ERR-001 not implemented: DescribeEmailAddress is not implemented by the endpoint*"])


def test_plugin_hooks_adjust_clients_and_add_checks(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\ntestpaths = tests\n")
    pytester.mkdir("tests")
    pytester.mkdir("team")
    extra = pytester.path / "team" / "team_checks.py"
    extra.write_text(
        textwrap.dedent(
            """
        from pytest_connect_email.conformance import check

        @check("TEAM-001", "ListInstances", "our own rule: the instance list answers")
        def test_team_rule(connect_client):
            assert connect_client.list_instances()["InstanceSummaryList"] is not None
        """
        ),
        encoding="utf-8",
    )
    pytester.makeconftest(
        f"""
        SEEN = []

        def pytest_connect_email_client(client, mode, config):
            SEEN.append(mode)
            client.meta.events.register("provide-client-params.connect", lambda **kw: SEEN.append(kw["model"].name))

        def pytest_connect_email_checks(config):
            return [{str(extra)!r}]

        def pytest_sessionfinish(session):
            assert SEEN[0] == "emulator" and "ListInstances" in SEEN, SEEN
        """
    )
    report = pytester.path / "report.json"
    result = pytester.runpytest_subprocess("-p", "connect_email", "--connect-conformance", f"--connect-report={report}")
    assert result.ret == 0, result.stdout.str()
    checks = _report(report)
    assert checks["TEAM-001"]["outcome"] == "passed"
    assert checks["TEAM-001"]["source"] == "our own rule: the instance list answers"


def test_checks_of_an_operation_missing_from_the_model_are_not_implemented_with_that_reason(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = installed_model_data()
    del data["operations"]["DisassociateEmailAddressAlias"]
    monkeypatch.setenv("CONNECT_EMAIL_MODEL", str(write_model(pytester.path / "older", data, version="1.0.1")))
    report = pytester.path / "out" / "conformance.json"
    result = pytester.runpytest_subprocess("-p", "connect_email", "--connect-conformance", f"--connect-report={report}")
    checks = _report(report)
    missing = {i: c for i, c in checks.items() if c["operation"] == "DisassociateEmailAddressAlias"}
    assert missing
    assert {c["outcome"] for c in missing.values()} == {"not implemented"}
    others = {i: c for i, c in checks.items() if i not in missing and c["outcome"] != "passed"}
    # Checks of other operations that call it (e.g. as a step) are "not implemented" for the same reason.
    assert {c["outcome"] for c in others.values()} <= {"not implemented"}, others
    assert all("model" in c["detail"] for c in others.values()), others
    result.stdout.fnmatch_lines(
        [
            "*connect-email: contracts of botocore 1.0.1*",
            "*DISASSOC-001 not implemented: DisassociateEmailAddressAlias is not in botocore 1.0.1's model*",
        ]
    )
