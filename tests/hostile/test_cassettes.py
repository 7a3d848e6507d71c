"""Hostile cassette files, for replay (the persister) and for lint: each a clear CassetteError or
finding naming the file and the limit, fast, and one bad file never hides the findings of others."""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from vcr.serializers import yamlserializer

from pytest_connect_email import cli, limits
from pytest_connect_email.cassettes import lint, scrub
from pytest_connect_email.cassettes.replay import AtomicPersister, CassetteError

from ..conftest import ROOT
from .conftest import bounded

RECORDED = sorted((ROOT / "cassettes").rglob("*.yaml"))[0]


def alias_bomb(levels: int, fan_out: int = 9) -> str:
    """The classic 'billion laughs': each level lists the previous one ``fan_out`` times."""
    lines = ['a0: &a0 ["lol"]']
    for level in range(1, levels + 1):
        refs = ", ".join([f"*a{level - 1}"] * fan_out)
        lines.append(f"a{level}: &a{level} [{refs}]")
    lines.append(f"interactions: *a{levels}")
    return "\n".join(lines) + "\n"


HOSTILE = {
    "deep-flow-sequences": ("[" * 100_000 + "]" * 100_000, "MAX_DEPTH"),
    "deep-block-mappings": ("".join(" " * i + f"k{i}:\n" for i in range(200)) + " " * 200 + "v\n", "MAX_DEPTH"),
    "alias-bomb-9-levels": (alias_bomb(9), "MAX_YAML_ALIAS_NODES"),
    "alias-bomb-11-levels": (alias_bomb(11), "MAX_YAML_ALIAS_NODES"),
    "alias-bomb-under-2m-nodes": (alias_bomb(4, 25), "MAX_YAML_ALIAS_NODES"),
    "python-object-tag": ("interactions: !!python/object/apply:os.system ['true']\n", "!!python/object/apply"),
    "python-name-tag": ("interactions: !!python/name:os.system\n", "!!python/name"),
}


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / f"{name}.yaml"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def test_the_bombs_are_small() -> None:
    assert len(alias_bomb(9)) < 600  # the bombs: 599 and 717 bytes
    assert len(alias_bomb(11)) < 720
    assert len(alias_bomb(4, 25)) < 600  # ~1.05 million nodes when expanded: over MAX_YAML_NODES
    assert len(HOSTILE["deep-flow-sequences"][0]) == 200_000


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_replay_refuses_hostile_yaml_naming_the_file_and_limit(tmp_path: Path, case: str) -> None:
    content, limit = HOSTILE[case]
    path = write(tmp_path, case, content)
    with bounded(), pytest.raises(CassetteError) as info:
        AtomicPersister.load_cassette(path, yamlserializer)
    assert str(path) in str(info.value)
    assert limit in str(info.value)


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_lint_reports_hostile_yaml_as_a_finding(tmp_path: Path, case: str) -> None:
    content, limit = HOSTILE[case]
    path = write(tmp_path, case, content)
    with bounded():
        found = lint.lint(path)
    assert len(found) == 1
    assert limit in found[0].problem
    assert "corrupt or truncated" not in found[0].problem


def test_binary_garbage_names_the_file(tmp_path: Path) -> None:
    garbage = bytes(range(256)) * 4096  # 1 MiB, not UTF-8
    path = write(tmp_path, "garbage", garbage)
    with bounded(), pytest.raises(CassetteError, match="not UTF-8") as info:
        AtomicPersister.load_cassette(path, yamlserializer)
    assert str(path) in str(info.value)
    [finding] = lint.lint(path)
    assert finding.path == str(path)
    assert "not UTF-8" in finding.problem


def test_a_file_over_the_node_budget_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "MAX_YAML_NODES", 1000)
    path = write(tmp_path, "many", "interactions: [" + "1, " * 1000 + "]\n")
    with pytest.raises(CassetteError, match="MAX_YAML_NODES"):
        AtomicPersister.load_cassette(path, yamlserializer)


