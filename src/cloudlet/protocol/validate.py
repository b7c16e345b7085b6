"""Input validation from the model, answered in each service's own words.

The gateway calls :func:`validate` after parsing and before the provider.  It
checks the parsed parameters against the operation's input shape: required
members, value types, enums, lengths, numeric ranges and patterns, recursively.

Most AWS services run the same validator (Coral) in front of their code, so the
words are mostly the same everywhere::

    2 validation errors detected: Value null at 'tableName' failed to satisfy
    constraint: Member must not be null; Value '0' at 'limit' failed to satisfy
    constraint: Member must have value greater than or equal to 1

and only the error code differs.  A few services speak differently (CloudWatch's
query-era validator, SQS, ECR) and S3 has no generic validation at all.  What each
service says lives in one table, :data:`STYLES`; the sources for every wording
are quoted in ``tests/protocol/test_validate.py``.

Cost: the checks for each shape are built once (closures cached per service and
per operation), subtrees without a single constraint are never visited, and
messages are only formatted when something failed.
"""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cloudlet.protocol.errors import ServiceError
from cloudlet.protocol.javaregex import compile_java
from cloudlet.protocol.models import OperationModel, ServiceModel

# --- the style table ------------------------------------------------------------------


@dataclass(frozen=True)
class Override:
    """Constraints a service really applies to a shape, unlike its published model.

    ``unless`` is a Java pattern: values matching it keep the model's constraints.
    """

    unless: str | None = None
    min: int | None = None
    max: int | None = None
    pattern: str | None = None


@dataclass(frozen=True)
class Style:
    """How one service reports invalid input.

    form:
      ``coral``         every violation (up to ``max_errors``) in Coral's words
      ``cloudwatch``    CloudWatch's query-era validator (MissingParameter /
                        InvalidParameterValue, one sentence per line)
      ``ecr``           ECR: the first violation, ``Invalid parameter at '…'``
      ``missing-only``  only required members, as ``missing_code`` (SQS); the
                        provider gives the service's own words for the rest
      ``skip``          no generic validation (S3)
    """

    code: str = "ValidationException"
    form: str = "coral"
    max_errors: int = 10
    # Paths start at '<operation>Input' (API Gateway's Coral input structure names).
    input_root: bool = False
    # Lambda adds 'Member must not be null' to the constraints of list and map members.
    member_not_null: bool = False
    # Two failures of one member: the pattern's first (STS), or the length's (Cognito).
    pattern_first: bool = True
    missing_code: str = "MissingParameter"
    missing_message: str = "The request must contain the parameter {name}."
    # operation -> member -> a hand-written message sent, alone, when that member is absent.
    required_messages: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    # shape name -> the constraints the service really applies.
    overrides: Mapping[str, Override] = field(default_factory=dict)
    # shape name -> the enum values in the order the service lists them.
    enum_order: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


_QUERY = Style(code="ValidationError")

STYLES: dict[str, Style] = {
    "dynamodb": Style(
        required_messages={
            "CreateTable": {"TableName": "The parameter 'TableName' is required but was not present in the request"},
        },
        # The model says TableName is 1-1024 characters (it may be an ARN); a plain name is
        # checked as a table name.
        overrides={"TableArn": Override(unless="arn:.*", min=3, max=255, pattern="[a-zA-Z0-9_.-]+")},
        enum_order={
            "ScalarAttributeType": ("B", "N", "S"),
            "StreamViewType": ("OLD_IMAGE", "KEYS_ONLY", "NEW_AND_OLD_IMAGES", "NEW_IMAGE"),
            "Select": ("SPECIFIC_ATTRIBUTES", "COUNT", "ALL_ATTRIBUTES", "ALL_PROJECTED_ATTRIBUTES"),
        },
    ),
    "dynamodbstreams": Style(),
    "lambda": Style(member_not_null=True),
    "apigateway": Style(
        input_root=True,
        enum_order={"ApiKeySourceType": ("AUTHORIZER", "HEADER"), "EndpointType": ("PRIVATE", "EDGE", "REGIONAL")},
    ),
    "apigatewayv2": Style(code="BadRequestException"),  # unverified: no real response found
    "apigatewaymanagementapi": Style(code="BadRequestException"),  # unverified
    "cognito-idp": Style(code="InvalidParameterException", pattern_first=False),
    "cognito-identity": Style(code="InvalidParameterException"),  # unverified, like cognito-idp
    "logs": Style(code="InvalidParameterException"),
    "ecr": Style(code="InvalidParameterException", form="ecr"),
    "cloudfront": Style(code="MalformedXML"),
    "cloudwatch": Style(code="InvalidParameterValue", form="cloudwatch"),
    "sqs": Style(form="missing-only"),
    "s3": Style(form="skip"),
    "iam": _QUERY,
    "sts": _QUERY,
    "sns": _QUERY,
    "cloudformation": _QUERY,
    "elasticache": _QUERY,  # unverified
    "elasticbeanstalk": _QUERY,  # unverified
}
DEFAULT_STYLE = Style()


