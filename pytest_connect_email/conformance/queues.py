"""Conformance checks of a queue's email addresses: AssociateQueueEmailAddresses,
DisassociateQueueEmailAddresses, ListQueueEmailAddresses and UpdateQueueOutboundEmailConfig.

Each check works on ``connect_queue_id`` (a fresh queue id per check in emulator mode) with addresses it
creates, and undoes at teardown what it changed on the queue: its associations and the queue's default
outbound address.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from pytest_connect_email.conformance import check
from pytest_connect_email.conformance.support import Address, answer_code, every_item, model_has

MISSING_ADDRESS_ID = "00000000-0000-4000-8000-00000000a404"


class Queue:
    """One queue of the instance, remembering what a check changed so that it can be undone."""

    def __init__(self, client: Any, instance_id: str, queue_id: str) -> None:
        self.client, self.instance_id, self.id = client, instance_id, queue_id
        self.associated: set[str] = set()
        self.default_before: str | None = None
        self.default_changed = False

    def associate(self, *address_ids: str, client: Any = None) -> Any:
        answer = (client or self.client).associate_queue_email_addresses(
            InstanceId=self.instance_id,
            QueueId=self.id,
            EmailAddressesConfig=[{"EmailAddressId": i} for i in address_ids],
        )
        self.associated.update(address_ids)
        return answer

    def disassociate(self, *address_ids: str) -> Any:
        answer = self.client.disassociate_queue_email_addresses(
            InstanceId=self.instance_id, QueueId=self.id, EmailAddressesId=list(address_ids)
        )
        self.associated.difference_update(address_ids)
        return answer

    def set_default(self, address_id: str | None) -> Any:
        if not self.default_changed:
            self.default_before = next((i for i, flag in self.listing().items() if flag), None)
        answer = self.client.update_queue_outbound_email_config(
            InstanceId=self.instance_id,
            QueueId=self.id,
            OutboundEmailConfig={"OutboundEmailAddressId": address_id} if address_id else {},
        )
        self.default_changed = True
        return answer

    def pages(self, **extra: Any) -> Iterator[dict[str, Any]]:
        token: str | None = None
        while True:
            page = self.client.list_queue_email_addresses(
                InstanceId=self.instance_id, QueueId=self.id, **extra, **({"NextToken": token} if token else {})
            )
            yield page
            token = page.get("NextToken")
            if not token:
                return

    def listing(self) -> dict[str, bool]:
        """Every listed address id, with its ``IsDefaultOutboundEmail`` flag."""
        return {
            item["Id"]: bool(item.get("IsDefaultOutboundEmail"))
            for page in self.pages()
            for item in page.get("EmailAddressMetadataList", [])
        }

    def restore(self) -> None:
        if self.associated:
            with contextlib.suppress(Exception):  # already gone with a deleted address
                self.disassociate(*sorted(self.associated))
        if self.default_changed:
            with contextlib.suppress(Exception):
                self.client.update_queue_outbound_email_config(
                    InstanceId=self.instance_id,
                    QueueId=self.id,
                    OutboundEmailConfig={"OutboundEmailAddressId": self.default_before} if self.default_before else {},
                )


@pytest.fixture
def queue(
    connect_client: Any, connect_instance_id: str, connect_queue_id: str, email_address: Callable[..., Address]
) -> Iterator[Queue]:
    """The check's queue; what the check associated, and its default outbound address, are undone at teardown
    (before the check's addresses are deleted)."""
    used = Queue(connect_client, connect_instance_id, connect_queue_id)
    yield used
    used.restore()


# -- association and listing -----------------------------------------------------------------------


@check(
    "QUEUE-001",
    "AssociateQueueEmailAddresses",
    'Associates a set of email addresses with a queue to enable agents to select different "From" (system) email '
    "addresses when replying to inbound email contacts or initiating outbound email contacts.",
)
def test_associated_addresses_are_listed(queue: Queue, email_address: Callable[..., Address]) -> None:
    """Associated addresses are listed with their ARNs, none of them the default outbound address."""
    first, second = email_address(), email_address()
    answer = queue.associate(first.id, second.id)
    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 200
    items = [item for page in queue.pages() for item in page.get("EmailAddressMetadataList", [])]
    mine = {item["Id"]: item for item in items if item["Id"] in (first.id, second.id)}
    assert set(mine) == {first.id, second.id}
    assert mine[first.id]["Arn"] == first.arn
    assert mine[second.id]["Arn"] == second.arn
    assert [item.get("IsDefaultOutboundEmail") for item in mine.values()] == [False, False]


@check(
    "QUEUE-002",
    "AssociateQueueEmailAddresses",
    "The email addresses must already exist in the Connect Customer instance before they can be associated with a "
    "queue.",
)
def test_associating_an_unknown_address(queue: Queue, email_address: Callable[..., Address]) -> None:
    """An unknown address id is not found, and the known address of the same request is not associated."""
    known = email_address()
    status, code = answer_code(lambda: queue.associate(known.id, MISSING_ADDRESS_ID))
    assert (status, code) == (404, "ResourceNotFoundException")
    listed = queue.listing()
    assert known.id not in listed, "a refused association must apply nothing of its request"
    assert MISSING_ADDRESS_ID not in listed


@check(
    "QUEUE-003",
    "AssociateQueueEmailAddresses",
    "You can associate up to 49 additional email addresses with a single queue, plus 1 default outbound email "
    "address, for a total of 50.",
)
def test_fifty_addresses_per_queue(queue: Queue, email_address: Callable[..., Address]) -> None:
    """49 associated addresses plus a distinct default are all listed; one more association is refused."""
    if queue.listing():
        pytest.skip("QUEUE-003 fills a queue to its limit: it needs a queue without email addresses")
    default, *associated = [email_address() for _ in range(50)]
    queue.set_default(default.id)
    queue.associate(*(a.id for a in associated))
    full = queue.listing()
    assert len(full) == 50, f"expected 49 associated plus the default, got {len(full)}"
    assert full[default.id] is True
    extra = email_address()
    status, code = answer_code(lambda: queue.associate(extra.id))
    assert 400 <= status < 500, f"a 51st address must be refused with a client error, got {status} {code}"
    assert queue.listing() == full, "a refused association must leave the queue's listing unchanged"


@check(
    "QUEUE-004",
    "ListQueueEmailAddresses",
    "The list includes both explicitly associated email addresses and any default outbound email address "
    "configured for the queue.",
)
def test_the_default_outbound_address_is_listed(queue: Queue, email_address: Callable[..., Address]) -> None:
    """The default outbound address is listed, flagged IsDefaultOutboundEmail, beside the associated ones."""
    default, associated = email_address(), email_address()
    queue.associate(associated.id)
    queue.set_default(default.id)
    listed = queue.listing()
    assert listed.get(default.id) is True
    assert listed.get(associated.id) is False
    assert [flag for flag in listed.values() if flag] == [True], "exactly one address is the default"


@check(
    "QUEUE-005",
    "ListQueueEmailAddresses",
    "AWS API convention: MaxResults caps the number of items of a page, and following NextToken until it is absent "
    "returns every item exactly once.",
)
def test_pagination(queue: Queue, email_address: Callable[..., Address]) -> None:
    """Pages hold at most MaxResults items and the NextToken chain returns every address exactly once."""
    made = [email_address().id for _ in range(5)]
    queue.associate(*made)
    pages = list(queue.pages(MaxResults=2))
    sizes = [len(page.get("EmailAddressMetadataList", [])) for page in pages]
    assert all(size <= 2 for size in sizes), f"page sizes {sizes} exceed MaxResults 2"
    seen = [item["Id"] for page in pages for item in page.get("EmailAddressMetadataList", [])]
    assert len(pages) >= 3, f"5 addresses at 2 per page need at least 3 pages, got {sizes}"
    assert sorted(i for i in seen if i in made) == sorted(made), "every address exactly once"
    assert len(seen) == len(set(seen)), "no address on two pages"


# -- the default outbound address ------------------------------------------------------------------


@check(
    "QUEUE-006",
    "UpdateQueueOutboundEmailConfig",
    "model: ResourceNotFoundException (404) — The specified resource was not found.",
)
def test_unknown_default_outbound_address(queue: Queue) -> None:
    """An unknown address cannot become the default outbound address: not found, and the queue is unchanged."""
    before = queue.listing()
    status, code = answer_code(lambda: queue.set_default(MISSING_ADDRESS_ID))
    assert (status, code) == (404, "ResourceNotFoundException")
    assert queue.listing() == before


@check("QUEUE-007", "UpdateQueueOutboundEmailConfig", "Updates the outbound email address Id for a specified queue.")
def test_changing_the_default_moves_the_flag(queue: Queue, email_address: Callable[..., Address]) -> None:
    """A new default outbound address takes the IsDefaultOutboundEmail flag from the previous one."""
    first, second = email_address(), email_address()
    queue.set_default(first.id)
    assert queue.listing().get(first.id) is True
    queue.set_default(second.id)
    listed = queue.listing()
    assert listed.get(second.id) is True
    assert first.id not in listed or listed[first.id] is False, "the previous default is no longer flagged"
    assert [flag for flag in listed.values() if flag] == [True]


# -- disassociation and deletion -------------------------------------------------------------------


@check(
    "QUEUE-008",
    "DisassociateQueueEmailAddresses",
    "The email addresses themselves are not deleted from the instance, only their availability for agent selection "
    "in this queue is removed.",
)
def test_disassociation_keeps_the_address(
    queue: Queue, connect_client: Any, connect_instance_id: str, email_address: Callable[..., Address]
) -> None:
    """A disassociated address leaves the queue's listing and remains an address of the instance."""
    gone, kept = email_address(), email_address()
    queue.associate(gone.id, kept.id)
    answer = queue.disassociate(gone.id)
    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 200
    listed = queue.listing()
    assert gone.id not in listed
    assert kept.id in listed, "only the disassociated address leaves the queue"
    shown = connect_client.describe_email_address(InstanceId=connect_instance_id, EmailAddressId=gone.id)
    assert shown["EmailAddress"] == gone.address


@check(
    "QUEUE-009",
    "DisassociateQueueEmailAddresses",
    "AWS API convention: removing an association that does not exist answers ResourceNotFoundException (404).",
)
def test_disassociating_what_is_not_associated(queue: Queue, email_address: Callable[..., Address]) -> None:
    """Disassociating an address of the instance that the queue does not have is not found."""
    stranger = email_address()
    status, code = answer_code(lambda: queue.disassociate(stranger.id))
    assert (status, code) == (404, "ResourceNotFoundException")


@check(
    "QUEUE-010",
    "ListQueueEmailAddresses",
    "AWS API convention: what is deleted is gone from everything that referred to it.",
)
def test_a_deleted_address_leaves_the_queue(
    queue: Queue, connect_client: Any, connect_instance_id: str, email_address: Callable[..., Address]
) -> None:
    """Deleting an associated address (and a default outbound one) removes it from the queue's listing."""
    associated, default, kept = email_address(), email_address(), email_address()
    queue.associate(associated.id, kept.id)
    queue.set_default(default.id)
    for address in (associated, default):
        connect_client.delete_email_address(InstanceId=connect_instance_id, EmailAddressId=address.id)
    queue.associated.discard(associated.id)
    listed = queue.listing()
    assert associated.id not in listed
    assert default.id not in listed
    assert kept.id in listed


# -- hours of operation and queues themselves ------------------------------------------------------

MISSING_ID = "00000000-0000-4000-8000-00000000b404"
NOT_FOUND = (404, "ResourceNotFoundException")
OFFICE = [
    {"Day": "MONDAY", "StartTime": {"Hours": 8, "Minutes": 0}, "EndTime": {"Hours": 17, "Minutes": 30}},
    {"Day": "FRIDAY", "StartTime": {"Hours": 9, "Minutes": 15}, "EndTime": {"Hours": 12, "Minutes": 0}},
]


def new_hours(client: Any, instance_id: str, name: str, **extra: Any) -> dict[str, Any]:
    return dict(
        client.create_hours_of_operation(
            InstanceId=instance_id, Name=name, TimeZone="Europe/Berlin", Config=OFFICE, **extra
        )
    )


def queue_pages(client: Any, operation: str, member: str, **params: Any) -> list[dict[str, Any]]:
    """Every item of a ListQueues or SearchQueues, following NextToken."""
    return every_item(getattr(client, operation), member, **params)


@check(
    "HOURS-001",
    "CreateHoursOfOperation",
    "Creates hours of operation. DescribeHoursOfOperation: Describes the hours of operation. AWS API convention: "
    "what is created can be described, with the values it was created with.",
)
def test_hours_read_back(connect_client: Any, connect_instance_id: str, unique: Callable[[], str]) -> None:
    """Created hours are described with their name, description, time zone, config and tags."""
    name = f"hours-{unique()[:10]}"
    made = new_hours(connect_client, connect_instance_id, name, Description="Bürozeiten", Tags={"team": "care"})
    shown = connect_client.describe_hours_of_operation(
        InstanceId=connect_instance_id, HoursOfOperationId=made["HoursOfOperationId"]
    )["HoursOfOperation"]
    assert (shown["HoursOfOperationId"], shown["HoursOfOperationArn"]) == (
        made["HoursOfOperationId"],
        made["HoursOfOperationArn"],
    )
    assert (shown["Name"], shown.get("Description"), shown["TimeZone"]) == (name, "Bürozeiten", "Europe/Berlin")
    assert shown["Config"] == OFFICE
    assert shown.get("Tags") == {"team": "care"}


@check(
    "HOURS-002",
    "DescribeHoursOfOperation",
    "AWS API convention: what is unknown is ResourceNotFoundException (404); ids of one instance are not found "
    "under another.",
)
def test_unknown_hours_are_not_found(
    connect_client: Any, connect_instance_id: str, make_instance: Any, unique: Callable[[], str]
) -> None:
    """An hours id never made, and one of another instance, are 404."""
    made = new_hours(connect_client, connect_instance_id, f"hours-{unique()[:10]}")
    other = make_instance()["Id"]
    for instance, hours in ((connect_instance_id, MISSING_ID), (other, made["HoursOfOperationId"])):
        describe = functools.partial(
            connect_client.describe_hours_of_operation, InstanceId=instance, HoursOfOperationId=hours
        )
        assert answer_code(describe) == NOT_FOUND


@check(
    "QUEUE-011",
    "CreateQueue",
    "Creates a new queue for the specified Connect Customer instance. DescribeQueue: Describes the specified "
    "queue. AWS API convention: what is created can be described, with the values it was created with.",
)
def test_a_created_queue_reads_back(
    connect_client: Any, connect_instance_id: str, email_address: Callable[..., Address], unique: Callable[[], str]
) -> None:
    """A queue made with hours, a description, an outbound address, associated addresses and tags is described
    with them, and ListQueueEmailAddresses lists its addresses."""
    name = f"queue-{unique()[:10]}"
    hours = new_hours(connect_client, connect_instance_id, name)["HoursOfOperationId"]
    outbound, member = email_address(), email_address()
    # An older model's CreateQueue has no EmailAddressesConfig: the member is then associated afterwards.
    members = (
        {"EmailAddressesConfig": [{"EmailAddressId": member.id}]}
        if model_has("CreateQueue", "EmailAddressesConfig")
        else {}
    )
    made = connect_client.create_queue(
        InstanceId=connect_instance_id,
        Name=name,
        Description="Kundendienst",
        HoursOfOperationId=hours,
        OutboundEmailConfig={"OutboundEmailAddressId": outbound.id},
        Tags={"team": "care"},
        **members,
    )
    if not members:
        Queue(connect_client, connect_instance_id, made["QueueId"]).associate(member.id)
    shown = connect_client.describe_queue(InstanceId=connect_instance_id, QueueId=made["QueueId"])["Queue"]
    assert (shown["QueueId"], shown["QueueArn"], shown["Name"]) == (made["QueueId"], made["QueueArn"], name)
    assert (shown.get("Description"), shown["HoursOfOperationId"]) == ("Kundendienst", hours)
    assert shown.get("OutboundEmailConfig") == {"OutboundEmailAddressId": outbound.id}
    assert shown.get("Tags") == {"team": "care"}
    listed = Queue(connect_client, connect_instance_id, made["QueueId"]).listing()
    assert listed == {outbound.id: True, member.id: False}


@check(
    "QUEUE-012",
    "CreateQueue",
    "HoursOfOperationId: The identifier for the hours of operation. AWS API convention: a reference to a resource "
    "that does not exist is ResourceNotFoundException (404), and nothing is created.",
)
def test_a_queue_needs_real_hours_and_addresses(
    connect_client: Any, connect_instance_id: str, email_address: Callable[..., Address], unique: Callable[[], str]
) -> None:
    """Unknown hours, an unknown outbound address or an unknown member address is 404; no queue is made."""
    name = f"queue-{unique()[:10]}"
    hours = new_hours(connect_client, connect_instance_id, name)["HoursOfOperationId"]
    base = {"InstanceId": connect_instance_id, "Name": name}
    for extra in (
        {"HoursOfOperationId": MISSING_ID},
        {"HoursOfOperationId": hours, "OutboundEmailConfig": {"OutboundEmailAddressId": MISSING_ID}},
        *(
            [{"HoursOfOperationId": hours, "EmailAddressesConfig": [{"EmailAddressId": MISSING_ID}]}]
            if model_has("CreateQueue", "EmailAddressesConfig")
            else []
        ),
    ):
        assert answer_code(functools.partial(connect_client.create_queue, **base, **extra)) == NOT_FOUND, extra
    found = queue_pages(
        connect_client,
        "search_queues",
        "Queues",
        InstanceId=connect_instance_id,
        SearchCriteria={"StringCondition": {"FieldName": "name", "Value": name, "ComparisonType": "EXACT"}},
    )
    assert found == []


@check(
    "QUEUE-013",
    "DescribeQueue",
    "AWS API convention: what is unknown is ResourceNotFoundException (404), for every operation that names it; "
    "ids of one instance are not found under another.",
)
def test_an_unknown_queue_is_not_found(
    connect_client: Any, connect_instance_id: str, connect_queue_id: str, make_instance: Any, email_address: Any
) -> None:
    """A queue id never made is 404 for the queue operations, and so is a queue id under another instance."""
    address = email_address()
    other = make_instance()["Id"]
    for instance, queue_id in ((connect_instance_id, MISSING_ID), (other, connect_queue_id)):
        ids = {"InstanceId": instance, "QueueId": queue_id}
        calls: tuple[tuple[str, dict[str, Any]], ...] = (
            ("describe_queue", {}),
            ("list_queue_email_addresses", {}),
            ("associate_queue_email_addresses", {"EmailAddressesConfig": [{"EmailAddressId": address.id}]}),
            ("update_queue_outbound_email_config", {"OutboundEmailConfig": {}}),
        )
        for method, extra in calls:
            call = functools.partial(getattr(connect_client, method), **ids, **extra)
            assert answer_code(call) == NOT_FOUND, (instance, queue_id)


@check(
    "QUEUE-014",
    "ListQueues",
    "Provides information about the queues for the specified Connect Customer instance. AWS API convention: "
    "what is created is listed, and pages return every item exactly once.",
)
def test_queues_are_listed_page_by_page(
    connect_client: Any, connect_instance_id: str, unique: Callable[[], str]
) -> None:
    """Three new queues are each listed once, as STANDARD queues, over pages of one."""
    name = f"queue-{unique()[:10]}"
    hours = new_hours(connect_client, connect_instance_id, name)["HoursOfOperationId"]
    made = [
        connect_client.create_queue(InstanceId=connect_instance_id, Name=f"{name}-{n}", HoursOfOperationId=hours)
        for n in range(3)
    ]
    listed = queue_pages(
        connect_client, "list_queues", "QueueSummaryList", InstanceId=connect_instance_id, MaxResults=1
    )
    ids = [item["Id"] for item in listed]
    for queue in made:
        assert ids.count(queue["QueueId"]) == 1
    mine = {item["Id"]: item for item in listed if item["Id"] in {q["QueueId"] for q in made}}
    assert {(item["Name"], item.get("QueueType")) for item in mine.values()} == {
        (f"{name}-{n}", "STANDARD") for n in range(3)
    }
    standard = queue_pages(
        connect_client, "list_queues", "QueueSummaryList", InstanceId=connect_instance_id, QueueTypes=["STANDARD"]
    )
    assert {q["QueueId"] for q in made} <= {item["Id"] for item in standard}


@check(
    "QUEUE-015",
    "SearchQueues",
    "The currently supported values for FieldName are name, description, and resourceID. TagFilter: An object "
    "that can be used to specify Tag conditions inside the SearchFilter.",
)
def test_search_queues_by_name_id_and_tags(
    connect_client: Any, connect_instance_id: str, unique: Callable[[], str]
) -> None:
    """A search by name, by resourceID and by tag finds the queue it names and no other."""
    token = f"q{unique()[:10]}"
    hours = new_hours(connect_client, connect_instance_id, token)["HoursOfOperationId"]
    gold = connect_client.create_queue(
        InstanceId=connect_instance_id, Name=f"{token}-gold", HoursOfOperationId=hours, Tags={"tier": token}
    )
    blue = connect_client.create_queue(InstanceId=connect_instance_id, Name=f"{token}-blue", HoursOfOperationId=hours)

    def found(**params: Any) -> list[str]:
        items = queue_pages(connect_client, "search_queues", "Queues", InstanceId=connect_instance_id, **params)
        return sorted(item["QueueId"] for item in items)

    def condition(field: str, value: str, comparison: str) -> dict[str, Any]:
        return {"StringCondition": {"FieldName": field, "Value": value, "ComparisonType": comparison}}

    assert found(SearchCriteria=condition("name", token, "CONTAINS")) == sorted([gold["QueueId"], blue["QueueId"]])
    assert found(SearchCriteria=condition("name", f"{token}-gold", "EXACT")) == [gold["QueueId"]]
    assert found(SearchCriteria=condition("resourceID", blue["QueueId"], "EXACT")) == [blue["QueueId"]]
    assert found(SearchFilter={"TagFilter": {"TagCondition": {"TagKey": "tier", "TagValue": token}}}) == [
        gold["QueueId"]
    ]
    shown = queue_pages(
        connect_client,
        "search_queues",
        "Queues",
        InstanceId=connect_instance_id,
        SearchCriteria=condition("resourceID", gold["QueueId"], "EXACT"),
    )
    assert [(q["Name"], q["HoursOfOperationId"], q.get("Tags")) for q in shown] == [
        (f"{token}-gold", hours, {"tier": token})
    ]


@check(
    "QUEUE-016",
    "UpdateQueueOutboundEmailConfig",
    "Updates the outbound email address Id for a specified queue. AWS API convention: what is updated reads back "
    "updated, through every read that shows it.",
)
def test_the_outbound_address_reads_back_in_describe_and_search(
    queue: Queue, connect_client: Any, connect_instance_id: str, email_address: Callable[..., Address]
) -> None:
    """The queue's outbound address set by UpdateQueueOutboundEmailConfig is in DescribeQueue and SearchQueues."""
    outbound = email_address()
    queue.set_default(outbound.id)
    shown = connect_client.describe_queue(InstanceId=connect_instance_id, QueueId=queue.id)["Queue"]
    assert shown.get("OutboundEmailConfig") == {"OutboundEmailAddressId": outbound.id}
    searched = queue_pages(
        connect_client,
        "search_queues",
        "Queues",
        InstanceId=connect_instance_id,
        SearchCriteria={"StringCondition": {"FieldName": "resourceID", "Value": queue.id, "ComparisonType": "EXACT"}},
    )
    assert [q.get("OutboundEmailConfig") for q in searched] == [{"OutboundEmailAddressId": outbound.id}]
