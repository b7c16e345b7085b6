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


async def decode(
    source: AsyncIterable[bytes], trailers: dict[str, str], signer: ChunkSigner | None = None
) -> AsyncIterator[bytes]:
    """The decoded data of an aws-chunked body, chunk by chunk; trailers land in ``trailers``."""
    chunks = source.__aiter__()
    buf = b""

    async def fill(buffer: bytes) -> bytes:
        try:
            data = await chunks.__anext__()
        except StopAsyncIteration:
            raise _malformed()
        return buffer + data if buffer else data

    async def line(buffer: bytes, allow_end: bool = False) -> tuple[bytes | None, bytes]:
        while True:
            end = buffer.find(b"\r\n")
            if end >= 0:
                return buffer[:end], buffer[end + 2 :]
            if len(buffer) > _MAX_LINE:
                raise _malformed()
            if allow_end:
                try:
                    data = await chunks.__anext__()
                except StopAsyncIteration:
                    return (buffer if buffer else None), b""
                buffer += data
            else:
                buffer = await fill(buffer)

    while True:
        header, buf = await line(buf)
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
        if signer is not None and signature is None:
            raise _chunk_signature_mismatch()
        hasher = hashlib.sha256() if signer is not None else None
        remaining = size
        while remaining:
            if not buf:
                buf = await fill(buf)
            if len(buf) <= remaining:
                piece, buf = buf, b""
            else:
                piece, buf = buf[:remaining], buf[remaining:]
            remaining -= len(piece)
            if hasher is not None:
                hasher.update(piece)
            yield piece
        if signer is not None and not hmac.compare_digest(
            signer.chunk(hasher.hexdigest() if hasher is not None else EMPTY_SHA256), signature or ""
        ):
            raise _chunk_signature_mismatch()
        if size == 0:
            break
        while len(buf) < 2:
            buf = await fill(buf)
        if buf[:2] != b"\r\n":
            raise _malformed()
        buf = buf[2:]

    # trailers, then the empty line that ends the body (some clients stop without it)
    canonical = []
    trailer_signature = None
    while True:
        text, buf = await line(buf, allow_end=True)
        if not text:
            break
        name, sep, value = text.partition(b":")
        if not sep:
            raise _malformed()
        key = name.strip().lower().decode("latin-1")
        decoded = value.strip().decode("latin-1")
        if key == "x-amz-trailer-signature":
            trailer_signature = decoded
            continue
        trailers[key] = decoded
        canonical.append(f"{key}:{decoded}\n")
    if signer is not None and trailers and (
        trailer_signature is None or not hmac.compare_digest(signer.trailer("".join(canonical)), trailer_signature)
    ):
        raise _chunk_signature_mismatch()
