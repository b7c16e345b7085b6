"""SigV4 (and S3's SigV2): reading the signature, finding the caller, checking what must be checked.

Signatures are read from the Authorization header or a presigned query string.
The access key picks the account: twelve digits select that account, keys
Cloudlet issued (STS sessions, IAM access keys) carry their own identity, and
any other key is the default account.  Presigned URLs past their expiry are
always refused; signatures are verified when ``--strict-signatures`` is on,
and for presigned URLs whenever Cloudlet knows the key's secret.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from calendar import timegm
from dataclasses import dataclass
from time import strptime
from typing import TYPE_CHECKING
from urllib.parse import quote

from cloudlet.context import DEFAULT_ACCOUNT, Identity
from cloudlet.http import Request
from cloudlet.protocol.errors import ServiceError

if TYPE_CHECKING:
    from cloudlet.runtime import Runtime

MAX_PRESIGNED_EXPIRY = 604800  # seven days


@dataclass
class Signature:
    version: int  # 4 or 2
    presigned: bool
    access_key: str
    signature: str
    date: str = ""  # x-amz-date (v4)
    region: str = ""
    service: str = ""
    signed_headers: tuple[str, ...] = ()
    expires: int | None = None  # v4: seconds after date; v2: epoch seconds
    session_token: str | None = None

    @property
    def scope(self) -> str:
        return f"{self.date[:8]}/{self.region}/{self.service}/aws4_request"


def _whole_number(text: str) -> int | None:
    # ASCII digits only (str.isdigit() also accepts "²" and "١"); a sign is kept, to be refused later.
    digits = text[1:] if text.startswith("-") else text
    return int(text) if digits.isascii() and digits.isdigit() else None


# The Authorization header as SDKs write it: read in one match, with exactly what the general
# reading below makes of it (no whitespace or commas inside a value, nothing else in the header).
_SIGV4_HEADER = re.compile(
    r"AWS4-HMAC-SHA256 Credential=([^/,\s]*)/[^/,\s]*/([^/,\s]*)/([^/,\s]*)/[^,\s]*, "
    r"SignedHeaders=([^,\s]*), Signature=([^,\s]+)\Z"
)


def read_signature(request: Request) -> Signature | None:
    """The request's signature, wherever it travels; None for anonymous requests."""
    headers = request.headers
    header = headers.get("authorization")
    if header:
        match = _SIGV4_HEADER.match(header)
        if match is not None:
            key, region, service, signed, signature = match.groups()
            return Signature(
                4, False, key, signature, headers.get("x-amz-date") or headers.get("date", ""), region, service,
                tuple(signed.split(";")), None, headers.get("x-amz-security-token"),
            )
        if header.startswith("AWS4-HMAC-SHA256"):
            fields = {}
            for part in header[16:].split(","):
                name, _, value = part.strip().partition("=")
                fields[name] = value
            parts = fields.get("Credential", "").split("/")
            signature = fields.get("Signature", "")
            if len(parts) < 5 or not signature or "SignedHeaders" not in fields:
                return None
            return Signature(
                4, False, parts[0], signature,
                date=request.headers.get("x-amz-date") or request.headers.get("date", ""),
                region=parts[2], service=parts[3], signed_headers=tuple(fields["SignedHeaders"].split(";")),
                session_token=request.headers.get("x-amz-security-token"),
            )
        if header.startswith("AWS "):
            key, _, signature = header[4:].partition(":")
            return Signature(2, False, key.strip(), signature.strip())
        return None
    if "X-Amz-Credential" in request.query_string or "x-amz-credential" in request.query_string.lower():
        query = {k.lower(): v[0] for k, v in request.query.items()}
        credential = query.get("x-amz-credential", "").split("/")
        if len(credential) < 5:
            return None
        expires = query.get("x-amz-expires", "")
        return Signature(
            4, True, credential[0], query.get("x-amz-signature", ""),
            date=query.get("x-amz-date", ""), region=credential[2], service=credential[3],
            signed_headers=tuple(query.get("x-amz-signedheaders", "host").split(";")),
            expires=_whole_number(expires),
            session_token=query.get("x-amz-security-token"),
        )
    if "AWSAccessKeyId=" in request.query_string:
        expires = request.query_value("Expires") or ""
        return Signature(
            2, True, request.query_value("AWSAccessKeyId") or "", request.query_value("Signature") or "",
            expires=_whole_number(expires),
            session_token=request.query_value("x-amz-security-token"),
        )
    return None


@dataclass
class Credential:
    """A key whose secret Cloudlet knows."""

    access_key: str
    secret_key: str
    identity: Identity
    expiration: float | None = None  # epoch seconds for temporary credentials


def default_identity(access_key: str) -> Identity:
    account = access_key if len(access_key) == 12 and access_key.isascii() and access_key.isdigit() else DEFAULT_ACCOUNT
    return Identity(account=account, access_key=access_key, arn=f"arn:aws:iam::{account}:root", user_id=account)


