"""Conformance checks of an email contact through its life: UpdateContact, StopContact, TransferContact,
ListAssociatedContacts (the thread RelatedContactId builds) and ListContactReferences.

Each check starts its own contacts on an address it creates; a transfer goes to a queue and flow the check
makes.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from pytest_connect_email.conformance import check
from pytest_connect_email.conformance.flows import new_flow
from pytest_connect_email.conformance.queues import new_hours
from pytest_connect_email.conformance.support import Address, answer_code, every_item, require_members, start

MISSING_ID = "00000000-0000-4000-8000-00000000c404"
NOT_FOUND = (404, "ResourceNotFoundException")


def contact(client: Any, instance_id: str, contact_id: str) -> dict[str, Any]:
    return dict(client.describe_contact(InstanceId=instance_id, ContactId=contact_id)["Contact"])


def cc_of(client: Any, instance_id: str, contact_id: str) -> list[str]:
    recipients = contact(client, instance_id, contact_id).get("AdditionalEmailRecipients") or {}
    return [item["Address"] for item in recipients.get("CcList", [])]


def references(client: Any, instance_id: str, contact_id: str, *kinds: str) -> list[dict[str, Any]]:
    """Every reference of the given types."""
    return every_item(
        client.list_contact_references,
        "ReferenceSummaryList",
        pages=20,
        InstanceId=instance_id,
        ContactId=contact_id,
        ReferenceTypes=list(kinds),
    )


def thread(client: Any, instance_id: str, contact_id: str, **extra: Any) -> list[dict[str, Any]]:
    """Every contact ListAssociatedContacts pages through."""
    return every_item(
        client.list_associated_contacts,
        "ContactSummaryList",
        pages=20,
        InstanceId=instance_id,
        ContactId=contact_id,
        **extra,
    )


def transfer_target(client: Any, instance_id: str, name: str) -> tuple[str, str]:
    """A queue and a transfer-to-queue flow of the instance, made for the check."""
    hours = new_hours(client, instance_id, name)["HoursOfOperationId"]
    queue = client.create_queue(InstanceId=instance_id, Name=name, HoursOfOperationId=hours)["QueueId"]
    flow = new_flow(client, instance_id, name, Type="QUEUE_TRANSFER")["ContactFlowId"]
    return str(queue), str(flow)


# -- UpdateContact ---------------------------------------------------------------------------------


@check(
    "LIFE-001",
    "UpdateContact",
    "Adds or updates user-defined contact information associated with the specified contact. AWS API convention: "
    "what is updated reads back updated.",
)
def test_an_updated_contact_reads_back(
    connect_client: Any, connect_instance_id: str, email_address: Callable[..., Address]
) -> None:
    """A new name and description are described; references are added to the ones the contact had."""
    made = start(
        connect_client,
        connect_instance_id,
        email_address().address,
        References={"ticket": {"Value": "https://example.com/t/1", "Type": "URL"}},
    )
    connect_client.update_contact(
        InstanceId=connect_instance_id,
        ContactId=made,
        Name="Bestellung 4711",
        Description="Rückfrage zur Lieferung",
        References={"order": {"Value": "4711", "Type": "NUMBER"}},
    )
    shown = contact(connect_client, connect_instance_id, made)
    assert (shown.get("Name"), shown.get("Description")) == ("Bestellung 4711", "Rückfrage zur Lieferung")
    found = references(connect_client, connect_instance_id, made, "URL", "NUMBER")
    assert sorted(found, key=str) == sorted(
        [
            {"Url": {"Name": "ticket", "Value": "https://example.com/t/1"}},
            {"Number": {"Name": "order", "Value": "4711"}},
        ],
        key=str,
    )


@check(
    "LIFE-002",
    "UpdateContact",
    "AdditionalRecipients: Use this field to update the CC email address recipients of a contact. An empty list "
    "clears the existing CC recipients.",
)
def test_cc_recipients_are_replaced_and_cleared(
    connect_client: Any, connect_instance_id: str, email_address: Callable[..., Address]
) -> None:
    """CC recipients set by UpdateContact replace the contact's; an empty list clears them."""
    require_members("UpdateContact", "AdditionalRecipients")
    made = start(
        connect_client,
        connect_instance_id,
        email_address().address,
        AdditionalRecipients={"CcAddresses": [{"EmailAddress": "first@example.org"}]},
    )
    assert cc_of(connect_client, connect_instance_id, made) == ["first@example.org"]
    update = functools.partial(connect_client.update_contact, InstanceId=connect_instance_id, ContactId=made)
    update(
        AdditionalRecipients={
            "CcEmailAddresses": [{"EmailAddress": "a@example.org"}, {"EmailAddress": "b@example.org"}]
        }
    )
    assert cc_of(connect_client, connect_instance_id, made) == ["a@example.org", "b@example.org"]
    update(AdditionalRecipients={"CcEmailAddresses": []})
    assert cc_of(connect_client, connect_instance_id, made) == []


