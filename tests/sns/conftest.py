"""Helpers shared by the SNS tests: a local HTTP endpoint that records what SNS POSTs."""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


class Endpoint:
    """An HTTP server on 127.0.0.1 answering each POST with the next status in ``statuses`` (then 200)."""

    def __init__(self) -> None:
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
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
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


@pytest.fixture
def endpoint() -> Iterator[Endpoint]:
    server = Endpoint()
    yield server
    server.close()


def error_of(excinfo: pytest.ExceptionInfo) -> tuple[str, str, int]:
    response = excinfo.value.response
    return response["Error"]["Code"], response["Error"]["Message"], response["ResponseMetadata"]["HTTPStatusCode"]
