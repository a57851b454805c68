"""Parts on jobs: planned parts reserve stock at the van, the technician records parts on their
own job only, the job's completion (JobCompleted, through the bus, its rule and the stock
queue) posts the movements once however often it is delivered, and its cancellation (JobCancelled)
releases its reservations once."""

from __future__ import annotations

import json

import pytest

from tests.support.events import deliver
from tests.support.lambdas import LambdaContext, call, claims, module

PLAN = {"planned_start": "2030-01-07T09:00:00Z", "planned_end": "2030-01-07T10:00:00Z"}


@pytest.fixture
def job(aws):
    group = call("POST", "/contact-groups", role="admin", body={"name": "Sites"}).json["id"]
    site = call("POST", "/contacts", body={"name": "ABC Paris", "group_id": group}).json["id"]
    job_type = call("POST", "/job-types", role="admin", body={"name": "Repair"}).json["id"]
    tech = claims("t1", "resource")["sub"]
    call("POST", "/resources", role="admin", body={"user_id": tech, "name": "Ann"})
    van = call("POST", "/vehicles", role="admin", body={"name": "Van 1"}).json["id"]
    created = call("POST", "/jobs", body={"contact_id": site, "job_type_id": job_type, "resource_id": tech, "vehicle_id": van, **PLAN}).json
    pump = call(
        "POST", "/stock/items", body={"kind": "stock", "make": "Grundfos", "model": "Alpha2", "reorder": {"point": 3, "quantity": 5}}
    ).json
    boiler = call("POST", "/stock/items", body={"kind": "equipment", "make": "Viessmann", "model": "Vitodens"}).json
    call(
        "POST",
        "/stock/movements",
        body={"item_id": pump["id"], "quantity": 5, "to_location": f"vehicle:{van}", "reason": "purchase_receipt"},
    )
    call(
        "POST",
        "/stock/movements",
        body={"item_id": boiler["id"], "serial": "NEW-1", "to_location": f"vehicle:{van}", "reason": "purchase_receipt"},
    )
    call(
        "POST",
        "/stock/movements",
        body={"item_id": boiler["id"], "serial": "OLD-9", "to_location": f"contact:{site}", "reason": "purchase_receipt"},
    )
    return {"id": created["id"], "site": site, "van": f"vehicle:{van}", "pump": pump["id"], "boiler": boiler["id"], "aws": aws}


def balance(item_id: str, location: str) -> dict:
    rows = call("GET", f"/stock/items/{item_id}/balances").json["items"]
    return next((r for r in rows if r["location"] == location), {"on_hand": 0, "reserved": 0, "available": 0})


def complete(job_id: str) -> None:
    for version, status in ((1, "in_progress"), (2, "completed")):
        moved = call("POST", f"/jobs/{job_id}/status", role="resource", body={"status": status}, headers={"If-Match": f'"{version}"'})
        assert moved.status == 200, moved.body


def test_planned_parts_reserve_at_the_van_and_are_released_when_taken_off(job):
    planned = call("POST", f"/jobs/{job['id']}/parts", body={"kind": "planned", "item_id": job["pump"], "quantity": 3})
    assert planned.status == 201, planned.body
    assert (balance(job["pump"], job["van"])["reserved"], balance(job["pump"], job["van"])["available"]) == (3, 2)
    # available 2 <= point 3: the company's stock is low now
    assert [r["model"] for r in call("GET", "/stock/reorder-report").json["items"]] == ["Alpha2"]
    gone = call("DELETE", f"/jobs/{job['id']}/parts/{planned.json['id']}", headers={"If-Match": '"1"'})
    assert gone.status == 204
    assert balance(job["pump"], job["van"])["reserved"] == 0
    assert call("GET", "/stock/reorder-report").json["items"] == []


def test_a_technician_records_parts_on_their_own_job_only(job):
    mine = call("POST", f"/jobs/{job['id']}/parts", role="resource", body={"kind": "used", "item_id": job["pump"], "quantity": 1})
    assert mine.status == 201, mine.body
    other = call(
        "POST",
        f"/jobs/{job['id']}/parts",
        role="resource",
        email="bob@t1.example",
        body={"kind": "used", "item_id": job["pump"], "quantity": 1},
    )
    assert other.status == 404
    wrong = call("POST", f"/jobs/{job['id']}/parts", role="resource", body={"kind": "installed", "item_id": job["pump"], "quantity": 1})
    assert wrong.status == 422


