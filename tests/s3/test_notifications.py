"""Event notifications: configuration rules as S3 checks them, and delivery to SQS and SNS with the
event document as S3 writes it (after the write commits)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from botocore.exceptions import ClientError

from tests.s3.support import unique


def queue(cloudlet, name: str | None = None) -> tuple[str, str]:
    sqs = cloudlet.client("sqs")
    url = sqs.create_queue(QueueName=name or unique("q"))["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn


def receive(cloudlet, url: str, count: int) -> list[dict]:
    sqs = cloudlet.client("sqs")
    found: list[dict] = []
    for _ in range(10):
        if len(found) >= count:
            break
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=2).get("Messages", [])
        for message in messages:
            found.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return found


def test_configuration_validation(cloudlet, s3, bucket) -> None:
    assert {k: v for k, v in s3.get_bucket_notification_configuration(Bucket=bucket).items()
            if k != "ResponseMetadata"} == {}
    _, arn = queue(cloudlet)
    with pytest.raises(ClientError) as e:
        s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={
            "QueueConfigurations": [{"QueueArn": arn, "Events": ["s3:ObjectCreated:Nope"]}]})
    assert (e.value.response["Error"]["Code"], e.value.response["Error"]["Message"]) == (
        "InvalidArgument", "The event is not supported for notifications")
    with pytest.raises(ClientError) as e:
        s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={
            "QueueConfigurations": [{"QueueArn": arn, "Events": ["s3:ObjectCreated:*"],
                                     "Filter": {"Key": {"FilterRules": [{"Name": "middle", "Value": "x"}]}}}]})
    assert e.value.response["Error"]["Message"] == "filter rule name must be either prefix or suffix"
    with pytest.raises(ClientError) as e:
        s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={
            "QueueConfigurations": [
                {"QueueArn": arn, "Events": ["s3:ObjectCreated:*"],
                 "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "images/"}]}}},
                {"QueueArn": arn, "Events": ["s3:ObjectCreated:Put"],
                 "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "images/raw/"}]}}}]})
    assert "Configurations overlap" in e.value.response["Error"]["Message"]
    missing = arn.rsplit(":", 1)[0] + ":no-such-queue"
    with pytest.raises(ClientError) as e:
        s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={
            "QueueConfigurations": [{"QueueArn": missing, "Events": ["s3:ObjectCreated:*"]}]})
    assert e.value.response["Error"]["Message"] == "Unable to validate the following destination configurations"
    # different suffixes do not overlap
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={
        "QueueConfigurations": [
            {"Id": "jpg", "QueueArn": arn, "Events": ["s3:ObjectCreated:*"],
             "Filter": {"Key": {"FilterRules": [{"Name": "suffix", "Value": ".jpg"}]}}},
            {"Id": "png", "QueueArn": arn, "Events": ["s3:ObjectCreated:*"],
             "Filter": {"Key": {"FilterRules": [{"Name": "suffix", "Value": ".png"}]}}}]})
    stored = s3.get_bucket_notification_configuration(Bucket=bucket)["QueueConfigurations"]
    assert [c["Id"] for c in stored] == ["jpg", "png"]


def test_delivery_to_sqs_with_s3_event_documents(cloudlet, s3, bucket) -> None:
    url, arn = queue(cloudlet)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={
        "QueueConfigurations": [{"Id": "all", "QueueArn": arn, "Events": ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"],
                                 "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "in/"},
                                                                    {"Name": "suffix", "Value": ".txt"}]}}}]})
    test_event = receive(cloudlet, url, 1)[0]
    assert test_event["Event"] == "s3:TestEvent" and test_event["Bucket"] == bucket
    assert test_event["Service"] == "Amazon S3"

    put = s3.put_object(Bucket=bucket, Key="in/a file+1.txt", Body=b"hello")
    s3.put_object(Bucket=bucket, Key="out/ignored.txt", Body=b"x")
    s3.put_object(Bucket=bucket, Key="in/ignored.bin", Body=b"x")
    s3.copy_object(Bucket=bucket, Key="in/copy.txt", CopySource={"Bucket": bucket, "Key": "in/a file+1.txt"})
    deleted = s3.delete_object(Bucket=bucket, Key="in/copy.txt")
    events = [m["Records"][0] for m in receive(cloudlet, url, 3)]
    assert [e["eventName"] for e in events] == ["ObjectCreated:Put", "ObjectCreated:Copy",
                                                "ObjectRemoved:DeleteMarkerCreated"]
    first = events[0]
    assert first["eventVersion"] == "2.1" and first["eventSource"] == "aws:s3"
    assert first["awsRegion"] == "us-east-1" and first["eventTime"].endswith("Z")
    assert first["s3"]["s3SchemaVersion"] == "1.0" and first["s3"]["configurationId"] == "all"
    assert first["s3"]["bucket"] == {"name": bucket, "ownerIdentity": {"principalId": "000000000000"},
                                     "arn": f"arn:aws:s3:::{bucket}"}
    obj = first["s3"]["object"]
    assert obj["key"] == "in/a+file%2B1.txt"
    assert obj["size"] == 5 and obj["eTag"] == put["ETag"].strip('"') and obj["versionId"] == put["VersionId"]
    assert len(obj["sequencer"]) == 16
    assert set(first) >= {"userIdentity", "requestParameters", "responseElements"}
    assert first["responseElements"]["x-amz-request-id"]
    marker = events[2]["s3"]["object"]
    assert marker["versionId"] == deleted["VersionId"] and "size" not in marker
    assert int(events[0]["s3"]["object"]["sequencer"], 16) < int(events[1]["s3"]["object"]["sequencer"], 16)


def test_multipart_and_tagging_events(cloudlet, s3, bucket) -> None:
    url, arn = queue(cloudlet)
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={
        "QueueConfigurations": [{"QueueArn": arn, "Events": ["s3:ObjectCreated:CompleteMultipartUpload",
                                                             "s3:ObjectTagging:*"]}]})
    receive(cloudlet, url, 1)
    upload = s3.create_multipart_upload(Bucket=bucket, Key="mp")
    etag = s3.upload_part(Bucket=bucket, Key="mp", UploadId=upload["UploadId"], PartNumber=1, Body=b"x")["ETag"]
    s3.complete_multipart_upload(Bucket=bucket, Key="mp", UploadId=upload["UploadId"],
                                 MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]})
    s3.put_object_tagging(Bucket=bucket, Key="mp", Tagging={"TagSet": [{"Key": "a", "Value": "b"}]})
    names = [m["Records"][0]["eventName"] for m in receive(cloudlet, url, 2)]
    assert names == ["ObjectCreated:CompleteMultipartUpload", "ObjectTagging:Put"]


def test_delivery_through_sns(cloudlet, s3, bucket) -> None:
    sns = cloudlet.client("sns")
    topic = sns.create_topic(Name=unique("topic"))["TopicArn"]
    url, arn = queue(cloudlet)
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={
        "TopicConfigurations": [{"TopicArn": topic, "Events": ["s3:ObjectCreated:Put"]}]})
    s3.put_object(Bucket=bucket, Key="via-sns", Body=b"x")
    envelopes = receive(cloudlet, url, 2)
    assert [e["Subject"] for e in envelopes] == ["Amazon S3 Notification"] * 2
    assert json.loads(envelopes[0]["Message"])["Event"] == "s3:TestEvent"
    record = json.loads(envelopes[1]["Message"])["Records"][0]
    assert record["eventName"] == "ObjectCreated:Put" and record["s3"]["object"]["key"] == "via-sns"


def test_lifecycle_expiration_events_and_rules(private) -> None:
    s3 = private.client("s3")
    bucket = unique("life")
    s3.create_bucket(Bucket=bucket)
    url, arn = queue(private)
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={
        "QueueConfigurations": [{"QueueArn": arn, "Events": ["s3:LifecycleExpiration:*"]}]})
    receive(private, url, 1)
    s3.put_object(Bucket=bucket, Key="logs/old", Body=b"x")
    s3.put_object(Bucket=bucket, Key="keep/this", Body=b"x")
    s3.create_multipart_upload(Bucket=bucket, Key="logs/partial")
    with pytest.raises(ClientError) as e:
        s3.get_bucket_lifecycle_configuration(Bucket=bucket)
    assert e.value.response["Error"]["Code"] == "NoSuchLifecycleConfiguration"
    with pytest.raises(ClientError) as e:
        s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": [
            {"ID": "r", "Status": "Enabled", "Filter": {"Prefix": "logs/"}, "Expiration": {"Days": 0}}]})
    assert e.value.response["Error"]["Code"] == "InvalidArgument"
    s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": [
        {"ID": "expire-logs", "Status": "Enabled", "Filter": {"Prefix": "logs/"}, "Expiration": {"Days": 1},
         "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1}}]})
    head = s3.head_object(Bucket=bucket, Key="logs/old")
    assert 'rule-id="expire-logs"' in head["Expiration"]
    private.advance_clock(2 * 86400 + 60)
    with pytest.raises(ClientError):
        s3.head_object(Bucket=bucket, Key="logs/old")
    assert s3.head_object(Bucket=bucket, Key="keep/this")["ContentLength"] == 1
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    record = receive(private, url, 1)[0]["Records"][0]
    assert record["eventName"] == "LifecycleExpiration:Delete" and record["s3"]["object"]["key"] == "logs/old"
    assert record["userIdentity"]["principalId"] == "s3.amazonaws.com"


def test_a_rule_with_a_date_and_one_without_an_id(private) -> None:
    s3 = private.client("s3")
    bucket = unique("dated")
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="tmp/a", Body=b"x")
    now = dt.datetime.fromtimestamp(private.now(), dt.UTC)
    midnight = dt.datetime(now.year, now.month, now.day, tzinfo=dt.UTC) + dt.timedelta(days=2)
    with pytest.raises(ClientError) as e:
        s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": [
            {"Status": "Enabled", "Filter": {}, "Expiration": {"Date": midnight + dt.timedelta(hours=1)}}]})
    assert e.value.response["Error"]["Code"] == "InvalidArgument"
    s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": [
        {"Status": "Enabled", "Filter": {"Prefix": "tmp/"}, "Expiration": {"Date": midnight}},
        {"ID": "archive", "Status": "Enabled", "Filter": {"Prefix": "old/"},
         "Transitions": [{"Date": midnight, "StorageClass": "GLACIER"}]}]})
    rules = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    assert rules[0]["Expiration"] == {"Date": midnight} and rules[1]["Transitions"][0]["Date"] == midnight
    assert len(rules[0]["ID"]) > 0 and rules[1]["ID"] == "archive"  # S3 names a rule given without an ID
    private.advance_clock(midnight.timestamp() - private.now() + 60)
    with pytest.raises(ClientError):
        s3.head_object(Bucket=bucket, Key="tmp/a")


def test_noncurrent_versions_and_markers_expire(private) -> None:
    s3 = private.client("s3")
    bucket = unique("noncurrent")
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_object(Bucket=bucket, Key="k", Body=b"1")
    s3.put_object(Bucket=bucket, Key="k", Body=b"2")
    s3.delete_object(Bucket=bucket, Key="k")
    s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": [
        {"ID": "nc", "Status": "Enabled", "Filter": {}, "NoncurrentVersionExpiration": {"NoncurrentDays": 1}},
        {"ID": "dm", "Status": "Enabled", "Filter": {}, "Expiration": {"ExpiredObjectDeleteMarker": True}}]})
    private.advance_clock(3 * 86400)
    listing = s3.list_object_versions(Bucket=bucket)
    assert listing.get("Versions", []) == [] and listing.get("DeleteMarkers", []) == []
