"""Answer and wall time of every hostile-input case of issues 14 and 19, against the code as it is now.

The test suite (tests/hostile/) asserts the answers with generous time bounds; this script measures
the real figures (target: every case answered within 1 s, memory within a small multiple of the
input). Everything runs on loopback; servers and connections are closed before it exits.

    python benchmarks/bench_hostile.py
"""

from __future__ import annotations

import contextlib
import datetime as dt
import decimal
import functools
import json
import resource
import socket
import sqlite3
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from vcr.serializers import yamlserializer

from pytest_connect_email import limits
from pytest_connect_email.cassettes import lint, replay, scrub
from pytest_connect_email.contracts import rules, validator
from pytest_connect_email.emulator import Config, Emulator, RunningServer
from pytest_connect_email.emulator.codec import HttpRequest

ROWS: list[tuple[str, str, float]] = []


def case(name: str, func: Callable[[], str]) -> None:
    start = time.perf_counter()
    try:
        answer = func()
    except Exception as exc:  # a measurement script: show what escaped
        answer = f"raised {type(exc).__name__}: {str(exc)[:120]}"
    elapsed = time.perf_counter() - start
    ROWS.append((name, answer, elapsed))
    print(f"{elapsed:8.3f} s  {name}: {answer}", flush=True)


def value_map(levels: int, leaf: dict[str, Any] | None = None) -> dict[str, Any]:
    node: dict[str, Any] = leaf or {"ValueString": "x"}
    for _ in range(levels):
        node = {"ValueMap": {"k": node}}
    return node


def http(server: RunningServer, raw: bytes, timeout: float = 30.0) -> bytes:
    with socket.create_connection((server.host, server.port), timeout=timeout) as sock:
        with contextlib.suppress(OSError):
            sock.sendall(raw)
            sock.shutdown(socket.SHUT_WR)
        chunks = []
        with contextlib.suppress(TimeoutError):
            while chunk := sock.recv(1 << 16):
                chunks.append(chunk)
    return b"".join(chunks)


def request(server: RunningServer, method: str, path: str, body: bytes | str = b"") -> bytes:
    data = body.encode("utf-8", "surrogatepass") if isinstance(body, str) else body
    head = f"{method} {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {len(data)}\r\nConnection: close\r\n\r\n"
    return http(server, head.encode() + data)


def summary(answer: bytes) -> str:
    head, _, body = answer.partition(b"\r\n\r\n")
    status = head.split(b"\r\n", 1)[0].decode(errors="replace")
    try:
        document = json.loads(body)
        detail = f"{document.get('__type', '')}: {str(document.get('Message', ''))[:110]}"
    except ValueError:
        detail = body[:80].decode(errors="replace")
    return f"{status.split(' ', 1)[-1]} {detail} ({len(answer)} bytes)"


def violation(func: Callable[[], Any]) -> str:
    try:
        func()
    except validator.ContractViolation as exc:
        return f"ContractViolation {','.join(exc.rules[:3])} ({len(exc.violations)} violations, {len(str(exc))} chars)"
    return "accepted"


START = {
    "FromEmailAddress": {"EmailAddress": "customer@example.com"},
    "DestinationEmailAddress": "support@example.com",
    "EmailMessage": {
        "MessageSourceType": "RAW",
        "RawMessage": {"Subject": "s", "Body": "b", "ContentType": "text/plain"},
    },
}


@contextlib.contextmanager
def served(**config: Any) -> Iterator[RunningServer]:
    emulator = Emulator.create(config=Config(**config), auth_enabled=False)
    try:
        with emulator.serve() as running:
            yield running
    finally:
        emulator.backend.store.close()


