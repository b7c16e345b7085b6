"""AWS event streams (``application/vnd.amazon.eventstream``): the framing and the model binding.

A message on the wire is::

    total length (u32) | headers length (u32) | prelude CRC32 (u32)
    headers | payload | message CRC32 (u32)

Each header is a name (u8 length + UTF-8), a type byte and a typed value.
``encode_message`` / ``MessageDecoder`` do the framing; ``event_stream_body``
turns a provider's events (``{EventName: {members...}}``) into a response body
for any protocol, given that protocol's ``EventCodec``.

How an event maps onto a message (the Smithy event stream binding): members
marked ``eventheader`` become typed headers; a member marked ``eventpayload``
is the whole payload (a blob raw as ``application/octet-stream``, a string as
``text/plain``, a structure as the protocol's document); otherwise the other
members form the payload document, and an event with no body members has no
payload and no ``:content-type``.  A modelled error travels as
``:message-type exception`` named by its member in the stream union; anything
else ends the stream as ``:message-type error`` with ``:error-code`` and
``:error-message`` headers.
"""

from __future__ import annotations

import logging
import struct
import uuid
import zlib
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from cloudlet.protocol import timestamps
from cloudlet.protocol.errors import ServiceError
from cloudlet.protocol.models import Shape

log = logging.getLogger(__name__)

CONTENT_TYPE = "application/vnd.amazon.eventstream"

PRELUDE_LENGTH = 12
MIN_MESSAGE_LENGTH = PRELUDE_LENGTH + 4
MAX_HEADERS_LENGTH = 128 * 1024  # the limits the AWS SDKs enforce
MAX_PAYLOAD_LENGTH = 24 * 1024 * 1024

_PRELUDE = struct.Struct(">II")
_U32 = struct.Struct(">I")

# Header value types.
TRUE, FALSE, BYTE, SHORT, INTEGER, LONG, BYTES, STRING, TIMESTAMP, UUID = range(10)


class EventStreamError(ValueError):
    """Bytes that are not a well-formed event stream message."""


class _TypedInt(int):
    """An integer header value that keeps its wire width."""

    TYPE = LONG


class Int8(_TypedInt):
    TYPE = BYTE


class Int16(_TypedInt):
    TYPE = SHORT


class Int32(_TypedInt):
    TYPE = INTEGER


class Int64(_TypedInt):
    TYPE = LONG


_INT_FORMATS = {BYTE: struct.Struct(">b"), SHORT: struct.Struct(">h"), INTEGER: struct.Struct(">i"),
                LONG: struct.Struct(">q"), TIMESTAMP: struct.Struct(">q")}
_INT_TYPES = {BYTE: Int8, SHORT: Int16, INTEGER: Int32, LONG: Int64}


@dataclass
class Message:
    headers: dict[str, Any] = field(default_factory=dict)
    payload: bytes = b""


# --- framing ---------------------------------------------------------------------------


