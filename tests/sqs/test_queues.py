"""Queues: names, attributes and their ranges, idempotent creation, URLs, listing, tags, permissions,
purging and deletion — with SQS's error codes, statuses and messages."""

from __future__ import annotations

import json
import urllib.request

import pytest

from tests.sqs.conftest import fails, unique


def json_call(cloud, operation: str, body: dict, host: str) -> dict:  # noqa: ANN001
    """A json request with a Host header of our choosing (signed for us-east-1, so the queue is found there)."""
    request = urllib.request.Request(cloud.endpoint + "/", data=json.dumps(body).encode(), method="POST")
    request.add_header("Content-Type", "application/x-amz-json-1.0")
    request.add_header("X-Amz-Target", f"AmazonSQS.{operation}")
    request.add_header("Host", host)
    request.add_header("Authorization", "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/sqs/aws4_request, "
                       "SignedHeaders=host, Signature=00")
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


NAME_RULE = "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length"


def test_a_new_queue_has_aws_defaults(sqs) -> None:  # noqa: ANN001
    name = unique()
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    created = int(attributes.pop("CreatedTimestamp"))
    assert int(attributes.pop("LastModifiedTimestamp")) == created
    assert attributes == {
        "QueueArn": f"arn:aws:sqs:us-east-1:000000000000:{name}",
        "ApproximateNumberOfMessages": "0",
        "ApproximateNumberOfMessagesNotVisible": "0",
        "ApproximateNumberOfMessagesDelayed": "0",
        "DelaySeconds": "0",
        "MaximumMessageSize": "1048576",
        "MessageRetentionPeriod": "345600",
        "ReceiveMessageWaitTimeSeconds": "0",
        "VisibilityTimeout": "30",
        "SqsManagedSseEnabled": "true",
    }
    assert sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout"])["Attributes"] == {
        "VisibilityTimeout": "30"
    }


def test_a_fifo_queue_has_its_own_defaults(sqs) -> None:  # noqa: ANN001
    url = sqs.create_queue(QueueName=unique() + ".fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert {k: attributes[k] for k in ("FifoQueue", "ContentBasedDeduplication", "DeduplicationScope",
                                       "FifoThroughputLimit")} == {
        "FifoQueue": "true", "ContentBasedDeduplication": "false", "DeduplicationScope": "queue",
        "FifoThroughputLimit": "perQueue",
    }


@pytest.mark.parametrize("name", ["", "a" * 81, "has space", "dots.in.name", "slash/name", "ünïcode", "x.fifo"])
def test_queue_names_follow_the_rules(sqs, name: str) -> None:  # noqa: ANN001
    assert fails(sqs.create_queue, QueueName=name) == ("InvalidParameterValue", NAME_RULE, 400)


def test_fifo_names_follow_the_rules(sqs) -> None:  # noqa: ANN001
    rule = ("The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, "
            "must end with .fifo suffix and be 1 to 80 in length.")
    for name in ("nofifo", "a" * 76 + ".fifo", ".fifo", "a.b.fifo"):
        assert fails(sqs.create_queue, QueueName=name, Attributes={"FifoQueue": "true"}) == (
            "InvalidParameterValue", rule, 400
        )
    assert sqs.create_queue(QueueName="a" * 75 + ".fifo", Attributes={"FifoQueue": "true"})["QueueUrl"].endswith(
        "a" * 75 + ".fifo"
    )


@pytest.mark.parametrize(
    ("name", "bad", "good"),
    [
        ("DelaySeconds", "901", "900"),
        ("MaximumMessageSize", "1023", "1024"),
        ("MaximumMessageSize", "1048577", "1048576"),
        ("MessageRetentionPeriod", "59", "60"),
        ("MessageRetentionPeriod", "1209601", "1209600"),
        ("ReceiveMessageWaitTimeSeconds", "21", "20"),
        ("VisibilityTimeout", "43201", "43200"),
        ("VisibilityTimeout", "-1", "0"),
        ("VisibilityTimeout", "ten", "10"),
        ("KmsDataKeyReusePeriodSeconds", "59", "86400"),
        ("SqsManagedSseEnabled", "yes", "false"),
    ],
)
def test_attribute_values_are_checked_against_aws_ranges(sqs, name: str, bad: str, good: str) -> None:  # noqa: ANN001
    assert fails(sqs.create_queue, QueueName=unique(), Attributes={name: bad}) == (
        "InvalidAttributeValue", f"Invalid value for the parameter {name}.", 400
    )
    url = sqs.create_queue(QueueName=unique(), Attributes={name: good})["QueueUrl"]
    assert sqs.get_queue_attributes(QueueUrl=url, AttributeNames=[name])["Attributes"][name] == good
    assert fails(sqs.set_queue_attributes, QueueUrl=url, Attributes={name: bad})[0] == "InvalidAttributeValue"


