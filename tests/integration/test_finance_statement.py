"""The statement of account through the finance handler: the ledger the issue, credit-note and
payment transactions write; opening balance, running balance, closing balance and ageing as of the
period's end (payments and credit notes after it count as still due then); children included on
demand; a bad period is a 422 naming it; as PDF (French, page N of M) and emailed with its PDF."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlparse

import boto3
import pytest

from crm.platform import clock, settings
from tests.support import mail as outbox
from tests.support.documents import normalised, page_texts
from tests.support.finance import issued, setup_finance
from tests.support.lambdas import call

TODAY = datetime(2026, 4, 15, 10, 0, tzinfo=UTC)


@pytest.fixture
def world(aws, monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: TODAY)
    found = setup_finance()
    # 14,400.00 each (12,000 + 20 % VAT); A due 2026-02-09, B due 2026-04-04
    found["a"] = issued(found["customer"], issue_date="2026-01-10")
    found["b"] = issued(found["customer"], issue_date="2026-03-05")
    paid = call("POST", f"/documents/{found['a']['id']}/payments", body={"amount": 4400, "date": "2026-03-10", "method": "card"})
    assert paid.status == 201, paid.body
    note = call("POST", "/documents/credit-notes", body={"invoice_id": found["b"]["id"]}).json
    credited = call("POST", f"/documents/{note['id']}/issue", headers={"If-Match": '"1"'})  # dated today: 2026-04-15
    assert credited.status == 200, credited.body
    found["note"] = credited.json
    found["site_invoice"] = issued(
        found["site"], issue_date="2026-03-15", lines=[{"description": "Visite", "unit_price": 1000, "tax_rate": "S20"}]
    )
    return found


def statement(contact_id, **query):
    return call("GET", f"/contacts/{contact_id}/statement", query=query)


def test_march_opens_with_january_runs_through_its_entries_and_ages_what_was_due_on_the_31st(world):
    reply = statement(world["customer"], since="2026-03-01", until="2026-03-31")
    assert reply.status == 200, reply.body
    s = reply.json
    assert s["opening_balance"] == 14400  # invoice A
    assert [(e["kind"], e["date"], e["debit"], e["credit"], e["balance"]) for e in s["entries"]] == [
        ("invoice", "2026-03-05", 14400, 0, 28800),
        ("payment", "2026-03-10", 0, 4400, 24400),
    ]
    assert s["entries"][1]["invoice_number"] == world["a"]["number"]
    assert s["closing_balance"] == 24400 and s["totals"] == {"invoiced": 14400, "credited": 0, "paid": 4400}
    # On 31 March A had 10,000 due 50 days late; B (credited in April) was due on 4 April
    assert [(o["number"], o["due"]) for o in s["owed"]] == [(world["a"]["number"], 10000), (world["b"]["number"], 14400)]
    assert s["ageing"] == {"current": 14400, "days_1_30": 0, "days_31_60": 10000, "days_61_90": 0, "over_90": 0, "total": 24400}


def test_up_to_today_the_credit_note_settles_b_and_the_ageing_moves_on(world):
    s = statement(world["customer"], since="2026-01-01").json
    assert s["until"] == "2026-04-15" and s["opening_balance"] == 0
    assert [e["kind"] for e in s["entries"]] == ["invoice", "invoice", "payment", "credit_note"]
    assert s["closing_balance"] == 10000 == s["ageing"]["days_61_90"] == s["ageing"]["total"]  # A: 65 days late
    assert s["totals"] == {"invoiced": 28800, "credited": 14400, "paid": 4400}


def test_children_are_included_on_demand(world):
    alone = statement(world["customer"], since="2026-03-01", until="2026-03-31").json
    family = statement(world["customer"], since="2026-03-01", until="2026-03-31", include_children="true").json
    assert family["closing_balance"] == alone["closing_balance"] + 1200
    site_rows = [e for e in family["entries"] if e["contact_id"] == world["site"]]
    assert [(e["date"], e["debit"], e["contact_name"]) for e in site_rows] == [("2026-03-15", 1200, "Chantier Foch")]
    assert family["ageing"]["current"] == alone["ageing"]["current"] + 1200  # due 14 April


def test_a_bad_period_is_a_422_naming_it_and_another_tenants_contact_a_404(world):
    reversed_period = statement(world["customer"], since="2026-03-31", until="2026-03-01")
    assert reversed_period.status == 422 and [e["field"] for e in reversed_period.json["errors"]] == ["until"]
    too_long = statement(world["customer"], since="2020-01-01", until="2026-03-01")
    assert too_long.status == 422 and [e["field"] for e in too_long.json["errors"]] == ["since"]
    assert call("GET", f"/contacts/{world['customer']}/statement", tenant="t2").status == 404
    assert call("GET", "/contacts/01J00000000000000000000000/statement").status == 404


def _fetched(link: dict) -> bytes:
    bucket = settings.documents_bucket()
    key = urlparse(link["url"]).path.lstrip("/").removeprefix(bucket + "/")
    return boto3.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()


def test_the_pdf_is_in_the_contacts_language_with_every_entry(world):
    reply = statement(world["customer"], since="2026-03-01", until="2026-03-31", format="pdf")
    assert reply.status == 200, reply.body
    assert reply.json["pdf"]["filename"] == "statement-2026-03-01-2026-03-31.pdf"
    pages = [normalised(p) for p in page_texts(_fetched(reply.json["pdf"]))]
    text = " ".join(pages)
    assert "Relevé de compte Société Générale d'Équipement" in text  # Anne, who receives its documents, reads French
    assert f"Facture {world['b']['number']}" in text and "Solde de clôture" in text and "244,00 €" in text
    assert pages[-1].count("Page 1 sur 1") == 1


def test_send_emails_the_pdf_to_those_who_receive_financial_documents_and_files_it(world):
    reply = call("POST", f"/contacts/{world['customer']}/statement/send", body={"since": "2026-03-01", "until": "2026-03-31"})
    assert reply.status == 200, reply.body
    assert reply.json == {"to": ["anne@sge.example"], "filename": "statement-2026-03-01-2026-03-31.pdf", "closing_balance": 24400}
    (message,) = outbox.sent()
    assert message["subject"] == "Relevé de compte Société Générale d'Équipement de Plomberie Dupont SAS"
    assert "244,00 €" in normalised(message["body"])
    assert message["attachments"][0]["filename"] == "statement-2026-03-01-2026-03-31.pdf"
    (archived,) = call("GET", f"/contacts/{world['customer']}/emails").json["items"]
    assert archived["kind"] == "statement_of_account"
    key = archived["attachments"][0]["s3_key"]
    assert key.startswith(f"t/t1/contacts/{world['customer']}/documents/statements/")
    other = call("POST", f"/contacts/{world['other']}/statement/send", body={})
    assert other.status == 422 and other.json["errors"][0]["field"] == "to"


def test_the_reports_catalogue_reaches_the_statement(world):
    reply = call(
        "GET", "/reports/statement-of-account", query={"contact_id": world["customer"], "since": "2026-03-01", "until": "2026-03-31"}
    )
    assert reply.status == 200, reply.body
    assert [(r["kind"], r["debit"], r["credit"], r["balance"]) for r in reply.json["rows"]] == [
        ("Invoice", 14400, 0, 28800),
        ("Payment", 0, 4400, 24400),
    ]
    assert reply.json["subtitle"] == "From 1 March 2026 to 31 March 2026: opening balance €144.00, closing balance €244.00"
    bad = call(
        "GET", "/reports/statement-of-account", query={"contact_id": world["customer"], "since": "2026-03-31", "until": "2026-03-01"}
    )
    assert bad.status == 422 and [e["field"] for e in bad.json["errors"]] == ["until"]
