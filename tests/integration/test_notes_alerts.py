"""Notes, their one-off alerts (Scheduler -> alerts function -> SES), and the email archive."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta

import boto3
import pytest

from tests.support.lambdas import call, invoke
from tests.support.mail import sent


@pytest.fixture
def contact(aws):
    group = call("POST", "/contact-groups", role="admin", body={"name": "Customers"}).json["id"]
    return call("POST", "/contacts", body={"name": "ABC SA", "group_id": group, "flag": "Unpaid invoices"}).json


def in_an_hour() -> str:
    return (datetime.now(UTC) + timedelta(hours=1)).isoformat()


def schedule_input(aws, note_id: str) -> dict:
    schedule = boto3.client("scheduler").get_schedule(Name=f"note-{note_id}", GroupName=aws["AlertScheduleGroup"])
    assert schedule["ScheduleExpression"].startswith("at(") and schedule["ActionAfterCompletion"] == "DELETE"
    assert schedule["Target"]["Arn"].endswith(f":function:{aws['AlertsFunction']}")
    return json.loads(schedule["Target"]["Input"])


def fire(event: dict) -> dict:
    return invoke("AlertsFunction", event)


def test_a_note_on_a_flagged_contact_shows_the_flag(contact):
    reply = call("POST", f"/contacts/{contact['id']}/notes", body={"text": "Called about the boiler"})
    assert reply.status == 201 and reply.json["flag"] == "Unpaid invoices"
    notes = call("GET", f"/contacts/{contact['id']}/notes").json["items"]
    assert [n["text"] for n in notes] == ["Called about the boiler"] and notes[0]["author"] == "office@t1.example"


def test_notes_are_listed_newest_first(contact):
    for text in ("first", "second", "third"):
        call("POST", f"/contacts/{contact['id']}/notes", body={"text": text})
    assert [n["text"] for n in call("GET", f"/contacts/{contact['id']}/notes").json["items"]] == ["third", "second", "first"]


def test_an_alert_is_scheduled_then_emailed_once_and_archived(aws, contact):
    note = call(
        "POST",
        f"/contacts/{contact['id']}/notes",
        body={"text": "Call back about the quote", "alert_at": in_an_hour(), "alert_to": ["planner@acme.example"]},
    ).json
    assert note["alert_status"] == "pending"
    event = schedule_input(aws, note["id"])
    assert event == {"tenant": "t1", "contact_id": contact["id"], "note_id": note["id"]}

    assert fire(event)["outcome"] == "sent"
    assert fire(event)["outcome"] == "sent"  # the replayed first result: no second email
    assert len(sent()) == 1
    message = sent()[0]
    assert message["to"] == ["planner@acme.example"] and "ABC SA" in message["subject"]

    emails = call("GET", f"/contacts/{contact['id']}/emails").json["items"]
    assert [(e["kind"], e["to"], e["related_id"]) for e in emails] == [("note_alert", ["planner@acme.example"], note["id"])]
    assert call("GET", f"/contacts/{contact['id']}/notes").json["items"][0]["alert_status"] == "sent"


def test_the_same_alert_twice_at_once_sends_one_email(aws, contact, atomic_dynamodb):
    note = call("POST", f"/contacts/{contact['id']}/notes", body={"text": "Renewal", "alert_at": in_an_hour()}).json
    event = schedule_input(aws, note["id"])
    outcomes: list = []

    def deliver():
        try:
            outcomes.append(fire(event)["outcome"])
        except Exception as e:  # the loser is told the first is in progress; Scheduler retries it
            outcomes.append(type(e).__name__)

    threads = [threading.Thread(target=deliver) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(sent()) == 1, outcomes
    assert "sent" in outcomes
    assert fire(event)["outcome"] == "sent" and len(sent()) == 1
    assert len(call("GET", f"/contacts/{contact['id']}/emails").json["items"]) == 1


def test_an_alert_still_sends_once_after_its_idempotency_record_expired(aws, contact):
    note = call("POST", f"/contacts/{contact['id']}/notes", body={"text": "Renewal", "alert_at": in_an_hour()}).json
    event = schedule_input(aws, note["id"])
    fire(event)
    idempotency = boto3.resource("dynamodb").Table(aws["IdempotencyTable"])
    for item in idempotency.scan()["Items"]:
        idempotency.delete_item(Key={"id": item["id"]})
    assert fire(event)["outcome"] == "skipped: already sent"
    assert len(sent()) == 1


def test_alert_defaults_to_the_author_and_refuses_the_past(aws, contact):
    note = call("POST", f"/contacts/{contact['id']}/notes", body={"text": "x", "alert_at": in_an_hour()}).json
    assert note["alert_to"] == ["office@t1.example"]
    past = call("POST", f"/contacts/{contact['id']}/notes", body={"text": "x", "alert_at": "2020-01-01T00:00:00Z"})
    assert past.status == 422 and past.json["errors"][0]["field"] == "alert_at"
    naive = call("POST", f"/contacts/{contact['id']}/notes", body={"text": "x", "alert_at": "2030-01-01T00:00:00"})
    assert naive.status == 422
    lonely = call("POST", f"/contacts/{contact['id']}/notes", body={"text": "x", "alert_to": ["a@b.example"]})
    assert lonely.status == 422
    assert len(call("GET", f"/contacts/{contact['id']}/notes").json["items"]) == 1
    groups = boto3.client("scheduler").list_schedules(GroupName=aws["AlertScheduleGroup"])["Schedules"]
    assert len(groups) == 1


def test_a_note_for_a_missing_contact_is_404_and_schedules_nothing(aws):
    reply = call("POST", "/contacts/01ARZ3NDEKTSV4RRFFQ69G5FAV/notes", body={"text": "x", "alert_at": in_an_hour()})
    assert reply.status == 404
    assert boto3.client("scheduler").list_schedules(GroupName=aws["AlertScheduleGroup"])["Schedules"] == []


def test_an_alert_for_a_deleted_note_sends_nothing(aws, contact):
    note = call("POST", f"/contacts/{contact['id']}/notes", body={"text": "x", "alert_at": in_an_hour()}).json
    event = schedule_input(aws, note["id"])
    call("DELETE", f"/contacts/{contact['id']}", headers={"If-Match": '"1"'})
    assert fire(event)["outcome"].startswith("skipped")
    assert sent() == []


def test_an_alert_whose_recipients_were_all_erased_sends_nothing_and_is_cancelled(aws, contact):
    person = call("POST", f"/contacts/{contact['id']}/persons", body={"name": "Jane Doe", "email": "jane@abc.example"}).json
    lonely = call(
        "POST", f"/contacts/{contact['id']}/notes", body={"text": "Call Jane", "alert_at": in_an_hour(), "alert_to": ["jane@abc.example"]}
    ).json
    shared = call(
        "POST",
        f"/contacts/{contact['id']}/notes",
        body={"text": "Team", "alert_at": in_an_hour(), "alert_to": ["jane@abc.example", "boss@abc.example"]},
    ).json
    assert call("POST", f"/persons/{person['id']}/erase", role="admin").status == 200

    assert fire(schedule_input(aws, lonely["id"]))["outcome"] == "cancelled: no recipient left"
    assert fire(schedule_input(aws, shared["id"]))["outcome"] == "sent"
    assert [m["to"] for m in sent()] == [["boss@abc.example"]]
    notes = {n["id"]: n for n in call("GET", f"/contacts/{contact['id']}/notes").json["items"]}
    assert notes[lonely["id"]]["alert_status"] == "cancelled" and notes[shared["id"]]["alert_status"] == "sent"


def test_an_idempotency_key_is_bound_to_the_resource_it_was_sent_to(contact):
    other = call("POST", "/contacts", body={"name": "Other SA", "group_id": contact["group_id"]}).json
    key = {"Idempotency-Key": "note-42"}
    first = call("POST", f"/contacts/{contact['id']}/notes", body={"text": "Call back"}, headers=key)
    second = call("POST", f"/contacts/{other['id']}/notes", body={"text": "Call back"}, headers=key)
    assert first.status == second.status == 201 and first.json["id"] != second.json["id"]
    assert [n["contact_id"] for n in call("GET", f"/contacts/{other['id']}/notes").json["items"]] == [other["id"]]
    assert call("POST", f"/contacts/{contact['id']}/notes", body={"text": "Call back"}, headers=key).json["id"] == first.json["id"]


def test_a_note_naming_more_addresses_than_one_transaction_indexes_is_refused_whole(aws, contact):
    """Each address a note quotes or alerts is a person-data index entry written with it."""
    text = "Copy to " + ", ".join(f"p{n}@acme.example" for n in range(91))
    reply = call("POST", f"/contacts/{contact['id']}/notes", body={"text": text, "alert_at": in_an_hour()})
    assert reply.status == 422 and reply.json["errors"][0]["field"] == "text"
    assert call("GET", f"/contacts/{contact['id']}/notes").json["items"] == []
    assert boto3.client("scheduler").list_schedules(GroupName=aws["AlertScheduleGroup"])["Schedules"] == []
    assert call("POST", f"/contacts/{contact['id']}/notes", body={"text": text[:-40]}).status == 201
