"""IAM as AWS enforces it, for the functions the tests invoke.

moto checks no permission, so a function whose policy in template.yaml misses an action it uses
passes every test and fails in AWS. Here each AWS call a function makes while it is invoked
(tests/support/lambdas.py says which) is checked against the statements template.yaml gives that
function (its inline statements and the managed policies it references), the way IAM evaluates
them: the action and the resource ARN must match an Allow (wildcards, StringLike/StringEquals
conditions) and no Deny. A call that is not allowed fails as AWS would fail it (AccessDenied), and
is remembered, so the test that made it fails naming the function, the action and the resource.

Presigned URLs are signed locally and checked by S3 when used; they are not calls, and not checked.
"""

from __future__ import annotations

import contextlib
import fnmatch
import json
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from botocore.exceptions import ClientError

from infra import template

ARN = f"{template.REGION}:{template.ACCOUNT}"


@dataclass(frozen=True)
class Request:
    action: str  # service:Action, as IAM names it
    resource: str  # the ARN IAM authorises the action on
    context: tuple[tuple[str, str], ...] = ()  # condition keys (s3:prefix, ...)


# ---------------------------------------------------------------- what a call asks IAM for


def _table(name: str, index: str | None = None) -> str:
    return f"arn:aws:dynamodb:{ARN}:table/{name}" + (f"/index/{index}" if index else "")


def _dynamodb(operation: str, params: dict) -> list[Request]:
    if operation == "TransactWriteItems":
        # IAM has no TransactWriteItems action: each item needs its own.
        names = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem", "ConditionCheck": "ConditionCheckItem"}
        return [
            Request(f"dynamodb:{names[kind]}", _table(spec["TableName"])) for item in params["TransactItems"] for kind, spec in item.items()
        ]
    if operation == "TransactGetItems":
        return [Request("dynamodb:GetItem", _table(item["Get"]["TableName"])) for item in params["TransactItems"]]
    if operation in ("BatchGetItem", "BatchWriteItem"):
        return [Request(f"dynamodb:{operation}", _table(name)) for name in params["RequestItems"]]
    return [Request(f"dynamodb:{operation}", _table(params["TableName"], params.get("IndexName")))]


def _s3(operation: str, params: dict) -> list[Request]:
    bucket = f"arn:aws:s3:::{params['Bucket']}"
    if operation in ("ListObjectsV2", "ListObjects"):
        return [Request("s3:ListBucket", bucket, (("s3:prefix", params.get("Prefix", "")),))]
    if operation == "ListObjectVersions":
        return [Request("s3:ListBucketVersions", bucket, (("s3:prefix", params.get("Prefix", "")),))]
    if operation == "DeleteObjects":
        return [
            Request("s3:DeleteObjectVersion" if o.get("VersionId") else "s3:DeleteObject", f"{bucket}/{o['Key']}")
            for o in params["Delete"]["Objects"]
        ]
    if operation == "CopyObject":  # IAM authorises a copy as a read of its source and a write of its target
        source = params["CopySource"]  # "bucket/key" (URL-encoded) once botocore has built it
        source = f"{source['Bucket']}/{source['Key']}" if isinstance(source, dict) else unquote(source.split("?versionId=")[0])
        return [Request("s3:GetObject", f"arn:aws:s3:::{source}"), Request("s3:PutObject", f"{bucket}/{params['Key']}")]
    actions = {
        "HeadObject": ["s3:GetObject"],
        "GetObject": ["s3:GetObject"],
        "PutObject": ["s3:PutObject"],
        "DeleteObject": ["s3:DeleteObject"],
    }
    needed = list(actions.get(operation, [f"s3:{operation}"]))
    if operation == "PutObject" and params.get("Tagging"):
        needed.append("s3:PutObjectTagging")
    return [Request(action, f"{bucket}/{params['Key']}") for action in needed]


def _ses(operation: str, params: dict) -> list[Request]:
    # SES authorises sending on the sender's identity: its address, or its domain.
    sender = params["Source"].rsplit("<", 1)[-1].rstrip(">")
    return [Request(f"ses:{operation}", f"arn:aws:ses:{ARN}:identity/{sender}|arn:aws:ses:{ARN}:identity/{sender.split('@')[-1]}")]


def _scheduler(operation: str, params: dict) -> list[Request]:
    if operation == "ListSchedules":  # no resource-level permission: IAM authorises it on "*"
        return [Request("scheduler:ListSchedules", "*")]
    schedule = f"arn:aws:scheduler:{ARN}:schedule/{params.get('GroupName', 'default')}/{params['Name']}"
    requests = [Request(f"scheduler:{operation}", schedule)]
    if "Target" in params:  # the schedule's role is passed to Scheduler
        requests.append(Request("iam:PassRole", params["Target"]["RoleArn"]))
    return requests


def _sqs(operation: str, params: dict) -> list[Request]:
    """A message sent (one or a batch: IAM authorises both as sqs:SendMessage) on the queue its URL names."""
    action = "sqs:SendMessage" if operation in ("SendMessage", "SendMessageBatch") else f"sqs:{operation}"
    return [Request(action, f"arn:aws:sqs:{ARN}:{params['QueueUrl'].rstrip('/').rsplit('/', 1)[-1]}")]


