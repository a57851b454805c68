"""E-invoicing on the local stack over HTTP: an invoice issued to a French business, sent through
the local platform, its statuses read back, paid -> "paid" on the platform; a supplier's Factur-X
uploaded through the presigned POST and read into a bill, refused with a reason, its proposed
supplier made a contact; a CII breaking a schematron rule refused by the stack's own saxonche."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from tests.integration.test_legal_identity import PARIS, SELLER

pytestmark = pytest.mark.e2e
FIXTURES = Path(__file__).parents[1] / "fixtures" / "einvoice"
FACTURX = FIXTURES / "invoice_EN16931.pdf"


def test_issue_submit_statuses_and_payment_reported_paid(stack, api):
    admin, office = api("admin", tenant="einv"), api("office", tenant="einv")
    rates = {"tax_rates": [{"code": "S20", "name": "TVA 20 %", "rate": "20"}], "company": {"name": "Plomberie Dupont SAS"}}
    assert admin.patch("/finance/settings", json=rates, headers={"If-Match": '"0"'}).ok
    assert admin.put("/settings/legal", json=SELLER, headers={"If-Match": '"0"'}).ok
    group = admin.post("/contact-groups", json={"name": "Clients"}).json()["id"]
    body = {"name": "Chauffage Durand SAS", "group_id": group, "address": PARIS, "kind": "business", "siren": "732829320"}
    customer = office.post("/contacts", json=body).json()
    line = {"description": "Entretien chaudière", "unit_price": 12000, "tax_rate": "S20"}
    draft = office.post("/documents", json={"type": "invoice", "contact_id": customer["id"], "lines": [line]}).json()
    invoice = office.post(f"/documents/{draft['id']}/issue", headers={"If-Match": '"1"'}).json()

    sent = office.post(f"/documents/{invoice['id']}/platform")
    assert sent.status_code == 200, sent.text
    assert sent.json()["status"] == "submitted"
    approved = office.post(f"/documents/{invoice['id']}/platform/refresh").json()
    assert approved["status"] == "approved" and approved["approved_at"]

    paid = office.post(
        f"/documents/{invoice['id']}/payments", json={"amount": invoice["gross"], "date": "2026-12-01", "method": "bank_transfer"}
    )
    assert paid.status_code == 201, paid.text
    lifecycle = office.get(f"/documents/{invoice['id']}/platform").json()
    assert lifecycle["status"] == "paid" and lifecycle["paid_at"] and lifecycle["paid_reported_at"]
    assert office.post(f"/documents/{invoice['id']}/platform/refresh").json() == lifecycle


def _upload(office, data: bytes, filename: str, content_type: str) -> str:
    ticket = office.post("/received-invoices/uploads", json={"filename": filename, "content_type": content_type, "size": len(data)})
    assert ticket.status_code == 201, ticket.text
    upload = ticket.json()["upload"]
    posted = requests.post(upload["url"], data=upload["fields"], files={"file": (filename, data)}, timeout=15)
    assert posted.status_code in (200, 204), posted.text
    return ticket.json()["upload_id"]


def test_a_supplier_facturx_is_uploaded_read_and_refused(stack, api):
    office = api("office", tenant="einv-received")
    data = FACTURX.read_bytes()
    ticket = office.post(
        "/received-invoices/uploads", json={"filename": "facture.pdf", "content_type": "application/pdf", "size": len(data)}
    )
    assert ticket.status_code == 201, ticket.text
    upload = ticket.json()["upload"]
    too_big = requests.post(upload["url"], data=upload["fields"], files={"file": ("facture.pdf", data + b"x")}, timeout=15)
    assert too_big.status_code == 400  # the policy pins the size announced
    posted = requests.post(upload["url"], data=upload["fields"], files={"file": ("facture.pdf", data)}, timeout=15)
    assert posted.status_code in (200, 204), posted.text

    bill = office.post("/received-invoices", json={"upload_id": ticket.json()["upload_id"]})
    assert bill.status_code == 201, bill.text
    assert (bill.json()["number"], bill.json()["gross"], bill.json()["supplier"]["siren"]) == ("F20260023", 10490, "123456782")
    refused = office.post(
        f"/received-invoices/{bill.json()['id']}/decision",
        json={"decision": "refuse", "reason": "Commande inconnue"},
        headers={"If-Match": '"1"'},
    )
    assert refused.status_code == 200 and refused.json()["status"] == "refused"


def test_a_bills_supplier_becomes_a_contact_and_a_file_breaking_a_rule_is_refused(stack, api):
    admin, office = api("admin", tenant="einv-suppliers"), api("office", tenant="einv-suppliers")
    group = admin.post("/contact-groups", json={"name": "Fournisseurs"}).json()["id"]
    cii = (FIXTURES / "factur-x-en16931.xml").read_bytes()
    bill = office.post("/received-invoices", json={"upload_id": _upload(office, cii, "facture.xml", "application/xml")})
    assert bill.status_code == 201 and bill.json()["supplier"].get("contact_id") is None, bill.text

    made = office.post(f"/received-invoices/{bill.json()['id']}/supplier", json={"group_id": group}, headers={"Idempotency-Key": "k1"})
    assert made.status_code == 201, made.text
    contact = office.get(made.headers["Location"]).json()
    assert (contact["name"], contact["siren"], contact["vat_number"]) == ("LE FOURNISSEUR", "123456782", "FR11123456782")

    off = cii.replace(b"<ram:LineTotalAmount>60.00</ram:LineTotalAmount>", b"<ram:LineTotalAmount>61.00</ram:LineTotalAmount>", 1)
    off = off.replace(b"F20260023", b"F20260099")
    refused = office.post("/received-invoices", json={"upload_id": _upload(office, off, "off.xml", "application/xml")})
    assert refused.status_code == 422 and "BR-CO-10" in refused.json()["detail"] and "off.xml" in refused.json()["detail"]
    following = cii.replace(b"F20260023", b"F20260100")
    matched = office.post("/received-invoices", json={"upload_id": _upload(office, following, "next.xml", "application/xml")})
    assert matched.status_code == 201 and matched.json()["supplier"]["contact_id"] == contact["id"], matched.text
