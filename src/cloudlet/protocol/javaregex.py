"""Java regular expressions (the model's ``pattern`` traits) as Python ``re`` patterns.

The services validate ``pattern`` with ``java.util.regex`` and whole-value
matching (``Matcher.matches``).  Python's ``re`` reads most of these patterns the
same way, but not all of them:

- ``\\p{L}``, ``\\P{C}``, ``\\p{Print}``... (Unicode categories and POSIX classes)
  do not exist in ``re``: they become explicit code point ranges;
- ``\\w``, ``\\d``, ``\\s`` are ASCII-only in Java: the pattern is compiled with
  ``re.ASCII`` (categories are spelled out as ranges, so they stay Unicode);
- inside a class, ``-`` next to a class escape is a literal (``[\\w-_]``), and a
  UTF-16 surrogate pair (``\\uD800\\uDC00``) is one supplementary code point;
- ``.`` does not match any line terminator, not only ``\\n``;
- ``\\z``, ``\\Z``, ``\\Q...\\E``, ``(?<name>...)`` and ``\\k<name>`` are spelled
  differently.

Possessive quantifiers and atomic groups exist in ``re`` since Python 3.11.
A pattern that cannot be translated (class intersection ``&&``, an unknown
property) makes :func:`compile_java` return ``None``: the caller skips it.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

_LINE_TERMINATORS = "\\n\\r\\x85\\u2028\\u2029"
_WHITE_SPACE = [(0x09, 0x0D), (0x20, 0x20), (0x85, 0x85), (0xA0, 0xA0), (0x1680, 0x1680),
                (0x2000, 0x200A), (0x2028, 0x2029), (0x202F, 0x202F), (0x205F, 0x205F),
                (0x3000, 0x3000)]

# java.util.regex POSIX classes are US-ASCII only (no UNICODE_CHARACTER_CLASS flag).
_POSIX: dict[str, list[tuple[int, int]]] = {
    "Lower": [(0x61, 0x7A)],
    "Upper": [(0x41, 0x5A)],
    "ASCII": [(0x00, 0x7F)],
    "Alpha": [(0x41, 0x5A), (0x61, 0x7A)],
    "Digit": [(0x30, 0x39)],
    "Alnum": [(0x30, 0x39), (0x41, 0x5A), (0x61, 0x7A)],
    "Punct": [(0x21, 0x2F), (0x3A, 0x40), (0x5B, 0x60), (0x7B, 0x7E)],
    "Graph": [(0x21, 0x7E)],
    "Print": [(0x20, 0x7E)],
    "Blank": [(0x09, 0x09), (0x20, 0x20)],
    "Cntrl": [(0x00, 0x1F), (0x7F, 0x7F)],
    "XDigit": [(0x30, 0x39), (0x41, 0x46), (0x61, 0x66)],
    "Space": [(0x09, 0x0D), (0x20, 0x20)],
}


class Untranslatable(ValueError):
    """A Java construct with no ``re`` equivalent here."""


@cache
def _categories() -> dict[str, list[tuple[int, int]]]:
    """Code point ranges of every Unicode general category (computed once, lazily).

    Scanning all of Unicode costs about half a second, so the planes that are
    uniformly unassigned (4-13) or private use (15-16) are filled in without
    asking ``unicodedata`` about each code point.
    """
    ranges: dict[str, list[tuple[int, int]]] = {}

    def add(cat: str, lo: int, hi: int) -> None:
        spans = ranges.setdefault(cat, [])
        if spans and spans[-1][1] == lo - 1:
            spans[-1] = (spans[-1][0], hi)
        else:
            spans.append((lo, hi))

    def scan(lo: int, hi: int) -> None:
        category = unicodedata.category
        start, current = lo, category(chr(lo))
        for cp in range(lo + 1, hi + 1):
            cat = category(chr(cp))
            if cat != current:
                add(current, start, cp - 1)
                start, current = cp, cat
        add(current, start, hi)

    scan(0, 0x3FFFF)
    add("Cn", 0x40000, 0xDFFFF)
    scan(0xE0000, 0xEFFFF)
    for plane in (0xF0000, 0x100000):  # supplementary private use areas A and B
        add("Co", plane, plane + 0xFFFD)
        add("Cn", plane + 0xFFFE, plane + 0xFFFF)
    for spans in ranges.values():
        spans.sort()
    return ranges


def _category(name: str) -> list[tuple[int, int]]:
    cats = _categories()
    if len(name) == 2:
        if name not in cats and name not in ("Cn", "Co", "Cs"):
            raise Untranslatable(f"unknown category {name}")
        return list(cats.get(name, []))
    spans = [span for cat, ranges in cats.items() if cat[0] == name for span in ranges]
    if not spans:
        raise Untranslatable(f"unknown category {name}")
    return _merge(spans)


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for lo, hi in sorted(spans):
        if out and lo <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out


def _complement(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out, nxt = [], 0
    for lo, hi in _merge(spans):
        if lo > nxt:
            out.append((nxt, lo - 1))
        nxt = hi + 1
    if nxt <= 0x10FFFF:
        out.append((nxt, 0x10FFFF))
    return out


def _property(name: str) -> list[tuple[int, int]]:
    """The code points of ``\\p{name}`` as java.util.regex reads it."""
    if name in _POSIX:
        return _POSIX[name]
    for prefix in ("general_category=", "gc=", "Is"):
        if name.startswith(prefix) and name not in ("IsWhitespace", "IsWhite_Space"):
            stripped = name[len(prefix):]
            if len(stripped) <= 2:
                return _category(stripped)
    if name in ("IsWhitespace", "IsWhite_Space", "javaWhitespace"):
        return _WHITE_SPACE
    if name in ("IsAlphabetic", "IsLetter", "javaLetter"):
        return _merge(_category("L") + _category("Nl"))
    if name in ("IsDigit", "javaDigit"):
        return _category("Nd")
    if name in ("IsPunctuation",):
        return _category("P")
    if len(name) <= 2:
        return _category(name)
    raise Untranslatable(f"unsupported property \\p{{{name}}}")


def _class_body(spans: list[tuple[int, int]]) -> str:
    """Ranges as the inside of a ``re`` character class."""
    parts = []
    for lo, hi in spans:
        parts.append(_char(lo) if lo == hi else f"{_char(lo)}-{_char(hi)}")
    return "".join(parts)


def _char(cp: int) -> str:
    return f"\\x{cp:02x}" if cp < 0x100 else f"\\u{cp:04x}" if cp < 0x10000 else f"\\U{cp:08x}"


_CLASS_ESCAPES = set("wWdDsS")


def translate(pattern: str) -> str:
    """A Java pattern as an equivalent ``re`` pattern (to be compiled with ``re.ASCII``)."""
    out: list[str] = []
    i, n = 0, len(pattern)
    depth = 0  # > 0 inside a character class; Java nests classes as unions
    dotall = "(?s" in pattern
    last_was_class = False  # inside a class: the previous item was a class escape

    def read_property(j: int) -> tuple[str, int]:
        if j < n and pattern[j] == "{":
            end = pattern.find("}", j)
            if end < 0:
                raise Untranslatable("unterminated \\p{")
            return pattern[j + 1:end], end + 1
        if j < n:
            return pattern[j], j + 1
        raise Untranslatable("dangling \\p")

    while i < n:
        ch = pattern[i]
        if ch == "\\":
            if i + 1 >= n:
                raise Untranslatable("trailing backslash")
            nxt = pattern[i + 1]
            if nxt in "pP":
                name, i = read_property(i + 2)
                spans = _property(name)
                if nxt == "P":
                    spans = _complement(spans)
                body = _class_body(spans)
                out.append(body if depth else f"[{body}]")
                last_was_class = True
                continue
            if nxt == "u" and i + 6 <= n:
                hexa = pattern[i + 2:i + 6]
                cp = int(hexa, 16)
                # A surrogate pair spelled as two escapes is one supplementary code point.
                if 0xD800 <= cp <= 0xDBFF and pattern.startswith("\\u", i + 6) and i + 12 <= n:
                    low = int(pattern[i + 8:i + 12], 16)
                    if 0xDC00 <= low <= 0xDFFF:
                        out.append(_char(0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00)))
                        i += 12
                        last_was_class = False
                        continue
                out.append(f"\\u{hexa}")
                i += 6
                last_was_class = False
                continue
            if nxt == "x" and i + 2 < n and pattern[i + 2] == "{":
                end = pattern.find("}", i)
                out.append(_char(int(pattern[i + 3:end], 16)))
                i = end + 1
                last_was_class = False
                continue
            if nxt == "Q":
                end = pattern.find("\\E", i + 2)
                end = n if end < 0 else end
                literal = pattern[i + 2:end]
                out.append("".join("\\" + c if not c.isalnum() else c for c in literal))
                i = end + 2
                last_was_class = False
                continue
            if nxt == "z":
                out.append("\\Z")
            elif nxt == "Z":
                out.append(f"(?=[{_LINE_TERMINATORS}]?\\Z)")
            elif nxt == "h":
                body = _class_body([(0x09, 0x09), (0x20, 0x20), (0xA0, 0xA0), (0x1680, 0x1680),
                                    (0x180E, 0x180E), (0x2000, 0x200A), (0x202F, 0x202F),
                                    (0x205F, 0x205F), (0x3000, 0x3000)])
                out.append(body if depth else f"[{body}]")
            elif nxt == "e":
                out.append("\\x1b")
            elif nxt == "k" and i + 2 < n and pattern[i + 2] == "<":
                end = pattern.find(">", i)
                out.append(f"(?P={pattern[i + 3:end]})")
                i = end + 1
                last_was_class = False
                continue
            else:
                out.append(pattern[i:i + 2])
            last_was_class = nxt in _CLASS_ESCAPES
            i += 2
            continue
        if depth:
            if ch == "[":
                depth += 1  # nested class: a union, so its brackets just disappear
                if pattern.startswith("^", i + 1):
                    raise Untranslatable("negated nested class")
                i += 1
                continue
            if ch == "]":
                depth -= 1
                if depth == 0:
                    out.append("]")
                i += 1
                last_was_class = False
                continue
            if ch == "&" and pattern.startswith("&&", i):
                raise Untranslatable("class intersection")
            if ch == "-":
                # After a class escape, or doubled, '-' is a literal in Java.
                prev_dash = out and out[-1] == "-"
                out.append("\\-" if last_was_class or prev_dash or pattern.startswith("]", i + 1) else "-")
                i += 1
                continue
            out.append("\\" + ch if ch in "[&~|" else ch)
            last_was_class = False
            i += 1
            continue
        if ch == "[":
            depth = 1
            out.append("[")
            i += 1
            if pattern.startswith("^", i):
                out.append("^")
                i += 1
            if pattern.startswith("]", i):  # a leading ']' is a literal in both dialects
                out.append("\\]")
                i += 1
            last_was_class = False
            continue
        if ch == "." and not dotall:
            out.append(f"[^{_LINE_TERMINATORS}]")
        elif ch == "(" and pattern.startswith("(?<", i) and i + 3 < n and pattern[i + 3] not in "=!":
            out.append("(?P<")
            i += 3
            continue
        else:
            out.append(ch)
        i += 1
    if depth:
        raise Untranslatable("unterminated character class")
    return "".join(out)


_compiled: dict[str, re.Pattern | None] = {}


def compile_java(pattern: str) -> re.Pattern | None:
    """The compiled translation of a Java pattern, cached; None when untranslatable."""
    try:
        return _compiled[pattern]
    except KeyError:
        pass
    try:
        compiled: re.Pattern | None = re.compile(translate(pattern), re.ASCII)
    except (Untranslatable, re.error, ValueError, OverflowError):
        compiled = None
    _compiled[pattern] = compiled
    return compiled
