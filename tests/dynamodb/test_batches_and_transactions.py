"""BatchGetItem, BatchWriteItem, TransactWriteItems and TransactGetItems through boto3."""

from __future__ import annotations

from decimal import Decimal

import pytest
from botocore.exceptions import ClientError

from tests.dynamodb.conftest import error_of, validation


def test_batch_write_then_batch_get(ddb, table, composite) -> None:  # noqa: ANN001
    writes = {
        table: [{"PutRequest": {"Item": {"pk": {"S": f"k{i}"}, "v": {"N": str(i)}}}} for i in range(20)],
        composite: [{"PutRequest": {"Item": {"pk": {"S": "c"}, "sk": {"S": str(i)}}}} for i in range(5)],
    }
    result = ddb.batch_write_item(RequestItems=writes, ReturnConsumedCapacity="TOTAL")
    assert result["UnprocessedItems"] == {}
    assert sorted((c["TableName"], c["CapacityUnits"]) for c in result["ConsumedCapacity"]) == sorted(
        [(table, 20.0), (composite, 5.0)])
    got = ddb.batch_get_item(RequestItems={
        table: {"Keys": [{"pk": {"S": f"k{i}"}} for i in (1, 2, 99)], "ProjectionExpression": "v"},
        composite: {"Keys": [{"pk": {"S": "c"}, "sk": {"S": "4"}}], "ConsistentRead": True},
    }, ReturnConsumedCapacity="TOTAL")
    assert sorted(i["v"]["N"] for i in got["Responses"][table]) == ["1", "2"]
    assert got["Responses"][composite] == [{"pk": {"S": "c"}, "sk": {"S": "4"}}]
    assert got["UnprocessedKeys"] == {}
    units = {c["TableName"]: c["CapacityUnits"] for c in got["ConsumedCapacity"]}
    assert units == {table: 1.5, composite: 1.0}
    deletes = ddb.batch_write_item(RequestItems={table: [{"DeleteRequest": {"Key": {"pk": {"S": "k1"}}}}]})
    assert deletes["UnprocessedItems"] == {}
    assert "Item" not in ddb.get_item(TableName=table, Key={"pk": {"S": "k1"}})


def test_batch_validation(raw, table, composite) -> None:  # noqa: ANN001
    assert validation(raw.batch_write_item, RequestItems={table: [
        {"PutRequest": {"Item": {"pk": {"S": "d"}}}}, {"DeleteRequest": {"Key": {"pk": {"S": "d"}}}}]}) == (
        "Provided list of item keys contains duplicates")
    assert validation(raw.batch_get_item, RequestItems={table: {"Keys": [{"pk": {"S": "d"}}, {"pk": {"S": "d"}}]}}) == (
        "Provided list of item keys contains duplicates")
    assert validation(raw.batch_write_item, RequestItems={table: [{"PutRequest": {"Item": {"pk": {"N": "5"}}}}]}) == (
        "The provided key element does not match the schema")
    assert validation(raw.batch_write_item, RequestItems={table: [{"PutRequest": {"Item": {"pk": {"S": ""}}}}]}) == (
        "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty "
        "string value. Key: pk")
    assert validation(raw.batch_get_item, RequestItems={
        table: {"Keys": [{"pk": {"S": "a"}}], "AttributesToGet": ["pk"], "ProjectionExpression": "pk"}}).startswith(
        "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: "
        "{AttributesToGet} Expression parameters: {ProjectionExpression}")
    assert validation(raw.batch_get_item, RequestItems={table: {"Keys": [{"pk": {"S": "a"}}],
                                                               "ProjectionExpression": "a, a"}}) == (
        "Invalid ProjectionExpression: Two document paths overlap with each other; must remove or rewrite one of these "
        "paths; path one: [a], path two: [a]")
    too_many = [{"PutRequest": {"Item": {"pk": {"S": str(i)}}}} for i in range(13)]
    assert validation(raw.batch_write_item, RequestItems={table: too_many, composite: [
        {"PutRequest": {"Item": {"pk": {"S": str(i)}, "sk": {"S": "x"}}}} for i in range(13)]}) == (
        "Too many items requested for the BatchWriteItem call")
    assert error_of(raw.batch_write_item, RequestItems={"nope-table": [{"PutRequest": {"Item": {"pk": {"S": "t"}}}}]}) \
        == ("ResourceNotFoundException", "Requested resource not found")
    # Nothing was written by any of the refused batches.
    assert raw.scan(TableName=table)["Count"] == 0


def test_batch_writer_and_resource_api(cloudlet, table) -> None:  # noqa: ANN001
    from boto3.dynamodb.conditions import Attr, Key

    resource = cloudlet.resource("dynamodb")
    t = resource.Table(table)
    with t.batch_writer() as writer:
        for i in range(60):
            writer.put_item(Item={"pk": f"w{i}", "n": i, "tags": {"a", "b"}, "nested": {"x": [1, Decimal("2.5"), "s"]}})
    assert t.item_count == 60
    item = t.get_item(Key={"pk": "w7"})["Item"]
    assert item["n"] == 7 and item["tags"] == {"a", "b"} and item["nested"]["x"][1] == Decimal("2.5")
    t.update_item(Key={"pk": "w7"}, UpdateExpression="SET n = n + :inc", ExpressionAttributeValues={":inc": 5})
    assert t.get_item(Key={"pk": "w7"})["Item"]["n"] == 12
    found = t.scan(FilterExpression=Attr("n").between(10, 12) & Attr("tags").contains("a"))["Items"]
    assert sorted(i["n"] for i in found) == [10, 11, 12, 12]
    assert t.query(KeyConditionExpression=Key("pk").eq("w3"))["Items"][0]["n"] == 3
    with pytest.raises(ClientError) as excinfo:
        t.put_item(Item={"pk": "w3"}, ConditionExpression=Attr("pk").not_exists())
    assert excinfo.value.response["Error"]["Code"] == "ConditionalCheckFailedException"


