"""Hostile sequence files (``--connect-stateful-replay FILE``) and the scripts a divergence prints.

A sequence file may come from someone else, and the scripts it leads to are meant to be run: a symbol,
a member name or a value that tries to become code is refused when the file is read, and quoted when a
script is written even if it got past the reader. Each printed script is run (the boto3 one with a stand-in
``boto3`` whose client answers every call, the shell one with a stand-in ``aws``) and must not create the
canary file its payload would ``touch``.
"""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pytest_connect_email.emulator import Emulator
from pytest_connect_email.stateful import Excuses, Stats, boto3_script, cli_commands, load_sequence
from pytest_connect_email.stateful.compare import Difference
from pytest_connect_email.stateful.lockstep import Divergence, Lockstep, Step
from pytest_connect_email.stateful.script import FORMAT

#: Payloads, each formatted with the canary's path: Python code, shell code, and both after a line break.
PAYLOADS = [
    "__import__('os').system('touch {canary}')",
    "x;touch {canary};",
    "$(touch {canary})",
    "`touch {canary}`",
    "x'); __import__('os').system('touch {canary}'); ('",
    'x"""; __import__("os").system("touch {canary}"); """',
    "x\n__import__('os').system('touch {canary}')\ntouch {canary}\n",
]

#: What a stand-in ``boto3`` answers: every call succeeds with these members (any member name works).
FAKE_BOTO3 = """
class _Answers(dict):
    def get(self, key, default=None):
        if key == "NextToken" or default is not None:
            return default
        return "id-" + str(abs(hash(key)))


class _Client:
    def __getattr__(self, name):
        return lambda **params: _Answers()


def client(*args, **kwargs):
    return _Client()
"""


def _divergence(payload: str) -> Divergence:
    """A divergence whose every free-form part carries ``payload``, built directly (no reader to refuse it)."""
    create = Step(
        "CreateInstance",
        {"IdentityManagementType": "CONNECT_MANAGED", "InstanceAlias": f"ce-st-x-{payload}", payload: payload},
        creates=(payload, payload),
    )
    listing = Step("ListInstances", {payload: {"$ref": payload}}, own_items=payload, pages=True)
    last = Step("DescribeInstance", {"InstanceId": {"$ref": payload}, "Tags": [{"$ref": payload}, payload]})
    answer = {payload: payload, "Error": {"Code": payload, "HTTPStatusCode": 400}}
    found = [Difference(payload, payload, payload, {"$ref": payload})]
    return Divergence([create, listing, last], found, answer, {**answer, "Nested": {"$ref": payload}})


