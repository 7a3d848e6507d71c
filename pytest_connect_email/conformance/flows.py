"""Conformance checks of flows and of the flows bound to email addresses: CreateContactFlow,
DescribeContactFlow, AssociateFlow, DisassociateFlow, GetFlowAssociation, ListFlowAssociations,
BatchGetFlowAssociation, and StartEmailContact's ContactFlowId.

A flow association of the email types names its email address by the address's ARN, as the other types name
their resource by an ARN (the model's ResourceId is an ARN shape: "Amazon Web Services End User Messaging SMS
phone number ARN when using SMS_PHONE_NUMBER"); the model is silent for INBOUND_EMAIL and OUTBOUND_EMAIL.
Each check makes its own flows and addresses, with names only it uses.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable
from typing import Any

from pytest_connect_email.conformance import check
from pytest_connect_email.conformance.support import MESSAGE, Address, answer_code, every_item

MISSING_ID = "00000000-0000-4000-8000-00000000f404"
NOT_FOUND = (404, "ResourceNotFoundException")
#: The smallest flow of the flow language: one action that ends the contact.
FLOW_CONTENT = json.dumps(
    {
        "Version": "2019-10-30",
        "StartAction": "end",
        "Metadata": {},
        "Actions": [{"Identifier": "end", "Type": "DisconnectParticipant", "Parameters": {}, "Transitions": {}}],
    }
)
EMAIL_TYPES = ("INBOUND_EMAIL", "OUTBOUND_EMAIL")


def new_flow(client: Any, instance_id: str, name: str, **extra: Any) -> dict[str, Any]:
    params = {"InstanceId": instance_id, "Name": name, "Type": "CONTACT_FLOW", "Content": FLOW_CONTENT, **extra}
    return dict(client.create_contact_flow(**params))


def bind(client: Any, instance_id: str, address: Address, flow: dict[str, Any], kind: str = "INBOUND_EMAIL") -> None:
    client.associate_flow(
        InstanceId=instance_id, ResourceId=address.arn, FlowId=flow["ContactFlowArn"], ResourceType=kind
    )


def bound(client: Any, instance_id: str, address: Address, kind: str = "INBOUND_EMAIL") -> dict[str, Any]:
    answer = client.get_flow_association(InstanceId=instance_id, ResourceId=address.arn, ResourceType=kind)
    return {k: answer.get(k) for k in ("ResourceId", "FlowId", "ResourceType")}


def listed(client: Any, instance_id: str, **params: Any) -> list[dict[str, Any]]:
    """Every association ListFlowAssociations pages through."""
    return every_item(client.list_flow_associations, "FlowAssociationSummaryList", InstanceId=instance_id, **params)


def batch(client: Any, instance_id: str, *arns: str, **extra: Any) -> list[dict[str, Any]]:
    answer = client.batch_get_flow_association(InstanceId=instance_id, ResourceIds=list(arns), **extra)
    return list(answer.get("FlowAssociationSummaryList", []))


# -- flows -----------------------------------------------------------------------------------------


@check(
    "FLOW-001",
    "CreateContactFlow",
    "Creates a flow for the specified Connect Customer instance. DescribeContactFlow: Describes the specified "
    "flow. FlowContentSha256: Indicates the checksum value of the flow content. AWS API convention: what is "
    "created can be described, with the values it was created with.",
)
def test_a_flow_reads_back(connect_client: Any, connect_instance_id: str, unique: Callable[[], str]) -> None:
    """A created flow is described with its name, type, content, description and tags, PUBLISHED and ACTIVE,
    its checksum the SHA-256 of its content."""
    name = f"flow-{unique()[:10]}"
    made = new_flow(connect_client, connect_instance_id, name, Description="E-Mail-Eingang", Tags={"team": "care"})
    shown = connect_client.describe_contact_flow(InstanceId=connect_instance_id, ContactFlowId=made["ContactFlowId"])
    flow = shown["ContactFlow"]
    assert (flow["Id"], flow["Arn"]) == (made["ContactFlowId"], made["ContactFlowArn"])
    assert (flow["Name"], flow["Type"], flow.get("Description")) == (name, "CONTACT_FLOW", "E-Mail-Eingang")
    assert json.loads(flow["Content"]) == json.loads(FLOW_CONTENT)
    assert (flow.get("Status"), flow.get("State")) == ("PUBLISHED", "ACTIVE")
    assert flow.get("Tags") == {"team": "care"}
    assert made["FlowContentSha256"] == hashlib.sha256(FLOW_CONTENT.encode()).hexdigest()


@check(
    "FLOW-002",
    "CreateContactFlow",
    "Status: The PUBLISHED status will initiate validation on the content. SAVED does not initiate validation of "
    "the content. InvalidContactFlowException: The flow is not valid.",
)
def test_published_content_must_be_a_flow(
    connect_client: Any, connect_instance_id: str, unique: Callable[[], str]
) -> None:
    """Content that is not flow-language JSON is refused (400) when published, kept when saved."""
    name = f"flow-{unique()[:10]}"
    for content in ("not json", "{}", json.dumps({"Version": "2019-10-30", "StartAction": "x", "Actions": []})):
        status, code = answer_code(
            functools.partial(new_flow, connect_client, connect_instance_id, name, Content=content)
        )
        assert (status, code) == (400, "InvalidContactFlowException"), content
    saved = new_flow(connect_client, connect_instance_id, name, Content="not json yet", Status="SAVED")
    assert saved["ContactFlowId"]


@check(
    "FLOW-003",
    "DescribeContactFlow",
    "Use the $SAVED alias in the request to describe the SAVED content of a Flow. ContactFlowNotPublishedException: "
    "The flow has not been published.",
)
def test_a_saved_flow_is_described_by_its_saved_alias(
    connect_client: Any, connect_instance_id: str, unique: Callable[[], str]
) -> None:
    """A SAVED flow is ContactFlowNotPublishedException (404) by its id, and described with its content by id:$SAVED."""
    made = new_flow(connect_client, connect_instance_id, f"flow-{unique()[:10]}", Content="draft", Status="SAVED")
    ident = made["ContactFlowId"]
    describe = functools.partial(connect_client.describe_contact_flow, InstanceId=connect_instance_id)
    assert answer_code(functools.partial(describe, ContactFlowId=ident)) == (404, "ContactFlowNotPublishedException")
    flow = describe(ContactFlowId=f"{ident}:$SAVED")["ContactFlow"]
    assert (flow["Id"], flow["Status"], flow["Content"]) == (ident, "SAVED", "draft")


@check(
    "FLOW-004",
    "DescribeContactFlow",
    "AWS API convention: what is unknown is ResourceNotFoundException (404); ids of one instance are not found "
    "under another.",
)
def test_an_unknown_flow_is_not_found(
    connect_client: Any, connect_instance_id: str, make_instance: Any, unique: Callable[[], str]
) -> None:
    """A flow id never made, and a flow of another instance, are 404."""
    made = new_flow(connect_client, connect_instance_id, f"flow-{unique()[:10]}")
    other = make_instance()["Id"]
    for instance, flow in ((connect_instance_id, MISSING_ID), (other, made["ContactFlowId"])):
        describe = functools.partial(connect_client.describe_contact_flow, InstanceId=instance, ContactFlowId=flow)
        assert answer_code(describe) == NOT_FOUND


@check(
    "FLOW-005",
    "StartEmailContact",
    "ContactFlowId: The identifier of the flow for initiating the emails. AWS API convention: a reference to a "
    "resource that does not exist is ResourceNotFoundException (404).",
)
def test_an_email_contact_starts_a_real_flow(
    connect_client: Any, connect_instance_id: str, email_address: Callable[..., Address], unique: Callable[[], str]
) -> None:
    """StartEmailContact with a flow of the instance starts a contact; with a flow id never made it is 404."""
    destination = email_address()
    flow = new_flow(connect_client, connect_instance_id, f"flow-{unique()[:10]}")

    def start(flow_id: str) -> Any:
        return connect_client.start_email_contact(
            InstanceId=connect_instance_id,
            FromEmailAddress={"EmailAddress": "customer@example.net"},
            DestinationEmailAddress=destination.address,
            EmailMessage=MESSAGE,
            ContactFlowId=flow_id,
        )

    assert start(flow["ContactFlowId"])["ContactId"]
    assert answer_code(functools.partial(start, MISSING_ID)) == NOT_FOUND


# -- flows bound to email addresses ----------------------------------------------------------------


@check(
    "FLOWASSOC-001",
    "AssociateFlow",
    "Associates a connect resource to a flow. GetFlowAssociation: Retrieves the flow associated for a given "
    "resource. AWS API convention: what is created reads back; each (resource, type) has its own association.",
)
def test_a_bound_flow_reads_back(
    connect_client: Any, connect_instance_id: str, email_address: Callable[..., Address], unique: Callable[[], str]
) -> None:
    """An address bound to an inbound and an outbound flow reads back each, by type; binding again replaces."""
    address = email_address()
    token = unique()[:10]
    inbound, outbound, later = (new_flow(connect_client, connect_instance_id, f"flow-{token}-{n}") for n in "abc")
    bind(connect_client, connect_instance_id, address, inbound, "INBOUND_EMAIL")
    bind(connect_client, connect_instance_id, address, outbound, "OUTBOUND_EMAIL")
    for flow, kind in ((inbound, "INBOUND_EMAIL"), (outbound, "OUTBOUND_EMAIL")):
        expected = {"ResourceId": address.arn, "FlowId": flow["ContactFlowArn"], "ResourceType": kind}
        assert bound(connect_client, connect_instance_id, address, kind) == expected
    bind(connect_client, connect_instance_id, address, later, "INBOUND_EMAIL")
    assert bound(connect_client, connect_instance_id, address)["FlowId"] == later["ContactFlowArn"]


@check(
    "FLOWASSOC-002",
    "DisassociateFlow",
    "Disassociates a connect resource from a flow. AWS API convention: what is removed is gone from every read; "
    "removing what does not exist is ResourceNotFoundException (404).",
)
def test_an_unbound_flow_is_gone(
    connect_client: Any, connect_instance_id: str, email_address: Callable[..., Address], unique: Callable[[], str]
) -> None:
    """After DisassociateFlow, Get is 404, List and BatchGet do not show it, and disassociating again is 404."""
    address = email_address()
    flow = new_flow(connect_client, connect_instance_id, f"flow-{unique()[:10]}")
    bind(connect_client, connect_instance_id, address, flow)
    unbind = functools.partial(
        connect_client.disassociate_flow,
        InstanceId=connect_instance_id,
        ResourceId=address.arn,
        ResourceType="INBOUND_EMAIL",
    )
    unbind()
    assert answer_code(functools.partial(bound, connect_client, connect_instance_id, address)) == NOT_FOUND
    assert address.arn not in [a["ResourceId"] for a in listed(connect_client, connect_instance_id)]
    assert batch(connect_client, connect_instance_id, address.arn) == []
    assert answer_code(unbind) == NOT_FOUND


@check(
    "FLOWASSOC-003",
    "ListFlowAssociations",
    "List the flow association based on the filters. ResourceType: A valid resource type. AWS API convention: "
    "pages return every item exactly once.",
)
def test_associations_are_listed_by_type_page_by_page(
    connect_client: Any, connect_instance_id: str, email_address: Callable[..., Address], unique: Callable[[], str]
) -> None:
    """Three bindings are each listed once over pages of one; a type filter lists only its type."""
    first, second = email_address(), email_address()
    flow = new_flow(connect_client, connect_instance_id, f"flow-{unique()[:10]}")
    bind(connect_client, connect_instance_id, first, flow, "INBOUND_EMAIL")
    bind(connect_client, connect_instance_id, first, flow, "OUTBOUND_EMAIL")
    bind(connect_client, connect_instance_id, second, flow, "INBOUND_EMAIL")
    mine = {first.arn, second.arn}
    pairs = [
        (a["ResourceId"], a["ResourceType"])
        for a in listed(connect_client, connect_instance_id, MaxResults=1)
        if a["ResourceId"] in mine
    ]
    assert sorted(pairs) == sorted(
        [(first.arn, "INBOUND_EMAIL"), (first.arn, "OUTBOUND_EMAIL"), (second.arn, "INBOUND_EMAIL")]
    )
    outbound = listed(connect_client, connect_instance_id, ResourceType="OUTBOUND_EMAIL")
    assert {a["ResourceType"] for a in outbound} == {"OUTBOUND_EMAIL"}
    assert [a["ResourceId"] for a in outbound if a["ResourceId"] in mine] == [first.arn]


@check(
    "FLOWASSOC-004",
    "BatchGetFlowAssociation",
    "Retrieve the flow associations for the given resources. AWS API convention: a batch get answers what it "
    "finds of what it was asked for, and nothing else.",
)
def test_a_batch_get_answers_the_named_resources(
    connect_client: Any, connect_instance_id: str, email_address: Callable[..., Address], unique: Callable[[], str]
) -> None:
    """Named resources' bindings are answered (by type when a type is given); an unbound or unnamed one is not."""
    named, unbound, unnamed = email_address(), email_address(), email_address()
    flow = new_flow(connect_client, connect_instance_id, f"flow-{unique()[:10]}")
    bind(connect_client, connect_instance_id, named, flow, "INBOUND_EMAIL")
    bind(connect_client, connect_instance_id, named, flow, "OUTBOUND_EMAIL")
    bind(connect_client, connect_instance_id, unnamed, flow, "INBOUND_EMAIL")
    found = batch(connect_client, connect_instance_id, named.arn, unbound.arn)
    assert sorted((a["ResourceId"], a["ResourceType"], a["FlowId"]) for a in found) == [
        (named.arn, kind, flow["ContactFlowArn"]) for kind in EMAIL_TYPES
    ]
    typed = batch(connect_client, connect_instance_id, named.arn, ResourceType="OUTBOUND_EMAIL")
    assert [(a["ResourceId"], a["ResourceType"]) for a in typed] == [(named.arn, "OUTBOUND_EMAIL")]


