"""The control plane: tables, their indexes, streams settings, tags, TTL and backup settings.

Status changes (CREATING, UPDATING, DELETING -> ACTIVE or gone) happen on the
scheduler right after the answer, so a client sees the transitional status in
the response and ACTIVE on its next DescribeTable: boto3's waiters return at once.
A new global secondary index is backfilled in chunks between requests.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from cloudlet.protocol.errors import ServiceError
from cloudlet.services.dynamodb.state import DynamoDBState
from cloudlet.services.dynamodb.values import invalid, invalid_parameter

if TYPE_CHECKING:
    from cloudlet.context import RequestContext
    from cloudlet.services.dynamodb.provider import DynamoDBProvider

MAX_LSI = 5
MAX_GSI = 20
MAX_THROUGHPUT = 1_000_000_000_000
BACKFILL_CHUNK = 1000
PURGE_CHUNK = 5000
PURGE_PREFIX = "\x00purge:"  # records of tables whose items are still being deleted (not a valid table name)


def not_found(name: str | None = None) -> ServiceError:
    if name is None:
        return ServiceError("ResourceNotFoundException", "Requested resource not found")
    return ServiceError("ResourceNotFoundException", f"Requested resource not found: Table: {name} not found")


def table_name(value: str) -> str:
    """A TableName parameter may be the table's ARN."""
    if value.startswith("arn:"):
        _, _, resource = value.partition(":table/")
        return resource.split("/")[0] if resource else value
    return value


def _throughput(spec: dict | None, billing: str) -> dict:
    if billing == "PAY_PER_REQUEST" or not spec:
        return {"NumberOfDecreasesToday": 0, "ReadCapacityUnits": 0, "WriteCapacityUnits": 0}
    return {
        "NumberOfDecreasesToday": 0,
        "ReadCapacityUnits": spec["ReadCapacityUnits"],
        "WriteCapacityUnits": spec["WriteCapacityUnits"],
    }


def _check_throughput(spec: dict) -> None:
    for name in ("ReadCapacityUnits", "WriteCapacityUnits"):
        value = spec.get(name)
        if value is not None and value > MAX_THROUGHPUT:
            raise invalid(f"Given value {value} for {name} is out of bounds")


def _check_schema_length(schema: list[dict], path: str) -> None:
    """At most two key elements (the model does not say so; DynamoDB's validator does, in Coral's words)."""
    if len(schema) > 2:
        shown = ", ".join(f"KeySchemaElement(attributeName={e['AttributeName']}, keyType={e['KeyType']})"
                          for e in schema)
        raise invalid(f"1 validation error detected: Value '[{shown}]' at '{path}' failed to satisfy constraint: "
                      "Member must have length less than or equal to 2")


def _check_key_schema(schema: list[dict], definitions: list[str]) -> None:
    names = [e["AttributeName"] for e in schema]
    if len(names) == 2 and names[0] == names[1]:
        raise invalid("Both the Hash Key and the Range Key element in the KeySchema have the same name")
    if schema[0]["KeyType"] != "HASH":
        raise invalid("Invalid KeySchema: The first KeySchemaElement is not a HASH key type")
    if len(schema) > 1 and schema[1]["KeyType"] != "RANGE":
        raise invalid("Invalid KeySchema: The second KeySchemaElement is not a RANGE key type")


def _check_projection(projection: dict) -> None:
    kind = projection.get("ProjectionType")
    if kind is None:
        raise invalid_parameter("Unknown ProjectionType: null")
    attributes = projection.get("NonKeyAttributes")
    if attributes is not None and kind != "INCLUDE":
        raise invalid_parameter(f"ProjectionType is {kind}, but NonKeyAttributes is specified")
    if kind == "INCLUDE" and not attributes:
        raise invalid_parameter("ProjectionType is INCLUDE, but NonKeyAttributes is not specified")


def _check_index_keys(kind: str, index: dict, definitions: list[str]) -> None:
    keys = [e["AttributeName"] for e in index["KeySchema"]]
    if any(k not in definitions for k in keys):
        raise invalid_parameter(
            "Some index key attributes are not defined in AttributeDefinitions. "
            f"Keys: [{', '.join(keys)}], AttributeDefinitions: [{', '.join(definitions)}]"
        )
    _check_key_schema(index["KeySchema"], definitions)


def _check_stream(spec: dict | None) -> None:
    if spec is None:
        return
    if spec.get("StreamEnabled"):
        if not spec.get("StreamViewType"):
            raise invalid_parameter("StreamViewType is required when StreamEnabled is true")
    elif spec.get("StreamViewType"):
        raise invalid_parameter("StreamSpecification: StreamViewType can only be specified when StreamEnabled is true")


