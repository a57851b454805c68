"""Lambda's asynchronous invocation, locally: the internal event queue, its retries and where a
failed event ends. EventBridge Scheduler invokes a Lambda target this way, so the scheduler runner
hands accepted events here rather than calling the handler and retrying itself.

As the Lambda Developer Guide documents it ("How Lambda handles errors and retries with
asynchronous invocation", "Capturing records of Lambda asynchronous invocations"):

* a function error (the handler raises, or its module cannot be loaded) is retried
  MaximumRetryAttempts times (0-2, default 2), one minute after the first attempt and two minutes
  after the second;
* a throttled function (ReservedConcurrentExecutions: 0 in the template) is not an error: the
  event goes back to the queue and is tried again with exponential backoff (1 s doubling to
  5 minutes) until MaximumEventAgeInSeconds (60-21600, default 6 hours);
* an event that is still in the queue after MaximumEventAgeInSeconds, or whose retries are
  exhausted, goes to the function's OnFailure destination (an invocation record, condition
  EventAgeExceeded or RetriesExhausted) and to its DeadLetterQueue (the event itself, with
  RequestID, ErrorCode and ErrorMessage attributes), either or both; with neither it is dropped.
  A success goes to the OnSuccess destination if there is one.

The settings come from template.yaml: a function's EventInvokeConfig, DeadLetterQueue and
ReservedConcurrentExecutions (with the Globals), or an AWS::Lambda::EventInvokeConfig resource.
Only SQS destinations are delivered; another kind is logged as not emulated. Time is whatever
`now` the caller passes (the runner's clock), so tests never wait.
"""

from __future__ import annotations

import json
import logging
import traceback
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from infra import template as tpl
from infra.lambda_instances import FunctionError
from infra.lambdas import FunctionRegistry, LocalFunction

log = logging.getLogger(__name__)

RETRY_DELAYS_S = (60, 120)  # before the first and the second retry of a function error
MAX_THROTTLE_BACKOFF_S = 300


@dataclass(frozen=True)
class AsyncConfig:
    max_retries: int = 2
    max_age_s: int = 21600
    on_success: str | None = None  # destination ARNs
    on_failure: str | None = None
    dead_letter: str | None = None
    reserved_concurrency: int | None = None


def _destination(config: dict, which: str) -> str | None:
    return ((config.get("DestinationConfig") or {}).get(which) or {}).get("Destination")


def async_configs(template: dict, refs: dict[str, str]) -> dict[str, AsyncConfig]:
    """Each function's asynchronous invocation settings, by logical id, resolved locally."""
    global_props = template.get("Globals", {}).get("Function", {})
    explicit = {}
    for res in tpl.resources("AWS::Lambda::EventInvokeConfig", template).values():
        props = res["Properties"]
        name = props["FunctionName"]
        logical_id = name.get("Ref") if isinstance(name, dict) else name
        explicit[logical_id] = props
    out = {}
    for logical_id, res in tpl.resources("AWS::Serverless::Function", template).items():
        props = {**global_props, **res["Properties"]}
        invoke = tpl.resolve(explicit.get(logical_id) or props.get("EventInvokeConfig") or {}, refs, template)
        dlq = tpl.resolve(props.get("DeadLetterQueue") or {}, refs, template)
        reserved = props.get("ReservedConcurrentExecutions")
        out[logical_id] = AsyncConfig(
            max_retries=int(invoke.get("MaximumRetryAttempts", 2)),
            max_age_s=int(invoke.get("MaximumEventAgeInSeconds", 21600)),
            on_success=_destination(invoke, "OnSuccess"),
            on_failure=_destination(invoke, "OnFailure"),
            dead_letter=dlq.get("TargetArn"),
            reserved_concurrency=None if reserved is None else int(reserved),
        )
    return out


