"""The tablet view (a resource's own jobs, the site without flag or finance, custom fields visible
to resources) and the completion event, published exactly once on the jobs bus."""

from __future__ import annotations

import pytest

from crm.platform import outbox
from tests.support.events import received, subscribe_queue
from tests.support.lambdas import call, claims

TECH = claims("t1", "resource")["sub"]
PLAN = {"planned_start": "2030-01-07T09:00:00Z", "planned_end": "2030-01-07T10:00:00Z"}


@pytest.fixture
def job(aws):
    group = call("POST", "/contact-groups", role="admin", body={"name": "Sites"}).json["id"]
    contact = call(
        "POST",
        "/contacts",
        body={
            "name": "ABC Paris",
            "group_id": group,
            "flag": "Unpaid invoices",
            "site_notes": "Beware of the dog",
            "address": {"line1": "1 rue de Rivoli", "city": "Paris", "postcode": "75001", "country": "FR"},
            "location": {"lat": 48.8606, "lon": 2.3376},
            "on_site_contact": {"name": "Mme Martin", "phone": "+33 1 23 45 67 89"},
        },
    ).json
    call("POST", f"/contact-groups/{group}/fields", role="admin", body={"label": "Gate code", "type": "text", "visible_to_resources": True})
    call("POST", f"/contact-groups/{group}/fields", role="admin", body={"label": "Credit limit", "type": "text"})
    job_type = call("POST", "/job-types", role="admin", body={"name": "Repair"}).json["id"]
    call("POST", "/resources", role="admin", body={"user_id": TECH, "name": "Ann"})
    return call("POST", "/jobs", body={"contact_id": contact["id"], "job_type_id": job_type, "resource_id": TECH, **PLAN}).json


@pytest.fixture
def queue(aws):
    return subscribe_queue()


def move(job_id, status, version, **kw):
    return call(
        "POST",
        f"/jobs/{job_id}/status",
        role="resource",
        body={"status": status},
        headers={"If-Match": f'"{version}"', **kw.pop("headers", {})},
        **kw,
    )


def test_the_tablet_shows_the_site_without_flag_and_the_fields_visible_to_resources(job):
    reply = call("GET", f"/jobs/{job['id']}", role="resource")
    assert reply.status == 200, reply.body
    view = reply.json
    assert view["reference"] == job["reference"] and view["status"] == "scheduled"
    site = view["site"]
    assert site["site_notes"] == "Beware of the dog" and site["address"]["city"] == "Paris"
    assert site["location"] == {"lat": 48.8606, "lon": 2.3376} and site["zone"]["kind"] == "circle"
    assert site["on_site_contact"]["name"] == "Mme Martin"
    assert "flag" not in reply.body.lower() and "unpaid" not in reply.body.lower()
    assert [f["label"] for f in view["fields"]] == ["Gate code"]
    assert "Credit limit" not in reply.body
    # The office's view of the same job is the plain job (its flag came back when it was created).
    assert "site" not in call("GET", f"/jobs/{job['id']}").json and job["flag"] == "Unpaid invoices"


def test_a_resource_answers_the_visible_fields_from_its_job(job):
    view = call("GET", f"/jobs/{job['id']}", role="resource").json
    gate = view["fields"][0]["id"]
    reply = call(
        "PATCH",
        f"/jobs/{job['id']}/fields",
        role="resource",
        body={"values": {gate: "1234A"}},
        headers={"If-Match": f'"{view["fields_version"]}"'},
    )
    assert reply.status == 200, reply.body
    assert call("GET", f"/jobs/{job['id']}", role="resource").json["fields"][0]["value"] == "1234A"
    office_fields = call("GET", f"/contacts/{job['contact_id']}/fields").json
    assert {f["label"] for f in office_fields["fields"]} == {"Gate code", "Credit limit"}
    hidden = next(f["id"] for f in office_fields["fields"] if f["label"] == "Credit limit")
    refused = call(
        "PATCH",
        f"/jobs/{job['id']}/fields",
        role="resource",
        body={"values": {hidden: "x"}},
        headers={"If-Match": f'"{office_fields["version"]}"'},
    )
    assert refused.status in (403, 422)


def test_another_resources_job_is_not_found_on_the_tablet(job, aws):
    other = call("GET", f"/jobs/{job['id']}", role="resource", email="bob@t1.example")
    assert other.status == 404
    assert (
        call(
            "PATCH", f"/jobs/{job['id']}/fields", role="resource", email="bob@t1.example", body={"values": {}}, headers={"If-Match": '"0"'}
        ).status
        == 404
    )


def test_completing_publishes_one_event_even_when_retried(job, queue):
    started = move(job["id"], "in_progress", 1)
    assert started.status == 200
    key = {"Idempotency-Key": "complete-1"}
    first = move(job["id"], "completed", 2, headers=key)
    again = move(job["id"], "completed", 2, headers=key)  # the tablet retries: replayed, not redone
    assert first.status == again.status == 200 and first.json == again.json
    assert move(job["id"], "completed", 3).status == 409  # completed is final
    history = call("GET", f"/jobs/{job['id']}/history").json["items"]
    assert outbox.publish("t1", [history[-1]["id"]]) == 0  # published already: nothing left pending
    (event,) = received(queue)
    assert event["source"] == "crm.jobs" and event["detail-type"] == "JobCompleted"
    detail = event["detail"]
    assert detail["job_id"] == job["id"] and detail["reference"] == job["reference"] and detail["tenant"] == "t1"
    assert detail["status"] == "completed" and detail["completed_by"] == "resource@t1.example"
    assert detail["event_id"] == history[-1]["id"]
