"""Queue URLs and ARNs.

Cloudlet answers with URLs on the host the client used:
``http://localhost:4566/<account>/<name>`` or
``http://sqs.<region>.localhost.localstack.cloud:4566/<account>/<name>``; a
request may name a queue by either, by AWS's own URL forms, or by LocalStack's
``/queue/<region>/<account>/<name>``.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, NamedTuple
from urllib.parse import urlsplit

from cloudlet.protocol.errors import ServiceError

if TYPE_CHECKING:
    from cloudlet.context import RequestContext

_REGION_HOST = re.compile(r"^(?:sqs[.-]([a-z0-9-]+)\.|([a-z]{2}(?:-[a-z]+)+-\d+)\.queue\.)")
_REGION = re.compile(r"^[a-z]{2}(?:-[a-z]+)+-\d+$")
_ACCOUNT = re.compile(r"^\d{12}$")
_NAME = re.compile(r"^[A-Za-z0-9_-]{1,80}(?:\.fifo)?$")
_ARN = re.compile(r"^arn:aws[a-z-]*:sqs:([a-z0-9-]+):(\d{12}):([^:/]+)$")


class QueueAddress(NamedTuple):
    account: str
    region: str
    name: str


def queue_url(ctx: RequestContext, account: str, name: str, default_host: str) -> str:
    """The URL of a queue as seen by this caller: the host it used, with the queue's region if it named one."""
    host = ctx.request.host if ctx.request is not None else ""
    if not host:
        host = default_host
    return f"http://{host}/{account}/{name}"


def parse_queue_url(url: str, ctx: RequestContext) -> QueueAddress:
    """The account, region and name a queue URL points at; InvalidAddress if it is not one.

    SQS also takes a bare queue name for the URL: the caller's own queue in the request's region."""
    if _NAME.match(url):
        return QueueAddress(ctx.account, ctx.region, url)
    try:
        parts = urlsplit(url) if "://" in url else urlsplit("http://host" + (url if url.startswith("/") else "/" + url))
        host = (parts.hostname or "").lower()
        path = [p for p in parts.path.split("/") if p]
    except ValueError:
        raise invalid_address(url)
    region = ctx.region
    match = _REGION_HOST.match(host)
    if match:
        region = match[1] or match[2]
    if len(path) == 4 and path[0] == "queue" and _REGION.match(path[1]):
        region, path = path[1], path[2:]
    if len(path) != 2 or not _ACCOUNT.match(path[0]) or not path[1]:
        raise invalid_address(url)
    return QueueAddress(path[0], region, path[1])


def address_from_path(path: str, ctx: RequestContext) -> QueueAddress | None:
    """The queue a request was posted to (query clients send to the queue URL itself)."""
    parts = [p for p in path.split("/") if p]
    if len(parts) == 4 and parts[0] == "queue" and _REGION.match(parts[1]):
        return QueueAddress(parts[2], parts[1], parts[3]) if _ACCOUNT.match(parts[2]) else None
    if len(parts) == 2 and _ACCOUNT.match(parts[0]):
        return QueueAddress(parts[0], ctx.region, parts[1])
    return None


def queue_arn(region: str, account: str, name: str) -> str:
    return f"arn:aws:sqs:{region}:{account}:{name}"


def parse_arn(arn: str) -> QueueAddress | None:
    match = _ARN.match(arn) if isinstance(arn, str) else None
    return QueueAddress(match[2], match[1], match[3]) if match else None


def invalid_address(url: str) -> ServiceError:
    return ServiceError("InvalidAddress", f"The address {url} is not valid for this endpoint.")
