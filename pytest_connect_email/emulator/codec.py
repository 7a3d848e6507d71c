"""Server-side rest-json codec driven by botocore's operation models.

``parse_request`` reads an operation's input members from where the model binds them — the URI
labels, the query string, headers and the JSON body — converting by shape type.
``serialize_response`` writes output members back the same way (header-bound members to headers, a
``statusCode`` member to the status, the rest to a JSON body, timestamps as epoch seconds) and
``serialize_error`` writes errors as botocore's rest-json parser reads them: the code in the
``x-amzn-ErrorType`` header and in the body's ``__type``, the message in ``Message`` (or the error
shape's own ``message`` member), the status from the error shape. :func:`with_request_id` gives an
answer the ``x-amzn-RequestId`` header AWS puts on every answer (botocore reads it into
``ResponseMetadata.RequestId``).

No operation is parsed by hand: everything here dispatches on shape types and location traits.
Values the model cannot read (malformed JSON, invalid UTF-8, a non-number in an integer query
parameter) raise :class:`~.errors.ProtocolError`; values that parse but break the contract are the
service layer's business (it validates with :mod:`pytest_connect_email.contracts.validator`).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pytest_connect_email import limits
from pytest_connect_email.emulator.errors import UNMODELLED_STATUS, ProtocolError, ServiceError

if TYPE_CHECKING:
    from botocore.model import OperationModel, ServiceModel, Shape


@dataclass
class HttpRequest:
    """A request as both transports hand it over: raw path, decoded query pairs, headers, body."""

    method: str
    raw_path: str
    query: list[tuple[str, str]] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    #: The raw query string as sent (signature checks need it verbatim).
    raw_query: str = ""
    host: str = "localhost"
    _lowered: dict[str, str] | None = field(default=None, repr=False, compare=False)

    def header(self, name: str) -> str | None:
        if self._lowered is None:
            self._lowered = {key.lower(): value for key, value in self.headers.items()}
        return self._lowered.get(name.lower())


@dataclass
class HttpResponse:
    status: int
    headers: dict[str, str]
    body: bytes


#: The header AWS answers every request with: a UUID naming the request (botocore: ``ResponseMetadata.RequestId``).
REQUEST_ID = "x-amzn-RequestId"


def new_request_id() -> str:
    return str(uuid.uuid4())


def with_request_id(response: HttpResponse) -> HttpResponse:
    """``response`` with an ``x-amzn-RequestId`` header: its own (any case) if it has one, else a new UUID."""
    headers = response.headers
    if REQUEST_ID not in headers and not any(key.lower() == "x-amzn-requestid" for key in headers):
        headers[REQUEST_ID] = new_request_id()
    return response


# -- reading ---------------------------------------------------------------------------------------


def _scalar(shape: Shape, text: str, where: str) -> Any:
    text = str(text)  # a request built in-process may carry a number where the wire has its digits
    kind = shape.type_name
    if kind in ("integer", "long", "float", "double") and not (text.isascii() and len(text) <= limits.MAX_INT_DIGITS):
        # int() and float() also read other scripts' digits ("٣" is 3) and any length: the wire has ASCII only.
        raise ProtocolError(
            f"{where}: expected a number of ASCII digits (at most {limits.MAX_INT_DIGITS}, MAX_INT_DIGITS) for "
            f"{shape.name}, got {text[:40]!r}"
        )
    try:
        if kind in ("integer", "long"):
            return int(text)
        if kind in ("float", "double"):
            return float(text)
    except ValueError:
        raise ProtocolError(f"{where}: expected a whole number for {shape.name}, got {text!r}") from None
    if kind == "boolean":
        if text.lower() not in ("true", "false"):
            raise ProtocolError(f"{where}: expected true or false, got {text!r}")
        return text.lower() == "true"
    if kind == "timestamp":
        try:
            return float(text)
        except ValueError:
            return text  # ISO 8601: the contract's date-time format judges it
    return text


def _decode_body(request: HttpRequest) -> dict[str, Any]:
    if not request.body.strip():
        return {}
    try:
        text = request.body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProtocolError(f"the request body is not valid UTF-8 (byte {exc.start})") from None
    document = read_json(text, "the request body")
    if not isinstance(document, dict):
        raise ProtocolError(f"the request body must be a JSON object, not a JSON {type(document).__name__}")
    return document


def read_json(text: str, what: str) -> Any:
    """JSON text as data, within the budgets of :mod:`pytest_connect_email.limits`; anything else is a
    :class:`ProtocolError` naming the problem (the limit, or where the JSON breaks)."""
    try:
        document = limits.loads(text, what)
        limits.check_document(document, what)
    except limits.LimitExceeded as exc:
        where = f" (at {exc.where})" if exc.where else ""
        raise ProtocolError(f"{exc.message}{where}; limit {exc.limit} of pytest_connect_email.limits") from None
    except json.JSONDecodeError as exc:
        raise ProtocolError(f"{what} is not JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}") from None
    except ValueError as exc:  # a literal Python refuses to read
        raise ProtocolError(f"{what} is not readable JSON: {exc}") from None
    return document


def parse_request(op: OperationModel, request: HttpRequest, labels: Mapping[str, str]) -> dict[str, Any]:
    """The operation's parameters (boto3 form) read from an HTTP request."""
    shape = op.input_shape
    params: dict[str, Any] = {}
    if shape is None:
        return params
    body_members = {}
    for name, member in shape.members.items():
        location = member.serialization.get("location")
        wire = member.serialization.get("name", name)
        if location == "uri":
            if wire in labels:
                params[name] = _scalar(member, labels[wire], f"URI label {wire}")
        elif location == "querystring":
            values = [v for k, v in request.query if k == wire]
            if member.type_name == "list":
                if values:
                    params[name] = [_scalar(member.member, v, f"query parameter {wire}") for v in values]
            elif member.type_name == "map":
                params[name] = dict(request.query)
            elif values:
                params[name] = _scalar(member, values[-1], f"query parameter {wire}")
        elif location == "header":
            value = request.header(wire)
            if value is not None:
                params[name] = (
                    read_json(_base64_text(value, f"header {wire}"), f"header {wire}")
                    if member.serialization.get("jsonvalue")
                    else (_scalar(member, value, f"header {wire}"))
                )
        elif location == "headers":
            prefix = wire.lower()
            found = {k[len(prefix) :]: v for k, v in request.headers.items() if k.lower().startswith(prefix)}
            if found:
                params[name] = found
        else:
            body_members[wire] = name
    if body_members or request.body.strip():
        document = _decode_body(request)
        for key, value in document.items():
            name = body_members.get(key, key)
            if name in shape.members and key not in body_members:
                # rest-json reads a URI label, query parameter or header only from its place, never the body
                where = shape.members[name].serialization.get("location")
                raise ProtocolError(f"{name} is bound to the request's {where}; it cannot be sent in the body")
            # Unknown body members are kept: the contract reports them with the field's name.
            params[name] = value
    return params


