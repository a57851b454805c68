"""The one mail path: what it sends through SES (attachments, headers), what it files, whom it skips."""

from __future__ import annotations

import pytest

from crm.contacts import mailer
from infra.moto_stack import Outbox
from tests.support.lambdas import call
from tests.support.mail import sent

PDF = b"%PDF-1.7\n" + bytes(range(256)) * 4  # binary content survives the MIME round trip


@pytest.fixture
def contact(aws):
    group = call("POST", "/contact-groups", role="admin", body={"name": "Customers"}).json["id"]
    return call("POST", "/contacts", body={"name": "ABC SA", "group_id": group}).json


def statement(contact_id: str | None, to: list[str], **extra) -> mailer.Email:
    return mailer.Email(
        to=to,
        compose=lambda reader: ("Your statement", "Please find your statement attached."),
        html=lambda reader: "<p>Please find your statement attached.</p>",
        kind="statement",
        contact_id=contact_id,
        related_id="01JABCDEFGHJKMNPQRSTVWXYZ0",
        attachments=(mailer.Attachment("statement.pdf", "application/pdf", PDF, s3_key="t/t1/documents/statement.pdf"),),
        **extra,
    )


def test_an_attachment_and_unsubscribe_headers_reach_ses_and_the_local_outbox(contact):
    headers = {"List-Unsubscribe": "<https://crm.example/unsubscribe/abc>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
    assert len(mailer.send("t1", statement(contact["id"], ["Accounts@ABC.example"], headers=headers))) == 1

    outbox = Outbox()
    outbox.attach()  # what GET /_local/outbox serves
    (shown,) = outbox.messages()
    assert shown["to"] == ["accounts@abc.example"] and shown["subject"] == "Your statement"
    assert shown["body"].strip() == "Please find your statement attached."
    assert shown["attachments"] == [{"filename": "statement.pdf", "content_type": "application/pdf", "size": len(PDF)}]
    assert shown["headers"] == headers

    (archived,) = call("GET", f"/contacts/{contact['id']}/emails").json["items"]
    assert archived["kind"] == "statement" and archived["to"] == ["accounts@abc.example"] and archived["message_id"] == shown["id"]
    # The archive names the file and where it is kept, never its bytes.
    assert archived["attachments"] == [
        {"filename": "statement.pdf", "content_type": "application/pdf", "size": len(PDF), "s3_key": "t/t1/documents/statement.pdf"}
    ]


def test_an_email_about_no_contact_is_filed_on_the_account(contact):
    mailer.send("t1", statement(None, ["office@t1.example"]))
    reply = call("GET", "/emails")
    assert reply.status == 200, reply.body
    (archived,) = reply.json["items"]
    assert archived["contact_id"] is None and archived["to"] == ["office@t1.example"]
    assert call("GET", f"/contacts/{contact['id']}/emails").json["items"] == []
    assert call("GET", "/emails", tenant="t2").json["items"] == []
    assert call("GET", "/emails", role="resource").status == 403


def test_undeliverable_addresses_are_skipped_and_an_email_to_no_one_is_neither_sent_nor_filed(contact):
    erased = "erased-01jabcdefghjkmnpqrstvwxyz0@erased.invalid"
    (record,) = mailer.send("t1", statement(contact["id"], [erased, "boss@abc.example", "Boss@abc.example"]))
    assert record["to"] == ["boss@abc.example"]
    assert [m["to"] for m in sent()] == [["boss@abc.example"]]

    assert mailer.send("t1", statement(contact["id"], [erased])) == []
    assert len(sent()) == 1
    assert len(call("GET", f"/contacts/{contact['id']}/emails").json["items"]) == 1


def test_a_header_with_a_line_break_is_refused_not_injected(contact):
    with pytest.raises(ValueError):
        mailer.send("t1", statement(contact["id"], ["boss@abc.example"], headers={"List-Unsubscribe": "<x>\r\nBcc: spy@evil.example"}))
    assert sent() == []
    assert call("GET", f"/contacts/{contact['id']}/emails").json["items"] == []


def test_each_language_among_the_recipients_gets_its_own_message_and_record(contact):
    """compose(reader) is called once per way of reading: a person's own (given by the caller), a
    staff user's profile, else the account's."""
    from crm.platform.i18n import Reader

    def compose(reader: Reader) -> tuple[str, str]:
        return ("Votre relevé", "Ci-joint.") if reader.locale == "fr-FR" else ("Your statement", "Attached.")

    french = {"claire@abc.example": Reader(locale="fr-FR")}
    email = mailer.Email(
        to=["claire@abc.example", "boss@abc.example"], compose=compose, kind="statement", contact_id=contact["id"], readers=french
    )
    records = mailer.send("t1", email)
    assert sorted((r["subject"], tuple(r["to"])) for r in records) == [
        ("Votre relevé", ("claire@abc.example",)),
        ("Your statement", ("boss@abc.example",)),
    ]
    assert sorted((m["subject"], tuple(m["to"])) for m in sent()) == sorted((r["subject"], tuple(r["to"])) for r in records)
    assert len(call("GET", f"/contacts/{contact['id']}/emails").json["items"]) == 2
