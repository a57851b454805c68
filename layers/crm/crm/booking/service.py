"""The booking site: its configuration per contact, invitations, and what a signed-in customer
may see and ask for. No HTTP, no keys.

A customer's principal carries the tenant, contact and person from their token (the customer
user pool); every customer call first checks that the slug is that very contact's site and that
the person still has booking-site access, and answers 404 otherwise: a customer learns nothing
about another contact's or another account's site.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger

from crm.booking import emails, rules
from crm.booking import repository as repo
from crm.booking.models import (
    Booked,
    BookingRequest,
    BookingSite,
    BookingSiteFields,
    CustomerJob,
    Invited,
    JobList,
    OptionItem,
    Options,
    PublicSite,
)
from crm.contacts import mailer
from crm.contacts import service as contacts
from crm.people import logins
from crm.people import readers as people_readers
from crm.people import service as people
from crm.platform import clock, settings
from crm.platform.auth import Principal
from crm.platform.errors import Conflict, FieldError, Forbidden, NotFound, PreconditionFailed, TooManyRequests, invalid, invalid_fields
from crm.platform.i18n import tr, tr_n

logger = Logger(child=True)
FORGET_ATTEMPTS = 3
MAX_SITES = 100  # sites whose jobs one list shows (the jobs context merges at most this many job logs)


def reader_locale(principal: Principal) -> str:
    """The locale of a caller's problem answers when their request names none (a customer's is
    their person's)."""
    return people_readers.reader_locale(principal)


def _no_site() -> NotFound:
    return NotFound(tr("no such booking site"))


def _view(site: dict) -> BookingSite:
    return BookingSite.model_validate({**site, "url": f"{settings.booking_site_url()}/{site['slug']}"})


# ---------------------------------------------------------------- job types (the jobs context's)


def _job_types(tenant: str) -> dict[str, str]:
    """id -> name of the account's job types."""
    from crm.jobs import catalog

    return {t["id"]: t["name"] for t in catalog.members(tenant, "type")}


# ---------------------------------------------------------------- configuration (admin, office)


def get_site(tenant: str, contact_id: str) -> BookingSite:
    contacts.get(tenant, contact_id)
    site = repo.get_site(tenant, contact_id)
    if site is None:
        raise NotFound(tr('this contact has no booking site yet; PUT one with If-Match: "0"'))
    return _view(site)


def save_site(tenant: str, contact_id: str, fields: BookingSiteFields, expected_version: int) -> BookingSite:
    contacts.get(tenant, contact_id)
    old = repo.get_site(tenant, contact_id)
    if (old["version"] if old else 0) != expected_version:
        raise PreconditionFailed(tr("the booking site changed since you read it; reload it and apply your change again"))
    known = _job_types(tenant)
    unknown = [i for i in fields.job_type_ids if i not in known]
    if unknown:
        raise invalid_fields(
            [FieldError(f"job_type_ids.{fields.job_type_ids.index(i)}", tr("is not a job type of this account")) for i in unknown]
        )
    new = {
        **fields.model_dump(mode="json"),
        "contact_id": contact_id,
        "version": expected_version + 1,
        "updated_at": clock.iso(clock.now()),
    }
    repo.save_site(tenant, old, new)
    return _view(new)


def forget_contact(tenant: str, contact_id: str) -> None:
    """The contact is deleted: delete its booking site's configuration and free its slug for
    anyone to claim. Idempotent (no site: nothing to do); a concurrent save is read again."""
    for _ in range(FORGET_ATTEMPTS):
        site = repo.get_site(tenant, contact_id)
        if site is None:
            return
        try:
            repo.delete_site(tenant, site)
            return
        except PreconditionFailed:
            continue  # saved meanwhile (perhaps with another slug): delete what is there now
    raise PreconditionFailed(tr("the booking site kept changing while it was deleted; try again"))


# ---------------------------------------------------------------- invitations


