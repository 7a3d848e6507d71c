from __future__ import annotations

import pytest

from pytest_connect_email.contracts import spec


def test_every_covered_operation_is_in_the_installed_model() -> None:
    names = set(spec.service_model().operation_names)
    assert set(spec.OPERATIONS) <= names
    assert len(set(spec.OPERATIONS)) == len(spec.OPERATIONS) == 49


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("StartEmailContact", "StartEmailContact"),
        ("start_email_contact", "StartEmailContact"),
        ("disassociate_email_address_alias", "DisassociateEmailAddressAlias"),
    ],
)
def test_resolve_operation(given: str, expected: str) -> None:
    assert spec.resolve_operation(given) == expected


@pytest.mark.parametrize("bad", ["DescribeUser", "", None, 3])
def test_unknown_operations(bad: object) -> None:
    with pytest.raises(spec.UnknownOperationError, match="Known operations"):
        spec.resolve_operation(bad)


def test_snake_names_match_boto3() -> None:
    import boto3

    client = boto3.client("connect", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    for op in spec.OPERATIONS:
        assert hasattr(client, spec.snake_name(op)), op
