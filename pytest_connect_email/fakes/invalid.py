"""Invalid fake data and coverage: requests that each break exactly one rule.

Invalid data
------------
:func:`constraints` walks the request schema and lists every model constraint (``required``, ``type``,
lengths, ``pattern``, ``enum``, item and entry counts, integer bounds, unknown members, map-key
constraints), each as a pointer template (``*`` stands for any map key or list index) and the keyword
the validator reports, then every doc rule of the operation. A breaker mutates a rich valid request
(``fill="all"``) at the first place that matches: a string one character over its maximum or under its
minimum, a list one item over or under, a map one entry over or under, an integer one over or under,
a byte budget exceeded by exactly one byte. The mutation is checked against the other keywords of the
same schema node and against the doc-rule checkers, the way the validator judges it (a doc finding at
a place the model already reports is dropped); if another rule would break too, the breaker tries the
next map entry or list item, then the same with the entry isolated. What still cannot be broken alone
(an empty email address also misses the pattern; a 4,097-character reference value also exceeds the
4,096-byte budget of START-REF-002) is reported by :func:`coverage`, with the rules that necessarily
break with it and a witness request.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, Literal, NamedTuple

import regex
from faker import Faker

from pytest_connect_email.contracts import active, rules, spec
from pytest_connect_email.fakes._schema import (
    UNKNOWN_MEMBER,
    JSONSchema,
    Loc,
    Part,
    SchemaView,
    _broken,
    _get,
    _is_map,
    _is_structure,
    _pointer,
    _view,
)
from pytest_connect_email.fakes.repair import _rename, _satisfy
from pytest_connect_email.fakes.valid import ConnectEmailProvider, _check_seed, _text_of_bytes
from pytest_connect_email.fakes.walk import _Factory, _utf8

if TYPE_CHECKING:
    pass


# -- Invalid data ----------------------------------------------------------------------------------


class InvalidCase(NamedTuple):
    """A request that breaks exactly one rule: the rule as the validator names it, and where."""

    rule: str
    pointer: str
    request: dict[str, Any]


Target = Literal["value", "key", "rule"]


@dataclass(frozen=True)
class Constraint:
    """One rule of a request contract: a schema keyword at a place, or a doc rule.

    ``path`` is a template: ``*`` stands for any map key or list index. ``target`` is ``"key"`` for the
    constraints a map puts on its keys (``propertyNames``), ``"rule"`` for doc rules.
    """

    keyword: str
    path: tuple[str, ...]
    target: Target = "value"
    limit: Any = field(default=None, compare=False)
    shape: str = field(default="", compare=False)

    @property
    def pointer(self) -> str:
        return "".join("/" + (p if p == "*" else p.replace("~", "~0").replace("/", "~1")) for p in self.path)

    @property
    def id(self) -> str:
        """A stable name: 'maxLength /Name', 'maxLength /Attributes/* [key]', 'START-REF-002'."""
        if self.target == "rule":
            return self.keyword
        return f"{self.keyword} {self.pointer or '(root)'}{' [key]' if self.target == 'key' else ''}"


_STRING_KEYWORDS: Final = ("minLength", "maxLength", "pattern", "enum")


def _walk(view: SchemaView, node: JSONSchema, path: tuple[str, ...], stack: tuple[str, ...]) -> Iterator[Constraint]:
    target, name = view.deref(node)
    if name is not None:
        if name in stack:  # a recursive shape: its constraints are listed where it first appears
            return
        stack = (*stack, name)
    kind = target.get("type")
    shape = str(target.get("x-shape", ""))

    def make(keyword: str, where: tuple[str, ...] = path, on: Target = "value") -> Constraint:
        limit = target.get(keyword) if keyword in target else where[-1] if keyword == "required" else None
        return Constraint(keyword, where, on, limit, shape)

    if path:
        yield make("type")
    if _is_structure(target):
        for member in target.get("required", ()):
            yield make("required", (*path, member))
        if target.get("additionalProperties") is False:
            yield make("additionalProperties")
        yield from _bounds(make, target, "minProperties", "maxProperties")
        for member, sub in target["properties"].items():
            yield from _walk(view, sub, (*path, member), stack)
    elif kind == "object":
        yield from _bounds(make, target, "minProperties", "maxProperties")
        keys = target.get("propertyNames", {})
        for keyword in _STRING_KEYWORDS:
            if keyword in keys and not (keyword == "minLength" and keys[keyword] <= 0):
                yield Constraint(keyword, path, "key", keys[keyword], str(keys.get("x-shape", "")))
        yield from _walk(view, target["additionalProperties"], (*path, "*"), stack)
    elif kind == "array":
        yield from _bounds(make, target, "minItems", "maxItems")
        yield from _walk(view, target["items"], (*path, "*"), stack)
    elif kind == "string":
        if target.get("minLength", 0) > 0:
            yield make("minLength")
        for keyword in ("maxLength", "pattern", "enum"):
            if keyword in target:
                yield make(keyword)
    elif kind in ("integer", "number"):
        for keyword in ("minimum", "maximum"):
            if keyword in target:
                yield make(keyword)
    elif "format" in target:
        yield make("format")


def _bounds(make: Callable[[str], Constraint], node: JSONSchema, low: str, high: str) -> Iterator[Constraint]:
    if node.get(low, 0) > 0:
        yield make(low)
    if high in node:
        yield make(high)


def _constraints(operation: str) -> tuple[Constraint, ...]:
    return _constraints_of(active.contracts(), operation)


@functools.cache
def _constraints_of(source: active.Contracts, operation: str) -> tuple[Constraint, ...]:
    view = _view(operation, "request", None)
    found = list(_walk(view, view.root, (), ()))
    found.extend(Constraint(r.id, (), "rule") for r in rules.rules_for(operation))
    return tuple(found)


def constraints(operation: str) -> tuple[Constraint, ...]:
    """Every constraint of an operation's request: model constraints in schema order, then doc rules."""
    return _constraints(spec.resolve_operation(operation))


