"""FIFO queues: group ids, deduplication (explicit, content-based, per group) in a 5-minute window by
Cloudlet's clock, strict order per group, groups blocked while a message is in flight, retried
receives, sequence numbers and receipt handles that expire."""

from __future__ import annotations

from tests.sqs.conftest import fails, unique


def make(sqs, **attributes: str) -> str:  # noqa: ANN001
    return sqs.create_queue(QueueName=unique("f") + ".fifo", Attributes={"FifoQueue": "true", **attributes})[
        "QueueUrl"]


def bodies(sqs, url: str, count: int = 10, **kwargs) -> list[str]:  # noqa: ANN001, ANN003
    return [m["Body"] for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=count, **kwargs).get(
        "Messages", [])]


def test_fifo_sends_need_a_group_and_a_deduplication_id(sqs, fifo) -> None:  # noqa: ANN001
    assert fails(sqs.send_message, QueueUrl=fifo, MessageBody="x", MessageDeduplicationId="d") == (
        "MissingParameter", "The request must contain the parameter MessageGroupId.", 400)
    assert fails(sqs.send_message, QueueUrl=fifo, MessageBody="x", MessageGroupId="g") == (
        "InvalidParameterValue", "The queue should either have ContentBasedDeduplication enabled or "
        "MessageDeduplicationId provided explicitly", 400)
    assert fails(sqs.send_message_batch, QueueUrl=fifo, Entries=[
        {"Id": "a", "MessageBody": "x", "MessageDeduplicationId": "d"}]) == (
        "InvalidParameterValue", "The request must contain the parameter MessageGroupId.", 400)
    assert fails(sqs.send_message, QueueUrl=fifo, MessageBody="x", MessageGroupId="g", MessageDeduplicationId="d",
                 DelaySeconds=2) == (
        "InvalidParameterValue", "Value 2 for parameter DelaySeconds is invalid. Reason: The request include "
        "parameter that is not valid for this queue type.", 400)
    assert fails(sqs.send_message, QueueUrl=fifo, MessageBody="x", MessageGroupId="has space",
                 MessageDeduplicationId="d") == (
        "InvalidParameterValue", "Value has space for parameter MessageGroupId is invalid. Reason: MessageGroupId "
        "can only include alphanumeric and punctuation characters. 1 to 128 in length.", 400)


def test_standard_queues_refuse_deduplication_ids(sqs, queue) -> None:  # noqa: ANN001
    assert fails(sqs.send_message, QueueUrl=queue, MessageBody="x", MessageDeduplicationId="d") == (
        "InvalidParameterValue", "Value d for parameter MessageDeduplicationId is invalid. Reason: The request "
        "includes a parameter that is not valid for this queue type.", 400)
    # A group id is allowed on a standard queue (fair queues) and comes back as an attribute.
    sqs.send_message(QueueUrl=queue, MessageBody="x", MessageGroupId="tenant-1")
    [message] = sqs.receive_message(QueueUrl=queue, MessageSystemAttributeNames=["MessageGroupId"])["Messages"]
    assert message["Attributes"] == {"MessageGroupId": "tenant-1"}


def test_deduplication_within_five_minutes(cloud, sqs, fifo) -> None:  # noqa: ANN001
    first = sqs.send_message(QueueUrl=fifo, MessageBody="a", MessageGroupId="g", MessageDeduplicationId="d1")
    again = sqs.send_message(QueueUrl=fifo, MessageBody="a", MessageGroupId="g", MessageDeduplicationId="d1")
    assert (again["MessageId"], again["SequenceNumber"]) == (first["MessageId"], first["SequenceNumber"])
    [message] = sqs.receive_message(QueueUrl=fifo, MaxNumberOfMessages=10)["Messages"]
    sqs.delete_message(QueueUrl=fifo, ReceiptHandle=message["ReceiptHandle"])
    sqs.send_message(QueueUrl=fifo, MessageBody="a", MessageGroupId="g", MessageDeduplicationId="d1")
    assert bodies(sqs, fifo) == []  # deleted, and still a duplicate
    cloud.advance_clock(300)
    sqs.send_message(QueueUrl=fifo, MessageBody="a", MessageGroupId="g", MessageDeduplicationId="d1")
    assert bodies(sqs, fifo) == ["a"]


