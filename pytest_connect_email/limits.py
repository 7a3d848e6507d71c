"""The size and nesting budgets of every entry point, in one place, and the checks that apply them.

Input enters in four places: an HTTP body (the emulator's codec), a document handed to the
validator (``contracts``), a cassette file (``cassettes``: replay and lint), and files named on the
command line (``cli``). Each checks its input against the budgets below *before* handing it to a
parser or engine that recurses (``json``'s C scanner, PyYAML's composer, ``jsonschema-rs``,
``jsonschema``) or walks it whole, and answers with its own error type (a 4xx, a
:class:`~pytest_connect_email.contracts.validator.ContractViolation`, a
:class:`~pytest_connect_email.cassettes.replay.CassetteError`) whose message names the budget.

Every budget sits far above anything a valid Connect email request, response or cassette holds:
the deepest valid document nests 8 levels, the largest holds about 16,400 values (32 KiB of
one-character attributes), and a cassette of 5,000 interactions is under 20 MB.

The checks here are pure functions over text or plain data; they never recurse deeper than
:data:`MAX_DEPTH` and never look at more than :data:`MAX_NODES` values, so checking is linear in
the input and bounded in stack.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import math
import re
from collections.abc import Iterator, Mapping
from typing import Any

import yaml

#: Deepest nesting of objects and arrays (JSON) or mappings and sequences (YAML) accepted anywhere.
MAX_DEPTH = 64
#: Most values (scalars, objects, arrays; map keys not counted) in one document.
MAX_NODES = 50_000
#: Most characters across all strings of one document (a shared string counts at every place it
#: appears); the model's largest member holds 5 MiB.
MAX_TEXT_CHARS = 16 * 1024 * 1024
#: Largest request body the emulator reads (bytes); ``connect-email emulator serve --max-body-bytes``.
MAX_BODY_BYTES = 8 * 1024 * 1024
#: Longest integer literal read from JSON (digits). Python refuses over 4,300; no model integer
#: needs more than 20.
MAX_INT_DIGITS = 100
#: Largest cassette file read for replay or lint (bytes).
MAX_CASSETTE_BYTES = 64 * 1024 * 1024
#: Largest conformance report (JSON) ``connect-email report merge`` reads (bytes), then within
#: ``MAX_DEPTH``/``MAX_NODES``; the shipped suite's report is about 70 KiB.
MAX_REPORT_BYTES = 16 * 1024 * 1024
#: Most YAML nodes in a cassette, aliases expanded (a cassette of 5,000 interactions has ~290,000).
#: Loading costs about 12 us a node: 2,000,000 nodes took 31 s to lint, this many about 6 s.
MAX_YAML_NODES = 500_000
#: Most YAML nodes that aliases may add (vcrpy writes none; stops alias bombs).
MAX_YAML_ALIAS_NODES = 10_000
#: Most characters of scalars that aliases may add (vcrpy writes none; stops a few aliases of one huge
#: scalar, which the node budget lets through). A hand-written cassette may share a body of a few MB.
MAX_YAML_ALIAS_CHARS = 4 * 1024 * 1024
#: Most violations one validation reports; the rest are summarised in one line.
MAX_VIOLATIONS = 100
#: Seconds a served emulator waits for the next bytes of a request before closing the connection.
READ_TIMEOUT = 5.0
#: Connections a served emulator serves at once (each with a thread); a connection that sends its
#: request while all are busy is answered 503 and closed. Idle connections hold no thread.
MAX_CONNECTIONS = 256
#: Seconds a served emulator gives one request, line, headers and body, from its first byte; a client
#: still sending then is answered 408 and closed (READ_TIMEOUT bounds each wait, this the whole request).
REQUEST_DEADLINE = 10.0
#: Largest request line and headers a served emulator reads (bytes); a longer head is answered 414 or 431.
MAX_REQUEST_HEAD_BYTES = 64 * 1024
#: Most header lines of one request (as the stdlib's ``http.client``); more is answered 431.
MAX_REQUEST_HEADERS = 100
#: Longest ``Content-Length`` (ASCII digits only); anything else is answered 400. 20 digits hold any
#: 64-bit size, and MAX_BODY_BYTES has 7.
MAX_CONTENT_LENGTH_DIGITS = 20
#: Seconds the emulator waits for another process's write lock on a shared state file.
STATE_LOCK_TIMEOUT = 0.5
#: Largest difference between a SigV4 ``X-Amz-Date`` and the emulator's clock (AWS: 15 minutes).
MAX_CLOCK_SKEW = 15 * 60.0
#: A saved stateful sequence (``--connect-stateful-replay FILE``): its size on disk and its steps.
MAX_SEQUENCE_BYTES = 4 * 1024 * 1024
MAX_SEQUENCE_STEPS = 1_000
#: A usage manifest (``--connect-usage FILE``, ``schemas diff --usage FILE``): its size on disk, read within
#: ``MAX_DEPTH``/``MAX_NODES``. A manifest of every covered operation with every member sent is about 40 KiB.
MAX_USAGE_BYTES = 4 * 1024 * 1024
#: A ``connect`` model file ``schemas diff --from/--to`` reads (a ``service-2.json``, ``.json.gz`` or a wheel's
#: member): its bytes on disk and decompressed. botocore 1.40's model is 1.9 MB (237 KB gzipped).
MAX_MODEL_BYTES = 16 * 1024 * 1024
#: ``--connect-stateful-examples`` and ``--connect-stateful-steps`` at most (a run must end).
MAX_STATEFUL_EXAMPLES = 100_000
MAX_STATEFUL_STEPS = 1_000
#: ``--connect-stateful-shrink-seconds`` at most (Hypothesis's own bound is five minutes).
MAX_STATEFUL_SHRINK_SECONDS = 300


class LimitExceeded(ValueError):
    """Input over one of the budgets above; ``limit`` names it, ``where`` says where in the input."""

    def __init__(self, limit: str, message: str, where: str = "") -> None:
        super().__init__(message)
        self.limit = limit
        self.message = message
        self.where = where


# -- JSON text -------------------------------------------------------------------------------------

# Integer literals longer than MAX_INT_DIGITS: a digit whose predecessor is not a digit (the start of a
# run), then MAX_INT_DIGITS more. Starting with a digit class lets the engine skip to the next digit
# in C, and the look-behind stops a match attempt inside a run at its second character, so each run
# is read once (``[0-9]{101,}`` retried every position of a 100-digit run: 50 steps a character).
_LONG_INT = re.compile(r"[0-9](?<![0-9][0-9])[0-9]{%d}" % MAX_INT_DIGITS)  # noqa: UP031  # a regex quantifier
_BRACKET = re.compile(r"[\[\]{}]")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


def _outside_strings(text: str) -> str:
    """``text`` with every string literal emptied (``"..."`` becomes ``""``; an unterminated one, which
    runs to the end, is dropped), in a few linear passes of ``str`` methods and no regular expression.

    Escaped backslashes go first, then escaped quotes, so every quote left opens or closes a literal
    and the parts between quotes alternate outside/inside. A backslash outside a string is not JSON:
    ``json.loads`` stops there, and what precedes it is read exactly as here.
    """
    unescaped = text.replace("\\\\", "").replace('\\"', "")
    return '""'.join(unescaped.split('"')[::2])


def check_json_text(text: str, what: str = "the document") -> None:
    """Refuse JSON text that nests deeper than :data:`MAX_DEPTH`, holds more than :data:`MAX_NODES`
    values or an integer literal longer than :data:`MAX_INT_DIGITS` digits, before ``json.loads``
    (whose C scanner recurses once per level and builds every value).

    Linear in the text, whatever it holds (an unterminated string, quotes and brackets escaped in
    one): string literals are cut out with ``str`` methods, the brackets and commas left are counted
    in C, and only a number of brackets the node budget bounds is walked in Python. Text within the
    budgets by a count of its raw characters returns after two passes.
    """
    openers = text.count("[") + text.count("{")
    shallow = openers <= MAX_DEPTH and text.count(",") + openers + 1 <= MAX_NODES
    if shallow and _LONG_INT.search(text) is None:
        return
    bare = _outside_strings(text)
    if _LONG_INT.search(bare) is not None:
        raise LimitExceeded(
            "MAX_INT_DIGITS",
            f"{what} holds a number of over {MAX_INT_DIGITS} digits (the limit; no modelled number needs more)",
        )
    openers = bare.count("[") + bare.count("{")
    closers = bare.count("]") + bare.count("}")
    nodes = bare.count(",") + openers + 1
    # In JSON, closing brackets match opening ones: more of them than that is over budget or not JSON.
    if nodes > MAX_NODES or closers > openers + MAX_NODES:
        raise LimitExceeded("MAX_NODES", f"{what} holds over {MAX_NODES} values (the limit)")
    depth = max(itertools.accumulate(map(_STEP.__getitem__, _BRACKET.findall(bare))), default=0)
    if depth > MAX_DEPTH:
        raise LimitExceeded("MAX_DEPTH", f"{what} nests {depth} levels deep, over the limit of {MAX_DEPTH}")


def loads(text: str, what: str = "the document") -> Any:
    """``json.loads`` within the budgets: :func:`check_json_text` first, and numbers that do not fit a
    double (``1e999``) refused rather than read as infinity. Raises :class:`LimitExceeded` or
    ``json.JSONDecodeError``."""
    check_json_text(text, what)
    return json.loads(text, parse_float=_finite_float, parse_constant=_no_constant)


def _finite_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise LimitExceeded("number", f"a number ({text[:20]}...) is too large for a double")
    return value


def _no_constant(text: str) -> float:
    raise LimitExceeded("number", f"{text} is not a JSON number")


# -- plain data ------------------------------------------------------------------------------------

_SURROGATE = re.compile("[\ud800-\udfff]")


def _escape(part: object) -> str:
    return str(part).replace("~", "~0").replace("/", "~1")


def check_document(document: Any, what: str = "the document") -> bool:
    """Refuse data that nests deeper than :data:`MAX_DEPTH` (cycles included), holds more than
    :data:`MAX_NODES` values or :data:`MAX_TEXT_CHARS` characters, an integer of more than
    :data:`MAX_INT_DIGITS` digits, a map key that is not a string, or a string that is not Unicode
    text (a lone surrogate such as ``"\\ud800"``, which no UTF-8 encoder can write).

    Returns whether every number in it is *exact*: an ``int`` or a finite ``float`` with a fraction,
    which any JSON Schema engine types as botocore does. ``False`` when it holds another number
    (``5.0``, which JSON Schema reads as an integer and botocore refuses for an integer member;
    ``nan``; a ``Decimal``; an ``int`` subclass) or a value of a type the fast walk does not know.

    Bounded: the walk stops at the first breach, recursing at most :data:`MAX_DEPTH` levels. It is
    on every validation's path, so a flat loop over exact types judges first, and only a document
    it does not pass is walked again to say where and why.
    """
    verdict = _within_budgets(document)
    if verdict is not None:
        return verdict
    count = chars = 0
    path: list[str] = []
    on_path: set[int] = set()

    def text(value: str) -> None:
        nonlocal chars
        chars += len(value)
        if chars > MAX_TEXT_CHARS:
            raise LimitExceeded("MAX_TEXT_CHARS", f"{what} holds over {MAX_TEXT_CHARS} characters of text")
        if not value.isascii() and _SURROGATE.search(value):
            raise LimitExceeded(
                "unicode", f"{what} holds a string with a lone surrogate (not Unicode text)", _pointer(path)
            )

    def walk(value: Any, depth: int) -> None:
        nonlocal count
        count += 1
        if count > MAX_NODES:
            raise LimitExceeded("MAX_NODES", f"{what} holds over {MAX_NODES} values (the limit)")
        kind = type(value)
        if kind is str:
            text(value)
            return
        if kind is dict or kind is list or kind is tuple:
            pass
        elif isinstance(value, str):
            text(value)
            return
        elif not isinstance(value, (Mapping, list, tuple)):
            if isinstance(value, int) and not isinstance(value, bool) and not -_INT_BOUND < value < _INT_BOUND:
                raise LimitExceeded(
                    "MAX_INT_DIGITS",
                    f"{what} holds an integer of over {MAX_INT_DIGITS} digits (the limit; no modelled number "
                    "needs more)",
                    _pointer(path),
                )
            return
        if id(value) in on_path:
            raise LimitExceeded("cycle", f"{what} contains itself (a cyclic structure)", _pointer(path[:8]))
        if depth >= MAX_DEPTH:
            raise LimitExceeded(
                "MAX_DEPTH", f"{what} nests deeper than {MAX_DEPTH} levels (the limit)", _pointer(path[:8]) + "/..."
            )
        on_path.add(id(value))
        if kind is dict or isinstance(value, Mapping):
            for key, item in value.items():
                if type(key) is not str:
                    raise LimitExceeded(
                        "key-type",
                        f"{what} has a map key of type {type(key).__name__} ({key!r:.40}); JSON keys are strings",
                        _pointer(path),
                    )
                path.append(key)
                text(key)
                walk(item, depth + 1)
                path.pop()
        else:
            for index, item in enumerate(value):
                path.append(str(index))
                walk(item, depth + 1)
                path.pop()
        on_path.discard(id(value))

    walk(document, 0)
    return False


_LEAVES = frozenset({bool, type(None), bytes, bytearray, dt.datetime, dt.date})
#: Integers from here on (either sign) have more than MAX_INT_DIGITS digits.
_INT_BOUND = 10**MAX_INT_DIGITS


def _within_budgets(document: Any) -> bool | None:
    """Whether a document of plain types is surely within the budgets, and if so whether its numbers
    are exact (see :func:`check_document`); ``None``: look closer."""
    count = chars = 0
    exact = True
    stack: list[tuple[Any, int]] = [(document, 0)]
    pop, push = stack.pop, stack.append
    while stack:
        value, depth = pop()
        count += 1
        kind = type(value)
        if kind is str:
            chars += len(value)
            if not value.isascii() and _SURROGATE.search(value):
                return None
        elif kind is dict:
            if depth >= MAX_DEPTH or count + len(stack) + len(value) > MAX_NODES:
                return None
            for key, item in value.items():
                if type(key) is not str or (not key.isascii() and _SURROGATE.search(key)):
                    return None
                chars += len(key)
                push((item, depth + 1))
        elif kind is list or kind is tuple:
            if depth >= MAX_DEPTH or count + len(stack) + len(value) > MAX_NODES:
                return None
            for item in value:
                push((item, depth + 1))
        elif kind is int:
            if not -_INT_BOUND < value < _INT_BOUND:
                return None
        elif kind is float:
            if value.is_integer() or not math.isfinite(value):
                exact = False
        elif kind not in _LEAVES:
            return None
        if chars > MAX_TEXT_CHARS:
            return None
    return exact


def _pointer(path: list[str]) -> str:
    return "".join("/" + _escape(p) for p in path)


# -- YAML text -------------------------------------------------------------------------------------

#: Tags a cassette may carry: YAML's core types, and the benign ones vcrpy itself writes.
_SAFE_TAG_PREFIXES = ("tag:yaml.org,2002:python/str", "tag:yaml.org,2002:python/unicode")
_PYTHON_TAG = "tag:yaml.org,2002:python/"


def _events(text: str) -> Iterator[yaml.Event]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.parse(text, Loader=loader)


def check_yaml_text(text: str, what: str = "the file") -> None:
    """Refuse YAML that is larger than :data:`MAX_CASSETTE_BYTES`, nests deeper than
    :data:`MAX_DEPTH`, holds more than :data:`MAX_YAML_NODES` nodes, or aliases that expand to more
    than :data:`MAX_YAML_ALIAS_NODES` nodes or :data:`MAX_YAML_ALIAS_CHARS` characters (an alias
    bomb), or carries a ``!!python/...`` object tag — judged on the parser's event stream, which
    neither recurses nor expands aliases, before anything composes a document.

    An anchor's size is what an alias of it adds: a scalar's is one node and its value's characters,
    a collection's the nodes and characters it holds, aliases inside it expanded.
    Malformed YAML is left to the caller's loader, which says where it breaks.
    """
    if len(text) > MAX_CASSETTE_BYTES:
        raise LimitExceeded(
            "MAX_CASSETTE_BYTES", f"{what} has {len(text)} characters, over the limit of {MAX_CASSETTE_BYTES}"
        )
    depth = 0
    expanded = aliased = 0  # nodes: in the document as composed, and added by aliases
    chars = aliased_chars = 0  # scalar characters: likewise
    sizes: dict[str, tuple[int, int]] = {}  # anchor -> (nodes, characters) an alias of it adds
    open_anchors: list[tuple[str | None, int, int]] = []  # an open collection's anchor and where it began
    try:
        for event in _events(text):
            tag = getattr(event, "tag", None)
            if isinstance(tag, str) and tag.startswith(_PYTHON_TAG) and not tag.startswith(_SAFE_TAG_PREFIXES):
                raise LimitExceeded(
                    "yaml-tag",
                    f"{what} uses the YAML tag {tag.replace('tag:yaml.org,2002:', '!!')!r}, which builds "
                    "Python objects; cassettes never contain one, and it is refused",
                )
            if isinstance(event, yaml.AliasEvent):
                size, size_chars = sizes.get(str(event.anchor), (1, 0))
                expanded += size
                aliased += size
                chars += size_chars
                aliased_chars += size_chars
                if aliased > MAX_YAML_ALIAS_NODES:
                    raise LimitExceeded(
                        "MAX_YAML_ALIAS_NODES",
                        f"{what}'s aliases expand to over {MAX_YAML_ALIAS_NODES} YAML nodes (an alias bomb?); "
                        "write the repeated part out, or drop the aliases",
                    )
                if aliased_chars > MAX_YAML_ALIAS_CHARS:
                    mark = event.start_mark
                    line = f", line {mark.line + 1}" if mark is not None else ""
                    raise LimitExceeded(
                        "MAX_YAML_ALIAS_CHARS",
                        f"{what}'s aliases (*{event.anchor}{line}) expand to over "
                        f"{MAX_YAML_ALIAS_CHARS} characters (an alias bomb?); write the repeated part out, "
                        "or drop the aliases",
                    )
            elif isinstance(event, yaml.ScalarEvent):
                expanded += 1
                chars += len(event.value)
                if event.anchor is not None:
                    sizes[event.anchor] = (1, len(event.value))
            elif isinstance(event, yaml.CollectionStartEvent):
                expanded += 1
                depth += 1
                if depth > MAX_DEPTH:
                    raise LimitExceeded("MAX_DEPTH", f"{what} nests deeper than {MAX_DEPTH} levels (the limit)")
                open_anchors.append((event.anchor, expanded, chars))
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
                anchor, start, start_chars = open_anchors.pop()
                if anchor is not None:
                    sizes[anchor] = (expanded - start + 1, chars - start_chars)
            if expanded > MAX_YAML_NODES:
                raise LimitExceeded("MAX_YAML_NODES", f"{what} holds over {MAX_YAML_NODES} YAML nodes")
    except yaml.YAMLError:
        return  # malformed: the loader reports where
