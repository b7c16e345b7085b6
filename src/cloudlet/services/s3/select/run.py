"""Running a query over an object: input formats (CSV, JSON DOCUMENT/LINES, GZIP/BZIP2) to records,
records through the query, results to output formats (CSV, JSON), in ~64 KB Records events."""

from __future__ import annotations

import bz2
import codecs
import csv
import io
import json
import zlib
from collections.abc import Iterator
from typing import Any

from cloudlet.protocol.errors import ServiceError
from cloudlet.services.s3.select.sql import MISSING, Accumulator, Evaluator, Query, format_value

OUTPUT_CHUNK = 64 * 1024


class Counting:
    """Bytes of the object as read (scanned) and after decompression (processed)."""

    def __init__(self, chunks: Iterator[bytes], compression: str) -> None:
        self.chunks = chunks
        self.scanned = 0
        self.processed = 0
        if compression == "GZIP":
            self.decompressor: Any = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif compression == "BZIP2":
            self.decompressor = bz2.BZ2Decompressor()
        elif compression in ("NONE", None, ""):
            self.decompressor = None
        else:
            raise ServiceError("InvalidCompressionFormat", "The file is not in a supported compression format. Only "
                               "GZIP and BZIP2 are supported.", 400)

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self.chunks:
            self.scanned += len(chunk)
            if self.decompressor is not None:
                try:
                    chunk = self.decompressor.decompress(chunk)
                except (zlib.error, OSError, EOFError):
                    raise ServiceError("InvalidCompressionFormat",
                                       "The file is not in a supported compression format. Only GZIP and BZIP2 are "
                                       "supported.", 400)
            self.processed += len(chunk)
            if chunk:
                yield chunk


def _text_lines(data: Iterator[bytes], delimiter: str) -> Iterator[str]:
    decoder = codecs.getincrementaldecoder("utf-8")()
    pending = ""
    for chunk in data:
        try:
            pending += decoder.decode(chunk)
        except UnicodeDecodeError:
            raise ServiceError("InvalidTextEncoding", "UTF-8 encoding is required. The text encoding error was "
                               "found near byte position.", 400)
        if delimiter in ("\n", "\r\n"):
            *complete, pending = pending.split("\n")
            for line in complete:
                yield line + "\n"
        else:
            *complete, pending = pending.split(delimiter)
            for line in complete:
                yield line + "\n"
    pending += decoder.decode(b"", final=True)
    if pending:
        yield pending


def csv_records(data: Iterator[bytes], options: dict) -> tuple[Iterator[list[str]], list[str] | None]:
    delimiter = options.get("RecordDelimiter") or "\n"
    field = options.get("FieldDelimiter") or ","
    quote = options.get("QuoteCharacter") or '"'
    escape = options.get("QuoteEscapeCharacter") or '"'
    comments = options.get("Comments")
    header_info = (options.get("FileHeaderInfo") or "NONE").upper()
    lines = _text_lines(data, delimiter)
    if comments:
        lines = (line for line in lines if not line.startswith(comments))
    try:
        reader = csv.reader(lines, delimiter=field, quotechar=quote,
                            escapechar=None if escape == quote else escape, doublequote=escape == quote, strict=False)
    except (TypeError, csv.Error) as e:
        raise ServiceError("InvalidRequestParameter", str(e), 400)
    rows = (row for row in reader if row)
    header = None
    if header_info in ("USE", "IGNORE"):
        header = next(rows, None)
        if header_info == "IGNORE":
            header = None
    return rows, header


def json_records(data: Iterator[bytes], kind: str) -> Iterator[Any]:
    if kind == "LINES":
        for line in _text_lines(data, "\n"):
            if line.strip():
                yield _load(line)
        return
    text = "".join(_text_lines(data, "\n"))
    decoder = json.JSONDecoder()
    pos = 0
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos >= len(text):
            return
        try:
            value, pos = decoder.raw_decode(text, pos)
        except ValueError:
            raise _json_error()
        yield value


