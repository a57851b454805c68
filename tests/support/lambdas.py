"""Calling the template's functions in-process with genuine API Gateway proxy events, each in the
environment and with the permissions template.yaml gives it, as Lambda would run it."""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import re
import sys
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from types import ModuleType
from urllib.parse import urlencode

from botocore.handlers import BUILTIN_HANDLERS

from infra import template
from infra.lambdas import cold_start
from infra.layer_imports import absent_modules, hidden
from tests.support import iam

ROOT = template.ROOT


class Functions:
    """What each function of the template runs with: its own environment and its own permissions.

    On Lambda each function has a process of its own. Here they share one, so while a function is
    invoked os.environ holds exactly the base variables (AWS credentials, Powertools settings) and
    what template.yaml gives that function (the other functions' variables are removed), and the
    layer forgets what it cached for another function (settings read, SSM values), as a container
    of its own would. Calls to one function may overlap (threads); a call to another waits for them.
    Every AWS call made meanwhile is checked against the function's policies (tests/support/iam.py).
    """

    def __init__(self) -> None:
        self._ready = threading.Condition()
        self._active: str | None = None
        self._last: str | None = None
        self._calls = 0
        self.environments: dict[str, dict[str, str]] = {}
        self._names: set[str] = set()
        self.base: dict[str, str] = {}
        self._saved: dict[str, str | None] = {}
        self._hiding = contextlib.ExitStack()
        self.enforcer = iam.Enforcer({}, lambda: self._active)

    def configure(self, refs: dict[str, str], base: dict[str, str]) -> dict[str, str]:
        """Resolve every function's environment and policies against `refs`; returns the union of
        the environments (for the test's own calls into the layer, outside any function)."""
        self.environments = {logical_id: template.function_environment(logical_id, refs) for logical_id in template.functions()}
        self.enforcer.policies = {logical_id: iam.statements(logical_id, refs) for logical_id in template.functions()}
        self.base, self._last = dict(base), None
        union: dict[str, str] = {}
        for environment in self.environments.values():
            union |= environment
        self._names = set(union) | set(base)  # what a function's environment is made of: all removed first
        union.pop("POWERTOOLS_SERVICE_NAME", None)
        return union

    @contextlib.contextmanager
    def running(self, logical_id: str) -> Iterator[None]:
        if not self.environments:  # outside the aws fixture (importing a module): the names alone
            self.configure(template.local_refs(), {})
        with self._ready:
            while self._active not in (None, logical_id):
                self._ready.wait()
            if self._active is None:
                self._enter(logical_id)
            self._calls += 1
        try:
            yield
        finally:
            with self._ready:
                self._calls -= 1
                if not self._calls:
                    self._leave()
                    self._ready.notify_all()

    def _enter(self, logical_id: str) -> None:
        self._saved = {name: os.environ.get(name) for name in self._names | {"AWS_LAMBDA_FUNCTION_NAME"}}
        for name in self._names:
            os.environ.pop(name, None)
        os.environ.update({**self.base, **self.environments.get(logical_id, {}), "AWS_LAMBDA_FUNCTION_NAME": logical_id})
        if self._last != logical_id:
            forget_layer_state(keep_shared=True)
        self._hiding.enter_context(hidden(_absent(logical_id)))  # as on Lambda: only its own layers' packages
        self._active = self._last = logical_id

    def _leave(self) -> None:
        self._hiding.close()
        for name, value in self._saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        self._active = None


@cache
def _absent(logical_id: str) -> frozenset[str]:
    return absent_modules(logical_id)


FUNCTIONS = Functions()
BUILTIN_HANDLERS.append(("before-parameter-build", FUNCTIONS.enforcer))


# Caches built only from what every function has (boto3 clients, the table of Globals'
# TABLE_NAME): a function switch keeps them, as rebuilding them is slow.
SHARED_CACHES = ("crm.platform.aws",)


def forget_layer_state(*, keep_shared: bool = False) -> None:
    """What a new container would not have: the layer's cached values and Powertools' cached
    parameters; with `keep_shared`, all but SHARED_CACHES."""
    cold_start(["crm"], keep=SHARED_CACHES if keep_shared else ())


