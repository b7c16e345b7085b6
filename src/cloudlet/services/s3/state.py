"""S3's declared state.

Bucket names are global (one namespace for every account and region), so every
table is keyed by bucket name and lives in the global scope; a bucket's record
says which account and region own it.

Key layout (keys are ordered, so listings are index walks):

- ``buckets``   ``name`` -> bucket record
- ``configs``   ``name/kind`` -> one bucket configuration (cors, policy, lifecycle...)
- ``objects``   ``bucket/key`` -> the current version of a key, when it is not a delete marker
  (what ListObjects walks)
- ``versions``  ``bucket/key\\0<sort>`` -> every version, newest first for a key
  (``sort`` is the inverted write sequence in hex, so newer sorts first)
- ``uploads``   ``bucket/key\\0<upload id>`` -> a multipart upload in progress
- ``parts``     ``<upload id>/<part number, 5 digits>`` -> an uploaded part
- ``garbage``   ``blob id`` -> blobs no committed record points to any more, deleted after
  the commit that dropped them (a rolled-back transaction drops nothing)
- ``counters``  ``sequence`` -> the last write sequence (version order, event sequencers)
- ``inline``    ``i<hex>`` -> the bytes of a small body (up to 128 KiB, a BLOB: ``put_bytes``), kept in the database
  rather than in a file: one row in the commit costs far less than creating a file

Bucket names cannot contain ``/`` nor keys ``\\0``, so these separators cannot collide.
"""

from __future__ import annotations

from typing import Any

from cloudlet.store.scope import Scope, State, Table, TableView
from cloudlet.store.sqlite import Database, Key

MAX_SEQUENCE = (1 << 64) - 1


class S3State(State):
    service = "s3"
    buckets = Table(Scope.GLOBAL)
    configs = Table(Scope.GLOBAL)
    objects = Table(Scope.GLOBAL)
    versions = Table(Scope.GLOBAL)
    uploads = Table(Scope.GLOBAL)
    parts = Table(Scope.GLOBAL)
    garbage = Table(Scope.GLOBAL)
    counters = Table(Scope.GLOBAL)
    inline = Table(Scope.GLOBAL)

    def __init__(self, db: Database, account: str = "", region: str = "") -> None:
        super().__init__(db, account, region)
        # every table is global: its views never change, so each is made once (a request touches
        # several tables several times; the instance attribute shadows the Table descriptor)
        for name, table in self.tables().items():
            self.__dict__[name] = table.__get__(self, type(self))
        self.__dict__["buckets"] = CountedView(db, self.buckets.scope)


class CountedView(TableView):
    """A table view that counts the writes made through it, so a reader may keep what it read until
    the next one (bucket records: read by every object request, written by a few bucket operations)."""

    __slots__ = ("writes",)

    def __init__(self, db: Database, scope: tuple[str, str, str, str]) -> None:
        super().__init__(db, scope)
        self.writes = 0

    def put(self, key: Key, value: Any) -> None:
        self.writes += 1
        super().put(key, value)

    def delete(self, key: Key) -> bool:
        self.writes += 1
        return super().delete(key)

    def put_many(self, items: list[tuple[Key, Any]]) -> None:
        self.writes += 1
        super().put_many(items)

    def delete_many(self, keys: list[Key]) -> int:
        self.writes += 1
        return super().delete_many(keys)

    def delete_range(self, start: Key | None = None, end: Key | None = None, *, prefix: str | None = None) -> int:
        self.writes += 1
        return super().delete_range(start, end, prefix=prefix)

    def take_range(
        self, start: Key | None = None, end: Key | None = None, *, prefix: str | None = None
    ) -> list[tuple[Key, Any]]:
        self.writes += 1
        return super().take_range(start, end, prefix=prefix)

    def increment(self, key: Key) -> int:
        self.writes += 1
        return super().increment(key)

    def put_bytes(self, key: Key, data: bytes) -> None:
        self.writes += 1
        super().put_bytes(key, data)


def object_key(bucket: str, key: str) -> str:
    return f"{bucket}/{key}"


def version_prefix(bucket: str, key: str) -> str:
    return f"{bucket}/{key}\0"


def sort_of(sequence: int) -> str:
    """Newer versions sort first: the inverted sequence, fixed width."""
    return f"{MAX_SEQUENCE - sequence:016x}"


def version_key(bucket: str, key: str, sequence: int) -> str:
    return f"{bucket}/{key}\0{sort_of(sequence)}"


def upload_key(bucket: str, key: str, upload_id: str) -> str:
    return f"{bucket}/{key}\0{upload_id}"


def part_key(upload_id: str, number: int) -> str:
    return f"{upload_id}/{number:05d}"


def config_key(bucket: str, kind: str) -> str:
    return f"{bucket}/{kind}"
