"""Report subscriptions: a user subscribes recipients to a report with its filters, a format and a
recurrence (crm.platform.recurrence). Each subscription is one series of EventBridge Scheduler runs
(crm.platform.scheduling: one-time schedules kept two runs ahead); deleting it deletes them."""

from __future__ import annotations

from pydantic import ValidationError

from crm.platform import clock, idempotency, ids, scheduling, settings
from crm.platform.auth import Principal
from crm.platform.errors import FieldError, NotFound, PreconditionFailed, invalid, invalid_fields
from crm.platform.i18n import tr
from crm.platform.pagination import Page
from crm.platform.problems import validation_errors
from crm.platform.recurrence import Recurrence
from crm.reports import repository as repo
from crm.reports.catalogue import REPORTS
from crm.reports.models import Subscription, SubscriptionFields


def target(function_arn: str | None = None) -> scheduling.ScheduleTarget:
    """Where a subscription's runs go: the delivery function (`function_arn` when it is the caller)."""
    role, group, dead_letters = settings.report_schedules()
    return scheduling.ScheduleTarget(function_arn or settings.report_delivery_function(), role, group, dead_letters)


def series(tenant: str, subscription_id: str) -> str:
    return scheduling.series_id("report", tenant, subscription_id)


def view(subscription: dict) -> Subscription:
    recurrence = Recurrence.model_validate(subscription["recurrence"])
    upcoming = [run.isoformat() for run in recurrence.upcoming()]
    return Subscription.model_validate(
        {**subscription, "unsubscribed": sorted(subscription.get("unsubscribed") or []), "upcoming": upcoming}
    )


def filters_of(report: str, filters: dict):
    """The report's own filter model for `filters`: a 422 naming each bad one under `filters.`."""
    try:
        return REPORTS[report].filters.model_validate(filters)
    except ValidationError as e:
        raise invalid_fields([FieldError(f"filters.{error.field}", error.message) for error in validation_errors(e.errors())]) from None


def create(principal: Principal, fields: SubscriptionFields) -> Subscription:
    tenant = principal.tenant
    filters = filters_of(fields.report, fields.filters)
    if not fields.recurrence.upcoming(1):
        raise invalid("recurrence.ends_on", tr("the schedule never runs: it ends before its next run"))
    subscription = {
        "id": ids.new_id(),
        "owner": principal.actor,
        "report": fields.report,
        "filters": filters.model_dump(mode="json", exclude_none=True),
        "format": fields.format,
        "recipients": list(dict.fromkeys(fields.recipients)),
        "recurrence": fields.recurrence.model_dump(mode="json", exclude_none=True),
        "skip_when_empty": fields.skip_when_empty,
        "created_at": clock.iso(clock.now()),
        "version": 1,
    }
    # The schedule first: if saving then fails, its runs find no subscription and send nothing.
    name = series(tenant, subscription["id"])
    scheduling.arm(name, fields.recurrence, target(), {"tenant": tenant, "subscription_id": subscription["id"]})
    try:
        repo.create(tenant, subscription, idempotency.claim(subscription["id"]))
    except Exception:
        scheduling.disarm(name, settings.report_schedules()[1])
        raise
    return view(subscription)


def get(tenant: str, subscription_id: str) -> Subscription:
    found = repo.get(tenant, subscription_id)
    if found is None:
        raise NotFound(tr("no such subscription"))
    return view(found)


def page(tenant: str, *, limit: int, cursor: str | None) -> Page[Subscription]:
    items, next_cursor = repo.page(tenant, limit=limit, cursor=cursor)
    return Page(items=[view(s) for s in items], next_cursor=next_cursor)


def delete(tenant: str, subscription_id: str, expected_version: int) -> None:
    found = get(tenant, subscription_id)
    if found.version != expected_version:
        raise PreconditionFailed(tr("the subscription changed since you read it; reload it before deleting"))
    repo.delete(tenant, subscription_id, expected_version)
    scheduling.disarm(series(tenant, subscription_id), settings.report_schedules()[1])
