"""Guards that run before a parser or a rule are linear in their input: doubling a hostile input at
most about doubles the time (a quadratic guard quadruples it), and the answer names what is wrong.

Each timing compares two sizes in one run (best of a few interleaved rounds, so a busy machine does
not decide); no test asserts an absolute time. ``benchmarks/bench_hostile.py`` prints the real figures.
"""

from __future__ import annotations

import gc
import itertools
import json
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from vcr.serializers import yamlserializer

from pytest_connect_email import limits
from pytest_connect_email.cassettes import replay
from pytest_connect_email.contracts import rules, validator
from pytest_connect_email.contracts.validator import ContractViolation

from .conftest import bounded, start_email_contact

#: Most a guard's time may grow when its input doubles (linear: 2; quadratic: 4).
GROWTH_BOUND = 3.0


def _per_call(func: Callable[[], object], budget: float = 0.02) -> float:
    """Seconds one call of ``func`` takes, from as many calls as fill ``budget`` (one, for a slow call)."""
    calls, start = 0, time.perf_counter()
    while True:
        func()
        calls += 1
        elapsed = time.perf_counter() - start
        if elapsed >= budget:
            return elapsed / calls


def _growth(make: Callable[[int], Callable[[], object]], size: int, rounds: int = 5) -> float:
    """How much the time of ``make(n)()`` grows from ``n = size`` to ``n = 2 * size``: the best of a few
    interleaved rounds of each, so that a busy machine slows both alike and decides nothing (nor does a
    garbage collection that earlier tests' leftovers start in the middle of one round)."""
    small, large = make(size), make(2 * size)
    small()  # warm caches (compiled validators, regexes) outside the timing
    gc.collect()
    gc.disable()
    try:
        times = [(_per_call(small), _per_call(large)) for _ in range(rounds)]
    finally:
        gc.enable()
    return min(t for _, t in times) / min(t for t, _ in times)


