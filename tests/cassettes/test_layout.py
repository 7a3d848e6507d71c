"""Cassette layout and stability: one cassette per test node id, and a re-recording that changes nothing
that did not change (no transport noise, the embedded emulator seeded by the test's node id)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pytest_connect_email.cassettes import replay

#: Same-named tests: in two folders, in two classes, and two parametrizations that old sanitising merged.
SAME_NAMED = {
    "tests/unit/test_api.py": """
def test_send(connect_client, email_address):
    email_address("unit")
""",
    "tests/integration/test_api.py": """
def test_send(connect_client, email_address):
    email_address("integration")
""",
    "tests/test_classes.py": """
import pytest

class TestAlpha:
    def test_x(self, connect_client, email_address):
        email_address("alpha")

class TestBeta:
    def test_x(self, connect_client, email_address):
        email_address("beta")

@pytest.mark.parametrize("label", ["a b", "a_b"])
def test_p(connect_client, email_address, label):
    email_address(label.replace(" ", "-"))
""",
}

EXPECTED = [
    "tests/integration/test_api.py/test_send.connect.yaml",
    "tests/test_classes.py/TestAlpha/test_x.connect.yaml",
    "tests/test_classes.py/TestBeta/test_x.connect.yaml",
    "tests/test_classes.py/test_p[a_b].connect.yaml",
    "tests/test_classes.py/test_p[a_b]~",  # "a b" lost its space: sanitised, with a digest of the node id
    "tests/unit/test_api.py/test_send.connect.yaml",
]


def _project(pytester: pytest.Pytester, files: dict[str, str]) -> None:
    # The rootdir: node ids and cassette paths start here; importlib, as two test_api.py have no __init__.py.
    pytester.makeini("[pytest]\naddopts = --import-mode=importlib\n")
    for name, source in files.items():
        path = pytester.path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source, encoding="utf-8")


def _env(pytester: pytest.Pytester) -> None:
    for key in [k for k in os.environ if k.startswith("AWS_")]:
        pytester._monkeypatch.delenv(key)
    pytester._monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    pytester._monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)


def _record(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    _env(pytester)
    return pytester.runpytest("-p", "connect_email", "-p", "no:cacheprovider", "--connect-mode=record", *args)


def _files(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.connect.yaml"))


def _matches(found: list[str]) -> None:
    assert len(found) == len(EXPECTED), found
    for name, pattern in zip(found, EXPECTED, strict=True):
        assert name == pattern or (pattern.endswith("~") and name.startswith(pattern)), (name, pattern)


def test_same_named_tests_record_distinct_cassettes_and_replay_under_xdist(pytester: pytest.Pytester) -> None:
    pytest.importorskip("xdist")
    _project(pytester, SAME_NAMED)
    _env(pytester)
    result = pytester.runpytest_subprocess(
        "-p", "connect_email", "-p", "no:cacheprovider", "--connect-mode=record", "--connect-record-mode=all", "-n", "2"
    )
    result.assert_outcomes(passed=6)
    tapes = pytester.path / "cassettes"
    _matches(_files(tapes))
    # Each holds its own test's recording, not the other same-named test's.
    assert "unit" in (tapes / "tests/unit/test_api.py/test_send.connect.yaml").read_text(encoding="utf-8")
    assert "alpha" in (tapes / "tests/test_classes.py/TestAlpha/test_x.connect.yaml").read_text(encoding="utf-8")
    assert "beta" in (tapes / "tests/test_classes.py/TestBeta/test_x.connect.yaml").read_text(encoding="utf-8")
    assert not list(tapes.rglob(".*"))  # no temporary files left behind
    # And they replay under xdist, each test from its own cassette.
    replayed = pytester.runpytest_subprocess(
        "-p", "connect_email", "-p", "no:cacheprovider", "--connect-mode=replay", "-n", "2"
    )
    replayed.assert_outcomes(passed=6)


def test_paths_stay_apart_and_are_safe(tmp_path: Path) -> None:
    root = tmp_path / "project"
    ids = [
        "t.py::test_p[a b]",
        "t.py::test_p[a_b]",
        "t.py::test_p[A]",
        "t.py::test_p[a]",
        "t.py::test_p[x::y/z\\w]",
        "t.py::test_p[x__y_z_w]",
        "t.py::test_p[nul]",
        "t.py::test_p[" + "x" * 300 + "]",
        "t.py::test_p[" + "x" * 299 + "y]",
        "t.py::TestA::test_x",
        "t/TestA.py::test_x",
    ]
    paths = [replay.cassette_path(Path("c"), nodeid, root / nodeid.split("::")[0], root) for nodeid in ids]
    assert len({p.as_posix().lower() for p in paths}) == len(ids), paths  # distinct even on a case-folding disk
    for path in paths:
        for part in path.parts:
            assert len(part) <= 130
            assert not part.endswith((".", " "))
            assert all(c.isascii() and (c.isalnum() or c in "_.-[]~") for c in part), part


def test_an_old_layout_cassette_is_a_clear_error_and_migrate_moves_it(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    _project(pytester, {"tests/unit/test_api.py": SAME_NAMED["tests/unit/test_api.py"]})
    _record(pytester).assert_outcomes(passed=1)
    tapes = pytester.path / "cassettes"
    new = tapes / "tests/unit/test_api.py/test_send.connect.yaml"
    old = tapes / "test_api" / "test_send.connect.yaml"
    old.parent.mkdir()
    new.rename(old)

    _env(pytester)
    replay = pytester.runpytest("-p", "connect_email", "-p", "no:cacheprovider", "--connect-mode=replay")
    replay.assert_outcomes(errors=1)
    out = replay.stdout.str()
    assert "CassetteError" in out
    assert str(new) in out
    assert str(old) in out
    assert "connect-email cassettes migrate" in out

    from pytest_connect_email import cli

    monkeypatch.chdir(pytester.path)
    assert cli.main(["cassettes", "migrate"]) == 0
    assert new.is_file()
    assert not old.parent.exists()
    replayed = pytester.runpytest("-p", "connect_email", "-p", "no:cacheprovider", "--connect-mode=replay")
    replayed.assert_outcomes(passed=1)


STABLE = """
import boto3


