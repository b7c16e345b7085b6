"""DynamoDB: item calls and queries against the floor answering the same bytes, and queries at scale.

    .venv/bin/python -m bench.dynamodb [--seconds 3] [--rounds 3] [--threads 1 8] [--items 1000000]
                                       [--skip-scale]

Measured in one run (Cloudlet is a real ``cloudlet start`` with a data directory, as users run it):

- **PutItem and GetItem of 1 KB items** (boto3, 1 and 8 threads, random keys among 1,000) and a
  **Query returning 20 items**: throughput against the floor, which replays Cloudlet's recorded
  answers (bench/record.py), so the client parses the same bytes; p50/p99 latency; the server's CPU
  per call from its own /proc counters, under boto3 load and with the raw request replayed
  back to back on one socket (no client cost).
- **Scale**: two servers with data directories, one whose table holds 10,000 items and one whose
  table holds ``--items`` (1,000,000 by default), loaded with BatchWriteItem (8 threads, 25 items a
  call; the load time is reported); then the p50/p99 of a 20-item Query of a random partition on
  each, in alternating rounds (they should match: a Query is a range read of one partition), the
  server's RSS and the database size with the large table persisted.

Floor and Cloudlet alternate each round; the report gives medians and the median of the per-round
ratios. The machine is shared and noisy: read the ratios. Writes bench/results/dynamodb-latest.{json,md}.
"""

from __future__ import annotations

import os
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench.load import OPERATIONS, _session, make_clients, percentile, run_case, run_raw
from bench.proc import BIN, Server, free_port, host_command
from bench.record import record, save
from bench.report import arguments, heading, new_report, save_report

KEYS = 1000
PARTITION = 20  # items a Query returns
TARGETS = {"throughput_ratio": 0.9, "query_ratio": 0.8, "put_cpu_ms": 0.5, "get_cpu_ms": 0.35, "scale_ratio": 1.2}


def item(key: str) -> dict:
    """A 1 KB item (1,024 bytes by DynamoDB's measure)."""
    return {"pk": {"S": key}, "name": {"S": "bench item"}, "price": {"N": "1234.5"}, "flag": {"BOOL": True},
            "tags": {"SS": ["a", "b"]}, "body": {"S": "x" * (1024 - 62 - len(key))}}


def _client(endpoint: str):  # noqa: ANN202
    from botocore.config import Config

    return _session.client("dynamodb", endpoint_url=endpoint,
                           config=Config(retries={"total_max_attempts": 1}, max_pool_connections=20, read_timeout=120))


def setup(endpoint: str) -> None:
    ddb = _client(endpoint)
    ddb.create_table(TableName="bench-items", BillingMode="PAY_PER_REQUEST",
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])
    ddb.create_table(TableName="bench-query", BillingMode="PAY_PER_REQUEST",
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                           {"AttributeName": "sk", "AttributeType": "N"}],
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}])
    for name in ("bench-items", "bench-query"):
        ddb.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    for start in range(0, KEYS, 25):
        ddb.batch_write_item(RequestItems={"bench-items": [
            {"PutRequest": {"Item": item(f"k{i}")}} for i in range(start, start + 25)]})
    ddb.batch_write_item(RequestItems={"bench-query": [
        {"PutRequest": {"Item": {"pk": {"S": "p"}, "sk": {"N": str(i)}, "v": {"S": "y" * 150}}}}
        for i in range(PARTITION)]})


def register() -> None:
    OPERATIONS["dynamodb.put_item"] = ("dynamodb", lambda c: c.put_item(
        TableName="bench-items", Item=item(f"k{random.randrange(KEYS)}")))
    OPERATIONS["dynamodb.get_item"] = ("dynamodb", lambda c: c.get_item(
        TableName="bench-items", Key={"pk": {"S": f"k{random.randrange(KEYS)}"}}))
    OPERATIONS["dynamodb.query"] = ("dynamodb", lambda c: c.query(
        TableName="bench-query", KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "p"}}))


