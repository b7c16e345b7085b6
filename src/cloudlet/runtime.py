"""Everything one server owns: settings, clock, scheduler, bus, storage and the loaded providers."""

from __future__ import annotations

import asyncio
import importlib
import logging

from cloudlet.config import Config
from cloudlet.context import Identity, RequestContext
from cloudlet.engine.bus import EventBus
from cloudlet.engine.clock import Clock
from cloudlet.engine.scheduler import Scheduler
from cloudlet.gateway.auth import default_identity
from cloudlet.protocol.errors import not_implemented
from cloudlet.protocol.models import load_service
from cloudlet.services import PROVIDERS
from cloudlet.services.base import Provider
from cloudlet.services.sts.credentials import CredentialRegistry
from cloudlet.store.blobs import BlobStore
from cloudlet.store.sqlite import Database

log = logging.getLogger(__name__)


class Runtime:
    def __init__(self, config: Config) -> None:
        self.config = config
        self.clock = Clock()
        self.scheduler = Scheduler(self.clock)
        self.bus = EventBus()
        self.db = Database(config.database_path)
        self.blobs = BlobStore(config.blob_dir)
        self.credentials = CredentialRegistry(self.db)
        self.providers: dict[str, Provider] = {}
        self._loading: dict[str, asyncio.Future] = {}
        self.started = False

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self.scheduler.attach(loop)
        self.bus.attach(loop)
        self.started = True

    async def stop(self) -> None:
        for provider in list(self.providers.values()):
            try:
                await provider.stop()
            except Exception:
                log.exception("stopping %s failed", provider.service)
        self.scheduler.detach()
        self.db.close()
        self.blobs.close()
        self.started = False

    async def provider(self, service: str) -> Provider | None:
        """The service's provider, imported and started on first use; None if not built yet."""
        provider = self.providers.get(service)
        if provider is not None:
            return provider
        target = PROVIDERS.get(service)
        if target is None:
            return None
        pending = self._loading.get(service)
        if pending is not None:
            return await asyncio.shield(pending)
        future = self._loading[service] = asyncio.get_running_loop().create_future()
        try:
            module_name, class_name = target.split(":")
            provider = getattr(importlib.import_module(module_name), class_name)(self)
            await provider.start()
            self.providers[service] = provider
            future.set_result(provider)
            return provider
        except BaseException as e:
            future.set_exception(e)
            future.exception()  # retrieved: the caller re-raises it
            raise
        finally:
            del self._loading[service]

    async def invoke(self, ctx: RequestContext, params: dict) -> dict | None:
        """Run the provider method for ``ctx.operation``: synchronous ones inside one transaction."""
        assert ctx.operation is not None
        provider = self.providers.get(ctx.service.name) or await self.provider(ctx.service.name)
        found = provider.handler(ctx.operation.name) if provider is not None else None
        if found is None:
            raise not_implemented(ctx.service.name, ctx.operation.name)
        handler, is_async = found
        if is_async:
            return await handler(ctx, params)
        with self.db.transaction():
            return handler(ctx, params)

    async def call(
        self, service: str, operation: str, params: dict, *, account: str, region: str,
        identity: Identity | None = None,
    ) -> dict | None:
        """One service calling another in-process, with the dicts a client would send.

        The parameters are validated as a client's would be; errors are the same
        ``ServiceError``s a client would get.
        """
        from cloudlet.protocol.validate import validate

        model = load_service(service)
        ctx = RequestContext(
            model, model.operation(operation), None, "internal", region, identity or default_identity(account)
        )
        validate(ctx.operation, params)
        return await self.invoke(ctx, params)

    async def reset(self, service: str | None = None) -> list[str]:
        """Forget the state of one service or of all; returns the services reset."""
        names = [service] if service else list(PROVIDERS)
        for name in names:
            provider = await self.provider(name)
            if provider is not None:
                provider.reset()
        if service is None:
            self.db.clear()
            self.blobs.clear()
        return names
