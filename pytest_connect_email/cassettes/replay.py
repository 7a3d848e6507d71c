"""vcrpy wiring for Connect traffic: scrubbed recording, indexed replay, atomic files, and lint.

- **Recording** goes through vcrpy. Requests are scrubbed as they are recorded
  (``before_record_request``); responses are scrubbed when the cassette is saved
  (``before_save_interaction``, where the request that tells the operation is at hand), so nothing
  unscrubbed touches disk. Files are written to a temporary name and renamed into place.
- **Matching** fits rest-json: method, path and query (without ``clientToken``), and the JSON body
  compared as data without ``ClientToken``. Live requests are scrubbed the same deterministic way
  before matching, so they meet their recorded twins.
- **Replay** uses :class:`IndexedCassette`, which finds candidates through a dictionary keyed by
  the match key instead of vcrpy's scan over every interaction, so the cost per replayed request
  stays flat as cassettes grow. The same request made twice plays the recorded answers in order.
- **Lint** (:func:`lint`) checks cassettes for credentials, account ids, addresses outside the
  example domains (after decoding base64 and binary blocks), malformed YAML, malformed fields, foreign
  APIs and contract breaches; it reports every problem of every file and never stops on one.
- **Reading** a cassette (replay and lint alike) goes through :func:`load_yaml` and
  :func:`field_problems`: every field vcrpy and the replay use is checked for its type and range (an
  HTTP status from 100 to 599, headers a mapping of strings, a number of at most
  :data:`.limits.MAX_INT_DIGITS` digits, ...), and each malformed one is a :class:`CassetteError` or a
  lint finding that names the file, the interaction and the field.

This module imports vcrpy; the plugin imports it only in the record and replay modes.
"""

from __future__ import annotations

import collections
import contextlib
import copy
import functools
import hashlib
import json
import os
import re
import tempfile
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import yaml
from vcr.cassette import Cassette
from vcr.persisters.filesystem import CassetteNotFoundError
from vcr.record_mode import RecordMode
from vcr.request import Request
from vcr.serialize import deserialize, serialize

from pytest_connect_email import limits
from pytest_connect_email.cassettes import scrub
from pytest_connect_email.contracts import spec, validator
from pytest_connect_email.emulator import codec, router

VOLATILE_BODY = frozenset({"ClientToken"})
VOLATILE_QUERY = frozenset({"clientToken"})


class CassetteError(Exception):
    """A cassette that cannot be used; the message says which file, where, and what to do."""


# -- operations and documents ----------------------------------------------------------------------


def operation_of(method: str, uri: str) -> str | None:
    found = router.match(method, urlsplit(uri).path)
    return found[0] if found and found[0] in spec.OPERATIONS else None


def _json(body: Any) -> Any:
    if body is None or body == b"" or body == "":
        return None
    if isinstance(body, (bytes, bytearray)):
        body = bytes(body).decode("utf-8", "replace")
    if not isinstance(body, str):
        return None
    try:
        return limits.loads(body, "the body")  # a body over the budgets is compared as text
    except ValueError:
        return None


def _encode(document: Any) -> bytes:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


# -- scrubbing hooks -------------------------------------------------------------------------------


ExtraScrub = Callable[[dict[str, Any], dict[str, Any], str], None]


@dataclass
class Scrubbing:
    """The scrubbing of one cassette: a :class:`~.scrub.Scrubber` (numbered fakes) plus user hooks."""

    scrubber: scrub.Scrubber
    extra: ExtraScrub | None = None
    #: Set while vcrpy loads the cassette: recorded requests are scrubbed already and pass unchanged,
    #: so they never take a number from the test's live values (only noticed, for the old scheme).
    loading: bool = False
    #: Whether a cassette of the old, hashed scheme keeps being scrubbed that way (so it replays);
    #: ``False`` when it is re-recorded from scratch.
    keep_legacy: bool = True

    def request(self, request: Request) -> Request:
        """A scrubbed copy of a vcrpy request (recording, and matching of live requests)."""
        if self.loading:
            if self.keep_legacy:
                body = request.body
                self.scrubber.notice(body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body or ""))
            return request
        clean = copy.deepcopy(request)
        split = urlsplit(clean.uri)
        query = urlencode(scrub.scrub_query(parse_qsl(split.query, keep_blank_values=True)))
        clean.uri = scrub.scrub_account_ids(urlunsplit((split.scheme, split.netloc, split.path, query, "")))
        for name in [n for n in clean.headers if scrub.SCRUB_NAME.search(n)]:
            del clean.headers[name]
        operation = operation_of(clean.method, clean.uri)
        document = _json(clean.body)
        if operation is not None and isinstance(document, dict):
            schema = validator.load_schema(operation, "request")
            clean.body = _encode(self.scrubber.scrub(schema, document, learn=True))
        elif operation is not None and clean.body:
            # Over the budgets (sent with validate_requests=False) or not JSON: scrubbed as text all the same.
            text = clean.body.decode("utf-8", "replace") if isinstance(clean.body, bytes) else str(clean.body)
            members = scrub.sensitive_members(validator.load_schema(operation, "request"))
            clean.body = self.scrubber.scrub_json_text(text, members, learn=True).encode("utf-8")
        return clean

    def response(self, request: Request, response: dict[str, Any]) -> dict[str, Any]:
        """A scrubbed copy of a vcrpy response dict (at save time)."""
        clean = copy.deepcopy(response)
        clean["headers"] = scrub.scrub_headers(clean.get("headers", {}))
        operation = operation_of(request.method, request.uri)
        body = clean.get("body", {}).get("string")
        document = _json(body)
        if operation is not None and document is not None:
            status = int(clean.get("status", {}).get("code", 200))
            schema = _answer_schema(operation, status, clean["headers"], document)
            scrubbed = self.scrubber.scrub(schema or {}, document)
            clean["body"]["string"] = _encode(scrubbed)
        elif isinstance(body, (bytes, str)) and body:
            text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
            schema = validator.load_schema(operation, "response") if operation else {}
            members = scrub.sensitive_members(schema)
            clean["body"]["string"] = self.scrubber.scrub_json_text(text, members).encode("utf-8")
        if self.extra is not None:
            self.extra(_as_plain(request), clean, operation or "")
        return clean

    def save_hook(self) -> Callable[[Request, dict[str, Any]], tuple[Request, dict[str, Any]]]:
        def hook(request: Request, response: dict[str, Any]) -> tuple[Request, dict[str, Any]]:
            return request, self.response(request, response)

        return hook


def scrub_strings(document: Any, scrubber: scrub.Scrubber | None = None) -> Any:
    """A document of no known schema scrubbed by meaning: personal members, addresses, account ids."""
    return (scrubber or scrub.Scrubber()).scrub({}, document)


