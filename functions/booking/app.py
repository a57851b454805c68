"""Booking site API: each contact's site configuration and invitations (office), the public
landing data of a slug (anyone), and the signed-in customer's jobs, options and requests.

Each route parses, authorises (its roles) and makes one call into the crm layer.
"""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from crm.booking import service
from crm.booking.models import Booked, BookingRequest, BookingSiteFields, Invitation, Invited, JobList, Options, PublicSite
from crm.platform.auth import CUSTOMERS, PUBLIC, STAFF
from crm.platform.http import Api, expected_version, respond
from crm.platform.pagination import DEFAULT_LIMIT
from crm.platform.types import Limit

api = Api("booking", reader_locale=service.reader_locale)
app = api.app
Cursor = Annotated[str | None, Query(max_length=2048)]
SlugParam = Annotated[str, Path(max_length=48)]


# ---------------------------------------------------------------- configuration (admin, office)


@api.route("GET", "/contacts/{contact_id}/booking-site", roles=STAFF)
def get_booking_site(contact_id: str):
    site = service.get_site(api.principal().tenant, contact_id)
    return respond(site, version=site.version)


@api.route("PUT", "/contacts/{contact_id}/booking-site", roles=STAFF)
def put_booking_site(contact_id: str, body: BookingSiteFields):
    site = service.save_site(api.principal().tenant, contact_id, body, expected_version(api.header("If-Match")))
    return respond(site, 201 if site.version == 1 else 200, site.version)


@api.route("POST", "/contacts/{contact_id}/booking-site/invitations", roles=STAFF)
def invite(contact_id: str, body: Invitation) -> Invited:
    return respond(service.invite(api.principal(), contact_id, body.person_id), 201)


# ---------------------------------------------------------------- anyone (no token)


@api.route("GET", "/booking/sites/{slug}", roles=PUBLIC)
def public_site(slug: SlugParam) -> PublicSite:
    return service.public_site(slug)


# ---------------------------------------------------------------- the signed-in customer


@api.route("GET", "/booking/sites/{slug}/jobs", roles=CUSTOMERS)
def customer_jobs(slug: SlugParam, limit: Annotated[Limit, Query()] = DEFAULT_LIMIT, cursor: Cursor = None) -> JobList:
    return service.jobs(api.principal(), slug, limit, cursor)


@api.route("GET", "/booking/sites/{slug}/options", roles=CUSTOMERS)
def customer_options(slug: SlugParam) -> Options:
    return service.options(api.principal(), slug)


@api.route("POST", "/booking/sites/{slug}/requests", roles=CUSTOMERS)
def customer_request(slug: SlugParam, body: BookingRequest) -> Booked:
    return respond(service.request(api.principal(), slug, body), 201)


handler = api.handler()
