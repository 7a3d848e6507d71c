"""What the fakes' modules share: types, constants, :data:`OMIT`, and read access to the active
contracts (:class:`SchemaView` over :func:`pytest_connect_email.contracts.validator.load_schema`, which serves the
contracts :mod:`pytest_connect_email.contracts.active` decides on)."""

from __future__ import annotations

import datetime as _dt
import functools
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Final, Literal

from pytest_connect_email.contracts import active, spec, validator

if TYPE_CHECKING:
    pass


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


def _view(operation: str, direction: Direction, error: str | None) -> SchemaView:
    return _view_of(active.contracts(), operation, direction, error)


@functools.cache
def _view_of(source: active.Contracts, operation: str, direction: Direction, error: str | None) -> SchemaView:
    """Cached per set of contracts: the fakes follow when the active contracts change."""
    return SchemaView(validator.load_schema(operation, direction, error))


def schema_view(operation: str, direction: Direction = "request", error: str | None = None) -> SchemaView:
    """The :class:`SchemaView` of an operation's request, response or error contract."""
    name = spec.resolve_operation(operation)
    validator.load_schema(name, direction, error)  # argument checks with the validator's messages
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
        if "pattern" in node and not validator.compile_pattern(node["pattern"]).search(value):
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
        doc = doc[int(part) if isinstance(doc, list) else part]
    return doc
