"""rest-json and rest-xml against botocore, for every operation of the REST services.

(a) a request botocore serializes from a generated input parses on our side to
    the same parameters;
(b) an output generated from the output shape, serialized by us, parses in
    botocore to the same value;
(c) every modelled error of the operation, serialized by us, makes botocore
    report the right code (and the modelled fields, and the right exception class).

Where botocore and Cloudlet legitimately differ, ``expected_input`` /
``prepare_output`` say so, one rule at a time; nothing is skipped.
"""

from __future__ import annotations

import copy
from functools import cache

import botocore.session
import pytest
from botocore import handlers

from cloudlet.context import RequestContext
from cloudlet.http import Request
from cloudlet.protocol import get_protocol
from cloudlet.protocol.errors import ServiceError
from cloudlet.protocol.models import load_service
from tests.support import oracle

REST_JSON = ("lambda", "apigateway", "apigatewayv2", "apigatewaymanagementapi", "scheduler", "xray", "codeartifact")
REST_XML = ("s3", "cloudfront")
SEEDS = (0, 1, 2)
MESSAGE_KEYS = ("message", "Message", "errorMessage", "ErrorMessage")


def _operations(services: tuple[str, ...]) -> list:
    return [
        pytest.param(service, name, id=f"{service}.{name}")
        for service in services
        for name in load_service(service).operation_names
    ]


CASES = _operations(REST_JSON + REST_XML)


def test_every_rest_operation_is_covered() -> None:
    """The number this file vouches for (reported in the summary of the work)."""
    counts = {service: len(load_service(service).operation_names) for service in REST_JSON + REST_XML}
    assert len(CASES) == sum(counts.values())
    assert len(CASES) > 700, counts


def _context(service: str, operation: str, method: str | None = None) -> RequestContext:
    model = load_service(service)
    op = model.operation(operation)
    request = Request(method or op.http_method, "/", "", {"host": "localhost:4566"})
    return RequestContext(model, op, request, model.protocol)


@cache
def _client(service: str):
    # its own session: a client's handlers may rewrite the model they load (S3 drops
    # {Bucket} from requestUri), which must not reach the oracle's serializer
    return botocore.session.get_session().create_client(
        oracle.SERVICES[service], region_name="us-east-1", endpoint_url=oracle.ENDPOINT,
        aws_access_key_id="test", aws_secret_access_key="test",
    )


# --- (a) requests ------------------------------------------------------------------------


def expected_input(service: str, operation: str, params: dict) -> dict:
    """What the provider should see for ``params`` as botocore sent them."""
    expected = copy.deepcopy(params)
    shape = oracle.service_model(service).operation_model(operation).input_shape
    for name, member in shape.members.items():
        if name not in expected:
            continue
        if member.serialization.get("location") == "headers":
            # HTTP header names are case-insensitive and Cloudlet's Request lower-cases
            # them, so prefixed header maps arrive with lower-case keys (as S3 stores
            # x-amz-meta-* keys).
            expected[name] = {key.lower(): value for key, value in expected[name].items()}
    if load_service(service).protocol == "rest-xml":
        expected = xml_expectation(shape, expected, collisions="first")
    return expected


def xml_expectation(shape, value, *, collisions: str = "keep"):
    """What survives a trip through an XML body.

    An empty flattened list or map writes no element at all, so it arrives absent.

    S3's deprecated notification shapes have a singular member (``Event``) whose
    element is also the item element of a flattened list (``Events``); no document
    can tell them apart.  ``collisions`` says what to do with the singular member:
    "keep" it, "drop" it (what the test sends and serializes: never both), or
    "first": a reader sees the list's first item in it (what our parser does; the
    list keeps all of them).
    """
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict) and not shape.is_document_type:
        members = shape.members
        lists = {
            m.member.serialization.get("name") or m.serialization.get("name", n): n
            for n, m in members.items()
            if m.type_name == "list" and m.serialization.get("flattened")
        }
        out = {}
        for name, item in value.items():
            member = members.get(name)
            if member is None or member.serialization.get("location"):  # ResponseMetadata, headers
                out[name] = item
                continue
            flattened = member.type_name in ("list", "map") and member.serialization.get("flattened")
            if flattened and not item:
                continue
            out[name] = xml_expectation(member, item, collisions=collisions)
        if collisions != "keep":
            for name, member in members.items():
                twin = lists.get(member.serialization.get("name", name))
                if member.type_name == "list" or twin is None:
                    continue
                out.pop(name, None)
                if collisions == "first" and out.get(twin):
                    out[name] = out[twin][0]
        return out
    if kind == "list" and isinstance(value, list):
        return [xml_expectation(shape.member, item, collisions=collisions) for item in value]
    if kind == "map" and isinstance(value, dict):
        return {k: xml_expectation(shape.value, v, collisions=collisions) for k, v in value.items()}
    return value


def generated_input(service: str, operation: str, seed: int) -> dict:
    shape = oracle.service_model(service).operation_model(operation).input_shape
    if shape is None:
        return {}
    params = oracle.Generator(seed).value(shape)
    if load_service(service).protocol == "rest-xml":
        params = xml_expectation(shape, params, collisions="drop")
    return params


@pytest.mark.parametrize(("service", "operation"), CASES)
def test_request_round_trip(service: str, operation: str) -> None:
    model = load_service(service)
    protocol = get_protocol(model.protocol)
    op = model.operation(operation)
    for seed in SEEDS:
        params = generated_input(service, operation, seed)
        request = oracle.to_cloudlet_request(oracle.botocore_request(service, operation, params))
        parsed = protocol.parse(request, op)
        assert oracle.normalize(parsed) == oracle.normalize(expected_input(service, operation, params)), seed


