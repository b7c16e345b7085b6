"""The DynamoDB control plane through boto3: tables, indexes, status transitions, tags, TTL and backup settings."""

from __future__ import annotations

import pytest

from tests.dynamodb.conftest import create, error_of, unique, validation

PK = [{"AttributeName": "pk", "AttributeType": "S"}]
HASH = [{"AttributeName": "pk", "KeyType": "HASH"}]


def test_create_table_answers_creating_then_the_waiter_sees_active(ddb) -> None:  # noqa: ANN001
    name = unique()
    created = ddb.create_table(TableName=name, AttributeDefinitions=PK, KeySchema=HASH, BillingMode="PAY_PER_REQUEST")
    description = created["TableDescription"]
    assert description["TableStatus"] == "CREATING"
    assert description["TableArn"] == f"arn:aws:dynamodb:us-east-1:000000000000:table/{name}"
    assert description["ItemCount"] == 0 and description["TableSizeBytes"] == 0
    assert description["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert description["ProvisionedThroughput"] == {
        "NumberOfDecreasesToday": 0, "ReadCapacityUnits": 0, "WriteCapacityUnits": 0,
    }
    ddb.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 3})
    table = ddb.describe_table(TableName=name)["Table"]
    assert table["TableStatus"] == "ACTIVE"
    assert table["TableId"] == description["TableId"]
    assert table["KeySchema"] == HASH and table["AttributeDefinitions"] == PK
    assert table["DeletionProtectionEnabled"] is False
    assert ddb.describe_table(TableName=table["TableArn"])["Table"]["TableName"] == name


def test_provisioned_table_and_its_throughput_updates(ddb) -> None:  # noqa: ANN001
    name = create(ddb, ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 5})
    table = ddb.describe_table(TableName=name)["Table"]
    assert "BillingModeSummary" not in table
    assert table["ProvisionedThroughput"]["ReadCapacityUnits"] == 5
    message = validation(ddb.update_table, TableName=name,
                         ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 5})
    assert message.startswith("The provisioned throughput for the table will not change. The requested value equals "
                              "the current value. Current ReadCapacityUnits provisioned for the table: 5.")
    updated = ddb.update_table(TableName=name, ProvisionedThroughput={"ReadCapacityUnits": 20, "WriteCapacityUnits": 15})
    assert updated["TableDescription"]["TableStatus"] == "UPDATING"
    ddb.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 3})
    table = ddb.describe_table(TableName=name)["Table"]
    assert table["TableStatus"] == "ACTIVE"
    assert (table["ProvisionedThroughput"]["ReadCapacityUnits"], table["ProvisionedThroughput"]["WriteCapacityUnits"]) \
        == (20, 15)
    ddb.update_table(TableName=name, BillingMode="PAY_PER_REQUEST")
    table = ddb.describe_table(TableName=name)["Table"]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert table["ProvisionedThroughput"]["ReadCapacityUnits"] == 0
    assert validation(ddb.update_table, TableName=name, BillingMode="PAY_PER_REQUEST",
                      ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}) == (
        "One or more parameter values were invalid: Neither ReadCapacityUnits nor WriteCapacityUnits can be "
        "specified when BillingMode is PAY_PER_REQUEST"
    )
    assert validation(ddb.update_table, TableName=name) == (
        "At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, GlobalSecondaryIndexUpdates or "
        "SSESpecification or ReplicaUpdates is required"
    )
    ddb.delete_table(TableName=name)


