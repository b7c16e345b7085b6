"""Fuzzing every protocol against a real server over real HTTP.

Valid requests (serialized and signed by botocore) for a spread of operations in each
protocol are mutated — truncated, bit-flipped, spliced, replaced, duplicated, nested very
deep, given very long strings, odd numbers, wrong Content-Types, wrong targets, garbage
query strings, labels and header values — and every answer must be an AWS error in the
protocol the client spoke (or a success): never a 500, never a traceback, always a request
id, and botocore's own parser must find the error code.  After each protocol's batch the
server must still answer normal boto3 calls.

The choices come from a seeded ``random.Random`` per request, not from hypothesis: the same
requests every run, spread evenly over mutations and their parameters, and (unlike a test
running under hypothesis, which doubles the interpreter's recursion limit while it runs)
the server thread keeps the recursion limit it has in production, so a parser that
recurses too deep fails here as it would there.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import random

import pytest
from botocore.exceptions import ClientError

from tests.support import fuzz

# Per protocol group: the whole module runs in well under a minute, the same requests every
# run. For a longer hunt: CLOUDLET_FUZZ_EXAMPLES=5000 CLOUDLET_FUZZ_SEED=<anything>.
EXAMPLES = int(os.environ.get("CLOUDLET_FUZZ_EXAMPLES", "250"))
SEED = os.environ.get("CLOUDLET_FUZZ_SEED", "cloudlet")
KEEP_ALIVE_EXAMPLES = max(1, EXAMPLES // 5)
WHEN = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
QUEUE_URL = "http://localhost:4566/000000000000/fuzz-queue"
METRIC_DATA = {
    "Namespace": "Fuzz",
    "MetricData": [{"MetricName": "m", "Value": 1.5, "Timestamp": WHEN, "Unit": "Count",
                    "Dimensions": [{"Name": "d", "Value": "v"}]}],
}

# group -> (protocol, [(service, operation, params)]): valid requests for each protocol
SEEDS: dict[str, tuple[str, list[tuple[str, str, dict]]]] = {
    "json": ("json", [
        ("dynamodb", "DescribeLimits", {}),
        ("dynamodb", "DescribeTable", {"TableName": "fuzz-table"}),
        ("dynamodb", "PutItem", {"TableName": "fuzz-table", "Item": {
            "pk": {"S": "a ☃"}, "n": {"N": "1.5"}, "l": {"L": [{"M": {"b": {"B": b"\0\1"}}}, {"NULL": True}]}}}),
        ("dynamodb", "Query", {"TableName": "fuzz-table", "KeyConditionExpression": "pk = :v",
                               "ExpressionAttributeValues": {":v": {"S": "a"}}, "Limit": 10}),
        ("kinesis", "PutRecord", {"StreamName": "fuzz-stream", "Data": b"hello", "PartitionKey": "pk"}),
        ("kinesis", "ListShards", {"StreamName": "fuzz-stream", "MaxResults": 10}),
    ]),
    "json-query-compatible": ("json", [
        ("sqs", "CreateQueue", {"QueueName": "fuzz-queue", "Attributes": {"VisibilityTimeout": "30"},
                                "tags": {"a": "b"}}),
        ("sqs", "SendMessage", {"QueueUrl": QUEUE_URL, "MessageBody": "hello ☃", "DelaySeconds": 0,
                                "MessageAttributes": {"k": {"DataType": "String", "StringValue": "v"}}}),
        ("sqs", "ReceiveMessage", {"QueueUrl": QUEUE_URL, "MaxNumberOfMessages": 10, "WaitTimeSeconds": 0}),
        ("sqs", "DeleteMessageBatch", {"QueueUrl": QUEUE_URL, "Entries": [{"Id": "1", "ReceiptHandle": "rh"}]}),
    ]),
    "query": ("query", [
        ("sts", "GetCallerIdentity", {}),
        ("sts", "AssumeRole", {"RoleArn": "arn:aws:iam::000000000000:role/fuzz", "RoleSessionName": "fuzz",
                               "DurationSeconds": 900, "Tags": [{"Key": "k", "Value": "v"}]}),
        ("sts", "GetSessionToken", {"DurationSeconds": 900}),
        ("sts", "AssumeRoleWithWebIdentity", {"RoleArn": "arn:aws:iam::123456789012:role/web", "RoleSessionName": "s",
                                              "WebIdentityToken": "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.",
                                              "DurationSeconds": 3600}),
        ("sts", "GetAccessKeyInfo", {"AccessKeyId": "AKIAIOSFODNN7EXAMPLE"}),
        ("sns", "CreateTopic", {"Name": "fuzz-topic", "Attributes": {"DisplayName": "x"},
                                "Tags": [{"Key": "k", "Value": "v"}]}),
        ("sns", "Publish", {"TopicArn": "arn:aws:sns:us-east-1:000000000000:fuzz-topic", "Message": "hi ☃",
                            "MessageAttributes": {"a": {"DataType": "String", "StringValue": "b"}}}),
        ("iam", "CreateUser", {"UserName": "fuzz-user", "Path": "/", "Tags": [{"Key": "k", "Value": "v"}]}),
        ("iam", "PutRolePolicy", {"RoleName": "r", "PolicyName": "p",
                                  "PolicyDocument": '{"Version":"2012-10-17","Statement":[]}'}),
        ("cloudwatch", "PutMetricData", METRIC_DATA),
    ]),
    "rest-json": ("rest-json", [
        ("lambda", "ListFunctions", {"MaxItems": 10}),
        ("lambda", "GetFunction", {"FunctionName": "fuzz-fn", "Qualifier": "$LATEST"}),
        ("lambda", "Invoke", {"FunctionName": "fuzz-fn", "Payload": b'{"a": 1}',
                              "InvocationType": "RequestResponse"}),
        ("lambda", "CreateFunction", {"FunctionName": "fuzz-fn", "Runtime": "python3.12",
                                      "Role": "arn:aws:iam::000000000000:role/r", "Handler": "h.handler",
                                      "Code": {"ZipFile": b"PK\3\4"}, "Tags": {"a": "b"},
                                      "Environment": {"Variables": {"A": "B"}}}),
        ("lambda", "AddPermission", {"FunctionName": "fuzz-fn", "StatementId": "s",
                                     "Action": "lambda:InvokeFunction", "Principal": "s3.amazonaws.com"}),
        ("apigateway", "CreateRestApi", {"name": "fuzz-api", "tags": {"a": "b"}}),
        ("apigateway", "PutIntegration", {"restApiId": "abc123", "resourceId": "r1", "httpMethod": "GET",
                                          "type": "MOCK", "requestTemplates": {"application/json": "{}"}}),
        ("apigateway", "GetResources", {"restApiId": "abc123", "limit": 25, "embed": ["methods"]}),
    ]),
    "rest-xml": ("rest-xml", [
        ("s3", "PutObject", {"Bucket": "fuzz-bucket", "Key": "a/b ☃.txt", "Body": b"hello",
                             "Metadata": {"m": "v"}, "ContentType": "text/plain"}),
        ("s3", "GetObject", {"Bucket": "fuzz-bucket", "Key": "a/b ☃.txt", "Range": "bytes=0-1",
                             "IfModifiedSince": WHEN}),
        ("s3", "HeadObject", {"Bucket": "fuzz-bucket", "Key": "k"}),
        ("s3", "ListObjectsV2", {"Bucket": "fuzz-bucket", "Prefix": "a/", "MaxKeys": 10, "Delimiter": "/"}),
        ("s3", "PutBucketTagging", {"Bucket": "fuzz-bucket", "Tagging": {"TagSet": [{"Key": "k", "Value": "v"}]}}),
        ("s3", "DeleteObjects", {"Bucket": "fuzz-bucket",
                                 "Delete": {"Objects": [{"Key": "a"}, {"Key": "b"}], "Quiet": True}}),
        ("cloudfront", "ListDistributions", {"MaxItems": "10"}),
        ("cloudfront", "CreateInvalidation", {"DistributionId": "E123", "InvalidationBatch": {
            "Paths": {"Quantity": 1, "Items": ["/*"]}, "CallerReference": "ref"}}),
        ("cloudfront", "TagResource", {"Resource": "arn:aws:cloudfront::000000000000:distribution/E123",
                                       "Tags": {"Items": [{"Key": "k", "Value": "v"}]}}),
    ]),
    "smithy-rpc-v2-cbor": ("smithy-rpc-v2-cbor", [
        ("cloudwatch", "PutMetricData", METRIC_DATA),
        ("cloudwatch", "GetMetricData", {"MetricDataQueries": [{"Id": "q1", "MetricStat": {
            "Metric": {"Namespace": "Fuzz", "MetricName": "m"}, "Period": 60, "Stat": "Sum"}}],
            "StartTime": WHEN, "EndTime": WHEN}),
        ("cloudwatch", "ListMetrics", {"Namespace": "Fuzz"}),
        ("cloudwatch", "DescribeAlarms", {"AlarmNames": ["a"], "MaxRecords": 10}),
        ("codebuild", "BatchGetBuilds", {"ids": ["p:1"]}),
        ("codebuild", "CreateProject", {"name": "fuzz-proj", "source": {"type": "NO_SOURCE", "buildspec": "x"},
                                        "artifacts": {"type": "NO_ARTIFACTS"},
                                        "environment": {"type": "LINUX_CONTAINER", "image": "aws/codebuild/standard:7.0",
                                                        "computeType": "BUILD_GENERAL1_SMALL"},
                                        "serviceRole": "arn:aws:iam::000000000000:role/r"}),
    ]),
}

# A same-protocol call each group's service must still answer normally afterwards:
# (service, method, kwargs, expected error code or None for success)
STILL_SERVING = {
    "json": ("dynamodb", "describe_limits", {}, None),
    "json-query-compatible": ("sqs", "list_queues", {}, None),
    "query": ("sts", "get_caller_identity", {}, None),
    "rest-json": ("lambda", "list_functions", {}, "NotImplemented"),
    "rest-xml": ("cloudfront", "list_distributions", {}, "NotImplemented"),
    "smithy-rpc-v2-cbor": ("cloudwatch", "list_metrics", {}, "NotImplemented"),
}

TALLY = fuzz.Tally()


def seeds_for(endpoint: str, group: str) -> list[fuzz.Req]:
    protocol, entries = SEEDS[group]
    return [fuzz.seed_request(endpoint, service, operation, params, protocol)
            for service, operation, params in entries]


def assert_still_serving(cloudlet, group: str) -> None:  # noqa: ANN001
    """Normal clients still get normal answers (every client has a socket timeout)."""
    from botocore.config import Config

    config = Config(retries={"max_attempts": 1}, connect_timeout=fuzz.TIMEOUT, read_timeout=fuzz.TIMEOUT)
    assert cloudlet.client("sts", config=config).get_caller_identity()["Account"] == "000000000000"
    assert cloudlet.client("dynamodb", config=config).describe_limits()["TableMaxReadCapacityUnits"] == 40000
    service, method, kwargs, code = STILL_SERVING[group]
    client = cloudlet.client(service, config=config)
    if code is None:
        assert getattr(client, method)(**kwargs)["ResponseMetadata"]["HTTPStatusCode"] == 200
    else:
        with pytest.raises(ClientError) as excinfo:
            getattr(client, method)(**kwargs)
        assert excinfo.value.response["Error"]["Code"] == code


@pytest.mark.parametrize("group", list(SEEDS))
def test_seeds_are_answered_in_their_protocol(cloudlet, group) -> None:  # noqa: ANN001
    """The unmutated requests: the fuzz starts from requests the server understands."""
    for req in seeds_for(cloudlet.endpoint, group):
        code = fuzz.check(req, fuzz.send(cloudlet.endpoint, req))
        assert code != "UnknownOperationException", req.operation


@pytest.mark.parametrize("group", list(SEEDS))
def test_fuzz_protocol(cloudlet, group) -> None:  # noqa: ANN001
    seeds = seeds_for(cloudlet.endpoint, group)
    mutations = fuzz.mutations_for(SEEDS[group][0])
    for index in range(EXAMPLES):
        # One generator per request, named by group and index: any failure replays alone.
        rng = random.Random(f"{SEED}:{group}:{index}")
        req = rng.choice(mutations)(rng, rng.choice(seeds))
        answer = fuzz.send(cloudlet.endpoint, req)
        try:
            code = fuzz.check(req, answer)
        except fuzz.BadAnswer as e:
            raise fuzz.BadAnswer(f"fuzz request {index} of {group} (CLOUDLET_FUZZ_SEED={SEED}): {e}") from None
        TALLY.record(group, code, answer.seconds, f"{req.service}.{req.operation} {req.mutation}")
    assert_still_serving(cloudlet, group)


@pytest.mark.parametrize("group", list(SEEDS))
def test_keep_alive_connection_survives_bad_requests(cloudlet, group) -> None:  # noqa: ANN001
    """Mutated requests and valid ones alternate on one keep-alive connection: an error
    answered before the body was read must not leave that body to be taken for the next
    request, and the valid request gets the answer it gets on a connection of its own."""
    seeds = seeds_for(cloudlet.endpoint, group)
    mutations = fuzz.mutations_for(SEEDS[group][0])
    connection = fuzz.connect(cloudlet.endpoint)
    try:
        for index in range(KEEP_ALIVE_EXAMPLES):
            rng = random.Random(f"{SEED}:keep-alive:{group}:{index}")
            seed = rng.choice(seeds)
            req = rng.choice(mutations)(rng, seed)
            answer = fuzz.send_on(connection, req)
            fuzz.check(req, answer)
            if answer.headers.get("connection") == "close":
                connection.close()  # the server may end a connection; then a new one
                connection = fuzz.connect(cloudlet.endpoint)
            # A mutation may change state (a method turned into PUT creates an object), so the answer
            # to compare with is the seed's on a connection of its own, asked now.
            expected = fuzz.send(cloudlet.endpoint, seed).status
            after = fuzz.send_on(connection, seed)
            fuzz.check(seed, after)
            assert after.status == expected, (index, req.mutation, seed.operation)
    finally:
        connection.close()


@pytest.mark.parametrize("group", list(SEEDS))
def test_body_cut_short_does_not_hang(cloudlet, group, caplog) -> None:  # noqa: ANN001
    """A declared body that never fully arrives (the client closes): the server neither hangs
    nor falls over nor logs it as a failure, and answers the next request."""
    caplog.set_level(logging.WARNING)
    seeds = [s for s in seeds_for(cloudlet.endpoint, group) if len(s.body) > 2]
    for seed in seeds[:3]:
        for keep in (0, len(seed.body) // 2, len(seed.body) - 1):
            try:
                received = fuzz.send_cut_short(cloudlet.endpoint, seed, keep)
            except TimeoutError:
                pytest.fail(f"{seed.service}.{seed.operation}: no answer and no close {fuzz.TIMEOUT}s "
                            f"after the client closed a body cut at {keep} of {len(seed.body)} bytes")
            assert b"Traceback" not in received and b" 500 " not in received.split(b"\r\n", 1)[0]
    assert_still_serving(cloudlet, group)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], "a disconnect was logged as a failure"


def test_fuzz_summary(capsys) -> None:  # noqa: ANN001
    """Runs last: prints how many requests each protocol got and the codes they drew."""
    if not TALLY.sent:
        pytest.skip("no fuzz batch ran in this session")
    with capsys.disabled():
        print("\n" + TALLY.summary())
    assert all(count >= fuzz_count_floor() for count in TALLY.sent.values())


def fuzz_count_floor() -> int:
    return EXAMPLES