def _other(service: str) -> Callable[[str, dict], list[Request]]:
    def requests(operation: str, params: dict) -> list[Request]:
        if service == "ssm":
            return [Request(f"ssm:{operation}", f"arn:aws:ssm:{ARN}:parameter/{params['Name'].lstrip('/')}")]
        if service == "eventbridge":
            buses = {e.get("EventBusName", "default") for e in params["Entries"]}
            return [Request("events:PutEvents", b if b.startswith("arn:") else f"arn:aws:events:{ARN}:event-bus/{b}") for b in buses]
        if service == "cognito-identity-provider":
            return [Request(f"cognito-idp:{operation}", f"arn:aws:cognito-idp:{ARN}:userpool/{params['UserPoolId']}")]
        return [Request(f"{IAM_PREFIX.get(service, service)}:{operation}", "*")]

    return requests


SERVICES: dict[str, Callable[[str, dict], list[Request]]] = {
    "dynamodb": _dynamodb,
    "s3": _s3,
    "ses": _ses,
    "scheduler": _scheduler,
    "sqs": _sqs,
}
# botocore names services by their service id; IAM by its own prefix.
IAM_PREFIX = {"eventbridge": "events", "cognito-identity-provider": "cognito-idp"}


def requests_for(service: str, operation: str, params: dict) -> list[Request]:
    return SERVICES.get(service, _other(service))(operation, params)


# ---------------------------------------------------------------- what template.yaml allows


def _listed(value: Any) -> list:
    return value if isinstance(value, list) else [value]


def statements(logical_id: str, refs: dict[str, str], tpl: dict | None = None) -> list[dict]:
    """The IAM statements of a function's Policies, intrinsics resolved. A SAM policy template or an
    AWS managed policy is refused: the template spells out every permission."""
    tpl = tpl or template.load()
    found = []
    for policy in tpl["Resources"][logical_id]["Properties"].get("Policies", []):
        if isinstance(policy, dict) and "Statement" in policy:
            found += policy["Statement"]
        elif isinstance(policy, dict) and set(policy) == {"Ref"} and tpl["Resources"][policy["Ref"]]["Type"] == "AWS::IAM::ManagedPolicy":
            found += tpl["Resources"][policy["Ref"]]["Properties"]["PolicyDocument"]["Statement"]
        else:
            raise ValueError(f"{logical_id}: a policy the template should spell out as statements: {policy}")
    return template.resolve(found, refs, tpl)


def _any_match(patterns: Iterable[str], value: str, *, ignore_case: bool) -> bool:
    """IAM's wildcards (* and ?); actions are compared without case, ARNs with it."""
    if ignore_case:
        return any(fnmatch.fnmatchcase(value.lower(), p.lower()) for p in patterns)
    return any(fnmatch.fnmatchcase(value, p) for p in patterns)


def _condition_holds(condition: dict, context: dict[str, str]) -> bool:
    for operator, tests in condition.items():
        for key, expected in tests.items():
            if key not in context:
                return False
            compare = fnmatch.fnmatchcase if operator == "StringLike" else str.__eq__
            if operator not in ("StringLike", "StringEquals") or not any(compare(context[key], e) for e in _listed(expected)):
                return False
    return True


def _applies(statement: dict, request: Request) -> bool:
    resources = request.resource.split("|")  # any of these ARNs (e.g. an SES address or its domain)
    return (
        _any_match(_listed(statement["Action"]), request.action, ignore_case=True)
        and any(_any_match(_listed(statement["Resource"]), arn, ignore_case=False) for arn in resources)
        and _condition_holds(statement.get("Condition", {}), dict(request.context))
    )


def allowed(policy: list[dict], request: Request) -> bool:
    applicable = [s for s in policy if _applies(s, request)]
    return any(s["Effect"] == "Allow" for s in applicable) and not any(s["Effect"] == "Deny" for s in applicable)


# ---------------------------------------------------------------- enforcing it


@dataclass
class Enforcer:
    """A botocore 'before-parameter-build' handler (installed in BUILTIN_HANDLERS, so on every
    client): the call is the `active()` function's, checked against its policy."""

    policies: dict[str, list[dict]]
    active: Callable[[], str | None]
    denied: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _thread: threading.local = field(default_factory=threading.local)

    @contextlib.contextmanager
    def the_tests_own(self) -> Iterator[None]:
        """Calls a test makes itself from inside a function's invocation (a patched step that plays
        what time or another client does): not the function's, so not checked against its policy."""
        self._thread.outside = True
        try:
            yield
        finally:
            self._thread.outside = False

    def __call__(self, event_name: str, params: dict, context: dict | None = None, **_: Any) -> None:
        function = self.active()
        if function is None or getattr(self._thread, "outside", False) or (context or {}).get("is_presign_request"):
            return  # the test's own calls; a URL or POST policy signed here, not a call
        _, service, operation = event_name.split(".", 2)
        for request in requests_for(service, operation, params):
            if not allowed(self.policies[function], request):
                message = f"{function} may not {request.action} on {request.resource} (template.yaml: its Policies)"
                with self._lock:
                    self.denied.append(message)
                code = "AccessDeniedException" if service != "s3" else "AccessDenied"
                raise ClientError({"Error": {"Code": code, "Message": message}}, operation)

    def take_denied(self) -> list[str]:
        with self._lock:
            denied, self.denied = self.denied, []
        return denied


def describe(denied: list[str]) -> str:
    return json.dumps(sorted(set(denied)), indent=1)
