"""Pure scrubbing functions: what must never reach a cassette on disk, and how to put it back.

- **Credentials and signatures**: headers and query parameters whose name says key, token,
  signature, secret, credential, session, cookie or authorization are dropped.
- **Account ids** in ARNs (and in members named ``AccountId``/``OwnerId``) become
  :data:`FAKE_ACCOUNT_ID`.
- **Personal values, by meaning**: every value under a schema node marked ``x-sensitive`` (the
  model's ``sensitive`` trait) and every value of a member that holds a person's data whatever the
  model says (:data:`PERSONAL_MEMBERS`: display names, subjects, bodies, descriptions, endpoint
  addresses — so ``DescribeContact``'s ``CustomerEndpoint``, ``SystemEndpoint`` and
  ``AdditionalEmailRecipients`` too), every email address anywhere, and any text that repeats a value
  already scrubbed (an error message echoing a name) is replaced by a fake of the same kind that
  still meets the member's constraints.

**Fakes are numbered, not hashed**: the first real address a cassette meets becomes
``person-1@scrubbed.example.com``, the next ``person-2@...``, the first display name
``scrubbed-name-1``, and so on. The fake is a function of the order in which values first appear in
that one cassette, never of the value itself: no digest, no key, nothing to test a guessed value
against, and ``person-1`` in one cassette has nothing to do with ``person-1`` in another. Within a
cassette the same real value is the same fake everywhere (requests and answers). Replay scrubs the
test's live requests with a fresh :class:`Scrubber` in the order it sends them, so the same test
gives the same numbers and finds its recordings; the scrubber remembers fake -> original and puts
the test's own values back into the answers it replays. Addresses at the example domains are no
one's and stay as they are.

Cassettes recorded before this scheme hold fakes derived from an unsalted SHA-256 of the value
(``user-<12 hex>@example.com``): a scrubber that notices them (:meth:`Scrubber.notice`) keeps making
fakes that way, so those cassettes still replay; record them again to drop them.

Nothing here knows about vcrpy or HTTP.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections.abc import Iterable, Mapping
from typing import Any

from pytest_connect_email.contracts import validator

FAKE_ACCOUNT_ID = "123456789012"
SCRUB_NAME = re.compile(r"auth|token|signature|secret|credential|session|cookie|password|api-?key", re.I)
_ARN_ACCOUNT = re.compile(r"(arn:aws[a-z-]*:[a-z0-9-]*:[a-z0-9-]*:)(\d{12})(?=[:/])")
_ACCOUNT_MEMBERS = frozenset({"AccountId", "OwnerId", "OwnerAccountId"})

#: Members that hold a person's data wherever they appear, marked ``sensitive`` by the model or not
#: (``EndpointInfo.DisplayName`` and ``.Address`` of ``DescribeContact`` are not).
PERSONAL_MEMBERS = frozenset(
    {"DisplayName", "Subject", "Body", "Description", "Address", "EmailAddress", "DestinationEmailAddress"}
)
_NAME_SHAPES = frozenset({"EmailAddressDisplayName", "Name", "EndpointDisplayName"})
#: A value repeated inside other text is replaced there too when it is at least this long (shorter
#: ones would hit unrelated text) and at most this long (the pattern of known values stays small).
_ECHO_MIN, _ECHO_MAX = 5, 1024

# The look-behind lets a match start only where a run of local-part characters starts: without it a
# long run with no '@' (or a long domain with no dot) is rescanned from every position, quadratically
# (100 KB took 27 s); with it every text is scanned in linear time, and the matches are the same.
EMAIL = re.compile(r"(?<![A-Za-z0-9._%+'-])[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
EXAMPLE_DOMAINS = ("example.com", "example.org", "example.net")

_FAKE = re.compile(
    r"person-\d+@scrubbed\.example\.com|scrubbed-(?:name|subject|body|alias|text)-\d+x*|scrubbed-file-\d+\.[^.]{1,8}"
    r"|https://example\.com/scrubbed/\d+|scrubbed\d+x*"
)
# The old scheme's fakes that no real value looks like: seeing one tells a cassette of that scheme.
LEGACY_MARK = re.compile(
    r"user-[0-9a-f]{12}@example\.com|scrubbed-[0-9a-f]{16}x*|file-[0-9a-f]{10}\.[^.\s\"']{1,8}"
    r"|https://example\.com/scrubbed/[0-9a-f]{16}|(?<![\w-])s[0-9a-f]{15}(?![\w-])"
)
_GIVEN = ("Alex", "Sam", "Noor", "Mika", "Jules", "Ren", "Ola", "Kim", "Eli", "Ada")
_FAMILY = ("Berg", "Costa", "Dahl", "Ivers", "Lund", "Moreau", "Novak", "Ortiz", "Sato", "Weber")
_LEGACY_FAKE = re.compile(
    r"user-[0-9a-f]{12}@example\.com|scrubbed-[0-9a-f]{1,16}x*|s[0-9a-f]{1,15}x*|file-[0-9a-f]{10}\.[^.]{1,8}"
    r"|https://example\.com/scrubbed/[0-9a-f]{16}|(?:" + "|".join(_GIVEN) + ") (?:" + "|".join(_FAMILY) + ")"
)
# A JSON text read as tokens, for a body over the budgets of .limits: string literals (possibly
# unterminated), punctuation, and runs of anything else; each token is matched once, so linear.
_JSON_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?|[{}\[\]:,]|[^"{}\[\]:,]+', re.S)


def is_example_address(address: str) -> bool:
    """Whether an address is at example.com, .org or .net (or a subdomain): the only ones we write."""
    domain = address.rsplit("@", 1)[-1].lower()
    return any(domain == d or domain.endswith("." + d) for d in EXAMPLE_DOMAINS)


def is_fake(value: str) -> bool:
    """Whether a value is one of our fakes, numbered or of the old hashed scheme's unmistakable forms
    (scrubbing must be idempotent: the save hook sees recorded answers again)."""
    return bool(_FAKE.fullmatch(value) or LEGACY_MARK.fullmatch(value))


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


def _fit(text: str, node: Mapping[str, Any]) -> str:
    low, high = int(node.get("minLength", 0)), node.get("maxLength")
    if high is not None:
        text = text[: int(high)]
    return text + "x" * max(0, low - len(text))


def _fits_pattern(text: str, node: Mapping[str, Any]) -> bool:
    return "pattern" not in node or bool(validator.compile_pattern(node["pattern"]).search(text))


def _extension(name: str) -> str:
    """A file name's short extension, kept in its fake (``bin`` when it has none of at most 7 characters)."""
    return name.rsplit(".", 1)[-1] if "." in name[-8:] else "bin"


