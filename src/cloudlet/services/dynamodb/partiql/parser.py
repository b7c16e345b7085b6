"""DynamoDB's PartiQL: a tokenizer and a parser for SELECT, INSERT, UPDATE, DELETE and EXISTS.

WHERE clauses become the expression engine's bound conditions (expressions/binder.py
forms), and UPDATE's SET/REMOVE become its update actions, so PartiQL statements are
evaluated by the one expression engine. ``?`` parameters are filled in as the
statement is parsed.

    SELECT * | path, ... FROM "table"[."index"] [WHERE condition]
    INSERT INTO "table" VALUE {'name': value, ...}
    UPDATE "table" (SET path = value | REMOVE path)... WHERE condition [RETURNING ...]
    DELETE FROM "table" WHERE condition [RETURNING ALL OLD *]
    EXISTS(SELECT * FROM "table" WHERE ...)      (ExecuteTransaction condition checks)
"""

from __future__ import annotations

import re
from typing import Any

from cloudlet.protocol.errors import ServiceError
from cloudlet.services.dynamodb.values import Checked, check_value, normalize_number

_TOKEN = re.compile(
    r"(?P<ws>\s+)"
    r"|(?P<string>'(?:[^']|'')*')"
    r"|(?P<quoted>\"(?:[^\"]|\"\")*\")"
    r"|(?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)"
    r"|(?P<word>[A-Za-z_][A-Za-z0-9_$]*)"
    r"|(?P<op><<|>>|<>|!=|<=|>=|[=<>(),.\[\]{}:?*+\-])"
)

KEYWORDS = frozenset((
    "SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "INSERT", "INTO", "VALUE", "UPDATE", "SET", "REMOVE", "DELETE",
    "RETURNING", "ALL", "MODIFIED", "OLD", "NEW", "BETWEEN", "IN", "IS", "MISSING", "NULL", "TRUE", "FALSE", "EXISTS",
))


def malformed(detail: str = "") -> ServiceError:
    message = "Statement wasn't well formed, can't be processed"
    return ServiceError("ValidationException", f"{message}: {detail}" if detail else message)


class Token:
    __slots__ = ("kind", "text", "value")

    def __init__(self, kind: str, text: str, value: Any = None) -> None:
        self.kind = kind
        self.text = text
        self.value = value

    def word(self, *words: str) -> bool:
        return self.kind == "word" and self.text.upper() in words


def tokenize(source: str) -> list[Token]:
    tokens = []
    position = 0
    while position < len(source):
        found = _TOKEN.match(source, position)
        if found is None:
            if source[position] in "'\"":
                raise malformed()
            raise malformed(f"Unexpected character: {source[position]}")
        kind = found.lastgroup
        text = found.group()
        position = found.end()
        if kind == "ws":
            continue
        if kind == "string":
            tokens.append(Token("string", text, text[1:-1].replace("''", "'")))
        elif kind == "quoted":
            tokens.append(Token("name", text, text[1:-1].replace('""', '"')))
        else:
            tokens.append(Token(kind, text))  # type: ignore[arg-type]
    tokens.append(Token("eof", ""))
    return tokens