def test_unknown_and_read_only_attributes_are_refused(sqs, queue) -> None:  # noqa: ANN001
    for name in ("Colour", "QueueArn", "ApproximateNumberOfMessages", "CreatedTimestamp"):
        assert fails(sqs.set_queue_attributes, QueueUrl=queue, Attributes={name: "1"}) == (
            "InvalidAttributeName", f"Unknown Attribute {name}.", 400
        )
    assert fails(sqs.get_queue_attributes, QueueUrl=queue, AttributeNames=["Colour"]) == (
        "InvalidAttributeName", "Unknown Attribute Colour.", 400
    )


def test_fifo_only_attributes_on_a_standard_queue(sqs, queue) -> None:  # noqa: ANN001
    assert fails(sqs.set_queue_attributes, QueueUrl=queue, Attributes={"DeduplicationScope": "queue"}) == (
        "InvalidAttributeName", "You can specify the DeduplicationScope only when FifoQueue is set to true.", 400
    )
    assert fails(sqs.set_queue_attributes, QueueUrl=queue, Attributes={"FifoQueue": "true"}) == (
        "InvalidAttributeName", "Unknown Attribute FifoQueue.", 400
    )


def test_the_queue_type_cannot_change(sqs, fifo) -> None:  # noqa: ANN001
    assert fails(sqs.set_queue_attributes, QueueUrl=fifo, Attributes={"FifoQueue": "false"}) == (
        "InvalidAttributeValue", "Invalid value for the parameter FifoQueue. Reason: Modifying queue type is not "
        "supported.", 400
    )


def test_high_throughput_fifo_needs_message_group_deduplication(sqs) -> None:  # noqa: ANN001
    name = unique() + ".fifo"
    code, _, _ = fails(sqs.create_queue, QueueName=name, Attributes={
        "FifoQueue": "true", "FifoThroughputLimit": "perMessageGroupId"})
    assert code == "InvalidAttributeValue"
    url = sqs.create_queue(QueueName=name, Attributes={
        "FifoQueue": "true", "FifoThroughputLimit": "perMessageGroupId", "DeduplicationScope": "messageGroup"})[
        "QueueUrl"]
    assert sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["FifoThroughputLimit", "DeduplicationScope"])[
        "Attributes"] == {"FifoThroughputLimit": "perMessageGroupId", "DeduplicationScope": "messageGroup"}


def test_create_is_idempotent_only_when_attributes_match(sqs) -> None:  # noqa: ANN001
    name = unique()
    url = sqs.create_queue(QueueName=name, Attributes={"DelaySeconds": "5"})["QueueUrl"]
    assert sqs.create_queue(QueueName=name, Attributes={"DelaySeconds": "5"})["QueueUrl"] == url
    assert sqs.create_queue(QueueName=name)["QueueUrl"] == url
    assert fails(sqs.create_queue, QueueName=name, Attributes={"DelaySeconds": "6"}) == (
        "QueueAlreadyExists", "A queue already exists with the same name and a different value for attribute "
        "DelaySeconds", 400
    )
    assert fails(sqs.create_queue, QueueName=name, Attributes={"VisibilityTimeout": "31"})[0] == "QueueAlreadyExists"