def signed_emulator_cases() -> None:
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    def signed(age: dt.timedelta, region: str = "us-east-1") -> HttpRequest:
        stamp = (dt.datetime.now(dt.timezone.utc) - age).strftime("%Y%m%dT%H%M%SZ")
        aws = AWSRequest(
            method="GET", url="http://localhost/instance", headers={"X-Amz-Date": stamp, "host": "localhost"}
        )
        aws.context["timestamp"] = stamp
        signer = SigV4Auth(Credentials("testing", "testing"), "connect", region)
        signature = signer.signature(signer.string_to_sign(aws, signer.canonical_request(aws)), aws)
        aws.headers["Authorization"] = (
            f"AWS4-HMAC-SHA256 Credential=testing/{stamp[:8]}/{region}/connect/aws4_request, "
            f"SignedHeaders=host;x-amz-date, Signature={signature}"
        )
        return HttpRequest("GET", "/instance", headers=dict(aws.headers.items()), host="localhost")

    def answer(emulator: Emulator, req: HttpRequest) -> str:
        response = emulator.handle(req)
        document = json.loads(response.body)
        return f"{response.status} {document.get('__type', 'ok')}: {str(document.get('Message', ''))[:100]}"

    strict, relaxed = Emulator.create(), Emulator.create(config=Config(max_clock_skew=None))
    case("signed 5 years ago", lambda: answer(strict, signed(dt.timedelta(days=5 * 365))))
    case("replayed 400 days later", lambda: answer(strict, signed(dt.timedelta(days=400))))
    case("scope region eu-west-2 (emulator us-east-1)", lambda: answer(strict, signed(dt.timedelta(0), "eu-west-2")))
    case("400 days old, --max-clock-skew off", lambda: answer(relaxed, signed(dt.timedelta(days=400))))


