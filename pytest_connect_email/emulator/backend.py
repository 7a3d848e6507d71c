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
  on a clash. At most 50 recipients across To and Cc (``InvalidRequestException``).
- **Idempotency.** Operations with a ``ClientToken`` member remember (operation, token) for
  ``token_lifetime`` seconds (8 hours by default) across the whole emulator (one account and
  region). The same token with the same parameters returns the first result without a second
  effect; with different parameters it answers ``IdempotencyException`` where the operation models
  it, else ``ResourceConflictException`` (same 409 status).
- **Concurrency.** Mutations of an address hold a lock on it (both addresses for alias operations).
  A caller that cannot get a lock within ``lock_wait`` seconds answers ``ResourceConflictException``,
  as the reference page warns ("concurrent operations on the same email addresses may be temporarily
  blocked"). All state changes are serialised by the store, so no update is lost and no address ever
  has two aliases.
- **Queues** are not emulated as resources (no CreateQueue): any queue id is accepted and holds the
  addresses associated with it.
- **Throttling** (off by default) emulates the documented default of 2 requests/s with a burst of 5.
  A state file locked by another process for over ``limits.STATE_LOCK_TIMEOUT`` also answers
  ``ThrottlingException`` (retryable), never a 500.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import hashlib
import json
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from pytest_connect_email import contracts, limits, spec
from pytest_connect_email.emulator.errors import ServiceError, not_found
from pytest_connect_email.emulator.store import Store, Transaction

Params = dict[str, Any]
Result = dict[str, Any]


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
    max_recipients: int = 50
    token_lifetime: float = 8 * 3600.0
    lock_wait: float = 0.2
    throttle: bool = False
    throttle_rate: float = 2.0
    throttle_burst: int = 5


class AddressLocks:
    """Per-address locks with a bounded wait: the emulator's model of Connect's distributed locking."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}

    def _lock(self, key: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(key, threading.Lock())

    @contextlib.contextmanager
    def hold(self, keys: list[str], wait: float) -> Iterator[None]:
        taken: list[threading.Lock] = []
        try:
            for key in sorted(set(keys)):  # a fixed order: two callers never deadlock
                lock = self._lock(key)
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


def _iso(epoch: float) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _page(items: list[Any], params: Params, default: int) -> tuple[list[Any], str | None]:
    start = 0
    token = params.get("NextToken")
    if token:
        try:
            start = int(base64.urlsafe_b64decode(token.encode()).decode())
        except (ValueError, UnicodeDecodeError):
            raise ServiceError("InvalidRequestException", "NextToken is not a token this emulator issued") from None
    size = int(params.get("MaxResults") or default)
    end = start + size
    following = base64.urlsafe_b64encode(str(end).encode()).decode() if end < len(items) else None
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
        found = contracts.request_violations(operation, params)
        if not found:
            return
        errors = contracts.error_codes(operation)
        code = "InvalidParameterException" if "InvalidParameterException" in errors else "InvalidRequestException"
        details = "; ".join(f"{v.pointer or '/'}: [{v.rule}] expected {v.expected}, got {v.actual}" for v in found)
        raise ServiceError(code, f"{len(found)} validation error(s): {details}")

    @staticmethod
    def _lock_keys(operation: str, params: Params) -> list[str]:
        if operation in ("AssociateEmailAddressAlias", "DisassociateEmailAddressAlias"):
            return [params["EmailAddressId"], params["AliasConfiguration"]["EmailAddressId"]]
        if operation in ("DeleteEmailAddress", "UpdateEmailAddressMetadata"):
            return [params["EmailAddressId"]]
        return []

    def _idempotent(self, tx: Transaction, operation: str, params: Params) -> Result:
        handler = self._handlers[operation]
        token = params.get("ClientToken")
        if not isinstance(token, str) or not token:
            return handler(tx, params)
        key = f"{operation}:{token}"
        digest = hashlib.sha256(json.dumps(params, sort_keys=True, default=str).encode()).hexdigest()
        seen = tx.get("token", key)
        if seen is not None and _now() - seen["created"] < self.config.token_lifetime:
            if seen["digest"] == digest:
                return dict(seen["result"])
            code = (
                "IdempotencyException"
                if "IdempotencyException" in contracts.error_codes(operation)
                else ("ResourceConflictException")
            )
            raise ServiceError(code, f"ClientToken {token!r} was already used with different parameters")
        result = handler(tx, params)
        tx.put("token", key, {"digest": digest, "result": result, "created": _now()})
        return result

    # -- helpers -----------------------------------------------------------------------------------

    def _arn(self, *parts: str) -> str:
        return f"arn:aws:connect:{self.config.region}:{self.config.account_id}:" + "/".join(parts)

    @staticmethod
    def _instance(tx: Transaction, instance_id: str) -> dict[str, Any]:
        found = tx.get("instance", instance_id)
        if found is None:
            raise not_found("instance", instance_id)
        return found

    def _child(self, tx: Transaction, kind: str, label: str, instance_id: str, ident: str) -> dict[str, Any]:
        """A record that belongs to an instance; not found when it belongs to another one."""
        self._instance(tx, instance_id)
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
        ident = str(uuid.uuid4())
        record = {
            "Id": ident,
            "Arn": self._arn("instance", ident),
            "IdentityManagementType": p["IdentityManagementType"],
            "InstanceAlias": p.get("InstanceAlias"),
            "CreatedTime": _now(),
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
    )

    def _describe_instance(self, tx: Transaction, p: Params) -> Result:
        record = self._instance(tx, p["InstanceId"])
        return {"Instance": self._public(record, *self._INSTANCE_FIELDS, "Tags")}

    def _list_instances(self, tx: Transaction, p: Params) -> Result:
        items = [self._public(r, *self._INSTANCE_FIELDS) for _, r in tx.find("instance")]
        page, following = _page(items, p, 10)
        return {"InstanceSummaryList": page, "NextToken": following}

    def _delete_instance(self, tx: Transaction, p: Params) -> Result:
        self._instance(tx, p["InstanceId"])
        tx.delete_children(p["InstanceId"])
        tx.delete("instance", p["InstanceId"])
        return {}

    # -- email addresses ---------------------------------------------------------------------------

    def _create_email_address(self, tx: Transaction, p: Params) -> Result:
        instance_id = p["InstanceId"]
        self._instance(tx, instance_id)
        if self._address_by_value(tx, instance_id, p["EmailAddress"]) is not None:
            raise ServiceError("DuplicateResourceException", "the email address already exists in this instance")
        if len(tx.find("email", instance_id)) >= self.config.max_email_addresses:
            raise ServiceError(
                "ServiceQuotaExceededException",
                f"the instance already has {self.config.max_email_addresses} email addresses (the quota)",
            )
        ident = str(uuid.uuid4())
        stamp = _iso(_now())
        record = {
            "InstanceId": instance_id,
            "EmailAddressId": ident,
            "EmailAddressArn": self._arn("instance", instance_id, "email-address", ident),
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
            if record["EmailAddressId"] in queue["EmailAddressIds"]:
                queue["EmailAddressIds"].remove(record["EmailAddressId"])
                if queue.get("OutboundEmailAddressId") == record["EmailAddressId"]:
                    queue["OutboundEmailAddressId"] = None
                tx.put("queue", queue_key, queue, parent=p["InstanceId"])
        tx.delete("email", record["EmailAddressId"])
        return {}

    def _update_email_address_metadata(self, tx: Transaction, p: Params) -> Result:
        record = self._address(tx, p["InstanceId"], p["EmailAddressId"])
        for name in ("DisplayName", "Description"):
            if name in p:
                record[name] = p[name]
        record["ModifiedTimestamp"] = _iso(_now())
        tx.put("email", record["EmailAddressId"], record, parent=p["InstanceId"])
        return {"EmailAddressId": record["EmailAddressId"], "EmailAddressArn": record["EmailAddressArn"]}

    @staticmethod
    def _matches(record: Mapping[str, Any], criteria: Mapping[str, Any] | None) -> bool:
        if not criteria:
            return True
        if "OrConditions" in criteria:
            return any(Backend._matches(record, c) for c in criteria["OrConditions"])
        if "AndConditions" in criteria:
            return all(Backend._matches(record, c) for c in criteria["AndConditions"])
        condition = criteria.get("StringCondition")
        if not condition:
            return True
        field_names = {"EmailAddress": "EmailAddress", "DisplayName": "DisplayName", "Description": "Description"}
        value = str(record.get(field_names.get(condition.get("FieldName", ""), ""), "") or "").lower()
        wanted = str(condition.get("Value", "")).lower()
        kind = condition.get("ComparisonType", "EXACT")
        return (
            value.startswith(wanted)
            if kind == "STARTS_WITH"
            else wanted in value
            if kind == "CONTAINS"
            else (value == wanted)
        )

    def _search_email_addresses(self, tx: Transaction, p: Params) -> Result:
        self._instance(tx, p["InstanceId"])
        found = [r for _, r in tx.find("email", p["InstanceId"]) if self._matches(r, p.get("SearchCriteria"))]
        items = [
            dict(
                self._public(r, "EmailAddressId", "EmailAddressArn", "EmailAddress", "Description", "DisplayName"),
                AliasConfigurations=self._aliases(r),
            )
            for r in found
        ]
        page, following = _page(items, p, 100)
        return {"EmailAddresses": page, "NextToken": following, "ApproximateTotalCount": len(items)}

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
        if len(to) + len(cc) > self.config.max_recipients:
            raise ServiceError(
                "InvalidRequestException",
                f"at most {self.config.max_recipients} recipients across To and Cc, got {len(to) + len(cc)}",
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
        self._instance(tx, instance_id)
        destination = self._address_by_value(tx, instance_id, p["DestinationEmailAddress"])
        if destination is None:
            raise ServiceError(
                "ResourceNotFoundException", "DestinationEmailAddress is not an email address of this instance"
            )
        attributes: dict[str, str] = {}
        if p.get("RelatedContactId"):
            attributes.update(self._contact(tx, instance_id, p["RelatedContactId"]).get("Attributes") or {})
        attributes.update(p.get("Attributes") or {})
        recipients = self._recipients(p)
        ident = str(uuid.uuid4())
        sender = p["FromEmailAddress"]
        record = {
            "InstanceId": instance_id,
            "Id": ident,
            "Arn": self._arn("instance", instance_id, "contact", ident),
            "InitialContactId": ident,
            "InitiationMethod": "INBOUND",
            "Channel": "EMAIL",
            "Name": p.get("Name"),
            "Description": p.get("Description"),
            "InitiationTimestamp": _now(),
            "LastUpdateTimestamp": _now(),
            "RelatedContactId": p.get("RelatedContactId"),
            "CustomerEndpoint": self._public(
                {"Type": "EMAIL_ADDRESS", "Address": sender["EmailAddress"], "DisplayName": sender.get("DisplayName")},
                "Type",
                "Address",
                "DisplayName",
            ),
            "SystemEndpoint": {"Type": "EMAIL_ADDRESS", "Address": destination["EmailAddress"]},
            "AdditionalEmailRecipients": recipients or None,
            "Attributes": attributes,
            "SegmentAttributes": p.get("SegmentAttributes"),
            "References": p.get("References"),
            "Message": p["EmailMessage"],
            "Attachments": p.get("Attachments"),
        }
        tx.put("contact", ident, record, parent=instance_id)
        return {"ContactId": ident}

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
        "RelatedContactId",
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

    def _sender(self, tx: Transaction, instance_id: str, p: Params) -> dict[str, Any]:
        sender = self._address_by_value(tx, instance_id, p["FromEmailAddress"]["EmailAddress"])
        if sender is None:
            raise ServiceError("ResourceNotFoundException", "FromEmailAddress is not an email address of this instance")
        return sender

    def _send_outbound_email(self, tx: Transaction, p: Params) -> Result:
        self._instance(tx, p["InstanceId"])
        self._sender(tx, p["InstanceId"], p)
        self._recipients(p)
        ident = str(uuid.uuid4())
        tx.put("outbound", ident, {"InstanceId": p["InstanceId"], "Request": p, "Sent": _now()}, parent=p["InstanceId"])
        return {}

    def _start_outbound_email_contact(self, tx: Transaction, p: Params) -> Result:
        contact = self._contact(tx, p["InstanceId"], p["ContactId"])
        if "FromEmailAddress" in p:
            self._sender(tx, p["InstanceId"], p)
        self._recipients(p)
        contact["OutboundMessage"] = p["EmailMessage"]
        contact["LastUpdateTimestamp"] = _now()
        tx.put("contact", contact["Id"], contact, parent=p["InstanceId"])
        return {"ContactId": contact["Id"]}

    def _update_outbound_email_contact_message(self, tx: Transaction, p: Params) -> Result:
        contact = self._contact(tx, p["InstanceId"], p["ContactId"])
        contact["OutboundMessage"] = p["EmailMessage"]
        contact["LastUpdateTimestamp"] = _now()
        tx.put("contact", contact["Id"], contact, parent=p["InstanceId"])
        return {"ContactId": contact["Id"]}

    # -- queues ------------------------------------------------------------------------------------

    def _queue(self, tx: Transaction, p: Params) -> tuple[str, dict[str, Any]]:
        self._instance(tx, p["InstanceId"])
        key = f"{p['InstanceId']}/{p['QueueId']}"
        return key, tx.get("queue", key) or {"EmailAddressIds": [], "OutboundEmailAddressId": None, "Modified": _now()}

    def _associate_queue_email_addresses(self, tx: Transaction, p: Params) -> Result:
        key, queue = self._queue(tx, p)
        for item in p["EmailAddressesConfig"]:
            self._address(tx, p["InstanceId"], item["EmailAddressId"])
            if item["EmailAddressId"] not in queue["EmailAddressIds"]:
                queue["EmailAddressIds"].append(item["EmailAddressId"])
        queue["Modified"] = _now()
        tx.put("queue", key, queue, parent=p["InstanceId"])
        return {}

    def _disassociate_queue_email_addresses(self, tx: Transaction, p: Params) -> Result:
        key, queue = self._queue(tx, p)
        for address_id in p["EmailAddressesId"]:
            if address_id not in queue["EmailAddressIds"]:
                raise not_found("queue email address association", address_id)
            queue["EmailAddressIds"].remove(address_id)
            if queue.get("OutboundEmailAddressId") == address_id:
                queue["OutboundEmailAddressId"] = None
        queue["Modified"] = _now()
        tx.put("queue", key, queue, parent=p["InstanceId"])
        return {}

    def _list_queue_email_addresses(self, tx: Transaction, p: Params) -> Result:
        _, queue = self._queue(tx, p)
        items = []
        for ident in queue["EmailAddressIds"]:
            record = tx.get("email", ident)
            if record is not None:
                items.append(
                    {
                        "Id": ident,
                        "Arn": record["EmailAddressArn"],
                        "IsDefaultOutboundEmail": queue.get("OutboundEmailAddressId") == ident,
                    }
                )
        page, following = _page(items, p, 100)
        return {
            "EmailAddressMetadataList": page,
            "NextToken": following,
            "LastModifiedTime": queue["Modified"],
            "LastModifiedRegion": self.config.region,
        }

    def _update_queue_outbound_email_config(self, tx: Transaction, p: Params) -> Result:
        key, queue = self._queue(tx, p)
        address_id = p["OutboundEmailConfig"].get("OutboundEmailAddressId")
        if address_id:
            self._address(tx, p["InstanceId"], address_id)
        queue["OutboundEmailAddressId"] = address_id
        queue["Modified"] = _now()
        tx.put("queue", key, queue, parent=p["InstanceId"])
        return {}
