"""The CBOR codec: RFC 8949's examples, botocore's CBOR code as the oracle, and fuzzing."""

from __future__ import annotations

import io
import math
from datetime import UTC, datetime, timedelta

import pytest
from botocore.parsers import RpcV2CBORParser
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cloudlet.protocol import cbor, get_protocol
from cloudlet.protocol.errors import ServiceError
from cloudlet.protocol.models import load_service
from tests.support import oracle

# RFC 8949 Appendix A: (diagnostic value, encoding) pairs this codec encodes the same way.
ENCODED = [
    (0, "00"), (1, "01"), (10, "0a"), (23, "17"), (24, "1818"), (25, "1819"), (100, "1864"),
    (1000, "1903e8"), (1000000, "1a000f4240"), (1000000000000, "1b000000e8d4a51000"),
    (18446744073709551615, "1bffffffffffffffff"), (18446744073709551616, "c249010000000000000000"),
    (-18446744073709551616, "3bffffffffffffffff"), (-18446744073709551617, "c349010000000000000000"),
    (-1, "20"), (-10, "29"), (-100, "3863"), (-1000, "3903e7"),
    (1.1, "fb3ff199999999999a"), (-4.1, "fbc010666666666666"), (1.0e300, "fb7e37e43c8800759c"),
    (math.inf, "f97c00"), (-math.inf, "f9fc00"),
    (False, "f4"), (True, "f5"), (None, "f6"),
    (b"", "40"), (b"\x01\x02\x03\x04", "4401020304"),
    ("", "60"), ("a", "6161"), ("IETF", "6449455446"), ('"\\', "62225c"), ("\u00fc", "62c3bc"),
    ("\u6c34", "63e6b0b4"), ("\U00010151", "64f0908591"),
    ([], "80"), ([1, 2, 3], "83010203"), ([1, [2, 3], [4, 5]], "8301820203820405"),
    (list(range(1, 26)), "98190102030405060708090a0b0c0d0e0f101112131415161718181819"),
    ({}, "a0"), ({1: 2, 3: 4}, "a201020304"), ({"a": 1, "b": [2, 3]}, "a26161016162820203"),
    (["a", {"b": "c"}], "826161a161626163"),
    ({"a": "A", "b": "B", "c": "C", "d": "D", "e": "E"}, "a56161614161626142616361436164614461656145"),
]

# Encodings only decoded: other float widths, tags, undefined and indefinite lengths.
DECODED = [
    ("f90000", 0.0), ("f98000", -0.0), ("f93c00", 1.0), ("f93e00", 1.5), ("f97bff", 65504.0),
    ("fa47c35000", 100000.0), ("fa7f7fffff", 3.4028234663852886e38), ("f90001", 5.960464477539063e-8),
    ("f90400", 0.00006103515625), ("f9c400", -4.0), ("fa7f800000", math.inf), ("fb7ff0000000000000", math.inf),
    ("f7", None),
    ("c11a514b67b0", datetime(2013, 3, 21, 20, 4, tzinfo=UTC)),
    ("c1fb41d452d9ec200000", datetime(2013, 3, 21, 20, 4, 0, 500000, tzinfo=UTC)),
    ("d74401020304", b"\x01\x02\x03\x04"),  # tag 23 (expected base16): the value itself
    ("5f42010243030405ff", b"\x01\x02\x03\x04\x05"), ("7f657374726561646d696e67ff", "streaming"),
    ("9fff", []), ("9f018202039f0405ffff", [1, [2, 3], [4, 5]]), ("9f01820203820405ff", [1, [2, 3], [4, 5]]),
    ("83018202039f0405ff", [1, [2, 3], [4, 5]]), ("83019f0203ff820405", [1, [2, 3], [4, 5]]),
    ("bf61610161629f0203ffff", {"a": 1, "b": [2, 3]}), ("826161bf61626163ff", ["a", {"b": "c"}]),
    ("bf6346756ef563416d7421ff", {"Fun": True, "Amt": -2}),
]


@pytest.mark.parametrize(("value", "encoding"), ENCODED, ids=[e for _, e in ENCODED])
def test_rfc_examples_encode_and_decode(value, encoding):
    assert cbor.dumps(value).hex() == encoding
    assert cbor.loads(bytes.fromhex(encoding)) == value


@pytest.mark.parametrize(("encoding", "value"), DECODED, ids=[e for e, _ in DECODED])
def test_rfc_examples_decode(encoding, value):
    decoded = cbor.loads(bytes.fromhex(encoding))
    assert decoded == value and type(decoded) is type(value)
    if isinstance(value, float):
        assert math.copysign(1, decoded) == math.copysign(1, value)


