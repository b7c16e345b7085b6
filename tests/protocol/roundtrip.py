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

# Generator seeds; the last ones add edge values (empty lists, maps and strings, longer lists).
SEEDS = (0, 1, 2, 3, 4, 5)
EDGE_SEEDS = frozenset((4, 5))


def generator(seed: int) -> oracle.Generator:
    return oracle.Generator(seed, edges=seed in EDGE_SEEDS)


def operation_cases(services: list[str], marks: Any = None) -> list[Any]:
    """One pytest param per operation, named ``service.Operation``; ``marks(service, operation)``
    may return marks for a case."""
    return [
        pytest.param(service, name, id=f"{service}.{name}", marks=marks(service, name) if marks else ())
        for service in services
        for name in load_service(service).operation_names
    ]


def without_documents(shape: Any, value: Any) -> Any:
    """``value`` with its document-type members left out.

    botocore's CBOR serializer cannot write document types (KeyError) and its CBOR parser
    drops them, so in CBOR they cannot go through the oracle; no real CBOR service has one,
    and the CBOR tests check documents directly instead.
    """
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        if shape.is_document_type:
            return value
        members = shape.members
        return {
            k: without_documents(members[k], v)
            for k, v in value.items()
            if k not in members or not getattr(members[k], "is_document_type", False)
        }
    if kind == "list" and isinstance(value, list):
        return [without_documents(shape.member, v) for v in value]
    if kind == "map" and isinstance(value, dict):
        return {k: without_documents(shape.value, v) for k, v in value.items()}
    return value


DOCUMENTLESS = {"smithy-rpc-v2-cbor"}  # protocols whose botocore code has no document types


def context(service: str, operation: str, protocol: str) -> RequestContext:
    model = load_service(service)
    return RequestContext(model, model.operation(operation), Request("POST", "/", "", {}), protocol)


def request_params(service: str, operation: str, seed: int, protocol: str = "json") -> dict:
    shape = oracle.service_model(service).operation_model(operation).input_shape
    if shape is None:
        return {}
    params = generator(seed).value(shape)
    return without_documents(shape, params) if protocol in DOCUMENTLESS else params


def output_value(service: str, operation: str, seed: int, protocol: str = "json") -> dict:
    """A generated output, with a few events (one of each kind) for an event stream member."""
    shape = oracle.service_model(service).operation_model(operation).output_shape
    if shape is None:
        return {}
    values = generator(seed)
    output = values.value(shape)
    for name, member in shape.members.items():
        if member.serialization.get("eventstream"):
            output[name] = [
                {event: values.value(event_shape, 1)}
                for event, event_shape in member.members.items()
                if not event_shape.metadata.get("exception")
            ]
    return without_documents(shape, output) if protocol in DOCUMENTLESS else output


def check_request(service: str, operation: str, protocol: str) -> Any:
    """(a); returns the last Cloudlet request, for protocol-specific checks."""
    op = load_service(service).operation(operation)
    request = None
    for seed in SEEDS:
        params = request_params(service, operation, seed, protocol)
        request = oracle.to_cloudlet_request(oracle.botocore_request(service, operation, params, protocol))
        parsed = get_protocol(protocol).parse(request, op)
        assert oracle.normalize(parsed) == oracle.normalize(params), f"seed {seed}"
    return request


def check_response(service: str, operation: str, protocol: str) -> None:
    """(b)"""
    ctx = context(service, operation, protocol)
    for seed in SEEDS:
        output = output_value(service, operation, seed, protocol)
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
            fields = generator(seed).value(error_shape)
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
            if bmodel.shape_for_error_code(parsed["Error"]["Code"]) is None and load_service(service).query_compatible:
                # botocore finds an error's modelled fields by its code; SQS's model maps no query code to a
                # shape (its error.code traits are gone), so a client sees code, message and the shape's name
                # as QueryErrorCode, exactly as against AWS.
                assert parsed["Error"]["QueryErrorCode"] == error_shape.name, where
                assert parsed["Error"]["Message"] == message, where
                continue
            if key is not None:
                assert parsed["Error"]["Message"] == message, where
                assert parsed[key] == message, where
            for name, value in fields.items():
                assert oracle.normalize(parsed.get(name)) == oracle.normalize(value), f"{where}: {name}"
    return len(errors)
