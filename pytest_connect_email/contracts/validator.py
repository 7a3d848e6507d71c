"""The contract validator: checks a call against the active contracts and says exactly what is wrong.

``validate_request``, ``validate_response`` and ``validate_error`` check a call against the active
JSON Schemas (:mod:`pytest_connect_email.contracts.active` decides: the installed botocore's, generated from its
model by :mod:`pytest_connect_email.contracts.schemagen`) and, for requests, against the doc rules of
:mod:`pytest_connect_email.contracts.rules`. On failure they raise one :class:`ContractViolation` that lists
every violation with its JSON pointer, rule (schema keyword or doc-rule id), expected and actual
value, source (model shape or doc sentence) and a fix. Values of members the model marks
``sensitive`` never appear in a message.

The ``*_violations`` functions return the same findings as a list, for callers that want to judge
them rather than raise.

Validators are compiled once per (operation, direction, strictness) and cached. Two engines share
the work: ``jsonschema-rs`` (compiled, about 4 microseconds for a rich StartEmailContact request)
decides whether a document is valid, and only when it is not does the ``jsonschema`` reference
engine walk it again to explain every violation. Documents that ``jsonschema-rs`` cannot read
(``datetime`` or ``bytes`` values) go straight to ``jsonschema``. Should the engines ever disagree on
an invalid document, the compiled engine's own errors are reported, so nothing passes silently.
The tests hold both engines to the same verdicts.

The ``jsonschema`` ``Draft202012Validator`` is extended in three places only:

- ``pattern`` uses the ``regex`` module, because botocore patterns use Unicode property escapes
  (``\\p{L}``, ``\\P{C}``) that ``re`` cannot compile;
- numbers follow botocore's parameter types (``botocore/validate.py``): an ``integer``/``long``
  member takes an ``int`` only (not ``5.0``, a ``Decimal`` or a bool, which JSON Schema's
  ``integer`` would take or botocore refuses), a ``float``/``double`` member an ``int``, ``float`` or
  ``Decimal`` that is finite; ``datetime`` objects count as numbers too, so boto3-style parameters
  and parsed responses (which carry timestamps as datetimes) validate against the same schema as
  the wire form (epoch seconds). ``jsonschema-rs`` reads ``5.0`` as an integer, so a document with
  such a number (:func:`pytest_connect_email.limits.check_document` says) is judged by ``jsonschema``
  alone;
- ``format: date-time`` is asserted for timestamp strings (ISO 8601, as botocore accepts them).
"""

from __future__ import annotations

import datetime as _dt
import decimal
import difflib
import functools
import itertools
import json
import math
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal

import jsonschema
import jsonschema_rs
import regex
from botocore.exceptions import ParamValidationError
from jsonschema import Draft202012Validator, ValidationError, validators

from pytest_connect_email import limits
from pytest_connect_email.contracts import active, rules, spec

if TYPE_CHECKING:
    from jsonschema.protocols import Validator
    from typing_extensions import Self

Direction = Literal["request", "response", "error"]
JSONSchema = dict[str, Any]

#: Environment variable that points the validator at another schema directory.
SCHEMA_DIR_ENV = active.SCHEMA_DIR_ENV

#: Errors any AWS JSON service may answer for any operation (the AWS "Common Errors" reference plus
#: the authentication errors of JSON protocols). The model lists only the service's own errors.
COMMON_ERRORS = frozenset(
    {
        "AccessDeniedException",
        "IncompleteSignature",
        "InternalFailure",
        "InvalidAction",
        "InvalidClientTokenId",
        "InvalidSignatureException",
        "MissingAuthenticationTokenException",
        "NotAuthorized",
        "OptInRequired",
        "RequestExpired",
        "SerializationException",
        "ServiceUnavailable",
        "ThrottlingException",
        "UnknownOperationException",
        "UnrecognizedClientException",
        "ValidationError",
        # An HTTP front door's answer to a body over its size limit (the emulator's quota too).
        "RequestEntityTooLargeException",
    }
)


# -- Where the schemas come from: pytest_connect_email.contracts.active decides ------------------------------


def schema_dir() -> Path:
    """The committed snapshot's directory (what ``schemas check`` diffs against). The validator reads
    the active contracts (:func:`pytest_connect_email.contracts.active.contracts`), which are the snapshot only
    when the installed botocore is the snapshot's."""
    override = os.environ.get(SCHEMA_DIR_ENV)
    return Path(override) if override else active.snapshot_dir()


def _read(source: active.Contracts, relative: str) -> JSONSchema:
    return source.read(relative)


