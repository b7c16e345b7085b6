"""The query protocol: form-encoded parameters in, XML out.

Requests are ``Action=<Op>&Version=<date>&<params>`` in the query string or a
url-encoded body.  Parameter names flatten the input shape the way botocore's
query serializer writes them:

- structure members: ``A.B`` (each part the member's ``locationName``, else its name);
- lists: ``A.member.N`` (``member`` renamed by the list member's ``locationName``),
  flattened ``A.N``, where a list member ``locationName`` replaces ``A`` itself;
  an empty list is ``A=`` with no items;
- maps: ``A.entry.N.key`` / ``A.entry.N.value`` (``key``/``value`` renamed by their
  ``locationName``), flattened ``A.N.key`` / ``A.N.value``;
- scalars as text: booleans ``true``/``false``, timestamps ISO 8601, blobs base64.

Unknown parameters are ignored, as AWS ignores them.  Responses are
``<OpResponse><OpResult>…</OpResult><ResponseMetadata>…`` and errors
``<ErrorResponse><Error><Type/><Code/><Message/>…</Error><RequestId/>``.

Services that moved to json or CBOR but keep ``awsQueryCompatible`` (sqs,
cloudwatch) are spoken here too with their current models.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cloudlet.http import MalformedForm, Request, Response
from cloudlet.protocol import timestamps
from cloudlet.protocol import xml as xmlcodec
from cloudlet.protocol.errors import ResolvedError, ServiceError
from cloudlet.protocol.models import OperationModel, Shape

if TYPE_CHECKING:
    from cloudlet.context import RequestContext
    from cloudlet.protocol.models import ServiceModel

# Query-compatible services whose current model no longer names their XML namespace.
_NAMESPACES = {"sqs": "http://queue.amazonaws.com/doc/2012-11-05/"}

_NOT_PARAMETERS = ("Action", "Version")

# A node of the parameter tree: child nodes by name segment; the value itself under None.
Node = dict


class MalformedQueryString(ServiceError):
    """The form cannot be read at all (AWS documents this code with status 404)."""

    def __init__(self, message: str) -> None:
        super().__init__("MalformedQueryString", message, 404)


def malformed_input(message: str) -> ServiceError:
    """A parameter whose value does not fit its type.

    AWS query services answer parameters they cannot bind with ``MalformedInput``
    (Sender, 400), e.g. CloudFormation's "Top level element may not be treated as
    a list" and CloudWatch's "Unexpected complex element termination".
    """
    return ServiceError("MalformedInput", message, 400)


def namespace(service: ServiceModel) -> str:
    return (
        service.xml_namespace
        or _NAMESPACES.get(service.name)
        or f"https://{service.endpoint_prefix}.amazonaws.com/doc/{service.api_version}/"
    )


# --- reading the form ---------------------------------------------------------------------


def parameter_tree(form: dict[str, list[str]]) -> Node:
    """``{"A.B.1": ["x"]}`` -> ``{"A": {"B": {"1": {None: "x"}}}}`` (Action and Version left out)."""
    root: Node = {}
    for key, values in form.items():
        if key in _NOT_PARAMETERS or not values:
            continue
        node = root
        for part in key.split("."):
            child = node.get(part)
            if child is None:
                child = node[part] = {}
            node = child
        node[None] = values[0]
    return root


# --- decoding by shape --------------------------------------------------------------------

_MISSING = object()


def _decode(shape: Shape, node: Node, path: str) -> Any:
    kind = shape.type
    if kind == "structure":
        return _decode_structure(shape, node, path)
    if kind == "list":
        if shape.flattened:
            return _decode_items(shape.member, node, path)
        tag = shape.member.location_name or "member"
        return _decode_items(shape.member, node.get(tag), f"{path}.{tag}")
    if kind == "map":
        if shape.flattened:
            return _decode_map(shape, node, path)
        return _decode_map(shape, node.get("entry"), f"{path}.entry")
    text = node.get(None)
    if text is None:
        return _MISSING  # only sub-parameters under a scalar's name: none of ours
    return _decode_scalar(shape, text, path)


def _decode_structure(shape: Shape, node: Node, path: str) -> dict:
    """A structure from its node; ``path`` is its parameter name (for messages), "" at the top."""
    out: dict[str, Any] = {}
    if not node:
        return out
    prefix = f"{path}." if path else ""
    for name, member in shape.members.items():
        # queryName: the query-era name a query-compatible json model keeps in its patch
        wire = member.query_name or member.location_name or name
        if member.flattened and member.type == "list":
            item = member.member
            if item.location_name:
                # botocore names the items after the list member; an empty list
                # still goes out under the member's own name.
                child = node.get(item.location_name)
                if child is None:
                    child = node.get(wire)
                    if child is None:
                        continue
                    if child.get(None) is not None:
                        out[name] = []
                    continue
                wire = item.location_name
            else:
                child = node.get(wire)
                if child is None:
                    continue
            out[name] = _decode_items(item, child, prefix + wire)
            continue
        child = node.get(wire)
        if child is None:
            continue
        value = _decode(member, child, prefix + wire)
        if value is not _MISSING:
            out[name] = value
    return out


def _indexes(node: Node) -> list[tuple[int, Node]]:
    # isdigit alone would let "²" or "٣" through, which int() refuses or reads
    numbered = [(int(k), v) for k, v in node.items() if k is not None and k.isascii() and k.isdigit()]
    numbered.sort(key=lambda pair: pair[0])
    return numbered


def _decode_items(item: Shape, node: Node | None, path: str) -> list:
    if not node:
        return []
    out = []
    for index, child in _indexes(node):
        value = _decode(item, child, f"{path}.{index}")
        if value is not _MISSING:
            out.append(value)
    if not out and node.get(None) and item.type not in ("structure", "list", "map"):
        # A bare ``Name=value`` is a one-item list (SQS documents ``AttributeName=All``);
        # ``Name=`` with nothing is botocore's empty list.
        value = _decode(item, {None: node[None]}, path)
        if value is not _MISSING:
            out.append(value)
    return out


def _decode_map(shape: Shape, entries: Node | None, path: str) -> dict:
    if not entries:
        return {}
    key_shape, value_shape = shape.key, shape.value
    key_name = key_shape.location_name or "key"
    value_name = value_shape.location_name or "value"
    out: dict[Any, Any] = {}
    for index, entry in _indexes(entries):
        key_node = entry.get(key_name)
        if key_node is None or key_node.get(None) is None:
            raise malformed_input(f"The parameter {path}.{index}.{key_name} is missing.")
        key = _decode_scalar(key_shape, key_node[None], f"{path}.{index}.{key_name}")
        value_node = entry.get(value_name)
        if value_node is None:
            # An empty structure or map value sends nothing at all.
            if value_shape.type in ("structure", "map", "list"):
                out[key] = _decode(value_shape, {}, f"{path}.{index}.{value_name}")
            continue
        value = _decode(value_shape, value_node, f"{path}.{index}.{value_name}")
        if value is not _MISSING:
            out[key] = value
    return out


def _decode_scalar(shape: Shape, text: str, path: str) -> Any:
    kind = shape.type
    if kind == "string":
        return text
    try:
        if kind in ("integer", "long", "biginteger"):
            return xmlcodec.parse_integer(text, kind)
        if kind in ("float", "double", "bigdecimal"):
            return xmlcodec.parse_float(text)
        if kind == "boolean":
            lowered = text.lower()
            if lowered == "true":
                return True
            if lowered == "false":
                return False
            raise ValueError(text)
        if kind == "blob":
            return xmlcodec.parse_blob(text)
        if kind == "timestamp":
            return timestamps.parse(text, shape.timestamp_format or "iso8601")
    except ValueError:  # TimestampError is a ValueError
        raise malformed_input(f"Invalid value '{text[:256]}' for parameter {path}: expected {_TYPES[kind]}.")
    return text


_TYPES = {
    "integer": "an integer", "long": "a long", "biginteger": "an integer", "float": "a float",
    "double": "a double", "bigdecimal": "a decimal", "boolean": "true or false",
    "blob": "base64-encoded data", "timestamp": "an ISO 8601 timestamp",
}


# --- the protocol -------------------------------------------------------------------------


class QueryProtocol:
    name = "query"

    def parse(self, request: Request, operation: OperationModel) -> dict:
        try:
            form = request.form
        except MalformedForm as e:
            raise MalformedQueryString(str(e))
        shape = operation.input_shape
        if shape is None:
            return {}
        tree = parameter_tree(form)
        try:
            return _decode_structure(shape, tree, "")
        except RecursionError:
            raise malformed_input("The parameters are nested too deeply.")

    @staticmethod
    def _headers(ctx: RequestContext) -> list[tuple[str, str]]:
        return [("Content-Type", "text/xml"), ("x-amzn-RequestId", ctx.request_id)]

    def serialize(self, ctx: RequestContext, operation: OperationModel, output: dict | None) -> Response:
        name = operation.name
        out = [xmlcodec.DECLARATION, f'<{name}Response xmlns="{namespace(ctx.service)}">']
        shape = operation.output_shape
        if shape is not None:
            wrapper = operation.result_wrapper
            if wrapper:
                out.append(f"<{wrapper}>")
                xmlcodec.write_members(out, shape, output or {})
                out.append(f"</{wrapper}>")
            else:
                # No wrapper in the model (query-compatible json models): the client
                # reads the members straight from the response element.
                xmlcodec.write_members(out, shape, output or {})
        out.append(
            f"<ResponseMetadata><RequestId>{xmlcodec.escape_text(ctx.request_id)}</RequestId>"
            f"</ResponseMetadata></{name}Response>"
        )
        body = "".join(out).encode("utf-8", "replace")
        return Response(operation.success_status, self._headers(ctx), body)

    def serialize_error(self, ctx: RequestContext, error: ServiceError) -> Response:
        resolved = ResolvedError(ctx.service, error, ctx.operation)
        out = [
            xmlcodec.DECLARATION,
            f'<ErrorResponse xmlns="{namespace(ctx.service)}"><Error>',
            f"<Type>{'Sender' if resolved.sender_fault else 'Receiver'}</Type>",
            f"<Code>{xmlcodec.escape_text(resolved.query_code)}</Code>",
            f"<Message>{xmlcodec.escape_text(error.message)}</Message>",
        ]
        fields = resolved.fields(error)
        if fields and resolved.shape is not None:
            members = resolved.shape.members
            # Type, Code and Message are written above; a member travelling under
            # one of those names (Message, usually) must not appear twice.
            fields = {
                k: v for k, v in fields.items()
                if (members[k].location_name or k) not in ("Type", "Code", "Message")
            }
            xmlcodec.write_members(out, resolved.shape, fields)
        out.append(f"</Error><RequestId>{xmlcodec.escape_text(ctx.request_id)}</RequestId></ErrorResponse>")
        body = xmlcodec.error_document(out)
        headers = self._headers(ctx)
        headers.extend(error.headers.items())
        return Response(resolved.status, headers, body)
