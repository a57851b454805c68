"""A contact's folder of attachments: presigned upload with enforced limits, listing, deletion."""

from __future__ import annotations

import base64
import json

import pytest
import requests

from tests.support.events import deliver
from tests.support.lambdas import call


@pytest.fixture
def contact(aws):
    group = call("POST", "/contact-groups", role="admin", body={"name": "Customers"}).json["id"]
    return call("POST", "/contacts", body={"name": "ABC SA", "group_id": group}).json


def ask(contact, **overrides):
    body = {"filename": "boiler report.pdf", "content_type": "application/pdf", "size": 11, **overrides}
    return call("POST", f"/contacts/{contact['id']}/attachments", body=body)


def upload(ticket: dict, data: bytes, content_type: str = "application/pdf") -> requests.Response:
    fields = {**ticket["upload"]["fields"], "Content-Type": content_type}
    return requests.post(ticket["upload"]["url"], data=fields, files={"file": ("x", data)}, timeout=10)


def test_upload_list_download_delete(contact):
    ticket = ask(contact).json
    assert ticket["upload"]["fields"]["key"].startswith(f"t/t1/contacts/{contact['id']}/{ticket['id']}/")
    assert upload(ticket, b"hello world").status_code in (200, 204)

    listed = call("GET", f"/contacts/{contact['id']}/attachments").json["items"]
    assert [(a["id"], a["filename"], a["size"]) for a in listed] == [(ticket["id"], "boiler report.pdf", 11)]
    link = call("GET", f"/contacts/{contact['id']}/attachments/{ticket['id']}/download").json
    assert link["filename"] == "boiler report.pdf"
    assert requests.get(link["url"], timeout=10).content == b"hello world"

    assert call("DELETE", f"/contacts/{contact['id']}/attachments/{ticket['id']}").status == 204
    assert call("GET", f"/contacts/{contact['id']}/attachments").json["items"] == []
    assert call("DELETE", f"/contacts/{contact['id']}/attachments/{ticket['id']}").status == 404


def test_the_upload_policy_pins_size_type_and_key(contact):
    ticket = ask(contact, size=2048).json
    policy = json.loads(base64.b64decode(ticket["upload"]["fields"]["policy"]))
    conditions = policy["conditions"]
    assert ["content-length-range", 2048, 2048] in conditions
    assert {"Content-Type": "application/pdf"} in conditions
    assert {"key": ticket["upload"]["fields"]["key"]} in conditions


def s3_error(reply: requests.Response) -> tuple[int, str]:
    return reply.status_code, reply.text.split("<Code>")[1].split("</Code>")[0] if "<Code>" in reply.text else reply.text


def test_s3_refuses_an_upload_the_policy_does_not_allow_and_nothing_is_listed(contact):
    ticket = ask(contact, size=73).json
    assert s3_error(upload(ticket, b"x" * 50 * 1024)) == (400, "EntityTooLarge")
    assert "<MaxSizeAllowed>73</MaxSizeAllowed>" in upload(ticket, b"x" * 50 * 1024).text
    assert s3_error(upload(ticket, b"x" * 10)) == (400, "EntityTooSmall")
    assert s3_error(upload(ticket, b"x" * 73, "text/html")) == (403, "AccessDenied")
    elsewhere = {**ticket, "upload": {**ticket["upload"], "fields": {**ticket["upload"]["fields"], "key": "t/t2/contacts/x/y/other/a.pdf"}}}
    assert s3_error(upload(elsewhere, b"x" * 73)) == (403, "AccessDenied")
    policy = json.loads(base64.b64decode(ticket["upload"]["fields"]["policy"]))
    policy["conditions"] = [c for c in policy["conditions"] if not (isinstance(c, list) and c[0] == "content-length-range")]
    rewritten = base64.b64encode(json.dumps(policy).encode()).decode()
    forged = {**ticket, "upload": {**ticket["upload"], "fields": {**ticket["upload"]["fields"], "policy": rewritten}}}
    assert s3_error(upload(forged, b"x" * 50 * 1024)) == (403, "SignatureDoesNotMatch")
    assert call("GET", f"/contacts/{contact['id']}/attachments").json["items"] == []

    assert upload(ticket, b"x" * 73).status_code in (200, 204)
    assert [a["size"] for a in call("GET", f"/contacts/{contact['id']}/attachments").json["items"]] == [73]


