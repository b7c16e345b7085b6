"""Message bodies and attributes: SQS's checks, sizes and the MD5 digests its SDKs verify."""

from __future__ import annotations

import base64
import hashlib
import re
import struct
from decimal import Decimal, InvalidOperation
from typing import Any

from cloudlet.protocol.errors import ServiceError
from cloudlet.services.sqs import errors

# The characters SQS accepts in a body or a string attribute (XML 1.0's Char production).
_INVALID_CHARACTER = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")
_TYPE = re.compile(r"^(String|Number|Binary)(\..+)?$")
INVALID_CONTENTS = (
    "Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD "
    "| #x10000 to #x10FFFF"
)
MAX_ATTRIBUTES = 10


def check_body(body: str) -> int:
    """The body's size in bytes, after SQS's checks (present, valid characters)."""
    if not body:
        raise errors.missing_parameter("MessageBody")
    if _INVALID_CHARACTER.search(body):
        raise ServiceError("InvalidMessageContents", INVALID_CONTENTS)
    return len(body.encode("utf-8", "surrogatepass"))


def _value_bytes(value: Any) -> bytes:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    return str(value).encode("utf-8", "surrogatepass")


def check_attributes(attributes: dict[str, dict]) -> int:
    """The attributes' share of the message size, after SQS's checks of names, types and values."""
    if len(attributes) > MAX_ATTRIBUTES:
        raise errors.invalid_parameter(
            f"Number of message attributes [{len(attributes)}] exceeds the allowed maximum [{MAX_ATTRIBUTES}]."
        )
    size = 0
    for name, attribute in attributes.items():
        if len(name) > 256:
            raise errors.invalid_parameter("Message (user) attribute names must be shorter than 256 Bytes")
        if not _NAME.match(name):
            raise errors.invalid_parameter(
                "Message (user) attributes name can only contain upper and lower score characters, digits, "
                "periods, hyphens and underscores. "
            )
        lowered = name.lower()
        if lowered.startswith(("aws.", "amazon.")) or name.startswith(".") or name.endswith(".") or ".." in name:
            raise errors.invalid_parameter(
                "You can't use message attribute names beginning with 'AWS.' or 'Amazon.'. These strings are "
                "reserved for internal use. Additionally, they cannot start or end with '.'."
            )
        data_type = attribute.get("DataType") or ""
        if not data_type:
            raise errors.invalid_parameter(f"The message attribute '{name}' must contain non-empty message attribute type.")
        if len(data_type) > 256:
            raise errors.invalid_parameter("Message (user) attribute types must be shorter than 256 Bytes")
        if not _TYPE.match(data_type):
            raise errors.invalid_parameter(
                f"The type of message (user) attribute '{name}' is invalid. You must use only the following "
                "supported type prefixes: Binary, Number, String."
            )
        if attribute.get("StringListValues") or attribute.get("BinaryListValues"):
            raise errors.invalid_parameter(
                f"Message (user) attribute '{name}' has a list value: list values are not supported."
            )
        if data_type.startswith("Binary"):
            value = attribute.get("BinaryValue")
            if value is None or len(_value_bytes(value)) == 0:
                raise errors.invalid_parameter(
                    f"Message (user) attribute '{name}' must contain a non-empty value of type 'Binary'."
                )
            size += len(_value_bytes(value))
        else:
            value = attribute.get("StringValue")
            kind = "Number" if data_type.startswith("Number") else "String"
            if not value:
                raise errors.invalid_parameter(
                    f"Message (user) attribute '{name}' must contain a non-empty value of type '{kind}'."
                )
            if _INVALID_CHARACTER.search(value):
                raise errors.invalid_parameter(INVALID_CONTENTS)
            if kind == "Number" and not _is_number(value):
                raise errors.invalid_parameter(f"Can't cast the value of message (user) attribute '{name}' to a number.")
            size += len(_value_bytes(value))
        size += len(name.encode()) + len(data_type.encode())
    return size


def _is_number(text: str) -> bool:
    """SQS numbers: up to 38 significant digits, between 10^-128 and 10^+126."""
    try:
        number = Decimal(text.strip())
    except InvalidOperation:
        return False
    if not number.is_finite():
        return False
    if number == 0:
        return True
    digits = "".join(map(str, number.as_tuple().digits)).strip("0")  # (normalize() would round to 28 digits)
    if len(digits) > 38:
        return False
    magnitude = number.copy_abs()
    return Decimal("1e-128") <= magnitude <= Decimal("1e126")


def check_system_attributes(attributes: dict[str, dict]) -> None:
    for name, attribute in attributes.items():
        if attribute.get("DataType") != "String":
            raise errors.invalid_parameter(
                f"The type of message system attribute '{name}' is invalid. You must use only the following "
                "supported type: String."
            )
        if not attribute.get("StringValue"):
            raise errors.invalid_parameter(
                f"Message system attribute '{name}' must contain a non-empty value of type 'String'."
            )


# --- digests ------------------------------------------------------------------------------------


def md5_of_body(body: str) -> str:
    return hashlib.md5(body.encode("utf-8", "surrogatepass")).hexdigest()


def md5_of_attributes(attributes: dict[str, dict]) -> str:
    """MD5OfMessageAttributes exactly as SQS computes it (and the SDKs check it).

    For each attribute in name order: the name, the data type, a transport byte
    (1 for String and Number, 2 for Binary) and the value, each length-prefixed
    with a 4-byte big-endian length.
    """
    digest = hashlib.md5()
    for name in sorted(attributes):
        attribute = attributes[name]
        data_type = attribute["DataType"]
        _update(digest, name.encode())
        _update(digest, data_type.encode())
        if data_type.startswith("Binary"):
            digest.update(b"\x02")
            _update(digest, _value_bytes(attribute["BinaryValue"]))
        else:
            digest.update(b"\x01")
            _update(digest, _value_bytes(attribute["StringValue"]))
    return digest.hexdigest()


def _update(digest: Any, data: bytes) -> None:
    digest.update(struct.pack(">I", len(data)))
    digest.update(data)


# --- storage ------------------------------------------------------------------------------------


def stored_attributes(attributes: dict[str, dict]) -> dict[str, dict]:
    """Attributes as JSON can hold them (binary values in base64)."""
    out = {}
    for name, attribute in attributes.items():
        if attribute["DataType"].startswith("Binary"):
            out[name] = {"DataType": attribute["DataType"], "B": base64.b64encode(_value_bytes(attribute["BinaryValue"])).decode()}
        else:
            out[name] = {"DataType": attribute["DataType"], "StringValue": attribute["StringValue"]}
    return out


def output_attributes(stored: dict[str, dict]) -> dict[str, dict]:
    """Stored attributes as the output shape holds them."""
    out = {}
    for name, attribute in stored.items():
        if "B" in attribute:
            out[name] = {"DataType": attribute["DataType"], "BinaryValue": base64.b64decode(attribute["B"])}
        else:
            out[name] = attribute
    return out


def select_attributes(stored: dict[str, dict], names: list[str]) -> dict[str, dict]:
    """The message attributes a receive asked for: ``All``, ``.*``, ``prefix.*`` or exact names."""
    if not names or not stored:
        return {}
    if "All" in names or ".*" in names:
        return stored
    prefixes = tuple(name[:-1] for name in names if name.endswith(".*"))
    wanted = set(names)
    return {name: value for name, value in stored.items() if name in wanted or (prefixes and name.startswith(prefixes))}
