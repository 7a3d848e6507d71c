"""The API change between two sets of contracts, in human terms (``connect-email schemas diff``).

Per covered operation: operations added and removed, members added and removed, enum values added
and removed, limits changed (lengths, sizes, ranges, patterns, types, required), errors added and
removed. A change is *breaking* when it could break a caller that worked before: a removed operation
or member, a removed enum value, a tightened limit, a changed type or pattern, a request member that
became required.

Both sides are :class:`~pytest_connect_email.active.Contracts`, so either may be the committed
snapshot, a directory of generated contracts, the installed botocore or another botocore release
read from a wheel or directory (never from the network).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pytest_connect_email import spec
from pytest_connect_email.active import Contracts

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


def _limit_changes(path: str, old: dict[str, Any], new: dict[str, Any]) -> Iterator[tuple[str, str, bool]]:
    where = f"{path} ({new.get('shape') or old.get('shape')})"
    if old.get("type") != new.get("type"):
        yield "~", f"type of {where}: {old.get('type')} -> {new.get('type')}", True
    for key in (*_LOWER_BOUNDS, *_UPPER_BOUNDS):
        before, after = old.get(key), new.get(key)
        if before == after:
            continue
        if key in _LOWER_BOUNDS:
            tighter = after is not None and (before is None or after > before)
        else:
            tighter = after is not None and (before is None or after < before)
        word = "tightened" if tighter else "loosened"
        yield "~", f"limit {key} of {where}: {_show(before)} -> {_show(after)} ({word})", tighter
    if old.get("pattern") != new.get("pattern"):
        yield "~", f"pattern of {where}: {old.get('pattern')!r} -> {new.get('pattern')!r}", True
    before_enum, after_enum = old.get("enum"), new.get("enum")
    if before_enum is not None and after_enum is not None:
        for value in after_enum:
            if value not in before_enum:
                yield "+", f"enum value {value} of {where}", False
        for value in before_enum:
            if value not in after_enum:
                yield "-", f"enum value {value} of {where}", True
    elif before_enum != after_enum:
        tighter = after_enum is not None
        text = "now limited to " + ", ".join(after_enum) if after_enum else "no longer an enum"
        yield "~", f"{where}: {text}", tighter


def _document_changes(operation: str, part: str, old: JSONSchema, new: JSONSchema) -> Iterator[Change]:
    before, after = _flatten(old), _flatten(new)
    for path in _minimal(set(after) - set(before)):
        facts = after[path]
        breaking = part == "request" and facts["required"]
        note = ", required" if facts["required"] else ""
        yield Change(operation, part, "+", f"member {path} ({facts['shape']}{note})", breaking)
    for path in _minimal(set(before) - set(after)):
        yield Change(operation, part, "-", f"member {path} ({before[path]['shape']})", True)
    for path in sorted(set(before) & set(after)):
        old_facts, new_facts = before[path], after[path]
        if part == "request" and new_facts["required"] and not old_facts["required"]:
            yield Change(operation, part, "~", f"member {path} is now required", True)
        elif old_facts["required"] and not new_facts["required"]:
            yield Change(operation, part, "~", f"member {path} is no longer required", part == "response")
        for sign, text, breaking in _limit_changes(path, old_facts, new_facts):
            yield Change(operation, part, sign, text, breaking)


def diff(old: Contracts, new: Contracts) -> list[Change]:
    """Every change from ``old`` to ``new``, operation by operation in :data:`spec.OPERATIONS` order."""
    changes: list[Change] = []
    for operation in spec.OPERATIONS:
        had, has = old.has(operation), new.has(operation)
        if had and not has:
            changes.append(Change(operation, "operation", "-", f"{operation} is not in {new.label}'s model", True))
            continue
        if has and not had:
            changes.append(Change(operation, "operation", "+", f"{operation} is new in {new.label}'s model", False))
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
        changes.extend(Change(operation, "errors", "+", f"new error {e}", False) for e in sorted(after - before))
        changes.extend(
            Change(operation, "errors", "-", f"error {e} no longer modelled", False) for e in sorted(before - after)
        )
        for code in sorted(before & after):
            rel = f"{operation}/errors/{code}.json"
            for change in _document_changes(operation, "errors", old.read(rel), new.read(rel)):
                changes.append(Change(operation, "errors", change.sign, f"{code}: {change.text}", False))
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
