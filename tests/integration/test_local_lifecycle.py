"""The local stack's life: ready only once its data is written, one stack per state dir, a clear
refusal when its port or its state is taken (the e2e tests drive the same through `make dev`)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest
import requests

from infra.local import LocalStack
from infra.ports import PortInUse, holder, listening_socket
from infra.state_lock import StateInUse, StateLock

TEMPLATE = """
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties: {StageName: v1}
  PingFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: functions/ping/
      Handler: app.handler
      Events:
        Ping: {Type: Api, Properties: {RestApiId: !Ref Api, Method: GET, Path: /ping, Auth: {Authorizer: NONE}}}
"""
PING = """
def handler(event, context):
    return {"statusCode": 200, "body": "pong"}
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("lifecycle-project")
    (root / "template.yaml").write_text(TEMPLATE)
    (root / "functions" / "ping").mkdir(parents=True)
    (root / "functions" / "ping" / "app.py").write_text(textwrap.dedent(PING))
    return root


def stack_of(project: Path, state: Path, **kwargs) -> LocalStack:
    return LocalStack(state_dir=state, template_path=project / "template.yaml", **kwargs)


def health(stack: LocalStack) -> tuple[int, dict]:
    reply = requests.get(f"{stack.base_url}/_local/health", timeout=10)
    return reply.status_code, reply.json()


def test_health_says_ready_only_once_the_demo_data_is_written(project, tmp_path):
    seeding, release = threading.Event(), threading.Event()

    def seed(stack: LocalStack) -> None:
        seeding.set()
        release.wait(60)

    stack = stack_of(project, tmp_path / "state", seed=seed)
    starting = threading.Thread(target=stack.start)
    starting.start()
    try:
        assert seeding.wait(60)
        status, body = health(stack)
        assert (status, body["status"], body["waiting_for"]) == (503, "starting", {"demo data": "being written"})
        assert requests.get(f"{stack.base_url}/ping", timeout=10).text == "pong"  # the seed writes through the API meanwhile
        release.set()
        starting.join(60)
        status, body = health(stack)
        assert (status, body["status"], body["waiting_for"]) == (200, "ok", {})
    finally:
        release.set()
        starting.join(60)
        stack.stop()


def test_health_says_so_when_the_demo_data_could_not_be_written(project, tmp_path):
    def seed(stack: LocalStack) -> None:
        raise RuntimeError("the demo contact was refused")

    with stack_of(project, tmp_path / "state", seed=seed) as stack:
        status, body = health(stack)
        assert (status, body["status"]) == (503, "failed")
        assert body["waiting_for"] == {"demo data": "failed: the demo contact was refused"}


def test_a_taken_port_stops_the_start_at_once_and_leaves_the_state_dir_free(project, tmp_path):
    taken = listening_socket("127.0.0.1", 0, "CRM_PORT")
    port = taken.getsockname()[1]
    try:
        with pytest.raises(PortInUse) as refused:
            stack_of(project, tmp_path / "state", port=port).start()
        assert f"port {port} on 127.0.0.1 is in use by pid {os.getpid()}" in str(refused.value)
        assert "CRM_PORT=<port>" in str(refused.value)
    finally:
        taken.close()
    with stack_of(project, tmp_path / "state") as stack:  # nothing of the failed start holds the state dir
        assert health(stack)[0] == 200


def test_the_holder_of_a_port_is_named():
    sock = listening_socket("127.0.0.1", 0, "CRM_PORT")
    try:
        found = holder(sock.getsockname()[1])
        assert found is not None and found.pid == os.getpid() and "python" in found.command
    finally:
        sock.close()
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        assert holder(free.getsockname()[1]) is None  # bound, not listening


def test_one_stack_per_state_dir_and_the_message_names_the_holder(tmp_path):
    first = StateLock(tmp_path)
    first.acquire()
    first.describe(url="http://127.0.0.1:3000")
    with pytest.raises(StateInUse) as refused:
        StateLock(tmp_path).acquire()
    message = str(refused.value)
    assert f"in use by pid {os.getpid()}" in message and "serving http://127.0.0.1:3000" in message
    assert f"kill {os.getpid()}" in message and "CRM_STATE_DIR" in message
    first.release()
    assert StateLock(tmp_path).acquire() == {}  # released cleanly: nothing stale


def test_a_lock_left_by_a_crash_is_taken_over(tmp_path):
    crash = "from pathlib import Path; from infra.state_lock import StateLock; import os, sys; lock = StateLock(Path(sys.argv[1])); "
    crash += "lock.acquire(); lock.describe(url='http://127.0.0.1:3999'); os.kill(os.getpid(), 9)"
    crashed = subprocess.Popen([sys.executable, "-c", crash, str(tmp_path)], cwd=Path(__file__).resolve().parents[2])  # noqa: S603 - our own code
    assert crashed.wait(60) == -9
    stale = StateLock(tmp_path).acquire()  # no StateInUse: the crashed process holds nothing
    assert (stale["pid"], stale["url"]) == (crashed.pid, "http://127.0.0.1:3999")