@dataclass
class _Context:
    operation: str
    view: SchemaView
    factory: _Factory
    base: dict[str, Any]


def _context(operation: str, seed: int) -> _Context:
    """A rich valid request (fill='all') from a provider of its own, so that iterators never share state."""
    faker = Faker()
    faker.seed_instance(seed)
    view = _view(operation, "request", None)
    factory = _Factory(ConnectEmailProvider(faker), operation, view, "all")
    base = factory.document()
    _satisfy(factory, base)
    return _Context(operation, view, factory, base)


@dataclass
class _Outcome:
    constraint: Constraint
    cases: list[InvalidCase]
    reason: str = ""
    also_breaks: tuple[str, ...] = ()
    witness: dict[str, Any] | None = None


def _doc_findings(operation: str, request: Mapping[str, Any]) -> list[tuple[str, str]]:
    return [(r.id, f.pointer) for r in rules.rules_for(operation) for f in r.check(request)]


def _locations(doc: Any, template: Sequence[str]) -> Iterator[Loc]:
    """Concrete paths in ``doc`` that match ``template`` (``*`` = any key or index), in document order."""
    if not template:
        yield ()
        return
    head, rest = template[0], template[1:]
    if head == "*":
        if isinstance(doc, dict):
            for key in list(doc):
                for tail in _locations(doc[key], rest):
                    yield (key, *tail)
        elif isinstance(doc, list):
            for index, item in enumerate(doc):
                for tail in _locations(item, rest):
                    yield (index, *tail)
    elif isinstance(doc, dict) and head in doc:
        for tail in _locations(doc[head], rest):
            yield (head, *tail)


