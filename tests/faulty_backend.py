"""Faulty targets for tests/routing/test_faults.py: the reference backend with one documented behaviour broken.

Each fault is a small :class:`Backend` subclass that overrides the handler of one operation, registered
under a name with the operation and the behaviour it breaks. :func:`make_backend` builds the backend of
one fault (or the reference backend for ``""``). test_faults.py copies this file into the project it
runs the conformance suite in, so it imports nothing but the package.
"""

from __future__ import annotations

import base64
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from pytest_connect_email.emulator.backend import Backend, Params, Result
from pytest_connect_email.emulator.errors import ServiceError
from pytest_connect_email.emulator.store import Transaction


@dataclass(frozen=True)
class Fault:
    name: str
    operation: str
    #: The documented behaviour the fault breaks.
    breaks: str
    #: The ids of checks that catch it (test_faults.py runs them alone, with -k); none for UNCAUGHT_YET ones.
    caught_by: tuple[str, ...]
    backend: type[Backend]


FAULTS: dict[str, Fault] = {}


def fault(
    name: str, operation: str, breaks: str, caught_by: tuple[str, ...]
) -> Callable[[type[Backend]], type[Backend]]:
    """Register a Backend subclass as the fault ``name`` of ``operation``, caught by the checks ``caught_by``."""

    def register(cls: type[Backend]) -> type[Backend]:
        if name in FAULTS:
            raise ValueError(f"fault {name!r} is registered twice")
        FAULTS[name] = Fault(name, operation, breaks, caught_by, cls)
        return cls

    return register


def make_backend(name: str) -> Backend:
    """The backend with the fault ``name``; the reference backend for ``""``."""
    return FAULTS[name].backend() if name else Backend()


@contextmanager
def hidden(tx: Transaction, kind: str, ident: str, parent: str) -> Iterator[dict[str, Any] | None]:
    """Take a record out of the store for the duration of the block (a check the handler would make
    against it is skipped), then put it back."""
    record = tx.get(kind, ident)
    if record is not None:
        tx.delete(kind, ident)
    try:
        yield record
    finally:
        if record is not None:
            tx.put(kind, ident, record, parent=parent)


def _without(p: Params, *names: str) -> Params:
    return {k: v for k, v in p.items() if k not in names}


# -- instances -------------------------------------------------------------------------------------


@fault(
    "create-instance-drops-alias",
    "CreateInstance",
    "the instance is created without its InstanceAlias",
    ("INST-001",),
)
class CreateInstanceDropsAlias(Backend):
    def _create_instance(self, tx: Transaction, p: Params) -> Result:
        return super()._create_instance(tx, _without(p, "InstanceAlias"))


@fault(
    "describe-instance-wrong-status",
    "DescribeInstance",
    "an active instance is described as CREATION_FAILED",
    ("INST-001",),
)
class DescribeInstanceWrongStatus(Backend):
    def _describe_instance(self, tx: Transaction, p: Params) -> Result:
        out = super()._describe_instance(tx, p)
        out["Instance"]["InstanceStatus"] = "CREATION_FAILED"
        return out


@fault(
    "list-instances-repeats",
    "ListInstances",
    "every page after the first repeats the last item of the page before",
    ("INST-002",),
)
class ListInstancesRepeats(Backend):
    def _list_instances(self, tx: Transaction, p: Params) -> Result:
        if p.get("NextToken"):
            start = int(base64.urlsafe_b64decode(p["NextToken"].encode()).decode())
            p = {**p, "NextToken": base64.urlsafe_b64encode(str(start - 1).encode()).decode()}
        return super()._list_instances(tx, p)


@fault(
    "delete-instance-keeps-it",
    "DeleteInstance",
    "answers 200 and keeps the instance (listed, describable)",
    ("INST-003",),
)
class DeleteInstanceKeepsIt(Backend):
    def _delete_instance(self, tx: Transaction, p: Params) -> Result:
        self._instance(tx, p["InstanceId"])
        return {}


# -- email addresses -------------------------------------------------------------------------------


@fault(
    "create-address-duplicates",
    "CreateEmailAddress",
    "an address that exists in the instance is created again",
    ("ADDR-002",),
)
class CreateAddressDuplicates(Backend):
    def _create_email_address(self, tx: Transaction, p: Params) -> Result:
        existing = self._address_by_value(tx, p["InstanceId"], p["EmailAddress"])
        if existing is None:
            return super()._create_email_address(tx, p)
        with hidden(tx, "email", existing["EmailAddressId"], p["InstanceId"]):
            return super()._create_email_address(tx, p)


@fault("describe-address-no-alias", "DescribeEmailAddress", "AliasConfigurations is always empty", ("ASSOC-001",))
class DescribeAddressNoAlias(Backend):
    def _describe_email_address(self, tx: Transaction, p: Params) -> Result:
        return {**super()._describe_email_address(tx, p), "AliasConfigurations": []}


