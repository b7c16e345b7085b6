"""Opt-in provisioned-throughput emulation (``Config.dynamodb_throughput``, ``--dynamodb-throughput``).

For a PROVISIONED table, each of the table's read and write capacity, and each
global secondary index's, is a token bucket: it refills at the provisioned units
per second (Cloudlet's clock) and holds at most 300 seconds of unused capacity,
DynamoDB's burst allowance. A bucket starts with one second's worth, so a test
can reach the limit at once. A request is refused with
ProvisionedThroughputExceededException while its bucket holds less than the
smallest request costs (a write unit, or half a read unit); a request that is let
in spends what it consumed, which may take the bucket below zero (as a large
item does in DynamoDB). On-demand tables are never throttled.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cloudlet.protocol.errors import ServiceError

if TYPE_CHECKING:
    from cloudlet.services.dynamodb.capacity import Consumed
    from cloudlet.services.dynamodb.provider import DynamoDBProvider
    from cloudlet.services.dynamodb.schema import IndexSchema, TableSchema

BURST_SECONDS = 300

TABLE_EXCEEDED = (
    "The level of configured provisioned throughput for the table was exceeded. Consider increasing your "
    "provisioning level with the UpdateTable API."
)
INDEX_EXCEEDED = (
    "The level of configured provisioned throughput for one or more global secondary indexes of the table was "
    "exceeded. Consider increasing your provisioning level for the under-provisioned global secondary indexes with "
    "the UpdateTable API."
)


class Bucket:
    __slots__ = ("rate", "tokens", "updated")

    def __init__(self, rate: float, now: float) -> None:
        self.rate = rate
        self.tokens = rate
        self.updated = now

    def level(self, rate: float, now: float) -> float:
        if rate != self.rate:
            self.rate = rate
        if now > self.updated:
            self.tokens = min(self.rate * BURST_SECONDS, self.tokens + (now - self.updated) * self.rate)
            self.updated = now
        return self.tokens


class Throttle:
    def __init__(self, provider: DynamoDBProvider) -> None:
        self.clock = provider.runtime.clock
        self.buckets: dict[tuple[str, str, str], Bucket] = {}

    def _bucket(self, schema: TableSchema, index: str, kind: str, rate: float, now: float) -> Bucket:
        key = (schema.arn, index, kind)
        bucket = self.buckets.get(key)
        if bucket is None:
            bucket = self.buckets[key] = Bucket(rate, now)
        return bucket

    def _rates(self, schema: TableSchema, kind: str) -> list[tuple[str, float]]:
        field = "ReadCapacityUnits" if kind == "read" else "WriteCapacityUnits"
        rates = [("", float(schema.read_units if kind == "read" else schema.write_units))]
        for index in schema.indexes:
            if index.is_global:
                rates.append((index.name, float((index.record.get("ProvisionedThroughput") or {}).get(field, 0))))
        return rates

    def _empty(self, schema: TableSchema, kind: str, only: IndexSchema | None = None) -> str | None:
        """The bucket (table "" or a GSI's name) that cannot take another request now, if any."""
        if schema.billing != "PROVISIONED":
            return None
        now = self.clock.now()
        for name, rate in self._rates(schema, kind):
            if rate <= 0:
                continue
            if kind == "read" and name != (only.name if only is not None and only.is_global else ""):
                continue
            if self._bucket(schema, name, kind, rate, now).level(rate, now) < (0.5 if kind == "read" else 1.0):
                return name
        return None

    def _check(self, schema: TableSchema, kind: str, only: IndexSchema | None = None) -> None:
        empty = self._empty(schema, kind, only)
        if empty is not None:
            raise ServiceError("ProvisionedThroughputExceededException", INDEX_EXCEEDED if empty else TABLE_EXCEEDED)

    def allows(self, schema: TableSchema, kind: str) -> bool:
        """Whether one more batch entry fits (batches leave the rest unprocessed instead of failing)."""
        return self._empty(schema, kind) is None

    @staticmethod
    def exceeded() -> ServiceError:
        return ServiceError("ProvisionedThroughputExceededException", TABLE_EXCEEDED)

    def _spend(self, schema: TableSchema, kind: str, consumed: Consumed) -> None:
        if schema.billing != "PROVISIONED":
            return
        now = self.clock.now()
        rates = dict(self._rates(schema, kind))
        table = consumed.table + sum(u for i, u in consumed.indexes.items() if not i.is_global)
        bucket = self._bucket(schema, "", kind, rates[""], now)
        bucket.level(rates[""], now)
        bucket.tokens -= table
        for index, units in consumed.indexes.items():
            if index.is_global and rates.get(index.name):
                bucket = self._bucket(schema, index.name, kind, rates[index.name], now)
                bucket.level(rates[index.name], now)
                bucket.tokens -= units

    def check_read(self, schema: TableSchema, index: IndexSchema | None = None) -> None:
        self._check(schema, "read", index)

    def check_write(self, schema: TableSchema) -> None:
        self._check(schema, "write")

    def spend_read(self, schema: TableSchema, consumed: Consumed, index: IndexSchema | None = None) -> None:
        self._spend(schema, "read", consumed)

    def spend_write(self, schema: TableSchema, consumed: Consumed) -> None:
        self._spend(schema, "write", consumed)
