"""The smithy-rpc-v2-cbor protocol: ``POST /service/{ServiceName}/operation/{Operation}``.

``ServiceName`` is the model's ``targetPrefix`` (the Smithy service shape name,
e.g. ``GraniteServiceVersion20100801`` for CloudWatch); requests carry
``smithy-protocol: rpc-v2-cbor``.  Bodies are CBOR maps keyed by member name;
errors are maps with ``__type`` (the error's Smithy shape id) and ``message``.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from cloudlet.http import Request, Response
from cloudlet.protocol import cbor, eventstream
from cloudlet.protocol.errors import ServiceError
from cloudlet.protocol.json_rpc import error_document, error_headers, stream_output
from cloudlet.protocol.models import OperationModel, ServiceModel, Shape
from cloudlet.protocol.tree import CBOR_CODEC, SerializationError

if TYPE_CHECKING:
    from cloudlet.context import RequestContext

CONTENT_TYPE = "application/cbor"


def load_cbor_object(body: bytes) -> dict:
    if not body:
        return {}
    try:
        data = cbor.loads(body)
    except cbor.CBORDecodeError as e:
        raise SerializationError(f"Unable to parse the request body as CBOR: {e}")
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise SerializationError("Expected a CBOR map at the top of the request body.")
    return data


def _cbor_document(shape: Shape, value: dict) -> bytes:
    return cbor.dumps(CBOR_CODEC.encode(shape, value))


def _cbor_read(shape: Shape, payload: bytes) -> dict:
    return CBOR_CODEC.decode(shape, load_cbor_object(payload))


CBOR_EVENTS = eventstream.EventCodec(CONTENT_TYPE, _cbor_document, _cbor_read)

_namespaces: dict[str, str] = {}


def smithy_namespace(service: ServiceModel) -> str:
    """The Smithy namespace of a service's shapes: ``com.amazonaws.`` + its lower-cased service id.

    This is how AWS names them (``com.amazonaws.cloudwatch``, ``com.amazonaws.codebuild``...);
    the botocore model does not carry the namespace itself.
    """
    namespace = _namespaces.get(service.name)
    if namespace is None:
        sdk_id = service.metadata.get("serviceId") or service.name
        namespace = _namespaces[service.name] = "com.amazonaws." + re.sub(r"[^a-z0-9]", "", sdk_id.lower())
    return namespace


class CborProtocol:
    name = "smithy-rpc-v2-cbor"

    def parse(self, request: Request, operation: OperationModel) -> dict:
        data = load_cbor_object(request.body)
        shape = operation.input_shape
        return CBOR_CODEC.decode(shape, data) if shape is not None else {}

    @staticmethod
    def _headers(ctx: RequestContext, content_type: str = CONTENT_TYPE) -> list[tuple[str, str]]:
        return [
            ("smithy-protocol", "rpc-v2-cbor"),
            ("Content-Type", content_type),
            ("x-amzn-RequestId", ctx.request_id),
        ]

    def serialize(self, ctx: RequestContext, operation: OperationModel, output: dict | None) -> Response:
        shape = operation.output_shape
        if shape is None:  # no output: no body and so no Content-Type (Smithy's rpcv2Cbor tests)
            return Response(200, [("smithy-protocol", "rpc-v2-cbor"), ("x-amzn-RequestId", ctx.request_id)])
        stream = eventstream.event_stream_member(shape)
        if stream is not None:
            body = stream_output(shape, output or {}, CBOR_EVENTS, stream)
            return Response(200, self._headers(ctx, eventstream.CONTENT_TYPE), body)
        return Response(200, self._headers(ctx), cbor.dumps(CBOR_CODEC.encode(shape, output or {})))

    def serialize_error(self, ctx: RequestContext, error: ServiceError) -> Response:
        prefix = smithy_namespace(ctx.service) + "#"
        resolved, document = error_document(ctx, error, CBOR_CODEC, prefix)
        headers = self._headers(ctx)
        headers.extend(error_headers(ctx, error, resolved))
        return Response(resolved.status, headers, cbor.dumps(document))
