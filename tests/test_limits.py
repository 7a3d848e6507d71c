"""The budgets module: what it refuses, what it lets through, and that the README lists every budget."""

from __future__ import annotations

import json

import pytest

from pytest_connect_email import limits

from .conftest import ROOT

BUDGETS = [
    name
    for name in dir(limits)
    if name.isupper() and not name.startswith("_") and isinstance(getattr(limits, name), (int, float))
]


@pytest.mark.parametrize("name", BUDGETS)
def test_the_readme_lists_every_budget(name: str) -> None:
    assert f"`{name}`" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_brackets_digits_and_commas_inside_strings_do_not_count() -> None:
    text = json.dumps({"a": "[" * 10_000 + "9" * 10_000 + "," * 60_000, "b": ['\\"[[[' * 500]})
    assert limits.loads(text)["a"].startswith("[[[")


@pytest.mark.parametrize(
    ("text", "limit"),
    [
        ("[" * 65 + "]" * 65, "MAX_DEPTH"),
        ("[" + ",".join(["0"] * limits.MAX_NODES) + "]", "MAX_NODES"),  # the list and its values
        ("[" * 65 + "]" * (4 * limits.MAX_NODES), "MAX_NODES"),  # more structure than any JSON within budget
        ("[" + "1" * (limits.MAX_INT_DIGITS + 1) + "]", "MAX_INT_DIGITS"),
        ("[1e400]", "number"),
        ("[-Infinity]", "number"),
    ],
)
def test_json_text_over_a_budget(text: str, limit: str) -> None:
    with pytest.raises(limits.LimitExceeded) as info:
        limits.loads(text)
    assert info.value.limit == limit


def test_json_text_at_the_budgets_passes() -> None:
    nested: list[object] = []
    for _ in range(63):
        nested = [nested]
    assert limits.loads("[" * 64 + "]" * 64) == nested
    assert len(limits.loads("[" + ",".join(["0"] * (limits.MAX_NODES - 1)) + "]")) == limits.MAX_NODES - 1
    assert limits.loads("[" + "1" * limits.MAX_INT_DIGITS + "]") == [int("1" * limits.MAX_INT_DIGITS)]


def test_yaml_with_a_few_aliases_passes() -> None:
    limits.check_yaml_text("base: &b {a: 1, b: [1, 2]}\nx: *b\ny: [*b, *b]\n")
    limits.check_yaml_text("not: [valid yaml\n")  # malformed YAML is left to the loader, which says where


def test_a_shared_subtree_is_not_a_cycle() -> None:
    shared = {"k": "v"}
    limits.check_document({"a": shared, "b": [shared, shared]})


def test_documents_of_other_mapping_and_leaf_types_pass() -> None:
    import collections
    import datetime as dt
    import types

    limits.check_document(
        {"a": collections.OrderedDict(b=dt.datetime.now()), "c": (1, b"x", 2.5, None, True)},
    )
    limits.check_document(types.MappingProxyType({"k": ["v"]}))
    with pytest.raises(limits.LimitExceeded) as info:
        limits.check_document(types.MappingProxyType({1: "v"}))
    assert info.value.limit == "key-type"