def _answer_schema(operation: str, status: int, headers: Mapping[str, Any], document: Any) -> dict[str, Any] | None:
    if status < 300:
        return validator.load_schema(operation, "response")
    code = validator.error_code(headers, document)
    return validator.load_schema(operation, "error", code) if code in validator.error_codes(operation) else None


def _as_plain(request: Request) -> dict[str, Any]:
    return {"method": request.method, "uri": request.uri, "headers": dict(request.headers), "body": request.body}


# -- matching --------------------------------------------------------------------------------------


class CassetteMismatchWarning(UserWarning):
    """A call answered by the next unplayed recording of its operation and path, though members of its
    request differ from that recording's (values that change every run: a clock, a ``uuid4()``)."""


def connect_operation(method: str, uri: str) -> str | None:
    """The Connect operation a request calls, any of the model's, covered by this toolkit or not
    (``None``: the request belongs to another API)."""
    found = router.match(method, urlsplit(uri).path)
    return found[0] if found else None


@functools.lru_cache(maxsize=512)
def _volatile(operation: str | None) -> tuple[frozenset[str], frozenset[str]]:
    """The idempotency tokens of an operation (the model's ``idempotencyToken`` members, which botocore fills
    with a fresh uuid4 per call): their names in the body and in the query."""
    if operation is None:
        return VOLATILE_BODY, VOLATILE_QUERY
    try:
        shape = spec.service_model().operation_model(operation).input_shape
    except Exception:  # a model without the operation: the names every Connect operation uses
        return VOLATILE_BODY, VOLATILE_QUERY
    body: set[str] = set(VOLATILE_BODY)  # ClientToken too where the model does not mark it (CreateEmailAddress)
    query: set[str] = set(VOLATILE_QUERY)
    for name, member in (shape.members if shape is not None else {}).items():
        if member.metadata.get("idempotencyToken"):
            wire = member.serialization.get("name", name)
            (query if member.serialization.get("location") == "querystring" else body).add(wire)
    return frozenset(body), frozenset(query)


def match_key(request: Request) -> tuple[str, str, str, str]:
    """What two requests share when they are equal: method, path, query and body, without idempotency tokens."""
    split = urlsplit(request.uri)
    volatile_body, volatile_query = _volatile(connect_operation(request.method, request.uri))
    query = sorted((k, v) for k, v in parse_qsl(split.query, keep_blank_values=True) if k not in volatile_query)
    document = _json(request.body)
    if isinstance(document, dict):
        document = {k: v for k, v in document.items() if k not in volatile_body}
        body = json.dumps(document, sort_keys=True, ensure_ascii=False)
    else:
        body = (
            (request.body or b"").decode("utf-8", "replace")
            if isinstance(request.body, bytes)
            else str(request.body or "")
        )
    return request.method.upper(), split.path, urlencode(query), body


def rest_json_matcher(r1: Request, r2: Request) -> None:
    """A vcrpy matcher: raises AssertionError naming what differs."""
    k1, k2 = match_key(r1), match_key(r2)
    if k1 != k2:
        parts = ("method", "path", "query", "body")
        raise AssertionError(", ".join(f"{p} differs" for p, a, b in zip(parts, k1, k2, strict=True) if a != b))


def ignore_patterns(given: str | Iterable[str]) -> tuple[str, ...]:
    """Members never compared, from ``"References.*.Value,Attributes.trace"`` (commas or white space between)
    or a list: dotted paths of the boto3 parameters, ``*`` for any map key or list item, a number for one
    list item. A ``ValueError`` says which one is malformed."""
    items = re.split(r"[,\s]+", given) if isinstance(given, str) else [str(item) for item in given]
    kept: list[str] = []
    for item in (i.strip() for i in items):
        if not item:
            continue
        if any(not part for part in item.split(".")):
            raise ValueError(
                f"{item!r} has an empty member name: give dotted member names of the boto3 parameters, "
                "* for any map key or list item, e.g. References.*.Value,Attributes.trace"
            )
        kept.append(item)
    return tuple(dict.fromkeys(kept))


#: ``decide(operation, recorded, sent)``: True matches, False does not, None leaves it to the comparison.
Decide = Callable[[str, dict[str, Any], dict[str, Any]], "bool | None"]


@dataclass(frozen=True)
class Matching:
    """How a cassette compares the members of two requests of one operation and path."""

    #: Members never compared (see :func:`ignore_patterns`).
    ignore: tuple[str, ...] = ()
    #: A plugin's judgement (the ``pytest_connect_email_match`` hook), asked first.
    decide: Decide | None = None


@functools.lru_cache(maxsize=64)
def _compiled(ignore: tuple[str, ...]) -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(pattern.split(".")) for pattern in ignore)


def _without(value: Any, patterns: tuple[tuple[str, ...], ...]) -> Any:
    """``value`` without the members the patterns name (a pattern names a member and everything inside it)."""
    if not patterns:
        return value
    if isinstance(value, dict):
        items: Iterator[tuple[Any, Any]] = iter(value.items())
    elif isinstance(value, list):
        items = iter(enumerate(value))
    else:
        return value
    kept: dict[Any, Any] = {}
    for key, item in items:
        inner = tuple(p[1:] for p in patterns if p[0] == "*" or p[0] == str(key))
        if () not in inner:
            kept[key] = _without(item, inner)
    return kept if isinstance(value, dict) else list(kept.values())


def _differences(old: Any, new: Any, where: str = "") -> list[str]:
    """The dotted paths (list items by number) of the members that differ, innermost first found."""
    if old == new:
        return []
    if isinstance(old, dict) and isinstance(new, dict):
        out: list[str] = []
        for key in sorted(set(old) | set(new), key=str):
            inner = f"{where}.{key}" if where else str(key)
            out += _differences(old.get(key), new.get(key), inner) if key in old and key in new else [inner]
        return out
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        out = []
        for index, (a, b) in enumerate(zip(old, new, strict=True)):
            out += _differences(a, b, f"{where}.{index}" if where else str(index))
        return out
    return [where or "the whole request"]


@dataclass
class _Parsed:
    """A request as its boto3 parameters (without idempotency tokens); for a request that cannot be read
    so, its query and JSON body (or text)."""

    operation: str
    params: dict[str, Any]
    fingerprint: str = ""


