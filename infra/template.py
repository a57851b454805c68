"""Reads template.yaml, the one truth for routes, functions, tables, buckets and schedules.

The local stack and the tests call these helpers so nothing describes a table or a route twice.
Intrinsics (!Ref, !GetAtt, !Sub) are resolved against local stand-ins for the physical names.
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "template.yaml"
REGION = "eu-west-1"
ACCOUNT = "123456789012"


class _CfnLoader(yaml.SafeLoader):
    """YAML loader that turns CloudFormation short tags into their long form."""


def _intrinsic(loader: yaml.Loader, tag_suffix: str, node: yaml.Node) -> dict:
    name = "Ref" if tag_suffix == "Ref" else f"Fn::{tag_suffix}"
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if tag_suffix == "GetAtt":
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {name: value}


_CfnLoader.add_multi_constructor("!", _intrinsic)


@lru_cache(maxsize=4)
def load(path: Path = TEMPLATE) -> dict:
    with open(path, encoding="utf-8") as f:
        return yaml.load(f, Loader=_CfnLoader)  # noqa: S506 - SafeLoader subclass


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # API Gateway form: /contacts/{contact_id}
    function: str  # logical id
    event: str


@dataclass(frozen=True)
class Function:
    logical_id: str
    code_uri: str
    handler: str
    environment: dict = field(default_factory=dict)  # raw, intrinsics unresolved
    layers: tuple[str, ...] = ()  # layer logical ids, the Globals' first (SAM prepends them to the function's own)


@dataclass(frozen=True)
class QueueEvent:
    """A function's SQS event (Lambda's event source mapping): it is invoked with the queue's messages."""

    function: str
    name: str
    queue: str  # the queue's logical id
    batch_size: int
    reports_failures: bool  # FunctionResponseTypes: [ReportBatchItemFailures]


@dataclass(frozen=True)
class ScheduleEvent:
    function: str
    name: str
    expression: str  # cron(...), rate(...) or at(...)
    input: str | None


def resources(kind: str, template: dict | None = None) -> dict[str, dict]:
    template = template or load()
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


def functions(template: dict | None = None) -> dict[str, Function]:
    template = template or load()
    globals_fn = template.get("Globals", {}).get("Function", {})
    global_env = globals_fn.get("Environment", {}).get("Variables", {})
    out = {}
    for logical_id, res in resources("AWS::Serverless::Function", template).items():
        props = res["Properties"]
        env = {**global_env, **props.get("Environment", {}).get("Variables", {})}
        layers = tuple(layer["Ref"] for layer in [*globals_fn.get("Layers", []), *props.get("Layers", [])])
        out[logical_id] = Function(logical_id, props["CodeUri"], props["Handler"], env, layers)
    return out


def routes(template: dict | None = None) -> list[Route]:
    template = template or load()
    out = []
    for logical_id, res in resources("AWS::Serverless::Function", template).items():
        for name, event in res["Properties"].get("Events", {}).items():
            if event["Type"] == "Api":
                p = event["Properties"]
                out.append(Route(p["Method"].upper(), p["Path"], logical_id, name))
    return out


def schedule_events(template: dict | None = None) -> list[ScheduleEvent]:
    template = template or load()
    out = []
    for logical_id, res in resources("AWS::Serverless::Function", template).items():
        for name, event in res["Properties"].get("Events", {}).items():
            if event["Type"] in ("Schedule", "ScheduleV2"):
                p = event["Properties"]
                out.append(
                    ScheduleEvent(logical_id, name, p["Schedule" if event["Type"] == "Schedule" else "ScheduleExpression"], p.get("Input"))
                )
    return out


def queue_events(template: dict | None = None) -> list[QueueEvent]:
    template = template or load()
    out = []
    for logical_id, res in resources("AWS::Serverless::Function", template).items():
        for name, event in res["Properties"].get("Events", {}).items():
            if event["Type"] == "SQS":
                p = event["Properties"]
                queue = p["Queue"]["Fn::GetAtt"][0]  # !GetAtt <Queue>.Arn
                reports = "ReportBatchItemFailures" in p.get("FunctionResponseTypes", [])
                out.append(QueueEvent(logical_id, name, queue, int(p.get("BatchSize", 10)), reports))
    return out


