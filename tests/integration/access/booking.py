"""Access rules of the booking routes, a body and query that pass validation for each, and the objects the matrix probes them with."""

from __future__ import annotations

from datetime import date, timedelta

from tests.integration.access.roles import ANYONE, CUSTOMERS, STAFF
from tests.support.lambdas import call

LAYER = 40  # worlds are built bottom-up: a context's objects may use those below it

ROLES: dict[tuple[str, str], set[str]] = {
    ("GET", "/contacts/{contact_id}/booking-site"): STAFF,
    ("PUT", "/contacts/{contact_id}/booking-site"): STAFF,
    ("POST", "/contacts/{contact_id}/booking-site/invitations"): STAFF,
    ("GET", "/booking/sites/{slug}"): ANYONE,
    ("GET", "/booking/sites/{slug}/jobs"): CUSTOMERS,
    ("GET", "/booking/sites/{slug}/options"): CUSTOMERS,
    ("GET", "/booking/sites/{slug}/jobs/{job_id}"): CUSTOMERS,
    ("POST", "/booking/sites/{slug}/requests"): CUSTOMERS,
}

VALID_INPUT: dict[tuple[str, str], dict] = {
    ("PUT", "/contacts/{contact_id}/booking-site"): {
        "body": {"slug": "probe-site", "job_type_ids": ["{job_type_id}"], "notify_email": "office@t1.example"},
        "headers": {"If-Match": '"1"'},
    },
    ("POST", "/contacts/{contact_id}/booking-site/invitations"): {
        "body": {"person_id": "01ARZ3NDEKTSV4RRFFQ69G5FAV"}
    },  # no such person: 422
    ("POST", "/booking/sites/{slug}/requests"): {
        "body": {
            "job_type_id": "{job_type_id}",
            "site_id": "{contact_id}",
            "preferred_date": (date.today() + timedelta(days=7)).isoformat(),
            "description": "probe",
        }
    },
}


def world(ids: dict[str, str], aws: dict[str, str]) -> dict[str, str]:
    """The contact's booking site, and a person with booking-site access (the matrix's customer)."""
    contact_id = ids["contact_id"]
    site = {"slug": "probe-site", "job_type_ids": [ids["job_type_id"]], "notify_email": "office@t1.example"}
    assert call("PUT", f"/contacts/{contact_id}/booking-site", body=site, headers={"If-Match": '"0"'}).status == 201
    booker = call(
        "POST", f"/contacts/{contact_id}/persons", body={"name": "Bo Oker", "email": "bo@abc.example", "booking_site_access": True}
    ).json
    return {"slug": "probe-site", "booker_id": booker["id"], "booker_email": booker["email"]}
