"""The REST binding shared by rest-json and rest-xml: where each member travels.

A REST operation spreads its members over the request line and headers as
well as the body: URI labels from ``requestUri`` (``/{Bucket}/{Key+}``), query
string members, single headers, prefixed header maps (S3's ``x-amz-meta-``),
the status code (output only) and the body, which is either one member (the
``payload``: a document, a raw blob or string, or a stream) or all the
unbound members encoded together as one document.

This is the server-side mirror of botocore's ``BaseRestSerializer`` and
``BaseRestParser``.  Only the body document differs between the two
protocols, so ``RestProtocol`` leaves ``_decode_document`` /
``_encode_document`` and the error format to its subclasses.

Everything that can be worked out from the model alone (the URI regex, which
member goes where, the body-only view of a structure) is computed once per
operation or shape and cached: this runs on every request.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote_to_bytes

from cloudlet.http import Request, Response
from cloudlet.protocol import eventstream, timestamps
from cloudlet.protocol.errors import ServiceError
from cloudlet.protocol.models import OperationModel, Shape

if TYPE_CHECKING:
    from cloudlet.context import RequestContext

# The default timestamp format of each place a timestamp can travel (botocore's defaults).
HEADER_TIMESTAMPS = "rfc822"
QUERY_TIMESTAMPS = "iso8601"
LABEL_TIMESTAMPS = "iso8601"

_LABEL = re.compile(r"\{([^}]+)\}")
_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_INTEGER = re.compile(r"[+-]?[0-9]+")
_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|NaN|[+-]?Infinity")
_INT_RANGES = {
    "integer": (-(2**31), 2**31 - 1),
    "long": (-(2**63), 2**63 - 1),
}
_DOCUMENT_KINDS = ("structure",)
_EMPTY_BODY_STATUSES = (204, 304)


class Malformed(Exception):
    """Raised inside the binding for input that cannot be read; the protocol picks the AWS code."""

    def __init__(self, kind: str, message: str, name: str | None = None, value: str | None = None) -> None:
        super().__init__(message)
        self.kind = kind  # "uri", "query", "header", "body" or "path"
        self.message = message
        self.name = name  # the header, query key or label at fault (S3 reports it as ArgumentName)
        self.value = value


# --- per-shape and per-operation plans ------------------------------------------------


class Binding:
    """Where the members of one structure (an input, output or error shape) travel."""

    __slots__ = (
        "shape", "query", "query_maps", "headers", "header_maps", "status", "host_labels",
        "payload_name", "payload", "payload_kind", "body_shape", "body_root", "partial", "header_at",
        "header_at_lower",
    )

    def __init__(self, shape: Shape) -> None:
        self.shape = shape
        groups = shape.by_location
        # (member name, query key, shape): scalars and lists by key; maps take the rest
        self.query: list[tuple[str, str, Shape]] = []
        self.query_maps: list[tuple[str, Shape]] = []
        for name, member in groups.get("querystring", {}).items():
            if member.type == "map":
                self.query_maps.append((name, member))
            else:
                self.query.append((name, member.location_name or name, member))
        # headers: (member name, header name as the model spells it, lower-cased, shape)
        self.headers: list[tuple[str, str, str, Shape]] = []
        for name, member in groups.get("header", {}).items():
            header = member.location_name or name
            self.headers.append((name, header, header.lower(), member))
        self.header_at = {h[0]: index for index, h in enumerate(self.headers)}  # member name -> its place
        # lower-cased header name -> its place (None when two members share a header)
        lowered = {h[2]: index for index, h in enumerate(self.headers)}
        self.header_at_lower = lowered if len(lowered) == len(self.headers) else None
        # the member bound to Content-Range, whose presence makes a response partial content
        self.partial = next((h[0] for h in self.headers if h[2] == "content-range"), None)
        # prefixed header maps: (member name, prefix as the model spells it, lower-cased, shape)
        self.header_maps: list[tuple[str, str, str, Shape]] = [
            (name, member.location_name or "", (member.location_name or "").lower(), member)
            for name, member in groups.get("headers", {}).items()
        ]
        status = groups.get("statusCode", {})
        self.status: str | None = next(iter(status), None)
        self.host_labels = [(name, member) for name, member in shape.members.items() if member.host_label]

        self.payload_name: str | None = shape.payload
        self.payload: Shape | None = None
        self.payload_kind: str | None = None  # "document", "raw" or "stream"
        self.body_shape: Shape | None = None  # the unbound members, when there is no payload
        self.body_root = ""
        if self.payload_name is not None:
            member = shape.members[self.payload_name]
            self.payload = member
            if member.streaming or member.event_stream:
                self.payload_kind = "stream"
            elif member.type in ("blob", "string"):
                self.payload_kind = "raw"
            else:
                self.payload_kind = "document"
            self.body_root = member.location_name or member.name
        else:
            body = groups.get(None, {})
            if body:
                self.body_shape = shape if len(body) == len(shape.members) else _body_view(shape, body)
                self.body_root = shape.location_name or shape.name


def _body_view(shape: Shape, body: dict[str, Shape]) -> Shape:
    """The structure restricted to its body members, so a codec never sees bound members."""
    spec = dict(shape.spec)
    spec["members"] = {name: ref for name, ref in shape.spec["members"].items() if name in body}
    spec.pop("payload", None)
    ref: dict[str, Any] = {"shape": shape.name}
    if shape.location_name:
        ref["locationName"] = shape.location_name
    if shape.xml_namespace:
        ref["xmlNamespace"] = shape.xml_namespace
    return Shape(shape.service, shape.name, spec, ref)


class RequestPlan:
    """An operation's request line: the label regex, its static query and its input binding."""

    __slots__ = ("regex", "labels", "static_query", "host_regex", "binding")

    def __init__(self, operation: OperationModel) -> None:
        path, _, query = operation.request_uri.partition("?")
        # ``?uploads`` or ``?list-type=2`` select the operation; they are not members
        self.static_query = frozenset(parse_qs(query, keep_blank_values=True)) if query else frozenset()
        shape = operation.input_shape
        by_label: dict[str, tuple[str, Shape]] = {}
        if shape is not None:
            for name, member in shape.by_location.get("uri", {}).items():
                by_label[member.location_name or name] = (name, member)
        parts: list[str] = []
        self.labels: list[tuple[str, str, Shape | None]] = []
        pos = 0
        for index, match in enumerate(_LABEL.finditer(path)):
            parts.append(re.escape(path[pos : match.start()]))
            label = match.group(1)
            greedy = label.endswith("+")
            label = label.rstrip("+")
            group = f"l{index}"
            # a greedy label takes the rest of the path, slashes included
            parts.append(f"(?P<{group}>.+)" if greedy else f"(?P<{group}>[^/]+)")
            name, member = by_label.get(label, (label, None))
            self.labels.append((group, name, member))
            pos = match.end()
        parts.append(re.escape(path[pos:]))
        pattern = "".join(parts)
        if not path.endswith("/"):
            pattern += "/?"  # clients and proxies sometimes add a trailing slash
        self.regex = re.compile(pattern)
        self.host_regex: re.Pattern[str] | None = None
        prefix = operation.host_prefix
        if prefix:
            host_pattern = re.escape(prefix)
            for label in _LABEL.findall(prefix):
                host_pattern = host_pattern.replace(re.escape("{" + label + "}"), f"(?P<{label}>[A-Za-z0-9-]+)")
            self.host_regex = re.compile(host_pattern)
        self.binding = binding_for(shape) if shape is not None else None


