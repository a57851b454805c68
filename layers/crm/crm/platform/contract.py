"""What a route promises, declared once on `Api.route` and read everywhere it matters: admission
(who may call it, what body it takes), the handler (ETag, Location, If-Match) and the OpenAPI
document (every status it can answer, with its schema and media type).

Statuses every route shares are added here, so a route only declares what is its own: its success
(status and model), the If-Match it needs, where a created resource lives, and its own 409s.
"""

from __future__ import annotations

import inspect
import re
import typing
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from crm.platform.auth import PUBLIC

JSON, PROBLEM, HTML = "application/json", "application/problem+json", "text/html"
IfMatch = Literal["required", "optional"]
MAX_BODY_BYTES = 256 * 1024  # well under DynamoDB's 400 KB item, far under API Gateway's 10 MB


class FieldProblem(BaseModel):
    field: str = Field(description="The input at fault: a dotted body path (zone.radius_m), a query or header name, or `body`")
    message: str


class Problem(BaseModel):
    """An RFC 9457 problem detail; some carry extension members (e.g. the counts a copy would drop)."""

    model_config = ConfigDict(extra="allow")
    type: str = "about:blank"
    title: str
    status: int | None = Field(default=None, description="The HTTP status (API Gateway's catch-all answers leave it out)")
    detail: str | None = None
    errors: list[FieldProblem] | None = Field(default=None, description="Every bad input, when the problem is about input")


@dataclass(frozen=True)
class PerClientLimit:
    """At most `requests` per `seconds` from one client (source IP) on a route anyone may call."""

    requests: int
    seconds: int


@dataclass(frozen=True)
class Contract:
    method: str
    path: str  # API Gateway syntax: /contacts/{contact_id}
    roles: frozenset[str]
    status: int  # of success
    returns: Any  # the success body's model (None: no body)
    body: type[BaseModel] | None  # the request body's model
    has_query: bool
    if_match: IfMatch | None = None
    etag_source: str | None = None  # the GET path whose ETag If-Match is compared with
    location: str | None = None  # the GET path of a created resource; its last parameter is the new id
    upsert: bool = False  # a PUT that creates (201) what is not there yet, else replaces it (200)
    conflicts: tuple[str, ...] = ()  # why this route answers 409, besides a concurrent Idempotency-Key
    per_client: PerClientLimit | None = None
    response_headers: Mapping[str, str] = field(default_factory=dict)
    media_types: tuple[str, ...] = (JSON,)  # of the success body: JSON is `returns`, the others a text

    @property
    def public(self) -> bool:
        return self.roles == PUBLIC

    @property
    def path_params(self) -> list[str]:
        return re.findall(r"\{(\w+)\}", self.path)

    def statuses(self) -> dict[int, str]:
        """Every status this route can answer, and when."""
        out = {self.status: {200: "OK", 201: "Created", 204: "Done; no content"}[self.status]}
        if self.upsert:
            out[201] = "Created: there was none"
        if not self.public:
            out[401] = "No token, or one the route's user pool did not issue or that has expired (API Gateway's answer)"
            out[403] = "The caller's role may not use this route"
        if self.path_params:
            out[404] = "Nothing by that id in this account (another account's is a 404 too)"
        conflicts = list(self.conflicts)
        if self.method == "POST":
            conflicts.append("a request with the same Idempotency-Key is still in progress")
        if self.location:
            conflicts.append("this Idempotency-Key created something since deleted")
        if conflicts:
            out[409] = "Conflict: " + "; ".join(conflicts)
        if self.if_match:
            out[412] = "If-Match does not match the current version (strong comparison; `*` needs an existing resource)"
        if self.if_match == "required":
            out[428] = "If-Match is missing: send the ETag you read"
        if self.body is not None:
            out[413] = f"The body is larger than {MAX_BODY_BYTES // 1024} KB"
            out[415] = "The body is not application/json"
        if self.body is not None or self.has_query or self.path_params or self.method == "POST":
            out[422] = "Invalid input: `errors` names every bad field" + (
                " (an Idempotency-Key sent again with another body is one)" if self.method == "POST" else ""
            )
        out[429] = "Too many requests" + (" from this client" if self.per_client else "") + ": retry after Retry-After seconds"
        out[503] = "The database is busy; nothing was written: retry after Retry-After seconds"
        return dict(sorted(out.items()))

    def responses(self) -> dict[int, Any]:
        """The OpenAPI responses, in Powertools' form (models resolved into components by it)."""
        out: dict[int, dict[str, Any]] = {}
        for status, description in self.statuses().items():
            response: dict[str, Any] = {"description": description}
            if status == self.status or (self.upsert and status == 201):
                if self.returns is not None:
                    response["content"] = {
                        m: {"model": self.returns} if m == JSON else {"schema": {"type": "string"}} for m in self.media_types
                    }
                headers = dict(self.response_headers)
                if status == 201 and self.location:
                    headers["Location"] = "Where the created resource is read"
                if headers:
                    response["headers"] = {name: {"description": text, "schema": {"type": "string"}} for name, text in headers.items()}
            else:
                response["content"] = {PROBLEM: {"model": Problem}}
                if status in (429, 503):
                    response["headers"] = {"Retry-After": {"description": "Seconds to wait", "schema": {"type": "string"}}}
            out[status] = response
        return out

    def location_of(self, path_params: Mapping[str, str], new_id: str) -> str:
        """The created resource's path: the request's own path parameters, then the new id."""
        if self.location is None:
            raise ValueError(f"{self.method} {self.path} declares no location")
        filled = {**path_params, self.new_id_param(): new_id}
        return re.sub(r"\{(\w+)\}", lambda m: filled[m.group(1)], self.location)

    def new_id_param(self) -> str:
        (new,) = [p for p in re.findall(r"\{(\w+)\}", self.location or "") if p not in self.path_params]
        return new


