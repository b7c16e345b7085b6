"""Mobile push (platform applications and endpoints) and SMS settings, numbers and sandbox.

Nothing leaves the machine: pushes and texts are kept in the outbox for tests to read.
"""

from __future__ import annotations

import re
import secrets
import uuid
from typing import Any

from cloudlet.context import RequestContext
from cloudlet.protocol.errors import ServiceError
from cloudlet.services.sns.common import invalid, iso_millis, not_found, page
from cloudlet.services.sns.publish import check_attributes, check_subject, message_size, parse_structure
from cloudlet.services.sns.state import SnsState

PLATFORMS = ("ADM", "APNS", "APNS_SANDBOX", "GCM", "BAIDU", "MPNS", "WNS", "APNS_VOIP", "APNS_VOIP_SANDBOX")
_APP_NAME = re.compile(r"[A-Za-z0-9._-]+")
_E164 = re.compile(r"\+?[1-9]\d{1,14}")
ENDPOINT_ATTRIBUTES = ("CustomUserData", "Enabled", "Token")
SMS_ATTRIBUTES = ("DefaultSenderID", "DefaultSMSType", "DeliveryStatusIAMRole", "DeliveryStatusSuccessSamplingRate",
                  "MonthlySpendLimit", "UsageReportS3Bucket")


def _application_key(arn: str, ctx: RequestContext) -> str:
    parts = arn.split(":")
    if len(parts) != 6 or parts[0] != "arn" or parts[2] != "sns" or not parts[5].startswith("app/"):
        raise invalid("Invalid parameter: PlatformApplicationArn")
    return parts[5][len("app/"):]


def _endpoint_key(arn: str) -> str:
    parts = arn.split(":")
    if len(parts) != 6 or parts[0] != "arn" or parts[2] != "sns" or not parts[5].startswith("endpoint/"):
        raise invalid("Invalid parameter: EndpointArn")
    return parts[5][len("endpoint/"):]


