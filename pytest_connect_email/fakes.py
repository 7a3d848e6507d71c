"""Fake data for the Amazon Connect email APIs: valid requests, responses and errors, and invalid requests.

What this module owns
---------------------
- :class:`ConnectEmailProvider`, a Faker provider (``faker.add_provider(ConnectEmailProvider)``) with one
  ``<boto3 name>_request`` and one ``<boto3 name>_response`` method per operation of
  :data:`pytest_connect_email.spec.OPERATIONS`, plus ``error_response(operation, error_code)``;
- :func:`invalid_cases` / :func:`invalid_requests`: requests that each break exactly one rule;
- :func:`constraints`, :func:`cases_for` and :func:`coverage`: which rules the invalid cases reach;
- :func:`satisfy_doc_rules`, :func:`fake_value`, :func:`leaf_kind` and :func:`schema_view`, the pieces
  :mod:`pytest_connect_email.strategies` builds on.

Valid data
----------
Nothing here restates the model. A request is made by walking the operation's committed JSON Schema
(:func:`pytest_connect_email.contracts.load_schema`): structures (``properties``/``required``), ``$ref``
into ``$defs``, arrays, maps (``propertyNames`` + ``additionalProperties``), unions, strings with length
bounds, patterns and enums, integers with bounds, and timestamps. Every limit, enum and pattern is read
from the schema when the value is made. Realism comes from value generators picked by the model shape
name (``x-shape``, see ``_SHAPE_KINDS``) or, failing that, the member name (``...Id`` is a UUID,
``...Arn`` an ARN): display names and subjects in several languages and scripts, text/plain and
text/html bodies that match their ``ContentType``, presigned-URL-shaped S3 URLs, references of the
types allowed at creation, ``connect:ContactExpiry`` segment attributes. Every value is checked against
its schema node; when a realistic generator does not fit (say a later model shortens a limit), a plain
generator that reads the bounds takes over, and a pattern nothing can satisfy is a clear error.

The doc rules (:mod:`pytest_connect_email.rules`) carry what the model cannot. Each rule id has a
*repair* here, driven by the rule's own checker (its findings say where to repair), applied after
generation so that a request meets every rule of its operation, and a *breaker* that makes invalid
data for it. A test holds both registries complete.

``fill="all"`` sets every optional member, ``fill="required"`` only the required ones (plus what a doc
rule requires: a RAW ``EmailMessage`` always carries its ``RawMessage``, START-MSG-002); the default is
a deterministic mix. Recursive shapes (``SegmentAttributeValue`` -> ``ValueMap``/``ValueList``) are
bounded: a shape appears at most :data:`MAX_DEPTH` times on a path, and maps and lists below that are
empty. Keyword ``overrides`` deep-merge into the result (dicts merge, anything else replaces, the
:data:`OMIT` sentinel removes a member).

Email addresses only ever use the reserved example domains of RFC 2606 (``example.com``,
``example.org``, ``example.net`` and their subdomains). Every random choice comes from the Faker
instance's own generator (``self.generator.random``): never the global ``random``, ``hash()`` or set
order, so one seed gives the same data on every run and machine.

Invalid data
------------
:func:`constraints` walks the request schema and lists every model constraint (``required``, ``type``,
lengths, ``pattern``, ``enum``, item and entry counts, integer bounds, unknown members, map-key
constraints), each as a pointer template (``*`` stands for any map key or list index) and the keyword
the validator reports, then every doc rule of the operation. A breaker mutates a rich valid request
(``fill="all"``) at the first place that matches: a string one character over its maximum or under its
minimum, a list one item over or under, a map one entry over or under, an integer one over or under,
a byte budget exceeded by exactly one byte. The mutation is checked against the other keywords of the
same schema node and against the doc-rule checkers, the way the validator judges it (a doc finding at
a place the model already reports is dropped); if another rule would break too, the breaker tries the
next map entry or list item, then the same with the entry isolated. What still cannot be broken alone
(an empty email address also misses the pattern; a 4,097-character reference value also exceeds the
4,096-byte budget of START-REF-002) is reported by :func:`coverage`, with the rules that necessarily
break with it and a witness request.
"""

from __future__ import annotations

import base64
import copy
import datetime as _dt
import functools
import html
import re
import unicodedata
import uuid
from collections.abc import Callable, Container, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, Literal, NamedTuple
from urllib.parse import quote

import regex
from faker import Faker
from faker.providers import BaseProvider

from pytest_connect_email import contracts, rules, spec

if TYPE_CHECKING:
    import random

__all__ = [
    "FILLS",
    "MAX_DEPTH",
    "OMIT",
    "ConnectEmailProvider",
    "Constraint",
    "InvalidCase",
    "SchemaView",
    "cases_for",
    "constraints",
    "contact_expiry_value",
    "coverage",
    "covered_constraints",
    "fake_value",
    "invalid_cases",
    "invalid_requests",
    "leaf_kind",
    "satisfy_doc_rules",
    "schema_view",
]

Fill = Literal["all", "required"]
Direction = Literal["request", "response", "error"]
JSONSchema = dict[str, Any]
Part = str | int
Loc = tuple[Part, ...]

#: The ``fill`` modes besides the default mix (``None``).
FILLS: Final = ("all", "required")
#: How many times one shape may appear on a path; deeper maps and lists are left empty.
MAX_DEPTH: Final = 2
#: A shape that recurses deeper than this even with empty containers is a generator bug, not data.
_HARD_DEPTH: Final = 12
#: The member an ``additionalProperties`` case adds.
UNKNOWN_MEMBER: Final = "UnknownMember"


class _Omit:
    """The type of :data:`OMIT`; copies are the same object so ``deepcopy`` keeps the marker."""

    def __repr__(self) -> str:
        return "OMIT"

    def __copy__(self) -> _Omit:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> _Omit:
        return self


#: Pass as an override value to remove a member: ``start_email_contact_request(Description=OMIT)``.
OMIT: Final = _Omit()


# -- Realistic material ----------------------------------------------------------------------------
# Test data, not model facts: the model holds no names, subjects or domains.

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

_PEOPLE: Final = (
    "Zoë Ångström",
    "José Núñez",
    "Søren Kjærgaard",
    "Łucja Wróbel",
    "Ayşe Yılmaz",
    "Françoise Dupré",
    "Jürgen Großmann",
    "Nguyễn Thị Hương",
    "Ólafur Þórsson",
    "Chloé Lefèvre",
    "Mónica Peña",
    "Björn Østergaard",
    "王小明",
    "Ольга Петрова",
)

_SUBJECTS: Final = (
    "Frage zu Rückerstattung – Bestellung {n}",
    "Réclamation : colis endommagé (commande n° {n})",
    "Re: Lieferung verspätet – Auftrag {n}",
    "¿Dónde está mi pedido {n}?",
    "Invoice {n} – wrong VAT amount",
    "Fwd: Garantieanspruch für Kaffeemaschine ☕ #{n}",
    "Återbetalning för order {n}",
    "Zamówienie {n} – brak części",
    "注文番号 {n} について",
    "Change of address for customer account {n}",
)