def test_a_deleted_name_is_reusable_after_60_seconds(cloud, sqs) -> None:  # noqa: ANN001
    name = unique()
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    sqs.delete_queue(QueueUrl=url)
    assert fails(sqs.get_queue_url, QueueName=name)[0] == "AWS.SimpleQueueService.NonExistentQueue"
    assert fails(sqs.create_queue, QueueName=name) == (
        "AWS.SimpleQueueService.QueueDeletedRecently",
        "You must wait 60 seconds after deleting a queue before you can create another with the same name.", 400,
    )
    cloud.advance_clock(60)
    assert sqs.create_queue(QueueName=name)["QueueUrl"] == url


def test_errors_for_a_queue_that_does_not_exist(sqs) -> None:  # noqa: ANN001
    url = "http://localhost:4566/000000000000/never-created"
    for call, kwargs in [
        (sqs.get_queue_url, {"QueueName": "never-created"}),
        (sqs.send_message, {"QueueUrl": url, "MessageBody": "x"}),
        (sqs.receive_message, {"QueueUrl": url}),
        (sqs.get_queue_attributes, {"QueueUrl": url}),
        (sqs.delete_queue, {"QueueUrl": url}),
        (sqs.purge_queue, {"QueueUrl": url}),
    ]:
        with pytest.raises(sqs.exceptions.QueueDoesNotExist) as excinfo:
            call(**kwargs)
        error = excinfo.value.response["Error"]
        assert (error["Code"], error["QueryErrorCode"], error["Message"]) == (
            "AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist", "The specified queue does not exist."
        )


def test_queue_urls_in_every_form(cloud, sqs) -> None:  # noqa: ANN001
    name = unique()
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    port = cloud.endpoint.rsplit(":", 1)[1]
    assert url == f"{cloud.endpoint}/000000000000/{name}"
    for form in (
        f"http://localhost:{port}/000000000000/{name}",
        f"http://sqs.us-east-1.localhost.localstack.cloud:{port}/000000000000/{name}",
        f"https://sqs.us-east-1.amazonaws.com/000000000000/{name}",
        f"https://queue.amazonaws.com/000000000000/{name}",
        f"http://localhost:{port}/queue/us-east-1/000000000000/{name}",
    ):
        sqs.send_message(QueueUrl=form, MessageBody=form)
    assert sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"][
        "ApproximateNumberOfMessages"] == "5"
    # The URL follows the host the client used (a raw request: that name resolves only with DNS).
    assert json_call(cloud, "GetQueueUrl", {"QueueName": name}, host="sqs.eu-west-1.localhost.localstack.cloud:4566")[
        "QueueUrl"] == f"http://sqs.eu-west-1.localhost.localstack.cloud:4566/000000000000/{name}"
    # The region in a URL wins over the client's.
    assert fails(sqs.send_message, QueueUrl=f"http://sqs.eu-west-1.localhost.localstack.cloud:{port}/000000000000/"
                 f"{name}", MessageBody="x")[0] == "AWS.SimpleQueueService.NonExistentQueue"
    assert fails(sqs.send_message, QueueUrl="not a url", MessageBody="x") == (
        "InvalidAddress", "The address not a url is not valid for this endpoint.", 404
    )
    # A bare name is the caller's own queue, in the client's region.
    sqs.send_message(QueueUrl=name, MessageBody="by name")
    assert sqs.receive_message(QueueUrl=name, MaxNumberOfMessages=10)["Messages"]
    other = cloud.client("sqs", aws_access_key_id="111122223333", aws_secret_access_key="x")
    assert fails(other.send_message, QueueUrl=name, MessageBody="x")[0] == "AWS.SimpleQueueService.NonExistentQueue"


def test_get_queue_url_of_another_account(cloud, sqs) -> None:  # noqa: ANN001
    other = cloud.client("sqs", aws_access_key_id="111122223333", aws_secret_access_key="x")
    name = unique()
    url = other.create_queue(QueueName=name)["QueueUrl"]
    assert url.endswith(f"/111122223333/{name}")
    assert fails(sqs.get_queue_url, QueueName=name)[0] == "AWS.SimpleQueueService.NonExistentQueue"
    assert sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId="111122223333")["QueueUrl"] == url
    sqs.send_message(QueueUrl=url, MessageBody="cross-account")
    assert other.receive_message(QueueUrl=url)["Messages"][0]["Body"] == "cross-account"