def _anchors(doc: dict[str, Any], c: Constraint) -> list[Loc]:
    """Where a breaker can act: the value, the member to remove, or the map key to rename."""
    template = (*c.path, "*") if c.target == "key" else c.path
    found = list(_locations(doc, template))
    if c.keyword == "additionalProperties" or c.keyword in ("minProperties", "maxProperties"):
        found = [loc for loc in found if isinstance(_get(doc, loc), dict)]
    return found[:8]


def _fit_length(text: str, low: int, high: int | None) -> str:
    if high is not None and len(text) > high:
        text = text[:high]
    return text + "a" * (low - len(text)) if len(text) < low else text


def _string_candidates(node: JSONSchema, old: str, keyword: str) -> Iterator[str]:
    low, high = node.get("minLength", 0), node.get("maxLength")
    if keyword == "minLength":
        size = node["minLength"] - 1
        yield old[:size]
        if size:
            yield old[-size:]
        yield "a" * size
    elif keyword == "maxLength":
        size = node["maxLength"] + 1
        pad = size - len(old)
        if "@" in old and pad > 0:
            at = old.index("@")
            yield old[:at] + (old[at - 1] if at else "a") * pad + old[at:]
        if pad > 0:
            yield old + "a" * pad
            yield "a" * pad + old
        yield "a" * size
    elif keyword == "pattern":
        pattern = node["pattern"]
        raw: list[str] = []
        if "@" in old:
            raw.append(old.replace("@", ""))
        # a negative lookahead names a reserved prefix: use it ("aws:" for tag keys)
        raw.extend(lit + old for lit in regex.findall(r"\(\?!([^()\[\]\\|*+?{}]+)\)", pattern))
        raw.extend([" " + old, old[:1] + "\u200b" + old[1:], "#" + old[1:], "\u0007" + old, " " * max(1, len(old))])
        for candidate in raw:
            yield _fit_length(candidate, low, high)
    elif keyword == "enum":
        for candidate in (old.lower(), old.capitalize(), old.lower().replace("_", "-"), old + "_X", "UNKNOWN"):
            yield _fit_length(candidate, low, high)


def _break_string(node: JSONSchema, old: Any, keyword: str) -> tuple[str, list[str]]:
    """A string that breaks ``keyword`` of ``node`` and, if possible, nothing else of it."""
    text = old if isinstance(old, str) else str(node.get("enum", [""])[0])
    first: tuple[str, list[str]] | None = None
    for candidate in _string_candidates(node, text, keyword):
        broken = _broken(node, candidate)
        if broken == [keyword]:
            return candidate, []
        if keyword in broken and first is None:
            first = (candidate, [b for b in broken if b != keyword])
    if first is None:  # pragma: no cover - every keyword has an always-breaking last candidate
        raise ValueError(f"cannot break {keyword} of {node.get('x-shape')}")
    return first


def _wrong_type(node: JSONSchema, value: Any) -> Any:
    """A value of another JSON type, shaped like a real mistake (a number for a string, one item for a list)."""
    kind = node.get("type")
    if kind == "string":
        return 4711
    if kind in ("integer", "number"):
        return str(value)
    if kind == "boolean":
        return "true"
    if kind == "array":
        return value[0] if value and not isinstance(value[0], list) else "not-a-list"
    if kind == "object":
        return [value]
    return True  # a timestamp (number or string) gets a boolean


