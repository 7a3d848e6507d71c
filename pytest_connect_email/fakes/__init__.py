"""Fake data for the Amazon Connect email APIs: valid requests, responses and errors, and invalid requests.

What this package owns
----------------------
- :class:`ConnectEmailProvider`, a Faker provider (``faker.add_provider(ConnectEmailProvider)``) with one
  ``<boto3 name>_request`` and one ``<boto3 name>_response`` method per operation of
  :data:`pytest_connect_email.contracts.spec.OPERATIONS`, plus ``error_response(operation, error_code)``;
- :func:`invalid_cases` / :func:`invalid_requests`: requests that each break exactly one rule;
- :func:`constraints`, :func:`cases_for` and :func:`coverage`: which rules the invalid cases reach;
- :func:`satisfy_doc_rules`, :func:`fake_value`, :func:`leaf_kind` and :func:`schema_view`, the pieces
  :mod:`pytest_connect_email.fakes.strategies` builds on.

Layout: one module per job, all reading the active contracts (:mod:`pytest_connect_email.contracts.active`), so
the data follows the installed botocore's model; an operation that model lacks raises
:class:`~pytest_connect_email.contracts.spec.OperationNotInModelError`.

- :mod:`~pytest_connect_email.fakes.valid`: the Faker provider and the schema walk that makes valid data;
- :mod:`~pytest_connect_email.fakes.repair`: doc-rule repairs (:func:`satisfy_doc_rules`);
- :mod:`~pytest_connect_email.fakes.invalid`: invalid variants that break one rule each, and coverage;
- :mod:`~pytest_connect_email.fakes._schema`: what they share (types, constants, :class:`SchemaView`).
"""

from __future__ import annotations

from pytest_connect_email.fakes._schema import FILLS, MAX_DEPTH, OMIT, SchemaView, schema_view
from pytest_connect_email.fakes.invalid import (
    Constraint,
    InvalidCase,
    cases_for,
    constraints,
    coverage,
    covered_constraints,
    invalid_cases,
    invalid_requests,
)
from pytest_connect_email.fakes.valid import ConnectEmailProvider, fake_value, satisfy_doc_rules
from pytest_connect_email.fakes.walk import contact_expiry_value, leaf_kind

__all__ = [
    "FILLS",
    "MAX_DEPTH",
    "OMIT",
    "ConnectEmailProvider",
    "Constraint",
    "InvalidCase",
    "SchemaView",
    "cases_for",
    "constraints",
    "contact_expiry_value",
    "coverage",
    "covered_constraints",
    "fake_value",
    "invalid_cases",
    "invalid_requests",
    "leaf_kind",
    "satisfy_doc_rules",
    "schema_view",
]
