"""A Query's key condition, turned into the byte range it reads.

The condition (from KeyConditionExpression or KeyConditions) must be an equality
on the partition key, optionally AND one condition on the sort key: =, <, <=,
>, >=, BETWEEN or begins_with. The sort key condition becomes the start and end
of a range read inside the partition.
"""

from __future__ import annotations

from typing import Any

from cloudlet.protocol.errors import ServiceError
from cloudlet.services.dynamodb import keys
from cloudlet.services.dynamodb.values import invalid, invalid_parameter, normalize_number

_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "=": "="}
_OPERATOR_NAMES = {"or": "OR", "not": "NOT", "in": "IN", "exists": "attribute_exists",
                   "not_exists": "attribute_not_exists", "contains": "contains", "type": "attribute_type",
                   "size": "size"}


class KeyCondition:
    """The partition key value and the sort key range of a Query."""

    __slots__ = ("hash_value", "operator", "values")

    def __init__(self, hash_value: Any, operator: str | None, values: list[Any]) -> None:
        self.hash_value = hash_value
        self.operator = operator
        self.values = values

    def bounds(self, prefix: bytes, range_type: str | None) -> tuple[bytes, bytes]:
        """[start, end) of the keys that satisfy the sort key condition, inside ``prefix``."""
        end = keys.successor(prefix)
        op = self.operator
        if op is None:
            return prefix, end
        if op == "begins_with":
            start = prefix + keys.prefix_of(range_type, self.values[0])  # type: ignore[arg-type]
            return start, keys.successor(start)
        encoded = prefix + keys.encode(range_type, self.values[0])  # type: ignore[arg-type]
        if op == "=":
            return encoded, keys.successor(encoded)
        if op == "<":
            return prefix, encoded
        if op == "<=":
            return prefix, keys.successor(encoded)
        if op == ">":
            return keys.successor(encoded), end
        if op == ">=":
            return encoded, end
        high = prefix + keys.encode(range_type, self.values[1])  # type: ignore[arg-type]
        return encoded, keys.successor(high)


def _conjuncts(node: tuple, out: list[tuple]) -> None:
    if node[0] == "and":
        _conjuncts(node[1], out)
        _conjuncts(node[2], out)
    else:
        out.append(node)


def _value(node: tuple) -> dict | None:
    return node[1] if node[0] == "value" else None


def analyze(condition: tuple, hash_name: str, hash_type: str, range_name: str | None,
            range_type: str | None) -> KeyCondition:
    parts: list[tuple] = []
    _conjuncts(condition, parts)
    for part in parts:
        name = _OPERATOR_NAMES.get(part[0])
        if name is not None:
            raise invalid(f"Invalid operator used in KeyConditionExpression: {name}")
        if part[0] == "cmp" and part[1] == "<>":
            raise invalid("Invalid operator used in KeyConditionExpression: <>")
    if len(parts) > 2:
        raise invalid("KeyConditionExpressions must only contain one condition per key")
    found: dict[str, tuple[str, list[dict]]] = {}
    for part in parts:
        tag = part[0]
        if tag == "cmp":
            op, left, right = part[1], part[2], part[3]
            if left[0] == "path" and right[0] == "value":
                path, values, operator = left[1], [right[1]], op
            elif right[0] == "path" and left[0] == "value":
                path, values, operator = right[1], [left[1]], _FLIP[op]
            else:
                raise invalid("Invalid KeyConditionExpression: Syntax error; the operands must be a key and a value")
        elif tag == "between":
            if part[1][0] != "path":
                raise invalid("Invalid KeyConditionExpression: the BETWEEN operand must be a key attribute")
            path, values, operator = part[1][1], [_value(part[2]), _value(part[3])], "between"
        elif tag == "begins":
            if part[1][0] != "path":
                raise invalid("Invalid KeyConditionExpression: the begins_with operand must be a key attribute")
            path, values, operator = part[1][1], [_value(part[2])], "begins_with"
        else:
            raise invalid("Query key condition not supported")
        if len(path) > 1:
            raise invalid("KeyConditionExpressions cannot have conditions on nested attributes")
        name = path[0]
        if name in found:
            raise invalid("KeyConditionExpressions must only contain one condition per key")
        found[name] = (operator, values)  # type: ignore[assignment]
    if hash_name not in found:
        raise invalid(f"Query condition missed key schema element: {hash_name}")
    for name in found:
        if name not in (hash_name, range_name):
            raise invalid(f"Query condition missed key schema element: {range_name or hash_name}")
    operator, values = found[hash_name]
    if operator != "=":
        raise invalid("Query key condition not supported")
    hash_value = _typed(values[0], hash_type)
    if range_name is None or range_name not in found:
        return KeyCondition(hash_value, None, [])
    operator, values = found[range_name]
    return KeyCondition(hash_value, operator, [_typed(v, range_type) for v in values])  # type: ignore[arg-type]


def _typed(value: dict | None, kind: str) -> Any:
    if value is None or len(value) != 1 or kind not in value:
        raise invalid_parameter("Condition parameter type does not match schema type")
    inner = value[kind]
    if kind == "N":
        return normalize_number(inner)
    if kind in ("S", "B") and len(inner) == 0:
        raise ServiceError(
            "ValidationException",
            "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an "
            f"empty {'string' if kind == 'S' else 'binary'} value.",
        )
    return inner
