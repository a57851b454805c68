"""Inside a local Lambda execution environment: one process per function instance.

`python -m infra.lambda_runtime <fd>` is the zygote `infra.lambda_instances` starts once per
process: it imports what every function imports (boto3, Powertools, pydantic) and then forks one
instance per request arriving on the control socket `fd` (a JSON RuntimeSpec, with the instance's
end of its own socket pair attached), answering the instance's pid. An instance starts with those
libraries loaded, as a warm Lambda image would, and pays only its function's own init. The zygote
ends when the control socket closes (its parent is gone); the kernel reaps the instances. Like
Lambda's runtime, an instance (`serve`):

* runs the init phase once: the function's environment only (nothing of the stack's process),
  TZ=UTC, the code directory as working directory and first on sys.path, the handler's module
  imported under its own name (`app`);
* then invokes the handler for each event, one at a time, with a context whose remaining time
  counts down to the function's timeout;
* passes events and results as JSON, so a result Lambda could not serialise fails here too;
* reads the time from the stack (the layer's clock, `RuntimeSpec.clock`, asks it during each
  invocation), so a test that moves the stack's clock moves the functions' too;
* reports a handler's exception as Lambda does ({"errorType", "errorMessage", "stackTrace"}) and
  prints it to stderr, as the runtime prints it to the function's log.

Messages on the instance's socket (JSON, framed by multiprocessing.connection): the instance
sends {"ready": true} or {"init_error": <error>}, then answers each {"event", "context"} with
{"result": <value>} or {"error": <error>}; meanwhile it may ask {"now?": true}, answered {"now": ISO}.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import signal
import socket
import sys
import threading
import time
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from multiprocessing.connection import Connection
from typing import Any

from infra.layer_imports import hide

# What every function imports: loaded once in the zygote, shared by every instance forked from it. The layer itself (crm) is not preloaded: its modules read POWERTOOLS_SERVICE_NAME at import
# (Logger(child=True)), which only the instance's own environment has.
with contextlib.suppress(ImportError):
    import boto3  # noqa: F401
    import botocore.session  # noqa: F401
    import pydantic  # noqa: F401
    from aws_lambda_powertools import Logger, Metrics  # noqa: F401
    from aws_lambda_powertools.event_handler import APIGatewayRestResolver  # noqa: F401


@dataclass(frozen=True)
class RuntimeSpec:
    """What an instance needs to run its function (sent to the zygote as JSON)."""

    code_dir: str
    handler: str  # module.function, e.g. app.handler
    environment: dict[str, str]
    clock: str | None = None  # module:function the functions read the time from, to ask the stack
    absent: tuple[str, ...] = ()  # top-level modules of the layers the function lacks (infra.layer_imports)


class Context:
    """The Lambda context object a handler receives."""

    def __init__(self, fields: dict[str, Any]):
        self.function_name: str = fields["function_name"]
        self.function_version: str = fields["function_version"]
        self.invoked_function_arn: str = fields["invoked_function_arn"]
        self.memory_limit_in_mb: int = fields["memory_limit_in_mb"]
        self.aws_request_id: str = fields["aws_request_id"]
        self.log_group_name: str = fields["log_group_name"]
        self.log_stream_name: str = fields["log_stream_name"]
        self._deadline: float = time.monotonic() + fields["timeout_ms"] / 1000

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def error_payload(exc: BaseException) -> dict[str, Any]:
    """An exception as Lambda reports a function error."""
    return {
        "errorType": type(exc).__name__,
        "errorMessage": str(exc),
        "stackTrace": traceback.format_exception(type(exc), exc, exc.__traceback__),
    }


def _send(conn: Connection, message: dict[str, Any]) -> None:
    conn.send_bytes(json.dumps(message).encode())


def _init(spec: RuntimeSpec) -> Any:
    os.environ.clear()
    os.environ.update(spec.environment)
    time.tzset()
    os.chdir(spec.code_dir)
    sys.path.insert(0, spec.code_dir)
    hide(spec.absent)  # as on Lambda, where only the function's own layers are there
    module_name, _, function_name = spec.handler.rpartition(".")
    module = importlib.import_module(module_name)
    handler = getattr(module, function_name, None)
    if not callable(handler):
        raise AttributeError(f"module {module_name!r} has no handler {function_name!r}")
    return handler


def serve(conn: Connection, spec: RuntimeSpec) -> None:
    """The instance's whole life: init, then one invocation at a time until the socket closes."""
    try:
        handler = _init(spec)
    except BaseException as exc:  # noqa: BLE001 - Lambda reports any init failure (Runtime.ImportModuleError...)
        _report(exc)
        _send(conn, {"init_error": error_payload(exc)})
        return
    _send(conn, {"ready": True})
    while True:
        try:
            request = json.loads(conn.recv_bytes())
        except (EOFError, OSError):
            return  # the stack is gone or stopped this instance
        with _stack_time(spec.clock, conn):
            reply = _invoke(handler, request)
        conn.send_bytes(reply.encode())


@contextlib.contextmanager
def _stack_time(clock: str | None, conn: Connection) -> Iterator[None]:
    """During an invocation, `clock` (module:function) asks the stack for the time."""
    module_name, _, name = (clock or "").partition(":")
    try:
        module = importlib.import_module(module_name) if module_name else None
    except ImportError:
        module = None  # a function without the layer
    if module is None:
        yield
        return

    asking = threading.Lock()  # a handler's own threads ask one at a time: one question, one answer

    def now() -> datetime:
        with asking:
            _send(conn, {"now?": True})
            return datetime.fromisoformat(json.loads(conn.recv_bytes())["now"])

    own = getattr(module, name)
    setattr(module, name, now)
    try:
        yield
    finally:
        setattr(module, name, own)


def _invoke(handler: Any, request: dict[str, Any]) -> str:
    try:
        result = handler(request["event"], Context(request["context"]))
    except Exception as exc:  # noqa: BLE001 - a function error, reported to the caller
        _report(exc)
        return json.dumps({"error": error_payload(exc)})
    try:
        return json.dumps({"result": result})
    except (TypeError, ValueError) as exc:
        error = {"errorType": "Runtime.MarshalError", "errorMessage": f"Unable to marshal response: {exc}", "stackTrace": []}
        _report(exc)
        return json.dumps({"error": error})


def _report(exc: BaseException) -> None:
    """What Lambda's runtime prints to the function's log for an unhandled exception."""
    sys.stderr.write(f"[ERROR] {type(exc).__name__}: {exc}\n")
    traceback.print_exception(type(exc), exc, exc.__traceback__, file=sys.stderr)
    sys.stderr.flush()


def zygote(control: socket.socket) -> None:
    """Fork an instance for each request on `control` until it closes."""
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the kernel reaps ended instances
    while True:
        try:
            data, fds, _, _ = socket.recv_fds(control, 1 << 20, 1)
        except OSError:
            return
        if not data:
            return  # the stack's process is gone
        spec = RuntimeSpec(**json.loads(data))
        pid = os.fork()
        if pid == 0:
            control.close()
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # a handler's subprocess must be waitable
            try:
                serve(Connection(fds[0]), spec)
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(0)
        for fd in fds:
            os.close(fd)
        control.send(json.dumps({"pid": pid}).encode())


if __name__ == "__main__":
    # Ctrl-C reaches the whole process group: the stack stops its instances itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    sys.stderr.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    zygote(socket.socket(fileno=int(sys.argv[1])))
