"""Checks of a job's plan (pure but for the SLA they read): its window (at most MAX_WINDOW, in
the site's opening hours), the SLA constraints it breaks (warnings, refused in strict mode, or
overridden by the office), the SLA a new job takes with its deadlines, and whether the breach
report watches it."""

from __future__ import annotations

from datetime import datetime, timedelta

from crm.contacts.hours import OpeningHours, check_window
from crm.jobs import catalog, sla, transitions
from crm.jobs import catalog_repository as repo
from crm.platform import clock
from crm.platform.auth import Principal
from crm.platform.errors import Conflict, FieldError, field_problem, invalid
from crm.platform.i18n import joined, tr

MAX_WINDOW = timedelta(days=31)  # a job's planned window (its opening-hours check is one reason a day)


def opening_hours(contact: dict) -> OpeningHours | None:
    return OpeningHours.model_validate(contact["opening_hours"]) if contact.get("opening_hours") else None


def iso(value: datetime | str | None) -> str | None:
    """A planned time (a datetime, or ISO text as stored) in the stored ISO form."""
    moment = value if isinstance(value, datetime) else sla.instant(value)
    return clock.iso(moment) if moment is not None else None


def check_span(job: dict) -> None:
    start, end = sla.instant(job.get("planned_start")), sla.instant(job.get("planned_end"))
    if start and end and end - start > MAX_WINDOW:
        raise invalid("planned_end", tr("must be at most {days} days after planned_start", days=MAX_WINDOW.days))


def planned(job: dict) -> bool:
    return bool(job.get("planned_start") and job.get("planned_end") and job.get("resource_id"))


def warnings(job: dict, contact: dict, resource: dict | None, vehicle: dict | None, now: datetime) -> list[dict]:
    out = []
    if job.get("planned_start") and job.get("planned_end"):
        try:
            start, end = sla.instant(job["planned_start"]), sla.instant(job["planned_end"])
            assert start is not None and end is not None  # both set, checked above
            window = check_window(opening_hours(contact), start, end)
        except ValueError:  # hours stored before the contacts context refused them (open at no time)
            message = tr("the site's opening hours are open at no time; correct them on the contact")
            out.append({"code": "outside_opening_hours", "message": message, "reasons": []})
        else:
            if not window.within:
                out.append(
                    {
                        "code": "outside_opening_hours",
                        "message": tr("the planned window is outside the site's opening hours"),
                        "reasons": window.reasons,
                    }
                )
    for v in sla.check(job, resource, vehicle, now):
        if not v.overridden:
            out.append({"code": "sla_constraint", "message": v.message, "constraint_id": v.constraint_id})
    return out


def refuse_if_strict(strict: bool, warnings: list[dict]) -> None:
    if strict and warnings:
        errors = [
            FieldError("planned_start" if w["code"] == "outside_opening_hours" else "override_constraints", w["message"]) for w in warnings
        ]
        problems = [
            tr("{warning}: {reasons}", warning=w["message"], reasons=joined(w["reasons"])) if w.get("reasons") else w["message"]
            for w in warnings
        ]
        raise Conflict(tr("strict mode: nothing was saved: {problems}", problems=joined(problems)), errors)


def override(principal: Principal, job: dict, constraint_ids: list[str], at: str) -> list[dict]:
    """Mark SLA constraints overridden by the office; returns those newly overridden (for the history)."""
    if not constraint_ids:
        return []
    constraints = (job.get("sla") or {}).get("constraints", [])
    known = {c["id"]: c for c in constraints}
    unknown = [c for c in constraint_ids if c not in known]
    if unknown:
        raise invalid("override_constraints", tr("{ids}: not a constraint of this job's SLA", ids=", ".join(unknown)))
    newly = []
    for constraint_id in dict.fromkeys(constraint_ids):
        if not known[constraint_id].get("override"):
            known[constraint_id]["override"] = {"by": principal.actor, "at": at}
            newly.append(known[constraint_id])
    return newly


def watch(job: dict, resource: dict | None, vehicle: dict | None, now: datetime) -> bool:
    """Whether the job belongs in the breach report's index: it has an SLA and is open, or it
    breached one (finished jobs that met their SLA leave the index)."""
    if not job.get("sla"):
        return False
    if not transitions.is_terminal(job["status"]):
        return True
    return any(v.severity == "breached" for v in sla.check(job, resource, vehicle, now))


def job_sla(tenant: str, contact: dict, sla_id: str | None, job_type_id: str, created: datetime) -> dict | None:
    if sla_id is None:
        return None
    chosen = repo.get_sla(tenant, contact["id"], sla_id)
    if chosen is None or not catalog.applies(chosen, job_type_id):
        raise invalid("sla_id", tr("is not one of this site's SLAs for this job type"))
    try:
        hours = opening_hours(contact)
        constraints = [
            {**c, "deadline": clock.iso(sla.deadline(c, created, hours))} if c["kind"] == "time" else dict(c) for c in chosen["constraints"]
        ]
    except ValueError:  # hours stored before the contacts context refused them: no working time ever elapses
        error = FieldError(
            "sla_id", tr("its deadlines cannot be computed: the site's opening hours are open at no time; correct them on the contact")
        )
        raise Conflict(field_problem(error), [error]) from None
    return {"sla_id": chosen["id"], "name": chosen["name"], "constraints": constraints, "first_deadline": sla.first_deadline(constraints)}
