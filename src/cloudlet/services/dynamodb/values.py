"""DynamoDB's data types: validation, number normalization, item size, ordering and equality.

An attribute value is the wire's one-key dict (``{"S": "x"}``, ``{"N": "1.5"}``,
``{"B": b"..."}``...).  Numbers travel and are stored as normalized decimal strings
(``"1.50E2"`` becomes ``"150"``, ``"-0"`` becomes ``"0"``), exactly as DynamoDB
returns them; arithmetic and comparison use ``decimal.Decimal`` so they are exact.
"""

from __future__ import annotations

import base64
import re
from decimal import Context, Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from cloudlet.protocol.errors import ServiceError

MAX_ITEM_SIZE = 409600
MAX_HASH_KEY = 2048
MAX_RANGE_KEY = 1024

SCALAR_TYPES = frozenset(("S", "N", "B"))
SET_TYPES = {"SS": "S", "NS": "N", "BS": "B"}
ALL_TYPES = ("S", "N", "B", "BOOL", "NULL", "M", "L", "SS", "NS", "BS")

# Exact arithmetic: wide enough that no sum or difference of two valid numbers rounds.
ARITHMETIC = Context(prec=400, Emax=999999, Emin=-999999)

_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\Z")


def invalid(message: str) -> ServiceError:
    return ServiceError("ValidationException", message)


def invalid_parameter(message: str) -> ServiceError:
    return ServiceError("ValidationException", "One or more parameter values were invalid: " + message)


# --- numbers -----------------------------------------------------------------------


def parse_number(text: Any) -> Decimal:
    """A number as DynamoDB accepts it, or its ValidationException."""
    if not isinstance(text, str) or not text:
        raise invalid("The parameter cannot be converted to a numeric value")
    if _NUMBER.match(text) is None:
        raise invalid(f"The parameter cannot be converted to a numeric value: {text}")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise invalid(f"The parameter cannot be converted to a numeric value: {text}")
    check_number(value)
    return value


def check_number(value: Decimal) -> None:
    """DynamoDB's range: 38 significant digits, magnitudes from 1E-130 to below 1E+126."""
    if not value:
        return
    digits = value.normalize(ARITHMETIC).as_tuple().digits
    if len(digits) > 38:
        raise invalid("Attempting to store more than 38 significant digits in a Number")
    adjusted = value.adjusted()
    if adjusted > 125:
        raise invalid("Number overflow. Attempting to store a number with magnitude larger than supported range")
    if adjusted < -130:
        raise invalid("Number underflow. Attempting to store a number with magnitude smaller than supported range")


def format_number(value: Decimal) -> str:
    """The plain decimal text DynamoDB answers with: no exponent, no needless zeros."""
    if not value:
        return "0"
    return format(value.normalize(ARITHMETIC), "f")


def normalize_number(text: Any) -> str:
    if text.__class__ is str:
        return _normalized(text)
    return format_number(parse_number(text))


@lru_cache(maxsize=8192)
def _normalized(text: str) -> str:
    # Items repeat their numbers (counters, flags, prices): parsing each once is worth a cache.
    return format_number(parse_number(text))


@lru_cache(maxsize=8192)
def number_size(text: str) -> int:
    """Bytes a number costs: one, plus a byte per base-100 digit, plus one if negative.

    The digits are paired from the decimal point, so ``3.14159`` (03.14 15 90) costs 5 and
    ``123456`` (12 34 56) costs 4, as measured against DynamoDB.
    """
    sign, digits, exponent = Decimal(text).normalize(ARITHMETIC).as_tuple()
    if digits == (0,):
        return 1
    pairs = (exponent + len(digits) - 1) // 2 - exponent // 2 + 1
    return 1 + pairs + sign


# --- validation of values arriving from clients ----------------------------------------


def _render_collection(values: list) -> str:
    """A set as DynamoDB's messages print it; binary members in their wire form, base64."""
    return "[" + ", ".join(base64.b64encode(v).decode() if isinstance(v, bytes) else str(v) for v in values) + "]"


