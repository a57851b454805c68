"""How the local scheduler hands one occurrence to its target, as EventBridge Scheduler does.

A Lambda target is invoked asynchronously: once Lambda accepts the event, Scheduler's part is done
(the function's own errors are Lambda's, infra/lambda_async.py). What is Scheduler's is a failed
invocation: a target that does not exist is not retried; an Invoke that Lambda refuses (its 429,
which tests inject: no local function reaches the request-rate quota) is retried with exponential
backoff until the target's RetryPolicy runs out (MaximumRetryAttempts, MaximumEventAgeInSeconds).
Either way the event then goes to the target's DeadLetterConfig queue, as the User Guide's
"Configuring a dead-letter queue" describes its dead-letter event: the target's input as the body,
ERROR_CODE, ERROR_MESSAGE, EXECUTION_ID, EXHAUSTED_RETRY_CONDITION, RETRY_ATTEMPTS,
SCHEDULED_TIME, SCHEDULE_ARN and TARGET_ARN as attributes.

A delivery is a JSON-ready dict (`delivery()`), so the pending retries survive a restart in the
runner's state file.
"""

from __future__ import annotations

import json
import logging
import uuid
from datetime import UTC, datetime
from typing import Any

from infra import template as tpl
from infra.lambda_async import AsyncInvocations, send_to_queue
from infra.lambdas import FunctionRegistry
from infra.scheduler_schedules import ScheduleInfo

log = logging.getLogger(__name__)

MAX_BACKOFF_S = 60
DEFAULT_RETRY_POLICY = {"MaximumEventAgeInSeconds": 86400, "MaximumRetryAttempts": 185}


def delivery(info: ScheduleInfo, occurrence: datetime, one_off: bool) -> dict:
    """One occurrence on its way to the target, with all Scheduler needs to retry it later."""
    return {
        "key": info.key,
        "source": info.source,
        "name": info.name,
        "group": info.group,
        "schedule_arn": info.arn,
        "target": info.function or info.target_arn,
        "input": info.input,
        "template_type": info.template_type,
        "occurrence": occurrence.astimezone(UTC).timestamp(),
        "retry_policy": info.retry_policy or DEFAULT_RETRY_POLICY,
        "dead_letter_arn": info.dead_letter_arn,
        "delete_after": info.action_after_completion if one_off else None,
        "retries": 0,
        "retry_at": 0,
    }


