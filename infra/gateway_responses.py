"""API Gateway's own answers (gateway responses), as the template customises them.

When API Gateway answers a request itself (no such route or method, no valid token, the function
failed, the body is too large), it uses the gateway response of that type: its default status and
`{"message": ...}` body, unless the API customises the type, or, for a type it leaves alone, the
DEFAULT_4XX / DEFAULT_5XX response of its family. The template's customisations (SAM's `GatewayResponses` on the Api, or
`AWS::ApiGateway::GatewayResponse` resources) are read here, so the local stack answers exactly
what the deployed API answers and follows any change to them.

A customisation may set `StatusCode`, literal headers (`'value'`, or a request header as
`method.request.header.<name>`) and a body template, in which `$context.error.message`,
`$context.error.messageString` (the message as a JSON string), `$context.error.responseType` and
`$context.requestId` are substituted (the subset of VTL gateway responses use).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from infra import template as tpl
from infra.http import HttpRequest, HttpResponse

# type -> (default status, default message, x-amzn-ErrorType)
DEFAULTS: dict[str, tuple[int, str, str]] = {
    "MISSING_AUTHENTICATION_TOKEN": (403, "Missing Authentication Token", "MissingAuthenticationTokenException"),
    "UNAUTHORIZED": (401, "Unauthorized", "UnauthorizedException"),
    "REQUEST_TOO_LARGE": (413, "Request Too Long", "RequestTooLongException"),
    # A Lambda function error, or a result that is not a proxy response: 502, under DEFAULT_5XX.
    "DEFAULT_5XX": (502, "Internal server error", "InternalServerErrorException"),
}
_CONTEXT_VARIABLE = re.compile(r"\$(?:\{context\.(?P<braced>[A-Za-z]+(?:\.[A-Za-z]+)*)\}|context\.(?P<bare>[A-Za-z]+(?:\.[A-Za-z]+)*))")


@dataclass(frozen=True)
class Customisation:
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)  # name -> 'literal' or method.request.header.<name>
    templates: dict[str, str] = field(default_factory=dict)  # content type -> body template


def _from_sam(spec: dict) -> Customisation:
    parameters = spec.get("ResponseParameters") or {}
    status = spec.get("StatusCode")
    return Customisation(int(status) if status else None, dict(parameters.get("Headers") or {}), dict(spec.get("ResponseTemplates") or {}))


def _from_resource(props: dict) -> Customisation:
    prefix = "gatewayresponse.header."
    headers = {k[len(prefix) :]: v for k, v in (props.get("ResponseParameters") or {}).items() if k.startswith(prefix)}
    status = props.get("StatusCode")
    return Customisation(int(status) if status else None, headers, dict(props.get("ResponseTemplates") or {}))


def customisations(template: dict) -> dict[str, Customisation]:
    """Response type -> what the template's API sets for it."""
    out: dict[str, Customisation] = {}
    for api in tpl.resources("AWS::Serverless::Api", template).values():
        for response_type, spec in (api["Properties"].get("GatewayResponses") or {}).items():
            out[response_type] = _from_sam(spec)
    for res in tpl.resources("AWS::ApiGateway::GatewayResponse", template).values():
        out[res["Properties"]["ResponseType"]] = _from_resource(res["Properties"])
    return out


class GatewayResponses:
    def __init__(self, custom: dict[str, Customisation] | None = None):
        self.custom = dict(custom or {})

    @classmethod
    def of(cls, template: dict) -> GatewayResponses:
        return cls(customisations(template))

    def answer(self, response_type: str, request: HttpRequest, request_id: str, status: int | None = None) -> HttpResponse:
        """`status`: the default status when it is not the type's own (Lambda refusing the
        invocation is a 500 under DEFAULT_5XX, a function error a 502)."""
        default_status, message, error_type = DEFAULTS[response_type]
        # A type the API customises answers from its own settings; any other from its family's
        # (DEFAULT_4XX / DEFAULT_5XX), whose StatusCode, if set, is the status of the whole family.
        spec = (
            self.custom.get(response_type) or self.custom.get("DEFAULT_4XX" if default_status < 500 else "DEFAULT_5XX") or Customisation()
        )
        status = spec.status or status or default_status
        headers, templates = spec.headers, spec.templates
        context = {
            "error.message": message,
            "error.messageString": json.dumps(message),
            "error.responseType": response_type,
            "requestId": request_id,
        }
        content_type, body = "application/json", json.dumps({"message": message}, separators=(",", ":"))
        if templates:
            content_type, text = (
                ("application/json", templates["application/json"]) if "application/json" in templates else next(iter(templates.items()))
            )
            body = _CONTEXT_VARIABLE.sub(lambda m: context.get(m.group("braced") or m.group("bare"), ""), text)
        out = [("Content-Type", content_type), ("x-amzn-ErrorType", error_type)]
        for name, value in headers.items():
            resolved = _header_value(value, request)
            if resolved is not None:
                out = [(k, v) for k, v in out if k.lower() != name.lower()] + [(name, resolved)]
        return HttpResponse(status, out, body.encode())


def _header_value(value: Any, request: HttpRequest) -> str | None:
    text = str(value)
    if len(text) >= 2 and text[0] == text[-1] == "'":
        return text[1:-1]
    if text.startswith("method.request.header."):
        return request.header(text[len("method.request.header.") :])
    return None