@check(
    "LIFE-003",
    "UpdateContact",
    "At least one field to be updated must be present in the request. AWS API convention: what is unknown is "
    "ResourceNotFoundException (404).",
)
def test_an_update_needs_a_field_and_a_contact(
    connect_client: Any, connect_instance_id: str, email_address: Callable[..., Address]
) -> None:
    """An update naming no field is a 400; an update of a contact never made is 404."""
    made = start(connect_client, connect_instance_id, email_address().address)
    empty = functools.partial(connect_client.update_contact, InstanceId=connect_instance_id, ContactId=made)
    status, code = answer_code(empty)
    assert (status, code) in ((400, "InvalidRequestException"), (400, "InvalidParameterException")), (status, code)
    missing = functools.partial(
        connect_client.update_contact, InstanceId=connect_instance_id, ContactId=MISSING_ID, Name="x"
    )
    assert answer_code(missing) == NOT_FOUND


# -- StopContact -----------------------------------------------------------------------------------


@check(
    "LIFE-004",
    "StopContact",
    "Ends the specified contact. DisconnectReason: The reason a contact can be disconnected. AWS API convention: "
    "an ended contact stays describable, with when and why it ended; ending it again is refused.",
)
def test_a_stopped_contact_is_described_as_ended(
    connect_client: Any, connect_instance_id: str, email_address: Callable[..., Address]
) -> None:
    """After StopContact the contact has a DisconnectTimestamp and the reason's code; a second stop is a 4xx."""
    made = start(connect_client, connect_instance_id, email_address().address)
    assert "DisconnectTimestamp" not in contact(connect_client, connect_instance_id, made)
    connect_client.stop_contact(
        InstanceId=connect_instance_id, ContactId=made, DisconnectReason={"Code": "CUSTOMER_DISCONNECT"}
    )
    shown = contact(connect_client, connect_instance_id, made)
    assert shown.get("DisconnectTimestamp") is not None
    assert shown["DisconnectTimestamp"] >= shown["InitiationTimestamp"]
    assert shown.get("DisconnectReason") == "CUSTOMER_DISCONNECT"
    status, code = answer_code(
        functools.partial(connect_client.stop_contact, InstanceId=connect_instance_id, ContactId=made)
    )
    assert 400 <= status < 500
    assert code in ("ContactNotFoundException", "InvalidRequestException"), code


@check(
    "LIFE-005",
    "StopContact",
    "ContactNotFoundException: The contact with the specified ID does not exist. AWS API convention: what is "
    "unknown is never a success.",
)
def test_stopping_an_unknown_contact_is_refused(connect_client: Any, connect_instance_id: str) -> None:
    """StopContact of a contact never made is a not-found error."""
    status, code = answer_code(
        functools.partial(connect_client.stop_contact, InstanceId=connect_instance_id, ContactId=MISSING_ID)
    )
    assert (status, code) in (NOT_FOUND, (410, "ContactNotFoundException")), (status, code)


# -- TransferContact -------------------------------------------------------------------------------