def load_schema(operation: str, direction: Direction = "request", error: str | None = None) -> JSONSchema:
    """The active schema of an operation's request, response or one of its errors."""
    name = active.contracts().require(operation)
    if direction == "error":
        if error is None:
            raise ValueError(
                "load_schema(direction='error') needs the error shape name, e.g. error='ResourceNotFoundException'"
            )
        known = error_codes(name)
        if error not in known:
            raise ValueError(f"{name} has no modelled error {error!r}; its errors are: {', '.join(known)}")
        return _read(active.contracts(), f"{name}/errors/{error}.json")
    if direction not in ("request", "response"):
        raise ValueError(f"direction must be 'request', 'response' or 'error', not {direction!r}")
    return _read(active.contracts(), f"{name}/{direction}.json")


def error_codes(operation: str) -> tuple[str, ...]:
    """The error shapes the model lists for an operation, from the active contracts."""
    return active.contracts().error_codes(operation)


# -- The extended validator ------------------------------------------------------------------------


def _ecma_anchors(pattern: str) -> str:
    """Rewrite ``$`` (outside classes and escapes) as ``\\Z``.

    In ECMA-262, which JSON Schema patterns follow, ``$`` matches only at the end of the input; in
    Python's regex engines it also matches before a final newline, so ``"name\\n"`` would pass
    ``^[a-z]+$`` here and fail everywhere else (jsonschema-rs included).
    """
    out: list[str] = []
    escaped = in_class = False
    for char in pattern:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == "$":
            out.append("\\Z")
            continue
        out.append(char)
    return "".join(out)


@functools.lru_cache(maxsize=512)
def compile_pattern(pattern: str) -> regex.Pattern[str]:
    """A model pattern compiled as the validator judges it (Unicode properties, ECMA-262 ``$``)."""
    return regex.compile(_ecma_anchors(pattern))


def _oversized(instance: object, schema: JSONSchema) -> bool:
    """The one rule for values over their size bound: they are reported for their size alone.

    A string longer than its ``maxLength`` is not matched against its ``pattern`` (a backtracking
    pattern on a long string is where validation time goes quadratic), and the items of an array
    longer than its ``maxItems`` are not walked one by one.
    """
    if isinstance(instance, str):
        bound = schema.get("maxLength")
    elif isinstance(instance, list):
        bound = schema.get("maxItems")
    else:
        return False
    return isinstance(bound, int) and len(instance) > bound


def _pattern(validator: Validator, pattern: str, instance: Any, schema: JSONSchema) -> Iterator[ValidationError]:
    if isinstance(instance, str) and not _oversized(instance, schema) and not compile_pattern(pattern).search(instance):
        yield ValidationError(f"{instance!r:.80} does not match {pattern!r}")


_ITEMS = Draft202012Validator.VALIDATORS["items"]


def _items(validator: Validator, items: Any, instance: Any, schema: JSONSchema) -> Iterator[ValidationError]:
    if not _oversized(instance, schema):
        yield from _ITEMS(validator, items, instance, schema)


def _is_integer(checker: Any, instance: Any) -> bool:
    """botocore's ``integer`` and ``long``: an ``int`` (``IntEnum`` too), never a bool, ``5.0`` or a ``Decimal``."""
    return isinstance(instance, int) and not isinstance(instance, bool)


def _is_number(checker: Any, instance: Any) -> bool:
    """botocore's ``float`` and ``double``: an ``int``, ``float`` or ``Decimal``, finite (JSON has no
    ``NaN``); never a bool."""
    if isinstance(instance, bool):
        return False
    if isinstance(instance, int):
        return True
    if isinstance(instance, float):
        return math.isfinite(instance)
    return isinstance(instance, decimal.Decimal) and instance.is_finite()


_TYPE = Draft202012Validator.VALIDATORS["type"]


def _type(validator: Validator, types: Any, instance: Any, schema: JSONSchema) -> Iterator[ValidationError]:
    """A ``datetime`` is a timestamp (``format: date-time``), not a number: ``MaxResults=datetime.now()``
    is a type violation, not a comparison of a datetime with ``minimum``."""
    if not (isinstance(instance, _dt.datetime) and schema.get("format") == "date-time"):
        yield from _TYPE(validator, types, instance, schema)


_format_checker = jsonschema.FormatChecker(formats=())


_EPOCH_SECONDS = regex.compile(r"[0-9]+(?:\.[0-9]+)?")


