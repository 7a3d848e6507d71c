"""Hostile cassette files, for replay (the persister) and for lint: each a clear CassetteError or
finding naming the file and the limit, fast, and one bad file never hides the findings of others."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from vcr.serializers import yamlserializer

from pytest_connect_email import cassettes, cli, limits, scrub
from pytest_connect_email.cassettes import AtomicPersister, CassetteError

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
    assert len(alias_bomb(4, 25)) < 600  # ~1.05 million nodes: under MAX_YAML_NODES, yet seconds to lint
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
        found = cassettes.lint(path)
    assert len(found) == 1
    assert limit in found[0].problem
    assert "corrupt or truncated" not in found[0].problem


def test_binary_garbage_names_the_file(tmp_path: Path) -> None:
    garbage = bytes(range(256)) * 4096  # 1 MiB, not UTF-8
    path = write(tmp_path, "garbage", garbage)
    with bounded(), pytest.raises(CassetteError, match="not UTF-8") as info:
        AtomicPersister.load_cassette(path, yamlserializer)
    assert str(path) in str(info.value)
    [finding] = cassettes.lint(path)
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
        found = cassettes.lint(path)
    assert [f.problem for f in found if "@" in f.problem] == []


def test_the_vcrpy_floor_excludes_every_release_with_the_unsafe_loader() -> None:
    from packaging.requirements import Requirement

    declared = re.findall(r'"(vcrpy\b[^"]*)"', (ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    [vcrpy] = [Requirement(d) for d in declared]
    assert not any(vcrpy.specifier.contains(v) for v in ("6.0", "8.1.1", "8.2.0"))  # unsafe loader / no hook
    assert vcrpy.specifier.contains("8.2.1")