def main() -> None:
    with served() as server:
        create = json.dumps(
            {"IdentityManagementType": "CONNECT_MANAGED", "InboundCallsEnabled": True, "OutboundCallsEnabled": True}
        )
        instance = json.loads(request(server, "PUT", "/instance", create).partition(b"\r\n\r\n")[2])["Id"]
        request(server, "PUT", f"/email-addresses/{instance}", json.dumps({"EmailAddress": "support@example.com"}))
        start = {"InstanceId": instance, **START}

        big = "{" + ",".join(f'"m{i:06d}":1' for i in range(600_000)) + "}"
        payload = b"PUT /instance HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s" % (
            len(big),
            big.encode(),
        )
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        case(
            f"{len(big) / 1e6:.1f} MB body, 600,000 unknown members",
            lambda: summary(http(server, payload)),
        )
        grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
        ROWS.append(("  peak RSS growth for it (incl. the client's copy)", f"{grown:.0f} MB", 0.0))
        print(f"           peak RSS growth: {grown:.0f} MB")

        seg = json.dumps({**start, "SegmentAttributes": {"k": value_map(243)}})
        case(
            "StartEmailContact, SegmentAttributes 243 ValueMap levels",
            lambda: summary(request(server, "PUT", "/contact/email", seg)),
        )
        ok = json.dumps({**start, "SegmentAttributes": {"k": value_map(25)}})
        contact = json.loads(request(server, "PUT", "/contact/email", ok).partition(b"\r\n\r\n")[2])["ContactId"]
        case(
            "DescribeContact of a 25-level contact",
            lambda: summary(request(server, "GET", f"/contacts/{instance}/{contact}")),
        )
        case("JSON nested 977 levels", lambda: summary(request(server, "PUT", "/instance", "[" * 977 + "]" * 977)))
        case(
            "integer literal of 4,301 digits",
            lambda: summary(request(server, "PUT", "/instance", '{"InstanceAlias":' + "9" * 4301 + "}")),
        )
        surrogate = json.dumps({**start, "Name": "\ud800"})
        case(
            "lone surrogate \\ud800 in a stored string",
            lambda: summary(request(server, "PUT", "/contact/email", surrogate)),
        )
        criteria: dict[str, Any] = {
            "StringCondition": {"FieldName": "EmailAddress", "Value": "x", "ComparisonType": "EXACT"}
        }
        for _ in range(327):
            criteria = {"OrConditions": [criteria]}
        search = json.dumps({"InstanceId": instance, "SearchCriteria": criteria})
        case(
            "SearchCriteria nested 327 levels",
            lambda: summary(request(server, "POST", "/search-email-addresses", search)),
        )
        invalid = json.dumps({**start, "SegmentAttributes": {"k": value_map(121, {"ValueInteger": "x"})}})
        case(
            "invalid value under 121 ValueMap levels",
            lambda: summary(request(server, "PUT", "/contact/email", invalid)),
        )
        alias = json.dumps(json.loads(create) | {"InstanceAlias": "a" * 20_000})
        case("InstanceAlias of 20,000 characters", lambda: summary(request(server, "PUT", "/instance", alias)))
        address = json.dumps({"EmailAddress": "a" * 15_000 + "@" + "b" * 15_000})
        case(
            "address of 2 x 15,000 characters",
            lambda: summary(request(server, "PUT", f"/email-addresses/{instance}", address)),
        )

        def four() -> str:
            answers: list[str] = []
            threads = [
                threading.Thread(target=lambda: answers.append(summary(request(server, "PUT", "/instance", alias))[:3]))
                for _ in range(4)
            ]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            return f"{answers}"

        case("4 concurrent 20,000-character aliases (wall)", four)
        million = (
            json.dumps(start)[:-1] + ',"AdditionalRecipients":{"ToAddresses":[' + ",".join(["{}"] * 1_000_000) + "]}}"
        )
        case("HTTP: a list of 10^6 items", lambda: summary(request(server, "PUT", "/contact/email", million)))
        chunk = create.encode()
        chunked = b"%x\r\n%s\r\n0\r\n\r\n" % (len(chunk), chunk)
        case(
            "chunked request body",
            lambda: summary(
                http(
                    server,
                    b"PUT /instance HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                    + chunked,
                )
            ),
        )
        case(
            "body member InstanceId vs URI label",
            lambda: summary(request(server, "GET", f"/instance/{instance}", '{"InstanceId":"other"}')),
        )
        dup = b"PUT /instance HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\nContent-Length: 3\r\n" % len(chunk)
        dup += b"Connection: close\r\n\r\n" + chunk
        case("conflicting duplicate Content-Length", lambda: summary(http(server, dup)))
        case("lower-case method 'get'", lambda: summary(request(server, "get", f"/instance/{instance}")))

        def half_sent() -> str:
            with socket.create_connection((server.host, server.port), timeout=30) as sock:
                sock.sendall(b"PUT /instance HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
                return f"closed by the server ({sock.recv(10)!r})"

        case("half-sent request (read timeout)", half_sent)

        def slow_thousand() -> str:
            base = threading.active_count()
            socks = [socket.create_connection((server.host, server.port), timeout=30) for _ in range(1000)]
            try:
                time.sleep(0.5)
                peak = threading.active_count() - base
                during = summary(request(server, "GET", "/instance"))[:30]
            finally:
                for sock in socks:
                    sock.close()
            time.sleep(0.5)
            after = summary(request(server, "GET", "/instance"))[:30]
            return f"{peak} server threads for 1,000 idle connections; a call meanwhile: {during}; after: {after}"

        case("1,000 idle connections", slow_thousand)

    with tempfile.TemporaryDirectory() as folder:
        state = Path(folder) / "state.sqlite"
        emulator = Emulator.create(state=str(state), auth_enabled=False)
        other = sqlite3.connect(state, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")

        def locked() -> str:
            response = emulator.handle(HttpRequest("PUT", "/instance", body=create.encode()), signed=False)
            return f"{response.status} {json.loads(response.body)['__type']}"

        case("state file write-locked by another process", locked)
        other.execute("ROLLBACK")
        other.close()
        emulator.backend.store.close()

        deep_yaml = Path(folder) / "deep.yaml"
        deep_yaml.write_text("[" * 100_000 + "]" * 100_000)
        case("replay: 200 KB deep flow-sequence cassette", lambda: _load(deep_yaml))
        for name, text in (
            ("alias bomb, 9 levels", _bomb(9)),
            ("alias bomb, 11 levels", _bomb(11)),
            ("deep YAML", "[" * 100_000 + "]" * 100_000),
            ("python-object tag", "interactions: !!python/object/apply:os.system ['true']\n"),
        ):
            path = Path(folder) / "case.yaml"
            path.write_text(text)
            case(f"lint: {name} ({len(text)} bytes)", functools.partial(_lint, path))
        garbage = Path(folder) / "garbage.yaml"
        garbage.write_bytes(bytes(range(256)) * 4096)
        case("lint: 1 MB binary garbage", lambda: "; ".join(str(f)[:140] for f in lint.lint(garbage)))
        case("replay: 1 MB binary garbage", lambda: _load(garbage))

    case("scrubber/lint address regex on 100 KB", lambda: f"{len(scrub.EMAIL.findall('a' * 100_000))} matches")
    deep = {"InstanceId": "i", **START, "SegmentAttributes": {"k": value_map(20_000)}}
    case(
        "validate_request: SegmentAttributes 20,000 levels",
        lambda: violation(lambda: validator.validate_request("StartEmailContact", deep)),
    )
    many = {
        "InstanceId": "i",
        **START,
        "AdditionalRecipients": {"ToAddresses": [{"EmailAddress": "a@example.com"}] * 1_000_000},
    }
    case(
        "validate_request: a list of 10^6 items",
        lambda: violation(lambda: validator.validate_request("StartEmailContact", many)),
    )
    case(
        "validate_request: tuple map key",
        lambda: violation(
            lambda: validator.validate_request(
                "StartEmailContact", {"InstanceId": "i", **START, "Attributes": {("a",): "x"}}
            )
        ),
    )
    case(
        "validate_request: int map key",
        lambda: violation(
            lambda: validator.validate_request(
                "StartEmailContact", {"InstanceId": "i", **START, "Attributes": {1: "x"}}
            )
        ),
    )
    cyclic: dict[str, Any] = {"InstanceId": "i", **START}
    cyclic["Attributes"] = cyclic
    case(
        "validate_request: cyclic structure",
        lambda: violation(lambda: validator.validate_request("StartEmailContact", cyclic)),
    )
    case(
        "validate_error(headers=None)",
        lambda: validator.validate_error(
            "DeleteInstance", 404, None, b'{"__type":"ResourceNotFoundException","Message":"x"}'
        ),
    )
    for label, body in (
        ("invalid UTF-8", b"\xff{}"),
        ("5,000 digits", b'{"ContactId":' + b"1" * 5000 + b"}"),
        ("5,000 levels", b"[" * 5000 + b"]" * 5000),
    ):
        check = functools.partial(validator.validate_response, "StartEmailContact", body)
        case(f"validate_response: {label}", functools.partial(violation, check))
    signed_emulator_cases()
    linear_cases()
    print(f"\nslowest case: {max(r[2] for r in ROWS):.3f} s")


def _lint(path: Path) -> str:
    return "; ".join(f.problem[:110] for f in lint.lint(path))


def _load(path: Path) -> str:
    try:
        replay.AtomicPersister.load_cassette(path, yamlserializer)
    except replay.CassetteError as exc:
        return f"CassetteError: {str(exc)[:150]}"
    return "loaded"


def _bomb(levels: int) -> str:
    lines = ['a0: &a0 ["lol"]'] + [f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 9)}]" for n in range(1, levels + 1)]
    return "\n".join([*lines, f"interactions: *a{levels}"]) + "\n"