@fault(
    "describe-address-wrong-name",
    "DescribeEmailAddress",
    "DisplayName is answered in upper case",
    ("ADDR-001",),
)
class DescribeAddressWrongName(Backend):
    def _describe_email_address(self, tx: Transaction, p: Params) -> Result:
        out = super()._describe_email_address(tx, p)
        if out.get("DisplayName"):
            out["DisplayName"] = out["DisplayName"].upper()
        return out


@fault(
    "delete-address-keeps-relationship",
    "DeleteEmailAddress",
    "deleting one address of an alias pair leaves the relationship on its partner",
    ("DELETE-003", "DELETE-004"),
)
class DeleteAddressKeepsRelationship(Backend):
    def _delete_email_address(self, tx: Transaction, p: Params) -> Result:
        record = self._address(tx, p["InstanceId"], p["EmailAddressId"])
        tx.delete("email", record["EmailAddressId"])
        return {}


@fault("delete-address-keeps-it", "DeleteEmailAddress", "answers 200 and keeps the address", ("DELETE-001",))
class DeleteAddressKeepsIt(Backend):
    def _delete_email_address(self, tx: Transaction, p: Params) -> Result:
        self._address(tx, p["InstanceId"], p["EmailAddressId"])
        return {}


@fault(
    "update-address-drops-display-name",
    "UpdateEmailAddressMetadata",
    "a new DisplayName is not persisted",
    ("UPDATE-001",),
)
class UpdateAddressDropsDisplayName(Backend):
    def _update_email_address_metadata(self, tx: Transaction, p: Params) -> Result:
        return super()._update_email_address_metadata(tx, _without(p, "DisplayName"))


@fault(
    "update-address-drops-description",
    "UpdateEmailAddressMetadata",
    "a new Description is not persisted",
    ("UPDATE-001",),
)
class UpdateAddressDropsDescription(Backend):
    def _update_email_address_metadata(self, tx: Transaction, p: Params) -> Result:
        return super()._update_email_address_metadata(tx, _without(p, "Description"))


@fault(
    "create-address-ignores-quota",
    "CreateEmailAddress",
    "an instance takes more than 100 email addresses",
    ("ADDR-006",),
)
class CreateAddressIgnoresQuota(Backend):
    def _create_email_address(self, tx: Transaction, p: Params) -> Result:
        quota = self.config.max_email_addresses
        self.config.max_email_addresses = 10**6
        try:
            return super()._create_email_address(tx, p)
        finally:
            self.config.max_email_addresses = quota


@fault(
    "create-address-ignores-token",
    "CreateEmailAddress",
    "a retry with the same ClientToken creates the address again (answers DuplicateResourceException)",
    ("ADDR-005",),
)
class CreateAddressIgnoresToken(Backend):
    def invoke(self, operation: str, params: Params) -> Result:
        if operation == "CreateEmailAddress":
            params = _without(params, "ClientToken")
        return super().invoke(operation, params)


@fault(
    "search-ignores-criteria",
    "SearchEmailAddresses",
    "SearchCriteria (StringCondition) is ignored",
    ("SEARCH-001",),
)
class SearchIgnoresCriteria(Backend):
    def _search_email_addresses(self, tx: Transaction, p: Params) -> Result:
        return super()._search_email_addresses(tx, _without(p, "SearchCriteria"))


@fault("search-ignores-tag-filter", "SearchEmailAddresses", "SearchFilter.TagFilter is ignored", ("SEARCH-004",))
class SearchIgnoresTagFilter(Backend):
    def _search_email_addresses(self, tx: Transaction, p: Params) -> Result:
        return super()._search_email_addresses(tx, _without(p, "SearchFilter"))


@fault(
    "search-drops-last-of-page",
    "SearchEmailAddresses",
    "a page that has a next page loses its last item",
    ("SEARCH-005",),
)
class SearchDropsLastOfPage(Backend):
    def _search_email_addresses(self, tx: Transaction, p: Params) -> Result:
        out = super()._search_email_addresses(tx, p)
        if out.get("NextToken"):
            out["EmailAddresses"] = out["EmailAddresses"][:-1]
        return out


@fault(
    "search-counts-the-page",
    "SearchEmailAddresses",
    "ApproximateTotalCount counts the page, not all matches",
    ("SEARCH-005",),
)
class SearchCountsThePage(Backend):
    def _search_email_addresses(self, tx: Transaction, p: Params) -> Result:
        out = super()._search_email_addresses(tx, p)
        out["ApproximateTotalCount"] = len(out["EmailAddresses"])
        return out


# -- aliases ---------------------------------------------------------------------------------------


@fault(
    "associate-replaces-alias",
    "AssociateEmailAddressAlias",
    "a second alias replaces the first (no conflict)",
    ("ASSOC-003",),
)
class AssociateReplacesAlias(Backend):
    def _associate_email_address_alias(self, tx: Transaction, p: Params) -> Result:
        primary = self._address(tx, p["InstanceId"], p["EmailAddressId"])
        first = tx.get("email", primary["Alias"]) if primary.get("Alias") else None
        if first is not None:
            primary["Alias"], first["AliasOf"] = None, None
            tx.put("email", primary["EmailAddressId"], primary, parent=p["InstanceId"])
            tx.put("email", first["EmailAddressId"], first, parent=p["InstanceId"])
        return super()._associate_email_address_alias(tx, p)


