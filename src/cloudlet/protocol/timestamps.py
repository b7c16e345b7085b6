"""Timestamps in each format the AWS protocols use: epoch seconds, ISO 8601 and HTTP dates."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

_ISO = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?\s*(Z|z|[+-]\d{2}:?\d{2})?$"
)


class TimestampError(ValueError):
    pass


def from_epoch(value: float | int | str) -> datetime:
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        raise TimestampError(f"not an epoch timestamp: {value!r}")
    if seconds != seconds or not -62135596800 <= seconds <= 253402300799:  # NaN, or outside years 1-9999
        raise TimestampError(f"timestamp out of range: {value!r}")
    return EPOCH + timedelta(seconds=seconds)


def from_iso8601(text: str) -> datetime:
    match = _ISO.match(text.strip())
    if not match:
        raise TimestampError(f"not an ISO 8601 timestamp: {text!r}")
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    try:
        dt = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second), tzinfo=UTC)
        if fraction:
            dt += timedelta(microseconds=int(fraction[:6].ljust(6, "0")))
        if zone and zone not in "Zz":
            sign = 1 if zone[0] == "+" else -1
            digits = zone[1:].replace(":", "")
            dt -= sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    except (ValueError, OverflowError) as e:  # e.g. a zone offset pushing past year 9999
        raise TimestampError(str(e))
    return dt


def from_http_date(text: str) -> datetime:
    try:
        dt = parsedate_to_datetime(text)
        return dt.astimezone(UTC) if dt.tzinfo else dt.replace(tzinfo=UTC)
    except (TypeError, ValueError, IndexError, OverflowError):
        raise TimestampError(f"not an HTTP date: {text!r}")


def parse(value: object, fmt: str) -> datetime:
    """Read a timestamp sent in ``fmt``; epoch numbers are accepted wherever AWS accepts them."""
    if isinstance(value, bool):
        raise TimestampError(f"not a timestamp: {value!r}")
    if isinstance(value, int | float):
        return from_epoch(value)
    if not isinstance(value, str):
        raise TimestampError(f"not a timestamp: {value!r}")
    if fmt == "unixTimestamp":
        return from_epoch(value)
    if fmt == "rfc822":
        return from_http_date(value)
    try:
        return from_iso8601(value)
    except TimestampError:
        return from_epoch(value)


def to_datetime(value: datetime | float | int | str) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, str):
        return parse(value, "iso8601")
    return from_epoch(value)


def epoch(value: datetime | float | int | str) -> float | int:
    """Epoch seconds, an int when whole (as AWS writes them) else a float to milliseconds."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    else:
        seconds = (to_datetime(value) - EPOCH).total_seconds()
    whole = int(seconds)
    return whole if whole == seconds else round(seconds, 3)


def iso8601(value: datetime | float | int | str) -> str:
    dt = to_datetime(value).astimezone(UTC)
    millis = dt.microsecond // 1000
    return dt.strftime("%Y-%m-%dT%H:%M:%S") + (f".{millis:03d}Z" if millis else "Z")


def http_date(value: datetime | float | int | str) -> str:
    return format_datetime(to_datetime(value).astimezone(UTC), usegmt=True)


def render(value: datetime | float | int | str, fmt: str) -> str | float | int:
    if fmt == "unixTimestamp":
        return epoch(value)
    if fmt == "rfc822":
        return http_date(value)
    return iso8601(value)
