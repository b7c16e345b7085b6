"""CBOR (RFC 8949), the body encoding of the smithy-rpc-v2-cbor protocol.

``loads`` turns one CBOR data item into Python values; ``dumps`` does the
reverse.  The mapping is the one the AWS SDKs use:

==================  =====================================================
CBOR                Python
==================  =====================================================
unsigned/negative   int (tags 2 and 3, bignums, too)
byte string         bytes
text string         str
array               list
map                 dict
tag 1               aware UTC datetime (epoch seconds, int or float)
other tags          the tagged value itself (the tag is dropped)
false/true          bool
null/undefined      None
half/single/double  float
==================  =====================================================

The decoder reads untrusted input, so every length is checked against the
bytes actually present before anything is allocated, nesting is bounded and
every failure is a ``CBORDecodeError`` (a ``ValueError``): never another
exception type, never a hang.
"""

from __future__ import annotations

import math
import struct
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from cloudlet.protocol import timestamps

MAX_DEPTH = 128  # DynamoDB's 32 levels of attribute values need 64; leave room
MAX_BIGNUM_BYTES = 1024

EPOCH = timestamps.EPOCH
_MIN_EPOCH = (datetime(1, 1, 1, tzinfo=UTC) - EPOCH).total_seconds()
_MAX_EPOCH = (datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC) - EPOCH).total_seconds()

_U16 = struct.Struct(">H")
_U32 = struct.Struct(">I")
_U64 = struct.Struct(">Q")
_F16 = struct.Struct(">e")
_F32 = struct.Struct(">f")
_F64 = struct.Struct(">d")
_BREAK = 0xFF


class CBORDecodeError(ValueError):
    """The input is not one well-formed CBOR data item we can represent."""


class CBOREncodeError(ValueError):
    """A value has no CBOR representation here."""


# --- decoding --------------------------------------------------------------------------


def loads(data: bytes | bytearray | memoryview) -> Any:
    """The single data item that ``data`` holds; trailing bytes are an error."""
    if not isinstance(data, bytes):
        data = bytes(data)
    if not data:
        raise CBORDecodeError("Empty input: expected a CBOR data item.")
    try:
        value, pos = _item(data, 0, 0)
    except CBORDecodeError:
        raise
    except (IndexError, struct.error):
        raise CBORDecodeError("Unexpected end of CBOR input.")
    except UnicodeDecodeError:
        raise CBORDecodeError("A CBOR text string is not valid UTF-8.")
    if pos != len(data):
        raise CBORDecodeError(f"Unexpected data after the CBOR item at offset {pos}.")
    return value


def _argument(data: bytes, pos: int, info: int) -> tuple[int, int]:
    """The integer argument of a head whose additional information is ``info`` (not 31)."""
    if info < 24:
        return info, pos
    if info == 24:
        return data[pos], pos + 1
    if info == 25:
        return _U16.unpack_from(data, pos)[0], pos + 2
    if info == 26:
        return _U32.unpack_from(data, pos)[0], pos + 4
    if info == 27:
        return _U64.unpack_from(data, pos)[0], pos + 8
    raise CBORDecodeError(f"Reserved additional information {info} at offset {pos - 1}.")