def _parsed(request: Request) -> _Parsed:
    split = urlsplit(request.uri)
    found = router.match(request.method, split.path)
    raw = request.body or b""
    body = raw.encode("utf-8") if isinstance(raw, str) else bytes(raw)
    query = parse_qsl(split.query, keep_blank_values=True)
    if found is not None:
        operation, labels = found
        headers = {str(k): str(v[0] if isinstance(v, list) and v else v) for k, v in (request.headers or {}).items()}
        http = codec.HttpRequest(
            method=request.method.upper(), raw_path=split.path, query=query, headers=headers, body=body
        )
        try:
            params = codec.parse_request(spec.service_model().operation_model(operation), http, labels)
        except Exception:  # unreadable as the operation's parameters: compared as query and body below
            params = None
        if params is not None:
            tokens = _token_members(operation)
            return _Parsed(operation, {k: v for k, v in params.items() if k not in tokens})
    volatile_body, volatile_query = _volatile(found[0] if found else None)
    document = _json(body)
    if isinstance(document, dict):
        document = {k: v for k, v in document.items() if k not in volatile_body}
    elif document is None:
        document = body.decode("utf-8", "replace")
    kept = {k: v for k, v in query if k not in volatile_query}
    return _Parsed(found[0] if found else "", {"query": kept, "body": document})


@functools.lru_cache(maxsize=512)
def _token_members(operation: str) -> frozenset[str]:
    """The boto3 names of an operation's idempotency tokens, and ``ClientToken`` wherever the model does not
    mark it (CreateEmailAddress's is a token that botocore does not fill)."""
    shape = spec.service_model().operation_model(operation).input_shape
    members = shape.members.items() if shape is not None else ()
    return VOLATILE_BODY | {name for name, member in members if member.metadata.get("idempotencyToken")}


@dataclass(frozen=True)
class Found:
    """The recording that answers a request: its index, and the members that differ (none: an equal one)."""

    index: int
    differences: tuple[str, ...] = ()


Route = tuple[str, str]


def _route(request: Request) -> Route:
    return request.method.upper(), urlsplit(request.uri).path