def test_content_based_deduplication(sqs) -> None:  # noqa: ANN001
    url = make(sqs, ContentBasedDeduplication="true")
    first = sqs.send_message(QueueUrl=url, MessageBody='{"foo": "bar"}', MessageGroupId="g1")
    assert sqs.send_message(QueueUrl=url, MessageBody='{"foo": "bar"}', MessageGroupId="g2")["MessageId"] == (
        first["MessageId"])  # the whole queue is the scope: another group is still a duplicate
    sqs.send_message(QueueUrl=url, MessageBody='{"foo": "bar"}', MessageGroupId="g1", MessageDeduplicationId="x")
    [message, explicit] = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                                              AttributeNames=["All"])["Messages"]
    import hashlib

    assert message["Attributes"]["MessageDeduplicationId"] == hashlib.sha256(b'{"foo": "bar"}').hexdigest()
    assert explicit["Attributes"]["MessageDeduplicationId"] == "x"


def test_deduplication_per_message_group(sqs) -> None:  # noqa: ANN001
    url = make(sqs, DeduplicationScope="messageGroup", FifoThroughputLimit="perMessageGroupId")
    for group in ("g1", "g2", "g1"):
        sqs.send_message(QueueUrl=url, MessageBody=group, MessageGroupId=group, MessageDeduplicationId="same")
    assert sorted(bodies(sqs, url)) == ["g1", "g2"]


def test_strict_order_within_a_group_and_blocked_groups(cloud, sqs, fifo) -> None:  # noqa: ANN001
    for i in range(4):
        sqs.send_message(QueueUrl=fifo, MessageBody=f"a{i}", MessageGroupId="A", MessageDeduplicationId=f"a{i}")
    sqs.send_message(QueueUrl=fifo, MessageBody="b0", MessageGroupId="B", MessageDeduplicationId="b0")
    received = sqs.receive_message(QueueUrl=fifo, MaxNumberOfMessages=2, VisibilityTimeout=60)["Messages"]
    assert [m["Body"] for m in received] == ["a0", "a1"]
    # Group A has messages in flight: only B delivers.
    assert bodies(sqs, fifo, VisibilityTimeout=60) == ["b0"]
    assert bodies(sqs, fifo) == []
    sqs.delete_message(QueueUrl=fifo, ReceiptHandle=received[0]["ReceiptHandle"])
    assert bodies(sqs, fifo) == []  # a1 is still in flight
    sqs.delete_message(QueueUrl=fifo, ReceiptHandle=received[1]["ReceiptHandle"])
    assert bodies(sqs, fifo, VisibilityTimeout=60) == ["a2", "a3"]
    # When the in-flight messages come back, the group starts again from them, in order.
    cloud.advance_clock(60)
    back = bodies(sqs, fifo)
    assert sorted(back) == ["a2", "a3", "b0"] and back.index("a2") < back.index("a3")


def test_a_returning_message_comes_back_first(cloud, sqs, fifo) -> None:  # noqa: ANN001
    for i in range(3):
        sqs.send_message(QueueUrl=fifo, MessageBody=str(i), MessageGroupId="g", MessageDeduplicationId=str(i))
    assert bodies(sqs, fifo, count=1, VisibilityTimeout=10) == ["0"]
    cloud.advance_clock(10)
    assert bodies(sqs, fifo) == ["0", "1", "2"]


