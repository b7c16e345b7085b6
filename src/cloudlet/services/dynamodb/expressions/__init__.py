"""DynamoDB's expression language: one tokenizer, parser, binder and evaluator for all five kinds.

    exprs = RequestExpressions(params)                 # names and values, validated once
    condition = exprs.condition(params.get("ConditionExpression"), "ConditionExpression")
    ...
    exprs.finish()                                     # names or values nobody used are an error
    evaluate(condition, item)

Parsing depends only on the text and is cached by it; binding to the request's
ExpressionAttributeNames and ExpressionAttributeValues is a short walk per request.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

from cloudlet.protocol.errors import ServiceError
from cloudlet.services.dynamodb.expressions import parser
from cloudlet.services.dynamodb.expressions.binder import Binder
from cloudlet.services.dynamodb.expressions.errors import EvaluationError, ExpressionError
from cloudlet.services.dynamodb.expressions.evaluate import evaluate, project, resolve
from cloudlet.services.dynamodb.expressions.update import apply_update
from cloudlet.services.dynamodb.values import Checked, check_value

__all__ = [
    "RequestExpressions", "ExpressionError", "EvaluationError", "evaluate", "project", "resolve", "apply_update",
]


MAX_EXPRESSION_BYTES = 4096  # any one expression, measured as sent: names and values not substituted


def _sized(parse: Callable[[str], object]) -> Callable[[str], object]:
    """``parse`` behind the size limit and a cache of results (errors included) by the text."""

    @lru_cache(maxsize=2048)
    def cached(text: str) -> object:
        try:
            return parse(text)
        except ExpressionError as e:
            return e

    def parsed(text: str) -> object:
        if len(text) > MAX_EXPRESSION_BYTES // 4 and (size := len(text.encode())) > MAX_EXPRESSION_BYTES:
            return ExpressionError(f"Expression size has exceeded the maximum allowed size; expression size: {size}")
        return cached(text)

    return parsed


_condition = _sized(parser.parse_condition)
_update = _sized(parser.parse_update)
_projection = _sized(parser.parse_projection)


_NAME_KEY = re.compile(r"#[A-Za-z0-9_]+")
_VALUE_KEY = re.compile(r":[A-Za-z0-9_]+")


def _invalid(message: str) -> ServiceError:
    return ServiceError("ValidationException", message)


def validate_values(values: dict | None) -> dict | None:
    """ExpressionAttributeValues: keys start with ':', values are valid attribute values."""
    if values is None:
        return None
    if not values:
        raise _invalid("ExpressionAttributeValues must not be empty")
    out = {}
    seen = Checked()
    for key, value in values.items():
        if _VALUE_KEY.fullmatch(key) is None:
            raise _invalid(f'ExpressionAttributeValues contains invalid key: Syntax error; key: "{key}"')
        try:
            out[key] = check_value(value, seen)[0]
        except ServiceError as e:
            raise _invalid(f"ExpressionAttributeValues contains invalid value: {e.message} for key {key}")
    return out


def validate_names(names: dict | None) -> dict | None:
    if names is None:
        return None
    if not names:
        raise _invalid("ExpressionAttributeNames must not be empty")
    for key, value in names.items():
        if _NAME_KEY.fullmatch(key) is None:
            raise _invalid(f'ExpressionAttributeNames contains invalid key: Syntax error; key: "{key}"')
        if not value:
            raise _invalid(f"ExpressionAttributeNames contains invalid value: Empty attribute name for key {key}")
    return names


class RequestExpressions:
    """The expressions of one request (or of one transaction item), bound to its names and values."""

    def __init__(self, names: dict | None, values: dict | None) -> None:
        self.raw_names = names
        self.raw_values = values
        self.binder = Binder(validate_names(names), validate_values(values))
        self.used = False

    def condition(self, text: str | None, parameter: str) -> tuple | None:
        if text is None:
            return None
        self.used = True
        parsed = _condition(text)
        try:
            if isinstance(parsed, ExpressionError):
                raise parsed
            return self.binder.condition(parsed)
        except ExpressionError as e:
            raise e.service_error(parameter)

    def update(self, text: str | None) -> list[tuple] | None:
        if text is None:
            return None
        self.used = True
        parsed = _update(text)
        try:
            if isinstance(parsed, ExpressionError):
                raise parsed
            return self.binder.update(parsed)
        except ExpressionError as e:
            raise e.service_error("UpdateExpression")

    def projection(self, text: str | None) -> list[tuple] | None:
        if text is None:
            return None
        self.used = True
        parsed = _projection(text)
        try:
            if isinstance(parsed, ExpressionError):
                raise parsed
            return self.binder.projection(parsed)
        except ExpressionError as e:
            raise e.service_error("ProjectionExpression")

    def finish(self) -> None:
        """Names and values that no expression used are an error, as is giving them with no expression."""
        names, values = self.raw_names, self.raw_values
        if not self.used:
            if values is not None:
                raise _invalid("ExpressionAttributeValues can only be specified when using expressions")
            if names is not None:
                raise _invalid("ExpressionAttributeNames can only be specified when using expressions")
            return
        if names:
            unused = [k for k in names if k not in self.binder.used_names]
            if unused:
                raise _invalid(
                    "Value provided in ExpressionAttributeNames unused in expressions: keys: {" + ", ".join(unused) + "}"
                )
        if values:
            unused = [k for k in values if k not in self.binder.used_values]
            if unused:
                raise _invalid(
                    "Value provided in ExpressionAttributeValues unused in expressions: keys: {" + ", ".join(unused) + "}"
                )
