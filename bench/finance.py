"""Finance documents: an issued invoice's PDF as `crm.finance.pdfs.render` makes it (every text
through the catalogue and Babel, PDF/A-3b) against raw reportlab canvas calls drawing the documents
bench's invoice page (the same letterhead and logo, 12 lines of which a third wrap, totals, legal
mentions, footer; bench/documents.py), both one page; and the AWS requests each FinanceFunction
route makes."""

from __future__ import annotations

from collections import Counter

from bench import documents
from bench.env import AwsCalls, breakdown, stack
from bench.timing import interleaved, spread
from tests.support.lambdas import call

TENANT = "bench"
SELLER = {
    "legal_name": "Plomberie Dupont SAS",
    "legal_form": "SAS",
    "share_capital": {"amount": 1000000, "currency": "EUR"},
    "siren": "303265045",
    "rcs_city": "Paris",
    "vat_number": "FR40303265045",
    "late_payment_rate": "12.15",
    "recovery_indemnity": {"amount": 4000, "currency": "EUR"},
    "early_payment_discount": "none",
}
LEGAL = {"seller": SELLER, "buyer": {"name": "Société Générale d'Équipement", "kind": "business"}}
# The account's legal identity (PUT /settings/legal) and a business customer, complete for an invoice.
LEGAL_IDENTITY = {
    **{k: v for k, v in SELLER.items() if k != "siren"},
    "siret": "30326504500011",
    "address": {"line1": "12 rue des Lilas", "postcode": "75011", "city": "Paris", "country": "FR"},
    "iban": "FR7630006000011234567890189",
}
BUSINESS = {
    "kind": "business",
    "siren": "732829320",
    "address": {"line1": "3 rue de l'Église", "postcode": "69003", "city": "Lyon", "country": "FR"},
}


def _document(logo_digest: str | None) -> dict:
    page = documents._invoice()
    lines = [
        {
            "description": row[0],
            "quantity": "2",
            "unit_price": 194444,
            "discount": "0",
            "tax_rate": "S20",
            "tax_category": "S",
            "tax_percent": "20",
            "net": 388888,
        }
        for row in page["lines"]
    ]
    return {
        "id": "01JBENCH000000000000000000",
        "version": 2,
        "type": "invoice",
        "status": "issued",
        "number": "INV-000123",
        "contact_id": "01JBENCHCONTACT00000000000",
        "currency": "EUR",
        "locale": "fr-FR",
        "issue_date": "2026-01-15",
        "due_date": "2026-02-14",
        "issued_at": "2026-01-15T09:30:00+00:00",
        "created_at": "2026-01-15T09:00:00+00:00",
        "lines": lines,
        "taxes": [{"category": "S", "rate": "20", "taxable": 4666656, "tax": 933331}],
        "net": 4666656,
        "tax": 933331,
        "gross": 5599987,
        "seller": {"name": page["company"], "lines": page["company_lines"]},
        "customer": {"name": page["billing"][1][0], "lines": page["billing"][1][1:]},
        "delivery": {"name": page["delivery"][1][0], "lines": page["delivery"][1][1:]},
        "legal": LEGAL,  # the footer and the payment mentions of the documents bench's page (crm.finance.einvoice.mentions)
        "logo_sha256": logo_digest,
    }


def _pdf_rows() -> list[dict]:
    from crm.finance import pdfs

    page = documents._invoice()
    doc = _document(None)
    if documents._pages(pdfs.render(doc, page["logo"])) != 1:
        raise RuntimeError("the finance invoice does not fit one page: it would not be compared page for page")
    samples = interleaved(
        {"raw": lambda: documents._raw_invoice(page), "finance": lambda: pdfs.render(doc, page["logo"])},
        documents.PDF_WARM_UP,
        documents.PDF_REPETITIONS,
    )
    raw_ms, raw_spread = spread(samples["raw"])
    fin_ms, fin_spread = spread(samples["finance"])
    return [
        {
            "Measure": "invoice page, raw reportlab canvas (floor)",
            "Median ms": f"{raw_ms:.2f}",
            "p90/median": f"{raw_spread:.2f}",
            "Rate": f"{1000 / raw_ms:.0f} pages/s",
            "× floor rate": "1.00",
        },
        {
            "Measure": "issued invoice, crm.finance.pdfs.render",
            "Median ms": f"{fin_ms:.2f}",
            "p90/median": f"{fin_spread:.2f}",
            "Rate": f"{1000 / fin_ms:.0f} pages/s",
            "× floor rate": f"{raw_ms / fin_ms:.2f}",
        },
    ]


