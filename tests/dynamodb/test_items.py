"""PutItem, GetItem, UpdateItem and DeleteItem through boto3: return values, conditions and their errors."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.dynamodb.conftest import error_of, validation


def test_put_get_delete_round_trip_every_type(ddb, table) -> None:  # noqa: ANN001
    item = {
        "pk": {"S": "all"}, "s": {"S": "text"}, "n": {"N": "42"}, "b": {"B": b"\x00\xff"},
        "bool": {"BOOL": True}, "null": {"NULL": True}, "ss": {"SS": ["a", "b"]}, "ns": {"NS": ["1", "2.5"]},
        "bs": {"BS": [b"x", b"y"]}, "l": {"L": [{"S": "x"}, {"N": "1"}, {"M": {"deep": {"BOOL": False}}}]},
        "m": {"M": {"k": {"S": "v"}, "empty": {"S": ""}}},
    }
    assert "Attributes" not in ddb.put_item(TableName=table, Item=item)
    got = ddb.get_item(TableName=table, Key={"pk": {"S": "all"}}, ConsistentRead=True)["Item"]
    assert got == item
    old = ddb.put_item(TableName=table, Item={"pk": {"S": "all"}}, ReturnValues="ALL_OLD")["Attributes"]
    assert old == item
    deleted = ddb.delete_item(TableName=table, Key={"pk": {"S": "all"}}, ReturnValues="ALL_OLD")
    assert deleted["Attributes"] == {"pk": {"S": "all"}}
    assert "Item" not in ddb.get_item(TableName=table, Key={"pk": {"S": "all"}})
    assert "Attributes" not in ddb.delete_item(TableName=table, Key={"pk": {"S": "all"}}, ReturnValues="ALL_OLD")


def test_projection_expression_on_get_item(ddb, table) -> None:  # noqa: ANN001
    ddb.put_item(TableName=table, Item={
        "pk": {"S": "p"}, "a": {"S": "1"}, "l": {"L": [{"S": "x"}, {"S": "y"}, {"S": "z"}]},
        "m": {"M": {"b": {"N": "1"}, "c": {"N": "2"}}}, "status": {"S": "on"},
    })
    got = ddb.get_item(TableName=table, Key={"pk": {"S": "p"}}, ProjectionExpression="a, l[2], l[0], m.c, #s",
                       ExpressionAttributeNames={"#s": "status"})["Item"]
    assert got == {"a": {"S": "1"}, "l": {"L": [{"S": "x"}, {"S": "z"}]}, "m": {"M": {"c": {"N": "2"}}},
                   "status": {"S": "on"}}
    assert validation(ddb.get_item, TableName=table, Key={"pk": {"S": "p"}}, ProjectionExpression="status") == (
        "Invalid ProjectionExpression: Attribute name is a reserved keyword; reserved keyword: status")
    assert validation(ddb.get_item, TableName=table, Key={"pk": {"S": "p"}},
                      ProjectionExpression="!!! INVALID !!!") == (
        'Invalid ProjectionExpression: Syntax error; token: "!", near: "!!"')
    assert validation(ddb.get_item, TableName=table, Key={"pk": {"S": "p"}}, ProjectionExpression="a, a.b") == (
        "Invalid ProjectionExpression: Two document paths overlap with each other; must remove or rewrite one of these "
        "paths; path one: [a], path two: [a, b]")
    assert validation(ddb.get_item, TableName=table, Key={"pk": {"S": "p"}}, ProjectionExpression="a",
                      ExpressionAttributeNames={"#x": "x"}) == (
        "Value provided in ExpressionAttributeNames unused in expressions: keys: {#x}")
    assert ddb.get_item(TableName=table, Key={"pk": {"S": "p"}}, AttributesToGet=["a"])["Item"] == {"a": {"S": "1"}}


def test_key_validation(ddb, composite, raw) -> None:  # noqa: ANN001
    assert validation(ddb.get_item, TableName=composite, Key={"pk": {"S": "a"}}) == (
        "The provided key element does not match the schema")
    assert validation(ddb.get_item, TableName=composite, Key={"pk": {"N": "1"}, "sk": {"S": "a"}}) == (
        "The provided key element does not match the schema")
    assert validation(ddb.get_item, TableName=composite, Key={"pk": {"S": ""}, "sk": {"S": "a"}}) == (
        "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty "
        "string value. Key: pk")
    assert validation(ddb.put_item, TableName=composite, Item={"pk": {"S": "a"}}) == (
        "One or more parameter values were invalid: Missing the key sk in the item")
    assert validation(ddb.put_item, TableName=composite, Item={"pk": {"N": "5"}, "sk": {"S": "a"}}) == (
        "One or more parameter values were invalid: Type mismatch for key pk expected: S actual: N")
    assert validation(ddb.put_item, TableName=composite, Item={"pk": {"S": "a" * 2049}, "sk": {"S": "a"}}) == (
        "One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of2048 bytes")
    assert validation(ddb.put_item, TableName=composite, Item={"pk": {"S": "a"}, "sk": {"S": "b" * 1025}}) == (
        "One or more parameter values were invalid: Aggregated size of all range keys has exceeded the size limit "
        "of 1024 bytes")
    ddb.put_item(TableName=composite, Item={"pk": {"S": "a" * 2048}, "sk": {"S": "b" * 1024}})
    assert validation(ddb.get_item, TableName=composite, Key={"pk": {"S": "a" * 2049}, "sk": {"S": "b"}}).startswith(
        "One or more parameter values were invalid: Size of hashkey")


def test_attribute_value_validation(raw, table) -> None:  # noqa: ANN001
    def put(value: dict) -> str:
        return validation(raw.put_item, TableName=table, Item={"pk": {"S": "v"}, "bad": value})

    assert put({}) == "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"
    assert put({"S": "a", "N": "1"}) == (
        "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes")
    assert put({"SS": []}) == "One or more parameter values were invalid: An string set  may not be empty"
    assert put({"NS": []}) == "One or more parameter values were invalid: An number set  may not be empty"
    assert put({"BS": []}) == "One or more parameter values were invalid: Binary sets should not be empty"
    assert put({"SS": ["a", "a"]}) == "One or more parameter values were invalid: Input collection [a, a] contains duplicates."
    assert "contains duplicates" in put({"NS": ["1", "1.0"]})
    assert put({"BS": [b"1", b"1"]}) == ("One or more parameter values were invalid: Input collection [MQ==, MQ==]of type BS "
                                        "contains duplicates.")
    assert put({"N": "abc"}) == "The parameter cannot be converted to a numeric value: abc"
    assert put({"M": {"in": {"SS": []}}}) == "One or more parameter values were invalid: An string set  may not be empty"
    assert put({"L": [{"SS": []}]}) == "One or more parameter values were invalid: An string set  may not be empty"


def test_documents_nest_at_most_32_levels(ddb, raw, table) -> None:  # noqa: ANN001
    def wrapped(levels: int, kind: str = "M") -> dict:
        value: dict = {"S": "leaf"}
        for _ in range(levels):
            value = {"M": {"n": value}} if kind == "M" else {"L": [value]}
        return value

    too_deep = ("1 validation error detected: Nesting Levels have exceeded supported limits: Attributes in the item "
                "have nested levels beyond supported limit")
    ddb.put_item(TableName=table, Item={"pk": {"S": "deep"}, "d": wrapped(31)})
    assert validation(raw.put_item, TableName=table, Item={"pk": {"S": "deeper"}, "d": wrapped(32)}) == too_deep
    assert validation(raw.put_item, TableName=table, Item={"pk": {"S": "deeper"}, "d": wrapped(32, "L")}) == too_deep
    assert validation(raw.batch_write_item, RequestItems={table: [
        {"PutRequest": {"Item": {"pk": {"S": "deeper"}, "d": wrapped(40)}}}]}) == too_deep
    assert "Item" not in ddb.get_item(TableName=table, Key={"pk": {"S": "deeper"}})


def test_null_false_and_empty_strings_are_accepted(ddb, table) -> None:  # noqa: ANN001
    ddb.put_item(TableName=table, Item={"pk": {"S": "n"}, "x": {"NULL": False}, "e": {"S": ""}, "eb": {"B": b""},
                                        "l": {"L": [{"S": ""}]}})
    got = ddb.get_item(TableName=table, Key={"pk": {"S": "n"}})["Item"]
    assert got["x"] == {"NULL": True} and got["e"] == {"S": ""} and got["eb"] == {"B": b""}


def test_conditions_on_put_and_delete(ddb, table) -> None:  # noqa: ANN001
    ddb.put_item(TableName=table, Item={"pk": {"S": "c"}, "v": {"N": "1"}}, ConditionExpression="attribute_not_exists(pk)")
    with pytest.raises(ClientError) as excinfo:
        ddb.put_item(TableName=table, Item={"pk": {"S": "c"}}, ConditionExpression="attribute_not_exists(pk)",
                     ReturnValuesOnConditionCheckFailure="ALL_OLD")
    error = excinfo.value.response
    assert error["Error"] == {"Code": "ConditionalCheckFailedException", "Message": "The conditional request failed"}
    assert error["Item"] == {"pk": {"S": "c"}, "v": {"N": "1"}}
    with pytest.raises(ClientError) as excinfo:
        ddb.delete_item(TableName=table, Key={"pk": {"S": "c"}}, ConditionExpression="v = :v",
                        ExpressionAttributeValues={":v": {"N": "2"}})
    assert "Item" not in excinfo.value.response
    ddb.delete_item(TableName=table, Key={"pk": {"S": "c"}}, ConditionExpression="v = :v",
                    ExpressionAttributeValues={":v": {"N": "1.0"}})
    assert "Item" not in ddb.get_item(TableName=table, Key={"pk": {"S": "c"}})
    # A condition on a missing item sees no attributes.
    assert error_of(ddb.delete_item, TableName=table, Key={"pk": {"S": "c"}},
                    ConditionExpression="attribute_exists(pk)")[0] == "ConditionalCheckFailedException"


def test_request_level_expression_rules(raw, table) -> None:  # noqa: ANN001
    assert validation(raw.put_item, TableName=table, Item={"pk": {"S": "a"}}, Expected={"pk": {"Exists": False}},
                      ConditionExpression="attribute_not_exists(pk)") == (
        "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: "
        "{Expected} Expression parameters: {ConditionExpression}")
    assert validation(raw.put_item, TableName=table, Item={"pk": {"S": "a"}},
                      ExpressionAttributeValues={":v": {"S": "x"}}) == (
        "ExpressionAttributeValues can only be specified when using expressions")
    assert validation(raw.put_item, TableName=table, Item={"pk": {"S": "a"}}, ConditionExpression="a = :v",
                      ExpressionAttributeValues={"v": {"S": "x"}}) == (
        'ExpressionAttributeValues contains invalid key: Syntax error; key: "v"')
    assert validation(raw.put_item, TableName=table, Item={"pk": {"S": "a"}}, ConditionExpression="#a = :v",
                      ExpressionAttributeNames={"a": "x"}, ExpressionAttributeValues={":v": {"S": "x"}}) == (
        'ExpressionAttributeNames contains invalid key: Syntax error; key: "a"')
    assert validation(raw.put_item, TableName=table, Item={"pk": {"S": "a"}}, ConditionExpression="a = :v",
                      ExpressionAttributeValues={":v": {"S": "x"}, ":u": {"S": "y"}}) == (
        "Value provided in ExpressionAttributeValues unused in expressions: keys: {:u}")
    assert validation(raw.put_item, TableName=table, Item={"pk": {"S": "a"}}, ConditionExpression="a = :v",
                      ExpressionAttributeValues={":v": {"NS": []}}) == (
        "ExpressionAttributeValues contains invalid value: One or more parameter values were invalid: An number set  "
        "may not be empty for key :v")
    assert validation(raw.put_item, TableName=table, Item={"pk": {"S": "a"}}, ReturnValues="ALL_NEW") == (
        "Return values set to invalid value")
    assert validation(raw.put_item, TableName=table, Item={"pk": {"S": "a"}},
                      ConditionExpression="((attribute_not_exists(pk)))") == (
        "Invalid ConditionExpression: The expression has redundant parentheses;")
    assert validation(raw.put_item, TableName=table, Item={"pk": {"S": "a"}},
                      ConditionExpression="contains(#a, #a)", ExpressionAttributeNames={"#a": "data"}) == (
        "Invalid ConditionExpression: The first operand must be distinct from the remaining operands for this "
        "operator or function; operator: contains, first operand: [data]")


def test_update_expressions(ddb, table) -> None:  # noqa: ANN001
    key = {"pk": {"S": "u"}}
    created = ddb.update_item(TableName=table, Key=key, UpdateExpression="SET n = :one, l = :l, m = :m, s = :ss",
                              ExpressionAttributeValues={":one": {"N": "1"}, ":l": {"L": [{"S": "a"}, {"S": "b"}]},
                                                         ":m": {"M": {"qty": {"N": "10"}}}, ":ss": {"SS": ["x", "y"]}},
                              ReturnValues="ALL_NEW")["Attributes"]
    assert created == {"pk": {"S": "u"}, "n": {"N": "1"}, "l": {"L": [{"S": "a"}, {"S": "b"}]},
                       "m": {"M": {"qty": {"N": "10"}}}, "s": {"SS": ["x", "y"]}}
    result = ddb.update_item(
        TableName=table, Key=key,
        UpdateExpression="SET n = n + :two, l = list_append(:front, l), m.qty = m.qty - :two, c = if_not_exists(c, :z) "
                         "ADD s :more, tally :two",
        ExpressionAttributeValues={":two": {"N": "2"}, ":front": {"L": [{"S": "f"}]}, ":z": {"N": "0"},
                                   ":more": {"SS": ["z"]}},
        ReturnValues="UPDATED_NEW",
    )["Attributes"]
    assert result["n"] == {"N": "3"} and result["m"] == {"M": {"qty": {"N": "8"}}} and result["c"] == {"N": "0"}
    assert result["tally"] == {"N": "2"} and sorted(result["s"]["SS"]) == ["x", "y", "z"]
    assert result["l"] == {"L": [{"S": "f"}, {"S": "a"}, {"S": "b"}]}
    deleted = ddb.update_item(TableName=table, Key=key, UpdateExpression="DELETE s :gone REMOVE l[0]",
                              ExpressionAttributeValues={":gone": {"SS": ["x", "y", "z"]}}, ReturnValues="ALL_NEW")
    assert "s" not in deleted["Attributes"]  # a set emptied by DELETE goes away
    assert deleted["Attributes"]["l"] == {"L": [{"S": "a"}, {"S": "b"}]}
    old = ddb.update_item(TableName=table, Key=key, UpdateExpression="REMOVE c", ReturnValues="UPDATED_OLD")
    assert old["Attributes"] == {"c": {"N": "0"}}
    everything = ddb.update_item(TableName=table, Key=key, UpdateExpression="SET x = :x",
                                 ExpressionAttributeValues={":x": {"BOOL": True}}, ReturnValues="ALL_OLD")
    assert "x" not in everything["Attributes"] and everything["Attributes"]["n"] == {"N": "3"}


def test_set_on_lists_and_maps(ddb, table) -> None:  # noqa: ANN001
    key = {"pk": {"S": "lists"}}
    ddb.put_item(TableName=table, Item={**key, "l": {"L": [{"S": "a"}, {"S": "b"}, {"S": "c"}, {"S": "d"}]},
                                        "m": {"M": {"keep": {"S": "k"}}}, "e": {"L": []}})
    ddb.update_item(TableName=table, Key=key, UpdateExpression="SET l[10] = :v, e[0] = :v, m.child = :v REMOVE l[1]",
                    ExpressionAttributeValues={":v": {"S": "new"}})
    item = ddb.get_item(TableName=table, Key=key)["Item"]
    assert [v["S"] for v in item["l"]["L"]] == ["a", "c", "d", "new"]
    assert item["e"] == {"L": [{"S": "new"}]}
    assert item["m"] == {"M": {"keep": {"S": "k"}, "child": {"S": "new"}}} and "m.child" not in item
    assert validation(ddb.update_item, TableName=table, Key=key, UpdateExpression="SET nope.deep = :v",
                      ExpressionAttributeValues={":v": {"S": "x"}}) == (
        "The document path provided in the update expression is invalid for update")


def test_update_errors(ddb, composite, raw) -> None:  # noqa: ANN001
    key = {"pk": {"S": "e"}, "sk": {"S": "1"}}
    ddb.put_item(TableName=composite, Item={**key, "s": {"S": "text"}})

    def update(expression: str, values: dict | None = None, names: dict | None = None) -> str:
        extra = {}
        if values is not None:
            extra["ExpressionAttributeValues"] = values
        if names is not None:
            extra["ExpressionAttributeNames"] = names
        return validation(raw.update_item, TableName=composite, Key=key, UpdateExpression=expression, **extra)

    assert update("SET sk = :v", {":v": {"S": "x"}}) == (
        "One or more parameter values were invalid: Cannot update attribute sk. This attribute is part of the key")
    assert update("INVALID SYNTAX HERE", {":v": {"S": "x"}}) == (
        'Invalid UpdateExpression: Syntax error; token: "INVALID", near: "INVALID SYNTAX"')
    assert update("ADD hits : incr", {":incr": {"N": "1"}}) == (
        'Invalid UpdateExpression: Syntax error; token: ":", near: "hits : incr"')
    assert update("SET a = :v") == (
        "Invalid UpdateExpression: An expression attribute value used in expression is not defined; attribute value: :v")
    assert update("SET #a = :v", {":v": {"S": "x"}}) == (
        "Invalid UpdateExpression: An expression attribute name used in the document path is not defined; "
        "attribute name: #a")
    assert update("") == "Invalid UpdateExpression: The expression can not be empty;"
    assert update("SET a = :v, a.b = :v", {":v": {"S": "x"}}) == (
        "Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these "
        "paths; path one: [a], path two: [a, b]")
    assert update("SET a = :v SET b = :v", {":v": {"S": "x"}}) == (
        'Invalid UpdateExpression: The "SET" section can only be used once in an update expression;')
    assert update("ADD a :v", {":v": {"S": "x"}}) == (
        "Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD, operand type: "
        "STRING, typeSet: ALLOWED_FOR_ADD_OPERAND")
    assert update("DELETE a :v", {":v": {"N": "1"}}) == (
        "Invalid UpdateExpression: Incorrect operand type for operator or function; operator: DELETE, operand type: "
        "NUMBER, typeSet: ALLOWED_FOR_DELETE_OPERAND")
    assert update("SET a = :v + :w", {":v": {"S": "x"}, ":w": {"N": "1"}}) == (
        "Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: +, "
        "operand type: S")
    assert update("SET a = list_append(:v)", {":v": {"L": []}}) == (
        "Invalid UpdateExpression: Incorrect number of operands for operator or function; operator or function: "
        "list_append, number of operands: 1")
    assert update("SET a = size(b)") == (
        "Invalid UpdateExpression: The function is not allowed in an update expression; function: size")
    assert update("SET a = s + :one", {":one": {"N": "1"}}) == (
        "An operand in the update expression has an incorrect data type")
    assert update("SET a = nothing") == (
        "The provided expression refers to an attribute that does not exist in the item")
    assert update("ADD s :one", {":one": {"N": "1"}}) == "An operand in the update expression has an incorrect data type"
    assert update("SET #s = :v", {":v": {"S": "x"}}, {"#s": "status", "#unused": "y"}) == (
        "Value provided in ExpressionAttributeNames unused in expressions: keys: {#unused}")
    assert validation(raw.update_item, TableName=composite, Key=key, UpdateExpression="SET a = :v",
                      ExpressionAttributeValues={":v": {"S": "x"}},
                      AttributeUpdates={"a": {"Value": {"S": "x"}, "Action": "PUT"}}) == (
        "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: "
        "{AttributeUpdates} Expression parameters: {UpdateExpression}")


def test_update_condition_and_return_values_on_failure(ddb, table) -> None:  # noqa: ANN001
    key = {"pk": {"S": "uc"}}
    ddb.put_item(TableName=table, Item={**key, "v": {"S": "original"}})
    with pytest.raises(ClientError) as excinfo:
        ddb.update_item(TableName=table, Key=key, UpdateExpression="SET v = :new", ConditionExpression="v = :old",
                        ExpressionAttributeValues={":new": {"S": "n"}, ":old": {"S": "wrong"}},
                        ReturnValuesOnConditionCheckFailure="ALL_OLD")
    assert excinfo.value.response["Error"]["Code"] == "ConditionalCheckFailedException"
    assert excinfo.value.response["Item"] == {**key, "v": {"S": "original"}}
    assert ddb.get_item(TableName=table, Key=key)["Item"]["v"] == {"S": "original"}


def test_numbers_are_exact_and_normalized(ddb, table) -> None:  # noqa: ANN001
    key = {"pk": {"S": "num"}}
    ddb.put_item(TableName=table, Item={**key, "a": {"N": "0042.1200"}, "b": {"N": "1E125"}, "c": {"N": "-0"},
                                        "d": {"N": "1.5E2"}, "big": {"N": "12345678901234567890123456789012345678"}})
    item = ddb.get_item(TableName=table, Key=key)["Item"]
    assert item["a"] == {"N": "42.12"} and item["b"] == {"N": "1" + "0" * 125}
    assert item["c"] == {"N": "0"} and item["d"] == {"N": "150"}
    assert item["big"] == {"N": "12345678901234567890123456789012345678"}
    result = ddb.update_item(TableName=table, Key=key, UpdateExpression="SET x = :a + :b",
                             ExpressionAttributeValues={":a": {"N": "0.1"}, ":b": {"N": "0.2"}},
                             ReturnValues="UPDATED_NEW")
    assert result["Attributes"]["x"] == {"N": "0.3"}
    assert "overflow" in validation(ddb.update_item, TableName=table, Key=key, UpdateExpression="SET n = :a + :b",
                                    ExpressionAttributeValues={":a": {"N": "9.9e125"}, ":b": {"N": "9.9e125"}})
    for bad, message in (
        ("123456789012345678901234567890123456789", "Attempting to store more than 38 significant digits in a Number"),
        ("1E+126", "Number overflow. Attempting to store a number with magnitude larger than supported range"),
        ("1E-131", "Number underflow. Attempting to store a number with magnitude smaller than supported range"),
    ):
        assert validation(ddb.put_item, TableName=table, Item={**key, "v": {"N": bad}}) == message


def test_item_size_limit_to_the_byte(ddb, table) -> None:  # noqa: ANN001
    # pk (2) + "p" (1) + name "a" (1) + value: exactly 409,600 bytes is accepted.
    ddb.put_item(TableName=table, Item={"pk": {"S": "p"}, "a": {"S": "x" * (409600 - 4)}})
    assert validation(ddb.put_item, TableName=table, Item={"pk": {"S": "p"}, "a": {"S": "x" * (409600 - 3)}}) == (
        "Item size has exceeded the maximum allowed size")
    # Numbers cost a byte per two digits paired from the decimal point, plus one: 3.14159 costs 5.
    ddb.put_item(TableName=table, Item={"pk": {"S": "q"}, "n": {"N": "3.14159"}, "p": {"S": "x" * (409600 - 10)}})
    assert "maximum allowed size" in validation(
        ddb.put_item, TableName=table, Item={"pk": {"S": "q"}, "n": {"N": "3.14159"}, "p": {"S": "x" * (409600 - 9)}})
    assert validation(ddb.update_item, TableName=table, Key={"pk": {"S": "q"}}, UpdateExpression="SET z = :z",
                      ExpressionAttributeValues={":z": {"S": "x" * 20}}) == (
        "Item size to update has exceeded the maximum allowed size")


def test_consumed_capacity_of_single_item_calls(ddb, table) -> None:  # noqa: ANN001
    put = ddb.put_item(TableName=table, Item={"pk": {"S": "cc"}, "d": {"S": "x" * 3000}}, ReturnConsumedCapacity="TOTAL")
    assert put["ConsumedCapacity"] == {"TableName": table, "CapacityUnits": 3.0}
    get = ddb.get_item(TableName=table, Key={"pk": {"S": "cc"}}, ReturnConsumedCapacity="TOTAL")
    assert get["ConsumedCapacity"]["CapacityUnits"] == 0.5
    strong = ddb.get_item(TableName=table, Key={"pk": {"S": "cc"}}, ConsistentRead=True,
                          ReturnConsumedCapacity="INDEXES")
    assert strong["ConsumedCapacity"] == {"TableName": table, "CapacityUnits": 1.0, "Table": {"CapacityUnits": 1.0}}
    missing = ddb.get_item(TableName=table, Key={"pk": {"S": "none"}}, ReturnConsumedCapacity="TOTAL")
    assert missing["ConsumedCapacity"]["CapacityUnits"] == 0.5
    # A write costs the larger of the old and new item.
    shrink = ddb.put_item(TableName=table, Item={"pk": {"S": "cc"}}, ReturnConsumedCapacity="TOTAL")
    assert shrink["ConsumedCapacity"]["CapacityUnits"] == 3.0
    assert "ConsumedCapacity" not in ddb.put_item(TableName=table, Item={"pk": {"S": "cc"}})


def test_update_item_measures_what_it_writes(ddb, table) -> None:  # noqa: ANN001
    # UpdateItem's ceiling, as measured against DynamoDB: the attributes the update writes plus 3 bytes,
    # plus 19 per SET: with a one-byte key, "SET b = :pad" fits 409,577 bytes of padding and no more.
    ddb.update_item(TableName=table, Key={"pk": {"S": "K"}}, UpdateExpression="SET b = :pad",
                    ExpressionAttributeValues={":pad": {"S": "x" * 409577}})
    assert validation(ddb.update_item, TableName=table, Key={"pk": {"S": "L"}}, UpdateExpression="SET b = :pad",
                      ExpressionAttributeValues={":pad": {"S": "x" * 409578}}) == (
        "Item size to update has exceeded the maximum allowed size")
    # A transaction's Update is measured on the finished item alone.
    ddb.transact_write_items(TransactItems=[{"Update": {
        "TableName": table, "Key": {"pk": {"S": "M"}}, "UpdateExpression": "SET b = :pad",
        "ExpressionAttributeValues": {":pad": {"S": "x" * (409600 - 4)}}}}])



def test_expression_limits(ddb, raw, table) -> None:  # noqa: ANN001
    """4 KB per expression (bytes as sent), 300 operators and functions, 100 operands for IN."""
    put = {"TableName": table, "Item": {"pk": {"S": "limits"}}}
    fits = "attribute_not_exists(pk)".ljust(4096)
    raw.put_item(**put, ConditionExpression=fits)
    assert validation(raw.put_item, **put, ConditionExpression=fits + " ") == (
        "Invalid ConditionExpression: Expression size has exceeded the maximum allowed size; expression size: 4097")
    assert validation(raw.get_item, TableName=table, Key={"pk": {"S": "limits"}}, ProjectionExpression="é" * 2049) == (
        "Invalid ProjectionExpression: Expression size has exceeded the maximum allowed size; expression size: 4098")
    assert validation(raw.update_item, TableName=table, Key={"pk": {"S": "limits"}},
                      UpdateExpression="SET a = :v".ljust(5000), ExpressionAttributeValues={":v": {"S": "x"}}) == (
        "Invalid UpdateExpression: Expression size has exceeded the maximum allowed size; expression size: 5000")
    assert validation(raw.query, TableName=table, KeyConditionExpression="pk = :p".ljust(10**6),
                      ExpressionAttributeValues={":p": {"S": "limits"}}) == (
        "Invalid KeyConditionExpression: Expression size has exceeded the maximum allowed size; "
        "expression size: 1000000")

    values = {":v": {"S": "x"}}
    comparisons = " AND ".join(["a < :v"] * 150)  # 150 comparisons and 149 ANDs
    assert ddb.scan(TableName=table, FilterExpression=comparisons, ExpressionAttributeValues=values)["Count"] == 0
    assert validation(raw.scan, TableName=table, FilterExpression=comparisons + " AND b < :v",
                      ExpressionAttributeValues=values) == (
        "Invalid FilterExpression: The expression contains too many operators; operator count: 301")
    assert validation(raw.scan, TableName=table, FilterExpression="NOT " * 400 + "a < :v",
                      ExpressionAttributeValues=values) == (
        "Invalid FilterExpression: The expression contains too many operators; operator count: 401")
    assert validation(raw.scan, TableName=table, FilterExpression="(" * 400 + "a < :v" + ")" * 400,
                      ExpressionAttributeValues=values) == (
        "Invalid FilterExpression: The expression has redundant parentheses;")

    many = {f":v{i}": {"N": str(i)} for i in range(101)}
    assert validation(raw.scan, TableName=table, FilterExpression=f"a IN ({', '.join(many)})",
                      ExpressionAttributeValues=many) == (
        "Invalid FilterExpression: The IN operator is provided with too many operands; number of operands: 101")
    del many[":v100"]
    assert ddb.scan(TableName=table, FilterExpression=f"a IN ({', '.join(many)})",
                    ExpressionAttributeValues=many)["Count"] == 0
