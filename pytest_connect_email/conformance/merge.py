"""``connect-email report merge``: one conformance report from the reports of shards (a CI matrix whose
jobs each run a part of the suite with ``-k``).

The checks are the union; a check in two shards must have the same outcome in both. The summary, the
coverage figures and the gate are recomputed over the union by the same functions the plugin uses
(:func:`.report.judge`, :func:`.report.build_document`): the gate options are the union of the required
operations and any shard's ``--connect-fail-on-not-implemented``, the other tests' counts are summed, and
a shard's failure the merge cannot recompute (a report it could not write, pytest's exit status) is kept,
naming the shard.

Shards must have checked the same target with the same model: a ``target`` whose mode, endpoint, region or
botocore version differs from the first shard's is refused naming both files and the field
(:data:`.report.TARGET_FIELDS`). The baseline file may differ per shard: each shard's is listed in
``shards[].target.baseline``. A report that is itself a merge (it has ``shards``) is refused, so that a
merged report left among the shards' is not counted as one.

Every input is read within budgets before it is parsed (:data:`.limits.MAX_REPORT_BYTES`, then
:data:`.limits.MAX_DEPTH` and :data:`.limits.MAX_NODES`), and every field the merge uses is checked for
its type: a file that is not a report is refused naming the file and the field, never a traceback.
"""

from __future__ import annotations

import hashlib
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pytest_connect_email import limits
from pytest_connect_email.conformance.report import (
    _OUTCOMES,
    TARGET_FIELDS,
    GateOptions,
    OtherTests,
    Result,
    append_step_summary,
    build_document,
    coverage_line,
    cut,
    judge,
    markdown,
    modelled_errors,
    write_report,
)


class MergeError(Exception):
    """A report that cannot be merged: unreadable, not a report, over a budget, or at odds with another."""


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise MergeError(f"{where} must be text, not {type(value).__name__}")
    return value


#: A check id the merge accepts: the shipped ones (``ADDR-001``, ``STATEFUL-001``) and a team's (``TEAM-001``).
ID_PATTERN = re.compile(r"[A-Za-z0-9()_.:-]{1,100}")
#: An operation name the merge accepts: an API operation (``SendOutboundEmail``) or ``(protocol)``.
OPERATION_PATTERN = re.compile(r"[A-Za-z()][A-Za-z0-9()]{0,99}")


def _name(value: Any, where: str, pattern: re.Pattern[str], example: str) -> str:
    """Text that is a plain name (``pattern``): anything else would be written into the Markdown report and
    the gate's lines, so it is refused naming the field, the rule and a name that fits."""
    text = _text(value, where)
    if not pattern.fullmatch(text):
        raise MergeError(
            f"{where} is {cut(repr(text), 80)}: not a plain name (it must match {pattern.pattern}, e.g. {example}); "
            "not a report this plugin writes"
        )
    return text


def _id(value: Any, where: str) -> str:
    return _name(value, where, ID_PATTERN, "TEAM-001")


def _operation(value: Any, where: str) -> str:
    return _name(value, where, OPERATION_PATTERN, "SendOutboundEmail or (protocol)")


def _texts(value: Any, where: str) -> list[str]:
    if not isinstance(value, list):
        raise MergeError(f"{where} must be a list of text, not {type(value).__name__}")
    return [_text(item, f"{where}[{i}]") for i, item in enumerate(value)]


def _object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise MergeError(f"{where} must be an object, not {type(value).__name__}")
    return value


#: The largest count (other tests run or failed, a summary's) and duration (seconds) a shard's report may
#: hold: far past any real run, and small enough that sums over many shards stay plain numbers.
MAX_COUNT = 10**9
MAX_DURATION = 10**7


