"""Which ASGI server: the floor and Cloudlet under each candidate, measured the same way as bench.run.

    .venv/bin/python -m bench.asgi [--seconds 2] [--rounds 2] [--servers uvicorn hypercorn ...]

The candidates must be installed in the venv (``pip install hypercorn granian``);
only the chosen one belongs in pyproject.toml. Writes bench/results/asgi-servers.{json,md}.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import threading
import time
import urllib.request

from bench.host import SERVERS
from bench.load import make_clients, run_case, run_raw
from bench.proc import ROOT, Server, free_port, host_command
from bench.run import code_state, machine_info, median

RESULTS = ROOT / "bench" / "results"
# (operation, client, threads); "raw" replays boto3's bytes back to back on one socket (see bench.load.run_raw)
CASES = (
    ("dynamodb.describe_limits", "boto3", 1), ("sts.get_caller_identity", "boto3", 1),
    ("dynamodb.describe_limits", "boto3", 8), ("dynamodb.describe_limits", "raw", 1),
)


def case_name(operation: str, client: str, threads: int) -> str:
    return f"{operation} {client} x{threads}"


PROTO0 = " [proto 0]"  # label suffix: a socket bound as cloudlet.server._bind did before e6f5a5c


def measure(app: str, label: str, seconds: float) -> dict:
    port = free_port()
    server_name = label.removesuffix(PROTO0)
    command = host_command(port, app, server_name, proto0=label.endswith(PROTO0))
    with Server(f"{app}@{label}", command, port) as server:
        out = {"first_answer_s": server.first_answer_s}
        time.sleep(0.5)
        out["rss_after_start_mb"] = server.rss_mb()
        for operation, client, threads in CASES:
            try:
                if client == "raw":
                    case = run_raw(operation, port, server.pid, seconds)
                else:
                    clients = make_clients(operation, server.endpoint, threads)
                    case = run_case(operation, clients, threads, server.pid, seconds)
            except Exception as e:  # one case failing is a result too; the others still count
                out[case_name(operation, client, threads)] = {"error": f"{e!s:.200}"}
                continue
            out[case_name(operation, client, threads)] = {"ops_per_s": case.ops_per_s, "cpu_ms": case.server_cpu_ms_per_call}
        out["rss_after_mb"] = server.rss_mb()
    return out


def granian_in_a_thread() -> str:
    """Can granian's embedded server run in a thread, as the tests run Cloudlet (cloudlet.server.ServerThread)?"""
    try:
        from granian.constants import Interfaces
        from granian.server.embed import Server as Embedded
    except ImportError:
        return "granian is not installed"
    from bench.floor import app

    port = free_port()
    server = Embedded(app, address="127.0.0.1", port=port, interface=Interfaces.ASGI, log_enabled=False,
                      websockets=False)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_until_complete, args=(server.serve(),), daemon=True)
    thread.start()
    try:
        for _ in range(500):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_cloudlet/health", timeout=2) as r:
                    body = r.read()
                break
            except OSError:
                time.sleep(0.01)
        else:
            return "did not answer from a thread"
    finally:
        loop.call_soon_threadsafe(server.stop)  # server.stop() from another thread is not enough
        thread.join(10)
    return f"answers from a thread ({body!r}); stops via loop.call_soon_threadsafe(server.stop); alive after: {thread.is_alive()}"