def stream_label(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]


class TableOperations:
    """CreateTable, DescribeTable, UpdateTable, DeleteTable, ListTables and the table settings."""

    # --- CreateTable ---------------------------------------------------------------------

    def create_table(self: DynamoDBProvider, ctx: RequestContext, params: dict) -> dict:
        name = params["TableName"]
        definitions = params["AttributeDefinitions"]
        schema = params["KeySchema"]
        billing = params.get("BillingMode") or "PROVISIONED"
        throughput = params.get("ProvisionedThroughput")
        gsis = params.get("GlobalSecondaryIndexes")
        lsis = params.get("LocalSecondaryIndexes")

        _check_schema_length(schema, "keySchema")
        for kind, indexes in (("localSecondaryIndexes", lsis), ("globalSecondaryIndexes", gsis)):
            for position, index in enumerate(indexes or (), 1):
                _check_schema_length(index["KeySchema"], f"{kind}.{position}.member.keySchema")
        if billing == "PAY_PER_REQUEST":
            if throughput is not None:
                raise invalid_parameter(
                    "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST"
                )
        else:
            if not throughput or not throughput.get("ReadCapacityUnits") or not throughput.get("WriteCapacityUnits"):
                raise invalid_parameter(
                    "ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED"
                )
            _check_throughput(throughput)
        defined = [d["AttributeName"] for d in definitions]
        key_names = [e["AttributeName"] for e in schema]
        if len(key_names) > len(defined):
            raise invalid("Invalid KeySchema: Some index key attribute have no definition")
        if any(k not in defined for k in key_names):
            raise invalid_parameter(
                "Some index key attributes are not defined in AttributeDefinitions. "
                f"Keys: [{', '.join(key_names)}], AttributeDefinitions: [{', '.join(defined)}]"
            )
        _check_key_schema(schema, defined)
        if len(set(defined)) != len(defined):
            raise invalid_parameter("Cannot have two attributes with the same name")
        seen_names: set[str] = set()
        if lsis is not None:
            if not lsis:
                raise invalid_parameter("List of LocalSecondaryIndexes is empty")
            if len(schema) != 2:
                raise invalid_parameter(
                    "Table KeySchema does not have a range key, which is required when specifying a LocalSecondaryIndex"
                )
            for index in lsis:
                _check_index_keys("local", index, defined)
                if len(index["KeySchema"]) != 2:
                    raise invalid_parameter(
                        f"Index KeySchema does not have a range key for index: {index['IndexName']}"
                    )
                index_hash = index["KeySchema"][0]["AttributeName"]
                if index_hash != key_names[0]:
                    raise invalid_parameter(
                        "Index KeySchema does not have the same leading hash key as table KeySchema for index: "
                        f"{index['IndexName']}. index hash key: {index_hash}, table hash key: {key_names[0]}"
                    )
                _check_projection(index["Projection"])
                if index["IndexName"] in seen_names:
                    raise invalid_parameter(f"Duplicate index name: {index['IndexName']}")
                seen_names.add(index["IndexName"])
            if len(lsis) > MAX_LSI:
                raise invalid_parameter("Number of LocalSecondaryIndexes exceeds per-table limit of 5")
        if gsis is not None:
            if not gsis:
                raise invalid_parameter("List of GlobalSecondaryIndexes is empty")
            for index in gsis:
                _check_index_keys("global", index, defined)
                _check_projection(index["Projection"])
                if billing == "PAY_PER_REQUEST" and index.get("ProvisionedThroughput"):
                    raise invalid_parameter(
                        f"ProvisionedThroughput should not be specified for index: {index['IndexName']} "
                        "when BillingMode is PAY_PER_REQUEST"
                    )
                if billing == "PROVISIONED" and not index.get("ProvisionedThroughput"):
                    raise invalid_parameter(f"ProvisionedThroughput must be specified for index: {index['IndexName']}")
                if index.get("ProvisionedThroughput"):
                    _check_throughput(index["ProvisionedThroughput"])
                if index["IndexName"] in seen_names:
                    raise invalid_parameter(f"Duplicate index name: {index['IndexName']}")
                seen_names.add(index["IndexName"])
            if len(gsis) > MAX_GSI:
                raise invalid_parameter("GlobalSecondaryIndex count exceeds the per-table limit of 20")
        used = set(key_names)
        for index in (gsis or []) + (lsis or []):
            used.update(e["AttributeName"] for e in index["KeySchema"])
        if set(defined) != used:
            if not gsis and not lsis:
                raise invalid_parameter(
                    "Number of attributes in KeySchema does not exactly match number of attributes defined in "
                    "AttributeDefinitions"
                )
            raise invalid_parameter(
                f"Some AttributeDefinitions are not used. AttributeDefinitions: [{', '.join(defined)}], "
                f"keys used: [{', '.join(k for k in defined if k in used)}]"
            )
        _check_stream(params.get("StreamSpecification"))

        state = self.state(ctx)
        if name in state.catalog:
            raise ServiceError("ResourceInUseException", f"Table already exists: {name}")
        now = self.runtime.clock.now()
        table_id = str(uuid.uuid4())
        arn = ctx.arn(f"table/{name}")
        record: dict[str, Any] = {
            "TableName": name,
            "TableId": table_id,
            "TableArn": arn,
            "AttributeDefinitions": definitions,
            "KeySchema": schema,
            "TableStatus": "CREATING",
            "CreationDateTime": now,
            "ProvisionedThroughput": _throughput(throughput, billing),
            "DeletionProtectionEnabled": bool(params.get("DeletionProtectionEnabled", False)),
            "_uid": uuid.UUID(table_id).bytes[:8].hex(),
            "_next_index": 1,
        }
        if billing == "PAY_PER_REQUEST":
            record["BillingModeSummary"] = {"BillingMode": "PAY_PER_REQUEST", "LastUpdateToPayPerRequestDateTime": now}
        if params.get("TableClass"):
            record["TableClassSummary"] = {"TableClass": params["TableClass"]}
        if params.get("OnDemandThroughput"):
            record["OnDemandThroughput"] = dict(params["OnDemandThroughput"])
        sse = params.get("SSESpecification")
        if sse and sse.get("Enabled"):
            key = sse.get("KMSMasterKeyId") or f"arn:aws:kms:{ctx.region}:{ctx.account}:key/{uuid.uuid4()}"
            if not key.startswith("arn:"):
                key = f"arn:aws:kms:{ctx.region}:{ctx.account}:key/{key}"
            record["SSEDescription"] = {"Status": "ENABLED", "SSEType": "KMS", "KMSMasterKeyArn": key}
        if lsis:
            record["LocalSecondaryIndexes"] = [self._new_index(record, index, arn, False, billing) for index in lsis]
        if gsis:
            record["GlobalSecondaryIndexes"] = [self._new_index(record, index, arn, True, billing) for index in gsis]
        stream = params.get("StreamSpecification")
        if stream and stream.get("StreamEnabled"):
            self.streams.enable(state, record, stream["StreamViewType"], now)
        if params.get("Tags"):
            record["_tags"] = {t["Key"]: t["Value"] for t in params["Tags"]}
        self.save_table(state, record)
        self.runtime.scheduler.call_later(0, self.settle_table, ctx.account, ctx.region, name)
        return {"TableDescription": self.describe(state, record)}

    def _new_index(self: DynamoDBProvider, table: dict, spec: dict, arn: str, is_global: bool, billing: str) -> dict:
        number = table["_next_index"]
        table["_next_index"] = number + 1
        index: dict[str, Any] = {
            "IndexName": spec["IndexName"],
            "KeySchema": spec["KeySchema"],
            "Projection": spec["Projection"],
            "IndexArn": f"{arn}/index/{spec['IndexName']}",
            "_number": number,
        }
        if is_global:
            index["IndexStatus"] = "CREATING"
            index["ProvisionedThroughput"] = _throughput(spec.get("ProvisionedThroughput"), billing)
        return index

    # --- DescribeTable -------------------------------------------------------------------

    def table_record(self: DynamoDBProvider, ctx: RequestContext, name: str) -> tuple[DynamoDBState, dict]:
        """The caller's state and the table's record; ResourceNotFoundException without one."""
        state = self.state(ctx)
        name = table_name(name)
        record = state.catalog.get(name)
        if record is None:
            raise not_found(name)
        return state, record

    def describe_table(self: DynamoDBProvider, ctx: RequestContext, params: dict) -> dict:
        name = table_name(params["TableName"])
        state, record = self.table_record(ctx, name)
        return {"Table": self.describe(state, record)}

    def describe(self: DynamoDBProvider, state: DynamoDBState, record: dict) -> dict:
        """The TableDescription: the record without its private fields, with the live counters."""
        out = {k: v for k, v in record.items() if not k.startswith("_")}
        stats = self.stats(state, self.schema_of(state, record)) if record["TableStatus"] != "DELETING" else None
        out["ItemCount"] = stats.count if stats else 0
        out["TableSizeBytes"] = stats.size if stats else 0
        for kind in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
            if kind not in record:
                continue
            indexes = []
            for index in record[kind]:
                described = {k: v for k, v in index.items() if not k.startswith("_")}
                counters = stats.indexes.get(index["IndexName"], [0, 0]) if stats else [0, 0]
                described["ItemCount"], described["IndexSizeBytes"] = counters
                indexes.append(described)
            out[kind] = indexes
        return out

    # --- UpdateTable -----------------------------------------------------------------------

    def update_table(self: DynamoDBProvider, ctx: RequestContext, params: dict) -> dict:
        name = table_name(params["TableName"])
        state, record = self.table_record(ctx, name)
        changes = ("ProvisionedThroughput", "BillingMode", "StreamSpecification", "GlobalSecondaryIndexUpdates",
                   "SSESpecification", "ReplicaUpdates", "TableClass", "DeletionProtectionEnabled",
                   "OnDemandThroughput", "WarmThroughput", "AttributeDefinitions")
        if not any(params.get(k) is not None for k in changes):
            raise invalid(
                "At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, GlobalSecondaryIndexUpdates "
                "or SSESpecification or ReplicaUpdates is required"
            )
        if record["TableStatus"] != "ACTIVE":
            raise ServiceError(
                "ResourceInUseException",
                f"Attempt to change a resource which is still in use: Table is being {_doing(record)}: {name}",
            )
        now = self.runtime.clock.now()
        current = (record.get("BillingModeSummary") or {}).get("BillingMode", "PROVISIONED")
        billing = params.get("BillingMode") or current
        throughput = params.get("ProvisionedThroughput")
        status_change = False
        if billing == "PAY_PER_REQUEST":
            if throughput is not None:
                raise invalid_parameter(
                    "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST"
                )
            if current != "PAY_PER_REQUEST":
                record["BillingModeSummary"] = {"BillingMode": "PAY_PER_REQUEST", "LastUpdateToPayPerRequestDateTime": now}
                record["ProvisionedThroughput"] = _throughput(None, billing)
                for index in record.get("GlobalSecondaryIndexes") or ():
                    index["ProvisionedThroughput"] = _throughput(None, billing)
                status_change = True
        else:
            if current == "PAY_PER_REQUEST":
                if not throughput:
                    raise invalid_parameter(
                        "ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED"
                    )
                record["BillingModeSummary"] = {"BillingMode": "PROVISIONED",
                                                "LastUpdateToPayPerRequestDateTime":
                                                    record["BillingModeSummary"]["LastUpdateToPayPerRequestDateTime"]}
                for index in record.get("GlobalSecondaryIndexes") or ():
                    index["ProvisionedThroughput"] = _throughput(
                        {"ReadCapacityUnits": throughput["ReadCapacityUnits"],
                         "WriteCapacityUnits": throughput["WriteCapacityUnits"]}, billing)
            if throughput is not None:
                _check_throughput(throughput)
                old = record["ProvisionedThroughput"]
                if (current == "PROVISIONED" and old["ReadCapacityUnits"] == throughput["ReadCapacityUnits"]
                        and old["WriteCapacityUnits"] == throughput["WriteCapacityUnits"]):
                    raise invalid(
                        "The provisioned throughput for the table will not change. The requested value equals the "
                        f"current value. Current ReadCapacityUnits provisioned for the table: {old['ReadCapacityUnits']}. "
                        f"Requested ReadCapacityUnits: {throughput['ReadCapacityUnits']}. Current WriteCapacityUnits "
                        f"provisioned for the table: {old['WriteCapacityUnits']}. Requested WriteCapacityUnits: "
                        f"{throughput['WriteCapacityUnits']}. Refer to the Amazon DynamoDB Developer Guide for current "
                        "limits and how to request higher limits."
                    )
                decreased = (throughput["ReadCapacityUnits"] < old["ReadCapacityUnits"]
                             or throughput["WriteCapacityUnits"] < old["WriteCapacityUnits"])
                record["ProvisionedThroughput"] = {
                    "NumberOfDecreasesToday": old.get("NumberOfDecreasesToday", 0) + (1 if decreased else 0),
                    "ReadCapacityUnits": throughput["ReadCapacityUnits"],
                    "WriteCapacityUnits": throughput["WriteCapacityUnits"],
                    ("LastDecreaseDateTime" if decreased else "LastIncreaseDateTime"): now,
                }
                status_change = True
        if params.get("AttributeDefinitions"):
            known = {d["AttributeName"]: d for d in record["AttributeDefinitions"]}
            for definition in params["AttributeDefinitions"]:
                known.setdefault(definition["AttributeName"], definition)
            record["AttributeDefinitions"] = list(known.values())
        for update in params.get("GlobalSecondaryIndexUpdates") or ():
            status_change |= self._update_index(ctx, record, update, billing)
        stream = params.get("StreamSpecification")
        if stream is not None:
            _check_stream(stream)
            enabled = bool((record.get("StreamSpecification") or {}).get("StreamEnabled"))
            if stream.get("StreamEnabled"):
                if enabled:
                    raise invalid(f"Table already has an enabled stream: TableName: {name}")
                self.streams.enable(state, record, stream["StreamViewType"], now)
            else:
                if not enabled:
                    raise invalid(f"Table already has a disabled stream: TableName: {name}")
                self.streams.disable(state, record, now)
            status_change = True
        if params.get("DeletionProtectionEnabled") is not None:
            record["DeletionProtectionEnabled"] = params["DeletionProtectionEnabled"]
        if params.get("OnDemandThroughput"):
            record["OnDemandThroughput"] = {**record.get("OnDemandThroughput", {}), **params["OnDemandThroughput"]}
        if params.get("TableClass"):
            record["TableClassSummary"] = {"TableClass": params["TableClass"], "LastUpdateDateTime": now}
            status_change = True
        sse = params.get("SSESpecification")
        if sse is not None:
            if sse.get("Enabled", True):
                key = sse.get("KMSMasterKeyId") or f"arn:aws:kms:{ctx.region}:{ctx.account}:key/{uuid.uuid4()}"
                record["SSEDescription"] = {"Status": "ENABLED", "SSEType": "KMS", "KMSMasterKeyArn": key}
            else:
                record.pop("SSEDescription", None)
            status_change = True
        if status_change:
            record["TableStatus"] = "UPDATING"
            self.runtime.scheduler.call_later(0, self.settle_table, ctx.account, ctx.region, name)
        self.save_table(state, record)
        return {"TableDescription": self.describe(state, record)}

    def _update_index(self: DynamoDBProvider, ctx: RequestContext, record: dict, update: dict, billing: str) -> bool:
        gsis = record.setdefault("GlobalSecondaryIndexes", [])
        by_name = {index["IndexName"]: index for index in gsis}
        if "Create" in update:
            spec = update["Create"]
            name = spec["IndexName"]
            if name in by_name or any(i["IndexName"] == name for i in record.get("LocalSecondaryIndexes") or ()):
                raise invalid_parameter(f"Index already exists: {name}")
            defined = [d["AttributeName"] for d in record["AttributeDefinitions"]]
            _check_index_keys("global", spec, defined)
            _check_projection(spec["Projection"])
            if billing == "PROVISIONED" and not spec.get("ProvisionedThroughput"):
                raise invalid_parameter(f"ProvisionedThroughput must be specified for index: {name}")
            if billing == "PAY_PER_REQUEST" and spec.get("ProvisionedThroughput"):
                raise invalid_parameter(
                    f"ProvisionedThroughput should not be specified for index: {name} when BillingMode is PAY_PER_REQUEST"
                )
            if len(gsis) >= MAX_GSI:
                raise ServiceError("LimitExceededException", "GlobalSecondaryIndex count exceeds the per-table limit of 20")
            index = self._new_index(record, spec, record["TableArn"], True, billing)
            index["Backfilling"] = True
            index["_building"] = True
            gsis.append(index)
            return True
        if "Delete" in update:
            name = update["Delete"]["IndexName"]
            index = by_name.get(name)
            if index is None:
                raise ServiceError("ResourceNotFoundException", f"Requested resource not found: Index: {name} not found")
            index["IndexStatus"] = "DELETING"
            return True
        if "Update" in update:
            name = update["Update"]["IndexName"]
            index = by_name.get(name)
            if index is None:
                raise ServiceError("ResourceNotFoundException", f"Requested resource not found: Index: {name} not found")
            spec = update["Update"].get("ProvisionedThroughput")
            if spec:
                if billing == "PAY_PER_REQUEST":
                    raise invalid_parameter(
                        f"ProvisionedThroughput should not be specified for index: {name} when BillingMode is "
                        "PAY_PER_REQUEST"
                    )
                _check_throughput(spec)
                index["ProvisionedThroughput"] = _throughput(spec, billing)
                index["IndexStatus"] = "UPDATING"
            return True
        return False

    # --- DeleteTable -------------------------------------------------------------------

    def delete_table(self: DynamoDBProvider, ctx: RequestContext, params: dict) -> dict:
        name = table_name(params["TableName"])
        state, record = self.table_record(ctx, name)
        if record.get("DeletionProtectionEnabled"):
            raise invalid(
                "Resource cannot be deleted as it is currently protected against deletion. Disable deletion "
                "protection first."
            )
        if record["TableStatus"] in ("CREATING", "UPDATING", "DELETING"):
            raise ServiceError(
                "ResourceInUseException",
                f"Attempt to change a resource which is still in use: Table is being {_doing(record)}: {name}",
            )
        description = self.describe(state, record)
        description["TableStatus"] = "DELETING"
        record["TableStatus"] = "DELETING"
        self.save_table(state, record)
        self.runtime.scheduler.call_later(0, self.settle_table, ctx.account, ctx.region, name)
        return {"TableDescription": description}

    # --- ListTables ----------------------------------------------------------------------

    def list_tables(self: DynamoDBProvider, ctx: RequestContext, params: dict) -> dict:
        state = self.state(ctx)
        limit = params.get("Limit") or 100
        start = params.get("ExclusiveStartTableName")
        names = [k for k in state.catalog.keys(after=start, limit=limit + 1) if not k.startswith(PURGE_PREFIX)] \
            if start is not None else [k for k in state.catalog.keys(limit=limit + 1) if not k.startswith(PURGE_PREFIX)]
        out: dict[str, Any] = {"TableNames": names[:limit]}
        if len(names) > limit:
            out["LastEvaluatedTableName"] = names[limit - 1]
        return out

    # --- tags ----------------------------------------------------------------------------

    def _tagged(self: DynamoDBProvider, ctx: RequestContext, arn: str, operation: str) -> tuple[DynamoDBState, dict]:
        prefix = f"arn:aws:dynamodb:{ctx.region}:{ctx.account}:table/"
        if not arn.startswith("arn:"):
            raise invalid(f"Invalid TableArn: Invalid ResourceArn provided as input {arn}")
        state = self.state(ctx)
        name = arn[len(prefix):] if arn.startswith(prefix) else None
        record = state.catalog.get(name) if name and "/" not in name else None
        if record is None:
            raise ServiceError(
                "AccessDeniedException",
                f"User: {ctx.identity.arn} is not authorized to perform: dynamodb:{operation} on resource: {arn} "
                "because no resource-based policy allows the dynamodb:" + operation + " action",
                400,
            )
        return state, record

    def tag_resource(self: DynamoDBProvider, ctx: RequestContext, params: dict) -> dict:
        state, record = self._tagged(ctx, params["ResourceArn"], "TagResource")
        tags = record.setdefault("_tags", {})
        for tag in params["Tags"]:
            tags[tag["Key"]] = tag["Value"]
        if len(tags) > 50:
            raise ServiceError("LimitExceededException", "The number of tags exceeds the limit of 50")
        self.save_table(state, record)
        return {}

    def untag_resource(self: DynamoDBProvider, ctx: RequestContext, params: dict) -> dict:
        state, record = self._tagged(ctx, params["ResourceArn"], "UntagResource")
        tags = record.get("_tags") or {}
        for key in params["TagKeys"]:
            tags.pop(key, None)
        record["_tags"] = tags
        self.save_table(state, record)
        return {}

    def list_tags_of_resource(self: DynamoDBProvider, ctx: RequestContext, params: dict) -> dict:
        _, record = self._tagged(ctx, params["ResourceArn"], "ListTagsOfResource")
        tags = [{"Key": k, "Value": v} for k, v in (record.get("_tags") or {}).items()]
        return {"Tags": tags}

    # --- TTL -----------------------------------------------------------------------------

    def update_time_to_live(self: DynamoDBProvider, ctx: RequestContext, params: dict) -> dict:
        name = table_name(params["TableName"])
        state, record = self.table_record(ctx, name)
        spec = params["TimeToLiveSpecification"]
        current = record.get("_ttl") or {}
        if spec["Enabled"]:
            if current.get("Status") == "ENABLED":
                raise invalid("TimeToLive is already enabled")
            record["_ttl"] = {"AttributeName": spec["AttributeName"], "Status": "ENABLED"}
        else:
            if current.get("Status") != "ENABLED":
                raise invalid("TimeToLive is already disabled")
            if current.get("AttributeName") != spec["AttributeName"]:
                raise invalid(
                    f"TimeToLive is active on a different AttributeName: current AttributeName is "
                    f"{current.get('AttributeName')}"
                )
            record["_ttl"] = {"Status": "DISABLED"}
        self.save_table(state, record)
        self.ttl.reindex(state, self.schema_of(state, record), spec["Enabled"])
        return {"TimeToLiveSpecification": {"Enabled": spec["Enabled"], "AttributeName": spec["AttributeName"]}}

    def describe_time_to_live(self: DynamoDBProvider, ctx: RequestContext, params: dict) -> dict:
        name = table_name(params["TableName"])
        state, record = self.table_record(ctx, name)
        ttl = record.get("_ttl") or {}
        if ttl.get("Status") == "ENABLED":
            return {"TimeToLiveDescription": {"TimeToLiveStatus": "ENABLED", "AttributeName": ttl["AttributeName"]}}
        return {"TimeToLiveDescription": {"TimeToLiveStatus": "DISABLED"}}

    # --- continuous backups ----------------------------------------------------------------

    def _backups(self: DynamoDBProvider, record: dict) -> dict:
        pitr = record.get("_pitr")
        description: dict[str, Any] = {"PointInTimeRecoveryStatus": "ENABLED" if pitr else "DISABLED"}
        if pitr:
            now = self.runtime.clock.now()
            days = pitr.get("days", 35)
            description.update({
                "RecoveryPeriodInDays": days,
                "EarliestRestorableDateTime": max(pitr["since"], now - days * 86400),
                "LatestRestorableDateTime": now - 300 if now - 300 > pitr["since"] else pitr["since"],
            })
        return {"ContinuousBackupsStatus": "ENABLED", "PointInTimeRecoveryDescription": description}

    def describe_continuous_backups(self: DynamoDBProvider, ctx: RequestContext, params: dict) -> dict:
        record = self.state(ctx).catalog.get(table_name(params["TableName"]))
        if record is None:
            raise ServiceError("TableNotFoundException", f"Table not found: {params['TableName']}")
        return {"ContinuousBackupsDescription": self._backups(record)}

    def update_continuous_backups(self: DynamoDBProvider, ctx: RequestContext, params: dict) -> dict:
        state = self.state(ctx)
        record = state.catalog.get(table_name(params["TableName"]))
        if record is None:
            raise ServiceError("TableNotFoundException", f"Table not found: {params['TableName']}")
        spec = params["PointInTimeRecoverySpecification"]
        if spec["PointInTimeRecoveryEnabled"]:
            days = spec.get("RecoveryPeriodInDays", 35)
            if not 1 <= days <= 35:
                raise invalid("RecoveryPeriodInDays must be between 1 and 35")
            since = (record.get("_pitr") or {}).get("since", self.runtime.clock.now())
            record["_pitr"] = {"since": since, "days": days}
        else:
            record.pop("_pitr", None)
        self.save_table(state, record)
        return {"ContinuousBackupsDescription": self._backups(record)}

    # --- account-level -------------------------------------------------------------------

    def describe_limits(self: DynamoDBProvider, ctx: RequestContext, params: dict) -> dict:
        return {
            "AccountMaxReadCapacityUnits": 80000,
            "AccountMaxWriteCapacityUnits": 80000,
            "TableMaxReadCapacityUnits": 40000,
            "TableMaxWriteCapacityUnits": 40000,
        }

    def describe_endpoints(self: DynamoDBProvider, ctx: RequestContext, params: dict) -> dict:
        host = ctx.request.headers.get("host") if ctx.request is not None else None
        return {"Endpoints": [{"Address": host or f"dynamodb.{ctx.region}.amazonaws.com", "CachePeriodInMinutes": 1440}]}

    # --- status transitions --------------------------------------------------------------

    def settle_table(self: DynamoDBProvider, account: str, region: str, name: str) -> None:
        """Finish what the last control-plane call started: a table or index becomes ACTIVE, or goes."""
        with self.runtime.db.transaction():
            state = DynamoDBState(self.runtime.db, account, region)
            record = state.catalog.get(name)
            if record is None or "_restore" in record:  # a restore settles the table itself
                return
            status = record["TableStatus"]
            if status == "DELETING":
                self._drop_table(state, record)
                return
            pending = False
            gsis = record.get("GlobalSecondaryIndexes")
            if gsis:
                kept = []
                for index in gsis:
                    if index.get("IndexStatus") == "DELETING":
                        self.purge(state, record["_uid"], index["_number"])
                        self.drop_index_stats(state, record, index["IndexName"])
                        continue
                    if index.get("_building"):
                        pending = True
                    elif index.get("IndexStatus") in ("CREATING", "UPDATING"):
                        index["IndexStatus"] = "ACTIVE"
                    kept.append(index)
                record["GlobalSecondaryIndexes"] = kept
                if not kept:
                    del record["GlobalSecondaryIndexes"]
            if not pending:
                record["TableStatus"] = "ACTIVE"
            self.save_table(state, record)
            building = [i for i in record.get("GlobalSecondaryIndexes") or () if i.get("_building")]
        for index in building:
            self.runtime.scheduler.call_later(0, self.backfill, account, region, name, index["IndexName"], None)

    def backfill(self: DynamoDBProvider, account: str, region: str, name: str, index_name: str,
                 after: str | None) -> None:
        """Index a chunk of existing items into a new global secondary index, then the next chunk."""
        with self.runtime.db.transaction():
            state = DynamoDBState(self.runtime.db, account, region)
            record = state.catalog.get(name)
            if record is None:
                return
            schema = self.schema_of(state, record)
            index = schema.index_by_name.get(index_name)
            if index is None or not index.record.get("_building"):
                return
            start = schema.uid
            end = schema.uid + b"\xff" * 8
            count = 0
            last = None
            stats = self.stats(state, schema)
            for key, item, _size in self.storage.scan_items(
                state, start, end, after=bytes.fromhex(after) if after else None, limit=BACKFILL_CHUNK
            ):
                self.storage._write_index(state, index, key, None, item, False, _Ignored(), stats)
                count += 1
                last = key
            if count == BACKFILL_CHUNK:
                self.runtime.scheduler.call_later(0, self.backfill, account, region, name, index_name, last.hex())  # type: ignore[union-attr]
                return
            for spec in record["GlobalSecondaryIndexes"]:
                if spec["IndexName"] == index_name:
                    spec.pop("_building", None)
                    spec.pop("Backfilling", None)
                    spec["IndexStatus"] = "ACTIVE"
            if not any(i.get("_building") for i in record["GlobalSecondaryIndexes"]):
                record["TableStatus"] = "ACTIVE"
            self.save_table(state, record)

    def _drop_table(self: DynamoDBProvider, state: DynamoDBState, record: dict) -> None:
        name = record["TableName"]
        if record.get("StreamSpecification", {}).get("StreamEnabled"):
            self.streams.disable(state, record, self.runtime.clock.now())
        state.catalog.delete(name)
        self.forget_table(state, name)
        self.purge(state, record["_uid"], None)

    def purge(self: DynamoDBProvider, state: DynamoDBState, uid: str, index: int | None) -> None:
        """Delete a table's items (index None) or one index's entries, a chunk at a time between requests."""
        key = f"{PURGE_PREFIX}{uid}:{index if index is not None else ''}"
        state.catalog.put(key, {"uid": uid, "index": index})
        self.runtime.scheduler.call_later(0, self.purge_chunk, state.account, state.region, key)

    def purge_chunk(self: DynamoDBProvider, account: str, region: str, key: str) -> None:
        with self.runtime.db.transaction():
            state = DynamoDBState(self.runtime.db, account, region)
            job = state.catalog.get(key)
            if job is None:
                return
            uid = bytes.fromhex(job["uid"])
            if job["index"] is None:
                views = [(state.items, uid), (state.index_items, uid)]
            else:
                views = [(state.index_items, uid + bytes((job["index"],)))]
            done = True
            for view, prefix in views:
                keys = [k for k, _ in view.items(prefix, prefix + b"\xff" * 16, limit=PURGE_CHUNK)]
                for k in keys:
                    view.delete(k)
                if len(keys) == PURGE_CHUNK:
                    done = False
            # Expiry entries of a dropped table are discarded by the TTL sweeper when they fall due.
            if done:
                state.catalog.delete(key)
        if not done:
            self.runtime.scheduler.call_later(0, self.purge_chunk, account, region, key)


class _Ignored:
    """A WriteCost nobody reads (backfills are free)."""

    def __init__(self) -> None:
        self.indexes: dict = {}


def _doing(record: dict) -> str:
    return {"CREATING": "created", "UPDATING": "updated", "DELETING": "deleted"}.get(record["TableStatus"], "updated")