@check(
    "LIFE-006",
    "TransferContact",
    "Transfers TASK or EMAIL contacts from one agent or queue to another agent or queue at any point after a "
    "contact is created. You can transfer a contact to another queue by providing the flow which orchestrates the "
    "contact to the destination queue.",
)
def test_a_transferred_contact_continues_in_the_queue(
    connect_client: Any, connect_instance_id: str, email_address: Callable[..., Address], unique: Callable[[], str]
) -> None:
    """The answer is a TRANSFER contact whose previous contact is the transferred one, queued in the queue; the
    transferred contact has ended."""
    queue, flow = transfer_target(connect_client, connect_instance_id, f"xfer-{unique()[:10]}")
    made = start(connect_client, connect_instance_id, email_address().address)
    answer = connect_client.transfer_contact(
        InstanceId=connect_instance_id, ContactId=made, QueueId=queue, ContactFlowId=flow
    )
    moved = contact(connect_client, connect_instance_id, answer["ContactId"])
    assert (moved["Id"], moved["Arn"]) == (answer["ContactId"], answer["ContactArn"])
    assert (moved["Channel"], moved["InitiationMethod"]) == ("EMAIL", "TRANSFER")
    assert (moved.get("PreviousContactId"), moved.get("InitialContactId")) == (made, made)
    assert (moved.get("QueueInfo") or {}).get("Id") == queue
    assert contact(connect_client, connect_instance_id, made).get("DisconnectTimestamp") is not None


@check(
    "LIFE-007",
    "TransferContact",
    "Do not use both QueueId and UserId in the same call. The TransferContact API can be called only on active "
    "contacts. AWS API convention: a reference to a resource that does not exist is ResourceNotFoundException.",
)
def test_a_transfer_is_refused_when_its_rules_are_broken(
    connect_client: Any, connect_instance_id: str, email_address: Callable[..., Address], unique: Callable[[], str]
) -> None:
    """Both QueueId and UserId, an ended contact: 400; an unknown flow or queue: 404."""
    queue, flow = transfer_target(connect_client, connect_instance_id, f"xfer-{unique()[:10]}")
    made = start(connect_client, connect_instance_id, email_address().address)
    transfer = functools.partial(connect_client.transfer_contact, InstanceId=connect_instance_id, ContactId=made)
    both = functools.partial(transfer, QueueId=queue, UserId="00000000-0000-4000-8000-0000000a6e17", ContactFlowId=flow)
    assert answer_code(both) == (400, "InvalidRequestException")
    assert answer_code(functools.partial(transfer, QueueId=queue, ContactFlowId=MISSING_ID)) == NOT_FOUND
    assert answer_code(functools.partial(transfer, QueueId=MISSING_ID, ContactFlowId=flow)) == NOT_FOUND
    connect_client.stop_contact(InstanceId=connect_instance_id, ContactId=made)
    assert answer_code(functools.partial(transfer, QueueId=queue, ContactFlowId=flow)) == (
        400,
        "InvalidRequestException",
    )


# -- the contact tree and references ---------------------------------------------------------------


@check(
    "LIFE-008",
    "ListAssociatedContacts",
    "Provides information about contact tree, a list of associated contacts with a unique identifier. "
    "RelatedContactId: The contactId that is related to this contact. AWS API convention: pages return every item "
    "exactly once.",
)
def test_the_thread_lists_every_linked_contact(
    connect_client: Any, connect_instance_id: str, email_address: Callable[..., Address], unique: Callable[[], str]
) -> None:
    """A contact, a reply related to it and the reply's transfer are one tree, listed from any of them over pages
    of one; an unrelated contact is not in it."""
    destination = email_address().address
    first = start(connect_client, connect_instance_id, destination)
    reply = start(connect_client, connect_instance_id, destination, RelatedContactId=first)
    queue, flow = transfer_target(connect_client, connect_instance_id, f"tree-{unique()[:10]}")
    moved = connect_client.transfer_contact(
        InstanceId=connect_instance_id, ContactId=reply, QueueId=queue, ContactFlowId=flow
    )["ContactId"]
    stranger = start(connect_client, connect_instance_id, destination)
    for member in (first, moved):
        listed = thread(connect_client, connect_instance_id, member, MaxResults=1)
        ids = [item["ContactId"] for item in listed]
        assert sorted(ids) == sorted([first, reply, moved]), member
        assert stranger not in ids
    by_id = {item["ContactId"]: item for item in thread(connect_client, connect_instance_id, first)}
    assert by_id[reply].get("RelatedContactId") == first
    assert (by_id[moved].get("PreviousContactId"), by_id[moved].get("InitiationMethod")) == (reply, "TRANSFER")


