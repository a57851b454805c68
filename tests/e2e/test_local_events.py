"""The event bus on the local stack: completing a job publishes its event, and a developer sees it
at /_local/events (a catch-all rule on each bus writes every event to a log group)."""

from __future__ import annotations

import time

import pytest
import requests

pytestmark = pytest.mark.e2e

TENANT = "events-e2e"
PLAN = {"planned_start": "2030-01-07T09:00:00Z", "planned_end": "2030-01-07T10:00:00Z"}


def events(stack) -> list[dict]:
    reply = requests.get(f"{stack.base_url}/_local/events", timeout=10)
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["count"] == len(body["events"])
    return body["events"]


def test_completing_a_job_publishes_one_job_completed_event(stack, api):
    assert stack.resources.event_buses, "the template's EventBus was not created"
    assert stack.environment["EVENT_BUS_NAME"] in stack.resources.event_buses
    admin, office, tech = api("admin", tenant=TENANT), api("office", tenant=TENANT), api("resource", tenant=TENANT)
    tech_sub = next(u.sub for u in stack.users.all() if u.email == f"resource@{TENANT}.example")

    group = admin.post("/contact-groups", json={"name": "Sites"})
    assert group.status_code == 201, group.text
    contact = office.post("/contacts", json={"name": "Events SA", "group_id": group.json()["id"]})
    assert contact.status_code == 201, contact.text
    job_type = admin.post("/job-types", json={"name": "Repair"})
    assert job_type.status_code == 201, job_type.text
    resource = admin.post("/resources", json={"user_id": tech_sub, "name": "Ann"})
    assert resource.status_code == 201, resource.text
    job = office.post(
        "/jobs", json={"contact_id": contact.json()["id"], "job_type_id": job_type.json()["id"], "resource_id": tech_sub, **PLAN}
    )
    assert job.status_code == 201, job.text
    job = job.json()
    assert job["status"] == "scheduled"
    before = events(stack)

    started = tech.post(f"/jobs/{job['id']}/status", json={"status": "in_progress"}, headers={"If-Match": '"1"'})
    assert started.status_code == 200, started.text
    done = tech.post(f"/jobs/{job['id']}/status", json={"status": "completed"}, headers={"If-Match": '"2"'})
    assert done.status_code == 200, done.text

    new = [e for e in events(stack) if e not in before]
    assert len(new) == 1, new
    (event,) = new
    assert event["bus"] == stack.environment["EVENT_BUS_NAME"]
    assert event["source"] == "crm.jobs" and event["detail-type"] == "JobCompleted" and event["time"]
    detail = event["detail"]
    assert detail["tenant"] == TENANT and detail["job_id"] == job["id"] and detail["reference"] == job["reference"]
    assert detail["status"] == "completed" and detail["completed_by"] == f"resource@{TENANT}.example"
    # nothing is left pending for a re-drive
    history = office.get(f"/jobs/{job['id']}/history").json()["items"]
    assert detail["event_id"] == history[-1]["id"]


def test_published_events_survive_a_restart(stack, restart):
    bus = stack.environment["EVENT_BUS_NAME"]
    put = stack.client("events").put_events(
        Entries=[{"Source": "e2e.test", "DetailType": "Ping", "Detail": '{"n": 1}', "EventBusName": bus}]
    )
    assert put["FailedEntryCount"] == 0
    published = events(stack)
    assert published[0]["source"] == "e2e.test" and published[0]["detail"] == {"n": 1}  # newest first
    restart()
    assert events(stack) == published


def test_a_deleted_contact_is_forgotten_by_the_subscribers_the_stack_delivers_to(stack, api):
    """ContactDeleted goes through the template's rule to each context's queue, and the stack's
    event source mappings invoke the subscriber functions: the booking slug is freed, unprompted."""
    admin, office = api("admin", tenant=TENANT), api("office", tenant=TENANT)
    group = admin.post("/contact-groups", json={"name": "Gone"}).json()["id"]
    contact = office.post("/contacts", json={"name": "Gone SA", "group_id": group}).json()
    job_type = admin.post("/job-types", json={"name": "Visit"}).json()["id"]
    site = {"slug": "gone-sa", "job_type_ids": [job_type], "notify_email": "office@events.example"}
    assert office.put(f"/contacts/{contact['id']}/booking-site", json=site, headers={"If-Match": '"0"'}).status_code == 201

    def slug_claimed() -> bool:
        key = {"PK": {"S": "BOOKINGSLUG#gone-sa"}, "SK": {"S": "SLUG"}}
        return "Item" in stack.client("dynamodb").get_item(TableName=stack.environment["TABLE_NAME"], Key=key)

    assert office.delete(f"/contacts/{contact['id']}", headers={"If-Match": '"1"'}).status_code == 204
    (event,) = [e for e in events(stack) if e["detail-type"] == "ContactDeleted" and e["detail"]["contact_id"] == contact["id"]]
    assert event["source"] == "crm.contacts" and event["detail"]["tenant"] == TENANT

    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if not slug_claimed():
            break
        time.sleep(0.2)
    else:
        raise AssertionError("the booking subscriber did not free the slug")
    # Another contact may now claim it.
    other = office.post("/contacts", json={"name": "New SA", "group_id": group}).json()
    assert office.put(f"/contacts/{other['id']}/booking-site", json=site, headers={"If-Match": '"0"'}).status_code == 201
