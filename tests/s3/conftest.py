from __future__ import annotations

import pytest

from tests.s3.support import unique


@pytest.fixture
def s3(cloudlet):
    return cloudlet.client("s3")


@pytest.fixture
def bucket(s3) -> str:
    name = unique()
    s3.create_bucket(Bucket=name)
    return name


@pytest.fixture(scope="module")
def private():
    """A server of this module's own, for tests that move the clock by days."""
    from cloudlet.testing import cloudlet_server

    with cloudlet_server() as cloud:
        yield cloud
