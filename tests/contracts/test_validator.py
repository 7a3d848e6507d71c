"""The validator against the real committed contracts: every constraint kind passes and fails."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from botocore.validate import ParamValidator

from pytest_connect_email.contracts import spec, validator
from pytest_connect_email.contracts.validator import ContractViolation

Make = Callable[[], dict[str, Any]]


def rules_at(operation: str, params: Any) -> set[tuple[str, str]]:
    return {(v.pointer, v.rule) for v in validator.request_violations(operation, params)}


def test_rich_request_passes_ours_and_botocore(rich_request: Make) -> None:
    params = rich_request()
    validator.validate_request("StartEmailContact", params)
    report = ParamValidator().validate(params, spec.operation_model("StartEmailContact").input_shape)
    assert not report.has_errors(), report.generate_report()


def test_snake_case_operation_names_are_accepted(rich_request: Make) -> None:
    validator.validate_request("start_email_contact", rich_request())


def test_unknown_operation_lists_the_known_ones() -> None:
    with pytest.raises(spec.UnknownOperationError) as info:
        validator.validate_request("StartEmailContacts", {})
    text = str(info.value)
    assert "Did you mean 'StartEmailContact'" in text
    for op in spec.OPERATIONS:
        assert op in text


def _set(params: dict[str, Any], pointer: str, value: Any) -> None:
    parts = pointer.strip("/").split("/")
    node: Any = params
    for part in parts[:-1]:
        node = node[int(part)] if isinstance(node, list) else node[part]
    last = parts[-1]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value


# (pointer to change, bad value, expected rule, good value at the boundary)
STRING_CASES = [
    ("/InstanceId", "", "minLength", "x"),
    ("/InstanceId", "x" * 101, "maxLength", "x" * 100),
    ("/InstanceId", 5, "type", "5"),
    ("/FromEmailAddress/DisplayName", "Ä" * 257, "maxLength", "Ä" * 256),
    ("/DestinationEmailAddress", "support.example.org", "pattern", "ünï@exämple.org"),
    ("/EmailMessage/MessageSourceType", "HTML", "enum", "RAW"),
    ("/EmailMessage/RawMessage/Subject", "S" * 999, "maxLength", "Ś" * 998),
    ("/EmailMessage/RawMessage/Body", "", "minLength", "."),
    ("/Attachments/0/FileName", "tab\there.pdf", "pattern", "naïve 文件.pdf"),
    ("/Attachments/0/FileName", "zero\u200bwidth.pdf", "pattern", "ok.pdf"),
    ("/References/ticket/Type", "LINK", "enum", "URL"),
    ("/SegmentAttributes/connect:Subtype/ValueString", "v" * 1025, "maxLength", "v" * 1024),
]


@pytest.mark.parametrize(("pointer", "bad", "rule", "good"), STRING_CASES)
def test_member_constraints(rich_request: Make, pointer: str, bad: Any, rule: str, good: Any) -> None:
    params = rich_request()
    _set(params, pointer, good)
    assert rules_at("StartEmailContact", params) == set()
    _set(params, pointer, bad)
    assert rules_at("StartEmailContact", params) == {(pointer, rule)}


def test_required_member_missing(rich_request: Make) -> None:
    params = rich_request()
    del params["EmailMessage"]["RawMessage"]["ContentType"]
    del params["InstanceId"]
    assert rules_at("StartEmailContact", params) == {
        ("/EmailMessage/RawMessage/ContentType", "required"),
        ("/InstanceId", "required"),
    }


def test_list_item_counts(rich_request: Make) -> None:
    params = rich_request()
    one = {"EmailAddress": "x@example.com"}
    params["AdditionalRecipients"]["ToAddresses"] = [one] * 50
    assert rules_at("StartEmailContact", params) == set()
    params["AdditionalRecipients"]["ToAddresses"] = [one] * 51
    assert rules_at("StartEmailContact", params) == {("/AdditionalRecipients/ToAddresses", "maxItems")}
    params["AdditionalRecipients"]["ToAddresses"] = []
    assert rules_at("StartEmailContact", params) == {("/AdditionalRecipients/ToAddresses", "minItems")}


def test_map_key_constraints_point_at_the_key(rich_request: Make) -> None:
    params = rich_request()
    params["SegmentAttributes"]["k" * 129] = {"ValueString": "x"}
    assert rules_at("StartEmailContact", params) == {("/SegmentAttributes/" + "k" * 129, "maxLength")}
    params = rich_request()
    params["Attributes"][""] = "x"
    assert rules_at("StartEmailContact", params) == {("/Attributes/", "minLength")}


def test_map_key_pattern_with_unicode_letters() -> None:
    base = {"InstanceId": "i", "EmailAddress": "a@example.com"}
    assert rules_at("CreateEmailAddress", {**base, "Tags": {"Ключ 名前": "v"}}) == set()
    assert rules_at("CreateEmailAddress", {**base, "Tags": {"aws:reserved": "v"}}) == {
        ("/Tags/aws:reserved", "pattern")
    }
    assert rules_at("CreateEmailAddress", {**base, "Tags": {"emoji😀": "v"}}) == {("/Tags/emoji😀", "pattern")}


def test_map_size() -> None:
    base = {"InstanceId": "i", "EmailAddress": "a@example.com"}
    assert rules_at("CreateEmailAddress", {**base, "Tags": {}}) == {("/Tags", "minProperties")}
    fifty = {f"k{i}": "v" for i in range(50)}
    assert rules_at("CreateEmailAddress", {**base, "Tags": fifty}) == set()
    assert rules_at("CreateEmailAddress", {**base, "Tags": {**fifty, "k50": "v"}}) == {("/Tags", "maxProperties")}


@pytest.mark.parametrize(("value", "rule"), [(1, None), (10, None), (0, "minimum"), (11, "maximum"), (True, "type")])
def test_integer_range(value: Any, rule: str | None) -> None:
    expected = set() if rule is None else {("/MaxResults", rule)}
    assert rules_at("ListInstances", {"MaxResults": value}) == expected


def test_unknown_request_member_is_refused_with_a_suggestion(rich_request: Make) -> None:
    params = rich_request()
    params["FromEmailAdress"] = params.pop("FromEmailAddress")
    with pytest.raises(ContractViolation) as info:
        validator.validate_request("StartEmailContact", params)
    assert set(info.value.rules) == {"additionalProperties", "required"}
    assert "did you mean 'FromEmailAddress'" in str(info.value)


def test_recursive_segment_attributes(rich_request: Make) -> None:
    params = rich_request()
    deep: dict[str, Any] = {"ValueMap": {"a": {"ValueList": [{"ValueMap": {"b": {"ValueInteger": 1}}}]}}}
    params["SegmentAttributes"]["custom"] = deep
    assert rules_at("StartEmailContact", params) == set()
    deep["ValueMap"]["a"]["ValueList"][0]["ValueMap"]["b"] = {"ValueInteger": "1", "Bogus": 1}
    assert rules_at("StartEmailContact", params) == {
        ("/SegmentAttributes/custom/ValueMap/a/ValueList/0/ValueMap/b/ValueInteger", "type"),
        ("/SegmentAttributes/custom/ValueMap/a/ValueList/0/ValueMap/b/Bogus", "additionalProperties"),
    }


def test_sensitive_values_are_masked(rich_request: Make) -> None:
    params = rich_request()
    params["DestinationEmailAddress"] = "secret-customer-address"
    params["Attachments"][0]["FileName"] = "private\tname.pdf"
    with pytest.raises(ContractViolation) as info:
        validator.validate_request("StartEmailContact", params)
    text = str(info.value)
    assert "secret-customer-address" not in text
    assert "private" not in text
    assert "<sensitive string, 23 characters>" in text


def test_non_sensitive_values_are_shown(rich_request: Make) -> None:
    params = rich_request()
    params["EmailMessage"]["MessageSourceType"] = "HTML"
    with pytest.raises(ContractViolation) as info:
        validator.validate_request("StartEmailContact", params)
    assert "got 'HTML'" in str(info.value)


def test_violation_message_names_operation_pointer_rule_source_and_fix(rich_request: Make) -> None:
    params = rich_request()
    params["FromEmailAddress"]["DisplayName"] = "x" * 300
    with pytest.raises(ContractViolation) as info:
        validator.validate_request("StartEmailContact", params)
    (violation,) = info.value.violations
    assert violation.pointer == "/FromEmailAddress/DisplayName"
    assert violation.rule == "maxLength"
    assert violation.expected == "at most 256 characters"
    assert violation.actual == "300 characters"
    assert violation.source == "model shape EmailAddressDisplayName"
    assert "shorten" in violation.fix
    assert str(info.value).startswith("StartEmailContact request breaks its contract (1 violation)")


def test_every_violation_is_listed_at_once(rich_request: Make) -> None:
    params = rich_request()
    params["InstanceId"] = ""
    params["Name"] = "n" * 1025
    params["Attributes"]["bad key"] = "v"
    with pytest.raises(ContractViolation) as info:
        validator.validate_request("StartEmailContact", params)
    assert info.value.rules == ("START-ATTR-002", "minLength", "maxLength")


# -- responses -------------------------------------------------------------------------------------


def test_response_accepts_unknown_members_unless_strict() -> None:
    body = {"ContactId": "c-1", "NewField": 1, "ResponseMetadata": {"HTTPStatusCode": 200}}
    validator.validate_response("StartEmailContact", body)
    with pytest.raises(ContractViolation) as info:
        validator.validate_response("StartEmailContact", body, strict=True)
    assert {(v.pointer, v.rule) for v in info.value.violations} == {("/NewField", "additionalProperties")}


def test_response_from_wire_bytes() -> None:
    validator.validate_response("DisassociateEmailAddressAlias", b"{}", strict=True)
    validator.validate_response("DisassociateEmailAddressAlias", "", strict=True)
    with pytest.raises(ContractViolation, match="not JSON") as info:
        validator.validate_response("DisassociateEmailAddressAlias", b"{nope")
    assert info.value.rules == ("json",)


def test_response_constraints_still_apply() -> None:
    with pytest.raises(ContractViolation) as info:
        validator.validate_response("StartEmailContact", {"ContactId": ""})
    assert info.value.rules == ("minLength",)


@pytest.mark.parametrize(
    ("timestamp", "ok"),
    [
        (dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc), True),
        (1767225600, True),
        (1767225600.5, True),
        ("2026-01-01T00:00:00Z", True),
        ("1767225600", True),
        ("next tuesday", False),
        (True, False),
    ],
)
def test_timestamps(timestamp: Any, ok: bool) -> None:
    body = {"Contact": {"Id": "c-1", "InitiationTimestamp": timestamp}}
    found = {(v.pointer, v.rule) for v in validator.response_violations("DescribeContact", body)}
    if ok:
        assert found == set()
    else:
        assert len(found) == 1
        assert next(iter(found))[0] == "/Contact/InitiationTimestamp"


# -- errors ----------------------------------------------------------------------------------------


def test_modelled_error_with_its_status() -> None:
    headers = {"X-Amzn-ErrorType": "ResourceNotFoundException:http://internal.amazon.com/coral/"}
    code = validator.validate_error("DisassociateEmailAddressAlias", 404, headers, {"Message": "no such address"})
    assert code == "ResourceNotFoundException"


def test_error_code_from_body_type() -> None:
    body = {"__type": "com.amazonaws.connect#ResourceConflictException", "Message": "locked"}
    assert validator.validate_error("DisassociateEmailAddressAlias", 409, {}, body) == "ResourceConflictException"


def test_error_with_wrong_status() -> None:
    with pytest.raises(ContractViolation) as info:
        validator.validate_error("StartEmailContact", 400, {"x-amzn-errortype": "ThrottlingException"}, {})
    (violation,) = info.value.violations
    assert violation.rule == "x-error.httpStatusCode"
    assert violation.expected == "HTTP status 429"


def test_error_not_modelled_for_the_operation() -> None:
    with pytest.raises(ContractViolation) as info:
        validator.validate_error("StartEmailContact", 409, {"x-amzn-errortype": "ResourceConflictException"}, {})
    assert info.value.rules == ("x-error",)
    assert "IdempotencyException" in str(info.value)


def test_common_aws_errors_are_accepted() -> None:
    headers = {"x-amzn-ErrorType": "UnrecognizedClientException"}
    assert validator.validate_error("StartEmailContact", 403, headers, {"message": "bad key"})


def test_error_without_code() -> None:
    with pytest.raises(ContractViolation) as info:
        validator.validate_error("StartEmailContact", 400, {}, {"Message": "?"})
    assert info.value.rules == ("x-error",)


def test_error_body_members_are_checked() -> None:
    body = {"Message": "bad", "Reason": {"AttachedFileInvalidRequestExceptionReason": "INVALID_FILE_SIZE"}}
    validator.validate_error("StartEmailContact", 400, {"x-amzn-errortype": "InvalidRequestException"}, body)
    body["Reason"] = {"AttachedFileInvalidRequestExceptionReason": "TOO_BIG"}
    with pytest.raises(ContractViolation) as info:
        validator.validate_error("StartEmailContact", 400, {"x-amzn-errortype": "InvalidRequestException"}, body)
    assert info.value.rules == ("enum",)


def test_union_needs_exactly_one_member() -> None:
    headers = {"x-amzn-errortype": "InvalidRequestException"}
    with pytest.raises(ContractViolation) as info:
        validator.validate_error("StartEmailContact", 400, headers, {"Message": "bad", "Reason": {}})
    assert info.value.rules == ("minProperties",)
    assert "exactly one member set" in str(info.value)


def test_load_schema_errors_are_clear() -> None:
    with pytest.raises(ValueError, match="needs the error shape name"):
        validator.load_schema("StartEmailContact", "error")
    with pytest.raises(ValueError, match="has no modelled error 'Nope'; its errors are: "):
        validator.load_schema("StartEmailContact", "error", "Nope")
    with pytest.raises(ValueError, match="direction must be"):
        validator.load_schema("StartEmailContact", "sideways")  # type: ignore[arg-type]


def test_missing_schema_directory_says_how_to_fix(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(validator.SCHEMA_DIR_ENV, str(tmp_path))
    validator._schema_file.cache_clear()
    try:
        with pytest.raises(FileNotFoundError, match="connect-email schemas generate"):
            validator.validate_request("StartEmailContact", {})
    finally:
        validator._schema_file.cache_clear()


def test_dollar_anchors_the_end_of_input_as_in_ecma_262(rich_request: Make) -> None:
    params = rich_request()
    params["Attachments"][0]["FileName"] = "Rechnung.pdf\n"  # '^\P{C}*$': '\n' is a control character
    assert rules_at("StartEmailContact", params) == {("/Attachments/0/FileName", "pattern")}
    alias = {"IdentityManagementType": "CONNECT_MANAGED", "InboundCallsEnabled": True, "OutboundCallsEnabled": True}
    assert rules_at("CreateInstance", {**alias, "InstanceAlias": "acme\n"}) == {("/InstanceAlias", "pattern")}
    assert rules_at("CreateInstance", {**alias, "InstanceAlias": "acme"}) == set()


def test_a_value_of_the_wrong_type_is_one_violation(rich_request: Make) -> None:
    params = rich_request()
    params["EmailMessage"]["MessageSourceType"] = 4711
    assert rules_at("StartEmailContact", params) == {("/EmailMessage/MessageSourceType", "type")}


@pytest.mark.parametrize("value", ["²", "١٢٣", "12.5.1"])
def test_timestamp_strings_are_ascii_epoch_or_iso(value: str) -> None:
    found = validator.response_violations("DescribeContact", {"Contact": {"InitiationTimestamp": value}})
    assert [(v.pointer, v.rule) for v in found] == [("/Contact/InitiationTimestamp", "format")]
