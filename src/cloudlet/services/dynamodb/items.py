"""PutItem, GetItem, UpdateItem and DeleteItem.

Each is: validate the request (values, expressions, key), read the item once,
check the condition against it, write item + indexes + stream record in the
request's transaction, and answer with what ReturnValues asked for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cloudlet.protocol.errors import ServiceError
from cloudlet.protocol.json_rpc import RawJson
from cloudlet.services.dynamodb import legacy
from cloudlet.services.dynamodb.capacity import Consumed, read_units
from cloudlet.services.dynamodb.expressions import (
    EvaluationError,
    RequestExpressions,
    apply_update,
    evaluate,
    project,
)
from cloudlet.services.dynamodb.schema import TableSchema
from cloudlet.services.dynamodb.storage import WriteCost
from cloudlet.services.dynamodb.values import (
    MAX_ITEM_SIZE,
    check_item,
    has_binary,
    invalid,
    invalid_parameter,
    item_size,
    value_size,
)

if TYPE_CHECKING:
    from cloudlet.context import RequestContext
    from cloudlet.services.dynamodb.provider import DynamoDBProvider

CONDITION_FAILED = "The conditional request failed"
_REPORTED = ("TOTAL", "INDEXES")  # the ReturnConsumedCapacity values that report (NONE and absent do not)


def condition_failed(old: dict | None, on_failure: str | None) -> ServiceError:
    if on_failure == "ALL_OLD" and old is not None:
        return ServiceError("ConditionalCheckFailedException", CONDITION_FAILED, Item=old)
    return ServiceError("ConditionalCheckFailedException", CONDITION_FAILED)


def collection_metrics(schema: TableSchema, item: dict | None, requested: str | None) -> dict | None:
    """ItemCollectionMetrics: only for tables with local secondary indexes, when asked for."""
    if requested != "SIZE" or not schema.has_lsi or item is None:
        return None
    return {"ItemCollectionKey": {schema.hash_name: item[schema.hash_name]}, "SizeEstimateRangeGB": [0.0, 1.0]}


def write_consumed(schema: TableSchema, cost: WriteCost) -> Consumed:
    consumed = Consumed(schema)
    consumed.table = cost.table
    for index, units in cost.indexes.items():
        consumed.add_index(index, units)
    return consumed


def updated_paths(actions: list[tuple]) -> list[tuple]:
    return [action[1] for action in actions]


class ItemOperations:
    # --- PutItem ------------------------------------------------------------------------

    def put_item(self: DynamoDBProvider, ctx: RequestContext, params: dict) -> dict:
        legacy.check_mixed(params)
        returns = params.get("ReturnValues") or "NONE"
        if returns not in ("NONE", "ALL_OLD"):
            raise invalid("Return values set to invalid value")
        item, checked = check_item(params["Item"])
        condition = self.write_condition(params)
        schema = self.table(ctx, params["TableName"])
        if checked.size > MAX_ITEM_SIZE:
            raise invalid("Item size has exceeded the maximum allowed size")
        key = schema.key_from_item(item)
        if schema.index_attributes:
            schema.check_index_keys(item)
        state = self.state(ctx)
        if self.throttle is not None:
            self.throttle.check_write(schema)
        if schema.simple and condition is None and returns == "NONE":
            cost = self.storage.put_simple(state, schema, key, item, checked.size, checked.binary)
            return self.write_answer(schema, cost, params, None, item)
        old, old_size = self.storage.old_item(state, schema, key, condition is not None or returns != "NONE")
        if condition is not None and not evaluate(condition, old):
            raise condition_failed(old, params.get("ReturnValuesOnConditionCheckFailure"))
        cost = self.storage.write(state, schema, key, old, old_size, item, checked.size, checked.binary)
        return self.write_answer(schema, cost, params, old if returns == "ALL_OLD" else None, item)

    def write_answer(self: DynamoDBProvider, schema: TableSchema, cost: WriteCost, params: dict,
                     attributes: dict | None, collection_item: dict) -> dict:
        """A single-item write's answer: capacity spent (and throttled on), the attributes to return,
        ConsumedCapacity and ItemCollectionMetrics as asked."""
        if (attributes is None and self.throttle is None and params.get("ReturnConsumedCapacity") not in _REPORTED
                and params.get("ReturnItemCollectionMetrics") != "SIZE"):
            return {}  # nothing asked for and nothing to spend: the usual answer
        consumed = write_consumed(schema, cost)
        if self.throttle is not None:
            self.throttle.spend_write(schema, consumed)
        out: dict[str, Any] = {}
        if attributes is not None:
            out["Attributes"] = attributes
        report = consumed.report(params.get("ReturnConsumedCapacity"))
        if report is not None:
            out["ConsumedCapacity"] = report
        metrics = collection_metrics(schema, collection_item, params.get("ReturnItemCollectionMetrics"))
        if metrics is not None:
            out["ItemCollectionMetrics"] = metrics
        return out

    def write_condition(self: DynamoDBProvider, params: dict) -> tuple | None:
        """The condition of a write (ConditionExpression or Expected), names and values checked."""
        if params.get("Expected") is not None:
            return legacy.conditions(params["Expected"], params.get("ConditionalOperator"), "Expected")
        if params.get("ConditionalOperator") is not None:
            raise invalid("ConditionalOperator can only be used when Filter or Expected has been specified.")
        if ("ConditionExpression" not in params and "ExpressionAttributeNames" not in params
                and "ExpressionAttributeValues" not in params):
            return None
        expressions = RequestExpressions(params.get("ExpressionAttributeNames"), params.get("ExpressionAttributeValues"))
        condition = expressions.condition(params.get("ConditionExpression"), "ConditionExpression")
        expressions.finish()
        return condition

    # --- GetItem --------------------------------------------------------------------------

    def get_item(self: DynamoDBProvider, ctx: RequestContext, params: dict) -> dict:
        legacy.check_mixed(params)
        projection = self.read_projection(params)
        schema = self.table(ctx, params["TableName"])
        key = schema.key_from_key(params["Key"])
        state = self.state(ctx)
        if self.throttle is not None:
            self.throttle.check_read(schema)
        consistent = bool(params.get("ConsistentRead"))
        out: dict[str, Any] = {}
        size = 0
        if projection is None and ctx.protocol == "json":
            # Straight from the store to the answer as JSON text: never decoded, never re-encoded.
            text = self.storage.get_text(state, key)
            if text is not None:
                out["Item"] = RawJson(text[0])
                size = text[1]
        else:
            found = self.storage.get(state, key)
            if found is not None:
                item, size = found
                out["Item"] = project(item, projection) if projection is not None else item
        mode = params.get("ReturnConsumedCapacity")
        if self.throttle is None and mode not in _REPORTED:
            return out
        consumed = Consumed(schema)
        consumed.table = read_units(size, consistent)
        if self.throttle is not None:
            self.throttle.spend_read(schema, consumed)
        report = consumed.report(mode)
        if report is not None:
            out["ConsumedCapacity"] = report
        return out

    def read_projection(self: DynamoDBProvider, params: dict) -> list[tuple] | None:
        if params.get("AttributesToGet") is not None:
            return legacy.attributes_to_get(params["AttributesToGet"])
        if "ProjectionExpression" not in params and "ExpressionAttributeNames" not in params:
            return None
        expressions = RequestExpressions(params.get("ExpressionAttributeNames"), None)
        projection = expressions.projection(params.get("ProjectionExpression"))
        expressions.finish()
        return projection

    # --- DeleteItem ---------------------------------------------------------------------

    def delete_item(self: DynamoDBProvider, ctx: RequestContext, params: dict) -> dict:
        legacy.check_mixed(params)
        returns = params.get("ReturnValues") or "NONE"
        if returns not in ("NONE", "ALL_OLD"):
            raise invalid("Return values set to invalid value")
        condition = self.write_condition(params)
        schema = self.table(ctx, params["TableName"])
        key = schema.key_from_key(params["Key"])
        state = self.state(ctx)
        if self.throttle is not None:
            self.throttle.check_write(schema)
        old, old_size = self.storage.old_item(state, schema, key, condition is not None or returns != "NONE")
        if condition is not None and not evaluate(condition, old):
            raise condition_failed(old, params.get("ReturnValuesOnConditionCheckFailure"))
        if old is not None:
            cost = self.storage.write(state, schema, key, old, old_size, None)
        else:
            cost = WriteCost()
            cost.table = 1.0
        return self.write_answer(schema, cost, params, old if returns == "ALL_OLD" else None,
                                 old or schema_key(schema, params["Key"]))

    # --- UpdateItem -----------------------------------------------------------------------

    def update_item(self: DynamoDBProvider, ctx: RequestContext, params: dict) -> dict:
        legacy.check_mixed(params)
        returns = params.get("ReturnValues") or "NONE"
        schema_name = params["TableName"]
        if params.get("AttributeUpdates") is not None or params.get("Expected") is not None:
            condition = (legacy.conditions(params["Expected"], params.get("ConditionalOperator"), "Expected")
                         if params.get("Expected") is not None else None)
            schema = self.table(ctx, schema_name)
            actions = legacy.attribute_updates(params.get("AttributeUpdates") or {}, schema.key_names)
        else:
            if params.get("ConditionalOperator") is not None:
                raise invalid("ConditionalOperator can only be used when Filter or Expected has been specified.")
            expressions = RequestExpressions(params.get("ExpressionAttributeNames"),
                                             params.get("ExpressionAttributeValues"))
            actions = expressions.update(params.get("UpdateExpression")) or []
            condition = expressions.condition(params.get("ConditionExpression"), "ConditionExpression")
            expressions.finish()
            schema = self.table(ctx, schema_name)
            for action in actions:
                if action[1][0] in schema.key_names:
                    raise invalid_parameter(
                        f"Cannot update attribute {action[1][0]}. This attribute is part of the key"
                    )
        key = schema.key_from_key(params["Key"])
        state = self.state(ctx)
        if self.throttle is not None:
            self.throttle.check_write(schema)
        found = self.storage.get(state, key)
        old, old_size = found if found is not None else (None, 0)
        if condition is not None and not evaluate(condition, old):
            raise condition_failed(old, params.get("ReturnValuesOnConditionCheckFailure"))
        new, new_size = self.updated_item(schema, params["Key"], old, actions)
        if actions and _written_size(new, actions) + _action_cost(actions) > MAX_ITEM_SIZE:
            raise invalid("Item size to update has exceeded the maximum allowed size")
        cost = self.storage.write(state, schema, key, old, old_size, new, new_size, _binary(new))
        return self.write_answer(schema, cost, params, returned_attributes(returns, old, new, actions), new)

    def updated_item(self: DynamoDBProvider, schema: TableSchema, key: dict, old: dict | None,
                     actions: list[tuple]) -> tuple[dict, int]:
        """The item after an update (created from its key when absent), validated."""
        base = old if old is not None else {name: key[name] for name in schema.key_names}
        try:
            new = apply_update(base, actions) if actions else dict(base)
        except EvaluationError as e:
            raise e.service_error()
        size = item_size(new)
        if size > MAX_ITEM_SIZE:
            raise invalid("Item size to update has exceeded the maximum allowed size")
        if schema.index_attributes:
            schema.check_index_keys(new, updated=True)
        return new, size


def _written_size(item: dict, actions: list[tuple]) -> int:
    """What an UpdateItem writes: the top-level attributes its actions touch, names and values."""
    touched = {action[1][0] for action in actions}
    return sum(_name_bytes(name) + value_size(item[name]) for name in touched if name in item)


def _action_cost(actions: list[tuple]) -> int:
    # UpdateItem measures what it writes plus a fixed cost per action, measured against DynamoDB at the
    # 400 KB gate: 3 bytes for the update, 19 per SET or ADD, 2 per REMOVE or DELETE.
    return 3 + sum(19 if action[0] in ("set", "add") else 2 for action in actions)


def _name_bytes(name: str) -> int:
    return len(name) if name.isascii() else len(name.encode("utf-8"))


def _binary(item: dict) -> bool:
    return any(has_binary(value) for value in item.values())


def schema_key(schema: TableSchema, key: dict) -> dict:
    return {name: key[name] for name in schema.key_names if name in key}


def returned_attributes(returns: str, old: dict | None, new: dict, actions: list[tuple]) -> dict | None:
    if returns == "ALL_OLD":
        return old
    if returns == "ALL_NEW":
        return new
    if returns == "UPDATED_OLD":
        if old is None:
            return None
        return project(old, updated_paths(actions)) or None
    if returns == "UPDATED_NEW":
        return project(new, updated_paths(actions)) or None
    return None

