"""pytest_connect_email.fakes: valid fakes meet the contracts and botocore; invalid ones break exactly one rule."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.validate import ParamValidator
from faker import Faker

from pytest_connect_email import fakes
from pytest_connect_email.contracts import rules, spec, validator
from pytest_connect_email.fakes import OMIT, ConnectEmailProvider
from tests.conftest import strings

OPERATIONS = spec.model().operations  # the covered operations the installed model has
#: The operations whose every constraint and doc rule must be reached by an invalid case.
MAIN = ("StartEmailContact", "DisassociateEmailAddressAlias")
WITH_DOC_RULES = tuple(op for op in OPERATIONS if rules.rules_for(op))
FILLS = ("all", "required", None)
SEEDS = (0, 1, 2)
EXAMPLE_DOMAIN = re.compile(r"(?:[a-z0-9-]+\.)*example\.(?:com|org|net)")
SCHEMA_KEYWORDS = {
    "required",
    "type",
    "maxLength",
    "minLength",
    "pattern",
    "enum",
    "minItems",
    "maxItems",
    "minProperties",
    "maxProperties",
    "minimum",
    "maximum",
    "additionalProperties",
    "format",
}


@pytest.fixture
def fake() -> Faker:
    faker = Faker()
    faker.add_provider(ConnectEmailProvider)
    faker.seed_instance(4711)
    return faker


def botocore_report(operation: str, params: Any, direction: str = "request") -> str:
    """botocore's own verdict on parameters (or a parsed response): '' when it accepts them."""
    model = spec.operation_model(operation)
    shape = model.input_shape if direction == "request" else model.output_shape
    if shape is None:
        return "" if params == {} else "no shape, yet members"
    report = ParamValidator().validate(params, shape)
    return str(report.generate_report()) if report.has_errors() else ""


def request_of(faker: Faker, operation: str, fill: str | None = None, **overrides: Any) -> dict[str, Any]:
    made: dict[str, Any] = getattr(faker, f"{spec.snake_name(operation)}_request")(fill=fill, **overrides)
    return made


def parts(pointer: str) -> list[str]:
    return [p.replace("~1", "/").replace("~0", "~") for p in pointer.split("/")[1:]]


def at(doc: Any, pointer: str) -> Any:
    for part in parts(pointer):
        doc = doc[int(part)] if isinstance(doc, list) else doc[part]
    return doc


