"""Evaluating bound conditions against an item, and reading document paths.

An item is ``{name: attribute value}``; a missing attribute (or a path through
something that is not a map or list) reads as None, and a condition over None
is false except ``<>``, as in DynamoDB.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from cloudlet.protocol.tree import WireMap
from cloudlet.services.dynamodb.values import compare, equal


def resolve(item: dict | None, path: tuple) -> dict | None:
    """The value at a document path, or None."""
    if item is None:
        return None
    value = item.get(path[0])
    for element in path[1:]:
        if value is None:
            return None
        if isinstance(element, int):
            inner = value.get("L")
            value = inner[element] if inner is not None and element < len(inner) else None
        else:
            inner = value.get("M")
            value = inner.get(element) if inner is not None else None
    return value


def operand(item: dict | None, node: tuple) -> dict | None:
    tag = node[0]
    if tag == "path":
        return resolve(item, node[1])
    if tag == "value":
        return node[1]
    if tag == "size":
        return size(operand(item, node[1]))
    return None


def size(value: dict | None) -> dict | None:
    if value is None:
        return None
    ((kind, inner),) = value.items()
    if kind == "S" and not inner.isascii():  # DynamoDB counts a string in UTF-16 code units
        return {"N": str(len(inner.encode("utf-16-le")) // 2)}
    if kind in ("S", "B", "SS", "NS", "BS", "L", "M"):
        return {"N": str(len(inner))}
    return None


def evaluate(node: tuple, item: dict | None) -> bool:
    tag = node[0]
    if tag == "and":
        return evaluate(node[1], item) and evaluate(node[2], item)
    if tag == "or":
        return evaluate(node[1], item) or evaluate(node[2], item)
    if tag == "not":
        return not evaluate(node[1], item)
    if tag == "cmp":
        op = node[1]
        a, b = operand(item, node[2]), operand(item, node[3])
        if op == "=":
            return equal(a, b)
        if op == "<>":
            return not equal(a, b)
        if a is None or b is None:
            return False
        order = compare(a, b)
        if order is None:
            return False
        if op == "<":
            return order < 0
        if op == "<=":
            return order <= 0
        if op == ">":
            return order > 0
        return order >= 0
    if tag == "exists":
        return resolve(item, node[1]) is not None
    if tag == "not_exists":
        return resolve(item, node[1]) is None
    if tag == "between":
        a, low, high = operand(item, node[1]), operand(item, node[2]), operand(item, node[3])
        if a is None or low is None or high is None:
            return False
        first, second = compare(low, a), compare(a, high)
        return first is not None and second is not None and first <= 0 and second <= 0
    if tag == "in":
        a = operand(item, node[1])
        return a is not None and any(equal(a, operand(item, option)) for option in node[2])
    if tag == "begins":
        a, b = operand(item, node[1]), operand(item, node[2])
        if a is None or b is None:
            return False
        ((ka, va),), ((kb, vb),) = a.items(), b.items()
        return ka == kb and ka in ("S", "B") and va.startswith(vb)
    if tag == "contains":
        return contains(operand(item, node[1]), operand(item, node[2]))
    if tag == "type":
        a = operand(item, node[1])
        return a is not None and next(iter(a)) == node[2]
    return False


def contains(a: dict | None, b: dict | None) -> bool:
    if a is None or b is None:
        return False
    ((ka, va),), ((kb, vb),) = a.items(), b.items()
    if ka == "S" and kb == "S":
        return vb in va
    if ka == "B" and kb == "B":
        return vb in va
    if ka == "SS" and kb == "S" or ka == "BS" and kb == "B":
        return vb in va
    if ka == "NS" and kb == "N":
        number = Decimal(vb)
        return any(Decimal(x) == number for x in va)
    if ka == "L":
        return any(equal(element, b) for element in va)
    return False


def project(item: dict, paths: list[tuple]) -> dict:
    """The parts of an item a projection names, nested structure kept (list elements in order)."""
    out: dict[str, Any] = {}
    for path in paths:
        value = resolve(item, path)
        if value is None:
            continue
        if len(path) == 1:
            out[path[0]] = value
            continue
        _place(out, path, value)
    if any(len(p) > 1 and any(isinstance(e, int) for e in p) for p in paths):
        _compact_lists(out)
    return WireMap(out) if item.__class__ is WireMap else out


def _place(out: dict, path: tuple, value: dict) -> None:
    """Copy ``value`` into ``out`` at ``path``, creating the containers on the way.

    A list gathered this way is a dict of index -> element until _compact_lists orders it.
    """
    container: Any = out
    for position, element in enumerate(path[:-1]):
        existing = container.get(element)
        if existing is None:
            existing = {"L": {}} if isinstance(path[position + 1], int) else {"M": {}}
            container[element] = existing
        container = existing["L"] if "L" in existing else existing["M"]
    container[path[-1]] = value


def _compact_lists(value: Any) -> None:
    """Projected list elements were gathered by index; they come back as a list, in index order."""
    if isinstance(value, dict):
        for key, inner in list(value.items()):
            if isinstance(inner, dict) and "L" in inner and isinstance(inner["L"], dict):
                elements = inner["L"]
                for element in elements.values():
                    _compact_lists(element)
                value[key] = {"L": [elements[i] for i in sorted(elements)]}
            elif isinstance(inner, dict) and "M" in inner:
                _compact_lists(inner["M"])
