"""Jobs through the handlers: creation (references, warnings, flag, strict mode), planning, the
status machine and its history, lists and search, and who sees what."""

from __future__ import annotations

import threading
from contextlib import contextmanager

import pytest

from crm.jobs import service
from crm.jobs.models import JobCreate
from crm.platform.auth import Principal
from tests.support.lambdas import call, claims

OFFICE_HOURS = {
    "time_zone": "Europe/Paris",
    "weekly": {d: [{"open": "09:00", "close": "17:00"}] for d in ("mon", "tue", "wed", "thu", "fri")},
}
TECH = claims("t1", "resource")["sub"]  # the resource user the tests call as
MONDAY_10_TO_11_PARIS = {"planned_start": "2030-01-07T09:00:00Z", "planned_end": "2030-01-07T10:00:00Z"}
SUNDAY = {"planned_start": "2030-01-06T09:00:00Z", "planned_end": "2030-01-06T10:00:00Z"}


@pytest.fixture
def site(aws):
    group = call("POST", "/contact-groups", role="admin", body={"name": "Sites"}).json["id"]
    contact = call(
        "POST",
        "/contacts",
        body={"name": "ABC Paris", "group_id": group, "opening_hours": OFFICE_HOURS, "flag": "Dog on site, unpaid invoices"},
    ).json
    job_type = call("POST", "/job-types", role="admin", body={"name": "Boiler service", "duration_minutes": 60}).json
    tech = call("POST", "/resources", role="admin", body={"user_id": TECH, "name": "Ann", "group": "North", "skills": ["gas"]}).json
    other = call("POST", "/resources", role="admin", body={"user_id": "someone-else", "name": "Bob"}).json
    van = call("POST", "/vehicles", role="admin", body={"name": "Van 1", "group": "Fleet A", "attributes": ["ladder"]}).json
    return {"contact": contact["id"], "type": job_type["id"], "tech": tech["id"], "other": other["id"], "van": van["id"]}


def create(site, **body):
    return call("POST", "/jobs", body={"contact_id": site["contact"], "job_type_id": site["type"], **body})


def move(job, status, role="office", version=None, **kw):
    return call(
        "POST",
        f"/jobs/{job['id']}/status",
        role=role,
        body={"status": status},
        headers={"If-Match": f'"{version or job["version"]}"'},
        **kw,
    )


def test_catalogue_is_the_admins(site):
    assert [t["name"] for t in call("GET", "/job-types", role="resource").json["items"]] == ["Boiler service"]
    assert call("POST", "/job-types", role="office", body={"name": "X"}).status == 403
    assert call("POST", "/resources", role="admin", body={"user_id": TECH, "name": "Again"}).status == 409
    renamed = call("PATCH", f"/resources/{TECH}", role="admin", body={"skills": ["gas", "electric"]}, headers={"If-Match": '"1"'})
    assert renamed.status == 200 and renamed.json["skills"] == ["gas", "electric"] and renamed.headers["etag"] == '"2"'
    assert call("PATCH", f"/resources/{TECH}", role="admin", body={"name": "Z"}, headers={"If-Match": '"1"'}).status == 412
    assert call("PATCH", f"/vehicles/{site['van']}", role="admin", body={"attributes": None}, headers={"If-Match": '"1"'}).status == 422
    assert [v["name"] for v in call("GET", "/vehicles").json["items"]] == ["Van 1"]
    assert {r["name"] for r in call("GET", "/resources").json["items"]} == {"Ann", "Bob"}


def test_create_returns_reference_flag_and_location(site):
    reply = create(site, description="Annual service")
    assert reply.status == 201, reply.body
    job = reply.json
    assert job["reference"] == "JOB-000001" and job["status"] == "to_schedule" and job["version"] == 1
    assert job["flag"] == "Dog on site, unpaid invoices" and job["warnings"] == []
    assert reply.headers["location"] == f"/jobs/{job['id']}" and reply.headers["etag"] == '"1"'
    assert create(site).json["reference"] == "JOB-000002"


