"""The ``aws-chunked`` content encoding: streamed uploads with chunk signatures or trailing checksums.

A body sent with ``x-amz-content-sha256: STREAMING-...`` is a series of chunks::

    <hex size>[;chunk-signature=<sig>]\\r\\n<data>\\r\\n ... 0[;chunk-signature=<sig>]\\r\\n
    [<trailer name>:<value>\\r\\n ...][x-amz-trailer-signature:<sig>\\r\\n]\\r\\n

Signed chunks chain from the request's (seed) signature: each chunk's string
to sign holds the previous signature and the SHA-256 of its data, so a
verifier can check each chunk as it passes without holding the body.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import AsyncIterable, AsyncIterator
from typing import Any

from cloudlet.protocol.errors import ServiceError

EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
SIGNED_STREAMING = ("STREAMING-AWS4-HMAC-SHA256-PAYLOAD", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER")
STREAMING_MODES = (
    "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
    "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
    "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
    "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD",
    "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER",
)
_MAX_LINE = 4096


def signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    key = hmac.new(("AWS4" + secret).encode(), date[:8].encode(), hashlib.sha256).digest()
    for part in (region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


class ChunkSigner:
    """The chain of chunk signatures that follows a seed signature."""

    def __init__(self, key: bytes, timestamp: str, scope: str, seed: str) -> None:
        self.key = key
        self.timestamp = timestamp
        self.scope = scope
        self.previous = seed

    def _sign(self, kind: str, digest: str, extra: str = "") -> str:
        parts = [kind, self.timestamp, self.scope, self.previous]
        if extra:
            parts.append(extra)
        parts.append(digest)
        return hmac.new(self.key, "\n".join(parts).encode(), hashlib.sha256).hexdigest()

    def chunk(self, data_sha256: str) -> str:
        """The signature the next chunk must carry; advances the chain."""
        self.previous = self._sign("AWS4-HMAC-SHA256-PAYLOAD", data_sha256, EMPTY_SHA256)
        return self.previous

    def trailer(self, canonical_trailers: str) -> str:
        self.previous = self._sign("AWS4-HMAC-SHA256-TRAILER", hashlib.sha256(canonical_trailers.encode()).hexdigest())
        return self.previous


def _chunk_signature_mismatch() -> ServiceError:
    return ServiceError(
        "SignatureDoesNotMatch",
        "The request signature we calculated does not match the signature you provided. "
        "Check your key and signing method.",
        403,
    )


def _malformed() -> ServiceError:
    return ServiceError("IncompleteBody", "The request body terminated unexpectedly", 400)


class Decoder:
    """An incremental aws-chunked decoder: ``feed`` it the raw bytes as they arrive, take the data back.

    Synchronous, so one loop can read, decode and hash a body without a generator per layer
    (most of the cost of a small upload was that machinery, not the decoding).  Data decoded
    before an error comes back first; the error is raised by the next call, as a streaming
    reader would have met it.
    """

    _HEADER, _DATA, _CRLF, _TRAILER, _DONE = range(5)

    def __init__(self, trailers: dict[str, str], signer: ChunkSigner | None = None) -> None:
        self.trailers = trailers
        self.signer = signer
        self._state = self._HEADER
        self._buf: bytes = b""
        self._remaining = 0
        self._signature: str | None = None
        self._hasher: Any = None
        self._canonical: list[str] = []
        self._trailer_signature: str | None = None
        self._error: ServiceError | None = None

    @property
    def done(self) -> bool:
        """The body's end (the last chunk, trailers and the closing empty line) has been read."""
        return self._state == self._DONE

    def feed(self, data: bytes) -> list[bytes]:
        """The data of the chunks ``data`` completes or continues (memoryviews of it, no copies)."""
        if self._error is not None:
            raise self._error
        self._buf = self._buf + data if self._buf else data
        out: list[Any] = []
        try:
            self._run(out)
        except ServiceError as error:
            if not out:
                raise
            self._error = error
        return out

    def end(self) -> None:
        """The raw body ended: complete the trailers, or refuse a body cut short."""
        if self._error is not None:
            raise self._error
        if self._state == self._TRAILER:
            if self._buf:  # some clients stop without the empty line
                line, self._buf = self._buf, b""
                self._trailer(line)
            self._finish()
        elif self._state != self._DONE:
            raise _malformed()

    def _run(self, out: list) -> None:
        while True:
            state = self._state
            buf = self._buf
            if state == self._DATA:
                if not buf:
                    return
                take = self._remaining
                if len(buf) <= take:
                    piece: Any = buf
                    self._buf = b""
                    take = len(buf)
                else:
                    piece = memoryview(buf)[:take]
                    self._buf = buf[take:]
                self._remaining -= take
                if self._hasher is not None:
                    self._hasher.update(piece)
                out.append(piece)
                if not self._remaining:
                    self._check_chunk()
                    self._state = self._CRLF
            elif state == self._HEADER:
                end = buf.find(b"\r\n")
                if end < 0:
                    if len(buf) > _MAX_LINE:
                        raise _malformed()
                    return
                self._header(buf[:end])
                self._buf = buf[end + 2 :]
            elif state == self._CRLF:
                if len(buf) < 2:
                    return
                if buf[:2] != b"\r\n":
                    raise _malformed()
                self._buf = buf[2:]
                self._state = self._HEADER
            elif state == self._TRAILER:
                end = buf.find(b"\r\n")
                if end < 0:
                    if len(buf) > _MAX_LINE:
                        raise _malformed()
                    return
                self._buf = buf[end + 2 :]
                if not self._trailer(buf[:end]):
                    self._finish()
                    return
            else:
                return

    def _header(self, header: bytes) -> None:
        size_text, _, extension = header.partition(b";")
        size_text = size_text.strip()
        if not size_text or len(size_text) > 16 or any(c not in b"0123456789abcdefABCDEF" for c in size_text):
            raise _malformed()
        size = int(size_text, 16)
        signature = None
        if extension:
            name, _, value = extension.partition(b"=")
            if name.strip() == b"chunk-signature":
                signature = value.strip().decode("latin-1")
        if self.signer is not None and signature is None:
            raise _chunk_signature_mismatch()
        self._signature = signature
        self._hasher = hashlib.sha256() if self.signer is not None else None
        self._remaining = size
        if size:
            self._state = self._DATA
        else:
            self._check_chunk()
            self._state = self._TRAILER

    def _check_chunk(self) -> None:
        signer = self.signer
        if signer is not None and not hmac.compare_digest(
            signer.chunk(self._hasher.hexdigest() if self._hasher is not None else EMPTY_SHA256),
            self._signature or "",
        ):
            raise _chunk_signature_mismatch()

    def _trailer(self, text: bytes) -> bool:
        """Take one trailer line; False for the empty line that ends the body."""
        if not text:
            return False
        name, sep, value = text.partition(b":")
        if not sep:
            raise _malformed()
        key = name.strip().lower().decode("latin-1")
        decoded = value.strip().decode("latin-1")
        if key == "x-amz-trailer-signature":
            self._trailer_signature = decoded
            return True
        self.trailers[key] = decoded
        self._canonical.append(f"{key}:{decoded}\n")
        return True

    def _finish(self) -> None:
        self._state = self._DONE
        signer = self.signer
        if signer is not None and self.trailers and (
            self._trailer_signature is None
            or not hmac.compare_digest(signer.trailer("".join(self._canonical)), self._trailer_signature)
        ):
            raise _chunk_signature_mismatch()


async def decode(
    source: AsyncIterable[bytes], trailers: dict[str, str], signer: ChunkSigner | None = None
) -> AsyncIterator[bytes]:
    """The decoded data of an aws-chunked body, chunk by chunk; trailers land in ``trailers``."""
    decoder = Decoder(trailers, signer)
    chunks = source.__aiter__()
    while not decoder.done:
        try:
            data = await chunks.__anext__()
        except StopAsyncIteration:
            decoder.end()
            return
        for piece in decoder.feed(data):
            yield bytes(piece)
