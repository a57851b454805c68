"""The monthly billing run on the local stack: the admin sets the billing schedule, the office an
active contract; when the local clock passes the run's time the local scheduler fires the billing
run function, the queue feeds the worker, the invoice's PDF lands in S3, and /_local/outbox holds
the invoice emailed with its PDF attached and the office's one summary of the run."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
import requests

from tests.support.finance import CUSTOMER_SIREN, SELLER

pytestmark = pytest.mark.e2e

ADDRESS = {"line1": "3 rue de l'Église", "city": "Lyon", "postcode": "69003", "country": "FR"}
TAX = {"tax_rates": [{"code": "S20", "name": "TVA 20 %", "rate": "20"}]}
SCHEDULE = {
    "recurrence": {"frequency": "monthly", "day_of_month": 1, "time": "06:00", "timezone": "Europe/Paris"},
    "auto_send": True,
    "summary_to": ["office@billing-e2e.example"],
}


def until(check: Callable[[], object], seconds: float = 30) -> object:
    deadline = time.monotonic() + seconds
    while True:
        found = check()
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.3)


def created(reply: requests.Response) -> dict:
    assert reply.status_code in (200, 201), reply.text
    return reply.json()


def outbox(stack, to: str) -> list[dict]:
    messages = requests.get(f"{stack.base_url}/_local/outbox", timeout=10).json()["messages"]
    return [m for m in messages if to in m["to"]]


def test_the_schedule_fires_the_run_which_issues_stores_and_emails_the_invoice_and_one_summary(stack, api):
    admin, office = api("admin", tenant="billing-e2e"), api("office", tenant="billing-e2e")
    clock = f"{stack.base_url}/_local/clock"
    try:
        assert requests.post(clock, json={"now": "2027-01-20T12:00:00Z", "running": False}, timeout=60).status_code == 200
        created(admin.patch("/finance/settings", json=TAX, headers={"If-Match": '"0"'}))
        schedule = created(admin.put("/finance/billing-schedule", json=SCHEDULE, headers={"If-Match": '"0"'}))
        assert schedule["upcoming"][0] == "2027-02-01T06:00:00+01:00" and len(schedule["upcoming"]) == 12
        group = created(admin.post("/contact-groups", json={"name": "Clients"}))["id"]
        created(admin.put("/settings/legal", json=SELLER, headers={"If-Match": '"0"'}))  # what its invoices must mention
        business = {"kind": "business", "siren": CUSTOMER_SIREN, "address": ADDRESS}
        customer = created(office.post("/contacts", json={"name": "ACME", "group_id": group, **business}))["id"]
        person = {"name": "Anne", "email": "anne@acme.example", "receives_financial_documents": True}
        created(office.post(f"/contacts/{customer}/persons", json=person))
        terms = {"contact_id": customer, "reference": "MAINT-E2E", "start_date": "2027-02-01", "end_date": "2027-12-31"}
        contract = created(office.post("/contracts", json={**terms, "total_value": 132_000, "tax_rate": "S20"}))  # 11 x 12,000
        created(office.post(f"/contracts/{contract['id']}/status", json={"status": "active"}, headers={"If-Match": '"1"'}))

        requests.post(clock, json={"now": "2027-02-01T05:30:00Z", "running": False}, timeout=60)  # past 06:00 in Paris
        summary = until(lambda: outbox(stack, "office@billing-e2e.example"))
        assert summary and len(summary) == 1, summary
        assert "MAINT-E2E: INV-000001" in summary[0]["body"]

        [invoice] = office.get(f"/contracts/{contract['id']}/invoices").json()["items"]
        assert (invoice["number"], invoice["status"], invoice["gross"]) == ("INV-000001", "sent", 14_400)
        document = office.get(f"/documents/{invoice['document_id']}").json()
        head = stack.client("s3").head_object(Bucket=stack.refs["DocumentsBucket"], Key=document["pdf"]["key"])
        assert head["ContentLength"] == document["pdf"]["size"]
        [email] = outbox(stack, "anne@acme.example")
        assert [(a["filename"], a["content_type"]) for a in email["attachments"]] == [("INV-000001.pdf", "application/pdf")]
        time.sleep(1)  # a second delivery, if any, would have landed by now
        assert len(outbox(stack, "office@billing-e2e.example")) == 1
    finally:
        requests.delete(clock, timeout=10)