def _count(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_COUNT:
        shown = cut(repr(value), 40) if isinstance(value, int) and not isinstance(value, bool) else repr(value)
        raise MergeError(
            f"{where} must be a whole number from 0 to {MAX_COUNT} (MAX_COUNT), not {cut(shown, 60)}; "
            "not a report this plugin writes"
        )
    return value


def _os_reason(exc: BaseException) -> str:
    """The operating system's reason, e.g. 'Too many levels of symbolic links' or 'File name too long'."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    if isinstance(exc, RuntimeError):  # pathlib's own loop detection
        return "Too many levels of symbolic links (a loop)"
    return str(exc) or type(exc).__name__


def resolved(path: Path, what: str) -> Path:
    """``path`` with its symbolic links followed; a :class:`MergeError` naming it and the reason when the
    operating system cannot (a symlink loop, a name too long)."""
    try:
        return path.resolve()
    except (OSError, RuntimeError) as exc:
        raise MergeError(f"{what} {cut(str(path), 300)}: cannot be resolved ({_os_reason(exc)})") from None


def _not_utf8(document: Any) -> str | None:
    """The first field (e.g. ``checks[0].id``) whose text or key cannot be encoded as UTF-8, or None."""
    stack: list[tuple[str, Any]] = [("the document", document)]
    while stack:  # the document is within MAX_NODES, so this is bounded
        where, value = stack.pop()
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                return where
        elif isinstance(value, dict):
            for key, item in value.items():
                child = key if where == "the document" else f"{where}.{key}"
                try:
                    key.encode("utf-8")
                except UnicodeEncodeError:
                    return f"a key in {where}"
                stack.append((child, item))
        elif isinstance(value, list):
            stack.extend((f"{where}[{i}]", item) for i, item in enumerate(value))
    return None


def read_report(path: Path) -> dict[str, Any]:
    """A report written by ``--connect-report`` (this version or later), read within the budgets."""
    return _read_report(path)[0]


def _read_report(path: Path) -> tuple[dict[str, Any], str]:
    """:func:`read_report`'s document, and the SHA-256 of the file's bytes (to refuse a copy given twice)."""
    name = cut(str(path), 300)
    try:
        is_file = path.is_file()
        what = "" if is_file else "a folder" if path.is_dir() else "not a regular file" if path.exists() else ""
    except (OSError, RuntimeError) as exc:
        raise MergeError(
            f"{name}: cannot be read ({_os_reason(exc)}); pass the JSON reports the shards wrote"
        ) from None
    if not is_file:
        what = what or "no such file"
        raise MergeError(f"{name}: {what}; pass the JSON reports the shards wrote with --connect-report")
    try:
        with open(path, "rb") as handle:
            data = handle.read(limits.MAX_REPORT_BYTES + 1)
    except (OSError, RuntimeError) as exc:
        raise MergeError(f"{name}: cannot read it ({_os_reason(exc)})") from None
    if len(data) > limits.MAX_REPORT_BYTES:
        raise MergeError(
            f"{name}: over {limits.MAX_REPORT_BYTES} bytes (MAX_REPORT_BYTES, the limit); not a report this "
            "plugin writes"
        )
    try:
        document = limits.loads(data.decode("utf-8"), "the file")
    except UnicodeDecodeError:
        raise MergeError(f"{name}: not UTF-8 text; not a report") from None
    except limits.LimitExceeded as exc:
        raise MergeError(f"{name}: {exc.message} ({exc.limit}); not a report this plugin writes") from None
    except ValueError as exc:
        raise MergeError(f"{name}: not JSON ({exc})") from None
    field = _not_utf8(document)
    if field is not None:
        raise MergeError(
            f"{name}: {field} holds a lone surrogate (a \\ud800-\\udfff escape that is no character), which "
            "cannot be written as UTF-8; not a report this plugin writes: write the shard's report again"
        )
    if not isinstance(document, dict) or not str(document.get("tool", "")).startswith("pytest-connect-email"):
        raise MergeError(f'{name}: not a conformance report (no "tool": "pytest-connect-email ...")')
    if "gate" not in document:
        raise MergeError(
            f'{name}: a report without "gate" (written by an older pytest-connect-email); run the shard again '
            "with this version"
        )
    if "shards" in document:
        raise MergeError(
            f"{name}: a merged report (it has 'shards'), not a shard's; write the merged report outside the "
            "shards' folder (e.g. --output conformance.json beside reports/), or delete it before merging again"
        )
    return document, hashlib.sha256(data).hexdigest()


def _results(document: dict[str, Any], name: str) -> list[Result]:
    results = []
    for number, entry in enumerate(_texts_or_objects(document.get("checks"), f"{name}: checks")):
        where = f"{name}: checks[{number}]"
        outcome = _text(entry.get("outcome"), f"{where}.outcome")
        if outcome not in _OUTCOMES:
            raise MergeError(f"{where}.outcome must be one of {', '.join(_OUTCOMES)}, not {outcome!r}"[:300])
        duration = entry.get("duration", 0.0)
        if (
            isinstance(duration, bool)
            or not isinstance(duration, (int, float))
            or not 0 <= duration <= MAX_DURATION  # NaN and infinity too
        ):
            shown = cut(repr(duration), 60)
            raise MergeError(
                f"{where}.duration must be a number of seconds from 0 to {MAX_DURATION} (MAX_DURATION), not {shown}"
            )
        errors = entry.get("errors", [])
        if not isinstance(errors, list):
            raise MergeError(f"{where}.errors must be a list of [operation, code] pairs")
        pairs = []
        for i, pair in enumerate(errors):
            if not (isinstance(pair, list) and len(pair) == 2 and all(isinstance(p, str) for p in pair)):
                raise MergeError(f"{where}.errors[{i}] must be an [operation, code] pair of text")
            pairs.append((pair[0], pair[1]))  # only counted in the Markdown, never written into it
        stateful = entry.get("stateful", {})
        missing = _text(entry.get("missing_operation", ""), f"{where}.missing_operation")
        if missing:
            _operation(missing, f"{where}.missing_operation")
        results.append(
            Result(
                id=_id(entry.get("id"), f"{where}.id"),
                operation=_operation(entry.get("operation"), f"{where}.operation"),
                nodeid=_text(entry.get("nodeid", ""), f"{where}.nodeid"),
                outcome=outcome,
                duration=float(duration),
                detail=_text(entry.get("detail", ""), f"{where}.detail"),
                baseline=_text(entry.get("baseline", ""), f"{where}.baseline"),
                summary=_text(entry.get("summary", ""), f"{where}.summary"),
                missing=missing,
                errors=pairs,
                stateful=_object(stateful, f"{where}.stateful"),
            )
        )
    return results


def _texts_or_objects(value: Any, where: str) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        raise MergeError(f"{where} must be a list of objects")
    return [_object(item, f"{where}[{i}]") for i, item in enumerate(value)]


def _same_target(first: tuple[str, dict[str, Any]], name: str, target: dict[str, Any]) -> None:
    """Refuse a shard whose target differs from the first shard's in a field of :data:`.report.TARGET_FIELDS`."""
    first_name, first_target = first
    for key in TARGET_FIELDS:
        if first_target.get(key) != target.get(key):
            raise MergeError(
                f"{name}: target.{key} is {target.get(key)!r} but {first_name} has {first_target.get(key)!r}; "
                "shards of one report must check the same target (mode, endpoint_url, region) with the same "
                "botocore: merge each target's reports separately"
            )


def merge(paths: Sequence[Path], *, require_all_checks: bool = False) -> dict[str, Any]:
    """The report of the union of the shards' reports at ``paths`` (see the module's docstring); with
    ``require_all_checks``, the merged gate fails when a shipped check ran in no shard."""
    if not paths:
        raise MergeError("no reports to merge")
    seen_paths: dict[Path, str] = {}
    seen_files: dict[tuple[int, int], str] = {}
    for path in paths:
        key = resolved(path, "the report")
        if key in seen_paths:
            raise MergeError(f"{path}: given twice (also as {seen_paths[key]}); each shard's report once")
        seen_paths[key] = str(path)
        try:
            status = os.stat(path)
        except (OSError, RuntimeError, ValueError):
            continue  # read_report says why
        file_key = (status.st_dev, status.st_ino)
        if file_key in seen_files:
            raise MergeError(
                f"{path}: the same file as {seen_files[file_key]} (a hard link to it); each shard's report once"
            )
        seen_files[file_key] = str(path)
    seen_digests: dict[str, str] = {}
    results: dict[str, Result] = {}
    origin: dict[str, str] = {}
    texts: dict[str, tuple[str, str]] = {}
    modelled: dict[str, list[str]] = {}
    required: dict[str, None] = {}
    fail_on_not_implemented = False
    ran = failed = 0
    failed_nodeids: list[str] = []
    failed_in: list[str] = []
    run_failures: list[str] = []
    now_passing: set[str] = set()
    expired: set[str] = set()
    settings: dict[tuple[str, str, str], list[str]] = {}  # (name, value, source) -> the shards that had it
    shards: list[dict[str, Any]] = []
    first: tuple[str, dict[str, Any]] | None = None
    for path in paths:
        name = str(path)
        document, digest = _read_report(path)
        if digest in seen_digests:
            raise MergeError(
                f"{name}: the same bytes as {seen_digests[digest]} (a copy of one shard's report); each shard's "
                "report once: a shard's report has its own checks and creation time"
            )
        seen_digests[digest] = name
        gate = _object(document["gate"], f"{name}: gate")
        options = _object(gate.get("options"), f"{name}: gate.options")
        flag = options.get("fail_on_not_implemented", False)
        if not isinstance(flag, bool):
            raise MergeError(f"{name}: gate.options.fail_on_not_implemented must be true or false")
        fail_on_not_implemented = fail_on_not_implemented or flag
        for i, operation in enumerate(
            _texts(options.get("require_operations", []), f"{name}: gate.options.require_operations")
        ):
            required.setdefault(_operation(operation, f"{name}: gate.options.require_operations[{i}]"), None)
        passed = gate.get("passed")
        if not isinstance(passed, bool):
            raise MergeError(f"{name}: gate.passed must be true or false")
        kept = _texts(gate.get("run_failures", []), f"{name}: gate.run_failures")
        run_failures += [f"{name}: {line}" for line in kept]
        other = _object(document.get("other_tests", {}), f"{name}: other_tests")
        ran += _count(other.get("ran", 0), f"{name}: other_tests.ran")
        shard_failed = _count(other.get("failed", 0), f"{name}: other_tests.failed")
        failed += shard_failed
        if shard_failed:
            failed_in.append(name)
        failed_nodeids += _texts(other.get("failed_nodeids", []), f"{name}: other_tests.failed_nodeids")
        baseline = _object(document.get("baseline", {}), f"{name}: baseline")
        for listing, into in (("now_passing", now_passing), ("expired", expired)):
            listed = _texts(baseline.get(listing, []), f"{name}: baseline.{listing}")
            into.update(_id(item, f"{name}: baseline.{listing}[{i}]") for i, item in enumerate(listed))
        for number, entry in enumerate(_texts_or_objects(document.get("settings", []), f"{name}: settings")):
            where = f"{name}: settings[{number}]"
            named, value, source = (_text(entry.get(k), f"{where}.{k}") for k in ("name", "value", "source"))
            settings.setdefault((named, value, source), []).append(name)
        for number, row in enumerate(_texts_or_objects(document.get("operations", []), f"{name}: operations")):
            operation = _operation(row.get("operation"), f"{name}: operations[{number}].operation")
            codes = _texts(row.get("errors_modelled", []), f"{name}: operations[{number}].errors_modelled")
            modelled.setdefault(operation, codes)
        shard_target = _object(document.get("target", {}), f"{name}: target")
        for target_field in (*TARGET_FIELDS, "tool", "baseline"):
            if not isinstance(shard_target.get(target_field), (str, type(None))):
                raise MergeError(f"{name}: target.{target_field} must be text or null")
        if first is None:
            first = (name, shard_target)
        else:
            _same_target(first, name, shard_target)
        entries = _texts_or_objects(document.get("checks"), f"{name}: checks")
        for result, entry in zip(_results(document, name), entries, strict=True):
            earlier = results.get(result.id)
            if earlier is None:
                results[result.id] = result
                origin[result.id] = name
                texts[result.id] = (str(entry.get("source", "")), str(entry.get("title", "")))
            elif earlier.outcome != result.outcome:
                raise MergeError(
                    f"check {result.id} is in {origin[result.id]} ({earlier.outcome}) and in {name} "
                    f"({result.outcome}): shards must not run the same check with different outcomes; split the "
                    "suite so that each check runs in one shard"
                )
            else:  # the same check twice with the same outcome: one check, every error answer it saw
                earlier.errors.extend(p for p in result.errors if p not in earlier.errors)
        summary = _object(document.get("summary", {}), f"{name}: summary")
        shards.append(
            {
                "file": name,
                "target": shard_target,
                "summary": {
                    _text(k, f"{name}: summary key"): _count(v, f"{name}: summary.{k}") for k, v in summary.items()
                },
                "gate": {"passed": passed, "failures": _texts(gate.get("failures", []), f"{name}: gate.failures")},
            }
        )
    other_tests = OtherTests(ran=ran, failed=failed, failed_nodeids=tuple(failed_nodeids), failed_in=tuple(failed_in))
    verdict = judge(
        results.values(),
        GateOptions(fail_on_not_implemented, tuple(required), require_all_checks),
        other_tests,
        run_failures,
    )
    target = {"mode": "", "endpoint_url": None, "region": "", **(first[1] if first is not None else {})}
    baselines = {shard["target"].get("baseline") for shard in shards}
    if len(baselines) > 1:  # allowed: each shard's is in shards[].target.baseline
        target["baseline"] = "differs per shard (see shards[].target.baseline)"
    return build_document(
        results.values(),
        verdict=verdict,
        other=other_tests,
        target=target,
        settings=[
            {
                "name": key[0],
                "value": key[1],
                "source": f"{key[2]} (shard{'s' if len(names) > 1 else ''} {', '.join(names)})",
            }
            for key, names in settings.items()
        ],
        texts=texts,
        modelled_of=lambda operation: modelled[operation] if operation in modelled else modelled_errors(operation),
        baseline_now_passing=now_passing,
        baseline_expired=expired,
        shards=shards,
    )


def run(paths: Sequence[Path], output: Path, *, require_all_checks: bool = False) -> int:
    """The command: exit status 1 when the merged gate fails, 0 when it passes, 2 on bad input."""
    from pytest_connect_email.conformance.report import writable_problem

    command = "connect-email report merge"
    if output.suffix.lower() == ".md":
        print(
            f"{command}: --output {output}: the report is JSON and its Markdown is written beside it; give the JSON "
            f"path, e.g. --output {output.with_suffix('.json')}",
            file=sys.stderr,
        )
        return 2
    try:
        for target in (output, output.with_suffix(".md")):
            try:
                problem = writable_problem(target)
            except (OSError, RuntimeError) as exc:
                problem = f"{cut(str(target), 300)} cannot be checked ({_os_reason(exc)})"
            if problem:
                print(f"{command}: --output {cut(str(output), 300)}: {problem}", file=sys.stderr)
                return 2
            resolved(target, "--output")
        inputs = {resolved(path, "the report"): path for path in paths}
        for written in (output, output.with_suffix(".md")):
            key = resolved(written, "--output")
            if key in inputs:
                print(
                    f"{command}: --output {output}: it would overwrite the input {inputs[key]}; write "
                    "the merged report outside the shards' folder",
                    file=sys.stderr,
                )
                return 2
    except MergeError as exc:
        print(f"{command}: {exc}", file=sys.stderr)
        return 2
    try:
        document = merge(paths, require_all_checks=require_all_checks)
    except MergeError as exc:
        print(f"{command}: {exc}", file=sys.stderr)
        return 2
    try:
        write_report(output, document)
    except (OSError, RuntimeError, UnicodeEncodeError) as exc:
        print(f"{command}: --output {output}: not written ({_os_reason(exc)})", file=sys.stderr)
        return 2
    problem = append_step_summary(markdown(document))
    if problem:
        print(f"{command}: {problem}", file=sys.stderr)
    gate = document["gate"]
    counts = ", ".join(f"{n} {k}" for k, n in sorted(document["summary"].items())) or "no checks"
    print(f"merged {len(paths)} report(s): {len(document['checks'])} check(s), {counts}")
    coverage = document["coverage"]
    print(f"coverage: {coverage_line(coverage)}")
    print(f"report: {output} and {output.with_suffix('.md')}")
    if gate["passed"]:
        print("gate passed: " + "; ".join(gate["checked"]))
        return 0
    for line in gate["failures"]:
        print(f"gate failed: {line}")
    return 1
