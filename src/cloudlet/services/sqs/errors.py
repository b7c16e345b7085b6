"""SQS's errors in SQS's words (codes from its model; wording as the service sends it)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cloudlet.protocol.errors import ServiceError

if TYPE_CHECKING:
    from cloudlet.context import RequestContext


def queue_does_not_exist(ctx: RequestContext) -> ServiceError:
    # The query API still says what it said in the WSDL days.
    if ctx.protocol == "query":
        return ServiceError("QueueDoesNotExist", "The specified queue does not exist for this wsdl version.")
    return ServiceError("QueueDoesNotExist", "The specified queue does not exist.")


def invalid_parameter(message: str) -> ServiceError:
    return ServiceError("InvalidParameterValue", message)


def invalid_value(name: str, value: object, reason: str) -> ServiceError:
    return ServiceError("InvalidParameterValue", f"Value {value} for parameter {name} is invalid. Reason: {reason}")


def missing_parameter(name: str) -> ServiceError:
    return ServiceError("MissingParameter", f"The request must contain the parameter {name}.")


def invalid_attribute_name(message: str) -> ServiceError:
    return ServiceError("InvalidAttributeName", message)


def invalid_attribute_value(name: str, reason: str | None = None) -> ServiceError:
    message = f"Invalid value for the parameter {name}."
    if reason:
        message = f"Invalid value for the parameter {name}. Reason: {reason}"
    return ServiceError("InvalidAttributeValue", message)


def receipt_handle_invalid(handle: str) -> ServiceError:
    return ServiceError("ReceiptHandleIsInvalid", f'The input receipt handle "{handle}" is not a valid receipt handle.')
