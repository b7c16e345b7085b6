"""The client ceiling of a big S3 transfer: an ASGI app that does the least S3 work boto3's managed
transfer needs, so what boto3 reaches against it is the most any server could give on this machine.

It keeps nothing: an upload's bytes are read and dropped (multipart: an upload id, an ETag per part,
a fixed completion document); a download is served from one 8 MiB block of random bytes held in
memory, repeated to the object's size (``CEILING_OBJECT_BYTES``), whole ranges in one message. Run
under Cloudlet's own server stack by ``bench.host --app s3-ceiling``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from email.utils import formatdate

from bench.floor import lifespan

BLOCK = os.urandom(8 * 1024 * 1024)
SIZE = int(os.environ.get("CEILING_OBJECT_BYTES", str(1024**3)))
ETAG = b'"0123456789abcdef0123456789abcdef-128"'
LAST_MODIFIED = formatdate(time.time(), usegmt=True).encode()
REQUEST_ID = (b"x-amz-request-id", b"5c3a8e2b7f1d4c6a")
INITIATED = (b'<?xml version="1.0" encoding="UTF-8"?><InitiateMultipartUploadResult '
             b'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>b</Bucket><Key>k</Key>'
             b"<UploadId>ceiling</UploadId></InitiateMultipartUploadResult>")
COMPLETED = (b'<?xml version="1.0" encoding="UTF-8"?><CompleteMultipartUploadResult '
             b'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Location>/b/k</Location><Bucket>b</Bucket>'
             b"<Key>k</Key><ETag>" + ETAG.replace(b'"', b"&quot;") + b"</ETag></CompleteMultipartUploadResult>")


def _span(scope: dict) -> tuple[int, int] | None:
    for name, value in scope["headers"]:
        if name == b"range" and value.startswith(b"bytes="):
            first, _, last = value[6:].decode().partition("-")
            return int(first), min(int(last) + 1 if last else SIZE, SIZE)
    return None


def _bytes(start: int, end: int) -> bytes:
    pieces = []
    while start < end:
        offset = start % len(BLOCK)
        take = min(end - start, len(BLOCK) - offset)
        pieces.append(BLOCK[offset:offset + take])
        start += take
    return pieces[0] if len(pieces) == 1 else b"".join(pieces)


async def app(scope: dict, receive: Callable, send: Callable) -> None:
    if scope["type"] == "lifespan":
        return await lifespan(receive, send)
    if scope["type"] != "http":
        return
    more = True
    while more:  # uploads: read and drop
        more = (await receive()).get("more_body", False)
    method, query = scope["method"], scope.get("query_string", b"")
    date = (b"date", formatdate(time.time(), usegmt=True).encode())
    headers = [date, REQUEST_ID]
    status, body = 200, b""
    if scope["path"].startswith("/_cloudlet/"):  # the health check that tells a start is done
        body = b'{"status":"running"}'
    elif method == "POST":
        body = INITIATED if query.startswith(b"uploads") else COMPLETED
        headers.append((b"content-type", b"application/xml"))
    elif method == "PUT":
        headers.append((b"etag", ETAG))
    elif method in ("GET", "HEAD"):
        span = _span(scope)
        start, end = span if span is not None else (0, SIZE)
        headers += [(b"etag", ETAG), (b"last-modified", LAST_MODIFIED), (b"accept-ranges", b"bytes"),
                    (b"content-type", b"binary/octet-stream")]
        if span is not None:
            status = 206
            headers.append((b"content-range", f"bytes {start}-{end - 1}/{SIZE}".encode()))
        headers.append((b"content-length", str(end - start).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if method == "HEAD" else _bytes(start, end)})
        return
    headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
