"""Query and Scan: range reads of the ordered store, paged by Limit and by DynamoDB's 1 MB.

A Query reads one partition (or index partition) between the bounds of its key
condition; a Scan reads the table's (or index's) key space, or one segment's
share of the four-byte partition hash. The filter is applied after the read:
ScannedCount and consumed capacity count what was read.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cloudlet.protocol.json_rpc import RawJsonList
from cloudlet.services.dynamodb import keys, legacy
from cloudlet.services.dynamodb.capacity import Consumed, read_units
from cloudlet.services.dynamodb.expressions import RequestExpressions, evaluate, project
from cloudlet.services.dynamodb.keycondition import analyze
from cloudlet.services.dynamodb.schema import IndexSchema, TableSchema
from cloudlet.services.dynamodb.storage import decode_text
from cloudlet.services.dynamodb.values import invalid, invalid_parameter

if TYPE_CHECKING:
    from cloudlet.context import RequestContext
    from cloudlet.services.dynamodb.provider import DynamoDBProvider
    from cloudlet.services.dynamodb.state import DynamoDBState

PAGE_BYTES = 1024 * 1024
CHUNK = 256


def _select(params: dict, projection: list | None, index: IndexSchema | None, query: bool) -> str:
    select = params.get("Select")
    projected = "ProjectionExpression" if params.get("ProjectionExpression") is not None else "AttributesToGet"
    if select is None:
        if projection is not None:
            return "SPECIFIC_ATTRIBUTES"
        return "ALL_PROJECTED_ATTRIBUTES" if index is not None else "ALL_ATTRIBUTES"
    if select == "SPECIFIC_ATTRIBUTES":
        if projection is None:
            message = "Must specify the AttributesToGet or ProjectionExpression when choosing to get SPECIFIC_ATTRIBUTES"
            raise invalid(f"1 validation error detected: {message}" if query else message)  # as DynamoDB words them
    elif projection is not None:
        raise invalid(f"Cannot specify the {projected} when choosing to get {select}")
    if select == "ALL_PROJECTED_ATTRIBUTES" and index is None:
        raise invalid("ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName")  # Scan too
    if select == "ALL_ATTRIBUTES" and index is not None and index.is_global and index.projection != "ALL":
        raise invalid_parameter(
            f"Select type ALL_ATTRIBUTES is not supported for global secondary index {index.name} because its "
            "projection type is not ALL"
        )
    return select


class _Page:
    """What one Query or Scan page read and returns."""

    def __init__(self, select: str, projection: list | None, condition: tuple | None, limit: int | None,
                 wire: bool = False) -> None:
        self.select = select
        self.wire = wire  # the answer goes to the json wire: items may stay JSON text
        self.projection = projection
        self.condition = condition
        self.limit = limit
        self.items: list[dict] = []
        self.count = 0
        self.scanned = 0
        self.read = 0
        self.last: dict | None = None
        self.base_reads = 0.0


class ReadOperations:
    # --- Query ---------------------------------------------------------------------------

    def query(self: DynamoDBProvider, ctx: RequestContext, params: dict) -> dict:
        legacy.check_mixed(params)
        if params.get("KeyConditions") is None and params.get("KeyConditionExpression") is None:
            raise invalid("Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.")
        expressions = RequestExpressions(params.get("ExpressionAttributeNames"), params.get("ExpressionAttributeValues"))
        if params.get("KeyConditions") is not None:
            key_condition = legacy.key_conditions(params["KeyConditions"])
            condition = legacy.conditions(params.get("QueryFilter"), params.get("ConditionalOperator"), "QueryFilter")
            projection = legacy.attributes_to_get(params.get("AttributesToGet"))
        else:
            key_condition = expressions.condition(params["KeyConditionExpression"], "KeyConditionExpression")
            condition = expressions.condition(params.get("FilterExpression"), "FilterExpression")
            projection = expressions.projection(params.get("ProjectionExpression"))
            expressions.finish()
        schema = self.table(ctx, params["TableName"])
        index = self._index(schema, params)
        select = _select(params, projection, index, True)
        hash_name, hash_type = (index.hash_name, index.hash_type) if index else (schema.hash_name, schema.hash_type)
        range_name, range_type = (index.range_name, index.range_type) if index else (schema.range_name, schema.range_type)
        analyzed = analyze(key_condition, hash_name, hash_type, range_name, range_type)  # type: ignore[arg-type]
        if condition is not None:
            heads = _path_heads(condition)
            for name in (hash_name, range_name):
                if name in heads:
                    kind = "QueryFilter" if params.get("KeyConditions") is not None else "Filter Expression"
                    raise invalid(f"{kind} can only contain non-primary key attributes: Primary key attribute: {name}")
        prefix = index.partition_prefix(analyzed.hash_value) if index else schema.partition_prefix(analyzed.hash_value)
        start, end = analyzed.bounds(prefix, range_type)
        forward = params.get("ScanIndexForward", True)
        after = self._start_key(schema, index, params.get("ExclusiveStartKey"), "The provided starting key is invalid")
        if after is not None and not after.startswith(prefix):
            raise invalid("The provided starting key is outside query boundaries based on provided conditions")
        state = self.state(ctx)
        if self.throttle is not None:
            self.throttle.check_read(schema, index)
        page = _Page(select, projection, condition, params.get("Limit"), ctx.protocol == "json")
        self._read(state, schema, index, page, start, end, after, not forward)
        return self._answer(schema, index, page, params)

    def _index(self: DynamoDBProvider, schema: TableSchema, params: dict) -> IndexSchema | None:
        name = params.get("IndexName")
        if name is None:
            return None
        index = schema.index_by_name.get(name)
        if index is None:
            raise invalid(f"The table does not have the specified index: {name}")
        if index.is_global and params.get("ConsistentRead"):
            raise invalid("Consistent reads are not supported on global secondary indexes")
        if index.record.get("_building"):
            raise invalid(f"Cannot read from backfilling global secondary index: {name}")
        return index

    def _start_key(self: DynamoDBProvider, schema: TableSchema, index: IndexSchema | None, start: dict | None,
                   message: str = "The provided starting key is invalid: The provided key element does not match the "
                                  "schema") -> bytes | None:
        if start is None:
            return None
        names = set(schema.key_names) | ({index.hash_name, index.range_name} - {None} if index else set())
        try:
            if any(name not in start for name in names) or len(start) != len(names):
                raise KeyError
            table_key = schema.key_from_key({name: start[name] for name in schema.key_names})
            if index is None:
                return table_key
            key = index.entry_key(start, table_key)
            if key is None:
                raise KeyError
            return key
        except (KeyError, StopIteration):
            raise invalid(message)

    def _read(self: DynamoDBProvider, state: DynamoDBState, schema: TableSchema, index: IndexSchema | None,
              page: _Page, start: bytes, end: bytes | None, after: bytes | None, reverse: bool) -> None:
        limit = page.limit
        fetch_base = index is not None and not index.is_global and page.select != "COUNT" and (
            page.select == "ALL_ATTRIBUTES" and index.projection != "ALL"
            or page.projection is not None and index.projection != "ALL"
        ) and not _covers(index, page)
        condition, projection = page.condition, page.projection
        if page.wire and condition is None and projection is None and not fetch_base and page.select != "COUNT":
            return self._read_text(state, schema, index, page, start, end, after, reverse)
        keep = page.items.append if page.select != "COUNT" else None
        scanned, read, count = page.scanned, page.read, page.count
        on_index = index is not None
        try:
            while True:
                chunk = CHUNK if limit is None else min(CHUNK, limit - scanned)
                rows = self.storage.rows(state, start, end, after, reverse, chunk, on_index)
                for key, item, size in rows:
                    scanned += 1
                    read += size
                    if fetch_base:
                        found = self.storage.get(state, schema.store_key(item))
                        if found is not None:
                            item = found[0]
                            page.base_reads += read_units(found[1], True)
                    if condition is None or evaluate(condition, item):
                        count += 1
                        if keep is not None:
                            keep(item if projection is None else project(item, projection))
                    if (limit is not None and scanned >= limit) or read >= PAGE_BYTES:
                        page.last = self._evaluated_key(schema, index, item)
                        return
                    after = key
                if len(rows) < chunk:
                    return
        finally:
            page.scanned, page.read, page.count = scanned, read, count

    def _read_text(self: DynamoDBProvider, state: DynamoDBState, schema: TableSchema, index: IndexSchema | None,
                   page: _Page, start: bytes, end: bytes | None, after: bytes | None, reverse: bool) -> None:
        """``_read`` with nothing to evaluate per item (no filter, no projection, no base-table fetch)
        for the json wire: each item goes from the store to the answer as JSON text, never decoded."""
        limit = page.limit
        items = page.items = RawJsonList()
        keep = items.append
        scanned, read, count = page.scanned, page.read, page.count
        on_index = index is not None
        try:
            while True:
                chunk = CHUNK if limit is None else min(CHUNK, limit - scanned)
                rows = self.storage.raw_rows(state, start, end, after, reverse, chunk, on_index)
                for key, text, size, binary in rows:
                    scanned += 1
                    count += 1
                    read += size
                    keep(text)
                    if (limit is not None and scanned >= limit) or read >= PAGE_BYTES:
                        page.last = self._evaluated_key(schema, index, decode_text(text, binary))
                        return
                    after = key
                if len(rows) < chunk:
                    return
        finally:
            page.scanned, page.read, page.count = scanned, read, count

    @staticmethod
    def _evaluated_key(schema: TableSchema, index: IndexSchema | None, item: dict) -> dict:
        names = list(schema.key_names)
        if index is not None:
            names += [n for n in (index.hash_name, index.range_name) if n is not None and n not in names]
        return {name: item[name] for name in names if name in item}

    def _answer(self: DynamoDBProvider, schema: TableSchema, index: IndexSchema | None, page: _Page,
                params: dict) -> dict:
        out: dict[str, Any] = {"Count": page.count, "ScannedCount": page.scanned}
        if page.select != "COUNT":
            out["Items"] = page.items
        if page.last is not None:
            out["LastEvaluatedKey"] = page.last
        consumed = Consumed(schema)
        units = read_units(page.read, bool(params.get("ConsistentRead")))
        if index is None:
            consumed.table = units
        else:
            consumed.add_index(index, units)
            consumed.table = page.base_reads
        if self.throttle is not None:
            self.throttle.spend_read(schema, consumed, index)
        report = consumed.report(params.get("ReturnConsumedCapacity"))
        if report is not None:
            out["ConsumedCapacity"] = report
        return out

    # --- Scan ----------------------------------------------------------------------------

    def scan(self: DynamoDBProvider, ctx: RequestContext, params: dict) -> dict:
        legacy.check_mixed(params)
        segment, total = params.get("Segment"), params.get("TotalSegments")
        if segment is not None and total is None:
            raise invalid(
                "The TotalSegments parameter is required but was not present in the request when Segment parameter "
                "is present"
            )
        if total is not None and segment is None:
            raise invalid(
                "The Segment parameter is required but was not present in the request when parameter TotalSegments "
                "is present"
            )
        if segment is not None and segment >= total:
            raise invalid(
                "The Segment parameter is zero-based and must be less than parameter TotalSegments: "
                f"Segment: {segment} is not less than TotalSegments: {total}"
            )
        expressions = RequestExpressions(params.get("ExpressionAttributeNames"), params.get("ExpressionAttributeValues"))
        if params.get("ScanFilter") is not None or params.get("AttributesToGet") is not None:
            condition = legacy.conditions(params.get("ScanFilter"), params.get("ConditionalOperator"), "ScanFilter")
            projection = legacy.attributes_to_get(params.get("AttributesToGet"))
        else:
            if params.get("ConditionalOperator") is not None:
                raise invalid("ConditionalOperator can only be used when Filter or Expected has been specified.")
            condition = expressions.condition(params.get("FilterExpression"), "FilterExpression")
            projection = expressions.projection(params.get("ProjectionExpression"))
            expressions.finish()
        schema = self.table(ctx, params["TableName"])
        index = self._index(schema, params)
        select = _select(params, projection, index, False)
        prefix = index.prefix if index is not None else schema.uid
        if segment is not None:
            low, high = keys.segment_bounds(segment, total)
            start, end = prefix + low, (prefix + high) if high is not None else keys.successor(prefix)
        else:
            start, end = prefix, keys.successor(prefix)
        after = self._start_key(schema, index, params.get("ExclusiveStartKey"))
        state = self.state(ctx)
        if self.throttle is not None:
            self.throttle.check_read(schema, index)
        page = _Page(select, projection, condition, params.get("Limit"), ctx.protocol == "json")
        self._read(state, schema, index, page, start, end, after, False)
        return self._answer(schema, index, page, params)


def _covers(index: IndexSchema, page: _Page) -> bool:
    """Whether the index's projection holds every attribute the read asked for."""
    if page.select == "ALL_ATTRIBUTES":
        return index.projection == "ALL"
    if page.projection is None:
        return True
    return all(path[0] in index.include for path in page.projection)


def _path_heads(node: object, heads: set | None = None) -> set:
    """The top-level attribute names a bound condition reads (a Query filter may not name the key)."""
    heads = set() if heads is None else heads
    if isinstance(node, tuple):
        if node and node[0] == "path":
            heads.add(node[1][0])
        else:
            for part in node:
                _path_heads(part, heads)
    elif isinstance(node, list):
        for part in node:
            _path_heads(part, heads)
    return heads