def _payloads(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    for number, payload in enumerate(PAYLOADS):
        canary = tmp_path / f"canary-{number}"
        yield canary, payload.format(canary=canary)


def test_the_boto3_script_runs_no_code_from_the_sequence(tmp_path: Path) -> None:
    fake = tmp_path / "fake"
    (fake / "boto3").mkdir(parents=True)
    (fake / "boto3" / "__init__.py").write_text(FAKE_BOTO3, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(fake)}
    for canary, payload in _payloads(tmp_path):
        script = tmp_path / f"{canary.name}.py"
        script.write_text(boto3_script(_divergence(payload), region=payload, name=payload), encoding="utf-8")
        # Statically: the payload is nowhere but in string literals (no name, call or attribute of it).
        names = {n.id for n in ast.walk(ast.parse(script.read_text(encoding="utf-8"))) if isinstance(n, ast.Name)}
        assert not {n for n in names if "touch" in n or "import" in n}
        done = subprocess.run([sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode in (0, 1), done.stderr  # it ran to the comparison: reproduced or not
        assert "DIVERGENCE REPRODUCED" in done.stdout or "no divergence" in done.stdout
        assert not canary.exists(), payload


def test_the_cli_script_runs_no_code_from_the_sequence(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    aws = bin_dir / "aws"
    aws.write_text('#!/bin/sh\necho "$@" >> "$AWS_CALLS"\nexit 0\n', encoding="utf-8")
    aws.chmod(0o755)
    for canary, payload in _payloads(tmp_path):
        calls = tmp_path / f"{canary.name}.calls"
        script = tmp_path / f"{canary.name}.sh"
        script.write_text(cli_commands(_divergence(payload), region=payload, endpoint_url=payload), encoding="utf-8")
        env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "AWS_CALLS": str(calls)}
        done = subprocess.run(["sh", str(script)], env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        assert len(calls.read_text(encoding="utf-8").splitlines()) >= 3  # every command reached the stand-in
        assert not canary.exists(), payload


def _write(tmp_path: Path, steps: list[dict[str, Any]]) -> Path:
    path = tmp_path / "hostile.json"
    path.write_text(json.dumps({"format": FORMAT, "steps": steps}), encoding="utf-8")
    return path


CREATE = {"operation": "CreateInstance", "params": {"InstanceAlias": "ce-st-x-1"}, "creates": ["instance_1", "Id"]}


@pytest.mark.parametrize(
    ("step", "rule"),
    [
        ({**CREATE, "creates": ["SYMBOLS[__import__('os').system('true')]", "Id"]}, "the rule for symbols"),
        ({**CREATE, "creates": ["x;touch canary;", "Id"]}, "the rule for symbols"),
        ({**CREATE, "creates": ["Instance_1", "Id"]}, "the rule for symbols"),
        ({**CREATE, "creates": ["instance_1", "Id --query x;touch canary"]}, "not a string member of CreateInstance"),
        ({**CREATE, "creates": ["instance_1", "InstanceAlias"]}, "not a string member of CreateInstance"),
        (
            {"operation": "DescribeInstance", "params": {"InstanceId": {"$ref": "$(touch canary)"}}},
            "the rule for symbols",
        ),
        ({"operation": "DescribeInstance", "params": {"InstanceId": {"$ref": 7}}}, "the rule for symbols"),
        (
            {"operation": "ListInstances", "params": {}, "own_items": "x');touch('"},
            "not a list member of ListInstances",
        ),
        ({"operation": "ListInstances", "params": {}, "own_items": ["x"]}, "'own_items' must be the name"),
    ],
    ids=[
        "python",
        "shell",
        "uppercase",
        "member-shell",
        "member-unknown",
        "ref",
        "ref-number",
        "own-items",
        "own-type",
    ],
)
def test_load_sequence_refuses_hostile_names_naming_the_step_and_rule(
    tmp_path: Path, step: dict[str, Any], rule: str
) -> None:
    path = _write(tmp_path, [CREATE, step])
    with pytest.raises(ValueError, match=re.escape(rule)) as info:
        load_sequence(path)
    message = str(info.value)
    assert f"--connect-stateful-replay {path}: step 2: " in message
    assert "fix the file or save the sequence again" in message or "must be" in message


def test_load_sequence_reads_what_the_stateful_run_writes(tmp_path: Path) -> None:
    listing = {"operation": "ListInstances", "params": {}, "own_items": "InstanceSummaryList", "pages": True}
    describe = {"operation": "DescribeInstance", "params": {"InstanceId": {"$ref": "instance_1"}}}
    steps = load_sequence(_write(tmp_path, [CREATE, listing, describe]))
    assert [(s.operation, s.creates, s.own_items) for s in steps] == [
        ("CreateInstance", ("instance_1", "Id"), None),
        ("ListInstances", None, "InstanceSummaryList"),
        ("DescribeInstance", None, None),
    ]


def test_a_script_of_a_real_sequence_still_compares_as_the_run(tmp_path: Path) -> None:
    """References are ``ref('symbol')`` calls now: a script made from real answers still runs to "no
    divergence" against the reference emulator, queues (which no call creates) included."""
    import boto3

    def client(url: str) -> Any:
        return boto3.client(
            "connect", region_name="us-east-1", endpoint_url=url, aws_access_key_id="t", aws_secret_access_key="t"
        )

    with Emulator.create().serve() as target, Emulator.create().serve() as reference:
        lockstep = Lockstep(client(target.url), client(reference.url), Excuses(), Stats())
        create = {"IdentityManagementType": "CONNECT_MANAGED", "InstanceAlias": "ce-st-x-1"}
        lockstep.run(
            Step(
                "CreateInstance",
                {**create, "InboundCallsEnabled": True, "OutboundCallsEnabled": True},
                creates=("instance_1", "Id"),
            )
        )
        queue = lockstep.queue(lockstep.symbol("queue"))
        params = {"InstanceId": {"$ref": "instance_1"}, "QueueId": {"$ref": queue}}
        answers = lockstep.run(Step("ListQueueEmailAddresses", params))
        assert answers is not None
        last = lockstep.run(Step("DescribeInstance", {"InstanceId": {"$ref": "instance_1"}}))
        assert last is not None
    steps = lockstep.steps
    from pytest_connect_email.stateful.compare import normalise

    shown = normalise(last[1], lockstep.reference.symbols)
    assert isinstance(shown, dict)
    script = tmp_path / "real.py"
    script.write_text(boto3_script(Divergence(steps, [], shown, shown), region="us-east-1"), encoding="utf-8")
    assert "ref('queue_1')" in script.read_text(encoding="utf-8")
    with Emulator.create().serve() as again:
        env = {
            **os.environ,
            "AWS_ENDPOINT_URL_CONNECT": again.url,
            "AWS_ACCESS_KEY_ID": "t",
            "AWS_SECRET_ACCESS_KEY": "t",
        }
        env.pop("AWS_PROFILE", None)
        done = subprocess.run([sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no divergence" in done.stdout
