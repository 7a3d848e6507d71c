"""The Hypothesis state machine that draws call sequences over the covered operations.

Bundles hold the resources a sequence created (instances, email addresses, alias pairs, contacts,
queues); deletes consume them, and the model keeps the deleted addresses for later calls. Values come
from small pools (a few local parts, display names, descriptions), so that sequences meet the
interesting cases — the same address created again after its deletion, a search for a name an update
just set — within a few steps. The content of a valid StartEmailContact or SendOutboundEmail request
comes from the project's Faker provider, drawn as one seed (it shrinks cheaply); invalid requests come
from :func:`~pytest_connect_email.fakes.strategies.invalid_requests`. Every step runs in lockstep on the
target and the reference emulator (:class:`.lockstep.Lockstep`). After each step that changes
addresses, an invariant lists every instance's addresses on both sides, one per page (compared as any
step), and holds the listing to the model: what is listed is what was created and not deleted, no
address has more than one alias, and every listed alias is a live address.

:func:`explore` runs it with shrinking on (bounded in time), then drops every step the divergence does
not need (:func:`.lockstep.minimise`), and returns the shortest divergence found.
"""

from __future__ import annotations

import contextlib
import functools
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from hypothesis import HealthCheck, Phase, Verbosity, seed, settings
from hypothesis import strategies as st
from hypothesis.database import DirectoryBasedExampleDatabase, ExampleDatabase
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    get_state_machine_test,
    initialize,
    invariant,
    multiple,
    precondition,
    rule,
)

from pytest_connect_email.contracts import spec
from pytest_connect_email.fakes import strategies
from pytest_connect_email.stateful.compare import Excuses
from pytest_connect_email.stateful.lockstep import Divergence, Lockstep, Stats, Step, minimise, ref

#: The operations the machine's rules sequence (and send invalid requests of); these are left to the suite: the
#: contact flows' own reads beyond a binding's, TransferContact (it ends a contact for good, which the rules
#: above do with StopContact), the attached files (they name their contact by an ARN no create answers at
#: its top level) and DeleteContactData.
NOT_SEQUENCED: frozenset[str] = frozenset(
    {
        "DescribeContactFlow",
        "TransferContact",
        "StartAttachedFileUpload",
        "CompleteAttachedFileUpload",
        "GetAttachedFile",
        "BatchGetAttachedFileMetadata",
        "DeleteAttachedFile",
        "DeleteContactData",
    }
)
SEQUENCED_OPERATIONS: tuple[str, ...] = tuple(op for op in spec.OPERATIONS if op not in NOT_SEQUENCED)
#: Tag keys of the sequences' tags, and the flow their addresses are bound to (one action that ends the contact).
TAG_KEYS = ("tier", "team")
FLOW = (
    '{"Version": "2019-10-30", "StartAction": "end", '
    '"Actions": [{"Identifier": "end", "Type": "DisconnectParticipant"}]}'
)
#: The hours of operation a sequence's queues are made on.
OPEN_HOURS = [{"Day": "MONDAY", "StartTime": {"Hours": 8, "Minutes": 0}, "EndTime": {"Hours": 17, "Minutes": 0}}]
#: Live instances and queues of one sequence at most (more only spread its addresses thinner).
MAX_INSTANCES = 2
MAX_QUEUES = 2
#: The invariant lists an instance's addresses one per page: every page boundary is crossed.
INVARIANT_PAGE = 1
LOCAL_PARTS = ("info", "sales", "support")
DISPLAY_NAMES = ("Support", "Sales team", "Help")
DESCRIPTIONS = ("Inbound mail", "Outbound mail")
SEARCH_FIELDS = ("EmailAddress", "DisplayName", "Description")
COMPARISONS = ("EXACT", "STARTS_WITH", "CONTAINS")
CUSTOMER = {"EmailAddress": "customer@example.net", "DisplayName": "Customer"}
AGENT = {"UserId": "00000000-0000-4000-8000-00000000a6e1"}
DRAFT = {"MessageSourceType": "RAW", "RawMessage": {"Body": "Draft", "ContentType": "text/plain"}}
CAMPAIGN = {"CampaignId": "ce-stateful", "OutboundRequestId": "00000000-0000-4000-8000-0000000000c1"}
MESSAGE = {
    "MessageSourceType": "RAW",
    "RawMessage": {"Subject": "Stateful", "Body": "Hello", "ContentType": "text/plain"},
}
#: Members a drawn request must not keep: ids the sequence supplies itself, and client tokens (a token
#: drawn twice would return an earlier sequence's resource, on both sides but with ids of neither).
_SUPPLIED = frozenset(
    {
        "InstanceId",
        "EmailAddressId",
        "ContactId",
        "RelatedContactId",
        "PreviousContactId",
        "ContactFlowId",
        "QueueId",
        "ClientToken",
        "FromEmailAddress",
        "DestinationEmailAddress",
        "EmailAddress",
        "DisplayName",
        "Description",
    }
)
#: Operations whose steps change the addresses of an instance (the listing invariant runs after them).
_CHANGES_ADDRESSES = frozenset(
    {
        "CreateEmailAddress",
        "DeleteEmailAddress",
        "UpdateEmailAddressMetadata",
        "AssociateEmailAddressAlias",
        "DisassociateEmailAddressAlias",
        "DeleteInstance",
    }
)


