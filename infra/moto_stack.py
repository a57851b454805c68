"""moto, in-process: the template's resources on it, local users and the SES outbox (the server
itself is infra/moto_server.py).

* `create_template_resources(client_factory, refs, template)`: tables, buckets, schedule groups,
  the user pool with its groups and a client, the verified SES sender, the event buses (each with
  a catch-all rule into a CloudWatch Logs group, so published events can be seen). Works against
  any moto: the local stack's server or `mock_aws` (pass `boto3.client` as the factory).
* `UserDirectory`: users of the local pool (tenant + role) and real ID tokens for them.
* `PoolUsers`: users of the template's other pools (booking-site customers), for the snapshot.
* `Outbox`: what SES (moto) has sent, with the time it was sent.
* `EventLog`: what was published on the event buses (read back from their log groups).

moto keeps its state in module globals, so only one local stack can run in one process at a time.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import json
import logging
import os
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.config import Config

from infra import template as tpl

log = logging.getLogger(__name__)

FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": tpl.REGION,
    "AWS_REGION": tpl.REGION,
}
# Deterministic user pool and client ids: the same pool id after a restart keeps tokens valid.
MOTO_ENVIRONMENT = {
    "MOTO_COGNITO_IDP_USER_POOL_ID_STRATEGY": "HASH",
    "MOTO_COGNITO_IDP_USER_POOL_CLIENT_ID_STRATEGY": "HASH",
}
LOCAL_PASSWORD = "Local-Passw0rd-crm"  # noqa: S105 - every local user's password (meets the pool's policy)

ClientFactory = Callable[..., Any]


def client_factory(endpoint_url: str) -> ClientFactory:
    """boto3 clients for the local moto, independent of the process environment."""
    config = Config(retries={"max_attempts": 2, "mode": "standard"}, connect_timeout=5, read_timeout=30)

    def make(service: str):
        return boto3.client(
            service,
            endpoint_url=endpoint_url,
            region_name=tpl.REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",  # noqa: S106 - moto accepts any
            config=config,
        )

    return make


# ---------------------------------------------------------------- template resources


@dataclass
class Resources:
    tables: list[str]
    buckets: list[str]
    schedule_groups: list[str]
    user_pool_id: str | None  # None: the template has no user pool
    user_pool_client_id: str | None
    user_pool_arn: str | None
    groups: list[str]
    mail_from: str
    # The template's other user pools (e.g. CustomerUserPool): logical id -> {"id", "client_id", "arn"}
    other_pools: dict[str, dict[str, str]] = field(default_factory=dict)
    # The template's event buses: bus name -> the log group its catch-all rule delivers to
    event_buses: dict[str, str] = field(default_factory=dict)


def _cfn_schema(schema: list[dict]) -> list[dict]:
    keep = (
        "Name",
        "AttributeDataType",
        "DeveloperOnlyAttribute",
        "Mutable",
        "Required",
        "NumberAttributeConstraints",
        "StringAttributeConstraints",
    )
    return [{k: v for k, v in attr.items() if k in keep} for attr in schema]


def _create_pool(cognito, logical_id: str, props: dict) -> dict:
    """A user pool from its template properties (those moto's CreateUserPool takes)."""
    args: dict[str, Any] = {"PoolName": props.get("UserPoolName", logical_id)}
    keys = (
        "UsernameAttributes",
        "AutoVerifiedAttributes",
        "AdminCreateUserConfig",
        "Policies",
        "UserAttributeUpdateSettings",
        "AccountRecoverySetting",
        "EmailConfiguration",
        "LambdaConfig",
    )
    for key in keys:
        if key in props:
            args[key] = props[key]
    if props.get("Schema"):
        args["Schema"] = _cfn_schema(props["Schema"])
    return cognito.create_user_pool(**args)["UserPool"]


def create_user_pool(cognito, refs: dict[str, str], template: dict | None = None) -> tuple[str, str, str, list[str]]:
    """Create the template's user pool, its groups and one client that can mint tokens locally.

    The client adds ALLOW_ADMIN_USER_PASSWORD_AUTH to the template's flows: that is how the local
    stack signs users in without SRP. Returns (pool id, client id, pool arn, group names).
    """
    template = template or tpl.load()
    pools = tpl.resources("AWS::Cognito::UserPool", template)
    pool_logical, pool_res = next(iter(pools.items()))
    pool = _create_pool(cognito, pool_logical, tpl.resolve(pool_res["Properties"], refs, template))
    pool_id = pool["Id"]

    groups = []
    for res in tpl.resources("AWS::Cognito::UserPoolGroup", template).values():
        gp = res["Properties"]
        group_args = {"UserPoolId": pool_id, "GroupName": gp["GroupName"]}
        if "Precedence" in gp:
            group_args["Precedence"] = int(gp["Precedence"])
        cognito.create_group(**group_args)
        groups.append(gp["GroupName"])

    clients = tpl.resources("AWS::Cognito::UserPoolClient", template)
    client_props = tpl.resolve(next(iter(clients.values()))["Properties"], refs, template) if clients else {}
    flows = list(client_props.get("ExplicitAuthFlows", ["ALLOW_REFRESH_TOKEN_AUTH"]))
    if "ALLOW_ADMIN_USER_PASSWORD_AUTH" not in flows:
        flows.append("ALLOW_ADMIN_USER_PASSWORD_AUTH")
    client_args: dict[str, Any] = {
        "UserPoolId": pool_id,
        "ClientName": client_props.get("ClientName", "local"),
        "ExplicitAuthFlows": flows,
        "GenerateSecret": False,
    }
    for key in ("ReadAttributes", "WriteAttributes"):
        if key in client_props:
            client_args[key] = client_props[key]
    client = cognito.create_user_pool_client(**client_args)["UserPoolClient"]
    return pool_id, client["ClientId"], pool["Arn"], groups


def create_other_user_pools(cognito, refs: dict[str, str], template: dict | None = None) -> dict[str, dict[str, str]]:
    """Every user pool after the template's first (which `create_user_pool` makes), each with its
    client, with the template's auth flows (the booking page signs in with them, as in AWS). No
    groups: the template's groups belong to the first pool. Returns logical id -> {"id",
    "client_id", "arn"}."""
    template = template or tpl.load()
    out: dict[str, dict[str, str]] = {}
    for logical_id, res in list(tpl.resources("AWS::Cognito::UserPool", template).items())[1:]:
        pool = _create_pool(cognito, logical_id, tpl.resolve(res["Properties"], refs, template))
        out[logical_id] = {"id": pool["Id"], "arn": pool["Arn"], "client_id": ""}
        for client_res in tpl.resources("AWS::Cognito::UserPoolClient", template).values():
            if client_res["Properties"].get("UserPoolId") != {"Ref": logical_id}:
                continue
            client_props = {k: v for k, v in client_res["Properties"].items() if k != "UserPoolId"}
            flows = list(client_props.get("ExplicitAuthFlows", ["ALLOW_REFRESH_TOKEN_AUTH"]))
            client_args: dict[str, Any] = {
                "UserPoolId": pool["Id"],
                "ClientName": client_props.get("ClientName", "local"),
                "ExplicitAuthFlows": flows,
                "GenerateSecret": False,
            }
            for key in ("ReadAttributes", "WriteAttributes"):
                if key in client_props:
                    client_args[key] = client_props[key]
            out[logical_id]["client_id"] = cognito.create_user_pool_client(**client_args)["UserPoolClient"]["ClientId"]
    return out


EVENTS_LOG_GROUP_PREFIX = "/crm-local/events/"
EVENTS_RULE = "crm-local-all-events"
CATCH_ALL_PATTERN = {"source": [{"prefix": ""}]}  # every event (a rule needs some pattern)


def watch_event_buses(events, logs, buses: list[str]) -> dict[str, str]:
    """A catch-all rule on each bus delivering to a log group of its own (moto writes the event
    there as JSON): the local stack's record of what was published. Bus -> log group name."""
    out = {}
    for bus in buses:
        group = f"{EVENTS_LOG_GROUP_PREFIX}{bus}"
        logs.create_log_group(logGroupName=group)
        events.put_rule(
            Name=EVENTS_RULE,
            EventBusName=bus,
            EventPattern=json.dumps(CATCH_ALL_PATTERN),
            State="ENABLED",
            Description="local stack: every event into a log group (GET /_local/events)",
        )
        events.put_targets(
            Rule=EVENTS_RULE,
            EventBusName=bus,
            Targets=[{"Id": "local-log", "Arn": f"arn:aws:logs:{tpl.REGION}:{tpl.ACCOUNT}:log-group:{group}"}],
        )
        out[bus] = group
    return out


def create_template_resources(make_client: ClientFactory, refs: dict[str, str], template: dict | None = None) -> Resources:
    """Create every resource of the template that the local stack emulates, on whatever moto
    `make_client(service)` talks to (the in-process server, or mock_aws with `boto3.client`)."""
    template = template or tpl.load()
    backing = tpl.create_backing_resources(make_client, refs, template)
    tables, buckets, groups_created, buses = backing["tables"], backing["buckets"], backing["schedule_groups"], backing["event_buses"]
    if tpl.resources("AWS::Cognito::UserPool", template):
        pool_id, client_id, pool_arn, groups = create_user_pool(make_client("cognito-idp"), refs, template)
    else:
        pool_id = client_id = pool_arn = None
        groups = []
    other_pools = create_other_user_pools(make_client("cognito-idp"), refs, template) if pool_id else {}
    sender = refs.get("MailFrom", "")
    event_buses = watch_event_buses(make_client("events"), make_client("logs"), buses) if buses else {}
    return Resources(tables, buckets, groups_created, pool_id, client_id, pool_arn, groups, sender, other_pools, event_buses)


# ---------------------------------------------------------------- users and tokens


class UserError(ValueError):
    """A user cannot be created or signed in as asked (bad role, other tenant...)."""


@dataclass(frozen=True)
class LocalUser:
    email: str
    tenant: str
    role: str
    sub: str
    enabled: bool = True


class UserDirectory:
    """Users of the local user pool: one role (= group) and one tenant each."""

    def __init__(self, make_client: ClientFactory, resources: Resources):
        self._cognito = make_client("cognito-idp")
        self.pool_id = resources.user_pool_id
        self.client_id = resources.user_pool_client_id
        self.roles = list(resources.groups)
        self._lock = threading.Lock()

    def _find(self, email_address: str) -> dict | None:
        users = self._cognito.list_users(UserPoolId=self.pool_id, Filter=f'email = "{email_address}"')["Users"]
        return users[0] if users else None

    def _groups(self, username: str) -> list[str]:
        groups = self._cognito.admin_list_groups_for_user(UserPoolId=self.pool_id, Username=username)["Groups"]
        return [g["GroupName"] for g in groups]

    def ensure(self, email_address: str, tenant: str, role: str, sub: str | None = None, enabled: bool = True) -> LocalUser:
        """Create the user (or reuse it) with `tenant` and exactly the group `role`."""
        if role not in self.roles:
            raise UserError(f"role must be one of {', '.join(self.roles)}")
        with self._lock:
            user = self._find(email_address)
            if user is None:
                attrs = [
                    {"Name": "email", "Value": email_address},
                    {"Name": "email_verified", "Value": "true"},
                    {"Name": "custom:tenant", "Value": tenant},
                ]
                self._cognito.admin_create_user(
                    UserPoolId=self.pool_id, Username=email_address, UserAttributes=attrs, MessageAction="SUPPRESS"
                )
                self._cognito.admin_set_user_password(
                    UserPoolId=self.pool_id, Username=email_address, Password=LOCAL_PASSWORD, Permanent=True
                )
                if sub:
                    _set_sub(self.pool_id, email_address, sub)
                user = self._find(email_address)
            attributes = {a["Name"]: a["Value"] for a in user["Attributes"]}
            if attributes.get("custom:tenant") != tenant:
                raise UserError(
                    f"{email_address} already exists in tenant {attributes.get('custom:tenant')!r} (custom:tenant is immutable)"
                )
            username = user["Username"]
            current = self._groups(username)
            for group in current:
                if group != role:
                    self._cognito.admin_remove_user_from_group(UserPoolId=self.pool_id, Username=username, GroupName=group)
            if role not in current:
                self._cognito.admin_add_user_to_group(UserPoolId=self.pool_id, Username=username, GroupName=role)
            if not enabled:
                self._cognito.admin_disable_user(UserPoolId=self.pool_id, Username=username)
            return LocalUser(email_address, tenant, role, attributes["sub"], user.get("Enabled", True) and enabled)

    def token(self, tenant: str, role: str, email_address: str) -> str:
        """A real ID token (signed by moto) for the user, created if needed."""
        self.ensure(email_address, tenant, role)
        result = self._cognito.admin_initiate_auth(
            UserPoolId=self.pool_id,
            ClientId=self.client_id,
            AuthFlow="ADMIN_USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": email_address, "PASSWORD": LOCAL_PASSWORD},
        )
        return result["AuthenticationResult"]["IdToken"]

    def all(self) -> list[LocalUser]:
        users = []
        for page in self._cognito.get_paginator("list_users").paginate(UserPoolId=self.pool_id):
            for user in page["Users"]:
                attributes = {a["Name"]: a["Value"] for a in user["Attributes"]}
                groups = self._groups(user["Username"])
                users.append(
                    LocalUser(
                        email=attributes.get("email", user["Username"]),
                        tenant=attributes.get("custom:tenant", ""),
                        role=groups[0] if groups else "",
                        sub=attributes.get("sub", user["Username"]),
                        enabled=user.get("Enabled", True),
                    )
                )
        return users


