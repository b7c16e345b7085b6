"""S3: small-object PUT/GET against the floor, a 1 GB managed transfer, and list latency by bucket size.

    .venv/bin/python -m bench.s3 [--seconds 3] [--rounds 3] [--threads 1 8] [--gigabytes 1] [--big-bucket 100000]

Measured in one run (medians reported; floor and Cloudlet alternate each round):

- **PutObject / GetObject of 4 KB objects** through boto3, 1 and 8 threads: ops/s, p50/p99 and the
  server's CPU per call, against the floor replaying Cloudlet's recorded PutObject and GetObject
  answers byte for byte (the client does the same work against both; boto3 hashes each body).
- **One 1 GB object** through boto3's managed transfer (``upload_file`` / ``download_file``, 8 MB
  parts, 10 threads, the defaults): MB/s each way, and the server's RSS growth during it
  (sampled every 50 ms), compared with the targets; then the same transfer against the client
  ceiling (bench/s3ceiling.py: a server on the same uvicorn stack that keeps nothing and serves
  downloads from memory), which is the most boto3 reaches on this machine whatever the server.
- **ListObjectsV2 page latency** (MaxKeys=100) in a bucket of 100 keys and one of 100,000
  keys (filled with raw, unsigned PUTs on keep-alive connections): the first page and a page
  from the middle, p50 over repeated calls; the ratio big/small is what the target bounds.

Cloudlet runs as ``cloudlet start --ephemeral`` (bodies in a temporary blob directory, no fsync).
Writes bench/results/s3-latest.{json,md}.  The machine is shared and noisy: read the ratios.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench.load import OPERATIONS, _session, make_clients, percentile, run_case
from bench.proc import Server, cloudlet_command, free_port, host_command
from bench.record import record, save
from bench.report import arguments, heading, new_report, save_report

BUCKET = "bench-bucket"
SMALL = os.urandom(4096)
MB = 1024 * 1024


def _client(endpoint: str, pool: int = 20):  # noqa: ANN202
    from botocore.config import Config

    config = Config(retries={"total_max_attempts": 1}, max_pool_connections=pool, read_timeout=120,
                    s3={"addressing_style": "path"})
    return _session.client("s3", endpoint_url=endpoint, config=config)


def _median(values: list) -> float | None:
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def small_objects(cloudlet: Server, floor: Server, args: argparse.Namespace) -> list[dict]:
    servers = {"cloudlet": cloudlet, "floor": floor}
    counter = iter(range(10**9))
    OPERATIONS["s3.put_object"] = ("s3", lambda c: c.put_object(Bucket=BUCKET, Key=f"small/{next(counter)}",
                                                                 Body=SMALL))
    OPERATIONS["s3.get_object"] = ("s3", lambda c: c.get_object(Bucket=BUCKET, Key="small/read")["Body"].read())
    cases = []
    for operation in ("s3.put_object", "s3.get_object"):
        for count in args.threads:
            clients = {name: make_clients(operation, s.endpoint, count) for name, s in servers.items()}
            for per in clients.values():
                for c in per:
                    c.meta.config.s3 = {"addressing_style": "path"}
            rounds = []
            for i in range(args.rounds):
                result = {}
                for name in ("floor", "cloudlet") if i % 2 == 0 else ("cloudlet", "floor"):
                    result[name] = run_case(operation, clients[name], count, servers[name].pid, args.seconds).as_dict()
                rounds.append(result)
                print(f"  {operation} x{count} round {i + 1}: floor {result['floor']['ops_per_s']:.0f}/s, "
                      f"cloudlet {result['cloudlet']['ops_per_s']:.0f}/s "
                      f"{result['cloudlet']['server_cpu_ms_per_call']:.3f} ms CPU", flush=True)
            med = {name: {k: _median([r[name][k] for r in rounds]) for k in rounds[0][name]} for name in servers}
            cases.append({
                "case": f"{operation.split('.')[1]} 4 KB", "threads": count, "median": med,
                "throughput_ratio": _median([r["cloudlet"]["ops_per_s"] / r["floor"]["ops_per_s"] for r in rounds]),
                "rounds": rounds,
            })
    return cases


class RssSampler(threading.Thread):
    def __init__(self, server: Server) -> None:
        super().__init__(daemon=True)
        self.server = server
        self.peak = server.rss_mb()
        self.stop_event = threading.Event()

    def run(self) -> None:
        while not self.stop_event.wait(0.05):
            self.peak = max(self.peak, self.server.rss_mb())


def big_transfer(cloudlet: Server, gigabytes: float) -> dict:
    """The managed transfer up and down against Cloudlet, then against the client ceiling
    (bench/s3ceiling.py: a server doing the least S3 work, under the same uvicorn stack): what boto3
    itself can reach on this machine, so the report says how much of the gap is the client's."""
    from boto3.s3.transfer import TransferConfig

    size = int(gigabytes * 1024 * MB)
    folder = Path(tempfile.mkdtemp(prefix="cloudlet-bench-"))
    source, target = folder / "up.bin", folder / "down.bin"
    with open(source, "wb") as f:
        block = os.urandom(8 * MB)
        written = 0
        while written < size:
            f.write(block[: min(len(block), size - written)])
            written += min(len(block), size - written)
    config = TransferConfig()  # boto3's defaults: 8 MB parts, 10 threads
    result: dict = {"bytes": size}
    ceiling = None
    try:
        s3 = _client(cloudlet.endpoint, pool=20)
        for direction in ("up", "down"):
            result[direction] = _transfer(s3, cloudlet, direction, source, target, config)
            print(f"  1 GB {direction}: {result[direction]['mb_per_s']:.0f} MB/s, "
                  f"RSS +{result[direction]['rss_growth_mb']:.1f} MB", flush=True)
        result["intact"] = target.stat().st_size == size and _same_file(source, target)
        s3.delete_object(Bucket=BUCKET, Key="big.bin")
        port = free_port()
        os.environ["CEILING_OBJECT_BYTES"] = str(size)
        ceiling = Server("s3-ceiling", host_command(port, app="s3-ceiling"), port).start()
        s3 = _client(ceiling.endpoint, pool=20)
        result["ceiling"] = {}
        for direction in ("up", "down"):
            result["ceiling"][direction] = _transfer(s3, ceiling, direction, source, target, config)
            print(f"  1 GB {direction}, client ceiling: {result['ceiling'][direction]['mb_per_s']:.0f} MB/s",
                  flush=True)
    finally:
        if ceiling is not None:
            ceiling.stop()
        for path in (source, target):
            if path.exists():
                path.unlink()
        folder.rmdir()
    return result