@dataclass(frozen=True)
class Handle:
    """A resource the sequence created: its symbol, its instance's symbol, and for an address its value."""

    symbol: str
    instance: str = ""
    address: str = ""

    def __repr__(self) -> str:
        return self.symbol


@dataclass(frozen=True)
class Pair:
    """Two addresses the sequence associated (primary, alias)."""

    primary: Handle
    alias: Handle

    def __repr__(self) -> str:
        return f"{self.primary.symbol}+{self.alias.symbol}"


@dataclass
class Options:
    examples: int = 100
    steps: int = 30
    #: Hypothesis's shrinking stops after this long; :func:`.lockstep.minimise` then drops what is left over.
    shrink_seconds: float = 10.0
    seed: int = 0
    #: Where Hypothesis keeps the failing examples it found (``None``: nowhere).
    database: str | None = None
    email_domain: str = "example.com"
    excuses: Excuses = field(default_factory=Excuses)


@dataclass
class Outcome:
    """What :func:`explore` found: the statistics, and the shortest divergence (or ``None``)."""

    stats: Stats
    seed: int
    divergence: Divergence | None = None
    #: Set when the target answered a sequence inconsistently (the divergence did not reproduce).
    flaky: str = ""


#: Seeds of the fake data a step's request starts from (one draw: it shrinks toward seed 0).
FAKE_SEEDS = st.integers(min_value=0, max_value=2**16)


@functools.cache
def _faker() -> Any:
    from faker import Faker

    from pytest_connect_email.fakes import ConnectEmailProvider

    fake = Faker()
    fake.add_provider(ConnectEmailProvider)
    return fake


def _faked(operation: str, seed: int) -> dict[str, Any]:
    """A valid request of ``operation`` from the project's Faker provider, minus the members the sequence
    supplies (the same seed gives the same request)."""
    fake = _faker()
    fake.seed_instance(seed)
    request: dict[str, Any] = getattr(fake, f"{spec.snake_name(operation)}_request")()
    return {k: v for k, v in request.items() if k not in _SUPPLIED}


