"""The tenant's billing schedule (finance settings, admin): the monthly day (or the last day) and
time, in a time zone, when the billing run starts; whether its invoices are emailed; who gets each
run's summary. Saving it arms the series of runs (crm.platform.scheduling) and shows the next 12."""

from __future__ import annotations

from crm.finance import billing_repository as repo
from crm.finance.contracts_models import BillingSchedule, BillingScheduleFields
from crm.platform import audit, scheduling
from crm.platform import settings as env
from crm.platform.auth import Principal
from crm.platform.errors import PreconditionFailed
from crm.platform.i18n import tr
from crm.platform.recurrence import Recurrence


def series(tenant: str) -> str:
    return scheduling.series_id("billing", tenant)


def target(function_arn: str | None = None) -> scheduling.ScheduleTarget:
    """The billing run function (`function_arn`: its own, when it re-arms itself), through the
    schedule group, role and dead-letter queue the tenants' recurring alerts use."""
    return scheduling.ScheduleTarget(function_arn or env.billing_run_function_arn(), *env.stock_alerts_schedules())


def recurrence(schedule: dict | None) -> Recurrence | None:
    return Recurrence.model_validate(schedule["recurrence"]) if schedule else None


def view(schedule: dict) -> BillingSchedule:
    upcoming = [run.isoformat() for run in Recurrence.model_validate(schedule["recurrence"]).upcoming()]
    return BillingSchedule.model_validate({**schedule, "upcoming": upcoming})


def get(tenant: str) -> BillingSchedule:
    """The schedule, or the unset one (version 0: set it with If-Match "0")."""
    found = repo.get_schedule(tenant)
    return view(found) if found else BillingSchedule()


def put(principal: Principal, fields: BillingScheduleFields, expected_version: int) -> BillingSchedule:
    """Set the schedule (If-Match "0" the first time), then (re-)arm its runs: an admin's save also
    makes whole a series whose armed runs were all lost."""
    tenant = principal.tenant
    current = repo.get_schedule(tenant)
    if (current["version"] if current else 0) != expected_version:
        raise PreconditionFailed(tr("the billing schedule changed since you read it; reload it and apply your change again"))
    schedule = {**fields.model_dump(mode="json", exclude_none=True), "version": expected_version + 1}
    schedule["recurrence"] = fields.recurrence.model_dump(mode="json", exclude_none=True)
    record = audit.entry(principal, "settings.changed", "billing_schedule", tenant, fields=sorted(BillingScheduleFields.model_fields))
    repo.put_schedule(tenant, schedule, expected_version, record)
    scheduling.replace(series(tenant), fields.recurrence, target(), {"tenant": tenant})
    return view(schedule)
