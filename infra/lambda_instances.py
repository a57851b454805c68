"""Execution environments of the local functions: each instance is a process of its own, and an
instance runs one invocation at a time, as on Lambda.

A function's module keeps per-request state in its globals, and Powertools' resolver keeps the
current event on its class (`BaseRouter.current_event`), shared by every resolver of a process:
two invocations in one process, of the same function or of two, read each other's event. Lambda
never runs two invocations in one environment; neither does this. An `InstancePool` hands each
invocation an idle instance (the most recently used: the warm one), starts another when all are
busy (up to `max_instances`, then the invocation waits for one), and drops an instance that timed
out or died. Instances are forked by a zygote (`python -m infra.lambda_runtime`, one per process,
started on first use) with the common libraries loaded, so a new one pays only its function's own
init (importing its module), not the interpreter's.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, ClassVar

from infra.lambda_runtime import RuntimeSpec

INIT_TIMEOUT_S = 10  # Lambda's init phase; a slower init is retried within the invocation's own time


def _utc_now() -> datetime:
    return datetime.now(UTC)


class FunctionUnavailable(RuntimeError):
    """The function's code is missing or its init failed (Lambda: Runtime.ImportModuleError...)."""


class FunctionThrottled(RuntimeError):
    """Lambda refused the invocation: the function may not run any instance
    (ReservedConcurrentExecutions: 0), TooManyRequestsException."""


class FunctionError(RuntimeError):
    """The handler raised (or its result could not be serialised): Lambda's function error."""

    def __init__(self, error: dict[str, Any]):
        self.payload = {
            "errorMessage": str(error.get("errorMessage", "")),
            "errorType": str(error.get("errorType", "Error")),
            "stackTrace": list(error.get("stackTrace") or []),
        }  # as Lambda reports it (an asynchronous invocation's record, Invoke's response)
        super().__init__(f"{self.payload['errorType']}: {self.payload['errorMessage']}")


class FunctionTimeout(FunctionError):
    """The invocation ran past the function's timeout; its instance was stopped."""

    def __init__(self, timeout_s: float):
        super().__init__({"errorType": "Sandbox.Timedout", "errorMessage": f"Task timed out after {timeout_s:.2f} seconds"})


class InstanceDied(FunctionError):
    """The instance's process ended during the invocation (a crash, or the stack stopping)."""

    def __init__(self) -> None:
        super().__init__({"errorType": "Runtime.ExitError", "errorMessage": "the instance's process ended"})


class Zygote:
    """The process that forks the instances: `python -m infra.lambda_runtime <control fd>`."""

    _current: ClassVar[Zygote | None] = None
    _starting: ClassVar[threading.Lock] = threading.Lock()

    @classmethod
    def running(cls) -> Zygote:
        """This process's zygote, started on first use (again if it ended)."""
        with cls._starting:
            if cls._current is None or cls._current.process.poll() is not None:
                cls._current = cls()
            return cls._current

    def __init__(self) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "infra.lambda_runtime", str(theirs.fileno())],
            pass_fds=[theirs.fileno()],
            cwd=Path(__file__).resolve().parent.parent,  # where `infra` is importable
            stdin=subprocess.DEVNULL,
        )
        theirs.close()
        self._control = ours
        self._lock = threading.Lock()

    def fork(self, spec: RuntimeSpec) -> tuple[int, Connection]:
        """A new instance's pid, and the parent's end of its connection."""
        ours, theirs = socket.socketpair()
        try:
            with self._lock:
                socket.send_fds(self._control, [json.dumps(dataclasses.asdict(spec)).encode()], [theirs.fileno()])
                reply = self._control.recv(4096)
        except OSError as exc:
            ours.close()
            raise FunctionUnavailable(f"the zygote is gone: {exc}") from exc
        finally:
            theirs.close()
        if not reply:
            ours.close()
            raise FunctionUnavailable("the zygote is gone")
        return json.loads(reply)["pid"], Connection(ours.detach())


