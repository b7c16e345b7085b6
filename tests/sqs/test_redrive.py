"""Dead-letter queues (RedrivePolicy, RedriveAllowPolicy, ListDeadLetterSourceQueues) and message move
tasks that redrive them, at the requested rate by Cloudlet's clock."""

from __future__ import annotations

import json

from tests.sqs.conftest import fails, unique


def arn_of(sqs, url: str) -> str:  # noqa: ANN001
    return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def with_dlq(sqs, max_receives: int = 2, fifo: bool = False) -> tuple[str, str]:  # noqa: ANN001
    suffix = ".fifo" if fifo else ""
    extra = {"FifoQueue": "true", "ContentBasedDeduplication": "true"} if fifo else {}
    dlq = sqs.create_queue(QueueName=unique("dlq") + suffix, Attributes=extra)["QueueUrl"]
    policy = json.dumps({"deadLetterTargetArn": arn_of(sqs, dlq), "maxReceiveCount": str(max_receives)})
    source = sqs.create_queue(QueueName=unique("src") + suffix, Attributes={
        **extra, "RedrivePolicy": policy, "VisibilityTimeout": "10"})["QueueUrl"]
    return source, dlq


def test_a_message_moves_to_the_dlq_after_max_receives(cloud, sqs) -> None:  # noqa: ANN001
    source, dlq = with_dlq(sqs, 2)
    sent = sqs.send_message(QueueUrl=source, MessageBody="poison",
                            MessageAttributes={"k": {"DataType": "String", "StringValue": "v"}})
    for _ in range(2):
        assert sqs.receive_message(QueueUrl=source)["Messages"][0]["Body"] == "poison"
        cloud.advance_clock(10)
    assert "Messages" not in sqs.receive_message(QueueUrl=source)
    [dead] = sqs.receive_message(QueueUrl=dlq, AttributeNames=["All"], MessageAttributeNames=["All"])["Messages"]
    assert dead["MessageId"] == sent["MessageId"] and dead["Body"] == "poison"
    assert dead["MessageAttributes"] == {"k": {"DataType": "String", "StringValue": "v"}}
    assert dead["Attributes"]["DeadLetterQueueSourceArn"] == arn_of(sqs, source)
    assert dead["Attributes"]["ApproximateReceiveCount"] == "1"
    policy = sqs.get_queue_attributes(QueueUrl=source, AttributeNames=["RedrivePolicy"])["Attributes"]
    assert json.loads(policy["RedrivePolicy"]) == {"deadLetterTargetArn": arn_of(sqs, dlq), "maxReceiveCount": 2}
    assert sqs.list_dead_letter_source_queues(QueueUrl=dlq)["queueUrls"] == [source]


def test_fifo_dead_letter_queues(cloud, sqs) -> None:  # noqa: ANN001
    source, dlq = with_dlq(sqs, 1, fifo=True)
    sqs.send_message(QueueUrl=source, MessageBody="a", MessageGroupId="g")
    sqs.send_message(QueueUrl=source, MessageBody="b", MessageGroupId="g")
    assert [m["Body"] for m in sqs.receive_message(QueueUrl=source, MaxNumberOfMessages=1)["Messages"]] == ["a"]
    cloud.advance_clock(10)
    # "a" was received once already: it moves, and "b" is next in its group.
    assert [m["Body"] for m in sqs.receive_message(QueueUrl=source)["Messages"]] == ["b"]
    [dead] = sqs.receive_message(QueueUrl=dlq, AttributeNames=["MessageGroupId"])["Messages"]
    assert (dead["Body"], dead["Attributes"]["MessageGroupId"]) == ("a", "g")


