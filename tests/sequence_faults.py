"""Faulty targets for tests/stateful/test_stateful.py: faults that show only under a sequence of calls.

Each is a small :class:`Backend` subclass; no single call to it is wrong on its own. test_stateful.py
copies this file into the projects it runs pytest in, so it imports nothing but the package.
"""

from __future__ import annotations

from typing import Any

from pytest_connect_email.emulator.backend import Backend, Params, Result
from pytest_connect_email.emulator.errors import ServiceError
from pytest_connect_email.emulator.store import Transaction


class SearchIgnoresUpdate(Backend):
    """Search matches and shows the metadata an address was created with: an index an update never refreshes."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.indexed: dict[str, dict[str, Any]] = {}

    def _create_email_address(self, tx: Transaction, p: Params) -> Result:
        answer = super()._create_email_address(tx, p)
        self.indexed[answer["EmailAddressId"]] = {k: p.get(k) for k in ("DisplayName", "Description")}
        return answer

    def _search_email_addresses(self, tx: Transaction, p: Params) -> Result:
        current = {ident: dict(record) for ident, record in tx.find("email", p["InstanceId"])}
        for ident, record in current.items():
            tx.put("email", ident, {**record, **self.indexed.get(ident, {})}, parent=p["InstanceId"])
        try:
            return super()._search_email_addresses(tx, p)
        finally:
            for ident, record in current.items():
                tx.put("email", ident, record, parent=p["InstanceId"])


class PageDropsLast(Backend):
    """A page followed by another loses its last item (an off-by-one at the page boundary)."""

    def _search_email_addresses(self, tx: Transaction, p: Params) -> Result:
        answer = super()._search_email_addresses(tx, p)
        if answer.get("NextToken"):
            answer["EmailAddresses"] = answer["EmailAddresses"][:-1]
        return answer


class RecreateRefused(Backend):
    """An address, once deleted, cannot be created again in its instance (a tombstone never cleared)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tombstones: set[tuple[str, str]] = set()

    def _delete_email_address(self, tx: Transaction, p: Params) -> Result:
        record = self._address(tx, p["InstanceId"], p["EmailAddressId"])
        answer = super()._delete_email_address(tx, p)
        self.tombstones.add((p["InstanceId"], str(record["EmailAddress"]).lower()))
        return answer

    def _create_email_address(self, tx: Transaction, p: Params) -> Result:
        if (p["InstanceId"], str(p["EmailAddress"]).lower()) in self.tombstones:
            raise ServiceError("DuplicateResourceException", "the email address already exists in this instance")
        return super()._create_email_address(tx, p)


class DeletedAliasListed(Backend):
    """Deleting an address that is an alias leaves its primary pointing at it."""

    def _delete_email_address(self, tx: Transaction, p: Params) -> Result:
        record = self._address(tx, p["InstanceId"], p["EmailAddressId"])
        primary_id = record.get("AliasOf")
        answer = super()._delete_email_address(tx, p)
        primary = tx.get("email", primary_id) if isinstance(primary_id, str) else None
        if primary is not None and isinstance(primary_id, str):
            primary["Alias"] = record["EmailAddressId"]
            tx.put("email", primary_id, primary, parent=primary["InstanceId"])
        return answer


class UntagMissingKeyClears(Backend):
    """Untagging a key the resource does not have removes all its tags (right only while it has none)."""

    def _untag_resource(self, tx: Transaction, p: Params) -> Result:
        kind, ident, record = self._tagged_resource(tx, p["resourceArn"])
        if any(key not in (record.get("Tags") or {}) for key in p["tagKeys"]):
            record["Tags"] = None
            self._put_tagged(tx, kind, ident, record)
            return {}
        return super()._untag_resource(tx, p)


FAULTS: dict[str, type[Backend]] = {
    "search-ignores-update": SearchIgnoresUpdate,
    "page-drops-last": PageDropsLast,
    "recreate-refused": RecreateRefused,
    "deleted-alias-listed": DeletedAliasListed,
    "untag-missing-key-clears": UntagMissingKeyClears,
}
