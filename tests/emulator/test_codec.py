"""botocore as the oracle, both ways: what it serialises we read back; what we write it parses."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from botocore.parsers import create_parser
from botocore.serialize import create_serializer

from pytest_connect_email.contracts import spec
from pytest_connect_email.emulator import codec, router
from pytest_connect_email.emulator.errors import ServiceError

REQUESTS: list[tuple[str, dict[str, Any]]] = [
    (
        "DisassociateEmailAddressAlias",
        {
            "InstanceId": "inst-1",
            "EmailAddressId": "a b/c",
            "AliasConfiguration": {"EmailAddressId": "e2"},
            "ClientToken": "t",
        },
    ),
    ("ListQueueEmailAddresses", {"InstanceId": "i", "QueueId": "q", "MaxResults": 7, "NextToken": "n/x=="}),
    ("DeleteInstance", {"InstanceId": "i", "ClientToken": "tok"}),
    (
        "StartEmailContact",
        {
            "InstanceId": "i",
            "FromEmailAddress": {"EmailAddress": "zoë@example.com"},
            "DestinationEmailAddress": "d@example.com",
            "EmailMessage": {
                "MessageSourceType": "RAW",
                "RawMessage": {"Subject": "Grüße", "Body": "b", "ContentType": "text/plain"},
            },
            "SegmentAttributes": {"connect:ContactExpiry": {"ValueMap": {"ExpiryDuration": {"ValueInteger": 5}}}},
        },
    ),
    ("ListInstances", {}),
    # An ARN in a URI label (botocore escapes its slashes and colons) and a list-valued query string.
    (
        "UntagResource",
        {
            "resourceArn": "arn:aws:connect:us-east-1:123456789012:instance/i-1/email-address/e 2",
            "tagKeys": ["team", "a/b=c", "zoë"],
        },
    ),
    ("TagResource", {"resourceArn": "arn:aws:connect:us-east-1:123456789012:instance/i-1", "tags": {"k": "v"}}),
    ("ListTagsForResource", {"resourceArn": "arn:aws:connect:eu-west-2:123456789012:instance/i-1/email-address/e"}),
]


@pytest.mark.parametrize(("operation", "params"), REQUESTS, ids=[r[0] for r in REQUESTS])
def test_botocore_requests_read_back_to_the_same_parameters(operation: str, params: dict[str, Any]) -> None:
    op = spec.operation_model(operation)
    wire = create_serializer("rest-json").serialize_to_request(params, op)
    url = urlsplit(wire["url_path"])
    query = wire["query_string"]
    if isinstance(query, dict):  # a list-valued member is one pair per item, as on the wire
        pairs = [(k, item) for k, v in query.items() for item in (v if isinstance(v, list) else [v])]
    else:
        pairs = parse_qsl(url.query)
    found = router.match(wire["method"], url.path)
    assert found is not None
    assert found[0] == operation
    body = wire["body"] if isinstance(wire["body"], bytes) else wire["body"].encode()
    request = codec.HttpRequest(
        method=wire["method"], raw_path=url.path, query=pairs, headers=dict(wire["headers"]), body=body
    )
    assert codec.parse_request(op, request, found[1]) == params


def _parse(operation: str, response: codec.HttpResponse) -> dict[str, Any]:
    op = spec.operation_model(operation)
    parsed: dict[str, Any] = create_parser("rest-json").parse(
        {"status_code": response.status, "headers": response.headers, "body": response.body}, op.output_shape
    )
    parsed.pop("ResponseMetadata", None)
    return parsed


def test_responses_parse_back_in_botocore() -> None:
    result = {
        "Contact": {
            "Id": "c",
            "Channel": "EMAIL",
            "InitiationTimestamp": 1767225600.5,
            "SegmentAttributes": {"k": {"ValueMap": {"x": {"ValueInteger": 3}}}},
        }
    }
    response = codec.serialize_response(spec.operation_model("DescribeContact"), result)
    parsed = _parse("DescribeContact", response)
    assert parsed["Contact"]["InitiationTimestamp"] == dt.datetime(
        2026, 1, 1, 0, 0, 0, 500000, tzinfo=dt.timezone.utc
    ).astimezone(parsed["Contact"]["InitiationTimestamp"].tzinfo)
    assert parsed["Contact"]["SegmentAttributes"] == result["Contact"]["SegmentAttributes"]
    tags = {"tags": {"team": "care", "zoë": "ja"}}
    assert (
        _parse("ListTagsForResource", codec.serialize_response(spec.operation_model("ListTagsForResource"), tags))
        == tags
    )
    empty = codec.serialize_response(spec.operation_model("DisassociateEmailAddressAlias"), {})
    assert (empty.status, empty.body) == (200, b"{}")


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("ResourceNotFoundException", 404),
        ("ServiceQuotaExceededException", 402),
        ("IdempotencyException", 409),
        ("ResourceConflictException", 409),
        ("ThrottlingException", 429),
        ("InvalidSignatureException", 403),
    ],
)
def test_errors_parse_in_botocore_with_their_modelled_status(code: str, status: int) -> None:
    response = codec.serialize_error(spec.service_model(), ServiceError(code, "what went wrong"))
    assert response.status == status
    parsed = create_parser("rest-json").parse(
        {"status_code": response.status, "headers": response.headers, "body": response.body}, None
    )
    assert parsed["Error"]["Code"] == code
    assert parsed["Error"]["Message"] == "what went wrong"


def test_every_model_operation_has_a_route() -> None:
    model = spec.service_model()
    for name in model.operation_names:
        http = model.operation_model(name).http
        path = "/".join("x" if part.startswith("{") else part for part in http["requestUri"].split("?")[0].split("/"))
        found = router.match(http["method"], path or "/")
        assert found is not None, name
        assert model.operation_model(found[0]).http["requestUri"].split("?")[0].count("/") == http["requestUri"].split(
            "?"
        )[0].count("/")