@fault(
    "associate-chains",
    "AssociateEmailAddressAlias",
    "an alias may be the primary of another alias (chaining)",
    ("ALIAS-002", "ALIAS-003"),
)
class AssociateChains(Backend):
    def _associate_email_address_alias(self, tx: Transaction, p: Params) -> Result:
        primary, alias = self._alias_pair(tx, p)
        links = primary.get("AliasOf"), alias.get("Alias")
        primary["AliasOf"], alias["Alias"] = None, None
        tx.put("email", primary["EmailAddressId"], primary, parent=p["InstanceId"])
        tx.put("email", alias["EmailAddressId"], alias, parent=p["InstanceId"])
        result = super()._associate_email_address_alias(tx, p)
        primary, alias = self._alias_pair(tx, p)
        primary["AliasOf"], alias["Alias"] = links
        tx.put("email", primary["EmailAddressId"], primary, parent=p["InstanceId"])
        tx.put("email", alias["EmailAddressId"], alias, parent=p["InstanceId"])
        return result


@fault(
    "disassociate-keeps-alias",
    "DisassociateEmailAddressAlias",
    "answers 200 and keeps the alias",
    ("DISASSOC-002",),
)
class DisassociateKeepsAlias(Backend):
    def _disassociate_email_address_alias(self, tx: Transaction, p: Params) -> Result:
        self._alias_pair(tx, p)
        return {}


@fault(
    "disassociate-either-direction",
    "DisassociateEmailAddressAlias",
    "the pair is also disassociated when named the other way round (alias as primary)",
    ("ALIAS-004",),
)
class DisassociateEitherDirection(Backend):
    def _disassociate_email_address_alias(self, tx: Transaction, p: Params) -> Result:
        primary, alias = self._alias_pair(tx, p)
        if primary.get("AliasOf") == alias["EmailAddressId"]:
            p = {**p, "EmailAddressId": alias["EmailAddressId"]}
            p["AliasConfiguration"] = {**p["AliasConfiguration"], "EmailAddressId": primary["EmailAddressId"]}
        return super()._disassociate_email_address_alias(tx, p)


# -- contacts --------------------------------------------------------------------------------------


@fault(
    "start-ignores-related-attributes",
    "StartEmailContact",
    "a RelatedContactId copies no attributes",
    ("START-003",),
)
class StartIgnoresRelatedAttributes(Backend):
    def _start_email_contact(self, tx: Transaction, p: Params) -> Result:
        out = super()._start_email_contact(tx, p)
        contact = tx.get("contact", out["ContactId"])
        if contact is not None:
            contact["Attributes"] = dict(p.get("Attributes") or {})
            tx.put("contact", out["ContactId"], contact, parent=p["InstanceId"])
        return out


@fault(
    "start-any-destination",
    "StartEmailContact",
    "a destination that is no address of the instance is accepted",
    ("START-008",),
)
class StartAnyDestination(Backend):
    def _start_email_contact(self, tx: Transaction, p: Params) -> Result:
        if self._address_by_value(tx, p["InstanceId"], p["DestinationEmailAddress"]) is not None:
            return super()._start_email_contact(tx, p)
        ghost = f"ghost-{uuid.uuid4()}"
        tx.put("email", ghost, {"EmailAddress": p["DestinationEmailAddress"]}, parent=p["InstanceId"])
        try:
            return super()._start_email_contact(tx, p)
        finally:
            tx.delete("email", ghost)


@fault("describe-contact-drops-name", "DescribeContact", "the contact's Name is not shown", ("CONTACT-001",))
class DescribeContactDropsName(Backend):
    def _describe_contact(self, tx: Transaction, p: Params) -> Result:
        out = super()._describe_contact(tx, p)
        out["Contact"].pop("Name", None)
        return out


@fault(
    "contact-attributes-empty",
    "GetContactAttributes",
    "answers {} whatever the contact's attributes",
    ("START-002",),
)
class ContactAttributesEmpty(Backend):
    def _get_contact_attributes(self, tx: Transaction, p: Params) -> Result:
        super()._get_contact_attributes(tx, p)
        return {"Attributes": {}}


@fault(
    "create-contact-without-user",
    "CreateContact",
    "an EMAIL contact with the OUTBOUND or AGENT_REPLY method is created without UserInfo",
    ("CREATE-002",),
)
class CreateContactWithoutUser(Backend):
    def _create_contact(self, tx: Transaction, p: Params) -> Result:
        if not (p.get("UserInfo") or {}).get("UserId"):
            p = {**p, "UserInfo": {"UserId": "00000000-0000-4000-8000-00000000feed"}}
        return super()._create_contact(tx, p)