def test_stable(connect_client, connect_instance_id, email_address):
    made = email_address("stable")
    connect_client.describe_email_address(InstanceId=connect_instance_id, EmailAddressId=made.id)
    contact = connect_client.start_email_contact(
        InstanceId=connect_instance_id,
        FromEmailAddress={"EmailAddress": "customer@example.net"},
        DestinationEmailAddress=made.address,
        EmailMessage={"MessageSourceType": "RAW",
                      "RawMessage": {"Subject": "s", "Body": "b", "ContentType": "text/plain"}},
    )
    connect_client.describe_contact(InstanceId=connect_instance_id, ContactId=contact["ContactId"])


def test_own_client_in_its_region(connect_instance_id):
    client = boto3.client("connect", region_name="eu-west-2", aws_access_key_id="k", aws_secret_access_key="s")
    client.search_email_addresses(InstanceId=connect_instance_id)
"""


def test_rerecording_an_unchanged_test_is_byte_identical_and_holds_no_transport_noise(
    pytester: pytest.Pytester,
) -> None:
    _project(pytester, {"test_stable.py": STABLE})
    _record(pytester, "--connect-record-mode=all").assert_outcomes(passed=2)
    tapes = pytester.path / "cassettes"
    first = {name: (tapes / name).read_bytes() for name in _files(tapes)}
    assert sorted(first) == [
        "test_stable.py/test_own_client_in_its_region.connect.yaml",
        "test_stable.py/test_stable.connect.yaml",
    ]
    _record(pytester, "--connect-record-mode=all").assert_outcomes(passed=2)
    assert {name: (tapes / name).read_bytes() for name in _files(tapes)} == first

    text = b"\n".join(first.values()).decode("utf-8")
    for noise in ("User-Agent", "X-Amz-Date", "amz-sdk-", "x-amzn-RequestId", "Authorization", "Date:"):
        assert noise.lower() not in text.lower(), noise
    own = first["test_stable.py/test_own_client_in_its_region.connect.yaml"].decode("utf-8")
    # The application's client in eu-west-2; the fixture's client, in the run's region (us-east-1), made the instance.
    assert "uri: https://connect.eu-west-2.amazonaws.com/search-email-addresses\n" in own
    assert "uri: https://connect.us-east-1.amazonaws.com/instance\n" in own

    _env(pytester)
    replay = ("-p", "connect_email", "-p", "no:cacheprovider", "--connect-mode=replay", "--connect-cassette-strict")
    pytester.runpytest(*replay).assert_outcomes(passed=2)