class Authenticator:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def authenticate(self, request: Request, signature: Signature | None, protocol: str) -> Identity:
        if signature is None:
            return default_identity("")
        known = self.runtime.credentials.lookup(signature.access_key)
        now = self.runtime.clock.now()
        if signature.presigned:
            self._check_expiry(signature, now)
        if known is None:
            if self.runtime.config.strict_signatures:
                raise _invalid_key(protocol)
            return default_identity(signature.access_key)
        if known.expiration is not None and known.expiration <= now:
            raise _expired_token(protocol)
        if self.runtime.config.strict_signatures or signature.presigned:
            verify(request, signature, known.secret_key, protocol)
        return known.identity

    def _check_expiry(self, signature: Signature, now: float) -> None:
        if signature.version == 2:
            if signature.expires is not None and signature.expires < now:
                raise _request_expired(signature.expires, now)
            return
        if signature.expires is None:
            return
        if signature.expires < 0:
            raise ServiceError("AuthorizationQueryParametersError", "X-Amz-Expires must be non-negative", 400)
        if signature.expires > MAX_PRESIGNED_EXPIRY:
            raise ServiceError(
                "AuthorizationQueryParametersError",
                "X-Amz-Expires must be less than a week (in seconds) that is, the given X-Amz-Expires "
                "must be less than 604800 seconds",
                400,
            )
        try:
            signed_at = timegm(strptime(signature.date, "%Y%m%dT%H%M%SZ"))
        except ValueError:
            raise ServiceError(
                "AuthorizationQueryParametersError",
                "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"", 400,
            )
        if signed_at + signature.expires < now:
            raise _request_expired(signed_at + signature.expires, now, signature.expires)


def _iso(epoch: float) -> str:
    from cloudlet.protocol.timestamps import iso8601

    return iso8601(int(epoch))


def _request_expired(expired_at: float, now: float, expires_in: int | None = None) -> ServiceError:
    fields = {"Expires": _iso(expired_at), "ServerTime": _iso(now)}
    if expires_in is not None:
        fields = {"X-Amz-Expires": str(expires_in), **fields}
    return ServiceError("AccessDenied", "Request has expired", 403, **fields)


def _invalid_key(protocol: str) -> ServiceError:
    if protocol == "rest-xml":
        return ServiceError(
            "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.", 403
        )
    if protocol in ("json", "rest-json", "smithy-rpc-v2-cbor"):
        return ServiceError("UnrecognizedClientException", "The security token included in the request is invalid.", 403)
    return ServiceError("InvalidClientTokenId", "The security token included in the request is invalid.", 403)


def _expired_token(protocol: str) -> ServiceError:
    if protocol in ("query", "rest-xml"):
        return ServiceError("ExpiredToken", "The security token included in the request is expired", 400)
    return ServiceError("ExpiredTokenException", "The security token included in the request is expired", 400)


# --- verification -------------------------------------------------------------------------


def _uri_encode(text: str, safe: str = "-_.~") -> str:
    return quote(text, safe=safe)


def canonical_request(request: Request, signature: Signature) -> str:
    s3 = signature.service == "s3"
    path = request.signed_path or "/"  # as sent: a virtual-hosted S3 path is rewritten for routing
    # S3 signs the path as sent; every other service signs it encoded once more.
    canonical_path = path if s3 else _uri_encode(path, safe="/~")
    pairs = []
    for key, values in request.query.items():
        if signature.presigned and key == "X-Amz-Signature":
            continue
        for value in values:
            pairs.append((_uri_encode(key), _uri_encode(value)))
    query = "&".join(f"{k}={v}" for k, v in sorted(pairs))
    headers = []
    for name in signature.signed_headers:
        value = request.headers.get(name, "")
        headers.append(f"{name}:{' '.join(value.split())}\n")
    payload_hash = request.headers.get("x-amz-content-sha256")
    if payload_hash is None:
        # S3 presigned URLs leave the payload unsigned; other services sign the (empty) body.
        payload_hash = "UNSIGNED-PAYLOAD" if signature.presigned and s3 else hashlib.sha256(request.body).hexdigest()
    return "\n".join(
        [request.method, canonical_path, query, "".join(headers), ";".join(signature.signed_headers), payload_hash]
    )


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def expected_signature(request: Request, signature: Signature, secret: str) -> tuple[str, str, str]:
    """(signature, string to sign, canonical request) as SigV4 defines them."""
    creq = canonical_request(request, signature)
    to_sign = "\n".join(
        ["AWS4-HMAC-SHA256", signature.date, signature.scope, hashlib.sha256(creq.encode()).hexdigest()]
    )
    key = _hmac(("AWS4" + secret).encode(), signature.date[:8])
    for part in (signature.region, signature.service, "aws4_request"):
        key = _hmac(key, part)
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest(), to_sign, creq


def verify(request: Request, signature: Signature, secret: str, protocol: str) -> None:
    if signature.version != 4:
        return  # SigV2 signatures are accepted unverified; only their expiry is enforced
    expected, to_sign, creq = expected_signature(request, signature, secret)
    if hmac.compare_digest(expected, signature.signature.lower()):
        return
    if protocol == "rest-xml":
        raise ServiceError(
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided. "
            "Check your key and signing method.",
            403,
            AWSAccessKeyId=signature.access_key, StringToSign=to_sign, SignatureProvided=signature.signature,
            CanonicalRequest=creq,
        )
    raise ServiceError(
        "SignatureDoesNotMatch",
        "The request signature we calculated does not match the signature you provided. "
        "Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
        403,
    )
