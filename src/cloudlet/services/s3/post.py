"""Browser form uploads (POST Object): the multipart form read as it streams, the policy document's
conditions and signature checked, the file stored like a PutObject body, and S3's answers
(204, 200, 201 with a PostResponse document, or a 303 redirect)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote, urlencode

from cloudlet.context import RequestContext
from cloudlet.gateway.auth import default_identity
from cloudlet.http import Response
from cloudlet.protocol import xml
from cloudlet.protocol.errors import ServiceError
from cloudlet.protocol.models import load_service
from cloudlet.protocol.rest_xml import default_namespace
from cloudlet.protocol.timestamps import from_iso8601
from cloudlet.services.s3 import chunked, errors
from cloudlet.services.s3.objects import ObjectOperations
from cloudlet.services.s3.storage import Ingested

MAX_FIELDS = 20 * 1024
_NOT_CONDITIONED = {"policy", "x-amz-signature", "signature", "file", "awsaccesskeyid"}
_CONTENT_FIELDS = {
    "content-type": "ContentType", "cache-control": "CacheControl", "content-disposition": "ContentDisposition",
    "content-encoding": "ContentEncoding", "content-language": "ContentLanguage", "expires": "Expires",
    "x-amz-storage-class": "StorageClass", "x-amz-server-side-encryption": "ServerSideEncryption",
    "x-amz-server-side-encryption-aws-kms-key-id": "SSEKMSKeyId", "x-amz-website-redirect-location":
    "WebsiteRedirectLocation", "acl": "ACL", "x-amz-checksum-algorithm": "ChecksumAlgorithm",
    "x-amz-checksum-crc32": "ChecksumCRC32", "x-amz-checksum-crc32c": "ChecksumCRC32C",
    "x-amz-checksum-crc64nvme": "ChecksumCRC64NVME", "x-amz-checksum-sha1": "ChecksumSHA1",
    "x-amz-checksum-sha256": "ChecksumSHA256",
}


def _policy_denied(detail: str) -> ServiceError:
    return errors.access_denied(f"Invalid according to Policy: {detail}")


class FormReader:
    """multipart/form-data read from a body stream: the fields before the file, then the file's bytes."""

    def __init__(self, stream: Any, boundary: bytes) -> None:
        self.stream = stream
        self.delimiter = b"--" + boundary
        self.buffer = b""
        self.done = False

    async def _more(self) -> bool:
        chunk = await self.stream.read_chunk() if hasattr(self.stream, "read_chunk") else b""
        if not chunk:
            return False
        self.buffer += chunk
        return True

    async def _until(self, marker: bytes, limit: int) -> bytes:
        while True:
            index = self.buffer.find(marker)
            if index >= 0:
                found, self.buffer = self.buffer[:index], self.buffer[index + len(marker):]
                return found
            if len(self.buffer) > limit or not await self._more():
                raise ServiceError("MalformedPOSTRequest",
                                          "The body of your POST request is not well-formed multipart/form-data.", 400)

    async def fields(self) -> tuple[dict[str, str], dict | None]:
        """Every field before the file (names lower-cased), and the file part's headers."""
        await self._until(self.delimiter + b"\r\n", MAX_FIELDS)
        fields: dict[str, str] = {}
        size = 0
        while True:
            head = await self._until(b"\r\n\r\n", MAX_FIELDS)
            headers = _part_headers(head)
            name = headers.get("name")
            if name is None:
                raise ServiceError("MalformedPOSTRequest",
                                          "The body of your POST request is not well-formed multipart/form-data.", 400)
            if name.lower() == "file":
                return fields, headers
            value = await self._until(b"\r\n" + self.delimiter, MAX_FIELDS)
            size += len(value)
            if size > MAX_FIELDS:
                raise ServiceError("MaxPostPreDataLengthExceededError", "Your POST request fields preceeding "
                                          "the upload file was too large.", 400, MaxPostPreDataLength=str(MAX_FIELDS))
            fields[name.lower()] = value.decode("utf-8", "replace")
            ending = await self._until(b"\r\n", 4)
            if ending == b"--":
                return fields, None

    async def file(self) -> AsyncIterator[bytes]:
        marker = b"\r\n" + self.delimiter
        keep = len(marker) - 1
        while True:
            index = self.buffer.find(marker)
            if index >= 0:
                if index:
                    yield self.buffer[:index]
                self.buffer = b""
                return
            if len(self.buffer) > keep:
                yield self.buffer[:-keep]
                self.buffer = self.buffer[-keep:]
            if not await self._more():
                raise errors.incomplete_body()


