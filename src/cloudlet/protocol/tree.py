"""Walking JSON and CBOR document trees by shape, both ways.

json and rest-json bodies differ from CBOR ones only in how blobs and
timestamps travel and in whether ``locationName`` renames members, so one
walker with three switches serves all three.

The walk is on the path of every request, so each shape is compiled once, on
first use, into a small function that does only what that shape needs (a
string is a type check, a structure a loop over a member table).  On the way
out, a shape whose values go to the wire unchanged (strings, integers,
booleans, and lists and maps of them) is not walked at all.
"""

from __future__ import annotations

import base64
import binascii
import math
from collections.abc import Callable
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

Decoder = Callable[[Any], Any]
Encoder = Callable[[Any], Any]


class _Invalid(Exception):
    """A value that does not fit its shape, raised deep in a walk.

    Structures add their member names on the way up, so the path to the value
    is only built when there is an error to report.
    """

    def __init__(self, shape: Shape, value: Any, base64: bool = False) -> None:
        self.shape = shape
        self.value = value
        self.base64 = base64
        self.path: list[str] = []

    def error(self, prefix: str) -> SerializationError:
        path = ".".join(filter(None, [prefix, *reversed(self.path)]))
        if self.base64:
            return SerializationError(f"Base64 encoded value at '{path}' is not valid.")
        got = type(self.value).__name__
        expected = _JSON_TYPES.get(self.shape.type, self.shape.type)
        where = f" at '{path}'" if path else ""
        return SerializationError(f"Unexpected value of type {got}{where}: expected {expected}.")


def _identity(value: Any) -> Any:
    return value


class WireMap(dict):
    """A map a provider knows is already in wire form for every codec (no blobs or timestamps inside).

    Encoders send it as it is instead of walking it: a DynamoDB item of strings and
    numbers is the same document in JSON and CBOR, and a Query of 20 items would
    otherwise be re-walked value by value on every answer.
    """


_PLAIN_TYPES = frozenset(("string", "integer", "long", "biginteger", "boolean", "bigdecimal"))


