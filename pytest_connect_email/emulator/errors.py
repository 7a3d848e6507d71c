"""Errors the emulator answers with.

Two families, as in LocalStack's protocol layer:

- :class:`ServiceError` — a modelled service error (``ResourceNotFoundException``, ...). Its HTTP
  status comes from the error shape in botocore's model when the shape exists; otherwise from
  :data:`UNMODELLED_STATUS` (the AWS common errors of JSON protocols).
- :class:`ProtocolError` — the request could not be read at all (malformed JSON, invalid UTF-8, a
  value of the wrong type in the query string, an unknown path). Always a 4xx.

The backend raises these with plain messages; the codec turns them into HTTP answers.
"""

from __future__ import annotations

#: Status codes of errors that no connect error shape carries.
UNMODELLED_STATUS: dict[str, int] = {
    "InvalidSignatureException": 403,
    "UnrecognizedClientException": 403,
    "MissingAuthenticationTokenException": 403,
    "SerializationException": 400,
    "UnknownOperationException": 400,
    "RequestEntityTooLargeException": 413,
}


class ServiceError(Exception):
    """An error answer: its code (the error shape name) and a message naming what went wrong."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class ProtocolError(ServiceError):
    """The request could not be decoded; answered before any operation runs."""

    def __init__(self, message: str, code: str = "SerializationException") -> None:
        super().__init__(code, message)


def not_found(kind: str, ident: str) -> ServiceError:
    return ServiceError("ResourceNotFoundException", f"{kind} {ident!r} does not exist")
