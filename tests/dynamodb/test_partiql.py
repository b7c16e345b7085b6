"""PartiQL: ExecuteStatement, BatchExecuteStatement and ExecuteTransaction through boto3."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.dynamodb.conftest import create, error_of, validation


def run(ddb, statement: str, *parameters: dict, **options) -> dict:  # noqa: ANN001, ANN003
    if parameters:
        options["Parameters"] = list(parameters)
    return ddb.execute_statement(Statement=statement, **options)


def test_insert_select_update_delete(ddb, table) -> None:  # noqa: ANN001
    run(ddb, f"INSERT INTO \"{table}\" VALUE {{'pk': 'a', 'n': 1, 'tags': <<'x', 'y'>>, 'm': {{'k': [1, 'two', TRUE, NULL]}}}}")
    item = ddb.get_item(TableName=table, Key={"pk": {"S": "a"}})["Item"]
    assert item["n"] == {"N": "1"} and sorted(item["tags"]["SS"]) == ["x", "y"]
    assert item["m"] == {"M": {"k": {"L": [{"N": "1"}, {"S": "two"}, {"BOOL": True}, {"NULL": True}]}}}
    assert error_of(ddb.execute_statement, Statement=f"INSERT INTO \"{table}\" VALUE {{'pk': 'a'}}") == (
        "DuplicateItemException", "Duplicate primary key exists in table")
    assert run(ddb, f'SELECT * FROM "{table}" WHERE pk = ?', {"S": "a"})["Items"] == [item]
    assert run(ddb, f'SELECT n, m.k FROM "{table}" WHERE pk = \'a\'')["Items"] == [
        {"n": {"N": "1"}, "k": item["m"]["M"]["k"]}]
    updated = run(ddb, f"UPDATE \"{table}\" SET n = n + 1 SET extra = 'e' REMOVE tags WHERE pk = 'a' "
                       "RETURNING ALL NEW *")
    assert updated["Items"][0]["n"] == {"N": "2"} and "tags" not in updated["Items"][0]
    assert error_of(ddb.execute_statement, Statement=f"UPDATE \"{table}\" SET n = 5 WHERE pk = 'missing'")[0] == (
        "ConditionalCheckFailedException")
    assert error_of(ddb.execute_statement, Statement=f"UPDATE \"{table}\" SET n = 5 WHERE pk = 'a' AND n = 99")[0] \
        == "ConditionalCheckFailedException"
    deleted = run(ddb, f"DELETE FROM \"{table}\" WHERE pk = 'a' RETURNING ALL OLD *")
    assert deleted["Items"][0]["extra"] == {"S": "e"}
    assert "Item" not in ddb.get_item(TableName=table, Key={"pk": {"S": "a"}})
    run(ddb, f"DELETE FROM \"{table}\" WHERE pk = 'a'")  # nothing to delete: no error
    run(ddb, f"INSERT INTO \"{table}\" VALUE {{'pk': 'a', 'again': true}}")


def test_select_queries_a_partition_or_scans(ddb, composite) -> None:  # noqa: ANN001
    for i in range(6):
        ddb.put_item(TableName=composite, Item={"pk": {"S": "p"}, "sk": {"S": f"s{i}"}, "n": {"N": str(i)}})
    ddb.put_item(TableName=composite, Item={"pk": {"S": "q"}, "sk": {"S": "s0"}, "n": {"N": "10"}})
    rows = run(ddb, f"SELECT sk FROM \"{composite}\" WHERE pk = 'p' AND n >= 2 AND begins_with(sk, 's')")["Items"]
    assert [r["sk"]["S"] for r in rows] == ["s2", "s3", "s4", "s5"]
    assert len(run(ddb, f'SELECT * FROM "{composite}" WHERE n > 4')["Items"]) == 2
    assert len(run(ddb, f"SELECT * FROM \"{composite}\" WHERE pk IN ['p', 'q'] AND sk = 's0'")["Items"]) == 2
    assert len(run(ddb, f"SELECT * FROM \"{composite}\" WHERE n BETWEEN 1 AND 3 OR pk = 'q'")["Items"]) == 4
    assert run(ddb, f"SELECT * FROM \"{composite}\" WHERE pk = 'p' AND missing_attr IS MISSING")["Items"]
    page = run(ddb, f"SELECT * FROM \"{composite}\" WHERE pk = 'p'", Limit=4)
    assert len(page["Items"]) == 4 and "NextToken" in page
    rest = run(ddb, f"SELECT * FROM \"{composite}\" WHERE pk = 'p'", NextToken=page["NextToken"])
    assert len(rest["Items"]) == 2 and "NextToken" not in rest
    counted = run(ddb, f"SELECT * FROM \"{composite}\" WHERE pk = 'p'", ReturnConsumedCapacity="TOTAL")
    assert counted["ConsumedCapacity"]["CapacityUnits"] == 0.5


def test_statement_errors(ddb, raw, table) -> None:  # noqa: ANN001
    message = validation(raw.execute_statement, Statement=f'SELECTT * FROMM "{table}"')
    assert message.startswith("Statement wasn't well formed, can't be processed")
    assert validation(raw.execute_statement, Statement=f'SELECT * FROM "{table}') .startswith(
        "Statement wasn't well formed, can't be processed")
    assert error_of(raw.execute_statement, Statement='SELECT * FROM "nope-table" WHERE pk = \'p\'')[0] == (
        "ResourceNotFoundException")
    assert validation(raw.execute_statement, Statement=f'SELECT * FROM "{table}"."nope" WHERE pk = \'p\'') == (
        "The table does not have the specified index")
    assert validation(raw.execute_statement, Statement=f'SELECT * FROM "{table}"."a"."b"') == (
        "A path may contain at most 2 components in the FROM clause")
    assert validation(raw.execute_statement, Statement='SELECT * FROM ""') == "Path component cannot be an empty string"
    assert validation(raw.execute_statement, Statement=f"DELETE FROM \"{table}\" WHERE pk = 'x' RETURNING ALL NEW *") \
        == ("Invalid returning clause: RETURNING ALL NEW *. Only RETURNING ALL OLD * is allowed in DELETE statements.")
    assert validation(raw.execute_statement, Statement=f'UPDATE "{table}" SET a = 1 WHERE b = 2') == (
        "Where clause does not contain a mandatory equality on all key attributes")
    assert validation(raw.execute_statement, Statement=f"SELECT pk FROM \"{table}\" WHERE pk = 'x' AND val < ?",
                      Parameters=[{"BOOL": True}]) == (
        "Incorrect operand type for operator or function; operator or function: <, operand type: BOOL")


def test_batch_execute_statement(ddb, table) -> None:  # noqa: ANN001
    ddb.put_item(TableName=table, Item={"pk": {"S": "exists"}})
    result = ddb.batch_execute_statement(Statements=[
        {"Statement": f"INSERT INTO \"{table}\" VALUE {{'pk': 'b1'}}"},
        {"Statement": f"INSERT INTO \"{table}\" VALUE {{'pk': 'exists'}}"},
        {"Statement": f"UPDATE \"{table}\" SET v = ? WHERE pk = 'exists'", "Parameters": [{"N": "3"}]},
    ])["Responses"]
    assert "Error" not in result[0] and result[0]["TableName"] == table
    assert result[1]["Error"]["Code"] == "DuplicateItem"
    assert "Error" not in result[2]
    reads = ddb.batch_execute_statement(Statements=[
        {"Statement": f"SELECT * FROM \"{table}\" WHERE pk = 'exists'"},
        {"Statement": f"SELECT * FROM \"{table}\" WHERE pk = 'absent'"},
    ])["Responses"]
    assert reads[0]["Item"] == {"pk": {"S": "exists"}, "v": {"N": "3"}} and "Item" not in reads[1]


def test_a_batch_statement_that_cannot_run_fails_alone(ddb, table) -> None:  # noqa: ANN001
    ddb.put_item(TableName=table, Item={"pk": {"S": "kept"}})
    result = ddb.batch_execute_statement(Statements=[
        {"Statement": f"DELETE FROM \"{table}\" WHERE pk = 'kept' RETURNING MODIFIED OLD *"},
        {"Statement": "SLECT * FROM nowhere"},
        {"Statement": f"INSERT INTO \"{table}\" VALUE {{'pk': 'after'}}"},
    ])["Responses"]
    assert result[0]["Error"] == {"Code": "ValidationError", "Message": (
        "Invalid returning clause: RETURNING MODIFIED OLD *. Only RETURNING ALL OLD * is allowed in DELETE statements.")}
    assert result[1]["Error"] == {"Code": "ValidationError", "Message": (
        "Statement wasn't well formed, can't be processed: Expected data manipulation")}
    assert "Error" not in result[2]
    assert "Item" in ddb.get_item(TableName=table, Key={"pk": {"S": "kept"}})  # the refused DELETE deleted nothing
    assert "Item" in ddb.get_item(TableName=table, Key={"pk": {"S": "after"}})


def test_execute_transaction(ddb, table) -> None:  # noqa: ANN001
    ddb.put_item(TableName=table, Item={"pk": {"S": "u"}, "data": {"S": "before"}})
    ddb.execute_transaction(TransactStatements=[
        {"Statement": f"INSERT INTO \"{table}\" VALUE {{'pk': 'i'}}"},
        {"Statement": f"UPDATE \"{table}\" SET data = 'after' WHERE pk = 'u'"},
    ])
    assert ddb.get_item(TableName=table, Key={"pk": {"S": "u"}})["Item"]["data"] == {"S": "after"}
    with pytest.raises(ClientError) as excinfo:
        ddb.execute_transaction(TransactStatements=[
            {"Statement": f"INSERT INTO \"{table}\" VALUE {{'pk': 'i'}}"},
            {"Statement": f"INSERT INTO \"{table}\" VALUE {{'pk': 'fresh'}}"},
            {"Statement": f"EXISTS(SELECT * FROM \"{table}\" WHERE pk = 'u' AND data = 'after')"},
        ])
    assert excinfo.value.response["Error"]["Code"] == "TransactionCanceledException"
    assert [r["Code"] for r in excinfo.value.response["CancellationReasons"]] == ["DuplicateItem", "None", "None"]
    assert "Item" not in ddb.get_item(TableName=table, Key={"pk": {"S": "fresh"}})
    assert validation(ddb.execute_transaction, TransactStatements=[
        {"Statement": f"UPDATE \"{table}\" SET data = 'x' WHERE pk = 'u' RETURNING ALL NEW *"}]) == (
        "Validation failed in TransactStatements[0]: RETURNING clause is not supported in ExecuteTransaction.")
    reads = ddb.execute_transaction(TransactStatements=[
        {"Statement": f"SELECT data FROM \"{table}\" WHERE pk = 'u'"},
        {"Statement": f"SELECT * FROM \"{table}\" WHERE pk = 'nothing'"},
    ], ReturnConsumedCapacity="TOTAL")
    assert reads["Responses"] == [{"Item": {"data": {"S": "after"}}}, {}]
    assert reads["ConsumedCapacity"][0]["ReadCapacityUnits"] == 4.0
    token = {"ClientRequestToken": "partiql-token", "ReturnConsumedCapacity": "TOTAL",
             "TransactStatements": [{"Statement": f"UPDATE \"{table}\" SET n = 1 WHERE pk = 'u'"}]}
    first = ddb.execute_transaction(**token)
    replay = ddb.execute_transaction(**token)
    assert first["ConsumedCapacity"][0]["WriteCapacityUnits"] == 2.0
    assert replay["ConsumedCapacity"][0]["ReadCapacityUnits"] == 2.0


def test_index_reads_and_their_errors(ddb) -> None:  # noqa: ANN001
    name = create(ddb, extra=[("g", "S")], GlobalSecondaryIndexes=[
        {"IndexName": "by-g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
         "Projection": {"ProjectionType": "KEYS_ONLY"}}])
    ddb.put_item(TableName=name, Item={"pk": {"S": "1"}, "g": {"S": "G"}, "x": {"S": "hidden"}})
    rows = run(ddb, f"SELECT * FROM \"{name}\".\"by-g\" WHERE g = 'G'")["Items"]
    assert rows == [{"pk": {"S": "1"}, "g": {"S": "G"}}]
    assert validation(ddb.execute_statement, Statement=f"SELECT * FROM \"{name}\".\"by-g\" WHERE g = 'G'",
                      ConsistentRead=True) == "Strongly consistent read is not supported on Global Secondary Indexes"
    assert validation(ddb.execute_statement, Statement=f"SELECT pk FROM \"{name}\".\"by-g\" WHERE g = 'G' AND x = 'y'") \
        == ("One or more parameter values were invalid: Secondary index by-g does not project one or more filter "
            "attributes: [x]")
    assert validation(ddb.execute_statement, Statement=f"SELECT x FROM \"{name}\".\"by-g\" WHERE g = 'G'") == (
        "One or more parameter values were invalid: Global secondary index by-g does not project [x]")
    assert validation(ddb.execute_transaction, TransactStatements=[
        {"Statement": f"SELECT * FROM \"{name}\".\"by-g\" WHERE g = 'G'"}]) == (
        "Validation failed in TransactStatements[0]: Reads on indices are not supported within transactions.")
    ddb.delete_table(TableName=name)