def test_redrive_policies_are_checked(sqs) -> None:  # noqa: ANN001
    standard = sqs.create_queue(QueueName=unique())["QueueUrl"]
    fifo = sqs.create_queue(QueueName=unique() + ".fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    target = arn_of(sqs, standard)

    def error(policy: str, url: str = standard) -> tuple[str, str, int]:
        return fails(sqs.set_queue_attributes, QueueUrl=url, Attributes={"RedrivePolicy": policy})

    raw = '{"deadLetterTargetArn": "dummy", "maxReceiveCount": 42}'
    assert error(raw) == ("InvalidParameterValue", f"Value {raw} for parameter RedrivePolicy is invalid. Reason: "
                          "Invalid value for deadLetterTargetArn.", 400)
    raw = json.dumps({"deadLetterTargetArn": target})
    assert error(raw)[1].endswith("Redrive policy does not contain mandatory attribute: maxReceiveCount.")
    raw = json.dumps({"deadLetterTargetArn": target, "maxReceiveCount": 1001})
    assert error(raw)[1].endswith("Invalid value for maxReceiveCount: 1001, valid values are from 1 to 1000 both "
                                  "inclusive.")
    raw = json.dumps({"deadLetterTargetArn": target + "-missing", "maxReceiveCount": 3})
    assert error(raw)[1].endswith("Dead letter target does not exist.")
    raw = json.dumps({"deadLetterTargetArn": target, "maxReceiveCount": 3})
    assert error(raw, fifo)[0] == "InvalidParameterValue"  # a FIFO queue's DLQ must be FIFO


def test_redrive_allow_policy_is_enforced(sqs) -> None:  # noqa: ANN001
    dlq = sqs.create_queue(QueueName=unique())["QueueUrl"]
    allowed = sqs.create_queue(QueueName=unique())["QueueUrl"]
    refused = sqs.create_queue(QueueName=unique())["QueueUrl"]
    sqs.set_queue_attributes(QueueUrl=dlq, Attributes={"RedriveAllowPolicy": json.dumps(
        {"redrivePermission": "byQueue", "sourceQueueArns": [arn_of(sqs, allowed)]})})
    policy = json.dumps({"deadLetterTargetArn": arn_of(sqs, dlq), "maxReceiveCount": 3})
    sqs.set_queue_attributes(QueueUrl=allowed, Attributes={"RedrivePolicy": policy})
    code, message, _ = fails(sqs.set_queue_attributes, QueueUrl=refused, Attributes={"RedrivePolicy": policy})
    assert code == "InvalidParameterValue" and "does not allow this queue" in message
    sqs.set_queue_attributes(QueueUrl=dlq, Attributes={"RedriveAllowPolicy": '{"redrivePermission": "denyAll"}'})
    assert fails(sqs.set_queue_attributes, QueueUrl=allowed, Attributes={"RedrivePolicy": policy})[0] == (
        "InvalidParameterValue")
    assert fails(sqs.set_queue_attributes, QueueUrl=dlq, Attributes={
        "RedriveAllowPolicy": '{"redrivePermission": "sometimes"}'})[0] == "InvalidParameterValue"


def _dead_letters(cloud, sqs, count: int) -> tuple[str, str]:  # noqa: ANN001
    source, dlq = with_dlq(sqs, 1)
    sqs.send_message_batch(QueueUrl=source, Entries=[{"Id": str(i), "MessageBody": str(i)} for i in range(count)])
    while sqs.receive_message(QueueUrl=source, MaxNumberOfMessages=10).get("Messages"):
        pass
    cloud.advance_clock(10)
    assert "Messages" not in sqs.receive_message(QueueUrl=source)  # all moved
    return source, dlq


def test_a_move_task_redrives_to_the_sources_at_its_rate(cloud, sqs) -> None:  # noqa: ANN001
    source, dlq = _dead_letters(cloud, sqs, 7)
    handle = sqs.start_message_move_task(SourceArn=arn_of(sqs, dlq), MaxNumberOfMessagesPerSecond=3)["TaskHandle"]
    [task] = sqs.list_message_move_tasks(SourceArn=arn_of(sqs, dlq))["Results"]
    assert task["Status"] == "RUNNING" and task["TaskHandle"] == handle
    assert task["ApproximateNumberOfMessagesToMove"] == 7 and task["MaxNumberOfMessagesPerSecond"] == 3
    assert fails(sqs.start_message_move_task, SourceArn=arn_of(sqs, dlq))[1] == (
        "There is already a task running. Only one active task is allowed for a source queue arn at a given time.")
    moved = sqs.list_message_move_tasks(SourceArn=arn_of(sqs, dlq))["Results"][0]["ApproximateNumberOfMessagesMoved"]
    assert moved == 3  # the first second's worth, at once
    cloud.advance_clock(1)
    assert sqs.list_message_move_tasks(SourceArn=arn_of(sqs, dlq))["Results"][0][
        "ApproximateNumberOfMessagesMoved"] == 6
    cloud.advance_clock(1)
    [task] = sqs.list_message_move_tasks(SourceArn=arn_of(sqs, dlq))["Results"]
    assert (task["Status"], task["ApproximateNumberOfMessagesMoved"]) == ("COMPLETED", 7)
    assert "TaskHandle" not in task
    back = sqs.receive_message(QueueUrl=source, MaxNumberOfMessages=10)["Messages"]
    assert len(back) == 7 and "Messages" not in sqs.receive_message(QueueUrl=dlq)


def test_a_move_task_to_a_chosen_queue_and_cancelling(cloud, sqs) -> None:  # noqa: ANN001
    _, dlq = _dead_letters(cloud, sqs, 4)
    elsewhere = sqs.create_queue(QueueName=unique())["QueueUrl"]
    handle = sqs.start_message_move_task(SourceArn=arn_of(sqs, dlq), DestinationArn=arn_of(sqs, elsewhere),
                                         MaxNumberOfMessagesPerSecond=1)["TaskHandle"]
    assert sqs.cancel_message_move_task(TaskHandle=handle)["ApproximateNumberOfMessagesMoved"] == 1
    cloud.advance_clock(5)
    [task] = sqs.list_message_move_tasks(SourceArn=arn_of(sqs, dlq))["Results"]
    assert (task["Status"], task["ApproximateNumberOfMessagesMoved"]) == ("CANCELLED", 1)
    assert task["DestinationArn"] == arn_of(sqs, elsewhere)
    assert len(sqs.receive_message(QueueUrl=elsewhere, MaxNumberOfMessages=10)["Messages"]) == 1
    # Without a rate, everything moves at once.
    sqs.start_message_move_task(SourceArn=arn_of(sqs, dlq), DestinationArn=arn_of(sqs, elsewhere))
    tasks = sqs.list_message_move_tasks(SourceArn=arn_of(sqs, dlq), MaxResults=10)["Results"]
    assert [t["Status"] for t in tasks] == ["COMPLETED", "CANCELLED"]


def test_move_task_errors(sqs) -> None:  # noqa: ANN001
    plain = sqs.create_queue(QueueName=unique())["QueueUrl"]
    assert fails(sqs.start_message_move_task, SourceArn=arn_of(sqs, plain)) == (
        "InvalidParameterValue", "Source queue must be configured as a Dead Letter Queue.", 400)
    assert fails(sqs.start_message_move_task, SourceArn=arn_of(sqs, plain) + "-gone") == (
        "ResourceNotFoundException", "The resource that you specified for the SourceArn parameter doesn't exist.",
        404)
    assert fails(sqs.cancel_message_move_task, TaskHandle="nonsense")[0] == "InvalidParameterValue"