class CustomerSignIn:
    """The booking page's calls to Cognito's public JSON API, handed to moto's Cognito as the page
    sends them in AWS, unsigned, for the customer pool's public client, and nothing else:
    InitiateAuth (USER_PASSWORD_AUTH), RespondToAuthChallenge (NEW_PASSWORD_REQUIRED),
    ForgotPassword and ConfirmForgotPassword. Where moto parts from Cognito, the stand-in behaves
    like Cognito: ForgotPassword's code is emailed (`send_code(username, code, client_metadata)`,
    see infra.cognito_messages), never returned to the page; ConfirmForgotPassword takes only that
    code (moto takes any) and the pool's password policy; a user who never chose a password cannot
    reset it. `remember(email, password)` hears the password that let each customer in."""

    _ACTIONS = ("InitiateAuth", "RespondToAuthChallenge", "ForgotPassword", "ConfirmForgotPassword")
    TARGETS = frozenset(f"AWSCognitoIdentityProviderService.{a}" for a in _ACTIONS)
    CONTENT_TYPE = "application/x-amz-json-1.1"
    MOTO_CODE = "moto-confirmation-code:"  # moto checks a code only when it carries this prefix

    def __init__(
        self,
        endpoint_url: str,
        make_client: ClientFactory,
        pool: dict[str, str],
        remember: Callable[[str, str], None] | None = None,
        send_code: Callable[[str, str, dict], None] | None = None,
    ):
        self._endpoint = endpoint_url.rstrip("/") + "/"
        self._cognito = make_client("cognito-idp")
        self.pool_id = pool["id"]
        self.client_id = pool["client_id"]
        self._remember = remember
        self._send_code = send_code
        self._open = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # moto is on loopback

    def forward(self, target: str, body: bytes) -> tuple[int, bytes]:
        """(status, body) of the answer; the caller has checked `target` is one of TARGETS."""
        action = target.rsplit(".", 1)[-1]
        sent = json.loads(body)
        if action == "ForgotPassword" and self._must_choose_first(sent.get("Username", "")):
            return _cognito_error("NotAuthorizedException", "User password cannot be reset in the current state.")
        if action == "ConfirmForgotPassword":
            refused = _password_refused(self.pool_id, sent.get("Password", ""))
            if refused:
                return _cognito_error("InvalidPasswordException", refused)
            code = str(sent.get("ConfirmationCode", ""))
            body = json.dumps({**sent, "ConfirmationCode": self.MOTO_CODE + code.removeprefix(self.MOTO_CODE)}).encode()
        status, answer, headers = self._moto(target, body)
        code = headers.get("x-moto-forgot-password-confirmation-code") or ""
        if action == "ForgotPassword" and status == 200 and code.startswith(self.MOTO_CODE) and self._send_code is not None:
            self._send_code(sent["Username"], code.removeprefix(self.MOTO_CODE), sent.get("ClientMetadata") or {})
        if status == 200 and self._remember is not None:
            self._heard(action, sent, answer)
        return status, answer

    def _moto(self, target: str, body: bytes) -> tuple[int, bytes, Any]:
        request = urllib.request.Request(  # noqa: S310 - the endpoint is moto's own http URL
            self._endpoint, data=body, method="POST", headers={"Content-Type": self.CONTENT_TYPE, "X-Amz-Target": target}
        )
        try:
            with self._open.open(request, timeout=15) as response:
                return response.status, response.read(), response.headers
        except urllib.error.HTTPError as error:
            return error.code, error.read(), error.headers

    def _must_choose_first(self, username: str) -> bool:
        """An invited customer who has not chosen a password yet (Cognito refuses their reset)."""
        try:
            return self._cognito.admin_get_user(UserPoolId=self.pool_id, Username=username)["UserStatus"] == "FORCE_CHANGE_PASSWORD"
        except self._cognito.exceptions.UserNotFoundException:
            return False

    def _heard(self, action: str, sent: dict, answer: bytes) -> None:
        try:
            if action == "ConfirmForgotPassword":
                username, password = sent["Username"], sent["Password"]
            elif "AuthenticationResult" not in json.loads(answer):
                return
            elif action == "InitiateAuth":
                username, password = sent["AuthParameters"]["USERNAME"], sent["AuthParameters"]["PASSWORD"]
            else:
                username, password = sent["ChallengeResponses"]["USERNAME"], sent["ChallengeResponses"]["NEW_PASSWORD"]
            user = self._cognito.admin_get_user(UserPoolId=self.pool_id, Username=username)
            attributes = {a["Name"]: a["Value"] for a in user["UserAttributes"]}
            self._remember(attributes.get("email", username), password)
        except Exception:
            log.debug("could not remember the password of a sign-in", exc_info=True)


