"""Bugs the protocol fuzzer (test_fuzz.py) found, each pinned by the request that found it."""

from __future__ import annotations

import json

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
