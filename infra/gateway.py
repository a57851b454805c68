"""API Gateway (REST API, Lambda proxy integration, Cognito user-pool authorizer), emulated.

The HTTP server (infra/http_server.py) receives HTTP; `ApiGateway.handle` does what API Gateway
does with it:

1. local-only routes first (`/_local/...`, `/docs`, `/openapi.json`, `/booking/...`), if any;
2. the template's Api events are the routes. No route for the path, or no such method on it
   (TRACE, CONNECT and unknown methods included): the MISSING_AUTHENTICATION_TOKEN gateway
   response (403) as API Gateway answers, before any auth;
3. CORS preflight (OPTIONS without an OPTIONS route) is answered permissively, without auth;
4. the Cognito authorizer: `Authorization: <id token>` (or `Bearer <id token>`) verified against
   moto's signing key (signature, exp, iss = the pool, aud = a client of the pool,
   token_use = id). Missing or invalid: the UNAUTHORIZED gateway response (401) and the
   function is not called;
5. a REST proxy event (requestContext.authorizer.claims as strings, like API Gateway) is handed
   to the function (`infra.lambdas`: an instance of its own); its proxy response becomes the
   HTTP response. A function that raises, times out or answers something that is not a proxy
   response: the DEFAULT_5XX gateway response (502 `{"message": "Internal server error"}`).

Gateway responses are the template's (`infra.gateway_responses`). A body over API Gateway's
10 MB is refused (REQUEST_TOO_LARGE, 413) before it is read.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

import jwt

from infra import template as tpl
from infra.gateway_responses import GatewayResponses
from infra.http import HttpRequest, HttpResponse
from infra.lambda_instances import FunctionThrottled
from infra.lambdas import FunctionRegistry

log = logging.getLogger(__name__)

API_ID = "local"


# ---------------------------------------------------------------- routes


@dataclass(frozen=True)
class ApiRoute:
    method: str
    path: str  # /contacts/{contact_id}
    function: str  # logical id
    event: str
    authorized: bool = True  # False: the event says Auth.Authorizer: NONE
    authorizer: str | None = None  # the Api's authorizer guarding it (the event's, else the default)

    @property
    def segments(self) -> list[str]:
        return self.path.strip("/").split("/") if self.path != "/" else []


def api_routes(template: dict | None = None) -> list[ApiRoute]:
    """The template's Api events, with whether the Cognito authorizer guards them."""
    template = template or tpl.load()
    apis = tpl.resources("AWS::Serverless::Api", template)
    default_auth = next((a for a in (api["Properties"].get("Auth", {}).get("DefaultAuthorizer") for api in apis.values()) if a), None)
    out = []
    for route in tpl.routes(template):
        props = template["Resources"][route.function]["Properties"]["Events"][route.event]["Properties"]
        authorizer = props.get("Auth", {}).get("Authorizer") or default_auth
        authorized = authorizer is not None and authorizer != "NONE"
        out.append(ApiRoute(route.method, route.path, route.function, route.event, authorized, authorizer if authorized else None))
    return out


class RouteTable:
    """Matches a request path like API Gateway: literal segments win over {params}."""

    def __init__(self, routes: list[ApiRoute]):
        self.routes = routes
        self._paths: dict[str, dict[str, ApiRoute]] = {}
        for route in routes:
            self._paths.setdefault(route.path, {})[route.method] = route

    @staticmethod
    def _match(template_segments: list[str], segments: list[str]) -> dict[str, str] | None:
        params: dict[str, str] = {}
        for i, tseg in enumerate(template_segments):
            if tseg.startswith("{") and tseg.endswith("+}"):
                if i >= len(segments):
                    return None
                params[tseg[1:-2]] = unquote("/".join(segments[i:]))
                return params
            if i >= len(segments):
                return None
            if tseg.startswith("{") and tseg.endswith("}"):
                if segments[i] == "":
                    return None
                params[tseg[1:-1]] = unquote(segments[i])
            elif tseg != unquote(segments[i]):
                return None
        return params if len(template_segments) == len(segments) else None

    def match_path(self, raw_path: str) -> tuple[str, dict[str, str]] | None:
        """(template path, path parameters) of the best route for the path, or None."""
        path = raw_path.rstrip("/") or "/"
        segments = path.strip("/").split("/") if path != "/" else []
        best: tuple[tuple, str, dict[str, str]] | None = None
        for tpath in self._paths:
            tsegs = tpath.strip("/").split("/") if tpath != "/" else []
            params = self._match(tsegs, segments)
            if params is None:
                continue
            # literal segments first, then single params, greedy last (per position)
            rank = tuple(2 if s.endswith("+}") else 1 if s.startswith("{") else 0 for s in tsegs)
            if best is None or rank < best[0]:
                best = (rank, tpath, params)
        return (best[1], best[2]) if best else None

    def methods(self, template_path: str) -> dict[str, ApiRoute]:
        return self._paths.get(template_path, {})


