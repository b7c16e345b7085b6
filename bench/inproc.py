"""Cost per call in-process (DynamoDB, S3, SQS, SNS): boto3 clients whose requests the ASGI app answers directly.

    .venv/bin/python -m bench.inproc [--case send|pair|publish10|publish0] [--calls 2000] [--profile] [--disk]

A ``before-send`` hook hands botocore's finished request (signed, serialized, exactly what it would
send) to the app in this process and returns the app's answer to botocore, so multi-step cases
(receive, then delete what was received) work as with a server. Only the app's share is timed: the
process CPU spent inside the hook, per case iteration. ``--profile`` runs cProfile over the same
share and prints the top functions (times scaled back by cProfile's overhead). ``--disk`` uses a
WAL database in a temporary directory instead of ``--ephemeral``'s memory.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import itertools
import pstats
import sys
import tempfile
import time
from urllib.parse import urlsplit

from botocore.awsrequest import AWSResponse
from botocore.config import Config

from bench.dynamodb import item as dynamodb_item
from bench.load import _session
from bench.s3 import SMALL

BODY = "order 1234 placed: " + "x" * 200


class _Raw:
    def __init__(self, body: bytes) -> None:
        self.body = body
        self.stream_ = io.BytesIO(body)

    def read(self, amt: int | None = None) -> bytes:  # GetObject's streaming body reads the raw stream
        return self.stream_.read(amt)

    def stream(self, **_: object):  # noqa: ANN201
        yield self.body


class InProcess:
    """The app, a loop to run it on, and the CPU it spent."""

    def __init__(self, disk: bool) -> None:
        from cloudlet.config import Config as CloudletConfig
        from cloudlet.server import build_app

        config = CloudletConfig(port=4566, ephemeral=not disk, data_dir=tempfile.mkdtemp() if disk else "")
        self.app = build_app(config)
        self.loop = asyncio.new_event_loop()
        self.loop.run_until_complete(self.app.runtime.start())
        self.cpu = 0.0
        self.profiler: cProfile.Profile | None = None

    def client(self, service: str):  # noqa: ANN201
        client = _session.client(service, endpoint_url="http://127.0.0.1:4566",
                                 config=Config(retries={"total_max_attempts": 1}))
        client.meta.events.register("before-send", self._send)
        return client

    def _send(self, request, **_: object) -> AWSResponse:  # noqa: ANN001
        url = urlsplit(request.url)
        body = request.body
        if hasattr(body, "read"):  # S3 bodies: a file or boto3's aws-chunked wrapper
            body = body.read()
        elif not isinstance(body, bytes):
            body = (body or "").encode()
        headers = [
            (k.lower().encode("latin-1"), (v if isinstance(v, bytes) else v.encode("latin-1")))
            for k, v in request.headers.items()
        ]
        if not any(name == b"host" for name, _ in headers):  # botocore signs with one; HTTP sends one
            headers.insert(0, (b"host", url.netloc.encode()))
        path = url.path or "/"
        scope = {
            "type": "http", "http_version": "1.1", "method": request.method, "scheme": "http",
            "path": path, "raw_path": path.encode(), "query_string": url.query.encode(), "headers": headers,
            "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 4566),
        }
        out: dict = {"status": 0, "headers": [], "body": []}

        async def receive() -> dict:
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: dict) -> None:
            if message["type"] == "http.response.start":
                out["status"] = message["status"]
                out["headers"] = message.get("headers", [])
            elif message["type"] == "http.response.body":
                out["body"].append(message.get("body", b""))

        started = time.process_time()
        if self.profiler is not None:
            self.profiler.enable()
        self.loop.run_until_complete(self.app(scope, receive, send))
        if self.profiler is not None:
            self.profiler.disable()
        self.cpu += time.process_time() - started
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in out["headers"]}
        return AWSResponse(request.url, out["status"], headers, _Raw(b"".join(out["body"])))


def cases(env: InProcess) -> dict:
    sqs = env.client("sqs")
    sns = env.client("sns")
    send_url = sqs.create_queue(QueueName="send")["QueueUrl"]
    drain_url = sqs.create_queue(QueueName="drain")["QueueUrl"]
    bare = sns.create_topic(Name="bare")["TopicArn"]
    fanout = sns.create_topic(Name="fanout")["TopicArn"]
    for i in range(10):
        url = sqs.create_queue(QueueName=f"fan-{i}")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        sns.subscribe(TopicArn=fanout, Protocol="sqs", Endpoint=arn)

    def pair() -> None:
        got = sqs.receive_message(QueueUrl=drain_url, MaxNumberOfMessages=10).get("Messages", [])
        assert len(got) == 10, len(got)
        sqs.delete_message_batch(QueueUrl=drain_url, Entries=[
            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(got)])

    def fill(count: int) -> None:
        for _ in range(count // 10 + 1):
            sqs.send_message_batch(QueueUrl=drain_url, Entries=[{"Id": str(i), "MessageBody": BODY} for i in range(10)])

    ddb = env.client("dynamodb")
    ddb.create_table(TableName="items", BillingMode="PAY_PER_REQUEST",
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])
    keys = itertools.cycle(range(1000))
    for i in range(1000):
        ddb.put_item(TableName="items", Item=dynamodb_item(f"k{i}"))
    s3 = env.client("s3")
    s3.create_bucket(Bucket="bench")
    s3.put_object(Bucket="bench", Key="read", Body=SMALL)
    return {
        "ddb_put": (lambda: ddb.put_item(TableName="items", Item=dynamodb_item(f"k{next(keys)}")), None),
        "ddb_get": (lambda: ddb.get_item(TableName="items", Key={"pk": {"S": f"k{next(keys)}"}}), None),
        "s3_put": (lambda: s3.put_object(Bucket="bench", Key=f"small/{next(keys)}", Body=SMALL), None),
        "s3_get": (lambda: s3.get_object(Bucket="bench", Key="read")["Body"].read(), None),
        "send": (lambda: sqs.send_message(QueueUrl=send_url, MessageBody=BODY), None),
        "pair": (pair, fill),
        "publish10": (lambda: sns.publish(TopicArn=fanout, Message=BODY), None),
        "publish0": (lambda: sns.publish(TopicArn=bare, Message=BODY), None),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.inproc")
    parser.add_argument("--case", nargs="+", default=["send", "pair", "publish10"])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--blocks", type=int, default=10)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--disk", action="store_true")
    parser.add_argument("--top", type=int, default=40)
    args = parser.parse_args(argv)
    env = InProcess(args.disk)
    table = cases(env)
    for name in args.case:
        call, prepare = table[name]
        if prepare:
            prepare((args.calls * 2 + 200) * 10)
        for _ in range(100):
            call()
        if args.calls < args.blocks:  # --calls 0: set-up only (bench.icount subtracts it)
            for _ in range(args.calls):
                call()
            continue
        blocks = []
        for _ in range(args.blocks):  # the machine is shared: the least disturbed block is the figure
            env.cpu = 0.0
            for _ in range(args.calls // args.blocks):
                call()
            blocks.append(env.cpu / (args.calls // args.blocks))
        blocks.sort()
        plain = blocks[0]
        print(f"{name}: {plain * 1e6:.0f} µs app CPU per iteration (least of {args.blocks} blocks; median "
              f"{blocks[len(blocks) // 2] * 1e6:.0f} µs)")
        if args.profile:
            env.profiler = cProfile.Profile()
            env.cpu = 0.0
            for _ in range(args.calls):
                call()
            env.profiler.disable()
            stats = pstats.Stats(env.profiler)
            env.profiler = None
            total = sum(tt for _, _, tt, _, _ in stats.stats.values())  # type: ignore[attr-defined]
            scale = plain * args.calls / total
            print(f"  cProfile overhead x{1 / scale:.1f}; figures scaled back (µs per iteration)")
            rows = sorted(stats.stats.items(), key=lambda kv: -kv[1][3])  # type: ignore[attr-defined]
            print("  -- cumulative --")
            for (file, line, func), (_, nc, tt, ct, _) in rows[: args.top]:
                print(f"  {ct * scale * 1e6 / args.calls:8.1f} {tt * scale * 1e6 / args.calls:8.1f} "
                      f"{nc / args.calls:6.1f}  {func} ({file.split('/src/')[-1].split('site-packages/')[-1]}:{line})")
            rows = sorted(stats.stats.items(), key=lambda kv: -kv[1][2])  # type: ignore[attr-defined]
            print("  -- self --")
            for (file, line, func), (_, nc, tt, _, _) in rows[: args.top]:
                print(f"  {tt * scale * 1e6 / args.calls:8.1f} {nc / args.calls:6.1f}  {func} "
                      f"({file.split('/src/')[-1].split('site-packages/')[-1]}:{line})")
    env.loop.run_until_complete(env.app.runtime.stop())
    return 0


if __name__ == "__main__":
    sys.exit(main())