def _median(values: list) -> float | None:
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def compare(servers: dict, operation: str, threads: int, rounds: int, seconds: float) -> dict:
    clients = {name: make_clients(operation, s.endpoint, threads) for name, s in servers.items()}
    results = []
    for i in range(rounds):
        result = {}
        for name in ("floor", "cloudlet") if i % 2 == 0 else ("cloudlet", "floor"):
            result[name] = run_case(operation, clients[name], threads, servers[name].pid, seconds).as_dict()
        results.append(result)
        print(f"  {operation} x{threads} round {i + 1}: floor {result['floor']['ops_per_s']:.0f}/s, cloudlet "
              f"{result['cloudlet']['ops_per_s']:.0f}/s, {result['cloudlet']['server_cpu_ms_per_call']:.3f} ms CPU",
              flush=True)
    return {
        "operation": operation, "threads": threads,
        "median": {name: {k: _median([r[name][k] for r in results]) for k in results[0][name]} for name in servers},
        "throughput_ratio": _median([r["cloudlet"]["ops_per_s"] / r["floor"]["ops_per_s"] for r in results]),
        "rounds": results,
    }


def replay(servers: dict, operation: str, rounds: int, seconds: float) -> dict:
    results = []
    for i in range(rounds):
        result = {}
        for name in ("floor", "cloudlet") if i % 2 == 0 else ("cloudlet", "floor"):
            result[name] = run_raw(operation, servers[name].port, servers[name].pid, seconds).as_dict()
        results.append(result)
    return {name: {k: _median([r[name][k] for r in results]) for k in results[0][name]} for name in servers}


# --- scale ---------------------------------------------------------------------------------


