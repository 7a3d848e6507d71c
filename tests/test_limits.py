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


@pytest.mark.parametrize(
    ("text", "limit"),
    [
        ('["a\\\\", ' + "[" * 65 + "]" * 65 + "]", "MAX_DEPTH"),  # an escaped backslash, then the closing quote
        ('["\\"", ' + "1" * (limits.MAX_INT_DIGITS + 1) + "]", "MAX_INT_DIGITS"),  # an escaped quote does not close
        ("[" * 65 + '"\\"' + "[" * 100, "MAX_DEPTH"),  # structure before an unterminated string counts
    ],
    ids=["escaped-backslash", "escaped-quote", "before-unterminated"],
)
def test_string_literals_end_where_json_ends_them(text: str, limit: str) -> None:
    with pytest.raises(limits.LimitExceeded) as info:
        limits.check_json_text(text)
    assert info.value.limit == limit


def test_what_an_unterminated_string_holds_is_not_structure() -> None:
    # The string runs to the end of the text: json.loads says so; no budget is the answer.
    text = '{"a": "\\\\\\"' + "[" * 1_000 + "1" * 1_000
    limits.check_json_text(text)
    with pytest.raises(json.JSONDecodeError, match="Unterminated string"):
        limits.loads(text)
    # Runs of digits just within the budget, everywhere, pass; one digit more is refused wherever it is.
    runs = ",".join(["1" * limits.MAX_INT_DIGITS] * 1_000)
    limits.check_json_text("[" + runs + "]")
    with pytest.raises(limits.LimitExceeded):
        limits.check_json_text("[" + runs + ",-" + "9" * (limits.MAX_INT_DIGITS + 1) + "]")