def test_reference_prefix_comes_from_the_settings(site):
    assert call("PATCH", "/settings", role="admin", body={"job_reference_prefix": "INT"}, headers={"If-Match": '"0"'}).status == 200
    assert create(site).json["reference"] == "INT-000001"
    assert call("PATCH", "/settings", role="admin", body={"job_reference_prefix": "bad-prefix"}, headers={"If-Match": '"1"'}).status == 422


def test_references_are_gapless_and_unique_when_created_at_once(site, atomic_dynamodb):
    office = Principal(tenant="t1", role="office", user_id="o", email="o@t1.example")
    body = JobCreate(contact_id=site["contact"], job_type_id=site["type"])
    references, errors = [], []
    start = threading.Barrier(8)

    def worker():
        start.wait()
        try:
            for _ in range(3):
                references.append(service.create(office, body)["reference"])
        except Exception as e:
            errors.append(e)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(references) == [f"JOB-{n:06d}" for n in range(1, 25)]
    assert atomic_dynamodb.count("TransactWriteItems") >= 24  # more when some lost the race for a number and retried
    # Every reference finds its job.
    found = call("GET", "/jobs", query={"reference": "job-000017"}).json["items"]
    assert [j["reference"] for j in found] == ["JOB-000017"]


def test_a_failed_create_uses_no_number(site):
    assert create(site, resource_id="nobody").status == 422
    assert create(site, **SUNDAY, resource_id=site["tech"], strict=True).status == 409
    assert create(site).json["reference"] == "JOB-000001"


def test_outside_opening_hours_warns_and_saves_unless_strict(site):
    reply = create(site, **SUNDAY, resource_id=site["tech"])
    assert reply.status == 201
    (warning,) = reply.json["warnings"]
    assert warning["code"] == "outside_opening_hours" and "Sunday 2030-01-06" in warning["reasons"][0]
    assert reply.json["status"] == "scheduled"
    strict = create(site, **SUNDAY, strict=True)
    assert strict.status == 409 and "opening hours" in strict.json["detail"]
    assert len(call("GET", f"/contacts/{site['contact']}/jobs").json["items"]) == 1
    assert create(site, **MONDAY_10_TO_11_PARIS, strict=True).json["warnings"] == []


def test_replanning_warns_and_moves_between_to_schedule_and_scheduled(site):
    job = create(site).json
    reply = call("PATCH", f"/jobs/{job['id']}", body={**SUNDAY, "resource_id": site["tech"]}, headers={"If-Match": '"1"'})
    assert reply.status == 200 and reply.json["status"] == "scheduled" and reply.json["warnings"][0]["code"] == "outside_opening_hours"
    assert call("PATCH", f"/jobs/{job['id']}", body=MONDAY_10_TO_11_PARIS, headers={"If-Match": '"1"'}).status == 412
    strict = call("PATCH", f"/jobs/{job['id']}", body={**SUNDAY, "strict": True}, headers={"If-Match": '"2"'})
    assert strict.status == 409
    back = call("PATCH", f"/jobs/{job['id']}", body={"resource_id": None}, headers={"If-Match": '"2"'})
    assert back.json["status"] == "to_schedule" and back.json.get("resource_id") is None
    assert call("PATCH", f"/jobs/{job['id']}", body={"planned_end": "2030-01-06T08:00:00Z"}, headers={"If-Match": '"3"'}).status == 422
    history = call("GET", f"/jobs/{job['id']}/history").json["items"]
    assert [(h["kind"], h.get("from_status"), h["to_status"]) for h in history] == [
        ("created", None, "to_schedule"),
        ("status", "to_schedule", "scheduled"),
        ("status", "scheduled", "to_schedule"),
    ]


