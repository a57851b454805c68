"""The stock context through its handlers: the catalogue, movements and the balances they move
(never below zero, once per Idempotency-Key, reversed once), equipment units by serial, the
contact's stock tab, the reorder report's sparse index, and a contact holding stock kept."""

from __future__ import annotations

import threading
from urllib.parse import unquote, urlparse

import boto3
import pytest

from tests.support.lambdas import call


@pytest.fixture
def places(aws):
    group = call("POST", "/contact-groups", role="admin", body={"name": "Sites"}).json["id"]
    warehouse = call("POST", "/contacts", body={"name": "Main store", "group_id": group}).json["id"]
    site = call("POST", "/contacts", body={"name": "Hôtel Lutèce", "group_id": group}).json["id"]
    van = call("POST", "/vehicles", role="admin", body={"name": "Van 1"}).json["id"]
    moved = call("PATCH", "/stock/settings", role="admin", body={"warehouses": [warehouse]}, headers={"If-Match": '"0"'})
    assert moved.status == 200, moved.body
    return {"warehouse": f"contact:{warehouse}", "site": f"contact:{site}", "van": f"vehicle:{van}", "site_id": site, "group": group}


def item(make="Grundfos", model="Alpha2 25-40", **more) -> dict:
    body = {"kind": "stock", "make": make, "model": model, "unit_price": 18900, "currency": "EUR", **more}
    created = call("POST", "/stock/items", body=body)
    assert created.status == 201, created.body
    return created.json


def move(**body):
    return call("POST", "/stock/movements", body=body)


def on_hand(item_id: str, location: str) -> float:
    rows = call("GET", f"/stock/items/{item_id}/balances").json["items"]
    return next((r["on_hand"] for r in rows if r["location"] == location), 0)


def test_makes_and_models_are_offered_by_prefix_whatever_the_case_and_accents(aws):
    item("Grundfos", "Alpha2 25-40")
    item("Grundfos", "Magna3")
    item("Frisquet", "Prestige Condensation")
    item("Élco", "Thision S")
    assert [m["make"] for m in call("GET", "/stock/makes", query={"q": "gr"}).json["items"]] == ["Grundfos"]
    assert [m["make"] for m in call("GET", "/stock/makes", query={"q": "EL"}).json["items"]] == ["Élco"]
    models = call("GET", "/stock/models", query={"make": "grundfos", "q": "MAG"}).json["items"]
    assert [m["model"] for m in models] == ["Magna3"]
    duplicate = call("POST", "/stock/items", body={"kind": "stock", "make": "GRUNDFOS", "model": "magna3"})
    assert duplicate.status == 409


def test_a_movement_moves_both_balances_and_never_below_zero(places):
    pump = item()
    assert move(item_id=pump["id"], quantity=10, to_location=places["warehouse"], reason="purchase_receipt").status == 201
    transfer = move(item_id=pump["id"], quantity=4, from_location=places["warehouse"], to_location=places["van"], reason="transfer")
    assert transfer.status == 201, transfer.body
    assert (on_hand(pump["id"], places["warehouse"]), on_hand(pump["id"], places["van"])) == (6, 4)
    short = move(item_id=pump["id"], quantity=5, from_location=places["van"], to_location=places["site"], reason="transfer")
    assert short.status == 409
    assert "4" in short.json["detail"] and "Grundfos" in short.json["detail"]
    assert on_hand(pump["id"], places["van"]) == 4  # nothing stored
    stock = call("GET", f"/contacts/{places['site_id']}/stock").json["items"]
    assert stock == []


def test_bad_movements_name_every_field_and_store_nothing(places):
    pump = item()
    reply = move(item_id=pump["id"], quantity=1.5, to_location=places["warehouse"], reason="purchase_receipt")
    assert reply.status == 422 and [e["field"] for e in reply.json["errors"]] == ["quantity"]
    reply = move(item_id=pump["id"], quantity=-2, from_location="vehicle:01ARZ3NDEKTSV4RRFFQ69G5FAV", reason="transfer")
    assert reply.status == 422
    assert {e["field"] for e in reply.json["errors"]} >= {"quantity"}
    unknown = move(item_id=pump["id"], quantity=1, to_location="contact:01ARZ3NDEKTSV4RRFFQ69G5FAV", reason="purchase_receipt")
    assert unknown.status == 422 and unknown.json["errors"][0]["field"] == "to_location"
    other = call("POST", "/stock/items", tenant="t2", body={"kind": "stock", "make": "X", "model": "Y"}).json
    foreign = move(item_id=other["id"], quantity=1, to_location=places["warehouse"], reason="purchase_receipt")
    assert foreign.status == 422 and foreign.json["errors"][0]["field"] == "item_id"
    assert call("GET", f"/stock/items/{pump['id']}/balances").json["items"] == []


