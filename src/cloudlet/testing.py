"""Cloudlet for tests: a real server in a background thread, and boto3 clients pointed at it.

    from cloudlet.testing import cloudlet_server

    with cloudlet_server() as cloud:
        s3 = cloud.client("s3")
        cloud.advance_clock(60)

or, with pytest (this module is a pytest plugin once Cloudlet is installed):

    def test_queue(cloudlet):
        sqs = cloudlet.client("sqs")
"""

from __future__ import annotations

import json
import os
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from cloudlet.config import Config

if TYPE_CHECKING:
    from cloudlet.server import ServerThread

DEFAULT_CREDENTIALS = {"aws_access_key_id": "test", "aws_secret_access_key": "test"}


class Cloudlet:
    """A running server: its endpoint, boto3 clients for it, and its admin calls."""

    def __init__(self, server: ServerThread) -> None:
        self.server = server
        self.endpoint = server.endpoint

    def client(self, service: str, region: str = "us-east-1", **kwargs: Any) -> Any:
        import boto3
        from botocore.config import Config as BotoConfig

        options = {**DEFAULT_CREDENTIALS, **kwargs}
        options.setdefault("config", BotoConfig(retries={"max_attempts": 1}))
        return boto3.client(service, endpoint_url=self.endpoint, region_name=region, **options)

    def resource(self, service: str, region: str = "us-east-1", **kwargs: Any) -> Any:
        import boto3

        return boto3.resource(service, endpoint_url=self.endpoint, region_name=region, **{**DEFAULT_CREDENTIALS, **kwargs})

    def admin(self, method: str, path: str, body: dict | None = None) -> dict:
        data = json.dumps(body).encode() if body is not None else (b"" if method == "POST" else None)
        request = urllib.request.Request(f"{self.endpoint}/_cloudlet/{path}", data=data, method=method)
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())

    def advance_clock(self, seconds: float) -> float:
        """Move Cloudlet's clock forward, firing every timer that falls due; returns the new time."""
        return self.admin("POST", "clock", {"advance": seconds})["now"]

    def now(self) -> float:
        return self.admin("GET", "clock")["now"]

    def reset(self, service: str | None = None) -> list[str]:
        return self.admin("POST", "reset", {"service": service} if service else {})["reset"]

    def env(self) -> dict[str, str]:
        """Environment variables that point the AWS CLI and SDKs at this server."""
        return {
            **os.environ,
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_MAX_ATTEMPTS": "1",
        }


@contextmanager
def cloudlet_server(config: Config | None = None) -> Iterator[Cloudlet]:
    """Start a real server (ephemeral, on a free port unless ``config`` says otherwise)."""
    from cloudlet.server import ServerThread  # imported here: the plugin loads in every pytest run

    server = ServerThread(config).start()
    try:
        yield Cloudlet(server)
    finally:
        server.stop()


try:
    import pytest
except ImportError:  # pytest is only needed for the fixture
    pytest = None

if pytest is not None:

    @pytest.fixture(scope="session")
    def cloudlet() -> Iterator[Cloudlet]:
        """One real Cloudlet server for the whole test session."""
        with cloudlet_server() as cloud:
            yield cloud
