"""Generation: every model constraint and trait reaches the schema; output is deterministic."""

from __future__ import annotations

import json
from typing import Any

import jsonschema_rs
import pytest
import regex
from botocore.model import ServiceModel
from jsonschema import Draft202012Validator, FormatChecker

from pytest_connect_email.contracts import schemagen, spec, validator
from tests.conftest import ROOT

SYNTHETIC = {
    "metadata": {"protocol": "rest-json", "apiVersion": "2020-01-01", "endpointPrefix": "x", "serviceId": "X"},
    "operations": {
        "DoThing": {
            "name": "DoThing",
            "http": {"method": "POST", "requestUri": "/things/{Id}", "responseCode": 201},
            "input": {"shape": "DoThingRequest"},
            "output": {"shape": "DoThingResponse"},
            "errors": [{"shape": "Boom"}],
        }
    },
    "shapes": {
        "DoThingRequest": {
            "type": "structure",
            "required": ["Id"],
            "members": {
                "Id": {"shape": "Id", "location": "uri", "locationName": "Id"},
                "Filter": {"shape": "Id", "location": "querystring", "locationName": "filter"},
                "Trace": {"shape": "Id", "location": "header", "locationName": "X-Trace"},
                "Token": {"shape": "Id", "idempotencyToken": True},
                "Count": {"shape": "Count"},
                "Big": {"shape": "Big"},
                "Ratio": {"shape": "Ratio"},
                "Flag": {"shape": "Flag"},
                "When": {"shape": "When"},
                "Data": {"shape": "Data"},
                "Labels": {"shape": "Labels"},
                "Tree": {"shape": "Tree"},
                "Choice": {"shape": "Choice"},
                "Secret": {"shape": "Secret"},
            },
        },
        "DoThingResponse": {"type": "structure", "members": {"Id": {"shape": "Id"}}},
        "Boom": {
            "type": "structure",
            "members": {"Message": {"shape": "Id"}},
            "error": {"httpStatusCode": 503},
            "exception": True,
        },
        "Id": {"type": "string", "min": 1, "max": 5},
        "Count": {"type": "integer", "min": 1, "max": 3},
        "Big": {"type": "long"},
        "Ratio": {"type": "double", "min": 0, "max": 1},
        "Flag": {"type": "boolean"},
        "When": {"type": "timestamp"},
        "Data": {"type": "blob", "max": 8},
        "Labels": {"type": "map", "key": {"shape": "LabelKey"}, "value": {"shape": "Id"}, "min": 1, "max": 2},
        "LabelKey": {"type": "string", "pattern": "^\\p{Lu}\\p{Ll}*$"},
        "Tree": {"type": "structure", "members": {"Kids": {"shape": "Forest"}, "Mode": {"shape": "Mode"}}},
        "Forest": {"type": "list", "member": {"shape": "Tree"}, "min": 1, "max": 2},
        "Mode": {"type": "string", "enum": ["ON", "OFF"]},
        "Choice": {"type": "structure", "members": {"A": {"shape": "Id"}, "B": {"shape": "Id"}}, "union": True},
        "Secret": {"type": "string", "sensitive": True},
    },
}


@pytest.fixture(scope="module")
def synthetic() -> dict[str, Any]:
    op = ServiceModel(SYNTHETIC, "x").operation_model("DoThing")
    return schemagen.operation_schemas(op, "9.9.9")


def _engines(schema: dict[str, Any]) -> tuple[Any, Any]:
    slow = validator.ContractValidator(schema, format_checker=validator._format_checker)
    fast = jsonschema_rs.validator_for(schema, validate_formats=True, formats={"date-time": validator._is_timestamp})
    return slow, fast


def _keywords(schema: dict[str, Any], doc: Any) -> set[str]:
    slow, fast = _engines(schema)
    keywords = {str(e.validator) for e in slow.iter_errors(doc)}
    assert fast.is_valid(doc) == (not keywords), "the two engines disagree"
    return keywords


def test_generated_schemas_are_valid_draft_2020_12(synthetic: dict[str, Any]) -> None:
    # ECMA-262 patterns with Unicode property escapes: check them with `regex`, as the validator does.
    formats = FormatChecker()
    formats.checks("regex", raises=regex.error)(lambda p: bool(regex.compile(p)))
    for schema in synthetic.values():
        Draft202012Validator.check_schema(schema, format_checker=formats)
    for path in (ROOT / "schemas").rglob("*.json"):
        if path.name != "index.json":
            Draft202012Validator.check_schema(json.loads(path.read_text(encoding="utf-8")), format_checker=formats)


