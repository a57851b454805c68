"""The local stack: template.yaml's resources on moto, its API on chalice.local, its schedules.

`python -m infra.local` (what `make dev` runs) starts it on 127.0.0.1:$CRM_PORT (default 3000)
with its state in $CRM_STATE_DIR (default .local/) and runs until Ctrl-C / SIGTERM. A fresh state
dir gets infra/demo.py's demo data (CRM_DEMO=0: start empty); /_local/health answers 503, saying
what it waits for, until that data is written. CRM_MOTO_PORT pins moto's port (otherwise the last
one of this state dir, if free); CRM_LOG_LEVEL sets the log level.

One stack per state dir: a second one (or a taken port) exits at once with a message naming the
process that holds it. Ctrl-C or SIGTERM stops everything the stack started (a second one stops it
without the final snapshot).

From Python (tests, benchmarks)::

    from infra.local import LocalStack

    with LocalStack(port=0, state_dir=tmp_path) as stack:
        token = stack.token("t1", "admin", "ann@example.com")
        requests.get(f"{stack.base_url}/contacts", headers={"Authorization": f"Bearer {token}"})
        stack.client("dynamodb").scan(...)           # boto3 client on the stack's moto
        stack.restart()                               # stop (snapshot) + start (restore), same port

moto keeps its state in module globals, so one LocalStack runs per process at a time; starting
one resets moto's in-process state, and stopping one puts os.environ back as it was.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from infra import template as tpl
from infra.cognito_messages import CognitoMail
from infra.edge import Distribution
from infra.event_delivery import EventSourceMappings
from infra.gateway import ApiGateway, TokenVerifier, api_routes
from infra.gateway_responses import GatewayResponses
from infra.http import HttpRequest, HttpResponse, json_response
from infra.http_server import GatewayServer
from infra.lambdas import EnvironmentPatch, FunctionRegistry, cold_start, layer_packages, stack_environment
from infra.local_clock import LocalClock
from infra.local_routes import LocalRoutes, StaticMount
from infra.moto_server import MotoServer, start_moto
from infra.moto_stack import (
    MOTO_ENVIRONMENT,
    CustomerSignIn,
    EventLog,
    Outbox,
    PoolUsers,
    Resources,
    UserDirectory,
    aws_environment,
    client_factory,
    create_template_resources,
    scrub_proxy_for_loopback,
)
from infra.ports import PortInUse, command_of
from infra.scheduler_runner import SchedulerRunner
from infra.state import Snapshot, Snapshotter, StateDir
from infra.state_lock import StateInUse, StateLock

log = logging.getLogger(__name__)

DEFAULT_PORT = 3000
DEFAULT_STATE_DIR = tpl.ROOT / ".local"
LOCAL_PARAMETERS = {"Stage": "local"}
BOOKING_SITE = "/booking"  # where the booking site is served, here as behind its CloudFront distribution

_process_slot = threading.Lock()  # one running stack per process (moto's state is global)


class LocalStack:
    def __init__(
        self,
        port: int = 0,
        state_dir: str | Path | None = None,
        host: str = "127.0.0.1",
        *,
        template_path: str | Path | None = None,
        moto_port: int | None = None,
        parameters: dict[str, str] | None = None,
        scheduler_interval: float = 1.0,
        snapshot_interval: float = 10.0,
        web_root: str | Path | None = None,
        seed: Callable[[LocalStack], Any] | None = None,
        clock: Callable[[], datetime] | None = None,
    ):
        self.host = host
        self.port = port
        self.state_dir = Path(state_dir or os.environ.get("CRM_STATE_DIR") or DEFAULT_STATE_DIR)
        self.template_path = Path(template_path) if template_path else tpl.TEMPLATE
        self.root = self.template_path.resolve().parent
        self.web_root = Path(web_root) if web_root else self.root / "web"
        self._moto_port = moto_port
        self._parameters = {**LOCAL_PARAMETERS, **(parameters or {})}
        self.scheduler_interval = scheduler_interval
        self.snapshot_interval = snapshot_interval
        self._seed = seed
        self.clock = LocalClock(clock)  # the runner's and the functions' now (tests pass a fake clock; POST /_local/clock sets it)
        self.running = False
        self.restored: dict[str, int] = {}
        self._waiting_for: dict[str, str] = {}  # what health waits for before it says ready
        self._cleanup: list[tuple[str, Callable[[], Any]]] = []

    # ---------------------------------------------------------------- lifecycle

    def start(self) -> LocalStack:
        if self.running:
            return self
        if not _process_slot.acquire(blocking=False):
            raise RuntimeError("another LocalStack is running in this process (moto's state is process-global)")
        self._cleanup = [("release process slot", _process_slot.release)]
        try:
            self._start()
        except BaseException:
            self._teardown(final_snapshot=False)
            raise
        self.running = True
        return self

    def _start(self) -> None:
        self.template = tpl.load(self.template_path)
        self.state = StateDir(self.state_dir)
        # First what another stack may hold (the state dir, the port), so a clash ends in seconds.
        self.lock = StateLock(self.state.path)
        stale = self.lock.acquire()
        self._cleanup.append(("release the state dir", self.lock.release))
        if stale.get("pid") and command_of(stale["pid"]) is None:
            log.warning("pid %s left %s without stopping (a crash?); taking it over", stale["pid"], self.state_dir)
        self.server = GatewayServer(self.host, self.port)
        self._cleanup.append(("stop gateway", self.server.stop))
        self.port = self.server.port  # a restart reuses it
        self.lock.describe(url=self.base_url)
        self.gateway: ApiGateway | None = None
        self._waiting_for = {"the stack": "starting"}
        self.server.start(self._front_door)  # health says what the stack still waits for
        self.cursor_signing_key = self.state.cursor_signing_key()
        self.refs = tpl.local_refs({**self._parameters, "CursorSigningKey": self.cursor_signing_key}, self.template)

        moto_env = EnvironmentPatch({**MOTO_ENVIRONMENT, **scrub_proxy_for_loopback()})
        moto_env.apply()
        self._cleanup.append(("restore moto environment", moto_env.restore))

        self.moto: MotoServer = start_moto(self._moto_port or self.state.last_moto_port(), pinned=self._moto_port is not None)
        self._cleanup.append(("stop moto", self.moto.stop))
        self.moto.reset()
        self.state.remember_moto_port(self.moto.get_host_and_port()[1])
        self.lock.describe(moto_url=self.moto.url)
        self.client = client_factory(self.moto.url)

        self.resources: Resources = create_template_resources(self.client, self.refs, self.template)
        self.outbox_store = Outbox()
        self.outbox_store.attach()
        self.event_log = EventLog(self.client, self.resources.event_buses)
        self.users: UserDirectory | None = UserDirectory(self.client, self.resources) if self.resources.user_pool_id else None
        for logical_id, pool in self.resources.other_pools.items():
            self.refs[logical_id] = pool["id"]  # !Ref <pool> in a function's environment is moto's id
        self.pool_users = {logical_id: PoolUsers(self.client, logical_id, pool) for logical_id, pool in self.resources.other_pools.items()}
        to_moto = {**aws_environment(self.moto.url), **scrub_proxy_for_loopback()}
        self.functions = FunctionRegistry(self.refs, self.template, self.root, runtime_environment=to_moto, clock=self.clock)
        self._cleanup.append(("stop function instances", self.functions.stop))
        self._link_emails_here()
        self.customers = self._customer_sign_in()

        # The cursor keys are in moto's SSM (CursorSigningKey's local value), as in AWS: not in the environment.
        self.environment = stack_environment(self.functions, to_moto)
        env = EnvironmentPatch(self.environment)
        env.apply()
        self._cleanup.append(("restore environment", env.restore))
        packages = layer_packages(self.template, self.root)
        cold_start(packages)  # the layer may have cached clients/settings for another environment
        self._cleanup.append(("cold start layer", lambda: cold_start(packages)))

        self.snapshots = Snapshot(self.state, self.client, self.users, self.outbox_store, self.event_log, self.pool_users.values())
        self.restored = self.snapshots.restore()
        fresh = not self.restored

        self._cleanup.append(("restore the layer's clock", self.clock.install()))
        self.scheduler = SchedulerRunner(
            self.client("scheduler"),
            self.functions,
            self.template,
            self.state.scheduler_state_file,
            self.scheduler_interval,
            clock=self.clock,
            sqs_client=self.client("sqs"),
            refs=self.refs,
        )
        for logical_id, status in self.functions.load_all().items():
            if status != "loaded":
                log.warning("function %s not available yet: %s", logical_id, status)

        verifier = None  # without a user pool every authorized route answers 401
        if self.resources.user_pool_id:
            cognito = self.client("cognito-idp")
            pool_id = self.resources.user_pool_id
            verifier = TokenVerifier(
                pool_id,
                lambda: {c["ClientId"] for c in cognito.list_user_pool_clients(UserPoolId=pool_id, MaxResults=60)["UserPoolClients"]},
            )
        verifiers = self._authorizers(verifier)
        self.local_routes = LocalRoutes(
            health=self.health,
            users=lambda: self.users,
            outbox=self.outbox_store,
            runner=self.scheduler,
            functions=self.functions,
            static_mounts=[StaticMount(BOOKING_SITE, self.web_root / "booking", passthrough=("/booking/sites/",))],
            customers=lambda: self.customers,
            events=self.event_log,
            clock=self.clock,
        )
        stage = next(
            (api["Properties"].get("StageName", "v1") for api in tpl.resources("AWS::Serverless::Api", self.template).values()), "v1"
        )
        self.distribution = Distribution.from_template(BOOKING_SITE, self.refs, self.template)
        self.gateway = ApiGateway(
            api_routes(self.template), self.functions, verifier, stage, self.local_routes, verifiers, GatewayResponses.of(self.template)
        )
        self._serve_booking_site_here()
        self._waiting_for = {"demo data": "being written"} if fresh and self._seed is not None else {}

        if fresh and self._seed is not None:
            try:
                self._seed(self)
                del self._waiting_for["demo data"]
            except Exception as exc:
                log.exception("seeding demo data failed")
                self._waiting_for["demo data"] = f"failed: {exc}"

        self.snapshotter = Snapshotter(self.snapshots, lambda: (self.moto.mutations, self.scheduler.fired_count), self.snapshot_interval)
        if not fresh:
            self.snapshotter.mark_clean()
        self.scheduler.start()
        self._cleanup.append(("stop scheduler", self.scheduler.stop))
        # Published events reach their subscribers: the template's rules -> queues -> functions.
        self.event_sources = EventSourceMappings(
            self.client("sqs"), lambda fn, event: self.functions[fn].invoke(event), self.refs, self.template
        )
        self.event_sources.start()
        self._cleanup.append(("stop event delivery", self.event_sources.stop))
        self.snapshotter.start()
        self._cleanup.append(("stop snapshotter", self.snapshotter.stop))
        self._cleanup.append(("final snapshot", self._final_snapshot))
        log.info("local stack up at %s (moto at %s, state in %s)", self.base_url, self.moto.url, self.state_dir)

    def _front_door(self, request: HttpRequest) -> HttpResponse:
        """What answers on the stack's port: the API Gateway (with the local routes and the static
        site), and for the booking site's paths, the headers its CloudFront distribution adds.
        Until the gateway exists, a 503 saying what the stack waits for."""
        if self.gateway is None:
            return json_response(503, {"status": "starting", "waiting_for": dict(self._waiting_for)}, headers=[("Retry-After", "1")])
        response = self.gateway.handle(request)
        return self.distribution.apply(request, response) if self.distribution else response

    def _customer_sign_in(self) -> CustomerSignIn | None:
        """The booking page's Cognito calls, with the forgot-password code emailed as Cognito
        would: through the pool's CustomMessage trigger (template.yaml's LambdaConfig)."""
        pool = self.resources.other_pools.get("CustomerUserPool")
        if pool is None:
            return None
        described = self.client("cognito-idp").describe_user_pool(UserPoolId=pool["id"])["UserPool"]
        function = self.functions.find(described.get("LambdaConfig", {}).get("CustomMessage", ""))
        mail = CognitoMail(self.client, pool, function.invoke if function else None, self.resources.mail_from)
        return CustomerSignIn(
            self.moto.url, self.client, pool, remember=self.pool_users["CustomerUserPool"].remember, send_code=mail.send_code
        )

    def _authorizers(self, default: TokenVerifier | None) -> dict[str, TokenVerifier]:
        """The Api's Cognito authorizers by name, each verifying its own pool's tokens."""
        pools = {k: v["id"] for k, v in self.resources.other_pools.items()}
        first_pool = next(iter(tpl.resources("AWS::Cognito::UserPool", self.template)), None)
        cognito = self.client("cognito-idp")
        out: dict[str, TokenVerifier] = {}
        for api in tpl.resources("AWS::Serverless::Api", self.template).values():
            for name, spec in api["Properties"].get("Auth", {}).get("Authorizers", {}).items():
                arn = spec.get("UserPoolArn")
                logical = arn.get("Fn::GetAtt", [None])[0] if isinstance(arn, dict) else None
                if logical == first_pool and default is not None:
                    out[name] = default
                elif pools.get(logical):
                    pool_id = pools[logical]
                    out[name] = TokenVerifier(
                        pool_id,
                        lambda p=pool_id: {
                            c["ClientId"] for c in cognito.list_user_pool_clients(UserPoolId=p, MaxResults=60)["UserPoolClients"]
                        },
                    )
        return out

    def _link_emails_here(self) -> None:
        """Links in emails (a report's unsubscribe link) lead to this stack, not to API Gateway."""
        for function in self.functions:
            if "PUBLIC_API_URL" in function.environment:
                function.environment["PUBLIC_API_URL"] = self.base_url

    def _serve_booking_site_here(self) -> None:
        """Invitations link to the booking site this stack serves, not to CloudFront's."""
        for res in tpl.resources("AWS::SSM::Parameter", self.template).values():
            name = tpl.resolve(res["Properties"]["Name"], self.refs, self.template)
            if name.endswith("/booking-site-url"):
                self.client("ssm").put_parameter(Name=name, Value=f"{self.base_url}/booking", Type="String", Overwrite=True)

    def _final_snapshot(self) -> None:
        counts = self.snapshots.take()
        log.info("snapshot written to %s: %s", self.state.snapshot_dir, counts)

    def _teardown(self, final_snapshot: bool = True) -> None:
        # the last registered step runs first: snapshot, snapshotter, scheduler, gateway, moto, env, slot
        steps = self._cleanup
        self._cleanup = []
        for name, step in reversed(steps):
            if name == "final snapshot" and not final_snapshot:
                continue
            try:
                step()
            except Exception:
                log.exception("stopping the local stack: %s failed", name)

    def stop(self) -> None:
        """Stop everything; snapshot the state first. Safe to call twice."""
        if not self.running:
            return
        # stop taking requests and firing schedules before the last snapshot
        for name in ("stop gateway", "stop scheduler", "stop event delivery", "stop snapshotter"):
            for entry in [e for e in self._cleanup if e[0] == name]:
                self._cleanup.remove(entry)
                try:
                    entry[1]()
                except Exception:
                    log.exception("stopping the local stack: %s failed", name)
        self._teardown()
        self.running = False
        log.info("local stack stopped")

    def restart(self) -> LocalStack:
        """Stop (with snapshot) and start again from the state dir, on the same port."""
        self.stop()
        return self.start()

    def __enter__(self) -> LocalStack:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # ---------------------------------------------------------------- conveniences

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def has_demo_data(self) -> bool:
        """This stack seeds a fresh state dir with demo data (it may have come from a snapshot)."""
        return self._seed is not None

    @property
    def moto_url(self) -> str:
        return self.moto.url

    def token(self, tenant: str, role: str, email: str) -> str:
        """A real Cognito ID token for a local user (created or reused) with that tenant and role."""
        if self.users is None:
            raise RuntimeError("the template has no Cognito user pool")
        return self.users.token(tenant, role, email.lower())

    def auth_headers(self, tenant: str, role: str, email: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(tenant, role, email)}"}

    def outbox(self) -> list[dict]:
        return self.outbox_store.messages()

    def events(self) -> list[dict]:
        """Events published on the template's buses, newest first."""
        return self.event_log.events()

    def fire_schedule(self, name: str) -> dict:
        return self.scheduler.fire(name)

    def snapshot(self) -> dict[str, int]:
        """Write a snapshot now."""
        return self.snapshotter.maybe_snapshot(force=True) or {}

    def health(self) -> dict:
        checks: dict[str, Callable[[], Any]] = {
            "dynamodb": lambda: self.client("dynamodb").list_tables(Limit=1),
            "s3": lambda: self.client("s3").list_buckets(),
            "ses": lambda: self.client("ses").get_send_quota(),
            "scheduler": lambda: self.client("scheduler").list_schedule_groups(MaxResults=1),
        }
        if self.resources.user_pool_id:
            checks["cognito"] = lambda: self.client("cognito-idp").describe_user_pool(UserPoolId=self.resources.user_pool_id)
        services = {}
        for name, check in checks.items():
            try:
                check()
                services[name] = "ok"
            except Exception as exc:  # noqa: BLE001
                services[name] = f"error: {exc}"
        waiting = dict(self._waiting_for)
        status = "ok" if all(v == "ok" for v in services.values()) else "degraded"
        if status == "ok" and waiting:
            status = "failed" if any(v.startswith("failed") for v in waiting.values()) else "starting"
        return {
            "status": status,  # 200 only when "ok": every service answers and nothing is awaited
            "waiting_for": waiting,
            "services": services,
            "functions": self.functions.status(),
            "instances": self.functions.instances(),
            "moto_url": self.moto.url,
            "user_pool_id": self.resources.user_pool_id,
            "user_pool_client_id": self.resources.user_pool_client_id,
            "state_dir": str(self.state_dir),
        }


# ---------------------------------------------------------------- python -m infra.local


def _demo_seed() -> Callable[[LocalStack], Any] | None:
    """infra/demo.py's seed(stack), if it exists (it fills a fresh state dir with demo data)."""
    try:
        from infra import demo  # type: ignore[attr-defined]
    except ImportError:
        return None
    return getattr(demo, "seed", None)


def banner(stack: LocalStack) -> str:
    base = stack.base_url
    demo = ""
    if stack.has_demo_data:
        demo = f"""Demo data (tenant demo): ABC SA's booking site is {base}/booking/abc-demo
  Claire Martin (claire.martin@abc.example) is invited to it: her invitation email, with the
  temporary password, is in {base}/_local/outbox (she chooses her own at the first sign-in).

"""
    return f"""
CRM local stack
  API             {base}   (the deployed stage prefix /v1 works too)
  Swagger UI      {base}/docs
  OpenAPI         {base}/openapi.json
  Outbox (SES)    {base}/_local/outbox
  Events (bus)    {base}/_local/events   (what the functions published on EventBridge, newest first)
  Schedules       {base}/_local/schedules
  Booking site    {base}/booking/<slug>
  Health          {base}/_local/health
  moto            {stack.moto_url}   (AWS_ENDPOINT_URL for the AWS CLI / boto3, credentials: testing)
  State           {stack.state_dir}

Get a staff token (role: admin | office | resource; customers sign in on the booking site):
  TOKEN=$(curl -s -X POST {base}/_local/token -H 'content-type: application/json' \\
    -d '{{"tenant":"demo","role":"admin","email":"admin@demo.example"}}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
  curl -H "Authorization: Bearer $TOKEN" {base}/contacts

{demo}Ctrl-C to stop (state is saved and restored on the next start).
"""


class Interrupted(BaseException):
    """Ctrl-C or SIGTERM while the stack starts (a BaseException: no `except Exception` swallows it)."""


def main() -> int:
    logging.basicConfig(level=os.environ.get("CRM_LOG_LEVEL", "INFO"), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("botocore", "boto3", "urllib3", "werkzeug"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    stop = threading.Event()
    started = threading.Event()

    def on_signal(signum: int, frame: Any) -> None:
        if stop.is_set():  # a second Ctrl-C while stopping: stop now, without the final snapshot
            log.warning("stopping now, without the final snapshot")
            os._exit(128 + signum)
        stop.set()
        if not started.is_set():
            raise Interrupted(signum)  # abandon the start; what it started is stopped on the way out

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    stack = LocalStack(
        port=int(os.environ.get("CRM_PORT", DEFAULT_PORT)),
        state_dir=os.environ.get("CRM_STATE_DIR") or DEFAULT_STATE_DIR,
        moto_port=int(os.environ["CRM_MOTO_PORT"]) if os.environ.get("CRM_MOTO_PORT") else None,
        seed=_demo_seed() if os.environ.get("CRM_DEMO", "1") != "0" else None,
    )
    try:
        stack.start()
        started.set()
    except (StateInUse, PortInUse) as exc:
        sys.stderr.write(f"\nThe local stack cannot start: {exc}.\n\n")
        return 1
    except Interrupted as exc:
        stack.stop()  # started just before the signal came: stop it as any other time
        return 128 + exc.args[0]
    print(banner(stack), flush=True)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        stack.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
