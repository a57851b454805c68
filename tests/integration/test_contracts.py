"""Contracts through the finance handler: created with their terms and links checked (every bad
field named, nothing stored), read with their periods, edited with If-Match (terms only while a
draft), moved through their statuses, deleted only as drafts; their planned jobs and invoices."""

from __future__ import annotations

import pytest

from crm.contacts import attachments
from tests.support.finance import setup_finance
from tests.support.lambdas import call

TERMS = {"start_date": "2027-01-01", "end_date": "2029-12-31", "total_value": 7_000_000, "tax_rate": "S20", "nominal_code": "4000"}


@pytest.fixture
def world(aws):
    return setup_finance()


def contract(world, **fields):
    reply = call("POST", "/contracts", body={**TERMS, "contact_id": world["customer"], "reference": "MAINT-1", **fields})
    assert reply.status == 201, reply.body
    return reply.json


def test_a_contract_spreads_its_total_value_exactly_and_reads_back_with_its_etag(world):
    created = contract(world, deposit=50_000)
    assert created["status"] == "draft" and created["currency"] == "EUR" and created["next_period"] == 0
    periods = created["periods"]
    assert len(periods) == 36 and periods[0]["amount"] == 194_444 and periods[-1]["amount"] == 194_460
    assert periods[0]["deposit"] == 50_000 and all(p["deposit"] == 0 for p in periods[1:])
    assert sum(p["amount"] for p in periods) == 7_000_000
    read = call("GET", f"/contracts/{created['id']}")
    assert read.status == 200 and read.headers["etag"] == '"1"' and read.json["periods"] == periods
    listed = call("GET", "/contracts", query={"contact_id": world["customer"]}).json["items"]
    assert [c["id"] for c in listed] == [created["id"]]


def test_every_bad_field_is_named_and_nothing_is_stored(world):
    body = {
        **TERMS,
        "contact_id": world["customer"],
        "end_date": "2026-12-31",
        "tax_rate": "NOPE",
        "nominal_code": "9999",
        "job_ids": ["01J0000000000000000000000Z"],
        "covered": [{"item_id": "01J0000000000000000000000Z"}],
        "attachment_ids": ["01J0000000000000000000000Z"],
    }
    reply = call("POST", "/contracts", body=body)
    assert reply.status == 422, reply.body
    fields = {e["field"] for e in reply.json["errors"]}
    assert fields == {"end_date", "tax_rate", "nominal_code", "job_ids.0", "covered.0.item_id", "attachment_ids.0"}
    both = call("POST", "/contracts", body={**TERMS, "instalment": 100, "contact_id": world["customer"]})
    assert both.status == 422 and [e["field"] for e in both.json["errors"]] == ["instalment"]
    unknown = call("POST", "/contracts", body={**TERMS, "contact_id": world["customer"], "colour": "red"})
    assert unknown.status == 422 and unknown.json["errors"][0]["field"] == "colour"
    assert call("GET", "/contracts").json["items"] == []


def test_scans_jobs_and_covered_stock_are_linked_by_reference_through_their_contexts(world):
    attachments.file("t1", world["customer"], "01JSCAN0000000000000000000", "other", "contrat.pdf", "application/pdf", b"%PDF-1.7")
    job_type = call("POST", "/job-types", role="admin", body={"name": "Service", "duration_minutes": 60}).json["id"]
    job = call("POST", "/jobs", body={"contact_id": world["site"], "job_type_id": job_type}).json
    elsewhere = call("POST", "/jobs", body={"contact_id": world["other"], "job_type_id": job_type}).json
    item = call("POST", "/stock/items", body={"kind": "stock", "make": "Grundfos", "model": "Alpha2"}).json
    links = {
        "attachment_ids": ["01JSCAN0000000000000000000"],
        "job_ids": [job["id"]],
        "covered": [{"item_id": item["id"], "quantity": "2"}],
    }
    created = contract(world, **links)
    assert {k: created[k] for k in links} == links | {"covered": [{"item_id": item["id"], "serial": None, "quantity": "2"}]}
    jobs = call("GET", f"/contracts/{created['id']}/jobs").json["items"]
    assert [j["id"] for j in jobs] == [job["id"]]
    patch = call("PATCH", f"/contracts/{created['id']}", body={"job_ids": [elsewhere["id"]]}, headers={"If-Match": '"1"'})
    assert patch.status == 422 and patch.json["errors"][0]["field"] == "job_ids.0"  # another customer's job
    serial = call(
        "PATCH", f"/contracts/{created['id']}", body={"covered": [{"item_id": item["id"], "serial": "X1"}]}, headers={"If-Match": '"1"'}
    )
    assert serial.status == 422 and serial.json["errors"][0]["field"] == "covered.0.serial"


def test_edits_need_if_match_and_the_terms_change_only_while_a_draft(world):
    created = contract(world)
    path = f"/contracts/{created['id']}"
    assert call("PATCH", path, body={"reference": "X"}).status == 428
    assert call("PATCH", path, body={"reference": "X"}, headers={"If-Match": '"7"'}).status == 412
    edited = call("PATCH", path, body={"instalment": 10_000}, headers={"If-Match": '"1"'})
    assert edited.status == 200 and edited.json["instalment"] == 10_000 and edited.json["total_value"] is None
    active = call("POST", f"{path}/status", body={"status": "active"}, headers={"If-Match": '"2"'})
    assert active.status == 200 and active.json["next_billing_date"] == "2027-01-01"
    assert call("PATCH", path, body={"end_date": "2030-12-31"}, headers={"If-Match": '"3"'}).status == 409
    assert call("PATCH", path, body={"reference": "MAINT-2"}, headers={"If-Match": '"3"'}).json["reference"] == "MAINT-2"
    assert call("DELETE", path, headers={"If-Match": '"4"'}).status == 409  # only a draft is deleted
    ended = call("POST", f"{path}/status", body={"status": "ended"}, headers={"If-Match": '"4"'})
    assert ended.status == 200 and ended.json["next_billing_date"] is None
    assert call("POST", f"{path}/status", body={"status": "active"}, headers={"If-Match": '"5"'}).status == 409


def test_a_contact_with_a_contract_is_not_deleted_and_a_draft_deleted_frees_it(world):
    created = contract(world)
    version = call("GET", f"/contacts/{world['customer']}").json["version"]
    # It has persons too: the refusal names the contract among what is filed under it.
    refused = call("DELETE", f"/contacts/{world['customer']}", headers={"If-Match": f'"{version}"'})
    assert refused.status == 409 and "1 contract" in refused.json["detail"]
    assert call("DELETE", f"/contracts/{created['id']}", headers={"If-Match": '"1"'}).status == 204
    assert call("GET", f"/contracts/{created['id']}").status == 404
