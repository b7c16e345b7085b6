"""The AWS CLI against DynamoDB, and DynamoDB state across a restart and a kill -9."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from concurrent.futures import ThreadPoolExecutor

from tests.dynamodb.conftest import unique
from tests.server.process import cloudlet_process


def aws(cloudlet, *args: str) -> subprocess.CompletedProcess:  # noqa: ANN001
    return subprocess.run(["aws", "dynamodb", *args, "--output", "json"], env=cloudlet.env(), capture_output=True,
                          text=True, timeout=120)


def test_aws_cli_round_trip(cloudlet) -> None:  # noqa: ANN001
    name = unique("cli")
    created = aws(cloudlet, "create-table", "--table-name", name, "--billing-mode", "PAY_PER_REQUEST",
                  "--attribute-definitions", "AttributeName=pk,AttributeType=S", "AttributeName=sk,AttributeType=N",
                  "--key-schema", "AttributeName=pk,KeyType=HASH", "AttributeName=sk,KeyType=RANGE")
    assert created.returncode == 0, created.stderr
    assert aws(cloudlet, "wait", "table-exists", "--table-name", name).returncode == 0
    for i in range(3):
        put = aws(cloudlet, "put-item", "--table-name", name,
                  "--item", json.dumps({"pk": {"S": "a"}, "sk": {"N": str(i)}, "s": {"SS": ["x", "y"]}}))
        assert put.returncode == 0, put.stderr
    queried = aws(cloudlet, "query", "--table-name", name, "--key-condition-expression", "pk = :p AND sk > :z",
                  "--expression-attribute-values", json.dumps({":p": {"S": "a"}, ":z": {"N": "0"}}))
    assert queried.returncode == 0, queried.stderr
    items = json.loads(queried.stdout)["Items"]
    assert [i["sk"]["N"] for i in items] == ["1", "2"] and sorted(items[0]["s"]["SS"]) == ["x", "y"]
    # The CLI paginates scans itself, page by page.
    scanned = aws(cloudlet, "scan", "--table-name", name, "--page-size", "1")
    assert json.loads(scanned.stdout)["Count"] == 3
    failed = aws(cloudlet, "put-item", "--table-name", name, "--item", json.dumps({"pk": {"S": "a"}, "sk": {"N": "1"}}),
                 "--condition-expression", "attribute_not_exists(pk)")
    assert failed.returncode != 0
    assert "ConditionalCheckFailedException" in failed.stderr and "The conditional request failed" in failed.stderr
    assert aws(cloudlet, "delete-table", "--table-name", name).returncode == 0
    assert aws(cloudlet, "wait", "table-not-exists", "--table-name", name).returncode == 0


def test_acknowledged_writes_survive_kill_9(tmp_path) -> None:  # noqa: ANN001
    with cloudlet_process("--data-dir", str(tmp_path)) as cloud:
        ddb = cloud.client("dynamodb")
        ddb.create_table(
            TableName="durable", BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                  {"AttributeName": "g", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            GlobalSecondaryIndexes=[{"IndexName": "by-g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                     "Projection": {"ProjectionType": "ALL"}}],
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
        )
        ddb.get_waiter("table_exists").wait(TableName="durable", WaiterConfig={"Delay": 1, "MaxAttempts": 5})

        def write(i: int) -> None:
            ddb.put_item(TableName="durable", Item={"pk": {"S": f"k{i}"}, "g": {"S": f"g{i % 4}"}, "n": {"N": str(i)}})

        with ThreadPoolExecutor(8) as pool:
            list(pool.map(write, range(300)))
        ddb.update_item(TableName="durable", Key={"pk": {"S": "k0"}}, UpdateExpression="SET n = :v",
                        ExpressionAttributeValues={":v": {"N": "-1"}})
        os.kill(cloud.process.pid, signal.SIGKILL)  # right after the last acknowledgment
        cloud.process.wait(30)

    with cloudlet_process("--data-dir", str(tmp_path)) as cloud:
        ddb = cloud.client("dynamodb")
        assert ddb.describe_table(TableName="durable")["Table"]["TableStatus"] == "ACTIVE"
        assert ddb.scan(TableName="durable", Select="COUNT")["Count"] == 300
        assert ddb.get_item(TableName="durable", Key={"pk": {"S": "k0"}})["Item"]["n"] == {"N": "-1"}
        by_index = ddb.query(TableName="durable", IndexName="by-g", KeyConditionExpression="g = :g",
                             ExpressionAttributeValues={":g": {"S": "g1"}}, Select="COUNT")
        assert by_index["Count"] == 75
        arn = ddb.describe_table(TableName="durable")["Table"]["LatestStreamArn"]
        streams = cloud.client("dynamodbstreams")
        shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
        iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
        records = streams.get_records(ShardIterator=iterator["ShardIterator"])["Records"]
        assert len(records) == 301
        numbers = [int(r["dynamodb"]["SequenceNumber"]) for r in records]
        assert numbers == sorted(numbers)
        ddb.put_item(TableName="durable", Item={"pk": {"S": "after"}})  # sequence numbers go on increasing
        more = streams.get_records(ShardIterator=iterator["ShardIterator"])["Records"]
        assert int(more[-1]["dynamodb"]["SequenceNumber"]) > numbers[-1]


def test_acknowledged_puts_on_a_plain_table_survive_kill_9(tmp_path) -> None:  # noqa: ANN001
    # No index, stream or TTL: PutItem writes in one statement of its own (Storage.put_simple).
    with cloudlet_process("--data-dir", str(tmp_path)) as cloud:
        ddb = cloud.client("dynamodb")
        ddb.create_table(TableName="plain", BillingMode="PAY_PER_REQUEST",
                         AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                         KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])
        ddb.get_waiter("table_exists").wait(TableName="plain", WaiterConfig={"Delay": 1, "MaxAttempts": 5})

        def write(i: int) -> None:  # 200 keys, each written twice: inserts and overwrites
            ddb.put_item(TableName="plain", Item={"pk": {"S": f"k{i % 200}"}, "n": {"N": str(i)}})

        with ThreadPoolExecutor(8) as pool:
            list(pool.map(write, range(400)))
        ddb.put_item(TableName="plain", Item={"pk": {"S": "k0"}, "n": {"N": "-1"}})
        os.kill(cloud.process.pid, signal.SIGKILL)  # right after the last acknowledgment
        cloud.process.wait(30)

    with cloudlet_process("--data-dir", str(tmp_path)) as cloud:
        ddb = cloud.client("dynamodb")
        items = ddb.scan(TableName="plain")["Items"]
        assert len(items) == 200
        assert {item["pk"]["S"]: int(item["n"]["N"]) for item in items} == {
            f"k{i}": (-1 if i == 0 else i + 200) for i in range(200)}
