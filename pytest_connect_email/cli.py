"""The ``connect-email`` console script: thin commands over the package's modules."""

from __future__ import annotations

import argparse
import difflib
import json
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path

from pytest_connect_email import limits
from pytest_connect_email.contracts import active, apidiff, schemagen, spec


def _files_on_disk(directory: Path) -> dict[str, str]:
    if not directory.is_dir():
        return {}
    return {
        path.relative_to(directory).as_posix(): path.read_text(encoding="utf-8")
        for path in sorted(directory.rglob("*.json"))
    }


def _recorded_version(directory: Path) -> str | None:
    index = directory / schemagen.INDEX_FILE
    try:
        version = json.loads(index.read_text(encoding="utf-8")).get("x-botocore-version")
    except (OSError, ValueError, AttributeError):
        return None
    return version if isinstance(version, str) else None


def schemas_generate(directory: Path) -> int:
    files = schemagen.generate(model=spec.installed_model())
    directory.mkdir(parents=True, exist_ok=True)
    stale = set(_files_on_disk(directory)) - set(files)
    for relative, text in files.items():
        target = directory / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(".json.tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(target)  # atomic per file: a reader never sees half a contract
    for relative in sorted(stale):
        (directory / relative).unlink()
    print(f"wrote {len(files)} contract files to {directory}" + (f", removed {len(stale)} stale" if stale else ""))
    return 0


def schemas_check(directory: Path) -> int:
    """Regenerate in memory and compare with ``directory``; print a per-operation diff on drift."""
    installed = spec.botocore_version()
    print(f"active: {active.contracts().describe()}")
    recorded = _recorded_version(directory) or installed
    # Compare content with the version stamp of the files on disk, so that a botocore upgrade that
    # leaves our shapes alone is not reported as drift in every file.
    expected = schemagen.generate(botocore_version=recorded, model=spec.installed_model())
    actual = _files_on_disk(directory)
    drift: dict[str, list[str]] = {}
    for relative in sorted(set(expected) | set(actual)):
        want, have = expected.get(relative), actual.get(relative)
        if want == have:
            continue
        group = relative.split("/", 1)[0] if "/" in relative else relative
        if have is None:
            lines = [f"missing file {relative}\n"]
        elif want is None:
            lines = [f"unexpected file {relative} (not generated from the model)\n"]
        else:
            lines = list(
                difflib.unified_diff(
                    have.splitlines(keepends=True),
                    want.splitlines(keepends=True),
                    fromfile=f"{directory / relative} (committed)",
                    tofile=f"{relative} (from botocore {installed})",
                    n=2,
                )
            )
        drift.setdefault(group, []).extend(lines)
    if not drift:
        note = "" if recorded == installed else f" (files stamped botocore {recorded}; content identical)"
        print(f"schemas OK: {len(expected)} files in {directory} match the botocore {installed} model{note}")
        return 0
    print(f"schemas DRIFT: {len(drift)} operation(s) differ from the botocore {installed} model in {directory}")
    for group, lines in drift.items():
        print(f"\n=== {group} ===")
        sys.stdout.writelines(line if line.endswith("\n") else line + "\n" for line in lines)
    print("\n" + _drift_advice(directory, installed, recorded))
    return 1


def _drift_advice(directory: Path, installed: str, recorded: str) -> str:
    """What drift means and what to run, for where ``schemas check`` ran: never a command that cannot work
    there (``schemas generate`` without ``--dir`` refuses outside a checkout of this project)."""
    snapshot = directory.resolve() == active.snapshot_dir().resolve()
    if not snapshot:
        command = f"connect-email schemas generate --dir {shlex.quote(str(directory))}"
        return (
            f"If the change is expected (a botocore upgrade), run `{command}` to regenerate these contracts from the "
            "installed botocore."
        )
    if active.checkout_root() is not None:
        command = "connect-email schemas generate"
        return f"If the change is expected (a botocore upgrade), run `{command}` and commit the result."
    return (
        f"The installed botocore {installed}'s model differs from the contracts this release of pytest-connect-email "
        f"was built with (botocore {recorded}). Nothing needs regenerating: the validator, the fakes and the emulator "
        "follow the installed botocore (the active contracts above), so your tests already hold calls to its model. "
        "To see what changed for callers, in human terms, run `connect-email schemas diff` (the snapshot -> the "
        "installed botocore; exit status 1 when a change could break a caller)."
    )


def schemas_diff(old: str, new: str, usage_file: Path | None = None) -> int:
    from pytest_connect_email.contracts import usage

    try:
        manifest = None if usage_file is None else usage.load(usage_file)  # a bad manifest: before any model load
        before, after = active.for_source(old), active.for_source(new)
        changes = apidiff.diff(before, after)
    except (spec.ModelSourceError, OSError, ValueError) as exc:
        where = "--usage " if isinstance(exc, usage.ManifestError) else ""
        print(f"connect-email schemas diff: {where}{exc}", file=sys.stderr)
        return 2
    if manifest is not None:
        print(apidiff.usage_report(before, after, changes, manifest, str(usage_file)))
        return 1 if apidiff.against_usage(changes, manifest)[0] else 0
    print(apidiff.report(before, after, changes))
    return 1 if any(c.breaking for c in changes) else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="connect-email",
        description="Contracts, fakes and conformance checks for the Amazon Connect email APIs.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    schemas = sub.add_parser("schemas", help="generate or check the JSON Schema contracts")
    schemas_sub = schemas.add_subparsers(dest="action", required=True)
    for action, text, default in (
        (
            "generate",
            "write the contracts generated from the installed botocore model",
            "the checkout's schemas/; required outside a checkout of this project",
        ),
        (
            "check",
            "regenerate in memory and fail with a per-operation diff if the committed contracts differ",
            "the committed snapshot",
        ),
    ):
        cmd = schemas_sub.add_parser(action, help=text, description=text)
        cmd.add_argument("--dir", type=Path, default=None, help=f"schema directory (default: {default})")
    sources = (
        "'snapshot' (the committed contracts), 'installed' (the installed botocore), the installed botocore's "
        "version, a botocore wheel (.whl), an unpacked botocore or botocore data directory, or a directory of "
        "generated contracts; other releases: `pip download botocore==X --no-deps -d DIR`, then pass the wheel"
    )
    cmd = schemas_sub.add_parser(
        "diff",
        help="the API change between two models, per operation; exit 1 when a change could break callers",
        description="Show the API change between two models in human terms: members, enum values, limits "
        "and errors added or removed, per operation. Exit status 1 when a change could break a caller "
        "(a removed member or enum value, a tightened limit). No network: " + sources + ".",
    )
    cmd.add_argument("--from", dest="old", default="snapshot", metavar="VERSION|PATH", help="old side (snapshot)")
    cmd.add_argument("--to", dest="new", default="installed", metavar="VERSION|PATH", help="new side (installed)")
    cmd.add_argument(
        "--usage",
        type=Path,
        default=None,
        metavar="FILE",
        help="a usage manifest (pytest --connect-usage FILE): judge only the breaking changes that touch what it "
        "records the application sends; exit 1 when one does",
    )
    run = sub.add_parser(
        "conformance",
        help="run the shipped conformance suite (default target: the embedded emulator)",
        description="Run the shipped conformance suite with pytest. Arguments after the command go to pytest, "
        "e.g. --connect-mode live --connect-endpoint-url URL --connect-report report.json -n 2; --stateful adds "
        "the stateful differential check (random call sequences against the reference emulator).",
    )
    run.add_argument("pytest_args", nargs=argparse.REMAINDER, help="arguments for pytest")
    listing = sub.add_parser(
        "checks",
        help="list the shipped conformance checks: id, operation, source",
        description="List the shipped conformance checks by operation: each check's id, title and source "
        "(the sentence of the model's documentation or reference page it verifies, or the AWS API convention).",
    )
    listing.add_argument("--markdown", action="store_true", help="a Markdown table instead of plain lines")
    listing.add_argument("--operation", action="append", default=[], help="only this operation's checks (repeatable)")
    merging = sub.add_parser("report", help="work with conformance reports").add_subparsers(
        dest="action", required=True
    )
    merge_cmd = merging.add_parser(
        "merge",
        help="one report from the reports of shards (a CI matrix of -k parts); exit 1 when its gate fails",
        description="Merge the JSON reports that shards wrote with --connect-report: the checks' union (a check in "
        "two shards must have one outcome), the summary, coverage and gate recomputed over it; the Markdown is "
        "written beside --output and appended to $GITHUB_STEP_SUMMARY when set. Exit status 0 when the merged "
        "gate passes, 1 when it fails, 2 on bad input.",
    )
    merge_cmd.add_argument("reports", nargs="+", type=Path, help="the shards' JSON reports")
    merge_cmd.add_argument("--output", "-o", type=Path, required=True, help="the merged JSON report (Markdown beside)")
    merge_cmd.add_argument(
        "--require-all-checks",
        action="store_true",
        help="fail the merged gate (exit 1) when a check the suite ships ran in no shard (a shard missing)",
    )
    tapes = sub.add_parser("cassettes", help="work with recorded cassettes").add_subparsers(
        dest="action", required=True
    )
    lint_cmd = tapes.add_parser(
        "lint",
        help="fail on credentials, account ids, non-example addresses, malformed YAML or contract breaches",
        description="Check cassettes (files, or folders searched for *.yaml/*.yml) before they are committed.",
    )
    lint_cmd.add_argument("paths", nargs="+", type=Path, help="cassette files or folders")
    migrate_cmd = tapes.add_parser(
        "migrate",
        help="move cassettes of the old layout (<module stem>/<test name>) to one per test node id",
        description="Collect the tests (pytest --collect-only, in this directory, with the arguments after "
        "`--`, e.g. -- --connect-conformance) and move each old-layout cassette to the path of every test "
        "that used it (same-named tests shared one: each gets a copy); the old files are removed.",
    )
    migrate_cmd.add_argument("--dry-run", action="store_true", help="say what would move, move nothing")
    migrate_cmd.add_argument("pytest_args", nargs=argparse.REMAINDER, help="arguments for pytest's collection")
    serve = sub.add_parser("emulator", help="run the reference emulator").add_subparsers(dest="action", required=True)
    cmd = serve.add_parser(
        "serve",
        help="serve the emulator over HTTP on loopback; prints its URL on the first line",
        description="Serve the reference emulator of the Connect email API on loopback until Ctrl-C.",
    )
    cmd.add_argument("--host", default="127.0.0.1", help="loopback address to bind (default 127.0.0.1)")
    cmd.add_argument("--port", type=int, default=0, help="port (default 0: any free port)")
    cmd.add_argument("--state", default=None, help="SQLite file to keep state in (default: in memory)")
    cmd.add_argument("--region", default="us-east-1", help="region in ARNs and signatures (default us-east-1)")
    cmd.add_argument("--no-auth", action="store_true", help="accept requests without a valid SigV4 signature")
    cmd.add_argument(
        "--strict-auth",
        action="store_true",
        help="accept only the --credentials pairs (default: any access key; the keys it knows are verified)",
    )
    cmd.add_argument(
        "--credentials",
        action="append",
        default=[],
        metavar="KEY:SECRET",
        help="accept this access key pair too (repeatable); default: $AWS_ACCESS_KEY_ID/$AWS_SECRET_ACCESS_KEY "
        "when set, else testing/testing",
    )
    cmd.add_argument(
        "--max-clock-skew",
        type=_skew,
        default=limits.MAX_CLOCK_SKEW,
        metavar="SECONDS",
        help="refuse signatures whose X-Amz-Date is further than this from the clock, as AWS does (default 900, "
        "15 minutes); 'off' accepts any age, e.g. to replay old signed traffic",
    )
    cmd.add_argument("--max-email-addresses", type=int, default=100, help="email addresses per instance (100)")
    cmd.add_argument("--max-body-bytes", type=int, default=limits.MAX_BODY_BYTES, help="request body limit (8 MiB)")
    cmd.add_argument("--throttle", action="store_true", help="emulate the default rate: 2 requests/s, burst 5")
    return parser


def _skew(text: str) -> float | None:
    if text.strip().lower() in ("off", "none"):
        return None
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seconds or 'off', got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a number of seconds >= 0 or 'off', got {text!r}")
    return value


def emulator_serve(args: argparse.Namespace) -> int:
    import threading

    from pytest_connect_email.emulator import Config, Emulator
    from pytest_connect_email.emulator.store import StateFileError

    pairs = []
    for item in args.credentials:
        key, sep, secret = item.partition(":")
        if not sep or not key or not secret:
            print(f"--credentials expects KEY:SECRET, got {item!r}", file=sys.stderr)
            return 2
        pairs.append((key, secret))
    config = Config(
        region=args.region,
        max_email_addresses=args.max_email_addresses,
        max_body_bytes=args.max_body_bytes,
        max_clock_skew=args.max_clock_skew,
        throttle=args.throttle,
    )
    if args.no_auth:
        print(
            "warning: --no-auth: the emulator accepts requests without checking their signature; "
            "anything that can reach the port can use it",
            file=sys.stderr,
            flush=True,
        )
    try:
        emulator = Emulator.create(
            state=args.state,
            config=config,
            credentials=pairs,
            auth_enabled=not args.no_auth,
            strict_auth=args.strict_auth,
        )
    except StateFileError as exc:  # names the file, what is wrong with it and what to do
        print(f"--state: {exc}", file=sys.stderr)
        return 2
    try:
        server = emulator.serve(args.host, args.port)
    except (OSError, ValueError) as exc:
        print(f"cannot serve on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 2
    _stop_on_signals()
    try:
        print(server.url, flush=True)
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        emulator.backend.store.close()
    return 0


def _stop_on_signals() -> None:
    """Ctrl-C (SIGINT) and SIGTERM (``kill``, a container's stop) end a serving command cleanly, its state
    file closed: SIGINT even when the command was started with it ignored (a background job of a shell
    script, a process manager), where Python would otherwise never raise KeyboardInterrupt."""
    import signal

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, stop)


def cassettes_lint(paths: list[Path]) -> int:
    from pytest_connect_email.cassettes import lint

    files: list[Path] = []
    missing = 0
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml")))
        elif path.exists():
            files.append(path)
        else:  # said, and the other paths linted all the same
            print(f"{path}: no such file or folder; pass cassette files or folders", file=sys.stderr)
            missing += 1
    count = 0
    for file in files:  # lint never raises: every file is reported, whatever another holds
        for finding in lint.lint(file):
            print(finding, flush=True)
            count += 1
    gone = f", {missing} path(s) not found" if missing else ""
    print(f"{len(files)} cassette(s) checked, {count} finding(s){gone}")
    return 2 if missing else 1 if count else 0


def cassettes_migrate(pytest_args: list[str], *, dry_run: bool) -> int:
    """Collect the tests as pytest would run them, then move each old-layout cassette (see
    :func:`.cassettes.legacy_cassette_path`) to the new path of every test that used it."""
    import pytest

    from pytest_connect_email.cassettes import replay
    from pytest_connect_email.pytest.settings import SETTINGS

    moves: dict[Path, list[Path]] = {}

    class Collector:
        @staticmethod
        def pytest_collection_finish(session: pytest.Session) -> None:
            directory = session.config.stash[SETTINGS].cassette_dir
            for item in session.items:
                file = Path(str(item.path))
                new = replay.cassette_path(directory, item.nodeid, file, session.config.rootpath)
                old = replay.legacy_cassette_path(directory, file.stem, item.name)
                moves.setdefault(old, []).append(new)

    args = [a for a in pytest_args if a != "--"]
    code = pytest.main(["--collect-only", "-q", "-p", "connect_email", "-p", "no:cacheprovider", *args], [Collector()])
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED):
        print(f"connect-email cassettes migrate: pytest could not collect the tests (exit {int(code)}); nothing moved")
        return 2
    said = replay.migrate(moves, dry_run=dry_run)
    for line in said:
        print(line)
    moved = sum(" -> " in line for line in said)
    print(f"{'would move' if dry_run else 'moved'} {moved} cassette(s)")
    return 0


