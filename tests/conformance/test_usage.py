"""The upgrade gate from what the application sends: ``--connect-usage FILE`` records the operations,
request members, enum values and sizes of a run's Connect calls (never a value), merged across xdist
workers and runs; ``connect-email schemas diff --usage FILE`` fails only on the breaking changes that
touch it."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import botocore
import pytest

from pytest_connect_email import cli, limits
from pytest_connect_email.contracts import apidiff, usage
from tests.conftest import installed_model_data, run_plugin, write_model

#: An application that knows nothing of the plugin: its own boto3 client, no endpoint, no credentials.
APP = """
import boto3


def client():
    return boto3.client("connect", region_name="us-east-1")


def add_address(instance_id, address):
    answer = client().create_email_address(InstanceId=instance_id, EmailAddress=address, DisplayName="Support desk")
    return answer["EmailAddressId"]


def forward(instance_id, to, subject, reference_type="URL", attach=True):
    extra = {}
    if attach:
        extra["Attachments"] = [{"FileName": "invoice-4711.pdf", "S3Url": "https://files.example.com/invoice-4711.pdf"}]
    answer = client().start_email_contact(
        InstanceId=instance_id,
        FromEmailAddress={"EmailAddress": "customer.person@example.org"},
        DestinationEmailAddress=to,
        References={"order": {"Value": "https://shop.example.com/orders/42", "Type": reference_type}},
        EmailMessage={
            "MessageSourceType": "RAW",
            "RawMessage": {"Subject": subject, "Body": "hello", "ContentType": "text/plain"},
        },
        **extra,
    )
    return answer["ContactId"]
"""

#: The values the application sends: none of them may reach the manifest.
SENT_VALUES = (
    "support.desk@example.com",
    "Support desk",
    "customer.person@example.org",
    "invoice-4711.pdf",
    "https://shop.example.com/orders/42",
    "Parcel 42 is late",
    "order",
)

TEST_APP = """
import os

import app


def test_forward(connect_instance_id):
    app.add_address(connect_instance_id, "support.desk@example.com")
    reference_type = os.environ.get("REFERENCE_TYPE", "URL")
    attach = os.environ.get("ATTACH", "1") == "1"
    assert app.forward(connect_instance_id, "support.desk@example.com", "Parcel 42 is late", reference_type, attach)