def _mutate(ctx: _Context, doc: dict[str, Any], loc: Loc, c: Constraint) -> tuple[str, list[str]] | None:
    """Break ``c`` at ``loc`` in place; return the pointer the validator will report and other local breaks."""
    keyword = c.keyword
    if c.target == "key":
        mapping = _get(doc, loc[:-1])
        old = str(loc[-1])
        keys = ctx.view.node_at(loc[:-1]).get("propertyNames", {})
        new_key, key_extra = _break_string(keys, old, keyword)
        if new_key in mapping:
            return None
        _rename(mapping, old, new_key)
        return _pointer((*loc[:-1], new_key)), key_extra
    if keyword == "required":
        del _get(doc, loc[:-1])[loc[-1]]
        return _pointer(loc), []
    if keyword == "additionalProperties":
        target = _get(doc, loc)
        if ctx.view.node_at(loc).get("x-union"):  # a union sets one member: the unknown one takes its place
            target.clear()
        target[UNKNOWN_MEMBER] = "unexpected"
        return _pointer((*loc, UNKNOWN_MEMBER)), []
    node = ctx.view.node_at(loc)
    value = _get(doc, loc)
    extra: list[str] = []
    new: Any
    if keyword == "type":
        new = _wrong_type(node, value)
        extra = [b for b in _broken(node, new) if b != keyword]
    elif keyword in _STRING_KEYWORDS:
        new, extra = _break_string(node, value, keyword)
    elif keyword in ("minimum", "maximum"):
        new = node[keyword] - 1 if keyword == "minimum" else node[keyword] + 1
        extra = [b for b in _broken(node, new) if b != keyword]
    elif keyword == "format":
        new = "not-a-timestamp"
    elif keyword == "minItems":
        new = value[: node["minItems"] - 1]
    elif keyword == "maxItems":
        items = value or [ctx.factory.value(node["items"], "", ())]
        new = [copy.deepcopy(items[i % len(items)]) for i in range(node["maxItems"] + 1)]
    elif keyword == "minProperties":
        new = dict(list(value.items())[: node["minProperties"] - 1])
    elif keyword == "maxProperties":
        new = dict(value)
        if node.get("x-union"):
            for member, sub in node["properties"].items():
                if len(new) > node["maxProperties"]:
                    break
                new.setdefault(member, ctx.factory.value(sub, member, ()))
        else:
            keys = node.get("propertyNames", {})
            template = next(iter(value.values()), None)
            while len(new) <= node["maxProperties"]:
                key = ctx.factory.key(keys, new)
                fresh = copy.deepcopy(template) if template is not None else None
                new[key] = fresh if fresh is not None else ctx.factory.value(node["additionalProperties"], "", ())
    else:  # pragma: no cover - _walk lists no other keyword
        raise ValueError(f"no breaker for keyword {keyword!r}")
    if loc:
        _get(doc, loc[:-1])[loc[-1]] = new
    return _pointer(loc), extra


def _isolate(ctx: _Context, doc: dict[str, Any], loc: Loc, c: Constraint) -> Loc:
    """Keep only the entries on ``loc`` in every map and list it passes through; minimise a renamed key's value."""
    out: list[Part] = []
    for depth, part in enumerate(loc):
        container = _get(doc, out)
        node = ctx.view.node_at(out)
        if isinstance(container, dict) and _is_map(node) and node.get("minProperties", 0) <= 1:
            kept = container[part]
            container.clear()
            container[part] = kept
        elif isinstance(container, list) and node.get("minItems", 0) <= 1 and depth < len(loc):
            kept = container[int(part)]
            container[:] = [kept]
            part = 0
        out.append(part)
    if c.target == "key":
        value_node = ctx.view.node_at(out)
        if value_node.get("type") == "string" and not value_node.get("pattern") and not value_node.get("enum"):
            _get(doc, out[:-1])[out[-1]] = "a" * value_node.get("minLength", 0)
    return tuple(out)


