"""The shipped conformance suite: a registry of checks with stable ids.

Every check has an id (``DISASSOC-003``), the operation it exercises, and its source: the sentence of
a reference page or the model constraint it verifies. Ids never change meaning once published; a
changed check gets a new id. Checks are ordinary pytest tests in the ``conformance_*.py`` modules of
this package, marked with :func:`check` (their shared helpers and fixtures are in :mod:`.support`);
the plugin collects them with ``--connect-conformance``, reports each by id and gates the run
against a baseline.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest

#: The suite's modules, by file and by module name (for ``--pyargs``).
SUITES: tuple[Path, ...] = tuple(sorted(Path(__file__).parent.glob("conformance_*.py")))
SUITE_MODULES: tuple[str, ...] = tuple(f"{__name__}.{path.stem}" for path in SUITES)
SUITE = SUITES[0]
#: The stateful differential check (``--connect-stateful``), collected only when asked for.
SEQUENCES = Path(__file__).parent / "sequences.py"
SEQUENCES_MODULE = f"{__name__}.sequences"
MARKER = "connect_check"
#: The pseudo-operation of the stateful check (also ``support.STATEFUL``, which imports pytest fixtures).
STATEFUL = "(stateful)"

F = TypeVar("F", bound=Callable[..., Any])


def all_checks(*, stateful: bool = False) -> dict[str, Check]:
    """Every registered check by id: the shipped ones (imported here, which registers them) and any a
    user's suite registered; the stateful check STATEFUL-001, which runs only when asked for
    (``--connect-stateful``), with ``stateful=True``. :func:`shipped_checks` leaves out the user's."""
    import importlib

    for name in (*SUITE_MODULES, SEQUENCES_MODULE):  # imported once; checks a user's suite registered stay beside them
        importlib.import_module(name)
    return {k: v for k, v in CHECKS.items() if stateful or v.operation != STATEFUL}


def shipped_checks(*, stateful: bool = False) -> dict[str, Check]:
    """The checks this package ships, without those a user's suite (or a test) registered beside them."""
    return {k: v for k, v in all_checks(stateful=stateful).items() if v.shipped}


@dataclass(frozen=True)
class Check:
    id: str
    operation: str
    source: str
    title: str
    #: The module that registered it (``pytest_connect_email.conformance...`` for the shipped checks).
    module: str = ""

    @property
    def shipped(self) -> bool:
        return self.module.startswith(f"{__name__}.")


CHECKS: dict[str, Check] = {}


def check(check_id: str, operation: str, source: str) -> Callable[[F], F]:
    """Register a test function as the check ``check_id`` (duplicate ids are refused)."""

    def register(func: F) -> F:
        title = (func.__doc__ or func.__name__).strip().splitlines()[0]
        entry = Check(check_id, operation, " ".join(source.split()), title, func.__module__)
        if CHECKS.get(check_id, entry) != entry:  # the same module imported twice re-registers identical checks
            raise ValueError(f"conformance check id {check_id!r} is registered twice")
        CHECKS[check_id] = entry
        marked: F = pytest.mark.connect_check(check_id, operation)(func)
        return marked

    return register
