"""Reports through the handlers: the projection by close month (raw and weighted, by owner or
stage), opportunities opened, won and lost, their bad periods, and their files (CSV, XLSX, PDF
with the chart, SVG) in the reader's language."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import boto3
import pytest

from crm.platform import clock
from tests.support.documents import page_texts
from tests.support.lambdas import call
from tests.support.sales import opportunity


def projection(**query):
    return call("GET", "/reports/opportunity-projection", query={"from_month": "2027-01", "to_month": "2027-04", **query})


@pytest.fixture
def pipeline(sales, monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: datetime(2026, 12, 1, 9, tzinfo=UTC))
    opportunity(sales, expected_value=100000, close_month="2027-01")  # Chaud: 75 %
    opportunity(sales, expected_value=33333, close_month="2027-01", probability_id=sales["warm"])  # Tiède: no percent, 50 %
    opportunity(sales, expected_value=20000, close_month="2027-03", stage_id=sales["quote"], owner="ann@t1.example")
    lost = opportunity(sales, expected_value=99999, close_month="2027-03").json
    call("PATCH", f"/opportunities/{lost['id']}", body={"status": "lost", "lost_reason": "Price"}, headers={"If-Match": '"1"'})
    opportunity(sales, expected_value=5000, close_month="2028-01")  # outside the period
    return sales


def test_the_projection_counts_open_opportunities_by_close_month_raw_and_weighted(pipeline):
    reply = projection()
    assert reply.status == 200, reply.body
    rows = {r["month"]: (r["count"], r["value"], r["weighted_value"]) for r in reply.json["rows"]}
    assert rows == {
        "2027-01": (2, 133333, 75000 + 16667),
        "2027-02": (0, 0, 0),
        "2027-03": (1, 20000, 15000),
        "2027-04": (0, 0, 0),
    }
    assert reply.json["empty"] is False and reply.json["file"] is None
    by_owner = {r["month"]: r["count"] for r in projection(owner="ann@t1.example").json["rows"]}
    assert by_owner == {"2027-01": 0, "2027-02": 0, "2027-03": 1, "2027-04": 0}
    by_stage = {r["month"]: r["count"] for r in projection(stage_id=pipeline["first"]).json["rows"]}
    assert by_stage["2027-01"] == 2 and by_stage["2027-03"] == 0


def test_a_reweighted_probability_reweighs_the_projection(pipeline):
    chances = call("GET", "/sales/probabilities").json
    entries = [{**e, "percent": 10} if e["label"] == "Tiède" else e for e in chances["entries"]]
    entries = [{k: v for k, v in e.items() if k != "weight"} for e in entries]
    call("PUT", "/sales/probabilities", role="admin", body={"entries": entries}, headers={"If-Match": f'"{chances["version"]}"'})
    january = projection().json["rows"][0]
    assert january["weighted_value"] == 75000 + 3333


def test_opened_won_and_lost_by_month(pipeline):
    reply = call("GET", "/reports/opportunities", query={"from_month": "2026-01", "to_month": "2026-12"})
    assert reply.status == 200, reply.body
    december = reply.json["rows"][-1]
    assert december["month"] == "2026-12"
    assert (december["opened_count"], december["lost_count"], december["lost_value"]) == (5, 1, 99999)
    assert sum(r["opened_count"] for r in reply.json["rows"]) == 5


def test_bad_periods_are_refused_naming_the_field(sales):
    assert projection(from_month="2020-01", to_month="2027-01").json["errors"][0]["field"] == "to_month"
    assert projection(from_month="10000-01").json["errors"][0]["field"] == "from_month"
    assert projection(to_month="2026-12").json["errors"][0]["field"] == "to_month"
    both = projection(owner="ann@t1.example", stage_id=sales["first"])
    assert both.status == 422


def _file(reply) -> bytes:
    s3 = boto3.client("s3")
    bucket = next(b["Name"] for b in s3.list_buckets()["Buckets"] if "ttachment" in b["Name"])
    key = next(o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"] if o["Key"].endswith(reply.json["file"]["filename"]))
    return s3.get_object(Bucket=bucket, Key=key)["Body"].read()


def test_the_projection_as_files_in_the_readers_language(pipeline):
    import openpyxl

    call("PATCH", "/settings", role="admin", body={"locale": "fr-FR"}, headers={"If-Match": '"0"'})
    xlsx = projection(format="xlsx")
    assert xlsx.status == 200, xlsx.body
    sheet = openpyxl.load_workbook(io.BytesIO(_file(xlsx))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("Mois de clôture", "Opportunités ouvertes", "Valeur attendue", "Valeur pondérée")
    assert rows[1] == ("2027-01", 2, 1333.33, 916.67)
    csv = _file(projection(format="csv")).decode("utf-8-sig").splitlines()
    assert csv[1] == "2027-01;2;1333,33;916,67"
    texts = " ".join(page_texts(_file(projection(format="pdf"))))
    assert "Prévision des opportunités par mois de clôture" in texts and "janvier 2027" in texts and "1 333,33" in texts
    svg = ET.fromstring(_file(projection(format="svg")))  # noqa: S314 (our own output)
    labels = [t.text for t in svg.iter("{http://www.w3.org/2000/svg}text")]
    assert "Valeur pondérée" in labels
