"""The parameters older code still sends, translated into the expression engine's bound forms.

Expected, QueryFilter, ScanFilter and KeyConditions become conditions;
AttributeUpdates becomes update actions; AttributesToGet becomes a projection.
A request may not mix them with expressions.
"""

from __future__ import annotations

from cloudlet.protocol.errors import ServiceError
from cloudlet.services.dynamodb.values import Checked, check_value, invalid, invalid_parameter

EXPRESSION_PARAMETERS = ("ProjectionExpression", "FilterExpression", "ConditionExpression", "KeyConditionExpression",
                         "UpdateExpression")
LEGACY_PARAMETERS = ("AttributesToGet", "QueryFilter", "ScanFilter", "Expected", "KeyConditions", "AttributeUpdates",
                     "ConditionalOperator")

_LEGACY = frozenset(LEGACY_PARAMETERS)

_ARGUMENTS = {
    "EQ": (1, 1), "NE": (1, 1), "LE": (1, 1), "LT": (1, 1), "GE": (1, 1), "GT": (1, 1),
    "CONTAINS": (1, 1), "NOT_CONTAINS": (1, 1), "BEGINS_WITH": (1, 1),
    "NULL": (0, 0), "NOT_NULL": (0, 0), "IN": (1, None), "BETWEEN": (2, 2),
}
_SCALAR_ONLY = ("LE", "LT", "GE", "GT", "BETWEEN")


def check_mixed(params: dict) -> None:
    """Expression and non-expression parameters may not meet in one request."""
    if _LEGACY.isdisjoint(params):  # most requests: nothing to check
        return
    legacy = [name for name in LEGACY_PARAMETERS if params.get(name) is not None]
    expressions = [name for name in EXPRESSION_PARAMETERS if params.get(name) is not None]
    if legacy and expressions:
        raise invalid(
            "Can not use both expression and non-expression parameters in the same request: "
            f"Non-expression parameters: {{{', '.join(legacy)}}} Expression parameters: {{{', '.join(expressions)}}}"
        )
    if legacy and (params.get("ExpressionAttributeNames") is not None
                   or params.get("ExpressionAttributeValues") is not None):
        names = [n for n in ("ExpressionAttributeNames", "ExpressionAttributeValues") if params.get(n) is not None]
        raise invalid(f"{names[0]} can only be specified when using expressions")


def _value(value: dict) -> dict:
    return check_value(value, Checked())[0]


def _one(name: str, spec: dict, key_condition: bool = False) -> tuple:
    """One attribute's condition (Expected, QueryFilter, ScanFilter or KeyConditions entry)."""
    path = ("path", (name,))
    operator = spec.get("ComparisonOperator")
    if operator is None:
        if key_condition:
            raise invalid_parameter(f"ComparisonOperator is required for KeyCondition: {name}")
        if spec.get("AttributeValueList") is not None:
            raise invalid_parameter(f"AttributeValueList can only be used with a ComparisonOperator for Attribute: {name}")
        exists = spec.get("Exists")
        value = spec.get("Value")
        if exists is None or exists:
            if value is None:
                shown = "null" if exists is None else "true"
                raise invalid_parameter(f"Value must be provided when Exists is {shown} for Attribute: {name}")
            return ("cmp", "=", path, ("value", _value(value)))
        if value is not None:
            raise invalid_parameter(f"Value cannot be used when Exists is false for Attribute: {name}")
        return ("not_exists", (name,))
    if spec.get("Exists") is not None:
        raise invalid_parameter(f"Exists and ComparisonOperator cannot be used together for Attribute: {name}")
    if spec.get("AttributeValueList") is not None and spec.get("Value") is not None:
        raise invalid_parameter(f"Value and AttributeValueList cannot be used together for Attribute: {name}")
    values = spec.get("AttributeValueList")
    if values is None:
        values = [spec["Value"]] if spec.get("Value") is not None else []
    least, most = _ARGUMENTS[operator]
    if len(values) < least or (most is not None and len(values) > most):
        raise invalid_parameter(f"Invalid number of argument(s) for the {operator} ComparisonOperator")
    arguments = [_value(v) for v in values]
    for argument in arguments:
        kind = next(iter(argument))
        if operator in _SCALAR_ONLY and kind not in ("S", "N", "B"):
            raise invalid_parameter(f"ComparisonOperator {operator} is not valid for {kind} AttributeValue type")
        if operator in ("CONTAINS", "NOT_CONTAINS", "BEGINS_WITH") and kind not in ("S", "N", "B"):
            raise invalid_parameter(f"ComparisonOperator {operator} is not valid for {kind} AttributeValue type")
        if operator == "BEGINS_WITH" and kind == "N":
            raise invalid_parameter(f"ComparisonOperator {operator} is not valid for {kind} AttributeValue type")
    if operator == "BETWEEN":
        low, high = arguments
        if next(iter(low)) != next(iter(high)):
            raise invalid_parameter("AttributeValues inside AttributeValueList must be of same type")
    values_bound = [("value", a) for a in arguments]
    if operator == "EQ":
        return ("cmp", "=", path, values_bound[0])
    if operator == "NE":
        return ("cmp", "<>", path, values_bound[0])
    if operator in ("LE", "LT", "GE", "GT"):
        symbol = {"LE": "<=", "LT": "<", "GE": ">=", "GT": ">"}[operator]
        return ("cmp", symbol, path, values_bound[0])
    if operator == "NULL":
        return ("not_exists", (name,))
    if operator == "NOT_NULL":
        return ("exists", (name,))
    if operator == "CONTAINS":
        return ("contains", path, values_bound[0])
    if operator == "NOT_CONTAINS":
        return ("and", ("exists", (name,)), ("not", ("contains", path, values_bound[0])))
    if operator == "BEGINS_WITH":
        return ("begins", path, values_bound[0])
    if operator == "IN":
        return ("in", path, values_bound)
    return ("between", path, values_bound[0], values_bound[1])