def _encode_header(name: str, value: Any, out: bytearray) -> None:
    raw_name = name.encode("utf-8")
    if not 0 < len(raw_name) < 256:
        raise ValueError(f"event stream header name of {len(raw_name)} bytes")
    out.append(len(raw_name))
    out += raw_name
    if value is True or value is False:
        out.append(TRUE if value else FALSE)
    elif isinstance(value, str):
        data = value.encode("utf-8")
        out.append(STRING)
        out += struct.pack(">H", len(data)) + data
    elif isinstance(value, bytes | bytearray):
        out.append(BYTES)
        out += struct.pack(">H", len(value)) + value
    elif isinstance(value, int):
        kind = value.TYPE if isinstance(value, _TypedInt) else (
            INTEGER if -0x80000000 <= value <= 0x7FFFFFFF else LONG)
        out.append(kind)
        out += _INT_FORMATS[kind].pack(value)
    elif isinstance(value, datetime):
        out.append(TIMESTAMP)
        delta = timestamps.to_datetime(value) - timestamps.EPOCH
        out += _INT_FORMATS[TIMESTAMP].pack(delta // timedelta(milliseconds=1))
    elif isinstance(value, uuid.UUID):
        out.append(UUID)
        out += value.bytes
    else:
        raise TypeError(f"no event stream header type for {type(value).__name__}")


def encode_message(headers: dict[str, Any], payload: bytes = b"") -> bytes:
    """One framed message.  Header types follow the Python types (see ``Int8``...)."""
    raw_headers = bytearray()
    for name, value in headers.items():
        _encode_header(name, value, raw_headers)
    if len(raw_headers) > MAX_HEADERS_LENGTH or len(payload) > MAX_PAYLOAD_LENGTH:
        raise ValueError("event stream message too large")
    total = MIN_MESSAGE_LENGTH + len(raw_headers) + len(payload)
    prelude = _PRELUDE.pack(total, len(raw_headers))
    message = bytearray(prelude)
    message += _U32.pack(zlib.crc32(prelude))
    message += raw_headers
    message += payload
    message += _U32.pack(zlib.crc32(message))
    return bytes(message)


def _decode_headers(data: bytes) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    pos, end = 0, len(data)

    def take(n: int) -> bytes:
        nonlocal pos
        if pos + n > end:
            raise EventStreamError("event stream header runs past the headers section")
        chunk = data[pos:pos + n]
        pos += n
        return chunk

    while pos < end:
        name_length = take(1)[0]
        try:
            name = take(name_length).decode("utf-8")
        except UnicodeDecodeError:
            raise EventStreamError("event stream header name is not UTF-8")
        kind = take(1)[0]
        value: Any
        if kind == TRUE:
            value = True
        elif kind == FALSE:
            value = False
        elif kind in _INT_TYPES:
            fmt = _INT_FORMATS[kind]
            value = _INT_TYPES[kind](fmt.unpack(take(fmt.size))[0])
        elif kind in (BYTES, STRING):
            length = struct.unpack(">H", take(2))[0]
            value = take(length)
            if kind == STRING:
                try:
                    value = value.decode("utf-8")
                except UnicodeDecodeError:
                    raise EventStreamError(f"event stream header {name!r} is not UTF-8")
        elif kind == TIMESTAMP:
            millis = _INT_FORMATS[TIMESTAMP].unpack(take(8))[0]
            try:
                value = timestamps.EPOCH + timedelta(milliseconds=millis)
            except OverflowError:
                raise EventStreamError(f"event stream header {name!r}: timestamp out of range")
        elif kind == UUID:
            value = uuid.UUID(bytes=take(16))
        else:
            raise EventStreamError(f"unknown event stream header type {kind}")
        if name in headers:
            raise EventStreamError(f"duplicate event stream header {name!r}")
        headers[name] = value
    return headers


class MessageDecoder:
    """Incremental decoder: feed bytes as they arrive, get whole messages back.

    A prelude is checked as soon as its 12 bytes are in, so a corrupt or absurd
    length fails at once instead of waiting for (or buffering) bytes that will
    never make sense.
    """

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._total: int | None = None

    def feed(self, data: bytes) -> list[Message]:
        self._buffer += data
        messages = []
        while True:
            if self._total is None:
                if len(self._buffer) < PRELUDE_LENGTH:
                    break
                self._total = self._check_prelude(bytes(self._buffer[:PRELUDE_LENGTH]))
            if len(self._buffer) < self._total:
                break
            raw = bytes(self._buffer[:self._total])
            del self._buffer[:self._total]
            self._total = None
            messages.append(_decode_message(raw))
        return messages

    def finish(self) -> None:
        """The input has ended: anything left over is a truncated message."""
        if self._buffer:
            raise EventStreamError(f"event stream ends inside a message ({len(self._buffer)} bytes left)")

    @staticmethod
    def _check_prelude(prelude: bytes) -> int:
        total, headers_length = _PRELUDE.unpack_from(prelude)
        (crc,) = _U32.unpack_from(prelude, 8)
        if zlib.crc32(prelude[:8]) != crc:
            raise EventStreamError("event stream prelude checksum mismatch")
        if headers_length > MAX_HEADERS_LENGTH:
            raise EventStreamError(f"event stream headers length {headers_length} exceeds the maximum")
        if total < MIN_MESSAGE_LENGTH + headers_length:
            raise EventStreamError(f"event stream message length {total} is too short")
        if total - MIN_MESSAGE_LENGTH - headers_length > MAX_PAYLOAD_LENGTH:
            raise EventStreamError("event stream payload exceeds the maximum length")
        return total


def _decode_message(raw: bytes) -> Message:
    (crc,) = _U32.unpack_from(raw, len(raw) - 4)
    if zlib.crc32(raw[:-4]) != crc:
        raise EventStreamError("event stream message checksum mismatch")
    _, headers_length = _PRELUDE.unpack_from(raw)
    headers_end = PRELUDE_LENGTH + headers_length
    return Message(_decode_headers(raw[PRELUDE_LENGTH:headers_end]), raw[headers_end:-4])


def decode_messages(data: bytes) -> list[Message]:
    """Every message in ``data``, which must end on a message boundary."""
    decoder = MessageDecoder()
    messages = decoder.feed(data)
    decoder.finish()
    return messages


# --- the model binding -----------------------------------------------------------------


@dataclass(frozen=True)
class EventCodec:
    """What a protocol lends the event stream: its document format for payloads."""

    content_type: str  # of structure payloads, e.g. application/json, application/cbor
    encode: Callable[[Shape, dict], bytes]  # a structure value as that document
    decode: Callable[[Shape, bytes], dict] | None = None  # the reverse, to read event-stream inputs


@dataclass(frozen=True)
class _EventLayout:
    headers: dict[str, Shape]
    payload: tuple[str, Shape] | None  # the explicit eventpayload member
    body: frozenset[str]  # implicit payload members (when there is no explicit one)


_layouts: dict[int, tuple[Shape, _EventLayout]] = {}
_stream_members: dict[int, tuple[Shape, tuple[str, Shape] | None]] = {}


def event_stream_member(shape: Shape | None) -> tuple[str, Shape] | None:
    """The (name, shape) of the event stream member of an input or output, if it has one."""
    if shape is None:
        return None
    cached = _stream_members.get(id(shape))
    if cached is None or cached[0] is not shape:
        found = next(((n, m) for n, m in shape.members.items() if m.event_stream), None)
        cached = _stream_members[id(shape)] = (shape, found)
    return cached[1]


def _layout(event: Shape) -> _EventLayout:
    cached = _layouts.get(id(event))
    if cached is not None and cached[0] is event:
        return cached[1]
    refs = event.spec.get("members", {})
    headers: dict[str, Shape] = {}
    payload = None
    body = []
    for name, member in event.members.items():
        ref = refs[name]
        if ref.get("eventheader"):
            headers[name] = member
        elif ref.get("eventpayload"):
            payload = (name, member)
        else:
            body.append(name)
    layout = _EventLayout(headers, payload, frozenset(body))
    _layouts[id(event)] = (event, layout)
    return layout


def _header_value(shape: Shape, value: Any) -> Any:
    kind = shape.type
    if kind == "integer":
        return Int32(value)
    if kind == "long":
        return Int64(value)
    if kind == "byte":
        return Int8(value)
    if kind == "short":
        return Int16(value)
    if kind == "timestamp":
        return timestamps.to_datetime(value)
    if kind == "blob":
        return value.encode() if isinstance(value, str) else bytes(value)
    return value


def encode_event(stream: Shape, name: str, value: dict, codec: EventCodec) -> bytes:
    """One event (or modelled exception) of the stream union as a framed message."""
    member = stream.members.get(name)
    if member is None:
        raise ValueError(f"{name!r} is not an event of {stream.name}")
    value = value or {}
    layout = _layout(member)
    if member.is_error:
        headers: dict[str, Any] = {":message-type": "exception", ":exception-type": name}
    else:
        headers = {":message-type": "event", ":event-type": name}
    payload = b""
    if layout.payload is not None:
        payload_name, payload_shape = layout.payload
        data = value.get(payload_name)
        if payload_shape.type == "blob":
            headers[":content-type"] = "application/octet-stream"
            payload = data.encode() if isinstance(data, str) else bytes(data or b"")
        elif payload_shape.type == "string":
            headers[":content-type"] = "text/plain"
            payload = (data or "").encode("utf-8")
        else:
            headers[":content-type"] = codec.content_type
            payload = codec.encode(payload_shape, data or {})
    elif layout.body:
        headers[":content-type"] = codec.content_type
        body = {k: v for k, v in value.items() if k in layout.body} if layout.headers else value
        payload = codec.encode(member, body)
    for header_name, header_shape in layout.headers.items():
        header_value = value.get(header_name)
        if header_value is not None:
            headers[header_name] = _header_value(header_shape, header_value)
    return encode_message(headers, payload)


def _error_message(stream: Shape, error: ServiceError, codec: EventCodec) -> bytes:
    """A ServiceError raised mid-stream: the modelled exception member if there is one."""
    for name, member in stream.members.items():
        if member.is_error and error.code in (name, member.name, member.error_code):
            fields = {k: v for k, v in error.fields.items() if k in member.members}
            key = next((k for k in ("message", "Message") if k in member.members), "message")
            fields[key] = error.message
            return encode_event(stream, name, fields, codec)
    return unmodelled_error(error.code, error.message)


def unmodelled_error(code: str, message: str) -> bytes:
    return encode_message({":message-type": "error", ":error-code": code, ":error-message": message})


def initial_response(payload: bytes, codec: EventCodec) -> bytes:
    """The first message of a json / rpc-v2-cbor stream: the output's other members."""
    return encode_message(
        {":message-type": "event", ":event-type": "initial-response", ":content-type": codec.content_type},
        payload,
    )


def _encode_one(stream: Shape, event: dict, codec: EventCodec) -> bytes:
    if not isinstance(event, dict) or len(event) != 1:
        raise ValueError(f"an event is a dict with one key, the event name; got {event!r}")
    ((name, value),) = event.items()
    return encode_event(stream, name, value, codec)


def event_stream_body(
    stream: Shape,
    events: Iterable[dict] | AsyncIterable[dict],
    codec: EventCodec,
    initial: bytes | None = None,
) -> bytes | AsyncIterator[bytes]:
    """The response body for an event stream member.

    ``events`` yields ``{EventName: {members...}}``; a provider ends the stream
    early with a modelled error by yielding ``{ExceptionMember: {...}}`` or by
    raising a ``ServiceError``.  ``initial`` is a whole message sent first (see
    ``initial_response``).  A list or tuple of events is encoded at once into
    bytes; anything else becomes an async iterator of framed messages, sent as
    the provider produces them.
    """
    if isinstance(events, list | tuple):
        return b"".join(_sync_messages(stream, events, codec, initial))
    return _async_messages(stream, events, codec, initial)


def _sync_messages(stream: Shape, events: Iterable[dict], codec: EventCodec, initial: bytes | None
                   ) -> Iterator[bytes]:
    if initial is not None:
        yield initial
    try:
        for event in events:
            message = _encode_one(stream, event, codec)
            yield message
            if message_is_exception(event, stream):
                return
    except ServiceError as error:
        yield _error_message(stream, error, codec)
    except Exception:
        log.exception("event stream of %s failed", stream.name)
        yield unmodelled_error("InternalFailure", "An internal error occurred while streaming events.")


async def _async_messages(stream: Shape, events: Iterable[dict] | AsyncIterable[dict], codec: EventCodec,
                          initial: bytes | None) -> AsyncIterator[bytes]:
    if initial is not None:
        yield initial
    try:
        if isinstance(events, AsyncIterable):
            async for event in events:
                yield _encode_one(stream, event, codec)
                if message_is_exception(event, stream):
                    return
        else:
            for event in events:
                yield _encode_one(stream, event, codec)
                if message_is_exception(event, stream):
                    return
    except ServiceError as error:
        yield _error_message(stream, error, codec)
    except Exception:
        log.exception("event stream of %s failed", stream.name)
        yield unmodelled_error("InternalFailure", "An internal error occurred while streaming events.")


def message_is_exception(event: dict, stream: Shape) -> bool:
    """Whether an event is a modelled exception, after which the stream ends."""
    member = stream.members.get(next(iter(event)))
    return member is not None and member.is_error


# --- reading events (event-stream inputs, tests) ---------------------------------------


def read_event(stream: Shape, message: Message, codec: EventCodec) -> dict:
    """A decoded message as ``{EventName: {members...}}`` (the inverse of ``encode_event``).

    ``:message-type error`` raises the ServiceError it carries.
    """
    headers = message.headers
    kind = headers.get(":message-type")
    if kind == "error":
        raise ServiceError(str(headers.get(":error-code", "InternalFailure")),
                           str(headers.get(":error-message", "")))
    name = headers.get(":exception-type" if kind == "exception" else ":event-type")
    member = stream.members.get(name) if isinstance(name, str) else None
    if member is None:
        raise EventStreamError(f"unknown event {name!r} for {stream.name}")
    layout = _layout(member)
    value: dict[str, Any] = {}
    for header_name in layout.headers:
        if header_name in headers:
            header_value = headers[header_name]
            value[header_name] = int(header_value) if isinstance(header_value, _TypedInt) else header_value
    if layout.payload is not None:
        payload_name, payload_shape = layout.payload
        if payload_shape.type == "blob":
            value[payload_name] = message.payload
        elif payload_shape.type == "string":
            value[payload_name] = message.payload.decode("utf-8")
        elif message.payload:
            value[payload_name] = _decode_payload(codec, payload_shape, message.payload)
    elif message.payload:
        value.update(_decode_payload(codec, member, message.payload))
    return {name: value}


def _decode_payload(codec: EventCodec, shape: Shape, payload: bytes) -> dict:
    if codec.decode is None:
        raise EventStreamError("this protocol cannot read event payloads")
    return codec.decode(shape, payload)