def _base64_text(value: str, where: str) -> str:
    try:
        return base64.b64decode(value, validate=True).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        raise ProtocolError(f"{where}: expected base64-encoded UTF-8 JSON") from None


# -- writing ---------------------------------------------------------------------------------------


def _wire_value(shape: Shape | None, value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.timestamp()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if shape is None:
        return value
    if shape.type_name == "structure" and isinstance(value, Mapping):
        members = shape.members
        return {
            members[k].serialization.get("name", k) if k in members else k: _wire_value(members.get(k), v)
            for k, v in value.items()
            if v is not None
        }
    if shape.type_name == "list" and isinstance(value, list):
        return [_wire_value(shape.member, v) for v in value]
    if shape.type_name == "map" and isinstance(value, Mapping):
        return {k: _wire_value(shape.value, v) for k, v in value.items()}
    return value


def _json(document: Any) -> bytes:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def serialize_response(op: OperationModel, result: Mapping[str, Any]) -> HttpResponse:
    status = int(op.http.get("responseCode") or 200)
    headers = {"Content-Type": "application/json"}
    body: dict[str, Any] = {}
    shape = op.output_shape
    members = shape.members if shape is not None else {}
    for name, value in result.items():
        if value is None:
            continue
        member = members.get(name)
        location = member.serialization.get("location") if member is not None else None
        if location == "header" and member is not None:
            headers[member.serialization.get("name", name)] = str(_wire_value(member, value))
        elif location == "statusCode":
            status = int(value)
        else:
            wire = member.serialization.get("name", name) if member is not None else name
            body[wire] = _wire_value(member, value)
    return HttpResponse(status, headers, _json(body))


def error_status(model: ServiceModel, code: str) -> int:
    """The HTTP status of an error code: the model's error shape, else the AWS common errors."""
    if code in UNMODELLED_STATUS:
        return UNMODELLED_STATUS[code]
    try:
        shape = model.shape_for(code)
    except Exception:  # botocore raises NoShapeFoundError, which it does not export stably
        return 400
    return int(shape.metadata.get("error", {}).get("httpStatusCode", 400))


def serialize_error(model: ServiceModel, error: ServiceError) -> HttpResponse:
    status = error_status(model, error.code)
    body: dict[str, Any] = {"__type": error.code, "Message": error.message}
    try:
        members = model.shape_for(error.code).members
    except Exception:  # an unmodelled (common) error: Message is what boto3 reads
        members = {}
    if "message" in members and "Message" not in members:
        body = {"__type": error.code, "message": error.message}
    headers = {"Content-Type": "application/json", "x-amzn-ErrorType": error.code}
    return HttpResponse(status, headers, _json(body))
