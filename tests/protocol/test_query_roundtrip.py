"""Every operation of the query services (and of sqs and cloudwatch spoken in query),
round-tripped against botocore's query serializer and parser.

The query wire cannot carry everything a dict can: botocore writes nothing at all
for an empty structure or map, and nothing for a flattened list or map that is
empty in a response.  ``carried_request``/``carried_response`` compute exactly
what survives, from the model, so the comparisons stay strict about the rest.
"""

from __future__ import annotations

import copy
import datetime as dt
from functools import cache
from typing import Any

import pytest
from botocore.awsrequest import HeadersDict, prepare_request_dict
from botocore.parsers import create_parser
from botocore.serialize import create_serializer

from cloudlet.context import RequestContext
from cloudlet.http import Request
from cloudlet.protocol import get_protocol
from cloudlet.protocol.errors import ServiceError
from cloudlet.protocol.models import ServiceModel, load_service
from tests.protocol import roundtrip
from tests.support import edge_shapes, oracle

QUERY_SERVICES = ["sns", "iam", "sts", "cloudformation", "elasticache", "elasticbeanstalk"]
# cbor / json models still spoken in query by older clients.  SQS is not here: botocore's current
# model lost SQS's query names (its patch restores them), so tests/sqs round-trips it against the
# query-era model older SDKs carry.
QUERY_COMPATIBLE = ["cloudwatch"]
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
    """Every operation of the seven services is covered (508 with botocore 1.44.5's models)."""
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


# --- the wire rules one by one, on a model made to hold every case ------------------------------

EDGE_SPEC = {
    "metadata": {
        "protocol": "query", "apiVersion": "2020-01-01", "endpointPrefix": "edge", "serviceId": "Edge",
        "signatureVersion": "v4", "xmlNamespace": "https://edge.amazonaws.com/doc/2020-01-01/",
    },
    "operations": {
        "Edge": {
            "name": "Edge", "http": {"method": "POST", "requestUri": "/"},
            "input": {"shape": "Everything"},
            "output": {"shape": "Everything", "resultWrapper": "EdgeResult"},
            "errors": [{"shape": "EdgeFault"}],
        },
        "Nothing": {"name": "Nothing", "http": {"method": "POST", "requestUri": "/"}},
    },
    "shapes": {
        **edge_shapes.SHAPES,
        "Pairs": {"type": "list", "member": {"shape": "Pair"}},
        "MapOfLists": {"type": "map", "key": {"shape": "S"}, "value": {"shape": "Strings"}},
        "Everything": {
            "type": "structure",
            "members": {
                **edge_shapes.MEMBERS,
                "FlatPairs": {"shape": "FlatPairs"},
                "Pairs": {"shape": "Pairs"},
                "MapOfLists": {"shape": "MapOfLists"},
            },
        },
        "EdgeFault": {
            "type": "structure",
            "members": {"message": {"shape": "S"}, "Reason": {"shape": "S"}, "Limits": {"shape": "Strings"}},
            "exception": True,
            "error": {"code": "Edge.Fault", "httpStatusCode": 409, "senderFault": True},
        },
    },
}

EDGE_VALUES = [
    {
        "Str": "a & b = c + d / e % f é ü \u2603 \r\n end ", "Other": "", "Int": -2147483648,
        "Long": 9223372036854775807, "Double": 1.5e300, "Bool": False, "Blob": b"\x00\xff+/=",
        "Time": dt.datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=dt.UTC),
        "UnixTime": dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC),
        "Strings": ["x", "", "z"], "Things": ["t1", "t2"], "Lists": [["a", "b"], [], ["c"]],
        "Items": ["i1", "i2", "i3"], "FlatPairs": [{"Name": "p", "Count": 1}, {"Name": "q"}],
        "Pairs": [{"Name": "r", "Count": 0}], "Map": {"k1": "v1", "k 2&=": ""},
        "NamedMap": {"n": {"Name": "x", "Count": 2}, "m": {}}, "FlatMap": {"f1": ["a"], "f2": []},
        "MapOfLists": {"l": ["1", "2"], "e": []}, "Pair": {"Name": "solo"},
        "Node": {"Child": {"Child": {"Value": "deep"}}, "Value": "top"},
    },
    {"Strings": [], "Things": [], "Lists": [], "Items": [], "FlatPairs": [], "Pairs": [], "Bool": True},
    {"Lists": [[], []], "Map": {}, "Pair": {}, "Items": ["only"]},
    {},
]