@fault(
    "start-outbound-any-contact",
    "StartOutboundEmailContact",
    "an inbound (StartEmailContact) contact is sent",
    ("OUTBOUND-002",),
)
class StartOutboundAnyContact(Backend):
    def _start_outbound_email_contact(self, tx: Transaction, p: Params) -> Result:
        contact = self._contact(tx, p["InstanceId"], p["ContactId"])
        kind = contact.get("Channel"), contact.get("InitiationMethod")
        contact["Channel"], contact["InitiationMethod"] = "EMAIL", "OUTBOUND"
        tx.put("contact", contact["Id"], contact, parent=p["InstanceId"])
        try:
            return super()._start_outbound_email_contact(tx, p)
        finally:
            contact = self._contact(tx, p["InstanceId"], p["ContactId"])
            contact["Channel"], contact["InitiationMethod"] = kind
            tx.put("contact", contact["Id"], contact, parent=p["InstanceId"])


@fault(
    "update-outbound-after-sending",
    "UpdateOutboundEmailContactMessage",
    "the draft of a contact that StartOutboundEmailContact already sent is changed",
    ("OUTBOUND-007",),
)
class UpdateOutboundAfterSending(Backend):
    def _update_outbound_email_contact_message(self, tx: Transaction, p: Params) -> Result:
        contact = self._contact(tx, p["InstanceId"], p["ContactId"])
        sent = contact.pop("Sent", None)
        tx.put("contact", contact["Id"], contact, parent=p["InstanceId"])
        try:
            return super()._update_outbound_email_contact_message(tx, p)
        finally:
            if sent is not None:
                contact = self._contact(tx, p["InstanceId"], p["ContactId"])
                contact["Sent"] = sent
                tx.put("contact", contact["Id"], contact, parent=p["InstanceId"])


@fault(
    "send-accepts-general",
    "SendOutboundEmail",
    "the GENERAL traffic type is accepted (only CAMPAIGN is supported)",
    ("SEND-002",),
)
class SendAcceptsGeneral(Backend):
    def _send_outbound_email(self, tx: Transaction, p: Params) -> Result:
        if p.get("TrafficType") == "GENERAL":
            campaign = p.get("SourceCampaign") or {"CampaignId": "general", "OutboundRequestId": "general"}
            p = {**p, "TrafficType": "CAMPAIGN", "SourceCampaign": campaign}
        return super()._send_outbound_email(tx, p)


# -- queues ----------------------------------------------------------------------------------------


@fault(
    "queue-ignores-limit",
    "AssociateQueueEmailAddresses",
    "a queue takes more than 50 email addresses",
    ("QUEUE-003",),
)
class QueueIgnoresLimit(Backend):
    def _associate_queue_email_addresses(self, tx: Transaction, p: Params) -> Result:
        limit = self.config.max_queue_addresses
        self.config.max_queue_addresses = 10**6
        try:
            return super()._associate_queue_email_addresses(tx, p)
        finally:
            self.config.max_queue_addresses = limit


@fault(
    "queue-disassociation-deletes",
    "DisassociateQueueEmailAddresses",
    "disassociated addresses are deleted from the instance too",
    ("QUEUE-008",),
)
class QueueDisassociationDeletes(Backend):
    def _disassociate_queue_email_addresses(self, tx: Transaction, p: Params) -> Result:
        out = super()._disassociate_queue_email_addresses(tx, p)
        for address_id in p["EmailAddressesId"]:
            self._delete_email_address(tx, {"InstanceId": p["InstanceId"], "EmailAddressId": address_id})
        return out


@fault(
    "queue-list-omits-default",
    "ListQueueEmailAddresses",
    "the queue's default outbound address is not listed",
    ("QUEUE-004",),
)
class QueueListOmitsDefault(Backend):
    def _list_queue_email_addresses(self, tx: Transaction, p: Params) -> Result:
        out = super()._list_queue_email_addresses(tx, p)
        out["EmailAddressMetadataList"] = [
            i for i in out["EmailAddressMetadataList"] if not i["IsDefaultOutboundEmail"]
        ]
        return out


@fault(
    "queue-outbound-unknown-address",
    "UpdateQueueOutboundEmailConfig",
    "an OutboundEmailAddressId that is no address of the instance is accepted",
    ("QUEUE-006",),
)
class QueueOutboundUnknownAddress(Backend):
    def _update_queue_outbound_email_config(self, tx: Transaction, p: Params) -> Result:
        address_id = p["OutboundEmailConfig"].get("OutboundEmailAddressId")
        try:
            return super()._update_queue_outbound_email_config(tx, p)
        except ServiceError as error:
            if error.code != "ResourceNotFoundException" or not address_id or tx.get("email", address_id):
                raise
        key, queue = self._queue(tx, p)
        queue["OutboundEmailAddressId"], queue["Modified"] = address_id, time.time()
        tx.put("queue", key, queue, parent=p["InstanceId"])
        return {}


# -- tags ------------------------------------------------------------------------------------------