class SchedulerDelivery:
    def __init__(self, scheduler: Any, functions: FunctionRegistry, lambda_: AsyncInvocations, sqs: Any, pending: list[dict]):
        self._scheduler = scheduler
        self._functions = functions
        self._lambda = lambda_
        self._sqs = sqs
        self.pending = pending  # deliveries waiting for a retry (persisted by the runner)
        self.throttled_invoke_api: set[str] = set()  # logical ids whose Invoke answers 429 (tests inject it)
        self.accepted = 0  # events Lambda accepted (for the snapshotter and tests)

    def attempt(self, delivery: dict, now: datetime) -> bool:
        """Scheduler invokes the target (asynchronously); True if Lambda accepted the event."""
        fn = self._functions.find(delivery["target"]) if delivery["target"] else None
        if fn is None:  # as EventBridge documents for a target that no longer exists: not retried
            self._dead_letter(delivery, "ResourceNotFoundException", f"Function not found: {delivery['target']}", None)
            return False
        if fn.logical_id in self.throttled_invoke_api:
            self._retry_or_dead_letter(delivery, now, "TooManyRequestsException", "Rate Exceeded.")
            return False
        self._lambda.invoke(fn, event(delivery), now)
        self.accepted += 1
        log.info("schedule %s invoked %s", delivery["name"], fn.logical_id)
        self.completed(delivery["source"], delivery["name"], delivery["group"], delivery["delete_after"])
        return True

    def retry_due(self, now: datetime) -> list[str]:
        """Attempt the pending deliveries whose backoff is over; the keys of those accepted."""
        accepted = []
        for pending in [d for d in self.pending if d["retry_at"] <= now.timestamp()]:
            self.pending.remove(pending)
            if self.attempt(pending, now):
                accepted.append(pending["key"])
        return accepted

    def completed(self, source: str, name: str, group: str | None, action: str | None) -> None:
        """The occurrence is done (delivered, or dead-lettered): ActionAfterCompletion DELETE."""
        if source != "scheduler" or (action or "").upper() != "DELETE":
            return
        try:
            self._scheduler.delete_schedule(Name=name, GroupName=group)
            log.info("schedule %s/%s completed and was deleted (ActionAfterCompletion=DELETE)", group, name)
        except self._scheduler.exceptions.ResourceNotFoundException:
            pass

    def _retry_or_dead_letter(self, delivery: dict, now: datetime, code: str, message: str) -> None:
        policy = delivery["retry_policy"]
        backoff = min(2 ** delivery["retries"], MAX_BACKOFF_S)
        if delivery["retries"] >= policy.get("MaximumRetryAttempts", 185):
            self._dead_letter(delivery, code, message, "MaximumRetryAttempts")
        elif now.timestamp() + backoff - delivery["occurrence"] > policy.get("MaximumEventAgeInSeconds", 86400):
            self._dead_letter(delivery, code, message, "MaximumEventAgeInSeconds")
        else:
            delivery["retries"] += 1
            delivery["retry_at"] = now.timestamp() + backoff
            log.warning("schedule %s: %s (retry %s in %ss)", delivery["name"], code, delivery["retries"], backoff)
            self.pending.append(delivery)

    def _dead_letter(self, delivery: dict, code: str, message: str, exhausted: str | None) -> None:
        attributes = {
            "ERROR_CODE": code,
            "ERROR_MESSAGE": message,
            "EXECUTION_ID": uuid.uuid4().hex[:16],
            "IS_PAYLOAD_TRUNCATED": "false",
            "RETRY_ATTEMPTS": str(delivery["retries"]),
            "SCHEDULED_TIME": _scheduled_time(delivery),
            "SCHEDULE_ARN": delivery["schedule_arn"],
            "TARGET_ARN": str(delivery["target"]),
        } | ({"EXHAUSTED_RETRY_CONDITION": exhausted} if exhausted else {})
        arn = delivery["dead_letter_arn"]
        body = delivery["input"] or "{}"
        sent = bool(
            arn and self._sqs is not None and send_to_queue(self._sqs, arn, body, {k: ("String", v) for k, v in attributes.items()})
        )
        log.error(
            "schedule %s: %s (%s); the event %s",
            delivery["name"],
            code,
            message,
            f"went to {arn}" if sent else "is dropped (no DeadLetterConfig)",
        )
        self.completed(delivery["source"], delivery["name"], delivery["group"], delivery["delete_after"])


def _scheduled_time(delivery: dict) -> str:
    return datetime.fromtimestamp(delivery["occurrence"], UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def event(delivery: dict) -> Any:
    """What the function receives: the Input with its context attributes filled in (parsed when it
    is JSON); without an Input, EventBridge's "Scheduled Event" for SAM's schedule events, else {}."""
    if delivery["input"] is not None:
        text = delivery["input"]
        for attribute, value in {
            "schedule-arn": delivery["schedule_arn"],
            "scheduled-time": _scheduled_time(delivery),
            "execution-id": uuid.uuid4().hex[:16],
            "attempt-number": str(delivery["retries"] + 1),
        }.items():
            text = text.replace(f"<aws.scheduler.{attribute}>", value)
        try:
            return json.loads(text)
        except ValueError:
            return text
    if delivery["source"] == "template":
        return {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "Scheduled Event",
            "source": "aws.events" if delivery["template_type"] == "Schedule" else "aws.scheduler",
            "account": tpl.ACCOUNT,
            "time": _scheduled_time(delivery),
            "region": tpl.REGION,
            "resources": [delivery["schedule_arn"]],
            "detail": {},
        }
    return {}
