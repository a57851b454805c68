"""A job's money through the handlers and the service calls finance uses: rates on resources and
vehicles, chargeable lines, labour and mileage at completion, the job's costs, a contact's totals
per job and month (with its child sites), and invoicing a job once."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta

import pytest

from crm.jobs import charges, service
from crm.jobs.models import StatusChange
from crm.platform import clock, dynamo
from crm.platform.auth import Principal
from crm.platform.errors import Conflict, Invalid, NotFound
from tests.support.lambdas import call, claims

TECH = claims("t1", "resource")["sub"]
OFFICE = Principal(tenant="t1", role="office", user_id="o", email="office@t1.example")
NO_VAN = "01J0000000000000000000000V"
PLAN = {"planned_start": "2030-01-07T09:00:00Z", "planned_end": "2030-01-07T10:00:00Z"}
LINES = [
    {"description": "Boiler service", "quantity": "1", "unit_price": 9000, "tax_rate": "20"},
    {"description": "Gasket", "quantity": "2.5", "unit_price": 333, "tax_rate_id": "S20", "nominal_code": "4000"},
]  # nets 9000 and 832.5 -> 833 (half up): 9833


@pytest.fixture
def site(aws):
    group = call("POST", "/contact-groups", role="admin", body={"name": "Customers"}).json["id"]
    parent = call("POST", "/contacts", body={"name": "ABC Holdings", "group_id": group}).json
    contact = call("POST", "/contacts", body={"name": "ABC Paris", "group_id": group, "parent_id": parent["id"]}).json
    job_type = call("POST", "/job-types", role="admin", body={"name": "Boiler service"}).json
    tech = call("POST", "/resources", role="admin", body={"user_id": TECH, "name": "Ann", "cost_rate": 3000}).json
    helper = call("POST", "/resources", role="admin", body={"user_id": "helper", "name": "Bob", "cost_rate": 2000}).json
    van = call("POST", "/vehicles", role="admin", body={"name": "Van 1", "mileage_rate": 45}).json
    return {
        "parent": parent["id"],
        "contact": contact["id"],
        "type": job_type["id"],
        "tech": tech["id"],
        "helper": helper["id"],
        "van": van["id"],
    }


def new_job(site, contact=None, **body):
    reply = call(
        "POST",
        "/jobs",
        body={"contact_id": contact or site["contact"], "job_type_id": site["type"], "resource_id": site["tech"], **PLAN, **body},
    )
    assert reply.status == 201, reply.body
    return reply.json


def move(job_id, status, role="resource", **body):
    version = call("GET", f"/jobs/{job_id}").json["version"]
    return call("POST", f"/jobs/{job_id}/status", role=role, body={"status": status, **body}, headers={"If-Match": f'"{version}"'})


def complete(job_id, **body):
    assert move(job_id, "in_progress").status == 200
    return move(job_id, "completed", **body)


def at(monkeypatch, moment: datetime):
    monkeypatch.setattr(clock, "now", lambda: moment)


# ---------------------------------------------------------------- rates


def test_rates_are_the_admins_and_refuse_negative_or_absurd_values(site):
    assert call("GET", f"/resources/{TECH}").json["cost_rate"] == 3000
    assert call("GET", f"/vehicles/{site['van']}").json["mileage_rate"] == 45
    changed = call("PATCH", f"/resources/{TECH}", role="admin", body={"cost_rate": 3500}, headers={"If-Match": '"1"'})
    assert changed.status == 200 and changed.json["cost_rate"] == 3500
    assert call("PATCH", f"/resources/{TECH}", role="office", body={"cost_rate": 1}, headers={"If-Match": '"2"'}).status == 403
    bad = call("PATCH", f"/vehicles/{site['van']}", role="admin", body={"mileage_rate": -1}, headers={"If-Match": '"1"'})
    assert bad.status == 422 and [e["field"] for e in bad.json["errors"]] == ["mileage_rate"]
    bad = call("POST", "/resources", role="admin", body={"user_id": "x", "name": "X", "cost_rate": 10**9})
    assert bad.status == 422 and [e["field"] for e in bad.json["errors"]] == ["cost_rate"]
    assert call("GET", "/resources/x").status == 404  # nothing stored


# ---------------------------------------------------------------- chargeable lines


def test_lines_are_priced_half_up_and_replaced_with_if_match(site):
    job = new_job(site)
    assert call("GET", f"/jobs/{job['id']}/charges").json["lines"] == []
    put = call("PUT", f"/jobs/{job['id']}/charges", body={"lines": LINES}, headers={"If-Match": '"1"'})
    assert put.status == 200, put.body
    assert [line["net"] for line in put.json["lines"]] == [9000, 833] and put.json["total"] == 9833
    assert put.json["currency"] == "EUR" and put.headers["etag"] == '"2"'
    read = call("GET", f"/jobs/{job['id']}/charges")
    assert read.json == put.json and read.headers["etag"] == '"2"'
    assert call("PUT", f"/jobs/{job['id']}/charges", body={"lines": []}, headers={"If-Match": '"1"'}).status == 412
    assert call("PUT", f"/jobs/{job['id']}/charges", body={"lines": []}).status == 428
    assert call("GET", f"/jobs/{job['id']}").json["version"] == 2  # the job's version moved with its lines


def test_bad_lines_name_every_field_and_store_nothing(site):
    job = new_job(site)
    lines = [
        {"description": "Both taxes", "quantity": "1", "unit_price": 100, "tax_rate": "20", "tax_rate_id": "S20"},
        {"description": "Four places", "quantity": "1.2345", "unit_price": 100, "tax_rate": "20"},
        {"description": "Negative", "quantity": "1", "unit_price": -5, "tax_rate": "120"},
        {"description": "Zero", "quantity": "0", "unit_price": 5, "tax_rate": "5.5", "colour": "red"},
    ]
    bad = call("PUT", f"/jobs/{job['id']}/charges", body={"lines": lines}, headers={"If-Match": '"1"'})
    assert bad.status == 422
    fields = {e["field"] for e in bad.json["errors"]}
    expected = {"lines.0", "lines.1.quantity", "lines.2.unit_price", "lines.2.tax_rate", "lines.3.quantity", "lines.3.colour"}
    assert expected <= fields, fields
    assert call("GET", f"/jobs/{job['id']}/charges").json["lines"] == []


def test_a_job_is_created_with_its_lines_and_they_are_final_once_completed(site):
    job = new_job(site, charges=LINES)
    assert call("GET", f"/jobs/{job['id']}/charges").json["total"] == 9833
    made = service.create_job(OFFICE, {"contact_id": site["contact"], "job_type_id": site["type"], "charges": LINES[:1]})
    assert charges.chargeable("t1", made["id"])["total"] == 9000
    assert complete(job["id"], labour=[{"resource_id": TECH, "minutes": 30}]).status == 200
    version = call("GET", f"/jobs/{job['id']}").json["version"]
    final = call("PUT", f"/jobs/{job['id']}/charges", body={"lines": []}, headers={"If-Match": f'"{version}"'})
    assert final.status == 409 and call("GET", f"/jobs/{job['id']}/charges").json["total"] == 9833


def test_resources_and_customers_see_no_money(site):
    job = new_job(site, charges=LINES)
    for path in (f"/jobs/{job['id']}/charges", f"/jobs/{job['id']}/costs"):
        assert call("GET", path, role="resource").status == 403
    tablet = call("GET", f"/jobs/{job['id']}", role="resource").json
    assert "charges" not in tablet and "money" not in tablet


# ---------------------------------------------------------------- completion and costs


def test_completion_records_labour_mileage_and_the_money(site):
    job = new_job(site, charges=LINES, vehicle_id=site["van"])
    done = complete(
        job["id"],
        labour=[{"resource_id": TECH, "minutes": 95}, {"resource_id": "helper", "minutes": 20}],
        mileage=[{"vehicle_id": site["van"], "km": "42.5"}],
    )
    assert done.status == 200, done.body
    costs = call("GET", f"/jobs/{job['id']}/costs").json
    # 95/60 x 30.00 = 47.50; 20/60 x 20.00 = 6.666.. -> 6.67; 42.5 km x 0.45 = 19.125 -> 19.13
    assert [e["cost"] for e in costs["labour"]] == [4750, 667] and [e["cost"] for e in costs["mileage"]] == [1913]
    assert costs["labour_cost"] == 5417 and costs["mileage_cost"] == 1913 and costs["costs"] == 7330
    assert costs["charges"] == 9833 and costs["margin"] == 2503 and costs["completed"] is True
    assert costs["summary"] == "Charges €98.33, costs €73.30 (labour €54.17, mileage €19.13), margin €25.03"
    # Rates changed later do not change a completed job's costs.
    call("PATCH", f"/resources/{TECH}", role="admin", body={"cost_rate": 9999}, headers={"If-Match": '"1"'})
    assert call("GET", f"/jobs/{job['id']}/costs").json["labour_cost"] == 5417


def test_costs_are_read_in_the_readers_language(site):
    assert call("PATCH", "/settings", role="admin", body={"locale": "fr-FR"}, headers={"If-Match": '"0"'}).status == 200
    job = new_job(site, charges=LINES)
    summary = call("GET", f"/jobs/{job['id']}/costs").json["summary"]
    assert (
        summary.replace("\u202f", " ").replace("\xa0", " ")
        == "Facturé 98,33 €, coûts 0,00 € (main-d’œuvre 0,00 €, kilométrage 0,00 €), marge 98,33 €"
    )


def test_labour_comes_from_the_tablets_start_and_stop_when_not_entered(site, monkeypatch):
    job = new_job(site)
    start = datetime(2030, 1, 7, 9, 0, tzinfo=UTC)
    for minutes, status in ((0, "in_progress"), (50, "paused"), (70, "in_progress"), (100, "completed")):
        at(monkeypatch, start + timedelta(minutes=minutes, seconds=20))
        assert move(job["id"], status).status == 200
    costs = call("GET", f"/jobs/{job['id']}/costs").json
    assert costs["labour"] == [{"resource_id": TECH, "minutes": 80, "cost_rate": 3000, "cost": 4000, "from_log": True}]


def test_malformed_labour_or_mileage_refuses_the_completion(site):
    job = new_job(site)
    assert move(job["id"], "in_progress").status == 200
    bad = move(
        job["id"],
        "completed",
        labour=[{"resource_id": "nobody", "minutes": 10}, {"resource_id": TECH, "minutes": -5}],
        mileage=[{"vehicle_id": site["van"], "km": "1.25"}],
    )
    assert bad.status == 422
    assert {e["field"] for e in bad.json["errors"]} == {"labour.1.minutes", "mileage.0.km"}
    unknown = move(job["id"], "completed", labour=[{"resource_id": "nobody", "minutes": 10}], mileage=[{"vehicle_id": NO_VAN, "km": "3"}])
    assert unknown.status == 422 and {e["field"] for e in unknown.json["errors"]} == {"labour.0.resource_id", "mileage.0.vehicle_id"}
    twice = move(job["id"], "completed", mileage=[{"vehicle_id": site["van"], "km": "3"}, {"vehicle_id": site["van"], "km": "4"}])
    assert twice.status == 422 and [e["field"] for e in twice.json["errors"]] == ["mileage.1.vehicle_id"]
    early = move(job["id"], "paused", labour=[{"resource_id": TECH, "minutes": 10}])
    assert early.status == 422 and [e["field"] for e in early.json["errors"]] == ["labour"]
    assert call("GET", f"/jobs/{job['id']}").json["status"] == "in_progress"  # nothing stored


# ---------------------------------------------------------------- a contact's money per period


def test_summaries_count_a_job_once_per_site_and_in_its_parent(site, monkeypatch):
    at(monkeypatch, datetime(2030, 1, 31, 23, 30, tzinfo=UTC))  # 1 February in Paris: the account's zone
    call("PATCH", "/settings", role="admin", body={"time_zone": "Europe/Paris"}, headers={"If-Match": '"0"'})
    child_job = new_job(site, charges=LINES)
    assert complete(child_job["id"], labour=[{"resource_id": TECH, "minutes": 60}]).status == 200
    # The same completion again: refused, and nothing counted twice.
    again = call("POST", f"/jobs/{child_job['id']}/status", role="office", body={"status": "completed"}, headers={"If-Match": '"3"'})
    assert again.status in (409, 412)
    parent_job = new_job(site, contact=site["parent"], charges=LINES[:1])
    assert complete(parent_job["id"]).status == 200

    jan, dec = date(2030, 1, 1), date(2030, 12, 31)
    own = charges.job_money("t1", site["parent"], jan, dec, include_children=False)
    family = charges.job_money("t1", site["parent"], jan, dec, include_children=True)
    child = charges.job_money("t1", site["contact"], jan, dec, include_children=False)
    assert [j["job_id"] for j in own["jobs"]] == [parent_job["id"]]
    assert sorted(j["job_id"] for j in family["jobs"]) == sorted([child_job["id"], parent_job["id"]])
    assert [j["job_id"] for j in child["jobs"]] == [child_job["id"]]
    assert family["months"] == [
        {"month": "2030-02", "jobs": 2, "charges": 18833, "labour_cost": 3000, "mileage_cost": 0, "costs": 3000, "margin": 15833}
    ]
    assert family["totals"]["charges"] == 18833 and family["totals"]["jobs"] == 2 and child["totals"]["charges"] == 9833
    assert charges.job_money("t1", site["parent"], jan, jan, include_children=True)["jobs"] == []  # February is outside January
    with pytest.raises(Invalid):
        charges.job_money("t1", site["parent"], dec, jan, include_children=True)
    with pytest.raises(NotFound):
        charges.job_money("t2", site["parent"], jan, dec, include_children=True)


def test_concurrent_completions_add_up_in_the_shared_month(site, atomic_dynamodb):
    jobs = [new_job(site, charges=LINES[:1]) for _ in range(6)]
    for job in jobs:
        assert move(job["id"], "in_progress").status == 200
    start, errors = threading.Barrier(len(jobs)), []
    tech = Principal(tenant="t1", role="resource", user_id=TECH, email="resource@t1.example")

    def worker(job_id):
        start.wait()
        try:
            service.change_status(tech, job_id, StatusChange(status="completed", labour=[{"resource_id": TECH, "minutes": 10}]), 2)
        except Exception as e:
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(j["id"],)) for j in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    month = clock.now().strftime("%Y-%m")
    for contact in (site["contact"], site["parent"]):
        totals = charges.job_money("t1", contact, date.today().replace(day=1), date.today(), include_children=True)["totals"]
        assert totals["jobs"] == 6 and totals["charges"] == 6 * 9000 and totals["labour_cost"] == 6 * 500, month


def test_a_transaction_conflict_on_the_month_totals_is_tried_again(site, monkeypatch):
    from botocore.exceptions import ClientError

    job = new_job(site, charges=LINES[:1])
    assert move(job["id"], "in_progress").status == 200
    real, failures = dynamo.transact, []

    def conflicting_once(operations, token=None):
        if not failures:
            failures.append(1)
            reasons = [{"Code": "None"}, {"Code": "TransactionConflict"}]
            raise ClientError({"Error": {"Code": "TransactionCanceledException"}, "CancellationReasons": reasons}, "TransactWriteItems")
        return real(operations, token)

    monkeypatch.setattr(dynamo, "transact", conflicting_once)
    assert move(job["id"], "completed").status == 200 and failures == [1]
    today = date.today()
    assert charges.job_money("t1", site["contact"], today, today, include_children=False)["totals"]["charges"] == 9000


# ---------------------------------------------------------------- invoicing a job once


def test_a_completed_job_is_invoiced_once(site):
    job = new_job(site, charges=LINES)
    with pytest.raises(Conflict):  # not completed yet
        charges.mark_invoiced("t1", job["id"], "INVOICE-A")
    assert complete(job["id"]).status == 200
    found = charges.chargeable("t1", job["id"])
    assert found["contact_id"] == site["contact"] and found["parent_id"] == site["parent"] and found["completed"]
    assert [line["net"] for line in found["lines"]] == [9000, 833] and found["lines"][1]["nominal_code"] == "4000"
    first = charges.mark_invoiced("t1", job["id"], "INVOICE-A")
    racing = charges.mark_invoiced("t1", job["id"], "INVOICE-B")  # read before the first committed
    dynamo.transact_explained(first)
    with pytest.raises(Conflict):
        dynamo.transact_explained(racing)
    with pytest.raises(Conflict) as again:
        charges.mark_invoiced("t1", job["id"], "INVOICE-C")
    assert "INVOICE-A" in str(again.value)
    assert call("GET", f"/jobs/{job['id']}/costs").json["invoice_id"] == "INVOICE-A"
    with pytest.raises(NotFound):
        charges.chargeable("t2", job["id"])