def _ok(method: str, path: str, role: str = "office", **kwargs):
    reply = call(method, path, tenant=TENANT, role=role, **kwargs)
    if not 200 <= reply.status < 300:
        raise RuntimeError(f"{method} {path} -> {reply.status}: {reply.body}")
    return reply


def _request_rows() -> list[dict]:
    calls = AwsCalls()
    rows = []
    with stack(calls):
        group = _ok("POST", "/contact-groups", role="admin", body={"name": "Customers"}).json["id"]
        _ok("PUT", "/settings/legal", role="admin", body=LEGAL_IDENTITY, headers={"If-Match": '"0"'})
        contact = _ok("POST", "/contacts", body={"name": "ABC", "group_id": group, **BUSINESS}).json["id"]
        _ok(
            "POST", f"/contacts/{contact}/persons", body={"name": "Anne", "email": "anne@abc.example", "receives_financial_documents": True}
        )
        line = {"description": "Entretien", "unit_price": 12000, "tax_rate": "S20"}
        calls.take()
        steps = [
            (
                "PATCH",
                "/finance/settings",
                {"role": "admin", "body": {"tax_rates": [{"code": "S20", "name": "TVA", "rate": "20"}]}, "headers": {"If-Match": '"0"'}},
            ),
            ("GET", "/finance/settings", {}),
            ("POST", "/documents", {"body": {"type": "invoice", "contact_id": contact, "lines": [line] * 5}}),
        ]
        for method, path, kwargs in steps:
            reply = _ok(method, path, **kwargs)
            rows.append(_row(f"{method} {path}", calls.take()))
        doc = reply.json["id"]
        for method, path, kwargs in [
            ("GET", f"/documents/{doc}", {}),
            ("PATCH", f"/documents/{doc}", {"body": {"notes": "x"}, "headers": {"If-Match": '"1"'}}),
            ("POST", f"/documents/{doc}/issue", {"headers": {"If-Match": '"2"'}}),
            ("GET", f"/documents/{doc}/pdf", {}),
            ("GET", f"/documents/{doc}/einvoice", {"query": {"format": "ubl"}}),
            ("POST", f"/documents/{doc}/send", {"body": {}}),
            ("POST", f"/documents/{doc}/payments", {"body": {"amount": 100, "date": "2026-12-01", "method": "card"}}),
            ("GET", f"/documents/{doc}/payments", {}),
            ("POST", "/documents/credit-notes", {"body": {"invoice_id": doc, "lines": [0]}}),
            ("POST", "/documents/duplicates", {"body": {"document_id": doc}}),
            ("GET", "/documents", {"query": {"contact_id": contact}}),
            ("GET", "/documents", {"query": {"type": "invoice", "status": "sent"}}),
            ("GET", "/documents/export", {"query": {"type": "invoice", "format": "xlsx"}}),
        ]:
            _ok(method, path, **kwargs)
            rows.append(
                _row(
                    f"{method} {path.replace(doc, '{id}')}" + (f" ?{'&'.join(kwargs['query'])}" if "query" in kwargs else ""), calls.take()
                )
            )
    return rows


def _row(route: str, counts: Counter) -> dict:
    dynamodb, detail = breakdown(counts, "dynamodb")
    other, other_detail = breakdown(counts, None)
    return {"Route": route, "DynamoDB": dynamodb, "DynamoDB calls": detail, "Other AWS": other, "Other calls": other_detail}


def measure() -> list[dict]:
    return [*_pdf_rows(), *_request_rows()]
