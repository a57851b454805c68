"""The local stack (`infra.local.LocalStack`) for end-to-end tests over HTTP.

`stack` runs the real template's stack on a free port with a temporary state directory, once per
test module (moto's state is process-global, so a stack must not outlive its module while other
modules use mock_aws). It has `.base_url`, `.token(tenant, role, email)`, `.client(service)`
(boto3 on the stack's moto), `.outbox()`, `.fire_schedule(name)` and `.restart()`. Its time is
`POST /_local/clock {"now": ..., "running": false}` (the scheduler and the functions both follow it;
`DELETE /_local/clock` gives real time back): a test crosses a daylight-saving change that way.
"""

from __future__ import annotations

import pytest
import requests

from infra.local import LocalStack


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    with LocalStack(port=0, state_dir=tmp_path_factory.mktemp("local-state")) as s:
        yield s


@pytest.fixture
def restart(stack):
    """Call it to stop the stack (snapshot) and start it again from its state dir, same port."""

    def do() -> LocalStack:
        return stack.restart()

    return do


@pytest.fixture
def api(stack):
    """api(role, tenant=..., email=...) -> a requests.Session signed in as that user, whose
    methods take paths relative to the stack: api("admin").get("/contacts")."""

    class Api(requests.Session):
        def __init__(self, token: str):
            super().__init__()
            self.headers["Authorization"] = f"Bearer {token}"

        def request(self, method, url, *args, **kwargs):
            kwargs.setdefault("timeout", 15)
            return super().request(method, stack.base_url + url if url.startswith("/") else url, *args, **kwargs)

    def make(role: str = "admin", tenant: str = "e2e", email: str | None = None) -> Api:
        return Api(stack.token(tenant, role, email or f"{role}@{tenant}.example"))

    return make
