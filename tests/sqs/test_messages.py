"""Messages on standard queues: sending (attributes, digests, limits, batches), receiving (attributes,
visibility, delays, retention, long polling) and deleting — times moved with Cloudlet's clock."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from tests.sqs.conftest import fails, unique

ATTRIBUTES = {
    "General": {"DataType": "String", "StringValue": "Kenobi"},
    "Hello": {"DataType": "String", "StringValue": "There"},
    "Help.Me": {"DataType": "String", "StringValue": "Me"},
}


def counts(sqs, url: str) -> tuple[int, int, int]:  # noqa: ANN001
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    return tuple(int(attributes[f"ApproximateNumberOfMessages{suffix}"]) for suffix in ("", "NotVisible", "Delayed"))


def receive_all(sqs, url: str, **kwargs: Any) -> list[dict]:  # noqa: ANN001
    return sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, **kwargs).get("Messages", [])


def test_send_receive_delete(sqs, queue) -> None:  # noqa: ANN001
    sent = sqs.send_message(QueueUrl=queue, MessageBody="msg")
    assert sent["MD5OfMessageBody"] == "6e2baaf3b97dbeef01c0043275f9a0e7"
    assert "MD5OfMessageAttributes" not in sent and "SequenceNumber" not in sent
    [message] = receive_all(sqs, queue)
    assert message["MessageId"] == sent["MessageId"]
    assert (message["Body"], message["MD5OfBody"]) == ("msg", "6e2baaf3b97dbeef01c0043275f9a0e7")
    assert "Attributes" not in message and "MessageAttributes" not in message
    assert counts(sqs, queue) == (0, 1, 0)
    sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])
    sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])  # deleting again succeeds
    assert counts(sqs, queue) == (0, 0, 0)


def test_digests_are_the_ones_aws_computes(sqs, queue) -> None:  # noqa: ANN001
    # Values recorded from AWS (the SDKs that check digests compare with these).
    assert sqs.send_message(QueueUrl=queue, MessageBody="msg", MessageAttributes=ATTRIBUTES)[
        "MD5OfMessageAttributes"] == "4c360f3fdafd970e05fae2f149d997f5"
    binary = {"attr1": {"DataType": "Binary",
                        "BinaryValue": b"traceparent\x1e00-774062d6c37081a5a0b9b5b88e30627c-2d2482211f6489da-01"}}
    assert sqs.send_message(QueueUrl=queue, MessageBody="test", MessageAttributes=binary)[
        "MD5OfMessageAttributes"] == "8cbe4db156db8a94db8b801b7addb984"
    assert sqs.send_message(QueueUrl=queue, MessageBody="msg", MessageAttributes={
        "Foo": {"DataType": "String", "StringValue": "Bar"}})["MD5OfMessageAttributes"] == (
        "ae7155c6026991b6d54b11589678bf9c")
    received = {m["Body"]: m for m in receive_all(sqs, queue, MessageAttributeNames=["All"])}
    assert received["test"]["MD5OfMessageAttributes"] == "8cbe4db156db8a94db8b801b7addb984"
    assert received["test"]["MessageAttributes"] == binary


def test_receive_selects_message_attributes(sqs, queue) -> None:  # noqa: ANN001
    sqs.send_message(QueueUrl=queue, MessageBody="msg", MessageAttributes=ATTRIBUTES)

    def attributes_for(names: list[str]) -> tuple[dict | None, str | None]:
        [message] = receive_all(sqs, queue, MessageAttributeNames=names, VisibilityTimeout=0)
        return message.get("MessageAttributes"), message.get("MD5OfMessageAttributes")

    assert attributes_for(["All"]) == (ATTRIBUTES, "4c360f3fdafd970e05fae2f149d997f5")
    assert attributes_for([".*"]) == (ATTRIBUTES, "4c360f3fdafd970e05fae2f149d997f5")
    assert attributes_for(["General", "Hello"]) == (
        {k: ATTRIBUTES[k] for k in ("General", "Hello")}, "fca026605781cb4126a1e9044df24232")
    assert attributes_for(["Hello", "Other"]) == ({"Hello": ATTRIBUTES["Hello"]}, "a311262e065454b75da111d535b8dacd")
    assert attributes_for(["Help.*", "Hello"]) == (
        {k: ATTRIBUTES[k] for k in ("Hello", "Help.Me")}, "83fee93c1bcd8b9a5a923ffacdc636c7")
    assert attributes_for(["NotThere"]) == ({}, None)
    [message] = receive_all(sqs, queue, VisibilityTimeout=0)
    assert "MessageAttributes" not in message


def test_system_attributes(cloud, sqs, queue) -> None:  # noqa: ANN001
    before = int(cloud.now() * 1000)
    trace = {"AWSTraceHeader": {"DataType": "String", "StringValue": "Root=1-5759e988-bd862e3fe1be46a994272793"}}
    sent = sqs.send_message(QueueUrl=queue, MessageBody="x", MessageSystemAttributes=trace)
    # SQS digests system attributes as it digests message attributes.
    other = sqs.create_queue(QueueName=unique())["QueueUrl"]
    assert sent["MD5OfMessageSystemAttributes"] == sqs.send_message(
        QueueUrl=other, MessageBody="x", MessageAttributes=trace)["MD5OfMessageAttributes"]
    [first] = receive_all(sqs, queue, AttributeNames=["All"], VisibilityTimeout=0)
    attributes = first["Attributes"]
    assert set(attributes) == {"SenderId", "SentTimestamp", "ApproximateReceiveCount",
                               "ApproximateFirstReceiveTimestamp", "AWSTraceHeader"}
    assert attributes["SenderId"] == "000000000000"
    assert attributes["AWSTraceHeader"] == "Root=1-5759e988-bd862e3fe1be46a994272793"
    assert int(attributes["SentTimestamp"]) >= before
    assert int(attributes["ApproximateFirstReceiveTimestamp"]) >= int(attributes["SentTimestamp"])
    cloud.advance_clock(3)
    [second] = receive_all(sqs, queue, MessageSystemAttributeNames=["ApproximateReceiveCount",
                                                                   "ApproximateFirstReceiveTimestamp"])
    assert second["Attributes"] == {"ApproximateReceiveCount": "2",
                                    "ApproximateFirstReceiveTimestamp": attributes["ApproximateFirstReceiveTimestamp"]}
    assert second["ReceiptHandle"] != first["ReceiptHandle"]


@pytest.mark.parametrize(
    ("attribute", "message"),
    [
        ({"Empty": {"DataType": "String", "StringValue": ""}},
         "Message (user) attribute 'Empty' must contain a non-empty value of type 'String'."),
        ({"n": {"DataType": "Number", "StringValue": "one"}},
         "Can't cast the value of message (user) attribute 'n' to a number."),
        ({"t": {"DataType": "Text", "StringValue": "x"}},
         "The type of message (user) attribute 't' is invalid. You must use only the following supported type "
         "prefixes: Binary, Number, String."),
        ({"AWS.reserved": {"DataType": "String", "StringValue": "x"}},
         "You can't use message attribute names beginning with 'AWS.' or 'Amazon.'. These strings are reserved for "
         "internal use. Additionally, they cannot start or end with '.'."),
        ({"b": {"DataType": "Binary", "BinaryValue": b""}},
         "Message (user) attribute 'b' must contain a non-empty value of type 'Binary'."),
        ({f"a{i}": {"DataType": "String", "StringValue": "v"} for i in range(11)},
         "Number of message attributes [11] exceeds the allowed maximum [10]."),
    ],
)
def test_message_attributes_are_checked(sqs, queue, attribute: dict, message: str) -> None:  # noqa: ANN001
    assert fails(sqs.send_message, QueueUrl=queue, MessageBody="x", MessageAttributes=attribute) == (
        "InvalidParameterValue", message, 400)


def test_attribute_types_with_custom_suffixes_round_trip(sqs, queue) -> None:  # noqa: ANN001
    attributes = {
        "price": {"DataType": "Number.float", "StringValue": "-1.5e10"},
        "big": {"DataType": "Number", "StringValue": "12345678901234567890123456789012345678"},
        "label": {"DataType": "String.utf8", "StringValue": "ünïcode ☃"},
        "blob": {"DataType": "Binary.gif", "BinaryValue": b"GIF89a\x00\xff"},
    }
    sent = sqs.send_message(QueueUrl=queue, MessageBody="x", MessageAttributes=attributes)
    [message] = receive_all(sqs, queue, MessageAttributeNames=["All"])
    assert message["MessageAttributes"] == attributes
    assert message["MD5OfMessageAttributes"] == sent["MD5OfMessageAttributes"]


def test_bodies_are_checked(sqs) -> None:  # noqa: ANN001
    url = sqs.create_queue(QueueName=unique(), Attributes={"MaximumMessageSize": "1024"})["QueueUrl"]
    assert fails(sqs.send_message, QueueUrl=url, MessageBody="bad \x00 byte") == (
        "InvalidMessageContents", "Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to "
        "#xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF", 400)
    sqs.send_message(QueueUrl=url, MessageBody="é" * 512)  # 1024 bytes
    assert fails(sqs.send_message, QueueUrl=url, MessageBody="x" * 1025) == (
        "InvalidParameterValue", "One or more parameters are invalid. Reason: Message must be shorter than 1024 bytes.",
        400)
    # Attributes count toward the size.
    assert fails(sqs.send_message, QueueUrl=url, MessageBody="x" * 1000, MessageAttributes={
        "name": {"DataType": "String", "StringValue": "v" * 20}})[0] == "InvalidParameterValue"


def test_the_default_limit_is_one_mebibyte(sqs, queue) -> None:  # noqa: ANN001
    sqs.send_message(QueueUrl=queue, MessageBody="x" * 1048576)
    assert fails(sqs.send_message, QueueUrl=queue, MessageBody="x" * 1048577)[1].endswith(
        "Message must be shorter than 1048576 bytes.")
    [message] = receive_all(sqs, queue)
    assert len(message["Body"]) == 1048576


def test_batches(sqs, queue) -> None:  # noqa: ANN001
    result = sqs.send_message_batch(QueueUrl=queue, Entries=[
        {"Id": "one", "MessageBody": "1", "MessageAttributes": {"k": {"DataType": "String", "StringValue": "v"}}},
        {"Id": "two", "MessageBody": "2", "DelaySeconds": 1000},
        {"Id": "three", "MessageBody": "3\x00"},
        {"Id": "four", "MessageBody": "4"},
    ])
    assert [entry["Id"] for entry in result["Successful"]] == ["one", "four"]
    assert result["Successful"][0]["MD5OfMessageAttributes"]
    assert {entry["Id"]: (entry["Code"], entry["SenderFault"]) for entry in result["Failed"]} == {
        "two": ("InvalidParameterValue", True), "three": ("InvalidMessageContents", True)}
    received = receive_all(sqs, queue)
    assert sorted(m["Body"] for m in received) == ["1", "4"]
    deleted = sqs.delete_message_batch(QueueUrl=queue, Entries=[
        {"Id": "a", "ReceiptHandle": received[0]["ReceiptHandle"]},
        {"Id": "b", "ReceiptHandle": "not-a-handle"},
    ])
    assert deleted["Successful"] == [{"Id": "a"}]
    assert deleted["Failed"] == [{"Id": "b", "SenderFault": True, "Code": "ReceiptHandleIsInvalid",
                                  "Message": 'The input receipt handle "not-a-handle" is not a valid receipt handle.'}]


def test_batch_level_errors(sqs, unchecked, queue) -> None:  # noqa: ANN001
    assert fails(unchecked.send_message_batch, QueueUrl=queue, Entries=[]) == (
        "AWS.SimpleQueueService.EmptyBatchRequest",
        "There should be at least one SendMessageBatchRequestEntry in the request.", 400)
    eleven = [{"Id": str(i), "MessageBody": "x"} for i in range(11)]
    assert fails(sqs.send_message_batch, QueueUrl=queue, Entries=eleven) == (
        "AWS.SimpleQueueService.TooManyEntriesInBatchRequest", "Maximum number of entries per request are 10. You "
        "have sent 11.", 400)
    assert fails(sqs.delete_message_batch, QueueUrl=queue, Entries=[{"Id": "x", "ReceiptHandle": "h"}] * 2) == (
        "AWS.SimpleQueueService.BatchEntryIdsNotDistinct", "Id x repeated.", 400)
    assert fails(sqs.change_message_visibility_batch, QueueUrl=queue, Entries=[
        {"Id": "bad:id", "ReceiptHandle": "h", "VisibilityTimeout": 1}]) == (
        "AWS.SimpleQueueService.InvalidBatchEntryId", "A batch entry id can only contain alphanumeric characters, "
        "hyphens and underscores. It can be at most 80 letters long.", 400)
    big = [{"Id": str(i), "MessageBody": "x" * 150000} for i in range(7)]
    assert fails(sqs.send_message_batch, QueueUrl=queue, Entries=big) == (
        "AWS.SimpleQueueService.BatchRequestTooLong",
        "Batch requests cannot be longer than 1048576 bytes. You have sent 1050000 bytes.", 400)
    assert counts(sqs, queue) == (0, 0, 0)


def test_receive_parameters_are_checked(sqs, queue) -> None:  # noqa: ANN001
    for count in (0, 11):
        assert fails(sqs.receive_message, QueueUrl=queue, MaxNumberOfMessages=count) == (
            "InvalidParameterValue",
            f"Value {count} for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if "
            "provided.", 400)
    assert fails(sqs.receive_message, QueueUrl=queue, WaitTimeSeconds=21) == (
        "InvalidParameterValue",
        "Value 21 for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20, if provided.", 400)
    assert fails(sqs.receive_message, QueueUrl=queue, VisibilityTimeout=43201)[0] == "InvalidParameterValue"


def test_visibility_timeout_hides_and_returns_a_message(cloud, sqs) -> None:  # noqa: ANN001
    url = sqs.create_queue(QueueName=unique(), Attributes={"VisibilityTimeout": "30"})["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="x")
    [first] = receive_all(sqs, url)
    assert receive_all(sqs, url) == []
    cloud.advance_clock(29)
    assert receive_all(sqs, url) == []
    cloud.advance_clock(1)
    [again] = receive_all(sqs, url, AttributeNames=["ApproximateReceiveCount"])
    assert again["Attributes"]["ApproximateReceiveCount"] == "2"
    # A stale handle still deletes a message from a standard queue.
    sqs.delete_message(QueueUrl=url, ReceiptHandle=first["ReceiptHandle"])
    cloud.advance_clock(31)
    assert receive_all(sqs, url) == []


def test_visibility_timeout_override_and_change(cloud, sqs, queue) -> None:  # noqa: ANN001
    sqs.send_message_batch(QueueUrl=queue, Entries=[{"Id": str(i), "MessageBody": str(i)} for i in range(3)])
    messages = receive_all(sqs, queue, VisibilityTimeout=100)
    assert len(messages) == 3
    handles = {m["Body"]: m["ReceiptHandle"] for m in messages}
    sqs.change_message_visibility(QueueUrl=queue, ReceiptHandle=handles["0"], VisibilityTimeout=0)
    result = sqs.change_message_visibility_batch(QueueUrl=queue, Entries=[
        {"Id": "a", "ReceiptHandle": handles["1"], "VisibilityTimeout": 500},
        {"Id": "b", "ReceiptHandle": "bogus", "VisibilityTimeout": 5},
    ])
    assert result["Successful"] == [{"Id": "a"}] and result["Failed"][0]["Code"] == "ReceiptHandleIsInvalid"
    assert [m["Body"] for m in receive_all(sqs, queue, VisibilityTimeout=1000)] == ["0"]
    cloud.advance_clock(100)
    assert [m["Body"] for m in receive_all(sqs, queue, VisibilityTimeout=1000)] == ["2"]
    cloud.advance_clock(400)
    assert [m["Body"] for m in receive_all(sqs, queue)] == ["1"]


def test_visibility_is_limited_to_12_hours_from_the_receive(cloud, sqs, queue) -> None:  # noqa: ANN001
    sqs.send_message(QueueUrl=queue, MessageBody="x")
    [message] = receive_all(sqs, queue)
    handle = message["ReceiptHandle"]
    sqs.change_message_visibility(QueueUrl=queue, ReceiptHandle=handle, VisibilityTimeout=43200)
    cloud.advance_clock(60)
    assert fails(sqs.change_message_visibility, QueueUrl=queue, ReceiptHandle=handle, VisibilityTimeout=43200) == (
        "InvalidParameterValue", "Value 43200 for parameter VisibilityTimeout is invalid. Reason: Total "
        "VisibilityTimeout for the message is beyond the limit [43200 seconds].", 400)
    sqs.change_message_visibility(QueueUrl=queue, ReceiptHandle=handle, VisibilityTimeout=43140)


def test_receipt_handle_rules(sqs, queue) -> None:  # noqa: ANN001
    other = sqs.create_queue(QueueName=unique())["QueueUrl"]
    sqs.send_message(QueueUrl=other, MessageBody="elsewhere")
    [foreign] = receive_all(sqs, other)
    assert fails(sqs.delete_message, QueueUrl=queue, ReceiptHandle="garbage") == (
        "ReceiptHandleIsInvalid", 'The input receipt handle "garbage" is not a valid receipt handle.', 404)
    assert fails(sqs.delete_message, QueueUrl=queue, ReceiptHandle=foreign["ReceiptHandle"])[0] == (
        "ReceiptHandleIsInvalid")
    sqs.delete_message(QueueUrl=other, ReceiptHandle=foreign["ReceiptHandle"])
    handle = foreign["ReceiptHandle"]
    assert fails(sqs.change_message_visibility, QueueUrl=other, ReceiptHandle=handle, VisibilityTimeout=10) == (
        "InvalidParameterValue", f"Value {handle} for parameter ReceiptHandle is invalid. Reason: Message does not "
        "exist or is not available for visibility timeout change.", 400)


def test_delays_per_message_and_per_queue(cloud, sqs) -> None:  # noqa: ANN001
    url = sqs.create_queue(QueueName=unique(), Attributes={"DelaySeconds": "10"})["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="queue delay")
    sqs.send_message(QueueUrl=url, MessageBody="own delay", DelaySeconds=60)
    sqs.send_message(QueueUrl=url, MessageBody="no delay", DelaySeconds=0)
    assert counts(sqs, url) == (1, 0, 2)
    assert [m["Body"] for m in receive_all(sqs, url, VisibilityTimeout=900)] == ["no delay"]
    cloud.advance_clock(10)
    assert [m["Body"] for m in receive_all(sqs, url, VisibilityTimeout=900)] == ["queue delay"]
    assert counts(sqs, url) == (0, 2, 1)
    cloud.advance_clock(50)
    assert [m["Body"] for m in receive_all(sqs, url)] == ["own delay"]
    assert fails(sqs.send_message, QueueUrl=url, MessageBody="x", DelaySeconds=901) == (
        "InvalidParameterValue", "Value 901 for parameter DelaySeconds is invalid. Reason: DelaySeconds must be >= 0 "
        "and <= 900.", 400)


def test_messages_expire_after_the_retention_period(cloud, sqs) -> None:  # noqa: ANN001
    url = sqs.create_queue(QueueName=unique(), Attributes={"MessageRetentionPeriod": "60"})["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="old")
    cloud.advance_clock(30)
    sqs.send_message(QueueUrl=url, MessageBody="young")
    receive_all(sqs, url, VisibilityTimeout=5)  # in flight does not save them
    cloud.advance_clock(30)
    assert counts(sqs, url) == (1, 0, 0)
    assert [m["Body"] for m in receive_all(sqs, url)] == ["young"]
    cloud.advance_clock(30)
    assert counts(sqs, url) == (0, 0, 0)
    # Shortening the period drops what is now too old.
    sqs.send_message(QueueUrl=url, MessageBody="x")
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"MessageRetentionPeriod": "120"})
    cloud.advance_clock(90)
    assert counts(sqs, url) == (1, 0, 0)
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"MessageRetentionPeriod": "60"})
    assert counts(sqs, url) == (0, 0, 0)


def _receive_in_thread(sqs, url: str, **kwargs: Any) -> tuple[threading.Thread, dict]:  # noqa: ANN001
    out: dict = {}

    def run() -> None:
        out["result"] = sqs.receive_message(QueueUrl=url, **kwargs)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    time.sleep(0.3)  # let the receiver reach its wait (real time for a thread, not Cloudlet time)
    return thread, out


def test_long_polling_returns_as_soon_as_a_message_arrives(cloud, sqs, queue) -> None:  # noqa: ANN001
    thread, out = _receive_in_thread(cloud.client("sqs"), queue, WaitTimeSeconds=20)
    assert thread.is_alive()  # waiting, not answering empty
    sqs.send_message(QueueUrl=queue, MessageBody="wake up")
    thread.join(10)  # far below the 20 s it would otherwise wait
    assert not thread.is_alive() and out["result"]["Messages"][0]["Body"] == "wake up"


def test_a_clock_jump_ends_a_long_poll(cloud, sqs) -> None:  # noqa: ANN001
    url = sqs.create_queue(QueueName=unique(), Attributes={"ReceiveMessageWaitTimeSeconds": "20"})["QueueUrl"]
    thread, out = _receive_in_thread(cloud.client("sqs"), url)  # the queue's wait time applies
    assert thread.is_alive()
    cloud.advance_clock(20)
    thread.join(10)
    assert not thread.is_alive() and "Messages" not in out["result"]


def test_a_long_poll_wakes_when_a_delayed_or_hidden_message_becomes_visible(cloud, sqs, queue) -> None:  # noqa: ANN001
    sqs.send_message(QueueUrl=queue, MessageBody="later", DelaySeconds=5)
    thread, out = _receive_in_thread(cloud.client("sqs"), queue, WaitTimeSeconds=20)
    cloud.advance_clock(5)
    thread.join(10)
    assert out["result"]["Messages"][0]["Body"] == "later"
    thread, out = _receive_in_thread(cloud.client("sqs"), queue, WaitTimeSeconds=20)
    cloud.advance_clock(30)  # the visibility timeout passes
    thread.join(10)
    assert out["result"]["Messages"][0]["Body"] == "later"


def test_a_received_message_goes_to_one_receiver_only(sqs, queue) -> None:  # noqa: ANN001
    sqs.send_message_batch(QueueUrl=queue, Entries=[{"Id": str(i), "MessageBody": str(i)} for i in range(10)])
    first = receive_all(sqs, queue)
    second = receive_all(sqs, queue)
    assert len(first) == 10 and second == []


def test_a_message_without_attributes_has_no_attribute_map(sqs, queue) -> None:  # noqa: ANN001
    sqs.send_message(QueueUrl=queue, MessageBody="plain")
    [message] = receive_all(sqs, queue, MessageAttributeNames=["All"])
    assert "MessageAttributes" not in message and "MD5OfMessageAttributes" not in message


def test_the_resource_api(cloud) -> None:  # noqa: ANN001
    resource = cloud.resource("sqs")
    queue = resource.create_queue(QueueName=unique(), Attributes={"VisibilityTimeout": "5"})
    assert queue.attributes["VisibilityTimeout"] == "5"
    queue.send_message(MessageBody="via resource", MessageAttributes={
        "k": {"DataType": "String", "StringValue": "v"}})
    queue.send_messages(Entries=[{"Id": "1", "MessageBody": "second"}])
    got = queue.receive_messages(MaxNumberOfMessages=10, MessageAttributeNames=["All"])
    assert sorted(m.body for m in got) == ["second", "via resource"]
    for message in got:
        message.delete()
    queue.reload()
    assert queue.attributes["ApproximateNumberOfMessagesNotVisible"] == "0"
    assert resource.get_queue_by_name(QueueName=queue.url.rsplit("/", 1)[1]).url == queue.url
    queue.delete()


def test_the_aws_cli(cloud) -> None:  # noqa: ANN001
    import json
    import subprocess

    # AWS CLI v1 sends SQS to queue.amazonaws.com for us-east-1 whatever AWS_ENDPOINT_URL says:
    # SQS users of the CLI pass --endpoint-url.
    endpoint = ["--endpoint-url", cloud.endpoint]

    def aws(*args: str) -> dict:
        done = subprocess.run(["aws", "sqs", *args, *endpoint, "--output", "json"], env=cloud.env(),
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout) if done.stdout.strip() else {}

    url = aws("create-queue", "--queue-name", unique(), "--attributes", "DelaySeconds=0")["QueueUrl"]
    aws("send-message", "--queue-url", url, "--message-body", "from the cli")
    [message] = aws("receive-message", "--queue-url", url, "--attribute-names", "All")["Messages"]
    assert message["Body"] == "from the cli" and message["Attributes"]["ApproximateReceiveCount"] == "1"
    aws("delete-message", "--queue-url", url, "--receipt-handle", message["ReceiptHandle"])
    failed = subprocess.run(["aws", "sqs", "get-queue-url", "--queue-name", "no-such-queue-anywhere", *endpoint],
                            env=cloud.env(), capture_output=True, text=True, timeout=60)
    assert failed.returncode != 0 and "AWS.SimpleQueueService.NonExistentQueue" in failed.stderr
