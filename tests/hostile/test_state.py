"""Hostile state: what the emulator stores stays within what its answers may return, a broken state file
is a clear error naming it, a corrupt record spoils only itself, and tokens are checked.

All in-process (a boto3 client attached with ``Emulator.attach``, or ``Emulator.handle``): no sockets.
"""

from __future__ import annotations

import base64
import json
import sqlite3
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from pytest_connect_email import cli
from pytest_connect_email.contracts import validator
from pytest_connect_email.contracts.rules import ATTRIBUTES_BYTE_LIMIT
from pytest_connect_email.emulator import Config, Emulator
from pytest_connect_email.emulator.store import StateFileError, StateRecordWarning, Store

from ..emulator.conftest import make_client
from .conftest import bounded

MESSAGE = {"MessageSourceType": "RAW", "RawMessage": {"Subject": "s", "Body": "b", "ContentType": "text/plain"}}


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    emu = Emulator.create(config=Config(lock_wait=0.05), auth_enabled=False)
    yield emu
    emu.backend.store.close()


@pytest.fixture
def client(emulator: Emulator) -> Any:
    return emulator.attach(make_client())


def new_instance(client: Any) -> str:
    created = client.create_instance(
        IdentityManagementType="CONNECT_MANAGED", InboundCallsEnabled=True, OutboundCallsEnabled=True
    )
    return str(created["Id"])


@pytest.fixture
def instance_id(client: Any) -> str:
    iid = new_instance(client)
    client.create_email_address(InstanceId=iid, EmailAddress="support@example.com")
    return iid


def code_of(error: pytest.ExceptionInfo[ClientError]) -> str:
    return str(error.value.response["Error"]["Code"])


def start(client: Any, instance_id: str, **extra: Any) -> str:
    return str(
        client.start_email_contact(
            InstanceId=instance_id,
            FromEmailAddress={"EmailAddress": "customer@example.com"},
            DestinationEmailAddress="support@example.com",
            EmailMessage=MESSAGE,
            **extra,
        )["ContactId"]
    )


def attributes(round_: int, count: int) -> dict[str, str]:
    """``count`` attributes of 9 UTF-8 bytes each (an 8-character key and a 1-character value),
    keys distinct per round."""
    return {f"r{round_:02d}k{i:04d}": "v" for i in range(count)}


def utf8_bytes(attrs: dict[str, str]) -> int:
    return sum(len(k.encode()) + len(v.encode()) for k, v in attrs.items())


# -- stored state within its contract --------------------------------------------------------------


def test_seventeen_chained_contacts_never_store_more_than_answers_may_return(client: Any, instance_id: str) -> None:
    """Each request holds 32,400 bytes of attributes (within the documented 32,768); copied through
    RelatedContactId, 17 of them would leave a contact of 61,200 attributes."""
    related: str | None = None
    accepted: list[str] = []
    refusals: list[dict[str, str]] = []
    for round_ in range(17):
        extra = {"RelatedContactId": related} if related else {}
        try:
            contact = start(client, instance_id, Attributes=attributes(round_, 3600), **extra)
        except ClientError as exc:
            refusals.append(exc.response["Error"])
            continue
        accepted.append(contact)
        related = contact
    assert len(refusals) == 16
    for error in refusals:
        assert error["Code"] == "InvalidRequestException"
        for named in ("RelatedContactId", "32768", "START-ATTR-001", "32,768 UTF-8 bytes"):
            assert named in error["Message"]
    assert accepted, "the first contact is within the limit"
    for contact in accepted:
        got = client.get_contact_attributes(InstanceId=instance_id, InitialContactId=contact)
        got.pop("ResponseMetadata")
        validator.validate_response("GetContactAttributes", got)
        assert utf8_bytes(got["Attributes"]) <= ATTRIBUTES_BYTE_LIMIT
        described = client.describe_contact(InstanceId=instance_id, ContactId=contact)
        described.pop("ResponseMetadata")
        validator.validate_response("DescribeContact", json.loads(json.dumps(described, default=str)))


def test_related_attributes_are_copied_while_the_combination_fits(client: Any, instance_id: str) -> None:
    first = start(client, instance_id, Attributes={"a": "1", "shared": "old"})
    second = start(client, instance_id, RelatedContactId=first, Attributes={"b": "2", "shared": "new"})
    got = client.get_contact_attributes(InstanceId=instance_id, InitialContactId=second)["Attributes"]
    assert got == {"a": "1", "b": "2", "shared": "new"}
    # A key the new request sends again counts once: re-sending the related attributes still fits.
    big = attributes(0, 3600)
    third = start(client, instance_id, Attributes=big)
    fourth = start(client, instance_id, RelatedContactId=third, Attributes=big)
    assert client.get_contact_attributes(InstanceId=instance_id, InitialContactId=fourth)["Attributes"] == big


