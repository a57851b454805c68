"""GDPR export and erasure reach every record holding a person's data, on any contact, through the
person-data index: addresses in alerts and archived emails of a child site, her name, address and
phone in the text of notes, the jobs she booked, another contact's record naming her, and the
stored answer of the request that created her."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from urllib.parse import unquote, urlparse

import boto3
import pytest

from crm.platform import dynamo, personal_data
from tests.support.lambdas import call, invoke

JANE = {
    "name": "Jane Doe",
    "email": "jane.doe@acme.test",
    "mobile": "+44 20 7946 0000",
    "landline": "01632 960001",
    "job_title": "Facilities manager",
    "booking_site_access": True,
}
# What must be nowhere once she is erased (folded: the scan is case-insensitive).
TRACES = ("jane doe", "jane.doe", "79460000", "7946 0000", "960001", "facilities")


def scan(table: str) -> str:
    return json.dumps(boto3.resource("dynamodb").Table(table).scan()["Items"], default=str).casefold()


def in_an_hour() -> str:
    return (datetime.now(UTC) + timedelta(hours=1)).isoformat()


def note(contact_id: str, text: str, **extra) -> dict:
    reply = call("POST", f"/contacts/{contact_id}/notes", body={"text": text, **extra})
    assert reply.status == 201, reply.body
    return reply.json


def export(aws, person_id: str) -> dict:
    url = call("POST", f"/persons/{person_id}/export", role="admin", body={}).json["url"]
    key = unquote(urlparse(url).path.lstrip("/").removeprefix(aws["AttachmentsBucket"] + "/"))
    return json.loads(boto3.client("s3").get_object(Bucket=aws["AttachmentsBucket"], Key=key)["Body"].read())


@pytest.fixture
def world(aws):
    """ABC SA with a child site (Leeds), an unrelated contact (XYZ), Jane at ABC (created with an
    Idempotency-Key) and Bob, and ABC's booking site."""
    group = call("POST", "/contact-groups", role="admin", body={"name": "Customers"}).json["id"]
    abc = call("POST", "/contacts", body={"name": "ABC SA", "group_id": group}).json
    leeds = call("POST", "/contacts", body={"name": "ABC Leeds", "group_id": group, "parent_id": abc["id"]}).json
    xyz = call("POST", "/contacts", body={"name": "XYZ Ltd", "group_id": group}).json
    created = call("POST", f"/contacts/{abc['id']}/persons", body=JANE, headers={"Idempotency-Key": "create-jane"})
    assert created.status == 201, created.body
    bob = call("POST", f"/contacts/{abc['id']}/persons", body={"name": "Bob Stone", "email": "bob@acme.test"}).json
    repair = call("POST", "/job-types", role="admin", body={"name": "Repair"}).json["id"]
    site = {"slug": "abc-sa", "job_type_ids": [repair], "notify_email": "office@t1.example"}
    assert call("PUT", f"/contacts/{abc['id']}/booking-site", body=site, headers={"If-Match": '"0"'}).status == 201
    return {"abc": abc, "leeds": leeds, "xyz": xyz, "jane": created.json, "bob": bob, "repair": repair}


def spread_her_data(world) -> dict:
    """Jane's data written by other contexts on other contacts; returns what was made, by name."""
    jane, leeds, xyz = world["jane"], world["leeds"], world["xyz"]
    alert = note(leeds["id"], "Call back about the boiler", alert_at=in_an_hour(), alert_to=[jane["email"], "bob@acme.test"])
    fired = invoke("AlertsFunction", {"tenant": "t1", "contact_id": leeds["id"], "note_id": alert["id"]})
    assert fired["outcome"] == "sent"
    named = note(leeds["id"], "Jane Doe wants a quote: call her on 020 7946 0000 or write to Jane.Doe@acme.test. Bob agrees.")
    quoted = note(xyz["id"], "Ask jane.doe@acme.test about the XYZ lease")
    other = call(
        "POST",
        "/contacts",
        body={"name": "Doe Properties", "group_id": xyz["group_id"], "main_contact": {"name": "J. Doe", "email": "JANE.DOE@acme.test"}},
    ).json
    booked = call(
        "POST",
        "/booking/sites/abc-sa/requests",
        body={
            "job_type_id": world["repair"],
            "site_id": leeds["id"],
            "preferred_date": (date.today() + timedelta(days=3)).isoformat(),
            "description": "Jane Doe: the tap leaks, ring 020 7946 0000",
        },
        tenant="t1",
        email=jane["email"],
        contact_id=world["abc"]["id"],
        person_id=jane["id"],
    )
    assert booked.status == 201, booked.body
    return {"alert": alert, "named": named, "quoted": quoted, "other": other, "job": booked.json}


def test_her_export_lists_every_record_holding_her_data_wherever_it_is(aws, world):
    made = spread_her_data(world)
    records = export(aws, world["jane"]["id"])["records"]
    assert {n["id"] for n in records["note"]} == {made["alert"]["id"], made["named"]["id"], made["quoted"]["id"]}
    assert {(e["kind"], e["contact_id"]) for e in records["email"]} == {
        ("note_alert", world["leeds"]["id"]),
        ("booking_request", world["leeds"]["id"]),
    }
    assert [j["id"] for j in records["job"]] == [made["job"]["id"]]
    assert [c["id"] for c in records["contact"]] == [made["other"]["id"]]
    # Bob's export holds the alert he shared with her, not her notes about him.
    bob = export(aws, world["bob"]["id"])["records"]
    assert {n["id"] for n in bob["note"]} == {made["alert"]["id"]} and [e["kind"] for e in bob["email"]] == ["note_alert"]


