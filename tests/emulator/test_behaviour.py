"""Behaviour decisions of the emulator (documented in pytest_connect_email.emulator.backend)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from botocore.config import Config as BotoConfig
from botocore.exceptions import ClientError

from pytest_connect_email.emulator import Config, Emulator

from .conftest import make_client

NewAddress = Callable[[str], str]


@pytest.fixture(params=["in-process"])
def client(request: pytest.FixtureRequest, emulator: Emulator) -> Any:
    """Behaviour is transport-independent: test it in-process (test_operations covers HTTP)."""
    return emulator.attach(make_client())


def code_of(call: Callable[[], Any]) -> str:
    with pytest.raises(ClientError) as info:
        call()
    return str(info.value.response["Error"]["Code"])


def alias(client: Any, instance_id: str, primary: str, other: str, *, remove: bool = False, **extra: Any) -> Any:
    method = client.disassociate_email_address_alias if remove else client.associate_email_address_alias
    return method(InstanceId=instance_id, EmailAddressId=primary, AliasConfiguration={"EmailAddressId": other}, **extra)


def aliases_of(client: Any, instance_id: str, address_id: str) -> list[dict[str, str]]:
    found = client.describe_email_address(InstanceId=instance_id, EmailAddressId=address_id)
    return list(found["AliasConfigurations"])


def test_alias_lifecycle(client: Any, instance_id: str, new_address: NewAddress) -> None:
    a, b = new_address("a@example.com"), new_address("b@example.com")
    alias(client, instance_id, a, b)
    assert aliases_of(client, instance_id, a) == [{"EmailAddressId": b}]
    assert aliases_of(client, instance_id, b) == []
    answer = alias(client, instance_id, a, b, remove=True)
    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert set(answer) == {"ResponseMetadata"}
    assert aliases_of(client, instance_id, a) == []
    for address_id in (a, b):  # both still exist independently and can receive mail
        assert client.describe_email_address(InstanceId=instance_id, EmailAddressId=address_id)["EmailAddressId"]
    client.start_email_contact(
        InstanceId=instance_id,
        FromEmailAddress={"EmailAddress": "c@example.net"},
        DestinationEmailAddress="b@example.com",
        EmailMessage={
            "MessageSourceType": "RAW",
            "RawMessage": {"Subject": "s", "Body": "b", "ContentType": "text/plain"},
        },
    )
    alias(client, instance_id, a, b)  # re-association works at once
    assert aliases_of(client, instance_id, a) == [{"EmailAddressId": b}]


def test_disassociating_what_is_not_associated_is_not_found(
    client: Any, instance_id: str, new_address: NewAddress
) -> None:
    a, b = new_address("a@example.com"), new_address("b@example.com")
    assert code_of(lambda: alias(client, instance_id, a, b, remove=True)) == "ResourceNotFoundException"
    assert code_of(lambda: alias(client, instance_id, a, "missing", remove=True)) == "ResourceNotFoundException"


def test_an_address_cannot_be_its_own_alias(client: Any, instance_id: str, new_address: NewAddress) -> None:
    a = new_address("a@example.com")
    assert code_of(lambda: alias(client, instance_id, a, a)) == "InvalidParameterException"
    assert code_of(lambda: alias(client, instance_id, a, a, remove=True)) == "InvalidParameterException"


def test_at_most_one_alias_and_no_chains(client: Any, instance_id: str, new_address: NewAddress) -> None:
    a, b, c = (new_address(f"{n}@example.com") for n in "abc")
    alias(client, instance_id, a, b)
    assert code_of(lambda: alias(client, instance_id, a, c)) == "ResourceConflictException"  # a has one already
    assert code_of(lambda: alias(client, instance_id, c, b)) == "ResourceConflictException"  # b is taken
    assert code_of(lambda: alias(client, instance_id, b, c)) == "InvalidRequestException"  # b is an alias: no chain
    assert code_of(lambda: alias(client, instance_id, c, a)) == "InvalidRequestException"  # a has an alias: no chain


def test_deleting_an_address_removes_its_alias_relationship(
    client: Any, instance_id: str, new_address: NewAddress
) -> None:
    a, b = new_address("a@example.com"), new_address("b@example.com")
    alias(client, instance_id, a, b)
    client.delete_email_address(InstanceId=instance_id, EmailAddressId=b)
    assert aliases_of(client, instance_id, a) == []
    c = new_address("c@example.com")
    alias(client, instance_id, a, c)


def test_duplicate_address_and_quota(
    emulator: Emulator, client: Any, instance_id: str, new_address: NewAddress
) -> None:
    new_address("dup@example.com")
    assert code_of(lambda: new_address("DUP@example.com")) == "DuplicateResourceException"
    emulator.backend.config.max_email_addresses = 2
    new_address("second@example.com")
    with pytest.raises(ClientError) as info:
        new_address("third@example.com")
    assert info.value.response["Error"]["Code"] == "ServiceQuotaExceededException"
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 402


def _start(client: Any, instance_id: str, **extra: Any) -> str:
    params: dict[str, Any] = {
        "InstanceId": instance_id,
        "FromEmailAddress": {"EmailAddress": "kunde@example.net"},
        "DestinationEmailAddress": "support@example.com",
        "EmailMessage": {
            "MessageSourceType": "RAW",
            "RawMessage": {"Subject": "s", "Body": "b", "ContentType": "text/html"},
        },
    }
    params.update(extra)
    return str(client.start_email_contact(**params)["ContactId"])


def test_start_email_contact_rules(client: Any, instance_id: str, new_address: NewAddress) -> None:
    assert code_of(lambda: _start(client, instance_id)) == "ResourceNotFoundException"  # no such destination
    new_address("support@example.com")
    first = _start(client, instance_id, Attributes={"a": "1", "b": "1"})
    second = _start(client, instance_id, RelatedContactId=first, Attributes={"b": "2"})
    attributes = client.get_contact_attributes(InstanceId=instance_id, InitialContactId=second)["Attributes"]
    assert attributes == {"a": "1", "b": "2"}
    contact = client.describe_contact(InstanceId=instance_id, ContactId=second)["Contact"]
    assert contact["RelatedContactId"] == first
    assert code_of(lambda: _start(client, instance_id, RelatedContactId="nope")) == "ResourceNotFoundException"
    many = [{"EmailAddress": f"r{i}@example.org"} for i in range(26)]
    recipients = {"ToAddresses": many[:25], "CcAddresses": many[25:] * 26}
    assert code_of(lambda: _start(client, instance_id, AdditionalRecipients=recipients)) == "InvalidRequestException"


def test_client_token_idempotency(emulator: Emulator, client: Any, instance_id: str, new_address: NewAddress) -> None:
    new_address("support@example.com")
    first = _start(client, instance_id, ClientToken="token-1", Name="first")
    assert _start(client, instance_id, ClientToken="token-1", Name="first") == first
    with emulator.backend.store.transaction() as tx:
        assert len(tx.find("contact", instance_id)) == 1  # one effect
    with pytest.raises(ClientError) as info:
        _start(client, instance_id, ClientToken="token-1", Name="second")
    assert info.value.response["Error"]["Code"] == "IdempotencyException"
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
    assert _start(client, instance_id) != _start(client, instance_id)  # botocore fills a fresh token each call


def test_token_reuse_without_an_idempotency_error_in_the_model(
    client: Any, instance_id: str, new_address: NewAddress
) -> None:
    a, b, c = (new_address(f"{n}@example.com") for n in "abc")
    alias(client, instance_id, a, b)
    alias(client, instance_id, a, b, remove=True, ClientToken="t")
    alias(client, instance_id, a, b, remove=True, ClientToken="t")  # replayed, not "not found"
    assert (
        code_of(lambda: alias(client, instance_id, a, c, remove=True, ClientToken="t")) == "ResourceConflictException"
    )


def test_a_held_lock_answers_resource_conflict(
    emulator: Emulator, client: Any, instance_id: str, new_address: NewAddress
) -> None:
    a, b = new_address("a@example.com"), new_address("b@example.com")
    with emulator.backend.locks.hold([a], wait=0):
        assert code_of(lambda: alias(client, instance_id, a, b)) == "ResourceConflictException"
    alias(client, instance_id, a, b)


def test_concurrent_associate_and_disassociate_stay_consistent(
    emulator: Emulator, client: Any, instance_id: str, new_address: NewAddress
) -> None:
    a = new_address("a@example.com")
    others = [new_address(f"o{i}@example.com") for i in range(4)]
    outcomes: list[str] = []
    guard = threading.Lock()
    start = threading.Barrier(8)

    def worker(index: int) -> None:
        start.wait(timeout=10)
        for round_ in range(10):
            other = others[(index + round_) % len(others)]
            try:
                alias(client, instance_id, a, other, remove=bool(round_ % 2))
                result = "ok"
            except ClientError as exc:
                result = exc.response["Error"]["Code"]
            with guard:
                outcomes.append(result)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(outcomes) == 80
    assert set(outcomes) <= {"ok", "ResourceConflictException", "ResourceNotFoundException"}
    assert "ok" in outcomes
    current = aliases_of(client, instance_id, a)
    assert len(current) <= 1
    owners = [o for o in others if client.describe_email_address(InstanceId=instance_id, EmailAddressId=o)]
    with emulator.backend.store.transaction() as tx:
        records = dict(tx.find("email", instance_id))
    claimed = [ident for ident, rec in records.items() if rec.get("AliasOf") == a]
    assert claimed == [c["EmailAddressId"] for c in current]  # both sides agree: no lost update
    assert len(owners) == 4


def test_throttling_when_enabled(emulator: Emulator) -> None:
    client = emulator.attach(make_client(config=BotoConfig(retries={"total_max_attempts": 1})))
    emulator.backend.config.throttle = True
    codes = []
    for _ in range(8):
        try:
            client.list_instances()
            codes.append("ok")
        except ClientError as exc:
            codes.append(exc.response["Error"]["Code"])
    assert codes[:5] == ["ok"] * 5
    assert "ThrottlingException" in codes[5:]


def test_state_survives_a_restart(tmp_path: Path) -> None:
    state = tmp_path / "state.sqlite"
    first = Emulator.create(state=str(state))
    client = first.attach(make_client())
    iid = client.create_instance(
        IdentityManagementType="CONNECT_MANAGED", InboundCallsEnabled=True, OutboundCallsEnabled=True
    )["Id"]
    address = client.create_email_address(InstanceId=iid, EmailAddress="kept@example.com")["EmailAddressId"]
    first.backend.store.close()

    second = Emulator.create(state=str(state), config=Config())
    again = second.attach(make_client())
    assert again.describe_email_address(InstanceId=iid, EmailAddressId=address)["EmailAddress"] == "kept@example.com"
    second.backend.store.close()


def test_a_failed_operation_leaves_no_partial_write(
    emulator: Emulator, instance_id: str, new_address: NewAddress
) -> None:
    a = new_address("a@example.com")
    with emulator.backend.store.transaction() as tx:
        before = tx.find("email", instance_id)

    def explode(tx: Any, params: Any) -> Any:
        tx.put("email", a, {"broken": True}, parent=instance_id)
        raise RuntimeError("killed half-way")

    emulator.backend._handlers["DeleteEmailAddress"] = explode
    with pytest.raises(RuntimeError):
        emulator.backend.invoke("DeleteEmailAddress", {"InstanceId": instance_id, "EmailAddressId": a})
    with emulator.backend.store.transaction() as tx:
        assert tx.find("email", instance_id) == before
