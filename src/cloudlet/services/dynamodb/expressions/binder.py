"""Binding a parsed expression to one request: names and values resolved, DynamoDB's checks applied.

The bound forms are plain tuples the evaluator walks::

    ("path", ("a", 2, "b"))      ("value", {"N": "1"})       ("size", operand)
    ("cmp", "<=", a, b)          ("between", a, low, high)   ("in", a, [options])
    ("and", a, b)  ("or", a, b)  ("not", a)
    ("exists", path)  ("not_exists", path)  ("type", path, "SS")
    ("begins", a, b)  ("contains", a, b)
    update terms: ("if_not_exists", path, term)  ("list_append", a, b)  ("+", a, b)  ("-", a, b)

When an expression has several problems DynamoDB reports one, by category:
redundant parentheses, then unknown functions, misused functions, reserved
words, and last undefined names and values, operand counts, repeated operands
and operand types.
"""

from __future__ import annotations

from typing import Any

from cloudlet.services.dynamodb.expressions import parser as ast
from cloudlet.services.dynamodb.expressions.errors import ExpressionError
from cloudlet.services.dynamodb.expressions.reserved import is_reserved
from cloudlet.services.dynamodb.values import ALL_TYPES, compare, render

CONDITION_FUNCTIONS = {
    "attribute_exists": 1, "attribute_not_exists": 1, "attribute_type": 2,
    "begins_with": 2, "contains": 2, "size": 1,
}
UPDATE_FUNCTIONS = {"if_not_exists": 2, "list_append": 2}
_ORDER = ("parens", "unknown", "misused", "reserved", "undefined", "operands", "distinct", "types")
_TYPE_NAMES = {
    "S": "STRING", "N": "NUMBER", "B": "BINARY", "BOOL": "BOOLEAN", "NULL": "NULL", "M": "MAP", "L": "LIST",
    "SS": "STRING_SET", "NS": "NUMBER_SET", "BS": "BINARY_SET",
}


def render_path(elements: tuple) -> str:
    return "[" + ", ".join(f"[{e}]" if isinstance(e, int) else e for e in elements) + "]"


class Problems:
    """The first problem of each category; the most important one is raised."""

    def __init__(self) -> None:
        self.found: dict[str, str] = {}

    def add(self, category: str, message: str) -> None:
        self.found.setdefault(category, message)

    def raise_first(self) -> None:
        for category in _ORDER:
            if category in self.found:
                raise ExpressionError(self.found[category])


