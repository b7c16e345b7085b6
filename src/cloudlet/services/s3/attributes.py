"""What a write stores beside the bytes: content headers, user metadata, tags, storage class, encryption.

Each function reads the parsed request members and returns the record's
fields, raising S3's error for values S3 refuses.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import uuid
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl

from cloudlet.protocol.errors import ServiceError
from cloudlet.protocol.timestamps import epoch
from cloudlet.protocol.timestamps import http_date as _http_date
from cloudlet.services.s3 import errors

STORAGE_CLASSES = frozenset({
    "STANDARD", "REDUCED_REDUNDANCY", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER",
    "DEEP_ARCHIVE", "OUTPOSTS", "GLACIER_IR", "SNOW", "EXPRESS_ONEZONE",
})
ARCHIVED = frozenset({"GLACIER", "DEEP_ARCHIVE"})
CONTENT_HEADERS = ("CacheControl", "ContentDisposition", "ContentEncoding", "ContentLanguage")
MAX_METADATA = 2048
MAX_TAGS = 10


def content_headers(params: dict) -> dict:
    out: dict[str, Any] = {}
    for name in CONTENT_HEADERS:
        value = params.get(name)
        if value is None:
            continue
        # aws-chunked is how the body travelled, not how it is stored; the rest is kept as written
        if name == "ContentEncoding" and "aws-chunked" in value.lower():
            value = ",".join(v for v in value.split(",") if v.strip().lower() != "aws-chunked").strip(" ,")
            if not value:
                continue
        out[name] = value
    expires = params.get("Expires")
    if expires is not None:
        out["Expires"] = epoch(expires) if isinstance(expires, datetime) else expires
    return out


def restore_headers(stored: dict) -> dict:
    """Stored content headers as response members (Expires back to a datetime)."""
    out = dict(stored)
    if "Expires" in out and isinstance(out["Expires"], int | float):
        from cloudlet.protocol.timestamps import from_epoch

        out["Expires"] = from_epoch(out["Expires"])
    return out


def metadata(params: dict) -> dict:
    meta = params.get("Metadata") or {}
    size = sum(len(k.encode()) + len(v.encode()) for k, v in meta.items())
    if size > MAX_METADATA:
        raise ServiceError(
            "MetadataTooLarge", "Your metadata headers exceed the maximum allowed metadata size.", 400,
            MaxSizeAllowed=str(MAX_METADATA), Size=str(size),
        )
    return {k.lower(): v for k, v in meta.items()}


def storage_class(params: dict) -> str:
    value = params.get("StorageClass") or "STANDARD"
    if value not in STORAGE_CLASSES:
        raise ServiceError("InvalidStorageClass", "The storage class you specified is not valid", 400,
                           StorageClassRequested=value)
    return value


def _invalid_tag(message: str) -> ServiceError:
    return ServiceError("InvalidTag", message, 400)


def check_tags(tags: list[tuple[str, str]]) -> dict[str, str]:
    """Validate a tag set as S3 does for objects; returns it as a dict."""
    if len(tags) > MAX_TAGS:
        raise _invalid_tag("Object tags cannot be greater than 10")
    found: dict[str, str] = {}
    for key, value in tags:
        if key in found:
            raise _invalid_tag("Cannot provide multiple Tags with the same key")
        if not key or len(key) > 128:
            raise _invalid_tag("The TagKey you have provided is invalid")
        if len(value) > 256:
            raise _invalid_tag("The TagValue you have provided is invalid")
        if key.startswith("aws:"):
            raise _invalid_tag("Your TagKey cannot be prefixed with aws:")
        found[key] = value
    return found


def tags_from_header(text: str | None) -> dict[str, str]:
    if not text:
        return {}
    try:
        # "a=1&b" is tag b with an empty value, as S3 reads it; what is not UTF-8 once decoded is refused
        pairs = parse_qsl(text, keep_blank_values=True, errors="strict")
    except ValueError:
        raise errors.invalid_argument("The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded "
                                      "URL query parameters without tag name duplicates.")
    return check_tags(pairs)


def tag_set(tags: dict[str, str]) -> list[dict]:
    return [{"Key": k, "Value": v} for k, v in tags.items()]


def tags_from_set(items: list[dict]) -> dict[str, str]:
    return check_tags([(t.get("Key", ""), t.get("Value", "")) for t in items])


# --- server-side encryption ---------------------------------------------------------------


def managed_kms_key(region: str, account: str) -> str:
    """The id of the AWS-managed ``aws/s3`` key, stable per account and region."""
    key = uuid.UUID(bytes=hashlib.md5(f"aws/s3:{account}:{region}".encode()).digest())
    return f"arn:aws:kms:{region}:{account}:key/{key}"


def _customer_key(params: dict, prefix: str = "") -> dict | None:
    algorithm = params.get(prefix + "SSECustomerAlgorithm")
    key = params.get(prefix + "SSECustomerKey")
    key_md5 = params.get(prefix + "SSECustomerKeyMD5")
    if algorithm is None and key is None and key_md5 is None:
        return None
    if algorithm is None:
        raise errors.invalid_argument(
            "Requests specifying Server Side Encryption with Customer provided keys must provide a valid "
            "encryption algorithm.", "x-amz-server-side-encryption-customer-algorithm", "null"
        )
    if algorithm != "AES256":
        raise errors.invalid_argument(
            "The Encryption request you specified is not valid. Supported value: AES256.",
            "x-amz-server-side-encryption-customer-algorithm", algorithm,
        )
    if key is None:
        raise errors.invalid_argument(
            "Requests specifying Server Side Encryption with Customer provided keys must provide an appropriate "
            "secret key.", "x-amz-server-side-encryption-customer-key", "null"
        )
    try:
        raw = base64.b64decode(key, validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 32:
        raise errors.invalid_argument("The secret key was invalid for the specified algorithm.",
                                      "x-amz-server-side-encryption-customer-key", "null")
    actual = base64.b64encode(hashlib.md5(raw).digest()).decode()
    if key_md5 is None:  # the SDKs compute it; a hand-made request may leave it out
        raise errors.invalid_argument(
            "Requests specifying Server Side Encryption with Customer provided keys must provide the client "
            "calculated MD5 of the secret key.", "x-amz-server-side-encryption-customer-key-MD5", "null"
        )
    if key_md5 != actual:
        raise errors.invalid_argument("The calculated MD5 hash of the key did not match the hash that was provided.",
                                      "x-amz-server-side-encryption-customer-key-MD5", key_md5)
    return {"SSECustomerAlgorithm": algorithm, "SSECustomerKeyMD5": actual}


def encryption(params: dict, default: dict | None, region: str, account: str) -> dict:
    """The encryption members a new object is stored (and answered) with."""
    customer = _customer_key(params)
    requested = params.get("ServerSideEncryption")
    if customer is not None:
        if requested:
            raise errors.invalid_argument(
                "Server Side Encryption with Customer provided key is incompatible with the encryption method "
                "specified", "x-amz-server-side-encryption", requested,
            )
        return customer
    key_id = params.get("SSEKMSKeyId")
    bucket_key = params.get("BucketKeyEnabled")
    if requested is None and default is not None:
        rule = (default.get("Rules") or [{}])[0]
        applied = rule.get("ApplyServerSideEncryptionByDefault") or {}
        requested = applied.get("SSEAlgorithm")
        key_id = key_id or applied.get("KMSMasterKeyID")
        if bucket_key is None and rule.get("BucketKeyEnabled"):
            bucket_key = True
    if requested is None:
        requested = "AES256"
    if requested not in ("AES256", "aws:kms", "aws:kms:dsse"):
        raise errors.invalid_argument("The encryption method specified is not supported",
                                      "x-amz-server-side-encryption", requested)
    if key_id and requested == "AES256":
        raise errors.invalid_argument(
            "Server Side Encryption with AWS KMS managed key requires HTTP header x-amz-server-side-encryption : "
            "aws:kms", "x-amz-server-side-encryption-aws-kms-key-id", key_id,
        )
    out: dict[str, Any] = {"ServerSideEncryption": requested}
    if requested.startswith("aws:kms"):
        if not key_id:
            key_id = managed_kms_key(region, account)
        elif not key_id.startswith("arn:"):
            key_id = f"arn:aws:kms:{region}:{account}:key/{key_id}" if not key_id.startswith("alias/") else (
                f"arn:aws:kms:{region}:{account}:{key_id}"
            )
        out["SSEKMSKeyId"] = key_id
        if bucket_key:
            out["BucketKeyEnabled"] = True
        context = params.get("SSEKMSEncryptionContext")
        if context:
            out["SSEKMSEncryptionContext"] = context
    return out


def check_customer_key(stored: dict, params: dict, prefix: str = "") -> None:
    """A read of an SSE-C object must bring the same key; other objects must not bring one."""
    given = _customer_key(params, prefix)
    if stored.get("SSECustomerKeyMD5"):
        if given is None:
            raise errors.invalid_request(
                "The object was stored using a form of Server Side Encryption. The correct parameters must be "
                "provided to retrieve the object."
            )
        if given["SSECustomerKeyMD5"] != stored["SSECustomerKeyMD5"]:
            raise errors.access_denied()
    elif given is not None:
        raise errors.invalid_request(
            "The encryption parameters are not applicable to this object."
        )


def response_encryption(stored: dict) -> dict:
    """What a read answers: SSE-C objects echo algorithm and key MD5, never the key."""
    return {k: v for k, v in stored.items() if k != "SSEKMSEncryptionContext"}


def restore_status(record: dict, now: float) -> str | None:
    """The x-amz-restore header of a version, as of ``now``."""
    restore = record.get("restoring")
    if not restore:
        return None
    if now < restore["ready"]:
        return 'ongoing-request="true"'
    return f'ongoing-request="false", expiry-date="{_http_date(int(restore["expires"]))}"'
