"""EventBridge Scheduler, locally: fires moto's schedules and the template's Schedule events.

Every tick (about a second) the runner lists the schedules in moto (all groups) plus the
template's Schedule/ScheduleV2 function events, and invokes the target function in-process for
each one that is due and has not fired for that occurrence yet:

* at(...): once, at its time (in ScheduleExpressionTimezone); one missed while the stack was
  stopped fires once on the next start. With ActionAfterCompletion=DELETE it is then deleted.
* cron(...)/rate(...): the latest due occurrence fires once (missed occurrences collapse into
  one, like a catch-up after downtime); rate() counts from the schedule's StartDate or first sight.

What fired when is kept in `<state dir>/scheduler_runner.json`, written right after every fire,
so a restart neither fires an occurrence again nor loses one. A target that raises is logged and
retried on a later tick with a growing back-off, within the target's RetryPolicy (attempts, event
age), as Scheduler retries; then it is given up. The thread never dies.

The event handed to the function: json.loads(Target.Input) when there is an Input (the raw string
if it is not JSON), otherwise {} for Scheduler schedules and an EventBridge "Scheduled Event" for
template events.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from infra import template as tpl
from infra.lambdas import FunctionRegistry, FunctionUnavailable
from infra.schedule_expressions import ScheduleExpression, parse

log = logging.getLogger(__name__)

MAX_BACKOFF_S = 60


@dataclass
class ScheduleInfo:
    key: str  # scheduler:<group>/<name> or template:<Function>/<Event>
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
    created: datetime | None = None
    template_type: str | None = None  # Schedule or ScheduleV2
    retry_policy: dict | None = None  # Target.RetryPolicy

    @property
    def label(self) -> str:
        return f"{self.group}/{self.name}" if self.group else self.name


class UnknownSchedule(KeyError):
    pass


class FireFailed(RuntimeError):
    pass


def _utc(t: Any) -> datetime | None:
    if t is None:
        return None
    if isinstance(t, (int, float)):
        return datetime.fromtimestamp(t, UTC)
    if isinstance(t, str):
        t = datetime.fromisoformat(t.replace("Z", "+00:00"))
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def _iso(t: datetime | None) -> str | None:
    return t.astimezone(UTC).isoformat() if t else None


def template_schedules(template: dict) -> list[ScheduleInfo]:
    out = []
    for event in tpl.schedule_events(template):
        res = template["Resources"][event.function]
        raw = res["Properties"]["Events"][event.name]
        props = raw["Properties"]
        if raw["Type"] == "Schedule":
            enabled = props.get("Enabled", True) is not False and props.get("State", "ENABLED") != "DISABLED"
            tz = "UTC"
        else:
            enabled = props.get("State", "ENABLED") != "DISABLED"
            tz = props.get("ScheduleExpressionTimezone", "UTC")
        out.append(
            ScheduleInfo(
                key=f"template:{event.function}/{event.name}",
                source="template",
                name=props.get("Name") or event.name,
                group=None,
                expression=event.expression,
                timezone=tz,
                enabled=enabled,
                function=event.function,
                input=event.input if isinstance(event.input, str) or event.input is None else json.dumps(event.input),
                template_type=raw["Type"],
            )
        )
    return out


class SchedulerRunner:
    def __init__(
        self,
        scheduler_client: Any,
        functions: FunctionRegistry,
        template: dict,
        state_file: Path | None,
        interval: float = 1.0,
        clock: Callable[[], datetime] | None = None,
    ):
        self._scheduler = scheduler_client
        self._functions = functions
        self._template_schedules = template_schedules(template)
        self._state_file = state_file
        self.interval = interval
        self._clock = clock or (lambda: datetime.now(UTC))
        self._lock = threading.RLock()
        self._details: dict[tuple[str, str], tuple[Any, dict]] = {}
        self._bad_expressions: set[tuple[str, str]] = set()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.state: dict[str, dict] = self._load_state()
        self.fired_count = 0  # grows on every successful fire (for the snapshotter and tests)

    # ---------------------------------------------------------------- persistence

    def _load_state(self) -> dict[str, dict]:
        if self._state_file and self._state_file.exists():
            try:
                return json.loads(self._state_file.read_text())
            except (OSError, ValueError):
                log.warning("could not read %s; starting without scheduler history", self._state_file, exc_info=True)
        return {}

    def save_state(self) -> None:
        if not self._state_file:
            return
        with self._lock:
            data = json.dumps(self.state, indent=1, sort_keys=True)
        self._state_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = self._state_file.with_name(self._state_file.name + ".tmp")
        tmp.write_text(data)
        os.replace(tmp, self._state_file)

    # ---------------------------------------------------------------- discovery

    def _scheduler_schedules(self) -> list[ScheduleInfo]:
        out = []
        seen = set()
        for page in self._scheduler.get_paginator("list_schedules").paginate():
            for item in page.get("Schedules", []):
                group, name = item.get("GroupName", "default"), item["Name"]
                seen.add((group, name))
                version = item.get("LastModificationDate") or item.get("CreationDate")
                cached = self._details.get((group, name))
                if cached is None or cached[0] != version or version is None:
                    detail = self._scheduler.get_schedule(Name=name, GroupName=group)
                    self._details[(group, name)] = (version, detail)
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
                        action_after_completion=detail.get("ActionAfterCompletion"),
                        start_date=_utc(detail.get("StartDate")),
                        end_date=_utc(detail.get("EndDate")),
                        created=_utc(detail.get("CreationDate")),
                    )
                )
        for gone in set(self._details) - seen:
            del self._details[gone]
        return out

    def schedules(self) -> tuple[list[ScheduleInfo], bool]:
        """All schedules, and whether moto's list could be read."""
        try:
            return self._scheduler_schedules() + self._template_schedules, True
        except Exception:
            log.warning("listing Scheduler schedules failed", exc_info=True)
            return list(self._template_schedules), False

    # ---------------------------------------------------------------- evaluation

    def _expression(self, info: ScheduleInfo) -> ScheduleExpression | None:
        try:
            return parse(info.expression, info.timezone)
        except (ValueError, KeyError) as exc:
            marker = (info.key, info.expression)
            if marker not in self._bad_expressions:
                self._bad_expressions.add(marker)
                log.error("schedule %s: %s", info.label, exc)
            return None

    def _entry(self, info: ScheduleInfo, now: datetime) -> dict:
        entry = self.state.get(info.key)
        if entry is None:  # rate() counts from StartDate, else from when the runner first saw it
            anchor = info.start_date or now
            entry = self.state[info.key] = {"anchor": _iso(anchor)}
        return entry

    def due(self, info: ScheduleInfo, expr: ScheduleExpression, entry: dict, now: datetime) -> datetime | None:
        """The occurrence that should fire now, if any."""
        anchor = _utc(entry["anchor"])
        latest = expr.latest(now, anchor)
        if latest is None:
            return None
        last_due = _utc(entry.get("last_due"))
        if expr.one_off:
            return latest if last_due != latest else None
        if info.end_date and latest > info.end_date:
            return None
        if info.start_date and latest < info.start_date:
            return None
        if latest <= anchor or (last_due is not None and latest <= last_due):
            return None
        return latest

    def next_run(self, info: ScheduleInfo, expr: ScheduleExpression, entry: dict, now: datetime) -> datetime | None:
        pending = self.due(info, expr, entry, now)
        if pending is not None:
            return pending
        if expr.one_off:
            return None if entry.get("last_due") else expr.next_after(now)
        nxt = expr.next_after(max(now, _utc(entry["anchor"])), _utc(entry["anchor"]))
        if nxt and info.end_date and nxt > info.end_date:
            return None
        return nxt

    # ---------------------------------------------------------------- firing

    def _event(self, info: ScheduleInfo, now: datetime) -> Any:
        if info.input is not None:
            try:
                return json.loads(info.input)
            except ValueError:
                return info.input
        if info.source == "template":
            return {
                "version": "0",
                "id": str(uuid.uuid4()),
                "detail-type": "Scheduled Event",
                "source": "aws.events" if info.template_type == "Schedule" else "aws.scheduler",
                "account": tpl.ACCOUNT,
                "time": now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "region": tpl.REGION,
                "resources": [f"arn:aws:events:{tpl.REGION}:{tpl.ACCOUNT}:rule/{info.name}"],
                "detail": {},
            }
        return {}

    def _target(self, info: ScheduleInfo):
        if info.function:
            return self._functions.find(info.function)
        return self._functions.find(info.target_arn) if info.target_arn else None

    def _invoke(self, info: ScheduleInfo, now: datetime) -> Any:
        fn = self._target(info)
        if fn is None:
            raise LookupError(f"target {info.target_arn or info.function} is not a function of the template")
        log.info("schedule %s fires %s", info.label, fn.logical_id)
        return fn.invoke(self._event(info, now))

    def _fire(
        self, info: ScheduleInfo, expr: ScheduleExpression, occurrence: datetime | None, now: datetime, entry: dict, manual: bool
    ) -> None:
        try:
            self._invoke(info, now)
        except LookupError as exc:
            if manual:
                raise FireFailed(str(exc)) from exc
            log.error("schedule %s: %s; skipping this occurrence", info.label, exc)
            self._complete(info, expr, occurrence, now, entry)
            return
        except Exception as exc:
            if manual:
                log.exception("schedule %s: target raised", info.label)
                raise FireFailed(f"{type(exc).__name__}: {exc}") from exc
            failures = entry.get("failures", 0) + 1
            policy = info.retry_policy or {}
            too_old = occurrence is not None and (now - occurrence).total_seconds() > policy.get("MaximumEventAgeInSeconds", 86400)
            if failures > policy.get("MaximumRetryAttempts", 185) or too_old:
                log.error("schedule %s: giving up on the occurrence %s after %s attempts (%s)", info.label, _iso(occurrence), failures, exc)
                self._complete(info, expr, occurrence, now, entry)
                return
            backoff = min(2 ** (failures - 1), MAX_BACKOFF_S)
            entry.update(failures=failures, retry_after=now.timestamp() + backoff)
            if isinstance(exc, FunctionUnavailable):
                log.error("schedule %s: %s (retrying in %ss)", info.label, exc, backoff)
            else:
                log.exception("schedule %s: target raised (retry %s in %ss)", info.label, failures, backoff)
            return
        self.fired_count += 1
        self._complete(info, expr, occurrence, now, entry)

    def _complete(self, info: ScheduleInfo, expr: ScheduleExpression, occurrence: datetime | None, now: datetime, entry: dict) -> None:
        """The occurrence is done (delivered, or given up): remember it, delete a finished at()."""
        entry.pop("failures", None)
        entry.pop("retry_after", None)
        entry["last_fired_at"] = _iso(now)
        if occurrence is not None:
            entry["last_due"] = _iso(occurrence)
        self.save_state()
        if expr.one_off and info.source == "scheduler" and (info.action_after_completion or "").upper() == "DELETE":
            try:
                self._scheduler.delete_schedule(Name=info.name, GroupName=info.group)
                log.info("schedule %s completed and was deleted (ActionAfterCompletion=DELETE)", info.label)
            except Exception:
                log.warning("could not delete completed schedule %s", info.label, exc_info=True)

    def tick(self, now: datetime | None = None) -> list[str]:
        """Fire everything that is due; return the keys that fired."""
        now = _utc(now) if now else self._clock()
        fired = []
        with self._lock:
            infos, listed = self.schedules()
            for info in infos:
                if not info.enabled:
                    continue
                expr = self._expression(info)
                if expr is None:
                    continue
                entry = self._entry(info, now)
                if entry.get("retry_after", 0) > now.timestamp():
                    continue
                occurrence = self.due(info, expr, entry, now)
                if occurrence is None:
                    continue
                before = self.fired_count
                self._fire(info, expr, occurrence, now, entry, manual=False)
                if self.fired_count > before:
                    fired.append(info.key)
            if listed:  # forget schedules that no longer exist (a re-created one starts afresh)
                current = {i.key for i in infos}
                for key in [k for k in self.state if k.startswith("scheduler:") and k not in current]:
                    del self.state[key]
        return fired

    def find(self, name: str) -> ScheduleInfo:
        infos, _ = self.schedules()
        for info in infos:
            if name in (info.key, info.label, info.name, info.key.split(":", 1)[1], info.key.rsplit("/", 1)[-1]):
                return info
        raise UnknownSchedule(name)

    def fire(self, name: str, now: datetime | None = None) -> dict:
        """Fire a schedule now, by name ("name", "group/name", "Function/Event" or its key).

        An at() schedule fired by hand counts as its one occurrence (and is deleted if its
        ActionAfterCompletion is DELETE); a recurring one keeps its timetable.
        Raises UnknownSchedule or FireFailed.
        """
        now = _utc(now) if now else self._clock()
        with self._lock:
            info = self.find(name)
            expr = self._expression(info)
            if expr is None:
                raise FireFailed(f"invalid schedule expression {info.expression!r}")
            entry = self._entry(info, now)
            occurrence = expr.when if expr.one_off else None  # type: ignore[union-attr]
            self._fire(info, expr, occurrence, now, entry, manual=True)
            return {"key": info.key, "name": info.name, "group": info.group, "fired_at": _iso(now)}

    def describe(self, now: datetime | None = None) -> list[dict]:
        now = _utc(now) if now else self._clock()
        out = []
        with self._lock:
            infos, _ = self.schedules()
            for info in infos:
                expr = self._expression(info)
                entry = self.state.get(info.key) or {"anchor": _iso(info.start_date or now)}
                target = self._target(info)
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
                        "next_run": _iso(self.next_run(info, expr, entry, now)) if expr and info.enabled else None,
                        "last_run": entry.get("last_fired_at"),
                        "failures": entry.get("failures", 0),
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
