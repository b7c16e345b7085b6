"""Services calling services in-process: Runtime.call validates and dispatches like the gateway."""

from __future__ import annotations

import asyncio

import pytest

from cloudlet.config import Config
from cloudlet.protocol.errors import ServiceError
from cloudlet.runtime import Runtime
from tests.support.unbuilt import unbuilt_without_inputs


def run_with_runtime(body):  # noqa: ANN001, ANN201
    async def main():  # noqa: ANN202
        runtime = Runtime(Config(ephemeral=True))
        await runtime.start()
        try:
            return await body(runtime)
        finally:
            await runtime.stop()

    return asyncio.run(main())


def test_call_runs_the_provider_as_the_given_account() -> None:
    async def body(runtime: Runtime) -> dict:
        return await runtime.call("sts", "GetCallerIdentity", {}, account="123456789012", region="eu-west-1")

    assert run_with_runtime(body)["Arn"] == "arn:aws:iam::123456789012:root"


def test_call_validates_and_reports_unbuilt_operations() -> None:
    async def invalid(runtime: Runtime) -> None:
        await runtime.call("sts", "AssumeRole", {"RoleSessionName": "x1"}, account="1", region="us-east-1")

    with pytest.raises(ServiceError) as excinfo:
        run_with_runtime(invalid)
    assert excinfo.value.code == "ValidationError" and "roleArn" in excinfo.value.message

    operation = unbuilt_without_inputs("dynamodb")

    async def call_unbuilt(runtime: Runtime) -> None:
        await runtime.call("dynamodb", operation, {}, account="1", region="us-east-1")

    with pytest.raises(ServiceError) as excinfo:
        run_with_runtime(call_unbuilt)
    assert (excinfo.value.code, excinfo.value.status) == ("NotImplemented", 501)
    assert operation in excinfo.value.message
