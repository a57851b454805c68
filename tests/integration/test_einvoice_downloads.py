"""GET /documents/{id}/einvoice?format=cii|ubl: the bare XML of an issued invoice or credit note,
through a presigned link served as application/xml: the CII is the one its Factur-X PDF holds; the
UBL 2.1 passes the XSD and the EN 16931 and French CTC schematrons, its amounts the document's."""

from __future__ import annotations

from decimal import Decimal

import boto3
import pytest
from facturx import get_xml_from_pdf, parse_ubl_cii_xml

from crm.platform import settings
from tests.support.einvoice import UBL_EN16931, UBL_FR_CTC, schematron_failures, stored_pdf, xsd_valid
from tests.support.finance import LINE, draft, issue, issued, setup_finance
from tests.support.lambdas import call

LINES = [LINE, {"description": "Main d'œuvre", "quantity": "1.5", "unit_price": 5050, "discount": "10", "tax_rate": "S5"}]


@pytest.fixture
def world(aws):
    return setup_finance()


def _download(document: dict, form: str) -> bytes:
    reply = call("GET", f"/documents/{document['id']}/einvoice", query={"format": form})
    assert reply.status == 200, reply.body
    assert reply.json["filename"] == f"{document['number']}.{form}.xml"
    assert "response-content-type=application%2Fxml" in reply.json["url"]
    key = f"t/t1/contacts/{document['contact_id']}/documents/{document['id']}/{reply.json['filename']}"
    return boto3.client("s3").get_object(Bucket=settings.documents_bucket(), Key=key)["Body"].read()


def test_the_cii_download_is_the_xml_of_the_factur_x(world):
    invoice = issued(world["customer"], lines=LINES)
    assert _download(invoice, "cii") == get_xml_from_pdf(stored_pdf(invoice), check_xsd=False)[1]


def test_the_ubl_download_passes_the_xsd_and_both_schematrons_with_the_documents_amounts(world):
    invoice = issued(world["customer"], lines=LINES, delivery_site_id=world["site"])
    xml = _download(invoice, "ubl")
    assert xsd_valid(xml, "ubl-2.1")
    assert schematron_failures(xml, UBL_EN16931) == [] and schematron_failures(xml, UBL_FR_CTC) == []
    data = parse_ubl_cii_xml(xml)
    assert (data["BT-1"], data["BT-3"]) == ("INV-000001", "380")
    assert [Decimal(data[bt]) for bt in ("BT-109", "BT-110", "BT-112")] == [Decimal(invoice[k]) / 100 for k in ("net", "tax", "gross")]


def test_a_credit_notes_ubl_is_a_credit_note_naming_its_invoice(world):
    invoice = issued(world["customer"])
    note = issue(call("POST", "/documents/credit-notes", body={"invoice_id": invoice["id"]}).json).json
    xml = _download(note, "ubl")
    assert b"<CreditNote" in xml and schematron_failures(xml, UBL_EN16931) == []
    assert [ref["BT-25"] for ref in parse_ubl_cii_xml(xml)["BG-3"]] == ["INV-000001"]


def test_only_an_issued_invoice_or_credit_note_has_one(world):
    quote = issued(world["customer"], "quote")
    pending = draft(world["customer"])
    for document in (quote, pending):
        reply = call("GET", f"/documents/{document['id']}/einvoice", query={"format": "cii"})
        assert reply.status == 409, reply.body
    assert call("GET", f"/documents/{quote['id']}/einvoice", query={"format": "pdf"}).status == 422
    assert call("GET", f"/documents/{quote['id']}/einvoice").status == 422
    assert call("GET", f"/documents/{quote['id']}/einvoice", query={"format": "cii"}, tenant="t2").status == 404
