"""SNS subscription filter policies: validation with AWS's limits and words, and matching.

A pure engine (no I/O, no state):

    policy = FilterPolicy.parse('{"store": ["example_corp"], "price": [{"numeric": [">", 10]}]}')
    policy.matches_attributes({"store": {"DataType": "String", "StringValue": "example_corp"}, ...})
    body_policy = FilterPolicy.parse(text, scope="MessageBody")
    body_policy.matches_body('{"store": "example_corp"}')

Semantics, as the SNS developer guide describes them: keys are ANDed, the values of one
key are ORed, ``$or`` offers alternative sub-policies.  With the MessageAttributes scope a
key names a message attribute (String, String.Array and Number attributes take part;
Binary ones are ignored); with the MessageBody scope the policy nests like the JSON body
and an array in the body matches when any element does.

Operators: exact strings, numbers, true/false/null; ``prefix``, ``suffix``,
``equals-ignore-case``, ``anything-but`` (a value, a list, or ``{"prefix": ...}``),
``numeric`` (``=``, ``<``, ``<=``, ``>``, ``>=``, or a range), ``exists`` and ``cidr``.

Errors raise :class:`FilterPolicyError` with AWS's message (without the
``Invalid parameter: FilterPolicy:`` prefix, which depends on the operation).
"""

from __future__ import annotations

import ipaddress
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

MAX_KEYS = 5
MAX_COMBINATIONS = 150
MAX_SIZE = 256 * 1024
MAX_DEPTH = 64  # far past anything the combination limit lets through

MESSAGE_ATTRIBUTES = "MessageAttributes"
MESSAGE_BODY = "MessageBody"

# value kinds: what a message value is, for comparison with a rule
STRING, NUMBER, BOOLEAN, NULL = "s", "n", "b", "null"

_MISSING = object()


