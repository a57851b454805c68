"""ContactDeleted, from the deletion to each subscriber: published once through the outbox (or later
by its re-drive), delivered by the template's rule to each context's queue, handled in partial
batches, retried, dead-lettered after maxReceiveCount, and harmless the second time."""

from __future__ import annotations

import json
from datetime import timedelta

import boto3
import pytest

from crm.booking import repository as booking_repo
from crm.booking import service as booking
from crm.platform import clock
from tests.support.events import bus_down, redrive, subscribers
from tests.support.lambdas import call

MAX_RECEIVES = 5  # the template's RedrivePolicy


def queue_url(aws, logical_id: str) -> str:
    return boto3.client("sqs").get_queue_url(QueueName=aws[logical_id])["QueueUrl"]


def waiting(aws, logical_id: str) -> list[dict]:
    """The events a queue holds (read without taking them: they become visible again at once)."""
    sqs = boto3.client("sqs")
    messages = sqs.receive_message(QueueUrl=queue_url(aws, logical_id), MaxNumberOfMessages=10, VisibilityTimeout=0).get("Messages", [])
    return [json.loads(m["Body"]) for m in messages]


@pytest.fixture
def sites(aws):
    """Two contacts, each with a booking site."""
    group = call("POST", "/contact-groups", role="admin", body={"name": "Customers"}).json["id"]
    repair = call("POST", "/job-types", role="admin", body={"name": "Repair"}).json["id"]
    out = []
    for slug in ("abc", "xyz"):
        contact = call("POST", "/contacts", body={"name": slug.upper(), "group_id": group}).json
        site = {"slug": slug, "job_type_ids": [repair], "notify_email": "office@t1.example"}
        assert call("PUT", f"/contacts/{contact['id']}/booking-site", body=site, headers={"If-Match": '"0"'}).status == 201
        out.append(contact)
    return out


def delete(contact: dict) -> None:
    assert call("DELETE", f"/contacts/{contact['id']}", headers={"If-Match": f'"{contact["version"]}"'}).status == 204


def slug_taken(slug: str) -> bool:
    """The booking site's slug still claimed (its contact gone, the public page is 404 either way)."""
    return booking_repo.site_by_slug(slug) is not None


def test_each_subscriber_gets_the_event_once_in_a_genuine_sqs_batch(aws, sites, monkeypatch):
    batches: list[dict] = []
    mappings = subscribers(aws)
    real = mappings._invoke

    def watch(function: str, event: dict):
        batches.append({"function": function, **event})
        return real(function, event)

    monkeypatch.setattr(mappings, "_invoke", watch)
    delete(sites[0])
    assert mappings.drain() == 5  # contacts, customfields, booking, jobs, stock
    assert sorted(b["function"] for b in batches) == [
        "BookingEventsFunction",
        "ContactsEventsFunction",
        "CustomFieldsEventsFunction",
        "JobsEventsFunction",
        "StockEventsFunction",
    ]
    (record,) = batches[0]["Records"]
    assert (
        record["eventSource"] == "aws:sqs"
        and record["eventSourceARN"].startswith("arn:aws:sqs:")
        and record["attributes"]["ApproximateReceiveCount"] == "1"
    )
    event = json.loads(record["body"])
    assert (event["source"], event["detail-type"]) == ("crm.contacts", "ContactDeleted")
    assert event["detail"]["contact_id"] == sites[0]["id"] and event["detail"]["tenant"] == "t1" and event["detail"]["event_id"]
    assert not slug_taken("abc") and slug_taken("xyz")
    assert mappings.drain() == 0  # handled messages are deleted: nothing comes twice


def test_a_failing_record_is_retried_alone_and_then_handled(aws, sites, monkeypatch):
    failing = {sites[0]["id"]}
    real = booking.forget_contact

    def flaky(tenant: str, contact_id: str) -> None:
        if contact_id in failing:
            raise RuntimeError("the table is unreachable")
        real(tenant, contact_id)

    monkeypatch.setattr(booking, "forget_contact", flaky)
    for contact in sites:
        delete(contact)
    mappings = subscribers(aws)
    mappings.drain()
    assert slug_taken("abc") and not slug_taken("xyz")  # XYZ's, in the same batch, went; ABC's waits

    failing.clear()  # the outage is over
    assert mappings.expire_in_flight() == 1  # its visibility timeout passes
    assert mappings.drain() == 1
    assert not slug_taken("abc")


def test_an_event_that_keeps_failing_ends_in_the_dead_letter_queue(aws, sites, monkeypatch):
    def broken(tenant: str, contact_id: str) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(booking, "forget_contact", broken)
    delete(sites[0])
    mappings = subscribers(aws)
    for _ in range(MAX_RECEIVES):
        mappings.drain()
        mappings.expire_in_flight()
    assert mappings.drain() == 0  # received maxReceiveCount times: moved, not handed over again
    (dead,) = waiting(aws, "BookingEventsDeadLetterQueue")
    assert dead["detail"]["contact_id"] == sites[0]["id"]
    assert waiting(aws, "CustomFieldsEventsDeadLetterQueue") == []  # the other subscribers were fine


def test_the_same_event_twice_changes_nothing_the_second_time(aws, sites):
    delete(sites[0])
    copies = {
        name: waiting(aws, name) for name in ("ContactsEventsQueue", "CustomFieldsEventsQueue", "BookingEventsQueue", "JobsEventsQueue")
    }
    mappings = subscribers(aws)
    assert mappings.drain() == 5  # contacts, customfields, booking, jobs, stock
    table = boto3.resource("dynamodb").Table(aws["Table"])
    before = table.scan()["Items"]
    # A subscriber must accept a duplicate (at-least-once queues, a re-published marker), and two at once.
    sqs = boto3.client("sqs")
    for name, events in copies.items():
        for event in events * 2:
            sqs.send_message(QueueUrl=queue_url(aws, name), MessageBody=json.dumps(event))
    assert mappings.drain() == 8
    assert mappings.expire_in_flight() == 0  # none failed
    assert table.scan()["Items"] == before
    # XYZ, never deleted, is untouched.
    assert call("GET", f"/contacts/{sites[1]['id']}/booking-site").status == 200 and slug_taken("xyz")


def test_an_event_the_bus_refused_is_published_by_the_redrive_and_then_delivered(aws, sites, monkeypatch):
    with bus_down(monkeypatch):
        delete(sites[0])  # the deletion stands; its event stays pending
    mappings = subscribers(aws)
    assert mappings.drain() == 0
    assert slug_taken("abc")

    moved = clock.now() + timedelta(minutes=2)  # past the request's lease
    monkeypatch.setattr(clock, "now", lambda: moved)
    assert redrive() == {"published": 1, "skipped": 0, "failed": 0, "remaining": 0}
    assert mappings.drain() == 5  # contacts, customfields, booking, jobs, stock
    assert not slug_taken("abc")
