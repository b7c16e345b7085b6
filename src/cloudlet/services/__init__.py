"""The services Cloudlet implements: name -> the provider class, imported on first request."""

from __future__ import annotations

PROVIDERS: dict[str, str] = {
    "dynamodb": "cloudlet.services.dynamodb.provider:DynamoDBProvider",
    "dynamodbstreams": "cloudlet.services.dynamodbstreams.provider:DynamoDBStreamsProvider",
    "s3": "cloudlet.services.s3.provider:S3Provider",
    "sqs": "cloudlet.services.sqs.provider:SqsProvider",
    "sts": "cloudlet.services.sts.provider:StsProvider",
    "sns": "cloudlet.services.sns.provider:SnsProvider",
}