def _load(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        raise _json_error()


def _json_error() -> ServiceError:
    return ServiceError("JSONParsingError", "Error parsing JSON file. Please check the file and try again.", 400)


def _step(value: Any, part: Any) -> Any:
    if isinstance(part, int):
        return value[part] if isinstance(value, list) and part < len(value) else MISSING
    name, quoted = part
    if isinstance(value, dict):
        if name in value:
            return value[name]
        if not quoted:
            for key, item in value.items():
                if key.lower() == name.lower():
                    return item
    return MISSING


class Records:
    """The object's records with a resolver for column references."""

    def __init__(self, query: Query, source: Counting, serialization: dict) -> None:
        self.query = query
        alias = (query.alias or "").lower()
        self.aliases = {"s3object", alias} if alias else {"s3object"}
        if serialization.get("CSV") is not None:
            self.kind = "CSV"
            self.rows, header = csv_records(iter(source), serialization["CSV"])
            self.header = header
            self.positions = {name.lower(): i for i, name in enumerate(header or [])}
            self.exact = {name: i for i, name in enumerate(header or [])}
        elif serialization.get("JSON") is not None:
            self.kind = "JSON"
            kind = (serialization["JSON"].get("Type") or "DOCUMENT").upper()
            if kind not in ("DOCUMENT", "LINES"):
                raise ServiceError("InvalidJsonType", "The JsonType is invalid. Only DOCUMENT and LINES are supported.",
                                   400)
            self.rows = self._json_rows(json_records(iter(source), kind))
            self.header = None
        elif serialization.get("Parquet") is not None:
            raise ServiceError("NotImplemented",
                               "Parquet input is not supported by Cloudlet's S3 Select.", 501)
        else:
            raise ServiceError("MissingRequiredParameter", "InputSerialization must specify CSV, JSON or Parquet.",
                               400)

    def _json_rows(self, documents: Iterator[Any]) -> Iterator[Any]:
        for document in documents:
            yield from self._walk(document, list(self.query.path))

    def _walk(self, value: Any, path: list[Any]) -> Iterator[Any]:
        """Follow S3Object[*].a[*].b: a ``*`` goes into every element of a list."""
        if not path:
            if isinstance(value, list) and not self.query.path:
                yield from value
            elif value is not MISSING:
                yield value
            return
        part, rest = path[0], path[1:]
        if part == "*":
            if isinstance(value, list):
                for item in value:
                    yield from self._walk(item, rest)
            return
        step = _step(value, part if isinstance(part, int) else (part, False))
        if step is MISSING:
            return
        if not rest and isinstance(step, list):
            yield from step
            return
        yield from self._walk(step, rest)

    def resolver(self, row: Any) -> Any:
        def resolve(path: list[Any]) -> Any:
            parts = list(path)
            if len(parts) > 1 and not isinstance(parts[0], int) and parts[0][0].lower() in self.aliases:
                parts = parts[1:]
            elif len(parts) == 1 and not isinstance(parts[0], int) and parts[0][0].lower() in self.aliases and \
                    self.kind == "JSON":
                return row
            if self.kind == "CSV":
                if len(parts) != 1 or isinstance(parts[0], int):
                    return MISSING
                name, quoted = parts[0]
                if name.startswith("_") and name[1:].isdigit():
                    index = int(name[1:]) - 1
                    if index < 0:
                        raise ServiceError("InvalidColumnIndex", "The column index is invalid. Please check the "
                                           "service documentation and try again.", 400)
                    return row[index] if index < len(row) else MISSING
                index = self.exact.get(name) if quoted else self.positions.get(name.lower())
                if index is None:
                    if self.header is None:
                        raise ServiceError("MissingHeaders", "Some headers in the query are missing from the file. "
                                           "Check the file and try again.", 400)
                    return MISSING
                return row[index] if index < len(row) else MISSING
            value = row
            for part in parts:
                value = _step(value, part)
                if value is MISSING:
                    return MISSING
            return value
        return resolve


def _column_name(node: Any, position: int, name: str | None) -> str:
    if name:
        return name
    if node.kind == "ref" and not isinstance(node.value[-1], int):
        return node.value[-1][0]
    return f"_{position}"


def results(query: Query, records: Records) -> Iterator[list[tuple[str, Any]]]:
    """Each result row as [(name, value)...] (a whole record for SELECT *)."""
    where = query.where
    produced = 0
    limit = query.limit
    if query.aggregate:
        accumulators = []
        for node, _ in query.items or []:
            accumulators.append(Accumulator(node.value) if node.kind == "aggregate" else None)
        for row in records.rows:
            evaluate = Evaluator(records.resolver(row))
            if where is not None and evaluate(where) is not True:
                continue
            for (node, _), accumulator in zip(query.items or [], accumulators, strict=True):
                if accumulator is not None:
                    accumulator.add(evaluate(node.args[0]))
        yield [(_column_name(node, i + 1, name), acc.result() if acc is not None else node.value)
               for i, ((node, name), acc) in enumerate(zip(query.items or [], accumulators, strict=True))]
        return
    for row in records.rows:
        if limit is not None and produced >= limit:
            return
        evaluate = Evaluator(records.resolver(row))
        if where is not None and evaluate(where) is not True:
            continue
        produced += 1
        if query.items is None:
            if records.kind == "CSV":
                names = records.header or [f"_{i + 1}" for i in range(len(row))]
                yield [(names[i] if i < len(names) else f"_{i + 1}", value) for i, value in enumerate(row)]
            else:
                yield [("", row)]
            continue
        yield [(_column_name(node, i + 1, name), evaluate(node)) for i, (node, name) in enumerate(query.items)]


class Writer:
    def __init__(self, serialization: dict) -> None:
        if serialization.get("CSV") is not None:
            options = serialization["CSV"]
            self.kind = "CSV"
            self.record = options.get("RecordDelimiter") or "\n"
            self.field = options.get("FieldDelimiter") or ","
            self.quote = options.get("QuoteCharacter") or '"'
            self.escape = options.get("QuoteEscapeCharacter") or self.quote
            self.always = (options.get("QuoteFields") or "ASNEEDED").upper() == "ALWAYS"
        elif serialization.get("JSON") is not None:
            self.kind = "JSON"
            self.record = serialization["JSON"].get("RecordDelimiter") or "\n"
        else:
            raise ServiceError("MissingRequiredParameter", "OutputSerialization must specify CSV or JSON.", 400)

    def row(self, values: list[tuple[str, Any]]) -> str:
        if self.kind == "JSON":
            if len(values) == 1 and values[0][0] == "":
                return json.dumps(_plain(values[0][1]), separators=(",", ":")) + self.record
            return json.dumps({name: _plain(value) for name, value in values if value is not MISSING},
                              separators=(",", ":")) + self.record
        cells = []
        for _, value in values:
            text = value if isinstance(value, str) else (
                json.dumps(value, separators=(",", ":")) if isinstance(value, dict | list) else format_value(value))
            needs = self.always or any(c in text for c in (self.field, self.quote, "\n", "\r")) or \
                self.record in text
            if needs:
                text = self.quote + text.replace(self.quote, self.escape + self.quote) + self.quote
            cells.append(text)
        return self.field.join(cells) + self.record


def _plain(value: Any) -> Any:
    if value is MISSING:
        return None
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if v is not MISSING}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, float | int | bool | str) or value is None:
        return value
    return format_value(value)


def output_chunks(query: Query, records: Records, writer: Writer) -> Iterator[bytes]:
    buffer = io.StringIO()
    size = 0
    for values in results(query, records):
        text = writer.row(values)
        buffer.write(text)
        size += len(text)
        if size >= OUTPUT_CHUNK:
            yield buffer.getvalue().encode()
            buffer = io.StringIO()
            size = 0
    if size:
        yield buffer.getvalue().encode()
