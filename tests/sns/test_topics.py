"""Topics through boto3 and the AWS CLI: create (standard, FIFO), attributes, tags, permissions, errors."""

from __future__ import annotations

import json
import subprocess

import pytest
from botocore.exceptions import ClientError

from tests.sns.conftest import error_of


@pytest.fixture
def sns(cloudlet):  # noqa: ANN001, ANN201
    return cloudlet.client("sns")


def test_create_is_idempotent_and_listed(sns) -> None:  # noqa: ANN001
    arn = sns.create_topic(Name="orders")["TopicArn"]
    assert arn == "arn:aws:sns:us-east-1:000000000000:orders"
    assert sns.create_topic(Name="orders")["TopicArn"] == arn
    assert {"TopicArn": arn} in sns.list_topics()["Topics"]


def test_default_attributes(sns) -> None:  # noqa: ANN001
    arn = sns.create_topic(Name="defaults")["TopicArn"]
    attributes = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
    assert attributes["TopicArn"] == arn
    assert attributes["Owner"] == "000000000000"
    assert attributes["DisplayName"] == ""
    assert (attributes["SubscriptionsConfirmed"], attributes["SubscriptionsPending"],
            attributes["SubscriptionsDeleted"]) == ("0", "0", "0")
    policy = json.loads(attributes["Policy"])
    assert policy["Statement"][0]["Resource"] == arn
    effective = json.loads(attributes["EffectiveDeliveryPolicy"])
    assert effective["http"]["defaultHealthyRetryPolicy"]["numRetries"] == 3
    assert "FifoTopic" not in attributes


def test_fifo_topics(sns) -> None:  # noqa: ANN001
    arn = sns.create_topic(Name="events.fifo", Attributes={"FifoTopic": "true", "ContentBasedDeduplication": "true"})[
        "TopicArn"]
    attributes = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
    assert attributes["FifoTopic"] == "true"
    assert attributes["ContentBasedDeduplication"] == "true"
    with pytest.raises(ClientError) as e:
        sns.create_topic(Name="nofifo", Attributes={"FifoTopic": "true"})
    assert error_of(e)[:2] == ("InvalidParameter", (
        "Fifo Topic names must end with .fifo and must be made up of only uppercase and lowercase ASCII letters, "
        "numbers, underscores, and hyphens, and must be between 1 and 256 characters long."))
    with pytest.raises(ClientError) as e:
        sns.create_topic(Name="plain.fifo")
    assert error_of(e) == ("InvalidParameter", "Invalid parameter: Topic Name", 400)


@pytest.mark.parametrize("name", ["", "a" * 257, "has space", "dots.in.name", "ünïcode"])
def test_bad_names(sns, name) -> None:  # noqa: ANN001
    with pytest.raises(ClientError) as e:
        sns.create_topic(Name=name)
    assert error_of(e) == ("InvalidParameter", "Invalid parameter: Topic Name", 400)


def test_recreating_with_other_attributes_or_tags_fails(sns) -> None:  # noqa: ANN001
    sns.create_topic(Name="strict", Attributes={"DisplayName": "one"}, Tags=[{"Key": "k", "Value": "v"}])
    with pytest.raises(ClientError) as e:
        sns.create_topic(Name="strict", Attributes={"DisplayName": "two"})
    assert error_of(e)[1] == "Invalid parameter: Attributes Reason: Topic already exists with different attributes"
    with pytest.raises(ClientError) as e:
        sns.create_topic(Name="strict", Tags=[{"Key": "k", "Value": "other"}])
    assert error_of(e)[1] == "Invalid parameter: Tags Reason: Topic already exists with different tags"
    sns.create_topic(Name="strict", Attributes={"DisplayName": "one"}, Tags=[{"Key": "k", "Value": "v"}])


