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
    assert result["ConsumedCapacity"] == [{"TableName": table, "CapacityUnits": 6.0, "WriteCapacityUnits": 6.0}]
    assert ddb.get_item(TableName=table, Key={"pk": {"S": "exists"}})["Item"]["v"] == {"N": "2"}
    got = ddb.transact_get_items(TransactItems=[
        {"Get": {"TableName": table, "Key": {"pk": {"S": "exists"}}, "ProjectionExpression": "v"}},
        {"Get": {"TableName": table, "Key": {"pk": {"S": "absent"}}}},
    ], ReturnConsumedCapacity="TOTAL")
    assert got["Responses"] == [{"Item": {"v": {"N": "2"}}}, {}]
    assert got["ConsumedCapacity"] == [{"TableName": table, "CapacityUnits": 4.0, "ReadCapacityUnits": 4.0}]


def test_transaction_capacity_write_then_read_on_a_replay(ddb, table) -> None:  # noqa: ANN001
    """A ConditionCheck is billed as a write; a same-token replay as a transactional read of the item now."""
    ddb.put_item(TableName=table, Item={"pk": {"S": "checked"}})
    request = {"TransactItems": [
        {"Put": {"TableName": table, "Item": {"pk": {"S": "big"}, "v": {"S": "x" * 1536}}}},  # 2 KB: 4 write units
        {"ConditionCheck": {"TableName": table, "Key": {"pk": {"S": "checked"}},
                            "ConditionExpression": "attribute_exists(pk)"}},
    ], "ClientRequestToken": "capacity-replay", "ReturnConsumedCapacity": "TOTAL"}
    first = ddb.transact_write_items(**request)["ConsumedCapacity"]
    assert first == [{"TableName": table, "CapacityUnits": 6.0, "WriteCapacityUnits": 6.0}]
    replay = ddb.transact_write_items(**request)["ConsumedCapacity"]
    assert replay == [{"TableName": table, "CapacityUnits": 4.0, "ReadCapacityUnits": 4.0}]


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


def test_batch_get_stops_at_sixteen_megabytes(ddb, table) -> None:  # noqa: ANN001
    blob = "x" * 399_000
    keys = [{"pk": {"S": f"big{i:02d}"}} for i in range(45)]  # 45 x ~399 KB: about 18 MB
    for start in range(0, 45, 5):
        ddb.batch_write_item(RequestItems={table: [{"PutRequest": {"Item": {**k, "v": {"S": blob}}}}
                                                   for k in keys[start:start + 5]]})
    got = ddb.batch_get_item(RequestItems={table: {"Keys": keys, "ProjectionExpression": "pk"}})
    returned = [i["pk"]["S"] for i in got["Responses"][table]]
    left = got["UnprocessedKeys"][table]["Keys"]
    assert 38 <= len(returned) < 45 and len(returned) + len(left) == 45
    assert got["UnprocessedKeys"][table]["ProjectionExpression"] == "pk"
    again = ddb.batch_get_item(RequestItems=got["UnprocessedKeys"])
    assert len(again["Responses"][table]) == len(left) and again["UnprocessedKeys"] == {}


def test_transactions_are_all_or_nothing_for_concurrent_readers(cloudlet, table) -> None:  # noqa: ANN001
    import threading

    ddb = cloudlet.client("dynamodb")
    keys = [{"pk": {"S": "acct-a"}}, {"pk": {"S": "acct-b"}}]
    for key in keys:
        ddb.put_item(TableName=table, Item={**key, "balance": {"N": "1000"}})
    stop = threading.Event()
    seen: list[int] = []
    errors: list[BaseException] = []

    def transfer(seed: int) -> None:
        client = cloudlet.client("dynamodb")
        for i in range(40):
            amount = {"N": str((seed + i) % 7 + 1)}
            source, target = (keys[0], keys[1]) if (seed + i) % 2 else (keys[1], keys[0])
            try:
                client.transact_write_items(TransactItems=[
                    {"Update": {"TableName": table, "Key": source, "UpdateExpression": "SET balance = balance - :a",
                                "ExpressionAttributeValues": {":a": amount}}},
                    {"Update": {"TableName": table, "Key": target, "UpdateExpression": "SET balance = balance + :a",
                                "ExpressionAttributeValues": {":a": amount}}},
                ])
            except BaseException as e:  # noqa: BLE001
                errors.append(e)

    def read() -> None:
        client = cloudlet.client("dynamodb")
        while not stop.is_set():
            got = client.transact_get_items(TransactItems=[{"Get": {"TableName": table, "Key": k}} for k in keys])
            seen.append(sum(int(r["Item"]["balance"]["N"]) for r in got["Responses"]))

    readers = [threading.Thread(target=read) for _ in range(2)]
    writers = [threading.Thread(target=transfer, args=(seed,)) for seed in range(3)]
    for thread in readers + writers:
        thread.start()
    for thread in writers:
        thread.join()
    stop.set()
    for thread in readers:
        thread.join()
    assert not errors and seen and set(seen) == {2000}


def test_transaction_limits_and_update_path_conflicts(raw, table) -> None:  # noqa: ANN001
    actions = [{"Put": {"TableName": table, "Item": {"pk": {"S": f"t{i}"}}}} for i in range(101)]
    message = validation(raw.transact_write_items, TransactItems=actions)
    assert message.startswith("1 validation error detected: Value '[") and message.endswith(
        "' at 'transactItems' failed to satisfy constraint: Member must have length less than or equal to 100")
    assert validation(raw.update_item, TableName=table, Key={"pk": {"S": "c"}}, UpdateExpression="SET a.b = :v, a[0] = :v",
                      ExpressionAttributeValues={":v": {"S": "x"}}) == (
        "Invalid UpdateExpression: Two document paths conflict with each other; must remove or rewrite one of these "
        "paths; path one: [a, b], path two: [a, [0]]")


def test_transact_get_key_errors_cancel_the_transaction(raw, table) -> None:  # noqa: ANN001
    with pytest.raises(ClientError) as excinfo:
        raw.transact_get_items(TransactItems=[{"Get": {"TableName": table, "Key": {"pk": {"S": "a"}}}},
                                              {"Get": {"TableName": table, "Key": {}}}])
    error = excinfo.value.response
    assert error["Error"]["Message"] == (
        "Transaction cancelled, please refer cancellation reasons for specific reasons [None, ValidationError]")
    assert error["CancellationReasons"][1] == {"Code": "ValidationError",
                                               "Message": "The provided key element does not match the schema"}
    assert validation(raw.transact_get_items, TransactItems=[
        {"Get": {"TableName": table, "Key": {"pk": {"S": "a"}}, "ProjectionExpression": "!!!"}}]) == (
        'Invalid ProjectionExpression: Syntax error; token: "!", near: "!!"')


def test_a_transaction_writes_at_most_four_megabytes(ddb, table) -> None:  # noqa: ANN001
    def puts(count: int, prefix: str) -> list:
        return [{"Put": {"TableName": table, "Item": {"pk": {"S": f"{prefix}{i}"}, "v": {"S": "x" * 350_000}}}}
                for i in range(count)]

    ddb.transact_write_items(TransactItems=puts(10, "ok"))
    assert validation(ddb.transact_write_items, TransactItems=puts(12, "no")) == (
        "Transaction request cannot be larger than 4 MB")
    assert "Item" not in ddb.get_item(TableName=table, Key={"pk": {"S": "no0"}})
