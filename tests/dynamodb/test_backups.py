"""On-demand backups and restores through boto3."""

from __future__ import annotations

from tests.dynamodb.conftest import create, error_of, unique


def test_backup_lifecycle_and_restore(ddb) -> None:  # noqa: ANN001
    source = create(ddb, range_key=("sk", "N"), extra=[("g", "S")],
                    GlobalSecondaryIndexes=[{"IndexName": "by-g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                             "Projection": {"ProjectionType": "KEYS_ONLY"}}])
    for i in range(30):
        ddb.put_item(TableName=source, Item={"pk": {"S": "p"}, "sk": {"N": str(i)}, "g": {"S": f"g{i % 3}"},
                                             "b": {"B": bytes([i])}})
    details = ddb.create_backup(TableName=source, BackupName="nightly")["BackupDetails"]
    arn = details["BackupArn"]
    assert details["BackupName"] == "nightly" and details["BackupType"] == "USER"
    assert arn.startswith(ddb.describe_table(TableName=source)["Table"]["TableArn"] + "/backup/")
    ddb.put_item(TableName=source, Item={"pk": {"S": "p"}, "sk": {"N": "99"}})  # after the backup
    described = ddb.describe_backup(BackupArn=arn)["BackupDescription"]
    assert described["BackupDetails"]["BackupStatus"] == "AVAILABLE"
    assert described["SourceTableDetails"]["ItemCount"] == 30
    assert described["SourceTableFeatureDetails"]["GlobalSecondaryIndexes"][0]["IndexName"] == "by-g"
    assert arn in [b["BackupArn"] for b in ddb.list_backups(TableName=source)["BackupSummaries"]]

    target = unique("restored")
    restored = ddb.restore_table_from_backup(TargetTableName=target, BackupArn=arn)["TableDescription"]
    assert restored["TableStatus"] == "CREATING"
    assert restored["RestoreSummary"]["SourceBackupArn"] == arn and restored["RestoreSummary"]["RestoreInProgress"]
    ddb.get_waiter("table_exists").wait(TableName=target, WaiterConfig={"Delay": 1, "MaxAttempts": 10})
    table = ddb.describe_table(TableName=target)["Table"]
    assert table["RestoreSummary"]["RestoreInProgress"] is False and table["ItemCount"] == 30
    items = ddb.query(TableName=target, KeyConditionExpression="pk = :p",
                      ExpressionAttributeValues={":p": {"S": "p"}})["Items"]
    assert [int(i["sk"]["N"]) for i in items] == list(range(30)) and items[5]["b"] == {"B": b"\x05"}
    by_index = ddb.query(TableName=target, IndexName="by-g", KeyConditionExpression="g = :g",
                         ExpressionAttributeValues={":g": {"S": "g1"}})
    assert by_index["Count"] == 10
    assert error_of(ddb.restore_table_from_backup, TargetTableName=target, BackupArn=arn)[0] == (
        "TableAlreadyExistsException")

    deleted = ddb.delete_backup(BackupArn=arn)["BackupDescription"]["BackupDetails"]
    assert deleted["BackupStatus"] == "DELETED"
    assert error_of(ddb.describe_backup, BackupArn=arn) == ("BackupNotFoundException", f"Backup not found: {arn}")
    assert error_of(ddb.create_backup, TableName="nope-table", BackupName="xyz") == (
        "TableNotFoundException", "Table not found: nope-table")
    for name in (source, target):
        ddb.delete_table(TableName=name)


def test_restore_to_point_in_time(ddb, table) -> None:  # noqa: ANN001
    ddb.put_item(TableName=table, Item={"pk": {"S": "kept"}})
    target = unique("pitr")
    assert error_of(ddb.restore_table_to_point_in_time, SourceTableName=table, TargetTableName=target,
                    UseLatestRestorableTime=True) == (
        "PointInTimeRecoveryUnavailableException", f"Point in time recovery is not enabled for table '{table}'")
    ddb.update_continuous_backups(TableName=table, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
    restored = ddb.restore_table_to_point_in_time(SourceTableName=table, TargetTableName=target,
                                                  UseLatestRestorableTime=True, BillingModeOverride="PAY_PER_REQUEST")
    assert restored["TableDescription"]["RestoreSummary"]["SourceTableArn"].endswith(f"table/{table}")
    ddb.get_waiter("table_exists").wait(TableName=target, WaiterConfig={"Delay": 1, "MaxAttempts": 10})
    assert ddb.get_item(TableName=target, Key={"pk": {"S": "kept"}})["Item"] == {"pk": {"S": "kept"}}
    ddb.delete_table(TableName=target)