def test_sequence_numbers_increase(sqs, fifo) -> None:  # noqa: ANN001
    numbers = [int(sqs.send_message(QueueUrl=fifo, MessageBody=str(i), MessageGroupId=str(i % 2),
                                    MessageDeduplicationId=str(i))["SequenceNumber"]) for i in range(6)]
    assert numbers == sorted(numbers) and len(set(numbers)) == 6
    assert all(len(str(n)) == 20 for n in numbers)
    batch = sqs.send_message_batch(QueueUrl=fifo, Entries=[
        {"Id": str(i), "MessageBody": f"b{i}", "MessageGroupId": "g", "MessageDeduplicationId": f"b{i}"}
        for i in range(3)])
    assert [int(e["SequenceNumber"]) for e in batch["Successful"]] == sorted(
        int(e["SequenceNumber"]) for e in batch["Successful"])
    assert int(batch["Successful"][0]["SequenceNumber"]) > numbers[-1]


def test_receipt_handles_of_fifo_queues_expire(cloud, sqs, fifo) -> None:  # noqa: ANN001
    sqs.send_message(QueueUrl=fifo, MessageBody="g1-m1", MessageGroupId="g1", MessageDeduplicationId="1")
    [message] = sqs.receive_message(QueueUrl=fifo, VisibilityTimeout=2)["Messages"]
    cloud.advance_clock(2)
    handle = message["ReceiptHandle"]
    assert fails(sqs.delete_message, QueueUrl=fifo, ReceiptHandle=handle) == (
        "InvalidParameterValue", f"Value {handle} for parameter ReceiptHandle is invalid. Reason: The receipt handle "
        "has expired.", 400)
    [again] = sqs.receive_message(QueueUrl=fifo)["Messages"]
    assert fails(sqs.delete_message, QueueUrl=fifo, ReceiptHandle=handle)[0] == "InvalidParameterValue"
    sqs.delete_message(QueueUrl=fifo, ReceiptHandle=again["ReceiptHandle"])


def test_a_retried_receive_returns_the_same_batch(cloud, sqs, fifo) -> None:  # noqa: ANN001
    for i in range(3):
        sqs.send_message(QueueUrl=fifo, MessageBody=str(i), MessageGroupId="g", MessageDeduplicationId=str(i))
    first = sqs.receive_message(QueueUrl=fifo, MaxNumberOfMessages=2, ReceiveRequestAttemptId="try-1",
                                VisibilityTimeout=30)["Messages"]
    retry = sqs.receive_message(QueueUrl=fifo, MaxNumberOfMessages=2, ReceiveRequestAttemptId="try-1",
                                VisibilityTimeout=30)["Messages"]
    assert [(m["MessageId"], m["ReceiptHandle"]) for m in retry] == [
        (m["MessageId"], m["ReceiptHandle"]) for m in first]
    assert bodies(sqs, fifo, ReceiveRequestAttemptId="try-2") == []  # the group is in flight
    sqs.delete_message(QueueUrl=fifo, ReceiptHandle=first[0]["ReceiptHandle"])
    # A message of the batch changed: the retry is a new receive.
    assert bodies(sqs, fifo, ReceiveRequestAttemptId="try-1") == []
    cloud.advance_clock(30)
    assert bodies(sqs, fifo) == ["1", "2"]


def test_fifo_queue_delay_applies_to_every_message(cloud, sqs) -> None:  # noqa: ANN001
    url = make(sqs, DelaySeconds="5", ContentBasedDeduplication="true")
    sqs.send_message(QueueUrl=url, MessageBody="x", MessageGroupId="g")
    assert bodies(sqs, url) == []
    cloud.advance_clock(5)
    assert bodies(sqs, url) == ["x"]


def test_many_groups_deliver_in_one_receive(sqs, fifo) -> None:  # noqa: ANN001
    for i in range(12):
        sqs.send_message(QueueUrl=fifo, MessageBody=f"{i}", MessageGroupId=f"group-{i}", MessageDeduplicationId=str(i))
    first = bodies(sqs, fifo)
    second = bodies(sqs, fifo)
    assert sorted(first + second, key=int) == [str(i) for i in range(12)] and len(first) == 10
