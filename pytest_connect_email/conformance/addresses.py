"""Conformance checks of the email address lifecycle: create, describe, search, update, delete, and the
alias rules beyond the reference page's (unknown addresses, chaining, direction, deleting either side).

Sources are sentences of the model's documentation; where it is silent, the behaviour every AWS API
keeps, with "AWS API convention" as the source. The run's instance is shared by every check in emulator
mode, so each check finds its own addresses by the ids it created or by a token only it used.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from pytest_connect_email.conformance import check
from pytest_connect_email.conformance.support import (
    VALIDATION_ERRORS,
    aliases,
    answer_code,
    associate,
    disassociate,
    new_token,
)

MISSING_ID = "00000000-0000-4000-8000-00000000dead"
MISSING_INSTANCE = "00000000-0000-4000-8000-00000000beef"
NOT_FOUND = (404, "ResourceNotFoundException")


def describe(client: Any, instance_id: str, address_id: str) -> dict[str, Any]:
    return dict(client.describe_email_address(InstanceId=instance_id, EmailAddressId=address_id))


def body_of(answer: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in answer.items() if k != "ResponseMetadata"}


def search_all(client: Any, instance_id: str, page_size: int | None = None, **criteria: Any) -> list[dict[str, Any]]:
    """Every page of a search (at most 50 pages)."""
    found: list[dict[str, Any]] = []
    params: dict[str, Any] = {"InstanceId": instance_id, **criteria}
    if page_size is not None:
        params["MaxResults"] = page_size
    for _ in range(50):
        page = client.search_email_addresses(**params)
        found.extend(page.get("EmailAddresses", []))
        if not page.get("NextToken"):
            return found
        params["NextToken"] = page["NextToken"]
    raise AssertionError("SearchEmailAddresses kept answering a NextToken after 50 pages")


def condition(field: str, value: str, comparison: str = "EXACT") -> dict[str, Any]:
    return {"StringCondition": {"FieldName": field, "Value": value, "ComparisonType": comparison}}


def ids(items: list[dict[str, Any]]) -> list[str]:
    return [str(item["EmailAddressId"]) for item in items]


# -- create and describe ---------------------------------------------------------------------------


@check(
    "ADDR-001",
    "CreateEmailAddress",
    "Create new email address in the specified Amazon Connect instance. AWS API convention: what is created can be "
    "described, with the values it was created with.",
)
def test_created_address_reads_back(connect_client: Any, connect_instance_id: str, email_address: Any) -> None:
    """A created address is described with its address, display name, description and tags."""
    made = email_address(DisplayName="Støtte", Description="Kundendienst für Ärzte", Tags={"team": "care"})
    shown = describe(connect_client, connect_instance_id, made.id)
    assert shown["EmailAddressId"] == made.id
    assert shown["EmailAddressArn"] == made.arn
    assert shown["EmailAddress"] == made.address
    assert (shown.get("DisplayName"), shown.get("Description")) == ("Støtte", "Kundendienst für Ärzte")
    assert shown.get("Tags") == {"team": "care"}
    assert shown.get("AliasConfigurations", []) == []


@check(
    "ADDR-002",
    "CreateEmailAddress",
    "model: DuplicateResourceException (409) — A resource with the specified name already exists.",
)
def test_duplicate_address_is_refused(connect_client: Any, connect_instance_id: str, email_address: Any) -> None:
    """Creating an address the instance already has answers 409 DuplicateResourceException."""
    made = email_address()
    status, code = answer_code(
        lambda: connect_client.create_email_address(InstanceId=connect_instance_id, EmailAddress=made.address)
    )
    assert (status, code) == (409, "DuplicateResourceException")


@check(
    "ADDR-003",
    "CreateEmailAddress",
    "model: ResourceNotFoundException (404) — The specified resource was not found.",
)
def test_create_in_a_missing_instance(connect_client: Any, connect_settings: Any, unique: Callable[[], str]) -> None:
    """Creating an address in an instance that does not exist is not found."""
    status, code = answer_code(
        lambda: connect_client.create_email_address(
            InstanceId=MISSING_INSTANCE, EmailAddress=f"ce-{unique()}@{connect_settings.email_domain}"
        )
    )
    assert (status, code) == NOT_FOUND


@check(
    "ADDR-004",
    "DescribeEmailAddress",
    "CreateTimestamp: The email address creation timestamp in ISO 8601 Datetime. ModifiedTimestamp: The email "
    "address last modification timestamp in ISO 8601 Datetime.",
)
def test_timestamps_are_iso_8601(connect_client: Any, connect_instance_id: str, email_address: Any) -> None:
    """CreateTimestamp and ModifiedTimestamp are ISO 8601 date-times, modification not before creation."""
    shown = describe(connect_client, connect_instance_id, email_address().id)
    stamps = []
    for name in ("CreateTimestamp", "ModifiedTimestamp"):
        text = str(shown[name])
        try:
            stamps.append(dt.datetime.fromisoformat(text.replace("Z", "+00:00")))
        except ValueError:
            raise AssertionError(f"{name} {text!r} is not an ISO 8601 date-time") from None
    assert stamps[1] >= stamps[0]


@check(
    "ADDR-005",
    "CreateEmailAddress",
    "ClientToken: A unique, case-sensitive identifier that you provide to ensure the idempotency of the request.",
)
def test_create_retried_with_its_token(
    connect_client: Any, connect_instance_id: str, connect_settings: Any, unique: Callable[[], str]
) -> None:
    """A CreateEmailAddress retried with its ClientToken answers the first address again, not a duplicate."""
    token = new_token()
    params = {
        "InstanceId": connect_instance_id,
        "EmailAddress": f"ce-{unique()}@{connect_settings.email_domain}",
        "ClientToken": token,
    }
    first = connect_client.create_email_address(**params)
    try:
        again = connect_client.create_email_address(**params)
        assert (again["EmailAddressId"], again["EmailAddressArn"]) == (
            first["EmailAddressId"],
            first["EmailAddressArn"],
        )
    finally:
        connect_client.delete_email_address(InstanceId=connect_instance_id, EmailAddressId=first["EmailAddressId"])


#: Email addresses an instance may have (the Amazon Connect service quota's default).
ADDRESS_QUOTA = 100


@check(
    "ADDR-006",
    "CreateEmailAddress",
    "model: ServiceQuotaExceededException (402) — The service quota has been exceeded. Amazon Connect service "
    "quotas: 100 email addresses per instance (default).",
)
def test_address_quota(
    connect_client: Any, connect_settings: Any, make_instance: Callable[[], dict[str, Any]], unique: Callable[[], str]
) -> None:
    """A fresh instance takes 100 email addresses; the 101st answers 402 ServiceQuotaExceededException."""
    instance_id = make_instance()["Id"]
    token = unique()[:10]
    for number in range(ADDRESS_QUOTA):
        connect_client.create_email_address(
            InstanceId=instance_id, EmailAddress=f"q{number}-{token}@{connect_settings.email_domain}"
        )
    status, code = answer_code(
        lambda: connect_client.create_email_address(
            InstanceId=instance_id, EmailAddress=f"over-{token}@{connect_settings.email_domain}"
        )
    )
    assert (status, code) == (402, "ServiceQuotaExceededException")


# -- update ----------------------------------------------------------------------------------------


@check(
    "UPDATE-001",
    "UpdateEmailAddressMetadata",
    "Updates an email address metadata. AWS API convention: what is updated reads back updated.",
)
def test_update_reads_back(connect_client: Any, connect_instance_id: str, email_address: Any) -> None:
    """UpdateEmailAddressMetadata answers the address's id and ARN; DescribeEmailAddress shows the new values."""
    made = email_address(DisplayName="Alt", Description="vorher")
    answer = connect_client.update_email_address_metadata(
        InstanceId=connect_instance_id, EmailAddressId=made.id, DisplayName="Neu", Description="nachher"
    )
    assert (answer["EmailAddressId"], answer["EmailAddressArn"]) == (made.id, made.arn)
    shown = describe(connect_client, connect_instance_id, made.id)
    assert (shown.get("DisplayName"), shown.get("Description")) == ("Neu", "nachher")
    assert shown["EmailAddress"] == made.address