def test_status_machine_through_the_api(site):
    job = create(site, **MONDAY_10_TO_11_PARIS, resource_id=site["tech"]).json
    assert job["status"] == "scheduled"
    started = move(job, "in_progress", role="resource")
    assert started.status == 200 and started.json["started_at"]
    done = move(started.json, "completed", role="resource")
    assert done.status == 200 and done.json["completed_at"]
    refused = move(done.json, "scheduled")
    assert refused.status == 409
    assert "allowed from completed: none" in refused.json["detail"]
    stale = move(job, "cancelled")
    assert stale.status == 412
    history = call("GET", f"/jobs/{job['id']}/history").json["items"]
    assert [(h["to_status"], h["role"], h["by"]) for h in history] == [
        ("scheduled", "office", "office@t1.example"),
        ("in_progress", "resource", "resource@t1.example"),
        ("completed", "resource", "resource@t1.example"),
    ]
    assert all(h["at"].endswith("Z") for h in history)


def test_a_refused_transition_names_the_allowed_ones(site):
    job = create(site).json
    reply = move(job, "in_progress")
    assert reply.status == 409 and reply.headers["content-type"] == "application/problem+json"
    assert reply.json["detail"] == "a to_schedule job cannot become in_progress; allowed from to_schedule: scheduled, cancelled"
    assert move(job, "scheduled").status == 409  # not planned yet
    assert move(job, "cancelled").json["status"] == "cancelled"


def test_a_resource_sees_and_moves_only_its_own_jobs(site):
    mine = create(site, **MONDAY_10_TO_11_PARIS, resource_id=site["tech"], description="mine").json
    theirs = create(site, **MONDAY_10_TO_11_PARIS, resource_id=site["other"], description="theirs").json
    create(site, description="unassigned")
    listed = call("GET", "/jobs", role="resource").json["items"]
    assert [j["description"] for j in listed] == ["mine"]
    assert call("GET", "/jobs", role="resource", query={"status": "completed"}).json["items"] == []
    assert call("GET", f"/jobs/{theirs['id']}", role="resource").status == 404
    assert move(theirs, "in_progress", role="resource").status == 404
    assert call("GET", f"/jobs/{theirs['id']}/history", role="resource").status == 404
    assert call("GET", "/jobs", role="resource", query={"reference": theirs["reference"]}).json["items"] == []
    assert move(mine, "cancelled", role="resource").status == 409  # cancelling is the office's
    assert call("PATCH", f"/jobs/{mine['id']}", role="resource", body={"description": "x"}, headers={"If-Match": '"1"'}).status == 403


def test_lists_by_status_and_search_by_reference(site):
    first = create(site, description="a").json
    create(site, description="b", **MONDAY_10_TO_11_PARIS, resource_id=site["tech"])
    move(first, "cancelled")
    to_schedule = call("GET", "/jobs", query={"status": "to_schedule"}).json["items"]
    assert to_schedule == []
    assert [j["description"] for j in call("GET", "/jobs", query={"status": "scheduled"}).json["items"]] == ["b"]
    assert [j["description"] for j in call("GET", "/jobs", query={"status": "cancelled"}).json["items"]] == ["a"]
    assert call("GET", "/jobs", query={"reference": "JOB-000001"}).json["items"][0]["id"] == first["id"]
    assert call("GET", "/jobs", query={"reference": "JOB-000009"}).json["items"] == []
    assert call("GET", "/jobs").status == 422
    assert call("GET", "/jobs", query={"status": "done"}).status == 422


def test_another_tenant_sees_nothing(site):
    job = create(site).json
    assert call("GET", f"/jobs/{job['id']}", tenant="t2").status == 404
    assert call("GET", "/jobs", tenant="t2", query={"status": "to_schedule"}).json["items"] == []
    assert call("GET", "/jobs", tenant="t2", query={"reference": job["reference"]}).json["items"] == []
    assert call("POST", "/jobs", tenant="t2", body={"contact_id": site["contact"], "job_type_id": site["type"]}).status == 422
    assert call("GET", "/job-types", tenant="t2").json["items"] == []