def style_for(service: ServiceModel) -> Style:
    return STYLES.get(service.name, DEFAULT_STYLE)


# --- violations -------------------------------------------------------------------------

# A path is a linked tuple (parent, segment): a str segment is a member name, an int a
# 1-based list position, a 1-tuple a map key.  Rendering waits until something failed.
Path = tuple | None

NULL, ENUM, PATTERN, LEN_MIN, LEN_MAX, MIN, MAX, MEMBERS, MAP_KEYS, MAP_VALUES = range(10)


class _TypeMismatch(Exception):
    def __init__(self, path: Path, value: Any, expected: str) -> None:
        super().__init__(expected)
        self.path, self.value, self.expected = path, value, expected


# --- scalar rules -------------------------------------------------------------------------

_NUMBER = ("integer", "long", "float", "double", "bigdecimal", "biginteger")
_FLOATS = ("float", "double", "bigdecimal")


class _Scalar:
    """The constraints of one scalar shape, checked in the order messages list them."""

    __slots__ = ("type", "enum", "enum_shown", "pattern", "regex", "min_len", "max_len",
                 "min", "max", "sensitive", "alternative", "unless", "ok", "pattern_first", "shape",
                 "shapes")

    def __init__(self, kind: str, spec: dict, enum_order: tuple[str, ...] | None = None,
                 shape: str | None = None, shapes: dict | None = None) -> None:
        self.type = kind
        self.shape = shape  # for rendering values the way the service's Java types print
        self.shapes = shapes
        enum = spec.get("enum")
        self.enum = frozenset(enum) if enum else None
        self.enum_shown = list(enum_order or enum or ())
        self.pattern: str | None = spec.get("pattern") if kind == "string" else None
        self.regex: Any = None  # the compiled pattern's fullmatch, set by finish()
        is_len = kind in ("string", "blob")
        self.min_len = spec.get("min") if is_len else None
        self.max_len = spec.get("max") if is_len else None
        self.min = spec.get("min") if kind in _NUMBER else None
        self.max = spec.get("max") if kind in _NUMBER else None
        self.sensitive = bool(spec.get("sensitive"))
        self.alternative: _Scalar | None = None
        self.unless: Any = None
        self.pattern_first = True
        self.ok: Callable[[Any], bool] = self._type_ok

    @property
    def constrained(self) -> bool:
        return any(x is not None for x in (self.enum, self.pattern, self.min_len, self.max_len,
                                           self.min, self.max)) or self.alternative is not None

    def _type_ok(self, v: Any) -> bool:
        kind = self.type
        if kind == "string":
            return isinstance(v, str)
        if kind in _NUMBER:
            return isinstance(v, int | float) and not isinstance(v, bool)
        if kind == "blob":
            return isinstance(v, bytes | bytearray | memoryview | str) or hasattr(v, "read")
        if kind == "boolean":
            return isinstance(v, bool)
        if kind == "timestamp":
            return isinstance(v, _dt.datetime | int | float | str)
        if kind == "list":
            return isinstance(v, list | tuple)
        if kind == "map":
            return isinstance(v, dict)
        return True

    def finish(self) -> _Scalar:
        """Build ``ok``: the fast test, with only this shape's checks, run on every value."""
        if self.pattern is not None:
            compiled = compile_java(self.pattern)
            self.regex = compiled.fullmatch if compiled is not None else None  # None: skipped
        if self.alternative is not None:
            alternative = self.alternative.finish()
            model_ok, alt_ok, unless = _plain_ok(self), alternative.ok, self.unless
            self.ok = lambda v: (  # type: ignore[misc]
                model_ok(v) if v.__class__ is str and unless(v) is not None else alt_ok(v)
            )
        else:
            self.ok = _plain_ok(self)  # type: ignore[misc]
        return self

    def failures(self, v: Any, path: Path) -> tuple[tuple[int, Any], ...]:
        """(kind, bound) for every constraint the value breaks; empty when it is valid."""
        if self.ok(v):
            return ()
        if not self._type_ok(v):
            raise _TypeMismatch(path, v, self.type)
        rule = self
        if self.alternative is not None and self.unless(v) is None:
            rule = self.alternative
        out: list[tuple[int, Any]] = []
        if rule.enum is not None and v not in rule.enum:
            out.append((ENUM, rule.enum_shown))
        pattern_failed = rule.regex is not None and rule.regex(v) is None
        if pattern_failed and self.pattern_first:
            out.append((PATTERN, rule.pattern))
        if rule.min_len is not None or rule.max_len is not None:
            size = _length(v, self.type)
            if size is not None:
                if rule.min_len is not None and size < rule.min_len:
                    out.append((LEN_MIN, rule.min_len))
                if rule.max_len is not None and size > rule.max_len:
                    out.append((LEN_MAX, rule.max_len))
        if pattern_failed and not self.pattern_first:
            out.append((PATTERN, rule.pattern))
        if rule.min is not None and v < rule.min:
            out.append((MIN, rule.min))
        if rule.max is not None and v > rule.max:
            out.append((MAX, rule.max))
        return tuple(out)

    def described(self, not_null: bool) -> list[tuple[int, Any]]:
        """All constraints, in the order Coral lists them inside 'must satisfy constraint: [...]'."""
        out: list[tuple[int, Any]] = []
        if self.max_len is not None:
            out.append((LEN_MAX, self.max_len))
        if self.min_len is not None:
            out.append((LEN_MIN, self.min_len))
        if self.max is not None:
            out.append((MAX, self.max))
        if self.min is not None:
            out.append((MIN, self.min))
        if self.enum is not None:
            out.append((ENUM, self.enum_shown))
        if self.pattern is not None:
            out.append((PATTERN, self.pattern))
        if not_null:
            out.append((NULL, None))
        return out


