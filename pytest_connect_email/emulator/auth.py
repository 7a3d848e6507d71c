"""SigV4 verification with botocore's own signer.

The expected signature is computed by ``botocore.auth.SigV4Auth`` over the request as received (handed
to it as the few attributes it reads, without building and preparing a botocore ``AWSRequest``):
only the headers the client says it signed (``SignedHeaders``), the raw path and query string, the
client's ``X-Amz-Date``, and the body's SHA-256 — hashed here when the client sends no
``x-amz-content-sha256`` header (the AWS CLI v1 sends none), and checked against the header when it
does. A missing or wrong signature answers 403 ``InvalidSignatureException``.

Verification is a pure function of the access key, its secret, the ``Authorization`` header, the
method, the raw path and query, the values of the signed headers and the body's SHA-256. An SDK repeats
one signature for as long as its ``X-Amz-Date`` second lasts, so the last ``_VERIFIED_SIZE`` accepted
requests are remembered by exactly those inputs (never fewer): an identical request is accepted without
recomputing the canonical request. Anything that differs in one of them is verified afresh.

An access key the emulator does not know is accepted unless ``strict`` is asked for (then it answers
403 ``UnrecognizedClientException``, as AWS JSON services do): the code under test signs with
whatever its environment holds (moto's ``FOOBARKEY``, a CI's real-looking keys, a subprocess's
``testing``), and the emulator cannot know that secret. Keys it knows are always verified.

:func:`check_scope` adds what AWS checks besides the signature: the scope's region and service, and
a clock skew of at most 15 minutes (403 ``InvalidSignatureException`` with AWS's messages).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import os
import re
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from botocore.auth import SigV4Auth
from botocore.compat import HTTPHeaders
from botocore.credentials import Credentials

from pytest_connect_email import limits
from pytest_connect_email.emulator.codec import HttpRequest
from pytest_connect_email.emulator.errors import ServiceError

DEFAULT_CREDENTIALS = ("testing", "testing")
SERVICE = "connect"

_AUTH = re.compile(
    r"AWS4-HMAC-SHA256\s+Credential=(?P<key>[^/,\s]+)/(?P<date>\d{8})/(?P<region>[^/]+)/(?P<service>[^/]+)/aws4_request"
    r"\s*,\s*SignedHeaders=(?P<signed>[^,\s]+)\s*,\s*Signature=(?P<signature>[0-9a-f]{64})"
)


def default_credentials(
    extra: Iterable[tuple[str, str]] = (), environ: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The emulator's credentials: the environment's pair (else testing/testing) plus ``extra``."""
    env = os.environ if environ is None else environ
    key, secret = env.get("AWS_ACCESS_KEY_ID"), env.get("AWS_SECRET_ACCESS_KEY")
    pairs = dict([(key, secret)] if key and secret else [DEFAULT_CREDENTIALS])
    pairs.update(extra)
    return pairs


@dataclass
class _Received:
    """What ``SigV4Auth`` reads of a request (``method``, ``url``, ``headers``, ``params``, ``body``,
    ``context``), as received: the signer needs no prepared ``AWSRequest``."""

    method: str
    url: str
    headers: Any
    body: bytes
    context: dict[str, Any]
    params: dict[str, str] = field(default_factory=dict)


@functools.lru_cache(maxsize=64)
def _signer(key: str, secret: str, region: str) -> SigV4Auth:
    """botocore's signer for one key and region (it builds the canonical request and string to sign)."""
    return SigV4Auth(Credentials(key, secret), SERVICE, region)


@functools.lru_cache(maxsize=64)
def _signing_key(secret: str, date: str, region: str) -> bytes:
    """The SigV4 signing key of a secret, day and region: the same all day, so derived once (as AWS SDKs
    cache it) instead of with four HMACs per request."""
    derived = f"AWS4{secret}".encode()
    for part in (date, region, SERVICE, "aws4_request"):
        derived = hmac.new(derived, part.encode(), hashlib.sha256).digest()
    return derived


#: How many accepted signatures :class:`_Verified` remembers.
_VERIFIED_SIZE = 256


