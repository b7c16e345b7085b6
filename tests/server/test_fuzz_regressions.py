"""Bugs the protocol fuzzer (test_fuzz.py) found, each pinned by the request that found it."""

from __future__ import annotations

import json
import logging

from tests.support import fuzz


def send(cloudlet, service: str, operation: str, params: dict, protocol: str | None = None,  # noqa: ANN001
         **changes) -> tuple[fuzz.Req, fuzz.Answer]:
    req = fuzz.seed_request(cloudlet.endpoint, service, operation, params, protocol)
    req = fuzz.replace(req, mutation="regression", **changes)
    return req, fuzz.send(cloudlet.endpoint, req)


def test_json_nested_past_the_recursion_limit_is_a_serialization_error(cloudlet) -> None:  # noqa: ANN001
    # json.loads raised RecursionError, which the gateway answered as a 500 InternalFailure.
    for body in (b'{"a":' * 100_000 + b"1" + b"}" * 100_000, b'{"TableName":' + b"[" * 5000 + b"]" * 5000 + b"}"):
        req, answer = send(cloudlet, "dynamodb", "DescribeTable", {"TableName": "t"}, body=body)
        assert fuzz.check(req, answer) == "SerializationException"
        assert answer.status == 400
        assert "nested too deeply" in json.loads(answer.body)["message"]


def test_rpcv2_request_to_an_unknown_path_is_answered_in_cbor(cloudlet) -> None:  # noqa: ANN001
    # A request with "smithy-protocol: rpc-v2-cbor" whose path names no service was routed by its
    # signature and answered in JSON, which a CBOR client cannot read.
    for path in ("/service/%E2%98%83/operation/ListMetrics", "/x/GraniteServiceVersion20100801/operation/ListMetrics",
                 "/service/GraniteServiceVersion20100801/op/ListMetrics"):
        req, answer = send(cloudlet, "cloudwatch", "ListMetrics", {}, "smithy-rpc-v2-cbor", target=path)
        assert fuzz.check(req, answer) == "UnknownOperationException", path
        assert answer.headers["content-type"] == "application/cbor"


def test_form_body_without_action_is_answered_in_query(cloudlet) -> None:  # noqa: ANN001
    # CloudWatch speaks cbor, json and query; a form body without an Action was answered in JSON.
    for body, code in ((b"", "MissingAction"), (b"Version=2010-08-01", "MissingAction"),
                       (b"\xff\xfe garbage", "MalformedQueryString")):
        req, answer = send(cloudlet, "cloudwatch", "ListMetrics", {}, "query", body=body)
        assert fuzz.check(req, answer) == code, body
        assert answer.headers["content-type"].startswith("text/xml")


def test_json_lone_surrogate_is_a_serialization_error(cloudlet) -> None:  # noqa: ANN001
    # json.loads accepts "\ud800"; the validation message then echoed it and the error itself
    # could not be encoded as UTF-8: uvicorn answered a plain-text 500.
    for body in (b'{"TableName": "\\ud800"}', b'{"TableName": "ab\\uDFFF"}', b'{"\\ud800": 1}'):
        req, answer = send(cloudlet, "dynamodb", "DescribeTable", {"TableName": "t"}, body=body)
        assert fuzz.check(req, answer) == "SerializationException", body
        assert "unpaired surrogate" in json.loads(answer.body)["message"]
    req, answer = send(cloudlet, "lambda", "CreateFunction", {"FunctionName": "f", "Role": "r", "Code": {}},
                       body=b'{"FunctionName": "\\udc00", "Role": "r", "Code": {}}')
    assert fuzz.check(req, answer) == "SerializationException"
    # a pair spelled as two escapes is one character, and fine
    req, answer = send(cloudlet, "dynamodb", "DescribeTable", {"TableName": "t"},
                       body=b'{"TableName": "\\ud83d\\ude00"}')
    assert fuzz.check(req, answer) == "ValidationException"
    assert "\U0001f600" in json.loads(answer.body)["message"]


