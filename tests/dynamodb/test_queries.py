"""Query and Scan through boto3: key conditions, ordering, paging, Select, filters, parallel scans and their errors."""

from __future__ import annotations

import pytest

from tests.dynamodb.conftest import create, error_of, validation


def _fill(ddb, table: str, key: str, values: list, kind: str) -> None:  # noqa: ANN001
    for value in values:
        ddb.put_item(TableName=table, Item={"pk": {"S": key}, "n" if kind == "N" else "sk": {kind: value},
                                            "data": {"S": f"d{value}"}})


def _query(ddb, table: str, condition: str, values: dict, **options) -> list:  # noqa: ANN001, ANN003
    items = ddb.query(TableName=table, KeyConditionExpression=condition, ExpressionAttributeValues=values,
                      **options)["Items"]
    return items


@pytest.mark.parametrize(("condition", "values", "expected"), [
    ("pk = :p", {}, ["-10", "-1.5", "-1", "0", "0.001", "2", "10", "100"]),
    ("pk = :p AND n = :v", {":v": {"N": "10.0"}}, ["10"]),
    ("pk = :p AND n < :v", {":v": {"N": "0"}}, ["-10", "-1.5", "-1"]),
    ("pk = :p AND n <= :v", {":v": {"N": "-1"}}, ["-10", "-1.5", "-1"]),
    ("pk = :p AND n > :v", {":v": {"N": "2"}}, ["10", "100"]),
    ("pk = :p AND n >= :v", {":v": {"N": "2"}}, ["2", "10", "100"]),
    ("pk = :p AND n BETWEEN :a AND :b", {":a": {"N": "-1.5"}, ":b": {"N": "2"}}, ["-1.5", "-1", "0", "0.001", "2"]),
    ("pk = :p AND :v <= n", {":v": {"N": "10"}}, ["10", "100"]),
    ("(pk = :p) AND (n > :v)", {":v": {"N": "99"}}, ["100"]),
])
def test_number_sort_key_conditions(ddb, numbered, condition, values, expected) -> None:  # noqa: ANN001
    _fill(ddb, numbered, "k", ["100", "2", "10", "-1", "-10", "0", "0.001", "-1.5"], "N")
    _fill(ddb, numbered, "other", ["1", "5"], "N")
    items = _query(ddb, numbered, condition, {":p": {"S": "k"}, **values})
    assert [i["n"]["N"] for i in items] == expected


def test_string_sort_keys_order_bytewise_and_begins_with(ddb, composite) -> None:  # noqa: ANN001
    _fill(ddb, composite, "k", ["b", "a", "ab", "B", "é", "a\x00", "abc", "z"], "S")
    _fill(ddb, composite, "k2", ["a"], "S")
    items = _query(ddb, composite, "pk = :p", {":p": {"S": "k"}})
    assert [i["sk"]["S"] for i in items] == ["B", "a", "a\x00", "ab", "abc", "b", "z", "é"]
    items = _query(ddb, composite, "pk = :p AND begins_with(sk, :a)", {":p": {"S": "k"}, ":a": {"S": "ab"}})
    assert [i["sk"]["S"] for i in items] == ["ab", "abc"]
    backwards = _query(ddb, composite, "pk = :p AND sk > :a", {":p": {"S": "k"}, ":a": {"S": "a"}},
                       ScanIndexForward=False)
    assert [i["sk"]["S"] for i in backwards] == ["é", "z", "b", "abc", "ab", "a\x00"]


def test_binary_sort_keys(ddb) -> None:  # noqa: ANN001
    name = create(ddb, range_key=("b", "B"))
    for value in (b"\x02", b"\x01\xff", b"\x01", b"\x00", b"\xff\x00"):
        ddb.put_item(TableName=name, Item={"pk": {"S": "k"}, "b": {"B": value}})
    items = _query(ddb, name, "pk = :p AND b >= :v", {":p": {"S": "k"}, ":v": {"B": b"\x01"}})
    assert [i["b"]["B"] for i in items] == [b"\x01", b"\x01\xff", b"\x02", b"\xff\x00"]
    ddb.delete_table(TableName=name)


