"""The schedules the local scheduler runner fires, read from moto's Scheduler and from template.yaml.

A `ScheduleInfo` holds what EventBridge Scheduler reads off a schedule: expression and time zone,
state, target and its input, RetryPolicy and DeadLetterConfig, FlexibleTimeWindow, StartDate,
EndDate and ActionAfterCompletion. Template schedules are SAM's Schedule (an EventBridge rule) and
ScheduleV2 (a Scheduler schedule) function events, and AWS::Scheduler::Schedule resources.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from infra import template as tpl


@dataclass
class ScheduleInfo:
    key: str  # scheduler:<group>/<name> or template:<Function>/<Event> (or template:<Resource>)
    source: str  # "scheduler" or "template"
    name: str
    group: str | None
    expression: str
    timezone: str = "UTC"
    enabled: bool = True
    target_arn: str | None = None
    function: str | None = None  # logical id, for template events
    input: str | None = None
    action_after_completion: str | None = None
    start_date: datetime | None = None
    end_date: datetime | None = None
    template_type: str | None = None  # Schedule or ScheduleV2
    retry_policy: dict | None = None  # Target.RetryPolicy
    dead_letter_arn: str | None = None  # Target.DeadLetterConfig.Arn
    flexible_window_min: int = 0  # FlexibleTimeWindow.MaximumWindowInMinutes when its Mode is FLEXIBLE

    @property
    def label(self) -> str:
        return f"{self.group}/{self.name}" if self.group else self.name

    @property
    def arn(self) -> str:
        if self.template_type == "Schedule":
            return f"arn:aws:events:{tpl.REGION}:{tpl.ACCOUNT}:rule/{self.name}"
        return f"arn:aws:scheduler:{tpl.REGION}:{tpl.ACCOUNT}:schedule/{self.group or 'default'}/{self.name}"


def parse_time(t: Any) -> datetime | None:
    """A time from boto3 (datetime), moto (epoch seconds) or the state file (ISO text), in UTC."""
    if t is None:
        return None
    if isinstance(t, (int, float)):
        return datetime.fromtimestamp(t, UTC)
    if isinstance(t, str):
        t = datetime.fromisoformat(t.replace("Z", "+00:00"))
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def flexible_offset(info: ScheduleInfo, occurrence: datetime) -> timedelta:
    """Where in its flexible window an occurrence is delivered: stable for the occurrence (a restart
    does not move it), spread over [0, MaximumWindowInMinutes) like Scheduler's."""
    if not info.flexible_window_min:
        return timedelta(0)
    digest = hashlib.sha256(f"{info.key}@{occurrence.timestamp()}".encode()).digest()
    return timedelta(seconds=int.from_bytes(digest[:4], "big") % (info.flexible_window_min * 60))


def _flexible_minutes(window: dict | None) -> int:
    window = window or {}
    return int(window.get("MaximumWindowInMinutes", 0)) if window.get("Mode") == "FLEXIBLE" else 0


def _json_text(value: Any) -> str | None:
    return value if value is None or isinstance(value, str) else json.dumps(value)


def _implicit_queue(function: str, event: str, dead_letter: dict) -> str | None:
    """SAM's DeadLetterConfig {Type: SQS}: the queue SAM creates (QueueLogicalId, or <Function><Event>Queue)."""
    if dead_letter.get("Arn") or dead_letter.get("Type") != "SQS":
        return None
    logical_id = dead_letter.get("QueueLogicalId") or f"{function}{event}Queue"
    return tpl.physical_names({"Resources": {logical_id: {"Type": "AWS::SQS::Queue"}}})[logical_id]


def implicit_queues(template: dict, refs: dict[str, str]) -> list[str]:
    """The queues SAM creates for the template's schedule events' DeadLetterConfig {Type: SQS}."""
    names = []
    for event in tpl.schedule_events(template):
        props = template["Resources"][event.function]["Properties"]["Events"][event.name]["Properties"]
        name = _implicit_queue(event.function, event.name, tpl.resolve(props.get("DeadLetterConfig") or {}, refs, template))
        if name:
            names.append(name)
    return names