def test_transact_write_all_or_nothing(ddb, table) -> None:  # noqa: ANN001
    ddb.put_item(TableName=table, Item={"pk": {"S": "exists"}, "v": {"N": "1"}})
    with pytest.raises(ClientError) as excinfo:
        ddb.transact_write_items(TransactItems=[
            {"Put": {"TableName": table, "Item": {"pk": {"S": "new"}}, "ConditionExpression": "attribute_not_exists(pk)"}},
            {"Update": {"TableName": table, "Key": {"pk": {"S": "exists"}}, "UpdateExpression": "SET v = :two",
                        "ConditionExpression": "v = :zero", "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                        "ExpressionAttributeValues": {":two": {"N": "2"}, ":zero": {"N": "0"}}}},
            {"Delete": {"TableName": table, "Key": {"pk": {"S": "other"}}}},
        ])
    error = excinfo.value.response
    assert error["Error"]["Code"] == "TransactionCanceledException"
    assert error["Error"]["Message"] == (
        "Transaction cancelled, please refer cancellation reasons for specific reasons [None, ConditionalCheckFailed, "
        "None]")
    assert error["CancellationReasons"] == [
        {"Code": "None"},
        {"Code": "ConditionalCheckFailed", "Message": "The conditional request failed",
         "Item": {"pk": {"S": "exists"}, "v": {"N": "1"}}},
        {"Code": "None"},
    ]
    assert "Item" not in ddb.get_item(TableName=table, Key={"pk": {"S": "new"}})
    result = ddb.transact_write_items(TransactItems=[
        {"Put": {"TableName": table, "Item": {"pk": {"S": "new"}}, "ConditionExpression": "attribute_not_exists(pk)"}},
        {"Update": {"TableName": table, "Key": {"pk": {"S": "exists"}}, "UpdateExpression": "SET v = v + :one",
                    "ExpressionAttributeValues": {":one": {"N": "1"}}}},
        {"Delete": {"TableName": table, "Key": {"pk": {"S": "gone"}}}},
    ], ReturnConsumedCapacity="TOTAL")
    assert result["ConsumedCapacity"] == [{"TableName": table, "CapacityUnits": 6.0}]
    assert ddb.get_item(TableName=table, Key={"pk": {"S": "exists"}})["Item"]["v"] == {"N": "2"}
    got = ddb.transact_get_items(TransactItems=[
        {"Get": {"TableName": table, "Key": {"pk": {"S": "exists"}}, "ProjectionExpression": "v"}},
        {"Get": {"TableName": table, "Key": {"pk": {"S": "absent"}}}},
    ], ReturnConsumedCapacity="TOTAL")
    assert got["Responses"] == [{"Item": {"v": {"N": "2"}}}, {}]
    assert got["ConsumedCapacity"] == [{"TableName": table, "CapacityUnits": 4.0}]


def test_condition_check_and_validation_reasons(ddb, table, raw) -> None:  # noqa: ANN001
    ddb.put_item(TableName=table, Item={"pk": {"S": "cc"}})
    with pytest.raises(ClientError) as excinfo:
        ddb.transact_write_items(TransactItems=[
            {"ConditionCheck": {"TableName": table, "Key": {"pk": {"S": "cc"}},
                                "ConditionExpression": "attribute_not_exists(pk)"}},
            {"Put": {"TableName": table, "Item": {"pk": {"N": "5"}}}},
        ])
    assert excinfo.value.response["CancellationReasons"] == [
        {"Code": "ConditionalCheckFailed", "Message": "The conditional request failed"},
        {"Code": "ValidationError",
         "Message": "One or more parameter values were invalid: Type mismatch for key pk expected: S actual: N"},
    ]
    assert validation(raw.transact_write_items, TransactItems=[
        {"Put": {"TableName": table, "Item": {"pk": {"S": "d"}}}},
        {"Delete": {"TableName": table, "Key": {"pk": {"S": "d"}}}}]) == (
        "Transaction request cannot include multiple operations on one item")
    assert validation(raw.transact_write_items, TransactItems=[
        {"Put": {"TableName": table, "Item": {"pk": {"S": ""}}}}]) == (
        "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty "
        "string value. Key: pk")
    assert validation(raw.transact_write_items, TransactItems=[]) == (
        "1 validation error detected: Value '[]' at 'transactItems' failed to satisfy constraint: Member must have "
        "length greater than or equal to 1")
    assert error_of(raw.transact_write_items, TransactItems=[
        {"Put": {"TableName": "nope-table", "Item": {"pk": {"S": "x"}}}}]) == (
        "ResourceNotFoundException", "Requested resource not found")
    assert "Item" not in ddb.get_item(TableName=table, Key={"pk": {"S": "d"}})