def _is_timestamp(instance: object) -> bool:
    """A timestamp string botocore would accept: epoch seconds or ISO 8601."""
    if not isinstance(instance, str):
        return True
    text = instance.strip()
    if _EPOCH_SECONDS.fullmatch(text):
        return True
    try:
        _dt.datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return False
    return True


_format_checker.checks("date-time")(_is_timestamp)


ContractValidator = validators.extend(  # type: ignore[no-untyped-call]  # jsonschema's stubs leave it untyped
    Draft202012Validator,
    validators={"pattern": _pattern, "items": _items, "type": _type},
    type_checker=Draft202012Validator.TYPE_CHECKER.redefine_many({"integer": _is_integer, "number": _is_number}),
)


def _strict(node: Any) -> Any:
    """A copy of a response schema whose structures reject unknown members."""
    if isinstance(node, dict):
        return {k: (False if k == "additionalProperties" and v is True else _strict(v)) for k, v in node.items()}
    if isinstance(node, list):
        return [_strict(v) for v in node]
    return node


@functools.cache
def _validator(source: active.Contracts, relative: str, strict: bool) -> Validator:
    schema = _read(source, relative)
    if strict:
        schema = _strict(schema)
    validator: Validator = ContractValidator(schema, format_checker=_format_checker)
    return validator


@functools.cache
def _fast_validator(source: active.Contracts, relative: str, strict: bool) -> jsonschema_rs.Validator:
    schema = _read(source, relative)
    if strict:
        schema = _strict(schema)
    return jsonschema_rs.validator_for(schema, validate_formats=True, formats={"date-time": _is_timestamp})


@functools.lru_cache(maxsize=1024)
def _schema_file(operation: str, direction: Direction, error: str | None) -> str:
    load_schema(operation, direction, error)  # argument checks and a clear error for a missing file
    if direction == "error":
        return f"{operation}/errors/{error}.json"
    return f"{operation}/{direction}.json"


# -- Violations ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Violation:
    """One broken rule of a contract."""

    #: RFC 6901 pointer into the checked document ("" is the document itself).
    pointer: str
    #: The JSON Schema keyword (``maxLength``, ``required``, ...) or the doc-rule id (``START-REF-002``).
    rule: str
    expected: str
    actual: str
    #: Where the rule comes from: ``model shape <Name>`` or ``doc: <sentence>``.
    source: str
    fix: str

    def describe(self) -> str:
        """The violation as the reports print it; email addresses in the value and in the pointer (a map
        key) are masked (:func:`mask`)."""
        where = "/".join(map(mask, self.pointer.split("/"))) or "(the whole document)"
        return (
            f"{where}: [{self.rule}] expected {self.expected}, got {mask(self.actual)}\n"
            f"    source: {self.source}\n"
            f"    fix: {self.fix}"
        )


#: Something shaped like an email address (also cut short, as a shortened value may be).
_ADDRESS = regex.compile(r"""[^\s@<>'"(),;:\[\]{}]*@[^\s@<>'"(),;:\[\]{}]*""")
_WORD = regex.compile(r"[^\W_]+")


def _mask_address(found: regex.Match[str]) -> str:
    local, _, domain = found.group().partition("@")
    labels = [label for label in domain.split(".") if label]
    masked = f"{labels[0][:1]}***" if labels else "***"
    if len(labels) > 1:
        masked += f".{labels[-1]}"  # the top-level domain says little about the customer
    return f"{local[:1]}***@{masked}"


def mask(text: str) -> str:
    """``text`` with its email addresses masked (``alice@corp.example.com`` → ``a***@c***.com``) and, in a
    text that holds one, every other word too (a display name: ``'Alice <...>'`` → ``'A*** <...>'``).

    What the violation messages print for a value: the customer's data never reaches a terminal, a
    CI log or ``junit.xml``; the field, the rule and the sizes stay. Values of members the model
    marks ``sensitive`` are never shown at all (the validator reports their type and length only).
    """
    if "@" not in text:
        return text
    out: list[str] = []
    done = 0
    for found in _ADDRESS.finditer(text):
        out.append(_WORD.sub(lambda word: word.group()[:1] + "***", text[done : found.start()]))
        out.append(_mask_address(found))
        done = found.end()
    out.append(_WORD.sub(lambda word: word.group()[:1] + "***", text[done:]))
    return "".join(out)


