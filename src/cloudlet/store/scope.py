"""Declared state: a service lists its tables once, each with the scope it lives in.

    class QueueState(State):
        service = "sqs"
        queues = Table()                      # per account and region
        names_in_use = Table(Scope.GLOBAL)    # one for the whole cloud

    state = QueueState(db, ctx.account, ctx.region)
    state.queues.put("orders", {...})

Persistence and restore need nothing more (tables write through to SQLite);
reset walks the declarations.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from typing import Any, ClassVar

from cloudlet.store.sqlite import Database, Key


class Scope(enum.Enum):
    REGION = "region"  # one per account and region (most resources)
    ACCOUNT = "account"  # one per account, all regions (IAM)
    GLOBAL = "global"  # one for every account (S3 bucket names, issued credentials)


class Table:
    """A declared, ordered key-value table of JSON values."""

    def __init__(self, scope: Scope = Scope.REGION) -> None:
        self.scope = scope
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, state: State | None, owner: type) -> Any:
        if state is None:
            return self
        if self.scope is Scope.REGION:
            key = (state.service, self.name, state.account, state.region)
        elif self.scope is Scope.ACCOUNT:
            key = (state.service, self.name, state.account, "")
        else:
            key = (state.service, self.name, "", "")
        return TableView(state.db, key)


class TableView:
    """One table in one scope."""

    __slots__ = ("db", "scope")

    def __init__(self, db: Database, scope: tuple[str, str, str, str]) -> None:
        self.db = db
        self.scope = scope

    def get(self, key: Key, default: Any = None) -> Any:
        value = self.db.get(self.scope, key)
        return default if value is None else value

    def get_raw(self, key: Key) -> str | bytes | None:
        """The key's value as stored, undecoded: its JSON text, or the bytes ``put_bytes`` stored; or None."""
        return self.db.get(self.scope, key, raw=True)

    def __contains__(self, key: Key) -> bool:
        return self.db.get(self.scope, key) is not None

    def put(self, key: Key, value: Any) -> None:
        self.db.put(self.scope, key, value)

    def put_final(self, key: Key, value: Any) -> str | bytes | None:
        """``put`` as the transaction's last write, returning the replaced value's stored text (see Database)."""
        return self.db.put_final(self.scope, key, value)

    def delete(self, key: Key) -> bool:
        return self.db.delete(self.scope, key)

    def increment(self, key: Key) -> int:
        """Add one to an integer value (absent: 0); returns the new value."""
        return self.db.increment(self.scope, key)

    def put_bytes(self, key: Key, data: bytes) -> None:
        self.db.put_bytes(self.scope, key, data)

    def get_many(self, keys: list[Key]) -> dict[Key, Any]:
        """Several keys' values in one statement; missing keys are left out."""
        return self.db.get_many(self.scope, keys)

    def put_many(self, items: list[tuple[Key, Any]]) -> None:
        self.db.put_many(self.scope, items)

    def delete_many(self, keys: list[Key]) -> int:
        return self.db.delete_many(self.scope, keys)

    def items(self, start: Key | None = None, end: Key | None = None, **options: Any) -> Iterator[tuple[Key, Any]]:
        """Items in key order; options: prefix, after, reverse, limit, raw (values as stored JSON text)."""
        return self.db.scan(self.scope, start, end, **options)

    def keys(self, **options: Any) -> list[Key]:
        return [key for key, _ in self.db.scan(self.scope, **options)]

    def values(self, **options: Any) -> list[Any]:
        return [value for _, value in self.db.scan(self.scope, **options)]

    def __len__(self) -> int:
        return self.db.count(self.scope)

    def count(self, start: Key | None = None, end: Key | None = None, *, prefix: str | None = None) -> int:
        """How many keys lie within [start, end) or have a prefix (no value is read)."""
        return self.db.count(self.scope, start, end, prefix=prefix)

    def delete_range(self, start: Key | None = None, end: Key | None = None, *, prefix: str | None = None) -> int:
        """Delete every key within [start, end) or with a prefix; returns how many were deleted."""
        return self.db.delete_range(self.scope, start, end, prefix=prefix)

    def take_range(
        self, start: Key | None = None, end: Key | None = None, *, prefix: str | None = None
    ) -> list[tuple[Key, Any]]:
        """Delete every key within [start, end) or with a prefix; returns the items deleted."""
        return self.db.take_range(self.scope, start, end, prefix=prefix)


class State:
    """Base of every service's declared state, bound to one account and region."""

    service: ClassVar[str]

    def __init__(self, db: Database, account: str = "", region: str = "") -> None:
        self.db = db
        self.account = account
        self.region = region

    @classmethod
    def tables(cls) -> dict[str, Table]:
        found: dict[str, Table] = {}
        for klass in reversed(cls.__mro__):
            for name, value in vars(klass).items():
                if isinstance(value, Table):
                    found[name] = value
        return found

    @classmethod
    def reset(cls, db: Database) -> None:
        """Forget everything this state holds, in every account and region."""
        with db.transaction():
            for table in cls.tables().values():
                db.clear(cls.service, table.name)

    @classmethod
    def scopes(cls, db: Database, table: str) -> list[tuple[str, str]]:
        """The (account, region) pairs holding items of one table (for background work)."""
        return db.scopes(cls.service, table)
