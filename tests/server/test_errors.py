"""Bad requests get AWS-format errors in the protocol the client spoke; unbuilt operations get 501."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET

import pytest
from botocore import xform_name
from botocore.exceptions import ClientError

from tests.support.unbuilt import unbuilt_without_inputs

JSON_10 = "application/x-amz-json-1.0"


def raw(cloudlet, method: str, path: str, body: bytes = b"", **headers: str) -> tuple[int, dict, bytes]:  # noqa: ANN001
    headers = {k.replace("_", "-"): v for k, v in headers.items()}
    request = urllib.request.Request(cloudlet.endpoint + path, data=body or None, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def test_unbuilt_operation_is_501_naming_service_and_operation(cloudlet) -> None:  # noqa: ANN001
    operation = unbuilt_without_inputs("dynamodb")
    with pytest.raises(ClientError) as excinfo:
        getattr(cloudlet.client("dynamodb"), xform_name(operation))()
    error = excinfo.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 501
    assert error["Error"]["Code"] == "NotImplemented"
    assert operation in error["Error"]["Message"] and "dynamodb" in error["Error"]["Message"]


@pytest.mark.parametrize(
    ("service", "call"),
    [
        ("elasticache", lambda c: c.describe_cache_clusters()),  # query
        ("lambda", lambda c: c.list_functions()),  # rest-json
        ("cloudfront", lambda c: c.list_distributions()),  # rest-xml
        ("cloudwatch", lambda c: c.list_metrics()),  # smithy-rpc-v2-cbor
    ],
)
def test_501_in_every_protocol(cloudlet, service, call) -> None:  # noqa: ANN001
    with pytest.raises(ClientError) as excinfo:
        call(cloudlet.client(service))
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 501
    assert excinfo.value.response["Error"]["Code"] == "NotImplemented"


def test_unknown_json_target(cloudlet) -> None:  # noqa: ANN001
    status, _, body = raw(cloudlet, "POST", "/", b"{}", content_type=JSON_10,
                          x_amz_target="DynamoDB_20120810.MakeCoffee")
    assert status == 400 and json.loads(body)["__type"].endswith("UnknownOperationException")


def test_malformed_json_body(cloudlet) -> None:  # noqa: ANN001
    for body in (b"{", b"[1,2]", b"\xff\xfe", b'{"TableName": 5}'):
        status, headers, reply = raw(cloudlet, "POST", "/", body, content_type=JSON_10,
                                     x_amz_target="DynamoDB_20120810.DescribeTable")
        assert status == 400, body
        assert json.loads(reply)["__type"].endswith("SerializationException"), body
        assert {k.lower(): v for k, v in headers.items()}["x-amzn-requestid"]


def test_missing_required_json_member(cloudlet) -> None:  # noqa: ANN001
    status, _, reply = raw(cloudlet, "POST", "/", b"{}", content_type=JSON_10,
                           x_amz_target="DynamoDB_20120810.DescribeTable")
    document = json.loads(reply)
    assert status == 400 and document["__type"].endswith("ValidationException")
    assert document["message"] == (
        "1 validation error detected: Value null at 'tableName' failed to satisfy constraint: "
        "Member must not be null"
    )


def test_unknown_query_action(cloudlet) -> None:  # noqa: ANN001
    status, _, reply = raw(cloudlet, "POST", "/", b"Action=BrewTea&Version=2011-06-15",
                           content_type="application/x-www-form-urlencoded",
                           authorization="AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/sts/aws4_request, "
                                         "SignedHeaders=host, Signature=00")
    root = ET.fromstring(reply)
    assert status == 400 and root.tag.endswith("ErrorResponse")
    assert root.find(".//{*}Code").text == "InvalidAction"


def test_oversized_body_is_413_not_a_hang(cloudlet) -> None:  # noqa: ANN001
    limit = cloudlet.server.config.max_body
    body = b"{" + b" " * (limit + 10) + b"}"
    status, _, reply = raw(cloudlet, "POST", "/", body, content_type=JSON_10,
                           x_amz_target="DynamoDB_20120810.DescribeLimits")
    assert status == 413 and b"RequestEntityTooLarge" in reply
    assert cloudlet.client("dynamodb").describe_limits()["TableMaxReadCapacityUnits"] == 40000


STS_SCOPE = "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/sts/aws4_request, SignedHeaders=host, Signature=00"


def test_oversized_form_body_is_a_query_error(cloudlet) -> None:  # noqa: ANN001
    body = b"Action=GetCallerIdentity&Version=2011-06-15&Pad=" + b"x" * (cloudlet.server.config.max_body + 1)
    status, headers, reply = raw(cloudlet, "POST", "/", body, content_type="application/x-www-form-urlencoded",
                                 authorization=STS_SCOPE)
    root = ET.fromstring(reply)
    assert status == 413 and root.find(".//{*}Code").text == "RequestEntityTooLarge"
    assert root.find(".//{*}RequestId").text


def test_a_query_request_without_action(cloudlet) -> None:  # noqa: ANN001
    status, _, reply = raw(cloudlet, "POST", "/", b"Version=2011-06-15", content_type="application/x-www-form-urlencoded",
                           authorization=STS_SCOPE)
    assert status == 400 and ET.fromstring(reply).find(".//{*}Code").text == "MissingAction"


def test_api_invocations_are_501_with_a_request_id(cloudlet) -> None:  # noqa: ANN001
    status, headers, reply = raw(cloudlet, "GET", "/restapis/abc123/prod/_user_request_/items")
    assert status == 501 and json.loads(reply)["message"]
    assert {k.lower(): v for k, v in headers.items()}["x-amzn-requestid"]
