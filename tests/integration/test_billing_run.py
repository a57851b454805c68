"""The monthly billing run, with Scheduler's and SQS's real event shapes: the schedule in the
finance settings (its next 12 runs, armed), the run function queuing one message per contract due
(through the sparse next-billing-date index), the worker billing each period exactly once (duplicate
and concurrent deliveries, a crash between any two steps), missed runs, future starts, ended and
cancelled contracts, the deposit once, "bill now", gapless numbers, one summary email per run."""

from __future__ import annotations

import json
import threading
from collections import Counter
from datetime import UTC, datetime

import boto3
import pytest

from crm.finance import billing, billing_run
from crm.platform import aws as platform_aws
from crm.platform import clock
from tests.support.events import subscribers
from tests.support.finance import setup_finance
from tests.support.lambdas import call, invoke
from tests.support.mail import sent

SCHEDULE = {
    "recurrence": {"frequency": "monthly", "day_of_month": 1, "time": "06:00", "timezone": "Europe/Paris"},
    "summary_to": ["office@t1.example"],
}
TERMS = {"start_date": "2027-02-01", "end_date": "2027-12-31", "instalment": 10_000, "deposit": 50_000, "tax_rate": "S20"}


@pytest.fixture
def now(monkeypatch):
    def move(moment: datetime) -> None:
        monkeypatch.setattr(clock, "now", lambda: moment)

    move(datetime(2027, 1, 20, 12, tzinfo=UTC))
    return move


@pytest.fixture
def world(aws, now):
    ids = setup_finance()
    saved = call("PUT", "/finance/billing-schedule", role="admin", body=SCHEDULE, headers={"If-Match": '"0"'})
    assert saved.status == 200, saved.body
    return ids | {"aws": aws, "schedule": saved.json}


def active_contract(world, reference="MAINT-1", **fields) -> dict:
    created = call("POST", "/contracts", body={**TERMS, "contact_id": world["customer"], "reference": reference, **fields})
    assert created.status == 201, created.body
    moved = call("POST", f"/contracts/{created.json['id']}/status", body={"status": "active"}, headers={"If-Match": '"1"'})
    assert moved.status == 200, moved.body
    return moved.json


def occurrence(at: str) -> dict:
    """What Scheduler hands the run function for one occurrence of the tenant's series (its Input)."""
    group = boto3.client("scheduler")
    names = [s["Name"] for s in group.list_schedules(GroupName=_group())["Schedules"] if s["Name"].startswith("billing-")]
    series = names[0].split(".")[0]
    return {"series": series, "occurrence": at, "detail": {"tenant": "t1"}}


def _group() -> str:
    import os

    return os.environ["SCHEDULE_GROUP"]


def run(world, at: str) -> dict:
    """One delivery of the occurrence at `at` (UTC), then the queue drained into the worker."""
    answer = invoke("BillingRunFunction", occurrence(at))
    subscribers(world["aws"]).drain()
    return answer


def invoices(contract_id: str) -> list[dict]:
    return call("GET", f"/contracts/{contract_id}/invoices").json["items"]


def summaries() -> list[dict]:
    return [m for m in sent() if m["subject"].startswith("Billing run")]


def test_the_schedule_shows_its_next_twelve_runs_and_arms_them(world):
    upcoming = world["schedule"]["upcoming"]
    assert len(upcoming) == 12 and upcoming[:2] == ["2027-02-01T06:00:00+01:00", "2027-03-01T06:00:00+01:00"]
    names = sorted(s["Name"] for s in boto3.client("scheduler").list_schedules(GroupName=_group())["Schedules"])
    assert [n.split(".")[1] for n in names if n.startswith("billing-")] == ["20270201T0500Z", "20270301T0500Z"]
    weekly = {**SCHEDULE, "recurrence": {**SCHEDULE["recurrence"], "frequency": "weekly", "weekdays": ["mon"], "day_of_month": None}}
    refused = call("PUT", "/finance/billing-schedule", role="admin", body=weekly, headers={"If-Match": '"1"'})
    assert refused.status == 422 and call("GET", "/finance/billing-schedule").json["version"] == 1


def test_a_run_bills_the_period_with_its_deposit_dated_for_it_and_a_second_delivery_changes_nothing(world):
    contract = active_contract(world)
    assert run(world, "2027-02-01T05:00:00Z")["outcome"] == "queued 1"
    [invoice] = invoices(contract["id"])
    assert (invoice["number"], invoice["period_start"], invoice["period_end"]) == ("INV-000001", "2027-02-01", "2027-02-28")
    document = call("GET", f"/documents/{invoice['document_id']}").json
    assert document["issue_date"] == "2027-02-01" and document["net"] == 60_000 and document["origin"]["kind"] == "contract"
    assert [line["unit_price"] for line in document["lines"]] == [10_000, 50_000] and document["pdf"]["size"] > 0
    pdf = boto3.client("s3").get_object(Bucket=world["aws"]["DocumentsBucket"], Key=document["pdf"]["key"])["Body"].read()
    assert pdf.startswith(b"%PDF")
    [summary] = summaries()
    assert summary["to"] == ["office@t1.example"] and "MAINT-1: INV-000001" in summary["body"]
    assert call("GET", "/emails", role="admin").json["items"][0]["kind"] == "billing_summary"  # archived

    assert run(world, "2027-02-01T05:00:00Z")["outcome"] == "queued 0"  # Scheduler delivered it twice
    assert len(invoices(contract["id"])) == 1 and len(summaries()) == 1
    assert call("GET", f"/contracts/{contract['id']}").json["next_billing_date"] == "2027-03-01"


