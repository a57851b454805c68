"""Received supplier e-invoices: a Factur-X PDF (the factur-x package's own fixture), a bare CII or
UBL read into a bill (supplier matched by SIREN or proposed, purchase order found by number, the
original kept as uploaded), accepted or refused through the port; and every bad file refused with
a problem naming why, nothing kept of it."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import boto3
import pytest
import requests

from crm.platform import settings
from tests.support.einvoice import xsd_valid
from tests.support.einvoice_world import receive, setup_einvoicing
from tests.support.finance import issued
from tests.support.lambdas import call

FIXTURES = Path(__file__).parents[1] / "fixtures" / "einvoice"
FACTURX_PDF = (FIXTURES / "invoice_EN16931.pdf").read_bytes()
CII = (FIXTURES / "factur-x-en16931.xml").read_bytes()
UBL = (FIXTURES / "ubl-21-en16931.xml").read_bytes()
SUPPLIER_SIREN = "123456782"  # LE FOURNISSEUR, the seller of the package's CII fixtures


@pytest.fixture
def world(aws):
    world = setup_einvoicing()
    group = call("POST", "/contact-groups", role="admin", body={"name": "Fournisseurs"}).json["id"]
    supplier = call("POST", "/contacts", body={"name": "Le Fournisseur", "group_id": group, "kind": "business", "siren": SUPPLIER_SIREN})
    return world | {"supplier": supplier.json["id"]}


def _received_objects(tenant: str = "t1") -> list[str]:
    listed = boto3.client("s3").list_objects_v2(Bucket=settings.attachments_bucket(), Prefix=f"t/{tenant}/received/")
    return [o["Key"] for o in listed.get("Contents", [])]


def test_a_facturx_pdf_from_the_packages_fixtures_becomes_a_bill_of_its_matched_supplier(world):
    reply = receive(FACTURX_PDF)
    assert reply.status == 201, reply.body
    bill = reply.json
    assert (bill["number"], bill["type"], bill["format"], bill["status"]) == ("F20260023", "invoice", "factur-x", "received")
    assert (bill["issue_date"], bill["due_date"], bill["currency"]) == ("2026-01-31", "2026-03-02", "EUR")
    assert bill["supplier"]["contact_id"] == world["supplier"] and bill["supplier"]["siren"] == SUPPLIER_SIREN
    assert (bill["net"], bill["tax"], bill["gross"], bill["due"]) == (10000, 490, 10490, 10490)
    assert [(line["description"], line["net"]) for line in bill["lines"]] == [
        ("PRESTATION SUPPORT", 6000),
        ("FOURNITURES PAPIER", 2800),
        ("APPEL", 700),
    ]
    assert sum(t["tax"] for t in bill["taxes"]) == 490
    assert bill["purchase_order_number"] == "PO201925478" and bill.get("purchase_order_id") is None
    assert reply.headers["location"] == f"/received-invoices/{bill['id']}"
    link = call("GET", f"/received-invoices/{bill['id']}/original").json
    assert hashlib.sha256(requests.get(link["url"], timeout=10).content).digest() == hashlib.sha256(FACTURX_PDF).digest()
    assert [b["id"] for b in call("GET", "/received-invoices").json["items"]] == [bill["id"]]
    assert call("GET", f"/received-invoices/{bill['id']}", tenant="t2").status == 404


def test_a_ubl_of_an_unknown_supplier_proposes_the_contact_and_a_cii_finds_its_purchase_order(world):
    ubl = receive(UBL, "facture.xml", "application/xml").json
    assert ubl["format"] == "ubl" and ubl["supplier"].get("contact_id") is None
    assert ubl["supplier"]["name"] == "Au bon moulin" and ubl["supplier"]["siren"] == "999999998"
    assert (ubl["gross"], ubl["due"]) == (30803, 20803)  # 100.00 prepaid

    order = issued(world["supplier"], "purchase_order")
    cii = CII.replace(b"PO201925478", order["number"].encode()).replace(b"F20260023", b"F20260024")
    bill = receive(cii, "facture.xml", "text/xml").json
    assert bill["format"] == "cii" and bill["purchase_order_id"] == order["id"] and bill["purchase_order_number"] == order["number"]


def test_a_bill_is_accepted_or_refused_with_a_reason_and_the_answer_goes_through_the_port(world):
    accepted = receive(FACTURX_PDF).json
    refused = receive(UBL, "ubl.xml", "application/xml").json
    no_reason = call("POST", f"/received-invoices/{refused['id']}/decision", body={"decision": "refuse"}, headers={"If-Match": '"1"'})
    assert no_reason.status == 422 and no_reason.json["errors"][0]["field"] == "reason"
    ok = call("POST", f"/received-invoices/{accepted['id']}/decision", body={"decision": "accept"}, headers={"If-Match": '"1"'})
    assert ok.status == 200 and ok.json["status"] == "accepted" and ok.json["answered_at"]
    no = call(
        "POST",
        f"/received-invoices/{refused['id']}/decision",
        body={"decision": "refuse", "reason": "Prix non conforme à la commande"},
        headers={"If-Match": '"1"'},
    )
    assert no.status == 200 and no.json["status"] == "refused" and no.json["refusal_reason"] == "Prix non conforme à la commande"
    again = call(
        "POST", f"/received-invoices/{accepted['id']}/decision", body={"decision": "refuse", "reason": "x"}, headers={"If-Match": '"2"'}
    )
    assert again.status == 409
    stale = call("POST", f"/received-invoices/{refused['id']}/decision", body={"decision": "accept"}, headers={"If-Match": '"1"'})
    assert stale.status == 412
    s3 = boto3.client("s3")
    answers = {
        bill["id"]: json.loads(
            s3.get_object(Bucket=settings.documents_bucket(), Key=f"platform/t/t1/received/{bill['id']}/answer.json")["Body"].read()
        )
        for bill in (accepted, refused)
    }
    assert answers[accepted["id"]]["status"] == "approved"
    assert answers[refused["id"]] | {"at": None} == {"status": "refused", "reason": "Prix non conforme à la commande", "at": None}


XXE = b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>'


def _billion_laughs() -> bytes:
    """Ten levels of entities, each ten of the one below: 10^9 "lol"s once expanded."""
    levels = ['<!ENTITY lol0 "lol">'] + [f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">' for i in range(1, 10)]
    return f'<?xml version="1.0"?><!DOCTYPE lolz [{"".join(levels)}]><lolz>&lol9;</lolz>'.encode()


BOMB = _billion_laughs()
LATE_DOCTYPE = b'<?xml version="1.0"?><!--' + b"x" * 5000 + b'--><!DOCTYPE r [<!ENTITY x "y">]><r>&x;</r>'


def _blank_pdf() -> bytes:
    from pypdf import PdfWriter

    writer, out = PdfWriter(), io.BytesIO()
    writer.add_blank_page(width=595, height=842)
    writer.write(out)
    return out.getvalue()


def _pdf_with(xml: bytes) -> bytes:
    """A PDF carrying `xml` as its factur-x.xml attachment."""
    from pypdf import PdfWriter

    writer, out = PdfWriter(), io.BytesIO()
    writer.add_blank_page(width=595, height=842)
    writer.add_attachment("factur-x.xml", xml)
    writer.write(out)
    return out.getvalue()


def _bad_xsd() -> bytes:
    return CII.replace(b"<ram:TypeCode>380</ram:TypeCode>", b"<ram:TypeCode>380</ram:TypeCode><ram:Bogus>1</ram:Bogus>", 1)


def _lines_off() -> bytes:
    return CII.replace(b"<ram:LineTotalAmount>60.00</ram:LineTotalAmount>", b"<ram:LineTotalAmount>61.00</ram:LineTotalAmount>", 1)


@pytest.mark.parametrize(
    ("data", "filename", "content_type", "says"),
    [
        (XXE, "xxe.xml", "application/xml", "DTD"),
        (BOMB, "bomb.xml", "application/xml", "DTD"),
        (LATE_DOCTYPE, "late.xml", "application/xml", "DTD"),
        (_blank_pdf(), "plain.pdf", "application/pdf", "no embedded Factur-X XML"),
        (_pdf_with(XXE), "xxe.pdf", "application/pdf", "no embedded Factur-X XML"),  # never expanded: not an invoice
        (b"%PDF-1.7 not really", "broken.pdf", "application/pdf", "not a PDF that can be read"),
        (_bad_xsd(), "bad.xml", "application/xml", "XSD"),
        (_lines_off(), "off.xml", "application/xml", "BR-CO-10"),
        ((FIXTURES / "factur-x-minimum.xml").read_bytes(), "min.xml", "application/xml", "MINIMUM"),
        (b"<r>not an invoice</r>", "r.xml", "application/xml", "neither"),
    ],
)
def test_a_bad_file_is_a_422_naming_why_and_nothing_of_it_is_kept(world, data, filename, content_type, says):
    reply = receive(data, filename, content_type)
    assert reply.status == 422, reply.body
    assert reply.json["errors"][0]["field"] == "upload_id" and says in reply.json["errors"][0]["message"]
    assert _received_objects() == [] and call("GET", "/received-invoices").json["items"] == []


def test_a_file_valid_against_its_xsd_that_breaks_schematron_rules_is_a_422_naming_the_file_and_each_rule(world):
    assert xsd_valid(_lines_off(), "factur-x")  # the XSD alone lets it through
    reply = receive(_lines_off(), "off.xml", "application/xml")
    assert reply.status == 422
    assert "off.xml" in reply.json["detail"] and "Factur-X EN16931" in reply.json["detail"]
    rules = {e["message"].split(" ")[2]: e["message"] for e in reply.json["errors"]}
    assert set(rules) == {"BR-CO-10", "BR-E-08"}  # the lines' sum, and the exempt VAT breakdown it feeds
    assert "Sum of Invoice line net amount (BT-106)" in rules["BR-CO-10"] and rules["BR-CO-10"].startswith("off.xml breaks")
    assert {e["field"] for e in reply.json["errors"]} == {"upload_id"}
    assert _received_objects() == [] and call("GET", "/received-invoices").json["items"] == []


def test_a_ubl_that_passes_en_16931_but_breaks_a_french_ctc_rule_is_refused_naming_it(world):
    ubl = UBL.replace(b"<cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode>", b"<cbc:InvoiceTypeCode>71</cbc:InvoiceTypeCode>", 1)
    reply = receive(ubl, "ubl.xml", "application/xml")
    assert reply.status == 422 and "ubl.xml" in reply.json["detail"] and "CTC FR flux 2" in reply.json["detail"], reply.body
    assert [e["message"].split(" ")[2] for e in reply.json["errors"]] == ["BR-FR-04_BT-3"]  # a request for payment: not in France's list
    assert _received_objects() == []


def test_the_xsd_problem_names_the_element_at_fault(world):
    reply = receive(_bad_xsd(), "bad.xml", "application/xml")
    assert "Bogus" in reply.json["errors"][0]["message"]


def test_the_same_supplier_invoice_twice_is_a_409_and_the_second_file_is_not_kept(world):
    first = receive(FACTURX_PDF)
    assert first.status == 201
    second = receive(CII, "same.xml", "application/xml")  # the same invoice, as its bare CII
    assert second.status == 409 and "F20260023" in second.json["detail"]
    assert [b["id"] for b in call("GET", "/received-invoices").json["items"]] == [first.json["id"]]
    assert len(_received_objects()) == 1
    again = call("POST", "/received-invoices", body={"upload_id": first.json["id"]})
    assert again.status == 409 and len(_received_objects()) == 1  # the first bill's original stays


def test_an_upload_is_capped_by_its_policy(world):
    big = call(
        "POST", "/received-invoices/uploads", body={"filename": "x.pdf", "content_type": "application/pdf", "size": 30 * 1024 * 1024}
    )
    assert big.status == 422 and big.json["errors"][0]["field"] == "size"
    asked = call("POST", "/received-invoices/uploads", body={"filename": "x.pdf", "content_type": "application/pdf", "size": 100}).json
    posted = requests.post(
        asked["upload"]["url"], data=asked["upload"]["fields"], files={"file": ("x.pdf", b"%PDF-" + b"0" * 2000)}, timeout=10
    )
    assert posted.status_code == 400 and "EntityTooLarge" in posted.text
    missing = call("POST", "/received-invoices", body={"upload_id": asked["upload_id"]})
    assert missing.status == 422 and missing.json["errors"][0]["field"] == "upload_id"
    other = call("POST", "/received-invoices/uploads", body={"filename": "x.exe", "content_type": "application/x-msdownload", "size": 10})
    assert other.status == 422 and other.json["errors"][0]["field"] == "content_type"


def test_invoices_the_platform_delivers_become_bills_and_a_bad_one_is_refused_back(world):
    from crm.finance.einvoice.local_platform import LocalPlatform

    platform = LocalPlatform()
    good = platform.deliver("t1", "F20260023.pdf", FACTURX_PDF)
    bad = platform.deliver("t1", "broken.xml", _lines_off().replace(b"F20260023", b"F20260099"))
    taken = call("POST", "/received-invoices/deliveries")
    assert taken.status == 200, taken.body
    assert [b["id"] for b in taken.json["received"]] == [good] and taken.json["received"][0]["supplier"]["contact_id"] == world["supplier"]
    assert [(r["received_id"], "broken.xml breaks BR-CO-10" in r["reason"]) for r in taken.json["refused"]] == [(bad, True)]
    s3 = boto3.client("s3")
    answer = json.loads(s3.get_object(Bucket=settings.documents_bucket(), Key=f"platform/t/t1/received/{bad}/answer.json")["Body"].read())
    assert answer["status"] == "refused" and "BR-CO-10" in answer["reason"]  # the supplier hears which rule
    assert call("POST", "/received-invoices/deliveries").json == {"received": [], "refused": []}  # acknowledged: taken once
    assert len(_received_objects()) == 1  # the good one's original; nothing of the bad one
    platform.deliver("t1", "again.pdf", FACTURX_PDF)  # the same invoice delivered twice: taken once
    assert call("POST", "/received-invoices/deliveries").json == {"received": [], "refused": []}
    assert [b["id"] for b in call("GET", "/received-invoices").json["items"]] == [good]
