"""SNS -> SQS through the real SQS service: envelopes, raw delivery, fan-out with filter policies,
FIFO order and deduplication, subscription dead-letter queues, and kill -9 durability."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import signal
import subprocess

import pytest

from cloudlet.services import PROVIDERS
from tests.server.process import cloudlet_process

pytestmark = pytest.mark.skipif("sqs" not in PROVIDERS, reason="the SQS service is not in this build yet")


def make_queue(sqs, name: str, **attributes: str) -> tuple[str, str]:  # noqa: ANN001
    url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn


def receive_all(sqs, url: str, **kwargs) -> list[dict]:  # noqa: ANN001, ANN003
    messages = []
    while True:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0,
                                  MessageAttributeNames=["All"], AttributeNames=["All"], **kwargs).get("Messages", [])
        if not got:
            return messages
        messages += got
        sqs.delete_message_batch(QueueUrl=url, Entries=[
            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(got)])


def test_envelope_is_what_aws_writes(cloudlet, tmp_path) -> None:  # noqa: ANN001
    sns, sqs = cloudlet.client("sns"), cloudlet.client("sqs")
    topic = sns.create_topic(Name="env-topic")["TopicArn"]
    url, arn = make_queue(sqs, "env-queue")
    sub = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)["SubscriptionArn"]
    published = sns.publish(TopicArn=topic, Message="hello \"you\"\nthere", Subject="Greeting",
                            MessageAttributes={"store": {"DataType": "String", "StringValue": "example_corp"},
                                               "blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01"}})
    [message] = receive_all(sqs, url)
    body = message["Body"]
    document = json.loads(body)
    assert list(document) == ["Type", "MessageId", "TopicArn", "Subject", "Message", "Timestamp", "SignatureVersion",
                              "Signature", "SigningCertURL", "UnsubscribeURL", "MessageAttributes"]
    assert body.startswith('{\n  "Type" : "Notification",\n  "MessageId" : "' + published["MessageId"] + '",\n')
    assert '\n  "MessageAttributes" : {\n    "store" : {"Type":"String","Value":"example_corp"},\n' in body
    assert body.endswith("\n  }\n}")
    assert document["MessageAttributes"]["blob"] == {"Type": "Binary", "Value": base64.b64encode(b"\x00\x01").decode()}
    assert document["Message"] == "hello \"you\"\nthere" and document["Subject"] == "Greeting"
    assert document["UnsubscribeURL"].endswith(f"?Action=Unsubscribe&SubscriptionArn={sub}")
    assert document["Timestamp"].endswith("Z") and len(document["Timestamp"]) == 24
    assert not message.get("MessageAttributes")  # attributes travel in the envelope, not as SQS attributes
    from tests.sns.test_http import openssl_verifies

    if shutil.which("openssl"):
        assert openssl_verifies(tmp_path, document)


def test_raw_delivery_passes_attributes_to_sqs(cloudlet) -> None:  # noqa: ANN001
    sns, sqs = cloudlet.client("sns"), cloudlet.client("sqs")
    topic = sns.create_topic(Name="raw-topic")["TopicArn"]
    url, arn = make_queue(sqs, "raw-queue")
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"})
    sns.publish(TopicArn=topic, Message="raw body", MessageAttributes={
        "n": {"DataType": "Number", "StringValue": "42"},
        "tags": {"DataType": "String.Array", "StringValue": '["a","b"]'},
    })
    [message] = receive_all(sqs, url)
    assert message["Body"] == "raw body"
    assert message["MessageAttributes"]["n"] == {"DataType": "Number", "StringValue": "42"}
    assert message["MessageAttributes"]["tags"]["StringValue"] == '["a","b"]'


def test_a_standard_topic_forwards_the_message_group_to_standard_queues(cloudlet) -> None:  # noqa: ANN001
    sns, sqs = cloudlet.client("sns"), cloudlet.client("sqs")
    topic = sns.create_topic(Name="fair-topic")["TopicArn"]
    url, arn = make_queue(sqs, "fair-queue")
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    sns.publish(TopicArn=topic, Message="for tenant a", MessageGroupId="tenant-a")
    [message] = receive_all(sqs, url)
    assert message["Attributes"]["MessageGroupId"] == "tenant-a"


def test_fan_out_with_different_filter_policies(cloudlet) -> None:  # noqa: ANN001
    sns, sqs = cloudlet.client("sns"), cloudlet.client("sqs")
    topic = sns.create_topic(Name="fanout-topic")["TopicArn"]
    policies = {
        "all": None,
        "placed": ({"event": ["order_placed"]}, "MessageAttributes"),
        "big": ({"price": [{"numeric": [">=", 100]}]}, "MessageAttributes"),
        "eu": ({"customer": {"region": [{"prefix": "eu-"}]}}, "MessageBody"),
        "not-test": ({"store": [{"anything-but": ["test"]}]}, "MessageAttributes"),
    }
    queues = {}
    for name, policy in policies.items():
        url, arn = make_queue(sqs, f"fanout-{name}")
        attributes = {"RawMessageDelivery": "true"}
        if policy:
            attributes |= {"FilterPolicy": json.dumps(policy[0]), "FilterPolicyScope": policy[1]}
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes=attributes)
        queues[name] = url

    def publish(body: dict, **attrs: object) -> None:
        sns.publish(TopicArn=topic, Message=json.dumps(body), MessageAttributes={
            k: {"DataType": "Number" if isinstance(v, int) else "String", "StringValue": str(v)} for k, v in attrs.items()})

    publish({"id": 1, "customer": {"region": "eu-west-1"}}, event="order_placed", price=150, store="shop")
    publish({"id": 2, "customer": {"region": "us-east-1"}}, event="order_cancelled", price=10, store="test")
    publish({"id": 3, "customer": {"region": "eu-north-1"}}, event="order_placed", price=99, store="test")
    publish({"id": 4}, store="shop")
    got = {name: sorted(json.loads(m["Body"])["id"] for m in receive_all(sqs, url)) for name, url in queues.items()}
    assert got == {"all": [1, 2, 3, 4], "placed": [1, 3], "big": [1], "eu": [1, 3], "not-test": [1, 4]}


def test_fifo_topic_to_fifo_queues_in_order_with_dedup(cloudlet) -> None:  # noqa: ANN001
    sns, sqs = cloudlet.client("sns"), cloudlet.client("sqs")
    topic = sns.create_topic(Name="order-topic.fifo", Attributes={"FifoTopic": "true"})["TopicArn"]
    urls = []
    for i in range(2):
        url, arn = make_queue(sqs, f"order-q{i}.fifo", FifoQueue="true")
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"})
        urls.append(url)
    for i in range(20):
        sns.publish(TopicArn=topic, Message=f"m{i}", MessageGroupId=f"g{i % 2}", MessageDeduplicationId=f"d{i}")
    sns.publish(TopicArn=topic, Message="m0 again", MessageGroupId="g0", MessageDeduplicationId="d0")  # duplicate
    for url in urls:
        bodies: dict[str, list[str]] = {}
        while True:
            got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                                      AttributeNames=["MessageGroupId", "MessageDeduplicationId"]).get("Messages", [])
            if not got:
                break
            for m in got:
                bodies.setdefault(m["Attributes"]["MessageGroupId"], []).append(m["Body"])
                sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        assert bodies == {"g0": [f"m{i}" for i in range(0, 20, 2)], "g1": [f"m{i}" for i in range(1, 20, 2)]}


def test_fifo_topic_to_a_standard_queue(cloudlet) -> None:  # noqa: ANN001
    sns, sqs = cloudlet.client("sns"), cloudlet.client("sqs")
    topic = sns.create_topic(Name="mixed.fifo", Attributes={"FifoTopic": "true"})["TopicArn"]
    url, arn = make_queue(sqs, "mixed-standard")
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    sns.publish(TopicArn=topic, Message="to analytics", MessageGroupId="g", MessageDeduplicationId="d")
    [message] = receive_all(sqs, url)
    assert json.loads(message["Body"])["Message"] == "to analytics"
    assert "MessageGroupId" not in message["Attributes"]  # not passed to standard queues


def test_fifo_envelope_has_a_sequence_number_and_no_signature(cloudlet) -> None:  # noqa: ANN001
    sns, sqs = cloudlet.client("sns"), cloudlet.client("sqs")
    topic = sns.create_topic(Name="fifo-env.fifo", Attributes={"FifoTopic": "true",
                                                                "ContentBasedDeduplication": "true"})["TopicArn"]
    url, arn = make_queue(sqs, "fifo-env.fifo", FifoQueue="true")
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    published = sns.publish(TopicArn=topic, Message="ordered", MessageGroupId="g")
    [message] = receive_all(sqs, url)
    document = json.loads(message["Body"])
    assert list(document) == ["Type", "MessageId", "SequenceNumber", "TopicArn", "Message", "Timestamp", "UnsubscribeURL"]
    assert document["SequenceNumber"] == published["SequenceNumber"]
    assert message["Attributes"]["MessageDeduplicationId"] == hashlib.sha256(b"ordered").hexdigest()


def test_undeliverable_messages_go_to_the_subscription_dlq(cloudlet) -> None:  # noqa: ANN001
    sns, sqs = cloudlet.client("sns"), cloudlet.client("sqs")
    topic = sns.create_topic(Name="dlq-topic")["TopicArn"]
    url, arn = make_queue(sqs, "dlq-target")
    dlq_url, dlq_arn = make_queue(sqs, "dlq-dead")
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn,
                  Attributes={"RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn})})
    sqs.delete_queue(QueueUrl=url)
    published = sns.publish(TopicArn=topic, Message="nowhere to go")
    [dead] = receive_all(sqs, dlq_url)
    assert json.loads(dead["Body"])["MessageId"] == published["MessageId"]
    assert dead["MessageAttributes"]["TopicArn"]["StringValue"] == topic
    assert dead["MessageAttributes"]["ErrorCode"]["StringValue"]


def test_http_failures_go_to_the_dlq_after_the_retries(cloudlet, endpoint) -> None:  # noqa: ANN001
    from tests.sns.test_http import subscribe_and_confirm

    sns, sqs = cloudlet.client("sns"), cloudlet.client("sqs")
    topic = sns.create_topic(Name="http-dlq-topic")["TopicArn"]
    dlq_url, dlq_arn = make_queue(sqs, "http-dlq")
    sub = subscribe_and_confirm(sns, topic, endpoint)
    sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="RedrivePolicy",
                                    AttributeValue=json.dumps({"deadLetterTargetArn": dlq_arn}))
    sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="DeliveryPolicy", AttributeValue=json.dumps(
        {"healthyRetryPolicy": {"numRetries": 1, "minDelayTarget": 3, "maxDelayTarget": 3}}))
    endpoint.statuses = [500, 500]
    sns.publish(TopicArn=topic, Message="doomed")
    assert endpoint.next()["status"] == 500
    cloudlet.advance_clock(3)
    assert endpoint.next()["status"] == 500
    got = sqs.receive_message(QueueUrl=dlq_url, WaitTimeSeconds=5, MessageAttributeNames=["All"])["Messages"]
    assert json.loads(got[0]["Body"])["Message"] == "doomed"


def test_acknowledged_publishes_survive_kill_9(tmp_path) -> None:  # noqa: ANN001
    with cloudlet_process("--data-dir", str(tmp_path)) as cloud:
        sns, sqs = cloud.client("sns"), cloud.client("sqs")
        topic = sns.create_topic(Name="durable")["TopicArn"]
        urls = []
        for i in range(3):
            url, arn = make_queue(sqs, f"durable-{i}")
            sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"})
            urls.append(url)
        for i in range(50):
            sns.publish(TopicArn=topic, Message=f"m{i}")
        os.kill(cloud.process.pid, signal.SIGKILL)  # right after the last acknowledgment
        cloud.process.wait()
    with cloudlet_process("--data-dir", str(tmp_path)) as cloud:
        sqs = cloud.client("sqs")
        for url in urls:
            url = url.replace(url.split("/")[2], f"127.0.0.1:{cloud.port}") if "127.0.0.1" in url else url
            bodies = sorted(m["Body"] for m in receive_all(sqs, url))
            assert bodies == sorted(f"m{i}" for i in range(50))


def test_cli_fan_out(cloudlet) -> None:  # noqa: ANN001
    sqs = cloudlet.client("sqs")
    url, arn = make_queue(sqs, "cli-queue")
    env = cloudlet.env()
    topic = json.loads(subprocess.run(["aws", "sns", "create-topic", "--name", "cli-fanout"], env=env,
                                      capture_output=True, text=True, check=True).stdout)["TopicArn"]
    subprocess.run(["aws", "sns", "subscribe", "--topic-arn", topic, "--protocol", "sqs", "--notification-endpoint", arn,
                    "--attributes", "RawMessageDelivery=true"], env=env, check=True, capture_output=True)
    subprocess.run(["aws", "sns", "publish", "--topic-arn", topic, "--message", "from the cli"], env=env, check=True,
                   capture_output=True)
    assert [m["Body"] for m in receive_all(sqs, url)] == ["from the cli"]
