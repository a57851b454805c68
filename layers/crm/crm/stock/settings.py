"""The tenant's stock settings: negative stock allowed or not, the contacts that are warehouses
(their stock is the company's own, with the vans'), and the daily reorder alert (time, zone,
recipients), armed as a recurring schedule whose next 12 runs the settings show."""

from __future__ import annotations

from crm.contacts import service as contacts
from crm.platform import scheduling
from crm.platform import settings as env
from crm.platform.errors import Conflict, FieldError, PreconditionFailed, invalid_fields
from crm.platform.i18n import tr
from crm.platform.recurrence import Recurrence
from crm.stock.models import StockSettings, StockSettingsPatch
from crm.stock.repository import balances as balances_repo
from crm.stock.repository import settings as settings_repo

DEFAULTS = {"version": 0, "allow_negative": False, "warehouses": [], "alert_recipients": []}


def stored(tenant: str) -> dict:
    return {**DEFAULTS, **(settings_repo.get_settings(tenant) or {})}


def recurrence(settings: dict) -> Recurrence | None:
    """The daily reorder alert, when a time and zone are set."""
    if not settings.get("alert_time") or not settings.get("alert_timezone"):
        return None
    return Recurrence(frequency="daily", time=settings["alert_time"], timezone=settings["alert_timezone"])


def series(tenant: str) -> str:
    return scheduling.series_id("reorder", tenant)


def target(function_arn: str | None = None) -> scheduling.ScheduleTarget:
    """The alert function (`function_arn`: its own, when it re-arms itself) and how Scheduler reaches it."""
    return scheduling.ScheduleTarget(function_arn or env.stock_alerts_function_arn(), *env.stock_alerts_schedules())


def view(settings: dict) -> StockSettings:
    schedule = recurrence(settings)
    runs = [r.isoformat() for r in schedule.upcoming()] if schedule else []
    return StockSettings.model_validate({**settings, "next_alerts": runs})


def get(tenant: str) -> StockSettings:
    return view(stored(tenant))


def update(tenant: str, patch: StockSettingsPatch, expected_version: int) -> StockSettings:
    current = stored(tenant)
    if current["version"] != expected_version:
        raise PreconditionFailed(tr("the stock settings changed since you read them; reload them first"))
    changes = patch.model_dump(exclude_unset=True, mode="json")
    new = {**current, **{k: v for k, v in changes.items()}, "version": current["version"] + 1}
    for name in ("allow_negative", "warehouses", "alert_recipients"):
        if new.get(name) is None:
            new[name] = DEFAULTS[name]
    errors = []
    if bool(new.get("alert_time")) != bool(new.get("alert_timezone")):
        errors.append(
            FieldError("alert_timezone" if new.get("alert_time") else "alert_time", tr("the alert needs both a time and a time zone"))
        )
    added = set(new["warehouses"]) - set(current["warehouses"])
    for contact_id in sorted(added):
        if contacts.lookup(tenant, contact_id) is None:
            errors.append(FieldError("warehouses", tr("{id} is not a contact of this account", id=contact_id)))
    if errors:
        raise invalid_fields(errors)
    # A contact's stock counts as the company's own or not: it changes only while it holds none,
    # so the totals the reorder report reads stay true.
    for contact_id in sorted(added ^ (set(current["warehouses"]) - set(new["warehouses"]))):
        if balances_repo.holds_any(tenant, f"contact:{contact_id}"):
            raise Conflict(tr("contact {id} holds stock; move it out before changing whether it is a warehouse", id=contact_id))
    settings_repo.put_settings(tenant, new, expected_version)
    # Every save re-arms the alert (or disarms it): a series whose armed runs were lost (all failed
    # past Scheduler's retries) is whole again once an admin saves the settings.
    after = recurrence(new)
    if after is None:
        if recurrence(current) is not None:
            scheduling.disarm(series(tenant), target().group)
    else:
        scheduling.replace(series(tenant), after, target(), {"tenant": tenant})
    return view(new)


def forget_contact(tenant: str, contact_id: str) -> None:
    """A deleted contact is no warehouse any more (ContactDeleted; it held no stock, or its deletion
    would have been refused; the ledger keeps its movements). Idempotent."""
    for _ in range(5):
        current = stored(tenant)
        if contact_id not in current["warehouses"]:
            return
        new = {**current, "warehouses": [w for w in current["warehouses"] if w != contact_id], "version": current["version"] + 1}
        try:
            settings_repo.put_settings(tenant, new, current["version"])
            return
        except PreconditionFailed:
            continue  # changed meanwhile: read again
    raise PreconditionFailed(tr("the stock settings kept changing; retry"))
