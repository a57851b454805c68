"""Rules of jobs: creation with a gapless reference, planning with warnings (opening hours, SLA
constraints) and recorded overrides, status changes with history and the completion event, lists,
the site's job log, the SLA breach report, and what a resource (technician) may see.

Also the booking site's entry points, whose signatures stay stable: `request_job` and
`jobs_of_contacts`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

from crm.contacts import dependents
from crm.contacts import service as contacts
from crm.contacts.hours import OpeningHours, check_window
from crm.jobs import catalog, charges, sla, transitions
from crm.jobs import repository as repo
from crm.jobs.events import JobCancelled, JobCompleted
from crm.jobs.models import JobCreate, JobPatch, StatusChange
from crm.platform import clock, dynamo, idempotency, ids, outbox, pagination, personal_data
from crm.platform.auth import Principal
from crm.platform.errors import Conflict, FieldError, NotFound, PreconditionFailed, field_problem, invalid
from crm.platform.i18n import joined, reason, tr

MAX_FAMILY = 100  # a contact's children (or its parent's sites) merged into one job log, besides itself
PLANNING = ("planned_start", "planned_end", "resource_id", "vehicle_id")
MAX_WINDOW = timedelta(days=31)  # a job's planned window (its opening-hours check is one reason a day)
MAX_REPORT_AHEAD = timedelta(days=366)  # the breach report's `until`, from now
# A completion adds to its month's totals, which other completions at the same sites touch too: a
# transaction conflict on them is tried again (a cancelled transaction wrote nothing).
COMPLETION_RETRIES = 4


def _hours(contact: dict) -> OpeningHours | None:
    return OpeningHours.model_validate(contact["opening_hours"]) if contact.get("opening_hours") else None


def _iso(value: datetime | str | None) -> str | None:
    moment = value if isinstance(value, datetime) else sla.instant(value)
    return clock.iso(moment) if moment is not None else None


def _entry(principal_or_by: Principal | str, role: str | None, kind: str, at: str, **extra) -> dict:
    if isinstance(principal_or_by, Principal):
        by, role = principal_or_by.actor, principal_or_by.role
    else:
        by = principal_or_by
    return {"id": ids.new_id(), "at": at, "by": by, "role": role, "kind": kind, **extra}


def _in_order(entries: list[dict]) -> list[dict]:
    """History entries made by one request, with ids ascending in the order they were made (two
    ULIDs of the same millisecond are not ordered)."""
    new_ids = sorted(ids.new_id() for _ in entries)
    return [{**e, "id": i} for e, i in zip(entries, new_ids, strict=False)]


def _check_span(job: dict) -> None:
    start, end = sla.instant(job.get("planned_start")), sla.instant(job.get("planned_end"))
    if start and end and end - start > MAX_WINDOW:
        raise invalid("planned_end", tr("must be at most {days} days after planned_start", days=MAX_WINDOW.days))


def _planned(job: dict) -> bool:
    return bool(job.get("planned_start") and job.get("planned_end") and job.get("resource_id"))


# ---------------------------------------------------------------- reading


def get(principal: Principal, job_id: str) -> dict:
    """A job the caller may see: a resource only the jobs assigned to them (others are 404)."""
    job = repo.get_job(principal.tenant, job_id)
    if job is None or (principal.is_resource and job.get("resource_id") != principal.user_id):
        raise NotFound(tr("no such job"))
    return job


def find(
    principal: Principal, *, status: str | None, reference: str | None, limit: int, cursor: str | None
) -> tuple[list[dict], str | None]:
    tenant = principal.tenant
    query = {"jobs": status, "reference": reference, "resource": principal.user_id if principal.is_resource else None}
    if reference:
        job_id = repo.job_id_by_reference(tenant, reference.strip())
        job = repo.get_job(tenant, job_id) if job_id else None
        if job is None:
            return [], None
        keep = (status is None or job["status"] == status) and (not principal.is_resource or job.get("resource_id") == principal.user_id)
        return ([job] if keep else []), None
    if principal.is_resource:
        return repo.jobs_of_resource(tenant, principal.user_id, status, limit=limit, cursor=cursor, query=query)
    if status is None:
        raise invalid("status", tr("choose a status (to_schedule for the jobs to plan) or search by reference"))
    return repo.jobs_by_status(tenant, status, limit=limit, cursor=cursor, query=query)


def history(principal: Principal, job_id: str, limit: int, cursor: str | None) -> tuple[list[dict], str | None]:
    get(principal, job_id)
    return repo.history(principal.tenant, job_id, limit=limit, cursor=cursor, query={"history": job_id})


# ---------------------------------------------------------------- plan checks


def _warnings(job: dict, contact: dict, resource: dict | None, vehicle: dict | None, now: datetime) -> list[dict]:
    out = []
    if job.get("planned_start") and job.get("planned_end"):
        try:
            start, end = sla.instant(job["planned_start"]), sla.instant(job["planned_end"])
            assert start is not None and end is not None  # both set, checked above
            window = check_window(_hours(contact), start, end)
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


def _refuse_if_strict(strict: bool, warnings: list[dict]) -> None:
    if strict and warnings:
        errors = [
            FieldError("planned_start" if w["code"] == "outside_opening_hours" else "override_constraints", w["message"]) for w in warnings
        ]
        problems = [
            tr("{warning}: {reasons}", warning=w["message"], reasons=joined(w["reasons"])) if w.get("reasons") else w["message"]
            for w in warnings
        ]
        raise Conflict(tr("strict mode: nothing was saved: {problems}", problems=joined(problems)), errors)


def _override(principal: Principal, job: dict, constraint_ids: list[str], at: str) -> list[dict]:
    """Mark SLA constraints overridden by the office; returns the history entries recording it."""
    if not constraint_ids:
        return []
    constraints = (job.get("sla") or {}).get("constraints", [])
    known = {c["id"]: c for c in constraints}
    unknown = [c for c in constraint_ids if c not in known]
    if unknown:
        raise invalid("override_constraints", tr("{ids}: not a constraint of this job's SLA", ids=", ".join(unknown)))
    entries = []
    for constraint_id in dict.fromkeys(constraint_ids):
        if not known[constraint_id].get("override"):
            known[constraint_id]["override"] = {"by": principal.actor, "at": at}
            entries.append(_entry(principal, None, "override", at, constraint_id=constraint_id, note=sla.describe(known[constraint_id])))
    return entries


def _watch(job: dict, resource: dict | None, vehicle: dict | None, now: datetime) -> bool:
    """Whether the job belongs in the breach report's index: it has an SLA and is open, or it
    breached one (finished jobs that met their SLA leave the index)."""
    if not job.get("sla"):
        return False
    if not transitions.is_terminal(job["status"]):
        return True
    return any(v.severity == "breached" for v in sla.check(job, resource, vehicle, now))


def _job_sla(tenant: str, contact: dict, sla_id: str | None, job_type_id: str, created: datetime) -> dict | None:
    if sla_id is None:
        return None
    chosen = repo.get_sla(tenant, contact["id"], sla_id)
    if chosen is None or not catalog.applies(chosen, job_type_id):
        raise invalid("sla_id", tr("is not one of this site's SLAs for this job type"))
    try:
        hours = _hours(contact)
        constraints = [
            {**c, "deadline": clock.iso(sla.deadline(c, created, hours))} if c["kind"] == "time" else dict(c) for c in chosen["constraints"]
        ]
    except ValueError:  # hours stored before the contacts context refused them: no working time ever elapses
        error = FieldError(
            "sla_id", tr("its deadlines cannot be computed: the site's opening hours are open at no time; correct them on the contact")
        )
        raise Conflict(field_problem(error), [error]) from None
    return {"sla_id": chosen["id"], "name": chosen["name"], "constraints": constraints, "first_deadline": sla.first_deadline(constraints)}


# ---------------------------------------------------------------- creating


def _site(tenant: str, contact_id: str) -> dict:
    try:
        return contacts.get(tenant, contact_id)
    except NotFound:
        raise invalid("contact_id", tr("is not a contact of this account")) from None


def _prefix(tenant: str) -> str:
    return contacts.settings(tenant).job_reference_prefix


def _insert(tenant: str, job: dict, entries: list[dict], watch: bool, also: Sequence[dynamo.Step] = ()) -> dict:
    prefix = _prefix(tenant)

    def build(n: int) -> tuple[dict, list[dict]]:
        return {**job, "reference": f"{prefix}-{n:06d}"}, entries

    # The site stays while it has jobs: its count of them moves in the same transaction.
    filed = dependents.filed(tenant, job["contact_id"], "jobs", +1)
    return repo.create_job(tenant, build, watch, [*filed, *also], idempotency.claim(job["id"]))


def create(principal: Principal, body: JobCreate) -> dict:
    """Create a job at a site. Outside opening hours or breaking an SLA constraint: saved with
    warnings (refused with 409 in strict mode). The site's flag comes back with it."""
    tenant = principal.tenant
    contact = _site(tenant, body.contact_id)
    catalog.referenced(tenant, "type", body.job_type_id, "job_type_id")
    resource = catalog.referenced(tenant, "resource", body.resource_id, "resource_id")
    vehicle = catalog.referenced(tenant, "vehicle", body.vehicle_id, "vehicle_id")
    now = clock.now()
    at = clock.iso(now)
    job = {
        "id": ids.new_id(),
        "version": 1,
        "contact_id": contact["id"],
        "job_type_id": body.job_type_id,
        "description": body.description,
        "planned_start": _iso(body.planned_start),
        "planned_end": _iso(body.planned_end),
        "resource_id": body.resource_id,
        "vehicle_id": body.vehicle_id,
        "sla": _job_sla(tenant, contact, body.sla_id, body.job_type_id, now),
        "charges": charges.dumped(body.charges) or None,
        "created_at": at,
        "created_by": principal.actor,
        "updated_at": at,
    }
    _check_span(job)
    job["status"] = "scheduled" if _planned(job) else "to_schedule"
    entries = [_entry(principal, None, "created", at, to_status=job["status"]), *_override(principal, job, body.override_constraints, at)]
    warnings = _warnings(job, contact, resource, vehicle, now)
    _refuse_if_strict(body.strict, warnings)
    saved = _insert(tenant, job, _in_order(entries), _watch(job, resource, vehicle, now))
    offers = [] if body.sla_id else [{"id": s["id"], "name": s["name"]} for s in catalog.slas(tenant, contact["id"], body.job_type_id)]
    return {**saved, "warnings": warnings, "flag": contact.get("flag"), "available_slas": offers}


