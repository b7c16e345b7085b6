"""The XML codec: safe parsing, decoding and encoding by shape, hostile and malformed input.

Shapes come from a small model written here to hold every case the wire rules
distinguish, and from S3's real AccessControlPolicy (xmlAttribute + xsi:type),
which is cross-checked against botocore's rest-xml serializer and parser.
"""

from __future__ import annotations

import copy
import datetime as dt
import math

import pytest
from botocore.awsrequest import HeadersDict
from botocore.parsers import create_parser
from botocore.serialize import create_serializer

from cloudlet.protocol import xml as X
from cloudlet.protocol.errors import ServiceError
from cloudlet.protocol.models import ServiceModel, load_service
from tests.support import edge_shapes, oracle

SPEC = {
    "metadata": {"protocol": "rest-xml", "apiVersion": "2020-01-01", "endpointPrefix": "edge"},
    "operations": {},
    "shapes": {
        **edge_shapes.SHAPES,
        "F": {"type": "float"},
        "TRfc": {"type": "timestamp", "timestampFormat": "rfc822"},
        "Tagged": {
            "type": "structure",
            "members": {
                "Id": {"shape": "S", "locationName": "id", "xmlAttribute": True},
                "Kind": {"shape": "S", "locationName": "xsi:type", "xmlAttribute": True},
                "Text": {"shape": "S"},
            },
            "xmlNamespace": {"prefix": "xsi", "uri": "http://www.w3.org/2001/XMLSchema-instance"},
        },
        "Everything": {
            "type": "structure",
            "members": {
                **edge_shapes.MEMBERS,
                "Float": {"shape": "F"},
                "HttpTime": {"shape": "TRfc"},
                "Pairs": {"shape": "FlatPairs", "locationName": "PairEntry"},
                "Tagged": {"shape": "Tagged"},
                "Header": {"shape": "S", "location": "header", "locationName": "x-amz-thing"},
                "Namespaced": {"shape": "S", "xmlNamespace": {"uri": "urn:other"}},
            },
        },
    },
}
MODEL = ServiceModel("edge", copy.deepcopy(SPEC))
EVERYTHING = MODEL.shape("Everything")

VALUE = {
    "Str": "a & b < c > d \"e\" 'f' é ü \r\n\t end ",
    "Other": "",
    "Int": -2147483648,
    "Long": 9223372036854775807,
    "Double": 1.5e300,
    "Float": -0.25,
    "Bool": False,
    "Blob": b"\x00\xff binary",
    "Time": dt.datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=dt.UTC),
    "UnixTime": dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC),
    "HttpTime": dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC),
    "Strings": ["x", "", "z"],
    "Things": [],
    "Lists": [["a", "b"], [], ["c"]],
    "Items": ["i1", "i2"],
    "Pairs": [{"Name": "p", "Count": 1}, {}],
    "Map": {"k1": "v1", "k2": ""},
    "NamedMap": {"n": {"Name": "x", "Count": 2}, "m": {}},
    "FlatMap": {"f1": ["a"], "f2": []},
    "Pair": {},
    "Tagged": {"Id": 'i"d<', "Kind": "CanonicalUser", "Text": "t"},
    "Node": {"Child": {"Child": {"Value": "deep"}}, "Value": "top"},
    "Namespaced": "ns",
}


def roundtrip(shape, value, name="Everything"):
    return X.decode(shape, X.parse_document(X.render(shape, value, name, "urn:default")))


# --- parse_document -------------------------------------------------------------------------


def test_parse_strips_namespaces_from_tags():
    root = X.parse_document(
        b'<?xml version="1.0" encoding="UTF-8"?>\n<a xmlns="urn:x" xmlns:p="urn:p"><p:b p:c="1">t</p:b><d/></a>'
    )
    assert root.tag == "a"
    assert [child.tag for child in root] == ["b", "d"]
    assert root[0].text == "t"


def test_doctype_mentioned_in_text_is_not_a_declaration():
    root = X.parse_document(b"<a><!-- <!DOCTYPE x> --><![CDATA[<!ENTITY y>]]></a>")
    assert root.text == "<!ENTITY y>"


