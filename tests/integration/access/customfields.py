"""Access rules of the customfields routes, a body and query that pass validation for each, and the objects the matrix probes them with."""

from __future__ import annotations

from crm.platform.auth import ADMIN
from tests.integration.access.roles import ADMINS, STAFF_AND_RESOURCES
from tests.support.lambdas import call

LAYER = 20  # worlds are built bottom-up: a context's objects may use those below it

ROLES: dict[tuple[str, str], set[str]] = {
    ("GET", "/contact-groups/{group_id}/fields"): STAFF_AND_RESOURCES,
    ("POST", "/contact-groups/{group_id}/fields"): ADMINS,
    ("GET", "/contact-groups/{group_id}/fields/{field_id}"): STAFF_AND_RESOURCES,
    ("PATCH", "/contact-groups/{group_id}/fields/{field_id}"): ADMINS,
    ("DELETE", "/contact-groups/{group_id}/fields/{field_id}"): ADMINS,
    ("PUT", "/contact-groups/{group_id}/fields/order"): ADMINS,
    ("POST", "/contact-groups/{group_id}/fields/copy"): ADMINS,
    ("GET", "/contacts/{contact_id}/fields"): STAFF_AND_RESOURCES,
    ("PATCH", "/contacts/{contact_id}/fields"): STAFF_AND_RESOURCES,
}

VALID_INPUT: dict[tuple[str, str], dict] = {
    ("POST", "/contact-groups/{group_id}/fields"): {"body": {"label": "Probe field", "type": "text"}},
    ("PATCH", "/contact-groups/{group_id}/fields/{field_id}"): {"body": {"label": "Renamed field"}, "headers": {"If-Match": '"1"'}},
    ("DELETE", "/contact-groups/{group_id}/fields/{field_id}"): {"headers": {"If-Match": '"1"'}},
    ("PUT", "/contact-groups/{group_id}/fields/order"): {"body": {"field_ids": []}, "headers": {"If-Match": '"1"'}},
    ("POST", "/contact-groups/{group_id}/fields/copy"): {"body": {"from_group_id": "{group_id}", "replace": True}},
    ("PATCH", "/contacts/{contact_id}/fields"): {"body": {"values": {}}, "headers": {"If-Match": '"0"'}},
}


def world(ids: dict[str, str], aws: dict[str, str]) -> dict[str, str]:
    field = call("POST", f"/contact-groups/{ids['group_id']}/fields", role=ADMIN, body={"label": "Gate code", "type": "text"}).json
    return {"field_id": field["id"]}
