"""SQS: what Cloudlet's queues cost, against the floor answering the same bytes.

    .venv/bin/python -m bench.sqs [--seconds 3] [--rounds 3] [--threads 1 8] [--latency-messages 300]
                                  [--idle-seconds 22] [--deep 100000]

Measured in one run, floor and Cloudlet alternating each round (medians reported):

- **SendMessage** throughput (boto3, 1 and 8 threads), p50/p99, server CPU per call.
- **ReceiveMessage(10) + DeleteMessageBatch** pairs (boto3, 1 and 8 threads) from a queue filled
  before each round; its drain rate in messages/s. The floor replays Cloudlet's recorded
  answers (a full batch of 10, and the batch delete), so the client parses the same bytes.
- **SendMessage → long-poll latency**: one receiver long-polls (WaitTimeSeconds=20); the time
  from just before SendMessage to the receiver's return, p50/p99.
- **100 idle long-polling receivers**: server CPU over ``--idle-seconds`` as % of one core (the
  window covers one 20 s re-poll of every receiver).
- **Receive latency at depth**: ReceiveMessage(10, VisibilityTimeout=0) from a queue of 100
  messages and from one of ``--deep`` messages, alternating; the ratio of the medians.

Writes bench/results/sqs-latest.{json,md}.  The machine is shared and noisy: read the ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from bench.load import OPERATIONS, _session, make_clients, percentile, run_case
from bench.proc import Server, cloudlet_command, cpu_seconds, free_port, host_command
from bench.record import record, save
from bench.report import arguments, heading, new_report, save_report

BODY = "order 1234 placed: " + "x" * 200  # a typical small event


def _client(endpoint: str, pool: int = 4):  # noqa: ANN202
    from botocore.config import Config

    config = Config(retries={"total_max_attempts": 1}, max_pool_connections=pool, read_timeout=60)
    return _session.client("sqs", endpoint_url=endpoint, config=config)


def _median(values: list) -> float | None:
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def fill(endpoint: str, url: str, count: int, threads: int = 8) -> None:
    """Put ``count`` messages in a queue, in batches of 10 from several threads."""
    clients = [_client(endpoint) for _ in range(threads)]

    def work(worker: int) -> None:
        client = clients[worker]
        for start in range(worker * 10, count, threads * 10):
            entries = [{"Id": str(i), "MessageBody": BODY} for i in range(min(10, count - start))]
            client.send_message_batch(QueueUrl=url, Entries=entries)

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(work, range(threads)))


def depth(endpoint: str, url: str) -> int:
    attributes = _client(endpoint).get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
    return int(attributes["Attributes"]["ApproximateNumberOfMessages"])


def _drain(client, url: str) -> None:  # noqa: ANN001
    messages = client.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    if messages:
        client.delete_message_batch(QueueUrl=url, Entries=[
            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)])


def throughput(args: argparse.Namespace, servers: dict, urls: dict) -> list[dict]:
    """SendMessage, and ReceiveMessage(10)+DeleteMessageBatch pairs, floor and Cloudlet alternating."""
    OPERATIONS["sqs.send_message"] = ("sqs", lambda c: c.send_message(QueueUrl=urls["send"], MessageBody=BODY))
    OPERATIONS["sqs.receive_delete"] = ("sqs", lambda c: _drain(c, urls["drain"]))
    cases = []
    for operation, label in (("sqs.send_message", "SendMessage"),
                             ("sqs.receive_delete", "ReceiveMessage(10) + DeleteMessageBatch")):
        for count in args.threads:
            clients = {name: make_clients(operation, s.endpoint, count) for name, s in servers.items()}
            rounds = []
            for i in range(args.rounds):
                result = {}
                for name in ("floor", "cloudlet") if i % 2 == 0 else ("cloudlet", "floor"):
                    if operation == "sqs.receive_delete" and name == "cloudlet":
                        fill(servers["cloudlet"].endpoint, urls["drain"], args.fill)
                        before = depth(servers["cloudlet"].endpoint, urls["drain"])
                    result[name] = run_case(operation, clients[name], count, servers[name].pid, args.seconds,
                                            warmup_calls=20).as_dict()
                    if operation == "sqs.receive_delete" and name == "cloudlet":
                        left = depth(servers["cloudlet"].endpoint, urls["drain"])
                        calls = result[name]["calls"]
                        result[name]["messages_per_s"] = (before - left) / result[name]["seconds"]
                        result[name]["ran_dry"] = left == 0
                        _client(servers["cloudlet"].endpoint).purge_queue(QueueUrl=urls["drain"])
                        del calls
                        _advance(servers["cloudlet"].endpoint, 61)  # PurgeQueue allows one purge a minute
                rounds.append(result)
                print(f"  {label} x{count} round {i + 1}: floor {result['floor']['ops_per_s']:.0f}/s, cloudlet "
                      f"{result['cloudlet']['ops_per_s']:.0f}/s, {result['cloudlet']['server_cpu_ms_per_call']:.3f} "
                      "ms CPU", flush=True)
            med = {name: {k: _median([r[name].get(k) for r in rounds]) for k in rounds[0][name]
                          if k != "ran_dry"} for name in servers}
            cases.append({
                "case": label, "threads": count, "median": med,
                "throughput_ratio": _median([r["cloudlet"]["ops_per_s"] / r["floor"]["ops_per_s"] for r in rounds]),
                "ran_dry": any(r["cloudlet"].get("ran_dry") for r in rounds),
                "rounds": rounds,
            })
    return cases


def _advance(endpoint: str, seconds: float) -> None:
    import urllib.request

    body = json.dumps({"advance": seconds}).encode()
    with urllib.request.urlopen(urllib.request.Request(f"{endpoint}/_cloudlet/clock", data=body, method="POST")):
        pass


def long_poll_latency(endpoint: str, url: str, messages: int) -> dict:
    """One receiver long-polls; each SendMessage waits for it to return before the next."""
    arrived: dict[str, float] = {}
    got = threading.Condition()
    stop = threading.Event()

    def receiver() -> None:
        client = _client(endpoint)
        while not stop.is_set():
            result = client.receive_message(QueueUrl=url, WaitTimeSeconds=20, MaxNumberOfMessages=10)
            now = time.perf_counter()
            batch = result.get("Messages", [])
            if batch:
                client.delete_message_batch(QueueUrl=url, Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(batch)])
            with got:
                for message in batch:
                    arrived[message["Body"]] = now
                got.notify_all()

    thread = threading.Thread(target=receiver, daemon=True)
    thread.start()
    sender = _client(endpoint)
    time.sleep(0.5)
    sent: dict[str, float] = {}
    for i in range(messages):
        marker = f"latency-{i}"
        time.sleep(0.002)  # let the receiver be back in its long poll
        sent[marker] = time.perf_counter()
        sender.send_message(QueueUrl=url, MessageBody=marker)
        with got:
            got.wait_for(lambda m=marker: m in arrived, timeout=10)
    stop.set()
    sender.send_message(QueueUrl=url, MessageBody="stop")
    thread.join(30)
    values = sorted(arrived[m] - sent[m] for m in sent if m in arrived)
    return {"messages": messages, "received": len(values), "p50_ms": percentile(values, 0.5) * 1000,
            "p99_ms": percentile(values, 0.99) * 1000, "max_ms": values[-1] * 1000}


def idle_receivers(server: Server, url: str, receivers: int, seconds: float) -> dict:
    """``receivers`` threads long-poll an empty queue; the server's CPU while they wait."""
    stop = threading.Event()
    clients = [_client(server.endpoint, pool=1) for _ in range(receivers)]

    def receiver(index: int) -> None:
        while not stop.is_set():
            clients[index].receive_message(QueueUrl=url, WaitTimeSeconds=20)

    threads = [threading.Thread(target=receiver, args=(i,), daemon=True) for i in range(receivers)]
    for thread in threads:
        thread.start()
    time.sleep(2)  # every receiver is in its first long poll
    before, started = cpu_seconds(server.pid), time.perf_counter()
    time.sleep(seconds)
    used, elapsed = cpu_seconds(server.pid) - before, time.perf_counter() - started
    stop.set()
    _client(server.endpoint).purge_queue(QueueUrl=url)
    fill(server.endpoint, url, receivers * 10)  # end the long polls
    for thread in threads:
        thread.join(30)
    return {"receivers": receivers, "seconds": round(elapsed, 2), "cpu_seconds": round(used, 4),
            "percent_of_a_core": used / elapsed * 100}