def create_job(principal: Principal, fields: JobCreate | dict) -> dict:
    """Create a job from another context (sales, from a quote's lines): `fields` as POST /jobs
    takes them, chargeable lines included. Raises pydantic's ValidationError (422 at the edge)
    for bad fields, and what `create` raises."""
    return create(principal, fields if isinstance(fields, JobCreate) else JobCreate.model_validate(fields))


def request_job(
    tenant: str, contact_id: str, job_type_id: str, description: str | None, preferred_date: date | str | None, person_id: str
) -> dict:
    """A job asked for on the booking site by a person: saved "to_schedule" for the office to plan.

    The job names who asked as "person:<id>" (no address or name), and is registered in the
    person-data index under her (its description may name her: her export lists it, her erasure
    redacts it). `preferred_date` is a date or ISO date.
    Raises Invalid (422) for an unknown contact or job type. Returns the job (with its reference).
    """
    contact = _site(tenant, contact_id)
    catalog.referenced(tenant, "type", job_type_id, "job_type_id")
    if isinstance(preferred_date, str):
        try:
            preferred_date = date.fromisoformat(preferred_date)
        except ValueError:
            raise invalid("preferred_date", tr("is not an ISO date (YYYY-MM-DD)")) from None
    at = clock.iso(clock.now())
    job = {
        "id": ids.new_id(),
        "version": 1,
        "status": "to_schedule",
        "contact_id": contact["id"],
        "job_type_id": job_type_id,
        "description": description,
        "preferred_date": preferred_date.isoformat() if preferred_date else None,
        "created_at": at,
        "created_by": f"person:{person_id}",
        "updated_at": at,
        "source": "booking",
    }
    entry = _entry(job["created_by"], "customer", "created", at, to_status="to_schedule")
    index = personal_data.register(tenant, [personal_data.person(person_id)], repo.place(tenant, job["id"]))
    return {k: v for k, v in _insert(tenant, job, [entry], False, index).items() if v is not None}


