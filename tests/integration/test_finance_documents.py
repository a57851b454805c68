"""Documents through the finance handler: drafts with exact money, every bad field named, the
lifecycle (edit and delete only a draft, issue with gapless numbers, marks), duplicates, credit
notes, payments, and what contacts and the person-data index keep in step."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest

from crm.finance import issuing, service
from crm.platform.auth import Principal
from tests.support.finance import LINE, draft, issue, issued, setup_finance
from tests.support.lambdas import call


@pytest.fixture
def world(aws):
    return setup_finance()


def test_a_draft_is_priced_exactly_with_its_tax_per_rate(world):
    lines = [
        {"description": "Pièce", "quantity": "3", "unit_price": 3, "tax_rate": "S20"},
        {"description": "Pièce", "quantity": "3", "unit_price": 3, "tax_rate": "S20"},
        {"description": "Main d'œuvre", "quantity": "1.5", "unit_price": 5050, "discount": "10", "tax_rate": "S5"},
        {"kind": "predefined", "code": "CALL"},
        {"description": "Formation", "unit_price": 2000, "tax_rate": "E"},
    ]
    doc = draft(world["customer"], lines=lines)
    assert [line["net"] for line in doc["lines"]] == [9, 9, 6818, 4500, 2000]  # 6817.5 -> 6818
    assert doc["lines"][3] | {"description": "Déplacement", "unit_price": 4500, "nominal_code": "4000"} == doc["lines"][3]
    assert doc["taxes"] == [
        {"category": "S", "rate": "20", "taxable": 4518, "tax": 904, "exemption_reason": None},  # 903.6
        {"category": "S", "rate": "5.5", "taxable": 6818, "tax": 375, "exemption_reason": None},  # 374.99
        {"category": "E", "rate": "0", "taxable": 2000, "tax": 0, "exemption_reason": "Exonération de TVA, article 261 du CGI"},
    ]
    assert (doc["net"], doc["tax"], doc["gross"]) == (13336, 1279, 14615)
    assert doc["status"] == "draft" and doc["number"] is None and doc["currency"] == "EUR"


def test_a_stock_line_takes_its_items_price_and_the_finance_rate_of_its_tax_percentage(world):
    body = {"kind": "stock", "make": "Grundfos", "model": "Alpha2", "unit_price": 18900, "currency": "EUR", "tax_rate": "5.5"}
    item = call("POST", "/stock/items", body=body)
    assert item.status == 201, item.body
    [line] = draft(world["customer"], lines=[{"kind": "stock", "item_id": item.json["id"]}])["lines"]
    assert (line["unit_price"], line["tax_rate"], line["net"]) == (18900, "S5", 18900)


def test_bad_input_names_every_field_and_stores_nothing(world):
    before = call("GET", "/documents", query={"contact_id": world["customer"]}).json["items"]
    lines = [
        {"description": "x", "unit_price": 100, "tax_rate": "NOPE"},
        {"description": "x", "quantity": "-1", "unit_price": 100, "tax_rate": "S20"},
        {"kind": "predefined", "code": "NOPE"},
        {"description": "x", "unit_price": 100},
        {"description": "x", "unit_price": 100, "tax_rate": "S20", "nominal_code": "9999"},
        {"description": "x", "quantity": "999999999", "unit_price": 99999999999, "tax_rate": "S20"},
    ]
    reply = call("POST", "/documents", body={"type": "invoice", "contact_id": world["customer"], "lines": lines})
    assert reply.status == 422
    assert {e["field"] for e in reply.json["errors"]} == {"lines.1.quantity"}  # the shape first: a negative quantity
    del lines[1]
    reply = call("POST", "/documents", body={"type": "invoice", "contact_id": world["customer"], "lines": lines})
    assert reply.status == 422
    assert {e["field"] for e in reply.json["errors"]} == {
        "lines.0.tax_rate",
        "lines.1.code",
        "lines.2.tax_rate",
        "lines.3.nominal_code",
        "lines.4.quantity",
    }
    wrong = call(
        "POST",
        "/documents",
        body={
            "type": "invoice",
            "contact_id": world["customer"],
            "delivery_site_id": world["other"],
            "person_id": world["accountant"],
            "lines": [LINE],
        },
    )
    assert wrong.status == 422 and {e["field"] for e in wrong.json["errors"]} == {"delivery_site_id"}
    assert (
        call(
            "POST", "/documents", body={"type": "invoice", "contact_id": world["other"], "person_id": world["accountant"], "lines": [LINE]}
        ).status
        == 422
    )
    assert call("POST", "/documents", body={"type": "invoice", "contact_id": world["customer"], "lines": [LINE], "id": "x"}).status == 422
    assert call("GET", "/documents", query={"contact_id": world["customer"]}).json["items"] == before


def test_a_total_over_the_limit_is_refused(world):
    line = {"description": "x", "quantity": "9", "unit_price": 99_999_999_999 // 10, "tax_rate": "S20"}
    reply = call("POST", "/documents", body={"type": "invoice", "contact_id": world["customer"], "lines": [line]})
    assert reply.status == 422 and reply.json["errors"][0]["field"] == "lines"


def test_only_a_draft_is_edited_or_deleted(world):
    doc = draft(world["customer"], person_id=world["accountant"])
    edited = call("PATCH", f"/documents/{doc['id']}", body={"lines": [LINE, LINE], "reference": "PO-77"}, headers={"If-Match": '"1"'})
    assert edited.status == 200 and edited.json["gross"] == 28800 and edited.headers["etag"] == '"2"'
    assert call("PATCH", f"/documents/{doc['id']}", body={"notes": "x"}, headers={"If-Match": '"1"'}).status == 412
    invoice = issue(edited.json).json
    assert invoice["status"] == "issued" and invoice["number"] == "INV-000001"
    assert invoice["customer"] == {"name": "Société Générale d'Équipement", "lines": ["3 rue de l'Église", "69003 Lyon", "FR"]}
    assert invoice["locale"] == "fr-FR"  # the person's language
    due = date.fromisoformat(invoice["issue_date"]) + timedelta(days=30)  # the settings' payment terms
    assert invoice["due_date"] == due.isoformat() and invoice["payment_status"] == "unpaid"
    tag = f'"{invoice["version"]}"'
    assert call("PATCH", f"/documents/{doc['id']}", body={"notes": "x"}, headers={"If-Match": tag}).status == 409
    assert call("DELETE", f"/documents/{doc['id']}", headers={"If-Match": tag}).status == 409
    assert call("POST", f"/documents/{doc['id']}/issue", headers={"If-Match": tag}).status == 409
    assert call("GET", f"/documents/{doc['id']}").json["gross"] == 28800


def test_numbers_are_gapless_per_type_and_a_deleted_draft_leaves_no_hole(world):
    first = issued(world["customer"])
    dropped = draft(world["customer"])
    assert call("DELETE", f"/documents/{dropped['id']}", headers={"If-Match": '"1"'}).status == 204
    assert call("GET", f"/documents/{dropped['id']}").status == 404
    quote = issued(world["customer"], "quote")
    second = issued(world["customer"])
    order = issued(world["other"], "purchase_order")
    assert [first["number"], second["number"], quote["number"], order["number"]] == ["INV-000001", "INV-000002", "QUO-000001", "PO-000001"]


def test_concurrent_issues_take_consecutive_numbers(world, atomic_dynamodb):
    drafts = [draft(world["customer"]) for _ in range(6)]
    principal = Principal(tenant="t1", user_id="office", role="office", email="office@t1.example")
    numbers: list[str] = []

    def issue_one(doc):
        numbers.append(issuing.issue(principal, doc["id"], 1)["number"])

    threads = [threading.Thread(target=issue_one, args=(d,)) for d in drafts]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(numbers) == [f"INV-{n:06d}" for n in range(1, 7)]


def test_marks_are_timestamped_and_follow_the_lifecycle(world):
    quote = issued(world["customer"], "quote")
    version = quote["version"]

    def mark(doc_id, status, v):
        return call("POST", f"/documents/{doc_id}/status", body={"status": status}, headers={"If-Match": f'"{v}"'})

    assert mark(quote["id"], "rejected", version).status == 409  # rejected comes after sent
    sent = mark(quote["id"], "sent", version).json
    assert sent["status"] == "sent" and sent["sent_at"]
    accepted = mark(quote["id"], "accepted", sent["version"]).json
    assert accepted["status"] == "accepted" and accepted["accepted_at"]
    invoice = issued(world["customer"])
    assert mark(invoice["id"], "accepted", invoice["version"]).status == 409
    draft_doc = draft(world["customer"])
    assert mark(draft_doc["id"], "sent", 1).status == 409


def test_duplicate_makes_a_new_draft(world):
    invoice = issued(world["customer"], reference="PO-1")
    copy = call("POST", "/documents/duplicates", body={"document_id": invoice["id"]})
    assert copy.status == 201 and copy.headers["location"] == f"/documents/{copy.json['id']}"
    assert copy.json["status"] == "draft" and copy.json["number"] is None and copy.json["lines"] == invoice["lines"]
    assert copy.json["reference"] == "PO-1" and copy.json["gross"] == invoice["gross"]


def test_credit_notes_reverse_an_invoice_never_beyond_it(world):
    invoice = issued(world["customer"], lines=[LINE, {**LINE, "unit_price": 5000}])
    assert invoice["gross"] == 20400
    part = call("POST", "/documents/credit-notes", body={"invoice_id": invoice["id"], "lines": [1]})
    assert part.status == 201 and part.json["type"] == "credit_note" and part.json["gross"] == 6000
    assert part.json["credited_invoice_id"] == invoice["id"]
    note = issue(part.json).json
    assert note["number"] == "CRN-000001" and note["credited_invoice_number"] == invoice["number"]
    after = call("GET", f"/documents/{invoice['id']}").json
    assert (after["credited"], after["due"], after["payment_status"]) == (6000, 14400, "part_paid")
    whole = call("POST", "/documents/credit-notes", body={"invoice_id": invoice["id"]})
    assert whole.status == 422  # 20400 is more than the 14400 left
    rest = call("POST", "/documents/credit-notes", body={"invoice_id": invoice["id"], "lines": [0]}).json
    also = call("POST", "/documents/credit-notes", body={"invoice_id": invoice["id"], "lines": [0]}).json
    assert issue(rest).status == 200
    assert issue(also).status == 422  # drafted when there was room; issued, it would credit more than invoiced
    assert call("GET", f"/documents/{invoice['id']}").json["payment_status"] == "credited"
    quote = issued(world["customer"], "quote")
    assert call("POST", "/documents/credit-notes", body={"invoice_id": quote["id"]}).status == 409
    assert call("POST", "/documents/duplicates", body={"document_id": note["id"]}).status == 409


def test_payments_settle_an_invoice_and_never_exceed_what_is_due(world):
    invoice = issued(world["customer"])  # 144.00
    pay = {"amount": 4400, "date": "2026-12-01", "method": "bank_transfer", "reference": "VIR 123"}
    first = call("POST", f"/documents/{invoice['id']}/payments", body=pay)
    assert first.status == 201 and first.headers["location"] == f"/documents/{invoice['id']}/payments/{first.json['id']}"
    assert call("GET", first.headers["location"]).json == first.json
    part = call("GET", f"/documents/{invoice['id']}").json
    assert (part["paid"], part["due"], part["payment_status"]) == (4400, 10000, "part_paid")
    too_much = call("POST", f"/documents/{invoice['id']}/payments", body={**pay, "amount": 10001})
    assert too_much.status == 422 and too_much.json["errors"][0]["field"] == "amount"
    assert call("POST", f"/documents/{invoice['id']}/payments", body={**pay, "amount": 10000}).status == 201
    paid = call("GET", f"/documents/{invoice['id']}").json
    assert (paid["paid"], paid["due"], paid["payment_status"]) == (14400, 0, "paid")
    assert [p["amount"] for p in call("GET", f"/documents/{invoice['id']}/payments").json["items"]] == [4400, 10000]
    quote = issued(world["customer"], "quote")
    assert call("POST", f"/documents/{quote['id']}/payments", body=pay).status == 409
    assert call("POST", f"/documents/{draft(world['customer'])['id']}/payments", body=pay).status == 409


def test_a_payment_retried_with_its_key_is_recorded_once(world):
    invoice = issued(world["customer"])
    pay = {"amount": 100, "date": "2026-12-01", "method": "card"}
    key = {"Idempotency-Key": "pay-1"}
    one = call("POST", f"/documents/{invoice['id']}/payments", body=pay, headers=key)
    two = call("POST", f"/documents/{invoice['id']}/payments", body=pay, headers=key)
    assert one.status == two.status == 201 and one.json["id"] == two.json["id"]
    assert call("GET", f"/documents/{invoice['id']}").json["paid"] == 100


def test_a_contact_with_documents_is_not_deleted(world):
    doc = draft(world["customer"], delivery_site_id=world["site"])
    site = call("GET", f"/contacts/{world['site']}").json
    refused = call("DELETE", f"/contacts/{world['site']}", headers={"If-Match": f'"{site["version"]}"'})
    assert refused.status == 409 and "financial document" in refused.json["detail"]
    assert call("DELETE", f"/documents/{doc['id']}", headers={"If-Match": '"1"'}).status == 204
    assert call("DELETE", f"/contacts/{world['site']}", headers={"If-Match": f'"{site["version"]}"'}).status == 204


def test_the_person_index_keeps_invoices_and_redacts_quotes(world):
    from crm.platform import dynamo
    from crm.platform.keys import tenant_key
    from crm.platform.personal_data import person

    invoice = draft(world["customer"], person_id=world["accountant"])
    quote = draft(world["customer"], "quote", person_id=world["accountant"])
    entries = {
        e["place"]["record_id"]: e["place"]["erasure"]
        for e in dynamo.query_all(("PK", tenant_key("t1", "PDATA", person(world["accountant"]))))
        if e["place"]["context"] == "finance"
    }
    assert entries == {invoice["id"]: "keep", quote["id"]: "redact"}


def test_another_tenant_sees_nothing(world):
    invoice = issued(world["customer"])
    assert call("GET", f"/documents/{invoice['id']}", tenant="t2").status == 404
    assert call("GET", "/documents", tenant="t2", query={"type": "invoice"}).json["items"] == []
    assert call("POST", "/documents/credit-notes", tenant="t2", body={"invoice_id": invoice["id"]}).status == 422


def test_custom_fields_per_document_type_follow_the_custom_field_rules(world):
    fields = {
        "invoice": [
            {"key": "site_code", "label": "Code chantier", "type": "text", "required": True},
            {"key": "priority", "label": "Priorité", "type": "single_choice", "options": [{"id": "high", "label": "Haute"}]},
        ],
        "opportunity": [{"key": "source", "label": "Source", "type": "text"}],  # the list is open to other kinds (sales)
    }
    current = call("GET", "/finance/settings").json
    saved = call(
        "PATCH", "/finance/settings", role="admin", body={"document_fields": fields}, headers={"If-Match": f'"{current["version"]}"'}
    )
    assert saved.status == 200 and set(saved.json["document_fields"]) == {"invoice", "opportunity"}
    bad = call(
        "POST",
        "/documents",
        body={"type": "invoice", "contact_id": world["customer"], "lines": [LINE], "custom_fields": {"priority": "low", "nope": 1}},
    )
    assert bad.status == 422 and {e["field"] for e in bad.json["errors"]} == {"custom_fields.priority", "custom_fields.nope"}
    doc = draft(world["customer"], custom_fields={"priority": "high"})
    assert doc["custom_fields"] == {"priority": "high"}
    refused = issue(doc)  # a required field unanswered: a draft may lack it, an issued invoice may not
    assert refused.status == 422 and refused.json["errors"][0]["field"] == "custom_fields.site_code"
    answered = call(
        "PATCH", f"/documents/{doc['id']}", body={"custom_fields": {"priority": "high", "site_code": "CH-7"}}, headers={"If-Match": '"1"'}
    )
    assert answered.status == 200
    assert issue(answered.json).json["custom_fields"] == {"priority": "high", "site_code": "CH-7"}
    assert draft(world["customer"], "quote")["custom_fields"] == {}  # quotes have no fields defined


def test_a_create_retried_with_its_key_makes_one_draft(world):
    body = {"type": "quote", "contact_id": world["customer"], "lines": [LINE]}
    one = call("POST", "/documents", body=body, headers={"Idempotency-Key": "q-1"})
    two = call("POST", "/documents", body=body, headers={"Idempotency-Key": "q-1"})
    assert one.status == two.status == 201 and one.json["id"] == two.json["id"]
    assert len(call("GET", "/documents", query={"contact_id": world["customer"]}).json["items"]) == 1


def test_sales_creates_a_quote_through_the_service_and_bad_fields_are_named(world):
    from crm.platform.errors import Invalid

    principal = Principal(tenant="t1", user_id="sales", role="office", email="sales@t1.example")
    with pytest.raises(Invalid) as refused:
        service.create_document(
            principal, {"type": "quote", "contact_id": world["customer"], "lines": []}, {"kind": "opportunity", "id": "x"}
        )
    assert [e.field for e in refused.value.errors] == ["lines"]
