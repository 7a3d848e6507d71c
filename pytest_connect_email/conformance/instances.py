"""Conformance checks of instances: their lifecycle, their listing, and the scoping of every id to the
instance it belongs to (what becomes of an instance's addresses and contacts when it is deleted).

These checks create instances of their own. Against a live endpoint that needs the account listed in
``--connect-record-accounts``, as every instance the plugin creates does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pytest_connect_email.conformance import check
from pytest_connect_email.conformance.support import answer_code, start

NOT_FOUND = (404, "ResourceNotFoundException")
MISSING_INSTANCE = "00000000-0000-4000-8000-00000000beef"


def listed_ids(client: Any, page_size: int | None = None) -> list[str]:
    """Every instance id ListInstances answers, over all pages (at most 100 pages)."""
    found: list[str] = []
    params: dict[str, Any] = {} if page_size is None else {"MaxResults": page_size}
    for _ in range(100):
        page = client.list_instances(**params)
        found.extend(str(item["Id"]) for item in page.get("InstanceSummaryList", []))
        if not page.get("NextToken"):
            return found
        params["NextToken"] = page["NextToken"]
    raise AssertionError("ListInstances kept answering a NextToken after 100 pages")


@check(
    "INST-001",
    "DescribeInstance",
    "Returns the current state of the specified instance identifier. AWS API convention: what is created can be "
    "described, with the values it was created with.",
)
def test_created_instance_reads_back(connect_client: Any, make_instance: Callable[[], dict[str, Any]]) -> None:
    """DescribeInstance shows the created instance's id, ARN, alias, identity management and call settings."""
    made = make_instance()
    shown = connect_client.describe_instance(InstanceId=made["Id"])["Instance"]
    assert (shown["Id"], shown["Arn"]) == (made["Id"], made["Arn"])
    assert shown.get("InstanceAlias") == made["InstanceAlias"]
    assert shown.get("IdentityManagementType") == "CONNECT_MANAGED"
    assert (shown.get("InboundCallsEnabled"), shown.get("OutboundCallsEnabled")) == (True, False)
    assert shown.get("InstanceStatus") in ("CREATION_IN_PROGRESS", "ACTIVE")


@check(
    "INST-002",
    "ListInstances",
    "Return a list of instances which are in active state, creation-in-progress state, and failed state. AWS API "
    "convention: pagination honours MaxResults and NextToken and returns every item exactly once.",
)
def test_list_pages(connect_client: Any, make_instance: Callable[[], dict[str, Any]]) -> None:
    """Pages of one instance list every created instance exactly once."""
    made = [make_instance()["Id"] for _ in range(3)]
    first = connect_client.list_instances(MaxResults=1)
    assert len(first["InstanceSummaryList"]) <= 1
    seen = listed_ids(connect_client, page_size=1)
    for instance_id in made:
        assert seen.count(instance_id) == 1, f"{instance_id} listed {seen.count(instance_id)} times"
    assert len(seen) == len(set(seen)), "an instance was listed on two pages"


@check(
    "INST-003",
    "DeleteInstance",
    "Deletes the Amazon Connect instance. AWS API convention: what is deleted is gone, from reads and from listings.",
)
def test_deleted_instance_is_gone(connect_client: Any, make_instance: Callable[[], dict[str, Any]]) -> None:
    """After DeleteInstance the instance is not found and no longer listed (or listed as no longer active)."""
    made = make_instance()
    answer = connect_client.delete_instance(InstanceId=made["Id"])
    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert answer_code(lambda: connect_client.describe_instance(InstanceId=made["Id"])) == NOT_FOUND
    assert made["Id"] not in listed_ids(connect_client)


@check("INST-004", "DeleteInstance", "model: ResourceNotFoundException (404) — The specified resource was not found.")
def test_delete_a_missing_instance(connect_client: Any) -> None:
    """Deleting an instance that does not exist is not found."""
    assert answer_code(lambda: connect_client.delete_instance(InstanceId=MISSING_INSTANCE)) == NOT_FOUND


@check("INST-005", "DescribeInstance", "model: ResourceNotFoundException (404) — The specified resource was not found.")
def test_describe_a_missing_instance(connect_client: Any) -> None:
    """Describing an instance that does not exist is not found."""
    assert answer_code(lambda: connect_client.describe_instance(InstanceId=MISSING_INSTANCE)) == NOT_FOUND