def declare(
    method: str,
    path: str,
    func: Callable,
    *,
    roles: Iterable[str],
    returns: Any = None,
    status: int | None = None,
    if_match: IfMatch | None = None,
    etag_of: str | None = None,
    location: str | None = None,
    conflicts: tuple[str, ...] = (),
    per_client: PerClientLimit | None = None,
    upsert: bool = False,
    media_types: tuple[str, ...] = (JSON,),
) -> Contract:
    """A route's contract from its declaration and its handler's signature (body and query
    parameters; the return annotation when `returns` is not given).

    - roles: who may call it; PUBLIC: anyone, no identity (GET only, so nothing is written, or a
      bodiless POST with a per-client limit: an action a signed token in its query authorises,
      such as RFC 8058's one-click unsubscribe);
    - returns: the success body's model (default: the return annotation); none: 204;
    - status: the success status (default 201 with a location, 204 without a body, else 200);
    - if_match: "required" (428 without it) or "optional"; its ETag is the one the GET of `etag_of`
      answers (default: this path), which settles `If-Match: *` and lists of tags;
    - location: the GET path of what a POST creates (its last parameter is the new id): the 201's
      Location header, and where a retry's claim (crm.platform.idempotency) is read back;
    - conflicts: why it answers 409 (documented with the statuses every route shares);
    - per_client: a rate limit per source IP, for a route anyone may call;
    - upsert: a PUT that creates (201) what is not there yet, else replaces it (200);
    - media_types: what the success body may be (JSON: `returns`; HTML: a page, `returns=str`); a
      route offering several answers the one its request's Accept prefers (crm.platform.http.page).
    """
    roles = frozenset(roles)
    if roles == PUBLIC and method != "GET" and not (method == "POST" and per_client is not None):
        raise ValueError("only GET routes, or POSTs with a per-client limit, may be public")
    hints = typing.get_type_hints(func, include_extras=True)
    body = None
    has_query = False
    for name in inspect.signature(func).parameters:
        annotation = hints.get(name)
        if inspect.isclass(annotation) and issubclass(annotation, BaseModel):
            body = annotation
        elif name not in re.findall(r"\{(\w+)\}", path):
            has_query = True
    if returns is None:
        returns = hints.get("return")
    success = status or (201 if location else 204 if returns is None else 200)
    if success != 204 and returns is None:
        raise TypeError(f"{method} {path}: declare what it answers (returns=..., or a return annotation), or status=204")
    headers = {"ETag": "The version, for If-Match"} if if_match or _versioned(returns) else {}
    contract = Contract(
        method=method,
        path=path,
        roles=roles,
        status=success,
        returns=returns,
        body=body,
        has_query=has_query,
        if_match=if_match,
        etag_source=(etag_of or path) if if_match else None,
        location=location,
        upsert=upsert,
        conflicts=conflicts,
        per_client=per_client,
        response_headers=headers,
        media_types=media_types,
    )
    if location:
        contract.new_id_param()  # exactly one parameter of the location is the new id
    return contract


def _versioned(model: Any) -> bool:
    return inspect.isclass(model) and issubclass(model, BaseModel) and "version" in model.model_fields
