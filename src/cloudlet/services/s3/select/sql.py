"""The SQL subset S3 Select documents: a tokenizer, a recursive-descent parser and an evaluator.

    SELECT <*, expressions [AS alias]> FROM S3Object[[*].path] [alias] [WHERE <condition>] [LIMIT n]

Expressions: column references (``_1``, header names, ``s.name``, ``s.a.b``, ``s['key']``),
literals, arithmetic, ``||``, comparisons, AND/OR/NOT, LIKE (with ESCAPE), BETWEEN, IN, IS [NOT]
NULL / MISSING, CAST(... AS type), string functions (LOWER, UPPER, CHAR_LENGTH, TRIM, SUBSTRING),
COALESCE, NULLIF and the aggregates COUNT, SUM, AVG, MIN, MAX.  Anything else is S3's error.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from cloudlet.protocol.errors import ServiceError

MISSING = type("Missing", (), {"__repr__": lambda self: "MISSING", "__bool__": lambda self: False})()
AGGREGATES = ("COUNT", "SUM", "AVG", "MIN", "MAX")
FUNCTIONS = ("LOWER", "UPPER", "CHAR_LENGTH", "CHARACTER_LENGTH", "TRIM", "SUBSTRING", "COALESCE", "NULLIF",
             "ABS", "CAST") + AGGREGATES
KEYWORDS = {"SELECT", "FROM", "WHERE", "LIMIT", "AS", "AND", "OR", "NOT", "LIKE", "ESCAPE", "BETWEEN", "IN", "IS",
            "NULL", "MISSING", "TRUE", "FALSE"}
TYPES = {"INT": "INT", "INTEGER": "INT", "BIGINT": "INT", "SMALLINT": "INT", "FLOAT": "FLOAT", "REAL": "FLOAT",
         "DOUBLE": "FLOAT", "DECIMAL": "DECIMAL", "NUMERIC": "DECIMAL", "STRING": "STRING", "VARCHAR": "STRING",
         "CHAR": "STRING", "BOOL": "BOOL", "BOOLEAN": "BOOL", "TIMESTAMP": "TIMESTAMP"}
MAX_EXPRESSION = 256 * 1024
_TOKEN = re.compile(
    r"\s*(?:(?P<number>\d+\.\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?|\d+(?:[eE][+-]?\d+)?)"
    r"|(?P<string>'(?:[^']|'')*')|(?P<quoted>\"(?:[^\"]|\"\")*\")|(?P<word>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<op><>|!=|<=|>=|\|\||[-+*/%=<>(),.\[\]]))"
)


def syntax_error(message: str, column: int | None = None) -> ServiceError:
    where = f" at line 1, column {column}" if column is not None else ""
    return ServiceError("ParseUnexpectedToken", f"{message}{where}.", 400)


@dataclass
class Token:
    kind: str  # number, string, quoted, word, op, end
    text: str
    column: int


def tokenize(text: str) -> list[Token]:
    if len(text.encode()) > MAX_EXPRESSION:
        raise ServiceError("ExpressionTooLong", "The SQL expression is too long: The maximum byte-length for the SQL "
                           "expression is 256 KB.", 400)
    tokens = []
    pos = 0
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos >= len(text):
            break
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise ServiceError("LexerInvalidChar",
                               f"The SQL expression contains an invalid character at line 1, column {pos + 1}.", 400)
        kind = match.lastgroup or "op"
        tokens.append(Token(kind, match.group(kind), match.start(kind) + 1))
        pos = match.end()
    tokens.append(Token("end", "", len(text) + 1))
    return tokens


# --- the tree ------------------------------------------------------------------------------------

@dataclass
class Node:
    kind: str
    value: Any = None
    args: tuple = ()


@dataclass
class Query:
    items: list[tuple[Node, str | None]] | None  # None: SELECT *
    alias: str | None
    path: list[Any]  # S3Object[*].a.b -> ["a", "b"] (JSON)
    where: Node | None
    limit: int | None
    aggregate: bool


class Parser:
    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.pos = 0

    @property
    def token(self) -> Token:
        return self.tokens[self.pos]

    def word(self, *words: str) -> bool:
        return self.token.kind == "word" and self.token.text.upper() in words

    def op(self, *ops: str) -> bool:
        return self.token.kind == "op" and self.token.text in ops

    def take(self) -> Token:
        token = self.token
        self.pos += 1
        return token

    def expect_word(self, word: str) -> None:
        if not self.word(word):
            raise self.unexpected()
        self.take()

    def expect_op(self, op: str) -> None:
        if not self.op(op):
            raise self.unexpected()
        self.take()

    def unexpected(self) -> ServiceError:
        token = self.token
        if token.kind == "end":
            return syntax_error("Unexpected end of SQL expression", token.column)
        return syntax_error(f"Unexpected token found {token.text}", token.column)

    def parse(self) -> Query:
        self.expect_word("SELECT")
        items: list[tuple[Node, str | None]] | None
        if self.op("*"):
            self.take()
            items = None
        else:
            items = [self.item()]
            while self.op(","):
                self.take()
                items.append(self.item())
        self.expect_word("FROM")
        alias, path = self.source()
        where = None
        if self.word("WHERE"):
            self.take()
            where = self.expression()
        limit = None
        if self.word("LIMIT"):
            self.take()
            token = self.take()
            if token.kind != "number" or not token.text.isdigit():
                raise syntax_error(f"Unexpected token found {token.text}", token.column)
            limit = int(token.text)
        if self.token.kind != "end":
            raise self.unexpected()
        aggregate = items is not None and any(_has_aggregate(node) for node, _ in items)
        if aggregate and any(not _has_aggregate(node) and node.kind != "literal" for node, _ in items or []):
            raise ServiceError("UnsupportedSyntax",
                               "Aggregate and non-aggregate expressions cannot be mixed without GROUP BY.", 400)
        if where is not None and _has_aggregate(where):
            raise ServiceError("UnsupportedSyntax", "Aggregate functions are not allowed in the WHERE clause.", 400)
        return Query(items, alias, path, where, limit, aggregate)

    def item(self) -> tuple[Node, str | None]:
        node = self.expression()
        name = None
        if self.word("AS"):
            self.take()
            name = self.identifier()
        elif self.token.kind in ("word", "quoted") and not self.word(*KEYWORDS):
            name = self.identifier()
        return node, name

    def identifier(self) -> str:
        token = self.take()
        if token.kind == "quoted":
            return token.text[1:-1].replace('""', '"')
        if token.kind == "word" and token.text.upper() not in KEYWORDS:
            return token.text
        raise syntax_error(f"Unexpected token found {token.text}", token.column)

    def source(self) -> tuple[str | None, list[Any]]:
        token = self.take()
        if token.kind != "word" or token.text.upper() != "S3OBJECT":
            raise syntax_error(f"Unexpected token found {token.text}", token.column)
        path: list[Any] = []
        if self.op("["):
            self.take()
            self.expect_op("*")
            self.expect_op("]")
            while self.op(".", "["):
                if self.take().text == ".":
                    path.append(self.identifier())
                else:
                    index = self.take()
                    if index.kind == "op" and index.text == "*":
                        path.append("*")  # every element of the list there
                    elif index.kind == "number" and index.text.isdigit():
                        path.append(int(index.text))
                    elif index.kind == "string":
                        path.append(_string(index))
                    else:
                        raise syntax_error(f"Unexpected token found {index.text}", index.column)
                    self.expect_op("]")
        alias = None
        if self.word("AS"):
            self.take()
            alias = self.identifier()
        elif self.token.kind in ("word", "quoted") and not self.word(*KEYWORDS):
            alias = self.identifier()
        return alias, path

    # precedence climbing
    def expression(self) -> Node:
        node = self.conjunction()
        while self.word("OR"):
            self.take()
            node = Node("or", None, (node, self.conjunction()))
        return node

    def conjunction(self) -> Node:
        node = self.negation()
        while self.word("AND"):
            self.take()
            node = Node("and", None, (node, self.negation()))
        return node

    def negation(self) -> Node:
        if self.word("NOT"):
            self.take()
            return Node("not", None, (self.negation(),))
        return self.comparison()

    def comparison(self) -> Node:
        left = self.additive()
        if self.op("=", "!=", "<>", "<", "<=", ">", ">="):
            op = self.take().text
            return Node("compare", "!=" if op == "<>" else op, (left, self.additive()))
        negate = False
        if self.word("NOT") and self.tokens[self.pos + 1].kind == "word" and \
                self.tokens[self.pos + 1].text.upper() in ("LIKE", "BETWEEN", "IN"):
            self.take()
            negate = True
        if self.word("LIKE"):
            self.take()
            pattern = self.additive()
            escape = None
            if self.word("ESCAPE"):
                self.take()
                escape = self.additive()
            node = Node("like", None, (left, pattern, escape))
        elif self.word("BETWEEN"):
            self.take()
            low = self.additive()
            self.expect_word("AND")
            node = Node("between", None, (left, low, self.additive()))
        elif self.word("IN"):
            self.take()
            self.expect_op("(")
            values = [self.expression()]
            while self.op(","):
                self.take()
                values.append(self.expression())
            self.expect_op(")")
            node = Node("in", None, (left, *values))
        elif self.word("IS") and not negate:
            self.take()
            negated = False
            if self.word("NOT"):
                self.take()
                negated = True
            if self.word("NULL"):
                self.take()
                node = Node("isnull", None, (left,))
            elif self.word("MISSING"):
                self.take()
                node = Node("ismissing", None, (left,))
            else:
                raise self.unexpected()
            return Node("not", None, (node,)) if negated else node
        else:
            if negate:
                raise self.unexpected()
            return left
        return Node("not", None, (node,)) if negate else node

    def additive(self) -> Node:
        node = self.multiplicative()
        while self.op("+", "-", "||"):
            op = self.take().text
            node = Node("arith" if op != "||" else "concat", op, (node, self.multiplicative()))
        return node

    def multiplicative(self) -> Node:
        node = self.unary()
        while self.op("*", "/", "%"):
            op = self.take().text
            node = Node("arith", op, (node, self.unary()))
        return node

    def unary(self) -> Node:
        if self.op("-"):
            self.take()
            return Node("negate", None, (self.unary(),))
        if self.op("+"):
            self.take()
            return self.unary()
        return self.primary()

    def primary(self) -> Node:
        token = self.token
        if token.kind == "number":
            self.take()
            text = token.text
            return Node("literal", int(text) if text.isdigit() else float(text))
        if token.kind == "string":
            self.take()
            return Node("literal", _string(token))
        if self.op("("):
            self.take()
            node = self.expression()
            self.expect_op(")")
            return node
        if token.kind == "word":
            upper = token.text.upper()
            if upper in ("TRUE", "FALSE"):
                self.take()
                return Node("literal", upper == "TRUE")
            if upper == "NULL":
                self.take()
                return Node("literal", None)
            if upper == "MISSING":
                self.take()
                return Node("literal", MISSING)
            if self.tokens[self.pos + 1].kind == "op" and self.tokens[self.pos + 1].text == "(":
                return self.function()
            if upper in KEYWORDS:
                raise self.unexpected()
        if token.kind in ("word", "quoted"):
            return self.reference()
        raise self.unexpected()

    def function(self) -> Node:
        token = self.take()
        name = token.text.upper()
        if name not in FUNCTIONS:
            raise ServiceError("UnsupportedFunction", f"Function {token.text} is not supported.", 400)
        self.expect_op("(")
        if name == "CAST":
            value = self.expression()
            self.expect_word("AS")
            kind = self.take()
            if kind.kind != "word" or kind.text.upper() not in TYPES:
                raise ServiceError("InvalidCast", f"Attempt to convert to the unsupported type {kind.text}.", 400)
            self.expect_op(")")
            return Node("cast", TYPES[kind.text.upper()], (value,))
        if name == "COUNT" and self.op("*"):
            self.take()
            self.expect_op(")")
            return Node("aggregate", "COUNT", (Node("literal", 1),))
        args = [self.expression()]
        if name == "SUBSTRING" and self.word("FROM"):
            self.take()
            args.append(self.expression())
            if self.word("FOR"):
                self.take()
                args.append(self.expression())
        while self.op(","):
            self.take()
            args.append(self.expression())
        self.expect_op(")")
        if name in AGGREGATES:
            if len(args) != 1 or _has_aggregate(args[0]):
                raise ServiceError("UnsupportedSyntax", f"Invalid arguments to {name}.", 400)
            return Node("aggregate", name, tuple(args))
        return Node("call", name, tuple(args))

    def reference(self) -> Node:
        path: list[Any] = [(self.identifier(), self.tokens[self.pos - 1].kind == "quoted")]
        while self.op(".", "["):
            if self.take().text == ".":
                path.append((self.identifier(), self.tokens[self.pos - 1].kind == "quoted"))
            else:
                index = self.take()
                if index.kind == "number" and index.text.isdigit():
                    path.append(int(index.text))
                elif index.kind == "string":
                    path.append((_string(index), True))
                else:
                    raise syntax_error(f"Unexpected token found {index.text}", index.column)
                self.expect_op("]")
        return Node("ref", path)


def _string(token: Token) -> str:
    return token.text[1:-1].replace("''", "'")


def _has_aggregate(node: Node | None) -> bool:
    if node is None:
        return False
    if node.kind == "aggregate":
        return True
    return any(isinstance(arg, Node) and _has_aggregate(arg) for arg in node.args)


def parse(text: str) -> Query:
    return Parser(text).parse()


# --- evaluation --------------------------------------------------------------------------------------

def _number(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            try:
                return float(value)
            except ValueError:
                return None
    return None


def _comparable(a: Any, b: Any) -> tuple[Any, Any] | None:
    if a is None or b is None or a is MISSING or b is MISSING:
        return None
    if isinstance(a, str) and isinstance(b, str):
        return a, b
    if isinstance(a, bool) or isinstance(b, bool):
        return (a, b) if isinstance(a, bool) and isinstance(b, bool) else None
    if isinstance(a, datetime) and isinstance(b, datetime):
        return a, b
    x, y = _number(a), _number(b)
    if x is None or y is None:
        return None
    return x, y


def cast(value: Any, kind: str) -> Any:
    if value is None or value is MISSING:
        return value
    try:
        if kind == "INT":
            if isinstance(value, str):
                return int(Decimal(value.strip()))
            return int(value)
        if kind == "FLOAT":
            return float(value)
        if kind == "DECIMAL":
            number = Decimal(str(value).strip())
            return int(number) if number == number.to_integral_value() else float(number)
        if kind == "STRING":
            return format_value(value)
        if kind == "BOOL":
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in ("true", "false"):
                return text == "true"
            raise ValueError(value)
        if kind == "TIMESTAMP":
            if isinstance(value, datetime):
                return value
            return datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    except (ValueError, TypeError, InvalidOperation, OverflowError):
        pass
    raise ServiceError("CastFailed", "Attempt to convert from one data type to another using CAST failed in the SQL "
                       "expression.", 400)


def _like(value: Any, pattern: Any, escape: Any) -> bool | None:
    if not isinstance(value, str) or not isinstance(pattern, str):
        return None
    out = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if escape and char == escape and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        out.append(".*" if char == "%" else "." if char == "_" else re.escape(char))
        i += 1
    return re.fullmatch("".join(out), value, re.DOTALL) is not None


class Evaluator:
    """Evaluates expressions against one record through ``resolve(path)``."""

    def __init__(self, resolve: Any) -> None:
        self.resolve = resolve

    def __call__(self, node: Node) -> Any:
        kind = node.kind
        if kind == "literal":
            return node.value
        if kind == "ref":
            return self.resolve(node.value)
        if kind == "and":
            a, b = self(node.args[0]), self(node.args[1])
            if a is False or b is False:
                return False
            return None if a is None or b is None else bool(a and b)
        if kind == "or":
            a, b = self(node.args[0]), self(node.args[1])
            if a is True or b is True:
                return True
            return None if a is None or b is None else False
        if kind == "not":
            value = self(node.args[0])
            return None if value is None or value is MISSING else not value
        if kind == "compare":
            pair = _comparable(self(node.args[0]), self(node.args[1]))
            if pair is None:
                return None
            a, b = pair
            op = node.value
            try:
                return {"=": a == b, "!=": a != b, "<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]
            except TypeError:
                return None
        if kind == "like":
            escape = self(node.args[2]) if node.args[2] is not None else None
            return _like(self(node.args[0]), self(node.args[1]), escape)
        if kind == "between":
            value = self(node.args[0])
            low, high = _comparable(value, self(node.args[1])), _comparable(value, self(node.args[2]))
            if low is None or high is None:
                return None
            return low[1] <= low[0] and high[0] <= high[1]
        if kind == "in":
            value = self(node.args[0])
            for option in node.args[1:]:
                pair = _comparable(value, self(option))
                if pair is not None and pair[0] == pair[1]:
                    return True
            return False
        if kind == "isnull":
            value = self(node.args[0])
            return value is None or value is MISSING
        if kind == "ismissing":
            return self(node.args[0]) is MISSING
        if kind == "arith":
            a, b = _number(self(node.args[0])), _number(self(node.args[1]))
            if a is None or b is None or isinstance(a, bool) or isinstance(b, bool):
                return None
            op = node.value
            try:
                if op == "+":
                    return a + b
                if op == "-":
                    return a - b
                if op == "*":
                    return a * b
                if op == "/":
                    return a // b if isinstance(a, int) and isinstance(b, int) else a / b
                return math.fmod(a, b) if isinstance(a, float) or isinstance(b, float) else a % b
            except ZeroDivisionError:
                raise ServiceError("DivisionByZero", "Division by zero is not allowed.", 400)
        if kind == "concat":
            a, b = self(node.args[0]), self(node.args[1])
            if a is None or b is None or a is MISSING or b is MISSING:
                return None
            return format_value(a) + format_value(b)
        if kind == "negate":
            value = _number(self(node.args[0]))
            return None if value is None else -value
        if kind == "cast":
            return cast(self(node.args[0]), node.value)
        if kind == "call":
            return self.call(node.value, [self(arg) for arg in node.args])
        raise ServiceError("UnsupportedSyntax", f"Unsupported expression: {kind}.", 400)

    @staticmethod
    def call(name: str, args: list[Any]) -> Any:
        if name == "COALESCE":
            return next((a for a in args if a is not None and a is not MISSING), None)
        if name == "NULLIF":
            return None if len(args) == 2 and args[0] == args[1] else args[0]
        value = args[0] if args else None
        if value is None or value is MISSING:
            return value
        if name == "LOWER":
            return format_value(value).lower()
        if name == "UPPER":
            return format_value(value).upper()
        if name in ("CHAR_LENGTH", "CHARACTER_LENGTH"):
            return len(format_value(value))
        if name == "TRIM":
            return format_value(value).strip()
        if name == "ABS":
            number = _number(value)
            return None if number is None else abs(number)
        if name == "SUBSTRING":
            text = format_value(value)
            start = _number(args[1]) if len(args) > 1 else 1
            if not isinstance(start, int):
                raise ServiceError("IncorrectSqlFunctionArgumentType",
                                   "Incorrect type of arguments in function call.", 400)
            begin = max(start - 1, 0)
            if len(args) > 2:
                length = _number(args[2])
                end = start - 1 + length if isinstance(length, int) else len(text)
                return text[begin:max(end, begin)]
            return text[begin:]
        raise ServiceError("UnsupportedFunction", f"Function {name} is not supported.", 400)


class Accumulator:
    """One aggregate over all records."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.count = 0
        self.total: Any = 0
        self.best: Any = None

    def add(self, value: Any) -> None:
        if value is None or value is MISSING:
            return
        if self.name == "COUNT":
            self.count += 1
            return
        if self.name in ("SUM", "AVG"):
            number = _number(value)
            if number is None or isinstance(number, bool):
                raise ServiceError("CastFailed",
                                   "Attempt to convert from one data type to another using CAST failed in the SQL "
                                   "expression.", 400)
            self.total += number
            self.count += 1
            return
        pair = _comparable(value, self.best) if self.best is not None else (value, value)
        if pair is None:
            number = _number(value)
            if number is None:
                return
            pair = (number, _number(self.best))
        if self.best is None or (pair[0] < pair[1] if self.name == "MIN" else pair[0] > pair[1]):
            self.best = _number(value) if _number(value) is not None and not isinstance(value, str) else value
        self.count += 1

    def result(self) -> Any:
        if self.name == "COUNT":
            return self.count
        if self.name == "SUM":
            return self.total if self.count else None
        if self.name == "AVG":
            return self.total / self.count if self.count else None
        return self.best


def format_value(value: Any) -> str:
    if value is None or value is MISSING:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value == int(value) and abs(value) < 1e16:
            return f"{value:.1f}"
        return repr(value)
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    return str(value)
