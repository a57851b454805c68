"""What is read across jobs: the site's job log (a contact's jobs, with its children's or its
parent's other sites'), the booking site's list of a customer's jobs (`jobs_of_contacts`, whose
signature stays stable), the SLA breach report, and the technician's tablet view of a job."""

from __future__ import annotations

from datetime import datetime, timedelta

from crm.contacts import service as contacts
from crm.jobs import catalog_repository as catalog_repo
from crm.jobs import repository as repo
from crm.jobs import sla
from crm.jobs.planning import iso
from crm.jobs.service import get
from crm.platform import clock, pagination
from crm.platform.auth import Principal
from crm.platform.errors import Conflict, invalid
from crm.platform.i18n import tr

MAX_FAMILY = 100  # a contact's children (or its parent's sites) merged into one job log, besides itself
MAX_REPORT_AHEAD = timedelta(days=366)  # the breach report's `until`, from now


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
    since_iso, until_iso = iso(since), iso(until)
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
    resources = {r["id"]: r for r in catalog_repo.list_collection(tenant, "resource")}
    vehicles = {v["id"]: v for v in catalog_repo.list_collection(tenant, "vehicle")}

    def violations(job: dict) -> list:
        return sla.check(job, resources.get(job.get("resource_id") or ""), vehicles.get(job.get("vehicle_id") or ""), now)

    until_iso = iso(until)
    jobs, next_cursor = repo.sla_watch(
        tenant, until=until_iso, keep=lambda j: bool(violations(j)), limit=limit, cursor=cursor, query={"breaches": until_iso}
    )
    return [{"job": j, "violations": violations(j)} for j in jobs], next_cursor


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
