"""Static website hosting: index documents, error documents, redirects and routing rules.

Served at ``http://<bucket>.s3-website.localhost.localstack.cloud:4566/<key>`` (also
``<bucket>.s3-website.<region>...`` and ``<bucket>.s3-website-<region>...``) and, without a
host name, at ``http://localhost:4566/_cloudlet/s3/website/<bucket>/<key>``.  Answers are
pages, not XML: errors are HTML as S3's website endpoints write them.
"""

from __future__ import annotations

import html
import re
from urllib.parse import unquote

from cloudlet.context import RequestContext
from cloudlet.http import Response
from cloudlet.protocol.rest_xml import host_id
from cloudlet.protocol.timestamps import http_date
from cloudlet.services.s3 import errors
from cloudlet.services.s3.storage import BodyReader
from cloudlet.services.s3.versions import Versions

WEBSITE_HOST = re.compile(r"^(?P<bucket>.+)\.s3-website(?:[.-](?P<region>[a-z0-9-]+))?\.(?:localhost\.localstack\.cloud"
                          r"|localhost)(?::\d+)?$")
_REASONS = {301: "Moved Permanently", 302: "Found", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed"}


def error_page(status: int, code: str, message: str, request_id: str, extra: dict[str, str] | None = None) -> Response:
    title = f"{status} {_REASONS.get(status, '')}".strip()
    items = [f"<li>Code: {html.escape(code)}</li>", f"<li>Message: {html.escape(message)}</li>"]
    for name, value in (extra or {}).items():
        items.append(f"<li>{html.escape(name)}: {html.escape(value)}</li>")
    items.append(f"<li>RequestId: {request_id}</li>")
    items.append(f"<li>HostId: {host_id(request_id)}</li>")
    body = (f"<html>\n<head><title>{title}</title></head>\n<body>\n<h1>{title}</h1>\n<ul>\n"
            + "\n".join(items) + "\n</ul>\n<hr/>\n</body>\n</html>\n")
    return Response(status, [("Content-Type", "text/html; charset=utf-8"), ("x-amz-request-id", request_id)],
                    body.encode())


def _redirect(status: int, location: str, request_id: str) -> Response:
    return Response(status, [("Location", location), ("x-amz-request-id", request_id), ("Content-Length", "0")], b"")


def _rule_redirect(redirect: dict, key: str, condition: dict, host: str) -> str:
    protocol = redirect.get("Protocol") or "http"
    target_host = redirect.get("HostName") or host
    if "ReplaceKeyWith" in redirect:
        new_key = redirect["ReplaceKeyWith"]
    elif "ReplaceKeyPrefixWith" in redirect:
        prefix = condition.get("KeyPrefixEquals") or ""
        new_key = redirect["ReplaceKeyPrefixWith"] + key[len(prefix):]
    else:
        new_key = key
    return f"{protocol}://{target_host}/{new_key}"


class Website(Versions):
    def serve_website(self, request_id: str, method: str, host: str, bucket_name: str, path: str) -> Response:
        if method not in ("GET", "HEAD"):
            return error_page(405, "MethodNotAllowed", "The specified method is not allowed against this resource.",
                              request_id, {"Method": method, "ResourceType": "OBJECT"})
        with self.runtime.db.transaction():
            bucket = self.state().buckets.get(bucket_name)
            if bucket is None:
                return error_page(404, "NoSuchBucket", "The specified bucket does not exist", request_id,
                                  {"BucketName": bucket_name})
            configuration = self.config(bucket_name, "website")
            if configuration is None:
                return error_page(404, "NoSuchWebsiteConfiguration",
                                  "The specified bucket does not have a website configuration", request_id,
                                  {"BucketName": bucket_name})
            everything = configuration.get("RedirectAllRequestsTo")
            key = unquote(path.lstrip("/"))
            if everything:
                protocol = everything.get("Protocol") or "http"
                return _redirect(301, f"{protocol}://{everything['HostName']}/{key}", request_id)
            for rule in configuration.get("RoutingRules") or []:
                condition = rule.get("Condition") or {}
                prefix = condition.get("KeyPrefixEquals")
                if "HttpErrorCodeReturnedEquals" not in condition and prefix is not None and key.startswith(prefix):
                    redirect = rule["Redirect"]
                    return _redirect(int(redirect.get("HttpRedirectCode") or 301),
                                     _rule_redirect(redirect, key, condition, host), request_id)
            index = (configuration.get("IndexDocument") or {}).get("Suffix") or "index.html"
            target = key + index if (not key or key.endswith("/")) else key
            record = self.current(bucket_name, target)
            if record is None and not key.endswith("/") and key and self.current(bucket_name, f"{key}/{index}"):
                return _redirect(302, f"/{key}/", request_id)
            if record is not None:
                if record.get("redirect"):
                    return _redirect(301, record["redirect"], request_id)
                return self._page(record, 200, method, request_id)
            for rule in configuration.get("RoutingRules") or []:
                condition = rule.get("Condition") or {}
                if condition.get("HttpErrorCodeReturnedEquals") == "404" and key.startswith(
                        condition.get("KeyPrefixEquals") or ""):
                    redirect = rule["Redirect"]
                    return _redirect(int(redirect.get("HttpRedirectCode") or 301),
                                     _rule_redirect(redirect, key, condition, host), request_id)
            error_key = (configuration.get("ErrorDocument") or {}).get("Key")
            if error_key:
                document = self.current(bucket_name, error_key)
                if document is not None:
                    return self._page(document, 404, method, request_id)
            return error_page(404, "NoSuchKey", "The specified key does not exist.", request_id, {"Key": target})

    def _page(self, record: dict, status: int, method: str, request_id: str) -> Response:
        headers = [
            ("Content-Type", record.get("ctype") or "binary/octet-stream"),
            ("Content-Length", str(record["size"])), ("ETag", record["etag"]),
            ("Last-Modified", http_date(int(record["mtime"]))), ("x-amz-request-id", request_id),
        ]
        for name, header in (("CacheControl", "Cache-Control"), ("ContentEncoding", "Content-Encoding"),
                             ("ContentDisposition", "Content-Disposition"), ("ContentLanguage", "Content-Language")):
            value = (record.get("headers") or {}).get(name)
            if value:
                headers.append((header, value))
        if method == "HEAD":
            return Response(status, headers, b"")
        return Response(status, headers, BodyReader(self.bodies, record.get("blobs") or [], 0, record["size"]))

    # --- the configuration ---------------------------------------------------------------------

    def put_bucket_website(self, ctx: RequestContext, params: dict) -> dict:
        name = params["Bucket"]
        self.bucket(ctx, name)
        configuration = params.get("WebsiteConfiguration") or {}
        everything = configuration.get("RedirectAllRequestsTo")
        index = configuration.get("IndexDocument")
        if everything:
            if index or configuration.get("ErrorDocument") or configuration.get("RoutingRules"):
                raise errors.invalid_request("RedirectAllRequestsTo cannot be provided in conjunction with other "
                                             "Routing/Redirect configurations.")
            if not everything.get("HostName"):
                raise errors.malformed_xml()
        else:
            if not index:
                raise errors.invalid_argument("A value for IndexDocument Suffix must be provided if "
                                              "RedirectAllRequestsTo is empty")
            suffix = index.get("Suffix") or ""
            if not suffix or "/" in suffix:
                raise errors.invalid_argument("The IndexDocument Suffix is not well formed", "IndexDocument", suffix)
        for rule in configuration.get("RoutingRules") or []:
            redirect = rule.get("Redirect") or {}
            if "ReplaceKeyWith" in redirect and "ReplaceKeyPrefixWith" in redirect:
                raise errors.invalid_request("You can only define ReplaceKeyPrefix or ReplaceKey but not both.")
            code = redirect.get("HttpRedirectCode")
            if code is not None and not (code.isdigit() and 300 <= int(code) < 400):
                raise errors.invalid_argument("The provided HTTP redirect code is not valid. It should be a string "
                                              "containing a number between 300 and 399.", "HttpRedirectCode", code)
        self.set_config(name, "website", configuration)
        return {}

    def get_bucket_website(self, ctx: RequestContext, params: dict) -> dict:
        name = params["Bucket"]
        self.bucket(ctx, name)
        found = self.config(name, "website")
        if found is None:
            raise errors.missing_config("NoSuchWebsiteConfiguration",
                                        "The specified bucket does not have a website configuration", name)
        return found

    def delete_bucket_website(self, ctx: RequestContext, params: dict) -> dict:
        self.bucket(ctx, params["Bucket"])
        self.set_config(params["Bucket"], "website", None)
        return {}

