"""Order-preserving byte encodings of key values, so that a Query is a range read.

Every encoded component is self-delimiting (no encoding is a prefix of another),
so components can be concatenated and still sort component by component:

* strings (UTF-8) and binary: the bytes, with 0x00 escaped as 0x00 0xFF, then 0x00 0x01;
* numbers: a sign byte (0x7F negative, 0x80 zero, 0x81 positive), a byte for the
  decimal exponent (DynamoDB's exponent range -130..125 fits one byte exactly),
  then the significant digits as ASCII and a terminator; for negatives the exponent
  and digits are inverted so larger magnitudes sort first.

Items are stored under ``table uid + hash(partition) + partition + sort``: the
four-byte hash spreads partitions the way DynamoDB's does, so a Scan runs in hash
order and a parallel Scan segment is a contiguous key range.
"""

from __future__ import annotations

from decimal import Decimal

try:  # CPython's own MD5: on a short key, half the per-call cost of OpenSSL's through hashlib
    from _md5 import md5
except ImportError:  # a build without it
    from hashlib import md5

from cloudlet.services.dynamodb.values import ARITHMETIC

_INVERT_DIGITS = bytes.maketrans(b"0123456789", b"9876543210")
TERMINATOR = b"\x00\x01"


def encode_bytes(data: bytes) -> bytes:
    if b"\x00" in data:
        data = data.replace(b"\x00", b"\x00\xff")
    return data + TERMINATOR


def encode_string(text: str) -> bytes:
    return encode_bytes(text.encode("utf-8"))


def encode_number(text: str) -> bytes:
    sign, digits, exponent = Decimal(text).normalize(ARITHMETIC).as_tuple()
    if digits == (0,):
        return b"\x80"
    adjusted = exponent + len(digits) - 1
    mantissa = "".join(map(str, digits)).encode("ascii")
    if sign:
        return b"\x7f" + bytes((125 - adjusted,)) + mantissa.translate(_INVERT_DIGITS) + b"\xff"
    return b"\x81" + bytes((adjusted + 130,)) + mantissa + b"\x00"


def encode(kind: str, value: object) -> bytes:
    """One key component (``kind`` is the attribute's declared type: S, N or B)."""
    if kind == "S":
        return encode_string(value)  # type: ignore[arg-type]
    if kind == "N":
        return encode_number(value)  # type: ignore[arg-type]
    return encode_bytes(value)  # type: ignore[arg-type]


def prefix_of(kind: str, value: object) -> bytes:
    """The encoding every value that begins with ``value`` starts with (begins_with on a sort key)."""
    data = value.encode("utf-8") if kind == "S" else value  # type: ignore[union-attr]
    return data.replace(b"\x00", b"\x00\xff")  # type: ignore[union-attr]


def partition_hash(encoded: bytes) -> bytes:
    return md5(encoded, usedforsecurity=False).digest()[:4]


def successor(prefix: bytes) -> bytes:
    """The smallest byte string greater than every string starting with ``prefix``."""
    stripped = prefix.rstrip(b"\xff")
    if not stripped:
        return b"\xff" * (len(prefix) + 1)
    return stripped[:-1] + bytes((stripped[-1] + 1,))


def segment_bounds(segment: int, total: int) -> tuple[bytes, bytes | None]:
    """The hash range of one parallel-scan segment: [start, end) over the four hash bytes."""
    start = (segment << 32) // total
    end = ((segment + 1) << 32) // total
    return start.to_bytes(4, "big"), (end.to_bytes(4, "big") if end < (1 << 32) else None)