_bindings: dict[Shape, Binding] = {}
_request_plans: dict[OperationModel, RequestPlan] = {}


def binding_for(shape: Shape) -> Binding:
    binding = _bindings.get(shape)
    if binding is None:
        binding = _bindings[shape] = Binding(shape)
    return binding


def request_plan(operation: OperationModel) -> RequestPlan:
    plan = _request_plans.get(operation)
    if plan is None:
        plan = _request_plans[operation] = RequestPlan(operation)
    return plan


# --- text values (labels, query strings, headers) --------------------------------------


def decode_label(raw: str) -> str:
    """Percent-decode one path segment strictly: a bad escape or bad UTF-8 is an error."""
    if "%" not in raw:
        if raw.isascii():
            return raw
        try:  # raw non-ASCII bytes arrive as latin-1 text from ASGI
            return raw.encode("latin-1").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            return raw
    if _BAD_PERCENT.search(raw):
        raise Malformed("uri", f"Invalid percent-encoding in the URI path segment '{raw}'.", value=raw)
    try:
        data = raw.encode("latin-1")
    except UnicodeEncodeError:
        data = raw.encode("utf-8")
    try:
        return unquote_to_bytes(data).decode("utf-8")
    except UnicodeDecodeError:
        raise Malformed("uri", f"The URI path segment '{raw}' is not valid UTF-8 once decoded.", value=raw)