@check(
    "FLOWASSOC-005",
    "AssociateFlow",
    "ResourceId: The identifier of the resource. FlowId: The identifier of the flow. AWS API convention: a "
    "reference to a resource that does not exist is ResourceNotFoundException (404), and nothing is bound.",
)
def test_a_binding_needs_a_real_flow_and_address(
    connect_client: Any, connect_instance_id: str, email_address: Callable[..., Address], unique: Callable[[], str]
) -> None:
    """An unknown flow, and an address ARN that names nothing, are 404; nothing is bound."""
    address = email_address()
    flow = new_flow(connect_client, connect_instance_id, f"flow-{unique()[:10]}")
    missing_flow = f"{flow['ContactFlowArn'].rsplit('/', 1)[0]}/{MISSING_ID}"
    missing_address = f"{address.arn.rsplit('/', 1)[0]}/{MISSING_ID}"
    for resource, flow_id in ((address.arn, missing_flow), (missing_address, flow["ContactFlowArn"])):
        associate = functools.partial(
            connect_client.associate_flow,
            InstanceId=connect_instance_id,
            ResourceId=resource,
            FlowId=flow_id,
            ResourceType="INBOUND_EMAIL",
        )
        assert answer_code(associate) == NOT_FOUND
    assert answer_code(functools.partial(bound, connect_client, connect_instance_id, address)) == NOT_FOUND