class IndexedCassette(Cassette):  # type: ignore[misc]  # vcrpy ships no type hints
    """A vcrpy cassette whose lookups go through a dict keyed by method and path.

    Among the recordings of a request's method and path, the first unplayed one with equal members answers
    (boto3 parameters compared as data, idempotency tokens and :attr:`Matching.ignore` left out, the
    ``decide`` callable asked first); with none, :meth:`lookup` may fall back to the first unplayed one in
    recorded order and say which members differ. Equal members are found through a dict of fingerprints,
    built per method and path on first use, so the cost per request stays flat as cassettes grow.
    """

    def __init__(self, *args: Any, matching: Matching | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.matching = matching or Matching()
        self._by_key: dict[Route, list[int]] = {}
        self._parsed_at: dict[int, _Parsed] = {}
        self._equal: dict[Route, dict[str, collections.deque[int]]] = {}
        self._cursor: dict[Route, int] = {}
        self._asked: tuple[Request, Found | None] | None = None
        self._lock = threading.RLock()  # tests may call from several threads at once

    def append(self, request: Request, response: dict[str, Any]) -> None:
        with self._lock:
            before = len(self.data)
            super().append(request, response)
            if len(self.data) > before:
                route = _route(self.data[-1][0])
                self._by_key.setdefault(route, []).append(before)
                table = self._equal.get(route)
                if table is not None and self.matching.decide is None:
                    table.setdefault(self._fingerprint(before), collections.deque()).append(before)

    def rewind(self) -> None:
        with self._lock:
            super().rewind()
            self._equal.clear()
            self._cursor.clear()
            self._asked = None

    # -- lookups -----------------------------------------------------------------------------------

    def lookup(self, request: Request, *, fallback: bool = False) -> Found | None:
        """The recording that answers ``request``: an unplayed one of its method and path with equal members,
        else (``fallback``) the first unplayed one of them, with the members that differ; ``None``: none."""
        with self._lock:
            if self.record_mode == RecordMode.ALL or not (self.rewound or self.allow_playback_repeats):
                return None
            live = self._before_record_request(request)
            if not live:
                return None
            route = _route(live)
            indices = self._by_key.get(route)
            if not indices:
                return None
            sent = self._fingerprinted(_parsed(live))
            index = self._equal_one(route, indices, sent)
            if index is not None:
                return Found(index)
            if not fallback:
                return None
            index = self._first_unplayed(route, indices)
            if index is None:
                return None
            recorded = self._parsed(index)
            patterns = _compiled(self.matching.ignore)
            differ = _differences(_without(recorded.params, patterns), _without(sent.params, patterns))
            return Found(index, tuple(differ) or ("(a pytest_connect_email_match hook said they differ)",))

    def play(self, found: Found) -> dict[str, Any]:
        """Mark a found recording played (as vcrpy's ``play_response`` does) and return its response."""
        with self._lock:
            index = found.index
            response: dict[str, Any] = self.data[index][1]
            if self.play_counts[index] == 0 and index < getattr(self, "_loaded_count", 0):
                self._played_interactions.append((self.data[index][0], response))  # for drop_unused_requests
            self.play_counts[index] += 1
            return response

    def can_play_response_for(self, request: Request) -> bool:
        with self._lock:
            found = self.lookup(request)
            self._asked = (request, found)  # vcrpy's stubs ask play_response for the same request next
            return found is not None

    def play_response(self, request: Request) -> Any:
        from vcr.errors import UnhandledHTTPRequestError

        with self._lock:
            asked, self._asked = self._asked, None
            found = asked[1] if asked is not None and asked[0] is request else None
            if found is None or (self.play_counts[found.index] and not self.allow_playback_repeats):
                found = self.lookup(request)
            if found is None:
                raise UnhandledHTTPRequestError(f"The cassette ({self._path!r}) doesn't contain the request")
            return self.play(found)

    def _responses(self, request: Request) -> Iterator[tuple[int, dict[str, Any]]]:
        """Every recording with equal members (vcrpy's ``responses_of`` and ``in`` use it)."""
        live = self._before_record_request(request)
        if not live:
            return
        sent = self._fingerprinted(_parsed(live))
        for index in self._by_key.get(_route(live), ()):
            if self._is_equal(index, sent):
                yield index, self.data[index][1]

    def closest(self, request: Request) -> tuple[Request | None, str]:
        """The recorded request nearest to ``request`` and what differs (for error messages)."""
        wanted = match_key(self._before_record_request(request))
        best: tuple[int, Request | None, str] = (-1, None, "the cassette is empty")
        for recorded, _ in self.data:
            key = match_key(recorded)
            same = sum(a == b for a, b in zip(key, wanted, strict=True))
            if same > best[0]:
                best = (same, recorded, _difference(key, wanted))
        return best[1], best[2]

    # -- internals ---------------------------------------------------------------------------------

    def _playable(self, index: int) -> bool:
        return bool(self.allow_playback_repeats) or self.play_counts[index] == 0

    def _parsed(self, index: int) -> _Parsed:
        parsed = self._parsed_at.get(index)
        if parsed is None:
            parsed = self._parsed_at[index] = self._fingerprinted(_parsed(self.data[index][0]))
        return parsed

    def _fingerprinted(self, parsed: _Parsed) -> _Parsed:
        kept = _without(parsed.params, _compiled(self.matching.ignore))
        parsed.fingerprint = json.dumps(kept, sort_keys=True, ensure_ascii=False, default=str)
        return parsed

    def _fingerprint(self, index: int) -> str:
        return self._parsed(index).fingerprint

    def _is_equal(self, index: int, sent: _Parsed) -> bool:
        recorded = self._parsed(index)
        if self.matching.decide is not None:
            verdict = self.matching.decide(sent.operation, recorded.params, sent.params)
            if verdict is not None:
                return bool(verdict)
        return recorded.fingerprint == sent.fingerprint

    def _equal_one(self, route: Route, indices: list[int], sent: _Parsed) -> int | None:
        if self.matching.decide is not None:  # a plugin judges each pair: asked in recorded order
            return next((i for i in indices if self._playable(i) and self._is_equal(i, sent)), None)
        table = self._equal.get(route)
        if table is None:
            table = self._equal[route] = {}
            for index in indices:
                table.setdefault(self._fingerprint(index), collections.deque()).append(index)
        queue = table.get(sent.fingerprint)
        while queue and not self._playable(queue[0]):
            queue.popleft()  # played: never again until a rewind rebuilds the table
        return queue[0] if queue else None

    def _first_unplayed(self, route: Route, indices: list[int]) -> int | None:
        if self.allow_playback_repeats:
            return indices[0]
        at = self._cursor.get(route, 0)
        while at < len(indices) and not self._playable(indices[at]):
            at += 1
        self._cursor[route] = at
        return indices[at] if at < len(indices) else None


def _difference(recorded: tuple[str, ...], wanted: tuple[str, ...]) -> str:
    names = ("method", "path", "query", "body")
    out = []
    for name, a, b in zip(names, recorded, wanted, strict=True):
        if a == b:
            continue
        if name == "body":
            old, new = _json(a), _json(b)
            keys = _differences(old, new) if _both_dicts(old, new) else []
            if keys:
                out.append(f"body members differ: {', '.join(keys)}")
                continue
            why = [
                f"the {side} body {note}" for side, text in (("recorded", a), ("new", b)) if (note := _not_json(text))
            ]
            if why:
                out.append(
                    f"body: {'; '.join(why)}, so the bodies are compared as text: recorded {a[:120]!r}, now {b[:120]!r}"
                )
                continue
        out.append(f"{name}: recorded {a[:120]!r}, now {b[:120]!r}")
    return "; ".join(out) or "nothing (it was already played)"


def _both_dicts(old: Any, new: Any) -> bool:
    return isinstance(old, dict) and isinstance(new, dict)


def _not_json(text: str) -> str | None:
    """Why a non-empty body is not compared as JSON (over which budget, or not JSON at all); ``None`` when it is."""
    if not text:
        return None
    try:
        limits.loads(text, "it")
    except limits.LimitExceeded as exc:
        return f"is over a budget: {exc.message} (pytest_connect_email.limits.{exc.limit})"
    except ValueError:
        return "is not JSON"
    return None


# -- files -----------------------------------------------------------------------------------------


class AtomicPersister:
    """Loads cassettes with clear errors; saves through a temporary file and a rename."""

    @staticmethod
    def load_cassette(cassette_path: str | Path, serializer: Any) -> Any:
        path = Path(cassette_path)
        if not path.is_file():
            raise CassetteNotFoundError()
        text = read_cassette_text(path)
        if not text.strip():
            raise CassetteNotFoundError()
        loaded = load_yaml(path, text)
        problems = field_problems(loaded)
        if problems:
            where, problem = problems[0]
            more = (
                f" (and {len(problems) - 1} more: `connect-email cassettes lint {path}` lists them)"
                if len(problems) > 1
                else ""
            )
            raise CassetteError(f"{path}: {where}: {problem}{more}; {_FIX}")
        try:
            requests, responses = deserialize(text, _Loaded(loaded))  # vcrpy's conversion, without parsing again
        except Exception as exc:
            raise CassetteError(f"{path}: not a vcrpy cassette ({exc}); delete it and record again") from None
        for request in requests:
            if connect_operation(request.method, request.uri) is None:  # any Connect operation replays
                raise CassetteError(
                    f"{path}: {request.method} {urlsplit(request.uri).path} is no Amazon Connect email operation; "
                    "this cassette belongs to another API — point --connect-cassette-dir elsewhere or record again"
                )
        return requests, responses

    @staticmethod
    def save_cassette(cassette_path: str | Path, cassette_dict: dict[str, Any], serializer: Any) -> None:
        path = Path(cassette_path)
        path.parent.mkdir(parents=True, exist_ok=True)
        data = serialize(cassette_dict, serializer)
        fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(data)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise


def read_cassette_text(path: Path) -> str:
    """A cassette file's text, read within the budgets of :mod:`.limits` (size, then nesting, aliases
    and tags judged on the YAML event stream) before any YAML loader composes it; a
    :class:`CassetteError` naming the file and the limit otherwise."""
    try:
        size = path.stat().st_size
        if size > limits.MAX_CASSETTE_BYTES:
            raise CassetteError(
                f"{path}: {size} bytes, over the cassette limit of {limits.MAX_CASSETTE_BYTES} "
                "(pytest_connect_email.limits.MAX_CASSETTE_BYTES)"
            )
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CassetteError(
            f"{path}: not a cassette: not UTF-8 text (invalid byte at offset {exc.start}); delete it and record again"
        ) from None
    except OSError as exc:
        raise CassetteError(f"{path}: cannot read it: {exc.strerror or exc}") from None
    try:
        limits.check_yaml_text(text, "the cassette")
    except limits.LimitExceeded as exc:
        raise CassetteError(f"{path}: {exc.message} (pytest_connect_email.limits.{exc.limit}); refused") from None
    return text


class _Loaded:
    """A vcrpy serializer that hands over a document :func:`load_yaml` read already."""

    def __init__(self, document: Any) -> None:
        self.document = document

    def deserialize(self, _text: str) -> Any:
        return self.document


@dataclass(frozen=True)
class _LongNumber:
    """An integer literal of more than :data:`.limits.MAX_INT_DIGITS` digits, kept as its length: Python
    refuses to read one of over 4,300 digits, and no recorded field needs more than a few."""

    digits: int

    def __str__(self) -> str:
        return f"<a number of {self.digits} digits>"


_INT_TAG = "tag:yaml.org,2002:int"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"


class _CassetteLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]  # PyYAML's C base
    """YAML's safe loader plus the benign string tags vcrpy writes; an over-long integer is read as a
    :class:`_LongNumber` (reported where it sits) and an impossible timestamp as a marked YAML error."""