def legacy_fake_for(value: str, node: Mapping[str, Any]) -> str:
    """The old scheme's fake (an unsalted SHA-256 of the value): linkable, kept only so that cassettes
    recorded with it still replay. Never used for a cassette that does not hold such fakes already."""
    if _LEGACY_FAKE.fullmatch(value):
        return value
    digest = _digest(value)
    shape = str(node.get("x-shape", ""))
    if shape == "EmailAddress" or (("@" in value) and shape in ("", "EndpointAddress")):
        fake = f"user-{digest[:12]}@example.com"
    elif shape in _NAME_SHAPES:
        number = int(digest[:8], 16)
        fake = f"{_GIVEN[number % 10]} {_FAMILY[(number // 10) % 10]}"
    elif shape == "FileName":
        fake = f"file-{digest[:10]}.{_extension(value)}"
    elif shape == "PreSignedAttachmentUrl":
        fake = f"https://example.com/scrubbed/{digest[:16]}"
    elif "pattern" in node:
        fake = f"s{digest[:15]}"
    else:
        fake = f"scrubbed-{digest[:16]}"
    fake = _fit(fake, node)
    if not _fits_pattern(fake, node):
        fake = _fit(f"s{digest[:15]}", node)
    return fake


#: Kept for callers of the former name, which made the old scheme's fakes.
fake_for = legacy_fake_for


def _kind(value: str, node: Mapping[str, Any], member: str) -> str:
    shape = str(node.get("x-shape", ""))
    if shape == "EmailAddress" or member in ("EmailAddress", "DestinationEmailAddress") or EMAIL.fullmatch(value):
        return "address"
    if shape in _NAME_SHAPES or member in ("DisplayName", "Name"):
        return "name"
    if shape == "FileName":
        return "file"
    if shape == "PreSignedAttachmentUrl":
        return "url"
    if shape == "DirectoryAlias":
        return "alias"
    if member in ("Subject", "Body"):
        return member.lower()
    return "text"


def scrub_account_ids(text: str) -> str:
    return _ARN_ACCOUNT.sub(lambda m: m.group(1) + FAKE_ACCOUNT_ID, text)


