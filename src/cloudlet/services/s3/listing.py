"""ListObjects, ListObjectsV2 and ListObjectVersions: ordered index walks, grouped by delimiter.

Keys are walked in UTF-8 byte order (SQLite compares text that way, and so
does S3).  A common prefix is skipped in one step: the walk restarts at the
smallest string after every key that starts with it, so a page costs the
same in a bucket of a hundred keys or of millions.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

from cloudlet.context import RequestContext
from cloudlet.services.s3 import errors
from cloudlet.services.s3.core import http_date, owner
from cloudlet.services.s3.versions import Versions

BATCH = 1000


def next_after(prefix: str) -> str:
    """The smallest string greater than every string that starts with ``prefix``."""
    chars = list(prefix)
    while chars:
        code = ord(chars[-1]) + 1
        if code == 0xD800:
            code = 0xE000  # surrogates cannot be stored as UTF-8
        if code <= 0x10FFFF:
            chars[-1] = chr(code)
            return "".join(chars)
        chars.pop()
    return "\U0010ffff" * 2


def encode_if(encode: bool, text: str | None) -> str | None:
    """S3's EncodingType=url: like a form, spaces as ``+`` (botocore reads it back with unquote_plus)."""
    if text is None or not encode:
        return text
    return quote(text, safe="/").replace("%20", "+")


def _group(key: str, prefix: str, delimiter: str) -> str | None:
    if not delimiter:
        return None
    index = key.find(delimiter, len(prefix))
    return key[: index + len(delimiter)] if index >= 0 else None


def _encoding(params: dict) -> bool:
    value = params.get("EncodingType")
    if value is not None and value != "url":
        raise errors.invalid_argument("Invalid Encoding Method specified in Request", "encoding-type", value)
    return value == "url"


def _max_keys(params: dict) -> int:
    value = params.get("MaxKeys")
    if value is None:
        return 1000
    if value < 0:
        raise errors.invalid_argument("Argument maxKeys must be an integer between 0 and 2147483647", "maxKeys",
                                      str(value))
    return min(value, 1000)