def _cognito_error(code: str, message: str) -> tuple[int, bytes]:
    return 400, json.dumps({"__type": code, "message": message}).encode()


def _password_refused(pool_id: str, password: str) -> str | None:
    """Why the pool's password policy refuses `password` (moto's check, which its
    ConfirmForgotPassword skips), or None. In-process only."""
    from moto.cognitoidp.exceptions import InvalidPasswordException
    from moto.cognitoidp.models import cognitoidp_backends

    try:
        cognitoidp_backends[tpl.ACCOUNT][tpl.REGION]._validate_password(pool_id, password)
    except InvalidPasswordException:
        return "Password does not conform to policy"  # Cognito's words
    return None


class PoolUsers:
    """The users of one of the template's other user pools (the booking site's customers) as a
    snapshot keeps them: email and the other attributes (custom:tenant, custom:contact_id,
    custom:person_id...), sub, status, enabled and the password.

    Cognito never returns a password, but a customer must still sign in after a restart: the
    password is the one moto holds for the user (moto runs in this process), else the last one
    that let the customer in through /_local/cognito (`remember`). A customer who chose a
    password signs in with it again; an invited customer who has not signed in yet still uses the
    emailed temporary password (and is asked for a new one). A user restored without a known
    password gets a random temporary one: the office sends the invitation again (it emails a new
    temporary password). The snapshot file is therefore readable by its owner only."""

    def __init__(self, make_client: ClientFactory, logical_id: str, pool: dict[str, str]):
        self._cognito = make_client("cognito-idp")
        self.logical_id = logical_id
        self.pool_id = pool["id"]
        self._known: dict[str, str] = {}

    def remember(self, email_address: str, password: str) -> None:
        self._known[email_address.lower()] = password

    def _password(self, username: str, email_address: str) -> str | None:
        try:
            from moto.cognitoidp.models import cognitoidp_backends

            user = cognitoidp_backends[tpl.ACCOUNT][tpl.REGION].user_pools[self.pool_id]._get_user(username)
            if user is not None and isinstance(getattr(user, "password", None), str):
                return user.password
        except Exception:
            log.debug("no password from moto for %s", email_address, exc_info=True)
        return self._known.get(email_address.lower())

    def all(self) -> list[dict]:
        rows = []
        for page in self._cognito.get_paginator("list_users").paginate(UserPoolId=self.pool_id):
            for user in page["Users"]:
                attributes = {a["Name"]: a["Value"] for a in user["Attributes"]}
                email_address = attributes.get("email", user["Username"])
                rows.append(
                    {
                        "pool": self.logical_id,
                        "email": email_address,
                        "sub": attributes.get("sub"),
                        "attributes": {k: v for k, v in attributes.items() if k != "sub"},
                        "status": user.get("UserStatus"),
                        "enabled": user.get("Enabled", True),
                        "password": self._password(user["Username"], email_address),
                    }
                )
        return rows

    def restore(self, row: dict) -> None:
        email_address, password = row["email"], row.get("password")
        temporary = row.get("status") == "FORCE_CHANGE_PASSWORD"
        args: dict[str, Any] = {
            "UserPoolId": self.pool_id,
            "Username": email_address,
            "UserAttributes": [{"Name": k, "Value": v} for k, v in (row.get("attributes") or {"email": email_address}).items()],
            "MessageAction": "SUPPRESS",
        }
        if password and temporary:
            args["TemporaryPassword"] = password
        self._cognito.admin_create_user(**args)
        if password and not temporary:
            self._cognito.admin_set_user_password(UserPoolId=self.pool_id, Username=email_address, Password=password, Permanent=True)
        if password:
            self.remember(email_address, password)
        else:
            log.warning("customer %s restored without a password: invite them again", email_address)
        if row.get("sub"):
            _set_sub(self.pool_id, email_address, row["sub"])
        if not row.get("enabled", True):
            self._cognito.admin_disable_user(UserPoolId=self.pool_id, Username=email_address)


