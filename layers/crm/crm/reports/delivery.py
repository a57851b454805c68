"""Delivering an occurrence of a report subscription: the report rendered for each recipient in
their language, emailed as an attachment through the one mail path (archived on the account), with
its own one-click unsubscribe link; nothing for an empty report when the subscription says so.

Scheduler delivers at least once: each recipient's email for an occurrence is recorded in the same
transaction as its archive, on condition it was not, and looked for before sending, so a second
delivery (or a retry after a partial failure) sends only what was not sent.
"""

from __future__ import annotations

import contextlib
import functools
from typing import Any

from crm.contacts import mailer, readers
from crm.platform import clock, dynamo, scheduling
from crm.platform.errors import Conflict
from crm.platform.i18n import Reader, tr
from crm.platform.recurrence import Recurrence
from crm.reports import repository as repo
from crm.reports import service, subscriptions, unsubscribe
from crm.reports.catalogue import Table
from crm.reports.render import Rendered, render


def report_email(table: Table, reader: Reader, *, link: str) -> tuple[str, str]:
    """(subject, text) of a report's email, as `reader` reads it."""
    subject = reader.text(tr("Report: {title}", title=table.title))
    text = tr('Your report "{title}" ({period}) is attached.', title=table.title, period=table.subtitle)
    leave = tr("To stop receiving this report, open this link (no sign-in needed): {link}", link=link)
    return subject, f"{reader.text(text)}\n\n{reader.text(leave)}\n"


def deliver(event: dict[str, Any], function_arn: str) -> str:
    """Act on one Scheduler delivery of a subscription's series (to `function_arn`, which its next
    runs are armed for). Returns what happened, for the log."""
    detail = event.get("detail") or {}
    tenant, subscription_id = str(detail.get("tenant")), str(detail.get("subscription_id"))
    subscription = repo.get(tenant, subscription_id)
    recurrence = Recurrence.model_validate(subscription["recurrence"]) if subscription else None
    occurrence = scheduling.delivered(event, recurrence, subscriptions.target(function_arn))
    if occurrence is None or subscription is None:
        return "skipped: the subscription was deleted or changed"
    at = clock.iso(occurrence.at)
    gone = set(subscription.get("unsubscribed") or [])
    recipients = [r for r in subscription["recipients"] if r not in gone and not repo.delivered_to(tenant, subscription_id, at, r)]
    if not recipients:
        return "skipped: nothing left to send"
    filters = subscriptions.filters_of(subscription["report"], subscription["filters"])
    reading = readers.readers_at(tenant, recipients)
    made: dict[Reader, tuple[Table, Rendered]] = {}
    now = int(clock.now().timestamp())
    sent = 0
    for recipient in recipients:
        reader = reading[recipient]
        if reader not in made:
            table = service.build(tenant, subscription["report"], filters, reader)
            made[reader] = (table, render(table, subscription["format"], reader, tenant, subscription["report"]))
        table, file = made[reader]
        if table.empty and subscription["skip_when_empty"]:
            with contextlib.suppress(Conflict):
                dynamo.transact_explained(repo.delivery(tenant, subscription_id, at, recipient, "skipped_empty", now))
            continue
        link = unsubscribe.link(tenant, subscription_id, recipient)
        email = mailer.Email(
            to=[recipient],
            compose=functools.partial(report_email, table, link=link),
            kind="report",
            contact_id=None,
            related_id=subscription_id,
            readers={recipient: reader},
            attachments=(mailer.Attachment(file.filename, file.content_type, file.body),),
            headers={"List-Unsubscribe": f"<{link}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
        )
        try:
            mailer.send(tenant, email, also=repo.delivery(tenant, subscription_id, at, recipient, "sent", now))
        except Conflict:
            continue  # another delivery of this occurrence recorded it first
        sent += 1
    return f"sent {sent}"
