"""Invoicing a completed job in one call (POST /jobs/{job_id}/invoice): one invoice for the account
billed with the job's lines, the job marked invoiced in the same transaction (a second call is a
409 naming the invoice), the job's tax naming a finance tax rate, and bad cases storing nothing;
then the contact's financial tab: revenue, costs and margin per month and per job, its documents."""

from __future__ import annotations

import pytest

from tests.support.finance import LINE, setup_finance
from tests.support.lambdas import call, claims

TECH = claims("t1", "resource")["sub"]
PLAN = {"planned_start": "2030-01-07T09:00:00Z", "planned_end": "2030-01-07T10:00:00Z"}
LINES = [
    {"description": "Boiler service", "quantity": "1", "unit_price": 9000, "tax_rate": "20"},
    {"description": "Gasket", "quantity": "2.5", "unit_price": 333, "tax_rate_id": "S5", "nominal_code": "4000"},
]


@pytest.fixture
def world(aws):
    found = setup_finance()
    found["type"] = call("POST", "/job-types", role="admin", body={"name": "Boiler service"}).json["id"]
    call("POST", "/resources", role="admin", body={"user_id": TECH, "name": "Ann", "cost_rate": 3000})
    found["van"] = call("POST", "/vehicles", role="admin", body={"name": "Van 1", "mileage_rate": 45}).json["id"]
    return found


def job(world, lines=LINES, completed=True, **completion) -> dict:
    body = {"contact_id": world["site"], "job_type_id": world["type"], "resource_id": TECH, "charges": lines, **PLAN}
    made = call("POST", "/jobs", body=body)
    assert made.status == 201, made.body
    for status in ("in_progress", "completed") if completed else ():
        version = call("GET", f"/jobs/{made.json['id']}").json["version"]
        change = {"status": status, **(completion if status == "completed" else {})}
        moved = call("POST", f"/jobs/{made.json['id']}/status", role="resource", body=change, headers={"If-Match": f'"{version}"'})
        assert moved.status == 200, moved.body
    return made.json


def invoice(job_id, **body):
    return call("POST", f"/jobs/{job_id}/invoice", body=body)


def test_a_completed_job_becomes_one_draft_invoice_of_its_lines_for_the_account_billed(world):
    done = job(world)
    reply = invoice(done["id"])
    assert reply.status == 201, reply.body
    document = reply.json
    assert reply.headers["location"] == f"/documents/{document['id']}"
    assert (document["type"], document["status"], document["contact_id"]) == ("invoice", "draft", world["customer"])
    assert document["delivery_site_id"] == world["site"] and document["origin"] == {"kind": "job", "id": done["id"]}
    assert [(line["description"], line["tax_rate"], line["net"]) for line in document["lines"]] == [
        ("Boiler service", "S20", 9000),
        ("Gasket", "S5", 833),  # 832.5 half up
    ]
    assert document["lines"][1]["nominal_code"] == "4000" and document["gross"] == 9000 + 1800 + 833 + 46
    assert call("GET", f"/jobs/{done['id']}/costs").json["invoice_id"] == document["id"]
    listed = call("GET", "/documents", query={"origin_kind": "job", "origin_id": done["id"]}).json["items"]
    assert [d["id"] for d in listed] == [document["id"]]


def test_a_job_is_invoiced_once_the_second_call_names_the_invoice(world):
    done = job(world)
    first = invoice(done["id"], issue=True)
    assert first.status == 201 and first.json["status"] == "issued" and first.json["number"] == "INV-000001"
    again = invoice(done["id"])
    assert again.status == 409 and first.json["id"] in again.json["detail"]
    assert [e["field"] for e in again.json["errors"]] == ["job_id"]
    assert len(call("GET", "/documents", query={"contact_id": world["customer"]}).json["items"]) == 1


def test_deleting_the_jobs_draft_invoice_frees_the_job_to_be_invoiced_again(world):
    done = job(world)
    draft = invoice(done["id"]).json
    assert call("DELETE", f"/documents/{draft['id']}", headers={"If-Match": '"1"'}).status == 204
    assert call("GET", f"/jobs/{done['id']}/costs").json["invoice_id"] is None
    again = invoice(done["id"])
    assert again.status == 201 and again.json["id"] != draft["id"]


def test_the_same_idempotency_key_answers_the_invoice_made(world):
    done = job(world)
    key = {"Idempotency-Key": "invoice-job-1"}
    first = call("POST", f"/jobs/{done['id']}/invoice", body={}, headers=key)
    replay = call("POST", f"/jobs/{done['id']}/invoice", body={}, headers=key)
    assert first.status == replay.status == 201 and replay.json["id"] == first.json["id"]