def test_metadata_travels_in_x_keywords(synthetic: dict[str, Any]) -> None:
    request = synthetic["DoThing/request.json"]
    assert request["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert request["x-botocore-version"] == "9.9.9"
    assert request["x-http"]["method"] == "POST"
    assert request["x-http"]["requestUri"] == "/things/{Id}"
    assert request["x-http"]["bindings"]["Id"] == {"location": "uri", "name": "Id"}
    assert request["x-http"]["bindings"]["Filter"] == {"location": "querystring", "name": "filter"}
    assert request["x-http"]["bindings"]["Trace"] == {"location": "header", "name": "X-Trace"}
    assert request["x-http"]["bindings"]["Count"] == {"location": "body"}
    assert request["x-idempotency-token"] == "Token"
    assert request["properties"]["Token"]["x-idempotency-token"] is True
    assert request["properties"]["Secret"]["x-sensitive"] is True
    assert "x-sensitive" not in request["properties"]["Id"]
    assert synthetic["DoThing/response.json"]["x-http"]["status"] == 201
    assert synthetic["DoThing/errors/Boom.json"]["x-error"] == {
        "code": "Boom",
        "httpStatusCode": 503,
        "fault": "server",
    }


def test_request_rejects_unknown_members_response_accepts_them(synthetic: dict[str, Any]) -> None:
    assert _keywords(synthetic["DoThing/request.json"], {"Id": "a", "Extra": 1}) == {"additionalProperties"}
    assert _keywords(synthetic["DoThing/response.json"], {"Id": "a", "Extra": 1}) == set()
    strict = validator._strict(synthetic["DoThing/response.json"])
    assert _keywords(strict, {"Id": "a", "Extra": 1}) == {"additionalProperties"}


CASES: list[tuple[dict[str, Any], set[str]]] = [
    ({"Id": "abcde"}, set()),
    ({}, {"required"}),
    ({"Id": ""}, {"minLength"}),
    ({"Id": "abcdef"}, {"maxLength"}),
    ({"Id": "a", "Count": 3}, set()),
    ({"Id": "a", "Count": 4}, {"maximum"}),
    ({"Id": "a", "Count": 0}, {"minimum"}),
    ({"Id": "a", "Count": 1.5}, {"type"}),
    ({"Id": "a", "Big": 2**40}, set()),
    ({"Id": "a", "Ratio": 0.5}, set()),
    ({"Id": "a", "Ratio": 1.5}, {"maximum"}),
    ({"Id": "a", "Flag": 1}, {"type"}),
    ({"Id": "a", "When": "2026-01-01T00:00:00+00:00"}, set()),
    ({"Id": "a", "When": "soon"}, {"format"}),
    ({"Id": "a", "Data": "aGVsbG8="}, set()),
    ({"Id": "a", "Data": "aGVsbG8gd29y"}, {"maxLength"}),
    ({"Id": "a", "Labels": {"Äpfel": "x"}}, set()),
    ({"Id": "a", "Labels": {"äpfel": "x"}}, {"pattern"}),
    ({"Id": "a", "Labels": {}}, {"minProperties"}),
    ({"Id": "a", "Labels": {"A": "x", "B": "x", "C": "x"}}, {"maxProperties"}),
    ({"Id": "a", "Tree": {"Kids": [{"Kids": [{"Mode": "ON"}]}]}}, set()),
    ({"Id": "a", "Tree": {"Kids": [{"Kids": [{"Mode": "MAYBE"}]}]}}, {"enum"}),
    ({"Id": "a", "Tree": {"Kids": [{"Kids": []}]}}, {"minItems"}),
    ({"Id": "a", "Tree": {"Kids": [{}, {}, {}]}}, {"maxItems"}),
    ({"Id": "a", "Choice": {"A": "x"}}, set()),
    ({"Id": "a", "Choice": {"A": "x", "B": "y"}}, {"maxProperties"}),
    ({"Id": "a", "Choice": {}}, {"minProperties"}),
]


@pytest.mark.parametrize(("doc", "expected"), CASES)
def test_each_constraint_kind(synthetic: dict[str, Any], doc: dict[str, Any], expected: set[str]) -> None:
    assert _keywords(synthetic["DoThing/request.json"], doc) == expected


def test_recursive_shapes_use_refs(synthetic: dict[str, Any]) -> None:
    defs = synthetic["DoThing/request.json"]["$defs"]
    assert defs["Forest"]["items"] == {"$ref": "#/$defs/Tree"}
    assert defs["Tree"]["properties"]["Kids"] == {"$ref": "#/$defs/Forest"}
    real = json.loads((ROOT / "schemas/StartEmailContact/request.json").read_text(encoding="utf-8"))
    value = real["$defs"]["SegmentAttributeValue"]["properties"]
    assert value["ValueMap"] == {"$ref": "#/$defs/SegmentAttributeValueMap"}
    assert real["$defs"]["SegmentAttributeValueMap"]["additionalProperties"] == {
        "$ref": "#/$defs/SegmentAttributeValue"
    }


def test_every_model_constraint_of_start_email_contact_is_carried_over() -> None:
    """Walk the botocore shapes and find each min/max/pattern/enum/required in the schema."""
    schema = validator.load_schema("StartEmailContact")
    defs = schema["$defs"]
    seen: set[str] = set()

    def node_for(shape: Any, member_node: dict[str, Any]) -> dict[str, Any]:
        return defs[shape.name] if "$ref" in member_node else member_node

    def check(shape: Any, node: dict[str, Any]) -> None:
        if shape.name in seen:
            return
        seen.add(shape.name)
        meta = shape.metadata
        assert node["x-shape"] == shape.name
        if meta.get("sensitive"):
            assert node.get("x-sensitive") is True
        kind = shape.type_name
        names = {
            "string": ("minLength", "maxLength"),
            "list": ("minItems", "maxItems"),
            "map": ("minProperties", "maxProperties"),
        }
        low, high = names.get(kind, ("minimum", "maximum"))
        if "min" in meta:
            assert node[low] == meta["min"], shape.name
        if "max" in meta:
            assert node[high] == meta["max"], shape.name
        if "pattern" in meta:
            assert node["pattern"] == meta["pattern"]
        if getattr(shape, "enum", None):
            assert node["enum"] == list(shape.enum)
        if kind == "structure":
            assert node.get("required", []) == list(shape.required_members)
            for name, member in shape.members.items():
                check(member, node_for(member, node["properties"][name]))
        elif kind == "list":
            check(shape.member, node_for(shape.member, node["items"]))
        elif kind == "map":
            for key, value in node["propertyNames"].items():
                assert key == "x-shape" or node["propertyNames"][key] == value
            check(shape.value, node_for(shape.value, node["additionalProperties"]))

    check(spec.operation_model("StartEmailContact").input_shape, schema)
    assert {"SegmentAttributeValue", "EmailAttachment", "Reference", "InboundRawMessage"} <= seen


def test_generation_is_deterministic() -> None:
    first = schemagen.generate()
    second = schemagen.generate()
    assert first == second
    assert list(first) == sorted(first)
    assert len(first) == 1 + sum(2 + len(spec.operation_model(op).error_shapes) for op in spec.OPERATIONS)


def test_committed_schemas_are_current() -> None:
    """The staleness gate: the committed files equal what the installed botocore generates."""
    committed = {
        p.relative_to(ROOT / "schemas").as_posix(): p.read_text(encoding="utf-8")
        for p in (ROOT / "schemas").rglob("*.json")
    }
    assert committed == schemagen.generate()


def test_version_stamp_override() -> None:
    files = schemagen.generate(["StartEmailContact"], botocore_version="0.0.1")
    assert json.loads(files["StartEmailContact/request.json"])["x-botocore-version"] == "0.0.1"
    assert "botocore 0.0.1" in json.loads(files["index.json"])["$comment"]


def test_an_answers_map_may_be_empty_while_a_requests_keeps_the_models_minimum() -> None:
    """Connect's API reference states only the maximum of a response's map entries (an untagged resource's
    tags answer {}); a request's TagMap keeps the model's minimum of one entry."""
    model = spec.model()
    tagging = schemagen.operation_schemas(model.operation_model("TagResource"), model.version)
    listing = schemagen.operation_schemas(model.operation_model("ListTagsForResource"), model.version)
    request_map = tagging["TagResource/request.json"]["$defs"]["TagMap"]
    response_map = listing["ListTagsForResource/response.json"]["$defs"]["TagMap"]
    assert (request_map["minProperties"], request_map["maxProperties"]) == (1, 50)
    assert "minProperties" not in response_map
    assert response_map["maxProperties"] == 50
    assert validator.response_violations("ListTagsForResource", {"tags": {}}) == []
    assert [v.rule for v in validator.request_violations("TagResource", {"resourceArn": "a", "tags": {}})] == [
        "minProperties"
    ]
