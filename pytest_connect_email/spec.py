"""The botocore ``connect`` service model: where it comes from, which operations we cover, shape helpers.

This is the only module that knows how the model is loaded. Everything else asks it for the
``ServiceModel``, an ``OperationModel`` or the botocore version, so a future change of source (a
vendored model, a newer loader API) touches one place.
"""

from __future__ import annotations

import difflib
import functools
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from botocore.model import OperationModel, ServiceModel

SERVICE_NAME = "connect"

#: The operations the toolkit covers: the email family plus what a conformance run needs around it.
OPERATIONS: tuple[str, ...] = (
    "StartEmailContact",
    "DisassociateEmailAddressAlias",
    "AssociateEmailAddressAlias",
    "CreateEmailAddress",
    "DescribeEmailAddress",
    "DeleteEmailAddress",
    "SearchEmailAddresses",
    "UpdateEmailAddressMetadata",
    "SendOutboundEmail",
    "StartOutboundEmailContact",
    "UpdateOutboundEmailContactMessage",
    "AssociateQueueEmailAddresses",
    "DisassociateQueueEmailAddresses",
    "ListQueueEmailAddresses",
    "UpdateQueueOutboundEmailConfig",
    "DescribeContact",
    "GetContactAttributes",
    "CreateInstance",
    "DescribeInstance",
    "DeleteInstance",
    "ListInstances",
)


class UnknownOperationError(ValueError):
    """An operation name that the toolkit does not cover."""

    def __init__(self, name: object) -> None:
        self.name = name
        close = difflib.get_close_matches(str(name), OPERATIONS, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        super().__init__(
            f"unknown operation {name!r}.{hint} Known operations (PascalCase or boto3 snake_case): "
            + ", ".join(sorted(OPERATIONS))
        )


def _snake(name: str) -> str:
    out = []
    for i, ch in enumerate(name):
        if ch.isupper() and i:
            out.append("_")
        out.append(ch.lower())
    return "".join(out)


_BY_ALIAS: dict[str, str] = {alias: op for op in OPERATIONS for alias in (op, _snake(op))}


def resolve_operation(name: object) -> str:
    """Return the model name of ``name`` (``"StartEmailContact"`` or ``"start_email_contact"``)."""
    if isinstance(name, str):
        found = _BY_ALIAS.get(name)
        if found is not None:
            return found
    raise UnknownOperationError(name)


def snake_name(operation: str) -> str:
    """The boto3 method name of an operation (``StartEmailContact`` -> ``start_email_contact``)."""
    return _snake(resolve_operation(operation))


@functools.cache
def service_model() -> ServiceModel:
    """The installed botocore's ``connect`` model (loaded once per process)."""
    from botocore.loaders import create_loader
    from botocore.model import ServiceModel

    loader = create_loader()
    data = loader.load_service_model(SERVICE_NAME, "service-2")
    return ServiceModel(data, service_name=SERVICE_NAME)


def operation_model(name: str) -> OperationModel:
    """The botocore ``OperationModel`` of a covered operation."""
    return service_model().operation_model(resolve_operation(name))


def botocore_version() -> str:
    """Version of the installed botocore, whose model the contracts are generated from."""
    import botocore

    return str(botocore.__version__)