@check(
    "LIFE-009",
    "ListContactReferences",
    "For the specified referenceTypes, returns a list of references associated with the contact. References are "
    "links to documents that are related to a contact, such as emails, attachments, or URLs.",
)
def test_references_are_listed_by_type(
    connect_client: Any, connect_instance_id: str, email_address: Callable[..., Address]
) -> None:
    """Only the asked types are listed; an inbound email contact has its message as an EMAIL_MESSAGE reference;
    an unknown contact is 404."""
    made = start(
        connect_client,
        connect_instance_id,
        email_address().address,
        References={
            "ticket": {"Value": "https://example.com/t/2", "Type": "URL"},
            "note": {"Value": "VIP", "Type": "STRING"},
        },
    )
    assert references(connect_client, connect_instance_id, made, "STRING") == [
        {"String": {"Name": "note", "Value": "VIP"}}
    ]
    messages = references(connect_client, connect_instance_id, made, "EMAIL_MESSAGE")
    assert len(messages) == 1
    assert set(messages[0]) == {"EmailMessage"}
    assert messages[0]["EmailMessage"].get("Arn", "").startswith("arn:")
    missing = functools.partial(references, connect_client, connect_instance_id, MISSING_ID, "URL")
    assert answer_code(missing) == NOT_FOUND


# -- DeleteContactData -----------------------------------------------------------------------------


@check(
    "LIFE-010",
    "DeleteContactData",
    "Deletes the specified fields containing personally identifiable information (PII) from a contact. "
    "CUSTOMER_ENDPOINT – The customer's contact endpoint. ADDITIONAL_EMAIL_RECIPIENTS – Additional recipients on an "
    "email contact.",
)
def test_deleted_contact_data_is_gone(
    connect_client: Any, connect_instance_id: str, email_address: Callable[..., Address]
) -> None:
    """After DeleteContactData of a stopped contact, its customer endpoint and CC recipients are not described;
    what was not named (the system endpoint) stays."""
    made = start(
        connect_client,
        connect_instance_id,
        email_address().address,
        AdditionalRecipients={"CcAddresses": [{"EmailAddress": "cc@example.org"}]},
    )
    connect_client.stop_contact(InstanceId=connect_instance_id, ContactId=made)
    before = contact(connect_client, connect_instance_id, made)
    assert before.get("CustomerEndpoint")
    assert before.get("AdditionalEmailRecipients")
    connect_client.delete_contact_data(
        InstanceId=connect_instance_id,
        ContactId=made,
        ContactFields=["CUSTOMER_ENDPOINT", "ADDITIONAL_EMAIL_RECIPIENTS"],
    )
    after = contact(connect_client, connect_instance_id, made)
    assert "CustomerEndpoint" not in after
    assert not (after.get("AdditionalEmailRecipients") or {}).get("CcList")
    assert after.get("SystemEndpoint") == before.get("SystemEndpoint")


@check(
    "LIFE-011",
    "DeleteContactData",
    "The contact must be in a terminated state. ContactNotTerminatedException: The contact has not been "
    "disconnected and is not in a terminated state. AWS API convention: what is unknown is 404.",
)
def test_contact_data_is_deleted_only_from_ended_contacts(
    connect_client: Any, connect_instance_id: str, email_address: Callable[..., Address]
) -> None:
    """An active contact is ContactNotTerminatedException (409) and keeps its data; a contact never made is 404."""
    made = start(connect_client, connect_instance_id, email_address().address)
    delete = functools.partial(
        connect_client.delete_contact_data,
        InstanceId=connect_instance_id,
        ContactId=made,
        ContactFields=["CUSTOMER_ENDPOINT"],
    )
    assert answer_code(delete) == (409, "ContactNotTerminatedException")
    assert contact(connect_client, connect_instance_id, made).get("CustomerEndpoint")
    missing = functools.partial(delete, ContactId=MISSING_ID)
    assert answer_code(missing) == NOT_FOUND
