"""AWS event streams: the framing against botocore's reader, fuzzing, and the model binding."""

from __future__ import annotations

import asyncio
import struct
import uuid
import zlib
from datetime import UTC, datetime

import botocore.model
import pytest
from botocore.awsrequest import HeadersDict
from botocore.eventstream import EventStreamBuffer
from botocore.exceptions import EventStreamError as BotocoreEventStreamError
from botocore.parsers import create_parser
from hypothesis import given, settings
from hypothesis import strategies as st

from cloudlet.context import RequestContext
from cloudlet.http import Request, Response
from cloudlet.protocol import cbor, eventstream, get_protocol
from cloudlet.protocol.errors import ServiceError
from cloudlet.protocol.eventstream import (
    EventStreamError,
    Int8,
    Int16,
    Int32,
    Int64,
    Message,
    MessageDecoder,
    decode_messages,
    encode_message,
)
from cloudlet.protocol.json_rpc import JSON_EVENTS
from cloudlet.protocol.models import ServiceModel, load_service
from cloudlet.protocol.rpc_cbor import CBOR_EVENTS
from tests.protocol import roundtrip
from tests.support import oracle

WHEN = datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
ID = uuid.UUID("12345678-1234-5678-1234-567812345678")
ALL_TYPES = {
    "yes": True, "no": False, "byte": Int8(-7), "short": Int16(-300), "int": Int32(70000),
    "long": Int64(-(2**40)), "plain int": 5, "big int": 2**40, "bytes": b"\x00\xff", "string": "héllo",
    "when": WHEN, "id": ID,
}


def _botocore_read(data: bytes) -> list:
    buffer = EventStreamBuffer()
    buffer.add_data(data)
    return list(buffer)


# --- framing ---------------------------------------------------------------------------


def test_every_header_type_reads_back_in_botocore_and_here():
    data = encode_message(ALL_TYPES, b"payload")
    (theirs,) = _botocore_read(data)
    assert theirs.payload == b"payload"
    assert theirs.headers == {
        "yes": True, "no": False, "byte": -7, "short": -300, "int": 70000, "long": -(2**40),
        "plain int": 5, "big int": 2**40, "bytes": b"\x00\xff", "string": "héllo",
        "when": 1767323045678, "id": ID.bytes,
    }
    (ours,) = decode_messages(data)
    assert ours.headers == ALL_TYPES and ours.payload == b"payload"
    assert [type(ours.headers[k]) for k in ("byte", "short", "int", "long", "plain int", "big int")] == [
        Int8, Int16, Int32, Int64, Int32, Int64]


def test_header_wire_types():
    data = encode_message({"a": Int8(1), "b": Int16(1), "c": 1, "d": 2**31, "e": True, "f": WHEN}, b"")
    raw = data[12:-4]
    kinds = []
    pos = 0
    while pos < len(raw):
        pos += 1 + raw[pos]
        kinds.append(raw[pos])
        pos += 1 + {2: 1, 3: 2, 4: 4, 5: 8, 0: 0, 1: 0, 8: 8}[raw[pos]]
    assert kinds == [eventstream.BYTE, eventstream.SHORT, eventstream.INTEGER, eventstream.LONG,
                     eventstream.TRUE, eventstream.TIMESTAMP]


def test_prelude_and_message_checksums():
    data = encode_message({":event-type": "x"}, b"{}")
    total, headers_length, prelude_crc = struct.unpack(">III", data[:12])
    assert total == len(data) and headers_length == len(data) - 16 - 2
    assert prelude_crc == zlib.crc32(data[:8])
    assert struct.unpack(">I", data[-4:])[0] == zlib.crc32(data[:-4])


def test_an_empty_message():
    data = encode_message({})
    assert len(data) == 16
    assert decode_messages(data) == [Message({}, b"")]
    assert _botocore_read(data)[0].headers == {}


def test_incremental_decoding_byte_by_byte():
    stream = encode_message({"n": 1}, b"one") + encode_message({"n": 2}, b"two")
    decoder = MessageDecoder()
    messages = []
    for i in range(len(stream)):
        messages.extend(decoder.feed(stream[i:i + 1]))
    decoder.finish()
    assert [m.payload for m in messages] == [b"one", b"two"]


def test_unencodable_headers():
    with pytest.raises(TypeError):
        encode_message({"x": 1.5})
    with pytest.raises(ValueError):
        encode_message({"": "empty name"})
    with pytest.raises(ValueError):
        encode_message({"n" * 256: "long name"})


def _prelude(total: int, headers_length: int) -> bytes:
    head = struct.pack(">II", total, headers_length)
    return head + struct.pack(">I", zlib.crc32(head))