def test_combined_attributes_over_the_limit_are_refused_and_nothing_is_stored(client: Any, instance_id: str) -> None:
    first = start(client, instance_id, Attributes=attributes(0, 3600))
    with pytest.raises(ClientError) as info:
        start(client, instance_id, RelatedContactId=first, Attributes=attributes(1, 100))
    assert code_of(info) == "InvalidRequestException"
    assert "33300" in info.value.response["Error"]["Message"]  # 3,700 attributes of 9 bytes
    listed = client.search_email_addresses(InstanceId=instance_id, MaxResults=10)
    assert listed["ApproximateTotalCount"] == 1  # the emulator keeps serving


# -- broken state files ----------------------------------------------------------------------------


def a_state_file(path: Path) -> Path:
    """A state file of several pages (records of 2,000 characters)."""
    store = Store(path)
    with store.transaction() as tx:
        for n in range(20):
            tx.put("email", f"e{n}", {"Description": "x" * 2000}, parent="i")
    store.close()
    return path


def other_schema(path: Path) -> Path:
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE users (name TEXT)")
    db.execute("INSERT INTO users VALUES ('x')")
    db.commit()
    db.close()
    return path


def truncated(path: Path) -> Path:
    a_state_file(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def not_sqlite(path: Path) -> Path:
    path.write_text("recorded_with: vcrpy\ninteractions: []\n", encoding="utf-8")
    return path


def header_only(path: Path) -> Path:
    path.write_bytes(b"SQLite format 3\x00" + b"\x00" * 20)
    return path


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (truncated, "truncated"),
        (not_sqlite, "not an SQLite database"),
        (header_only, "truncated"),
        (other_schema, "not this emulator's state"),
    ],
)
def test_a_broken_state_file_is_a_clear_error_naming_it(tmp_path: Path, make: Any, reason: str) -> None:
    path = make(tmp_path / "state.sqlite")
    with bounded(), pytest.raises(StateFileError) as info:
        Emulator.create(state=str(path))
    message = str(info.value)
    assert str(path) in message
    assert reason in message
    assert "--state" in message  # the fix: another file, or remove this one
    assert not isinstance(info.value, sqlite3.Error)


def test_serve_exits_2_on_a_broken_state_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = not_sqlite(tmp_path / "state.sqlite")
    assert cli.main(["emulator", "serve", "--state", str(path), "--port", "0"]) == 2
    err = capsys.readouterr().err
    assert str(path) in err
    assert "not an SQLite database" in err
    assert "Traceback" not in err


def test_an_empty_file_and_an_empty_database_are_new_state(tmp_path: Path) -> None:
    empty = tmp_path / "empty.sqlite"
    empty.touch()
    blank = tmp_path / "blank.sqlite"
    sqlite3.connect(blank).close()
    for path in (empty, blank):
        store = Store(path)
        with store.transaction() as tx:
            tx.put("instance", "i", {"Id": "i"})
        store.close()
        again = Store(path)
        with again.transaction(write=False) as tx:
            assert tx.get("instance", "i") == {"Id": "i"}
        again.close()


