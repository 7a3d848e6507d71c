"""What an application's Connect calls used: the usage manifest of ``--connect-usage FILE``, which
``connect-email schemas diff --usage FILE`` judges an API change against. Importable without pytest.

A manifest lists, per operation called, the request members that were sent, as paths in
:mod:`.apidiff`'s notation: members of a structure joined by ``.`` (``EmailMessage.RawMessage.Subject``),
``[]`` for the items of a list (``Attachments[].FileName``), ``{}`` for the values of a map
(``References{}.Type``) and ``{key}`` for its keys. A shape that holds itself (search criteria, segment
attribute values) is listed once, as in ``schemas diff``: the members of a nested
``SearchCriteria.OrConditions[]`` are recorded under ``SearchCriteria``. Per member it keeps:

- ``enum``: the enum values sent (values the model does not list are never stored);
- ``length``: ``[shortest, longest]`` string (characters) or blob (bytes) sent;
- ``items`` / ``entries``: ``[fewest, most]`` items of a list, entries of a map;
- ``range``: ``[lowest, highest]`` number sent;
- ``omitted``: ``true`` when a request that sent the member's parent left the member out.

Never a value: addresses, names, subjects, map keys and tag values are personal data, so only their
lengths are kept. ``botocore`` lists the releases whose model the runs used. Manifests merge by union
(:meth:`Usage.merged`), so workers of one run and several runs add up; reading one (:func:`load`) checks
it against :data:`~.limits.MAX_USAGE_BYTES`, the nesting budgets and its format before anything uses it.
"""

from __future__ import annotations

import json
import math
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from pytest_connect_email import limits


class RecordedCall(Protocol):
    """What a recorded call (``routing.calls.Call``) offers the manifest: its operation, its parameters and
    whose code made it (``"plugin"`` for the plugin's own fixtures and checks)."""

    @property
    def operation(self) -> str: ...

    @property
    def params(self) -> Mapping[str, Any]: ...


__all__ = ["FORMAT", "ManifestError", "Member", "Usage", "load", "parent"]

FORMAT = "connect-email-usage"
VERSION = 1
#: The facts a member may carry, and what each holds.
_PAIRS = ("length", "items", "entries", "range")
_FACTS = frozenset({"enum", *_PAIRS, "omitted"})
#: Generous caps on one manifest's parts (a covered operation has at most a few hundred member paths).
_MAX_NAME = 128
_MAX_PATH = 1024
_MAX_ENUM_TEXT = 256
_NUMBERS = frozenset({"integer", "long", "float", "double"})
_OPERATION_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9]*$")
#: A member path in :mod:`.apidiff`'s notation, as :class:`_Walk` writes it: ``EmailMessage.RawMessage.Subject``,
#: ``Attachments[].FileName``, ``References{key}``, ``References{}.Type``.
_SEGMENT = r"[A-Za-z0-9_]+(?:\[\]|\{\}|\{key\})*"
_MEMBER_PATH = re.compile(rf"{_SEGMENT}(?:\.{_SEGMENT})*")
_FIX = (
    "a usage manifest is the file `pytest -p connect_email --connect-usage FILE` writes and adds to; give the "
    "path of one, or a new path for a run to write"
)


class ManifestError(ValueError):
    """A usage file that cannot be read, is not a manifest, or is over its budgets; the message names
    the file, the rule and the fix."""


@dataclass
class Member:
    """What the calls sent for one member path (see the module's documentation)."""

    enum: set[str] = field(default_factory=set)
    length: list[int] | None = None
    items: list[int] | None = None
    entries: list[int] | None = None
    range: list[float] | None = None
    omitted: bool = False

    def widen(self, fact: str, low: float, high: float | None = None) -> None:
        high = low if high is None else high
        pair = getattr(self, fact)
        if pair is None:
            setattr(self, fact, [low, high])
        else:
            pair[0], pair[1] = min(pair[0], low), max(pair[1], high)

    def absorb(self, other: Member) -> None:
        self.enum |= other.enum
        for fact in _PAIRS:
            pair = getattr(other, fact)
            if pair is not None:
                self.widen(fact, pair[0], pair[1])
        self.omitted = self.omitted or other.omitted

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.enum:
            out["enum"] = sorted(self.enum)
        for fact in _PAIRS:
            pair = getattr(self, fact)
            if pair is not None:
                out[fact] = list(pair)
        if self.omitted:
            out["omitted"] = True
        return out


