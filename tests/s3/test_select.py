"""S3 Select: SQL over CSV and JSON (plain or GZIP) answered as the event stream botocore reads,
and the SQL parser fuzzed (bad input is S3's error, never a crash)."""

from __future__ import annotations

import gzip
import json

import pytest
from botocore.exceptions import ClientError
from hypothesis import given, settings
from hypothesis import strategies as st

from cloudlet.protocol.errors import ServiceError
from cloudlet.services.s3.select import sql

PEOPLE = 'name,age,city\nAlice,30,Paris\nBob,25,"New York, NY"\nAnna,41,Oslo\n"Zoë ""Z""",19,Lyon\n'


def select(s3, bucket: str, key: str, expression: str, inp: dict, out: dict | None = None) -> tuple[str, dict]:
    response = s3.select_object_content(Bucket=bucket, Key=key, Expression=expression, ExpressionType="SQL",
                                        InputSerialization=inp, OutputSerialization=out or {"CSV": {}})
    records, stats, ended = b"", None, False
    for event in response["Payload"]:
        if "Records" in event:
            records += event["Records"]["Payload"]
        elif "Stats" in event:
            stats = event["Stats"]["Details"]
        elif "End" in event:
            ended = True
    assert ended
    return records.decode(), stats


@pytest.fixture
def people(s3, bucket) -> str:
    s3.put_object(Bucket=bucket, Key="people.csv", Body=PEOPLE.encode())
    return bucket


def test_csv_with_header_where_like_and_projection(s3, people) -> None:
    text, stats = select(s3, people, "people.csv", "SELECT s.name, s.city FROM S3Object s WHERE s.name LIKE 'A%'",
                         {"CSV": {"FileHeaderInfo": "USE"}})
    assert text == "Alice,Paris\nAnna,Oslo\n"
    assert stats == {"BytesScanned": len(PEOPLE.encode()), "BytesProcessed": len(PEOPLE.encode()),
                     "BytesReturned": len(text)}
    text, _ = select(s3, people, "people.csv", "SELECT name, city FROM S3Object WHERE CAST(age AS INT) < 26",
                     {"CSV": {"FileHeaderInfo": "USE"}})
    assert text == 'Bob,"New York, NY"\n"Zoë ""Z""",Lyon\n'


def test_positional_columns_limit_and_json_output(s3, people) -> None:
    text, _ = select(s3, people, "people.csv", "SELECT _1, _3 FROM S3Object LIMIT 2", {"CSV": {"FileHeaderInfo":
                                                                                              "IGNORE"}},
                     {"JSON": {}})
    assert [json.loads(line) for line in text.splitlines()] == [{"_1": "Alice", "_3": "Paris"},
                                                                {"_1": "Bob", "_3": "New York, NY"}]
    text, _ = select(s3, people, "people.csv", "SELECT * FROM S3Object s WHERE s.city = 'Oslo'",
                     {"CSV": {"FileHeaderInfo": "USE"}}, {"JSON": {}})
    assert json.loads(text) == {"name": "Anna", "age": "41", "city": "Oslo"}


def test_aggregates_and_casts(s3, people) -> None:
    text, _ = select(s3, people, "people.csv",
                     "SELECT COUNT(*), SUM(CAST(age AS INT)), MIN(CAST(age AS INT)), MAX(CAST(age AS INT)) "
                     "FROM S3Object", {"CSV": {"FileHeaderInfo": "USE"}})
    assert text == "4,115,19,41\n"
    text, _ = select(s3, people, "people.csv", "SELECT AVG(CAST(age AS FLOAT)) FROM S3Object WHERE city <> 'Lyon'",
                     {"CSV": {"FileHeaderInfo": "USE"}})
    assert float(text) == pytest.approx(32.0)


def test_json_lines_gzip_and_documents(s3, bucket) -> None:
    lines = "\n".join(json.dumps({"id": i, "user": {"name": f"u{i}", "tags": ["a", "b"][: i % 3]}}) for i in range(6))
    s3.put_object(Bucket=bucket, Key="events.json.gz", Body=gzip.compress(lines.encode()))
    text, stats = select(s3, bucket, "events.json.gz", "SELECT s.id, s.user.name FROM S3Object s WHERE s.id BETWEEN 2 "
                         "AND 4", {"JSON": {"Type": "LINES"}, "CompressionType": "GZIP"}, {"JSON": {}})
    assert [json.loads(line) for line in text.splitlines()] == [
        {"id": 2, "name": "u2"}, {"id": 3, "name": "u3"}, {"id": 4, "name": "u4"}]
    assert stats["BytesProcessed"] == len(lines.encode()) > stats["BytesScanned"]
    document = {"items": [{"sku": "a", "qty": 2}, {"sku": "b", "qty": 0}, {"sku": "c"}]}
    s3.put_object(Bucket=bucket, Key="doc.json", Body=json.dumps(document).encode())
    text, _ = select(s3, bucket, "doc.json", "SELECT i.sku FROM S3Object[*].items[*] i WHERE i.qty IS MISSING OR "
                     "i.qty > 1", {"JSON": {"Type": "DOCUMENT"}}, {"CSV": {}})
    assert text == "a\nc\n"


def test_errors(s3, people) -> None:
    with pytest.raises(ClientError) as e:
        select(s3, people, "people.csv", "SELECT FROM S3Object", {"CSV": {}})
    assert e.value.response["Error"]["Code"] == "ParseUnexpectedToken"
    with pytest.raises(ClientError) as e:
        select(s3, people, "people.csv", "SELECT s.x FROM S3Object s", {"CSV": {"FileHeaderInfo": "NONE"}})
    assert e.value.response["Error"]["Code"] == "MissingHeaders"
    with pytest.raises(ClientError) as e:
        select(s3, people, "people.csv", "SELECT CAST(name AS INT) FROM S3Object", {"CSV": {"FileHeaderInfo": "USE"}})
    assert e.value.response["Error"]["Code"] == "CastFailed"
    with pytest.raises(ClientError) as e:
        select(s3, people, "missing.csv", "SELECT * FROM S3Object", {"CSV": {}})
    assert e.value.response["Error"]["Code"] == "NoSuchKey"


def test_parser_units() -> None:
    query = sql.parse("select s.a AS x, 'lit' FROM s3object AS s WHERE NOT s.b IN (1, 2) LIMIT 3")
    assert query.alias == "s" and query.limit == 3 and [n for _, n in query.items] == ["x", None]
    ev = sql.Evaluator(lambda path: {"a": "abc", "n": "12"}.get(path[-1][0], sql.MISSING))
    assert ev(sql.parse("SELECT * FROM S3Object WHERE a LIKE 'a_c'").where) is True
    assert ev(sql.parse("SELECT * FROM S3Object WHERE a LIKE 'x!%' ESCAPE '!'").where) is False
    assert ev(sql.parse("SELECT * FROM S3Object WHERE CAST(n AS INT) * 2 = 24").where) is True
    assert ev(sql.parse("SELECT * FROM S3Object WHERE UPPER(a) || 'd' = 'ABCd'").where) is True
    assert ev(sql.parse("SELECT * FROM S3Object WHERE SUBSTRING(a FROM 2 FOR 1) = 'b'").where) is True
    assert ev(sql.parse("SELECT * FROM S3Object WHERE zzz IS MISSING AND zzz IS NULL").where) is True


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="SELCTFROMWHEREANDLIKE s3object*()'\",.=<>!%_-+0123456789[]|", max_size=80))
def test_parser_never_crashes(text) -> None:
    try:
        sql.parse(text)
    except ServiceError as error:
        assert error.status == 400 and error.code