class TreeCodec:
    """Converts between a decoded document tree and the values providers see."""

    def __init__(self, *, binary_blobs: bool, native_timestamps: bool, renames: bool) -> None:
        self.binary_blobs = binary_blobs  # CBOR carries bytes; JSON carries base64
        self.native_timestamps = native_timestamps  # CBOR tag 1 arrives as a datetime already
        self.renames = renames  # JSON honours locationName; RPCv2 uses member names
        # Compiled walkers by shape (see _key), each beside the spec it was compiled from.
        self._decoders: dict[tuple, tuple[dict, Decoder]] = {}
        self._encoders: dict[tuple, tuple[dict, Encoder | None]] = {}

    def wire_name(self, name: str, member: Shape) -> str:
        return (member.location_name or name) if self.renames else name

    # --- wire -> python ---------------------------------------------------------------

    def decode(self, shape: Shape, value: Any, path: str = "") -> Any:
        decoder = self._decoder(shape)
        try:
            return decoder(value)
        except _Invalid as invalid:
            raise invalid.error(path)
        except RecursionError:
            # A recursive shape (DynamoDB's AttributeValue) nested a few hundred levels: JSON
            # parsing allows it, the walk (three frames a level) runs out of stack.
            raise SerializationError("The request body is nested too deeply.")

    def decoder(self, shape: Shape) -> Decoder:
        """``decode(shape, ·)`` for one shape, to keep where the shape is fixed (an operation's input)."""
        walk = self._decoder(shape)

        def decode(value: Any) -> Any:
            try:
                return walk(value)
            except _Invalid as invalid:
                raise invalid.error("")
            except RecursionError:  # as in decode
                raise SerializationError("The request body is nested too deeply.")

        return decode

    def _decoder(self, shape: Shape) -> Decoder:
        entry = self._decoders.get(_key(shape))
        if entry is not None and entry[0] is shape.spec:
            return entry[1]
        return self._compile_decoder(shape)

    def _compile_decoder(self, shape: Shape) -> Decoder:
        kind = shape.type
        decoder: Decoder
        if kind == "structure":
            if shape.document:
                decoder = _identity
            else:
                return self._structure_decoder(shape)
        elif kind == "list":
            return self._list_decoder(shape)
        elif kind == "map":
            return self._map_decoder(shape)
        elif kind == "string":
            def decoder(value: Any) -> Any:
                if not isinstance(value, str):
                    raise _Invalid(shape, value)
                return value
        elif kind in ("integer", "long", "biginteger"):
            def decoder(value: Any) -> Any:
                if isinstance(value, bool) or not isinstance(value, int):
                    if isinstance(value, float) and value.is_integer():
                        return int(value)
                    raise _Invalid(shape, value)
                return value
        elif kind in ("float", "double", "bigdecimal"):
            def decoder(value: Any) -> Any:
                if isinstance(value, str) and value in ("NaN", "Infinity", "-Infinity"):
                    return float(value)
                if isinstance(value, bool) or not isinstance(value, int | float):
                    raise _Invalid(shape, value)
                return value
        elif kind == "boolean":
            def decoder(value: Any) -> Any:
                if not isinstance(value, bool):
                    raise _Invalid(shape, value)
                return value
        elif kind == "blob":
            binary = self.binary_blobs

            def decoder(value: Any) -> Any:
                if binary and isinstance(value, bytes | bytearray):
                    return bytes(value)
                if not isinstance(value, str):
                    raise _Invalid(shape, value)
                try:
                    return base64.b64decode(value, validate=True)
                except (binascii.Error, ValueError):
                    raise _Invalid(shape, value, base64=True)
        elif kind == "timestamp":
            native = self.native_timestamps
            fmt = shape.timestamp_format or "unixTimestamp"

            def decoder(value: Any) -> Any:
                if native and isinstance(value, datetime):
                    return value
                try:
                    return timestamps.parse(value, fmt)
                except (timestamps.TimestampError, OverflowError):
                    raise _Invalid(shape, value)
        else:
            decoder = _identity
        self._decoders[_key(shape)] = (shape.spec, decoder)
        return decoder

    def _structure_decoder(self, shape: Shape) -> Decoder:
        table: dict[str, tuple[str, Decoder]] = {}  # wire name -> (member name, decoder)

        def decoder(value: Any) -> Any:
            if not isinstance(value, dict):
                raise _Invalid(shape, value)
            out: dict[str, Any] = {}
            for wire, raw in value.items():
                entry = table.get(wire)
                if entry is not None and raw is not None:
                    name, member_decoder = entry
                    try:
                        out[name] = member_decoder(raw)
                    except _Invalid as invalid:
                        invalid.path.append(name)
                        raise
            return out

        # Registered before the members compile, so recursive shapes find it.
        self._decoders[_key(shape)] = (shape.spec, decoder)
        for name, member in shape.members.items():
            table[self.wire_name(name, member)] = (name, self._decoder(member))
        return decoder

    def _list_decoder(self, shape: Shape) -> Decoder:
        member: list[Decoder] = []

        def decoder(value: Any) -> Any:
            if not isinstance(value, list):
                raise _Invalid(shape, value)
            decode = member[0]
            return [None if v is None else decode(v) for v in value]

        self._decoders[_key(shape)] = (shape.spec, decoder)
        member.append(self._decoder(shape.member))
        return decoder

    def _map_decoder(self, shape: Shape) -> Decoder:
        parts: list[Decoder] = []

        def decoder(value: Any) -> Any:
            if not isinstance(value, dict):
                raise _Invalid(shape, value)
            decode_key, decode_value = parts
            return {decode_key(k): None if v is None else decode_value(v) for k, v in value.items()}

        self._decoders[_key(shape)] = (shape.spec, decoder)
        parts.extend((self._decoder(shape.key), self._decoder(shape.value)))
        return decoder

    # --- python -> wire ---------------------------------------------------------------

    def encode(self, shape: Shape, value: Any) -> Any:
        encoder = self._encoder(shape)
        return value if encoder is None else encoder(value)

    def encoder(self, shape: Shape) -> Encoder:
        """``encode`` for one shape, to keep where the shape is fixed (an operation's output)."""
        return self._encoder(shape) or _identity

    def _encoder(self, shape: Shape) -> Encoder | None:
        """The compiled encoder, or None where values go out unchanged."""
        entry = self._encoders.get(_key(shape))
        if entry is not None and entry[0] is shape.spec:
            return entry[1]
        return self._compile_encoder(shape)

    def _compile_encoder(self, shape: Shape) -> Encoder | None:
        kind = shape.type
        encoder: Encoder | None = None
        if kind == "structure":
            if not shape.document:
                return self._structure_encoder(shape)
        elif kind == "list":
            return self._list_encoder(shape)
        elif kind == "map":
            return self._map_encoder(shape)
        elif kind == "blob":
            binary = self.binary_blobs

            def encoder(value: Any) -> Any:
                data = value.encode() if isinstance(value, str) else bytes(value)
                return data if binary else base64.b64encode(data).decode("ascii")
        elif kind == "timestamp":
            if self.native_timestamps:
                encoder = timestamps.to_datetime
            else:
                fmt = shape.timestamp_format or "unixTimestamp"

                def encoder(value: Any) -> Any:
                    return timestamps.render(value, fmt)
        elif kind in ("float", "double") and not self.binary_blobs:
            encoder = _json_float
        self._encoders[_key(shape)] = (shape.spec, encoder)
        return encoder

    def _structure_encoder(self, shape: Shape) -> Encoder:
        table: dict[str, tuple[str, Encoder | None]] = {}  # member name -> (wire name, encoder)

        def encoder(value: Any) -> Any:
            out: dict[str, Any] = {}
            for name, item in value.items():
                entry = table.get(name)
                if entry is not None and item is not None:
                    wire, encode = entry
                    out[wire] = item if encode is None else encode(item)
            return out

        self._encoders[_key(shape)] = (shape.spec, encoder)
        for name, member in shape.members.items():
            table[name] = (self.wire_name(name, member), self._encoder(member))
        return encoder

    def _list_encoder(self, shape: Shape) -> Encoder | None:
        if _plain(shape.member):
            # A list of plain values is sent as it is; other iterables become lists.
            def plain(value: Any) -> Any:
                return value if type(value) is list else list(value)

            self._encoders[_key(shape)] = (shape.spec, plain)
            return plain
        member: list[Encoder | None] = []

        def encoder(value: Any) -> Any:
            encode = member[0]
            if encode is None:
                return list(value)
            return [None if v is None else encode(v) for v in value]

        self._encoders[_key(shape)] = (shape.spec, encoder)
        member.append(self._encoder(shape.member))
        return encoder

    def _map_encoder(self, shape: Shape) -> Encoder | None:
        if _plain(shape.value):
            def plain(value: Any) -> Any:
                return value if type(value) is dict else dict(value.items())

            self._encoders[_key(shape)] = (shape.spec, plain)
            return plain
        parts: list[Encoder | None] = []

        def encoder(value: Any) -> Any:
            if value.__class__ is WireMap:
                return value
            encode = parts[0]
            if encode is None:
                return dict(value.items())
            return {k: None if v is None else encode(v) for k, v in value.items()}

        self._encoders[_key(shape)] = (shape.spec, encoder)
        parts.append(self._encoder(shape.value))
        return encoder


