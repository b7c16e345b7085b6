"""botocore as the oracle for the protocol layer.

Values are generated from botocore's own shapes; requests are serialized by
botocore exactly as a client would send them and turned into Cloudlet
``Request`` objects; Cloudlet ``Response`` objects are parsed back with
botocore's response parsers.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import math
import random
from functools import cache
from typing import Any
from urllib.parse import urlsplit

import botocore.session
from botocore.awsrequest import create_request_object, prepare_request_dict
from botocore.eventstream import EventStream
from botocore.model import OperationModel, Shape
from botocore.parsers import create_parser
from botocore.serialize import create_serializer

from cloudlet.http import Request, Response
from cloudlet.protocol.models import SERVICES

ENDPOINT = "http://localhost:4566"


@cache
def session() -> botocore.session.Session:
    return botocore.session.get_session()


@cache
def service_model(name: str):
    return session().get_service_model(SERVICES[name])


# --- generating values ----------------------------------------------------------------


class Generator:
    """Deterministic sample values for a shape, within the model's constraints."""

    def __init__(self, seed: int = 0, max_depth: int = 4, edges: bool = False) -> None:
        self.rng = random.Random(seed)
        self.max_depth = max_depth
        # edges: now and then an empty list, map or string and a longer list, ignoring
        # the model's minimums (validation is off), to exercise the protocols' edge cases.
        self.edges = edges

    def _edge(self) -> bool:
        return self.edges and self.rng.random() < 0.25

    def value(self, shape: Shape, depth: int = 0, location: str | None = None) -> Any:
        kind = shape.type_name
        if kind == "structure":
            return self.structure(shape, depth)
        if kind == "list":
            low, high = self._count_bounds(shape)
            member_location = shape.serialization.get("location") or location
            if depth >= self.max_depth or self._edge():
                # Past the depth limit, only as many members as the model demands.
                if self.edges or not low or depth >= self.max_depth + 4:
                    return []
                return [self.value(shape.member, depth + 1, member_location) for _ in range(low)]
            if self._edge():
                return [self.value(shape.member, depth + 1, member_location) for _ in range(3)]
            count = max(1, shape.metadata.get("min", 0) or 0) if depth < self.max_depth - 1 else 1
            count = min(count + self.rng.randint(0, 1), 3) if shape.metadata.get("max", 3) >= 2 else 1
            count = max(low, min(count, high))
            return [self.value(shape.member, depth + 1, member_location) for _ in range(count)]
        if kind == "map":
            low, high = self._count_bounds(shape)
            past_limit = depth >= self.max_depth or self._edge() and location != "headers"
            if past_limit and (self.edges or not low or depth >= self.max_depth + 4):
                return {}
            keys = shape.key.enum or [f"k{i}" for i in range(max(2, low))]
            count = 1 if location == "headers" else min(len(keys), self.rng.randint(1, 2))
            count = max(low, min(count, high, len(keys)))
            return {
                self.string(shape.key, f"{k}") if not shape.key.enum else k: self.value(shape.value, depth + 1)
                for k in keys[:count]
            }
        if kind == "string":
            return self.string(shape)
        if kind in ("integer", "long"):
            low = int(shape.metadata.get("min", 0))
            high = int(shape.metadata.get("max", low + 1000))
            return self.rng.randint(low, max(low, high))
        if kind in ("float", "double"):
            low = float(shape.metadata.get("min", 0))
            return min(low + self.rng.randint(0, 1000) / 4, float(shape.metadata.get("max", math.inf)))
        if kind == "boolean":
            return self.rng.choice([True, False])
        if kind == "blob":
            size = max(1, int(shape.metadata.get("min", 1)))
            size = min(max(size, 5), int(shape.metadata.get("max", 1 << 30)))
            return bytes(self.rng.randrange(256) for _ in range(size))
        if kind == "timestamp":
            return dt.datetime(2026, 1, 2, 3, 4, self.rng.randint(0, 59), tzinfo=dt.UTC)
        raise AssertionError(f"unknown shape type {kind}")

    @staticmethod
    def _count_bounds(shape: Shape) -> tuple[int, int]:
        """The model's bounds on a list's or a map's size."""
        low = int(shape.metadata.get("min", 0) or 0)
        return low, max(low, int(shape.metadata.get("max", 1 << 30)))

    def structure(self, shape: Shape, depth: int) -> Any:
        if shape.is_document_type:
            return {"doc": [1, "two", {"three": True}]}
        members = shape.members
        if shape.is_tagged_union:
            names = sorted(members)
            if depth >= self.max_depth:
                # Past the depth limit, end a recursive union (ACM's filter statements).
                ending = [n for n in names if members[n].type_name not in ("list", "map")
                          and members[n].name != shape.name]
                flat = [n for n in ending if members[n].type_name != "structure"]
                names = flat or ending or names
            name = names[self.rng.randrange(len(names))]
            return {name: self.value(members[name], depth + 1)}
        out = {}
        for name, member in members.items():
            if member.serialization.get("eventstream") or member.type_name == "structure" and (
                member.serialization.get("eventstream")
            ):
                continue
            if depth >= self.max_depth and name not in shape.required_members:
                continue
            if member.type_name == "structure" and member.metadata.get("exception"):
                continue
            out[name] = self.value(member, depth + 1, member.serialization.get("location"))
        return out

    def string(self, shape: Shape, base: str | None = None) -> str:
        if shape.enum:
            return self.rng.choice(shape.enum)
        if base is None and self._edge() and not shape.serialization.get("location"):
            return ""
        low = int(shape.metadata.get("min", 1))
        high = int(shape.metadata.get("max", 64))
        text = base or f"v{self.rng.randrange(10**6)}-é ü/+&="
        if shape.serialization.get("location") in ("header", "headers") or shape.metadata.get("jsonvalue"):
            text = base or f"v{self.rng.randrange(10**6)}"
        if shape.metadata.get("jsonvalue"):
            return '{"a":"' + text + '"}'
        text = (text * (low // max(1, len(text)) + 1))[: max(low, min(high, len(text)))]
        return text


# --- requests and responses ------------------------------------------------------------


def botocore_request(
    service: str, operation: str, params: dict, protocol: str | None = None, region: str = "us-east-1"
) -> dict:
    """The request botocore would send, as a prepared request dict."""
    model = service_model(service)
    op = model.operation_model(operation)
    serializer = create_serializer(protocol or model.metadata["protocol"], include_validation=False)
    request = serializer.serialize_to_request(params, op)
    prepare_request_dict(request, endpoint_url=ENDPOINT)
    return request


def to_cloudlet_request(request: dict) -> Request:
    """A botocore request dict (after prepare_request_dict) as the gateway would receive it."""
    url = urlsplit(request["url"])
    headers = {k.lower(): v if isinstance(v, str) else v.decode() for k, v in request["headers"].items()}
    body = request["body"]
    if isinstance(body, dict):  # the query serializer leaves form encoding to botocore's preparer
        body = create_request_object(request).prepare().body
    if hasattr(body, "read"):
        body = body.read()
    if isinstance(body, str):
        body = body.encode()
    body = body or b""
    headers.setdefault("host", url.netloc)
    if body:
        headers.setdefault("content-length", str(len(body)))
    return Request(request["method"], url.path or "/", url.query, headers, body=body)


class _RawStream:
    """A response body as botocore's event stream reader expects it (urllib3's ``stream()``)."""

    def __init__(self, data: bytes, chunk_size: int = 7) -> None:
        self._data = data
        self._chunk_size = chunk_size  # small, odd chunks: messages must be reassembled

    def stream(self):
        for start in range(0, len(self._data), self._chunk_size):
            yield self._data[start : start + self._chunk_size]

    def close(self) -> None:
        pass


def read_body(response: Response) -> bytes:
    """The whole body of a Cloudlet Response, draining an async stream if it is one."""
    body = response.body
    if isinstance(body, bytes | bytearray):
        return bytes(body)

    async def drain() -> bytes:
        return b"".join([chunk async for chunk in body])

    return asyncio.run(drain())


def parse_response(service: str, operation: str, response: Response, protocol: str | None = None) -> dict:
    model = service_model(service)
    op: OperationModel = model.operation_model(operation)
    parser = create_parser(protocol or model.metadata["protocol"])
    body = read_body(response)
    headers = {}
    for key, value in response.headers:
        headers[key.lower()] = value
    from botocore.awsrequest import HeadersDict

    raw = {
        "status_code": response.status,
        "headers": HeadersDict(headers),
        "body": body,
        "context": {"operation_name": operation},
    }
    if response.status < 300 and op.has_event_stream_output:
        raw["body"] = _RawStream(body)
    elif op.has_streaming_output and response.status < 300:  # errors arrive read, as in botocore
        raw["body"] = io.BytesIO(body)
    return parser.parse(raw, op.output_shape if response.status < 300 else None)


def parse_error(service: str, operation: str, response: Response, protocol: str | None = None) -> dict:
    """An error response as a botocore client sees it: the generic parse, then the
    modelled fields of the shape its code names (as botocore's endpoint does)."""
    response = Response(response.status, response.headers, read_body(response))  # read once
    parsed = parse_response(service, operation, response, protocol)
    code = parsed.get("Error", {}).get("Code")
    shape = service_model(service).shape_for_error_code(code) if code else None
    if shape is not None:
        from botocore.awsrequest import HeadersDict

        raw = {
            "status_code": response.status,
            "headers": HeadersDict({k.lower(): v for k, v in response.headers}),
            "body": response.body,
            "context": {"operation_name": operation},
        }
        parser = create_parser(protocol or service_model(service).metadata["protocol"])
        parsed.update(parser.parse(raw, shape))
    return parsed


def normalize(value: Any) -> Any:
    """Comparable form: datetimes to epoch milliseconds, streams read (event streams as
    lists of events), metadata dropped."""
    if isinstance(value, dict):
        return {k: normalize(v) for k, v in value.items() if k != "ResponseMetadata"}
    if isinstance(value, list | tuple):
        return [normalize(v) for v in value]
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return round(value.timestamp() * 1000)
    if isinstance(value, bytearray):
        return bytes(value)
    if hasattr(value, "read"):
        return value.read()
    if isinstance(value, EventStream):
        return [normalize(event) for event in value]
    return value
