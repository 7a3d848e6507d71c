from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest

from pytest_connect_email.emulator import Config, Emulator, RunningServer

CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


def make_client(endpoint_url: str = "http://connect.emulator.test", **overrides: Any) -> Any:
    options: dict[str, Any] = {"region_name": "us-east-1", "endpoint_url": endpoint_url, **CREDENTIALS}
    options.update(overrides)
    return boto3.client("connect", **options)


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    emu = Emulator.create(config=Config(lock_wait=0.05))
    yield emu
    emu.backend.store.close()


@pytest.fixture
def server(emulator: Emulator) -> Iterator[RunningServer]:
    with emulator.serve() as running:
        yield running


@pytest.fixture(params=["in-process", "http"])
def client(request: pytest.FixtureRequest, emulator: Emulator) -> Any:
    """A boto3 client on each transport; both share one emulator."""
    if request.param == "in-process":
        return emulator.attach(make_client())
    running: RunningServer = request.getfixturevalue("server")
    return make_client(running.url)


@pytest.fixture
def instance_id(client: Any) -> str:
    created = client.create_instance(
        IdentityManagementType="CONNECT_MANAGED", InboundCallsEnabled=True, OutboundCallsEnabled=True
    )
    return str(created["Id"])


@pytest.fixture
def new_address(client: Any, instance_id: str) -> Callable[[str], str]:
    def create(address: str) -> str:
        return str(client.create_email_address(InstanceId=instance_id, EmailAddress=address)["EmailAddressId"])

    return create