def _length(v: Any, kind: str) -> int | None:
    """Characters of a string, bytes of a blob (a str given for a blob counts as UTF-8), members."""
    if isinstance(v, list | tuple | dict):
        return len(v)
    if isinstance(v, str):
        return len(v) if kind == "string" else len(v.encode("utf-8", "surrogatepass"))
    if isinstance(v, bytes | bytearray):
        return len(v)
    if isinstance(v, memoryview):
        return v.nbytes
    return None  # a stream: its length is not ours to read


def _plain_ok(rule: _Scalar) -> Callable[[Any], bool]:
    """A closure with only the checks this rule needs (this runs for every value)."""
    kind, enum, regex = rule.type, rule.enum, rule.regex
    lo = rule.min_len if rule.min_len is not None else 0
    hi = rule.max_len if rule.max_len is not None else math.inf
    if kind == "string":

        def ok(v: Any) -> bool:
            return (
                v.__class__ is str
                and lo <= len(v) <= hi
                and (enum is None or v in enum)
                and (regex is None or regex(v) is not None)
            )

        return ok
    if kind in _NUMBER:
        low = rule.min if rule.min is not None else -math.inf
        high = rule.max if rule.max is not None else math.inf

        def ok_number(v: Any) -> bool:
            return v.__class__ in (int, float) and low <= v <= high

        return ok_number
    if kind == "blob":

        def ok_blob(v: Any) -> bool:
            if v.__class__ is bytes:
                return lo <= len(v) <= hi
            size = _length(v, kind)
            return rule._type_ok(v) and (size is None or lo <= size <= hi)

        return ok_blob
    return rule._type_ok


def _in_bounds(size: int, spec: dict) -> bool:
    return spec.get("min", 0) <= size <= spec.get("max", math.inf)


def _described(rule: _Scalar, v: Any, not_null: bool) -> tuple[list, _Scalar]:
    """What Coral lists about a collection's element rule: the constraints that applied to ``v``."""
    applied = rule.alternative if rule.alternative is not None and v is not None and (
        v.__class__ is not str or rule.unless(v) is None) else rule
    return applied.described(not_null), applied


# --- building the checkers ----------------------------------------------------------------

Checker = Callable[[Any, Path, list], None]