class Checked:
    """What validating an item found: its size and whether it holds binary values."""

    __slots__ = ("size", "binary")

    def __init__(self) -> None:
        self.size = 0
        self.binary = False


MAX_DEPTH = 32  # levels of documents: a top-level value is level 1


def check_value(value: Any, seen: Checked, depth: int = 1) -> tuple[dict, int]:
    """Validate and normalize one attribute value; returns it and its size (without its name)."""
    if depth > MAX_DEPTH:
        raise invalid("1 validation error detected: Nesting Levels have exceeded supported limits: Attributes in the "
                      "item have nested levels beyond supported limit")
    if not isinstance(value, dict) or not value:
        raise invalid("Supplied AttributeValue is empty, must contain exactly one of the supported datatypes")
    if len(value) > 1:
        raise invalid(
            "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes"
        )
    ((kind, inner),) = value.items()
    if kind == "S":
        return value, len(inner.encode("utf-8")) if not inner.isascii() else len(inner)
    if kind == "N":
        text = normalize_number(inner)
        return ({"N": text} if text != inner else value), number_size(text)
    if kind == "B":
        seen.binary = True
        return value, len(inner)
    if kind == "BOOL":
        return value, 1
    if kind == "NULL":
        return ({"NULL": True} if inner is not True else value), 1
    if kind == "M":
        size = 3
        out = {}
        for name, member in inner.items():
            checked, member_size = check_value(member, seen, depth + 1)
            out[name] = checked
            size += _name_size(name) + member_size + 1
        return {"M": out}, size
    if kind == "L":
        size = 3
        items = []
        for member in inner:
            checked, member_size = check_value(member, seen, depth + 1)
            items.append(checked)
            size += member_size + 1
        return {"L": items}, size
    if kind == "SS":
        if not inner:
            raise invalid_parameter("An string set  may not be empty")
        if len(set(inner)) != len(inner):
            raise invalid_parameter(f"Input collection {_render_collection(inner)} contains duplicates.")
        return value, sum(len(s.encode("utf-8")) for s in inner)
    if kind == "NS":
        if not inner:
            raise invalid_parameter("An number set  may not be empty")
        numbers = [normalize_number(n) for n in inner]
        if len(set(numbers)) != len(numbers):
            raise invalid_parameter(f"Input collection {_render_collection(inner)} contains duplicates.")
        return {"NS": numbers}, sum(number_size(n) for n in numbers)
    if kind == "BS":
        if not inner:
            raise invalid_parameter("Binary sets should not be empty")
        if len(set(inner)) != len(inner):
            raise invalid_parameter(f"Input collection {_render_collection(inner)}of type BS contains duplicates.")
        seen.binary = True
        return value, sum(len(b) for b in inner)
    raise invalid("Supplied AttributeValue is empty, must contain exactly one of the supported datatypes")


MAX_NAME = 65535  # characters (the model's AttributeName ceiling, checked here: see patches/dynamodb.json)


def _name_size(name: str) -> int:
    size = len(name) if name.isascii() else len(name.encode("utf-8"))
    if size > MAX_NAME and len(name) > MAX_NAME:
        raise invalid(
            "1 validation error detected: Value at 'item' failed to satisfy constraint: Map keys must satisfy "
            "constraint: [Member must have length less than or equal to 65535]"
        )
    return size


def check_item(item: dict) -> tuple[dict, Checked]:
    """Validate and normalize a whole item (Item, or the result of an update)."""
    seen = Checked()
    out = {}
    size = 0
    for name, value in item.items():
        # Strings and booleans, the commonest values, are valid as they are: sized here without a call.
        if value.__class__ is dict and len(value) == 1 and "S" in value:
            inner = value["S"]
            out[name] = value
            size += len(inner) if inner.isascii() else len(inner.encode("utf-8"))
        elif value.__class__ is dict and len(value) == 1 and "BOOL" in value:
            out[name] = value
            size += 1
        else:
            checked, value_size = check_value(value, seen)
            out[name] = checked
            size += value_size
        size += len(name) if name.isascii() and len(name) <= MAX_NAME else _name_size(name)
    seen.size = size
    return out, seen