# ---------------------------------------------------------------- tokens


class InvalidToken(Exception):
    pass


def moto_jwks() -> dict:
    """The public key set moto signs Cognito tokens with (the same for every pool)."""
    from moto.utilities.utils import load_resource

    return load_resource("cognitoidp/resources/jwks-public.json")


class TokenVerifier:
    """Verifies Cognito ID tokens as API Gateway's user-pool authorizer does."""

    def __init__(self, user_pool_id: str, audiences: Callable[[], set[str]], region: str = tpl.REGION, jwks: dict | None = None):
        self.user_pool_id = user_pool_id
        self.issuer = f"https://cognito-idp.{region}.amazonaws.com/{user_pool_id}"
        self._keys = {k.key_id: k for k in jwt.PyJWKSet.from_dict(jwks or moto_jwks()).keys}
        self._audiences_source = audiences
        self._audiences: set[str] = set()
        self._refreshed = 0.0
        self._lock = threading.Lock()

    def _known_audience(self, aud: Any) -> bool:
        wanted = set(aud) if isinstance(aud, list) else {aud}
        if wanted & self._audiences:
            return True
        with self._lock:  # a client created since we last looked?
            if time.monotonic() - self._refreshed > 1.0:
                self._audiences = set(self._audiences_source())
                self._refreshed = time.monotonic()
        return bool(wanted & self._audiences)

    def verify(self, token: str) -> dict:
        try:
            header = jwt.get_unverified_header(token)
            key = self._keys.get(header.get("kid"))
            if key is None:
                raise InvalidToken("unknown signing key")
            claims = jwt.decode(
                token,
                key.key,
                algorithms=["RS256"],
                issuer=self.issuer,
                options={"require": ["exp", "iss", "aud", "token_use", "sub"], "verify_aud": False},
            )
        except jwt.PyJWTError as exc:
            raise InvalidToken(str(exc)) from exc
        if claims.get("token_use") != "id":
            raise InvalidToken("not an ID token")
        if not self._known_audience(claims.get("aud")):
            raise InvalidToken("audience is not a client of the user pool")
        return claims


def _api_gateway_date(epoch: int) -> str:
    return datetime.fromtimestamp(int(epoch), UTC).strftime("%a %b %d %H:%M:%S UTC %Y")


def claims_as_api_gateway(claims: dict) -> dict[str, str]:
    """API Gateway (REST) hands claims over as strings: lists comma-joined, exp/iat as dates."""
    out = {}
    for key, value in claims.items():
        if key in ("exp", "iat") and isinstance(value, (int, float)):
            out[key] = _api_gateway_date(value)
        elif isinstance(value, bool):
            out[key] = "true" if value else "false"
        elif isinstance(value, list):
            out[key] = ",".join(str(v) for v in value)
        elif isinstance(value, (dict,)):
            out[key] = json.dumps(value)
        else:
            out[key] = str(value)
    return out


def bearer_token(authorization: str | None) -> str | None:
    if not authorization:
        return None
    value = authorization.strip()
    if value.lower().startswith("bearer "):
        value = value[7:].strip()
    return value or None


# ---------------------------------------------------------------- events and responses


_TEXT_TYPES = (
    "text/",
    "application/json",
    "application/problem+json",
    "application/xml",
    "application/x-www-form-urlencoded",
    "application/javascript",
)


