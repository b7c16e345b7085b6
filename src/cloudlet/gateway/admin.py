"""Cloudlet's own endpoints under ``/_cloudlet/`` (and LocalStack's health path for existing tooling)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from cloudlet.http import Request, Response
from cloudlet.services import PROVIDERS

if TYPE_CHECKING:
    from cloudlet.runtime import Runtime


def cloudlet_version() -> str:
    from importlib.metadata import PackageNotFoundError, version  # costs start-up time; rarely needed

    try:
        return version("cloudlet")
    except PackageNotFoundError:
        return "0+unknown"


def json_response(document: Any, status: int = 200, headers: list[tuple[str, str]] | None = None) -> Response:
    body = json.dumps(document, indent=None, separators=(",", ":")).encode()
    return Response(status, [("Content-Type", "application/json"), *(headers or [])], body)


class Admin:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    async def handle(self, request: Request) -> Response:
        path = request.raw_path.rstrip("/")
        method = request.method
        if request.stream is not None and not request.stream.exhausted:
            request.body = await request.stream.read(1 << 20)
        routes = {
            ("GET", "/_cloudlet/health"): self.health,
            ("HEAD", "/_cloudlet/health"): self.health,
            ("GET", "/_localstack/health"): self.localstack_health,
            ("HEAD", "/_localstack/health"): self.localstack_health,
            ("POST", "/_cloudlet/reset"): self.reset,
            ("GET", "/_cloudlet/clock"): self.clock,
            ("POST", "/_cloudlet/clock"): self.advance_clock,
        }
        handler = routes.get((method, path))
        if handler is None and path.startswith("/_cloudlet/"):
            service, _, rest = path[len("/_cloudlet/"):].partition("/")
            if service in PROVIDERS:
                # /_cloudlet/<service>/...: the service's own admin routes (messages kept for tests,
                # certificates...); its provider is loaded on demand, like for an API call
                provider = await self.runtime.provider(service)
                response = await provider.admin(request, rest) if provider is not None else None
                if response is not None:
                    return response
        if handler is None:
            allowed = [m for (m, p) in routes if p == path]
            if allowed:
                return json_response({"error": f"{method} is not allowed here; use {', '.join(allowed)}"}, 405)
            return json_response({"error": f"no admin endpoint at {path}"}, 404)
        try:
            return await handler(request)
        except ValueError as e:
            return json_response({"error": str(e)}, 400)

    def _services(self) -> dict[str, str]:
        return {name: "running" if name in self.runtime.providers else "available" for name in PROVIDERS}

    async def health(self, request: Request) -> Response:
        return json_response({
            "status": "running",
            "version": cloudlet_version(),
            "services": self._services(),
            "persistence": not self.runtime.config.ephemeral,
            "clock": {"now": self.runtime.clock.now(), "offset": self.runtime.clock.offset},
        })

    async def localstack_health(self, request: Request) -> Response:
        return json_response({
            "services": self._services(),
            "edition": "community",
            "version": f"cloudlet-{cloudlet_version()}",
        })

    def _body(self, request: Request) -> dict:
        if not request.body.strip():
            return {}
        try:
            document = json.loads(request.body)
        except ValueError:
            raise ValueError("the body must be a JSON object")
        if not isinstance(document, dict):
            raise ValueError("the body must be a JSON object")
        return document

    async def reset(self, request: Request) -> Response:
        service = request.query_value("service") or self._body(request).get("service")
        if service is not None and service not in PROVIDERS:
            return json_response({"error": f"unknown service {service!r}"}, 404)
        return json_response({"reset": await self.runtime.reset(service)})

    async def clock(self, request: Request) -> Response:
        clock = self.runtime.clock
        return json_response({"now": clock.now(), "offset": clock.offset})

    async def advance_clock(self, request: Request) -> Response:
        raw = request.query_value("advance")
        if raw is None:
            raw = self._body(request).get("advance")
        try:
            seconds = float(raw)
        except (TypeError, ValueError):
            raise ValueError("give the seconds to advance as 'advance' (query or JSON body)")
        if not 0 <= seconds < 10 * 365 * 86400 or seconds != seconds:
            raise ValueError("'advance' must be between 0 and ten years of seconds")
        clock = self.runtime.clock
        clock.advance(seconds)
        await self.runtime.bus.drain()
        return json_response({"now": clock.now(), "offset": clock.offset})
