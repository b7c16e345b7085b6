"""ExecuteStatement, BatchExecuteStatement and ExecuteTransaction.

A SELECT whose WHERE pins the partition key (of the table or the index it names)
is a Query of that partition, narrowed by a sort key condition when there is one;
any other SELECT is a Scan. The whole WHERE is then the filter. INSERT, UPDATE and
DELETE address one item by its full key; ExecuteTransaction runs its writes through
the same machinery as TransactWriteItems.
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any

from cloudlet.protocol.errors import ServiceError
from cloudlet.services.dynamodb import keys
from cloudlet.services.dynamodb.capacity import Consumed, read_units
from cloudlet.services.dynamodb.expressions import evaluate, resolve
from cloudlet.services.dynamodb.items import condition_failed, write_consumed
from cloudlet.services.dynamodb.keycondition import KeyCondition
from cloudlet.services.dynamodb.partiql.parser import Statement, parse
from cloudlet.services.dynamodb.reads import PAGE_BYTES
from cloudlet.services.dynamodb.schema import IndexSchema, TableSchema
from cloudlet.services.dynamodb.transactions import _Action, _canonical
from cloudlet.services.dynamodb.values import MAX_ITEM_SIZE, check_item, has_binary, invalid

if TYPE_CHECKING:
    from cloudlet.context import RequestContext
    from cloudlet.services.dynamodb.provider import DynamoDBProvider
    from cloudlet.services.dynamodb.state import DynamoDBState

NO_KEY = "Where clause does not contain a mandatory equality on all key attributes"
DUPLICATE = "Duplicate primary key exists in table"
TOKEN_LIFETIME = 600


def _conjuncts(node: tuple | None) -> list[tuple]:
    if node is None:
        return []
    if node[0] == "and":
        return _conjuncts(node[1]) + _conjuncts(node[2])
    return [node]


def _equalities(where: tuple | None) -> dict[str, dict]:
    """Attribute = value conditions among the top-level conjuncts of a WHERE."""
    found: dict[str, dict] = {}
    for part in _conjuncts(where):
        if part[0] != "cmp" or part[1] != "=":
            continue
        left, right = part[2], part[3]
        if left[0] == "value":
            left, right = right, left
        if left[0] == "path" and len(left[1]) == 1 and right[0] == "value" and right[1] is not None:
            found.setdefault(left[1][0], right[1])
    return found


def _paths(node: Any, out: set[str]) -> set[str]:
    """The top-level attributes a condition reads."""
    if isinstance(node, tuple):
        if node and node[0] in ("path", "exists", "not_exists") and isinstance(node[1], tuple):
            if node[1] and isinstance(node[1][0], str):
                out.add(node[1][0])
            return out
        for part in node[1:]:
            _paths(part, out)
    elif isinstance(node, list):
        for part in node:
            _paths(part, out)
    return out


# A batch answers each statement's failure with a code of its own vocabulary
_BATCH_ERROR_CODES = {"ConditionalCheckFailedException": "ConditionalCheckFailed", "DuplicateItemException": "DuplicateItem",
                      "ValidationException": "ValidationError", "ResourceNotFoundException": "ResourceNotFound"}

class PartiQLOperations:
    # --- shared -------------------------------------------------------------------------

    def _statement(self: DynamoDBProvider, ctx: RequestContext, text: str, parameters: list | None
                   ) -> tuple[Statement, TableSchema, IndexSchema | None]:
        statement = parse(text, parameters)
        schema = self.table(ctx, statement.table)
        index = None
        if statement.index is not None:
            index = schema.index_by_name.get(statement.index)
            if index is None:
                raise invalid("The table does not have the specified index")
        return statement, schema, index

    def _key(self: DynamoDBProvider, schema: TableSchema, where: tuple | None) -> tuple[bytes, dict]:
        """The store key a write's WHERE pins down (every key attribute compared with =)."""
        equal = _equalities(where)
        key = {}
        for name in schema.key_names:
            if name not in equal:
                raise invalid(NO_KEY)
            key[name] = equal[name]
        try:
            return schema.key_from_key(dict(key)), key
        except ServiceError:
            raise invalid(NO_KEY)

    # --- ExecuteStatement -------------------------------------------------------------------

    def execute_statement(self: DynamoDBProvider, ctx: RequestContext, params: dict) -> dict:
        statement, schema, index = self._statement(ctx, params["Statement"], params.get("Parameters"))
        state = self.state(ctx)
        mode = params.get("ReturnConsumedCapacity")
        if statement.kind == "SELECT":
            return self._select(state, schema, index, statement, params)
        if statement.kind == "EXISTS":
            raise invalid("EXISTS is only supported in ExecuteTransaction")
        if index is not None:
            raise invalid("Write operations on an index are not supported")
        consumed, items = self._write(state, schema, statement, params.get("ReturnValuesOnConditionCheckFailure"))
        out: dict[str, Any] = {"Items": items}
        report = consumed.report(mode)
        if report is not None:
            out["ConsumedCapacity"] = report
        return out

    def _write(self: DynamoDBProvider, state: DynamoDBState, schema: TableSchema, statement: Statement,
               on_failure: str | None) -> tuple[Consumed, list]:
        if statement.kind == "DELETE" and statement.returning not in (None, "ALL OLD"):
            raise invalid(f"Invalid returning clause: RETURNING {statement.returning} *. Only RETURNING ALL OLD * is "
                          "allowed in DELETE statements.")
        if statement.kind == "INSERT":
            item, checked = check_item(statement.item)  # type: ignore[arg-type]
            if checked.size > MAX_ITEM_SIZE:
                raise invalid("Item size has exceeded the maximum allowed size")
            key = schema.key_from_item(item)
            if schema.index_attributes:
                schema.check_index_keys(item)
            if self.storage.get(state, key) is not None:
                raise ServiceError("DuplicateItemException", DUPLICATE)
            cost = self.storage.write(state, schema, key, None, 0, item, checked.size, checked.binary)
            return write_consumed(schema, cost), []
        key, key_item = self._key(schema, statement.where)
        found = self.storage.get(state, key)
        old, old_size = found if found is not None else (None, 0)
        if statement.kind == "DELETE":
            if old is None:
                return Consumed(schema), []
            if not evaluate(statement.where, old):  # type: ignore[arg-type]
                raise condition_failed(old, on_failure)
            cost = self.storage.write(state, schema, key, old, old_size, None)
            return write_consumed(schema, cost), ([old] if statement.returning == "ALL OLD" else [])
        # UPDATE: the item must exist and match the WHERE
        if old is None or not evaluate(statement.where, old):  # type: ignore[arg-type]
            raise condition_failed(old, on_failure)
        for action in statement.actions:
            if action[1][0] in schema.key_names:
                raise invalid(f"One or more parameter values were invalid: Cannot update attribute {action[1][0]}. "
                              "This attribute is part of the key")
        new, new_size = self.updated_item(schema, key_item, old, statement.actions)
        cost = self.storage.write(state, schema, key, old, old_size, new, new_size,
                                  any(has_binary(v) for v in new.values()))
        returned = self._returning(statement, old, new)
        return write_consumed(schema, cost), returned

    @staticmethod
    def _returning(statement: Statement, old: dict, new: dict) -> list:
        if statement.returning is None:
            return []
        image = old if statement.returning.endswith("OLD") else new
        if statement.returning.startswith("ALL"):
            return [image]
        touched = {action[1][0] for action in statement.actions}
        return [{k: v for k, v in image.items() if k in touched}]

    def _select(self: DynamoDBProvider, state: DynamoDBState, schema: TableSchema, index: IndexSchema | None,
                statement: Statement, params: dict) -> dict:
        consistent = bool(params.get("ConsistentRead"))
        if index is not None and index.is_global and consistent:
            raise invalid("Strongly consistent read is not supported on Global Secondary Indexes")
        if index is not None and index.projection != "ALL":
            missing = sorted(_paths(statement.where, set()) - index.include)
            if missing:
                raise invalid(f"One or more parameter values were invalid: Secondary index {index.name} does not "
                              f"project one or more filter attributes: [{', '.join(missing)}]")
            wanted = {p[0] for p in statement.projection or ()}
            missing = sorted(wanted - index.include)
            if missing and index.is_global:
                raise invalid(f"One or more parameter values were invalid: Global secondary index {index.name} does "
                              f"not project [{', '.join(missing)}]")
        hash_name = index.hash_name if index else schema.hash_name
        hash_type = index.hash_type if index else schema.hash_type
        range_name = index.range_name if index else schema.range_name
        range_type = index.range_type if index else schema.range_type
        equal = _equalities(statement.where)
        prefix = index.prefix if index else schema.uid
        start, end = prefix, keys.successor(prefix)
        hash_value = equal.get(hash_name)
        if hash_value is not None and hash_type in hash_value:
            partition = (index.partition_prefix(hash_value[hash_type]) if index
                         else schema.partition_prefix(hash_value[hash_type]))
            condition = KeyCondition(hash_value[hash_type], None, [])
            range_value = equal.get(range_name) if range_name else None
            if range_value is not None and range_type in range_value:
                condition = KeyCondition(hash_value[hash_type], "=", [range_value[range_type]])
            start, end = condition.bounds(partition, range_type)
        after = None
        if params.get("NextToken"):
            try:
                after = base64.b64decode(params["NextToken"].encode(), validate=True)
            except ValueError:
                raise invalid("Invalid NextToken")
        limit = params.get("Limit")
        items: list[dict] = []
        read = 0
        evaluated = 0
        last = None
        done = False
        while not done:
            chunk = 256 if limit is None else min(256, limit - evaluated)
            rows = list(self.storage.scan_items(state, start, end, after=after, limit=chunk, index=index is not None))
            for key, item, size in rows:
                evaluated += 1
                read += size
                after = key
                if statement.where is None or evaluate(statement.where, item):
                    items.append(self._project(item, statement.projection))
                if (limit is not None and evaluated >= limit) or read >= PAGE_BYTES:
                    last = key
                    done = True
                    break
            if len(rows) < chunk:
                done = True
        out: dict[str, Any] = {"Items": items}
        if last is not None:
            out["NextToken"] = base64.b64encode(last).decode()
        consumed = Consumed(schema)
        units = read_units(read, consistent)
        if index is None:
            consumed.table = units
        else:
            consumed.add_index(index, units)
        report = consumed.report(params.get("ReturnConsumedCapacity"))
        if report is not None:
            out["ConsumedCapacity"] = report
        return out

    @staticmethod
    def _project(item: dict, paths: list[tuple] | None) -> dict:
        if paths is None:
            return item
        out = {}
        for path in paths:
            value = resolve(item, path)
            if value is not None:
                names = [p for p in path if isinstance(p, str)]
                out[names[-1]] = value
        return out

    # --- BatchExecuteStatement -------------------------------------------------------------

    def batch_execute_statement(self: DynamoDBProvider, ctx: RequestContext, params: dict) -> dict:
        parsed = []
        for request in params["Statements"]:
            try:
                parsed.append(self._statement(ctx, request["Statement"], request.get("Parameters")) + (None,))
            except ServiceError as e:  # a statement that cannot run fails alone; the others still run
                parsed.append((None, None, None, e))
        kinds = {p[0].kind == "SELECT" for p in parsed if p[0] is not None}
        if len(kinds) > 1:
            raise invalid("Statements in a batch must be all reads or all writes")
        state = self.state(ctx)
        responses = []
        consumed: dict[str, Consumed] = {}
        for request, (statement, schema, index, failure) in zip(params["Statements"], parsed, strict=True):
            if failure is not None:
                responses.append({"Error": {"Code": _BATCH_ERROR_CODES.get(failure.code, failure.code),
                                            "Message": failure.message}})
                continue
            entry: dict[str, Any] = {"TableName": schema.name}
            used = consumed.setdefault(schema.name, Consumed(schema))
            try:
                if index is not None:
                    raise invalid("Batch operations on an index are not supported")
                if statement.kind == "SELECT":
                    key, _ = self._key(schema, statement.where)
                    found = self.storage.get(state, key)
                    used.table += read_units(found[1] if found else 0, bool(request.get("ConsistentRead")))
                    if found is not None and (statement.where is None or evaluate(statement.where, found[0])):
                        entry["Item"] = self._project(found[0], statement.projection)
                elif statement.kind == "EXISTS":
                    raise invalid("EXISTS is only supported in ExecuteTransaction")
                else:
                    cost, returned = self._write(state, schema, statement,
                                                 request.get("ReturnValuesOnConditionCheckFailure"))
                    used.table += cost.total
                    if returned:
                        entry["Item"] = returned[0]
            except ServiceError as e:
                error: dict[str, Any] = {"Code": _BATCH_ERROR_CODES.get(e.code, e.code), "Message": e.message}
                if e.fields.get("Item") is not None:
                    error["Item"] = e.fields["Item"]
                entry["Error"] = error
            responses.append(entry)
        out: dict[str, Any] = {"Responses": responses}
        mode = params.get("ReturnConsumedCapacity")
        if mode in ("TOTAL", "INDEXES"):
            out["ConsumedCapacity"] = [c.report(mode) for c in consumed.values()]
        return out

    # --- ExecuteTransaction ----------------------------------------------------------------

    def execute_transaction(self: DynamoDBProvider, ctx: RequestContext, params: dict) -> dict:
        state = self.state(ctx)
        now = self.runtime.clock.now()
        token = params.get("ClientRequestToken")
        digest = _canonical(params) if token else None
        mode = params.get("ReturnConsumedCapacity")
        if token:
            seen = state.tokens.get("partiql:" + token)
            if seen is not None and now - seen["at"] < TOKEN_LIFETIME:
                if seen["digest"] != digest:
                    raise ServiceError("IdempotentParameterMismatchException",
                                       "The request uses the same client token as a previous, but non-identical "
                                       "request.")
                out: dict[str, Any] = {}
                if mode in ("TOTAL", "INDEXES"):
                    out["ConsumedCapacity"] = [{"TableName": name, "CapacityUnits": units, "ReadCapacityUnits": units}
                                               for name, units in seen["tables"].items()]
                return out
        statements = []
        for position, request in enumerate(params["TransactStatements"]):
            statement, schema, index = self._statement(ctx, request["Statement"], request.get("Parameters"))
            if statement.returning is not None:
                raise invalid(f"Validation failed in TransactStatements[{position}]: RETURNING clause is not "
                              "supported in ExecuteTransaction.")
            if index is not None:
                raise invalid(f"Validation failed in TransactStatements[{position}]: Reads on indices are not "
                              "supported within transactions.")
            statements.append((statement, schema))
        reads = {s.kind == "SELECT" for s, _ in statements}
        if len(reads) > 1:
            raise invalid("Transaction statements must be all reads or all writes")
        if reads == {True}:
            return self._read_transaction(state, statements, mode)
        plans = []
        seen_keys: set[tuple[str, bytes]] = set()
        for statement, schema in statements:
            plan = self._plan_statement(schema, statement)
            identity = (schema.name, plan.key)
            if identity in seen_keys:
                raise invalid("Transaction request cannot include multiple operations on one item")
            seen_keys.add(identity)  # type: ignore[arg-type]
            plans.append((statement, plan))
        reasons = []
        for statement, plan in plans:
            reason = self._check(state, plan)
            if statement.kind == "INSERT" and reason["Code"] == "ConditionalCheckFailed":
                reason = {"Code": "DuplicateItem", "Message": DUPLICATE}
            reasons.append(reason)
        if any(r["Code"] != "None" for r in reasons):
            codes = ", ".join(r["Code"] for r in reasons)
            raise ServiceError("TransactionCanceledException",
                               f"Transaction cancelled, please refer cancellation reasons for specific reasons [{codes}]",
                               CancellationReasons=reasons)
        consumed: dict[str, Consumed] = {}
        for _, plan in plans:
            used = consumed.setdefault(plan.schema.name, Consumed(plan.schema))
            if plan.kind == "ConditionCheck":
                used.table += read_units(plan.old_size, True, transactional=True)
                continue
            if plan.kind == "Delete" and plan.old is None:
                used.table += 2.0
                continue
            binary = plan.checked.binary if plan.checked else any(has_binary(v) for v in (plan.new or {}).values())
            cost = self.storage.write(state, plan.schema, plan.key, plan.old, plan.old_size, plan.new,  # type: ignore[arg-type]
                                      plan.new_size, binary)
            used.table += cost.total * 2
        if token:
            state.tokens.put("partiql:" + token, {"at": now, "digest": digest,
                                                  "tables": {n: c.total for n, c in consumed.items()}})
        out = {}
        if mode in ("TOTAL", "INDEXES"):
            out["ConsumedCapacity"] = [{"TableName": name, "CapacityUnits": c.total, "WriteCapacityUnits": c.total}
                                       for name, c in consumed.items()]
        return out

    def _plan_statement(self: DynamoDBProvider, schema: TableSchema, statement: Statement) -> _Action:
        if statement.kind == "INSERT":
            item, checked = check_item(statement.item)  # type: ignore[arg-type]
            if checked.size > MAX_ITEM_SIZE:
                raise invalid("Item size has exceeded the maximum allowed size")
            plan = _Action("Put", {}, schema)
            plan.item, plan.checked = item, checked
            plan.key = schema.key_from_item(item)
            plan.condition = ("not_exists", (schema.hash_name,))
            return plan
        key, key_item = self._key(schema, statement.where)
        kinds = {"UPDATE": "Update", "DELETE": "Delete", "EXISTS": "ConditionCheck"}
        plan = _Action(kinds[statement.kind], {"Key": key_item}, schema)
        plan.key = key
        if statement.kind == "UPDATE":
            plan.condition = ("and", ("exists", (schema.hash_name,)), statement.where)
            plan.actions = statement.actions
        elif statement.kind == "EXISTS":
            exists = ("and", ("exists", (schema.hash_name,)), statement.where)
            plan.condition = ("not", exists) if statement.negated else exists
        else:
            plan.condition = ("or", ("not_exists", (schema.hash_name,)), statement.where)
        return plan

    def _read_transaction(self: DynamoDBProvider, state: DynamoDBState, statements: list, mode: str | None) -> dict:
        responses = []
        consumed: dict[str, Consumed] = {}
        for statement, schema in statements:
            key, _ = self._key(schema, statement.where)
            found = self.storage.get(state, key)
            used = consumed.setdefault(schema.name, Consumed(schema))
            used.table += read_units(found[1] if found else 0, True, transactional=True)
            if found is not None and evaluate(statement.where, found[0]):  # type: ignore[arg-type]
                responses.append({"Item": self._project(found[0], statement.projection)})
            else:
                responses.append({})
        out: dict[str, Any] = {"Responses": responses}
        if mode in ("TOTAL", "INDEXES"):
            out["ConsumedCapacity"] = [{"TableName": name, "CapacityUnits": c.total, "ReadCapacityUnits": c.total}
                                       for name, c in consumed.items()]
        return out