def test_a_job_not_completed_is_a_409_and_no_invoice(world):
    open_job = job(world, completed=False)
    reply = invoice(open_job["id"])
    assert reply.status == 409 and "scheduled" in reply.json["detail"]
    assert call("GET", "/documents", query={"contact_id": world["customer"]}).json["items"] == []
    assert invoice("01J00000000000000000000000").status == 404


def test_a_tax_no_finance_rate_names_is_a_422_naming_the_line_and_stores_nothing(world):
    lines = [
        {"description": "Boiler service", "quantity": "1", "unit_price": 9000, "tax_rate": "19.6"},
        {"description": "Gasket", "quantity": "1", "unit_price": 300, "tax_rate_id": "S20"},
        {"description": "Filter", "quantity": "1", "unit_price": 300, "tax_rate_id": "OLD7"},
    ]
    done = job(world, lines)
    reply = invoice(done["id"], issue=True)
    assert reply.status == 422
    assert {e["field"] for e in reply.json["errors"]} == {"lines.0.tax_rate", "lines.2.tax_rate_id"}
    assert any("Filter" in e["message"] for e in reply.json["errors"])
    assert call("GET", "/documents", query={"contact_id": world["customer"]}).json["items"] == []
    assert call("GET", f"/jobs/{done['id']}/costs").json["invoice_id"] is None


def test_the_financial_tab_sums_revenue_costs_and_margin_per_month_and_job(world):
    done = job(world, labour=[{"resource_id": TECH, "minutes": 90}], mileage=[{"vehicle_id": world["van"], "km": "20"}])
    invoiced = invoice(done["id"], issue=True).json  # net 9,833, gross 11,679
    other = call("POST", "/documents", body={"type": "invoice", "contact_id": world["customer"], "lines": [LINE]}).json
    other = call("POST", f"/documents/{other['id']}/issue", headers={"If-Match": '"1"'}).json  # net 12,000, no job
    tab = call("GET", f"/contacts/{world['customer']}/financial", query={"include_children": "true"})
    assert tab.status == 200, tab.body
    (month,) = tab.json["months"]
    assert (month["jobs"], month["charges"], month["labour_cost"], month["mileage_cost"]) == (1, 9833, 4500, 900)
    assert (month["revenue"], month["costs"], month["margin"]) == (21833, 5400, 16433)
    (row,) = tab.json["jobs"]
    assert (row["job_id"], row["revenue"], row["costs"], row["margin"]) == (done["id"], 9833, 5400, 4433)
    assert tab.json["totals"]["margin"] == 16433
    due = invoiced["gross"] + other["gross"]
    assert tab.json["documents"] == {"balance": due, "unpaid": due, "unpaid_invoices": 2, "overdue": 0, "overdue_invoices": 0}
    alone = call("GET", f"/contacts/{world['customer']}/financial").json  # the job was at its site
    assert alone["jobs"] == [] and alone["totals"]["revenue"] == 21833 and alone["totals"]["costs"] == 0


def test_the_financial_tab_refuses_a_bad_period_and_other_tenants(world):
    reply = call("GET", f"/contacts/{world['customer']}/financial", query={"since": "2026-05-01", "until": "2026-04-30"})
    assert reply.status == 422 and [e["field"] for e in reply.json["errors"]] == ["until"]
    reply = call("GET", f"/contacts/{world['customer']}/financial", query={"since": "2020-01-01", "until": "2026-04-30"})
    assert reply.status == 422 and [e["field"] for e in reply.json["errors"]] == ["since"]
    assert call("GET", f"/contacts/{world['customer']}/financial", tenant="t2").status == 404


def test_issuing_at_once_needs_the_invoices_required_custom_fields_and_stores_nothing_without(world):
    required = {"document_fields": {"invoice": [{"key": "po", "label": "Order", "type": "text", "required": True}]}}
    assert call("PATCH", "/finance/settings", role="admin", body=required, headers={"If-Match": '"1"'}).status == 200
    done = job(world)
    reply = invoice(done["id"], issue=True)
    assert reply.status == 422 and [e["field"] for e in reply.json["errors"]] == ["custom_fields.po"]
    assert call("GET", "/documents", query={"contact_id": world["customer"]}).json["items"] == []
    assert invoice(done["id"]).status == 201  # a draft, to answer the field on before issuing it
