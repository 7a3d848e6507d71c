"""Conformance checks of the files attached to email contacts: StartAttachedFileUpload,
CompleteAttachedFileUpload, GetAttachedFile, BatchGetAttachedFileMetadata and DeleteAttachedFile, and the
EMAIL_MESSAGE file behind an email contact's message reference.

Each check starts its own contact and attaches files to it by the contact's ARN. The bytes themselves go to
the pre-signed URL outside the API; the checks read the metadata the API answers.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from pytest_connect_email.conformance import check
from pytest_connect_email.conformance.support import Address, answer_code, start
from pytest_connect_email.contracts import spec

MISSING_ID = "00000000-0000-4000-8000-00000000a7f4"
NOT_FOUND = (404, "ResourceNotFoundException")


def contact_arn(client: Any, instance_id: str, destination: Address) -> str:
    made = start(client, instance_id, destination.address)
    return str(client.describe_contact(InstanceId=instance_id, ContactId=made)["Contact"]["Arn"])


def upload(client: Any, instance_id: str, arn: str, name: str = "rechnung.pdf", size: int = 2048) -> dict[str, Any]:
    return dict(
        client.start_attached_file_upload(
            InstanceId=instance_id,
            FileName=name,
            FileSizeInBytes=size,
            FileUseCaseType="ATTACHMENT",
            AssociatedResourceArn=arn,
        )
    )


def metadata(client: Any, instance_id: str, arn: str, file_id: str) -> dict[str, Any]:
    answer = client.get_attached_file(InstanceId=instance_id, FileId=file_id, AssociatedResourceArn=arn)
    return {k: v for k, v in answer.items() if k != "ResponseMetadata"}


@check(
    "FILE-001",
    "StartAttachedFileUpload",
    "Provides a pre-signed Amazon S3 URL in response for uploading your content. GetAttachedFile: This API also "
    "returns metadata about the attached file. AWS API convention: what is created reads back.",
)
def test_an_upload_starts_and_reads_back(
    connect_client: Any, connect_instance_id: str, email_address: Callable[..., Address]
) -> None:
    """A started upload answers its file id, ARN and an upload URL; GetAttachedFile reads back its name, size, use
    case and contact, with no download URL before the upload is complete."""
    arn = contact_arn(connect_client, connect_instance_id, email_address())
    started = upload(connect_client, connect_instance_id, arn, "Lieferschein März.pdf", 4096)
    assert started["FileArn"].endswith(started["FileId"])
    assert started["UploadUrlMetadata"]["Url"].startswith(("http://", "https://"))
    shown = metadata(connect_client, connect_instance_id, arn, started["FileId"])
    assert (shown["FileId"], shown["FileArn"]) == (started["FileId"], started["FileArn"])
    assert (shown["FileName"], shown["FileSizeInBytes"]) == ("Lieferschein März.pdf", 4096)
    assert (shown.get("FileUseCaseType"), shown.get("AssociatedResourceArn")) == ("ATTACHMENT", arn)
    assert shown["FileStatus"] != "APPROVED"
    assert "DownloadUrlMetadata" not in shown


@check(
    "FILE-002",
    "CompleteAttachedFileUpload",
    "Allows you to confirm that the attached file has been uploaded using the pre-signed URL provided in the "
    "StartAttachedFileUpload API. GetAttachedFile: It will only return a downloadURL if the status of the attached "
    "file is APPROVED.",
)
def test_a_completed_upload_can_be_downloaded(
    connect_client: Any, connect_instance_id: str, email_address: Callable[..., Address]
) -> None:
    """Once completed the file is APPROVED and GetAttachedFile answers a download URL."""
    arn = contact_arn(connect_client, connect_instance_id, email_address())
    started = upload(connect_client, connect_instance_id, arn)
    connect_client.complete_attached_file_upload(
        InstanceId=connect_instance_id, FileId=started["FileId"], AssociatedResourceArn=arn
    )
    shown = metadata(connect_client, connect_instance_id, arn, started["FileId"])
    assert shown["FileStatus"] == "APPROVED"
    assert shown["DownloadUrlMetadata"]["Url"].startswith(("http://", "https://"))


@check(
    "FILE-003",
    "GetAttachedFile",
    "AssociatedResourceArn: The resource to which the attached file is (being) uploaded to. AWS API convention: "
    "what is unknown is ResourceNotFoundException (404); a file is not found under another resource.",
)
def test_a_file_is_found_only_under_its_contact(
    connect_client: Any, connect_instance_id: str, email_address: Callable[..., Address]
) -> None:
    """A file id never made, and a file asked for under another contact, are 404."""
    destination = email_address()
    mine = contact_arn(connect_client, connect_instance_id, destination)
    other = contact_arn(connect_client, connect_instance_id, destination)
    started = upload(connect_client, connect_instance_id, mine)
    for arn, file_id in ((mine, MISSING_ID), (other, started["FileId"])):
        get = functools.partial(metadata, connect_client, connect_instance_id, arn, file_id)
        assert answer_code(get) == NOT_FOUND


@check(
    "FILE-004",
    "BatchGetAttachedFileMetadata",
    "Allows you to retrieve metadata about multiple attached files on an associated resource. Each attached file "
    "provided in the input list must be associated with the input AssociatedResourceArn.",
)
def test_a_batch_answers_files_and_errors(
    connect_client: Any, connect_instance_id: str, email_address: Callable[..., Address]
) -> None:
    """The contact's files are answered with their metadata; an unknown id is answered as an error naming it."""
    arn = contact_arn(connect_client, connect_instance_id, email_address())
    first = upload(connect_client, connect_instance_id, arn, "a.txt", 10)
    second = upload(connect_client, connect_instance_id, arn, "b.txt", 20)
    answer = connect_client.batch_get_attached_file_metadata(
        InstanceId=connect_instance_id,
        FileIds=[first["FileId"], second["FileId"], MISSING_ID],
        AssociatedResourceArn=arn,
    )
    files = {f["FileId"]: (f["FileName"], f["FileSizeInBytes"]) for f in answer.get("Files", [])}
    assert files == {first["FileId"]: ("a.txt", 10), second["FileId"]: ("b.txt", 20)}
    assert [e.get("FileId") for e in answer.get("Errors", [])] == [MISSING_ID]


