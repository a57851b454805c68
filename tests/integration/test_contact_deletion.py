"""Deleting a contact takes what only describes it, in every context, and frees its booking slug."""
from __future__ import annotations

import json

import boto3

from tests.support.lambdas import call


def test_a_deleted_contact_leaves_nothing_of_its_own_behind(aws):
    group = call("POST", "/contact-groups", role="admin", body={"name": "Customers"}).json["id"]
    contact = call("POST", "/contacts", body={"name": "ABC SA", "group_id": group}).json
    job_type = call("POST", "/job-types", role="admin", body={"name": "Boiler service", "duration_minutes": 60}).json
    sla = call("POST", f"/contacts/{contact['id']}/slas", role="admin", body={"name": "4h", "constraints": [{"kind": "time", "rule": "start_before", "minutes": 240}]})
    assert sla.status == 201, sla.body
    site = call("PUT", f"/contacts/{contact['id']}/booking-site", body={"slug": "abc", "job_type_ids": [job_type["id"]], "notify_email": "office@t1.example"}, headers={"If-Match": '"0"'})
    assert site.status == 201, site.body
    field = call("POST", f"/contact-groups/{group}/fields", role="admin", body={"label": "Gate code", "type": "text"}).json
    assert call("PATCH", f"/contacts/{contact['id']}/fields", body={"values": {field["id"]: "B42"}}, headers={"If-Match": '"0"'}).status == 200

    assert call("DELETE", f"/contacts/{contact['id']}", headers={"If-Match": '"1"'}).status == 204

    items = boto3.resource("dynamodb").Table(aws["Table"]).scan()["Items"]
    assert [i for i in items if contact["id"] in json.dumps(i, default=str)] == []
    other = call("POST", "/contacts", tenant="t2", body={"name": "Other", "group_id": call("POST", "/contact-groups", tenant="t2", role="admin", body={"name": "C"}).json["id"]}).json
    t2_type = call("POST", "/job-types", tenant="t2", role="admin", body={"name": "Repair", "duration_minutes": 30}).json
    reclaimed = call("PUT", f"/contacts/{other['id']}/booking-site", tenant="t2", body={"slug": "abc", "job_type_ids": [t2_type["id"]], "notify_email": "o@t2.example"}, headers={"If-Match": '"0"'})
    assert reclaimed.status == 201, reclaimed.body
