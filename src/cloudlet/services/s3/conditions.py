"""Conditional requests (If-Match & co., for reads, writes and copy sources) and byte ranges."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from cloudlet.protocol.errors import ServiceError
from cloudlet.protocol.timestamps import epoch
from cloudlet.services.s3 import errors

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def etag_matches(header: str, etag: str) -> bool:
    """Does an If-Match / If-None-Match list name this ETag (``*`` names any)?"""
    bare = etag.strip('"')
    for item in header.split(","):
        item = item.strip()
        if item == "*":
            return True
        if item.startswith("W/"):
            item = item[2:]
        if item.strip('"') == bare:
            return True
    return False


def _seconds(value: Any) -> float:
    return epoch(value) if isinstance(value, datetime | int | float) else float(value)


def check_read(params: dict, record: dict, headers: dict[str, str]) -> None:
    """RFC 7232 as S3 applies it to GET and HEAD: 412 first, then 304."""
    etag = record["etag"]
    modified = int(record["mtime"])
    if_match = params.get("IfMatch")
    if if_match is not None:
        if not etag_matches(if_match, etag):
            raise errors.precondition_failed("If-Match")
    elif params.get("IfUnmodifiedSince") is not None and modified > _seconds(params["IfUnmodifiedSince"]):
        raise errors.precondition_failed("If-Unmodified-Since")
    if_none = params.get("IfNoneMatch")
    if if_none is not None:
        if etag_matches(if_none, etag):
            raise _not_modified(headers)
    elif params.get("IfModifiedSince") is not None and modified <= _seconds(params["IfModifiedSince"]):
        raise _not_modified(headers)


def _not_modified(headers: dict[str, str]) -> ServiceError:
    error = errors.not_modified()
    error.headers = headers
    return error


def check_copy_source(params: dict, record: dict) -> None:
    """The x-amz-copy-source-if-* headers: every failure is a 412 naming the header."""
    etag = record["etag"]
    modified = int(record["mtime"])
    if_match = params.get("CopySourceIfMatch")
    if_none = params.get("CopySourceIfNoneMatch")
    since = params.get("CopySourceIfModifiedSince")
    unmodified = params.get("CopySourceIfUnmodifiedSince")
    if if_match is not None and not etag_matches(if_match, etag):
        raise errors.precondition_failed("x-amz-copy-source-If-Match")
    if unmodified is not None and if_match is None and modified > _seconds(unmodified):
        raise errors.precondition_failed("x-amz-copy-source-If-Unmodified-Since")
    if if_none is not None and etag_matches(if_none, etag):
        raise errors.precondition_failed("x-amz-copy-source-If-None-Match")
    if since is not None and if_none is None and modified <= _seconds(since):
        raise errors.precondition_failed("x-amz-copy-source-If-Modified-Since")


def check_write(params: dict, current: dict | None, key: str) -> None:
    """Conditional writes: If-None-Match: * (create only) and If-Match: <etag> (replace only that)."""
    if_none = params.get("IfNoneMatch")
    if if_none is not None:
        if if_none.strip() != "*":
            raise ServiceError(
                "NotImplemented", "A header you provided implies functionality that is not implemented", 501,
                Header="If-None-Match", additionalMessage="We don't accept the provided value of If-None-Match header "
                "for this API",
            )
        if current is not None:
            raise errors.precondition_failed("If-None-Match")
    if_match = params.get("IfMatch")
    if if_match is not None:
        if current is None:
            raise errors.no_such_key(key)
        if not etag_matches(if_match, current["etag"]):
            raise errors.precondition_failed("If-Match")


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """[start, end) of a ``Range: bytes=...`` header; None to send the whole object.

    A header S3 cannot read (another unit, several ranges, garbage) is ignored,
    as S3 ignores it; a well-formed range outside the object is 416 InvalidRange.
    """
    if not header:
        return None
    match = _RANGE.match(header.strip())
    if match is None:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:
        suffix = int(last)
        if suffix == 0 or size == 0:
            raise invalid_range(header, size)
        return max(0, size - suffix), size
    start = int(first)
    end = int(last) + 1 if last else size
    if last and int(last) < start:
        return None  # an inverted range is ignored, like an unreadable one
    if start >= size:
        raise invalid_range(header, size)
    return start, min(end, size)


def invalid_range(header: str, size: int) -> ServiceError:
    return ServiceError(
        "InvalidRange", "The requested range is not satisfiable", 416,
        RangeRequested=header, ActualObjectSize=str(size),
    )
