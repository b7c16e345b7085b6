"""Recursive-descent parsers for the three expression grammars, over the one tokenizer.

The trees keep ``#name`` and ``:value`` references unresolved: a parsed expression
depends only on its text, so it is cached by text and bound to each request's
ExpressionAttributeNames and ExpressionAttributeValues afterwards (binder.py).

Condition grammar (also filters and key conditions), loosest first::

    condition  := and ( OR and )*
    and        := not ( AND not )*
    not        := NOT not | predicate
    predicate  := '(' condition ')' | operand comparator operand
                | operand BETWEEN operand AND operand | operand IN '(' operand, ... ')'
                | function '(' operand, ... ')'
    operand    := path | :value | function '(' operand, ... ')' | '(' operand ')'

Update grammar::

    update     := ( SET set, ... | REMOVE path, ... | ADD path :value, ... | DELETE path :value, ... )+
    set        := path '=' term ( ('+' | '-') term )?
    term       := path | :value | function '(' term, ... ')' | '(' term ( ('+'|'-') term )? ')'

Projection grammar: ``path ( ',' path )*``.
"""

from __future__ import annotations

from cloudlet.services.dynamodb.expressions.errors import ExpressionError
from cloudlet.services.dynamodb.expressions.lexer import (
    ALIAS,
    EOF,
    NAME,
    NUMBER,
    OP,
    VALUE,
    Token,
    syntax_error,
    tokenize,
)

COMPARATORS = frozenset(("=", "<>", "<", "<=", ">", ">="))
KEYWORDS = frozenset(("AND", "OR", "NOT", "BETWEEN", "IN"))
UPDATE_CLAUSES = ("SET", "REMOVE", "ADD", "DELETE")


# --- trees ---------------------------------------------------------------------------


class Node:
    __slots__ = ("parens",)

    def __init__(self) -> None:
        self.parens = 0  # how many parentheses wrap this node directly


class Path(Node):
    """A document path; elements are ("name", text), ("alias", "#x") or an int list index."""

    __slots__ = ("elements",)

    def __init__(self, elements: list) -> None:
        super().__init__()
        self.elements = elements


class Value(Node):
    __slots__ = ("ref",)

    def __init__(self, ref: str) -> None:
        super().__init__()
        self.ref = ref


class Call(Node):
    __slots__ = ("name", "args")

    def __init__(self, name: str, args: list[Node]) -> None:
        super().__init__()
        self.name = name
        self.args = args


class Compare(Node):
    __slots__ = ("op", "left", "right")

    def __init__(self, op: str, left: Node, right: Node) -> None:
        super().__init__()
        self.op = op
        self.left = left
        self.right = right


class Between(Node):
    __slots__ = ("subject", "low", "high")

    def __init__(self, subject: Node, low: Node, high: Node) -> None:
        super().__init__()
        self.subject = subject
        self.low = low
        self.high = high


class In(Node):
    __slots__ = ("subject", "options")

    def __init__(self, subject: Node, options: list[Node]) -> None:
        super().__init__()
        self.subject = subject
        self.options = options


class Logical(Node):
    """AND / OR of two conditions, or NOT of one (``right`` is None)."""

    __slots__ = ("op", "left", "right")

    def __init__(self, op: str, left: Node, right: Node | None = None) -> None:
        super().__init__()
        self.op = op
        self.left = left
        self.right = right


class Arithmetic(Node):
    __slots__ = ("op", "left", "right")

    def __init__(self, op: str, left: Node, right: Node) -> None:
        super().__init__()
        self.op = op
        self.left = left
        self.right = right


class Action:
    """One action of an update: ("SET", path, value) / ("REMOVE", path, None) / ("ADD"|"DELETE", path, Value)."""

    __slots__ = ("clause", "path", "value")

    def __init__(self, clause: str, path: Path, value: Node | None) -> None:
        self.clause = clause
        self.path = path
        self.value = value


class Update:
    __slots__ = ("actions", "clauses")

    def __init__(self, actions: list[Action], clauses: list[str]) -> None:
        self.actions = actions
        self.clauses = clauses  # the clause keywords in the order they appear


# --- the parser ------------------------------------------------------------------------


class _Failure(Exception):
    def __init__(self, token: Token) -> None:
        self.token = token