def template_schedules(template: dict, refs: dict[str, str]) -> list[ScheduleInfo]:
    out = []
    for event in tpl.schedule_events(template):
        raw = template["Resources"][event.function]["Properties"]["Events"][event.name]
        props = tpl.resolve(raw["Properties"], refs, template)
        dead_letter = props.get("DeadLetterConfig") or {}
        implicit = _implicit_queue(event.function, event.name, dead_letter)
        if raw["Type"] == "Schedule":  # an EventBridge rule: UTC, Enabled or State
            enabled = props.get("Enabled", True) is not False and props.get("State", "ENABLED") != "DISABLED"
        else:
            enabled = props.get("State", "ENABLED") != "DISABLED"
        out.append(
            ScheduleInfo(
                key=f"template:{event.function}/{event.name}",
                source="template",
                name=props.get("Name") or f"{event.function}{event.name}",
                group=props.get("GroupName"),
                expression=event.expression,
                timezone=props.get("ScheduleExpressionTimezone", "UTC") if raw["Type"] == "ScheduleV2" else "UTC",
                enabled=enabled,
                function=event.function,
                input=_json_text(props.get("Input")),
                template_type=raw["Type"],
                retry_policy=props.get("RetryPolicy"),
                dead_letter_arn=dead_letter.get("Arn") or (f"arn:aws:sqs:{tpl.REGION}:{tpl.ACCOUNT}:{implicit}" if implicit else None),
                flexible_window_min=_flexible_minutes(props.get("FlexibleTimeWindow")),
                start_date=parse_time(props.get("StartDate")),
                end_date=parse_time(props.get("EndDate")),
            )
        )
    for logical_id, res in tpl.resources("AWS::Scheduler::Schedule", template).items():
        props = tpl.resolve(res["Properties"], refs, template)
        target = props.get("Target") or {}
        out.append(
            ScheduleInfo(
                key=f"template:{logical_id}",
                source="template",
                name=props.get("Name") or logical_id,
                group=props.get("GroupName"),
                expression=props["ScheduleExpression"],
                timezone=props.get("ScheduleExpressionTimezone", "UTC"),
                enabled=props.get("State", "ENABLED") != "DISABLED",
                target_arn=target.get("Arn"),
                input=_json_text(target.get("Input")),
                template_type="ScheduleV2",
                retry_policy=target.get("RetryPolicy"),
                dead_letter_arn=(target.get("DeadLetterConfig") or {}).get("Arn"),
                flexible_window_min=_flexible_minutes(props.get("FlexibleTimeWindow")),
                start_date=parse_time(props.get("StartDate")),
                end_date=parse_time(props.get("EndDate")),
            )
        )
    return out


def scheduler_schedules(scheduler: Any, details: dict[tuple[str, str], tuple[Any, dict]]) -> list[ScheduleInfo]:
    """Every schedule in moto's Scheduler (all groups). `details` caches GetSchedule answers by
    (group, name) until the schedule's LastModificationDate changes."""
    out = []
    seen = set()
    for page in scheduler.get_paginator("list_schedules").paginate():
        for item in page.get("Schedules", []):
            group, name = item.get("GroupName", "default"), item["Name"]
            seen.add((group, name))
            version = item.get("LastModificationDate") or item.get("CreationDate")
            cached = details.get((group, name))
            if cached is None or cached[0] != version or version is None:
                detail = scheduler.get_schedule(Name=name, GroupName=group)
                details[(group, name)] = (version, detail)
            else:
                detail = cached[1]
            target = detail.get("Target") or {}
            out.append(
                ScheduleInfo(
                    key=f"scheduler:{group}/{name}",
                    source="scheduler",
                    name=name,
                    group=group,
                    expression=detail["ScheduleExpression"],
                    timezone=detail.get("ScheduleExpressionTimezone") or "UTC",
                    enabled=(detail.get("State") or "ENABLED") == "ENABLED",
                    target_arn=target.get("Arn"),
                    input=target.get("Input"),
                    retry_policy=target.get("RetryPolicy"),
                    dead_letter_arn=(target.get("DeadLetterConfig") or {}).get("Arn"),
                    flexible_window_min=_flexible_minutes(detail.get("FlexibleTimeWindow")),
                    action_after_completion=detail.get("ActionAfterCompletion"),
                    start_date=parse_time(detail.get("StartDate")),
                    end_date=parse_time(detail.get("EndDate")),
                )
            )
    for gone in set(details) - seen:
        del details[gone]
    return out
