"""Small helpers every SNS module shares: errors in SNS's words, ARNs, paging, times."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from cloudlet.context import RequestContext
from cloudlet.protocol.errors import ServiceError

PAGE_SIZE = 100


def invalid(message: str) -> ServiceError:
    return ServiceError("InvalidParameter", message, 400)


def invalid_value(message: str) -> ServiceError:
    return ServiceError("ParameterValueInvalid", message, 400)


def not_found(message: str) -> ServiceError:
    return ServiceError("NotFound", message, 404)


def iso_millis(seconds: float) -> str:
    """'2012-04-25T21:49:25.719Z', the timestamp format of SNS messages."""
    moment = datetime.fromtimestamp(seconds, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def split_arn(arn: str, what: str) -> list[str]:
    """The colon-separated parts of an ARN, or AWS's complaint about it."""
    parts = arn.split(":")
    if len(parts) < 6 or parts[0] != "arn" or not parts[1].startswith("aws"):
        raise invalid(f"Invalid parameter: {what} Reason: An ARN must have at least 6 elements, not {len(parts)}")
    return parts


def topic_of(ctx: RequestContext, arn: str, what: str = "TopicArn") -> tuple[str, str, str]:
    """(account, region, name) of a topic ARN in the caller's region."""
    parts = arn.split(":")
    if len(parts) != 6 or parts[0] != "arn" or parts[2] != "sns" or not parts[5]:
        raise invalid(f"Invalid parameter: {what}")
    if parts[3] != ctx.region:
        raise invalid(f"Invalid parameter: {what}")
    return parts[4], parts[3], parts[5]


_last_host: list[str] = []


def base_url(ctx: RequestContext, port: int) -> str:
    """Where subscribers reach Cloudlet: the Host the caller used; for calls from other services
    (no HTTP request), the last Host a client used, else localhost on the configured port."""
    host = ctx.request.headers.get("host") if ctx.request is not None else None
    if host:
        if not _last_host or _last_host[0] != host:
            _last_host[:] = [host]
        return f"http://{host}"
    return f"http://{_last_host[0]}" if _last_host else f"http://localhost:{port}"


def page(
    items: Iterable[tuple[str, Any]], token: str | None, render: Callable[[Any], Any], size: int = PAGE_SIZE
) -> tuple[list, str | None]:
    """One page of key-ordered items after the key ``token`` encodes; the next token or None."""
    after = None
    if token:
        try:
            after = base64.urlsafe_b64decode(token.encode()).decode()
        except (binascii.Error, UnicodeError, ValueError):
            raise invalid("Invalid parameter: NextToken")
    out: list = []
    last = None
    for key, value in items:
        if after is not None and key <= after:
            continue
        if len(out) == size:
            return out, base64.urlsafe_b64encode(last.encode()).decode()
        out.append(render(value))
        last = key
    return out, None
