"""BatchGetItem and BatchWriteItem.

Everything is validated before anything is read or written. A batch runs in the
request's one transaction, so Cloudlet never leaves items unprocessed for lack
of capacity; BatchGetItem answers UnprocessedKeys only past its 16 MB limit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cloudlet.services.dynamodb import legacy
from cloudlet.services.dynamodb.capacity import Consumed, read_units, report_all
from cloudlet.services.dynamodb.expressions import RequestExpressions, project
from cloudlet.services.dynamodb.items import collection_metrics, write_consumed
from cloudlet.services.dynamodb.schema import KEY_MISMATCH
from cloudlet.services.dynamodb.values import MAX_ITEM_SIZE, check_item, invalid

if TYPE_CHECKING:
    from cloudlet.context import RequestContext
    from cloudlet.services.dynamodb.provider import DynamoDBProvider

MAX_GET_KEYS = 100
MAX_WRITES = 25
MAX_GET_BYTES = 16 * 1024 * 1024


class BatchOperations:
    def batch_get_item(self: DynamoDBProvider, ctx: RequestContext, params: dict) -> dict:
        requests = params["RequestItems"]
        if not requests:
            raise invalid("The requestItems parameter is required for BatchGetItem")
        if sum(len(r["Keys"]) for r in requests.values()) > MAX_GET_KEYS:
            raise invalid("Too many items requested for the BatchGetItem call")
        kinds = set()
        plans = []
        for name, request in requests.items():
            legacy.check_mixed(request)
            if request.get("AttributesToGet") is not None:
                kinds.add("legacy")
                projection = legacy.attributes_to_get(request["AttributesToGet"])
            else:
                expressions = RequestExpressions(request.get("ExpressionAttributeNames"), None)
                projection = expressions.projection(request.get("ProjectionExpression"))
                if projection is not None:
                    kinds.add("expression")
                expressions.finish()
            plans.append((name, request, projection))
        if len(kinds) > 1:
            raise invalid(
                "Can not use both expression and non-expression parameters in the same request: "
                "Non-expression parameters: {AttributesToGet} Expression parameters: {ProjectionExpression}"
            )
        state = self.state(ctx)
        resolved = []
        for name, request, projection in plans:
            schema = self.table(ctx, name, state)
            keys_seen: set[bytes] = set()
            store_keys = []
            for key in request["Keys"]:
                store_key = schema.key_from_key(key)
                if store_key in keys_seen:
                    raise invalid("Provided list of item keys contains duplicates")
                keys_seen.add(store_key)
                store_keys.append((store_key, key))
            resolved.append((name, schema, request, projection, store_keys))
        responses: dict[str, list] = {}
        unprocessed: dict[str, dict] = {}
        consumed: dict[str, Consumed] = {}
        total = 0
        served = 0
        for name, schema, request, projection, store_keys in resolved:
            consistent = bool(request.get("ConsistentRead"))
            bucket = responses.setdefault(name, [])
            used = consumed.setdefault(name, Consumed(schema))
            for position, (store_key, _key) in enumerate(store_keys):
                throttled = self.throttle is not None and not self.throttle.allows(schema, "read")
                if total >= MAX_GET_BYTES or throttled:
                    rest = {k: v for k, v in request.items() if k != "Keys"}
                    rest["Keys"] = [k for _, k in store_keys[position:]]
                    unprocessed[name] = rest
                    break
                found = self.storage.get(state, store_key)
                size = 0
                if found is not None:
                    item, size = found
                    total += size
                    bucket.append(project(item, projection) if projection is not None else item)
                used.table += read_units(size, consistent)
                served += 1
                if self.throttle is not None:
                    one = Consumed(schema)
                    one.table = read_units(size, consistent)
                    self.throttle.spend_read(schema, one)
        if served == 0 and unprocessed:
            raise self.throttle.exceeded()  # type: ignore[union-attr]
        out: dict[str, Any] = {"Responses": responses, "UnprocessedKeys": unprocessed}
        report = report_all(consumed, params.get("ReturnConsumedCapacity"))
        if report is not None:
            out["ConsumedCapacity"] = report
        return out

    def batch_write_item(self: DynamoDBProvider, ctx: RequestContext, params: dict) -> dict:
        requests = params["RequestItems"]
        if not requests:
            raise invalid("The requestItems parameter is required for BatchWriteItem")
        if sum(len(r) for r in requests.values()) > MAX_WRITES:
            raise invalid("Too many items requested for the BatchWriteItem call")
        state = self.state(ctx)
        plans = []
        requests_flat = []
        for name, writes in requests.items():
            schema = self.table(ctx, name, state)
            seen: set[bytes] = set()
            for write in writes:
                requests_flat.append(write)
                put, delete = write.get("PutRequest"), write.get("DeleteRequest")
                if (put is None) == (delete is None):
                    raise invalid("Request must contain exactly one of PutRequest or DeleteRequest")
                if put is not None:
                    item, checked = check_item(put["Item"])
                    if checked.size > MAX_ITEM_SIZE:
                        raise invalid("Item size has exceeded the maximum allowed size")
                    for key_name, kind in ((schema.hash_name, schema.hash_type),
                                           (schema.range_name, schema.range_type)):
                        if key_name is None:
                            continue
                        value = item.get(key_name)
                        if value is not None:
                            schema._check_empty(key_name, value)
                        if value is None or kind not in value:
                            raise invalid(KEY_MISMATCH)
                    key = schema.key_from_item(item)
                    if schema.index_attributes:
                        schema.check_index_keys(item)
                    plans.append((schema, key, item, checked))
                else:
                    key = schema.key_from_key(delete["Key"])
                    plans.append((schema, key, None, None))
                if key in seen:
                    raise invalid("Provided list of item keys contains duplicates")
                seen.add(key)
        consumed: dict[str, Consumed] = {}
        metrics: dict[str, list] = {}
        unprocessed: dict[str, list] = {}
        for position, (schema, key, item, checked) in enumerate(plans):
            if self.throttle is not None and not self.throttle.allows(schema, "write"):
                unprocessed.setdefault(schema.name, []).append(requests_flat[position])
                continue
            old, old_size = self.storage.old_item(state, schema, key, False)
            used = consumed.setdefault(schema.name, Consumed(schema))
            if item is None and old is None:
                used.table += 1.0
                continue
            cost = self.storage.write(state, schema, key, old, old_size, item,
                                      checked.size if checked else 0, checked.binary if checked else False)
            used.table += cost.table
            for index, units in cost.indexes.items():
                used.add_index(index, units)
            if self.throttle is not None:
                self.throttle.spend_write(schema, write_consumed(schema, cost))
            entry = collection_metrics(schema, item or old, params.get("ReturnItemCollectionMetrics"))
            if entry is not None:
                metrics.setdefault(schema.name, []).append(entry)
        if unprocessed and sum(len(v) for v in unprocessed.values()) == len(plans):
            raise self.throttle.exceeded()  # type: ignore[union-attr]
        out: dict[str, Any] = {"UnprocessedItems": unprocessed}
        report = report_all(consumed, params.get("ReturnConsumedCapacity"))
        if report is not None:
            out["ConsumedCapacity"] = report
        if params.get("ReturnItemCollectionMetrics") == "SIZE":
            out["ItemCollectionMetrics"] = metrics
        return out
