"""Access rules of the contacts routes, a body and query that pass validation for each, and the objects the matrix probes them with."""

from __future__ import annotations

from crm.platform.auth import ADMIN
from tests.integration.access.roles import ADMINS, STAFF, STAFF_AND_RESOURCES
from tests.support.lambdas import call

LAYER = 10  # worlds are built bottom-up: a context's objects may use those below it

ROLES: dict[tuple[str, str], set[str]] = {
    ("GET", "/contacts"): STAFF_AND_RESOURCES,
    ("POST", "/contacts"): STAFF,
    ("GET", "/contacts/{contact_id}"): STAFF_AND_RESOURCES,
    ("PATCH", "/contacts/{contact_id}"): STAFF,
    ("DELETE", "/contacts/{contact_id}"): STAFF,
    ("GET", "/contacts/{contact_id}/children"): STAFF_AND_RESOURCES,
    ("GET", "/contacts/{contact_id}/zone"): STAFF_AND_RESOURCES,
    ("POST", "/contacts/{contact_id}/availability"): STAFF,
    ("GET", "/contacts/{contact_id}/notes"): STAFF,
    ("POST", "/contacts/{contact_id}/notes"): STAFF,
    ("GET", "/contacts/{contact_id}/notes/{note_id}"): STAFF,
    ("GET", "/contacts/{contact_id}/attachments"): STAFF,
    ("POST", "/contacts/{contact_id}/attachments"): STAFF,
    ("DELETE", "/contacts/{contact_id}/attachments/{attachment_id}"): STAFF,
    ("GET", "/contacts/{contact_id}/attachments/{attachment_id}/download"): STAFF,
    ("GET", "/contacts/{contact_id}/emails"): STAFF,
    ("GET", "/contacts/{contact_id}/folder"): STAFF,
    ("GET", "/emails"): STAFF,
    ("GET", "/contact-groups"): STAFF_AND_RESOURCES,
    ("POST", "/contact-groups"): ADMINS,
    ("GET", "/contact-groups/{group_id}"): STAFF_AND_RESOURCES,
    ("PATCH", "/contact-groups/{group_id}"): ADMINS,
    ("DELETE", "/contact-groups/{group_id}"): ADMINS,
    ("GET", "/settings"): STAFF,
    ("PATCH", "/settings"): ADMINS,
    ("GET", "/settings/legal"): STAFF,
    ("PUT", "/settings/legal"): ADMINS,
    ("GET", "/me"): STAFF_AND_RESOURCES,
    ("PATCH", "/me"): STAFF_AND_RESOURCES,
}

VALID_INPUT: dict[tuple[str, str], dict] = {
    ("POST", "/contacts"): {"body": {"name": "Probe", "group_id": "{group_id}"}},
    ("PATCH", "/contacts/{contact_id}"): {"body": {"site_notes": "probe"}, "headers": {"If-Match": '"1"'}},
    ("DELETE", "/contacts/{contact_id}"): {"headers": {"If-Match": '"1"'}},
    ("GET", "/contacts/{contact_id}/zone"): {"query": {"lat": 48.85, "lon": 2.35}},
    ("POST", "/contacts/{contact_id}/availability"): {"body": {"start": "2030-01-07T09:00:00Z", "end": "2030-01-07T10:00:00Z"}},
    ("POST", "/contacts/{contact_id}/notes"): {"body": {"text": "probe"}},
    ("POST", "/contacts/{contact_id}/attachments"): {"body": {"filename": "a.pdf", "content_type": "application/pdf", "size": 10}},
    ("POST", "/contact-groups"): {"body": {"name": "Probe group"}},
    ("PATCH", "/contact-groups/{group_id}"): {"body": {"name": "Renamed"}, "headers": {"If-Match": '"1"'}},
    ("DELETE", "/contact-groups/{group_id}"): {"headers": {"If-Match": '"1"'}},
    ("PATCH", "/settings"): {"body": {"default_zone_radius_m": 30}, "headers": {"If-Match": '"0"'}},
    ("PUT", "/settings/legal"): {"body": {"legal_name": "Probe SARL", "siren": "732829320"}, "headers": {"If-Match": '"0"'}},
    ("PATCH", "/me"): {"body": {"locale": "fr-FR"}, "headers": {"If-Match": '"0"'}},
}


def world(ids: dict[str, str], aws: dict[str, str]) -> dict[str, str]:
    """A group, a contact with a location and a note, and an uploaded attachment."""
    import boto3

    group = call("POST", "/contact-groups", role=ADMIN, body={"name": "Customers"}).json
    contact = call("POST", "/contacts", body={"name": "ABC", "group_id": group["id"], "location": {"lat": 48.85, "lon": 2.35}}).json
    ticket = call(
        "POST", f"/contacts/{contact['id']}/attachments", body={"filename": "a.pdf", "content_type": "application/pdf", "size": 3}
    ).json
    boto3.client("s3").put_object(Bucket=aws["AttachmentsBucket"], Key=ticket["upload"]["fields"]["key"], Body=b"pdf")
    note = call("POST", f"/contacts/{contact['id']}/notes", body={"text": "Gate code 1234"}).json
    return {"group_id": group["id"], "contact_id": contact["id"], "attachment_id": ticket["id"], "note_id": note["id"]}