@fault(
    "tag-resource-replaces-all",
    "TagResource",
    "TagResource replaces the resource's tags instead of adding to them",
    ("TAG-001",),
)
class TagResourceReplacesAll(Backend):
    def _tag_resource(self, tx: Transaction, p: Params) -> Result:
        kind, ident, record = self._tagged_resource(tx, p["resourceArn"])
        record["Tags"] = dict(p["tags"])
        self._put_tagged(tx, kind, ident, record)
        return {}


@fault(
    "tag-resource-no-quota",
    "TagResource",
    "a resource takes more than 50 tags",
    ("TAG-007",),
)
class TagResourceNoQuota(Backend):
    def _tag_resource(self, tx: Transaction, p: Params) -> Result:
        kind, ident, record = self._tagged_resource(tx, p["resourceArn"])
        record["Tags"] = {**(record.get("Tags") or {}), **p["tags"]}
        self._put_tagged(tx, kind, ident, record)
        return {}


@fault(
    "untag-resource-clears-all",
    "UntagResource",
    "UntagResource removes every tag, not only the named keys",
    ("TAG-003",),
)
class UntagResourceClearsAll(Backend):
    def _untag_resource(self, tx: Transaction, p: Params) -> Result:
        kind, ident, record = self._tagged_resource(tx, p["resourceArn"])
        record["Tags"] = None
        self._put_tagged(tx, kind, ident, record)
        return {}


@fault(
    "list-tags-of-nothing",
    "ListTagsForResource",
    "an ARN that names no resource lists no tags instead of answering 404",
    ("TAG-004", "TAG-005"),
)
class ListTagsOfNothing(Backend):
    def _list_tags_for_resource(self, tx: Transaction, p: Params) -> Result:
        try:
            return super()._list_tags_for_resource(tx, p)
        except ServiceError as error:
            if error.code != "ResourceNotFoundException":
                raise
            return {}


# -- hours of operation and queues -------------------------------------------------------------------


@fault(
    "create-hours-drops-config",
    "CreateHoursOfOperation",
    "the hours are created without their Config (an empty week)",
    ("HOURS-001",),
)
class CreateHoursDropsConfig(Backend):
    def _create_hours_of_operation(self, tx: Transaction, p: Params) -> Result:
        return super()._create_hours_of_operation(tx, {**p, "Config": []})


@fault(
    "describe-hours-across-instances",
    "DescribeHoursOfOperation",
    "hours of operation of one instance are described under another",
    ("HOURS-002",),
)
class DescribeHoursAcrossInstances(Backend):
    def _describe_hours_of_operation(self, tx: Transaction, p: Params) -> Result:
        found = tx.get("hours", p["HoursOfOperationId"])
        if found is not None and found["InstanceId"] != p["InstanceId"]:
            return super()._describe_hours_of_operation(tx, {**p, "InstanceId": found["InstanceId"]})
        return super()._describe_hours_of_operation(tx, p)


@fault(
    "create-queue-any-hours",
    "CreateQueue",
    "a queue is created on hours of operation that do not exist",
    ("QUEUE-012",),
)
class CreateQueueAnyHours(Backend):
    def _hours(self, tx: Transaction, instance_id: str, hours_id: str) -> dict[str, Any]:
        return tx.get("hours", hours_id) or {"HoursOfOperationId": hours_id, "InstanceId": instance_id}


@fault(
    "create-queue-drops-members",
    "CreateQueue",
    "the EmailAddressesConfig of CreateQueue is not kept",
    ("QUEUE-011",),
)
class CreateQueueDropsMembers(Backend):
    def _create_queue(self, tx: Transaction, p: Params) -> Result:
        return super()._create_queue(tx, {k: v for k, v in p.items() if k != "EmailAddressesConfig"})


@fault(
    "describe-queue-no-outbound",
    "DescribeQueue",
    "DescribeQueue leaves out the queue's OutboundEmailConfig",
    ("QUEUE-011", "QUEUE-016"),
)
class DescribeQueueNoOutbound(Backend):
    def _describe_queue(self, tx: Transaction, p: Params) -> Result:
        out = super()._describe_queue(tx, p)
        out["Queue"].pop("OutboundEmailConfig", None)
        return out


@fault(
    "queue-any-id",
    "ListQueueEmailAddresses",
    "the queue operations accept any queue id, as if every id were a queue",
    ("QUEUE-013",),
)
class QueueAnyId(Backend):
    def _queue(self, tx: Transaction, p: Params) -> tuple[str, dict[str, Any]]:
        self._instance(tx, p["InstanceId"])
        found = tx.get("queue", p["QueueId"])
        if found is not None and found["InstanceId"] == p["InstanceId"]:
            return p["QueueId"], found
        blank = {"InstanceId": p["InstanceId"], "QueueId": p["QueueId"], "Name": p["QueueId"], "Modified": None}
        blank.update({"QueueArn": p["QueueId"], "HoursOfOperationId": "-", "Status": "ENABLED"})
        blank.update({"EmailAddressIds": [], "OutboundEmailAddressId": None})
        return p["QueueId"], blank


