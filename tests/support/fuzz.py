"""Fuzzing a running Cloudlet over real HTTP: valid seed requests, their mutations, and the
checks every answer must pass (an AWS error in the protocol the client spoke, never a 500,
never a traceback, always a request id).

Seeds are serialized by botocore (``oracle.botocore_request``) and signed by botocore's
SigV4 signer, so the unmutated request is exactly what a client sends.  Mutations take a
``random.Random`` (seeded per request by the test) and return a new request.
Requests go out with ``http.client`` on a fresh connection each, with a socket timeout, so
a hung server fails the test instead of hanging it; ``http.client`` refuses CR/LF in
headers and control characters in the path, which keeps the garbage at the protocol level
(a request the HTTP parser itself rejects is uvicorn's business, not a protocol's).
"""

from __future__ import annotations

import http.client
import json
import random
import socket
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from urllib.parse import quote, urlsplit

from botocore.auth import S3SigV4Auth, SigV4Auth
from botocore.awsrequest import create_request_object
from botocore.credentials import Credentials

from cloudlet.http import Response
from cloudlet.protocol import cbor
from tests.support import oracle

TIMEOUT = 10.0  # seconds for any one request: a hang fails the test, it never stalls CI
TRACEBACK_MARKERS = (b"Traceback (most recent call last)", b'File "', b'.py", line ')


# --- requests --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Req:
    """One HTTP request: what is sent, and the seed (service, operation, protocol) it came from."""

    service: str
    operation: str
    protocol: str
    method: str
    target: str  # path and query string, as sent
    headers: dict[str, str]
    body: bytes
    mutation: str = "seed"
    # (service, operation, protocol) that may answer; by default only the seed's own. A
    # mutation that erases the client's protocol signals (the signature that names the
    # service, the smithy-protocol header) widens it to the answers that remain right.
    answers: tuple[tuple[str, str, str], ...] = ()

    @property
    def expected(self) -> tuple[tuple[str, str, str], ...]:
        return self.answers or ((self.service, self.operation, self.protocol),)

    @property
    def path(self) -> str:
        return self.target.split("?", 1)[0]

    @property
    def query(self) -> str:
        return self.target.partition("?")[2]

    def header(self, name: str) -> str | None:
        for key, value in self.headers.items():
            if key.lower() == name.lower():
                return value
        return None

    def with_header(self, name: str, value: str | None) -> dict[str, str]:
        headers = {k: v for k, v in self.headers.items() if k.lower() != name.lower()}
        if value is not None:
            headers[name] = value
        return headers


@dataclass
class Answer:
    status: int
    headers: dict[str, str]  # lower-case names
    body: bytes
    seconds: float


def seed_request(endpoint: str, service: str, operation: str, params: dict, protocol: str | None = None) -> Req:
    """A valid request, serialized and signed as botocore would send it to ``endpoint``."""
    model = oracle.service_model(service)
    protocol = protocol or model.metadata["protocol"]
    request = oracle.botocore_request(service, operation, params, protocol)
    request["url"] = endpoint + request["url"][len(oracle.ENDPOINT):]
    aws_request = create_request_object(request)
    signer = S3SigV4Auth if service == "s3" else SigV4Auth
    signer(Credentials("test", "test"), model.signing_name, "us-east-1").add_auth(aws_request)
    prepared = aws_request.prepare()
    body = prepared.body or b""
    if hasattr(body, "read"):
        body = body.read()
    if isinstance(body, str):
        body = body.encode()
    url = urlsplit(prepared.url)
    target = (url.path or "/") + (f"?{url.query}" if url.query else "")
    headers = {
        k: v.decode() if isinstance(v, bytes) else v
        for k, v in prepared.headers.items()
        if k.lower() not in ("content-length", "host", "expect")
    }
    return Req(service, operation, protocol, prepared.method, target, headers, bytes(body))


def connect(endpoint: str, timeout: float = TIMEOUT) -> http.client.HTTPConnection:
    url = urlsplit(endpoint)
    return http.client.HTTPConnection(url.hostname, url.port, timeout=timeout)


def send(endpoint: str, req: Req, timeout: float = TIMEOUT) -> Answer:
    """Send one request on a fresh connection; the Content-Length is always the body's own."""
    connection = connect(endpoint, timeout)
    try:
        return send_on(connection, req)
    finally:
        connection.close()


def send_on(connection: http.client.HTTPConnection, req: Req) -> Answer:
    """Send one request on an open (keep-alive) connection and read the whole answer."""
    start = time.monotonic()
    headers = {k: v for k, v in req.headers.items() if k.lower() != "content-length"}
    connection.putrequest(req.method, req.target, skip_accept_encoding=True)
    for key, value in headers.items():
        connection.putheader(key, value.encode("utf-8") if not value.isascii() else value)
    connection.putheader("Content-Length", str(len(req.body)))
    connection.endheaders(req.body)
    response = connection.getresponse()
    body = response.read()
    headers = {k.lower(): v for k, v in response.getheaders()}
    return Answer(response.status, headers, body, time.monotonic() - start)


