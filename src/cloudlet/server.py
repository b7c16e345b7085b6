"""Building the ASGI app and running it: in the foreground (the CLI) or in a thread (tests, embedding).

Both paths go through ``_make_server``: one way to start Cloudlet.
"""

from __future__ import annotations

import asyncio
import socket
import sys
import threading
from collections.abc import Callable
from types import FrameType

import uvicorn

from cloudlet.config import Config
from cloudlet.gateway.app import Gateway
from cloudlet.runtime import Runtime


def build_app(config: Config) -> Gateway:
    return Gateway(Runtime(config))


def _event_loop() -> str:
    if sys.platform == "win32":
        return "asyncio"
    try:
        import uvloop  # noqa: F401
    except ImportError:
        return "asyncio"
    return "uvloop"


class _Server(uvicorn.Server):
    """uvicorn's server, telling us the moment it answers requests."""

    def __init__(self, config: uvicorn.Config, on_ready: Callable[[], None] | None) -> None:
        super().__init__(config)
        self._on_ready = on_ready
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None

    async def main_loop(self) -> None:
        """Sleep until asked to exit (uvicorn's own loop wakes ten times a second)."""
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        while not self.should_exit:
            await self._wake.wait()
            self._wake.clear()

    def request_exit(self) -> None:
        """Stop the server; safe from any thread."""
        self.should_exit = True
        if self._loop is not None and self._wake is not None:
            self._loop.call_soon_threadsafe(self._wake.set)

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        super().handle_exit(sig, frame)
        self.request_exit()
        # A requested stop ends in a clean exit (status 0) once state is flushed; uvicorn would
        # otherwise re-raise the signal after shutting down.
        self._captured_signals.clear()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started and self._on_ready is not None:
            self._on_ready()


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY only on sockets that say they are TCP
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _make_server(config: Config, on_ready: Callable[[], None] | None) -> tuple[_Server, socket.socket, Gateway]:
    app = build_app(config)
    sock = _bind(config.host, config.port)
    uv_config = uvicorn.Config(
        app,
        loop=_event_loop(),
        http="httptools",
        lifespan="on",
        log_level="warning",
        access_log=False,
        server_header=False,
        proxy_headers=False,  # Cloudlet is the edge: no per-request proxy-header middleware
        date_header=False,  # the gateway writes Date itself: uvicorn's needs a timer ticking when idle
        timeout_graceful_shutdown=5,
        timeout_keep_alive=60,
    )
    return _Server(uv_config, on_ready), sock, app


def endpoint_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def serve(config: Config, on_ready: Callable[[str], None] | None = None) -> None:
    """Run in the foreground until SIGINT/SIGTERM; state is flushed on the way out."""
    holder: dict[str, str] = {}
    server, sock, _ = _make_server(config, lambda: on_ready and on_ready(holder["endpoint"]))
    holder["endpoint"] = endpoint_of(sock)
    server.run(sockets=[sock])


class ServerThread:
    """A real Cloudlet server in a background thread, on a free port unless told otherwise."""

    def __init__(self, config: Config | None = None) -> None:
        self.config = config or Config(port=0, ephemeral=True)
        self._ready = threading.Event()
        self._server, self._sock, self.app = _make_server(self.config, self._ready.set)
        self.endpoint = endpoint_of(self._sock)
        self._thread = threading.Thread(target=self._run, name="cloudlet-server", daemon=True)
        self._error: BaseException | None = None

    def _run(self) -> None:
        try:
            self._server.run(sockets=[self._sock])  # uvicorn skips signal handlers off the main thread
        except BaseException as e:  # surfaced by start()
            self._error = e
            self._ready.set()

    def start(self, timeout: float = 30) -> ServerThread:
        self._thread.start()
        if not self._ready.wait(timeout) or self._error is not None:
            raise RuntimeError(f"Cloudlet did not start: {self._error!r}")
        return self

    def stop(self, timeout: float = 30) -> None:
        self._server.request_exit()
        self._thread.join(timeout)
        self._sock.close()

    @property
    def runtime(self) -> Runtime:
        return self.app.runtime

    def __enter__(self) -> ServerThread:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