class _Compiler:
    """Builds and caches the checker of every shape of one service, for one style."""

    def __init__(self, service: ServiceModel, style: Style, patterns: bool = True) -> None:
        self.service = service
        self.style = style
        self.patterns = patterns
        self.shapes: dict[str, dict] = service.spec["shapes"]
        self.checkers: dict[str, Any] = {}
        self.scalars: dict[str, _Scalar] = {}
        # missing-only styles (SQS) check required members and nothing else.
        self.required_only = style.form == "missing-only"
        # Coral reports a bad list element or map entry once, at the collection.
        self.aggregate = style.form in ("coral", "ecr")
        self.constrained = self._constrained_shapes()

    def _constrained_shapes(self) -> set[str]:
        """The shapes with a constraint somewhere below them (cycles included)."""
        children: dict[str, list[str]] = {}
        marked: set[str] = set()
        for name, spec in self.shapes.items():
            kind = spec.get("type")
            kids: list[str] = []
            if kind == "structure":
                if spec.get("document") or spec.get("eventstream") or spec.get("exception"):
                    continue
                if spec.get("required"):
                    marked.add(name)
                kids = [ref["shape"] for ref in spec.get("members", {}).values()]
            elif kind in ("list", "map"):
                kids = [spec["member"]["shape"]] if kind == "list" else [spec["key"]["shape"], spec["value"]["shape"]]
                if not self.required_only and ("min" in spec or "max" in spec):
                    marked.add(name)
            elif not self.required_only and self._scalar(name).constrained:
                marked.add(name)
            children[name] = kids
        parents: dict[str, list[str]] = {}
        for name, kids in children.items():
            for kid in kids:
                parents.setdefault(kid, []).append(name)
        todo = list(marked)
        while todo:
            for parent in parents.get(todo.pop(), ()):
                if parent not in marked:
                    marked.add(parent)
                    todo.append(parent)
        return marked

    def _scalar(self, name: str) -> _Scalar:
        rule = self.scalars.get(name)
        if rule is None:
            spec = self.shapes[name]
            if not self.patterns and "pattern" in spec:
                spec = {k: v for k, v in spec.items() if k != "pattern"}
            order = self.style.enum_order.get(name)
            rule = _Scalar(spec["type"], spec, order, name, self.shapes)
            override = self.style.overrides.get(name)
            if override is not None:
                patched = {k: v for k, v in spec.items() if k not in ("min", "max", "pattern")}
                for key in ("min", "max", "pattern"):
                    if getattr(override, key) is not None and (key != "pattern" or self.patterns):
                        patched[key] = getattr(override, key)
                rule.alternative = _Scalar(spec["type"], patched, order, name, self.shapes)
                rule.alternative.pattern_first = self.style.pattern_first
                unless = compile_java(override.unless or "(?!)")
                rule.unless = unless.fullmatch if unless is not None else (lambda v: None)
            rule.pattern_first = self.style.pattern_first
            self.scalars[name] = rule.finish()
        return rule

    def _holder(self, name: str) -> _Scalar:
        """The rule recorded with a violation: it carries the type and the sensitive flag."""
        spec = self.shapes[name]
        if spec["type"] in ("structure", "list", "map"):
            return _Scalar(spec["type"], {"sensitive": spec.get("sensitive")}, None, name, self.shapes)
        return self._scalar(name)

    def checker(self, name: str) -> Checker | None:
        if name in self.checkers:
            found = self.checkers[name]
            if found is _PENDING:  # a recursive shape: look the checker up when it runs
                return lambda v, p, out: self.checkers[name](v, p, out)
            return found
        if name not in self.constrained:
            self.checkers[name] = None
            return None
        self.checkers[name] = _PENDING
        spec = self.shapes[name]
        kind = spec["type"]
        if kind == "structure":
            built = self._structure(spec)
        elif kind == "list":
            built = self._list(name, spec)
        elif kind == "map":
            built = self._map(name, spec)
        else:
            built = self._scalar_checker(name)
        self.checkers[name] = built
        return built

    def _scalar_checker(self, name: str) -> Checker:
        rule = self._scalar(name)

        def check(v: Any, path: Path, out: list) -> None:
            if rule.ok(v):  # the common case, without failures()'s frame
                return
            for kind, bound in rule.failures(v, path):
                out.append((path, v, kind, bound, rule))

        return check

    def _structure(self, spec: dict) -> Checker:
        required = set(spec.get("required", ()))
        entries: list[tuple[str, bool, Checker | None, _Scalar]] = []
        for member, ref in spec.get("members", {}).items():
            target = self.shapes[ref["shape"]]
            streaming = ref.get("streaming") or target.get("streaming") or target.get("eventstream")
            child = None if streaming else self.checker(ref["shape"])
            if child is not None or member in required:
                entries.append((member, member in required, child, self._holder(ref["shape"])))
        needed = tuple(member for member, is_required, _, _ in entries if is_required)
        children = {member: child for member, _, child, _ in entries if child is not None}

        def in_model_order(value: dict, path: Path, out: list) -> None:
            for member, is_required, child, holder in entries:
                v = value.get(member)
                if v is None:
                    if is_required:
                        out.append(((path, member), None, NULL, None, holder))
                elif child is not None:
                    child(v, (path, member), out)

        def check(value: Any, path: Path, out: list) -> None:
            if not isinstance(value, dict):
                raise _TypeMismatch(path, value, "structure")
            # Fast path: requests carry few of the members a shape allows, so walk the request;
            # if anything failed, walk again in the model's member order for the report.
            before = len(out)
            for member in needed:
                if value.get(member) is None:
                    break
            else:
                for member, v in value.items():
                    child = children.get(member)
                    if child is not None and v is not None:
                        child(v, (path, member), out)
                if len(out) == before:
                    return
                del out[before:]
            in_model_order(value, path, out)

        return check

    def _aggregate(self, name: str) -> tuple[_Scalar, bool] | None:
        """An element rule Coral checks once per collection (list members, map keys or values).

        For scalar elements that is all their constraints; for elements that are lists or maps,
        their own size (what is inside them is checked on the way down, at their own paths).
        """
        if self.required_only:
            return None
        spec = self.shapes[name]
        if spec["type"] == "structure":
            return None
        if spec["type"] in ("list", "map"):
            if "min" not in spec and "max" not in spec:
                return None
            sized = _Scalar("string", {"min": spec.get("min"), "max": spec.get("max")}, None, name, self.shapes)
            sized.finish()
            sized.ok = lambda v: isinstance(v, list | tuple | dict) and _in_bounds(len(v), spec)  # type: ignore[misc]
            sized.type = spec["type"]
            return sized, self.style.member_not_null
        rule = self._scalar(name)
        if not rule.constrained:
            return None
        return rule, self.style.member_not_null

    def _inner(self, name: str) -> Checker | None:
        """The checker of an element whose size its collection already checked."""
        if self.shapes[name]["type"] not in ("list", "map") or not self.aggregate:
            return self.checker(name)
        key = name + "#inner"
        if key not in self.checkers:
            self.checkers[key] = _PENDING
            spec = dict(self.shapes[name])
            spec.pop("min", None)
            spec.pop("max", None)
            built = self._list(name, spec) if spec["type"] == "list" else self._map(name, spec)
            self.checkers[key] = built if self.constrained_without_size(name) else None
        found = self.checkers[key]
        if found is _PENDING:
            return lambda v, p, out: self.checkers[key](v, p, out) if self.checkers[key] else None
        return found

    def constrained_without_size(self, name: str) -> bool:
        """Whether a list or map has constraints below it besides its own size."""
        spec = self.shapes[name]
        kids = [spec["member"]["shape"]] if spec["type"] == "list" else [spec["key"]["shape"], spec["value"]["shape"]]
        return any(kid in self.constrained for kid in kids)

    def _list(self, name: str, spec: dict) -> Checker:
        low, high = (None, None) if self.required_only else (spec.get("min"), spec.get("max"))
        holder = self._holder(name)
        member = spec["member"]["shape"]
        aggregate = self._aggregate(member) if self.aggregate else None
        scalar_member = self.shapes[member]["type"] not in ("structure", "list", "map")
        child = None if aggregate and scalar_member else self._inner(member)
        member_holder = self._holder(member)

        def check(value: Any, path: Path, out: list) -> None:
            if not isinstance(value, list | tuple):
                raise _TypeMismatch(path, value, "list")
            if low is not None and len(value) < low:
                out.append((path, value, LEN_MIN, low, holder))
            if high is not None and len(value) > high:
                out.append((path, value, LEN_MAX, high, holder))
            if aggregate is not None:
                rule, not_null = aggregate
                for v in value:
                    if v is None or rule.failures(v, path):
                        out.append((path, value, MEMBERS, _described(rule, v, not_null), holder))
                        break
            if child is not None:
                for i, v in enumerate(value, 1):
                    if v is None:
                        out.append(((path, i), None, NULL, None, member_holder))
                    else:
                        child(v, (path, i), out)

        return check

    def _map(self, name: str, spec: dict) -> Checker:
        low, high = (None, None) if self.required_only else (spec.get("min"), spec.get("max"))
        holder = self._holder(name)
        key_name, value_name = spec["key"]["shape"], spec["value"]["shape"]
        # Keys have no path of their own: even the per-element styles report them at the map.
        keys = self._aggregate(key_name)
        values = self._aggregate(value_name) if self.aggregate else None
        scalar_value = self.shapes[value_name]["type"] not in ("structure", "list", "map")
        child = None if values and scalar_value else self._inner(value_name)
        value_holder = self._holder(value_name)

        def check(value: Any, path: Path, out: list) -> None:
            if not isinstance(value, dict):
                raise _TypeMismatch(path, value, "map")
            if low is not None and len(value) < low:
                out.append((path, value, LEN_MIN, low, holder))
            if high is not None and len(value) > high:
                out.append((path, value, LEN_MAX, high, holder))
            if keys is not None:
                rule, not_null = keys
                for k in value:
                    if rule.failures(k, path):
                        out.append((path, value, MAP_KEYS, _described(rule, k, not_null), holder))
                        break
            if values is not None:
                rule, not_null = values
                for v in value.values():
                    if v is None or rule.failures(v, path):
                        out.append((path, value, MAP_VALUES, _described(rule, v, not_null), holder))
                        break
            if child is not None:
                for k, v in value.items():
                    if v is None:
                        out.append(((path, (k,)), None, NULL, None, value_holder))
                    else:
                        child(v, (path, (k,)), out)

        return check


