"""SQS over the query protocol, as older SDKs, tools and AWS's own documentation examples speak it.

botocore's current model speaks json to SQS; the query-era model (tests/sqs/data, botocore 1.31.80)
is the oracle for the query wire: every operation round-trips against it, a client built from it
works end to end, and hand-built form requests shaped like AWS's documented examples are answered.
"""

from __future__ import annotations

import json
import os
import subprocess
import urllib.parse
import urllib.request
from functools import cache
from typing import Any

import pytest
from botocore.model import ServiceModel
from botocore.parsers import create_parser
from botocore.serialize import create_serializer

from cloudlet.protocol import get_protocol
from cloudlet.protocol.errors import ServiceError
from cloudlet.protocol.models import load_service
from tests.protocol import roundtrip
from tests.protocol.test_query_roundtrip import MISSING, carried_request, carried_response
from tests.sqs.conftest import QUERY_DATA, fails, query_client, unique
from tests.support import oracle

NAMESPACE = "http://queue.amazonaws.com/doc/2012-11-05/"


@cache
def query_model() -> ServiceModel:
    with open(os.path.join(QUERY_DATA, "sqs", "2012-11-05", "service-2.json")) as f:
        return ServiceModel(json.load(f), service_name="sqs")


OPERATIONS = query_model().operation_names
SEEDS = [(seed, False) for seed in roundtrip.SEEDS] + [(seed, True) for seed in (10, 11, 12)]


def test_the_query_model_has_every_operation_of_the_current_one():
    assert sorted(OPERATIONS) == sorted(load_service("sqs").operation_names)
    assert query_model().protocol == "query"


@pytest.mark.parametrize("operation", OPERATIONS)
def test_requests_of_query_clients_parse_to_their_parameters(operation: str) -> None:
    op = query_model().operation_model(operation)
    ours = load_service("sqs").operation(operation)
    for seed, edges in SEEDS:
        params = oracle.Generator(seed, edges=edges).value(op.input_shape)
        request = create_serializer("query").serialize_to_request(params, op)
        from botocore.awsrequest import prepare_request_dict

        prepare_request_dict(request, endpoint_url=oracle.ENDPOINT)
        parsed = get_protocol("query").parse(oracle.to_cloudlet_request(request), ours)
        expected = carried_request(op.input_shape, params)
        expected = {} if expected is MISSING else expected
        if operation == "ReceiveMessage" and "AttributeNames" in expected:
            # Both lists travel as AttributeName.N on the query wire.
            expected["MessageSystemAttributeNames"] = expected["AttributeNames"]
        assert oracle.normalize(parsed) == oracle.normalize(expected), f"seed {seed} edges {edges}"


def _parse(operation: str, response: Any, shape: Any) -> dict:
    raw = {
        "status_code": response.status,
        "headers": {k.lower(): v for k, v in response.headers},
        "body": response.body,
        "context": {"operation_name": operation},
    }
    from botocore.awsrequest import HeadersDict

    raw["headers"] = HeadersDict(raw["headers"])
    return create_parser("query").parse(raw, shape)


@pytest.mark.parametrize("operation", OPERATIONS)
def test_outputs_parse_in_query_clients(operation: str) -> None:
    op = query_model().operation_model(operation)
    ctx = roundtrip.context("sqs", operation, "query")
    for seed, edges in SEEDS:
        output = oracle.Generator(seed, edges=edges).value(op.output_shape) if op.output_shape else {}
        response = get_protocol("query").serialize(ctx, ctx.operation, output)
        parsed = _parse(operation, response, op.output_shape)
        parsed.pop("ResponseMetadata")
        expected = carried_response(op.output_shape, output) if op.output_shape else {}
        assert oracle.normalize(parsed) == oracle.normalize(expected), f"seed {seed} edges {edges}"


@pytest.mark.parametrize("operation", OPERATIONS)
def test_errors_reach_query_clients_with_their_query_codes(operation: str) -> None:
    op = query_model().operation_model(operation)
    ctx = roundtrip.context("sqs", operation, "query")
    for shape in op.error_shapes:
        response = get_protocol("query").serialize_error(ctx, ServiceError(shape.name, "it <failed> &"))
        error = _parse(operation, response, None)["Error"]
        assert error["Code"] == (shape.metadata.get("error", {}).get("code") or shape.name), shape.name
        assert error["Message"] == "it <failed> &"
        # Statuses are today's (the awsQueryError traits): ReceiptHandleIsInvalid is a 404 now.
        assert response.status == load_service("sqs").shape(shape.name).error_status, shape.name


# --- a query client against the server ------------------------------------------------------------


