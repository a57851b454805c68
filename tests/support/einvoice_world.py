"""A world for the e-invoicing tests: the finance world, the seller's legal identity, and customers
the local platform answers differently (by SIREN: approved, rejected, refused), an individual (B2C)."""

from __future__ import annotations

from crm.finance.einvoice.local_platform import REFUSED_SIREN, REJECTED_SIREN
from tests.integration.test_legal_identity import PARIS
from tests.support.finance import setup_finance
from tests.support.lambdas import call

APPROVED_SIREN = "732829320"


def setup_einvoicing() -> dict:
    world = setup_finance()
    group = call("POST", "/contact-groups", role="admin", body={"name": "E-invoicing"}).json["id"]

    def contact(name: str, **identity) -> str:
        reply = call("POST", "/contacts", body={"name": name, "group_id": group, "address": PARIS, **identity})
        assert reply.status == 201, reply.body
        return reply.json["id"]

    return world | {
        "b2b": contact("Chauffage Durand SAS", kind="business", siren=APPROVED_SIREN),
        "rejected": contact("Absent de l'annuaire SA", kind="business", siren=REJECTED_SIREN),
        "refused": contact("Refus SARL", kind="business", siren=REFUSED_SIREN),
        "b2c": contact("Jeanne Particulier", kind="individual"),
    }


def submit(document_id: str, **kw):
    return call("POST", f"/documents/{document_id}/platform", **kw)


def refresh(document_id: str, **kw):
    return call("POST", f"/documents/{document_id}/platform/refresh", **kw)


def upload_received(data: bytes, filename: str = "invoice.pdf", content_type: str = "application/pdf", **kw) -> dict:
    """Upload a supplier's e-invoice the way the web app does: ask, then POST to S3."""
    import requests

    ticket = call("POST", "/received-invoices/uploads", body={"filename": filename, "content_type": content_type, "size": len(data)}, **kw)
    assert ticket.status == 201, ticket.body
    fields = ticket.json["upload"]["fields"]
    posted = requests.post(ticket.json["upload"]["url"], data=fields, files={"file": (filename, data)}, timeout=10)
    assert posted.status_code in (200, 204), posted.text
    return ticket.json


def receive(data: bytes, filename: str = "invoice.pdf", content_type: str = "application/pdf", **kw):
    ticket = upload_received(data, filename, content_type, **kw)
    return call("POST", "/received-invoices", body={"upload_id": ticket["upload_id"]}, **kw)
