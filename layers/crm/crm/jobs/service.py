"""Rules of jobs: creation with a gapless reference, planning with warnings (opening hours, SLA
constraints: crm.jobs.planning) and recorded overrides, status changes with history and the
completion and cancellation events, lists, and what a resource (technician) may see. What is read
across jobs (the site's job log, the SLA breach report, the tablet view) is crm.jobs.views.

Also the booking site's entry point, whose signature stays stable: `request_job`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from crm.contacts import dependents
from crm.contacts import service as contacts
from crm.jobs import catalog, charges, planning, sla, transitions
from crm.jobs import catalog_repository as catalog_repo
from crm.jobs import repository as repo
from crm.jobs.events import JobCancelled, JobCompleted
from crm.jobs.models import JobCreate, JobPatch, StatusChange
from crm.platform import clock, dynamo, idempotency, ids, outbox, personal_data
from crm.platform.auth import Principal
from crm.platform.errors import Conflict, FieldError, NotFound, PreconditionFailed, invalid
from crm.platform.i18n import reason, tr

# A completion adds to its month's totals, which other completions at the same sites touch too: a
# transaction conflict on them is tried again (a cancelled transaction wrote nothing).
COMPLETION_RETRIES = 4


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


def _overridden(principal: Principal, job: dict, constraint_ids: list[str], at: str) -> list[dict]:
    """Override these SLA constraints of the job; the history entries recording it."""
    return [
        _entry(principal, None, "override", at, constraint_id=c["id"], note=sla.describe(c))
        for c in planning.override(principal, job, constraint_ids, at)
    ]


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
        "planned_start": planning.iso(body.planned_start),
        "planned_end": planning.iso(body.planned_end),
        "resource_id": body.resource_id,
        "vehicle_id": body.vehicle_id,
        "sla": planning.job_sla(tenant, contact, body.sla_id, body.job_type_id, now),
        "charges": charges.dumped(body.charges) or None,
        "created_at": at,
        "created_by": principal.actor,
        "updated_at": at,
    }
    planning.check_span(job)
    job["status"] = "scheduled" if planning.planned(job) else "to_schedule"
    entries = [_entry(principal, None, "created", at, to_status=job["status"]), *_overridden(principal, job, body.override_constraints, at)]
    warnings = planning.warnings(job, contact, resource, vehicle, now)
    planning.refuse_if_strict(body.strict, warnings)
    saved = _insert(tenant, job, _in_order(entries), planning.watch(job, resource, vehicle, now))
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
            changes[name] = planning.iso(changes[name])
    now = clock.now()
    at = clock.iso(now)
    job = {**old, **changes, "version": old["version"] + 1, "updated_at": at}
    if job.get("planned_start") and job.get("planned_end") and job["planned_end"] <= job["planned_start"]:
        raise invalid("planned_end", tr("must be after planned_start"))
    planning.check_span(job)
    resource = catalog.referenced(tenant, "resource", job.get("resource_id"), "resource_id")
    vehicle = catalog.referenced(tenant, "vehicle", job.get("vehicle_id"), "vehicle_id")
    entries = _overridden(principal, job, patch.override_constraints, at)
    moved = {("to_schedule", True): "scheduled", ("scheduled", False): "to_schedule"}.get((job["status"], planning.planned(job)))
    if moved:
        entries.append(_entry(principal, None, "status", at, from_status=job["status"], to_status=moved, note="planning changed"))
        job["status"] = moved
    warnings = planning.warnings(job, contacts.get(tenant, job["contact_id"]), resource, vehicle, now)
    planning.refuse_if_strict(patch.strict, warnings)
    job = {k: v for k, v in job.items() if v is not None}
    repo.save_job(tenant, job, expected_version, planning.watch(job, resource, vehicle, now), _in_order(entries))
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
    if change.status == "scheduled" and not planning.planned(old):
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
    resource = catalog_repo.get_member(tenant, "resource", job["resource_id"]) if job.get("resource_id") else None
    vehicle = catalog_repo.get_member(tenant, "vehicle", job["vehicle_id"]) if job.get("vehicle_id") else None
    repo.save_job(
        tenant,
        job,
        expected_version,
        planning.watch(job, resource, vehicle, now),
        [entry],
        owed,
        retries=COMPLETION_RETRIES if completing else 0,
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


# ---------------------------------------------------------------- a contact's deletion


def forget_contact(tenant: str, contact_id: str) -> None:
    """Delete the contact's SLAs (for the contacts context, when the contact is deleted). Jobs stay:
    they are the site's history. Idempotent: nothing left to delete is no error."""
    catalog_repo.delete_slas(tenant, contact_id)
