"""The request pipeline's fast paths give what the general code gives, for the forms they skip."""

from __future__ import annotations

import json
import math

import pytest

from cloudlet.gateway.auth import Signature, read_signature
from cloudlet.http import Request
from cloudlet.protocol.json_rpc import dump_json, load_json_object
from cloudlet.protocol.tree import SerializationError


async def _no_body() -> dict:
    return {"type": "http.request", "body": b"", "more_body": False}


def _scope(headers: list[tuple[bytes, bytes]], path: bytes = b"/", query: bytes = b"") -> dict:
    return {"type": "http", "method": "POST", "path": path.decode(), "raw_path": path, "query_string": query,
            "headers": headers, "client": ("127.0.0.1", 5000)}


def test_a_repeated_header_is_joined_with_a_comma() -> None:
    request = Request.from_asgi(_scope([(b"x-a", b"1"), (b"host", b"h"), (b"x-a", b"2")]), _no_body)
    assert request.headers == {"x-a": "1,2", "host": "h"}


def test_the_request_line_is_read_as_before() -> None:
    request = Request.from_asgi(_scope([(b"content-length", b"12")], b"/a%20b?x=1", b"x=1"), _no_body)
    assert (request.method, request.raw_path, request.signed_path, request.query_string) == \
        ("POST", "/a%20b", "/a%20b", "x=1")
    assert (request.path, request.client, request.stream.length, request.body) == ("/a b", "127.0.0.1", 12, b"")


_SDK = ("AWS4-HMAC-SHA256 Credential=AKID/20261123/eu-west-1/sqs/aws4_request, "
        "SignedHeaders=host;x-amz-date, Signature=abc123")


@pytest.mark.parametrize("header", [
    _SDK,
    _SDK.replace(", ", ","),  # the general reading: no space after the commas
    _SDK.replace("AWS4-HMAC-SHA256 ", "AWS4-HMAC-SHA256  "),
    _SDK + ", Extra=1",
])
def test_sigv4_headers_read_alike(header: str) -> None:
    request = Request("POST", "/", "", {"authorization": header, "x-amz-date": "20261123T000000Z"})
    assert read_signature(request) == Signature(
        4, False, "AKID", "abc123", "20261123T000000Z", "eu-west-1", "sqs", ("host", "x-amz-date"), None, None,
    )


def test_a_sigv4_header_without_a_signature_is_no_signature() -> None:
    request = Request("POST", "/", "", {"authorization": _SDK.replace("abc123", "")})
    assert read_signature(request) is None


@pytest.mark.parametrize("body", [
    '{"a": "é", "b": [1, 2.5, null]}'.encode(),
    '{"a": "é"}'.encode("utf-16"),  # json.loads reads UTF-16 and UTF-32, with or without a BOM
    '{"a": 1}'.encode("utf-16-le"),
    '{"a": 1}'.encode("utf-32-be"),
    b'\xef\xbb\xbf{"a": 1}',
    b'  {"a": 1}  ',
])
def test_json_bodies_read_as_json_loads_reads_them(body: bytes) -> None:
    assert load_json_object(body) == json.loads(body)


@pytest.mark.parametrize("body", [b'{"a": 1} x', b"{", b'{"a": "\\ud800"}', b"[1]", b'{"a": "\xff"}'])
def test_unreadable_json_bodies_are_serialization_errors(body: bytes) -> None:
    with pytest.raises(SerializationError):
        load_json_object(body)


def test_answers_are_compact_json_without_nan() -> None:
    assert dump_json({"a": ["é", 1, 2.5, None, True], "b": {}}) == '{"a":["é",1,2.5,null,true],"b":{}}'.encode()
    assert dump_json("x") == b'"x"'
    with pytest.raises(ValueError):
        dump_json({"a": math.nan})
    loop: list = []
    loop.append(loop)
    with pytest.raises(ValueError):
        dump_json(loop)