@cache
def module(logical_id: str) -> ModuleType:
    """A function's handler module, loaded by path (every function's module is called `app`), in
    the function's environment: its cold start checks what it requires."""
    fn = template.functions()[logical_id]
    file_name, _ = fn.handler.rsplit(".", 1)
    path = ROOT / fn.code_uri / f"{file_name}.py"
    spec = importlib.util.spec_from_file_location(f"fn_{logical_id}", path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # pydantic resolves the module's generic models through sys.modules
    with FUNCTIONS.running(logical_id):
        spec.loader.exec_module(mod)
    return mod


class LambdaContext:
    def __init__(self, function_name: str):
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.memory_limit_in_mb = 512
        self.invoked_function_arn = f"arn:aws:lambda:{template.REGION}:{template.ACCOUNT}:function:{function_name}"
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = "local"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 10_000


def match_route(method: str, path: str) -> tuple[template.Route, dict[str, str]]:
    for route in template.routes():
        if route.method != method:
            continue
        pattern = "^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", route.path) + "$"
        m = re.match(pattern, path)
        if m:
            return route, m.groupdict()
    raise LookupError(f"no route {method} {path} in template.yaml")


def claims(tenant: str, role: str, email: str | None = None, contact_id: str | None = None, person_id: str | None = None) -> dict:
    """A staff token's claims; with contact_id (and person_id), a booking-site customer's (the
    customer pool's tokens carry those instead of groups). The subject is a UUID, as Cognito's are:
    the same user always, and nothing of their email in it."""
    email = email or f"{role}@{tenant}.example"
    if contact_id:
        return {
            "sub": _subject(tenant, "customer", email),
            "email": email,
            "custom:tenant": tenant,
            "custom:contact_id": contact_id,
            "custom:person_id": person_id or "",
        }
    return {"sub": _subject(tenant, role, email), "email": email, "custom:tenant": tenant, "cognito:groups": role}


def _subject(tenant: str, role: str, email: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"cognito:{tenant}/{role}/{email}"))


def api_event(
    method: str,
    path: str,
    *,
    body=None,
    query: dict | None = None,
    headers: dict | None = None,
    user: dict | None = None,
    raw_body: str | None = None,
) -> tuple[str, dict]:
    route, params = match_route(method, path)
    text = raw_body if raw_body is not None else (json.dumps(body) if body is not None else None)
    headers = {"Content-Type": "application/json", **(headers or {})} if text is not None else dict(headers or {})
    query = {k: str(v) for k, v in (query or {}).items() if v is not None}
    event = {
        "resource": route.path,
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": query or None,
        "multiValueQueryStringParameters": {k: [v] for k, v in query.items()} or None,
        "pathParameters": params or None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": route.path,
            "httpMethod": method,
            "path": f"/v1{path}",
            "stage": "v1",
            "requestId": str(uuid.uuid4()),
            "identity": {"sourceIp": "127.0.0.1"},
            "authorizer": {"claims": user} if user else None,
        },
        "body": text,
        "isBase64Encoded": False,
    }
    return route.function, event


@dataclass
class Reply:
    status: int
    headers: dict
    body: str | None
    json: object = field(default=None)


def invoke(logical_id: str, event: dict) -> dict:
    handler = module(logical_id).handler
    with FUNCTIONS.running(logical_id):
        return handler(event, LambdaContext(logical_id))


def call(
    method: str,
    path: str,
    *,
    tenant: str = "t1",
    role: str = "office",
    email: str | None = None,
    anonymous: bool = False,
    contact_id: str | None = None,
    person_id: str | None = None,
    **kwargs,
) -> Reply:
    user = None if anonymous else claims(tenant, role, email, contact_id, person_id)
    function, event = api_event(method, path, user=user, **kwargs)
    response = invoke(function, event)
    headers = {k.lower(): v for k, v in (response.get("headers") or {}).items()}
    for k, values in (response.get("multiValueHeaders") or {}).items():
        headers.setdefault(k.lower(), values[-1])
    text = response.get("body")
    try:
        parsed = json.loads(text) if text else None
    except ValueError:
        parsed = None
    return Reply(response["statusCode"], headers, text, parsed)


def query_string(params: dict) -> str:
    return urlencode({k: v for k, v in params.items() if v is not None})
