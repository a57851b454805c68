"""Report subscriptions: their schedules (armed on create, gone on delete, the next 12 runs shown),
bad recurrences and filters, a run emailed once with its attachment and unsubscribe link, nothing
sent for an empty report, and one-click unsubscription without signing in."""

from __future__ import annotations

import json
from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import boto3
import pytest

from crm.platform import clock, signing_keys
from infra import cursor_keys
from tests.support.lambdas import LambdaContext, call, forget_layer_state, module
from tests.support.mail import sent
from tests.support.sales import opportunity

WEEKLY = {"frequency": "weekly", "weekdays": ["mon", "thu"], "time": "08:00", "timezone": "Europe/Paris"}


def subscribe(**fields):
    body = {
        "report": "opportunity-projection",
        "filters": {"from_month": "2027-01", "to_month": "2027-06"},
        "format": "xlsx",
        "recipients": ["boss@t1.example", "ann@elsewhere.example"],
        "recurrence": WEEKLY,
    } | fields
    return call("POST", "/report-subscriptions", body=body)


def armed(aws, subscription_id: str) -> list[dict]:
    scheduler = boto3.client("scheduler")
    schedules = scheduler.list_schedules(GroupName=aws["ReportScheduleGroup"])["Schedules"]
    names = sorted(s["Name"] for s in schedules if subscription_id in s["Name"])
    return [scheduler.get_schedule(Name=n, GroupName=aws["ReportScheduleGroup"]) for n in names]


def fire(schedule: dict) -> dict:
    event = json.loads(schedule["Target"]["Input"])
    return module("ReportDeliveryFunction").handler(event, LambdaContext("ReportDeliveryFunction"))


def test_a_subscription_arms_its_schedule_shows_its_runs_and_deleting_it_disarms(aws):
    created = subscribe()
    assert created.status == 201, created.body
    runs = created.json["upcoming"]
    assert len(runs) == 12 and all(r.endswith(("+01:00", "+02:00")) and "T08:00:00" in r for r in runs)
    schedules = armed(aws, created.json["id"])
    assert len(schedules) == 2
    assert all(s["Target"]["Arn"].endswith(f":function:{aws['ReportDeliveryFunction']}") for s in schedules)
    assert call("GET", f"/report-subscriptions/{created.json['id']}").json["recipients"] == ["boss@t1.example", "ann@elsewhere.example"]
    deleted = call("DELETE", f"/report-subscriptions/{created.json['id']}", headers={"If-Match": '"1"'})
    assert deleted.status == 204
    assert armed(aws, created.json["id"]) == []
    assert call("GET", f"/report-subscriptions/{created.json['id']}").status == 404


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"recurrence": WEEKLY | {"time": "25:00"}}, "recurrence.time"),
        ({"recurrence": WEEKLY | {"timezone": "Mars/Olympus"}}, "recurrence.timezone"),
        (
            {"recurrence": {"frequency": "monthly", "week_of_month": 6, "weekday": "tue", "time": "08:00", "timezone": "UTC"}},
            "recurrence.week_of_month",
        ),
        ({"filters": {"from_month": "2020-01", "to_month": "2027-01"}}, "filters.to_month"),
        ({"filters": {"colour": "red"}}, "filters.colour"),
        ({"report": "everything"}, "report"),
    ],
)
def test_bad_subscriptions_are_refused_naming_the_field_and_arm_nothing(aws, change, field):
    reply = subscribe(**change)
    assert reply.status == 422
    assert field in {e["field"] for e in reply.json["errors"]}
    assert boto3.client("scheduler").list_schedules(GroupName=aws["ReportScheduleGroup"])["Schedules"] == []
    assert call("GET", "/report-subscriptions").json["items"] == []