def test_a_query_client_works_end_to_end(cloud, sqs_query) -> None:  # noqa: ANN001
    url = sqs_query.create_queue(QueueName=unique(), Attributes={"VisibilityTimeout": "7"}, tags={"team": "a"})[
        "QueueUrl"
    ]
    assert sqs_query.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout", "QueueArn"])[
        "Attributes"
    ] == {"VisibilityTimeout": "7", "QueueArn": f"arn:aws:sqs:us-east-1:000000000000:{url.rsplit('/', 1)[1]}"}
    assert sqs_query.list_queue_tags(QueueUrl=url)["Tags"] == {"team": "a"}
    attributes = {
        "General": {"DataType": "String", "StringValue": "Kenobi"},
        "Hello": {"DataType": "String", "StringValue": "There"},
        "Help.Me": {"DataType": "String", "StringValue": "Me"},
    }
    sent = sqs_query.send_message(QueueUrl=url, MessageBody="msg", MessageAttributes=attributes)
    assert sent["MD5OfMessageBody"] == "6e2baaf3b97dbeef01c0043275f9a0e7"
    assert sent["MD5OfMessageAttributes"] == "4c360f3fdafd970e05fae2f149d997f5"  # AWS's own answer
    batch = sqs_query.send_message_batch(QueueUrl=url, Entries=[
        {"Id": "ok", "MessageBody": "second", "MessageAttributes": {"n": {"DataType": "Number", "StringValue": "1.5"}}},
        {"Id": "bad", "MessageBody": "x", "DelaySeconds": 901},
    ])
    assert [entry["Id"] for entry in batch["Successful"]] == ["ok"]
    assert batch["Failed"][0]["Id"] == "bad" and batch["Failed"][0]["Code"] == "InvalidParameterValue"
    received = sqs_query.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"], MessageAttributeNames=["Hel*", "Hello", "n"]
    )["Messages"]
    by_body = {message["Body"]: message for message in received}
    assert set(by_body) == {"msg", "second"}
    assert by_body["msg"]["MessageAttributes"] == {"Hello": {"DataType": "String", "StringValue": "There"}}
    assert by_body["msg"]["Attributes"]["ApproximateReceiveCount"] == "1"
    assert by_body["second"]["MessageAttributes"]["n"] == {"DataType": "Number", "StringValue": "1.5"}
    deleted = sqs_query.delete_message_batch(QueueUrl=url, Entries=[
        {"Id": f"m{i}", "ReceiptHandle": message["ReceiptHandle"]} for i, message in enumerate(received)
    ])
    assert len(deleted["Successful"]) == 2 and not deleted.get("Failed")
    assert sqs_query.list_queues(QueueNamePrefix=url.rsplit("/", 1)[1])["QueueUrls"] == [url]


def test_query_errors_are_sqs_query_errors(sqs_query) -> None:  # noqa: ANN001
    assert fails(sqs_query.get_queue_url, QueueName="no-such-queue") == (
        "AWS.SimpleQueueService.NonExistentQueue", "The specified queue does not exist for this wsdl version.", 400
    )
    url = sqs_query.create_queue(QueueName=unique())["QueueUrl"]
    assert fails(sqs_query.receive_message, QueueUrl=url, MaxNumberOfMessages=11) == (
        "InvalidParameterValue",
        "Value 11 for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.", 400,
    )
    assert fails(sqs_query.delete_message, QueueUrl=url, ReceiptHandle="fake") == (
        "ReceiptHandleIsInvalid", 'The input receipt handle "fake" is not a valid receipt handle.', 404
    )
    assert fails(sqs_query.send_message_batch, QueueUrl=url, Entries=[{"Id": "a", "MessageBody": "x"}] * 2)[:2] == (
        "AWS.SimpleQueueService.BatchEntryIdsNotDistinct", "Id a repeated."
    )


# --- hand-built form requests, as AWS documents them ----------------------------------------------


