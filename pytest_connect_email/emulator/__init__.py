"""The reference emulator of the Amazon Connect email API: the embedded default target.

Layers (HTTP, domain logic and state never mix):

- :mod:`.router` — method + URI template -> operation, from botocore's model;
- :mod:`.codec` — rest-json request parsing and response/error serialisation by shape type;
- :mod:`.auth` — SigV4 verification with botocore's signer;
- :mod:`.backend` — one method per operation, plain dicts in and out, behaviour decisions;
- :mod:`.store` — SQLite state behind a small interface;
- :mod:`.server` — the WSGI server and the in-process transport.

Typical use::

    emulator = Emulator.create()
    client = emulator.attach(boto3.client("connect", region_name="us-east-1", ...))   # no sockets
    with emulator.serve() as server:                                                   # loopback HTTP
        boto3.client("connect", endpoint_url=server.url, ...)
"""

from __future__ import annotations

from pytest_connect_email.emulator.backend import Backend, Config
from pytest_connect_email.emulator.server import Emulator, RunningServer
from pytest_connect_email.emulator.store import Store

__all__ = ["Backend", "Config", "Emulator", "RunningServer", "Store"]
