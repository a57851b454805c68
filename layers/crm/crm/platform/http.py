"""The HTTP edge every API function shares: routing with a contract per route (crm.platform.contract),
admission (crm.platform.admission: size, identity, role, body), RFC 9457 problems
(crm.platform.problems), ETags and If-Match, idempotent POSTs, and the Lambda handler with
Powertools observability.

Deny by default: a route is registered through `Api.route` with the roles that may call it; a
request whose (method, resource) has no contract is refused before routing, validation or route code.

Problems speak the reader's language: their title, detail and field messages are rendered from the
catalogues in the locale Accept-Language asks for, else the caller's own (`reader_locale`, looked
up only when a problem is written), else English. Field names and codes stay English.
"""

from __future__ import annotations

import re
import threading
import warnings
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.logging import correlation_paths
from botocore.exceptions import ClientError
from pydantic import BaseModel, ValidationError

from crm.platform import admission, dynamo, i18n, idempotency, preconditions, proxy_events
from crm.platform.auth import Principal
from crm.platform.contract import HTML, Contract, IfMatch, declare
from crm.platform.errors import Conflict, CrmError, NotFound, Unavailable, invalid_fields
from crm.platform.i18n import tr
from crm.platform.preconditions import etag
from crm.platform.problems import problem, validation_errors

# Most requests publish no business metric; Powertools would warn on every one of them.
warnings.filterwarnings("ignore", "No application metrics to publish", UserWarning)

IF_MATCH_ATTEMPTS = 3  # `If-Match: *` reads the version, then writes on it: a write in between is retried


