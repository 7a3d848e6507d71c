"""Which contracts are active: the one place that decides, for the validator, fakes, strategies,
checked clients, cassette lint and the emulator alike.

The active contracts are those of the model in use (:func:`pytest_connect_email.contracts.spec.model`: the
installed botocore's unless a test or ``$CONNECT_EMAIL_MODEL`` says otherwise). In order:

1. ``$CONNECT_EMAIL_SCHEMA_DIR`` names a directory of generated contracts: those, as they are.
2. The model is botocore's at the version the committed snapshot (``schemas/``) was generated from:
   the snapshot.
3. The installed botocore at another version: contracts generated from its model, cached per botocore
   version (and generator) in the user's cache directory. Each cached file is checked against the
   SHA-256 its manifest records; a file that fails (or a manifest that cannot be read) is regenerated,
   never trusted. When the cache cannot be written the contracts stay in memory.
4. Any other model (a wheel or data directory): generated in memory, one operation on first use.

Why a cache for the installed botocore: a cached file reads in about 0.3 ms, while generating needs
the ``connect`` model, whose load alone takes 150-400 ms (generating one operation from a loaded model
takes about 1 ms); ``benchmarks/bench_validate.py`` prints both.

A covered operation that the model lacks (an older botocore) is reported as
:class:`~pytest_connect_email.contracts.spec.OperationNotInModelError` ("X is not in botocore V's model"),
never as a missing file.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pytest_connect_email.contracts import spec

JSONSchema = dict[str, Any]
Kind = Literal["snapshot", "directory", "cache", "memory"]

#: Environment variable that points the validator at a directory of generated contracts.
SCHEMA_DIR_ENV = "CONNECT_EMAIL_SCHEMA_DIR"
INDEX_FILE = "index.json"
MANIFEST_FILE = "manifest.json"


class ContractCacheWarning(UserWarning):
    """A cached contract file was corrupt and has been regenerated."""


def snapshot_dir() -> Path:
    """The committed snapshot: the copy a wheel carries inside the package, else the top-level
    ``schemas/`` of a source checkout (editable installs)."""
    package = Path(__file__).resolve().parent.parent
    packaged = package / "schemas"
    if (packaged / INDEX_FILE).is_file():
        return packaged
    return package.parent / "schemas"


def checkout_root() -> Path | None:
    """The root of a source checkout of this project that the package is imported from, if any."""
    root = Path(__file__).resolve().parent.parent.parent
    if (root / "pyproject.toml").is_file() and (root / ".git").exists() and (root / "schemas").is_dir():
        return root
    return None


def _load_json(path: Path) -> Any:
    with path.open(encoding="utf-8") as fh:
        return json.load(fh)


def _read_file(path: Path) -> JSONSchema:
    try:
        data: JSONSchema = _load_json(path)
    except FileNotFoundError:
        raise FileNotFoundError(
            f"contract file {path} is missing; run `connect-email schemas generate --dir {path.parent}` "
            "to write the contracts"
        ) from None
    except json.JSONDecodeError as exc:
        raise ValueError(
            f"contract file {path} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); "
            "run `connect-email schemas generate` to rewrite it"
        ) from None
    return data


@functools.cache
def snapshot_version() -> str | None:
    """The botocore version the committed snapshot was generated from."""
    try:
        version = _load_json(snapshot_dir() / INDEX_FILE).get("x-botocore-version")
    except (OSError, ValueError, AttributeError):
        return None
    return version if isinstance(version, str) else None


def _generator_fingerprint() -> str:
    """Changes whenever the generator does, so a cache never outlives the code that wrote it."""
    from pytest_connect_email._version import __version__
    from pytest_connect_email.contracts import rules, schemagen

    digest = hashlib.sha256(Path(schemagen.__file__).read_bytes())
    digest.update(Path(rules.__file__).read_bytes())  # the documented rules the generator adds
    digest.update(" ".join(spec.OPERATIONS).encode())  # which operations get contracts
    digest.update(__version__.encode())
    return digest.hexdigest()[:12]


def cache_root() -> Path:
    """Where generated contracts are cached: the user's cache directory (platformdirs)."""
    import platformdirs

    return Path(platformdirs.user_cache_dir("pytest-connect-email")) / "contracts"


