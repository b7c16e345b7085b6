"""Amazon SNS: topics, subscriptions, publishing and delivery (see the modules for each part).

Admin endpoints (under ``/_cloudlet/sns/``):

- ``GET messages`` (``?protocol=&endpoint=&topicArn=&subscriptionArn=&type=``): what SNS delivered
  to email, email-json, SMS, push, Firehose and Lambda subscriptions (and delivery failures,
  ``type=DeliveryFailure``), oldest first; ``DELETE messages`` forgets them.
- ``GET SimpleNotificationService-<id>.pem``: the certificate of the key notifications are
  signed with (each message's SigningCertURL).
- ``POST opt-out`` (``{"phoneNumber": ..., "accountId": ...}``): a number that answered STOP.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from cloudlet.context import DEFAULT_ACCOUNT
from cloudlet.gateway.admin import json_response
from cloudlet.http import Request, Response
from cloudlet.services.base import Provider
from cloudlet.services.sns.delivery import DeliveryMixin
from cloudlet.services.sns.platform import PlatformMixin
from cloudlet.services.sns.publish import PublishMixin
from cloudlet.services.sns.signing import SigningKey
from cloudlet.services.sns.state import SnsGlobalState, SnsState
from cloudlet.services.sns.subscriptions import SubscriptionsMixin
from cloudlet.services.sns.topics import TopicsMixin


class SnsProvider(TopicsMixin, SubscriptionsMixin, PublishMixin, DeliveryMixin, PlatformMixin, Provider):
    service = "sns"
    states = (SnsState, SnsGlobalState)

    def __init__(self, runtime: Any) -> None:
        super().__init__(runtime)
        self._signing: SigningKey | None = None
        self._cert_id = ""
        self._cert_serial = 0
        self._policies: dict = {}  # compiled filter policies by (text, scope)
        self._locks: dict[str, asyncio.Lock] = {}  # FIFO topics publish one message at a time

    async def start(self) -> None:
        self._resume_http()

    def reset(self) -> None:
        super().reset()
        self._signing = None
        self._policies.clear()

    # --- admin -------------------------------------------------------------------------------------

    async def admin(self, request: Request, path: str) -> Response | None:
        if path.startswith("SimpleNotificationService-") and path.endswith(".pem"):
            if request.method not in ("GET", "HEAD"):
                return json_response({"error": f"{request.method} is not allowed here; use GET"}, 405)
            cert_id, pem = self.certificate()
            if path != f"SimpleNotificationService-{cert_id}.pem":
                return json_response({"error": "no such certificate"}, 404)
            return Response(200, [("Content-Type", "application/x-x509-ca-cert")], pem.encode())
        if path == "messages":
            if request.method == "GET":
                return json_response({"messages": self._messages(request)})
            if request.method == "DELETE":
                with self.runtime.db.transaction():
                    outbox = SnsGlobalState(self.runtime.db).outbox
                    for key, _ in outbox.items():
                        outbox.delete(key)
                return json_response({"deleted": True})
            return json_response({"error": f"{request.method} is not allowed here; use GET or DELETE"}, 405)
        if path == "opt-out":
            if request.method != "POST":
                return json_response({"error": f"{request.method} is not allowed here; use POST"}, 405)
            try:
                document = json.loads(request.body or b"{}")
                phone = document["phoneNumber"]
            except (ValueError, KeyError, TypeError):
                return json_response({"error": 'the body must be {"phoneNumber": "+15551234567"}'}, 400)
            with self.runtime.db.transaction():
                self.opt_out(str(document.get("accountId", DEFAULT_ACCOUNT)), str(phone))
            return json_response({"optedOut": phone})
        return None

    def _messages(self, request: Request) -> list[dict]:
        filters = {
            "protocol": request.query_value("protocol"),
            "endpoint": request.query_value("endpoint"),
            "topic_arn": request.query_value("topicArn"),
            "subscription_arn": request.query_value("subscriptionArn"),
            "type": request.query_value("type"),
        }
        wanted = {k: v for k, v in filters.items() if v is not None}
        out = []
        for record in SnsGlobalState(self.runtime.db).outbox.values():
            if all(record.get(k) == v for k, v in wanted.items()):
                out.append(record)
        return out
