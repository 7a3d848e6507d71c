"""Cassette lint: credentials, account ids, addresses outside the example domains (after decoding base64 and
binary blocks), malformed YAML and fields, foreign APIs and contract breaches in committed cassettes; every
problem of every file is reported, and lint never stops on one."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from vcr.request import Request

from pytest_connect_email.cassettes import scrub
from pytest_connect_email.cassettes.replay import (
    CassetteError,
    Scrubbing,
    _json,
    field_problems,
    load_yaml,
    read_cassette_text,
)
from pytest_connect_email.contracts import spec, validator
from pytest_connect_email.emulator import codec, router
from pytest_connect_email.emulator.errors import ProtocolError

_ACCESS_KEY = re.compile(r"\b(?:AKIA|ASIA|AIDA|AROA)[A-Z0-9]{16}\b")
_SIGNATURE = re.compile(r"Signature=[0-9a-f]{64}|X-Amz-Signature=[0-9a-f]+|X-Amz-Credential=", re.I)
_SECRET = re.compile(r"(?i)(?:secret|session|security)[_-]?(?:access)?[_-]?(?:key|token)\W{0,4}[A-Za-z0-9/+=]{16,}")
# Twelve digits on their own: not inside a longer number, nor the last group of a UUID.
_ACCOUNT = re.compile(r"(?<![0-9A-Fa-f-])\d{12}(?![0-9A-Fa-f])")
_B64 = re.compile(r"[A-Za-z0-9+/]{16,}={0,2}")


@dataclass(frozen=True)
class Finding:
    path: str
    where: str
    problem: str

    def __str__(self) -> str:
        return f"{self.path}: {self.where}: {self.problem}"


def _texts(value: Any, where: str) -> Iterator[tuple[str, str]]:
    """Every text in a loaded cassette, binary blocks decoded, base64-looking strings decoded too."""
    if isinstance(value, bytes):
        text = value.decode("utf-8", "replace")
        yield where, text
        yield from _decoded(text, where)
    elif isinstance(value, str):
        yield where, value
        yield from _decoded(value, where)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield f"{where}.{key}", str(key)
            yield from _texts(item, f"{where}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _texts(item, f"{where}[{index}]")


def _decoded(text: str, where: str) -> Iterator[tuple[str, str]]:
    for chunk in _B64.findall(text):
        try:
            raw = base64.b64decode(chunk + "=" * (-len(chunk) % 4), validate=True)
        except (binascii.Error, ValueError):
            continue
        decoded = raw.decode("utf-8", "ignore")
        if decoded and sum(c.isprintable() for c in decoded) >= 0.9 * len(decoded):
            yield f"{where} (base64-decoded)", decoded


def lint(path: Path) -> list[Finding]:
    """Everything wrong with one cassette file; never raises, so that a run of lint reports every file."""
    try:
        return _lint(path)
    except Exception as exc:  # a last resort: one file that breaks lint must not hide the others
        return [Finding(str(path), "file", f"cannot be linted ({type(exc).__name__}: {exc}); record it again")]


def _lint(path: Path) -> list[Finding]:
    name = str(path)
    try:
        text = read_cassette_text(path)
    except CassetteError as exc:
        return [Finding(name, "file", str(exc).split(": ", 1)[1])]
    try:
        loaded = load_yaml(path, text)
    except CassetteError as exc:
        return [Finding(name, "yaml", str(exc).split(": ", 1)[1])]
    problems = field_problems(loaded)
    if not isinstance(loaded, dict) or not isinstance(loaded.get("interactions"), list):
        return [Finding(name, where, problem) for where, problem in problems]
    broken = {where.split(".", 1)[0] for where, _ in problems}
    found = [
        Finding(name, where, f"{problem} (correct it, or record the cassette again)") for where, problem in problems
    ]
    for where, value in _texts(loaded, "cassette"):
        if _ACCESS_KEY.search(value):
            found.append(Finding(name, where, "an AWS access key id"))
        if _SIGNATURE.search(value):
            found.append(Finding(name, where, "a SigV4 signature or credential scope"))
        if _SECRET.search(value):
            found.append(Finding(name, where, "something that looks like a secret key or session token"))
        for account in _ACCOUNT.findall(value):
            if account != scrub.FAKE_ACCOUNT_ID:
                found.append(Finding(name, where, f"a 12-digit account id ({account[:4]}********)"))
        for address in scrub.EMAIL.findall(value):
            if not scrub.is_example_address(address):
                domain = address.rsplit("@", 1)[-1]
                found.append(Finding(name, where, f"an email address outside the example domains (@{domain})"))
    for index, interaction in enumerate(loaded["interactions"]):
        if f"interactions[{index}]" in broken:
            continue  # its malformed fields are reported above: its contracts cannot be judged
        try:
            found.extend(_lint_contracts(name, index, interaction))
        except Exception as exc:  # one unreadable interaction must not hide the findings of the others
            found.append(Finding(name, f"interactions[{index}]", f"cannot be checked: {type(exc).__name__}: {exc}"))
    found.extend(_scrub_findings(name, text, loaded["interactions"], broken))
    unique: dict[tuple[str, str, str], Finding] = {}
    for item in found:
        unique.setdefault((item.path, item.where.replace(" (base64-decoded)", ""), item.problem), item)
    return list(unique.values())


class LinkableCassetteWarning(UserWarning):
    """A cassette recorded with the old scrubbing, whose fakes are unsalted hashes of the real values."""


def _scrub_findings(name: str, text: str, interactions: list[Any], broken: set[str]) -> list[Finding]:
    """What scrubbing would have changed: each value the scrubber would replace is a personal value left in
    the cassette (named by where it is and the kind of fake it would get, never shown). Addresses outside the
    example domains are reported by the address rule already. A cassette of the old, hashed scheme is
    accepted with a :class:`LinkableCassetteWarning` instead, until it is recorded again."""
    scrubbing = Scrubbing(scrub.Scrubber())
    scrubbing.scrubber.notice(text)
    found: list[Finding] = []
    for index, interaction in enumerate(interactions):
        if f"interactions[{index}]" in broken:
            continue
        try:
            found.extend(_scrub_changes(name, index, interaction, scrubbing))
        except Exception as exc:  # lint never stops on one interaction
            found.append(Finding(name, f"interactions[{index}]", f"cannot be scrubbed: {type(exc).__name__}: {exc}"))
    if scrubbing.scrubber.legacy:
        import warnings

        left = f"; {len(found)} value(s) it would scrub now" if found else ""
        warnings.warn(
            f"{name}: recorded with the old scrubbing, whose fakes (user-<hex>@example.com) are unsalted hashes "
            f"of the real values{left}: record it again with --connect-mode record --connect-record-mode all",
            LinkableCassetteWarning,
            stacklevel=3,
        )
        return []
    return found


def _scrub_changes(name: str, index: int, interaction: Any, scrubbing: Scrubbing) -> Iterator[Finding]:
    request, response = interaction["request"], interaction["response"]
    recorded = Request(str(request["method"]), str(request["uri"]), request.get("body"), {})
    pairs = [("request.body", recorded.body, scrubbing.request(recorded).body)]
    answer = response.get("body", {}).get("string")
    headers = {str(k): v for k, v in (response.get("headers") or {}).items()}
    rewritten = scrubbing.response(
        recorded, {"status": response["status"], "headers": headers, "body": {"string": answer}}
    )
    pairs.append(("response.body.string", answer, rewritten["body"]["string"]))
    for part, before, after in pairs:
        old, new = _json(before), _json(after)
        if old is None or new is None:
            old, new = _as_text(before), _as_text(after)
        for pointer, was, fake in _changed(old, new, ""):
            if any(not scrub.is_example_address(a) for a in scrub.EMAIL.findall(was)):
                continue  # the address rule reports it
            yield Finding(
                name,
                f"interactions[{index}].{part}{pointer}",
                f"a personal value left unscrubbed (scrubbing writes {fake[:40]!r} here)",
            )


def _as_text(body: Any) -> str:
    return body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body or "")


def _changed(old: Any, new: Any, pointer: str) -> Iterator[tuple[str, str, str]]:
    """(JSON pointer, old text, new text) of each string scrubbing changed in a document (or a text)."""
    if isinstance(old, dict) and isinstance(new, dict):
        for (key, value), (new_key, new_value) in zip(old.items(), new.items(), strict=False):
            if key != new_key:
                yield f"{pointer}/{key}", str(key), str(new_key)
            yield from _changed(value, new_value, f"{pointer}/{key}")
    elif isinstance(old, list) and isinstance(new, list):
        for position, (value, new_value) in enumerate(zip(old, new, strict=False)):
            yield from _changed(value, new_value, f"{pointer}/{position}")
    elif old != new:
        yield pointer, str(old), str(new)


def _lint_contracts(name: str, index: int, interaction: Any) -> Iterator[Finding]:
    where = f"interactions[{index}]"
    try:
        request, response = interaction["request"], interaction["response"]
        method, uri = str(request["method"]), str(request["uri"])
    except (KeyError, TypeError):
        yield Finding(name, where, "not a request/response pair")
        return
    found = router.match(method, urlsplit(uri).path)
    if found is None:
        yield Finding(name, where, f"{method} {urlsplit(uri).path} is no Amazon Connect operation")
        return
    if found[0] not in spec.OPERATIONS:
        return  # another Connect operation: recorded and replayed like any other, but it has no contract of ours
    operation, labels = found
    body = request.get("body") or b""
    body = body.get("string", b"") if isinstance(body, dict) else body
    http = codec.HttpRequest(
        method=method,
        raw_path=urlsplit(uri).path,
        query=parse_qsl(urlsplit(uri).query, keep_blank_values=True),
        body=body.encode() if isinstance(body, str) else bytes(body or b""),
    )
    try:
        params = codec.parse_request(spec.operation_model(operation), http, labels)
    except ProtocolError as exc:
        yield Finding(name, where, f"{operation} request cannot be read: {exc.message}")
        return
    answer = response.get("body", {}).get("string", b"")
    status = int(response.get("status", {}).get("code", 200))
    # A request that breaks its contract is what a negative check sends: fine when the endpoint refused
    # it (4xx), a finding when the recording shows it accepted.
    if status < 400:
        for violation in validator.request_violations(operation, params):
            yield Finding(
                name,
                f"{where}.request{violation.pointer}",
                f"{operation} request breaks [{violation.rule}] yet succeeded",
            )
    headers = {k: (v[0] if isinstance(v, list) and v else v) for k, v in (response.get("headers") or {}).items()}
    if status < 300:
        violations = validator.response_violations(operation, answer or b"{}")
    else:
        _, violations = validator.error_violations(operation, status, headers, answer or b"{}")
    for violation in violations:
        yield Finding(name, f"{where}.response{violation.pointer}", f"{operation} answer breaks [{violation.rule}]")