# ---------------------------------------------------------------- local physical names


def physical_names(template: dict | None = None, prefix: str = "crm-local") -> dict[str, str]:
    """Logical id -> the local physical name (Ref value) of every named resource."""
    template = template or load()
    names = {}
    for logical_id, res in template["Resources"].items():
        kind = res["Type"]
        if kind == "AWS::Serverless::Function" or kind in (
            "AWS::DynamoDB::Table",
            "AWS::Scheduler::ScheduleGroup",
            "AWS::Events::EventBus",
            "AWS::Events::Rule",
        ):
            names[logical_id] = f"{prefix}-{logical_id}"
        elif kind == "AWS::S3::Bucket":
            names[logical_id] = f"{prefix}-{logical_id}".lower()
        elif kind == "AWS::SQS::Queue":
            fifo = str(res.get("Properties", {}).get("FifoQueue", "")).lower() == "true"
            names[logical_id] = f"{prefix}-{logical_id}" + (".fifo" if fifo else "")
    return names


def _arn(kind: str, logical_id: str, name: str) -> str:
    if kind == "AWS::Serverless::Function":
        return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"
    if kind == "AWS::IAM::Role":
        return f"arn:aws:iam::{ACCOUNT}:role/{name}"
    if kind == "AWS::S3::Bucket":
        return f"arn:aws:s3:::{name}"
    if kind == "AWS::DynamoDB::Table":
        return f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{name}"
    if kind == "AWS::Events::EventBus":
        return f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/{name}"
    if kind == "AWS::Events::Rule":
        return f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{name}"
    if kind == "AWS::SQS::Queue":
        return f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}"
    if kind == "AWS::Cognito::UserPool":
        return f"arn:aws:cognito-idp:{REGION}:{ACCOUNT}:userpool/{name}"
    return f"arn:aws:local:{REGION}:{ACCOUNT}:{logical_id}/{name}"


PSEUDO = {"AWS::Region": REGION, "AWS::AccountId": ACCOUNT, "AWS::Partition": "aws", "AWS::URLSuffix": "amazonaws.com"}
NO_VALUE = object()  # what Ref AWS::NoValue resolves to: the key or item holding it is dropped


def resolve(value: Any, refs: dict[str, str], template: dict | None = None) -> Any:
    """Resolve Ref/GetAtt/Sub/If/Select/Split/Join against `refs` (logical id or parameter -> value)
    and the template's Conditions."""
    template = template or load()
    if isinstance(value, dict) and len(value) == 1:
        ((key, arg),) = value.items()
        if key == "Ref":
            return NO_VALUE if arg == "AWS::NoValue" else PSEUDO.get(arg, refs.get(arg, arg))
        if key == "Fn::GetAtt":
            logical_id, attr = arg if isinstance(arg, list) else arg.split(".", 1)
            name = refs.get(logical_id, logical_id)
            if attr == "Arn":
                return _arn(template["Resources"][logical_id]["Type"], logical_id, name)
            return name
        if key == "Fn::Sub":
            text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], resolve(arg[1], refs, template))

            def sub(m: re.Match) -> str:
                ref = m.group(1)
                if ref in variables:
                    return str(variables[ref])
                if "." in ref:
                    return resolve({"Fn::GetAtt": ref.split(".", 1)}, refs, template)
                return str(PSEUDO.get(ref, refs.get(ref, ref)))

            return re.sub(r"\$\{([^}!][^}]*)\}", sub, text)
        if key == "Fn::If":
            name, then, otherwise = arg
            return resolve(then if condition(name, refs, template) else otherwise, refs, template)
        if key == "Fn::Select":
            index, items = resolve(arg, refs, template)
            return items[int(index)]
        if key == "Fn::Split":
            separator, text = resolve(arg, refs, template)
            return text.split(separator)
        if key == "Fn::Join":
            separator, items = resolve(arg, refs, template)
            return separator.join(str(i) for i in items)
    if isinstance(value, dict):
        resolved = {k: resolve(v, refs, template) for k, v in value.items()}
        return {k: v for k, v in resolved.items() if v is not NO_VALUE}
    if isinstance(value, list):
        return [v for v in (resolve(v, refs, template) for v in value) if v is not NO_VALUE]
    return value