def _item(data: bytes, pos: int, depth: int) -> tuple[Any, int]:
    # The hot path: one call per data item, the common cases first and inline.
    initial = data[pos]
    pos += 1
    major = initial >> 5
    info = initial & 0x1F

    if major == 3:  # text string
        if info < 24:
            end = pos + info
        elif info == 31:
            return _indefinite_string(data, pos, 3)
        else:
            length, pos = _argument(data, pos, info)
            end = pos + length
        if end > len(data):
            raise CBORDecodeError(f"String length {end - pos} runs past the end of the input.")
        return data[pos:end].decode("utf-8"), end

    if major == 0:
        if info < 24:
            return info, pos
        if info == 31:
            raise CBORDecodeError(f"Indefinite length is not allowed for integers (offset {pos - 1}).")
        return _argument(data, pos, info)

    if major == 5:  # map
        if depth >= MAX_DEPTH:
            raise CBORDecodeError(f"CBOR nesting deeper than {MAX_DEPTH} levels.")
        depth += 1
        out: dict = {}
        try:
            if info == 31:
                while data[pos] != _BREAK:
                    key, pos = _item(data, pos, depth)
                    out[key], pos = _item(data, pos, depth)
                return out, pos + 1
            count, pos = _argument(data, pos, info)
            size = len(data)
            if count * 2 > size - pos:
                raise CBORDecodeError(f"Map of {count} pairs runs past the end of the input.")
            for _ in range(count):
                initial = data[pos]
                if 0x60 <= initial < 0x78:  # a short text key, as nearly all keys are
                    end = pos + initial - 0x5F
                    if end > size:
                        raise CBORDecodeError("String runs past the end of the input.")
                    key = data[pos + 1:end].decode("utf-8")
                    pos = end
                else:
                    key, pos = _item(data, pos, depth)
                out[key], pos = _item(data, pos, depth)
        except TypeError:
            raise CBORDecodeError("A CBOR map key of this type is not supported.")
        return out, pos

    if major == 4:  # array
        if depth >= MAX_DEPTH:
            raise CBORDecodeError(f"CBOR nesting deeper than {MAX_DEPTH} levels.")
        depth += 1
        items: list = []
        append = items.append
        if info == 31:
            while data[pos] != _BREAK:
                value, pos = _item(data, pos, depth)
                append(value)
            return items, pos + 1
        count, pos = _argument(data, pos, info)
        if count > len(data) - pos:
            raise CBORDecodeError(f"Array of {count} items runs past the end of the input.")
        for _ in range(count):
            value, pos = _item(data, pos, depth)
            append(value)
        return items, pos

    if major == 7:
        if info == 20:
            return False, pos
        if info == 21:
            return True, pos
        if info == 22 or info == 23:  # null, undefined
            return None, pos
        if info == 27:
            return _F64.unpack_from(data, pos)[0], pos + 8
        if info == 26:
            return _F32.unpack_from(data, pos)[0], pos + 4
        if info == 25:
            return _F16.unpack_from(data, pos)[0], pos + 2
        if info == 31:
            raise CBORDecodeError(f"Unexpected break code at offset {pos - 1}.")
        raise CBORDecodeError(f"Unsupported CBOR simple value (additional information {info}).")

    if major == 2:  # byte string
        if info == 31:
            return _indefinite_string(data, pos, 2)
        length, pos = _argument(data, pos, info)
        end = pos + length
        if end > len(data):
            raise CBORDecodeError(f"String length {length} runs past the end of the input.")
        return data[pos:end], end

    if major == 1:
        if info == 31:
            raise CBORDecodeError(f"Indefinite length is not allowed for integers (offset {pos - 1}).")
        value, pos = _argument(data, pos, info)
        return -1 - value, pos

    # major == 6: a tag
    if info == 31:
        raise CBORDecodeError(f"Indefinite length is not allowed for tags (offset {pos - 1}).")
    if depth >= MAX_DEPTH:
        raise CBORDecodeError(f"CBOR nesting deeper than {MAX_DEPTH} levels.")
    tag, pos = _argument(data, pos, info)
    value, pos = _item(data, pos, depth + 1)
    if tag == 1:
        return _epoch_datetime(value), pos
    if tag == 2 or tag == 3:
        if not isinstance(value, bytes) or len(value) > MAX_BIGNUM_BYTES:
            raise CBORDecodeError("A CBOR bignum must be a byte string of at most 1024 bytes.")
        number = int.from_bytes(value, "big")
        return (number if tag == 2 else -1 - number), pos
    return value, pos


def _indefinite_string(data: bytes, pos: int, major: int) -> tuple[Any, int]:
    chunks = []
    while data[pos] != _BREAK:
        initial = data[pos]
        if initial >> 5 != major or initial & 0x1F == 31:
            raise CBORDecodeError(f"Bad chunk in an indefinite-length string at offset {pos}.")
        length, pos = _argument(data, pos + 1, initial & 0x1F)
        end = pos + length
        if end > len(data):
            raise CBORDecodeError(f"String chunk length {length} runs past the end of the input.")
        chunks.append(data[pos:end])
        pos = end
    joined = b"".join(chunks)
    # Each chunk of a text string must be valid UTF-8 on its own (RFC 8949 3.2.3).
    return (joined if major == 2 else "".join(c.decode("utf-8") for c in chunks)), pos + 1


def _epoch_datetime(value: Any) -> datetime:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise CBORDecodeError("Tag 1 (epoch date/time) must enclose a number.")
    if not _MIN_EPOCH <= value <= _MAX_EPOCH:  # also false for NaN
        raise CBORDecodeError(f"Epoch timestamp {value!r} is out of range.")
    try:
        if isinstance(value, int):
            return EPOCH + timedelta(seconds=value)
        # Read a float as the shortest decimal that is that double (what the sender wrote):
        # far from 1970 a double cannot hold microseconds, and timedelta(seconds=x) would
        # turn ...0.001 into ...0.000999.
        return EPOCH + timedelta(microseconds=round(Decimal(repr(value)) * 1_000_000))
    except OverflowError:  # a float at the very edge can round past year 9999
        raise CBORDecodeError(f"Epoch timestamp {value!r} is out of range.")


# --- encoding --------------------------------------------------------------------------


