"""Errors of the expression engine, before they are named for the parameter they came from."""

from __future__ import annotations

from cloudlet.protocol.errors import ServiceError


class ExpressionError(Exception):
    """A problem with one expression; ``prefix`` says whether DynamoDB names the parameter.

    DynamoDB answers ``Invalid ConditionExpression: <message>`` for problems found in
    an expression and the bare message for some request-level ones.
    """

    def __init__(self, message: str, prefix: bool = True) -> None:
        super().__init__(message)
        self.message = message
        self.prefix = prefix

    def service_error(self, parameter: str) -> ServiceError:
        message = f"Invalid {parameter}: {self.message}" if self.prefix else self.message
        return ServiceError("ValidationException", message)


class EvaluationError(Exception):
    """A problem that only shows against an item (an update on a wrong-typed attribute)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def service_error(self) -> ServiceError:
        return ServiceError("ValidationException", self.message)
