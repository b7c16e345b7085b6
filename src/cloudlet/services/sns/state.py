"""What SNS keeps: topics, subscriptions, platform applications, and what it delivered."""

from __future__ import annotations

from cloudlet.store.scope import Scope, State, Table


class SnsState(State):
    service = "sns"
    # name -> {name, arn, fifo, attributes (set by the user), tags [[k, v]], data_protection_policy, seq}
    topics = Table()
    # "<topic name>:<uuid>" -> {arn, topic_arn, protocol, endpoint, owner, principal, pending, token,
    # authenticated, attributes}; the subscriptions of a topic are one key range
    subscriptions = Table()
    # confirmation token -> subscription key
    tokens = Table()
    # FIFO deduplication: "<topic>\0<dedup id>" -> {message_id, sequence, expires} and the same
    # entries ordered by expiry, "<topic>\0<expires>\0<dedup id>" -> key, for cheap clean-up
    dedup = Table()
    dedup_expiry = Table()
    # platform applications "<platform>/<name>" and endpoints "<platform>/<name>/<uuid>"
    applications = Table()
    endpoints = Table()
    # account-wide SMS settings and phone numbers
    sms_attributes = Table(Scope.ACCOUNT)
    opted_out = Table(Scope.ACCOUNT)
    sandbox_numbers = Table(Scope.ACCOUNT)
    # HTTP/S deliveries not yet acknowledged: id -> {url, headers, body, attempt, due, ...}
    http_pending = Table()


class SnsGlobalState(State):
    """Cloud-wide: the signing key and the messages kept for tests (email, SMS, push, Lambda)."""

    service = "sns"
    keys = Table(Scope.GLOBAL)
    # "<clock millis, 16 digits>-<uuid>" -> a delivered message with its protocol and endpoint
    outbox = Table(Scope.GLOBAL)