def list_checks(operations: list[str], *, markdown: bool) -> int:
    """Print the shipped checks grouped by operation, in the order of the covered operations."""
    from pytest_connect_email.conformance import shipped_checks

    checks = shipped_checks(stateful=True)
    known = {c.operation for c in checks.values()}
    unknown = sorted(set(operations) - known)
    if unknown:
        print(f"connect-email checks: no checks for {', '.join(unknown)}; operations: {', '.join(sorted(known))}")
        return 2
    order = {op: i for i, op in enumerate(spec.OPERATIONS)}
    chosen = sorted(
        (c for c in checks.values() if not operations or c.operation in operations),
        key=lambda c: (order.get(c.operation, len(order)), c.id),
    )
    if markdown:
        print("| operation | check | title | source |\n|---|---|---|---|")
    for entry in chosen:
        if markdown:
            cells = [entry.operation, entry.id, entry.title, entry.source]
            print("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
        else:
            print(f"{entry.id:<14} {entry.operation:<34} {entry.title}\n{'':<15}source: {entry.source}")
    print(f"{len(chosen)} check(s) of {len({c.operation for c in chosen})} operation(s)")
    return 0


def conformance(pytest_args: list[str]) -> int:
    """Only the shipped suite is collected, in the user's project: the suite is named as a module
    (``--pyargs``), not a path, so pytest takes the rootdir and ini file from the directory the
    command runs in (and cassettes live under that rootdir)."""
    import pytest

    from pytest_connect_email.conformance import SUITE_MODULES
    from pytest_connect_email.pytest.settings import CONFORMANCE_COMMAND

    # This package is imported already (this command lives in it), so pytest cannot assertion-rewrite it;
    # the checks themselves are collected from their file and rewritten as usual.
    quiet = ["-W", "ignore::pytest.PytestAssertRewriteWarning"]
    # --stateful: the stateful differential check too (the plugin's --connect-stateful).
    pytest_args = ["--connect-stateful" if arg == "--stateful" else arg for arg in pytest_args]
    # Tests the user named (a node id of the suite, pasted): those alone, as `pytest -p connect_email ID` runs them.
    suite = [] if names_tests(pytest_args) else list(SUITE_MODULES)
    args = [*CONFORMANCE_COMMAND, *quiet, *pytest_args, *suite]
    return int(pytest.main(args))


def names_tests(pytest_args: Sequence[str]) -> bool:
    """Whether the arguments for pytest name tests of their own: a node id (``file.py::test``), a ``.py`` file,
    or a module or file of the shipped suite. Options, and the values of options (``-k ADDR-001``,
    ``--connect-cassette-dir DIR``), are not test selections; an argument after ``--`` always is."""
    from pytest_connect_email.conformance import SEQUENCES_MODULE, SUITE_MODULES, suite_file

    modules = {*SUITE_MODULES, SEQUENCES_MODULE}
    here = Path.cwd()
    after_dashes = False
    for arg in pytest_args:
        if arg == "--" and not after_dashes:
            after_dashes = True
            continue
        if arg.startswith("-") and not after_dashes:
            continue
        path = arg.split("::", 1)[0]
        if after_dashes or "::" in arg or path.endswith(".py") or path in modules or suite_file(arg, here):
            return True
    return False


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["conformance"] and not {"-h", "--help"} & set(argv[1:2]):
        return conformance(argv[1:])  # everything after the command belongs to pytest
    args = build_parser().parse_args(argv)
    if args.command == "schemas":
        if args.action == "diff":
            return schemas_diff(args.old, args.new, args.usage)
        if args.action == "generate":
            if args.dir is None and active.checkout_root() is None:
                print(
                    "connect-email schemas generate: --dir is required outside a checkout of pytest-connect-email "
                    "(it never writes into an installed package); the validator follows the installed botocore "
                    "without it",
                    file=sys.stderr,
                )
                return 2
            return schemas_generate(args.dir if args.dir is not None else active.snapshot_dir())
        return schemas_check(args.dir if args.dir is not None else active.snapshot_dir())
    if args.command == "emulator":
        return emulator_serve(args)
    if args.command == "conformance":
        return conformance(args.pytest_args)
    if args.command == "cassettes":
        if args.action == "migrate":
            return cassettes_migrate(args.pytest_args, dry_run=args.dry_run)
        return cassettes_lint(args.paths)
    if args.command == "checks":
        return list_checks(args.operation, markdown=args.markdown)
    if args.command == "report":
        from pytest_connect_email.conformance import merge

        return merge.run(args.reports, args.output, require_all_checks=args.require_all_checks)
    return 2  # pragma: no cover - argparse refuses unknown commands


if __name__ == "__main__":
    sys.exit(main())
