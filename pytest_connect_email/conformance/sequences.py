"""STATEFUL-001, the stateful differential check (``--connect-stateful``; ``connect-email conformance
--stateful``).

Random call sequences over the covered operations (:mod:`pytest_connect_email.stateful`) are made on the
run's target and on a fresh in-process reference emulator in lockstep; the first answer that differs
(after normalising what legitimately differs) fails the check, shrunk to the shortest sequence that
still diverges. The failure gives that sequence as a boto3 script and as AWS CLI commands, the two
answers, and the command that replays exactly that sequence; the files are kept under the project's
cache directory (``.pytest_cache/d/connect-email-stateful``), with Hypothesis's database of failing
examples. A baseline file excuses divergence kinds (operation and field) with a reason and an expiry.

Cassettes cannot answer new calls, so the check refuses record and replay modes (the plugin says so
before the run starts).
"""

from __future__ import annotations

import random
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pytest_connect_email.conformance import check
from pytest_connect_email.conformance.support import STATEFUL, guard_account

SOURCE = (
    "The reference emulator's documented behaviour (each decision written, with its source, in "
    "pytest_connect_email/emulator/backend.py and held by the fixed checks): any sequence of calls is "
    "answered as the reference answers it, up to generated ids, timestamps, request ids, tokens and the "
    "account and region in ARNs."
)


def _reference(region: str) -> tuple[Any, Any]:
    """A boto3 client of a fresh in-process reference emulator (and the emulator, to close)."""
    import boto3
    from botocore.config import Config as BotoConfig

    from pytest_connect_email.emulator import Config, Emulator
    from pytest_connect_email.routing import intercept

    emulator = Emulator.create(config=Config(region=region))
    client = boto3.client(
        "connect",
        region_name=region,
        endpoint_url=f"https://connect.{region}.amazonaws.com",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=BotoConfig(parameter_validation=False, retries={"total_max_attempts": 1}),
    )
    intercept.exempt(client)  # the session's interception routes to the target; this one is the reference
    emulator.attach(client)
    return client, emulator


def _folder(config: pytest.Config) -> Path:
    cache = getattr(config, "cache", None)
    if cache is not None:
        return Path(cache.mkdir("connect-email-stateful"))
    return Path(tempfile.mkdtemp(prefix="connect-email-stateful-"))  # -p no:cacheprovider


def _target_options(settings: Any) -> str:
    parts = []
    if settings.mode != "emulator":
        parts.append(f"--connect-mode {settings.mode}")
    if settings.endpoint_url:
        parts.append(f"--connect-endpoint-url {settings.endpoint_url}")
    if settings.region != "us-east-1":
        parts.append(f"--connect-region {settings.region}")
    return " ".join(parts)


@check("STATEFUL-001", STATEFUL, SOURCE)
def test_call_sequences_answer_as_the_reference(
    connect_client_factory: Callable[..., Any], connect_settings: Any, request: pytest.FixtureRequest
) -> None:
    """Random call sequences over the covered operations are answered as the reference emulator answers them."""
    from pytest_connect_email.conformance import report
    from pytest_connect_email.stateful import Excuses, Options, Stats, explore, load_sequence, replay

    settings = connect_settings
    if settings.mode == "live":  # the sequences create instances: only in allowed accounts (loopback needs none)
        guard_account(settings, "create instances for the stateful check")
    run = request.config.stash[report.RUN]
    excuses = Excuses({kind: entry["reason"] for kind, entry in run.divergences.items() if report.active(entry)})
    target = connect_client_factory(validate_requests=False)
    reference, emulator = _reference(settings.region)
    folder = _folder(request.config)
    seed = settings.stateful_seed if settings.stateful_seed is not None else random.randrange(2**32)
    started = time.perf_counter()
    try:
        if settings.stateful_replay is not None:
            steps = load_sequence(settings.stateful_replay)  # read once already: the plugin refuses a broken one
            stats = Stats(sequences=1)
            divergence = replay(target, reference, steps, excuses, stats)
            flaky = ""
        else:
            options = Options(
                examples=settings.stateful_examples,
                steps=settings.stateful_steps,
                seed=seed,
                shrink_seconds=settings.stateful_shrink_seconds,
                database=str(folder / "hypothesis"),
                email_domain=settings.email_domain,
                excuses=excuses,
            )
            outcome = explore(target, reference, options)
            stats, divergence, flaky = outcome.stats, outcome.divergence, outcome.flaky
    finally:
        emulator.backend.store.close()
    elapsed = time.perf_counter() - started
    summary: dict[str, Any] = {
        "steps": stats.steps,
        "sequences": stats.sequences,
        "seconds": round(elapsed, 2),
        "seconds_per_100_steps": round(100 * elapsed / stats.steps, 3) if stats.steps else None,
        "call_seconds_per_100_steps": round(100 * stats.seconds / stats.steps, 3) if stats.steps else None,
        "seed": None if settings.stateful_replay else seed,
        "replayed": str(settings.stateful_replay) if settings.stateful_replay else "",
        "missing": sorted(stats.missing),
        "excused": [[op, kind, n] for (op, kind), n in sorted(excuses.used.items())],
        "kinds": [list(kind) for kind in divergence.kinds] if divergence is not None else [],
    }
    request.node.user_properties.append((report.STATEFUL_PROPERTY, summary))
    if flaky:
        pytest.fail(
            f"the target answered the same sequence differently on two runs (seed {seed}), so no divergence can be "
            f"shrunk: {flaky}. Run again with --connect-stateful-seed {seed} to retry.",
            pytrace=False,
        )
    if divergence is not None:
        pytest.fail(_report(divergence, settings, folder, seed, stats), pytrace=False)
    if settings.stateful_replay is not None:
        return
    if stats.steps == 0:
        gaps = "; ".join(f"{op}: {why}" for op, why in sorted(stats.missing.items()))
        pytest.fail(f"no step could be compared: the target implements none of them ({gaps})", pytrace=False)