@check(
    "UPDATE-002",
    "UpdateEmailAddressMetadata",
    "UpdateEmailAddressMetadata: Modify email address properties (does not affect alias relationships).",
)
def test_update_keeps_the_alias(connect_client: Any, connect_instance_id: str, alias_pair: Any) -> None:
    """Updating either address of an alias pair leaves the alias relationship as it was."""
    primary, alias = alias_pair
    associate(connect_client, connect_instance_id, primary, alias)
    for address in (primary, alias):
        connect_client.update_email_address_metadata(
            InstanceId=connect_instance_id, EmailAddressId=address.id, DisplayName="Umbenannt"
        )
    assert aliases(connect_client, connect_instance_id, primary) == [alias.id]


@check("UPDATE-003", "UpdateEmailAddressMetadata", "model: ResourceNotFoundException (404)")
def test_update_a_missing_address(connect_client: Any, connect_instance_id: str) -> None:
    """Updating an address that does not exist is not found."""
    status, code = answer_code(
        lambda: connect_client.update_email_address_metadata(
            InstanceId=connect_instance_id, EmailAddressId=MISSING_ID, DisplayName="x"
        )
    )
    assert (status, code) == NOT_FOUND


@check(
    "UPDATE-004",
    "SearchEmailAddresses",
    "AWS API convention: what is updated reads back updated, in searches too.",
)
def test_search_sees_the_update(
    connect_client: Any, connect_instance_id: str, email_address: Any, unique: Callable[[], str]
) -> None:
    """A search by display name finds the address under its new name and no longer under its old one."""
    old, new = f"old{unique()}", f"new{unique()}"
    made = email_address(DisplayName=old)
    connect_client.update_email_address_metadata(
        InstanceId=connect_instance_id, EmailAddressId=made.id, DisplayName=new
    )
    by_new = search_all(connect_client, connect_instance_id, SearchCriteria=condition("DisplayName", new))
    by_old = search_all(connect_client, connect_instance_id, SearchCriteria=condition("DisplayName", old))
    assert (ids(by_new), ids(by_old)) == ([made.id], [])


