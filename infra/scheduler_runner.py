"""EventBridge Scheduler, locally: fires moto's schedules and the template's schedules as AWS does.

Every tick the runner lists the schedules in moto (all groups), the template's Schedule/ScheduleV2
function events and AWS::Scheduler::Schedule resources, and delivers each occurrence that is due.
It follows the EventBridge Scheduler User Guide rule by rule (each rule has a test in
tests/integration/test_local_scheduler_rules.py):

* occurrences: schedule_expressions.py (cron on the zone's wall clock, skipping the spring gap and
  running once in the autumn overlap; rate() as elapsed time from StartDate or first sight; at());
* StartDate / EndDate bound recurring schedules and are ignored by one-time ones;
* a FLEXIBLE time window delivers within MaximumWindowInMinutes after the scheduled time (a stable
  pseudo-random offset per occurrence);
* ActionAfterCompletion DELETE deletes a one-time schedule once its occurrence is done, and a
  recurring one after its last occurrence before its EndDate;
* a Lambda target is invoked asynchronously: the event goes to infra/lambda_async.py, where a
  function error is Lambda's to retry and to send to the function's failure destination. Only a
  failure of the invocation itself is Scheduler's: the target does not exist (not retried), or
  the Invoke API refuses it (retried with exponential backoff within the target's RetryPolicy);
  then the event goes to the target's DeadLetterConfig queue with Scheduler's attributes;
* context attributes (<aws.scheduler.scheduled-time> ...) in the Input are filled in;
* occurrences missed while the stack was stopped (or when the clock is moved on) are each
  delivered, oldest first, except those older than the RetryPolicy's MaximumEventAgeInSeconds,
  which Scheduler would have dropped.

Time is `clock()` (tests and POST /_local/clock move it; nothing sleeps through real time). What
fired when, the pending Scheduler retries and Lambda's asynchronous queue are kept in
`<state dir>/scheduler_runner.json`, written after every tick that changed them.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from infra import template as tpl
from infra.lambda_async import AsyncInvocations, async_configs
from infra.lambdas import FunctionRegistry
from infra.schedule_expressions import ScheduleExpression, parse
from infra.scheduler_delivery import DEFAULT_RETRY_POLICY, SchedulerDelivery, delivery, event
from infra.scheduler_schedules import ScheduleInfo, flexible_offset, implicit_queues, parse_time, scheduler_schedules, template_schedules

log = logging.getLogger(__name__)

MAX_CATCH_UP = 100  # occurrences of one schedule delivered per tick (the rest on the next ticks)


class UnknownSchedule(KeyError):
    pass


class FireFailed(RuntimeError):
    pass


def _iso(t: datetime | None) -> str | None:
    return t.astimezone(UTC).isoformat() if t else None


class SchedulerRunner:
    def __init__(
        self,
        scheduler_client: Any,
        functions: FunctionRegistry,
        template: dict,
        state_file: Path | None,
        interval: float = 1.0,
        clock: Callable[[], datetime] | None = None,
        *,
        sqs_client: Any = None,
        refs: dict[str, str] | None = None,
    ):
        refs = refs or tpl.local_refs(template=template)
        self._scheduler = scheduler_client
        self._functions = functions
        self._template_schedules = template_schedules(template, refs)
        self._state_file = state_file
        self.interval = interval
        self._clock = clock or (lambda: datetime.now(UTC))
        self._lock = threading.RLock()
        self._details: dict[tuple[str, str], tuple[Any, dict]] = {}
        self._bad_expressions: set[tuple[str, str]] = set()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._saved: str | None = None
        self.state: dict[str, Any] = self._load_state()
        self.lambda_ = AsyncInvocations(functions, async_configs(template, refs), sqs_client, self.state["async"])
        self.delivery = SchedulerDelivery(scheduler_client, functions, self.lambda_, sqs_client, self.state["deliveries"])
        self._fired_by_hand = 0
        if sqs_client is not None:
            for name in implicit_queues(template, refs):
                sqs_client.create_queue(QueueName=name)  # SAM creates a DeadLetterConfig {Type: SQS} queue

    # ---------------------------------------------------------------- persistence

    def _load_state(self) -> dict[str, Any]:
        state: dict[str, Any] = {}
        if self._state_file and self._state_file.exists():
            try:
                state = json.loads(self._state_file.read_text())
            except (OSError, ValueError):
                log.warning("could not read %s; starting without scheduler history", self._state_file, exc_info=True)
        if state and "schedules" not in state:  # the earlier layout: one entry per schedule key
            state = {"schedules": {k: {"anchor": v.get("anchor"), "last_occurrence": v.get("last_due")} for k, v in state.items()}}
        return {"schedules": state.get("schedules", {}), "deliveries": state.get("deliveries", []), "async": state.get("async", [])}

    def save_state(self) -> None:
        if not self._state_file:
            return
        with self._lock:
            data = json.dumps(self.state, indent=1, sort_keys=True, default=str)
            if data == self._saved:  # most ticks change nothing
                return
            self._saved = data
        self._state_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = self._state_file.with_name(self._state_file.name + ".tmp")
        tmp.write_text(data)
        os.replace(tmp, self._state_file)

    # ---------------------------------------------------------------- discovery

    def schedules(self) -> tuple[list[ScheduleInfo], bool]:
        """All schedules, and whether moto's list could be read."""
        try:
            return scheduler_schedules(self._scheduler, self._details) + self._template_schedules, True
        except Exception:
            log.warning("listing Scheduler schedules failed", exc_info=True)
            return list(self._template_schedules), False

    def _expression(self, info: ScheduleInfo) -> ScheduleExpression | None:
        try:
            return parse(info.expression, info.timezone)
        except (ValueError, KeyError) as exc:
            if (info.key, info.expression) not in self._bad_expressions:
                self._bad_expressions.add((info.key, info.expression))
                log.error("schedule %s: %s", info.label, exc)
            return None

    def _entry(self, info: ScheduleInfo, expr: ScheduleExpression, now: datetime) -> dict:
        entry = self.state["schedules"].get(info.key)
        if entry is None:  # first sight: rate() counts from StartDate, else from now
            entry = self.state["schedules"][info.key] = {"anchor": _iso(info.start_date or now)}
        if "next" not in entry:
            last = parse_time(entry.get("last_occurrence"))
            entry["next"] = _iso(self._next(info, expr, entry, last) if last else self._first(info, expr, entry, now))
        return entry

    def _first(self, info: ScheduleInfo, expr: ScheduleExpression, entry: dict, now: datetime) -> datetime | None:
        if expr.one_off:  # StartDate and EndDate do not apply to one-time schedules
            return expr.next_after(datetime.min.replace(tzinfo=UTC))
        anchor = parse_time(entry["anchor"]) or now
        start = max(anchor, info.start_date) if info.start_date else anchor
        return self._bounded(info, expr.next_after(start.replace(microsecond=0) - timedelta(seconds=1), anchor))

    def _next(self, info: ScheduleInfo, expr: ScheduleExpression, entry: dict, after: datetime) -> datetime | None:
        if expr.one_off:
            return None
        return self._bounded(info, expr.next_after(after, parse_time(entry["anchor"])))

    @staticmethod
    def _bounded(info: ScheduleInfo, occurrence: datetime | None) -> datetime | None:
        return None if occurrence is None or (info.end_date and occurrence > info.end_date) else occurrence

    # ---------------------------------------------------------------- ticking

    def tick(self, now: datetime | None = None) -> list[str]:
        """Deliver everything that is due, then run Lambda's due asynchronous attempts; returns the
        keys of the schedules whose occurrences were handed to their target."""
        now = parse_time(now) if now else self._clock()
        fired: list[str] = []
        with self._lock:
            infos, listed = self.schedules()
            for info in infos:
                expr = self._expression(info) if info.enabled else None
                if expr is not None:
                    fired += self._deliver_due(info, expr, now)
            fired += self.delivery.retry_due(now)
            self.lambda_.process(now)
            if listed:  # forget schedules that no longer exist (a re-created one starts afresh)
                current = {i.key for i in infos}
                for key in [k for k in self.state["schedules"] if k.startswith("scheduler:") and k not in current]:
                    del self.state["schedules"][key]
            self.save_state()
        return fired

    def _deliver_due(self, info: ScheduleInfo, expr: ScheduleExpression, now: datetime) -> list[str]:
        entry, fired = self._entry(info, expr, now), []
        max_age = (info.retry_policy or DEFAULT_RETRY_POLICY).get("MaximumEventAgeInSeconds", 86400)
        for _ in range(MAX_CATCH_UP):
            occurrence = parse_time(entry.get("next"))
            if occurrence is None or occurrence + flexible_offset(info, occurrence) > now:
                break
            if (now - occurrence).total_seconds() > max_age:  # Scheduler would have given it up
                log.warning(
                    "schedule %s: occurrences from %s are older than MaximumEventAgeInSeconds: dropped", info.label, _iso(occurrence)
                )
                entry.update(next=_iso(self._next(info, expr, entry, now - timedelta(seconds=max_age))), last_occurrence=_iso(occurrence))
                if expr.one_off:
                    self.delivery.completed(info.source, info.name, info.group, info.action_after_completion)
                continue
            entry.update(next=_iso(self._next(info, expr, entry, occurrence)), last_occurrence=_iso(occurrence))
            if self.delivery.attempt(delivery(info, occurrence, expr.one_off), now):
                entry["last_fired_at"] = _iso(now)
                fired.append(info.key)
        if entry.get("next") is None and not expr.one_off and info.end_date:
            self.delivery.completed(info.source, info.name, info.group, info.action_after_completion)
        return fired

    @property
    def fired_count(self) -> int:
        """Grows on every occurrence handed to a function (the snapshotter watches it)."""
        return self.delivery.accepted + self._fired_by_hand

    # ---------------------------------------------------------------- by hand, and what is there

    def find(self, name: str) -> ScheduleInfo:
        infos, _ = self.schedules()
        for info in infos:
            if name in (info.key, info.label, info.name, info.key.split(":", 1)[1], info.key.rsplit("/", 1)[-1]):
                return info
        raise UnknownSchedule(name)

    def fire(self, name: str, now: datetime | None = None) -> dict:
        """Fire a schedule now, by name ("name", "group/name", "Function/Event" or its key), calling
        the function synchronously (a local convenience, not a Scheduler feature): its error is
        raised as FireFailed. An at() schedule fired so counts as its one occurrence (and is
        deleted if its ActionAfterCompletion is DELETE); a recurring one keeps its timetable."""
        now = parse_time(now) if now else self._clock()
        with self._lock:
            info = self.find(name)
            expr = self._expression(info)
            if expr is None:
                raise FireFailed(f"invalid schedule expression {info.expression!r}")
            entry = self._entry(info, expr, now)
            fn = self._functions.find(info.function or info.target_arn or "")
            if fn is None:
                raise FireFailed(f"target {info.target_arn or info.function} is not a function of the template")
            occurrence = parse_time(entry.get("next")) if expr.one_off else now
            try:
                fn.invoke(event(delivery(info, occurrence or now, expr.one_off)))
            except Exception as exc:
                log.exception("schedule %s: target raised", info.label)
                raise FireFailed(f"{type(exc).__name__}: {exc}") from exc
            self._fired_by_hand += 1
            entry["last_fired_at"] = _iso(now)
            if expr.one_off:
                entry.update(next=None, last_occurrence=_iso(occurrence))
                self.delivery.completed(info.source, info.name, info.group, info.action_after_completion)
            self.save_state()
            return {"key": info.key, "name": info.name, "group": info.group, "fired_at": _iso(now)}

    def describe(self, now: datetime | None = None) -> list[dict]:
        now = parse_time(now) if now else self._clock()
        out = []
        with self._lock:
            infos, _ = self.schedules()
            for info in infos:
                expr = self._expression(info)
                entry = self._entry(info, expr, now) if expr else {}
                target = self._functions.find(info.function or info.target_arn or "")
                out.append(
                    {
                        "key": info.key,
                        "source": info.source,
                        "name": info.name,
                        "group": info.group,
                        "expression": info.expression,
                        "timezone": info.timezone,
                        "state": "ENABLED" if info.enabled else "DISABLED",
                        "target": target.logical_id if target else info.target_arn,
                        "action_after_completion": info.action_after_completion,
                        "next_run": entry.get("next") if info.enabled else None,
                        "last_run": entry.get("last_fired_at"),
                        "failures": sum(1 for d in self.delivery.pending if d["key"] == info.key),  # Scheduler retries pending
                    }
                )
        return out

    # ---------------------------------------------------------------- thread

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.tick()
            except Exception:
                log.exception("scheduler tick failed")
            self._stop.wait(self.interval)

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="crm-local-scheduler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None
        self.save_state()
