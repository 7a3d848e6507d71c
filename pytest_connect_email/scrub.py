"""Pure scrubbing functions: what must never reach a cassette on disk, and how to put it back.

- **Credentials and signatures**: headers and query parameters whose name says key, token,
  signature, secret, credential, session, cookie or authorization are dropped.
- **Account ids** in ARNs (and in members named ``AccountId``/``OwnerId``) become
  :data:`FAKE_ACCOUNT_ID`.
- **Sensitive members**: every value under a schema node marked ``x-sensitive`` (the model's
  ``sensitive`` trait: addresses, display names, subjects, bodies, descriptions, attachments) is
  replaced by a fake of the same kind that still meets the member's constraints — an address by an
  ``example.com`` address, a display name by a fake name, a file name by a file name with the same
  extension.

The fake is a function of the value alone (a SHA-256 digest seeds it), so the same value becomes the
same fake in every request and response of a cassette, a live request can be scrubbed to match a
recorded one, and a :class:`Scrubber` remembers fake -> original for the values a test sent, to
put them back into the recorded answers it replays. Nothing here knows about vcrpy or HTTP.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import Any

from pytest_connect_email import contracts

FAKE_ACCOUNT_ID = "123456789012"
SCRUB_NAME = re.compile(r"auth|token|signature|secret|credential|session|cookie|password|api-?key", re.I)
_ARN_ACCOUNT = re.compile(r"(arn:aws[a-z-]*:[a-z0-9-]*:[a-z0-9-]*:)(\d{12})(?=[:/])")
_ACCOUNT_MEMBERS = frozenset({"AccountId", "OwnerId", "OwnerAccountId"})
_NAME_SHAPES = frozenset({"EmailAddressDisplayName", "Name", "EndpointDisplayName"})
_GIVEN = ("Alex", "Sam", "Noor", "Mika", "Jules", "Ren", "Ola", "Kim", "Eli", "Ada")
_FAMILY = ("Berg", "Costa", "Dahl", "Ivers", "Lund", "Moreau", "Novak", "Ortiz", "Sato", "Weber")


# The look-behind lets a match start only where a run of local-part characters starts: without it a
# long run with no '@' (or a long domain with no dot) is rescanned from every position, quadratically
# (100 KB took 27 s); with it every text is scanned in linear time, and the matches are the same.
EMAIL = re.compile(r"(?<![A-Za-z0-9._%+'-])[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
EXAMPLE_DOMAINS = ("example.com", "example.org", "example.net")


def is_example_address(address: str) -> bool:
    """Whether an address is at example.com, .org or .net (or a subdomain): the only ones we write."""
    domain = address.rsplit("@", 1)[-1].lower()
    return any(domain == d or domain.endswith("." + d) for d in EXAMPLE_DOMAINS)


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


def _fit(text: str, node: Mapping[str, Any]) -> str:
    low, high = int(node.get("minLength", 0)), node.get("maxLength")
    if high is not None:
        text = text[: int(high)]
    return text + "x" * max(0, low - len(text))


_FAKE = re.compile(
    r"user-[0-9a-f]{12}@example\.com|scrubbed-[0-9a-f]{1,16}x*|s[0-9a-f]{1,15}x*|file-[0-9a-f]{10}\.[^.]{1,8}"
    r"|https://example\.com/scrubbed/[0-9a-f]{16}|(?:" + "|".join(_GIVEN) + ") (?:" + "|".join(_FAMILY) + ")"
)


def is_fake(value: str) -> bool:
    """Whether a value is already one of our fakes (scrubbing must be idempotent: vcrpy re-applies its
    request filter to every interaction it loads)."""
    return bool(_FAKE.fullmatch(value))


def fake_for(value: str, node: Mapping[str, Any]) -> str:
    """The deterministic fake of a sensitive string, of the same kind, within the node's constraints."""
    if is_fake(value):
        return value
    digest = _digest(value)
    shape = str(node.get("x-shape", ""))
    if shape == "EmailAddress" or (("@" in value) and shape in ("", "EndpointAddress")):
        fake = f"user-{digest[:12]}@example.com"
    elif shape in _NAME_SHAPES:
        number = int(digest[:8], 16)
        fake = f"{_GIVEN[number % 10]} {_FAMILY[(number // 10) % 10]}"
    elif shape == "FileName":
        extension = value.rsplit(".", 1)[-1] if "." in value[-8:] else "bin"
        fake = f"file-{digest[:10]}.{extension}"
    elif shape == "PreSignedAttachmentUrl":
        fake = f"https://example.com/scrubbed/{digest[:16]}"
    elif "pattern" in node:
        fake = f"s{digest[:15]}"
    else:
        fake = f"scrubbed-{digest[:16]}"
    fake = _fit(fake, node)
    if "pattern" in node and not contracts.compile_pattern(node["pattern"]).search(fake):
        fake = _fit(f"s{digest[:15]}", node)
    return fake