def send_cut_short(endpoint: str, req: Req, keep: int, timeout: float = TIMEOUT) -> bytes:
    """Declare the whole body, send only ``keep`` bytes of it, then close our side.

    Returns whatever the server sent before closing (possibly nothing); raises
    ``socket.timeout`` if the server neither answers nor closes: a hang.
    """
    url = urlsplit(endpoint)
    lines = [f"{req.method} {req.target} HTTP/1.1", f"Host: {url.netloc}"]
    lines += [f"{k}: {v}" for k, v in req.headers.items() if k.lower() != "content-length"]
    lines.append(f"Content-Length: {len(req.body)}")
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8")
    with socket.create_connection((url.hostname, url.port), timeout=timeout) as sock:
        sock.sendall(head + req.body[:keep])
        sock.shutdown(socket.SHUT_WR)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
        return received


# --- checking answers --------------------------------------------------------------------------


class BadAnswer(AssertionError):
    pass


def _require(condition: bool, message: str, req: Req, answer: Answer) -> None:
    if not condition:
        raise BadAnswer(
            f"{message}\n  request: {req.method} {req.target[:300]!r} ({req.service}.{req.operation} "
            f"{req.protocol}, mutation {req.mutation})\n  headers: {dict(list(req.headers.items())[:12])!r}"
            f"\n  body[:300]: {req.body[:300]!r}\n  answer: {answer.status} {answer.headers!r}"
            f"\n  answer body[:600]: {answer.body[:600]!r}"
        )


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _xml_error_code(root: ET.Element) -> str | None:
    """The code of an XML error document: <ErrorResponse><Error><Code> or S3's <Error><Code>."""
    error = root if _local(root.tag) == "Error" else None
    if _local(root.tag) == "ErrorResponse":
        error = next((child for child in root if _local(child.tag) == "Error"), None)
    if error is None:
        return None
    code = next((child for child in error if _local(child.tag) == "Code"), None)
    return code.text if code is not None else None


def structural_code(protocol: str, req: Req, answer: Answer) -> str:
    """The error code as the protocol's own error format carries it (parsed independently)."""
    body = answer.body
    if protocol == "json":
        _require(answer.headers.get("content-type", "").startswith("application/x-amz-json-"),
                 "json error without an x-amz-json Content-Type", req, answer)
        document = json.loads(body)
        _require(isinstance(document, dict) and document.get("__type"), "json error without __type", req, answer)
        return document["__type"]
    if protocol == "smithy-rpc-v2-cbor":
        _require(answer.headers.get("smithy-protocol") == "rpc-v2-cbor", "cbor error without smithy-protocol",
                 req, answer)
        document = cbor.loads(body)
        _require(isinstance(document, dict) and document.get("__type"), "cbor error without __type", req, answer)
        return document["__type"]
    if protocol == "rest-json":
        code = answer.headers.get("x-amzn-errortype")
        if req.method == "HEAD":
            _require(code or not body, "HEAD error with a body and no x-amzn-ErrorType", req, answer)
            return code or str(answer.status)
        if not code:
            document = json.loads(body)
            _require(isinstance(document, dict), "rest-json error body is not an object", req, answer)
            code = document.get("code") or document.get("__type") or document.get("Code")
        _require(bool(code), "rest-json error without x-amzn-ErrorType or a code in the body", req, answer)
        return code
    # query and rest-xml: XML documents
    if req.method == "HEAD" and protocol == "rest-xml":
        _require(not body, "HEAD error with a body", req, answer)
        return str(answer.status)
    root = ET.fromstring(body)
    if protocol == "query":
        _require(_local(root.tag) == "ErrorResponse", f"query error root is {root.tag}", req, answer)
    code = _xml_error_code(root)
    _require(bool(code), "XML error without Error/Code", req, answer)
    return code


def botocore_code(service: str, operation: str, protocol: str, answer: Answer) -> str:
    """The error code botocore's own parser for ``protocol`` finds in the answer."""
    response = Response(answer.status, list(answer.headers.items()), answer.body)
    parsed = oracle.parse_response(service, operation, response, protocol)
    return parsed.get("Error", {}).get("Code") or ""


