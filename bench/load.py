"""The boto3 load: one client per thread, a warm-up, then a fixed duration of calls.

The server's CPU time is read from /proc just before the timed calls start and
just after the last one returns, so warm-up and client set-up are not counted.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from urllib.parse import urlsplit

import boto3
from botocore.config import Config

from bench.proc import cpu_seconds

# name -> (service, the call); the two protocols every other protocol's cost is compared with.
OPERATIONS: dict[str, tuple[str, Callable]] = {
    "sts.get_caller_identity": ("sts", lambda client: client.get_caller_identity()),
    "dynamodb.describe_limits": ("dynamodb", lambda client: client.describe_limits()),
}

_session = boto3.session.Session(aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1")


def make_clients(operation: str, endpoint: str, count: int) -> list:
    # Made in this thread: a session is not safe to share across threads while it builds clients.
    service = OPERATIONS[operation][0]
    config = Config(retries={"total_max_attempts": 1}, max_pool_connections=2)
    return [_session.client(service, endpoint_url=endpoint, config=config) for _ in range(count)]


@dataclass
class CaseResult:
    calls: int
    seconds: float
    ops_per_s: float
    p50_ms: float
    p99_ms: float
    server_cpu_ms_per_call: float
    client_cpu_ms_per_call: float  # this harness process, all threads: context for client-bound runs

    def as_dict(self) -> dict:
        return asdict(self)


def percentile(sorted_values: list[float], q: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, round(q * (len(sorted_values) - 1)))]


def run_case(
    operation: str, clients: list, threads: int, server_pid: int, seconds: float, warmup_calls: int = 50
) -> CaseResult:
    call = OPERATIONS[operation][1]
    latencies: list[list[float]] = [[] for _ in range(threads)]
    errors: list[BaseException] = []
    warmed = threading.Barrier(threads + 1)
    go = threading.Barrier(threads + 1)
    deadline = [0.0]

    def worker(index: int) -> None:
        client, mine = clients[index], latencies[index]
        try:
            for _ in range(warmup_calls):
                call(client)
        except BaseException as e:
            errors.append(e)
        warmed.wait()
        go.wait()
        clock = time.perf_counter
        while not errors and clock() < deadline[0]:
            start = clock()
            try:
                call(client)
            except BaseException as e:
                errors.append(e)
                return
            mine.append(clock() - start)

    workers = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(threads)]
    for thread in workers:
        thread.start()
    warmed.wait()
    server_before, client_before = cpu_seconds(server_pid), _own_cpu()
    started = time.perf_counter()
    deadline[0] = started + seconds
    go.wait()
    for thread in workers:
        thread.join()
    elapsed = time.perf_counter() - started
    server_after, client_after = cpu_seconds(server_pid), _own_cpu()
    if errors:
        raise RuntimeError(f"{operation} failed: {errors[0]!r}") from errors[0]
    flat = sorted(x for per_thread in latencies for x in per_thread)
    calls = len(flat)
    return CaseResult(
        calls=calls,
        seconds=round(elapsed, 3),
        ops_per_s=calls / elapsed,
        p50_ms=percentile(flat, 0.50) * 1000,
        p99_ms=percentile(flat, 0.99) * 1000,
        server_cpu_ms_per_call=(server_after - server_before) * 1000 / calls,
        client_cpu_ms_per_call=(client_after - client_before) * 1000 / calls,
    )


def _own_cpu() -> float:
    times = os.times()
    return times.user + times.system


class _Captured(Exception):
    pass


def boto3_request(operation: str, endpoint: str = "http://127.0.0.1:4566") -> tuple[str, str, list[tuple[str, str]], bytes]:
    """Method, path, headers and body of the request boto3 sends for ``operation`` (captured, not sent)."""
    client = make_clients(operation, endpoint, 1)[0]

    def capture(request, **_) -> None:  # noqa: ANN001
        raise _Captured(request)

    client.meta.events.register("before-send", capture)
    try:
        OPERATIONS[operation][1](client)
        raise RuntimeError("boto3 sent nothing")
    except _Captured as captured:
        request = captured.args[0]
    url = urlsplit(request.url)
    body = request.body if isinstance(request.body, bytes) else (request.body or "").encode()
    headers = [(name, value.decode() if isinstance(value, bytes) else value) for name, value in request.headers.items()]
    if not any(name.lower() == "host" for name, _ in headers):  # botocore signs with one; HTTP sends one
        headers.insert(0, ("Host", url.netloc))
    path = (url.path or "/") + (f"?{url.query}" if url.query else "")
    return request.method, path, headers, body


def run_raw(operation: str, port: int, server_pid: int, seconds: float) -> CaseResult:
    """boto3's exact request bytes, replayed one after another on one keep-alive socket: no client cost."""
    method, path, headers, body = boto3_request(operation, f"http://127.0.0.1:{port}")
    if not any(name.lower() == "content-length" for name, _ in headers):
        headers.append(("Content-Length", str(len(body))))
    request = (f"{method} {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers) + "\r\n").encode() + body
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        reader = sock.makefile("rb")

        def call() -> None:
            sock.sendall(request)
            status = reader.readline()
            length = 0
            while (line := reader.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            reader.read(length)
            if not status.startswith(b"HTTP/1.1 200"):
                raise RuntimeError(f"{operation} answered {status!r}")

        for _ in range(200):
            call()
        latencies = []
        server_before, client_before = cpu_seconds(server_pid), _own_cpu()
        started = time.perf_counter()
        deadline = started + seconds
        clock = time.perf_counter
        while (start := clock()) < deadline:
            call()
            latencies.append(clock() - start)
        elapsed = time.perf_counter() - started
        server_after, client_after = cpu_seconds(server_pid), _own_cpu()
    latencies.sort()
    calls = len(latencies)
    return CaseResult(
        calls=calls, seconds=round(elapsed, 3), ops_per_s=calls / elapsed,
        p50_ms=percentile(latencies, 0.5) * 1000, p99_ms=percentile(latencies, 0.99) * 1000,
        server_cpu_ms_per_call=(server_after - server_before) * 1000 / calls,
        client_cpu_ms_per_call=(client_after - client_before) * 1000 / calls,
    )
