"""pytest-connect-email: contracts, fakes, cassettes and conformance checks for the Amazon Connect email APIs.

This module stays light on purpose: the pytest plugin imports it on every run, so nothing heavy
(botocore's model, jsonschema, faker, vcrpy) is imported here. The validator's entry points are
re-exported lazily.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

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
    from pytest_connect_email.calls import Call, Calls
    from pytest_connect_email.contracts import (
        ContractViolation,
        Violation,
        validate_error,
        validate_request,
        validate_response,
    )
    from pytest_connect_email.faults import Fault, Faults
    from pytest_connect_email.intercept import expect_violation, mock, patch_client
    from pytest_connect_email.spec import OperationNotInModelError, UnknownOperationError

_LAZY = {
    "Call": "pytest_connect_email.calls",
    "Calls": "pytest_connect_email.calls",
    "Fault": "pytest_connect_email.faults",
    "Faults": "pytest_connect_email.faults",
    "ContractViolation": "pytest_connect_email.contracts",
    "Violation": "pytest_connect_email.contracts",
    "validate_error": "pytest_connect_email.contracts",
    "validate_request": "pytest_connect_email.contracts",
    "validate_response": "pytest_connect_email.contracts",
    "UnknownOperationError": "pytest_connect_email.spec",
    "expect_violation": "pytest_connect_email.intercept",
    "mock": "pytest_connect_email.intercept",
    "patch_client": "pytest_connect_email.intercept",
    "OperationNotInModelError": "pytest_connect_email.spec",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'pytest_connect_email' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
