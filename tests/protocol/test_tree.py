"""The compiled shape walker (tree.py) against the plain recursive walker it replaced.

The compiled codec must behave exactly like the reference below: the same values
out, the same errors with the same messages, for every input and output shape of
every json and CBOR service, for generated values and for values broken at a
random place.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import random
from datetime import UTC, datetime
from typing import Any

import pytest

from cloudlet.protocol import timestamps
from cloudlet.protocol.models import SERVICES, Shape, load_service
from cloudlet.protocol.tree import _JSON_TYPES, CBOR_CODEC, JSON_CODEC, SerializationError
from tests.support import oracle


class ReferenceCodec:
    """The straightforward walker the compiled one replaced, kept as its specification."""

    def __init__(self, *, binary_blobs: bool, native_timestamps: bool, renames: bool) -> None:
        self.binary_blobs = binary_blobs  # CBOR carries bytes; JSON carries base64
        self.native_timestamps = native_timestamps  # CBOR tag 1 arrives as a datetime already
        self.renames = renames  # JSON honours locationName; RPCv2 uses member names

    def wire_name(self, name: str, member: Shape) -> str:
        return (member.location_name or name) if self.renames else name

    # --- wire -> python ---------------------------------------------------------------

    def decode(self, shape: Shape, value: Any, path: str = "") -> Any:
        kind = shape.type
        if kind == "structure":
            if shape.document:
                return value
            if not isinstance(value, dict):
                raise self._mismatch(shape, value, path)
            out: dict[str, Any] = {}
            for name, member in shape.members.items():
                raw = value.get(self.wire_name(name, member))
                if raw is not None:
                    out[name] = self.decode(member, raw, f"{path}.{name}" if path else name)
            return out
        if kind == "list":
            if not isinstance(value, list):
                raise self._mismatch(shape, value, path)
            member = shape.member
            return [None if v is None else self.decode(member, v, path) for v in value]
        if kind == "map":
            if not isinstance(value, dict):
                raise self._mismatch(shape, value, path)
            key_shape, value_shape = shape.key, shape.value
            return {
                self.decode(key_shape, k, path): None if v is None else self.decode(value_shape, v, path)
                for k, v in value.items()
            }
        if kind == "string":
            if not isinstance(value, str):
                raise self._mismatch(shape, value, path)
            return value
        if kind in ("integer", "long", "biginteger"):
            if isinstance(value, bool) or not isinstance(value, int):
                if isinstance(value, float) and value.is_integer():
                    return int(value)
                raise self._mismatch(shape, value, path)
            return value
        if kind in ("float", "double", "bigdecimal"):
            if isinstance(value, str) and value in ("NaN", "Infinity", "-Infinity"):
                return float(value)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise self._mismatch(shape, value, path)
            return value
        if kind == "boolean":
            if not isinstance(value, bool):
                raise self._mismatch(shape, value, path)
            return value
        if kind == "blob":
            if self.binary_blobs and isinstance(value, bytes | bytearray):
                return bytes(value)
            if not isinstance(value, str):
                raise self._mismatch(shape, value, path)
            try:
                return base64.b64decode(value, validate=True)
            except (binascii.Error, ValueError):
                raise SerializationError(f"Base64 encoded value at '{path}' is not valid.")
        if kind == "timestamp":
            if self.native_timestamps and isinstance(value, datetime):
                return value
            try:
                return timestamps.parse(value, shape.timestamp_format or "unixTimestamp")
            except (timestamps.TimestampError, OverflowError):  # the one fix since: no OverflowError
                raise self._mismatch(shape, value, path)
        return value

    def _mismatch(self, shape: Shape, value: Any, path: str) -> SerializationError:
        got = type(value).__name__
        expected = _JSON_TYPES.get(shape.type, shape.type)
        where = f" at '{path}'" if path else ""
        return SerializationError(f"Unexpected value of type {got}{where}: expected {expected}.")

    # --- python -> wire ---------------------------------------------------------------

    def encode(self, shape: Shape, value: Any) -> Any:
        kind = shape.type
        if kind == "structure":
            if shape.document:
                return value
            out: dict[str, Any] = {}
            members = shape.members
            for name, item in value.items():
                member = members.get(name)
                if member is not None and item is not None:
                    out[self.wire_name(name, member)] = self.encode(member, item)
            return out
        if kind == "list":
            member = shape.member
            return [None if v is None else self.encode(member, v) for v in value]
        if kind == "map":
            value_shape = shape.value
            return {k: None if v is None else self.encode(value_shape, v) for k, v in value.items()}
        if kind == "blob":
            data = value.encode() if isinstance(value, str) else bytes(value)
            return data if self.binary_blobs else base64.b64encode(data).decode("ascii")
        if kind == "timestamp":
            if self.native_timestamps:
                return timestamps.to_datetime(value)
            return timestamps.render(value, shape.timestamp_format or "unixTimestamp")
        if kind in ("float", "double") and not self.binary_blobs and isinstance(value, float):
            if math.isnan(value):
                return "NaN"
            if math.isinf(value):
                return "Infinity" if value > 0 else "-Infinity"
        return value



REFERENCE_JSON = ReferenceCodec(binary_blobs=False, native_timestamps=False, renames=True)
REFERENCE_CBOR = ReferenceCodec(binary_blobs=True, native_timestamps=True, renames=False)
CODECS = {"json": (JSON_CODEC, REFERENCE_JSON), "cbor": (CBOR_CODEC, REFERENCE_CBOR)}

SERVICE_NAMES = [name for name in SERVICES if load_service(name).protocol in ("json", "smithy-rpc-v2-cbor", "rest-json")]
WRONG = [5, -1, 1.5, 2.0, "x", "NaN", "Infinity", "bm90IGJhc2U2NA==", "not base64!", "2026-01-02T03:04:05Z",
         1e300, -1e11, True, None, [], [1], {}, {"a": 1}, b"bytes", datetime(2026, 1, 1, tzinfo=UTC)]


def _outcome(codec: Any, shape: Shape, value: Any) -> Any:
    try:
        # As text, so that NaN equals NaN; key order is not part of the contract.
        return ("ok", json.dumps(oracle.normalize(codec.decode(shape, value)), default=repr, sort_keys=True))
    except SerializationError as error:
        return ("error", error.message)


def _paths(value: Any, path: tuple = ()) -> list[tuple]:
    found = [path]
    if isinstance(value, dict):
        for key, item in value.items():
            found.extend(_paths(item, (*path, key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.extend(_paths(item, (*path, index)))
    return found


def _replace(value: Any, path: tuple, new: Any) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {**value, head: _replace(value[head], rest, new)}
    copy = list(value)
    copy[head] = _replace(copy[head], rest, new)
    return copy


def _shapes(service: str):
    model = load_service(service)
    for name in model.operation_names:
        operation = model.operation(name)
        for shape in (operation.input_shape, operation.output_shape):
            if shape is not None:
                yield name, shape


@pytest.mark.parametrize("service", SERVICE_NAMES)
@pytest.mark.parametrize("codec_name", ["json", "cbor"])
def test_compiled_walker_matches_the_reference(service, codec_name):
    compiled, reference = CODECS[codec_name]
    botocore_model = oracle.service_model(service)
    rng = random.Random(service)
    for operation, shape in _shapes(service):
        botocore_shape = botocore_model.shape_for(shape.name)
        for seed in range(3):
            value = oracle.Generator(seed).value(botocore_shape)
            encoded = reference.encode(shape, value)
            assert compiled.encode(shape, value) == encoded, operation
            if codec_name == "json":
                encoded = json.loads(json.dumps(encoded))
            assert _outcome(compiled, shape, encoded) == _outcome(reference, shape, encoded), operation
            paths = _paths(encoded)
            for _ in range(4):
                broken = _replace(encoded, rng.choice(paths), rng.choice(WRONG))
                expected = _outcome(reference, shape, broken)
                assert _outcome(compiled, shape, broken) == expected, (operation, broken)


def test_non_finite_floats_and_non_list_iterables_encode_as_before():
    shape = load_service("cloudwatch").operation("GetMetricData").output_shape
    value = {"MetricDataResults": [{"Id": "a", "Values": [math.nan, math.inf, -math.inf, 1.5],
                                    "Timestamps": (datetime(2026, 1, 1, tzinfo=UTC),), "Label": "x"}],
             "Messages": ()}
    for compiled, reference in CODECS.values():
        out, expected = compiled.encode(shape, value), reference.encode(shape, value)
        assert json.dumps(out, default=str) == json.dumps(expected, default=str)
    out = JSON_CODEC.encode(shape, value)
    assert out["MetricDataResults"][0]["Values"][:3] == ["NaN", "Infinity", "-Infinity"]
    assert out["MetricDataResults"][0]["Timestamps"] == [1767225600]
    assert out["Messages"] == []


def test_errors_name_the_path():
    shape = load_service("dynamodb").operation("PutItem").input_shape
    with pytest.raises(SerializationError, match="at 'Item.M.M.N': expected a string"):
        JSON_CODEC.decode(shape, {"TableName": "t", "Item": {"a": {"M": {"b": {"M": {"c": {"N": 5}}}}}}})
    with pytest.raises(SerializationError, match="Base64 encoded value at 'Item.B' is not valid"):
        JSON_CODEC.decode(shape, {"Item": {"a": {"B": "!!"}}})


def test_out_of_range_timestamps_are_serialization_errors():
    shape = load_service("cloudwatch").operation("GetMetricStatistics").input_shape
    for codec in (JSON_CODEC, CBOR_CODEC):
        for value in (-1e11, 1e30, "-99999999999"):
            with pytest.raises(SerializationError, match="StartTime"):
                codec.decode(shape, {"StartTime": value})


def test_a_view_of_a_structure_is_compiled_on_its_own():
    """rest.py restricts a structure to its body members under the same name: the
    compiled walkers must follow each shape's own definition, whichever came first."""
    full = load_service("lambda").operation("Invoke").input_shape
    spec = dict(full.spec, members={k: v for k, v in full.spec["members"].items() if k == "FunctionName"})
    view = Shape(full.service, full.name, spec)
    document = {"FunctionName": "f", "Qualifier": "q"}
    for codec in (JSON_CODEC, CBOR_CODEC):
        assert codec.decode(full, document) == document
        assert codec.decode(view, document) == {"FunctionName": "f"}
        assert codec.encode(view, document) == {"FunctionName": "f"}
        assert codec.encode(full, document) == document