def _person(tenant: str, contact_id: str, person_id: str) -> dict:
    try:
        person = people.get(tenant, person_id)
    except NotFound:
        raise invalid("person_id", tr("is not a person of this contact")) from None
    if person.get("contact_id") != contact_id:
        raise invalid("person_id", tr("is not a person of this contact"))
    if not person.get("booking_site_access"):
        raise invalid("person_id", tr("has no booking-site access; grant it on the person first"))
    if not person.get("email"):
        raise invalid("person_id", tr("has no email address to send the invitation to"))
    return person


def invite(principal: Principal, contact_id: str, person_id: str) -> Invited:
    """Create the person's customer login (or give it a new temporary password) and email it."""
    tenant = principal.tenant
    contact = contacts.get(tenant, contact_id)
    site = repo.get_site(tenant, contact_id)
    if site is None:
        raise Conflict(tr("configure this contact's booking site before inviting anyone to it"))
    person = _person(tenant, contact_id, person_id)
    password = rules.temporary_password()
    resent = logins.open_login(tenant, contact_id, person_id, person["email"], password)
    url = f"{settings.booking_site_url()}/{site['slug']}"
    mailer.send(
        tenant,
        mailer.Email(
            to=[person["email"]],
            compose=lambda reader: emails.invitation(reader, person, contact["name"], url, password),
            kind="booking_invitation",
            contact_id=contact_id,
            related_id=person_id,
            persons=(person_id,),
            readers={person["email"]: people_readers.person_reader(tenant, person)},  # in the person's own language
        ),
    )
    return Invited(person_id=person_id, email=person["email"], url=url, resent=resent)


# ---------------------------------------------------------------- public and customer views


def public_site(slug: str) -> PublicSite:
    owner = repo.site_by_slug(slug)
    site = repo.get_site(*owner) if owner else None
    contact = contacts.lookup(*owner) if owner and site else None
    if site is None or contact is None or site["slug"] != slug:
        raise _no_site()
    return PublicSite(company_name=contact["name"], logo_url=site.get("logo_url"))


def _customer_site(principal: Principal, slug: str) -> tuple[dict, dict]:
    """(site, contact) of the slug, if it is the signed-in customer's own; 404 otherwise."""
    if not principal.contact_id or not principal.person_id:
        raise Forbidden(tr("this login is not a booking-site customer's"))
    if repo.site_by_slug(slug) != (principal.tenant, principal.contact_id):
        raise _no_site()
    site = repo.get_site(principal.tenant, principal.contact_id)
    contact = contacts.lookup(principal.tenant, principal.contact_id)
    if site is None or contact is None or site["slug"] != slug:
        raise _no_site()
    person = people.lookup(principal.tenant, principal.person_id)
    # The token's address must still be the person's: a login left at an old address opens nothing.
    address = (principal.email or "").casefold()
    if (
        not person
        or person.get("contact_id") != principal.contact_id
        or not person.get("booking_site_access")
        or (person.get("email") or "").casefold() != address
    ):
        raise Forbidden(tr("your access to this booking site was withdrawn; ask your contact at the company"))
    return site, contact


def _sites(tenant: str, contact: dict) -> list[dict]:
    """The customer's contact and every one of its child sites (paged through: none is left out)."""
    children: list[dict] = []
    cursor = None
    while True:
        page, cursor = contacts.children(tenant, contact["id"], limit=200, cursor=cursor)
        children.extend(page)
        if not cursor:
            return rules.sites_of(contact, children)


def options(principal: Principal, slug: str) -> Options:
    site, contact = _customer_site(principal, slug)
    names = _job_types(principal.tenant)
    return Options(
        job_types=[OptionItem(id=i, name=names[i]) for i in site["job_type_ids"] if i in names],
        sites=[OptionItem(id=s["id"], name=s["name"]) for s in _sites(principal.tenant, contact)],
    )


