"""The request and response the gateway, protocols and services pass around."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs, unquote, unquote_to_bytes

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


class MalformedForm(ValueError):
    """A form that cannot be read: a broken percent-escape or bytes that are not UTF-8."""


_BAD_ESCAPE = re.compile(rb"%(?![0-9A-Fa-f]{2})")


def parse_form(data: bytes, where: str) -> dict[str, list[str]]:
    """``a=1&b=x%20y&a=2`` -> ``{"a": ["1", "2"], "b": ["x y"]}``, decoding each part once."""
    if b"%" in data and _BAD_ESCAPE.search(data):
        raise MalformedForm(f"The {where} contains a malformed percent-encoding.")
    form: dict[str, list[str]] = {}
    for pair in data.split(b"&"):
        if pair:
            key, _, value = pair.partition(b"=")
            form.setdefault(_form_text(key, where), []).append(_form_text(value, where))
    return form


def _form_text(raw: bytes, where: str) -> str:
    if b"+" in raw:
        raw = raw.replace(b"+", b" ")
    if b"%" in raw:
        raw = unquote_to_bytes(raw)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedForm(f"The {where} is not valid UTF-8.")


def _joined_headers(raw_headers: list) -> dict[str, str]:
    headers: dict[str, str] = {}
    for name, value in raw_headers:
        key = name.decode("latin-1")
        text = value.decode("latin-1")
        headers[key] = f"{headers[key]},{text}" if key in headers else text
    return headers


class _cached:  # noqa: N801 (used as a decorator, like the functools original)
    """``functools.cached_property`` without the lock Python 3.11's takes on every first access:
    a request is only ever read by one task.  Stored in the instance's ``__dict__`` like the
    original, so it is read from there afterwards and ``__dict__.pop`` forgets it."""

    def __init__(self, func: Callable) -> None:
        self.func = func
        self.name = func.__name__
        self.__doc__ = func.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, instance: object, owner: type | None = None) -> Any:
        if instance is None:
            return self
        value = instance.__dict__[self.name] = self.func(instance)
        return value


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
        self.signed_path = raw_path  # the path as the client signed it (routing may rewrite raw_path)
        self.query_string = query_string
        self.headers = headers
        self.body = body
        self.stream = stream
        self.client = client

    @classmethod
    def from_asgi(cls, scope: dict, receive: Receive) -> Request:
        raw_headers = scope["headers"]
        # ASGI header names are already lower-case
        headers = {name.decode("latin-1"): value.decode("latin-1") for name, value in raw_headers}
        if len(headers) != len(raw_headers):  # a repeated header: its values joined, as HTTP allows
            headers = _joined_headers(raw_headers)
        raw_path = scope.get("raw_path")
        path = raw_path.decode("latin-1") if raw_path else scope["path"]
        if "?" in path:
            path = path.split("?", 1)[0]
        length = headers.get("content-length")
        declared = int(length) if length and length.isascii() and length.isdigit() else None
        client = scope.get("client")
        request = cls.__new__(cls)  # __init__'s keyword handling skipped: this runs on every request
        request.method = scope["method"]
        request.raw_path = request.signed_path = path
        query = scope.get("query_string")
        request.query_string = query.decode("latin-1") if query else ""
        request.headers = headers
        request.body = b""
        request.stream = BodyStream(receive, declared)
        request.client = (client[0] or "") if client else ""
        return request

    @_cached
    def path(self) -> str:
        return unquote(self.raw_path)

    @_cached
    def query(self) -> dict[str, list[str]]:
        return parse_qs(self.query_string, keep_blank_values=True)

    def query_value(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None

    @_cached
    def host(self) -> str:
        return self.headers.get("host", "").lower()

    @_cached
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";", 1)[0].strip().lower()

    @_cached
    def form(self) -> dict[str, list[str]]:
        """The query string and a url-encoded body (query protocol), the body's keys winning.

        Strict, unlike ``query``: a bad escape or bad UTF-8 raises ``MalformedForm``.
        """
        try:
            raw = self.query_string.encode("latin-1")  # the bytes the client sent
        except UnicodeEncodeError:  # text built in-process
            raw = self.query_string.encode("utf-8")
        merged = parse_form(raw, "query string") if raw else {}
        if self.body and self.content_type == "application/x-www-form-urlencoded":
            merged.update(parse_form(self.body, "request body"))
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
