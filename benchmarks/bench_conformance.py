"""Wall time of the whole shipped conformance suite against the in-process emulator.

Target (issue "plugin and conformance suite"): under 10 s on a 2-core machine. The baseline measured
in the same run is an empty pytest session with the plugin loaded (interpreter start, plugin and
option loading), so the ratio shows what the checks themselves add. Each figure is the median of
``--runs`` runs; every run is a subprocess bounded by ``--timeout`` seconds.

    python benchmarks/bench_conformance.py [--runs N]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_SECONDS = 10.0


def timed(args: list[str], cwd: Path, timeout: float) -> float:
    start = time.perf_counter()
    done = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 5):  # 5: the empty session collects no test
        raise SystemExit(f"{' '.join(args)} failed ({done.returncode}):\n{done.stdout[-2000:]}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per measurement (default 3)")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds allowed per run (default 120)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        cwd = Path(folder)
        empty = [sys.executable, "-m", "pytest", "-p", "connect_email", "-q", "-p", "no:cacheprovider"]
        suite = [sys.executable, "-m", "pytest_connect_email.cli", "conformance", "-q", "-p", "no:cacheprovider"]
        baseline = statistics.median(timed(empty, cwd, args.timeout) for _ in range(args.runs))
        whole = statistics.median(timed(suite, cwd, args.timeout) for _ in range(args.runs))
    print(f"empty pytest session with the plugin (baseline): {baseline:6.2f} s")
    print(f"whole conformance suite, in-process emulator:    {whole:6.2f} s")
    print(f"ratio suite / empty session: {whole / baseline:.2f}x; the checks themselves: {whole - baseline:.2f} s")
    verdict = "OK" if whole < TARGET_SECONDS else "OVER TARGET"
    print(f"target: under {TARGET_SECONDS:.0f} s -> {verdict} ({whole / TARGET_SECONDS:.2f} of the budget)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
