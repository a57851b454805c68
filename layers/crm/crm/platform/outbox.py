"""Events published reliably on the CRM's EventBridge bus (a transactional outbox).

A change that owes an event adds `owe(event)` to its own transaction: a marker (state pending) that
carries the event. Right after the commit, `publish_after_commit` claims the marker for a short
lease (conditional: pending and not held), calls PutEvents, then marks it published (conditional
on pending). A replayed request, or a second publisher, finds nothing pending: the bus sees the
event once. The one window left is a crash between PutEvents and the marker's update: the marker
stays pending and is published again with the same `event_id`, which every subscriber
de-duplicates on (or is idempotent anyway).

What a request could not publish (the bus refused, the function died after the commit) is picked
up by the scheduled re-drive (`redrive_everywhere`, OutboxFunction every 5 minutes): pending
markers of every tenant older than a lease, oldest first, a bounded number per run, each through
the same claim -> PutEvents -> mark published.

Items (the marker's own key starts with the tenant, through crm.platform.keys):
  marker  PK=T#t#EVENT#<event id>  SK=EVENT   source, detail_type, detail, state pending|published
          (a published marker expires a week later: expires_at, the table's TTL)
          GSI2 OUTBOX#PENDING#<shard> / <created>#<event id> while pending: the scheduled re-drive
          must find what is owed without knowing the tenants (there is no tenant registry, and a
          Scan is what the index avoids). It is, with the booking slug, the one key not starting
          with the tenant, on purpose; it holds only markers still pending (they leave it when
          published, in the same update), is read by the re-drive alone (never on a request path),
          and each hit is handled through its own tenant-prefixed PK. A few shards spread a burst.
"""

from __future__ import annotations

import contextlib
import json
import zlib
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import ClassVar

from aws_lambda_powertools import Logger
from boto3.dynamodb.conditions import Attr, Key
from pydantic import BaseModel, ConfigDict, Field

from crm.platform import aws, clock, dynamo, settings
from crm.platform.errors import Conflict, Unavailable
from crm.platform.i18n import tr
from crm.platform.keys import tenant_key, tenant_of

EVENT = "EVENT"
PENDING, PENDING_SHARDS = "OUTBOX#PENDING#", 4
LEASE = timedelta(seconds=60)
KEPT_AFTER_PUBLISHING = timedelta(days=7)  # a published marker expires (TTL) after that: enough to look into a week's events
REDRIVE_LIMIT = 200  # markers per scheduled run; the rest wait for the next run
FAILURES_BEFORE_GIVING_UP = 3  # PutEvents failures in a row end a run (the bus is down: stop knocking)
logger = Logger(child=True)


def _pk(tenant: str, event_id: str) -> str:
    return tenant_key(tenant, EVENT, event_id)


def _pending_partition(event_id: str) -> str:
    return PENDING + str(zlib.crc32(event_id.encode()) % PENDING_SHARDS)  # not tenant-prefixed: see the module docstring


class Event(BaseModel):
    """An event's detail as the bus carries it. Each context defines its events as subclasses
    naming their source and detail type; subscribers parse the detail with the same class."""

    model_config = ConfigDict(extra="ignore")  # a subscriber reads the fields it knows: a new one never breaks it
    source: ClassVar[str]
    detail_type: ClassVar[str]
    tenant: str
    event_id: str = Field(description="Unique per event: a subscriber that sees it twice does nothing the second time")


def owe(event: Event) -> dynamo.Step:
    """The transaction step that owes `event`: it is published once the transaction commits."""
    at = clock.iso(clock.now())
    marker = {
        "PK": _pk(event.tenant, event.event_id),
        "SK": EVENT,
        "GSI2PK": _pending_partition(event.event_id),
        "GSI2SK": f"{at}#{event.event_id}",
        "id": event.event_id,
        "source": event.source,
        "detail_type": event.detail_type,
        "detail": event.model_dump(mode="json"),
        "state": "pending",
        "created_at": at,
    }
    return dynamo.put(dynamo.to_item(marker), ConditionExpression=Attr("PK").not_exists()), Conflict(tr("this event is already owed"))


class _Held(Exception):
    """A marker's condition failed (published, or claimed by another publisher)."""


def claim(tenant: str, event_id: str, now: str, lease_until: str) -> bool:
    """Take the right to publish a pending marker for a short lease; False if published or held."""
    free = Attr("state").eq("pending") & (Attr("claimed_until").not_exists() | Attr("claimed_until").lt(now))
    try:
        dynamo.update_one(
            _pk(tenant, event_id),
            EVENT,
            _Held(),
            UpdateExpression="SET claimed_until = :u",
            ConditionExpression=free,
            ExpressionAttributeValues={":u": lease_until},
        )
    except _Held:
        return False
    return True


