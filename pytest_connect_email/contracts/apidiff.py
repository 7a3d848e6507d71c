"""The API change between two sets of contracts, in human terms (``connect-email schemas diff``).

Per covered operation: operations added and removed, members added and removed, enum values added
and removed, limits changed (lengths, sizes, ranges, patterns, types, required), errors added and
removed. A change is *breaking* when it could break a caller that worked before: a removed operation
or member, a removed enum value, a tightened limit, a changed type or pattern, a request member that
became required.

Both sides are :class:`~pytest_connect_email.contracts.active.Contracts`, so either may be the committed
snapshot, a directory of generated contracts, the installed botocore or another botocore release
read from a wheel or directory (never from the network).

:func:`against_usage` judges the breaking changes against a usage manifest (:mod:`.usage`, written by
``--connect-usage``): only those that touch what the application sends (``schemas diff --usage``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from pytest_connect_email.contracts import spec
from pytest_connect_email.contracts.active import Contracts
from pytest_connect_email.contracts.usage import Member, Usage, parent

JSONSchema = dict[str, Any]

#: Limits, with the direction in which a change tightens them.
_LOWER_BOUNDS = ("minLength", "minItems", "minProperties", "minimum")
_UPPER_BOUNDS = ("maxLength", "maxItems", "maxProperties", "maximum")


@dataclass(frozen=True)
class Change:
    operation: str
    #: ``request``, ``response``, ``errors`` or ``operation``.
    part: str
    #: ``+`` added, ``-`` removed, ``~`` changed.
    sign: str
    text: str
    breaking: bool
    #: The member path the change is about (``Attachments[].FileName``; ``""`` for the operation itself).
    path: str = ""
    #: What changed: ``operation-removed``, ``operation-added``, ``member-added``, ``member-removed``,
    #: ``now-required``, ``no-longer-required``, ``type``, ``limit``, ``pattern``, ``enum-added``,
    #: ``enum-removed``, ``enum-limited``, ``error-added``, ``error-removed``, ``error-shape``.
    kind: str = ""
    #: The limit keyword (``maxLength``) of a ``limit`` change, the value of an ``enum-*`` one.
    key: str = ""
    #: The new limit of a ``limit`` change (``None``: no limit any more).
    after: Any = None

    def describe(self) -> str:
        flag = "  [could break callers]" if self.breaking else ""
        return f"  {self.part}: {self.sign} {self.text}{flag}"


def _deref(root: JSONSchema, node: JSONSchema) -> tuple[JSONSchema, str | None]:
    if "$ref" in node:
        name = str(node["$ref"]).rsplit("/", 1)[-1]
        return root.get("$defs", {}).get(name, {}), name
    return node, None


def _facts(node: JSONSchema) -> dict[str, Any]:
    keys = ("type", "pattern", *_LOWER_BOUNDS, *_UPPER_BOUNDS)
    facts = {k: node[k] for k in keys if k in node}
    if "enum" in node:
        facts["enum"] = tuple(node["enum"])
    return facts


def _flatten(root: JSONSchema) -> dict[str, dict[str, Any]]:
    """Every member path of a schema (``EmailMessage.RawMessage.Subject``, ``References{}.Type``,
    ``Items[]``) with its facts: shape, type, enum, limits, whether required."""
    out: dict[str, dict[str, Any]] = {}

    def walk(node: JSONSchema, path: str, required: bool, stack: tuple[str, ...]) -> None:
        target, name = _deref(root, node)
        facts = _facts(target)
        facts["shape"] = target.get("x-shape", name or "")
        facts["required"] = required
        if path:
            out[path] = facts
        if name is not None and name in stack:  # a recursive shape: its members are listed once
            return
        inner = (*stack, name) if name else stack
        props = target.get("properties")
        if isinstance(props, dict):
            needed = set(target.get("required", ()))
            for member, sub in props.items():
                walk(sub, f"{path}.{member}" if path else member, member in needed, inner)
        if isinstance(target.get("items"), dict):
            walk(target["items"], f"{path}[]", False, inner)
        if isinstance(target.get("additionalProperties"), dict):
            walk(target["additionalProperties"], f"{path}{{}}", False, inner)
        if isinstance(target.get("propertyNames"), dict):
            keys = dict(target["propertyNames"])
            keys.pop("x-shape", None)
            out[f"{path}{{key}}"] = {
                **_facts(keys),
                "shape": target["propertyNames"].get("x-shape", ""),
                "required": False,
            }

    walk(root, "", False, ())
    return out


def _minimal(paths: set[str]) -> list[str]:
    """Paths whose parent is not in ``paths`` too (report a new structure once, not each member)."""

    def parent(path: str) -> str:
        cut = max(path.rfind("."), path.rfind("["), path.rfind("{"))
        return path[:cut] if cut > 0 else ""

    return sorted(p for p in paths if parent(p) not in paths)


def _show(value: object) -> str:
    return "none" if value is None else str(value)


#: One change of a member's facts: sign, text, breaking, kind, key, after.
_Fact = tuple[str, str, bool, str, str, Any]


def _limit_changes(path: str, old: dict[str, Any], new: dict[str, Any]) -> Iterator[_Fact]:
    where = f"{path} ({new.get('shape') or old.get('shape')})"
    if old.get("type") != new.get("type"):
        yield "~", f"type of {where}: {old.get('type')} -> {new.get('type')}", True, "type", "", None
    for key in (*_LOWER_BOUNDS, *_UPPER_BOUNDS):
        before, after = old.get(key), new.get(key)
        if before == after:
            continue
        if key in _LOWER_BOUNDS:
            tighter = after is not None and (before is None or after > before)
        else:
            tighter = after is not None and (before is None or after < before)
        word = "tightened" if tighter else "loosened"
        yield "~", f"limit {key} of {where}: {_show(before)} -> {_show(after)} ({word})", tighter, "limit", key, after
    if old.get("pattern") != new.get("pattern"):
        yield "~", f"pattern of {where}: {old.get('pattern')!r} -> {new.get('pattern')!r}", True, "pattern", "", None
    before_enum, after_enum = old.get("enum"), new.get("enum")
    if before_enum is not None and after_enum is not None:
        for value in after_enum:
            if value not in before_enum:
                yield "+", f"enum value {value} of {where}", False, "enum-added", str(value), None
        for value in before_enum:
            if value not in after_enum:
                yield "-", f"enum value {value} of {where}", True, "enum-removed", str(value), None
    elif before_enum != after_enum:
        tighter = after_enum is not None
        text = "now limited to " + ", ".join(after_enum) if after_enum else "no longer an enum"
        yield "~", f"{where}: {text}", tighter, "enum-limited", "", after_enum


def _document_changes(operation: str, part: str, old: JSONSchema, new: JSONSchema) -> Iterator[Change]:
    before, after = _flatten(old), _flatten(new)
    for path in _minimal(set(after) - set(before)):
        facts = after[path]
        breaking = part == "request" and facts["required"]
        note = ", required" if facts["required"] else ""
        yield Change(operation, part, "+", f"member {path} ({facts['shape']}{note})", breaking, path, "member-added")
    for path in _minimal(set(before) - set(after)):
        yield Change(operation, part, "-", f"member {path} ({before[path]['shape']})", True, path, "member-removed")
    for path in sorted(set(before) & set(after)):
        old_facts, new_facts = before[path], after[path]
        if part == "request" and new_facts["required"] and not old_facts["required"]:
            yield Change(operation, part, "~", f"member {path} is now required", True, path, "now-required")
        elif old_facts["required"] and not new_facts["required"]:
            text = f"member {path} is no longer required"
            yield Change(operation, part, "~", text, part == "response", path, "no-longer-required")
        for sign, text, breaking, kind, key, limit in _limit_changes(path, old_facts, new_facts):
            yield Change(operation, part, sign, text, breaking, path, kind, key, limit)


def diff(old: Contracts, new: Contracts) -> list[Change]:
    """Every change from ``old`` to ``new``, operation by operation in :data:`spec.OPERATIONS` order."""
    changes: list[Change] = []
    for operation in spec.OPERATIONS:
        had, has = old.has(operation), new.has(operation)
        if had and not has:
            text = f"{operation} is not in {new.label}'s model"
            changes.append(Change(operation, "operation", "-", text, True, kind="operation-removed"))
            continue
        if has and not had:
            text = f"{operation} is new in {new.label}'s model"
            changes.append(Change(operation, "operation", "+", text, False, kind="operation-added"))
            continue
        if not has:
            continue
        for part in ("request", "response"):
            changes.extend(
                _document_changes(
                    operation, part, old.read(f"{operation}/{part}.json"), new.read(f"{operation}/{part}.json")
                )
            )
        before, after = set(old.error_codes(operation)), set(new.error_codes(operation))
        changes.extend(
            Change(operation, "errors", "+", f"new error {e}", False, kind="error-added", key=e)
            for e in sorted(after - before)
        )
        changes.extend(
            Change(operation, "errors", "-", f"error {e} no longer modelled", False, kind="error-removed", key=e)
            for e in sorted(before - after)
        )
        for code in sorted(before & after):
            rel = f"{operation}/errors/{code}.json"
            for change in _document_changes(operation, "errors", old.read(rel), new.read(rel)):
                text = f"{code}: {change.text}"
                changes.append(Change(operation, "errors", change.sign, text, False, change.path, "error-shape", code))
    return changes


def report(old: Contracts, new: Contracts, changes: list[Change]) -> str:
    """The human report of :func:`diff`'s changes."""
    lines = [f"API changes from {old.label} to {new.label}:"]
    if not changes:
        lines.append("  none: the covered operations are the same")
    current = ""
    for change in changes:
        if change.operation != current:
            current = change.operation
            lines.append("")
            lines.append(current)
        lines.append(change.describe())
    breaking = sum(c.breaking for c in changes)
    lines.append("")
    lines.append(f"{len(changes)} change(s), {breaking} of which could break callers.")
    return "\n".join(lines)