def check(req: Req, answer: Answer) -> str:
    """Every rule an answer to a fuzzed request must pass; returns the error code (or 'OK <status>')."""
    _require(answer.status != 500, "500: an internal failure", req, answer)
    _require(answer.status < 500 or answer.status == 501, f"server error {answer.status}", req, answer)
    for marker in TRACEBACK_MARKERS:
        _require(marker not in answer.body, "a Python traceback reached the client", req, answer)
    _require(any(h in answer.headers for h in ("x-amzn-requestid", "x-amz-request-id")),
             "no request id header", req, answer)
    if answer.status < 400:
        return f"OK {answer.status}"
    failures = []
    for service, operation, protocol in req.expected:
        try:
            return check_error(req, answer, service, operation, protocol)
        except BadAnswer as e:
            failures.append(e)
    raise failures[0]


def check_error(req: Req, answer: Answer, service: str, operation: str, protocol: str) -> str:
    """An error answer in ``protocol``: its own format carries a code, and botocore reads it."""
    try:
        code = structural_code(protocol, req, answer)
    except (ValueError, ET.ParseError, cbor.CBORDecodeError) as e:
        _require(False, f"the error does not parse as {protocol}: {e}", req, answer)
    if req.method != "HEAD":
        _require(code != str(answer.status), "the error carries no code beside its status", req, answer)
    parsed = botocore_code(service, operation, protocol, answer)
    _require(bool(parsed), "botocore finds no error code", req, answer)
    if req.method != "HEAD":
        _require(parsed != str(answer.status), "botocore finds only the status as the code", req, answer)
    if oracle.service_model(service).metadata.get("awsQueryCompatible") and protocol in (
        "json", "smithy-rpc-v2-cbor"
    ):
        query_error = answer.headers.get("x-amzn-query-error", "")
        _require(query_error.endswith((";Sender", ";Receiver")) and len(query_error.split(";")[0]) > 0,
                 "query-compatible error without x-amzn-query-error", req, answer)
    return parsed


# --- mutations --------------------------------------------------------------------------------

Mutation = Callable[[random.Random, Req], Req]

GARBAGE_TEXT = [
    "", " ", "\t", "null", "{}", "[]", "<a/>", "%", "%zz", "%C3%28", "%00", "%FF%FE", "..", "../..", "/",
    "é", "☃", "𝄞", "\u202e", "\ufeff", "a" * 4096, "\\", "\"", "'", "&", "=", ";", ",", "*", "?",
    "-1", "0", "1e400", "NaN", "Infinity", "9" * 40, "true", "maybe", "Thu, 99 Foo 2026 99:99:99 GMT",
    "2026-13-45T25:61:61Z", "bytes=10-5", "bytes=abc", "bytes=-", "\x7f", "\x01",
]
CONTENT_TYPES = [
    "", "text/plain", "application/json", "application/xml", "application/cbor",
    "application/x-amz-json-1.0", "application/x-amz-json-1.1", "application/x-www-form-urlencoded",
    "application/x-www-form-urlencoded; charset=utf-16", "multipart/form-data; boundary=xx",
    "application/octet-stream", "garbage", "application/x-amz-json-1.0; charset=ebcdic", "é/☃",
]


def _garbage(rng: random.Random) -> str:
    if rng.random() < 0.6:
        return rng.choice(GARBAGE_TEXT)
    alphabet = "abc%/.=&;?+ é☃\"'<>{}[]:#@!$0123456789"
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))


def _new(req: Req, name: str, **changes) -> Req:
    return replace(req, mutation=name, **changes)


def _any_protocol_of(req: Req) -> tuple[tuple[str, str, str], ...]:
    """Every protocol the seed's service speaks: when the request no longer says which one."""
    protocols = oracle.service_model(req.service).metadata.get("protocols") or [req.protocol]
    return tuple((req.service, req.operation, p) for p in protocols)


def _header_safe(text: str) -> str:
    # Control characters in a header are refused by the HTTP parser (a 400 from uvicorn,
    # before any protocol runs), so they are not a protocol's test.
    return "".join(c for c in text if c >= " " and c != "\x7f")


def truncate(rng: random.Random, req: Req) -> Req:
    cut = rng.randint(0, max(0, len(req.body) - 1))
    return _new(req, f"truncate@{cut}", body=req.body[:cut])


def flip_bytes(rng: random.Random, req: Req) -> Req:
    body = bytearray(req.body or b"\0")
    for _ in range(rng.randint(1, 8)):
        body[rng.randrange(len(body))] ^= 1 << rng.randrange(8)
    return _new(req, "flip", body=bytes(body))


def insert_bytes(rng: random.Random, req: Req) -> Req:
    at = rng.randint(0, len(req.body))
    junk = bytes(rng.randrange(256) for _ in range(rng.randint(1, 16)))
    return _new(req, "insert", body=req.body[:at] + junk + req.body[at:])


