"""Every operation of the query services (and of sqs and cloudwatch spoken in query),
round-tripped against botocore's query serializer and parser.

The query wire cannot carry everything a dict can: botocore writes nothing at all
for an empty structure or map, and nothing for a flattened list or map that is
empty in a response.  ``carried_request``/``carried_response`` compute exactly
what survives, from the model, so the comparisons stay strict about the rest.
"""

from __future__ import annotations

from typing import Any

import pytest

from cloudlet.protocol import get_protocol
from cloudlet.protocol.errors import ServiceError
from cloudlet.protocol.models import load_service
from tests.protocol import roundtrip
from tests.support import oracle

QUERY_SERVICES = ["sns", "iam", "sts", "cloudformation", "elasticache", "elasticbeanstalk"]
QUERY_COMPATIBLE = ["sqs", "cloudwatch"]  # json / cbor models, still spoken in query by older clients
SERVICES = QUERY_SERVICES + QUERY_COMPATIBLE
CASES = roundtrip.operation_cases(SERVICES)
# Plain seeds as the other protocols use, plus seeds with edge values (empty lists,
# maps and strings; three-item lists).
SEEDS = [(seed, False) for seed in roundtrip.SEEDS] + [(seed, True) for seed in (10, 11, 12, 13)]

MISSING = object()


def carried_request(shape, value) -> Any:
    """What of ``value`` reaches the server through botocore's query serializer."""
    kind = shape.type_name
    if kind == "structure":
        out = {}
        for name, item in value.items():
            kept = carried_request(shape.members[name], item)
            if kept is not MISSING:
                out[name] = kept
        return out or MISSING
    if kind == "list":
        if not value:
            return []  # sent as ``Name=``
        items = [carried_request(shape.member, item) for item in value]
        items = [item for item in items if item is not MISSING]
        return items or MISSING
    if kind == "map":
        out = {}
        for key, item in value.items():
            kept = carried_request(shape.value, item)
            if kept is MISSING:  # the key travels alone: an empty value of its type
                kept = [] if shape.value.type_name == "list" else {}
            out[key] = kept
        return out or MISSING
    return value


def carried_response(shape, value) -> Any:
    """What of ``value`` reaches a botocore client through our XML: all but empty flattened lists/maps."""
    kind = shape.type_name
    if kind == "structure":
        out = {}
        for name, item in value.items():
            member = shape.members[name]
            if member.serialization.get("flattened") and member.type_name in ("list", "map") and not item:
                continue
            out[name] = carried_response(member, item)
        return out
    if kind == "list":
        return [carried_response(shape.member, item) for item in value]
    if kind == "map":
        return {key: carried_response(shape.value, item) for key, item in value.items()}
    return value


def generated(shape, seed: int, edges: bool) -> dict:
    return oracle.Generator(seed, edges=edges).value(shape) if shape is not None else {}


def test_the_services_speak_query():
    for service in QUERY_SERVICES:
        assert load_service(service).protocol == "query", service
    for service in QUERY_COMPATIBLE:
        assert load_service(service).query_compatible, service


def test_operation_count():
    """Every operation of the eight services is covered (531 with botocore 1.44.5's models)."""
    count = len(CASES)
    expected = sum(len(load_service(s).operation_names) for s in SERVICES)
    print(f"\nquery round trip covers {count} operations of {len(SERVICES)} services")
    assert count == expected
    assert count >= 500


@pytest.mark.parametrize(("service", "operation"), CASES)
def test_request_parses_to_the_same_params(service, operation):
    shape = oracle.service_model(service).operation_model(operation).input_shape
    op = load_service(service).operation(operation)
    for seed, edges in SEEDS:
        params = generated(shape, seed, edges)
        request = oracle.to_cloudlet_request(oracle.botocore_request(service, operation, params, "query"))
        parsed = get_protocol("query").parse(request, op)
        expected = carried_request(shape, params) if shape is not None else {}
        expected = {} if expected is MISSING else expected
        assert oracle.normalize(parsed) == oracle.normalize(expected), f"seed {seed} edges {edges}"


@pytest.mark.parametrize(("service", "operation"), CASES)
def test_output_parses_in_botocore_to_the_same_value(service, operation):
    ctx = roundtrip.context(service, operation, "query")
    shape = oracle.service_model(service).operation_model(operation).output_shape
    for seed, edges in SEEDS:
        output = generated(shape, seed, edges)
        response = get_protocol("query").serialize(ctx, ctx.operation, output)
        assert response.status == 200
        assert response.header("Content-Type") == "text/xml"
        assert response.header("x-amzn-RequestId") == ctx.request_id
        parsed = oracle.parse_response(service, operation, response, "query")
        assert parsed["ResponseMetadata"]["RequestId"] == ctx.request_id
        expected = carried_response(shape, output) if shape is not None else {}
        assert oracle.normalize(parsed) == oracle.normalize(expected), f"seed {seed} edges {edges}"


@pytest.mark.parametrize(("service", "operation"), CASES)
def test_modelled_errors_reach_botocore_with_their_code(service, operation):
    ctx = roundtrip.context(service, operation, "query")
    model = load_service(service)
    for seed in roundtrip.SEEDS:
        for error_shape in oracle.service_model(service).operation_model(operation).error_shapes:
            ours = model.shape(error_shape.name)
            fields = oracle.Generator(seed).value(error_shape)
            message_key = next((k for k in ("message", "Message") if k in error_shape.members), None)
            fields.pop(message_key, None)
            message = f"it <failed> & stopped (seed {seed}) é"
            error = ServiceError(error_shape.name, message)
            error.fields.update(fields)
            response = get_protocol("query").serialize_error(ctx, error)
            where = f"{error_shape.name}, seed {seed}"
            assert response.status == ours.error_status, where
            assert response.header("x-amzn-RequestId") == ctx.request_id
            parsed = oracle.parse_error(service, operation, response, "query")
            # The query code: the shape's error.code when the model gives one, else its name.
            code = error_shape.metadata.get("error", {}).get("code") or error_shape.name
            assert parsed["Error"]["Code"] == code, where
            assert parsed["Error"]["Message"] == message, where
            assert parsed["Error"]["Type"] == ("Sender" if ours.sender_fault else "Receiver"), where
            assert parsed["ResponseMetadata"]["RequestId"] == ctx.request_id, where
            if message_key is not None and (error_shape.members[message_key].serialization.get("name")
                                            or message_key) == "Message":
                assert parsed[message_key] == message, where
            for name, value in fields.items():
                assert oracle.normalize(parsed.get(name)) == oracle.normalize(value), f"{where}: {name}"
