"""Access rules of the finance routes (staff only: never a resource, never a customer), a body and
query that pass validation for each, and the objects the matrix probes them with."""

from __future__ import annotations

from crm.platform.auth import ADMIN
from tests.integration.access.roles import ADMINS, STAFF
from tests.support.finance import set_legal_identity
from tests.support.lambdas import call

LAYER = 50

ROLES: dict[tuple[str, str], set[str]] = {
    ("GET", "/finance/settings"): STAFF,
    ("PATCH", "/finance/settings"): ADMINS,
    ("GET", "/documents"): STAFF,
    ("GET", "/documents/export"): STAFF,
    ("POST", "/documents"): STAFF,
    ("POST", "/documents/duplicates"): STAFF,
    ("POST", "/documents/credit-notes"): STAFF,
    ("GET", "/documents/{document_id}"): STAFF,
    ("PATCH", "/documents/{document_id}"): STAFF,
    ("DELETE", "/documents/{document_id}"): STAFF,
    ("POST", "/documents/{document_id}/issue"): STAFF,
    ("POST", "/documents/{document_id}/status"): STAFF,
    ("GET", "/documents/{document_id}/pdf"): STAFF,
    ("GET", "/documents/{document_id}/einvoice"): STAFF,
    ("POST", "/documents/{document_id}/send"): STAFF,
    ("GET", "/documents/{document_id}/payments"): STAFF,
    ("POST", "/documents/{document_id}/payments"): STAFF,
    ("GET", "/documents/{document_id}/payments/{payment_id}"): STAFF,
    ("POST", "/jobs/{job_id}/invoice"): STAFF,
    ("GET", "/contacts/{contact_id}/financial"): STAFF,
    ("GET", "/contacts/{contact_id}/statement"): STAFF,
    ("POST", "/contacts/{contact_id}/statement/send"): STAFF,
    ("GET", "/finance/billing-schedule"): STAFF,
    ("PUT", "/finance/billing-schedule"): ADMINS,
    ("GET", "/contracts"): STAFF,
    ("POST", "/contracts"): STAFF,
    ("GET", "/contracts/{contract_id}"): STAFF,
    ("PATCH", "/contracts/{contract_id}"): STAFF,
    ("DELETE", "/contracts/{contract_id}"): STAFF,
    ("POST", "/contracts/{contract_id}/status"): STAFF,
    ("GET", "/contracts/{contract_id}/invoices"): STAFF,
    ("GET", "/contracts/{contract_id}/jobs"): STAFF,
    ("POST", "/contracts/{contract_id}/bill"): STAFF,
}

LINE = {"description": "Boiler service", "unit_price": 12000, "tax_rate": "S20"}
CONTRACT = {"start_date": "2026-01-01", "end_date": "2026-12-31", "instalment": 5000, "tax_rate": "S20"}
SCHEDULE = {
    "recurrence": {"frequency": "monthly", "day_of_month": 1, "time": "06:00", "timezone": "Europe/Paris"},
    "summary_to": ["office@example.com"],
}