@pytest.mark.parametrize(
    ("total", "headers_length"),
    [(0xFFFFFFFF, 0), (100, 200 * 1024), (15, 0), (16, 1), (eventstream.MAX_PAYLOAD_LENGTH + 17, 0)],
)
def test_absurd_preludes_fail_as_soon_as_they_arrive(total, headers_length):
    with pytest.raises(EventStreamError):
        MessageDecoder().feed(_prelude(total, headers_length))


def test_bad_headers_are_errors():
    def framed(raw_headers: bytes) -> bytes:
        total = 16 + len(raw_headers)
        head = _prelude(total, len(raw_headers)) + raw_headers
        return head + struct.pack(">I", zlib.crc32(head))

    for raw in (b"\x01a\x0a", b"\x05ab", b"\x01a\x07\x00\x05ab", b"\x01a\x00\x01a\x00", b"\x01a\x07\x00\x01\xff"):
        with pytest.raises(EventStreamError):
            decode_messages(framed(raw))


@given(st.binary(max_size=120))
@settings(max_examples=2000)
def test_random_bytes_fail_cleanly(data):
    try:
        decode_messages(data)
    except EventStreamError:
        pass


@given(st.binary(max_size=60), st.data())
def test_every_change_to_a_message_is_caught(payload, data):
    message = bytearray(encode_message({":event-type": "e", "n": 7}, payload))
    index = data.draw(st.integers(0, len(message) - 1))
    message[index] ^= data.draw(st.integers(1, 255))
    with pytest.raises(EventStreamError):
        decode_messages(bytes(message))


@given(st.binary(max_size=40))
def test_truncations_fail_cleanly(payload):
    first = len(encode_message({"a": "b"}, payload))
    stream = encode_message({"a": "b"}, payload) + encode_message({"c": 1}, b"")
    for end in range(len(stream)):
        if end in (0, first):
            assert len(decode_messages(stream[:end])) == (1 if end else 0)
        else:
            with pytest.raises(EventStreamError):
                decode_messages(stream[:end])


# --- the model binding ---------------------------------------------------------------

SPEC = {
    "metadata": {
        "protocol": "json", "jsonVersion": "1.1", "targetPrefix": "Watcher", "apiVersion": "2026-01-01",
        "endpointPrefix": "watcher", "serviceId": "Watcher", "signatureVersion": "v4",
    },
    "operations": {
        "Watch": {"name": "Watch", "http": {"method": "POST", "requestUri": "/"}, "output": {"shape": "WatchOutput"}},
    },
    "shapes": {
        "WatchOutput": {"type": "structure", "members": {"Session": {"shape": "String"}, "Events": {"shape": "Stream"}}},
        "Stream": {"type": "structure", "eventstream": True, "members": {
            "Headers": {"shape": "HeadersEvent"}, "Text": {"shape": "TextEvent"}, "Data": {"shape": "DataEvent"},
            "Nested": {"shape": "NestedEvent"}, "Empty": {"shape": "EmptyEvent"},
            "Failed": {"shape": "FailedException"},
        }},
        "HeadersEvent": {"type": "structure", "event": True, "members": {
            "S": {"shape": "String", "eventheader": True}, "I": {"shape": "Integer", "eventheader": True},
            "L": {"shape": "Long", "eventheader": True}, "B": {"shape": "Boolean", "eventheader": True},
            "Bl": {"shape": "Blob", "eventheader": True}, "T": {"shape": "Timestamp", "eventheader": True},
            "Body": {"shape": "String"}, "When": {"shape": "Timestamp"},
        }},
        "TextEvent": {"type": "structure", "event": True, "members": {"Text": {"shape": "String", "eventpayload": True}}},
        "DataEvent": {"type": "structure", "event": True, "members": {"Data": {"shape": "Blob", "eventpayload": True}}},
        "NestedEvent": {"type": "structure", "event": True, "members": {
            "Id": {"shape": "String", "eventheader": True}, "Detail": {"shape": "Detail", "eventpayload": True}}},
        "Detail": {"type": "structure", "members": {"Count": {"shape": "Integer"}, "Raw": {"shape": "Blob"}}},
        "EmptyEvent": {"type": "structure", "event": True, "members": {}},
        "FailedException": {"type": "structure", "exception": True, "members": {
            "message": {"shape": "String"}, "Reason": {"shape": "String"}}},
        "String": {"type": "string"}, "Integer": {"type": "integer"}, "Long": {"type": "long"},
        "Boolean": {"type": "boolean"}, "Blob": {"type": "blob"}, "Timestamp": {"type": "timestamp"},
    },
}
OURS = ServiceModel("watcher", SPEC)
THEIRS = botocore.model.ServiceModel(SPEC, service_name="watcher")
EVENTS = [
    {"Headers": {"S": "s", "I": 7, "L": 2**40, "B": True, "Bl": b"\x01", "T": WHEN, "Body": "body", "When": WHEN}},
    {"Text": {"Text": "plain text é"}},
    {"Data": {"Data": b"\x00raw\xff"}},
    {"Nested": {"Id": "n1", "Detail": {"Count": 3, "Raw": b"r"}}},
    {"Empty": {}},
]