# -- delete ----------------------------------------------------------------------------------------


@check(
    "DELETE-001",
    "DeleteEmailAddress",
    "Deletes email address from the specified Amazon Connect instance. AWS API convention: what is deleted is gone, "
    "from reads and from searches.",
)
def test_deleted_address_is_gone(
    connect_client: Any, connect_instance_id: str, email_address: Any, unique: Callable[[], str]
) -> None:
    """A deleted address is not found by DescribeEmailAddress and no longer found by a search."""
    token = f"gone{unique()}"
    made = email_address(DisplayName=token)
    answer = connect_client.delete_email_address(InstanceId=connect_instance_id, EmailAddressId=made.id)
    assert body_of(answer) == {}
    assert answer_code(lambda: describe(connect_client, connect_instance_id, made.id)) == NOT_FOUND
    found = search_all(connect_client, connect_instance_id, SearchCriteria=condition("DisplayName", token))
    assert found == []


@check("DELETE-002", "DeleteEmailAddress", "AWS API convention: deleting what does not exist is not found.")
def test_delete_twice(connect_client: Any, connect_instance_id: str, email_address: Any) -> None:
    """Deleting an address a second time is not found."""
    made = email_address()
    connect_client.delete_email_address(InstanceId=connect_instance_id, EmailAddressId=made.id)
    status, code = answer_code(
        lambda: connect_client.delete_email_address(InstanceId=connect_instance_id, EmailAddressId=made.id)
    )
    assert (status, code) == NOT_FOUND


