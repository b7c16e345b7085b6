"""SNS: Publish fanned out to 10 SQS subscriptions, against the floor answering the same bytes.

    .venv/bin/python -m bench.sns [--seconds 3] [--rounds 3] [--threads 1 8] [--messages 200]

Measured in one run, floor and Cloudlet alternating each round (medians reported):

- **Publish throughput** (boto3, 1 and 8 threads) to a topic with no subscriptions and to a
  topic with 10 SQS subscriptions (every Publish is committed into 10 queues before it is
  answered), with p50/p99 latency and the server's CPU per Publish.  The floor replays
  Cloudlet's recorded Publish answer, so the client parses the same bytes.
- **End-to-end latency**: one Publish at a time; 10 threads long-poll the 10 queues
  (ReceiveMessage, WaitTimeSeconds=20) and the time from just before Publish to each queue's
  receiver returning is taken; p50/p99 over all deliveries, and of the last of the 10.

Writes bench/results/sns-latest.{json,md}.  The machine is shared and noisy: read the ratios.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import threading
import time
import urllib.request

from bench.load import OPERATIONS, _session, make_clients, percentile, run_case
from bench.proc import Server, cloudlet_command, free_port, host_command
from bench.record import record, save
from bench.report import arguments, heading, new_report, save_report

FANOUT = 10
BODY = "order 1234 placed: " + "x" * 200  # a typical small event


def _client(service: str, endpoint: str):  # noqa: ANN202
    from botocore.config import Config

    config = Config(retries={"total_max_attempts": 1}, max_pool_connections=20, read_timeout=60)
    return _session.client(service, endpoint_url=endpoint, config=config)


def _has_sqs(endpoint: str) -> bool:
    with urllib.request.urlopen(f"{endpoint}/_cloudlet/health", timeout=10) as response:
        return "sqs" in json.loads(response.read())["services"]


def setup(endpoint: str, with_sqs: bool) -> dict:
    """A topic without subscriptions, and one fanned out to 10 queues (when SQS is there)."""
    sns = _client("sns", endpoint)
    topics = {"bare": sns.create_topic(Name="bench-bare")["TopicArn"]}
    if with_sqs:
        # one fan-out for throughput (its queues fill up), a fresh one for the end-to-end latency
        sqs = _client("sqs", endpoint)
        for kind in ("fanout", "e2e"):
            topics[kind] = sns.create_topic(Name=f"bench-{kind}")["TopicArn"]
            urls = []
            for i in range(FANOUT):
                url = sqs.create_queue(QueueName=f"bench-{kind}-{i}")["QueueUrl"]
                arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
                sns.subscribe(TopicArn=topics[kind], Protocol="sqs", Endpoint=arn)
                urls.append(url)
            topics[f"{kind}-queues"] = urls
    return topics


def end_to_end(endpoint: str, topic: str, urls: list[str], messages: int) -> dict:
    """Publish one message at a time; 10 long-polling receivers say when each copy arrives."""
    sns = _client("sns", endpoint)
    arrivals: dict[str, list[float]] = {}
    lock = threading.Lock()
    stop = threading.Event()

    def receiver(url: str) -> None:
        sqs = _client("sqs", endpoint)
        while not stop.is_set():
            got = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=2, MaxNumberOfMessages=10)
            now = time.perf_counter()
            for message in got.get("Messages", []):
                marker = json.loads(message["Body"])["Message"]
                with lock:
                    arrivals.setdefault(marker, []).append(now)
            entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(got.get("Messages", []))]
            if entries:
                sqs.delete_message_batch(QueueUrl=url, Entries=entries)

    threads = [threading.Thread(target=receiver, args=(url,), daemon=True) for url in urls]
    for thread in threads:
        thread.start()
    time.sleep(0.5)  # let every receiver start its long poll
    sent: dict[str, float] = {}
    for i in range(messages):
        marker = f"e2e-{i}"
        sent[marker] = time.perf_counter()
        sns.publish(TopicArn=topic, Message=marker)
        deadline = time.perf_counter() + 10
        while time.perf_counter() < deadline:  # the harness waits for the copies, not the server
            with lock:
                if len(arrivals.get(marker, [])) >= len(urls):
                    break
            time.sleep(0.0005)
    stop.set()
    for thread in threads:
        thread.join(5)
    every = sorted(t - sent[m] for m, times in arrivals.items() for t in times)
    last = sorted(max(times) - sent[m] for m, times in arrivals.items() if len(times) >= len(urls))
    return {
        "messages": messages,
        "deliveries": len(every),
        "complete": len(last),
        "p50_ms": percentile(every, 0.5) * 1000 if every else None,
        "p99_ms": percentile(every, 0.99) * 1000 if every else None,
        "all_10_p50_ms": percentile(last, 0.5) * 1000 if last else None,
        "all_10_p99_ms": percentile(last, 0.99) * 1000 if last else None,
    }


def _median(values: list) -> float | None:
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def main(argv: list[str] | None = None) -> int:
    parser = arguments("sns")
    parser.add_argument("--messages", type=int, default=200, help="end-to-end messages")
    args = parser.parse_args(argv)

    report = new_report(args)
    cloudlet_port = free_port()
    cloudlet = Server("cloudlet", cloudlet_command(cloudlet_port), cloudlet_port).start()
    answers_path = os.path.join(tempfile.mkdtemp(), "sns-answers.json")
    floor = None
    try:
        with_sqs = _has_sqs(cloudlet.endpoint)
        topics = setup(cloudlet.endpoint, with_sqs)
        sns = _client("sns", cloudlet.endpoint)
        # the floor answers every Publish with Cloudlet's own answer (only the ids differ per call)
        save(record(sns, [({"action": "Publish"}, lambda: sns.publish(TopicArn=topics["bare"], Message=BODY))]),
             answers_path)
        floor_port = free_port()
        os.environ["CLOUDLET_FLOOR_ANSWERS"] = answers_path
        floor = Server("floor", host_command(floor_port), floor_port).start()
        servers = {"cloudlet": cloudlet, "floor": floor}
        cases = []
        for kind in [k for k in ("bare", "fanout") if k in topics]:
            arn = topics[kind]
            OPERATIONS[f"sns.publish.{kind}"] = ("sns", lambda c, arn=arn: c.publish(TopicArn=arn, Message=BODY))
            for count in args.threads:
                clients = {name: make_clients(f"sns.publish.{kind}", s.endpoint, count) for name, s in servers.items()}
                rounds = []
                for i in range(args.rounds):
                    result = {}
                    for name in ("floor", "cloudlet") if i % 2 == 0 else ("cloudlet", "floor"):
                        result[name] = run_case(f"sns.publish.{kind}", clients[name], count, servers[name].pid,
                                                args.seconds).as_dict()
                    rounds.append(result)
                    print(f"  publish {kind} x{count} round {i + 1}: floor {result['floor']['ops_per_s']:.0f}/s, "
                          f"cloudlet {result['cloudlet']['ops_per_s']:.0f}/s "
                          f"{result['cloudlet']['server_cpu_ms_per_call']:.3f} ms CPU", flush=True)
                med = {name: {k: _median([r[name][k] for r in rounds]) for k in rounds[0][name]} for name in servers}
                cases.append({
                    "case": f"publish to a topic with {FANOUT if kind == 'fanout' else 0} SQS subscriptions",
                    "threads": count,
                    "median": med,
                    "throughput_ratio": _median([r["cloudlet"]["ops_per_s"] / r["floor"]["ops_per_s"] for r in rounds]),
                    "rounds": rounds,
                })
        report["cases"] = cases
        if with_sqs:
            print("end-to-end ...", flush=True)
            report["end_to_end"] = end_to_end(cloudlet.endpoint, topics["e2e"], topics["e2e-queues"], args.messages)
        else:
            report["end_to_end"] = None
            report["note"] = "the SQS service is not available in this build: the fan-out cases were skipped"
    finally:
        cloudlet.stop()
        if floor is not None:
            floor.stop()
    save_report(report, args.out, "sns", markdown)
    return 0


def markdown(report: dict) -> str:
    lines = [
        *heading(report, "SNS benchmark"),
        "Medians of alternating floor/Cloudlet rounds; the floor replays Cloudlet's recorded Publish answer.",
        "",
        "| case | threads | floor ops/s | Cloudlet ops/s | ratio | Cloudlet p50 / p99 ms | server CPU ms per Publish |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for case in report["cases"]:
        floor, mine = case["median"]["floor"], case["median"]["cloudlet"]
        lines.append(
            f"| {case['case']} | {case['threads']} | {floor['ops_per_s']:.0f} | {mine['ops_per_s']:.0f} | "
            f"{case['throughput_ratio']:.2f} | {mine['p50_ms']:.2f} / {mine['p99_ms']:.2f} | "
            f"{mine['server_cpu_ms_per_call']:.3f} |"
        )
    e2e = report.get("end_to_end")
    lines.append("")
    if e2e:
        lines += [
            f"End to end (Publish → each of 10 long-polling receivers), {e2e['messages']} messages, "
            f"{e2e['deliveries']} deliveries seen: p50 {e2e['p50_ms']:.2f} ms, p99 {e2e['p99_ms']:.2f} ms; "
            f"all 10 copies received: p50 {e2e['all_10_p50_ms']:.2f} ms, p99 {e2e['all_10_p99_ms']:.2f} ms.",
        ]
    else:
        lines.append(report.get("note", ""))
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