class Listing(Versions):
    def _walk(
        self, table: Any, bucket: str, prefix: str, delimiter: str, start_after: str | None, limit: int
    ) -> tuple[list[tuple[str, Any]], list[str], bool, str | None]:
        """(entries, common prefixes, truncated, the last key or prefix returned)."""
        base = f"{bucket}/"
        entries: list[tuple[str, Any]] = []
        prefixes: list[str] = []
        cursor: tuple[str, bool] | None = None  # (position, inclusive)
        if start_after:
            group = _group(start_after, prefix, delimiter)
            if group is not None and group == start_after:
                cursor = (base + next_after(group), True)
            else:
                cursor = (base + start_after, False)
        last = None
        if limit == 0:
            return entries, prefixes, False, None
        while True:
            # read one more than the page still needs (to know whether it is truncated), no more
            size = min(BATCH, limit - len(entries) - len(prefixes) + 1)
            batch = self._batch(table, base + prefix, cursor, size)
            if not batch:
                return entries, prefixes, False, last
            jumped = False
            for full, value in batch:
                key = full[len(base):]
                if "\0" in key:  # versions table: bucket/key\0sort
                    key = key.split("\0", 1)[0]
                group = _group(key, prefix, delimiter)
                if len(entries) + len(prefixes) >= limit:
                    return entries, prefixes, True, last
                if group is not None:
                    prefixes.append(group)
                    last = group
                    cursor = (base + next_after(group), True)
                    jumped = True
                    break
                entries.append((key, value))
                last = key
                cursor = (full, False)
            if not jumped and len(batch) < size:
                return entries, prefixes, False, last

    @staticmethod
    def _batch(table: Any, prefix: str, cursor: tuple[str, bool] | None, size: int = BATCH) -> list[tuple[str, Any]]:
        end = next_after(prefix) if prefix else None
        if cursor is None:
            return list(table.items(prefix, end, limit=size)) if prefix else list(table.items(limit=size))
        position, inclusive = cursor
        if end is not None and position >= end:
            return []
        # one lower bound only (``position + "\0"`` is the first string after ``position``): with two,
        # SQLite walks the index from the smaller one and filters every row up to the other
        start = position if inclusive else position + "\0"
        return list(table.items(max(start, prefix), end, limit=size))

    def _object_entry(self, key: str, record: dict, encode: bool, with_owner: bool) -> dict:
        entry: dict[str, Any] = {
            "Key": encode_if(encode, key),
            "LastModified": http_date(record["mtime"]),
            "ETag": record["etag"],
            "Size": record["size"],
            "StorageClass": record.get("class") or "STANDARD",
        }
        checksum = record.get("checksum")
        if checksum:
            entry["ChecksumAlgorithm"] = [checksum["alg"]]
            entry["ChecksumType"] = checksum.get("type") or "FULL_OBJECT"
        if with_owner:
            entry["Owner"] = owner(record.get("owner", ""))
        return entry

    def list_objects(self, ctx: RequestContext, params: dict) -> dict:
        name = params["Bucket"]
        self.bucket(ctx, name)
        encode = _encoding(params)
        prefix = params.get("Prefix") or ""
        delimiter = params.get("Delimiter") or ""
        limit = _max_keys(params)
        marker = params.get("Marker") or ""
        entries, prefixes, truncated, last = self._walk(
            self.state().objects, name, prefix, delimiter, marker or None, limit
        )
        out: dict[str, Any] = {
            "Name": name, "Prefix": encode_if(encode, prefix), "Marker": encode_if(encode, marker),
            "MaxKeys": limit, "IsTruncated": truncated,
            "Contents": [self._object_entry(k, r, encode, True) for k, r in entries],
            "CommonPrefixes": [{"Prefix": encode_if(encode, p)} for p in prefixes],
        }
        if delimiter:
            out["Delimiter"] = encode_if(encode, delimiter)
        if encode:
            out["EncodingType"] = "url"
        if truncated and delimiter and last is not None:
            out["NextMarker"] = encode_if(encode, last)
        return out

    def list_objects_v2(self, ctx: RequestContext, params: dict) -> dict:
        name = params["Bucket"]
        self.bucket(ctx, name)
        encode = _encoding(params)
        prefix = params.get("Prefix") or ""
        delimiter = params.get("Delimiter") or ""
        limit = _max_keys(params)
        token = params.get("ContinuationToken")
        start_after = params.get("StartAfter") or ""
        position = start_after or None
        if token is not None:
            position = _read_token(token)
        entries, prefixes, truncated, last = self._walk(self.state().objects, name, prefix, delimiter, position,
                                                        limit)
        with_owner = bool(params.get("FetchOwner"))
        out: dict[str, Any] = {
            "Name": name, "Prefix": encode_if(encode, prefix), "MaxKeys": limit, "IsTruncated": truncated,
            "KeyCount": len(entries) + len(prefixes),
            "Contents": [self._object_entry(k, r, encode, with_owner) for k, r in entries],
            "CommonPrefixes": [{"Prefix": encode_if(encode, p)} for p in prefixes],
        }
        if delimiter:
            out["Delimiter"] = encode_if(encode, delimiter)
        if encode:
            out["EncodingType"] = "url"
        if token is not None:
            out["ContinuationToken"] = token
        if start_after:
            out["StartAfter"] = encode_if(encode, start_after)
        if truncated and last is not None:
            out["NextContinuationToken"] = base64.urlsafe_b64encode(last.encode("utf-8", "surrogatepass")).decode()
        return out

    def list_object_versions(self, ctx: RequestContext, params: dict) -> dict:
        name = params["Bucket"]
        bucket = self.bucket(ctx, name)
        encode = _encoding(params)
        prefix = params.get("Prefix") or ""
        delimiter = params.get("Delimiter") or ""
        limit = _max_keys(params)
        key_marker = params.get("KeyMarker") or ""
        version_marker = params.get("VersionIdMarker") or ""
        if version_marker and not key_marker:
            raise errors.invalid_argument("A version-id marker cannot be specified without a key marker.",
                                          "version-id-marker", version_marker)
        versions: list[dict] = []
        markers: list[dict] = []
        prefixes: list[str] = []
        truncated = False
        next_key = next_version = None
        for kind, key, record, latest in self._version_walk(name, prefix, delimiter, key_marker, version_marker,
                                                            min(BATCH, limit + 1)):
            if len(versions) + len(markers) + len(prefixes) >= limit:
                truncated = True
                break
            if kind == "prefix":
                prefixes.append(key)
                next_key, next_version = key, None
                continue
            entry: dict[str, Any] = {
                "Key": encode_if(encode, key), "VersionId": record["vid"], "IsLatest": latest,
                "LastModified": http_date(record["mtime"]), "Owner": owner(record.get("owner", bucket["account"])),
            }
            if record.get("dm"):
                markers.append(entry)
            else:
                entry.update({"ETag": record["etag"], "Size": record["size"],
                              "StorageClass": record.get("class") or "STANDARD"})
                if record.get("checksum"):
                    entry["ChecksumAlgorithm"] = [record["checksum"]["alg"]]
                    entry["ChecksumType"] = record["checksum"].get("type") or "FULL_OBJECT"
                versions.append(entry)
            next_key, next_version = key, record["vid"]
        out: dict[str, Any] = {
            "Name": name, "Prefix": encode_if(encode, prefix), "KeyMarker": encode_if(encode, key_marker),
            "VersionIdMarker": version_marker, "MaxKeys": limit, "IsTruncated": truncated,
            "Versions": versions, "DeleteMarkers": markers,
            "CommonPrefixes": [{"Prefix": encode_if(encode, p)} for p in prefixes],
        }
        if delimiter:
            out["Delimiter"] = encode_if(encode, delimiter)
        if encode:
            out["EncodingType"] = "url"
        if truncated:
            out["NextKeyMarker"] = encode_if(encode, next_key)
            if next_version is not None:
                out["NextVersionIdMarker"] = next_version
        return out

    def _version_walk(
        self, bucket: str, prefix: str, delimiter: str, key_marker: str, version_marker: str, size: int = BATCH
    ) -> Iterator[tuple[str, str, Any, bool]]:
        table = self.state().versions
        base = f"{bucket}/"
        cursor: tuple[str, bool] | None = None
        previous_key = None
        if key_marker:
            group = _group(key_marker, prefix, delimiter)
            if group is not None and group == key_marker:
                cursor = (base + next_after(group), True)
            elif version_marker:
                found = self.find_version(bucket, key_marker, version_marker) if version_marker != "null" else None
                if version_marker == "null":
                    found = self.find_version(bucket, key_marker, "null")
                if found is None:
                    cursor = (base + key_marker + "\1", True)
                else:
                    cursor = (found[0], False)
                    previous_key = key_marker
            else:
                cursor = (base + key_marker + "\1", True)
        while True:
            batch = self._batch(table, base + prefix, cursor, size)
            if not batch:
                return
            jumped = False
            for full, record in batch:
                key = full[len(base):].split("\0", 1)[0]
                group = _group(key, prefix, delimiter)
                if group is not None:
                    yield "prefix", group, None, False
                    cursor = (base + next_after(group), True)
                    jumped = True
                    break
                latest = key != previous_key
                previous_key = key
                cursor = (full, False)
                yield "version", key, record, latest
            if not jumped and len(batch) < size:
                return


def _read_token(token: str) -> str:
    try:
        return base64.urlsafe_b64decode(token.encode()).decode("utf-8", "surrogatepass")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise errors.invalid_argument("The continuation token provided is incorrect", "continuation-token", token)