class ContractViolation(AssertionError):
    """A request, response or error that breaks its contract; lists every violation.

    A request that botocore's own parameter validation refuses too raises :class:`ParameterViolation`,
    a subclass that is also botocore's ``ParamValidationError``: ``pytest.raises(ContractViolation)``
    catches both.
    """

    def __init__(
        self, operation: str, direction: Direction, violations: Iterable[Violation], subject: str = ""
    ) -> None:
        self.operation = operation
        self.direction = direction
        self.violations = tuple(violations)
        self.subject = subject or direction
        super().__init__(self._message())

    #: The traceback it had when code dropped it (unittest's ``assertRaises`` does, once it caught it):
    #: where it was caught still tells whether the test expected it.
    dropped_traceback: TracebackType | None = None

    def with_traceback(self, tb: TracebackType | None, /) -> Self:
        if tb is None and self.__traceback__ is not None:
            self.dropped_traceback = self.__traceback__
        return super().with_traceback(tb)

    def __reduce__(self) -> tuple[Any, ...]:  # copy and pickle (multiprocessing) rebuild it from its parts
        return type(self), (self.operation, self.direction, self.violations, self.subject)

    @property
    def rules(self) -> tuple[str, ...]:
        """The rule of each violation, in report order."""
        return tuple(v.rule for v in self.violations)

    def _message(self) -> str:
        count = len(self.violations)
        head = f"{self.operation} {self.subject} breaks its contract ({count} violation{'s' if count != 1 else ''}):"
        return "\n".join([head, *("  " + v.describe().replace("\n", "\n  ") for v in self.violations)])


#: The values botocore's report prints (``Invalid type for parameter X, value: ..., type: ...``).
_BOTOCORE_VALUE = regex.compile(
    r"(, value: )(.*)(, type: <class '[\w.]+'>, valid types: .*|, valid min (?:length|value): \S+)$", regex.M
)


def _redact_botocore_value(found: regex.Match[str]) -> str:
    value = found.group(2)
    plain = regex.fullmatch(r"-?[0-9.]+(?:[eE][-+]?[0-9]+)?|<redacted, [0-9]+ chars>", value)  # a number; done
    shown = value if plain else f"<redacted, {len(value)} chars>"
    return f"{found.group(1)}{shown}{found.group(3)}"


class ParameterViolation(ContractViolation, ParamValidationError):  # type: ignore[misc]  # botocore is untyped
    """A request that breaks its contract in a way botocore's own parameter validation refuses too
    (a missing required member, a wrong type, a value under its minimum length...).

    It is both a :class:`ContractViolation` (an ``AssertionError``) and botocore's
    ``ParamValidationError``, so a test written for plain botocore (``pytest.raises(ParamValidationError)``,
    a Stubber-style test, ``match="Missing required parameter"``) keeps its meaning. The message is the
    contract report followed by botocore's own (its values redacted); ``kwargs["report"]`` is botocore's.
    """

    def __init__(
        self,
        operation: str,
        direction: Direction,
        violations: Iterable[Violation],
        subject: str = "",
        report: str = "",
    ) -> None:
        self.report = mask(_BOTOCORE_VALUE.sub(_redact_botocore_value, report))
        self.kwargs = {"report": self.report}  # as botocore's exceptions carry their format's arguments
        super().__init__(operation, direction, violations, subject)

    def __reduce__(self) -> tuple[Any, ...]:
        return type(self), (self.operation, self.direction, self.violations, self.subject, self.report)

    def _message(self) -> str:
        return f"{super()._message()}\n{self.fmt.format(report=self.report)}"


def _escape(part: object) -> str:
    return str(part).replace("~", "~0").replace("/", "~1")


def _pointer(path: Iterable[object]) -> str:
    return "".join("/" + _escape(p) for p in path)


_JSON_TYPES = {
    bool: "boolean",
    int: "integer",
    float: "number",
    str: "string",
    list: "array",
    tuple: "array",
    dict: "object",
    type(None): "null",
}


def _json_type(value: object) -> str:
    for py, name in _JSON_TYPES.items():
        if type(value) is py:
            return name
    if isinstance(value, Mapping):
        return "object"
    return type(value).__name__


def _show(value: object, sensitive: bool) -> str:
    if sensitive:
        size = f", {len(value)} characters" if isinstance(value, str) else ""
        return f"<sensitive {_json_type(value)}{size}>"
    try:
        text = repr(value[:80] if isinstance(value, str) else value)  # a long string: no full copy to cut
    except Exception:  # any object's __repr__ may raise; the report must not
        text = f"<a {type(value).__name__} whose repr() fails>"
    return text if len(text) <= 80 else text[:77] + "..."


