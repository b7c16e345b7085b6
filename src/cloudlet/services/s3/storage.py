"""Object bodies: streamed in (decoded, hashed and verified on the way), streamed out, deleted safely.

A body is written to a blob (a file named by an id Cloudlet generates; no
bucket or key ever reaches the filesystem) while it arrives, and becomes an
object only when the blob is complete and the record pointing to it commits:
a crash mid-upload leaves the previous version intact.

Blobs that a committed change stops pointing to go to the ``garbage`` table in
the same transaction and are deleted after the commit, unless a GET is still
streaming them (a pin); the last reader deletes them.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import json
import logging
import os
import re
import uuid
from collections import Counter
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cloudlet.protocol.errors import ServiceError
from cloudlet.services.s3 import chunked, errors
from cloudlet.services.s3.checksums import ALGORITHMS, digest_size, new_hasher
from cloudlet.services.s3.state import S3State
from cloudlet.store.blobs import BlobInfo

if TYPE_CHECKING:
    from cloudlet.context import RequestContext
    from cloudlet.runtime import Runtime

log = logging.getLogger(__name__)

READ_CHUNK = 1 << 20
INLINE_LIMIT = 128 * 1024  # bodies up to this size live in the database (see state.py)
MAX_SINGLE_UPLOAD = 5 * 1024**3
_HEX64 = re.compile(r"^[0-9a-fA-F]{64}$")
CHECKSUM_MEMBERS = {alg: "Checksum" + alg for alg in ALGORITHMS}


@dataclass
class Ingested:
    blob: str
    size: int
    md5: str  # hex
    checksums: dict[str, str] = field(default_factory=dict)  # algorithm -> base64 value (verified)
    data: bytes | None = None  # the body itself when it is small enough to live in the database


def is_inline(blob: str) -> bool:
    return blob.startswith("i")


def _b64(digest: bytes) -> str:
    return base64.b64encode(digest).decode()


def _valid_b64(value: str, size: int) -> bool:
    try:
        return len(base64.b64decode(value, validate=True)) == size
    except (binascii.Error, ValueError):
        return False


def _wants(params: dict, headers: dict[str, str], trailer: str | None) -> tuple[dict[str, str | None], str | None]:
    """(algorithm -> expected value or None when only asked to compute, algorithm sent in a trailer)."""
    expected: dict[str, str | None] = {}
    for algorithm, member in CHECKSUM_MEMBERS.items():
        value = params.get(member)
        if value is not None:
            if not _valid_b64(value, digest_size(algorithm)):
                raise errors.invalid_request(f"Value for x-amz-checksum-{algorithm.lower()} header is invalid.")
            expected[algorithm] = value
    if len(expected) > 1:
        raise errors.invalid_request("Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.")
    trailed = None
    if trailer:
        name = trailer.strip().lower()
        if not name.startswith("x-amz-checksum-") or name[15:].upper() not in ALGORITHMS:
            raise errors.invalid_request("The value specified in the x-amz-trailer header is not supported")
        trailed = name[15:].upper()
        expected.setdefault(trailed, None)
    asked = params.get("ChecksumAlgorithm")
    if asked:
        asked = asked.upper()
        if asked not in ALGORITHMS:
            raise errors.invalid_request("Checksum algorithm provided is unsupported. Please try again with any of the "
                                         "valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]")
        if expected and asked not in expected:
            raise errors.invalid_request(
                "Value for x-amz-sdk-checksum-algorithm header is invalid."
            )
        expected.setdefault(asked, None)
    return expected, trailed


def _signer(runtime: Runtime, ctx: RequestContext) -> chunked.ChunkSigner | None:
    """A chunk verifier when signatures are checked (strict mode) and the key's secret is known."""
    if not runtime.config.strict_signatures or ctx.request is None:
        return None
    from cloudlet.gateway.auth import read_signature

    signature = read_signature(ctx.request)
    if signature is None or signature.version != 4 or signature.presigned:
        return None
    known = runtime.credentials.lookup(signature.access_key)
    if known is None:
        return None
    key = chunked.signing_key(known.secret_key, signature.date, signature.region, signature.service)
    return chunked.ChunkSigner(key, signature.date, signature.scope, signature.signature)


