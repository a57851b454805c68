"""Deleting a contact takes what only describes it, in every context (each on the ContactDeleted
event, in a subscriber of its own), and frees its booking slug."""

from __future__ import annotations

import json

import boto3
import pytest

from crm.contacts import dependents
from crm.contacts.repository import contacts as contacts_repo
from crm.people import repository as people
from crm.platform.errors import NotFound
from tests.support.events import deliver
from tests.support.lambdas import call


def test_a_deleted_contact_leaves_nothing_of_its_own_behind(aws):
    group = call("POST", "/contact-groups", role="admin", body={"name": "Customers"}).json["id"]
    contact = call("POST", "/contacts", body={"name": "ABC SA", "group_id": group}).json
    job_type = call("POST", "/job-types", role="admin", body={"name": "Boiler service", "duration_minutes": 60}).json
    sla = call(
        "POST",
        f"/contacts/{contact['id']}/slas",
        role="admin",
        body={"name": "4h", "constraints": [{"kind": "time", "rule": "start_before", "minutes": 240}]},
    )
    assert sla.status == 201, sla.body
    site = call(
        "PUT",
        f"/contacts/{contact['id']}/booking-site",
        body={"slug": "abc", "job_type_ids": [job_type["id"]], "notify_email": "office@t1.example"},
        headers={"If-Match": '"0"'},
    )
    assert site.status == 201, site.body
    field = call("POST", f"/contact-groups/{group}/fields", role="admin", body={"label": "Gate code", "type": "text"}).json
    assert (
        call("PATCH", f"/contacts/{contact['id']}/fields", body={"values": {field["id"]: "B42"}}, headers={"If-Match": '"0"'}).status == 200
    )

    note = call("POST", f"/contacts/{contact['id']}/notes", body={"text": "Ask for jane@abc.example"}).json
    assert note["id"]

    assert call("DELETE", f"/contacts/{contact['id']}", headers={"If-Match": '"1"'}).status == 204
    assert call("GET", f"/contacts/{contact['id']}").status == 404
    assert deliver(aws) == 5  # one ContactDeleted, to each of the five subscribers (stock among them)

    items = boto3.resource("dynamodb").Table(aws["Table"]).scan()["Items"]
    # Nothing names it, but the published event's outbox marker.
    assert [i["SK"] for i in items if contact["id"] in json.dumps(i, default=str)] == ["EVENT"]
    other = call(
        "POST",
        "/contacts",
        tenant="t2",
        body={"name": "Other", "group_id": call("POST", "/contact-groups", tenant="t2", role="admin", body={"name": "C"}).json["id"]},
    ).json
    t2_type = call("POST", "/job-types", tenant="t2", role="admin", body={"name": "Repair", "duration_minutes": 30}).json
    reclaimed = call(
        "PUT",
        f"/contacts/{other['id']}/booking-site",
        tenant="t2",
        body={"slug": "abc", "job_type_ids": [t2_type["id"]], "notify_email": "o@t2.example"},
        headers={"If-Match": '"0"'},
    )
    assert reclaimed.status == 201, reclaimed.body


def nothing_filed_yet(monkeypatch) -> None:
    """The friendly check reads the counts just before a record is filed: it sees none."""
    monkeypatch.setattr(contacts_repo, "dependents", lambda tenant, contact_id: dict.fromkeys(contacts_repo.DEPENDENT_KINDS, 0))


def test_a_person_job_or_child_filed_while_the_contact_is_deleted_keeps_it(aws, monkeypatch):
    group = call("POST", "/contact-groups", role="admin", body={"name": "Customers"}).json["id"]
    job_type = call("POST", "/job-types", role="admin", body={"name": "Repair"}).json["id"]
    filings = {
        "person": lambda c: call("POST", f"/contacts/{c}/persons", body={"name": "Jane Doe"}),
        "job": lambda c: call("POST", "/jobs", body={"contact_id": c, "job_type_id": job_type}),
        "child": lambda c: call("POST", "/contacts", body={"name": "ABC Paris", "group_id": group, "parent_id": c}),
    }
    nothing_filed_yet(monkeypatch)
    for what, file_under in filings.items():
        contact = call("POST", "/contacts", body={"name": f"ABC {what}", "group_id": group}).json
        assert file_under(contact["id"]).status == 201, what
        # The deletion itself is conditional on the counts the contact keeps: it refuses.
        refused = call("DELETE", f"/contacts/{contact['id']}", headers={"If-Match": '"1"'})
        assert refused.status == 409 and "just filed" in refused.json["detail"], what
        assert call("GET", f"/contacts/{contact['id']}").status == 200, what


def test_the_refusal_says_what_is_still_filed_under_the_contact(aws):
    group = call("POST", "/contact-groups", role="admin", body={"name": "Customers"}).json["id"]
    contact = call("POST", "/contacts", body={"name": "ABC SA", "group_id": group}).json
    for name in ("Jane Doe", "Bob Stone"):
        call("POST", f"/contacts/{contact['id']}/persons", body={"name": name})
    child = call("POST", "/contacts", body={"name": "ABC Paris", "group_id": group, "parent_id": contact["id"]}).json
    refused = call("DELETE", f"/contacts/{contact['id']}", headers={"If-Match": '"1"'})
    assert refused.status == 409 and "1 child contact and 2 persons" in refused.json["detail"]
    # A child moved to another parent, or deleted, no longer holds it.
    other = call("POST", "/contacts", body={"name": "XYZ", "group_id": group}).json
    assert call("PATCH", f"/contacts/{child['id']}", body={"parent_id": other["id"]}, headers={"If-Match": '"1"'}).status == 200
    assert "child" not in call("DELETE", f"/contacts/{contact['id']}", headers={"If-Match": '"1"'}).json["detail"]
    assert (
        call("DELETE", f"/contacts/{other['id']}", headers={"If-Match": '"1"'})
        .json["detail"]
        .startswith("the contact still has 1 child contact")
    )


def test_nothing_is_filed_under_a_contact_deleted_meanwhile(aws):
    group = call("POST", "/contact-groups", role="admin", body={"name": "Customers"}).json["id"]
    contact = call("POST", "/contacts", body={"name": "ABC SA", "group_id": group}).json
    assert call("DELETE", f"/contacts/{contact['id']}", headers={"If-Match": '"1"'}).status == 204
    person = {"id": "01JABCDEFGHJKMNPQRSTVWXYZ0", "contact_id": contact["id"], "name": "Late Person", "version": 1}
    with pytest.raises(NotFound):
        people.write_person("t1", None, person, set(), also=dependents.filed("t1", contact["id"], "persons", +1))
    items = boto3.resource("dynamodb").Table(aws["Table"]).scan()["Items"]
    assert [i["SK"] for i in items if contact["id"] in json.dumps(i, default=str)] == ["EVENT"]  # its deletion's event


def test_a_contact_whose_persons_were_deleted_can_be_deleted(aws):
    group = call("POST", "/contact-groups", role="admin", body={"name": "Customers"}).json["id"]
    contact = call("POST", "/contacts", body={"name": "ABC SA", "group_id": group}).json
    person = call("POST", f"/contacts/{contact['id']}/persons", body={"name": "Jane Doe"}).json
    assert call("DELETE", f"/persons/{person['id']}", headers={"If-Match": f'"{person["version"]}"'}).status == 204
    assert call("DELETE", f"/contacts/{contact['id']}", headers={"If-Match": '"1"'}).status == 204