class _Reporter:
    """Turns jsonschema errors and doc-rule findings into :class:`Violation` records."""

    def __init__(self, root: JSONSchema) -> None:
        self.root = root

    def _deref(self, node: JSONSchema) -> JSONSchema:
        while "$ref" in node:
            if node.get("x-sensitive"):
                return node
            node = self.root["$defs"][node["$ref"].rsplit("/", 1)[-1]]
        return node

    def sensitive(self, path: Iterable[object]) -> bool:
        """Whether the value at ``path`` is (inside) a member whose shape is sensitive."""
        node: Any = self.root
        for part in path:
            if not isinstance(node, dict):
                return False
            if node.get("x-sensitive"):
                return True
            node = self._deref(node)
            if node.get("x-sensitive"):
                return True
            if node.get("type") == "array":
                node = node.get("items")
            elif isinstance(node.get("properties"), dict) and part in node["properties"]:
                node = node["properties"][part]
            elif isinstance(node.get("additionalProperties"), dict):
                node = node["additionalProperties"]
            else:
                return False
        return isinstance(node, dict) and bool(node.get("x-sensitive") or self._deref(node).get("x-sensitive"))

    def from_schema(self, errors: Iterable[ValidationError]) -> Iterator[Violation]:
        found: dict[tuple[str, str], Violation] = {}
        for error in errors:
            for violation in self._convert(error):
                found.setdefault((violation.pointer, violation.rule), violation)
            if len(found) >= limits.MAX_VIOLATIONS:
                break
        for (pointer, rule), violation in found.items():
            # A value of the wrong type is one mistake: report its type, not also that it is no enum value.
            if rule == "enum" and (pointer, "type") in found:
                continue
            yield violation

    def _convert(self, error: ValidationError) -> Iterator[Violation]:
        keyword = str(error.validator)
        schema = error.schema if isinstance(error.schema, dict) else {}
        path: list[Any] = list(error.absolute_path)
        value: Any = error.instance
        shape = schema.get("x-shape", "")
        source = f"model shape {shape}" if shape else "model"
        limit: Any = error.validator_value

        if "propertyNames" in error.absolute_schema_path:  # a map key: point at the key itself
            path.append(value)
            source = f"model shape {shape} (map key)" if shape else "model (map key)"
        secret = self.sensitive(path)

        def make(pointer_path: list[Any], expected: str, actual: str, fix: str, rule: str = keyword) -> Violation:
            return Violation(_pointer(pointer_path), rule, expected, actual, source, fix)

        if keyword == "required":
            for name in limit:
                if isinstance(value, Mapping) and name not in value:
                    yield make([*path, name], f"required member {name!r}", "nothing", f"add {name!r}")
        elif keyword == "additionalProperties":
            known = sorted(schema.get("properties", {}))
            unknown = sorted(set(value) - set(known)) if isinstance(value, Mapping) else []
            # difflib's ratio is at most 2 * shorter / (both lengths): a name over 7/3 of the longest
            # member's length cannot reach its 0.6 cutoff, and difflib would index every character of
            # it in Python first (100 names of 50 KB took 2.8 s).
            reach = 7 * max(map(len, known), default=0) // 3
            for name in unknown[: limits.MAX_VIOLATIONS]:
                close = difflib.get_close_matches(name, known, n=1) if len(name) <= reach else []
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                expected = f"only modelled members ({', '.join(known)})" if known else "no members"
                shown = _show(name, False)
                yield make([*path, name], expected, f"unknown member {shown}", f"remove {shown}{hint}")
        elif keyword == "type":
            wanted = " or ".join(limit) if isinstance(limit, list) else str(limit)
            article = "an" if wanted[0] in "aeiou" else "a"
            actual = f"a value of type {_json_type(value)}"
            if isinstance(value, (float, decimal.Decimal)) and not secret:  # 5.0: say which number it is
                actual = f"a {type(value).__name__} ({_show(value, secret)})"
            fix = f"pass {article} {wanted}"
            if wanted == "integer" and isinstance(value, (float, decimal.Decimal)):
                fix += " (an int, as botocore takes for an integer member: not a float or Decimal)"
            yield make(path, f"{article} {wanted}", actual, fix)
        elif keyword in ("minLength", "maxLength"):
            bound = "at least" if keyword == "minLength" else "at most"
            size = len(value) if isinstance(value, str) else 0
            what = "key" if "propertyNames" in error.absolute_schema_path else "value"
            fix = f"{'lengthen' if keyword == 'minLength' else 'shorten'} the {what} to {bound} {limit} characters"
            yield make(path, f"{bound} {limit} characters", f"{size} characters", fix)
        elif keyword == "pattern":
            yield make(
                path,
                f"a string matching {limit!r}",
                _show(value, secret),
                f"change the value so that it matches {limit!r}",
            )
        elif keyword == "enum":
            yield make(
                path, "one of " + ", ".join(map(str, limit)), _show(value, secret), "use one of the listed values"
            )
        elif keyword in ("minItems", "maxItems"):
            bound = "at least" if keyword == "minItems" else "at most"
            size = len(value) if isinstance(value, list) else 0
            verb = "add items" if keyword == "minItems" else "remove items"
            yield make(path, f"{bound} {limit} items", f"{size} items", f"{verb} to have {bound} {limit}")
        elif keyword in ("minProperties", "maxProperties"):
            size = len(value) if isinstance(value, Mapping) else 0
            if schema.get("x-union"):
                members = ", ".join(schema.get("properties", {}))
                yield make(path, f"exactly one member set ({members})", f"{size} members", "set exactly one member")
            else:
                bound = "at least" if keyword == "minProperties" else "at most"
                verb = "add entries" if keyword == "minProperties" else "remove entries"
                yield make(path, f"{bound} {limit} entries", f"{size} entries", f"{verb} to have {bound} {limit}")
        elif keyword in ("minimum", "maximum"):
            bound = ">=" if keyword == "minimum" else "<="
            yield make(path, f"a number {bound} {limit}", _show(value, secret), f"use a value {bound} {limit}")
        elif keyword == "format":
            yield make(
                path,
                "an ISO 8601 date-time, epoch seconds or a datetime",
                _show(value, secret),
                "pass a datetime, epoch seconds or an ISO 8601 string such as '2026-01-01T00:00:00Z'",
            )
        else:  # pragma: no cover - our schemas use only the keywords above
            yield make(path, keyword, _show(value, secret), error.message)

    def from_rules(self, operation: str, params: Mapping[str, Any], refused: rules.Skip) -> Iterator[Violation]:
        for doc_rule in rules.rules_for(operation):
            for finding in doc_rule.check(params, refused):
                if finding.pointer in refused:  # the model already reports this place
                    continue
                path = [p.replace("~1", "/").replace("~0", "~") for p in finding.pointer.split("/")[1:]]
                actual = "<sensitive value>" if self.sensitive(path) else finding.actual
                yield Violation(
                    finding.pointer, doc_rule.id, finding.expected, actual, f"doc: {doc_rule.sentence}", doc_rule.fix
                )


