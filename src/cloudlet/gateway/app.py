"""The ASGI application: one request through route -> authenticate -> parse -> validate -> dispatch.

Each step is a small function of its own; any ``ServiceError`` on the way is
answered in the protocol the client spoke, and anything else becomes the
service's internal error without a traceback reaching the client.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from email.utils import formatdate

from cloudlet.context import DEFAULT_REGION, RequestContext, new_request_id
from cloudlet.gateway.admin import Admin, json_response
from cloudlet.gateway.auth import Authenticator, Signature, read_signature
from cloudlet.gateway.routing import Route, Router
from cloudlet.http import ClientDisconnected, MalformedForm, PayloadTooLarge, Request, Response
from cloudlet.protocol import WireProtocol, get_protocol
from cloudlet.protocol.errors import ServiceError
from cloudlet.protocol.models import OperationModel, load_service
from cloudlet.runtime import Runtime
from cloudlet.services import PROVIDERS
from cloudlet.services.base import Provider

log = logging.getLogger(__name__)

Observer = Callable[[RequestContext, Response], None]


def unknown_operation(protocol: str, request: Request) -> ServiceError:
    if protocol == "query":
        try:
            action = request.form.get("Action")
        except MalformedForm as e:
            return ServiceError("MalformedQueryString", str(e), 404)
        if not action:
            return ServiceError("MissingAction", "The request is missing an action or a required parameter.", 400)
        return ServiceError(
            "InvalidAction",
            "The action or operation requested is invalid. Verify that the action is typed correctly.",
            400,
        )
    if protocol == "rest-xml":
        return ServiceError(
            "MethodNotAllowed", "The specified method is not allowed against this resource.", 405,
            Method=request.method, ResourceType="OBJECT" if request.raw_path.count("/") > 1 else "BUCKET",
        )
    if protocol == "rest-json":
        return ServiceError("UnknownOperationException", "", 404)
    return ServiceError("UnknownOperationException", "", 400)


def validator(operation: OperationModel) -> Callable[[dict], None] | None:
    """The operation's model validation, None when its model constrains nothing.

    The validation module (and its tables) is imported on the first request, not at start-up."""
    from cloudlet.protocol.validate import validator as model_validator

    return model_validator(operation)


def internal_failure() -> ServiceError:
    return ServiceError("InternalFailure", "The request processing has failed because of an unknown error.", 500)


class Gateway:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.router = Router()
        self.auth = Authenticator(runtime)
        self.admin = Admin(runtime)
        self.observers: list[Observer] = []  # e.g. CloudTrail, metrics: told of every answered call
        self._hooks: dict[str, Provider | None] = {}  # service -> its provider when it has HTTP hooks
        self._plans: dict[tuple, tuple] = {}  # (service, protocol, operation) -> Gateway._plan

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] == "http":
            request = Request.from_asgi(scope, receive)
            response = await self.handle(request)
            stream = request.stream
            if stream is not None and stream.length and not stream.exhausted and \
                    request.headers.get("expect", "").lower() == "100-continue":
                # Answered before reading the body (an early error): the client was never told
                # "100 Continue" and will not send it, so this connection cannot carry another request.
                response.headers.append(("Connection", "close"))
            await send_response(send, response, head=request.method == "HEAD")
        elif scope["type"] == "lifespan":
            await self._lifespan(receive, send)

    async def _lifespan(self, receive: Callable, send: Callable) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await self.runtime.start()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.runtime.stop()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def handle(self, request: Request) -> Response:
        if request.raw_path.startswith(("/_cloudlet/", "/_localstack/")):
            return await self.admin.handle(request)
        too_large = None
        try:
            if request.method == "POST" and request.content_type == "application/x-www-form-urlencoded":
                # query protocol: the Action that routing needs is in the body
                request.body = await request.stream.read(self.runtime.config.max_body)
        except PayloadTooLarge as e:
            too_large = e  # answered below in the protocol of the service the headers name
        except ClientDisconnected:
            log.info("client disconnected before sending its whole body")
            return Response(400)  # written to no one: the connection is gone
        signature = read_signature(request)
        route = self.router.route(request, signature)
        if route.service == "execute-api":
            return json_response(
                {"message": "API Gateway invocations are not implemented in Cloudlet yet."}, 501,
                [("x-amzn-RequestId", new_request_id()), ("x-amzn-ErrorType", "NotImplemented")],
            )
        return await self.dispatch(request, route, signature, too_large)

    async def dispatch(
        self, request: Request, route: Route, signature: Signature | None, too_large: PayloadTooLarge | None = None
    ) -> Response:
        plan = self._plans.get((route.service, route.protocol, route.operation))
        if plan is None:
            plan = self._plan(route)
        service, protocol, operation, check = plan
        if route.path is not None:
            request.raw_path = route.path
            request.__dict__.pop("path", None)
        ctx = RequestContext(
            service, operation, request, route.protocol,
            signature.region if signature is not None and signature.region else DEFAULT_REGION,
        )
        hooks: Provider | None = None
        try:
            if too_large is not None:
                raise too_large
            hooks = self._hooks.get(route.service, False)
            if hooks is False:
                hooks = await self._find_hooks(route.service)
            answered = await hooks.intercept(ctx) if hooks is not None else None
            if answered is not None:
                response = answered
            else:
                if operation is None:
                    raise unknown_operation(route.protocol, request)
                stream = request.stream
                if operation.streaming_input is None and stream is not None and not stream.exhausted:
                    request.body = await stream.read(self.runtime.config.max_body)
                ctx.identity = self.auth.authenticate(request, signature, route.protocol)
                params = protocol.parse(request, operation)
                if check is not None:
                    check(params)
                result = await self.runtime.invoke(ctx, params)
                response = protocol.serialize(ctx, operation, result)
        except ServiceError as error:
            response = self._error(protocol, ctx, error)
        except PayloadTooLarge as error:
            response = self._error(
                protocol, ctx, ServiceError("RequestEntityTooLarge", f"Request body larger than {error.limit} bytes", 413)
            )
        except ClientDisconnected:  # a network event, not a failure: no trace in the log
            log.info("%s.%s: client disconnected before sending its whole body", service.name,
                     operation.name if operation else "?")
            response = self._error(protocol, ctx, ServiceError(
                "IncompleteBody", "You did not provide the number of bytes specified by the Content-Length HTTP header.",
                400,
            ))
        except Exception:
            log.exception("%s.%s failed", service.name, operation.name if operation else "?")
            response = self._error(protocol, ctx, internal_failure())
        if hooks:
            hooks.decorate(ctx, response)
        for observer in self.observers:
            observer(ctx, response)
        return response

    def _plan(self, route: Route) -> tuple:
        """What dispatch needs of a route, resolved once: (service, protocol, operation, validator)."""
        service = load_service(route.service)
        protocol = get_protocol(route.protocol)
        operation = service.operation(route.operation) if route.operation else None
        plan = (service, protocol, operation, validator(operation) if operation is not None else None)
        self._plans[(route.service, route.protocol, route.operation)] = plan
        return plan

    async def _find_hooks(self, service: str) -> Provider | None:
        """The service's provider when it overrides the HTTP hooks (S3: CORS, website, form uploads)."""
        provider = await self.runtime.provider(service) if service in PROVIDERS else None
        cls = type(provider)
        found = provider if provider is not None and (
            cls.intercept is not Provider.intercept or cls.decorate is not Provider.decorate) else None
        self._hooks[service] = found
        return found

    @staticmethod
    def _error(protocol: WireProtocol, ctx: RequestContext, error: ServiceError) -> Response:
        try:
            return protocol.serialize_error(ctx, error)
        except Exception:  # an error that cannot be written must still not reach the client as a trace
            log.exception("serializing %s failed", error.code)
            return protocol.serialize_error(ctx, internal_failure())