_PENDING = object()
_compilers: dict[tuple[str, bool], _Compiler] = {}
_NO_CHECK = object()


def _operation_checker(operation: OperationModel, patterns: bool = True) -> Any:
    """The operation's checker, built on first use and kept on the operation model."""
    key = "_cloudlet_validate" if patterns else "_cloudlet_validate_no_patterns"
    cached = operation.__dict__.get(key)
    if cached is not None:
        return cached
    service = operation.service
    style = style_for(service)
    ref = operation.spec.get("input")
    if style.form == "skip" or ref is None:
        checker: Any = _NO_CHECK
    else:
        compiler = _compilers.get((service.name, patterns))
        if compiler is None or compiler.style is not style or compiler.service is not service:
            compiler = _compilers[(service.name, patterns)] = _Compiler(service, style, patterns)
        checker = compiler.checker(ref["shape"]) or _NO_CHECK
    operation.__dict__[key] = checker
    return checker


def _plan(operation: OperationModel) -> tuple[Any, Style, Mapping[str, str] | None]:
    plan = operation.__dict__.get("_cloudlet_validate_plan")
    if plan is None:
        style = style_for(operation.service)
        plan = (_operation_checker(operation), style, style.required_messages.get(operation.name))
        operation.__dict__["_cloudlet_validate_plan"] = plan
    return plan


