"""Finance on the local stack over HTTP: an invoice issued, its PDF downloaded through the
presigned URL (PDF/A-3, the number in it, Factur-X: its CII XML in it), its UBL downloaded, sent, and the email with its attachment in the outbox."""

from __future__ import annotations

import pytest
import requests
from facturx import get_xml_from_pdf

from tests.support.documents import page_texts
from tests.support.finance import CUSTOMER_SIREN, SELLER

pytestmark = pytest.mark.e2e


def test_issue_download_and_send_an_invoice(stack, api):
    admin, office = api("admin"), api("office")
    assert admin.patch(
        "/finance/settings",
        json={"tax_rates": [{"code": "S20", "name": "TVA 20 %", "rate": "20"}], "company": {"name": "Plomberie Dupont SAS"}},
        headers={"If-Match": '"0"'},
    ).ok
    assert admin.put("/settings/legal", json=SELLER, headers={"If-Match": '"0"'}).ok
    group = admin.post("/contact-groups", json={"name": "Clients"}).json()["id"]
    address = {"line1": "3 rue X", "postcode": "69003", "city": "Lyon", "country": "FR"}
    business = {"kind": "business", "siren": CUSTOMER_SIREN}
    contact = office.post("/contacts", json={"name": "ABC Lyon", "group_id": group, "address": address, **business}).json()
    office.post(
        f"/contacts/{contact['id']}/persons", json={"name": "Anne", "email": "anne@abc.example", "receives_financial_documents": True}
    )
    draft = office.post(
        "/documents",
        json={
            "type": "invoice",
            "contact_id": contact["id"],
            "lines": [{"description": "Entretien", "unit_price": 12000, "tax_rate": "S20"}],
        },
    ).json()
    issued = office.post(f"/documents/{draft['id']}/issue", headers={"If-Match": '"1"'})
    assert issued.status_code == 200, issued.text
    assert issued.json()["number"] == "INV-000001" and issued.json()["gross"] == 14400

    link = office.get(f"/documents/{draft['id']}/pdf").json()
    pdf = requests.get(link["url"], timeout=15)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-1.7")
    assert "INV-000001" in page_texts(pdf.content)[0]
    assert b"<ram:ID>INV-000001</ram:ID>" in get_xml_from_pdf(pdf.content, check_xsd=False)[1]  # Factur-X: a business's invoice

    link = office.get(f"/documents/{draft['id']}/einvoice", params={"format": "ubl"}).json()
    ubl = requests.get(link["url"], timeout=15)
    assert ubl.status_code == 200 and ubl.headers["Content-Type"] == "application/xml"
    assert b"<cbc:ID>INV-000001</cbc:ID>" in ubl.content

    sent = office.post(f"/documents/{draft['id']}/send", json={})
    assert sent.status_code == 200, sent.text
    assert sent.json()["document"]["status"] == "sent"
    message = next(m for m in stack.outbox() if m.get("to") == ["anne@abc.example"])
    assert "INV-000001" in message["subject"]
    assert [a["filename"] for a in message["attachments"]] == ["INV-000001.pdf"]