def declared_length(ctx: RequestContext) -> int | None:
    """The object size the request announces (decoded length for aws-chunked bodies)."""
    if ctx.request is None:
        return None
    headers = ctx.request.headers
    text = headers.get("x-amz-decoded-content-length")
    if text is None and not headers.get("x-amz-content-sha256", "").startswith("STREAMING-"):
        text = headers.get("content-length")
    if text is None or not text.isascii() or not text.isdigit():
        return None
    return int(text)


async def ingest(runtime: Runtime, ctx: RequestContext, params: dict, body: Any, size_hint: int | None = None) -> Ingested:
    """Store a request body (a blob file, or bytes for the database when small), verifying every digest
    the request carries.  Nothing is visible until the caller commits a record pointing to it."""
    headers = ctx.request.headers if ctx.request is not None else {}
    content_sha256 = headers.get("x-amz-content-sha256", "")
    expected, trailed = _wants(params, headers, headers.get("x-amz-trailer"))
    content_md5 = params.get("ContentMD5")
    if content_md5 is not None and not _valid_b64(content_md5, 16):
        raise errors.invalid_digest(content_md5)
    length = declared_length(ctx)
    length_hint = size_hint if length is None else length
    if length is not None and length > MAX_SINGLE_UPLOAD:
        raise ServiceError(
            "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size", 400,
            ProposedSize=str(length), MaxSizeAllowed=str(MAX_SINGLE_UPLOAD),
        )
    streaming = content_sha256.startswith("STREAMING-")
    if streaming and content_sha256 not in chunked.STREAMING_MODES:
        raise errors.invalid_argument(
            "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, "
            "STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, "
            "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD, STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER "
            "or a valid sha256 value.",
            "x-amz-content-sha256", content_sha256,
        )
    if content_sha256 and not streaming and content_sha256 != "UNSIGNED-PAYLOAD" and not _HEX64.match(content_sha256):
        raise errors.invalid_argument(
            "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, or a valid sha256 value.",
            "x-amz-content-sha256", content_sha256,
        )

    trailers: dict[str, str] = {}
    decoder = None
    if streaming:
        signer = _signer(runtime, ctx) if content_sha256 in chunked.SIGNED_STREAMING else None
        decoder = chunked.Decoder(trailers, signer)
    hashers = {algorithm: new_hasher(algorithm) for algorithm in expected}
    payload_hasher = hashlib.sha256() if _HEX64.match(content_sha256 or "") else None
    taps = list(hashers.values())
    if payload_hasher is not None:
        taps.append(payload_hasher)
    data = None
    if length_hint is not None and length_hint <= INLINE_LIMIT:
        if decoder is None and hasattr(body, "read_chunk"):  # a plain request body: no layers to stack
            data = await _collect_stream(body, length_hint)
            for tap in taps:
                tap.update(data)
        else:
            data = await _collect(_pieces(_raw_reader(body), decoder, taps), length_hint)
        info = BlobInfo("i" + uuid.uuid4().hex, len(data), hashlib.md5(data).hexdigest())
    else:  # the blob store hashes as it writes, off the event loop
        info = await runtime.blobs.write(_pieces(_raw_reader(body), decoder, []), taps)
    try:
        if length is not None and info.size != length and (streaming or ctx.request is not None):
            raise errors.incomplete_body()
        if payload_hasher is not None:
            computed = payload_hasher.hexdigest()
            if computed != content_sha256.lower():
                raise errors.sha256_mismatch(content_sha256, computed)
        if content_md5 is not None:
            calculated = _b64(bytes.fromhex(info.md5))
            if calculated != content_md5:
                raise errors.bad_digest_md5(content_md5, calculated)
        values: dict[str, str] = {}
        for algorithm, hasher in hashers.items():
            value = _b64(hasher.digest())  # type: ignore[attr-defined]
            wanted = expected[algorithm]
            if algorithm == trailed:
                wanted = trailers.get(f"x-amz-checksum-{algorithm.lower()}")
                if wanted is None or not _valid_b64(wanted, digest_size(algorithm)):
                    raise errors.invalid_request(f"Value for x-amz-checksum-{algorithm.lower()} trailing header is invalid.")
            if wanted is not None and wanted != value:
                raise errors.bad_checksum(algorithm)
            values[algorithm] = value
    except BaseException:
        if data is None:
            runtime.blobs.delete(info.id)
        raise
    return Ingested(info.id, info.size, info.md5, values, data)