def parent(path: str) -> str | None:
    """The structure a member path belongs to (``""``: the request itself); ``None`` for list items, map
    values and keys, which are there whenever their container is."""
    if path.endswith(("]", "}")):
        return None
    cut = path.rfind(".")
    return path[:cut] if cut >= 0 else ""


@dataclass
class Usage:
    """A usage manifest: the operations called, their members sent, and the botocore releases used."""

    operations: dict[str, dict[str, Member]] = field(default_factory=dict)
    botocore: set[str] = field(default_factory=set)
    #: While collecting: per operation, the member paths some request left out under a parent it sent.
    _absent: dict[str, set[str]] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    # -- collecting --------------------------------------------------------------------------------

    def record(self, call: RecordedCall) -> None:
        """Add one call (``calls.observe`` hands every recorded call here). Never raises: what cannot be
        read is left out, and the application's call goes on as if nothing watched it. A call the plugin's own
        code made (its fixtures' setup and teardown, the shipped checks: ``call.origin == "plugin"``) is not the
        application's usage and is left out."""
        if getattr(call, "origin", "application") == "plugin":
            return
        try:
            self.add(call.operation, call.params)
        except Exception:  # pragma: no cover - a model or codec failure must not fail the application's call
            return

    def add(self, operation: str, params: Mapping[str, Any]) -> None:
        """Add one request of ``operation`` (boto3 parameters), walked along the model in use."""
        from pytest_connect_email.contracts import spec

        model = spec.model()
        try:
            shape = model.service.operation_model(operation).input_shape
        except Exception:  # an operation the model does not know: the call is counted, its members are not
            shape = None
        with self._lock:
            self.botocore.add(model.version)
            members = self.operations.setdefault(operation, {})
            absent = self._absent.setdefault(operation, set())
            if shape is not None:
                _Walk(members, absent).structure(shape, params, "", {})

    # -- merging -----------------------------------------------------------------------------------

    def merged(self, other: Usage) -> Usage:
        """The union of two manifests. A member one side sent and the other left out (the other sent its
        parent, or called the operation, without it) is ``omitted``; a side that never called the
        operation says nothing about it."""
        out = Usage(botocore=self.botocore | other.botocore)
        for operation in sorted(set(self.operations) | set(other.operations)):
            sides = [side.operations[operation] for side in (self, other) if operation in side.operations]
            members: dict[str, Member] = {}
            for path in sorted({p for side in sides for p in side}):
                member = Member()
                for side in sides:
                    if path in side:
                        member.absorb(side[path])
                    elif _parent_sent(side, path):
                        member.omitted = True
                members[path] = member
            out.operations[operation] = members
        return out

    # -- reading and writing -----------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "version": VERSION,
            "botocore": sorted(self.botocore),
            "operations": {
                operation: {path: member.to_json() for path, member in sorted(members.items())}
                for operation, members in sorted(self.operations.items())
            },
        }

    def dumps(self) -> str:
        """The manifest's text: one line per member path, keys sorted, so that a committed manifest's
        history shows what changed in what the application sends."""
        document = self.to_json()
        lines = ["{"]
        for key in ("format", "version", "botocore"):
            lines.append(f"  {json.dumps(key)}: {json.dumps(document[key])},")
        operations = list(document["operations"].items())
        lines.append('  "operations": {' + ("" if operations else "}"))
        for i, (operation, members) in enumerate(operations):
            rows = [f"      {json.dumps(path)}: {json.dumps(facts, sort_keys=True)}" for path, facts in members.items()]
            body = ("\n" + ",\n".join(rows) + "\n    ") if rows else ""
            lines.append(f"    {json.dumps(operation)}: {{{body}}}" + ("," if i < len(operations) - 1 else ""))
        if operations:
            lines.append("  }")
        lines.append("}")
        return "\n".join(lines) + "\n"

    @classmethod
    def from_json(cls, document: Any, where: str) -> Usage:
        """A manifest from its JSON form; :class:`ManifestError` naming ``where``, the rule and the fix."""

        def refuse(problem: str) -> ManifestError:
            return ManifestError(f"{where}: {problem}; {_FIX}")

        if isinstance(document, dict) and _is_report(document):
            raise ManifestError(
                f"{where}: a conformance report (what --connect-report or `connect-email report merge` writes), "
                f"not a usage manifest; {_FIX}"
            )
        if not isinstance(document, dict) or document.get("format") != FORMAT:
            raise refuse(f'not a usage manifest (expected a JSON object with "format": "{FORMAT}")')
        if document.get("version") != VERSION:
            raise refuse(f"manifest version {document.get('version')!r}, and this release reads version {VERSION}")
        unknown = set(document) - {"format", "version", "botocore", "operations"}
        if unknown:
            raise refuse(f"unknown key(s) {', '.join(sorted(map(str, unknown)))}")
        versions = document.get("botocore", [])
        if not isinstance(versions, list) or not all(_short_text(v, _MAX_NAME) for v in versions):
            raise refuse('"botocore" must be a list of botocore versions')
        operations = document.get("operations", {})
        if not isinstance(operations, dict):
            raise refuse('"operations" must map operation names to their members')
        usage = cls(botocore=set(versions))
        for operation, members in operations.items():
            if not (_short_text(operation, _MAX_NAME) and _OPERATION_NAME.fullmatch(operation)):
                raise refuse(
                    f"operations: {str(operation)[:60]!a} is not an operation name (letters and digits, "
                    "starting with a letter, e.g. StartEmailContact)"
                )
            if not isinstance(members, dict):
                raise refuse(f"operations.{operation} must map member paths to what was sent")
            table: dict[str, Member] = {}
            for path, facts in members.items():
                if not (_short_text(path, _MAX_PATH) and _MEMBER_PATH.fullmatch(path)):
                    raise refuse(
                        f"operations.{operation}: {str(path)[:60]!a} is not a member path (member names of "
                        "letters, digits and _ joined by '.', each optionally followed by [], {} or {key}, "
                        "e.g. Attachments[].FileName)"
                    )
                table[path] = _member(facts, f"operations.{operation}.{path}", refuse)
            usage.operations[operation] = table
        return usage

    # -- what it holds -----------------------------------------------------------------------------

    def member_count(self) -> int:
        return sum(len(members) for members in self.operations.values())

    def describe(self) -> str:
        """``3 operation(s), 17 member path(s), recorded with botocore 1.44.5``."""
        versions = ", ".join(sorted(self.botocore)) or "no calls"
        return (
            f"{len(self.operations)} operation(s), {self.member_count()} member path(s), "
            f"recorded with botocore {versions}"
        )