def markdown(report: dict) -> str:
    m = report["machine"]
    lines = [
        f"# ASGI servers — {report['when']}",
        "",
        f"{m['cpus']} CPUs ({m['cpu_model']}), Python {m['python']}; " + ", ".join(f"{k} {v}" for k, v in report["versions"].items()),
        f"Cloudlet at {report['code']['start']['commit']}"
        + ("" if report["code"]["start"] == report["code"]["end"] else
           f" to {report['code']['end']['commit']} (the code changed during the run; each server runs the code of its start)")
        + (f", {len(report['code']['end']['uncommitted'])} uncommitted source files" if report["code"]["end"]["uncommitted"] else "")
        + ".",
        f"{report['rounds']} rounds, each server started fresh per round; {report['seconds']} s per case; medians. "
        "CPU = server process tree's utime+stime per call, from /proc. Start = Popen to first answered request.",
        f"uvicorn candidates listen on a socket made with IPPROTO_TCP, as cloudlet.server._bind does; rows marked{PROTO0} "
        "use a protocol-0 socket, as _bind did before e6f5a5c, on which asyncio's loop never sets TCP_NODELAY.",
        "",
    ]
    names = [case_name(*case) for case in CASES]
    for app in ("floor", "cloudlet"):
        lines += [
            f"## {app}",
            "",
            "| server | loop | http | " + " | ".join(f"{n} ops/s | {n} CPU ms/call" for n in names)
            + " | start s | RSS after start MB | RSS after MB |",
            "|---|---|---|" + "---:|---:|" * len(names) + "---:|---:|---:|",
        ]
        for server_name, per_app in report["results"].items():
            rounds = per_app.get(app)
            if not rounds or isinstance(rounds, str):
                lines.append(f"| {server_name} | {rounds or 'not run'} |")
                continue
            _, loop, http = SERVERS[server_name.removesuffix(PROTO0)]
            cells = []
            for n in names:
                ok = [r[n] for r in rounds if "error" not in r[n]]
                if not ok:
                    cells += ["failed", rounds[0][n]["error"]]
                    continue
                cells += [f"{median(c['ops_per_s'] for c in ok):.0f}", f"{median(c['cpu_ms'] for c in ok):.3f}"]
            lines.append(
                f"| {server_name} | {loop} | {http} | " + " | ".join(cells)
                + f" | {median(r['first_answer_s'] for r in rounds):.3f}"
                + f" | {median(r['rss_after_start_mb'] for r in rounds):.1f} | {median(r['rss_after_mb'] for r in rounds):.1f} |"
            )
        lines.append("")
    lines += ["## Embedding", "", f"- granian embedded in a thread: {report['granian_in_a_thread']}", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    from datetime import datetime
    from importlib.metadata import PackageNotFoundError, version

    parser = argparse.ArgumentParser(prog="python -m bench.asgi")
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--servers", nargs="+", default=list(SERVERS), choices=list(SERVERS))
    parser.add_argument("--proto0", nargs="*", default=["uvicorn-asyncio-h11"], choices=list(SERVERS),
                        help="also run these uvicorn servers on a protocol-0 socket (as _bind did before e6f5a5c)")
    parser.add_argument("--apps", nargs="+", default=["floor", "cloudlet"], choices=["floor", "cloudlet"])
    args = parser.parse_args(argv)
    labels = args.servers + [name + PROTO0 for name in args.proto0]

    versions = {}
    for name in ("uvicorn", "uvloop", "httptools", "h11", "hypercorn", "granian"):
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = "not installed"
    code = code_state()
    results: dict[str, dict] = {label: {} for label in labels}
    for i in range(args.rounds):
        order = labels if i % 2 == 0 else labels[::-1]
        for server_name in order:
            for app in args.apps:
                slot = results[server_name].setdefault(app, [])
                if isinstance(slot, str):
                    continue
                try:
                    slot.append(measure(app, server_name, args.seconds))
                    print(f"round {i + 1} {app}@{server_name}: {slot[-1]}", flush=True)
                except Exception as e:  # a candidate that cannot serve is a result, not a crash
                    results[server_name][app] = f"failed: {e!s:.300}"
                    print(f"round {i + 1} {app}@{server_name}: {e}", flush=True)

    report = {
        "when": datetime.now().astimezone().isoformat(timespec="seconds"), "machine": machine_info(),
        "code": {"start": code, "end": code_state()}, "versions": versions, "seconds": args.seconds, "rounds": args.rounds, "results": results,
        "granian_in_a_thread": granian_in_a_thread(),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "asgi-servers.json").write_text(json.dumps(report, indent=1, default=str) + "\n")
    text = markdown(report)
    (RESULTS / "asgi-servers.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
