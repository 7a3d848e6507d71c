"""Valid fake data: the Faker provider and the schema walk that makes requests, responses and errors.

Valid data
----------
Nothing here restates the model. A request is made by walking the operation's committed JSON Schema
(:func:`pytest_connect_email.contracts.validator.load_schema`): structures (``properties``/``required``), ``$ref``
into ``$defs``, arrays, maps (``propertyNames`` + ``additionalProperties``), unions, strings with length
bounds, patterns and enums, integers with bounds, and timestamps. Every limit, enum and pattern is read
from the schema when the value is made. Realism comes from value generators picked by the model shape
name (``x-shape``, see ``_SHAPE_KINDS``) or, failing that, the member name (``...Id`` is a UUID,
``...Arn`` an ARN): display names and subjects in several languages and scripts, text/plain and
text/html bodies that match their ``ContentType``, presigned-URL-shaped S3 URLs, references of the
types allowed at creation, ``connect:ContactExpiry`` segment attributes. Every value is checked against
its schema node; when a realistic generator does not fit (say a later model shortens a limit), a plain
generator that reads the bounds takes over, and a pattern nothing can satisfy is a clear error.

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
"""

from __future__ import annotations

import base64
import datetime as _dt
import functools
import html
import json
import re
import unicodedata
import uuid
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import quote

from faker import Faker
from faker.providers import BaseProvider

from pytest_connect_email.contracts import rules, spec
from pytest_connect_email.fakes._schema import (
    FILLS,
    Direction,
    Fill,
    _Omit,
    _view,
    schema_view,
)
from pytest_connect_email.fakes.repair import _satisfy
from pytest_connect_email.fakes.walk import _ATTRIBUTE_SAMPLES, _EXAMPLE_DOMAINS, _SEGMENT_KEYS, _Factory, _plain, _utf8

if TYPE_CHECKING:
    import random


# -- Realistic material ----------------------------------------------------------------------------
# Test data, not model facts: the model holds no names, subjects or domains.


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

    def connect_sha256(self) -> str:
        """A SHA-256 checksum in hex (a flow's FlowContentSha256)."""
        return f"{self._rng.getrandbits(256):064x}"

    def connect_flow_content(self) -> str:
        """A flow in the flow language: one action that ends the contact (what a PUBLISHED flow must be)."""
        action = self._rng.choice(("DisconnectParticipant", "EndFlowExecution"))
        ident = self.connect_id()
        return json.dumps(
            {
                "Version": "2019-10-30",
                "StartAction": ident,
                "Metadata": {},
                "Actions": [{"Identifier": ident, "Type": action, "Parameters": {}, "Transitions": {}}],
            }
        )

    def connect_time_zone(self) -> str:
        """An IANA time zone name ('Europe/Berlin')."""
        return self._rng.choice(("UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo", "Australia/Sydney"))

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
