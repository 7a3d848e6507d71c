"""pluggy hook specifications other plugins implement to extend pytest-connect-email."""

from __future__ import annotations

from typing import Any

import pytest

hookspec = pytest.hookspec


@hookspec
def pytest_connect_email_client(client: Any, mode: str, config: pytest.Config) -> None:
    """Adjust a ``connect`` client the plugin made (register events, wrap calls), for every fixture client."""


@hookspec
def pytest_connect_email_checks(config: pytest.Config) -> list[str] | None:
    """Return paths of extra check modules to collect with ``--connect-conformance``.

    Give paths outside the directories pytest collects anyway (a module inside ``testpaths`` is
    collected by its name pattern, or not at all).

    Their tests use :func:`pytest_connect_email.conformance.check` to carry stable ids, and are
    reported and gated like the shipped checks.
    """


@hookspec
def pytest_connect_email_scrub(request: dict[str, Any], response: dict[str, Any], operation: str) -> None:
    """Scrub more before a cassette is written: change ``response`` (a vcrpy response dict) in place.

    Called for every interaction after the built-in scrubbing (credentials, account ids, sensitive
    members); ``request`` is a plain dict (method, uri, headers, body) of the scrubbed request.
    """


@hookspec(firstresult=True)
def pytest_connect_email_match(operation: str, recorded: dict[str, Any], sent: dict[str, Any]) -> bool | None:
    """Decide whether a recorded request answers the one a test sent, in record and replay modes.

    Asked for each unplayed recording of the same operation and path, in recorded order. ``recorded``
    and ``sent`` are the two requests' boto3 parameters, both scrubbed (as the cassette holds them),
    without idempotency tokens; the ignore list (``--connect-cassette-ignore``, the ``connect_cassette``
    marker) is not applied to them. Return ``True`` (it answers), ``False`` (it does not), or ``None``
    to leave it to the comparison of the members not ignored. The first non-``None`` answer counts.
    """
