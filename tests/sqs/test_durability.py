"""What SQS acknowledged survives kill -9; in-flight messages come back after a restart when their
visibility timeout passes; concurrent consumers see every message exactly once; FIFO keeps each
group's order under concurrency."""

from __future__ import annotations

import json
import os
import signal
import threading
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from tests.server.process import cloudlet_process
from tests.sqs.conftest import unique


def advance(endpoint: str, seconds: float) -> None:
    body = json.dumps({"advance": seconds}).encode()
    with urllib.request.urlopen(urllib.request.Request(f"{endpoint}/_cloudlet/clock", data=body, method="POST")):
        pass


def test_acknowledged_messages_survive_kill_9_and_in_flight_ones_return(tmp_path) -> None:  # noqa: ANN001
    with cloudlet_process("--data-dir", str(tmp_path)) as cloud:
        sqs = cloud.client("sqs")
        url = sqs.create_queue(QueueName="durable", Attributes={"VisibilityTimeout": "30"})["QueueUrl"]
        fifo = sqs.create_queue(QueueName="durable.fifo", Attributes={"FifoQueue": "true",
                                                                      "ContentBasedDeduplication": "true"})["QueueUrl"]
        for i in range(40):
            sqs.send_message(QueueUrl=url, MessageBody=f"m{i}")
        for i in range(5):
            sqs.send_message(QueueUrl=fifo, MessageBody=f"f{i}", MessageGroupId="g")
        in_flight = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
        sqs.send_message(QueueUrl=url, MessageBody="last")
        os.kill(cloud.process.pid, signal.SIGKILL)  # right after the last acknowledgment
        cloud.process.wait(30)
    with cloudlet_process("--data-dir", str(tmp_path)) as cloud:
        sqs = cloud.client("sqs")
        url = sqs.get_queue_url(QueueName="durable")["QueueUrl"]
        counts = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        assert (counts["ApproximateNumberOfMessages"], counts["ApproximateNumberOfMessagesNotVisible"]) == ("31", "10")
        seen = Counter()
        while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages"):
            seen.update(m["Body"] for m in messages)
        assert set(seen) == {f"m{i}" for i in range(40)} - {m["Body"] for m in in_flight} | {"last"}
        advance(cloud.endpoint, 30)
        back = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["ApproximateReceiveCount"])
        assert sorted(m["Body"] for m in back["Messages"]) == sorted(m["Body"] for m in in_flight)
        assert {m["Attributes"]["ApproximateReceiveCount"] for m in back["Messages"]} == {"2"}
        # A handle issued before the crash still deletes its message.
        sqs.delete_message(QueueUrl=url, ReceiptHandle=in_flight[0]["ReceiptHandle"])
        fifo = sqs.get_queue_url(QueueName="durable.fifo")["QueueUrl"]
        got = sqs.receive_message(QueueUrl=fifo, MaxNumberOfMessages=10)["Messages"]
        assert [m["Body"] for m in got] == [f"f{i}" for i in range(5)]
        # Deduplication history survived too.
        assert sqs.send_message(QueueUrl=fifo, MessageBody="f0", MessageGroupId="g")["MessageId"] == got[0]["MessageId"]


def test_eight_consumers_see_ten_thousand_messages_exactly_once(cloud, sqs) -> None:  # noqa: ANN001
    url = sqs.create_queue(QueueName=unique("load"), Attributes={"VisibilityTimeout": "300"})["QueueUrl"]
    clients = [cloud.client("sqs") for _ in range(8)]

    def send(worker: int) -> None:
        client = clients[worker]
        for start in range(worker * 1250, (worker + 1) * 1250, 10):
            result = client.send_message_batch(QueueUrl=url, Entries=[
                {"Id": str(i), "MessageBody": str(i)} for i in range(start, start + 10)])
            assert not result["Failed"]

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(send, range(8)))
    received: list[str] = []
    lock = threading.Lock()

    def consume(worker: int) -> None:
        client = clients[worker]
        while messages := client.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages"):
            with lock:
                received.extend(m["Body"] for m in messages)
            result = client.delete_message_batch(QueueUrl=url, Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)])
            assert not result["Failed"]

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(consume, range(8)))
    counted = Counter(received)
    assert len(counted) == 10_000 and set(counted.values()) == {1}
    counts = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert (counts["ApproximateNumberOfMessages"], counts["ApproximateNumberOfMessagesNotVisible"]) == ("0", "0")


def test_fifo_order_per_group_under_concurrent_consumers(cloud, sqs) -> None:  # noqa: ANN001
    url = sqs.create_queue(QueueName=unique("order") + ".fifo", Attributes={
        "FifoQueue": "true", "ContentBasedDeduplication": "true", "VisibilityTimeout": "300"})["QueueUrl"]
    groups, per_group = 6, 40
    for index in range(per_group):
        sqs.send_message_batch(QueueUrl=url, Entries=[
            {"Id": f"g{g}", "MessageBody": f"{g}:{index}", "MessageGroupId": f"g{g}"} for g in range(groups)])
    log: list[tuple[int, int]] = []
    lock = threading.Lock()

    def consume(_: int) -> None:
        client = cloud.client("sqs")
        idle = 0
        while idle < 3:
            messages = client.receive_message(QueueUrl=url, MaxNumberOfMessages=3).get("Messages")
            if not messages:
                idle += 1
                continue
            idle = 0
            with lock:  # logged before the delete that lets the group go on
                log.extend(tuple(map(int, m["Body"].split(":"))) for m in messages)
            client.delete_message_batch(QueueUrl=url, Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)])

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(consume, range(8)))
    for group in range(groups):
        assert [index for g, index in log if g == group] == list(range(per_group))
