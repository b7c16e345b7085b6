"""The three round trips every RPC protocol must pass, against botocore as the oracle.

(a) a request botocore serializes parses on our side to the parameters it was made from;
(b) an output we serialize parses in botocore to the output we were given
    (event streams included: botocore's own event stream reader reads ours);
(c) every modelled error of the operation, serialized by us, makes botocore report
    the code a client expects, the message and the modelled fields.
"""

from __future__ import annotations

from typing import Any

import pytest

from cloudlet.context import RequestContext
from cloudlet.http import Request
from cloudlet.protocol import get_protocol
from cloudlet.protocol.errors import ServiceError
from cloudlet.protocol.models import load_service
from tests.support import oracle

SEEDS = (0, 1, 2, 3)


def operation_cases(services: list[str]) -> list[Any]:
    """One pytest param per operation, named ``service.Operation``."""
    return [
        pytest.param(service, name, id=f"{service}.{name}")
        for service in services
        for name in load_service(service).operation_names
    ]


def context(service: str, operation: str, protocol: str) -> RequestContext:
    model = load_service(service)
    return RequestContext(model, model.operation(operation), Request("POST", "/", "", {}), protocol)


def request_params(service: str, operation: str, seed: int) -> dict:
    shape = oracle.service_model(service).operation_model(operation).input_shape
    return oracle.Generator(seed).value(shape) if shape is not None else {}


def output_value(service: str, operation: str, seed: int) -> dict:
    """A generated output, with a few events (one of each kind) for an event stream member."""
    shape = oracle.service_model(service).operation_model(operation).output_shape
    if shape is None:
        return {}
    generator = oracle.Generator(seed)
    output = generator.value(shape)
    for name, member in shape.members.items():
        if member.serialization.get("eventstream"):
            output[name] = [
                {event: generator.value(event_shape, 1)}
                for event, event_shape in member.members.items()
                if not event_shape.metadata.get("exception")
            ]
    return output


def check_request(service: str, operation: str, protocol: str) -> Any:
    """(a); returns the last Cloudlet request, for protocol-specific checks."""
    op = load_service(service).operation(operation)
    request = None
    for seed in SEEDS:
        params = request_params(service, operation, seed)
        request = oracle.to_cloudlet_request(oracle.botocore_request(service, operation, params, protocol))
        parsed = get_protocol(protocol).parse(request, op)
        assert oracle.normalize(parsed) == oracle.normalize(params), f"seed {seed}"
    return request


def check_response(service: str, operation: str, protocol: str) -> None:
    """(b)"""
    ctx = context(service, operation, protocol)
    for seed in SEEDS:
        output = output_value(service, operation, seed)
        response = get_protocol(protocol).serialize(ctx, ctx.operation, output)
        assert response.status == 200
        parsed = oracle.parse_response(service, operation, response, protocol)
        assert oracle.normalize(parsed) == oracle.normalize(output), f"seed {seed}"


def expected_code(service: str, shape_name: str) -> str:
    """The code a botocore client reports: the query code for query-compatible services."""
    model = load_service(service)
    shape = model.shape(shape_name)
    return shape.error_code if model.query_compatible else shape.name


def check_errors(service: str, operation: str, protocol: str) -> int:
    """(c); returns how many modelled errors were checked."""
    ctx = context(service, operation, protocol)
    bmodel = oracle.service_model(service)
    errors = bmodel.operation_model(operation).error_shapes
    for seed in SEEDS:
        for error_shape in errors:
            fields = oracle.Generator(seed).value(error_shape)
            key = next((k for k in ("message", "Message") if k in error_shape.members), None)
            message = f"it failed (seed {seed}) é"
            fields.pop(key, None)
            error = ServiceError(error_shape.name, message)
            error.fields.update(fields)  # set after: a member may be called "code" or "status"
            response = get_protocol(protocol).serialize_error(ctx, error)
            assert response.status == load_service(service).shape(error_shape.name).error_status
            parsed = oracle.parse_error(service, operation, response, protocol)
            where = f"{error_shape.name}, seed {seed}"
            assert parsed["Error"]["Code"] == expected_code(service, error_shape.name), where
            if key is not None:
                assert parsed["Error"]["Message"] == message, where
                assert parsed[key] == message, where
            for name, value in fields.items():
                assert oracle.normalize(parsed.get(name)) == oracle.normalize(value), f"{where}: {name}"
    return len(errors)