def sensitive_members(schema: Mapping[str, Any]) -> frozenset[str]:
    """The member names of a schema whose values are personal: :data:`PERSONAL_MEMBERS` and every
    member the model marks ``sensitive`` (for scrubbing a body that cannot be read as a document)."""
    names = set(PERSONAL_MEMBERS)
    defs = schema.get("$defs", {})
    for node in [schema, *defs.values()]:
        for name, child in (node.get("properties") or {}).items() if isinstance(node, Mapping) else ():
            target = defs.get(str(child.get("$ref", "")).rsplit("/", 1)[-1], {}) if "$ref" in child else child
            if child.get("x-sensitive") or (isinstance(target, Mapping) and target.get("x-sensitive")):
                names.add(str(name))
    return frozenset(names)


class Scrubber:
    """Scrubs the documents of one cassette, numbering its fakes, and remembers fake -> original for
    the request side (:meth:`restore`). One scrubber per cassette: numbers mean nothing across them."""

    def __init__(self, *, legacy: bool = False) -> None:
        self.originals: dict[str, str] = {}
        #: The cassette holds the old scheme's fakes: make (and recognise) fakes that way.
        self.legacy = legacy
        self._fakes: dict[str, str] = {}
        self._numbers: dict[str, int] = {}
        self._counts: dict[str, int] = {}
        self._lock = threading.RLock()
        self._echo: re.Pattern[str] | None = None
        self._echo_size = 0
        self._back: re.Pattern[str] | None = None
        self._back_size = 0

    def notice(self, text: str) -> None:
        """Look at a loaded cassette's text: the old scheme's fakes switch this scrubber to it, so the
        cassette's live requests are scrubbed as it was (before any fake is numbered)."""
        if not self._fakes and LEGACY_MARK.search(text):
            self.legacy = True

    def is_fake(self, value: str) -> bool:
        return is_fake(value) or bool(self.legacy and _LEGACY_FAKE.fullmatch(value))

    def fake(self, value: str, node: Mapping[str, Any], member: str = "") -> str:
        """The fake of one personal value: the same for the same value throughout this scrubber."""
        if self.legacy:
            return legacy_fake_for(value, node)
        if value == "" or self.is_fake(value) or (EMAIL.fullmatch(value) and is_example_address(value)):
            return value
        with self._lock:
            if value not in self._fakes:
                kind = _kind(value, node, member)
                number = self._counts[kind] = self._counts.get(kind, 0) + 1
                if kind == "address":
                    base = f"person-{number}@scrubbed.example.com"
                elif kind == "file":
                    base = f"scrubbed-file-{number}.{_extension(value)}"
                elif kind == "url":
                    base = f"https://example.com/scrubbed/{number}"
                else:
                    base = f"scrubbed-{kind}-{number}"
                self._fakes[value], self._numbers[value] = base, number
            base, number = self._fakes[value], self._numbers[value]
        fake = _fit(base, node)
        if not _fits_pattern(fake, node):
            fake = _fit(f"scrubbed{number}", node)
        return fake

    def _walk(self, node: Any, value: Any, root: Mapping[str, Any], secret: bool, learn: bool, member: str) -> Any:
        if isinstance(node, Mapping) and "$ref" in node:
            secret = secret or bool(node.get("x-sensitive"))
            node = root.get("$defs", {}).get(str(node["$ref"]).rsplit("/", 1)[-1], {})
        if isinstance(node, Mapping):
            secret = secret or bool(node.get("x-sensitive"))
        else:
            node = {}
        if isinstance(value, str):
            if secret:
                return self._secret(value, node, member, learn)
            return self.text(value, learn=learn)
        if isinstance(value, list):
            return [self._walk(node.get("items", {}), item, root, secret, learn, member) for item in value]
        if isinstance(value, dict):
            props = node.get("properties", {})
            extra = node.get("additionalProperties")
            keys_secret = secret and "propertyNames" in node
            out: dict[str, Any] = {}
            for key, item in value.items():
                child = props.get(key, extra if isinstance(extra, Mapping) else {})
                name = (
                    self._walk(node.get("propertyNames", {}), key, root, secret, learn, member) if keys_secret else key
                )
                if key in _ACCOUNT_MEMBERS and isinstance(item, str) and re.fullmatch(r"\d{12}", item):
                    out[name] = FAKE_ACCOUNT_ID
                else:
                    personal = secret or key in PERSONAL_MEMBERS
                    out[name] = self._walk(child, item, root, personal, learn, key if isinstance(key, str) else member)
            return out
        return value

    def _secret(self, value: str, node: Mapping[str, Any], member: str, learn: bool) -> str:
        fake = self.fake(value, node, member)
        if learn and fake != value:
            self.originals[fake] = value
        return fake

    def text(self, text: str, *, learn: bool = False) -> str:
        """Free text: account ids, every email address, and every value already scrubbed elsewhere in
        this cassette, replaced wherever they appear (an error message that echoes a name)."""
        echo = self._echo_pattern()
        if echo is not None:
            text = echo.sub(lambda m: self._fakes.get(m.group(0), m.group(0)), text)
        return self._addresses(scrub_account_ids(text), learn)

    def _echo_pattern(self) -> re.Pattern[str] | None:
        with self._lock:
            if self._echo_size != len(self._fakes):
                known = sorted((v for v in self._fakes if _ECHO_MIN <= len(v) <= _ECHO_MAX), key=len, reverse=True)
                self._echo = re.compile("|".join(map(re.escape, known))) if known else None
                self._echo_size = len(self._fakes)
            return self._echo

    def _addresses(self, text: str, learn: bool) -> str:
        """Email addresses are personal data wherever they appear, marked sensitive by the model or not."""

        def replace(match: re.Match[str]) -> str:
            found = match.group(0)
            if self.is_fake(found) or is_example_address(found):
                return found
            return self._secret(found, {"x-shape": "EmailAddress"}, "EmailAddress", learn)

        return EMAIL.sub(replace, text)

    def scrub(self, schema: Mapping[str, Any], document: Any, *, learn: bool = False) -> Any:
        """A copy of ``document`` with personal values and account ids replaced.

        ``learn=True`` (requests) remembers each fake's original for :meth:`restore`.
        """
        return self._walk(schema, document, schema, False, learn, "")

    def scrub_json_text(self, text: str, secret_members: Iterable[str], *, learn: bool = False) -> str:
        """A JSON text that cannot be read as a document (over the budgets of :mod:`.limits`, or broken),
        scrubbed token by token in one pass: every string under a member of ``secret_members`` is
        replaced, every other string is scrubbed as :meth:`text`; the structure is kept as it was."""
        secret_names = frozenset(secret_members)
        out: list[str] = []
        # One frame per open object or array: [is an object, secret, expecting a key, the current key].
        stack: list[list[Any]] = []
        for match in _JSON_TOKEN.finditer(text):
            token = match.group(0)
            frame = stack[-1] if stack else None
            if token in "{[" and len(token) == 1:
                secret = bool(frame and (frame[1] or (frame[0] and frame[3] in secret_names)))
                stack.append([token == "{", secret, token == "{", None])
            elif token in "}]" and len(token) == 1:
                if stack:
                    stack.pop()
            elif token == ":" and frame is not None and frame[0]:
                frame[2] = False
            elif token == "," and frame is not None and frame[0]:
                frame[2] = True
            elif token.startswith('"'):
                value = _literal(token)
                if frame is not None and frame[0] and frame[2]:
                    frame[3] = value
                elif frame is not None and (frame[1] or (frame[0] and frame[3] in secret_names)):
                    member = str(frame[3] or "")
                    token = json.dumps(self._secret(value, {}, member, learn), ensure_ascii=False)
                else:
                    token = self.text(token, learn=learn)
            else:
                token = self.text(token, learn=learn)
            out.append(token)
        return "".join(out)

    def restore(self, document: Any) -> Any:
        """Put the originals this scrubber learned back in place of their fakes (in any string)."""
        if isinstance(document, str):
            if document in self.originals:
                return self.originals[document]
            back = self._restore_pattern()
            return back.sub(lambda m: self.originals.get(m.group(0), m.group(0)), document) if back else document
        if isinstance(document, list):
            return [self.restore(v) for v in document]
        if isinstance(document, dict):
            return {self.restore(k): self.restore(v) for k, v in document.items()}
        return document

    def _restore_pattern(self) -> re.Pattern[str] | None:
        with self._lock:
            if self._back_size != len(self.originals):
                known = sorted(self.originals, key=len, reverse=True)
                self._back = re.compile("(?:" + "|".join(map(re.escape, known)) + r")(?![0-9])") if known else None
                self._back_size = len(self.originals)
            return self._back


def _literal(token: str) -> str:
    """The text of a JSON string literal token (its raw inside when it is unterminated or malformed)."""
    try:
        value = json.loads(token)
    except ValueError:
        return token.strip('"')
    return value if isinstance(value, str) else token


def scrub_headers(headers: Mapping[str, Any]) -> dict[str, Any]:
    """Headers without any that carry a credential, token or signature."""
    return {name: value for name, value in headers.items() if not SCRUB_NAME.search(str(name))}


def scrub_query(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(k, scrub_account_ids(v)) for k, v in pairs if not SCRUB_NAME.search(k)]
