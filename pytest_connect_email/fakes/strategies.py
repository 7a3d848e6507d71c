"""Hypothesis strategies for Amazon Connect email API requests, valid and invalid.

:func:`requests` is built from the operation's committed request schema on Hypothesis primitives
(``hypothesis-jsonschema`` is not used: it cannot read the model's ``\\p{L}`` patterns):

- a structure is ``st.fixed_dictionaries``: required members always, optional members as Hypothesis
  chooses, so a failing example shrinks to the required members; a union is ``st.one_of`` its members;
- a map is ``st.dictionaries`` with keys from ``propertyNames`` (an enum, a realistic generator for
  patterned keys, or ASCII identifiers), a list is ``st.lists``; both stay within the model's bounds;
- an enum is ``st.sampled_from``, an integer ``st.integers`` within its bounds, plain text ``st.text``
  (without ``@``, so nothing but the address generator writes an address);
- a string with a realistic generator in :mod:`pytest_connect_email.fakes` (addresses at example
  domains, UUID ids, subjects, bodies, presigned URLs, ARNs, patterned values) is drawn as a seed and
  made by :func:`fakes.fake_value`: the value shrinks with its seed, and no model pattern ever has to
  go through Python's ``re``.

Recursive shapes are cut the way the fakes cut them: a shape appears at most :data:`fakes.MAX_DEPTH`
times on a path and deeper maps and lists are empty, so examples stay small without ``st.recursive``.
Text and collections draw at most a few characters or entries beyond their minimum, which keeps every
byte budget of the doc rules far away and the examples fast. Each example then goes through
:func:`fakes.satisfy_doc_rules`, whose repairs find what to fix with the doc rules' own checkers; a
``connect:ContactExpiry`` entry is offered to ``SegmentAttributes`` so that START-SEG-002 is exercised.

:func:`invalid_cases` draws one of the constraints that :func:`fakes.invalid_cases` breaks alone
(``st.sampled_from``, shrinking toward the first) and a seed for the valid request it starts from;
:func:`invalid_requests` gives the same as ``(rule_id, request)`` pairs.
"""

from __future__ import annotations

import datetime as _dt
import functools
from typing import Any, Final

from hypothesis import assume
from hypothesis import strategies as st

from pytest_connect_email import fakes
from pytest_connect_email.contracts import active, rules, spec

__all__ = ["invalid_cases", "invalid_requests", "requests"]

JSONSchema = dict[str, Any]

#: Plain text draws at most this many characters beyond the minimum length.
TEXT_SPAN: Final = 16
#: Maps and lists draw at most this many entries beyond the minimum count.
COLLECTION_SPAN: Final = 3
#: Seeds for the realistic generators of :mod:`pytest_connect_email.fakes`.
_SEEDS: Final = st.integers(min_value=0, max_value=2**32 - 1)
_IDENTIFIER_CHARS: Final = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-"
_TEXT_CHARS = st.characters(exclude_categories=["Cs"], exclude_characters="@")  # UTF-8 encodable, no "@"
_INT32: Final = 2**31


def _leaf(operation: str, node: JSONSchema, name: str, seed: int) -> Any:
    return fakes.fake_value(operation, node, name, seed=seed)


def _with_expiry(pair: tuple[dict[str, Any], int | None]) -> dict[str, Any]:
    entries, minutes = pair
    if minutes is None:
        return entries
    return {**entries, rules.CONTACT_EXPIRY_KEY: fakes.contact_expiry_value(minutes)}