def _set_sub(pool_id: str, email_address: str, sub: str) -> None:
    """Give a restored user its old `sub` (moto always generates a new one). In-process only."""
    from moto.cognitoidp.models import cognitoidp_backends

    try:
        pool = cognitoidp_backends[tpl.ACCOUNT][tpl.REGION].user_pools[pool_id]
        user = pool._get_user(email_address)
        old_username = user.username
        user.id = sub
        user.username = sub
        user.update_attributes([{"Name": "sub", "Value": sub}])
        pool.users[sub] = pool.users.pop(old_username)
    except Exception:
        log.warning("could not keep the sub of restored user %s", email_address, exc_info=True)


# ---------------------------------------------------------------- SES outbox


class _StampedList(list):
    """moto's sent_messages list, remembering when each message was appended."""

    def append(self, item) -> None:
        with contextlib.suppress(AttributeError):
            item._local_sent_at = time.time()
        super().append(item)


def _message_record(message: Any, sent_at: float) -> dict:
    record: dict[str, Any] = {"id": getattr(message, "id", None), "from": getattr(message, "source", None), "sent_at": _iso(sent_at)}
    destinations = getattr(message, "destinations", None)
    if hasattr(message, "raw_data"):
        parsed = email.message_from_string(message.raw_data, policy=email.policy.default)
        record["to"] = list(destinations or [])
        record["subject"] = str(parsed.get("Subject", ""))
        part = parsed.get_body(preferencelist=("plain", "html"))
        record["body"] = part.get_content() if part is not None else ""
        record["attachments"] = [
            {"filename": a.get_filename(), "content_type": a.get_content_type(), "size": len(a.get_payload(decode=True) or b"")}
            for a in parsed.iter_attachments()
        ]
        record["headers"] = {k: str(v) for k, v in parsed.items() if k.lower().startswith("list-")}  # e.g. List-Unsubscribe
    else:
        if isinstance(destinations, dict):
            record["to"] = list(destinations.get("ToAddresses", []))
            record["cc"] = list(destinations.get("CcAddresses", []))
            record["bcc"] = list(destinations.get("BccAddresses", []))
        else:
            record["to"] = list(destinations or [])
        record["subject"] = getattr(message, "subject", None) or getattr(message, "template", None)
        record["body"] = getattr(message, "body", None) or getattr(message, "template_data", None)
    return record


