"""The Documents screen's lists through the handler: by contact (with its children), by supplier,
by delivery site, by origin, by type, status and period, newest first, paged; and their CSV and
XLSX exports read back."""

from __future__ import annotations

import csv
import io
from urllib.parse import urlparse

import boto3
import pytest
from openpyxl import load_workbook

from crm.finance import lists, service
from crm.platform import settings
from crm.platform.auth import Principal
from tests.support.finance import draft, issued, setup_finance
from tests.support.lambdas import call


@pytest.fixture
def world(aws):
    return setup_finance()


def _all(query: dict, limit: int = 2) -> list[dict]:
    """Every page of a list, as a client pages it."""
    items, cursor = [], None
    while True:
        page = call("GET", "/documents", query={**query, "limit": limit, **({"cursor": cursor} if cursor else {})})
        assert page.status == 200, page.body
        items += page.json["items"]
        cursor = page.json["next_cursor"]
        if cursor is None:
            return items


def test_lists_by_contact_children_site_type_status_and_period(world):
    a = issued(world["customer"], issue_date="2026-10-05")
    b = issued(world["customer"], "quote", issue_date="2026-11-20")
    c = issued(world["site"], issue_date="2026-11-01")
    d = draft(world["customer"])
    order = issued(world["other"], "purchase_order", delivery_site_id=world["site"], issue_date="2026-09-01")
    ids = lambda docs: [x["id"] for x in docs]  # noqa: E731
    assert ids(_all({"contact_id": world["customer"]})) == [d["id"], b["id"], a["id"]]  # newest first, a draft by its creation day
    assert ids(_all({"contact_id": world["customer"], "include": "children"})) == [d["id"], b["id"], c["id"], a["id"]]
    assert ids(_all({"contact_id": world["customer"], "include": "children", "type": "invoice", "status": "issued"})) == [c["id"], a["id"]]
    assert ids(_all({"contact_id": world["customer"], "include": "children", "since": "2026-10-06", "until": "2026-11-19"})) == [c["id"]]
    assert ids(_all({"contact_id": world["other"]})) == [order["id"]]  # a supplier's purchase orders
    assert ids(_all({"delivery_site_id": world["site"]})) == [order["id"]]  # purchase orders delivered to the site
    assert ids(_all({"type": "invoice"}, limit=1)) == [d["id"], c["id"], a["id"]]
    assert ids(_all({"type": "invoice", "status": "draft"})) == [d["id"]]
    assert call("GET", "/documents").status == 422  # the whole table is never read: choose a type or a contact
    assert call("GET", "/documents", query={"type": "invoice", "since": "2026-12-01", "until": "2026-11-01"}).status == 422
    assert call("GET", "/documents", query={"include": "children", "type": "invoice"}).status == 422


def test_a_cursor_is_bound_to_its_query(world):
    for _ in range(3):
        issued(world["customer"])
    page = call("GET", "/documents", query={"type": "invoice", "limit": 1}).json
    assert call("GET", "/documents", query={"type": "quote", "limit": 1, "cursor": page["next_cursor"]}).status == 422


def test_documents_made_from_an_origin_are_listed_for_it(world):
    principal = Principal(tenant="t1", user_id="sales", role="office", email="sales@t1.example")
    origin = {"kind": "opportunity", "id": "01J00000000000000000000000"}
    quote = service.create_document(
        principal,
        {"type": "quote", "contact_id": world["customer"], "lines": [{"description": "x", "unit_price": 1, "tax_rate": "S20"}]},
        origin,
    )
    draft(world["customer"], "quote")
    items, _ = lists.documents_of(principal, origin=origin)
    assert [d["id"] for d in items] == [quote["id"]]
    listed = call("GET", "/documents", query={"origin_kind": "opportunity", "origin_id": origin["id"]}).json["items"]
    assert [d["id"] for d in listed] == [quote["id"]] and listed[0]["origin"] == origin


def _download(link: dict) -> bytes:
    url = urlparse(link["url"])
    bucket = settings.attachments_bucket()
    return boto3.client("s3").get_object(Bucket=bucket, Key=url.path.lstrip("/").removeprefix(bucket + "/"))["Body"].read()


def test_exports_in_csv_and_xlsx(world):
    issued(world["customer"], issue_date="2026-10-05", reference="=cmd|' /C calc'!A0")
    issued(world["customer"], issue_date="2026-11-05")
    csv_link = call("GET", "/documents/export", query={"format": "csv", "contact_id": world["customer"]})
    assert csv_link.status == 200 and csv_link.json["filename"] == "documents.csv"
    rows = list(csv.reader(io.StringIO(_download(csv_link.json).decode("utf-8-sig"))))
    assert rows[0][:3] == ["Number", "Type", "Status"]
    assert [r[0] for r in rows[1:]] == ["INV-000002", "INV-000001"]
    assert rows[2][7].startswith("'=")  # a formula is never run by the spreadsheet
    assert "144.00" in rows[1]
    xlsx = call("GET", "/documents/export", query={"format": "xlsx", "type": "invoice"}).json
    sheet = load_workbook(io.BytesIO(_download(xlsx))).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][0] == "Number" and [v[0] for v in values[1:]] == ["INV-000002", "INV-000001"]
    assert float(values[1][list(values[0]).index("Total")]) == 144.0


def test_an_export_is_audited_and_published_under_the_tenants_exports(world):
    issued(world["customer"])
    link = call("GET", "/documents/export", query={"format": "csv", "type": "invoice"}).json
    assert (link["content_type"], link["rows"]) == ("text/csv", 1)
    assert "/t/t1/exports/documents/" in urlparse(link["url"]).path  # where the exports of the tenant are kept
    (record,) = call("GET", "/audit", role="admin", query={"action": "documents.exported"}).json["items"]
    assert (record["target_type"], record["target_id"], record["details"]) == ("document_selection", "t1", {"format": "csv", "rows": 1})


def test_an_export_past_its_row_limit_is_refused(world, monkeypatch):
    from crm.finance import exports

    monkeypatch.setattr(exports, "MAX_ROWS", 2)
    monkeypatch.setattr(exports, "PAGE", 2)
    for _ in range(3):
        issued(world["customer"])
    reply = call("GET", "/documents/export", query={"format": "csv", "type": "invoice"})
    assert reply.status == 422 and "2" in reply.json["detail"]
    assert call("GET", "/documents/export", query={"format": "csv", "type": "invoice", "status": "draft"}).status == 200
