"""The package's layering holds: every import (module level, function level, type checking only) goes to the
same package or to a layer below, packages of one rank import nothing of each other, no two files import each
other around a loop, and the core never imports pytest. The order is read from ``pytest_connect_email.LAYERS``,
the one place the code holds it; the README's Architecture section must say the same order."""

from __future__ import annotations

import ast
import re
import shutil
from pathlib import Path

import pytest

import pytest_connect_email
from pytest_connect_email import LAYERS

PACKAGE = Path(pytest_connect_email.__file__).parent
README = PACKAGE.parent / "README.md"
#: The layers that make up the core: usable without pytest (the pytest layer and the shipped checks are not).
CORE = ("stateful", "routing", "cassettes", "emulator", "fakes", "contracts", "limits", "_version")


def _module(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__" and len(parts) > 1:
        parts.pop()
    return ".".join(parts)


def _layer(module: str) -> str:
    """The layer a module belongs to: its top package, or its own name at the top level."""
    return module.split(".")[0]


def imports(root: Path) -> dict[str, set[str]]:
    """Each module of the package under ``root`` (``limits``, ``routing.intercept``, ``__init__``) and the
    package modules it imports anywhere in its file."""
    files = {_module(p, root): p for p in root.rglob("*.py")}
    name = root.name
    graph: dict[str, set[str]] = {}
    for module, path in files.items():
        package = module.rsplit(".", 1)[0] if path.name != "__init__.py" and "." in module else module
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".") if package != "__init__" else []
                    base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
                    source = ".".join([*base, *([node.module] if node.module else [])])
                elif node.module == name:
                    source = "__init__"
                elif node.module and node.module.startswith(name + "."):
                    source = node.module[len(name) + 1 :]
                else:
                    continue
                for alias in node.names:
                    sub = alias.name if source == "__init__" else f"{source}.{alias.name}"
                    targets.append(sub if sub in files else source)
            elif isinstance(node, ast.Import):
                targets = [a.name[len(name) + 1 :] for a in node.names if a.name.startswith(name + ".")]
                targets += ["__init__" for a in node.names if a.name == name]
            found.update(t for t in targets if t in files and t != module)
        graph[module] = found
    return graph


def violations(root: Path) -> list[str]:
    """Every import against :data:`LAYERS` and every cycle between files, said one per line."""
    rank = {layer: index for index, group in enumerate(LAYERS) for layer in group}
    graph = imports(root)
    problems = [f"{m}: its layer {_layer(m)!r} is not in LAYERS" for m in graph if _layer(m) not in rank]
    for module, targets in sorted(graph.items()):
        for target in sorted(targets):
            mine, theirs = _layer(module), _layer(target)
            if mine == theirs or mine not in rank or theirs not in rank:
                continue
            if rank[theirs] < rank[mine]:
                problems.append(f"{module} imports {target}: {theirs!r} is a layer above {mine!r}")
            elif rank[theirs] == rank[mine]:
                problems.append(f"{module} imports {target}: {mine!r} and {theirs!r} are of one rank")
    problems += [f"import cycle among {', '.join(members)}" for members in cycles(graph)]
    return problems


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The modules of each strongly connected set of more than one module, sorted (Tarjan's algorithm,
    iteratively): each module of a set reaches every other through imports."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                members = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    members.append(member)
                    if member == node:
                        break
                if len(members) > 1:
                    found.append(sorted(members))
    return found


def test_the_package_keeps_its_layers() -> None:
    assert violations(PACKAGE) == []


def test_the_core_never_imports_pytest() -> None:
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        module = _module(path, PACKAGE)
        if _layer(module) not in CORE:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and not node.level and node.module:
                names = [node.module]
            if any(n == "pytest" or n.startswith(("pytest.", "_pytest")) for n in names):
                offenders.append(module)
    assert offenders == []


def test_every_file_of_the_package_is_in_a_layer() -> None:
    """A new top-level module or package must be given its place in LAYERS, not slip in unordered."""
    named = {layer for group in LAYERS for layer in group}
    present = {_layer(_module(p, PACKAGE)) for p in PACKAGE.rglob("*.py")}
    assert present == named


def test_the_readme_shows_the_order_the_code_holds() -> None:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## Architecture") :]
    line = re.search(r"^`__init__.*?`\.$", section, re.M | re.S)
    assert line is not None, "the Architecture section's order line is missing"
    ranks = [re.findall(r"[\w]+", group) for group in line.group(0).replace("\n", " ").split("→")]
    assert ranks == [list(group) for group in LAYERS]


@pytest.mark.parametrize(
    ("file", "added", "expected"),
    [
        (
            "emulator/store.py",
            "from pytest_connect_email.routing import intercept\n",
            "emulator.store imports routing.intercept: 'routing' is a layer above 'emulator'",
        ),
        (
            "contracts/spec.py",
            "def _late() -> None:\n    from pytest_connect_email.pytest import settings\n",
            "contracts.spec imports pytest.settings: 'pytest' is a layer above 'contracts'",
        ),
        (
            "routing/calls.py",
            "import typing\nif typing.TYPE_CHECKING:\n    from pytest_connect_email.cassettes import replay\n",
            "routing.calls imports cassettes.replay: 'routing' and 'cassettes' are of one rank",
        ),
        (
            "fakes/walk.py",
            "from pytest_connect_email.fakes import valid\n",
            "import cycle among fakes.repair, fakes.valid, fakes.walk",
        ),
    ],
)
def test_an_upward_import_or_a_cycle_is_caught(tmp_path: Path, file: str, added: str, expected: str) -> None:
    """The checker on a copy of the package with one import added: the import is named, with the layers."""
    copy = tmp_path / PACKAGE.name
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "schemas"))
    assert violations(copy) == []
    target = copy / file
    target.write_text(target.read_text(encoding="utf-8") + "\n" + added, encoding="utf-8")
    assert expected in violations(copy)