class Parser:
    def __init__(self, source: str) -> None:
        self.source = source
        self.tokens = tokenize(source)
        self.position = 0
        self.furthest: Token | None = None

    # token helpers
    @property
    def token(self) -> Token:
        return self.tokens[self.position]

    def fail(self, token: Token | None = None) -> _Failure:
        token = token or self.token
        if self.furthest is None or token.index > self.furthest.index:
            self.furthest = token
        return _Failure(token)

    def next(self) -> Token:
        token = self.tokens[self.position]
        if token.kind != EOF:
            self.position += 1
        return token

    def at_op(self, text: str) -> bool:
        token = self.token
        return token.kind == OP and token.text == text

    def expect_op(self, text: str) -> Token:
        if not self.at_op(text):
            raise self.fail()
        return self.next()

    def at_keyword(self, word: str) -> bool:
        return self.token.is_keyword(word)

    def error(self, failure: _Failure) -> ExpressionError:
        token = self.furthest if self.furthest is not None else failure.token
        return syntax_error(self.source, self.tokens, token)

    def finish(self) -> None:
        if self.token.kind != EOF:
            raise self.fail()

    # paths
    def path(self) -> Path:
        elements: list = [self.path_element()]
        while True:
            if self.at_op("."):
                self.next()
                elements.append(self.path_element())
            elif self.at_op("["):
                self.next()
                token = self.token
                if token.kind != NUMBER:
                    raise self.fail()
                self.next()
                self.expect_op("]")
                elements.append(int(token.text))
            else:
                return Path(elements)

    def path_element(self) -> tuple[str, str]:
        token = self.token
        if token.kind == NAME and token.text.upper() not in KEYWORDS:
            self.next()
            return ("name", token.text)
        if token.kind == ALIAS:
            self.next()
            return ("alias", token.text)
        raise self.fail()

    # operands
    def operand(self, update: bool = False) -> Node:
        token = self.token
        if token.kind == OP and token.text == "(":
            self.next()
            inner = self.set_value() if update else self.operand()
            self.expect_op(")")
            inner.parens += 1
            return inner
        if token.kind == VALUE:
            self.next()
            return Value(token.text)
        if token.kind == NAME and self.tokens[token.index + 1].kind == OP and self.tokens[token.index + 1].text == "(":
            if token.text.upper() in KEYWORDS:
                raise self.fail()
            self.next()
            self.next()
            args = [self.operand(update)]
            while self.at_op(","):
                self.next()
                args.append(self.operand(update))
            self.expect_op(")")
            return Call(token.text, args)
        if token.kind in (NAME, ALIAS):
            return self.path()
        raise self.fail()

    # conditions
    def condition(self) -> Node:
        left = self.conjunction()
        while self.at_keyword("OR"):
            self.next()
            left = Logical("OR", left, self.conjunction())
        return left

    def conjunction(self) -> Node:
        left = self.negation()
        while self.at_keyword("AND"):
            self.next()
            left = Logical("AND", left, self.negation())
        return left

    def negation(self) -> Node:
        if self.at_keyword("NOT"):
            self.next()
            return Logical("NOT", self.negation())
        return self.predicate()

    def predicate(self) -> Node:
        if self.at_op("("):
            start = self.position
            try:
                self.next()
                inner = self.condition()
                self.expect_op(")")
                if not self._continues_operand():
                    inner.parens += 1
                    return inner
            except _Failure:
                pass
            self.position = start  # it was a parenthesized operand: "(a) = :v"
        left = self.operand()
        token = self.token
        if token.kind == OP and token.text in COMPARATORS:
            self.next()
            return Compare(token.text, left, self.operand())
        if token.is_keyword("BETWEEN"):
            self.next()
            low = self.operand()
            if not self.at_keyword("AND"):
                raise self.fail()
            self.next()
            return Between(left, low, self.operand())
        if token.is_keyword("IN"):
            self.next()
            self.expect_op("(")
            options = [self.operand()]
            while self.at_op(","):
                self.next()
                options.append(self.operand())
            self.expect_op(")")
            return In(left, options)
        if isinstance(left, Call):
            return left
        raise self.fail()

    def _continues_operand(self) -> bool:
        token = self.token
        return (token.kind == OP and token.text in COMPARATORS) or token.is_keyword("BETWEEN") or token.is_keyword("IN")

    # updates
    def update(self) -> Update:
        actions: list[Action] = []
        clauses: list[str] = []
        while True:
            token = self.token
            clause = token.text.upper() if token.kind == NAME else ""
            if clause not in UPDATE_CLAUSES:
                raise self.fail()
            clauses.append(clause)
            self.next()
            while True:
                path = self.path()
                if clause == "SET":
                    self.expect_op("=")
                    actions.append(Action(clause, path, self.set_value()))
                elif clause == "REMOVE":
                    actions.append(Action(clause, path, None))
                else:
                    value = self.token
                    if value.kind != VALUE:
                        raise self.fail()
                    self.next()
                    actions.append(Action(clause, path, Value(value.text)))
                if not self.at_op(","):
                    break
                self.next()
            if self.token.kind == EOF:
                return Update(actions, clauses)

    def set_value(self) -> Node:
        left = self.operand(update=True)
        token = self.token
        if token.kind == OP and token.text in ("+", "-"):
            self.next()
            return Arithmetic(token.text, left, self.operand(update=True))
        return left

    # projections
    def projection(self) -> list[Path]:
        paths = [self.path()]
        while self.at_op(","):
            self.next()
            paths.append(self.path())
        return paths