def _transfer(s3, server: Server, direction: str, source: Path, target: Path, config: object) -> dict:  # noqa: ANN001
    baseline = server.rss_mb()
    sampler = RssSampler(server)
    sampler.start()
    started = time.perf_counter()
    if direction == "up":
        s3.upload_file(str(source), BUCKET, "big.bin", Config=config)
    else:
        s3.download_file(BUCKET, "big.bin", str(target), Config=config)
    elapsed = time.perf_counter() - started
    sampler.stop_event.set()
    sampler.join()
    size = source.stat().st_size
    return {"seconds": round(elapsed, 2), "mb_per_s": size / MB / elapsed, "rss_before_mb": baseline,
            "rss_peak_mb": sampler.peak, "rss_growth_mb": sampler.peak - baseline}


def _same_file(a: Path, b: Path) -> bool:
    with open(a, "rb") as fa, open(b, "rb") as fb:
        while True:
            x, y = fa.read(MB), fb.read(MB)
            if x != y:
                return False
            if not x:
                return True


def fill(endpoint: str, bucket: str, count: int, threads: int = 8) -> None:
    """Keys ``k/000000``... by raw unsigned PUTs on keep-alive connections (no client signing cost)."""
    host, port = endpoint.split("//")[1].split(":")

    def worker(start: int) -> None:
        conn = http.client.HTTPConnection(host, int(port), timeout=60)
        for i in range(start, count, threads):
            conn.request("PUT", f"/{bucket}/k/{i:06d}", body=b"x", headers={"Content-Length": "1"})
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                raise RuntimeError(f"fill failed: {response.status}")
        conn.close()

    workers = [threading.Thread(target=worker, args=(t,)) for t in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()


def list_latency(cloudlet: Server, big: int, calls: int) -> dict:
    s3 = _client(cloudlet.endpoint)
    sizes = {"small": 100, "big": big}
    out: dict = {}
    for name, count in sizes.items():
        bucket = f"bench-list-{name}"
        s3.create_bucket(Bucket=bucket)
        started = time.perf_counter()
        fill(cloudlet.endpoint, bucket, count)
        print(f"  filled {bucket} with {count} keys in {time.perf_counter() - started:.0f} s", flush=True)
        middle = f"k/{count // 2:06d}"
        for page, kwargs in (("first page", {}), ("middle page", {"StartAfter": middle})):
            for _ in range(20):
                s3.list_objects_v2(Bucket=bucket, MaxKeys=100, **kwargs)
            times = []
            for _ in range(calls):
                t = time.perf_counter()
                response = s3.list_objects_v2(Bucket=bucket, MaxKeys=100, **kwargs)
                times.append(time.perf_counter() - t)
                assert response["KeyCount"] == min(100, count - (count // 2 + 1 if kwargs else 0))
            times.sort()
            out[f"{name} {page}"] = {"keys": count, "p50_ms": percentile(times, 0.5) * 1000,
                                     "p99_ms": percentile(times, 0.99) * 1000}
    out["ratio first page"] = out["big first page"]["p50_ms"] / out["small first page"]["p50_ms"]
    out["ratio middle page"] = out["big middle page"]["p50_ms"] / out["small first page"]["p50_ms"]
    return out


def main(argv: list[str] | None = None) -> int:
    parser = arguments("s3")
    parser.add_argument("--gigabytes", type=float, default=1.0)
    parser.add_argument("--big-bucket", type=int, default=100_000)
    parser.add_argument("--list-calls", type=int, default=200)
    args = parser.parse_args(argv)
    report = new_report(args)
    cloudlet_port = free_port()
    cloudlet = Server("cloudlet", cloudlet_command(cloudlet_port), cloudlet_port).start()
    report["rss_start_mb"] = cloudlet.rss_mb()
    floor = None
    answers_path = os.path.join(tempfile.mkdtemp(), "s3-answers.json")
    try:
        s3 = _client(cloudlet.endpoint)
        s3.create_bucket(Bucket=BUCKET)
        answers = record(s3, [
            ({"method": "PUT", "path_prefix": f"/{BUCKET}/"},
             lambda: s3.put_object(Bucket=BUCKET, Key="small/read", Body=SMALL)),
            ({"method": "GET", "path_prefix": f"/{BUCKET}/"},
             lambda: s3.get_object(Bucket=BUCKET, Key="small/read")["Body"].read()),
        ])
        # a streamed body is not in the recorded answer (botocore reads it after parsing): the object is
        answers[1]["body"] = base64.b64encode(SMALL).decode()
        save(answers, answers_path)
        floor_port = free_port()
        os.environ["CLOUDLET_FLOOR_ANSWERS"] = answers_path
        floor = Server("floor", host_command(floor_port), floor_port).start()
        print("small objects ...", flush=True)
        report["cases"] = small_objects(cloudlet, floor, args)
        print("1 GB managed transfer ...", flush=True)
        report["transfer"] = big_transfer(cloudlet, args.gigabytes)
        print("list latency ...", flush=True)
        report["listing"] = list_latency(cloudlet, args.big_bucket, args.list_calls)
        report["rss_end_mb"] = cloudlet.rss_mb()
    finally:
        cloudlet.stop()
        if floor is not None:
            floor.stop()
    save_report(report, args.out, "s3", markdown)
    return 0


def _ceiling_line(transfer: dict) -> list[str]:
    ceiling = transfer.get("ceiling")
    if not ceiling:
        return []
    up, down = ceiling["up"]["mb_per_s"], ceiling["down"]["mb_per_s"]
    return [
        "",
        f"Client ceiling (the same transfer against bench/s3ceiling.py, a server that keeps nothing and serves "
        f"from memory, same uvicorn stack): up {up:.0f} MB/s, down {down:.0f} MB/s; Cloudlet reached "
        f"{transfer['up']['mb_per_s'] / up:.2f} of it up and {transfer['down']['mb_per_s'] / down:.2f} down.",
    ]


def markdown(report: dict) -> str:
    transfer, listing = report["transfer"], report["listing"]
    lines = [
        *heading(report, "S3 benchmark"),
        "Medians of alternating floor/Cloudlet rounds; the floor replays Cloudlet's recorded PutObject and "
        "GetObject answers. Cloudlet ran with `--ephemeral`.",
        "",
        "| case | threads | floor ops/s | Cloudlet ops/s | ratio (target ≥ 0.9) | Cloudlet p50 / p99 ms | "
        "server CPU ms per call |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for case in report["cases"]:
        floor, mine = case["median"]["floor"], case["median"]["cloudlet"]
        lines.append(
            f"| {case['case']} | {case['threads']} | {floor['ops_per_s']:.0f} | {mine['ops_per_s']:.0f} | "
            f"{case['throughput_ratio']:.2f} | {mine['p50_ms']:.2f} / {mine['p99_ms']:.2f} | "
            f"{mine['server_cpu_ms_per_call']:.3f} |"
        )
    up, down = transfer["up"], transfer["down"]
    lines += [
        "",
        f"1 GB through boto3's managed transfer (8 MB parts, 10 threads): up {up['mb_per_s']:.0f} MB/s "
        f"(target ≥ 250), down {down['mb_per_s']:.0f} MB/s (target ≥ 550); server RSS growth "
        f"{up['rss_growth_mb']:.1f} MB up, {down['rss_growth_mb']:.1f} MB down (target < 50); "
        f"downloaded intact: {transfer['intact']}.",
        *_ceiling_line(transfer),
        "",
        "| ListObjectsV2, MaxKeys=100 | keys | p50 ms | p99 ms |",
        "|---|---:|---:|---:|",
    ]
    for name in ("small first page", "big first page", "small middle page", "big middle page"):
        row = listing[name]
        lines.append(f"| {name} | {row['keys']} | {row['p50_ms']:.2f} | {row['p99_ms']:.2f} |")
    lines += [
        "",
        f"Big/small p50 ratio: first page {listing['ratio first page']:.2f}, middle page "
        f"{listing['ratio middle page']:.2f} (against the small bucket's first page; target: within 20%, ≤ 1.2).",
        "",
        f"Server RSS at start {report['rss_start_mb']:.1f} MB, at the end {report.get('rss_end_mb', 0):.1f} MB.",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