def test_create_validation_names_every_bad_field(site):
    reply = call(
        "POST", "/jobs", body={"contact_id": "nope", "job_type_id": site["type"], "planned_start": "2030-01-07T09:00:00", "surprise": 1}
    )
    assert reply.status == 422
    fields = {e["field"] for e in reply.json["errors"]}
    assert {"contact_id", "planned_start", "surprise"} <= fields


def test_idempotent_create(site):
    headers = {"Idempotency-Key": "abc-123"}
    one = call("POST", "/jobs", body={"contact_id": site["contact"], "job_type_id": site["type"]}, headers=headers)
    two = call("POST", "/jobs", body={"contact_id": site["contact"], "job_type_id": site["type"]}, headers=headers)
    assert one.status == two.status == 201 and one.json["id"] == two.json["id"]
    assert create(site).json["reference"] == "JOB-000002"


@contextmanager
def dynamodb_calls():
    """The names of the DynamoDB operations the jobs code sends meanwhile."""
    from crm.platform import aws

    made: list[str] = []
    events = aws.table().meta.client.meta.events

    def count(model, **_):
        made.append(model.name)

    events.register("before-call.dynamodb", count, unique_id="jobs-dynamodb-calls")
    try:
        yield made
    finally:
        events.unregister("before-call.dynamodb", unique_id="jobs-dynamodb-calls")


def test_a_write_of_one_item_is_no_transaction(site):
    """A one-item transaction costs twice the write of the plain conditional write."""
    from crm.jobs import repository as repo
    from crm.platform.errors import PreconditionFailed

    job = create(site, resource_id=site["tech"], **MONDAY_10_TO_11_PARIS).json
    with dynamodb_calls() as made:
        assert call("PATCH", f"/jobs/{job['id']}", body={"description": "Bring a ladder"}, headers={"If-Match": '"1"'}).status == 200
    assert "TransactWriteItems" not in made and "PutItem" in made
    saved = call("GET", f"/jobs/{job['id']}").json
    with pytest.raises(PreconditionFailed):  # the same condition on the job's version
        repo.save_job("t1", {**saved, "version": 3}, 1, False)
    with dynamodb_calls() as made:
        assert move(saved, "in_progress", role="resource").status == 200
        assert move(saved, "completed", role="resource", version=3).status == 200
    # Each status change is one transaction (job + history, + the event's marker); publishing the
    # event claims and marks the marker with two plain updates.
    assert made.count("TransactWriteItems") == 2 and made.count("UpdateItem") == 2
    sla = call(
        "POST",
        f"/contacts/{site['contact']}/slas",
        body={"name": "4h", "constraints": [{"kind": "time", "rule": "start_before", "minutes": 240}]},
    ).json
    with dynamodb_calls() as made:
        assert call("DELETE", f"/contacts/{site['contact']}/slas/{sla['id']}", headers={"If-Match": '"2"'}).status == 412
        assert call("DELETE", f"/contacts/{site['contact']}/slas/{sla['id']}", headers={"If-Match": '"1"'}).status == 204
    assert "TransactWriteItems" not in made and made.count("DeleteItem") == 2


def test_a_planned_window_spans_at_most_31_days(site):
    month = {"planned_start": "2030-01-07T09:00:00Z", "planned_end": "2030-02-07T09:00:00Z"}
    assert create(site, **month).status == 201  # 31 days: one opening-hours reason a day at most
    reply = create(site, planned_start="2030-01-07T09:00:00Z", planned_end="2030-02-07T09:00:01Z")
    assert reply.status == 422 and [e["field"] for e in reply.json["errors"]] == ["planned_end"]
    job = create(site, **MONDAY_10_TO_11_PARIS).json
    reply = call("PATCH", f"/jobs/{job['id']}", body={"planned_start": "2029-12-01T09:00:00Z"}, headers={"If-Match": '"1"'})
    assert reply.status == 422 and reply.json["errors"][0]["field"] == "planned_end"
    assert call("GET", f"/jobs/{job['id']}").json["planned_start"] == MONDAY_10_TO_11_PARIS["planned_start"]
