"""Conformance checks of the protocol, for every operation the suite calls: request ids, content types,
error codes and statuses, empty bodies.

Each check takes the same tour: a success and an error answer of each covered operation, seen raw (status,
headers, body) by a handler on the client, then holds every answer of the tour to one rule. Cassettes keep
answers, not transport headers, so with cassettes these checks are skipped: run them live or against the
emulator.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from pytest_connect_email.conformance import check
from pytest_connect_email.conformance.support import MESSAGE, PROTOCOL, start
from pytest_connect_email.contracts import spec

MISSING = "00000000-0000-4000-8000-00000000dead"


@dataclass
class Answer:
    operation: str
    status: int
    headers: dict[str, str]
    body: bytes

    def code(self) -> tuple[str, str]:
        """The error code of the ``x-amzn-ErrorType`` header and of the body (either may be empty)."""
        header = self.headers.get("x-amzn-errortype", "").split(":", 1)[0]
        try:
            data = json.loads(self.body or b"{}")
        except ValueError:
            data = {}
        named = str(data.get("__type") or data.get("code") or data.get("Code") or "") if isinstance(data, dict) else ""
        return header, named.rsplit("#", 1)[-1]


def _tour_calls(client: Any, instance_id: str, queue_id: str, email_address: Any, make_instance: Any) -> None:
    """A success and an error of every covered operation (errors swallowed: the handler keeps them)."""
    calls: list[Callable[[], Any]] = []
    primary, alias = email_address(), email_address()
    add = calls.append
    i = instance_id
    pair = {"InstanceId": i, "EmailAddressId": primary.id, "AliasConfiguration": {"EmailAddressId": alias.id}}
    add(lambda: client.list_instances(MaxResults=1))
    add(lambda: client.describe_instance(InstanceId=i))
    add(lambda: client.describe_instance(InstanceId=MISSING))
    add(lambda: client.delete_instance(InstanceId=make_instance()["Id"]))
    add(lambda: client.delete_instance(InstanceId=MISSING))
    add(lambda: client.create_email_address(InstanceId=i, EmailAddress=primary.address))
    add(lambda: client.describe_email_address(InstanceId=i, EmailAddressId=primary.id))
    add(lambda: client.describe_email_address(InstanceId=i, EmailAddressId=MISSING))
    add(lambda: client.update_email_address_metadata(InstanceId=i, EmailAddressId=primary.id, DisplayName="P"))
    add(lambda: client.update_email_address_metadata(InstanceId=i, EmailAddressId=MISSING, DisplayName="P"))
    add(lambda: client.search_email_addresses(InstanceId=i, MaxResults=1))
    add(lambda: client.search_email_addresses(InstanceId=MISSING))
    add(lambda: client.associate_email_address_alias(**pair))
    add(lambda: client.associate_email_address_alias(**pair))
    add(lambda: client.disassociate_email_address_alias(**pair))
    add(lambda: client.disassociate_email_address_alias(**pair))
    queue = {"InstanceId": i, "QueueId": queue_id}
    add(lambda: client.associate_queue_email_addresses(**queue, EmailAddressesConfig=[{"EmailAddressId": alias.id}]))
    add(lambda: client.associate_queue_email_addresses(**queue, EmailAddressesConfig=[{"EmailAddressId": MISSING}]))
    add(
        lambda: client.update_queue_outbound_email_config(
            **queue, OutboundEmailConfig={"OutboundEmailAddressId": alias.id}
        )
    )
    add(
        lambda: client.update_queue_outbound_email_config(
            **queue, OutboundEmailConfig={"OutboundEmailAddressId": MISSING}
        )
    )
    add(lambda: client.list_queue_email_addresses(**queue))
    add(lambda: client.disassociate_queue_email_addresses(**queue, EmailAddressesId=[alias.id]))
    add(lambda: client.disassociate_queue_email_addresses(**queue, EmailAddressesId=[MISSING]))
    add(lambda: client.update_queue_outbound_email_config(**queue, OutboundEmailConfig={}))
    week = [{"Day": "MONDAY", "StartTime": {"Hours": 8, "Minutes": 0}, "EndTime": {"Hours": 17, "Minutes": 0}}]
    hours_name = f"tour-{primary.id[:8]}"
    made: dict[str, str] = {}

    def new_hours() -> None:
        answer = client.create_hours_of_operation(InstanceId=i, Name=hours_name, TimeZone="UTC", Config=week)
        made["hours"] = answer["HoursOfOperationId"]

    def new_queue() -> None:
        made["queue"] = client.create_queue(InstanceId=i, Name=hours_name, HoursOfOperationId=made["hours"])["QueueId"]

    add(new_hours)
    add(lambda: client.create_hours_of_operation(InstanceId=MISSING, Name=hours_name, TimeZone="UTC", Config=week))
    add(lambda: client.describe_hours_of_operation(InstanceId=i, HoursOfOperationId=made["hours"]))
    add(lambda: client.describe_hours_of_operation(InstanceId=i, HoursOfOperationId=MISSING))
    add(new_queue)
    add(lambda: client.create_queue(InstanceId=i, Name=f"{hours_name}-2", HoursOfOperationId=MISSING))
    add(lambda: client.describe_queue(InstanceId=i, QueueId=made["queue"]))
    add(lambda: client.describe_queue(InstanceId=i, QueueId=MISSING))
    add(lambda: client.list_queues(InstanceId=i, MaxResults=1))
    add(lambda: client.list_queues(InstanceId=MISSING))
    add(lambda: client.search_queues(InstanceId=i, MaxResults=1))
    add(lambda: client.search_queues(InstanceId=MISSING))
    flow_content = json.dumps(
        {"Version": "2019-10-30", "StartAction": "e", "Actions": [{"Identifier": "e", "Type": "DisconnectParticipant"}]}
    )

    def new_flow() -> None:
        answer = client.create_contact_flow(InstanceId=i, Name=hours_name, Type="CONTACT_FLOW", Content=flow_content)
        made["flow"] = answer["ContactFlowArn"]
        made["flow_id"] = answer["ContactFlowId"]

    binding = {"InstanceId": i, "ResourceId": primary.arn, "ResourceType": "INBOUND_EMAIL"}
    add(new_flow)
    add(lambda: client.create_contact_flow(InstanceId=i, Name=f"{hours_name}-x", Type="CONTACT_FLOW", Content="{}"))
    add(lambda: client.describe_contact_flow(InstanceId=i, ContactFlowId=made["flow_id"]))
    add(lambda: client.describe_contact_flow(InstanceId=i, ContactFlowId=MISSING))
    add(lambda: client.associate_flow(**binding, FlowId=made["flow"]))
    add(lambda: client.associate_flow(**binding, FlowId=MISSING))
    add(lambda: client.get_flow_association(**binding))
    add(lambda: client.list_flow_associations(InstanceId=i, MaxResults=1))
    add(lambda: client.list_flow_associations(InstanceId=MISSING))
    add(lambda: client.batch_get_flow_association(InstanceId=i, ResourceIds=[primary.arn]))
    add(lambda: client.batch_get_flow_association(InstanceId=MISSING, ResourceIds=[primary.arn]))
    add(lambda: client.disassociate_flow(**binding))
    add(lambda: client.disassociate_flow(**binding))
    add(lambda: client.get_flow_association(**binding))
    missing_arn = f"{primary.arn.rsplit('/', 1)[0]}/{MISSING}"
    add(lambda: client.tag_resource(resourceArn=primary.arn, tags={"tour": "1"}))
    add(lambda: client.tag_resource(resourceArn=missing_arn, tags={"tour": "1"}))
    add(lambda: client.list_tags_for_resource(resourceArn=primary.arn))
    add(lambda: client.list_tags_for_resource(resourceArn=missing_arn))
    add(lambda: client.untag_resource(resourceArn=primary.arn, tagKeys=["tour"]))
    add(lambda: client.untag_resource(resourceArn=missing_arn, tagKeys=["tour"]))
    for call in calls:
        _swallow(call)
    contact = start(client, i, primary.address, Attributes={"k": "v"})
    _swallow(lambda: start(client, i, f"nobody-{MISSING}@example.com"))
    outbound_message = {"MessageSourceType": "RAW", "RawMessage": {"Body": "Entwurf", "ContentType": "text/plain"}}
    more: list[Callable[[], Any]] = [
        lambda: client.describe_contact(InstanceId=i, ContactId=contact),
        lambda: client.describe_contact(InstanceId=i, ContactId=MISSING),
        lambda: client.get_contact_attributes(InstanceId=i, InitialContactId=contact),
        lambda: client.get_contact_attributes(InstanceId=i, InitialContactId=MISSING),
        lambda: client.create_contact(InstanceId=i, Channel="CHAT", InitiationMethod="API"),
        lambda: client.update_outbound_email_contact_message(
            InstanceId=i, ContactId=contact, EmailMessage=outbound_message
        ),
        lambda: client.start_outbound_email_contact(
            InstanceId=i,
            ContactId=MISSING,
            DestinationEmailAddress={"EmailAddress": "k@example.net"},
            EmailMessage=MESSAGE,
        ),
        lambda: client.send_outbound_email(
            InstanceId=i,
            FromEmailAddress={"EmailAddress": primary.address},
            DestinationEmailAddress={"EmailAddress": "k@example.net"},
            EmailMessage=MESSAGE,
            TrafficType="CAMPAIGN",
            SourceCampaign={"CampaignId": "c", "OutboundRequestId": "8c1f4c4e-5b7a-4f53-9d3c-2f0e8a6b1d2c"},
        ),
        lambda: client.send_outbound_email(
            InstanceId=i,
            FromEmailAddress={"EmailAddress": primary.address},
            DestinationEmailAddress={"EmailAddress": "k@example.net"},
            EmailMessage=MESSAGE,
            TrafficType="GENERAL",
        ),
        lambda: client.delete_email_address(InstanceId=i, EmailAddressId=MISSING),
        lambda: client.update_contact(InstanceId=i, ContactId=contact, Name="Tour"),
        lambda: client.update_contact(InstanceId=i, ContactId=MISSING, Name="Tour"),
        lambda: client.list_contact_references(InstanceId=i, ContactId=contact, ReferenceTypes=["EMAIL_MESSAGE"]),
        lambda: client.list_contact_references(InstanceId=i, ContactId=MISSING, ReferenceTypes=["URL"]),
        lambda: client.list_associated_contacts(InstanceId=i, ContactId=contact, MaxResults=1),
        lambda: client.list_associated_contacts(InstanceId=i, ContactId=MISSING),
        lambda: client.transfer_contact(InstanceId=i, ContactId=MISSING, QueueId=made["queue"], ContactFlowId=MISSING),
        lambda: client.transfer_contact(
            InstanceId=i, ContactId=contact, QueueId=made["queue"], ContactFlowId=made["flow_id"]
        ),
        lambda: client.stop_contact(InstanceId=i, ContactId=start(client, i, primary.address)),
        lambda: client.stop_contact(InstanceId=i, ContactId=MISSING),
        lambda: client.delete_contact_data(InstanceId=i, ContactId=contact, ContactFields=["CUSTOMER_ENDPOINT"]),
        lambda: client.delete_contact_data(InstanceId=i, ContactId=MISSING, ContactFields=["CUSTOMER_ENDPOINT"]),
    ]
    contact_arn = client.describe_contact(InstanceId=i, ContactId=contact)["Contact"]["Arn"]
    files = {"InstanceId": i, "AssociatedResourceArn": contact_arn}
    started = client.start_attached_file_upload(
        **files, FileName="tour.txt", FileSizeInBytes=4, FileUseCaseType="ATTACHMENT"
    )
    attached = {**files, "FileId": started["FileId"]}
    more += [
        lambda: client.start_attached_file_upload(
            **files, FileName="tour.txt", FileSizeInBytes=4, FileUseCaseType="VOICE_RECORDING"
        ),
        lambda: client.complete_attached_file_upload(**attached),
        lambda: client.complete_attached_file_upload(**files, FileId=MISSING),
        lambda: client.get_attached_file(**attached),
        lambda: client.get_attached_file(**files, FileId=MISSING),
        lambda: client.batch_get_attached_file_metadata(**files, FileIds=[started["FileId"], MISSING]),
        lambda: client.batch_get_attached_file_metadata(
            InstanceId=MISSING, AssociatedResourceArn=contact_arn, FileIds=[MISSING]
        ),
        lambda: client.delete_attached_file(**attached),
        lambda: client.delete_attached_file(**attached),
    ]
    for call in more:
        _swallow(call)
    reply = client.create_contact(
        InstanceId=i, Channel="EMAIL", InitiationMethod="OUTBOUND", UserInfo={"UserId": "agent-1"}
    )["ContactId"]
    client.update_outbound_email_contact_message(InstanceId=i, ContactId=reply, EmailMessage=outbound_message)
    client.start_outbound_email_contact(
        InstanceId=i, ContactId=reply, DestinationEmailAddress={"EmailAddress": "k@example.net"}, EmailMessage=MESSAGE
    )
    client.delete_email_address(InstanceId=i, EmailAddressId=alias.id)


def _swallow(call: Callable[[], Any]) -> None:
    from botocore.exceptions import ClientError

    with contextlib.suppress(ClientError):
        call()


@pytest.fixture
def tour(
    connect_client_factory: Callable[..., Any],
    connect_settings: Any,
    connect_instance_id: str,
    connect_queue_id: str,
    email_address: Any,
    make_instance: Any,
) -> list[Answer]:
    """Every raw answer of one tour of the covered operations."""
    if connect_settings.mode in ("record", "replay"):
        pytest.skip("cassettes keep answers, not transport headers: run the protocol checks live or in emulator mode")
    client = connect_client_factory(validate_requests=False)
    seen: list[Answer] = []

    def keep(http_response: Any, model: Any, **_: Any) -> None:
        headers = {str(k).lower(): str(v) for k, v in http_response.headers.items()}
        seen.append(Answer(model.name, int(http_response.status_code), headers, bytes(http_response.content or b"")))

    client.meta.events.register_first("after-call.connect", keep)
    _tour_calls(client, connect_instance_id, connect_queue_id, email_address, make_instance)
    missing = set(spec.model().operations) - {a.operation for a in seen} - {"CreateInstance"}
    assert not missing, f"the tour did not reach {sorted(missing)}"
    return seen


@check(
    "PROTO-001",
    PROTOCOL,
    "AWS API convention: every answer, success or error, carries a request id in x-amzn-RequestId (botocore's "
    "ResponseMetadata.RequestId).",
)
def test_every_answer_has_a_request_id(tour: list[Answer]) -> None:
    """Every answer of every operation carries a non-empty x-amzn-RequestId header, unique per answer."""
    without = sorted({f"{a.operation} {a.status}" for a in tour if not a.headers.get("x-amzn-requestid")})
    assert not without, f"answers without x-amzn-RequestId: {without}"
    ids = [a.headers["x-amzn-requestid"] for a in tour]
    assert len(set(ids)) == len(ids), "two answers carried the same request id"


@check(
    "PROTO-002",
    PROTOCOL,
    'model: metadata protocol "rest-json" — JSON answers are labelled application/json.',
)
def test_json_answers_say_so(tour: list[Answer]) -> None:
    """Every answer with a body is labelled with a JSON content type."""
    wrong = sorted(
        {
            f"{a.operation} {a.status}: {a.headers.get('content-type', '(none)')}"
            for a in tour
            if a.body.strip() and "json" not in a.headers.get("content-type", "")
        }
    )
    assert not wrong, f"answers with a body that is not labelled JSON: {wrong}"


@check(
    "PROTO-003",
    PROTOCOL,
    "model: each error shape's httpStatusCode — an error answers with the status its shape models.",
)
def test_error_status_is_the_modelled_one(tour: list[Answer]) -> None:
    """Every error answer's status is the one the model gives its error code."""
    errors = [a for a in tour if a.status >= 300]
    assert len(errors) >= 15, f"the tour should meet an error of most operations, met {len(errors)}"
    wrong = []
    for answer in errors:
        header, named = answer.code()
        code = header or named
        modelled = _modelled_status(code)
        if modelled is not None and modelled != answer.status:
            wrong.append(f"{answer.operation}: {code} answered {answer.status}, modelled {modelled}")
    assert not wrong, wrong


