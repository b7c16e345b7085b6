"""Items in the ordered store, with their index entries, expiry entries and stream records.

Every write goes through :func:`Storage.write`, inside the request's transaction, so
an item, its secondary index entries, its TTL entry and its stream record commit
together or not at all.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from cloudlet.protocol.tree import WireMap
from cloudlet.services.dynamodb.schema import IndexSchema, TableSchema
from cloudlet.services.dynamodb.values import equal, item_from_stored, item_size, item_to_stored

if TYPE_CHECKING:
    from cloudlet.services.dynamodb.provider import DynamoDBProvider
    from cloudlet.services.dynamodb.state import DynamoDBState

# TTL: items whose expiry is more than five years in the past are ignored, as in DynamoDB.
TTL_MAX_AGE = 5 * 365 * 86400


def load(value: list) -> tuple[dict, int]:
    """A stored ``[size, item(, 1)]`` as (item, size).

    An item without binary values is already its own wire form: it is marked so the
    answer's encoder sends it without walking it.
    """
    if len(value) > 2:
        return item_from_stored(value[1]), value[0]
    return WireMap(value[1]), value[0]


def dump(item: dict, size: int, binary: bool) -> list:
    return [size, item_to_stored(item), 1] if binary else [size, item]


def split_stored(value: str) -> tuple[int, str, bool]:
    """A stored ``[size,item(,1)]``, as JSON text, split into (size, item text, binary) without decoding it.

    Binary values are stored as base64 text, which is also how the json wire carries them, so the
    item text is the item's wire form either way.
    """
    comma = value.index(",")
    if value[-2] == "}":  # [size,{...}]
        return int(value[1:comma]), value[comma + 1 : -1], False
    return int(value[1:comma]), value[comma + 1 : -3], True  # [size,{...},1]


def _utf8_text(text: str) -> str:
    # The store writes JSON in ASCII (\u escapes), the json wire in UTF-8; only where the text
    # has an escape can they differ, and there it is written again as the wire writes it.
    return json.dumps(json.loads(text), separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def decode_text(text: str, binary: bool) -> dict:
    """An item from its stored (and wire) JSON text."""
    item = json.loads(text)
    return item_from_stored(item) if binary else WireMap(item)


def units(size: int, unit: int) -> int:
    return max(1, math.ceil(size / unit))


class _Unread(dict):
    """An item known to be present whose content nobody needs (see ``Storage.old_item``)."""


UNREAD: dict = _Unread()


class WriteCost:
    """Write units a change cost: the table's and each index's (1 KB units)."""

    __slots__ = ("table", "indexes")

    def __init__(self) -> None:
        self.table = 0.0
        self.indexes: dict[IndexSchema, float] = {}

    @property
    def total(self) -> float:
        return self.table + sum(self.indexes.values())


class TableStats:
    """Item count and bytes of a table and its indexes, kept in memory and saved now and then."""

    __slots__ = ("count", "size", "indexes", "dirty")

    def __init__(self, record: dict) -> None:
        saved = record.get("_stats") or {}
        self.count: int = saved.get("count", 0)
        self.size: int = saved.get("size", 0)
        self.indexes: dict[str, list[int]] = {k: list(v) for k, v in (saved.get("indexes") or {}).items()}
        self.dirty = False

    def saved(self) -> dict:
        return {"count": self.count, "size": self.size, "indexes": self.indexes}


class Storage:
    def __init__(self, provider: DynamoDBProvider) -> None:
        self.provider = provider
        self.runtime = provider.runtime

    # --- reads ----------------------------------------------------------------------------

    def get(self, state: DynamoDBState, key: bytes) -> tuple[dict, int] | None:
        value = state.items.get(key)
        return None if value is None else load(value)

    def old_item(self, state: DynamoDBState, schema: TableSchema, key: bytes, read: bool) -> tuple[dict | None, int]:
        """The item a write replaces (None: absent) and its size.

        Unless the caller must ``read`` it (a condition, ReturnValues) or the table has indexes,
        TTL or a stream (``write`` reads it then), a present item is only sized, from its stored
        text's first bytes, and stands as ``UNREAD``: decoding 400 KB to learn a number is waste.
        """
        if read or not schema.simple:
            found = self.get(state, key)
            return found if found is not None else (None, 0)
        value = state.items.get_raw(key)
        if value is None:
            return None, 0
        return UNREAD, int(value[1 : value.index(",")])

    def get_text(self, state: DynamoDBState, key: bytes) -> tuple[str, int] | None:
        """``get`` for an answer on the json wire: (the item's JSON text as the wire writes it, size)."""
        value = state.items.get_raw(key)
        if value is None:
            return None
        size, text, _ = split_stored(value)
        return (text if "\\u" not in text else _utf8_text(text)), size

    def rows(self, state: DynamoDBState, start: bytes, end: bytes | None, after: bytes | None, reverse: bool,
             limit: int, index: bool) -> list[tuple[bytes, dict, int]]:
        """One page of a range read: (key, item, size) in key order (the read path of Query and Scan)."""
        view = state.index_items if index else state.items
        out = []
        for key, value in view.items(start, end, after=after, reverse=reverse, limit=limit):
            if len(value) > 2:
                out.append((key, item_from_stored(value[1]), value[0]))
            else:
                out.append((key, WireMap(value[1]), value[0]))
        return out

    def raw_rows(self, state: DynamoDBState, start: bytes, end: bytes | None, after: bytes | None, reverse: bool,
                 limit: int, index: bool) -> list[tuple[bytes, str, int, bool]]:
        """``rows`` for an answer on the json wire: (key, the item's JSON text as the wire writes it,
        size, whether it holds binary), the item never decoded."""
        view = state.index_items if index else state.items
        out = []
        for key, value in view.items(start, end, after=after, reverse=reverse, limit=limit, raw=True):
            size, text, binary = split_stored(value)
            out.append((key, text if "\\u" not in text else _utf8_text(text), size, binary))
        return out

    def scan_items(self, state: DynamoDBState, start: bytes, end: bytes | None, *, after: bytes | None = None,
                   reverse: bool = False, limit: int | None = None, index: bool = False) -> Iterator[tuple[bytes, dict, int]]:
        view = state.index_items if index else state.items
        for key, value in view.items(start, end, after=after, reverse=reverse, limit=limit):
            item, size = load(value)
            yield key, item, size  # type: ignore[misc]

    # --- writes ---------------------------------------------------------------------------

    def write(self, state: DynamoDBState, schema: TableSchema, key: bytes, old: dict | None, old_size: int,
              new: dict | None, new_size: int = 0, binary: bool = False, *, service_delete: bool = False,
              stream: bool = True) -> WriteCost:
        """Replace ``old`` (None: absent) by ``new`` (None: delete) under ``key``, with everything that follows."""
        if new is None:
            state.items.delete(key)
        else:
            state.items.put(key, dump(new, new_size, binary))
        cost, stats = self._counted(state, schema, old is not None, old_size, new is not None, new_size)
        if schema.simple:
            return cost
        for index in schema.indexes:
            if not index.active:
                continue
            self._write_index(state, index, key, old, new, binary, cost, stats)
        if schema.ttl_name is not None:
            self._write_expiry(state, schema, key, old, new)
        if stream and schema.stream_view is not None:
            self.provider.streams.record(state, schema, old, new, service=service_delete)
        return cost

    def put_simple(self, state: DynamoDBState, schema: TableSchema, key: bytes, new: dict, new_size: int,
                   binary: bool) -> WriteCost:
        """``write`` of an item on a ``simple`` table when nobody needs the item it replaces (no
        condition, no ReturnValues): one statement, the last write of the request, which hands back
        the replaced item's stored text for its size (the counters need it)."""
        old = state.items.put_final(key, dump(new, new_size, binary))
        old_size = 0 if old is None else int(old[1 : old.index(",")])
        return self._counted(state, schema, old is not None, old_size, True, new_size)[0]

    def _counted(self, state: DynamoDBState, schema: TableSchema, had: bool, old_size: int, has: bool,
                 new_size: int) -> tuple[WriteCost, TableStats]:
        """What replacing an item cost, and the table's counters moved by it."""
        cost = WriteCost()
        cost.table = units(max(old_size, new_size), 1024)
        stats = self.provider.stats(state, schema)
        if had:
            stats.count -= 1
            stats.size -= old_size
        if has:
            stats.count += 1
            stats.size += new_size
        stats.dirty = True
        self.provider.stats_changed()
        return cost, stats

    def _write_index(self, state: DynamoDBState, index: IndexSchema, key: bytes, old: dict | None,
                     new: dict | None, binary: bool, cost: WriteCost, stats: TableStats) -> None:
        old_key = index.entry_key(old, key) if old is not None else None
        new_key = index.entry_key(new, key) if new is not None else None
        if old_key is None and new_key is None:
            return
        counters = stats.indexes.setdefault(index.name, [0, 0])
        old_entry = index.project(old) if old_key is not None else None  # type: ignore[arg-type]
        new_entry = index.project(new) if new_key is not None else None  # type: ignore[arg-type]
        if old_key == new_key and _same_item(old_entry, new_entry):
            return  # the index stores exactly what it stored: no write, no cost
        spent = 0.0
        if old_key is not None:
            old_size = item_size(old_entry)  # type: ignore[arg-type]
            counters[0] -= 1
            counters[1] -= old_size
            if old_key != new_key:
                state.index_items.delete(old_key)
                spent += units(old_size, 1024)
        if new_key is not None:
            size = item_size(new_entry)  # type: ignore[arg-type]
            counters[0] += 1
            counters[1] += size
            state.index_items.put(new_key, dump(new_entry, size, binary))  # type: ignore[arg-type]
            spent += units(size, 1024)
        cost.indexes[index] = spent

    def _write_expiry(self, state: DynamoDBState, schema: TableSchema, key: bytes, old: dict | None,
                      new: dict | None) -> None:
        name = schema.ttl_name
        old_at = expiry_of(old, name) if old is not None else None  # type: ignore[arg-type]
        new_at = expiry_of(new, name) if new is not None else None  # type: ignore[arg-type]
        if old_at == new_at:
            return
        if old_at is not None:
            state.expiry.delete(expiry_key(old_at, key))
        if new_at is not None:
            state.expiry.put(expiry_key(new_at, key), schema.name)
            self.provider.ttl.due(state.account, state.region, new_at)


def _same_item(a: dict | None, b: dict | None) -> bool:
    if a is None or b is None:
        return a is b
    return a.keys() == b.keys() and all(equal(a[k], b[k]) for k in a)


def expiry_of(item: dict, name: str) -> int | None:
    """The item's expiry time (whole epoch seconds) from its TTL attribute, if it has a usable one."""
    value = item.get(name)
    if value is None or "N" not in value:
        return None
    try:
        seconds = float(value["N"])
    except ValueError:
        return None
    if seconds < 0 or seconds > 1e12:
        return None
    return math.ceil(seconds)


def expiry_key(at: int, key: bytes) -> bytes:
    return at.to_bytes(8, "big") + key


def now_seconds(clock: Any) -> float:
    return clock.now() if clock is not None else time.time()