@check(
    "DELETE-003",
    "DeleteEmailAddress",
    "DeleteEmailAddress: Remove email addresses (automatically removes any alias relationships).",
)
def test_deleting_the_alias_frees_the_primary(
    connect_client: Any, connect_instance_id: str, email_address: Any
) -> None:
    """Deleting the alias address removes the relationship: the primary shows no alias and can take another."""
    primary, alias, other = email_address(), email_address(), email_address()
    associate(connect_client, connect_instance_id, primary, alias)
    connect_client.delete_email_address(InstanceId=connect_instance_id, EmailAddressId=alias.id)
    assert aliases(connect_client, connect_instance_id, primary) == []
    associate(connect_client, connect_instance_id, primary, other)
    assert aliases(connect_client, connect_instance_id, primary) == [other.id]


@check(
    "DELETE-004",
    "DeleteEmailAddress",
    "DeleteEmailAddress: Remove email addresses (automatically removes any alias relationships).",
)
def test_deleting_the_primary_frees_the_alias(
    connect_client: Any, connect_instance_id: str, email_address: Any
) -> None:
    """Deleting the primary address leaves the alias address, free to be the alias of another address."""
    primary, alias, other = email_address(), email_address(), email_address()
    associate(connect_client, connect_instance_id, primary, alias)
    connect_client.delete_email_address(InstanceId=connect_instance_id, EmailAddressId=primary.id)
    assert describe(connect_client, connect_instance_id, alias.id)["EmailAddress"] == alias.address
    associate(connect_client, connect_instance_id, other, alias)
    assert aliases(connect_client, connect_instance_id, other) == [alias.id]


@check(
    "DELETE-005",
    "DeleteEmailAddress",
    "AWS API convention: what is deleted is gone, so the same address can be created again.",
)
def test_recreate_after_delete(connect_client: Any, connect_instance_id: str, email_address: Any) -> None:
    """An address can be created again after it was deleted, under a new id."""
    made = email_address()
    connect_client.delete_email_address(InstanceId=connect_instance_id, EmailAddressId=made.id)
    again = email_address(made.address.split("@")[0])
    assert again.id != made.id
    assert describe(connect_client, connect_instance_id, again.id)["EmailAddress"] == made.address


# -- search ----------------------------------------------------------------------------------------


def _family(email_address: Any, unique: Callable[[], str], count: int, **extra: Any) -> tuple[str, list[Any]]:
    """``count`` addresses whose local parts and display names share a fresh token."""
    token = f"s{unique()[:10]}"
    return token, [email_address(f"{token}-{i}", DisplayName=f"{token} Nummer {i}", **extra) for i in range(count)]


@check(
    "SEARCH-001",
    "SearchEmailAddresses",
    "SearchCriteria: The search criteria to be used to return email addresses. StringCondition ComparisonType EXACT.",
)
def test_search_exact(
    connect_client: Any, connect_instance_id: str, email_address: Any, unique: Callable[[], str]
) -> None:
    """An EXACT condition on EmailAddress finds exactly that address."""
    _, made = _family(email_address, unique, 2)
    found = search_all(connect_client, connect_instance_id, SearchCriteria=condition("EmailAddress", made[0].address))
    assert ids(found) == [made[0].id]
    assert found[0]["EmailAddress"] == made[0].address


