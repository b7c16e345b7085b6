"""Amazon DynamoDB (the rest of the service is its own issue; only account limits for now)."""

from __future__ import annotations

from cloudlet.context import RequestContext
from cloudlet.services.base import Provider

# DynamoDB's default per-region quotas for provisioned capacity.
ACCOUNT_MAX_CAPACITY = 80000
TABLE_MAX_CAPACITY = 40000


class DynamoDBProvider(Provider):
    service = "dynamodb"

    def describe_limits(self, ctx: RequestContext, params: dict) -> dict:
        return {
            "AccountMaxReadCapacityUnits": ACCOUNT_MAX_CAPACITY,
            "AccountMaxWriteCapacityUnits": ACCOUNT_MAX_CAPACITY,
            "TableMaxReadCapacityUnits": TABLE_MAX_CAPACITY,
            "TableMaxWriteCapacityUnits": TABLE_MAX_CAPACITY,
        }