def _body_for_event(body: bytes | None, content_type: str | None) -> tuple[str | None, bool]:
    if body is None or body == b"":
        return None, False
    ctype = (content_type or "").lower()
    if not ctype or ctype.startswith(_TEXT_TYPES) or "+json" in ctype:
        try:
            return body.decode("utf-8"), False
        except UnicodeDecodeError:
            pass
    return base64.b64encode(body).decode("ascii"), True


def build_proxy_event(
    request: HttpRequest,
    route: ApiRoute,
    path: str,
    path_params: dict[str, str],
    claims: dict[str, str] | None,
    stage: str,
    request_id: str | None = None,
) -> dict:
    """A REST API (v1) Lambda proxy integration event."""
    headers: dict[str, str] = {}
    multi_headers: dict[str, list[str]] = {}
    for name, value in request.headers:
        headers[name] = value
        multi_headers.setdefault(name, []).append(value)
    query = request.query_params
    now = time.time()
    body, is_b64 = _body_for_event(request.body, request.header("content-type"))
    request_id = request_id or str(uuid.uuid4())
    request_context: dict[str, Any] = {
        "resourceId": uuid.uuid5(uuid.NAMESPACE_URL, route.path).hex[:6],
        "resourcePath": route.path,
        "httpMethod": request.method,
        "extendedRequestId": base64.b64encode(uuid.uuid4().bytes)[:16].decode(),
        "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
        "path": f"/{stage}{path}",
        "accountId": tpl.ACCOUNT,
        "protocol": "HTTP/1.1",
        "stage": stage,
        "domainPrefix": (request.host or "localhost").split(".")[0].split(":")[0],
        "requestTimeEpoch": int(now * 1000),
        "requestId": request_id,
        "identity": {
            "cognitoIdentityPoolId": None,
            "accountId": None,
            "cognitoIdentityId": None,
            "caller": None,
            "sourceIp": request.client_ip,
            "principalOrgId": None,
            "accessKey": None,
            "cognitoAuthenticationType": None,
            "cognitoAuthenticationProvider": None,
            "userArn": None,
            "userAgent": request.header("user-agent"),
            "user": None,
        },
        "domainName": request.host or "localhost",
        "apiId": API_ID,
    }
    if claims is not None:
        request_context["authorizer"] = {"claims": claims}
    return {
        "resource": route.path,
        "path": path,
        "httpMethod": request.method,
        "headers": headers or None,
        "multiValueHeaders": multi_headers or None,
        "queryStringParameters": {k: v[-1] for k, v in query.items()} or None,
        "multiValueQueryStringParameters": query or None,
        "pathParameters": path_params or None,
        "stageVariables": None,
        "requestContext": request_context,
        "body": body,
        "isBase64Encoded": is_b64,
    }


class BadProxyResponse(ValueError):
    pass


def proxy_response_to_http(result: Any) -> HttpResponse:
    """A Lambda proxy integration result -> HTTP, as API Gateway converts it."""
    if not isinstance(result, dict) or "statusCode" not in result:
        raise BadProxyResponse(f"not a proxy response: {type(result).__name__}")
    try:
        status = int(result["statusCode"])
    except (TypeError, ValueError) as exc:
        raise BadProxyResponse(f"bad statusCode {result.get('statusCode')!r}") from exc
    multi = result.get("multiValueHeaders") or {}
    headers: list[tuple[str, str]] = []
    multi_lower = {k.lower() for k in multi}
    for name, value in (result.get("headers") or {}).items():
        if name.lower() not in multi_lower:
            headers.append((name, str(value)))
    for name, values in multi.items():
        for value in values if isinstance(values, list) else [values]:
            headers.append((name, str(value)))
    body = result.get("body")
    if body is None:
        raw = b""
    elif result.get("isBase64Encoded"):
        raw = base64.b64decode(body)
    else:
        raw = body.encode("utf-8") if isinstance(body, str) else str(body).encode("utf-8")
    response = HttpResponse(status, headers, raw)
    response.set_default("Content-Type", "application/json")
    return response


