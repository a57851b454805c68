"""The local API Gateway as a WSGI application: requests from an in-process client (schemathesis,
werkzeug's test client) take the path every HTTP request takes, the Cognito authorizer and a real
proxy event included, without a socket."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from http import HTTPStatus
from urllib.parse import quote

from infra.gateway import ApiGateway
from infra.http import HttpRequest


def wsgi(gateway: ApiGateway) -> Callable:
    def app(environ: dict, start_response: Callable) -> Iterable[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else None
        headers = [(key[5:].replace("_", "-").title(), value) for key, value in environ.items() if key.startswith("HTTP_")]
        if environ.get("CONTENT_TYPE"):
            headers.append(("Content-Type", environ["CONTENT_TYPE"]))
        # The gateway matches the raw path (a %2F in a segment stays in its segment), as API Gateway does.
        raw = (environ.get("RAW_URI") or environ.get("REQUEST_URI") or "").partition("?")[0]
        path = raw or quote(environ.get("PATH_INFO", "/").encode("latin-1"), safe="/:@!$&'()*+,;=-._~")
        request = HttpRequest(
            method=environ["REQUEST_METHOD"],
            path=path,
            query=environ.get("QUERY_STRING", ""),
            headers=headers,
            body=body,
            client_ip=environ.get("REMOTE_ADDR") or "127.0.0.1",
            host=environ.get("HTTP_HOST", ""),
        )
        response = gateway.handle(request)
        reason = HTTPStatus(response.status).phrase if response.status in HTTPStatus._value2member_map_ else "Unknown"
        out = [(k, v) for k, v in response.headers if k.lower() != "content-length"]
        start_response(f"{response.status} {reason}", [*out, ("Content-Length", str(len(response.body)))])
        return [response.body]

    return app
