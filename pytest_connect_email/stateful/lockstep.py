"""One call, made on the target and on the reference emulator in lockstep, and compared.

A :class:`Step` is a call in symbolic form: its parameters name the resources the sequence created by
symbol (``{"$ref": "address_2"}``), because each side generated its own ids. :class:`Lockstep` keeps
the two sides' id maps, makes each step on both sides (target first), normalises both answers
(:func:`.compare.normalise`) and raises :class:`Divergence` when they differ in a way no baseline entry
excuses. The steps made so far are the sequence a divergence reports, replays and prints as a script.

This module knows nothing of Hypothesis or pytest: :mod:`.machine` draws the steps, and a saved
sequence replays through :meth:`Lockstep.replay`.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from pytest_connect_email.contracts import spec
from pytest_connect_email.stateful.compare import Difference, Excuses, differences, normalise

Answer = dict[str, Any]

#: What a symbol may be (``instance_1``, ``address_2``): the reproduction scripts use symbols as shell
#: variable names, so a sequence file's symbols are held to this before anything is made of them.
SYMBOL = re.compile(r"[a-z][a-z0-9_]{0,63}")
SYMBOL_RULE = "a lowercase letter, then up to 63 lowercase letters, digits or underscores (instance_1)"
#: What an output member named in a step may be: a botocore member name (``Id``, ``InstanceSummaryList``).
MEMBER = re.compile(r"[A-Za-z][A-Za-z0-9]{0,127}")


@dataclass(frozen=True)
class Step:
    """One call in symbolic form."""

    operation: str
    #: The request, with ``{"$ref": symbol}`` for ids the sequence created.
    params: dict[str, Any]
    #: ``(symbol, output member)``: the call creates the resource ``symbol``, whose id is that member.
    creates: tuple[str, str] | None = None
    #: Follow ``NextToken`` to the last page; the answer is ``{"Pages": [...]}``.
    pages: bool = False
    #: Keep only the listed items the sequence created (``ListInstances`` lists the whole account).
    own_items: str | None = None
    #: Made by an invariant rather than drawn (reported, replayed and scripted like any other step).
    invariant: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "operation": self.operation,
            "params": self.params,
            **({"creates": list(self.creates)} if self.creates else {}),
            **({"pages": True} if self.pages else {}),
            **({"own_items": self.own_items} if self.own_items else {}),
            **({"invariant": True} if self.invariant else {}),
        }

    @classmethod
    def from_json(cls, data: Any, where: str) -> Step:
        if not isinstance(data, dict) or not isinstance(data.get("operation"), str):
            raise ValueError(f"{where}: expected an object with an 'operation' name")
        if data["operation"] not in spec.OPERATIONS:
            raise ValueError(f"{where}: operation {data['operation']!r} is not a covered operation")
        params = data.get("params", {})
        if not isinstance(params, dict):
            raise ValueError(f"{where}: 'params' must be an object")
        operation = data["operation"]
        creates = data.get("creates")
        if creates is not None and not (
            isinstance(creates, list) and len(creates) == 2 and all(isinstance(c, str) for c in creates)
        ):
            raise ValueError(f"{where}: 'creates' must be [symbol, output member]")
        if creates:
            _check_symbol(creates[0], f"{where}: 'creates' symbol")
            _check_member(operation, creates[1], "string", f"{where}: 'creates' output member")
        for symbol in refs_in(params):
            _check_symbol(symbol, f"{where}: 'params' $ref")
        own = data.get("own_items")
        if own is not None and not isinstance(own, str):
            raise ValueError(f"{where}: 'own_items' must be the name of a listed output member")
        if own:
            _check_member(operation, own, "list", f"{where}: 'own_items'")
        return cls(
            operation,
            params,
            (creates[0], creates[1]) if creates else None,
            bool(data.get("pages", False)),
            own or None,
            bool(data.get("invariant", False)),
        )


def _check_symbol(symbol: str, what: str) -> None:
    """Refuse a symbol that breaks :data:`SYMBOL` (it would reach the printed scripts as a variable name)."""
    if not SYMBOL.fullmatch(symbol):
        raise ValueError(
            f"{what} {symbol!r:.80} breaks the rule for symbols: {SYMBOL_RULE}; a sequence the stateful run "
            "saved holds only such symbols: fix the file or save the sequence again"
        )


def _check_member(operation: str, member: str, kind: str, what: str) -> None:
    """Refuse an output member that botocore's model does not name for ``operation`` (of shape type ``kind``)."""
    members = None
    if spec.available(operation):
        output = spec.operation_model(operation).output_shape
        members = [n for n, s in (output.members.items() if output is not None else ()) if s.type_name == kind]
    if MEMBER.fullmatch(member) and (members is None or member in members):
        return
    named = ", ".join(members) if members else "none"
    raise ValueError(
        f"{what} {member!r:.80} is not a {kind} member of {operation}'s output in botocore's model "
        f"(the rule: a member the model names; {operation}'s {kind} members: {named}); "
        "fix the file or save the sequence again"
    )


