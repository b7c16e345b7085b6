"""Running `cloudlet start` as a real process, as a user does."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import boto3
from botocore.config import Config


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class CloudletProcess:
    def __init__(self, *args: str) -> None:
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "cloudlet.cli", "start", "--port", str(self.port), *args],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        self.lines: list[str] = []
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line:
                break
            self.lines.append(line.rstrip("\n"))
            if line.strip() == "Ready.":
                return
        self.process.kill()
        raise RuntimeError("cloudlet did not print Ready.: " + "\n".join(self.lines))

    def client(self, service: str, **kwargs) -> object:  # noqa: ANN003
        options = {"aws_access_key_id": "test", "aws_secret_access_key": "test", **kwargs}
        return boto3.client(
            service, endpoint_url=self.endpoint, region_name="us-east-1",
            config=Config(retries={"max_attempts": 1}), **options,
        )

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
        if self.process.poll() is None:
            os.kill(self.process.pid, sig)
        code = self.process.wait(timeout)
        rest = self.process.stdout.read()
        self.lines.extend(rest.splitlines())
        return code


@contextmanager
def cloudlet_process(*args: str) -> Iterator[CloudletProcess]:
    proc = CloudletProcess(*args)
    try:
        yield proc
    finally:
        if proc.process.poll() is None:
            proc.stop(signal.SIGKILL)
