"""The one error type every layer raises; each protocol serializes it in its own format."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cloudlet.protocol.models import OperationModel, ServiceModel


class ServiceError(Exception):
    """An error a client sees: code, message, HTTP status and any modelled fields.

    ``code`` may be the error shape's name or its query-compatible code; the
    serializer finds the shape in the service model either way and takes the
    status from it unless ``status`` is given.  ``fields`` carries the shape's
    other members (e.g. DynamoDB's ``CancellationReasons``) and ``headers``
    extra response headers.
    """

    def __init__(
        self,
        code: str,
        message: str = "",
        status: int | None = None,
        *,
        sender_fault: bool | None = None,
        headers: dict[str, str] | None = None,
        **fields: Any,
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status
        self.sender_fault = sender_fault
        self.headers = headers or {}
        self.fields = fields


def not_implemented(service: str, operation: str) -> ServiceError:
    return ServiceError(
        "NotImplemented",
        f"The operation {operation} of service {service} is not implemented in Cloudlet yet.",
        501,
        sender_fault=False,
    )


def validation_error(message: str, service_kind: str = "json") -> ServiceError:
    """A request that is malformed before any shape is known (bad JSON, bad XML...)."""
    code = "ValidationError" if service_kind == "query" else "ValidationException"
    return ServiceError(code, message, 400)


class ResolvedError:
    """A ServiceError looked up in its service's model."""

    __slots__ = ("shape", "code", "query_code", "status", "sender_fault", "message_key")

    def __init__(self, service: ServiceModel, error: ServiceError, operation: OperationModel | None = None) -> None:
        # Several shapes may share a query code (CloudWatch's ResourceNotFound): the operation's own win.
        shape = None
        if operation is not None:
            for candidate in operation.error_shapes:
                if error.code in (candidate.name, candidate.error_code):
                    shape = candidate
                    break
        if shape is None:
            shape = service.error_shapes.get(error.code)
        self.shape = shape
        self.code = shape.name if shape is not None else error.code
        self.query_code = shape.error_code if shape is not None else error.code
        self.status = error.status or (shape.error_status if shape is not None else 400)
        if error.sender_fault is not None:
            self.sender_fault = error.sender_fault
        else:
            self.sender_fault = shape.sender_fault if shape is not None else self.status < 500
        key = "message"
        if shape is not None:
            for candidate in ("message", "Message", "errorMessage", "ErrorMessage"):
                if candidate in shape.members:
                    key = candidate
                    break
        self.message_key = key

    def fields(self, error: ServiceError) -> dict[str, Any]:
        """The modelled members to send beside code and message."""
        if self.shape is None:
            return dict(error.fields)
        members = self.shape.members
        return {k: v for k, v in error.fields.items() if k in members and v is not None}
