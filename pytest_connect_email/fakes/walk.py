"""The schema walk that makes values: a factory that walks an operation's contract and asks its provider
for each leaf, with hooks for shapes whose realism or doc rules need more than the generic walk.

:mod:`.valid` (the Faker provider), :mod:`.repair` (doc-rule repairs) and :mod:`.invalid` (broken variants)
build on it; it imports none of them.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable, Container, Mapping
from typing import TYPE_CHECKING, Any, Final

from pytest_connect_email.contracts import rules
from pytest_connect_email.fakes._schema import (
    _HARD_DEPTH,
    MAX_DEPTH,
    Fill,
    JSONSchema,
    SchemaView,
    _broken,
    _is_structure,
    _Omit,
)

if TYPE_CHECKING:
    import random


#: RFC 2606 reserves these for documentation; mail to them never reaches anyone.
_EXAMPLE_DOMAINS: Final = (
    "example.com",
    "example.org",
    "example.net",
    "mail.example.com",
    "support.example.org",
    "kunden.example.net",
    "eu.example.com",
)
_ATTRIBUTE_SAMPLES: Final[tuple[tuple[str, tuple[str, ...]], ...]] = (
    ("customerTier", ("gold", "silver", "platinum")),
    ("preferredLanguage", ("de-DE", "fr-FR", "en-GB", "sv-SE")),
    ("orderNumber", ()),
    ("caseCategory", ("Rückerstattung", "Lieferung", "Garantie", "Réclamation")),
    ("loyalty_id", ()),
    ("channel-source", ("web-form", "mobile-app", "forwarded")),
)
_SEGMENT_KEYS: Final = ("customerSegment", "caseCategory", "priorityLevel", "salesRegion", "preferredAgent")


def _utf8(text: str) -> int:
    return len(text.encode("utf-8", "surrogatepass"))


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items() if not isinstance(v, _Omit)}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return copy.deepcopy(value)


# -- The schema walk that makes values -------------------------------------------------------------

#: Realistic generators by model shape name (``x-shape``): provider method names.
_SHAPE_KINDS: Final[Mapping[str, str]] = {
    "EmailAddress": "connect_email_address",
    "EmailAddressDisplayName": "connect_display_name",
    "EndpointDisplayName": "connect_display_name",
    "InboundSubject": "connect_subject",
    "OutboundSubject": "connect_subject",
    "Name": "connect_subject",
    "Body": "connect_body",
    "EmailMessageContentType": "connect_content_type",
    "Description": "connect_description",
    "FileName": "connect_file_name",
    "PreSignedAttachmentUrl": "connect_presigned_url",
    "ReferenceArn": "connect_arn",
    "ARN": "connect_arn",
    "DirectoryId": "connect_directory_id",
    "DirectoryAlias": "connect_instance_alias",
    "TagKey": "connect_tag_key",
    "ContactTagKey": "connect_tag_key",
    "TagValue": "connect_tag_value",
    "ContactTagValue": "connect_tag_value",
    "AwsRegion": "connect_region",
    "RegionName": "connect_region",
    "ClientToken": "connect_id",
    "NextToken": "connect_token",
    "NextToken2500": "connect_token",
    "Url": "connect_url",
    "ISO8601Datetime": "connect_iso_timestamp",
    "LanguageLocale": "connect_locale",
    "Message": "connect_message",
    "AttributeName": "connect_attribute_key",
    "SegmentAttributeName": "connect_attribute_key",
    "ReferenceKey": "connect_reference_key",
    "FlowContentSha256": "connect_sha256",
    "ContactFlowContent": "connect_flow_content",
    "TimeZone": "connect_time_zone",
}

#: Realistic generators by member-name suffix, for shapes without an entry above.
_NAME_SUFFIX_KINDS: Final = (
    ("Arn", "connect_arn"),
    ("Ids", "connect_id"),
    ("Id", "connect_id"),
    ("Url", "connect_url"),
    ("Region", "connect_region"),
    ("Token", "connect_token"),
    ("EmailAddress", "connect_email_address"),
)


def leaf_kind(node: Mapping[str, Any], name: str = "") -> str | None:
    """The provider method that makes realistic values for a string node (shape first, then member name)."""
    if not isinstance(node, Mapping):
        raise TypeError(f"node must be a JSON Schema mapping, not {type(node).__name__}")
    kind = _SHAPE_KINDS.get(str(node.get("x-shape", "")))
    if kind is not None:
        return kind
    for suffix, method in _NAME_SUFFIX_KINDS:
        if name.endswith(suffix):
            return method
    return None


Hook = Callable[["_Factory", JSONSchema, str, tuple[str, ...]], Any]


class _Factory:
    """Makes values for the nodes of one contract with one provider (and so one random generator)."""

    def __init__(self, provider: Any, operation: str, view: SchemaView, fill: Fill | None) -> None:
        self.provider = provider
        self.operation = operation
        self.view = view
        self.fill = fill

    @property
    def rng(self) -> random.Random:
        rng: random.Random = self.provider._rng
        return rng

    def document(self) -> dict[str, Any]:
        doc = self.value(self.view.root, "", ())
        if not isinstance(doc, dict):  # pragma: no cover - every contract's root is a structure
            raise TypeError(f"{self.view.root.get('title')} is not an object schema")
        return doc

    def enter(self, node: JSONSchema, stack: tuple[str, ...]) -> tuple[JSONSchema, tuple[str, ...]]:
        target, name = self.view.deref(node)
        if name is None:
            return target, stack
        if stack.count(name) >= _HARD_DEPTH:
            raise RecursionError(f"shape {name} recurses without end in {self.view.root.get('title')}")
        return target, (*stack, name)

    def saturated(self, node: JSONSchema, stack: tuple[str, ...]) -> bool:
        """Whether one more level of ``node`` would pass :data:`MAX_DEPTH`."""
        _, name = self.view.deref(node)
        return name is not None and stack.count(name) >= MAX_DEPTH

    def include(self, required: bool) -> bool:
        if required or self.fill == "all":
            return True
        if self.fill == "required":
            return False
        return self.rng.random() < 0.5

    def count(self, low: int, high: int | None) -> int:
        """How many entries a map or list gets."""
        if self.fill == "all":
            n = 2
        elif self.fill == "required":
            n = 1
        else:
            n = self.rng.randint(1, 3)
        n = max(n, low)
        return n if high is None else min(n, high)

    def value(self, node: JSONSchema, name: str, stack: tuple[str, ...]) -> Any:
        target, stack = self.enter(node, stack)
        hook = _HOOKS.get(str(target.get("x-shape", "")))
        if hook is not None:
            return hook(self, target, name, stack)
        return self.generic(target, name, stack)

    def generic(self, node: JSONSchema, name: str, stack: tuple[str, ...]) -> Any:
        kind = node.get("type")
        if _is_structure(node):
            return self.structure(node, stack)
        if kind == "object":
            return self.map(node, name, stack)
        if kind == "array":
            return self.list(node, name, stack)
        if kind == "string":
            return self.string(node, name)
        if kind == "integer":
            return self.integer(node)
        if kind == "number":
            low = float(node.get("minimum", 0))
            return round(self.rng.uniform(low, float(node.get("maximum", low + 100))), 2)
        if kind == "boolean":
            return self.rng.random() < 0.5
        if node.get("format") == "date-time":
            return self.provider.connect_timestamp()
        raise ValueError(f"cannot make a value for schema node {node.get('x-shape') or node!r}")

    def structure(
        self, node: JSONSchema, stack: tuple[str, ...], preset: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        props: dict[str, JSONSchema] = node.get("properties", {})
        preset = preset or {}
        if node.get("x-union"):
            names = [n for n in props if n in preset] or [n for n in props if not self.saturated(props[n], stack)]
            chosen = self.rng.choice(names or list(props))
            return {chosen: preset[chosen] if chosen in preset else self.value(props[chosen], chosen, stack)}
        required = node.get("required", ())
        out: dict[str, Any] = {}
        for member, sub in props.items():
            if member in preset:
                out[member] = preset[member]
            elif self.include(member in required):
                out[member] = self.value(sub, member, stack)
        self.cohere(props, out, preset)
        return out

    def cohere(self, props: Mapping[str, JSONSchema], out: dict[str, Any], preset: Mapping[str, Any]) -> None:
        """Make sibling members agree: Body with ContentType, EmailAddress with DisplayName, S3Url with FileName."""
        pairs: tuple[tuple[str, str, Callable[[str], str]], ...] = (
            ("Body", "ContentType", self.provider.connect_body),
            ("EmailAddress", "DisplayName", self.provider.connect_email_address),
            ("S3Url", "FileName", self.provider.connect_presigned_url),
        )
        for member, source, make in pairs:
            if member in preset or not (isinstance(out.get(member), str) and isinstance(out.get(source), str)):
                continue
            candidate = make(out[source])
            if not _broken(self.view.deref(props[member])[0], candidate):
                out[member] = candidate

    def map(self, node: JSONSchema, name: str, stack: tuple[str, ...]) -> dict[str, Any]:
        values = node["additionalProperties"]
        keys = node.get("propertyNames", {})
        low = node.get("minProperties", 0)
        n = low if self.saturated(values, stack) else self.count(low, node.get("maxProperties"))
        out: dict[str, Any] = {}
        for _ in range(n):
            out[self.key(keys, out)] = self.value(values, name, stack)
        return out

    def list(self, node: JSONSchema, name: str, stack: tuple[str, ...]) -> list[Any]:
        items = node["items"]
        low = node.get("minItems", 0)
        n = low if self.saturated(items, stack) else self.count(low, node.get("maxItems"))
        return [self.value(items, name, stack) for _ in range(n)]

    def key(self, node: JSONSchema, taken: Container[str], make: Callable[[], str] | None = None) -> str:
        """A map key that meets the key schema and is not in ``taken``."""
        enum = node.get("enum")
        if enum:
            free = [k for k in enum if k not in taken]
            if not free:
                raise ValueError(f"map key shape {node.get('x-shape')} has no unused value left")
            return str(self.rng.choice(free))
        if make is None:
            kind = leaf_kind(node)
            make = getattr(self.provider, kind) if kind else self.identifier
        candidate = ""
        for _ in range(20):
            candidate = make()
            if candidate not in taken and not _broken(node, candidate):
                return candidate
        for i in range(2, 100_000):  # the realistic names ran out: number them
            suffix = str(i)
            numbered = candidate[: max(0, node.get("maxLength", len(candidate) + len(suffix)) - len(suffix))] + suffix
            if numbered not in taken and not _broken(node, numbered):
                return numbered
        raise ValueError(f"no unused key fits map key shape {node.get('x-shape')}")  # pragma: no cover

    def identifier(self) -> str:
        """A camelCase ASCII name, for map keys without a realistic generator."""
        words = [str(self.provider.generator.word()) for _ in range(self.rng.randint(1, 2))]
        return words[0].lower() + "".join(w.capitalize() for w in words[1:])

    def string(self, node: JSONSchema, name: str) -> str:
        enum = node.get("enum")
        if enum:
            return str(self.rng.choice(enum))
        kind = leaf_kind(node, name)
        if kind is not None:
            make: Callable[[], str] = getattr(self.provider, kind)
            for _ in range(20):
                candidate = make()
                if not _broken(node, candidate):
                    return candidate
        text: str = self.provider.connect_text(node.get("minLength", 0), node.get("maxLength"))
        if not _broken(node, text):
            return text
        raise LookupError(
            f"no generator makes a value of shape {node.get('x-shape')!r} (pattern {node.get('pattern')!r}); "
            "add one to pytest_connect_email.fakes.walk._SHAPE_KINDS"
        )

    def integer(self, node: JSONSchema) -> int:
        high = node.get("maximum")
        low = node.get("minimum", 0 if high is None or high >= 0 else high - 1000)
        if high is None:
            high = low + 1000
        return self.rng.randint(int(low), int(high))


# -- Hooks: shapes whose realism or doc rules need more than the generic walk -----------------------


def _applies(operation: str, rule_id: str) -> bool:
    return any(r.id == rule_id for r in rules.rules_for(operation))


def _references(f: _Factory, node: JSONSchema, name: str, stack: tuple[str, ...]) -> Any:
    ref_node, ref_stack = f.enter(node["additionalProperties"], stack)
    props = ref_node.get("properties", {})
    if "Type" not in props or "enum" not in props["Type"] or "Value" not in props:
        return f.generic(node, name, stack)
    enum = list(props["Type"]["enum"])
    allowed = enum
    if _applies(f.operation, "START-REF-001"):
        allowed = [t for t in enum if t in rules.CREATION_REFERENCE_TYPES] or enum
    low, high = node.get("minProperties", 0), node.get("maxProperties")
    if f.fill == "all":  # one reference of every allowed type, within the map's bounds
        kinds = allowed[:high] + [f.rng.choice(allowed) for _ in range(low - len(allowed))]
    else:
        kinds = [f.rng.choice(allowed) for _ in range(f.count(low, high))]
    keys = node.get("propertyNames", {})
    value_node = f.view.deref(props["Value"])[0]
    out: dict[str, Any] = {}
    for kind in kinds:
        key = f.key(keys, out, functools.partial(f.provider.connect_reference_key, kind))
        value = f.provider.connect_reference_value(kind)
        if _broken(value_node, value):
            value = f.string(value_node, "Value")
        out[key] = f.structure(ref_node, ref_stack, preset={"Type": kind, "Value": value})
    return out


def _attributes(f: _Factory, node: JSONSchema, name: str, stack: tuple[str, ...]) -> Any:
    keys = node.get("propertyNames", {})
    value_node = f.view.deref(node["additionalProperties"])[0]
    if value_node.get("type") != "string":
        return f.generic(node, name, stack)
    n = min(f.count(node.get("minProperties", 0), node.get("maxProperties")), len(_ATTRIBUTE_SAMPLES))
    out: dict[str, Any] = {}
    for index in f.rng.sample(range(len(_ATTRIBUTE_SAMPLES)), n):
        key, choices = _ATTRIBUTE_SAMPLES[index]
        value = f.rng.choice(choices) if choices else str(f.rng.randint(10_000, 9_999_999))
        if _broken(keys, key) or key in out:
            key = f.key(keys, out)
        out[key] = value if not _broken(value_node, value) else f.string(value_node, name)
    return out


def contact_expiry_value(minutes: int) -> dict[str, Any]:
    """The ``connect:ContactExpiry`` segment attribute value START-SEG-002 prescribes for ``minutes``."""
    if not isinstance(minutes, int) or isinstance(minutes, bool):
        raise TypeError(f"minutes must be an int, not {minutes!r}")
    return {"ValueMap": {"ExpiryDuration": {"ValueInteger": minutes}}}


def _contact_expiry(f: _Factory, value_node: JSONSchema) -> dict[str, Any] | None:
    """A ``connect:ContactExpiry`` value, if the model still has the members START-SEG-002 names."""
    props = value_node.get("properties", {})
    if "ValueMap" not in props or "ValueInteger" not in props:
        return None
    return contact_expiry_value(f.rng.choice((60, 135, 720, 1440, 4320, 10080)))


def _segment_attributes(f: _Factory, node: JSONSchema, name: str, stack: tuple[str, ...]) -> Any:
    value_node, _ = f.enter(node["additionalProperties"], stack)
    keys = node.get("propertyNames", {})
    out: dict[str, Any] = {}
    expiry = _contact_expiry(f, value_node)
    if expiry is not None and not _broken(keys, rules.CONTACT_EXPIRY_KEY) and (f.fill == "all" or f.include(False)):
        out[rules.CONTACT_EXPIRY_KEY] = expiry
    if f.fill == "all":
        extra = 2
    elif f.fill == "required":
        extra = 0
    else:
        extra = f.rng.randint(0, 2)
    extra = max(extra, node.get("minProperties", 0) - len(out))
    if node.get("maxProperties") is not None:
        extra = min(extra, node["maxProperties"] - len(out))
    for _ in range(extra):
        key = f.key(keys, out, lambda: f.rng.choice(_SEGMENT_KEYS))
        out[key] = f.value(node["additionalProperties"], name, stack)
    return out


def _segment_value(f: _Factory, node: JSONSchema, name: str, stack: tuple[str, ...]) -> Any:
    """One kind of value per entry (ValueString, ValueInteger, ...), unless fill='all' asks for every member."""
    props: dict[str, JSONSchema] = node.get("properties", {})
    if f.fill == "all" or not props or node.get("required"):
        return f.generic(node, name, stack)
    members = [m for m, sub in props.items() if not f.saturated(sub, stack) and not _leads_deeper(f, sub, stack)]
    chosen = f.rng.choice(members or list(props))
    return {chosen: f.value(props[chosen], chosen, stack)}


def _leads_deeper(f: _Factory, node: JSONSchema, stack: tuple[str, ...]) -> bool:
    """Whether a container member would only hold shapes already at :data:`MAX_DEPTH`."""
    target, _ = f.view.deref(node)
    inner = target.get("items") if target.get("type") == "array" else target.get("additionalProperties")
    return isinstance(inner, dict) and f.saturated(inner, stack)


def _email_headers(f: _Factory, node: JSONSchema, name: str, stack: tuple[str, ...]) -> Any:
    keys = node.get("propertyNames", {})
    value_node = f.view.deref(node["additionalProperties"])[0]
    enum = keys.get("enum")
    if not enum or value_node.get("type") != "string":
        return f.generic(node, name, stack)
    if f.fill == "all":
        chosen = list(enum)
    else:
        chosen = f.rng.sample(list(enum), min(len(enum), f.count(node.get("minProperties", 0), None)))

    def message_id() -> str:
        return f"<{f.provider.connect_id()}@{f.rng.choice(_EXAMPLE_DOMAINS)}>"

    makers: dict[str, Callable[[], str]] = {
        "MESSAGE_ID": message_id,
        "IN_REPLY_TO": message_id,
        "REFERENCES": lambda: f"{message_id()} {message_id()}",
        "X_SES_SPAM_VERDICT": lambda: "PASS",
        "X_SES_VIRUS_VERDICT": lambda: "PASS",
    }
    out: dict[str, Any] = {}
    for key in chosen:
        value = makers[key]() if key in makers else ""
        out[key] = value if not _broken(value_node, value) else f.string(value_node, name)
    return out


_HOOKS: Final[Mapping[str, Hook]] = {
    "ContactReferences": _references,
    "Attributes": _attributes,
    "SegmentAttributes": _segment_attributes,
    "SegmentAttributeValue": _segment_value,
    "EmailHeaders": _email_headers,
}
