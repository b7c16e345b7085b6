"""``cloudlet start | status | reset [SERVICE]``."""

from __future__ import annotations

import argparse
import json
import os
import sys


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cloudlet", description="A local AWS cloud on one port.")
    sub = parser.add_subparsers(dest="command", required=True)

    start = sub.add_parser("start", help="run Cloudlet in the foreground")
    start.add_argument("--host", default=os.environ.get("CLOUDLET_HOST", "127.0.0.1"))
    start.add_argument("--port", type=int, default=int(os.environ.get("CLOUDLET_PORT", "4566")))
    start.add_argument("--data-dir", default=os.environ.get("CLOUDLET_DATA_DIR", "./.cloudlet"))
    start.add_argument("--ephemeral", action="store_true", help="keep state in memory only")
    start.add_argument(
        "--strict-signatures", action="store_true",
        help="verify SigV4 signatures against the secrets Cloudlet issued (key 'test' has secret 'test')",
    )
    start.add_argument(
        "--dynamodb-throughput", action="store_true",
        help="throttle PROVISIONED DynamoDB tables at their provisioned throughput (ProvisionedThroughputExceeded)",
    )

    for name, help_text in (("status", "show a running server's health"), ("reset", "forget state")):
        command = sub.add_parser(name, help=help_text)
        command.add_argument("--endpoint", default=os.environ.get("CLOUDLET_ENDPOINT", "http://127.0.0.1:4566"))
        if name == "reset":
            command.add_argument("service", nargs="?", help="only this service")
    return parser


def _call(endpoint: str, method: str, path: str) -> dict:
    import urllib.request  # only the client commands need it: `start` stays quick to import

    request = urllib.request.Request(endpoint.rstrip("/") + path, method=method, data=b"" if method == "POST" else None)
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "start":
        from cloudlet.config import Config
        from cloudlet.server import serve

        config = Config(
            host=args.host, port=args.port, data_dir=args.data_dir, ephemeral=args.ephemeral,
            strict_signatures=args.strict_signatures, dynamodb_throughput=args.dynamodb_throughput,
        )

        def ready(endpoint: str) -> None:
            print(f"Cloudlet listening on {endpoint}", flush=True)
            print("Ready.", flush=True)

        try:
            serve(config, on_ready=ready)
        except OSError as e:
            print(f"cloudlet: cannot listen on {args.host}:{args.port}: {e.strerror}", file=sys.stderr)
            return 1
        return 0
    import urllib.error

    try:
        if args.command == "status":
            health = _call(args.endpoint, "GET", "/_cloudlet/health")
            print(f"Cloudlet {health['version']} at {args.endpoint}: {health['status']}")
            for name, state in sorted(health["services"].items()):
                print(f"  {name:24} {state}")
        else:
            path = "/_cloudlet/reset" + (f"?service={args.service}" if args.service else "")
            result = _call(args.endpoint, "POST", path)
            print("reset: " + ", ".join(result["reset"]))
    except urllib.error.HTTPError as e:
        print(f"cloudlet: {e.code} {e.read().decode(errors='replace')}", file=sys.stderr)
        return 1
    except (urllib.error.URLError, OSError) as e:
        print(f"cloudlet: no server at {args.endpoint} ({getattr(e, 'reason', e)})", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
