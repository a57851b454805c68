"""Routes only the local stack has (never deployed, no auth).

    GET  /_local/health                 {"status": "ok", "services": {...}, ...}
    POST /_local/token                  {tenant, role, email} -> {"token": <real Cognito ID token>}
    POST /_local/cognito                Cognito's JSON API for the booking page (X-Amz-Target
                                        InitiateAuth, RespondToAuthChallenge, ForgotPassword or
                                        ConfirmForgotPassword, the customer pool's client only),
                                        handed to moto as the page sends it to AWS; the reset code
                                        is emailed (the pool's CustomMessage trigger, then SES)
    GET  /booking/config.json           {cognito_endpoint: "/_local/cognito", client_id}: where the
                                        booking page signs in (in AWS, deploying writes this file)
    GET  /_local/outbox                 emails sent through SES, newest first
    GET  /_local/events                 events published on the EventBridge buses, newest first
                                        ({id, bus, source, detail-type, detail, time, received_at})
    GET  /_local/schedules              Scheduler schedules + the template's schedule events
    POST /_local/schedules/{name}/run   fire one now (404 if unknown)
    GET  /_local/clock                  {now, set, running}: the scheduler's and the functions' now
    POST /_local/clock                  {now: ISO 8601 with offset, running?: false}: move it (it
                                        stands still unless running), then deliver what is due;
                                        answers {now, fired: [schedule keys]}
    DELETE /_local/clock                back to real time
    GET  /openapi.json                  the API's OpenAPI document (infra.openapi)
    GET  /docs                          Swagger UI (assets from aws_lambda_powertools, no CDN)
    GET  /booking/<slug>, /booking/...  static files of web/booking/ (index.html for a slug); the
                                        headers CloudFront adds in AWS come from infra/edge.py

`LocalRoutes(...)` is callable with an HttpRequest and answers None for anything else, so the
gateway then treats the request as an API request. Static sites are `StaticMount`s: add one to
`LocalRoutes.static_mounts` to serve another directory.
"""

from __future__ import annotations

import logging
import mimetypes
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import unquote

from infra.http import HttpRequest, HttpResponse, json_response, problem
from infra.lambdas import FunctionRegistry, FunctionUnavailable
from infra.local_clock import LocalClock
from infra.moto_stack import CustomerSignIn, EventLog, Outbox, UserDirectory, UserError
from infra.openapi import merged_openapi
from infra.scheduler_runner import FireFailed, SchedulerRunner, UnknownSchedule

log = logging.getLogger(__name__)

SWAGGER_ASSETS = Path(__import__("aws_lambda_powertools").__file__).parent / "event_handler" / "openapi" / "swagger_ui"
SWAGGER_FILES = {"swagger-ui.min.css": "text/css; charset=utf-8", "swagger-ui-bundle.min.js": "text/javascript; charset=utf-8"}

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


# ---------------------------------------------------------------- static files


@dataclass
class StaticMount:
    """Serves `directory` under `prefix`. Paths without a file extension that match no file get
    `fallback` (index.html): /booking/<slug> is the booking page of that slug."""

    prefix: str
    directory: Path
    fallback: str | None = "index.html"
    passthrough: tuple[str, ...] = ()  # path prefixes left to the API (e.g. /booking/sites/)

    def matches(self, path: str) -> bool:
        if any(path.startswith(p) for p in self.passthrough):
            return False
        return path == self.prefix or path.startswith(self.prefix + "/")

    def serve(self, request: HttpRequest) -> HttpResponse:
        if request.method not in ("GET", "HEAD"):
            return problem(405, "Method Not Allowed")
        if not self.directory.is_dir():
            return problem(404, "Not Found", f"{self.directory} does not exist (yet)")
        relative = unquote(request.path[len(self.prefix) :]).lstrip("/")
        root = self.directory.resolve()
        target = (root / relative).resolve() if relative else root
        if root != target and root not in target.parents:
            return problem(404, "Not Found")
        if target.is_dir():
            target = target / "index.html"
        if not target.is_file():
            if self.fallback and "." not in Path(relative).name:
                target = root / self.fallback
            if not target.is_file():
                return problem(404, "Not Found", f"no file {relative!r}")
        content_type = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        if content_type.startswith("text/") or content_type in ("application/javascript", "application/json"):
            content_type += "; charset=utf-8"
        return HttpResponse(200, [("Content-Type", content_type), ("Cache-Control", "no-cache")], target.read_bytes())


def _cognito_error(status: int, code: str, message: str) -> HttpResponse:
    return json_response(status, {"__type": code, "message": message}, CustomerSignIn.CONTENT_TYPE)


# ---------------------------------------------------------------- OpenAPI