def test_limit_pages_and_paginator(ddb, numbered) -> None:  # noqa: ANN001
    _fill(ddb, numbered, "k", [str(i) for i in range(25)], "N")
    first = ddb.query(TableName=numbered, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "k"}},
                      Limit=10)
    assert first["Count"] == 10 and first["LastEvaluatedKey"] == {"pk": {"S": "k"}, "n": {"N": "9"}}
    second = ddb.query(TableName=numbered, KeyConditionExpression="pk = :p",
                       ExpressionAttributeValues={":p": {"S": "k"}}, Limit=10,
                       ExclusiveStartKey=first["LastEvaluatedKey"])
    assert [i["n"]["N"] for i in second["Items"]] == [str(i) for i in range(10, 20)]
    pages = list(ddb.get_paginator("query").paginate(
        TableName=numbered, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "k"}},
        PaginationConfig={"PageSize": 7}))
    assert [p["Count"] for p in pages] == [7, 7, 7, 4]
    assert [i["n"]["N"] for p in pages for i in p["Items"]] == [str(i) for i in range(25)]
    assert "LastEvaluatedKey" not in pages[-1]


def test_one_megabyte_pages(ddb, composite) -> None:  # noqa: ANN001
    blob = "x" * 300_000
    for i in range(5):
        ddb.put_item(TableName=composite, Item={"pk": {"S": "big"}, "sk": {"S": str(i)}, "v": {"S": blob}})
    first = ddb.query(TableName=composite, KeyConditionExpression="pk = :p", ExpressionAttributeValues={
        ":p": {"S": "big"}}, ReturnConsumedCapacity="TOTAL", Select="COUNT")
    assert first["ScannedCount"] == 4 and first["LastEvaluatedKey"]["sk"] == {"S": "3"}
    assert first["ConsumedCapacity"]["CapacityUnits"] == 146.5  # 4 x 300,009 bytes read: 293 units of 4 KB, halved
    rest = ddb.query(TableName=composite, KeyConditionExpression="pk = :p", ExpressionAttributeValues={
        ":p": {"S": "big"}}, ExclusiveStartKey=first["LastEvaluatedKey"], Select="COUNT")
    assert rest["Count"] == 1 and "LastEvaluatedKey" not in rest


def test_filters_apply_after_the_read(ddb, composite) -> None:  # noqa: ANN001
    for i in range(6):
        ddb.put_item(TableName=composite, Item={"pk": {"S": "f"}, "sk": {"S": f"s{i}"}, "keep": {"BOOL": i == 0},
                                                "filler": {"S": "x" * 200}})

    def query(**extra) -> dict:  # noqa: ANN003
        values = {":p": {"S": "f"}, **extra.pop("values", {})}
        return ddb.query(TableName=composite, KeyConditionExpression="pk = :p", ExpressionAttributeValues=values,
                         ReturnConsumedCapacity="TOTAL", **extra)

    plain = query()
    filtered = query(FilterExpression="keep = :k", values={":k": {"BOOL": True}})
    assert (filtered["Count"], filtered["ScannedCount"]) == (1, 6)
    assert filtered["ConsumedCapacity"] == plain["ConsumedCapacity"]
    assert query(ProjectionExpression="sk")["ConsumedCapacity"] == plain["ConsumedCapacity"]
    counted = query(Select="COUNT", FilterExpression="keep = :k", values={":k": {"BOOL": False}})
    assert (counted["Count"], counted["ScannedCount"]) == (5, 6) and "Items" not in counted
    limited = query(Limit=3, FilterExpression="keep = :k", values={":k": {"BOOL": True}})
    assert (limited["Count"], limited["ScannedCount"]) == (1, 3) and "LastEvaluatedKey" in limited
    assert query(ProjectionExpression="sk", Select="SPECIFIC_ATTRIBUTES")["Items"][0] == {"sk": {"S": "s0"}}


