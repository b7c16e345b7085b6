"""Objects: put, get, head, delete (one or many), copy, attributes and tagging."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote

from cloudlet.context import RequestContext
from cloudlet.protocol.errors import ServiceError
from cloudlet.protocol.timestamps import to_datetime
from cloudlet.services.s3 import attributes, conditions, errors
from cloudlet.services.s3.checksums import FAST_CRCS, FULL_OBJECT_CAPABLE
from cloudlet.services.s3.core import checksum_members, http_date
from cloudlet.services.s3.storage import BodyReader, Ingested, ingest, is_inline
from cloudlet.services.s3.versions import Versions

RESPONSE_OVERRIDES = {
    "ResponseCacheControl": "CacheControl",
    "ResponseContentDisposition": "ContentDisposition",
    "ResponseContentEncoding": "ContentEncoding",
    "ResponseContentLanguage": "ContentLanguage",
    "ResponseContentType": "ContentType",
    "ResponseExpires": "Expires",
}
OBJECT_LOCKED = "Access Denied because object protected by object lock."


def _check_header_value(member: str, value: str) -> None:
    """A response-* override becomes a header: S3 refuses a value HTTP cannot carry, naming the parameter."""
    if any(c > "\xff" or (c < " " and c != "\t") or c == "\x7f" for c in value):
        name = "response-" + "-".join(w.lower() for w in re.findall("[A-Z][a-z]*", member))
        raise errors.invalid_argument("Header value cannot be represented using ISO-8859-1.", name, value)


def checksum_record(ingested: Ingested, requested: list[str]) -> dict | None:
    """The checksum stored with an object: the one the client sent or asked for, else CRC64NVME (S3's default)."""
    for algorithm in requested:
        if algorithm in ingested.checksums:
            return {"alg": algorithm, "value": ingested.checksums[algorithm], "type": "FULL_OBJECT"}
    if "CRC64NVME" in ingested.checksums:
        return {"alg": "CRC64NVME", "value": ingested.checksums["CRC64NVME"], "type": "FULL_OBJECT", "default": True}
    return None


def parse_copy_source(source: str) -> tuple[str, str, str | None]:
    """``bucket/key[?versionId=...]``, percent-encoded, with or without a leading slash."""
    text = source
    version = None
    if "?versionId=" in text:
        text, _, version = text.rpartition("?versionId=")
    text = unquote(text).lstrip("/")
    bucket, sep, key = text.partition("/")
    if not sep or not bucket or not key:
        raise errors.invalid_argument("Invalid copy source object key", "x-amz-copy-source", source)
    return bucket, key, version


class ObjectOperations(Versions):
    # --- hooks the feature parts fill in ------------------------------------------------------

    def emit(self, ctx: RequestContext, bucket: dict, event: str, record: dict, **extra: Any) -> None:
        """Tell the notification part about a committed change (see notifications.py)."""

    def default_lock(self, bucket: dict, params: dict) -> dict | None:
        """Object lock retention and legal hold for a new version (see locking.py)."""
        return None

    def check_delete_lock(self, ctx: RequestContext, record: dict, params: dict) -> None:
        """Refuse to delete a locked version for good (see locking.py)."""

    def expiration_header(self, bucket: dict, key: str, record: dict) -> str | None:
        """x-amz-expiration: when a lifecycle rule will expire this version (see lifecycle.py)."""
        return None

    # --- writes ----------------------------------------------------------------------------

    def new_record(self, ctx: RequestContext, bucket: dict, params: dict) -> dict:
        """Everything a write stores but the bytes, validated before any byte is read."""
        record: dict[str, Any] = {
            "ctype": params.get("ContentType") or "binary/octet-stream",
            "headers": attributes.content_headers(params),
            "meta": attributes.metadata(params),
            "class": attributes.storage_class(params),
            "tags": attributes.tags_from_header(params.get("Tagging")),
            "sse": attributes.encryption(params, self.config(bucket, "encryption"), bucket["region"],
                                         bucket["account"]),
            "owner": ctx.account,
        }
        if params.get("WebsiteRedirectLocation"):
            location = params["WebsiteRedirectLocation"]
            if not location.startswith(("/", "http://", "https://")):
                raise errors.invalid_argument("The website redirect location must have a prefix of 'http://' or "
                                              "'https://' or '/'.")
            record["redirect"] = location
        acl = params.get("ACL")
        if acl:
            self.check_object_acl(bucket, acl)
            record["acl"] = acl
        lock = self.default_lock(bucket, params)
        if lock:
            record["lock"] = lock
        return record

    def check_object_acl(self, bucket: dict, acl: str) -> None:
        """Objects in a bucket that enforces bucket-owner ownership take no ACL but the owner's."""
        ownership = self.config(bucket, "ownership") or {}
        rule = (ownership.get("Rules") or [{}])[0].get("ObjectOwnership")
        if rule == "BucketOwnerEnforced" and acl not in ("private", "bucket-owner-full-control"):
            raise ServiceError("AccessControlListNotSupported", "The bucket does not allow ACLs", 400)

    async def put_object(self, ctx: RequestContext, params: dict) -> dict:
        return await self.store_object(ctx, params, params.get("Body"), "ObjectCreated:Put")

    async def store_object(self, ctx: RequestContext, params: dict, body: Any, event: str,
                           from_request: bool = True) -> dict:
        """A new version from a body that streams in (PutObject, and browser form uploads)."""
        name, key = params["Bucket"], params["Key"]
        self.check_key(key)
        db = self.runtime.db
        with db.transaction():
            bucket = self.bucket(ctx, name)
            read_at = self.bucket_writes()
            record = self.new_record(ctx, bucket, params)
            self.check_write(params, name, key)
        if from_request and ctx.request is not None and storage_length_missing(ctx):
            raise ServiceError("MissingContentLength", "You must provide the Content-Length HTTP header.", 411)
        requested = _requested_algorithms(params, ctx if from_request else _internal(ctx))
        hint = len(body) if isinstance(body, bytes | bytearray) else None  # a service calling in-process
        ingested = await ingest(self.runtime, ctx if from_request else _internal(ctx),
                                _with_default_checksum(params, requested), body, size_hint=hint)
        try:
            self.check_size(params, ingested)
            with db.transaction():
                if self.bucket_writes() != read_at:  # while the body came in: the bucket may have changed
                    bucket = self.bucket(ctx, name)
                self.check_write(params, name, key)
                record.update(self.body_fields(ingested))
                record["checksum"] = checksum_record(ingested, requested)
                record["mtime"] = int(self.now())
                record = self.write_version(bucket, key, record, self.bodies.keep_rows(ingested))
                self.emit(ctx, bucket, event, record)
        except BaseException:
            self.bodies.release(ingested.blob)
            raise
        out: dict[str, Any] = {"ETag": record["etag"]}
        out.update(attributes.response_encryption(record["sse"]))
        if self.versioned(bucket):
            out["VersionId"] = record["vid"]
        expiration = self.expiration_header(bucket, key, record)
        if expiration:
            out["Expiration"] = expiration
        checksum = record.get("checksum")
        if checksum and not checksum.get("default"):
            out.update(checksum_members(record))
        elif checksum:
            out["ChecksumCRC64NVME"] = checksum["value"]
            out["ChecksumType"] = "FULL_OBJECT"
        return out

    def check_write(self, params: dict, bucket: str, key: str) -> None:
        """Conditional writes (the current version is read only when a condition needs it)."""
        if params.get("IfNoneMatch") is not None or params.get("IfMatch") is not None:
            conditions.check_write(params, self.current(bucket, key), key)

    def check_size(self, params: dict, ingested: Ingested) -> None:
        """Form uploads bound the size in their policy (see post.py)."""

    @staticmethod
    def body_fields(ingested: Ingested) -> dict:
        return {
            "blobs": [[ingested.blob, ingested.size]],
            "size": ingested.size,
            "etag": f'"{ingested.md5}"',
        }

    # --- reads -----------------------------------------------------------------------------

    def _read(self, ctx: RequestContext, params: dict, method: str) -> tuple[dict, dict, dict]:
        name, key = params["Bucket"], params["Key"]
        bucket = self.bucket(ctx, name)
        _, record = self.resolve(bucket, key, params.get("VersionId"), method)
        attributes.check_customer_key(record.get("sse") or {}, params)
        if record.get("class") in attributes.ARCHIVED and not _restored(record, self.now()) and method == "GET":
            raise ServiceError("InvalidObjectState", "The operation is not valid for the object's storage class",
                               403, StorageClass=record["class"])
        out = self.object_headers(record, self.versioned(bucket), params.get("ChecksumMode") == "ENABLED")
        restore = attributes.restore_status(record, self.now())
        if restore:
            out["Restore"] = restore
        if params.get("VersionId") is None:
            expiration = self.expiration_header(bucket, key, record)
            if expiration:
                out["Expiration"] = expiration
        if any(params.get(c) is not None for c in ("IfMatch", "IfNoneMatch", "IfModifiedSince", "IfUnmodifiedSince")):
            headers = {"ETag": record["etag"], "Last-Modified": _http_date_text(record["mtime"])}
            if self.versioned(bucket):
                headers["x-amz-version-id"] = record["vid"]
            conditions.check_read(params, record, headers)
        overrides = {RESPONSE_OVERRIDES[k]: v for k, v in params.items() if k in RESPONSE_OVERRIDES}
        if overrides:
            if ctx.request is not None and not ctx.identity.access_key:
                raise errors.invalid_request("Request specific response headers cannot be used for anonymous GET "
                                             "requests.")
            if "Expires" in overrides:
                overrides["Expires"] = _expires_text(overrides["Expires"])
            for member, value in overrides.items():
                if isinstance(value, str):  # Expires is a date by now, or text S3 passes on
                    _check_header_value(member, value)
            out.update(overrides)
        return bucket, record, out

    def get_object(self, ctx: RequestContext, params: dict) -> dict:
        _, record, out = self._read(ctx, params, "GET")
        start, end = self._span(params, record, out)
        segments = record.get("blobs") or []
        if len(segments) == 1 and is_inline(segments[0][0]):
            # a small body lives in the database: read it now and answer in one piece (no stream to pump)
            out["Body"] = self.bodies.read_inline(segments[0][0])[start:end]
        else:
            out["Body"] = BodyReader(self.bodies, segments, start, end)
        return out

    def head_object(self, ctx: RequestContext, params: dict) -> dict:
        _, record, out = self._read(ctx, params, "HEAD")
        self._span(params, record, out)
        return out

    def _span(self, params: dict, record: dict, out: dict) -> tuple[int, int]:
        size = record["size"]
        part = params.get("PartNumber")
        if part is not None:
            if params.get("Range"):
                raise errors.invalid_request("Cannot specify both Range header and partNumber query parameter")
            sizes = [p[0] for p in record.get("parts") or []] or [size]
            if not 1 <= part <= 10000:
                raise errors.invalid_argument("Part number must be an integer between 1 and 10000, inclusive",
                                              "partNumber", str(part))
            if part > len(sizes):
                raise ServiceError("InvalidPartNumber", "The requested partnumber is not satisfiable", 416,
                                   PartNumberRequested=str(part), ActualPartCount=str(len(sizes)))
            start = sum(sizes[: part - 1])
            end = start + sizes[part - 1]
            out["PartsCount"] = len(sizes)
            if record.get("parts"):
                out.update(_part_checksum(record, part))
        else:
            span = conditions.byte_range(params.get("Range"), size)
            if span is None:
                return 0, size
            start, end = span
        out["ContentLength"] = end - start
        out["ContentRange"] = f"bytes {start}-{end - 1}/{size}" if end > start else f"bytes */{size}"
        if part is None:
            # a partial body carries no whole-object checksum
            for member in [m for m in out if m.startswith("Checksum")]:
                del out[member]
        return start, end

    # --- deletes ---------------------------------------------------------------------------

    def delete_object(self, ctx: RequestContext, params: dict) -> dict:
        bucket = self.bucket(ctx, params["Bucket"])
        return self._delete(ctx, bucket, params["Key"], params.get("VersionId"), params)

    def _delete(self, ctx: RequestContext, bucket: dict, key: str, version_id: str | None, params: dict) -> dict:
        name = bucket["name"]
        if_match = params.get("IfMatch")
        if version_id is not None:
            found = self.find_version(name, key, version_id)
            if found is None:
                return {"VersionId": version_id}  # deleting a missing version succeeds
            vkey, record = found
            if if_match is not None and (record.get("dm") or not conditions.etag_matches(if_match, record["etag"])):
                raise errors.precondition_failed("If-Match")
            self.check_delete_lock(ctx, record, params)
            self.remove_version(bucket, key, vkey, record)
            out = {"VersionId": record["vid"]}
            if record.get("dm"):
                out["DeleteMarker"] = True
            self.emit(ctx, bucket, "ObjectRemoved:Delete", record)
            return out
        current = self.current(name, key)
        if if_match is not None:
            if current is None:
                raise errors.no_such_key(key)
            if not conditions.etag_matches(if_match, current["etag"]):
                raise errors.precondition_failed("If-Match")
        versioning = bucket.get("versioning")
        if versioning is None:
            if current is not None:
                found = self.find_version(name, key, "null")
                if found is not None:
                    self.remove_version(bucket, key, found[0], found[1])
                    self.emit(ctx, bucket, "ObjectRemoved:Delete", found[1])
            return {}
        marker = self.write_version(bucket, key, {"dm": True, "mtime": int(self.now()), "owner": ctx.account})
        self.emit(ctx, bucket, "ObjectRemoved:DeleteMarkerCreated", marker)
        return {"DeleteMarker": True, "VersionId": marker["vid"]}

    def delete_objects(self, ctx: RequestContext, params: dict) -> dict:
        bucket = self.bucket(ctx, params["Bucket"])
        request = params.get("Delete") or {}
        objects = request.get("Objects") or []
        if len(objects) > 1000:
            raise errors.malformed_xml()
        quiet = bool(request.get("Quiet"))
        deleted, failed = [], []
        for item in objects:
            key = item.get("Key", "")
            version_id = item.get("VersionId")
            try:
                self.check_key(key)
                sub = {k: v for k, v in params.items() if k == "BypassGovernanceRetention"}
                if item.get("ETag"):
                    sub["IfMatch"] = item["ETag"]
                result = self._delete(ctx, bucket, key, version_id, sub)
            except ServiceError as error:
                failed.append({"Key": key, "Code": error.code, "Message": error.message,
                               **({"VersionId": version_id} if version_id else {})})
                continue
            if quiet:
                continue
            entry: dict[str, Any] = {"Key": key}
            if version_id is not None:
                entry["VersionId"] = version_id
                if result.get("DeleteMarker"):
                    entry["DeleteMarker"] = True
                    entry["DeleteMarkerVersionId"] = result["VersionId"]
            elif result.get("DeleteMarker"):
                entry["DeleteMarker"] = True
                entry["DeleteMarkerVersionId"] = result["VersionId"]
            deleted.append(entry)
        out: dict[str, Any] = {}
        if deleted:
            out["Deleted"] = deleted
        if failed:
            out["Errors"] = failed
        return out

    # --- copy ------------------------------------------------------------------------------

    def copy_source(self, ctx: RequestContext, params: dict) -> tuple[dict, dict, str | None]:
        """(source bucket, source version record, the version id to report) of a copy."""
        source_bucket, source_key, source_version = parse_copy_source(params["CopySource"])
        bucket = self.bucket(None, source_bucket)
        try:
            _, record = self.resolve(bucket, source_key, source_version, "GET")
        except ServiceError as error:
            if error.code == "MethodNotAllowed":
                raise errors.invalid_request("The source of a copy request may not specifically refer to a delete "
                                             "marker by version id.")
            raise
        attributes.check_customer_key(record.get("sse") or {}, params, "CopySource")
        if record.get("class") in attributes.ARCHIVED and not _restored(record, self.now()):
            raise ServiceError("InvalidObjectState", "Operation is not valid for the source object's storage class",
                               403, StorageClass=record["class"])
        conditions.check_copy_source(params, record)
        return bucket, record, record["vid"] if self.versioned(bucket) else None

    async def copy_object(self, ctx: RequestContext, params: dict) -> dict:
        name, key = params["Bucket"], params["Key"]
        self.check_key(key)
        with self.runtime.db.transaction():
            bucket = self.bucket(ctx, name)
            source_bucket, source, source_version = self.copy_source(ctx, params)
            record = self._copied_record(ctx, bucket, source_bucket, source, params, key)
            conditions.check_write(params, self.current(name, key), key)
            segments = list(source.get("blobs") or [])
            reader = BodyReader(self.bodies, segments, 0, source["size"])
        requested = [params["ChecksumAlgorithm"]] if params.get("ChecksumAlgorithm") else []
        if not requested and source.get("checksum"):
            requested = [source["checksum"]["alg"]]
        wanted = {"ChecksumAlgorithm": requested[0]} if requested else (
            {"ChecksumAlgorithm": "CRC64NVME"} if FAST_CRCS else {})
        try:
            ingested = await ingest(self.runtime, _internal(ctx), wanted, reader, size_hint=source["size"])
        finally:
            reader.close()
        try:
            with self.runtime.db.transaction():
                bucket = self.bucket(ctx, name)
                conditions.check_write(params, self.current(name, key), key)
                record.update(self.body_fields(ingested))
                record["checksum"] = checksum_record(ingested, requested)
                record["mtime"] = int(self.now())
                record = self.write_version(bucket, key, record, self.bodies.keep_rows(ingested))
                self.emit(ctx, bucket, "ObjectCreated:Copy", record)
        except BaseException:
            self.bodies.release(ingested.blob)
            raise
        result: dict[str, Any] = {"ETag": record["etag"], "LastModified": http_date(record["mtime"])}
        if record.get("checksum") and not record["checksum"].get("default"):
            result.update(checksum_members(record))
        out: dict[str, Any] = {"CopyObjectResult": result}
        out.update(attributes.response_encryption(record["sse"]))
        if source_version is not None:
            out["CopySourceVersionId"] = source_version
        if self.versioned(bucket):
            out["VersionId"] = record["vid"]
        return out

    def _copied_record(
        self, ctx: RequestContext, bucket: dict, source_bucket: dict, source: dict, params: dict, key: str
    ) -> dict:
        directive = params.get("MetadataDirective") or "COPY"
        tagging = params.get("TaggingDirective") or "COPY"
        if directive not in ("COPY", "REPLACE"):
            raise errors.invalid_argument("Unknown metadata directive.", "x-amz-metadata-directive", directive)
        if tagging not in ("COPY", "REPLACE"):
            raise errors.invalid_argument("Unknown tagging directive.", "x-amz-tagging-directive", tagging)
        same = source_bucket["name"] == bucket["name"] and source["key"] == key
        changes = (
            directive == "REPLACE"
            or params.get("StorageClass")
            or params.get("WebsiteRedirectLocation")
            or params.get("ServerSideEncryption")
            or params.get("SSECustomerAlgorithm")
            or params.get("SSEKMSKeyId")
        )
        if same and not changes:
            raise errors.invalid_request(
                "This copy request is illegal because it is trying to copy an object to itself without changing "
                "the object's metadata, storage class, website redirect location or encryption attributes."
            )
        if directive == "COPY":
            fresh = {k: v for k, v in params.items()
                     if k not in ("ContentType", "CacheControl", "ContentDisposition", "ContentEncoding",
                                  "ContentLanguage", "Expires", "Metadata", "Tagging")}
        else:
            fresh = dict(params)
        if tagging == "REPLACE":
            fresh["Tagging"] = params.get("Tagging")
        record = self.new_record(ctx, bucket, fresh)
        if directive == "COPY":
            record["ctype"] = source.get("ctype") or "binary/octet-stream"
            record["headers"] = dict(source.get("headers") or {})
            record["meta"] = dict(source.get("meta") or {})
        if tagging == "COPY":
            record["tags"] = dict(source.get("tags") or {})
        if not params.get("StorageClass") and same:
            record["class"] = source.get("class") or "STANDARD"
        if not params.get("WebsiteRedirectLocation") and source.get("redirect") and directive == "COPY":
            record["redirect"] = source["redirect"]
        return record

    # --- attributes and tags ----------------------------------------------------------------------

    def get_object_attributes(self, ctx: RequestContext, params: dict) -> dict:
        bucket = self.bucket(ctx, params["Bucket"])
        key = params["Key"]
        _, record = self.resolve(bucket, key, params.get("VersionId"), "GET")
        attributes.check_customer_key(record.get("sse") or {}, params)
        wanted = set(params.get("ObjectAttributes") or [])
        valid = {"ETag", "Checksum", "ObjectParts", "StorageClass", "ObjectSize"}
        for item in wanted:
            if item not in valid:
                raise errors.invalid_argument("Invalid attribute name specified.", "x-amz-object-attributes", item)
        out: dict[str, Any] = {"LastModified": http_date(record["mtime"])}
        if self.versioned(bucket):
            out["VersionId"] = record["vid"]
        if "ETag" in wanted:
            out["ETag"] = record["etag"].strip('"')
        if "StorageClass" in wanted:
            out["StorageClass"] = record.get("class") or "STANDARD"
        if "ObjectSize" in wanted:
            out["ObjectSize"] = record["size"]
        if "Checksum" in wanted and record.get("checksum"):
            checksum = record["checksum"]
            value = checksum["value"]
            if checksum.get("type") == "COMPOSITE":
                value = f"{value}-{len(record.get('parts') or [])}"
            out["Checksum"] = {"Checksum" + checksum["alg"]: value, "ChecksumType": checksum.get("type")}
        if "ObjectParts" in wanted and record.get("parts"):
            parts = record["parts"]
            marker = params.get("PartNumberMarker") or 0
            limit = params.get("MaxParts") or 1000
            chosen = [(i + 1, p) for i, p in enumerate(parts) if i + 1 > marker][:limit]
            entries = []
            for number, part in chosen:
                entry: dict[str, Any] = {"PartNumber": number, "Size": part[0]}
                if len(part) > 1 and part[1] and record.get("checksum"):
                    entry["Checksum" + record["checksum"]["alg"]] = part[1]
                entries.append(entry)
            truncated = bool(chosen) and chosen[-1][0] < len(parts)
            object_parts: dict[str, Any] = {
                "TotalPartsCount": len(parts), "PartNumberMarker": marker, "MaxParts": limit,
                "IsTruncated": truncated, "Parts": entries,
            }
            if chosen:
                object_parts["NextPartNumberMarker"] = chosen[-1][0]
            out["ObjectParts"] = object_parts
        return out

    def get_object_tagging(self, ctx: RequestContext, params: dict) -> dict:
        bucket = self.bucket(ctx, params["Bucket"])
        _, record = self.resolve(bucket, params["Key"], params.get("VersionId"), "GET")
        out: dict[str, Any] = {"TagSet": attributes.tag_set(record.get("tags") or {})}
        if self.versioned(bucket):
            out["VersionId"] = record["vid"]
        return out

    def put_object_tagging(self, ctx: RequestContext, params: dict) -> dict:
        bucket = self.bucket(ctx, params["Bucket"])
        key = params["Key"]
        vkey, record = self.resolve(bucket, key, params.get("VersionId"), "PUT")
        tags = attributes.tags_from_set((params.get("Tagging") or {}).get("TagSet") or [])
        record = dict(record, tags=tags)
        self.update_version(bucket, key, vkey, record)
        self.emit(ctx, bucket, "ObjectTagging:Put", record)
        return {"VersionId": record["vid"]} if self.versioned(bucket) else {}

    def delete_object_tagging(self, ctx: RequestContext, params: dict) -> dict:
        bucket = self.bucket(ctx, params["Bucket"])
        key = params["Key"]
        vkey, record = self.resolve(bucket, key, params.get("VersionId"), "DELETE")
        record = dict(record, tags={})
        self.update_version(bucket, key, vkey, record)
        self.emit(ctx, bucket, "ObjectTagging:Delete", record)
        return {"VersionId": record["vid"]} if self.versioned(bucket) else {}


def _requested_algorithms(params: dict, ctx: RequestContext) -> list[str]:
    found = [alg for alg in ("CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256") if params.get("Checksum" + alg)]
    if params.get("ChecksumAlgorithm"):
        found.append(params["ChecksumAlgorithm"].upper())
    if ctx.request is not None:
        trailer = ctx.request.headers.get("x-amz-trailer", "").strip().lower()
        if trailer.startswith("x-amz-checksum-"):
            found.append(trailer[15:].upper())
    return found


def _with_default_checksum(params: dict, requested: list[str]) -> dict:
    """S3 computes a CRC64NVME for every new object that arrives without a checksum (when awscrt makes
    that cheap; the pure-Python CRC would slow every upload to a few MB/s)."""
    if requested or not FAST_CRCS:
        return params
    return dict(params, ChecksumAlgorithm="CRC64NVME")


def storage_length_missing(ctx: RequestContext) -> bool:
    headers = ctx.request.headers
    if "content-length" in headers or "x-amz-decoded-content-length" in headers:
        return False
    return "chunked" not in headers.get("transfer-encoding", "").lower()


def _internal(ctx: RequestContext) -> RequestContext:
    """A context for reading bytes Cloudlet already holds: no request digests apply."""
    return RequestContext(ctx.service, ctx.operation, None, "internal", ctx.region, ctx.identity, ctx.request_id)


def _restored(record: dict, now: float) -> bool:
    restore = record.get("restoring")
    return restore is not None and restore["ready"] <= now < restore["expires"]


def _part_checksum(record: dict, part: int) -> dict:
    checksum = record.get("checksum")
    parts = record.get("parts") or []
    if not checksum or part > len(parts) or len(parts[part - 1]) < 2 or not parts[part - 1][1]:
        return {}
    if checksum["alg"] not in FULL_OBJECT_CAPABLE and checksum.get("type") != "COMPOSITE":
        return {}
    return {"Checksum" + checksum["alg"]: parts[part - 1][1], "ChecksumType": "COMPOSITE"}


def _http_date_text(epoch: float) -> str:
    from cloudlet.protocol.timestamps import http_date as text

    return text(int(epoch))


def _expires_text(value: Any) -> Any:
    try:
        return to_datetime(value)
    except (ValueError, TypeError):
        return value
