"""Garbage in, DynamoDB's errors out: generated values and expressions never get a 500 or a hang.

Requests go through botocore with its parameter validation off, so wrongly typed and
malformed values reach the server; anything botocore itself cannot serialize is skipped.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, ParamValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.dynamodb.conftest import create

TYPES = ["S", "N", "B", "BOOL", "NULL", "M", "L", "SS", "NS", "BS", "X"]
junk = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.text(max_size=6), st.binary(max_size=4),
                 st.sampled_from(["1e400", "-0", "NaN", "1.5E2", "", " 1", "0x10", "9" * 40, "1E-131"]))
values = st.recursive(
    st.dictionaries(st.sampled_from(TYPES), junk, max_size=2),
    lambda inner: st.one_of(
        st.dictionaries(st.sampled_from(["M", "L", "SS", "NS"]), st.one_of(
            st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=3), inner, max_size=3),
            st.lists(junk, max_size=3)), min_size=1, max_size=1),
    ),
    max_leaves=6,
)
items = st.dictionaries(st.sampled_from(["pk", "sk", "a", "b", "", "#", "status"]), values, max_size=4)
TOKENS = ["pk", "sk", "a", "b.c", "l[0]", "#n", ":v", ":w", "=", "<>", "<", ">=", "AND", "OR", "NOT", "(", ")", ",",
          "BETWEEN", "IN", "size(", "begins_with(", "contains(", "attribute_exists(", "SET", "REMOVE", "ADD",
          "DELETE", "+", "-", "if_not_exists(", "list_append(", "[", "]", "!", "'x'", "5", " "]
soup = st.lists(st.sampled_from(TOKENS), max_size=14).map(" ".join)
STATEMENT_TOKENS = ["SELECT", "*", "FROM", "INSERT INTO", "VALUE", "UPDATE", "DELETE FROM", "SET", "REMOVE", "WHERE",
                    "pk", "=", "?", "'v'", "{", "}", "'pk'", ":", "<<", ">>", "[", "]", ",", "AND", "OR", "RETURNING",
                    "ALL OLD *", "EXISTS(", ")", "IS MISSING", "1", "-", "\"tbl\"", "\"tbl\".\"idx\""]
statements = st.lists(st.sampled_from(STATEMENT_TOKENS), max_size=14).map(" ".join)


@pytest.fixture(scope="module")
def target(cloudlet) -> Iterator[tuple[Any, str]]:  # noqa: ANN001
    client = cloudlet.client("dynamodb", config=Config(parameter_validation=False, retries={"max_attempts": 1}))
    name = create(client, range_key=("sk", "N"), extra=[("g", "S")],
                  GlobalSecondaryIndexes=[{"IndexName": "idx", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                           "Projection": {"ProjectionType": "ALL"}}],
                  StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})
    yield client, name
    client.delete_table(TableName=name)


def _send(call: Any, **params: Any) -> None:
    try:
        call(**params)
    except (ParamValidationError, TypeError, ValueError, AttributeError, KeyError):
        return  # botocore could not even serialize it
    except ClientError as e:
        status = e.response["ResponseMetadata"]["HTTPStatusCode"]
        assert status < 500, e.response
        assert e.response["Error"]["Code"] != "InternalFailure"


FUZZ = settings(max_examples=60, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


@FUZZ
@given(items, st.dictionaries(st.sampled_from([":v", ":w", "v"]), values, max_size=2), soup)
def test_writes(target, item: dict, bound: dict, expression: str) -> None:  # noqa: ANN001
    client, name = target
    _send(client.put_item, TableName=name, Item=item)
    _send(client.put_item, TableName=name, Item={"pk": {"S": "k"}, "sk": {"N": "1"}, **item},
          ConditionExpression=expression or "a = :v", ExpressionAttributeValues=bound or {":v": {"S": "x"}})
    _send(client.update_item, TableName=name, Key={"pk": {"S": "k"}, "sk": {"N": "1"}}, UpdateExpression=expression,
          ExpressionAttributeValues=bound, ExpressionAttributeNames={"#n": "n"})
    _send(client.transact_write_items, TransactItems=[{"Put": {"TableName": name, "Item": item}},
                                                      {"Update": {"TableName": name, "Key": item or {"pk": {"S": "k"}},
                                                                  "UpdateExpression": expression}}])


@FUZZ
@given(soup, soup, st.dictionaries(st.sampled_from([":v", ":w"]), values, max_size=2), st.booleans())
def test_reads(target, key_condition: str, projection: str, bound: dict, on_index: bool) -> None:  # noqa: ANN001
    client, name = target
    extra = {"IndexName": "idx"} if on_index else {}
    _send(client.query, TableName=name, KeyConditionExpression=key_condition, FilterExpression=projection or "a = :v",
          ExpressionAttributeValues=bound, **extra)
    _send(client.scan, TableName=name, ProjectionExpression=projection, Limit=3, **extra)
    _send(client.get_item, TableName=name, Key={"pk": {"S": "k"}, "sk": {"N": "1"}}, ProjectionExpression=projection)


@FUZZ
@given(statements, st.lists(values, max_size=2))
def test_partiql(target, statement: str, parameters: list) -> None:  # noqa: ANN001
    client, name = target
    statement = statement.replace("tbl", name)
    _send(client.execute_statement, Statement=statement, Parameters=parameters)
    _send(client.execute_transaction, TransactStatements=[{"Statement": statement}])