_date_cache: list = [0, b""]


# What HTTP/1.1 cannot carry in a header value (tab is allowed)
_BAD_HEADER_VALUE = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")


def _encode_headers(response: Response) -> tuple[list[tuple[bytes, bytes]], bool]:
    """The headers as bytes, and whether they include Content-Length; ValueError for a value
    HTTP cannot carry.

    Checked here because uvicorn, refusing such a value, has already marked the response started:
    nothing else could be sent and the connection would just drop."""
    headers = [(k.encode("latin-1"), str(v).encode("latin-1")) for k, v in response.headers]
    if _BAD_HEADER_VALUE.search(b"".join([v for _, v in headers])):
        raise ValueError("a header value with a control character")
    for name, _ in headers:
        if len(name) == 14 and name.lower() == b"content-length":
            return headers, True
    return headers, False


async def send_response(send: Callable, response: Response, head: bool = False) -> None:
    try:
        headers, sized = _encode_headers(response)
    except ValueError:  # a service let a value through that it should have refused: a bug, but still an answer
        log.exception("cannot send the headers %r", response.headers)
        response = Response(500, [("Content-Type", "text/plain")], b"Cloudlet could not encode this answer's headers.")
        headers, sized = _encode_headers(response)
    # The Date header: wall time (clients correct clock skew by it), formatted once a second.
    now = int(time.time())
    if _date_cache[0] != now:
        _date_cache[0], _date_cache[1] = now, formatdate(now, usegmt=True).encode()
    headers.append((b"date", _date_cache[1]))
    body = response.body
    if body.__class__ is bytes or isinstance(body, bytes | bytearray):
        if not sized:
            headers.append((b"content-length", b"%d" % len(body)))
        await send({"type": "http.response.start", "status": response.status, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if head else bytes(body)})
        return
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    if not head:
        async for chunk in body:
            if chunk:
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
    await send({"type": "http.response.body", "body": b""})
