"""The rest-xml protocol (S3, CloudFront): the REST binding with XML documents.

A body document's root element is the payload member's ``locationName`` (or,
without a payload member, the input/output shape's), in the shape's
``xmlNamespace`` or else the service's (S3's ``http://s3.amazonaws.com/doc/2006-03-01/``).

Errors come in the two forms botocore's RestXMLParser reads:

- S3 (``noErrorWrapping``): ``<Error><Code/><Message/>{fields}<RequestId/><HostId/></Error>``
  with the ``x-amz-request-id`` and ``x-amz-id-2`` headers.  S3 adds
  unmodelled detail elements (``BucketName``, ``Key``, ``ArgumentName``...), so
  every field a provider passes is written, modelled or not.
- everyone else (CloudFront): ``<ErrorResponse xmlns=".."><Error><Type>Sender</Type>
  <Code/><Message/>{fields}</Error><RequestId/></ErrorResponse>``.

A HEAD response has no body, error or not; the client then names the error by
its status (S3's HeadObject 404 reaches boto3 as code "404"), as with AWS.
"""

from __future__ import annotations

import base64
import hashlib
from typing import TYPE_CHECKING, Any

from cloudlet.http import Response
from cloudlet.protocol import xml
from cloudlet.protocol.errors import ResolvedError, ServiceError
from cloudlet.protocol.models import ServiceModel, Shape
from cloudlet.protocol.rest import Malformed, RestProtocol, binding_for, write_headers

if TYPE_CHECKING:
    from cloudlet.context import RequestContext

CONTENT_TYPE = "application/xml"
_NO_ERROR_WRAPPING = frozenset({"s3"})  # services whose errors have <Error> as the root
# Outputs whose document is their one member's element itself rather than a structure
# around it: S3 answers GetBucketLocation with ``<LocationConstraint>eu-west-1</..>``,
# and boto3 reads the root's text (botocore's parse_get_bucket_location handler).
_TEXT_ROOTS = {("s3", "GetBucketLocationOutput"): "LocationConstraint"}
_namespaces: dict[str, str | None] = {}


def default_namespace(service: ServiceModel) -> str | None:
    """The namespace a service's documents live in.

    botocore's models carry it only where a request needs it (on some input
    payloads), so it is read from there: the one uri the model's
    ``xmlNamespace`` traits use, leaving aside ``xsi`` and other prefixed ones.
    """
    if service.name in _namespaces:
        return _namespaces[service.name]
    found: str | None = service.xml_namespace
    if found is None:
        refs = [op.get("input", {}) for op in service.spec["operations"].values()]
        refs.extend(
            ref for shape in service.spec["shapes"].values() for ref in shape.get("members", {}).values()
        )
        for ref in refs:
            namespace = ref.get("xmlNamespace")
            if isinstance(namespace, dict) and not namespace.get("prefix"):
                namespace = namespace.get("uri")
            if isinstance(namespace, str) and namespace:
                found = namespace
                break
    _namespaces[service.name] = found
    return found


def host_id(request_id: str) -> str:
    """An ``x-amz-id-2`` for a request: opaque base64, stable for one request id."""
    return base64.b64encode(hashlib.sha384(request_id.encode()).digest()).decode("ascii")


def _element(name: str, text: str) -> str:
    return f"<{name}>{xml.escape_text(text)}</{name}>"


class RestXmlProtocol(RestProtocol):
    name = "rest-xml"
    document_content_type = CONTENT_TYPE

    def _decode_document(self, shape: Shape, body: bytes) -> Any:
        return xml.decode(shape, xml.parse_document(body))

    def _encode_document(self, ctx: RequestContext, shape: Shape, value: Any, root: str) -> bytes:
        namespace = default_namespace(ctx.service)
        text_root = _TEXT_ROOTS.get((ctx.service.name, shape.name))
        if text_root is not None:
            text = value.get(text_root)
            return xml.render(shape.members[text_root], "" if text is None else text, text_root, namespace)
        return xml.render(shape, value, root, namespace)

    def _event_document(self, shape: Shape, value: dict) -> bytes:
        # an event payload document carries no namespace (S3 Select's <Stats>, <Progress>)
        return xml.render(shape, value, shape.location_name or shape.name)

    def _malformed(self, service: str, problem: Malformed) -> ServiceError:
        if problem.kind in ("uri", "path"):
            return ServiceError("InvalidURI", "Couldn't parse the specified URI.", 400)
        if problem.kind == "body":
            return xml.MalformedXML(problem.message)
        fields = {}
        if problem.name is not None:
            fields = {"ArgumentName": problem.name, "ArgumentValue": problem.value or ""}
        return ServiceError("InvalidArgument", problem.message, 400, **fields)

    def _base_headers(self, ctx: RequestContext) -> list[tuple[str, str]]:
        if ctx.service.name in _NO_ERROR_WRAPPING:
            return [("x-amz-request-id", ctx.request_id), ("x-amz-id-2", host_id(ctx.request_id))]
        return [("x-amzn-RequestId", ctx.request_id)]

    def serialize_error(self, ctx: RequestContext, error: ServiceError) -> Response:
        resolved = ResolvedError(ctx.service, error, ctx.operation)
        headers = self._base_headers(ctx)
        shape = resolved.shape
        fields = {k: v for k, v in error.fields.items() if v is not None}
        fields.pop(resolved.message_key, None)  # the message travels as <Message>
        binding = binding_for(shape) if shape is not None else None
        if binding is not None:
            write_headers(binding, fields, headers)
        headers.extend(error.headers.items())
        if ctx.request.method == "HEAD" or resolved.status in (204, 304):
            return Response(resolved.status, headers, b"")
        headers.append(("Content-Type", CONTENT_TYPE))

        out = [xml.DECLARATION]
        wrapped = ctx.service.name not in _NO_ERROR_WRAPPING
        if wrapped:
            namespace = default_namespace(ctx.service)
            out.append(f"<ErrorResponse{xml.namespace_attribute(namespace)}><Error>")
            out.append(_element("Type", "Sender" if resolved.sender_fault else "Receiver"))
        else:
            out.append("<Error>")
        out.append(_element("Code", resolved.code))
        out.append(_element("Message", error.message))
        modelled = shape.members if shape is not None else {}
        if binding is not None and binding.body_shape is not None:
            xml.write_members(out, binding.body_shape, {k: v for k, v in fields.items() if k in modelled})
        for key, value in fields.items():
            if key not in modelled:  # S3's unmodelled details: <BucketName>, <Key>...
                out.append(_element(key, value if isinstance(value, str) else str(value)))
        if wrapped:
            out.append(f"</Error>{_element('RequestId', ctx.request_id)}</ErrorResponse>")
        else:
            out.append(_element("RequestId", ctx.request_id))
            out.append(_element("HostId", host_id(ctx.request_id)))
            out.append("</Error>")
        return Response(resolved.status, headers, xml.error_document(out))