def preflight(request: HttpRequest, methods: list[str]) -> HttpResponse:
    allowed_headers = (
        request.header("access-control-request-headers")
        or "Authorization,Content-Type,Idempotency-Key,X-Amz-Date,X-Api-Key,X-Amz-Security-Token"
    )
    return HttpResponse(
        204,
        [
            ("Access-Control-Allow-Origin", request.header("origin") or "*"),
            ("Access-Control-Allow-Methods", ",".join(sorted({*methods, "OPTIONS"}))),
            ("Access-Control-Allow-Headers", allowed_headers),
            ("Access-Control-Max-Age", "600"),
            ("Vary", "Origin"),
        ],
        b"",
    )


# ---------------------------------------------------------------- the gateway


LocalRouter = Callable[[HttpRequest], "HttpResponse | None"]


class ApiGateway:
    def __init__(
        self,
        routes: list[ApiRoute],
        functions: FunctionRegistry,
        verifier: TokenVerifier | None,
        stage: str = "v1",
        local_router: LocalRouter | None = None,
        verifiers: dict[str, TokenVerifier] | None = None,
        responses: GatewayResponses | None = None,
    ):
        self.table = RouteTable(routes)
        self.functions = functions
        self.verifier = verifier  # the default authorizer's
        self.verifiers = dict(verifiers or {})  # authorizer name -> its pool's verifier
        self.stage = stage
        self.local_router = local_router
        self.responses = responses or GatewayResponses()

    def handle(self, request: HttpRequest) -> HttpResponse:
        if self.local_router is not None and not request.body_too_large:
            response = self.local_router(request)
            if response is not None:
                return response
        request_id = str(uuid.uuid4())
        try:
            response = self._api(request, request_id)
        except Exception:
            log.exception("gateway failed on %s %s", request.method, request.path)
            response = self.responses.answer("DEFAULT_5XX", request, request_id)
        response.headers.append(("x-amzn-RequestId", request_id))
        return response

    def _api(self, request: HttpRequest, request_id: str) -> HttpResponse:
        if request.body_too_large:
            return self.responses.answer("REQUEST_TOO_LARGE", request, request_id)
        path = request.path
        if path == f"/{self.stage}" or path.startswith(f"/{self.stage}/"):
            path = path[len(self.stage) + 1 :] or "/"  # the stage prefix of the deployed URL is optional
        matched = self.table.match_path(path) if path.startswith("/") else None  # CONNECT's target is host:port
        if matched is None:
            return self.responses.answer("MISSING_AUTHENTICATION_TOKEN", request, request_id)
        template_path, path_params = matched
        methods = self.table.methods(template_path)
        if request.method == "OPTIONS" and "OPTIONS" not in methods:
            return preflight(request, list(methods))
        route = methods.get(request.method) or methods.get("ANY")
        if route is None:
            return self.responses.answer("MISSING_AUTHENTICATION_TOKEN", request, request_id)
        claims = None
        if route.authorized:
            token = bearer_token(request.header("authorization"))
            verifier = self.verifiers.get(route.authorizer or "") if self.verifiers else self.verifier
            if token is None or verifier is None:
                return self.responses.answer("UNAUTHORIZED", request, request_id)
            try:
                claims = claims_as_api_gateway(verifier.verify(token))
            except InvalidToken as exc:
                log.info("401 %s %s: %s", request.method, request.path, exc)
                return self.responses.answer("UNAUTHORIZED", request, request_id)
        event = build_proxy_event(request, route, unquote(path.rstrip("/") or "/"), path_params, claims, self.stage, request_id)
        try:
            return proxy_response_to_http(self.functions[route.function].invoke(event))
        except FunctionThrottled as exc:  # Lambda refused the invocation: API Gateway answers 500
            log.error("%s %s -> %s throttled: %s", route.method, route.path, route.function, exc)
            return self.responses.answer("DEFAULT_5XX", request, request_id, status=500)
        except Exception as exc:  # noqa: BLE001 - whatever failed, API Gateway answers 502
            log.error("%s %s -> %s failed: %s", route.method, route.path, route.function, exc)
            return self.responses.answer("DEFAULT_5XX", request, request_id)
