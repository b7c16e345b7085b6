"""The parameters older code still sends: AttributesToGet, KeyConditions, QueryFilter, ScanFilter, Expected,
AttributeUpdates and ConditionalOperator."""

from __future__ import annotations

from tests.dynamodb.conftest import error_of, validation


def test_attribute_updates(ddb, table) -> None:  # noqa: ANN001
    key = {"pk": {"S": "au"}}
    ddb.put_item(TableName=table, Item={**key, "name": {"S": "old"}, "count": {"N": "1"}, "extra": {"S": "x"},
                                        "tags": {"SS": ["a", "b", "c"]}, "l": {"L": [{"N": "1"}]}})
    result = ddb.update_item(TableName=table, Key=key, ReturnValues="ALL_NEW", AttributeUpdates={
        "name": {"Action": "PUT", "Value": {"S": "new"}},
        "count": {"Action": "ADD", "Value": {"N": "9"}},
        "extra": {"Action": "DELETE"},
        "tags": {"Action": "DELETE", "Value": {"SS": ["b"]}},
        "l": {"Action": "ADD", "Value": {"L": [{"N": "2"}]}},
        "fresh": {"Value": {"N": "42"}},  # no Action: PUT
    })["Attributes"]
    assert result["name"] == {"S": "new"} and result["count"] == {"N": "10"} and "extra" not in result
    assert sorted(result["tags"]["SS"]) == ["a", "c"] and result["l"] == {"L": [{"N": "1"}, {"N": "2"}]}
    assert result["fresh"] == {"N": "42"}
    assert validation(ddb.update_item, TableName=table, Key=key,
                      AttributeUpdates={"pk": {"Action": "PUT", "Value": {"S": "other"}}}) == (
        "One or more parameter values were invalid: Cannot update attribute pk. This attribute is part of the key")


def test_expected_and_conditional_operator(ddb, table) -> None:  # noqa: ANN001
    key = {"pk": {"S": "ex"}}
    ddb.put_item(TableName=table, Item={**key, "v": {"N": "5"}}, Expected={"pk": {"Exists": False}})
    assert error_of(ddb.put_item, TableName=table, Item=key, Expected={"pk": {"Exists": False}})[0] == (
        "ConditionalCheckFailedException")
    ddb.update_item(TableName=table, Key=key, AttributeUpdates={"w": {"Value": {"S": "x"}}},
                    Expected={"v": {"Value": {"N": "5"}}})
    ddb.delete_item(TableName=table, Key=key, ConditionalOperator="OR", Expected={
        "v": {"ComparisonOperator": "GT", "AttributeValueList": [{"N": "100"}]},
        "w": {"ComparisonOperator": "BEGINS_WITH", "AttributeValueList": [{"S": "x"}]},
    })
    assert "Item" not in ddb.get_item(TableName=table, Key=key)
    assert validation(ddb.put_item, TableName=table, Item=key, Expected={"v": {"Exists": True}}) == (
        "One or more parameter values were invalid: Value must be provided when Exists is true for Attribute: v")
    assert validation(ddb.put_item, TableName=table, Item=key, Expected={
        "v": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [{"N": "1"}]}}) == (
        "One or more parameter values were invalid: Invalid number of argument(s) for the BETWEEN ComparisonOperator")
    assert validation(ddb.put_item, TableName=table, Item=key, Expected={
        "v": {"Exists": True, "ComparisonOperator": "EQ", "AttributeValueList": [{"N": "1"}]}}) == (
        "One or more parameter values were invalid: Exists and ComparisonOperator cannot be used together for "
        "Attribute: v")


def test_key_conditions_query_filter_and_attributes_to_get(ddb, numbered) -> None:  # noqa: ANN001
    for i in range(8):
        ddb.put_item(TableName=numbered, Item={"pk": {"S": "k"}, "n": {"N": str(i)}, "even": {"BOOL": i % 2 == 0},
                                               "label": {"S": f"l{i}"}})
    result = ddb.query(TableName=numbered, KeyConditions={
        "pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "k"}]},
        "n": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [{"N": "2"}, {"N": "6"}]},
    }, QueryFilter={"even": {"ComparisonOperator": "EQ", "AttributeValueList": [{"BOOL": True}]}},
        AttributesToGet=["n", "label"], ScanIndexForward=False)
    assert result["Items"] == [{"n": {"N": "6"}, "label": {"S": "l6"}}, {"n": {"N": "4"}, "label": {"S": "l4"}},
                               {"n": {"N": "2"}, "label": {"S": "l2"}}]
    assert (result["Count"], result["ScannedCount"]) == (3, 5)
    scanned = ddb.scan(TableName=numbered, ScanFilter={
        "label": {"ComparisonOperator": "IN", "AttributeValueList": [{"S": "l1"}, {"S": "l7"}]},
        "n": {"ComparisonOperator": "NOT_NULL"}})
    assert sorted(i["n"]["N"] for i in scanned["Items"]) == ["1", "7"]
    assert validation(ddb.query, TableName=numbered, KeyConditions={
        "pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "k"}]}},
        KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "k"}}).startswith(
        "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: "
        "{KeyConditions} Expression parameters: {KeyConditionExpression}")
    assert validation(ddb.get_item, TableName=numbered, Key={"pk": {"S": "k"}, "n": {"N": "1"}},
                      AttributesToGet=["a", "a"]) == (
        "One or more parameter values were invalid: Duplicate value in attribute name: a")