def test_nan_in_every_width():
    for encoding in ("f97e00", "fa7fc00000", "fb7ff8000000000000"):
        assert math.isnan(cbor.loads(bytes.fromhex(encoding)))
    assert cbor.dumps(math.nan) == bytes.fromhex("f97e00")


def test_datetimes_encode_as_tag_1_epoch_seconds():
    whole = datetime(2013, 3, 21, 20, 4, tzinfo=UTC)
    assert cbor.dumps(whole).hex() == "c11a514b67b0"
    fraction = datetime(2013, 3, 21, 20, 4, 0, 500000, tzinfo=UTC)
    assert cbor.dumps(fraction).hex() == "c1fb41d452d9ec200000"
    before_1970 = datetime(1969, 12, 31, 23, 59, 59, tzinfo=UTC)
    assert cbor.loads(cbor.dumps(before_1970)) == before_1970
    naive = datetime(2020, 1, 1)  # naive datetimes are UTC
    assert cbor.loads(cbor.dumps(naive)) == naive.replace(tzinfo=UTC)


def test_subclasses_encode_as_their_base_types():
    import enum

    class Color(str, enum.Enum):  # noqa: UP042 - the mixin whose str() is not its value
        RED = "red"

    class Size(enum.IntEnum):
        BIG = 3

    assert cbor.loads(cbor.dumps({"c": Color.RED, "s": Size.BIG})) == {"c": "red", "s": 3}
    assert cbor.loads(cbor.dumps((1, bytearray(b"x")))) == [1, b"x"]


def test_unencodable_values():
    with pytest.raises(cbor.CBOREncodeError):
        cbor.dumps({1, 2})
    with pytest.raises(cbor.CBOREncodeError):
        cbor.dumps(1 << 10000)
    deep: list = []
    for _ in range(cbor.MAX_DEPTH + 1):
        deep = [deep]
    with pytest.raises(cbor.CBOREncodeError):
        cbor.dumps(deep)


MALFORMED = {
    "empty": "",
    "truncated head": "19",
    "truncated string": "6461",
    "truncated array": "8301",
    "truncated map": "a161",
    "missing break": "9f01",
    "lone break": "ff",
    "break as a map value": "bf61ff",
    "reserved additional information": "1c",
    "indefinite integer": "1f",
    "indefinite tag": "df",
    "text chunk in a byte string": "5f6161ff",
    "nested indefinite chunk": "7f7f6161ffff",
    "invalid utf-8": "62c328",
    "invalid utf-8 chunk": "7f61c361bcff",  # a character split across chunks
    "unassigned simple value": "f0",
    "two-byte simple value": "f820",
    "tag 1 on a string": "c16161",
    "tag 1 out of range": "c11bffffffffffffffff",
    "tag 1 NaN": "c1f97e00",
    "bignum on an int": "c201",
    "unhashable key": "a18001",
    "trailing bytes": "0000",
}


@pytest.mark.parametrize("encoding", MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_input_is_a_decode_error(encoding):
    with pytest.raises(cbor.CBORDecodeError):
        cbor.loads(bytes.fromhex(encoding))


@pytest.mark.parametrize(
    "encoding",
    [
        "5b" + "ff" * 8,  # a byte string of 2**64-1 bytes, with none present
        "7b" + "7f" + "ff" * 7,
        "9b" + "ff" * 8,  # an array of 2**64-1 items
        "bb" + "ff" * 8,
        "9a" + "ffffffff" + "00" * 100,
        "ba" + "00000033" + "00" * 100,  # 51 pairs need at least 102 bytes
        "5f5b" + "ff" * 8 + "ff",
    ],
)
def test_lengths_beyond_the_input_fail_fast(encoding):
    # the declared length is checked against the input before anything is allocated
    with pytest.raises(cbor.CBORDecodeError, match="past the end"):
        cbor.loads(bytes.fromhex(encoding))


@pytest.mark.parametrize("opener", ["81", "a16161", "9f", "bf6161", "c6"])
def test_nesting_is_bounded(opener):
    data = bytes.fromhex(opener) * 100_000 + b"\x00"
    with pytest.raises(cbor.CBORDecodeError, match="nesting"):
        cbor.loads(data)
    ok = bytes.fromhex("81") * (cbor.MAX_DEPTH - 1) + b"\x00"
    assert cbor.loads(ok) is not None


# --- hypothesis ------------------------------------------------------------------------

scalars = (
    st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False) | st.text() | st.binary()
    | st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(UTC))
    .map(lambda d: d.replace(microsecond=d.microsecond // 1000 * 1000))
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=8), inner, max_size=5),
    max_leaves=30,
)


