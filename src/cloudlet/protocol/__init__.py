"""The wire protocols: one parser and one serializer each, driven by the service models.

Every protocol object offers the same three methods:

- ``parse(request, operation) -> dict``: the operation's input as the parameters a
  provider receives (member names as in the model; blobs as bytes; timestamps as
  aware datetimes).  The body has been read into ``request.body`` unless the
  operation streams its input, in which case the streaming payload member is
  ``request.stream`` (or the bytes of ``request.body`` when there is no stream).
- ``serialize(ctx, operation, output) -> Response``: the provider's output dict on the
  wire.  A streaming payload member may be bytes or an async iterator of bytes.
- ``serialize_error(ctx, error) -> Response``: a ``ServiceError`` in the protocol's
  error format, with the status, code and modelled fields from the model.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from cloudlet.context import RequestContext
    from cloudlet.http import Request, Response
    from cloudlet.protocol.errors import ServiceError
    from cloudlet.protocol.models import OperationModel


class WireProtocol(Protocol):
    name: str

    def parse(self, request: Request, operation: OperationModel) -> dict: ...

    def serialize(self, ctx: RequestContext, operation: OperationModel, output: dict | None) -> Response: ...

    def serialize_error(self, ctx: RequestContext, error: ServiceError) -> Response: ...


_IMPLEMENTATIONS = {
    "json": ("cloudlet.protocol.json_rpc", "JsonProtocol"),
    "query": ("cloudlet.protocol.query", "QueryProtocol"),
    "rest-json": ("cloudlet.protocol.rest_json", "RestJsonProtocol"),
    "rest-xml": ("cloudlet.protocol.rest_xml", "RestXmlProtocol"),
    "smithy-rpc-v2-cbor": ("cloudlet.protocol.rpc_cbor", "CborProtocol"),
}
_instances: dict[str, WireProtocol] = {}


def get_protocol(name: str) -> WireProtocol:
    """The protocol implementation by its model name, imported on first use."""
    protocol = _instances.get(name)
    if protocol is None:
        module_name, class_name = _IMPLEMENTATIONS[name]
        protocol = _instances[name] = getattr(importlib.import_module(module_name), class_name)()
    return protocol
