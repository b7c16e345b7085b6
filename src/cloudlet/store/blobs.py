"""Large values (object bodies, function code) as files beside the database.

Blob ids are generated here, never taken from a client, so no client-supplied
name can reach outside the data directory.  A blob is written to a temporary
file, flushed to disk and renamed into place: a reader never sees half a blob,
and a blob that a committed record points to is complete.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import hashlib
import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterable, AsyncIterator, Iterable
from dataclasses import dataclass
from typing import Any

CHUNK = 1 << 20
TEMPORARY_PREFIX = "cloudlet-blobs-"
BATCH = 1 << 20  # bytes handed to the worker thread at a time while writing

_workers: concurrent.futures.ThreadPoolExecutor | None = None


def _pool() -> concurrent.futures.ThreadPoolExecutor:
    """Threads that hash and write bodies (made on the first large body, not at start-up)."""
    global _workers
    if _workers is None:
        _workers = concurrent.futures.ThreadPoolExecutor(max_workers=4, thread_name_prefix="blobs")
    return _workers


@dataclass
class BlobInfo:
    id: str
    size: int
    md5: str


class BlobStore:
    def __init__(self, root: str | None) -> None:
        """``root`` is the blob directory, or None for a temporary one removed on close."""
        self._temporary = root is None
        if root is None:
            remove_orphans()
            root = tempfile.mkdtemp(prefix=f"{TEMPORARY_PREFIX}{os.getpid()}-")
        self.root = root
        os.makedirs(os.path.join(self.root, "tmp"), exist_ok=True)

    def path(self, blob_id: str) -> str:
        if not blob_id or not all(c in "0123456789abcdef" for c in blob_id):
            raise ValueError(f"not a blob id: {blob_id!r}")
        return os.path.join(self.root, blob_id[:2], blob_id)

    async def write(
        self, data: bytes | AsyncIterable[bytes] | Iterable[bytes], hashers: Iterable[Any] = ()
    ) -> BlobInfo:
        """Store a body as it streams in; returns its id, size and MD5.

        ``hashers`` (objects with ``update``) see the same bytes in the same pass.  Hashing and
        writing run on a worker thread, a batch at a time, while the event loop receives the next
        batch: MD5 alone costs more than everything else an upload does, and hashlib, zlib and
        file writes release the GIL.  One batch in flight per body keeps the order and bounds memory.
        """
        blob_id = uuid.uuid4().hex
        md5 = hashlib.md5()
        updates = [md5.update, *(h.update for h in hashers)]
        size = 0
        fd, tmp = tempfile.mkstemp(dir=os.path.join(self.root, "tmp"))
        pending: concurrent.futures.Future | None = None
        try:
            with os.fdopen(fd, "wb") as out:

                def consume(batch: list) -> None:
                    for piece in batch:
                        out.write(piece)
                        for update in updates:
                            update(piece)

                try:
                    if isinstance(data, bytes | bytearray):
                        chunks: Iterable[bytes] | AsyncIterable[bytes] = [bytes(data)]
                    else:
                        chunks = data
                    batch: list = []
                    batched = 0
                    if hasattr(chunks, "__aiter__"):
                        async for chunk in chunks:  # type: ignore[union-attr]
                            batch.append(chunk)
                            batched += len(chunk)
                            if batched >= BATCH:
                                size += batched
                                if pending is not None:
                                    await asyncio.wrap_future(pending)
                                pending = _pool().submit(consume, batch)
                                batch, batched = [], 0
                    else:
                        for chunk in chunks:  # type: ignore[union-attr]
                            batch.append(chunk)
                            batched += len(chunk)
                    if pending is not None:
                        await asyncio.wrap_future(pending)
                    consume(batch)
                    size += batched
                finally:
                    if pending is not None and not pending.done():
                        concurrent.futures.wait([pending])  # the file closes only when no thread writes
                out.flush()
                if not self._temporary:
                    os.fsync(out.fileno())
            final = self.path(blob_id)
            os.makedirs(os.path.dirname(final), exist_ok=True)
            os.replace(tmp, final)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
        return BlobInfo(blob_id, size, md5.hexdigest())

    async def read(self, blob_id: str, start: int = 0, end: int | None = None) -> AsyncIterator[bytes]:
        """The bytes [start, end) of a blob, a chunk at a time."""
        with open(self.path(blob_id), "rb") as f:
            f.seek(start)
            remaining = None if end is None else end - start
            while remaining is None or remaining > 0:
                chunk = f.read(CHUNK if remaining is None else min(CHUNK, remaining))
                if not chunk:
                    break
                if remaining is not None:
                    remaining -= len(chunk)
                yield chunk

    def size(self, blob_id: str) -> int:
        return os.path.getsize(self.path(blob_id))

    def delete(self, blob_id: str) -> None:
        try:
            os.unlink(self.path(blob_id))
        except FileNotFoundError:
            pass

    def clear(self) -> None:
        for entry in os.listdir(self.root):
            if entry != "tmp":
                shutil.rmtree(os.path.join(self.root, entry), ignore_errors=True)

    def close(self) -> None:
        if self._temporary:
            shutil.rmtree(self.root, ignore_errors=True)


def remove_orphans() -> None:
    """Delete the temporary blob directories of ephemeral servers that died without closing (kill -9)."""
    base = tempfile.gettempdir()
    for entry in os.listdir(base):
        if not entry.startswith(TEMPORARY_PREFIX):
            continue
        pid = entry[len(TEMPORARY_PREFIX):].partition("-")[0]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(os.path.join(base, entry), ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True
