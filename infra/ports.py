"""Listening sockets for the local stack, and who holds a port when it is taken.

A taken port is reported with the process that listens on it (read from /proc on Linux: the
listening socket's inode, then the process holding it) and what to do about it, instead of a
server's own message from a thread nobody waits for.
"""

from __future__ import annotations

import errno
import socket
from dataclasses import dataclass
from pathlib import Path

BACKLOG = 128  # a burst of connections waits in the queue instead of being refused or reset


@dataclass(frozen=True)
class Holder:
    pid: int
    command: str


class PortInUse(RuntimeError):
    """The port is taken; the message says by whom and how to pick another."""

    def __init__(self, host: str, port: int, variable: str, holder: Holder | None):
        self.port, self.holder = port, holder
        who = f"pid {holder.pid} ({holder.command})" if holder else f"another process (`ss -ltnp 'sport = :{port}'` shows which)"
        stop = f"stop it (kill {holder.pid}) or" if holder else "stop it or"
        super().__init__(f"port {port} on {host} is in use by {who}: {stop} choose another port with {variable}=<port>")


def listening_socket(host: str, port: int, variable: str) -> socket.socket:
    """A TCP socket bound to (host, port) and listening; PortInUse when the port is taken.
    `variable` is the setting that picks another port (named in the message)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(BACKLOG)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise PortInUse(host, port, variable, holder(port)) from None
        raise
    return sock


def holder(port: int) -> Holder | None:
    """The process listening on TCP `port` (None when /proc does not tell: another OS, or a
    process this user may not inspect)."""
    inodes = _listening_inodes(port)
    if not inodes:
        return None
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            for fd in (proc / "fd").iterdir():
                target = fd.readlink().name
                if target.startswith("socket:[") and target[8:-1] in inodes:
                    return Holder(int(proc.name), _command(proc))
        except OSError:
            continue  # gone meanwhile, or not ours to look at
    return None


def _listening_inodes(port: int) -> set[str]:
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state == "0A" and int(local.rsplit(":", 1)[1], 16) == port:  # 0A: LISTEN
                inodes.add(inode)
    return inodes


def _command(proc: Path) -> str:
    try:
        return (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip() or proc.name
    except OSError:
        return "?"


def command_of(pid: int) -> str | None:
    """A running process's command line, or None when no such process runs."""
    proc = Path("/proc") / str(pid)
    return _command(proc) if proc.exists() else None