# -- issue 19, part 1: guards before a parser, doc rules, numbers, alias characters ---------------------


def _timed(func: Callable[[], object]) -> tuple[str, float]:
    """The answer of ``func()`` (a return, or what it raised) and its best time over rounds that fill
    about 0.2 s (one round for a slow case)."""
    best, spent, answer = float("inf"), 0.0, ""
    while spent < 0.2:
        start = time.perf_counter()
        try:
            result = func()
            answer = "accepted" if result is None else str(result)[:120]
        except validator.ContractViolation as exc:
            answer = f"ContractViolation {','.join(exc.rules[:3])}: {str(exc).splitlines()[1].strip()[:100]}"
        except Exception as exc:  # a measurement script: show what the guard answered
            answer = f"{type(exc).__name__} {getattr(exc, 'limit', '')}: {str(exc)[:100]}"
        elapsed = time.perf_counter() - start
        best, spent = min(best, elapsed), spent + elapsed
    return answer, best


def versus(name: str, hostile: Callable[[], object], wellformed: Callable[[], object], previous: float | None) -> float:
    """Print the hostile input's answer and time, as a ratio to a well-formed input of the same size and
    to the hostile input of half its size (``previous``); returns its time."""
    answer, elapsed = _timed(hostile)
    _, base = _timed(wellformed)
    growth = f", x{elapsed / previous:.1f} for 2x input" if previous else ""
    ROWS.append((name, answer, elapsed))
    print(f"{elapsed * 1e3:8.3f} ms {name}: {answer}", flush=True)
    print(f"{'':12}{elapsed / base:.1f}x a well-formed input of the same size{growth}", flush=True)
    return elapsed


def _judge(check: rules.Checker, address: str) -> list[rules.Finding]:
    return list(check({"EmailAddress": address}))


