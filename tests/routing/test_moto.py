"""Under moto's ``mock_aws``, Connect has one state: a moto-style suite, run with ``-p connect_email``.

moto answers what it implements (instances, analytics data sets, tags), through the contract checks; the
emulator answers the email operations on the instances moto made, as long as moto holds them; every
other service keeps working under moto. (moto's own ``tests/test_connect/test_connect.py``, unchanged,
passes 30 of 30 under ``-p connect_email``; it is not copied here.)
"""

from __future__ import annotations

import os

import pytest

pytest.importorskip("moto")

SUITE = """
import boto3
import pytest
from moto import mock_aws
from moto.connect.models import connect_backends

import pytest_connect_email


def connect(region="us-east-1"):
    return boto3.client("connect", region_name=region)


def new_instance(client, alias="moto-made", **extra):
    return client.create_instance(
        IdentityManagementType="CONNECT_MANAGED",
        InboundCallsEnabled=True,
        OutboundCallsEnabled=True,
        InstanceAlias=alias,
        **extra,
    )


@mock_aws
def test_instances_are_motos():
    client = connect()
    assert client.list_instances()["InstanceSummaryList"] == []
    made = new_instance(client)
    assert made["Id"] in connect_backends["123456789012"]["us-east-1"].instances
    described = client.describe_instance(InstanceId=made["Id"])["Instance"]
    assert (described["Arn"], described["InstanceAlias"]) == (made["Arn"], "moto-made")
    assert "InstanceAccessUrl" in described
    assert [i["Id"] for i in client.list_instances()["InstanceSummaryList"]] == [made["Id"]]
    client.delete_instance(InstanceId=made["Id"])
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.describe_instance(InstanceId=made["Id"])


@mock_aws
def test_analytics_data_sets_and_tags():
    client = connect()
    made = new_instance(client, Tags={"team": "mail"})
    client.associate_analytics_data_set(InstanceId=made["Id"], DataSetId="dataset-001")
    listed = client.list_analytics_data_associations(InstanceId=made["Id"])["Results"]
    assert [r["DataSetId"] for r in listed] == ["dataset-001"]
    client.disassociate_analytics_data_set(InstanceId=made["Id"], DataSetId="dataset-001")
    assert client.list_analytics_data_associations(InstanceId=made["Id"])["Results"] == []
    client.tag_resource(resourceArn=made["Arn"], tags={"env": "test"})
    client.untag_resource(resourceArn=made["Arn"], tagKeys=["team"])
    assert client.list_tags_for_resource(resourceArn=made["Arn"])["tags"] == {"env": "test"}


@mock_aws
def test_email_address_on_a_moto_made_instance():
    client = connect("eu-west-2")
    made = new_instance(client)
    assert ":eu-west-2:" in made["Arn"]
    created = client.create_email_address(InstanceId=made["Id"], EmailAddress="support@example.com")
    assert created["EmailAddressArn"] == made["Arn"] + "/email-address/" + created["EmailAddressId"]
    shown = client.describe_email_address(InstanceId=made["Id"], EmailAddressId=created["EmailAddressId"])
    assert shown["EmailAddress"] == "support@example.com"
    client.delete_instance(InstanceId=made["Id"])  # moto's: the instance's addresses go with it
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.describe_email_address(InstanceId=made["Id"], EmailAddressId=created["EmailAddressId"])


@mock_aws
def test_tags_live_with_their_resource():
    client = connect()
    made = new_instance(client, Tags={"team": "mail"})
    address = client.create_email_address(InstanceId=made["Id"], EmailAddress="support@example.com", Tags={"a": "1"})
    arn = address["EmailAddressArn"]
    client.tag_resource(resourceArn=arn, tags={"b": "2"})  # the emulator's: it holds the address
    client.untag_resource(resourceArn=arn, tagKeys=["a"])
    assert client.list_tags_for_resource(resourceArn=arn)["tags"] == {"b": "2"}
    shown = client.describe_email_address(InstanceId=made["Id"], EmailAddressId=address["EmailAddressId"])
    assert shown["Tags"] == {"b": "2"}
    client.tag_resource(resourceArn=made["Arn"], tags={"env": "test"})  # moto's: it holds the instance
    assert client.list_tags_for_resource(resourceArn=made["Arn"])["tags"] == {"team": "mail", "env": "test"}
    untagged = new_instance(client, alias="untagged")
    assert client.list_tags_for_resource(resourceArn=untagged["Arn"])["tags"] == {}  # moto's {} keeps its contract
    assert connect_backends["123456789012"]["us-east-1"].list_tags_for_resource(made["Arn"]) == {
        "team": "mail",
        "env": "test",
    }


@mock_aws
def test_moto_answers_are_still_held_to_the_contracts():
    client = connect()
    with pytest_connect_email.expect_violation():
        with pytest.raises(Exception):
            new_instance(client, alias="x" * 70)   # refused before it reaches moto
    assert client.list_instances()["InstanceSummaryList"] == []


@mock_aws
def test_s3_keeps_working():
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="attachments")
    s3.put_object(Bucket="attachments", Key="a.txt", Body=b"hello")
    assert s3.get_object(Bucket="attachments", Key="a.txt")["Body"].read() == b"hello"


def test_motos_instances_live_as_long_as_the_block():
    client = connect()
    with mock_aws():
        made = new_instance(client)
        client.create_email_address(InstanceId=made["Id"], EmailAddress="support@example.com")
    with pytest.raises(client.exceptions.ResourceNotFoundException):  # the emulator answers, and never saw it
        client.create_email_address(InstanceId=made["Id"], EmailAddress="help@example.com")
"""


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    for name in [k for k in os.environ if k.startswith("AWS_") or k.startswith("MOTO_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(pytester.path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(pytester.path / "no-aws-credentials"))
    pytester.makepyfile(test_suite=SUITE)
    return pytester


def test_a_moto_style_suite_sees_one_connect_state(project: pytest.Pytester) -> None:
    result = project.runpytest("-p", "connect_email", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=7)