def test_set_attributes(sns) -> None:  # noqa: ANN001
    arn = sns.create_topic(Name="settable")["TopicArn"]
    sns.set_topic_attributes(TopicArn=arn, AttributeName="DisplayName", AttributeValue="Shown")
    sns.set_topic_attributes(TopicArn=arn, AttributeName="SignatureVersion", AttributeValue="2")
    policy = {"http": {"defaultHealthyRetryPolicy": {"numRetries": 5, "minDelayTarget": 1, "maxDelayTarget": 10}}}
    sns.set_topic_attributes(TopicArn=arn, AttributeName="DeliveryPolicy", AttributeValue=json.dumps(policy))
    attributes = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
    assert attributes["DisplayName"] == "Shown"
    assert attributes["SignatureVersion"] == "2"
    assert json.loads(attributes["EffectiveDeliveryPolicy"])["http"]["defaultHealthyRetryPolicy"]["numRetries"] == 5
    for name, value in [("FifoTopic", "true"), ("NoSuch", "x")]:
        with pytest.raises(ClientError) as e:
            sns.set_topic_attributes(TopicArn=arn, AttributeName=name, AttributeValue=value)
        assert error_of(e) == ("InvalidParameter", "Invalid parameter: AttributeName", 400)
    with pytest.raises(ClientError) as e:
        sns.set_topic_attributes(TopicArn=arn, AttributeName="ContentBasedDeduplication", AttributeValue="true")
    assert error_of(e)[0] == "InvalidParameter"


def test_missing_topics(sns) -> None:  # noqa: ANN001
    missing = "arn:aws:sns:us-east-1:000000000000:missing"
    for call in (lambda: sns.get_topic_attributes(TopicArn=missing),
                 lambda: sns.publish(TopicArn=missing, Message="x"),
                 lambda: sns.subscribe(TopicArn=missing, Protocol="sqs", Endpoint="arn:aws:sqs:us-east-1:000000000000:q"),
                 lambda: sns.list_subscriptions_by_topic(TopicArn=missing)):
        with pytest.raises(ClientError) as e:
            call()
        assert error_of(e) == ("NotFound", "Topic does not exist", 404)
    with pytest.raises(ClientError) as e:
        sns.get_topic_attributes(TopicArn="not-an-arn")
    assert error_of(e) == ("InvalidParameter", "Invalid parameter: TopicArn", 400)
    with pytest.raises(ClientError) as e:
        sns.get_topic_attributes(TopicArn="arn:aws:sns:eu-west-1:000000000000:elsewhere")
    assert error_of(e) == ("InvalidParameter", "Invalid parameter: TopicArn", 400)
    sns.delete_topic(TopicArn=missing)  # deleting what is not there succeeds


def test_delete_removes_topic_and_subscriptions(sns) -> None:  # noqa: ANN001
    arn = sns.create_topic(Name="doomed")["TopicArn"]
    sns.subscribe(TopicArn=arn, Protocol="sms", Endpoint="+15550000001")
    sns.delete_topic(TopicArn=arn)
    assert {"TopicArn": arn} not in sns.list_topics()["Topics"]
    assert all(s["TopicArn"] != arn for s in sns.list_subscriptions()["Subscriptions"])


def test_tags(sns) -> None:  # noqa: ANN001
    arn = sns.create_topic(Name="tagged", Tags=[{"Key": "team", "Value": "a"}])["TopicArn"]
    sns.tag_resource(ResourceArn=arn, Tags=[{"Key": "env", "Value": "dev"}, {"Key": "team", "Value": "b"}])
    tags = sns.list_tags_for_resource(ResourceArn=arn)["Tags"]
    assert sorted((t["Key"], t["Value"]) for t in tags) == [("env", "dev"), ("team", "b")]
    sns.untag_resource(ResourceArn=arn, TagKeys=["team"])
    assert sns.list_tags_for_resource(ResourceArn=arn)["Tags"] == [{"Key": "env", "Value": "dev"}]
    with pytest.raises(ClientError) as e:
        sns.tag_resource(ResourceArn=arn, Tags=[{"Key": "x", "Value": "1"}, {"Key": "x", "Value": "2"}])
    assert error_of(e) == ("InvalidParameter", "Invalid parameter: Duplicated keys are not allowed.", 400)
    with pytest.raises(ClientError) as e:
        sns.tag_resource(ResourceArn=arn, Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(50)])
    assert error_of(e)[0] == "TagLimitExceeded"
    with pytest.raises(ClientError) as e:
        sns.list_tags_for_resource(ResourceArn="arn:aws:sns:us-east-1:000000000000:nope")
    assert error_of(e) == ("ResourceNotFound", "Resource does not exist", 404)


