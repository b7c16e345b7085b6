"""ConsumedCapacity as DynamoDB reports it.

Reads cost one unit per 4 KB read (rounded up over the whole read for Query and
Scan, per item for GetItem and batches), half that when eventually consistent,
double in a transaction; writes cost one unit per 1 KB of the larger of the old
and new item, plus each index's own writes. ``TOTAL`` gives the sum; ``INDEXES``
adds the table's and each touched index's share (an untouched index has no entry).
"""

from __future__ import annotations

import math

from cloudlet.services.dynamodb.schema import IndexSchema, TableSchema


def read_units(size: int, consistent: bool, transactional: bool = False) -> float:
    whole = max(1, math.ceil(size / 4096))
    if transactional:
        return whole * 2.0
    return float(whole) if consistent else whole / 2


class Consumed:
    """Capacity one request consumed on one table, split by table and index."""

    __slots__ = ("schema", "table", "indexes")

    def __init__(self, schema: TableSchema) -> None:
        self.schema = schema
        self.table = 0.0
        self.indexes: dict[IndexSchema, float] = {}

    def add_index(self, index: IndexSchema, units: float) -> None:
        self.indexes[index] = self.indexes.get(index, 0.0) + units

    @property
    def total(self) -> float:
        return self.table + sum(self.indexes.values())

    def report(self, mode: str | None, kind: str | None = None) -> dict | None:
        """``kind`` ("Read" or "Write") names the units too, as transactions do."""
        if mode not in ("TOTAL", "INDEXES"):
            return None
        out: dict = {"TableName": self.schema.name, "CapacityUnits": self.total}
        if kind is not None:
            out[f"{kind}CapacityUnits"] = self.total
        if mode == "INDEXES":
            out["Table"] = {"CapacityUnits": self.table}
            for index, units in self.indexes.items():
                arm = "GlobalSecondaryIndexes" if index.is_global else "LocalSecondaryIndexes"
                out.setdefault(arm, {})[index.name] = {"CapacityUnits": units}
        return out


def report_all(consumed: dict[str, Consumed], mode: str | None, kind: str | None = None) -> list | None:
    """The list form batch and transaction operations answer with (one entry per table)."""
    if mode not in ("TOTAL", "INDEXES"):
        return None
    return [c.report(mode, kind) for c in consumed.values()]
