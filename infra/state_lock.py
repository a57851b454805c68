"""One local stack per state dir: `<state dir>/lock`, and who holds it.

The lock is an flock on the file, which also says who holds it (pid, command, start time, the
stack's URLs), so a second stack is refused with a message naming the first. The kernel drops an
flock when its process ends, however it ends: a lock left by a crash holds nothing, and the next
stack takes it over (and is told whose it was).
"""

from __future__ import annotations

import fcntl
import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from infra.ports import command_of


class StateInUse(RuntimeError):
    """Another running stack holds the state dir; the message says which and what to do."""

    def __init__(self, directory: Path, holder: dict):
        self.holder = holder
        pid = holder.get("pid")
        who = f"pid {pid} ({holder.get('command') or '?'})" if pid else "another local stack"
        serving = f", serving {holder['url']}" if holder.get("url") else ""
        stop = f"stop it (Ctrl-C in its terminal, or kill {pid})" if pid else "stop it"
        super().__init__(
            f"the state dir {directory} is in use by {who}{serving}: {stop}, "
            "or start this one with another CRM_STATE_DIR (and another CRM_PORT)"
        )


class StateLock:
    """`<state dir>/lock`: an flock held while a stack uses the state dir, in a file that says by
    whom. The kernel drops the flock when its process ends, however it ends, so a lock left by a
    crash holds nothing: the next stack takes it over (and says so)."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.path = directory / "lock"
        self._file: Any = None
        self._record: dict[str, Any] = {}

    def acquire(self) -> dict:
        """Take the lock (StateInUse if a running stack holds it). Returns what the previous
        holder wrote if it ended without releasing it (a crash), else {}."""
        handle = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 - held open while the lock is held
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_lock(handle)
            handle.close()
            raise StateInUse(self.directory, holder) from None
        stale = _read_lock(handle)
        self._file = handle
        self._record = {"pid": os.getpid(), "command": command_of(os.getpid()), "started_at": datetime.now(UTC).isoformat()}
        self.describe()
        return stale

    def describe(self, **details: Any) -> None:
        """Add `details` (url, moto_url...) to what the lock says about its holder."""
        self._record.update(details)
        self._file.seek(0)
        self._file.truncate()
        self._file.write(json.dumps(self._record))
        self._file.flush()

    def release(self) -> None:
        if self._file is None:
            return
        self._file.seek(0)
        self._file.truncate()
        fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)
        self._file.close()
        self._file = None


def _read_lock(handle: Any) -> dict:
    handle.seek(0)
    try:
        record = json.loads(handle.read() or "{}")
    except ValueError:
        return {}
    return record if isinstance(record, dict) else {}