def _context(protocol: str) -> RequestContext:
    return RequestContext(OURS, OURS.operation("Watch"), Request("POST", "/", "", {}), protocol)


def _botocore_parse(response: Response, protocol: str) -> dict:
    raw = {
        "status_code": response.status,
        "headers": HeadersDict(dict(response.headers)),
        "body": oracle._RawStream(oracle.read_body(response)),
        "context": {"operation_name": "Watch"},
    }
    return create_parser(protocol).parse(raw, THEIRS.operation_model("Watch").output_shape)


def _events(parsed: dict) -> list:
    return oracle.normalize(parsed["Events"])


@pytest.mark.parametrize("protocol", ["json", "smithy-rpc-v2-cbor"])
def test_headers_explicit_and_implicit_payloads_reach_botocore(protocol):
    output = {"Session": "abc", "Events": EVENTS}
    response = get_protocol(protocol).serialize(_context(protocol), OURS.operation("Watch"), output)
    assert response.header("content-type") == eventstream.CONTENT_TYPE
    parsed = _botocore_parse(response, protocol)
    assert parsed["Session"] == "abc"
    assert _events(parsed) == oracle.normalize(EVENTS)


@pytest.mark.parametrize(("protocol", "codec"), [("json", JSON_EVENTS), ("smithy-rpc-v2-cbor", CBOR_EVENTS)])
def test_message_layout(protocol, codec):
    response = get_protocol(protocol).serialize(_context(protocol), OURS.operation("Watch"), {"Events": EVENTS})
    messages = decode_messages(oracle.read_body(response))
    initial, headers, text, data, nested, empty = messages
    document = "application/json" if protocol == "json" else "application/cbor"
    assert initial.headers == {":message-type": "event", ":event-type": "initial-response", ":content-type": document}
    assert initial.payload == (b"{}" if protocol == "json" else b"\xa0")
    assert headers.headers[":content-type"] == document
    assert {k: headers.headers[k] for k in ("S", "I", "L", "B", "Bl", "T")} == {
        "S": "s", "I": 7, "L": 2**40, "B": True, "Bl": b"\x01", "T": WHEN}
    assert type(headers.headers["I"]) is Int32 and type(headers.headers["L"]) is Int64
    body = codec.decode(OURS.shape("HeadersEvent"), headers.payload)
    assert body == {"Body": "body", "When": WHEN}  # header members stay out of the payload
    assert text.headers[":content-type"] == "text/plain" and text.payload == "plain text é".encode()
    assert data.headers[":content-type"] == "application/octet-stream" and data.payload == b"\x00raw\xff"
    assert nested.headers[":content-type"] == document and nested.headers["Id"] == "n1"
    assert empty.headers == {":message-type": "event", ":event-type": "Empty"} and empty.payload == b""
    stream = OURS.shape("WatchOutput").members["Events"]
    read = [eventstream.read_event(stream, m, codec) for m in messages[1:]]
    assert oracle.normalize(read) == oracle.normalize(EVENTS)


def _async(events, fail: BaseException | None = None):
    async def generate():
        for event in events:
            await asyncio.sleep(0)
            yield event
        if fail is not None:
            raise fail

    return generate()


@pytest.mark.parametrize("protocol", ["json", "smithy-rpc-v2-cbor"])
def test_async_events_stream_as_they_come(protocol):
    response = get_protocol(protocol).serialize(_context(protocol), OURS.operation("Watch"),
                                                {"Session": "s", "Events": _async(EVENTS)})
    assert not isinstance(response.body, bytes)
    assert _events(_botocore_parse(response, protocol)) == oracle.normalize(EVENTS)


def _ending_sources(ending: str) -> list:
    if ending == "exception-event":  # the provider yields the modelled exception
        events = [EVENTS[1], {"Failed": {"message": "it broke", "Reason": "r"}}, EVENTS[2]]
        return [events, _async(events)]
    return [_async(EVENTS[1:2], ServiceError("FailedException", "it broke", Reason="r"))]  # it raises