@cache
def edge_models():
    import botocore.model

    return botocore.model.ServiceModel(copy.deepcopy(EDGE_SPEC), "edge"), ServiceModel("edge", copy.deepcopy(EDGE_SPEC))


def edge_request(params: dict, operation: str = "Edge") -> Request:
    theirs, _ = edge_models()
    request = create_serializer("query", include_validation=False).serialize_to_request(
        params, theirs.operation_model(operation)
    )
    prepare_request_dict(request, endpoint_url=oracle.ENDPOINT)
    return oracle.to_cloudlet_request(request)


def edge_parse(params: dict) -> dict:
    _, ours = edge_models()
    return get_protocol("query").parse(edge_request(params), ours.operation("Edge"))


def edge_context(operation: str = "Edge") -> RequestContext:
    _, ours = edge_models()
    return RequestContext(ours, ours.operation(operation), Request("POST", "/", "", {}), "query")


def botocore_parse(response, shape) -> dict:
    raw = {
        "status_code": response.status, "headers": HeadersDict(dict(response.headers)),
        "body": response.body, "context": {"operation_name": "Edge"},
    }
    return create_parser("query").parse(raw, shape)


@pytest.mark.parametrize("params", EDGE_VALUES, ids=range(len(EDGE_VALUES)))
def test_edge_model_requests(params):
    theirs, _ = edge_models()
    expected = carried_request(theirs.operation_model("Edge").input_shape, params)
    assert oracle.normalize(edge_parse(params)) == oracle.normalize({} if expected is MISSING else expected)


def test_edge_model_request_wire_names():
    body = edge_request(EDGE_VALUES[0]).body.decode()
    for key in ("OtherName=", "Strings.member.2=", "Things.Thing.1=", "Lists.member.2=&", "Item.3=",
                "FlatPairs.2.Name=", "Map.entry.2.key=", "NamedMap.entry.1.Val.N=", "FlatMap.2.K=",
                "FlatMap.1.V.member.1=", "Pair.Name=", "Node.Child.Child.Value="):
        assert key in body, key
    # an empty flattened list with an item name goes out under the member's own name
    assert "Items=" in edge_request({"Items": []}).body.decode()


@pytest.mark.parametrize("output", EDGE_VALUES, ids=range(len(EDGE_VALUES)))
def test_edge_model_responses(output):
    theirs, _ = edge_models()
    shape = theirs.operation_model("Edge").output_shape
    response = get_protocol("query").serialize(edge_context(), edge_context().operation, output)
    assert response.body.startswith(b'<?xml version="1.0" encoding="UTF-8"?><EdgeResponse xmlns="https://edge')
    assert oracle.normalize(botocore_parse(response, shape)) == oracle.normalize(carried_response(shape, output))


def test_an_operation_without_output_has_no_result_element():
    ctx = edge_context("Nothing")
    response = get_protocol("query").serialize(ctx, ctx.operation, None)
    assert response.body == (
        b'<?xml version="1.0" encoding="UTF-8"?><NothingResponse xmlns="https://edge.amazonaws.com/doc/2020-01-01/">'
        b"<ResponseMetadata><RequestId>" + ctx.request_id.encode() + b"</RequestId></ResponseMetadata></NothingResponse>"
    )
    assert botocore_parse(response, None)["ResponseMetadata"]["RequestId"] == ctx.request_id


