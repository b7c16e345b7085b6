"""Where Cloudlet's time goes per call, two ways. Writes bench/results/profile.md.

    .venv/bin/python -m bench.profiling [--operation dynamodb.describe_limits] [--seconds 10]

1. In-process: the ASGI app alone (no HTTP server, no sockets) is called with the exact request boto3
   sends, timed without a profiler and then under cProfile: Cloudlet's own cost per call, function by
   function (cProfile's times are scaled back by its own overhead, measured in the same run).
2. Whole server: py-spy samples the real ``cloudlet start`` process under boto3 load, to show the split
   between Cloudlet's code and the server stack. Needs py-spy in the venv (``pip install py-spy``) and
   the right to ptrace (root, or ptrace_scope 0). py-spy counts part of the event loop's idle time as
   active, so its shares are indicative; the absolute figures come from part 1 and from /proc.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from bench.load import OPERATIONS, boto3_request, make_clients, run_case
from bench.proc import BIN, ROOT, Server, cloudlet_command, free_port

OWN = "/src/cloudlet/"
BOOT = ("/src/cloudlet/cli.py", "/src/cloudlet/server.py")  # on every stack: start-up, not per call
FRAME = re.compile(r"^(?P<name>.*) \((?P<file>.*?)(?::\d+)?\)$")


def short_file(file: str) -> str:
    for marker in (OWN, "/site-packages/"):
        if marker in file:
            return file.split(marker, 1)[1]
    return re.sub(r"^.*/lib/python3\.\d+/", "", file)


# -- 1. in-process --------------------------------------------------------------------------------


def boto3_scope(operation: str) -> tuple[dict, bytes]:
    """The ASGI scope and body of the request boto3 sends for ``operation``."""
    method, target, headers, body = boto3_request(operation)
    path, _, query = target.partition("?")
    scope = {
        "type": "http", "http_version": "1.1", "method": method, "scheme": "http",
        "path": path, "raw_path": path.encode(), "query_string": query.encode(),
        "headers": [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers],
        "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 4566),
    }
    return scope, body


async def _drive(app, scope: dict, body: bytes, calls: int) -> int:  # noqa: ANN001
    status = [0]

    async def receive() -> dict:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict) -> None:
        if message["type"] == "http.response.start":
            status[0] = message["status"]

    for _ in range(calls):
        await app(scope, receive, send)
    return status[0]


def in_process(operation: str, calls: int, top: int) -> str:
    from cloudlet.config import Config
    from cloudlet.server import build_app

    scope, body = boto3_scope(operation)
    app = build_app(Config(port=0, ephemeral=True))

    async def main() -> tuple[float, pstats.Stats]:
        await app.runtime.start()
        status = await _drive(app, scope, body, 200)  # warm: model and provider loaded
        if status != 200:
            raise RuntimeError(f"{operation} answered {status} in-process")
        started = time.process_time()
        await _drive(app, scope, body, calls)
        plain = time.process_time() - started
        profiler = cProfile.Profile()
        profiler.enable()
        await _drive(app, scope, body, calls)
        profiler.disable()
        await app.runtime.stop()
        return plain, pstats.Stats(profiler)

    plain, stats = asyncio.run(main())
    entries = stats.stats  # type: ignore[attr-defined]  # {(file, line, name): (cc, nc, tt, ct, callers)}
    profiled = sum(tt for _, _, tt, _, _ in entries.values())
    scale = plain / profiled  # cProfile's own overhead, taken out of every figure below
    us = 1e6 / calls * scale

    def rows(items: list) -> list[str]:
        return [
            f"| `{name} ({short_file(file)}:{line})` | {nc / calls:.1f} | {tt * us:.1f} | {ct * us:.1f} |"
            for (file, line, name), (_, nc, tt, ct, _) in items
        ]

    own = [(k, v) for k, v in entries.items() if OWN in k[0]]
    header = ["| function | calls per request | self µs | cumulative µs |", "|---|---:|---:|---:|"]
    return "\n".join([
        f"The app alone (`Gateway.__call__` with boto3's exact request, no server, no socket): "
        f"**{plain / calls * 1e6:.0f} µs of CPU per call** ({calls} calls). cProfile took {profiled / plain:.1f}x "
        "that; its figures below are scaled back by that factor, so they add up to the unprofiled time.",
        "",
        f"### Cloudlet functions by cumulative time (per call, top {top})",
        "",
        *header,
        *rows(sorted(own, key=lambda kv: -kv[1][3])[:top]),
        "",
        f"### All functions by self time (per call, top {top})",
        "",
        *header,
        *rows(sorted(entries.items(), key=lambda kv: -kv[1][2])[:top]),
        "",
    ])


# -- 2. whole server under py-spy -------------------------------------------------------------------


def read_samples(path: Path) -> list[tuple[list[str], int]]:
    samples = []
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if stack:
            samples.append((stack.split(";"), int(count)))
    return samples


def short(frame: str) -> str:
    match = FRAME.match(frame)
    return f"{match['name']} ({short_file(match['file'])})" if match else frame


def server_profile(operation: str, threads: int, seconds: float, rate: int, top: int) -> str:
    port = free_port()
    raw = Path(tempfile.mkdtemp()) / "pyspy.txt"
    with Server("cloudlet", cloudlet_command(port), port) as server:
        clients = make_clients(operation, server.endpoint, threads)
        run_case(operation, clients, threads, server.pid, 2)  # warm: models and providers loaded
        spy = subprocess.Popen([
            str(BIN / "py-spy"), "record", "--pid", str(server.pid), "--rate", str(rate), "--function",
            "--full-filenames", "--format", "raw", "--duration", str(int(seconds) + 2), "--output", str(raw),
        ], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        time.sleep(1)  # attached
        case = run_case(operation, clients, threads, server.pid, seconds)
        _, errors = spy.communicate(timeout=seconds + 30)
    if not raw.exists():
        return f"py-spy failed: {errors.strip()}"
    samples = read_samples(raw)
    total = sum(count for _, count in samples)
    inclusive: Counter[str] = Counter()
    leaf: Counter[str] = Counter()
    split: Counter[str] = Counter()
    for frames, count in samples:
        app = [f for f in frames if OWN in f and not any(b in f for b in BOOT)]
        for frame in set(app):
            inclusive[frame] += count
        leaf[frames[-1]] += count
        if app:
            split["Cloudlet's app (a frame under Gateway.__call__)"] += count
        elif "/site-packages/uvicorn/" in frames[-1]:
            split["uvicorn's Python code (protocol, parsing callbacks)"] += count
        elif "Runner.run" in frames[-1]:
            split["event loop in C (uvloop, httptools, syscalls; includes some idle)"] += count
        else:
            split["other (asyncio, stdlib)"] += count

    def table(counter: Counter[str], title: str) -> list[str]:
        rows = [f"### {title}", "", "| function | share of samples |", "|---|---:|"]
        rows += [f"| `{short(frame)}` | {count / total:.1%} |" for frame, count in counter.most_common(top)]
        return [*rows, ""]

    return "\n".join([
        f"py-spy at {rate} Hz on `cloudlet start --ephemeral` during {seconds:.0f} s of boto3 {operation} x{threads}: "
        f"{case.calls} calls, {case.ops_per_s:.0f} ops/s, server CPU {case.server_cpu_ms_per_call:.3f} ms per call "
        f"from /proc (sampling included); {total} samples.",
        "",
        "| where | share of samples |",
        "|---|---:|",
        *(f"| {where} | {count / total:.1%} |" for where, count in split.most_common()),
        "",
        *table(inclusive, "Cloudlet functions, inclusive"),
        *table(leaf, "Leaf frames, all code"),
    ])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profiling")
    parser.add_argument("--operation", default="dynamodb.describe_limits", choices=list(OPERATIONS))
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=10.0, help="py-spy: duration of the load")
    parser.add_argument("--calls", type=int, default=5000, help="in-process: calls timed")
    parser.add_argument("--rate", type=int, default=500, help="py-spy: samples per second")
    parser.add_argument("--top", type=int, default=20)
    args = parser.parse_args(argv)

    text = "\n".join([
        f"# Profile: Cloudlet under {args.operation}",
        "",
        "## 1. The app alone, in-process (cProfile)",
        "",
        in_process(args.operation, args.calls, args.top),
        "## 2. The whole server under boto3 load (py-spy)",
        "",
        server_profile(args.operation, args.threads, args.seconds, args.rate, args.top),
    ])
    out = ROOT / "bench" / "results" / "profile.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