# ---------------------------------------------------------------- planning and status


def _fresh(job: dict, expected_version: int) -> None:
    if job["version"] != expected_version:
        raise PreconditionFailed(tr("the job changed since you read it; reload it and apply your change again"))


def update(principal: Principal, job_id: str, patch: JobPatch, expected_version: int) -> dict:
    """Re-plan a job (merge patch). A to_schedule job that gets a window and a resource becomes
    scheduled; a scheduled job that loses them goes back to to_schedule (both recorded)."""
    tenant = principal.tenant
    old = get(principal, job_id)
    _fresh(old, expected_version)
    if transitions.is_terminal(old["status"]):
        raise Conflict(tr("a {status} job cannot be re-planned", status=old["status"]))
    changes = patch.model_dump(exclude_unset=True, exclude={"strict", "override_constraints"}, mode="json")
    for name in ("planned_start", "planned_end"):
        if changes.get(name):
            changes[name] = _iso(changes[name])
    now = clock.now()
    at = clock.iso(now)
    job = {**old, **changes, "version": old["version"] + 1, "updated_at": at}
    if job.get("planned_start") and job.get("planned_end") and job["planned_end"] <= job["planned_start"]:
        raise invalid("planned_end", tr("must be after planned_start"))
    _check_span(job)
    resource = catalog.referenced(tenant, "resource", job.get("resource_id"), "resource_id")
    vehicle = catalog.referenced(tenant, "vehicle", job.get("vehicle_id"), "vehicle_id")
    entries = _override(principal, job, patch.override_constraints, at)
    moved = {("to_schedule", True): "scheduled", ("scheduled", False): "to_schedule"}.get((job["status"], _planned(job)))
    if moved:
        entries.append(_entry(principal, None, "status", at, from_status=job["status"], to_status=moved, note="planning changed"))
        job["status"] = moved
    warnings = _warnings(job, contacts.get(tenant, job["contact_id"]), resource, vehicle, now)
    _refuse_if_strict(patch.strict, warnings)
    job = {k: v for k, v in job.items() if v is not None}
    repo.save_job(tenant, job, expected_version, _watch(job, resource, vehicle, now), _in_order(entries))
    return {**job, "warnings": warnings}


