"""Bucket naming rules (general purpose buckets), as S3 enforces them on CreateBucket."""

from __future__ import annotations

import re

_LABELS = re.compile(r"^[a-z0-9][a-z0-9.-]*[a-z0-9]$")
_IP = re.compile(r"^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$")
_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")


def valid_bucket_name(name: str) -> bool:
    if not 3 <= len(name) <= 63 or not name.isascii():
        return False
    if not _LABELS.match(name) or ".." in name or ".-" in name or "-." in name:
        return False
    if _IP.match(name):
        return False
    return not name.startswith(_PREFIXES) and not name.endswith(_SUFFIXES)


def plausible_bucket_name(name: str) -> bool:
    """Names S3 would look up at all (older rules allowed upper case and underscores)."""
    return 3 <= len(name) <= 255 and re.match(r"^[A-Za-z0-9._-]+$", name) is not None