def test_a_file_over_the_size_limit_is_refused_before_reading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "MAX_CASSETTE_BYTES", 1000)
    path = write(tmp_path, "big", "interactions: []\n" + "#" * 2000 + "\n")
    with pytest.raises(CassetteError, match="MAX_CASSETTE_BYTES"):
        AtomicPersister.load_cassette(path, yamlserializer)


def test_recorded_cassettes_pass_the_yaml_budgets() -> None:
    for path in sorted((ROOT / "cassettes").rglob("*.yaml")):
        limits.check_yaml_text(path.read_text(encoding="utf-8"), str(path))
    requests, _ = AtomicPersister.load_cassette(RECORDED, yamlserializer)
    assert requests


def test_a_non_json_body_does_not_stop_the_lint_of_other_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    loaded = yaml.safe_load(RECORDED.read_text(encoding="utf-8"))
    loaded["interactions"][0]["response"]["body"]["string"] = "<html>not json</html>"
    broken = write(tmp_path, "a-broken", yaml.safe_dump(loaded))
    leaky = yaml.safe_load(RECORDED.read_text(encoding="utf-8"))
    leaky["interactions"][0]["response"]["body"]["string"] = json.dumps({"Note": "write to maria@acme-logistics.de"})
    write(tmp_path, "b-leaky", yaml.safe_dump(leaky))
    assert cli.main(["cassettes", "lint", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert f"{broken}: interactions[0].response: " in out
    assert "[json]" in out
    assert "@acme-logistics.de" in out
    assert "2 cassette(s) checked" in out


def test_the_address_regex_is_linear() -> None:
    for text in ("a" * 100_000, "a@" + "b" * 100_000, "a." * 50_000, "x@" + "b-" * 50_000):
        with bounded():
            assert scrub.EMAIL.findall(text) == []  # the scrubber and lint scan with this expression
    assert scrub.EMAIL.findall("write to foo.bar+x@mail.example.org or 'q'@a.b.") == [
        "foo.bar+x@mail.example.org",
        "'q'@a.b",
    ]


def test_lint_of_100_kb_without_addresses_is_fast(tmp_path: Path) -> None:
    loaded = yaml.safe_load(RECORDED.read_text(encoding="utf-8"))
    loaded["interactions"][0]["response"]["body"]["string"] = "a" * 100_000
    path = write(tmp_path, "long", yaml.safe_dump(loaded))
    with bounded():
        found = lint.lint(path)
    assert [f.problem for f in found if "@" in f.problem] == []


def test_the_vcrpy_floor_excludes_every_release_with_the_unsafe_loader() -> None:
    from packaging.requirements import Requirement

    declared = re.findall(r'"(vcrpy\b[^"]*)"', (ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    [vcrpy] = [Requirement(d) for d in declared]
    assert not any(vcrpy.specifier.contains(v) for v in ("6.0", "8.1.1", "8.2.0"))  # unsafe loader / no hook
    assert vcrpy.specifier.contains("8.2.1")


# -- malformed fields: each a CassetteError or finding naming the file, the interaction and the field ------

LONG = "9" * 5000  # Python refuses to read an integer of over 4,300 digits
_LONG_MARK = "@@long@@"  # stands for LONG in the data; replaced by the bare digits in the YAML text


def _set(*path: Any, value: Any) -> Any:
    def mutate(interaction: dict[str, Any]) -> None:
        *parents, last = path
        for key in parents:
            interaction = interaction[key]
        interaction[last] = value

    return mutate


def _drop(*path: Any) -> Any:
    def mutate(interaction: dict[str, Any]) -> None:
        *parents, last = path
        for key in parents:
            interaction = interaction[key]
        del interaction[last]

    return mutate


@functools.cache
def _recorded_interactions() -> str:
    return json.dumps(yaml.load(RECORDED.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)["interactions"][:2])


def _cassette(tmp_path: Path, name: str, mutate: Any) -> Path:
    """The recorded cassette's first two interactions, the second changed by ``mutate``."""
    loaded = {"interactions": json.loads(_recorded_interactions()), "version": 1}
    mutate(loaded["interactions"][1])
    return write(tmp_path, name, yaml.safe_dump(loaded).replace(f"'{_LONG_MARK}'", LONG))


BROKEN = {
    # name: (the change to the second interaction, the field named, words of the problem)
    "long-int-status": (_set("response", "status", "code", value=_LONG_MARK), "response.status.code", "5000 digits"),
    "long-int-header": (
        _set("request", "headers", "Content-Type", value=[_LONG_MARK]),
        "request.headers.Content-Type[0]",
        "5000 digits",
    ),
    "status-abc": (_set("response", "status", "code", value="abc"), "response.status.code", "HTTP status code"),
    "status-zero": (_set("response", "status", "code", value=0), "response.status.code", "HTTP status code"),
    "status-true": (_set("response", "status", "code", value=True), "response.status.code", "HTTP status code"),
    "no-status": (_drop("response", "status"), "response.status", "missing"),
    "list-headers": (_set("response", "headers", value=[["Content-Type", "x"]]), "response.headers", "mapping"),
    "body-not-text": (_set("response", "body", "string", value=[1, 2]), "response.body.string", "text or binary"),
    "body-not-mapping": (_set("response", "body", value="{}"), "response.body", "mapping"),
    "uri-not-url": (_set("request", "uri", value=7), "request.uri", "URL"),
    "missing-request": (_drop("request"), "request", "missing"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_malformed_field_is_a_cassette_error_naming_file_interaction_and_field(tmp_path: Path, case: str) -> None:
    mutate, field, words = BROKEN[case]
    path = _cassette(tmp_path, case, mutate)
    where = f"interactions[1].{field}"
    with bounded(), pytest.raises(CassetteError) as info:
        AtomicPersister.load_cassette(path, yamlserializer)
    message = str(info.value)
    assert message.startswith(f"{path}: {where}: "), message
    assert words in message
    assert "record it again" in message


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_lint_names_the_malformed_field(tmp_path: Path, case: str) -> None:
    mutate, field, words = BROKEN[case]
    path = _cassette(tmp_path, case, mutate)
    where = f"interactions[1].{field}"
    with bounded():
        found = lint.lint(path)
    assert [(f.path, f.where) for f in found if words in f.problem] == [(str(path), where)], found


def test_a_long_number_outside_the_interactions_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, "version", RECORDED.read_text(encoding="utf-8").replace("version: 1", f"version: {LONG}"))
    with pytest.raises(CassetteError, match=r": version: holds a number of 5000 digits .*MAX_INT_DIGITS"):
        AtomicPersister.load_cassette(path, yamlserializer)


def test_lint_of_three_files_reports_all_three_when_the_middle_one_is_broken(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = []
    for name in ("a", "c"):
        leaky = {"interactions": json.loads(_recorded_interactions()), "version": 1}
        leaky["interactions"][0]["response"]["body"]["string"] = json.dumps({"Note": f"mail {name}@acme-logistics.de"})
        paths.append(write(tmp_path, name, yaml.safe_dump(leaky)))
    broken = _cassette(tmp_path, "b", BROKEN["long-int-status"][0])
    assert cli.main(["cassettes", "lint", str(tmp_path), str(tmp_path / "missing.yaml")]) == 2
    out = capsys.readouterr()
    assert f"{paths[0]}: cassette.interactions[0].response.body.string: an email address" in out.out
    assert f"{broken}: interactions[1].response.status.code: must be an HTTP status code" in out.out
    assert f"{paths[1]}: cassette.interactions[0].response.body.string: an email address" in out.out
    assert "3 cassette(s) checked, 3 finding(s), 1 path(s) not found" in out.out
    assert "missing.yaml: no such file or folder" in out.err
    assert cli.main(["cassettes", "lint", str(tmp_path)]) == 1  # findings, every path found
