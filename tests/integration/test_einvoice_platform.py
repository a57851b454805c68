"""Issued invoices through the e-invoicing platform port (the local adapter): submission of the
stored file, the lifecycle read back with its times and reasons, "paid" reported once for a
services invoice, B2C refused a platform, and the monthly e-reporting file."""

from __future__ import annotations

import csv
import io

import pytest
import requests

from crm.platform import settings
from tests.support.einvoice_world import refresh, setup_einvoicing, submit
from tests.support.finance import draft, issued
from tests.support.lambdas import call


@pytest.fixture
def world(aws):
    return setup_einvoicing()


def _deposited(aws_s3, document: dict) -> bytes:
    prefix = f"platform/t/t1/sent/{document['id']}/"
    return aws_s3.get_object(Bucket=settings.documents_bucket(), Key=prefix + f"{document['number']}.pdf")["Body"].read()


def test_an_issued_b2b_invoice_goes_to_the_platform_as_stored_and_its_statuses_come_back(world, aws):
    import boto3

    invoice = issued(world["b2b"])
    sent = submit(invoice["id"])
    assert sent.status == 200, sent.body
    assert sent.json["status"] == "submitted" and sent.json["number"] == invoice["number"] and sent.json["submitted_at"]
    stored = call("GET", f"/documents/{invoice['id']}").json["pdf"]
    s3 = boto3.client("s3")
    kept = s3.get_object(Bucket=settings.documents_bucket(), Key=stored["key"])["Body"].read()
    assert _deposited(s3, invoice) == kept  # the issued file, byte for byte

    approved = refresh(invoice["id"])
    assert approved.status == 200
    assert approved.json["status"] == "approved" and approved.json["approved_at"] >= approved.json["submitted_at"]
    again = refresh(invoice["id"]).json
    assert again == approved.json  # polling again changes nothing (same version, same times)
    assert call("GET", f"/documents/{invoice['id']}/platform").json == approved.json


@pytest.mark.parametrize(
    ("customer", "status", "reason"),
    [
        ("rejected", "rejected", "the buyer is not registered in the e-invoicing directory"),
        ("refused", "refused", "the invoice names no purchase order of the buyer"),
    ],
)
def test_a_rejected_or_refused_invoice_keeps_the_reason_and_its_time(world, customer, status, reason):
    invoice = issued(world[customer])
    assert submit(invoice["id"]).status == 200
    answer = refresh(invoice["id"]).json
    assert answer["status"] == status and answer[f"{status}_reason"] == reason and answer[f"{status}_at"]
    assert answer.get("approved_at") is None


def test_what_goes_to_no_platform_is_a_409_saying_why_and_nothing_is_submitted(world):
    b2c = issued(world["b2c"])
    refused = submit(b2c["id"])
    assert refused.status == 409 and "B2C" in refused.json["detail"] and "e-report" in refused.json["detail"]
    assert call("GET", f"/documents/{b2c['id']}/platform").status == 404
    assert submit(draft(world["b2b"])["id"]).status == 409  # a draft: issue it first
    assert submit(issued(world["b2b"], "quote")["id"]).status == 409  # a quote goes nowhere
    invoice = issued(world["b2b"])
    assert submit(invoice["id"]).status == 200
    twice = submit(invoice["id"])
    assert twice.status == 409 and "already submitted" in twice.json["detail"]
    assert submit(invoice["id"], tenant="t2").status == 404  # another tenant's: as missing
    assert refresh(invoice["id"], tenant="t2").status == 404


def test_full_payment_of_a_services_invoice_is_reported_paid_once(world):
    invoice = issued(world["b2b"])
    submit(invoice["id"])
    refresh(invoice["id"])
    half = invoice["gross"] // 2
    call("POST", f"/documents/{invoice['id']}/payments", body={"amount": half, "date": "2026-12-01", "method": "bank_transfer"})
    assert call("GET", f"/documents/{invoice['id']}/platform").json["status"] == "approved"  # part paid: nothing reported
    rest = {"amount": invoice["gross"] - half, "date": "2026-12-02", "method": "bank_transfer"}
    assert call("POST", f"/documents/{invoice['id']}/payments", body=rest).status == 201
    paid = call("GET", f"/documents/{invoice['id']}/platform").json
    assert paid["status"] == "paid" and paid["paid_at"] and paid["paid_reported_at"] and paid["approved_at"]
    assert refresh(invoice["id"]).json == paid  # reported once: refreshing reports nothing again


def test_a_goods_invoice_paid_reports_nothing_and_its_statuses_still_come_back(world):
    part = call(
        "POST", "/stock/items", body={"kind": "stock", "make": "Grundfos", "model": "Alpha2", "unit_price": 18900, "currency": "EUR"}
    )
    assert part.status == 201, part.body
    invoice = issued(world["b2b"], lines=[{"kind": "stock", "item_id": part.json["id"], "tax_rate": "S20"}])
    submit(invoice["id"])
    assert (
        call(
            "POST", f"/documents/{invoice['id']}/payments", body={"amount": invoice["gross"], "date": "2026-12-01", "method": "card"}
        ).status
        == 201
    )
    read = refresh(invoice["id"]).json
    assert read["status"] == "approved" and read.get("paid_reported_at") is None and read.get("paid_at") is None


def test_the_monthly_e_reporting_file_lists_b2c_sales_and_services_payments_received(world):
    b2c = issued(world["b2c"], issue_date="2026-11-20")
    b2b = issued(world["b2b"], issue_date="2026-11-21")
    call("POST", f"/documents/{b2c['id']}/payments", body={"amount": 5000, "date": "2026-11-25", "method": "card"})
    call("POST", f"/documents/{b2b['id']}/payments", body={"amount": 5000, "date": "2026-11-25", "method": "card"})
    reply = call("GET", "/einvoicing/e-reporting", query={"month": "2026-11"})
    assert reply.status == 200, reply.body
    rows = list(csv.DictReader(io.StringIO(_fetch(reply.json["url"]).decode("utf-8-sig"))))
    assert [(r["Operation"], r["Number"], r["Customer"]) for r in rows] == [
        ("Sale", b2c["number"], "Individual (B2C)"),
        ("Payment received", b2c["number"], "Individual (B2C)"),
    ]
    assert rows[0]["Total"] == f"{b2c['gross'] / 100:.2f}" and rows[1]["Received"] == "50.00"
    assert rows[0]["Nature"] == "Services"
    assert call("GET", "/einvoicing/e-reporting", query={"month": "2026-13"}).status == 422
    empty = call("GET", "/einvoicing/e-reporting", query={"month": "2026-10"})
    assert list(csv.DictReader(io.StringIO(_fetch(empty.json["url"]).decode("utf-8-sig")))) == []


def _fetch(url: str) -> bytes:
    return requests.get(url, timeout=10).content