def test_a_run_is_emailed_once_to_each_recipient_with_the_report_and_its_unsubscribe_link(aws, sales):
    opportunity(sales, expected_value=120000, close_month="2027-02")
    created = subscribe().json
    first = armed(aws, created["id"])[0]
    assert fire(first)["outcome"] == "sent 2"
    assert fire(first)["outcome"] == "sent 2"  # the same delivery again: the first answer, no email
    messages = sent()
    assert sorted(m["to"][0] for m in messages) == ["ann@elsewhere.example", "boss@t1.example"]
    for message in messages:
        assert message["attachments"][0]["filename"] == "opportunity-projection.xlsx"
        link = message["headers"]["List-Unsubscribe"].strip("<>")
        assert message["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert link in message["body"] and message["to"][0] not in link  # the address is in the signed token only
    emails = call("GET", "/emails").json["items"]
    assert sorted((e["kind"], e["related_id"], e["to"][0]) for e in emails) == [
        ("report", created["id"], "ann@elsewhere.example"),
        ("report", created["id"], "boss@t1.example"),
    ]
    # the run re-armed the series: two runs still ahead
    assert len(armed(aws, created["id"])) == 3  # the fired one stays in moto: Scheduler deletes it after invoking


def test_the_same_run_delivered_again_after_its_record_expired_sends_nothing_more(aws, sales, monkeypatch):
    opportunity(sales, expected_value=120000, close_month="2027-02")
    created = subscribe(recipients=["boss@t1.example"]).json
    first = armed(aws, created["id"])[0]
    fire(first)
    from crm.platform import idempotency

    monkeypatch.setattr(idempotency, "run_once", lambda key, payload, produce, ttl=0: produce())
    assert fire(first)["outcome"] == "skipped: nothing left to send"
    assert len(sent()) == 1


def test_an_empty_report_sends_nothing_unless_asked(aws, sales):
    skipping = subscribe().json
    assert fire(armed(aws, skipping["id"])[0])["outcome"] == "sent 0"
    assert sent() == []
    always = subscribe(skip_when_empty=False, recipients=["boss@t1.example"], format="pdf").json
    assert fire(armed(aws, always["id"])[0])["outcome"] == "sent 1"
    assert sent()[0]["attachments"][0]["content_type"] == "application/pdf"


def test_one_click_unsubscribe_works_without_signing_in_and_stops_that_recipient_only(aws, sales):
    opportunity(sales, expected_value=120000, close_month="2027-02")
    created = subscribe().json
    first, second = armed(aws, created["id"])[:2]
    fire(first)
    boss = next(m for m in sent() if m["to"] == ["boss@t1.example"])
    token = parse_qs(urlparse(boss["headers"]["List-Unsubscribe"].strip("<>")).query)["token"][0]
    reply = call("POST", "/reports/unsubscribe", anonymous=True, query={"token": token}, raw_body="List-Unsubscribe=One-Click")
    assert reply.status == 200, reply.body
    assert reply.json == {"report": "opportunity-projection", "recipient": "boss@t1.example", "unsubscribed": True}
    assert call("GET", "/reports/unsubscribe", anonymous=True, query={"token": token}).status == 200  # the body's link: its page
    assert call("GET", f"/report-subscriptions/{created['id']}").json["unsubscribed"] == ["boss@t1.example"]
    forged = call("GET", "/reports/unsubscribe", anonymous=True, query={"token": token[:-1] + ("0" if token[-1] != "0" else "1")})
    assert forged.status == 422 and forged.json["errors"][0]["field"] == "token"
    before = len(sent())
    assert fire(second)["outcome"] == "sent 1"
    assert [m["to"] for m in sent()[before:]] == [["ann@elsewhere.example"]]


def test_opening_the_link_changes_nothing_and_its_page_posts_to_unsubscribe_in_the_recipients_language(aws, sales):
    opportunity(sales, expected_value=120000, close_month="2027-02")
    created = subscribe().json
    me = call("PATCH", "/me", email="boss@t1.example", body={"locale": "fr-FR"}, headers={"If-Match": '"0"'})
    assert me.status == 200, me.body
    fire(armed(aws, created["id"])[0])
    links = {m["to"][0]: m["headers"]["List-Unsubscribe"].strip("<>") for m in sent()}
    token = parse_qs(urlparse(links["boss@t1.example"]).query)["token"][0]

    opened = call("GET", "/reports/unsubscribe", anonymous=True, query={"token": token})  # a mail scanner, or the recipient
    assert opened.status == 200 and opened.headers["content-type"].startswith("text/html")
    assert '<html lang="fr' in opened.body and "boss@t1.example" in opened.body and 'method="post"' in opened.body
    assert (
        "Opportunity projection" not in opened.body and "Ne plus me l’envoyer" in opened.body
    )  # the report's title and the button, in French
    assert call("GET", f"/report-subscriptions/{created['id']}").json["unsubscribed"] == []
    english = call(
        "GET", "/reports/unsubscribe", anonymous=True, query={"token": parse_qs(urlparse(links["ann@elsewhere.example"]).query)["token"][0]}
    )
    assert '<html lang="en' in english.body and "Opportunity projection by close month" in english.body

    form = call("POST", "/reports/unsubscribe", anonymous=True, query={"token": token}, headers={"Accept": "text/html"})
    assert form.status == 200 and form.headers["content-type"].startswith("text/html") and 'method="post"' not in form.body
    assert call("GET", f"/report-subscriptions/{created['id']}").json["unsubscribed"] == ["boss@t1.example"]
    again = call("GET", "/reports/unsubscribe", anonymous=True, query={"token": token})
    assert again.status == 200 and 'method="post"' not in again.body  # it says so, with nothing more to press


def test_an_unsubscribe_link_outlives_a_key_rotation_by_the_grace_period_only(aws, sales, monkeypatch):
    opportunity(sales, expected_value=120000, close_month="2027-02")
    created = subscribe().json
    fire(armed(aws, created["id"])[0])
    token = parse_qs(urlparse(sent()[0]["headers"]["List-Unsubscribe"].strip("<>")).query)["token"][0]
    cursor_keys.rotate(boto3.client("ssm"), cursor_keys.parameter_name("prod"))
    forget_layer_state()  # a container started after the rotation

    assert call("GET", "/reports/unsubscribe", anonymous=True, query={"token": token}).status == 200
    later = clock.now() + signing_keys.GRACE + timedelta(minutes=1)
    monkeypatch.setattr(clock, "now", lambda: later)
    refused = call("GET", "/reports/unsubscribe", anonymous=True, query={"token": token})
    assert refused.status == 422 and refused.json["errors"][0]["field"] == "token"
