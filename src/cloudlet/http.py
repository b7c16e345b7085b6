"""The request and response the gateway, protocols and services pass around."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from functools import cached_property
from urllib.parse import parse_qs, unquote

Receive = Callable[[], Awaitable[dict]]


class PayloadTooLarge(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(f"request body larger than {limit} bytes")
        self.limit = limit


class ClientDisconnected(ConnectionError):
    """The client went away before its request body was complete: no one is left to answer."""


class BodyStream:
    """A request body read from the ASGI channel as it arrives, never held whole."""

    def __init__(self, receive: Receive, length: int | None) -> None:
        self._receive = receive
        self.length = length
        self._done = False
        self._pending = b""

    async def read_chunk(self) -> bytes:
        if self._pending:
            chunk, self._pending = self._pending, b""
            return chunk
        while not self._done:
            message = await self._receive()
            if message["type"] == "http.disconnect":
                self._done = True
                raise ClientDisconnected("client disconnected")
            self._done = not message.get("more_body", False)
            chunk = message.get("body", b"")
            if chunk:
                return chunk
        return b""

    def unread(self, data: bytes) -> None:
        self._pending = data + self._pending

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while chunk := await self.read_chunk():
            yield chunk

    async def read(self, limit: int | None = None) -> bytes:
        if not self._pending and not self._done:
            # the common case: the whole body in the first message
            message = await self._receive()
            if message["type"] == "http.disconnect":
                self._done = True
                raise ClientDisconnected("client disconnected")
            body = message.get("body", b"")
            if limit is not None and len(body) > limit:
                raise PayloadTooLarge(limit)
            if not message.get("more_body", False):
                self._done = True
                return body
            self._pending = body
        parts = []
        size = 0
        async for chunk in self:
            size += len(chunk)
            if limit is not None and size > limit:
                raise PayloadTooLarge(limit)
            parts.append(chunk)
        return b"".join(parts)

    @property
    def exhausted(self) -> bool:
        return self._done and not self._pending


class Request:
    """An HTTP request as the gateway sees it.  Header names are lower-case."""

    def __init__(
        self,
        method: str,
        raw_path: str,
        query_string: str,
        headers: dict[str, str],
        body: bytes = b"",
        stream: BodyStream | None = None,
        client: str = "",
    ) -> None:
        self.method = method
        self.raw_path = raw_path  # still percent-encoded: labels are split before decoding
        self.query_string = query_string
        self.headers = headers
        self.body = body
        self.stream = stream
        self.client = client

    @classmethod
    def from_asgi(cls, scope: dict, receive: Receive) -> Request:
        headers: dict[str, str] = {}
        for name, value in scope["headers"]:  # ASGI header names are already lower-case
            key = name.decode("latin-1")
            text = value.decode("latin-1")
            headers[key] = f"{headers[key]},{text}" if key in headers else text
        raw_path = scope.get("raw_path")
        path = raw_path.decode("latin-1") if raw_path else scope["path"]
        length = headers.get("content-length")
        declared = int(length) if length and length.isascii() and length.isdigit() else None
        stream = BodyStream(receive, declared)
        client = scope.get("client") or ("", 0)
        return cls(
            scope["method"], path.split("?", 1)[0], scope.get("query_string", b"").decode("latin-1"),
            headers, stream=stream, client=client[0] or "",
        )

    @cached_property
    def path(self) -> str:
        return unquote(self.raw_path)

    @cached_property
    def query(self) -> dict[str, list[str]]:
        return parse_qs(self.query_string, keep_blank_values=True)

    def query_value(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None

    @cached_property
    def host(self) -> str:
        return self.headers.get("host", "").lower()

    @cached_property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";", 1)[0].strip().lower()

    @cached_property
    def form(self) -> dict[str, list[str]]:
        """The url-encoded form body (query protocol), merged after the query string."""
        merged = dict(self.query)
        if self.body and self.content_type == "application/x-www-form-urlencoded":
            text = self.body.decode("utf-8", errors="replace")
            for key, values in parse_qs(text, keep_blank_values=True).items():
                merged[key] = values
        return merged


class Response:
    """What goes back: a status, headers and a body of bytes or an async stream."""

    __slots__ = ("status", "headers", "body")

    def __init__(
        self,
        status: int = 200,
        headers: list[tuple[str, str]] | None = None,
        body: bytes | AsyncIterator[bytes] = b"",
    ) -> None:
        self.status = status
        self.headers = headers if headers is not None else []
        self.body = body

    def header(self, name: str) -> str | None:
        name = name.lower()
        for key, value in self.headers:
            if key.lower() == name:
                return value
        return None