def delete_bytes(rng: random.Random, req: Req) -> Req:
    if not req.body:
        return _new(req, "delete", body=b"")
    at = rng.randrange(len(req.body))
    return _new(req, "delete", body=req.body[:at] + req.body[at + rng.randint(1, 16):])


def random_body(rng: random.Random, req: Req) -> Req:
    return _new(req, "random-body", body=bytes(rng.randrange(256) for _ in range(rng.randint(1, 2048))))


def duplicate_body(rng: random.Random, req: Req) -> Req:
    return _new(req, "duplicate", body=req.body * rng.randint(2, 3))


def content_type(rng: random.Random, req: Req) -> Req:
    changed = _new(req, "content-type", headers=req.with_header("Content-Type", rng.choice(CONTENT_TYPES)))
    if req.protocol == "query":
        # A query request is known by its form body; in any other body the Action is not
        # read, and a service that also speaks json or cbor may answer in either.
        return replace(changed, answers=_any_protocol_of(req))
    return changed


def garbage_query(rng: random.Random, req: Req) -> Req:
    pieces = [f"{_garbage(rng)}={_garbage(rng)}" if rng.random() < 0.7 else _garbage(rng)
              for _ in range(rng.randint(1, 4))]
    garbage = "&".join(quote(p, safe="%=&;+/?") for p in pieces)
    joined = f"{req.target}&{garbage}" if "?" in req.target else f"{req.target}?{garbage}"
    return _new(req, "query-string", target=joined)


def garbage_header(rng: random.Random, req: Req) -> Req:
    """A garbage value for a header the operation binds, or a well-known one."""
    names = ["Range", "If-Modified-Since", "If-Unmodified-Since", "x-amz-meta-fuzz", "x-amz-date",
             "Content-MD5", "x-amz-content-sha256", "Expect", "Transfer-Encoding-Fuzz", "X-Amz-Target",
             "smithy-protocol", "Authorization", "x-amz-security-token", "Accept"]
    names += bound_headers(req.service, req.operation)
    name = rng.choice(names)
    changed = _new(req, f"header:{name}", headers=req.with_header(name, _header_safe(_garbage(rng))))
    if name == "Authorization" and req.protocol in ("rest-json", "rest-xml"):
        # The signature names the service of a REST request on localhost; without it the
        # request is an anonymous path-style one, which is S3's.
        return replace(changed, answers=(*req.expected, ("s3", "ListBuckets", "rest-xml")))
    if name == "smithy-protocol":
        return replace(changed, answers=_any_protocol_of(req))
    return changed


ODD_DIGITS = ["²", "١٢", "٣", "𝟗", "Ⅻ", "0x10", "-1", "1e3", "99999999999999999999999", "", " 1"]


def garbage_auth(rng: random.Random, req: Req) -> Req:
    """An Authorization header that is almost a signature: odd credential scopes, dates,
    signed-header lists and versions (the signature itself is never checked unless strict)."""
    signing = oracle.service_model(req.service).signing_name
    region = rng.choice(["us-east-1", "", "☃", "../../etc", "x" * 300, "US-EAST-1", "%00"])
    date = rng.choice(["20260101", "", "2026", "abcdefgh", "99999999", "٢٠٢٦٠١٠١"])
    service = rng.choice([signing, signing, "", "☃", "nosuchservice"])
    parts = rng.choice([f"test/{date}/{region}/{service}/aws4_request", f"test/{date}/{region}/{service}",
                        "test", "/////", f"{_garbage(rng)}/{date}/{region}/{service}/aws4_request"])
    header = rng.choice([
        f"AWS4-HMAC-SHA256 Credential={parts}, SignedHeaders=host;x-amz-date, Signature={'ab' * 32}",
        f"AWS4-HMAC-SHA256 Credential={parts}, SignedHeaders={_garbage(rng)}, Signature=00",
        f"AWS4-HMAC-SHA256 Credential={parts},SignedHeaders=,Signature=",
        f"AWS4-HMAC-SHA256 Credential={parts}", "AWS4-HMAC-SHA256", f"AWS {_garbage(rng)}:{_garbage(rng)}",
        "AWS ", "AWS :", "Bearer x", f"AWS4-ECDSA-P256-SHA256 Credential={parts}",
    ])
    headers = req.with_header("Authorization", _header_safe(header))
    if rng.random() < 0.5:
        headers["X-Amz-Date"] = rng.choice(["", "2026", "20260101T000000", "☃", "99999999T999999Z"])
    changed = _new(req, "authorization", headers={k: _header_safe(v) for k, v in headers.items()})
    if req.protocol in ("rest-json", "rest-xml"):
        return replace(changed, answers=(*req.expected, ("s3", "ListBuckets", "rest-xml")))
    if req.protocol == "query":  # the service is the Version's; a service speaking json too may answer
        return replace(changed, answers=_any_protocol_of(req))
    return changed