def test_list_queues_by_prefix_and_page(cloud) -> None:  # noqa: ANN001
    sqs = cloud.client("sqs", region="ap-south-1")
    prefix = unique("list")
    urls = [sqs.create_queue(QueueName=f"{prefix}-{i:02d}")["QueueUrl"] for i in range(5)]
    sqs.create_queue(QueueName=unique("other"))
    assert sqs.list_queues(QueueNamePrefix=prefix)["QueueUrls"] == urls
    assert "NextToken" not in sqs.list_queues(QueueNamePrefix=prefix)
    first = sqs.list_queues(QueueNamePrefix=prefix, MaxResults=2)
    second = sqs.list_queues(QueueNamePrefix=prefix, MaxResults=2, NextToken=first["NextToken"])
    third = sqs.list_queues(QueueNamePrefix=prefix, MaxResults=2, NextToken=second["NextToken"])
    assert first["QueueUrls"] + second["QueueUrls"] + third["QueueUrls"] == urls
    assert "NextToken" not in third
    assert [url for page in sqs.get_paginator("list_queues").paginate(QueueNamePrefix=prefix,
                                                                      PaginationConfig={"PageSize": 2})
            for url in page["QueueUrls"]] == urls
    assert "QueueUrls" not in sqs.list_queues(QueueNamePrefix="nothing-like-this")
    assert fails(sqs.list_queues, MaxResults=1001)[0] == "InvalidParameterValue"


def test_set_attributes_updates_last_modified(cloud, sqs, queue) -> None:  # noqa: ANN001
    before = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["All"])["Attributes"]
    cloud.advance_clock(5)
    sqs.set_queue_attributes(QueueUrl=queue, Attributes={"VisibilityTimeout": "45", "DelaySeconds": "3"})
    after = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["All"])["Attributes"]
    assert (after["VisibilityTimeout"], after["DelaySeconds"]) == ("45", "3")
    assert after["CreatedTimestamp"] == before["CreatedTimestamp"]
    assert int(after["LastModifiedTimestamp"]) >= int(before["LastModifiedTimestamp"]) + 5


def test_encryption_attributes_are_kept_and_exclusive(sqs, queue) -> None:  # noqa: ANN001
    sqs.set_queue_attributes(QueueUrl=queue, Attributes={"KmsMasterKeyId": "alias/aws/sqs",
                                                         "KmsDataKeyReusePeriodSeconds": "6000"})
    assert sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=[
        "KmsMasterKeyId", "KmsDataKeyReusePeriodSeconds", "SqsManagedSseEnabled"])["Attributes"] == {
        "KmsMasterKeyId": "alias/aws/sqs", "KmsDataKeyReusePeriodSeconds": "6000", "SqsManagedSseEnabled": "false"}
    assert fails(sqs.set_queue_attributes, QueueUrl=queue, Attributes={
        "KmsMasterKeyId": "k", "SqsManagedSseEnabled": "true"}) == (
        "InvalidAttributeName", "You can use one type of server-side encryption (SSE) at one time. You can either "
        "enable KMS SSE or SQS SSE.", 400)
    sqs.set_queue_attributes(QueueUrl=queue, Attributes={"SqsManagedSseEnabled": "true"})
    assert sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["All"])["Attributes"].get("KmsMasterKeyId") is None


def test_a_policy_is_stored_and_removed(sqs, queue) -> None:  # noqa: ANN001
    policy = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*",
                                                                  "Action": "sqs:SendMessage", "Resource": "*"}]})
    sqs.set_queue_attributes(QueueUrl=queue, Attributes={"Policy": policy})
    assert sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["Policy"])["Attributes"]["Policy"] == policy
    assert fails(sqs.set_queue_attributes, QueueUrl=queue, Attributes={"Policy": "{not json"})[0] == (
        "InvalidAttributeValue")
    sqs.set_queue_attributes(QueueUrl=queue, Attributes={"Policy": ""})
    assert sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["Policy"])["Attributes"] == {}


