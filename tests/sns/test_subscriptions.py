"""Subscriptions through boto3: protocols, validation, attributes, listing, unsubscribe, email confirmation."""

from __future__ import annotations

import hashlib
import json
import urllib.request

import pytest
from botocore.exceptions import ClientError

from tests.sns.conftest import error_of

QUEUE = "arn:aws:sqs:us-east-1:000000000000:some-queue"
FIFO_QUEUE = "arn:aws:sqs:us-east-1:000000000000:some-queue.fifo"


@pytest.fixture
def sns(cloudlet):  # noqa: ANN001, ANN201
    return cloudlet.client("sns")


@pytest.fixture
def topic(sns, request) -> str:  # noqa: ANN001
    return sns.create_topic(Name=f"subs-{hashlib.md5(request.node.nodeid.encode()).hexdigest()[:12]}")["TopicArn"]


def test_sqs_subscription_is_confirmed_at_once(sns, topic) -> None:  # noqa: ANN001
    arn = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=QUEUE)["SubscriptionArn"]
    assert arn.startswith(topic + ":")
    attributes = sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]
    assert attributes["PendingConfirmation"] == "false"
    assert attributes["ConfirmationWasAuthenticated"] == "true"
    assert attributes["RawMessageDelivery"] == "false"
    assert (attributes["Protocol"], attributes["Endpoint"], attributes["TopicArn"]) == ("sqs", QUEUE, topic)
    assert "FilterPolicy" not in attributes
    # subscribing again returns the same subscription
    assert sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=QUEUE)["SubscriptionArn"] == arn
    counts = sns.get_topic_attributes(TopicArn=topic)["Attributes"]
    assert counts["SubscriptionsConfirmed"] == "1"


@pytest.mark.parametrize(("protocol", "endpoint", "message"), [
    ("carrier-pigeon", "x", "Invalid parameter: Amazon SNS does not support this protocol string: carrier-pigeon"),
    ("http", "https://example.com", "Invalid parameter: Endpoint must match the specified protocol"),
    ("sqs", "not-an-arn", "Invalid parameter: SQS endpoint ARN"),
    ("sqs", FIFO_QUEUE, "Invalid parameter: Invalid parameter: Endpoint Reason: FIFO SQS Queues can not be subscribed "
                        "to standard SNS topics"),
    ("sms", "not-a-number", "Invalid SMS endpoint: not-a-number"),
    ("lambda", "arn:aws:sqs:us-east-1:000000000000:q", "Invalid parameter: Lambda endpoint ARN"),
])
def test_bad_endpoints(sns, topic, protocol, endpoint, message) -> None:  # noqa: ANN001
    with pytest.raises(ClientError) as e:
        sns.subscribe(TopicArn=topic, Protocol=protocol, Endpoint=endpoint)
    assert error_of(e) == ("InvalidParameter", message, 400)


def test_fifo_topics_take_queues_only(sns) -> None:  # noqa: ANN001
    topic = sns.create_topic(Name="subs-fifo.fifo", Attributes={"FifoTopic": "true"})["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=QUEUE)
    with pytest.raises(ClientError) as e:
        sns.subscribe(TopicArn=topic, Protocol="sms", Endpoint="+15550000002")
    assert error_of(e)[1] == "Invalid parameter: Invalid protocol type: sms"
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=FIFO_QUEUE)


def test_attributes_at_subscribe_and_later(sns, topic) -> None:  # noqa: ANN001
    policy = json.dumps({"event": ["order_placed"]})
    arn = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=QUEUE, ReturnSubscriptionArn=True,
                        Attributes={"RawMessageDelivery": "True", "FilterPolicy": policy})["SubscriptionArn"]
    attributes = sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]
    assert attributes["RawMessageDelivery"] == "true"
    assert attributes["FilterPolicy"] == policy and attributes["FilterPolicyScope"] == "MessageAttributes"
    sns.set_subscription_attributes(SubscriptionArn=arn, AttributeName="FilterPolicyScope", AttributeValue="MessageBody")
    nested = json.dumps({"order": {"total": [{"numeric": [">", 10]}]}})
    sns.set_subscription_attributes(SubscriptionArn=arn, AttributeName="FilterPolicy", AttributeValue=nested)
    with pytest.raises(ClientError) as e:
        sns.set_subscription_attributes(SubscriptionArn=arn, AttributeName="FilterPolicyScope",
                                        AttributeValue="MessageAttributes")
    assert error_of(e)[1] == "Invalid parameter: Filter policy scope MessageAttributes does not support nested filter policy"
    redrive = json.dumps({"deadLetterTargetArn": "arn:aws:sqs:us-east-1:000000000000:dlq"})
    sns.set_subscription_attributes(SubscriptionArn=arn, AttributeName="RedrivePolicy", AttributeValue=redrive)
    assert sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]["RedrivePolicy"] == redrive
    sns.set_subscription_attributes(SubscriptionArn=arn, AttributeName="FilterPolicy", AttributeValue="")
    assert "FilterPolicy" not in sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]


