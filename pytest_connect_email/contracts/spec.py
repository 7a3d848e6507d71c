"""The botocore ``connect`` service model: where it comes from, which operations we cover, shape helpers.

This is the only module that knows how the model is loaded. Everything else asks it for the
``ServiceModel``, an ``OperationModel`` or the botocore version, so a future change of source (a
vendored model, a newer loader API) touches one place.
"""

from __future__ import annotations

import contextlib
import difflib
import functools
import gzip
import json
import os
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from botocore.model import OperationModel, ServiceModel

SERVICE_NAME = "connect"

#: The operations the toolkit covers: the email family plus what a conformance run needs around it
#: (CreateContact: the documented way to make the outbound email contacts StartOutboundEmailContact and
#: UpdateOutboundEmailContactMessage act on).
OPERATIONS: tuple[str, ...] = (
    "StartEmailContact",
    "DisassociateEmailAddressAlias",
    "AssociateEmailAddressAlias",
    "CreateEmailAddress",
    "DescribeEmailAddress",
    "DeleteEmailAddress",
    "SearchEmailAddresses",
    "UpdateEmailAddressMetadata",
    "SendOutboundEmail",
    "StartOutboundEmailContact",
    "UpdateOutboundEmailContactMessage",
    "AssociateQueueEmailAddresses",
    "DisassociateQueueEmailAddresses",
    "ListQueueEmailAddresses",
    "UpdateQueueOutboundEmailConfig",
    "DescribeContact",
    "GetContactAttributes",
    "CreateContact",
    "CreateInstance",
    "DescribeInstance",
    "DeleteInstance",
    "ListInstances",
    "TagResource",
    "UntagResource",
    "ListTagsForResource",
    "CreateHoursOfOperation",
    "DescribeHoursOfOperation",
    "CreateQueue",
    "DescribeQueue",
    "ListQueues",
    "SearchQueues",
    "CreateContactFlow",
    "DescribeContactFlow",
    "AssociateFlow",
    "DisassociateFlow",
    "GetFlowAssociation",
    "ListFlowAssociations",
    "BatchGetFlowAssociation",
    "UpdateContact",
    "StopContact",
    "TransferContact",
    "ListAssociatedContacts",
    "ListContactReferences",
    "DeleteContactData",
    "StartAttachedFileUpload",
    "CompleteAttachedFileUpload",
    "GetAttachedFile",
    "BatchGetAttachedFileMetadata",
    "DeleteAttachedFile",
)


