"""Time per 100 steps of the stateful differential check (STATEFUL-001), in-process and over HTTP.

Runs :func:`pytest_connect_email.stateful.machine.explore` directly (no pytest session) with the same
seed twice: the target is (a) an emulator attached in-process to its boto3 client, the baseline
measured in the same run, and (b) an emulator served on 127.0.0.1 and reached over loopback HTTP; the
reference is an in-process emulator both times. Each run is bounded by ``--examples`` sequences of at
most ``--steps`` steps; the server is started and stopped here. Figures are seconds per 100 compared
steps: wall time, and the time inside calls (target and reference together, as
``Outcome.stats.seconds`` counts it); the ratio is HTTP / in-process.

    python benchmarks/bench_stateful.py [--examples N] [--steps N] [--seed N]
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import boto3
from botocore.config import Config

from pytest_connect_email.emulator import Emulator
from pytest_connect_email.stateful.machine import Options, Outcome, explore

AWS_URL = "https://connect.us-east-1.amazonaws.com"


def client(url: str, retries: bool = True) -> Any:
    config = Config(parameter_validation=False, **({} if retries else {"retries": {"total_max_attempts": 1}}))
    return boto3.client(
        "connect",
        region_name="us-east-1",
        endpoint_url=url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=config,
    )


def in_process() -> Any:
    """A client whose calls a fresh emulator answers in-process (no socket)."""
    return Emulator.create().attach(client(AWS_URL))


def measured(target: Any, options: Options) -> tuple[Outcome, float]:
    start = time.perf_counter()
    outcome = explore(target, in_process(), options)
    wall = time.perf_counter() - start
    if outcome.divergence is not None or outcome.flaky:
        raise SystemExit(f"the emulator diverged from itself: {outcome.divergence or outcome.flaky}")
    if outcome.stats.steps == 0:
        raise SystemExit("no step was compared")
    return outcome, wall


def per_100(seconds: float, steps: int) -> float:
    return seconds * 100 / steps


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=30, help="sequences drawn per run (default 30)")
    parser.add_argument("--steps", type=int, default=30, help="steps per sequence at most (default 30)")
    parser.add_argument("--seed", type=int, default=1, help="seed of both runs (default 1)")
    args = parser.parse_args()
    options = Options(examples=args.examples, steps=args.steps, seed=args.seed)

    local, local_wall = measured(in_process(), options)
    with Emulator.create().serve() as server:
        remote, remote_wall = measured(client(server.url, retries=False), options)

    rows = [("in-process (baseline)", local, local_wall), ("HTTP on 127.0.0.1", remote, remote_wall)]
    print(f"explore: {args.examples} examples, at most {args.steps} steps each, seed {args.seed}")
    for name, outcome, wall in rows:
        stats = outcome.stats
        in_calls = per_100(stats.seconds, stats.steps)
        print(
            f"{name:22} {stats.sequences:4d} sequences {stats.steps:6d} steps  "
            f"per 100 steps: wall {per_100(wall, stats.steps):6.3f} s, in calls {in_calls:6.3f} s"
        )
    ratio_wall = per_100(remote_wall, remote.stats.steps) / per_100(local_wall, local.stats.steps)
    ratio_calls = per_100(remote.stats.seconds, remote.stats.steps) / per_100(local.stats.seconds, local.stats.steps)
    print(f"ratio HTTP / in-process per 100 steps: wall {ratio_wall:.2f}x, in calls {ratio_calls:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
