"""SQLite, the one storage engine: an ordered key-value table written through on every change.

Every declared table of every service lives in one SQLite table keyed by
(service, table, account, region, key), so keys sort within a table and range
scans are index walks.  The database runs in WAL mode with
``synchronous=NORMAL``: a committed write is in the WAL file before the
client sees its answer, so it survives the server being killed (only an OS
crash or power loss could lose the last commits).
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator
from typing import Any

Key = str | bytes
_MAX_KEYS = 500  # keys per IN (...) list, well below SQLite's limit on bound parameters


def _no_default(value: Any) -> Any:
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


# Values are compact JSON.  json.dumps(..., separators=...) builds an encoder on every call and
# json.loads checks its argument twice over: on every read and write of every item that was most
# of the cost of a small value.  The C encoder and scanner, made once, give the same text and values.
try:
    from json.encoder import c_make_encoder as _make_encoder
    from json.encoder import encode_basestring_ascii as _ascii
    from json.scanner import c_make_scanner as _make_scanner
except ImportError:  # a Python without the _json accelerator
    _make_encoder = _make_scanner = None

if _make_encoder is not None and _make_scanner is not None:
    _encode = _make_encoder(None, _no_default, _ascii, None, ":", ",", False, False, True)
    _scan = _make_scanner(json.JSONDecoder())

    def _dump(value: Any) -> str:
        return "".join(_encode(value, 0))

    def _load(text: Any) -> Any:
        try:
            value, end = _scan(text, 0)
        except (StopIteration, TypeError):  # not JSON, or bytes: json.loads says what is wrong, or reads it
            return json.loads(text)
        return value if end == len(text) else json.loads(text)
else:
    def _dump(value: Any) -> str:
        return json.dumps(value, separators=(",", ":"))

    _load = json.loads

_SCHEMA = """
CREATE TABLE IF NOT EXISTS kv (
    service TEXT NOT NULL,
    tbl TEXT NOT NULL,
    account TEXT NOT NULL,
    region TEXT NOT NULL,
    key NOT NULL,
    value BLOB NOT NULL,
    PRIMARY KEY (service, tbl, account, region, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

# Writing a key: an upsert, not INSERT OR REPLACE.  REPLACE deletes the old row and inserts the new
# one (two b-tree changes); DO UPDATE rewrites the row where it is.  Overwriting a 1 KB value in a
# WAL file: 27-37 -> 9-13 us (SQLite 3.40); inserting a new key costs the same either way.
_PUT = (
    "INSERT INTO kv (service, tbl, account, region, key, value) VALUES (?,?,?,?,?,?) "
    "ON CONFLICT (service, tbl, account, region, key) DO UPDATE SET value = excluded.value"
)
_PUT_FINAL = (
    "INSERT INTO kv (service, tbl, account, region, key, value) VALUES (?,?,?,?,?,?) "
    "ON CONFLICT (service, tbl, account, region, key) DO UPDATE SET value = kv_replaced(value, excluded.value)"
)


class Database:
    def __init__(self, path: str | None) -> None:
        """``path`` is the database file, or None for memory only (``--ephemeral``)."""
        self.path = path
        if path is not None:
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        self.conn = sqlite3.connect(path or ":memory:", isolation_level=None, check_same_thread=False)
        # Page size, set before a new database's first page is written (an existing one keeps its own).
        # With 4 KiB pages a row of this WITHOUT ROWID table stores at most ~1000 bytes in its leaf and
        # the rest on an overflow page, so a 1 KB DynamoDB item or SNS envelope cost two pages to read
        # and four to rewrite.  A file gets 8 KiB (a 1 KB PutItem's SQLite work 60 -> 39 us; larger pages
        # make every small commit write more to the WAL); memory gets 16 KiB (inserting ten 1.3 KB rows
        # 83 -> 36 us, small rows unchanged).
        if path is not None:
            self.conn.execute("PRAGMA page_size=8192")
            # One process owns the file: holding its lock for good (set before the WAL is first opened,
            # so the WAL index lives in memory, not in a shared -shm file) spares every statement the
            # fcntl lock and unlock calls a shared WAL database makes (~3.5 per statement).
            self.conn.execute("PRAGMA locking_mode=EXCLUSIVE")
            try:
                self.conn.execute("PRAGMA journal_mode=WAL")
            except sqlite3.OperationalError as e:  # locked: two servers would each cache what the other changes
                raise RuntimeError(f"{path} is in use by another process (a Cloudlet on this data directory?)") from e
            self.conn.execute("PRAGMA synchronous=NORMAL")
        else:
            self.conn.execute("PRAGMA page_size=16384")
        self.conn.executescript(_SCHEMA)
        self._depth = 0
        self._began = False
        # every write statement and every rollback counts: a caller that read a value knows by it
        # whether the value can have changed since
        self.changes = 0
        self._lock = threading.RLock()  # the loop thread owns the connection; admin calls may not
        self._transaction = Transaction(self)
        self._sealed = False  # the transaction's final write is committed: no other write may follow
        self._replaced: Any = None
        self.conn.create_function("kv_replaced", 2, self._note_replaced)
        self._undo: list[Callable[[], None]] = []  # on_rollback callbacks of the open transaction

    # --- transactions ---------------------------------------------------------------

    def transaction(self) -> Transaction:
        """All writes inside commit together or not at all.  Re-entrant."""
        return self._transaction

    def on_rollback(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` if the open transaction ends by an exception (rolled back), so that memory kept
        beside the tables (an index of what they hold) can forget what was undone.  Outside a transaction
        nothing is undone: it is not kept."""
        if self._depth:
            self._undo.append(callback)

    def _write(self, sql: str, args: tuple | list, many: bool = False) -> sqlite3.Cursor:
        with self._lock:
            if self._sealed:
                raise RuntimeError("a write after the transaction's final write (put_final)")
            self.changes += 1
            if self._depth and not self._began:
                self.conn.execute("BEGIN IMMEDIATE")
                self._began = True
            return self.conn.executemany(sql, args) if many else self.conn.execute(sql, args)

    # --- key-value operations -----------------------------------------------------------

    def get(self, scope: tuple[str, str, str, str], key: Key, raw: bool = False) -> Any:
        """The key's value (``raw``: its stored JSON text), or None."""
        row = self.conn.execute(
            "SELECT value FROM kv WHERE service=? AND tbl=? AND account=? AND region=? AND key=?",
            (*scope, key),
        ).fetchone()
        if row is None:
            return None
        return row[0] if raw else _load(row[0])

    def put(self, scope: tuple[str, str, str, str], key: Key, value: Any) -> None:
        self._write(_PUT, (*scope, key, _dump(value)))

    def put_final(self, scope: tuple[str, str, str, str], key: Key, value: Any) -> Any:
        """``put`` as the transaction's last write; returns the value it replaced as stored text (None: absent).

        One statement where a read-then-write costs four (SELECT, BEGIN, write, COMMIT): the upsert
        hands the old value to ``kv_replaced`` on its way out, and when nothing was written before in
        this transaction the statement runs on its own, SQLite committing it atomically as it ends.
        The transaction is then sealed: a later write could not commit with this one, so it raises;
        and an error raised after it does not undo it, so the caller writes it when nothing can fail.
        """
        with self._lock:
            if self._sealed:
                raise RuntimeError("a write after the transaction's final write (put_final)")
            self.changes += 1
            self._replaced = None
            if self._depth and not self._began:
                self._sealed = True  # autocommit: committed when execute returns
            self.conn.execute(_PUT_FINAL, (*scope, key, _dump(value)))
            replaced, self._replaced = self._replaced, None
            return replaced

    def _note_replaced(self, old: Any, new: Any) -> Any:
        self._replaced = old
        return new

    def increment(self, scope: tuple[str, str, str, str], key: Key) -> int:
        """Add one to a counter (absent: 0) and return the new value, in one statement."""
        return int(self._write(
            "INSERT INTO kv (service, tbl, account, region, key, value) VALUES (?,?,?,?,?,'1') "
            "ON CONFLICT (service, tbl, account, region, key) "
            "DO UPDATE SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) RETURNING value",
            (*scope, key),
        ).fetchall()[0][0])  # every row fetched: the statement is done before any COMMIT

    def put_bytes(self, scope: tuple[str, str, str, str], key: Key, data: bytes) -> None:
        """Store bytes as they are (a BLOB, not JSON): small object bodies, without base64's third more."""
        self._write(_PUT, (*scope, key, bytes(data)))

    def get_many(self, scope: tuple[str, str, str, str], keys: list[Key]) -> dict[Key, Any]:
        """The values of several keys in one statement (missing keys are left out)."""
        out: dict[Key, Any] = {}
        for start in range(0, len(keys), _MAX_KEYS):
            chunk = keys[start : start + _MAX_KEYS]
            rows = self.conn.execute(
                "SELECT key, value FROM kv WHERE service=? AND tbl=? AND account=? AND region=? "
                f"AND key IN ({','.join('?' * len(chunk))})",
                (*scope, *chunk),
            ).fetchall()
            for key, value in rows:
                out[key] = _load(value)
        return out

    def put_many(self, scope: tuple[str, str, str, str], items: list[tuple[Key, Any]]) -> None:
        """Write several keys at once (one prepared statement for all)."""
        if not items:
            return
        rows = [(*scope, key, _dump(value)) for key, value in items]
        self._write(_PUT, rows, many=True)

    def put_rows(self, rows: list[tuple[tuple[str, str, str, str], Key, Any]]) -> None:
        """Write keys of several tables in one statement; a value several rows share is encoded once.
        Bytes are stored as they are, as ``put_bytes`` stores them (JSON has no bytes)."""
        encoded: dict[int, str | bytes] = {}  # id(value) -> its JSON (the values live until we return)
        args = []
        for scope, key, value in rows:
            text = encoded.get(id(value))
            if text is None:
                text = encoded[id(value)] = bytes(value) if isinstance(value, bytes | bytearray) else _dump(value)
            args.append((*scope, key, text))
        self._write(_PUT, args, many=True)

    def delete_many(self, scope: tuple[str, str, str, str], keys: list[Key]) -> int:
        """Delete several keys in one statement; returns how many existed."""
        deleted = 0
        for start in range(0, len(keys), _MAX_KEYS):
            chunk = keys[start : start + _MAX_KEYS]
            deleted += self._write(
                "DELETE FROM kv WHERE service=? AND tbl=? AND account=? AND region=? "
                f"AND key IN ({','.join('?' * len(chunk))})",
                (*scope, *chunk),
            ).rowcount
        return deleted

    def delete(self, scope: tuple[str, str, str, str], key: Key) -> bool:
        cursor = self._write(
            "DELETE FROM kv WHERE service=? AND tbl=? AND account=? AND region=? AND key=?", (*scope, key)
        )
        return cursor.rowcount > 0

    def take_range(
        self, scope: tuple[str, str, str, str], start: Key | None = None, end: Key | None = None,
        *, prefix: str | None = None,
    ) -> list[tuple[Key, Any]]:
        """Delete every key within [start, end) or with a prefix and return the items deleted, in one
        statement (a read and a delete of what it found cost two)."""
        where, args = _range(scope, start, end, prefix)
        rows = self._write(f"DELETE FROM kv WHERE {where} RETURNING key, value", tuple(args)).fetchall()
        return [(key, _load(value)) for key, value in rows]

    @property
    def uncommitted(self) -> bool:
        """Whether the open transaction has written: what a read sees now may still roll back."""
        return self._began

    def scan(
        self,
        scope: tuple[str, str, str, str],
        start: Key | None = None,
        end: Key | None = None,
        *,
        prefix: str | None = None,
        after: Key | None = None,
        reverse: bool = False,
        limit: int | None = None,
        raw: bool = False,
    ) -> Iterator[tuple[Key, Any]]:
        """Items in key order within [start, end), or with a key prefix, optionally after a key.

        ``raw``: values as their stored JSON text, undecoded (a reader that can use the text as it is).
        """
        where, args = _range(scope, start, end, prefix)
        sql = ["SELECT key, value FROM kv WHERE", where]
        if after is not None:
            sql.append("AND key < ?" if reverse else "AND key > ?")
            args.append(after)
        sql.append("ORDER BY key DESC" if reverse else "ORDER BY key")
        if limit is not None:
            sql.append("LIMIT ?")
            args.append(limit)
        rows = self.conn.execute(" ".join(sql), args).fetchall()
        if raw:
            yield from rows
            return
        for key, value in rows:
            yield key, _load(value)

    def count(
        self, scope: tuple[str, str, str, str], start: Key | None = None, end: Key | None = None,
        *, prefix: str | None = None,
    ) -> int:
        """How many keys lie within [start, end) or have a prefix (an index walk; no value is read)."""
        where, args = _range(scope, start, end, prefix)
        return self.conn.execute(f"SELECT COUNT(*) FROM kv WHERE {where}", args).fetchone()[0]

    def delete_range(
        self, scope: tuple[str, str, str, str], start: Key | None = None, end: Key | None = None,
        *, prefix: str | None = None,
    ) -> int:
        """Delete every key within [start, end) or with a prefix, in one statement; returns how many."""
        where, args = _range(scope, start, end, prefix)
        return self._write(f"DELETE FROM kv WHERE {where}", tuple(args)).rowcount

    def scopes(self, service: str, table: str) -> list[tuple[str, str]]:
        """Every (account, region) that holds items of a table."""
        rows = self.conn.execute(
            "SELECT DISTINCT account, region FROM kv WHERE service=? AND tbl=?", (service, table)
        )
        return [tuple(row) for row in rows]

    def clear(self, service: str | None = None, table: str | None = None) -> None:
        if service is None:
            self._write("DELETE FROM kv", ())
        elif table is None:
            self._write("DELETE FROM kv WHERE service=?", (service,))
        else:
            self._write("DELETE FROM kv WHERE service=? AND tbl=?", (service, table))

    def close(self) -> None:
        with self._lock:
            if self.path is not None:
                self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self.conn.close()


class Transaction:
    """The context manager behind ``Database.transaction`` (a class: it runs on every call)."""

    __slots__ = ("db",)

    def __init__(self, db: Database) -> None:
        self.db = db

    def __enter__(self) -> None:
        db = self.db
        db._lock.acquire()
        db._depth += 1

    def __exit__(self, kind: type | None, error: BaseException | None, trace: object) -> None:
        db = self.db
        try:
            db._depth -= 1
            if db._depth == 0:
                db._sealed = False
                undo, failed = db._undo, kind is not None
                if undo:
                    db._undo = []
                try:
                    if db._began:
                        db._began = False
                        if failed:
                            db.changes += 1  # what was read inside the transaction is undone too
                            db.conn.execute("ROLLBACK")
                        else:
                            db.conn.execute("COMMIT")
                except BaseException:
                    failed = True  # a COMMIT that failed: none of it can be relied on
                    raise
                finally:
                    if failed:
                        for callback in undo:
                            callback()
        finally:
            db._lock.release()


def _range(
    scope: tuple[str, str, str, str], start: Key | None, end: Key | None, prefix: str | None
) -> tuple[str, list[Any]]:
    """The WHERE clause (and its arguments) of one scope's keys within [start, end) or with a prefix."""
    sql = "service=? AND tbl=? AND account=? AND region=?"
    args: list[Any] = list(scope)
    if prefix is not None:
        start, end = prefix, _prefix_end(prefix)
    if start is not None:
        sql += " AND key >= ?"
        args.append(start)
    if end is not None:
        sql += " AND key < ?"
        args.append(end)
    return sql, args


def _prefix_end(prefix: str) -> str:
    """The smallest string greater than every string starting with ``prefix``."""
    return prefix + "\U0010ffff"
