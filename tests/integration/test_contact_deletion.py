"""Deleting a contact takes what only describes it, in every context (each on the ContactDeleted
event, in a subscriber of its own), and frees its booking slug."""

from __future__ import annotations

import json

import boto3
import pytest

from crm.contacts import dependents
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
    assert deliver(aws) == 4  # one ContactDeleted, to each of the four subscribers

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


def test_a_person_or_job_filed_while_the_contact_is_deleted_keeps_it(aws, monkeypatch):
    group = call("POST", "/contact-groups", role="admin", body={"name": "Customers"}).json["id"]
    contact = call("POST", "/contacts", body={"name": "ABC SA", "group_id": group}).json
    # The friendly check ran just before a person was filed: the deletion itself must still refuse.
    monkeypatch.setattr(dependents, "blocking", lambda tenant, contact_id: [])
    assert call("POST", f"/contacts/{contact['id']}/persons", body={"name": "Jane Doe"}).status == 201
    refused = call("DELETE", f"/contacts/{contact['id']}", headers={"If-Match": '"1"'})
    assert refused.status == 409
    assert call("GET", f"/contacts/{contact['id']}").status == 200
    assert len(call("GET", f"/contacts/{contact['id']}/persons").json["items"]) == 1


def test_nothing_is_filed_under_a_contact_deleted_meanwhile(aws):
    group = call("POST", "/contact-groups", role="admin", body={"name": "Customers"}).json["id"]
    contact = call("POST", "/contacts", body={"name": "ABC SA", "group_id": group}).json
    assert call("DELETE", f"/contacts/{contact['id']}", headers={"If-Match": '"1"'}).status == 204
    person = {"id": "01JABCDEFGHJKMNPQRSTVWXYZ0", "contact_id": contact["id"], "name": "Late Person", "version": 1}
    with pytest.raises(NotFound):
        people.write_person("t1", contact, None, person, set())
    items = boto3.resource("dynamodb").Table(aws["Table"]).scan()["Items"]
    assert [i["SK"] for i in items if contact["id"] in json.dumps(i, default=str)] == ["EVENT"]  # its deletion's event


def test_a_contact_whose_persons_were_deleted_can_be_deleted(aws):
    group = call("POST", "/contact-groups", role="admin", body={"name": "Customers"}).json["id"]
    contact = call("POST", "/contacts", body={"name": "ABC SA", "group_id": group}).json
    person = call("POST", f"/contacts/{contact['id']}/persons", body={"name": "Jane Doe"}).json
    assert call("DELETE", f"/persons/{person['id']}", headers={"If-Match": f'"{person["version"]}"'}).status == 204
    assert call("DELETE", f"/contacts/{contact['id']}", headers={"If-Match": '"1"'}).status == 204