def test_permissions(sns) -> None:  # noqa: ANN001
    arn = sns.create_topic(Name="shared")["TopicArn"]
    sns.add_permission(TopicArn=arn, Label="pub", AWSAccountId=["111122223333"], ActionName=["Publish"])
    statements = json.loads(sns.get_topic_attributes(TopicArn=arn)["Attributes"]["Policy"])["Statement"]
    added = next(s for s in statements if s["Sid"] == "pub")
    assert added["Principal"] == {"AWS": "arn:aws:iam::111122223333:root"} and added["Action"] == "SNS:Publish"
    with pytest.raises(ClientError) as e:
        sns.add_permission(TopicArn=arn, Label="pub", AWSAccountId=["111122223333"], ActionName=["Publish"])
    assert error_of(e) == ("InvalidParameter", "Invalid parameter: Statement already exists", 400)
    sns.remove_permission(TopicArn=arn, Label="pub")
    statements = json.loads(sns.get_topic_attributes(TopicArn=arn)["Attributes"]["Policy"])["Statement"]
    assert all(s["Sid"] != "pub" for s in statements)


def test_data_protection_policy(sns) -> None:  # noqa: ANN001
    arn = sns.create_topic(Name="protected")["TopicArn"]
    assert "DataProtectionPolicy" not in sns.get_data_protection_policy(ResourceArn=arn)
    policy = json.dumps({"Name": "p", "Version": "2021-06-01", "Statement": []})
    sns.put_data_protection_policy(ResourceArn=arn, DataProtectionPolicy=policy)
    assert sns.get_data_protection_policy(ResourceArn=arn)["DataProtectionPolicy"] == policy


def test_list_topics_pages_by_100(cloudlet) -> None:  # noqa: ANN001
    sns = cloudlet.client("sns", region="ap-south-1")
    arns = {sns.create_topic(Name=f"page-{i:03d}")["TopicArn"] for i in range(130)}
    first = sns.list_topics()
    assert len(first["Topics"]) == 100 and first["NextToken"]
    second = sns.list_topics(NextToken=first["NextToken"])
    assert "NextToken" not in second
    assert {t["TopicArn"] for t in first["Topics"] + second["Topics"]} == arns
    paginated = [t for p in sns.get_paginator("list_topics").paginate() for t in p["Topics"]]
    assert len(paginated) == 130


def test_resource_api(cloudlet) -> None:  # noqa: ANN001
    resource = cloudlet.resource("sns")
    topic = resource.create_topic(Name="via-resource")
    topic.set_attributes(AttributeName="DisplayName", AttributeValue="Resource")
    topic.reload()
    assert topic.attributes["DisplayName"] == "Resource"
    assert topic.arn in [t.arn for t in resource.topics.all()]


def test_cli(cloudlet) -> None:  # noqa: ANN001
    out = subprocess.run(["aws", "sns", "create-topic", "--name", "from-cli"], env=cloudlet.env(),
                         capture_output=True, text=True, check=True).stdout
    arn = json.loads(out)["TopicArn"]
    result = subprocess.run(["aws", "sns", "publish", "--topic-arn", arn, "--message", "hi"], env=cloudlet.env(),
                            capture_output=True, text=True, check=True)
    assert json.loads(result.stdout)["MessageId"]
    failed = subprocess.run(["aws", "sns", "get-topic-attributes", "--topic-arn", arn + "-nope"],
                            env=cloudlet.env(), capture_output=True, text=True)
    assert failed.returncode != 0 and "NotFound" in failed.stderr and "Topic does not exist" in failed.stderr
