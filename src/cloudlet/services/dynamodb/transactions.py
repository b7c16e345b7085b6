"""TransactWriteItems and TransactGetItems.

A transaction is one provider call, so it runs in one SQLite transaction on the
event loop: no other request sees it half-applied. Everything knowable from the
request alone is checked first (a top-level ValidationException); then every
action is checked against the stored items, and any failure cancels the whole
transaction with one CancellationReason per action, in request order.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any

from cloudlet.protocol.errors import ServiceError
from cloudlet.services.dynamodb.capacity import Consumed, read_units, report_all
from cloudlet.services.dynamodb.expressions import (
    EvaluationError,
    RequestExpressions,
    apply_update,
    evaluate,
    project,
)
from cloudlet.services.dynamodb.items import CONDITION_FAILED, collection_metrics
from cloudlet.services.dynamodb.schema import KEY_MISMATCH, TableSchema
from cloudlet.services.dynamodb.values import (
    MAX_ITEM_SIZE,
    check_item,
    has_binary,
    invalid,
    invalid_parameter,
    item_size,
)

if TYPE_CHECKING:
    from cloudlet.context import RequestContext
    from cloudlet.services.dynamodb.provider import DynamoDBProvider

TOKEN_LIFETIME = 600  # ClientRequestToken idempotency window (seconds)
MAX_TRANSACTION_SIZE = 4 * 1024 * 1024  # the items a transaction writes, together


class _Action:
    __slots__ = ("kind", "spec", "schema", "key", "item", "checked", "condition", "actions", "key_error", "old",
                 "old_size", "new", "new_size")

    def __init__(self, kind: str, spec: dict, schema: TableSchema) -> None:
        self.kind = kind
        self.spec = spec
        self.schema = schema
        self.key: bytes | None = None
        self.item: dict | None = None
        self.checked: Any = None
        self.condition: tuple | None = None
        self.actions: list[tuple] = []
        self.key_error: ServiceError | None = None
        self.old: dict | None = None
        self.old_size = 0
        self.new: dict | None = None
        self.new_size = 0


def _canonical(params: dict) -> str:
    def default(value: Any) -> Any:
        if isinstance(value, bytes | bytearray):
            return value.hex()
        raise TypeError
    relevant = {k: v for k, v in params.items() if k != "ReturnConsumedCapacity"}
    return hashlib.sha256(json.dumps(relevant, sort_keys=True, default=default).encode()).hexdigest()


class TransactionOperations:
    def transact_write_items(self: DynamoDBProvider, ctx: RequestContext, params: dict) -> dict:
        state = self.state(ctx)
        now = self.runtime.clock.now()
        token = params.get("ClientRequestToken")
        digest = _canonical(params) if token else None
        if token:
            seen = state.tokens.get(token)
            if seen is not None and now - seen["at"] < TOKEN_LIFETIME:
                if seen["digest"] != digest:
                    raise ServiceError(
                        "IdempotentParameterMismatchException",
                        "The request uses the same client token as a previous, but non-identical request.",
                    )
                return self._replayed(ctx, params)
        plans = [self._plan(ctx, entry) for entry in params["TransactItems"]]
        if sum(plan.checked.size for plan in plans if plan.checked is not None) > MAX_TRANSACTION_SIZE:
            raise invalid("Transaction request cannot be larger than 4 MB")
        seen_keys: set[tuple[str, bytes]] = set()
        for plan in plans:
            if plan.key is None:
                continue
            identity = (plan.schema.name, plan.key)
            if identity in seen_keys:
                raise invalid("Transaction request cannot include multiple operations on one item")
            seen_keys.add(identity)
        reasons: list[dict] = []
        failed = False
        for plan in plans:
            reason = self._check(state, plan)
            failed |= reason["Code"] != "None"
            reasons.append(reason)
        if failed:
            codes = ", ".join(r["Code"] for r in reasons)
            raise ServiceError(
                "TransactionCanceledException",
                f"Transaction cancelled, please refer cancellation reasons for specific reasons [{codes}]",
                CancellationReasons=reasons,
            )
        consumed: dict[str, Consumed] = {}
        metrics: dict[str, list] = {}
        for plan in plans:
            used = consumed.setdefault(plan.schema.name, Consumed(plan.schema))
            if plan.kind == "ConditionCheck":
                used.table += read_units(plan.old_size, True, transactional=True)
                continue
            if plan.kind == "Delete" and plan.old is None:
                used.table += 2.0
                continue
            binary = plan.checked.binary if plan.kind == "Put" else any(has_binary(v) for v in (plan.new or {}).values())
            cost = self.storage.write(state, plan.schema, plan.key, plan.old, plan.old_size, plan.new,  # type: ignore[arg-type]
                                      plan.new_size, binary)
            used.table += cost.table * 2
            for index, units in cost.indexes.items():
                used.add_index(index, units * 2)
            entry = collection_metrics(plan.schema, plan.new or plan.old, params.get("ReturnItemCollectionMetrics"))
            if entry is not None:
                metrics.setdefault(plan.schema.name, []).append(entry)
        if token:
            state.tokens.put(token, {"at": now, "digest": digest})
        out: dict[str, Any] = {}
        report = report_all(consumed, params.get("ReturnConsumedCapacity"), "Write")
        if report is not None:
            out["ConsumedCapacity"] = report
        if params.get("ReturnItemCollectionMetrics") == "SIZE":
            out["ItemCollectionMetrics"] = metrics
        return out

    def _replayed(self: DynamoDBProvider, ctx: RequestContext, params: dict) -> dict:
        """The answer to a repeated request: nothing is written again; DynamoDB charges a transactional
        read of each item the request named, as it is now."""
        mode = params.get("ReturnConsumedCapacity")
        if mode not in ("TOTAL", "INDEXES"):
            return {}
        state = self.state(ctx)
        consumed: dict[str, Consumed] = {}
        for plan in (self._plan(ctx, entry) for entry in params["TransactItems"]):
            found = self.storage.get(state, plan.key) if plan.key is not None else None
            used = consumed.setdefault(plan.schema.name, Consumed(plan.schema))
            used.table += read_units(found[1] if found else 0, True, transactional=True)
        return {"ConsumedCapacity": report_all(consumed, mode, "Read")}

    def _plan(self: DynamoDBProvider, ctx: RequestContext, entry: dict) -> _Action:
        present = [k for k in ("ConditionCheck", "Put", "Delete", "Update") if entry.get(k) is not None]
        if len(present) != 1:
            raise invalid(
                "TransactItems can only contain one of Check, Put, Update or Delete"
                if present else "Invalid Request: TransactWriteItem must contain exactly one of "
                                "ConditionCheck, Put, Update or Delete"
            )
        kind = present[0]
        spec = entry[kind]
        expressions = RequestExpressions(spec.get("ExpressionAttributeNames"), spec.get("ExpressionAttributeValues"))
        condition = expressions.condition(spec.get("ConditionExpression"), "ConditionExpression")
        actions = expressions.update(spec.get("UpdateExpression")) if kind == "Update" else []
        if kind == "ConditionCheck" and condition is None:
            raise invalid("The ConditionExpression parameter is required for ConditionCheck")
        expressions.finish()
        item = None
        checked = None
        if kind == "Put":
            item, checked = check_item(spec["Item"])
            if checked.size > MAX_ITEM_SIZE:
                raise invalid("Item size has exceeded the maximum allowed size")
        schema = self.table(ctx, spec["TableName"])
        plan = _Action(kind, spec, schema)
        plan.condition = condition
        plan.actions = actions or []
        plan.item, plan.checked = item, checked
        if kind == "Put":
            for name in schema.key_names:
                value = item.get(name)  # type: ignore[union-attr]
                if value is not None:
                    schema._check_empty(name, value)
            for name in schema.index_attributes:
                value = item.get(name)  # type: ignore[union-attr]
                if value is not None:
                    for kind_name in ("S", "B"):
                        inner = value.get(kind_name)
                        if inner is not None and len(inner) == 0 and schema.attribute_types[name] == kind_name:
                            schema.check_index_keys({name: value})
            try:
                plan.key = schema.key_from_item(item)  # type: ignore[arg-type]
            except ServiceError as e:
                plan.key_error = e
        else:
            for name in schema.key_names:
                value = spec["Key"].get(name)
                if value is not None:
                    schema._check_empty(name, value)
            try:
                plan.key = schema.key_from_key(spec["Key"])
            except ServiceError as e:
                if e.message != KEY_MISMATCH:
                    raise
                plan.key_error = e
            for action in plan.actions:
                if action[1][0] in schema.key_names:
                    raise invalid_parameter(f"Cannot update attribute {action[1][0]}. This attribute is part of the key")
            for action in plan.actions:
                value = action[2] if len(action) > 2 else None
                if action[0] == "set" and value and value[0] == "value" and action[1][0] in schema.index_attributes:
                    inner = value[1]
                    kind_name = schema.attribute_types[action[1][0]]
                    if kind_name in ("S", "B") and kind_name in inner and len(inner[kind_name]) == 0:
                        schema.check_index_keys({action[1][0]: inner}, updated=True)
        return plan

    def _check(self: DynamoDBProvider, state: Any, plan: _Action) -> dict:
        """This action's CancellationReason: None, or why it cannot happen."""
        if plan.key_error is not None:
            return {"Code": "ValidationError", "Message": plan.key_error.message}
        schema = plan.schema
        found = self.storage.get(state, plan.key)  # type: ignore[arg-type]
        plan.old, plan.old_size = found if found is not None else (None, 0)
        if plan.kind == "Put" and schema.index_attributes:
            try:
                schema.check_index_keys(plan.item)  # type: ignore[arg-type]
            except ServiceError as e:
                return {"Code": "ValidationError", "Message": e.message}
        if plan.condition is not None and not evaluate(plan.condition, plan.old):
            reason: dict[str, Any] = {"Code": "ConditionalCheckFailed", "Message": CONDITION_FAILED}
            if plan.spec.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD" and plan.old is not None:
                reason["Item"] = plan.old
            return reason
        if plan.kind == "Put":
            plan.new, plan.new_size = plan.item, plan.checked.size
        elif plan.kind == "Update":
            base = plan.old if plan.old is not None else {n: plan.spec["Key"][n] for n in schema.key_names}
            try:
                new = apply_update(base, plan.actions) if plan.actions else dict(base)
            except EvaluationError as e:
                return {"Code": "ValidationError", "Message": e.message}
            size = item_size(new)
            if size > MAX_ITEM_SIZE:
                return {"Code": "ValidationError", "Message": "Item size to update has exceeded the maximum allowed size"}
            if schema.index_attributes:
                try:
                    schema.check_index_keys(new, updated=True)
                except ServiceError as e:
                    return {"Code": "ValidationError", "Message": e.message}
            plan.new, plan.new_size = new, size
        return {"Code": "None"}

    def transact_get_items(self: DynamoDBProvider, ctx: RequestContext, params: dict) -> dict:
        state = self.state(ctx)
        plans = []
        seen: set[tuple[str, bytes]] = set()
        for entry in params["TransactItems"]:
            spec = entry["Get"]
            expressions = RequestExpressions(spec.get("ExpressionAttributeNames"), None)
            projection = expressions.projection(spec.get("ProjectionExpression"))
            expressions.finish()
            schema = self.table(ctx, spec["TableName"])
            for name in schema.key_names:
                value = spec["Key"].get(name)
                if value is not None:
                    schema._check_empty(name, value)
            try:
                key = schema.key_from_key(spec["Key"])
            except ServiceError as e:
                if e.message != KEY_MISMATCH:
                    raise
                plans.append((schema, None, e))  # reported as this action's cancellation reason
                continue
            if (schema.name, key) in seen:
                raise invalid("Transaction request cannot include multiple operations on one item")
            seen.add((schema.name, key))
            plans.append((schema, key, projection))
        if any(key is None for _, key, _ in plans):
            reasons = [{"Code": "ValidationError", "Message": extra.message} if key is None else {"Code": "None"}
                       for _, key, extra in plans]
            codes = ", ".join(r["Code"] for r in reasons)
            raise ServiceError(
                "TransactionCanceledException",
                f"Transaction cancelled, please refer cancellation reasons for specific reasons [{codes}]",
                CancellationReasons=reasons,
            )
        responses = []
        consumed: dict[str, Consumed] = {}
        for schema, key, projection in plans:
            found = self.storage.get(state, key)
            used = consumed.setdefault(schema.name, Consumed(schema))
            if found is None:
                responses.append({})
                used.table += read_units(0, True, transactional=True)
                continue
            item, size = found
            used.table += read_units(size, True, transactional=True)
            responses.append({"Item": project(item, projection) if projection is not None else item})
        out: dict[str, Any] = {"Responses": responses}
        report = report_all(consumed, params.get("ReturnConsumedCapacity"), "Read")
        if report is not None:
            out["ConsumedCapacity"] = report
        return out