@pytest.mark.parametrize(("params", "message"), [
    ({"AttributeDefinitions": PK, "KeySchema": HASH},
     "One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must both be specified "
     "when BillingMode is PROVISIONED"),
    ({"AttributeDefinitions": PK, "KeySchema": HASH, "BillingMode": "PAY_PER_REQUEST",
      "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}},
     "One or more parameter values were invalid: Neither ReadCapacityUnits nor WriteCapacityUnits can be specified "
     "when BillingMode is PAY_PER_REQUEST"),
    ({"AttributeDefinitions": [{"AttributeName": "x", "AttributeType": "S"}], "KeySchema": HASH,
      "BillingMode": "PAY_PER_REQUEST"},
     "One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. "
     "Keys: [pk], AttributeDefinitions: [x]"),
    ({"AttributeDefinitions": PK + [{"AttributeName": "extra", "AttributeType": "N"}], "KeySchema": HASH,
      "BillingMode": "PAY_PER_REQUEST"},
     "One or more parameter values were invalid: Number of attributes in KeySchema does not exactly match number of "
     "attributes defined in AttributeDefinitions"),
    ({"AttributeDefinitions": PK, "KeySchema": HASH + [{"AttributeName": "pk", "KeyType": "RANGE"}],
      "BillingMode": "PAY_PER_REQUEST"},
     "Invalid KeySchema: Some index key attribute have no definition"),
    ({"AttributeDefinitions": PK + [{"AttributeName": "sk", "AttributeType": "S"}],
      "KeySchema": [{"AttributeName": "pk", "KeyType": "RANGE"}, {"AttributeName": "sk", "KeyType": "HASH"}],
      "BillingMode": "PAY_PER_REQUEST"},
     "Invalid KeySchema: The first KeySchemaElement is not a HASH key type"),
    ({"AttributeDefinitions": PK + [{"AttributeName": "s", "AttributeType": "S"}, {"AttributeName": "x",
                                                                                   "AttributeType": "S"}],
      "KeySchema": HASH + [{"AttributeName": "s", "KeyType": "RANGE"}, {"AttributeName": "x", "KeyType": "RANGE"}],
      "BillingMode": "PAY_PER_REQUEST"},
     "1 validation error detected: Value '[KeySchemaElement(attributeName=pk, keyType=HASH), KeySchemaElement("
     "attributeName=s, keyType=RANGE), KeySchemaElement(attributeName=x, keyType=RANGE)]' at 'keySchema' failed to "
     "satisfy constraint: Member must have length less than or equal to 2"),
    ({"AttributeDefinitions": PK + [{"AttributeName": "l", "AttributeType": "S"}], "KeySchema": HASH,
      "BillingMode": "PAY_PER_REQUEST",
      "LocalSecondaryIndexes": [{"IndexName": "lsi", "KeySchema": HASH + [{"AttributeName": "l", "KeyType": "RANGE"}],
                                 "Projection": {"ProjectionType": "ALL"}}]},
     "One or more parameter values were invalid: Table KeySchema does not have a range key, which is required when "
     "specifying a LocalSecondaryIndex"),
    ({"AttributeDefinitions": PK + [{"AttributeName": "g", "AttributeType": "S"}], "KeySchema": HASH,
      "BillingMode": "PAY_PER_REQUEST",
      "GlobalSecondaryIndexes": [
          {"IndexName": "same", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
           "Projection": {"ProjectionType": "ALL"}},
          {"IndexName": "same", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
           "Projection": {"ProjectionType": "KEYS_ONLY"}}]},
     "One or more parameter values were invalid: Duplicate index name: same"),
    ({"AttributeDefinitions": PK + [{"AttributeName": "g", "AttributeType": "S"}], "KeySchema": HASH,
      "BillingMode": "PAY_PER_REQUEST",
      "GlobalSecondaryIndexes": [{"IndexName": "gsi", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                  "Projection": {"ProjectionType": "KEYS_ONLY", "NonKeyAttributes": ["x"]}}]},
     "One or more parameter values were invalid: ProjectionType is KEYS_ONLY, but NonKeyAttributes is specified"),
    ({"AttributeDefinitions": PK + [{"AttributeName": "g", "AttributeType": "S"}], "KeySchema": HASH,
      "BillingMode": "PAY_PER_REQUEST",
      "GlobalSecondaryIndexes": [{"IndexName": "gsi", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                  "Projection": {"ProjectionType": "INCLUDE"}}]},
     "One or more parameter values were invalid: ProjectionType is INCLUDE, but NonKeyAttributes is not specified"),
    ({"AttributeDefinitions": PK + [{"AttributeName": "g", "AttributeType": "S"}], "KeySchema": HASH,
      "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1},
      "GlobalSecondaryIndexes": [{"IndexName": "gsi", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                  "Projection": {"ProjectionType": "ALL"}}]},
     "One or more parameter values were invalid: ProvisionedThroughput must be specified for index: gsi"),
])
def test_create_table_validation(raw, params, message) -> None:  # noqa: ANN001
    assert validation(raw.create_table, TableName=unique(), **params) == message


def test_index_limits(raw) -> None:  # noqa: ANN001
    definitions = PK + [{"AttributeName": "sk", "AttributeType": "S"}, {"AttributeName": "l", "AttributeType": "S"}]
    schema = HASH + [{"AttributeName": "sk", "KeyType": "RANGE"}]
    lsis = [{"IndexName": f"lsi{i}", "KeySchema": HASH + [{"AttributeName": "l", "KeyType": "RANGE"}],
             "Projection": {"ProjectionType": "KEYS_ONLY"}} for i in range(6)]
    assert validation(raw.create_table, TableName=unique(), AttributeDefinitions=definitions, KeySchema=schema,
                      BillingMode="PAY_PER_REQUEST", LocalSecondaryIndexes=lsis) == (
        "One or more parameter values were invalid: Number of LocalSecondaryIndexes exceeds per-table limit of 5"
    )
    gsis = [{"IndexName": f"gsi{i}", "KeySchema": [{"AttributeName": "l", "KeyType": "HASH"}],
             "Projection": {"ProjectionType": "KEYS_ONLY"}} for i in range(21)]
    assert validation(raw.create_table, TableName=unique(), AttributeDefinitions=definitions, KeySchema=schema,
                      BillingMode="PAY_PER_REQUEST", GlobalSecondaryIndexes=gsis) == (
        "One or more parameter values were invalid: GlobalSecondaryIndex count exceeds the per-table limit of 20"
    )
    other = {"IndexName": "lsi", "KeySchema": [{"AttributeName": "l", "KeyType": "HASH"},
                                               {"AttributeName": "sk", "KeyType": "RANGE"}],
             "Projection": {"ProjectionType": "ALL"}}
    assert validation(raw.create_table, TableName=unique(), AttributeDefinitions=definitions, KeySchema=schema,
                      BillingMode="PAY_PER_REQUEST", LocalSecondaryIndexes=[other]) == (
        "One or more parameter values were invalid: Index KeySchema does not have the same leading hash key as table "
        "KeySchema for index: lsi. index hash key: l, table hash key: pk"
    )


def test_duplicate_and_missing_tables(ddb, table) -> None:  # noqa: ANN001
    code, message = error_of(ddb.create_table, TableName=table, AttributeDefinitions=PK, KeySchema=HASH,
                             BillingMode="PAY_PER_REQUEST")
    assert (code, message) == ("ResourceInUseException", f"Table already exists: {table}")
    assert error_of(ddb.describe_table, TableName="nope-table") == (
        "ResourceNotFoundException", "Requested resource not found: Table: nope-table not found"
    )
    assert error_of(ddb.delete_table, TableName="nope-table")[0] == "ResourceNotFoundException"
    assert error_of(ddb.get_item, TableName="nope-table", Key={"pk": {"S": "a"}}) == (
        "ResourceNotFoundException", "Requested resource not found"
    )


def test_delete_table_answers_deleting_and_the_waiter_sees_it_gone(ddb) -> None:  # noqa: ANN001
    name = create(ddb)
    ddb.put_item(TableName=name, Item={"pk": {"S": "a"}})
    deleted = ddb.delete_table(TableName=name)["TableDescription"]
    assert deleted["TableStatus"] == "DELETING" and deleted["ItemCount"] == 1
    ddb.get_waiter("table_not_exists").wait(TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 3})
    # A table created again under the same name starts empty.
    create(ddb, name)
    assert ddb.scan(TableName=name)["Count"] == 0
    ddb.delete_table(TableName=name)


