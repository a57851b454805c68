"""The financial tab counts the parts a job used: the cost price of what was fitted and installed
when the job was completed, less what was returned (a reversed movement), as its own column, in
the job's costs and margin, per job, per month and in the totals."""

from __future__ import annotations

import pytest

from tests.support.events import deliver
from tests.support.lambdas import call, claims

TECH = claims("t1", "resource")["sub"]
PLAN = {"planned_start": "2030-01-07T09:00:00Z", "planned_end": "2030-01-07T10:00:00Z"}


@pytest.fixture
def world(aws):
    group = call("POST", "/contact-groups", role="admin", body={"name": "Sites"}).json["id"]
    site = call("POST", "/contacts", body={"name": "ABC Paris", "group_id": group}).json["id"]
    job_type = call("POST", "/job-types", role="admin", body={"name": "Repair"}).json["id"]
    call("POST", "/resources", role="admin", body={"user_id": TECH, "name": "Ann", "cost_rate": 3000})
    van = call("POST", "/vehicles", role="admin", body={"name": "Van 1"}).json["id"]
    pump = call("POST", "/stock/items", body={"kind": "stock", "make": "Grundfos", "model": "Alpha2", "unit_cost": 1250}).json["id"]
    boiler = call("POST", "/stock/items", body={"kind": "equipment", "make": "Viessmann", "model": "Vitodens", "unit_cost": 150000}).json
    receipts = [
        {"item_id": pump, "quantity": 10, "to_location": f"vehicle:{van}"},
        {"item_id": boiler["id"], "serial": "NEW-1", "to_location": f"vehicle:{van}"},
        {"item_id": boiler["id"], "serial": "OLD-9", "to_location": f"contact:{site}"},
    ]
    for receipt in receipts:
        assert call("POST", "/stock/movements", body={**receipt, "reason": "purchase_receipt"}).status == 201
    return {"aws": aws, "site": site, "type": job_type, "van": van, "pump": pump, "boiler": boiler}


def completed_job(world, parts: list[dict]) -> tuple[str, list[dict]]:
    """A job at the site with these parts, worked 60 minutes and completed; its parts as posted."""
    body = {"contact_id": world["site"], "job_type_id": world["type"], "resource_id": TECH, "vehicle_id": world["van"], **PLAN}
    job_id = call("POST", "/jobs", body=body).json["id"]
    for part in parts:
        assert call("POST", f"/jobs/{job_id}/parts", body=part).status == 201
    for version, status in ((1, "in_progress"), (2, "completed")):
        change = {"status": status, **({"labour": [{"resource_id": TECH, "minutes": 60}]} if status == "completed" else {})}
        moved = call("POST", f"/jobs/{job_id}/status", role="resource", body=change, headers={"If-Match": f'"{version}"'})
        assert moved.status == 200, moved.body
    deliver(world["aws"])  # JobCompleted: the stock function posts the parts
    return job_id, call("GET", f"/jobs/{job_id}/parts").json["items"]


def test_a_jobs_parts_cost_is_what_it_used_less_what_came_back(world):
    fitted, _ = completed_job(
        world,
        [
            {"kind": "used", "item_id": world["pump"], "quantity": 2},  # 2 x 12.50
            {"kind": "installed", "item_id": world["boiler"]["id"], "serial": "NEW-1"},  # 1,500.00
            {"kind": "removed", "item_id": world["boiler"]["id"], "serial": "OLD-9"},  # the customer's old one: no cost
        ],
    )
    returned, parts = completed_job(
        world, [{"kind": "used", "item_id": world["pump"], "quantity": 1}, {"kind": "used", "item_id": world["pump"], "quantity": 3}]
    )
    # The pump costs more from now on: what the job used stays at the cost price of then.
    assert call("PATCH", f"/stock/items/{world['pump']}", body={"unit_cost": 2000}, headers={"If-Match": '"1"'}).status == 200
    three = next(p for p in parts if p["quantity"] == 3)
    back = call("POST", "/stock/reversals", body={"movement_id": three["movement_id"], "note": "not needed"})
    assert back.status == 201, back.body

    tab = call("GET", f"/contacts/{world['site']}/financial")
    assert tab.status == 200, tab.body
    rows = {row["job_id"]: row for row in tab.json["jobs"]}
    assert rows[fitted]["parts_cost"] == 2 * 1250 + 150000
    assert rows[returned]["parts_cost"] == 1250  # 4 used, 3 returned
    for row in rows.values():
        assert row["costs"] == row["labour_cost"] + row["mileage_cost"] + row["parts_cost"] and row["labour_cost"] == 3000
        assert row["margin"] == row["revenue"] - row["costs"]
    (month,) = tab.json["months"]
    assert (month["jobs"], month["parts_cost"], month["costs"]) == (2, 152500 + 1250, 6000 + 152500 + 1250)
    assert tab.json["totals"]["parts_cost"] == 153750 and tab.json["totals"]["margin"] == -(6000 + 153750)


def test_a_job_without_parts_costs_only_its_labour(world):
    job_id, _ = completed_job(world, [])
    (row,) = call("GET", f"/contacts/{world['site']}/financial").json["jobs"]
    assert (row["job_id"], row["parts_cost"], row["costs"]) == (job_id, 0, 3000)
