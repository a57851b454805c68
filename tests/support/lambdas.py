"""Calling the template's functions in-process with genuine API Gateway proxy events."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
import uuid
from dataclasses import dataclass, field
from functools import cache
from types import ModuleType
from urllib.parse import urlencode

from infra import template

ROOT = template.ROOT


@cache
def module(logical_id: str) -> ModuleType:
    """A function's handler module, loaded by path (every function's module is called `app`)."""
    fn = template.functions()[logical_id]
    file_name, _ = fn.handler.rsplit(".", 1)
    path = ROOT / fn.code_uri / f"{file_name}.py"
    spec = importlib.util.spec_from_file_location(f"fn_{logical_id}", path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # pydantic resolves the module's generic models through sys.modules
    spec.loader.exec_module(mod)
    return mod


class LambdaContext:
    def __init__(self, function_name: str):
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.memory_limit_in_mb = 512
        self.invoked_function_arn = f"arn:aws:lambda:{template.REGION}:{template.ACCOUNT}:function:{function_name}"
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = "local"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 10_000


def match_route(method: str, path: str) -> tuple[template.Route, dict[str, str]]:
    for route in template.routes():
        if route.method != method:
            continue
        pattern = "^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", route.path) + "$"
        m = re.match(pattern, path)
        if m:
            return route, m.groupdict()
    raise LookupError(f"no route {method} {path} in template.yaml")


def claims(tenant: str, role: str, email: str | None = None, contact_id: str | None = None, person_id: str | None = None) -> dict:
    """A staff token's claims; with contact_id (and person_id), a booking-site customer's (the
    customer pool's tokens carry those instead of groups)."""
    email = email or f"{role}@{tenant}.example"
    if contact_id:
        return {
            "sub": f"{tenant}-customer-{email}",
            "email": email,
            "custom:tenant": tenant,
            "custom:contact_id": contact_id,
            "custom:person_id": person_id or "",
        }
    return {"sub": f"{tenant}-{role}-{email}", "email": email, "custom:tenant": tenant, "cognito:groups": role}


def api_event(
    method: str,
    path: str,
    *,
    body=None,
    query: dict | None = None,
    headers: dict | None = None,
    user: dict | None = None,
    raw_body: str | None = None,
) -> tuple[str, dict]:
    route, params = match_route(method, path)
    text = raw_body if raw_body is not None else (json.dumps(body) if body is not None else None)
    headers = {"Content-Type": "application/json", **(headers or {})} if text is not None else dict(headers or {})
    query = {k: str(v) for k, v in (query or {}).items() if v is not None}
    event = {
        "resource": route.path,
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": query or None,
        "multiValueQueryStringParameters": {k: [v] for k, v in query.items()} or None,
        "pathParameters": params or None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": route.path,
            "httpMethod": method,
            "path": f"/v1{path}",
            "stage": "v1",
            "requestId": str(uuid.uuid4()),
            "identity": {"sourceIp": "127.0.0.1"},
            "authorizer": {"claims": user} if user else None,
        },
        "body": text,
        "isBase64Encoded": False,
    }
    return route.function, event


@dataclass
class Reply:
    status: int
    headers: dict
    body: str | None
    json: object = field(default=None)


def invoke(logical_id: str, event: dict) -> dict:
    return module(logical_id).handler(event, LambdaContext(logical_id))


def call(
    method: str,
    path: str,
    *,
    tenant: str = "t1",
    role: str = "office",
    email: str | None = None,
    anonymous: bool = False,
    contact_id: str | None = None,
    person_id: str | None = None,
    **kwargs,
) -> Reply:
    user = None if anonymous else claims(tenant, role, email, contact_id, person_id)
    function, event = api_event(method, path, user=user, **kwargs)
    response = invoke(function, event)
    headers = {k.lower(): v for k, v in (response.get("headers") or {}).items()}
    for k, values in (response.get("multiValueHeaders") or {}).items():
        headers.setdefault(k.lower(), values[-1])
    text = response.get("body")
    try:
        parsed = json.loads(text) if text else None
    except ValueError:
        parsed = None
    return Reply(response["statusCode"], headers, text, parsed)


def query_string(params: dict) -> str:
    return urlencode({k: v for k, v in params.items() if v is not None})