def test_deletion_protection(ddb) -> None:  # noqa: ANN001
    name = create(ddb, DeletionProtectionEnabled=True)
    assert ddb.describe_table(TableName=name)["Table"]["DeletionProtectionEnabled"] is True
    assert validation(ddb.delete_table, TableName=name) == (
        "Resource cannot be deleted as it is currently protected against deletion. Disable deletion protection first."
    )
    ddb.update_table(TableName=name, DeletionProtectionEnabled=False)
    ddb.delete_table(TableName=name)


def test_on_demand_throughput_round_trips(ddb) -> None:  # noqa: ANN001
    name = create(ddb, OnDemandThroughput={"MaxReadRequestUnits": 10, "MaxWriteRequestUnits": 5})
    assert ddb.describe_table(TableName=name)["Table"]["OnDemandThroughput"] == {
        "MaxReadRequestUnits": 10, "MaxWriteRequestUnits": 5}
    ddb.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 1})
    ddb.update_table(TableName=name, OnDemandThroughput={"MaxReadRequestUnits": 20, "MaxWriteRequestUnits": 15})
    assert ddb.describe_table(TableName=name)["Table"]["OnDemandThroughput"] == {
        "MaxReadRequestUnits": 20, "MaxWriteRequestUnits": 15}
    ddb.delete_table(TableName=name)