class Statement:
    """A parsed statement: its kind, table, optional index, and what it does."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.table = ""
        self.index: str | None = None
        self.projection: list[tuple] | None = None  # None: SELECT *
        self.where: tuple | None = None
        self.item: dict | None = None
        self.actions: list[tuple] = []
        self.returning: str | None = None
        self.negated = False  # NOT EXISTS


class Parser:
    def __init__(self, source: str, parameters: list[dict] | None) -> None:
        self.tokens = tokenize(source)
        self.position = 0
        self.parameters = parameters or []
        self.used_parameters = 0

    @property
    def token(self) -> Token:
        return self.tokens[self.position]

    def next(self) -> Token:
        token = self.tokens[self.position]
        if token.kind != "eof":
            self.position += 1
        return token

    def expect_word(self, *words: str) -> Token:
        if not self.token.word(*words):
            raise malformed(f"Expected {words[0]}" if self.token.kind != "eof" else "Unexpected end of statement")
        return self.next()

    def expect_op(self, text: str) -> Token:
        if self.token.kind != "op" or self.token.text != text:
            raise malformed(f"Expected {text}")
        return self.next()

    def at_op(self, *texts: str) -> bool:
        return self.token.kind == "op" and self.token.text in texts

    # --- statements -----------------------------------------------------------------------

    def statement(self) -> Statement:
        token = self.token
        if token.word("SELECT"):
            result = self.select()
        elif token.word("INSERT"):
            result = self.insert()
        elif token.word("UPDATE"):
            result = self.update()
        elif token.word("DELETE"):
            result = self.delete()
        elif token.word("EXISTS") or token.word("NOT"):
            result = self.exists()
        else:
            raise malformed("Expected data manipulation" if token.kind == "word" else "Unexpected token")
        if self.token.kind != "eof":
            raise malformed("Unexpected token")
        if self.used_parameters != len(self.parameters):
            raise ServiceError(
                "ValidationException",
                "Number of parameters in request and statement don't match.",
            )
        return result

    def table_reference(self, statement: Statement) -> None:
        parts = [self.table_part()]
        while self.at_op("."):
            self.next()
            parts.append(self.table_part())
        if any(part == "" for part in parts):
            raise ServiceError("ValidationException", "Path component cannot be an empty string")
        if len(parts) > 2:
            raise ServiceError("ValidationException", "A path may contain at most 2 components in the FROM clause")
        statement.table = parts[0]
        statement.index = parts[1] if len(parts) == 2 else None

    def table_part(self) -> str:
        token = self.next()
        if token.kind == "name":
            return token.value
        if token.kind == "word" and token.text.upper() not in KEYWORDS:
            return token.text
        raise malformed("Expected table name")

    def select(self) -> Statement:
        self.expect_word("SELECT")
        statement = Statement("SELECT")
        if self.at_op("*"):
            self.next()
        else:
            paths = [self.path()]
            while self.at_op(","):
                self.next()
                paths.append(self.path())
            statement.projection = paths
        self.expect_word("FROM")
        self.table_reference(statement)
        if self.token.word("WHERE"):
            self.next()
            statement.where = self.condition()
        return statement

    def insert(self) -> Statement:
        self.expect_word("INSERT")
        self.expect_word("INTO")
        statement = Statement("INSERT")
        self.table_reference(statement)
        self.expect_word("VALUE")
        value = self.value()
        if "M" not in value:
            raise malformed("Expected a tuple (map) value after VALUE")
        statement.item = value["M"]
        return statement

    def update(self) -> Statement:
        self.expect_word("UPDATE")
        statement = Statement("UPDATE")
        self.table_reference(statement)
        while self.token.word("SET", "REMOVE"):
            clause = self.next().text.upper()
            while True:
                path = self.path()
                if clause == "SET":
                    self.expect_op("=")
                    statement.actions.append(("set", path, self.term()))
                else:
                    statement.actions.append(("remove", path))
                if not self.at_op(","):
                    break
                self.next()
        if not statement.actions:
            raise malformed("Expected SET or REMOVE")
        self.expect_word("WHERE")
        statement.where = self.condition()
        statement.returning = self.returning()
        return statement

    def delete(self) -> Statement:
        self.expect_word("DELETE")
        self.expect_word("FROM")
        statement = Statement("DELETE")
        self.table_reference(statement)
        self.expect_word("WHERE")
        statement.where = self.condition()
        statement.returning = self.returning()
        return statement

    def exists(self) -> Statement:
        negated = False
        if self.token.word("NOT"):
            self.next()
            negated = True
        self.expect_word("EXISTS")
        self.expect_op("(")
        statement = self.select()
        self.expect_op(")")
        statement.kind = "EXISTS"
        statement.negated = negated
        return statement

    def returning(self) -> str | None:
        if not self.token.word("RETURNING"):
            return None
        self.next()
        which = self.expect_word("ALL", "MODIFIED").text.upper()
        when = self.expect_word("OLD", "NEW").text.upper()
        self.expect_op("*")
        return f"{which} {when}"

    # --- paths and values --------------------------------------------------------------------

    def path(self) -> tuple:
        token = self.next()
        if token.kind == "name":
            elements: list[Any] = [token.value]
        elif token.kind == "word" and token.text.upper() not in KEYWORDS:
            elements = [token.text]
        else:
            raise malformed("Expected identifier for simple path")
        while True:
            if self.at_op("."):
                self.next()
                token = self.next()
                if token.kind == "name" or token.kind == "string":
                    elements.append(token.value)
                elif token.kind == "word":
                    elements.append(token.text)
                else:
                    raise malformed("Expected identifier for simple path")
            elif self.at_op("["):
                self.next()
                token = self.next()
                if token.kind == "number" and token.text.isdigit():
                    elements.append(int(token.text))
                elif token.kind == "string":
                    elements.append(token.value)
                else:
                    raise malformed("Expected a number or a string in brackets")
                self.expect_op("]")
            else:
                return tuple(elements)

    def parameter(self) -> dict:
        if self.used_parameters >= len(self.parameters):
            raise ServiceError("ValidationException", "Number of parameters in request and statement don't match.")
        value = self.parameters[self.used_parameters]
        self.used_parameters += 1
        return check_value(value, Checked())[0]

    def value(self) -> dict:
        token = self.next()
        if token.kind == "string":
            return {"S": token.value}
        if token.kind == "number":
            return {"N": normalize_number(token.text)}
        if token.kind == "op" and token.text == "-" and self.token.kind == "number":
            return {"N": normalize_number("-" + self.next().text)}
        if token.kind == "op" and token.text == "?":
            return self.parameter()
        if token.word("TRUE", "FALSE"):
            return {"BOOL": token.text.upper() == "TRUE"}
        if token.word("NULL"):
            return {"NULL": True}
        if token.kind == "op" and token.text == "[":
            items = []
            if not self.at_op("]"):
                items.append(self.value())
                while self.at_op(","):
                    self.next()
                    items.append(self.value())
            self.expect_op("]")
            return {"L": items}
        if token.kind == "op" and token.text == "{":
            members: dict[str, dict] = {}
            if not self.at_op("}"):
                while True:
                    key = self.next()
                    if key.kind != "string":
                        raise malformed("Expected a string key in a tuple")
                    self.expect_op(":")
                    value = self.value()
                    if key.value in members:
                        raise ServiceError("ValidationException", f"Duplicate key in the tuple: {key.value}")
                    members[key.value] = value
                    if not self.at_op(","):
                        break
                    self.next()
            self.expect_op("}")
            return {"M": members}
        if token.kind == "op" and token.text == "<<":
            elements = [self.value()]
            while self.at_op(","):
                self.next()
                elements.append(self.value())
            self.expect_op(">>")
            kinds = {next(iter(e)) for e in elements}
            if kinds == {"S"}:
                return check_value({"SS": [e["S"] for e in elements]}, Checked())[0]
            if kinds == {"N"}:
                return check_value({"NS": [e["N"] for e in elements]}, Checked())[0]
            if kinds == {"B"}:
                return check_value({"BS": [e["B"] for e in elements]}, Checked())[0]
            raise ServiceError("ValidationException", "Unsupported type for a set: the elements must be of one type")
        raise malformed("Unexpected token")

    def term(self) -> tuple:
        """An UPDATE SET value: a value, a path, arithmetic, or one of DynamoDB's functions."""
        left = self.term_operand()
        if self.at_op("+", "-"):
            op = self.next().text
            right = self.term_operand()
            return (op, left, right)
        return left

    def term_operand(self) -> tuple:
        token = self.token
        if token.kind in ("word", "name") and self.tokens[self.position + 1].kind == "op" \
                and self.tokens[self.position + 1].text == "(" and token.kind == "word":
            name = self.next().text.lower()
            self.expect_op("(")
            args = [self.term()]
            while self.at_op(","):
                self.next()
                args.append(self.term())
            self.expect_op(")")
            if name == "list_append" and len(args) == 2:
                return ("list_append", args[0], args[1])
            if name == "if_not_exists" and len(args) == 2 and args[0][0] == "path":
                return ("if_not_exists", args[0][1], args[1])
            if name in ("set_add", "set_delete") and len(args) == 2 and args[0][0] == "path":
                return (name, args[0][1], args[1])
            raise ServiceError("ValidationException", f"Unsupported function in UPDATE: {name}")
        if token.kind == "name" or (token.kind == "word" and token.text.upper() not in KEYWORDS):
            return ("path", self.path())
        return ("value", self.value())

    # --- conditions ------------------------------------------------------------------------

    def condition(self) -> tuple:
        left = self.conjunction()
        while self.token.word("OR"):
            self.next()
            left = ("or", left, self.conjunction())
        return left

    def conjunction(self) -> tuple:
        left = self.negation()
        while self.token.word("AND"):
            self.next()
            left = ("and", left, self.negation())
        return left

    def negation(self) -> tuple:
        if self.token.word("NOT"):
            self.next()
            return ("not", self.negation())
        return self.predicate()

    def predicate(self) -> tuple:
        if self.at_op("("):
            self.next()
            inner = self.condition()
            self.expect_op(")")
            return inner
        token = self.token
        if token.kind == "word" and self.tokens[self.position + 1].kind == "op" \
                and self.tokens[self.position + 1].text == "(":
            name = self.next().text.lower()
            self.expect_op("(")
            args = [self.operand()]
            while self.at_op(","):
                self.next()
                args.append(self.operand())
            self.expect_op(")")
            if name == "begins_with" and len(args) == 2:
                return ("begins", args[0], args[1])
            if name == "contains" and len(args) == 2:
                return ("contains", args[0], args[1])
            if name == "attribute_type" and len(args) == 2 and args[1][0] == "value" and "S" in args[1][1]:
                return ("type", args[0], args[1][1]["S"])
            if name in ("exists", "attribute_exists") and len(args) == 1 and args[0][0] == "path":
                return ("exists", args[0][1])
            if name in ("missing", "attribute_not_exists") and len(args) == 1 and args[0][0] == "path":
                return ("not_exists", args[0][1])
            if name == "size" and len(args) == 1:
                return self.comparison(("size", args[0]))
            raise ServiceError("ValidationException", f"Unsupported function: {name}")
        return self.comparison(self.operand())

    def comparison(self, left: tuple) -> tuple:
        token = self.token
        if token.kind == "op" and token.text in ("=", "<>", "!=", "<", "<=", ">", ">="):
            self.next()
            op = "<>" if token.text == "!=" else token.text
            right = self.operand()
            for side in (left, right):
                if op in ("<", "<=", ">", ">=") and side[0] == "value" and side[1] is not None \
                        and next(iter(side[1])) not in ("S", "N", "B"):
                    kind = next(iter(side[1]))
                    raise ServiceError(
                        "ValidationException",
                        f"Incorrect operand type for operator or function; operator or function: {op}, "
                        f"operand type: {kind}",
                    )
            return ("cmp", op, left, right)
        if token.word("BETWEEN"):
            self.next()
            low = self.operand()
            self.expect_word("AND")
            return ("between", left, low, self.operand())
        if token.word("IN"):
            self.next()
            closing = "]" if self.at_op("[") else ")"
            if not self.at_op("[", "("):
                raise malformed("Expected a list after IN")
            self.next()
            options = [self.operand()]
            while self.at_op(","):
                self.next()
                options.append(self.operand())
            self.expect_op(closing)
            return ("in", left, options)
        if token.word("IS"):
            self.next()
            negated = False
            if self.token.word("NOT"):
                self.next()
                negated = True
            if self.token.word("MISSING"):
                self.next()
                if left[0] != "path":
                    raise malformed("IS MISSING needs a path")
                return ("exists", left[1]) if negated else ("not_exists", left[1])
            if self.token.word("NULL"):
                self.next()
                test = ("type", left, "NULL")
                return ("not", test) if negated else test
            raise malformed("Expected MISSING or NULL")
        raise malformed("Expected a comparison")

    def operand(self) -> tuple:
        token = self.token
        if token.kind == "name" or (token.kind == "word" and token.text.upper() not in KEYWORDS
                                    and not (self.tokens[self.position + 1].kind == "op"
                                             and self.tokens[self.position + 1].text == "(")):
            return ("path", self.path())
        if token.kind == "word" and token.text.lower() == "size":
            self.next()
            self.expect_op("(")
            inner = self.operand()
            self.expect_op(")")
            return ("size", inner)
        return ("value", self.value())


def parse(source: str, parameters: list[dict] | None = None) -> Statement:
    return Parser(source, parameters).statement()