class FilterPolicyError(ValueError):
    """An invalid policy; ``nested_scope`` marks the one error AWS words without 'FilterPolicy:'."""

    def __init__(self, message: str, nested_scope: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.nested_scope = nested_scope


# --- rules ---------------------------------------------------------------------------------


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return BOOLEAN
    if isinstance(value, int | float):
        return NUMBER
    if value is None:
        return NULL
    return STRING


def _equal(kind: str, value: Any, rule_kind: str, rule: Any) -> bool:
    if kind != rule_kind:
        return False
    if kind == NUMBER:
        return _close(value, rule)
    return value == rule


def _close(a: float, b: float) -> bool:
    # AWS compares numbers with five digits after the decimal point
    return abs(a - b) < 5e-6


class Rule:
    """One element of a key's array of rules."""

    exists: bool | None = None  # set for {"exists": ...} rules only

    def match(self, kind: str, value: Any) -> bool:
        raise NotImplementedError


@dataclass
class Exact(Rule):
    kind: str
    value: Any

    def match(self, kind: str, value: Any) -> bool:
        return _equal(kind, value, self.kind, self.value)


@dataclass
class Prefix(Rule):
    prefix: str

    def match(self, kind: str, value: Any) -> bool:
        return kind == STRING and value.startswith(self.prefix)


@dataclass
class Suffix(Rule):
    suffix: str

    def match(self, kind: str, value: Any) -> bool:
        return kind == STRING and value.endswith(self.suffix)


@dataclass
class EqualsIgnoreCase(Rule):
    folded: str

    def match(self, kind: str, value: Any) -> bool:
        return kind == STRING and value.lower() == self.folded


@dataclass
class AnythingBut(Rule):
    values: list[tuple[str, Any]]
    prefix: str | None = None

    def match(self, kind: str, value: Any) -> bool:
        if self.prefix is not None:
            return not (kind == STRING and value.startswith(self.prefix))
        return not any(_equal(kind, value, k, v) for k, v in self.values)


@dataclass
class Numeric(Rule):
    bounds: list[tuple[str, float]]

    def match(self, kind: str, value: Any) -> bool:
        if kind != NUMBER:
            return False
        for op, bound in self.bounds:
            if op == "=" and not _close(value, bound):
                return False
            if op == "<" and not value < bound:
                return False
            if op == "<=" and not (value < bound or _close(value, bound)):
                return False
            if op == ">" and not value > bound:
                return False
            if op == ">=" and not (value > bound or _close(value, bound)):
                return False
        return True


@dataclass
class Exists(Rule):
    expected: bool

    def __post_init__(self) -> None:
        self.exists = self.expected

    def match(self, kind: str, value: Any) -> bool:
        return False  # decided by presence, in _key_matches


@dataclass
class Cidr(Rule):
    network: ipaddress.IPv4Network | ipaddress.IPv6Network

    def match(self, kind: str, value: Any) -> bool:
        if kind != STRING:
            return False
        try:
            return ipaddress.ip_address(value) in self.network
        except ValueError:
            return False


# --- the policy ----------------------------------------------------------------------------

# A branch: the conditions that must all hold, one per key path.
Branch = list[tuple[tuple[str, ...], list[Rule]]]


@dataclass
class FilterPolicy:
    scope: str
    branches: list[Branch]  # alternatives from $or; the policy matches if any branch does
    document: dict

    @classmethod
    def parse(cls, text: str, scope: str = MESSAGE_ATTRIBUTES) -> FilterPolicy:
        """Parse and validate a policy; raises FilterPolicyError."""
        if len(text.encode("utf-8", "surrogatepass")) > MAX_SIZE:
            raise FilterPolicyError("Filter policy is too long")
        try:
            document = json.loads(text)
        except (ValueError, RecursionError):
            raise FilterPolicyError("failed to parse JSON.")
        return cls.from_document(document, scope)

    @classmethod
    def from_document(cls, document: Any, scope: str = MESSAGE_ATTRIBUTES) -> FilterPolicy:
        if not isinstance(document, dict):
            raise FilterPolicyError("Filter policy must be a JSON object")
        _Validator(scope).check(document)
        return cls(scope, _branches(document, ()), document)

    @property
    def empty(self) -> bool:
        return not self.document

    # --- matching -----------------------------------------------------------------------

    def matches_attributes(self, attributes: dict[str, dict] | None) -> bool:
        """Match message attributes as Publish received them ({name: {DataType, StringValue}})."""
        values = {name: list(_attribute_values(attr)) for name, attr in (attributes or {}).items()}
        values = {name: found for name, found in values.items() if found is not None and found != [_MISSING]}
        return self._matches(values)

    def matches_body(self, body: str) -> bool:
        """Match a message body; a body that is not a JSON object matches nothing (but an empty policy)."""
        if self.empty:
            return True
        try:
            document = json.loads(body)
        except (ValueError, RecursionError):
            return False
        if not isinstance(document, dict):
            return False
        values: dict[tuple[str, ...], list[tuple[str, Any]]] = {}
        try:
            _flatten(document, (), values, 0)
        except RecursionError:
            return False
        return self._matches(values, nested=True)

    def _matches(self, values: dict, nested: bool = False) -> bool:
        if self.empty:
            return True
        for branch in self.branches:
            if all(_key_matches(rules, values.get(path if nested else path[0])) for path, rules in branch):
                return True
        return False


def _key_matches(rules: list[Rule], found: list[tuple[str, Any]] | None) -> bool:
    present = bool(found)
    for rule in rules:
        if rule.exists is not None:
            if rule.exists == present:
                return True
        elif present and any(rule.match(kind, value) for kind, value in found):  # type: ignore[union-attr]
            return True
    return False


def _attribute_values(attribute: dict) -> Iterator[Any]:
    """(kind, value) pairs of one message attribute; _MISSING for the ignored (Binary) ones."""
    data_type = str(attribute.get("DataType", ""))
    base = data_type.split(".", 1)[0]
    if base == "Binary":
        yield _MISSING
        return
    raw = attribute.get("StringValue")
    if raw is None:
        yield _MISSING
        return
    if data_type == "String.Array":
        try:
            items = json.loads(raw)
        except (ValueError, RecursionError):
            return
        if not isinstance(items, list):
            return
        for item in items:
            if isinstance(item, dict | list):
                continue
            kind = _kind(item)
            yield (kind, float(item) if kind == NUMBER else item)
    elif base == "Number":
        try:
            number = float(raw)
        except ValueError:
            return
        if math.isfinite(number):
            yield (NUMBER, number)
    else:
        yield (STRING, raw)


def _flatten(node: Any, path: tuple[str, ...], out: dict, depth: int) -> None:
    """Body leaves by key path; arrays (also arrays of objects) contribute each element."""
    if depth > MAX_DEPTH * 4:
        return
    if isinstance(node, dict):
        for key, value in node.items():
            _flatten(value, (*path, key), out, depth + 1)
    elif isinstance(node, list):
        for item in node:
            _flatten(item, path, out, depth + 1)
    elif path:
        kind = _kind(node)
        out.setdefault(path, []).append((kind, float(node) if kind == NUMBER else node))


def _branches(policy: dict, prefix: tuple[str, ...]) -> list[Branch]:
    """Expand ``$or`` into alternative branches of (key path, rules)."""
    branches: list[Branch] = [[]]
    for key, value in policy.items():
        if key == "$or" and isinstance(value, list):
            alternatives = [b for sub in value for b in _branches(sub, prefix)]
            branches = [mine + theirs for mine in branches for theirs in alternatives]
        elif isinstance(value, dict):
            nested = _branches(value, (*prefix, key))
            branches = [mine + theirs for mine in branches for theirs in nested]
        else:
            rules = [_rule(item) for item in value]
            branches = [[*mine, ((*prefix, key), rules)] for mine in branches]
    return branches


def _rule(item: Any) -> Rule:
    """A validated rule's compiled form."""
    if not isinstance(item, dict):
        kind = _kind(item)
        return Exact(kind, float(item) if kind == NUMBER else item)
    (operator, value), = item.items()
    if operator == "prefix":
        return Prefix(value)
    if operator == "suffix":
        return Suffix(value)
    if operator == "equals-ignore-case":
        return EqualsIgnoreCase(value.lower())
    if operator == "exists":
        return Exists(value)
    if operator == "cidr":
        return Cidr(ipaddress.ip_network(value, strict=False))
    if operator == "numeric":
        return Numeric([(value[i], float(value[i + 1])) for i in range(0, len(value), 2)])
    # anything-but
    if isinstance(value, dict):
        return AnythingBut([], prefix=value["prefix"])
    items = value if isinstance(value, list) else [value]
    return AnythingBut([(_kind(v), float(v) if _kind(v) == NUMBER else v) for v in items])


# --- validation ------------------------------------------------------------------------------


class _Validator:
    """AWS's checks, in AWS's words."""

    def __init__(self, scope: str) -> None:
        self.scope = scope

    def check(self, policy: dict) -> None:
        for alternative in self._alternatives(policy, 0):
            if len(alternative) > MAX_KEYS:
                raise FilterPolicyError(f"Filter policy can not have more than {MAX_KEYS} keys")
        if self._combinations(policy, 1, 0) > MAX_COMBINATIONS:
            raise FilterPolicyError("Filter policy is too complex")

    def _alternatives(self, policy: dict, depth: int) -> list[set[str]]:
        """The top-level keys of each $or alternative (nested keys count as their parent)."""
        if depth > MAX_DEPTH:
            raise FilterPolicyError("Filter policy is too complex")
        keys: list[set[str]] = [set()]
        for key, value in policy.items():
            if key == "$or" and isinstance(value, list):
                subs = [alt for sub in value if isinstance(sub, dict) for alt in self._alternatives(sub, depth + 1)]
                if subs:
                    keys = [mine | theirs for mine in keys for theirs in subs]
            else:
                keys = [mine | {key} for mine in keys]
        return keys

    def _combinations(self, policy: dict, depth: int, level: int) -> int:
        """The product of each key's number of values (times its nesting depth); $or adds up."""
        if level > MAX_DEPTH:
            raise FilterPolicyError("Filter policy is too complex")
        total = 1
        for key, value in policy.items():
            if isinstance(value, dict):
                if self.scope == MESSAGE_ATTRIBUTES:
                    raise FilterPolicyError(
                        "Filter policy scope MessageAttributes does not support nested filter policy", True
                    )
                total = self._combinations(value, depth + 1, level + 1) * total
            elif isinstance(value, list):
                if not value:
                    raise FilterPolicyError("Empty arrays are not allowed")
                if key == "$or":
                    total *= self._or(value, depth, level)
                else:
                    for item in value:
                        self._check_rule(item)
                    total *= len(value) * depth
            else:
                raise FilterPolicyError(f'"{key}" must be an object or an array')
            if total > MAX_COMBINATIONS * 1000:  # keep the arithmetic small on hostile input
                return total
        return total

    def _or(self, alternatives: list, depth: int, level: int) -> int:
        if len(alternatives) < 2:
            raise FilterPolicyError("$or must have at least 2 elements")
        total = 0
        for alternative in alternatives:
            if not isinstance(alternative, dict):
                raise FilterPolicyError("$or elements must be objects")
            total += self._combinations(alternative, depth, level + 1)
        return total

    def _check_rule(self, rule: Any) -> None:
        if rule is None or isinstance(rule, str | bool):
            return
        if isinstance(rule, int | float):
            if not math.isfinite(rule):
                raise FilterPolicyError("Match value must be String, number, true, false, or null")
            return
        if not isinstance(rule, dict):
            raise FilterPolicyError("Match value must be String, number, true, false, or null")
        if len(rule) != 1:
            raise FilterPolicyError("Only one key allowed in match expression")
        (operator, value), = rule.items()
        if operator in ("prefix", "suffix", "equals-ignore-case"):
            if not isinstance(value, str):
                raise FilterPolicyError(f"{operator} match pattern must be a string")
        elif operator == "anything-but":
            self._check_anything_but(value)
        elif operator == "exists":
            if not isinstance(value, bool):
                raise FilterPolicyError("exists match pattern must be either true or false.")
        elif operator == "numeric":
            _check_numeric(value)
        elif operator == "cidr":
            _check_cidr(value)
        else:
            raise FilterPolicyError(f"Unrecognized match type {operator}")

    def _check_anything_but(self, value: Any) -> None:
        if isinstance(value, list):
            if not value:
                raise FilterPolicyError("Empty arrays are not allowed")
            for item in value:
                if not (isinstance(item, str) or (isinstance(item, int | float) and not isinstance(item, bool))):
                    raise FilterPolicyError("Inside anything but list, start|null|boolean is not supported.")
        elif isinstance(value, dict):
            for operator, inner in value.items():
                if operator != "prefix":
                    raise FilterPolicyError(f"Unsupported anything-but pattern: {operator}")
                if not isinstance(inner, str):
                    raise FilterPolicyError("prefix match pattern must be a string")
        elif isinstance(value, bool) or value is None:
            raise FilterPolicyError("Inside anything but list, start|null|boolean is not supported.")
        elif not isinstance(value, str | int | float):
            raise FilterPolicyError("Match value must be String, number, true, false, or null")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _check_numeric(value: Any) -> None:
    if not isinstance(value, list) or not value:
        raise FilterPolicyError("Invalid member in numeric match: ]")
    items = list(value)
    operator = items[0]
    if not isinstance(operator, str):
        raise FilterPolicyError(f"Invalid member in numeric match: {_shown(operator)}")
    if operator not in ("<", "<=", "=", ">", ">="):
        raise FilterPolicyError(f"Unrecognized numeric range operator: {operator}")
    if len(items) < 2 or not _is_number(items[1]):
        raise FilterPolicyError(f"Value of {'equals' if operator == '=' else operator} must be numeric")
    if len(items) == 2:
        return
    if operator not in (">", ">="):
        raise FilterPolicyError("Too many elements in numeric expression")
    second = items[2]
    if not isinstance(second, str):
        raise FilterPolicyError(f"Bad value in numeric range: {_shown(second)}")
    if second not in ("<", "<="):
        raise FilterPolicyError(f"Bad numeric range operator: {second}")
    if len(items) < 4 or not _is_number(items[3]):
        raise FilterPolicyError(f"Value of {second} must be numeric")
    if items[3] <= items[1]:
        raise FilterPolicyError("Bottom must be less than top")
    if len(items) > 4:
        raise FilterPolicyError("Too many terms in numeric range expression")


def _check_cidr(value: Any) -> None:
    if not isinstance(value, str):
        raise FilterPolicyError("prefix match pattern must be a string")
    parts = value.split("/")
    if len(parts) != 2:
        raise FilterPolicyError("Malformed CIDR, one '/' required")
    address, mask = parts
    if not (mask.isascii() and mask.isdigit()):
        raise FilterPolicyError("Malformed CIDR, mask bits must be an integer")
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError:
        raise FilterPolicyError(f"Nonstandard IP address: {address}")


def _shown(value: Any) -> str:
    return json.dumps(value) if isinstance(value, dict | list) else str(value).lower() if isinstance(value, bool) else str(value)