def _sha(text: bytes) -> str:
    return hashlib.sha256(text).hexdigest()


@dataclass(eq=False)
class Contracts:
    """One set of contracts: where they come from and how to read them. Compared by identity, so the
    validator can cache compiled schemas per set."""

    kind: Kind
    #: ``"botocore 1.44.8"``, or the directory for ``kind == "directory"``.
    label: str
    #: The botocore release the contracts follow (as stamped in the files).
    version: str
    model: spec.Model | None = None
    directory: Path | None = None
    _docs: dict[str, JSONSchema] = field(default_factory=dict, repr=False)
    _manifest: dict[str, Any] | None = field(default=None, repr=False)

    # -- which operations ----------------------------------------------------------------------------

    @functools.cached_property
    def _index(self) -> dict[str, list[str]]:
        if self.model is not None:
            return {op: _files_of(self.model, op) for op in self.model.operations}
        assert self.directory is not None
        operations = _read_file(self.directory / INDEX_FILE).get("operations")
        return dict(operations) if isinstance(operations, dict) else {}

    @property
    def operations(self) -> tuple[str, ...]:
        """The covered operations these contracts have."""
        return tuple(op for op in spec.OPERATIONS if op in self._index)

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(op for op in spec.OPERATIONS if op not in self._index)

    def has(self, operation: str) -> bool:
        return spec.resolve_operation(operation) in self._index

    def require(self, operation: str) -> str:
        """The model name of ``operation``; :class:`~pytest_connect_email.contracts.spec.OperationNotInModelError`
        when these contracts do not have it."""
        name = spec.resolve_operation(operation)
        if name not in self._index:
            raise spec.OperationNotInModelError(name, self.label)
        return name

    def files(self, operation: str) -> list[str]:
        return self._index[self.require(operation)]

    def error_codes(self, operation: str) -> tuple[str, ...]:
        name = self.require(operation)
        prefix = f"{name}/errors/"
        return tuple(f[len(prefix) : -len(".json")] for f in self._index[name] if f.startswith(prefix))

    # -- reading -------------------------------------------------------------------------------------

    def read(self, relative: str) -> JSONSchema:
        """One contract file (``StartEmailContact/request.json``) as a dict (do not mutate it)."""
        found = self._docs.get(relative)
        if found is None:
            self.require(relative.split("/", 1)[0])
            found = self._load(relative)
            self._docs[relative] = found
        return found

    def _load(self, relative: str) -> JSONSchema:
        if self.kind == "memory":
            assert self.model is not None
            operation = relative.split("/", 1)[0]
            fresh = _generate_operation(self.model, operation, self.version)
            self._docs.update(fresh)
            return fresh[relative]
        assert self.directory is not None
        path = self.directory / relative
        if self.kind != "cache":
            return _read_file(path)
        expected = (self._manifest or {}).get("files", {}).get(relative)
        try:
            raw = path.read_bytes()
            if _sha(raw) != expected:
                raise ValueError("its SHA-256 differs from the manifest's")
            data: JSONSchema = json.loads(raw)
        except (OSError, ValueError) as exc:
            warnings.warn(
                f"cached contract {path} was unreadable or corrupt ({exc}); regenerated it from {self.label}'s model",
                ContractCacheWarning,
                stacklevel=2,
            )
            self._manifest = _write_cache(self.model or spec.installed_model(), self.directory)
            return _read_file(path)
        return data

    # -- compared with the snapshot ------------------------------------------------------------------

    @functools.cached_property
    def changed_operations(self) -> tuple[str, ...]:
        """The covered operations whose contracts differ from the committed snapshot's (version stamp
        aside), including those these contracts lack."""
        if self.kind == "snapshot":
            return ()
        if self.kind == "cache" and self._manifest is not None and "changed" in self._manifest:
            return tuple(self._manifest["changed"])
        if self.model is not None:
            return _changed(self.model)
        assert self.directory is not None
        return _changed_files({rel: _read_text(self.directory, rel) for rel in _relatives(self.directory)})

    def describe(self) -> str:
        """One line for the pytest report header and ``schemas check``."""
        snap = snapshot_version() or "?"
        where = {
            "snapshot": "the committed snapshot",
            "cache": f"generated from its model, cached in {self.directory}",
            "memory": "generated from its model in memory",
            "directory": f"read from ${SCHEMA_DIR_ENV}",
        }[self.kind]
        if self.kind == "snapshot":
            return f"contracts of {self.label}: the committed snapshot"
        changed = self.changed_operations
        diff = (
            f"same as the snapshot (botocore {snap})"
            if not changed
            else f"differ from the snapshot (botocore {snap}) in {len(changed)} operation(s): {', '.join(changed)}"
        )
        missing = f"; not in this model: {', '.join(self.missing)}" if self.missing else ""
        return f"contracts of {self.label} ({where}); {diff}{missing}"