def conditions(filters: dict | None, operator: str | None, parameter: str) -> tuple | None:
    """Expected / QueryFilter / ScanFilter combined with ConditionalOperator (AND by default)."""
    if not filters:
        if operator is not None and filters is not None:
            raise invalid(f"ConditionalOperator cannot be used with an empty {parameter}")
        return None
    parts = [_one(name, spec) for name, spec in filters.items()]
    joined = parts[0]
    for part in parts[1:]:
        joined = ("or" if operator == "OR" else "and", joined, part)
    return joined


def key_conditions(spec: dict) -> tuple:
    parts = [_one(name, condition, key_condition=True) for name, condition in spec.items()]
    joined = parts[0]
    for part in parts[1:]:
        joined = ("and", joined, part)
    return joined


def attribute_updates(updates: dict, key_names: tuple[str, ...]) -> list[tuple]:
    actions: list[tuple] = []
    for name, spec in updates.items():
        if name in key_names:
            raise invalid_parameter(f"Cannot update attribute {name}. This attribute is part of the key")
        action = spec.get("Action") or "PUT"
        value = spec.get("Value")
        if action == "PUT":
            if value is None:
                raise invalid_parameter(f"Only DELETE action is allowed when no attribute value is specified: {name}")
            actions.append(("set", (name,), ("value", _value(value))))
        elif action == "DELETE":
            if value is None:
                actions.append(("remove", (name,)))
            else:
                checked = _value(value)
                if next(iter(checked)) not in ("SS", "NS", "BS"):
                    raise invalid_parameter("DELETE action with value is not supported for the type " + next(iter(checked)))
                actions.append(("delete", (name,), checked))
        else:  # ADD
            if value is None:
                raise invalid_parameter(f"Only DELETE action is allowed when no attribute value is specified: {name}")
            checked = _value(value)
            kind = next(iter(checked))
            if kind == "L":
                actions.append(("set", (name,), ("list_append", ("if_not_exists", (name,), ("value", {"L": []})),
                                                 ("value", checked))))
            elif kind in ("N", "SS", "NS", "BS"):
                actions.append(("add", (name,), checked))
            else:
                raise invalid_parameter(f"ADD action is not supported for the type {kind}")
    return actions


def attributes_to_get(names: list[str] | None) -> list[tuple] | None:
    if names is None:
        return None
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise ServiceError(
                "ValidationException", f"One or more parameter values were invalid: Duplicate value in attribute name: {name}"
            )
        seen.add(name)
    return [(name,) for name in names]
