"""Local and global secondary indexes: projections, sparse indexes, Select rules and index write capacity."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.dynamodb.conftest import unique, validation


@pytest.fixture(scope="module")
def indexed(cloudlet) -> Iterator[str]:  # noqa: ANN001
    ddb = cloudlet.client("dynamodb")
    name = unique("idx")
    ddb.create_table(
        TableName=name,
        AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n in ("pk", "sk", "lsk", "lsk2", "g", "gs")],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        BillingMode="PAY_PER_REQUEST",
        LocalSecondaryIndexes=[
            {"IndexName": "lsi-all", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                                                   {"AttributeName": "lsk", "KeyType": "RANGE"}],
             "Projection": {"ProjectionType": "ALL"}},
            {"IndexName": "lsi-keys", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                                                    {"AttributeName": "lsk2", "KeyType": "RANGE"}],
             "Projection": {"ProjectionType": "KEYS_ONLY"}},
        ],
        GlobalSecondaryIndexes=[
            {"IndexName": "gsi-inc", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"},
                                                   {"AttributeName": "gs", "KeyType": "RANGE"}],
             "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["proj"]}},
            {"IndexName": "gsi-keys", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
             "Projection": {"ProjectionType": "KEYS_ONLY"}},
        ],
    )
    ddb.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 5})
    for i in range(6):
        item = {"pk": {"S": "p"}, "sk": {"S": f"s{i}"}, "proj": {"S": f"proj{i}"}, "extra": {"S": f"o{i}"}}
        if i % 2 == 0:  # sparse: only half the items carry the index keys
            item.update({"lsk": {"S": f"l{5 - i}"}, "lsk2": {"S": f"m{i}"}, "g": {"S": "G"}, "gs": {"S": f"g{5 - i}"}})
        ddb.put_item(TableName=name, Item=item)
    yield name
    ddb.delete_table(TableName=name)


def _query(ddb, table: str, index: str, condition: str, values: dict, **options) -> dict:  # noqa: ANN001, ANN003
    return ddb.query(TableName=table, IndexName=index, KeyConditionExpression=condition,
                     ExpressionAttributeValues=values, **options)


def test_local_index_orders_by_its_sort_key_and_is_sparse(ddb, indexed) -> None:  # noqa: ANN001
    result = _query(ddb, indexed, "lsi-all", "pk = :p", {":p": {"S": "p"}}, ConsistentRead=True)
    assert [i["sk"]["S"] for i in result["Items"]] == ["s4", "s2", "s0"]
    assert result["Items"][0]["extra"] == {"S": "o4"}  # ALL projection: the whole item
    described = ddb.describe_table(TableName=indexed)["Table"]
    counts = {i["IndexName"]: i["ItemCount"] for i in described["LocalSecondaryIndexes"]}
    counts.update({i["IndexName"]: i["ItemCount"] for i in described["GlobalSecondaryIndexes"]})
    assert counts == {"lsi-all": 3, "lsi-keys": 3, "gsi-inc": 3, "gsi-keys": 3}
    assert described["ItemCount"] == 6


def test_keys_only_local_index_fetches_other_attributes_from_the_table(ddb, indexed) -> None:  # noqa: ANN001
    keys_only = _query(ddb, indexed, "lsi-keys", "pk = :p AND lsk2 > :m", {":p": {"S": "p"}, ":m": {"S": "m0"}})
    assert [set(i) for i in keys_only["Items"]] == [{"pk", "sk", "lsk2"}] * 2
    fetched = _query(ddb, indexed, "lsi-keys", "pk = :p", {":p": {"S": "p"}}, Select="ALL_ATTRIBUTES",
                     ReturnConsumedCapacity="INDEXES")
    assert fetched["Items"][0]["extra"] == {"S": "o0"}
    capacity = fetched["ConsumedCapacity"]
    assert capacity["LocalSecondaryIndexes"]["lsi-keys"]["CapacityUnits"] == 0.5
    assert capacity["Table"]["CapacityUnits"] == 3.0  # one strongly consistent read of each item


def test_global_index_projection_and_select_rules(ddb, indexed, raw) -> None:  # noqa: ANN001
    result = _query(ddb, indexed, "gsi-inc", "g = :g AND gs BETWEEN :a AND :b",
                    {":g": {"S": "G"}, ":a": {"S": "g1"}, ":b": {"S": "g3"}})
    assert [set(i) for i in result["Items"]] == [{"pk", "sk", "g", "gs", "proj"}] * 2
    assert [i["gs"]["S"] for i in result["Items"]] == ["g1", "g3"]
    assert result["Items"] == _query(ddb, indexed, "gsi-inc", "g = :g AND gs BETWEEN :a AND :b",
                                     {":g": {"S": "G"}, ":a": {"S": "g1"}, ":b": {"S": "g3"}},
                                     Select="ALL_PROJECTED_ATTRIBUTES")["Items"]
    projected = _query(ddb, indexed, "gsi-inc", "g = :g", {":g": {"S": "G"}}, ProjectionExpression="extra, proj")
    assert projected["Items"][0] == {"proj": {"S": "proj4"}}  # "extra" is not in the index
    assert validation(raw.query, TableName=indexed, IndexName="gsi-inc", KeyConditionExpression="g = :g",
                      ExpressionAttributeValues={":g": {"S": "G"}}, Select="ALL_ATTRIBUTES") == (
        "One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not supported for global secondary "
        "index gsi-inc because its projection type is not ALL")
    assert validation(raw.query, TableName=indexed, IndexName="gsi-keys", KeyConditionExpression="g = :g",
                      ExpressionAttributeValues={":g": {"S": "G"}}, ConsistentRead=True) == (
        "Consistent reads are not supported on global secondary indexes")


def test_index_pages_carry_the_index_keys(ddb, indexed) -> None:  # noqa: ANN001
    first = _query(ddb, indexed, "gsi-keys", "g = :g", {":g": {"S": "G"}}, Limit=2)
    assert set(first["LastEvaluatedKey"]) == {"pk", "sk", "g"}
    rest = _query(ddb, indexed, "gsi-keys", "g = :g", {":g": {"S": "G"}}, ExclusiveStartKey=first["LastEvaluatedKey"])
    assert {i["sk"]["S"] for i in first["Items"] + rest["Items"]} == {"s0", "s2", "s4"}
    scanned = ddb.scan(TableName=indexed, IndexName="gsi-inc")
    assert scanned["Count"] == 3


def test_index_key_types_are_checked_on_write(raw, indexed) -> None:  # noqa: ANN001
    assert validation(raw.put_item, TableName=indexed, Item={"pk": {"S": "x"}, "sk": {"S": "y"}, "lsk": {"N": "5"}}) == (
        "One or more parameter values were invalid: Type mismatch for Index Key lsk Expected: S Actual: N "
        "IndexName: lsi-all")
    assert validation(raw.put_item, TableName=indexed, Item={"pk": {"S": "x"}, "sk": {"S": "y"}, "g": {"S": ""}}) == (
        "One or more parameter values are not valid. A value specified for a secondary index key is not supported. "
        "The AttributeValue for a key attribute cannot contain an empty string value. IndexName: gsi-inc, IndexKey: g")
    assert validation(raw.update_item, TableName=indexed, Key={"pk": {"S": "x"}, "sk": {"S": "y"}},
                      UpdateExpression="SET g = :e", ExpressionAttributeValues={":e": {"S": ""}}) == (
        "One or more parameter values are not valid. The update expression attempted to update a secondary index key "
        "to a value that is not supported. The AttributeValue for a key attribute cannot contain an empty string value.")


def test_index_write_capacity(ddb) -> None:  # noqa: ANN001
    name = unique("wcu")
    ddb.create_table(
        TableName=name, BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n in ("pk", "sk", "gsiPk", "lsiSk")],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        GlobalSecondaryIndexes=[{"IndexName": "gsi-inc", "KeySchema": [{"AttributeName": "gsiPk", "KeyType": "HASH"}],
                                 "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["proj"]}}],
        LocalSecondaryIndexes=[{"IndexName": "lsi1", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                                                                   {"AttributeName": "lsiSk", "KeyType": "RANGE"}],
                                "Projection": {"ProjectionType": "ALL"}}],
    )

    def arms(capacity: dict) -> tuple:
        return (capacity["CapacityUnits"], capacity["Table"]["CapacityUnits"],
                capacity.get("GlobalSecondaryIndexes", {}).get("gsi-inc", {}).get("CapacityUnits"),
                capacity.get("LocalSecondaryIndexes", {}).get("lsi1", {}).get("CapacityUnits"))

    def put(item: dict) -> tuple:
        return arms(ddb.put_item(TableName=name, Item=item, ReturnConsumedCapacity="INDEXES")["ConsumedCapacity"])

    full = {"pk": {"S": "a"}, "sk": {"S": "1"}, "gsiPk": {"S": "g"}, "lsiSk": {"S": "L"}, "proj": {"S": "p"},
            "extra": {"S": "o"}}
    assert put({"pk": {"S": "s"}, "sk": {"S": "1"}, "extra": {"S": "o"}}) == (1.0, 1.0, None, None)
    assert put(full) == (3.0, 1.0, 1.0, 1.0)
    assert put(full) == (1.0, 1.0, None, None)  # an identical overwrite changes no index

    def update(expression: str, values: dict | None = None) -> tuple:
        extra = {"ExpressionAttributeValues": values} if values else {}
        return arms(ddb.update_item(TableName=name, Key={"pk": {"S": "a"}, "sk": {"S": "1"}},
                                    UpdateExpression=expression, ReturnConsumedCapacity="INDEXES",
                                    **extra)["ConsumedCapacity"])

    assert update("SET extra = :v", {":v": {"S": "o2"}}) == (2.0, 1.0, None, 1.0)
    assert update("SET proj = :v", {":v": {"S": "p2"}}) == (3.0, 1.0, 1.0, 1.0)
    assert update("SET gsiPk = :v", {":v": {"S": "moved"}}) == (4.0, 1.0, 2.0, 1.0)
    assert update("REMOVE gsiPk") == (3.0, 1.0, 1.0, 1.0)
    deleted = ddb.delete_item(TableName=name, Key={"pk": {"S": "a"}, "sk": {"S": "1"}},
                              ReturnConsumedCapacity="INDEXES", ReturnItemCollectionMetrics="SIZE")
    assert arms(deleted["ConsumedCapacity"]) == (2.0, 1.0, None, 1.0)
    assert deleted["ItemCollectionMetrics"]["ItemCollectionKey"] == {"pk": {"S": "a"}}
    total = ddb.put_item(TableName=name, Item=full, ReturnConsumedCapacity="TOTAL")["ConsumedCapacity"]
    assert total == {"TableName": name, "CapacityUnits": 3.0}
    ddb.delete_table(TableName=name)