"""


@pytest.fixture
def project(bare_project: pytest.Pytester) -> pytest.Pytester:
    """The application has no credentials nor endpoint: nothing is signed or sent."""
    bare_project.makepyfile(app=APP)
    return bare_project


run = run_plugin


def read(path: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return document


# -- the manifest --------------------------------------------------------------------------------------


def test_the_manifest_names_what_the_application_sent_and_no_value(project: pytest.Pytester) -> None:
    project.makepyfile(test_app=TEST_APP)
    manifest = project.path / "usage.json"
    result = run(project, f"--connect-usage={manifest}")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([f"connect-email usage: {manifest} (2 operation(s), * member path(s), recorded *"])

    document = read(manifest)
    assert document["format"] == "connect-email-usage"
    assert document["version"] == 1
    assert document["botocore"] == [botocore.__version__]
    operations = document["operations"]
    # the connect_instance_id fixture's CreateInstance and DeleteInstance are the plugin's, not the application's
    assert sorted(operations) == ["CreateEmailAddress", "StartEmailContact"]
    created = operations["CreateEmailAddress"]
    assert created["EmailAddress"] == {"length": [24, 24]}
    assert created["DisplayName"] == {"length": [12, 12]}
    assert "Description" not in created
    assert "Tags" not in created
    started = operations["StartEmailContact"]
    assert started["EmailMessage.MessageSourceType"] == {"enum": ["RAW"]}
    assert started["References{}.Type"] == {"enum": ["URL"]}
    assert started["References"] == {"entries": [1, 1]}
    assert started["References{key}"] == {"length": [5, 5]}
    assert started["Attachments"] == {"items": [1, 1]}
    assert started["Attachments[]"] == {}
    assert started["Attachments[].FileName"] == {"length": [16, 16]}
    assert started["EmailMessage.RawMessage.Subject"] == {"length": [17, 17]}
    assert started["FromEmailAddress.EmailAddress"] == {"length": [27, 27]}
    assert "AdditionalRecipients" not in started
    # botocore fills the idempotency token in: it is sent, so it is listed
    assert started["ClientToken"]["length"][1] >= 1

    text = manifest.read_text(encoding="utf-8")
    for value in SENT_VALUES:
        assert value not in text


def test_the_plugins_own_calls_are_not_the_applications_usage(
    project: pytest.Pytester, from_model: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The fixtures' calls (connect_instance_id's CreateInstance and DeleteInstance, email_address's
    CreateEmailAddress without DisplayName and its DeleteEmailAddress) are left out; the test's own call
    through the connect_client fixture's client is the application's."""
    project.makepyfile(
        test_app="""
        import app


        def test_app_and_fixtures(connect_instance_id, email_address, connect_client):
            email_address()  # the fixture's CreateEmailAddress: no DisplayName
            app.add_address(connect_instance_id, "support.desk@example.com")  # always with DisplayName
            connect_client.list_instances(MaxResults=5)  # the test's own call, through the fixture's client
        """
    )
    manifest = project.path / "usage.json"
    run(project, f"--connect-usage={manifest}").assert_outcomes(passed=1)
    operations = read(manifest)["operations"]
    assert sorted(operations) == ["CreateEmailAddress", "ListInstances"]
    assert operations["CreateEmailAddress"]["DisplayName"] == {"length": [12, 12]}  # never left out
    assert operations["ListInstances"] == {"MaxResults": {"range": [5, 5]}}

    # DisplayName now required: the application always sends it, so the change does not touch its usage
    data = installed_model_data()
    _require("CreateEmailAddressRequest", "DisplayName")(data["shapes"])
    to_model = write_model(project.path / "to", data, version="1.99.0")
    code = cli.main(["schemas", "diff", "--from", str(from_model), "--to", str(to_model), "--usage", str(manifest)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "CreateEmailAddress request: ~ member DisplayName is now required" in out
    assert "Changes that touch your usage" not in out


def test_two_runs_accumulate_and_the_diff_judges_the_whole(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, from_model: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project.makepyfile(test_app=TEST_APP)
    manifest = project.path / "usage.json"
    run(project, f"--connect-usage={manifest}").assert_outcomes(passed=1)
    first = read(manifest)
    assert "omitted" not in first["operations"]["StartEmailContact"]["Attachments"]

    monkeypatch.setenv("REFERENCE_TYPE", "STRING")
    monkeypatch.setenv("ATTACH", "0")
    run(project, f"--connect-usage={manifest}").assert_outcomes(passed=1)
    started = read(manifest)["operations"]["StartEmailContact"]
    assert started["References{}.Type"] == {"enum": ["STRING", "URL"]}  # the union of both runs
    # the first run sent Attachments, the second a StartEmailContact without it: sometimes left out
    assert started["Attachments"] == {"items": [1, 1], "omitted": True}
    assert started["Attachments[].FileName"] == {"length": [16, 16]}  # kept from the first run

    # the recorded paths are schemas diff's: STRING, sent by the second run only, is judged
    data = installed_model_data()
    data["shapes"]["ReferenceType"]["enum"].remove("STRING")
    data["shapes"]["ReferenceType"]["enum"].remove("EMAIL")
    to_model = write_model(project.path / "to", data, version="1.99.0")
    code = cli.main(["schemas", "diff", "--from", str(from_model), "--to", str(to_model), "--usage", str(manifest)])
    out = capsys.readouterr().out
    assert code == 1, out
    assert (
        "  StartEmailContact request: - enum value STRING of References{}.Type (ReferenceType)\n      you send STRING\n"
        in out
    )
    assert "Breaking changes that do not touch your usage" in out
    assert "  StartEmailContact request: - enum value EMAIL of References{}.Type (ReferenceType)\n" in out


def test_a_file_that_is_not_a_manifest_is_a_usage_error_and_stays(project: pytest.Pytester) -> None:
    project.makepyfile(test_app=TEST_APP)
    manifest = project.path / "usage.json"
    manifest.write_text('{"checks": {}}\n', encoding="utf-8")
    result = run(project, f"--connect-usage={manifest}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*--connect-usage {manifest}: not a usage manifest*--connect-usage FILE*"])
    assert manifest.read_text(encoding="utf-8") == '{"checks": {}}\n'


def test_nothing_watches_the_calls_without_the_option(project: pytest.Pytester) -> None:
    project.makepyfile(
        test_cost="""
        from pytest_connect_email.routing import calls


        def test_observers(connect_client):
            connect_client.list_instances()
            assert calls._OBSERVERS == []
        """
    )
    run(project).assert_outcomes(passed=1)
    assert not (project.path / "usage.json").exists()


def test_xdist_workers_hand_their_parts_to_the_controller(project: pytest.Pytester) -> None:
    pytest.importorskip("xdist")
    project.makepyfile(
        test_one=TEST_APP
        + """

def test_worker_one():
    open("worker-" + os.environ["PYTEST_XDIST_WORKER"], "w").close()
""",
        test_two="""
import os

import app


def test_address(connect_instance_id):
    app.add_address(connect_instance_id, "support.desk@example.com")


def test_worker_two(connect_client):
    connect_client.list_instances(MaxResults=7)
    open("worker-" + os.environ["PYTEST_XDIST_WORKER"], "w").close()
""",
    )
    manifest = project.path / "usage.json"
    result = project.runpytest_subprocess(
        *("-p", "connect_email", "-p", "no:cacheprovider", "-p", "no:hypothesispytest", "-p", "no:faker"),
        *("-p", "no:recording", "-n", "2", "--dist", "loadfile", f"--connect-usage={manifest}"),
        timeout=300,
    )
    result.assert_outcomes(passed=4)
    assert sorted(p.name for p in project.path.glob("worker-*")) == ["worker-gw0", "worker-gw1"]  # both worked
    operations = read(manifest)["operations"]
    assert sorted(operations) == ["CreateEmailAddress", "ListInstances", "StartEmailContact"]
    assert operations["ListInstances"]["MaxResults"] == {"range": [7, 7]}
    assert operations["StartEmailContact"]["References{}.Type"] == {"enum": ["URL"]}


# -- merging, in-process --------------------------------------------------------------------------------


def test_merging_is_a_union_and_marks_what_one_side_left_out() -> None:
    one, two = usage.Usage(), usage.Usage()
    one.add("CreateEmailAddress", {"InstanceId": "i-1", "EmailAddress": "a@example.com", "DisplayName": "A"})
    two.add("CreateEmailAddress", {"InstanceId": "instance-2", "EmailAddress": "longer.name@example.com"})
    two.add("ListInstances", {"MaxResults": 3})
    merged = one.merged(two).to_json()["operations"]
    assert merged["CreateEmailAddress"]["InstanceId"] == {"length": [3, 10]}
    assert merged["CreateEmailAddress"]["DisplayName"] == {"length": [1, 1], "omitted": True}
    assert merged["ListInstances"] == {"MaxResults": {"range": [3, 3]}}
    assert one.merged(two).to_json() == two.merged(one).to_json()
    again = usage.Usage.from_json(json.loads(one.merged(two).dumps()), "x")
    assert again.to_json() == one.merged(two).to_json()


def test_a_value_the_model_does_not_list_is_not_stored() -> None:
    manifest = usage.Usage()
    manifest.add(
        "SearchEmailAddresses",
        {"InstanceId": "i", "SearchCriteria": {"StringCondition": {"ComparisonType": "jane@x.com"}}},
    )
    members = manifest.to_json()["operations"]["SearchEmailAddresses"]
    assert members["SearchCriteria.StringCondition.ComparisonType"] == {}
    assert "jane" not in manifest.dumps()


def test_a_shape_inside_itself_is_listed_once_as_schemas_diff_lists_it() -> None:
    manifest = usage.Usage()
    criteria = {"OrConditions": [{"StringCondition": {"FieldName": "name", "Value": "x", "ComparisonType": "EXACT"}}]}
    manifest.add("SearchEmailAddresses", {"InstanceId": "i", "SearchCriteria": criteria})
    members = manifest.to_json()["operations"]["SearchEmailAddresses"]
    assert members["SearchCriteria.StringCondition.ComparisonType"] == {"enum": ["EXACT"]}
    assert not any(path.startswith("SearchCriteria.OrConditions[].") for path in members)


# -- schemas diff --usage --------------------------------------------------------------------------------

#: What one application sends: StartEmailContact with RAW, a URL reference and a 17-character subject.
APP_REQUEST: dict[str, Any] = {
    "InstanceId": "instance-1",
    "FromEmailAddress": {"EmailAddress": "customer@example.org"},
    "DestinationEmailAddress": "support@example.com",
    "References": {"order": {"Value": "https://shop.example.com/orders/42", "Type": "URL"}},
    "EmailMessage": {
        "MessageSourceType": "RAW",
        "RawMessage": {"Subject": "Parcel 42 is late", "Body": "hello", "ContentType": "text/plain"},
    },
}


def _remove(shape: str, member: str) -> Callable[[dict[str, Any]], None]:
    def edit(shapes: dict[str, Any]) -> None:
        del shapes[shape]["members"][member]
        shapes[shape]["required"] = [m for m in shapes[shape].get("required", []) if m != member]

    return edit


def _limit(shape: str, key: str, value: int) -> Callable[[dict[str, Any]], None]:
    def edit(shapes: dict[str, Any]) -> None:
        shapes[shape][key] = value

    return edit


def _drop_enum(shape: str, value: str) -> Callable[[dict[str, Any]], None]:
    def edit(shapes: dict[str, Any]) -> None:
        shapes[shape]["enum"].remove(value)

    return edit


def _require(shape: str, member: str) -> Callable[[dict[str, Any]], None]:
    def edit(shapes: dict[str, Any]) -> None:
        shapes[shape]["required"].append(member)

    return edit


@pytest.fixture(scope="module")
def from_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_model(tmp_path_factory.mktemp("from"), installed_model_data(), version="1.98.0")


@pytest.fixture
def app_usage(tmp_path: Path) -> Path:
    manifest = usage.Usage()
    manifest.add("StartEmailContact", APP_REQUEST)
    manifest.add("DescribeContact", {"InstanceId": "instance-1", "ContactId": "contact-1"})
    path = tmp_path / "usage.json"
    path.write_text(manifest.dumps(), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("edit", "status", "expected"),
    [
        pytest.param(
            _remove("StartEmailContactRequest", "References"),
            1,
            ["StartEmailContact request: - member References (ContactReferences)", "you send References"],
            id="removed-member-sent",
        ),
        pytest.param(
            _remove("StartEmailContactRequest", "Attachments"),
            0,
            ["Breaking changes that do not touch your usage (1):", "StartEmailContact request: - member Attachments"],
            id="removed-member-not-sent",
        ),
        pytest.param(
            _drop_enum("ReferenceType", "URL"),
            1,
            ["StartEmailContact request: - enum value URL of References{}.Type (ReferenceType)", "you send URL"],
            id="removed-enum-value-sent",
        ),
        pytest.param(
            _drop_enum("ReferenceType", "DATE"),
            0,
            ["StartEmailContact request: - enum value DATE of References{}.Type"],
            id="removed-enum-value-not-sent",
        ),
        pytest.param(
            _limit("InboundSubject", "max", 10),
            1,
            [
                "limit maxLength of EmailMessage.RawMessage.Subject (InboundSubject): 998 -> 10 (tightened)",
                "you sent up to 17 characters",
            ],
            id="maxLength-below-the-longest-sent",
        ),
        pytest.param(
            _limit("InboundSubject", "max", 17),
            0,
            ["limit maxLength of EmailMessage.RawMessage.Subject (InboundSubject): 998 -> 17 (tightened)"],
            id="maxLength-still-above-what-is-sent",
        ),
        pytest.param(
            _require("StartEmailContactRequest", "Name"),
            1,
            ["StartEmailContact request: ~ member Name is now required", "without Name"],
            id="now-required-not-sent",
        ),
        pytest.param(
            _require("StartEmailContactRequest", "References"),
            0,
            ["StartEmailContact request: ~ member References is now required"],
            id="now-required-always-sent",
        ),
        pytest.param(
            _remove("CreateEmailAddressRequest", "DisplayName"),
            0,
            ["CreateEmailAddress request: - member DisplayName"],
            id="operation-not-called",
        ),
        pytest.param(
            _remove("Contact", "Name"),
            1,
            [
                "DescribeContact response: - member Contact.Name (Name)",
                "you call DescribeContact (the manifest records what you send, not what you read)",
            ],
            id="answer-member-removed-of-an-operation-called",
        ),
    ],
)
def test_diff_judges_only_what_the_usage_touches(
    tmp_path: Path,
    from_model: Path,
    app_usage: Path,
    capsys: pytest.CaptureFixture[str],
    edit: Callable[[dict[str, Any]], None],
    status: int,
    expected: list[str],
) -> None:
    data = installed_model_data()
    edit(data["shapes"])
    to_model = write_model(tmp_path / "to", data, version="1.99.0")
    code = cli.main(["schemas", "diff", "--from", str(from_model), "--to", str(to_model), "--usage", str(app_usage)])
    out = capsys.readouterr().out
    assert code == status, out
    for line in expected:
        assert line in out
    assert out.splitlines()[0] == (
        f"API changes from botocore 1.98.0 to botocore 1.99.0, judged against {app_usage} "
        f"(2 operation(s), 17 member path(s), recorded with botocore {botocore.__version__})"
    )
    if status == 0:
        assert out.rstrip().endswith(
            ("change, none touches your usage. (run without --usage to list it)",
             "changes, none touches your usage. (run without --usage to list them)")
        )  # fmt: skip
        assert "Changes that touch your usage" not in out
    else:
        assert "Changes that touch your usage (1):" in out
        assert out.rstrip().endswith(("of which touch your usage. (run without --usage to list them)",
                                      "of which touch your usage. (run without --usage to list it)"))  # fmt: skip


def test_without_usage_the_same_diff_fails_on_every_breaking_change(
    tmp_path: Path, from_model: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = installed_model_data()
    _remove("StartEmailContactRequest", "Attachments")(data["shapes"])
    to_model = write_model(tmp_path / "to", data, version="1.99.0")
    assert cli.main(["schemas", "diff", "--from", str(from_model), "--to", str(to_model)]) == 1
    assert "- member Attachments (EmailAttachments)  [could break callers]" in capsys.readouterr().out


def test_a_removed_operation_the_app_calls_touches_it() -> None:
    manifest = usage.Usage()
    manifest.add("StartEmailContact", APP_REQUEST)
    removed = apidiff.Change("StartEmailContact", "operation", "-", "gone", True, kind="operation-removed")
    other = apidiff.Change("SendOutboundEmail", "operation", "-", "gone", True, kind="operation-removed")
    touching, untouched = apidiff.against_usage([removed, other], manifest)
    assert touching == [(removed, "you call StartEmailContact")]
    assert untouched == [other]


# -- a usage file that cannot be judged --------------------------------------------------------------


def _diff_usage(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, float]:
    started = time.perf_counter()
    code = cli.main(["schemas", "diff", "--usage", str(path)])
    return code, capsys.readouterr().err, time.perf_counter() - started


def test_an_over_budget_usage_file_exits_2_fast(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    huge = tmp_path / "usage.json"
    with huge.open("wb") as out:
        out.truncate(limits.MAX_USAGE_BYTES + 1)  # sparse: the size is refused before anything is read
    code, err, seconds = _diff_usage(huge, capsys)
    assert code == 2
    assert f"--usage {huge}: the file is {limits.MAX_USAGE_BYTES + 1} bytes" in err
    assert "(MAX_USAGE_BYTES)" in err
    assert "--connect-usage FILE" in err
    assert seconds < 1.0


def test_a_deeply_nested_usage_file_exits_2_fast(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    deep = tmp_path / "usage.json"
    deep.write_text('{"format": "connect-email-usage", "operations": ' + "[" * 20_000 + "]" * 20_000 + "}")
    code, err, seconds = _diff_usage(deep, capsys)
    assert code == 2
    assert f"--usage {deep}: " in err
    assert "(MAX_DEPTH)" in err
    assert "--connect-usage FILE" in err
    assert "Traceback" not in err
    assert seconds < 1.0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"checks": {}}', 'not a usage manifest (expected a JSON object with "format": "connect-email-usage")'),
        (b"\xff\xfe not text", "not UTF-8 text"),
        (b"{not json", "not valid JSON"),
        (b'{"format": "connect-email-usage", "version": 7}', "manifest version 7, and this release reads version 1"),
        (
            b'{"format": "connect-email-usage", "version": 1, "operations": {"StartEmailContact": {"Name": '
            b'{"value": "Jane"}}}}',
            "operations.StartEmailContact.Name: unknown fact(s) value",
        ),
        (
            b'{"format": "connect-email-usage", "version": 1, "operations": {"StartEmailContact": {"Name": '
            b'{"length": [9, 2]}}}}',
            "operations.StartEmailContact.Name.length must be [lowest, highest]",
        ),
    ],
)
def test_a_usage_file_that_is_not_a_manifest_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes, message: str
) -> None:
    path = tmp_path / "usage.json"
    path.write_bytes(content)
    code, err, _ = _diff_usage(path, capsys)
    assert code == 2
    assert f"--usage {path}: {message}" in err


def test_a_conformance_report_given_as_usage_is_named_as_such(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "report.json"
    path.write_text(
        json.dumps({"tool": "pytest-connect-email 0.1.0", "gate": {"passed": True}, "summary": {}, "checks": []}),
        encoding="utf-8",
    )
    code, err, _ = _diff_usage(path, capsys)
    assert code == 2
    assert f"--usage {path}: a conformance report (what --connect-report or `connect-email report merge` writes)" in err
    assert "--connect-usage FILE" in err
    assert "delete" not in err


def test_no_usage_error_advises_deleting_a_file() -> None:
    assert "delete" not in usage._FIX.lower()


def test_a_missing_usage_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err, _ = _diff_usage(tmp_path / "nope.json", capsys)
    assert code == 2
    assert f"--usage {tmp_path / 'nope.json'}: cannot read it (No such file or directory)" in err


def test_a_usage_path_that_is_not_a_regular_file_is_never_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pipe = tmp_path / "usage.json"
    os.mkfifo(pipe)  # reading it would block until a writer came
    code, err, seconds = _diff_usage(pipe, capsys)
    assert code == 2
    assert f"--usage {pipe}: not a regular file" in err
    assert seconds < 1.0


def _manifest(operations: dict[str, Any]) -> dict[str, Any]:
    return {"format": "connect-email-usage", "version": 1, "operations": operations}


@pytest.mark.parametrize(
    ("operations", "message"),
    [
        (
            {"StartEmailContact": {"\ud800\n# x": {}}},
            "operations.StartEmailContact: '\\ud800\\n# x' is not a member path",
        ),
        ({"StartEmailContact": {"Attachments..FileName": {}}}, "is not a member path"),
        ({"StartEmailContact": {"References{value}": {}}}, "is not a member path"),
        ({"Start-Email\n": {}}, "operations: 'Start-Email\\n' is not an operation name"),
        ({"StartEmailContact": {"Count": {"range": [-1e308, float("inf")]}}}, "Count.range must be [lowest, highest]"),
        ({"StartEmailContact": {"Count": {"range": [float("nan"), 1]}}}, "Count.range must be [lowest, highest]"),
    ],
)
def test_a_manifest_with_a_path_or_number_that_is_not_one_is_refused(operations: dict[str, Any], message: str) -> None:
    with pytest.raises(usage.ManifestError) as caught:
        usage.Usage.from_json(_manifest(operations), "u.json")
    assert str(caught.value).startswith("u.json: ")
    assert message in str(caught.value)
    str(caught.value).encode("ascii")  # printable anywhere: no lone surrogate or raw newline from the input
    assert "\n" not in str(caught.value)


def test_the_paths_the_plugin_writes_are_read_back() -> None:
    paths = ["InstanceId", "References{key}", "References{}.Type", "Attachments[].FileName", "A_b.C[]{}.D{key}"]
    read = usage.Usage.from_json(_manifest({"StartEmailContact": {p: {} for p in paths}}), "u.json")
    assert set(read.operations["StartEmailContact"]) == set(paths)
