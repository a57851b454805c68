"""Access rules of the e-invoicing routes (finance: staff only), a body and query that pass
validation for each, and a received invoice the matrix probes them with (the finance world's
invoice is the document sent)."""

from __future__ import annotations

from pathlib import Path

from tests.integration.access.roles import STAFF
from tests.support.einvoice_world import receive, upload_received

LAYER = 51  # after finance: its world's invoice is the document submitted

ROLES: dict[tuple[str, str], set[str]] = {
    ("POST", "/documents/{document_id}/platform"): STAFF,
    ("GET", "/documents/{document_id}/platform"): STAFF,
    ("POST", "/documents/{document_id}/platform/refresh"): STAFF,
    ("GET", "/einvoicing/e-reporting"): STAFF,
    ("POST", "/received-invoices/uploads"): STAFF,
    ("POST", "/received-invoices"): STAFF,
    ("POST", "/received-invoices/deliveries"): STAFF,
    ("GET", "/received-invoices"): STAFF,
    ("GET", "/received-invoices/{bill_id}"): STAFF,
    ("GET", "/received-invoices/{bill_id}/original"): STAFF,
    ("POST", "/received-invoices/{bill_id}/decision"): STAFF,
    ("POST", "/received-invoices/{bill_id}/supplier"): STAFF,
}

VALID_INPUT: dict[tuple[str, str], dict] = {
    ("GET", "/einvoicing/e-reporting"): {"query": {"month": "2026-12"}},
    ("POST", "/received-invoices/uploads"): {"body": {"filename": "f.pdf", "content_type": "application/pdf", "size": 1000}},
    ("POST", "/received-invoices"): {"body": {"upload_id": "{received_upload_id}"}},
    ("POST", "/received-invoices/{bill_id}/decision"): {"body": {"decision": "accept"}, "headers": {"If-Match": '"1"'}},
    ("POST", "/received-invoices/{bill_id}/supplier"): {"body": {"group_id": "{group_id}"}},
}

FIXTURES = Path(__file__).parents[2] / "fixtures" / "einvoice"
FACTURX, UBL = FIXTURES / "invoice_EN16931.pdf", FIXTURES / "ubl-21-en16931.xml"


def world(ids: dict[str, str], aws: dict[str, str]) -> dict[str, str]:
    """A supplier's Factur-X received as a bill, and another supplier's UBL uploaded, not read yet."""
    bill = receive(FACTURX.read_bytes())
    assert bill.status == 201, bill.body
    uploaded = upload_received(UBL.read_bytes(), "facture.xml", "application/xml")
    return {"bill_id": bill.json["id"], "received_upload_id": uploaded["upload_id"]}
