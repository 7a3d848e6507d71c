"""A replayed test whose cassette is missing fails short: the test's own frame (or the frame of the fixture
that made the call) and the one-line message with the command that records it, not botocore's frames and
the plugin's."""

from __future__ import annotations

import pytest

APP_TESTS = """
def test_lists(connect_client):
    names = ["a", "b"]
    connect_client.list_instances(MaxResults=len(names))


def test_needs_an_instance(connect_instance_id):
    assert connect_instance_id
"""


@pytest.mark.parametrize(
    ("test", "frame"),
    [
        ("test_lists", "connect_client.list_instances(MaxResults=len(names))"),
        ("test_needs_an_instance", "created = connect_client.create_instance("),  # the fixture's call, at setup
    ],
)
def test_a_missing_cassette_fails_in_a_few_lines(pytester: pytest.Pytester, test: str, frame: str) -> None:
    pytester.makepyfile(test_app=APP_TESTS)
    result = pytester.runpytest("-p", "connect_email", "-p", "no:cacheprovider", "--connect-mode", "replay", "-k", test)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    lines = result.outlines
    start = next(i for i, line in enumerate(lines) if line.startswith("_") and test in line)
    end = next(i for i, line in enumerate(lines) if i > start and line.startswith("="))
    failure = lines[start:end]
    assert len(failure) < 30, "\n".join(failure)
    text = "\n".join(failure)
    assert frame in text
    messages = [line for line in failure if "CassetteError: no cassette at " in line]
    assert len(messages) == 1, text
    assert f"record it with: pytest -p connect_email --connect-mode record test_app.py::{test}" in messages[0]
    assert "botocore" not in text
    assert "intercept.py" not in text
    assert "cassettes.py" not in text