class Binder:
    """Resolves references against one request's names and values, remembering which were used."""

    def __init__(self, names: dict[str, str] | None, values: dict[str, dict] | None) -> None:
        self.names = names or {}
        self.values = values or {}
        self.used_names: set[str] = set()
        self.used_values: set[str] = set()

    # --- shared pieces ----------------------------------------------------------------

    def path(self, node: ast.Path, problems: Problems) -> tuple:
        out: list[Any] = []
        for element in node.elements:
            if isinstance(element, int):
                out.append(element)
                continue
            kind, text = element
            if kind == "name":
                if is_reserved(text):
                    problems.add("reserved", f"Attribute name is a reserved keyword; reserved keyword: {text}")
                out.append(text)
            else:
                name = self.names.get(text)
                if name is None:
                    problems.add(
                        "undefined",
                        f"An expression attribute name used in the document path is not defined; attribute name: {text}",
                    )
                    name = text
                else:
                    self.used_names.add(text)
                out.append(name)
        return tuple(out)

    def value(self, node: ast.Value, problems: Problems) -> dict | None:
        value = self.values.get(node.ref)
        if value is None:
            problems.add(
                "undefined", f"An expression attribute value used in expression is not defined; attribute value: {node.ref}"
            )
            return None
        self.used_values.add(node.ref)
        return value

    def check_parens(self, node: ast.Node, problems: Problems) -> None:
        if node.parens > 1:
            problems.add("parens", "The expression has redundant parentheses;")

    # --- conditions -----------------------------------------------------------------------

    def condition(self, node: ast.Node) -> tuple:
        problems = Problems()
        bound = self._condition(node, problems)
        problems.raise_first()
        return bound

    def _condition(self, node: ast.Node, problems: Problems) -> tuple:
        self.check_parens(node, problems)
        if isinstance(node, ast.Logical):
            left = self._condition(node.left, problems)
            if node.op == "NOT":
                return ("not", left)
            return (node.op.lower(), left, self._condition(node.right, problems))  # type: ignore[arg-type]
        if isinstance(node, ast.Compare):
            a, b = self._operand(node.left, problems), self._operand(node.right, problems)
            self._distinct(node.op, a, b, problems)
            return ("cmp", node.op, a, b)
        if isinstance(node, ast.Between):
            a = self._operand(node.subject, problems)
            low, high = self._operand(node.low, problems), self._operand(node.high, problems)
            if low[0] == "value" and high[0] == "value" and low[1] is not None and high[1] is not None:
                lo, hi = low[1], high[1]
                if next(iter(lo)) != next(iter(hi)):
                    problems.add("types", "The BETWEEN operator requires same data type for lower and upper bounds; "
                                 f"lower bound operand: AttributeValue: {render(lo)}, "
                                 f"upper bound operand: AttributeValue: {render(hi)}")
                elif (compare(lo, hi) or 0) > 0:
                    problems.add("types", "The BETWEEN operator requires upper bound to be greater than or equal to "
                                 f"lower bound; lower bound operand: AttributeValue: {render(lo)}, "
                                 f"upper bound operand: AttributeValue: {render(hi)}")
            return ("between", a, low, high)
        if isinstance(node, ast.In):
            return ("in", self._operand(node.subject, problems), [self._operand(o, problems) for o in node.options])
        if isinstance(node, ast.Call):
            if node.name == "size":
                problems.add("misused", "The function is not allowed to be used this way in an expression; function: size")
            return self._function(node, problems)
        raise ExpressionError("Syntax error; token: \"<EOF>\", near: \"\"")  # not reachable from the parser

    def _operand(self, node: ast.Node, problems: Problems) -> tuple:
        self.check_parens(node, problems)
        if isinstance(node, ast.Path):
            return ("path", self.path(node, problems))
        if isinstance(node, ast.Value):
            return ("value", self.value(node, problems))
        if isinstance(node, ast.Call):
            if node.name != "size" and node.name in CONDITION_FUNCTIONS:
                problems.add(
                    "misused", f"The function is not allowed to be used this way in an expression; function: {node.name}"
                )
            return self._function(node, problems)
        # an arithmetic term or a condition where an operand belongs: a syntax error in DynamoDB's parser
        raise ExpressionError("Syntax error; token: \"(\", near: \"(\"")

    def _function(self, node: ast.Call, problems: Problems) -> tuple:
        name = node.name
        arity = CONDITION_FUNCTIONS.get(name)
        if arity is None:
            if name in UPDATE_FUNCTIONS:
                problems.add("unknown", f"The function is not allowed in a condition expression; function: {name}")
            else:
                problems.add("unknown", f"Invalid function name; function: {name}")
            return ("value", None)
        args = [self._operand(arg, problems) for arg in node.args]
        if len(args) != arity:
            problems.add("operands", "Incorrect number of operands for operator or function; "
                         f"operator or function: {name}, number of operands: {len(args)}")
            return ("value", None)
        if arity == 2:
            self._distinct(name, args[0], args[1], problems)
        if name in ("attribute_exists", "attribute_not_exists"):
            if args[0][0] != "path":
                problems.add("types", f"Operator or function requires a document path; operator or function: {name}")
                return ("value", None)
            return ("exists" if name == "attribute_exists" else "not_exists", args[0][1])
        if name == "attribute_type":
            kind = _static_type(args[1])
            if kind != "S":
                shown = kind or "{NS,SS,L,BS,N,M,B,BOOL,NULL,S}"
                problems.add("types", "Incorrect operand type for operator or function; "
                             f"operator or function: {name}, operand type: {shown}")
                return ("value", None)
            type_name = args[1][1]["S"]
            if type_name not in ALL_TYPES:
                problems.add("types", f"Invalid attribute type name found; type: {type_name}, "
                             "valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}")
            return ("type", args[0], type_name)
        if name == "begins_with":
            for arg in args:
                kind = _static_type(arg)
                if kind is not None and kind not in ("S", "B"):
                    problems.add("types", "Incorrect operand type for operator or function; "
                                 f"operator or function: {name}, operand type: {kind}")
            return ("begins", args[0], args[1])
        if name == "contains":
            return ("contains", args[0], args[1])
        kind = _static_type(args[0])  # size
        if kind in ("N", "BOOL", "NULL"):
            problems.add("types", "Incorrect operand type for operator or function; "
                         f"operator or function: {name}, operand type: {kind}")
        return ("size", args[0])

    def _distinct(self, operator: str, a: tuple, b: tuple, problems: Problems) -> None:
        if a[0] == "path" and b[0] == "path" and a[1] == b[1]:
            problems.add("distinct", "The first operand must be distinct from the remaining operands for this operator "
                         f"or function; operator: {operator}, first operand: {render_path(a[1])}")

    # --- updates --------------------------------------------------------------------------

    def update(self, node: ast.Update) -> list[tuple]:
        problems = Problems()
        seen_clauses: set[str] = set()
        for clause in node.clauses:
            if clause in seen_clauses:
                raise ExpressionError(f'The "{clause}" section can only be used once in an update expression;')
            seen_clauses.add(clause)
        bound: list[tuple] = []
        for action in node.actions:
            path = self.path(action.path, problems)
            if action.clause == "SET":
                bound.append(("set", path, self._term(action.value, problems)))  # type: ignore[arg-type]
            elif action.clause == "REMOVE":
                bound.append(("remove", path))
            else:
                value = self.value(action.value, problems)  # type: ignore[arg-type]
                if value is not None:
                    kind = next(iter(value))
                    allowed = ("N", "SS", "NS", "BS") if action.clause == "ADD" else ("SS", "NS", "BS")
                    if kind not in allowed:
                        problems.add("types", "Incorrect operand type for operator or function; "
                                     f"operator: {action.clause}, operand type: {_TYPE_NAMES[kind]}, "
                                     f"typeSet: ALLOWED_FOR_{action.clause}_OPERAND")
                bound.append((action.clause.lower(), path, value))
        problems.raise_first()
        check_overlaps([action[1] for action in bound])
        return bound

    def _term(self, node: ast.Node, problems: Problems) -> tuple:
        if node.parens > 1:
            problems.add("parens", "The expression has redundant parentheses;")
        if isinstance(node, ast.Path):
            return ("path", self.path(node, problems))
        if isinstance(node, ast.Value):
            return ("value", self.value(node, problems))
        if isinstance(node, ast.Arithmetic):
            a, b = self._term(node.left, problems), self._term(node.right, problems)
            for operand in (a, b):
                kind = _static_type(operand)
                if kind is not None and kind != "N":
                    problems.add("types", "Incorrect operand type for operator or function; "
                                 f"operator or function: {node.op}, operand type: {kind}")
            return (node.op, a, b)
        if isinstance(node, ast.Call):
            name = node.name
            arity = UPDATE_FUNCTIONS.get(name)
            if arity is None:
                if name in CONDITION_FUNCTIONS:
                    problems.add("unknown", f"The function is not allowed in an update expression; function: {name}")
                else:
                    problems.add("unknown", f"Invalid function name; function: {name}")
                return ("value", None)
            args = [self._term(arg, problems) for arg in node.args]
            if len(args) != arity:
                problems.add("operands", "Incorrect number of operands for operator or function; "
                             f"operator or function: {name}, number of operands: {len(args)}")
                return ("value", None)
            if name == "if_not_exists":
                if args[0][0] != "path":
                    problems.add("types", "Operator or function requires a document path; "
                                 "operator or function: if_not_exists")
                    return ("value", None)
                return ("if_not_exists", args[0][1], args[1])
            for arg in args:
                kind = _static_type(arg)
                if kind is not None and kind != "L":
                    problems.add("types", "Incorrect operand type for operator or function; "
                                 f"operator or function: list_append, operand type: {kind}")
            return ("list_append", args[0], args[1])
        raise ExpressionError('Syntax error; token: "(", near: "("')

    # --- projections ------------------------------------------------------------------------

    def projection(self, paths: list[ast.Path]) -> list[tuple]:
        problems = Problems()
        bound = [self.path(path, problems) for path in paths]
        problems.raise_first()
        check_overlaps(bound)
        return bound


def _static_type(operand: tuple) -> str | None:
    """The type an operand has before any item is seen (values and size()), else None."""
    if operand[0] == "value":
        value = operand[1]
        return next(iter(value)) if value else None
    if operand[0] == "size":
        return "N"
    return None


def check_overlaps(paths: list[tuple]) -> None:
    """Two paths that overlap (one contains the other) or conflict (map vs list at one level)."""
    for i, one in enumerate(paths):
        for two in paths[i + 1:]:
            shared = min(len(one), len(two))
            for position in range(shared):
                x, y = one[position], two[position]
                if x == y and type(x) is type(y):
                    continue
                if isinstance(x, int) != isinstance(y, int):
                    raise ExpressionError(
                        "Two document paths conflict with each other; must remove or rewrite one of these paths; "
                        f"path one: {render_path(one)}, path two: {render_path(two)}"
                    )
                break
            else:
                raise ExpressionError(
                    "Two document paths overlap with each other; must remove or rewrite one of these paths; "
                    f"path one: {render_path(one)}, path two: {render_path(two)}"
                )
