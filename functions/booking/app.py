"""Booking site API: each contact's site configuration and invitations (office), the public
landing data of a slug (anyone), and the signed-in customer's jobs, options and requests.

Each route parses, authorises (its roles) and makes one call into the crm layer.
"""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from crm.booking import service
from crm.booking.models import (
    Booked,
    BookingRequest,
    BookingSite,
    BookingSiteFields,
    CustomerJob,
    Invitation,
    Invited,
    JobList,
    Options,
    PublicSite,
)
from crm.platform import settings
from crm.platform.auth import CUSTOMERS, PUBLIC, STAFF
from crm.platform.contract import PerClientLimit
from crm.platform.http import Api, respond
from crm.platform.pagination import DEFAULT_LIMIT
from crm.platform.types import Limit

settings.require(
    settings.TABLE_NAME,
    settings.IDEMPOTENCY_TABLE,
    settings.CURSOR_KEYS_PARAMETER,
    settings.MAIL_FROM,
    settings.CUSTOMER_USER_POOL_ID,
    settings.BOOKING_SITE_URL_PARAMETER,
)
api = Api("booking", reader_locale=service.reader_locale)
app = api.app
Cursor = Annotated[str | None, Query(max_length=2048)]
SlugParam = Annotated[str, Path(max_length=48)]
# Anyone may read a slug's landing data: per client, few enough that slugs cannot be walked.
PUBLIC_LOOKUPS = PerClientLimit(requests=30, seconds=60)


# ---------------------------------------------------------------- configuration (admin, office)


@api.route("GET", "/contacts/{contact_id}/booking-site", roles=STAFF, returns=BookingSite)
def get_booking_site(contact_id: str):
    site = service.get_site(api.principal().tenant, contact_id)
    return respond(site, version=site.version)


@api.route(
    "PUT",
    "/contacts/{contact_id}/booking-site",
    roles=STAFF,
    returns=BookingSite,
    if_match="required",
    upsert=True,
    conflicts=("the address (slug) is another site's",),
)
def put_booking_site(contact_id: str, body: BookingSiteFields):
    """Create (If-Match: "0") or replace the contact's booking site."""
    site = service.save_site(api.principal().tenant, contact_id, body, api.version())
    return respond(site, 201 if site.version == 1 else 200, site.version)


@api.route(
    "POST",
    "/contacts/{contact_id}/booking-site/invitations",
    roles=STAFF,
    returns=Invited,
    status=201,
    conflicts=("the contact has no booking site yet", "the address already signs in to another booking site"),
)
def invite(contact_id: str, body: Invitation):
    return respond(service.invite(api.principal(), contact_id, body.person_id), 201)


# ---------------------------------------------------------------- anyone (no token)


@api.route("GET", "/booking/sites/{slug}", roles=PUBLIC, per_client=PUBLIC_LOOKUPS)
def public_site(slug: SlugParam) -> PublicSite:
    return service.public_site(slug)


# ---------------------------------------------------------------- the signed-in customer


@api.route("GET", "/booking/sites/{slug}/jobs", roles=CUSTOMERS, conflicts=("more sites than one list shows",))
def customer_jobs(slug: SlugParam, limit: Annotated[Limit, Query()] = DEFAULT_LIMIT, cursor: Cursor = None) -> JobList:
    return service.jobs(api.principal(), slug, limit, cursor)


@api.route("GET", "/booking/sites/{slug}/options", roles=CUSTOMERS)
def customer_options(slug: SlugParam) -> Options:
    return service.options(api.principal(), slug)


@api.route("GET", "/booking/sites/{slug}/jobs/{job_id}", roles=CUSTOMERS)
def customer_job(slug: SlugParam, job_id: str) -> CustomerJob:
    return service.job(api.principal(), slug, job_id)


@api.route("POST", "/booking/sites/{slug}/requests", roles=CUSTOMERS, returns=Booked, location="/booking/sites/{slug}/jobs/{job_id}")
def customer_request(slug: SlugParam, body: BookingRequest):
    return respond(service.request(api.principal(), slug, body), 201)


handler = api.handler()
