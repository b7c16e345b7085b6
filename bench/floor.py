"""The floor: an ASGI app that answers with fixed, valid AWS responses and parses nothing.

It runs under the same server stack as Cloudlet, so the gap between the two is
what Cloudlet itself costs. The bodies are byte-for-byte what Cloudlet sends
(only the request id is fixed), so boto3 spends the same time parsing both.
"""

from __future__ import annotations

import base64
import json
import os
import time
import zlib
from collections.abc import Callable
from email.utils import formatdate

REQUEST_ID = "5c3a8e2b-7f1d-4c6a-9b0e-2d4f6a8c0e1f"

STS_BODY = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
    "<GetCallerIdentityResult><UserId>000000000000</UserId><Account>000000000000</Account>"
    "<Arn>arn:aws:iam::000000000000:root</Arn></GetCallerIdentityResult>"
    f"<ResponseMetadata><RequestId>{REQUEST_ID}</RequestId></ResponseMetadata>"
    "</GetCallerIdentityResponse>"
).encode()

DYNAMODB_BODY = (
    b'{"AccountMaxReadCapacityUnits":80000,"AccountMaxWriteCapacityUnits":80000,'
    b'"TableMaxReadCapacityUnits":40000,"TableMaxWriteCapacityUnits":40000}'
)

HEALTH_BODY = b'{"status":"running"}'


def _headers(content_type: bytes, body: bytes, *extra: tuple[bytes, bytes]) -> list[tuple[bytes, bytes]]:
    return [
        (b"content-type", content_type),
        (b"x-amzn-requestid", REQUEST_ID.encode()),
        *extra,
        (b"content-length", str(len(body)).encode()),
    ]


# Everything precomputed once: the floor does no work per request beyond choosing one of these.
STS = (200, _headers(b"text/xml", STS_BODY), STS_BODY)
DYNAMODB = (
    200,
    _headers(b"application/x-amz-json-1.0", DYNAMODB_BODY, (b"x-amz-crc32", str(zlib.crc32(DYNAMODB_BODY)).encode())),
    DYNAMODB_BODY,
)
HEALTH = (200, _headers(b"application/json", HEALTH_BODY), HEALTH_BODY)


Answer = tuple[int, list[tuple[bytes, bytes]], bytes]


def _load_recorded() -> list[tuple[dict, Answer]]:
    """Answers recorded from Cloudlet (bench/record.py), named by CLOUDLET_FLOOR_ANSWERS.

    Each entry: ``{"match": {...}, "status": int, "headers": [[name, value]...], "body": base64}``;
    ``match`` may name ``target`` (X-Amz-Target), ``action`` (a query Action in the body),
    ``method`` and ``path_prefix``. The first entry that matches answers.
    """
    path = os.environ.get("CLOUDLET_FLOOR_ANSWERS")
    if not path:
        return []
    with open(path, encoding="utf-8") as f:
        entries = json.load(f)
    recorded = []
    for entry in entries:
        body = base64.b64decode(entry["body"])
        headers = [(k.lower().encode(), v.encode()) for k, v in entry["headers"] if k.lower() not in ("date", "content-length")]
        headers.append((b"content-length", str(len(body)).encode()))
        recorded.append((entry["match"], (entry["status"], headers, body)))
    return recorded


RECORDED = _load_recorded()


def _matches(match: dict, scope: dict, target: bytes | None, body: bytes) -> bool:
    if "target" in match and target != match["target"].encode():
        return False
    if "action" in match and f"Action={match['action']}&".encode() not in body + b"&":
        return False
    if "method" in match and scope["method"] != match["method"]:
        return False
    return "path_prefix" not in match or scope["path"].startswith(match["path_prefix"])


def _pick(scope: dict, body: bytes) -> Answer:
    target = None
    for name, value in scope["headers"]:
        if name == b"x-amz-target":
            target = value
    for match, answer in RECORDED:
        if _matches(match, scope, target, body):
            return answer
    # A DynamoDB client always sends X-Amz-Target; the STS client never does.
    if target is not None:
        return DYNAMODB
    return STS if scope["method"] == "POST" else HEALTH


_date = [0, b""]


def date_header() -> tuple[bytes, bytes]:
    # Formatted once a second, as Cloudlet's gateway does (uvicorn's own Date header is off for both).
    now = int(time.time())
    if _date[0] != now:
        _date[0], _date[1] = now, formatdate(now, usegmt=True).encode()
    return (b"date", _date[1])


async def lifespan(receive: Callable, send: Callable) -> None:
    """Start-up and shut-down, acknowledged at once (nothing to prepare)."""
    while True:
        message = await receive()
        await send({"type": message["type"] + ".complete"})
        if message["type"] == "lifespan.shutdown":
            return


async def app(scope: dict, receive: Callable, send: Callable) -> None:
    if scope["type"] == "lifespan":
        return await lifespan(receive, send)
    if scope["type"] != "http":
        return
    chunks = []
    more = True
    while more:  # drain the request body so the connection stays reusable
        message = await receive()
        if RECORDED:  # only recorded query answers need to see the body
            chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    status, headers, body = _pick(scope, b"".join(chunks))
    await send({"type": "http.response.start", "status": status, "headers": [date_header(), *headers]})
    await send({"type": "http.response.body", "body": body})
