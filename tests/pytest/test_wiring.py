"""An application that puts an email address to work end to end — tags, hours, a queue with an outbound
address, a flow bound to the address, a contact updated, given an attachment, related, transferred and stopped —
runs under ``-p connect_email`` (in-process) and against ``connect-email emulator serve`` (over HTTP, the plugin
not loaded), every step reading back."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

from tests.loopback import stop_serving

#: The application: its own clients, made inside its functions, knowing nothing of the plugin.
APP = """
import json
import urllib.request

import boto3

END = {"Identifier": "end", "Type": "DisconnectParticipant", "Parameters": {}, "Transitions": {}}
FLOW = json.dumps({"Version": "2019-10-30", "StartAction": "end", "Actions": [END]})
WEEK = [{"Day": d, "StartTime": {"Hours": 8, "Minutes": 0}, "EndTime": {"Hours": 18, "Minutes": 0}}
        for d in ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY")]
MESSAGE = {"MessageSourceType": "RAW", "RawMessage": {"Subject": "Lieferung", "Body": "Wo bleibt sie?",
                                                     "ContentType": "text/plain"}}


def connect():
    return boto3.client("connect", region_name="us-east-1")


def put_to_work(domain="example.com"):
    c = connect()
    iid = c.create_instance(IdentityManagementType="CONNECT_MANAGED", InboundCallsEnabled=True,
                            OutboundCallsEnabled=True)["Id"]
    address = c.create_email_address(InstanceId=iid, EmailAddress=f"support@{domain}", Tags={"team": "care"})
    c.tag_resource(resourceArn=address["EmailAddressArn"], tags={"tier": "gold"})
    hours = c.create_hours_of_operation(InstanceId=iid, Name="Office", TimeZone="Europe/Berlin", Config=WEEK)
    queue = c.create_queue(InstanceId=iid, Name="Support", HoursOfOperationId=hours["HoursOfOperationId"],
                           OutboundEmailConfig={"OutboundEmailAddressId": address["EmailAddressId"]})
    flow = c.create_contact_flow(InstanceId=iid, Name="Inbound email", Type="CONTACT_FLOW", Content=FLOW)
    c.associate_flow(InstanceId=iid, ResourceId=address["EmailAddressArn"], FlowId=flow["ContactFlowArn"],
                     ResourceType="INBOUND_EMAIL")
    return {"instance": iid, "address": address, "queue": queue["QueueId"], "flow": flow}


def receive(wiring, subject="Lieferung", related=None):
    extra = {"RelatedContactId": related} if related else {}
    return connect().start_email_contact(
        InstanceId=wiring["instance"], FromEmailAddress={"EmailAddress": "kunde@example.net"},
        DestinationEmailAddress="support@example.com",
        EmailMessage=MESSAGE, ContactFlowId=wiring["flow"]["ContactFlowId"], **extra)["ContactId"]


def attach(wiring, contact_id, data):
    c = connect()
    arn = c.describe_contact(InstanceId=wiring["instance"], ContactId=contact_id)["Contact"]["Arn"]
    files = {"InstanceId": wiring["instance"], "AssociatedResourceArn": arn}
    started = c.start_attached_file_upload(**files, FileName="lieferschein.txt", FileSizeInBytes=len(data),
                                           FileUseCaseType="ATTACHMENT")
    url = started["UploadUrlMetadata"]["Url"]
    if url.startswith("http://127.0.0.1"):  # a served emulator takes the bytes
        urllib.request.urlopen(urllib.request.Request(url, data=data, method="PUT"), timeout=10).close()
    c.complete_attached_file_upload(**files, FileId=started["FileId"])
    return c.get_attached_file(**files, FileId=started["FileId"])
"""

TESTS = """
import pytest
from botocore.exceptions import ClientError

import app


def code(call):
    with pytest.raises(ClientError) as info:
        call()
    return info.value.response["Error"]["Code"]


def test_an_address_put_to_work_reads_back():
    w = app.put_to_work()
    c = app.connect()
    iid, arn = w["instance"], w["address"]["EmailAddressArn"]
    assert c.list_tags_for_resource(resourceArn=arn)["tags"] == {"team": "care", "tier": "gold"}
    queue = c.describe_queue(InstanceId=iid, QueueId=w["queue"])["Queue"]
    assert queue["OutboundEmailConfig"] == {"OutboundEmailAddressId": w["address"]["EmailAddressId"]}
    listed = c.list_queue_email_addresses(InstanceId=iid, QueueId=w["queue"])["EmailAddressMetadataList"]
    assert [(a["Id"], a["IsDefaultOutboundEmail"]) for a in listed] == [(w["address"]["EmailAddressId"], True)]
    bound = c.get_flow_association(InstanceId=iid, ResourceId=arn, ResourceType="INBOUND_EMAIL")
    assert bound["FlowId"] == w["flow"]["ContactFlowArn"]


def test_a_contact_through_its_life():
    w = app.put_to_work()
    c = app.connect()
    iid = w["instance"]
    first = app.receive(w)
    c.update_contact(InstanceId=iid, ContactId=first, Name="Bestellung 4711",
                     AdditionalRecipients={"CcEmailAddresses": [{"EmailAddress": "lager@example.org"}]})
    shown = c.describe_contact(InstanceId=iid, ContactId=first)["Contact"]
    assert (shown["Name"], shown["AdditionalEmailRecipients"]["CcList"][0]["Address"]) == (
        "Bestellung 4711", "lager@example.org")
    attached = app.attach(w, first, b"3 Pakete")
    assert (attached["FileStatus"], attached["FileSizeInBytes"]) == ("APPROVED", 8)
    reply = app.receive(w, related=first)
    transfer = c.create_contact_flow(InstanceId=iid, Name="To queue", Type="QUEUE_TRANSFER", Content=app.FLOW)
    moved = c.transfer_contact(InstanceId=iid, ContactId=reply, QueueId=w["queue"],
                               ContactFlowId=transfer["ContactFlowId"])["ContactId"]
    thread = c.list_associated_contacts(InstanceId=iid, ContactId=first)["ContactSummaryList"]
    assert [t["ContactId"] for t in thread] == [first, reply, moved]
    refs = c.list_contact_references(InstanceId=iid, ContactId=first, ReferenceTypes=["EMAIL_MESSAGE"])
    assert len(refs["ReferenceSummaryList"]) == 1
    c.stop_contact(InstanceId=iid, ContactId=moved)
    assert "DisconnectTimestamp" in c.describe_contact(InstanceId=iid, ContactId=moved)["Contact"]
    assert code(lambda: c.stop_contact(InstanceId=iid, ContactId=moved)) == "ContactNotFoundException"


def test_what_the_application_names_must_exist():
    w = app.put_to_work()
    c = app.connect()
    iid = w["instance"]
    missing = "00000000-0000-4000-8000-00000000dead"
    assert code(lambda: c.describe_queue(InstanceId=iid, QueueId=missing)) == "ResourceNotFoundException"
    assert code(lambda: c.list_queue_email_addresses(InstanceId=iid, QueueId=missing)) == "ResourceNotFoundException"
    assert code(lambda: app.receive({**w, "flow": {"ContactFlowId": missing}})) == "ResourceNotFoundException"
"""


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    for name in [k for k in os.environ if k.startswith("AWS_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    pytester.makepyfile(app=APP, test_wiring=TESTS)
    return pytester


def test_the_application_runs_under_the_plugin(project: pytest.Pytester) -> None:
    result = project.runpytest("-p", "connect_email", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=3)


@pytest.fixture
def served() -> Iterator[str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "pytest_connect_email.cli", "emulator", "serve", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        yield process.stdout.readline().strip()
    finally:
        stop_serving(process)


def test_the_application_runs_against_the_served_emulator(
    project: pytest.Pytester, served: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert served.startswith("http://127.0.0.1:")
    monkeypatch.setenv("AWS_ENDPOINT_URL_CONNECT", served)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    result = project.runpytest_subprocess("-p", "no:connect_email", "-p", "no:cacheprovider", timeout=120)
    result.assert_outcomes(passed=3)
