"""The API's OpenAPI 3.1 document: the functions' Powertools specs merged, made true to the template.

Each function's `Api` (crm.platform.http) declares, route by route, every status it can answer
with its schema and media type; Powertools turns that into a spec per function. This module merges
them and adds what only the template knows: each operation's id (its event's name, `CreateContact`
-> `createContact`, so ids are short and stable), its security (the authorizer API Gateway puts
in front of it: none, the staff pool's or the customer pool's), and the request headers the
contracts use (If-Match, Idempotency-Key). The local stack serves it at /openapi.json; tests and
generated clients read it from there.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Mapping
from types import ModuleType
from typing import Any

from infra import template as tpl
from infra.gateway import api_routes

log = logging.getLogger(__name__)

TITLE = "CRM API"
DESCRIPTION = """The field-service CRM's HTTP API.

Errors are RFC 9457 problems (`application/problem+json`), API Gateway's own answers included
(missing or invalid token 401, unknown route 404, throttling 429, body too large 413, unsupported
media type 415, 5xx), so a client reads every error the same way. Validation problems (422) list
every bad field in `errors`. Writes to versioned resources need `If-Match` with the ETag read
(strong comparison; `*` for whatever version is current); POSTs honour `Idempotency-Key`."""

IF_MATCH_DESCRIPTION = "The ETag you read (strong comparison); `*` matches whatever version is current"
IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "A key of yours for this request: sent again, it gets the first answer and never creates twice",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$"},
}
POWERTOOLS_VALIDATION_SCHEMAS = ("HTTPValidationError", "ValidationError", "ResponseValidationError")


def operation_id(event: str) -> str:
    """A template event's name as an operationId: CreateContact -> createContact."""
    return event[:1].lower() + event[1:]


def security_schemes(template: dict) -> dict[str, dict]:
    """The Api's Cognito authorizers as bearer schemes (API Gateway reads the ID token from Authorization)."""
    out = {}
    for api in tpl.resources("AWS::Serverless::Api", template).values():
        for name, spec in api["Properties"].get("Auth", {}).get("Authorizers", {}).items():
            arn = spec.get("UserPoolArn")
            pool = arn["Fn::GetAtt"][0] if isinstance(arn, dict) and "Fn::GetAtt" in arn else "its user pool"
            out[name] = {"type": "http", "scheme": "bearer", "bearerFormat": "JWT", "description": f"An ID token of {pool}"}
    return out


def merged_openapi(modules: Mapping[str, ModuleType], template: dict | None = None, server_url: str | None = None) -> dict:
    """The document of every function in `modules` (logical id -> handler module with an `api`)."""
    template = template or tpl.load()
    routes = {(r.method, r.path): r for r in api_routes(template)}
    spec: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {"title": TITLE, "version": "1", "description": DESCRIPTION},
        "servers": [{"url": server_url or "/"}],
        "paths": {},
        "components": {"schemas": {}, "securitySchemes": security_schemes(template)},
        "tags": [],
    }
    for logical_id, module in modules.items():
        api = getattr(module, "api", None)
        if api is None:
            continue
        part = json.loads(api.app.get_openapi_json_schema(title=logical_id))
        _merge_schemas(spec["components"]["schemas"], part.get("components", {}).get("schemas", {}), logical_id)
        spec["tags"].append({"name": api.service, "description": (module.__doc__ or "").strip().split("\n")[0]})
        for path, operations in part.get("paths", {}).items():
            for method, operation in operations.items():
                route = routes.get((method.upper(), path))
                if route is None:
                    log.warning("openapi: %s %s is not a route of the template; left out", method.upper(), path)
                    continue
                contract = api.contracts[(method.upper(), path)]
                # Powertools documents a FastAPI-style 422 on every operation; a route with no input answers none.
                operation["responses"] = {
                    status: response
                    for status, response in operation["responses"].items()
                    if not set(_refs(response)) & set(POWERTOOLS_VALIDATION_SCHEMAS)
                }
                if "204" in operation["responses"]:
                    operation["responses"]["204"].pop("content", None)  # Powertools gives every success a body
                operation["operationId"] = operation_id(route.event)
                if operation.get("summary", "").startswith(method.upper() + " "):  # Powertools' default: the route itself
                    operation["summary"] = re.sub(r"(?<!^)(?=[A-Z])", " ", route.event).capitalize()
                operation["security"] = [{route.authorizer: []}] if route.authorizer else []
                operation["parameters"] = [*operation.get("parameters", []), *_headers(contract)]
                spec["paths"].setdefault(path, {})[method] = operation
    _drop_unreferenced(spec, POWERTOOLS_VALIDATION_SCHEMAS)
    spec["info"]["x-functions"] = list(modules)
    return spec


def _headers(contract: Any) -> list[dict]:
    out = []
    if contract.if_match:
        out.append(
            {
                "name": "If-Match",
                "in": "header",
                "required": contract.if_match == "required",
                "description": IF_MATCH_DESCRIPTION,
                "schema": {"type": "string"},
            }
        )
    if contract.method == "POST":
        out.append(IDEMPOTENCY_KEY)
    return out


def _merge_schemas(target: dict, schemas: dict, source: str) -> None:
    for name, schema in schemas.items():
        if name in target and target[name] != schema:
            log.warning("openapi: schema %r differs between functions; keeping the first (not %s's)", name, source)
            continue
        target.setdefault(name, schema)


def _refs(value: Any) -> Iterable[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "$ref" and isinstance(item, str):
                yield item.rsplit("/", 1)[-1]
            else:
                yield from _refs(item)
    elif isinstance(value, list):
        for item in value:
            yield from _refs(item)


def _drop_unreferenced(spec: dict, names: Iterable[str]) -> None:
    """Powertools adds FastAPI-style validation schemas to every spec; ours answer RFC 9457 problems."""
    used = set(_refs(spec["paths"]))
    schemas = spec["components"]["schemas"]
    for name in names:
        if name not in used:
            schemas.pop(name, None)