# --- the entry point --------------------------------------------------------------------


def validator(operation: OperationModel) -> Callable[[dict], None] | None:
    """``validate`` for one operation, built once; None when its model constrains nothing."""
    found = operation.__dict__.get("_cloudlet_validator", _PENDING)
    if found is _PENDING:
        found = operation.__dict__["_cloudlet_validator"] = _build_validator(operation)
    return found


def validate(operation: OperationModel, params: dict) -> None:
    """Raise the service's own ServiceError if ``params`` break the input shape."""
    check = validator(operation)
    if check is not None:
        check(params)


def _build_validator(operation: OperationModel) -> Callable[[dict], None] | None:
    checker, style, special = _plan(operation)
    if checker is _NO_CHECK and not special:
        return None

    def check(params: dict) -> None:
        if special and isinstance(params, dict):
            for member, message in special.items():
                if params.get(member) is None:
                    raise ServiceError(style.code, message, 400)
        if checker is _NO_CHECK:
            return
        out: list = []
        try:
            checker(params, None, out)
        except _TypeMismatch as mismatch:
            raise _type_error(operation, style, mismatch)
        except (TypeError, ValueError, AttributeError, RecursionError) as exc:
            # Values no shape allows (a set where a list belongs, a key that is not a string...).
            raise ServiceError(_type_code(operation, style), f"Invalid input: {type(exc).__name__}", 400)
        if out:
            raise _report(operation, style, out[: style.max_errors])

    return check