def test_query_errors(ddb, composite, raw) -> None:  # noqa: ANN001
    def error(**params) -> str:  # noqa: ANN003
        return validation(raw.query, TableName=composite, **params)

    assert error(KeyConditionExpression="sk = :v", ExpressionAttributeValues={":v": {"S": "x"}}) == (
        "Query condition missed key schema element: pk")
    assert error(KeyConditionExpression="pk = :v", ExpressionAttributeValues={":v": {"S": "x"}},
                 ExpressionAttributeNames={"#unused": "a"}) == (
        "Value provided in ExpressionAttributeNames unused in expressions: keys: {#unused}")
    assert error(KeyConditionExpression="") == "Invalid KeyConditionExpression: The expression can not be empty;"
    assert error(KeyConditionExpression="pk = :p", FilterExpression="#missing = :f",
                 ExpressionAttributeValues={":p": {"S": "x"}, ":f": {"S": "y"}}) == (
        "Invalid FilterExpression: An expression attribute name used in the document path is not defined; "
        "attribute name: #missing")
    assert error(KeyConditionExpression="#pk = :p AND #sk.foo = :v", ExpressionAttributeNames={
        "#pk": "pk", "#sk": "sk"}, ExpressionAttributeValues={":p": {"S": "x"}, ":v": {"S": "y"}}) == (
        "KeyConditionExpressions cannot have conditions on nested attributes")
    assert error(KeyConditionExpression="pk = :p OR sk = :p", ExpressionAttributeValues={":p": {"S": "x"}}) == (
        "Invalid operator used in KeyConditionExpression: OR")
    assert error(KeyConditionExpression="pk > :p", ExpressionAttributeValues={":p": {"S": "x"}}) == (
        "Query key condition not supported")
    assert error(KeyConditionExpression="pk = :p AND sk > :p AND sk < :p",
                 ExpressionAttributeValues={":p": {"S": "x"}}) == (
        "KeyConditionExpressions must only contain one condition per key")
    assert error(KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"N": "1"}}) == (
        "One or more parameter values were invalid: Condition parameter type does not match schema type")
    assert error() == "Either the KeyConditions or KeyConditionExpression parameter must be specified in the request."
    assert error(KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "x"}},
                 Select="SPECIFIC_ATTRIBUTES") == ("1 validation error detected: Must specify the AttributesToGet or "
                                                   "ProjectionExpression when choosing to get SPECIFIC_ATTRIBUTES")
    assert error(KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "x"}},
                 Select="ALL_ATTRIBUTES", ProjectionExpression="sk") == (
        "Cannot specify the ProjectionExpression when choosing to get ALL_ATTRIBUTES")
    assert error(KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "x"}},
                 Select="ALL_PROJECTED_ATTRIBUTES") == (
        "ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName")
    assert error(KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "x"}},
                 IndexName="nope") == "The table does not have the specified index: nope"
    assert error(KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "x"}}, Select="BAD") == (
        "1 validation error detected: Value 'BAD' at 'select' failed to satisfy constraint: Member must satisfy enum "
        "value set: [SPECIFIC_ATTRIBUTES, COUNT, ALL_ATTRIBUTES, ALL_PROJECTED_ATTRIBUTES]")
    assert error_of(raw.query, TableName="nope-table", KeyConditionExpression="pk = :p",
                    ExpressionAttributeValues={":p": {"S": "x"}}) == (
        "ResourceNotFoundException", "Requested resource not found")


def test_query_filter_and_start_key_rules(ddb, composite, raw) -> None:  # noqa: ANN001
    """A Query filter may not name the key it queries by; a start key must belong to the query."""
    def error(**params) -> str:  # noqa: ANN003
        return validation(raw.query, TableName=composite, **params)

    key = {"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "x"}, ":v": {"S": "y"}}}
    assert error(**key, FilterExpression="begins_with(sk, :v)") == (
        "Filter Expression can only contain non-primary key attributes: Primary key attribute: sk")
    assert error(**key, FilterExpression="color = :v OR (#k = :v AND sk = :v)", ExpressionAttributeNames={"#k": "pk"}) == (
        "Filter Expression can only contain non-primary key attributes: Primary key attribute: pk")
    assert error(KeyConditions={"pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "x"}]}},
                 QueryFilter={"sk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "y"}]}}) == (
        "QueryFilter can only contain non-primary key attributes: Primary key attribute: sk")
    assert ddb.query(TableName=composite, **key, FilterExpression="color.sk = :v")["Count"] == 0  # only the head counts
    assert ddb.query(TableName=composite, KeyConditionExpression="(pk = :p) AND (sk = :v)",
                     ExpressionAttributeValues=key["ExpressionAttributeValues"])["Count"] == 0
    assert error(KeyConditionExpression="((pk = :p))", ExpressionAttributeValues={":p": {"S": "x"}}) == (
        "Invalid KeyConditionExpression: The expression has redundant parentheses;")
    assert error(KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "x"}},
                 ExclusiveStartKey={"pk": {"S": "x"}}) == "The provided starting key is invalid"
    assert error(KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "x"}},
                 ExclusiveStartKey={"pk": {"S": "other"}, "sk": {"S": "a"}}) == (
        "The provided starting key is outside query boundaries based on provided conditions")