def _laughs() -> bytes:
    entities = ['<!ENTITY lol0 "lol">']
    for i in range(1, 10):
        entities.append(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">')
    return f'<?xml version="1.0"?><!DOCTYPE lolz [{"".join(entities)}]><lolz>&lol9;</lolz>'.encode()


HOSTILE = {
    "billion laughs": _laughs(),
    "external entity": b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><a>&x;</a>',
    "external dtd": b'<?xml version="1.0"?><!DOCTYPE a SYSTEM "http://127.0.0.1:1/evil.dtd"><a/>',
    "parameter entity": b'<!DOCTYPE a [<!ENTITY % p SYSTEM "http://127.0.0.1:1/x"> %p;]><a/>',
    "utf-16 doctype": '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE a [<!ENTITY e "x">]><a>&e;</a>'.encode(
        "utf-16"
    ),
    "utf-16be without bom": '<!DOCTYPE a [<!ENTITY e "x">]><a>&e;</a>'.encode("utf-16-be"),
    "utf-32": '<!DOCTYPE a [<!ENTITY e "x">]><a>&e;</a>'.encode("utf-32"),
    "undefined entity": b"<a>&nope;</a>",
    "truncated": b'<?xml version="1.0"?><a><b>text</b',
    "unclosed": b"<a><b></a>",
    "two roots": b"<a/><b/>",
    "text only": b"not xml at all",
    "empty": b"",
    "blank": b"  \n ",
    "bad utf-8": b"<a>\xff\xfe</a>",
    "declared other encoding": b'<?xml version="1.0" encoding="cp1252"?><a>\x80</a>',
    "nul byte": b"<a>\x00</a>",
    "json": b'{"a": 1}',
}


@pytest.mark.parametrize("body", list(HOSTILE.values()), ids=list(HOSTILE))
def test_hostile_or_malformed_documents_are_malformed_xml(body):
    with pytest.raises(ServiceError) as caught:
        X.parse_document(body)
    error = caught.value
    assert (error.code, error.status, error.message) == ("MalformedXML", 400, X.MALFORMED_MESSAGE)


def test_deeply_nested_documents_parse_and_decode_without_crashing():
    depth = 100_000
    root = X.parse_document(b"<Node>" + b"<Child>" * depth + b"x" + b"</Child>" * depth + b"</Node>")
    assert X.decode(MODEL.shape("Pair"), root) == {}  # nothing of the shape's: ignored
    with pytest.raises(ServiceError) as caught:
        X.decode(MODEL.shape("Node"), root)  # a recursive shape follows the nesting down
    assert caught.value.code == "MalformedXML"


def test_malformed_xml_can_be_caught_and_re_mapped():
    with pytest.raises(X.MalformedXML) as caught:
        X.parse_document(b"<a>")
    assert isinstance(caught.value, ServiceError)
    assert caught.value.detail


# --- decode ---------------------------------------------------------------------------------


def test_every_case_round_trips_through_our_own_encode_and_decode():
    expected = {k: v for k, v in VALUE.items()}
    expected["Things"] = []  # an empty wrapped list is an empty element
    decoded = roundtrip(EVERYTHING, VALUE)
    # Empty flattened lists/maps leave no element; a flattened item that is an empty
    # structure still leaves one.
    assert oracle.normalize(decoded) == oracle.normalize(expected)


def test_decode_reads_the_wire_forms():
    body = b"""<Everything xmlns="urn:default">
      <Str>plain</Str><OtherName>renamed</OtherName><Int> 42 </Int><Long>-7</Long>
      <Double>NaN</Double><Float>-Infinity</Float><Bool>true</Bool><Blob>aGVs
      bG8=</Blob><Time>2026-01-02T03:04:05Z</Time><UnixTime>1767323045.5</UnixTime>
      <HttpTime>Fri, 02 Jan 2026 03:04:05 GMT</HttpTime>
      <Strings><member>a</member><member/></Strings>
      <Things><Thing>t1</Thing></Things>
      <Lists><member><member>x</member></member><member/></Lists>
      <Item>i1</Item><Str2>ignored</Str2><Item>i2</Item>
      <PairEntry><Name>p1</Name><N>1</N></PairEntry><PairEntry><Name>p2</Name></PairEntry>
      <Map><entry><key>k</key><value>v</value></entry></Map>
      <NamedMap><entry><Name>n</Name><Val><Name>x</Name><N>3</N></Val></entry></NamedMap>
      <FlatMap><K>f</K><V><member>1</member></V></FlatMap><FlatMap><K>g</K><V/></FlatMap>
      <Tagged xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="7" xsi:type="Group"><Text>t</Text></Tagged>
      <x-amz-thing>not from the body</x-amz-thing><Header>nor this</Header>
      <Unknown><Deep>ignored</Deep></Unknown>
    </Everything>"""
    decoded = X.decode(EVERYTHING, X.parse_document(body))
    assert math.isnan(decoded.pop("Double"))
    assert decoded == {
        "Str": "plain", "Other": "renamed", "Int": 42, "Long": -7, "Float": -math.inf, "Bool": True,
        "Blob": b"hello", "Time": dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC),
        "UnixTime": dt.datetime(2026, 1, 2, 3, 4, 5, 500000, tzinfo=dt.UTC),
        "HttpTime": dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC),
        "Strings": ["a", ""], "Things": ["t1"], "Lists": [["x"], []], "Items": ["i1", "i2"],
        "Pairs": [{"Name": "p1", "Count": 1}, {"Name": "p2"}], "Map": {"k": "v"},
        "NamedMap": {"n": {"Name": "x", "Count": 3}}, "FlatMap": {"f": ["1"], "g": []},
        "Tagged": {"Id": "7", "Kind": "Group", "Text": "t"},
    }