def _part_headers(head: bytes) -> dict[str, str]:
    found: dict[str, str] = {}
    for line in head.decode("utf-8", "replace").split("\r\n"):
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-disposition":
            for item in value.split(";")[1:]:
                key, _, text = item.strip().partition("=")
                found[key.strip().lower()] = text.strip().strip('"')
        elif name.strip().lower() == "content-type":
            found["content-type"] = value.strip()
    return found


class PostObject(ObjectOperations):
    async def post_object(self, ctx: RequestContext, bucket_name: str) -> Response:
        request = ctx.request
        content_type = request.headers.get("content-type", "")
        boundary = None
        for item in content_type.split(";")[1:]:
            key, _, value = item.strip().partition("=")
            if key.lower() == "boundary":
                boundary = value.strip('"')
        if not boundary:
            raise ServiceError("MalformedPOSTRequest",
                                      "The body of your POST request is not well-formed multipart/form-data.", 400)
        with self.runtime.db.transaction():
            self.bucket(None, bucket_name)
        reader = FormReader(request.stream, boundary.encode("latin-1"))
        fields, file_part = await reader.fields()
        if "key" not in fields:
            raise errors.invalid_argument("Bucket POST must contain a field named 'key'.  If it is specified, please "
                                          "check the order of the fields.", "key", "")
        if file_part is None:
            raise errors.invalid_argument("POST requires exactly one file upload per request.", "file", "0")
        key = fields["key"].replace("${filename}", file_part.get("filename", ""))
        fields["key"] = key
        ctx.identity = self._check_policy(fields, bucket_name)
        params = self._params(fields, bucket_name, key)
        out = await self.store_object(ctx, params, reader.file(), "ObjectCreated:Post", from_request=False)
        return self._answer(ctx, fields, bucket_name, key, out)

    def check_size(self, params: dict, ingested: Ingested) -> None:
        limits = params.get("_length_range")
        if not limits:
            return
        low, high = limits
        if ingested.size > high:
            raise ServiceError("EntityTooLarge", "Your proposed upload exceeds the maximum allowed size", 400,
                               ProposedSize=str(ingested.size), MaxSizeAllowed=str(high))
        if ingested.size < low:
            raise ServiceError("EntityTooSmall", "Your proposed upload is smaller than the minimum allowed size", 400,
                               ProposedSize=str(ingested.size), MinSizeAllowed=str(low))

    def _params(self, fields: dict[str, str], bucket: str, key: str) -> dict:
        params: dict[str, Any] = {"Bucket": bucket, "Key": key, "_length_range": length_range(fields)}
        for field, member in _CONTENT_FIELDS.items():
            if field in fields:
                params[member] = fields[field]
        meta = {k[len("x-amz-meta-"):]: v for k, v in fields.items() if k.startswith("x-amz-meta-")}
        if meta:
            params["Metadata"] = meta
        if "expires" in params:
            try:
                from cloudlet.protocol.timestamps import from_http_date

                params["Expires"] = from_http_date(params["Expires"])
            except ValueError:
                params.pop("Expires")
        if fields.get("tagging"):
            shape = load_service("s3").shape("Tagging")
            tagging = xml.decode(shape, xml.parse_document(fields["tagging"].encode()))
            params["Tagging"] = urlencode([(t["Key"], t.get("Value", "")) for t in tagging.get("TagSet") or []])
        return params

    def _check_policy(self, fields: dict[str, str], bucket: str) -> Any:
        encoded = fields.get("policy")
        access_key = fields.get("x-amz-credential", "").split("/")[0] or fields.get("awsaccesskeyid", "")
        identity = default_identity(access_key)
        if encoded is None:
            if access_key:
                raise errors.invalid_argument("Bucket POST must contain a field named 'policy'.  If it is specified, "
                                              "please check the order of the fields.", "policy", "")
            raise errors.access_denied()
        try:
            policy = json.loads(base64.b64decode(encoded, validate=True))
        except (binascii.Error, ValueError):
            raise errors.invalid_policy("Invalid Policy: Invalid JSON.")
        if not isinstance(policy, dict) or "expiration" not in policy or not isinstance(policy.get("conditions"),
                                                                                          list):
            raise errors.invalid_policy("Invalid Policy: Invalid 'expiration' value" if isinstance(policy, dict)
                                        and "expiration" not in policy else "Invalid Policy: Invalid JSON.")
        try:
            expires = from_iso8601(policy["expiration"]).timestamp()
        except (ValueError, TypeError):
            raise errors.invalid_policy("Invalid Policy: Invalid 'expiration' value: '" + str(policy["expiration"]) + "'")
        if expires < self.now():
            raise _policy_denied("Policy expired.")
        known = self.runtime.credentials.lookup(access_key) if access_key else None
        if known is not None:
            self._verify_signature(fields, encoded, known.secret_key)
            identity = known.identity
        covered = {"bucket"}
        values = dict(fields, bucket=bucket)
        for condition in policy["conditions"]:
            covered.update(_check_condition(condition, values))
        extra = [name for name in fields if name not in covered and name not in _NOT_CONDITIONED
                 and not name.startswith("x-ignore-")]
        if extra:
            raise _policy_denied(f"Extra input fields: {extra[0]}")
        return identity

    @staticmethod
    def _verify_signature(fields: dict[str, str], encoded: str, secret: str) -> None:
        if "x-amz-signature" in fields:
            credential = fields.get("x-amz-credential", "").split("/")
            if len(credential) < 5:
                raise errors.invalid_argument("Invalid credential", "x-amz-credential", fields.get("x-amz-credential"))
            key = chunked.signing_key(secret, credential[1], credential[2], credential[3])
            expected = hmac.new(key, encoded.encode(), hashlib.sha256).hexdigest()
            given = fields["x-amz-signature"]
        else:
            expected = base64.b64encode(hmac.new(secret.encode(), encoded.encode(), hashlib.sha1).digest()).decode()
            given = fields.get("signature", "")
        if not hmac.compare_digest(expected, given):
            raise ServiceError("SignatureDoesNotMatch", "The request signature we calculated does not match the "
                               "signature you provided. Check your key and signing method.", 403)

    def _answer(self, ctx: RequestContext, fields: dict[str, str], bucket: str, key: str, out: dict) -> Response:
        from cloudlet.protocol.rest_xml import host_id

        host = ctx.request.headers.get("host", "localhost")
        location = f"http://{host}/{bucket}/{quote(key)}"
        headers = [("x-amz-request-id", ctx.request_id), ("x-amz-id-2", host_id(ctx.request_id)),
                   ("ETag", out["ETag"]), ("Location", location)]
        if out.get("VersionId"):
            headers.append(("x-amz-version-id", out["VersionId"]))
        redirect = fields.get("success_action_redirect") or fields.get("redirect")
        if redirect:
            query = urlencode({"bucket": bucket, "key": key, "etag": out["ETag"]})
            separator = "&" if "?" in redirect else "?"
            headers.append(("Location", f"{redirect}{separator}{query}"))
            headers = [h for h in headers if h[0] != "Location" or h[1].startswith(redirect)]
            return Response(303, headers, b"")
        status = fields.get("success_action_status")
        if status == "201":
            shape = load_service("s3").shape("PostResponse")
            body = xml.render(shape, {"Location": location, "Bucket": bucket, "Key": key, "ETag": out["ETag"]},
                              "PostResponse", default_namespace(load_service("s3")))
            headers.append(("Content-Type", "application/xml"))
            return Response(201, headers, body)
        return Response(200 if status == "200" else 204, headers, b"")