def depth_latency(endpoint: str, shallow: str, deep: str, calls: int, rounds: int) -> dict:
    """ReceiveMessage(10, VisibilityTimeout=0) p50 from a shallow and a deep queue, alternating."""
    client = _client(endpoint)

    def measure(url: str) -> float:
        for _ in range(20):
            client.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0)
        times = []
        for _ in range(calls):
            start = time.perf_counter()
            client.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0)
            times.append(time.perf_counter() - start)
        return percentile(sorted(times), 0.5) * 1000

    results = []
    for i in range(rounds):
        order = ("shallow", "deep") if i % 2 == 0 else ("deep", "shallow")
        result = {name: measure(shallow if name == "shallow" else deep) for name in order}
        result["ratio"] = result["deep"] / result["shallow"]
        results.append(result)
        print(f"  receive p50 round {i + 1}: 100 messages {result['shallow']:.2f} ms, deep {result['deep']:.2f} ms",
              flush=True)
    return {"shallow_p50_ms": _median([r["shallow"] for r in results]),
            "deep_p50_ms": _median([r["deep"] for r in results]),
            "ratio": _median([r["ratio"] for r in results]), "rounds": results}


def main(argv: list[str] | None = None) -> int:
    parser = arguments("sqs")
    parser.add_argument("--fill", type=int, default=30000, help="messages in the drain queue before each round")
    parser.add_argument("--latency-messages", type=int, default=300)
    parser.add_argument("--idle-receivers", type=int, default=100)
    parser.add_argument("--idle-seconds", type=float, default=22.0)
    parser.add_argument("--deep", type=int, default=100000)
    parser.add_argument("--depth-calls", type=int, default=300)
    args = parser.parse_args(argv)

    report = new_report(args)
    cloudlet_port = free_port()
    cloudlet = Server("cloudlet", cloudlet_command(cloudlet_port), cloudlet_port).start()
    answers_path = os.path.join(tempfile.mkdtemp(), "sqs-answers.json")
    floor = None
    try:
        sqs = _client(cloudlet.endpoint)
        urls = {name: sqs.create_queue(QueueName=f"bench-{name}")["QueueUrl"]
                for name in ("send", "drain", "latency", "idle", "shallow", "deep")}
        fill(cloudlet.endpoint, urls["drain"], 10)
        answers = record(sqs, [
            ({"target": "AmazonSQS.SendMessage"}, lambda: sqs.send_message(QueueUrl=urls["send"], MessageBody=BODY)),
            ({"target": "AmazonSQS.ReceiveMessage"},
             lambda: sqs.receive_message(QueueUrl=urls["drain"], MaxNumberOfMessages=10)),
        ])
        receipt = json.loads(__import__("base64").b64decode(answers[1]["body"]))["Messages"]
        assert len(receipt) == 10, "the recorded receive must be a full batch"
        answers += record(sqs, [({"target": "AmazonSQS.DeleteMessageBatch"}, lambda: sqs.delete_message_batch(
            QueueUrl=urls["drain"], Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                                             for i, m in enumerate(receipt)]))])
        save(answers, answers_path)
        floor_port = free_port()
        os.environ["CLOUDLET_FLOOR_ANSWERS"] = answers_path
        floor = Server("floor", host_command(floor_port), floor_port).start()
        servers = {"cloudlet": cloudlet, "floor": floor}
        print("throughput ...", flush=True)
        report["cases"] = throughput(args, servers, urls)
        print("send -> long poll latency ...", flush=True)
        report["long_poll"] = long_poll_latency(cloudlet.endpoint, urls["latency"], args.latency_messages)
        print(f"{args.idle_receivers} idle receivers for {args.idle_seconds} s ...", flush=True)
        report["idle"] = idle_receivers(cloudlet, urls["idle"], args.idle_receivers, args.idle_seconds)
        print(f"filling {args.deep} messages ...", flush=True)
        fill(cloudlet.endpoint, urls["shallow"], 100)
        fill(cloudlet.endpoint, urls["deep"], args.deep)
        report["depth"] = depth_latency(cloudlet.endpoint, urls["shallow"], urls["deep"], args.depth_calls,
                                        args.rounds * 2)
        report["depth"]["deep_messages"] = depth(cloudlet.endpoint, urls["deep"])
        report["rss_mb_end"] = cloudlet.rss_mb()
    finally:
        cloudlet.stop()
        if floor is not None:
            floor.stop()
    save_report(report, args.out, "sqs", markdown)
    return 0


