"""Parts on jobs (`/jobs/{job_id}/parts`): parts planned for a job (reserved at the location they
will come from, the job's van by default), parts used and equipment installed or removed by
serial, recorded by the office or by the technician on their own job. When the job is completed
(its JobCompleted event) the movements are posted, each part once however often the event comes:
van -> site for parts fitted and units installed, site -> van for units removed; reservations
released. A part that cannot be posted (not enough on hand, a serial elsewhere) is marked with why,
for the stores to correct by hand, rather than blocking the others. When the job is cancelled (its
JobCancelled event) the planned parts' reservations are released, each once."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from crm.jobs import money, transitions
from crm.jobs import service as jobs
from crm.jobs.events import JobCancelled, JobCompleted
from crm.platform import clock, dynamo, idempotency, ids
from crm.platform.auth import Principal
from crm.platform.errors import Conflict, FieldError, NotFound, invalid, invalid_fields
from crm.platform.i18n import tr
from crm.stock import balancing, catalogue, movements, rules
from crm.stock.models import PartCreate
from crm.stock.repository import parts as repo


def _open_job(principal: Principal, job_id: str) -> dict:
    job = jobs.get(principal, job_id)  # a resource reaches only their own jobs (others are 404)
    if transitions.is_terminal(job["status"]):
        raise Conflict(tr("the job is {status}: its parts can no longer change", status=job["status"]))
    return job


def listed(principal: Principal, job_id: str) -> list[dict]:
    jobs.get(principal, job_id)
    return sorted(repo.parts(principal.tenant, job_id), key=lambda p: p["id"])


def _checked(item: dict, body: PartCreate) -> Decimal:
    errors = []
    if body.kind in ("installed", "removed") and item["kind"] != "equipment":
        errors.append(FieldError("item_id", tr("only equipment is installed or removed by serial; record a stock item as used")))
    if body.kind == "used" and item["kind"] == "equipment":
        errors.append(FieldError("kind", tr("equipment is installed or removed by serial")))
    if body.kind == "planned" and body.serial:
        errors.append(FieldError("serial", tr("a planned part is a quantity; record the unit when it is installed")))
    if errors:
        raise invalid_fields(errors)
    if body.kind == "planned":
        if body.quantity is None:
            raise invalid("quantity", tr("is required"))
        amount = rules.quantity(body.quantity)
        catalogue.whole_units(item, amount)
        return amount
    return movements.amount_of(item, body.quantity, body.serial)


def add(principal: Principal, job_id: str, body: PartCreate) -> dict:
    tenant = principal.tenant
    job = _open_job(principal, job_id)
    item = catalogue.referenced(tenant, body.item_id)
    amount = _checked(item, body)
    location = body.location or (f"vehicle:{job['vehicle_id']}" if job.get("vehicle_id") else None)
    if location is None:
        raise invalid("location", tr("the job has no van: name where the part comes from"))
    movements.check_location(tenant, location, "location")
    part = {
        "id": ids.new_id(),
        "job_id": job_id,
        "version": 1,
        "kind": body.kind,
        "item_id": item["id"],
        "make": item["make"],
        "model": item["model"],
        "quantity": amount,
        "serial": body.serial,
        "location": location,
        "by": principal.user_id,
        "at": clock.iso(clock.now()),
    }
    steps = [*idempotency.claim(part["id"]), repo.part_put(tenant, part, None)]
    if body.kind == "planned":
        balancing.apply(tenant, balancing.Change(item, reserved={location: amount}), lambda: steps)
    else:
        dynamo.transact_explained(steps)
    return part


def remove(principal: Principal, job_id: str, part_id: str, expected_version: int) -> None:
    """Take a part off an open job (a planned part's reservation released with it)."""
    tenant = principal.tenant
    _open_job(principal, job_id)
    part = repo.get_part(tenant, job_id, part_id)
    if part is None:
        raise NotFound(tr("no such part on this job"))
    step = repo.part_delete(tenant, job_id, part_id, expected_version)
    if part["kind"] == "planned":
        item = catalogue.item(tenant, part["item_id"])
        change = balancing.Change(item, reserved={part["location"]: -rules.quantity(part["quantity"])})
        balancing.apply(tenant, change, lambda: [step])
    else:
        dynamo.transact_explained([step])


def get(principal: Principal, job_id: str, part_id: str) -> dict:
    jobs.get(principal, job_id)
    part = repo.get_part(principal.tenant, job_id, part_id)
    if part is None:
        raise NotFound(tr("no such part on this job"))
    return part


def costs(tenant: str, job_ids: Sequence[str], currency: str) -> dict[str, int]:
    """For other contexts (the financial tab): the parts cost of each job, in integer minor units of
    `currency`: the cost price of the parts fitted and the units installed when the job was
    completed, less what reversing those movements took back (0 for a job with none). Parts of
    items priced in another currency are not in it. One BatchGetItem per 100 jobs."""
    found = repo.job_costs(tenant, job_ids, currency)
    return {job_id: found.get(job_id, 0) for job_id in job_ids}


# ---------------------------------------------------------------- the job's completion


def _release(tenant: str, part: dict, event_id: str) -> str:
    """Release a planned part's reservation, once: the part is marked settled in the same write."""
    item = catalogue.item(tenant, part["item_id"])
    change = balancing.Change(item, reserved={part["location"]: -rules.quantity(part["quantity"])})
    balancing.apply(tenant, change, lambda: [repo.part_settled(tenant, part, {"settled": "released", "event_id": event_id})])
    return "released"


def _settle(tenant: str, event: JobCompleted, part: dict) -> str:
    if part["kind"] == "planned":
        return _release(tenant, part, event.event_id)
    item = catalogue.item(tenant, part["item_id"])
    amount = rules.quantity(part["quantity"])
    site = f"contact:{event.contact_id}"
    source, destination = (site, part["location"]) if part["kind"] == "removed" else (part["location"], site)
    movement_id = ids.new_id()
    # What was fitted or installed is the job's, at the item's cost price of now; a removed unit is not.
    cost = None if part["kind"] == "removed" else {"amount": money.rounded(amount * item["unit_cost"]), "currency": item["currency"]}
    settled = repo.part_settled(tenant, part, {"settled": "posted", "movement_id": movement_id, "event_id": event.event_id})
    movements.post(
        tenant,
        item,
        amount=amount,
        serial=part.get("serial"),
        source=source,
        destination=destination,
        reason="job",
        by=event.resource_id or part["by"],
        job_id=event.job_id,
        job_cost=cost,
        also=[settled],
        movement_id=movement_id,
    )
    return "posted"


def complete(event: JobCompleted) -> dict[str, int]:
    """Post the completed job's parts (idempotent: each part is settled once, whatever the number
    of deliveries). Returns how many parts ended how, for the log."""
    tenant = event.tenant
    outcomes: dict[str, int] = {}
    for part in repo.parts(tenant, event.job_id):
        if part.get("settled"):
            continue
        try:
            outcome = _settle(tenant, event, part)
        except repo.AlreadyPosted:
            outcome = "already"
        except (Conflict, NotFound) as refused:
            try:
                dynamo.transact_explained([repo.part_settled(tenant, part, {"settled": "failed", "problem": refused.detail})])
                outcome = "failed"
            except repo.AlreadyPosted:
                outcome = "already"
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes


def cancel(event: JobCancelled) -> dict[str, int]:
    """Release the cancelled job's reservations (idempotent: a part released by an earlier delivery
    is settled already). Parts recorded as used, installed or removed stay as recorded: nothing is
    posted for a cancelled job. Returns how many parts ended how, for the log."""
    outcomes: dict[str, int] = {}
    for part in repo.parts(event.tenant, event.job_id):
        if part["kind"] != "planned" or part.get("settled"):
            continue
        try:
            outcome = _release(event.tenant, part, event.event_id)
        except repo.AlreadyPosted:
            outcome = "already"
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes
