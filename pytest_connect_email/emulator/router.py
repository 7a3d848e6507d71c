"""Route an HTTP method and raw path to an operation of botocore's connect model.

Every operation of the model gets a route from its ``requestUri`` template, so a request for an
operation the emulator does not implement is recognised (and answered with a clear error) rather
than reported as an unknown path. Literal segments outrank labels: ``/email-addresses/{I}/search``
wins over ``/email-addresses/{I}/{E}``. Labels capture one raw (percent-encoded) path segment,
``{Label+}`` the rest of the path; values are percent-decoded after matching, so an id containing an
encoded slash stays one value.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from urllib.parse import unquote

from pytest_connect_email.contracts import spec


@dataclass(frozen=True)
class Route:
    operation: str
    method: str
    pattern: re.Pattern[str]
    literal_segments: int
    segments: int
    greedy: bool


def _compile(template: str) -> tuple[re.Pattern[str], int]:
    path = template.split("?", 1)[0]
    parts = []
    literals = 0
    for segment in path.strip("/").split("/"):
        label = re.fullmatch(r"\{([A-Za-z0-9_]+)(\+?)\}", segment)
        if label and label.group(2):
            parts.append(f"(?P<{label.group(1)}>.+)")
        elif label:
            parts.append(f"(?P<{label.group(1)}>[^/]+)")
        else:
            parts.append(re.escape(segment))
            literals += 1
    return re.compile("/" + "/".join(p for p in parts if p)), literals


def _by_shape() -> dict[tuple[str, int], tuple[Route, ...]]:
    return _by_shape_of(spec.model())


@functools.cache
def _by_shape_of(model: spec.Model) -> dict[tuple[str, int], tuple[Route, ...]]:
    """Routes by method and segment count; greedy routes (``{Label+}``) are listed under every count.
    Cached per model: the emulator speaks the model in use, as the contracts do."""
    out: dict[tuple[str, int], list[Route]] = {}
    longest = max(r.segments for r in _routes_of(model))
    for route in _routes_of(model):
        counts = range(route.segments, longest + 64) if route.greedy else (route.segments,)
        for count in counts:
            out.setdefault((route.method, count), []).append(route)
    return {key: tuple(found) for key, found in out.items()}


def routes() -> tuple[Route, ...]:
    return _routes_of(spec.model())


@functools.cache
def _routes_of(source: spec.Model) -> tuple[Route, ...]:
    model = source.service
    found = []
    for name in model.operation_names:
        http = model.operation_model(name).http
        template = http.get("requestUri", "/")
        pattern, literals = _compile(template)
        path = template.split("?", 1)[0].strip("/")
        segments = len(path.split("/")) if path else 0
        found.append(Route(name, http.get("method", "POST").upper(), pattern, literals, segments, "+}" in path))
    # Most literal segments first: a fixed path segment beats a label in the same position.
    return tuple(sorted(found, key=lambda r: (-r.literal_segments, r.operation)))


@functools.cache
def _by_head_of(model: spec.Model) -> dict[tuple[str, int, str], tuple[Route, ...]]:
    """:func:`_by_shape_of` narrowed by the path's first segment: the routes whose template starts with
    that literal, or with a label (they fit any first segment), in the same order."""
    out: dict[tuple[str, int, str], tuple[Route, ...]] = {}
    for (method, count), found in _by_shape_of(model).items():
        heads = {_head(route) for route in found} - {""}
        for head in heads:
            out[(method, count, head)] = tuple(r for r in found if _head(r) in (head, ""))
        out[(method, count, "")] = tuple(r for r in found if _head(r) == "")
    return out


def _head(route: Route) -> str:
    """The literal first segment of a route's template ("" when it starts with a label)."""
    first = route.pattern.pattern.lstrip("/").split("/", 1)[0]
    return "" if first.startswith("(") else re.sub(r"\\(.)", r"\1", first)


def match(method: str, raw_path: str) -> tuple[str, dict[str, str]] | None:
    """The operation and its decoded URI labels, or ``None`` when no route fits."""
    path = raw_path.strip("/")
    segments = len(path.split("/")) if path else 0
    index = _by_head_of(spec.model())
    head = path.split("/", 1)[0]
    key = (method.upper(), segments, head)
    for route in index.get(key) or index.get((key[0], segments, ""), ()):
        found = route.pattern.fullmatch(raw_path)
        if found:
            return route.operation, {k: unquote(v) for k, v in found.groupdict().items()}
    return None