def condition(name: str, refs: dict[str, str], template: dict | None = None) -> bool:
    """A condition of the template's Conditions section, evaluated with `refs`."""
    template = template or load()

    def evaluate(expression: Any) -> Any:
        if isinstance(expression, dict) and len(expression) == 1:
            ((key, arg),) = expression.items()
            if key == "Condition":
                return condition(arg, refs, template)
            if key == "Fn::Equals":
                left, right = (evaluate(a) for a in arg)
                return str(left) == str(right)
            if key == "Fn::Not":
                return not evaluate(arg[0])
            if key == "Fn::And":
                return all(evaluate(a) for a in arg)
            if key == "Fn::Or":
                return any(evaluate(a) for a in arg)
        return resolve(expression, refs, template)

    return bool(evaluate(template.get("Conditions", {})[name]))


def local_refs(parameters: dict[str, str] | None = None, template: dict | None = None) -> dict[str, str]:
    template = template or load()
    refs = {name: str(p.get("Default", "")) for name, p in template.get("Parameters", {}).items()}
    refs.update(parameters or {})
    refs.update(physical_names(template))
    return refs


def function_environment(logical_id: str, refs: dict[str, str], template: dict | None = None) -> dict[str, str]:
    fn = functions(template)[logical_id]
    return {k: str(resolve(v, refs, template)) for k, v in fn.environment.items()}


# ---------------------------------------------------------------- creating resources


