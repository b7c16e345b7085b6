"""Run an ASGI app (the floor or Cloudlet) under one of the candidate servers, in the foreground.

    python -m bench.host --app floor --server uvicorn --port 8001

``uvicorn`` is Cloudlet's own stack (``UVICORN_OPTIONS`` mirrors ``cloudlet.server._make_server``;
``bench.run`` checks that they agree). The others exist to compare ASGI servers. Imports are kept
lazy so that the floor's start-up and memory are those of the server alone. Prints ``Ready.``
once the server listens (for servers without a hook: once the app's lifespan start-up is done).
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import socket
import sys
from collections.abc import Callable

# The options cloudlet.server._make_server gives uvicorn (loop and http are per candidate below).
UVICORN_OPTIONS = {
    "lifespan": "on",
    "log_level": "warning",
    "access_log": False,
    "server_header": False,
    "proxy_headers": False,
    "date_header": False,  # Cloudlet's gateway writes Date itself; so does the floor
    "timeout_graceful_shutdown": 5,
    "timeout_keep_alive": 60,
}

# name -> (runner, event loop, http implementation)
SERVERS: dict[str, tuple[str, str, str]] = {
    "uvicorn": ("uvicorn", "uvloop", "httptools"),  # Cloudlet's choice
    "uvicorn-asyncio-h11": ("uvicorn", "asyncio", "h11"),
    "uvicorn-asyncio-httptools": ("uvicorn", "asyncio", "httptools"),
    "uvicorn-uvloop-h11": ("uvicorn", "uvloop", "h11"),
    "hypercorn": ("hypercorn", "asyncio", "h11"),
    "hypercorn-uvloop": ("hypercorn", "uvloop", "h11"),
    "granian-embed": ("granian-embed", "uvloop", "rust"),
    "granian": ("granian", "uvloop", "rust"),
}


def load_app(name: str, port: int) -> Callable:
    if name == "floor":
        from bench.floor import app

        return app
    if name == "s3-ceiling":
        from bench.s3ceiling import app

        return app
    return cloudlet_app(port)


def cloudlet_app(port: int = 0) -> Callable:
    from cloudlet.config import Config
    from cloudlet.server import build_app

    return build_app(Config(port=port, ephemeral=True))


def ready() -> None:
    print("Ready.", flush=True)


def announce_after_lifespan(app: Callable) -> Callable:
    """Wrap ``app`` so that ``Ready.`` is printed when its lifespan start-up completes."""

    async def wrapped(scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "lifespan":
            return await app(scope, receive, send)

        async def send_and_tell(message: dict) -> None:
            await send(message)
            if message["type"] == "lifespan.startup.complete":
                ready()

        await app(scope, receive, send_and_tell)

    return wrapped


def bind(host: str, port: int, proto0: bool = False) -> socket.socket:
    """As cloudlet.server._bind does (IPPROTO_TCP), or with protocol 0 as it did before e6f5a5c.

    On a protocol-0 socket asyncio's loop (not uvloop) never sets TCP_NODELAY on accepted
    connections, so each response waits on the client's delayed ACK: ~40 ms a call.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 0 if proto0 else socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def uvicorn_server_class() -> type:
    """uvicorn.Server with the methods cloudlet.server._Server overrides, doing the same thing."""
    import uvicorn

    class Server(uvicorn.Server):
        async def main_loop(self) -> None:
            # as Cloudlet: sleep until told to exit, instead of uvicorn's tick ten times a second
            self._loop, self._wake = asyncio.get_running_loop(), asyncio.Event()
            while not self.should_exit:
                await self._wake.wait()
                self._wake.clear()

        def request_exit(self) -> None:
            self.should_exit = True
            if hasattr(self, "_wake"):  # from a signal handler: wake the loop through its self-pipe
                self._loop.call_soon_threadsafe(self._wake.set)

        def handle_exit(self, sig: int, frame: object) -> None:
            super().handle_exit(sig, frame)
            self.request_exit()
            self._captured_signals.clear()

        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets)
            if self.started:
                ready()

    return Server


def run_uvicorn(app: Callable, host: str, port: int, loop: str, http: str, proto0: bool) -> None:
    import uvicorn

    config = uvicorn.Config(app, loop=loop, http=http, **UVICORN_OPTIONS)
    uvicorn_server_class()(config).run(sockets=[bind(host, port, proto0)])


def event_loop_runner(loop: str) -> Callable:
    if loop == "uvloop":
        import uvloop

        return uvloop.run
    return asyncio.run


def run_hypercorn(app: Callable, host: str, port: int, loop: str) -> None:
    from hypercorn.asyncio import serve
    from hypercorn.config import Config

    config = Config()
    config.bind = [f"{host}:{port}"]
    config.keep_alive_timeout = 60
    config.keep_alive_max_requests = 2**31  # default 1000: it would close the benchmark's connections
    config.include_server_header = config.include_date_header = False  # the app writes Date, as Cloudlet's does
    config.loglevel = "WARNING"
    config.accesslog = None

    async def main() -> None:
        done = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGINT, done.set)
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, done.set)
        await serve(announce_after_lifespan(app), config, shutdown_trigger=done.wait)

    event_loop_runner(loop)(main())


def run_granian_embedded(app: Callable, host: str, port: int, loop: str) -> None:
    from granian.constants import Interfaces
    from granian.server.embed import Server

    server = Server(announce_after_lifespan(app), address=host, port=port, interface=Interfaces.ASGI,
                    log_enabled=False, websockets=False)

    async def main() -> None:
        asyncio.get_running_loop().add_signal_handler(signal.SIGINT, server.stop)
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, server.stop)
        await server.serve()

    event_loop_runner(loop)(main())


def run_granian(app_name: str, host: str, port: int, loop: str) -> None:
    # The standard (multi-process) Granian: a supervisor and one worker process importing the app.
    from granian import Granian
    from granian.constants import Interfaces

    target, factory = ("bench.floor:app", False) if app_name == "floor" else ("bench.host:cloudlet_app", True)
    Granian(target, address=host, port=port, interface=Interfaces.ASGI, workers=1, loop=loop,
            log_enabled=False, websockets=False, factory=factory).serve()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.host")
    parser.add_argument("--app", choices=("floor", "cloudlet", "s3-ceiling"), default="floor")
    parser.add_argument("--server", choices=sorted(SERVERS), default="uvicorn")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--proto0", action="store_true", help="uvicorn only: bind a protocol-0 socket (the old bug)")
    args = parser.parse_args(argv)
    runner, loop, http = SERVERS[args.server]
    if runner == "granian":
        run_granian(args.app, args.host, args.port, loop)
        return 0
    app = load_app(args.app, args.port)
    try:
        if runner == "uvicorn":
            run_uvicorn(app, args.host, args.port, loop, http, args.proto0)
        elif runner == "hypercorn":
            run_hypercorn(app, args.host, args.port, loop)
        else:
            run_granian_embedded(app, args.host, args.port, loop)
    except KeyboardInterrupt:  # uvicorn re-raises the SIGINT it handled once it has shut down
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