def test_flattened_list_under_the_member_name_is_read_too():
    # botocore's rest-xml serializer names flattened items after the member's
    # locationName; its parser prefers the list member's.  Both are read.
    root = X.parse_document(b"<Everything><Items>a</Items><Items>b</Items></Everything>")
    assert X.decode(EVERYTHING, root) == {"Items": ["a", "b"]}


def test_decoding_a_flattened_list_from_its_repeated_elements():
    root = X.parse_document(b"<r><Item>a</Item><Item>b</Item></r>")
    shape = EVERYTHING.members["Items"]
    assert X.decode_flattened(shape, list(root)) == ["a", "b"]
    assert X.decode(shape, root[0]) == ["a"]


WRONG = [
    ("Int", "abc"), ("Int", "1.5"), ("Int", "2147483648"), ("Int", ""), ("Long", "9223372036854775808"),
    ("Long", "0x10"), ("Double", "1,5"), ("Double", "nan"), ("Double", "1_000"), ("Float", "inf"),
    ("Bool", "yes"), ("Bool", "True"), ("Bool", ""), ("Blob", "not base64!"), ("Time", "yesterday"),
    ("Time", "2026-13-45T00:00:00Z"), ("UnixTime", "soon"), ("HttpTime", "Funday"),
]


@pytest.mark.parametrize(("member", "text"), WRONG, ids=[f"{m}={t!r}" for m, t in WRONG])
def test_values_that_do_not_fit_their_type_are_malformed_xml(member, text):
    body = f"<Everything><{member}>{text}</{member}></Everything>".encode()
    with pytest.raises(ServiceError) as caught:
        X.decode(EVERYTHING, X.parse_document(body))
    assert (caught.value.code, caught.value.status) == ("MalformedXML", 400)


def test_a_map_entry_without_a_key_is_malformed_xml():
    body = b"<Everything><Map><entry><value>v</value></entry></Map></Everything>"
    with pytest.raises(ServiceError) as caught:
        X.decode(EVERYTHING, X.parse_document(body))
    assert caught.value.code == "MalformedXML"


# --- encode ---------------------------------------------------------------------------------