def post_form(cloud, path: str, fields: list[tuple[str, str]], host: str | None = None) -> tuple[int, str]:  # noqa: ANN001
    body = urllib.parse.urlencode(fields).encode()
    request = urllib.request.Request(cloud.endpoint + path, data=body, method="POST")
    request.add_header("Content-Type", "application/x-www-form-urlencoded")
    if host:
        request.add_header("Host", host)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_documented_query_requests_posted_to_the_queue_url(cloud, sqs) -> None:  # noqa: ANN001
    name = unique()
    status, text = post_form(cloud, "/", [("Action", "CreateQueue"), ("QueueName", name),
                                           ("Attribute.1.Name", "VisibilityTimeout"), ("Attribute.1.Value", "40"),
                                           ("Tag.1.Key", "QueueType"), ("Tag.1.Value", "Production"),
                                           ("Version", "2012-11-05")])
    assert status == 200, text
    assert text.startswith('<?xml version="1.0"?>') or text.startswith("<?xml")
    assert f'<CreateQueueResponse xmlns="{NAMESPACE}"><CreateQueueResult><QueueUrl>' in text
    assert f"/000000000000/{name}</QueueUrl></CreateQueueResult><ResponseMetadata><RequestId>" in text
    path = f"/000000000000/{name}"
    # The queue named by the path it is posted to, without a QueueUrl parameter (Java SDK v1 does this).
    status, text = post_form(cloud, path, [
        ("Action", "SendMessage"), ("MessageBody", "This is a test message"),
        ("MessageAttribute.1.Name", "my_attribute_name_1"), ("MessageAttribute.1.Value.StringValue", "v1"),
        ("MessageAttribute.1.Value.DataType", "String"), ("Version", "2012-11-05"),
    ])
    assert status == 200, text
    assert "<SendMessageResult><MD5OfMessageBody>fafb00f5732ab283681e124bf8747ed1</MD5OfMessageBody>" in text
    status, text = post_form(cloud, path, [
        ("Action", "ReceiveMessage"), ("MaxNumberOfMessages", "5"), ("VisibilityTimeout", "15"),
        ("AttributeName", "All"), ("MessageAttributeName.1", "All"), ("Version", "2012-11-05"),
    ])
    assert status == 200, text
    assert "<ReceiveMessageResult><Message><MessageId>" in text
    assert "<Body>This is a test message</Body>" in text
    assert "<Attribute><Name>ApproximateReceiveCount</Name><Value>1</Value></Attribute>" in text
    assert "<MessageAttribute><Name>my_attribute_name_1</Name><Value>" in text
    assert "<StringValue>v1</StringValue>" in text and "<DataType>String</DataType>" in text
    status, text = post_form(cloud, path, [("Action", "GetQueueAttributes"), ("AttributeName.1", "All"),
                                           ("Version", "2012-11-05")])
    assert "<Attribute><Name>VisibilityTimeout</Name><Value>40</Value></Attribute>" in text
    assert "<Attribute><Name>ApproximateNumberOfMessagesNotVisible</Name><Value>1</Value></Attribute>" in text
    assert sqs.list_queue_tags(QueueUrl=f"{cloud.endpoint}{path}")["Tags"] == {"QueueType": "Production"}


def test_a_query_error_document(cloud) -> None:  # noqa: ANN001
    status, text = post_form(cloud, "/000000000000/does-not-exist", [("Action", "GetQueueAttributes"),
                                                                      ("AttributeName.1", "All"),
                                                                      ("Version", "2012-11-05")])
    assert status == 400
    assert f'<ErrorResponse xmlns="{NAMESPACE}"><Error><Type>Sender</Type>' in text
    assert "<Code>AWS.SimpleQueueService.NonExistentQueue</Code>" in text
    assert "<Message>The specified queue does not exist for this wsdl version.</Message>" in text
    status, text = post_form(cloud, "/", [("Action", "SendMessage"), ("MessageBody", "x"), ("Version", "2012-11-05")])
    assert status == 400 and "<Code>MissingParameter</Code>" in text
    assert "<Message>The request must contain the parameter QueueUrl.</Message>" in text


def test_the_aws_cli_on_the_query_model(cloud) -> None:  # noqa: ANN001
    env = {**cloud.env(), "AWS_DATA_PATH": QUERY_DATA}
    name = unique()

    # The CLI points SQS's query model at the legacy queue.amazonaws.com unless told the endpoint.
    endpoint = ["--endpoint-url", cloud.endpoint]

    def aws(*args: str) -> dict:
        done = subprocess.run(["aws", "sqs", *args, *endpoint, "--output", "json"], env=env, capture_output=True,
                              text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout) if done.stdout.strip() else {}

    debug = subprocess.run(["aws", "sqs", "create-queue", "--queue-name", name, *endpoint, "--debug"], env=env,
                           capture_output=True, text=True, timeout=60)
    # the CLI spoke query: a form body with the action
    assert "'body': {'Action': 'CreateQueue'" in debug.stderr and "x-www-form-urlencoded" in debug.stderr
    url = json.loads(debug.stdout)["QueueUrl"]
    aws("send-message", "--queue-url", url, "--message-body", "hi", "--message-attributes",
        '{"k": {"DataType": "String", "StringValue": "v"}}')
    got = aws("receive-message", "--queue-url", url, "--message-attribute-names", "All")["Messages"][0]
    assert got["Body"] == "hi" and got["MessageAttributes"] == {"k": {"DataType": "String", "StringValue": "v"}}


def test_a_query_client_in_another_region_gets_that_regions_queues(cloud) -> None:  # noqa: ANN001
    west = query_client(cloud, region="eu-west-1")
    name = unique()
    url = west.create_queue(QueueName=name)["QueueUrl"]
    assert west.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"] == (
        f"arn:aws:sqs:eu-west-1:000000000000:{name}"
    )
    assert fails(query_client(cloud).get_queue_url, QueueName=name)[0] == "AWS.SimpleQueueService.NonExistentQueue"
