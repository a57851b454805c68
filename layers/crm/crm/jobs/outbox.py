"""The completion event: an outbox marker written with the status change, published once.

Completing a job writes, in the same transaction as the status change, a marker (state pending)
carrying the event's detail; its id is the status change's history id, which the event's detail
carries as `event_id`. Publishing claims the marker for a short lease (conditional: pending and not
held), calls PutEvents, then moves it to published (conditional on pending). A replayed request, a
second completion (refused: completed is final) or a second publish finds nothing pending, so the
bus sees one event. The one window left is a crash between PutEvents and the marker's update: the
marker stays pending and the scheduled re-drive publishes again with the same `event_id`, so
consumers (stock movements, invoicing) de-duplicate on it.

What a request could not publish (the bus refused, the function died after the commit) is picked
up by the scheduled re-drive (`redrive_everywhere`, JobEventsFunction every 5 minutes): pending
markers of every tenant older than a lease, oldest first, a bounded number per run, each through
the same claim -> PutEvents -> mark published.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import timedelta
from functools import cache

from aws_lambda_powertools import Logger

from crm.jobs import repository as repo
from crm.platform import aws, clock
from crm.platform.errors import Unavailable
from crm.platform.i18n import tr

SOURCE, DETAIL_TYPE = "crm.jobs", "JobCompleted"
LEASE = timedelta(seconds=60)
REDRIVE_LIMIT = 200  # markers per scheduled run; the rest wait for the next run
FAILURES_BEFORE_GIVING_UP = 3  # PutEvents failures in a row end a run (the bus is down: stop knocking)
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
        Entries=[
            {"Source": SOURCE, "DetailType": DETAIL_TYPE, "Detail": json.dumps({"tenant": tenant, **detail}), "EventBusName": bus_name()}
        ]
    )
    if response.get("FailedEntryCount"):
        raise Unavailable(tr("the event bus refused the completion event; it stays pending"))


def publish_pending(tenant: str, job_id: str) -> int:
    """Publish the job's pending completion events; returns how many this call published."""
    return sum(_publish(tenant, job_id, pending) for pending in repo.pending_outbox(tenant, job_id))


def _publish(tenant: str, job_id: str, pending: dict) -> bool:
    """Claim, put, mark published; False when another publisher holds it or already published it."""
    now = clock.now()
    if not repo.claim_outbox(tenant, job_id, pending["id"], clock.iso(now), clock.iso(now + LEASE)):
        return False
    try:
        _put(tenant, pending["detail"])
    except Exception:
        repo.release_outbox(tenant, job_id, pending["id"])
        raise
    repo.mark_published(tenant, job_id, pending["id"], clock.iso(clock.now()))
    return True


def publish_after_commit(tenant: str, job_id: str) -> None:
    """Publish right after the status change; a failure leaves the marker pending for a re-drive
    and does not fail the request (the completion itself is saved)."""
    try:
        publish_pending(tenant, job_id)
    except Exception:
        logger.exception("completion event not published yet", extra={"job_id": job_id})


def redrive_everywhere(limit: int = REDRIVE_LIMIT, out_of_time: Callable[[], bool] = lambda: False) -> dict[str, int]:
    """Publish the pending completion events of every tenant that are older than a lease (younger
    ones are still their request's to publish), oldest first, at most `limit` of them.

    Safe to run twice at once, or against the request that is publishing: every marker is claimed
    on condition, so each event is put once. Returns the counts: published, skipped (held by a live
    claim or published meanwhile), failed, and remaining (still pending and due after this run).
    """
    cutoff = clock.iso(clock.now() - LEASE)
    counts = {"published": 0, "skipped": 0, "failed": 0}
    failures_in_a_row = 0
    for pending in repo.pending_everywhere(cutoff, limit):
        if out_of_time() or failures_in_a_row >= FAILURES_BEFORE_GIVING_UP:
            break
        tenant, job_id = pending["tenant"], pending["job_id"]
        try:
            done = _publish(tenant, job_id, pending)
        except Exception:
            logger.exception("completion event still not published", extra={"tenant": tenant, "job_id": job_id, "event_id": pending["id"]})
            counts["failed"] += 1
            failures_in_a_row += 1
            continue
        failures_in_a_row = 0
        counts["published" if done else "skipped"] += 1
    return {**counts, "remaining": repo.pending_count(cutoff)}