def send_to_queue(sqs: Any, arn: str, body: str, attributes: dict[str, tuple[str, str]]) -> bool:
    """SendMessage to the SQS queue `arn` names; attributes: name -> (DataType, value). False (and
    logged) if it is not a queue of this stack: the message is then lost, as it would be in AWS."""
    if not arn.startswith("arn:aws:sqs:"):
        log.error("%s is not an SQS queue: destinations other than SQS are not emulated locally", arn)
        return False
    try:
        url = sqs.get_queue_url(QueueName=arn.rsplit(":", 1)[1])["QueueUrl"]
        sqs.send_message(
            QueueUrl=url,
            MessageBody=body,
            MessageAttributes={k: {"DataType": t, "StringValue": v} for k, (t, v) in attributes.items()},
        )
        return True
    except Exception:
        log.exception("could not send to the queue %s", arn)
        return False


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class AsyncInvocations:
    """The asynchronous event queue of every function. `queue` is a list of JSON-ready records the
    owner persists (the scheduler runner keeps it in its state file, so a restart loses nothing)."""

    def __init__(self, functions: FunctionRegistry, configs: dict[str, AsyncConfig], sqs: Any, queue: list[dict]):
        self._functions = functions
        self._configs = configs
        self._sqs = sqs
        self.queue = queue

    def invoke(self, fn: LocalFunction, event: Any, now: datetime) -> str:
        """Invoke with InvocationType=Event: the event is queued and the request id returned at
        once; `process` runs it (the caller runs it in the same tick)."""
        request_id = str(uuid.uuid4())
        ts = now.timestamp()
        self.queue.append(
            {"request_id": request_id, "function": fn.logical_id, "event": event, "enqueued": ts, "due": ts, "attempts": 0, "throttles": 0}
        )
        return request_id

    def process(self, now: datetime) -> int:
        """Run every queued event that is due; returns how many attempts ran."""
        ts, ran = now.timestamp(), 0
        for record in sorted([r for r in self.queue if r["due"] <= ts], key=lambda r: r["due"]):
            fn = self._functions.find(record["function"])
            config = self._configs.get(record["function"], AsyncConfig())
            if fn is None:  # a function the template no longer has (a state file from before)
                self.queue.remove(record)
            elif ts - record["enqueued"] > config.max_age_s:
                self._finish(record, config, "EventAgeExceeded", now)
            elif config.reserved_concurrency == 0:
                record["throttles"] += 1  # a throttle is no attempt: back in the queue
                record["due"] = ts + min(2 ** (record["throttles"] - 1), MAX_THROTTLE_BACKOFF_S)
            else:
                ran += 1
                self._attempt(fn, record, config, now)
        return ran

    def _attempt(self, fn: LocalFunction, record: dict, config: AsyncConfig, now: datetime) -> None:
        record["attempts"] += 1
        try:
            result = fn.invoke(record["event"])
        except Exception as exc:  # a function error, whatever the handler raised
            log.exception("%s failed on its asynchronous attempt %s (request %s)", fn.logical_id, record["attempts"], record["request_id"])
            record["error"] = (
                exc.payload  # the handler's own error, as its instance reported it
                if isinstance(exc, FunctionError)
                else {"errorMessage": str(exc), "errorType": type(exc).__name__, "stackTrace": traceback.format_tb(exc.__traceback__)[-5:]}
            )
            if record["attempts"] > config.max_retries:
                self._finish(record, config, "RetriesExhausted", now)
            else:
                record["due"] = now.timestamp() + RETRY_DELAYS_S[min(record["attempts"], len(RETRY_DELAYS_S)) - 1]
            return
        record.pop("error", None)
        record["result"] = result if _json_ready(result) else None
        self._finish(record, config, "Success", now)

    def _finish(self, record: dict, config: AsyncConfig, condition: str, now: datetime) -> None:
        self.queue.remove(record)
        fn = self._functions.find(record["function"])
        invocation = {
            "version": "1.0",
            "timestamp": _iso(now.timestamp()),
            "requestContext": {
                "requestId": record["request_id"],
                "functionArn": f"{fn.arn if fn else record['function']}:$LATEST",
                "condition": condition,
                "approximateInvokeCount": record["attempts"],
            },
            "requestPayload": record["event"],
        }
        if record["attempts"]:
            invocation["responseContext"] = {"statusCode": 200, "executedVersion": "$LATEST"}
            if "error" in record:
                invocation["responseContext"]["functionError"] = "Unhandled"
            invocation["responsePayload"] = record.get("error", record.get("result"))
        if condition == "Success":
            if config.on_success:
                send_to_queue(self._sqs, config.on_success, json.dumps(invocation), {})
            return
        sent = []
        if config.on_failure and send_to_queue(self._sqs, config.on_failure, json.dumps(invocation), {}):
            sent.append(config.on_failure)
        error = record.get("error") or {"errorMessage": f"{condition} (throttled {record['throttles']} times)"}
        attributes = {
            "RequestID": ("String", record["request_id"]),
            "ErrorCode": ("Number", "200" if record["attempts"] else "429"),
            "ErrorMessage": ("String", str(error.get("errorMessage", ""))[:1024] or condition),
        }
        if config.dead_letter and send_to_queue(self._sqs, config.dead_letter, json.dumps(record["event"]), attributes):
            sent.append(config.dead_letter)
        log.error(
            "%s: asynchronous event %s given up (%s after %s attempts): %s",
            record["function"],
            record["request_id"],
            condition,
            record["attempts"],
            f"sent to {', '.join(sent)}" if sent else "dropped (the function has no OnFailure destination or DeadLetterQueue)",
        )


def _json_ready(value: Any) -> bool:
    try:
        json.dumps(value)
        return True
    except (TypeError, ValueError):
        return False