def test_list_tables_pages_in_name_order(ddb) -> None:  # noqa: ANN001
    prefix = unique("list")
    names = [create(ddb, f"{prefix}-{i}", wait=False) for i in range(5)]
    listed: list[str] = []
    pages = 0
    for page in ddb.get_paginator("list_tables").paginate(PaginationConfig={"PageSize": 2}):
        listed += page["TableNames"]
        pages += 1
    assert [n for n in listed if n.startswith(prefix)] == sorted(names)
    assert listed == sorted(listed) and pages >= 3
    first = ddb.list_tables(ExclusiveStartTableName=names[1], Limit=2)
    assert first["TableNames"] == names[2:4] and first["LastEvaluatedTableName"] == names[3]
    for name in names:
        ddb.delete_table(TableName=name)


def test_global_secondary_index_created_later_is_backfilled_then_deleted(ddb) -> None:  # noqa: ANN001
    name = create(ddb, range_key=("sk", "S"))
    for i in range(30):
        ddb.put_item(TableName=name, Item={"pk": {"S": f"p{i}"}, "sk": {"S": "s"}, "g": {"S": f"g{i % 3}"}})
    updated = ddb.update_table(
        TableName=name, AttributeDefinitions=[{"AttributeName": "g", "AttributeType": "S"}],
        GlobalSecondaryIndexUpdates=[{"Create": {"IndexName": "by-g", "KeySchema": [{"AttributeName": "g",
                                                                                     "KeyType": "HASH"}],
                                                 "Projection": {"ProjectionType": "KEYS_ONLY"}}}],
    )["TableDescription"]
    assert updated["TableStatus"] == "UPDATING"
    index = updated["GlobalSecondaryIndexes"][0]
    assert index["IndexStatus"] == "CREATING" and index["Backfilling"] is True
    assert index["IndexArn"] == f"{updated['TableArn']}/index/by-g"
    ddb.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 5})
    table = ddb.describe_table(TableName=name)["Table"]
    assert table["GlobalSecondaryIndexes"][0]["IndexStatus"] == "ACTIVE"
    assert table["GlobalSecondaryIndexes"][0]["ItemCount"] == 30
    found = ddb.query(TableName=name, IndexName="by-g", KeyConditionExpression="g = :g",
                      ExpressionAttributeValues={":g": {"S": "g1"}})
    assert found["Count"] == 10
    assert all(set(item) == {"pk", "sk", "g"} for item in found["Items"])
    assert validation(ddb.update_table, TableName=name, GlobalSecondaryIndexUpdates=[
        {"Create": {"IndexName": "by-g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "ALL"}}}]) == (
        "One or more parameter values were invalid: Index already exists: by-g"
    )
    ddb.update_table(TableName=name, GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "by-g"}}])
    ddb.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 5})
    assert "GlobalSecondaryIndexes" not in ddb.describe_table(TableName=name)["Table"]
    assert validation(ddb.query, TableName=name, IndexName="by-g", KeyConditionExpression="g = :g",
                      ExpressionAttributeValues={":g": {"S": "g1"}}) == "The table does not have the specified index: by-g"
    ddb.delete_table(TableName=name)


