"""The REST binding's corners, on a small synthetic model, and malformed input.

The real models do not exercise everything the binding supports (jsonvalue
headers, quoted header lists, query maps of lists, host labels without the
header...), so a synthetic service does, with botocore still the oracle.
Malformed input must always be a ServiceError with the AWS code.
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import io
import json
from urllib.parse import quote

import pytest
from botocore.awsrequest import prepare_request_dict
from botocore.model import ServiceModel as BotocoreServiceModel
from botocore.serialize import create_serializer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cloudlet.context import RequestContext
from cloudlet.http import Request, Response
from cloudlet.protocol import get_protocol
from cloudlet.protocol.errors import ServiceError
from cloudlet.protocol.models import ServiceModel, load_service
from cloudlet.protocol.rest import decode_label, split_header_list
from tests.support import oracle

T1 = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
T2 = dt.datetime(2026, 2, 3, 4, 5, 6, tzinfo=dt.UTC)

SPEC = {
    "metadata": {
        "apiVersion": "2020-01-01", "endpointPrefix": "synthetic", "protocol": "rest-json",
        "serviceId": "Synthetic", "signatureVersion": "v4", "uid": "synthetic-2020-01-01",
    },
    "operations": {
        "Everything": {
            "name": "Everything",
            "http": {"method": "POST", "requestUri": "/things/{Id}/{Version}/{Path+}?mode=all", "responseCode": 201},
            "input": {"shape": "EverythingInput"},
            "output": {"shape": "EverythingOutput"},
            "endpoint": {"hostPrefix": "{Route}."},
            "errors": [{"shape": "Throttled"}],
        },
        "Upload": {
            "name": "Upload",
            "http": {"method": "PUT", "requestUri": "/upload/{Id}"},
            "input": {"shape": "UploadInput"},
            "output": {"shape": "UploadOutput"},
        },
        "Nothing": {"name": "Nothing", "http": {"method": "DELETE", "requestUri": "/nothing/{Id}", "responseCode": 204},
                    "input": {"shape": "NothingInput"}},
    },
    "shapes": {
        "EverythingInput": {
            "type": "structure",
            "required": ["Id", "Version", "Path", "Route"],
            "members": {
                "Id": {"shape": "String", "location": "uri", "locationName": "Id"},
                "Version": {"shape": "Long", "location": "uri", "locationName": "Version"},
                "Path": {"shape": "String", "location": "uri", "locationName": "Path"},
                "Route": {"shape": "String", "location": "header", "locationName": "x-route", "hostLabel": True},
                "Limit": {"shape": "Integer", "location": "querystring", "locationName": "limit"},
                "Since": {"shape": "Timestamp", "location": "querystring", "locationName": "since"},
                "Flag": {"shape": "Boolean", "location": "querystring", "locationName": "flag"},
                "Ratio": {"shape": "Double", "location": "querystring", "locationName": "ratio"},
                "Names": {"shape": "Strings", "location": "querystring", "locationName": "name"},
                "Extra": {"shape": "MultiMap", "location": "querystring"},
                "Doc": {"shape": "JsonString", "location": "header", "locationName": "x-doc"},
                "Tags": {"shape": "Strings", "location": "header", "locationName": "x-tags"},
                "Dates": {"shape": "Timestamps", "location": "header", "locationName": "x-dates"},
                "Count": {"shape": "Integer", "location": "header", "locationName": "x-count"},
                "Enabled": {"shape": "Boolean", "location": "header", "locationName": "x-enabled"},
                "When": {"shape": "Timestamp", "location": "header", "locationName": "x-when"},
                "WhenIso": {"shape": "Timestamp", "location": "header", "locationName": "x-when-iso",
                            "timestampFormat": "iso8601"},
                "Meta": {"shape": "StringMap", "location": "headers", "locationName": "x-meta-"},
                "Body": {"shape": "String"},
                "Nested": {"shape": "Nested"},
            },
        },
        "EverythingOutput": {
            "type": "structure",
            "members": {
                "Status": {"shape": "Integer", "location": "statusCode"},
                "Doc": {"shape": "JsonString", "location": "header", "locationName": "x-doc"},
                "Tags": {"shape": "Strings", "location": "header", "locationName": "x-tags"},
                "When": {"shape": "Timestamp", "location": "header", "locationName": "x-when"},
                "Count": {"shape": "Integer", "location": "header", "locationName": "x-count"},
                "Meta": {"shape": "StringMap", "location": "headers", "locationName": "x-meta-"},
                "Body": {"shape": "String"},
                "Nested": {"shape": "Nested"},
            },
        },
        "UploadInput": {
            "type": "structure", "required": ["Id"], "payload": "Data",
            "members": {
                "Id": {"shape": "String", "location": "uri", "locationName": "Id"},
                "Data": {"shape": "Stream"},
            },
        },
        "UploadOutput": {
            "type": "structure", "payload": "Data",
            "members": {
                "Type": {"shape": "String", "location": "header", "locationName": "Content-Type"},
                "Data": {"shape": "Stream"},
            },
        },
        "NothingInput": {"type": "structure", "required": ["Id"],
                         "members": {"Id": {"shape": "String", "location": "uri", "locationName": "Id"}}},
        "Nested": {"type": "structure", "members": {"When": {"shape": "Timestamp"}, "Blob": {"shape": "Blob"}}},
        "Throttled": {
            "type": "structure", "exception": True, "error": {"httpStatusCode": 429},
            "members": {
                "message": {"shape": "String"},
                "RetryAfter": {"shape": "String", "location": "header", "locationName": "Retry-After"},
                "Reason": {"shape": "String"},
            },
        },
        "String": {"type": "string"},
        "JsonString": {"type": "string", "jsonvalue": True},
        "Integer": {"type": "integer"},
        "Long": {"type": "long"},
        "Boolean": {"type": "boolean"},
        "Double": {"type": "double"},
        "Timestamp": {"type": "timestamp"},
        "Blob": {"type": "blob"},
        "Stream": {"type": "blob", "streaming": True},
        "Strings": {"type": "list", "member": {"shape": "String"}},
        "Timestamps": {"type": "list", "member": {"shape": "Timestamp"}},
        "StringMap": {"type": "map", "key": {"shape": "String"}, "value": {"shape": "String"}},
        "MultiMap": {"type": "map", "key": {"shape": "String"}, "value": {"shape": "Strings"}},
    },
}

MODEL = ServiceModel("synthetic", copy.deepcopy(SPEC))
BOTOCORE_MODEL = BotocoreServiceModel(copy.deepcopy(SPEC), "synthetic")
REST_JSON = get_protocol("rest-json")


def _send(operation: str, params: dict) -> Request:
    serializer = create_serializer("rest-json", include_validation=False)
    request = serializer.serialize_to_request(params, BOTOCORE_MODEL.operation_model(operation))
    prepare_request_dict(request, endpoint_url=oracle.ENDPOINT)
    return oracle.to_cloudlet_request(request)


def _receive(operation: str, response: Response) -> dict:
    from botocore.awsrequest import HeadersDict
    from botocore.parsers import create_parser

    op = BOTOCORE_MODEL.operation_model(operation)
    body = oracle.read_body(response)
    raw = {
        "status_code": response.status,
        "headers": HeadersDict({k.lower(): v for k, v in response.headers}),
        "body": io.BytesIO(body) if op.has_streaming_output and response.status < 300 else body,
        "context": {"operation_name": operation},
    }
    return create_parser("rest-json").parse(raw, op.output_shape if response.status < 300 else None)


def _context(operation: str, method: str = "POST") -> RequestContext:
    return RequestContext(MODEL, MODEL.operation(operation), Request(method, "/", "", {}), "rest-json")


EVERYTHING = {
    "Id": "a/b c%",
    "Version": 42,
    "Path": "deep/er/path with spaces/ü",
    "Route": "route-1",
    "Limit": 7,
    "Since": T1,
    "Flag": False,
    "Ratio": 0.25,
    "Names": ["one", "two & three"],
    "Extra": {"x": ["1", "2"], "y": ["3"]},
    "Doc": {"nested": [1, "two"]},
    "Tags": ["plain", "with,comma", 'with "quote"'],
    "Dates": [T1, T2],
    "Count": -3,
    "Enabled": True,
    "When": T2,
    "WhenIso": T1,
    "Meta": {"color": "blue"},
    "Body": "text",
    "Nested": {"When": T1, "Blob": b"\x00\xff"},
}


def test_everything_round_trips_from_botocore() -> None:
    request = _send("Everything", EVERYTHING)
    assert "mode=all" in request.query_string  # the static key is not a member...
    parsed = REST_JSON.parse(request, MODEL.operation("Everything"))
    assert "mode" not in parsed["Extra"]  # ...and the query map does not take it
    assert oracle.normalize(parsed) == oracle.normalize(EVERYTHING)


def test_host_label_comes_from_the_host_when_the_header_is_absent() -> None:
    request = _send("Everything", {**EVERYTHING, "Route": "route-2"})
    assert request.host.startswith("route-2.")
    del request.headers["x-route"]
    assert REST_JSON.parse(request, MODEL.operation("Everything"))["Route"] == "route-2"


def test_output_round_trips_into_botocore() -> None:
    output = {
        "Status": 202,
        "Doc": ["any", {"json": True}],
        "Tags": ["a", "b"],
        "When": T1,
        "Count": 12,
        "Meta": {"color": "red"},
        "Body": "text",
        "Nested": {"When": T2, "Blob": b"\x01"},
    }
    response = REST_JSON.serialize(_context("Everything"), MODEL.operation("Everything"), output)
    assert response.status == 202
    assert oracle.normalize(_receive("Everything", response)) == oracle.normalize(output)


def test_success_status_comes_from_the_model() -> None:
    response = REST_JSON.serialize(_context("Everything"), MODEL.operation("Everything"), {"Body": "x"})
    assert response.status == 201
    response = REST_JSON.serialize(_context("Nothing", "DELETE"), MODEL.operation("Nothing"), None)
    assert (response.status, response.body) == (204, b"")


def test_streaming_payload_in_and_out() -> None:
    request = _send("Upload", {"Id": "x", "Data": b"\x00raw bytes"})
    assert REST_JSON.parse(request, MODEL.operation("Upload")) == {"Id": "x", "Data": b"\x00raw bytes"}

    sentinel = object()  # a stream the gateway hands over is passed on as it is
    request.stream = sentinel
    assert REST_JSON.parse(request, MODEL.operation("Upload"))["Data"] is sentinel

    async def chunks():
        yield b"a"
        yield b"b"

    body = chunks()
    response = REST_JSON.serialize(
        _context("Upload", "PUT"), MODEL.operation("Upload"), {"Data": body, "Type": "image/png"}
    )
    assert response.body is body  # untouched
    assert response.header("Content-Type") == "image/png"  # the modelled header wins
    assert oracle.normalize(_receive("Upload", response)) == {"Data": b"ab", "Type": "image/png"}


def test_error_with_a_header_member() -> None:
    error = ServiceError("Throttled", "slow down", RetryAfter="30", Reason="busy")
    response = REST_JSON.serialize_error(_context("Everything"), error)
    assert response.status == 429
    assert response.header("Retry-After") == "30"
    assert response.header("x-amzn-ErrorType") == "Throttled"
    assert json.loads(response.body) == {"message": "slow down", "Reason": "busy"}


def test_header_list_splitting() -> None:
    string = MODEL.shape("String")
    assert split_header_list('a, "b,c", "d \\"e\\"",f', string) == ["a", "b,c", 'd "e"', "f"]
    assert split_header_list("", string) == []
    stamp = MODEL.shape("Timestamp")
    assert split_header_list("Fri, 02 Jan 2026 03:04:05 GMT, Tue, 03 Feb 2026 04:05:06 GMT", stamp) == [
        "Fri, 02 Jan 2026 03:04:05 GMT", "Tue, 03 Feb 2026 04:05:06 GMT",
    ]


def test_label_decoding() -> None:
    assert decode_label("a%2Fb%20c") == "a/b c"
    assert decode_label("plain") == "plain"
    assert decode_label("%C3%BC") == "ü"
    assert decode_label("caf\xc3\xa9") == "café"  # raw UTF-8 bytes arriving as latin-1 text


# --- malformed input ----------------------------------------------------------------------


def _everything_request(**changes: str | bytes) -> Request:
    request = _send("Everything", EVERYTHING)
    for key, value in changes.items():
        if key == "raw_path":
            request.raw_path = value
        elif key == "query":
            request.query_string = value
        elif key == "body":
            request.body = value if isinstance(value, bytes) else value.encode()
        else:
            request.headers[key] = value
    return request


MALFORMED = [
    pytest.param({"raw_path": "/things/a%zz/42/p"}, id="bad-percent-escape"),
    pytest.param({"raw_path": "/things/a%C3%28/42/p"}, id="percent-escape-not-utf8"),
    pytest.param({"raw_path": "/things/a/%/p"}, id="lone-percent"),
    pytest.param({"raw_path": "/things/a/forty-two/p"}, id="label-not-a-long"),
    pytest.param({"x-count": "abc"}, id="integer-header"),
    pytest.param({"x-count": "99999999999"}, id="integer-header-out-of-range"),
    pytest.param({"x-count": "1_000"}, id="integer-header-underscores"),
    pytest.param({"x-enabled": "yes"}, id="boolean-header"),
    pytest.param({"x-when": "yesterday"}, id="timestamp-header"),
    pytest.param({"x-doc": "not base64!"}, id="jsonvalue-header-bad-base64"),
    pytest.param({"x-doc": base64.b64encode(b"{not json").decode()}, id="jsonvalue-header-bad-json"),
    pytest.param({"x-tags": 'a,"unterminated'}, id="header-list-unterminated-quote"),
    pytest.param({"query": "limit=ten"}, id="integer-query"),
    pytest.param({"query": "ratio=nan%20please"}, id="double-query"),
    pytest.param({"query": "flag=maybe"}, id="boolean-query"),
    pytest.param({"query": "since=not-a-date"}, id="timestamp-query"),
    pytest.param({"x-when-iso": "9999-12-31T23:59:59-23:59"}, id="timestamp-header-past-year-9999"),
    pytest.param({"x-when": "Fri, 31 Dec 9999 23:59:59 -2359"}, id="http-date-past-year-9999"),
    pytest.param({"x-dates": "Fri, 02 Jan 2026 03:04:05 GMT, Tue"}, id="http-date-list-cut-short"),
    pytest.param({"x-dates": "a"}, id="http-date-list-not-dates"),
    pytest.param({"x-count": "1" * 5000}, id="integer-header-5000-digits"),
    pytest.param({"query": "since=9999-12-31T23:59:59-23:59"}, id="timestamp-query-past-year-9999"),
    pytest.param({"query": "limit=%ff%fe"}, id="integer-query-not-utf8"),
    pytest.param({"raw_path": "/things/a/99999999999999999999999/p"}, id="long-label-out-of-range"),
    pytest.param({"body": "[" * 100000}, id="json-nested-too-deeply"),
    pytest.param({"body": '{"Nested":' * 50000 + "1" + "}" * 50000}, id="json-objects-nested-too-deeply"),
    pytest.param({"body": "{not json"}, id="bad-json"),
    pytest.param({"body": "[1, 2]"}, id="json-not-an-object"),
    pytest.param({"body": '{"Body": 5}'}, id="json-wrong-type"),
    pytest.param({"body": '{"Nested": {"Blob": "***"}}'}, id="json-bad-base64-blob"),
    pytest.param({"body": '{"Nested": {"When": "soon"}}'}, id="json-bad-timestamp"),
    pytest.param({"body": b'{"Body": "\xff\xfe"}'}, id="body-not-utf8"),
]


@pytest.mark.parametrize("changes", MALFORMED)
def test_malformed_rest_json_input_is_a_serialization_exception(changes: dict) -> None:
    request = _everything_request(**changes)
    with pytest.raises(ServiceError) as caught:
        REST_JSON.parse(request, MODEL.operation("Everything"))
    assert (caught.value.code, caught.value.status) == ("SerializationException", 400)


def test_path_that_does_not_match_the_operation() -> None:
    request = _everything_request(raw_path="/elsewhere/entirely")
    with pytest.raises(ServiceError) as caught:
        REST_JSON.parse(request, MODEL.operation("Everything"))
    assert caught.value.code == "UnknownOperationException"
    assert caught.value.status == 404
    # an empty label does not match either: ``/things//42/p``
    with pytest.raises(ServiceError):
        REST_JSON.parse(_everything_request(raw_path="/things//42/p"), MODEL.operation("Everything"))


def test_malformed_lambda_requests() -> None:
    lam = load_service("lambda")
    get = oracle.to_cloudlet_request(oracle.botocore_request("lambda", "GetFunction", {"FunctionName": "f"}))
    get.raw_path = "/2015-03-31/functions/f%G1"
    with pytest.raises(ServiceError) as caught:
        REST_JSON.parse(get, lam.operation("GetFunction"))
    assert caught.value.code == "SerializationException"

    listing = oracle.to_cloudlet_request(oracle.botocore_request("lambda", "ListFunctions", {"MaxItems": 5}))
    listing.query_string = "MaxItems=abc"
    with pytest.raises(ServiceError) as caught:
        REST_JSON.parse(listing, lam.operation("ListFunctions"))
    assert caught.value.code == "SerializationException"

    create = oracle.to_cloudlet_request(
        oracle.botocore_request("lambda", "CreateFunction", {"FunctionName": "f", "Role": "r", "Code": {}})
    )
    create.body = b'{"FunctionName": "f", "Timeout": "long"}'
    with pytest.raises(ServiceError) as caught:
        REST_JSON.parse(create, lam.operation("CreateFunction"))
    assert caught.value.code == "SerializationException"


# --- malformed input, rest-xml ------------------------------------------------------------

REST_XML = get_protocol("rest-xml")


def _s3_request(operation: str, params: dict) -> Request:
    return oracle.to_cloudlet_request(oracle.botocore_request("s3", operation, params))


TAGGING = {"Bucket": "b", "Tagging": {"TagSet": [{"Key": "k", "Value": "v"}]}}

MALFORMED_XML = [
    pytest.param(b"<Tagging><TagSet>", id="unclosed"),
    pytest.param(b"not xml at all", id="not-xml"),
    pytest.param(b"<Tagging></Tagging><Extra/>", id="two-roots"),
    pytest.param(
        b'<?xml version="1.0"?><!DOCTYPE t [<!ENTITY x "boom">]><Tagging><TagSet><Tag><Key>&x;</Key>'
        b"<Value>v</Value></Tag></TagSet></Tagging>",
        id="doctype-entity",
    ),
    pytest.param(b"\xff\xfe<Tagging/>", id="not-utf8"),
]


@pytest.mark.parametrize("body", MALFORMED_XML)
def test_malformed_xml_body_is_malformed_xml(body: bytes) -> None:
    request = _s3_request("PutBucketTagging", TAGGING)
    request.body = body
    with pytest.raises(ServiceError) as caught:
        REST_XML.parse(request, load_service("s3").operation("PutBucketTagging"))
    assert (caught.value.code, caught.value.status) == ("MalformedXML", 400)


def test_xml_value_of_the_wrong_type_is_malformed_xml() -> None:
    request = _s3_request("PutBucketLifecycleConfiguration", {
        "Bucket": "b",
        "LifecycleConfiguration": {"Rules": [{"Status": "Enabled", "Filter": {}, "Expiration": {"Days": 3}}]},
    })
    request.body = request.body.replace(b"<Days>3</Days>", b"<Days>three</Days>")
    with pytest.raises(ServiceError) as caught:
        REST_XML.parse(request, load_service("s3").operation("PutBucketLifecycleConfiguration"))
    assert caught.value.code == "MalformedXML"


@pytest.mark.parametrize(
    ("raw_path", "code"),
    [
        ("/b/key%zz", "InvalidURI"),  # bad escape in the greedy key
        ("/b%C3%28/key", "InvalidURI"),  # escape that is not UTF-8
        ("/b", "InvalidURI"),  # no key at all: not GetObject's path
    ],
)
def test_s3_bad_path_is_invalid_uri(raw_path: str, code: str) -> None:
    request = _s3_request("GetObject", {"Bucket": "b", "Key": "key"})
    request.raw_path = raw_path
    with pytest.raises(ServiceError) as caught:
        REST_XML.parse(request, load_service("s3").operation("GetObject"))
    assert (caught.value.code, caught.value.status) == (code, 400)


def test_s3_bad_header_value_is_invalid_argument() -> None:
    operation = load_service("s3").operation("GetObject")
    request = _s3_request("GetObject", {"Bucket": "b", "Key": "key"})
    request.headers["if-modified-since"] = "last tuesday"  # a timestamp header
    with pytest.raises(ServiceError) as caught:
        REST_XML.parse(request, operation)
    error = caught.value
    assert (error.code, error.status) == ("InvalidArgument", 400)
    # S3 names the argument at fault, as the header is spelled in the model
    assert error.fields == {"ArgumentName": "If-Modified-Since", "ArgumentValue": "last tuesday"}

    request = _s3_request("GetObject", {"Bucket": "b", "Key": "key"})
    request.headers["x-amz-checksum-mode"] = "anything"  # a string header takes any text
    assert REST_XML.parse(request, operation)["ChecksumMode"] == "anything"


def test_s3_bad_query_value_is_invalid_argument() -> None:
    request = _s3_request("GetObject", {"Bucket": "b", "Key": "key", "PartNumber": 2})
    request.query_string = "partNumber=two"
    with pytest.raises(ServiceError) as caught:
        REST_XML.parse(request, load_service("s3").operation("GetObject"))
    assert caught.value.code == "InvalidArgument"
    assert caught.value.fields["ArgumentName"] == "partNumber"


def test_cloudfront_malformed_body_and_error_document() -> None:
    cloudfront = load_service("cloudfront")
    request = oracle.to_cloudlet_request(
        oracle.botocore_request("cloudfront", "CreateFunction", {
            "Name": "f", "FunctionConfig": {"Comment": "c", "Runtime": "cloudfront-js-2.0"}, "FunctionCode": b"x",
        })
    )
    request.body = b"<CreateFunctionRequest><Name>f</Name>"
    with pytest.raises(ServiceError) as caught:
        REST_XML.parse(request, cloudfront.operation("CreateFunction"))
    assert caught.value.code == "MalformedXML"

    ctx = RequestContext(cloudfront, cloudfront.operation("CreateFunction"), request, "rest-xml")
    ctx.request_id = "req-1"
    response = REST_XML.serialize_error(ctx, caught.value)
    assert response.status == 400
    assert response.body == (
        b'<?xml version="1.0" encoding="UTF-8"?>'
        b'<ErrorResponse xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/"><Error><Type>Sender</Type>'
        b"<Code>MalformedXML</Code><Message>The XML you provided was not well-formed or did not validate "
        b"against our published schema</Message></Error><RequestId>req-1</RequestId></ErrorResponse>"
    )


def test_s3_error_document() -> None:
    s3 = load_service("s3")
    ctx = RequestContext(s3, s3.operation("GetObject"), Request("GET", "/b/k", "", {}), "rest-xml")
    ctx.request_id = "4442587FB7D0A2F9"
    response = REST_XML.serialize_error(ctx, ServiceError("NoSuchKey", "The specified key does not exist.", Key="k"))
    assert response.status == 404
    assert response.header("x-amz-request-id") == "4442587FB7D0A2F9"
    assert response.header("x-amz-id-2")
    assert response.header("Content-Type") == "application/xml"
    assert response.body.startswith(
        b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchKey</Code>'
        b"<Message>The specified key does not exist.</Message><Key>k</Key><RequestId>4442587FB7D0A2F9</RequestId>"
        b"<HostId>"
    )
    ctx.request = Request("HEAD", "/b/k", "", {})
    response = REST_XML.serialize_error(ctx, ServiceError("NoSuchKey", "The specified key does not exist."))
    assert (response.status, response.body) == (404, b"")
    assert response.header("x-amz-request-id") == "4442587FB7D0A2F9"


def test_presigned_url_parameters_stay_out_of_query_maps() -> None:
    request = _send("Everything", EVERYTHING)
    request.query_string += "&X-Amz-Signature=abc&X-Amz-Credential=x%2Fy"
    assert REST_JSON.parse(request, MODEL.operation("Everything"))["Extra"] == EVERYTHING["Extra"]


def test_rest_json_head_error_has_no_body_but_keeps_its_code() -> None:
    response = REST_JSON.serialize_error(_context("Everything", "HEAD"), ServiceError("Throttled", "slow"))
    assert (response.status, response.body) == (429, b"")
    assert response.header("x-amzn-ErrorType") == "Throttled"
    assert _receive("Everything", response)["Error"]["Code"] == "Throttled"


# --- fuzzing: whatever arrives, the answer is a ServiceError or parameters ------------------

_FUZZ_OPERATIONS = [
    ("synthetic", "Everything"),
    ("lambda", "CreateFunction"),
    ("lambda", "Invoke"),
    ("apigateway", "PutRestApi"),
    ("s3", "PutObject"),
    ("s3", "PutBucketLifecycleConfiguration"),
    ("cloudfront", "CreateDistribution"),
]
_TEXT = st.text(st.characters(max_codepoint=0x2FF), max_size=40)


def _fuzz_target(service: str, operation: str):
    model = MODEL if service == "synthetic" else load_service(service)
    op = model.operation(operation)
    headers = [lower for binding in [op.input_shape] for lower in
               (m.location_name.lower() for m in binding.members.values() if m.location == "header")]
    queries = [m.location_name for m in op.input_shape.members.values() if m.location == "querystring"
               and m.location_name]
    return model, op, headers, queries


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(_FUZZ_OPERATIONS),
    st.lists(st.tuples(st.integers(0, 50), _TEXT), max_size=4),
    st.lists(st.tuples(st.integers(0, 50), _TEXT), max_size=3),
    st.text(alphabet="/%abc09+é:", max_size=30),
    st.one_of(st.binary(max_size=60), _TEXT.map(str.encode)),
)
def test_fuzzed_requests_raise_only_service_errors(target, header_picks, query_picks, path, body) -> None:
    model, op, headers, queries = _fuzz_target(*target)
    protocol = get_protocol(model.protocol)
    request = Request(op.http_method, "/" + path, "", {"host": "localhost:4566"}, body=body)
    for index, text in header_picks:
        if headers:
            request.headers[headers[index % len(headers)]] = text
    request.query_string = "&".join(
        f"{quote(queries[index % len(queries)])}={quote(text)}" for index, text in query_picks if queries
    )
    try:
        protocol.parse(request, op)
    except ServiceError:
        pass
    # and the same with the path the operation expects, so the headers, query and body are reached
    template = op.request_uri.split("?")[0]
    request.raw_path = template.replace("{", "").replace("}", "").replace("+", "") or "/"
    try:
        protocol.parse(request, op)
    except ServiceError:
        pass