@check(
    "SEARCH-002",
    "SearchEmailAddresses",
    "StringCondition ComparisonType: STARTS_WITH | CONTAINS | EXACT — The type of comparison to be made when "
    "evaluating the string condition.",
)
def test_search_starts_with_and_contains(
    connect_client: Any, connect_instance_id: str, email_address: Any, unique: Callable[[], str]
) -> None:
    """STARTS_WITH on EmailAddress and CONTAINS on DisplayName find every address of the family and no other."""
    token, made = _family(email_address, unique, 3)
    starts = search_all(
        connect_client, connect_instance_id, SearchCriteria=condition("EmailAddress", token, "STARTS_WITH")
    )
    contains = search_all(
        connect_client, connect_instance_id, SearchCriteria=condition("DisplayName", f"{token} Numm", "CONTAINS")
    )
    assert sorted(ids(starts)) == sorted(ids(contains)) == sorted(m.id for m in made)


@check(
    "SEARCH-003",
    "SearchEmailAddresses",
    "AndConditions: A list of conditions which would be applied together with an AND condition. OrConditions: A "
    "list of conditions which would be applied together with an OR condition.",
)
def test_search_and_or(
    connect_client: Any, connect_instance_id: str, email_address: Any, unique: Callable[[], str]
) -> None:
    """AndConditions narrow to the addresses meeting all conditions; OrConditions widen to any."""
    token, made = _family(email_address, unique, 3)
    both = {
        "AndConditions": [
            condition("EmailAddress", token, "STARTS_WITH"),
            condition("DisplayName", f"{token} Nummer 1"),
        ]
    }
    either = {"OrConditions": [condition("EmailAddress", made[0].address), condition("EmailAddress", made[2].address)]}
    assert ids(search_all(connect_client, connect_instance_id, SearchCriteria=both)) == [made[1].id]
    found = search_all(connect_client, connect_instance_id, SearchCriteria=either)
    assert sorted(ids(found)) == sorted([made[0].id, made[2].id])


@check(
    "SEARCH-004",
    "SearchEmailAddresses",
    "TagFilter: An object that can be used to specify Tag conditions inside the SearchFilter. This accepts an OR of "
    "AND (List of List) input where: Top level list specifies conditions that need to be applied with OR operator. "
    "Inner list specifies conditions that need to be applied with AND operator.",
)
def test_search_tag_filter(
    connect_client: Any, connect_instance_id: str, email_address: Any, unique: Callable[[], str]
) -> None:
    """A TagCondition, an AND list and an OR of AND lists select by tags."""
    token = f"t{unique()[:10]}"
    gold = email_address(f"{token}-g", Tags={"suite": token, "tier": "gold"})
    blue = email_address(f"{token}-b", Tags={"suite": token, "tier": "blue"})
    email_address(f"{token}-n", Tags={"suite": token, "tier": "none"})

    def by(tag_filter: dict[str, Any]) -> list[str]:
        return sorted(ids(search_all(connect_client, connect_instance_id, SearchFilter={"TagFilter": tag_filter})))

    gold_c = {"TagKey": "tier", "TagValue": "gold"}
    blue_c = {"TagKey": "tier", "TagValue": "blue"}
    mine = {"TagKey": "suite", "TagValue": token}
    assert by({"AndConditions": [mine, gold_c]}) == [gold.id]
    assert by({"OrConditions": [[mine, gold_c], [mine, blue_c]]}) == sorted([gold.id, blue.id])
    assert gold.id in by({"TagCondition": gold_c})
    assert blue.id not in by({"TagCondition": gold_c})