def build_machine(target: Any, reference: Any, options: Options, stats: Stats) -> type[RuleBasedStateMachine]:
    """The state machine class over ``target`` and ``reference`` (boto3 ``connect`` clients)."""
    run_token = uuid.uuid4().hex[:8]
    counter = iter(range(10**9))

    class ConnectEmailSequences(RuleBasedStateMachine):
        instances = Bundle("instances")
        addresses = Bundle("addresses")
        pairs = Bundle("pairs")
        contacts = Bundle("contacts")
        queues = Bundle("queues")

        def __init__(self) -> None:
            super().__init__()
            stats.sequences += 1
            self.lockstep = Lockstep(target, reference, options.excuses, stats)
            #: instance symbol -> address symbols created and not deleted (as the reference answered).
            self.live: dict[str, dict[str, str]] = {}
            self.dirty = False
            self.queues_made = 0
            #: Addresses deleted.
            self.gone: list[Handle] = []
            #: The symbols of the addresses' ARNs, and of the flow of each instance, once learned or made.
            self.arns: dict[str, str] = {}
            self.flows: dict[str, str] = {}

        # -- helpers ----------------------------------------------------------------------------------

        def step(self, operation: str, params: dict[str, Any], **kw: Any) -> bool:
            """Make a step; whether it succeeded on both sides (a divergence raises)."""
            answers = self.lockstep.run(Step(operation, params, **kw))
            if operation in _CHANGES_ADDRESSES:
                self.dirty = True
            return answers is not None and "Error" not in answers[1] and "Error" not in answers[0]

        def create(self, kind: str, operation: str, params: dict[str, Any], member: str, **handle: str) -> Any:
            symbol = self.lockstep.symbol(kind)
            if self.step(operation, params, creates=(symbol, member)) and self.lockstep.known(symbol):
                return Handle(symbol, **handle)
            return multiple()

        # -- instances --------------------------------------------------------------------------------

        @initialize(target=instances, outbound=st.booleans())
        def first_instance(self, outbound: bool) -> Any:
            return self.create_instance(outbound)

        @precondition(lambda self: len(self.live) < MAX_INSTANCES)
        @rule(target=instances, outbound=st.booleans())
        def create_instance(self, outbound: bool) -> Any:
            alias = f"ce-st-{run_token}-{next(counter)}"
            params = {
                "IdentityManagementType": "CONNECT_MANAGED",
                "InstanceAlias": alias,
                "InboundCallsEnabled": True,
                "OutboundCallsEnabled": outbound,
            }
            found = self.create("instance", "CreateInstance", params, "Id")
            if isinstance(found, Handle):
                self.live[found.symbol] = {}
                return Handle(found.symbol, found.symbol)
            return found

        @rule(instance=instances, listing=st.booleans())
        def read_instances(self, instance: Handle, listing: bool) -> None:
            if listing:
                self.step("ListInstances", {}, own_items="InstanceSummaryList")
            else:
                self.step("DescribeInstance", {"InstanceId": ref(instance.symbol)})

        @precondition(lambda self: len(self.live) >= MAX_INSTANCES)  # one instance is always left
        @rule(instance=consumes(instances))
        def delete_instance(self, instance: Handle) -> None:
            if self.step("DeleteInstance", {"InstanceId": ref(instance.symbol)}):
                self.live.pop(instance.symbol, None)

        # -- email addresses --------------------------------------------------------------------------

        @rule(
            target=addresses,
            instance=instances,
            local=st.sampled_from(LOCAL_PARTS),
            name=st.none() | st.sampled_from(DISPLAY_NAMES),
            description=st.none() | st.sampled_from(DESCRIPTIONS),
            data=st.data(),
        )
        def create_email_address(
            self, instance: Handle, local: str, name: str | None, description: str | None, data: st.DataObject
        ) -> Any:
            address = f"{local}@{options.email_domain}"
            params = {"InstanceId": ref(instance.symbol), "EmailAddress": address}
            if name is not None:
                params["DisplayName"] = name
            if description is not None:
                params["Description"] = description
            found = self.create(
                "address", "CreateEmailAddress", params, "EmailAddressId", instance=instance.symbol, address=address
            )
            if isinstance(found, Handle) and instance.symbol in self.live:
                self.live[instance.symbol][found.symbol] = address
            return found

        @rule(address=addresses, data=st.data())
        def describe_email_address(self, address: Handle, data: st.DataObject) -> None:
            deleted: Handle | None = data.draw(st.none() | st.sampled_from(self.gone or [address]), label="deleted")
            if deleted is not None and self.gone:
                address = deleted
            self.step(
                "DescribeEmailAddress", {"InstanceId": ref(address.instance), "EmailAddressId": ref(address.symbol)}
            )

        def _arn_of(self, address: Handle) -> str:
            """The symbol of the address's ARN, learned once from DescribeEmailAddress (tags and flow bindings
            name an address by its ARN); kept after the address is deleted, as a caller would keep it."""
            if address.symbol not in self.arns:
                symbol = self.lockstep.symbol("arn")
                self.arns[address.symbol] = symbol
                params = {"InstanceId": ref(address.instance), "EmailAddressId": ref(address.symbol)}
                self.step("DescribeEmailAddress", params, creates=(symbol, "EmailAddressArn"))
            return self.arns[address.symbol]

        @rule(address=addresses, tag=st.sampled_from(TAG_KEYS), untag=st.none() | st.sampled_from(TAG_KEYS))
        def address_tags(self, address: Handle, tag: str, untag: str | None) -> None:
            """An address tagged (and maybe untagged, the same key or another), then its tags listed."""
            arn = ref(self._arn_of(address))
            self.step("TagResource", {"resourceArn": arn, "tags": {tag: "on"}})
            if untag is not None:
                self.step("UntagResource", {"resourceArn": arn, "tagKeys": [untag]})
            self.step("ListTagsForResource", {"resourceArn": arn})

        def _flow_of(self, instance: str) -> str:
            """The symbol of the flow the sequence made in ``instance`` (made at its first binding)."""
            if instance not in self.flows:
                symbol = self.lockstep.symbol("flow")
                self.flows[instance] = symbol
                params = {"InstanceId": ref(instance), "Name": symbol, "Type": "CONTACT_FLOW", "Content": FLOW}
                self.step("CreateContactFlow", params, creates=(symbol, "ContactFlowId"))
            return self.flows[instance]

        @rule(
            address=addresses,
            operation=st.sampled_from(
                (
                    "AssociateFlow",
                    "GetFlowAssociation",
                    "DisassociateFlow",
                    "ListFlowAssociations",
                    "BatchGetFlowAssociation",
                )
            ),
            kind=st.sampled_from(("INBOUND_EMAIL", "OUTBOUND_EMAIL")),
        )
        def flow_binding(self, address: Handle, operation: str, kind: str) -> None:
            """An address bound to its instance's flow, read back (one, listed, in a batch) or unbound."""
            instance, arn = ref(address.instance), ref(self._arn_of(address))
            if operation == "ListFlowAssociations":
                self.step(operation, {"InstanceId": instance, "ResourceType": kind, "MaxResults": 1}, pages=True)
            elif operation == "BatchGetFlowAssociation":
                self.step(operation, {"InstanceId": instance, "ResourceIds": [arn], "ResourceType": kind})
            else:
                params: dict[str, Any] = {"InstanceId": instance, "ResourceId": arn, "ResourceType": kind}
                if operation == "AssociateFlow":
                    params["FlowId"] = ref(self._flow_of(address.instance))
                self.step(operation, params)

        @rule(
            address=addresses,
            name=st.none() | st.sampled_from(DISPLAY_NAMES),
            description=st.none() | st.sampled_from(DESCRIPTIONS),
        )
        def update_email_address_metadata(self, address: Handle, name: str | None, description: str | None) -> None:
            params: dict[str, Any] = {"InstanceId": ref(address.instance), "EmailAddressId": ref(address.symbol)}
            if name is not None:
                params["DisplayName"] = name
            if description is not None:
                params["Description"] = description
            self.step("UpdateEmailAddressMetadata", params)

        @rule(address=consumes(addresses))
        def delete_email_address(self, address: Handle) -> None:
            self._delete(address)

        def _delete(self, address: Handle) -> None:
            params = {"InstanceId": ref(address.instance), "EmailAddressId": ref(address.symbol)}
            if self.step("DeleteEmailAddress", params) and address.symbol in self.live.get(address.instance, {}):
                del self.live[address.instance][address.symbol]
                self.gone.append(address)

        @rule(
            instance=instances,
            criteria=st.none()
            | st.tuples(
                st.sampled_from(SEARCH_FIELDS),
                st.sampled_from(COMPARISONS),
                st.sampled_from((*LOCAL_PARTS, *DISPLAY_NAMES, *DESCRIPTIONS, "s", "Help")),
            ),
            max_results=st.integers(1, 4) | st.just(100),
        )
        def search_email_addresses(
            self, instance: Handle, criteria: tuple[str, str, str] | None, max_results: int
        ) -> None:
            params: dict[str, Any] = {"InstanceId": ref(instance.symbol), "MaxResults": max_results}
            if criteria is not None:
                field_name, comparison, value = criteria
                if field_name == "EmailAddress" and comparison == "EXACT":
                    value = f"{value}@{options.email_domain}"
                params["SearchCriteria"] = {
                    "StringCondition": {"FieldName": field_name, "Value": value, "ComparisonType": comparison}
                }
            self.step("SearchEmailAddresses", params, pages=True)

        # -- aliases ----------------------------------------------------------------------------------

        def _alias_params(self, primary: Handle, alias: Handle) -> dict[str, Any]:
            return {
                "InstanceId": ref(primary.instance),
                "EmailAddressId": ref(primary.symbol),
                "AliasConfiguration": {"EmailAddressId": ref(alias.symbol)},
            }

        def _partner(self, primary: Handle, data: st.DataObject) -> Handle:
            """Another address of the primary's instance, else a deleted one, else the primary itself (the
            last two are refused on both sides)."""
            same = [Handle(s, primary.instance) for s in self.live.get(primary.instance, {}) if s != primary.symbol]
            gone = [h for h in self.gone if h.instance == primary.instance]
            partner: Handle = data.draw(st.sampled_from(same + gone + [primary]), label="alias")
            return partner

        @rule(target=pairs, primary=addresses, data=st.data())
        def associate_email_address_alias(self, primary: Handle, data: st.DataObject) -> Any:
            alias = self._partner(primary, data)
            if self.step("AssociateEmailAddressAlias", self._alias_params(primary, alias)):
                return Pair(primary, alias)
            return multiple()

        @rule(primary=addresses, data=st.data())
        def disassociate_email_address_alias(self, primary: Handle, data: st.DataObject) -> None:
            self.step("DisassociateEmailAddressAlias", self._alias_params(primary, self._partner(primary, data)))

        @rule(pair=consumes(pairs))
        def disassociate_pair(self, pair: Pair) -> None:
            self.step("DisassociateEmailAddressAlias", self._alias_params(pair.primary, pair.alias))

        @rule(pair=consumes(pairs), alias=st.booleans())
        def delete_from_pair(self, pair: Pair, alias: bool) -> None:
            self._delete(pair.alias if alias else pair.primary)

        # -- contacts ---------------------------------------------------------------------------------

        @rule(target=contacts, destination=addresses, related=st.none() | contacts, fake=FAKE_SEEDS)
        def start_email_contact(self, destination: Handle, related: Handle | None, fake: int) -> Any:
            params = {
                **_faked("StartEmailContact", fake),
                "InstanceId": ref(destination.instance),
                "FromEmailAddress": CUSTOMER,
                "DestinationEmailAddress": destination.address,
            }
            if related is not None:
                params["RelatedContactId"] = ref(related.symbol)
            return self.create("contact", "StartEmailContact", params, "ContactId", instance=destination.instance)

        @rule(
            target=contacts,
            instance=instances,
            method=st.sampled_from(("OUTBOUND", "AGENT_REPLY", "FLOW")),
            related=st.none() | contacts,
        )
        def create_contact(self, instance: Handle, method: str, related: Handle | None) -> Any:
            params: dict[str, Any] = {
                "InstanceId": ref(instance.symbol),
                "Channel": "EMAIL",
                "InitiationMethod": method,
            }
            if method != "FLOW":
                params["UserInfo"] = AGENT
            if related is not None:
                params["RelatedContactId"] = ref(related.symbol)
            return self.create("contact", "CreateContact", params, "ContactId", instance=instance.symbol)

        @rule(
            contact=contacts,
            operation=st.sampled_from(
                (
                    "DescribeContact",
                    "GetContactAttributes",
                    "UpdateContact",
                    "StopContact",
                    "ListAssociatedContacts",
                    "ListContactReferences",
                )
            ),
            name=st.sampled_from(DISPLAY_NAMES),
            cc=st.booleans(),
        )
        def contact_life(self, contact: Handle, operation: str, name: str, cc: bool) -> None:
            """A contact read (described, its attributes, its thread, its references), updated (a name, CC
            recipients set or cleared) or stopped."""
            params: dict[str, Any] = {"InstanceId": ref(contact.instance), "ContactId": ref(contact.symbol)}
            if operation == "GetContactAttributes":
                params = {"InstanceId": ref(contact.instance), "InitialContactId": ref(contact.symbol)}
            elif operation == "UpdateContact":
                recipients = [{"EmailAddress": CUSTOMER["EmailAddress"]}] if cc else []
                params.update(Name=name, AdditionalRecipients={"CcEmailAddresses": recipients})
            elif operation == "ListContactReferences":
                params["ReferenceTypes"] = ["URL", "STRING", "EMAIL_MESSAGE"]
            self.step(operation, params, pages=operation.startswith("List"))

        @rule(contact=contacts, send=st.booleans(), sender=st.none() | addresses)
        def outbound_contact(self, contact: Handle, send: bool, sender: Handle | None) -> None:
            params: dict[str, Any] = {"InstanceId": ref(contact.instance), "ContactId": ref(contact.symbol)}
            if not send:
                self.step("UpdateOutboundEmailContactMessage", {**params, "EmailMessage": DRAFT})
                return
            params.update(DestinationEmailAddress=CUSTOMER, EmailMessage=MESSAGE)
            if sender is not None:
                params["FromEmailAddress"] = {"EmailAddress": sender.address}
            self.step("StartOutboundEmailContact", params)

        @rule(sender=addresses, fake=FAKE_SEEDS)
        def send_outbound_email(self, sender: Handle, fake: int) -> None:
            params = {
                "SourceCampaign": CAMPAIGN,  # "A Campaign object need[ed] for Campaign traffic type"
                **_faked("SendOutboundEmail", fake),
                "TrafficType": "CAMPAIGN",  # "Only the CAMPAIGN traffic type is supported"
                "InstanceId": ref(sender.instance),
                "FromEmailAddress": {"EmailAddress": sender.address},
                "DestinationEmailAddress": CUSTOMER,
            }
            self.step("SendOutboundEmail", params)

        # -- queues -----------------------------------------------------------------------------------

        @precondition(lambda self: self.queues_made < MAX_QUEUES)
        @rule(target=queues, instance=instances, outbound=st.none() | addresses)
        def new_queue(self, instance: Handle, outbound: Handle | None) -> Any:
            """Hours of operation, then a queue on them (with a default outbound address, maybe another
            instance's: then both sides must refuse it)."""
            self.queues_made += 1
            hours = self.create(
                "hours",
                "CreateHoursOfOperation",
                {
                    "InstanceId": ref(instance.symbol),
                    "Name": f"hours {self.queues_made}",
                    "TimeZone": "UTC",
                    "Config": OPEN_HOURS,
                },
                "HoursOfOperationId",
                instance=instance.symbol,
            )
            if not isinstance(hours, Handle):
                return multiple()
            params: dict[str, Any] = {
                "InstanceId": ref(instance.symbol),
                "Name": f"queue {self.queues_made}",
                "HoursOfOperationId": ref(hours.symbol),
            }
            if outbound is not None:
                params["OutboundEmailConfig"] = {"OutboundEmailAddressId": ref(outbound.symbol)}
            return self.create("queue", "CreateQueue", params, "QueueId", instance=instance.symbol)

        @rule(queue=queues, listing=st.booleans())
        def read_queue(self, queue: Handle, listing: bool) -> None:
            if listing:
                self.step("ListQueues", {"InstanceId": ref(queue.instance), "MaxResults": 1}, pages=True)
            else:
                self.step("DescribeQueue", {"InstanceId": ref(queue.instance), "QueueId": ref(queue.symbol)})

        @rule(
            queue=queues,
            operation=st.sampled_from(
                (
                    "AssociateQueueEmailAddresses",
                    "DisassociateQueueEmailAddresses",
                    "UpdateQueueOutboundEmailConfig",
                    "ListQueueEmailAddresses",
                )
            ),
            members=st.lists(addresses, min_size=1, max_size=3, unique_by=lambda h: h.symbol),
            max_results=st.integers(1, 3) | st.just(100),
        )
        def queue_step(self, queue: Handle, operation: str, members: list[Handle], max_results: int) -> None:
            params: dict[str, Any] = {"InstanceId": ref(queue.instance), "QueueId": ref(queue.symbol)}
            if operation == "AssociateQueueEmailAddresses":
                params["EmailAddressesConfig"] = [{"EmailAddressId": ref(m.symbol)} for m in members]
            elif operation == "DisassociateQueueEmailAddresses":
                params["EmailAddressesId"] = [ref(m.symbol) for m in members]
            elif operation == "UpdateQueueOutboundEmailConfig":
                params["OutboundEmailConfig"] = {"OutboundEmailAddressId": ref(members[0].symbol)}
            else:
                self.step(operation, {**params, "MaxResults": max_results}, pages=True)
                return
            self.step(operation, params)

        # -- invalid requests -------------------------------------------------------------------------

        @rule(operation=st.sampled_from(SEQUENCED_OPERATIONS), data=st.data())
        def invalid_request(self, operation: str, data: st.DataObject) -> None:
            if not spec.available(operation):
                return
            _, request = data.draw(strategies.invalid_requests(operation), label=f"invalid {operation} request")
            self.step(operation, request)

        # -- invariants -------------------------------------------------------------------------------

        @invariant()
        def listing_matches_the_model(self) -> None:
            if not self.dirty:
                return
            self.dirty = False
            for instance, created in self.live.items():
                step = Step(
                    "SearchEmailAddresses",
                    {"InstanceId": ref(instance), "MaxResults": INVARIANT_PAGE},
                    pages=True,
                    invariant=True,
                )
                answers = self.lockstep.run(step)
                self.lockstep.steps.pop()  # a read that agreed: not part of the reported sequence
                if answers is None or "Error" in answers[0]:
                    continue
                self._hold_to_model(step, answers[0], created)

        def _hold_to_model(self, step: Step, answer: dict[str, Any], created: dict[str, str]) -> None:
            symbols = self.lockstep.target.symbols
            listed = [item for page in answer.get("Pages", [answer]) for item in page.get("EmailAddresses", [])]
            seen = [symbols.get(str(item.get("EmailAddressId")), str(item.get("EmailAddressId"))) for item in listed]
            problems = []
            if sorted(seen) != sorted(created):
                problems.append(f"listed {sorted(seen)}, created and not deleted {sorted(created)}")
            for item, symbol in zip(listed, seen, strict=True):
                aliases = [
                    symbols.get(a.get("EmailAddressId"), a.get("EmailAddressId"))
                    for a in item.get("AliasConfigurations", [])
                ]
                if len(aliases) > 1:
                    problems.append(f"{symbol} has {len(aliases)} aliases")
                problems += [f"{symbol}'s alias {a} is not a live address" for a in aliases if a not in created]
            if problems:
                self.lockstep.steps.append(step)
                raise Divergence(self.lockstep.steps, [], {"Invariant": problems}, {}, note="; ".join(problems))

        def teardown(self) -> None:
            self.lockstep.cleanup()

    return ConnectEmailSequences


