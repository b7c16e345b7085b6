"""Cloudlet against the floor, in one run: boto3 throughput and latency, server CPU per call, start-up, RSS.

    .venv/bin/python -m bench.run [--seconds 3] [--rounds 3] [--starts 5]

Writes bench/results/latest.{json,md} and a dated copy of each. The machine is
shared and noisy, so Cloudlet and the floor alternate (floor, Cloudlet, Cloudlet,
floor, ...) and every figure is reported as a median, beside its ratio to the
floor measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import datetime
from importlib.metadata import version
from pathlib import Path

from bench.host import SERVERS, UVICORN_OPTIONS, bind, uvicorn_server_class
from bench.load import OPERATIONS, make_clients, run_case, run_raw
from bench.proc import ROOT, Server, cloudlet_command, free_port, host_command

RESULTS = ROOT / "bench" / "results"

TARGETS = {
    "start_s": 0.3,  # process start to first answered request, median
    "idle_rss_mb": 40.0,
    "json_server_cpu_ms": 0.3,  # per simple json-protocol call
    "throughput_ratio": 0.9,  # Cloudlet / floor, boto3
}


def machine_info() -> dict:
    model = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
         if line.startswith("model name")),
        "?",
    )
    packages = {name: version(name) for name in ("uvicorn", "uvloop", "httptools", "boto3", "botocore")}
    return {
        "cpus": os.cpu_count(), "cpu_model": model, "python": platform.python_version(),
        "kernel": platform.release(), "packages": packages, "load_average": os.getloadavg(),
    }


def code_state() -> dict:
    """Which Cloudlet was measured: the commit, and any uncommitted source files in the work tree."""
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout.strip()

    return {"commit": git("rev-parse", "--short", "HEAD"), "uncommitted": git("status", "--porcelain", "src").splitlines()}


def stack_check() -> dict:
    """The floor must run on exactly Cloudlet's server stack: compare with cloudlet.server._make_server."""
    import uvicorn

    from cloudlet.config import Config
    from cloudlet.server import _make_server

    server, sock, _ = _make_server(Config(port=0, ephemeral=True), None)
    cloudlet_proto = sock.proto
    sock.close()
    _, loop, http = SERVERS["uvicorn"]
    floor = {"loop": loop, "http": http, **UVICORN_OPTIONS}
    cloudlet = {key: getattr(server.config, key) for key in floor}
    with bind("127.0.0.1", 0) as floor_sock:
        floor["socket_proto"], cloudlet["socket_proto"] = floor_sock.proto, cloudlet_proto

    def overrides(cls: type) -> list[str]:  # which uvicorn.Server methods each subclass replaces
        return sorted(name for name in vars(cls) if hasattr(uvicorn.Server, name) and not name.startswith("__"))

    floor["overrides"], cloudlet["overrides"] = overrides(uvicorn_server_class()), overrides(type(server))
    return {"cloudlet": cloudlet, "floor": floor, "same": cloudlet == floor}


def compare_responses(cloudlet: Server, floor: Server) -> dict:
    """Both servers must send what boto3 parses identically, or the comparison is unfair."""
    out = {}
    for operation, (_, call) in OPERATIONS.items():
        seen = []
        for server in (cloudlet, floor):
            client = make_clients(operation, server.endpoint, 1)[0]
            captured: dict = {}
            client.meta.events.register("after-call", lambda http_response, c=captured, **_: c.update(r=http_response))
            parsed = call(client)
            parsed.pop("ResponseMetadata", None)
            raw = captured["r"]
            request_id = raw.headers.get("x-amzn-requestid", "")
            body = raw.content.replace(request_id.encode(), b"<id>") if request_id else raw.content
            seen.append((parsed, body, sorted(k.lower() for k in raw.headers if k.lower() != "date")))
        (c_parsed, c_body, c_headers), (f_parsed, f_body, f_headers) = seen
        out[operation] = {
            "same_parsed_output": c_parsed == f_parsed, "same_body": c_body == f_body,
            "same_header_names": c_headers == f_headers, "cloudlet_headers": c_headers, "floor_headers": f_headers,
        }
    return out


def startups(count: int) -> dict:
    """Cold starts, alternating: wall time from Popen to the first answered request, and to ``Ready.``."""
    runs: dict[str, list[dict]] = {"cloudlet": [], "floor": []}
    for i in range(count):
        for name in ("floor", "cloudlet") if i % 2 == 0 else ("cloudlet", "floor"):
            port = free_port()
            command = cloudlet_command(port) if name == "cloudlet" else host_command(port)
            with Server(name, command, port) as server:
                cpu, rss = server.cpu_seconds(), server.rss_mb()
                deadline = time.perf_counter() + 2
                while server.ready_line_s is None and time.perf_counter() < deadline:
                    time.sleep(0.01)
                runs[name].append({
                    "first_answer_s": server.first_answer_s, "ready_line_s": server.ready_line_s,
                    "cpu_s": cpu, "rss_mb": rss,
                })
    return {
        name: {"runs": r, **{f"median_{k}": median(x[k] for x in r) for k in r[0]}} for name, r in runs.items()
    }