def _construct_int(loader: Any, node: yaml.ScalarNode) -> Any:
    digits = sum(c.isalnum() for c in str(node.value))
    if digits > limits.MAX_INT_DIGITS:
        return _LongNumber(digits)
    return yaml.constructor.SafeConstructor.construct_yaml_int(loader, node)


def _construct_timestamp(loader: Any, node: yaml.ScalarNode) -> Any:
    try:
        return yaml.constructor.SafeConstructor.construct_yaml_timestamp(loader, node)
    except ValueError as exc:
        raise yaml.constructor.ConstructorError(
            None, None, f"{str(node.value)[:40]!r} is no date or time ({exc})", node.start_mark
        ) from None


def _construct_str(loader: Any, node: yaml.ScalarNode) -> Any:
    return loader.construct_scalar(node)


_CassetteLoader.add_constructor(_INT_TAG, _construct_int)
_CassetteLoader.add_constructor(_TIMESTAMP_TAG, _construct_timestamp)
_CassetteLoader.add_constructor("tag:yaml.org,2002:python/str", _construct_str)
_CassetteLoader.add_constructor("tag:yaml.org,2002:python/unicode", _construct_str)


def load_yaml(path: Path, text: str) -> Any:
    """A cassette's YAML as data (after :func:`read_cassette_text` judged its budgets), or a
    :class:`CassetteError` naming the file and where the YAML breaks."""
    try:
        return yaml.load(text, Loader=_CassetteLoader)  # a safe loader: see _CassetteLoader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else "somewhere"
        raise CassetteError(
            f"{path}: malformed YAML at {where}: {exc.problem}; the cassette is corrupt or truncated — "
            "delete it and record again"
        ) from None
    except yaml.YAMLError as exc:
        raise CassetteError(f"{path}: malformed YAML: {exc}; delete it and record again") from None
    except (ValueError, TypeError, OverflowError) as exc:  # a value PyYAML's constructors cannot build
        raise CassetteError(f"{path}: YAML that cannot be read ({exc}); delete it and record again") from None


#: Kept for callers of the former name: :func:`load_yaml`.
check_yaml = load_yaml

_FIX = "the cassette was edited or is corrupt: correct that field, or delete the cassette and record it again"
_REQUEST_FIELDS = ("method", "uri", "body", "headers")
_METHOD = re.compile(r"[A-Za-z]{1,16}")


def _shown(value: Any) -> str:
    if isinstance(value, _LongNumber):
        return (
            f"a number of {value.digits} digits (over the limit of {limits.MAX_INT_DIGITS}, "
            "pytest_connect_email.limits.MAX_INT_DIGITS)"
        )
    if isinstance(value, (str, bytes)):
        return f"{value[:40]!r}" + ("..." if len(value) > 40 else "")
    if isinstance(value, bool) or value is None or isinstance(value, (int, float)):
        return repr(value)
    return f"a {type(value).__name__}"


def _headers_problems(headers: Any, where: str) -> list[tuple[str, str]]:
    if not isinstance(headers, dict):
        return [(where, f"must be a mapping of header names to values, not {_shown(headers)}")]
    problems = []
    for name, value in headers.items():
        if not isinstance(name, str):
            problems.append((where, f"a header name must be text, not {_shown(name)}"))
        elif isinstance(value, list):
            wrong = [(i, v) for i, v in enumerate(value) if not isinstance(v, str)]
            problems += [(f"{where}.{name}[{i}]", f"a header value must be text, not {_shown(v)}") for i, v in wrong]
        elif not isinstance(value, str):
            problems.append((f"{where}.{name}", f"must be a text value or a list of them, not {_shown(value)}"))
    return problems


def _interaction_problems(index: int, interaction: Any) -> list[tuple[str, str]]:
    """Every field of one recorded interaction that vcrpy or the replay cannot use, as (where, problem)."""
    at = f"interactions[{index}]"
    if not isinstance(interaction, dict):
        return [(at, f"must be a mapping with 'request' and 'response', not {_shown(interaction)}")]
    problems: list[tuple[str, str]] = []
    request, response = interaction.get("request"), interaction.get("response")
    if "request" not in interaction:
        problems.append((f"{at}.request", "missing: each interaction records a request and its response"))
    elif not isinstance(request, dict):
        problems.append((f"{at}.request", f"must be a mapping of {', '.join(_REQUEST_FIELDS)}, not {_shown(request)}"))
    else:
        missing = [f for f in _REQUEST_FIELDS if f not in request]
        problems += [(f"{at}.request.{f}", "missing (vcrpy records method, uri, body and headers)") for f in missing]
        extra = sorted(str(f) for f in request if f not in _REQUEST_FIELDS)
        problems += [(f"{at}.request.{f}", "not a field of a recorded request") for f in extra]
        method, uri, body = request.get("method", "GET"), request.get("uri", "https://h/"), request.get("body")
        if not isinstance(method, str) or not _METHOD.fullmatch(method):
            problems.append((f"{at}.request.method", f"must be an HTTP method such as GET, not {_shown(method)}"))
        if not isinstance(uri, str) or not _is_url(uri):
            problems.append((f"{at}.request.uri", f"must be an http(s) URL, not {_shown(uri)}"))
        if body is not None and not isinstance(body, (str, bytes)):
            problems.append((f"{at}.request.body", f"must be text, binary or null, not {_shown(body)}"))
        problems += _headers_problems(request.get("headers", {}), f"{at}.request.headers")
    if "response" not in interaction:
        problems.append((f"{at}.response", "missing: each interaction records a request and its response"))
    elif not isinstance(response, dict):
        problems.append((f"{at}.response", f"must be a mapping of status, headers and body, not {_shown(response)}"))
    else:
        status = response.get("status")
        code = status.get("code") if isinstance(status, dict) else None
        if "status" not in response:
            problems.append((f"{at}.response.status", "missing: a recorded answer has a status code"))
        elif not isinstance(status, dict):
            problems.append((f"{at}.response.status", f"must be a mapping with a 'code', not {_shown(status)}"))
        elif type(code) is not int or not 100 <= code <= 599:
            problems.append(
                (f"{at}.response.status.code", f"must be an HTTP status code (100 to 599), not {_shown(code)}")
            )
        elif not isinstance(status.get("message", ""), str):
            problems.append((f"{at}.response.status.message", f"must be text, not {_shown(status['message'])}"))
        if "headers" not in response:
            problems.append((f"{at}.response.headers", "missing (an empty mapping when there are none)"))
        else:
            problems += _headers_problems(response["headers"], f"{at}.response.headers")
        body = response.get("body")
        if not isinstance(body, dict) or "string" not in body:
            problems.append(
                (f"{at}.response.body", f"must be a mapping with the answer in 'string', not {_shown(body)}")
            )
        elif not isinstance(body["string"], (str, bytes)):
            problems.append((f"{at}.response.body.string", f"must be text or binary, not {_shown(body['string'])}"))
    return problems


