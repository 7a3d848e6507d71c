"""aiobotocore's Connect clients are intercepted and checked like botocore's (its sessions and clients
are botocore's, and its event emitter awaits our plain handlers). aiobotocore pins an older botocore
than the constraints file: CI runs this in the oldest-botocore leg, where it is installed."""

from __future__ import annotations

import asyncio
import socket

import pytest

import pytest_connect_email

aiobotocore_session = pytest.importorskip("aiobotocore.session")


def test_aiobotocore_clients_go_to_the_emulator_and_are_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()  # nothing listens here: a call that left the process would fail to connect
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{port}")
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)

    async def main() -> tuple[int, str]:
        session = aiobotocore_session.get_session()
        async with session.create_client("connect", region_name="us-east-1") as client:
            await client.create_instance(
                IdentityManagementType="CONNECT_MANAGED", InboundCallsEnabled=True, OutboundCallsEnabled=True
            )
            listed = await client.list_instances()
            with pytest_connect_email.expect_violation("maxLength"), pytest.raises(AssertionError) as caught:
                await client.create_instance(
                    IdentityManagementType="CONNECT_MANAGED",
                    InstanceAlias="a" * 100,
                    InboundCallsEnabled=True,
                    OutboundCallsEnabled=True,
                )
            return len(listed["InstanceSummaryList"]), str(caught.value)

    with pytest_connect_email.mock():
        count, message = asyncio.run(main())
    assert count == 1
    assert "test_aiobotocore.py" in message