@fault(
    "list-queues-first-page-only",
    "ListQueues",
    "ListQueues answers the first page without a NextToken",
    ("QUEUE-014",),
)
class ListQueuesFirstPageOnly(Backend):
    def _list_queues(self, tx: Transaction, p: Params) -> Result:
        return {**super()._list_queues(tx, p), "NextToken": None}


@fault(
    "search-queues-ignores-tags",
    "SearchQueues",
    "SearchQueues ignores the SearchFilter's TagFilter",
    ("QUEUE-015",),
)
class SearchQueuesIgnoresTags(Backend):
    def _search_queues(self, tx: Transaction, p: Params) -> Result:
        return super()._search_queues(tx, {k: v for k, v in p.items() if k != "SearchFilter"})


# -- flows and their bindings ------------------------------------------------------------------------


@fault(
    "create-flow-wrong-checksum",
    "CreateContactFlow",
    "FlowContentSha256 is not the SHA-256 of the content",
    ("FLOW-001",),
)
class CreateFlowWrongChecksum(Backend):
    def _create_contact_flow(self, tx: Transaction, p: Params) -> Result:
        return {**super()._create_contact_flow(tx, p), "FlowContentSha256": "0" * 64}


@fault(
    "create-flow-unvalidated",
    "CreateContactFlow",
    "a PUBLISHED flow's content is not validated",
    ("FLOW-002",),
)
class CreateFlowUnvalidated(Backend):
    @staticmethod
    def _flow_problem(content: str) -> str | None:
        return None


@fault(
    "describe-flow-ignores-saved",
    "DescribeContactFlow",
    "a SAVED flow is described by its id as if published",
    ("FLOW-003",),
)
class DescribeFlowIgnoresSaved(Backend):
    def _describe_contact_flow(self, tx: Transaction, p: Params) -> Result:
        flow_id = p["ContactFlowId"].partition(":")[0]
        return super()._describe_contact_flow(tx, {**p, "ContactFlowId": f"{flow_id}:$SAVED"})


@fault(
    "start-contact-any-flow",
    "StartEmailContact",
    "StartEmailContact accepts a ContactFlowId that names no flow",
    ("FLOW-005",),
)
class StartContactAnyFlow(Backend):
    def _start_email_contact(self, tx: Transaction, p: Params) -> Result:
        return super()._start_email_contact(tx, {k: v for k, v in p.items() if k != "ContactFlowId"})


@fault(
    "associate-flow-keeps-first",
    "AssociateFlow",
    "binding an address to another flow keeps the first binding",
    ("FLOWASSOC-001",),
)
class AssociateFlowKeepsFirst(Backend):
    def _associate_flow(self, tx: Transaction, p: Params) -> Result:
        address = self._flow_resource(tx, p["InstanceId"], p["ResourceId"], p["ResourceType"])
        if tx.get("flowassoc", f"{address['EmailAddressId']}/{p['ResourceType']}") is not None:
            return {}
        return super()._associate_flow(tx, p)


@fault(
    "associate-flow-any-flow",
    "AssociateFlow",
    "an address is bound to a flow that does not exist",
    ("FLOWASSOC-005",),
)
class AssociateFlowAnyFlow(Backend):
    def _flow(self, tx: Transaction, instance_id: str, flow: str) -> dict[str, Any]:
        try:
            return super()._flow(tx, instance_id, flow)
        except ServiceError:
            return {"Id": flow, "Arn": flow, "InstanceId": instance_id}


@fault(
    "disassociate-flow-quietly",
    "DisassociateFlow",
    "disassociating a binding that does not exist answers 200",
    ("FLOWASSOC-002",),
)
class DisassociateFlowQuietly(Backend):
    def _disassociate_flow(self, tx: Transaction, p: Params) -> Result:
        try:
            return super()._disassociate_flow(tx, p)
        except ServiceError as error:
            if error.code != "ResourceNotFoundException":
                raise
            return {}


@fault(
    "list-flow-associations-ignores-type",
    "ListFlowAssociations",
    "ListFlowAssociations ignores its ResourceType filter",
    ("FLOWASSOC-003",),
)
class ListFlowAssociationsIgnoresType(Backend):
    def _list_flow_associations(self, tx: Transaction, p: Params) -> Result:
        return super()._list_flow_associations(tx, {k: v for k, v in p.items() if k != "ResourceType"})


@fault(
    "batch-get-flows-answers-all",
    "BatchGetFlowAssociation",
    "BatchGetFlowAssociation answers every binding of the instance, not only the named resources'",
    ("FLOWASSOC-004",),
)
class BatchGetFlowsAnswersAll(Backend):
    def _batch_get_flow_association(self, tx: Transaction, p: Params) -> Result:
        listed = self._list_flow_associations(tx, {"InstanceId": p["InstanceId"], "MaxResults": 1000})
        return {"FlowAssociationSummaryList": listed["FlowAssociationSummaryList"]}