def structures(view: fakes.SchemaView, node: dict[str, Any], value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """(pointer, schema node, value) of every structure in a document, walking schema and value together."""
    target, _ = view.deref(node)
    if target.get("type") == "object" and isinstance(target.get("properties"), dict) and isinstance(value, dict):
        yield path, (target, value)
        for member, sub in value.items():
            if member in target["properties"]:
                yield from structures(view, target["properties"][member], sub, f"{path}/{member}")
    elif target.get("type") == "object" and isinstance(value, dict):
        for key, sub in value.items():
            yield from structures(view, target["additionalProperties"], sub, f"{path}/{key}")
    elif target.get("type") == "array" and isinstance(value, list):
        for index, item in enumerate(value):
            yield from structures(view, target["items"], item, f"{path}/{index}")


def rule_set(operation: str, request: dict[str, Any]) -> list[tuple[str, str]]:
    return [(v.rule, v.pointer) for v in validator.request_violations(operation, request)]


# -- The provider ----------------------------------------------------------------------------------


def test_provider_adds_request_and_response_method_per_operation(fake: Faker) -> None:
    for operation in OPERATIONS:
        for suffix in ("request", "response"):
            method = getattr(ConnectEmailProvider, f"{spec.snake_name(operation)}_{suffix}")
            assert method.__name__ == f"{spec.snake_name(operation)}_{suffix}"
            assert callable(getattr(fake, f"{spec.snake_name(operation)}_{suffix}"))
    assert callable(fake.error_response)


@pytest.mark.parametrize("fill", FILLS)
@pytest.mark.parametrize("operation", OPERATIONS)
def test_requests_meet_the_contract_and_botocore(fake: Faker, operation: str, fill: str | None) -> None:
    for seed in SEEDS:
        fake.seed_instance(seed)
        request = request_of(fake, operation, fill)
        validator.validate_request(operation, request)
        assert botocore_report(operation, request) == ""


@pytest.mark.parametrize("operation", OPERATIONS)
def test_fill_all_sets_every_member_and_fill_required_only_required_ones(fake: Faker, operation: str) -> None:
    view = fakes.schema_view(operation)
    full = request_of(fake, operation, "all")
    for pointer, (node, value) in structures(view, view.root, full):
        if pointer.startswith(f"/SegmentAttributes/{rules.CONTACT_EXPIRY_KEY}"):
            continue  # START-SEG-002 prescribes exactly {"ValueMap": {"ExpiryDuration": {"ValueInteger": N}}}
        if node.get("x-union"):
            assert len(value) == 1, pointer
        else:
            assert set(value) == set(node["properties"]), pointer
    minimal = request_of(fake, operation, "required")
    for pointer, (node, value) in structures(view, view.root, minimal):
        doc_required = {"RawMessage"} if pointer == "/EmailMessage" and operation == "StartEmailContact" else set()
        assert set(value) == set(node.get("required", ())) | doc_required, pointer


def test_fill_required_keeps_the_raw_message_that_start_msg_002_requires(fake: Faker) -> None:
    request = fake.start_email_contact_request(fill="required")
    assert "RawMessage" not in validator.load_schema("StartEmailContact")["$defs"]["InboundEmailContent"]["required"]
    assert set(request["EmailMessage"]["RawMessage"]) == {"Subject", "Body", "ContentType"}


def test_default_fill_is_a_deterministic_mix(fake: Faker) -> None:
    shapes = set()
    for seed in range(12):
        fake.seed_instance(seed)
        shapes.add(frozenset(fake.start_email_contact_request()))
    required = set(validator.load_schema("StartEmailContact")["required"])
    everything = set(validator.load_schema("StartEmailContact")["properties"])
    assert len(shapes) > 3
    assert all(required <= s for s in shapes)
    assert any(s not in (required, everything) for s in shapes)


def test_overrides_deep_merge(fake: Faker) -> None:
    headers = {"MESSAGE_ID": "<1@example.com>"}
    request = fake.start_email_contact_request(
        fill="all",
        FromEmailAddress={"DisplayName": "Zoë Ångström"},
        Attachments=[],
        Description=OMIT,
        EmailMessage={"RawMessage": {"Headers": headers, "Subject": OMIT}},
    )
    headers["MESSAGE_ID"] = "changed afterwards"
    assert request["FromEmailAddress"]["DisplayName"] == "Zoë Ångström"
    assert request["FromEmailAddress"]["EmailAddress"]  # merged, not replaced
    assert request["Attachments"] == []  # lists are replaced
    assert "Description" not in request
    raw = request["EmailMessage"]["RawMessage"]
    assert raw["Headers"]["MESSAGE_ID"] == "<1@example.com>"  # merged into, and copied
    assert len(raw["Headers"]) > 1
    assert "Subject" not in raw
    assert {"Body", "ContentType"} <= set(raw)


def test_arguments_are_checked(fake: Faker) -> None:
    with pytest.raises(spec.UnknownOperationError, match="StartEmailContact"):
        fake.connect_request("StartEmailContacts")
    with pytest.raises(ValueError, match="fill must be 'all', 'required' or None"):
        fake.start_email_contact_request(fill="everything")
    with pytest.raises(ValueError, match="no modelled error 'NoSuchThing'"):
        fake.error_response("StartEmailContact", "NoSuchThing")
    with pytest.raises(TypeError, match="seed must be an int"):
        fakes.invalid_cases("StartEmailContact", seed="1")  # type: ignore[arg-type]
    with pytest.raises(spec.UnknownOperationError):
        fakes.invalid_requests("start_email")
    with pytest.raises(ValueError, match="has no constraint 'maxLength /Nope'"):
        fakes.cases_for("StartEmailContact", "maxLength /Nope")
    with pytest.raises(TypeError, match="request must be a mapping"):
        fakes.satisfy_doc_rules("StartEmailContact", [])  # type: ignore[arg-type]


def test_same_seed_same_data_other_seed_other_data(fake: Faker) -> None:
    fake.seed_instance(99)
    first = [request_of(fake, op, fill) for op in OPERATIONS for fill in FILLS]
    fake.seed_instance(99)
    again = [request_of(fake, op, fill) for op in OPERATIONS for fill in FILLS]
    fake.seed_instance(100)
    other = [request_of(fake, op, fill) for op in OPERATIONS for fill in FILLS]
    assert first == again
    assert first != other


# -- Realism of StartEmailContact and the alias operations -----------------------------------------


def start_requests(fake: Faker) -> list[dict[str, Any]]:
    made = []
    for seed in range(15):
        fake.seed_instance(seed)
        made.append(fake.start_email_contact_request(fill="all"))
        made.append(fake.start_email_contact_request())
    return made


def test_start_email_contact_bodies_match_their_content_type(fake: Faker) -> None:
    seen = set()
    for request in start_requests(fake):
        raw = request["EmailMessage"]["RawMessage"]
        seen.add(raw["ContentType"])
        assert raw["ContentType"] in rules.CONTENT_TYPES
        assert ("<html" in raw["Body"]) == (raw["ContentType"] == "text/html")
    assert seen == set(rules.CONTENT_TYPES)


def test_start_email_contact_text_is_international(fake: Faker) -> None:
    requests = start_requests(fake)
    names = [r["FromEmailAddress"].get("DisplayName", "") for r in requests]
    subjects = [r["EmailMessage"]["RawMessage"]["Subject"] for r in requests]
    assert any(not n.isascii() for n in names)
    assert any(not s.isascii() for s in subjects)


def test_start_email_contact_references_attributes_and_segments(fake: Faker) -> None:
    for request in start_requests(fake):
        references = request.get("References", {})
        assert {r["Type"] for r in references.values()} <= set(rules.CREATION_REFERENCE_TYPES)
        for ref in references.values():
            if ref["Type"] == "DATE":
                assert re.fullmatch(r"[0-9]{10}", ref["Value"])  # epoch seconds
        ref_bytes = sum(len(k.encode()) + len(r.get("Value", "").encode()) for k, r in references.items())
        assert ref_bytes <= rules.REFERENCES_BYTE_LIMIT
        attributes = request.get("Attributes", {})
        assert all(re.fullmatch(r"[A-Za-z0-9_-]+", k) for k in attributes)
        assert sum(len(k.encode()) + len(v.encode()) for k, v in attributes.items()) <= rules.ATTRIBUTES_BYTE_LIMIT
        segments = request.get("SegmentAttributes", {})
        assert all(re.fullmatch(r"(connect:)?[A-Za-z0-9_-]+", k) for k in segments)
    full = start_requests(fake)[0]
    expiry = full["SegmentAttributes"][rules.CONTACT_EXPIRY_KEY]
    assert set(expiry) == {"ValueMap"}
    assert set(expiry["ValueMap"]) == {"ExpiryDuration"}
    assert expiry["ValueMap"]["ExpiryDuration"]["ValueInteger"] >= 1
    assert {r["Type"] for r in full["References"].values()} == set(rules.CREATION_REFERENCE_TYPES)


def test_start_email_contact_recipients_attachments_and_ids(fake: Faker) -> None:
    presigned = re.compile(
        r"https://[a-z0-9-]+\.s3\.[a-z0-9-]+\.amazonaws\.com/\S+\?X-Amz-Algorithm=AWS4-HMAC-SHA256&\S*"
        r"X-Amz-Signature=[0-9a-f]{64}"
    )
    full = start_requests(fake)[0]
    assert full["AdditionalRecipients"]["ToAddresses"]
    assert full["AdditionalRecipients"]["CcAddresses"]
    for attachment in full["Attachments"]:
        assert presigned.fullmatch(attachment["S3Url"]), attachment["S3Url"]
    for member in ("InstanceId", "ContactFlowId", "RelatedContactId", "ClientToken"):
        assert str(uuid.UUID(full[member])) == full[member]


def test_segment_attribute_recursion_is_bounded(fake: Faker) -> None:
    def depth(value: Any) -> int:
        nested = list(value.get("ValueMap", {}).values()) + list(value.get("ValueList", []))
        return 1 + max((depth(v) for v in nested), default=0)

    for request in start_requests(fake):
        for value in request.get("SegmentAttributes", {}).values():
            assert depth(value) <= fakes.MAX_DEPTH
    full = start_requests(fake)[0]
    assert max(depth(v) for v in full["SegmentAttributes"].values()) == fakes.MAX_DEPTH


@pytest.mark.parametrize("operation", ["AssociateEmailAddressAlias", "DisassociateEmailAddressAlias"])
def test_an_alias_is_never_its_own_primary_address(fake: Faker, operation: str) -> None:
    for seed in range(10):
        fake.seed_instance(seed)
        request = request_of(fake, operation)
        assert request["AliasConfiguration"]["EmailAddressId"].lower() != request["EmailAddressId"].lower()


def test_email_addresses_use_only_example_domains(fake: Faker) -> None:
    addresses = 0
    for seed in range(10):
        fake.seed_instance(seed)
        for operation in OPERATIONS:
            documents = [request_of(fake, operation, fill) for fill in FILLS]
            documents.append(fake.connect_response(operation, fill="all"))
            documents.extend(fake.error_response(operation, code) for code in validator.error_codes(operation))
            for text in (s for doc in documents for s in strings(doc)):
                for domain in re.findall(r"@([^\s<>@\"']+)", text):
                    addresses += 1
                    assert EXAMPLE_DOMAIN.fullmatch(domain.lower()), text
    assert addresses > 100  # the check above did run


def test_the_same_seed_gives_the_same_data_in_another_process() -> None:
    script = (
        "import json, sys\n"
        "from faker import Faker\n"
        "from pytest_connect_email import fakes\n"
        "from pytest_connect_email.contracts import spec\n"
        "seed = int(sys.argv[1])\n"
        "fake = Faker(); fake.add_provider(fakes.ConnectEmailProvider); fake.seed_instance(seed)\n"
        "out = {op: [fake.connect_request(op, fill=f) for f in ('all', 'required', None)]"
        " + [fake.connect_response(op, fill='all')] for op in spec.model().operations}\n"
        "out['invalid'] = list(fakes.invalid_cases('DisassociateEmailAddressAlias', seed=seed))\n"
        "print(json.dumps(out, default=str, ensure_ascii=False))\n"
    )

    def run(seed: int, hash_seed: str) -> str:
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        done = subprocess.run(
            [sys.executable, "-c", script, str(seed)], capture_output=True, text=True, env=env, check=True
        )
        return done.stdout

    first, second, other = run(7, "1"), run(7, "2"), run(8, "1")
    assert json.loads(first)["StartEmailContact"][0]["InstanceId"]
    assert first == second
    assert first != other


# -- Responses and errors --------------------------------------------------------------------------


@pytest.mark.parametrize("fill", FILLS)
@pytest.mark.parametrize("operation", OPERATIONS)
def test_responses_meet_the_strict_contract_and_botocore(fake: Faker, operation: str, fill: str | None) -> None:
    for seed in SEEDS:
        fake.seed_instance(seed)
        response = getattr(fake, f"{spec.snake_name(operation)}_response")(fill=fill)
        validator.validate_response(operation, response, strict=True)
        assert botocore_report(operation, response, "response") == ""


@pytest.mark.parametrize("operation", OPERATIONS)
def test_fill_all_responses_set_every_member(fake: Faker, operation: str) -> None:
    view = fakes.schema_view(operation, "response")
    response = fake.connect_response(operation, fill="all")
    for pointer, (node, value) in structures(view, view.root, response):
        if pointer.startswith("/Contact/SegmentAttributes/"):
            continue  # connect:ContactExpiry has the shape START-SEG-002 prescribes
        expected = 1 if node.get("x-union") else len(node["properties"])
        assert len(value) == expected, pointer


@pytest.mark.parametrize("operation", OPERATIONS)
def test_error_responses_meet_their_error_contract(fake: Faker, operation: str) -> None:
    codes = validator.error_codes(operation)
    assert codes
    for code in codes:
        for fill in FILLS:
            body = fake.error_response(operation, code, fill=fill)
            status = validator.load_schema(operation, "error", code)["x-error"]["httpStatusCode"]
            assert validator.validate_error(operation, status, {"x-amzn-ErrorType": code}, body, strict=True) == code
    body = fake.error_response(operation, codes[0], Message="Rate exceeded")
    assert body["Message"] == "Rate exceeded"


# -- Invalid data ----------------------------------------------------------------------------------


@pytest.mark.parametrize("operation", OPERATIONS)
def test_each_invalid_case_breaks_exactly_its_rule_at_its_pointer(operation: str) -> None:
    cases = list(fakes.invalid_cases(operation))
    assert cases
    doc_rules = {r.id for r in rules.rules_for(operation)}
    for rule, pointer, request in cases:
        assert rule in SCHEMA_KEYWORDS | doc_rules
        assert rule_set(operation, request) == [(rule, pointer)], (rule, pointer)


def test_invalid_requests_are_the_cases_as_pairs() -> None:
    pairs = list(fakes.invalid_requests("DisassociateEmailAddressAlias", seed=3))
    cases = list(fakes.invalid_cases("DisassociateEmailAddressAlias", seed=3))
    assert pairs == [(case.rule, case.request) for case in cases]
    assert {rule for rule, _ in pairs} >= {"required", "type", "minLength", "maxLength", "DISASSOC-ALIAS-001"}


@pytest.mark.parametrize("operation", OPERATIONS)
def test_invalid_cases_hit_their_boundaries_exactly(operation: str) -> None:
    over = {"maxLength": 1, "maxItems": 1, "maxProperties": 1, "maximum": 1}
    under = {"minLength": -1, "minItems": -1, "minProperties": -1, "minimum": -1}
    checked = 0
    constraints = fakes.constraints(operation)
    sized = [c for c in constraints if c.keyword in over or c.keyword in under or c.keyword.startswith("START-")]
    for constraint in constraints:
        step = over.get(constraint.keyword, under.get(constraint.keyword))
        for case in fakes.cases_for(operation, constraint):
            if step is not None:
                if constraint.target == "key":
                    size: Any = len(parts(case.pointer)[-1])
                else:
                    value = at(case.request, case.pointer)
                    size = value if constraint.keyword in ("minimum", "maximum") else len(value)
                assert size == constraint.limit + step, constraint.id
                checked += 1
            elif constraint.keyword in ("START-REF-002", "START-ATTR-001"):
                member = at(case.request, case.pointer)
                limit = (
                    rules.REFERENCES_BYTE_LIMIT
                    if constraint.keyword == "START-REF-002"
                    else rules.ATTRIBUTES_BYTE_LIMIT
                )
                values = [v["Value"] if isinstance(v, dict) else v for v in member.values()]
                assert sum(len(k.encode()) for k in member) + sum(len(v.encode()) for v in values) == limit + 1
                checked += 1
    assert checked or not sized  # an operation without a size rule (ListTagsForResource) has none to hit


@pytest.mark.parametrize("operation", WITH_DOC_RULES)
def test_every_doc_rule_has_a_case_and_the_repairs_undo_it(operation: str) -> None:
    members = spec.operation_model(operation).input_shape.members
    # A rule of members the model in use lacks (an older botocore's UpdateContact has no AdditionalRecipients)
    # cannot be broken by a request that model takes.
    ids = {r.id for r in rules.rules_for(operation) if not r.members or any(m in members for m in r.members)}
    broken = [case for case in fakes.invalid_cases(operation) if case.rule in ids]
    assert {case.rule for case in broken} == ids
    for case in broken:
        repaired = fakes.satisfy_doc_rules(operation, case.request)
        assert rule_set(operation, case.request)  # the repair worked on a copy
        validator.validate_request(operation, repaired)


def test_repairs_fix_a_request_that_breaks_many_doc_rules_at_once() -> None:
    messy = {
        "InstanceId": "i-1",
        "FromEmailAddress": {"EmailAddress": "kunde@example.com"},
        "DestinationEmailAddress": "support@example.org",
        "EmailMessage": {"MessageSourceType": "RAW"},
        "Attributes": {"a.b": "1", "a_b": "2", "a:b": "3"},
        "SegmentAttributes": {"x:y": {"ValueString": "s"}, "x_y": {"ValueInteger": 1}},
        "References": {"d": {"Type": "DATE", "Value": "2026-01-01"}, "e": {"Type": "EMAIL", "Value": "x"}},
    }
    found = {v.rule for v in validator.request_violations("StartEmailContact", messy)}
    assert found == {"START-ATTR-002", "START-SEG-001", "START-REF-001", "START-REF-003", "START-MSG-002"}
    fixed = fakes.satisfy_doc_rules("StartEmailContact", messy)
    validator.validate_request("StartEmailContact", fixed)
    assert len(fixed["Attributes"]) == 3  # clashing keys were numbered, not merged
    assert fixed["Attributes"]["a_b"] == "2"
    assert messy["Attributes"] == {"a.b": "1", "a_b": "2", "a:b": "3"}  # the input is left alone


@pytest.mark.parametrize("operation", MAIN)
def test_constraints_list_every_constraint_of_the_schema(operation: str) -> None:
    """An independent scan of the schema: every constraint keyword of every shape is listed."""
    schema = validator.load_schema(operation)
    listed = {(c.shape, c.keyword) for c in fakes.constraints(operation)}
    expected: set[tuple[str, str]] = set()

    def scan(node: dict[str, Any], root: bool = False) -> None:
        shape = node.get("x-shape", "")
        if "type" in node and not root:
            expected.add((shape, "type"))
        for keyword in SCHEMA_KEYWORDS - {"type", "required", "additionalProperties"}:
            if keyword in node and not (keyword.startswith("min") and node[keyword] == 0):
                expected.add((shape, keyword))
        if node.get("required"):
            expected.add((shape, "required"))
        if node.get("additionalProperties") is False:
            expected.add((shape, "additionalProperties"))
        for child in [*node.get("properties", {}).values(), node.get("items"), node.get("propertyNames")]:
            if isinstance(child, dict) and "$ref" not in child:
                scan(child)
        if isinstance(node.get("additionalProperties"), dict) and "$ref" not in node["additionalProperties"]:
            scan(node["additionalProperties"])

    scan(schema, root=True)
    for definition in schema.get("$defs", {}).values():
        scan(definition)
    assert expected - listed == set()
    assert {r.id for r in rules.rules_for(operation)} <= {c.keyword for c in fakes.constraints(operation)}


@pytest.mark.parametrize("operation", MAIN)
def test_main_operations_cover_every_constraint_that_can_break_alone(operation: str) -> None:
    report = fakes.coverage(operation)
    ids = [c.id for c in fakes.constraints(operation)]
    assert report["constraints"] == len(ids)
    assert sorted(report["covered"] + list(report["not_covered"])) == sorted(ids)
    assert {r.id for r in rules.rules_for(operation)} <= set(report["covered"])
    for constraint_id, info in report["not_covered"].items():
        keyword = constraint_id.split()[0]
        assert info["also_breaks"], constraint_id  # only inseparable constraints may stay uncovered
        witnessed = {v.rule for v in validator.request_violations(operation, info["witness"])}
        assert witnessed == {keyword, *info["also_breaks"]}, constraint_id


def test_start_email_contact_leaves_only_inseparable_constraints() -> None:
    report = fakes.coverage("StartEmailContact")
    uncovered = {cid: info["also_breaks"] for cid, info in report["not_covered"].items()}
    assert uncovered == {
        "minLength /FromEmailAddress/EmailAddress": ["pattern"],
        "minLength /DestinationEmailAddress": ["pattern"],
        "minLength /AdditionalRecipients/ToAddresses/*/EmailAddress": ["pattern"],
        "minLength /AdditionalRecipients/CcAddresses/*/EmailAddress": ["pattern"],
        "maxLength /References [key]": ["START-REF-002"],
        "maxLength /References/*/Value": ["START-REF-002"],
        "maxLength /Attributes/*": ["START-ATTR-001"],
    }
    assert fakes.coverage("DisassociateEmailAddressAlias")["not_covered"] == {}


def test_a_key_one_over_its_maximum_is_isolated_from_the_byte_budget() -> None:
    (case,) = fakes.cases_for("StartEmailContact", "maxLength /Attributes [key]")
    key = parts(case.pointer)[-1]
    assert case.request["Attributes"] == {key: ""}
    assert len(key.encode()) == rules.ATTRIBUTES_BYTE_LIMIT  # exactly at the budget, so only the model objects


def test_invalid_cases_differ_by_seed_but_not_in_what_they_break() -> None:
    first = list(fakes.invalid_cases("StartEmailContact", seed=1))
    second = list(fakes.invalid_cases("StartEmailContact", seed=2))
    assert [c.rule for c in first] == [c.rule for c in second]
    assert [c.request for c in first] != [c.request for c in second]
