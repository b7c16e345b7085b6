"""The json protocol (1.0 and 1.1): ``POST /`` with ``X-Amz-Target: <prefix>.<Operation>``."""

from __future__ import annotations

import json
import re
import zlib
from collections.abc import Callable
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


# json.loads without its wrapper: for a body that opens with "{" and no NUL, the one case in
# which json.loads itself would pick UTF-8 (json.detect_encoding), decoded exactly as it would.
_decode_text = json.JSONDecoder().decode


def load_json(body: bytes) -> Any:
    """A JSON request document; anything unreadable is a SerializationException."""
    try:
        if body[:1] == b"{" and body[1:2] != b"\x00":
            data = _decode_text(body.decode("utf-8", "surrogatepass"))
        else:
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
    if body[:1] != b"{" and not body.strip():
        return {}
    data = load_json(body)
    if not isinstance(data, dict):
        raise SerializationError("Start of structure or map expected at the top of the request body.")
    return data


# One encoder for every answer: json.dumps with options builds a new JSONEncoder per call (~0.8 us).
_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False)
_make_encoder = getattr(json.encoder, "c_make_encoder", None)


def _dump_text_c(value: Any) -> str:
    """``_ENCODER.encode`` as it runs for a container, without its two Python frames (a fresh
    circular-reference memo each call, as it makes one)."""
    if value.__class__ is str:
        return _ENCODER.encode(value)
    return "".join(_make_encoder(
        {}, _ENCODER.default, json.encoder.encode_basestring, None, ":", ",", False, False, False,
    )(value, 0))


def _usable_c_encoder() -> bool:
    try:
        sample = {"a": [1, 2.5, "é\n", None, True], "b": {"c": -3}}
        return _make_encoder is not None and _dump_text_c(sample) == _ENCODER.encode(sample)
    except Exception:  # another Python's C encoder signature: the plain encoder will do
        return False


_dump_text = _dump_text_c if _usable_c_encoder() else _ENCODER.encode


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


def _answer_body(shape: Shape, output: dict, encode: Callable[[Any], Any]) -> bytes:
    """The answer's JSON document (``encode``: the shape's encoder); top-level ``RawJson``
    members are written as they are."""
    for value in output.values():
        if value.__class__ is RawJson or value.__class__ is RawJsonList:
            break
    else:
        return _dump_text(encode(output)).encode()
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


def _no_input(data: dict) -> dict:
    return {}


def _output_plan(operation: OperationModel) -> tuple[Shape | None, tuple[str, Shape] | None, Callable | None]:
    """(output shape, its event stream member, its encoder), kept on the operation model."""
    shape = operation.output_shape
    if shape is None:
        return None, None, None
    return shape, eventstream.event_stream_member(shape), JSON_CODEC.encoder(shape)


_CONTENT_TYPES = {"1.0": "application/x-amz-json-1.0", "1.1": "application/x-amz-json-1.1"}


class JsonProtocol:
    name = "json"

    def parse(self, request: Request, operation: OperationModel) -> dict:
        decode = operation.__dict__.get("_cloudlet_json_input")
        if decode is None:
            shape = operation.input_shape
            decode = operation.__dict__["_cloudlet_json_input"] = (
                JSON_CODEC.decoder(shape) if shape is not None else _no_input
            )
        return decode(load_json_object(request.body))

    def _headers(self, ctx: RequestContext, body: bytes) -> list[tuple[str, str]]:
        service = ctx.service
        content_type = _CONTENT_TYPES.get(service.json_version) or f"application/x-amz-json-{service.json_version}"
        if service.name == "dynamodb":
            return [("Content-Type", content_type), ("x-amzn-RequestId", ctx.request_id),
                    ("x-amz-crc32", str(zlib.crc32(body)))]
        return [("Content-Type", content_type), ("x-amzn-RequestId", ctx.request_id)]

    def serialize(self, ctx: RequestContext, operation: OperationModel, output: dict | None) -> Response:
        plan = operation.__dict__.get("_cloudlet_json_output")
        if plan is None:
            plan = operation.__dict__["_cloudlet_json_output"] = _output_plan(operation)
        shape, stream, encode = plan
        if shape is None:
            body = b"{}"
        elif stream is not None:
            headers = [("Content-Type", eventstream.CONTENT_TYPE), ("x-amzn-RequestId", ctx.request_id)]
            return Response(200, headers, stream_output(shape, output or {}, JSON_EVENTS, stream))
        else:
            body = _answer_body(shape, output or {}, encode)
        return Response(200, self._headers(ctx, body), body)

    def serialize_error(self, ctx: RequestContext, error: ServiceError) -> Response:
        prefix = ERROR_TYPE_NAMESPACE.get(ctx.service.name, "")
        resolved, document = error_document(ctx, error, JSON_CODEC, prefix)
        body = dump_json(document)
        headers = self._headers(ctx, body)
        headers.extend(error_headers(ctx, error, resolved))
        return Response(resolved.status, headers, body)
