"""The pytest11 entry point: `-p connect_email` loads it, cheaply."""

from __future__ import annotations

import subprocess
import sys

import pytest


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
        "import sys, pytest_connect_email.plugin\n"
        "heavy = [m for m in ('botocore', 'boto3', 'jsonschema', 'jsonschema_rs', 'faker', 'vcr', 'hypothesis')"
        " if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == ""


def test_package_exports_the_validator_lazily() -> None:
    import pytest_connect_email

    assert pytest_connect_email.validate_request.__module__ == "pytest_connect_email.contracts"
    with pytest.raises(AttributeError):
        _ = pytest_connect_email.nope