# -- Public API ------------------------------------------------------------------------------------


class _Unreadable(Exception):
    """A document the validator cannot read or that is over a budget of :mod:`.limits`."""

    def __init__(self, violation: Violation) -> None:
        super().__init__(violation.expected)
        self.violation = violation


#: The fix a budget's violation suggests, where a more precise one than the default helps.
_BUDGET_FIXES = {
    "MAX_INT_DIGITS": f"pass an integer of at most {limits.MAX_INT_DIGITS} digits (no modelled number needs more)",
    "MAX_DEPTH": f"nest at most {limits.MAX_DEPTH} levels",
    "MAX_NODES": f"send at most {limits.MAX_NODES} values in one document",
    "MAX_TEXT_CHARS": f"send at most {limits.MAX_TEXT_CHARS} characters of text in one document",
}


def _budget_violation(exc: limits.LimitExceeded) -> Violation:
    budget = f"pytest_connect_email.limits.{exc.limit}" if exc.limit.isupper() else "pytest_connect_email.limits"
    return Violation(
        exc.where,
        exc.limit,
        f"a document within the validator's budgets ({budget}: {exc.message})",
        "a document over the budget" if exc.limit.isupper() else exc.message,
        "pytest_connect_email.limits",
        _BUDGET_FIXES.get(exc.limit, "send a smaller, shallower document of JSON types (string keys, no cycles)"),
    )


def _as_document(body: object, what: str) -> Any:
    """The document a body holds: text and bytes are parsed as JSON within the budgets."""
    if isinstance(body, (bytes, bytearray)):
        try:
            body = bytes(body).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise _Unreadable(
                Violation(
                    "",
                    "json",
                    "a UTF-8 JSON document",
                    f"invalid UTF-8 at byte {exc.start}",
                    "AWS rest-json protocol",
                    f"send {what} as UTF-8 JSON",
                )
            ) from None
    if isinstance(body, str):
        if not body.strip():
            return {}
        try:
            return limits.loads(body, what)
        except limits.LimitExceeded as exc:
            raise _Unreadable(_budget_violation(exc)) from None
        except ValueError as exc:  # json.JSONDecodeError, or a literal Python cannot read
            detail = (
                f"{exc.msg} at line {exc.lineno}, column {exc.colno}" if isinstance(exc, json.JSONDecodeError) else exc
            )
            raise _Unreadable(
                Violation(
                    "",
                    "json",
                    "a JSON document",
                    f"{what} is not JSON: {detail}",
                    "AWS rest-json protocol",
                    f"send {what} as JSON",
                )
            ) from None
    return body