def test_render_writes_the_wire_forms():
    value = {
        "Str": "<&>\r", "Bool": True, "Double": math.nan, "Float": math.inf, "Int": 3,
        "Time": dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC), "UnixTime": 1767323045,
        "Blob": b"hi", "Items": ["a", "b"], "Pairs": [{"Name": "p"}], "Things": ["t"],
        "Map": {"k": "v"}, "FlatMap": {"f": ["x"]},
        "Tagged": {"Id": "1", "Kind": "Group"}, "Header": "not in the body", "Namespaced": "n",
        "Unmodelled": "dropped", "Other": None,
    }
    body = X.render(EVERYTHING, value, "Everything", "urn:default").decode()
    assert body == (
        '<?xml version="1.0" encoding="UTF-8"?><Everything xmlns="urn:default">'
        "<Str>&lt;&amp;&gt;&#xD;</Str><Bool>true</Bool><Double>NaN</Double><Float>Infinity</Float><Int>3</Int>"
        "<Time>2026-01-02T03:04:05Z</Time><UnixTime>1767323045</UnixTime><Blob>aGk=</Blob>"
        "<Item>a</Item><Item>b</Item><PairEntry><Name>p</Name></PairEntry><Things><Thing>t</Thing></Things>"
        "<Map><entry><key>k</key><value>v</value></entry></Map>"
        "<FlatMap><K>f</K><V><member>x</member></V></FlatMap>"
        '<Tagged xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="1" xsi:type="Group"></Tagged>'
        '<Namespaced xmlns="urn:other">n</Namespaced></Everything>'
    )


def test_timestamps_carry_milliseconds_when_present():
    out: list[str] = []
    X.write(out, MODEL.shape("T"), dt.datetime(2026, 1, 2, 3, 4, 5, 678900, tzinfo=dt.UTC), "T")
    assert out == ["<T>2026-01-02T03:04:05.678Z</T>"]


def test_element_tree_encoding_matches_render():
    value = {k: v for k, v in VALUE.items() if k != "Tagged"}  # attribute order aside
    element = X.encode(EVERYTHING, value, "Everything")
    assert X.to_bytes(element, "urn:default") == X.render(EVERYTHING, value, "Everything", "urn:default")
    tagged = X.encode(EVERYTHING, {"Tagged": VALUE["Tagged"]}, "Everything")
    assert X.decode(EVERYTHING, X.parse_document(X.to_bytes(tagged))) == {"Tagged": VALUE["Tagged"]}
    assert "xmlns" not in element.attrib  # to_bytes leaves the caller's tree alone


# --- S3's AccessControlPolicy against botocore's rest-xml serializer and parser ------------------

ACL = {
    "Grants": [
        {"Grantee": {"Type": "CanonicalUser", "ID": "abc", "DisplayName": "me & you"}, "Permission": "FULL_CONTROL"},
        {"Grantee": {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AllUsers"},
         "Permission": "READ"},
    ],
    "Owner": {"ID": "abc", "DisplayName": "me & you"},
}


def test_s3_acl_sent_by_botocore_decodes_with_xsi_type():
    model = oracle.service_model("s3")
    request = create_serializer("rest-xml", include_validation=False).serialize_to_request(
        {"Bucket": "b", "AccessControlPolicy": ACL}, model.operation_model("PutBucketAcl")
    )
    assert b"xsi:type" in request["body"]
    shape = load_service("s3").operation("PutBucketAcl").input_shape.members["AccessControlPolicy"]
    assert X.decode(shape, X.parse_document(request["body"])) == ACL


def test_s3_acl_rendered_by_us_parses_in_botocore():
    shape = load_service("s3").operation("GetBucketAcl").output_shape
    body = X.render(shape, ACL, "AccessControlPolicy", "http://s3.amazonaws.com/doc/2006-03-01/")
    assert b'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser"' in body
    op = oracle.service_model("s3").operation_model("GetBucketAcl")
    raw = {"status_code": 200, "headers": HeadersDict(), "body": body, "context": {}}
    parsed = create_parser("rest-xml").parse(raw, op.output_shape)
    parsed.pop("ResponseMetadata")
    assert parsed == ACL


def test_damaged_documents_only_ever_raise_service_errors():
    import random

    body = X.render(EVERYTHING, VALUE, "Everything", "urn:default")
    rng = random.Random(3)
    damaged = [body[:cut] for cut in range(0, len(body), 7)]
    for _ in range(1500):
        data = bytearray(body)
        for _ in range(rng.randint(1, 4)):
            data[rng.randrange(len(data))] = rng.choice(b"<>&;/=\"' x0-9.:\xff")
        damaged.append(bytes(data))
    for data in damaged:
        try:
            X.decode(EVERYTHING, X.parse_document(data))
        except ServiceError as error:
            assert error.code == "MalformedXML"