def test_streams_on_off_and_a_new_label(ddb, table) -> None:  # noqa: ANN001
    enabled = ddb.update_table(TableName=table, StreamSpecification={"StreamEnabled": True,
                                                                    "StreamViewType": "KEYS_ONLY"})
    first = enabled["TableDescription"]["LatestStreamArn"]
    assert first.startswith(enabled["TableDescription"]["TableArn"] + "/stream/")
    assert enabled["TableDescription"]["LatestStreamLabel"] == first.rsplit("/", 1)[1]
    assert validation(ddb.update_table, TableName=table, StreamSpecification={
        "StreamEnabled": True, "StreamViewType": "KEYS_ONLY"}) == f"Table already has an enabled stream: TableName: {table}"
    ddb.update_table(TableName=table, StreamSpecification={"StreamEnabled": False})
    assert ddb.describe_table(TableName=table)["Table"]["StreamSpecification"] == {"StreamEnabled": False}
    again = ddb.update_table(TableName=table, StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"})
    assert again["TableDescription"]["LatestStreamArn"] != first


def test_tags(ddb, table) -> None:  # noqa: ANN001
    arn = ddb.describe_table(TableName=table)["Table"]["TableArn"]
    ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "env", "Value": "test"}, {"Key": "team", "Value": "a"}])
    ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "env", "Value": "prod"}])
    assert sorted((t["Key"], t["Value"]) for t in ddb.list_tags_of_resource(ResourceArn=arn)["Tags"]) == [
        ("env", "prod"), ("team", "a")]
    ddb.untag_resource(ResourceArn=arn, TagKeys=["team"])
    assert ddb.list_tags_of_resource(ResourceArn=arn)["Tags"] == [{"Key": "env", "Value": "prod"}]
    assert error_of(ddb.tag_resource, ResourceArn="not-a-valid-arn", Tags=[{"Key": "a", "Value": "b"}])[0] \
        == "ValidationException"
    missing = arn.rsplit("/", 1)[0] + "/no-such-table"
    assert error_of(ddb.list_tags_of_resource, ResourceArn=missing)[0] == "AccessDeniedException"
    tagged = create(ddb, Tags=[{"Key": "k", "Value": "v"}])
    tagged_arn = ddb.describe_table(TableName=tagged)["Table"]["TableArn"]
    assert ddb.list_tags_of_resource(ResourceArn=tagged_arn)["Tags"] == [{"Key": "k", "Value": "v"}]
    ddb.delete_table(TableName=tagged)


def test_time_to_live_settings(ddb, table) -> None:  # noqa: ANN001
    assert ddb.describe_time_to_live(TableName=table)["TimeToLiveDescription"] == {"TimeToLiveStatus": "DISABLED"}
    result = ddb.update_time_to_live(TableName=table, TimeToLiveSpecification={"Enabled": True,
                                                                               "AttributeName": "expires"})
    assert result["TimeToLiveSpecification"] == {"Enabled": True, "AttributeName": "expires"}
    assert ddb.describe_time_to_live(TableName=table)["TimeToLiveDescription"] == {
        "TimeToLiveStatus": "ENABLED", "AttributeName": "expires"}
    assert validation(ddb.update_time_to_live, TableName=table,
                      TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires"}) == (
        "TimeToLive is already enabled")
    ddb.update_time_to_live(TableName=table, TimeToLiveSpecification={"Enabled": False, "AttributeName": "expires"})
    assert ddb.describe_time_to_live(TableName=table)["TimeToLiveDescription"]["TimeToLiveStatus"] == "DISABLED"
    assert error_of(ddb.describe_time_to_live, TableName="nope-table")[0] == "ResourceNotFoundException"


