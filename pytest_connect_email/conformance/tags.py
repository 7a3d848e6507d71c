"""Conformance checks of tags on the email resources: TagResource, UntagResource, ListTagsForResource, and
what every other read of an email address shows of its tags (DescribeEmailAddress, SearchEmailAddresses'
TagFilter).

Sources are sentences of the model's documentation; where it is silent, the behaviour every AWS tagging
API keeps ("AWS tagging convention"). Each check tags only addresses it created, with a key only it uses.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pytest_connect_email.conformance import check
from pytest_connect_email.conformance.support import VALIDATION_ERRORS, answer_code

NOT_FOUND = (404, "ResourceNotFoundException")
#: Tags one resource may hold: Connect's tag quota, and the model's cap on one TagResource's ``tags``.
MAX_TAGS = 50


def tags_of(client: Any, arn: str) -> dict[str, str]:
    return dict(client.list_tags_for_resource(resourceArn=arn).get("tags") or {})  # the model's TagMap: 1+ entries


def described_tags(client: Any, instance_id: str, address_id: str) -> dict[str, str]:
    return dict(client.describe_email_address(InstanceId=instance_id, EmailAddressId=address_id).get("Tags") or {})


def missing_arn(arn: str) -> str:
    """The ARN of an email address of the same instance that was never made."""
    return f"{arn.rsplit('/', 1)[0]}/00000000-0000-4000-8000-00000000dead"


@check(
    "TAG-001",
    "TagResource",
    "Adds the specified tags to the specified resource. ListTagsForResource: Lists the tags for the specified "
    "resource. AWS API convention: what is updated reads back updated, through every read that shows it.",
)
def test_tags_read_back(connect_client: Any, connect_instance_id: str, email_address: Any) -> None:
    """Tags added to an address join the ones it was created with, in ListTagsForResource and DescribeEmailAddress."""
    made = email_address(Tags={"team": "care"})
    assert tags_of(connect_client, made.arn) == {"team": "care"}
    connect_client.tag_resource(resourceArn=made.arn, tags={"tier": "gold", "region": "nord"})
    expected = {"team": "care", "tier": "gold", "region": "nord"}
    assert tags_of(connect_client, made.arn) == expected
    assert described_tags(connect_client, connect_instance_id, made.id) == expected


@check(
    "TAG-002",
    "TagResource",
    "AWS tagging convention: tagging a key the resource already has replaces its value (a key has one value).",
)
def test_tagging_a_key_again_replaces_its_value(connect_client: Any, email_address: Any) -> None:
    """A key tagged twice holds the second value, once."""
    made = email_address(Tags={"tier": "blue"})
    connect_client.tag_resource(resourceArn=made.arn, tags={"tier": "gold"})
    assert tags_of(connect_client, made.arn) == {"tier": "gold"}


@check(
    "TAG-003",
    "UntagResource",
    "Removes the specified tags from the specified resource. AWS tagging convention: removing a key the resource "
    "does not have is not an error, and the other tags stay.",
)
def test_untag_removes_only_the_named_keys(connect_client: Any, connect_instance_id: str, email_address: Any) -> None:
    """The named keys go, a key never set is ignored, the other tags stay (in both reads)."""
    made = email_address(Tags={"team": "care", "tier": "gold", "region": "nord"})
    connect_client.untag_resource(resourceArn=made.arn, tagKeys=["tier", "never-set"])
    assert tags_of(connect_client, made.arn) == {"team": "care", "region": "nord"}
    assert described_tags(connect_client, connect_instance_id, made.id) == {"team": "care", "region": "nord"}
    connect_client.untag_resource(resourceArn=made.arn, tagKeys=["team", "region"])
    assert tags_of(connect_client, made.arn) == {}


@check(
    "TAG-004",
    "ListTagsForResource",
    "resourceArn: The Amazon Resource Name (ARN) of the resource. AWS API convention: what is unknown is "
    "ResourceNotFoundException (404), for every operation that names it.",
)
def test_an_unknown_resource_is_not_found(connect_client: Any, email_address: Any) -> None:
    """An email address ARN that names nothing is 404 for listing, tagging and untagging."""
    arn = missing_arn(email_address().arn)
    assert answer_code(lambda: connect_client.list_tags_for_resource(resourceArn=arn)) == NOT_FOUND
    assert answer_code(lambda: connect_client.tag_resource(resourceArn=arn, tags={"k": "v"})) == NOT_FOUND
    assert answer_code(lambda: connect_client.untag_resource(resourceArn=arn, tagKeys=["k"])) == NOT_FOUND


@check(
    "TAG-005",
    "UntagResource",
    "DeleteEmailAddress: Deletes email address from the specified Amazon Connect instance. AWS API convention: "
    "a deleted resource's tags are gone with it; its ARN is not found by the tag operations.",
)
def test_a_deleted_address_has_no_tags(connect_client: Any, connect_instance_id: str, email_address: Any) -> None:
    """After DeleteEmailAddress, its ARN is 404 for the tag operations, even though it was listed before."""
    made = email_address(Tags={"team": "care"})
    assert tags_of(connect_client, made.arn) == {"team": "care"}
    connect_client.delete_email_address(InstanceId=connect_instance_id, EmailAddressId=made.id)
    assert answer_code(lambda: connect_client.list_tags_for_resource(resourceArn=made.arn)) == NOT_FOUND
    assert answer_code(lambda: connect_client.untag_resource(resourceArn=made.arn, tagKeys=["team"])) == NOT_FOUND
    assert answer_code(lambda: connect_client.tag_resource(resourceArn=made.arn, tags={"k": "v"})) == NOT_FOUND


@check(
    "TAG-006",
    "TagResource",
    "TagFilter: An object that can be used to specify Tag conditions inside the SearchFilter. AWS API convention: "
    "what is updated reads back updated: a search sees the tags TagResource and UntagResource left.",
)
def test_search_sees_tag_changes(
    connect_client: Any, connect_instance_id: str, email_address: Any, unique: Callable[[], str]
) -> None:
    """An address tagged after its creation is found by its new tag, and not once the tag is removed."""
    key = f"t{unique()[:10]}"
    made = email_address()
    condition = {"TagFilter": {"TagCondition": {"TagKey": key, "TagValue": "on"}}}

    def found() -> list[str]:
        page = connect_client.search_email_addresses(InstanceId=connect_instance_id, SearchFilter=condition)
        return [str(a["EmailAddressId"]) for a in page.get("EmailAddresses", [])]

    assert made.id not in found()
    connect_client.tag_resource(resourceArn=made.arn, tags={key: "on"})
    assert found() == [made.id]
    connect_client.untag_resource(resourceArn=made.arn, tagKeys=[key])
    assert found() == []


@check(
    "TAG-007",
    "TagResource",
    "tags: The tags used to organize, track, or control access for this resource (at most 50 in one request). "
    "AWS tagging convention: a resource holds at most 50 user tags; a request that would exceed them is refused "
    "as invalid and changes nothing.",
)
def test_a_resource_holds_at_most_fifty_tags(connect_client: Any, email_address: Any) -> None:
    """50 tags are kept; one more is refused (a modelled 400) and leaves the 50 as they were."""
    made = email_address()
    full = {f"k{n:02d}": "v" for n in range(MAX_TAGS)}
    connect_client.tag_resource(resourceArn=made.arn, tags=full)
    assert tags_of(connect_client, made.arn) == full
    status, code = answer_code(lambda: connect_client.tag_resource(resourceArn=made.arn, tags={"one-more": "v"}))
    assert (status, code in VALIDATION_ERRORS) == (400, True), (status, code)
    assert tags_of(connect_client, made.arn) == full