@dataclass(frozen=True)
class _Refused:
    """The places the model refuses, which doc rules leave alone: each pointer with a schema
    violation, and everything inside a list or map refused for its size (the validator did not walk
    its items either, so a doc-rule finding there would only repeat the size)."""

    at: frozenset[str]
    below: tuple[str, ...]

    def __contains__(self, pointer: object) -> bool:
        return isinstance(pointer, str) and (pointer in self.at or pointer.startswith(self.below))


def _check(
    operation: str, direction: Direction, document: Any, *, strict: bool = False, error: str | None = None
) -> list[Violation]:
    relative = _schema_file(operation, direction, error)  # argument errors are the caller's, raised as such
    try:
        return _judge(operation, direction, document, relative, strict)
    except (MemoryError, spec.OperationNotInModelError):
        raise  # the model in use lacks the operation: named as such, not blamed on the document
    except Exception as exc:  # a value whose own methods raise: a violation, never an escape
        # Budgets and types are judged before any value is read, so what raises here is a value of a
        # type of its own whose __iter__, __eq__, __len__ or __repr__ raises (a Mapping that is not
        # one, say): no JSON value does that.
        try:
            detail = f"{type(exc).__name__}: {exc}"[:200]
        except Exception:  # str() of the exception may raise too
            detail = type(exc).__name__
        return [
            Violation(
                "",
                "unreadable",
                "a document of JSON types (dict, list, str, int, float, bool, None; datetime and bytes for "
                "timestamps and blobs)",
                f"a value that raised {detail} when read",
                "pytest_connect_email.contracts.validator",
                "pass plain JSON types (convert custom mappings, sequences and objects first)",
            )
        ]


def _judge(operation: str, direction: Direction, document: Any, relative: str, strict: bool) -> list[Violation]:
    try:
        exact = limits.check_document(document, f"the {operation} {direction}")
    except limits.LimitExceeded as exc:
        return [_budget_violation(exc)]
    source = active.contracts()
    reporter = _Reporter(_read(source, relative))
    # jsonschema-rs types 5.0 (and a Decimal 5) as an integer: only exact numbers are its to judge.
    fast: jsonschema_rs.Validator | None = _fast_validator(source, relative, strict) if exact else None
    try:
        valid = fast is not None and fast.is_valid(document)
    except ValueError:  # a value the compiled engine cannot read (datetime, bytes): jsonschema decides
        valid, fast = False, None
    found: list[Violation] = []
    if not valid:
        found = list(reporter.from_schema(_validator(source, relative, strict).iter_errors(document)))
        if not found and fast is not None:  # the engines disagree: never let the document pass silently
            found = [
                Violation(_pointer(e.instance_path), "schema", e.message, _show(e.instance, True), "model", e.message)
                for e in itertools.islice(fast.iter_errors(document), limits.MAX_VIOLATIONS)
            ]
    if direction == "request" and isinstance(document, Mapping) and len(found) < limits.MAX_VIOLATIONS:
        refused = _Refused(
            frozenset(v.pointer for v in found),
            tuple(v.pointer + "/" for v in found if v.rule in ("maxItems", "maxProperties")),
        )
        found.extend(reporter.from_rules(operation, document, refused))
    found.sort(key=lambda v: (v.pointer, v.rule))
    if len(found) >= limits.MAX_VIOLATIONS:
        found = found[: limits.MAX_VIOLATIONS]
        found.append(
            Violation(
                "",
                "MAX_VIOLATIONS",
                f"at most {limits.MAX_VIOLATIONS} violations listed",
                "more violations, not listed",
                "pytest_connect_email.limits",
                "fix the violations listed and validate again",
            )
        )
    return found


def request_violations(operation: str, params: Mapping[str, Any]) -> list[Violation]:
    """Every violation of a request's parameters (boto3 form: one flat dict of members)."""
    return _check(spec.resolve_operation(operation), "request", params)


def validate_request(operation: str, params: Mapping[str, Any]) -> None:
    """Raise :class:`ContractViolation` unless ``params`` meet the request contract and doc rules."""
    name = spec.resolve_operation(operation)
    found = _check(name, "request", params)
    if found:
        raise ContractViolation(name, "request", found)


