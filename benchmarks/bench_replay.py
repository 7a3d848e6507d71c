"""Cost per replayed request for cassettes of 10, 100, 1,000 and 5,000 interactions.

Cassettes are written in this run with the project's own persister (every interaction a distinct
DescribeEmailAddress request), loaded, and each recorded request is replayed once through the
cassette's lookup (``can_play_response_for`` then ``play_response``, as vcrpy's stubs do). The same
is measured with vcrpy's stock ``Cassette``, whose linear scan is the baseline. Small cassettes are
replayed in several passes (rewound in between) so that every figure rests on at least 5,000 plays.
Every loop is bounded by that count and a time budget per measurement.

Target (issue "Cassettes"): per-request cost flat, within 1.5x from 10 to 5,000 interactions.

    python benchmarks/bench_replay.py [--seconds S]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from vcr import VCR
from vcr.cassette import Cassette
from vcr.request import Request

from pytest_connect_email.cassettes import replay

SIZES = (10, 100, 1000, 5000)
INSTANCE = "0c5b5f8e-6a8e-4f7c-9d5e-2f4a1b3c4d5e"


def interaction(index: int) -> tuple[Request, dict[str, Any]]:
    address_id = f"00000000-0000-4000-8000-{index:012d}"
    uri = f"http://connect.test/email-addresses/{INSTANCE}/{address_id}"
    body = {"EmailAddressId": address_id, "EmailAddress": f"user-{index:012x}@example.com"}
    response = {
        "status": {"code": 200, "message": "OK"},
        "headers": {"Content-Type": ["application/json"]},
        "body": {"string": json.dumps(body).encode()},
    }
    return Request("GET", uri, b"", {}), response


def write(path: Path, size: int) -> list[Request]:
    pairs = [interaction(i) for i in range(size)]
    recorder = VCR()
    recorder.register_persister(replay.AtomicPersister)
    data = {"requests": [r for r, _ in pairs], "responses": [s for _, s in pairs]}
    replay.AtomicPersister.save_cassette(path, data, recorder._get_serializer("yaml"))
    return [r for r, _ in pairs]


def load(cls: type[Cassette], path: Path) -> Cassette:
    recorder = VCR(record_mode="none", match_on=["connect"])
    recorder.register_matcher("connect", replay.rest_json_matcher)
    recorder.register_persister(replay.AtomicPersister)
    config = recorder.get_merged_config(path=str(path))
    for key in ("path_transformer", "func_path_generator", "record_on_exception"):
        config.pop(key, None)
    return cls.load(**config)


PLAYS = 5000  # replays per measurement, at least: small cassettes are replayed in several passes


def per_request_us(cassette: Cassette, requests: list[Request], seconds: float) -> float:
    played = 0
    elapsed = 0.0
    deadline = time.perf_counter() + seconds
    while played < PLAYS and time.perf_counter() < deadline:
        cassette.rewind()  # every interaction playable again; not timed
        start = time.perf_counter()
        for request in requests:
            if not cassette.can_play_response_for(request):
                raise AssertionError(f"no recorded answer for {request.uri}")
            cassette.play_response(request)
            played += 1
            if time.perf_counter() > deadline:
                break
        elapsed += time.perf_counter() - start
    return elapsed / played * 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="time budget per measurement (default 20)")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for size in SIZES:
            path = Path(folder) / f"c{size}.yaml"
            requests = write(path, size)
            start = time.perf_counter()
            ours = load(replay.IndexedCassette, path)
            load_seconds = time.perf_counter() - start
            indexed = per_request_us(ours, requests, args.seconds)
            stock = per_request_us(load(Cassette, path), requests, args.seconds)
            rows.append((size, indexed, stock, load_seconds))
    base_indexed, base_stock = rows[0][1], rows[0][2]
    print(f"{'interactions':>12} {'indexed us/req':>15} {'x vs 10':>8} {'vcrpy us/req':>13} {'x vs 10':>8}")
    for size, indexed, stock, _ in rows:
        print(f"{size:>12} {indexed:>15.1f} {indexed / base_indexed:>8.2f} {stock:>13.1f} {stock / base_stock:>8.2f}")
    largest = rows[-1]
    print(f"load time of the {largest[0]}-interaction cassette: {largest[3]:.2f} s")
    ratio = largest[1] / base_indexed
    verdict = "OK" if ratio <= 1.5 else "OVER TARGET"
    print(f"per-request cost 10 -> {largest[0]}: {ratio:.2f}x (target <= 1.5x) -> {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
