"""SQS tests share one private server: they move its clock a lot (retention, dedup windows, the
60-second rules), which must not age the state of other services' tests on the session server."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from typing import Any

import botocore.session
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from cloudlet.testing import Cloudlet, cloudlet_server

QUERY_DATA = os.path.join(os.path.dirname(__file__), "data")  # SQS's query-era botocore model
_names = itertools.count()


@pytest.fixture(scope="package")
def cloud() -> Iterator[Cloudlet]:
    with cloudlet_server() as server:
        yield server


@pytest.fixture(scope="package")
def sqs(cloud: Cloudlet) -> Any:
    return cloud.client("sqs")


def query_client(cloud: Cloudlet, region: str = "us-east-1", **options: Any) -> Any:
    """A client that speaks SQS's query protocol, as SDKs did before SQS moved to json."""
    session = botocore.session.get_session()
    session.get_component("data_loader").search_paths.insert(0, QUERY_DATA)
    return session.create_client(
        "sqs", endpoint_url=cloud.endpoint, region_name=region, aws_access_key_id="test",
        aws_secret_access_key="test", config=Config(retries={"max_attempts": 1}), **options,
    )


@pytest.fixture(scope="package")
def unchecked(cloud: Cloudlet) -> Any:
    """A client that sends what it is given (botocore's own checks off), to see the server's."""
    return cloud.client("sqs", config=Config(parameter_validation=False, retries={"max_attempts": 1}))


@pytest.fixture(scope="package")
def sqs_query(cloud: Cloudlet) -> Any:
    client = query_client(cloud)
    assert client.meta.service_model.protocol == "query"
    return client


def unique(prefix: str = "q") -> str:
    return f"{prefix}-{os.getpid()}-{next(_names)}"


@pytest.fixture
def queue(sqs: Any) -> str:
    """A new standard queue's URL."""
    return sqs.create_queue(QueueName=unique())["QueueUrl"]


@pytest.fixture
def fifo(sqs: Any) -> str:
    return sqs.create_queue(QueueName=unique("f") + ".fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]


def error_of(excinfo: pytest.ExceptionInfo) -> tuple[str, str, int]:
    response = excinfo.value.response
    return response["Error"]["Code"], response["Error"]["Message"], response["ResponseMetadata"]["HTTPStatusCode"]


def fails(call: Any, **kwargs: Any) -> tuple[str, str, int]:
    """Call and return (code, message, status) of the ClientError it must raise."""
    with pytest.raises(ClientError) as excinfo:
        call(**kwargs)
    return error_of(excinfo)