def change_status(principal: Principal, job_id: str, change: StatusChange, expected_version: int) -> dict:
    """Move a job along its allowed transitions, recording who and when; completing it owes the
    JobCompleted event, cancelling it JobCancelled (in the same transaction, published right after:
    crm.platform.outbox)."""
    tenant = principal.tenant
    old = get(principal, job_id)
    _fresh(old, expected_version)
    try:
        transitions.check(old["status"], change.status, resource=principal.is_resource)
    except transitions.NotAllowed as e:
        raise Conflict(reason(e), [FieldError("status", tr("allowed: {allowed}", allowed=", ".join(e.allowed) or tr("none")))]) from None
    if change.status == "scheduled" and not _planned(old):
        raise Conflict(tr("plan the job first: a scheduled job needs planned_start, planned_end and resource_id"))
    now = clock.now()
    at = clock.iso(now)
    job = {**old, "status": change.status, "version": old["version"] + 1, "updated_at": at}
    if change.status == "in_progress" and not old.get("started_at"):
        job["started_at"] = at
    entry = _entry(principal, None, "status", at, from_status=old["status"], to_status=change.status, note=change.note)
    charges.refuse_outside_completion(change.status, change.labour, change.mileage)
    owed: list[dynamo.Step] = []
    completing = change.status in transitions.COMPLETED
    if completing:
        job["completed_at"] = at
        recorded, summaries = charges.completion(tenant, old, change.labour, change.mileage, now)
        job |= recorded
        owed += [outbox.owe(_completed(tenant, entry["id"], job, principal.actor, at)), *summaries]
    elif change.status == "cancelled":
        cancelled = JobCancelled(
            tenant=tenant,
            event_id=entry["id"],
            job_id=job["id"],
            reference=job["reference"],
            contact_id=job["contact_id"],
            cancelled_at=at,
            cancelled_by=principal.actor,
        )
        owed.append(outbox.owe(cancelled))
    resource = repo.get_member(tenant, "resource", job["resource_id"]) if job.get("resource_id") else None
    vehicle = repo.get_member(tenant, "vehicle", job["vehicle_id"]) if job.get("vehicle_id") else None
    repo.save_job(
        tenant, job, expected_version, _watch(job, resource, vehicle, now), [entry], owed, retries=COMPLETION_RETRIES if completing else 0
    )
    if owed:
        outbox.publish_after_commit(tenant, [entry["id"]])
    return job