def test_completion_posts_the_parts_once_however_often_the_event_comes(job, monkeypatch):
    post = lambda body: call("POST", f"/jobs/{job['id']}/parts", role="resource", body=body)  # noqa: E731
    assert post({"kind": "planned", "item_id": job["pump"], "quantity": 2}).status == 201
    assert post({"kind": "used", "item_id": job["pump"], "quantity": 2}).status == 201
    assert post({"kind": "installed", "item_id": job["boiler"], "serial": "NEW-1"}).status == 201
    assert post({"kind": "removed", "item_id": job["boiler"], "serial": "OLD-9"}).status == 201
    complete(job["id"])
    assert deliver(job["aws"]) >= 1
    site = f"contact:{job['site']}"
    van = balance(job["pump"], job["van"])
    assert (van["on_hand"], van["reserved"]) == (3, 0)
    assert balance(job["pump"], site)["on_hand"] == 2
    units = {u["serial"]: u for u in call("GET", f"/contacts/{job['site']}/equipment").json["items"]}
    assert set(units) == {"NEW-1"} and units["NEW-1"]["status"] == "in_service"
    assert call("GET", f"/stock/items/{job['boiler']}/units/OLD-9").json["status"] == "removed"
    parts = call("GET", f"/jobs/{job['id']}/parts").json["items"]
    assert all(p["movement_id"] for p in parts if p["kind"] != "planned")
    # The same completion delivered again (an at-least-once queue): nothing moves twice.
    redeliver(_completion(job))
    assert balance(job["pump"], site)["on_hand"] == 2 and balance(job["pump"], job["van"])["on_hand"] == 3
    movements = call("GET", f"/contacts/{job['site']}/movements", query={"reason": "job"}).json["items"]
    assert len(movements) == 3


def _completion(job) -> tuple[str, dict]:
    """The job's JobCompleted event, as jobs published it."""
    history = [h for h in call("GET", f"/jobs/{job['id']}/history").json["items"] if h.get("to_status") == "completed"]
    return "JobCompleted", {
        "tenant": "t1",
        "event_id": history[0]["id"],
        "job_id": job["id"],
        "reference": "JOB-000001",
        "status": "completed",
        "contact_id": job["site"],
        "job_type_id": "x",
        "resource_id": claims("t1", "resource")["sub"],
        "vehicle_id": job["van"].split(":")[1],
        "completed_at": "2030-01-07T10:00:00Z",
        "completed_by": "resource@t1.example",
    }


def redeliver(event: tuple[str, dict]) -> None:
    """Hand StockEventsFunction an SQS batch holding the jobs event twice, as an at-least-once queue may."""
    detail_type, detail = event
    body = json.dumps({"source": "crm.jobs", "detail-type": detail_type, "detail": detail})
    record = {
        "messageId": "m-1",
        "receiptHandle": "r",
        "body": body,
        "attributes": {},
        "messageAttributes": {},
        "md5OfBody": "",
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:eu-west-1:123456789012:q",
        "awsRegion": "eu-west-1",
    }
    batch = {"Records": [record, {**record, "messageId": "m-2"}]}
    answer = module("StockEventsFunction").handler(batch, LambdaContext("StockEventsFunction"))
    assert answer["batchItemFailures"] == []


def test_cancelling_a_job_releases_its_reservations_once(job):
    first = call("GET", f"/jobs/{job['id']}").json
    fields = {k: first[k] for k in ("contact_id", "job_type_id", "resource_id", "vehicle_id")}
    other = call("POST", "/jobs", body={**fields, **PLAN}).json["id"]
    assert call("POST", f"/jobs/{other}/parts", body={"kind": "planned", "item_id": job["pump"], "quantity": 2}).status == 201
    planned = call("POST", f"/jobs/{job['id']}/parts", body={"kind": "planned", "item_id": job["pump"], "quantity": 3})
    assert planned.status == 201, planned.body
    assert balance(job["pump"], job["van"])["available"] == 0
    cancelled = call("POST", f"/jobs/{job['id']}/status", body={"status": "cancelled"}, headers={"If-Match": '"1"'})
    assert cancelled.status == 200, cancelled.body
    assert deliver(job["aws"]) >= 1
    van = balance(job["pump"], job["van"])
    assert (van["on_hand"], van["reserved"], van["available"]) == (5, 2, 3)  # the other job's 2 stay reserved
    # The same cancellation delivered again, twice in one batch: nothing is released twice.
    history = [h for h in call("GET", f"/jobs/{job['id']}/history").json["items"] if h.get("to_status") == "cancelled"]
    detail = {
        "tenant": "t1",
        "event_id": history[0]["id"],
        "job_id": job["id"],
        "reference": first["reference"],
        "contact_id": job["site"],
        "cancelled_at": cancelled.json["updated_at"],
        "cancelled_by": "office@t1.example",
    }
    redeliver(("JobCancelled", detail))
    assert balance(job["pump"], job["van"])["reserved"] == 2
