"""Every operation of every service routes to itself, from requests exactly as botocore signs them."""

from __future__ import annotations

import botocore.auth
import botocore.credentials
import pytest
from botocore.awsrequest import AWSRequest

from cloudlet.gateway.auth import read_signature
from cloudlet.gateway.routing import Router
from cloudlet.http import Request
from cloudlet.protocol.index import build_index, service_index
from cloudlet.protocol.models import SERVICES, load_service
from tests.support.oracle import Generator, botocore_request, service_model, to_cloudlet_request

# Operations that the same HTTP request reaches and that therefore route to their twin.
# Each is an identical method, URI and required parameters in the model.
ALIASES = {
    ("s3", "ListDirectoryBuckets"): "ListBuckets",  # S3 Express's list, served at a separate AWS endpoint
    ("s3", "GetBucketLifecycle"): "GetBucketLifecycleConfiguration",  # deprecated twin
    ("s3", "PutBucketLifecycle"): "PutBucketLifecycleConfiguration",  # deprecated twin
    ("s3", "GetBucketNotification"): "GetBucketNotificationConfiguration",  # deprecated twin
    ("s3", "PutBucketNotification"): "PutBucketNotificationConfiguration",  # deprecated twin
}

CREDENTIALS = botocore.credentials.Credentials("test", "test")


def signed(service: str, request: dict, protocol: str) -> Request:
    """Sign as botocore does, so routing sees the real credential scope."""
    model = service_model(service)
    aws = AWSRequest(method=request["method"], url=request["url"], headers=request["headers"], data=request["body"])
    signing_name = model.metadata.get("signingName", model.metadata["endpointPrefix"])
    if service == "s3":
        botocore.auth.S3SigV4Auth(CREDENTIALS, signing_name, "us-east-1").add_auth(aws)
    else:
        botocore.auth.SigV4Auth(CREDENTIALS, signing_name, "us-east-1").add_auth(aws)
    prepared = aws.prepare()
    return to_cloudlet_request(
        {"method": prepared.method, "url": prepared.url, "headers": dict(prepared.headers.items()),
         "body": prepared.body}
    )


def protocols_of(service: str) -> list[str]:
    """Each protocol a client may speak to the service."""
    info = service_index()[service]
    spoken = list(info["protocols"])
    if info["query_compatible"] and "query" not in spoken:
        spoken.append("query")
    if "json" in spoken and "smithy-rpc-v2-cbor" not in spoken:
        spoken.append("smithy-rpc-v2-cbor")
    return spoken


CASES = [
    (service, protocol, operation)
    for service in SERVICES
    for protocol in protocols_of(service)
    for operation in load_service(service).operation_names
]


@pytest.mark.parametrize(("service", "protocol", "operation"), CASES, ids=["/".join(c) for c in CASES])
def test_operation_routes_to_itself(service: str, protocol: str, operation: str) -> None:
    op = service_model(service).operation_model(operation)
    params = Generator(seed=1).value(op.input_shape) if op.input_shape else {}
    try:
        serialized = botocore_request(service, operation, params, protocol)
    except KeyError:
        # botocore's CBOR serializer cannot write document types (no client sends them in CBOR);
        # the route depends on the target only.
        assert protocol == "smithy-rpc-v2-cbor"
        serialized = botocore_request(service, operation, {}, protocol)
    request = signed(service, serialized, protocol)
    route = Router().route(request, read_signature(request))
    assert route is not None
    assert (route.service, route.protocol) == (service, protocol)
    assert route.operation == ALIASES.get((service, operation), operation)


def test_route_count(capsys: pytest.CaptureFixture) -> None:
    services = len(SERVICES)
    with capsys.disabled():
        print(f"\nrouting: {len(CASES)} (service, protocol, operation) cases over {services} services")
    assert services == 38 and len(CASES) > 2500


def test_index_matches_installed_models() -> None:
    assert build_index() == service_index(), "run: python -m cloudlet.protocol.index"


def _request(method: str, path: str, host: str = "localhost:4566", query: str = "", **headers: str) -> Request:
    return Request(method, path, query, {"host": host, **headers})


@pytest.mark.parametrize(
    ("host", "path", "bucket_path"),
    [
        ("mybucket.s3.localhost.localstack.cloud:4566", "/key.txt", "/mybucket/key.txt"),
        ("mybucket.s3.eu-west-1.localhost.localstack.cloud:4566", "/a/b", "/mybucket/a/b"),
        ("s3.localhost.localstack.cloud:4566", "/mybucket/k", None),
        ("mybucket.s3.localhost:4566", "/k", "/mybucket/k"),
        ("mybucket.localhost:4566", "/k", "/mybucket/k"),
    ],
)
def test_s3_virtual_hosts_anonymous(host: str, path: str, bucket_path: str | None) -> None:
    route = Router().route(_request("GET", path, host), None)
    assert route.service == "s3" and route.operation == "GetObject"
    assert route.path == bucket_path


def test_virtual_host_root_lists_the_bucket() -> None:
    route = Router().route(_request("GET", "/", "mybucket.s3.localhost.localstack.cloud"), None)
    assert (route.operation, route.path) == ("ListObjects", "/mybucket/")
    route = Router().route(_request("GET", "/", "mybucket.s3.localhost", query="list-type=2"), None)
    assert route.operation == "ListObjectsV2"


def test_execute_api_hosts_and_paths() -> None:
    route = Router().route(_request("GET", "/prod/items", "abc123.execute-api.localhost.localstack.cloud:4566"), None)
    assert route.service == "execute-api" and route.extras["api_id"] == "abc123"
    route = Router().route(_request("POST", "/restapis/abc123/prod/_user_request_/items"), None)
    assert route.service == "execute-api" and route.extras == {"api_id": "abc123", "stage": "prod"}


def test_service_hosts_pick_the_service() -> None:
    request = _request("POST", "/", "sqs.us-east-1.localhost.localstack.cloud:4566", **{
        "content-type": "application/x-amz-json-1.0", "x-amz-target": "AmazonSQS.ListQueues"})
    assert Router().route(request, None).service == "sqs"


def test_unsigned_query_requests_route_by_version_or_unique_action() -> None:
    form = "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=x"
    request = Request("POST", "/", "", {"host": "localhost", "content-type": "application/x-www-form-urlencoded"},
                      body=form.encode())
    route = Router().route(request, None)
    assert (route.service, route.protocol, route.operation) == ("sts", "query", "AssumeRoleWithWebIdentity")
    request = Request("GET", "/", "Action=GetCallerIdentity", {"host": "localhost"})
    assert Router().route(request, None).service == "sts"


def test_unknown_target_is_an_unknown_operation_of_the_service() -> None:
    request = _request("POST", "/", **{"x-amz-target": "DynamoDB_20120810.NoSuchThing"})
    route = Router().route(request, None)
    assert (route.service, route.operation) == ("dynamodb", None)


def test_presigned_url_routes_by_its_credential_scope() -> None:
    query = ("X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=test%2F20260101%2Fus-east-1%2Fs3%2Faws4_request"
             "&X-Amz-Date=20260101T000000Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Signature=00")
    request = _request("GET", "/b/k", query=query)
    route = Router().route(request, read_signature(request))
    assert (route.service, route.operation) == ("s3", "GetObject")