def _modelled_status(code: str) -> int | None:
    try:
        shape = spec.service_model().shape_for(code)
    except Exception:  # not an error shape of the model (e.g. a common AWS error)
        return None
    status = shape.metadata.get("error", {}).get("httpStatusCode")
    return int(status) if status is not None else None


@check(
    "PROTO-004",
    PROTOCOL,
    'model: metadata protocol "rest-json" — an error names its code in x-amzn-ErrorType or the body, consistently.',
)
def test_error_codes_are_consistent(tour: list[Answer]) -> None:
    """Every error answer names its code, and the header and body agree when both name one."""
    problems = []
    for answer in (a for a in tour if a.status >= 300):
        header, named = answer.code()
        if not (header or named):
            problems.append(f"{answer.operation} {answer.status}: no error code in header or body")
        elif header and named and header != named:
            problems.append(f"{answer.operation}: x-amzn-ErrorType {header} but the body says {named}")
    assert not problems, problems


@check(
    "PROTO-005",
    PROTOCOL,
    "model: operations whose output shape has no members (e.g. DisassociateEmailAddressAlias: The response returns "
    "an empty body.) answer an empty body or {}.",
)
def test_empty_outputs_answer_empty_bodies(tour: list[Answer]) -> None:
    """Successful answers of operations without output members have an empty body or an empty JSON object."""
    empty_ops = {
        op for op in spec.model().operations if not getattr(spec.operation_model(op).output_shape, "members", None)
    }
    checked = [a for a in tour if a.status < 300 and a.operation in empty_ops]
    assert {a.operation for a in checked} >= empty_ops - {"CreateInstance"}, "the tour should succeed at each"
    wrong = [f"{a.operation}: {a.body[:100]!r}" for a in checked if a.body.strip() not in (b"", b"{}")]
    assert not wrong, wrong