def _files_of(model: spec.Model, operation: str) -> list[str]:
    op = model.operation_model(operation)
    return sorted(
        [f"{operation}/request.json", f"{operation}/response.json"]
        + [f"{operation}/errors/{e.name}.json" for e in op.error_shapes]
    )


def _generate_operation(model: spec.Model, operation: str, version: str) -> dict[str, JSONSchema]:
    from pytest_connect_email.contracts import schemagen

    return schemagen.operation_schemas(model.operation_model(operation), version)


def _relatives(directory: Path | None) -> list[str]:
    if directory is None or not directory.is_dir():
        return []
    return [p.relative_to(directory).as_posix() for p in sorted(directory.rglob("*.json")) if p.name != MANIFEST_FILE]


def _read_text(directory: Path | None, relative: str) -> str:
    assert directory is not None
    return (directory / relative).read_text(encoding="utf-8")


def _changed_files(files: dict[str, str]) -> tuple[str, ...]:
    """Covered operations whose files differ from the snapshot's once the version stamp is aligned."""
    snap = snapshot_version()
    snapshot = {rel: _read_text(snapshot_dir(), rel) for rel in _relatives(snapshot_dir())}
    mine_version = _stamp(files)
    changed: set[str] = set()
    for relative in set(snapshot) | set(files):
        if relative == INDEX_FILE:
            continue
        mine = files.get(relative)
        if mine is not None and snap and mine_version:
            mine = mine.replace(f"botocore {mine_version} ", f"botocore {snap} ").replace(
                f'"x-botocore-version": "{mine_version}"', f'"x-botocore-version": "{snap}"'
            )
        if mine != snapshot.get(relative):
            changed.add(relative.split("/", 1)[0])
    return tuple(op for op in spec.OPERATIONS if op in changed)


def _stamp(files: dict[str, str]) -> str | None:
    index = files.get(INDEX_FILE)
    if index is None:
        return None
    version = json.loads(index).get("x-botocore-version")
    return version if isinstance(version, str) else None


def _changed(model: spec.Model) -> tuple[str, ...]:
    from pytest_connect_email.contracts import schemagen

    return _changed_files(schemagen.generate(model=model))


def _write_cache(model: spec.Model, directory: Path) -> dict[str, Any]:
    """Generate every contract of ``model`` into ``directory`` (replaced whole, atomically)."""
    from pytest_connect_email.contracts import schemagen

    files = schemagen.generate(model=model)
    manifest: dict[str, Any] = {
        "botocore": model.version,
        "generator": _generator_fingerprint(),
        "files": {rel: _sha(text.encode("utf-8")) for rel, text in files.items()},
        "changed": list(_changed_files(files)),
    }
    directory.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=directory.name + ".", dir=directory.parent))
    try:
        for relative, text in files.items():
            target = staging / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        (staging / MANIFEST_FILE).write_text(json.dumps(manifest, indent=1), encoding="utf-8")
        if directory.exists():
            shutil.rmtree(directory, ignore_errors=True)
        try:
            staging.rename(directory)
        except OSError:  # another process won the race: its files are as good as ours
            shutil.rmtree(staging, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return manifest


def _cached(version: str) -> Contracts:
    """The installed botocore's contracts from the user cache (written on a miss). Reading the cache
    needs no model: the model is loaded only to (re)generate."""
    directory = cache_root() / f"botocore-{version}-{_generator_fingerprint()}"
    label = f"botocore {version}"
    manifest: dict[str, Any] | None
    try:
        manifest = _load_json(directory / MANIFEST_FILE)
        if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), dict):
            raise ValueError("not a manifest")
        if not (directory / INDEX_FILE).is_file() or manifest["files"].get(INDEX_FILE) != _sha(
            (directory / INDEX_FILE).read_bytes()
        ):
            raise ValueError("index does not match the manifest")
    except (OSError, ValueError):
        manifest = None
    if manifest is None:
        try:
            manifest = _write_cache(spec.installed_model(), directory)
        except OSError:
            return Contracts("memory", label, version, model=spec.installed_model())
    return Contracts("cache", label, version, directory=directory, _manifest=manifest)