def test_edge_model_error_with_code_status_and_fields():
    theirs, _ = edge_models()
    ctx = edge_context()
    error = ServiceError("EdgeFault", "no <way>", Reason="because", Limits=["a", "b"])
    response = get_protocol("query").serialize_error(ctx, error)
    assert response.status == 409
    parsed = botocore_parse(response, None)
    error_part = {k: parsed["Error"][k] for k in ("Type", "Code", "Message", "Reason")}
    assert error_part == {"Type": "Sender", "Code": "Edge.Fault", "Message": "no <way>", "Reason": "because"}
    modelled = botocore_parse(response, theirs.shape_for_error_code("Edge.Fault"))
    assert modelled == {"Reason": "because", "Limits": ["a", "b"]}
    # The code a service raises may be the query code too.
    assert get_protocol("query").serialize_error(ctx, ServiceError("Edge.Fault", "x")).status == 409


def test_unmodelled_errors():
    ctx = edge_context()
    response = get_protocol("query").serialize_error(ctx, ServiceError("Throttling", "slow down", 400))
    assert botocore_parse(response, None)["Error"] == {"Type": "Sender", "Code": "Throttling", "Message": "slow down"}
    response = get_protocol("query").serialize_error(ctx, ServiceError("InternalFailure", "oops", 500))
    assert response.status == 500
    assert botocore_parse(response, None)["Error"]["Type"] == "Receiver"


def test_sqs_without_namespace_in_its_model_answers_in_its_query_namespace():
    ctx = roundtrip.context("sqs", "GetQueueUrl", "query")
    response = get_protocol("query").serialize(ctx, ctx.operation, {"QueueUrl": "http://q"})
    assert (
        b'<GetQueueUrlResponse xmlns="http://queue.amazonaws.com/doc/2012-11-05/"><GetQueueUrlResult><QueueUrl>'
        in response.body
    )


# --- malformed input ----------------------------------------------------------------------------


def form_request(body: bytes, query: str = "") -> Request:
    headers = {"content-type": "application/x-www-form-urlencoded; charset=utf-8"}
    return Request("POST", "/", query, headers, body=body)


def parse_form(body: bytes, query: str = "") -> dict:
    _, ours = edge_models()
    return get_protocol("query").parse(form_request(body, query), ours.operation("Edge"))


@pytest.mark.parametrize(
    ("body", "query"),
    [
        (b"Action=Edge&Version=2020-01-01&Str=%ZZ", ""),
        (b"Action=Edge&Version=2020-01-01&Str=abc%", ""),
        (b"Action=Edge&Version=2020-01-01&Str=%E9t%E9", ""),  # latin-1, not UTF-8
        (b"Action=Edge&Version=2020-01-01&Str=\xff\xfe", ""),
        (b"Action=Edge&Version=2020-01-01", "Str=%G1"),
        (b"Action=Edge&Version=2020-01-01", "Str=%C3"),
    ],
    ids=["bad hex", "truncated escape", "escaped latin-1", "raw invalid utf-8", "query bad hex", "query cut utf-8"],
)
def test_malformed_encoding_is_malformed_query_string(body, query):
    with pytest.raises(ServiceError) as caught:
        parse_form(body, query)
    assert caught.value.code == "MalformedQueryString"
    assert caught.value.status == 404  # as AWS documents it among the common errors


def test_unknown_parameters_are_ignored():
    # AWS ignores parameters it does not know (SigV4 query authentication rides in
    # the same parameters: a presigned STS GetCallerIdentity carries X-Amz-*).
    body = (
        b"Action=Edge&Version=2020-01-01&Str=s&Bogus=1&Str.Sub=2&Pair.Nope=3&Strings.member.x=4&Strings.member.1=a"
        b"&Strings.bogus.1=b&Map.entry.1.key=k&Map.entry.1.value=v&Map.entry.1.extra=e&Int.1=5"
        b"&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=abc"
    )
    assert parse_form(body) == {"Str": "s", "Pair": {}, "Strings": ["a"], "Map": {"k": "v"}}


