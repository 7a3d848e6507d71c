"""Conformance checks of email contacts: StartEmailContact, DescribeContact and GetContactAttributes
(``CONTACT-``), CreateContact (``CREATE-``), StartOutboundEmailContact and UpdateOutboundEmailContactMessage
(``OUTBOUND-``), and SendOutboundEmail (``SEND-``).

Contacts are not deleted by any operation of the API, so the checks leave them behind; addresses are
made with the ``email_address`` fixture, which deletes them at teardown.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from pytest_connect_email.conformance import check
from pytest_connect_email.conformance.support import MESSAGE, VALIDATION_ERRORS, Address, answer_code, start

MISSING_INSTANCE_ID = "00000000-0000-4000-8000-000000000000"
MISSING_CONTACT_ID = "00000000-0000-4000-8000-00000000c404"
#: The agent of outbound drafts (CreateContact's UserInfo).
AGENT_ID = "00000000-0000-4000-8000-00000000a6e1"
CUSTOMER = {"EmailAddress": "customer@example.net", "DisplayName": "Zoë Kunde"}
DRAFT = {"MessageSourceType": "RAW", "RawMessage": {"Body": "Entwurf", "ContentType": "text/plain"}}


def _recipients(count: int, prefix: str) -> list[dict[str, str]]:
    return [{"EmailAddress": f"{prefix}{i:02d}@example.com"} for i in range(count)]


def _create(client: Any, instance_id: str, method: str = "OUTBOUND", **extra: Any) -> dict[str, Any]:
    params: dict[str, Any] = {"InstanceId": instance_id, "Channel": "EMAIL", "InitiationMethod": method}
    if method in ("OUTBOUND", "AGENT_REPLY"):
        params["UserInfo"] = {"UserId": AGENT_ID}
    params.update(extra)
    answer: dict[str, Any] = client.create_contact(**params)
    return answer


def _send_draft(client: Any, instance_id: str, contact_id: str, sender: Address | None, **extra: Any) -> Any:
    params: dict[str, Any] = {
        "InstanceId": instance_id,
        "ContactId": contact_id,
        "DestinationEmailAddress": CUSTOMER,
        "EmailMessage": MESSAGE,
    }
    if sender is not None:
        params["FromEmailAddress"] = {"EmailAddress": sender.address}
    params.update(extra)
    return client.start_outbound_email_contact(**params)


def _update_draft(client: Any, instance_id: str, contact_id: str) -> Any:
    return client.update_outbound_email_contact_message(
        InstanceId=instance_id, ContactId=contact_id, EmailMessage=DRAFT
    )


def _describe(client: Any, instance_id: str, contact_id: str) -> dict[str, Any]:
    contact: dict[str, Any] = client.describe_contact(InstanceId=instance_id, ContactId=contact_id)["Contact"]
    return contact


def _refused(status: int, code: str) -> None:
    assert status == 400, f"expected 400, got {status} {code}"
    assert code in VALIDATION_ERRORS, f"expected {sorted(VALIDATION_ERRORS)}, got {code}"


# -- StartEmailContact, DescribeContact, GetContactAttributes ----------------------------------------


@check("CONTACT-001", "StartEmailContact", "FromEmailAddress: The email address of the customer.")
def test_name_description_and_sender_read_back(
    connect_client: Any, connect_instance_id: str, email_address: Callable[..., Address]
) -> None:
    """DescribeContact shows the Name, Description and sender (CustomerEndpoint) the contact was started with."""
    destination = email_address()
    contact_id = start(
        connect_client, connect_instance_id, destination.address, Name="Anfrage", Description="Über die Rechnung"
    )
    contact = _describe(connect_client, connect_instance_id, contact_id)
    assert contact.get("Name") == "Anfrage"
    assert contact.get("Description") == "Über die Rechnung"
    endpoint = contact.get("CustomerEndpoint", {})
    assert endpoint.get("Type") == "EMAIL_ADDRESS"
    assert endpoint.get("Address") == CUSTOMER["EmailAddress"]


@check(
    "CONTACT-002",
    "DescribeContact",
    "For INBOUND, this is the phone number or email address that the customer dialed.",
)
def test_system_endpoint_is_the_destination(
    connect_client: Any, connect_instance_id: str, email_address: Callable[..., Address]
) -> None:
    """The SystemEndpoint of a started email contact is the destination address of the instance."""
    destination = email_address()
    contact_id = start(connect_client, connect_instance_id, destination.address)
    endpoint = _describe(connect_client, connect_instance_id, contact_id).get("SystemEndpoint", {})
    assert endpoint.get("Type") == "EMAIL_ADDRESS"
    assert str(endpoint.get("Address", "")).lower() == destination.address.lower()


@check(
    "CONTACT-003",
    "StartEmailContact",
    "You must have 1 required recipient (DestinationEmailAddress). You can then specify up to 49 additional "
    "recipients (across ToAddresses and CcAddresses), for a total of 50 recipients.",
)
def test_additional_recipient_limit(
    connect_client: Any, unchecked_client: Any, connect_instance_id: str, email_address: Callable[..., Address]
) -> None:
    """49 additional recipients across To and Cc are accepted; 50 are refused with a validation error."""
    destination = email_address()
    at_limit = {"ToAddresses": _recipients(25, "to"), "CcAddresses": _recipients(24, "cc")}
    assert start(connect_client, connect_instance_id, destination.address, AdditionalRecipients=at_limit)
    over = {"ToAddresses": _recipients(25, "to"), "CcAddresses": _recipients(25, "cc")}
    _refused(
        *answer_code(
            lambda: start(unchecked_client, connect_instance_id, destination.address, AdditionalRecipients=over)
        )
    )


@check(
    "CONTACT-004",
    "StartEmailContact",
    "model: ResourceNotFoundException (404) — The specified resource was not found.",
)
def test_start_in_an_unknown_instance(connect_client: Any, connect_settings: Any) -> None:
    """Starting an email contact in an instance that does not exist is not found."""
    status, code = answer_code(
        lambda: start(connect_client, MISSING_INSTANCE_ID, f"support@{connect_settings.email_domain}")
    )
    assert (status, code) == (404, "ResourceNotFoundException")


@check(
    "CONTACT-005",
    "StartEmailContact",
    "model: ResourceNotFoundException (404) — The specified resource was not found.",
)
def test_start_with_an_unknown_related_contact(
    connect_client: Any, connect_instance_id: str, email_address: Callable[..., Address]
) -> None:
    """A RelatedContactId that is no contact of the instance is not found."""
    destination = email_address()
    status, code = answer_code(
        lambda: start(connect_client, connect_instance_id, destination.address, RelatedContactId=MISSING_CONTACT_ID)
    )
    assert (status, code) == (404, "ResourceNotFoundException")


@check(
    "CONTACT-006",
    "DescribeContact",
    "model: ResourceNotFoundException (404) — The specified resource was not found.",
)
def test_describe_an_unknown_contact(connect_client: Any, connect_instance_id: str) -> None:
    """Describing a contact that does not exist is not found."""
    status, code = answer_code(lambda: _describe(connect_client, connect_instance_id, MISSING_CONTACT_ID))
    assert (status, code) == (404, "ResourceNotFoundException")


@check(
    "CONTACT-007",
    "GetContactAttributes",
    "model: ResourceNotFoundException (404) — The specified resource was not found.",
)
def test_attributes_of_an_unknown_contact(connect_client: Any, connect_instance_id: str) -> None:
    """The attributes of a contact that does not exist are not found."""
    status, code = answer_code(
        lambda: connect_client.get_contact_attributes(
            InstanceId=connect_instance_id, InitialContactId=MISSING_CONTACT_ID
        )
    )
    assert (status, code) == (404, "ResourceNotFoundException")


@check("CONTACT-008", "GetContactAttributes", "Retrieves the contact attributes for the specified contact.")
def test_no_attributes_is_an_empty_map(
    connect_client: Any, connect_instance_id: str, email_address: Callable[..., Address]
) -> None:
    """A contact started without attributes has the attributes {}."""
    destination = email_address()
    contact_id = start(connect_client, connect_instance_id, destination.address)
    found = connect_client.get_contact_attributes(InstanceId=connect_instance_id, InitialContactId=contact_id)
    assert found.get("Attributes", {}) == {}


# -- CreateContact ---------------------------------------------------------------------------------


@check(
    "CREATE-001",
    "CreateContact",
    "For EMAIL: The supported initiation methods are OUTBOUND, AGENT_REPLY, and FLOW.",
)
def test_create_email_contacts(connect_client: Any, connect_instance_id: str) -> None:
    """EMAIL contacts are created with OUTBOUND, AGENT_REPLY and FLOW; DescribeContact shows their method."""
    for method in ("OUTBOUND", "AGENT_REPLY", "FLOW"):
        made = _create(connect_client, connect_instance_id, method)
        assert made["ContactId"], made
        assert made["ContactArn"], made
        contact = _describe(connect_client, connect_instance_id, made["ContactId"])
        assert contact["Id"] == made["ContactId"]
        assert contact.get("Arn", made["ContactArn"]) == made["ContactArn"]
        assert (contact["Channel"], contact["InitiationMethod"]) == ("EMAIL", method)


@check(
    "CREATE-002",
    "CreateContact",
    "UserInfo is required when creating an EMAIL contact with OUTBOUND and AGENT_REPLY contact initiation methods.",
)
def test_create_outbound_without_user_info(unchecked_client: Any, connect_instance_id: str) -> None:
    """An EMAIL contact with OUTBOUND or AGENT_REPLY but no UserInfo is refused with a validation error."""
    for method in ("OUTBOUND", "AGENT_REPLY"):
        create = functools.partial(
            unchecked_client.create_contact, InstanceId=connect_instance_id, Channel="EMAIL", InitiationMethod=method
        )
        _refused(*answer_code(create))


@check(
    "CREATE-003",
    "CreateContact",
    "For EMAIL: The supported initiation methods are OUTBOUND, AGENT_REPLY, and FLOW.",
)
def test_create_inbound_email(unchecked_client: Any, connect_instance_id: str) -> None:
    """An EMAIL contact with the INBOUND initiation method is refused with a validation error."""
    _refused(
        *answer_code(
            lambda: unchecked_client.create_contact(
                InstanceId=connect_instance_id,
                Channel="EMAIL",
                InitiationMethod="INBOUND",
                UserInfo={"UserId": AGENT_ID},
            )
        )
    )


@check("CREATE-004", "CreateContact", "The CHAT channel is not supported.")
def test_create_chat(unchecked_client: Any, connect_instance_id: str) -> None:
    """A CHAT contact is refused with a validation error."""
    _refused(
        *answer_code(
            lambda: unchecked_client.create_contact(
                InstanceId=connect_instance_id, Channel="CHAT", InitiationMethod="API"
            )
        )
    )


@check("CREATE-005", "CreateContact", "Only TASK channel contacts can be initiated with COMPLETED state.")
def test_create_completed_email(unchecked_client: Any, connect_instance_id: str) -> None:
    """An EMAIL contact initiated as COMPLETED is refused with a validation error."""
    _refused(*answer_code(lambda: _create(unchecked_client, connect_instance_id, InitiateAs="COMPLETED")))


# -- StartOutboundEmailContact and UpdateOutboundEmailContactMessage -------------------------------

OUTBOUND_SOURCE = (
    "Initiates a flow to send an agent reply or outbound email contact (created from the CreateContact API) to a "
    "customer."
)
UPDATE_SCOPE_SOURCE = (
    "This operation applies only to contacts with an OUTBOUND or AGENT_REPLY initiation method; it isn't supported "
    "for flow-initiated emails."
)


@check("OUTBOUND-001", "StartOutboundEmailContact", OUTBOUND_SOURCE)
def test_send_outbound_and_agent_reply_drafts(
    connect_client: Any, connect_instance_id: str, email_address: Callable[..., Address]
) -> None:
    """OUTBOUND and AGENT_REPLY contacts made by CreateContact are sent; the answer is their ContactId."""
    sender = email_address()
    for method in ("OUTBOUND", "AGENT_REPLY"):
        contact_id = _create(connect_client, connect_instance_id, method)["ContactId"]
        answer = _send_draft(connect_client, connect_instance_id, contact_id, sender)
        assert answer["ContactId"] == contact_id


@check("OUTBOUND-002", "StartOutboundEmailContact", OUTBOUND_SOURCE)
def test_send_an_inbound_contact(
    connect_client: Any, connect_instance_id: str, email_address: Callable[..., Address]
) -> None:
    """An inbound contact made by StartEmailContact cannot be sent as an outbound email: validation error."""
    destination = email_address()
    contact_id = start(connect_client, connect_instance_id, destination.address)
    _refused(*answer_code(lambda: _send_draft(connect_client, connect_instance_id, contact_id, destination)))


@check(
    "OUTBOUND-003",
    "StartOutboundEmailContact",
    "model: ResourceNotFoundException (404) — The specified resource was not found.",
)
def test_send_an_unknown_contact(
    connect_client: Any, connect_instance_id: str, email_address: Callable[..., Address]
) -> None:
    """Sending a contact that does not exist is not found."""
    sender = email_address()
    status, code = answer_code(lambda: _send_draft(connect_client, connect_instance_id, MISSING_CONTACT_ID, sender))
    assert (status, code) == (404, "ResourceNotFoundException")


@check(
    "OUTBOUND-004",
    "StartOutboundEmailContact",
    "FromEmailAddress: The email address associated with the Connect Customer instance.",
)
def test_send_a_draft_from_an_address_of_no_instance(
    connect_client: Any,
    connect_instance_id: str,
    connect_settings: Any,
    email_address: Callable[..., Address],
    unique: Callable[[], str],
) -> None:
    """A sender that is no address of the instance is refused; the draft is still sent from one that is."""
    contact_id = _create(connect_client, connect_instance_id)["ContactId"]
    stranger = {"EmailAddress": f"not-here-{unique()}@{connect_settings.email_domain}"}
    status, code = answer_code(
        lambda: _send_draft(connect_client, connect_instance_id, contact_id, None, FromEmailAddress=stranger)
    )
    assert 400 <= status < 500, f"expected a client error, got {status} {code}"
    answer = _send_draft(connect_client, connect_instance_id, contact_id, email_address())
    assert answer["ContactId"] == contact_id, "a refused send must leave the draft unsent"


@check("OUTBOUND-005", "UpdateOutboundEmailContactMessage", "Updates the draft outbound email message for a contact.")
def test_update_a_draft(connect_client: Any, connect_instance_id: str) -> None:
    """The draft of an OUTBOUND contact that was not sent yet is updated; the answer is its ContactId."""
    contact_id = _create(connect_client, connect_instance_id)["ContactId"]
    answer = _update_draft(connect_client, connect_instance_id, contact_id)
    assert answer["ContactId"] == contact_id


@check("OUTBOUND-006", "UpdateOutboundEmailContactMessage", UPDATE_SCOPE_SOURCE)
def test_update_inbound_and_flow_contacts(
    connect_client: Any, connect_instance_id: str, email_address: Callable[..., Address]
) -> None:
    """Neither an inbound contact (StartEmailContact) nor a FLOW contact takes a draft: validation error."""
    destination = email_address()
    inbound = start(connect_client, connect_instance_id, destination.address)
    flow = _create(connect_client, connect_instance_id, "FLOW")["ContactId"]
    for contact_id in (inbound, flow):
        _refused(*answer_code(functools.partial(_update_draft, connect_client, connect_instance_id, contact_id)))


@check(
    "OUTBOUND-007",
    "UpdateOutboundEmailContactMessage",
    "Use this operation to save changes to an in-progress outbound email reply before you send it.",
)
def test_update_a_sent_draft(
    connect_client: Any, connect_instance_id: str, email_address: Callable[..., Address]
) -> None:
    """Once StartOutboundEmailContact sent the contact, its draft cannot change: ResourceConflictException."""
    contact_id = _create(connect_client, connect_instance_id)["ContactId"]
    _update_draft(connect_client, connect_instance_id, contact_id)
    _send_draft(connect_client, connect_instance_id, contact_id, email_address())
    status, code = answer_code(lambda: _update_draft(connect_client, connect_instance_id, contact_id))
    assert (status, code) == (409, "ResourceConflictException")


@check(
    "OUTBOUND-008",
    "UpdateOutboundEmailContactMessage",
    "model: ResourceNotFoundException (404) — The specified resource was not found.",
)
def test_update_an_unknown_contact(connect_client: Any, connect_instance_id: str) -> None:
    """Updating the draft of a contact that does not exist is not found."""
    status, code = answer_code(lambda: _update_draft(connect_client, connect_instance_id, MISSING_CONTACT_ID))
    assert (status, code) == (404, "ResourceNotFoundException")


# -- SendOutboundEmail -----------------------------------------------------------------------------


@pytest.fixture
def campaign_email(
    connect_instance_id: str, email_address: Callable[..., Address], unique: Callable[[], str]
) -> dict[str, Any]:
    """A valid SendOutboundEmail request: CAMPAIGN traffic from an address of the instance."""
    return {
        "InstanceId": connect_instance_id,
        "FromEmailAddress": {"EmailAddress": email_address().address},
        "DestinationEmailAddress": CUSTOMER,
        "EmailMessage": MESSAGE,
        "TrafficType": "CAMPAIGN",
        "SourceCampaign": {
            "CampaignId": f"ce-{unique()}",
            "OutboundRequestId": str(uuid.UUID(unique().ljust(32, "0")[:32])),
        },
    }


@check("SEND-001", "SendOutboundEmail", "Send outbound email for outbound campaigns.")
def test_send_campaign_email(connect_client: Any, campaign_email: dict[str, Any]) -> None:
    """A CAMPAIGN email from an address of the instance answers 200 with an empty output."""
    answer = connect_client.send_outbound_email(**campaign_email)
    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert {k: v for k, v in answer.items() if k != "ResponseMetadata"} == {}


@check("SEND-002", "SendOutboundEmail", "Only the CAMPAIGN traffic type is supported.")
def test_send_general_traffic(unchecked_client: Any, campaign_email: dict[str, Any]) -> None:
    """GENERAL traffic is refused with a validation error."""
    _refused(*answer_code(lambda: unchecked_client.send_outbound_email(**{**campaign_email, "TrafficType": "GENERAL"})))


@check("SEND-003", "SendOutboundEmail", "A Campaign object need for Campaign traffic type.")
def test_send_campaign_without_source(unchecked_client: Any, campaign_email: dict[str, Any]) -> None:
    """CAMPAIGN traffic without SourceCampaign is refused with a validation error."""
    request = {k: v for k, v in campaign_email.items() if k != "SourceCampaign"}
    _refused(*answer_code(lambda: unchecked_client.send_outbound_email(**request)))


@check(
    "SEND-004",
    "SendOutboundEmail",
    "Email recipients are limited to 50 total addresses: 1 required recipient in the DestinationEmailAddress field "
    "and up to 49 recipients in the 'CcEmailAddresses' field.",
)
def test_send_cc_limit(connect_client: Any, unchecked_client: Any, campaign_email: dict[str, Any]) -> None:
    """49 Cc recipients are accepted; 50 are refused with a validation error."""
    connect_client.send_outbound_email(
        **campaign_email, AdditionalRecipients={"CcEmailAddresses": _recipients(49, "cc")}
    )
    over = {"CcEmailAddresses": _recipients(50, "cc")}
    _refused(*answer_code(lambda: unchecked_client.send_outbound_email(**campaign_email, AdditionalRecipients=over)))


@check(
    "SEND-005",
    "SendOutboundEmail",
    "AWS API convention: an instance sends email only from an email address of that instance.",
)
def test_send_from_an_address_of_no_instance(
    connect_client: Any, campaign_email: dict[str, Any], connect_settings: Any, unique: Callable[[], str]
) -> None:
    """A sender that is no address of the instance is refused with a client error."""
    stranger = {"EmailAddress": f"not-here-{unique()}@{connect_settings.email_domain}"}
    status, code = answer_code(
        lambda: connect_client.send_outbound_email(**{**campaign_email, "FromEmailAddress": stranger})
    )
    assert 400 <= status < 500, f"expected a client error, got {status} {code}"


@check(
    "SEND-006",
    "SendOutboundEmail",
    "model: ResourceNotFoundException (404) — The specified resource was not found.",
)
def test_send_in_an_unknown_instance(connect_client: Any, campaign_email: dict[str, Any]) -> None:
    """Sending from an instance that does not exist is not found."""
    status, code = answer_code(
        lambda: connect_client.send_outbound_email(**{**campaign_email, "InstanceId": MISSING_INSTANCE_ID})
    )
    assert (status, code) == (404, "ResourceNotFoundException")
