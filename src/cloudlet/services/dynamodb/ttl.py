"""Time to live: the sweeper that deletes expired items, on the scheduler (nothing polls).

Writes to a table with TTL enabled keep an ``expiry`` entry per item whose TTL
attribute is a number: ``expiry time + item key -> table``. One timer is armed
for the earliest expiry across all accounts and regions; when it fires, every
entry that is due is processed (the item is deleted, with a REMOVE stream record
whose userIdentity is the DynamoDB service principal) and the timer is armed for
the next one. Moving Cloudlet's clock forward fires it at once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cloudlet.services.dynamodb.state import DynamoDBState
from cloudlet.services.dynamodb.storage import TTL_MAX_AGE, expiry_key, expiry_of

if TYPE_CHECKING:
    from cloudlet.services.dynamodb.provider import DynamoDBProvider
    from cloudlet.services.dynamodb.schema import TableSchema

SWEEP_CHUNK = 500
INDEX_CHUNK = 1000


class Sweeper:
    def __init__(self, provider: DynamoDBProvider) -> None:
        self.provider = provider
        self.runtime = provider.runtime
        self._timer: Any = None
        self._when: float | None = None

    def reset(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer = None
        self._when = None

    def start(self) -> None:
        self._arm_next()

    def due(self, account: str, region: str, at: float) -> None:
        """An item now expires at ``at``: make sure the timer fires by then."""
        if self._when is None or at < self._when:
            self._arm(at)

    def _arm(self, at: float) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._when = at
        self._timer = self.runtime.scheduler.call_at(at, self.sweep)

    def _arm_next(self) -> None:
        earliest = None
        db = self.runtime.db
        for account, region in DynamoDBState.scopes(db, "expiry"):
            first = DynamoDBState(db, account, region).expiry.keys(limit=1)
            if first:
                at = int.from_bytes(first[0][:8], "big")
                earliest = at if earliest is None else min(earliest, at)
        if self._timer is not None:
            self._timer.cancel()
        self._timer = None
        self._when = None
        if earliest is not None:
            self._arm(earliest)

    def sweep(self) -> None:
        """Delete every item whose expiry has come, then wait for the next one."""
        self._timer = None
        self._when = None
        now = self.runtime.clock.now()
        db = self.runtime.db
        more = False
        for account, region in DynamoDBState.scopes(db, "expiry"):
            with db.transaction():
                state = DynamoDBState(db, account, region)
                end = (int(now) + 1).to_bytes(8, "big")
                due = list(state.expiry.items(None, end, limit=SWEEP_CHUNK))
                more |= len(due) == SWEEP_CHUNK
                for entry, table in due:
                    state.expiry.delete(entry)
                    at = int.from_bytes(entry[:8], "big")
                    if at > now:
                        continue
                    self._expire(state, table, entry[8:], now)
        if more:
            self.runtime.scheduler.call_later(0, self.sweep)
        else:
            self._arm_next()

    def _expire(self, state: DynamoDBState, table: str, key: bytes, now: float) -> None:
        record = state.catalog.get(table)
        if record is None or record["TableStatus"] == "DELETING":
            return
        schema = self.provider.schema_of(state, record)
        if schema.ttl_name is None or key[:8] != schema.uid:
            return
        found = self.provider.storage.get(state, key)
        if found is None:
            return
        item, size = found
        at = expiry_of(item, schema.ttl_name)
        if at is None or at > now or at < now - TTL_MAX_AGE:
            return
        self.provider.storage.write(state, schema, key, item, size, None, service_delete=True)

    def reindex(self, state: DynamoDBState, schema: TableSchema, enabled: bool) -> None:
        """TTL was switched on (index every item's expiry) or off (forget them), a chunk at a time."""
        self.runtime.scheduler.call_later(0, self._reindex_chunk, state.account, state.region, schema.name,
                                          enabled, None)

    def _reindex_chunk(self, account: str, region: str, name: str, enabled: bool, after: str | None) -> None:
        db = self.runtime.db
        with db.transaction():
            state = DynamoDBState(db, account, region)
            record = state.catalog.get(name)
            if record is None:
                return
            schema = self.provider.schema_of(state, record)
            if enabled != (schema.ttl_name is not None):
                return  # changed again since
            if not enabled:
                for entry, table in list(state.expiry.items()):
                    if table == name and entry[8:16] == schema.uid:
                        state.expiry.delete(entry)
                return
            count = 0
            last = None
            for key, item, _ in self.provider.storage.scan_items(
                state, schema.uid, schema.uid + b"\xff" * 8, after=bytes.fromhex(after) if after else None,
                limit=INDEX_CHUNK,
            ):
                count += 1
                last = key
                at = expiry_of(item, schema.ttl_name)  # type: ignore[arg-type]
                if at is not None:
                    state.expiry.put(expiry_key(at, key), name)
                    self.due(account, region, at)
        if count == INDEX_CHUNK:
            self.runtime.scheduler.call_later(0, self._reindex_chunk, account, region, name, enabled, last.hex())  # type: ignore[union-attr]
