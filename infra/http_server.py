"""The local stack's HTTP server: chalice.local's threaded HTTP server on a socket bound up front.

`GatewayServer` binds its port when created (PortInUse, naming the process that holds it, if the
port is taken), with a listen backlog that holds a burst of connections, and serves an app (a
function of an HttpRequest) from `start`. Every request goes to the app whatever its method
(API Gateway answers TRACE, CONNECT or an unknown method itself; http.server would answer an HTML
501), and the server's own errors (a malformed request line) are JSON. A body over API Gateway's
10 MB is not read: the app gets the request marked `body_too_large`.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from typing import Any

from chalice.local import ThreadedHTTPServer

from infra.http import HttpRequest, HttpResponse
from infra.ports import listening_socket

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 10 * 1024 * 1024  # API Gateway's payload limit

App = Callable[[HttpRequest], HttpResponse]
_LAST_RESORT = HttpResponse(502, [("Content-Type", "application/json")], b'{"message": "Internal server error"}')


class _RequestHandler(BaseHTTPRequestHandler):
    """Hands every request, whatever its method, to the server's app: API Gateway answers TRACE,
    CONNECT or an unknown method itself (http.server would answer an HTML 501)."""

    protocol_version = "HTTP/1.1"  # keep-alive, as chalice.local's handler
    server: _HttpServer

    def __getattr__(self, name: str) -> Any:
        if name.startswith("do_"):
            return self._generic_handle
        raise AttributeError(name)

    def _generic_handle(self) -> None:
        try:
            length = int(self.headers.get("content-length") or 0)
        except ValueError:
            self.send_error(400, "invalid Content-Length")
            return
        too_large = length > MAX_BODY_BYTES
        body = self.rfile.read(length) if 0 < length <= MAX_BODY_BYTES else None
        if too_large:
            self.close_connection = True  # its body is left unread
        raw_path, _, query = self.path.partition("?")
        request = HttpRequest(
            method=self.command,
            path=raw_path,
            query=query,
            headers=list(self.headers.items()),
            body=body,
            client_ip=self.client_address[0],
            host=self.headers.get("host", ""),
            body_too_large=too_large,
        )
        try:
            response = self.server.app(request)
        except Exception:
            log.exception("the local stack failed on %s %s", self.command, self.path)
            response = _LAST_RESORT
        self._write(response, head=self.command == "HEAD")

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """The HTTP server's own errors (a malformed request line, headers too long) in JSON,
        not http.server's HTML page."""
        self.close_connection = True
        self._write(
            HttpResponse(
                code,
                [("Content-Type", "application/json")],
                json.dumps({"message": message or self.responses[code][0]}).encode(),
            ),
            head=self.command == "HEAD",
        )

    def _write(self, response: HttpResponse, head: bool = False) -> None:
        self.send_response(response.status)
        for name, value in response.headers:
            if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if not head and response.body:
            self.wfile.write(response.body)

    def log_message(self, format: str, *args: Any) -> None:
        log.info("%s - %s", self.address_string(), format % args)


class _HttpServer(ThreadedHTTPServer):
    """chalice.local's threaded HTTP server on a socket bound beforehand (with a listen backlog
    that holds a burst of connections), serving `app`."""

    daemon_threads = True

    def __init__(self, sock: socket.socket):
        super().__init__(sock.getsockname(), _RequestHandler, bind_and_activate=False)
        self.socket.close()  # the one TCPServer made; ours is bound and listening already
        self.socket = sock
        self.server_name, self.server_port = sock.getsockname()[:2]
        self.app: App = lambda request: _LAST_RESORT


class GatewayServer:
    """The HTTP side. Binds its port at once (PortInUse, naming who holds it, if taken), so a
    stack that cannot serve fails before starting anything else; serves `app` from `start`."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        self._server = _HttpServer(listening_socket(host, port, "CRM_PORT"))
        self.host = host
        self.port = self._server.server_port
        self._thread = threading.Thread(target=self._server.serve_forever, name="crm-local-gateway", daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, app: App) -> None:
        self._server.app = app
        self._thread.start()

    def stop(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join(timeout=5)
        self._server.server_close()
