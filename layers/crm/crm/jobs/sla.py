"""SLA constraints (pure): their shapes, the deadlines a job gets, and the checks of a plan.

Three kinds, any number at once:
  time      start_after / start_before / complete_before, `minutes` after the job's creation,
            counted in the site's opening hours when it has some (hours.add_working_time), else
            in elapsed time.
  resource  the assigned resource is in `group`, is `resource_id`, or has `skill`.
  vehicle   the assigned vehicle is in `group`, is `vehicle_id`, or has `attribute`.

A check returns one Violation per broken constraint, with its severity: `breached` when it can no
longer be met (a deadline passed unmet, the job started or finished late, or the job is under way
with the wrong resource or vehicle), `will_breach` when only the plan breaks it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, SkipValidation, StringConstraints, model_validator

from crm.contacts.hours import OpeningHours, add_working_time
from crm.platform.i18n import tr

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
MAX_MINUTES = 366 * 24 * 60


class TimeConstraint(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["time"] = "time"
    rule: Literal["start_after", "start_before", "complete_before"]
    minutes: int = Field(gt=0, le=MAX_MINUTES, description="after the job's creation, in the site's working time")


class _OneOf(BaseModel):
    model_config = ConfigDict(extra="forbid")
    choices: ClassVar[tuple[str, ...]] = ()

    @model_validator(mode="after")
    def _exactly_one(self):
        chosen = [k for k in self.choices if getattr(self, k) is not None]
        if len(chosen) != 1:
            raise ValueError(tr("give exactly one of {choices}", choices=", ".join(self.choices)))
        return self


class ResourceConstraint(_OneOf):
    choices: ClassVar[tuple[str, ...]] = ("group", "resource_id", "skill")
    kind: Literal["resource"] = "resource"
    group: Name | None = None
    resource_id: Annotated[str, StringConstraints(min_length=1, max_length=128)] | None = None
    skill: Name | None = None


class VehicleConstraint(_OneOf):
    choices: ClassVar[tuple[str, ...]] = ("group", "vehicle_id", "attribute")
    kind: Literal["vehicle"] = "vehicle"
    group: Name | None = None
    vehicle_id: Annotated[str, StringConstraints(min_length=1, max_length=128)] | None = None
    attribute: Name | None = None


Constraint = Annotated[TimeConstraint | ResourceConstraint | VehicleConstraint, Field(discriminator="kind")]


class Violation(BaseModel):
    constraint_id: str
    kind: str
    severity: Literal["breached", "will_breach"]
    message: SkipValidation[str]  # a tr(...) message, kept as one (validation would make it a plain str)
    overridden: bool = False


def deadline(constraint: dict, created_at: datetime, hours: OpeningHours | None) -> datetime:
    return add_working_time(hours, created_at, timedelta(minutes=constraint["minutes"]))


def describe(constraint: dict) -> str:
    """The constraint in words ("start before 2030-01-07T11:00:00Z", "resource skill crane")."""
    kind, rule = constraint["kind"], constraint.get("rule")
    if kind == "time":
        value = constraint["deadline"]
        if rule == "start_after":
            return tr("start after {value}", value=value)
        return tr("start before {value}", value=value) if rule == "start_before" else tr("complete before {value}", value=value)
    key = next(k for k in ("group", "resource_id", "vehicle_id", "skill", "attribute") if constraint.get(k))
    value = constraint[key]
    if key == "group":
        return tr("resource group {value}", value=value) if kind == "resource" else tr("vehicle group {value}", value=value)
    if key in ("skill", "attribute"):
        return tr("resource skill {value}", value=value) if kind == "resource" else tr("vehicle attribute {value}", value=value)
    return tr("resource {value}", value=value) if kind == "resource" else tr("vehicle {value}", value=value)


def instant(value: str | None) -> datetime | None:
    """A stored ISO 8601 timestamp ("...Z" or with an offset) as an aware datetime."""
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def _time(c: dict, job: dict, now: datetime) -> tuple[str, str] | None:
    due = instant(c["deadline"])
    if due is None:  # every stored time constraint gets its deadline (jobs.planning.job_sla)
        raise ValueError(tr("the time constraint {id} has no deadline", id=str(c.get("id"))))
    planned_start, planned_end = instant(job.get("planned_start")), instant(job.get("planned_end"))
    started, finished = instant(job.get("started_at")), instant(job.get("completed_at"))
    done = job["status"] in ("completed", "completed_with_issues", "cancelled")
    deadline_ = c["deadline"]
    if c["rule"] == "start_after":
        if started and started < due:
            return "breached", tr("started at {at}, before {deadline}", at=job["started_at"], deadline=deadline_)
        if not started and planned_start and planned_start < due:
            return "will_breach", tr("planned to start at {at}, before {deadline}", at=job["planned_start"], deadline=deadline_)
        return None
    starts = c["rule"] == "start_before"
    actual, planned = (started, planned_start) if starts else (finished, planned_end)
    if actual:
        if actual <= due:
            return None
        at = actual.isoformat()
        if starts:
            return "breached", tr("started at {at}, after {deadline}", at=at, deadline=deadline_)
        return "breached", tr("completed at {at}, after {deadline}", at=at, deadline=deadline_)
    if done:
        return None
    if now > due:
        if starts:
            return "breached", tr("not started by {deadline}", deadline=deadline_)
        return "breached", tr("not completed by {deadline}", deadline=deadline_)
    if planned and planned > due:
        at = planned.isoformat()
        if starts:
            return "will_breach", tr("planned to start at {at}, after {deadline}", at=at, deadline=deadline_)
        return "will_breach", tr("planned to complete at {at}, after {deadline}", at=at, deadline=deadline_)
    return None


def _assignment(c: dict, job: dict, thing: dict | None, kind: str) -> tuple[str, str] | None:
    if thing is None:
        return None  # nothing assigned yet: nothing to judge
    if c.get("group") is not None:
        ok, need = thing.get("group") == c["group"], tr("in group {value}", value=c["group"])
    elif c.get(f"{kind}_id") is not None:
        ok, need = thing["id"] == c[f"{kind}_id"], c[f"{kind}_id"]
    else:
        key, values = ("skill", "skills") if kind == "resource" else ("attribute", "attributes")
        need = tr("with skill {value}", value=c[key]) if kind == "resource" else tr("with attribute {value}", value=c[key])
        ok = c[key] in (thing.get(values) or [])
    if ok:
        return None
    under_way = job["status"] in ("in_progress", "paused", "completed", "completed_with_issues")
    name = thing.get("name", thing["id"])
    severity = "breached" if under_way else "will_breach"
    if kind == "resource":
        return severity, tr("assigned resource {name} is not {need}", name=name, need=need)
    return severity, tr("assigned vehicle {name} is not {need}", name=name, need=need)


def check(job: dict, resource: dict | None, vehicle: dict | None, now: datetime) -> list[Violation]:
    """Every constraint of the job's SLA that its plan or its history breaks."""
    out = []
    for c in (job.get("sla") or {}).get("constraints", []):
        if c["kind"] == "time":
            found = _time(c, job, now)
        else:
            found = _assignment(c, job, resource if c["kind"] == "resource" else vehicle, c["kind"])
        if found:
            severity, why = found
            out.append(
                Violation(
                    constraint_id=c["id"],
                    kind=c["kind"],
                    severity=severity,
                    message=tr("SLA constraint '{constraint}' broken: {why}", constraint=describe(c), why=why),
                    overridden=bool(c.get("override")),
                )
            )
    return out


def first_deadline(constraints: list[dict]) -> str | None:
    deadlines = sorted(c["deadline"] for c in constraints if c["kind"] == "time")
    return deadlines[0] if deadlines else None