@check(
    "FILE-005",
    "DeleteAttachedFile",
    "Deletes an attached file along with the underlying S3 Object. AWS API convention: what is deleted is gone "
    "from every read; deleting it again is ResourceNotFoundException (404).",
)
def test_a_deleted_file_is_gone(
    connect_client: Any, connect_instance_id: str, email_address: Callable[..., Address]
) -> None:
    """After DeleteAttachedFile, GetAttachedFile is 404, the batch answers it as an error, a second delete is 404."""
    arn = contact_arn(connect_client, connect_instance_id, email_address())
    started = upload(connect_client, connect_instance_id, arn)
    delete = functools.partial(
        connect_client.delete_attached_file,
        InstanceId=connect_instance_id,
        FileId=started["FileId"],
        AssociatedResourceArn=arn,
    )
    delete()
    assert answer_code(functools.partial(metadata, connect_client, connect_instance_id, arn, started["FileId"])) == (
        NOT_FOUND
    )
    answer = connect_client.batch_get_attached_file_metadata(
        InstanceId=connect_instance_id, FileIds=[started["FileId"]], AssociatedResourceArn=arn
    )
    assert answer.get("Files", []) == []
    assert [e.get("FileId") for e in answer.get("Errors", [])] == [started["FileId"]]
    assert answer_code(delete) == NOT_FOUND


@check(
    "FILE-006",
    "StartAttachedFileUpload",
    "FileUseCaseType: The use case for the file. Only ATTACHMENTS are supported. AssociatedResourceArn: This value "
    "must be a valid ARN.",
)
def test_only_attachments_of_a_real_contact_are_uploaded(
    connect_client: Any, connect_instance_id: str, email_address: Callable[..., Address]
) -> None:
    """Another use case, and an ARN that names no contact, are refused with a modelled 4xx."""
    arn = contact_arn(connect_client, connect_instance_id, email_address())
    missing = f"{arn.rsplit('/', 1)[0]}/{MISSING_ID}"
    base = {"InstanceId": connect_instance_id, "FileName": "x.txt", "FileSizeInBytes": 1}
    use_cases = spec.operation_model("StartAttachedFileUpload").input_shape.members["FileUseCaseType"].enum
    other = next(case for case in use_cases if case != "ATTACHMENT")  # VOICE_RECORDING, or an older model's
    for extra in (
        {"FileUseCaseType": other, "AssociatedResourceArn": arn},
        {"FileUseCaseType": "ATTACHMENT", "AssociatedResourceArn": missing},
    ):
        status, code = answer_code(functools.partial(connect_client.start_attached_file_upload, **base, **extra))
        assert (status, code) == (400, "InvalidRequestException"), extra


@check(
    "FILE-007",
    "GetAttachedFile",
    "ListContactReferences: References are links to documents that are related to a contact, such as emails, "
    "attachments, or URLs. FileUseCaseType: EMAIL_MESSAGE. AWS API convention: what a reference names can be read.",
)
def test_an_email_contacts_message_is_a_file(
    connect_client: Any, connect_instance_id: str, email_address: Callable[..., Address]
) -> None:
    """The EMAIL_MESSAGE reference of an inbound email contact names a file GetAttachedFile describes as an
    APPROVED EMAIL_MESSAGE file of that contact."""
    destination = email_address()
    made = start(connect_client, connect_instance_id, destination.address)
    arn = connect_client.describe_contact(InstanceId=connect_instance_id, ContactId=made)["Contact"]["Arn"]
    found = connect_client.list_contact_references(
        InstanceId=connect_instance_id, ContactId=made, ReferenceTypes=["EMAIL_MESSAGE"]
    )["ReferenceSummaryList"]
    file_arn = found[0]["EmailMessage"]["Arn"]
    shown = metadata(connect_client, connect_instance_id, arn, file_arn.rsplit("/", 1)[1])
    assert (shown["FileArn"], shown.get("FileUseCaseType"), shown["FileStatus"]) == (
        file_arn,
        "EMAIL_MESSAGE",
        "APPROVED",
    )
    assert shown.get("AssociatedResourceArn") == arn