_GREETINGS: Final = ("Guten Tag,", "Bonjour,", "Hej!", "¡Hola!", "Hello,", "Dzień dobry,")
_SIGN_OFFS: Final = ("Mit freundlichen Grüßen", "Cordialement", "Med vänliga hälsningar", "Best regards", "Saludos")
_NOTES: Final = (
    "Kunde bittet um Rückruf.",
    "Client mécontent, priorité haute.",
    "Ärende från webbformulär.",
    "Escalated by the night shift.",
)
_FILE_NAMES: Final = (
    "Rechnung_{n}.pdf",
    "Schadensfoto_{n}.jpg",
    "reçu-{n}.png",
    "Lieferschein {n}.pdf",
    "contrat signé {n}.pdf",
    "screenshot-{n}.png",
    "Garantiekarte_{n}.jpeg",
)
_REGIONS: Final = ("us-east-1", "us-west-2", "eu-central-1", "eu-west-2", "ap-southeast-2", "ca-central-1")
#: The account ids AWS documentation uses in examples.
_ACCOUNTS: Final = ("123456789012", "111122223333", "444455556666")
#: AWS's documented example access key id.
_EXAMPLE_ACCESS_KEY: Final = "AKIAIOSFODNN7EXAMPLE"
_COMPANIES: Final = ("anycompany", "example", "octank", "contoso")
_TEAMS: Final = ("support", "service", "kundendienst", "help", "care")
_TAG_KEYS: Final = ("team", "cost-center", "environment", "Zuständigkeit", "project", "owner", "Umgebung")
_TAG_VALUES: Final = ("support", "eu-ops", "Kundendienst", "prod", "staging", "équipe-nord")
_LOCALES: Final = ("en-US", "de-DE", "fr-FR", "es-ES", "sv-SE", "ja-JP")
_ATTRIBUTE_SAMPLES: Final[tuple[tuple[str, tuple[str, ...]], ...]] = (
    ("customerTier", ("gold", "silver", "platinum")),
    ("preferredLanguage", ("de-DE", "fr-FR", "en-GB", "sv-SE")),
    ("orderNumber", ()),
    ("caseCategory", ("Rückerstattung", "Lieferung", "Garantie", "Réclamation")),
    ("loyalty_id", ()),
    ("channel-source", ("web-form", "mobile-app", "forwarded")),
)
_SEGMENT_KEYS: Final = ("customerSegment", "caseCategory", "priorityLevel", "salesRegion", "preferredAgent")
_REFERENCE_NAMES: Final[Mapping[str, tuple[str, ...]]] = {
    "URL": ("trackingPage", "orderPage", "invoiceLink"),
    "NUMBER": ("orderNumber", "customerNumber", "invoiceNumber"),
    "STRING": ("productName", "customerNote", "deliveryMethod"),
    "DATE": ("orderDate", "deliveryDate", "receivedAt"),
}
_REFERENCE_STRINGS: Final = (
    "Kaffeevollautomat „Barista Pro“",
    "Colis endommagé",
    "Express-Lieferung",
    "Garantieverlängerung 24 Monate",
)
_URL_PATHS: Final = ("orders/{n}", "kunden/konto/{n}", "help/articles/{n}", "suivi/colis/{n}")
_TRANSLITERATION: Final = str.maketrans(
    {"ø": "o", "Ø": "O", "ß": "ss", "æ": "ae", "Æ": "AE", "ł": "l", "Ł": "L", "đ": "d", "Đ": "D"}
    | {"þ": "th", "Þ": "Th", "ð": "d", "ı": "i", "œ": "oe"}
)
_EPOCH_2025: Final = _dt.datetime(2025, 1, 1, tzinfo=_dt.timezone.utc)
_THREE_YEARS: Final = 3 * 365 * 24 * 3600


def _local_part(display_name: str) -> str:
    """An ASCII mailbox name from a display name: 'Zoë Ångström' -> 'zoe.angstrom'."""
    text = unicodedata.normalize("NFKD", display_name.translate(_TRANSLITERATION))
    ascii_text = "".join(c for c in text if not unicodedata.combining(c)).encode("ascii", "ignore").decode()
    return ".".join(re.findall(r"[a-z0-9]+", ascii_text.lower())[:3])


def _utf8(text: str) -> int:
    return len(text.encode("utf-8", "surrogatepass"))


def _text_of_bytes(size: int, phrase: str) -> str:
    """Text of exactly ``size`` UTF-8 bytes: ``phrase`` repeated, topped up with ASCII dots."""
    out: list[str] = []
    used = 0
    while True:
        for c in phrase:
            width = _utf8(c)
            if used + width > size:
                return "".join(out) + "." * (size - used)
            out.append(c)
            used += width


# -- Schema access ---------------------------------------------------------------------------------


class SchemaView:
    """Read access to one committed contract: ``$ref`` resolution and lookup of the node at a path."""

    def __init__(self, root: JSONSchema) -> None:
        self.root = root
        self.defs: dict[str, JSONSchema] = root.get("$defs", {})

    def deref(self, node: JSONSchema) -> tuple[JSONSchema, str | None]:
        """The node a ``$ref`` points at (and the name of its ``$defs`` entry), or the node itself."""
        ref = node.get("$ref")
        if not isinstance(ref, str):
            return node, None
        name = ref.rsplit("/", 1)[-1]
        return self.defs[name], name

    def child(self, node: JSONSchema, part: Part) -> JSONSchema:
        """The schema of one member, map value or list item of ``node``."""
        target, _ = self.deref(node)
        if target.get("type") == "array":
            items: JSONSchema = target["items"]
            return items
        props = target.get("properties")
        if isinstance(props, dict):
            if part in props:
                member: JSONSchema = props[part]
                return member
            raise KeyError(f"{self.root.get('title', 'schema')}: {target.get('x-shape')} has no member {part!r}")
        extra = target.get("additionalProperties")
        if isinstance(extra, dict):
            return extra
        raise KeyError(f"{self.root.get('title', 'schema')}: {target.get('x-shape')} has no entry {part!r}")

    def node_at(self, path: Iterable[Part]) -> JSONSchema:
        """The dereferenced schema node at ``path`` (members, map keys or ``*``, list indexes or ``*``)."""
        node, _ = self.deref(self.root)
        for part in path:
            node, _ = self.deref(self.child(node, part))
        return node


@functools.cache
def _view(operation: str, direction: Direction, error: str | None) -> SchemaView:
    return SchemaView(contracts.load_schema(operation, direction, error))


def schema_view(operation: str, direction: Direction = "request", error: str | None = None) -> SchemaView:
    """The :class:`SchemaView` of an operation's request, response or error contract."""
    name = spec.resolve_operation(operation)
    contracts.load_schema(name, direction, error)  # argument checks with the validator's messages
    return _view(name, direction, error)


def _is_structure(node: JSONSchema) -> bool:
    return node.get("type") == "object" and isinstance(node.get("properties"), dict)


def _is_map(node: JSONSchema) -> bool:
    return node.get("type") == "object" and not isinstance(node.get("properties"), dict)


def _type_ok(kind: Any, value: Any) -> bool:
    if kind is None:
        return True
    if isinstance(kind, list):
        return any(_type_ok(k, value) for k in kind)
    if isinstance(value, bool):
        return bool(kind == "boolean")
    checks: dict[str, Callable[[Any], bool]] = {
        "string": lambda v: isinstance(v, str),
        "integer": lambda v: isinstance(v, int),
        "number": lambda v: isinstance(v, (int, float, _dt.datetime)),
        "boolean": lambda v: False,
        "object": lambda v: isinstance(v, dict),
        "array": lambda v: isinstance(v, list),
    }
    return checks.get(kind, lambda v: True)(value)