def _unterminated(size: int) -> str:
    """A body whose string never ends, full of escaped quotes and brackets: each quote used to restart
    a scan to the end of the text."""
    return '{"ContactId":"' + '\\"[' * (size // 3)


def _answer(func: Callable[[], object]) -> Callable[[], object]:
    def run() -> object:
        try:
            return func()
        except (ContractViolation, limits.LimitExceeded, json.JSONDecodeError) as exc:
            return exc

    return run


def test_check_json_text_on_an_unterminated_string_is_linear() -> None:
    def guard(n: int) -> Callable[[], object]:
        text = _unterminated(n)
        return _answer(lambda: limits.check_json_text(text))

    growth = _growth(guard, 8 * 1024)
    assert growth < GROWTH_BOUND, f"doubling the text multiplied the guard's time by {growth:.1f}"
    # The string runs to the end, so it holds no structure: json.loads then says it is not JSON.
    limits.check_json_text(_unterminated(48 * 1024))
    with pytest.raises(json.JSONDecodeError, match="Unterminated string"):
        limits.loads(_unterminated(48 * 1024))
    # What precedes the string still counts.
    with pytest.raises(limits.LimitExceeded) as info:
        limits.check_json_text("[" * (limits.MAX_DEPTH + 1) + _unterminated(48 * 1024))
    assert info.value.limit == "MAX_DEPTH"


def test_validate_response_of_an_unterminated_string_is_linear_and_says_not_json() -> None:
    def validate(n: int) -> Callable[[], object]:
        body = _unterminated(n).encode()
        return _answer(lambda: validator.validate_response("StartEmailContact", body))

    growth = _growth(validate, 8 * 1024)
    assert growth < GROWTH_BOUND, f"doubling the body multiplied the validator's time by {growth:.1f}"
    with bounded(), pytest.raises(ContractViolation) as info:
        validator.validate_response("StartEmailContact", _unterminated(3 * 1024 * 1024).encode())
    assert info.value.rules == ("json",)
    assert "Unterminated string" in str(info.value)


def _address_bomb(size: int) -> str:
    """A value the format's regex backtracks on quadratically: every dot is a place to split the domain."""
    return "a@" + "." * size + "@"


def test_an_address_over_its_max_length_is_not_judged_by_the_doc_rule() -> None:
    def validate(n: int) -> Callable[[], object]:
        params = {"InstanceId": "i", "EmailAddress": _address_bomb(n)}
        return _answer(lambda: validator.validate_request("CreateEmailAddress", params))

    growth = _growth(validate, 16 * 1024)
    assert growth < GROWTH_BOUND, f"doubling the address multiplied the validator's time by {growth:.1f}"
    with bounded(), pytest.raises(ContractViolation) as info:
        validator.validate_request("CreateEmailAddress", {"InstanceId": "i", "EmailAddress": _address_bomb(128 * 1024)})
    assert info.value.rules == ("maxLength",)


def test_the_address_rule_is_linear_on_its_own() -> None:
    # Callers other than the validator (fakes, repair) run the rule without the model's verdict.
    check = rules.RULES["EMAIL-ADDR-001"].check

    def judge(n: int) -> Callable[[], object]:
        params = {"EmailAddress": _address_bomb(n)}
        return lambda: list(check(params))

    growth = _growth(judge, 64 * 1024)
    assert growth < GROWTH_BOUND, f"doubling the address multiplied the rule's time by {growth:.1f}"
    assert [f.pointer for f in check({"EmailAddress": _address_bomb(64 * 1024)})] == ["/EmailAddress"]


def test_the_linear_address_check_is_the_format_s_full_match() -> None:
    # Every string of up to 6 characters over the characters that matter, against the pattern itself.
    for length in range(7):
        for letters in itertools.product("a@. \u00a0", repeat=length):
            word = "".join(letters)
            expected = rules.EMAIL_ADDRESS_FORMAT.fullmatch(word) is not None
            assert rules.is_email_address(word) is expected, repr(word)


def _alias_cassette(scalar_chars: int, aliases: int) -> str:
    return f"body: &b {'x' * scalar_chars}\ninteractions: [{', '.join(['*b'] * aliases)}]\n"


def test_aliases_of_a_huge_scalar_are_refused_by_characters(tmp_path: Path) -> None:
    # 3,000 aliases are within MAX_YAML_ALIAS_NODES; what they expand to (192 MB here) is not.
    text = _alias_cassette(64 * 1024, 3_000)
    with bounded(), pytest.raises(limits.LimitExceeded) as info:
        limits.check_yaml_text(text)
    assert info.value.limit == "MAX_YAML_ALIAS_CHARS"
    path = tmp_path / "bomb.yaml"
    path.write_text(text)
    with bounded(), pytest.raises(replay.CassetteError, match="MAX_YAML_ALIAS_CHARS"):
        replay.AtomicPersister.load_cassette(path, yamlserializer)


def test_alias_characters_count_a_collection_s_contents() -> None:
    half = limits.MAX_YAML_ALIAS_CHARS // 8 + 1  # one anchored list of two scalars: a quarter of the budget
    anchored = f"a: &a [{'x' * half}, {'y' * half}]\n"
    limits.check_yaml_text(anchored + "b: [*a, *a, *a]\n")
    with pytest.raises(limits.LimitExceeded) as info:
        limits.check_yaml_text(anchored + "b: [*a, *a, *a, *a]\n")
    assert info.value.limit == "MAX_YAML_ALIAS_CHARS"
    # A few aliases of a small body, as a hand-written cassette may share one, pass.
    limits.check_yaml_text(_alias_cassette(1_000, 100))


def test_repairing_a_long_non_address_is_linear() -> None:
    """The fakes' repair of EMAIL-ADDR-001 searched the whole value with a backtracking pattern."""
    from pytest_connect_email.fakes import satisfy_doc_rules

    def repair(n: int) -> float:
        address = "a" * n + "@" + "b" * n
        start = time.perf_counter()
        request = satisfy_doc_rules("StartEmailContact", {"DestinationEmailAddress": address})
        elapsed = time.perf_counter() - start
        assert request["DestinationEmailAddress"] != address
        return elapsed

    repair(500)  # warm the factory
    small, large = min(repair(2_000) for _ in range(3)), min(repair(4_000) for _ in range(3))
    assert large / small < 3, f"{small:.4f} s at 2,000, {large:.4f} s at 4,000"


def test_long_unknown_member_names_cost_about_what_their_size_does() -> None:
    # difflib indexed every character of each unknown name in Python to look for a close member name
    # (100 names of 5 KB: 0.27 s, 90 times a known member of the same size); a name that long cannot
    # be close to any member, and is not indexed.
    unknown = {**start_email_contact(), **{f"k{i:03d}" + "x" * 5_000: 1 for i in range(100)}}
    known = {**start_email_contact(), "Description": "x" * 500_000}

    def validate(params: dict[str, object]) -> Callable[[], object]:
        return _answer(lambda: validator.validate_request("StartEmailContact", params))

    answer = validate(unknown)()
    assert isinstance(answer, ContractViolation)
    assert answer.rules[-1] == "MAX_VIOLATIONS"
    gc.collect()
    gc.disable()
    try:
        rounds = [(_per_call(validate(unknown)), _per_call(validate(known))) for _ in range(3)]
    finally:
        gc.enable()
    ratio = min(u for u, _ in rounds) / min(k for _, k in rounds)
    assert ratio < 15, f"100 long unknown names took {ratio:.0f} times a known member of their size"
