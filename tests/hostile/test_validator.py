"""Hostile documents handed to the validator: each is a ContractViolation naming its limit, fast."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_connect_email import contracts, limits
from pytest_connect_email.contracts import ContractViolation

from .conftest import bounded, start_email_contact, value_map


def _rules(operation: str, params: Any) -> tuple[str, ...]:
    with bounded(), pytest.raises(ContractViolation) as info:
        contracts.validate_request(operation, params)
    return info.value.rules


def test_segment_attributes_nested_20000_levels_is_a_violation_not_a_segfault() -> None:
    # jsonschema-rs recursed into this and crashed the process; the budget stops it at the entry.
    assert _rules("StartEmailContact", start_email_contact(SegmentAttributes={"k": value_map(20_000)})) == (
        "MAX_DEPTH",
    )


def test_depth_just_inside_the_budget_is_judged_by_the_contract() -> None:
    # 1 (params) + 1 (SegmentAttributes) + 2 per ValueMap level + 1 leaf: 30 levels nest 63 deep.
    params = start_email_contact(SegmentAttributes={"k": value_map(30, {"ValueInteger": "not a number"})})
    assert "MAX_DEPTH" not in _rules("StartEmailContact", params)
    deeper = start_email_contact(SegmentAttributes={"k": value_map(32)})
    assert _rules("StartEmailContact", deeper) == ("MAX_DEPTH",)


def test_a_long_value_is_reported_for_its_length_without_evaluating_its_pattern() -> None:
    params = {
        "IdentityManagementType": "CONNECT_MANAGED",
        "InboundCallsEnabled": True,
        "OutboundCallsEnabled": True,
        "InstanceAlias": "a" * 20_000,
    }
    assert _rules("CreateInstance", params) == ("maxLength",)


def test_a_30000_character_address_is_reported_for_its_length() -> None:
    params = {"InstanceId": "i", "EmailAddress": "a" * 15_000 + "@" + "b" * 15_000}
    assert _rules("CreateEmailAddress", params) == ("maxLength",)


def test_a_pattern_is_still_judged_within_the_length() -> None:
    assert _rules("CreateEmailAddress", {"InstanceId": "i", "EmailAddress": "no-at-sign"}) == ("pattern",)


@pytest.mark.parametrize(
    ("attributes", "rule"),
    [
        ({("a", "b"): "tuple key"}, "key-type"),
        ({1: "int key"}, "key-type"),
        ({None: "none key"}, "key-type"),
        ({"k": "\ud800"}, "unicode"),
    ],
    ids=["tuple-key", "int-key", "none-key", "lone-surrogate"],
)
def test_values_json_cannot_hold_are_violations(attributes: dict[Any, Any], rule: str) -> None:
    assert _rules("StartEmailContact", start_email_contact(Attributes=attributes)) == (rule,)


def test_a_cyclic_structure_is_a_violation() -> None:
    params = start_email_contact()
    params["Attributes"] = params
    assert _rules("StartEmailContact", params) == ("cycle",)


def test_a_million_items_are_refused_at_the_node_budget() -> None:
    recipients = [{"EmailAddress": "a@example.com"}] * 1_000_000
    params = start_email_contact(AdditionalRecipients={"ToAddresses": recipients})
    assert _rules("StartEmailContact", params) == ("MAX_NODES",)


def test_items_over_max_items_are_not_walked_one_by_one() -> None:
    params = {
        "InstanceId": "i",
        "FromEmailAddress": {"EmailAddress": "a@example.com"},
        "DestinationEmailAddress": {"EmailAddress": "b@example.com"},
        "EmailMessage": {"MessageSourceType": "RAW"},
        "TrafficType": "CAMPAIGN",
        "AdditionalRecipients": {"CcEmailAddresses": [{"EmailAddress": "x" * 300}] * 20_000},
    }
    assert _rules("SendOutboundEmail", params) == ("maxItems",)


def test_a_shared_string_counts_at_every_place() -> None:
    big = "v" * 1_000_000
    params = start_email_contact(Attributes={f"k{i}": big for i in range(20)})
    assert _rules("StartEmailContact", params) == ("MAX_TEXT_CHARS",)


def test_many_unknown_members_give_a_bounded_report() -> None:
    params: dict[str, Any] = {**start_email_contact(), **{f"m{i}": 1 for i in range(40_000)}}
    with bounded(), pytest.raises(ContractViolation) as info:
        contracts.validate_request("StartEmailContact", params)
    assert len(info.value.violations) == limits.MAX_VIOLATIONS + 1
    assert info.value.rules[-1] == "MAX_VIOLATIONS"
    assert len(str(info.value)) < 100 * 1024


def test_validate_error_accepts_no_headers() -> None:
    body = b'{"__type": "ResourceNotFoundException", "Message": "gone"}'
    assert contracts.validate_error("DisassociateEmailAddressAlias", 404, None, body) == "ResourceNotFoundException"


def test_validate_error_refuses_wrong_argument_types_clearly() -> None:
    with pytest.raises(TypeError, match="headers must be a mapping"):
        contracts.validate_error("DisassociateEmailAddressAlias", 404, ["x"], b"{}")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="status must be the HTTP status code"):
        contracts.validate_error("DisassociateEmailAddressAlias", "404", {}, b"{}")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("body", "rule"),
    [
        (b"\xff\xfe{}", "json"),
        (b'{"ContactId": ' + b"1" * 5_000 + b"}", "MAX_INT_DIGITS"),
        (b"[" * 100_000 + b"]" * 100_000, "MAX_NODES"),
        (b"[" * 5_000 + b"]" * 5_000, "MAX_DEPTH"),
        (b'{"ContactId": 1e999}', "number"),
        (b'{"ContactId": NaN}', "number"),
        (b"{nope", "json"),
    ],
    ids=["invalid-utf8", "5000-digits", "100000-brackets", "5000-deep", "infinity", "nan", "not-json"],
)
def test_unreadable_responses_are_violations(body: bytes, rule: str) -> None:
    with bounded(), pytest.raises(ContractViolation) as info:
        contracts.validate_response("StartEmailContact", body)
    assert info.value.rules == (rule,)
    _, found = contracts.error_violations(
        "StartEmailContact", 400, {"x-amzn-ErrorType": "InvalidRequestException"}, body
    )
    assert [v.rule for v in found] == [rule]