def database(path: str | None) -> ExampleDatabase | None:
    return DirectoryBasedExampleDatabase(path) if path else None


def explore(target: Any, reference: Any, options: Options) -> Outcome:
    """Draw sequences against ``target`` and ``reference``; the shortest divergence found, if any."""
    from hypothesis.errors import Flaky

    stats = Stats()
    machine = build_machine(target, reference, options, stats)
    test = get_state_machine_test(
        machine,
        settings=settings(
            max_examples=options.examples,
            stateful_step_count=options.steps,
            deadline=None,
            database=database(options.database),
            suppress_health_check=list(HealthCheck),
            report_multiple_bugs=False,
            phases=(Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink),
            print_blob=False,
            verbosity=Verbosity.quiet,  # the divergence is reported as a script, not as Hypothesis's steps
        ),
    )
    outcome = Outcome(stats, options.seed)
    try:
        with _shrinking_budget(options.shrink_seconds):
            seed(options.seed)(test)()
    except Divergence as found:
        outcome.divergence = minimise(target, reference, found, options.excuses, stats).renumbered()
    except Flaky as exc:
        outcome.flaky = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return outcome


@contextlib.contextmanager
def _shrinking_budget(seconds: float) -> Iterator[None]:
    """Bound Hypothesis's shrinking in time: its engine allows five minutes (a module constant, the one
    setting it has for this), far beyond a conformance run's budget."""
    from hypothesis.internal.conjecture import engine

    before = getattr(engine, "MAX_SHRINKING_SECONDS", None)
    if before is None:  # a Hypothesis without the constant: its own bound applies
        yield
        return
    engine.MAX_SHRINKING_SECONDS = seconds  # type: ignore[assignment]
    try:
        yield
    finally:
        engine.MAX_SHRINKING_SECONDS = before