@pytest.mark.parametrize(("name", "value", "message"), [
    ("FilterPolicy", '{"a": "b"}', 'Invalid parameter: FilterPolicy: "a" must be an object or an array'),
    ("FilterPolicy", "{nope", "Invalid parameter: FilterPolicy: failed to parse JSON."),
    ("FilterPolicyScope", "Everything", "Invalid parameter: FilterPolicyScope: Invalid value [Everything]. "
                                        "Please use either MessageBody or MessageAttributes"),
    ("RawMessageDelivery", "yes", "Invalid parameter: RawMessageDelivery: Invalid value [yes]. Must be true or false."),
    ("RedrivePolicy", '{"deadLetterTargetArn": "nope"}', "Invalid parameter: RedrivePolicy: deadLetterTargetArn is an "
                                                         "invalid arn"),
    ("Colour", "blue", "Invalid parameter: AttributeName"),
])
def test_bad_attribute_values(sns, topic, name, value, message) -> None:  # noqa: ANN001
    arn = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=QUEUE)["SubscriptionArn"]
    with pytest.raises(ClientError) as e:
        sns.set_subscription_attributes(SubscriptionArn=arn, AttributeName=name, AttributeValue=value)
    assert error_of(e) == ("InvalidParameter", message, 400)


def test_subscribe_words_attribute_errors_with_a_reason(sns, topic) -> None:  # noqa: ANN001
    with pytest.raises(ClientError) as e:
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=QUEUE,
                      Attributes={"FilterPolicy": json.dumps({"a": [{"bogus": 1}]})})
    assert error_of(e)[1] == "Invalid parameter: Attributes Reason: FilterPolicy: Unrecognized match type bogus"
    with pytest.raises(ClientError) as e:
        sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint="arn:aws:lambda:us-east-1:000000000000:function:f",
                      Attributes={"RawMessageDelivery": "true"})
    assert error_of(e)[1] == "Invalid parameter: Delivery protocol [lambda] does not support raw message delivery."


def test_resubscribing_with_other_attributes_fails(sns, topic) -> None:  # noqa: ANN001
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=QUEUE, Attributes={"RawMessageDelivery": "true"})
    with pytest.raises(ClientError) as e:
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=QUEUE, Attributes={"RawMessageDelivery": "false"})
    assert error_of(e)[1] == "Invalid parameter: Attributes Reason: Subscription already exists with different attributes"


def test_unknown_and_malformed_subscription_arns(sns, topic) -> None:  # noqa: ANN001
    with pytest.raises(ClientError) as e:
        sns.get_subscription_attributes(SubscriptionArn=topic + ":00000000-0000-0000-0000-000000000000")
    assert error_of(e) == ("NotFound", "Subscription does not exist", 404)
    with pytest.raises(ClientError) as e:
        sns.unsubscribe(SubscriptionArn="arn:aws:sns")
    assert error_of(e) == ("InvalidParameter",
                           "Invalid parameter: SubscriptionArn Reason: An ARN must have at least 6 elements, not 3", 400)
    with pytest.raises(ClientError) as e:
        sns.unsubscribe(SubscriptionArn=topic)
    assert error_of(e) == ("InvalidParameter", "Invalid parameter: SubscriptionId", 400)
    sns.unsubscribe(SubscriptionArn=topic + ":00000000-0000-0000-0000-000000000000")  # idempotent


def test_unsubscribe_and_counts(sns, topic) -> None:  # noqa: ANN001
    arn = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=QUEUE)["SubscriptionArn"]
    sns.unsubscribe(SubscriptionArn=arn)
    assert sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"] == []
    assert sns.get_topic_attributes(TopicArn=topic)["Attributes"]["SubscriptionsDeleted"] == "1"


def test_list_subscriptions_pages(cloudlet) -> None:  # noqa: ANN001
    sns = cloudlet.client("sns", region="eu-north-1")
    topic = sns.create_topic(Name="many-subs")["TopicArn"]
    for i in range(105):
        sns.subscribe(TopicArn=topic, Protocol="sms", Endpoint=f"+1555000{i:04d}")
    first = sns.list_subscriptions_by_topic(TopicArn=topic)
    assert len(first["Subscriptions"]) == 100
    rest = sns.list_subscriptions_by_topic(TopicArn=topic, NextToken=first["NextToken"])
    assert len(rest["Subscriptions"]) == 5 and "NextToken" not in rest
    everything = [s for p in sns.get_paginator("list_subscriptions").paginate() for s in p["Subscriptions"]]
    assert len(everything) == 105
    assert everything[0] == {k: everything[0][k] for k in ("SubscriptionArn", "Owner", "Protocol", "Endpoint", "TopicArn")}


def test_email_confirmation_is_kept_for_tests(cloudlet, sns, topic) -> None:  # noqa: ANN001
    assert sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="ops@example.com")["SubscriptionArn"] == \
        "pending confirmation"
    kept = cloudlet.admin("GET", f"sns/messages?topicArn={topic}&type=SubscriptionConfirmation")["messages"]
    assert [m["endpoint"] for m in kept] == ["ops@example.com"]
    with urllib.request.urlopen(kept[0]["subscribe_url"], timeout=10) as response:
        assert response.status == 200
    subs = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    assert subs[0]["SubscriptionArn"].startswith(topic + ":")
    sns.publish(TopicArn=topic, Message="the report", Subject="Weekly")
    mail = cloudlet.admin("GET", f"sns/messages?topicArn={topic}&protocol=email&type=Notification")["messages"]
    assert [(m["subject"], m["body"]) for m in mail] == [("Weekly", "the report")]