def _field(name: str) -> str:
    return name[1:].lower() if name.startswith("$") else name.lower()


def _check_condition(condition: Any, values: dict[str, str]) -> set[str]:
    """Check one policy condition; returns the field names it covers."""
    if isinstance(condition, dict):
        covered = set()
        for name, expected in condition.items():
            field = name.lower()
            if values.get(field) != expected:
                raise _policy_denied(f'Policy Condition failed: ["eq", "${name}", "{expected}"]')
            covered.add(field)
        return covered
    if not isinstance(condition, list) or not condition:
        raise errors.invalid_policy("Invalid Policy: Invalid Simple-Condition: Simple-Conditions must have exactly "
                                    "one property specified.")
    operator = str(condition[0]).lower()
    if operator == "content-length-range":
        if len(condition) != 3:
            raise errors.invalid_policy("Invalid Policy: Invalid content-length-range condition.")
        return set()
    if len(condition) != 3:
        raise errors.invalid_policy(f"Invalid Policy: Invalid {operator} condition.")
    field = _field(str(condition[1]))
    expected = str(condition[2])
    actual = values.get(field)
    if operator == "eq":
        ok = actual == expected
    elif operator == "starts-with":
        items = actual.split(",") if field == "content-type" and actual is not None else [actual]
        ok = actual is not None and all((item or "").strip().startswith(expected) for item in items)
    else:
        raise errors.invalid_policy(f"Invalid Policy: Invalid condition operator: {condition[0]}")
    if not ok:
        raise _policy_denied(f'Policy Condition failed: ["{operator}", "{condition[1]}", "{expected}"]')
    return {field}


def length_range(policy_fields: dict[str, str]) -> tuple[int, int] | None:
    encoded = policy_fields.get("policy")
    if not encoded:
        return None
    policy = json.loads(base64.b64decode(encoded))
    for condition in policy.get("conditions", []):
        if isinstance(condition, list) and condition and str(condition[0]).lower() == "content-length-range":
            return int(condition[1]), int(condition[2])
    return None