class _Verified:
    """The inputs of the last ``size`` accepted signatures, least recently used dropped first."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._seen: OrderedDict[tuple[object, ...], None] = OrderedDict()
        self._lock = threading.Lock()

    def __contains__(self, inputs: tuple[object, ...]) -> bool:
        with self._lock:
            if inputs not in self._seen:
                return False
            self._seen.move_to_end(inputs)
            return True

    def add(self, inputs: tuple[object, ...]) -> None:
        with self._lock:
            self._seen[inputs] = None
            self._seen.move_to_end(inputs)
            while len(self._seen) > self._size:
                self._seen.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._seen.clear()


_verified = _Verified(_VERIFIED_SIZE)


def _denied(message: str) -> ServiceError:
    return ServiceError("InvalidSignatureException", message)


def verify(request: HttpRequest, credentials: Mapping[str, str], *, strict: bool = True) -> str:
    """Check the request's SigV4 signature; return the access key id that signed it.

    ``strict=False`` accepts a well-formed signature by a key it does not know without checking it.
    """
    header = request.header("Authorization")
    if not header:
        raise _denied("the request is not signed: an Authorization header with a SigV4 signature is required")
    found = _AUTH.fullmatch(header.strip())
    if found is None:
        raise _denied("the Authorization header is not a well-formed AWS4-HMAC-SHA256 signature")
    key = found.group("key")
    if key not in credentials and strict:
        raise ServiceError("UnrecognizedClientException", "The security token included in the request is invalid.")
    if found.group("service") != SERVICE:
        raise _denied(f"the credential scope names service {found.group('service')!r}, expected {SERVICE!r}")
    if key not in credentials:
        return key
    stamp = request.header("X-Amz-Date")
    if not stamp or not stamp.startswith(found.group("date")):
        raise _denied("X-Amz-Date is missing or does not match the credential scope's date")

    digest = hashlib.sha256(request.body).hexdigest()
    declared = request.header("X-Amz-Content-SHA256")
    if declared and declared != "UNSIGNED-PAYLOAD" and declared != digest:
        raise _denied("the request body does not match its x-amz-content-sha256 header")

    signed = found.group("signed").split(";")
    headers = HTTPHeaders()  # case-insensitive, as an AWSRequest's
    for name in signed:
        value = request.host if name == "host" and request.header("host") is None else request.header(name)
        if value is None:
            raise _denied(f"signed header {name!r} is missing from the request")
        headers[name] = value
    query = f"?{request.raw_query}" if request.raw_query else ""
    url = f"http://{headers.get('host', request.host)}{request.raw_path}{query}"
    secret = credentials[key]
    inputs = (key, secret, header, stamp, request.method, url, digest, *headers.items())
    if inputs in _verified:
        return key
    received = _Received(
        method=request.method, url=url, headers=headers, body=request.body, context={"timestamp": stamp}
    )
    signer = _signer(key, secret, found.group("region"))
    canonical = signer.canonical_request(received)
    to_sign = signer.string_to_sign(received, canonical)
    expected = hmac.new(
        _signing_key(secret, found.group("date"), found.group("region")), to_sign.encode(), hashlib.sha256
    ).hexdigest()
    if not hmac.compare_digest(expected, found.group("signature")):
        raise _denied(
            "The request signature we calculated does not match the signature you provided. "
            "Check your AWS Secret Access Key and signing method."
        )
    _verified.add(inputs)
    return key


def check_scope(
    request: HttpRequest, *, region: str, now: float, max_skew: float | None = limits.MAX_CLOCK_SKEW
) -> None:
    """What AWS checks of a signed request besides the signature itself, as it answers them: the
    credential scope names this ``region`` and the ``connect`` service, and ``X-Amz-Date`` is within
    ``max_skew`` seconds of ``now`` (15 minutes; ``None`` accepts any age, for replaying old traffic).

    Runs after :func:`verify` accepted the signature, so the header is well-formed.
    """
    found = _AUTH.fullmatch((request.header("Authorization") or "").strip())
    if found is None:
        raise _denied("the Authorization header is not a well-formed AWS4-HMAC-SHA256 signature")
    if found.group("service") != SERVICE:
        raise _denied(f"Credential should be scoped to correct service: '{SERVICE}'.")
    if found.group("region") != region:
        raise _denied(f"Credential should be scoped to a valid region, not '{found.group('region')}'.")
    if max_skew is None:
        return
    stamp = request.header("X-Amz-Date") or ""
    parts = _STAMP_FIELDS.fullmatch(stamp)
    try:
        if parts is None:
            raise ValueError(stamp)
        year, month, day, hour, minute, second = (int(part) for part in parts.groups())
        signed = dt.datetime(year, month, day, hour, minute, second, tzinfo=dt.timezone.utc).timestamp()
    except ValueError:
        raise _denied(f"X-Amz-Date {stamp[:40]!r} is not a timestamp of the form YYYYMMDDTHHMMSSZ") from None
    minutes = f"{max_skew / 60:g} min."
    if signed < now - max_skew:
        raise _denied(
            f"Signature expired: {stamp} is now earlier than {_format(now - max_skew)} ({_format(now)} - {minutes})"
        )
    if signed > now + max_skew:
        raise _denied(
            f"Signature not yet current: {stamp} is still later than {_format(now + max_skew)} "
            f"({_format(now)} + {minutes})"
        )


_STAMP = "%Y%m%dT%H%M%SZ"
#: ``_STAMP``'s fields (strptime is slow, and lenient about their widths).
_STAMP_FIELDS = re.compile(r"(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z", re.ASCII)


def _format(epoch: float) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.timezone.utc).strftime(_STAMP)
