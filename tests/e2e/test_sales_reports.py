"""Sales and reports on the local stack over HTTP: a report subscription fires from the local
scheduler and its email, with the report attached and its unsubscribe link, lands in
/_local/outbox; the link unsubscribes without signing in; the XLSX files (a report, an exported
selection) open with openpyxl and hold the rows."""

from __future__ import annotations

import io
import time
import uuid

import pytest
import requests

pytestmark = pytest.mark.e2e


def xlsx_rows(url: str) -> list[tuple]:
    import openpyxl

    download = requests.get(url, timeout=15)
    assert download.status_code == 200, download.text
    return list(openpyxl.load_workbook(io.BytesIO(download.content)).active.iter_rows(values_only=True))


@pytest.fixture
def selling(api):
    """A tenant of its own (the stack lives for the module) with sales set up and two opportunities."""
    tenant = f"sales-{uuid.uuid4().hex[:8]}"
    admin, office = api("admin", tenant), api("office", tenant)
    stages = admin.put("/sales/stages", json={"entries": [{"name": "Premier rendez-vous"}]}, headers={"If-Match": '"0"'}).json()
    chances = admin.put("/sales/probabilities", json={"entries": [{"label": "50%", "percent": 50}]}, headers={"If-Match": '"0"'}).json()
    group = admin.post("/contact-groups", json={"name": "Customers"}).json()["id"]
    contact = office.post("/contacts", json={"name": "Dupont SA", "group_id": group}).json()["id"]
    for value in (100000, 50000):
        body = {
            "contact_id": contact,
            "subject": "Chaudière",
            "stage_id": stages["entries"][0]["id"],
            "probability_id": chances["entries"][0]["id"],
            "expected_value": value,
            "close_month": "2027-02",
        }
        assert office.post("/opportunities", json=body).status_code == 201
    return office


def test_a_subscription_fires_from_the_local_scheduler_and_emails_the_report(stack, selling):
    clock = f"{stack.base_url}/_local/clock"
    requests.post(clock, json={"now": "2027-01-04T06:00:00+00:00", "running": False}, timeout=15).raise_for_status()
    try:
        body = {
            "report": "opportunity-projection",
            "filters": {"from_month": "2027-01", "to_month": "2027-03"},
            "format": "xlsx",
            "recipients": ["boss@sales.example"],
            "recurrence": {"frequency": "daily", "time": "08:00", "timezone": "Europe/Paris"},
        }
        created = selling.post("/report-subscriptions", json=body)
        assert created.status_code == 201, created.text
        assert created.json()["upcoming"][0] == "2027-01-04T08:00:00+01:00"
        fired = requests.post(clock, json={"now": "2027-01-04T07:00:30+00:00", "running": False}, timeout=60).json()
        assert any(created.json()["id"] in key for key in fired["fired"]), fired
        message = _wait_for(stack, "boss@sales.example")
        assert message["attachments"][0]["filename"] == "opportunity-projection.xlsx"
        assert message["attachments"][0]["size"] > 0
        link = message["headers"]["List-Unsubscribe"].strip("<>")
        assert link.startswith(stack.base_url) and link in message["body"]
        left = requests.post(
            link, data="List-Unsubscribe=One-Click", headers={"Content-Type": "application/x-www-form-urlencoded"}, timeout=15
        )
        assert left.status_code == 200, left.text
        assert selling.get(f"/report-subscriptions/{created.json()['id']}").json()["unsubscribed"] == ["boss@sales.example"]
    finally:
        requests.delete(clock, timeout=15)


def test_the_reports_and_the_exported_selection_open_as_xlsx(selling):
    report = selling.get("/reports/opportunity-projection", params={"from_month": "2027-01", "to_month": "2027-03", "format": "xlsx"})
    assert report.status_code == 200, report.text
    rows = xlsx_rows(report.json()["file"]["url"])
    assert rows[1:] == [("2027-01", 0, 0, 0), ("2027-02", 2, 1500, 750), ("2027-03", 0, 0, 0)]
    export = selling.get("/opportunities/export", params={"format": "xlsx"})
    assert export.status_code == 200, export.text
    exported = xlsx_rows(export.json()["url"])
    assert exported[0][0] == "Reference" and sorted(r[9] for r in exported[1:]) == [500, 1000]


def _wait_for(stack, address: str) -> dict:
    # The scheduler invokes the delivery function asynchronously, as Scheduler invokes Lambda.
    for _ in range(100):
        found = [m for m in stack.outbox() if m["to"] == [address]]
        if found:
            return found[0]
        time.sleep(0.1)
    raise AssertionError(f"no email to {address} in the outbox")
