"""The first validation in a fresh process, per way of getting the active contracts, against botocore's
own first ``ParamValidator`` call (model load included) measured in the same run.

Each figure is the median over ``--runs`` fresh interpreters of the time the first call takes (the
imports before it are timed apart). The cases:

- snapshot: the installed botocore is the snapshot's, so the committed files serve;
- cache, miss / hit: the installed botocore differs from the snapshot (simulated: the child is told
  the snapshot is of another release); the first process generates every contract into the user cache
  (a temporary one here), the next ones read one file;
- in memory: a model given as a directory (``$CONNECT_EMAIL_MODEL``): the model is loaded and the one
  operation generated on first use;
- botocore: ``ParamValidator().validate`` after ``load_service_model`` (botocore's own first use).

Also printed: loading the ``connect`` model, and generating one operation from a loaded model
(target: <= 100 ms). The warm figure (target: <= 0.5x botocore's ParamValidator) is
``benchmarks/bench_validate.py``'s.

    python benchmarks/bench_first_use.py [--runs N]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REQUEST = Path(__file__).resolve().parent.parent / "tests" / "data" / "start_email_contact_rich.json"

CHILD = r"""
import json, sys, time
t0 = time.perf_counter()
case = sys.argv[1]
params = json.loads(open(sys.argv[2], encoding="utf-8").read())
if case == "botocore":
    from botocore.loaders import create_loader
    from botocore.model import ServiceModel
    from botocore.validate import ParamValidator
    t1 = time.perf_counter()
    model = ServiceModel(create_loader().load_service_model("connect", "service-2"), service_name="connect")
    report = ParamValidator().validate(params, model.operation_model("StartEmailContact").input_shape)
    assert not report.has_errors(), report.generate_report()
elif case == "parts":
    from pytest_connect_email.contracts import schemagen, spec
    t1 = time.perf_counter()
    model = spec.installed_model()
    t2 = time.perf_counter()
    schemagen.operation_schemas(model.operation_model("StartEmailContact"), model.version)
    t3 = time.perf_counter()
    print(json.dumps({"model": t2 - t1, "generate": t3 - t2}))
    sys.exit(0)
else:
    from pytest_connect_email.contracts import active, validator as contracts
    if case == "cache":
        active.snapshot_version = lambda: "0.0.0"  # the installed botocore is not the snapshot's
    t1 = time.perf_counter()
    contracts.validate_request("StartEmailContact", params)
    expected = {"cache": "cache", "snapshot": "snapshot", "memory": "memory"}[case]
    assert active.contracts().kind == expected, active.contracts().kind
t2 = time.perf_counter()
print(json.dumps({"imports": t1 - t0, "first": t2 - t1}))
"""


def child(case: str, env: dict[str, str]) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, case, str(REQUEST)], env=env, capture_output=True, text=True, check=True
    )
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="fresh processes per case (default 7)")
    args = parser.parse_args()

    import botocore

    connect = Path(botocore.__file__).parent / "data" / "connect"
    base = dict(os.environ)
    base.pop("CONNECT_EMAIL_MODEL", None)
    base.pop("CONNECT_EMAIL_SCHEMA_DIR", None)
    results: dict[str, list[dict[str, float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        cache_env = dict(base, XDG_CACHE_HOME=str(Path(tmp) / "cache"))
        models = Path(tmp) / "models"  # a bare data directory: a model of no known release
        shutil.copytree(connect, models / "connect")
        memory_env = dict(base, CONNECT_EMAIL_MODEL=str(models), XDG_CACHE_HOME=str(Path(tmp) / "cache"))
        for _ in range(args.runs):  # interleaved, so that machine noise hits every case alike
            results.setdefault("botocore", []).append(child("botocore", base))
            results.setdefault("snapshot", []).append(child("snapshot", base))
            shutil.rmtree(Path(tmp) / "cache", ignore_errors=True)  # a cold cache every run
            results.setdefault("cache miss", []).append(child("cache", cache_env))
            results.setdefault("cache hit", []).append(child("cache", cache_env))
            results.setdefault("in memory", []).append(child("memory", memory_env))
            results.setdefault("parts", []).append(child("parts", base))

    def median(case: str, key: str) -> float:
        return statistics.median(r[key] for r in results[case]) * 1000

    baseline = median("botocore", "first")
    print(f"first StartEmailContact validation in a fresh process, median of {args.runs} processes")
    print(f"botocore load_service_model + ParamValidator (baseline): {baseline:7.1f} ms")
    for case, note in (
        ("snapshot", "installed botocore is the snapshot's: committed files"),
        ("cache hit", "installed botocore differs: one cached file"),
        ("cache miss", "installed botocore differs: model load + all operations generated and cached"),
        ("in memory", "a model directory: model load + one operation generated"),
    ):
        first = median(case, "first")
        print(
            f"{case:<10} {first:7.1f} ms = {first / baseline:5.2f}x   "
            f"({note}; imports {median(case, 'imports'):.0f} ms)"
        )
    model, generate = median("parts", "model"), median("parts", "generate")
    print(
        f"parts: loading the connect model {model:.1f} ms; generating one operation {generate:.2f} ms "
        f"(target <= 100 ms) -> {'OK' if generate <= 100 else 'OVER TARGET'}"
    )
    hit, memory = median("cache hit", "first"), median("in memory", "first")
    faster = "the cache" if hit < memory else "in memory"
    print(
        f"cache hit vs in memory: {hit:.1f} ms vs {memory:.1f} ms -> {faster} is faster "
        f"({max(hit, memory) / min(hit, memory):.1f}x)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