# -- judged against what an application sends (``schemas diff --usage``) ----------------------------

#: The fact of a usage manifest each limit keyword is judged against, and its unit.
_USAGE_FACT = {
    "minLength": ("length", "characters"),
    "maxLength": ("length", "characters"),
    "minItems": ("items", "items"),
    "maxItems": ("items", "items"),
    "minProperties": ("entries", "entries"),
    "maxProperties": ("entries", "entries"),
    "minimum": ("range", ""),
    "maximum": ("range", ""),
}


def _within(members: Mapping[str, Member], path: str) -> list[str]:
    """The paths sent at or under ``path``."""
    return sorted(p for p in members if p == path or p.startswith((f"{path}.", f"{path}[", f"{path}{{")))


def _limit_touch(change: Change, member: Member) -> str | None:
    fact, unit = _USAGE_FACT.get(change.key, ("", ""))
    pair = getattr(member, fact, None) if fact else None
    if pair is None:
        return f"you send {change.path}, and the manifest holds no {change.key} figure for it"
    if not isinstance(change.after, int | float):
        return None  # the limit is gone: nothing is tighter
    unit = f" {unit}" if unit else ""
    if change.key.startswith("max"):
        return f"you sent up to {pair[1]}{unit}" if pair[1] > change.after else None
    return f"you sent as few as {pair[0]}{unit}" if pair[0] < change.after else None


