"""The pytest11 entry point (``-p connect_email``).

Import cost matters here: pytest imports this module on every run of every suite that has the
package installed. Nothing heavy (botocore's model, jsonschema, faker, vcrpy) is imported at module
level; options, fixtures and hooks that need them import inside their bodies.
"""

from __future__ import annotations

import pytest

from pytest_connect_email import __version__


def pytest_report_header(config: pytest.Config) -> str:
    return f"connect-email: pytest-connect-email {__version__}"