VALID_INPUT: dict[tuple[str, str], dict] = {
    ("PATCH", "/finance/settings"): {"body": {"payment_terms_days": 45}, "headers": {"If-Match": '"1"'}},
    ("GET", "/documents"): {"query": {"type": "invoice"}},
    ("GET", "/documents/export"): {"query": {"type": "invoice", "format": "csv"}},
    ("POST", "/documents"): {"body": {"type": "quote", "contact_id": "{contact_id}", "lines": [LINE]}},
    ("POST", "/documents/duplicates"): {"body": {"document_id": "{document_id}"}},
    ("POST", "/documents/credit-notes"): {"body": {"invoice_id": "{document_id}"}},
    ("PATCH", "/documents/{document_id}"): {"body": {"notes": "probe"}, "headers": {"If-Match": '"3"'}},
    ("DELETE", "/documents/{document_id}"): {"headers": {"If-Match": '"3"'}},
    ("POST", "/documents/{document_id}/issue"): {"headers": {"If-Match": '"3"'}},
    ("POST", "/documents/{document_id}/status"): {"body": {"status": "sent"}, "headers": {"If-Match": '"3"'}},
    ("POST", "/documents/{document_id}/send"): {"body": {"to": ["probe@example.com"]}},
    ("GET", "/documents/{document_id}/einvoice"): {"query": {"format": "ubl"}},
    ("POST", "/documents/{document_id}/payments"): {"body": {"amount": 100, "date": "2026-12-01", "method": "card"}},
    ("POST", "/jobs/{job_id}/invoice"): {"body": {}, "ids": {"job_id": "completed_job_id"}},
    ("GET", "/contacts/{contact_id}/statement"): {"query": {"since": "2026-01-01", "until": "2026-12-31"}},
    ("POST", "/contacts/{contact_id}/statement/send"): {"body": {"to": ["probe@example.com"]}},
    ("PUT", "/finance/billing-schedule"): {"body": SCHEDULE, "headers": {"If-Match": '"1"'}},
    ("GET", "/contracts"): {"query": {"status": "active"}},
    ("POST", "/contracts"): {"body": {**CONTRACT, "contact_id": "{contact_id}"}},
    ("PATCH", "/contracts/{contract_id}"): {"body": {"reference": "probe"}, "headers": {"If-Match": '"2"'}},
    ("DELETE", "/contracts/{contract_id}"): {"headers": {"If-Match": '"2"'}},
    ("POST", "/contracts/{contract_id}/status"): {"body": {"status": "ended"}, "headers": {"If-Match": '"2"'}},
    ("POST", "/contracts/{contract_id}/bill"): {"body": {"period": 0}},
}


def world(ids: dict[str, str], aws: dict[str, str]) -> dict[str, str]:
    """A tax rate, the legal identity, an issued invoice (to a private customer) with a payment, a
    billing schedule, an active contract and a completed job to invoice."""
    call(
        "PATCH",
        "/finance/settings",
        role=ADMIN,
        body={"tax_rates": [{"code": "S20", "name": "VAT 20%", "rate": "20"}]},
        headers={"If-Match": '"0"'},
    )
    set_legal_identity()
    group = call("POST", "/contact-groups", role=ADMIN, body={"name": "Private customers"}).json["id"]
    home = {"line1": "8 rue Victor Hugo", "city": "Lyon", "postcode": "69002", "country": "FR"}
    customer = call("POST", "/contacts", body={"name": "Probe", "group_id": group, "kind": "individual", "address": home}).json
    draft = call("POST", "/documents", body={"type": "invoice", "contact_id": customer["id"], "lines": [LINE]}).json
    invoice = call("POST", f"/documents/{draft['id']}/issue", headers={"If-Match": '"1"'}).json
    payment = call("POST", f"/documents/{invoice['id']}/payments", body={"amount": 1000, "date": "2026-12-01", "method": "card"}).json
    call("PUT", "/finance/billing-schedule", role=ADMIN, body=SCHEDULE, headers={"If-Match": '"0"'})
    contract = call("POST", "/contracts", body={**CONTRACT, "contact_id": ids["contact_id"]}).json
    call("POST", f"/contracts/{contract['id']}/status", body={"status": "active"}, headers={"If-Match": '"1"'})
    return {
        "document_id": invoice["id"],
        "payment_id": payment["id"],
        "contract_id": contract["id"],
        "completed_job_id": _completed_job(ids),
    }


def _completed_job(ids: dict[str, str]) -> str:
    """A completed job with a chargeable line, for POST /jobs/{job_id}/invoice."""
    plan = {"planned_start": "2030-01-07T09:00:00Z", "planned_end": "2030-01-07T10:00:00Z", "resource_id": ids["resource_id"]}
    charge = {"description": "Boiler service", "quantity": "1", "unit_price": 12000, "tax_rate_id": "S20"}
    body = {"contact_id": ids["contact_id"], "job_type_id": ids["job_type_id"], "charges": [charge], **plan}
    made = call("POST", "/jobs", body=body)
    assert made.status == 201, made.body
    for status in ("in_progress", "completed"):
        version = call("GET", f"/jobs/{made.json['id']}").json["version"]
        moved = call("POST", f"/jobs/{made.json['id']}/status", body={"status": status}, headers={"If-Match": f'"{version}"'})
        assert moved.status == 200, moved.body
    return made.json["id"]