@check(
    "FLOWASSOC-006",
    "GetFlowAssociation",
    "DeleteEmailAddress: Deletes email address from the specified Amazon Connect instance. AWS API convention: "
    "what is deleted is gone, also from what referred to it, through every read that could still show it.",
)
def test_a_deleted_address_loses_its_flows(
    connect_client: Any, connect_instance_id: str, email_address: Callable[..., Address], unique: Callable[[], str]
) -> None:
    """After DeleteEmailAddress, its bindings (read before) are gone from Get, List and BatchGet."""
    address = email_address()
    flow = new_flow(connect_client, connect_instance_id, f"flow-{unique()[:10]}")
    for kind in EMAIL_TYPES:
        bind(connect_client, connect_instance_id, address, flow, kind)
    assert bound(connect_client, connect_instance_id, address)["FlowId"] == flow["ContactFlowArn"]
    connect_client.delete_email_address(InstanceId=connect_instance_id, EmailAddressId=address.id)
    for kind in EMAIL_TYPES:
        get = functools.partial(bound, connect_client, connect_instance_id, address, kind)
        assert answer_code(get) == NOT_FOUND
    assert address.arn not in [a["ResourceId"] for a in listed(connect_client, connect_instance_id)]
    assert batch(connect_client, connect_instance_id, address.arn) == []
