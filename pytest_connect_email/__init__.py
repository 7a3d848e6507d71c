"""pytest-connect-email: contracts, fakes, cassettes and conformance checks for the Amazon Connect email APIs.

This module stays light on purpose: the pytest plugin imports it on every run, so nothing heavy
(botocore's model, jsonschema, faker, vcrpy) is imported here. The validator's entry points are
re-exported lazily.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pytest_connect_email._version import __version__

#: The architecture: the package's layers, top to bottom (each a package, or a module at the top level). A file
#: imports only files of its own package or of a layer below its own; packages of one rank import nothing of each
#: other; no two files import each other, directly or around a loop. README.md's Architecture section shows this
#: order and ``tests/test_layers.py`` holds the package to it (function-level and type-checking imports included).
LAYERS: tuple[tuple[str, ...], ...] = (
    ("__init__", "cli"),
    ("pytest",),
    ("conformance",),
    ("stateful",),
    ("routing", "cassettes"),
    ("emulator", "fakes"),
    ("contracts",),
    ("limits", "_version"),
)

__all__ = [
    "Call",
    "Calls",
    "ContractViolation",
    "Fault",
    "Faults",
    "OperationNotInModelError",
    "UnknownOperationError",
    "Violation",
    "__version__",
    "expect_violation",
    "mock",
    "patch_client",
    "validate_error",
    "validate_request",
    "validate_response",
]

if TYPE_CHECKING:
    from pytest_connect_email.contracts.spec import OperationNotInModelError, UnknownOperationError
    from pytest_connect_email.contracts.validator import (
        ContractViolation,
        Violation,
        validate_error,
        validate_request,
        validate_response,
    )
    from pytest_connect_email.routing.calls import Call, Calls
    from pytest_connect_email.routing.faults import Fault, Faults
    from pytest_connect_email.routing.intercept import expect_violation, mock, patch_client

_LAZY = {
    "Call": "pytest_connect_email.routing.calls",
    "Calls": "pytest_connect_email.routing.calls",
    "Fault": "pytest_connect_email.routing.faults",
    "Faults": "pytest_connect_email.routing.faults",
    "ContractViolation": "pytest_connect_email.contracts.validator",
    "Violation": "pytest_connect_email.contracts.validator",
    "validate_error": "pytest_connect_email.contracts.validator",
    "validate_request": "pytest_connect_email.contracts.validator",
    "validate_response": "pytest_connect_email.contracts.validator",
    "UnknownOperationError": "pytest_connect_email.contracts.spec",
    "expect_violation": "pytest_connect_email.routing.intercept",
    "mock": "pytest_connect_email.routing.intercept",
    "patch_client": "pytest_connect_email.routing.intercept",
    "OperationNotInModelError": "pytest_connect_email.contracts.spec",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'pytest_connect_email' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