def _response_document(body: object) -> Any:
    document = _as_document(body, "the response body")
    if isinstance(document, Mapping) and "ResponseMetadata" in document:  # boto3's parsed form
        document = {k: v for k, v in document.items() if k != "ResponseMetadata"}
    return document


def response_violations(operation: str, body: object, *, strict: bool = False) -> list[Violation]:
    """Every violation of a response (a parsed dict, or the JSON body as text or bytes)."""
    name = spec.resolve_operation(operation)
    try:
        document = _response_document(body)
    except _Unreadable as exc:
        return [exc.violation]
    return _check(name, "response", document, strict=strict)


def validate_response(operation: str, body: object, *, strict: bool = False) -> None:
    """Raise :class:`ContractViolation` unless ``body`` meets the response contract.

    Unknown members are accepted (AWS adds response fields over time) unless ``strict`` is true.
    boto3's ``ResponseMetadata`` is ignored.
    """
    name = spec.resolve_operation(operation)
    found = response_violations(name, body, strict=strict)
    if found:
        raise ContractViolation(name, "response", found)


def error_code(headers: Mapping[str, Any], body: object) -> str:
    """The error code of an answer, read as botocore reads it: the ``x-amzn-ErrorType`` header first,
    then the body's ``__type``/``code``. Header values may be lists (vcrpy); the body may be raw JSON."""
    lowered = {str(k).lower(): v for k, v in headers.items()}
    code = lowered.get("x-amzn-errortype") or ""
    if isinstance(code, list):
        code = code[0] if code else ""
    if not code:
        try:
            document = _as_document(body, "the error body")
        except _Unreadable:
            document = None
        if isinstance(document, Mapping):
            code = document.get("__type") or document.get("code") or document.get("Code") or ""
    return str(code).split(":", 1)[0].rsplit("#", 1)[-1].strip()


def error_violations(
    operation: str, status: int, headers: Mapping[str, str] | None, body: object, *, strict: bool = False
) -> tuple[str, list[Violation]]:
    """The error code an error answer carries and every violation of its contract."""
    name = spec.resolve_operation(operation)
    if headers is None:
        headers = {}
    if not isinstance(headers, Mapping):
        raise TypeError(f"headers must be a mapping of header names to values (or None), not {type(headers).__name__}")
    if isinstance(status, bool) or not isinstance(status, int):
        raise TypeError(f"status must be the HTTP status code as an int, not {status!r:.40}")
    try:
        document = _as_document(body, "the error body")
    except _Unreadable as exc:
        return error_code(headers, None), [exc.violation]
    code = error_code(headers, document)
    modelled = error_codes(name)
    if not code:
        found = [
            Violation(
                "",
                "x-error",
                "an error code in the x-amzn-ErrorType header or the body's __type/code",
                "none",
                "AWS rest-json protocol",
                "send the error code in x-amzn-ErrorType (boto3 reads it from there first)",
            )
        ]
        return code, found
    if code in modelled:
        schema = load_schema(name, "error", code)
        expected_status = int(schema["x-error"]["httpStatusCode"])
        found = _check(name, "error", document, strict=strict, error=code)
        if status != expected_status:
            found.insert(
                0,
                Violation(
                    "",
                    "x-error.httpStatusCode",
                    f"HTTP status {expected_status}",
                    f"HTTP status {status}",
                    f"model shape {code}",
                    f"answer {code} with status {expected_status}",
                ),
            )
        return code, found
    if code in COMMON_ERRORS:
        if status < 400:
            return code, [
                Violation(
                    "",
                    "x-error.httpStatusCode",
                    "an HTTP status >= 400",
                    f"HTTP status {status}",
                    "AWS common errors",
                    "answer errors with a 4xx or 5xx status",
                )
            ]
        return code, []
    return code, [
        Violation(
            "",
            "x-error",
            f"one of the operation's modelled errors ({', '.join(modelled)}) or an AWS common error",
            repr(code),
            f"model operation {name}",
            "answer with an error the model lists for this operation",
        )
    ]


def validate_error(
    operation: str, status: int, headers: Mapping[str, str] | None, body: object, *, strict: bool = False
) -> str:
    """Raise :class:`ContractViolation` unless the error answer meets its contract; return its code."""
    name = spec.resolve_operation(operation)
    code, found = error_violations(name, status, headers, body, strict=strict)
    if found:
        raise ContractViolation(name, "error", found, subject=f"error {code or '(no code)'}")
    return code
