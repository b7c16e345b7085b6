"""The checksums S3 validates and stores: CRC32, CRC32C, CRC64NVME, SHA1, SHA256 (and MD5 for ETags).

CRC32 is zlib's.  CRC32C and CRC64NVME come from ``awscrt`` when it is installed:
it is the AWS common runtime that botocore itself needs for these two
algorithms (a client that sends them has it), a small C library computing
both at memory speed.  Without it, the table-driven Python below gives the
same answers at a few MB/s, which is enough for tests and small objects.

Every hasher has ``update(bytes)`` and ``digest() -> bytes`` (big-endian for
the CRCs, as S3 base64-encodes them in ``x-amz-checksum-*``).
"""

from __future__ import annotations

import base64
import hashlib
import zlib
from collections.abc import Callable

try:  # pragma: no cover - depends on the environment
    from awscrt import checksums as _crt
except ImportError:  # pragma: no cover
    _crt = None

ALGORITHMS = ("CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256")
# Which checksums S3 combines per part into a "checksum of checksums" for multipart objects
# (the CRCs may also be FULL_OBJECT, computed over the whole object).
FULL_OBJECT_CAPABLE = ("CRC32", "CRC32C", "CRC64NVME")


def _reflected_table(poly: int, width: int) -> list[int]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ poly if crc & 1 else crc >> 1
        table.append(crc)
    return table


_CRC32C_TABLE = _reflected_table(0x82F63B78, 32)
_CRC64NVME_TABLE = _reflected_table(0x9A6C9329AC4BC9B5, 64)


def crc32c_python(data: bytes, crc: int = 0) -> int:
    table = _CRC32C_TABLE
    crc ^= 0xFFFFFFFF
    for byte in data:
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def crc64nvme_python(data: bytes, crc: int = 0) -> int:
    table = _CRC64NVME_TABLE
    mask = 0xFFFFFFFFFFFFFFFF
    crc ^= mask
    for byte in data:
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ mask


# Whether the CRCs run at memory speed: only then does every object get S3's default CRC64NVME.
FAST_CRCS = _crt is not None

if _crt is not None:
    _crc32c: Callable[[bytes, int], int] = _crt.crc32c
    _crc64nvme: Callable[[bytes, int], int] = _crt.crc64nvme
else:  # pragma: no cover
    _crc32c = crc32c_python
    _crc64nvme = crc64nvme_python


class _Crc:
    __slots__ = ("value", "_fn", "_bytes")

    def __init__(self, fn: Callable[[bytes, int], int], size: int) -> None:
        self.value = 0
        self._fn = fn
        self._bytes = size

    def update(self, data: bytes) -> None:
        self.value = self._fn(data, self.value)

    def digest(self) -> bytes:
        return self.value.to_bytes(self._bytes, "big")


def new_hasher(algorithm: str) -> object:
    """A fresh hasher for one of ``ALGORITHMS`` (or ``MD5``)."""
    if algorithm == "CRC32":
        return _Crc(zlib.crc32, 4)
    if algorithm == "CRC32C":
        return _Crc(_crc32c, 4)
    if algorithm == "CRC64NVME":
        return _Crc(_crc64nvme, 8)
    if algorithm == "SHA1":
        return hashlib.sha1()
    if algorithm == "SHA256":
        return hashlib.sha256()
    if algorithm == "MD5":
        return hashlib.md5()
    raise ValueError(algorithm)


def checksum(algorithm: str, data: bytes) -> str:
    """The base64 checksum of ``data``, as S3 writes it in ``x-amz-checksum-*``."""
    hasher = new_hasher(algorithm)
    hasher.update(data)  # type: ignore[attr-defined]
    return base64.b64encode(hasher.digest()).decode()  # type: ignore[attr-defined]


def digest_size(algorithm: str) -> int:
    return {"CRC32": 4, "CRC32C": 4, "CRC64NVME": 8, "SHA1": 20, "SHA256": 32, "MD5": 16}[algorithm]


def combine_crc(algorithm: str, crcs: list[tuple[int, int]]) -> int:
    """The CRC of a concatenation from the CRCs of its pieces: ``[(crc, length), ...]``.

    Used for FULL_OBJECT checksums of multipart uploads: the object's CRC is
    derived from the parts' without reading the parts again (zlib's
    crc32_combine method: shift a CRC over n zero bytes by GF(2) matrix powers).
    """
    width, poly = {"CRC32": (32, 0xEDB88320), "CRC32C": (32, 0x82F63B78), "CRC64NVME": (64, 0x9A6C9329AC4BC9B5)}[
        algorithm
    ]
    total = 0
    first = True
    for crc, length in crcs:
        if first:
            total, first = crc, False
        else:
            total = _crc_combine(total, crc, length, width, poly)
    return total


def _gf2_times(matrix: list[int], vector: int) -> int:
    result = 0
    i = 0
    while vector:
        if vector & 1:
            result ^= matrix[i]
        vector >>= 1
        i += 1
    return result


def _gf2_square(matrix: list[int]) -> list[int]:
    return [_gf2_times(matrix, row) for row in matrix]


def _crc_combine(crc1: int, crc2: int, len2: int, width: int, poly: int) -> int:
    if len2 <= 0:
        return crc1
    odd = [poly] + [1 << i for i in range(width - 1)]  # the operator for one zero bit
    even = _gf2_square(odd)  # two zero bits
    odd = _gf2_square(even)  # four zero bits
    while True:
        even = _gf2_square(odd)  # first pass: one zero byte
        if len2 & 1:
            crc1 = _gf2_times(even, crc1)
        len2 >>= 1
        if not len2:
            break
        odd = _gf2_square(even)
        if len2 & 1:
            crc1 = _gf2_times(odd, crc1)
        len2 >>= 1
        if not len2:
            break
    return crc1 ^ crc2