class UnknownOperationError(ValueError):
    """An operation name that the toolkit does not cover."""

    def __init__(self, name: object) -> None:
        self.name = name
        close = difflib.get_close_matches(str(name), OPERATIONS, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        super().__init__(
            f"unknown operation {name!r}.{hint} Known operations (PascalCase or boto3 snake_case): "
            + ", ".join(sorted(OPERATIONS))
        )


def _snake(name: str) -> str:
    out = []
    for i, ch in enumerate(name):
        if ch.isupper() and i:
            out.append("_")
        out.append(ch.lower())
    return "".join(out)


_BY_ALIAS: dict[str, str] = {alias: op for op in OPERATIONS for alias in (op, _snake(op))}


def resolve_operation(name: object) -> str:
    """Return the model name of ``name`` (``"StartEmailContact"`` or ``"start_email_contact"``)."""
    if isinstance(name, str):
        found = _BY_ALIAS.get(name)
        if found is not None:
            return found
    raise UnknownOperationError(name)


def snake_name(operation: str) -> str:
    """The boto3 method name of an operation (``StartEmailContact`` -> ``start_email_contact``)."""
    return _snake(resolve_operation(operation))


#: Environment variable naming another ``connect`` model to follow (a botocore wheel, an unpacked
#: botocore, or a botocore data directory); see :func:`load_model`.
MODEL_ENV = "CONNECT_EMAIL_MODEL"


class OperationNotInModelError(LookupError):
    """A covered operation that the model in use does not have (an older botocore)."""

    def __init__(self, operation: str, label: str) -> None:
        self.operation = operation
        #: The model's label, e.g. ``botocore 1.40.57``.
        self.label = label
        super().__init__(
            f"{operation} is not in {label}'s model; upgrade botocore to a release that has it "
            "(the toolkit's contracts follow the installed botocore)"
        )


class ModelSourceError(ValueError):
    """A model source (version, wheel or directory) that cannot be read."""


@dataclass(frozen=True, eq=False)
class Model:
    """One ``connect`` service model and where it came from."""

    service: ServiceModel
    #: The botocore release whose model this is (``"unknown"`` for a bare data directory).
    version: str
    #: Shown to users: ``"botocore 1.44.5"`` or ``"the model in /path"``.
    label: str
    #: ``"installed"`` for the installed botocore, else the path the model was read from.
    origin: str

    def has(self, operation: str) -> bool:
        return operation in self._names

    @functools.cached_property
    def _names(self) -> frozenset[str]:
        return frozenset(self.service.operation_names)

    @functools.cached_property
    def operations(self) -> tuple[str, ...]:
        """The covered operations this model has, in :data:`OPERATIONS` order."""
        return tuple(op for op in OPERATIONS if self.has(op))

    @functools.cached_property
    def missing(self) -> tuple[str, ...]:
        """The covered operations this model lacks."""
        return tuple(op for op in OPERATIONS if not self.has(op))

    def operation_model(self, name: str) -> OperationModel:
        op = resolve_operation(name)
        if not self.has(op):
            raise OperationNotInModelError(op, self.label)
        return self.service.operation_model(op)


def _service(data: Any) -> ServiceModel:
    from botocore.model import ServiceModel

    return ServiceModel(data, service_name=SERVICE_NAME)


@functools.cache
def installed_model() -> Model:
    """The installed botocore's ``connect`` model (loaded once per process)."""
    from botocore.loaders import create_loader

    data = create_loader().load_service_model(SERVICE_NAME, "service-2")
    version = botocore_version()
    return Model(_service(data), version, f"botocore {version}", "installed")


_WHEEL_VERSION = re.compile(r"botocore-([0-9][^-]*)-")
_PACKAGE_VERSION = re.compile(r"""^__version__\s*=\s*['"]([^'"]+)['"]""", re.MULTILINE)
_FETCH_HINT = "`pip download botocore==VERSION --no-deps -d DIR`, then pass DIR/botocore-VERSION-py3-none-any.whl"


def _too_large(what: str, *, decompressed: bool = False) -> ModelSourceError:
    from pytest_connect_email.limits import MAX_MODEL_BYTES

    return ModelSourceError(
        f"{what} is{' decompressed' if decompressed else ''} over {MAX_MODEL_BYTES:,} bytes (MAX_MODEL_BYTES; "
        "botocore's connect model is about 2 MB): pass botocore's own service-2.json, its .gz or a botocore wheel"
    )


def _read_file(path: Path) -> bytes:
    """The bytes of a model file: a regular file (never a FIFO or device, which could block) within the budget."""
    from pytest_connect_email.limits import MAX_MODEL_BYTES

    if not path.is_file():
        raise ModelSourceError(f"{path} is not a regular file; pass botocore's service-2.json[.gz]")
    with path.open("rb") as stream:
        raw = stream.read(MAX_MODEL_BYTES + 1)
    if len(raw) > MAX_MODEL_BYTES:
        raise _too_large(str(path))
    return raw


def _read_model_file(name: str, raw: bytes) -> Any:
    """The model document in ``raw`` (gzipped when ``name`` ends in ``.gz``), checked to be a model's shape:
    decompressed within :data:`~.limits.MAX_MODEL_BYTES`, nested within Python's recursion limit, its
    ``metadata``, ``operations`` and ``shapes`` objects and every shape it refers to defined."""
    import io

    from pytest_connect_email.limits import MAX_MODEL_BYTES

    if name.endswith(".gz"):
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(raw)) as stream:
                raw = stream.read(MAX_MODEL_BYTES + 1)
        except (OSError, EOFError) as exc:
            raise ModelSourceError(f"{name}: not a readable gzip file ({exc})") from None
        if len(raw) > MAX_MODEL_BYTES:
            raise _too_large(name, decompressed=True)
    try:
        data = json.loads(raw)
    except RecursionError:
        raise ModelSourceError(
            f"{name} nests too deep to read (a model nests a few levels); pass botocore's service-2.json"
        ) from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise ModelSourceError(f"{name} is not JSON: {exc}") from None
    _check_model(name, data)
    return data


