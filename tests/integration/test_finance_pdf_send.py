"""A document's PDF and its sending: PDF/A-3 stored in S3 at issue under the tenant and contact,
in the document's language, the same pages when made again, never replaced; downloaded through a
presigned URL; sent through the one mail path with the PDF attached, archived on the contact, and
sent once after a failure between S3 and SES."""

from __future__ import annotations

import hashlib

import boto3
import pytest
from botocore.exceptions import ClientError

from crm.finance import pdfs, service
from crm.platform import mail, settings
from tests.support import mail as outbox
from tests.support.documents import fonts, normalised, page_texts
from tests.support.finance import LINE, draft, issue, issued, setup_finance
from tests.support.lambdas import call


@pytest.fixture
def world(aws):
    return setup_finance()


def _stored(document: dict) -> bytes:
    return boto3.client("s3").get_object(Bucket=settings.documents_bucket(), Key=document["pdf"]["key"])["Body"].read()


def test_issue_stores_the_pdf_in_the_documents_language_and_a_render_is_byte_identical(world):
    invoice = issued(
        world["customer"],
        lines=[LINE, {**LINE, "description": "Joint", "quantity": "2.5", "unit_price": 1999}],
        person_id=world["accountant"],
    )
    assert invoice["pdf"]["key"] == f"t/t1/contacts/{world['customer']}/documents/{invoice['id']}/INV-000001.pdf"
    data = _stored(invoice)
    assert hashlib.sha256(data).hexdigest() == invoice["pdf"]["sha256"] and len(data) == invoice["pdf"]["size"]
    # A business's invoice is Factur-X: the render with its XML embedded (test_einvoice_facturx); the same pages.
    assert page_texts(pdfs.render(service.get("t1", invoice["id"]), None)) == page_texts(data)
    text = " ".join(page_texts(data))
    for expected in (
        "Facture INV-000001",
        "Société Générale d'Équipement",
        "69003 Lyon",
        "Plomberie Dupont SAS",
        "Joint",
        "49,98 €",
        "TVA 20 % sur 169,98 €",
        "Total TTC à payer 203,98 €",
        "Page 1 sur 1",
    ):
        assert expected in text, expected
    assert all(font.program for font in fonts(data).values())  # every font embedded (PDF/A)
    # ...and a copy filed in the contact's folder, as a financial attachment.
    (filed,) = call("GET", f"/contacts/{world['customer']}/attachments").json["items"]
    assert (filed["id"], filed["category"], filed["filename"], filed["size"]) == (invoice["id"], "financial", "INV-000001.pdf", len(data))
    assert [e["kind"] for e in call("GET", f"/contacts/{world['customer']}/folder").json["items"]] == ["attachment"]


def test_a_long_document_numbers_its_pages(world):
    invoice = issued(world["customer"], lines=[{**LINE, "description": f"Ligne {i}"} for i in range(120)])
    texts = page_texts(_stored(invoice))
    assert len(texts) > 2 and f"Page {len(texts)} of {len(texts)}" in texts[-1]  # the account's English
    assert "Ligne 119" in texts[-1] or "Ligne 119" in " ".join(texts)


def test_the_download_link_reads_the_stored_file(world):
    invoice = issued(world["customer"])
    link = call("GET", f"/documents/{invoice['id']}/pdf")
    assert link.status == 200 and link.json["filename"] == "INV-000001.pdf"
    assert invoice["pdf"]["key"].replace("'", "%27") in link.json["url"] or invoice["id"] in link.json["url"]


def test_a_draft_is_previewed_as_it_would_be_issued_and_not_kept(world):
    doc = draft(world["customer"], person_id=world["accountant"])
    link = call("GET", f"/documents/{doc['id']}/pdf")
    assert link.status == 200 and link.json["filename"] == f"draft-{doc['id']}.pdf"
    (preview,) = boto3.client("s3").list_objects_v2(Bucket=settings.documents_bucket(), Prefix="previews/")["Contents"]
    assert preview["Key"].startswith(f"previews/t/t1/{doc['id']}/")  # the bucket's lifecycle removes previews/ after a day
    data = boto3.client("s3").get_object(Bucket=settings.documents_bucket(), Key=preview["Key"])["Body"].read()
    text = " ".join(page_texts(data))
    assert "Projet de facture" in text and "Numéro brouillon" in text and "144,00 €" in text
    after = call("GET", f"/documents/{doc['id']}").json
    assert after["status"] == "draft" and after["version"] == 1 and after["pdf"] is None


