"""Walking JSON and CBOR document trees by shape, both ways.

json and rest-json bodies differ from CBOR ones only in how blobs and
timestamps travel and in whether ``locationName`` renames members, so one
walker with three switches serves all three.
"""

from __future__ import annotations

import base64
import binascii
import math
from datetime import datetime
from typing import Any

from cloudlet.protocol import timestamps
from cloudlet.protocol.errors import ServiceError
from cloudlet.protocol.models import Shape


class SerializationError(ServiceError):
    def __init__(self, message: str) -> None:
        super().__init__("SerializationException", message, 400)


_JSON_TYPES = {
    "structure": "a structure", "list": "a list", "map": "a map", "string": "a string",
    "integer": "an integer", "long": "a long", "float": "a float", "double": "a double",
    "boolean": "a boolean", "blob": "a blob", "timestamp": "a timestamp", "bigdecimal": "a decimal",
    "biginteger": "an integer",
}


class TreeCodec:
    """Converts between a decoded document tree and the values providers see."""

    def __init__(self, *, binary_blobs: bool, native_timestamps: bool, renames: bool) -> None:
        self.binary_blobs = binary_blobs  # CBOR carries bytes; JSON carries base64
        self.native_timestamps = native_timestamps  # CBOR tag 1 arrives as a datetime already
        self.renames = renames  # JSON honours locationName; RPCv2 uses member names

    def wire_name(self, name: str, member: Shape) -> str:
        return (member.location_name or name) if self.renames else name

    # --- wire -> python ---------------------------------------------------------------

    def decode(self, shape: Shape, value: Any, path: str = "") -> Any:
        kind = shape.type
        if kind == "structure":
            if shape.document:
                return value
            if not isinstance(value, dict):
                raise self._mismatch(shape, value, path)
            out: dict[str, Any] = {}
            for name, member in shape.members.items():
                raw = value.get(self.wire_name(name, member))
                if raw is not None:
                    out[name] = self.decode(member, raw, f"{path}.{name}" if path else name)
            return out
        if kind == "list":
            if not isinstance(value, list):
                raise self._mismatch(shape, value, path)
            member = shape.member
            return [None if v is None else self.decode(member, v, path) for v in value]
        if kind == "map":
            if not isinstance(value, dict):
                raise self._mismatch(shape, value, path)
            key_shape, value_shape = shape.key, shape.value
            return {
                self.decode(key_shape, k, path): None if v is None else self.decode(value_shape, v, path)
                for k, v in value.items()
            }
        if kind == "string":
            if not isinstance(value, str):
                raise self._mismatch(shape, value, path)
            return value
        if kind in ("integer", "long", "biginteger"):
            if isinstance(value, bool) or not isinstance(value, int):
                if isinstance(value, float) and value.is_integer():
                    return int(value)
                raise self._mismatch(shape, value, path)
            return value
        if kind in ("float", "double", "bigdecimal"):
            if isinstance(value, str) and value in ("NaN", "Infinity", "-Infinity"):
                return float(value)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise self._mismatch(shape, value, path)
            return value
        if kind == "boolean":
            if not isinstance(value, bool):
                raise self._mismatch(shape, value, path)
            return value
        if kind == "blob":
            if self.binary_blobs and isinstance(value, bytes | bytearray):
                return bytes(value)
            if not isinstance(value, str):
                raise self._mismatch(shape, value, path)
            try:
                return base64.b64decode(value, validate=True)
            except (binascii.Error, ValueError):
                raise SerializationError(f"Base64 encoded value at '{path}' is not valid.")
        if kind == "timestamp":
            if self.native_timestamps and isinstance(value, datetime):
                return value
            try:
                return timestamps.parse(value, shape.timestamp_format or "unixTimestamp")
            except timestamps.TimestampError:
                raise self._mismatch(shape, value, path)
        return value

    def _mismatch(self, shape: Shape, value: Any, path: str) -> SerializationError:
        got = type(value).__name__
        expected = _JSON_TYPES.get(shape.type, shape.type)
        where = f" at '{path}'" if path else ""
        return SerializationError(f"Unexpected value of type {got}{where}: expected {expected}.")

    # --- python -> wire ---------------------------------------------------------------

    def encode(self, shape: Shape, value: Any) -> Any:
        kind = shape.type
        if kind == "structure":
            if shape.document:
                return value
            out: dict[str, Any] = {}
            members = shape.members
            for name, item in value.items():
                member = members.get(name)
                if member is not None and item is not None:
                    out[self.wire_name(name, member)] = self.encode(member, item)
            return out
        if kind == "list":
            member = shape.member
            return [None if v is None else self.encode(member, v) for v in value]
        if kind == "map":
            value_shape = shape.value
            return {k: None if v is None else self.encode(value_shape, v) for k, v in value.items()}
        if kind == "blob":
            data = value.encode() if isinstance(value, str) else bytes(value)
            return data if self.binary_blobs else base64.b64encode(data).decode("ascii")
        if kind == "timestamp":
            if self.native_timestamps:
                return timestamps.to_datetime(value)
            return timestamps.render(value, shape.timestamp_format or "unixTimestamp")
        if kind in ("float", "double") and not self.binary_blobs and isinstance(value, float):
            if math.isnan(value):
                return "NaN"
            if math.isinf(value):
                return "Infinity" if value > 0 else "-Infinity"
        return value


JSON_CODEC = TreeCodec(binary_blobs=False, native_timestamps=False, renames=True)
CBOR_CODEC = TreeCodec(binary_blobs=True, native_timestamps=True, renames=False)