def _check_model(name: str, data: Any) -> None:
    """Refuse a document botocore would read as an empty model or fail on later (a dangling reference)."""
    if not isinstance(data, dict):
        raise ModelSourceError(f"{name}: a model is a JSON object with metadata, operations and shapes")
    for field in ("metadata", "operations", "shapes"):
        if not isinstance(data.get(field), dict):
            raise ModelSourceError(
                f"{name}: {field!r} must be an object (it is {type(data.get(field)).__name__}); "
                "pass botocore's service-2.json"
            )
    shapes = data["shapes"]

    def refers(where: str, ref: Any) -> None:
        if not isinstance(ref, dict) or not isinstance(ref.get("shape"), str) or ref["shape"] not in shapes:
            target = ref.get("shape") if isinstance(ref, dict) else ref
            raise ModelSourceError(f"{name}: {where} refers to shape {target!r}, which the model does not define")

    for op_name, operation in data["operations"].items():
        if not isinstance(operation, dict):
            raise ModelSourceError(f"{name}: operations.{op_name} must be an object")
        for key in ("input", "output"):
            if key in operation:
                refers(f"operations.{op_name}.{key}", operation[key])
        for index, error in enumerate(operation.get("errors") or []):
            refers(f"operations.{op_name}.errors[{index}]", error)
    for shape_name, shape in shapes.items():
        if not isinstance(shape, dict) or not isinstance(shape.get("type"), str):
            raise ModelSourceError(f"{name}: shapes.{shape_name} must be an object with a type")
        members = shape.get("members", {})
        if not isinstance(members, dict):
            raise ModelSourceError(f"{name}: shapes.{shape_name}.members must be an object")
        for member, ref in members.items():
            refers(f"shapes.{shape_name}.members.{member}", ref)
        needs = {"list": ("member",), "map": ("key", "value")}.get(shape["type"], ())
        for key in ("member", "key", "value"):
            if key in shape or key in needs:
                refers(f"shapes.{shape_name}.{key}", shape.get(key))


def _newest(names: list[str]) -> str | None:
    """The newest API version's ``service-2`` file among ``names`` (paths ending in
    ``connect/<api-version>/service-2.json[.gz]``)."""
    found = [n for n in names if re.search(r"(^|/)connect/[^/]+/service-2\.json(\.gz)?$", n)]
    return max(found, key=lambda n: n.rsplit("/", 2)[-2]) if found else None


@functools.lru_cache(maxsize=8)
def _load_path(resolved: str) -> Model:
    from pytest_connect_email import limits

    path = Path(resolved)
    try:
        if path.is_file() and path.suffix == ".whl":
            with zipfile.ZipFile(path) as wheel:
                found = _newest(wheel.namelist())
                if found is None:
                    raise ModelSourceError(f"{path} has no botocore/data/connect model; is it a botocore wheel?")
                if wheel.getinfo(found).file_size > limits.MAX_MODEL_BYTES:
                    raise _too_large(f"{path}!{found}")
                with wheel.open(found) as member:  # the stated size may lie: read no more than the budget
                    raw = member.read(limits.MAX_MODEL_BYTES + 1)
                if len(raw) > limits.MAX_MODEL_BYTES:
                    raise _too_large(f"{path}!{found}")
                data = _read_model_file(found, raw)
            match = _WHEEL_VERSION.match(path.name)
            version = match.group(1) if match else "unknown"
            return Model(_service(data), version, f"botocore {version}", str(path))
        if path.is_file() and path.name.startswith("service-2.json"):
            data = _read_model_file(str(path), _read_file(path))
            return Model(_service(data), "unknown", f"the model in {path}", str(path))
        if path.is_dir():
            return _load_directory(path)
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, RuntimeError) as exc:
        if isinstance(exc, ModelSourceError):
            raise
        raise ModelSourceError(f"cannot read a connect model from {path}: {exc}") from None
    raise ModelSourceError(
        f"{path} is neither a botocore wheel, a service-2.json file nor a directory holding "
        f"connect/<api-version>/service-2.json; to get a botocore release without installing it: {_FETCH_HINT}"
    )


