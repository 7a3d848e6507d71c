"""Property: no generated body — JSON of any shape, deep nesting, huge numbers, lone surrogates,
bytes that are not JSON at all — gets a 5xx from the emulator or takes more than the case bound."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_connect_email.contracts import spec
from pytest_connect_email.emulator import Emulator
from pytest_connect_email.emulator.codec import HttpRequest

from .conftest import CASE_BOUND

ROUTES = [
    ("PUT", "/instance", "CreateInstance"),
    ("PUT", "/contact/email", "StartEmailContact"),
    ("POST", "/search-email-addresses", "SearchEmailAddresses"),
    ("PUT", "/email-addresses/i-1", "CreateEmailAddress"),
    ("POST", "/email-addresses/i-1/e-1/associate-alias", "AssociateEmailAddressAlias"),
    ("PUT", "/instance/i-1/outbound-email", "SendOutboundEmail"),
]

scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(10**60), max_value=10**60)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40)
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=12), inner, max_size=5),
    max_leaves=40,
)


def member_bodies(operation: str) -> st.SearchStrategy[str]:
    """Objects whose keys are the operation's own members (so values reach the validator and backend)."""
    names = sorted(spec.service_model().operation_model(operation).input_shape.members)
    return st.dictionaries(st.sampled_from(names), json_values, max_size=len(names)).map(json.dumps)


def nested(depth: int, opener: str, closer: str, leaf: str = "1") -> str:
    return opener * depth + leaf + closer * depth


hostile_text = st.one_of(
    st.integers(1, 3_000).map(lambda n: nested(n, "[", "]")),
    st.integers(1, 3_000).map(lambda n: nested(n, '{"a":', "}")),
    st.integers(1, 400).map(lambda n: nested(n, '{"SegmentAttributes":{"k":{"ValueMap":', "}}}", "{}")),
    st.integers(1, 10_000).map(lambda n: '{"InstanceAlias": ' + "9" * n + "}"),
    st.integers(1, 10_000).map(lambda n: '{"InboundCallsEnabled": 1e' + "9" * min(n, 50) + "}"),
    st.sampled_from(["NaN", "Infinity", "-Infinity"]).map(lambda c: '{"InstanceAlias": ' + c + "}"),
    st.text(alphabet=st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF), min_size=1, max_size=3).map(
        lambda s: json.dumps({"InstanceAlias": s, "EmailAddress": s})
    ),
    json_values.map(json.dumps),
)

ROUTE = st.sampled_from(ROUTES)


@st.composite
def requests(draw: st.DrawFn) -> tuple[str, str, bytes]:
    method, path, operation = draw(ROUTE)
    kind = draw(st.sampled_from(["members", "hostile", "bytes"]))
    if kind == "members":
        body = draw(member_bodies(operation)).encode()
    elif kind == "hostile":
        body = draw(hostile_text).encode("utf-8", "surrogatepass")
    else:
        body = draw(st.binary(max_size=200))
    return method, path, body


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    emu = Emulator.create(auth_enabled=False)
    yield emu
    emu.backend.store.close()


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(request=requests())
def test_no_generated_body_gets_a_5xx_or_takes_long(emulator: Emulator, request: tuple[str, str, bytes]) -> None:
    method, path, body = request
    start = time.perf_counter()
    response = emulator.handle(HttpRequest(method, path, body=body), signed=False)
    elapsed = time.perf_counter() - start
    answer: dict[str, Any] = json.loads(response.body)
    assert response.status < 500, answer
    assert elapsed < CASE_BOUND, f"{elapsed:.2f} s"