def _key(shape: Shape) -> tuple:
    """What a compiled walker depends on: the shape's definition and its timestamp format.

    Not the Shape object: a member reference with traits of its own (even only
    documentation) is a fresh Shape each time a recursive shape is expanded.  Not
    the name either: a view of a structure (rest.py's body members) shares it.
    The definition is the spec dict itself, kept beside the walker so its id
    cannot be reused; member names and locationName live in the parent's table.
    """
    return (id(shape.spec), shape.timestamp_format)


def _plain(shape: Shape) -> bool:
    """Whether values of this shape go to the wire exactly as given (no walk needed)."""
    kind = shape.type
    if kind in _PLAIN_TYPES:
        return True
    if kind == "list":
        return shape.member.type in _PLAIN_TYPES
    if kind == "map":
        return shape.value.type in _PLAIN_TYPES
    return False


def _json_float(value: Any) -> Any:
    # JSON has no NaN or infinities: AWS sends them as strings.
    if isinstance(value, float) and not math.isfinite(value):
        if math.isnan(value):
            return "NaN"
        return "Infinity" if value > 0 else "-Infinity"
    return value


JSON_CODEC = TreeCodec(binary_blobs=False, native_timestamps=False, renames=True)
CBOR_CODEC = TreeCodec(binary_blobs=True, native_timestamps=True, renames=False)
