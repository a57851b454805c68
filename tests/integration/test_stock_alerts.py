"""The daily reorder alert: set in the stock settings (its next 12 runs shown), armed in
Scheduler, and each occurrence emailing what newly crossed its reorder point, once; recorded in
GET /stock/alerts even with nothing to send or no one to send it to."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import boto3
import pytest

from crm.platform import clock
from tests.support.lambdas import LambdaContext, call, module
from tests.support.mail import sent


@pytest.fixture
def now(monkeypatch):
    def move(moment: datetime) -> None:
        monkeypatch.setattr(clock, "now", lambda: moment)

    move(datetime(2027, 3, 26, 12, tzinfo=UTC))
    return move


@pytest.fixture
def stock(aws, now):
    group = call("POST", "/contact-groups", role="admin", body={"name": "Stores"}).json["id"]
    store = call("POST", "/contacts", body={"name": "Main store", "group_id": group}).json["id"]
    pump = call(
        "POST", "/stock/items", body={"kind": "stock", "make": "Grundfos", "model": "Alpha2", "reorder": {"point": 5, "quantity": 10}}
    ).json
    settings = {"warehouses": [store], "alert_time": "02:30", "alert_timezone": "Europe/Paris", "alert_recipients": ["stores@t1.example"]}
    saved = call("PATCH", "/stock/settings", role="admin", body=settings, headers={"If-Match": '"0"'})
    assert saved.status == 200, saved.body
    return {"store": f"contact:{store}", "pump": pump["id"], "aws": aws, "settings": saved.json}


def armed(group: str) -> dict[str, dict]:
    client = boto3.client("scheduler")
    names = sorted(s["Name"] for s in client.list_schedules(GroupName=group)["Schedules"])
    return {n: json.loads(client.get_schedule(Name=n, GroupName=group)["Target"]["Input"]) for n in names}


def fire(aws, name: str) -> dict:
    """Scheduler delivers one armed occurrence (then deletes it: ActionAfterCompletion DELETE)."""
    event = armed(aws["AlertScheduleGroup"])[name]
    boto3.client("scheduler").delete_schedule(Name=name, GroupName=aws["AlertScheduleGroup"])
    return module("StockAlertsFunction").handler(event, LambdaContext("StockAlertsFunction"))


def test_the_settings_show_the_next_twelve_runs_and_arm_them(stock):
    runs = stock["settings"]["next_alerts"]
    assert len(runs) == 12 and runs[0] == "2027-03-27T02:30:00+01:00"
    assert runs[1] == "2027-03-28T03:30:00+02:00"  # 02:30 does not exist that day in Paris: an hour later
    assert [n.split(".")[1] for n in armed(stock["aws"]["AlertScheduleGroup"])] == ["20270327T0130Z", "20270328T0130Z"]


def test_an_alert_emails_what_newly_crossed_once_and_records_every_run(stock, now):
    aws = stock["aws"]
    call(
        "POST",
        "/stock/movements",
        body={"item_id": stock["pump"], "quantity": 3, "to_location": stock["store"], "reason": "purchase_receipt"},
    )
    now(datetime(2027, 3, 27, 1, 30, 5, tzinfo=UTC))
    assert fire(aws, "reorder-t1.20270327T0130Z")["outcome"] == "sent"
    mails = [m for m in sent() if m["to"] == ["stores@t1.example"]]
    assert len(mails) == 1 and "Grundfos Alpha2" in mails[0]["body"] and "suggested order 10" in mails[0]["body"]
    assert "https://crm.example.com/stock/reorder-report" in mails[0]["body"]
    # The same occurrence delivered again sends nothing more.
    again = armed(aws["AlertScheduleGroup"])  # re-armed: the next two runs
    assert "reorder-t1.20270329T0030Z" in again
    event = {"series": "reorder-t1", "occurrence": "2027-03-27T01:30:00Z", "detail": {"tenant": "t1"}}
    module("StockAlertsFunction").handler(event, LambdaContext("StockAlertsFunction"))
    assert len([m for m in sent() if m["to"] == ["stores@t1.example"]]) == 1
    # Still low the next day: not news, nothing sent, the run recorded.
    now(datetime(2027, 3, 28, 1, 30, 5, tzinfo=UTC))
    assert fire(aws, "reorder-t1.20270328T0130Z")["outcome"] == "nothing_new"
    assert len([m for m in sent() if m["to"] == ["stores@t1.example"]]) == 1
    recorded = call("GET", "/stock/alerts").json["items"]
    assert [(a["status"], len(a["items"])) for a in recorded] == [("nothing_new", 0), ("sent", 1)]
    archived = call("GET", "/emails").json["items"]
    assert [e["kind"] for e in archived] == ["reorder_alert"]


def test_with_no_recipients_the_alert_is_recorded_all_the_same(stock, now):
    aws = stock["aws"]
    version = stock["settings"]["version"]
    cleared = call("PATCH", "/stock/settings", role="admin", body={"alert_recipients": []}, headers={"If-Match": f'"{version}"'})
    assert cleared.status == 200
    call(
        "POST",
        "/stock/movements",
        body={"item_id": stock["pump"], "quantity": 1, "to_location": stock["store"], "reason": "purchase_receipt"},
    )
    now(datetime(2027, 3, 27, 1, 30, 5, tzinfo=UTC))
    assert fire(aws, "reorder-t1.20270327T0130Z")["outcome"] == "recorded_without_email"
    assert sent() == []
    recorded = call("GET", "/stock/alerts").json["items"]
    assert recorded[0]["status"] == "recorded_without_email" and recorded[0]["items"][0]["model"] == "Alpha2"


def test_a_bad_alert_time_or_zone_is_refused_naming_the_field(stock):
    version = stock["settings"]["version"]
    bad = call(
        "PATCH",
        "/stock/settings",
        role="admin",
        body={"alert_time": "24:00", "alert_timezone": "Mars/Olympus"},
        headers={"If-Match": f'"{version}"'},
    )
    assert bad.status == 422 and {e["field"] for e in bad.json["errors"]} == {"alert_time", "alert_timezone"}
