"""What every service provider shares: its runtime, its declared state, its operations."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from cloudlet.protocol.models import snake_case
from cloudlet.store.scope import State

if TYPE_CHECKING:
    from cloudlet.context import RequestContext
    from cloudlet.http import Request, Response
    from cloudlet.runtime import Runtime

Handler = Callable[["RequestContext", dict], Any]


class Provider:
    """One method per operation, named in snake case: ``GetCallerIdentity`` -> ``get_caller_identity``.

    A method takes the request context and the parsed input and returns the
    output dict; it may be ``async`` when it has to wait (long polls,
    streams).  Synchronous methods run inside one database transaction, so a
    failing call leaves nothing half-written.
    """

    service: ClassVar[str]
    states: ClassVar[tuple[type[State], ...]] = ()

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self._handlers: dict[str, tuple[Handler, bool] | None] = {}

    def handler(self, operation: str) -> tuple[Handler, bool] | None:
        """The method for an operation and whether it is async; None if not built yet."""
        found = self._handlers.get(operation)
        if found is None and operation not in self._handlers:
            method = getattr(self, snake_case(operation), None)
            found = self._handlers[operation] = (method, inspect.iscoroutinefunction(method)) if method else None
        return found

    @classmethod
    def implements(cls, operation: str) -> bool:
        return callable(getattr(cls, snake_case(operation), None))

    async def admin(self, request: Request, path: str) -> Response | None:
        """Answer ``/_cloudlet/<service>/<path>`` (Cloudlet's own endpoints for this service,
        e.g. messages kept for tests to read); None when there is nothing at that path (404)."""
        return None

    async def intercept(self, ctx: RequestContext) -> Response | None:
        """Answer an HTTP request before it is read as an operation (S3: CORS preflights, browser
        form uploads, website hosting); None lets it go on.  Runs before authentication."""
        return None

    def decorate(self, ctx: RequestContext, response: Response) -> None:
        """Adjust every answer this service gives, errors included (S3: CORS headers)."""

    async def start(self) -> None:
        """Called once when the server starts or the provider is first loaded."""

    async def stop(self) -> None:
        """Called once when the server stops."""

    def reset(self) -> None:
        """Forget all state: every declared table, then whatever the provider keeps in memory."""
        for state in self.states:
            state.reset(self.runtime.db)
