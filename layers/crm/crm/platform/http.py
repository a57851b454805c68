"""The HTTP edge every API function shares: routing with a role rule per route, RFC 9457 problems,
body limits, ETags, idempotent POSTs, and the Lambda handler with Powertools observability.

Deny by default: a route is registered through `Api.route` with the roles that may call it; a
request whose (method, resource) has no rule is refused before routing, validation or route code.

Problems speak the reader's language: their title, detail and field messages are rendered from the
catalogues in the locale Accept-Language asks for, else the caller's own (`reader_locale`, looked
up only when a problem is written), else English. Field names and codes stay English.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.logging import correlation_paths
from botocore.exceptions import ClientError
from pydantic import BaseModel, ValidationError

from crm.platform import dynamo, i18n, idempotency
from crm.platform.auth import PUBLIC, Principal, authorize, principal_from_claims
from crm.platform.errors import (
    CrmError,
    FieldError,
    Forbidden,
    NotFound,
    PayloadTooLarge,
    PreconditionFailed,
    PreconditionRequired,
    invalid_fields,
)
from crm.platform.i18n import tr
from crm.platform.i18n.validation import message as validation_message

# Most requests publish no business metric; Powertools would warn on every one of them.
warnings.filterwarnings("ignore", "No application metrics to publish", UserWarning)

MAX_BODY_BYTES = 256 * 1024  # well under DynamoDB's 400 KB item, far under API Gateway's 10 MB
PROBLEM = "application/problem+json"


def problem(
    status: int,
    title: str,
    detail: str,
    errors: Iterable[FieldError] = (),
    headers: dict | None = None,
    locale: str = i18n.DEFAULT_LOCALE,
    extensions: Mapping[str, Any] | None = None,
) -> Response:
    """An RFC 9457 problem; its texts (tr(...) messages) rendered in `locale`; `extensions` are
    extra members (e.g. counts a client words its own message with)."""
    body: dict[str, Any] = {
        **(extensions or {}),
        "type": "about:blank",
        "title": i18n.render(title, locale),
        "status": status,
        "detail": i18n.render(detail, locale),
    }
    errors = list(errors)
    if errors:
        body["errors"] = [{"field": e.field, "message": i18n.render(e.message, locale)} for e in errors]
    headers = {**(headers or {}), "Content-Language": locale}
    return Response(status_code=status, content_type=PROBLEM, body=json.dumps(body), headers=headers)


def _field(loc: Iterable) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header"):
        parts = parts[1:] or parts
    return ".".join(parts)


def validation_errors(errors: Iterable[Mapping[str, Any]]) -> list[FieldError]:
    out = []
    for e in errors:
        if e.get("type") == "json_invalid":
            out.append(FieldError("body", validation_message(e)))
            continue
        out.append(FieldError(_field(e.get("loc", ("body",))) or "body", validation_message(e)))
    return out


def etag(version: int) -> str:
    return f'"{version}"'


def expected_version(if_match: str | None) -> int:
    """The version an update is conditional on, from the If-Match header."""
    if not if_match:
        raise PreconditionRequired(tr("send If-Match with the ETag you read, so no one else's change is lost"))
    value = if_match.strip().removeprefix("W/").strip('"')
    if not value.isdigit():
        raise PreconditionFailed(tr("If-Match does not match the current version"))
    return int(value)


class Api:
    def __init__(self, service: str, reader_locale: Callable[[Principal], str | None] | None = None):
        """`reader_locale(principal)`: the caller's own locale (theirs, else their account's), for
        the problems of requests that send no Accept-Language."""
        self._reader_locale = reader_locale
        self.logger = Logger(service=service)
        self.metrics = Metrics(service=service)
        self.tracer = Tracer(service=service)
        self.app = APIGatewayRestResolver(enable_validation=True)
        self.rules: dict[tuple[str, str], frozenset[str]] = {}
        self.app.use([self._idempotent])
        self._register_error_handlers()

    # ------------------------------------------------------------ routes

    def route(self, method: str, path: str, *, roles: Iterable[str], **kwargs) -> Callable:
        """Register a route (API Gateway path syntax, `/contacts/{contact_id}`) with who may call it.
        roles=PUBLIC: no identity at all (GET only, so nothing is written on an anonymous request)."""
        roles = frozenset(roles)
        if roles == PUBLIC and method != "GET":
            raise ValueError("only GET routes may be public")
        self.rules[(method, path)] = roles
        rule = path.replace("{", "<").replace("}", ">")
        return self.app.route(rule, method, **kwargs)

    def principal(self) -> Principal:
        return self.app.context["principal"]

    def header(self, name: str) -> str | None:
        return self.app.current_event.headers.get(name)

    # ------------------------------------------------------------ admission, before any route code

    def _admit(self, event: dict) -> Principal | None:
        """Size, identity and role, checked before routing or validation, so a caller who may not
        use a route learns nothing about what it accepts. A PUBLIC route has no principal (None)."""
        if len((event.get("body") or "").encode()) > MAX_BODY_BYTES:
            raise PayloadTooLarge(tr("the body is larger than {most} KB", most=MAX_BODY_BYTES // 1024))
        route = (event.get("httpMethod") or "", event.get("resource") or "")  # missing: no rule matches either way
        if self.rules.get(route) == PUBLIC:
            return None
        claims = ((event.get("requestContext") or {}).get("authorizer") or {}).get("claims")
        principal = principal_from_claims(claims)
        allowed = self.rules.get(route)
        if allowed is None:
            raise Forbidden(tr("this route has no access rule"))
        authorize(principal, allowed)
        return principal

    def _idempotent(self, app: APIGatewayRestResolver, next_middleware: Callable) -> Response:
        event = app.current_event
        key = event.headers.get("Idempotency-Key")
        if event.http_method == "POST" and key:
            return self._replay_or_run(self.principal(), key, app, next_middleware)
        return next_middleware(app)

    @staticmethod
    def _replay_or_run(principal: Principal, key: str, app, next_middleware) -> Response:
        event = app.current_event

        def produce() -> dict:
            response = next_middleware(app)
            body = response.body
            if isinstance(body, BaseModel):
                body = body.model_dump(mode="json")
            return {"status": response.status_code, "body": body, "headers": response.headers}

        # A key is one user's, on one resource: the same key on another contact's notes is another request.
        scope = f"{principal.tenant}:{principal.user_id}:{event.http_method} {event.path}:{key}"
        stored = idempotency.run_once(scope, idempotency.digest(event.body), produce)
        return Response(
            status_code=stored["status"], content_type=content_types.APPLICATION_JSON, body=stored["body"], headers=stored["headers"]
        )

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

    def _register_error_handlers(self) -> None:
        app, logger = self.app, self.logger

        def invalid(raw: Iterable[Mapping[str, Any]]) -> Response:
            return self.problem(invalid_fields(validation_errors(raw)))

        @app.exception_handler(CrmError)
        def _domain(e: CrmError) -> Response:
            return self.problem(e)

        @app.exception_handler(RequestValidationError)
        def _request(e: RequestValidationError) -> Response:
            return invalid(e.errors())

        @app.exception_handler(ValidationError)
        def _model(e: ValidationError) -> Response:
            return invalid(e.errors())

        @app.exception_handler(NotFoundError)
        def _no_route(e: NotFoundError) -> Response:
            return self.problem(NotFound(tr("no such route")))

        @app.exception_handler(ClientError)
        def _aws(e: ClientError) -> Response:
            if dynamo.is_transient(e):
                logger.warning("throttled", extra={"code": dynamo.error_code(e)})
                return self.problem(dynamo.unavailable(e), look_up=False)
            logger.exception("AWS call failed")
            return self.problem(CrmError(tr("an internal error occurred")), look_up=False)

        @app.exception_handler(Exception)
        def _unexpected(e: Exception) -> Response:
            logger.exception("unhandled error")
            return self.problem(CrmError(tr("an internal error occurred")), look_up=False)

    # ------------------------------------------------------------ the Lambda entry point

    def handler(self) -> Callable:
        app, logger, metrics, tracer = self.app, self.logger, self.metrics, self.tracer

        @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
        @tracer.capture_lambda_handler
        @metrics.log_metrics
        def handler(event: dict, context: Any) -> dict:
            try:
                principal = self._admit(event)
            except CrmError as e:  # refused before routing: Accept-Language alone picks the language
                asked = next((v for k, v in (event.get("headers") or {}).items() if k.lower() == "accept-language"), None)
                locale = self._locale(asked, None)
                return _proxy_response(problem(e.status, e.title, e.detail, e.errors, e.headers, locale))
            app.append_context(principal=principal)
            idempotency.bind(context)
            return app.resolve(event, context)

        return handler


def _proxy_response(response: Response) -> dict:
    return {"statusCode": response.status_code, "headers": dict(response.headers), "body": response.body, "isBase64Encoded": False}


def respond(body: Any, status: int = 200, version: int | None = None, headers: dict | None = None) -> Response:
    headers = dict(headers or {})
    if version is not None:
        headers["ETag"] = etag(version)
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=body, headers=headers)
