"""A table's key schema and indexes, precomputed once per table for the request path.

``TableSchema`` turns keys and items into store keys (validating them with
DynamoDB's messages) and computes each secondary index's entry for an item.
"""

from __future__ import annotations

from typing import Any

from cloudlet.protocol.errors import ServiceError
from cloudlet.services.dynamodb import keys
from cloudlet.services.dynamodb.values import (
    MAX_HASH_KEY,
    MAX_RANGE_KEY,
    invalid,
    invalid_parameter,
    normalize_number,
    number_size,
)

KEY_MISMATCH = "The provided key element does not match the schema"


def _empty_key(kind: str, name: str) -> ServiceError:
    what = "string" if kind == "S" else "binary"
    return invalid(
        f"One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an "
        f"empty {what} value. Key: {name}"
    )


def _component_size(kind: str, value: Any) -> int:
    if kind == "S":
        return len(value.encode("utf-8"))
    if kind == "B":
        return len(value)
    return number_size(value)


class IndexSchema:
    __slots__ = ("name", "number", "is_global", "hash_name", "hash_type", "range_name", "range_type", "projection",
                 "include", "prefix", "key_names", "record")

    def __init__(self, record: dict, attribute_types: dict[str, str], uid: bytes, is_global: bool,
                 table_keys: tuple[str, ...]) -> None:
        self.record = record
        self.name: str = record["IndexName"]
        self.number: int = record["_number"]
        self.is_global = is_global
        schema = record["KeySchema"]
        self.hash_name: str = schema[0]["AttributeName"]
        self.hash_type = attribute_types[self.hash_name]
        self.range_name: str | None = schema[1]["AttributeName"] if len(schema) > 1 else None
        self.range_type = attribute_types[self.range_name] if self.range_name else None
        projection = record["Projection"]
        self.projection: str = projection.get("ProjectionType", "ALL")
        own_keys = (self.hash_name,) + ((self.range_name,) if self.range_name else ())
        self.key_names = own_keys + tuple(k for k in table_keys if k not in own_keys)
        self.include = frozenset(self.key_names) | frozenset(projection.get("NonKeyAttributes") or ())
        self.prefix = uid + bytes((self.number,))

    @property
    def active(self) -> bool:
        return self.record.get("IndexStatus", "ACTIVE") in ("ACTIVE", "UPDATING") or self.record.get("_building")

    def project(self, item: dict) -> dict:
        if self.projection == "ALL":
            return item
        include = self.include
        return {k: v for k, v in item.items() if k in include}

    def entry_key(self, item: dict, table_key: bytes) -> bytes | None:
        """The index's store key for an item, or None when the item is not in the (sparse) index."""
        hash_value = item.get(self.hash_name)
        if hash_value is None:
            return None
        inner = hash_value.get(self.hash_type)
        if inner is None:
            return None
        encoded = keys.encode(self.hash_type, inner)
        key = self.prefix + keys.partition_hash(encoded) + encoded
        if self.range_name is not None:
            range_value = item.get(self.range_name)
            if range_value is None:
                return None
            inner = range_value.get(self.range_type)  # type: ignore[arg-type]
            if inner is None:
                return None
            key += keys.encode(self.range_type, inner)  # type: ignore[arg-type]
        return key + table_key

    def partition_prefix(self, kind_value: Any) -> bytes:
        encoded = keys.encode(self.hash_type, kind_value)
        return self.prefix + keys.partition_hash(encoded) + encoded