def garbage_presign(rng: random.Random, req: Req) -> Req:
    """Presigned-URL parameters (SigV4 and SigV2) with odd values, beside the header signature
    or instead of it."""
    params = {
        "X-Amz-Algorithm": rng.choice(["AWS4-HMAC-SHA256", "", "☃"]),
        "X-Amz-Credential": rng.choice(["test/20260101/us-east-1/s3/aws4_request", "a/b/c/d/e", "a/b", "",
                                        "test/20260101/☃/" + oracle.service_model(req.service).signing_name
                                        + "/aws4_request"]),
        "X-Amz-Date": rng.choice(["20260101T000000Z", "", "garbage", "99999999T999999Z"]),
        "X-Amz-Expires": rng.choice(ODD_DIGITS + ["60", "604801"]),
        "X-Amz-SignedHeaders": rng.choice(["host", "", ";;;", "☃"]),
        "X-Amz-Signature": rng.choice(["00", "", "zz"]),
        "AWSAccessKeyId": rng.choice(["test", "", "☃"]),
        "Expires": rng.choice(ODD_DIGITS),
        "Signature": rng.choice(["x", "", "%"]),
    }
    chosen = rng.sample(sorted(params), rng.randint(1, len(params)))
    query = "&".join(f"{k}={quote(params[k], safe='%')}" for k in chosen)
    target = f"{req.target}&{query}" if "?" in req.target else f"{req.target}?{query}"
    headers = req.with_header("Authorization", None) if rng.random() < 0.5 else req.headers
    changed = _new(req, "presign", target=target, headers=headers)
    # A credential scope naming s3 (or none at all) makes the request S3's, as on localhost
    # the signature is what names the service.
    s3 = ("s3", "ListBuckets", "rest-xml")
    if req.protocol == "query":
        return replace(changed, answers=(*_any_protocol_of(req), s3))
    return replace(changed, answers=(*req.expected, s3))


def garbage_query_member(rng: random.Random, req: Req) -> Req:
    """A garbage value for a query-string parameter the operation binds (max-keys, MaxItems,
    embed...), replacing the one sent or added, sometimes twice over."""
    op = oracle.service_model(req.service).operation_model(req.operation)
    names = [m.serialization.get("name", n) for n, m in (op.input_shape.members.items() if op.input_shape else ())
             if m.serialization.get("location") == "querystring" and m.type_name != "map"]
    if not names:
        return garbage_query(rng, req)
    name = rng.choice(names)
    value = rng.choice([*ODD_DIGITS, *GARBAGE_TEXT, "2026-01-01T00:00:00Z", "1e308", "true", "-0", "0.5"])
    kept = [p for p in req.query.split("&") if p and p.partition("=")[0] != name]
    pairs = [f"{name}={quote(value, safe='%')}"] * rng.choice([1, 1, 2])
    return _new(req, f"query-member:{name}", target=req.path + "?" + "&".join(kept + pairs))


def garbage_target(rng: random.Random, req: Req) -> Req:
    """X-Amz-Target: wrong operation, wrong prefix, empty, other services', garbage."""
    current = req.header("X-Amz-Target") or "Nope.Nope"
    prefix = current.rpartition(".")[0]
    choices = [
        "", ".", prefix, prefix + ".", prefix + ".NoSuchOperation", prefix + "." + _garbage(rng),
        "." + current, current + ".", current.lower(), current + "x", "DynamoDB_20120810.ListTables",
        "AmazonSQS.ListQueues", "Kinesis_20131202." + req.operation, _garbage(rng), prefix + ".☃",
    ]
    target = _header_safe(rng.choice(choices))
    changed = _new(req, "x-amz-target", headers=req.with_header("X-Amz-Target", target))
    owner = TARGET_OWNERS.get(target.rpartition(".")[0])
    if owner is not None and owner != req.service:  # another service's target: that service answers
        operation = oracle.service_model(owner).operation_names[0]
        return replace(changed, answers=((owner, operation, "json"),))
    return changed


TARGET_OWNERS = {"DynamoDB_20120810": "dynamodb", "AmazonSQS": "sqs", "Kinesis_20131202": "kinesis"}


def garbage_label(rng: random.Random, req: Req) -> Req:
    """Replace one path segment with garbage, unicode, bad escapes or a very long label."""
    segments = req.path.split("/")
    index = rng.randrange(1, len(segments)) if len(segments) > 1 else 0
    choice = rng.random()
    if choice < 0.3:
        label = quote(rng.choice(["é", "☃ ☃", "𝄞/x", "a b", "\u202e", "日本語", "x" * 2000]), safe="")
    elif choice < 0.6:
        label = rng.choice(["%", "%zz", "%C3%28", "%00", "%2F%2F", "..", "%2e%2e", "", "%FF" * 10])
    else:
        label = quote(_garbage(rng), safe="%")
    segments[index] = label
    query = f"?{req.query}" if req.query else ""
    return _new(req, "label", target="/".join(segments) + query)