def dumps(value: Any) -> bytes:
    """``value`` as one CBOR data item (definite lengths, doubles, tag 1 for datetimes)."""
    out = bytearray()
    _encode(value, out, 0)
    return bytes(out)


def _head(out: bytearray, major: int, n: int) -> None:
    mt = major << 5
    if n < 24:
        out.append(mt | n)
    elif n < 0x100:
        out.append(mt | 24)
        out.append(n)
    elif n < 0x10000:
        out.append(mt | 25)
        out += _U16.pack(n)
    elif n < 0x100000000:
        out.append(mt | 26)
        out += _U32.pack(n)
    else:
        out.append(mt | 27)
        out += _U64.pack(n)


_KEYS: dict[str, bytes] = {}  # encoded map keys: member names, over and over
_MAX_KEYS = 4096


def _key(key: str) -> bytes:
    data = key.encode("utf-8")
    head = bytearray()
    _head(head, 3, len(data))
    encoded = bytes(head) + data
    if len(_KEYS) < _MAX_KEYS and len(data) <= 64:
        _KEYS[key] = encoded
    return encoded


def _encode(value: Any, out: bytearray, depth: int) -> None:
    kind = type(value)
    if kind is str:
        data = value.encode("utf-8")
        length = len(data)
        if length < 24:
            out.append(0x60 | length)
        else:
            _head(out, 3, length)
        out += data
    elif kind is dict:
        if depth >= MAX_DEPTH:
            raise CBOREncodeError(f"Value nested deeper than {MAX_DEPTH} levels.")
        length = len(value)
        if length < 24:
            out.append(0xA0 | length)
        else:
            _head(out, 5, length)
        depth += 1
        for key, item in value.items():
            if type(key) is str:
                out += _KEYS.get(key) or _key(key)
            else:
                _encode(key, out, depth)
            _encode(item, out, depth)
    elif kind is int:
        if 0 <= value < 24:
            out.append(value)
        else:
            _encode_int(value, out)
    elif kind is list or kind is tuple:
        if depth >= MAX_DEPTH:
            raise CBOREncodeError(f"Value nested deeper than {MAX_DEPTH} levels.")
        _head(out, 4, len(value))
        depth += 1
        for item in value:
            _encode(item, out, depth)
    elif kind is float:
        _encode_float(value, out)
    elif kind is bool:
        out.append(0xF5 if value else 0xF4)
    elif value is None:
        out.append(0xF6)
    elif kind is bytes or kind is bytearray or kind is memoryview:
        _head(out, 2, len(value))
        out += value
    elif isinstance(value, datetime):
        out.append(0xC1)  # tag 1: epoch-based date/time
        seconds = timestamps.epoch(value)  # to the millisecond, as AWS sends them
        if type(seconds) is int:
            _encode_int(seconds, out)
        else:
            out.append(0xFB)
            out += _F64.pack(seconds)
    # Subclasses (IntEnum, str enums, OrderedDict...) after the exact types above.
    elif isinstance(value, bool):
        out.append(0xF5 if value else 0xF4)
    elif isinstance(value, int):
        _encode_int(int(value), out)
    elif isinstance(value, float):
        _encode_float(float(value), out)
    elif isinstance(value, str):
        _encode(str.__str__(value), out, depth)  # the string itself, not an enum's str()
    elif isinstance(value, dict):
        _encode(dict(value), out, depth)
    elif isinstance(value, list | tuple):
        _encode(list(value), out, depth)
    elif isinstance(value, bytes | bytearray):
        _encode(bytes(value), out, depth)
    else:
        raise CBOREncodeError(f"Cannot encode a value of type {kind.__name__} as CBOR.")


def _encode_int(value: int, out: bytearray) -> None:
    if value >= 0:
        if value < 0x10000000000000000:
            _head(out, 0, value)
        else:
            out.append(0xC2)  # tag 2: unsigned bignum
            _encode_bignum(value, out)
    else:
        magnitude = -1 - value
        if magnitude < 0x10000000000000000:
            _head(out, 1, magnitude)
        else:
            out.append(0xC3)  # tag 3: negative bignum
            _encode_bignum(magnitude, out)


def _encode_bignum(magnitude: int, out: bytearray) -> None:
    data = magnitude.to_bytes((magnitude.bit_length() + 7) // 8, "big")
    if len(data) > MAX_BIGNUM_BYTES:
        raise CBOREncodeError("Integer too large to encode.")
    _head(out, 2, len(data))
    out += data


def _encode_float(value: float, out: bytearray) -> None:
    if math.isfinite(value):
        out.append(0xFB)
        out += _F64.pack(value)
    elif value != value:
        out += b"\xf9\x7e\x00"  # the canonical half-precision NaN
    else:
        out += b"\xf9\x7c\x00" if value > 0 else b"\xf9\xfc\x00"