def test_missed_runs_bill_each_missed_period_with_its_own_dates_and_the_deposit_once(world):
    contract = active_contract(world)
    run(world, "2027-04-01T04:00:00Z")  # the February and March runs never fired
    billed = invoices(contract["id"])
    assert [(i["period_start"], i["period_end"]) for i in billed] == [
        ("2027-02-01", "2027-02-28"),
        ("2027-03-01", "2027-03-31"),
        ("2027-04-01", "2027-04-30"),
    ]
    assert [i["gross"] for i in billed] == [72_000, 12_000, 12_000]  # the deposit with the first only (VAT 20 %)
    assert sorted(i["number"] for i in billed) == ["INV-000001", "INV-000002", "INV-000003"]


def test_a_future_contract_waits_for_its_start_and_ended_or_cancelled_ones_are_not_billed(world):
    future = active_contract(world, "FUTURE")
    cancelled = active_contract(world, "CANCELLED", start_date="2027-01-01")
    call("POST", f"/contracts/{cancelled['id']}/status", body={"status": "cancelled"}, headers={"If-Match": '"2"'})
    ended = active_contract(world, "ENDED", start_date="2027-01-01")
    call("POST", f"/contracts/{ended['id']}/status", body={"status": "ended"}, headers={"If-Match": '"2"'})
    run(world, "2027-01-01T05:00:00Z")
    assert invoices(future["id"]) == invoices(cancelled["id"]) == invoices(ended["id"]) == []
    assert "No contract had a period due." in summaries()[0]["body"]
    run(world, "2027-02-01T05:00:00Z")
    assert [i["period_start"] for i in invoices(future["id"])] == ["2027-02-01"]
    assert invoices(cancelled["id"]) == invoices(ended["id"]) == []


def test_bill_now_means_the_run_neither_repeats_nor_skips_a_period(world):
    contract = active_contract(world)
    ahead = call("POST", f"/contracts/{contract['id']}/bill", body={"period": 1})  # March, billed early by the office
    assert ahead.status == 200 and ahead.json["issue_date"] == "2027-03-01"
    again = call("POST", f"/contracts/{contract['id']}/bill", body={"period": 1})
    assert again.json["id"] == ahead.json["id"]  # the same invoice, not a second one
    run(world, "2027-03-01T05:00:00Z")
    billed = invoices(contract["id"])
    assert [(i["period"], i["number"]) for i in billed] == [(0, "INV-000002"), (1, "INV-000001")]
    assert call("GET", f"/contracts/{contract['id']}").json["next_billing_date"] == "2027-04-01"
    assert "MAINT-1: INV-000002" in summaries()[0]["body"]
    refused = call("POST", f"/contracts/{contract['id']}/bill", body={"period": 99})
    assert refused.status == 422 and refused.json["errors"][0]["field"] == "period"


STEPS = ["_rendered", "_commit", "_filed_copy", "_sent"]  # the worker's steps (crm.finance.billing), in order


@pytest.mark.parametrize("step", [*STEPS, "record_outcome"])
def test_a_crash_between_any_two_steps_is_finished_by_the_retry_with_one_invoice_sent_once(world, monkeypatch, step):
    call("PUT", "/finance/billing-schedule", role="admin", body={**SCHEDULE, "auto_send": True}, headers={"If-Match": '"1"'})
    contract = active_contract(world)
    owner = billing_run.repo if step == "record_outcome" else billing
    real, crashed = getattr(owner, step), []

    def crash_once(*args, **kwargs):
        if not crashed:
            crashed.append(step)
            raise RuntimeError(f"crash before {step}")
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, step, crash_once)
    mappings = subscribers(world["aws"])
    invoke("BillingRunFunction", occurrence("2027-02-01T05:00:00Z"))
    mappings.drain()
    assert crashed == [step]
    mappings.expire_in_flight()  # the failed message is visible again: the queue redelivers it
    mappings.drain()
    [invoice] = invoices(contract["id"])
    assert invoice["status"] == "sent"
    assert len([m for m in sent() if m["to"] == ["anne@sge.example"]]) == 1  # the person receiving financial documents
    assert call("GET", f"/contracts/{contract['id']}").json["next_period"] == 1
    assert len(summaries()) == 1


def test_concurrent_workers_bill_each_period_once_with_gapless_numbers(world, atomic_dynamodb):
    contracts = [active_contract(world, f"C{i}") for i in range(6)]
    invoke("BillingRunFunction", occurrence("2027-02-01T05:00:00Z"))
    queue = world["aws"]["BillingQueue"]
    messages = boto3.client("sqs").receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
    bodies = [m["Body"] for m in messages]
    assert len(bodies) == 6
    errors: list[BaseException] = []

    def worker(order):  # two workers each get every message (at-least-once), in opposite orders
        try:
            for body in order:
                billing_run.handle(body, 1)
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(o,)) for o in (bodies, bodies[::-1])]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert not errors
    numbers = sorted(i["number"] for c in contracts for i in invoices(c["id"]))
    assert numbers == [f"INV-{n:06d}" for n in range(1, 7)]
    assert len(summaries()) == 1