async def _collect(stream: AsyncIterable[Any], limit: int) -> bytes:
    """A small body in memory; more than announced is an error, never a bigger buffer."""
    parts = []
    size = 0
    async for chunk in stream:
        parts.append(chunk)
        size += len(chunk)
        if size > limit:
            raise errors.incomplete_body()
    return parts[0] if len(parts) == 1 and isinstance(parts[0], bytes) else b"".join(parts)


async def _collect_stream(stream: Any, limit: int) -> bytes:
    """``_collect`` of a request's BodyStream as it is (most small bodies arrive in one message)."""
    parts = []
    size = 0
    while chunk := await stream.read_chunk():
        parts.append(chunk)
        size += len(chunk)
        if size > limit:
            raise errors.incomplete_body()
    return parts[0] if len(parts) == 1 else b"".join(parts)


def _raw_reader(body: Any) -> Callable[[], Awaitable[bytes]]:
    """The next raw chunk of a body (b"" at its end): request streams, readers of stored bodies,
    bytes from a service calling in-process, or any iterable of bytes."""
    if body is None:
        body = b""
    if isinstance(body, bytes | bytearray | memoryview):
        items = iter([bytes(body)])
    elif hasattr(body, "read_chunk"):  # the request's BodyStream: b"" only at the end
        return body.read_chunk
    elif hasattr(body, "next_chunk"):  # a BodyReader: b"" only at the end
        reader = body

        async def next_stored() -> bytes:
            return reader.next_chunk()

        return next_stored
    elif hasattr(body, "__aiter__"):
        chunks = body.__aiter__()

        async def next_async() -> bytes:
            while True:
                try:
                    chunk = await chunks.__anext__()
                except StopAsyncIteration:
                    return b""
                if chunk:
                    return chunk

        return next_async
    else:
        items = iter(body)

    async def next_item() -> bytes:
        for chunk in items:
            if chunk:
                return chunk
        return b""

    return next_item


async def _pieces(read: Callable[[], Awaitable[bytes]], decoder: chunked.Decoder | None, hashers: list
                  ) -> AsyncIterator[Any]:
    """A body's data as it arrives, decoded from aws-chunked when ``decoder`` is set, fed to every hasher.

    One loop rather than a generator per layer (read, decode, hash): a small upload spent more in
    that machinery than in the work itself."""
    updates = [h.update for h in hashers]
    while decoder is None or not decoder.done:
        raw = await read()
        if not raw:
            if decoder is not None:
                decoder.end()
            return
        for piece in decoder.feed(raw) if decoder is not None else (raw,):
            for update in updates:
                update(piece)
            yield piece


# --- reading ----------------------------------------------------------------------------


class BodyReader:
    """Bytes [start, end) of an object made of blob segments, a chunk at a time.

    Pins its blobs while it lives, so an overwrite or delete committed meanwhile
    does not pull the file from under it.
    """

    def __init__(self, bodies: Bodies, segments: list[list], start: int, end: int) -> None:
        self._bodies = bodies
        self._segments = segments
        self._pos = start
        self._end = end
        self._file: Any = None
        self._index = 0
        self._offset = start
        while self._index < len(segments) and self._offset >= segments[self._index][1]:
            self._offset -= segments[self._index][1]
            self._index += 1
        # small bodies live in the database: read now, while the record that names them is current
        self._inline = {s[0]: bodies.read_inline(s[0]) for s in segments if is_inline(s[0])}
        self._pinned = True
        bodies.pin([s[0] for s in segments if not is_inline(s[0])])

    def __aiter__(self) -> BodyReader:
        return self

    async def __anext__(self) -> bytes:
        data = self.next_chunk()
        if not data:
            raise StopAsyncIteration
        return data

    def next_chunk(self) -> bytes:
        """The next chunk, read now; b"" at the end (the reader is then closed)."""
        while self._pos < self._end and self._index < len(self._segments):
            blob, size = self._segments[self._index]
            if blob in self._inline:
                want = min(self._end - self._pos, size - self._offset)
                data = self._inline[blob][self._offset:self._offset + want]
                self._index += 1
                self._offset = 0
                if not data:
                    continue
                self._pos += len(data)
                return data
            if self._file is None:
                self._file = open(self._bodies.runtime.blobs.path(blob), "rb")  # noqa: SIM115
                if self._offset:
                    self._file.seek(self._offset)
            want = min(READ_CHUNK, self._end - self._pos, size - self._offset)
            data = self._file.read(want) if want > 0 else b""
            if not data:
                self._file.close()
                self._file = None
                self._index += 1
                self._offset = 0
                continue
            self._pos += len(data)
            self._offset += len(data)
            return data
        self.close()
        return b""

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        if self._pinned:
            self._pinned = False
            self._bodies.unpin([s[0] for s in self._segments if not is_inline(s[0])])

    def __del__(self) -> None:
        self.close()