def test_a_record_edited_to_bad_json_spoils_only_itself(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    emulator = Emulator.create(state=str(path), auth_enabled=False)
    client = emulator.attach(make_client())
    iid = new_instance(client)
    good = client.create_email_address(InstanceId=iid, EmailAddress="good@example.com")["EmailAddressId"]
    bad = client.create_email_address(InstanceId=iid, EmailAddress="bad@example.com")["EmailAddressId"]
    other = sqlite3.connect(path, isolation_level=None)  # the file edited by hand
    other.execute('UPDATE records SET data = \'{"EmailAddress": "bad@\' WHERE id = ?', (bad,))
    other.close()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        found = client.search_email_addresses(InstanceId=iid, MaxResults=10)["EmailAddresses"]
        assert [a["EmailAddressId"] for a in found] == [good]
        assert client.describe_email_address(InstanceId=iid, EmailAddressId=good)["EmailAddress"] == "good@example.com"
        with pytest.raises(ClientError) as info:
            client.describe_email_address(InstanceId=iid, EmailAddressId=bad)
        assert code_of(info) == "ResourceNotFoundException"
        client.create_email_address(InstanceId=iid, EmailAddress="third@example.com")
        assert new_instance(client)
    reports = [w for w in caught if issubclass(w.category, StateRecordWarning)]
    assert len(reports) == 1, [str(w.message) for w in caught]
    assert f"email/{bad}" in str(reports[0].message)
    assert str(path) in str(reports[0].message)
    emulator.backend.store.close()


@pytest.mark.parametrize("data", ["[1, 2]", '"text"', '{"a": ' * 5000 + "1" + "}" * 5000])
def test_a_record_that_is_not_an_object_or_too_deep_is_treated_as_absent(emulator: Emulator, data: str) -> None:
    with emulator.backend.store.transaction() as tx:
        tx.put("instance", "i", {"Id": "i"})
    emulator.backend.store._db.execute("UPDATE records SET data = ? WHERE id = 'i'", (data,))
    with emulator.backend.store.transaction() as tx:
        with pytest.warns(StateRecordWarning, match="record instance/i"):
            got = tx.get("instance", "i")
        assert got is None
        assert tx.find("instance") == []  # reported once: no second warning (an error under -W error)


# -- tokens ----------------------------------------------------------------------------------------


def token(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


FORGED = [token("-1"), token("-100000000"), token("99999999999999999"), token("2"), token(" 1"), "garbage!", "%%%"]


@pytest.mark.parametrize("next_token", FORGED)
def test_forged_next_tokens_are_refused(client: Any, instance_id: str, next_token: str) -> None:
    for n in range(2):
        client.create_email_address(InstanceId=instance_id, EmailAddress=f"x{n}@example.com")  # 3 addresses
    week = [{"Day": "MONDAY", "StartTime": {"Hours": 8, "Minutes": 0}, "EndTime": {"Hours": 17, "Minutes": 0}}]
    hours = client.create_hours_of_operation(InstanceId=instance_id, Name="h", TimeZone="UTC", Config=week)
    queue = client.create_queue(InstanceId=instance_id, Name="q", HoursOfOperationId=hours["HoursOfOperationId"])
    calls = {
        "InvalidParameterException": [
            lambda: client.search_email_addresses(InstanceId=instance_id, MaxResults=1, NextToken=next_token),
            lambda: client.list_queue_email_addresses(
                InstanceId=instance_id, QueueId=queue["QueueId"], NextToken=next_token
            ),
            lambda: client.list_queues(InstanceId=instance_id, NextToken=next_token),
            lambda: client.search_queues(InstanceId=instance_id, NextToken=next_token),
        ],
        # ListInstances does not model InvalidParameterException: its error for bad input is InvalidRequestException.
        "InvalidRequestException": [lambda: client.list_instances(MaxResults=1, NextToken=next_token)],
    }
    if next_token == token("2"):  # in range for the 3 addresses; past the end of 1 instance, 0 queue addresses, 1 queue
        calls["InvalidParameterException"].pop(0)
    for code, listed in calls.items():
        for call in listed:
            with pytest.raises(ClientError) as info:
                call()
            assert code_of(info) == code
            assert "NextToken" in info.value.response["Error"]["Message"]


def test_issued_tokens_walk_every_item_once(client: Any, instance_id: str) -> None:
    for n in range(4):
        client.create_email_address(InstanceId=instance_id, EmailAddress=f"x{n}@example.com")
    seen: list[str] = []
    params: dict[str, Any] = {"InstanceId": instance_id, "MaxResults": 2}
    while True:
        page = client.search_email_addresses(**params)
        seen += [a["EmailAddressId"] for a in page["EmailAddresses"]]
        if not page.get("NextToken"):
            break
        params["NextToken"] = page["NextToken"]
    assert len(seen) == len(set(seen)) == 5


# -- client tokens and deleted resources -----------------------------------------------------------


def test_a_client_token_after_delete_instance_does_not_answer_dead_ids(client: Any) -> None:
    create = {"IdentityManagementType": "CONNECT_MANAGED", "InboundCallsEnabled": True, "OutboundCallsEnabled": True}
    iid = client.create_instance(ClientToken="instance-token", **create)["Id"]
    assert client.create_instance(ClientToken="instance-token", **create)["Id"] == iid  # a retry: replayed
    address = {"InstanceId": iid, "EmailAddress": "a@example.com", "ClientToken": "address-token"}
    client.create_email_address(**address)
    client.delete_instance(InstanceId=iid)

    with pytest.raises(ClientError) as info:
        client.create_email_address(**address)
    assert code_of(info) == "ResourceNotFoundException"
    assert iid in info.value.response["Error"]["Message"]

    with pytest.raises(ClientError) as info:
        client.create_instance(ClientToken="instance-token", **create)
    assert code_of(info) == "ResourceNotFoundException"
    message = info.value.response["Error"]["Message"]
    assert iid in message
    assert "ClientToken" in message
    assert "deleted" in message

    assert client.create_instance(ClientToken="another-token", **create)["Id"] != iid


def test_a_client_token_after_delete_email_address_does_not_answer_its_dead_id(client: Any, instance_id: str) -> None:
    request = {"InstanceId": instance_id, "EmailAddress": "gone@example.com", "ClientToken": "t"}
    address = client.create_email_address(**request)["EmailAddressId"]
    client.delete_email_address(InstanceId=instance_id, EmailAddressId=address)
    with pytest.raises(ClientError) as info:
        client.create_email_address(**request)
    assert code_of(info) == "ResourceNotFoundException"
    assert address in info.value.response["Error"]["Message"]
