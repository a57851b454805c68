"""API Gateway's proxy events and responses as the HTTP edge reads and rewrites them: headers
whatever their case, in both header maps, and Powertools' resolver with its request state per
thread."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response


class ThreadLocalResolver(APIGatewayRestResolver):
    """Powertools' REST resolver with its per-request state (the event, the Lambda context, the
    routing context) kept per thread. Powertools keeps the event on a class attribute that every
    resolver of the process shares, so two requests at once in one process (threads in a test,
    the local stack) would read each other's; on Lambda an instance serves one at a time anyway."""

    def __init__(self, **kwargs: Any):
        self._request = threading.local()
        super().__init__(**kwargs)

    @property
    def current_event(self):
        return self._request.event

    @current_event.setter
    def current_event(self, value) -> None:
        self._request.event = value

    @property
    def lambda_context(self):
        return self._request.lambda_context

    @lambda_context.setter
    def lambda_context(self, value) -> None:
        self._request.lambda_context = value

    @property
    def context(self) -> dict:
        if not hasattr(self._request, "context"):
            self._request.context = {}
        return self._request.context

    @context.setter
    def context(self, value: dict) -> None:
        self._request.context = value

    def resolve(self, event: Mapping[str, Any], context: Any) -> dict[str, Any]:
        self.current_event = self._to_proxy_event(dict(event))
        self.lambda_context = context
        return super().resolve(event, context)


def header(event: dict, name: str) -> str | None:
    return next((v for k, v in (event.get("headers") or {}).items() if k.lower() == name.lower()), None)


def set_header(event: dict, name: str, value: str) -> None:
    """Replace a request header (whatever its case) in both of the proxy event's header maps."""
    for field in ("headers", "multiValueHeaders"):
        current = {k: v for k, v in (event.get(field) or {}).items() if k.lower() != name.lower()}
        current[name] = value if field == "headers" else [value]
        event[field] = current


def response_header(response: dict, name: str) -> str | None:
    for k, v in (response.get("headers") or {}).items():
        if k.lower() == name.lower():
            return v
    for k, values in (response.get("multiValueHeaders") or {}).items():
        if k.lower() == name.lower() and values:
            return values[-1]
    return None


def set_response_header(response: dict, name: str, value: str) -> None:
    if "multiValueHeaders" in response:
        response["multiValueHeaders"][name] = [value]
    else:
        response.setdefault("headers", {})[name] = value


def proxy_response(response: Response) -> dict:
    return {"statusCode": response.status_code, "headers": dict(response.headers), "body": response.body, "isBase64Encoded": False}
