"""Every covered operation through an unmodified boto3 client, on both transports."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from pytest_connect_email.contracts import spec, validator

NewAddress = Callable[[str], str]


def call(client: Any, operation: str, **params: Any) -> dict[str, Any]:
    """Call through boto3 and hold the answer to the strict response contract."""
    result: dict[str, Any] = getattr(client, spec.snake_name(operation))(**params)
    validator.validate_response(operation, result, strict=True)
    return result


def error_code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"]["Code"])


MESSAGE = {"MessageSourceType": "RAW", "RawMessage": {"Subject": "Grüße", "Body": "Hallo", "ContentType": "text/plain"}}


def test_every_operation_works(client: Any, instance_id: str, new_address: NewAddress) -> None:
    seen: set[str] = set()

    def run(operation: str, **params: Any) -> dict[str, Any]:
        seen.add(operation)
        return call(client, operation, **params)

    iid = instance_id
    described = run("DescribeInstance", InstanceId=iid)["Instance"]
    assert described["Id"] == iid
    assert described["InstanceStatus"] == "ACTIVE"
    assert iid in [i["Id"] for i in run("ListInstances")["InstanceSummaryList"]]

    created = run("CreateEmailAddress", InstanceId=iid, EmailAddress="support@example.com", DisplayName="Støtte")
    primary = created["EmailAddressId"]
    assert created["EmailAddressArn"].endswith(f"/email-address/{primary}")
    alias = new_address("help@example.com")
    run("UpdateEmailAddressMetadata", InstanceId=iid, EmailAddressId=primary, Description="Första linjen")
    shown = run("DescribeEmailAddress", InstanceId=iid, EmailAddressId=primary)
    assert (shown["EmailAddress"], shown["DisplayName"], shown["Description"]) == (
        "support@example.com",
        "Støtte",
        "Första linjen",
    )

    run(
        "AssociateEmailAddressAlias",
        InstanceId=iid,
        EmailAddressId=primary,
        AliasConfiguration={"EmailAddressId": alias},
    )
    found = run(
        "SearchEmailAddresses",
        InstanceId=iid,
        SearchCriteria={
            "StringCondition": {"FieldName": "EmailAddress", "Value": "support", "ComparisonType": "STARTS_WITH"}
        },
    )
    assert [a["EmailAddressId"] for a in found["EmailAddresses"]] == [primary]
    assert found["EmailAddresses"][0]["AliasConfigurations"] == [{"EmailAddressId": alias}]

    arn = created["EmailAddressArn"]
    run("TagResource", resourceArn=arn, tags={"team": "care", "tier": "gold"})
    run("UntagResource", resourceArn=arn, tagKeys=["tier", "never-set"])
    assert run("ListTagsForResource", resourceArn=arn)["tags"] == {"team": "care"}
    assert run("DescribeEmailAddress", InstanceId=iid, EmailAddressId=primary)["Tags"] == {"team": "care"}
    team = {"TagFilter": {"TagCondition": {"TagKey": "team"}}}
    tagged = run("SearchEmailAddresses", InstanceId=iid, SearchFilter=team)
    assert [a["EmailAddressId"] for a in tagged["EmailAddresses"]] == [primary]
    result = run(
        "DisassociateEmailAddressAlias",
        InstanceId=iid,
        EmailAddressId=primary,
        AliasConfiguration={"EmailAddressId": alias},
    )
    assert {k: v for k, v in result.items() if k != "ResponseMetadata"} == {}

    week = [{"Day": "MONDAY", "StartTime": {"Hours": 8, "Minutes": 0}, "EndTime": {"Hours": 17, "Minutes": 0}}]
    hours = run("CreateHoursOfOperation", InstanceId=iid, Name="Office", TimeZone="Europe/Oslo", Config=week)
    shown_hours = run("DescribeHoursOfOperation", InstanceId=iid, HoursOfOperationId=hours["HoursOfOperationId"])
    assert (shown_hours["HoursOfOperation"]["Name"], shown_hours["HoursOfOperation"]["Config"]) == ("Office", week)
    made_queue = run("CreateQueue", InstanceId=iid, Name="Support", HoursOfOperationId=hours["HoursOfOperationId"])
    q1 = made_queue["QueueId"]
    assert made_queue["QueueArn"].endswith(f"/queue/{q1}")
    assert run("DescribeQueue", InstanceId=iid, QueueId=q1)["Queue"]["Name"] == "Support"
    assert [q["Id"] for q in run("ListQueues", InstanceId=iid)["QueueSummaryList"]] == [q1]
    named = {"StringCondition": {"FieldName": "name", "Value": "supp", "ComparisonType": "STARTS_WITH"}}
    assert [q["QueueId"] for q in run("SearchQueues", InstanceId=iid, SearchCriteria=named)["Queues"]] == [q1]
    content = '{"Version": "2019-10-30", "StartAction": "e", "Actions": [{"Identifier": "e", "Type": "End"}]}'
    flow = run("CreateContactFlow", InstanceId=iid, Name="Inbound", Type="CONTACT_FLOW", Content=content)
    described_flow = run("DescribeContactFlow", InstanceId=iid, ContactFlowId=flow["ContactFlowId"])["ContactFlow"]
    assert (described_flow["Name"], described_flow["Content"]) == ("Inbound", content)
    binding = {"InstanceId": iid, "ResourceId": created["EmailAddressArn"], "ResourceType": "INBOUND_EMAIL"}
    run("AssociateFlow", **binding, FlowId=flow["ContactFlowArn"])
    assert run("GetFlowAssociation", **binding)["FlowId"] == flow["ContactFlowArn"]
    associations = run("ListFlowAssociations", InstanceId=iid)["FlowAssociationSummaryList"]
    assert [a["ResourceId"] for a in associations] == [created["EmailAddressArn"]]
    batch = run("BatchGetFlowAssociation", InstanceId=iid, ResourceIds=[created["EmailAddressArn"]])
    assert [a["ResourceType"] for a in batch["FlowAssociationSummaryList"]] == ["INBOUND_EMAIL"]
    run("DisassociateFlow", **binding)
    assert run("ListFlowAssociations", InstanceId=iid)["FlowAssociationSummaryList"] == []
    run("AssociateQueueEmailAddresses", InstanceId=iid, QueueId=q1, EmailAddressesConfig=[{"EmailAddressId": primary}])
    run(
        "UpdateQueueOutboundEmailConfig",
        InstanceId=iid,
        QueueId=q1,
        OutboundEmailConfig={"OutboundEmailAddressId": primary},
    )
    listed = run("ListQueueEmailAddresses", InstanceId=iid, QueueId=q1)["EmailAddressMetadataList"]
    assert listed == [{"Id": primary, "Arn": created["EmailAddressArn"], "IsDefaultOutboundEmail": True}]
    run("DisassociateQueueEmailAddresses", InstanceId=iid, QueueId=q1, EmailAddressesId=[primary])
    # The default outbound address stays listed until the queue's outbound config changes.
    assert run("ListQueueEmailAddresses", InstanceId=iid, QueueId=q1)["EmailAddressMetadataList"] == listed
    run("UpdateQueueOutboundEmailConfig", InstanceId=iid, QueueId=q1, OutboundEmailConfig={})
    assert run("ListQueueEmailAddresses", InstanceId=iid, QueueId=q1)["EmailAddressMetadataList"] == []

    contact = run(
        "StartEmailContact",
        InstanceId=iid,
        FromEmailAddress={"EmailAddress": "kunde@example.net", "DisplayName": "Kunde"},
        DestinationEmailAddress="support@example.com",
        EmailMessage=MESSAGE,
        Attributes={"order": "4711"},
        SegmentAttributes={"connect:ContactExpiry": {"ValueMap": {"ExpiryDuration": {"ValueInteger": 135}}}},
    )["ContactId"]
    run(
        "UpdateContact",
        InstanceId=iid,
        ContactId=contact,
        Name="Bestellung",
        References={"t": {"Value": "1", "Type": "NUMBER"}},
    )
    refs = run("ListContactReferences", InstanceId=iid, ContactId=contact, ReferenceTypes=["NUMBER", "EMAIL_MESSAGE"])
    assert [sorted(r) for r in refs["ReferenceSummaryList"]] == [["Number"], ["EmailMessage"]]
    details = run("DescribeContact", InstanceId=iid, ContactId=contact)["Contact"]
    assert details["Name"] == "Bestellung"
    files = {"InstanceId": iid, "AssociatedResourceArn": details["Arn"]}
    started = run("StartAttachedFileUpload", **files, FileName="a.txt", FileSizeInBytes=3, FileUseCaseType="ATTACHMENT")
    run("CompleteAttachedFileUpload", **files, FileId=started["FileId"])
    assert run("GetAttachedFile", **files, FileId=started["FileId"])["FileStatus"] == "APPROVED"
    batch_files = run("BatchGetAttachedFileMetadata", **files, FileIds=[started["FileId"]])["Files"]
    assert [f["FileName"] for f in batch_files] == ["a.txt"]
    run("DeleteAttachedFile", **files, FileId=started["FileId"])
    assert (details["Channel"], details["InitiationMethod"]) == ("EMAIL", "INBOUND")
    assert details["SegmentAttributes"]["connect:ContactExpiry"]["ValueMap"]["ExpiryDuration"]["ValueInteger"] == 135
    assert run("GetContactAttributes", InstanceId=iid, InitialContactId=contact)["Attributes"] == {"order": "4711"}

    outbound = {
        "MessageSourceType": "RAW",
        "RawMessage": {"Subject": "Re: Grüße", "Body": "Danke", "ContentType": "text/plain"},
    }
    sender = {"EmailAddress": "support@example.com"}
    run(
        "SendOutboundEmail",
        InstanceId=iid,
        FromEmailAddress=sender,
        DestinationEmailAddress={"EmailAddress": "kunde@example.net"},
        EmailMessage=outbound,
        TrafficType="CAMPAIGN",
        SourceCampaign={"CampaignId": "spring", "OutboundRequestId": "8c1f4c4e-5b7a-4f53-9d3c-2f0e8a6b1d2c"},
    )
    reply = run(
        "CreateContact",
        InstanceId=iid,
        Channel="EMAIL",
        InitiationMethod="AGENT_REPLY",
        UserInfo={"UserId": "agent-1"},
        RelatedContactId=contact,
    )["ContactId"]
    update = {"MessageSourceType": "RAW", "RawMessage": {"Body": "Danke!", "ContentType": "text/plain"}}
    run("UpdateOutboundEmailContactMessage", InstanceId=iid, ContactId=reply, EmailMessage=update)
    assert (
        run(
            "StartOutboundEmailContact",
            InstanceId=iid,
            ContactId=reply,
            DestinationEmailAddress={"EmailAddress": "kunde@example.net"},
            EmailMessage=outbound,
        )["ContactId"]
        == reply
    )
    moved = run("TransferContact", InstanceId=iid, ContactId=reply, QueueId=q1, ContactFlowId=flow["ContactFlowId"])
    tree = run("ListAssociatedContacts", InstanceId=iid, ContactId=contact)["ContactSummaryList"]
    assert [c["ContactId"] for c in tree] == [contact, reply, moved["ContactId"]]
    run("StopContact", InstanceId=iid, ContactId=moved["ContactId"])
    assert "DisconnectTimestamp" in run("DescribeContact", InstanceId=iid, ContactId=moved["ContactId"])["Contact"]
    run("DeleteContactData", InstanceId=iid, ContactId=moved["ContactId"], ContactFields=["CUSTOMER_ENDPOINT"])
    assert "CustomerEndpoint" not in run("DescribeContact", InstanceId=iid, ContactId=moved["ContactId"])["Contact"]

    run("DeleteEmailAddress", InstanceId=iid, EmailAddressId=alias)
    run("DeleteInstance", InstanceId=iid)
    with pytest.raises(ClientError) as info:
        client.describe_instance(InstanceId=iid)
    assert error_code(info) == "ResourceNotFoundException"
    assert seen | {"CreateInstance"} == set(spec.OPERATIONS)  # CreateInstance: the instance_id fixture


def test_errors_follow_the_model(client: Any, instance_id: str) -> None:
    with pytest.raises(ClientError) as info:
        client.describe_email_address(InstanceId=instance_id, EmailAddressId="missing")
    assert error_code(info) == "ResourceNotFoundException"
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert "missing" in info.value.response["Error"]["Message"]


def test_contract_violation_answers_the_documented_error_naming_the_field(client: Any, instance_id: str) -> None:
    with pytest.raises(ClientError) as info:
        client.start_email_contact(
            InstanceId=instance_id,
            FromEmailAddress={"EmailAddress": "a@example.com"},
            DestinationEmailAddress="b@example.com",
            EmailMessage={
                "MessageSourceType": "RAW",
                "RawMessage": {"Subject": "s", "Body": "b", "ContentType": "text/csv"},
            },
        )
    assert error_code(info) == "InvalidRequestException"  # StartEmailContact models no InvalidParameterException
    assert "/EmailMessage/RawMessage/ContentType" in info.value.response["Error"]["Message"]
    assert "START-MSG-001" in info.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as info:
        client.describe_email_address(InstanceId=instance_id, EmailAddressId="x" * 501)
    assert error_code(info) == "InvalidParameterException"
    assert "/EmailAddressId" in info.value.response["Error"]["Message"]


def test_unsupported_operation_is_a_clear_error(client: Any, instance_id: str) -> None:
    with pytest.raises(ClientError) as info:
        client.describe_user(InstanceId=instance_id, UserId="u")
    assert error_code(info) == "UnknownOperationException"
    assert "not supported by the pytest-connect-email emulator" in info.value.response["Error"]["Message"]
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


@pytest.mark.parametrize("operation", [op for op in spec.OPERATIONS if op not in ("CreateInstance", "ListInstances")])
def test_an_unknown_instance_is_answered_with_an_error_the_operation_models(client: Any, operation: str) -> None:
    """Valid requests naming an instance that does not exist (or a resource of one) get an error code the
    operation's model lists: StartAttachedFileUpload models no ResourceNotFoundException, so its answer is
    InvalidRequestException, which a client maps to the modelled error instead of "not implemented"."""
    from faker import Faker

    from pytest_connect_email import fakes

    if not spec.available(operation):
        pytest.skip(f"{operation} is not in the installed model")
    fake = Faker()
    fake.add_provider(fakes.ConnectEmailProvider)
    fake.seed_instance(0)
    params = fake.connect_request(operation, fill="required")
    if "InstanceId" in params:
        params["InstanceId"] = "00000000-0000-4000-8000-00000000dead"
    with pytest.raises(ClientError) as info:
        call(client, operation, **params)
    assert 400 <= info.value.response["ResponseMetadata"]["HTTPStatusCode"] < 500
    assert error_code(info) in validator.error_codes(operation)