def test_the_same_idempotency_key_moves_stock_once(places):
    pump = item()
    body = {"item_id": pump["id"], "quantity": 3, "to_location": places["warehouse"], "reason": "purchase_receipt"}
    first = call("POST", "/stock/movements", body=body, headers={"Idempotency-Key": "receipt-42"})
    again = call("POST", "/stock/movements", body=body, headers={"Idempotency-Key": "receipt-42"})
    assert first.status == again.status == 201
    assert first.json["id"] == again.json["id"]
    assert on_hand(pump["id"], places["warehouse"]) == 3


def test_a_counter_movement_reverses_once(places):
    pump = item()
    receipt = move(item_id=pump["id"], quantity=7, to_location=places["warehouse"], reason="purchase_receipt").json
    reversal = call("POST", "/stock/reversals", body={"movement_id": receipt["id"], "note": "wrong delivery note"})
    assert reversal.status == 201, reversal.body
    assert reversal.json["reverses"] == receipt["id"] and reversal.json["from_location"] == places["warehouse"]
    assert call("GET", f"/stock/movements/{receipt['id']}").json["reversed_by"] == reversal.json["id"]
    assert on_hand(pump["id"], places["warehouse"]) == 0
    assert call("POST", "/stock/reversals", body={"movement_id": receipt["id"]}).status == 409


def test_an_equipment_unit_is_at_one_place_and_its_history_follows_it(places):
    boiler = item("Viessmann", "Vitodens 100-W", kind="equipment")
    received = move(item_id=boiler["id"], serial="7723-A", to_location=places["van"], reason="purchase_receipt", warranty_end="2031-01-01")
    assert received.status == 201, received.body
    again = move(item_id=boiler["id"], serial="7723-A", to_location=places["warehouse"], reason="purchase_receipt")
    assert again.status == 409 and again.json["errors"][0]["field"] == "serial"
    wrong_place = move(
        item_id=boiler["id"], serial="7723-A", from_location=places["warehouse"], to_location=places["site"], reason="transfer"
    )
    assert wrong_place.status == 409
    fitted = move(item_id=boiler["id"], serial="7723-A", from_location=places["van"], to_location=places["site"], reason="transfer")
    assert fitted.status == 201
    units = call("GET", f"/contacts/{places['site_id']}/equipment").json["items"]
    assert [(u["serial"], u["status"], u["warranty_end"]) for u in units] == [("7723-A", "in_service", "2031-01-01")]
    history = call("GET", f"/stock/items/{boiler['id']}/units/7723-A/movements").json["items"]
    assert [h["to_location"] for h in history] == [places["site"], places["van"]]
    assert move(item_id=boiler["id"], quantity=2, serial="7723-A", from_location=places["site"], reason="adjustment").status == 422


def test_the_contact_tab_lists_movements_newest_first_with_filters_and_children(places):
    pump, valve = item(), item("Danfoss", "RA-N 15")
    child = call("POST", "/contacts", body={"name": "Lutèce annexe", "group_id": places["group"], "parent_id": places["site_id"]}).json[
        "id"
    ]
    move(item_id=pump["id"], quantity=5, to_location=places["site"], reason="purchase_receipt")
    move(item_id=valve["id"], quantity=2, to_location=places["site"], reason="purchase_receipt")
    move(item_id=pump["id"], quantity=1, from_location=places["site"], to_location=f"contact:{child}", reason="transfer")
    own = call("GET", f"/contacts/{places['site_id']}/movements").json["items"]
    assert [m["reason"] for m in own] == ["transfer", "purchase_receipt", "purchase_receipt"]
    pumps = call("GET", f"/contacts/{places['site_id']}/movements", query={"item_id": pump["id"], "reason": "purchase_receipt"}).json
    assert [m["quantity"] for m in pumps["items"]] == [5]
    paged = call("GET", f"/contacts/{places['site_id']}/movements", query={"limit": 2}).json
    rest = call("GET", f"/contacts/{places['site_id']}/movements", query={"limit": 2, "cursor": paged["next_cursor"]}).json
    assert [m["id"] for m in paged["items"] + rest["items"]] == [m["id"] for m in own] and rest["next_cursor"] is None
    family = call("GET", f"/contacts/{places['site_id']}/movements", query={"include": "children"}).json["items"]
    assert len(family) == 3  # the transfer into the child is listed once