def garbage_method(rng: random.Random, req: Req) -> Req:
    methods = ["GET", "PUT", "DELETE", "PATCH", "OPTIONS", "POST"]
    if req.protocol in ("rest-json", "rest-xml"):
        methods.append("HEAD")  # RPC protocols have no body-less error form
    method = rng.choice(methods)
    return _new(req, f"method:{method}", method=method)


def deep_nesting(rng: random.Random, req: Req) -> Req:
    depth = rng.choice([200, 1000, 5000, 100_000])
    kind = rng.choice(["array", "object"])
    if req.protocol in ("json", "rest-json"):
        inner = (b"[" * depth + b"]" * depth) if kind == "array" else (b'{"a":' * depth + b"1" + b"}" * depth)
        body = b'{"Fuzz":' + inner + b"}"
    elif req.protocol == "smithy-rpc-v2-cbor":
        inner = b"\x81" * depth + b"\x01" if kind == "array" else b"\xa1\x61a" * depth + b"\x01"
        body = b"\xa1\x64Fuzz" + inner
    elif req.protocol == "rest-xml":
        body = b"<?xml version='1.0'?><Fuzz>" + b"<a>" * depth + b"</a>" * depth + b"</Fuzz>"
    else:  # query: a deep dotted parameter name
        body = req.body + b"&" + b".".join([b"member.1"] * min(depth, 5000)) + b"=x"
    return _new(req, f"nesting:{kind}:{depth}", body=body)


def long_string(rng: random.Random, req: Req) -> Req:
    """Swap the first string value of the body for a very long one (or append a long field)."""
    size = rng.choice([10_000, 300_000, 1_000_000])
    text = rng.choice(["x", "é", "☃"]) * size
    if req.protocol in ("json", "rest-json") and req.body.startswith(b"{"):
        try:
            document = json.loads(req.body)
        except ValueError:
            document = {}
        keys = [k for k, v in document.items() if isinstance(v, str)] or ["Fuzz"]
        document[rng.choice(keys)] = text
        body = json.dumps(document).encode()
    elif req.protocol == "smithy-rpc-v2-cbor":
        try:
            document = cbor.loads(req.body) if req.body else {}
        except cbor.CBORDecodeError:
            document = {}
        if not isinstance(document, dict):
            document = {}
        keys = [k for k, v in document.items() if isinstance(v, str)] or ["Fuzz"]
        document[rng.choice(keys)] = text
        body = cbor.dumps(document)
    elif req.protocol == "query":
        body = req.body + b"&" + rng.choice([b"Fuzz", b"RoleArn", b"Name"]) + b"=" + quote(text).encode()
    elif req.protocol == "rest-xml" and req.body.startswith(b"<"):
        cut = req.body.find(b">", req.body.find(b"<", 2)) + 1 if req.body.startswith(b"<?") else req.body.find(b">") + 1
        body = req.body[:cut] + b"<Fuzz>" + text.encode() + b"</Fuzz>" + req.body[cut:]
    else:
        # 8 KB of label, as much as AWS's front ends take (uvicorn's own limit is 64 KiB of URL)
        return _new(req, "long-label", target=req.path.rstrip("/") + "/" + quote(text[:3000])[:8000] +
                    (f"?{req.query}" if req.query else ""))
    return _new(req, f"long-string:{size}", body=body)


def query_garbage(rng: random.Random, req: Req) -> Req:
    """Query protocol: garbage Action/Version, bad escapes, bad list indexes, duplicates."""
    params = req.body.decode().split("&") if req.body else []
    choice = rng.randrange(6)
    if choice == 0 and params:
        params[rng.randrange(len(params))] = "Action=" + quote(_garbage(rng), safe="%")
    elif choice == 1:
        params.append("Version=" + quote(_garbage(rng), safe="%"))
    elif choice == 2 and params:
        index = rng.randrange(len(params))
        key, _, _ = params[index].partition("=")
        params[index] = key + "=" + rng.choice(["%", "%zz", "%C3%28", "%FF%FE", "%E2%98", "+%+", "%%%"])
    elif choice == 3:
        member = rng.choice(["Tags", "Attributes", "PolicyArns", "Names", "MetricData", "Entries"])
        index = rng.choice(["0", "-1", "x", "", "1.5", "99999999999999999999", "١", "01", "1e3"])
        params.append(f"{member}.member.{index}.Key=v")
        params.append(f"{member}.entry.{index}.value=v")
    elif choice == 4 and params:
        params += [rng.choice(params) for _ in range(rng.randint(1, 3))]  # duplicated parameters
    else:
        params.append(quote(_garbage(rng), safe="%=") + "=" + quote(_garbage(rng), safe="%"))
    rng.shuffle(params) if rng.random() < 0.3 else None
    return _new(req, f"query-param:{choice}", body="&".join(params).encode())