def test_erasure_reaches_every_record_and_leaves_no_trace_in_either_table(aws, world):
    made = spread_her_data(world)
    assert "jane doe" in scan(aws["IdempotencyTable"])  # the stored answer of her creation

    reply = call("POST", f"/persons/{world['jane']['id']}/erase", role="admin")
    assert reply.status == 200, reply.body

    for table in ("Table", "IdempotencyTable"):
        everything = scan(aws[table])
        assert [t for t in TRACES if t in everything] == [], table
    placeholder = f"erased-{world['jane']['id'].lower()}@erased.invalid"
    leeds_notes = {n["id"]: n for n in call("GET", f"/contacts/{world['leeds']['id']}/notes").json["items"]}
    assert leeds_notes[made["alert"]["id"]]["alert_to"] == [placeholder, "bob@acme.test"]
    assert leeds_notes[made["named"]["id"]]["text"] == (
        f"[erased] wants a quote: call her on [erased] or write to {placeholder}. Bob agrees."
    )
    (xyz_note,) = call("GET", f"/contacts/{world['xyz']['id']}/notes").json["items"]
    assert xyz_note["text"] == f"Ask {placeholder} about the XYZ lease"
    emails = call("GET", f"/contacts/{world['leeds']['id']}/emails").json["items"]
    assert {tuple(e["to"]) for e in emails} == {(placeholder, "bob@acme.test"), ("office@t1.example",)}
    job = call("GET", f"/jobs/{made['job']['id']}").json
    assert job["description"] == "[erased]: the tap leaks, ring [erased]" and job["version"] == made["job"].get("version", 1) + 1
    assert call("GET", f"/contacts/{made['other']['id']}").json["main_contact"] == {"name": "Erased person", "email": None}
    # Bob is untouched, and nothing is left in the index to find her by.
    assert call("GET", f"/persons/{world['bob']['id']}").json == world["bob"]
    subjects = [personal_data.person(world["jane"]["id"]), personal_data.address(JANE["email"])]
    assert personal_data.entries("t1", subjects) == []


def test_a_former_address_is_erased_too(aws, world):
    jane, leeds = world["jane"], world["leeds"]
    old = note(leeds["id"], "Reminder", alert_at=in_an_hour(), alert_to=[jane["email"]])
    moved = call("PATCH", f"/persons/{jane['id']}", body={"email": "jane@new.test"}, headers={"If-Match": '"1"'})
    assert moved.status == 200, moved.body
    assert [n["id"] for n in export(aws, jane["id"])["records"]["note"]] == [old["id"]]  # found by the address she had

    assert call("POST", f"/persons/{jane['id']}/erase", role="admin").status == 200
    (kept,) = call("GET", f"/contacts/{leeds['id']}/notes").json["items"]
    assert kept["alert_to"] == [f"erased-{jane['id'].lower()}@erased.invalid"]
    assert [t for t in (*TRACES, "jane@new.test") if t in scan(aws["Table"])] == []


def test_a_record_the_law_keeps_whole_is_exported_and_left_as_issued(aws, world):
    """A later context's record registered with erasure KEEP (an invoice) in one call."""
    jane = world["jane"]
    invoice = {"PK": "T#t1#INVOICE#01JINV", "SK": "INVOICE", "buyer": "Jane Doe", "email": jane["email"], "total": 12000}
    place = personal_data.Place(invoice["PK"], invoice["SK"], "finance", "invoice", "01JINV", ("buyer", "email"), personal_data.KEEP)
    dynamo.transact_explained([(dynamo.put(invoice), None), *personal_data.register("t1", [personal_data.person(jane["id"])], place)])
    assert export(aws, jane["id"])["records"]["invoice"] == [{"buyer": "Jane Doe", "email": jane["email"], "total": 12000}]

    assert call("POST", f"/persons/{jane['id']}/erase", role="admin").status == 200
    assert (
        boto3.resource("dynamodb").Table(aws["Table"]).get_item(Key={"PK": invoice["PK"], "SK": "INVOICE"})["Item"]["buyer"] == "Jane Doe"
    )
    assert [e.place.kind for e in personal_data.entries("t1", [personal_data.person(jane["id"])])] == ["invoice"]


def test_a_deleted_person_leaves_her_record_out_of_the_index(aws, world):
    jane = world["jane"]
    assert call("DELETE", f"/persons/{jane['id']}", headers={"If-Match": '"1"'}).status == 204
    # Her record is gone from the index: a note naming her is no longer linked to her...
    later = note(world["abc"]["id"], "Jane Doe left the company")
    entries = personal_data.entries("t1", [personal_data.person(jane["id"]), personal_data.address(JANE["email"])])
    assert all(e.place.kind != "person" for e in entries)
    assert later["id"] not in {e.place.record_id for e in entries}