def test_s3_refuses_an_upload_after_its_policy_expired(contact, monkeypatch):
    from crm.contacts import attachments

    monkeypatch.setattr(attachments, "URL_LIFETIME", -attachments.URL_LIFETIME)  # signed already expired
    ticket = ask(contact).json
    reply = upload(ticket, b"hello world")
    assert s3_error(reply) == (403, "AccessDenied") and "Policy expired" in reply.text
    assert call("GET", f"/contacts/{contact['id']}/attachments").json["items"] == []


def test_refused_types_and_sizes_name_the_field(contact):
    reply = ask(contact, content_type="application/x-msdownload", size=100 * 1024 * 1024)
    assert reply.status == 422
    assert {e["field"] for e in reply.json["errors"]} == {"content_type", "size"}
    assert ask(contact, filename="../../etc/passwd").status == 422


def test_attachments_of_a_missing_contact_are_404(aws):
    assert call("GET", "/contacts/01ARZ3NDEKTSV4RRFFQ69G5FAV/attachments").status == 404
    assert (
        call(
            "POST",
            "/contacts/01ARZ3NDEKTSV4RRFFQ69G5FAV/attachments",
            body={"filename": "a.pdf", "content_type": "application/pdf", "size": 1},
        ).status
        == 404
    )


def test_deleting_the_contact_empties_its_folder(aws, contact):
    import boto3

    upload(ask(contact).json, b"hello world")
    call("DELETE", f"/contacts/{contact['id']}", headers={"If-Match": '"1"'})
    deliver(aws)  # the folder goes on the ContactDeleted event
    listed = boto3.client("s3").list_objects_v2(Bucket=aws["AttachmentsBucket"], Prefix=f"t/t1/contacts/{contact['id']}/")
    assert listed.get("KeyCount", 0) == 0


def test_attachments_are_filed_by_category(contact):
    photo = call(
        "POST", f"/contacts/{contact['id']}/attachments", body={"filename": "boiler.jpg", "content_type": "image/jpeg", "size": 5}
    ).json
    invoice = ask(contact, filename="invoice-0042.pdf", category="financial", size=5).json
    manual = ask(contact, filename="manual.pdf", size=5).json
    assert (photo["category"], invoice["category"], manual["category"]) == ("image", "financial", "other")
    for ticket in (photo, invoice, manual):
        assert upload(ticket, b"12345", "image/jpeg" if ticket is photo else "application/pdf").status_code in (200, 204)
    listed = {a["filename"]: a["category"] for a in call("GET", f"/contacts/{contact['id']}/attachments").json["items"]}
    assert listed == {"boiler.jpg": "image", "invoice-0042.pdf": "financial", "manual.pdf": "other"}
    assert ask(contact, category="secret").status == 422


def test_the_folder_lists_everything_filed_newest_first_in_pages(contact):
    filed = []
    for i in range(3):
        note = call("POST", f"/contacts/{contact['id']}/notes", body={"text": f"note {i}"}).json
        filed.append(("note", note["id"]))
        ticket = ask(contact, filename=f"photo-{i}.png", content_type="image/png", size=3).json
        assert upload(ticket, b"png", "image/png").status_code in (200, 204)
        filed.append(("attachment", ticket["id"]))
    newest_first = list(reversed(filed))

    seen, cursor = [], None
    while True:
        page = call("GET", f"/contacts/{contact['id']}/folder", query={"limit": 4, "cursor": cursor}).json
        seen += [(e["kind"], e["id"]) for e in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == newest_first
    first = call("GET", f"/contacts/{contact['id']}/folder", query={"limit": 2}).json["items"]
    assert first[0]["attachment"]["filename"] == "photo-2.png" and first[1]["note"]["text"] == "note 2"
    assert call("GET", f"/contacts/{contact['id']}/folder", role="resource").status == 403
