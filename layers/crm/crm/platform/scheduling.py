"""EventBridge Scheduler set up so that AWS fires exactly the runs the product computed.

Every run, one-off (a note's alert) or one occurrence of a series (a tenant's daily reorder alert,
its monthly billing run, a report subscription), is a one-time `at()` schedule in UTC that deletes
itself once it has invoked its target. Scheduler's own cron evaluation, and so its daylight-saving
rules (a cron time in the spring gap is skipped, which would lose a tenant's 02:30 run once a
year), never come into play: crm.platform.recurrence decides the instants.

A series is kept armed `LOOKAHEAD` occurrences ahead, each occurrence its own schedule named
`<series>.<instant>`. When an occurrence is delivered, its target calls `delivered()` first, which
arms the occurrences after it (creating a name that exists is a no-op, so a duplicate or retried
delivery re-arms the same ones) and tells the target which occurrence to act on, or that the
delivery is stale (the owner changed or cancelled the series since: do nothing).

The safety net, so a failed re-arm never silently stops a series: (1) with two occurrences armed
ahead, an occurrence whose re-arm failed is followed by one already armed, which re-arms its own
successors when it runs; (2) a re-arm that fails raises, so the target's invocation fails and
Lambda's asynchronous retries (two more attempts) run it again; (3) when those fail too, the event
lands in the function's on-failure queue, whose depth alarm pages someone (template.yaml). A
series stops only if every delivery fails for two occurrences in a row, each time with an alarm.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from crm.platform import aws, clock, settings

if TYPE_CHECKING:
    from crm.platform.recurrence import Recurrence

LOOKAHEAD = 2  # occurrences of a series kept armed: one failed re-arm loses nothing
# Scheduler retries a delivery it could not hand to Lambda for up to a day; the targets are idempotent.
RETRY_POLICY = {"MaximumEventAgeInSeconds": 86400, "MaximumRetryAttempts": 20}
# An `at()` closer than this to now might already be past when Scheduler reads it: not armed (the
# occurrence before it, still armed, covers the series).
MIN_LEAD = timedelta(seconds=5)
_SERIES = re.compile(r"^[0-9A-Za-z_-]{1,48}$")  # + "." + 14-character instant <= Scheduler's 64


@dataclass(frozen=True)
class ScheduleTarget:
    """The function a schedule invokes, the role Scheduler assumes to do it, the schedule group,
    and the SQS queue Scheduler sends an event to when it gives up delivering it."""

    function_arn: str
    role_arn: str
    group: str
    dead_letter_arn: str | None = None


@dataclass(frozen=True)
class Occurrence:
    """One delivered run of a series: act on it once, keyed by (series, at)."""

    series: str
    at: datetime  # the UTC instant it was computed for (not when it was delivered)
    detail: dict[str, Any]


def series_id(*parts: str) -> str:
    """A series name from its owner's parts ("reorder", tenant): readable when it fits Scheduler's
    name rules, else a digest of them (same parts, same name)."""
    name = "-".join(parts)
    if _SERIES.match(name):
        return name
    return f"{re.sub(r'[^0-9A-Za-z_-]', '', parts[0])[:15]}-{hashlib.sha256(name.encode()).hexdigest()[:32]}"


# ---------------------------------------------------------------- one-off runs


def schedule_once(name: str, at: datetime, target_arn: str, role_arn: str, group: str, payload: dict) -> None:
    """Invoke `target_arn` with `payload` once at `at`; the schedule deletes itself afterwards.

    Creating the same name twice is a no-op, so a retried request does not fail.
    """
    # Scheduler gives up after RETRY_POLICY, then leaves the event in the dead-letter queue (an alarm).
    _create_at(name, at, ScheduleTarget(target_arn, role_arn, group, settings.schedules_dead_letter_arn()), payload)


def cancel(name: str, group: str) -> None:
    try:
        aws.client("scheduler").delete_schedule(Name=name, GroupName=group)
    except ClientError as e:
        if e.response["Error"]["Code"] != "ResourceNotFoundException":
            raise


# ---------------------------------------------------------------- series


def arm(
    series: str, recurrence: Recurrence, target: ScheduleTarget, detail: dict[str, Any], *, after: datetime | None = None
) -> list[datetime]:
    """Make sure the next LOOKAHEAD occurrences after `after` (default: now) are armed; returns them.

    Idempotent: call it when the owner creates the series, and (through `delivered`) on every run.
    `detail` travels in every occurrence's event: ids only (a tenant, a subscription), never
    personal data, and nothing the owner may change (read that from the owner's item when it runs).
    """
    if not _SERIES.match(series):
        raise ValueError(f"series name {series!r} does not fit Scheduler's names: build it with series_id()")
    now = clock.now()
    start = max(after or now, now + MIN_LEAD)
    armed = []
    for instant in recurrence.occurrences(start):
        payload = {"series": series, "occurrence": _instant_text(instant), "detail": detail}
        _create_at(f"{series}.{instant:%Y%m%dT%H%M}Z", instant, target, payload)
        armed.append(instant)
        if len(armed) == LOOKAHEAD:
            break
    return armed


def disarm(series: str, group: str) -> int:
    """Delete every armed occurrence of a series (its owner deleted it, or changes it: then `arm`
    the new one). Returns how many were deleted."""
    scheduler = aws.client("scheduler")
    names = [
        s["Name"]
        for page in scheduler.get_paginator("list_schedules").paginate(GroupName=group, NamePrefix=f"{series}.")
        for s in page.get("Schedules", [])
    ]
    for name in names:
        cancel(name, group)
    return len(names)


def replace(series: str, recurrence: Recurrence, target: ScheduleTarget, detail: dict[str, Any]) -> list[datetime]:
    """The owner changed its series: the armed occurrences go, the new ones are armed. Save the new
    recurrence first: a delivery of an old occurrence already in flight is then told it is stale by
    `delivered` (unless the new series runs at that instant too, when it is the new series' run)."""
    disarm(series, target.group)
    return arm(series, recurrence, target, detail)


def delivered(event: dict[str, Any], current: Recurrence | None, target: ScheduleTarget) -> Occurrence | None:
    """What the target of a series calls first when Scheduler invokes it.

    `current` is the owner's series as stored now (None if it was deleted). Returns the occurrence
    to act on, after arming the ones that follow it; or None when the delivery is stale (the series
    is gone, or no longer runs at that instant), in which case nothing is armed and nothing should
    be done. Raises ValueError for an event that is not a series delivery. A failure to re-arm
    raises, so the invocation fails and is retried (see the module's docstring).
    """
    try:
        occurrence = Occurrence(str(event["series"]), _parse_instant(event["occurrence"]), dict(event.get("detail") or {}))
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"not a delivery of a scheduled series: {exc}") from exc
    if current is None or not current.is_occurrence(occurrence.at):
        return None
    arm(occurrence.series, current, target, occurrence.detail, after=occurrence.at)
    return occurrence


# ---------------------------------------------------------------- the one `at()` builder


def _create_at(name: str, at: datetime, target: ScheduleTarget, payload: dict[str, Any]) -> None:
    target_config: dict[str, Any] = {
        "Arn": target.function_arn,
        "RoleArn": target.role_arn,
        "Input": json.dumps(payload),
        "RetryPolicy": RETRY_POLICY,
    }
    if target.dead_letter_arn:
        target_config["DeadLetterConfig"] = {"Arn": target.dead_letter_arn}
    try:
        aws.client("scheduler").create_schedule(
            Name=name,
            GroupName=target.group,
            ScheduleExpression=f"at({at.astimezone(UTC):%Y-%m-%dT%H:%M:%S})",
            ScheduleExpressionTimezone="UTC",
            FlexibleTimeWindow={"Mode": "OFF"},
            ActionAfterCompletion="DELETE",
            Target=target_config,
        )
    except ClientError as e:
        if e.response["Error"]["Code"] != "ConflictException":  # armed already: the same run
            raise


def _instant_text(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_instant(text: Any) -> datetime:
    instant = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    if instant.tzinfo is None:
        raise ValueError("the occurrence has no time zone")
    return instant.astimezone(UTC)
