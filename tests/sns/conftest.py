"""Helpers shared by the SNS tests: a local HTTP or HTTPS endpoint that records what SNS POSTs."""

from __future__ import annotations

import json
import queue
import shutil
import ssl
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest


class Endpoint:
    """An HTTP server on 127.0.0.1 answering each POST with the next status in ``statuses`` (then 200)."""

    def __init__(self, tls_dir: Path | None = None) -> None:
        """With ``tls_dir``, an HTTPS server with a self-signed certificate made there by openssl."""
        self.received: queue.Queue = queue.Queue()
        self.statuses: list[int] = []
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                status = endpoint.statuses.pop(0) if endpoint.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()
                endpoint.received.put({"path": self.path, "headers": dict(self.headers), "body": body, "status": status})

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        scheme = "http"
        if tls_dir is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*self_signed_certificate(tls_dir))
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
            scheme = "https"
        self.url = f"{scheme}://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def next(self, timeout: float = 10) -> dict:
        """The next request SNS sent (waits for the delivery, which happens after the API call)."""
        return self.received.get(timeout=timeout)

    def next_json(self, timeout: float = 10) -> tuple[dict, dict]:
        request = self.next(timeout)
        return request["headers"], json.loads(request["body"])

    def nothing_more(self, timeout: float = 0.3) -> bool:
        try:
            self.received.get(timeout=timeout)
        except queue.Empty:
            return True
        return False

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def self_signed_certificate(directory: Path) -> tuple[str, str]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    cert, key = str(directory / "endpoint.crt"), str(directory / "endpoint.key")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
         "-days", "1", "-subj", "/CN=127.0.0.1"],
        capture_output=True, check=True,
    )
    return cert, key


@pytest.fixture
def endpoint() -> Iterator[Endpoint]:
    server = Endpoint()
    yield server
    server.close()


@pytest.fixture
def https_endpoint(tmp_path: Path) -> Iterator[Endpoint]:
    server = Endpoint(tmp_path)
    yield server
    server.close()


def error_of(excinfo: pytest.ExceptionInfo) -> tuple[str, str, int]:
    response = excinfo.value.response
    return response["Error"]["Code"], response["Error"]["Message"], response["ResponseMetadata"]["HTTPStatusCode"]