def _worked(world, receive_count: int) -> tuple[list[dict], dict]:
    """The queued messages handed to the worker as SQS would on their `receive_count`th receive."""
    queue = world["aws"]["BillingQueue"]
    messages = boto3.client("sqs").receive_message(QueueUrl=queue, MaxNumberOfMessages=10, AttributeNames=["All"])["Messages"]
    attributes = {"ApproximateReceiveCount": str(receive_count)}
    records = [
        {"messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"], "md5OfBody": m["MD5OfBody"]}
        | {"attributes": attributes, "messageAttributes": {}, "eventSource": "aws:sqs", "awsRegion": "eu-west-3"}
        | {"eventSourceARN": "arn:aws:sqs:eu-west-3:123456789012:billing"}
        for m in messages
    ]
    return messages, invoke("BillingWorkerFunction", {"Records": records})


def test_a_period_whose_invoice_cannot_be_issued_fails_instead_of_counting_a_draft_as_billed(world):
    group = call("POST", "/contact-groups", role="admin", body={"name": "Incomplete"}).json["id"]
    bare = call("POST", "/contacts", body={"name": "No address Ltd", "group_id": group}).json["id"]
    good = active_contract(world, "GOOD")
    bad = active_contract(world, "BAD", contact_id=bare)  # issue refuses: no address for the legal mentions
    invoke("BillingRunFunction", occurrence("2027-02-01T05:00:00Z"))
    messages, answer = _worked(world, receive_count=1)
    failed = {f["itemIdentifier"] for f in answer["batchItemFailures"]}
    assert failed == {m["MessageId"] for m in messages if json.loads(m["Body"])["contract_id"] == bad["id"]}  # retried
    assert [i["number"] for i in invoices(good["id"])] == ["INV-000001"]
    assert all(invoice.get("number") is None for invoice in invoices(bad["id"]))
    assert call("GET", f"/contracts/{bad['id']}").json["next_billing_date"] == "2027-02-01"  # still due
    assert summaries() == []  # the run is not over while a period is retried


def test_a_failing_contract_is_retried_alone_and_after_its_last_attempt_the_summary_reports_it(world, monkeypatch):
    good, bad = active_contract(world, "GOOD"), active_contract(world, "BAD")
    real = billing_run.bill_due

    def flaky(message, known, numbers):
        if message.contract_id == bad["id"]:
            raise RuntimeError("the document store is down")
        return real(message, known, numbers)

    monkeypatch.setattr(billing_run, "bill_due", flaky)
    invoke("BillingRunFunction", occurrence("2027-02-01T05:00:00Z"))
    messages, answer = _worked(world, receive_count=5)
    failed = {f["itemIdentifier"] for f in answer["batchItemFailures"]}
    assert failed == {m["MessageId"] for m in messages if json.loads(m["Body"])["contract_id"] == bad["id"]}
    assert len(invoices(good["id"])) == 1 and invoices(bad["id"]) == []
    [summary] = summaries()
    assert "1 contract failed:" in summary["body"] and "BAD: billing failed" in summary["body"]


def test_an_unset_schedule_reads_as_version_0_with_no_run_armed(aws):
    reply = call("GET", "/finance/billing-schedule")
    assert reply.status == 200 and reply.headers["etag"] == '"0"'
    assert (reply.json["recurrence"], reply.json["upcoming"], reply.json["summary_to"]) == (None, [], [])


def test_the_worker_makes_at_most_three_dynamodb_requests_per_invoice(world):
    """A count, not a timing: one transaction per invoice, the batch read in two requests, the run's
    settings once per run and its summary once per batch (issue 8's goal: at most 3 per invoice)."""
    contracts = [active_contract(world, f"C{i}") for i in range(10)]
    invoke("BillingRunFunction", occurrence("2027-02-01T05:00:00Z"))
    made: list[str] = []

    def count(model, **_):
        made.append(model.name)

    events = platform_aws.table().meta.client.meta.events  # the layer's client: every DynamoDB request it makes
    events.register("before-call.dynamodb", count, unique_id="billing-dynamodb-calls")
    try:
        _, answer = _worked(world, receive_count=1)
    finally:
        events.unregister("before-call.dynamodb", unique_id="billing-dynamodb-calls")
    assert answer["batchItemFailures"] == []
    assert all(len(invoices(c["id"])) == 1 for c in contracts) and len(summaries()) == 1
    invoice_writes = made.count("TransactWriteItems") - 1  # the summary's email is archived in one more
    assert invoice_writes == 10, made
    # 24 on this day: 10 transactions, 2 batch reads, the run's settings read once (8), the summary (4)
    assert len(made) <= 3 * 10 and Counter(made)["GetItem"] <= 10, Counter(made)
