"""The shipped conformance suite: a registry of checks with stable ids.

Every check has an id (``DISASSOC-003``), the operation it exercises, and its source: the sentence of
a reference page or the model constraint it verifies. Ids never change meaning once published; a
changed check gets a new id. Checks are ordinary pytest tests in the modules of
this package that :data:`CHECK_MODULES` names, marked with :func:`check` (their shared helpers and
fixtures are in :mod:`.support`);
the plugin collects them with ``--connect-conformance``, reports each by id and gates the run
against a baseline.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest

#: The modules that hold the shipped checks (named here: the package also holds the report, the merge and the
#: stateful check's module, which are not collected with the suite), by file and by module name (``--pyargs``).
CHECK_MODULES: tuple[str, ...] = (
    "addresses",
    "attachments",
    "checks",
    "contact_life",
    "contacts",
    "flows",
    "instances",
    "protocol",
    "queues",
    "tags",
)
SUITES: tuple[Path, ...] = tuple(Path(__file__).parent / f"{name}.py" for name in CHECK_MODULES)
SUITE_MODULES: tuple[str, ...] = tuple(f"{__name__}.{path.stem}" for path in SUITES)
SUITE = SUITES[0]
#: The module names the suite's cassettes were recorded with before its modules lost their ``conformance_``
#: prefix: the names a check makes with cassettes (``connect_names``) are seeded with them, so that cassettes
#: recorded then (against AWS, say) replay once moved to the new folder (CHANGELOG.md says how).
SEED_STEMS: dict[str, str] = {
    name: f"conformance_{name}" for name in ("addresses", "checks", "contacts", "instances", "protocol", "queues")
}
#: The stateful differential check (``--connect-stateful``), collected only when asked for.
SEQUENCES = Path(__file__).parent / "sequences.py"
SEQUENCES_MODULE = f"{__name__}.sequences"
MARKER = "connect_check"
#: The pseudo-operation of the stateful check (also ``support.STATEFUL``, which imports pytest fixtures).
STATEFUL = "(stateful)"
#: The suite's files as node ids spell them wherever the package is installed: from the top of the package
#: (``pytest_connect_email/conformance/checks.py``), as in a checkout of this project (whose rootdir
#: is the package's parent) and as the cassettes name them. A file outside the run's rootdir would otherwise
#: get the node id ``::test_x`` (pytest counts a path from its rootdir, else from the argument that named it).
NODE_PREFIX = f"{__name__.replace('.', '/')}/"


def suite_file(arg: str, invocation_dir: Path) -> Path | None:
    """The suite file (a module of :data:`CHECK_MODULES` or ``sequences.py``) that a command-line argument names,
    as a path or a node id (``pytest_connect_email/conformance/addresses.py::test_x``), or ``None``.

    The node id form is found from any directory: from a user's project, where the package is installed
    elsewhere, it names the installed file (what :func:`suite_args` passes to pytest)."""
    text = arg.split("::", 1)[0].replace("\\", "/")
    if not text.endswith(".py"):
        return None
    files = {path.resolve(): path for path in (*SUITES, SEQUENCES)}
    given = Path(text) if Path(text).is_absolute() else invocation_dir / text
    if given.is_file():
        return files.get(given.resolve())
    if text.startswith(NODE_PREFIX):
        return files.get((Path(__file__).parent / text[len(NODE_PREFIX) :]).resolve())
    return None


def suite_args(args: list[str], invocation_dir: Path) -> tuple[list[str], bool]:
    """``args`` with each node id of the suite that does not name a file from ``invocation_dir`` (a node id
    printed by a run in a user's project) pointed at the installed file, and whether any argument names a
    node or file of the suite. Other arguments are kept as they are."""
    rewritten: list[str] = []
    named = False
    for arg in args:
        file = suite_file(arg, invocation_dir)
        if file is None:
            rewritten.append(arg)
            continue
        named = True
        path, sep, rest = arg.partition("::")
        given = Path(path) if Path(path).is_absolute() else invocation_dir / path
        rewritten.append(arg if given.is_file() else f"{file}{sep}{rest}")
    return rewritten, named


def suite_nodeid(path: Path, rootpath: Path) -> str | None:
    """The node id of a suite file collected from outside the rootdir (``None`` for any other file, or one
    under the rootdir, whose node id pytest already counts from there)."""
    resolved = path.resolve()
    if resolved not in {p.resolve() for p in (*SUITES, SEQUENCES)}:
        return None
    try:
        resolved.relative_to(rootpath.resolve())
    except ValueError:
        return f"{NODE_PREFIX}{path.name}"
    return None


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
