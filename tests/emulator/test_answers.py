"""Every modelled member the emulator can know is answered.

For each covered operation (:data:`spec.OPERATIONS`), a tour of calls with every optional request member
set collects the members the emulator's answers hold, through an unmodified boto3 client (botocore parses
them); they are compared with the model's output shape, recursively through structures, lists and maps.
A member the answers never hold must be in :data:`MISSING_ON_PURPOSE` with the reason; a member listed
there covers everything under it. An entry the answers do hold is stale and fails too.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from pytest_connect_email.contracts import spec
from pytest_connect_email.emulator import Emulator
from tests.emulator.conftest import make_client

_NOT_ROUTED = "email contacts are not routed: no queue, agent, flow run or contact tree is emulated"
_NO_RENDITIONS = "redacted and plain-text renditions of an email message are not emulated (the message only)"
_NO_MEDIA = "no voice, chat, recording or analytics is emulated (email only)"

#: Members of an answer the emulator never fills, each with the reason. A path names a member of the
#: output shape: ``.`` into a structure, ``[]`` into a list's items, ``{}`` into a map's values.
MISSING_ON_PURPOSE: dict[tuple[str, str], str] = {
    ("DescribeInstance", "Instance.StatusReason"): "only for CREATION_FAILED; an emulated instance is ACTIVE at once",
    ("DescribeInstance", "ReplicationConfiguration"): "instance replication (global resiliency) is not emulated",
    ("DescribeContact", "Contact.ContactAssociationId"): _NOT_ROUTED,
    ("DescribeContact", "Contact.AgentInfo"): _NOT_ROUTED + " (CreateContact's UserInfo is not an agent's acceptance)",
    ("DescribeContact", "Contact.DisconnectDetails"): _NO_MEDIA,
    ("DescribeContact", "Contact.LastPausedTimestamp"): _NOT_ROUTED,
    ("DescribeContact", "Contact.LastResumedTimestamp"): _NOT_ROUTED,
    ("DescribeContact", "Contact.RingStartTimestamp"): _NO_MEDIA,
    ("DescribeContact", "Contact.TotalPauseCount"): _NOT_ROUTED,
    ("DescribeContact", "Contact.TotalPauseDurationInSeconds"): _NOT_ROUTED,
    ("DescribeContact", "Contact.ScheduledTimestamp"): "tasks are not emulated (only task contacts are scheduled)",
    ("DescribeContact", "Contact.WisdomInfo"): "Amazon Q in Connect (Wisdom) is not emulated",
    ("DescribeContact", "Contact.CustomerId"): "set by a flow or Customer Profiles, neither emulated",
    ("DescribeContact", "Contact.QueueTimeAdjustmentSeconds"): _NOT_ROUTED,
    ("DescribeContact", "Contact.QueuePriority"): _NOT_ROUTED,
    ("DescribeContact", "Contact.Tags"): "no covered operation tags a contact (TagContact is not covered)",
    ("DescribeContact", "Contact.ConnectedToSystemTimestamp"): _NO_MEDIA,
    ("DescribeContact", "Contact.RoutingCriteria"): _NOT_ROUTED,
    ("DescribeContact", "Contact.Customer"): _NO_MEDIA + " (device and video capabilities)",
    ("DescribeContact", "Contact.Campaign"): "no covered operation makes a campaign contact",
    ("DescribeContact", "Contact.AnsweringMachineDetectionStatus"): _NO_MEDIA,
    ("DescribeContact", "Contact.CustomerVoiceActivity"): _NO_MEDIA,
    ("DescribeContact", "Contact.QualityMetrics"): _NO_MEDIA,
    ("DescribeContact", "Contact.ChatMetrics"): _NO_MEDIA,
    ("DescribeContact", "Contact.Recordings"): _NO_MEDIA,
    ("DescribeContact", "Contact.ContactEvaluations"): "contact evaluations are not emulated",
    ("DescribeContact", "Contact.TaskTemplateInfo"): "tasks are not emulated",
    ("DescribeContact", "Contact.Cases"): "Amazon Connect Cases is not emulated",
    ("DescribeContact", "Contact.ContactDetails"): "the model: 'used only for task contacts'; tasks are not emulated",
    ("DescribeContact", "Contact.OutboundStrategy"): "outbound campaigns' agent-first strategies are not emulated",
    ("DescribeContact", "Contact.NextContacts"): _NOT_ROUTED + " (quick connects)",
    ("DescribeContact", "Contact.GlobalResiliencyMetadata"): "instance replication (global resiliency) is not emulated",
    ("DescribeContact", "Contact.ContactLens"): _NO_MEDIA,
    ("ListContactReferences", "NextToken"): "answered past 100 references; the tour's contact has fewer",
    ("ListContactReferences", "ReferenceSummaryList[].ContactAnalysis"): "Contact Lens analysis is not emulated",
    ("ListContactReferences", "ReferenceSummaryList[].EmailMessageRedacted"): _NO_RENDITIONS,
    ("ListContactReferences", "ReferenceSummaryList[].EmailMessagePlainText"): _NO_RENDITIONS,
    ("ListContactReferences", "ReferenceSummaryList[].EmailMessagePlainTextRedacted"): _NO_RENDITIONS,
    ("DescribeContactFlow", "ContactFlow.Version"): "flow versions (CreateContactFlowVersion) are not emulated",
    ("DescribeContactFlow", "ContactFlow.VersionDescription"): "flow versions are not emulated",
}


def member_paths(shape: Any, prefix: str = "", within: tuple[str, ...] = ()) -> Iterator[str]:
    """Every member path of ``shape`` (a recursive shape is walked once per path)."""
    if shape is None:
        return
    if shape.type_name == "structure":
        if shape.name in within:
            return
        for name, member in shape.members.items():
            path = f"{prefix}.{name}" if prefix else name
            yield path
            yield from member_paths(member, path, (*within, shape.name))
    elif shape.type_name == "list":
        yield from member_paths(shape.member, prefix + "[]", within)
    elif shape.type_name == "map":
        yield from member_paths(shape.value, prefix + "{}", within)


@pytest.fixture(scope="module")
def answers() -> dict[str, set[str]]:
    """The member paths each covered operation answered, over a tour of every operation."""
    emulator = Emulator.create()
    client = emulator.attach(make_client())
    seen: dict[str, set[str]] = {op: set() for op in spec.OPERATIONS}

    def collect(model: Any, parsed: dict[str, Any], **_: Any) -> None:
        seen[model.name].update(_paths(model, parsed))

    client.meta.events.register("after-call.connect", collect)
    try:
        _tour(client)
    finally:
        emulator.backend.store.close()
    return seen


def _paths(model: Any, parsed: dict[str, Any]) -> set[str]:
    """``parsed``'s member paths, walking maps as the model says (a map's keys are data, not members)."""
    found: set[str] = set()

    def walk(shape: Any, value: Any, prefix: str) -> None:
        if shape is None or value is None:
            return
        if shape.type_name == "structure" and isinstance(value, dict):
            for name, member in shape.members.items():
                if name in value:
                    path = f"{prefix}.{name}" if prefix else name
                    found.add(path)
                    walk(member, value[name], path)
        elif shape.type_name == "list" and isinstance(value, list):
            for item in value:
                walk(shape.member, item, prefix + "[]")
        elif shape.type_name == "map" and isinstance(value, dict):
            for item in value.values():
                walk(shape.value, item, prefix + "{}")

    walk(model.output_shape, parsed, "")
    return found


MESSAGE = {"MessageSourceType": "RAW", "RawMessage": {"Subject": "Hi", "Body": "Hello", "ContentType": "text/plain"}}


def _segment_attributes() -> dict[str, Any]:
    """One segment attribute of each value kind the model in use has (older models lack some)."""
    kinds = {
        "ValueString": "connect:Guide",
        "ValueInteger": 135,
        "ValueMap": {"ExpiryDuration": {"ValueInteger": 135}},
        "ValueList": [{"ValueString": "a"}],
        "ValueArn": "arn:aws:connect:us-east-1:123456789012:instance/answers",
    }
    members = spec.service_model().shape_for("SegmentAttributeValue").members
    return {f"custom_{kind}": {kind: value} for kind, value in kinds.items() if kind in members}


def _tour(client: Any) -> None:
    """Every covered operation, with every optional member the emulator stores set."""
    instance = client.create_instance(
        IdentityManagementType="CONNECT_MANAGED",
        InstanceAlias="answers-tour",
        InboundCallsEnabled=True,
        OutboundCallsEnabled=True,
        Tags={"team": "mail"},
    )["Id"]
    client.create_instance(
        IdentityManagementType="CONNECT_MANAGED", InboundCallsEnabled=True, OutboundCallsEnabled=True
    )
    client.describe_instance(InstanceId=instance)
    client.list_instances(MaxResults=1)
    primary = client.create_email_address(
        InstanceId=instance,
        EmailAddress="support@example.com",
        DisplayName="Support",
        Description="first line",
        Tags={"team": "mail"},
    )["EmailAddressId"]
    alias = client.create_email_address(InstanceId=instance, EmailAddress="help@example.com")["EmailAddressId"]
    client.update_email_address_metadata(InstanceId=instance, EmailAddressId=primary, Description="second line")
    client.associate_email_address_alias(
        InstanceId=instance, EmailAddressId=primary, AliasConfiguration={"EmailAddressId": alias}
    )
    client.describe_email_address(InstanceId=instance, EmailAddressId=primary)
    client.search_email_addresses(InstanceId=instance, MaxResults=1)
    arn = client.describe_email_address(InstanceId=instance, EmailAddressId=primary)["EmailAddressArn"]
    client.tag_resource(resourceArn=arn, tags={"tier": "gold"})
    client.untag_resource(resourceArn=arn, tagKeys=["tier"])
    client.list_tags_for_resource(resourceArn=arn)
    client.disassociate_email_address_alias(
        InstanceId=instance, EmailAddressId=primary, AliasConfiguration={"EmailAddressId": alias}
    )
    week = [{"Day": "MONDAY", "StartTime": {"Hours": 8, "Minutes": 0}, "EndTime": {"Hours": 17, "Minutes": 0}}]
    base_hours = client.create_hours_of_operation(InstanceId=instance, Name="Base", TimeZone="UTC", Config=week)[
        "HoursOfOperationId"
    ]
    hours = client.create_hours_of_operation(
        InstanceId=instance,
        Name="Office",
        Description="weekdays",
        TimeZone="UTC",
        Config=week,
        ParentHoursOfOperationConfigs=[{"HoursOfOperationId": base_hours}],
        Tags={"team": "mail"},
    )["HoursOfOperationId"]
    client.describe_hours_of_operation(InstanceId=instance, HoursOfOperationId=hours)
    queue = client.create_queue(
        InstanceId=instance,
        Name="Support",
        Description="first line",
        HoursOfOperationId=hours,
        MaxContacts=10,
        OutboundCallerConfig={
            "OutboundCallerIdName": "Support",
            "OutboundCallerIdNumberId": "00000000-0000-4000-8000-00000000ca11",
            "OutboundFlowId": "00000000-0000-4000-8000-00000000f10a",
        },
        OutboundEmailConfig={"OutboundEmailAddressId": primary},
        EmailAddressesConfig=[{"EmailAddressId": alias}],
        Tags={"team": "mail"},
    )["QueueId"]
    client.describe_queue(InstanceId=instance, QueueId=queue)
    flow_content = '{"Version": "2019-10-30", "StartAction": "e", "Actions": [{"Identifier": "e", "Type": "End"}]}'
    flow = client.create_contact_flow(
        InstanceId=instance,
        Name="Inbound",
        Type="CONTACT_FLOW",
        Description="routes mail",
        Content=flow_content,
        Status="PUBLISHED",
        Tags={"team": "mail"},
    )
    client.describe_contact_flow(InstanceId=instance, ContactFlowId=flow["ContactFlowId"])
    primary_arn = client.describe_email_address(InstanceId=instance, EmailAddressId=primary)["EmailAddressArn"]
    for kind in ("INBOUND_EMAIL", "OUTBOUND_EMAIL"):
        client.associate_flow(
            InstanceId=instance, ResourceId=primary_arn, FlowId=flow["ContactFlowArn"], ResourceType=kind
        )
    client.get_flow_association(InstanceId=instance, ResourceId=primary_arn, ResourceType="INBOUND_EMAIL")
    client.list_flow_associations(InstanceId=instance, MaxResults=1)
    client.batch_get_flow_association(InstanceId=instance, ResourceIds=[primary_arn])
    client.disassociate_flow(InstanceId=instance, ResourceId=primary_arn, ResourceType="OUTBOUND_EMAIL")
    client.create_queue(InstanceId=instance, Name="Sales", HoursOfOperationId=hours)
    client.list_queues(InstanceId=instance, MaxResults=1)
    client.search_queues(InstanceId=instance, MaxResults=1)
    client.associate_queue_email_addresses(
        InstanceId=instance, QueueId=queue, EmailAddressesConfig=[{"EmailAddressId": primary}]
    )
    client.update_queue_outbound_email_config(
        InstanceId=instance, QueueId=queue, OutboundEmailConfig={"OutboundEmailAddressId": alias}
    )
    client.list_queue_email_addresses(InstanceId=instance, QueueId=queue, MaxResults=1)
    client.disassociate_queue_email_addresses(InstanceId=instance, QueueId=queue, EmailAddressesId=[primary])
    inbound = client.start_email_contact(
        InstanceId=instance,
        FromEmailAddress={"EmailAddress": "customer@example.net", "DisplayName": "Customer"},
        DestinationEmailAddress="support@example.com",
        Name="inbound",
        Description="an inbound email",
        EmailMessage=MESSAGE,
        AdditionalRecipients={
            "ToAddresses": [{"EmailAddress": "to@example.net", "DisplayName": "To"}],
            "CcAddresses": [{"EmailAddress": "cc@example.net", "DisplayName": "Cc"}],
        },
        Attributes={"order": "4711"},
        SegmentAttributes=_segment_attributes(),
    )["ContactId"]
    client.describe_contact(InstanceId=instance, ContactId=inbound)
    client.get_contact_attributes(InstanceId=instance, InitialContactId=inbound)
    client.update_contact(
        InstanceId=instance,
        ContactId=inbound,
        Name="inbound, updated",
        References={
            kind.lower(): {"Value": "https://example.com/r" if kind == "URL" else "1", "Type": kind}
            for kind in ("URL", "NUMBER", "STRING", "DATE", "EMAIL")
        }
        | {"file": {"Value": "f", "Type": "ATTACHMENT", "Status": "APPROVED", "Arn": f"{primary_arn}/file"}},
    )
    every_type = ["URL", "NUMBER", "STRING", "DATE", "EMAIL", "ATTACHMENT"]
    client.list_contact_references(InstanceId=instance, ContactId=inbound, ReferenceTypes=every_type)
    client.list_contact_references(InstanceId=instance, ContactId=inbound, ReferenceTypes=["EMAIL_MESSAGE"])
    moved = client.transfer_contact(
        InstanceId=instance, ContactId=inbound, QueueId=queue, ContactFlowId=flow["ContactFlowId"]
    )["ContactId"]
    client.stop_contact(InstanceId=instance, ContactId=moved, DisconnectReason={"Code": "AGENT_DISCONNECT"})
    client.delete_contact_data(
        InstanceId=instance, ContactId=moved, ContactFields=["CUSTOMER_ENDPOINT", "EMAIL_SUBJECT"]
    )
    client.describe_contact(InstanceId=instance, ContactId=moved)
    client.list_associated_contacts(InstanceId=instance, ContactId=inbound, MaxResults=1)
    contact_arn = client.describe_contact(InstanceId=instance, ContactId=inbound)["Contact"]["Arn"]
    files = {"InstanceId": instance, "AssociatedResourceArn": contact_arn}
    started = client.start_attached_file_upload(
        **files,
        FileName="a.txt",
        FileSizeInBytes=3,
        FileUseCaseType="ATTACHMENT",
        UrlExpiryInSeconds=60,
        CreatedBy={"ConnectUserArn": f"{contact_arn.split('/contact/')[0]}/agent/00000000-0000-4000-8000-0000000a6e17"},
        Tags={"team": "mail"},
        ClientToken="tour-upload",
    )
    by_role = client.start_attached_file_upload(
        **files,
        FileName="b.txt",
        FileSizeInBytes=3,
        FileUseCaseType="ATTACHMENT",
        CreatedBy={"AWSIdentityArn": "arn:aws:iam::123456789012:role/uploader"},
    )
    client.get_attached_file(**files, FileId=by_role["FileId"])
    client.batch_get_attached_file_metadata(**files, FileIds=[by_role["FileId"]])
    client.complete_attached_file_upload(**files, FileId=started["FileId"])
    client.get_attached_file(**files, FileId=started["FileId"], UrlExpiryInSeconds=60)
    client.batch_get_attached_file_metadata(
        **files, FileIds=[started["FileId"], "00000000-0000-4000-8000-00000000dead"]
    )
    client.delete_attached_file(**files, FileId=started["FileId"])
    reply = client.create_contact(
        InstanceId=instance,
        Channel="EMAIL",
        InitiationMethod="AGENT_REPLY",
        UserInfo={"UserId": "agent-1"},
        RelatedContactId=inbound,
        PreviousContactId=inbound,
        Name="reply",
        Description="the agent's reply",
        Attributes={"order": "4711"},
    )["ContactId"]
    client.update_outbound_email_contact_message(
        InstanceId=instance,
        ContactId=reply,
        EmailMessage={"MessageSourceType": "RAW", "RawMessage": {"Body": "Thanks", "ContentType": "text/plain"}},
    )
    client.describe_contact(InstanceId=instance, ContactId=reply)
    client.list_associated_contacts(InstanceId=instance, ContactId=reply)
    client.start_outbound_email_contact(
        InstanceId=instance,
        ContactId=reply,
        FromEmailAddress={"EmailAddress": "support@example.com"},
        DestinationEmailAddress={"EmailAddress": "customer@example.net"},
        EmailMessage=MESSAGE,
    )
    client.send_outbound_email(
        InstanceId=instance,
        FromEmailAddress={"EmailAddress": "support@example.com"},
        DestinationEmailAddress={"EmailAddress": "customer@example.net"},
        EmailMessage=MESSAGE,
        TrafficType="CAMPAIGN",
        SourceCampaign={"CampaignId": "spring", "OutboundRequestId": "8c1f4c4e-5b7a-4f53-9d3c-2f0e8a6b1d2c"},
    )
    client.delete_email_address(InstanceId=instance, EmailAddressId=alias)
    client.delete_instance(InstanceId=instance)


def _covered(operation: str, path: str) -> bool:
    """Whether ``path`` is listed as missing on purpose, itself or through a member above it."""
    parts = path
    while parts:
        if (operation, parts) in MISSING_ON_PURPOSE:
            return True
        cut = max(parts.rfind("."), parts.rfind("[]"), parts.rfind("{}"))
        parts = parts[:cut] if cut > 0 else ""
    return False


@pytest.mark.parametrize("operation", spec.OPERATIONS)
def test_every_modelled_member_is_answered_or_missing_on_purpose(operation: str, answers: dict[str, set[str]]) -> None:
    model = spec.service_model().operation_model(operation)
    modelled = set(member_paths(model.output_shape))
    missing = sorted(p for p in modelled - answers[operation] if not _covered(operation, p))
    assert not missing, f"{operation} never answers {missing}: answer them, or list them in MISSING_ON_PURPOSE"


def test_missing_on_purpose_is_not_stale(answers: dict[str, set[str]]) -> None:
    stale = sorted(key for key in MISSING_ON_PURPOSE if key[1] in answers[key[0]])
    unknown = sorted(
        key
        for key in MISSING_ON_PURPOSE
        if key[1] not in set(member_paths(spec.service_model().operation_model(key[0]).output_shape))
    )
    assert not stale, f"answered, yet listed as missing on purpose: {stale}"
    assert not unknown, f"not members of the model's output shape: {unknown}"
