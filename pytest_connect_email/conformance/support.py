"""What the conformance modules share: request helpers, and fixtures the plugin registers when the suite
runs (``--connect-conformance``).

Every call goes through the contract-checked client, so every response and error of every check is held
to its contract as well. An operation the target does not implement makes the checks that need it "not
implemented" (with the endpoint's answer); the rest still run.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from pytest_connect_email import conformance
from pytest_connect_email.contracts import spec
from pytest_connect_email.routing.client import EndpointNotImplemented

Address = Any  # pytest_connect_email.pytest.plugin.EmailAddress

VALIDATION_ERRORS = {"InvalidRequestException", "InvalidParameterException"}
MESSAGE: dict[str, Any] = {
    "MessageSourceType": "RAW",
    "RawMessage": {"Subject": "Conformance", "Body": "Hallo", "ContentType": "text/plain"},
}


class NotInModel(EndpointNotImplemented):
    """A check whose operation the model in use lacks (an older botocore): reported "not implemented"
    with that reason, as an endpoint that lacks the operation is."""

    def __init__(self, error: spec.OperationNotInModelError) -> None:
        self.operation, self.status, self.code, self.message = error.operation, 0, "", str(error)
        Exception.__init__(self, str(error))


#: The pseudo-operation of checks that hold every operation the suite calls to the protocol.
PROTOCOL = "(protocol)"
#: The pseudo-operation of the stateful differential check (sequences over every covered operation).
STATEFUL = conformance.STATEFUL


def require_operation(operation: str) -> None:
    """Raise :class:`NotInModel` when the model in use lacks ``operation``."""
    if operation not in (PROTOCOL, STATEFUL) and not spec.available(operation):
        raise NotInModel(spec.OperationNotInModelError(spec.resolve_operation(operation), spec.model().label))


class MemberNotInModel(NotInModel):
    """A check that needs a request member the model in use lacks (an older botocore): "not implemented"."""

    def __init__(self, operation: str, members: list[str]) -> None:
        self.operation, self.status, self.code = operation, 0, ""
        self.message = (
            f"{operation}'s {', '.join(members)} is not in {spec.model().label}'s model; upgrade botocore to a "
            "release that has it (the toolkit's contracts follow the installed botocore)"
        )
        Exception.__init__(self, self.message)


def model_has(operation: str, member: str) -> bool:
    """Whether the model in use has ``operation`` with the request member ``member``."""
    return spec.available(operation) and member in spec.operation_model(operation).input_shape.members


def require_members(operation: str, *members: str) -> None:
    """Raise :class:`NotInModel` when the model in use lacks ``operation`` or any of its request ``members``."""
    require_operation(operation)
    missing = [m for m in members if not model_has(operation, m)]
    if missing:
        raise MemberNotInModel(operation, missing)


def _missing_from_model(exc: AttributeError) -> str | None:
    """The covered operation whose client method an older model lacks (``client.list_queue_email_addresses``
    on botocore 1.40), or ``None`` for any other missing attribute."""
    name = getattr(exc, "name", None)
    if not isinstance(name, str) or type(getattr(exc, "obj", None)).__name__ != "Connect":
        return None
    try:
        operation = spec.resolve_operation(name)
    except spec.UnknownOperationError:
        return None
    return None if spec.available(operation) else operation


def _not_in_model(exc: AttributeError) -> NotInModel | None:
    missing = _missing_from_model(exc)
    return None if missing is None else NotInModel(spec.OperationNotInModelError(missing, spec.model().label))


@pytest.hookimpl(tryfirst=True)
def pytest_pycollect_makemodule(module_path: Path, parent: pytest.Collector) -> pytest.Module | None:
    """A suite module collected from outside the rootdir (the installed package, from a user's project) keeps
    its path in its node id (``pytest_connect_email/conformance/addresses.py::test_x``), so the node
    ids, ``--junitxml`` class names and printed commands name it; pytest alone gives ``::test_x`` there."""
    nodeid = conformance.suite_nodeid(module_path, parent.config.rootpath)
    if nodeid is None:
        return None
    module: pytest.Module = pytest.Module.from_parent(parent, path=module_path, nodeid=nodeid)
    return module


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Any:
    """A check whose fixtures call an operation the model in use lacks is "not implemented", with that reason."""
    try:
        return (yield)
    except AttributeError as exc:
        raise (_not_in_model(exc) or exc) from exc


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Any:
    """A check that calls an operation the model in use lacks (as one of its steps) is "not implemented"."""
    try:
        return (yield)
    except AttributeError as exc:
        raise (_not_in_model(exc) or exc) from exc


@pytest.fixture(autouse=True)
def _operation_in_model(request: pytest.FixtureRequest) -> None:
    """A check of an operation the installed botocore's model lacks is "not implemented", with that reason."""
    marker = request.node.get_closest_marker("connect_check")
    if marker is not None:
        require_operation(str(marker.args[1]))


@pytest.fixture(scope="module")
def unchecked_client(connect_client_factory: Callable[..., Any]) -> Any:
    """Sends invalid requests on purpose; answers are still held to their contracts."""
    return connect_client_factory(validate_requests=False)


def answer_code(call: Callable[[], Any]) -> tuple[int, str]:
    """Call, expecting an error answer; return its HTTP status and code."""
    with pytest.raises(ClientError) as info:
        call()
    response = info.value.response
    return int(response["ResponseMetadata"]["HTTPStatusCode"]), str(response["Error"]["Code"])


def every_item(call: Callable[..., Any], member: str, pages: int = 50, **params: Any) -> list[dict[str, Any]]:
    """Every item of ``member`` that ``call(**params)`` answers over all its pages, following ``NextToken``
    (at most ``pages`` pages: an endpoint that never stops paging fails the check, never hangs it)."""
    found: list[dict[str, Any]] = []
    for _ in range(pages):
        page = call(**params)
        found.extend(page.get(member, []))
        if not page.get("NextToken"):
            return found
        params["NextToken"] = page["NextToken"]
    name = getattr(call, "__name__", "the operation")
    raise AssertionError(f"{name} kept answering a NextToken after {pages} pages")


def start(client: Any, instance_id: str, destination: str, **extra: Any) -> str:
    params: dict[str, Any] = {
        "InstanceId": instance_id,
        "FromEmailAddress": {"EmailAddress": "customer@example.net", "DisplayName": "Zoë Kunde"},
        "DestinationEmailAddress": destination,
        "EmailMessage": MESSAGE,
    }
    params.update(extra)
    return str(client.start_email_contact(**params)["ContactId"])


def aliases(client: Any, instance_id: str, address: Address) -> list[str]:
    found = client.describe_email_address(InstanceId=instance_id, EmailAddressId=address.id)
    return [a["EmailAddressId"] for a in found.get("AliasConfigurations", [])]


def associate(client: Any, instance_id: str, primary: Address, alias: Address, **extra: Any) -> Any:
    return client.associate_email_address_alias(
        InstanceId=instance_id, EmailAddressId=primary.id, AliasConfiguration={"EmailAddressId": alias.id}, **extra
    )


def disassociate(client: Any, instance_id: str, primary: Address, alias: Address, **extra: Any) -> Any:
    return client.disassociate_email_address_alias(
        InstanceId=instance_id, EmailAddressId=primary.id, AliasConfiguration={"EmailAddressId": alias.id}, **extra
    )


@pytest.fixture
def unique(connect_names: Callable[[], str]) -> Callable[[], str]:
    """Unique tokens for names and search values: random live, reproducible with cassettes (so a replayed
    check sends exactly the requests it recorded)."""
    return connect_names


def guard_account(settings: Any, action: str) -> None:
    """Creating instances against anything but loopback needs an allowed account (``--connect-record-accounts``)."""
    from pytest_connect_email.routing.targets import account_refusal

    refusal = account_refusal(settings.endpoint_url, settings.region, settings.mode, settings.record_accounts, action)
    if refusal:
        pytest.exit(refusal, 4)


def new_token() -> str:
    """A ClientToken (cassettes ignore tokens when they match requests)."""
    return f"ce-{uuid.uuid4()}"


@pytest.fixture
def make_instance(
    connect_client: Any, connect_settings: Any, unique: Callable[[], str]
) -> Iterator[Callable[[], dict[str, Any]]]:
    """Factory of fresh instances (``{"Id", "Arn", "InstanceAlias"}``), deleted at teardown."""
    made: list[str] = []

    def create() -> dict[str, Any]:
        if connect_settings.mode == "live":
            guard_account(connect_settings, "create an instance")
        alias = f"ce-{unique()[:12]}"
        answer = connect_client.create_instance(
            IdentityManagementType="CONNECT_MANAGED",
            InstanceAlias=alias,
            InboundCallsEnabled=True,
            OutboundCallsEnabled=False,
        )
        made.append(str(answer["Id"]))
        return {"Id": str(answer["Id"]), "Arn": str(answer["Arn"]), "InstanceAlias": alias}

    yield create
    for instance_id in reversed(made):
        with contextlib.suppress(Exception):  # deleted by the check already, or the endpoint refuses
            connect_client.delete_instance(InstanceId=instance_id)
