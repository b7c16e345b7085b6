"""Applying a bound update expression to an item.

Every operand is read from the item as it was before the update; the actions are
then applied in turn (SET, REMOVE with list indexes highest first, ADD, DELETE) to
a copy that shares untouched attributes with the original.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from cloudlet.services.dynamodb.expressions.errors import EvaluationError
from cloudlet.services.dynamodb.expressions.evaluate import resolve
from cloudlet.services.dynamodb.values import ARITHMETIC, check_number, format_number

INVALID_PATH = "The document path provided in the update expression is invalid for update"
WRONG_TYPE = "An operand in the update expression has an incorrect data type"
MISSING = "The provided expression refers to an attribute that does not exist in the item"


def term(item: dict, node: tuple) -> dict:
    """The value of a SET operand, read from the item before the update."""
    tag = node[0]
    if tag == "value":
        return node[1]
    if tag == "path":
        value = resolve(item, node[1])
        if value is None:
            raise EvaluationError(MISSING)
        return value
    if tag == "if_not_exists":
        value = resolve(item, node[1])
        return value if value is not None else term(item, node[2])
    if tag in ("set_add", "set_delete"):  # PartiQL's set functions
        current = resolve(item, node[1])
        change = term(item, node[2])
        kind = next(iter(change))
        if kind not in ("SS", "NS", "BS") or (current is not None and next(iter(current)) != kind):
            raise EvaluationError(WRONG_TYPE)
        present = list(current[kind]) if current is not None else []
        if tag == "set_add":
            return {kind: present + [x for x in change[kind] if x not in present]}
        remaining = [x for x in present if x not in change[kind]]
        if not remaining:
            raise EvaluationError("An operand in the update expression has an incorrect data type")
        return {kind: remaining}
    if tag == "list_append":
        a, b = term(item, node[1]), term(item, node[2])
        if "L" not in a or "L" not in b:
            raise EvaluationError(WRONG_TYPE)
        return {"L": a["L"] + b["L"]}
    a, b = term(item, node[1]), term(item, node[2])  # + or -
    if "N" not in a or "N" not in b:
        raise EvaluationError(WRONG_TYPE)
    x, y = Decimal(a["N"]), Decimal(b["N"])
    result = ARITHMETIC.add(x, y) if tag == "+" else ARITHMETIC.subtract(x, y)
    check_number(result)
    return {"N": format_number(result)}


def apply_update(item: dict, actions: list[tuple]) -> dict:
    """The item after the update (``item`` itself is left unchanged)."""
    sets = [(action[1], term(item, action[2])) for action in actions if action[0] == "set"]
    new = dict(item)
    for path, value in sets:
        _set(new, path, value)
    removes = [action[1] for action in actions if action[0] == "remove"]
    removes.sort(key=lambda p: p[-1] if isinstance(p[-1], int) else -1, reverse=True)
    for path in removes:
        _remove(new, path)
    for action in actions:
        if action[0] == "add":
            _add(new, action[1], action[2])
        elif action[0] == "delete":
            _delete(new, action[1], action[2])
    return new


def _parent(item: dict, path: tuple, create: bool) -> Any:
    """The container that holds the last element of ``path``, copied on the way so ``item`` owns it.

    Returns the inner dict (map, or the item itself) or list; None when the path does
    not lead anywhere (only when ``create`` is False; otherwise that is an error).
    """
    container: Any = item
    for position, element in enumerate(path[:-1]):
        if isinstance(element, int):
            if not isinstance(container, list) or element >= len(container):
                if create:
                    raise EvaluationError(INVALID_PATH)
                return None
            value = container[element]
        else:
            if not isinstance(container, dict):
                if create:
                    raise EvaluationError(INVALID_PATH)
                return None
            value = container.get(element)
            if value is None:
                if create:
                    raise EvaluationError(INVALID_PATH)
                return None
        following = path[position + 1]
        kind = "L" if isinstance(following, int) else "M"
        inner = value.get(kind)
        if inner is None:
            raise EvaluationError(INVALID_PATH)
        copy = list(inner) if kind == "L" else dict(inner)
        container[element] = {kind: copy}
        container = copy
    return container


def _set(item: dict, path: tuple, value: dict) -> None:
    container = _parent(item, path, create=True)
    last = path[-1]
    if isinstance(last, int):
        if last >= len(container):
            container.append(value)
        else:
            container[last] = value
    else:
        container[last] = value


def _remove(item: dict, path: tuple) -> None:
    container = _parent(item, path, create=False)
    if container is None:
        return
    last = path[-1]
    if isinstance(last, int):
        if last < len(container):
            del container[last]
    else:
        container.pop(last, None)


def _add(item: dict, path: tuple, value: dict) -> None:
    current = resolve(item, path)
    ((kind, inner),) = value.items()
    if current is None:
        _set(item, path, value)
        return
    current_kind = next(iter(current))
    if current_kind != kind:
        raise EvaluationError(WRONG_TYPE)
    if kind == "N":
        result = ARITHMETIC.add(Decimal(current["N"]), Decimal(inner))
        check_number(result)
        _set(item, path, {"N": format_number(result)})
    elif kind == "NS":
        numbers = {Decimal(x) for x in current["NS"]}
        merged = list(current["NS"]) + [x for x in inner if Decimal(x) not in numbers]
        _set(item, path, {"NS": merged})
    else:
        existing = set(current[kind])
        _set(item, path, {kind: list(current[kind]) + [x for x in inner if x not in existing]})


def _delete(item: dict, path: tuple, value: dict) -> None:
    current = resolve(item, path)
    if current is None:
        return
    ((kind, inner),) = value.items()
    if next(iter(current)) != kind:
        raise EvaluationError(WRONG_TYPE)
    if kind == "NS":
        gone = {Decimal(x) for x in inner}
        remaining = [x for x in current["NS"] if Decimal(x) not in gone]
    else:
        gone_set = set(inner)
        remaining = [x for x in current[kind] if x not in gone_set]
    if remaining:
        _set(item, path, {kind: remaining})
    else:
        _remove(item, path)