def test_scan_pages_filters_and_counts(ddb, table) -> None:  # noqa: ANN001
    for i in range(40):
        ddb.put_item(TableName=table, Item={"pk": {"S": f"item{i}"}, "n": {"N": str(i)}})
    pages = list(ddb.get_paginator("scan").paginate(TableName=table, FilterExpression="n >= :ten",
                                                    ExpressionAttributeValues={":ten": {"N": "10"}},
                                                    PaginationConfig={"PageSize": 15}))
    assert [p["ScannedCount"] for p in pages] == [15, 15, 10]
    found = sorted(int(i["n"]["N"]) for p in pages for i in p["Items"])
    assert found == list(range(10, 40))
    assert ddb.scan(TableName=table, Select="COUNT")["Count"] == 40


@pytest.mark.parametrize("total", [1, 3, 7])
def test_parallel_scan_reads_every_item_exactly_once(ddb, table, total) -> None:  # noqa: ANN001
    for i in range(60):
        ddb.put_item(TableName=table, Item={"pk": {"S": f"p{i}"}})
    seen: list[str] = []
    for segment in range(total):
        for page in ddb.get_paginator("scan").paginate(TableName=table, Segment=segment, TotalSegments=total,
                                                       PaginationConfig={"PageSize": 8}):
            seen += [i["pk"]["S"] for i in page["Items"]]
    assert sorted(seen) == sorted(f"p{i}" for i in range(60))


def test_scan_errors(raw, table) -> None:  # noqa: ANN001
    assert validation(raw.scan, TableName=table, Segment=0) == (
        "The TotalSegments parameter is required but was not present in the request when Segment parameter is present")
    assert validation(raw.scan, TableName=table, TotalSegments=4) == (
        "The Segment parameter is required but was not present in the request when parameter TotalSegments is present")
    assert validation(raw.scan, TableName=table, Segment=5, TotalSegments=5) == (
        "The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: 5 is not less "
        "than TotalSegments: 5")
    assert validation(raw.scan, TableName=table, Limit=0) == (
        "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: Member must have value "
        "greater than or equal to 1")
    assert error_of(raw.scan, TableName="nope-table") == ("ResourceNotFoundException", "Requested resource not found")
    assert validation(raw.scan, TableName=table, Select="SPECIFIC_ATTRIBUTES") == (
        "Must specify the AttributesToGet or ProjectionExpression when choosing to get SPECIFIC_ATTRIBUTES")
    assert validation(raw.scan, TableName=table, Select="ALL_PROJECTED_ATTRIBUTES") == (  # "Querying", as DynamoDB says
        "ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName")
    assert validation(raw.scan, TableName=table, ExclusiveStartKey={"nope": {"S": "x"}}) == (
        "The provided starting key is invalid: The provided key element does not match the schema")


def test_items_read_back_exactly_through_every_read_path(ddb) -> None:  # noqa: ANN001
    # GetItem, Query and Scan with nothing to evaluate per item send the stored JSON text as it is;
    # with a projection or filter they decode it: both must give back exactly what was written.
    table = create(ddb, range_key=("sk", "N"))
    values = [
        {"S": "plain"}, {"S": "é ünïcode 日本 😀"}, {"S": "ctl\x01\x7f tab\t nl\n quote\" bs\\ \\u0041 \u2028"},
        {"B": b"\x00\xff\\u bin"}, {"BS": [b"a", b"\x00"]}, {"SS": ["😀", "\\u00e9"]}, {"NS": ["1", "2.5"]},
        {"M": {"x": {"L": [{"S": "\u00e9"}, {"NULL": True}, {"BOOL": False}, {"N": "-0.5"}]}}},
    ]
    items = [{"pk": {"S": "p\u00e9"}, "sk": {"N": str(i)}, "v": value} for i, value in enumerate(values)]
    for item in items:
        ddb.put_item(TableName=table, Item=item)
    for item in items:
        key = {"pk": item["pk"], "sk": item["sk"]}
        assert ddb.get_item(TableName=table, Key=key)["Item"] == item
        assert ddb.get_item(TableName=table, Key=key, ProjectionExpression="pk, sk, v")["Item"] == item
    query = {"TableName": table, "KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "p\u00e9"}}}
    assert ddb.query(**query)["Items"] == items
    assert ddb.query(**query, FilterExpression="attribute_exists(v)")["Items"] == items
    page = ddb.query(**query, Limit=3)
    assert page["Items"] == items[:3] and page["LastEvaluatedKey"] == {"pk": items[2]["pk"], "sk": items[2]["sk"]}
    assert sorted(ddb.scan(TableName=table)["Items"], key=lambda i: int(i["sk"]["N"])) == items
