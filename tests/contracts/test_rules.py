"""Doc rules: each with a passing and a failing case, and each sentence traced to its source."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from pytest_connect_email.contracts import rules, spec, validator
from tests.conftest import SHARED

Make = Callable[[], dict[str, Any]]
Mutate = Callable[[dict[str, Any]], None]


def found(operation: str, params: dict[str, Any]) -> set[tuple[str, str]]:
    return {(v.pointer, v.rule) for v in validator.request_violations(operation, params)}


def _set_refs(refs: dict[str, Any]) -> Mutate:
    def mutate(p: dict[str, Any]) -> None:
        p["References"] = refs

    return mutate


def _seg(key: str, value: Any) -> Mutate:
    def mutate(p: dict[str, Any]) -> None:
        p["SegmentAttributes"][key] = value

    return mutate


def _content_type(value: str) -> Mutate:
    def mutate(p: dict[str, Any]) -> None:
        p["EmailMessage"]["RawMessage"]["ContentType"] = value

    return mutate


def _attrs(attrs: dict[str, str]) -> Mutate:
    def mutate(p: dict[str, Any]) -> None:
        p["Attributes"] = attrs

    return mutate


def _no_raw(p: dict[str, Any]) -> None:
    del p["EmailMessage"]["RawMessage"]


def _destination(value: str) -> Mutate:
    def mutate(p: dict[str, Any]) -> None:
        p["DestinationEmailAddress"] = value

    return mutate


EXPIRY = "connect:ContactExpiry"
# 4,096 bytes exactly: key "k" (1 byte) + a value of 4,095 bytes, with a 2-byte character in it.
REF_AT_LIMIT = {"k": {"Type": "STRING", "Value": "é" + "v" * 4093}}
REF_OVER_LIMIT = {"k": {"Type": "STRING", "Value": "é" + "v" * 4094}}
# 32,768 bytes exactly: 8 pairs of (3-byte key + 4,093-byte value).
ATTRS_AT_LIMIT = {f"k{i:02d}": "a" * 4093 for i in range(8)}
ATTRS_OVER_LIMIT = {**ATTRS_AT_LIMIT, "k00": "a" * 4094}

# rule id -> (a change that keeps the request valid, a change that breaks exactly this rule, pointer)
START_CASES: dict[str, tuple[Mutate, Mutate, str]] = {
    "START-REF-001": (
        _set_refs({"r": {"Type": "DATE", "Value": "1"}}),
        _set_refs({"r": {"Type": "EMAIL", "Value": "x"}}),
        "/References/r/Type",
    ),
    "START-REF-002": (_set_refs(REF_AT_LIMIT), _set_refs(REF_OVER_LIMIT), "/References"),
    "START-REF-003": (
        _set_refs({"d": {"Type": "DATE", "Value": "1767225600000"}}),
        _set_refs({"d": {"Type": "DATE", "Value": "2026-01-01"}}),
        "/References/d/Value",
    ),
    "START-ATTR-001": (_attrs(ATTRS_AT_LIMIT), _attrs(ATTRS_OVER_LIMIT), "/Attributes"),
    "START-ATTR-002": (_attrs({"Ab_9-z": "v"}), _attrs({"a.b": "v"}), "/Attributes/a.b"),
    "START-SEG-001": (
        _seg("connect:Guide", {"ValueString": "x"}),
        _seg("aws:Guide", {"ValueString": "x"}),
        "/SegmentAttributes/aws:Guide",
    ),
    "START-SEG-002": (
        _seg(EXPIRY, {"ValueMap": {"ExpiryDuration": {"ValueInteger": 1}}}),
        _seg(EXPIRY, {"ValueMap": {"ExpiryDuration": {"ValueInteger": 0}}}),
        "/SegmentAttributes/connect:ContactExpiry/ValueMap/ExpiryDuration/ValueInteger",
    ),
    "START-MSG-001": (
        _content_type("TEXT/plain"),
        _content_type("text/markdown"),
        "/EmailMessage/RawMessage/ContentType",
    ),
    "START-MSG-002": (lambda p: None, _no_raw, "/EmailMessage/RawMessage"),
    "EMAIL-ADDR-001": (
        _destination("support+eu@mail.example.org"),
        _destination("Support <support@example.org>"),
        "/DestinationEmailAddress",
    ),
}


def test_every_start_email_contact_rule_has_cases() -> None:
    assert {r.id for r in rules.rules_for("StartEmailContact")} == set(START_CASES)


@pytest.mark.parametrize("rule_id", sorted(START_CASES))
def test_start_email_contact_rule(rich_request: Make, rule_id: str) -> None:
    keep, breaks, pointer = START_CASES[rule_id]
    params = rich_request()
    keep(params)
    assert found("StartEmailContact", params) == set()
    params = rich_request()
    breaks(params)
    assert found("StartEmailContact", params) == {(pointer, rule_id)}


@pytest.mark.parametrize("key", ["connect:", "other:Guide", "with space", "connect:Guide:x"])
def test_segment_keys_that_are_refused(rich_request: Make, key: str) -> None:
    params = rich_request()
    params["SegmentAttributes"][key] = {"ValueString": "x"}
    assert found("StartEmailContact", params) == {("/SegmentAttributes/" + key, "START-SEG-001")}


@pytest.mark.parametrize(
    "value",
    [
        {"ValueString": "135"},
        {"ValueMap": {"ExpiryDuration": {"ValueInteger": 5}, "Other": {"ValueInteger": 1}}},
        {"ValueMap": {"ExpiryDuration": {"ValueString": "5"}}},
        {"ValueMap": {}},
    ],
)
def test_contact_expiry_shapes_that_are_refused(rich_request: Make, value: Any) -> None:
    params = rich_request()
    params["SegmentAttributes"][EXPIRY] = value
    assert {rule for _, rule in found("StartEmailContact", params)} == {"START-SEG-002"}


def test_a_model_violation_is_not_reported_twice(rich_request: Make) -> None:
    params = rich_request()
    params["References"] = {"r": {"Type": "NOT_A_TYPE"}}
    assert found("StartEmailContact", params) == {("/References/r/Type", "enum")}


@pytest.mark.parametrize("operation", ["DisassociateEmailAddressAlias", "AssociateEmailAddressAlias"])
def test_an_address_cannot_be_its_own_alias(disassociate_request: dict[str, Any], operation: str) -> None:
    rule_id = rules.rules_for(operation)[0].id
    assert found(operation, disassociate_request) == set()
    primary = disassociate_request["EmailAddressId"]
    disassociate_request["AliasConfiguration"]["EmailAddressId"] = primary.upper()
    assert found(operation, disassociate_request) == {("/AliasConfiguration/EmailAddressId", rule_id)}


def test_rule_ids_are_stable_and_unique() -> None:
    assert all(re.fullmatch(r"[A-Z]+(-[A-Z]+)*-\d{3}", rule_id) for rule_id in rules.RULES)
    register = rules.rule("START-REF-001", operations=("StartEmailContact",), sentence="x", fix="x")
    with pytest.raises(ValueError, match="already registered"):
        register(lambda p, skip=(): iter(()))


def test_rules_name_covered_operations_and_carry_fix_and_choice() -> None:
    for doc_rule in rules.RULES.values():
        assert set(doc_rule.operations) <= set(spec.OPERATIONS)
        assert doc_rule.fix
        assert doc_rule.members
        assert doc_rule.choice, f"{doc_rule.id}: say what was chosen and why"


def _normalise(text: str) -> str:
    return " ".join(text.replace("Amazon Connect", "Connect").split())


def test_sentences_are_verbatim_from_their_source() -> None:
    """Each sentence appears in a reference page (or, for operations without one, the model's docs)."""
    if not (SHARED / "reference").is_dir():
        pytest.skip(f"the reference pages are not beside this checkout ({SHARED / 'reference'})")
    pages = _normalise(" ".join(p.read_text(encoding="utf-8") for p in (SHARED / "reference").glob("*.txt")))
    model_docs = _normalise(
        re.sub(r"<[^>]+>", " ", spec.operation_model("AssociateEmailAddressAlias").documentation)
    ).replace("Connect Customer", "Connect")
    for doc_rule in rules.RULES.values():
        sentence = _normalise(doc_rule.sentence)
        assert sentence in pages or sentence in model_docs, doc_rule.id


def _email_members(operation: str) -> set[tuple[str, ...]]:
    """Every request member whose model shape is EmailAddress, found in the active contracts."""
    root = validator.load_schema(operation)
    found: set[tuple[str, ...]] = set()

    def walk(node: dict[str, Any], path: tuple[str, ...], stack: tuple[str, ...]) -> None:
        if "$ref" in node:
            name = node["$ref"].rsplit("/", 1)[-1]
            if name not in stack:
                walk(root["$defs"][name], path, (*stack, name))
            return
        if node.get("x-shape") == "EmailAddress":
            found.add(path)
        for member, sub in node.get("properties", {}).items():
            walk(sub, (*path, member), stack)
        if isinstance(node.get("items"), dict):
            walk(node["items"], (*path, "*"), stack)

    walk(root, (), ())
    return found


@pytest.mark.parametrize("operation", spec.OPERATIONS)
def test_the_email_address_rule_covers_every_email_address_member(operation: str) -> None:
    """Every email address member the model in use has, and no other (an older model lacks some members)."""
    listed = rules.EMAIL_ADDRESS_MEMBERS.get(operation, ())
    members = spec.operation_model(operation).input_shape.members if spec.available(operation) else {}
    assert _email_members(operation) == {template for template in listed if template[0] in members}


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("kunde@example.com", True),
        ("zoë.kunde+tag@example.co.uk", True),
        ("Kunde <kunde@example.com>", False),  # the model's unanchored pattern accepts it
        ("kunde@example.com, chef@example.com", False),
        ("kunde@example.com ", False),
        ("a@b@c.de", False),
        ("kunde@localhost", False),  # the model refuses it too: reported once, as the model's pattern
    ],
)
def test_email_addresses_are_held_whole_to_the_documented_format(value: str, ok: bool) -> None:
    request = {
        "InstanceId": "i-1",
        "FromEmailAddress": {"EmailAddress": "kunde@example.com"},
        "DestinationEmailAddress": "support@example.org",
        "EmailMessage": {
            "MessageSourceType": "RAW",
            "RawMessage": {"Subject": "s", "Body": "b", "ContentType": "text/plain"},
        },
        "AdditionalRecipients": {"CcAddresses": [{"EmailAddress": "cc@example.org"}, {"EmailAddress": value}]},
    }
    found = {(v.pointer, v.rule) for v in validator.request_violations("StartEmailContact", request)}
    if ok:
        assert found == set()
    elif value == "kunde@localhost":
        assert found == {("/AdditionalRecipients/CcAddresses/1/EmailAddress", "pattern")}
    else:
        assert found == {("/AdditionalRecipients/CcAddresses/1/EmailAddress", "EMAIL-ADDR-001")}
        with pytest.raises(validator.ContractViolation) as info:
            validator.validate_request("StartEmailContact", request)
        message = str(info.value)
        assert "The email address with the instance, in [^s@]+@[^s@]+.[^s@]+ format." in message
        assert value not in message  # EmailAddress is sensitive