@check(
    "INST-006",
    "CreateInstance",
    "Initiates an Amazon Connect instance with all the supported channels enabled. AWS API convention: each create "
    "makes a new resource with an id of its own.",
)
def test_each_create_is_a_new_instance(connect_client: Any, make_instance: Callable[[], dict[str, Any]]) -> None:
    """Two CreateInstance calls make two instances with distinct ids and ARNs, both described."""
    first, second = make_instance(), make_instance()
    assert first["Id"] != second["Id"]
    assert first["Arn"] != second["Arn"]
    for made in (first, second):
        assert connect_client.describe_instance(InstanceId=made["Id"])["Instance"]["Id"] == made["Id"]


@check(
    "SCOPE-001",
    "DescribeEmailAddress",
    "AWS API convention: ids of one instance are not found under another.",
)
def test_address_ids_belong_to_their_instance(
    connect_client: Any, connect_settings: Any, make_instance: Callable[[], dict[str, Any]], unique: Callable[[], str]
) -> None:
    """An address of one instance is not found when named under another, by any operation that takes its id."""
    home, elsewhere = make_instance()["Id"], make_instance()["Id"]
    made = connect_client.create_email_address(
        InstanceId=home, EmailAddress=f"ce-{unique()}@{connect_settings.email_domain}"
    )
    other = connect_client.create_email_address(
        InstanceId=elsewhere, EmailAddress=f"ce-{unique()}@{connect_settings.email_domain}"
    )
    address_id = made["EmailAddressId"]
    calls: dict[str, Callable[[], Any]] = {
        "DescribeEmailAddress": lambda: connect_client.describe_email_address(
            InstanceId=elsewhere, EmailAddressId=address_id
        ),
        "UpdateEmailAddressMetadata": lambda: connect_client.update_email_address_metadata(
            InstanceId=elsewhere, EmailAddressId=address_id, DisplayName="x"
        ),
        "DeleteEmailAddress": lambda: connect_client.delete_email_address(
            InstanceId=elsewhere, EmailAddressId=address_id
        ),
        "AssociateEmailAddressAlias": lambda: connect_client.associate_email_address_alias(
            InstanceId=elsewhere,
            EmailAddressId=other["EmailAddressId"],
            AliasConfiguration={"EmailAddressId": address_id},
        ),
    }
    answers = {operation: answer_code(call) for operation, call in calls.items()}
    assert answers == dict.fromkeys(calls, NOT_FOUND)
    found = connect_client.search_email_addresses(InstanceId=elsewhere)["EmailAddresses"]
    assert address_id not in [a["EmailAddressId"] for a in found]
    assert connect_client.describe_email_address(InstanceId=home, EmailAddressId=address_id)["EmailAddressId"] == (
        address_id
    )


@check(
    "SCOPE-002",
    "DescribeContact",
    "AWS API convention: ids of one instance are not found under another.",
)
def test_contact_ids_belong_to_their_instance(
    connect_client: Any, connect_settings: Any, make_instance: Callable[[], dict[str, Any]], unique: Callable[[], str]
) -> None:
    """A contact of one instance is not found by DescribeContact or GetContactAttributes under another."""
    home, elsewhere = make_instance()["Id"], make_instance()["Id"]
    address = f"ce-{unique()}@{connect_settings.email_domain}"
    connect_client.create_email_address(InstanceId=home, EmailAddress=address)
    contact_id = start(connect_client, home, address, Attributes={"k": "v"})
    assert answer_code(lambda: connect_client.describe_contact(InstanceId=elsewhere, ContactId=contact_id)) == (
        NOT_FOUND
    )
    assert (
        answer_code(lambda: connect_client.get_contact_attributes(InstanceId=elsewhere, InitialContactId=contact_id))
        == NOT_FOUND
    )