def ref(symbol: str) -> dict[str, str]:
    """The parameter value that stands for the id of ``symbol`` on each side."""
    return {"$ref": symbol}


def refs_in(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        if set(value) == {"$ref"}:
            yield str(value["$ref"])
            return
        for item in value.values():
            yield from refs_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from refs_in(item)


@dataclass
class Side:
    """One side: a boto3 ``connect`` client and the ids it generated, by symbol."""

    name: str
    client: Any
    ids: dict[str, str] = field(default_factory=dict)
    symbols: dict[str, str] = field(default_factory=dict)
    _serializer: Any = field(default=None, repr=False)

    def resolve(self, value: Any) -> Any:
        if isinstance(value, dict):
            if set(value) == {"$ref"}:
                return self.ids.get(str(value["$ref"]), f"unknown-{value['$ref']}")
            return {k: self.resolve(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        return value

    def learn(self, symbol: str, ident: str) -> None:
        self.ids[symbol] = ident
        self.symbols[ident] = symbol

    def _check_sendable(self, operation: str, params: dict[str, Any]) -> None:
        """Serialise the request as the client will (without sending it): raise :class:`Unsendable` when
        botocore cannot. Judged apart from the call, so that an error while reading the target's answer
        is never mistaken for a request that could not be sent."""
        from botocore.serialize import create_serializer

        service = self.client.meta.service_model
        if self._serializer is None:
            self._serializer = create_serializer(service.metadata["protocol"], include_validation=False)
        try:
            self._serializer.serialize_to_request(params, service.operation_model(operation))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise Unsendable(f"{operation}: {type(exc).__name__}: {exc}") from exc

    def call(self, step: Step) -> tuple[Answer, Answer]:
        """Make the step; return its raw answer (for ids) and its normalised answer."""
        params = self.resolve(step.params)
        self._check_sendable(step.operation, params)
        raw, shown = answer(
            self.client, spec.snake_name(step.operation), params, step.pages, step.own_items, self.symbols
        )
        if step.creates and "Error" not in raw and isinstance(raw.get(step.creates[1]), str):
            self.learn(step.creates[0], raw[step.creates[1]])
            shown = normalise(raw, self.symbols)  # type: ignore[assignment]
        return raw, shown


def answer(
    client: Any, method: str, params: dict[str, Any], pages: bool, own_items: str | None, symbols: dict[str, str]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """One call's raw answer and its normalised form: the output, ``{"Pages": [...]}`` when following
    ``NextToken`` (``pages``), only the items the sequence created (``own_items``: the listed member), or
    ``{"Error": {"Code", "HTTPStatusCode"}}``. Self-contained but for :func:`normalise` (the reproduction
    scripts embed it)."""
    from botocore.exceptions import ClientError

    call_method = getattr(client, method)
    collected = []
    token = None
    for _ in range(50 if pages or own_items else 1):  # a target that never stops paging is a divergence, not a hang
        try:
            page = call_method(**params, **({"NextToken": token} if token else {}))
        except ClientError as exc:
            response = exc.response
            code = str(response.get("Error", {}).get("Code", ""))
            status = int(response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))
            error = {"Error": {"Code": code, "HTTPStatusCode": status}}
            return error, error
        collected.append(page)
        token = page.get("NextToken")
        if not token or not (pages or own_items):
            break
    if own_items:
        items = [item for page in collected for item in page.get(own_items, []) if item.get("Id") in symbols]
        return {own_items: items}, {own_items: normalise(items, symbols)}
    raw = {"Pages": collected} if pages else collected[0]
    shown = normalise(raw, symbols)
    return raw, shown if isinstance(shown, dict) else {}


class Unsendable(Exception):
    """botocore cannot put the request on the wire (an invalid request without a path member, or with a
    member the operation does not have): the step is not made."""


class Divergence(AssertionError):
    """The target answered a step differently from the reference emulator."""

    def __init__(
        self, steps: list[Step], differences: list[Difference], target: Answer, reference: Answer, note: str = ""
    ) -> None:
        self.steps, self.differences = list(steps), differences
        self.target, self.reference, self.note = target, reference, note
        step = steps[-1]
        kinds = ", ".join(sorted({d.kind or "(answer)" for d in differences}))
        super().__init__(f"step {len(steps)} {step.operation}: the target differs from the reference in {kinds}")

    def renumbered(self) -> Divergence:
        """The same divergence with its symbols numbered in order of creation (``address_1``, ``address_2``):
        a shrunk sequence keeps the numbers of the longer run it came from."""
        import json
        import re

        names: dict[str, str] = {}
        counts: dict[str, int] = {}
        for step in self.steps:
            for symbol in [*refs_in(step.params), *([step.creates[0]] if step.creates else [])]:
                if symbol not in names:
                    kind = symbol.rsplit("_", 1)[0]
                    counts[kind] = counts.get(kind, 0) + 1
                    names[symbol] = f"{kind}_{counts[kind]}"
        pattern = re.compile(r"\b(?:instance|address|contact|queue|hours|arn|flow)_\d+\b")

        def rename(value: Any) -> Any:
            text = json.dumps(value, default=str)
            return json.loads(pattern.sub(lambda m: names.get(m.group(0), m.group(0)), text))

        steps = [Step.from_json(rename(step.to_json()), "renumbered") for step in self.steps]
        found = [Difference(d.path, d.kind, rename(d.target), rename(d.reference)) for d in self.differences]
        return Divergence(steps, found, rename(self.target), rename(self.reference), self.note)

    def same_as(self, other: Divergence) -> bool:
        """Whether ``other`` is the same divergence: the same operation differs in a kind this one has."""
        if self.steps[-1].operation != other.steps[-1].operation or not self.differences:
            return False
        return bool({d.kind for d in self.differences} & {d.kind for d in other.differences})

    @property
    def kinds(self) -> list[tuple[str, str]]:
        operation = self.steps[-1].operation
        return sorted({(operation, d.kind) for d in self.differences})


@dataclass
class Stats:
    """What a run did: steps made on both sides, time in calls, operations the target lacks."""

    steps: int = 0
    seconds: float = 0.0
    sequences: int = 0
    #: Compared steps by operation.
    operations: dict[str, int] = field(default_factory=dict)
    #: Operations the target answered "not implemented" (their steps were not compared).
    missing: dict[str, str] = field(default_factory=dict)


class Lockstep:
    """The two sides of one sequence."""

    def __init__(self, target: Any, reference: Any, excuses: Excuses, stats: Stats) -> None:
        self.target, self.reference = Side("target", target), Side("reference", reference)
        self.excuses, self.stats = excuses, stats
        self.steps: list[Step] = []
        self._counts: dict[str, int] = {}

    def symbol(self, kind: str) -> str:
        self._counts[kind] = self._counts.get(kind, 0) + 1
        return f"{kind}_{self._counts[kind]}"

    def known(self, symbol: str) -> bool:
        return symbol in self.target.ids and symbol in self.reference.ids

    def run(self, step: Step) -> tuple[Answer, Answer] | None:
        """Make ``step`` on both sides; the two raw answers, or ``None`` when the target does not
        implement the operation (nothing compared). Raises :class:`Divergence`."""
        from pytest_connect_email.routing.client import EndpointNotImplemented

        if not spec.available(step.operation):
            self.stats.missing.setdefault(step.operation, f"not in botocore {spec.botocore_version()}'s model")
            return None
        self.steps.append(step)
        started = time.perf_counter()
        missing: str | None = None
        try:
            raw_target, target = self.target.call(step)
        except Unsendable:
            self.steps.pop()
            return None
        except EndpointNotImplemented as exc:
            # Either the route of a malformed request (the reference cannot route it either: compared as any
            # error), or an operation the target lacks (its steps are not compared; the report says so).
            code = exc.code or "UnknownOperationException"
            raw_target = target = {"Error": {"Code": code, "HTTPStatusCode": exc.status}}
            missing = str(exc)
        except Exception as exc:  # a contract violation, an answer over budget, a transport failure
            raw_target = target = {"Exception": f"{type(exc).__name__}: {exc}"}
        raw_reference, reference = self.reference.call(step)
        if missing is not None and reference.get("Error", {}).get("Code") != "UnknownOperationException":
            self.steps.pop()
            self.stats.missing.setdefault(step.operation, missing)
            return None
        self.stats.seconds += time.perf_counter() - started
        self.stats.steps += 1
        self.stats.operations[step.operation] = self.stats.operations.get(step.operation, 0) + 1
        found = self.excuses.remaining(step.operation, differences(target, reference))
        if found:
            raise Divergence(self.steps, found, target, reference)
        return raw_target, raw_reference

    def replay(self, steps: list[Step]) -> None:
        """Make a saved sequence again (its symbols as saved, instance aliases new); raises :class:`Divergence`."""
        import uuid

        run = uuid.uuid4().hex[:8]
        for step in steps:
            alias = step.params.get("InstanceAlias")
            if isinstance(alias, str):
                params = {**step.params, "InstanceAlias": f"ce-st-{run}-{alias.rsplit('-', 1)[-1]}"}
                step = Step(step.operation, params, step.creates, step.pages, step.own_items, step.invariant)
            for symbol in refs_in(step.params):
                if not self.known(symbol) and symbol.startswith("queue_"):
                    self.queue(symbol)
            self.run(step)

    def cleanup(self) -> None:
        """Delete the instances the sequence created, on both sides (not compared, errors ignored)."""
        for side in (self.target, self.reference):
            for symbol, ident in side.ids.items():
                if symbol.startswith("instance_"):
                    try:
                        side.client.delete_instance(InstanceId=ident)
                    except Exception:  # already deleted by the sequence, or refused: nothing to undo
                        continue

    def queue(self, symbol: str, ident: str | None = None) -> str:
        """A queue id, the same on both sides: a queue a sequence saved before queues were created by its steps
        names no queue on either side."""
        import uuid

        ident = ident or str(uuid.uuid4())
        self.target.learn(symbol, ident)
        self.reference.learn(symbol, ident)
        return symbol


def replay(target: Any, reference: Any, steps: list[Step], excuses: Excuses, stats: Stats) -> Divergence | None:
    """Make ``steps`` on fresh sides of ``target`` and ``reference``; the divergence, or ``None``."""
    lockstep = Lockstep(target, reference, excuses, stats)
    try:
        lockstep.replay(steps)
    except Divergence as found:
        return found
    finally:
        lockstep.cleanup()
    return None


def minimise(target: Any, reference: Any, found: Divergence, excuses: Excuses, stats: Stats) -> Divergence:
    """Drop every step the divergence does not need: each step is tried once per pass, from the last to the
    first, until a pass drops nothing (a step may become droppable once another is gone). Hypothesis's
    shrinking is bounded in time; this finishes the job in a few replays per step."""
    best = found
    for _ in range(len(best.steps)):  # each pass that continues dropped a step: bounded by the length
        before = len(best.steps)
        index = len(best.steps) - 2
        while index >= 0:
            candidate = best.steps[:index] + best.steps[index + 1 :]
            again = replay(target, reference, candidate, excuses, stats)
            if again is not None and best.same_as(again) and len(again.steps) < len(best.steps):
                best = again
                index = min(index, len(best.steps) - 1)
            index -= 1
        if len(best.steps) == before:
            break
    return best