def create_tables(dynamodb, refs: dict[str, str], template: dict | None = None) -> list[str]:
    """Create every AWS::DynamoDB::Table of the template; return their names."""
    template = template or load()
    created = []
    for logical_id, res in resources("AWS::DynamoDB::Table", template).items():
        props = res["Properties"]
        name = refs[logical_id]
        args = {
            "TableName": name,
            "KeySchema": props["KeySchema"],
            "AttributeDefinitions": props["AttributeDefinitions"],
            "BillingMode": props.get("BillingMode", "PAY_PER_REQUEST"),
        }
        if props.get("GlobalSecondaryIndexes"):
            args["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
        dynamodb.create_table(**args)
        ttl = props.get("TimeToLiveSpecification")
        if ttl and ttl.get("Enabled"):
            dynamodb.update_time_to_live(TableName=name, TimeToLiveSpecification={"AttributeName": ttl["AttributeName"], "Enabled": True})
        created.append(name)
    return created


def create_buckets(s3, refs: dict[str, str], template: dict | None = None) -> list[str]:
    template = template or load()
    created = []
    for logical_id, res in resources("AWS::S3::Bucket", template).items():
        name = refs[logical_id]
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
        cors = resolve(res["Properties"].get("CorsConfiguration"), refs, template)
        if cors:  # CloudFormation spells the S3 API's CORS shape differently
            rules = [{("MaxAgeSeconds" if k == "MaxAge" else k): v for k, v in rule.items() if k != "Id"} for rule in cors["CorsRules"]]
            s3.put_bucket_cors(Bucket=name, CORSConfiguration={"CORSRules": rules})
        created.append(name)
    return created


def create_schedule_groups(scheduler, refs: dict[str, str], template: dict | None = None) -> list[str]:
    template = template or load()
    created = []
    for logical_id in resources("AWS::Scheduler::ScheduleGroup", template):
        scheduler.create_schedule_group(Name=refs[logical_id])
        created.append(refs[logical_id])
    return created


_QUEUE_ATTRIBUTES = ("DelaySeconds", "MessageRetentionPeriod", "VisibilityTimeout", "ReceiveMessageWaitTimeSeconds", "FifoQueue")


def create_queues(sqs, refs: dict[str, str], template: dict | None = None) -> list[str]:
    """Create every AWS::SQS::Queue of the template under its local name, with its attributes
    (a RedrivePolicy's dead-letter queue first, so its ARN exists)."""
    template = template or load()
    queues = resources("AWS::SQS::Queue", template)
    ordered = sorted(queues, key=lambda logical_id: "RedrivePolicy" in queues[logical_id].get("Properties", {}))
    created = []
    for logical_id in ordered:
        props = resolve(queues[logical_id].get("Properties", {}), refs, template)
        attributes = {k: str(props[k]).lower() if isinstance(props[k], bool) else str(props[k]) for k in _QUEUE_ATTRIBUTES if k in props}
        if "RedrivePolicy" in props:
            attributes["RedrivePolicy"] = json.dumps(props["RedrivePolicy"])
        sqs.create_queue(QueueName=refs[logical_id], Attributes=attributes)
        created.append(refs[logical_id])
    return created


def create_event_buses(events, refs: dict[str, str], template: dict | None = None) -> list[str]:
    """Create every AWS::Events::EventBus of the template under its local name (its Ref)."""
    template = template or load()
    created = []
    for logical_id in resources("AWS::Events::EventBus", template):
        name = refs.get(logical_id, logical_id)
        events.create_event_bus(Name=name)
        created.append(name)
    return created


_TARGET_FIELDS = ("Id", "Arn", "RetryPolicy", "DeadLetterConfig")


def create_rules(events, refs: dict[str, str], template: dict | None = None) -> list[str]:
    """Create the template's AWS::Events::Rule resources on their buses, with their targets (moto's
    EventBridge matches their patterns and delivers to SQS targets, as AWS does)."""
    template = template or load()
    created = []
    for logical_id, res in resources("AWS::Events::Rule", template).items():
        props = resolve(res["Properties"], refs, template)
        name, bus = refs[logical_id], props.get("EventBusName", "default")
        events.put_rule(Name=name, EventBusName=bus, EventPattern=json.dumps(props["EventPattern"]), State=props.get("State", "ENABLED"))
        events.put_targets(
            Rule=name, EventBusName=bus, Targets=[{k: t[k] for k in _TARGET_FIELDS if k in t} for t in props.get("Targets", [])]
        )
        created.append(name)
    return created


def create_ssm_parameters(ssm, refs: dict[str, str], template: dict | None = None) -> list[str]:
    """Create the template's AWS::SSM::Parameter resources, with their values resolved locally."""
    template = template or load()
    created = []
    for res in resources("AWS::SSM::Parameter", template).values():
        props = resolve(res["Properties"], refs, template)
        ssm.put_parameter(Name=props["Name"], Value=props["Value"], Type=props.get("Type", "String"), Overwrite=True)
        created.append(props["Name"])
    return created


def secure_parameters(refs: dict[str, str], template: dict | None = None) -> dict[str, str]:
    """The SecureString parameters the template's Metadata says must exist before a deploy: the
    name of each one's local value -> the parameter's name."""
    template = template or load()
    declared = template.get("Metadata", {}).get("SecureParameters", {})
    return {key: resolve(spec["Name"], refs, template) for key, spec in declared.items()}


def create_secure_parameters(ssm, refs: dict[str, str], template: dict | None = None) -> list[str]:
    """Create them in moto's SSM, each with the value `refs` holds under its key (the local stack
    keeps one per state directory), else a random one."""
    created = []
    for key, name in secure_parameters(refs, template).items():
        value = refs.get(key) or secrets.token_urlsafe(48)
        ssm.put_parameter(Name=name, Value=value, Type="SecureString", Overwrite=True)
        created.append(name)
    return created


def create_backing_resources(make_client, refs: dict[str, str], template: dict | None = None) -> dict[str, list[str]]:
    """Everything the functions write to, on whatever moto `make_client(service)` reaches: tables,
    buckets, schedule groups, event buses with their rules, SQS queues, SSM parameters (secure
    ones too), and the verified SES sender. (The local stack adds user pools and event watchers;
    the tests and benchmarks need only these.)"""
    template = template or load()
    created = {
        "tables": create_tables(make_client("dynamodb"), refs, template),
        "buckets": create_buckets(make_client("s3"), refs, template),
        "schedule_groups": create_schedule_groups(make_client("scheduler"), refs, template),
        "event_buses": create_event_buses(make_client("events"), refs, template),
        "queues": create_queues(make_client("sqs"), refs, template),
        "rules": create_rules(make_client("events"), refs, template),
        "ssm_parameters": create_ssm_parameters(make_client("ssm"), refs, template)
        + create_secure_parameters(make_client("ssm"), refs, template),
    }
    if refs.get("MailFrom"):
        make_client("ses").verify_email_identity(EmailAddress=refs["MailFrom"])
    return created
