"""The outbox's scheduled re-drive (OutboxFunction), with the completion event: an event the bus
refused when the job was completed is published later, once, whatever runs at the same time."""

from __future__ import annotations

import os
import threading
from datetime import timedelta

import boto3
import pytest

from crm.platform import clock, outbox
from tests.support.events import bus_down as outage
from tests.support.events import received, redrive, subscribe_queue
from tests.support.lambdas import FUNCTIONS, call, claims

PLAN = {"planned_start": "2030-01-07T09:00:00Z", "planned_end": "2030-01-07T10:00:00Z"}


@pytest.fixture
def queue(aws):
    return subscribe_queue()


@pytest.fixture
def bus_down(aws, monkeypatch):
    """bus_down(): a context in which PutEvents refuses every entry (an outage)."""
    return lambda: outage(monkeypatch)


def complete_a_job(tenant: str) -> dict:
    """A job of `tenant`, moved to completed by its technician; returns the job."""
    group = call("POST", "/contact-groups", tenant=tenant, role="admin", body={"name": "Sites"}).json["id"]
    contact = call("POST", "/contacts", tenant=tenant, body={"name": "ABC Paris", "group_id": group}).json["id"]
    job_type = call("POST", "/job-types", tenant=tenant, role="admin", body={"name": "Repair"}).json["id"]
    tech = claims(tenant, "resource")["sub"]
    call("POST", "/resources", tenant=tenant, role="admin", body={"user_id": tech, "name": "Ann"})
    job = call("POST", "/jobs", tenant=tenant, body={"contact_id": contact, "job_type_id": job_type, "resource_id": tech, **PLAN}).json
    for version, status in ((1, "in_progress"), (2, "completed")):
        moved = call(
            "POST",
            f"/jobs/{job['id']}/status",
            tenant=tenant,
            role="resource",
            body={"status": status},
            headers={"If-Match": f'"{version}"'},
        )
        assert moved.status == 200, moved.body  # the completion is saved even when the bus is down
    return job


def later(monkeypatch, minutes: float = 2) -> None:
    """Move the clock past the claim lease: the marker is now the scheduled run's to publish."""
    moved = clock.now() + timedelta(minutes=minutes)
    monkeypatch.setattr(clock, "now", lambda: moved)


def completion_marker(tenant: str, job_id: str) -> dict:
    """The outbox marker of the job's completion event (its id is the completion's history entry)."""
    completion = call("GET", f"/jobs/{job_id}/history", tenant=tenant).json["items"][-1]
    table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])
    return table.get_item(Key={"PK": f"T#{tenant}#EVENT#{completion['id']}", "SK": "EVENT"})["Item"]


def test_an_event_the_bus_refused_is_published_once_by_concurrent_runs(queue, bus_down, monkeypatch, atomic_dynamodb):
    with bus_down():
        job = complete_a_job("t1")
    assert received(queue) == []
    marker = completion_marker("t1", job["id"])
    assert marker["state"] == "pending" and marker["PK"].startswith("T#t1#")  # its own key is the tenant's
    assert marker["GSI2PK"].startswith("OUTBOX#PENDING#") and "GSI1PK" not in marker  # one index: the scheduled re-drive's

    # Younger than the lease, it is still the request's to publish: the run leaves it.
    assert redrive() == {"published": 0, "skipped": 0, "failed": 0, "remaining": 0}

    later(monkeypatch)
    results, errors = [], []
    start = threading.Barrier(3)

    def worker(fn):
        start.wait()
        try:
            results.append(fn())
        except Exception as e:
            errors.append(e)

    def request_retry() -> int:
        # The jobs request's own publishing, not OutboxFunction's: the IAM check knows one running
        # function at a time, so this thread's calls are the test's.
        with FUNCTIONS.enforcer.the_tests_own():
            return outbox.publish("t1", [marker["id"]])

    # Two scheduled runs at once, and the job's own request publishing (a retry) at the same time.
    threads = [threading.Thread(target=worker, args=(redrive,)) for _ in range(2)]
    threads.append(threading.Thread(target=worker, args=(request_retry,)))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    published = sum(r["published"] if isinstance(r, dict) else r for r in results)
    assert published == 1, results

    (event,) = received(queue)
    assert event["source"] == "crm.jobs" and event["detail-type"] == "JobCompleted"
    detail = event["detail"]
    history = call("GET", f"/jobs/{job['id']}/history").json["items"]
    assert detail["tenant"] == "t1" and detail["job_id"] == job["id"] and detail["event_id"] == history[-1]["id"]
    # Published, the marker has left the index; a further run finds nothing.
    marker = completion_marker("t1", job["id"])
    assert marker["state"] == "published" and not {"GSI2PK", "claimed_until"} & set(marker)
    assert redrive() == {"published": 0, "skipped": 0, "failed": 0, "remaining": 0}
    assert received(queue) == []


def test_a_run_with_nothing_pending_does_nothing(queue, monkeypatch):
    assert redrive() == {"published": 0, "skipped": 0, "failed": 0, "remaining": 0}
    complete_a_job("t1")  # published by its request
    assert len(received(queue)) == 1
    later(monkeypatch)
    assert redrive() == {"published": 0, "skipped": 0, "failed": 0, "remaining": 0}
    assert received(queue) == []


def test_a_marker_claimed_by_a_live_lease_is_left_alone(queue, bus_down, monkeypatch):
    with bus_down():
        job = complete_a_job("t1")
    later(monkeypatch)
    marker = completion_marker("t1", job["id"])
    now = clock.now()
    assert outbox.claim("t1", marker["id"], clock.iso(now), clock.iso(now + outbox.LEASE))  # another publisher holds it
    assert redrive() == {"published": 0, "skipped": 1, "failed": 0, "remaining": 1}
    assert received(queue) == []
    later(monkeypatch, minutes=4)  # that publisher died: its lease ran out
    assert redrive() == {"published": 1, "skipped": 0, "failed": 0, "remaining": 0}
    assert len(received(queue)) == 1


def test_a_run_covers_every_tenant_a_bounded_number_at_a_time(queue, bus_down, monkeypatch):
    with bus_down():
        jobs = {tenant: complete_a_job(tenant) for tenant in ("t1", "t2", "t3")}
        later(monkeypatch)
        assert redrive() == {"published": 0, "skipped": 0, "failed": 3, "remaining": 3}  # still down: all stay pending
    assert received(queue) == []

    assert outbox.redrive_everywhere(limit=2) == {"published": 2, "skipped": 0, "failed": 0, "remaining": 1}
    assert redrive() == {"published": 1, "skipped": 0, "failed": 0, "remaining": 0}
    events = received(queue)
    assert sorted((e["detail"]["tenant"], e["detail"]["job_id"]) for e in events) == sorted((t, j["id"]) for t, j in jobs.items())
