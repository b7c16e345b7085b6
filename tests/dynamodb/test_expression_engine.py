"""The expression engine directly: tokenizer, parser, binder and evaluator, plus property tests.

The server tests (test_items.py, test_queries.py...) check the same messages through
boto3; here the engine is exercised without HTTP, and hypothesis checks that
generated expressions, items and garbage never crash it.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cloudlet.protocol.errors import ServiceError
from cloudlet.services.dynamodb import keys
from cloudlet.services.dynamodb.expressions import RequestExpressions, apply_update, evaluate, project
from cloudlet.services.dynamodb.expressions.errors import EvaluationError, ExpressionError
from cloudlet.services.dynamodb.expressions.lexer import tokenize
from cloudlet.services.dynamodb.expressions.parser import parse_condition, parse_projection, parse_update
from cloudlet.services.dynamodb.values import normalize_number, number_size

ITEM = {
    "pk": {"S": "a"}, "n": {"N": "5"}, "s": {"S": "hello"}, "b": {"B": b"\x01\x02"},
    "l": {"L": [{"S": "x"}, {"N": "2"}]}, "m": {"M": {"k": {"S": "v"}, "deep": {"M": {"z": {"N": "1"}}}}},
    "ss": {"SS": ["a", "b"]}, "ns": {"NS": ["1", "2"]}, "t": {"BOOL": True}, "z": {"NULL": True},
}


def condition(text: str, names: dict | None = None, values: dict | None = None) -> tuple:
    exprs = RequestExpressions(names, values)
    bound = exprs.condition(text, "ConditionExpression")
    exprs.finish()
    return bound


def message(text: str, names: dict | None = None, values: dict | None = None) -> str:
    with pytest.raises(ServiceError) as excinfo:
        condition(text, names, values)
    return excinfo.value.message


def test_tokens() -> None:
    kinds = [(t.kind, t.text) for t in tokenize("a.#b[3] <= :v AND size(c)<>:w")]
    assert kinds == [
        ("name", "a"), ("op", "."), ("alias", "#b"), ("op", "["), ("number", "3"), ("op", "]"), ("op", "<="),
        ("value", ":v"), ("name", "AND"), ("name", "size"), ("op", "("), ("name", "c"), ("op", ")"), ("op", "<>"),
        ("value", ":w"), ("eof", "<EOF>"),
    ]


@pytest.mark.parametrize(("text", "expected"), [
    ("n = :five", True), ("n <> :five", False), ("n < :six", True), ("n >= :six", False),
    ("n BETWEEN :five AND :six", True), ("n IN (:six, :five)", True), ("s = :five", False),
    ("attribute_exists(m.deep.z)", True), ("attribute_not_exists(m.nope)", True),
    ("attribute_type(ss, :ss)", True), ("begins_with(s, :he)", True), ("contains(s, :ell)", True),
    ("contains(ss, :a)", True), ("contains(ns, :one)", True), ("contains(l, :x)", True),
    ("size(s) = :five", True), ("size(l) < :five", True), ("size(m) = :two", True), ("size(absent) = :two", False),
    ("NOT n = :five OR s = :he", False), ("n = :five AND (s = :he OR s = :hello)", True),
    ("NOT (n = :five AND s = :he)", True), ("l[1] = :two AND m.k = :v", True), ("nothing <> :five", True),
    ("nothing = :five", False), ("n < :text", False),
])
def test_evaluation(text: str, expected: bool) -> None:
    values = {":five": {"N": "5.0"}, ":six": {"N": "6"}, ":ss": {"S": "SS"}, ":he": {"S": "he"}, ":ell": {"S": "ell"},
              ":a": {"S": "a"}, ":one": {"N": "1"}, ":x": {"S": "x"}, ":two": {"N": "2"}, ":hello": {"S": "hello"},
              ":v": {"S": "v"}, ":text": {"S": "5"}}
    used = {k: v for k, v in values.items() if k in text} or None
    assert evaluate(condition(text, None, used), ITEM) is expected


def test_precedence_not_and_or() -> None:
    values = {":t": {"BOOL": True}, ":f": {"BOOL": False}}
    # OR binds loosest: false AND false OR true == (false AND false) OR true
    assert evaluate(condition("t = :f AND t = :f OR t = :t", None, values), ITEM) is True
    # NOT binds tighter than AND: (NOT true) AND true
    assert evaluate(condition("NOT t = :t AND t = :t", None, {":t": values[":t"]}), ITEM) is False


@pytest.mark.parametrize(("text", "expected"), [
    ("a = ", 'Syntax error; token: "<EOF>", near: "="'),
    ("a-b", 'Syntax error; token: "-", near: "a-b"'),
    ("a = :v AND", 'Syntax error; token: "<EOF>", near: "AND"'),
    ("tenantAgent:abc123-", 'Syntax error; token: ":abc123", near: "tenantAgent:abc123-"'),
    ("()", 'Syntax error; token: ")", near: "()"'),
    ("a = 5", 'Syntax error; token: "5", near: "= 5"'),
    ("((a = :v))", "The expression has redundant parentheses;"),
    ("foo(a)", "Invalid function name; function: foo"),
    ("size(a)", "The function is not allowed to be used this way in an expression; function: size"),
    ("attribute_exists(a) = :v", "The function is not allowed to be used this way in an expression; "
                                 "function: attribute_exists"),
    ("name = :v", "Attribute name is a reserved keyword; reserved keyword: name"),
    ("#x = :v", "An expression attribute name used in the document path is not defined; attribute name: #x"),
    ("a = :x", "An expression attribute value used in expression is not defined; attribute value: :x"),
    ("begins_with(a)", "Incorrect number of operands for operator or function; operator or function: begins_with, "
                       "number of operands: 1"),
    ("a = a", "The first operand must be distinct from the remaining operands for this operator or function; "
              "operator: =, first operand: [a]"),
    ("attribute_not_exists(:v)", "Operator or function requires a document path; operator or function: "
                                 "attribute_not_exists"),
    ("begins_with(a, :n)", "Incorrect operand type for operator or function; operator or function: begins_with, "
                           "operand type: N"),
    ("size(:n) = :n", "Incorrect operand type for operator or function; operator or function: size, operand type: N"),
    ("attribute_type(a, :bad)", "Invalid attribute type name found; type: XX, valid types: "
                                "{B,NULL,SS,BOOL,L,BS,N,NS,S,M}"),
    ("a BETWEEN :n AND :v", "The BETWEEN operator requires same data type for lower and upper bounds; lower bound "
                            "operand: AttributeValue: {N:1}, upper bound operand: AttributeValue: {S:x}"),
    ("a BETWEEN :n AND :zero", "The BETWEEN operator requires upper bound to be greater than or equal to lower bound; "
                               "lower bound operand: AttributeValue: {N:1}, upper bound operand: AttributeValue: {N:0}"),
    ("if_not_exists(a, :v)", "The function is not allowed in a condition expression; function: if_not_exists"),
])
def test_condition_errors(text: str, expected: str) -> None:
    values = {":v": {"S": "x"}, ":n": {"N": "1"}, ":bad": {"S": "XX"}, ":zero": {"N": "0"}}
    used = {k: v for k, v in values.items() if k in text} or None
    assert message(text, None, used) == f"Invalid ConditionExpression: {expected}"


def test_redundant_parentheses_in_key_conditions() -> None:
    exprs = RequestExpressions(None, {":p": {"S": "a"}})
    assert exprs.condition("(pk = :p)", "KeyConditionExpression") is not None
    with pytest.raises(ServiceError, match="Invalid KeyConditionExpression: The expression has redundant parentheses;$"):
        exprs.condition("((pk = :p))", "KeyConditionExpression")


def test_size_of_a_string_counts_utf16_code_units() -> None:
    item = {"s": {"S": "é𝄞"}}  # one code unit and a surrogate pair; 6 bytes in UTF-8
    assert evaluate(condition("size(s) = :n", None, {":n": {"N": "3"}}), item)


def test_operator_and_in_operand_limits() -> None:
    """Functions and arithmetic count as operators; a recursion too deep for the parser is still an answer."""
    with pytest.raises(ExpressionError, match="too many operators; operator count: 301$"):
        parse_update("SET " + ", ".join(f"a{i} = list_append(a{i}, :v)" for i in range(300)) + ", z = :v + :v")
    parse_update("SET " + ", ".join(f"a{i} = list_append(a{i}, :v)" for i in range(300)))
    with pytest.raises(ExpressionError, match="operator count: 2000$"):
        parse_condition("size(" * 1999 + "a" + ")" * 1999 + " = :v")
    with pytest.raises(ExpressionError, match="number of operands: 101$"):
        parse_condition("a IN (" + ", ".join([":v"] * 101) + ")")
    with pytest.raises(ExpressionError, match="redundant parentheses;$"):
        parse_condition("(" * 1000 + "a = :v" + ")" * 1000)


def test_error_priority_parentheses_first_then_functions_then_reserved() -> None:
    assert message("((size(a))) AND name = :x").endswith("The expression has redundant parentheses;")
    assert message("foo(a) AND name = :x").endswith("Invalid function name; function: foo")
    assert message("name = :x").endswith("reserved keyword: name")


def test_update_application() -> None:
    exprs = RequestExpressions({"#t": "t"}, {":one": {"N": "1"}, ":l": {"L": [{"S": "y"}]}, ":rm": {"SS": ["a"]}})
    actions = exprs.update("SET n = n + :one, l = list_append(l, :l), m.k = if_not_exists(m.nope, :one) "
                           "REMOVE #t ADD fresh :one DELETE ss :rm")
    exprs.finish()
    new = apply_update(ITEM, actions)
    assert new["n"] == {"N": "6"} and new["l"]["L"][-1] == {"S": "y"} and new["m"]["M"]["k"] == {"N": "1"}
    assert "t" not in new and new["fresh"] == {"N": "1"} and new["ss"] == {"SS": ["b"]}
    assert ITEM["n"] == {"N": "5"} and "t" in ITEM and ITEM["m"]["M"]["k"] == {"S": "v"}  # the original is untouched
    wrong = RequestExpressions(None, {":rm": {"SS": ["a"]}})
    with pytest.raises(EvaluationError) as excinfo:
        apply_update(ITEM, wrong.update("DELETE ns :rm"))
    assert excinfo.value.message == "An operand in the update expression has an incorrect data type"


def test_projection() -> None:
    exprs = RequestExpressions(None, None)
    paths = exprs.projection("m.deep.z, l[1], s, absent")
    assert project(ITEM, paths) == {"m": {"M": {"deep": {"M": {"z": {"N": "1"}}}}}, "l": {"L": [{"N": "2"}]},
                                    "s": {"S": "hello"}}


# --- keys and numbers --------------------------------------------------------------------


def test_number_sizes_match_dynamodb() -> None:
    # Measured against DynamoDB at the 400 KB gate (literal, bytes).
    measured = [("0", 1), ("1", 2), ("12", 2), ("123", 3), ("1234", 3), ("1" * 38, 20), ("0042", 2), ("100", 2),
                ("1010", 3), ("0.0000001", 2), ("1E125", 2), ("1E-100", 2), ("1.5", 3), ("15", 2), ("1.200", 3),
                ("1.234", 4), ("3.14159", 5), ("123456", 4), ("100.5", 4), ("0.15", 2), ("-42", 3), ("-0", 1)]
    for literal, size in measured:
        assert number_size(normalize_number(literal)) == size, literal


numbers = st.decimals(min_value=Decimal("-1E20"), max_value=Decimal("1E20"), allow_nan=False, allow_infinity=False,
                      places=10)


@given(st.lists(numbers, min_size=2, max_size=20))
def test_number_keys_sort_numerically(values: list[Decimal]) -> None:
    texts = [normalize_number(str(v)) for v in values]
    by_key = sorted(texts, key=lambda t: keys.encode("N", t))
    assert [Decimal(t) for t in by_key] == sorted(Decimal(t) for t in texts)


@given(st.lists(st.text(max_size=8), min_size=2, max_size=20))
def test_string_keys_sort_bytewise_and_are_prefix_free(values: list[str]) -> None:
    encoded = sorted(values, key=lambda t: keys.encode("S", t))
    assert [v.encode() for v in encoded] == sorted(v.encode() for v in values)
    for a in values:
        for b in values:
            if a != b:
                assert not keys.encode("S", b).startswith(keys.encode("S", a))


@given(st.lists(st.binary(max_size=6), min_size=1, max_size=10), st.binary(max_size=3))
def test_begins_with_is_a_key_range(values: list[bytes], prefix: bytes) -> None:
    partition = b"table+partition"  # a sort key range always sits inside a partition's prefix
    start = partition + keys.prefix_of("B", prefix)
    end = keys.successor(start)
    inside = {v for v in values if start <= partition + keys.encode("B", v) < end}
    assert inside == {v for v in values if v.startswith(prefix)}


# --- property tests: generated expressions never crash the engine -----------------------

names = st.sampled_from(["a", "b", "n", "s", "l", "m", "#x", "#y"])
values = st.sampled_from([":s", ":n", ":l", ":b"])
VALUES = {":s": {"S": "x"}, ":n": {"N": "3"}, ":l": {"L": [{"N": "3"}]}, ":b": {"B": b"\x01"}}
NAMES = {"#x": "a", "#y": "weird name"}


@st.composite
def paths(draw: st.DrawFn) -> str:
    text = draw(names)
    for _ in range(draw(st.integers(0, 2))):
        text += draw(st.sampled_from([".k", "[0]", "[3]", ".#x"]))
    return text


@st.composite
def operands(draw: st.DrawFn) -> str:
    return draw(st.one_of(paths(), values, paths().map(lambda p: f"size({p})")))


@st.composite
def conditions(draw: st.DrawFn, depth: int = 0) -> str:
    choice = draw(st.integers(0, 7 if depth < 3 else 4))
    if choice == 0:
        return f"{draw(operands())} {draw(st.sampled_from(['=', '<>', '<', '<=', '>', '>=']))} {draw(operands())}"
    if choice == 1:
        return f"{draw(operands())} BETWEEN {draw(values)} AND {draw(values)}"
    if choice == 2:
        return f"{draw(operands())} IN ({', '.join(draw(st.lists(operands(), min_size=1, max_size=3)))})"
    if choice == 3:
        function = draw(st.sampled_from(["attribute_exists", "attribute_not_exists"]))
        return f"{function}({draw(paths())})"
    if choice == 4:
        function = draw(st.sampled_from(["begins_with", "contains"]))
        return f"{function}({draw(paths())}, {draw(operands())})"
    if choice == 5:
        return f"NOT {draw(conditions(depth + 1))}"
    if choice == 6:
        return f"({draw(conditions(depth + 1))})"
    return f"{draw(conditions(depth + 1))} {draw(st.sampled_from(['AND', 'OR']))} {draw(conditions(depth + 1))}"


attribute_values = st.recursive(
    st.one_of(
        st.text(max_size=4).map(lambda s: {"S": s}),
        st.integers(-5, 5).map(lambda n: {"N": str(n)}),
        st.binary(max_size=3).map(lambda b: {"B": b}),
        st.booleans().map(lambda b: {"BOOL": b}),
        st.just({"NULL": True}),
        st.lists(st.sampled_from("abc"), min_size=1, max_size=3, unique=True).map(lambda v: {"SS": v}),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4).map(lambda v: {"L": v}),
        st.dictionaries(st.sampled_from(["k", "z", "weird name"]), inner, max_size=3).map(lambda v: {"M": v}),
    ),
    max_leaves=8,
)
items = st.dictionaries(st.sampled_from(["a", "b", "n", "s", "l", "m", "weird name"]), attribute_values, max_size=6)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(conditions(), items)
def test_generated_conditions_evaluate_or_fail_with_a_validation_error(text: str, item: dict) -> None:
    try:
        exprs = RequestExpressions(NAMES, VALUES)
        bound = exprs.condition(text, "ConditionExpression")
    except ServiceError as e:
        assert e.code == "ValidationException" and e.message.startswith("Invalid ConditionExpression: ")
        return
    assert evaluate(bound, item) in (True, False)


@st.composite
def updates(draw: st.DrawFn) -> str:
    clauses = []
    for clause in draw(st.lists(st.sampled_from(["SET", "REMOVE", "ADD", "DELETE"]), min_size=1, max_size=4,
                                unique=True)):
        if clause == "SET":
            term = draw(st.sampled_from(["{v}", "{p}", "{p} + {v}", "{v} - {v}", "if_not_exists({p}, {v})",
                                         "list_append({p}, {v})", "list_append({v}, {p})"]))
            actions = [f"{draw(paths())} = " + term.format(p=draw(paths()), v=draw(values))]
        elif clause == "REMOVE":
            actions = [draw(paths())]
        else:
            actions = [f"{draw(paths())} {draw(values)}"]
        clauses.append(f"{clause} {', '.join(actions)}")
    return " ".join(clauses)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(updates(), items)
def test_generated_updates_apply_or_fail_with_dynamodbs_errors(text: str, item: dict) -> None:
    try:
        exprs = RequestExpressions(NAMES, VALUES)
        actions = exprs.update(text)
    except ServiceError as e:
        assert e.message.startswith("Invalid UpdateExpression: "), e.message
        return
    try:
        new = apply_update(item, actions)
    except EvaluationError as e:
        assert e.message in ("The document path provided in the update expression is invalid for update",
                             "An operand in the update expression has an incorrect data type",
                             "The provided expression refers to an attribute that does not exist in the item")
        return
    except ServiceError as e:  # number range of an arithmetic result
        assert e.code == "ValidationException"
        return
    assert isinstance(new, dict)


@settings(max_examples=500)
@given(st.lists(st.sampled_from(list("ab #:.,[]()=<>!-+_0123456789") + ["AND", " OR ", "NOT ", "SET ", "size(",
                                                                       "REMOVE "]), max_size=30).map("".join))
def test_garbage_never_crashes_the_parsers(text: str) -> None:
    for parse in (parse_condition, parse_update, parse_projection):
        try:
            parse(text)
        except ExpressionError as e:
            assert e.message


@settings(max_examples=400)
@given(st.lists(st.sampled_from(["SELECT", " * ", "FROM", ' "t" ', "WHERE", " a ", "=", "'x'", "?", "AND", "(", ")",
                                 "[", "]", "{", "}", "<<", ">>", ",", ".", "1", "INSERT INTO", "VALUE", "UPDATE",
                                 "SET", "REMOVE", "DELETE", "RETURNING", "ALL OLD *", "EXISTS", "IN", "IS MISSING",
                                 "'", '"', "!", ":"]), max_size=25).map("".join))
def test_garbage_never_crashes_the_partiql_parser(text: str) -> None:
    from cloudlet.services.dynamodb.partiql.parser import parse

    try:
        parse(text, [{"S": "p"}])
    except ServiceError as e:
        assert e.code == "ValidationException" and e.message