def _is_url(uri: str) -> bool:
    try:
        split = urlsplit(uri)
    except ValueError:
        return False
    return split.scheme in ("http", "https") and bool(split.netloc)


def _long_numbers(value: Any, where: str) -> Iterator[tuple[str, _LongNumber]]:
    if isinstance(value, _LongNumber):
        yield where, value
    elif isinstance(value, dict):
        for key, item in value.items():
            inner = f"{where}.{key}" if where else str(key)
            if isinstance(key, _LongNumber):
                yield inner, key
            yield from _long_numbers(item, inner)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _long_numbers(item, f"{where}[{index}]")


def field_problems(loaded: Any) -> list[tuple[str, str]]:
    """Every malformed field of a loaded cassette, as (where, problem): ``where`` names the interaction
    (its index) and the field (``interactions[2].response.status.code``). Empty for a usable cassette."""
    if not isinstance(loaded, dict) or not isinstance(loaded.get("interactions"), list):
        return [("interactions", "not a vcrpy cassette (no 'interactions' list)")]
    problems: list[tuple[str, str]] = []
    for index, interaction in enumerate(loaded["interactions"]):
        problems += _interaction_problems(index, interaction)
    named = {where for where, _ in problems}
    for where, number in _long_numbers(loaded, ""):
        if where not in named:
            problems.append((where, f"holds {_shown(number)}; no recorded field needs so many"))
    return problems


#: Our cassettes end in this, so they never collide with pytest-recording's ``<test>.yaml`` files.
SUFFIX = ".connect.yaml"

#: What a path component keeps as it is: letters, digits and ``_ . - [ ]``, safe on every filesystem.
_UNSAFE = re.compile(r"[^A-Za-z0-9_.\-\[\]]")
#: Names Windows reserves whatever their extension.
_RESERVED = re.compile(r"(?i)(?:con|prn|aux|nul|com[0-9]|lpt[0-9])(?:\..*)?")
#: The longest component kept whole; a longer one is cut and gets the digest.
_LONGEST = 100


def cassette_path(directory: Path, nodeid: str, file: Path, rootdir: Path) -> Path:
    """Where the test with this node id keeps its cassette: ``<dir>/<test file>/<class>/<function>[<id>].connect.yaml``.

    ``<test file>`` is the file's path relative to ``rootdir`` (``tests/unit/test_api.py``), or, for a file
    outside it (the shipped conformance suite, collected from the installed package), its path from the
    top of its package (``pytest_connect_email/conformance/checks.py``), so the cassette does
    not depend on where the package is installed. The file keeps its ``.py``, so a class folder (never
    ``.py``) and a module folder never meet. A component keeps only letters, digits and ``_ . - [ ]``;
    one that lost anything (another character, a capital in a parametrization id, which a case-insensitive
    filesystem would fold, a name Windows reserves, a length over 100) is sanitised and ends in ``~`` and
    12 hex digits of the SHA-256 of the node id (as from the rootdir or package), which no unsanitised
    component has: two node ids never share a file.
    """
    files, names = _key_parts(nodeid, file, rootdir)
    parts = [*files, *names]
    digest = hashlib.sha256(test_key(nodeid, file, rootdir).encode("utf-8")).hexdigest()[:12]
    last = len(parts) - 1
    safe = [_component(part, digest, fold=index == last and "[" in nodeid) for index, part in enumerate(parts)]
    return directory.joinpath(*safe[:-1], f"{safe[-1]}{SUFFIX}")


def test_key(nodeid: str, file: Path, rootdir: Path) -> str:
    """The node id as seen from the rootdir, or from the top of the package for a file outside it
    (``pytest_connect_email/conformance/checks.py::test_x``): the same wherever the project or the
    package is, so it names a test's cassette and seeds what its recording generates."""
    files, names = _key_parts(nodeid, file, rootdir)
    return "::".join(["/".join(files), *names])


def _key_parts(nodeid: str, file: Path, rootdir: Path) -> tuple[list[str], list[str]]:
    head, bracket, param = nodeid.partition("[")
    names = head.split("::")[1:] or [Path(head).name]
    names[-1] += bracket + param
    return _file_parts(file, rootdir), names


def _file_parts(file: Path, rootdir: Path) -> list[str]:
    try:
        return list(file.resolve().relative_to(rootdir.resolve()).parts)
    except ValueError:
        pass
    top = file.resolve()
    while (top.parent / "__init__.py").is_file() and top.parent != top.parent.parent:
        top = top.parent
    if top == file.resolve():  # not in a package: the name, and the folder's digest
        where = hashlib.sha256(str(file.resolve().parent).encode("utf-8")).hexdigest()[:12]
        return [f"outside-{where}", file.name]
    return list(file.resolve().relative_to(top.parent).parts)


def _component(text: str, digest: str, *, fold: bool) -> str:
    safe = _UNSAFE.sub("_", text)
    lossless = (
        safe == text
        and 0 < len(text) <= _LONGEST
        and not text.startswith(".")
        and not text.endswith(".")
        and not _RESERVED.fullmatch(text)
        and not (fold and text != text.lower())
    )
    return text if lossless else f"{safe[:_LONGEST].strip('.') or '_'}~{digest}"


def legacy_cassette_path(directory: Path, module: str, test_name: str) -> Path:
    """Where releases before per-node-id paths kept a cassette: ``<dir>/<module stem>/<test name>.connect.yaml``
    (same-named tests shared it). For :func:`migrate` and the error that points at it."""
    safe = re.sub(r"[^A-Za-z0-9_.\-\[\]]+", "_", test_name)
    return directory / module / f"{safe}{SUFFIX}"


def migrate(moves: Mapping[Path, list[Path]], *, dry_run: bool = False) -> list[str]:
    """Copy each old-layout cassette to the new path of every test that used it (same-named tests shared one,
    so each gets its own copy of what they replayed), then remove the old file. A new path that exists already
    is left alone. Returns one line per action."""
    said: list[str] = []
    for old, news in sorted(moves.items()):
        if not old.is_file():
            continue
        for new in sorted(set(news)):
            if new.exists():
                said.append(f"kept {new} (it exists; {old} not copied there)")
                continue
            said.append(f"{old} -> {new}")
            if not dry_run:
                new.parent.mkdir(parents=True, exist_ok=True)
                new.write_bytes(old.read_bytes())
        if not dry_run:
            old.unlink()
            with contextlib.suppress(OSError):  # the module's folder, once empty
                old.parent.rmdir()
    return said