def numeric_edges(rng: random.Random, req: Req) -> Req:
    """Numbers a parser may choke on, spliced where a number or string goes."""
    value = rng.choice([b"1e999999", b"-1e999999", b"9" * 5000, b"-0", b"1.5e-400", b"0x10", b"NaN",
                        b"Infinity", b"1" + b"0" * 400, b"\"\\ud800\"", b"\"\\u0000\"", b"\"\\x\""])
    if req.protocol in ("json", "rest-json") and req.body.startswith(b"{"):
        try:
            document = json.loads(req.body)
        except ValueError:
            document = {}
        key = rng.choice(list(document) or ["Fuzz"])
        body = json.dumps({k: v for k, v in document.items() if k != key})[:-1].encode()
        body += (b", " if len(body) > 1 else b"") + json.dumps(key).encode() + b": " + value + b"}"
        return _new(req, "number", body=body)
    if req.protocol == "smithy-rpc-v2-cbor":
        specials = [b"\xc2\x59\x10\x00" + b"\xff" * 4096,  # a 4 KiB bignum
                    b"\xfb\x7f\xf0\x00\x00\x00\x00\x00\x00",  # +inf
                    b"\xfb\x7f\xf8\x00\x00\x00\x00\x00\x00",  # NaN
                    b"\x1b\xff\xff\xff\xff\xff\xff\xff\xff",  # 2**64-1
                    b"\x3b\xff\xff\xff\xff\xff\xff\xff\xff",  # -2**64
                    b"\xc1\xfb\x7f\xf0\x00\x00\x00\x00\x00\x00",  # an infinite epoch timestamp
                    b"\xc1\x1b\xff\xff\xff\xff\xff\xff\xff\xff",  # a far-future epoch timestamp
                    b"\x5f\x41a\x61b\xff",  # an indefinite byte string holding a text chunk
                    b"\x7f\xff", b"\x9f", b"\xbf\x61a", b"\xff", b"\x1c", b"\xf8\x10", b"\xc6\xc6\xc6\x01"]
        try:
            document = cbor.loads(req.body) if req.body else {}
        except cbor.CBORDecodeError:
            document = {}
        if not isinstance(document, dict) or not document:
            document = {"Fuzz": 1}
        key = rng.choice(list(document))
        rest = {k: v for k, v in document.items() if k != key}
        encoded = cbor.dumps(rest)
        # re-open the map with one more entry: header byte of a map of len(rest)+1 (small maps only)
        if len(rest) + 1 < 24:
            body = bytes([0xA0 + len(rest) + 1]) + encoded[1:] + cbor.dumps(key) + rng.choice(specials)
            return _new(req, "cbor-special", body=body)
        return _new(req, "cbor-special", body=rng.choice(specials))
    if req.protocol == "query":
        params = req.body.decode().split("&") if req.body else []
        if params:
            index = rng.randrange(len(params))
            params[index] = params[index].partition("=")[0] + "=" + quote(value.decode(), safe="")
        return _new(req, "number", body="&".join(params).encode())
    return garbage_header(rng, req)


# --- nesting along the model's own recursive shapes ---------------------------------------------

Step = tuple[str, str]  # ("member", wire name) | ("list", "") | ("map", "")


def shape_cycle(shape, renames: bool, top_level: bool = True) -> tuple[list[Step], list[Step]] | None:  # noqa: ANN001
    """A path into a recursive shape and the steps of one turn around it, or None.

    DynamoDB's AttributeValue (``{"L": [{"L": [...]}]}``) is the classic: a value the model
    allows to nest without end, so a parser must bound the depth itself.
    """
    stack: list[tuple[str, int]] = []
    steps: list[Step] = []

    def walk(current, depth: int):  # noqa: ANN001, ANN202
        for name, at in stack:
            if name == current.name:
                return steps[:at], steps[at:]
        if depth > 10:
            return None
        stack.append((current.name, len(steps)))
        try:
            children = []
            if current.type_name == "structure" and not current.is_document_type:
                for member_name, member in current.members.items():
                    if depth == 0 and top_level and member.serialization.get("location"):
                        continue  # bound to the URI or a header, not the body
                    wire = member.serialization.get("name", member_name) if renames else member_name
                    children.append((("member", wire), member))
            elif current.type_name == "list":
                children.append((("list", ""), current.member))
            elif current.type_name == "map":
                children.append((("map", ""), current.value))
            for step, child in children:
                steps.append(step)
                found = walk(child, depth + 1)
                steps.pop()
                if found:
                    return found
            return None
        finally:
            stack.pop()

    return walk(shape, 0)