def violations(operation: OperationModel, params: dict, *, patterns: bool = True) -> list[tuple]:
    """Every violation as (path, value, kind, bound, rule), unformatted: for tests and tools.

    ``patterns=False`` leaves the ``pattern`` traits out (sample values ignore them).
    """
    checker = _operation_checker(operation, patterns)
    if checker is _NO_CHECK:
        return []
    out: list = []
    checker(params, None, out)
    return out


# --- formatting ---------------------------------------------------------------------------


def _lower_first(name: str) -> str:
    return name[:1].lower() + name[1:]


def _segments(path: Path) -> list:
    parts = []
    while path is not None:
        path, segment = path
        parts.append(segment)
    parts.reverse()
    return parts


def coral_path(operation: OperationModel, path: Path, style: Style) -> str:
    """``keySchema.1.member.attributeName``: Coral's names for a place in the input."""
    parts = [f"{_lower_first(operation.name)}Input"] if style.input_root else []
    for segment in _segments(path):
        if isinstance(segment, int):
            parts.append(f"{segment}.member")
        elif isinstance(segment, tuple):
            parts.append(f"{segment[0]}.member")
        else:
            parts.append(_lower_first(segment))
    return ".".join(parts)


def query_path(path: Path) -> str:
    """``MetricData.member.1.Unit``: the parameter as the query protocol names it."""
    parts = []
    for segment in _segments(path):
        if isinstance(segment, int):
            parts.append(f"member.{segment}")
        elif isinstance(segment, tuple):
            parts.append(str(segment[0]))
        else:
            parts.append(segment)
    return ".".join(parts)


