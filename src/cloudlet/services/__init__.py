"""The services Cloudlet implements: name -> the provider class, imported on first request."""

from __future__ import annotations

PROVIDERS: dict[str, str] = {
    "dynamodb": "cloudlet.services.dynamodb.provider:DynamoDBProvider",
    "sts": "cloudlet.services.sts.provider:StsProvider",
}