def _report(divergence: Any, settings: Any, folder: Path, seed: int, stats: Any) -> str:
    import json

    from pytest_connect_email.stateful import boto3_script, cli_commands, dump_sequence

    replayed = settings.stateful_replay
    if replayed is not None:  # the files of that sequence exist already, beside it
        sequence_path = Path(replayed)
        script_path, cli_path = sequence_path.with_suffix(".py"), sequence_path.with_suffix(".sh")
    else:
        base = folder / f"divergence-{time.strftime('%Y%m%d-%H%M%S')}-{seed}"
        script_path, cli_path, sequence_path = (base.with_suffix(s) for s in (".py", ".sh", ".json"))
    script = boto3_script(divergence, region=settings.region, name=script_path.name)
    commands = cli_commands(divergence, region=settings.region, endpoint_url=settings.endpoint_url)
    if replayed is None:
        script_path.write_text(script, encoding="utf-8")
        cli_path.write_text(commands, encoding="utf-8")
        sequence_path.write_text(dump_sequence(divergence, seed=seed, region=settings.region), encoding="utf-8")
    how = (
        f"replayed from {replayed}"
        if replayed is not None
        else f"shrunk from {stats.steps} steps in {stats.sequences} sequences, seed {seed}"
    )
    last = divergence.steps[-1]
    target_options = _target_options(settings)
    replay = f"connect-email conformance --stateful -k STATEFUL-001 --connect-stateful-replay {sequence_path}"
    replay += f" {target_options}" if target_options else ""
    kinds = ", ".join(kind or "(answer)" for _, kind in divergence.kinds) or "an invariant"
    excuse = [
        {"operation": op, "field": kind, "reason": "...", "expires": "2027-01-31"} for op, kind in divergence.kinds
    ]
    lines = [
        f"STATEFUL-001: the target answers {last.operation} differently from the reference emulator after "
        f"{len(divergence.steps) - 1} call(s) ({how}): {kinds}",
        *([f"invariant: {divergence.note}"] if divergence.note else []),
        "",
        "target:    " + json.dumps(divergence.target, ensure_ascii=False, default=str),
        "reference: " + json.dumps(divergence.reference, ensure_ascii=False, default=str),
        *(
            f"  at {d.path or '(outcome)'}: target {d.target!r}, reference {d.reference!r}"
            for d in divergence.differences
        ),
        "",
        f"The shortest sequence as a boto3 script ({script_path}; run it with AWS_ENDPOINT_URL_CONNECT=<target>):",
        "",
        script,
        f"The same as AWS CLI commands ({cli_path}):",
        "",
        commands,
        "Replay exactly this sequence against the target:",
        f"  {replay}",
        "",
        "A known difference? Excuse its kind in the baseline file (--connect-baseline): "
        + json.dumps({"divergences": excuse}),
    ]
    return "\n".join(lines)