def _completed(tenant: str, history_id: str, job: dict, by: str, at: str) -> JobCompleted:
    return JobCompleted(
        tenant=tenant,
        event_id=history_id,
        job_id=job["id"],
        reference=job["reference"],
        status=job["status"],
        contact_id=job["contact_id"],
        job_type_id=job["job_type_id"],
        resource_id=job.get("resource_id"),
        vehicle_id=job.get("vehicle_id"),
        completed_at=at,
        completed_by=by,
    )


# ---------------------------------------------------------------- the site's job log


def _family(principal: Principal, contact_id: str, include: str | None) -> list[str]:
    """The contacts whose logs are merged. Listed again on every page (a GetItem and one Query of
    the contacts' parent index): the cursor stays one position however many sites (carrying up to
    MAX_FAMILY ids would not fit a cursor), and a site added to the family meanwhile is included."""
    contact = contacts.get(principal.tenant, contact_id)
    if include is None:
        return [contact_id]
    parent = contact_id if include == "children" else contact.get("parent_id")
    if parent is None:
        return [contact_id]
    # One more than allowed: a full page of exactly MAX_FAMILY comes back with a cursor all the same.
    found, _ = contacts.find(principal, q=None, reference=None, group_id=None, parent_id=parent, limit=MAX_FAMILY + 1, cursor=None)
    if len(found) > MAX_FAMILY:
        raise Conflict(tr("more than {most} associated contacts; read their logs one by one", most=MAX_FAMILY))
    return list(dict.fromkeys([contact_id, *(c["id"] for c in found)]))


def _merged(
    tenant: str,
    contact_ids: list[str],
    query: dict,
    *,
    status: str | None,
    since: str | None,
    until: str | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[dict], str | None]:
    position = pagination.decode(cursor, tenant, query) or {}
    items, before = repo.contact_log(
        tenant,
        contact_ids,
        status=status,
        since=since,
        until=until,
        limit=limit,
        before=position.get("before"),
        before_site=position.get("site"),
    )
    # With `since`, the site of the page's last job lets only that site's Query read one more.
    site = items[-1]["contact_id"] if before and since and len(contact_ids) > 1 else None
    return items, pagination.encode({"before": before, **({"site": site} if site else {})} if before else None, tenant, query)


def site_log(
    principal: Principal,
    contact_id: str,
    *,
    include: str | None,
    status: str | None,
    since: datetime | None,
    until: datetime | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[dict], str | None]:
    """Every job at a contact (and its children, or its parent's other sites), newest first. One
    Query per contact per page (one for a lone site; at most MAX_FAMILY)."""
    since_iso, until_iso = _iso(since), _iso(until)
    if since_iso and until_iso and until_iso < since_iso:
        raise invalid("until", tr("must not be before since"))
    family = _family(principal, contact_id, include)
    query = {"log": contact_id, "include": include, "status": status, "since": since_iso, "until": until_iso}
    return _merged(principal.tenant, family, query, status=status, since=since_iso, until=until_iso, limit=limit, cursor=cursor)