@check(
    "SCOPE-003",
    "DeleteInstance",
    "Deletes the Amazon Connect instance. AWS API convention: what is deleted is gone from everything that referred "
    "to it.",
)
def test_deleting_an_instance_deletes_its_addresses(
    connect_client: Any, connect_settings: Any, make_instance: Callable[[], dict[str, Any]], unique: Callable[[], str]
) -> None:
    """After DeleteInstance the instance's addresses and contacts are not found."""
    made = make_instance()["Id"]
    address = f"ce-{unique()}@{connect_settings.email_domain}"
    address_id = connect_client.create_email_address(InstanceId=made, EmailAddress=address)["EmailAddressId"]
    contact_id = start(connect_client, made, address)
    connect_client.delete_instance(InstanceId=made)
    assert (
        answer_code(lambda: connect_client.describe_email_address(InstanceId=made, EmailAddressId=address_id))
        == NOT_FOUND
    )
    assert answer_code(lambda: connect_client.describe_contact(InstanceId=made, ContactId=contact_id)) == NOT_FOUND


@check(
    "SCOPE-004",
    "DeleteInstance",
    "Deletes the Amazon Connect instance. AWS API convention: what is deleted is gone, also from what referred to "
    "it, through every read that could still show it (describe, list, search, batch get), ids read before included.",
)
def test_deleting_an_instance_deletes_its_wiring(
    connect_client: Any, connect_settings: Any, make_instance: Callable[[], dict[str, Any]], unique: Callable[[], str]
) -> None:
    """After DeleteInstance, its hours, queue, flow, the address's binding and tags, and a contact's file, all
    read before, are not found through any read."""
    from pytest_connect_email.conformance.flows import FLOW_CONTENT
    from pytest_connect_email.conformance.queues import OFFICE

    made = make_instance()["Id"]
    name = f"ce-{unique()[:10]}"
    address = connect_client.create_email_address(
        InstanceId=made, EmailAddress=f"{name}@{connect_settings.email_domain}", Tags={"team": "care"}
    )
    arn = address["EmailAddressArn"]
    hours = connect_client.create_hours_of_operation(InstanceId=made, Name=name, TimeZone="UTC", Config=OFFICE)[
        "HoursOfOperationId"
    ]
    queue = connect_client.create_queue(InstanceId=made, Name=name, HoursOfOperationId=hours)["QueueId"]
    flow = connect_client.create_contact_flow(InstanceId=made, Name=name, Type="CONTACT_FLOW", Content=FLOW_CONTENT)
    binding = {"InstanceId": made, "ResourceId": arn, "ResourceType": "INBOUND_EMAIL"}
    connect_client.associate_flow(**binding, FlowId=flow["ContactFlowArn"])
    contact_id = start(connect_client, made, f"{name}@{connect_settings.email_domain}")
    contact_arn = connect_client.describe_contact(InstanceId=made, ContactId=contact_id)["Contact"]["Arn"]
    files = {"InstanceId": made, "AssociatedResourceArn": contact_arn}
    file_id = connect_client.start_attached_file_upload(
        **files, FileName="a.txt", FileSizeInBytes=1, FileUseCaseType="ATTACHMENT"
    )["FileId"]
    reads: dict[str, Callable[[], Any]] = {
        "DescribeHoursOfOperation": lambda: connect_client.describe_hours_of_operation(
            InstanceId=made, HoursOfOperationId=hours
        ),
        "DescribeQueue": lambda: connect_client.describe_queue(InstanceId=made, QueueId=queue),
        "ListQueues": lambda: connect_client.list_queues(InstanceId=made),
        "SearchQueues": lambda: connect_client.search_queues(InstanceId=made),
        "DescribeContactFlow": lambda: connect_client.describe_contact_flow(
            InstanceId=made, ContactFlowId=flow["ContactFlowId"]
        ),
        "GetFlowAssociation": lambda: connect_client.get_flow_association(**binding),
        "ListFlowAssociations": lambda: connect_client.list_flow_associations(InstanceId=made),
        "BatchGetFlowAssociation": lambda: connect_client.batch_get_flow_association(
            InstanceId=made, ResourceIds=[arn]
        ),
        "ListTagsForResource": lambda: connect_client.list_tags_for_resource(resourceArn=arn),
        "GetAttachedFile": lambda: connect_client.get_attached_file(**files, FileId=file_id),
        "ListAssociatedContacts": lambda: connect_client.list_associated_contacts(
            InstanceId=made, ContactId=contact_id
        ),
    }
    for read in reads.values():
        read()  # each read succeeds before the deletion
    connect_client.delete_instance(InstanceId=made)
    after = {operation: answer_code(read) for operation, read in reads.items()}
    assert {op: found for op, found in after.items() if found != NOT_FOUND} == {}