def from_text(shape: Shape, text: str, default_timestamps: str, kind: str, name: str) -> Any:
    """A scalar sent as text in a label (``kind`` "uri"), query string or header, named ``name``."""
    type_ = shape.type
    if type_ == "string":
        return text
    if type_ in ("integer", "long", "biginteger"):
        stripped = text.strip()
        if len(stripped) > 40 or not _INTEGER.fullmatch(stripped):  # (int() refuses 4300+ digits)
            raise _bad_value(kind, name, text, "an integer")
        number = int(stripped)
        low, high = _INT_RANGES.get(type_, (None, None))
        if low is not None and not low <= number <= high:
            raise _bad_value(kind, name, text, f"within the range of {_ARTICLE[type_]}")
        return number
    if type_ == "boolean":
        lowered = text.strip().lower()
        if lowered == "true":
            return True
        if lowered == "false":
            return False
        raise _bad_value(kind, name, text, "a boolean")
    if type_ in ("float", "double", "bigdecimal"):
        stripped = text.strip()
        if not _NUMBER.fullmatch(stripped):
            raise _bad_value(kind, name, text, "a number")
        return float(stripped)
    if type_ == "timestamp":
        try:
            return timestamps.parse(text.strip(), shape.timestamp_format or default_timestamps)
        except (ValueError, OverflowError):  # TimestampError, and dates pushed past year 9999
            raise _bad_value(kind, name, text, "a timestamp")
    if type_ == "blob":
        try:
            return base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raise _bad_value(kind, name, text, "base64")
    return text


_ARTICLE = {"integer": "an integer", "long": "a long", "biginteger": "an integer"}
_PLACES = {"uri": "URI label", "query": "query parameter", "header": "header"}


def _bad_value(kind: str, name: str, text: str, expected: str) -> Malformed:
    shown = text if len(text) <= 64 else text[:61] + "..."
    return Malformed(kind, f"Value '{shown}' of {_PLACES[kind]} '{name}' is not {expected}.", name, text)


def _header_value(shape: Shape, text: str, header: str) -> Any:
    if shape.type == "list":
        member = shape.member
        return [
            from_text(member, item, HEADER_TIMESTAMPS, "header", header) for item in split_header_list(text, member, header)
        ]
    if shape.json_value:
        try:
            return json.loads(base64.b64decode(text, validate=True).decode("utf-8"))
        except (binascii.Error, ValueError, UnicodeDecodeError):
            raise _bad_value("header", header, text, "base64-encoded JSON")
    return from_text(shape, text, HEADER_TIMESTAMPS, "header", header)


def split_header_list(text: str, member: Shape, header: str = "") -> list[str]:
    """A comma-separated header list; strings with commas or quotes come double-quoted."""
    if not text.strip():
        return []
    if member.type == "timestamp" and (member.timestamp_format or HEADER_TIMESTAMPS) == "rfc822":
        # an HTTP date has a comma of its own: ``Mon, 02 Jan 2026 03:04:05 GMT, Tue, ...``
        parts = [p.strip() for p in text.split(",")]
        if len(parts) % 2:
            raise Malformed("header", f"Header '{header}' is not a list of HTTP dates.", header, text)
        return [f"{parts[i]}, {parts[i + 1]}" for i in range(0, len(parts), 2)]
    if '"' not in text:
        return [item.strip() for item in text.split(",")]
    items: list[str] = []
    current: list[str] = []
    quoted = escaped = False
    for char in text:
        if escaped:
            current.append(char)
            escaped = False
        elif quoted and char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == "," and not quoted:
            items.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    if quoted:
        raise Malformed("header", f"Unterminated quoted string in the list of header '{header}'.", header, text)
    items.append("".join(current).strip())
    return items


def to_header(shape: Shape, value: Any) -> str:
    """A value as header text, as botocore expects to read it back."""
    type_ = shape.type
    if type_ == "string":
        if shape.json_value:
            return base64.b64encode(json.dumps(value, separators=(",", ":")).encode()).decode("ascii")
        if isinstance(value, datetime):
            # a date in a string header (S3's Expires, a string in the raw model) is an HTTP date
            return timestamps.http_date(value)
        return value if isinstance(value, str) else str(value)
    if type_ == "timestamp":
        fmt = shape.timestamp_format or HEADER_TIMESTAMPS
        if fmt == "rfc822":
            return _http_date(value)
        return str(timestamps.render(value, fmt))
    if type_ == "boolean":
        return "true" if value else "false"
    if type_ in ("float", "double"):
        return _float_text(float(value))
    if type_ == "blob":
        data = value.encode() if isinstance(value, str) else bytes(value)
        return base64.b64encode(data).decode("ascii")
    if type_ == "list":
        member = shape.member
        items = []
        for item in value:
            if item is None:
                continue
            text = to_header(member, item)
            if member.type == "string" and ('"' in text or "," in text):
                text = '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
            items.append(text)
        return ",".join(items)
    return str(value)