@check(
    "SEARCH-005",
    "SearchEmailAddresses",
    "ApproximateTotalCount: The total number of email addresses which matched your search query. AWS API convention: "
    "pagination honours MaxResults and NextToken and returns every item exactly once.",
)
def test_search_pages(
    connect_client: Any, connect_instance_id: str, email_address: Any, unique: Callable[[], str]
) -> None:
    """Pages of 2 hold at most 2 addresses, together every match exactly once; the total count is the match count."""
    token, made = _family(email_address, unique, 5)
    criteria = condition("EmailAddress", token, "STARTS_WITH")
    first = connect_client.search_email_addresses(InstanceId=connect_instance_id, SearchCriteria=criteria, MaxResults=2)
    assert len(first["EmailAddresses"]) <= 2
    assert first.get("NextToken"), "5 matches in pages of 2 need a NextToken"
    assert first.get("ApproximateTotalCount") == 5
    pages: list[list[dict[str, Any]]] = []
    params: dict[str, Any] = {"InstanceId": connect_instance_id, "SearchCriteria": criteria, "MaxResults": 2}
    for _ in range(10):
        page = connect_client.search_email_addresses(**params)
        pages.append(page["EmailAddresses"])
        if not page.get("NextToken"):
            break
        params["NextToken"] = page["NextToken"]
    assert all(len(page) <= 2 for page in pages), [len(p) for p in pages]
    seen = [item for page in pages for item in ids(page)]
    assert sorted(seen) == sorted(m.id for m in made), "every match exactly once"


@check(
    "SEARCH-006",
    "SearchEmailAddresses",
    "SearchEmailAddresses: Find email addresses and their alias relationships across an instance.",
)
def test_search_shows_alias_relationships(connect_client: Any, connect_instance_id: str, alias_pair: Any) -> None:
    """A search result of a primary carries its alias configuration."""
    primary, alias = alias_pair
    associate(connect_client, connect_instance_id, primary, alias)
    found = search_all(connect_client, connect_instance_id, SearchCriteria=condition("EmailAddress", primary.address))
    assert ids(found) == [primary.id]
    assert found[0].get("AliasConfigurations") == [{"EmailAddressId": alias.id}]


@check("SEARCH-007", "SearchEmailAddresses", "model: ResourceNotFoundException (404)")
def test_search_a_missing_instance(connect_client: Any) -> None:
    """Searching an instance that does not exist is not found."""
    assert answer_code(lambda: connect_client.search_email_addresses(InstanceId=MISSING_INSTANCE)) == NOT_FOUND


# -- aliases beyond the reference pages ------------------------------------------------------------


@check(
    "ALIAS-001",
    "AssociateEmailAddressAlias",
    "AliasConfiguration: The specified email address must already exist in the Amazon Connect instance.",
)
def test_alias_to_a_missing_address(connect_client: Any, connect_instance_id: str, email_address: Any) -> None:
    """Associating an alias id that does not exist, or a primary that does not exist, is not found."""
    made = email_address()
    unknown_alias = answer_code(
        lambda: connect_client.associate_email_address_alias(
            InstanceId=connect_instance_id, EmailAddressId=made.id, AliasConfiguration={"EmailAddressId": MISSING_ID}
        )
    )
    unknown_primary = answer_code(
        lambda: connect_client.associate_email_address_alias(
            InstanceId=connect_instance_id, EmailAddressId=MISSING_ID, AliasConfiguration={"EmailAddressId": made.id}
        )
    )
    assert (unknown_alias, unknown_primary) == (NOT_FOUND, NOT_FOUND)
    assert aliases(connect_client, connect_instance_id, made) == []


@check(
    "ALIAS-002",
    "AssociateEmailAddressAlias",
    "You cannot chain email aliases together (that is, create an alias of an alias).",
)
def test_no_alias_of_an_alias(connect_client: Any, connect_instance_id: str, email_address: Any) -> None:
    """An address that is an alias cannot take an alias of its own."""
    primary, alias, third = email_address(), email_address(), email_address()
    associate(connect_client, connect_instance_id, primary, alias)
    status, code = answer_code(lambda: associate(connect_client, connect_instance_id, alias, third))
    assert 400 <= status < 500, f"expected a client error, got {status} {code}"
    assert aliases(connect_client, connect_instance_id, alias) == []