def linear_cases() -> None:
    def unterminated(size: int) -> str:  # each escaped quote restarted a quadratic scan
        return '{"ContactId":"' + '\\"[' * ((size - 14) // 3)

    def wellformed(size: int) -> str:  # the same text, its string closed
        return unterminated(size - 2) + '"}'

    for label, guard in (
        ("check_json_text", limits.check_json_text),
        ("validate_response(bytes)", lambda text: validator.validate_response("StartEmailContact", text.encode())),
    ):
        previous: float | None = None
        for size in (6 * 1024, 12 * 1024, 24 * 1024, 48 * 1024, 3 * 1024 * 1024):
            bad, good = unterminated(size), wellformed(size)
            doubled = previous if size <= 48 * 1024 else None
            previous = versus(
                f'{label}: unterminated string of \\"[, {size // 1024} KB',
                functools.partial(guard, bad),
                functools.partial(guard, good),
                doubled,
            )

    def address(value: str) -> Callable[[], object]:
        return lambda: validator.validate_request("CreateEmailAddress", {"InstanceId": "i", "EmailAddress": value})

    previous = None
    for size in (64 * 1024, 128 * 1024):
        previous = versus(
            f"EMAIL-ADDR-001: 'a@' + '.' * n + '@', {size // 1024} KB",
            address("a@" + "." * (size - 3) + "@"),
            address("a" * (size - 12) + "@example.com"),
            previous,
        )
    check = rules.RULES["EMAIL-ADDR-001"].check
    previous = None
    for size in (64 * 1024, 128 * 1024):  # the rule alone, as fakes call it, without the model's verdict
        bomb, plain = "a@" + "." * (size - 3) + "@", "a" * (size - 12) + "@example.com"
        previous = versus(
            f"EMAIL-ADDR-001 rule alone, {size // 1024} KB",
            functools.partial(_judge, check, bomb),
            functools.partial(_judge, check, plain),
            previous,
        )

    with tempfile.TemporaryDirectory() as folder:
        previous = None
        for megabytes in (0.5, 1):
            scalar = "x" * int(megabytes * 1024 * 1024)
            bomb = f"body: &b {scalar}\ninteractions: [{', '.join(['*b'] * 3_000)}]\n"
            plain = f"body: {scalar}\ninteractions: [{', '.join(['b'] * 3_000)}]\n"
            bomb_path, plain_path = Path(folder) / "bomb.yaml", Path(folder) / "plain.yaml"
            bomb_path.write_text(bomb)
            plain_path.write_text(plain)
            name = f"3,000 aliases of one {megabytes:g} MB scalar ({len(bomb) / 1e6:.1f} MB)"
            previous = versus(
                f"check_yaml_text: {name}",
                functools.partial(limits.check_yaml_text, bomb),
                functools.partial(limits.check_yaml_text, plain),
                previous,
            )
            versus(f"replay: {name}", functools.partial(_load, bomb_path), functools.partial(_load, plain_path), None)
            versus(f"lint: {name}", functools.partial(_lint, bomb_path), functools.partial(_lint, plain_path), None)

    def max_results(value: object) -> Callable[[], object]:
        return lambda: validator.validate_request("SearchEmailAddresses", {"InstanceId": "i", "MaxResults": value})

    previous = None
    for digits in (5_000, 10_000):
        huge = max_results(10**digits)
        previous = versus(f"validate_request: MaxResults=10**{digits}", huge, max_results(5), previous)
    for label, value in (("5.0", 5.0), ('Decimal("5")', decimal.Decimal("5")), ("True", True), ("b'5'", b"5")):
        versus(f"validate_request: MaxResults={label}", max_results(value), max_results(5), None)

    def start(extra: dict[str, Any]) -> Callable[[], object]:
        params = {"InstanceId": "i", **START, **extra}
        return lambda: validator.validate_request("StartEmailContact", params)

    previous = None
    for size in (5_000, 10_000):  # difflib indexed each name in Python to look for a close member
        previous = versus(
            f"validate_request: 100 unknown members named by {size:,} characters",
            start({f"k{i:03d}" + "x" * size: 1 for i in range(100)}),
            start({"Description": "x" * (100 * size)}),
            previous,
        )


if __name__ == "__main__":
    main()