_ACTIVE: dict[tuple[str, object], Contracts] = {}


def contracts() -> Contracts:
    """The active contracts (decided once per process and model; see the module docstring). Deciding
    loads no model when the snapshot or the cache serves."""
    override = os.environ.get(SCHEMA_DIR_ENV) or ""
    choice = spec.model_choice()
    key = (override, choice if not isinstance(choice, spec.Model) else id(choice))
    found = _ACTIVE.get(key)
    if found is None:
        found = _ACTIVE[key] = _decide(override, choice)
    return found


def _decide(override: str, choice: spec.Model | str | None) -> Contracts:
    if override:
        directory = Path(override)
        return Contracts("directory", str(directory), _directory_version(directory), directory=directory)
    snap = snapshot_version()
    if choice is None:  # the installed botocore
        version = spec.botocore_version()
        if version == snap:
            return Contracts("snapshot", f"botocore {version}", version, directory=snapshot_dir())
        return _cached(version)
    model = choice if isinstance(choice, spec.Model) else spec.load_model(choice)
    if model.origin == "installed":
        return contracts_for_installed()
    if model.version == snap and model.version != "unknown":
        return Contracts("snapshot", model.label, model.version, directory=snapshot_dir())
    return Contracts("memory", model.label, model.version, model=model)


def contracts_for_installed() -> Contracts:
    """The installed botocore's contracts, whatever model is in use."""
    version = spec.botocore_version()
    if version == snapshot_version():
        return Contracts("snapshot", f"botocore {version}", version, directory=snapshot_dir())
    return _cached(version)


def _directory_version(directory: Path) -> str:
    try:
        version = _load_json(directory / INDEX_FILE).get("x-botocore-version")
    except (OSError, ValueError, AttributeError):
        return "unknown"
    return version if isinstance(version, str) else "unknown"


def for_source(source: str | Path) -> Contracts:
    """Contracts from a source given on a command line: ``snapshot``, ``installed``, a botocore version
    that is installed, a wheel, a botocore (data) directory, or a directory of generated contracts."""
    text = str(source)
    if text == "snapshot":
        return Contracts(
            "directory",
            f"the snapshot (botocore {snapshot_version()})",
            snapshot_version() or "?",
            directory=snapshot_dir(),
        )
    if text == "installed":
        return Contracts(
            "memory", spec.installed_model().label, spec.installed_model().version, model=spec.installed_model()
        )
    path = Path(text).expanduser()
    if path.is_dir() and (path / INDEX_FILE).is_file():
        return Contracts("directory", str(path), _directory_version(path), directory=path)
    try:
        model = spec.load_model(source)
    except spec.ModelSourceError as exc:
        if path.is_dir():
            raise spec.ModelSourceError(
                f"{exc}; nor does it hold generated contracts ({INDEX_FILE} is missing: write them with "
                f"`connect-email schemas generate --dir {path}`)"
            ) from None
        raise
    return Contracts("memory", model.label, model.version, model=model)


def report_header() -> str:
    """The pytest report header's line: whose contracts are active and how they compare with the snapshot."""
    try:
        return "connect-email: " + contracts().describe()
    except (OSError, ValueError) as exc:  # a broken $CONNECT_EMAIL_SCHEMA_DIR or model: say so, do not crash
        return f"connect-email: contracts unavailable: {exc}"