@fault(
    "deleted-address-keeps-flows",
    "GetFlowAssociation",
    "deleting an address leaves its flow bindings listed",
    ("FLOWASSOC-006",),
)
class DeletedAddressKeepsFlows(Backend):
    def _delete_email_address(self, tx: Transaction, p: Params) -> Result:
        kept = [(k, r) for k, r in tx.find("flowassoc", p["InstanceId"])]
        out = super()._delete_email_address(tx, p)
        for key, record in kept:
            tx.put("flowassoc", key, record, parent=p["InstanceId"])
        return out


# -- a contact's life ----------------------------------------------------------------------------------


@fault(
    "update-contact-cc-never-cleared",
    "UpdateContact",
    "an empty CcEmailAddresses list leaves the CC recipients as they were",
    ("LIFE-002",),
)
class UpdateContactCcNeverCleared(Backend):
    def _update_contact(self, tx: Transaction, p: Params) -> Result:
        cc = (p.get("AdditionalRecipients") or {}).get("CcEmailAddresses")
        if cc == []:
            p = {k: v for k, v in p.items() if k != "AdditionalRecipients"} | {"Name": "unchanged"}
        return super()._update_contact(tx, p)


@fault(
    "update-contact-replaces-references",
    "UpdateContact",
    "UpdateContact's References replace the contact's references instead of adding to them",
    ("LIFE-001",),
)
class UpdateContactReplacesReferences(Backend):
    def _update_contact(self, tx: Transaction, p: Params) -> Result:
        if "References" in p:
            record = self._contact(tx, p["InstanceId"], p["ContactId"])
            record["References"] = None
            tx.put("contact", record["Id"], record, parent=p["InstanceId"])
        return super()._update_contact(tx, p)


@fault(
    "stop-contact-forgets-reason",
    "StopContact",
    "a stopped contact is described without its DisconnectReason",
    ("LIFE-004",),
)
class StopContactForgetsReason(Backend):
    def _stop_contact(self, tx: Transaction, p: Params) -> Result:
        return super()._stop_contact(tx, {k: v for k, v in p.items() if k != "DisconnectReason"})


@fault(
    "transfer-contact-no-queue",
    "TransferContact",
    "the transferred contact is not queued in the queue it was transferred to",
    ("LIFE-006",),
)
class TransferContactNoQueue(Backend):
    def _transfer_contact(self, tx: Transaction, p: Params) -> Result:
        out = super()._transfer_contact(tx, p)
        moved = tx.get("contact", out["ContactId"])
        if moved is not None:
            moved["QueueInfo"] = None
            tx.put("contact", moved["Id"], moved, parent=p["InstanceId"])
        return out


@fault(
    "transfer-contact-ended",
    "TransferContact",
    "a contact that has ended is transferred",
    ("LIFE-007",),
)
class TransferContactEnded(Backend):
    def _transfer_contact(self, tx: Transaction, p: Params) -> Result:
        record = self._contact(tx, p["InstanceId"], p["ContactId"])
        if record.get("DisconnectTimestamp") is not None:
            record["DisconnectTimestamp"] = None
            tx.put("contact", record["Id"], record, parent=p["InstanceId"])
        return super()._transfer_contact(tx, p)


@fault(
    "associated-contacts-one-level",
    "ListAssociatedContacts",
    "ListAssociatedContacts lists only the contacts linked directly to the one asked about",
    ("LIFE-008",),
)
class AssociatedContactsOneLevel(Backend):
    def _list_associated_contacts(self, tx: Transaction, p: Params) -> Result:
        out = super()._list_associated_contacts(tx, {**p, "MaxResults": 100, "NextToken": None})
        record = self._contact(tx, p["InstanceId"], p["ContactId"])
        near = {record["Id"], record.get("RelatedContactId"), record.get("PreviousContactId")}
        kept = [
            c
            for c in out["ContactSummaryList"]
            if c["ContactId"] in near or record["Id"] in (c.get("RelatedContactId"), c.get("PreviousContactId"))
        ]
        return {"ContactSummaryList": kept}


@fault(
    "references-ignore-types",
    "ListContactReferences",
    "ListContactReferences answers every reference, whatever ReferenceTypes asks for",
    ("LIFE-009",),
)
class ReferencesIgnoreTypes(Backend):
    def _list_contact_references(self, tx: Transaction, p: Params) -> Result:
        return super()._list_contact_references(tx, {**p, "ReferenceTypes": list(self._REFERENCE_MEMBERS)})


# -- attached files ------------------------------------------------------------------------------------


@fault(
    "upload-forgets-size",
    "StartAttachedFileUpload",
    "the file's FileSizeInBytes is not kept",
    ("FILE-001",),
)
class UploadForgetsSize(Backend):
    def _start_attached_file_upload(self, tx: Transaction, p: Params) -> Result:
        out = super()._start_attached_file_upload(tx, p)
        record = tx.get("file", out["FileId"])
        if record is not None:
            record["FileSizeInBytes"] = 1
            tx.put("file", out["FileId"], record, parent=p["InstanceId"])
        return out