async def read_all(reader: BodyReader) -> bytes:
    return b"".join([chunk async for chunk in reader])


class Bodies:
    """Pins, the garbage table and the write sequence, for one provider."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self._pins: Counter[str] = Counter()
        self._drain_scheduled = False
        self._state = S3State(runtime.db)  # one for the process: runtime.db never changes
        self._sequence: int | None = None  # the last write sequence handed out (read on first use)

    def state(self) -> S3State:
        return self._state

    def claim_sequence(self) -> int:
        """The next write sequence, counted in memory (one process owns the database); the caller's
        transaction stores it (``sequence_row``), so a committed sequence is never handed out again."""
        if self._sequence is None:
            self._sequence = int(self.state().counters.get("sequence") or 0)
        self._sequence += 1
        return self._sequence

    def sequence_row(self, sequence: int) -> tuple:
        """The row that records ``sequence`` as the last one handed out (for ``Database.put_rows``)."""
        return self.state().counters.scope, "sequence", sequence

    def next_sequence(self) -> int:
        """The next write sequence, stored in the current transaction."""
        sequence = self.claim_sequence()
        self.state().counters.put("sequence", sequence)
        return sequence

    def forget(self) -> None:
        """After a reset: the sequence starts again from what the database holds."""
        self._sequence = None

    def pin(self, blobs: list[str]) -> None:
        self._pins.update(blobs)

    def unpin(self, blobs: list[str]) -> None:
        self._pins.subtract(blobs)
        released = False
        for blob in blobs:
            if self._pins[blob] <= 0:
                del self._pins[blob]
                released = True
        if released:
            self.schedule_drain()

    def discard(self, blobs: Iterable[str]) -> None:
        """Blobs to delete once the current transaction commits (nothing, if it rolls back)."""
        state = self.state()
        any_ = False
        for blob in blobs:
            if not blob:
                continue
            if is_inline(blob):
                state.inline.delete(blob)  # a row: gone with the commit, back with a rollback
            else:
                state.garbage.put(blob, 1)
                any_ = True
        if any_:
            self.schedule_drain()

    def keep(self, ingested: Ingested) -> None:
        """Store a small body's bytes (call in the transaction that commits the record naming it)."""
        if ingested.data is not None:
            self.state().inline.put_bytes(ingested.blob, ingested.data)

    def keep_rows(self, ingested: Ingested) -> list[tuple]:
        """``keep`` as rows for ``Database.put_rows``: written with the record, in the same statement."""
        if ingested.data is None:
            return []
        return [(self.state().inline.scope, ingested.blob, ingested.data)]

    def release(self, blob: str) -> None:
        """Forget a body no committed record names (a failed write)."""
        if not is_inline(blob):
            self.runtime.blobs.delete(blob)

    def read_inline(self, blob: str) -> bytes:
        value = self.state().inline.get_raw(blob)
        if isinstance(value, str):  # written before bodies were stored as bytes: a JSON base64 string
            return base64.b64decode(json.loads(value))
        return value or b""

    def schedule_drain(self) -> None:
        if self._drain_scheduled:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.drain()
            return
        self._drain_scheduled = True
        loop.call_soon(self._drain_soon)

    def _drain_soon(self) -> None:
        self._drain_scheduled = False
        self.drain()

    def drain(self) -> None:
        """Delete the committed garbage that no reader holds."""
        db = self.runtime.db
        with db.transaction():
            garbage = self.state().garbage
            for blob, _ in list(garbage.items()):
                if self._pins.get(blob):
                    continue
                try:
                    self.runtime.blobs.delete(blob)
                except (ValueError, OSError):
                    log.warning("could not delete blob %s", blob)
                garbage.delete(blob)

    def blob_exists(self, blob: str) -> bool:
        return os.path.exists(self.runtime.blobs.path(blob))
