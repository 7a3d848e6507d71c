"""Hostile documents handed to the validator: each is a ContractViolation naming its limit, fast."""

from __future__ import annotations

import contextlib
import datetime as dt
import decimal
import enum
import fractions
import functools
import itertools
import math
from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from pytest_connect_email import limits
from pytest_connect_email.contracts import validator
from pytest_connect_email.contracts.validator import ContractViolation

from .conftest import bounded, start_email_contact, value_map


def _rules(operation: str, params: Any) -> tuple[str, ...]:
    with bounded(), pytest.raises(ContractViolation) as info:
        validator.validate_request(operation, params)
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
        validator.validate_request("StartEmailContact", params)
    assert len(info.value.violations) == limits.MAX_VIOLATIONS + 1
    assert info.value.rules[-1] == "MAX_VIOLATIONS"
    assert len(str(info.value)) < 100 * 1024


def test_validate_error_accepts_no_headers() -> None:
    body = b'{"__type": "ResourceNotFoundException", "Message": "gone"}'
    assert validator.validate_error("DisassociateEmailAddressAlias", 404, None, body) == "ResourceNotFoundException"


def test_validate_error_refuses_wrong_argument_types_clearly() -> None:
    with pytest.raises(TypeError, match="headers must be a mapping"):
        validator.validate_error("DisassociateEmailAddressAlias", 404, ["x"], b"{}")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="status must be the HTTP status code"):
        validator.validate_error("DisassociateEmailAddressAlias", "404", {}, b"{}")  # type: ignore[arg-type]


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
        validator.validate_response("StartEmailContact", body)
    assert info.value.rules == (rule,)
    _, found = validator.error_violations(
        "StartEmailContact", 400, {"x-amzn-ErrorType": "InvalidRequestException"}, body
    )
    assert [v.rule for v in found] == [rule]


# -- numbers: botocore's parameter types, and nothing but ContractViolation escapes ------------------------


def _search(max_results: Any) -> dict[str, Any]:
    return {"InstanceId": "i", "MaxResults": max_results}


@functools.cache
def _input_shape(operation: str) -> Any:
    import botocore.session

    return botocore.session.get_session().get_service_model("connect").operation_model(operation).input_shape


def _botocore_refuses(operation: str, params: dict[str, Any]) -> bool:
    from botocore.validate import ParamValidator

    return bool(ParamValidator().validate(params, _input_shape(operation)).has_errors())


@pytest.mark.parametrize("value", [5.0, decimal.Decimal("5"), "5", b"5"], ids=["float", "decimal", "str", "bytes"])
def test_an_integer_member_takes_what_botocore_takes(value: Any) -> None:
    # botocore/validate.py: an integer member is an int; 5.0 and Decimal("5") are refused (JSON Schema's
    # "integer" and jsonschema-rs would take both).
    assert _botocore_refuses("SearchEmailAddresses", _search(value))
    assert _rules("SearchEmailAddresses", _search(value)) == ("type",)
    validator.validate_request("SearchEmailAddresses", _search(5))


def test_a_bool_is_not_an_integer() -> None:
    # botocore's isinstance check lets True through, and its serializer then sends `true`, which the
    # service refuses for an integer member: the contract refuses it before the call.
    assert _rules("SearchEmailAddresses", _search(True)) == ("type",)


@pytest.mark.parametrize("digits", [101, 5_000, 100_000])
def test_a_huge_integer_is_a_violation_naming_the_budget(digits: int) -> None:
    with bounded(), pytest.raises(ContractViolation) as info:
        validator.validate_request("SearchEmailAddresses", _search(-(10 ** (digits - 1))))
    assert info.value.rules == ("MAX_INT_DIGITS",)
    (violation,) = info.value.violations
    assert violation.pointer == "/MaxResults"
    assert "pytest_connect_email.limits.MAX_INT_DIGITS" in str(info.value)
    assert f"at most {limits.MAX_INT_DIGITS} digits" in violation.fix


def test_a_float_member_takes_int_float_and_decimal_when_finite() -> None:
    body: dict[str, Any] = {"Contact": {"Id": "c", "RoutingCriteria": {"Steps": [{"Expression": {}}]}}}
    condition: dict[str, Any] = {"Name": "n", "Value": "v"}
    body["Contact"]["RoutingCriteria"]["Steps"][0]["Expression"]["AttributeCondition"] = condition
    for accepted in (2, 2.5, decimal.Decimal("2.5")):
        condition["ProficiencyLevel"] = accepted
        validator.validate_response("DescribeContact", body)
    for refused in (True, math.nan, decimal.Decimal("NaN"), decimal.Decimal("Infinity"), "2"):
        condition["ProficiencyLevel"] = refused
        with pytest.raises(ContractViolation) as info:
            validator.validate_response("DescribeContact", body)
        assert info.value.rules == ("type",), refused


class _Raising(Mapping[str, Any]):
    """A mapping whose every read raises."""

    def __getitem__(self, key: str) -> Any:
        raise RuntimeError("unreadable")

    def __iter__(self) -> Iterator[str]:
        raise RuntimeError("unreadable")

    def __len__(self) -> int:
        raise RuntimeError("unreadable")


class _Level(enum.IntEnum):
    ONE = 1


class _BadRepr:
    def __repr__(self) -> str:
        raise RuntimeError("no repr")


ODD_VALUES: list[Any] = [
    10**5000,
    -(10**5000),
    2**63,
    5.0,
    math.inf,
    math.nan,
    1e-320,
    decimal.Decimal("5"),
    decimal.Decimal("sNaN"),
    fractions.Fraction(1, 3),
    complex(1, 2),
    True,
    None,
    b"bytes",
    bytearray(b"x"),
    memoryview(b"x"),
    dt.datetime(2026, 1, 1),
    dt.date(2026, 1, 1),
    dt.timedelta(1),
    _Level.ONE,
    "\ud800",
    "\x00",
    "x" * 100_000,
    [1],
    (1,),
    {1, 2},
    {"a": 1},
    {1: 1},
    range(3),
    iter([1]),
    object(),
    _BadRepr(),
    _Raising(),
    len,
    ...,
]


@pytest.mark.parametrize("operation", ["StartEmailContact", "SearchEmailAddresses", "CreateEmailAddress"])
def test_nothing_but_a_contract_violation_escapes_the_validator(operation: str) -> None:
    members = list(validator.load_schema(operation)["properties"])
    with bounded():
        for member, value in itertools.product(members, ODD_VALUES):
            for params in ({member: value}, {"InstanceId": "i", member: {"Nested": [value]}}):
                with contextlib.suppress(ContractViolation):
                    validator.validate_request(operation, params)
        for value in ODD_VALUES:
            with pytest.raises(ContractViolation):
                validator.validate_response(operation, [value])