def java_double(value: float) -> str:
    """A number as Java's ``Double.toString`` writes it (1.0, 0.5, 1.0E10, 1.0E-5)."""
    value = float(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0 or 1e-3 <= abs(value) < 1e7:
        text = repr(value)
        return text if "e" not in text else f"{value:.1f}"
    mantissa, exponent = f"{value:e}".split("e")
    digits = repr(float(mantissa)) if float(mantissa) != int(float(mantissa)) else f"{float(mantissa):.1f}"
    # repr() of the mantissa may round differently from Java for long fractions; close enough.
    return f"{digits}E{int(exponent)}"


def java_string(value: Any, shape: str | None = None, shapes: dict | None = None) -> str:
    """A value as Java's ``toString`` shows it inside Coral's messages.

    With the value's shape, numbers of float and double shapes print as Java doubles (2.0) at
    any depth.  Structures print like maps of their members (the service's own generated
    ``toString`` is not public).
    """
    spec = shapes.get(shape, {}) if shapes is not None and shape is not None else {}
    kind = spec.get("type")
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) or (kind in _FLOATS and isinstance(value, int)):
        return java_double(value)
    if isinstance(value, str | int):
        return str(value)
    if isinstance(value, dict):
        if kind == "structure":
            members = spec.get("members", {})
            return "{" + ", ".join(
                f"{k}={java_string(v, members.get(k, {}).get('shape'), shapes)}" for k, v in value.items()
            ) + "}"
        inner = spec["value"]["shape"] if kind == "map" else None
        return "{" + ", ".join(f"{java_string(k)}={java_string(v, inner, shapes)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        inner = spec["member"]["shape"] if kind == "list" else None
        return "[" + ", ".join(java_string(v, inner, shapes) for v in value) + "]"
    if isinstance(value, bytes | bytearray | memoryview):
        size = len(bytes(value))
        return f"java.nio.HeapByteBuffer[pos=0 lim={size} cap={size}]"
    if isinstance(value, _dt.datetime):
        utc = value.astimezone(_dt.UTC) if value.tzinfo else value
        return utc.strftime("%a %b %d %H:%M:%S UTC %Y")
    return str(value)


def _coral_constraint(kind: int, bound: Any, rule: _Scalar | None) -> str:
    if kind == NULL:
        return "Member must not be null"
    if kind == ENUM:
        return f"Member must satisfy enum value set: [{', '.join(bound)}]"
    if kind == PATTERN:
        return f"Member must satisfy regular expression pattern: {bound}"
    if kind == LEN_MIN:
        return f"Member must have length greater than or equal to {bound}"
    if kind == LEN_MAX:
        return f"Member must have length less than or equal to {bound}"
    if kind == MIN:
        return f"Member must have value greater than or equal to {_number(bound, rule)}"
    if kind == MAX:
        return f"Member must have value less than or equal to {_number(bound, rule)}"
    described, element = bound
    inner = ", ".join(_coral_constraint(k, b, element) for k, b in described)
    if kind == MEMBERS:
        return f"Member must satisfy constraint: [{inner}]"
    if kind == MAP_KEYS:
        return f"Map keys must satisfy constraint: [{inner}]"
    return f"Map value must satisfy constraint: [{inner}]"


def _number(bound: Any, rule: _Scalar | None) -> str:
    return java_double(bound) if rule is not None and rule.type in _FLOATS else str(int(bound))


def _coral_item(operation: OperationModel, style: Style, item: tuple) -> str:
    path, value, kind, bound, rule = item
    if rule is not None and rule.sensitive:
        shown = "Value"  # sensitive members are never echoed (Cognito's passwords, Lambda's env)
    elif value is None:
        shown = "Value null"
    else:
        shown = f"Value '{java_string(value, rule.shape, rule.shapes) if rule else java_string(value)}'"
    where = coral_path(operation, path, style)
    return f"{shown} at '{where}' failed to satisfy constraint: {_coral_constraint(kind, bound, rule)}"


def _report(operation: OperationModel, style: Style, out: list) -> ServiceError:
    if style.form == "missing-only":
        name = query_path(out[0][0])
        return ServiceError(style.missing_code, style.missing_message.format(name=name), 400)
    if style.form == "cloudwatch":
        return _cloudwatch_report(style, out)
    if style.form == "ecr":
        path, _value, kind, bound, rule = out[0]
        where = coral_path(operation, path, style)
        text = _coral_constraint(kind, bound, rule)
        return ServiceError(style.code, f"Invalid parameter at '{where}' failed to satisfy constraint: '{text}'", 400)
    items = [_coral_item(operation, style, item) for item in out]
    plural = "error" if len(items) == 1 else "errors"
    return ServiceError(style.code, f"{len(items)} validation {plural} detected: " + "; ".join(items), 400)


def _cloudwatch_report(style: Style, out: list) -> ServiceError:
    missing = [item for item in out if item[2] == NULL]
    if missing:
        lines = [f"The parameter {query_path(item[0])} is required." for item in missing]
        return ServiceError(style.missing_code, "\n".join(lines), 400)
    lines = []
    for path, value, kind, bound, rule in out:
        name = query_path(path)
        if kind == ENUM:
            lines.append(f"The parameter {name} must be a value in the set [ {', '.join(bound)} ].")
        elif kind == LEN_MAX and rule is not None and rule.type in ("list", "map"):
            lines.append(f"The collection {name} must not contain more than {bound} items.")
        elif kind == LEN_MAX:
            lines.append(f"The parameter {name} must be shorter than {bound + 1} characters.")
        elif kind == LEN_MIN and rule is not None and rule.type in ("list", "map"):
            lines.append(f"The collection {name} must contain at least {bound} items.")  # unverified
        elif kind == LEN_MIN:
            lines.append(f"The parameter {name} must be longer than {bound - 1} characters.")  # unverified
        else:
            shown = java_string(value, rule.shape, rule.shapes) if rule else java_string(value)
            lines.append(f"The value {shown} for parameter {name} is invalid.")  # unverified
    return ServiceError(style.code, "\n".join(lines), 400)


_JSON_FAMILY = ("json", "rest-json", "smithy-rpc-v2-cbor")


def _type_code(operation: OperationModel, style: Style) -> str:
    return "SerializationException" if operation.service.protocol in _JSON_FAMILY else style.code


def _type_error(operation: OperationModel, style: Style, mismatch: _TypeMismatch) -> ServiceError:
    where = coral_path(operation, mismatch.path, style) if mismatch.path is not None else "input"
    got = type(mismatch.value).__name__
    message = f"Unexpected value of type {got} at '{where}': expected {mismatch.expected}."
    return ServiceError(_type_code(operation, style), message, 400)
