"""Table settings with no effect on data: resource-based policies, contributor insights, Kinesis destinations.

They are kept with the table's record, so they go when the table goes. Policies are
stored as given (Cloudlet does not evaluate them); contributor insights have no
graphs to show; no Kinesis streaming destination can be enabled (there is no
Kinesis service to stream to), so describing them answers none.
"""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING, Any

from cloudlet.protocol.errors import ServiceError
from cloudlet.services.dynamodb.values import invalid

if TYPE_CHECKING:
    from cloudlet.context import RequestContext
    from cloudlet.services.dynamodb.provider import DynamoDBProvider
    from cloudlet.services.dynamodb.state import DynamoDBState

MAX_POLICY = 20 * 1024


class SettingsOperations:
    # --- resource-based policies -----------------------------------------------------------

    def _policy_target(self: DynamoDBProvider, ctx: RequestContext, arn: str) -> tuple[DynamoDBState, dict, str]:
        """The table record that holds a table's or stream's policy, and which of the two it is."""
        prefix = f"arn:aws:dynamodb:{ctx.region}:{ctx.account}:table/"
        if not arn.startswith(prefix):
            raise invalid(f"Invalid ResourceArn provided as input {arn}")
        name, _, rest = arn[len(prefix):].partition("/")
        state = self.state(ctx)
        record = state.catalog.get(name)
        kind = "table" if not rest else "stream"
        if record is None or (kind == "stream" and not arn.startswith(record["TableArn"] + "/stream/")):
            raise ServiceError("ResourceNotFoundException", f"Requested resource not found: ResourceArn: {arn} not found")
        return state, record, kind if kind == "table" else arn

    def put_resource_policy(self: DynamoDBProvider, ctx: RequestContext, params: dict) -> dict:
        state, record, which = self._policy_target(ctx, params["ResourceArn"])
        policy = params["Policy"]
        if len(policy.encode("utf-8")) > MAX_POLICY:
            raise invalid("Resource-based policy size exceeded the maximum allowed size of 20 KB")
        try:
            document = json.loads(policy)
        except ValueError:
            raise invalid("Invalid policy document: the policy is not valid JSON")
        if not isinstance(document, dict) or "Statement" not in document:
            raise invalid("Invalid policy document: the policy must contain a Statement")
        policies = record.setdefault("_policies", {})
        current = policies.get(which)
        expected = params.get("ExpectedRevisionId")
        if expected is not None and (current is None or current["RevisionId"] != expected):
            raise ServiceError(
                "PolicyNotFoundException",
                f"Resource-based policy not found for the provided ResourceArn: Requested update for policy revision id "
                f"{expected}, but the policy associated to target table {record['TableName']} has revision id "
                f"{current['RevisionId'] if current else 'null'}.",
            )
        revision = str(int(self.runtime.clock.now() * 1000)) + uuid.uuid4().hex[:6]
        policies[which] = {"Policy": policy, "RevisionId": revision}
        self.save_table(state, record)
        return {"RevisionId": revision}

    def get_resource_policy(self: DynamoDBProvider, ctx: RequestContext, params: dict) -> dict:
        _, record, which = self._policy_target(ctx, params["ResourceArn"])
        policy = (record.get("_policies") or {}).get(which)
        if policy is None:
            raise ServiceError("PolicyNotFoundException",
                               f"Resource-based policy not found for the provided ResourceArn: {params['ResourceArn']}")
        return dict(policy)

    def delete_resource_policy(self: DynamoDBProvider, ctx: RequestContext, params: dict) -> dict:
        state, record, which = self._policy_target(ctx, params["ResourceArn"])
        policies = record.get("_policies") or {}
        current = policies.get(which)
        expected = params.get("ExpectedRevisionId")
        if current is None or (expected is not None and current["RevisionId"] != expected):
            raise ServiceError("PolicyNotFoundException",
                               f"Resource-based policy not found for the provided ResourceArn: {params['ResourceArn']}")
        del policies[which]
        self.save_table(state, record)
        return {"RevisionId": current["RevisionId"]}

    # --- contributor insights ------------------------------------------------------------------

    def _insights_key(self: DynamoDBProvider, record: dict, index: str | None) -> str:
        if index is not None:
            names = {i["IndexName"] for kind in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes")
                     for i in record.get(kind) or ()}
            if index not in names:
                raise ServiceError("ResourceNotFoundException", f"Requested resource not found: Index: {index} not found")
        return index or ""

    def describe_contributor_insights(self: DynamoDBProvider, ctx: RequestContext, params: dict) -> dict:
        _, record = self.table_record(ctx, params["TableName"])
        key = self._insights_key(record, params.get("IndexName"))
        setting = (record.get("_insights") or {}).get(key) or {"status": "DISABLED"}
        out: dict[str, Any] = {"TableName": record["TableName"], "ContributorInsightsStatus": setting["status"]}
        if params.get("IndexName"):
            out["IndexName"] = params["IndexName"]
        if "at" in setting:
            out["LastUpdateDateTime"] = setting["at"]
        if setting["status"] == "ENABLED":
            out["ContributorInsightsMode"] = setting.get("mode", "ACCESSED_AND_THROTTLED_KEYS")
            prefix = f"DynamoDBContributorInsights-{{}}-{record['TableName']}" + (f"-{key}" if key else "")
            out["ContributorInsightsRuleList"] = [prefix.format(kind) for kind in ("PKC", "SKC", "PKT", "SKT")]
        return out

    def update_contributor_insights(self: DynamoDBProvider, ctx: RequestContext, params: dict) -> dict:
        state, record = self.table_record(ctx, params["TableName"])
        key = self._insights_key(record, params.get("IndexName"))
        enabled = params["ContributorInsightsAction"] == "ENABLE"
        setting = {"status": "ENABLED" if enabled else "DISABLED", "at": self.runtime.clock.now()}
        if enabled:
            setting["mode"] = params.get("ContributorInsightsMode") or "ACCESSED_AND_THROTTLED_KEYS"
        record.setdefault("_insights", {})[key] = setting
        self.save_table(state, record)
        out: dict[str, Any] = {"TableName": record["TableName"], "ContributorInsightsStatus": setting["status"]}
        if params.get("IndexName"):
            out["IndexName"] = params["IndexName"]
        if enabled:
            out["ContributorInsightsMode"] = setting["mode"]
        return out

    def list_contributor_insights(self: DynamoDBProvider, ctx: RequestContext, params: dict) -> dict:
        state = self.state(ctx)
        if params.get("TableName"):
            records = [self.table_record(ctx, params["TableName"])[1]]
        else:
            records = [r for name, r in state.catalog.items() if not name.startswith("\x00")]
        summaries = []
        for record in records:
            for key, setting in sorted((record.get("_insights") or {}).items()):
                summary: dict[str, Any] = {"TableName": record["TableName"], "ContributorInsightsStatus":
                                           setting["status"]}
                if key:
                    summary["IndexName"] = key
                if setting["status"] == "ENABLED":
                    summary["ContributorInsightsMode"] = setting.get("mode", "ACCESSED_AND_THROTTLED_KEYS")
                summaries.append(summary)
        limit = params.get("MaxResults") or 100
        token = params.get("NextToken") or "0"
        if not token.isdigit():
            raise invalid("Invalid NextToken")
        start = int(token)
        out: dict[str, Any] = {"ContributorInsightsSummaries": summaries[start:start + limit]}
        if start + limit < len(summaries):
            out["NextToken"] = str(start + limit)
        return out

    # --- Kinesis streaming destinations ----------------------------------------------------------

    def describe_kinesis_streaming_destination(self: DynamoDBProvider, ctx: RequestContext, params: dict) -> dict:
        _, record = self.table_record(ctx, params["TableName"])
        return {"TableName": record["TableName"], "KinesisDataStreamDestinations": []}
