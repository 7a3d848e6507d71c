"""Inputs that used to crash the interpreter (a C extension recursing until the stack ran out) run in
a subprocess here, so a segfault fails this test instead of killing the test run."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

SCRIPT = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    from vcr.serializers import yamlserializer
    from pytest_connect_email.cassettes import lint, replay
    from pytest_connect_email.contracts import validator
    from pytest_connect_email.emulator import Emulator
    from pytest_connect_email.emulator.codec import HttpRequest

    deep = {"ValueString": "x"}
    for _ in range(20_000):
        deep = {"ValueMap": {"k": deep}}
    params = {"InstanceId": "i", "FromEmailAddress": {"EmailAddress": "a@example.com"},
              "DestinationEmailAddress": "b@example.com", "SegmentAttributes": {"k": deep},
              "EmailMessage": {"MessageSourceType": "RAW"}}
    print("validator", validator.request_violations("StartEmailContact", params)[0].rule, flush=True)

    emulator = Emulator.create(auth_enabled=False)
    body = ("[" * 100_000 + "]" * 100_000).encode()
    print("emulator", emulator.handle(HttpRequest("PUT", "/instance", body=body), signed=False).status, flush=True)

    path = Path(sys.argv[1])
    path.write_text("[" * 100_000 + "]" * 100_000)
    try:
        replay.AtomicPersister.load_cassette(path, yamlserializer)
    except replay.CassetteError as exc:
        print("replay", "MAX_DEPTH" in str(exc), flush=True)
    print("lint", "MAX_DEPTH" in lint.lint(path)[0].problem, flush=True)
    """
)

USER_TEST = """
def test_lists_instances(connect_client):
    connect_client.list_instances()
"""


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONFAULTHANDLER": "1"}
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=300, check=False, env=env)


def test_deep_inputs_do_not_crash_the_interpreter(tmp_path: Path) -> None:
    result = run([sys.executable, "-c", SCRIPT, str(tmp_path / "deep.yaml")], tmp_path)
    assert result.returncode == 0, f"exit {result.returncode}\n{result.stdout}\n{result.stderr[-3000:]}"
    assert result.stdout.split("\n")[:4] == [
        "validator MAX_DEPTH",
        "emulator 400",
        "replay True",
        "lint True",
    ]


def test_replaying_a_deep_cassette_fails_the_test_not_the_session(tmp_path: Path) -> None:
    (tmp_path / "test_user.py").write_text(USER_TEST, encoding="utf-8")
    cassette = tmp_path / "cassettes" / "test_user.py" / "test_lists_instances.connect.yaml"
    cassette.parent.mkdir(parents=True)
    cassette.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    result = run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "connect_email",
            "--connect-mode",
            "replay",
            "--connect-cassette-dir",
            str(tmp_path / "cassettes"),
            "-p",
            "no:cacheprovider",
            "-q",
            "test_user.py",
        ],
        tmp_path,
    )
    assert result.returncode == 1, f"exit {result.returncode}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    assert "MAX_DEPTH" in result.stdout
    assert "1 failed" in result.stdout or "1 error" in result.stdout