class TableSchema:
    """Everything the data plane needs to know about one table, built from its stored record."""

    def __init__(self, record: dict) -> None:
        self.record = record
        self.name: str = record["TableName"]
        self.arn: str = record["TableArn"]
        self.uid = bytes.fromhex(record["_uid"])
        self.attribute_types = {d["AttributeName"]: d["AttributeType"] for d in record["AttributeDefinitions"]}
        schema = record["KeySchema"]
        self.hash_name: str = schema[0]["AttributeName"]
        self.hash_type = self.attribute_types[self.hash_name]
        self.range_name: str | None = schema[1]["AttributeName"] if len(schema) > 1 else None
        self.range_type = self.attribute_types[self.range_name] if self.range_name else None
        self.key_names = (self.hash_name,) + ((self.range_name,) if self.range_name else ())
        indexes = [IndexSchema(r, self.attribute_types, self.uid, True, self.key_names)
                   for r in record.get("GlobalSecondaryIndexes") or ()]
        indexes += [IndexSchema(r, self.attribute_types, self.uid, False, self.key_names)
                    for r in record.get("LocalSecondaryIndexes") or ()]
        indexes.sort(key=lambda index: index.name)
        self.indexes = indexes
        self.index_by_name = {index.name: index for index in indexes}
        # Index key attributes, for checking written items: name -> [(index, declared type)]
        self.index_attributes: dict[str, list[tuple[IndexSchema, str]]] = {}
        for index in indexes:
            for name in (index.hash_name, index.range_name):
                if name is not None and name not in self.key_names:
                    self.index_attributes.setdefault(name, []).append((index, self.attribute_types[name]))
        stream = record.get("StreamSpecification") or {}
        self.stream_view: str | None = stream.get("StreamViewType") if stream.get("StreamEnabled") else None
        self.stream_arn: str | None = record.get("LatestStreamArn") if self.stream_view else None
        ttl = record.get("_ttl") or {}
        self.ttl_name: str | None = ttl.get("AttributeName") if ttl.get("Status") == "ENABLED" else None
        self.status: str = record["TableStatus"]
        self.billing: str = (record.get("BillingModeSummary") or {}).get("BillingMode", "PROVISIONED")
        throughput = record.get("ProvisionedThroughput") or {}
        self.read_units: int = throughput.get("ReadCapacityUnits", 0)
        self.write_units: int = throughput.get("WriteCapacityUnits", 0)
        self.has_lsi = any(not index.is_global for index in indexes)
        self.simple = not indexes and self.stream_view is None and self.ttl_name is None

    # --- keys -------------------------------------------------------------------------------

    def _plain_hash(self, value: dict) -> bytes | None:
        """The store key prefix for a valid string partition key short enough to need no size check
        (512 characters are at most 2048 UTF-8 bytes); None for anything else, left to the full checks."""
        inner = value.get("S") if self.hash_type == "S" and len(value) == 1 else None
        if inner.__class__ is not str or not inner or len(inner) > MAX_HASH_KEY // 4:
            return None
        encoded = keys.encode_string(inner)  # type: ignore[union-attr]
        return self.uid + keys.partition_hash(encoded) + encoded

    def key_from_key(self, key: dict) -> bytes:
        """The store key for a ``Key`` parameter (GetItem, DeleteItem, UpdateItem...)."""
        hash_value = key.get(self.hash_name)
        if hash_value is not None and len(key) == len(self.key_names):
            result = self._plain_hash(hash_value)
            if result is not None:
                if self.range_name is None:
                    return result
                range_value = key.get(self.range_name)
                if range_value is None:
                    raise invalid(KEY_MISMATCH)
                self._check_empty(self.range_name, range_value)
                return result + self._component(self.range_type, range_value, False, KEY_MISMATCH)  # type: ignore[arg-type]
        return self._checked_key(key)

    def _checked_key(self, key: dict) -> bytes:
        key_names = self.key_names
        if len(key) != len(key_names):
            for name in key_names:  # an empty key value is named even when the count is wrong
                value = key.get(name)
                if value is not None:
                    self._check_empty(name, value)
            raise invalid(KEY_MISMATCH)
        hash_value = key.get(self.hash_name)
        if hash_value is None:
            raise invalid(KEY_MISMATCH)
        self._check_empty(self.hash_name, hash_value)
        if self.range_name is not None:
            range_value = key.get(self.range_name)
            if range_value is None:
                raise invalid(KEY_MISMATCH)
            self._check_empty(self.range_name, range_value)
        encoded = self._component(self.hash_type, hash_value, True, KEY_MISMATCH)
        result = self.uid + keys.partition_hash(encoded) + encoded
        if self.range_name is not None:
            result += self._component(self.range_type, key[self.range_name], False, KEY_MISMATCH)  # type: ignore[arg-type]
        return result

    def key_from_item(self, item: dict) -> bytes:
        """The store key for an item being written (its values already checked), with PutItem's messages."""
        if self.range_name is None:
            hash_value = item.get(self.hash_name)
            result = self._plain_hash(hash_value) if hash_value is not None else None
            if result is not None:
                return result
        for name in self.key_names:
            value = item.get(name)
            if value is None:
                raise invalid_parameter(f"Missing the key {name} in the item")
            self._check_empty(name, value)
        for name, kind in ((self.hash_name, self.hash_type), (self.range_name, self.range_type)):
            if name is None:
                continue
            actual = next(iter(item[name]))
            if actual != kind:
                raise invalid_parameter(f"Type mismatch for key {name} expected: {kind} actual: {actual}")
        encoded = self._component(self.hash_type, item[self.hash_name], True, "")
        result = self.uid + keys.partition_hash(encoded) + encoded
        if self.range_name is not None:
            result += self._component(self.range_type, item[self.range_name], False, "")  # type: ignore[arg-type]
        return result

    def key_of(self, item: dict) -> dict:
        return {name: item[name] for name in self.key_names}

    def store_key(self, item: dict) -> bytes:
        """The store key of an item already known to be valid (read from the store)."""
        encoded = keys.encode(self.hash_type, item[self.hash_name][self.hash_type])
        result = self.uid + keys.partition_hash(encoded) + encoded
        if self.range_name is not None:
            result += keys.encode(self.range_type, item[self.range_name][self.range_type])  # type: ignore[index,arg-type]
        return result

    def partition_prefix(self, value: Any) -> bytes:
        encoded = keys.encode(self.hash_type, value)
        return self.uid + keys.partition_hash(encoded) + encoded

    @staticmethod
    def _check_empty(name: str, value: dict) -> None:
        if len(value) == 1:
            for kind in ("S", "B"):
                inner = value.get(kind)
                if inner is not None and len(inner) == 0:
                    raise _empty_key(kind, name)

    def _component(self, kind: str, value: dict, is_hash: bool, mismatch: str) -> bytes:
        inner = value.get(kind) if len(value) == 1 else None
        if inner is None:
            raise invalid(mismatch or KEY_MISMATCH)
        if kind == "N":
            inner = normalize_number(inner)
            value[kind] = inner
        size = _component_size(kind, inner)
        if is_hash and size > MAX_HASH_KEY:
            raise invalid_parameter("Size of hashkey has exceeded the maximum size limit of2048 bytes")
        if not is_hash and size > MAX_RANGE_KEY:
            raise invalid_parameter("Aggregated size of all range keys has exceeded the size limit of 1024 bytes")
        return keys.encode(kind, inner)

    # --- secondary indexes ------------------------------------------------------------------

    def check_index_keys(self, item: dict, updated: bool = False) -> None:
        """Index key attributes an item carries must have the declared type and not be empty."""
        for name, uses in self.index_attributes.items():
            value = item.get(name)
            if value is None:
                continue
            actual = next(iter(value))
            for index, kind in uses:
                if actual != kind:
                    raise invalid_parameter(
                        f"Type mismatch for Index Key {name} Expected: {kind} Actual: {actual} IndexName: {index.name}"
                    )
                if kind in ("S", "B") and len(value[kind]) == 0:
                    what = "string" if kind == "S" else "binary"
                    if updated:
                        raise invalid(
                            "One or more parameter values are not valid. The update expression attempted to update a "
                            "secondary index key to a value that is not supported. The AttributeValue for a key "
                            f"attribute cannot contain an empty {what} value."
                        )
                    raise invalid(
                        "One or more parameter values are not valid. A value specified for a secondary index key is "
                        "not supported. The AttributeValue for a key attribute cannot contain an empty "
                        f"{what} value. IndexName: {index.name}, IndexKey: {name}"
                    )