def markdown(report: dict) -> str:
    lines = [
        *heading(report, "SQS benchmark"),
        "Medians of alternating floor/Cloudlet rounds; the floor replays Cloudlet's recorded answers "
        "(SendMessage, a full ReceiveMessage of 10, DeleteMessageBatch), so boto3 parses the same bytes.",
        "",
        "| case | threads | floor ops/s | Cloudlet ops/s | ratio (target ≥ 0.9) | Cloudlet p50 / p99 ms | "
        "server CPU ms per call | messages/s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for case in report["cases"]:
        floor, mine = case["median"]["floor"], case["median"]["cloudlet"]
        drained = mine.get("messages_per_s")
        lines.append(
            f"| {case['case']} | {case['threads']} | {floor['ops_per_s']:.0f} | {mine['ops_per_s']:.0f} | "
            f"{case['throughput_ratio']:.2f} | {mine['p50_ms']:.2f} / {mine['p99_ms']:.2f} | "
            f"{mine['server_cpu_ms_per_call']:.3f} | {f'{drained:.0f}' if drained else ''}"
            f"{' (ran dry)' if case.get('ran_dry') else ''} |"
        )
    poll, idle, deep = report["long_poll"], report["idle"], report["depth"]
    lines += [
        "",
        f"- SendMessage → long-polling receiver returns: p50 {poll['p50_ms']:.2f} ms, p99 {poll['p99_ms']:.2f} ms "
        f"(target p99 < 10 ms), max {poll['max_ms']:.2f} ms, {poll['received']}/{poll['messages']} messages.",
        f"- {idle['receivers']} idle long-polling receivers: {idle['percent_of_a_core']:.2f}% of one core over "
        f"{idle['seconds']} s (target < 2%).",
        f"- ReceiveMessage(10) p50 with 100 messages {deep['shallow_p50_ms']:.2f} ms, with "
        f"{deep['deep_messages']} messages {deep['deep_p50_ms']:.2f} ms: ratio {deep['ratio']:.2f} (target within 20%).",
        f"- Server RSS at the end: {report.get('rss_mb_end', 0):.1f} MB.",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
