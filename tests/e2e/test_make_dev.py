"""`make dev` (python -m infra.local) as a developer runs it: its URLs, one stack per state dir and
port (a second one exits at once saying who holds them), a stale lock taken over, and Ctrl-C or
SIGTERM stopping every process the stack started."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from infra import template

pytestmark = pytest.mark.e2e


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def dev(state: Path, port: int, **settings: str) -> subprocess.Popen:
    env = {**os.environ, "CRM_PORT": str(port), "CRM_STATE_DIR": str(state), "CRM_LOG_LEVEL": "WARNING", "CRM_DEMO": "0", **settings}
    env.pop("AWS_ENDPOINT_URL", None)
    return subprocess.Popen(
        [sys.executable, "-m", "infra.local"], cwd=template.ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def wait_until(condition, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.2)


def wait_healthy(proc: subprocess.Popen, port: int) -> None:
    def healthy() -> bool:
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        try:
            return requests.get(f"http://127.0.0.1:{port}/_local/health", timeout=5).status_code == 200
        except requests.ConnectionError:
            return False

    wait_until(healthy, timeout=90)


def descendants(pid: int) -> set[int]:
    """Every process started under `pid` (its children, theirs...), from /proc."""
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parents[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def running(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def refusal(state: Path, port: int, **settings: str) -> tuple[int, str]:
    """A `make dev` that must not start: its exit code and what it said (it must end by itself)."""
    proc = dev(state, port, **settings)
    try:
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    return proc.returncode, err


def test_make_dev_prints_its_urls_takes_over_a_stale_lock_and_ctrl_c_stops_everything(tmp_path):
    state, port = tmp_path / "state", free_port()
    state.mkdir()
    crashed = subprocess.Popen([sys.executable, "-c", "pass"])
    crashed.wait()
    (state / "lock").write_text(json.dumps({"pid": crashed.pid, "url": "http://127.0.0.1:1"}))  # left behind by a crash
    proc = dev(state, port)
    try:
        wait_healthy(proc, port)
        assert requests.get(f"http://127.0.0.1:{port}/booking/sites/nowhere", timeout=30).status_code == 404  # a function ran
        started = descendants(proc.pid)
        assert len(started) >= 2  # the function's instance and the zygote that forked it
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    assert f"pid {crashed.pid} left {state} without stopping" in err
    for url in ("/docs", "/openapi.json", "/_local/outbox", "/booking/", "/_local/token"):
        assert f"http://127.0.0.1:{port}{url}" in out
    assert "counts" in json.loads((state / "snapshot" / "manifest.json").read_text())  # the final snapshot was written
    wait_until(lambda: not any(running(pid) for pid in started), timeout=30)


def test_a_second_make_dev_exits_at_once_naming_what_holds_its_state_or_port_and_sigterm_stops_the_first(tmp_path):
    state, port = tmp_path / "state", free_port()
    first = dev(state, port)
    try:
        wait_healthy(first, port)
        code, said = refusal(state, free_port())
        assert code == 1 and f"in use by pid {first.pid}" in said and f"serving http://127.0.0.1:{port}" in said
        assert f"kill {first.pid}" in said and "CRM_STATE_DIR" in said and "Traceback" not in said

        code, said = refusal(tmp_path / "elsewhere", port)
        assert code == 1 and f"port {port} on 127.0.0.1 is in use by pid {first.pid}" in said and "CRM_PORT=<port>" in said

        moto_port = json.loads((state / "runtime.json").read_text())["moto_port"]
        code, said = refusal(tmp_path / "third", free_port(), CRM_MOTO_PORT=str(moto_port))
        assert code == 1 and f"port {moto_port} on 127.0.0.1 is in use by pid {first.pid}" in said and "CRM_MOTO_PORT=<port>" in said

        assert requests.get(f"http://127.0.0.1:{port}/_local/health", timeout=10).status_code == 200  # the first one is untouched
        started = descendants(first.pid)
        first.send_signal(signal.SIGTERM)
        _, err = first.communicate(timeout=60)
    finally:
        if first.poll() is None:
            first.kill()
    assert first.returncode == 0 and "Traceback" not in err, err
    wait_until(lambda: not any(running(pid) for pid in started), timeout=30)
