"""DynamoDB test helpers: a client, tables with unique names, and error assertions."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

UNVALIDATED = Config(parameter_validation=False, retries={"max_attempts": 1})
_names = itertools.count()


def unique(prefix: str = "t") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}-{next(_names)}"


def error_of(call: Callable[..., Any], **params: Any) -> tuple[str, str]:
    """(code, message) of the ClientError a call raises."""
    with pytest.raises(ClientError) as excinfo:
        call(**params)
    error = excinfo.value.response["Error"]
    return error["Code"], error["Message"]


def validation(call: Callable[..., Any], **params: Any) -> str:
    code, message = error_of(call, **params)
    assert code == "ValidationException", (code, message)
    return message


@pytest.fixture(scope="session")
def ddb(cloudlet) -> Any:  # noqa: ANN001
    return cloudlet.client("dynamodb")


@pytest.fixture(scope="session")
def raw(cloudlet) -> Any:  # noqa: ANN001
    """A client that sends what it is given (no botocore parameter validation)."""
    return cloudlet.client("dynamodb", config=UNVALIDATED)


def create(ddb: Any, name: str | None = None, *, hash_key: tuple[str, str] = ("pk", "S"),
           range_key: tuple[str, str] | None = None, extra: list[tuple[str, str]] = (), wait: bool = True,
           **options: Any) -> str:
    """Create a table (on-demand unless told otherwise) and wait until it is ACTIVE."""
    name = name or unique()
    definitions = [{"AttributeName": hash_key[0], "AttributeType": hash_key[1]}]
    schema = [{"AttributeName": hash_key[0], "KeyType": "HASH"}]
    if range_key:
        definitions.append({"AttributeName": range_key[0], "AttributeType": range_key[1]})
        schema.append({"AttributeName": range_key[0], "KeyType": "RANGE"})
    definitions += [{"AttributeName": n, "AttributeType": t} for n, t in extra]
    if "ProvisionedThroughput" not in options:
        options.setdefault("BillingMode", "PAY_PER_REQUEST")
    ddb.create_table(TableName=name, AttributeDefinitions=definitions, KeySchema=schema, **options)
    if wait:
        ddb.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 10})
    return name


@pytest.fixture
def table(ddb: Any) -> Iterator[str]:
    """A hash-key table (pk: S)."""
    name = create(ddb)
    yield name
    ddb.delete_table(TableName=name)


@pytest.fixture
def composite(ddb: Any) -> Iterator[str]:
    """A table keyed pk (S) + sk (S)."""
    name = create(ddb, range_key=("sk", "S"))
    yield name
    ddb.delete_table(TableName=name)


@pytest.fixture
def numbered(ddb: Any) -> Iterator[str]:
    """A table keyed pk (S) + n (N)."""
    name = create(ddb, range_key=("n", "N"))
    yield name
    ddb.delete_table(TableName=name)
