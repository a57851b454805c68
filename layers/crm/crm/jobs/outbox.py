"""The completion event: an outbox marker written with the status change, published once.

Completing a job writes, in the same transaction as the status change, a marker (state pending)
carrying the event's detail; its id is the status change's history id, which the event's detail
carries as `event_id`. Publishing claims the marker for a short lease (conditional: pending and not
held), calls PutEvents, then moves it to published (conditional on pending). A replayed request, a
second completion (refused: completed is final) or a second publish finds nothing pending, so the
bus sees one event. The one window left is a crash between PutEvents and the marker's update: the
marker stays pending and a re-drive (`redrive`) publishes again with the same `event_id`, so
consumers (stock movements, invoicing) de-duplicate on it.
"""
from __future__ import annotations

import json
import os
from datetime import timedelta
from functools import cache

from aws_lambda_powertools import Logger

from crm.jobs import repository as repo
from crm.platform import aws, clock
from crm.platform.errors import Unavailable

SOURCE, DETAIL_TYPE = "crm.jobs", "JobCompleted"
LEASE = timedelta(seconds=60)
logger = Logger(child=True)


@cache
def bus_name() -> str:
    name = os.environ.get("JOBS_BUS_NAME")
    if not name:
        raise RuntimeError("environment variable JOBS_BUS_NAME is not set")
    return name


def marker(history_id: str, job: dict, by: str, at: str) -> dict:
    detail = {
        "event_id": history_id,
        "job_id": job["id"],
        "reference": job["reference"],
        "status": job["status"],
        "contact_id": job["contact_id"],
        "job_type_id": job["job_type_id"],
        "resource_id": job.get("resource_id"),
        "vehicle_id": job.get("vehicle_id"),
        "completed_at": at,
        "completed_by": by,
    }
    return {"id": history_id, "state": "pending", "created_at": at, "detail": detail}


def _put(tenant: str, detail: dict) -> None:
    response = aws.client("events").put_events(
        Entries=[{"Source": SOURCE, "DetailType": DETAIL_TYPE, "Detail": json.dumps({"tenant": tenant, **detail}), "EventBusName": bus_name()}]
    )
    if response.get("FailedEntryCount"):
        raise Unavailable("the event bus refused the completion event; it stays pending")


def publish_pending(tenant: str, job_id: str) -> int:
    """Publish the job's pending completion events; returns how many this call published."""
    published = 0
    for pending in repo.pending_outbox(tenant, job_id):
        now = clock.now()
        if not repo.claim_outbox(tenant, job_id, pending["id"], clock.iso(now), clock.iso(now + LEASE)):
            continue
        try:
            _put(tenant, pending["detail"])
        except Exception:
            repo.release_outbox(tenant, job_id, pending["id"])
            raise
        repo.mark_published(tenant, job_id, pending["id"], clock.iso(clock.now()))
        published += 1
    return published


def publish_after_commit(tenant: str, job_id: str) -> None:
    """Publish right after the status change; a failure leaves the marker pending for a re-drive
    and does not fail the request (the completion itself is saved)."""
    try:
        publish_pending(tenant, job_id)
    except Exception:  # noqa: BLE001 - the job is completed either way; the marker says what is owed
        logger.exception("completion event not published yet", extra={"job_id": job_id})


def redrive(tenant: str, limit: int = 100) -> int:
    """Publish what earlier requests could not (a bus outage, a crash after the commit)."""
    return sum(publish_pending(tenant, job_id) for job_id in repo.outbox_backlog(tenant, limit))