def _iso(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts)) + f".{int(ts * 1000) % 1000:03d}Z"


class Outbox:
    """Emails sent through SES (moto), newest first; plus those restored from a snapshot."""

    def __init__(self, restored: list[dict] | None = None):
        self._restored = list(restored or [])
        self._backend = None

    def restore(self, records: list[dict]) -> None:
        """Messages sent before the last restart (moto itself forgot them)."""
        self._restored = list(records)

    def attach(self) -> None:
        """Hook into moto's SES backend (after moto was reset)."""
        from moto.ses.models import ses_backends

        backend = ses_backends[tpl.ACCOUNT][tpl.REGION]
        if not isinstance(backend.sent_messages, _StampedList):
            backend.sent_messages = _StampedList(backend.sent_messages)
        self._backend = backend

    def messages(self) -> list[dict]:
        current = []
        if self._backend is not None:
            now = time.time()
            for message in list(self._backend.sent_messages):
                current.append(_message_record(message, getattr(message, "_local_sent_at", now)))
        records = self._restored + current
        return sorted(records, key=lambda r: r.get("sent_at") or "", reverse=True)


# ---------------------------------------------------------------- event buses


class EventLog:
    """Events published on the template's buses, newest first: what each bus's catch-all rule
    wrote to its log group, plus those restored from a snapshot (moto forgot them)."""

    def __init__(self, make_client: ClientFactory | None = None, buses: dict[str, str] | None = None):
        self._logs = make_client("logs") if make_client else None
        self._buses = dict(buses or {})
        self._restored: list[dict] = []

    def restore(self, records: list[dict]) -> None:
        self._restored = list(records)

    def _live(self) -> list[dict]:
        if self._logs is None:
            return []
        records = []
        for bus, group in self._buses.items():
            for page in self._logs.get_paginator("filter_log_events").paginate(logGroupName=group):
                for entry in page.get("events", []):
                    try:
                        event = json.loads(entry["message"])
                    except ValueError:
                        continue
                    records.append(
                        {
                            "id": event.get("id"),
                            "bus": bus,
                            "source": event.get("source"),
                            "detail-type": event.get("detail-type"),
                            "detail": event.get("detail"),
                            "time": event.get("time"),
                            "received_at": _iso(entry["timestamp"] / 1000),
                        }
                    )
        return records

    def events(self) -> list[dict]:
        records = self._restored + self._live()
        return sorted(records, key=lambda r: (r.get("received_at") or "", r.get("time") or ""), reverse=True)


def aws_environment(endpoint_url: str) -> dict[str, str]:
    """What a handler needs to reach the local moto with boto3."""
    return {**FAKE_CREDENTIALS, "AWS_ENDPOINT_URL": endpoint_url, **MOTO_ENVIRONMENT}


def scrub_proxy_for_loopback() -> dict[str, str]:
    """NO_PROXY additions so loopback calls never go through an HTTP proxy."""
    current = os.environ.get("NO_PROXY") or os.environ.get("no_proxy") or ""
    extra = "127.0.0.1,localhost"
    value = f"{current},{extra}" if current else extra
    return {"NO_PROXY": value, "no_proxy": value}