def jobs(principal: Principal, slug: str, limit: int, cursor: str | None) -> JobList:
    from crm.jobs import views as jobs_views

    site, contact = _customer_site(principal, slug)
    sites = _sites(principal.tenant, contact)
    if len(sites) > MAX_SITES:
        raise Conflict(
            tr(
                "{company} has {sites} sites, more than the {most} whose jobs can be listed together; ask the office for the list of your jobs",
                company=contact["name"],
                sites=len(sites),
                most=MAX_SITES,
            )
        )
    items, next_cursor = jobs_views.jobs_of_contacts(principal.tenant, [s["id"] for s in sites], limit, cursor)
    names = _job_types(principal.tenant)
    site_names = {s["id"]: s["name"] for s in sites}
    return JobList(
        columns=site["columns"], items=[rules.row(j, site["columns"], names, site_names) for j in items], next_cursor=next_cursor
    )


def job(principal: Principal, slug: str, job_id: str) -> CustomerJob:
    """One job of the customer's contact or its sites (404 for any other)."""
    from crm.jobs import service as jobs_service

    site, contact = _customer_site(principal, slug)
    sites = {s["id"]: s["name"] for s in _sites(principal.tenant, contact)}
    found = jobs_service.get(principal, job_id)
    if found.get("contact_id") not in sites:
        raise NotFound(tr("no such job"))
    row = rules.row(found, site["columns"], _job_types(principal.tenant), sites)
    return CustomerJob(id=found["id"], reference=found.get("reference"), status=found["status"], row=row)


def request(principal: Principal, slug: str, body: BookingRequest) -> Booked:
    """A customer's booking: checked, counted against their rate limit, filed 'to schedule', and
    the office emailed."""
    from crm.jobs import service as jobs_service

    site, contact = _customer_site(principal, slug)
    names = _job_types(principal.tenant)
    errors = []
    if body.job_type_id not in site["job_type_ids"] or body.job_type_id not in names:
        errors.append(FieldError("job_type_id", tr("is not one of the job types this site offers")))
    sites = {s["id"]: s for s in _sites(principal.tenant, contact)}
    if body.site_id not in sites:
        errors.append(FieldError("site_id", tr("is not one of your sites")))
    now = clock.now()
    date_problem = rules.preferred_date_problem(body.preferred_date, now.date())
    if date_problem:
        errors.append(FieldError("preferred_date", date_problem))
    if errors:
        raise invalid_fields(errors)
    start, end = rules.rate_window(now)
    if principal.person_id is None:  # _customer_site has refused such a login already
        raise Forbidden(tr("this login is not a booking-site customer's"))
    if not repo.count_request(principal.tenant, principal.person_id, start, end, rules.RATE_LIMIT):
        wait = rules.retry_after(now, end)
        minutes = max(1, wait // 60)
        raise TooManyRequests(
            tr_n(
                "at most {most} booking requests an hour; try again in {minutes} minute",
                "at most {most} booking requests an hour; try again in {minutes} minutes",
                minutes,
                most=rules.RATE_LIMIT,
                minutes=minutes,
            ),
            headers={"Retry-After": str(wait)},
        )
    job = jobs_service.request_job(
        principal.tenant, body.site_id, body.job_type_id, body.description, body.preferred_date, principal.person_id
    )
    type_name, site_name = names[body.job_type_id], sites[body.site_id]["name"]
    office = mailer.Email(
        to=[site["notify_email"]],
        compose=lambda reader: emails.booking_request(reader, principal.email, contact["name"], job, type_name, site_name),
        kind="booking_request",
        contact_id=body.site_id,
        related_id=job["id"],
        persons=(principal.person_id,),
    )
    notified = _notify_office(principal.tenant, office)
    return Booked(
        id=job["id"],
        reference=job.get("reference"),
        status=job.get("status", "to_schedule"),
        row=rules.row(job, site["columns"], names, {k: v["name"] for k, v in sites.items()}),
        office_notified=notified,
    )


def _notify_office(tenant: str, email: mailer.Email) -> bool:
    # The job is the record and is committed: a mail failure must not turn into a 500, whose retry
    # (with the same Idempotency-Key, nothing was stored for it) would file a second job.
    try:
        mailer.send(tenant, email)
    except Exception:
        logger.exception("booking request %s filed but the office was not emailed", email.related_id)
        return False
    return True