def _release(tenant: str, event_id: str) -> None:
    """Give a claim back after a failed publish, so a re-drive need not wait for the lease (a marker
    no longer pending has nothing to give back)."""
    with contextlib.suppress(_Held):
        dynamo.update_one(
            _pk(tenant, event_id), EVENT, _Held(), UpdateExpression="REMOVE claimed_until", ConditionExpression=Attr("state").eq("pending")
        )


def _mark_published(tenant: str, event_id: str) -> None:
    now = clock.now()
    dynamo.update_one(
        _pk(tenant, event_id),
        EVENT,
        Conflict(tr("the event was already marked published")),
        UpdateExpression="SET #s = :published, published_at = :at, expires_at = :expires REMOVE GSI2PK, GSI2SK, claimed_until",
        ConditionExpression=Attr("state").eq("pending"),
        ExpressionAttributeNames={"#s": "state"},
        ExpressionAttributeValues={
            ":published": "published",
            ":at": clock.iso(now),
            ":expires": int((now + KEPT_AFTER_PUBLISHING).timestamp()),
        },
    )


def _put(marker: dict) -> None:
    entry = {
        "Source": marker["source"],
        "DetailType": marker["detail_type"],
        "Detail": json.dumps(marker["detail"]),
        "EventBusName": settings.event_bus_name(),
    }
    if aws.client("events").put_events(Entries=[entry]).get("FailedEntryCount"):
        raise Unavailable(tr("the event bus refused the event; it stays pending"))


def _publish(tenant: str, marker: dict) -> bool:
    """Claim, put, mark published; False when another publisher holds it or already published it."""
    now = clock.now()
    if not claim(tenant, marker["id"], clock.iso(now), clock.iso(now + LEASE)):
        return False
    try:
        _put(marker)
    except Exception:
        _release(tenant, marker["id"])
        raise
    _mark_published(tenant, marker["id"])
    return True


def publish(tenant: str, event_ids: Iterable[str]) -> int:
    """Publish these events if still pending; returns how many this call published."""
    published = 0
    for event_id in event_ids:
        item = dynamo.get(_pk(tenant, event_id), EVENT)
        if item is not None and item["state"] == "pending":
            published += _publish(tenant, dynamo.from_item(item))
    return published


def publish_after_commit(tenant: str, event_ids: Iterable[str]) -> None:
    """Publish right after the change that owes them; a failure leaves them pending for the
    re-drive and does not fail the request (the change itself is saved)."""
    event_ids = list(event_ids)
    try:
        publish(tenant, event_ids)
    except Exception:
        logger.exception("event not published yet", extra={"event_ids": event_ids})


def _pending(before: str, limit: int) -> list[dict]:
    """Pending markers of every tenant created before `before`, oldest first, at most `limit`."""
    found: list[dict] = []
    for shard in range(PENDING_SHARDS):
        found += dynamo.query_all(("GSI2PK", PENDING + str(shard)), Key("GSI2SK").lt(before), index="GSI2", limit=limit)
    found.sort(key=lambda i: i["GSI2SK"])
    return [{**dynamo.from_item(i), "tenant": tenant_of(i["PK"])} for i in found[:limit]]


def pending_count(before: str) -> int:
    """How many markers of every tenant created before `before` are still pending."""
    return sum(
        dynamo.count(("GSI2PK", PENDING + str(shard)), index="GSI2", sort=Key("GSI2SK").lt(before)) for shard in range(PENDING_SHARDS)
    )


def redrive_everywhere(limit: int = REDRIVE_LIMIT, out_of_time: Callable[[], bool] = lambda: False) -> dict[str, int]:
    """Publish the pending events of every tenant that are older than a lease (younger ones are
    still their request's to publish), oldest first, at most `limit` of them.

    Safe to run twice at once, or against the request that is publishing: every marker is claimed
    on condition, so each event is put once. Returns the counts: published, skipped (held by a live
    claim or published meanwhile), failed, and remaining (still pending and due after this run).
    """
    cutoff = clock.iso(clock.now() - LEASE)
    counts = {"published": 0, "skipped": 0, "failed": 0}
    failures_in_a_row = 0
    for marker in _pending(cutoff, limit):
        if out_of_time() or failures_in_a_row >= FAILURES_BEFORE_GIVING_UP:
            break
        try:
            done = _publish(marker["tenant"], marker)
        except Exception:
            logger.exception("event still not published", extra={"tenant": marker["tenant"], "event_id": marker["id"]})
            counts["failed"] += 1
            failures_in_a_row += 1
            continue
        failures_in_a_row = 0
        counts["published" if done else "skipped"] += 1
    return {**counts, "remaining": pending_count(cutoff)}
