"""Helpers for S3 tests: unique bucket names and raw signed requests (for what boto3 never sends)."""

from __future__ import annotations

import http.client
import itertools
import os
import urllib.parse
from dataclasses import dataclass

from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

_counter = itertools.count()


def unique(prefix: str = "bkt") -> str:
    return f"{prefix}-{os.getpid()}-{next(_counter)}"


@dataclass
class Raw:
    status: int
    headers: dict[str, str]
    body: bytes

    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


def send(endpoint: str, method: str, path: str, body: bytes = b"", headers: dict | None = None,
         query: str = "", host: str | None = None) -> Raw:
    """One raw HTTP request to the server (no signature)."""
    parsed = urllib.parse.urlparse(endpoint)
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=30)
    try:
        all_headers = dict(headers or {})
        if host is not None:
            all_headers["Host"] = host
        conn.request(method, path + (f"?{query}" if query else ""), body=body, headers=all_headers)
        response = conn.getresponse()
        data = response.read()
        return Raw(response.status, {k.lower(): v for k, v in response.getheaders()}, data)
    finally:
        conn.close()


def fixed_payload(content_sha256: str | None) -> type[S3SigV4Auth]:
    """botocore's S3 signer, signing ``content_sha256`` as the payload hash (streaming modes, wrong hashes)."""
    if content_sha256 is None:
        return S3SigV4Auth

    class Signer(S3SigV4Auth):
        def payload(self, request: AWSRequest) -> str:
            return content_sha256

    return Signer


def signed(endpoint: str, method: str, path: str, body: bytes = b"", headers: dict | None = None,
           query: str = "", access_key: str = "test", secret: str = "test", region: str = "us-east-1",
           content_sha256: str | None = None) -> tuple[Raw, str]:
    """A SigV4-signed raw request; returns the answer and the (seed) signature."""
    url = endpoint + path + (f"?{query}" if query else "")
    request = AWSRequest(method=method, url=url, data=body, headers=dict(headers or {}))
    fixed_payload(content_sha256)(Credentials(access_key, secret), "s3", region).add_auth(request)
    prepared = dict(request.headers.items())
    signature = prepared["Authorization"].rsplit("Signature=", 1)[1]
    return send(endpoint, method, path, body, prepared, query), signature