class PlatformMixin:
    runtime: Any
    _state: Any

    # --- applications ------------------------------------------------------------------------

    def create_platform_application(self, ctx: RequestContext, params: dict) -> dict:
        name, platform = params["Name"], params["Platform"]
        if not name or len(name) > 256 or not _APP_NAME.fullmatch(name):
            reason = ("must contain only characters 'a'-'z', 'A'-'Z', '0'-'9', '_', '-', and '.'"
                      if name and len(name) <= 256 else "must be at most 256 characters long" if name else "cannot be empty")
            raise invalid(f"Invalid parameter: {name} Reason: {reason}")
        if platform not in PLATFORMS:
            raise invalid(f"Invalid parameter: Platform Reason: {platform} is not supported")
        attributes = dict(params.get("Attributes") or {})
        if "PlatformCredential" in attributes and "PlatformPrincipal" not in attributes and platform.startswith("APNS"):
            raise invalid(
                "Invalid parameter: Attributes Reason: PlatformCredential attribute provided without PlatformPrincipal"
            )
        if "PlatformPrincipal" in attributes and "PlatformCredential" not in attributes:
            raise invalid(
                "Invalid parameter: Attributes Reason: PlatformPrincipal attribute provided without PlatformCredential"
            )
        state = self._state(ctx.account, ctx.region)
        key = f"{platform}/{name}"
        arn = ctx.arn(f"app/{key}")
        attributes.pop("PlatformCredential", None)
        attributes.pop("PlatformPrincipal", None)
        state.applications.put(key, {"arn": arn, "attributes": {"Enabled": "true", **attributes}})
        return {"PlatformApplicationArn": arn}

    def _application(self, ctx: RequestContext, arn: str) -> tuple[SnsState, str, dict]:
        key = _application_key(arn, ctx)
        state = self._state(ctx.account, ctx.region)
        app = state.applications.get(key)
        if app is None:
            raise not_found("PlatformApplication does not exist")
        return state, key, app

    def get_platform_application_attributes(self, ctx: RequestContext, params: dict) -> dict:
        _, _, app = self._application(ctx, params["PlatformApplicationArn"])
        return {"Attributes": app["attributes"]}

    def set_platform_application_attributes(self, ctx: RequestContext, params: dict) -> dict:
        state, key, app = self._application(ctx, params["PlatformApplicationArn"])
        attributes = dict(params["Attributes"])
        attributes.pop("PlatformCredential", None)
        attributes.pop("PlatformPrincipal", None)
        app["attributes"].update(attributes)
        state.applications.put(key, app)
        return {}

    def delete_platform_application(self, ctx: RequestContext, params: dict) -> dict:
        key = _application_key(params["PlatformApplicationArn"], ctx)
        state = self._state(ctx.account, ctx.region)
        state.applications.delete(key)
        for endpoint_key, _ in state.endpoints.items(prefix=key + "/"):
            state.endpoints.delete(endpoint_key)
        return {}

    def list_platform_applications(self, ctx: RequestContext, params: dict) -> dict:
        state = self._state(ctx.account, ctx.region)
        apps, token = page(state.applications.items(), params.get("NextToken"),
                           lambda a: {"PlatformApplicationArn": a["arn"], "Attributes": a["attributes"]}, 15)
        out: dict = {"PlatformApplications": apps}
        if token:
            out["NextToken"] = token
        return out

    # --- endpoints ------------------------------------------------------------------------------

    def create_platform_endpoint(self, ctx: RequestContext, params: dict) -> dict:
        state, app_key, _ = self._application(ctx, params["PlatformApplicationArn"])
        token = params["Token"]
        attributes = dict(params.get("Attributes") or {})
        for name in attributes:
            if name not in ENDPOINT_ATTRIBUTES:
                raise invalid(f"Invalid parameter: Attributes Reason: Invalid attribute name: {name}")
        if params.get("CustomUserData") is not None:
            attributes.setdefault("CustomUserData", params["CustomUserData"])
        if len(attributes.get("CustomUserData", "").encode()) > 2048:
            raise invalid(
                "Invalid parameter: Attributes Reason: Invalid value for attribute: CustomUserData: "
                "must be at most 2048 bytes long in UTF-8 encoding"
            )
        wanted = {"Enabled": "true", **attributes, "Token": token}
        for _, existing in state.endpoints.items(prefix=app_key + "/"):
            if existing["attributes"]["Token"] == token:
                if existing["attributes"] != wanted:
                    raise invalid(
                        f"Invalid parameter: Token Reason: Endpoint {existing['arn']} already exists with the same "
                        "Token, but different attributes."
                    )
                return {"EndpointArn": existing["arn"]}
        key = f"{app_key}/{uuid.uuid4()}"
        arn = ctx.arn(f"endpoint/{key}")
        state.endpoints.put(key, {"arn": arn, "attributes": wanted})
        return {"EndpointArn": arn}

    def _endpoint(self, ctx: RequestContext, arn: str) -> tuple[SnsState, str, dict]:
        key = _endpoint_key(arn)
        state = self._state(ctx.account, ctx.region)
        endpoint = state.endpoints.get(key)
        if endpoint is None:
            raise not_found("Endpoint does not exist")
        return state, key, endpoint

    def get_endpoint_attributes(self, ctx: RequestContext, params: dict) -> dict:
        _, _, endpoint = self._endpoint(ctx, params["EndpointArn"])
        return {"Attributes": endpoint["attributes"]}

    def set_endpoint_attributes(self, ctx: RequestContext, params: dict) -> dict:
        state, key, endpoint = self._endpoint(ctx, params["EndpointArn"])
        for name in params["Attributes"]:
            if name not in ENDPOINT_ATTRIBUTES:
                raise invalid(f"Invalid parameter: Attributes Reason: Invalid attribute name: {name}")
        endpoint["attributes"].update(params["Attributes"])
        state.endpoints.put(key, endpoint)
        return {}

    def delete_endpoint(self, ctx: RequestContext, params: dict) -> dict:
        key = _endpoint_key(params["EndpointArn"])
        self._state(ctx.account, ctx.region).endpoints.delete(key)
        return {}

    def list_endpoints_by_platform_application(self, ctx: RequestContext, params: dict) -> dict:
        state, key, _ = self._application(ctx, params["PlatformApplicationArn"])
        endpoints, token = page(state.endpoints.items(prefix=key + "/"), params.get("NextToken"),
                                lambda e: {"EndpointArn": e["arn"], "Attributes": e["attributes"]})
        out: dict = {"Endpoints": endpoints}
        if token:
            out["NextToken"] = token
        return out

    def _publish_to_endpoint(self, ctx: RequestContext, params: dict) -> dict:
        if not params.get("Message"):
            raise invalid("Invalid parameter: Empty message")
        check_subject(params.get("Subject"))
        if params.get("MessageAttributes"):
            check_attributes(params["MessageAttributes"])
        if message_size(params["Message"], params.get("MessageAttributes")) > 256 * 1024:
            raise invalid("Invalid parameter: Message too long")
        arn = params["TargetArn"]
        key = _endpoint_key(arn)
        with self.runtime.db.transaction():
            state = self._state(ctx.account, ctx.region)
            endpoint = state.endpoints.get(key)
            if endpoint is None:
                raise invalid("Invalid parameter: TargetArn Reason: No endpoint found for the target arn specified")
            if endpoint["attributes"].get("Enabled", "true").lower() != "true":
                raise ServiceError("EndpointDisabled", "Endpoint is disabled", 400)
            text = params["Message"]
            if params.get("MessageStructure") == "json":
                structure = parse_structure(text, direct_to_endpoint=True)
                platform = key.split("/", 1)[0]
                text = structure.get(platform) or structure.get("default") or text
            message_id = str(uuid.uuid4())
            self._keep_record({  # type: ignore[attr-defined]
                "type": "Notification",
                "protocol": "application",
                "endpoint": arn,
                "message_id": message_id,
                "message": text,
                "body": text,
                "subject": params.get("Subject"),
                "message_attributes": {k: v.get("StringValue") for k, v in (params.get("MessageAttributes") or {}).items()},
                "timestamp": iso_millis(self.runtime.clock.now()),
            })
        return {"MessageId": message_id}

    # --- SMS ----------------------------------------------------------------------------------------

    def set_sms_attributes(self, ctx: RequestContext, params: dict) -> dict:
        attributes = params["attributes"]
        for name, value in attributes.items():
            if name not in SMS_ATTRIBUTES:
                raise invalid(f"Invalid parameter: {name} is not a valid attribute")
            if name == "DefaultSMSType" and value not in ("Promotional", "Transactional"):
                raise invalid("Invalid parameter: DefaultSMSType is invalid")
        table = self._state(ctx.account, ctx.region).sms_attributes
        for name, value in attributes.items():
            table.put(name, value)
        return {}

    def get_sms_attributes(self, ctx: RequestContext, params: dict) -> dict:
        table = self._state(ctx.account, ctx.region).sms_attributes
        stored = {"MonthlySpendLimit": "1", **dict(table.items())}
        wanted = params.get("attributes")
        return {"attributes": {k: v for k, v in stored.items() if not wanted or k in wanted}}

    def _phone(self, phone: str) -> str:
        if not _E164.fullmatch(phone):
            raise invalid("Invalid parameter: PhoneNumber Reason: input incorrectly formatted")
        return phone

    def check_if_phone_number_is_opted_out(self, ctx: RequestContext, params: dict) -> dict:
        phone = self._phone(params["phoneNumber"])
        return {"isOptedOut": phone in self._state(ctx.account, ctx.region).opted_out}

    def list_phone_numbers_opted_out(self, ctx: RequestContext, params: dict) -> dict:
        table = self._state(ctx.account, ctx.region).opted_out
        numbers, token = page(table.items(), params.get("nextToken"), lambda v: v["phoneNumber"])
        out: dict = {"phoneNumbers": numbers}
        if token:
            out["nextToken"] = token
        return out

    def opt_in_phone_number(self, ctx: RequestContext, params: dict) -> dict:
        phone = self._phone(params["phoneNumber"])
        self._state(ctx.account, ctx.region).opted_out.delete(phone)
        return {}

    def opt_out(self, account: str, phone: str) -> None:
        """A phone number answering STOP (the admin endpoint's way to reproduce it)."""
        SnsState(self.runtime.db, account, "").opted_out.put(phone, {"phoneNumber": phone})

    def get_sms_sandbox_account_status(self, ctx: RequestContext, params: dict) -> dict:
        return {"IsInSandbox": False}

    def create_sms_sandbox_phone_number(self, ctx: RequestContext, params: dict) -> dict:
        phone = self._phone(params["PhoneNumber"])
        code = f"{secrets.randbelow(10**6):06d}"
        self._state(ctx.account, ctx.region).sandbox_numbers.put(
            phone, {"PhoneNumber": phone, "Status": "Pending", "code": code}
        )
        self._keep_record({  # type: ignore[attr-defined]
            "type": "VerificationCode", "protocol": "sms", "endpoint": phone, "account": ctx.account,
            "message": f"Your verification code is {code}", "body": f"Your verification code is {code}", "code": code,
        })
        return {}

    def verify_sms_sandbox_phone_number(self, ctx: RequestContext, params: dict) -> dict:
        table = self._state(ctx.account, ctx.region).sandbox_numbers
        record = table.get(params["PhoneNumber"])
        if record is None:
            raise ServiceError("ResourceNotFound", "Phone number does not exist in the sandbox", 404)
        if record["code"] != params["OneTimePassword"]:
            raise ServiceError("VerificationException", "Invalid one-time password", 400, Status="Failed")
        record["Status"] = "Verified"
        table.put(params["PhoneNumber"], record)
        return {}

    def delete_sms_sandbox_phone_number(self, ctx: RequestContext, params: dict) -> dict:
        table = self._state(ctx.account, ctx.region).sandbox_numbers
        if not table.delete(params["PhoneNumber"]):
            raise ServiceError("ResourceNotFound", "Phone number does not exist in the sandbox", 404)
        return {}

    def list_sms_sandbox_phone_numbers(self, ctx: RequestContext, params: dict) -> dict:
        table = self._state(ctx.account, ctx.region).sandbox_numbers
        numbers, token = page(table.items(), params.get("NextToken"),
                              lambda r: {"PhoneNumber": r["PhoneNumber"], "Status": r["Status"]},
                              params.get("MaxResults") or 100)
        out: dict = {"PhoneNumbers": numbers}
        if token:
            out["NextToken"] = token
        return out

    def list_origination_numbers(self, ctx: RequestContext, params: dict) -> dict:
        return {"PhoneNumbers": []}