def load(endpoint: str, table: str, start: int, stop: int, threads: int = 8) -> float:
    """Items start..stop-1 (PARTITION to a partition) with BatchWriteItem; returns the seconds it took."""
    chunks = list(range(start, stop, 25))
    position = [0]
    lock = threading.Lock()
    errors: list[BaseException] = []

    def worker() -> None:
        ddb = _client(endpoint)
        while not errors:
            with lock:
                if position[0] >= len(chunks):
                    return
                first = chunks[position[0]]
                position[0] += 1
            batch = {table: [{"PutRequest": {"Item": {
                "pk": {"S": f"p{n // PARTITION}"}, "sk": {"N": str(n % PARTITION)}, "v": {"S": "v" * 80}}}}
                for n in range(first, min(first + 25, stop))]}
            try:
                while batch:
                    batch = ddb.batch_write_item(RequestItems=batch)["UnprocessedItems"]
            except BaseException as e:
                errors.append(e)

    started = time.perf_counter()
    workers = [threading.Thread(target=worker, daemon=True) for _ in range(threads)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    if errors:
        raise RuntimeError(f"load failed: {errors[0]!r}")
    return time.perf_counter() - started


def query_latency(endpoint: str, table: str, partitions: int, calls: int) -> dict:
    ddb = _client(endpoint)
    for _ in range(50):
        ddb.query(TableName=table, KeyConditionExpression="pk = :p",
                  ExpressionAttributeValues={":p": {"S": f"p{random.randrange(partitions)}"}})
    times = []
    for _ in range(calls):
        started = time.perf_counter()
        result = ddb.query(TableName=table, KeyConditionExpression="pk = :p",
                           ExpressionAttributeValues={":p": {"S": f"p{random.randrange(partitions)}"}})
        times.append(time.perf_counter() - started)
        if result["Count"] != PARTITION:
            raise RuntimeError(f"a partition answered {result['Count']} items")
    times.sort()
    return {"calls": calls, "p50_ms": percentile(times, 0.5) * 1000, "p99_ms": percentile(times, 0.99) * 1000}


def _scale_server(items: int) -> tuple[Server, str, dict]:
    """A server with a data directory whose table holds ``items`` items (PARTITION to a partition)."""
    data = tempfile.mkdtemp(prefix="cloudlet-bench-")
    port = free_port()
    server = Server("cloudlet", [str(BIN / "cloudlet"), "start", "--port", str(port), "--data-dir", data], port).start()
    ddb = _client(server.endpoint)
    ddb.create_table(TableName="bench-scale", BillingMode="PAY_PER_REQUEST",
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                           {"AttributeName": "sk", "AttributeType": "N"}],
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}])
    ddb.get_waiter("table_exists").wait(TableName="bench-scale", WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    seconds = load(server.endpoint, "bench-scale", 0, items)
    print(f"  loaded {items:,} items in {seconds:.1f} s", flush=True)
    return server, data, {"items": items, "load_seconds": seconds, "load_items_per_s": items / seconds}


def scale(items: int, calls: int, rounds: int) -> dict:
    """Two servers, one with 10,000 items and one with ``items``, queried in alternating rounds.

    Both are measured over the same stretch of time, so the machine's noise falls on both alike.
    """
    small_items = 10_000
    servers = []
    try:
        small, small_dir, small_load = _scale_server(small_items)
        servers.append((small, small_dir))
        large, large_dir, large_load = _scale_server(items)
        servers.append((large, large_dir))
        results: dict[str, list] = {"small": [], "large": []}
        for i in range(rounds):
            order = (("small", small, small_items), ("large", large, items))
            for name, server, count in order if i % 2 == 0 else order[::-1]:
                results[name].append(query_latency(server.endpoint, "bench-scale", count // PARTITION, calls))
            print(f"  round {i + 1}: p50 {results['small'][-1]['p50_ms']:.2f} ms at {small_items:,}, "
                  f"{results['large'][-1]['p50_ms']:.2f} ms at {items:,}", flush=True)
        count = _client(large.endpoint).describe_table(TableName="bench-scale")["Table"]["ItemCount"]
        sizes = sum(f.stat().st_size for f in Path(large_dir).rglob("*") if f.is_file())
        summary = {name: {"p50_ms": _median([r["p50_ms"] for r in rows]), "p99_ms": _median([r["p99_ms"] for r in rows])}
                   for name, rows in results.items()}
        summary["small"]["rss_mb"] = small.rss_mb()
        summary["large"]["rss_mb"] = large.rss_mb()
        return {
            "items": items, "small_items": small_items, "item_count_reported": count,
            "load_seconds": large_load["load_seconds"], "load_items_per_s": large_load["load_items_per_s"],
            "query_small": summary["small"], "query_large": summary["large"],
            "p50_ratio": _median([b["p50_ms"] / a["p50_ms"] for a, b in zip(results["small"], results["large"],
                                                                             strict=True)]),
            "rounds": results, "rss_mb_after": large.rss_mb(), "data_dir_mb": sizes / 1e6,
        }
    finally:
        for server, data in servers:
            server.stop()
            shutil.rmtree(data, ignore_errors=True)


# --- main -----------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = arguments("dynamodb")
    parser.add_argument("--items", type=int, default=1_000_000, help="items in the scale table")
    parser.add_argument("--query-calls", type=int, default=500, help="queries per scale round")
    parser.add_argument("--skip-scale", action="store_true")
    args = parser.parse_args(argv)

    report = new_report(args)
    register()
    data = tempfile.mkdtemp(prefix="cloudlet-bench-")
    port = free_port()
    cloudlet = Server("cloudlet", [str(BIN / "cloudlet"), "start", "--port", str(port), "--data-dir", data],
                      port).start()
    answers_path = os.path.join(tempfile.mkdtemp(), "dynamodb-answers.json")
    floor = None
    try:
        setup(cloudlet.endpoint)
        ddb = _client(cloudlet.endpoint)
        save(record(ddb, [
            ({"target": "DynamoDB_20120810.PutItem"}, lambda: OPERATIONS["dynamodb.put_item"][1](ddb)),
            ({"target": "DynamoDB_20120810.GetItem"}, lambda: OPERATIONS["dynamodb.get_item"][1](ddb)),
            ({"target": "DynamoDB_20120810.Query"}, lambda: OPERATIONS["dynamodb.query"][1](ddb)),
        ]), answers_path)
        floor_port = free_port()
        os.environ["CLOUDLET_FLOOR_ANSWERS"] = answers_path
        floor = Server("floor", host_command(floor_port), floor_port).start()
        servers = {"cloudlet": cloudlet, "floor": floor}
        cases = []
        for operation in ("dynamodb.put_item", "dynamodb.get_item", "dynamodb.query"):
            for count in args.threads:
                cases.append(compare(servers, operation, count, args.rounds, args.seconds))
        report["cases"] = cases
        report["replay"] = {op: replay(servers, op, args.rounds, args.seconds)
                            for op in ("dynamodb.put_item", "dynamodb.get_item", "dynamodb.query")}
        report["rss_mb_after_cases"] = cloudlet.rss_mb()
    finally:
        cloudlet.stop()
        if floor is not None:
            floor.stop()
        shutil.rmtree(data, ignore_errors=True)
    if not args.skip_scale:
        print("scale ...", flush=True)
        report["scale"] = scale(args.items, args.query_calls, args.rounds * 2)
    save_report(report, args.out, "dynamodb", markdown)
    return 0


def _met(value: float | None, target: float, above: bool = True) -> str:
    if value is None:
        return "?"
    return "met" if (value >= target if above else value < target) else "not met"


def markdown(report: dict) -> str:
    lines = [
        *heading(report, "DynamoDB benchmark"),
        "Cloudlet runs with a data directory (every write committed to SQLite's WAL before it is answered). Medians "
        "of alternating floor/Cloudlet rounds; the floor replays Cloudlet's recorded answers, so boto3 parses the "
        "same bytes. The machine is shared and noisy: read the ratios.",
        "",
        "| call | threads | floor ops/s | Cloudlet ops/s | ratio (target) | Cloudlet p50 / p99 ms | "
        "server CPU ms per call, floor / Cloudlet |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for case in report["cases"]:
        floor, mine = case["median"]["floor"], case["median"]["cloudlet"]
        target = TARGETS["query_ratio"] if case["operation"].endswith("query") else TARGETS["throughput_ratio"]
        lines.append(
            f"| `{case['operation']}` | {case['threads']} | {floor['ops_per_s']:.0f} | {mine['ops_per_s']:.0f} | "
            f"{case['throughput_ratio']:.2f} (≥ {target}: {_met(case['throughput_ratio'], target)}) | "
            f"{mine['p50_ms']:.2f} / {mine['p99_ms']:.2f} | {floor['server_cpu_ms_per_call']:.3f} / "
            f"{mine['server_cpu_ms_per_call']:.3f} |"
        )
    lines += [
        "",
        "Raw replay (boto3's exact request bytes back to back on one keep-alive socket: no client cost):",
        "",
        "| call | floor ops/s | Cloudlet ops/s | floor CPU ms | Cloudlet CPU ms per call |",
        "|---|---:|---:|---:|---:|",
    ]
    for operation, result in report["replay"].items():
        lines.append(f"| `{operation}` | {result['floor']['ops_per_s']:.0f} | {result['cloudlet']['ops_per_s']:.0f} | "
                     f"{result['floor']['server_cpu_ms_per_call']:.3f} | "
                     f"{result['cloudlet']['server_cpu_ms_per_call']:.3f} |")
    cpu = {c["operation"]: c["median"]["cloudlet"]["server_cpu_ms_per_call"] for c in report["cases"] if c["threads"] == 1}
    floor_cpu = {c["operation"]: c["median"]["floor"]["server_cpu_ms_per_call"] for c in report["cases"]
                 if c["threads"] == 1}
    lines += [
        "",
        f"Server CPU per call under boto3 (1 thread): PutItem {cpu.get('dynamodb.put_item', 0):.3f} ms (target < "
        f"{TARGETS['put_cpu_ms']}: {_met(cpu.get('dynamodb.put_item'), TARGETS['put_cpu_ms'], above=False)}), GetItem "
        f"{cpu.get('dynamodb.get_item', 0):.3f} ms (target < {TARGETS['get_cpu_ms']}: "
        f"{_met(cpu.get('dynamodb.get_item'), TARGETS['get_cpu_ms'], above=False)}). The floor's own CPU per call in "
        f"the same rounds ({floor_cpu.get('dynamodb.put_item', 0):.3f} and {floor_cpu.get('dynamodb.get_item', 0):.3f}"
        " ms) shows how much the machine's load inflates every figure. RSS after these cases: "
        f"{report['rss_mb_after_cases']:.1f} MB.",
    ]
    scale_report = report.get("scale")
    if scale_report:
        small, large = scale_report["query_small"], scale_report["query_large"]
        lines += [
            "",
            f"## Scale: a Query of one 20-item partition at 10,000 and at {scale_report['items']:,} items",
            "",
            "| items | Query p50 ms | Query p99 ms | server RSS MB |",
            "|---:|---:|---:|---:|",
            f"| 10,000 | {small['p50_ms']:.2f} | {small['p99_ms']:.2f} | {small['rss_mb']:.1f} |",
            f"| {scale_report['items']:,} | {large['p50_ms']:.2f} | {large['p99_ms']:.2f} | {large['rss_mb']:.1f} |",
            "",
            f"Median of the per-round ratios, p50 at {scale_report['items']:,} / p50 at 10,000: "
            f"**{scale_report['p50_ratio']:.2f}** (target within "
            f"20%: {_met(abs(scale_report['p50_ratio'] - 1), 0.2, above=False)}). Loading {scale_report['items']:,} "
            f"items with BatchWriteItem (8 threads, 25 items a call): {scale_report['load_seconds']:.0f} s "
            f"({scale_report['load_items_per_s']:.0f} items/s). Data directory {scale_report['data_dir_mb']:.0f} MB; "
            f"server RSS {scale_report['rss_mb_after']:.1f} MB with the table persisted (the table is not held in "
            f"memory). DescribeTable's ItemCount: {scale_report['item_count_reported']:,}.",
        ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