def _json_steps(steps: list[Step]) -> tuple[bytes, bytes]:
    opening = b""
    closing = b""
    for kind, name in steps:
        if kind == "list":
            opening, closing = opening + b"[", b"]" + closing
        else:
            opening, closing = opening + b"{" + json.dumps(name if kind == "member" else "k").encode() + b":", \
                b"}" + closing
    return opening, closing


def _cbor_steps(steps: list[Step]) -> bytes:
    out = b""
    for kind, name in steps:
        out += b"\x81" if kind == "list" else b"\xa1" + cbor.dumps(name if kind == "member" else "k")
    return out


def model_nesting(rng: random.Random, req: Req) -> Req:
    """Nest the operation's own recursive shape very deep (valid at every level but depth)."""
    op = oracle.service_model(req.service).operation_model(req.operation)
    if op.input_shape is None or req.protocol not in ("json", "rest-json", "smithy-rpc-v2-cbor"):
        return deep_nesting(rng, req)
    payload = op.input_shape.serialization.get("payload")
    shape = op.input_shape.members[payload] if payload else op.input_shape
    found = shape_cycle(shape, renames=req.protocol != "smithy-rpc-v2-cbor", top_level=not payload)
    if found is None:
        return deep_nesting(rng, req)
    prefix, turn = found
    depth = rng.choice([20, 150, 400, 2000])
    if req.protocol == "smithy-rpc-v2-cbor":
        body = _cbor_steps(prefix) + _cbor_steps(turn) * depth + b"\xa0"
    else:
        prefix_open, prefix_close = _json_steps(prefix)
        turn_open, turn_close = _json_steps(turn)
        body = prefix_open + turn_open * depth + b"{}" + turn_close * depth + prefix_close
    return _new(req, f"model-nesting:{depth}", body=body)


BODY_MUTATIONS: list[Mutation] = [
    truncate, flip_bytes, insert_bytes, delete_bytes, random_body, duplicate_body, deep_nesting,
    long_string, numeric_edges,
]
COMMON_MUTATIONS: list[Mutation] = [content_type, garbage_query, garbage_header, garbage_auth, garbage_presign]
BY_PROTOCOL: dict[str, list[Mutation]] = {
    "json": [garbage_target, garbage_method, model_nesting],
    "query": [query_garbage, query_garbage],
    "rest-json": [garbage_label, garbage_method, garbage_query_member],
    "rest-xml": [garbage_label, garbage_method, garbage_query_member],
    "smithy-rpc-v2-cbor": [garbage_label, garbage_method],
}


def mutations_for(protocol: str) -> list[Mutation]:
    return BODY_MUTATIONS + COMMON_MUTATIONS + BY_PROTOCOL.get(protocol, [])


def bound_headers(service: str, operation: str) -> list[str]:
    """The header names an operation's input members are bound to (header maps as a prefix)."""
    op = oracle.service_model(service).operation_model(operation)
    shape = op.input_shape
    names = []
    if shape is not None:
        for member in shape.members.values():
            location = member.serialization.get("location")
            if location == "header":
                names.append(member.serialization.get("name"))
            elif location == "headers":
                names.append(member.serialization.get("name", "") + "fuzz")
    return names


@dataclass
class Tally:
    """What a fuzz batch sent and saw, for the summary."""

    sent: dict[str, int] = field(default_factory=dict)
    codes: dict[str, dict[str, int]] = field(default_factory=dict)
    slowest: dict[str, tuple[float, str]] = field(default_factory=dict)

    def record(self, group: str, code: str, seconds: float, what: str = "") -> None:
        self.sent[group] = self.sent.get(group, 0) + 1
        codes = self.codes.setdefault(group, {})
        short = code.rsplit("#", 1)[-1]
        codes[short] = codes.get(short, 0) + 1
        if seconds > self.slowest.get(group, (0.0, ""))[0]:
            self.slowest[group] = (seconds, what)

    def summary(self) -> str:
        lines = ["fuzz summary: requests sent and error codes seen, per protocol"]
        for group, count in self.sent.items():
            codes = sorted(self.codes[group].items(), key=lambda kv: (-kv[1], kv[0]))
            seconds, what = self.slowest[group]
            lines.append(f"  {group}: {count} requests; slowest {seconds:.2f}s ({what})")
            lines.append("    " + ", ".join(f"{code} x{n}" for code, n in codes))
        lines.append(f"  total: {sum(self.sent.values())} requests")
        return "\n".join(lines)