def _attempt(ctx: _Context, c: Constraint) -> _Outcome:
    if c.target == "rule":
        return _attempt_rule(ctx, c)
    conflict: tuple[dict[str, Any], tuple[str, ...]] | None = None
    anchors = _anchors(ctx.base, c)
    for isolate in (False, True):
        for anchor in anchors:
            doc = copy.deepcopy(ctx.base)
            loc = _isolate(ctx, doc, anchor, c) if isolate else anchor
            result = _mutate(ctx, doc, loc, c)
            if result is None:
                continue
            pointer, local = result
            if local:
                others = ", ".join(local)
                return _Outcome(
                    c, [], f"breaking it also breaks {others} of the same member", tuple(local), witness=doc
                )
            extra = tuple(dict.fromkeys(rule for rule, where in _doc_findings(ctx.operation, doc) if where != pointer))
            if not extra:
                return _Outcome(c, [InvalidCase(c.keyword, pointer, doc)])
            if conflict is None:
                conflict = (doc, extra)
    if conflict is not None:
        doc, extra = conflict
        return _Outcome(c, [], f"breaking it also breaks doc rule {', '.join(extra)}", extra, witness=doc)
    return _Outcome(c, [], "the fill='all' request has no value at this path to break")


# -- Doc rules: breakers (invalid data) ------------------------------------------------------------

Breaker = Callable[[_Context], Iterator[tuple[str, dict[str, Any]]]]

_BREAKERS: dict[str, Breaker] = {}


def _breaker(*rule_ids: str) -> Callable[[Breaker], Breaker]:
    def register(breaker: Breaker) -> Breaker:
        for rule_id in rule_ids:
            _BREAKERS[rule_id] = breaker
        return breaker

    return register