class Api:
    def __init__(self, service: str, reader_locale: Callable[[Principal], str | None] | None = None):
        """`reader_locale(principal)`: the caller's own locale (theirs, else their account's), for
        the problems of requests that send no Accept-Language."""
        self.service = service
        self._reader_locale = reader_locale
        self.logger = Logger(service=service)
        self.metrics = Metrics(service=service)
        self.app = proxy_events.ThreadLocalResolver(enable_validation=True)
        self.contracts: dict[tuple[str, str], Contract] = {}
        self._request = threading.local()  # what the request being handled leaves for the handler
        self.app.use([self._idempotent, self._locate])
        self._register_error_handlers()

    @property
    def rules(self) -> dict[tuple[str, str], frozenset[str]]:
        """(method, path) -> the roles that may call it."""
        return {route: c.roles for route, c in self.contracts.items()}

    # ------------------------------------------------------------ routes

    def route(self, method: str, path: str, **declared: Any) -> Callable:
        """Register a route (API Gateway path syntax, `/contacts/{contact_id}`) with its contract
        (crm.platform.contract.declare: roles, returns, status, if_match, etag_of, location,
        conflicts, per_client, upsert)."""

        def register(func: Callable) -> Callable:
            contract = declare(method, path, func, **declared)
            self.contracts[(method, path)] = contract
            rule = path.replace("{", "<").replace("}", ">")
            summary = (func.__doc__ or "").strip().split("\n")[0].rstrip(".") or None
            return self.app.route(
                rule, method, responses=contract.responses(), status_code=contract.status, tags=[self.service], summary=summary
            )(func)

        return register

    def principal(self) -> Principal:
        return self.app.context["principal"]

    def wants_html(self) -> bool:
        """Whether the request's Accept names HTML (a browser's form), on a route that offers both."""
        return HTML in (self.header("Accept") or "")

    def header(self, name: str) -> str | None:
        return self.app.current_event.headers.get(name)

    def version(self) -> int:
        """The version the route's write is conditional on: its If-Match (declared required)."""
        self._declared("required")
        return preconditions.expected_version(self.header("If-Match"))

    def version_if_sent(self) -> int | None:
        """The If-Match version of a route where it is optional: honoured when sent."""
        self._declared("optional")
        header = self.header("If-Match")
        return preconditions.expected_version(header) if header else None

    def _declared(self, if_match: IfMatch) -> None:
        event = self.app.current_event
        contract = self.contracts[(event.http_method, event.resource)]
        if contract.if_match != if_match:
            raise TypeError(f"{contract.method} {contract.path} reads If-Match: declare if_match={if_match!r} on its route")

    # ------------------------------------------------------------ If-Match: `*` and lists

    def _settle_if_match(self, event: dict, contract: Contract, principal: Principal | None, context: Any) -> bool:
        """`*` or a list of tags: read the current ETag (the GET of `etag_source`) and hand the
        route the one version it matched, or refuse (412). Returns whether it had to read."""
        header = proxy_events.header(event, "If-Match")
        if not header or not contract.etag_source:
            return False
        wanted = preconditions.parse(header)
        if wanted.settled or not (wanted.any or wanted.versions):
            return False  # one tag, or none that can match: the route compares it itself
        got = self._internal_get(event, contract.etag_source, dict(event.get("pathParameters") or {}), principal, context)
        if got["statusCode"] == 503:
            raise dynamo.busy()
        current = preconditions.version_of(proxy_events.response_header(got, "ETag")) if got["statusCode"] == 200 else None
        if current is None or not wanted.matches(current):
            raise preconditions.no_match()
        proxy_events.set_header(event, "If-Match", etag(current))
        return True

    def _internal_get(self, event: dict, template: str, params: dict[str, str], principal: Principal | None, context: Any) -> dict:
        """GET `template` (one of this function's routes) as the caller, through the same edge."""
        path = re.sub(r"\{(\w+)\}", lambda m: params[m.group(1)], template)
        headers = {
            k: v for k, v in (event.get("headers") or {}).items() if k.lower() not in ("if-match", "idempotency-key", "content-type")
        }
        get = {
            **event,
            "httpMethod": "GET",
            "resource": template,
            "path": path,
            "pathParameters": params or None,
            "queryStringParameters": None,
            "multiValueQueryStringParameters": None,
            "headers": headers,
            "multiValueHeaders": {k: [v] for k, v in headers.items()},
            "body": None,
            "isBase64Encoded": False,
        }
        try:
            admission.admit(get, self.contracts.get(("GET", template)))
        except CrmError as e:
            return self._refusal(get, e, principal)
        self.app.append_context(principal=principal)
        return self.app.resolve(get, context)

    # ------------------------------------------------------------ idempotent POSTs

    def _idempotent(self, app: APIGatewayRestResolver, next_middleware: Callable) -> Response:
        event = app.current_event
        key = event.headers.get("Idempotency-Key")
        # A public POST (one-click unsubscribe) has no caller to scope a key to; it is idempotent itself.
        if event.http_method == "POST" and key and not self.contracts[(event.http_method, event.resource)].public:
            return self._replay_or_run(self.principal(), key, app, next_middleware)
        return next_middleware(app)

    def _replay_or_run(self, principal: Principal, key: str, app, next_middleware) -> Response:
        event = app.current_event
        creates = bool(self.contracts[(event.http_method, event.resource)].location)
        # A key is one user's, on one resource: the same key on another contact's notes is another request.
        scope = f"{principal.tenant}:{principal.user_id}:{event.http_method} {event.path}:{key}"
        request = idempotency.Request(principal.tenant, scope, idempotency.digest(event.body))

        def produce() -> dict:
            with idempotency.running(request):
                if creates:
                    idempotency.check_claim()  # an earlier attempt created it, then failed or timed out
                try:
                    response = next_middleware(app)
                except idempotency.ClaimTaken:
                    idempotency.settle_claim_conflict()  # a concurrent attempt created it first
                    raise
            body = response.body
            if isinstance(body, BaseModel):
                body = body.model_dump(mode="json")
            return {"status": response.status_code, "body": body, "headers": response.headers}

        stored = idempotency.run_once(scope, request.digest, produce)
        return Response(
            status_code=stored["status"], content_type=content_types.APPLICATION_JSON, body=stored["body"], headers=stored["headers"]
        )

    def _locate(self, app: APIGatewayRestResolver, next_middleware: Callable) -> Response:
        """A 201 of a route that declares where what it creates lives gets its Location."""
        response = next_middleware(app)
        event = app.current_event
        contract = self.contracts.get((event.http_method, event.resource))
        if response.status_code == 201 and contract is not None and contract.location and "Location" not in response.headers:
            body = response.body
            new_id = body.get("id") if isinstance(body, dict) else getattr(body, "id", None)
            if new_id:
                response.headers["Location"] = contract.location_of(event.path_parameters or {}, new_id)
        return response

    def _replayed(self, event: dict, contract: Contract, resource_id: str, principal: Principal | None, context: Any) -> dict:
        """What a retry answers when an earlier attempt created the resource: 201 with its
        current representation (the GET of its location)."""
        params = dict(event.get("pathParameters") or {})
        location = contract.location_of(params, resource_id)
        got = self._internal_get(event, contract.location or "", {**params, contract.new_id_param(): resource_id}, principal, context)
        if got["statusCode"] == 404:
            return self._refusal(
                event, Conflict(tr("this Idempotency-Key created {location}, which no longer exists", location=location)), principal
            )
        if got["statusCode"] == 200:
            got["statusCode"] = 201
            proxy_events.set_response_header(got, "Location", location)
        return got

    # ------------------------------------------------------------ errors -> RFC 9457 problems

    def _locale(self, accept_language: str | None, principal: Principal | None) -> str:
        """Who reads this problem, in which language: Accept-Language, else the caller's own
        locale (read only now, and never when the database just failed), else English."""
        asked = i18n.negotiate(accept_language)
        if asked or principal is None or self._reader_locale is None:
            return asked or i18n.DEFAULT_LOCALE
        try:
            return i18n.canonical(self._reader_locale(principal)) or i18n.DEFAULT_LOCALE
        except Exception:
            self.logger.warning("the reader's locale could not be read; the problem is in English", exc_info=True)
            return i18n.DEFAULT_LOCALE

    def problem(self, error: CrmError, *, extensions: Mapping[str, Any] | None = None, look_up: bool = True) -> Response:
        """The problem of `error` for the current request, in its reader's language (also for a
        function's own exception handlers)."""
        event = self.app.current_event
        principal = self.app.context.get("principal") if look_up else None
        locale = self._locale(event.headers.get("Accept-Language"), principal)
        return problem(error.status, error.title, error.detail, error.errors, error.headers, locale, extensions)

    def _refusal(self, event: dict, error: CrmError, principal: Principal | None) -> dict:
        """The problem of a request refused outside routing (admission, If-Match, a replay)."""
        locale = self._locale(proxy_events.header(event, "Accept-Language"), principal)
        return proxy_events.proxy_response(problem(error.status, error.title, error.detail, error.errors, error.headers, locale))

    def _register_error_handlers(self) -> None:
        app, logger, request = self.app, self.logger, self._request

        def invalid_input(raw: Iterable[Mapping[str, Any]]) -> Response:
            return self.problem(invalid_fields(validation_errors(raw)))

        @app.exception_handler(idempotency.AlreadyCreated)
        def _already_created(e: idempotency.AlreadyCreated) -> Response:
            request.replay = e.resource_id  # the handler answers with what it created
            return self.problem(e)

        @app.exception_handler(CrmError)
        def _domain(e: CrmError) -> Response:
            return self.problem(e, look_up=not isinstance(e, Unavailable))  # the database just failed: no read for a locale

        @app.exception_handler(RequestValidationError)
        def _request(e: RequestValidationError) -> Response:
            return invalid_input(e.errors())

        @app.exception_handler(ValidationError)
        def _model(e: ValidationError) -> Response:
            return invalid_input(e.errors())

        @app.exception_handler(NotFoundError)
        def _no_route(e: NotFoundError) -> Response:
            return self.problem(NotFound(tr("no such route")))

        @app.exception_handler(ClientError)
        def _aws(e: ClientError) -> Response:
            if dynamo.is_transient(e):
                logger.warning("throttled", extra={"code": dynamo.error_code(e)})
                return self.problem(dynamo.busy(), look_up=False)
            logger.exception("AWS call failed")
            return self.problem(CrmError(tr("an internal error occurred")), look_up=False)

        @app.exception_handler(Exception)
        def _unexpected(e: Exception) -> Response:
            logger.exception("unhandled error")
            return self.problem(CrmError(tr("an internal error occurred")), look_up=False)

    # ------------------------------------------------------------ the Lambda entry point

    def handler(self) -> Callable:
        logger, metrics = self.logger, self.metrics

        @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
        @metrics.log_metrics
        def handler(event: dict, context: Any) -> dict:
            contract = self.contracts.get((event.get("httpMethod") or "", event.get("resource") or ""))
            try:
                principal = admission.admit(event, contract)
            except CrmError as e:  # refused before routing: Accept-Language alone picks the language
                return self._refusal(event, e, None)
            idempotency.bind(context)
            if_match = proxy_events.header(event, "If-Match")
            for _ in range(IF_MATCH_ATTEMPTS):
                try:
                    settled = contract is not None and self._settle_if_match(event, contract, principal, context)
                except CrmError as e:
                    return self._refusal(event, e, principal)
                response = self._resolve(event, contract, principal, context)
                if not (settled and response["statusCode"] == 412):
                    break
                proxy_events.set_header(event, "If-Match", if_match or "")  # the version moved between the read and the write
            return response

        return handler

    def _resolve(self, event: dict, contract: Contract | None, principal: Principal | None, context: Any) -> dict:
        self._request.replay = None
        self.app.append_context(principal=principal)
        response = self.app.resolve(event, context)
        if self._request.replay and contract is not None and contract.location:
            return self._replayed(event, contract, self._request.replay, principal, context)
        return response


def respond(body: Any, status: int = 200, version: int | None = None, headers: dict | None = None) -> Response:
    headers = dict(headers or {})
    if version is not None:
        headers["ETag"] = etag(version)
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=body, headers=headers)


# A page of the API's own: nothing but itself and inline style; its form posts back here only.
PAGE_POLICY = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"


def page(html: str, status: int = 200) -> Response:
    """An HTML answer, for a route declared with `media_types` naming HTML."""
    return Response(status_code=status, content_type=f"{HTML}; charset=utf-8", body=html, headers={"Content-Security-Policy": PAGE_POLICY})
