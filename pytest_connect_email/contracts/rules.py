"""Doc rules: what the AWS documentation states and no model constraint carries.

Each rule is a small named checker with a stable id, the operations it applies to, the exact
sentence of the reference page it enforces, and — where the page is ambiguous — the choice we made
and why. Ids never change meaning once published; a rule that must change gets a new id.

A checker receives the request parameters (already known to be a mapping) and the JSON pointers of
values it must leave alone, and yields ``Finding``s. The validator passes the pointers where the
model already refuses a value (over its ``maxLength``, inside a list over its ``maxItems``, of the
wrong type), so a doc rule judges only values within their model limits: a value over its
``maxLength`` is that violation and no rule's, and no rule's cost grows with a value the model
refuses. Each check is also linear in what it reads (no backtracking regular expression on a value).
Checkers are defensive: a member of the wrong type is the schema's business, so a checker skips what
it cannot read instead of reporting it a second time. The validator also drops a finding at a
pointer where the model's schema already reports a violation (an unknown reference type is the
model's ``enum`` violation, not START-REF-001's), so one mistake in a request is reported under
exactly one rule.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Container, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

Params = Mapping[str, Any]
#: JSON pointers of the values a checker does not judge (see the module docstring).
Skip = Container[str]
NOTHING: Skip = frozenset()


@dataclass(frozen=True)
class Finding:
    """One breach of a doc rule: where it is, what was expected, what was found."""

    pointer: str
    expected: str
    actual: str


class Checker(Protocol):
    def __call__(self, params: Params, skip: Skip = ..., /) -> Iterator[Finding]: ...


@dataclass(frozen=True)
class DocRule:
    id: str
    operations: tuple[str, ...]
    #: The sentence of the reference page, verbatim.
    sentence: str
    #: How to repair a request that breaks the rule.
    fix: str
    check: Checker
    #: Where the page is ambiguous: what we chose and why.
    choice: str = ""
    #: The request members the rule reads (for tools that build or mutate requests).
    members: tuple[str, ...] = ()


RULES: dict[str, DocRule] = {}


def rule(
    rule_id: str,
    *,
    operations: tuple[str, ...],
    sentence: str,
    fix: str,
    choice: str = "",
    members: tuple[str, ...] = (),
) -> Callable[[Checker], Checker]:
    """Register a checker under a stable id; a duplicate id is refused."""

    def register(check: Checker) -> Checker:
        if rule_id in RULES:
            raise ValueError(f"doc rule id {rule_id!r} is already registered")
        RULES[rule_id] = DocRule(
            id=rule_id,
            operations=operations,
            sentence=" ".join(sentence.split()),
            fix=fix,
            check=check,
            choice=" ".join(choice.split()),
            members=members,
        )
        return check

    return register


def rules_for(operation: str) -> tuple[DocRule, ...]:
    """The doc rules that apply to an operation (model name), in id order."""
    return _BY_OPERATION.get(operation, ())


def _pointer(*parts: str) -> str:
    return "".join("/" + p.replace("~", "~0").replace("/", "~1") for p in parts)


def _utf8(text: str) -> int:
    return len(text.encode("utf-8", "surrogatepass"))


def _mapping(params: Params, key: str) -> Mapping[str, Any]:
    value = params.get(key)
    return value if isinstance(value, Mapping) else {}


# -- StartEmailContact -----------------------------------------------------------------------------

START = ("StartEmailContact",)

#: Reference types the page allows when an email contact is created.
CREATION_REFERENCE_TYPES = ("URL", "NUMBER", "STRING", "DATE")


@rule(
    "START-REF-001",
    operations=START,
    sentence="Emails can have the following reference types at the time of creation: URL | NUMBER | STRING | DATE.",
    fix="use a reference Type of URL, NUMBER, STRING or DATE",
    choice="""The model's ReferenceType enum has more values (ATTACHMENT, EMAIL, EMAIL_MESSAGE, ...); the
    page says EMAIL | EMAIL_MESSAGE | ATTACHMENT are not supported at creation and lists only four that
    are, so every other model value is refused too.""",
    members=("References",),
)
def _reference_types(params: Params, skip: Skip = NOTHING) -> Iterator[Finding]:
    for key, ref in _mapping(params, "References").items():
        kind = ref.get("Type") if isinstance(ref, Mapping) else None
        if isinstance(kind, str) and kind not in CREATION_REFERENCE_TYPES:
            where = _pointer("References", str(key), "Type")
            if where not in skip:
                yield Finding(where, "one of URL, NUMBER, STRING, DATE", repr(kind))


REFERENCES_BYTE_LIMIT = 4096


@rule(
    "START-REF-002",
    operations=START,
    sentence="You can have up to 4,096 UTF-8 bytes across all references for a contact.",
    fix="shorten reference names or values, or send fewer references",
    choice="""The page does not say what a reference's bytes are. We count the UTF-8 bytes of each
    reference's name (its map key) and of its Value; Type and Status are enum tokens, and Arn and
    StatusReason are set by the service, so they are not counted.""",
    members=("References",),
)
def _references_bytes(params: Params, skip: Skip = NOTHING) -> Iterator[Finding]:
    refs = _mapping(params, "References")
    total = 0
    for key, ref in refs.items():
        total += _utf8(str(key))
        value = ref.get("Value") if isinstance(ref, Mapping) else None
        if isinstance(value, str):
            total += _utf8(value)
    if total > REFERENCES_BYTE_LIMIT:
        yield Finding(_pointer("References"), f"at most {REFERENCES_BYTE_LIMIT} UTF-8 bytes", f"{total} bytes")


_EPOCH = re.compile(r"[0-9]{1,13}")


@rule(
    "START-REF-003",
    operations=START,
    sentence="The type of the reference. DATE must be of type Epoch timestamp.",
    fix="give DATE references a Value of epoch seconds (or milliseconds) as decimal digits, e.g. '1767225600'",
    choice="""'Epoch timestamp' is read as a non-negative whole number of seconds or milliseconds since
    1970-01-01T00:00:00Z, written as 1 to 13 ASCII digits (13 digits reach the year 2286 in
    milliseconds). ISO 8601 dates, signs and fractions are refused. A DATE reference without a Value is
    left to the model, which does not require one.""",
    members=("References",),
)
def _date_references(params: Params, skip: Skip = NOTHING) -> Iterator[Finding]:
    for key, ref in _mapping(params, "References").items():
        if not isinstance(ref, Mapping) or ref.get("Type") != "DATE":
            continue
        value = ref.get("Value")
        where = _pointer("References", str(key), "Value")
        if isinstance(value, str) and where not in skip and not _EPOCH.fullmatch(value):
            yield Finding(where, "an epoch timestamp (1-13 digits)", repr(value))


ATTRIBUTES_BYTE_LIMIT = 32768


@rule(
    "START-ATTR-001",
    operations=START,
    sentence="There can be up to 32,768 UTF-8 bytes across all key-value pairs per contact.",
    fix="shorten attribute keys or values, or send fewer attributes",
    choice="The count is the UTF-8 bytes of every key plus every value of Attributes.",
    members=("Attributes",),
)
def _attributes_bytes(params: Params, skip: Skip = NOTHING) -> Iterator[Finding]:
    attrs = _mapping(params, "Attributes")
    total = sum(_utf8(str(k)) + (_utf8(v) if isinstance(v, str) else 0) for k, v in attrs.items())
    if total > ATTRIBUTES_BYTE_LIMIT:
        yield Finding(_pointer("Attributes"), f"at most {ATTRIBUTES_BYTE_LIMIT} UTF-8 bytes", f"{total} bytes")


_ATTRIBUTE_KEY = re.compile(r"[A-Za-z0-9_-]*")


@rule(
    "START-ATTR-002",
    operations=START,
    sentence="Attribute keys can include only alphanumeric, dash, and underscore characters.",
    fix="rename the attribute key to use only A-Z, a-z, 0-9, '-' and '_'",
    choice="""'Alphanumeric' is read as ASCII letters and digits, as in the rest of the Connect
    documentation on attribute names. An empty key is the model's minLength violation, not this rule's.""",
    members=("Attributes",),
)
def _attribute_keys(params: Params, skip: Skip = NOTHING) -> Iterator[Finding]:
    for key in _mapping(params, "Attributes"):
        if isinstance(key, str) and not _ATTRIBUTE_KEY.fullmatch(key):
            where = _pointer("Attributes", key)
            if where not in skip:
                yield Finding(where, "a key of A-Z, a-z, 0-9, '-' and '_' only", repr(key))


_SEGMENT_KEY = re.compile(r"connect:[A-Za-z0-9_-]+|[A-Za-z0-9_-]*")


@rule(
    "START-SEG-001",
    operations=START,
    sentence="Attribute keys can include only alphanumeric, -, and _.",
    fix="rename the segment attribute key to use only A-Z, a-z, 0-9, '-' and '_' (system keys: 'connect:' + name)",
    choice="""The page's own examples use system keys with a colon ("connect:Guide",
    "connect:ContactExpiry"), so the rule that fits both is: an optional 'connect:' namespace followed by
    ASCII letters, digits, '-' and '_'. Other namespaces are refused. The rule applies to the top-level
    SegmentAttributes keys; keys inside a ValueMap (such as ExpiryDuration) are left to the model.""",
    members=("SegmentAttributes",),
)
def _segment_keys(params: Params, skip: Skip = NOTHING) -> Iterator[Finding]:
    for key in _mapping(params, "SegmentAttributes"):
        if isinstance(key, str) and not _SEGMENT_KEY.fullmatch(key) and _pointer("SegmentAttributes", key) not in skip:
            yield Finding(
                _pointer("SegmentAttributes", key),
                "a key of A-Z, a-z, 0-9, '-' and '_', optionally prefixed with 'connect:'",
                repr(key),
            )


CONTACT_EXPIRY_KEY = "connect:ContactExpiry"


@rule(
    "START-SEG-002",
    operations=START,
    sentence="""To set contact expiry, a ValueMap must be specified containing the integer number of
    minutes the contact will be active for before expiring, with SegmentAttributes like
    { "connect:ContactExpiry": {"ValueMap" : { "ExpiryDuration": { "ValueInteger":135}}}}.""",
    fix="""set SegmentAttributes["connect:ContactExpiry"] to {"ValueMap": {"ExpiryDuration": {"ValueInteger": N}}}
    with N a positive whole number of minutes""",
    choice="""The value of connect:ContactExpiry must be exactly a ValueMap whose only entry is
    ExpiryDuration, itself exactly a ValueInteger of at least 1 minute: a zero or negative duration
    cannot keep a contact active, and any other member would be silently ignored by the service.""",
    members=("SegmentAttributes",),
)
def _contact_expiry(params: Params, skip: Skip = NOTHING) -> Iterator[Finding]:
    value = _mapping(params, "SegmentAttributes").get(CONTACT_EXPIRY_KEY)
    where = _pointer("SegmentAttributes", CONTACT_EXPIRY_KEY)
    if value is None or where in skip:
        return
    expected = '{"ValueMap": {"ExpiryDuration": {"ValueInteger": N}}} with N >= 1'
    if not isinstance(value, Mapping) or set(value) != {"ValueMap"} or not isinstance(value["ValueMap"], Mapping):
        yield Finding(where, expected, f"members {sorted(value) if isinstance(value, Mapping) else value!r}")
        return
    inner = value["ValueMap"]
    if set(inner) != {"ExpiryDuration"}:
        yield Finding(where + "/ValueMap", "exactly one entry, ExpiryDuration", f"entries {sorted(inner)}")
        return
    duration = inner["ExpiryDuration"]
    if not isinstance(duration, Mapping) or set(duration) != {"ValueInteger"}:
        got = sorted(duration) if isinstance(duration, Mapping) else duration
        yield Finding(where + "/ValueMap/ExpiryDuration", "exactly a ValueInteger", f"members {got!r}")
        return
    minutes = duration["ValueInteger"]
    if isinstance(minutes, int) and not isinstance(minutes, bool) and minutes < 1:
        yield Finding(where + "/ValueMap/ExpiryDuration/ValueInteger", "a whole number of minutes >= 1", str(minutes))


CONTENT_TYPES = ("text/plain", "text/html")


@rule(
    "START-MSG-001",
    operations=START,
    sentence="Type of content, that is, text/plain or text/html.",
    fix="set EmailMessage.RawMessage.ContentType to 'text/plain' or 'text/html'",
    choice="""Media types are case-insensitive (RFC 2045), so 'TEXT/HTML' is accepted; parameters such
    as '; charset=utf-8' are refused because the page names the bare types only.""",
    members=("EmailMessage",),
)
def _content_type(params: Params, skip: Skip = NOTHING) -> Iterator[Finding]:
    raw = _mapping(_mapping(params, "EmailMessage"), "RawMessage")
    value = raw.get("ContentType")
    if "/EmailMessage/RawMessage/ContentType" in skip:
        return
    if isinstance(value, str) and value and value.lower() not in CONTENT_TYPES:
        yield Finding("/EmailMessage/RawMessage/ContentType", "text/plain or text/html", repr(value))


@rule(
    "START-MSG-002",
    operations=START,
    sentence="The message source type, that is, RAW.",
    fix="add EmailMessage.RawMessage with Subject, Body and ContentType",
    choice="""The model makes RawMessage optional, but RAW is the only source type and the page says the
    message body travels in RawMessage ("The raw email body content."), so a RAW message without
    RawMessage has no body at all.""",
    members=("EmailMessage",),
)
def _raw_message(params: Params, skip: Skip = NOTHING) -> Iterator[Finding]:
    message = _mapping(params, "EmailMessage")
    if message.get("MessageSourceType") == "RAW" and "RawMessage" not in message:
        yield Finding("/EmailMessage/RawMessage", "present when MessageSourceType is RAW", "missing")


# -- Email address aliases -------------------------------------------------------------------------


def _self_alias(params: Params, skip: Skip = NOTHING) -> Iterator[Finding]:
    primary = params.get("EmailAddressId")
    alias = _mapping(params, "AliasConfiguration").get("EmailAddressId")
    if "/EmailAddressId" in skip or "/AliasConfiguration/EmailAddressId" in skip:
        return
    if isinstance(primary, str) and isinstance(alias, str) and primary.strip().lower() == alias.strip().lower():
        yield Finding(
            "/AliasConfiguration/EmailAddressId", "an email address id other than EmailAddressId", repr(alias)
        )


_SELF_ALIAS_CHOICE = """Ids are compared without surrounding blanks and case-insensitively: Connect ids
are UUIDs, for which case carries no meaning."""

rule(
    "DISASSOC-ALIAS-001",
    operations=("DisassociateEmailAddressAlias",),
    sentence="Removes the alias association between two email addresses in an Amazon Connect instance.",
    fix="set AliasConfiguration.EmailAddressId to the id of the alias address, not of the primary address",
    choice="An alias association joins two distinct addresses, so an address cannot be its own alias. "
    + _SELF_ALIAS_CHOICE,
    members=("EmailAddressId", "AliasConfiguration"),
)(_self_alias)

rule(
    "ASSOC-ALIAS-001",
    operations=("AssociateEmailAddressAlias",),
    sentence="""This creates a forwarding relationship where emails sent to the alias email address are
    automatically forwarded to the primary email address.""",
    fix="set AliasConfiguration.EmailAddressId to the id of another email address of the instance",
    choice="""The sentence is from the operation's documentation in the botocore model (there is no
    reference page for it here). Forwarding an address to itself is no relationship, so an address
    cannot be its own alias. """
    + _SELF_ALIAS_CHOICE,
    members=("EmailAddressId", "AliasConfiguration"),
)(_self_alias)


# -- Email addresses -------------------------------------------------------------------------------

#: Every email address member (model shape ``EmailAddress``) of the covered requests, as paths where
#: ``*`` stands for each item of a list. tests/test_rules.py holds this table to the model.
EMAIL_ADDRESS_MEMBERS: dict[str, tuple[tuple[str, ...], ...]] = {
    "CreateEmailAddress": (("EmailAddress",),),
    "SendOutboundEmail": (
        ("FromEmailAddress", "EmailAddress"),
        ("DestinationEmailAddress", "EmailAddress"),
        ("AdditionalRecipients", "CcEmailAddresses", "*", "EmailAddress"),
    ),
    "StartEmailContact": (
        ("FromEmailAddress", "EmailAddress"),
        ("DestinationEmailAddress",),
        ("AdditionalRecipients", "ToAddresses", "*", "EmailAddress"),
        ("AdditionalRecipients", "CcAddresses", "*", "EmailAddress"),
    ),
    "StartOutboundEmailContact": (
        ("FromEmailAddress", "EmailAddress"),
        ("DestinationEmailAddress", "EmailAddress"),
        ("AdditionalRecipients", "CcEmailAddresses", "*", "EmailAddress"),
    ),
    "UpdateContact": (("AdditionalRecipients", "CcEmailAddresses", "*", "EmailAddress"),),
}

#: The format the reference page gives (its text lost the backslashes: ``[^s@]+@[^s@]+.[^s@]+``).
#: To judge a whole value, use :func:`is_email_address`: this pattern's ``fullmatch`` backtracks
#: quadratically (``"a@" + "." * n + " "`` takes n² steps: 64 s for 128 KB).
EMAIL_ADDRESS_FORMAT = re.compile(r"[^\s@]+@[^\s@]+\.[^\s@]+")
_BLANK_OR_AT = re.compile(r"[\s@]")


def is_email_address(value: str) -> bool:
    """Whether the whole of ``value`` is one address in :data:`EMAIL_ADDRESS_FORMAT`, in linear time.

    ``local@domain`` split at the first ``@``: a non-empty local part, and a domain with a dot that
    has a character on each side; neither holds a blank (``\\s``, as the pattern reads it) or another
    ``@``. That is the pattern's ``fullmatch``, judged in a few passes that never backtrack.
    """
    local, at, domain = value.partition("@")
    return (
        bool(local and at)
        and "." in domain[1:-1]
        and _BLANK_OR_AT.search(local) is None
        and _BLANK_OR_AT.search(domain) is None
    )


_UNION = tuple(dict.fromkeys(t for ts in EMAIL_ADDRESS_MEMBERS.values() for t in ts))


def _collect(
    node: Any, template: tuple[str, ...], done: tuple[str, ...], out: list[tuple[tuple[str, ...], str]]
) -> None:
    """Append ``(path, value)`` for each string at ``template`` below ``node`` (``done``: the path to ``node``)."""
    for i, part in enumerate(template):
        if part == "*":
            if isinstance(node, (list, tuple)):
                rest = template[i + 1 :]
                for j, item in enumerate(node):
                    _collect(item, rest, (*done, *template[:i], str(j)), out)
            return
        if type(node) is not dict and not isinstance(node, Mapping):  # dict first: ABC checks are slow
            return
        node = node.get(part)
        if node is None:
            return
    if isinstance(node, str):
        out.append(((*done, *template), node))


def email_addresses(params: Params, operation: str | None = None) -> list[tuple[tuple[str, ...], str]]:
    """``(path, value)`` of every email address string in a request of ``operation``, or of any covered
    operation (their member paths do not clash: a path that does not fit a request finds nothing)."""
    out: list[tuple[tuple[str, ...], str]] = []
    for template in EMAIL_ADDRESS_MEMBERS.get(operation, ()) if operation else _UNION:
        _collect(params, template, (), out)
    return out


def _email_addresses(params: Params, skip: Skip = NOTHING) -> Iterator[Finding]:
    for path, value in email_addresses(params):
        where = _pointer(*path)
        if where not in skip and not is_email_address(value):
            yield Finding(where, "a whole address in [^\\s@]+@[^\\s@]+\\.[^\\s@]+ format", repr(value))


rule(
    "EMAIL-ADDR-001",
    operations=tuple(EMAIL_ADDRESS_MEMBERS),
    sentence="The email address with the instance, in [^s@]+@[^s@]+.[^s@]+ format.",
    fix="give the bare address only (local-part@domain.tld), without display name, blanks or other text",
    choice="""The page's text lost the backslashes of the model's pattern [^\\s@]+@[^\\s@]+\\.[^\\s@]+.
    The model's pattern is unanchored (Smithy semantics), so the model accepts a value in which an
    address only appears as a part ('Kunde <kunde@example.com>', 'a@b.c d@e.f'); "in ... format" is
    read as the whole value being one address in that format. It applies to every email address
    member (model shape EmailAddress) of the covered requests, whose documentation carries the
    same sentence.""",
    members=("FromEmailAddress", "DestinationEmailAddress", "AdditionalRecipients", "EmailAddress"),
)(_email_addresses)


def _index() -> dict[str, tuple[DocRule, ...]]:
    out: dict[str, list[DocRule]] = {}
    for doc_rule in sorted(RULES.values(), key=lambda r: r.id):
        for op in doc_rule.operations:
            out.setdefault(op, []).append(doc_rule)
    return {op: tuple(found) for op, found in out.items()}


_BY_OPERATION = _index()