def jobs_of_contacts(tenant: str, contact_ids: list[str], limit: int, cursor: str | None) -> tuple[list[dict], str | None]:
    """Jobs at these contacts, newest first, paginated (for the booking site: a customer's contact
    and its child sites). The caller has checked the contacts are the customer's."""
    contact_ids = list(dict.fromkeys(contact_ids))
    if not contact_ids:
        return [], None
    if len(contact_ids) > MAX_FAMILY:
        raise invalid("contact_ids", tr("at most {most} contacts at once", most=MAX_FAMILY))
    return _merged(tenant, contact_ids, {"contacts": sorted(contact_ids)}, status=None, since=None, until=None, limit=limit, cursor=cursor)


# ---------------------------------------------------------------- the SLA report


def breaches(principal: Principal, *, until: datetime | None, limit: int, cursor: str | None) -> tuple[list[dict], str | None]:
    """Jobs that breached, or whose plan will breach, a constraint of their SLA (first deadline
    first; `until` keeps those whose first deadline is by then)."""
    tenant = principal.tenant
    now = clock.now()
    if until is not None and until - now > MAX_REPORT_AHEAD:
        raise invalid("until", tr("must be at most {days} days ahead; leave it out for every deadline", days=MAX_REPORT_AHEAD.days))
    resources = {r["id"]: r for r in repo.list_collection(tenant, "resource")}
    vehicles = {v["id"]: v for v in repo.list_collection(tenant, "vehicle")}

    def violations(job: dict) -> list:
        return sla.check(job, resources.get(job.get("resource_id") or ""), vehicles.get(job.get("vehicle_id") or ""), now)

    until_iso = _iso(until)
    jobs, next_cursor = repo.sla_watch(
        tenant, until=until_iso, keep=lambda j: bool(violations(j)), limit=limit, cursor=cursor, query={"breaches": until_iso}
    )
    return [{"job": j, "violations": violations(j)} for j in jobs], next_cursor


# ---------------------------------------------------------------- a contact's deletion


def forget_contact(tenant: str, contact_id: str) -> None:
    """Delete the contact's SLAs (for the contacts context, when the contact is deleted). Jobs stay:
    they are the site's history. Idempotent: nothing left to delete is no error."""
    repo.delete_slas(tenant, contact_id)


# ---------------------------------------------------------------- the tablet view


SITE_FIELDS = ("id", "name", "address", "location", "zone", "on_site_contact", "site_notes", "opening_hours")


def tablet(principal: Principal, job_id: str) -> dict:
    """A job as its resource sees it on the tablet: the job, the site's address, location, zone,
    on-site contact and notes (a whitelist: never the flag, never financial data), and the site's
    custom fields visible to resources with their answers."""
    job = get(principal, job_id)
    contact = contacts.get(principal.tenant, job["contact_id"])
    view = {**job, "site": {k: contact.get(k) for k in SITE_FIELDS}}
    answers = _custom_fields(principal, job["contact_id"])
    if answers is not None:
        view |= {"fields": [f.model_dump(mode="json") for f in answers.fields], "fields_version": answers.version}
    return view


def _custom_fields(principal: Principal, contact_id: str):
    try:
        from crm.customfields import service as customfields
    except ImportError:  # the custom fields context is not deployed with this layer
        return None
    return customfields.contact_answers(principal, contact_id)


def job_fields(principal: Principal, job_id: str):
    """The custom fields of the job's site with their answers, as the principal may see them."""
    from crm.customfields import service as customfields

    job = get(principal, job_id)
    return customfields.contact_answers(principal, job["contact_id"])


def answer_fields(principal: Principal, job_id: str, values, expected_version: int):
    """Answer the site's custom fields from a job: a resource only on their own job, and only the
    fields visible to resources (the custom fields context enforces which)."""
    from crm.customfields import service as customfields

    job = get(principal, job_id)
    return customfields.answer(principal, job["contact_id"], values, expected_version)
