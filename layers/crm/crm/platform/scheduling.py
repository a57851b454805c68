"""One-off EventBridge Scheduler schedules (e.g. a note's alert)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from botocore.exceptions import ClientError

from crm.platform import aws, settings


def schedule_once(name: str, at: datetime, target_arn: str, role_arn: str, group: str, payload: dict) -> None:
    """Invoke `target_arn` with `payload` once at `at`; the schedule deletes itself afterwards.

    Creating the same name twice is a no-op, so a retried request does not fail.
    """
    try:
        aws.client("scheduler").create_schedule(
            Name=name,
            GroupName=group,
            ScheduleExpression=f"at({at.astimezone(UTC):%Y-%m-%dT%H:%M:%S})",
            ScheduleExpressionTimezone="UTC",
            FlexibleTimeWindow={"Mode": "OFF"},
            ActionAfterCompletion="DELETE",
            Target={
                "Arn": target_arn,
                "RoleArn": role_arn,
                "Input": json.dumps(payload),
                # Scheduler retries a failed delivery for up to a day (the target is idempotent),
                # then leaves the event in the dead-letter queue, whose depth raises an alarm.
                "RetryPolicy": {"MaximumEventAgeInSeconds": 86400, "MaximumRetryAttempts": 20},
                "DeadLetterConfig": {"Arn": settings.schedules_dead_letter_arn()},
            },
        )
    except ClientError as e:
        if e.response["Error"]["Code"] != "ConflictException":
            raise


def cancel(name: str, group: str) -> None:
    try:
        aws.client("scheduler").delete_schedule(Name=name, GroupName=group)
    except ClientError as e:
        if e.response["Error"]["Code"] != "ResourceNotFoundException":
            raise