def touches(change: Change, usage: Usage) -> str | None:
    """Why a breaking change touches what ``usage`` records (``None``: it does not). An operation the
    application never called is untouched by anything; a request change touches the members it sends
    (a removed member, an enum value it sends, a limit its sizes or numbers break, a changed type or
    pattern) or leaves out (a member that became required); a response change (a member removed or
    no longer required, a type) touches every operation it calls, since the manifest records what it
    sends and not what it reads."""
    members = usage.operations.get(change.operation)
    if not change.breaking or members is None:
        return None
    if change.kind == "operation-removed":
        return f"you call {change.operation}"
    if change.part == "response":
        if change.kind in ("member-removed", "no-longer-required", "type"):
            return f"you call {change.operation} (the manifest records what you send, not what you read)"
        return None
    if change.part != "request":
        return None
    path = change.path
    if change.kind == "member-removed":
        sent = _within(members, path)
        more = f" (and {len(sent) - 1} more under it)" if len(sent) > 1 else ""
        return f"you send {sent[0]}{more}" if sent else None
    if change.kind in ("now-required", "member-added"):
        above = parent(path)
        if above is None or (above and above not in members):
            return None
        where = f"{above} " if above else f"{change.operation} requests "
        if path not in members:
            return f"you send {where}without {path}"
        return f"some of the {where}you send leave {path} out" if members[path].omitted else None
    member = members.get(path)
    if member is None:
        return None
    if change.kind == "enum-removed":
        return f"you send {change.key}" if change.key in member.enum else None
    if change.kind == "limit":
        return _limit_touch(change, member)
    if change.kind == "pattern":
        return f"you send {path} (the manifest keeps no values, so it cannot tell whether yours still match)"
    return f"you send {path}"


def against_usage(changes: list[Change], usage: Usage) -> tuple[list[tuple[Change, str]], list[Change]]:
    """The breaking changes that touch ``usage``, each with why, and the breaking changes that do not."""
    touching: list[tuple[Change, str]] = []
    untouched: list[Change] = []
    for change in changes:
        if not change.breaking:
            continue
        reason = touches(change, usage)
        if reason is None:
            untouched.append(change)
        else:
            touching.append((change, reason))
    return touching, untouched


def usage_report(old: Contracts, new: Contracts, changes: list[Change], usage: Usage, source: str) -> str:
    """The report of ``schemas diff --usage``: the breaking changes that touch the manifest read from
    ``source``, then, briefly, those that do not."""
    touching, untouched = against_usage(changes, usage)
    lines = [f"API changes from {old.label} to {new.label}, judged against {source} ({usage.describe()})"]
    if usage.botocore and old.version not in usage.botocore:
        recorded = ", ".join(sorted(usage.botocore))
        lines.append(
            f"note: the usage was recorded with botocore {recorded} and --from is {old.label}: pass --from "
            "the release your tests ran with (its version if installed, or its wheel) to judge the whole step"
        )
    if touching:
        lines.append("")
        lines.append(f"Changes that touch your usage ({len(touching)}):")
        for change, reason in touching:
            lines.append(f"  {change.operation} {change.part}: {change.sign} {change.text}")
            lines.append(f"      {reason}")
    if untouched:
        lines.append("")
        lines.append(f"Breaking changes that do not touch your usage ({len(untouched)}):")
        lines.extend(f"  {c.operation} {c.part}: {c.sign} {c.text}" for c in untouched)
    lines.append("")
    plural = "" if len(changes) == 1 else "s"
    if touching:
        lines.append(f"{len(changes)} change{plural}, {len(touching)} of which touch your usage.")
    else:
        lines.append(f"{len(changes)} change{plural}, none touches your usage.")
    if changes:
        lines[-1] += f" (run without --usage to list {'it' if len(changes) == 1 else 'them'})"
    return "\n".join(lines)