# -- the plugin's per-test cassette ----------------------------------------------------------------


#: Settings a recording must share with its replay: where cassettes live, what the recorded requests hold
#: (region, instance, queue, names from the seed and domain), the target and the accounts recording may use.
RECORD_SETTINGS = (
    "--connect-cassette-dir",
    "--connect-endpoint-url",
    "--connect-region",
    "--connect-instance-id",
    "--connect-queue-id",
    "--connect-seed",
    "--connect-email-domain",
    "--connect-record-accounts",
    "--connect-cassette-ignore",
)


def record_options(sources: Iterable[tuple[str, str, str]]) -> tuple[str, ...]:
    """The options of :data:`RECORD_SETTINGS` the run was given (``Settings.sources``), as arguments for the
    recording command. Values from the project's ini file (``ini file``, ``addopts in``) are left out: the
    command, pasted where the run started, reads the same ini. A relative cassette folder stays relative."""
    out: list[str] = []
    for option, text, source in sources:
        if option in RECORD_SETTINGS and not source.startswith(("ini file", "addopts in")):
            out += [option, text]
    return tuple(out)


class CassetteState:
    """The cassette of the running test, shared with the clients' event handlers."""

    def __init__(self) -> None:
        self.cassette: IndexedCassette | None = None
        self.scrubbing: Scrubbing | None = None
        self.path: Path | None = None
        self.nodeid = ""
        #: The test's :func:`test_key` (set by the plugin's cassette fixture): seeds the recorded tokens.
        self.key = ""
        self.record_mode = "none"
        #: ``--connect-cassette-strict``: a call whose members differ from every recording fails the test.
        self.strict = False
        #: The running test already failed for its cassette (a miss, or a strict mismatch).
        self.failed = False
        #: The run's settings a recording must share with this replay (:func:`record_options`), for the
        #: command a missing cassette prints.
        self.record_options: tuple[str, ...] = ()

    def record_command(self, nodeid: str) -> str:
        """The command that records ``nodeid``'s cassette where this run looks for it, each argument quoted."""
        import shlex

        return shlex.join(["pytest", "-p", "connect_email", "--connect-mode", "record", *self.record_options, nodeid])

    @contextlib.contextmanager
    def use(
        self,
        path: Path,
        *,
        record_mode: str,
        extra: Any = None,
        nodeid: str = "",
        matching: Matching | None = None,
        strict: bool = False,
    ) -> Iterator[IndexedCassette]:
        """Load the test's cassette (no HTTP patching: only Connect calls reach it, through
        :class:`CassetteTarget`), and save it afterwards when the test recorded something. ``matching``
        says which members are compared (:class:`Matching`); ``strict`` makes a mismatch a failure."""
        from vcr import VCR

        def user_scrub(request: dict[str, Any], response: dict[str, Any], operation: str) -> None:
            if extra is not None:
                extra(request=request, response=response, operation=operation)

        scrubbing = Scrubbing(scrub.Scrubber(), user_scrub, keep_legacy=record_mode != "all")
        recorder = VCR(
            record_mode=record_mode,
            match_on=["connect"],
            before_record_request=scrubbing.request,
            before_save_interaction=scrubbing.save_hook(),
            decode_compressed_response=True,
            # "all" re-records a test's cassette from scratch: without this vcrpy keeps the old interactions
            # the new ones do not match (fresh ids never match), and a strict replay finds them unplayed.
            drop_unused_requests=record_mode == "all",
        )
        recorder.register_matcher("connect", rest_json_matcher)
        recorder.register_persister(AtomicPersister)
        config = recorder.get_merged_config(path=str(path))
        for name in ("path_transformer", "func_path_generator", "record_on_exception"):  # the decorator's, not ours
            config.pop(name, None)
        self.scrubbing, self.path, self.nodeid, self.record_mode = scrubbing, path, nodeid, record_mode
        self.strict, self.failed = strict, False
        try:
            scrubbing.loading = True  # recorded requests are scrubbed already: they take no numbers
            try:
                cassette = IndexedCassette.load(**config, matching=matching)
            finally:
                scrubbing.loading = False
            self.cassette = cassette
            yield cassette
            cassette._save()  # writes only when something was recorded: a test without Connect calls writes nothing
        finally:
            self.cassette = self.scrubbing = self.path = None


#: The only headers a cassette keeps: what matching, replay and botocore's parsing read (no Connect email
#: operation binds a member to a header). Transport noise (``User-Agent`` with its metric flags and kernel,
#: ``X-Amz-Date``, ``amz-sdk-*``, request ids, ``Date``, ``Content-Length``) would change every recording.
KEPT_REQUEST_HEADERS = frozenset({"content-type"})
KEPT_RESPONSE_HEADERS = frozenset({"content-type", "x-amzn-errortype"})
_LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]", "::1")
_SCOPE_REGION = re.compile(r"Credential=[^/,\s]+/\d{8}/([a-z0-9-]+)/")


def kept_headers(headers: Mapping[str, Any], kept: frozenset[str]) -> dict[str, Any]:
    """``headers`` without transport noise: only the names in ``kept`` (any case)."""
    return {name: value for name, value in headers.items() if name.lower() in kept}


def recorded_base(request: codec.HttpRequest, signer: Any, default: str) -> str:
    """The scheme and host a cassette records for ``request``: the host the client addressed
    (``connect.eu-west-2.amazonaws.com``, a team's gateway), so the URI keeps the client's region and
    endpoint shape; a loopback host (the front subprocesses reach, a served emulator: its port changes
    every run) becomes ``connect.<region>.amazonaws.com`` in the region of the client's signer or of its
    signature's credential scope, else ``default``'s."""
    host = request.host or ""
    name = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    if host and name not in _LOOPBACK_HOSTS:
        return f"https://{host}"
    region = getattr(signer, "region_name", None)
    if not isinstance(region, str) or not region:
        found = _SCOPE_REGION.search(request.header("Authorization") or "")
        region = found.group(1) if found else None
    return f"https://connect.{region}.amazonaws.com" if region else default