def _fresh_map(ctx: _Context, member: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """A copy of the base request and its map ``member`` (made if the base lacks it)."""
    doc = copy.deepcopy(ctx.base)
    if not isinstance(doc.get(member), dict):
        doc[member] = {}
    return doc, doc[member]


def _first_reference(ctx: _Context, doc: dict[str, Any], refs: dict[str, Any], kind: str | None = None) -> str:
    for key, ref in refs.items():
        if kind is None or ref.get("Type") == kind:
            return key
    key = ctx.factory.key(ctx.view.node_at(("References",)).get("propertyNames", {}), refs)
    refs[key] = {"Type": kind or "STRING", "Value": ctx.factory.provider.connect_reference_value(kind or "STRING")}
    return key


@_breaker("START-REF-001")
def _break_reference_type(ctx: _Context) -> Iterator[tuple[str, dict[str, Any]]]:
    doc, refs = _fresh_map(ctx, "References")
    key = _first_reference(ctx, doc, refs, "URL")
    enum = ctx.view.node_at(("References", "*", "Type"))["enum"]
    refused = [t for t in enum if t not in rules.CREATION_REFERENCE_TYPES]
    refs[key]["Type"] = "ATTACHMENT" if "ATTACHMENT" in refused else refused[0]
    yield _pointer(("References", key, "Type")), doc


def _over_budget(ctx: _Context, member: str, limit: int, new_key: str, wrap: Callable[[str], Any]) -> dict[str, Any]:
    """The base request with one more entry in ``member`` so that keys + values are ``limit + 1`` bytes."""
    doc, mapping = _fresh_map(ctx, member)
    new_key = next(k for k in (new_key, *(f"{new_key}{i}" for i in range(2, 1000))) if k not in mapping)

    def size(value: Any) -> int:
        text = value.get("Value") if isinstance(value, dict) else value
        return _utf8(text) if isinstance(text, str) else 0

    while mapping and sum(_utf8(k) + size(v) for k, v in mapping.items()) + _utf8(new_key) > limit:
        mapping.pop(next(reversed(mapping)))
    used = sum(_utf8(k) + size(v) for k, v in mapping.items()) + _utf8(new_key)
    mapping[new_key] = wrap(_text_of_bytes(limit + 1 - used, "Rückruf erwünscht, Lieferung beschädigt – "))
    return doc


@_breaker("START-REF-002")
def _break_reference_bytes(ctx: _Context) -> Iterator[tuple[str, dict[str, Any]]]:
    doc = _over_budget(
        ctx, "References", rules.REFERENCES_BYTE_LIMIT, "customerNote", lambda text: {"Type": "STRING", "Value": text}
    )
    yield "/References", doc


@_breaker("START-REF-003")
def _break_date_reference(ctx: _Context) -> Iterator[tuple[str, dict[str, Any]]]:
    for bad in ("2026-01-15T09:30:00Z", "17684697000000"):  # ISO 8601, and one digit more than 13
        doc, refs = _fresh_map(ctx, "References")
        key = _first_reference(ctx, doc, refs, "DATE")
        refs[key]["Value"] = bad
        yield _pointer(("References", key, "Value")), doc


@_breaker("START-ATTR-001")
def _break_attribute_bytes(ctx: _Context) -> Iterator[tuple[str, dict[str, Any]]]:
    yield "/Attributes", _over_budget(ctx, "Attributes", rules.ATTRIBUTES_BYTE_LIMIT, "customerNote", str)


@_breaker("START-ATTR-002")
def _break_attribute_key(ctx: _Context) -> Iterator[tuple[str, dict[str, Any]]]:
    doc, attrs = _fresh_map(ctx, "Attributes")
    attrs["order.number"] = "4711"
    yield _pointer(("Attributes", "order.number")), doc


@_breaker("START-SEG-001")
def _break_segment_key(ctx: _Context) -> Iterator[tuple[str, dict[str, Any]]]:
    doc, segments = _fresh_map(ctx, "SegmentAttributes")
    segments["custom:priority"] = {"ValueString": "high"}
    yield _pointer(("SegmentAttributes", "custom:priority")), doc


@_breaker("START-SEG-002")
def _break_contact_expiry(ctx: _Context) -> Iterator[tuple[str, dict[str, Any]]]:
    where = ("SegmentAttributes", rules.CONTACT_EXPIRY_KEY)
    doc, segments = _fresh_map(ctx, "SegmentAttributes")
    segments[rules.CONTACT_EXPIRY_KEY] = {"ValueMap": {"ExpiryDuration": {"ValueInteger": 0}}}  # one under 1 minute
    yield _pointer((*where, "ValueMap", "ExpiryDuration", "ValueInteger")), doc
    doc, segments = _fresh_map(ctx, "SegmentAttributes")
    segments[rules.CONTACT_EXPIRY_KEY] = {"ValueString": "135"}  # minutes, but not as a ValueMap
    yield _pointer(where), doc


@_breaker("START-MSG-001")
def _break_content_type(ctx: _Context) -> Iterator[tuple[str, dict[str, Any]]]:
    doc = copy.deepcopy(ctx.base)
    doc["EmailMessage"]["RawMessage"]["ContentType"] = "text/html; charset=UTF-8"
    yield "/EmailMessage/RawMessage/ContentType", doc


@_breaker("START-MSG-002")
def _break_raw_message(ctx: _Context) -> Iterator[tuple[str, dict[str, Any]]]:
    doc = copy.deepcopy(ctx.base)
    del doc["EmailMessage"]["RawMessage"]
    yield "/EmailMessage/RawMessage", doc


@_breaker("DISASSOC-ALIAS-001", "ASSOC-ALIAS-001")
def _break_self_alias(ctx: _Context) -> Iterator[tuple[str, dict[str, Any]]]:
    for same in (str, str.upper):  # the primary id itself, and in capitals (ids compare case-insensitively)
        doc = copy.deepcopy(ctx.base)
        doc["AliasConfiguration"]["EmailAddressId"] = same(doc["EmailAddressId"])
        yield "/AliasConfiguration/EmailAddressId", doc


@_breaker("EMAIL-ADDR-001")
def _break_email_address(ctx: _Context) -> Iterator[tuple[str, dict[str, Any]]]:
    # The model's unanchored pattern finds the address inside; the documented format wants it whole.
    for path, value in rules.email_addresses(ctx.base, ctx.operation):
        doc = copy.deepcopy(ctx.base)
        container = _get(doc, path[:-1])
        container[int(path[-1]) if isinstance(container, list) else path[-1]] = f"Kunde <{value}>"
        yield _pointer(path), doc


def _attempt_rule(ctx: _Context, c: Constraint) -> _Outcome:
    breaker = _BREAKERS.get(c.keyword)
    if breaker is None:
        return _Outcome(c, [], "no breaker is registered for this doc rule in pytest_connect_email.fakes.invalid")
    cases: list[InvalidCase] = []
    for pointer, doc in breaker(ctx):
        if _doc_findings(ctx.operation, doc) == [(c.keyword, pointer)]:
            cases.append(InvalidCase(c.keyword, pointer, doc))
    if cases:
        return _Outcome(c, cases)
    return _Outcome(c, [], "the breaker's requests break other rules too")


def _resolve_constraint(operation: str, constraint: Constraint | str) -> Constraint:
    known = _constraints(operation)
    if isinstance(constraint, Constraint):
        if constraint in known:
            return constraint
    elif isinstance(constraint, str):
        for c in known:
            if c.id == constraint:
                return c
    else:
        raise TypeError(f"constraint must be a Constraint or its id, not {type(constraint).__name__}")
    raise ValueError(f"{operation} has no constraint {constraint!r}; see fakes.constraints({operation!r})")


def cases_for(operation: str, constraint: Constraint | str, seed: int = 0) -> tuple[InvalidCase, ...]:
    """The invalid cases that break exactly ``constraint`` (empty when it cannot break alone)."""
    name = spec.resolve_operation(operation)
    _check_seed(seed)
    c = _resolve_constraint(name, constraint)
    return tuple(_attempt(_context(name, seed), c).cases)


def _outcomes(operation: str, seed: int) -> Iterator[_Outcome]:
    ctx = _context(operation, seed)
    for c in _constraints(operation):
        yield _attempt(ctx, c)


def invalid_cases(operation: str, seed: int = 0) -> Iterator[InvalidCase]:
    """Requests that each break exactly one rule, with the JSON pointer the validator reports."""
    name = spec.resolve_operation(operation)
    _check_seed(seed)
    return (case for outcome in _outcomes(name, seed) for case in outcome.cases)


def invalid_requests(operation: str, seed: int = 0) -> Iterator[tuple[str, dict[str, Any]]]:
    """``(rule_id, request)`` pairs: ``for rule, request in invalid_requests("StartEmailContact")``."""
    return ((case.rule, case.request) for case in invalid_cases(operation, seed))


def coverage(operation: str, seed: int = 0) -> dict[str, Any]:
    """Which constraints of an operation's request the invalid cases break, and why the others cannot be.

    ``{"operation", "constraints": count, "covered": [id, ...], "not_covered": {id: {"reason",
    "also_breaks": [rules that necessarily break with it], "witness": request or None}}}``.
    """
    name = spec.resolve_operation(operation)
    _check_seed(seed)
    covered: list[str] = []
    missing: dict[str, Any] = {}
    total = 0
    for outcome in _outcomes(name, seed):
        total += 1
        if outcome.cases:
            covered.append(outcome.constraint.id)
        else:
            missing[outcome.constraint.id] = {
                "reason": outcome.reason,
                "also_breaks": list(outcome.also_breaks),
                "witness": outcome.witness,
            }
    return {"operation": name, "constraints": total, "covered": covered, "not_covered": missing}


def _covered(operation: str) -> tuple[Constraint, ...]:
    return _covered_of(active.contracts(), operation)


@functools.cache
def _covered_of(source: active.Contracts, operation: str) -> tuple[Constraint, ...]:
    return tuple(o.constraint for o in _outcomes(operation, 0) if o.cases)


def covered_constraints(operation: str) -> tuple[Constraint, ...]:
    """The constraints that :func:`invalid_cases` breaks alone (computed once per process, seed 0)."""
    return _covered(spec.resolve_operation(operation))