def test_the_reorder_report_lists_only_what_is_at_or_below_its_point(places):
    low = item(reorder={"point": 5, "quantity": 10, "maximum": 24, "pack_size": 6})
    fine = item("Danfoss", "RA-N 15", reorder={"point": 2, "quantity": 10})
    item("Caleffi", "Filter")  # no levels: never in the report
    move(item_id=low["id"], quantity=8, to_location=places["warehouse"], reason="purchase_receipt")
    move(item_id=fine["id"], quantity=8, to_location=places["van"], reason="purchase_receipt")
    assert call("GET", "/stock/reorder-report").json["items"] == []
    move(item_id=low["id"], quantity=4, from_location=places["warehouse"], to_location=places["site"], reason="transfer")
    rows = call("GET", "/stock/reorder-report").json["items"]
    # available 4 <= 5; max(10, 24 - 4) = 20, rounded up to packs of 6: 24
    assert [(r["model"], r["available"], r["suggested_quantity"], r["location"]) for r in rows] == [("Alpha2 25-40", 4, 24, None)]
    move(item_id=low["id"], quantity=10, to_location=places["warehouse"], reason="purchase_receipt")
    assert call("GET", "/stock/reorder-report").json["items"] == []


def test_twenty_movements_at_once_on_one_balance_lose_none(places, atomic_dynamodb):
    pump = item()
    move(item_id=pump["id"], quantity=10, to_location=places["warehouse"], reason="purchase_receipt")
    answers = []

    def take():
        body = {
            "item_id": pump["id"],
            "quantity": 1,
            "from_location": places["warehouse"],
            "to_location": places["van"],
            "reason": "transfer",
        }
        answers.append(call("POST", "/stock/movements", body=body).status)

    threads = [threading.Thread(target=take) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(answers) == [201] * 10 + [409] * 10  # exactly the ten on hand left, never below zero
    assert (on_hand(pump["id"], places["warehouse"]), on_hand(pump["id"], places["van"])) == (0, 10)


def test_a_contact_holding_stock_is_not_deleted(places):
    pump = item()
    move(item_id=pump["id"], quantity=1, to_location=places["site"], reason="purchase_receipt")
    refused = call("DELETE", f"/contacts/{places['site_id']}", headers={"If-Match": '"1"'})
    assert refused.status == 409 and "stock" in refused.json["detail"]
    move(item_id=pump["id"], quantity=1, from_location=places["site"], reason="adjustment")
    assert call("DELETE", f"/contacts/{places['site_id']}", headers={"If-Match": '"1"'}).status == 204


def test_the_reorder_report_downloads_as_csv_and_xlsx_in_the_readers_language(places, aws):
    import io
    from urllib.parse import unquote, urlparse

    import boto3
    import openpyxl

    low = item(reorder={"point": 5, "quantity": 10})
    move(item_id=low["id"], quantity=2.0, to_location=places["warehouse"], reason="purchase_receipt")
    call("PATCH", "/settings", role="admin", body={"locale": "fr-FR"}, headers={"If-Match": '"0"'})

    def download(file_format: str) -> bytes:
        link = call("GET", "/stock/reorder-report/export", query={"format": file_format})
        assert link.status == 200, link.body
        key = unquote(urlparse(link.json["url"]).path).lstrip("/").removeprefix(aws["AttachmentsBucket"] + "/")
        return boto3.client("s3").get_object(Bucket=aws["AttachmentsBucket"], Key=key)["Body"].read()

    text = download("csv").decode("utf-8-sig")
    header, row = text.splitlines()[:2]
    assert header.startswith("Marque;Modèle;") and "Seuil de réapprovisionnement" in header
    assert row.startswith("Grundfos;Alpha2 25-40;") and "stock de l’entreprise" in row
    sheet = openpyxl.load_workbook(io.BytesIO(download("xlsx"))).active
    assert [c.value for c in sheet[2]][:2] == ["Grundfos", "Alpha2 25-40"] and sheet.cell(2, 10).value == 10


def test_a_location_with_levels_of_its_own_is_reported_on_its_own(places):
    pump = item(reorder={"point": 2, "quantity": 10})
    move(item_id=pump["id"], quantity=20, to_location=places["warehouse"], reason="purchase_receipt")
    move(item_id=pump["id"], quantity=3, from_location=places["warehouse"], to_location=places["van"], reason="transfer")
    levels = call("PUT", f"/stock/items/{pump['id']}/levels", body={"location": places["van"], "reorder": {"point": 4, "maximum": 6}})
    assert levels.status == 200, levels.body
    rows = call("GET", "/stock/reorder-report").json["items"]
    # the van (3 <= 4, fill up to 6: 3), not the company's 20 (> 2)
    assert [(r["location"], r["available"], r["suggested_quantity"]) for r in rows] == [(places["van"], 3, 3)]
    call("PUT", f"/stock/items/{pump['id']}/levels", body={"location": places["van"], "reorder": None})
    assert call("GET", "/stock/reorder-report").json["items"] == []
    bad = call("PUT", f"/stock/items/{pump['id']}/levels", body={"location": "van-1", "reorder": {"point": -1}})
    assert bad.status == 422 and {e["field"] for e in bad.json["errors"]} >= {"location", "reorder.point"}


def test_a_deleted_warehouse_leaves_the_stock_settings(places, aws):
    from tests.support.events import deliver

    warehouse_id = places["warehouse"].split(":")[1]
    assert call("DELETE", f"/contacts/{warehouse_id}", headers={"If-Match": '"1"'}).status == 204
    deliver(aws)
    assert call("GET", "/stock/settings").json["warehouses"] == []


def test_a_purchase_order_line_is_received_once(places):
    from crm.stock import movements

    pump = item()
    first = movements.receive("t1", item_id=pump["id"], quantity=6, location=places["warehouse"], by="finance", source="PO-000012#1")
    again = movements.receive("t1", item_id=pump["id"], quantity=6, location=places["warehouse"], by="finance", source="PO-000012#1")
    assert first is not None and first["reason"] == "purchase_receipt" and again is None
    assert on_hand(pump["id"], places["warehouse"]) == 6


def _key(url: str, bucket: str) -> str:
    return unquote(urlparse(url).path).lstrip("/").removeprefix(bucket + "/")


def test_the_reorder_report_is_in_the_reports_catalogue_as_json_files_and_subscriptions(places, aws):
    from tests.support.documents import page_texts

    low = item(reorder={"point": 5, "quantity": 10}, unit="m")
    move(item_id=low["id"], quantity=2.5, to_location=places["warehouse"], reason="purchase_receipt")
    van = item("Danfoss", "RA-N 15")
    move(item_id=van["id"], quantity=1, to_location=places["van"], reason="purchase_receipt")
    call("PUT", f"/stock/items/{van['id']}/levels", body={"location": places["van"], "reorder": {"point": 2, "maximum": 4}})
    report = call("GET", "/reports/reorder")
    assert report.status == 200, report.body
    assert {(r["model"], r["location"], r["available"]) for r in report.json["rows"]} == {
        ("Alpha2 25-40", "company stock", 2.5),
        ("RA-N 15", places["van"], 1),
    }
    only_van = call("GET", "/reports/reorder", query={"location": places["van"]}).json
    assert [r["model"] for r in only_van["rows"]] == ["RA-N 15"] and only_van["empty"] is False
    assert call("GET", "/reports/reorder", query={"location": "shelf 3"}).json["errors"][0]["field"] == "location"
    call("PATCH", "/settings", role="admin", body={"locale": "fr-FR"}, headers={"If-Match": '"0"'})
    pdf = call("GET", "/reports/reorder", query={"format": "pdf", "location": "company"})
    assert pdf.status == 200, pdf.body
    key = _key(pdf.json["file"]["url"], aws["AttachmentsBucket"])
    body = boto3.client("s3").get_object(Bucket=aws["AttachmentsBucket"], Key=key)["Body"].read()
    text = " ".join(page_texts(body))
    assert "Rapport de réapprovisionnement" in text and "2,5" in text and "RA-N 15" not in text
    subscription = {
        "report": "reorder",
        "filters": {"location": "nowhere"},
        "format": "xlsx",
        "recipients": ["boss@t1.example"],
        "recurrence": {"frequency": "daily", "time": "07:00", "timezone": "Europe/Paris"},
    }
    refused = call("POST", "/report-subscriptions", body=subscription)
    assert refused.status == 422 and refused.json["errors"][0]["field"] == "filters.location"
    assert call("POST", "/report-subscriptions", body={**subscription, "filters": {"location": "company"}}).status == 201


def test_the_reorder_export_is_an_audited_expiring_export_file(places, aws):
    low = item(reorder={"point": 5, "quantity": 10})
    move(item_id=low["id"], quantity=2, to_location=places["warehouse"], reason="purchase_receipt")
    link = call("GET", "/stock/reorder-report/export", query={"format": "csv"})
    assert link.status == 200, link.body
    assert link.json["rows"] == 1 and link.json["filename"] == "reorder-report.csv"
    key = _key(link.json["url"], aws["AttachmentsBucket"])
    assert key.startswith("t/t1/exports/stock/")
    tags = boto3.client("s3").get_object_tagging(Bucket=aws["AttachmentsBucket"], Key=key)["TagSet"]
    assert tags == [{"Key": "crm-retention", "Value": "export"}]
    audit = call("GET", "/audit", role="admin").json["items"]
    assert [(a["target_id"], a["details"]["rows"]) for a in audit if a["action"] == "report.exported"] == [("reorder", 1)]