def _broken(node: JSONSchema, value: Any) -> list[str]:
    """The keywords of one schema node (not its children) that ``value`` breaks, in a fixed order."""
    out: list[str] = []
    if not _type_ok(node.get("type"), value):
        # Lengths, patterns and bounds judge only values of their type, and the validator reports a
        # wrong type alone (not also "not one of the enum values").
        return ["type"]
    if isinstance(value, str):
        if len(value) < node.get("minLength", 0):
            out.append("minLength")
        if "maxLength" in node and len(value) > node["maxLength"]:
            out.append("maxLength")
        if "pattern" in node and not contracts.compile_pattern(node["pattern"]).search(value):
            out.append("pattern")
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in node and value < node["minimum"]:
            out.append("minimum")
        if "maximum" in node and value > node["maximum"]:
            out.append("maximum")
    if "enum" in node and value not in node["enum"]:
        out.append("enum")
    return out


def _pointer(path: Iterable[Part]) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


def _parse_pointer(pointer: str) -> list[str]:
    return [p.replace("~1", "/").replace("~0", "~") for p in pointer.split("/")[1:]]


def _get(doc: Any, path: Iterable[Part]) -> Any:
    for part in path:
        doc = doc[part]
    return doc


# -- The provider ----------------------------------------------------------------------------------


def _check_fill(fill: object) -> Fill | None:
    if fill is None or (isinstance(fill, str) and fill in FILLS):
        return fill  # type: ignore[return-value]  # narrowed by the membership test above
    raise ValueError(f"fill must be 'all', 'required' or None (a deterministic mix), not {fill!r}")


