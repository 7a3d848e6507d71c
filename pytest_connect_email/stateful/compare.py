"""Comparing two answers to the same call: normalisation, differences, and the kinds a baseline excuses.

Two correct implementations answer the same call differently in ways that do not matter: the ids they
generate, their timestamps, request ids, pagination tokens, and the account and region in ARNs.
:func:`normalise` takes those out: an id the sequence created is replaced by its symbol (``address_2``:
the second address the sequence created, on whichever side), everywhere it appears (ARNs included);
a timestamp becomes ``"<timestamp>"``; a ``NextToken`` becomes ``"<token>"`` (its presence still
counts); ARNs keep their resource path but lose account and region, and an attached file's id in an ARN
(the side that stores the file makes it) becomes ``<file>``. :func:`normalise` is
self-contained (only the standard library, imported inside it), because the reproduction scripts
embed its source: a script compares exactly as the run did.

An answer is a dict: the operation's output (``ResponseMetadata`` dropped), or
``{"Error": {"Code": ..., "HTTPStatusCode": ...}}`` (an error's message is free text and is not
compared). :func:`differences` lists where two normalised answers differ, each with its *kind*: the
path with list positions generalised (``EmailAddresses[].DisplayName``), ``(outcome)`` when one side
succeeded and the other failed, ``Error.Code`` when both failed differently. A baseline excuses a kind
of one operation (:class:`Excuses`), and an excused difference is treated as one that legitimately
differs: the run goes on looking for others.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

OUTCOME = "(outcome)"
#: The kind of a call that raised instead of answering (a contract violation, a transport failure).
EXCEPTION = "(exception)"
#: A baseline entry with this field excuses every difference of its operation.
ANY_FIELD = "*"


def normalise(value: object, symbols: dict[str, str]) -> object:
    """``value`` with what legitimately differs between two implementations taken out (see the module
    docstring); ``symbols`` maps each id the sequence created on this side to its symbol."""
    import datetime
    import re

    iso = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?")
    arn = re.compile(r"arn:(aws[a-z-]*):([a-z0-9-]+):[a-z0-9-]*:\d*:")

    def text(s: str) -> str:
        if s in symbols:
            return symbols[s]
        if iso.fullmatch(s):
            return "<timestamp>"
        if s.startswith("arn:"):
            s = arn.sub(lambda m: f"arn:{m.group(1)}:{m.group(2)}:<region>:<account>:", s)
            parts = [symbols.get(part, part) for part in s.split("/")]
            # A file's id is made by the side that stores it (an email message's), never by a call of the sequence.
            parts = ["<file>" if n and parts[n - 1] == "attached-file" else p for n, p in enumerate(parts)]
            return "/".join(parts)
        return s

    def walk(v: object, key: str = "") -> object:
        if isinstance(v, dict):
            return {k: walk(item, k) for k, item in v.items() if k != "ResponseMetadata"}
        if isinstance(v, (list, tuple)):
            return [walk(item) for item in v]
        if isinstance(v, (datetime.datetime, datetime.date)):
            return "<timestamp>"
        if key == "NextToken" and v:
            return "<token>"
        if isinstance(v, str):
            return text(v)
        if isinstance(v, bytes):
            return v.decode("utf-8", "replace")
        return v

    return walk(value)


@dataclass(frozen=True)
class Difference:
    """Where two normalised answers differ."""

    #: Where exactly (``EmailAddresses[1].DisplayName``; ``""`` for the whole answer).
    path: str
    #: The path with list positions generalised (``EmailAddresses[].DisplayName``), or :data:`OUTCOME`.
    kind: str
    target: object
    reference: object


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def differences(target: dict[str, Any], reference: dict[str, Any]) -> list[Difference]:
    """Where the two normalised answers differ (empty: they agree)."""
    if "Exception" in target or "Exception" in reference:
        return [Difference("", EXCEPTION, target, reference)]
    if ("Error" in target) != ("Error" in reference):
        return [Difference("", OUTCOME, target, reference)]
    found: list[Difference] = []

    def walk(t: object, r: object, path: str, kind: str) -> None:
        if isinstance(t, dict) and isinstance(r, dict):
            for key in sorted(set(t) | set(r)):
                if key not in t or key not in r:
                    found.append(Difference(_join(path, key), _join(kind, key), t.get(key), r.get(key)))
                else:
                    walk(t[key], r[key], _join(path, key), _join(kind, key))
        elif isinstance(t, list) and isinstance(r, list) and len(t) == len(r):
            for i, (ti, ri) in enumerate(zip(t, r, strict=True)):
                walk(ti, ri, f"{path}[{i}]", f"{kind}[]")
        elif t != r:
            found.append(Difference(path, kind, t, r))

    walk(target, reference, "", "")
    return found


@dataclass
class Excuses:
    """Divergence kinds a baseline excuses: ``{(operation, field): reason}``; a field excuses itself and
    everything under it (``EmailAddresses`` excuses ``EmailAddresses[].DisplayName``), ``*`` every field."""

    kinds: dict[tuple[str, str], str] = field(default_factory=dict)
    #: The excused kinds that were met in this run (each an excused difference), for the report.
    used: dict[tuple[str, str], int] = field(default_factory=dict)

    def reason(self, operation: str, kind: str) -> str | None:
        for (op, excused), why in self.kinds.items():
            if op != operation:
                continue
            if excused in (ANY_FIELD, kind) or kind.startswith((excused + ".", excused + "[")):
                self.used[(op, excused)] = self.used.get((op, excused), 0) + 1
                return why
        return None

    def remaining(self, operation: str, found: list[Difference]) -> list[Difference]:
        """The differences no baseline entry excuses."""
        return [d for d in found if self.reason(operation, d.kind) is None]
