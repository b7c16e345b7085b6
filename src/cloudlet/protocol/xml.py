"""Shape-driven XML, both ways: safe parsing, decoding to Python values, encoding back.

Used by the query protocol (response bodies) and the rest-xml protocol (request
and response bodies).  The rules mirror botocore's XML parser and rest-xml
serializer, since those are what every client on the other end runs:

- members travel under their ``locationName`` (else the member name);
- a list is ``<Name><member>..</member></Name>`` (the item element named by the
  list member's ``locationName``), or, flattened, the items repeat directly in
  the parent, named by the list member's ``locationName``, else the member's;
- a map is ``<Name><entry><key>..</key><value>..</value></entry></Name>`` (key and
  value elements renamed by their ``locationName``), or, flattened, one
  ``<Name>`` per entry holding the key and value directly;
- ``xmlAttribute`` members are attributes of their structure's element;
  ``xmlNamespace`` adds an ``xmlns``/``xmlns:prefix`` declaration;
- timestamps are ISO 8601 unless the shape says otherwise, blobs base64,
  booleans ``true``/``false``, floats may be ``NaN``/``Infinity``/``-Infinity``.

Responses are on the hot path, so encoding writes strings straight into a list
(``write``/``write_members``/``render``) rather than building an ElementTree and
serializing it with ElementTree's pure-Python writer.  ``encode`` + ``to_bytes``
offer the same output through an Element tree for callers that want to edit it.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from xml.parsers import expat

from cloudlet.protocol import timestamps
from cloudlet.protocol.errors import ServiceError
from cloudlet.protocol.models import Shape

Element = ET.Element

DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>'
MALFORMED_MESSAGE = (
    "The XML you provided was not well-formed or did not validate against our published schema"
)


class MalformedXML(ServiceError):
    """A body that is not XML, or not XML of the expected shape.

    ``detail`` says what was wrong, for logs; the client sees AWS's fixed wording.
    Callers re-map the code where their service answers differently.
    """

    def __init__(self, detail: str = "") -> None:
        super().__init__("MalformedXML", MALFORMED_MESSAGE, 400)
        self.detail = detail


# --- parsing ------------------------------------------------------------------------------


class _Declaration(Exception):
    pass


def _refuse(*_args: Any) -> None:
    raise _Declaration()


def _declares_doctype(body: bytes) -> bool:
    """Whether the document really declares a DOCTYPE (not just mentions one in text).

    Only run when the bytes contain ``<!DOCTYPE``/``<!ENTITY``: expat stops at the
    declaration itself, before any entity is defined, so nothing is expanded.
    """
    parser = expat.ParserCreate("utf-8")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = _refuse
    parser.EntityDeclHandler = _refuse
    try:
        parser.Parse(body, True)
    except _Declaration:
        return True
    except expat.ExpatError:
        raise MalformedXML("not well-formed")
    return False


def parse_document(body: bytes) -> Element:
    """The root element of an XML body, with namespaces stripped from element tags.

    DOCTYPE declarations are refused outright (no entity expansion, internal or
    external: billion laughs, XXE).  Only ASCII-compatible encodings get through,
    so a DOCTYPE cannot hide from the byte check: expat would honour a UTF-16/32
    byte order mark or byte pattern over the encoding we ask for, and those
    always carry a NUL byte or a BOM, neither of which well-formed UTF-8 XML has.
    """
    if isinstance(body, str):
        body = body.encode("utf-8")
    if not body or not body.strip():
        raise MalformedXML("empty body")
    if b"\x00" in body or body[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise MalformedXML("only UTF-8 documents are accepted")
    if (b"<!DOCTYPE" in body or b"<!ENTITY" in body) and _declares_doctype(body):
        raise MalformedXML("DOCTYPE declarations are not allowed")
    parser = ET.XMLParser(encoding="utf-8")
    try:
        parser.feed(body)
        root = parser.close()
    except ET.ParseError as e:
        raise MalformedXML(str(e))
    if b"xmlns" in body:  # without a declaration no tag can carry a namespace
        for element in root.iter():
            tag = element.tag
            if tag[0] == "{":
                element.tag = tag[tag.index("}") + 1 :]
    return root


# --- decoding -----------------------------------------------------------------------------

_INTEGER = re.compile(r"[+-]?\d+\Z")
_FLOAT = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\Z")
_SPECIAL_FLOATS = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}
_INT_RANGE = {"integer": 2**31, "long": 2**63}


def parse_integer(text: str, kind: str = "long") -> int:
    """An integer as the wire writes it; ValueError if it is not one or is out of range."""
    text = text.strip()
    if not _INTEGER.match(text):
        raise ValueError(text)
    value = int(text)
    bound = _INT_RANGE.get(kind)
    if bound is not None and not -bound <= value < bound:
        raise ValueError(text)
    return value


def parse_float(text: str) -> float:
    """A float as the wire writes it (``NaN``/``Infinity`` included); ValueError otherwise."""
    text = text.strip()
    special = _SPECIAL_FLOATS.get(text)
    if special is not None:
        return special
    if not _FLOAT.match(text):
        raise ValueError(text)
    return float(text)


def parse_blob(text: str) -> bytes:
    try:
        return base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(text)


def _local(name: str) -> str:
    """``xsi:type`` / ``{uri}type`` -> ``type``."""
    if name[0] == "{":
        return name[name.index("}") + 1 :]
    return name.rpartition(":")[2]


def _attribute(element: Element, name: str) -> str | None:
    value = element.get(name)
    if value is not None:
        return value
    local = _local(name)
    for key, value in element.attrib.items():
        if _local(key) == local:
            return value
    return None


def _list_item_tag(member: Shape, name: str) -> str:
    """The element each item of a flattened list travels in (botocore's parser rule)."""
    return member.member.location_name or _member_tag(member, name)


def _member_tag(member: Shape, name: str) -> str:
    """A structure member's element: its ``queryName`` (the query-era name a query-compatible
    json model keeps only in its patch), else its ``locationName``, else its name."""
    return member.query_name or member.location_name or name


_ONE, _FLAT_LIST, _FLAT_MAP = 0, 1, 2

Target = tuple[str, Shape, int]  # member name, member shape, how it is read


def _read_table(shape: Shape) -> tuple[dict[str, tuple[Target, ...]], tuple[tuple[str, Shape], ...]]:
    """A structure's members by the tag they arrive in, and its attribute members (once per shape).

    Reading walks the element's children once and looks each up here, rather than
    looking every member up among the children.  A tag may feed several members
    (S3's deprecated ``Event`` beside the flattened ``Events`` list named ``Event``).
    """
    cached = shape.__dict__.get("_xml_read")
    if cached is None:
        tags: dict[str, tuple[Target, ...]] = {}
        attributes = []

        def add(tag: str, target: Target) -> None:
            known = tags.get(tag, ())
            if target not in known:
                tags[tag] = (*known, target)

        for name, member in shape.members.items():
            if member.location is not None:  # headers, URI labels...: not in the body
                continue
            if member.xml_attribute:
                attributes.append((name, member))
                continue
            wire = member.location_name or name
            if member.flattened and member.type == "list":
                # botocore's serializer names the items after the member, its parser
                # after the list member: read both
                add(wire, (name, member, _FLAT_LIST))
                add(_list_item_tag(member, name), (name, member, _FLAT_LIST))
            elif member.flattened and member.type == "map":
                add(wire, (name, member, _FLAT_MAP))
            else:
                add(wire, (name, member, _ONE))
        cached = shape.__dict__["_xml_read"] = (tags, tuple(attributes))
    return cached


def _decode_structure(shape: Shape, element: Element) -> dict:
    out: dict[str, Any] = {}
    tags, attributes = _read_table(shape)
    if attributes and element.attrib:
        for name, member in attributes:
            raw = _attribute(element, member.location_name or name)
            if raw is not None:
                out[name] = _decode_text(member, raw)
    for child in element:
        targets = tags.get(child.tag)
        if targets is None:
            continue  # not ours: ignored
        for name, member, mode in targets:
            if mode == _ONE:
                if name not in out:  # the first of repeated singular elements wins
                    out[name] = _decode(member, child)
            elif mode == _FLAT_LIST:
                items = out.get(name)
                if items is None:
                    items = out[name] = []
                items.append(_decode(member.member, child))
            else:
                entries = out.get(name)
                if entries is None:
                    entries = out[name] = {}
                entries.update(_decode_entries(member, [child]))
    return out


def _decode_entries(shape: Shape, entries: list[Element]) -> dict:
    key_shape, value_shape = shape.key, shape.value
    key_tag = key_shape.location_name or "key"
    value_tag = value_shape.location_name or "value"
    out: dict[Any, Any] = {}
    for entry in entries:
        key = value = None
        for part in entry:
            if part.tag == key_tag:
                key = _decode(key_shape, part)
            elif part.tag == value_tag:
                value = _decode(value_shape, part)
        if key is None:
            raise MalformedXML(f"map entry without <{key_tag}>")
        out[key] = value
    return out


def _decode(shape: Shape, element: Element) -> Any:
    kind = shape.type
    if kind == "structure":
        return _decode_structure(shape, element)
    if kind == "list":
        item = shape.member
        return [_decode(item, e) for e in element]
    if kind == "map":
        if shape.flattened:
            return _decode_entries(shape, [element])
        return _decode_entries(shape, list(element))
    return _decode_text(shape, element.text or "")


def _decode_text(shape: Shape, text: str) -> Any:
    kind = shape.type
    if kind == "string":
        return text
    try:
        if kind in ("integer", "long", "biginteger"):
            return parse_integer(text, kind)
        if kind in ("float", "double", "bigdecimal"):
            return parse_float(text)
        if kind == "boolean":
            text = text.strip()
            if text == "true":
                return True
            if text == "false":
                return False
            raise ValueError(text)
        if kind == "blob":
            return parse_blob(text)
        if kind == "timestamp":
            return timestamps.parse(text.strip(), shape.timestamp_format or "iso8601")
    except ValueError:  # TimestampError is a ValueError
        raise MalformedXML(f"{text[:64]!r} is not a valid {kind}")
    return text


def decode(shape: Shape, element: Element) -> Any:
    """The Python value an element carries for a shape (structures -> dicts keyed by member name)."""
    try:
        if shape.type == "list" and shape.flattened:
            return [_decode(shape.member, element)]
        return _decode(shape, element)
    except RecursionError:
        raise MalformedXML("document nested too deeply")


def decode_flattened(shape: Shape, elements: list[Element]) -> Any:
    """A flattened list or map from the repeated elements its parent holds."""
    if shape.type == "map":
        return _decode_entries(shape, elements)
    return [_decode(shape.member, e) for e in elements]


# --- encoding to text ---------------------------------------------------------------------


def escape_text(text: str) -> str:
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    if "\r" in text:  # a raw CR would be normalized away by the reader
        text = text.replace("\r", "&#xD;")
    return text


# What XML 1.0 forbids even as a character reference: C0 controls other than TAB, LF and CR,
# and U+FFFE/U+FFFF.  Expat (and so botocore) refuses a document holding one.
_NOT_XML_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def error_document(parts: list[str]) -> bytes:
    """An error document as bytes every XML parser reads.

    Errors echo what the client sent (a parameter's value, an argument), and a client that
    cannot parse the error cannot learn its code: forbidden characters become U+FFFD.
    """
    text = "".join(parts)
    if _NOT_XML_CHARACTERS.search(text):
        text = _NOT_XML_CHARACTERS.sub("\ufffd", text)
    return text.encode("utf-8", "replace")


def escape_attribute(text: str) -> str:
    text = escape_text(text)
    if '"' in text:
        text = text.replace('"', "&quot;")
    if "\n" in text:
        text = text.replace("\n", "&#xA;")
    if "\t" in text:
        text = text.replace("\t", "&#x9;")
    return text


def namespace_attribute(namespace: dict | str | None) -> str:
    """`` xmlns="uri"`` or `` xmlns:prefix="uri"`` for a shape's ``xmlNamespace`` trait."""
    if not namespace:
        return ""
    if isinstance(namespace, str):
        return f' xmlns="{escape_attribute(namespace)}"'
    prefix = namespace.get("prefix")
    name = f"xmlns:{prefix}" if prefix else "xmlns"
    return f' {name}="{escape_attribute(namespace.get("uri", ""))}"'


def iso8601(value: Any) -> str:
    """ISO 8601 in UTC, with milliseconds when there are any (strftime is slow; this is not)."""
    if isinstance(value, datetime):
        if value.utcoffset():  # naive means UTC, as everywhere in Cloudlet
            value = value.astimezone(UTC)
        base = (
            f"{value.year:04d}-{value.month:02d}-{value.day:02d}"
            f"T{value.hour:02d}:{value.minute:02d}:{value.second:02d}"
        )
        millis = value.microsecond // 1000
        return f"{base}.{millis:03d}Z" if millis else f"{base}Z"
    return timestamps.iso8601(value)


def scalar_text(shape: Shape, value: Any) -> str:
    """A scalar value as element text (unescaped)."""
    kind = shape.type
    if kind == "string":
        return value if isinstance(value, str) else str(value)
    if kind == "boolean":
        return "true" if value else "false"
    if kind in ("integer", "long", "biginteger"):
        return str(int(value))
    if kind in ("float", "double", "bigdecimal"):
        number = float(value)
        if math.isnan(number):
            return "NaN"
        if math.isinf(number):
            return "Infinity" if number > 0 else "-Infinity"
        return repr(number) if isinstance(value, float) else str(value)
    if kind == "timestamp":
        fmt = shape.timestamp_format or "iso8601"
        return iso8601(value) if fmt == "iso8601" else str(timestamps.render(value, fmt))
    if kind == "blob":
        data = value.encode("utf-8") if isinstance(value, str) else bytes(value)
        return base64.b64encode(data).decode("ascii")
    return str(value)


def _attribute_members(shape: Shape) -> tuple[str, ...]:
    """Names of a structure's ``xmlAttribute`` members (computed once per shape)."""
    cached = shape.__dict__.get("_xml_attribute_members")
    if cached is None:
        cached = tuple(name for name, member in shape.members.items() if member.xml_attribute)
        shape.__dict__["_xml_attribute_members"] = cached
    return cached


def _structure_attributes(shape: Shape, value: dict) -> str:
    attributes: dict[str, str] = {}
    namespace = shape.xml_namespace
    if namespace:
        attributes.update(_namespace_items(namespace))
    members = shape.members
    for name in _attribute_members(shape):
        item = value.get(name)
        if item is not None:
            member = members[name]
            attributes.update(_namespace_items(member.xml_namespace))
            attributes[member.location_name or name] = scalar_text(member, item)
    return "".join(f' {k}="{escape_attribute(v)}"' for k, v in attributes.items())


# Writing is compiled: each shape gets, once, a function that appends the element for
# a value of it, and each structure a table of its members' writers and tags, so the
# per-value work is a dict lookup and a call.  Both live in the shape's ``__dict__``
# beside its other cached properties.  Tables are built on first use, which keeps
# recursive shapes from recursing at compile time.

Writer = Callable[..., None]  # (out, value, name, attributes="") -> None


def _writer(shape: Shape) -> Writer:
    writer = shape.__dict__.get("_xml_writer")
    if writer is None:
        writer = shape.__dict__["_xml_writer"] = _compile(shape)
    return writer


def _member_table(shape: Shape) -> dict[str, tuple[Writer, str]]:
    table = shape.__dict__.get("_xml_members")
    if table is None:
        table = {}
        for name, member in shape.members.items():
            if member.xml_attribute or member.location is not None:
                continue  # attributes go on the element; headers, labels... not in the body
            if member.flattened and member.type == "list":
                tag = _list_item_tag(member, name)
            else:
                tag = _member_tag(member, name)
            table[name] = (_writer(member), tag)
        shape.__dict__["_xml_members"] = table
    return table


def write_members(out: list[str], shape: Shape, value: dict) -> None:
    """Append the member elements of a structure value (not its own element) to ``out``."""
    table = _member_table(shape)
    for name, item in value.items():
        if item is not None:
            entry = table.get(name)
            if entry is not None:
                entry[0](out, item, entry[1])


def write(out: list[str], shape: Shape, value: Any, name: str, attributes: str = "") -> None:
    """Append the element for a value of ``shape``, named ``name``, to ``out``.

    A flattened list or map writes one ``<name>`` per item or entry instead of a
    wrapper.  ``attributes`` is extra attribute text for the element (a root's
    ``xmlns``).
    """
    _writer(shape)(out, value, name, attributes)


def _compile(shape: Shape) -> Writer:
    kind = shape.type
    namespace = namespace_attribute(shape.xml_namespace)
    if kind == "structure":
        return _compile_structure(shape, namespace)
    if kind == "list":
        return _compile_list(shape, namespace)
    if kind == "map":
        return _compile_map(shape, namespace)
    if kind == "string":

        def write_string(out: list[str], value: Any, name: str, attributes: str = "") -> None:
            text = escape_text(value if isinstance(value, str) else str(value))
            out.append(f"<{name}{attributes}{namespace}>{text}</{name}>")

        return write_string
    if kind == "boolean":

        def write_boolean(out: list[str], value: Any, name: str, attributes: str = "") -> None:
            out.append(f"<{name}{attributes}{namespace}>{'true' if value else 'false'}</{name}>")

        return write_boolean
    if kind == "timestamp" and (shape.timestamp_format or "iso8601") == "iso8601":

        def write_timestamp(out: list[str], value: Any, name: str, attributes: str = "") -> None:
            out.append(f"<{name}{attributes}{namespace}>{iso8601(value)}</{name}>")

        return write_timestamp

    def write_scalar(out: list[str], value: Any, name: str, attributes: str = "") -> None:
        out.append(f"<{name}{attributes}{namespace}>{escape_text(scalar_text(shape, value))}</{name}>")

    return write_scalar


def _compile_structure(shape: Shape, namespace: str) -> Writer:
    with_attributes = bool(_attribute_members(shape))

    def write_structure(out: list[str], value: dict, name: str, attributes: str = "") -> None:
        if with_attributes:
            attributes += _structure_attributes(shape, value)
        else:
            attributes += namespace
        out.append(f"<{name}{attributes}>")
        table = shape.__dict__.get("_xml_members") or _member_table(shape)
        for member_name, item in value.items():
            if item is not None:
                entry = table.get(member_name)
                if entry is not None:
                    entry[0](out, item, entry[1])
        out.append(f"</{name}>")

    return write_structure


def _compile_list(shape: Shape, namespace: str) -> Writer:
    item_shape = shape.member
    if shape.flattened:  # the items repeat in the parent, each named as the list is

        def write_flattened(out: list[str], value: list, name: str, attributes: str = "") -> None:
            write_item = _writer(item_shape)
            for item in value:
                if item is not None:
                    write_item(out, item, name, attributes)

        return write_flattened
    tag = item_shape.location_name or "member"

    def write_list(out: list[str], value: list, name: str, attributes: str = "") -> None:
        write_item = _writer(item_shape)
        out.append(f"<{name}{attributes}{namespace}>")
        for item in value:
            if item is not None:
                write_item(out, item, tag)
        out.append(f"</{name}>")

    return write_list


def _compile_map(shape: Shape, namespace: str) -> Writer:
    key_shape, value_shape = shape.key, shape.value
    key_tag = key_shape.location_name or "key"
    value_tag = value_shape.location_name or "value"
    flattened = shape.flattened

    def write_entries(out: list[str], value: dict, entry_tag: str, attributes: str) -> None:
        write_key, write_value = _writer(key_shape), _writer(value_shape)
        for key, item in value.items():
            out.append(f"<{entry_tag}{attributes}>")
            write_key(out, key, key_tag)
            if item is not None:
                write_value(out, item, value_tag)
            out.append(f"</{entry_tag}>")

    def write_map(out: list[str], value: dict, name: str, attributes: str = "") -> None:
        if flattened:  # one <name> per entry, straight in the parent
            write_entries(out, value, name, attributes)
            return
        out.append(f"<{name}{attributes}{namespace}>")
        write_entries(out, value, "entry", "")
        out.append(f"</{name}>")

    return write_map


def render(shape: Shape, value: Any, name: str, namespace: str | None = None) -> bytes:
    """A whole document: the declaration and ``<name>`` for ``value``, in a default namespace."""
    out = [DECLARATION]
    attributes = f' xmlns="{escape_attribute(namespace)}"' if namespace and not shape.xml_namespace else ""
    _writer(shape)(out, value, name, attributes)
    return "".join(out).encode("utf-8", "replace")


# --- encoding to an Element tree ----------------------------------------------------------


def _namespace_items(namespace: dict | str | None) -> list[tuple[str, str]]:
    if not namespace:
        return []
    if isinstance(namespace, str):
        return [("xmlns", namespace)]
    prefix = namespace.get("prefix")
    return [(f"xmlns:{prefix}" if prefix else "xmlns", namespace.get("uri", ""))]


def encode(shape: Shape, value: Any, name: str) -> Element:
    """``value`` as an Element named ``name`` (the tree form of ``write``)."""
    root = ET.Element("")
    encode_into(root, shape, value, name)
    return root[0]


def encode_into(parent: Element, shape: Shape, value: Any, name: str) -> None:
    """Append the element(s) for ``value`` to ``parent`` (several for a flattened list or map)."""
    kind = shape.type
    if kind == "structure":
        node = ET.SubElement(parent, name, dict(_namespace_items(shape.xml_namespace)))
        encode_members(node, shape, value)
    elif kind == "list":
        item_shape = shape.member
        if shape.flattened:
            for entry in value:
                if entry is not None:
                    encode_into(parent, item_shape, entry, name)
            return
        node = ET.SubElement(parent, name, dict(_namespace_items(shape.xml_namespace)))
        tag = item_shape.location_name or "member"
        for entry in value:
            if entry is not None:
                encode_into(node, item_shape, entry, tag)
    elif kind == "map":
        if shape.flattened:
            _encode_entries(parent, shape, value, name)
        else:
            node = ET.SubElement(parent, name, dict(_namespace_items(shape.xml_namespace)))
            _encode_entries(node, shape, value, "entry")
    else:
        node = ET.SubElement(parent, name, dict(_namespace_items(shape.xml_namespace)))
        node.text = scalar_text(shape, value)


def encode_members(node: Element, shape: Shape, value: dict) -> None:
    """Write a structure value's members into ``node`` (attributes included)."""
    members = shape.members
    for name, item in value.items():
        member = members.get(name)
        if item is None or member is None or member.location is not None:
            continue
        if member.xml_attribute:
            for key, uri in _namespace_items(member.xml_namespace):
                node.set(key, uri)
            node.set(member.location_name or name, scalar_text(member, item))
        elif member.flattened and member.type == "list":
            tag = _list_item_tag(member, name)
            for entry in item:
                if entry is not None:
                    encode_into(node, member.member, entry, tag)
        else:
            encode_into(node, member, item, member.location_name or name)


def _encode_entries(parent: Element, shape: Shape, value: dict, entry_tag: str) -> None:
    key_tag = shape.key.location_name or "key"
    value_tag = shape.value.location_name or "value"
    for key, item in value.items():
        entry = ET.SubElement(parent, entry_tag)
        encode_into(entry, shape.key, key, key_tag)
        if item is not None:
            encode_into(entry, shape.value, item, value_tag)


def _serialize(out: list[str], element: Element) -> None:
    tag = element.tag
    attributes = "".join(f' {k}="{escape_attribute(str(v))}"' for k, v in element.attrib.items())
    text = element.text
    if not len(element):
        body = escape_text(text) if text else ""
        out.append(f"<{tag}{attributes}>{body}</{tag}>")
    else:
        out.append(f"<{tag}{attributes}>")
        if text:
            out.append(escape_text(text))
        for child in element:
            _serialize(out, child)
            if child.tail:
                out.append(escape_text(child.tail))
        out.append(f"</{tag}>")


def to_bytes(element: Element, namespace: str | None = None) -> bytes:
    """A document for ``element``: the declaration, and ``xmlns`` on the root when given."""
    if namespace and "xmlns" not in element.attrib:
        element = _with_attribute(element, "xmlns", namespace)
    out = [DECLARATION]
    _serialize(out, element)
    return "".join(out).encode("utf-8", "replace")


def _with_attribute(element: Element, key: str, value: str) -> Element:
    # A shallow copy with the namespace first, so the caller's tree is left alone.
    copy = ET.Element(element.tag, {key: value, **element.attrib})
    copy.text, copy.tail = element.text, element.tail
    copy.extend(list(element))
    return copy