_http_dates: dict[Any, str] = {}


def _http_date(value: Any) -> str:
    """An HTTP date header, formatted once per value (S3 answers every GET and HEAD with the object's
    Last-Modified; email.utils' formatting is most of that header's cost)."""
    text = _http_dates.get(value)
    if text is None:
        if len(_http_dates) >= 1024:
            _http_dates.clear()
        text = _http_dates[value] = str(timestamps.render(value, "rfc822"))
    return text


def _float_text(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return repr(value)


# --- the protocol ----------------------------------------------------------------------


class RestProtocol:
    """The REST binding; subclasses give the body codec and the error format."""

    name = "rest"
    document_content_type = "application/octet-stream"

    # --- hooks for subclasses ------------------------------------------------------------

    def _decode_document(self, shape: Shape, body: bytes) -> Any:
        raise NotImplementedError

    def _encode_document(self, ctx: RequestContext, shape: Shape, value: Any, root: str) -> bytes:
        raise NotImplementedError

    def _event_document(self, shape: Shape, value: dict) -> bytes:
        """A structure inside an event stream message, in the protocol's document format."""
        raise NotImplementedError

    def _malformed(self, service: str, problem: Malformed) -> ServiceError:
        """The AWS error for input that cannot be read."""
        raise NotImplementedError

    @cached_property
    def event_codec(self) -> eventstream.EventCodec:
        return eventstream.EventCodec(self.document_content_type, self._event_document)

    def _base_headers(self, ctx: RequestContext) -> list[tuple[str, str]]:
        return [("x-amzn-RequestId", ctx.request_id)]

    # --- request -------------------------------------------------------------------------

    def parse(self, request: Request, operation: OperationModel) -> dict:
        try:
            return self._parse(request, operation)
        except Malformed as problem:
            raise self._malformed(operation.service.name, problem)
        except RecursionError:  # a document nested deeper than any model allows
            raise self._malformed(operation.service.name, Malformed("body", "The request body is nested too deeply."))

    def _parse(self, request: Request, operation: OperationModel) -> dict:
        plan = request_plan(operation)
        params: dict[str, Any] = {}
        match = plan.regex.fullmatch(request.raw_path)
        if match is None:
            raise Malformed(
                "path", f"The path {request.raw_path} does not match {operation.request_uri} of {operation.name}."
            )
        for group, name, member in plan.labels:
            text = decode_label(match[group])
            params[name] = text if member is None else from_text(member, text, LABEL_TIMESTAMPS, "uri", name)
        binding = plan.binding
        if binding is None:
            return params

        if binding.query or binding.query_maps:
            query = request.query
            for name, key, member in binding.query:
                values = query.get(key)
                if values is None:
                    continue
                if member.type == "list":
                    item = member.member
                    params[name] = [from_text(item, v, QUERY_TIMESTAMPS, "query", key) for v in values]
                else:
                    params[name] = from_text(member, values[0], QUERY_TIMESTAMPS, "query", key)
            if binding.query_maps:
                # a map takes every key that no named member and no static key claims
                claimed = plan.static_query.union(key for _, key, _ in binding.query)
                for name, member in binding.query_maps:
                    value_shape = member.value
                    found: dict[str, Any] = {}
                    for key, values in query.items():
                        # a presigned URL's X-Amz-Signature & co. are auth, not parameters
                        if key in claimed or key.startswith(("X-Amz-", "x-amz-")):
                            continue
                        if value_shape.type == "list":
                            item = value_shape.member
                            found[key] = [from_text(item, v, QUERY_TIMESTAMPS, "query", key) for v in values]
                        else:
                            found[key] = from_text(value_shape, values[0], QUERY_TIMESTAMPS, "query", key)
                    if found:
                        params[name] = found

        headers = request.headers
        bound = binding.headers
        at = binding.header_at_lower
        if at is not None and len(headers) < len(bound):
            # a dozen request headers and many header members (PutObject's input has 45): visit the
            # headers, in the model's order all the same (the first bad value is the one reported)
            bound = [bound[i] for i in sorted([at[h] for h in headers if h in at])]
        for name, header, lower, member in bound:
            text = headers.get(lower)
            if text is not None:
                params[name] = _header_value(member, text, header)
        for name, _prefix, prefix, member in binding.header_maps:
            value_shape = member.value
            found = {}
            for header, text in headers.items():
                if header.startswith(prefix):
                    found[header[len(prefix) :]] = from_text(value_shape, text, HEADER_TIMESTAMPS, "header", header)
            if found:
                params[name] = found
        if binding.host_labels and plan.host_regex is not None:
            host_match = plan.host_regex.match(request.host)
            for name, _member in binding.host_labels:
                if name not in params and host_match is not None and name in host_match.groupdict():
                    params[name] = host_match[name]

        kind = binding.payload_kind
        if kind == "stream":
            params[binding.payload_name] = request.stream if request.stream is not None else request.body
        elif kind == "raw":
            body = request.body
            if body:
                if binding.payload.type == "string":
                    try:
                        params[binding.payload_name] = body.decode("utf-8")
                    except UnicodeDecodeError:
                        raise Malformed("body", "The request body is not valid UTF-8.")
                else:
                    params[binding.payload_name] = bytes(body)
        elif kind == "document":
            if request.body.strip():
                params[binding.payload_name] = self._decode_document(binding.payload, request.body)
        elif binding.body_shape is not None and request.body.strip():
            decoded = self._decode_document(binding.body_shape, request.body)
            if decoded:
                params.update(decoded)
        return params

    # --- response ------------------------------------------------------------------------

    def serialize(self, ctx: RequestContext, operation: OperationModel, output: dict | None) -> Response:
        headers = self._base_headers(ctx)
        shape = operation.output_shape
        status = operation.success_status
        body: Any = b""
        if shape is not None:
            binding = binding_for(shape)
            output = output or {}
            write_headers(binding, output, headers)
            if binding.status is not None and output.get(binding.status) is not None:
                status = int(output[binding.status])
            elif status == 200 and binding.partial is not None and output.get(binding.partial) is not None:
                status = 206  # a body with a Content-Range is partial content (S3 ranged GETs)
            body = self._write_body(ctx, binding, output, headers)
        if ctx.request.method == "HEAD" or status in _EMPTY_BODY_STATUSES:
            body = b""
        return Response(status, headers, body)

    def _write_body(
        self, ctx: RequestContext, binding: Binding, values: dict, headers: list[tuple[str, str]]
    ) -> bytes | Any:
        kind = binding.payload_kind
        if kind is None:
            if binding.body_shape is None:
                return b""
            _set_default(headers, "Content-Type", self.document_content_type)
            return self._encode_document(ctx, binding.body_shape, values, binding.body_root)
        value = values.get(binding.payload_name)
        if kind == "document":
            if value is None:
                return b""
            _set_default(headers, "Content-Type", self.document_content_type)
            return self._encode_document(ctx, binding.payload, value, binding.body_root)
        if binding.payload.event_stream and not isinstance(value, bytes | bytearray):
            # events ({EventName: {...}}, listed or async) framed as they come; bytes are
            # taken as already framed.  The other members went out as headers.
            _set_default(headers, "Content-Type", eventstream.CONTENT_TYPE)
            return eventstream.event_stream_body(binding.payload, value or [], self.event_codec)
        # raw and streamed payloads go out as they are; async iterators untouched
        if value is None:
            return b""
        if isinstance(value, str):
            _set_default(headers, "Content-Type", "text/plain")
            return value.encode("utf-8")
        _set_default(headers, "Content-Type", "application/octet-stream")
        if isinstance(value, bytes | bytearray | memoryview):
            return bytes(value)
        return value


def write_headers(binding: Binding, values: dict, headers: list[tuple[str, str]]) -> None:
    """Header members and header maps of a response (or of an error)."""
    bound = binding.headers
    if len(values) < len(bound):
        # a few values and many header members (GetObject's output has 40): visit the values,
        # in the model's order all the same
        at = binding.header_at
        bound = [bound[i] for i in sorted([at[name] for name in values if name in at])]
    for name, header, _lower, member in bound:
        value = values.get(name)
        if value is None or (member.type == "list" and not value):
            continue
        headers.append((header, to_header(member, value)))
    for name, prefix, _lower, member in binding.header_maps:
        mapping = values.get(name)
        if mapping:
            value_shape = member.value
            for key, value in mapping.items():
                if value is not None:
                    headers.append((prefix + key, to_header(value_shape, value)))


def _set_default(headers: list[tuple[str, str]], name: str, value: str) -> None:
    lower = name.lower()
    for key, _ in headers:
        if key.lower() == lower:
            return
    headers.append((name, value))
