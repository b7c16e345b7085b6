"""The json protocol (1.0 and 1.1): ``POST /`` with ``X-Amz-Target: <prefix>.<Operation>``."""

from __future__ import annotations

import json
import re
import zlib
from typing import TYPE_CHECKING, Any

from cloudlet.http import Request, Response
from cloudlet.protocol import eventstream
from cloudlet.protocol.errors import ResolvedError, ServiceError
from cloudlet.protocol.models import OperationModel, Shape
from cloudlet.protocol.tree import JSON_CODEC, SerializationError, TreeCodec

if TYPE_CHECKING:
    from cloudlet.context import RequestContext

# Services whose errors carry a namespaced ``__type`` (as the real endpoints send it).
ERROR_TYPE_NAMESPACE = {
    "dynamodb": "com.amazonaws.dynamodb.v20120810#",
    "dynamodbstreams": "com.amazonaws.dynamodb.v20120810#",
    "sqs": "com.amazonaws.sqs#",
}


# A \uD800-\uDFFF escape: json.loads joins a valid pair into one character and leaves a
# lone half in the string, which no UTF-8 answer, log or store can hold.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


def load_json(body: bytes) -> Any:
    """A JSON request document; anything unreadable is a SerializationException."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise SerializationError("Unable to parse the request body as JSON.")
    except RecursionError:  # json.loads recurses once per nesting level: a hostile body is deep
        raise SerializationError("Unable to parse the request body as JSON: it is nested too deeply.")
    if _SURROGATE_ESCAPE.search(body):
        try:
            json.dumps(data, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            raise SerializationError("Unable to parse the request body as JSON: it holds an unpaired surrogate.")
        except RecursionError:
            raise SerializationError("Unable to parse the request body as JSON: it is nested too deeply.")
    return data


def load_json_object(body: bytes) -> dict:
    if not body.strip():
        return {}
    data = load_json(body)
    if not isinstance(data, dict):
        raise SerializationError("Start of structure or map expected at the top of the request body.")
    return data


# One encoder for every answer: json.dumps with options builds a new JSONEncoder per call (~0.8 us).
_dump_text = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode


def dump_json(value: Any) -> bytes:
    return _dump_text(value).encode()


class RawJson(str):
    """A member's value as JSON text, exactly as ``dump_json`` would write it: spliced in unread.

    A provider that keeps its records as JSON (DynamoDB items) returns them so, instead of
    decoding each one only for the answer to encode it again. Only for answers on the json
    wire (``ctx.protocol == "json"``), and only as a top-level member of the output.
    """

    __slots__ = ()


class RawJsonList(list):
    """A list member whose elements (``str``) are JSON texts written as they are (a Query's items)."""

    __slots__ = ()


def _answer_body(shape: Shape, output: dict) -> bytes:
    """The answer's JSON document; top-level ``RawJson`` members are written as they are."""
    for value in output.values():
        if value.__class__ is RawJson or value.__class__ is RawJsonList:
            break
    else:
        return dump_json(JSON_CODEC.encode(shape, output))
    # The structure walk member by member, in the output's order, as TreeCodec's encoder does it.
    members = shape.members
    parts = []
    for name, value in output.items():
        member = members.get(name)
        if member is None or value is None:
            continue
        if value.__class__ is RawJson:
            text = value
        elif value.__class__ is RawJsonList:
            text = "[" + ",".join(value) + "]"
        elif value.__class__ is int and member.type in ("integer", "long"):  # as the encoder writes it
            text = str(value)
        else:
            text = _dump_text(JSON_CODEC.encode(member, value))
        parts.append(_dump_text(JSON_CODEC.wire_name(name, member)) + ":" + text)
    return ("{" + ",".join(parts) + "}").encode()


def _json_document(shape: Shape, value: dict) -> bytes:
    return dump_json(JSON_CODEC.encode(shape, value))


def _json_read(shape: Shape, payload: bytes) -> dict:
    return JSON_CODEC.decode(shape, load_json_object(payload))


# Event payloads inside a stream are plain JSON documents, whatever the protocol's version.
JSON_EVENTS = eventstream.EventCodec("application/json", _json_document, _json_read)


# --- shared by the RPC protocols (json and smithy-rpc-v2-cbor) --------------------------


def error_document(
    ctx: RequestContext, error: ServiceError, codec: TreeCodec, type_prefix: str
) -> tuple[ResolvedError, dict[str, Any]]:
    """An error as the RPC protocols send it: ``__type``, the modelled fields and the message."""
    resolved = ResolvedError(ctx.service, error, ctx.operation)
    document: dict[str, Any] = {"__type": type_prefix + resolved.code}
    if resolved.shape is not None:
        document.update(codec.encode(resolved.shape, resolved.fields(error)))
    else:
        document.update(resolved.fields(error))
    document[resolved.message_key] = error.message
    return resolved, document


def error_headers(ctx: RequestContext, error: ServiceError, resolved: ResolvedError) -> list[tuple[str, str]]:
    """Headers every RPC error carries beside the protocol's own."""
    headers = []
    if ctx.service.query_compatible:
        # Services moved off the query protocol keep their query error codes here.
        fault = "Sender" if resolved.sender_fault else "Receiver"
        headers.append(("x-amzn-query-error", f"{resolved.query_code};{fault}"))
    headers.extend(error.headers.items())
    return headers


def stream_output(
    shape: Shape, output: dict, codec: eventstream.EventCodec, stream: tuple[str, Shape]
) -> bytes | Any:
    """The body of an RPC output with an event stream member.

    The other output members travel first, in an ``initial-response`` event
    (where botocore looks for them); the events follow.
    """
    name, stream_shape = stream
    rest = {k: v for k, v in output.items() if k != name}
    initial = eventstream.initial_response(codec.encode(shape, rest), codec)
    return eventstream.event_stream_body(stream_shape, output.get(name) or [], codec, initial)


class JsonProtocol:
    name = "json"

    def parse(self, request: Request, operation: OperationModel) -> dict:
        data = load_json_object(request.body)
        shape = operation.input_shape
        return JSON_CODEC.decode(shape, data) if shape is not None else {}

    def _headers(self, ctx: RequestContext, body: bytes) -> list[tuple[str, str]]:
        headers = [
            ("Content-Type", f"application/x-amz-json-{ctx.service.json_version}"),
            ("x-amzn-RequestId", ctx.request_id),
        ]
        if ctx.service.name == "dynamodb":
            headers.append(("x-amz-crc32", str(zlib.crc32(body))))
        return headers

    def serialize(self, ctx: RequestContext, operation: OperationModel, output: dict | None) -> Response:
        shape = operation.output_shape
        if shape is None:
            body = b"{}"
        else:
            stream = eventstream.event_stream_member(shape)
            if stream is not None:
                headers = [("Content-Type", eventstream.CONTENT_TYPE), ("x-amzn-RequestId", ctx.request_id)]
                return Response(200, headers, stream_output(shape, output or {}, JSON_EVENTS, stream))
            body = _answer_body(shape, output or {})
        return Response(200, self._headers(ctx, body), body)

    def serialize_error(self, ctx: RequestContext, error: ServiceError) -> Response:
        prefix = ERROR_TYPE_NAMESPACE.get(ctx.service.name, "")
        resolved, document = error_document(ctx, error, JSON_CODEC, prefix)
        body = dump_json(document)
        headers = self._headers(ctx, body)
        headers.extend(error_headers(ctx, error, resolved))
        return Response(resolved.status, headers, body)