def stable_tokens(request: Request, tokens: dict[str, str], seed: str) -> Request:
    """``request`` with each idempotency token (``ClientToken`` in the body, ``clientToken`` in the query;
    botocore makes a uuid4 per call) replaced by a UUID made from ``seed`` (the test's node id) and the order
    in which the token first appeared (``tokens`` remembers), so a token sent twice stays one token and a
    re-recording writes the same ones. Matching ignores these members."""

    def stable(token: str) -> str:
        if token not in tokens:
            digest = hashlib.sha256(f"{seed}:token:{len(tokens)}".encode()).hexdigest()
            tokens[token] = str(uuid.UUID(digest[:32], version=4))
        return tokens[token]

    document = _json(request.body)
    split = urlsplit(request.uri)
    pairs = parse_qsl(split.query, keep_blank_values=True)
    if not (isinstance(document, dict) and any(k in document for k in VOLATILE_BODY)) and not any(
        k in VOLATILE_QUERY for k, _ in pairs
    ):
        return request
    clean = copy.copy(request)
    if isinstance(document, dict) and any(k in document for k in VOLATILE_BODY):
        document = {k: stable(v) if k in VOLATILE_BODY and isinstance(v, str) else v for k, v in document.items()}
        clean.body = _encode(document)
    if any(k in VOLATILE_QUERY for k, _ in pairs):
        query = urlencode([(k, stable(v) if k in VOLATILE_QUERY else v) for k, v in pairs])
        clean.uri = urlunsplit((split.scheme, split.netloc, split.path, query, split.fragment))
    return clean


@dataclass
class CassetteTarget:
    """Replay Connect calls from the running test's cassette, or record them into it.

    In replay, a call the cassette does not hold is a :class:`CassetteError` that names the cassette,
    the closest recording and the command that records it again. In record mode a call the cassette
    already holds is played (record modes ``once`` and ``new_episodes``), others go to ``inner`` and
    are recorded. Answers carry the test's own values again (the cassette holds scrubbed ones).
    """

    state: CassetteState
    #: Where recorded calls go (record mode); ``None`` replays.
    inner: Any = None
    #: The host recorded in the cassettes' URIs when the call's own cannot tell (see :func:`recorded_base`;
    #: matching ignores it).
    base_url: str = "https://connect.us-east-1.amazonaws.com"
    #: The running test's idempotency tokens and the stable ones recorded for them (:func:`stable_tokens`).
    _tokens: tuple[str, dict[str, str]] = field(default_factory=lambda: ("", {}), repr=False)

    @property
    def offline(self) -> bool:
        return self.inner is None or bool(self.inner.offline)

    def answer(self, operation: str, request: codec.HttpRequest, signer: Any) -> codec.HttpResponse | None:
        state = self.state
        cassette, path = state.cassette, state.path
        if cassette is None or path is None:
            raise CassetteError(
                f"a Connect call ({operation}) was made outside a test's cassette: record and replay keep one "
                "cassette per test, so make Connect calls inside tests (not at import or in session fixtures)"
            )
        query = f"?{request.raw_query}" if request.raw_query else ""
        base = recorded_base(request, signer, self.base_url)
        wanted = Request(
            request.method,
            f"{base}{request.raw_path}{query}",
            request.body,
            kept_headers(request.headers, KEPT_REQUEST_HEADERS),
        )
        # Where nothing may be recorded, a call with no equal recording takes the next one of its operation and
        # path (values that change every run); where it may, it is a new episode, as with vcrpy.
        found = cassette.lookup(wanted, fallback=self.inner is None or cassette.write_protected)
        if found is not None:
            if found.differences:
                self._differ(operation, path, found)
            return self._played(cassette.play(found))
        if self.inner is None:
            state.failed = True
            raise CassetteError(self._miss(cassette, path, wanted))
        if cassette.write_protected:
            raise CassetteError(
                f"{path}: {operation} is not in the cassette, and record mode {state.record_mode!r} may not add to "
                "an existing cassette; record again with --connect-record-mode all (or new_episodes)"
            )
        answer: codec.HttpResponse | None = self.inner.answer(operation, request, signer)
        if answer is not None:
            phrase = _phrase(answer.status)
            headers = {k: [v] for k, v in kept_headers(answer.headers, KEPT_RESPONSE_HEADERS).items()}
            if self._tokens[0] != (state.key or state.nodeid):
                self._tokens = (state.key or state.nodeid, {})
            recorded = stable_tokens(wanted, self._tokens[1], self._tokens[0])
            body = answer.body
            for original, stable in self._tokens[1].items():  # an answer that names the token (an error message)
                body = body.replace(original.encode("utf-8"), stable.encode("utf-8"))
            cassette.append(
                recorded,
                {
                    "status": {"code": answer.status, "message": phrase},
                    "headers": headers,
                    "body": {"string": body},
                },
            )
        return answer

    def _played(self, recorded: dict[str, Any]) -> codec.HttpResponse:
        headers = {str(k): str(v[0] if isinstance(v, list) and v else v) for k, v in recorded["headers"].items()}
        body = recorded.get("body", {}).get("string", b"")
        body = body.encode("utf-8") if isinstance(body, str) else bytes(body or b"")
        scrubbing, document = self.state.scrubbing, _json(body)
        if scrubbing is not None and scrubbing.scrubber.originals and document is not None:
            body = _encode(scrubbing.scrubber.restore(document))
        headers.pop("Content-Length", None)
        return codec.HttpResponse(int(recorded["status"]["code"]), headers, body)

    def _differ(self, operation: str, path: Path, found: Found) -> None:
        """A call answered by a recording whose members differ: a warning, or with ``strict`` a failure."""
        shown = ", ".join(found.differences[:10]) + (" ..." if len(found.differences) > 10 else "")
        ignore = ",".join(d for d in found.differences[:10] if not d.startswith("("))
        advice = (
            f"if they change every run (a clock, a uuid4), leave them out of matching: --connect-cassette-ignore "
            f"{ignore} (ini connect_cassette_ignore), or @pytest.mark.connect_cassette(ignore=[...]) on the test; "
            if ignore
            else ""
        )
        advice += "if the request changed, record again with --connect-mode record --connect-record-mode all"
        if self.state.strict:
            self.state.failed = True
            raise CassetteError(
                f"{path}: no recording of {operation} has this request's members (--connect-cassette-strict); "
                f"these differ from the next recording in order: {shown}; {advice}"
            )
        import warnings

        warnings.warn(
            CassetteMismatchWarning(
                f"{path}: {operation} was answered by its next recording in order, though these members of the "
                f"request differ from it: {shown}; {advice}"
            ),
            stacklevel=2,
        )

    def _miss(self, cassette: IndexedCassette, path: Path, wanted: Request) -> str:
        nodeid = self.state.nodeid
        if len(cassette) == 0:
            return f"no cassette at {path} for {nodeid}; record it with: {self.state.record_command(nodeid)}"
        closest, difference = cassette.closest(wanted)
        shown = f"{closest.method} {urlsplit(closest.uri).path}" if closest is not None else "none"
        return (
            f"{path}: no recorded answer for {wanted.method} {urlsplit(wanted.uri).path} "
            f"(closest recorded: {shown}; {difference}); record again with --connect-mode record "
            "--connect-record-mode all"
        )


def _phrase(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""