def value_size(value: dict) -> int:
    """The size of a value already known to be valid and normalized."""
    ((kind, inner),) = value.items()
    if kind == "S":
        return len(inner.encode("utf-8"))
    if kind == "N":
        return number_size(inner)
    if kind == "B":
        return len(inner)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "M":
        return 3 + sum(len(k.encode("utf-8")) + value_size(v) + 1 for k, v in inner.items())
    if kind == "L":
        return 3 + sum(value_size(v) + 1 for v in inner)
    if kind == "SS":
        return sum(len(s.encode("utf-8")) for s in inner)
    if kind == "NS":
        return sum(number_size(n) for n in inner)
    return sum(len(b) for b in inner)


def item_size(item: dict) -> int:
    return sum(len(name.encode("utf-8")) + value_size(value) for name, value in item.items())


def has_binary(value: Any) -> bool:
    ((kind, inner),) = value.items()
    if kind in ("B", "BS"):
        return True
    if kind == "M":
        return any(has_binary(v) for v in inner.values())
    if kind == "L":
        return any(has_binary(v) for v in inner)
    return False


# --- comparison --------------------------------------------------------------------------


def type_of(value: dict) -> str:
    return next(iter(value))


def equal(a: dict | None, b: dict | None) -> bool:
    """DynamoDB equality: same type and value; sets compare as sets, numbers numerically."""
    if a is None or b is None:
        return False
    ((ka, va),) = a.items()
    ((kb, vb),) = b.items()
    if ka != kb:
        return False
    if ka == "N":
        return va == vb or Decimal(va) == Decimal(vb)
    if ka in ("SS", "BS"):
        return len(va) == len(vb) and set(va) == set(vb)
    if ka == "NS":
        return len(va) == len(vb) and {Decimal(x) for x in va} == {Decimal(x) for x in vb}
    if ka == "M":
        return va.keys() == vb.keys() and all(equal(va[k], vb[k]) for k in va)
    if ka == "L":
        return len(va) == len(vb) and all(equal(x, y) for x, y in zip(va, vb, strict=False))
    return va == vb


def compare(a: dict, b: dict) -> int | None:
    """Order of two scalars of one type (N numerically, S and B bytewise); None when not comparable."""
    ((ka, va),) = a.items()
    ((kb, vb),) = b.items()
    if ka != kb or ka not in SCALAR_TYPES:
        return None
    if ka == "N":
        x, y = Decimal(va), Decimal(vb)
    elif ka == "S":
        x, y = va.encode("utf-8"), vb.encode("utf-8")
    else:
        x, y = va, vb
    return (x > y) - (x < y)


def render(value: dict) -> str:
    """A value as DynamoDB prints it in messages: ``{N:5}``."""
    ((kind, inner),) = value.items()
    if kind == "B":
        import base64

        inner = base64.b64encode(inner).decode()
    return "{" + f"{kind}:{inner}" + "}"


# --- storage form: binary as base64 text inside JSON ------------------------------------


def to_stored(value: Any) -> Any:
    """A value with bytes replaced by base64 text (the store keeps JSON)."""
    import base64

    ((kind, inner),) = value.items()
    if kind == "B":
        return {"B": base64.b64encode(inner).decode("ascii")}
    if kind == "BS":
        return {"BS": [base64.b64encode(b).decode("ascii") for b in inner]}
    if kind == "M":
        return {"M": {k: to_stored(v) for k, v in inner.items()}}
    if kind == "L":
        return {"L": [to_stored(v) for v in inner]}
    return value


def from_stored(value: Any) -> Any:
    import base64

    ((kind, inner),) = value.items()
    if kind == "B":
        return {"B": base64.b64decode(inner)}
    if kind == "BS":
        return {"BS": [base64.b64decode(b) for b in inner]}
    if kind == "M":
        return {"M": {k: from_stored(v) for k, v in inner.items()}}
    if kind == "L":
        return {"L": [from_stored(v) for v in inner]}
    return value


def item_to_stored(item: dict) -> dict:
    return {k: to_stored(v) for k, v in item.items()}


def item_from_stored(item: dict) -> dict:
    return {k: from_stored(v) for k, v in item.items()}
