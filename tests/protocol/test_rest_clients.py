"""Real botocore clients, whole pipeline, against the REST protocols in-process.

The round-trip tests use botocore's bare serializer; a real client adds its
handlers on top (checksums, Content-MD5, SSE-C key digests, CopySource quoting,
``EncodingType=url``, HEAD errors without a body...).  Here each request a real
client sends is parsed by Cloudlet and each response Cloudlet writes is read by
the client, through a ``before-send`` hook, so what a provider will see from
boto3 is pinned down, difference by difference.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import io
import zlib
from collections.abc import Callable
from urllib.parse import urlsplit

import botocore.session
import pytest
from botocore.awsrequest import AWSResponse
from botocore.config import Config
from botocore.exceptions import ClientError

from cloudlet.context import RequestContext
from cloudlet.http import Request
from cloudlet.protocol import get_protocol
from cloudlet.protocol.models import load_service
from tests.support import oracle


class _Raw(io.BytesIO):
    """A response body as botocore reads one from urllib3."""

    def stream(self, amt: int = 1024, decode_content: bool = False):
        while chunk := self.read(amt):
            yield chunk


class Loopback:
    """A client whose requests Cloudlet parses and whose responses Cloudlet writes.

    ``provider(operation, params)`` returns the output dict or raises a ServiceError.
    """

    def __init__(self, service: str, provider: Callable[[str, dict], dict | None], **config) -> None:
        self.model = load_service(service)
        self.protocol = get_protocol(self.model.protocol)
        self.provider = provider
        self.tamper: Callable[[Request], None] | None = None  # to corrupt a request on the way
        self.requests: list[tuple[str, dict, Request]] = []
        # A session of its own: S3's handlers rewrite the loaded model in place (the
        # bucket leaves requestUri), which would corrupt the oracle's shared session.
        self.client = botocore.session.get_session().create_client(
            service, region_name="us-east-1", endpoint_url=oracle.ENDPOINT,
            aws_access_key_id="test", aws_secret_access_key="test",
            config=Config(retries={"total_max_attempts": 1}, **config),
        )
        self.client.meta.events.register("before-send", self._send)

    def _send(self, request, **kwargs) -> AWSResponse:
        operation = self.model.operation(kwargs["event_name"].rsplit(".", 1)[1])
        url = urlsplit(request.url)
        body = request.body
        if hasattr(body, "read"):
            body = body.read()
        body = body.encode() if isinstance(body, str) else bytes(body or b"")
        headers = {k.lower(): v.decode() if isinstance(v, bytes) else v for k, v in request.headers.items()}
        headers.setdefault("host", url.netloc)
        cloudlet_request = Request(request.method, url.path or "/", url.query, headers, body=body)
        if self.tamper is not None:
            self.tamper(cloudlet_request)
        ctx = RequestContext(self.model, operation, cloudlet_request, self.model.protocol)
        try:
            params = self.protocol.parse(cloudlet_request, operation)
            self.requests.append((operation.name, params, cloudlet_request))
            response = self.protocol.serialize(ctx, operation, self.provider(operation.name, params))
        except oracle_errors() as error:
            response = self.protocol.serialize_error(ctx, error)
        return AWSResponse(request.url, response.status, dict(response.headers), _Raw(oracle.read_body(response)))

    @property
    def last(self) -> dict:
        return self.requests[-1][1]


def oracle_errors():
    from cloudlet.protocol.errors import ServiceError

    return ServiceError


def _raise(error):
    def provider(operation: str, params: dict):
        raise error

    return provider


def _returns(output: dict | None = None):
    return lambda operation, params: output or {}


# --- S3 ---------------------------------------------------------------------------------------

PATH_STYLE = {"s3": {"addressing_style": "path"}}


def test_s3_put_object_as_boto3_sends_it() -> None:
    s3 = Loopback("s3", _returns({"ETag": '"abc"', "VersionId": "v1"}), **PATH_STYLE)
    response = s3.client.put_object(
        Bucket="my-bucket", Key="dir/a b+c%.txt", Body=b"data", Metadata={"MyKey": "v"}, ContentType="text/plain"
    )
    assert response["ETag"] == '"abc"'
    params = s3.last
    assert params["Bucket"] == "my-bucket"
    assert params["Key"] == "dir/a b+c%.txt"  # greedy label, slashes kept, escapes decoded
    assert params["Body"] == b"data"
    assert params["ContentType"] == "text/plain"
    # header names arrive lower-cased: S3 itself stores metadata keys in lower case
    assert params["Metadata"] == {"mykey": "v"}
    # what the client adds by itself: a CRC32 of the body (flexible checksums, on by
    # default since botocore 1.36), announced in x-amz-sdk-checksum-algorithm
    assert params["ChecksumAlgorithm"] == "CRC32"
    assert params["ChecksumCRC32"] == base64.b64encode(zlib.crc32(b"data").to_bytes(4, "big")).decode()


def test_s3_virtual_hosted_requests_need_the_router_to_restore_the_bucket() -> None:
    """boto3's default addressing puts the bucket in the host (``my-bucket.localhost``):
    the path alone no longer matches ``/{Bucket}/{Key+}``, and parse refuses it rather
    than guess.  The router rewrites such requests to path style before parse
    (gateway/routing.py); this pins down that parse itself never guesses."""
    s3 = Loopback("s3", _returns(), s3={"addressing_style": "virtual"})
    with pytest.raises(ClientError) as caught:
        s3.client.put_object(Bucket="my-bucket", Key="key", Body=b"x")
    assert caught.value.response["Error"]["Code"] == "InvalidURI"


def test_s3_get_object_ranged_streams_back() -> None:
    expires = datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)
    output = {"Body": b"hello", "ContentRange": "bytes 0-4/11", "ContentLength": 5, "ETag": '"e"',
              "Metadata": {"color": "blue"}, "Expires": expires}
    s3 = Loopback("s3", _returns(output), **PATH_STYLE)
    response = s3.client.get_object(Bucket="b", Key="k", Range="bytes=0-4")
    assert s3.last["Range"] == "bytes=0-4"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert response["Body"].read() == b"hello"
    assert response["ContentRange"] == "bytes 0-4/11"
    assert response["Metadata"] == {"color": "blue"}
    # Expires is a string in the raw model but a timestamp to boto3: it travels as an HTTP date
    assert s3.requests and response["Expires"] == expires


def test_s3_sse_c_key_arrives_base64_with_its_md5() -> None:
    key = b"k" * 32
    s3 = Loopback("s3", _returns({"Body": b""}), **PATH_STYLE)
    s3.client.get_object(Bucket="b", Key="k", SSECustomerAlgorithm="AES256", SSECustomerKey=key)
    # botocore's sse_md5 handler base64-encodes the key and adds its MD5
    assert s3.last["SSECustomerKey"] == base64.b64encode(key).decode()
    assert s3.last["SSECustomerKeyMD5"] == base64.b64encode(hashlib.md5(key).digest()).decode()


def test_s3_copy_source_arrives_percent_encoded() -> None:
    s3 = Loopback("s3", _returns({"CopyObjectResult": {"ETag": '"e"'}}), **PATH_STYLE)
    response = s3.client.copy_object(Bucket="b", Key="k", CopySource={"Bucket": "src", "Key": "a b/ü"})
    assert response["CopyObjectResult"]["ETag"] == '"e"'
    # botocore's handle_copy_source_param quotes the key; the provider unquotes it
    assert s3.last["CopySource"] == "src/a%20b/%C3%BC"


def test_s3_list_objects_v2_asks_for_url_encoded_keys() -> None:
    s3 = Loopback("s3", _returns({"Name": "b", "KeyCount": 1, "EncodingType": "url",
                                  "Contents": [{"Key": "a%20b", "Size": 1}]}), **PATH_STYLE)
    response = s3.client.list_objects_v2(Bucket="b")
    # boto3 adds EncodingType=url unless told otherwise, and decodes the keys it gets
    assert s3.last["EncodingType"] == "url"
    assert response["Contents"][0]["Key"] == "a b"


def test_s3_delete_objects_carries_a_checksum() -> None:
    s3 = Loopback("s3", _returns({"Deleted": [{"Key": "a"}, {"Key": "b\nc"}]}), **PATH_STYLE)
    response = s3.client.delete_objects(Bucket="b", Delete={"Objects": [{"Key": "a"}, {"Key": "b\nc"}]})
    assert [d["Key"] for d in response["Deleted"]] == ["a", "b\nc"]
    # the client escapes the newline as &#xA; in the XML (escape_xml_payload): it survives
    assert s3.last["Delete"] == {"Objects": [{"Key": "a"}, {"Key": "b\nc"}]}
    # httpChecksumRequired: the client adds a checksum header; DeleteObjects does not
    # model it, so the provider finds it in the request headers, not the parameters
    assert s3.last["ChecksumAlgorithm"] == "CRC32"
    headers = s3.requests[-1][2].headers
    body = s3.requests[-1][2].body
    assert headers["x-amz-checksum-crc32"] == base64.b64encode(zlib.crc32(body).to_bytes(4, "big")).decode()


def test_s3_get_bucket_location_reads_the_root_text() -> None:
    s3 = Loopback("s3", _returns({"LocationConstraint": "eu-west-1"}), **PATH_STYLE)
    assert s3.client.get_bucket_location(Bucket="b")["LocationConstraint"] == "eu-west-1"
    s3 = Loopback("s3", _returns({}), **PATH_STYLE)  # us-east-1 is an empty constraint
    assert s3.client.get_bucket_location(Bucket="b")["LocationConstraint"] is None


def test_s3_errors_reach_boto3_as_s3_sends_them() -> None:
    from cloudlet.protocol.errors import ServiceError

    missing = ServiceError("NoSuchKey", "The specified key does not exist.", Key="k", BucketName="b")
    s3 = Loopback("s3", _raise(missing), **PATH_STYLE)
    with pytest.raises(s3.client.exceptions.NoSuchKey) as caught:
        s3.client.get_object(Bucket="b", Key="k")
    error = caught.value.response
    assert error["Error"] == {"Code": "NoSuchKey", "Message": "The specified key does not exist.",
                              "Key": "k", "BucketName": "b"}
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert error["ResponseMetadata"]["RequestId"]
    assert error["ResponseMetadata"]["HostId"]

    # HEAD: no body, so boto3 knows the error only by its status
    with pytest.raises(ClientError) as caught:
        s3.client.head_object(Bucket="b", Key="k")
    assert caught.value.response["Error"]["Code"] == "404"
    assert caught.value.response["Error"]["Message"] == "Not Found"

    invalid = ServiceError("InvalidObjectState", "The operation is not valid for the object's storage class",
                           403, StorageClass="GLACIER", AccessTier="ARCHIVE_ACCESS")
    s3 = Loopback("s3", _raise(invalid), **PATH_STYLE)
    with pytest.raises(s3.client.exceptions.InvalidObjectState) as caught:
        s3.client.get_object(Bucket="b", Key="k")
    assert caught.value.response["StorageClass"] == "GLACIER"  # modelled fields, parsed
    assert caught.value.response["AccessTier"] == "ARCHIVE_ACCESS"


def test_s3_malformed_header_is_invalid_argument_naming_the_header() -> None:
    s3 = Loopback("s3", _returns({}), **PATH_STYLE)
    s3.tamper = lambda request: request.headers.update({"x-amz-max-parts": "lots"})
    with pytest.raises(ClientError) as caught:
        s3.client.get_object_attributes(Bucket="b", Key="k", ObjectAttributes=["ETag"], MaxParts=5)
    error = caught.value.response["Error"]
    assert (error["Code"], error["ArgumentName"], error["ArgumentValue"]) == (
        "InvalidArgument", "x-amz-max-parts", "lots",
    )


# --- rest-json services ---------------------------------------------------------------------


def test_lambda_invoke_as_boto3_sends_it() -> None:
    lam = Loopback(
        "lambda", _returns({"StatusCode": 200, "Payload": b'{"ok":true}', "ExecutedVersion": "$LATEST"})
    )
    context = base64.b64encode(b'{"custom":{"a":1}}').decode()
    response = lam.client.invoke(
        FunctionName="arn:aws:lambda:us-east-1:000000000000:function:f", Payload=b'{"x":1}',
        InvocationType="RequestResponse", ClientContext=context, Qualifier="$LATEST",
    )
    assert response["StatusCode"] == 200
    assert response["Payload"].read() == b'{"ok":true}'
    assert response["ExecutedVersion"] == "$LATEST"
    assert lam.last == {
        "FunctionName": "arn:aws:lambda:us-east-1:000000000000:function:f",  # ':' survives the label
        "Payload": b'{"x":1}',
        "InvocationType": "RequestResponse",
        "ClientContext": context,
        "Qualifier": "$LATEST",
    }


def test_lambda_errors_raise_their_exception_classes() -> None:
    from cloudlet.protocol.errors import ServiceError

    lam = Loopback("lambda", _raise(ServiceError("ResourceNotFoundException", "Function not found: f")))
    with pytest.raises(lam.client.exceptions.ResourceNotFoundException) as caught:
        lam.client.get_function(FunctionName="f")
    response = caught.value.response
    assert response["Error"]["Message"] == "Function not found: f"
    assert response["Type"] == "User"  # Lambda's errors say whose fault it was
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 404

    throttled = ServiceError("TooManyRequestsException", "Rate exceeded", retryAfterSeconds="2",
                             Reason="CallerRateLimitExceeded")
    lam = Loopback("lambda", _raise(throttled))
    with pytest.raises(lam.client.exceptions.TooManyRequestsException) as caught:
        lam.client.list_functions()
    assert caught.value.response["retryAfterSeconds"] == "2"  # from the Retry-After header
    assert caught.value.response["ResponseMetadata"]["HTTPHeaders"]["retry-after"] == "2"
    assert caught.value.response["Reason"] == "CallerRateLimitExceeded"


def test_lambda_response_stream_reaches_boto3() -> None:
    events = [{"PayloadChunk": {"Payload": b"hello "}}, {"PayloadChunk": {"Payload": b"world"}},
              {"InvokeComplete": {}}]
    lam = Loopback("lambda", _returns({"StatusCode": 200, "EventStream": events}))
    response = lam.client.invoke_with_response_stream(FunctionName="f", Payload=b"{}")
    chunks = [e["PayloadChunk"]["Payload"] for e in response["EventStream"] if "PayloadChunk" in e]
    assert b"".join(chunks) == b"hello world"


def test_api_gateway_put_rest_api_blob_payload() -> None:
    api = Loopback("apigateway", _returns({"id": "abc", "name": "api"}))
    spec = b'{"openapi": "3.0.1"}'
    response = api.client.put_rest_api(restApiId="abc", mode="overwrite", body=spec, parameters={"k": "v"})
    assert response["id"] == "abc"
    # a raw blob payload, the mode as a named query key, the parameters map as the rest of the query
    assert api.last == {"restApiId": "abc", "mode": "overwrite", "body": spec, "parameters": {"k": "v"}}


def test_cloudfront_errors_raise_their_exception_classes() -> None:
    from cloudlet.protocol.errors import ServiceError

    cf = Loopback("cloudfront", _raise(ServiceError("NoSuchDistribution", "The specified distribution does not exist.")))
    with pytest.raises(cf.client.exceptions.NoSuchDistribution) as caught:
        cf.client.get_distribution(Id="E123")
    assert caught.value.response["Error"]["Type"] == "Sender"
    assert caught.value.response["Message"] == "The specified distribution does not exist."
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
