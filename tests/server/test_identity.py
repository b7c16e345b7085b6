"""The account comes from the access key and the region from the signature, for every call."""

from __future__ import annotations

import pytest


@pytest.fixture
def seen(cloudlet):  # noqa: ANN001, ANN201
    """What the gateway's observers (the hook CloudTrail and metrics use) are told of each call."""
    calls: list[tuple[str, str, str, str]] = []

    def observe(ctx, response) -> None:  # noqa: ANN001
        calls.append((ctx.service.name, ctx.operation.name if ctx.operation else "", ctx.account, ctx.region))

    observers = cloudlet.server.app.observers
    observers.append(observe)
    yield calls
    observers.remove(observe)


@pytest.mark.parametrize("region", ["us-east-1", "eu-west-3", "ap-southeast-2"])
def test_region_comes_from_the_signature(cloudlet, seen, region) -> None:  # noqa: ANN001
    cloudlet.client("dynamodb", region=region).describe_limits()
    cloudlet.client("sts", region=region).get_caller_identity()
    assert seen == [
        ("dynamodb", "DescribeLimits", "000000000000", region),
        ("sts", "GetCallerIdentity", "000000000000", region),
    ]


def test_account_comes_from_the_access_key(cloudlet, seen) -> None:  # noqa: ANN001
    cloudlet.client("dynamodb", aws_access_key_id="123412341234", aws_secret_access_key="x").describe_limits()
    cloudlet.client("dynamodb", aws_access_key_id="ABCDEFGHIJKL", aws_secret_access_key="x").describe_limits()
    assert [call[2] for call in seen] == ["123412341234", "000000000000"]
