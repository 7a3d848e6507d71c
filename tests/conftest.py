"""Shared test data: requests that are valid by construction, built by hand so that the contract
tests do not depend on the fakes they help to verify."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"

#: A StartEmailContact request with every optional member set (shared with benchmarks/).
RICH_START_EMAIL_CONTACT: dict[str, Any] = json.loads(
    (ROOT / "tests" / "data" / "start_email_contact_rich.json").read_text(encoding="utf-8")
)

DISASSOCIATE: dict[str, Any] = {
    "EmailAddressId": "11111111-2222-3333-4444-555555555555",
    "InstanceId": "0c5b5f8e-6a8e-4f7c-9d5e-2f4a1b3c4d5e",
    "AliasConfiguration": {"EmailAddressId": "66666666-7777-8888-9999-000000000000"},
    "ClientToken": "token-1",
}


@pytest.fixture
def rich_request() -> Callable[..., dict[str, Any]]:
    """A StartEmailContact request with every optional member set, as a fresh copy."""

    def make() -> dict[str, Any]:
        return copy.deepcopy(RICH_START_EMAIL_CONTACT)

    return make


@pytest.fixture
def disassociate_request() -> dict[str, Any]:
    return copy.deepcopy(DISASSOCIATE)


def strings(value: Any) -> Iterator[str]:
    """Every string in a document, map keys included."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, sub in value.items():
            yield str(key)
            yield from strings(sub)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)
