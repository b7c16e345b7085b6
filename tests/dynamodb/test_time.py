"""What Cloudlet's clock drives: stream records and their retention, TTL expiry, token windows, throttling.

These tests move the clock a lot, so they run against a private server.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from cloudlet.config import Config
from cloudlet.testing import Cloudlet, cloudlet_server
from tests.dynamodb.conftest import create, error_of, unique


@pytest.fixture(scope="module")
def cloud() -> Iterator[Cloudlet]:
    with cloudlet_server(Config(ephemeral=True, port=0, dynamodb_throughput=True)) as server:
        yield server


@pytest.fixture(scope="module")
def ddb(cloud: Cloudlet) -> Any:
    return cloud.client("dynamodb")


@pytest.fixture(scope="module")
def streams(cloud: Cloudlet) -> Any:
    return cloud.client("dynamodbstreams")


def _records(streams: Any, arn: str, kind: str = "TRIM_HORIZON", **options: Any) -> tuple[list, str | None]:
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType=kind, **options)
    result = streams.get_records(ShardIterator=iterator["ShardIterator"])
    return result["Records"], result.get("NextShardIterator")


@pytest.mark.parametrize("view", ["KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES"])
def test_stream_records_carry_the_view_types_images(ddb, streams, view) -> None:  # noqa: ANN001
    name = create(ddb, StreamSpecification={"StreamEnabled": True, "StreamViewType": view})
    ddb.put_item(TableName=name, Item={"pk": {"S": "a"}, "v": {"N": "1"}})
    ddb.put_item(TableName=name, Item={"pk": {"S": "a"}, "v": {"N": "1"}})  # no change: no record
    ddb.update_item(TableName=name, Key={"pk": {"S": "a"}}, UpdateExpression="SET v = :two",
                    ExpressionAttributeValues={":two": {"N": "2"}})
    ddb.delete_item(TableName=name, Key={"pk": {"S": "a"}})
    arn = ddb.describe_table(TableName=name)["Table"]["LatestStreamArn"]
    records, _ = _records(streams, arn)
    assert [r["eventName"] for r in records] == ["INSERT", "MODIFY", "REMOVE"]
    sequences = [int(r["dynamodb"]["SequenceNumber"]) for r in records]
    assert sequences == sorted(sequences) and len(set(sequences)) == 3
    first, second, third = (r["dynamodb"] for r in records)
    assert all(r["eventSource"] == "aws:dynamodb" and r["awsRegion"] == "us-east-1" for r in records)
    assert first["Keys"] == {"pk": {"S": "a"}} and first["StreamViewType"] == view
    new_images = view in ("NEW_IMAGE", "NEW_AND_OLD_IMAGES")
    old_images = view in ("OLD_IMAGE", "NEW_AND_OLD_IMAGES")
    assert ("NewImage" in first) is new_images and ("OldImage" in first) is False
    assert ("OldImage" in second) is old_images and ("NewImage" in third) is False
    if new_images:
        assert second["NewImage"] == {"pk": {"S": "a"}, "v": {"N": "2"}}
    if old_images:
        assert third["OldImage"] == {"pk": {"S": "a"}, "v": {"N": "2"}}
    assert first["SizeBytes"] > 0 and "ApproximateCreationDateTime" in first


def test_iterators_latest_and_sequence_numbers(ddb, streams) -> None:  # noqa: ANN001
    name = create(ddb, StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})
    arn = ddb.describe_table(TableName=name)["Table"]["LatestStreamArn"]
    latest, _ = _records(streams, arn, "LATEST")
    assert latest == []
    for i in range(3):
        ddb.put_item(TableName=name, Item={"pk": {"S": f"k{i}"}})
    records, _ = _records(streams, arn)
    second = records[1]["dynamodb"]["SequenceNumber"]
    at, _ = _records(streams, arn, "AT_SEQUENCE_NUMBER", SequenceNumber=second)
    after, _ = _records(streams, arn, "AFTER_SEQUENCE_NUMBER", SequenceNumber=second)
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in at] == ["k1", "k2"]
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in after] == ["k2"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]
    assert shard["SequenceNumberRange"]["StartingSequenceNumber"] == records[0]["dynamodb"]["SequenceNumber"]
    listed = streams.list_streams(TableName=name)["Streams"]
    assert listed == [{"StreamArn": arn, "TableName": name, "StreamLabel": arn.rsplit("/", 1)[1]}]
    assert error_of(streams.describe_stream, StreamArn=arn + "x")[0] == "ResourceNotFoundException"


def test_disabling_closes_the_shard_and_records_expire_after_a_day(cloud, ddb, streams) -> None:  # noqa: ANN001
    name = create(ddb, StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})
    arn = ddb.describe_table(TableName=name)["Table"]["LatestStreamArn"]
    ddb.put_item(TableName=name, Item={"pk": {"S": "x"}})
    ddb.update_table(TableName=name, StreamSpecification={"StreamEnabled": False})
    description = streams.describe_stream(StreamArn=arn)["StreamDescription"]
    assert description["StreamStatus"] == "DISABLED"
    assert "EndingSequenceNumber" in description["Shards"][0]["SequenceNumberRange"]
    records, following = _records(streams, arn)
    assert len(records) == 1 and following is None  # a closed shard read to its end has no next iterator
    shard = description["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
    cloud.advance_clock(16 * 60)
    assert error_of(streams.get_records, ShardIterator=iterator["ShardIterator"])[0] == "ExpiredIteratorException"
    cloud.advance_clock(24 * 3600)
    assert error_of(streams.describe_stream, StreamArn=arn)[0] == "ResourceNotFoundException"


def test_records_older_than_a_day_are_trimmed(cloud, ddb, streams) -> None:  # noqa: ANN001
    name = create(ddb, StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})
    arn = ddb.describe_table(TableName=name)["Table"]["LatestStreamArn"]
    ddb.put_item(TableName=name, Item={"pk": {"S": "old"}})
    cloud.advance_clock(24 * 3600 + 1)
    ddb.put_item(TableName=name, Item={"pk": {"S": "new"}})
    records, _ = _records(streams, arn)
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in records] == ["new"]


def test_ttl_deletes_expired_items_with_a_service_remove_record(cloud, ddb, streams) -> None:  # noqa: ANN001
    name = create(ddb, StreamSpecification={"StreamEnabled": True, "StreamViewType": "OLD_IMAGE"})
    ddb.update_time_to_live(TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires"})
    now = int(cloud.now())
    ddb.put_item(TableName=name, Item={"pk": {"S": "soon"}, "expires": {"N": str(now + 60)}})
    ddb.put_item(TableName=name, Item={"pk": {"S": "later"}, "expires": {"N": str(now + 3600)}})
    ddb.put_item(TableName=name, Item={"pk": {"S": "never"}, "expires": {"S": "not a number"}})
    ddb.put_item(TableName=name, Item={"pk": {"S": "ancient"}, "expires": {"N": str(now - 6 * 365 * 86400)}})
    cloud.advance_clock(61)
    keys = sorted(i["pk"]["S"] for i in ddb.scan(TableName=name)["Items"])
    assert keys == ["ancient", "later", "never"]  # more than five years past: TTL ignores it
    arn = ddb.describe_table(TableName=name)["Table"]["LatestStreamArn"]
    records, _ = _records(streams, arn)
    removes = [r for r in records if r["eventName"] == "REMOVE"]
    assert len(removes) == 1
    assert removes[0]["userIdentity"] == {"PrincipalId": "dynamodb.amazonaws.com", "Type": "Service"}
    assert removes[0]["dynamodb"]["OldImage"]["pk"] == {"S": "soon"}
    # Moving the expiry later keeps the item; the sweeper follows the new time.
    ddb.update_item(TableName=name, Key={"pk": {"S": "later"}}, UpdateExpression="SET expires = :t",
                    ExpressionAttributeValues={":t": {"N": str(now + 7200)}})
    cloud.advance_clock(3600)
    assert "Item" in ddb.get_item(TableName=name, Key={"pk": {"S": "later"}})
    cloud.advance_clock(3600)
    assert "Item" not in ddb.get_item(TableName=name, Key={"pk": {"S": "later"}})


def test_ttl_enabled_on_a_table_with_items_indexes_them(cloud, ddb) -> None:  # noqa: ANN001
    name = create(ddb)
    now = int(cloud.now())
    for i in range(5):
        ddb.put_item(TableName=name, Item={"pk": {"S": f"k{i}"}, "ttl": {"N": str(now + 100 * (i + 1))}})
    ddb.update_time_to_live(TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": "ttl"})
    cloud.advance_clock(250)
    assert sorted(i["pk"]["S"] for i in ddb.scan(TableName=name)["Items"]) == ["k2", "k3", "k4"]


def test_client_request_token_window(cloud, ddb) -> None:  # noqa: ANN001
    name = create(ddb)
    request = {"TransactItems": [{"Update": {
        "TableName": name, "Key": {"pk": {"S": "idem"}}, "UpdateExpression": "ADD n :one",
        "ExpressionAttributeValues": {":one": {"N": "1"}}}}], "ClientRequestToken": "token-1"}
    ddb.transact_write_items(**request)
    ddb.transact_write_items(**request)
    assert ddb.get_item(TableName=name, Key={"pk": {"S": "idem"}})["Item"]["n"] == {"N": "1"}
    changed = dict(request, TransactItems=[{"Put": {"TableName": name, "Item": {"pk": {"S": "idem"}}}}])
    assert error_of(ddb.transact_write_items, **changed)[0] == "IdempotentParameterMismatchException"
    cloud.advance_clock(601)  # the token is remembered for ten minutes
    ddb.transact_write_items(**request)
    assert ddb.get_item(TableName=name, Key={"pk": {"S": "idem"}})["Item"]["n"] == {"N": "2"}


def test_provisioned_tables_throttle_when_the_option_is_on(cloud, ddb) -> None:  # noqa: ANN001
    # Buckets refill by the clock, and wall time passes between calls on a busy machine: every request here
    # costs several units, so a bucket stays empty for seconds after it.
    name = create(ddb, ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1})
    big = {"S": "x" * 5000}  # about 5 KB: five write units a put
    ddb.put_item(TableName=name, Item={"pk": {"S": "a"}, "v": big})
    with pytest.raises(ClientError) as excinfo:
        ddb.put_item(TableName=name, Item={"pk": {"S": "b"}})
    assert excinfo.value.response["Error"] == {
        "Code": "ProvisionedThroughputExceededException",
        "Message": "The level of configured provisioned throughput for the table was exceeded. Consider increasing "
                   "your provisioning level with the UpdateTable API.",
    }
    cloud.advance_clock(5)
    ddb.put_item(TableName=name, Item={"pk": {"S": "large"}, "v": {"S": "x" * 40000}})
    cloud.advance_clock(5)
    ddb.get_item(TableName=name, Key={"pk": {"S": "large"}}, ConsistentRead=True)  # 10 units
    assert error_of(ddb.get_item, TableName=name, Key={"pk": {"S": "a"}})[0] == "ProvisionedThroughputExceededException"
    cloud.advance_clock(600)  # unused capacity accumulates, up to 300 seconds' worth
    accepted = 0
    while accepted < 100:
        try:
            ddb.put_item(TableName=name, Item={"pk": {"S": "c"}, "v": big})
        except ClientError as e:
            assert e.response["Error"]["Code"] == "ProvisionedThroughputExceededException"
            break
        accepted += 1
    assert 60 <= accepted < 70  # 300 units of burst, 5 a write
    on_demand = create(ddb, unique("od"))
    for i in range(20):
        ddb.put_item(TableName=on_demand, Item={"pk": {"S": str(i)}, "v": big})


def test_stream_records_are_published_on_the_bus(cloud, ddb, streams) -> None:  # noqa: ANN001
    seen: list[dict] = []
    unsubscribe = cloud.server.runtime.bus.subscribe("dynamodb:stream-record", lambda topic, event: seen.append(event))
    try:
        name = create(ddb, StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"})
        ddb.put_item(TableName=name, Item={"pk": {"S": "bus"}, "b": {"B": b"\x00"}})
        cloud.advance_clock(0)  # the admin call waits for queued bus handlers
    finally:
        unsubscribe()
    mine = [e for e in seen if e["table"] == name]
    assert len(mine) == 1
    event = mine[0]
    assert (event["account"], event["region"]) == ("000000000000", "us-east-1")
    assert event["stream_arn"] == ddb.describe_table(TableName=name)["Table"]["LatestStreamArn"]
    assert event["record"]["eventName"] == "INSERT"
    assert event["record"]["dynamodb"]["NewImage"] == {"pk": {"S": "bus"}, "b": {"B": b"\x00"}}
    records, _ = _records(streams, event["stream_arn"])
    assert records[0]["dynamodb"]["SequenceNumber"] == event["record"]["dynamodb"]["SequenceNumber"]


def test_throttled_batches_leave_items_unprocessed(cloud, ddb) -> None:  # noqa: ANN001
    name = create(ddb, ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1})
    writes = [{"PutRequest": {"Item": {"pk": {"S": f"b{i}"}}}} for i in range(5)]
    first = ddb.batch_write_item(RequestItems={name: writes})
    assert first["UnprocessedItems"] == {name: writes[1:]}  # one write unit: one item this second
    assert error_of(ddb.batch_write_item, RequestItems=first["UnprocessedItems"])[0] == (
        "ProvisionedThroughputExceededException")
    cloud.advance_clock(10)
    assert ddb.batch_write_item(RequestItems=first["UnprocessedItems"])["UnprocessedItems"] == {}
    keys = [{"pk": {"S": f"b{i}"}} for i in range(5)]
    got = ddb.batch_get_item(RequestItems={name: {"Keys": keys, "ConsistentRead": True}})
    assert len(got["Responses"][name]) == 1 and got["UnprocessedKeys"][name]["Keys"] == keys[1:]


def test_a_global_index_throttles_the_table_writes_it_receives(cloud, ddb) -> None:  # noqa: ANN001
    name = create(ddb, extra=[("g", "S")], ProvisionedThroughput={"ReadCapacityUnits": 100, "WriteCapacityUnits": 100},
                  GlobalSecondaryIndexes=[{"IndexName": "by-g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                           "Projection": {"ProjectionType": "ALL"},
                                           "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}}])
    big = {"S": "x" * 5000}
    ddb.put_item(TableName=name, Item={"pk": {"S": "a"}, "g": {"S": "G"}, "v": big})  # five units on the index
    assert error_of(ddb.put_item, TableName=name, Item={"pk": {"S": "b"}}) == (
        "ProvisionedThroughputExceededException",
        "The level of configured provisioned throughput for one or more global secondary indexes of the table was "
        "exceeded. Consider increasing your provisioning level for the under-provisioned global secondary indexes "
        "with the UpdateTable API.",
    )
    for _ in range(5):  # reads of the table are not held back by the index
        ddb.get_item(TableName=name, Key={"pk": {"S": "a"}})