def median(values) -> float | None:  # noqa: ANN001
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def summarise(rounds: list[dict]) -> dict:
    fields = rounds[0]["floor"].keys()
    med = {name: {k: median(r[name][k] for r in rounds) for k in fields} for name in ("floor", "cloudlet")}
    return {
        "median": med,
        "throughput_ratio": median(r["cloudlet"]["ops_per_s"] / r["floor"]["ops_per_s"] for r in rounds),
        "cloudlet_own_cpu_ms_per_call": median(
            r["cloudlet"]["server_cpu_ms_per_call"] - r["floor"]["server_cpu_ms_per_call"] for r in rounds
        ),
        "rounds": rounds,
    }


def benchmark(seconds: float, rounds: int, threads: list[int]) -> tuple[list[dict], dict, dict]:
    cloudlet_port, floor_port = free_port(), free_port()
    servers = {
        "cloudlet": Server("cloudlet", cloudlet_command(cloudlet_port), cloudlet_port),
        "floor": Server("floor", host_command(floor_port), floor_port),
    }
    try:
        for server in servers.values():
            server.start()
        time.sleep(1)
        rss = {name: {"after_start": s.rss_mb()} for name, s in servers.items()}
        responses = compare_responses(servers["cloudlet"], servers["floor"])
        clients = {
            (name, op): make_clients(op, s.endpoint, max(threads)) for name, s in servers.items() for op in OPERATIONS
        }
        cases = []
        for operation in OPERATIONS:
            for client, count in [("boto3", t) for t in threads] + [("raw", 1)]:
                results = []
                for i in range(rounds):
                    result = {}
                    for name in ("floor", "cloudlet") if i % 2 == 0 else ("cloudlet", "floor"):
                        server = servers[name]
                        if client == "raw":
                            case = run_raw(operation, server.port, server.pid, seconds)
                        else:
                            case = run_case(operation, clients[name, operation], count, server.pid, seconds)
                        result[name] = case.as_dict()
                    results.append(result)
                    print(f"  {operation} {client} x{count} round {i + 1}: "
                          f"floor {result['floor']['ops_per_s']:.0f}/s {result['floor']['server_cpu_ms_per_call']:.3f} ms, "
                          f"cloudlet {result['cloudlet']['ops_per_s']:.0f}/s "
                          f"{result['cloudlet']['server_cpu_ms_per_call']:.3f} ms", flush=True)
                cases.append({"operation": operation, "client": client, "threads": count, **summarise(results)})
        time.sleep(1)
        for name, server in servers.items():
            rss[name]["after_benchmark"] = server.rss_mb()
        return cases, rss, responses
    finally:
        for server in servers.values():
            server.stop()


def targets(startup: dict, rss: dict, cases: list[dict]) -> list[dict]:
    def json_cpu(client: str) -> float:
        return max(c["median"]["cloudlet"]["server_cpu_ms_per_call"] for c in cases
                   if c["operation"] == "dynamodb.describe_limits" and c["client"] == client)

    checks = [
        ("start to first answered request (median, s)", TARGETS["start_s"], startup["cloudlet"]["median_first_answer_s"], "<"),
        ("idle RSS after start (MB)", TARGETS["idle_rss_mb"], rss["cloudlet"]["after_start"], "<"),
        ("idle RSS after the benchmark (MB)", TARGETS["idle_rss_mb"], rss["cloudlet"]["after_benchmark"], "<"),
        ("server CPU per json call under boto3, worst case (ms)", TARGETS["json_server_cpu_ms"], json_cpu("boto3"), "<"),
        ("server CPU per json call, raw HTTP replay (ms)", TARGETS["json_server_cpu_ms"], json_cpu("raw"), "<"),
    ]
    for case in cases:
        if case["client"] == "boto3":
            checks.append((f"boto3 throughput / floor, {case['operation']} x{case['threads']}",
                           TARGETS["throughput_ratio"], case["throughput_ratio"], ">="))
    return [
        {"what": what, "target": f"{op} {target}", "value": value,
         "met": value < target if op == "<" else value >= target}
        for what, target, value, op in checks
    ]