# --- (b) outputs -------------------------------------------------------------------------


def prepare_output(service: str, operation: str, output: dict) -> tuple[dict, dict]:
    """The output to serialize and the value botocore should read back."""
    shape = oracle.service_model(service).operation_model(operation).output_shape
    op = load_service(service).operation(operation)
    for name, member in shape.members.items():
        if member.serialization.get("location") == "statusCode":
            # A status code member is the HTTP status; botocore reads anything from 301
            # up as an error, so a success output carries a success status.
            output[name] = 202 if op.success_status == 200 else op.success_status
    if load_service(service).protocol == "rest-xml":
        # see xml_expectation: what XML cannot carry is not asked of the provider either
        output = xml_expectation(shape, output, collisions="drop")
    return output, copy.deepcopy(output)


@pytest.mark.parametrize(("service", "operation"), CASES)
def test_output_round_trip(service: str, operation: str) -> None:
    model = load_service(service)
    protocol = get_protocol(model.protocol)
    bop = oracle.service_model(service).operation_model(operation)
    for seed in SEEDS:
        ctx = _context(service, operation)
        if bop.output_shape is None:
            response = protocol.serialize(ctx, ctx.operation, None)
            assert response.status == ctx.operation.success_status
            assert response.body == b""
            parsed = oracle.parse_response(service, operation, response)
            assert oracle.normalize(parsed) == {}
            return
        output, expected = prepare_output(service, operation, oracle.Generator(seed).value(bop.output_shape))
        response = protocol.serialize(ctx, ctx.operation, output)
        assert response.status < 300
        parsed = oracle.parse_response(service, operation, response)
        stream = bop.output_shape.serialization.get("payload")
        if stream and bop.output_shape.members[stream].serialization.get("eventstream"):
            # The generator leaves event streams out; botocore still opens one (empty).
            assert oracle.normalize(parsed.pop(stream)) == []
        if (service, operation) == ("s3", "GetBucketLocation"):
            # S3 answers <LocationConstraint>eu-west-1</LocationConstraint>, which the
            # model cannot describe; a real client reads it with this after-call handler.
            handlers.parse_get_bucket_location(parsed, _HttpResponse(oracle.read_body(response)))
        if model.protocol == "rest-xml":
            # botocore itself reads a colliding singular member as a list of raw Elements
            parsed = xml_expectation(bop.output_shape, parsed, collisions="drop")
        assert oracle.normalize(parsed) == oracle.normalize(expected), seed


class _HttpResponse:
    """The little of botocore's AWSResponse that parse_get_bucket_location reads."""

    def __init__(self, content: bytes) -> None:
        self.raw = object()
        self.content = content


# --- (c) errors --------------------------------------------------------------------------


def _error_cases() -> list:
    cases = []
    for service, operation in ((p.values[0], p.values[1]) for p in CASES):
        if load_service(service).operation(operation).error_shapes:
            cases.append(pytest.param(service, operation, id=f"{service}.{operation}"))
    return cases


ERROR_CASES = _error_cases()


@pytest.mark.parametrize(("service", "operation"), ERROR_CASES)
def test_modelled_errors(service: str, operation: str) -> None:
    model = load_service(service)
    protocol = get_protocol(model.protocol)
    op = model.operation(operation)
    bmodel = oracle.service_model(service)
    for seed in SEEDS:
        for error_shape in op.error_shapes:
            bshape = bmodel.shape_for(error_shape.name)
            fields = oracle.Generator(seed).value(bshape)
            for key in MESSAGE_KEYS:
                fields.pop(key, None)
            message = f"{error_shape.name} happened ({seed})"
            ctx = _context(service, operation)
            response = protocol.serialize_error(ctx, ServiceError(error_shape.name, message, **fields))
            assert response.status == error_shape.error_status
            parsed = oracle.parse_error(service, operation, response)
            assert parsed["ResponseMetadata"]["HTTPStatusCode"] == error_shape.error_status
            if op.http_method == "HEAD":
                # A HEAD response has no body, so botocore names the error by its status
                # (S3's HeadObject 404 arrives as code "404"), as with real S3.
                assert parsed["Error"]["Code"] == str(error_shape.error_status)
                assert response.body == b""
                continue
            code = bshape.error_code
            assert parsed["Error"]["Code"] == code
            assert parsed["Error"]["Message"] == message
            assert _client(service).exceptions.from_code(code).__name__ == error_shape.name
            got = oracle.normalize(parsed)
            for key, value in fields.items():
                assert got.get(key) == oracle.normalize(value), (error_shape.name, key)


@pytest.mark.parametrize("service", REST_JSON + REST_XML)
def test_unmodelled_error(service: str) -> None:
    """An error outside the model (here 501 NotImplemented) still reaches botocore by its code."""
    model = load_service(service)
    protocol = get_protocol(model.protocol)
    operation = model.operation_names[0]
    ctx = _context(service, operation, method="POST")
    error = ServiceError("NotImplemented", "not yet", 501, sender_fault=False)
    response = protocol.serialize_error(ctx, error)
    assert response.status == 501
    parsed = oracle.parse_error(service, operation, response)
    assert parsed["Error"]["Code"] == "NotImplemented"
    assert parsed["Error"]["Message"] == "not yet"
