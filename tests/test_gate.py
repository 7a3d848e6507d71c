"""The run's gates (--connect-fail-on-not-implemented, --connect-require-operations), the one-line
"not implemented" detail, the per-operation report with its coverage figure, and baseline reasons."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from pytest_connect_email.spec import OPERATIONS

from .test_plugin import BROKEN_IDS, BROKEN_TARGET, _report

HTML_404 = (
    b"<!DOCTYPE html>\n<html><head><title>404 Not Found</title><style>body { color: red; }</style></head>\n"
    b"<body>\n  <h1>Not   Found</h1>\n  <p>The requested URL was not found on this server &amp; nowhere else.</p>\n"
    + b"<p>"
    + b"padding " * 60
    + b"</p></body></html>\n"
)


class _Html404(http.server.BaseHTTPRequestHandler):
    """A web server that knows no Connect operation: every request gets an HTML 404 page."""

    timeout = 5  # a stuck client is dropped, never waited on forever

    def _answer(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(HTML_404)))
        self.end_headers()
        self.wfile.write(HTML_404)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _answer

    def log_message(self, format: str, *args: Any) -> None:  # keep the test output quiet
        pass


@pytest.fixture
def html_404_endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Html404)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")  # inherited by the pytester subprocess
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


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
    result = pytester.runpytest_subprocess(*_live(html_404_endpoint), f"--connect-report={report}", *args, timeout=300)
    checks = _report(report)
    assert {c["outcome"] for c in checks.values()} == {"not implemented"}
    for check in checks.values():
        detail = check["detail"]
        assert "\n" not in detail
        assert "<" not in detail, detail  # no raw HTML
        assert ">" not in detail, detail
        assert "HTTP 404" in detail
        assert "404 Not Found Not Found The requested URL was not found on this server & nowhere else." in detail
        text = detail.split(": ", 2)[-1]  # after "X is not implemented by the endpoint: HTTP 404 404: "
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
        timeout=300,
    )
    # Every check passes against the emulator, but no check exercises CreateEmailAddress: the gate fails the run.
    assert result.ret == pytest.ExitCode.TESTS_FAILED, result.stdout.str()
    result.stdout.fnmatch_lines(
        ["*gate failed: --connect-require-operations: CreateEmailAddress has no passing check (no checks ran)*"]
    )
    assert "StartEmailContact has" not in result.stdout.str()

    document = json.loads(report.read_text(encoding="utf-8"))
    assert {c["outcome"] for c in document["checks"]} == {"passed"}
    rows = {row["operation"]: row for row in document["operations"]}
    assert [row["operation"] for row in document["operations"]] == list(OPERATIONS)
    assert rows["CreateEmailAddress"] == {
        "operation": "CreateEmailAddress",
        "checks": 0,
        "passed": 0,
        "failed": 0,
        "not implemented": 0,
        "skipped": 0,
        "covered": False,
        "status": "no checks",
    }
    start = rows["StartEmailContact"]
    assert start["covered"]
    assert start["status"] == "covered"
    assert start["checks"] == start["passed"] == sum(c["operation"] == "StartEmailContact" for c in document["checks"])
    covered = {c["operation"] for c in document["checks"]}
    assert document["coverage"] == {
        "covered": len(covered),
        "operations": len(OPERATIONS),
        "uncovered": [op for op in OPERATIONS if op not in covered],
    }
    markdown = report.with_suffix(".md").read_text(encoding="utf-8")
    assert f"Coverage: **{len(covered)} of {len(OPERATIONS)}** operations" in markdown
    table = [line for line in markdown.splitlines() if line.startswith("| ") and not line.startswith("| operation")]
    assert [line.split(" | ")[0][2:] for line in table] == list(OPERATIONS)
    assert "| CreateEmailAddress | no checks | 0 | 0 | 0 | 0 | 0 checks |" in markdown
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
