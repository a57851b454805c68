"""moto's server, in-process, as the local stack runs it.

* `MotoServer`: moto's werkzeug app on a loopback port bound up front (PortInUse, naming the holder,
  when taken), counting requests that may change state (so the snapshotter knows when to write),
  with DynamoDB requests applied one at a time (atomic, as on DynamoDB) and S3 checking presigned
  POST policies (infra/s3_post_policy.py) and TransactWriteItems honouring ClientRequestToken
  (infra/dynamodb_tokens.py), which moto alone does not, and costing what its items cost, not
  its table's size (infra/dynamodb_rollback.py).
* `start_moto`: on the state dir's last port if it is free (or CRM_MOTO_PORT, which must be).
"""

from __future__ import annotations

import io
import logging
import threading
from urllib.parse import parse_qs

from infra.dynamodb_rollback import roll_back_item_by_item
from infra.dynamodb_tokens import honour_client_request_tokens
from infra.moto_stack import FAKE_CREDENTIALS
from infra.ports import PortInUse, listening_socket
from infra.s3_post_policy import enforce_presigned_post_policies

log = logging.getLogger(__name__)

# Who may sign S3 upload policies: the credentials the functions use here.
POLICY_SIGNERS = {FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"]: FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"]}
_READ_PREFIXES = ("Get", "List", "Describe", "Query", "Scan", "BatchGet", "AdminGet", "AdminList", "Check", "Filter")


class _MutationCounter:
    """WSGI middleware: counts requests that may write. Reads are GET/HEAD, JSON-protocol targets
    and query-protocol Actions named Get*/List*/Describe*/..., and REST calls like POST
    /v2/email/list-identities."""

    def __init__(self, app):
        self.app = app
        self.count = 0

    @staticmethod
    def _operation(environ) -> str:
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if target:
            return target.rsplit(".", 1)[-1]
        if environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
            length = int(environ.get("CONTENT_LENGTH") or 0)
            if 0 < length < 1_000_000:  # query protocol (SES v1): the Action is in the body
                body = environ["wsgi.input"].read(length)
                environ["wsgi.input"] = io.BytesIO(body)
                action = parse_qs(body.decode("utf-8", "replace")).get("Action", [""])[0]
                if action:
                    return action
        last = environ.get("PATH_INFO", "").rstrip("/").rsplit("/", 1)[-1]
        return "".join(part.capitalize() for part in last.split("-"))

    def __call__(self, environ, start_response):
        if environ.get("REQUEST_METHOD", "GET") not in ("GET", "HEAD", "OPTIONS") and not self._operation(environ).startswith(
            _READ_PREFIXES
        ):
            self.count += 1
        return self.app(environ, start_response)


class _AtomicDynamoDB:
    """WSGI middleware: one DynamoDB request at a time. DynamoDB applies each request atomically;
    moto does not (a transaction deep-copies the table and writes item by item, with no lock), so
    functions running in parallel would see states DynamoDB never shows, or make moto fail
    ("dictionary changed size during iteration"). Requests still race request by request, as on
    DynamoDB."""

    def __init__(self, app):
        self.app = app
        self._lock = threading.Lock()

    def __call__(self, environ, start_response):
        if not environ.get("HTTP_X_AMZ_TARGET", "").startswith("DynamoDB_"):
            return self.app(environ, start_response)
        with self._lock:
            return list(self.app(environ, start_response))


class MotoServer:
    """moto's server (werkzeug, threaded) on 127.0.0.1; `mutations` grows on every possibly-writing
    request. The port is bound here, in the caller's thread: a taken port raises PortInUse at
    once (werkzeug would print its own message and exit its thread, leaving a start that waits
    for ever)."""

    def __init__(self, port: int = 0, variable: str = "CRM_MOTO_PORT"):
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
        from werkzeug.serving import make_server

        sock = listening_socket("127.0.0.1", port, variable)
        enforce_presigned_post_policies(POLICY_SIGNERS)  # moto itself stores any upload
        honour_client_request_tokens()  # moto would run a retried transaction twice
        roll_back_item_by_item()  # moto copies whole tables for each transaction's item
        self._counter = _MutationCounter(_AtomicDynamoDB(DomainDispatcherApplication(create_backend_app)))
        try:
            self._server = make_server(
                "127.0.0.1", sock.getsockname()[1], self._counter, True, request_handler=MotoRequestHandler, fd=sock.fileno()
            )
        finally:
            sock.close()  # werkzeug serves a duplicate of it
        self._thread = threading.Thread(target=self._server.serve_forever, name="crm-local-moto", daemon=True)

    def start(self) -> None:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto logs every request at INFO
        self._thread.start()

    def stop(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join(timeout=5)
        self._server.server_close()

    def get_host_and_port(self) -> tuple[str, int]:
        host, port = self._server.server_address[:2]
        return str(host), int(port)

    @property
    def url(self) -> str:
        host, port = self.get_host_and_port()
        return f"http://{host}:{port}"

    @property
    def mutations(self) -> int:
        return self._counter.count

    def reset(self) -> None:
        """Forget everything moto holds (in this process)."""
        from moto.moto_api._internal.models import moto_api_backend

        moto_api_backend.reset()


def start_moto(preferred_port: int | None = None, pinned: bool = False) -> MotoServer:
    """Start moto on `preferred_port` (the last one of this state dir, or CRM_MOTO_PORT). When it
    is taken: PortInUse if `pinned` (the user asked for it), else any free port."""
    server = None
    if preferred_port:
        try:
            server = MotoServer(preferred_port)
        except PortInUse:
            if pinned:
                raise
            log.info("moto port %s is taken; using a free one", preferred_port)
    server = server or MotoServer(0)
    server.start()
    return server