@check(
    "ALIAS-003",
    "AssociateEmailAddressAlias",
    "AliasConfiguration: The specified email address must already exist in the Amazon Connect instance and cannot "
    "already be configured as an alias or have an alias of its own.",
)
def test_alias_must_be_free(connect_client: Any, connect_instance_id: str, email_address: Any) -> None:
    """An address with an alias of its own, or already the alias of another, cannot become an alias."""
    first, second, alias, other = email_address(), email_address(), email_address(), email_address()
    associate(connect_client, connect_instance_id, first, alias)
    taken = answer_code(lambda: associate(connect_client, connect_instance_id, second, alias))
    has_own = answer_code(lambda: associate(connect_client, connect_instance_id, other, first))
    for status, code in (taken, has_own):
        assert 400 <= status < 500, f"expected a client error, got {status} {code}"
    assert aliases(connect_client, connect_instance_id, second) == []
    assert aliases(connect_client, connect_instance_id, other) == []
    assert aliases(connect_client, connect_instance_id, first) == [alias.id]


@check(
    "ALIAS-004",
    "DisassociateEmailAddressAlias",
    "EmailAddressId: The identifier of the email address. AliasConfiguration: Configuration object that specifies "
    "which alias relationship to remove. The alias association must currently exist between the primary email "
    "address and the specified alias email address.",
)
def test_disassociation_names_primary_then_alias(
    connect_client: Any, connect_instance_id: str, alias_pair: Any
) -> None:
    """Disassociation naming the alias as primary and the primary as alias is refused and changes nothing."""
    primary, alias = alias_pair
    associate(connect_client, connect_instance_id, primary, alias)
    status, code = answer_code(lambda: disassociate(connect_client, connect_instance_id, alias, primary))
    assert 400 <= status < 500, f"expected a client error, got {status} {code}"
    assert aliases(connect_client, connect_instance_id, primary) == [alias.id]


@check(
    "ALIAS-005",
    "DescribeEmailAddress",
    "AliasConfigurations: A list of alias configurations associated with this email address. Contains details about "
    "email addresses that forward to this primary email address.",
)
def test_only_the_primary_lists_the_alias(connect_client: Any, connect_instance_id: str, alias_pair: Any) -> None:
    """After association the primary lists the alias; the alias address lists none."""
    primary, alias = alias_pair
    associate(connect_client, connect_instance_id, primary, alias)
    assert aliases(connect_client, connect_instance_id, primary) == [alias.id]
    assert aliases(connect_client, connect_instance_id, alias) == []


@check(
    "ALIAS-006",
    "AssociateEmailAddressAlias",
    "AssociateEmailAddressAlias does not return the following information: A confirmation of the alias relationship "
    "details (you must call DescribeEmailAddress to verify).",
)
def test_association_answers_an_empty_body(connect_client: Any, connect_instance_id: str, alias_pair: Any) -> None:
    """Association answers 200 with no members."""
    primary, alias = alias_pair
    answer = associate(connect_client, connect_instance_id, primary, alias)
    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert body_of(answer) == {}


@check(
    "ALIAS-007",
    "DisassociateEmailAddressAlias",
    "model: ResourceNotFoundException (404) — The specified resource was not found.",
)
def test_disassociate_in_a_missing_instance(connect_client: Any, alias_pair: Any) -> None:
    """Disassociating in an instance that does not exist is not found."""
    primary, alias = alias_pair
    assert answer_code(lambda: disassociate(connect_client, MISSING_INSTANCE, primary, alias)) == NOT_FOUND


@check(
    "ALIAS-008",
    "AssociateEmailAddressAlias",
    "model: EmailAddressId — The identifier of the email address (a request without it is invalid).",
)
def test_associate_without_an_alias_id(unchecked_client: Any, connect_instance_id: str, email_address: Any) -> None:
    """An association whose AliasConfiguration lacks EmailAddressId is a validation error."""
    made = email_address()
    status, code = answer_code(
        lambda: unchecked_client.associate_email_address_alias(
            InstanceId=connect_instance_id, EmailAddressId=made.id, AliasConfiguration={}
        )
    )
    assert (status, code in VALIDATION_ERRORS) == (400, True), (status, code)
