"""pytest_connect_email.fakes.strategies: Hypothesis examples meet the contracts, or break exactly their rule."""

from __future__ import annotations

import re
from typing import Any

import pytest
from botocore.validate import ParamValidator
from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis import strategies as st

from pytest_connect_email import fakes
from pytest_connect_email.contracts import rules, spec, validator
from pytest_connect_email.fakes import strategies
from tests.conftest import needs_operation, strings

FAST = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,
)
#: For find(): no example database either.
SEARCH = settings(max_examples=200, deadline=None, database=None)
#: For find() when any example will do: generation only, no shrinking of a large request.
EXISTS = settings(max_examples=200, deadline=None, database=None, phases=[Phase.generate])
EXAMPLE_DOMAIN = re.compile(r"(?:[a-z0-9-]+\.)*example\.(?:com|org|net)")


@pytest.mark.parametrize("operation", spec.OPERATIONS)
@FAST
@given(data=st.data())
def test_requests_meet_the_contract_and_botocore(operation: str, data: st.DataObject) -> None:
    request = data.draw(strategies.requests(operation))
    validator.validate_request(operation, request)
    report = ParamValidator().validate(request, spec.operation_model(operation).input_shape)
    assert not report.has_errors(), report.generate_report()
    for text in strings(request):
        for domain in re.findall(r"@([^\s<>@\"']+)", text):
            assert EXAMPLE_DOMAIN.fullmatch(domain.lower()), text


@pytest.mark.parametrize("operation", spec.OPERATIONS)
@FAST
@given(data=st.data())
def test_invalid_requests_break_exactly_their_rule(operation: str, data: st.DataObject) -> None:
    rule, request = data.draw(strategies.invalid_requests(operation))
    assert {v.rule for v in validator.request_violations(operation, request)} == {rule}


@pytest.mark.parametrize("operation", ["StartEmailContact", "DisassociateEmailAddressAlias", "CreateEmailAddress"])
@FAST
@given(data=st.data())
def test_invalid_cases_name_the_reported_pointer(operation: str, data: st.DataObject) -> None:
    rule, pointer, request = data.draw(strategies.invalid_cases(operation))
    assert [(v.rule, v.pointer) for v in validator.request_violations(operation, request)] == [(rule, pointer)]


def test_unknown_operations_are_refused_up_front() -> None:
    with pytest.raises(spec.UnknownOperationError, match="Did you mean 'StartEmailContact'"):
        strategies.requests("StartEmailContacts")
    with pytest.raises(spec.UnknownOperationError):
        strategies.invalid_requests("nope")
    with pytest.raises(spec.UnknownOperationError):
        strategies.invalid_cases(42)  # type: ignore[arg-type]


def test_snake_case_names_give_the_same_strategy() -> None:
    assert strategies.requests("start_email_contact") is strategies.requests("StartEmailContact")


def test_examples_shrink_to_the_required_members() -> None:
    smallest = find(strategies.requests("StartEmailContact"), lambda r: True, settings=SEARCH)
    schema = validator.load_schema("StartEmailContact")
    assert set(smallest) == set(schema["required"])
    assert set(smallest["FromEmailAddress"]) == {"EmailAddress"}
    # RawMessage is optional in the model, but START-MSG-002 requires it; its own optional Headers stay out
    assert set(smallest["EmailMessage"]) == {"MessageSourceType", "RawMessage"}
    assert set(smallest["EmailMessage"]["RawMessage"]) == {"Subject", "Body", "ContentType"}


@needs_operation("DisassociateQueueEmailAddresses")
def test_a_shrunk_list_keeps_its_minimum_of_items() -> None:
    smallest = find(strategies.requests("DisassociateQueueEmailAddresses"), lambda r: True, settings=SEARCH)
    schema = validator.load_schema("DisassociateQueueEmailAddresses")
    assert len(smallest["EmailAddressesId"]) == schema["$defs"]["EmailAddressIdList"]["minItems"]


def test_the_smallest_alias_request_still_names_two_addresses() -> None:
    # shrinking drives both ids to the same seed; the DISASSOC-ALIAS-001 repair must keep them apart
    smallest = find(strategies.requests("DisassociateEmailAddressAlias"), lambda r: True, settings=SEARCH)
    assert smallest["AliasConfiguration"]["EmailAddressId"] != smallest["EmailAddressId"]
    validator.validate_request("DisassociateEmailAddressAlias", smallest)


def test_contact_expiry_is_drawn_in_the_prescribed_shape() -> None:
    found = find(
        strategies.requests("StartEmailContact"),
        lambda r: rules.CONTACT_EXPIRY_KEY in r.get("SegmentAttributes", {}),
        settings=EXISTS,
    )
    expiry = found["SegmentAttributes"][rules.CONTACT_EXPIRY_KEY]
    minutes = expiry["ValueMap"]["ExpiryDuration"]["ValueInteger"]
    assert minutes >= 1
    assert expiry == fakes.contact_expiry_value(minutes)


def segment_depth(value: Any) -> int:
    nested = list(value.get("ValueMap", {}).values()) + list(value.get("ValueList", []))
    return 1 + max((segment_depth(v) for v in nested), default=0)


@FAST
@given(strategies.requests("StartEmailContact"))
def test_recursive_segment_attributes_are_bounded(request: dict[str, Any]) -> None:
    assert all(segment_depth(v) <= fakes.MAX_DEPTH for v in request.get("SegmentAttributes", {}).values())


def test_recursive_segment_attributes_reach_the_bound() -> None:
    deepest = find(
        strategies.requests("StartEmailContact"),
        lambda r: any(segment_depth(v) >= fakes.MAX_DEPTH for v in r.get("SegmentAttributes", {}).values()),
        settings=EXISTS,
    )
    assert max(segment_depth(v) for v in deepest["SegmentAttributes"].values()) == fakes.MAX_DEPTH
