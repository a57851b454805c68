"""The daily reorder alert: each tenant's recurring schedule (crm.stock.settings arms it) invokes
the StockAlertsFunction, which emails the lines that newly crossed their reorder point since the
last alert, with balance and suggested quantity and a link to the report.

"Newly crossed" compares with the last alert's set of low lines (kept with each run), so the
movements write nothing more for it: a line low at both runs is not news, one that recovered in
between and is low again is. Every run is recorded (`GET /stock/alerts`), with or without an email:
nothing is sent when nothing crossed; with no recipients, or no mail set up, the alert is still
recorded. The same occurrence delivered twice sends once: the run is keyed by the occurrence
(Powertools' idempotency, then the alert record's condition)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from crm.contacts import mailer
from crm.platform import clock, dynamo, idempotency, scheduling
from crm.platform import settings as env
from crm.platform.i18n import Reader, tr, tr_n
from crm.stock import reorder
from crm.stock import settings as stock_settings
from crm.stock.repository import records
from crm.stock.repository import settings as settings_repo

REPORT_PATH = "/stock/reorder-report"


def _key(row: dict) -> str:
    return f"{row['item_id']}#{row['location'] or records.ALL}"


def compose(rows: list[dict], report_url: str, reader: Reader) -> tuple[str, str]:
    """(subject, text) of the alert as `reader` reads it."""
    subject = reader.text(
        tr_n(
            "Reorder alert: {count} item reached its reorder point",
            "Reorder alert: {count} items reached their reorder point",
            len(rows),
            count=len(rows),
        )
    )
    lines = []
    for r in rows:
        where = reader.text(tr("company stock")) if r["location"] is None else r["location"]
        line = tr(
            "{make} {model} ({where}): available {available}, on hand {on_hand}, suggested order {suggested}",
            make=r["make"],
            model=r["model"],
            where=where,
            available=reader.number(r["available"]),
            on_hand=reader.number(r["on_hand"]),
            suggested=reader.number(r["suggested_quantity"]),
        )
        lines.append("- " + reader.text(line))
    footer = reader.text(tr("The full reorder report: {url}", url=report_url))
    return subject, "\n".join([*lines, "", footer])


def run(tenant: str, at: datetime) -> str:
    """The alert of one occurrence (`at`, its UTC instant): once. Returns its status."""
    alert_id = clock.iso(at)
    if settings_repo.get_alert(tenant, alert_id) is not None:
        return "already recorded"
    rows = list(reorder.every_line(tenant))
    seen = set((settings_repo.last_alert(tenant) or {}).get("low") or [])
    new = [r for r in rows if _key(r) not in seen]
    settings = stock_settings.stored(tenant)
    report_url = f"{env.app_url()}{REPORT_PATH}"
    alert: dict[str, Any] = {"id": alert_id, "at": alert_id, "items": new, "report_url": report_url}
    low = sorted(_key(r) for r in rows)
    if not new:
        alert["status"] = "nothing_new"
    elif settings["alert_recipients"]:
        alert["status"] = "sent"
        email = mailer.Email(
            to=settings["alert_recipients"],
            compose=lambda reader: compose(new, report_url, reader),
            kind="reorder_alert",
            contact_id=None,
            related_id=alert_id,
        )
        try:
            if mailer.send(tenant, email, also=settings_repo.alert_writes(tenant, alert, low)):
                return "sent"
        except (env.MissingSetting, ClientError):  # no mail set up (no sender, SES refuses it): recorded all the same
            pass
        alert["status"] = "recorded_without_email"
    else:
        alert["status"] = "recorded_without_email"
    try:
        dynamo.transact_explained(settings_repo.alert_writes(tenant, alert, low))
    except settings_repo.AlreadyAlerted:
        return "already recorded"
    return alert["status"]


def deliver(event: dict, function_arn: str) -> str:
    """What Scheduler's delivery of an occurrence does: re-arm the tenant's series (to this
    function, `function_arn`), then run its alert once (a stale delivery does nothing)."""
    tenant = str((event.get("detail") or {}).get("tenant", ""))
    current = stock_settings.recurrence(stock_settings.stored(tenant))
    occurrence = scheduling.delivered(event, current, stock_settings.target(function_arn))
    if occurrence is None:
        return "stale"
    key = f"reorder:{tenant}:{clock.iso(occurrence.at)}"
    return idempotency.run_once(key, {"tenant": tenant}, lambda: run(tenant, occurrence.at), ttl=idempotency.DELIVERY_TTL)


def listed(tenant: str, *, limit: int, cursor: str | None) -> tuple[list[dict], str | None]:
    return settings_repo.alerts(tenant, limit=limit, cursor=cursor, query={"alerts": True})
