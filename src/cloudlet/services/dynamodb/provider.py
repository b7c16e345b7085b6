"""Amazon DynamoDB: the provider, assembled from one module per part of the API.

* tables.py        control plane (tables, indexes, stream settings, tags, TTL and backup settings)
* settings.py      resource policies, contributor insights, Kinesis destinations (settings only)
* backups.py       on-demand backups, RestoreTableFromBackup, RestoreTableToPointInTime
* items.py         PutItem, GetItem, UpdateItem, DeleteItem
* reads.py         Query and Scan
* batch.py         BatchGetItem, BatchWriteItem
* transactions.py  TransactWriteItems, TransactGetItems
* partiql/         ExecuteStatement, BatchExecuteStatement, ExecuteTransaction
* streams.py       stream records (read by the dynamodbstreams provider), also published on the bus
* ttl.py           the TTL sweeper
* throughput.py    opt-in provisioned-throughput emulation

Per table, a ``TableSchema`` is built once from the stored record and cached; the
request path reads it from a dict. Item counts and sizes are counted in memory
and saved with the table record at most once a second.
"""

from __future__ import annotations

from typing import Any

from cloudlet.context import RequestContext
from cloudlet.services.base import Provider
from cloudlet.services.dynamodb.backups import BackupOperations
from cloudlet.services.dynamodb.batch import BatchOperations
from cloudlet.services.dynamodb.items import ItemOperations
from cloudlet.services.dynamodb.partiql.operations import PartiQLOperations
from cloudlet.services.dynamodb.reads import ReadOperations
from cloudlet.services.dynamodb.schema import TableSchema
from cloudlet.services.dynamodb.settings import SettingsOperations
from cloudlet.services.dynamodb.state import DynamoDBState
from cloudlet.services.dynamodb.storage import Storage, TableStats
from cloudlet.services.dynamodb.streams import StreamWriter
from cloudlet.services.dynamodb.tables import PURGE_PREFIX, TableOperations, not_found, table_name
from cloudlet.services.dynamodb.throughput import Throttle
from cloudlet.services.dynamodb.transactions import TransactionOperations
from cloudlet.services.dynamodb.ttl import Sweeper

STATS_DELAY = 1.0  # seconds between saves of the item counters


class DynamoDBProvider(
    TableOperations, ItemOperations, ReadOperations, BatchOperations, TransactionOperations, PartiQLOperations,
    SettingsOperations, BackupOperations, Provider,
):
    service = "dynamodb"
    states = (DynamoDBState,)

    def __init__(self, runtime: Any) -> None:
        super().__init__(runtime)
        self.storage = Storage(self)
        self.streams = StreamWriter(self)
        self.ttl = Sweeper(self)
        self.throttle = Throttle(self) if runtime.config.dynamodb_throughput else None
        self._schemas: dict[tuple[str, str, str], TableSchema] = {}
        self._stats: dict[tuple[str, str, str], TableStats] = {}
        self._stats_timer: Any = None
        self._states: dict[tuple[str, str], DynamoDBState] = {}

    async def start(self) -> None:
        # Finish whatever a previous run left half-done: status changes, purges, due expiries.
        db = self.runtime.db
        for account, region in DynamoDBState.scopes(db, "catalog"):
            state = DynamoDBState(db, account, region)
            for arn, backup in state.backups.items():
                if backup["BackupDetails"]["BackupStatus"] == "CREATING":  # copy it again, from the start
                    self.runtime.scheduler.call_later(0, self.copy_backup_chunk, account, region, arn, None)
            for name, record in state.catalog.items():
                if name.startswith(PURGE_PREFIX):
                    self.runtime.scheduler.call_later(0, self.purge_chunk, account, region, name)
                elif "_restore" in record:
                    self.runtime.scheduler.call_later(0, self.restore_chunk, account, region, name)
                elif record["TableStatus"] != "ACTIVE" or any(
                    i.get("IndexStatus", "ACTIVE") != "ACTIVE" for i in record.get("GlobalSecondaryIndexes") or ()
                ):
                    self.runtime.scheduler.call_later(0, self.settle_table, account, region, name)
        self.ttl.start()

    async def stop(self) -> None:
        self.save_stats()

    def reset(self) -> None:
        super().reset()
        self._schemas.clear()
        self._stats.clear()
        self.streams.reset()
        self.ttl.reset()

    # --- state and tables ---------------------------------------------------------------

    def state(self, ctx: RequestContext) -> DynamoDBState:
        # One per account and region (a state is only its database and scope): not rebuilt per call.
        key = (ctx.account, ctx.region)
        state = self._states.get(key)
        if state is None:
            state = self._states[key] = DynamoDBState(self.runtime.db, ctx.account, ctx.region)
        return state

    def table(self, ctx: RequestContext, name: str, state: DynamoDBState | None = None) -> TableSchema:
        """The schema of a table the data plane may use (ACTIVE or UPDATING), else ResourceNotFoundException."""
        key = (ctx.account, ctx.region, name)
        schema = self._schemas.get(key)
        if schema is None:
            if name.startswith("arn:"):
                return self.table(ctx, table_name(name), state)
            record = (state or self.state(ctx)).catalog.get(name)
            if record is None:
                raise not_found()
            schema = self._schemas[key] = TableSchema(record)
        if schema.status not in ("ACTIVE", "UPDATING"):
            raise not_found()
        return schema

    def schema_of(self, state: DynamoDBState, record: dict) -> TableSchema:
        key = (state.account, state.region, record["TableName"])
        schema = self._schemas.get(key)
        if schema is None or schema.record is not record:
            schema = self._schemas[key] = TableSchema(record)
        return schema

    def save_table(self, state: DynamoDBState, record: dict) -> None:
        state.catalog.put(record["TableName"], record)
        self._schemas[(state.account, state.region, record["TableName"])] = TableSchema(record)

    def forget_table(self, state: DynamoDBState, name: str) -> None:
        self._schemas.pop((state.account, state.region, name), None)
        self._stats.pop((state.account, state.region, name), None)

    # --- item counters --------------------------------------------------------------------

    def stats(self, state: DynamoDBState, schema: TableSchema) -> TableStats:
        key = (state.account, state.region, schema.name)
        stats = self._stats.get(key)
        if stats is None:
            stats = self._stats[key] = TableStats(schema.record)
        return stats

    def drop_index_stats(self, state: DynamoDBState, record: dict, index: str) -> None:
        stats = self.stats(state, self.schema_of(state, record))
        stats.indexes.pop(index, None)
        stats.dirty = True
        self.stats_changed()

    def stats_changed(self) -> None:
        if self._stats_timer is None:
            self._stats_timer = self.runtime.scheduler.call_later(STATS_DELAY, self.save_stats)

    def save_stats(self) -> None:
        self._stats_timer = None
        dirty = [(key, stats) for key, stats in self._stats.items() if stats.dirty]
        if not dirty:
            return
        with self.runtime.db.transaction():
            for (account, region, name), stats in dirty:
                state = DynamoDBState(self.runtime.db, account, region)
                record = state.catalog.get(name)
                stats.dirty = False
                if record is None:
                    continue
                record["_stats"] = stats.saved()
                state.catalog.put(name, record)
                schema = self._schemas.get((account, region, name))
                if schema is not None:
                    schema.record["_stats"] = record["_stats"]
