"""Plain HTTP request/response values shared by the gateway and the local-only routes."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs


@dataclass
class HttpRequest:
    method: str
    path: str  # raw (still percent-encoded), without the query string
    query: str = ""
    headers: list[tuple[str, str]] = field(default_factory=list)  # as received, repeated names kept
    body: bytes | None = None
    client_ip: str = "127.0.0.1"
    host: str = ""
    body_too_large: bool = False  # over API Gateway's limit: not read at all

    def header(self, name: str, default: str | None = None) -> str | None:
        lname = name.lower()
        for key, value in self.headers:
            if key.lower() == lname:
                return value
        return default

    @property
    def query_params(self) -> dict[str, list[str]]:
        return parse_qs(self.query, keep_blank_values=True)

    def json(self) -> Any:
        return json.loads(self.body or b"null")


@dataclass
class HttpResponse:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""

    def header(self, name: str) -> str | None:
        lname = name.lower()
        for key, value in self.headers:
            if key.lower() == lname:
                return value
        return None

    def set_default(self, name: str, value: str) -> None:
        if self.header(name) is None:
            self.headers.append((name, value))


def json_response(
    status: int, payload: Any, content_type: str = "application/json", headers: list[tuple[str, str]] | None = None
) -> HttpResponse:
    body = json.dumps(payload, default=str).encode()
    return HttpResponse(status, [("Content-Type", content_type), *(headers or [])], body)


def problem(status: int, title: str, detail: str | None = None, **extra: Any) -> HttpResponse:
    """RFC 9457 problem details."""
    payload: dict[str, Any] = {"type": "about:blank", "title": title, "status": status}
    if detail:
        payload["detail"] = detail
    payload.update(extra)
    return json_response(status, payload, "application/problem+json")
