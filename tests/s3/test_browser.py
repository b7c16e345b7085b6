"""CORS in a real browser: a page from another origin uploads with a presigned PUT and reads the object
back with fetch, in headless Chromium driven by playwright-core.  It works with a matching CORS rule
and fails without one, as in AWS.

Needs Debian's ``chromium`` and the npm package ``playwright-core`` (found through ``npm root -g`` or
``NODE_PATH``); skipped only when Chromium itself is not installed.
"""

from __future__ import annotations

import http.server
import json
import os
import shutil
import subprocess
import threading

import pytest
from botocore.config import Config as BotoConfig

from tests.s3.support import unique

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium)")
SCRIPT = os.path.join(os.path.dirname(__file__), "browser.js")


@pytest.fixture(scope="module")
def page_origin():
    """A second origin: a tiny page server on another port of localhost."""

    class Page(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            body = b"<!doctype html><title>uploader</title><p>another origin</p>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:  # noqa: ANN002
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://localhost:{server.server_address[1]}"
    server.shutdown()


def node_environment() -> dict[str, str]:
    node = shutil.which("node")
    if node is None:
        pytest.fail("Chromium is installed but Node.js is not: the browser test needs node and playwright-core")
    env = dict(os.environ)
    roots = [env["NODE_PATH"]] if env.get("NODE_PATH") else []
    npm = shutil.which("npm")
    if npm:
        roots.append(subprocess.run([npm, "root", "-g"], capture_output=True, text=True, timeout=60).stdout.strip())
    env["NODE_PATH"] = os.pathsep.join(r for r in roots if r)
    found = subprocess.run([node, "-e", "require.resolve('playwright-core')"], env=env, capture_output=True,
                           timeout=60)
    if found.returncode != 0:
        pytest.fail("Chromium is installed but playwright-core is not: npm install -g playwright-core")
    return env


def run_page(page: str, put_url: str, get_url: str) -> dict:
    job = {"chromium": CHROMIUM, "page": page + "/", "putUrl": put_url, "getUrl": get_url}
    done = subprocess.run(["node", SCRIPT, json.dumps(job)], env=node_environment(), capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_browser_upload_and_read_back_needs_a_cors_rule(cloudlet, page_origin) -> None:
    s3 = cloudlet.client("s3", config=BotoConfig(signature_version="s3v4"))
    bucket = unique("browser")
    s3.create_bucket(Bucket=bucket)

    def urls(key: str) -> tuple[str, str]:
        return (s3.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=300),
                s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=300))

    refused = run_page(page_origin, *urls("denied.txt"))
    assert refused["ok"] is False and "Failed to fetch" in refused["error"], refused

    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": [{
        "AllowedOrigins": [page_origin], "AllowedMethods": ["PUT", "GET"], "AllowedHeaders": ["*"],
        "ExposeHeaders": ["ETag"], "MaxAgeSeconds": 60}]})
    allowed = run_page(page_origin, *urls("allowed.txt"))
    assert allowed == {"ok": True, "putStatus": 200, "etag": s3.head_object(Bucket=bucket, Key="allowed.txt")["ETag"],
                       "status": 200, "text": "from the browser", "origin": page_origin}, allowed
    assert s3.get_object(Bucket=bucket, Key="allowed.txt")["ContentType"] == "application/json"

    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": [{
        "AllowedOrigins": ["http://elsewhere.test"], "AllowedMethods": ["PUT", "GET"], "AllowedHeaders": ["*"]}]})
    other = run_page(page_origin, *urls("other.txt"))
    assert other["ok"] is False, other
