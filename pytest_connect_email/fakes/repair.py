"""Doc-rule repair: makes a request meet every doc rule of its operation.

The doc rules (:mod:`pytest_connect_email.contracts.rules`) carry what the model cannot. Each rule id has a
*repair* here, driven by the rule's own checker (its findings say where to repair), applied after
generation so that a request meets every rule of its operation, and a *breaker* that makes invalid
data for it. A test holds both registries complete.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pytest_connect_email.contracts import rules
from pytest_connect_email.fakes._schema import _get, _parse_pointer
from pytest_connect_email.fakes.walk import _contact_expiry, _Factory, _utf8

if TYPE_CHECKING:
    pass


# -- Doc rules: repairs (valid data) ---------------------------------------------------------------

Repair = Callable[[_Factory, dict[str, Any], list[rules.Finding]], None]

#: One repair per doc rule, applied in this order (a DATE value is fixed before the byte budget).
_REPAIRS: dict[str, Repair] = {}


def _repair(*rule_ids: str) -> Callable[[Repair], Repair]:
    def register(repair: Repair) -> Repair:
        for rule_id in rule_ids:
            _REPAIRS[rule_id] = repair
        return repair

    return register


def _container(request: dict[str, Any], pointer: str) -> tuple[Any, str]:
    *parents, last = _parse_pointer(pointer)
    return _get(request, parents), last


@_repair("START-REF-001")
def _repair_reference_type(f: _Factory, request: dict[str, Any], findings: list[rules.Finding]) -> None:
    for finding in findings:
        ref, member = _container(request, finding.pointer)
        ref[member] = f.rng.choice(rules.CREATION_REFERENCE_TYPES)


@_repair("START-REF-003")
def _repair_date_reference(f: _Factory, request: dict[str, Any], findings: list[rules.Finding]) -> None:
    for finding in findings:
        ref, member = _container(request, finding.pointer)
        ref[member] = f.provider.connect_reference_value("DATE")


def _trim_budget(mapping: dict[str, Any], limit: int, value_of: Callable[[Any], str | None]) -> None:
    """Drop entries from the end, then shorten the last value, until keys + values fit ``limit`` bytes."""

    def total() -> int:
        return sum(_utf8(str(k)) + _utf8(value_of(v) or "") for k, v in mapping.items())

    while len(mapping) > 1 and total() > limit:
        mapping.pop(next(reversed(mapping)))
    if mapping and total() > limit:
        key = next(iter(mapping))
        entry = mapping[key]
        room = limit - _utf8(str(key))
        text = value_of(entry)
        if room < 0 or text is None:
            mapping.clear()
            return
        while _utf8(text) > room:
            text = text[: len(text) - max(1, (_utf8(text) - room) // 4)]
        if isinstance(entry, dict):
            entry["Value"] = text
        else:
            mapping[key] = text


@_repair("START-REF-002")
def _repair_reference_bytes(f: _Factory, request: dict[str, Any], findings: list[rules.Finding]) -> None:
    def value(ref: Any) -> str | None:
        found = ref.get("Value") if isinstance(ref, dict) else None
        return found if isinstance(found, str) else None

    _trim_budget(request["References"], rules.REFERENCES_BYTE_LIMIT, value)


def _rename(mapping: dict[str, Any], old: str, new: str) -> None:
    """Rename a key in place, keeping the order of entries."""
    items = [(new if k == old else k, v) for k, v in mapping.items()]
    mapping.clear()
    mapping.update(items)


def _sanitize_keys(mapping: dict[str, Any], findings: list[rules.Finding], keep_prefix: str) -> None:
    """Replace the characters a key-naming rule refuses with '_' (keeping an allowed namespace prefix)."""
    for finding in findings:
        key = _parse_pointer(finding.pointer)[-1]
        if key not in mapping:
            continue
        prefix = keep_prefix if keep_prefix and key.startswith(keep_prefix) else ""
        clean = prefix + re.sub(r"[^A-Za-z0-9_-]", "_", key[len(prefix) :])
        number = 2
        while clean in mapping:  # a clash with a key already there: number the tail, keeping the length
            clean = clean[: max(len(prefix) + 1, len(clean) - len(str(number)))] + str(number)
            number += 1
        _rename(mapping, key, clean)


@_repair("START-ATTR-002")
def _repair_attribute_keys(f: _Factory, request: dict[str, Any], findings: list[rules.Finding]) -> None:
    _sanitize_keys(request["Attributes"], findings, "")


@_repair("START-ATTR-001")
def _repair_attribute_bytes(f: _Factory, request: dict[str, Any], findings: list[rules.Finding]) -> None:
    _trim_budget(request["Attributes"], rules.ATTRIBUTES_BYTE_LIMIT, lambda v: v if isinstance(v, str) else None)


@_repair("START-SEG-001")
def _repair_segment_keys(f: _Factory, request: dict[str, Any], findings: list[rules.Finding]) -> None:
    _sanitize_keys(request["SegmentAttributes"], findings, "connect:")


@_repair("START-SEG-002")
def _repair_contact_expiry(f: _Factory, request: dict[str, Any], findings: list[rules.Finding]) -> None:
    value_node = f.view.node_at(("SegmentAttributes", "*"))
    expiry = _contact_expiry(f, value_node)
    if expiry is None:  # pragma: no cover - the model lost ValueMap/ValueInteger
        request["SegmentAttributes"].pop(rules.CONTACT_EXPIRY_KEY, None)
    else:
        request["SegmentAttributes"][rules.CONTACT_EXPIRY_KEY] = expiry


@_repair("START-MSG-002")
def _repair_raw_message(f: _Factory, request: dict[str, Any], findings: list[rules.Finding]) -> None:
    node = f.view.child(f.view.node_at(("EmailMessage",)), "RawMessage")
    request["EmailMessage"]["RawMessage"] = f.value(node, "RawMessage", ())


@_repair("START-MSG-001")
def _repair_content_type(f: _Factory, request: dict[str, Any], findings: list[rules.Finding]) -> None:
    raw = request["EmailMessage"]["RawMessage"]
    raw["ContentType"] = f.provider.connect_content_type()


@_repair("DISASSOC-ALIAS-001", "ASSOC-ALIAS-001")
def _repair_self_alias(f: _Factory, request: dict[str, Any], findings: list[rules.Finding]) -> None:
    primary = str(request.get("EmailAddressId", "")).strip().lower()
    alias = f.provider.connect_id()
    while alias == primary:  # pragma: no cover - a UUID collision
        alias = f.provider.connect_id()
    request["AliasConfiguration"]["EmailAddressId"] = alias


#: RFC 5321's longest address (64 for the local part, 255 for the domain, and the "@").
_LONGEST_ADDRESS = 320


@_repair("EMAIL-ADDR-001")
def _repair_email_address(f: _Factory, request: dict[str, Any], findings: list[rules.Finding]) -> None:
    for finding in findings:
        container, last = _container(request, finding.pointer)
        key: Any = int(last) if isinstance(container, list) else last
        value = str(container[key])
        # The search backtracks on a long value that does not match: no address is longer than 320 characters.
        found = rules.EMAIL_ADDRESS_FORMAT.search(value) if len(value) <= _LONGEST_ADDRESS else None
        container[key] = found.group(0) if found else f.provider.connect_email_address()


def _satisfy(f: _Factory, request: dict[str, Any]) -> None:
    """Repair ``request`` in place until every doc rule of the operation holds."""
    applicable = {r.id: r for r in rules.rules_for(f.operation)}
    for rule_id, repair in _REPAIRS.items():
        doc_rule = applicable.get(rule_id)
        if doc_rule is None:
            continue
        findings = list(doc_rule.check(request))
        if findings:
            repair(f, request, findings)
    left = [(r.id, finding.pointer) for r in applicable.values() for finding in r.check(request)]
    if left:
        raise RuntimeError(
            f"{f.operation}: the doc-rule repairs left findings {left}; fix pytest_connect_email.fakes.repair"
        )