def _load_directory(path: Path) -> Model:
    candidates = [
        p.relative_to(path).as_posix()
        for pattern in (
            "connect/*/service-2.json*",
            "data/connect/*/service-2.json*",
            "botocore/data/connect/*/service-2.json*",
        )
        for p in path.glob(pattern)
    ]
    found = _newest(candidates)
    if found is None:
        raise ModelSourceError(
            f"{path} holds no connect model (looked for connect/<api-version>/service-2.json[.gz], also under "
            f"data/ and botocore/data/); pass a botocore wheel, an unpacked botocore, or a botocore data directory"
        )
    data = _read_model_file(str(path / found), _read_file(path / found))
    # An unpacked botocore (or a folder holding one) says its version in botocore/__init__.py.
    package = {"connect": path.parent if path.name == "data" else None, "data": path, "botocore": path / "botocore"}
    root = package[found.split("/", 1)[0]]
    init = root / "__init__.py" if root is not None else None
    match = _PACKAGE_VERSION.search(init.read_text(encoding="utf-8")) if init and init.is_file() else None
    version = match.group(1) if match else "unknown"
    label = f"botocore {version}" if version != "unknown" else f"the model in {path}"
    return Model(_service(data), version, label, str(path))


def load_model(source: str | Path | None = None) -> Model:
    """A ``connect`` model: ``None`` (or the installed version's number) is the installed botocore's;
    else a botocore wheel (``.whl``), an unpacked botocore, a botocore data directory (holding
    ``connect/<api-version>/service-2.json[.gz]``) or a ``service-2.json`` file. No network: a release
    that is not installed must be downloaded first (``pip download botocore==X --no-deps -d DIR``)."""
    if source is None or str(source) == botocore_version():
        return installed_model()
    path = Path(source).expanduser()
    if not path.exists():
        if re.fullmatch(r"[0-9]+(\.[0-9]+)*", str(source)):
            raise ModelSourceError(
                f"botocore {source} is not installed here (the installed one is {botocore_version()}) and the "
                f"toolkit never downloads; fetch it with {_FETCH_HINT.replace('VERSION', str(source))}"
            )
        raise ModelSourceError(f"{path}: no such file or directory")
    return _load_path(str(path.resolve()))


_override: list[Model] = []


def model_choice() -> Model | str | None:
    """What :func:`model` will return, without loading anything: a :class:`Model` set by
    :func:`use_model`, the ``$CONNECT_EMAIL_MODEL`` source, or ``None`` for the installed botocore's."""
    if _override:
        return _override[-1]
    return os.environ.get(MODEL_ENV) or None


def model() -> Model:
    """The model in use: the one :func:`use_model` set, else ``$CONNECT_EMAIL_MODEL``, else the installed
    botocore's. Everything (contracts, fakes, emulator) follows it."""
    if _override:
        return _override[-1]
    return load_model(os.environ.get(MODEL_ENV) or None)


@contextlib.contextmanager
def use_model(source: str | Path | Model | None) -> Iterator[Model]:
    """Follow another model inside a ``with`` block (tests, tools comparing releases)."""
    chosen = source if isinstance(source, Model) else load_model(source)
    _override.append(chosen)
    try:
        yield chosen
    finally:
        _override.remove(chosen)


def service_model() -> ServiceModel:
    """The ``ServiceModel`` in use (see :func:`model`)."""
    return model().service


def available(name: str) -> bool:
    """Whether a covered operation is in the model in use."""
    return model().has(resolve_operation(name))


def operation_model(name: str) -> OperationModel:
    """The botocore ``OperationModel`` of a covered operation; :class:`OperationNotInModelError` when
    the model in use does not have it."""
    return model().operation_model(name)


def botocore_version() -> str:
    """Version of the installed botocore."""
    import botocore

    return str(botocore.__version__)
