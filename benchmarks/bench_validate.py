"""Microseconds per full validation of a rich StartEmailContact request: ours against botocore's.

Both validators check the same request (every optional member set, non-ASCII text) in the same
process, alternating in rounds so that machine noise hits both alike. Ours checks far more: maximum
lengths, patterns (with Unicode property escapes), item and map counts and the doc rules, where
botocore's ParamValidator checks types, required members and minimums.

Targets: ours costs no more than 2x botocore's ParamValidator (issue "Foundation"), and no more than 0.5x
(issue 11: contracts that follow the installed botocore). The first use in a fresh process is
benchmarks/bench_first_use.py's.

    python benchmarks/bench_validate.py [--rounds N] [--seconds S]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from botocore.validate import ParamValidator

from pytest_connect_email.contracts import spec, validator

REQUEST = Path(__file__).resolve().parent.parent / "tests" / "data" / "start_email_contact_rich.json"


def per_call_us(func: Callable[[], Any], calls: int) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        func()
    return (time.perf_counter() - start) / calls * 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15, help="measurement rounds (default 15)")
    parser.add_argument("--calls", type=int, default=500, help="validations per round and validator (default 500)")
    parser.add_argument("--seconds", type=float, default=20.0, help="stop after this long in any case (default 20)")
    args = parser.parse_args()

    params = json.loads(REQUEST.read_text(encoding="utf-8"))
    shape = spec.operation_model("StartEmailContact").input_shape
    botocore_validator = ParamValidator()

    def ours() -> None:
        validator.validate_request("StartEmailContact", params)

    def botocore() -> None:
        report = botocore_validator.validate(params, shape)
        if report.has_errors():
            raise AssertionError(report.generate_report())

    for func in (ours, botocore):  # warm up: compile validators, fill caches
        per_call_us(func, 50)

    ours_us: list[float] = []
    botocore_us: list[float] = []
    deadline = time.monotonic() + args.seconds
    for _ in range(args.rounds):
        if time.monotonic() > deadline:
            break
        ours_us.append(per_call_us(ours, args.calls))
        botocore_us.append(per_call_us(botocore, args.calls))

    ours_median = statistics.median(ours_us)
    botocore_median = statistics.median(botocore_us)
    ratio = ours_median / botocore_median
    print(f"rich StartEmailContact request, {len(ours_us)} rounds x {args.calls} validations each")
    print(f"botocore ParamValidator (baseline): {botocore_median:8.1f} us per validation")
    print(f"pytest-connect-email contracts:     {ours_median:8.1f} us per validation")
    for target in (2.0, 0.5):
        print(
            f"ratio ours / botocore: {ratio:.2f}x (target: <= {target:.2f}x) -> {'OK' if ratio <= target else 'OVER'}"
        )

    # For information: a failing request is walked again by the explaining engine.
    broken = dict(params, DestinationEmailAddress="no-at-sign")

    def ours_failing() -> None:
        if not validator.request_violations("StartEmailContact", broken):
            raise AssertionError("the broken request passed")

    failing = statistics.median(per_call_us(ours_failing, max(args.calls // 10, 1)) for _ in range(3))
    print(f"(for information) an invalid request, fully explained: {failing:.1f} us = {failing / botocore_median:.1f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