def test_query_string_and_body_are_merged():
    assert parse_form(b"Action=Edge&Version=2020-01-01&Int=3", "Str=q%20s") == {"Str": "q s", "Int": 3}


def test_lists_are_read_in_index_order():
    body = b"Action=Edge&Version=2020-01-01&Strings.member.10=j&Strings.member.2=b&Strings.member.1=a"
    assert parse_form(body) == {"Strings": ["a", "b", "j"]}


def test_booleans_ignore_case():
    assert parse_form(b"Bool=TRUE") == {"Bool": True}
    assert parse_form(b"Bool=False") == {"Bool": False}


WRONG_TYPES = [
    "Int=abc", "Int=1.5", "Int=", "Int=2147483648", "Long=1e3", "Double=1%2C5", "Double=nan", "Bool=yes",
    "Bool=1", "Blob=%21%21%21", "Time=yesterday", "Time=2026-02-30T00%3A00%3A00Z", "UnixTime=soon",
    "Strings.member.1=a&Lists.member.1.member.1=ok&Pair.N=x", "Map.entry.1.value=v",
    "NamedMap.entry.1.Name=n&NamedMap.entry.1.Val.N=NaN",
]


@pytest.mark.parametrize("params", WRONG_TYPES)
def test_values_that_do_not_fit_their_type_are_malformed_input(params):
    with pytest.raises(ServiceError) as caught:
        parse_form(b"Action=Edge&Version=2020-01-01&" + params.encode())
    assert (caught.value.code, caught.value.status) == ("MalformedInput", 400)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ("Int=abc", "Invalid value 'abc' for parameter Int: expected an integer."),
        ("Pair.N=x", "Invalid value 'x' for parameter Pair.N: expected an integer."),
        ("Lists.member.2.member.1=a&Pairs.member.3.N=1.5", "Invalid value '1.5' for parameter Pairs.member.3.N: "
         "expected an integer."),
        ("NamedMap.entry.1.Name=n&NamedMap.entry.1.Val.N=NaN",
         "Invalid value 'NaN' for parameter NamedMap.entry.1.Val.N: expected an integer."),
        ("FlatMap.2.V.member.1=x", "The parameter FlatMap.2.K is missing."),
        ("FlatPairs.1.N=y", "Invalid value 'y' for parameter FlatPairs.1.N: expected an integer."),
    ],
)
def test_type_errors_name_the_parameter_as_sent(params, message):
    with pytest.raises(ServiceError) as caught:
        parse_form(params.encode())
    assert caught.value.message == message


def test_deeply_nested_parameters_do_not_crash():
    deep = ".".join(["Child"] * 5000)
    with pytest.raises(ServiceError) as caught:
        parse_form(f"Node.{deep}.Value=x".encode())
    assert caught.value.code == "MalformedInput"
    assert parse_form(f"Unknown.{deep}=x".encode()) == {}


def test_a_request_without_parameters_parses_to_nothing():
    assert parse_form(b"") == {}
    assert parse_form(b"Action=Edge&Version=2020-01-01") == {}


# --- speed ----------------------------------------------------------------------------------------


def test_random_forms_only_ever_raise_service_errors():
    import random

    rng = random.Random(7)
    atoms = ["Str", "Int", "Bool", "Map", "Strings", "Lists", "Items", "Item", "FlatMap", "NamedMap", "Node",
             "Child", "Pair", "member", "entry", "key", "value", "K", "V", "Name", "Val", "1", "2", "0", "",
             ".", "=", "&", "%", "%2", "%C3", "%41", "+", "true", "x", "é", "NaN", "-1"]
    for _ in range(3000):
        body = "".join(rng.choice(atoms) for _ in range(rng.randint(1, 12))).encode()
        try:
            parse_form(body)
        except ServiceError:
            pass
