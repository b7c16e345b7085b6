"""The one tokenizer of every DynamoDB expression (condition, filter, key condition, projection, update).

A syntax error names the offending token and the source from the token before it
to the token after it, as DynamoDB does:
``Syntax error; token: ":", near: "hits : incr"``.
"""

from __future__ import annotations

import re

from cloudlet.services.dynamodb.expressions.errors import ExpressionError

# Token kinds
NAME = "name"  # a bare identifier: an attribute name, a function or a keyword
ALIAS = "alias"  # #name
VALUE = "value"  # :value
NUMBER = "number"  # digits (list indexes)
OP = "op"  # = <> < <= > >= ( ) [ ] , . + -
EOF = "eof"
BAD = "bad"  # a character no token starts with

_TOKEN = re.compile(
    r"(?P<ws>[ \t\r\n]+)"
    r"|(?P<name>[A-Za-z][A-Za-z0-9_]*)"
    r"|(?P<alias>#[A-Za-z0-9_]+)"
    r"|(?P<value>:[A-Za-z0-9_]+)"
    r"|(?P<number>[0-9]+)"
    r"|(?P<op><>|<=|>=|[=<>()\[\],.+\-])"
)


class Token:
    __slots__ = ("kind", "text", "start", "end", "index")

    def __init__(self, kind: str, text: str, start: int, end: int, index: int) -> None:
        self.kind = kind
        self.text = text
        self.start = start
        self.end = end
        self.index = index

    def is_keyword(self, word: str) -> bool:
        return self.kind == NAME and self.text.upper() == word

    def __repr__(self) -> str:
        return f"Token({self.kind}, {self.text!r})"


def tokenize(source: str) -> list[Token]:
    tokens: list[Token] = []
    position = 0
    length = len(source)
    match = _TOKEN.match
    while position < length:
        found = match(source, position)
        if found is None:
            tokens.append(Token(BAD, source[position], position, position + 1, len(tokens)))
            position += 1
            continue
        kind = found.lastgroup
        end = found.end()
        if kind != "ws":
            tokens.append(Token(kind, found.group(), position, end, len(tokens)))  # type: ignore[arg-type]
        position = end
    # The end sits right after the last token, so "near" text never carries trailing blanks.
    end = tokens[-1].end if tokens else 0
    tokens.append(Token(EOF, "<EOF>", end, end, len(tokens)))
    return tokens


def syntax_error(source: str, tokens: list[Token], token: Token) -> ExpressionError:
    """``Syntax error; token: "x", near: "<previous> x <next>"``."""
    index = token.index
    start = tokens[index - 1].start if index > 0 else token.start
    end = tokens[index + 1].end if token.kind != EOF and index + 1 < len(tokens) else token.end
    near = source[start:end]
    return ExpressionError(f'Syntax error; token: "{token.text}", near: "{near}"')