SWAGGER_HTML = """<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="UTF-8">
  <title>CRM API</title>
  <link rel="stylesheet" type="text/css" href="/docs/swagger-ui.min.css">
</head>
<body>
  <div id="swagger-ui">Loading...</div>
  <script src="/docs/swagger-ui-bundle.min.js"></script>
  <script>
    window.ui = SwaggerUIBundle({
      url: "/openapi.json",
      dom_id: "#swagger-ui",
      deepLinking: true,
      filter: true,
      persistAuthorization: true,
      presets: [SwaggerUIBundle.presets.apis],
      layout: "BaseLayout"
    });
  </script>
</body>
</html>
"""


# ---------------------------------------------------------------- the routes


class LocalRoutes:
    def __init__(
        self,
        *,
        health: Callable[[], dict],
        users: Callable[[], UserDirectory | None],
        outbox: Outbox,
        runner: SchedulerRunner,
        functions: FunctionRegistry,
        static_mounts: list[StaticMount] | None = None,
        customers: Callable[[], CustomerSignIn | None] = lambda: None,
        events: EventLog | None = None,
        clock: LocalClock | None = None,
    ):
        self._clock = clock or LocalClock()
        self._customers = customers
        self._events = events or EventLog()
        self._health = health
        self._users = users
        self._outbox = outbox
        self._runner = runner
        self._functions = functions
        self.static_mounts = list(static_mounts or [])
        self._routes: list[tuple[str, re.Pattern, Callable[..., HttpResponse]]] = [
            ("GET", re.compile(r"^/_local/health$"), self.health),
            ("POST", re.compile(r"^/_local/token$"), self.token),
            ("POST", re.compile(r"^/_local/cognito$"), self.cognito),
            ("GET", re.compile(r"^/booking/config\.json$"), self.booking_config),
            ("GET", re.compile(r"^/_local/outbox$"), self.outbox),
            ("GET", re.compile(r"^/_local/events$"), self.events),
            ("GET", re.compile(r"^/_local/schedules$"), self.schedules),
            ("POST", re.compile(r"^/_local/schedules/(?P<name>.+)/run$"), self.run_schedule),
            ("GET", re.compile(r"^/_local/clock$"), self.clock),
            ("POST", re.compile(r"^/_local/clock$"), self.set_clock),
            ("DELETE", re.compile(r"^/_local/clock$"), self.reset_clock),
            ("GET", re.compile(r"^/openapi\.json$"), self.openapi),
            ("GET", re.compile(r"^/docs/?$"), self.docs),
            ("GET", re.compile(r"^/docs/(?P<asset>[\w.-]+)$"), self.docs_asset),
        ]

    def __call__(self, request: HttpRequest) -> HttpResponse | None:
        path = request.path
        method = "GET" if request.method == "HEAD" else request.method
        path_known = False
        for route_method, pattern, handler in self._routes:
            m = pattern.match(path)
            if not m:
                continue
            path_known = True
            if route_method == method:
                return handler(request, **{k: unquote(v) for k, v in m.groupdict().items()})
        for mount in self.static_mounts:
            if mount.matches(path):
                return mount.serve(request)
        if path_known or path.startswith("/_local/"):
            if request.method == "OPTIONS":
                return HttpResponse(
                    204,
                    [
                        ("Access-Control-Allow-Origin", "*"),
                        ("Access-Control-Allow-Methods", "GET,POST,DELETE,OPTIONS"),
                        ("Access-Control-Allow-Headers", "*"),
                    ],
                )
            return problem(405 if path_known else 404, "Method Not Allowed" if path_known else "Not Found")
        return None

    # -- handlers

    def health(self, request: HttpRequest) -> HttpResponse:
        body = self._health()
        return json_response(200 if body.get("status") == "ok" else 503, body)

    def token(self, request: HttpRequest) -> HttpResponse:
        try:
            payload = request.json()
        except ValueError:
            return problem(422, "Unprocessable Content", "body must be JSON: {tenant, role, email}")
        if not isinstance(payload, dict):
            return problem(422, "Unprocessable Content", "body must be a JSON object: {tenant, role, email}")
        users = self._users()
        if users is None:
            return problem(503, "Service Unavailable", "the user pool is not ready")
        errors = []
        tenant, role, email_address = payload.get("tenant"), payload.get("role"), payload.get("email")
        if not isinstance(tenant, str) or not 1 <= len(tenant) <= 64:
            errors.append({"field": "tenant", "message": "required: a string of 1-64 characters"})
        if role not in users.roles:
            errors.append({"field": "role", "message": f"required: one of {', '.join(users.roles)}"})
        if not isinstance(email_address, str) or not _EMAIL.match(email_address):
            errors.append({"field": "email", "message": "required: an email address"})
        if errors:
            return problem(422, "Unprocessable Content", "invalid token request", errors=errors)
        try:
            token = users.token(tenant, role, email_address.lower())
        except UserError as exc:
            return problem(409, "Conflict", str(exc))
        return json_response(200, {"token": token, "tenant": tenant, "role": role, "email": email_address.lower()})

    def booking_config(self, request: HttpRequest) -> HttpResponse:
        """Where the booking page signs in: this stack's stand-in for Cognito's endpoint (a path on
        the page's own origin, whatever host name it was opened with)."""
        customers = self._customers()
        if customers is None:
            return problem(404, "Not Found", "the template has no customer user pool")
        return json_response(
            200, {"cognito_endpoint": "/_local/cognito", "client_id": customers.client_id}, headers=[("Cache-Control", "no-cache")]
        )

    def cognito(self, request: HttpRequest) -> HttpResponse:
        """The page's Cognito call, handed to moto; moto's answer (errors in Cognito's own shape,
        {"__type", "message"}) goes back as it is."""
        customers = self._customers()
        if customers is None:
            return _cognito_error(503, "ServiceUnavailable", "the template has no customer user pool")
        target = request.header("X-Amz-Target") or ""
        if target not in customers.TARGETS:
            return _cognito_error(
                400, "UnknownOperationException", "only the booking page's sign-in and password-reset calls are served here"
            )
        try:
            payload = request.json()
        except ValueError:
            payload = None
        if not isinstance(payload, dict):
            return _cognito_error(400, "SerializationException", "the body must be a JSON object")
        if payload.get("ClientId") != customers.client_id:
            return _cognito_error(400, "ResourceNotFoundException", "only the booking site's app client signs in here")
        status, body = customers.forward(target, request.body or b"")
        return HttpResponse(status, [("Content-Type", customers.CONTENT_TYPE)], body)

    def outbox(self, request: HttpRequest) -> HttpResponse:
        messages = self._outbox.messages()
        return json_response(200, {"count": len(messages), "messages": messages})

    def events(self, request: HttpRequest) -> HttpResponse:
        events = self._events.events()
        return json_response(200, {"count": len(events), "events": events})

    def schedules(self, request: HttpRequest) -> HttpResponse:
        schedules = self._runner.describe()
        return json_response(200, {"count": len(schedules), "schedules": schedules})

    def run_schedule(self, request: HttpRequest, name: str) -> HttpResponse:
        try:
            result = self._runner.fire(name)
        except UnknownSchedule:
            return problem(404, "Not Found", f"no schedule named {name!r}")
        except FireFailed as exc:
            return problem(502, "Bad Gateway", f"the target failed: {exc}")
        return json_response(200, result)

    def clock(self, request: HttpRequest) -> HttpResponse:
        return json_response(200, {"now": self._clock().isoformat(), "set": self._clock.is_set, "running": self._clock.running})

    def set_clock(self, request: HttpRequest) -> HttpResponse:
        try:
            payload = request.json()
        except ValueError:
            payload = None
        errors = []
        when = payload.get("now") if isinstance(payload, dict) else None
        try:
            moment = datetime.fromisoformat(when.replace("Z", "+00:00")) if isinstance(when, str) else None
        except ValueError:
            moment = None
        if moment is None or moment.tzinfo is None:
            errors.append({"field": "now", "message": "required: an ISO 8601 time with its offset, e.g. 2027-03-28T01:29:00Z"})
        running = payload.get("running", False) if isinstance(payload, dict) else False
        if not isinstance(running, bool):
            errors.append({"field": "running", "message": "must be true or false"})
        if errors or moment is None:
            return problem(422, "Unprocessable Content", "body must be {now, running?}", errors=errors)
        self._clock.set(moment, running=running)
        return json_response(200, {"now": self._clock().isoformat(), "fired": self._runner.tick()})

    def reset_clock(self, request: HttpRequest) -> HttpResponse:
        self._clock.reset()
        return json_response(200, {"now": self._clock().isoformat(), "set": False, "running": True})

    def openapi(self, request: HttpRequest) -> HttpResponse:
        modules = {}
        for fn in self._functions:
            try:
                modules[fn.logical_id] = fn.load()
            except FunctionUnavailable:
                continue
        return json_response(200, merged_openapi(modules))

    def docs(self, request: HttpRequest) -> HttpResponse:
        return HttpResponse(200, [("Content-Type", "text/html; charset=utf-8")], SWAGGER_HTML.encode())

    def docs_asset(self, request: HttpRequest, asset: str) -> HttpResponse:
        if asset not in SWAGGER_FILES:
            return problem(404, "Not Found")
        body = (SWAGGER_ASSETS / asset).read_bytes()
        return HttpResponse(200, [("Content-Type", SWAGGER_FILES[asset]), ("Cache-Control", "max-age=3600")], body)
