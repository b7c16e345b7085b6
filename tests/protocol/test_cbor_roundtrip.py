"""Every operation of the smithy-rpc-v2-cbor services, and of every json service spoken in
CBOR (botocore can serialize any model in any protocol), round-tripped against botocore."""

from __future__ import annotations

import pytest

from cloudlet.protocol import cbor, get_protocol
from cloudlet.protocol.models import SERVICES, load_service
from tests.protocol import roundtrip
from tests.support import oracle

PROTOCOL = "smithy-rpc-v2-cbor"
CBOR_SERVICES = [name for name in SERVICES if load_service(name).protocol == PROTOCOL]
JSON_SERVICES = [name for name in SERVICES if load_service(name).protocol == "json"]
CASES = roundtrip.operation_cases(CBOR_SERVICES + JSON_SERVICES)



def test_the_cbor_services_are_the_expected_ones():
    assert set(CBOR_SERVICES) == {"cloudwatch", "codebuild", "codedeploy", "codepipeline"}


@pytest.mark.parametrize(("service", "operation"), CASES)
def test_request_parses_to_the_same_params(service, operation):
    request = roundtrip.check_request(service, operation, PROTOCOL)
    # What the router matches on: the target prefix is the service name in the path.
    assert request.path == f"/service/{load_service(service).target_prefix}/operation/{operation}"
    assert request.headers["smithy-protocol"] == "rpc-v2-cbor"


@pytest.mark.parametrize(("service", "operation"), CASES)
def test_output_parses_in_botocore_to_the_same_value(service, operation):
    roundtrip.check_response(service, operation, PROTOCOL)


@pytest.mark.parametrize(("service", "operation"), CASES)
def test_modelled_errors_reach_botocore_with_their_code(service, operation):
    roundtrip.check_errors(service, operation, PROTOCOL)


def test_response_headers_and_body():
    ctx = roundtrip.context("cloudwatch", "GetDashboard", PROTOCOL)
    response = get_protocol(PROTOCOL).serialize(ctx, ctx.operation, {"DashboardName": "d"})
    assert response.header("smithy-protocol") == "rpc-v2-cbor"
    assert response.header("content-type") == "application/cbor"
    assert response.header("x-amzn-requestid") == ctx.request_id
    assert cbor.loads(response.body) == {"DashboardName": "d"}


def test_operation_without_output_sends_no_body():
    ctx = roundtrip.context("cloudwatch", "DeleteAlarms", PROTOCOL)
    assert ctx.operation.output_shape is None
    response = get_protocol(PROTOCOL).serialize(ctx, ctx.operation, None)
    assert response.body == b""
    assert response.header("content-type") is None
    assert oracle.parse_response("cloudwatch", "DeleteAlarms", response, PROTOCOL)["ResponseMetadata"]


def test_query_compatible_error_as_aws_sends_it():
    from cloudlet.protocol.errors import ServiceError

    ctx = roundtrip.context("cloudwatch", "GetDashboard", PROTOCOL)
    error = ServiceError("DashboardNotFoundError", "Dashboard d does not exist")
    response = get_protocol(PROTOCOL).serialize_error(ctx, error)
    assert response.status == 404
    assert response.header("x-amzn-query-error") == "ResourceNotFound;Sender"
    document = cbor.loads(response.body)
    assert document["__type"] == "com.amazonaws.cloudwatch#DashboardNotFoundError"
    assert document["message"] == "Dashboard d does not exist"
    parsed = oracle.parse_error("cloudwatch", "GetDashboard", response, PROTOCOL)
    assert parsed["Error"]["Code"] == "ResourceNotFound"
    assert parsed["Error"]["QueryErrorCode"] == "DashboardNotFoundError"
    assert parsed["Error"]["Type"] == "Sender"