def test_a_pdf_that_could_not_be_stored_at_issue_is_made_on_download_and_never_replaced(world, monkeypatch):
    real = pdfs._s3

    class Down:
        def __getattr__(self, name):
            if name == "put_object":

                def fail(**kw):
                    raise ClientError({"Error": {"Code": "ServiceUnavailable", "Message": "down"}}, "PutObject")

                return fail
            return getattr(real(), name)

    monkeypatch.setattr(pdfs, "_s3", Down)
    invoice = issue(draft(world["customer"])).json
    assert invoice["status"] == "issued" and invoice["number"] == "INV-000001" and invoice["pdf"] is None
    monkeypatch.setattr(pdfs, "_s3", real)
    link = call("GET", f"/documents/{invoice['id']}/pdf")
    assert link.status == 200
    stored = service.get("t1", invoice["id"])
    assert page_texts(_stored(stored)) == page_texts(pdfs.render(stored, None))
    # A file under the key that is not this document's render is never overwritten.
    other = issued(world["customer"])
    boto3.client("s3").delete_object(Bucket=settings.documents_bucket(), Key=other["pdf"]["key"])
    boto3.client("s3").put_object(Bucket=settings.documents_bucket(), Key=other["pdf"]["key"], Body=b"%PDF-other", Metadata={"sha256": "0"})
    from crm.finance import repository

    repository.save_document("t1", {k: v for k, v in other.items() if k != "pdf"} | {"version": other["version"] + 1}, other["version"])
    assert call("GET", f"/documents/{other['id']}/pdf").status == 409
    assert _stored(other) == b"%PDF-other"


def test_send_emails_the_pdf_to_the_persons_who_receive_financial_documents(world):
    invoice = issued(world["customer"], person_id=world["accountant"])
    reply = call("POST", f"/documents/{invoice['id']}/send", body={})
    assert reply.status == 200 and reply.json["to"] == ["anne@sge.example"]
    assert reply.json["document"]["status"] == "sent" and reply.json["document"]["sent_at"]
    (message,) = outbox.sent()
    assert message["to"] == ["anne@sge.example"]
    assert message["subject"] == "Facture INV-000001 de Plomberie Dupont SAS"  # Anne reads French
    assert "(144,00 €)" in normalised(message["body"])
    assert message["attachments"] == [{"filename": "INV-000001.pdf", "content_type": "application/pdf", "size": invoice["pdf"]["size"]}]
    (archived,) = call("GET", f"/contacts/{world['customer']}/emails").json["items"]
    assert archived["kind"] == "financial_document" and archived["related_id"] == invoice["id"]
    assert archived["attachments"][0]["s3_key"] == invoice["pdf"]["key"]
    again = call("POST", f"/documents/{invoice['id']}/send", body={"to": ["bob@sge.example"]})
    assert again.status == 200 and again.json["document"]["status"] == "sent" and len(outbox.sent()) == 2
    assert outbox.sent()[1]["subject"] == "Invoice INV-000001 from Plomberie Dupont SAS"  # Bob reads the account's English


def test_send_needs_a_recipient_and_an_issued_document(world):
    other = issued(world["other"])
    reply = call("POST", f"/documents/{other['id']}/send", body={})
    assert reply.status == 422 and reply.json["errors"][0]["field"] == "to"
    assert call("POST", f"/documents/{draft(world['customer'])['id']}/send", body={"to": ["x@example.com"]}).status == 409
    assert outbox.sent() == []


def test_ses_failing_after_s3_leaves_the_document_unsent_and_a_retry_sends_it_once(world, monkeypatch):
    invoice = issue(draft(world["customer"])).json
    real = mail.send

    def refuse(message):
        raise ClientError({"Error": {"Code": "MessageRejected", "Message": "SES is down"}}, "SendRawEmail")

    monkeypatch.setattr(mail, "send", refuse)
    failed = call("POST", f"/documents/{invoice['id']}/send", body={})
    assert failed.status == 503
    assert call("GET", f"/documents/{invoice['id']}").json["status"] == "issued"
    assert outbox.sent() == [] and call("GET", f"/contacts/{world['customer']}/emails").json["items"] == []
    monkeypatch.setattr(mail, "send", real)
    assert call("POST", f"/documents/{invoice['id']}/send", body={}).status == 200
    assert len(outbox.sent()) == 1
    assert call("GET", f"/documents/{invoice['id']}").json["status"] == "sent"


def test_a_send_while_another_is_in_flight_is_refused(world):
    from crm.finance import repository
    from crm.platform import clock

    invoice = issued(world["customer"])
    repository.start_sending("t1", invoice["id"], int(clock.now().timestamp()), 120)
    assert call("POST", f"/documents/{invoice['id']}/send", body={}).status == 409
    assert outbox.sent() == []
