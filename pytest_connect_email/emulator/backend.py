"""The emulator's domain logic: one method per operation, plain dicts in and out, no HTTP.

``Backend.invoke(operation, params)`` validates the parameters with the project's contracts, applies
idempotency, takes the address locks, and runs the operation in one store transaction. Behaviour
decisions (each from the reference pages, the model's documentation, or a choice written here):

- **Validation.** A contract violation answers ``InvalidParameterException`` when the operation
  models it, else ``InvalidRequestException``; the message names every field, rule and fix.
- **Email addresses** belong to an instance; an address is unique per instance (compared
  case-insensitively, as mail systems compare domains): a duplicate answers
  ``DuplicateResourceException``. At most ``max_email_addresses`` (100, the documented default) per
  instance: ``ServiceQuotaExceededException``.
- **Aliases.** An address has at most one alias (the model caps ``AliasConfigurations`` at one).
  Associating when the primary already has an alias, or when the alias address is already the
  alias of another address, answers ``ResourceConflictException`` (409: the state conflicts, the
  request itself is fine). Chaining — a primary that is itself an alias, or an alias that has an
  alias of its own — answers ``InvalidRequestException`` (400: never valid, whatever the timing).
  ``DescribeEmailAddress`` of the primary lists the alias; the alias address lists none.
- **Disassociation** requires the association to exist. Otherwise it answers
  ``ResourceNotFoundException``: the reference page says "The alias association must currently
  exist", i.e. the association is the resource being removed, and removing a missing resource is
  "not found" throughout Connect; ``InvalidRequestException`` would suggest the request could be
  fixed, while only the state is wrong. The response is exactly ``{}``; both addresses remain and
  can be associated again at once.
- **Deleting** an address that is part of an alias relationship removes the relationship too (the
  model's documentation: "DeleteEmailAddress: Remove email addresses (automatically removes any alias
  relationships)"), and removes it from queues.
- **StartEmailContact.** The instance must exist, the destination must be an address of the instance
  and a ``RelatedContactId`` must be a contact of the instance (``ResourceNotFoundException``
  otherwise). The related contact's user attributes are copied and the new request's attributes win
  on a clash; together they obey "There can be up to 32,768 UTF-8 bytes across all key-value pairs per
  contact" (START-ATTR-001, "per contact"): a combination over it answers ``InvalidRequestException``
  and stores nothing, never a contact that GetContactAttributes could not return. Recipients: the
  model's "You must have 1 required recipient (DestinationEmailAddress). You can then specify up to 49
  additional recipients (across ToAddresses and CcAddresses), for a total of 50 recipients": a 50th
  additional recipient answers ``InvalidRequestException``. The contact is ``INBOUND`` on the
  ``EMAIL`` channel.
- **CreateContact** (the model: "For EMAIL: The supported initiation methods are OUTBOUND,
  AGENT_REPLY, and FLOW"; "For VOICE: ... TRANSFER"; "For TASK: ... API"; "The CHAT channel is not
  supported"): any other channel and initiation method answers ``InvalidRequestException``.
  "UserInfo is required when creating an EMAIL contact with OUTBOUND and AGENT_REPLY contact
  initiation methods" and "Only TASK channel contacts can be initiated with COMPLETED state": both
  ``InvalidRequestException``. A ``RelatedContactId`` must be a contact of the instance (404). Users
  are not emulated: any ``UserId`` is accepted.
- **StartOutboundEmailContact** "Initiates a flow to send an agent reply or outbound email contact
  (created from the CreateContact API)": the contact must exist (404) and be an ``EMAIL`` contact
  made by CreateContact with ``OUTBOUND`` or ``AGENT_REPLY``; any other contact, or one already sent
  (a choice written here: a draft is sent once), answers ``InvalidRequestException``. A
  ``FromEmailAddress`` must be an address of the instance (404). At most 49 Cc recipients ("1
  required recipient in the DestinationEmailAddress field and up to 49 recipients in the
  'CcEmailAddresses' field").
- **UpdateOutboundEmailContactMessage** "applies only to contacts with an OUTBOUND or AGENT_REPLY
  initiation method; it isn't supported for flow-initiated emails": any other contact answers
  ``InvalidRequestException``. It saves "changes to an in-progress outbound email reply before you
  send it": once StartOutboundEmailContact sent the contact, it answers ``ResourceConflictException``
  (409, modelled). DescribeContact does not show the draft (the model has no member for it).
- **SendOutboundEmail**: "Only the CAMPAIGN traffic type is supported" (``GENERAL`` answers
  ``InvalidRequestException``), "A Campaign object need[ed] for Campaign traffic type" (a missing
  ``SourceCampaign`` answers ``InvalidRequestException``), the message source type names the member
  that must be present (``RawMessage`` for RAW, ``TemplatedMessageConfig`` for TEMPLATE), at most 49 Cc
  recipients, and the sender must be an address of the instance (404).
- **Idempotency.** Operations with a ``ClientToken`` member remember (operation, token) for
  ``token_lifetime`` seconds (8 hours by default) across the whole emulator (one account and
  region). The same token with the same parameters returns the first result without a second
  effect; with different parameters it answers ``IdempotencyException`` where the operation models
  it, else ``ResourceConflictException`` (same 409 status). Tokens are filed under their instance:
  DeleteInstance forgets them, so a retry in a deleted instance answers its ``ResourceNotFoundException``.
  The model is silent on a token whose resource was deleted since; a choice written here: a replay of
  CreateInstance, CreateEmailAddress, StartEmailContact or CreateContact whose resource is gone answers
  ``ResourceNotFoundException`` naming it and the token, never 200 with the id of a deleted resource.
- **Concurrency.** Mutations of an address hold a lock on it (both addresses for alias operations).
  A caller that cannot get a lock within ``lock_wait`` seconds answers ``ResourceConflictException``,
  as the reference page warns ("concurrent operations on the same email addresses may be temporarily
  blocked"). All state changes are serialised by the store, so no update is lost and no address ever
  has two aliases.
- **Queues** are not emulated as resources (no CreateQueue): any queue id is accepted and holds the
  addresses associated with it. "You can associate up to 49 additional email addresses with a single
  queue, plus 1 default outbound email address, for a total of 50": the distinct addresses of a queue
  (associated ones and its default outbound address) are at most 50; an association past that
  answers ``LimitExceededException`` (and UpdateQueueOutboundEmailConfig past it
  ``InvalidRequestException``), changing nothing. "The email addresses must already exist in the
  Connect instance": an unknown one answers 404 and nothing of the request is applied.
  ListQueueEmailAddresses lists "both explicitly associated email addresses and any default
  outbound email address configured for the queue", the default flagged ``IsDefaultOutboundEmail``.
  Disassociation removes explicit associations only ("The email addresses themselves are not deleted
  from the instance"); the default outbound address changes only with UpdateQueueOutboundEmailConfig.
  Disassociating an address that is not associated answers 404 (AWS API convention).
- **Search.** ``StringCondition`` compares ``EmailAddress``, ``DisplayName`` or ``Description``
  case-insensitively (``EXACT``, ``STARTS_WITH``, ``CONTAINS``); another ``FieldName`` answers
  ``InvalidParameterException`` naming the three. ``SearchFilter.TagFilter`` is "an OR of AND (List of
  List)": ``OrConditions`` (any inner list all of whose tag conditions hold), ``AndConditions`` (all
  hold) or one ``TagCondition``; a condition without ``TagValue`` asks for the key only.
  ``ApproximateTotalCount`` is the exact number of matches; pages follow creation order.
- **Pagination.** A ``NextToken`` is valid for the listing it came from while the listing still reaches
  it; one the emulator could not have issued (not its encoding of a whole number, negative, at or past
  the end of the items) answers ``InvalidParameterException`` where the operation models it, else
  ``InvalidRequestException`` (ListInstances), never repeated or endless pages.
- **Deleting an instance** deletes everything of it: its addresses, contacts and queue associations
  are gone and its ids are not found afterwards (AWS API convention).
- **Tags** (``TagResource``, ``UntagResource``, ``ListTagsForResource``) apply to the resources the
  emulator holds that the model lets take tags: instances and email addresses. ``resourceArn`` must be
  the resource's ARN exactly as its create call answered it; an ARN of another region, account or
  instance, or of a resource that does not exist (deleted, or never made), answers
  ``ResourceNotFoundException``; a string that is not a Connect ARN (``arn:aws:connect:REGION:ACCOUNT:
  instance/ID[/TYPE/ID]``) answers ``InvalidParameterException``. Tagging a key again replaces its
  value; untagging a key the resource lacks is not an error (every AWS tagging API does both). A
  resource holds at most 50 tags (Connect's documented tag quota, the model's cap on one request's
  ``tags``): a TagResource that would leave more answers ``InvalidParameterException`` and changes
  nothing. Tags read back through ``ListTagsForResource`` (``{}`` when there are none, as AWS and moto
  answer; the response contract takes no minimum of a map), ``DescribeEmailAddress``
  and ``DescribeInstance`` (``Tags``), and ``SearchEmailAddresses``' ``TagFilter``.
- **Instances held elsewhere.** ``Backend.instances_elsewhere`` (a callable, handed in from above: moto's
  instances while ``mock_aws`` is active) answers for an instance id the store lacks; such an instance is
  this emulator's own for the email operations (its ARN is the parent of its addresses' and contacts' ARNs)
  for as long as the callable finds it; once gone there, its addresses and contacts are not found either.
- **Ids and time.** New ids are random UUIDs and timestamps read the wall clock, unless the layer above
  calls ``Backend.seed(seed)``: then both follow the seed and the order of the calls (the plugin seeds
  it with a test's id when it records, so recording an unchanged test again writes the same cassette).
- **Throttling** (off by default) emulates the documented default of 2 requests/s with a burst of 5.
  A state file locked by another process for over ``limits.STATE_LOCK_TIMEOUT`` also answers
  ``ThrottlingException`` (retryable), never a 500. A broken state file and a record that no longer
  decodes are the store's to report (:mod:`.store`).
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import hashlib
import itertools
import json
import re
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from pytest_connect_email import limits
from pytest_connect_email.contracts import rules, spec, validator
from pytest_connect_email.emulator.errors import ServiceError, not_found
from pytest_connect_email.emulator.store import Store, Transaction

Params = dict[str, Any]
Result = dict[str, Any]

#: A Connect resource's ARN: an instance, or a resource of one (``.../instance/ID/TYPE/ID``).
_RESOURCE_ARN = re.compile(
    r"arn:aws[a-z-]*:connect:(?P<region>[a-z0-9-]*):(?P<account>[0-9]*):instance/(?P<instance>[^/]+)"
    r"(?:/(?P<kind>[a-z-]+)/(?P<ident>[^/]+))?"
)
#: The resource types of an ARN that take tags, by the ARN's type segment: the store's kind and the
#: resource's name in messages.
_TAGGABLE: dict[str, tuple[str, str]] = {
    "email-address": ("email", "email address"),
    "queue": ("queue", "queue"),
    "operating-hours": ("hours", "hours of operation"),
    "contact-flow": ("flow", "flow"),
    "attached-file": ("file", "attached file"),
}
#: The member of each kind's record that holds its ARN.
_ARN_MEMBER: dict[str, str] = {
    "instance": "Arn",
    "email": "EmailAddressArn",
    "queue": "QueueArn",
    "hours": "HoursOfOperationArn",
    "flow": "Arn",
    "file": "FileArn",
}
#: The flow association types of the email channel; the other types' resources are not emulated.
EMAIL_FLOW_TYPES = ("INBOUND_EMAIL", "OUTBOUND_EMAIL")
#: Tags one resource may hold (Connect's tag quota; the model caps one TagResource's ``tags`` at 50 too).
MAX_TAGS = 50


@dataclass
class Config:
    region: str = "us-east-1"
    account_id: str = "123456789012"
    max_email_addresses: int = 100
    max_body_bytes: int = limits.MAX_BODY_BYTES
    #: Largest clock skew of a signed request (seconds); ``None`` accepts any age (old traffic).
    max_clock_skew: float | None = limits.MAX_CLOCK_SKEW
    read_timeout: float = limits.READ_TIMEOUT
    max_connections: int = limits.MAX_CONNECTIONS
    request_deadline: float = limits.REQUEST_DEADLINE
    #: All recipients of one email, the one required destination included (the model: "for a total of 50").
    max_recipients: int = 50
    #: Distinct addresses of one queue, its default outbound address included.
    max_queue_addresses: int = 50
    token_lifetime: float = 8 * 3600.0
    lock_wait: float = 0.2
    #: Where the emulator's file URLs point (upload and download of attached files): the served emulator's
    #: URL once :meth:`.Emulator.serve` runs; an address that resolves nowhere until then.
    public_url: str = "https://files.connect-email.invalid"
    throttle: bool = False
    throttle_rate: float = 2.0
    throttle_burst: int = 5


class AddressLocks:
    """Per-address locks with a bounded wait: the emulator's model of Connect's distributed locking.

    A key's lock lives only while some caller holds it or waits for it: an entry counts its users and
    goes when the last one leaves, so callers on one key share one lock, and the table holds no more
    entries than there are callers at that moment, however many ids were ever named.
    """

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}
        #: Callers holding or waiting for each key's lock (the same keys as ``_locks``).
        self._users: dict[str, int] = {}

    def __len__(self) -> int:
        """Keys with a lock now (each held or waited for)."""
        return len(self._locks)

    def _enter(self, key: str) -> threading.Lock:
        with self._guard:
            self._users[key] = self._users.get(key, 0) + 1
            return self._locks.setdefault(key, threading.Lock())

    def _leave(self, key: str) -> None:
        with self._guard:
            users = self._users.pop(key) - 1
            if users:
                self._users[key] = users
            else:
                del self._locks[key]

    @contextlib.contextmanager
    def hold(self, keys: list[str], wait: float) -> Iterator[None]:
        entered: list[str] = []
        taken: list[threading.Lock] = []
        try:
            for key in sorted(set(keys)):  # a fixed order: two callers never deadlock
                lock = self._enter(key)
                entered.append(key)
                if not lock.acquire(timeout=wait):
                    raise ServiceError(
                        "ResourceConflictException",
                        f"email address {key!r} is locked by a concurrent operation; retry shortly",
                    )
                taken.append(lock)
            yield
        finally:
            for lock in reversed(taken):
                lock.release()
            for key in entered:
                self._leave(key)


class _Bucket:
    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, burst
        self.tokens = float(burst)
        self.stamp = time.monotonic()
        self._lock = threading.Lock()

    def take(self) -> bool:
        with self._lock:
            now = time.monotonic()
            self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
            self.stamp = now
            if self.tokens < 1:
                return False
            self.tokens -= 1
            return True


def _now() -> float:
    return time.time()


def _random_id() -> str:
    return str(uuid.uuid4())


#: Where a seeded backend's clock starts (2024-01-01T00:00:00Z); each reading is one second later.
SEEDED_EPOCH = 1_704_067_200.0


def seeded_ids(seed: str) -> Callable[[], str]:
    """UUIDs made from ``seed`` and the order they are asked for: the same seed gives the same ids."""
    counter = itertools.count()

    def new_id() -> str:
        digest = hashlib.sha256(f"{seed}:id:{next(counter)}".encode()).hexdigest()
        return str(uuid.UUID(digest[:32], version=4))

    return new_id


def seeded_clock(start: float = SEEDED_EPOCH) -> Callable[[], float]:
    """A clock that reads ``start``, then one second more at each reading: timestamps follow call order only."""
    counter = itertools.count()
    return lambda: start + next(counter)


def _iso(epoch: float) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _bad_input(operation: str) -> str:
    """The error code for a request the operation cannot accept: ``InvalidParameterException`` where the
    model lists it for the operation, else ``InvalidRequestException`` (every operation lists it)."""
    codes = validator.error_codes(operation)
    return "InvalidParameterException" if "InvalidParameterException" in codes else "InvalidRequestException"


def _token(offset: int) -> str:
    return base64.urlsafe_b64encode(str(offset).encode()).decode()


def _page(operation: str, items: list[Any], params: Params, default: int) -> tuple[list[Any], str | None]:
    """One page of ``items``. A ``NextToken`` is the offset of the next page as this emulator wrote it; one
    it could not have issued for this listing (not its own encoding of a whole number, negative, or at or
    past the end of the items) answers :func:`_bad_input`, never a repeated or an endless run of pages."""
    start = 0
    token = params.get("NextToken")
    if token:
        try:
            start = int(base64.urlsafe_b64decode(token.encode("ascii")).decode("ascii"), 10)
        except (ValueError, UnicodeError):
            start = -1
        if _token(start) != token or not 0 <= start < max(len(items), 1):
            raise ServiceError(
                _bad_input(operation),
                f"{operation}: NextToken {token[:40]!r} is not a token this emulator issued for this listing "
                f"(of {len(items)} items); send the NextToken of the previous page, or none for the first page",
            )
    size = int(params.get("MaxResults") or default)
    end = start + size
    following = _token(end) if end < len(items) else None
    return items[start:end], following


class Backend:
    """The emulated Connect email API over a :class:`Store`."""

    def __init__(self, store: Store | None = None, config: Config | None = None) -> None:
        self.store = store or Store()
        self.config = config or Config()
        self.locks = AddressLocks()
        self._bucket = _Bucket(self.config.throttle_rate, self.config.throttle_burst)
        self._handlers: dict[str, Callable[[Transaction, Params], Result]] = {
            op: getattr(self, "_" + spec.snake_name(op)) for op in spec.OPERATIONS
        }
        #: Instances another backend holds (moto's, handed in by :mod:`pytest_connect_email.routing.targets`): an id
        #: the store lacks is looked up here, and a record found (``Id``, ``Arn``, ``InstanceAlias``, ...) is
        #: taken as an instance of this emulator's own for as long as the lookup finds it. Never stored.
        self.instances_elsewhere: Callable[[str], Mapping[str, Any] | None] | None = None
        #: Where new ids (instances, addresses, contacts) come from: random UUIDs unless :meth:`seed` was given one.
        self.new_id: Callable[[], str] = _random_id
        #: The time of timestamps and of ClientToken ages: the wall clock unless :meth:`seed` was given a seed.
        self.clock: Callable[[], float] = _now

    def seed(self, seed: str | None) -> None:
        """Make ids and timestamps a function of ``seed`` and of call order (:func:`seeded_ids`,
        :func:`seeded_clock`), so the same calls make the same answers (the layer above seeds it with a
        test's id to record it the same way every time); ``None``: random ids and the wall clock again."""
        self.new_id, self.clock = (seeded_ids(seed), seeded_clock()) if seed is not None else (_random_id, _now)

    def reset(self) -> None:
        """A fresh state: no instance, address, contact, queue or ClientToken, a full throttling bucket;
        the same backend (its class, config and any patches) and store (see :meth:`.Store.reset`)."""
        self.store.reset()
        self._bucket = _Bucket(self.config.throttle_rate, self.config.throttle_burst)

    # -- the entry point ---------------------------------------------------------------------------

    def invoke(self, operation: str, params: Params) -> Result:
        if operation not in self._handlers:
            raise ServiceError(
                "UnknownOperationException",
                f"operation {operation} is not supported by the pytest-connect-email emulator; "
                f"it supports: {', '.join(sorted(self._handlers))}",
            )
        if not spec.available(operation):  # the emulator speaks the model in use, as the contracts do
            raise ServiceError(
                "UnknownOperationException", str(spec.OperationNotInModelError(operation, spec.model().label))
            )
        if self.config.throttle and not self._bucket.take():
            raise ServiceError("ThrottlingException", "rate exceeded (2 requests/s, burst 5)")
        self._validate(operation, params)
        writes = not operation.startswith(("Describe", "List", "Search", "Get"))
        try:
            with (
                self.locks.hold(self._lock_keys(operation, params), self.config.lock_wait),
                self.store.transaction(write=writes) as tx,
            ):
                return self._idempotent(tx, operation, params)
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            raise ServiceError(
                "ThrottlingException",
                f"the emulator's state file is locked by another process for over {limits.STATE_LOCK_TIMEOUT:g} s; "
                "retry shortly",
            ) from None

    def _validate(self, operation: str, params: Params) -> None:
        found = validator.request_violations(operation, params)
        if not found:
            return
        code = _bad_input(operation)
        details = "; ".join(f"{v.pointer or '/'}: [{v.rule}] expected {v.expected}, got {v.actual}" for v in found)
        raise ServiceError(code, f"{len(found)} validation error(s): {details}")

    @staticmethod
    def _lock_keys(operation: str, params: Params) -> list[str]:
        if operation in ("AssociateEmailAddressAlias", "DisassociateEmailAddressAlias"):
            return [params["EmailAddressId"], params["AliasConfiguration"]["EmailAddressId"]]
        if operation in ("DeleteEmailAddress", "UpdateEmailAddressMetadata"):
            return [params["EmailAddressId"]]
        if operation in ("StartOutboundEmailContact", "UpdateOutboundEmailContactMessage"):
            return [f"contact:{params['ContactId']}"]
        return []

    def _idempotent(self, tx: Transaction, operation: str, params: Params) -> Result:
        handler = self._handlers[operation]
        token = params.get("ClientToken")
        if not isinstance(token, str) or not token:
            return handler(tx, params)
        key = f"{operation}:{token}"
        digest = hashlib.sha256(json.dumps(params, sort_keys=True, default=str).encode()).hexdigest()
        seen = tx.get("token", key)
        if seen is not None and self.clock() - seen["created"] < self.config.token_lifetime:
            if seen["digest"] != digest:
                modelled = validator.error_codes(operation)
                # The first conflict error the operation models (CreateInstance models none: a bad request).
                code = next(
                    (c for c in ("IdempotencyException", "ResourceConflictException") if c in modelled),
                    _bad_input(operation),
                )
                raise ServiceError(code, f"ClientToken {token!r} was already used with different parameters")
            created = self._CREATES.get(operation)
            if created is not None:
                kind, label, member = created
                ident = seen["result"].get(member)
                if isinstance(ident, str) and not tx.exists(kind, ident):
                    raise ServiceError(
                        "ResourceNotFoundException",
                        f"ClientToken {token!r} was used by the {operation} that created {label} {ident!r}, which "
                        f"has been deleted since; a ClientToken names one request: send a new one to create another",
                    )
            return dict(seen["result"])
        result = handler(tx, params)
        # Filed under the instance: DeleteInstance forgets the tokens of the calls made in it.
        record = {"digest": digest, "result": result, "created": self.clock()}
        tx.put("token", key, record, parent=params.get("InstanceId", ""))
        return result

    #: What an operation with a ``ClientToken`` creates: the record's kind, its name in messages, and
    #: the member of the answer that holds its id.
    _CREATES: ClassVar[dict[str, tuple[str, str, str]]] = {
        "CreateInstance": ("instance", "instance", "Id"),
        "CreateEmailAddress": ("email", "email address", "EmailAddressId"),
        "StartEmailContact": ("contact", "contact", "ContactId"),
        "CreateContact": ("contact", "contact", "ContactId"),
        "TransferContact": ("contact", "contact", "ContactId"),
        "StartAttachedFileUpload": ("file", "attached file", "FileId"),
    }

    # -- helpers -----------------------------------------------------------------------------------

    def _arn(self, *parts: str) -> str:
        return f"arn:aws:connect:{self.config.region}:{self.config.account_id}:" + "/".join(parts)

    def _instance(self, tx: Transaction, instance_id: str) -> dict[str, Any]:
        found = tx.get("instance", instance_id)
        if found is None:
            found = self._instance_elsewhere(instance_id)
        if found is None:
            raise not_found("instance", instance_id)
        return found

    def _instance_elsewhere(self, instance_id: str) -> dict[str, Any] | None:
        """The instance of :attr:`instances_elsewhere` with this id; its email addresses, contacts and queues
        live in this store, filed under its id, and are unreachable once it is gone there."""
        lookup = self.instances_elsewhere
        found = lookup(instance_id) if lookup is not None else None
        if found is None or found.get("Id") != instance_id or not isinstance(found.get("Arn"), str):
            return None
        return dict(found)

    def _child(self, tx: Transaction, kind: str, label: str, instance_id: str, ident: str) -> dict[str, Any]:
        """A record that belongs to an instance; not found when it belongs to another one."""
        # As _instance, without decoding the instance's record.
        if not tx.exists("instance", instance_id) and self._instance_elsewhere(instance_id) is None:
            raise not_found("instance", instance_id)
        found = tx.get(kind, ident)
        if found is None or found["InstanceId"] != instance_id:
            raise not_found(label, ident)
        return found

    def _address(self, tx: Transaction, instance_id: str, address_id: str) -> dict[str, Any]:
        return self._child(tx, "email", "email address", instance_id, address_id)

    @staticmethod
    def _address_by_value(tx: Transaction, instance_id: str, address: str) -> dict[str, Any] | None:
        wanted = address.lower()
        for _, record in tx.find("email", instance_id):
            if record["EmailAddress"].lower() == wanted:
                return record
        return None

    def _contact(self, tx: Transaction, instance_id: str, contact_id: str) -> dict[str, Any]:
        return self._child(tx, "contact", "contact", instance_id, contact_id)

    @staticmethod
    def _public(record: Mapping[str, Any], *names: str) -> Result:
        return {name: record[name] for name in names if record.get(name) is not None}

    # -- instances ---------------------------------------------------------------------------------

    def _create_instance(self, tx: Transaction, p: Params) -> Result:
        ident = self.new_id()
        record = {
            "Id": ident,
            "Arn": self._arn("instance", ident),
            "IdentityManagementType": p["IdentityManagementType"],
            "InstanceAlias": p.get("InstanceAlias"),
            "CreatedTime": self.clock(),
            "ServiceRole": f"arn:aws:iam::{self.config.account_id}:role/aws-service-role/connect.amazonaws.com/"
            "AWSServiceRoleForAmazonConnect",
            "InstanceStatus": "ACTIVE",
            "InboundCallsEnabled": p["InboundCallsEnabled"],
            "OutboundCallsEnabled": p["OutboundCallsEnabled"],
            "Tags": p.get("Tags"),
        }
        tx.put("instance", ident, record)
        return {"Id": ident, "Arn": record["Arn"]}

    _INSTANCE_FIELDS = (
        "Id",
        "Arn",
        "IdentityManagementType",
        "InstanceAlias",
        "CreatedTime",
        "ServiceRole",
        "InstanceStatus",
        "InboundCallsEnabled",
        "OutboundCallsEnabled",
        "InstanceAccessUrl",
    )

    @staticmethod
    def _with_access_url(record: Mapping[str, Any]) -> dict[str, Any]:
        """The record with its ``InstanceAccessUrl``: AWS answers ``https://<alias>.my.connect.aws/``; an
        instance made without an alias (the model makes it optional) has its id in the alias's place, as
        moto does. Computed when answered, so records of older state files have it too."""
        return {**record, "InstanceAccessUrl": f"https://{record.get('InstanceAlias') or record['Id']}.my.connect.aws/"}

    def _describe_instance(self, tx: Transaction, p: Params) -> Result:
        record = self._instance(tx, p["InstanceId"])
        return {"Instance": self._public(self._with_access_url(record), *self._INSTANCE_FIELDS, "Tags")}

    def _list_instances(self, tx: Transaction, p: Params) -> Result:
        items = [self._public(self._with_access_url(r), *self._INSTANCE_FIELDS) for _, r in tx.find("instance")]
        page, following = _page("ListInstances", items, p, 10)
        return {"InstanceSummaryList": page, "NextToken": following}

    def _delete_instance(self, tx: Transaction, p: Params) -> Result:
        self._instance(tx, p["InstanceId"])
        tx.delete_children(p["InstanceId"])
        tx.delete("instance", p["InstanceId"])
        return {}

    # -- email addresses ---------------------------------------------------------------------------

    def _create_email_address(self, tx: Transaction, p: Params) -> Result:
        instance_id = p["InstanceId"]
        instance = self._instance(tx, instance_id)
        if self._address_by_value(tx, instance_id, p["EmailAddress"]) is not None:
            raise ServiceError("DuplicateResourceException", "the email address already exists in this instance")
        if len(tx.find("email", instance_id)) >= self.config.max_email_addresses:
            raise ServiceError(
                "ServiceQuotaExceededException",
                f"the instance already has {self.config.max_email_addresses} email addresses (the quota)",
            )
        ident = self.new_id()
        stamp = _iso(self.clock())
        record = {
            "InstanceId": instance_id,
            "EmailAddressId": ident,
            "EmailAddressArn": f"{instance['Arn']}/email-address/{ident}",
            "EmailAddress": p["EmailAddress"],
            "DisplayName": p.get("DisplayName"),
            "Description": p.get("Description"),
            "Tags": p.get("Tags"),
            "CreateTimestamp": stamp,
            "ModifiedTimestamp": stamp,
            "Alias": None,
            "AliasOf": None,
        }
        tx.put("email", ident, record, parent=instance_id)
        return {"EmailAddressId": ident, "EmailAddressArn": record["EmailAddressArn"]}

    @staticmethod
    def _aliases(record: Mapping[str, Any]) -> list[dict[str, str]]:
        return [{"EmailAddressId": record["Alias"]}] if record.get("Alias") else []

    def _describe_email_address(self, tx: Transaction, p: Params) -> Result:
        record = self._address(tx, p["InstanceId"], p["EmailAddressId"])
        out = self._public(
            record,
            "EmailAddressId",
            "EmailAddressArn",
            "EmailAddress",
            "DisplayName",
            "Description",
            "CreateTimestamp",
            "ModifiedTimestamp",
            "Tags",
        )
        out["AliasConfigurations"] = self._aliases(record)
        return out

    def _delete_email_address(self, tx: Transaction, p: Params) -> Result:
        record = self._address(tx, p["InstanceId"], p["EmailAddressId"])
        for partner_key, back_key in (("Alias", "AliasOf"), ("AliasOf", "Alias")):
            partner_id = record.get(partner_key)
            partner = tx.get("email", partner_id) if isinstance(partner_id, str) else None
            if partner is not None and isinstance(partner_id, str):
                partner[back_key] = None
                tx.put("email", partner_id, partner, parent=partner["InstanceId"])
        for queue_key, queue in tx.find("queue", p["InstanceId"]):
            ident = record["EmailAddressId"]
            if ident in queue["EmailAddressIds"] or queue.get("OutboundEmailAddressId") == ident:
                queue["EmailAddressIds"] = [i for i in queue["EmailAddressIds"] if i != ident]
                if queue.get("OutboundEmailAddressId") == ident:
                    queue["OutboundEmailAddressId"] = None
                tx.put("queue", queue_key, queue, parent=p["InstanceId"])
        for kind in EMAIL_FLOW_TYPES:  # the address's flow bindings go with it
            tx.delete("flowassoc", f"{record['EmailAddressId']}/{kind}")
        tx.delete("email", record["EmailAddressId"])
        return {}

    def _update_email_address_metadata(self, tx: Transaction, p: Params) -> Result:
        record = self._address(tx, p["InstanceId"], p["EmailAddressId"])
        for name in ("DisplayName", "Description"):
            if name in p:
                record[name] = p[name]
        record["ModifiedTimestamp"] = _iso(self.clock())
        tx.put("email", record["EmailAddressId"], record, parent=p["InstanceId"])
        return {"EmailAddressId": record["EmailAddressId"], "EmailAddressArn": record["EmailAddressArn"]}

    _SEARCH_FIELDS = ("EmailAddress", "DisplayName", "Description")

    @staticmethod
    def _tag_holds(record: Mapping[str, Any], condition: Mapping[str, Any]) -> bool:
        tags = record.get("Tags") or {}
        key = condition.get("TagKey")
        if key not in tags:
            return False
        return "TagValue" not in condition or tags[key] == condition["TagValue"]

    @staticmethod
    def _tagged(record: Mapping[str, Any], search_filter: Mapping[str, Any] | None) -> bool:
        tag_filter = (search_filter or {}).get("TagFilter")
        if not tag_filter:
            return True
        if "OrConditions" in tag_filter:
            return any(all(Backend._tag_holds(record, c) for c in inner) for inner in tag_filter["OrConditions"])
        if "AndConditions" in tag_filter:
            return all(Backend._tag_holds(record, c) for c in tag_filter["AndConditions"])
        if "TagCondition" in tag_filter:
            return Backend._tag_holds(record, tag_filter["TagCondition"])
        return True

    @staticmethod
    def _criteria_hold(
        record: Mapping[str, Any],
        criteria: Mapping[str, Any] | None,
        fields: Mapping[str, str],
        leaf: Callable[[Mapping[str, Any]], bool] | None = None,
    ) -> bool:
        """Whether ``record`` meets search ``criteria`` (Or/And lists of conditions; a StringCondition on one of
        ``fields``, a field name → the record's member, compared case-insensitively); ``leaf`` judges a
        condition's other members (SearchQueues' QueueTypeCondition)."""
        if not criteria:
            return True
        if "OrConditions" in criteria:
            return any(Backend._criteria_hold(record, c, fields, leaf) for c in criteria["OrConditions"])
        if "AndConditions" in criteria:
            return all(Backend._criteria_hold(record, c, fields, leaf) for c in criteria["AndConditions"])
        if leaf is not None and not leaf(criteria):
            return False
        condition = criteria.get("StringCondition")
        if not condition:
            return True
        field = condition.get("FieldName", "")
        if field not in fields:
            raise ServiceError(
                "InvalidParameterException",
                f"SearchCriteria StringCondition FieldName {field!r} is not searchable; use one of {', '.join(fields)}",
            )
        value = str(record.get(fields[field]) or "").lower()
        wanted = str(condition.get("Value", "")).lower()
        kind = condition.get("ComparisonType", "EXACT")
        if kind == "STARTS_WITH":
            return value.startswith(wanted)
        return wanted in value if kind == "CONTAINS" else value == wanted

    @staticmethod
    def _matches(record: Mapping[str, Any], criteria: Mapping[str, Any] | None) -> bool:
        return Backend._criteria_hold(record, criteria, {name: name for name in Backend._SEARCH_FIELDS})

    def _search_email_addresses(self, tx: Transaction, p: Params) -> Result:
        self._instance(tx, p["InstanceId"])
        found = [
            r
            for _, r in tx.find("email", p["InstanceId"])
            if self._matches(r, p.get("SearchCriteria")) and self._tagged(r, p.get("SearchFilter"))
        ]
        items = [
            dict(
                self._public(r, "EmailAddressId", "EmailAddressArn", "EmailAddress", "Description", "DisplayName"),
                AliasConfigurations=self._aliases(r),
            )
            for r in found
        ]
        page, following = _page("SearchEmailAddresses", items, p, 100)
        return {"EmailAddresses": page, "NextToken": following, "ApproximateTotalCount": len(items)}

    # -- tags ------------------------------------------------------------------------------------

    def _tagged_resource(self, tx: Transaction, arn: str) -> tuple[str, str, dict[str, Any]]:
        """The store's kind, id and record of the resource ``arn`` names (its ARN exactly)."""
        found = _RESOURCE_ARN.fullmatch(arn)
        if found is None:
            raise ServiceError(
                "InvalidParameterException",
                f"resourceArn {arn!r} is not the ARN of an Amazon Connect resource: expected "
                "arn:aws:connect:REGION:ACCOUNT:instance/INSTANCE_ID[/TYPE/ID], as the resource's create call answered",
            )
        instance_id, type_segment = found["instance"], found["kind"]
        if type_segment is None:
            kind, label, ident = "instance", "instance", instance_id
        elif type_segment in _TAGGABLE:
            (kind, label), ident = _TAGGABLE[type_segment], found["ident"]
        else:
            raise not_found("taggable resource", arn)
        if kind == "instance":
            record = tx.get(kind, ident)
            if record is None and self._instance_elsewhere(instance_id) is not None:
                raise ServiceError(
                    "ResourceNotFoundException",
                    f"instance {instance_id!r} is held by another backend (moto's): its tags are that backend's",
                )
        else:  # not found when its instance is gone, or when it belongs to another instance
            record = self._child(tx, kind, label, instance_id, ident)
        arn_of = record.get(_ARN_MEMBER[kind]) if record is not None else None
        if record is None or arn_of != arn:
            raise not_found(label, arn)
        return kind, ident, record

    def holds(self, arn: str) -> bool:
        """Whether ``arn`` names a resource this backend's store holds (an instance held elsewhere is not)."""
        with self.store.transaction(write=False) as tx:
            try:
                self._tagged_resource(tx, arn)
            except ServiceError:
                return False
        return True

    @staticmethod
    def _by_arn(tx: Transaction, kind: str, instance_id: str, arn: str) -> dict[str, Any] | None:
        """The record of ``kind`` in the instance whose ARN is exactly ``arn`` (its id is the ARN's last
        segment: one lookup, not a scan of the instance's records), else ``None``."""
        found = tx.get(kind, arn.rsplit("/", 1)[-1])
        member = _ARN_MEMBER.get(kind, "Arn")
        return found if found is not None and found["InstanceId"] == instance_id and found.get(member) == arn else None

    def _put_tagged(self, tx: Transaction, kind: str, ident: str, record: dict[str, Any]) -> None:
        tx.put(kind, ident, record, parent="" if kind == "instance" else record["InstanceId"])

    def _tag_resource(self, tx: Transaction, p: Params) -> Result:
        kind, ident, record = self._tagged_resource(tx, p["resourceArn"])
        tags = {**(record.get("Tags") or {}), **p["tags"]}
        if len(tags) > MAX_TAGS:
            raise ServiceError(
                "InvalidParameterException",
                f"the resource would hold {len(tags)} tags; a resource holds at most {MAX_TAGS} "
                "(untag some first, or tag fewer keys)",
            )
        record["Tags"] = tags
        self._put_tagged(tx, kind, ident, record)
        return {}

    def _untag_resource(self, tx: Transaction, p: Params) -> Result:
        kind, ident, record = self._tagged_resource(tx, p["resourceArn"])
        gone = set(p["tagKeys"])
        # No tag left: no Tags member (the model's TagMap holds at least one entry), as at a creation without tags.
        record["Tags"] = {k: v for k, v in (record.get("Tags") or {}).items() if k not in gone} or None
        self._put_tagged(tx, kind, ident, record)
        return {}

    def _list_tags_for_resource(self, tx: Transaction, p: Params) -> Result:
        _, _, record = self._tagged_resource(tx, p["resourceArn"])
        return {"tags": dict(record.get("Tags") or {})}

    # -- aliases -----------------------------------------------------------------------------------

    def _alias_pair(self, tx: Transaction, p: Params) -> tuple[dict[str, Any], dict[str, Any]]:
        primary = self._address(tx, p["InstanceId"], p["EmailAddressId"])
        alias = self._address(tx, p["InstanceId"], p["AliasConfiguration"]["EmailAddressId"])
        return primary, alias

    def _associate_email_address_alias(self, tx: Transaction, p: Params) -> Result:
        primary, alias = self._alias_pair(tx, p)
        pid, aid = primary["EmailAddressId"], alias["EmailAddressId"]
        if primary.get("AliasOf"):
            raise ServiceError("InvalidRequestException", f"{pid!r} is itself an alias; aliases do not chain")
        if alias.get("Alias"):
            raise ServiceError("InvalidRequestException", f"{aid!r} has an alias of its own; aliases do not chain")
        if primary.get("Alias"):
            raise ServiceError("ResourceConflictException", f"{pid!r} already has an alias (at most one)")
        if alias.get("AliasOf"):
            raise ServiceError("ResourceConflictException", f"{aid!r} is already the alias of another address")
        primary["Alias"], alias["AliasOf"] = aid, pid
        tx.put("email", pid, primary, parent=p["InstanceId"])
        tx.put("email", aid, alias, parent=p["InstanceId"])
        return {}

    def _disassociate_email_address_alias(self, tx: Transaction, p: Params) -> Result:
        primary, alias = self._alias_pair(tx, p)
        pid, aid = primary["EmailAddressId"], alias["EmailAddressId"]
        if primary.get("Alias") != aid:
            raise ServiceError(
                "ResourceNotFoundException", f"there is no alias association between {pid!r} and alias {aid!r}"
            )
        primary["Alias"], alias["AliasOf"] = None, None
        tx.put("email", pid, primary, parent=p["InstanceId"])
        tx.put("email", aid, alias, parent=p["InstanceId"])
        return {}

    # -- contacts ----------------------------------------------------------------------------------

    def _recipients(self, p: Params) -> Result:
        extra = p.get("AdditionalRecipients") or {}
        to = extra.get("ToAddresses", [])
        cc = extra.get("CcAddresses", extra.get("CcEmailAddresses", []))
        most = self.config.max_recipients - 1  # the destination is the first of them
        if len(to) + len(cc) > most:
            raise ServiceError(
                "InvalidRequestException",
                f"AdditionalRecipients: at most {most} additional recipients (1 destination plus {most}, "
                f"{self.config.max_recipients} in total), got {len(to) + len(cc)}",
            )

        def listed(items: list[Mapping[str, str]]) -> list[dict[str, str]]:
            return [
                self._public(
                    {"Address": i["EmailAddress"], "DisplayName": i.get("DisplayName")}, "Address", "DisplayName"
                )
                for i in items
            ]

        out: Result = {}
        if to:
            out["ToList"] = listed(to)
        if cc:
            out["CcList"] = listed(cc)
        return out

    def _start_email_contact(self, tx: Transaction, p: Params) -> Result:
        instance_id = p["InstanceId"]
        instance = self._instance(tx, instance_id)
        destination = self._address_by_value(tx, instance_id, p["DestinationEmailAddress"])
        if destination is None:
            raise ServiceError(
                "ResourceNotFoundException", "DestinationEmailAddress is not an email address of this instance"
            )
        if p.get("ContactFlowId"):  # "The identifier of the flow for initiating the emails": a flow of the instance
            self._flow(tx, instance_id, p["ContactFlowId"])
        attributes: dict[str, str] = {}
        if p.get("RelatedContactId"):
            attributes.update(self._contact(tx, instance_id, p["RelatedContactId"]).get("Attributes") or {})
        attributes.update(p.get("Attributes") or {})
        if p.get("RelatedContactId"):
            self._combined_attributes(p["RelatedContactId"], attributes)
        recipients = self._recipients(p)
        ident, now = self.new_id(), self.clock()
        sender = p["FromEmailAddress"]
        record = {
            "InstanceId": instance_id,
            "Id": ident,
            "Arn": f"{instance['Arn']}/contact/{ident}",
            "InitialContactId": ident,
            "InitiationMethod": "INBOUND",
            "Channel": "EMAIL",
            "Name": p.get("Name"),
            "Description": p.get("Description"),
            "InitiationTimestamp": now,
            "LastUpdateTimestamp": now,
            "RelatedContactId": p.get("RelatedContactId"),
            "CustomerEndpoint": self._public(
                {"Type": "EMAIL_ADDRESS", "Address": sender["EmailAddress"], "DisplayName": sender.get("DisplayName")},
                "Type",
                "Address",
                "DisplayName",
            ),
            # The destination is an address of the instance: its display name is known (dropped when unset).
            "SystemEndpoint": self._public(
                {
                    "Type": "EMAIL_ADDRESS",
                    "Address": destination["EmailAddress"],
                    "DisplayName": destination.get("DisplayName"),
                },
                "Type",
                "Address",
                "DisplayName",
            ),
            "AdditionalEmailRecipients": recipients or None,
            "Attributes": attributes,
            "SegmentAttributes": p.get("SegmentAttributes"),
            "References": p.get("References"),
            "Message": p["EmailMessage"],
            "Attachments": p.get("Attachments"),
        }
        tx.put("contact", ident, record, parent=instance_id)
        return {"ContactId": ident}

    @staticmethod
    def _combined_attributes(related: str, attributes: Mapping[str, str]) -> None:
        """The copied and the sent attributes obey the per-contact limit together. The reference page:
        "There can be up to 32,768 UTF-8 bytes across all key-value pairs per contact" (doc rule
        START-ATTR-001, the same count), and "Linking emails together by using RelatedContactID copies
        over contact attributes from the related email contact to the new email contact". The copy is
        refused rather than cut short: a partial copy would lose attributes silently, and a contact over
        the limit would be one that GetContactAttributes and DescribeContact could not return."""
        attribute_rule = rules.RULES["START-ATTR-001"]
        for finding in attribute_rule.check({"Attributes": attributes}):
            raise ServiceError(
                "InvalidRequestException",
                f"RelatedContactId {related!r}: the related contact's attributes, copied to the new contact, and "
                f"this request's Attributes make {finding.actual} together, over the limit of "
                f"{rules.ATTRIBUTES_BYTE_LIMIT} UTF-8 bytes per contact [{attribute_rule.id}: "
                f"{attribute_rule.sentence}]; send fewer or shorter Attributes (a key the related contact has "
                "counts once), or omit RelatedContactId",
            )

    _CONTACT_FIELDS = (
        "Id",
        "Arn",
        "InitialContactId",
        "InitiationMethod",
        "Channel",
        "Name",
        "Description",
        "InitiationTimestamp",
        "LastUpdateTimestamp",
        "DisconnectTimestamp",
        "DisconnectReason",
        "QueueInfo",
        "RelatedContactId",
        "PreviousContactId",
        "CustomerEndpoint",
        "SystemEndpoint",
        "AdditionalEmailRecipients",
        "Attributes",
        "SegmentAttributes",
    )

    def _describe_contact(self, tx: Transaction, p: Params) -> Result:
        record = self._contact(tx, p["InstanceId"], p["ContactId"])
        return {"Contact": self._public(record, *self._CONTACT_FIELDS)}

    def _get_contact_attributes(self, tx: Transaction, p: Params) -> Result:
        record = self._contact(tx, p["InstanceId"], p["InitialContactId"])
        return {"Attributes": record.get("Attributes") or {}}

    #: CreateContact's supported initiation methods per channel (the model's documentation).
    _CREATE_METHODS: ClassVar[dict[str, tuple[str, ...]]] = {
        "EMAIL": ("OUTBOUND", "AGENT_REPLY", "FLOW"),
        "VOICE": ("TRANSFER",),
        "TASK": ("API",),
    }

    def _create_contact(self, tx: Transaction, p: Params) -> Result:
        instance_id, channel, method = p["InstanceId"], p["Channel"], p["InitiationMethod"]
        instance = self._instance(tx, instance_id)
        supported = self._CREATE_METHODS.get(channel)
        if supported is None:
            raise ServiceError(
                "InvalidRequestException",
                f"Channel {channel} is not supported by CreateContact; use one of {', '.join(self._CREATE_METHODS)}",
            )
        if method not in supported:
            raise ServiceError(
                "InvalidRequestException",
                f"InitiationMethod {method} is not supported for the {channel} channel; use one of "
                + ", ".join(supported),
            )
        if channel == "EMAIL" and method in self._OUTBOUND_METHODS and not (p.get("UserInfo") or {}).get("UserId"):
            raise ServiceError(
                "InvalidRequestException",
                f"UserInfo.UserId is required for an EMAIL contact with the {method} initiation method",
            )
        if p.get("InitiateAs") == "COMPLETED" and channel != "TASK":
            raise ServiceError("InvalidRequestException", "only TASK contacts can be initiated with COMPLETED state")
        if p.get("RelatedContactId"):
            self._contact(tx, instance_id, p["RelatedContactId"])
        ident, now = self.new_id(), self.clock()
        record = {
            "InstanceId": instance_id,
            "Id": ident,
            "Arn": f"{instance['Arn']}/contact/{ident}",
            "InitialContactId": ident,
            "InitiationMethod": method,
            "Channel": channel,
            "Name": p.get("Name"),
            "Description": p.get("Description"),
            "InitiationTimestamp": now,
            "LastUpdateTimestamp": now,
            "RelatedContactId": p.get("RelatedContactId"),
            "PreviousContactId": p.get("PreviousContactId"),
            "Attributes": dict(p.get("Attributes") or {}),
            "SegmentAttributes": p.get("SegmentAttributes"),
            "References": p.get("References"),
            "UserId": (p.get("UserInfo") or {}).get("UserId"),
        }
        tx.put("contact", ident, record, parent=instance_id)
        return {"ContactId": ident, "ContactArn": record["Arn"]}

    def _sender(self, tx: Transaction, instance_id: str, p: Params) -> dict[str, Any]:
        sender = self._address_by_value(tx, instance_id, p["FromEmailAddress"]["EmailAddress"])
        if sender is None:
            raise ServiceError("ResourceNotFoundException", "FromEmailAddress is not an email address of this instance")
        return sender

    @staticmethod
    def _message_members(message: Mapping[str, Any]) -> None:
        wanted = {"RAW": "RawMessage", "TEMPLATE": "TemplatedMessageConfig"}[message["MessageSourceType"]]
        if wanted not in message:
            raise ServiceError(
                "InvalidRequestException",
                f"EmailMessage: MessageSourceType {message['MessageSourceType']} needs EmailMessage.{wanted}",
            )

    def _send_outbound_email(self, tx: Transaction, p: Params) -> Result:
        self._instance(tx, p["InstanceId"])
        if p["TrafficType"] != "CAMPAIGN":
            raise ServiceError(
                "InvalidRequestException", f"TrafficType {p['TrafficType']} is not supported: only CAMPAIGN is"
            )
        if not p.get("SourceCampaign"):
            raise ServiceError("InvalidRequestException", "SourceCampaign is required for the CAMPAIGN traffic type")
        self._message_members(p["EmailMessage"])
        self._sender(tx, p["InstanceId"], p)
        self._recipients(p)
        ident = self.new_id()
        record = {"InstanceId": p["InstanceId"], "Request": p, "Sent": self.clock()}
        tx.put("outbound", ident, record, parent=p["InstanceId"])
        return {}

    _OUTBOUND_METHODS = ("OUTBOUND", "AGENT_REPLY")

    def _outbound_contact(self, tx: Transaction, p: Params, operation: str) -> dict[str, Any]:
        contact = self._contact(tx, p["InstanceId"], p["ContactId"])
        if contact.get("Channel") != "EMAIL" or contact.get("InitiationMethod") not in self._OUTBOUND_METHODS:
            raise ServiceError(
                "InvalidRequestException",
                f"{operation} applies only to EMAIL contacts created by CreateContact with the OUTBOUND or "
                f"AGENT_REPLY initiation method; contact {contact['Id']!r} is a {contact.get('Channel')} contact "
                f"initiated {contact.get('InitiationMethod')}",
            )
        return contact

    def _start_outbound_email_contact(self, tx: Transaction, p: Params) -> Result:
        contact = self._outbound_contact(tx, p, "StartOutboundEmailContact")
        if contact.get("Sent"):
            raise ServiceError("InvalidRequestException", f"contact {contact['Id']!r} was already sent")
        self._message_members(p["EmailMessage"])
        if "FromEmailAddress" in p:
            self._sender(tx, p["InstanceId"], p)
        self._recipients(p)
        contact["OutboundMessage"] = p["EmailMessage"]
        contact["Sent"] = contact["LastUpdateTimestamp"] = self.clock()
        tx.put("contact", contact["Id"], contact, parent=p["InstanceId"])
        return {"ContactId": contact["Id"]}

    def _update_outbound_email_contact_message(self, tx: Transaction, p: Params) -> Result:
        contact = self._outbound_contact(tx, p, "UpdateOutboundEmailContactMessage")
        if contact.get("Sent"):
            raise ServiceError(
                "ResourceConflictException",
                f"contact {contact['Id']!r} was already sent by StartOutboundEmailContact; its draft cannot change",
            )
        contact["OutboundMessage"] = p["EmailMessage"]
        contact["LastUpdateTimestamp"] = self.clock()
        tx.put("contact", contact["Id"], contact, parent=p["InstanceId"])
        return {"ContactId": contact["Id"]}

    # -- queues ------------------------------------------------------------------------------------

    def _queue(self, tx: Transaction, p: Params) -> tuple[str, dict[str, Any]]:
        """The queue ``p`` names (its id and record): one CreateQueue made in this instance, else 404."""
        return p["QueueId"], self._child(tx, "queue", "queue", p["InstanceId"], p["QueueId"])

    def _queue_size(self, queue: Mapping[str, Any]) -> int:
        default = queue.get("OutboundEmailAddressId")
        return len(set(queue["EmailAddressIds"]) | ({default} if default else set()))

    def _associate_queue_email_addresses(self, tx: Transaction, p: Params) -> Result:
        key, queue = self._queue(tx, p)
        for item in p["EmailAddressesConfig"]:
            self._address(tx, p["InstanceId"], item["EmailAddressId"])
        for item in p["EmailAddressesConfig"]:
            if item["EmailAddressId"] not in queue["EmailAddressIds"]:
                queue["EmailAddressIds"].append(item["EmailAddressId"])
        if self._queue_size(queue) > self.config.max_queue_addresses:
            raise ServiceError(
                "LimitExceededException",
                f"a queue has at most {self.config.max_queue_addresses} email addresses (49 associated plus its "
                f"default outbound address); this association would make {self._queue_size(queue)}",
            )
        queue["Modified"] = self.clock()
        tx.put("queue", key, queue, parent=p["InstanceId"])
        return {}

    def _disassociate_queue_email_addresses(self, tx: Transaction, p: Params) -> Result:
        key, queue = self._queue(tx, p)
        for address_id in p["EmailAddressesId"]:
            if address_id not in queue["EmailAddressIds"]:
                raise not_found("queue email address association", address_id)
        for address_id in p["EmailAddressesId"]:
            if address_id in queue["EmailAddressIds"]:
                queue["EmailAddressIds"].remove(address_id)
        queue["Modified"] = self.clock()
        tx.put("queue", key, queue, parent=p["InstanceId"])
        return {}

    def _list_queue_email_addresses(self, tx: Transaction, p: Params) -> Result:
        _, queue = self._queue(tx, p)
        items = []
        default = queue.get("OutboundEmailAddressId")
        listed = list(queue["EmailAddressIds"]) + (
            [default] if default and default not in queue["EmailAddressIds"] else []
        )
        for ident in listed:
            record = tx.get("email", ident)
            if record is not None:
                items.append(
                    {
                        "Id": ident,
                        "Arn": record["EmailAddressArn"],
                        "IsDefaultOutboundEmail": queue.get("OutboundEmailAddressId") == ident,
                    }
                )
        page, following = _page("ListQueueEmailAddresses", items, p, 100)
        return {
            "EmailAddressMetadataList": page,
            "NextToken": following,
            "LastModifiedTime": queue["Modified"],  # dropped when None, as every absent member
            "LastModifiedRegion": self.config.region,
        }

    def _update_queue_outbound_email_config(self, tx: Transaction, p: Params) -> Result:
        key, queue = self._queue(tx, p)
        address_id = p["OutboundEmailConfig"].get("OutboundEmailAddressId")
        if address_id:
            self._address(tx, p["InstanceId"], address_id)
        before = queue.get("OutboundEmailAddressId")
        queue["OutboundEmailAddressId"] = address_id
        if self._queue_size(queue) > self.config.max_queue_addresses:
            queue["OutboundEmailAddressId"] = before
            raise ServiceError(
                "InvalidRequestException",
                f"the queue already has {self.config.max_queue_addresses} email addresses; associate the default "
                "outbound address with it first, or disassociate another",
            )
        queue["Modified"] = self.clock()
        tx.put("queue", key, queue, parent=p["InstanceId"])
        return {}

    # -- hours of operation ------------------------------------------------------------------------

    def _named_once(self, tx: Transaction, kind: str, label: str, instance_id: str, name: str) -> None:
        """Names of hours of operation and of queues are unique in their instance (compared as given)."""
        if any(r.get("Name") == name for _, r in tx.find(kind, instance_id)):
            raise ServiceError("DuplicateResourceException", f"{label} named {name!r} already exists in this instance")

    def _hours(self, tx: Transaction, instance_id: str, hours_id: str) -> dict[str, Any]:
        return self._child(tx, "hours", "hours of operation", instance_id, hours_id)

    def _create_hours_of_operation(self, tx: Transaction, p: Params) -> Result:
        instance_id = p["InstanceId"]
        instance = self._instance(tx, instance_id)
        self._named_once(tx, "hours", "hours of operation", instance_id, p["Name"])
        parents = [
            self._hours(tx, instance_id, c["HoursOfOperationId"])
            for c in p.get("ParentHoursOfOperationConfigs", [])
            if "HoursOfOperationId" in c
        ]
        ident = self.new_id()
        record = {
            "InstanceId": instance_id,
            "HoursOfOperationId": ident,
            "HoursOfOperationArn": f"{instance['Arn']}/operating-hours/{ident}",
            "Name": p["Name"],
            "Description": p.get("Description"),
            "TimeZone": p["TimeZone"],
            "Config": p["Config"],
            "ParentIds": [r["HoursOfOperationId"] for r in parents],
            "Tags": p.get("Tags"),
            "Modified": self.clock(),
        }
        tx.put("hours", ident, record, parent=instance_id)
        return {"HoursOfOperationId": ident, "HoursOfOperationArn": record["HoursOfOperationArn"]}

    def _describe_hours_of_operation(self, tx: Transaction, p: Params) -> Result:
        record = self._hours(tx, p["InstanceId"], p["HoursOfOperationId"])
        out = self._public(
            record, "HoursOfOperationId", "HoursOfOperationArn", "Name", "Description", "TimeZone", "Config", "Tags"
        )
        parents = [tx.get("hours", ident) for ident in record.get("ParentIds", [])]
        if parents:
            out["ParentHoursOfOperations"] = [
                {"Name": r["Name"], "Id": r["HoursOfOperationId"], "Arn": r["HoursOfOperationArn"]}
                for r in parents
                if r is not None
            ]
        out["LastModifiedTime"] = record["Modified"]
        out["LastModifiedRegion"] = self.config.region
        return {"HoursOfOperation": out}

    # -- queues ------------------------------------------------------------------------------------

    def _create_queue(self, tx: Transaction, p: Params) -> Result:
        instance_id = p["InstanceId"]
        instance = self._instance(tx, instance_id)
        self._named_once(tx, "queue", "a queue", instance_id, p["Name"])
        self._hours(tx, instance_id, p["HoursOfOperationId"])
        members = [c["EmailAddressId"] for c in p.get("EmailAddressesConfig", [])]
        outbound = (p.get("OutboundEmailConfig") or {}).get("OutboundEmailAddressId")
        for address_id in [*members, *([outbound] if outbound else [])]:
            self._address(tx, instance_id, address_id)
        ident = self.new_id()
        record = {
            "InstanceId": instance_id,
            "QueueId": ident,
            "QueueArn": f"{instance['Arn']}/queue/{ident}",
            "Name": p["Name"],
            "Description": p.get("Description"),
            "HoursOfOperationId": p["HoursOfOperationId"],
            "MaxContacts": p.get("MaxContacts"),
            "OutboundCallerConfig": p.get("OutboundCallerConfig"),
            "EmailAddressIds": list(dict.fromkeys(members)),
            "OutboundEmailAddressId": outbound,
            "Status": "ENABLED",
            "Tags": p.get("Tags"),
            "Modified": self.clock(),
        }
        if self._queue_size(record) > self.config.max_queue_addresses:
            raise ServiceError(
                "LimitExceededException",
                f"a queue has at most {self.config.max_queue_addresses} email addresses; this one would have "
                f"{self._queue_size(record)}",
            )
        tx.put("queue", ident, record, parent=instance_id)
        return {"QueueArn": record["QueueArn"], "QueueId": ident}

    def _queue_view(self, record: Mapping[str, Any]) -> dict[str, Any]:
        out = self._public(
            record,
            "Name",
            "QueueArn",
            "QueueId",
            "Description",
            "OutboundCallerConfig",
            "HoursOfOperationId",
            "MaxContacts",
            "Status",
            "Tags",
        )
        if record.get("OutboundEmailAddressId"):
            out["OutboundEmailConfig"] = {"OutboundEmailAddressId": record["OutboundEmailAddressId"]}
        out["LastModifiedTime"] = record["Modified"]
        out["LastModifiedRegion"] = self.config.region
        return out

    def _describe_queue(self, tx: Transaction, p: Params) -> Result:
        _, record = self._queue(tx, p)
        return {"Queue": self._queue_view(record)}

    def _list_queues(self, tx: Transaction, p: Params) -> Result:
        self._instance(tx, p["InstanceId"])
        wanted = set(p.get("QueueTypes") or ("STANDARD", "AGENT"))
        items = [
            {
                "Id": r["QueueId"],
                "Arn": r["QueueArn"],
                "Name": r["Name"],
                "QueueType": "STANDARD",
                "LastModifiedTime": r["Modified"],
                "LastModifiedRegion": self.config.region,
            }
            for _, r in tx.find("queue", p["InstanceId"])
            if "STANDARD" in wanted
        ]
        page, following = _page("ListQueues", items, p, 100)
        return {"QueueSummaryList": page, "NextToken": following}

    #: SearchQueues' StringCondition field names (the model: "name, description, and resourceID"), by record member.
    _QUEUE_SEARCH_FIELDS: ClassVar[dict[str, str]] = {
        "name": "Name",
        "description": "Description",
        "resourceID": "QueueId",
    }

    def _queue_matches(self, record: Mapping[str, Any], criteria: Mapping[str, Any] | None) -> bool:
        def standard(condition: Mapping[str, Any]) -> bool:  # every emulated queue is STANDARD
            return condition.get("QueueTypeCondition") in (None, "STANDARD")

        return self._criteria_hold(record, criteria, self._QUEUE_SEARCH_FIELDS, standard)

    def _search_queues(self, tx: Transaction, p: Params) -> Result:
        self._instance(tx, p["InstanceId"])
        found = [
            self._queue_view(r)
            for _, r in tx.find("queue", p["InstanceId"])
            if self._queue_matches(r, p.get("SearchCriteria")) and self._tagged(r, p.get("SearchFilter"))
        ]
        page, following = _page("SearchQueues", found, p, 100)
        return {"Queues": page, "NextToken": following, "ApproximateTotalCount": len(found)}

    # -- flows -------------------------------------------------------------------------------------

    def _flow(self, tx: Transaction, instance_id: str, flow: str) -> dict[str, Any]:
        """The flow of the instance that ``flow`` names: its id, or its ARN (AssociateFlow's FlowId is an ARN
        shape)."""
        if flow.startswith("arn:"):
            self._instance(tx, instance_id)
            found = self._by_arn(tx, "flow", instance_id, flow)
            if found is None:
                raise not_found("flow", flow)
            return found
        return self._child(tx, "flow", "flow", instance_id, flow)

    @staticmethod
    def _flow_problem(content: str) -> str | None:
        """Why ``content`` is not a flow in the flow language (``Version``, ``StartAction``, ``Actions``, each
        action with an ``Identifier`` and a ``Type``, the start action among them), or ``None``."""
        try:
            flow = json.loads(content)
        except json.JSONDecodeError as exc:
            return f"Content is not JSON ({exc.msg} at character {exc.pos})"
        except (ValueError, RecursionError):
            return "Content is not JSON the emulator can read (nested too deeply, or a number too long)"
        if not isinstance(flow, dict):
            return "Content is not a JSON object"
        actions = flow.get("Actions")
        if not isinstance(flow.get("Version"), str) or not isinstance(actions, list):
            return "Content needs a Version (a string) and Actions (a list)"
        identifiers = set()
        for n, action in enumerate(actions):
            if not isinstance(action, dict) or not isinstance(action.get("Identifier"), str) or "Type" not in action:
                return f"Actions[{n}] needs an Identifier (a string) and a Type"
            identifiers.add(action["Identifier"])
        if flow.get("StartAction") not in identifiers:
            return "StartAction must be the Identifier of one of the Actions"
        return None

    def _create_contact_flow(self, tx: Transaction, p: Params) -> Result:
        instance_id = p["InstanceId"]
        instance = self._instance(tx, instance_id)
        self._named_once(tx, "flow", "a flow", instance_id, p["Name"])
        status = p.get("Status", "PUBLISHED")
        problem = self._flow_problem(p["Content"]) if status == "PUBLISHED" else None
        if problem is not None:  # "The PUBLISHED status will initiate validation on the content"
            raise ServiceError("InvalidContactFlowException", f"the flow is not valid: {problem}")
        ident = self.new_id()
        record = {
            "InstanceId": instance_id,
            "Id": ident,
            "Arn": f"{instance['Arn']}/contact-flow/{ident}",
            "Name": p["Name"],
            "Type": p["Type"],
            "State": "ACTIVE",
            "Status": status,
            "Description": p.get("Description"),
            "Content": p["Content"],
            "Tags": p.get("Tags"),
            "FlowContentSha256": hashlib.sha256(p["Content"].encode("utf-8")).hexdigest(),
            "Modified": self.clock(),
        }
        tx.put("flow", ident, record, parent=instance_id)
        return {
            "ContactFlowId": ident,
            "ContactFlowArn": record["Arn"],
            "FlowContentSha256": record["FlowContentSha256"],
        }

    def _describe_contact_flow(self, tx: Transaction, p: Params) -> Result:
        flow_id, _, alias = p["ContactFlowId"].partition(":")
        if alias not in ("", "$SAVED"):
            raise not_found("flow version", p["ContactFlowId"])  # versions (CreateContactFlowVersion) are not emulated
        record = self._flow(tx, p["InstanceId"], flow_id)
        if record["Status"] == "SAVED" and alias != "$SAVED":
            raise ServiceError(
                "ContactFlowNotPublishedException",
                f"flow {flow_id!r} is SAVED, not published: describe '{flow_id}:$SAVED' to read its saved content",
            )
        out = self._public(
            record,
            "Arn",
            "Id",
            "Name",
            "Type",
            "State",
            "Status",
            "Description",
            "Content",
            "Tags",
            "FlowContentSha256",
        )
        out["LastModifiedTime"] = record["Modified"]
        out["LastModifiedRegion"] = self.config.region
        return {"ContactFlow": out}

    # -- flow associations -------------------------------------------------------------------------

    def _flow_resource(self, tx: Transaction, instance_id: str, resource_id: str, resource_type: str) -> dict[str, Any]:
        """The email address a flow association names: its ARN, as the other types name their resource (an
        SMS or WhatsApp phone number's ARN); only the email types' resources are emulated."""
        self._instance(tx, instance_id)
        if resource_type not in EMAIL_FLOW_TYPES:
            raise ServiceError(
                "ResourceNotFoundException",
                f"{resource_type} resources are not emulated: flow associations of {' and '.join(EMAIL_FLOW_TYPES)}",
            )
        found = self._by_arn(tx, "email", instance_id, resource_id)
        if found is None:
            raise not_found("email address (ResourceId, the address's ARN)", resource_id)
        return found

    @staticmethod
    def _association(record: Mapping[str, Any]) -> dict[str, Any]:
        return {"ResourceId": record["ResourceId"], "FlowId": record["FlowId"], "ResourceType": record["ResourceType"]}

    def _associate_flow(self, tx: Transaction, p: Params) -> Result:
        instance_id = p["InstanceId"]
        address = self._flow_resource(tx, instance_id, p["ResourceId"], p["ResourceType"])
        self._flow(tx, instance_id, p["FlowId"])
        record = {
            "InstanceId": instance_id,
            "ResourceId": p["ResourceId"],
            "ResourceType": p["ResourceType"],
            "FlowId": p["FlowId"],
        }
        tx.put("flowassoc", f"{address['EmailAddressId']}/{p['ResourceType']}", record, parent=instance_id)
        return {}

    def _bound(self, tx: Transaction, p: Params) -> tuple[str, dict[str, Any]]:
        address = self._flow_resource(tx, p["InstanceId"], p["ResourceId"], p["ResourceType"])
        key = f"{address['EmailAddressId']}/{p['ResourceType']}"
        found = tx.get("flowassoc", key)
        if found is None:
            raise not_found(f"{p['ResourceType']} flow association of", p["ResourceId"])
        return key, found

    def _disassociate_flow(self, tx: Transaction, p: Params) -> Result:
        key, _ = self._bound(tx, p)
        tx.delete("flowassoc", key)
        return {}

    def _get_flow_association(self, tx: Transaction, p: Params) -> Result:
        return self._association(self._bound(tx, p)[1])

    def _list_flow_associations(self, tx: Transaction, p: Params) -> Result:
        self._instance(tx, p["InstanceId"])
        wanted = p.get("ResourceType")
        items = [
            self._association(r)
            for _, r in tx.find("flowassoc", p["InstanceId"])
            if wanted is None or r["ResourceType"] == wanted
        ]
        page, following = _page("ListFlowAssociations", items, p, 100)
        return {"FlowAssociationSummaryList": page, "NextToken": following}

    def _batch_get_flow_association(self, tx: Transaction, p: Params) -> Result:
        """The associations of the named resources (of ``ResourceType``, else of either email type); a resource
        without one is left out, as a batch get leaves out what it does not find."""
        self._instance(tx, p["InstanceId"])
        wanted = set(p["ResourceIds"])
        kind = p.get("ResourceType")
        found = [
            self._association(r)
            for _, r in tx.find("flowassoc", p["InstanceId"])
            if r["ResourceId"] in wanted and (kind is None or r["ResourceType"] == kind)
        ]
        return {"FlowAssociationSummaryList": found}

    # -- a contact's life --------------------------------------------------------------------------

    #: UpdateContact's members that "can only be updated for external audio contacts" (the model), which the
    #: emulator does not make.
    _EXTERNAL_AUDIO_ONLY = ("QueueInfo", "UserInfo", "CustomerEndpoint", "SystemEndpoint")
    _UPDATABLE = ("Name", "Description", "References", "SegmentAttributes", "AdditionalRecipients")

    def _update_contact(self, tx: Transaction, p: Params) -> Result:
        record = self._contact(tx, p["InstanceId"], p["ContactId"])
        audio = [name for name in self._EXTERNAL_AUDIO_ONLY if name in p]
        if audio:
            raise ServiceError(
                "InvalidRequestException",
                f"{', '.join(audio)}: the model says it 'can only be updated for external audio contacts'; "
                f"contact {p['ContactId']!r} is a {record['Channel']} contact",
            )
        if not any(name in p for name in self._UPDATABLE):
            raise ServiceError(
                "InvalidRequestException",
                "At least one field to be updated must be present in the request: " + ", ".join(self._UPDATABLE),
            )
        for name in ("Name", "Description"):
            if name in p:
                record[name] = p[name]
        for name in ("References", "SegmentAttributes"):  # "Adds or updates": by key
            if name in p:
                record[name] = {**(record.get(name) or {}), **p[name]}
        if "AdditionalRecipients" in p:
            if record["Channel"] != "EMAIL":
                raise ServiceError(
                    "InvalidRequestException",
                    f"AdditionalRecipients are 'the additional recipients of an outbound email'; contact "
                    f"{p['ContactId']!r} is a {record['Channel']} contact",
                )
            cc = self._recipients(
                {"AdditionalRecipients": {"CcAddresses": p["AdditionalRecipients"].get("CcEmailAddresses", [])}}
            ).get("CcList")
            recipients = {k: v for k, v in (record.get("AdditionalEmailRecipients") or {}).items() if k != "CcList"}
            if cc:  # "An empty list clears the existing CC recipients"
                recipients["CcList"] = cc
            record["AdditionalEmailRecipients"] = recipients or None
        record["LastUpdateTimestamp"] = self.clock()
        tx.put("contact", record["Id"], record, parent=p["InstanceId"])
        return {}

    def _stop_contact(self, tx: Transaction, p: Params) -> Result:
        record = self._contact(tx, p["InstanceId"], p["ContactId"])
        if record.get("DisconnectTimestamp") is not None:
            raise ServiceError(
                "ContactNotFoundException",
                f"contact {p['ContactId']!r} is not active: it ended at {_iso(record['DisconnectTimestamp'])}",
            )
        now = self.clock()
        record["DisconnectTimestamp"] = now
        record["DisconnectReason"] = (p.get("DisconnectReason") or {}).get("Code")
        record["LastUpdateTimestamp"] = now
        tx.put("contact", record["Id"], record, parent=p["InstanceId"])
        return {}

    def _delete_contact_data(self, tx: Transaction, p: Params) -> Result:
        """Redacts the named PII of a terminated contact: its customer endpoint, its additional email recipients,
        its email's subject (in the message its EMAIL_MESSAGE file holds)."""
        record = self._contact(tx, p["InstanceId"], p["ContactId"])
        if record.get("DisconnectTimestamp") is None:
            raise ServiceError(
                "ContactNotTerminatedException",
                f"contact {p['ContactId']!r} has not been disconnected: 'The contact must be in a terminated state' "
                "(StopContact first)",
            )
        fields = set(p["ContactFields"])
        email_only = sorted(fields & {"ADDITIONAL_EMAIL_RECIPIENTS", "EMAIL_SUBJECT"})
        if email_only and record["Channel"] != "EMAIL":
            raise ServiceError(
                "InvalidRequestException",
                f"{', '.join(email_only)}: email channel only; contact {p['ContactId']!r} is a "
                f"{record['Channel']} contact",
            )
        if "CUSTOMER_ENDPOINT" in fields:
            record["CustomerEndpoint"] = None
        if "ADDITIONAL_EMAIL_RECIPIENTS" in fields:
            record["AdditionalEmailRecipients"] = None
        if "EMAIL_SUBJECT" in fields:
            for key in ("Message", "OutboundMessage"):
                raw = (record.get(key) or {}).get("RawMessage")
                if isinstance(raw, dict):
                    raw.pop("Subject", None)
        record["LastUpdateTimestamp"] = self.clock()
        tx.put("contact", record["Id"], record, parent=p["InstanceId"])
        return {}

    #: "A contact cannot be transferred more than 11 times."
    MAX_TRANSFERS = 11

    def _transfers(self, tx: Transaction, record: Mapping[str, Any]) -> int:
        count, seen = 0, {record["Id"]}
        while record.get("InitiationMethod") == "TRANSFER" and record.get("PreviousContactId") not in seen:
            count += 1
            previous = tx.get("contact", record["PreviousContactId"])
            if previous is None:
                break
            seen.add(previous["Id"])
            record = previous
        return count

    def _transfer_contact(self, tx: Transaction, p: Params) -> Result:
        instance_id = p["InstanceId"]
        record = self._contact(tx, instance_id, p["ContactId"])
        problem = None
        if record["Channel"] not in ("TASK", "EMAIL"):
            problem = f"Transfer is only supported for TASK and EMAIL contacts; this is a {record['Channel']} contact"
        elif "QueueId" in p and "UserId" in p:
            problem = "Do not use both QueueId and UserId in the same call"
        elif "QueueId" not in p and "UserId" not in p:
            problem = "name the queue (QueueId) or the agent (UserId) to transfer the contact to"
        elif record.get("DisconnectTimestamp") is not None:
            problem = "The TransferContact API can be called only on active contacts; this one has ended"
        if problem:
            raise ServiceError("InvalidRequestException", problem)
        self._flow(tx, instance_id, p["ContactFlowId"])
        queue = self._queue(tx, p)[1] if "QueueId" in p else None
        if self._transfers(tx, record) >= self.MAX_TRANSFERS:
            raise ServiceError(
                "ServiceQuotaExceededException",
                f"A contact cannot be transferred more than {self.MAX_TRANSFERS} times; contact {p['ContactId']!r} was",
            )
        now, ident = self.clock(), self.new_id()
        instance = self._instance(tx, instance_id)
        moved = {
            **{k: v for k, v in record.items() if k not in ("DisconnectTimestamp", "DisconnectReason", "QueueInfo")},
            "Id": ident,
            "Arn": f"{instance['Arn']}/contact/{ident}",
            "InitiationMethod": "TRANSFER",
            "PreviousContactId": record["Id"],
            "RelatedContactId": None,
            "InitiationTimestamp": now,
            "LastUpdateTimestamp": now,
        }
        if queue is not None:
            moved["QueueInfo"] = {"Id": queue["QueueId"], "EnqueueTimestamp": now}
        record["DisconnectTimestamp"], record["LastUpdateTimestamp"] = now, now
        tx.put("contact", record["Id"], record, parent=instance_id)
        tx.put("contact", ident, moved, parent=instance_id)
        return {"ContactId": ident, "ContactArn": moved["Arn"]}

    def _list_associated_contacts(self, tx: Transaction, p: Params) -> Result:
        """The contact tree: every contact linked to this one through RelatedContactId or PreviousContactId,
        directly or not, this one included, oldest first."""
        record = self._contact(tx, p["InstanceId"], p["ContactId"])
        contacts = dict(tx.find("contact", p["InstanceId"]))
        links: dict[str, set[str]] = {ident: set() for ident in contacts}
        for ident, r in contacts.items():
            for other in (r.get("RelatedContactId"), r.get("PreviousContactId")):
                if other in links:
                    links[ident].add(other)
                    links[other].add(ident)
        tree, todo = {record["Id"]}, [record["Id"]]
        while todo:
            for other in links.get(todo.pop(), ()):
                if other not in tree:
                    tree.add(other)
                    todo.append(other)
        members = sorted((contacts[i] for i in tree), key=lambda r: (r["InitiationTimestamp"], r["Id"]))
        items = [
            dict(
                self._public(
                    r,
                    "InitiationTimestamp",
                    "DisconnectTimestamp",
                    "InitialContactId",
                    "PreviousContactId",
                    "RelatedContactId",
                    "InitiationMethod",
                    "Channel",
                ),
                ContactId=r["Id"],
                ContactArn=r["Arn"],
            )
            for r in members
        ]
        page, following = _page("ListAssociatedContacts", items, p, 100)
        return {"ContactSummaryList": page, "NextToken": following}

    #: ListContactReferences' member of each reference type, and the members each one answers.
    _REFERENCE_MEMBERS: ClassVar[dict[str, tuple[str, tuple[str, ...]]]] = {
        "URL": ("Url", ("Name", "Value")),
        "ATTACHMENT": ("Attachment", ("Name", "Value", "Status", "Arn")),
        "NUMBER": ("Number", ("Name", "Value")),
        "STRING": ("String", ("Name", "Value")),
        "DATE": ("Date", ("Name", "Value")),
        "EMAIL": ("Email", ("Name", "Value")),
        "CONTACT_ANALYSIS": ("ContactAnalysis", ("Name", "Value", "Status", "Arn")),
        "EMAIL_MESSAGE": ("EmailMessage", ("Name", "Arn")),
        "EMAIL_MESSAGE_REDACTED": ("EmailMessageRedacted", ("Name", "Arn")),
        "EMAIL_MESSAGE_PLAIN_TEXT": ("EmailMessagePlainText", ("Name", "Arn")),
        "EMAIL_MESSAGE_PLAIN_TEXT_REDACTED": ("EmailMessagePlainTextRedacted", ("Name", "Arn")),
    }
    #: The name of the reference to an email contact's message.
    EMAIL_MESSAGE_REFERENCE = "EmailMessage"

    def _references(self, record: Mapping[str, Any]) -> list[tuple[str, dict[str, Any]]]:
        """The contact's references as (type, members): its own, then its email message's."""
        found = [
            (str(ref["Type"]), {"Name": name, **{k: v for k, v in ref.items() if k != "Type"}})
            for name, ref in (record.get("References") or {}).items()
        ]
        if record.get("Message") is not None or record.get("Sent"):  # received, or sent by StartOutboundEmailContact
            message_id = uuid.uuid5(uuid.NAMESPACE_URL, record["Arn"])
            arn = f"{record['Arn'].split('/contact/')[0]}/attached-file/{message_id}"
            found.append(("EMAIL_MESSAGE", {"Name": self.EMAIL_MESSAGE_REFERENCE, "Arn": arn}))
        return found

    def _list_contact_references(self, tx: Transaction, p: Params) -> Result:
        record = self._contact(tx, p["InstanceId"], p["ContactId"])
        wanted = set(p["ReferenceTypes"])
        items = []
        for kind, ref in self._references(record):
            if kind in wanted and kind in self._REFERENCE_MEMBERS:
                member, names = self._REFERENCE_MEMBERS[kind]
                items.append({member: self._public(ref, *names)})
        page, following = _page("ListContactReferences", items, p, 100)
        return {"ReferenceSummaryList": page, "NextToken": following}

    # -- attached files ----------------------------------------------------------------------------

    #: "Only ATTACHMENTS are supported" (StartAttachedFileUpload's FileUseCaseType); the emulator keeps an
    #: email contact's message as an EMAIL_MESSAGE file of its own.
    UPLOADABLE: tuple[str, ...] = ("ATTACHMENT",)
    #: "The default value is 300" (UrlExpiryInSeconds).
    URL_EXPIRY = 300

    def _associated_contact(self, tx: Transaction, instance_id: str, arn: str, invalid: str) -> dict[str, Any]:
        """The contact whose ARN is ``arn`` (email attachments belong to contacts; cases and tasks are not
        emulated); ``invalid``: the error code when there is none (and when the instance is unknown)."""
        if not tx.exists("instance", instance_id) and self._instance_elsewhere(instance_id) is None:
            raise ServiceError(invalid, f"instance {instance_id!r} does not exist")
        found = self._by_arn(tx, "contact", instance_id, arn)
        if found is None:
            raise ServiceError(
                invalid,
                f"AssociatedResourceArn {arn!r} is no contact of this instance (an email contact's ARN, as "
                "StartEmailContact's contact has; cases and tasks are not emulated)",
            )
        return found

    def _file_url(self, kind: str, record: Mapping[str, Any], expiry: int) -> dict[str, Any]:
        expires = self.clock() + expiry
        url = f"{self.config.public_url.rstrip('/')}/_connect-email/files/{record['FileId']}?{kind}={record['Secret']}"
        return {"Url": f"{url}&expires={int(expires)}", "UrlExpiry": _iso(expires)}

    def _message_file(self, contact: Mapping[str, Any]) -> dict[str, Any] | None:
        """The EMAIL_MESSAGE file of a contact that received or sent a message (its EMAIL_MESSAGE reference)."""
        message = contact.get("Message") or (contact.get("OutboundMessage") if contact.get("Sent") else None)
        if message is None:
            return None
        ident = str(uuid.uuid5(uuid.NAMESPACE_URL, contact["Arn"]))
        return {
            "InstanceId": contact["InstanceId"],
            "FileId": ident,
            "FileArn": f"{contact['Arn'].split('/contact/')[0]}/attached-file/{ident}",
            "FileName": "email-message.json",
            "FileSizeInBytes": len(json.dumps(message, ensure_ascii=False).encode("utf-8")),
            "FileUseCaseType": "EMAIL_MESSAGE",
            "FileStatus": "APPROVED",
            "AssociatedResourceArn": contact["Arn"],
            "CreationTime": _iso(contact["InitiationTimestamp"]),
            "Secret": hashlib.sha256(f"{contact['Arn']}|{contact['InitiationTimestamp']}".encode()).hexdigest()[:32],
            "Body": json.dumps(message, ensure_ascii=False).encode("utf-8"),
        }

    def _file(self, tx: Transaction, p: Params) -> dict[str, Any]:
        """The file ``p`` names, of the instance and of the associated resource named, else 404."""
        contact = self._associated_contact(tx, p["InstanceId"], p["AssociatedResourceArn"], "ResourceNotFoundException")
        found = tx.get("file", p["FileId"])
        if found is None:
            message = self._message_file(contact)
            found = message if message is not None and message["FileId"] == p["FileId"] else None
        if found is None or found["InstanceId"] != p["InstanceId"] or found["AssociatedResourceArn"] != contact["Arn"]:
            raise not_found("attached file", p["FileId"])
        return found

    def _start_attached_file_upload(self, tx: Transaction, p: Params) -> Result:
        instance_id = p["InstanceId"]
        try:
            instance = self._instance(tx, instance_id)
        except ServiceError as error:  # the operation models no ResourceNotFoundException
            raise ServiceError("InvalidRequestException", f"{error.message} (InstanceId)") from None
        contact = self._associated_contact(tx, instance_id, p["AssociatedResourceArn"], "InvalidRequestException")
        if p["FileUseCaseType"] not in self.UPLOADABLE:
            raise ServiceError(
                "InvalidRequestException",
                f"FileUseCaseType {p['FileUseCaseType']!r}: only ATTACHMENT files are uploaded (the model: 'Only "
                "ATTACHMENTS are supported')",
            )
        ident = self.new_id()
        record = {
            "InstanceId": instance_id,
            "FileId": ident,
            "FileArn": f"{instance['Arn']}/attached-file/{ident}",
            "FileName": p["FileName"],
            "FileSizeInBytes": p["FileSizeInBytes"],
            "FileUseCaseType": p["FileUseCaseType"],
            "FileStatus": "PROCESSING",
            "AssociatedResourceArn": contact["Arn"],
            "CreationTime": _iso(self.clock()),
            "CreatedBy": p.get("CreatedBy"),
            "Tags": p.get("Tags"),
            "Secret": self.new_id().replace("-", ""),  # seeded with the ids, so a recording is the same every time
        }
        tx.put("file", ident, record, parent=instance_id)
        out = self._public(record, "FileArn", "FileId", "CreationTime", "FileStatus", "CreatedBy")
        out["UploadUrlMetadata"] = {
            **self._file_url("upload", record, p.get("UrlExpiryInSeconds", self.URL_EXPIRY)),
            # the upload must be the size the file was announced with (the URL refuses another)
            "HeadersToInclude": {"Content-Length": str(record["FileSizeInBytes"])},
        }
        return out

    def _complete_attached_file_upload(self, tx: Transaction, p: Params) -> Result:
        """Confirms the upload: the file is APPROVED (the emulator scans nothing; bytes PUT to the upload URL of a
        served emulator are kept and served back, and are not required). Completing again changes nothing."""
        record = self._file(tx, p)
        if record["FileStatus"] == "PROCESSING":
            record["FileStatus"] = "APPROVED"
            tx.put("file", record["FileId"], record, parent=p["InstanceId"])
        return {}

    _FILE_FIELDS = (
        "FileArn",
        "FileId",
        "CreationTime",
        "FileStatus",
        "FileName",
        "FileSizeInBytes",
        "AssociatedResourceArn",
        "FileUseCaseType",
        "CreatedBy",
        "Tags",
    )

    def _get_attached_file(self, tx: Transaction, p: Params) -> Result:
        record = self._file(tx, p)
        out = self._public(record, *self._FILE_FIELDS)
        if record["FileStatus"] == "APPROVED":  # "It will only return a downloadURL if the status ... is APPROVED"
            out["DownloadUrlMetadata"] = self._file_url(
                "download", record, p.get("UrlExpiryInSeconds", self.URL_EXPIRY)
            )
        return out

    def _batch_get_attached_file_metadata(self, tx: Transaction, p: Params) -> Result:
        files, errors = [], []
        for file_id in p["FileIds"]:
            try:
                files.append(self._public(self._file(tx, {**p, "FileId": file_id}), *self._FILE_FIELDS))
            except ServiceError as error:
                if error.code != "ResourceNotFoundException" or "attached file" not in error.message:
                    raise
                errors.append({"ErrorCode": error.code, "ErrorMessage": error.message, "FileId": file_id})
        return {"Files": files, "Errors": errors}

    def _delete_attached_file(self, tx: Transaction, p: Params) -> Result:
        record = self._file(tx, p)
        if tx.get("file", record["FileId"]) is None:
            raise ServiceError(
                "InvalidRequestException", "an email contact's message file is deleted with its contact, not alone"
            )
        tx.delete("file", record["FileId"])
        tx.delete("filedata", record["FileId"])
        return {}

    # -- file transfer (the pre-signed URLs) -------------------------------------------------------

    def transfer(self, method: str, file_id: str, query: Mapping[str, str], body: bytes) -> tuple[int, bytes]:
        """A PUT to an upload URL or a GET of a download URL: the status and the body to answer."""
        with self.store.transaction(write=method == "PUT") as tx:
            record = tx.get("file", file_id)
            if record is None and method == "GET":  # an email contact's message, the EMAIL_MESSAGE file
                record = next(
                    (m for _, c in tx.find("contact") if (m := self._message_file(c)) and m["FileId"] == file_id), None
                )
                if record is not None and query.get("download") == record["Secret"]:
                    return (
                        (200, record["Body"])
                        if self._fresh(query)
                        else (403, b"the URL has expired: ask for a new one")
                    )
            kind = "upload" if method == "PUT" else "download"
            if record is None or query.get(kind) != record.get("Secret"):
                return 403, b"the URL is not one the emulator issued for this file"
            if not self._fresh(query):
                return 403, b"the URL has expired: ask for a new one"
            if method == "PUT":
                if len(body) != record["FileSizeInBytes"]:
                    return 400, f"FileSizeInBytes was {record['FileSizeInBytes']}; {len(body)} bytes came".encode()
                tx.put(
                    "filedata", file_id, {"Body": base64.b64encode(body).decode("ascii")}, parent=record["InstanceId"]
                )
                return 200, b""
            if record["FileStatus"] != "APPROVED":
                return 403, b"the file is not APPROVED"
            data = tx.get("filedata", file_id)
            return (200, base64.b64decode(data["Body"])) if data is not None else (404, b"nothing was uploaded")

    def _fresh(self, query: Mapping[str, str]) -> bool:
        """Whether a file URL's ``expires`` (epoch seconds) is still ahead."""
        try:
            return float(query.get("expires", "0")) >= self.clock()
        except ValueError:
            return False