def scrub_account_ids(text: str) -> str:
    return _ARN_ACCOUNT.sub(lambda m: m.group(1) + FAKE_ACCOUNT_ID, text)


class Scrubber:
    """Scrubs documents of one operation and remembers fake -> original for the request side."""

    def __init__(self) -> None:
        self.originals: dict[str, str] = {}

    def _walk(self, node: Any, value: Any, root: Mapping[str, Any], secret: bool, learn: bool) -> Any:
        if isinstance(node, Mapping) and "$ref" in node:
            secret = secret or bool(node.get("x-sensitive"))
            node = root["$defs"][str(node["$ref"]).rsplit("/", 1)[-1]]
        if isinstance(node, Mapping):
            secret = secret or bool(node.get("x-sensitive"))
        else:
            node = {}
        if isinstance(value, str):
            if secret:
                fake = fake_for(value, node)
                if learn:
                    self.originals[fake] = value
                return fake
            return self._addresses(scrub_account_ids(value), learn)
        if isinstance(value, list):
            return [self._walk(node.get("items", {}), item, root, secret, learn) for item in value]
        if isinstance(value, dict):
            props = node.get("properties", {})
            extra = node.get("additionalProperties")
            keys_secret = secret and "propertyNames" in node
            out: dict[str, Any] = {}
            for key, item in value.items():
                child = props.get(key, extra if isinstance(extra, Mapping) else {})
                name = self._walk(node.get("propertyNames", {}), key, root, secret, learn) if keys_secret else key
                if key in _ACCOUNT_MEMBERS and isinstance(item, str) and re.fullmatch(r"\d{12}", item):
                    out[name] = FAKE_ACCOUNT_ID
                else:
                    out[name] = self._walk(child, item, root, secret, learn)
            return out
        return value

    def _addresses(self, text: str, learn: bool) -> str:
        """Email addresses are personal data wherever they appear, marked sensitive by the model or not
        (DescribeContact's endpoint addresses are not): each becomes its example.com fake."""

        def replace(match: re.Match[str]) -> str:
            found = match.group(0)
            if is_fake(found) or is_example_address(found):
                return found
            fake = fake_for(found, {"x-shape": "EmailAddress"})
            if learn:
                self.originals[fake] = found
            return fake

        return EMAIL.sub(replace, text)

    def scrub(self, schema: Mapping[str, Any], document: Any, *, learn: bool = False) -> Any:
        """A copy of ``document`` with sensitive values and account ids replaced.

        ``learn=True`` (requests) remembers each fake's original for :meth:`restore`.
        """
        return self._walk(schema, document, schema, False, learn)

    def restore(self, document: Any) -> Any:
        """Put the originals this scrubber learned back in place of their fakes (in any string)."""
        if isinstance(document, str):
            if document in self.originals:
                return self.originals[document]
            return EMAIL.sub(lambda m: self.originals.get(m.group(0), m.group(0)), document)
        if isinstance(document, list):
            return [self.restore(v) for v in document]
        if isinstance(document, dict):
            return {self.restore(k): self.restore(v) for k, v in document.items()}
        return document


def scrub_headers(headers: Mapping[str, Any]) -> dict[str, Any]:
    """Headers without any that carry a credential, token or signature."""
    return {name: value for name, value in headers.items() if not SCRUB_NAME.search(str(name))}


def scrub_query(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(k, scrub_account_ids(v)) for k, v in pairs if not SCRUB_NAME.search(k)]
