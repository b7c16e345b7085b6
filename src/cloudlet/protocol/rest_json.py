"""The rest-json protocol: the REST binding with JSON documents.

Errors travel as Lambda, API Gateway and the other rest-json services send them:
the code in the ``x-amzn-ErrorType`` header (what botocore and the other SDKs
read first), the message and the modelled fields in a JSON body, the status
from the error.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from cloudlet.http import Response
from cloudlet.protocol.errors import ResolvedError, ServiceError
from cloudlet.protocol.json_rpc import load_json, load_json_object
from cloudlet.protocol.models import Shape
from cloudlet.protocol.rest import Malformed, RestProtocol, binding_for, write_headers
from cloudlet.protocol.tree import JSON_CODEC

if TYPE_CHECKING:
    from cloudlet.context import RequestContext


def _dump(value: Any) -> bytes:
    # ``default=str`` only matters for unmodelled error fields a provider passed as objects
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False, default=str).encode()


class RestJsonProtocol(RestProtocol):
    name = "rest-json"
    document_content_type = "application/json"

    def _decode_document(self, shape: Shape, body: bytes) -> Any:
        if shape.type == "structure" and shape.document:
            return load_json(body)
        return JSON_CODEC.decode(shape, load_json_object(body))

    def _encode_document(self, ctx: RequestContext, shape: Shape, value: Any, root: str) -> bytes:
        return _dump(JSON_CODEC.encode(shape, value))

    def _event_document(self, shape: Shape, value: dict) -> bytes:
        return _dump(JSON_CODEC.encode(shape, value))

    def _malformed(self, service: str, problem: Malformed) -> ServiceError:
        # Smithy servers answer every request they cannot deserialize with a 400
        # SerializationException; a path that fits no operation is an unknown operation.
        if problem.kind == "path":
            return ServiceError("UnknownOperationException", problem.message, 404)
        return ServiceError("SerializationException", problem.message, 400)

    def serialize_error(self, ctx: RequestContext, error: ServiceError) -> Response:
        resolved = ResolvedError(ctx.service, error, ctx.operation)
        headers = [
            ("x-amzn-RequestId", ctx.request_id),
            ("x-amzn-ErrorType", resolved.code),
            ("Content-Type", "application/json"),
        ]
        fields = resolved.fields(error)
        document: dict[str, Any] = {}
        shape = resolved.shape
        if shape is not None:
            binding = binding_for(shape)
            write_headers(binding, fields, headers)  # e.g. Retry-After
            members = shape.members
            # Lambda's errors carry a Type of User or Service beside the message
            if "Type" in members and "Type" not in fields and members["Type"].type == "string":
                fields["Type"] = "User" if resolved.sender_fault else "Service"
            if binding.body_shape is not None:
                document.update(JSON_CODEC.encode(binding.body_shape, fields))
        else:
            document.update(fields)
        document[resolved.message_key] = error.message
        headers.extend(error.headers.items())
        if ctx.request.method == "HEAD":  # no body, ever; the code still travels in its header
            return Response(resolved.status, headers, b"")
        return Response(resolved.status, headers, _dump(document))