class Instance:
    """One execution environment: a process running `lambda_runtime.serve` for one function."""

    def __init__(self, label: str, spec: RuntimeSpec, init_timeout_s: float):
        self.log_stream_name = f"{datetime.now(UTC):%Y/%m/%d}/[$LATEST]{uuid.uuid4().hex}"
        pid, self._conn = Zygote.running().fork(spec)
        try:
            self._pidfd: int | None = os.pidfd_open(pid)  # signals reach this process even if its pid is reused later
        except ProcessLookupError:
            self._pidfd = None  # already gone (an init that failed at once): its answer is on the socket
        try:
            ready = self._receive(init_timeout_s)
        except FunctionError as exc:
            self.kill()
            raise FunctionUnavailable(f"{label}: init failed: {exc}") from exc
        if "init_error" in ready:
            self.kill()
            raise FunctionUnavailable(f"{label}: {FunctionError(ready['init_error'])}")

    def invoke(self, event: Any, context: dict[str, Any], timeout_s: float, clock: Callable[[], datetime] | None = None) -> Any:
        """The handler's result; FunctionError when it raised, FunctionTimeout, InstanceDied.
        `clock` answers the instance's questions for the time (the stack's clock)."""
        request = json.dumps({"event": event, "context": {**context, "log_stream_name": self.log_stream_name}}).encode()
        deadline = time.monotonic() + timeout_s
        try:
            self._conn.send_bytes(request)
            answer = self._receive(timeout_s)
            while "now?" in answer:
                self._conn.send_bytes(json.dumps({"now": (clock or _utc_now)().isoformat()}).encode())
                answer = self._receive(deadline - time.monotonic(), timeout_s)
        except OSError:
            raise InstanceDied() from None
        if "error" in answer:
            raise FunctionError(answer["error"])
        return answer["result"]

    def _receive(self, wait_s: float, timeout_s: float | None = None) -> dict[str, Any]:
        """The next message, within `wait_s` (FunctionTimeout, reporting `timeout_s`, if not)."""
        try:
            if not self._conn.poll(max(0.0, wait_s)):
                raise FunctionTimeout(timeout_s or wait_s)
            return json.loads(self._conn.recv_bytes())
        except (EOFError, OSError):
            raise InstanceDied() from None

    def _exited(self, timeout_s: float) -> bool:
        return self._pidfd is None or bool(select.select([self._pidfd], [], [], timeout_s)[0])

    def stop(self) -> None:
        """Let it end (closing its socket ends its loop); kill it if it does not within a second."""
        self._conn.close()
        if not self._exited(1):
            self.signal_kill()
            self._exited(5)
        self._close_pidfd()

    def kill(self) -> None:
        """End it now, whatever it is doing."""
        self.signal_kill()
        self._exited(5)
        self._conn.close()
        self._close_pidfd()

    def signal_kill(self) -> None:
        """SIGKILL without waiting (its invoking thread sees InstanceDied and cleans up)."""
        if self._pidfd is not None:
            with contextlib.suppress(OSError):
                signal.pidfd_send_signal(self._pidfd, signal.SIGKILL)

    def _close_pidfd(self) -> None:
        if self._pidfd is not None:
            with contextlib.suppress(OSError):
                os.close(self._pidfd)
            self._pidfd = None


class InstancePool:
    """The instances of one function: at most one invocation per instance at a time."""

    def __init__(self, start: Callable[[], Instance], max_instances: int):
        self._start = start
        self.max_instances = max_instances
        self._idle: list[Instance] = []
        self._all: set[Instance] = set()
        self._starting = 0
        self._closed = False
        self._changed = threading.Condition()

    @property
    def counts(self) -> dict[str, int]:
        with self._changed:
            return {"instances": len(self._all), "busy": len(self._all) - len(self._idle)}

    def run(self, call: Callable[[Instance], Any]) -> Any:
        """`call(instance)` on an instance no other invocation uses meanwhile."""
        instance = self._acquire()
        try:
            result = call(instance)
        except (FunctionTimeout, InstanceDied):
            self._discard(instance)
            raise
        except FunctionError:
            self._release(instance)  # the handler raised: the environment itself is fine
            raise
        except BaseException:
            self._discard(instance)
            raise
        self._release(instance)
        return result

    def _acquire(self) -> Instance:
        if self.max_instances == 0:
            raise FunctionThrottled("Rate Exceeded.")
        with self._changed:
            while True:
                if self._closed:
                    raise FunctionUnavailable("the local stack is stopping")
                if self._idle:
                    return self._idle.pop()  # the most recently used: the warmest
                if len(self._all) + self._starting < self.max_instances:
                    self._starting += 1
                    break
                self._changed.wait()
        try:
            instance = self._start()
        finally:
            with self._changed:
                self._starting -= 1
                self._changed.notify()
        with self._changed:
            if not self._closed:
                self._all.add(instance)
                return instance
        instance.stop()
        raise FunctionUnavailable("the local stack is stopping")

    def _release(self, instance: Instance) -> None:
        with self._changed:
            if not self._closed:
                self._idle.append(instance)
                self._changed.notify()
                return
        instance.stop()

    def _discard(self, instance: Instance) -> None:
        instance.kill()
        with self._changed:
            self._all.discard(instance)
            self._changed.notify()

    def close(self) -> None:
        """Stop every instance: an idle one ends, a busy one is killed (its invocation ends with
        InstanceDied)."""
        with self._changed:
            self._closed = True
            idle, busy = list(self._idle), [i for i in self._all if i not in self._idle]
            self._idle = []
            self._all.difference_update(idle)
            self._changed.notify_all()
        for instance in idle:
            instance.stop()
        for instance in busy:
            instance.signal_kill()