@pytest.mark.parametrize("protocol", ["json", "smithy-rpc-v2-cbor"])
@pytest.mark.parametrize("ending", ["exception-event", "raised"])
def test_modelled_errors_end_the_stream(protocol, ending):
    for source in _ending_sources(ending):
        response = get_protocol(protocol).serialize(_context(protocol), OURS.operation("Watch"), {"Events": source})
        body = oracle.read_body(response)
        messages = decode_messages(body)
        assert len(messages) == 3  # initial-response, Text, Failed: nothing after the exception
        assert messages[-1].headers[":message-type"] == "exception"
        assert messages[-1].headers[":exception-type"] == "Failed"
        parsed = _botocore_parse(Response(200, response.headers, body), protocol)
        received = []
        with pytest.raises(BotocoreEventStreamError) as caught:
            for event in parsed["Events"]:
                received.append(event)
        assert received == [{"Text": {"Text": "plain text é"}}]
        assert caught.value.response["Error"] == {"Code": "Failed", "Message": "it broke"}
        fields = eventstream.read_event(OURS.shape("WatchOutput").members["Events"], messages[-1],
                                        JSON_EVENTS if protocol == "json" else CBOR_EVENTS)
        assert fields == {"Failed": {"message": "it broke", "Reason": "r"}}


@pytest.mark.parametrize("protocol", ["json", "smithy-rpc-v2-cbor"])
def test_unmodelled_errors_and_crashes_end_the_stream_without_a_traceback(protocol):
    for fail, code in ((ServiceError("ThrottlingException", "slow down"), "ThrottlingException"),
                       (RuntimeError("secret internals"), "InternalFailure")):
        response = get_protocol(protocol).serialize(_context(protocol), OURS.operation("Watch"),
                                                    {"Events": _async(EVENTS[:1], fail)})
        body = oracle.read_body(response)
        last = decode_messages(body)[-1]
        assert last.headers[":message-type"] == "error" and last.headers[":error-code"] == code
        assert b"secret internals" not in body and b"Traceback" not in body
        with pytest.raises(BotocoreEventStreamError) as caught:
            list(_botocore_parse(Response(200, response.headers, body), protocol)["Events"])
        assert caught.value.response["Error"]["Code"] == code


def test_bad_events_are_internal_failures():
    stream = OURS.shape("WatchOutput").members["Events"]
    body = eventstream.event_stream_body(stream, [{"Nope": {}}], JSON_EVENTS)
    (message,) = decode_messages(body)
    assert message.headers[":error-code"] == "InternalFailure"


# --- real models ---------------------------------------------------------------------


def test_kinesis_subscribe_to_shard_exception_in_stream():
    ctx = roundtrip.context("kinesis", "SubscribeToShard", "json")
    record = {"SequenceNumber": "1", "Data": b"hi", "PartitionKey": "p", "ApproximateArrivalTimestamp": WHEN}
    event = {"SubscribeToShardEvent": {"Records": [record], "ContinuationSequenceNumber": "1",
                                       "MillisBehindLatest": 0}}
    output = {"EventStream": [event, {"ResourceInUseException": {"message": "in use"}}]}
    response = get_protocol("json").serialize(ctx, ctx.operation, output)
    parsed = oracle.parse_response("kinesis", "SubscribeToShard", response, "json")
    stream = iter(parsed["EventStream"])
    assert oracle.normalize(next(stream)) == oracle.normalize(event)
    with pytest.raises(BotocoreEventStreamError) as caught:
        next(stream)
    assert caught.value.response["Error"] == {"Code": "ResourceInUseException", "Message": "in use"}


def test_lambda_response_stream_payload_chunks_in_json_events():
    """The REST protocols call event_stream_body without an initial response."""
    shape = load_service("lambda").operation("InvokeWithResponseStream").output_shape
    stream = shape.members["EventStream"]
    events = [{"PayloadChunk": {"Payload": b"part 1"}}, {"PayloadChunk": {"Payload": b"part 2"}},
              {"InvokeComplete": {"LogResult": "bG9n"}}]
    body = eventstream.event_stream_body(stream, events, JSON_EVENTS)
    messages = decode_messages(body)
    assert [m.headers.get(":content-type") for m in messages] == [
        "application/octet-stream", "application/octet-stream", "application/json"]
    botocore_stream = oracle.service_model("lambda").shape_for("InvokeWithResponseStreamResponseEvent")
    parser = create_parser("rest-json")._event_stream_parser
    parsed = [parser.parse(m.to_response_dict(), botocore_stream) for m in _botocore_read(body)]
    assert parsed == events


def test_cbor_initial_response_carries_the_other_members():
    ctx = roundtrip.context("kinesis", "SubscribeToShard", "smithy-rpc-v2-cbor")
    response = get_protocol("smithy-rpc-v2-cbor").serialize(ctx, ctx.operation, {"EventStream": []})
    (initial,) = decode_messages(oracle.read_body(response))
    assert cbor.loads(initial.payload) == {}
    assert response.header("smithy-protocol") == "rpc-v2-cbor"