@check(
    "PROTO-006",
    PROTOCOL,
    "model: each operation's modelled errors (InvalidParameterException: One or more of the specified parameters "
    "are not valid; InvalidRequestException: The request is not valid). AWS API convention: a request that breaks "
    "its contract is refused with a modelled 4xx error, never a 5xx and never a success.",
)
def test_contract_breaking_requests_get_a_modelled_4xx(connect_client_factory: Callable[..., Any]) -> None:
    """For every covered operation and every kind of rule its contract has (types, lengths, counts, patterns,
    enums, required members, the documented rules), a request breaking one rule is answered with a 4xx error the
    operation models."""
    from botocore.exceptions import ClientError

    from pytest_connect_email.contracts import validator
    from pytest_connect_email.fakes import invalid_cases
    from pytest_connect_email.routing.client import EndpointNotImplemented

    client = connect_client_factory(validate_requests=False)
    problems: list[str] = []
    sent = 0
    for operation in spec.model().operations:
        method = getattr(client, spec.snake_name(operation))
        modelled = set(validator.error_codes(operation))
        shape = spec.operation_model(operation).input_shape
        located = {name: member.serialization.get("location") for name, member in shape.members.items()}
        labels = [name for name, where in located.items() if where == "uri"]
        seen: set[str] = set()
        for case in invalid_cases(operation):
            kind = case.rule  # a schema keyword (maxLength, pattern, ...) or a documented rule's id
            top = case.pointer.split("/")[1] if case.pointer.count("/") else ""
            if kind in seen or any(case.request.get(label) == "" for label in labels):
                continue  # an empty path segment addresses another URL, not this operation
            if kind == "type" and located.get(top):
                continue  # a path, query or header value is text on the wire: its type cannot be wrong there
            try:
                method(**case.request)
            except EndpointNotImplemented:
                raise  # as the tour's checks: an endpoint that lacks an operation is judged by its own checks
            except ClientError as error:
                status = int(error.response["ResponseMetadata"]["HTTPStatusCode"])
                code = str(error.response["Error"]["Code"])
                if not (400 <= status < 500 and code in modelled):
                    problems.append(f"{operation} breaking {case.rule}: {status} {code}")
            except Exception:  # botocore cannot put this value on the wire: no request was sent
                continue
            else:
                problems.append(f"{operation} breaking {case.rule}: a success")
            seen.add(kind)
            sent += 1
    assert sent >= len(spec.model().operations), f"only {sent} invalid requests could be sent"
    assert not problems, problems