class _Builder:
    """Turns the nodes of one request contract into strategies."""

    def __init__(self, operation: str) -> None:
        self.operation = operation
        self.view = fakes.schema_view(operation, "request")

    def saturated(self, node: JSONSchema, stack: tuple[str, ...]) -> bool:
        _, name = self.view.deref(node)
        return name is not None and stack.count(name) >= fakes.MAX_DEPTH

    def node(self, node: JSONSchema, name: str, stack: tuple[str, ...]) -> st.SearchStrategy[Any]:
        target, def_name = self.view.deref(node)
        if def_name is not None:
            stack = (*stack, def_name)
        kind = target.get("type")
        if kind == "object" and isinstance(target.get("properties"), dict):
            return self.structure(target, stack)
        if kind == "object":
            return self.map(target, name, stack)
        if kind == "array":
            return self.list(target, name, stack)
        if kind == "string":
            return self.string(target, name)
        if kind == "integer":
            return st.integers(target.get("minimum", -_INT32), target.get("maximum", _INT32 - 1))
        if kind == "number":
            return st.floats(
                target.get("minimum", -1e9), target.get("maximum", 1e9), allow_nan=False, allow_infinity=False
            )
        if kind == "boolean":
            return st.booleans()
        if target.get("format") == "date-time":
            utc = st.just(_dt.timezone.utc)
            return st.datetimes(_dt.datetime(2000, 1, 1), _dt.datetime(2100, 1, 1), timezones=utc)
        raise ValueError(f"{self.operation}: no strategy for schema node {target.get('x-shape') or target!r}")

    def structure(self, node: JSONSchema, stack: tuple[str, ...]) -> st.SearchStrategy[dict[str, Any]]:
        props: dict[str, JSONSchema] = node["properties"]
        if node.get("x-union"):
            members = [m for m, sub in props.items() if not self.saturated(sub, stack)] or list(props)
            return st.one_of([st.fixed_dictionaries({m: self.node(props[m], m, stack)}) for m in members])
        required = node.get("required", ())
        return st.fixed_dictionaries(
            {m: self.node(sub, m, stack) for m, sub in props.items() if m in required},
            optional={m: self.node(sub, m, stack) for m, sub in props.items() if m not in required},
        )

    def map(self, node: JSONSchema, name: str, stack: tuple[str, ...]) -> st.SearchStrategy[dict[str, Any]]:
        values = node["additionalProperties"]
        low = node.get("minProperties", 0)
        entries: st.SearchStrategy[dict[str, Any]]
        if self.saturated(values, stack) and low == 0:
            entries = st.just({})
        else:
            high = min(node.get("maxProperties", low + COLLECTION_SPAN), low + COLLECTION_SPAN)
            keys = self.key(node.get("propertyNames", {}))
            entries = st.dictionaries(keys, self.node(values, name, stack), min_size=low, max_size=high)
        if node.get("x-shape") == "SegmentAttributes":
            expiry = st.none() | st.integers(min_value=1, max_value=10_080)
            return st.tuples(entries, expiry).map(_with_expiry)
        return entries

    def list(self, node: JSONSchema, name: str, stack: tuple[str, ...]) -> st.SearchStrategy[list[Any]]:
        items = node["items"]
        low = node.get("minItems", 0)
        if self.saturated(items, stack) and low == 0:
            return st.just([])
        high = min(node.get("maxItems", low + COLLECTION_SPAN), low + COLLECTION_SPAN)
        return st.lists(self.node(items, name, stack), min_size=low, max_size=high)

    def key(self, node: JSONSchema) -> st.SearchStrategy[str]:
        if node.get("enum"):
            return st.sampled_from(node["enum"])
        if node.get("pattern"):
            return _SEEDS.map(functools.partial(_leaf, self.operation, node, ""))
        low = max(1, node.get("minLength", 0))
        high = min(node.get("maxLength", low + TEXT_SPAN), low + TEXT_SPAN)
        return st.text(_IDENTIFIER_CHARS, min_size=low, max_size=high)

    def string(self, node: JSONSchema, name: str) -> st.SearchStrategy[str]:
        if node.get("enum"):
            return st.sampled_from(node["enum"])
        if node.get("pattern") or fakes.leaf_kind(node, name):
            return _SEEDS.map(functools.partial(_leaf, self.operation, node, name))
        low = node.get("minLength", 0)
        high = min(node.get("maxLength", low + TEXT_SPAN), low + TEXT_SPAN)
        return st.text(_TEXT_CHARS, min_size=low, max_size=high)


def _requests(operation: str) -> st.SearchStrategy[dict[str, Any]]:
    return _requests_of(active.contracts(), operation)


@functools.cache
def _requests_of(source: active.Contracts, operation: str) -> st.SearchStrategy[dict[str, Any]]:
    """Cached per set of contracts: the strategies follow when the active contracts change."""
    builder = _Builder(operation)
    documents = builder.node(builder.view.root, "", ())
    return documents.map(functools.partial(fakes.satisfy_doc_rules, operation))


def requests(operation: str) -> st.SearchStrategy[dict[str, Any]]:
    """Valid requests (boto3 parameters) of ``operation``: they meet the contract and every doc rule."""
    return _requests(spec.resolve_operation(operation))


def _invalid_cases(operation: str) -> st.SearchStrategy[fakes.InvalidCase]:
    return _invalid_cases_of(active.contracts(), operation)


@functools.cache
def _invalid_cases_of(source: active.Contracts, operation: str) -> st.SearchStrategy[fakes.InvalidCase]:
    breakable = fakes.covered_constraints(operation)
    if not breakable:  # pragma: no cover - every covered operation has at least one constraint
        raise ValueError(f"{operation} has no constraint that an invalid case can break alone")

    @st.composite
    def draw_case(draw: st.DrawFn) -> fakes.InvalidCase:
        constraint = draw(st.sampled_from(breakable))
        seed = draw(_SEEDS)
        cases = fakes.cases_for(operation, constraint, seed=seed)
        assume(cases)  # the valid request of this seed leaves no place to break it alone
        case: fakes.InvalidCase = draw(st.sampled_from(cases))
        return case

    return draw_case()


def invalid_cases(operation: str) -> st.SearchStrategy[fakes.InvalidCase]:
    """Requests that break exactly one rule, as ``InvalidCase(rule, pointer, request)``."""
    return _invalid_cases(spec.resolve_operation(operation))


def invalid_requests(operation: str) -> st.SearchStrategy[tuple[str, dict[str, Any]]]:
    """Requests that break exactly one rule, as ``(rule_id, request)`` with the validator's rule id."""
    return invalid_cases(operation).map(lambda case: (case.rule, case.request))