def _is_report(document: Mapping[str, Any]) -> bool:
    """A conformance report's JSON (:func:`.report.build_document`): its tool, gate and checks."""
    tool = document.get("tool")
    return (isinstance(tool, str) and tool.startswith("pytest-connect-email")) or (
        "gate" in document and "checks" in document
    )


def _parent_sent(members: Mapping[str, Member], path: str) -> bool:
    above = parent(path)
    return above is not None and (above == "" or above in members)


def _short_text(value: object, limit: int) -> bool:
    return isinstance(value, str) and 0 < len(value) <= limit


def _member(facts: Any, where: str, refuse: Any) -> Member:
    if not isinstance(facts, dict):
        raise refuse(f"{where} must be an object of facts")
    unknown = set(facts) - _FACTS
    if unknown:
        raise refuse(f"{where}: unknown fact(s) {', '.join(sorted(map(str, unknown)))}")
    member = Member()
    enum = facts.get("enum", [])
    if not isinstance(enum, list) or not all(_short_text(v, _MAX_ENUM_TEXT) for v in enum):
        raise refuse(f"{where}.enum must be a list of enum values")
    member.enum = set(enum)
    for fact in _PAIRS:
        if fact not in facts:
            continue
        pair = facts[fact]
        kinds = (int, float) if fact == "range" else (int,)
        if not (
            isinstance(pair, list)
            and len(pair) == 2
            and all(isinstance(n, kinds) and not isinstance(n, bool) and math.isfinite(n) for n in pair)
            and pair[0] <= pair[1]
            and (fact == "range" or pair[0] >= 0)
        ):
            raise refuse(f"{where}.{fact} must be [lowest, highest], finite numbers with lowest <= highest")
        member.widen(fact, pair[0], pair[1])
    omitted = facts.get("omitted", False)
    if not isinstance(omitted, bool):
        raise refuse(f"{where}.omitted must be true or false")
    member.omitted = omitted
    return member


