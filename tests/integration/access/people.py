"""Access rules of the people routes, a body and query that pass validation for each, and the objects the matrix probes them with."""

from __future__ import annotations

from crm.platform.auth import ADMIN
from tests.integration.access.roles import ADMINS, STAFF
from tests.support.lambdas import call

LAYER = 20  # worlds are built bottom-up: a context's objects may use those below it

ROLES: dict[tuple[str, str], set[str]] = {
    ("GET", "/contacts/{contact_id}/persons"): STAFF,
    ("POST", "/contacts/{contact_id}/persons"): STAFF,
    ("GET", "/persons"): STAFF,
    ("GET", "/persons/{person_id}"): STAFF,
    ("PATCH", "/persons/{person_id}"): STAFF,
    ("DELETE", "/persons/{person_id}"): STAFF,
    ("GET", "/persons/{person_id}/consent"): STAFF,
    ("POST", "/persons/{person_id}/consent"): STAFF,
    ("GET", "/persons/{person_id}/consent/{event_id}"): STAFF,
    ("POST", "/persons/{person_id}/export"): ADMINS,
    ("POST", "/persons/{person_id}/erase"): ADMINS,
    ("GET", "/tags"): STAFF,
    ("POST", "/tags"): ADMINS,
    ("GET", "/tags/{tag_id}"): STAFF,
    ("PATCH", "/tags/{tag_id}"): ADMINS,
    ("DELETE", "/tags/{tag_id}"): ADMINS,
}

VALID_INPUT: dict[tuple[str, str], dict] = {
    ("POST", "/contacts/{contact_id}/persons"): {"body": {"name": "Probe Person"}},
    ("PATCH", "/persons/{person_id}"): {"body": {"job_title": "Probe"}, "headers": {"If-Match": '"2"'}},  # consent recorded: 2
    ("DELETE", "/persons/{person_id}"): {"headers": {"If-Match": '"2"'}},
    ("POST", "/persons/{person_id}/consent"): {"body": {"status": "given", "medium": "email"}},
    ("POST", "/persons/{person_id}/export"): {"body": {}},
    ("POST", "/tags"): {"body": {"name": "Probe tag", "colour": "#112233"}},
    ("PATCH", "/tags/{tag_id}"): {"body": {"name": "Renamed tag"}, "headers": {"If-Match": '"1"'}},
    ("DELETE", "/tags/{tag_id}"): {"headers": {"If-Match": '"1"'}},
}


def world(ids: dict[str, str], aws: dict[str, str]) -> dict[str, str]:
    tag = call("POST", "/tags", role=ADMIN, body={"name": "Probe", "colour": "#336699"}).json
    person = call("POST", f"/contacts/{ids['contact_id']}/persons", body={"name": "Jane Probe", "tag_ids": [tag["id"]]}).json
    consent = call("POST", f"/persons/{person['id']}/consent", body={"status": "given", "medium": "paper"}).json
    return {"tag_id": tag["id"], "person_id": person["id"], "event_id": consent["id"]}
