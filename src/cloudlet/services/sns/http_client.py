"""One HTTP/1.1 POST on the event loop: what SNS needs to notify HTTP/S subscribers.

The standard library's clients block; this writes the request on an asyncio stream and
reads the status line, so a slow subscriber never stalls the server.  HTTPS endpoints
are reached without certificate verification: local test servers use self-signed
certificates.
"""

from __future__ import annotations

import asyncio
import ssl
from urllib.parse import urlsplit

TIMEOUT = 15.0  # seconds of real time; AWS gives an HTTP/S endpoint 15 seconds to answer

_insecure: ssl.SSLContext | None = None


def _ssl_context() -> ssl.SSLContext:
    global _insecure
    if _insecure is None:
        _insecure = ssl.create_default_context()
        _insecure.check_hostname = False
        _insecure.verify_mode = ssl.CERT_NONE
    return _insecure


class DeliveryFailed(Exception):
    """No HTTP answer: refused, reset, timed out or malformed."""


async def post(url: str, headers: dict[str, str], body: bytes, timeout: float = TIMEOUT) -> int:
    """POST ``body``; the response status, or DeliveryFailed."""
    parts = urlsplit(url)
    secure = parts.scheme.lower() == "https"
    try:
        host = parts.hostname or ""
        port = parts.port or (443 if secure else 80)
    except ValueError as e:
        raise DeliveryFailed(str(e))
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    head = [f"POST {target} HTTP/1.1", f"Host: {parts.netloc.rsplit('@', 1)[-1]}",
            f"Content-Length: {len(body)}", "Connection: close"]
    head += [f"{name}: {value}" for name, value in headers.items()]
    request = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1", "replace") + body
    writer = None
    try:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(host, port, ssl=_ssl_context() if secure else None), timeout
        )
        writer.write(request)
        await asyncio.wait_for(writer.drain(), timeout)
        line = await asyncio.wait_for(reader.readline(), timeout)
        fields = line.split(None, 2)
        if len(fields) < 2 or not fields[0].startswith(b"HTTP/") or not fields[1].isdigit():
            raise DeliveryFailed(f"not an HTTP response: {line[:80]!r}")
        return int(fields[1])
    except (TimeoutError, OSError, ssl.SSLError, UnicodeError) as e:
        raise DeliveryFailed(f"{type(e).__name__}: {e}")
    finally:
        if writer is not None:
            writer.close()