@given(values)
def test_roundtrip(value):
    assert cbor.loads(cbor.dumps(value)) == value


def _botocore_decode(data: bytes):
    parser = RpcV2CBORParser()
    return parser.parse_data_item(parser.get_peekable_stream_from_bytes(data))


def _comparable(value):
    """botocore drops null map values and reads tag 1 in local time: compare in that light."""
    if isinstance(value, dict):
        return {k: _comparable(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_comparable(v) for v in value]
    return oracle.normalize(value)


boto_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**64), max_value=2**64 - 1)
    | st.floats(allow_nan=False) | st.text() | st.binary()
    | st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2999, 1, 1), timezones=st.just(UTC))
    .map(lambda d: d.replace(microsecond=d.microsecond // 1000 * 1000)),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=8), inner, max_size=5),
    max_leaves=30,
)


@given(boto_values)
def test_botocore_reads_what_we_write(value):
    assert _comparable(_botocore_decode(cbor.dumps(value))) == _comparable(value)


@given(st.binary(max_size=200))
@settings(max_examples=3000, suppress_health_check=[HealthCheck.too_slow])
def test_random_bytes_decode_or_fail_cleanly(data):
    try:
        cbor.loads(data)
    except cbor.CBORDecodeError:
        pass


@given(values)
def test_every_truncation_fails_cleanly(value):
    data = cbor.dumps(value)
    for end in range(len(data)):
        with pytest.raises(cbor.CBORDecodeError):
            cbor.loads(data[:end])


@given(values, st.data())
def test_corrupted_documents_fail_cleanly(value, data):
    encoded = bytearray(cbor.dumps(value))
    index = data.draw(st.integers(0, len(encoded) - 1))
    encoded[index] = data.draw(st.integers(0, 255))
    try:
        cbor.loads(bytes(encoded))
    except cbor.CBORDecodeError:
        pass


def test_decoded_datetimes_are_aware_utc():
    value = cbor.loads(bytes.fromhex("c11a514b67b0"))
    assert value.tzinfo is UTC and value.utcoffset() == timedelta(0)


# --- the protocol's use of it ----------------------------------------------------------


def test_protocol_turns_bad_cbor_into_serialization_exception():
    from cloudlet.http import Request

    operation = load_service("cloudwatch").operation("PutMetricData")
    protocol = get_protocol("smithy-rpc-v2-cbor")
    for body in (b"\xff", b"\x9f", b"\x62\xc3\x28", b"\x01", b"\x80"):
        with pytest.raises(ServiceError) as caught:
            protocol.parse(Request("POST", "/", "", {}, body=body), operation)
        assert caught.value.code == "SerializationException" and caught.value.status == 400


@given(values)
@settings(max_examples=500)
def test_protocol_raises_only_service_errors_for_any_document(value):
    """Whatever well-formed CBOR arrives, parsing either succeeds or is a ServiceError."""
    from cloudlet.http import Request

    protocol = get_protocol("smithy-rpc-v2-cbor")
    for service, name in (("cloudwatch", "PutMetricData"), ("dynamodb", "PutItem"), ("codebuild", "CreateProject")):
        operation = load_service(service).operation(name)
        document = {member: value for member in operation.input_shape.members}
        for body in (cbor.dumps(value), cbor.dumps(document)):
            try:
                protocol.parse(Request("POST", "/", "", {}, body=body), operation)
            except ServiceError as error:
                assert error.status == 400


def test_documents_travel_in_cbor():
    """botocore's CBOR code has no document types, so check ours directly."""
    from cloudlet.http import Request

    operation = load_service("cognito-idp").operation("CreateManagedLoginBranding")
    document = {"a": [1, "two", {"three": True}], "n": None}
    body = cbor.dumps({"UserPoolId": "p", "ClientId": "c", "Settings": document})
    parsed = get_protocol("smithy-rpc-v2-cbor").parse(Request("POST", "/", "", {}, body=body), operation)
    assert parsed["Settings"] == document
    assert cbor.loads(cbor.dumps({"Settings": document})) == {"Settings": document}


def test_botocore_stream_reader_accepts_our_documents():
    data = cbor.dumps({"a": [1, 2.5, "x", b"y", None, True]})
    parser = RpcV2CBORParser()
    assert parser.parse_data_item(io.BufferedReader(io.BytesIO(data))) == {"a": [1, 2.5, "x", b"y", None, True]}