def test_xml_errors_echoing_control_characters_still_parse(cloudlet) -> None:  # noqa: ANN001
    # The message echoed a control character that XML 1.0 forbids: no client could read the error.
    req, answer = send(cloudlet, "sts", "GetSessionToken", {"DurationSeconds": 900},
                       body=b"Action=GetSessionToken&Version=2011-06-15&DurationSeconds=%1900")
    assert fuzz.check(req, answer) in ("MalformedInput", "ValidationError")
    req, answer = send(cloudlet, "s3", "ListObjectsV2", {"Bucket": "b", "MaxKeys": 1},
                       target="/b?list-type=2&max-keys=%01%08%1F%EF%BF%BF")
    assert fuzz.check(req, answer) == "InvalidArgument"
    assert "\ufffd" in answer.body.decode()


def test_body_cut_short_is_not_logged_as_a_failure(cloudlet, caplog) -> None:  # noqa: ANN001
    # A client closing mid-body raised ConnectionError: logged with a traceback as "X failed"
    # (json) or escaping the gateway into uvicorn's "Exception in ASGI application" (query).
    caplog.set_level(logging.WARNING)
    for service, operation, params in (("sts", "GetCallerIdentity", {}), ("dynamodb", "DescribeTable", {"TableName": "t"})):
        req = fuzz.seed_request(cloudlet.endpoint, service, operation, params)
        assert fuzz.send_cut_short(cloudlet.endpoint, req, keep=len(req.body) // 2) == b""
        assert fuzz.check(req, fuzz.send(cloudlet.endpoint, req))  # and the next request is answered
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


def test_presigned_expiry_in_non_ascii_digits_is_not_a_500(cloudlet) -> None:  # noqa: ANN001
    # "²".isdigit() is True but int("²") raises: read_signature, outside the gateway's error
    # handling, let the ValueError reach uvicorn (a plain-text 500 for every protocol).
    for query in ("AWSAccessKeyId=test&Expires=%C2%B2",
                  "X-Amz-Credential=test%2F20260101%2Fus-east-1%2Fsts%2Faws4_request&X-Amz-Expires=%C2%B2"
                  "&X-Amz-Date=20260101T000000Z&X-Amz-Signature=00&X-Amz-SignedHeaders=host"):
        unsigned = {"Content-Type": "application/x-www-form-urlencoded"}  # the query is the signature
        req, answer = send(cloudlet, "sts", "GetCallerIdentity", {}, target="/?" + query, headers=unsigned)
        fuzz.check(req, answer)  # a success or a well-formed error, never the plain-text 500
        req, answer = send(cloudlet, "lambda", "ListFunctions", {}, target="/2015-03-31/functions?" + query,
                           headers={})
        assert answer.status != 500


def test_access_key_of_non_ascii_digits_is_not_an_account(cloudlet) -> None:  # noqa: ANN001
    # "١٢٣٤٥٦٧٨٩٠١٢" passed isdigit() and became the caller's account id.
    credential = "%D9%A1%D9%A2%D9%A3%D9%A4%D9%A5%D9%A6%D9%A7%D9%A8%D9%A9%D9%A0%D9%A1%D9%A2"
    query = (f"X-Amz-Credential={credential}%2F20260101%2Fus-east-1%2Fsts%2Faws4_request"
             "&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-SignedHeaders=host&X-Amz-Signature=00")
    req, answer = send(cloudlet, "sts", "GetCallerIdentity", {}, target="/?" + query,
                       headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert fuzz.check(req, answer) == "OK 200", answer.body
    assert b"<Account>000000000000</Account>" in answer.body


def test_model_recursive_nesting_is_a_serialization_error(cloudlet) -> None:  # noqa: ANN001
    # DynamoDB's AttributeValue nested 400 levels is ~800 levels of JSON (json.loads copes) but
    # ~1200 frames of tree walk: a RecursionError, answered as a 500 InternalFailure.
    for depth in (400, 600):
        body = b'{"TableName": "t", "Item": {"k": ' + b'{"M": {"k": ' * depth + b'{"S": "x"}' + b"}}" * depth + b"}}"
        req, answer = send(cloudlet, "dynamodb", "PutItem", {"TableName": "t", "Item": {}}, body=body)
        assert fuzz.check(req, answer) == "SerializationException", depth
        assert json.loads(answer.body)["message"].endswith("nested too deeply."), depth
    body = b'{"TableName": "tbl", "Item": {"k": ' + b'{"L": [' * 31 + b'{"S": "x"}' + b"]}" * 31 + b"}}"
    req, answer = send(cloudlet, "dynamodb", "PutItem", {"TableName": "t", "Item": {}}, body=body)
    assert fuzz.check(req, answer) == "ResourceNotFoundException"  # 32 levels is an ordinary document