class ConnectEmailProvider(BaseProvider):
    """Faker provider of Amazon Connect email API data, built from the committed contracts.

    ``faker.add_provider(ConnectEmailProvider)`` adds, for every operation of ``spec.OPERATIONS``,
    ``<snake_name>_request(fill=None, **overrides)`` and ``<snake_name>_response(fill=None, **overrides)``
    (e.g. ``start_email_contact_request``), plus :meth:`error_response`, the generic
    :meth:`connect_request` / :meth:`connect_response`, and the ``connect_*`` value generators.
    """

    __provider__ = "connect_email"

    @property
    def _rng(self) -> random.Random:
        rng: random.Random = self.generator.random
        return rng

    # -- Whole documents

    def connect_request(self, operation: str, fill: Fill | None = None, **overrides: Any) -> dict[str, Any]:
        """A request (boto3 parameters) for ``operation`` that meets its contract and doc rules."""
        name = spec.resolve_operation(operation)
        factory = _Factory(self, name, _view(name, "request", None), _check_fill(fill))
        doc = factory.document()
        _satisfy(factory, doc)
        return _merge(doc, overrides)

    def connect_response(self, operation: str, fill: Fill | None = None, **overrides: Any) -> dict[str, Any]:
        """A response (boto3's parsed form: timestamps are ``datetime``) that meets the strict contract."""
        name = spec.resolve_operation(operation)
        factory = _Factory(self, name, _view(name, "response", None), _check_fill(fill))
        return _merge(factory.document(), overrides)

    def error_response(
        self, operation: str, error_code: str, fill: Fill | None = None, **overrides: Any
    ) -> dict[str, Any]:
        """The body of one of the operation's modelled errors (send its code in ``x-amzn-ErrorType``)."""
        name = spec.resolve_operation(operation)
        if not isinstance(error_code, str):
            raise TypeError(f"error_code must be a str such as 'ResourceNotFoundException', not {error_code!r}")
        view = schema_view(name, "error", error_code)  # raises ValueError naming the modelled errors
        factory = _Factory(self, name, view, _check_fill(fill))
        return _merge(factory.document(), overrides)

    # -- Values

    def connect_id(self) -> str:
        """A random (version 4) UUID, the form of Connect resource ids."""
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def connect_display_name(self) -> str:
        """A person's name, often with non-ASCII letters ('Zoë Ångström')."""
        if self._rng.random() < 0.6:
            return self._rng.choice(_PEOPLE)
        return str(self.generator.name())

    def connect_email_address(self, display_name: str | None = None) -> str:
        """An address at a reserved example domain, derived from ``display_name`` when given."""
        rng = self._rng
        person = display_name if display_name is not None else self.connect_display_name()
        local = _local_part(person) or f"customer{rng.randint(1, 9999)}"
        if rng.random() < 0.3:
            local += str(rng.randint(1, 99))
        return f"{local}@{rng.choice(_EXAMPLE_DOMAINS)}"

    def connect_subject(self) -> str:
        """An email subject, e.g. 'Frage zu Rückerstattung - Bestellung 4711' (with an en dash)."""
        return self._rng.choice(_SUBJECTS).format(n=self._rng.randint(1000, 999_999))

    def connect_content_type(self) -> str:
        """A content type the StartEmailContact page allows: text/plain or text/html."""
        return self._rng.choice(rules.CONTENT_TYPES)

    def connect_body(self, content_type: str = "text/plain") -> str:
        """An email body in ``content_type`` (text/html gets markup, anything else plain text)."""
        rng = self._rng
        greeting = rng.choice(_GREETINGS)
        paragraphs = [str(self.generator.paragraph(nb_sentences=rng.randint(2, 4))) for _ in range(rng.randint(1, 3))]
        closing = f"{rng.choice(_SIGN_OFFS)}\n{self.connect_display_name()}"
        if content_type.lower() == "text/html":
            parts = [greeting, *paragraphs, closing]
            body = "".join(f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>" for p in parts)
            return f'<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>{body}</body></html>'
        return "\n\n".join([greeting, *paragraphs, closing])

    def connect_description(self) -> str:
        """A short description of a contact or address."""
        return f"{self.generator.sentence()} {self._rng.choice(_NOTES)}"

    def connect_file_name(self) -> str:
        """An attachment file name, e.g. 'Rechnung_4711.pdf' or 'reçu-4711.png'."""
        return self._rng.choice(_FILE_NAMES).format(n=self._rng.randint(100, 99_999))

    def connect_region(self) -> str:
        """An AWS Region name."""
        return self._rng.choice(_REGIONS)

    def connect_presigned_url(self, file_name: str | None = None) -> str:
        """An S3 presigned GET URL (SigV4 query string) for an attachment."""
        rng = self._rng
        region = self.connect_region()
        name = file_name if file_name is not None else self.connect_file_name()
        bucket = f"amazon-connect-{rng.getrandbits(32):08x}"
        key = f"connect/{rng.choice(_COMPANIES)}/Attachments/{self.connect_id()}/{quote(name)}"
        when = _EPOCH_2025 + _dt.timedelta(seconds=rng.randrange(_THREE_YEARS))
        day = when.strftime("%Y%m%d")
        credential = quote(f"{_EXAMPLE_ACCESS_KEY}/{day}/{region}/s3/aws4_request", safe="")
        signature = f"{rng.getrandbits(256):064x}"
        return (
            f"https://{bucket}.s3.{region}.amazonaws.com/{key}?X-Amz-Algorithm=AWS4-HMAC-SHA256"
            f"&X-Amz-Credential={credential}&X-Amz-Date={when.strftime('%Y%m%dT%H%M%SZ')}"
            f"&X-Amz-Expires={rng.choice((300, 900, 3600))}&X-Amz-SignedHeaders=host&X-Amz-Signature={signature}"
        )

    def connect_arn(self, resource: str = "contact") -> str:
        """An Amazon Connect ARN under an instance."""
        rng = self._rng
        return (
            f"arn:aws:connect:{self.connect_region()}:{rng.choice(_ACCOUNTS)}:instance/{self.connect_id()}"
            f"/{resource}/{self.connect_id()}"
        )

    def connect_url(self) -> str:
        """A web page at a reserved example domain."""
        path = self._rng.choice(_URL_PATHS).format(n=self._rng.randint(1000, 999_999))
        return f"https://www.{self._rng.choice(_EXAMPLE_DOMAINS)}/{path}"

    def connect_token(self) -> str:
        """An opaque pagination token."""
        return base64.urlsafe_b64encode(self._rng.randbytes(48)).decode("ascii")

    def connect_directory_id(self) -> str:
        """A Directory Service directory id ('d-' and ten hex digits)."""
        return f"d-{self._rng.getrandbits(40):010x}"

    def connect_instance_alias(self) -> str:
        """An instance alias such as 'anycompany-support-42'."""
        rng = self._rng
        return f"{rng.choice(_COMPANIES)}-{rng.choice(_TEAMS)}-{rng.randint(1, 999)}"

    def connect_tag_key(self) -> str:
        """A resource tag key."""
        return self._rng.choice(_TAG_KEYS)

    def connect_tag_value(self) -> str:
        """A resource tag value."""
        return self._rng.choice(_TAG_VALUES)

    def connect_attribute_key(self) -> str:
        """A contact attribute or segment attribute name (ASCII letters, digits, '-' and '_')."""
        return self._rng.choice([k for k, _ in _ATTRIBUTE_SAMPLES] + list(_SEGMENT_KEYS))

    def connect_reference_key(self, reference_type: str = "STRING") -> str:
        """A contact reference name fitting its type ('trackingPage' for a URL)."""
        names = _REFERENCE_NAMES.get(reference_type) or _REFERENCE_NAMES["STRING"]
        return self._rng.choice(names)

    def connect_reference_value(self, reference_type: str = "STRING") -> str:
        """A contact reference value of a type: a URL, digits, text, or epoch seconds for DATE."""
        rng = self._rng
        if reference_type == "URL":
            return self.connect_url()
        if reference_type == "NUMBER":
            return str(rng.randint(1000, 99_999_999))
        if reference_type == "DATE":
            return str(int(_EPOCH_2025.timestamp()) + rng.randrange(_THREE_YEARS))
        return rng.choice(_REFERENCE_STRINGS)

    def connect_locale(self) -> str:
        """A language locale such as 'de-DE'."""
        return self._rng.choice(_LOCALES)

    def connect_timestamp(self) -> _dt.datetime:
        """A UTC timestamp between 2025 and 2028 (whole seconds)."""
        return _EPOCH_2025 + _dt.timedelta(seconds=self._rng.randrange(_THREE_YEARS))

    def connect_iso_timestamp(self) -> str:
        """A timestamp as ISO 8601 text."""
        return self.connect_timestamp().isoformat().replace("+00:00", "Z")

    def connect_message(self) -> str:
        """An error message."""
        return str(self.generator.sentence(nb_words=8))

    def connect_text(self, min_length: int = 0, max_length: int | None = None) -> str:
        """Whole words within the bounds (padded with 'x' to reach ``min_length``)."""
        target = max(min_length, self._rng.randint(8, 60))
        if max_length is not None:
            target = min(target, max_length)
        words: list[str] = []
        length = 0
        while True:
            word = str(self.generator.word())
            if length + len(word) + bool(words) > target:
                break
            length += len(word) + bool(words)
            words.append(word)
        text = " ".join(words) or word[:target]
        return text.ljust(min_length, "x")


def _request_method(operation: str) -> Callable[..., dict[str, Any]]:
    def method(self: ConnectEmailProvider, fill: Fill | None = None, **overrides: Any) -> dict[str, Any]:
        return self.connect_request(operation, fill, **overrides)

    method.__name__ = f"{spec.snake_name(operation)}_request"
    method.__qualname__ = f"ConnectEmailProvider.{method.__name__}"
    method.__doc__ = f"A valid {operation} request; ``fill`` is 'all', 'required' or None (a mix)."
    return method


def _response_method(operation: str) -> Callable[..., dict[str, Any]]:
    def method(self: ConnectEmailProvider, fill: Fill | None = None, **overrides: Any) -> dict[str, Any]:
        return self.connect_response(operation, fill, **overrides)

    method.__name__ = f"{spec.snake_name(operation)}_response"
    method.__qualname__ = f"ConnectEmailProvider.{method.__name__}"
    method.__doc__ = f"A valid {operation} response (parsed form); ``fill`` as for requests."
    return method


for _operation in spec.OPERATIONS:
    setattr(ConnectEmailProvider, f"{spec.snake_name(_operation)}_request", _request_method(_operation))
    setattr(ConnectEmailProvider, f"{spec.snake_name(_operation)}_response", _response_method(_operation))
del _operation


def _merge(base: dict[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """Deep-merge ``overrides`` into ``base``: dicts merge, other values replace, OMIT removes."""
    for key, value in overrides.items():
        if isinstance(value, _Omit):
            base.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        else:
            base[key] = _plain(value)
    return base


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

    def __init__(self, provider: ConnectEmailProvider, operation: str, view: SchemaView, fill: Fill | None) -> None:
        self.provider = provider
        self.operation = operation
        self.view = view
        self.fill = fill

    @property
    def rng(self) -> random.Random:
        return self.provider._rng

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
        text = self.provider.connect_text(node.get("minLength", 0), node.get("maxLength"))
        if not _broken(node, text):
            return text
        raise LookupError(
            f"no generator makes a value of shape {node.get('x-shape')!r} (pattern {node.get('pattern')!r}); "
            "add one to pytest_connect_email.fakes._SHAPE_KINDS"
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


# -- Doc rules: repairs (valid data) ---------------------------------------------------------------

Repair = Callable[[_Factory, dict[str, Any], list[rules.Finding]], None]

#: One repair per doc rule, applied in this order (a DATE value is fixed before the byte budget).
_REPAIRS: dict[str, Repair] = {}


def _repair(*rule_ids: str) -> Callable[[Repair], Repair]:
    def register(repair: Repair) -> Repair:
        for rule_id in rule_ids:
            _REPAIRS[rule_id] = repair
        return repair

    return register


def _container(request: dict[str, Any], pointer: str) -> tuple[Any, str]:
    *parents, last = _parse_pointer(pointer)
    return _get(request, parents), last


@_repair("START-REF-001")
def _repair_reference_type(f: _Factory, request: dict[str, Any], findings: list[rules.Finding]) -> None:
    for finding in findings:
        ref, member = _container(request, finding.pointer)
        ref[member] = f.rng.choice(rules.CREATION_REFERENCE_TYPES)


@_repair("START-REF-003")
def _repair_date_reference(f: _Factory, request: dict[str, Any], findings: list[rules.Finding]) -> None:
    for finding in findings:
        ref, member = _container(request, finding.pointer)
        ref[member] = f.provider.connect_reference_value("DATE")


def _trim_budget(mapping: dict[str, Any], limit: int, value_of: Callable[[Any], str | None]) -> None:
    """Drop entries from the end, then shorten the last value, until keys + values fit ``limit`` bytes."""

    def total() -> int:
        return sum(_utf8(str(k)) + _utf8(value_of(v) or "") for k, v in mapping.items())

    while len(mapping) > 1 and total() > limit:
        mapping.pop(next(reversed(mapping)))
    if mapping and total() > limit:
        key = next(iter(mapping))
        entry = mapping[key]
        room = limit - _utf8(str(key))
        text = value_of(entry)
        if room < 0 or text is None:
            mapping.clear()
            return
        while _utf8(text) > room:
            text = text[: len(text) - max(1, (_utf8(text) - room) // 4)]
        if isinstance(entry, dict):
            entry["Value"] = text
        else:
            mapping[key] = text


@_repair("START-REF-002")
def _repair_reference_bytes(f: _Factory, request: dict[str, Any], findings: list[rules.Finding]) -> None:
    def value(ref: Any) -> str | None:
        found = ref.get("Value") if isinstance(ref, dict) else None
        return found if isinstance(found, str) else None

    _trim_budget(request["References"], rules.REFERENCES_BYTE_LIMIT, value)


def _rename(mapping: dict[str, Any], old: str, new: str) -> None:
    """Rename a key in place, keeping the order of entries."""
    items = [(new if k == old else k, v) for k, v in mapping.items()]
    mapping.clear()
    mapping.update(items)


def _sanitize_keys(mapping: dict[str, Any], findings: list[rules.Finding], keep_prefix: str) -> None:
    """Replace the characters a key-naming rule refuses with '_' (keeping an allowed namespace prefix)."""
    for finding in findings:
        key = _parse_pointer(finding.pointer)[-1]
        if key not in mapping:
            continue
        prefix = keep_prefix if keep_prefix and key.startswith(keep_prefix) else ""
        clean = prefix + re.sub(r"[^A-Za-z0-9_-]", "_", key[len(prefix) :])
        number = 2
        while clean in mapping:  # a clash with a key already there: number the tail, keeping the length
            clean = clean[: max(len(prefix) + 1, len(clean) - len(str(number)))] + str(number)
            number += 1
        _rename(mapping, key, clean)


@_repair("START-ATTR-002")
def _repair_attribute_keys(f: _Factory, request: dict[str, Any], findings: list[rules.Finding]) -> None:
    _sanitize_keys(request["Attributes"], findings, "")


@_repair("START-ATTR-001")
def _repair_attribute_bytes(f: _Factory, request: dict[str, Any], findings: list[rules.Finding]) -> None:
    _trim_budget(request["Attributes"], rules.ATTRIBUTES_BYTE_LIMIT, lambda v: v if isinstance(v, str) else None)


@_repair("START-SEG-001")
def _repair_segment_keys(f: _Factory, request: dict[str, Any], findings: list[rules.Finding]) -> None:
    _sanitize_keys(request["SegmentAttributes"], findings, "connect:")


@_repair("START-SEG-002")
def _repair_contact_expiry(f: _Factory, request: dict[str, Any], findings: list[rules.Finding]) -> None:
    value_node = f.view.node_at(("SegmentAttributes", "*"))
    expiry = _contact_expiry(f, value_node)
    if expiry is None:  # pragma: no cover - the model lost ValueMap/ValueInteger
        request["SegmentAttributes"].pop(rules.CONTACT_EXPIRY_KEY, None)
    else:
        request["SegmentAttributes"][rules.CONTACT_EXPIRY_KEY] = expiry


@_repair("START-MSG-002")
def _repair_raw_message(f: _Factory, request: dict[str, Any], findings: list[rules.Finding]) -> None:
    node = f.view.child(f.view.node_at(("EmailMessage",)), "RawMessage")
    request["EmailMessage"]["RawMessage"] = f.value(node, "RawMessage", ())


@_repair("START-MSG-001")
def _repair_content_type(f: _Factory, request: dict[str, Any], findings: list[rules.Finding]) -> None:
    raw = request["EmailMessage"]["RawMessage"]
    raw["ContentType"] = f.provider.connect_content_type()


@_repair("DISASSOC-ALIAS-001", "ASSOC-ALIAS-001")
def _repair_self_alias(f: _Factory, request: dict[str, Any], findings: list[rules.Finding]) -> None:
    primary = str(request.get("EmailAddressId", "")).strip().lower()
    alias = f.provider.connect_id()
    while alias == primary:  # pragma: no cover - a UUID collision
        alias = f.provider.connect_id()
    request["AliasConfiguration"]["EmailAddressId"] = alias


def _satisfy(f: _Factory, request: dict[str, Any]) -> None:
    """Repair ``request`` in place until every doc rule of the operation holds."""
    applicable = {r.id: r for r in rules.rules_for(f.operation)}
    for rule_id, repair in _REPAIRS.items():
        doc_rule = applicable.get(rule_id)
        if doc_rule is None:
            continue
        findings = list(doc_rule.check(request))
        if findings:
            repair(f, request, findings)
    left = [(r.id, finding.pointer) for r in applicable.values() for finding in r.check(request)]
    if left:
        raise RuntimeError(f"{f.operation}: the doc-rule repairs left findings {left}; fix pytest_connect_email.fakes")


@functools.cache
def _shared_provider() -> ConnectEmailProvider:
    """One provider for the seed-driven helpers (not thread-safe: each call reseeds it)."""
    return ConnectEmailProvider(Faker())


def _seeded(seed: object) -> ConnectEmailProvider:
    _check_seed(seed)
    provider = _shared_provider()
    provider.generator.seed_instance(seed)
    return provider


def _check_seed(seed: object) -> None:
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise TypeError(f"seed must be an int, not {seed!r}")


def satisfy_doc_rules(operation: str, request: Mapping[str, Any], seed: int = 0) -> dict[str, Any]:
    """A copy of ``request`` repaired so that every doc rule of ``operation`` holds.

    The model constraints are the caller's business: the repairs keep them, they do not restore them.
    """
    name = spec.resolve_operation(operation)
    if not isinstance(request, Mapping):
        raise TypeError(f"request must be a mapping of parameters, not {type(request).__name__}")
    # what a repair adds (a RawMessage for START-MSG-002) carries only its required members
    factory = _Factory(_seeded(seed), name, _view(name, "request", None), "required")
    doc = _plain(request)
    _satisfy(factory, doc)
    return doc  # type: ignore[no-any-return]  # _plain of a mapping is a dict


def fake_value(
    operation: str,
    node: Mapping[str, Any],
    name: str = "",
    *,
    seed: int = 0,
    direction: Direction = "request",
    fill: Fill | None = None,
) -> Any:
    """One value for a schema node of an operation's contract (or a map's key schema), from a seeded provider."""
    op = spec.resolve_operation(operation)
    if not isinstance(node, Mapping):
        raise TypeError(f"node must be a JSON Schema mapping, not {type(node).__name__}")
    if direction not in ("request", "response"):
        raise ValueError(f"direction must be 'request' or 'response', not {direction!r}")
    factory = _Factory(_seeded(seed), op, _view(op, direction, None), _check_fill(fill))
    schema = dict(node)
    if "type" not in schema and "$ref" not in schema:  # a map's key schema (propertyNames) names no type
        schema["type"] = "string"
    return factory.value(schema, name, ())


# -- Invalid data ----------------------------------------------------------------------------------


class InvalidCase(NamedTuple):
    """A request that breaks exactly one rule: the rule as the validator names it, and where."""

    rule: str
    pointer: str
    request: dict[str, Any]


Target = Literal["value", "key", "rule"]


@dataclass(frozen=True)
class Constraint:
    """One rule of a request contract: a schema keyword at a place, or a doc rule.

    ``path`` is a template: ``*`` stands for any map key or list index. ``target`` is ``"key"`` for the
    constraints a map puts on its keys (``propertyNames``), ``"rule"`` for doc rules.
    """

    keyword: str
    path: tuple[str, ...]
    target: Target = "value"
    limit: Any = field(default=None, compare=False)
    shape: str = field(default="", compare=False)

    @property
    def pointer(self) -> str:
        return "".join("/" + (p if p == "*" else p.replace("~", "~0").replace("/", "~1")) for p in self.path)

    @property
    def id(self) -> str:
        """A stable name: 'maxLength /Name', 'maxLength /Attributes/* [key]', 'START-REF-002'."""
        if self.target == "rule":
            return self.keyword
        return f"{self.keyword} {self.pointer or '(root)'}{' [key]' if self.target == 'key' else ''}"


_STRING_KEYWORDS: Final = ("minLength", "maxLength", "pattern", "enum")


def _walk(view: SchemaView, node: JSONSchema, path: tuple[str, ...], stack: tuple[str, ...]) -> Iterator[Constraint]:
    target, name = view.deref(node)
    if name is not None:
        if name in stack:  # a recursive shape: its constraints are listed where it first appears
            return
        stack = (*stack, name)
    kind = target.get("type")
    shape = str(target.get("x-shape", ""))

    def make(keyword: str, where: tuple[str, ...] = path, on: Target = "value") -> Constraint:
        limit = target.get(keyword) if keyword in target else where[-1] if keyword == "required" else None
        return Constraint(keyword, where, on, limit, shape)

    if path:
        yield make("type")
    if _is_structure(target):
        for member in target.get("required", ()):
            yield make("required", (*path, member))
        if target.get("additionalProperties") is False:
            yield make("additionalProperties")
        yield from _bounds(make, target, "minProperties", "maxProperties")
        for member, sub in target["properties"].items():
            yield from _walk(view, sub, (*path, member), stack)
    elif kind == "object":
        yield from _bounds(make, target, "minProperties", "maxProperties")
        keys = target.get("propertyNames", {})
        for keyword in _STRING_KEYWORDS:
            if keyword in keys and not (keyword == "minLength" and keys[keyword] <= 0):
                yield Constraint(keyword, path, "key", keys[keyword], str(keys.get("x-shape", "")))
        yield from _walk(view, target["additionalProperties"], (*path, "*"), stack)
    elif kind == "array":
        yield from _bounds(make, target, "minItems", "maxItems")
        yield from _walk(view, target["items"], (*path, "*"), stack)
    elif kind == "string":
        if target.get("minLength", 0) > 0:
            yield make("minLength")
        for keyword in ("maxLength", "pattern", "enum"):
            if keyword in target:
                yield make(keyword)
    elif kind in ("integer", "number"):
        for keyword in ("minimum", "maximum"):
            if keyword in target:
                yield make(keyword)
    elif "format" in target:
        yield make("format")


def _bounds(make: Callable[[str], Constraint], node: JSONSchema, low: str, high: str) -> Iterator[Constraint]:
    if node.get(low, 0) > 0:
        yield make(low)
    if high in node:
        yield make(high)


@functools.cache
def _constraints(operation: str) -> tuple[Constraint, ...]:
    view = _view(operation, "request", None)
    found = list(_walk(view, view.root, (), ()))
    found.extend(Constraint(r.id, (), "rule") for r in rules.rules_for(operation))
    return tuple(found)


def constraints(operation: str) -> tuple[Constraint, ...]:
    """Every constraint of an operation's request: model constraints in schema order, then doc rules."""
    return _constraints(spec.resolve_operation(operation))


@dataclass
class _Context:
    operation: str
    view: SchemaView
    factory: _Factory
    base: dict[str, Any]


def _context(operation: str, seed: int) -> _Context:
    """A rich valid request (fill='all') from a provider of its own, so that iterators never share state."""
    faker = Faker()
    faker.seed_instance(seed)
    view = _view(operation, "request", None)
    factory = _Factory(ConnectEmailProvider(faker), operation, view, "all")
    base = factory.document()
    _satisfy(factory, base)
    return _Context(operation, view, factory, base)


@dataclass
class _Outcome:
    constraint: Constraint
    cases: list[InvalidCase]
    reason: str = ""
    also_breaks: tuple[str, ...] = ()
    witness: dict[str, Any] | None = None


def _doc_findings(operation: str, request: Mapping[str, Any]) -> list[tuple[str, str]]:
    return [(r.id, f.pointer) for r in rules.rules_for(operation) for f in r.check(request)]


def _locations(doc: Any, template: Sequence[str]) -> Iterator[Loc]:
    """Concrete paths in ``doc`` that match ``template`` (``*`` = any key or index), in document order."""
    if not template:
        yield ()
        return
    head, rest = template[0], template[1:]
    if head == "*":
        if isinstance(doc, dict):
            for key in list(doc):
                for tail in _locations(doc[key], rest):
                    yield (key, *tail)
        elif isinstance(doc, list):
            for index, item in enumerate(doc):
                for tail in _locations(item, rest):
                    yield (index, *tail)
    elif isinstance(doc, dict) and head in doc:
        for tail in _locations(doc[head], rest):
            yield (head, *tail)


def _anchors(doc: dict[str, Any], c: Constraint) -> list[Loc]:
    """Where a breaker can act: the value, the member to remove, or the map key to rename."""
    template = (*c.path, "*") if c.target == "key" else c.path
    found = list(_locations(doc, template))
    if c.keyword == "additionalProperties" or c.keyword in ("minProperties", "maxProperties"):
        found = [loc for loc in found if isinstance(_get(doc, loc), dict)]
    return found[:8]


def _fit_length(text: str, low: int, high: int | None) -> str:
    if high is not None and len(text) > high:
        text = text[:high]
    return text + "a" * (low - len(text)) if len(text) < low else text


def _string_candidates(node: JSONSchema, old: str, keyword: str) -> Iterator[str]:
    low, high = node.get("minLength", 0), node.get("maxLength")
    if keyword == "minLength":
        size = node["minLength"] - 1
        yield old[:size]
        if size:
            yield old[-size:]
        yield "a" * size
    elif keyword == "maxLength":
        size = node["maxLength"] + 1
        pad = size - len(old)
        if "@" in old and pad > 0:
            at = old.index("@")
            yield old[:at] + (old[at - 1] if at else "a") * pad + old[at:]
        if pad > 0:
            yield old + "a" * pad
            yield "a" * pad + old
        yield "a" * size
    elif keyword == "pattern":
        pattern = node["pattern"]
        raw: list[str] = []
        if "@" in old:
            raw.append(old.replace("@", ""))
        # a negative lookahead names a reserved prefix: use it ("aws:" for tag keys)
        raw.extend(lit + old for lit in regex.findall(r"\(\?!([^()\[\]\\|*+?{}]+)\)", pattern))
        raw.extend([" " + old, old[:1] + "\u200b" + old[1:], "#" + old[1:], "\u0007" + old, " " * max(1, len(old))])
        for candidate in raw:
            yield _fit_length(candidate, low, high)
    elif keyword == "enum":
        for candidate in (old.lower(), old.capitalize(), old.lower().replace("_", "-"), old + "_X", "UNKNOWN"):
            yield _fit_length(candidate, low, high)


def _break_string(node: JSONSchema, old: Any, keyword: str) -> tuple[str, list[str]]:
    """A string that breaks ``keyword`` of ``node`` and, if possible, nothing else of it."""
    text = old if isinstance(old, str) else str(node.get("enum", [""])[0])
    first: tuple[str, list[str]] | None = None
    for candidate in _string_candidates(node, text, keyword):
        broken = _broken(node, candidate)
        if broken == [keyword]:
            return candidate, []
        if keyword in broken and first is None:
            first = (candidate, [b for b in broken if b != keyword])
    if first is None:  # pragma: no cover - every keyword has an always-breaking last candidate
        raise ValueError(f"cannot break {keyword} of {node.get('x-shape')}")
    return first


def _wrong_type(node: JSONSchema, value: Any) -> Any:
    """A value of another JSON type, shaped like a real mistake (a number for a string, one item for a list)."""
    kind = node.get("type")
    if kind == "string":
        return 4711
    if kind in ("integer", "number"):
        return str(value)
    if kind == "boolean":
        return "true"
    if kind == "array":
        return value[0] if value and not isinstance(value[0], list) else "not-a-list"
    if kind == "object":
        return [value]
    return True  # a timestamp (number or string) gets a boolean


def _mutate(ctx: _Context, doc: dict[str, Any], loc: Loc, c: Constraint) -> tuple[str, list[str]] | None:
    """Break ``c`` at ``loc`` in place; return the pointer the validator will report and other local breaks."""
    keyword = c.keyword
    if c.target == "key":
        mapping = _get(doc, loc[:-1])
        old = str(loc[-1])
        keys = ctx.view.node_at(loc[:-1]).get("propertyNames", {})
        new_key, key_extra = _break_string(keys, old, keyword)
        if new_key in mapping:
            return None
        _rename(mapping, old, new_key)
        return _pointer((*loc[:-1], new_key)), key_extra
    if keyword == "required":
        del _get(doc, loc[:-1])[loc[-1]]
        return _pointer(loc), []
    if keyword == "additionalProperties":
        target = _get(doc, loc)
        target[UNKNOWN_MEMBER] = "unexpected"
        return _pointer((*loc, UNKNOWN_MEMBER)), []
    node = ctx.view.node_at(loc)
    value = _get(doc, loc)
    extra: list[str] = []
    new: Any
    if keyword == "type":
        new = _wrong_type(node, value)
        extra = [b for b in _broken(node, new) if b != keyword]
    elif keyword in _STRING_KEYWORDS:
        new, extra = _break_string(node, value, keyword)
    elif keyword in ("minimum", "maximum"):
        new = node[keyword] - 1 if keyword == "minimum" else node[keyword] + 1
        extra = [b for b in _broken(node, new) if b != keyword]
    elif keyword == "format":
        new = "not-a-timestamp"
    elif keyword == "minItems":
        new = value[: node["minItems"] - 1]
    elif keyword == "maxItems":
        items = value or [ctx.factory.value(node["items"], "", ())]
        new = [copy.deepcopy(items[i % len(items)]) for i in range(node["maxItems"] + 1)]
    elif keyword == "minProperties":
        new = dict(list(value.items())[: node["minProperties"] - 1])
    elif keyword == "maxProperties":
        new = dict(value)
        if node.get("x-union"):
            for member, sub in node["properties"].items():
                if len(new) > node["maxProperties"]:
                    break
                new.setdefault(member, ctx.factory.value(sub, member, ()))
        else:
            keys = node.get("propertyNames", {})
            template = next(iter(value.values()), None)
            while len(new) <= node["maxProperties"]:
                key = ctx.factory.key(keys, new)
                fresh = copy.deepcopy(template) if template is not None else None
                new[key] = fresh if fresh is not None else ctx.factory.value(node["additionalProperties"], "", ())
    else:  # pragma: no cover - _walk lists no other keyword
        raise ValueError(f"no breaker for keyword {keyword!r}")
    if loc:
        _get(doc, loc[:-1])[loc[-1]] = new
    return _pointer(loc), extra


def _isolate(ctx: _Context, doc: dict[str, Any], loc: Loc, c: Constraint) -> Loc:
    """Keep only the entries on ``loc`` in every map and list it passes through; minimise a renamed key's value."""
    out: list[Part] = []
    for depth, part in enumerate(loc):
        container = _get(doc, out)
        node = ctx.view.node_at(out)
        if isinstance(container, dict) and _is_map(node) and node.get("minProperties", 0) <= 1:
            kept = container[part]
            container.clear()
            container[part] = kept
        elif isinstance(container, list) and node.get("minItems", 0) <= 1 and depth < len(loc):
            kept = container[int(part)]
            container[:] = [kept]
            part = 0
        out.append(part)
    if c.target == "key":
        value_node = ctx.view.node_at(out)
        if value_node.get("type") == "string" and not value_node.get("pattern") and not value_node.get("enum"):
            _get(doc, out[:-1])[out[-1]] = "a" * value_node.get("minLength", 0)
    return tuple(out)


def _attempt(ctx: _Context, c: Constraint) -> _Outcome:
    if c.target == "rule":
        return _attempt_rule(ctx, c)
    conflict: tuple[dict[str, Any], tuple[str, ...]] | None = None
    anchors = _anchors(ctx.base, c)
    for isolate in (False, True):
        for anchor in anchors:
            doc = copy.deepcopy(ctx.base)
            loc = _isolate(ctx, doc, anchor, c) if isolate else anchor
            result = _mutate(ctx, doc, loc, c)
            if result is None:
                continue
            pointer, local = result
            if local:
                others = ", ".join(local)
                return _Outcome(
                    c, [], f"breaking it also breaks {others} of the same member", tuple(local), witness=doc
                )
            extra = tuple(dict.fromkeys(rule for rule, where in _doc_findings(ctx.operation, doc) if where != pointer))
            if not extra:
                return _Outcome(c, [InvalidCase(c.keyword, pointer, doc)])
            if conflict is None:
                conflict = (doc, extra)
    if conflict is not None:
        doc, extra = conflict
        return _Outcome(c, [], f"breaking it also breaks doc rule {', '.join(extra)}", extra, witness=doc)
    return _Outcome(c, [], "the fill='all' request has no value at this path to break")


# -- Doc rules: breakers (invalid data) ------------------------------------------------------------

Breaker = Callable[[_Context], Iterator[tuple[str, dict[str, Any]]]]

_BREAKERS: dict[str, Breaker] = {}


def _breaker(*rule_ids: str) -> Callable[[Breaker], Breaker]:
    def register(breaker: Breaker) -> Breaker:
        for rule_id in rule_ids:
            _BREAKERS[rule_id] = breaker
        return breaker

    return register


def _fresh_map(ctx: _Context, member: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """A copy of the base request and its map ``member`` (made if the base lacks it)."""
    doc = copy.deepcopy(ctx.base)
    if not isinstance(doc.get(member), dict):
        doc[member] = {}
    return doc, doc[member]


def _first_reference(ctx: _Context, doc: dict[str, Any], refs: dict[str, Any], kind: str | None = None) -> str:
    for key, ref in refs.items():
        if kind is None or ref.get("Type") == kind:
            return key
    key = ctx.factory.key(ctx.view.node_at(("References",)).get("propertyNames", {}), refs)
    refs[key] = {"Type": kind or "STRING", "Value": ctx.factory.provider.connect_reference_value(kind or "STRING")}
    return key


@_breaker("START-REF-001")
def _break_reference_type(ctx: _Context) -> Iterator[tuple[str, dict[str, Any]]]:
    doc, refs = _fresh_map(ctx, "References")
    key = _first_reference(ctx, doc, refs, "URL")
    enum = ctx.view.node_at(("References", "*", "Type"))["enum"]
    refused = [t for t in enum if t not in rules.CREATION_REFERENCE_TYPES]
    refs[key]["Type"] = "ATTACHMENT" if "ATTACHMENT" in refused else refused[0]
    yield _pointer(("References", key, "Type")), doc


def _over_budget(ctx: _Context, member: str, limit: int, new_key: str, wrap: Callable[[str], Any]) -> dict[str, Any]:
    """The base request with one more entry in ``member`` so that keys + values are ``limit + 1`` bytes."""
    doc, mapping = _fresh_map(ctx, member)
    new_key = next(k for k in (new_key, *(f"{new_key}{i}" for i in range(2, 1000))) if k not in mapping)

    def size(value: Any) -> int:
        text = value.get("Value") if isinstance(value, dict) else value
        return _utf8(text) if isinstance(text, str) else 0

    while mapping and sum(_utf8(k) + size(v) for k, v in mapping.items()) + _utf8(new_key) > limit:
        mapping.pop(next(reversed(mapping)))
    used = sum(_utf8(k) + size(v) for k, v in mapping.items()) + _utf8(new_key)
    mapping[new_key] = wrap(_text_of_bytes(limit + 1 - used, "Rückruf erwünscht, Lieferung beschädigt – "))
    return doc


@_breaker("START-REF-002")
def _break_reference_bytes(ctx: _Context) -> Iterator[tuple[str, dict[str, Any]]]:
    doc = _over_budget(
        ctx, "References", rules.REFERENCES_BYTE_LIMIT, "customerNote", lambda text: {"Type": "STRING", "Value": text}
    )
    yield "/References", doc


@_breaker("START-REF-003")
def _break_date_reference(ctx: _Context) -> Iterator[tuple[str, dict[str, Any]]]:
    for bad in ("2026-01-15T09:30:00Z", "17684697000000"):  # ISO 8601, and one digit more than 13
        doc, refs = _fresh_map(ctx, "References")
        key = _first_reference(ctx, doc, refs, "DATE")
        refs[key]["Value"] = bad
        yield _pointer(("References", key, "Value")), doc


@_breaker("START-ATTR-001")
def _break_attribute_bytes(ctx: _Context) -> Iterator[tuple[str, dict[str, Any]]]:
    yield "/Attributes", _over_budget(ctx, "Attributes", rules.ATTRIBUTES_BYTE_LIMIT, "customerNote", str)


@_breaker("START-ATTR-002")
def _break_attribute_key(ctx: _Context) -> Iterator[tuple[str, dict[str, Any]]]:
    doc, attrs = _fresh_map(ctx, "Attributes")
    attrs["order.number"] = "4711"
    yield _pointer(("Attributes", "order.number")), doc


@_breaker("START-SEG-001")
def _break_segment_key(ctx: _Context) -> Iterator[tuple[str, dict[str, Any]]]:
    doc, segments = _fresh_map(ctx, "SegmentAttributes")
    segments["custom:priority"] = {"ValueString": "high"}
    yield _pointer(("SegmentAttributes", "custom:priority")), doc


@_breaker("START-SEG-002")
def _break_contact_expiry(ctx: _Context) -> Iterator[tuple[str, dict[str, Any]]]:
    where = ("SegmentAttributes", rules.CONTACT_EXPIRY_KEY)
    doc, segments = _fresh_map(ctx, "SegmentAttributes")
    segments[rules.CONTACT_EXPIRY_KEY] = {"ValueMap": {"ExpiryDuration": {"ValueInteger": 0}}}  # one under 1 minute
    yield _pointer((*where, "ValueMap", "ExpiryDuration", "ValueInteger")), doc
    doc, segments = _fresh_map(ctx, "SegmentAttributes")
    segments[rules.CONTACT_EXPIRY_KEY] = {"ValueString": "135"}  # minutes, but not as a ValueMap
    yield _pointer(where), doc


@_breaker("START-MSG-001")
def _break_content_type(ctx: _Context) -> Iterator[tuple[str, dict[str, Any]]]:
    doc = copy.deepcopy(ctx.base)
    doc["EmailMessage"]["RawMessage"]["ContentType"] = "text/html; charset=UTF-8"
    yield "/EmailMessage/RawMessage/ContentType", doc


@_breaker("START-MSG-002")
def _break_raw_message(ctx: _Context) -> Iterator[tuple[str, dict[str, Any]]]:
    doc = copy.deepcopy(ctx.base)
    del doc["EmailMessage"]["RawMessage"]
    yield "/EmailMessage/RawMessage", doc


@_breaker("DISASSOC-ALIAS-001", "ASSOC-ALIAS-001")
def _break_self_alias(ctx: _Context) -> Iterator[tuple[str, dict[str, Any]]]:
    for same in (str, str.upper):  # the primary id itself, and in capitals (ids compare case-insensitively)
        doc = copy.deepcopy(ctx.base)
        doc["AliasConfiguration"]["EmailAddressId"] = same(doc["EmailAddressId"])
        yield "/AliasConfiguration/EmailAddressId", doc


def _attempt_rule(ctx: _Context, c: Constraint) -> _Outcome:
    breaker = _BREAKERS.get(c.keyword)
    if breaker is None:
        return _Outcome(c, [], "no breaker is registered for this doc rule in pytest_connect_email.fakes")
    cases: list[InvalidCase] = []
    for pointer, doc in breaker(ctx):
        if _doc_findings(ctx.operation, doc) == [(c.keyword, pointer)]:
            cases.append(InvalidCase(c.keyword, pointer, doc))
    if cases:
        return _Outcome(c, cases)
    return _Outcome(c, [], "the breaker's requests break other rules too")


def _resolve_constraint(operation: str, constraint: Constraint | str) -> Constraint:
    known = _constraints(operation)
    if isinstance(constraint, Constraint):
        if constraint in known:
            return constraint
    elif isinstance(constraint, str):
        for c in known:
            if c.id == constraint:
                return c
    else:
        raise TypeError(f"constraint must be a Constraint or its id, not {type(constraint).__name__}")
    raise ValueError(f"{operation} has no constraint {constraint!r}; see fakes.constraints({operation!r})")


def cases_for(operation: str, constraint: Constraint | str, seed: int = 0) -> tuple[InvalidCase, ...]:
    """The invalid cases that break exactly ``constraint`` (empty when it cannot break alone)."""
    name = spec.resolve_operation(operation)
    _check_seed(seed)
    c = _resolve_constraint(name, constraint)
    return tuple(_attempt(_context(name, seed), c).cases)


def _outcomes(operation: str, seed: int) -> Iterator[_Outcome]:
    ctx = _context(operation, seed)
    for c in _constraints(operation):
        yield _attempt(ctx, c)


def invalid_cases(operation: str, seed: int = 0) -> Iterator[InvalidCase]:
    """Requests that each break exactly one rule, with the JSON pointer the validator reports."""
    name = spec.resolve_operation(operation)
    _check_seed(seed)
    return (case for outcome in _outcomes(name, seed) for case in outcome.cases)


def invalid_requests(operation: str, seed: int = 0) -> Iterator[tuple[str, dict[str, Any]]]:
    """``(rule_id, request)`` pairs: ``for rule, request in invalid_requests("StartEmailContact")``."""
    return ((case.rule, case.request) for case in invalid_cases(operation, seed))


def coverage(operation: str, seed: int = 0) -> dict[str, Any]:
    """Which constraints of an operation's request the invalid cases break, and why the others cannot be.

    ``{"operation", "constraints": count, "covered": [id, ...], "not_covered": {id: {"reason",
    "also_breaks": [rules that necessarily break with it], "witness": request or None}}}``.
    """
    name = spec.resolve_operation(operation)
    _check_seed(seed)
    covered: list[str] = []
    missing: dict[str, Any] = {}
    total = 0
    for outcome in _outcomes(name, seed):
        total += 1
        if outcome.cases:
            covered.append(outcome.constraint.id)
        else:
            missing[outcome.constraint.id] = {
                "reason": outcome.reason,
                "also_breaks": list(outcome.also_breaks),
                "witness": outcome.witness,
            }
    return {"operation": name, "constraints": total, "covered": covered, "not_covered": missing}


@functools.cache
def _covered(operation: str) -> tuple[Constraint, ...]:
    return tuple(o.constraint for o in _outcomes(operation, 0) if o.cases)


def covered_constraints(operation: str) -> tuple[Constraint, ...]:
    """The constraints that :func:`invalid_cases` breaks alone (computed once per process, seed 0)."""
    return _covered(spec.resolve_operation(operation))