def test_permissions_write_the_policy(sqs, queue) -> None:  # noqa: ANN001
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sqs.add_permission(QueueUrl=queue, Label="crossaccountpermission", AWSAccountIds=["668614515564", "111111111111"],
                       Actions=["ReceiveMessage"])
    policy = json.loads(sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["Policy"])["Attributes"]["Policy"])
    assert policy == {"Version": "2008-10-17", "Id": f"{arn}/SQSDefaultPolicy", "Statement": [{
        "Sid": "crossaccountpermission", "Effect": "Allow",
        "Principal": {"AWS": ["arn:aws:iam::668614515564:root", "arn:aws:iam::111111111111:root"]},
        "Action": "SQS:ReceiveMessage", "Resource": arn}]}
    assert fails(sqs.add_permission, QueueUrl=queue, Label="crossaccountpermission", AWSAccountIds=["111111111111"],
                 Actions=["SendMessage"]) == (
        "InvalidParameterValue", "Value crossaccountpermission for parameter Label is invalid. Reason: Already exists.",
        400)
    assert fails(sqs.add_permission, QueueUrl=queue, Label="other", AWSAccountIds=["111111111111"],
                 Actions=["Fly"])[0] == "InvalidParameterValue"
    sqs.remove_permission(QueueUrl=queue, Label="crossaccountpermission")
    assert sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["Policy"])["Attributes"] == {}
    assert fails(sqs.remove_permission, QueueUrl=queue, Label="crossaccountpermission") == (
        "InvalidParameterValue", "Value crossaccountpermission for parameter Label is invalid. Reason: can't find "
        "label.", 400)


def test_tags(sqs) -> None:  # noqa: ANN001
    url = sqs.create_queue(QueueName=unique(), tags={"tag1": "value1"})["QueueUrl"]
    sqs.tag_queue(QueueUrl=url, Tags={"tag2": "value2", "tag3": ""})
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"tag1": "value1", "tag2": "value2", "tag3": ""}
    sqs.tag_queue(QueueUrl=url, Tags={"tag2": "changed"})
    sqs.untag_queue(QueueUrl=url, TagKeys=["tag1", "tag3", "absent"])
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"tag2": "changed"}


def test_purge_empties_the_queue_once_a_minute(cloud, sqs, queue) -> None:  # noqa: ANN001
    for i in range(3):
        sqs.send_message(QueueUrl=queue, MessageBody=str(i))
    sqs.receive_message(QueueUrl=queue)
    sqs.purge_queue(QueueUrl=queue)
    counts = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["All"])["Attributes"]
    assert (counts["ApproximateNumberOfMessages"], counts["ApproximateNumberOfMessagesNotVisible"]) == ("0", "0")
    name = queue.rsplit("/", 1)[1]
    assert fails(sqs.purge_queue, QueueUrl=queue) == (
        "AWS.SimpleQueueService.PurgeQueueInProgress",
        f"Only one PurgeQueue operation on {name} is allowed every 60 seconds.", 403,
    )
    cloud.advance_clock(60)
    sqs.purge_queue(QueueUrl=queue)


def test_delete_queue_drops_its_messages(cloud, sqs) -> None:  # noqa: ANN001
    name = unique()
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="gone with the queue")
    sqs.delete_queue(QueueUrl=url)
    cloud.advance_clock(61)
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    assert "Messages" not in sqs.receive_message(QueueUrl=url)


def test_missing_parameters_in_sqs_words(unchecked, queue) -> None:  # noqa: ANN001
    assert fails(unchecked.send_message, QueueUrl=queue) == (
        "MissingParameter", "The request must contain the parameter MessageBody.", 400
    )
    assert fails(unchecked.send_message, QueueUrl=queue, MessageBody="") == (
        "MissingParameter", "The request must contain the parameter MessageBody.", 400
    )
    assert fails(unchecked.send_message, MessageBody="x") == (
        "MissingParameter", "The request must contain the parameter QueueUrl.", 400
    )
    with pytest.raises(unchecked.exceptions.ClientError) as excinfo:
        unchecked.get_queue_url()
    assert excinfo.value.response["Error"]["QueryErrorCode"] == "MissingRequiredParameterException"