def _parse(source: str, rule: str) -> object:
    parser = Parser(source)
    try:
        result = getattr(parser, rule)()
        parser.finish()
        return result
    except _Failure as failure:
        raise parser.error(failure)
    except RecursionError:
        raise _too_deep(parser.tokens) from None


def _too_deep(tokens: list[Token]) -> ExpressionError:
    """What DynamoDB says of an expression nested deeper than this recursive parser goes.

    Within 4 KB, only a run of NOTs or of parentheses gets that deep: the first has more than
    MAX_OPERATORS operators, the second redundant parentheses. Counted from the tokens, so a
    BETWEEN's AND counts too: near enough for the one message it picks."""
    operators = 0
    for token, after in zip(tokens, tokens[1:], strict=False):
        if token.kind == OP:
            operators += token.text in COMPARATORS or token.text in "+-"
        elif token.kind == NAME:
            operators += token.text.upper() in KEYWORDS or (after.kind == OP and after.text == "(")
    if operators > MAX_OPERATORS:
        return ExpressionError(f"The expression contains too many operators; operator count: {operators}")
    return ExpressionError("The expression has redundant parentheses;")


MAX_OPERATORS = 300  # operators and functions in any one expression
MAX_IN_OPERANDS = 100


def check_limits(roots: list[Node | None]) -> None:
    """DynamoDB's limits on operators and functions, and on the operands of one IN."""
    count = 0
    stack = [node for node in roots if node is not None]
    while stack:
        node = stack.pop()
        if isinstance(node, Path | Value):
            continue
        count += 1
        if isinstance(node, In):
            if len(node.options) > MAX_IN_OPERANDS:
                raise ExpressionError(
                    f"The IN operator is provided with too many operands; number of operands: {len(node.options)}")
            stack.append(node.subject)
            stack.extend(node.options)
        elif isinstance(node, Between):
            stack += (node.subject, node.low, node.high)
        elif isinstance(node, Call):
            stack.extend(node.args)
        elif node.right is not None:  # Compare, Logical, Arithmetic
            stack += (node.left, node.right)
        else:  # NOT
            stack.append(node.left)
    if count > MAX_OPERATORS:
        raise ExpressionError(f"The expression contains too many operators; operator count: {count}")


def parse_condition(source: str) -> Node:
    if not source.strip():
        raise ExpressionError("The expression can not be empty;")
    node = _parse(source, "condition")
    check_limits([node])  # type: ignore[list-item]
    return node  # type: ignore[return-value]


def parse_update(source: str) -> Update:
    if not source.strip():
        raise ExpressionError("The expression can not be empty;")
    update = _parse(source, "update")
    check_limits([action.value for action in update.actions])  # type: ignore[attr-defined]
    return update  # type: ignore[return-value]


def parse_projection(source: str) -> list[Path]:
    if not source.strip():
        raise ExpressionError("The expression can not be empty;")
    return _parse(source, "projection")  # type: ignore[return-value]