@fault(
    "upload-any-use-case",
    "StartAttachedFileUpload",
    "a file of another use case than ATTACHMENT is uploaded",
    ("FILE-006",),
)
class UploadAnyUseCase(Backend):
    UPLOADABLE = ("ATTACHMENT", "VOICE_RECORDING", "CONTACT_ANALYSIS")


@fault(
    "complete-upload-keeps-processing",
    "CompleteAttachedFileUpload",
    "a completed upload stays PROCESSING (never downloadable)",
    ("FILE-002",),
)
class CompleteUploadKeepsProcessing(Backend):
    def _complete_attached_file_upload(self, tx: Transaction, p: Params) -> Result:
        self._file(tx, p)
        return {}


@fault(
    "get-file-any-contact",
    "GetAttachedFile",
    "a file is found under any contact of the instance",
    ("FILE-003",),
)
class GetFileAnyContact(Backend):
    def _get_attached_file(self, tx: Transaction, p: Params) -> Result:
        found = tx.get("file", p["FileId"])
        if found is not None:
            p = {**p, "AssociatedResourceArn": found["AssociatedResourceArn"]}
        return super()._get_attached_file(tx, p)


@fault(
    "batch-files-drop-errors",
    "BatchGetAttachedFileMetadata",
    "the batch leaves out the ids it does not find instead of answering them as errors",
    ("FILE-004",),
)
class BatchFilesDropErrors(Backend):
    def _batch_get_attached_file_metadata(self, tx: Transaction, p: Params) -> Result:
        return {**super()._batch_get_attached_file_metadata(tx, p), "Errors": []}


@fault(
    "delete-file-keeps-it",
    "DeleteAttachedFile",
    "DeleteAttachedFile answers 200 and keeps the file",
    ("FILE-005",),
)
class DeleteFileKeepsIt(Backend):
    def _delete_attached_file(self, tx: Transaction, p: Params) -> Result:
        self._file(tx, p)
        return {}


@fault(
    "message-file-unknown",
    "GetAttachedFile",
    "the EMAIL_MESSAGE file an email contact's reference names is not found",
    ("FILE-007",),
)
class MessageFileUnknown(Backend):
    def _message_file(self, contact: Any) -> dict[str, Any] | None:
        return None


# -- every operation -------------------------------------------------------------------------------------


@fault(
    "invalid-queue-requests-500",
    "CreateQueue",
    "a CreateQueue request that breaks its contract is answered 500 (InternalServiceException)",
    ("PROTO-006",),
)
class InvalidQueueRequests500(Backend):
    def _validate(self, operation: str, params: Params) -> None:
        try:
            super()._validate(operation, params)
        except ServiceError as error:
            if operation == "CreateQueue":
                raise ServiceError("InternalServiceException", "internal error") from error
            raise


@fault(
    "invalid-tag-requests-accepted",
    "UntagResource",
    "an UntagResource request that breaks its contract is answered 200",
    ("PROTO-006",),
)
class InvalidTagRequestsAccepted(Backend):
    def _validate(self, operation: str, params: Params) -> None:
        if operation != "UntagResource":
            super()._validate(operation, params)

    def _untag_resource(self, tx: Transaction, p: Params) -> Result:
        return {}


@fault(
    "flows-listed-after-instance",
    "DeleteInstance",
    "after DeleteInstance, ListFlowAssociations of its id answers an empty list instead of 404",
    ("SCOPE-004",),
)
class FlowsListedAfterInstance(Backend):
    def _list_flow_associations(self, tx: Transaction, p: Params) -> Result:
        if not tx.exists("instance", p["InstanceId"]):
            return {"FlowAssociationSummaryList": []}
        return super()._list_flow_associations(tx, p)


@fault(
    "delete-contact-data-keeps-endpoint",
    "DeleteContactData",
    "DeleteContactData answers 200 and keeps the customer endpoint",
    ("LIFE-010",),
)
class DeleteContactDataKeepsEndpoint(Backend):
    def _delete_contact_data(self, tx: Transaction, p: Params) -> Result:
        fields = [f for f in p["ContactFields"] if f != "CUSTOMER_ENDPOINT"] or ["ADDITIONAL_EMAIL_RECIPIENTS"]
        return super()._delete_contact_data(tx, {**p, "ContactFields": fields})


@fault(
    "delete-contact-data-while-active",
    "DeleteContactData",
    "the PII of a contact that has not ended is deleted",
    ("LIFE-011",),
)
class DeleteContactDataWhileActive(Backend):
    def _delete_contact_data(self, tx: Transaction, p: Params) -> Result:
        record = self._contact(tx, p["InstanceId"], p["ContactId"])
        if record.get("DisconnectTimestamp") is None:
            record["CustomerEndpoint"] = None
            tx.put("contact", record["Id"], record, parent=p["InstanceId"])
            return {}
        return super()._delete_contact_data(tx, p)
