"""On-demand backups and restores (RestoreTableFromBackup, RestoreTableToPointInTime).

A backup is a copy of the table's items under a key prefix of its own in the
``items`` store, beside its description in ``backups``. The first chunk of items is
copied in the CreateBackup request itself (a table of up to BACKUP_CHUNK items is
captured exactly as it was); a larger table is copied on in chunks between requests
while the backup is CREATING, so writes made meanwhile may show in it.

A restore creates the target table (CREATING, RestoreInProgress) and writes the
items into it in chunks, indexes included; the table then becomes ACTIVE.
Cloudlet keeps no history of a table: RestoreTableToPointInTime restores the
source table as it is when the restore starts, whatever time in the recovery
window was asked for.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from cloudlet.protocol.errors import ServiceError
from cloudlet.services.dynamodb.state import DynamoDBState
from cloudlet.services.dynamodb.storage import load
from cloudlet.services.dynamodb.tables import table_name
from cloudlet.services.dynamodb.values import invalid

if TYPE_CHECKING:
    from cloudlet.context import RequestContext
    from cloudlet.services.dynamodb.provider import DynamoDBProvider

BACKUP_CHUNK = 5000
RESTORE_CHUNK = 1000


def _backup_not_found(arn: str) -> ServiceError:
    return ServiceError("BackupNotFoundException", f"Backup not found: {arn}")


def _table_not_found(name: str) -> ServiceError:
    return ServiceError("TableNotFoundException", f"Table not found: {name}")


def _range(uid: bytes) -> tuple[bytes, bytes]:
    return uid, uid + b"\xff" * 8


class BackupOperations:
    # --- backups -------------------------------------------------------------------------

    def create_backup(self: DynamoDBProvider, ctx: RequestContext, params: dict) -> dict:
        state = self.state(ctx)
        name = table_name(params["TableName"])
        record = state.catalog.get(name)
        if record is None:
            raise _table_not_found(name)
        if record["TableStatus"] != "ACTIVE":
            raise ServiceError("TableInUseException", f"Table is being {record['TableStatus'].lower()}: {name}")
        now = self.runtime.clock.now()
        stamp = int(now * 1000)
        arn = f"{record['TableArn']}/backup/{stamp:013d}-{secrets.token_hex(4)}"
        stats = self.stats(state, self.schema_of(state, record))
        backup = {
            "BackupDetails": {
                "BackupArn": arn, "BackupName": params["BackupName"], "BackupSizeBytes": stats.size,
                "BackupStatus": "CREATING", "BackupType": "USER", "BackupCreationDateTime": now,
            },
            "_table": {k: v for k, v in record.items() if k not in ("_stats", "_policies", "_insights", "_tags")},
            "_item_count": stats.count,
            "_uid": secrets.token_bytes(8).hex(),
        }
        state.backups.put(arn, backup)
        self.copy_backup_chunk(ctx.account, ctx.region, arn, None)
        backup = state.backups.get(arn)
        return {"BackupDetails": backup["BackupDetails"]}

    def copy_backup_chunk(self: DynamoDBProvider, account: str, region: str, arn: str, after: str | None) -> None:
        """Copy the next chunk of the source table's items into the backup (the last makes it AVAILABLE)."""
        with self.runtime.db.transaction():
            state = DynamoDBState(self.runtime.db, account, region)
            backup = state.backups.get(arn)
            if backup is None:
                return
            source = bytes.fromhex(backup["_table"]["_uid"])
            target = bytes.fromhex(backup["_uid"])
            start, end = _range(source)
            last = None
            count = 0
            for key, value in state.items.items(start, end, after=bytes.fromhex(after) if after else None,
                                                limit=BACKUP_CHUNK):
                state.items.put(target + key[len(source):], value)
                last = key
                count += 1
            if count == BACKUP_CHUNK:
                self.runtime.scheduler.call_later(0, self.copy_backup_chunk, account, region, arn, last.hex())  # type: ignore[union-attr]
                return
            backup["BackupDetails"]["BackupStatus"] = "AVAILABLE"
            state.backups.put(arn, backup)

    def _description(self: DynamoDBProvider, backup: dict) -> dict:
        table = backup["_table"]
        billing = (table.get("BillingModeSummary") or {}).get("BillingMode", "PROVISIONED")
        throughput = table.get("ProvisionedThroughput") or {}
        source: dict[str, Any] = {
            "TableName": table["TableName"], "TableId": table["TableId"], "TableArn": table["TableArn"],
            "TableSizeBytes": backup["BackupDetails"]["BackupSizeBytes"], "KeySchema": table["KeySchema"],
            "TableCreationDateTime": table["CreationDateTime"],
            "ProvisionedThroughput": {"ReadCapacityUnits": throughput.get("ReadCapacityUnits", 0),
                                      "WriteCapacityUnits": throughput.get("WriteCapacityUnits", 0)},
            "ItemCount": backup["_item_count"], "BillingMode": billing,
        }
        features: dict[str, Any] = {}
        if table.get("LocalSecondaryIndexes"):
            features["LocalSecondaryIndexes"] = [
                {k: i[k] for k in ("IndexName", "KeySchema", "Projection")} for i in table["LocalSecondaryIndexes"]]
        if table.get("GlobalSecondaryIndexes"):
            features["GlobalSecondaryIndexes"] = [
                {k: i[k] for k in ("IndexName", "KeySchema", "Projection", "ProvisionedThroughput") if k in i}
                for i in table["GlobalSecondaryIndexes"]]
        if table.get("StreamSpecification"):
            features["StreamDescription"] = table["StreamSpecification"]
        ttl = table.get("_ttl") or {}
        features["TimeToLiveDescription"] = (
            {"TimeToLiveStatus": "ENABLED", "AttributeName": ttl["AttributeName"]}
            if ttl.get("Status") == "ENABLED" else {"TimeToLiveStatus": "DISABLED"})
        if table.get("SSEDescription"):
            features["SSEDescription"] = table["SSEDescription"]
        return {"BackupDetails": backup["BackupDetails"], "SourceTableDetails": source,
                "SourceTableFeatureDetails": features}

    def describe_backup(self: DynamoDBProvider, ctx: RequestContext, params: dict) -> dict:
        backup = self.state(ctx).backups.get(params["BackupArn"])
        if backup is None:
            raise _backup_not_found(params["BackupArn"])
        return {"BackupDescription": self._description(backup)}

    def delete_backup(self: DynamoDBProvider, ctx: RequestContext, params: dict) -> dict:
        state = self.state(ctx)
        arn = params["BackupArn"]
        backup = state.backups.get(arn)
        if backup is None:
            raise _backup_not_found(arn)
        if backup["BackupDetails"]["BackupStatus"] == "CREATING":
            raise ServiceError("BackupInUseException", f"Backup is being created: {arn}")
        state.backups.delete(arn)
        self.purge(state, backup["_uid"], None)
        description = self._description(backup)
        description["BackupDetails"] = {**description["BackupDetails"], "BackupStatus": "DELETED"}
        return {"BackupDescription": description}

    def list_backups(self: DynamoDBProvider, ctx: RequestContext, params: dict) -> dict:
        state = self.state(ctx)
        name = table_name(params["TableName"]) if params.get("TableName") else None
        kind = params.get("BackupType") or "USER"
        low, high = params.get("TimeRangeLowerBound"), params.get("TimeRangeUpperBound")
        start = params.get("ExclusiveStartBackupArn")
        limit = params.get("Limit") or 100
        found = []
        for arn, backup in state.backups.items():
            details = backup["BackupDetails"]
            table = backup["_table"]
            if name is not None and table["TableName"] != name:
                continue
            if kind not in ("ALL", details["BackupType"]):
                continue
            created = details["BackupCreationDateTime"]
            if low is not None and created < low.timestamp():
                continue
            if high is not None and created > high.timestamp():
                continue
            if start is not None and arn <= start:
                continue
            found.append({"TableName": table["TableName"], "TableId": table["TableId"], "TableArn": table["TableArn"],
                          **{k: details[k] for k in ("BackupArn", "BackupName", "BackupCreationDateTime",
                                                     "BackupStatus", "BackupType", "BackupSizeBytes")}})
        out: dict[str, Any] = {"BackupSummaries": found[:limit]}
        if len(found) > limit:
            out["LastEvaluatedBackupArn"] = found[limit - 1]["BackupArn"]
        return out

    # --- restores ---------------------------------------------------------------------------

    def restore_table_from_backup(self: DynamoDBProvider, ctx: RequestContext, params: dict) -> dict:
        state = self.state(ctx)
        backup = state.backups.get(params["BackupArn"])
        if backup is None:
            raise _backup_not_found(params["BackupArn"])
        if backup["BackupDetails"]["BackupStatus"] != "AVAILABLE":
            raise ServiceError("BackupInUseException", f"Backup is being created: {params['BackupArn']}")
        summary = {"SourceBackupArn": params["BackupArn"], "SourceTableArn": backup["_table"]["TableArn"],
                   "RestoreDateTime": backup["BackupDetails"]["BackupCreationDateTime"], "RestoreInProgress": True}
        return self._restore(ctx, state, backup["_table"], backup["_uid"], params, summary)

    def restore_table_to_point_in_time(self: DynamoDBProvider, ctx: RequestContext, params: dict) -> dict:
        state = self.state(ctx)
        source_name = params.get("SourceTableName") or table_name(params.get("SourceTableArn") or "")
        if not source_name:
            raise invalid("Either SourceTableArn or SourceTableName must be specified")
        record = state.catalog.get(source_name)
        if record is None:
            raise _table_not_found(source_name)
        pitr = record.get("_pitr")
        if not pitr:
            raise ServiceError("PointInTimeRecoveryUnavailableException",
                               f"Point in time recovery is not enabled for table '{source_name}'")
        now = self.runtime.clock.now()
        when = now
        if not params.get("UseLatestRestorableTime") and params.get("RestoreDateTime") is not None:
            when = params["RestoreDateTime"].timestamp()
            earliest = max(pitr["since"], now - pitr.get("days", 35) * 86400)
            if not earliest <= when <= now:
                raise ServiceError("InvalidRestoreTimeException",
                                   f"RestoreDateTime must be between {_iso(earliest)} and {_iso(now)}")
        summary = {"SourceTableArn": record["TableArn"], "RestoreDateTime": when, "RestoreInProgress": True}
        return self._restore(ctx, state, record, record["_uid"], params, summary)

    def _restore(self: DynamoDBProvider, ctx: RequestContext, state: DynamoDBState, source: dict, uid: str,
                 params: dict, summary: dict) -> dict:
        name = params["TargetTableName"]
        if name in state.catalog:
            raise ServiceError("TableAlreadyExistsException", f"Table already exists: {name}")
        now = self.runtime.clock.now()
        table_id = str(uuid.uuid4())
        arn = ctx.arn(f"table/{name}")
        record: dict[str, Any] = {
            "TableName": name, "TableId": table_id, "TableArn": arn,
            "AttributeDefinitions": source["AttributeDefinitions"], "KeySchema": source["KeySchema"],
            "TableStatus": "CREATING", "CreationDateTime": now,
            "ProvisionedThroughput": dict(source["ProvisionedThroughput"]), "DeletionProtectionEnabled": False,
            "RestoreSummary": summary, "_uid": uuid.UUID(table_id).bytes[:8].hex(), "_next_index": 1,
            "_restore": {"from": uid, "after": None},
        }
        billing = params.get("BillingModeOverride") or (source.get("BillingModeSummary") or {}).get(
            "BillingMode", "PROVISIONED")
        if billing == "PAY_PER_REQUEST":
            record["BillingModeSummary"] = {"BillingMode": "PAY_PER_REQUEST", "LastUpdateToPayPerRequestDateTime": now}
            record["ProvisionedThroughput"] = {"NumberOfDecreasesToday": 0, "ReadCapacityUnits": 0,
                                               "WriteCapacityUnits": 0}
        elif params.get("ProvisionedThroughputOverride"):
            record["ProvisionedThroughput"] = {"NumberOfDecreasesToday": 0, **params["ProvisionedThroughputOverride"]}
        for kind, override in (("LocalSecondaryIndexes", "LocalSecondaryIndexOverride"),
                               ("GlobalSecondaryIndexes", "GlobalSecondaryIndexOverride")):
            specs = params.get(override) if params.get(override) is not None else source.get(kind)
            if specs:
                record[kind] = [self._new_index(record, spec, arn, kind == "GlobalSecondaryIndexes", billing)
                                for spec in specs]
        if source.get("SSEDescription") and not params.get("SSESpecificationOverride"):
            record["SSEDescription"] = source["SSEDescription"]
        self.save_table(state, record)
        self.runtime.scheduler.call_later(0, self.restore_chunk, ctx.account, ctx.region, name)
        return {"TableDescription": self.describe(state, record)}

    def restore_chunk(self: DynamoDBProvider, account: str, region: str, name: str) -> None:
        """Write the next chunk of the restored items (with their index entries); the last makes the table ACTIVE."""
        with self.runtime.db.transaction():
            state = DynamoDBState(self.runtime.db, account, region)
            record = state.catalog.get(name)
            if record is None or "_restore" not in record:
                return
            progress = record["_restore"]
            for index in record.get("GlobalSecondaryIndexes") or ():
                index["_building"] = True  # written to by the restore below
            schema = self.schema_of(state, record)
            source = bytes.fromhex(progress["from"])
            start, end = _range(source)
            after = bytes.fromhex(progress["after"]) if progress["after"] else None
            count = 0
            for key, value in state.items.items(start, end, after=after, limit=RESTORE_CHUNK):
                item, size = load(value)
                self.storage.write(state, schema, schema.uid + key[len(source):], None, 0, item, size,
                                   len(value) > 2, stream=False)
                after = key
                count += 1
            if count == RESTORE_CHUNK:
                progress["after"] = after.hex()  # type: ignore[union-attr]
                for index in record.get("GlobalSecondaryIndexes") or ():
                    index.pop("_building", None)
                self.save_table(state, record)
                self.runtime.scheduler.call_later(0, self.restore_chunk, account, region, name)
                return
            del record["_restore"]
            record["RestoreSummary"]["RestoreInProgress"] = False
            record["TableStatus"] = "ACTIVE"
            for index in record.get("GlobalSecondaryIndexes") or ():
                index.pop("_building", None)
                index["IndexStatus"] = "ACTIVE"
            self.save_table(state, record)


def _iso(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%a %b %d %H:%M:%S UTC %Y")
