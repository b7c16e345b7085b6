"""The json protocol (1.0 and 1.1): ``POST /`` with ``X-Amz-Target: <prefix>.<Operation>``."""

from __future__ import annotations

import json
import zlib
from typing import TYPE_CHECKING, Any

from cloudlet.http import Request, Response
from cloudlet.protocol.errors import ResolvedError, ServiceError
from cloudlet.protocol.models import OperationModel
from cloudlet.protocol.tree import JSON_CODEC, SerializationError

if TYPE_CHECKING:
    from cloudlet.context import RequestContext

# Services whose errors carry a namespaced ``__type`` (as the real endpoints send it).
ERROR_TYPE_NAMESPACE = {
    "dynamodb": "com.amazonaws.dynamodb.v20120810#",
    "dynamodbstreams": "com.amazonaws.dynamodb.v20120810#",
    "sqs": "com.amazonaws.sqs#",
}


def load_json_object(body: bytes) -> dict:
    if not body.strip():
        return {}
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise SerializationError("Unable to parse the request body as JSON.")
    if not isinstance(data, dict):
        raise SerializationError("Start of structure or map expected at the top of the request body.")
    return data


def dump_json(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()


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
        body = dump_json(JSON_CODEC.encode(shape, output or {}) if shape is not None else {})
        return Response(200, self._headers(ctx, body), body)

    def serialize_error(self, ctx: RequestContext, error: ServiceError) -> Response:
        resolved = ResolvedError(ctx.service, error)
        prefix = ERROR_TYPE_NAMESPACE.get(ctx.service.name, "")
        document: dict[str, Any] = {"__type": prefix + resolved.code}
        if resolved.shape is not None:
            document.update(JSON_CODEC.encode(resolved.shape, resolved.fields(error)))
        else:
            document.update(resolved.fields(error))
        document[resolved.message_key] = error.message
        body = dump_json(document)
        headers = self._headers(ctx, body)
        if ctx.service.query_compatible:
            fault = "Sender" if resolved.sender_fault else "Receiver"
            headers.append(("x-amzn-query-error", f"{resolved.query_code};{fault}"))
        headers.extend(error.headers.items())
        return Response(resolved.status, headers, body)