class _Walk:
    """One request walked along its botocore input shape into a table of :class:`Member` (never a value)."""

    def __init__(self, members: dict[str, Member], absent: set[str]) -> None:
        self.members, self.absent = members, absent

    def sent(self, path: str) -> Member:
        member = self.members.get(path)
        if member is None:
            member = self.members[path] = Member(omitted=path in self.absent)
        return member

    def left_out(self, path: str) -> None:
        self.absent.add(path)
        if path in self.members:
            self.members[path].omitted = True

    def structure(self, shape: Any, value: Any, path: str, stack: dict[str, str]) -> None:
        if not isinstance(value, Mapping):
            return
        # A shape inside itself is listed once (as apidiff lists it): its members go under its outermost path.
        base = stack.get(shape.name)
        inner = stack if base is not None else {**stack, shape.name: path}
        base = path if base is None else base
        for name, member_shape in shape.members.items():
            sub = f"{base}.{name}" if base else name
            if value.get(name) is None:
                self.left_out(sub)
            else:
                self.value(member_shape, value[name], sub, inner)

    def value(self, shape: Any, value: Any, path: str, stack: dict[str, str]) -> None:
        member = self.sent(path)
        kind = shape.type_name
        if kind == "structure":
            self.structure(shape, value, path, stack)
        elif kind == "list" and isinstance(value, list):
            member.widen("items", len(value))
            for item in value:
                if item is not None:
                    self.value(shape.member, item, f"{path}[]", stack)
        elif kind == "map" and isinstance(value, Mapping):
            member.widen("entries", len(value))
            for key, item in value.items():
                self.value(shape.key, key, f"{path}{{key}}", stack)
                if item is not None:
                    self.value(shape.value, item, f"{path}{{}}", stack)
        elif kind == "string" and isinstance(value, str):
            choices = shape.enum
            if choices:
                if value in choices:  # a value the model does not list is never stored
                    member.enum.add(value)
            else:
                member.widen("length", len(value))
        elif kind == "blob" and isinstance(value, str | bytes | bytearray):
            member.widen("length", len(value))
        elif kind in _NUMBERS and isinstance(value, int | float) and not isinstance(value, bool):
            member.widen("range", value)


def load(path: Path) -> Usage:
    """Read a manifest within its budgets; :class:`ManifestError` naming the file, the rule and the fix."""
    where = str(path)
    try:
        if path.exists() and not path.is_file():  # a folder, a pipe or a device: never read (a pipe would block)
            raise ManifestError(f"{where}: not a regular file; give the path of a usage manifest")
        size = path.stat().st_size
        if size > limits.MAX_USAGE_BYTES:
            raise ManifestError(
                f"{where}: the file is {size} bytes, over the limit of {limits.MAX_USAGE_BYTES} (MAX_USAGE_BYTES); "
                f"a manifest of every covered operation is far smaller, so this is not one: {_FIX}"
            )
        with open(path, "rb") as handle:  # at most the budget, whatever the file grew to since stat
            raw = handle.read(limits.MAX_USAGE_BYTES + 1)
        if len(raw) > limits.MAX_USAGE_BYTES:
            raise ManifestError(
                f"{where}: over {limits.MAX_USAGE_BYTES} bytes (MAX_USAGE_BYTES, the limit); a manifest of every "
                f"covered operation is far smaller, so this is not one: {_FIX}"
            )
    except OSError as exc:
        raise ManifestError(
            f"{where}: cannot read it ({exc.strerror or exc}); give the path of a usage manifest"
        ) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ManifestError(f"{where}: not UTF-8 text; {_FIX}") from None
    try:
        document = limits.loads(text, "the file")
    except limits.LimitExceeded as exc:
        raise ManifestError(f"{where}: {exc.message} ({exc.limit}); {_FIX}") from None
    except ValueError as exc:
        raise ManifestError(f"{where}: not valid JSON ({exc}); {_FIX}") from None
    return Usage.from_json(document, where)