def test_continuous_backups(ddb, table) -> None:  # noqa: ANN001
    described = ddb.describe_continuous_backups(TableName=table)["ContinuousBackupsDescription"]
    assert described == {"ContinuousBackupsStatus": "ENABLED",
                         "PointInTimeRecoveryDescription": {"PointInTimeRecoveryStatus": "DISABLED"}}
    updated = ddb.update_continuous_backups(
        TableName=table, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
    )["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]
    assert updated["PointInTimeRecoveryStatus"] == "ENABLED" and updated["RecoveryPeriodInDays"] == 35
    assert "EarliestRestorableDateTime" in updated
    assert error_of(ddb.describe_continuous_backups, TableName="nope-table") == (
        "TableNotFoundException", "Table not found: nope-table")


def test_limits_and_endpoints(ddb) -> None:  # noqa: ANN001
    limits = ddb.describe_limits()
    assert limits["AccountMaxReadCapacityUnits"] == 80000 and limits["TableMaxWriteCapacityUnits"] == 40000
    endpoints = ddb.describe_endpoints()["Endpoints"]
    assert endpoints[0]["CachePeriodInMinutes"] == 1440 and endpoints[0]["Address"]


def test_stream_and_sse_settings_at_creation(ddb) -> None:  # noqa: ANN001
    name = create(ddb, StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
                  SSESpecification={"Enabled": True}, TableClass="STANDARD_INFREQUENT_ACCESS")
    table = ddb.describe_table(TableName=name)["Table"]
    assert table["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert table["SSEDescription"]["Status"] == "ENABLED" and table["SSEDescription"]["SSEType"] == "KMS"
    assert table["TableClassSummary"]["TableClass"] == "STANDARD_INFREQUENT_ACCESS"
    ddb.delete_table(TableName=name)
    message = validation(ddb.create_table, TableName=unique(), AttributeDefinitions=PK, KeySchema=HASH,
                         BillingMode="PAY_PER_REQUEST",
                         StreamSpecification={"StreamEnabled": False, "StreamViewType": "NEW_IMAGE"})
    assert message.startswith("One or more parameter values were invalid: ")


def test_resource_policies_contributor_insights_and_kinesis_destinations(ddb, table) -> None:  # noqa: ANN001
    arn = ddb.describe_table(TableName=table)["Table"]["TableArn"]
    assert error_of(ddb.get_resource_policy, ResourceArn=arn)[0] == "PolicyNotFoundException"
    policy = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "dynamodb:GetItem", "Resource": "*"}]}'  # noqa: E501
    revision = ddb.put_resource_policy(ResourceArn=arn, Policy=policy)["RevisionId"]
    got = ddb.get_resource_policy(ResourceArn=arn)
    assert (got["Policy"], got["RevisionId"]) == (policy, revision)
    assert error_of(ddb.put_resource_policy, ResourceArn=arn, Policy=policy, ExpectedRevisionId="stale")[0] == (
        "PolicyNotFoundException")
    assert validation(ddb.put_resource_policy, ResourceArn=arn, Policy="not json").startswith("Invalid policy document")
    assert ddb.delete_resource_policy(ResourceArn=arn)["RevisionId"] == revision
    assert error_of(ddb.get_resource_policy, ResourceArn=arn + "x")[0] == "ResourceNotFoundException"
    assert ddb.describe_contributor_insights(TableName=table)["ContributorInsightsStatus"] == "DISABLED"
    updated = ddb.update_contributor_insights(TableName=table, ContributorInsightsAction="ENABLE")
    assert updated["ContributorInsightsStatus"] == "ENABLED"
    described = ddb.describe_contributor_insights(TableName=table)
    assert described["ContributorInsightsStatus"] == "ENABLED" and len(described["ContributorInsightsRuleList"]) == 4
    listed = ddb.list_contributor_insights(TableName=table)["ContributorInsightsSummaries"]
    assert listed == [{"TableName": table, "ContributorInsightsStatus": "ENABLED",
                       "ContributorInsightsMode": "ACCESSED_AND_THROTTLED_KEYS"}]
    assert ddb.describe_kinesis_streaming_destination(TableName=table)["KinesisDataStreamDestinations"] == []
    assert error_of(ddb.describe_contributor_insights, TableName="nope-table")[0] == "ResourceNotFoundException"