def markdown(report: dict) -> str:
    m = report["machine"]
    lines = [
        f"# Cloudlet vs floor — {report['when']}",
        "",
        f"{m['cpus']} CPUs ({m['cpu_model']}), Python {m['python']}, Linux {m['kernel']}; "
        + ", ".join(f"{k} {v}" for k, v in m["packages"].items())
        + f". Load average at start {m['load_average'][0]:.2f}, at end {report['load_average_end'][0]:.2f}.",
        f"{report['settings']['rounds']} rounds of {report['settings']['seconds']} s per case, "
        "floor and Cloudlet alternating; medians. Server CPU = utime+stime of the server process "
        "from /proc, per call.",
        f"Cloudlet at {report['code']['commit']}"
        + (f" plus {len(report['code']['uncommitted'])} uncommitted source files in the work tree"
           if report["code"]["uncommitted"] else "")
        + ("." if report["code_end"] == report["code"] else
           f"; **the code changed during the run** (at the end: {report['code_end']['commit']}, "
           f"{len(report['code_end']['uncommitted'])} uncommitted source files)."),
        f"Floor on Cloudlet's exact uvicorn stack: {'yes' if report['stack']['same'] else 'NO: ' + str(report['stack'])}.",
        "",
        "## Calls",
        "",
        "`boto3`: one client per thread, a warm-up, then calls for the whole duration. `raw`: the exact bytes boto3 "
        "sends, replayed serially on one keep-alive socket (no client cost, so the server is busy back to back).",
        "",
        "| operation | client | threads | floor ops/s | Cloudlet ops/s | Cloudlet/floor | floor p50 / p99 ms "
        "| Cloudlet p50 / p99 ms | floor server CPU ms/call | Cloudlet server CPU ms/call | Cloudlet's own ms/call |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for c in report["cases"]:
        f, cl = c["median"]["floor"], c["median"]["cloudlet"]
        lines.append(
            f"| {c['operation']} | {c['client']} | {c['threads']} | {f['ops_per_s']:.0f} | {cl['ops_per_s']:.0f} "
            f"| {c['throughput_ratio']:.2f} | {f['p50_ms']:.2f} / {f['p99_ms']:.2f} "
            f"| {cl['p50_ms']:.2f} / {cl['p99_ms']:.2f} | {f['server_cpu_ms_per_call']:.3f} "
            f"| {cl['server_cpu_ms_per_call']:.3f} | {c['cloudlet_own_cpu_ms_per_call']:.3f} |"
        )
    s, rss = report["startup"], report["rss_mb"]
    lines += [
        "",
        f"boto3 itself used {report['cases'][0]['median']['floor']['client_cpu_ms_per_call']:.2f} ms of the harness's "
        "CPU per call in the first case: with 2 cores the client, not the server, bounds boto3 throughput.",
        "",
        f"## Start-up (median of {len(s['cloudlet']['runs'])} cold starts)",
        "",
        "| server | Popen → first answered request | Popen → `Ready.` printed | CPU used by then | RSS then |",
        "|---|---:|---:|---:|---:|",
    ]
    for name in ("floor", "cloudlet"):
        x = s[name]
        ready = f"{x['median_ready_line_s']:.3f} s" if x["median_ready_line_s"] is not None else "—"
        lines.append(f"| {name} | {x['median_first_answer_s']:.3f} s | {ready} "
                     f"| {x['median_cpu_s']:.2f} s | {x['median_rss_mb']:.1f} MB |")
    lines += [
        "",
        "## Idle RSS (VmRSS)",
        "",
        "| server | after start | after the benchmark |",
        "|---|---:|---:|",
        *(f"| {n} | {rss[n]['after_start']:.1f} MB | {rss[n]['after_benchmark']:.1f} MB |" for n in ("floor", "cloudlet")),
        "",
        "## Targets",
        "",
        "| target | goal | measured | met |",
        "|---|---|---:|---|",
        *(f"| {t['what']} | {t['target']} | {t['value']:.3f} | {'yes' if t['met'] else '**no**'} |"
          for t in report["targets"]),
        "",
        "## Responses compared (request id masked)",
        "",
        *(f"- {op}: parsed output identical: {r['same_parsed_output']}, body identical: {r['same_body']}, "
          f"same header names: {r['same_header_names']}" for op, r in report["responses"].items()),
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run")
    parser.add_argument("--seconds", type=float, default=3.0, help="duration of each timed case")
    parser.add_argument("--rounds", type=int, default=3, help="floor/Cloudlet pairs per case")
    parser.add_argument("--starts", type=int, default=5, help="cold starts of each server")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)

    report: dict = {
        "when": datetime.now().astimezone().isoformat(timespec="seconds"),
        "machine": machine_info(),
        "code": code_state(),
        "settings": {"seconds": args.seconds, "rounds": args.rounds, "starts": args.starts, "threads": args.threads},
        "stack": stack_check(),
    }
    print("start-up ...", flush=True)
    report["startup"] = startups(args.starts)
    print("boto3 cases ...", flush=True)
    report["cases"], report["rss_mb"], report["responses"] = benchmark(args.seconds, args.rounds, args.threads)
    report["load_average_end"] = os.getloadavg()
    report["code_end"] = code_state()  # others commit while this runs: say so when the code moved
    report["targets"] = targets(report["startup"], report["rss_mb"], report["cases"])

    args.out.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().strftime("%Y-%m-%d-%H%M")
    text = markdown(report)
    for name in ("latest", stamp):
        (args.out / f"{name}.json").write_text(json.dumps(report, indent=1, default=str) + "\n")
        (args.out / f"{name}.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
