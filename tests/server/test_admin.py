"""The admin endpoints under /_cloudlet/ and LocalStack's health path."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest


def call(cloudlet, method: str, path: str, body: bytes | None = None) -> tuple[int, dict]:  # noqa: ANN001
    request = urllib.request.Request(cloudlet.endpoint + path, data=body, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def test_health_lists_services(cloudlet) -> None:  # noqa: ANN001
    status, health = call(cloudlet, "GET", "/_cloudlet/health")
    assert status == 200 and health["status"] == "running"
    assert health["services"]["sts"] in ("available", "running")
    cloudlet.client("sts").get_caller_identity()
    assert call(cloudlet, "GET", "/_cloudlet/health")[1]["services"]["sts"] == "running"


def test_localstack_health_shape(cloudlet) -> None:  # noqa: ANN001
    status, health = call(cloudlet, "GET", "/_localstack/health")
    assert status == 200
    assert set(health) >= {"services", "edition", "version"}
    assert all(state in ("available", "running") for state in health["services"].values())


def test_clock_reads_and_advances(cloudlet) -> None:  # noqa: ANN001
    status, before = call(cloudlet, "GET", "/_cloudlet/clock")
    assert status == 200
    status, after = call(cloudlet, "POST", "/_cloudlet/clock?advance=120")
    assert status == 200 and after["offset"] - before["offset"] == 120
    assert after["now"] >= before["now"] + 120
    status, again = call(cloudlet, "POST", "/_cloudlet/clock", json.dumps({"advance": 1.5}).encode())
    assert status == 200 and again["offset"] == after["offset"] + 1.5


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("POST", "/_cloudlet/clock?advance=-5", None, 400),
        ("POST", "/_cloudlet/clock?advance=soon", None, 400),
        ("POST", "/_cloudlet/clock", b"[1]", 400),
        ("POST", "/_cloudlet/clock", b"{not json", 400),
        ("POST", "/_cloudlet/reset?service=nosuch", None, 404),
        ("DELETE", "/_cloudlet/clock", None, 405),
        ("GET", "/_cloudlet/nothing", None, 404),
        ("GET", "/_cloudlet/sts/nothing", None, 404),  # a service without admin routes
    ],
)
def test_bad_admin_calls_are_clear_errors(cloudlet, method, path, body, status) -> None:  # noqa: ANN001
    got, document = call(cloudlet, method, path, body)
    assert got == status and document["error"]


def test_reset_all(cloudlet) -> None:  # noqa: ANN001
    status, result = call(cloudlet, "POST", "/_cloudlet/reset")
    assert status == 200 and "sts" in result["reset"]
