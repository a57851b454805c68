"""Jobs API: job types, resources, vehicles, SLAs, jobs (planning, status), their chargeable
lines and costs, the site's job log, the SLA breach report and the tablet view.

Each route parses, authorises (its roles) and makes one call into the crm layer.
"""

from __future__ import annotations

from typing import Annotated, Literal

from aws_lambda_powertools.event_handler.openapi.params import Query

from crm.contacts.readers import reader_locale
from crm.customfields.models import ContactFieldValues, ValuesPatch
from crm.jobs import catalog, charges, service, views
from crm.jobs.models import (
    BreachLine,
    HistoryEntry,
    Job,
    JobCreate,
    JobPatch,
    JobType,
    JobTypeFields,
    JobTypePatch,
    JobWritten,
    Resource,
    ResourceFields,
    ResourcePatch,
    Sla,
    SlaFields,
    StatusChange,
    TabletJob,
    Vehicle,
    VehicleFields,
    VehiclePatch,
)
from crm.jobs.money_models import Charges, ChargesFields, JobCosts
from crm.jobs.transitions import Status
from crm.platform import settings
from crm.platform.auth import ADMINS, STAFF, STAFF_AND_RESOURCES
from crm.platform.http import Api, respond
from crm.platform.pagination import DEFAULT_LIMIT, Page
from crm.platform.types import AwareDatetime, Limit

settings.require(settings.TABLE_NAME, settings.IDEMPOTENCY_TABLE, settings.CURSOR_KEYS_PARAMETER, settings.EVENT_BUS_NAME)
api = Api("jobs", reader_locale=reader_locale)
app = api.app
Cursor = Annotated[str | None, Query(max_length=4096)]
IdParam = Annotated[str | None, Query(max_length=26)]
SLA_NEVER_OPEN = "the SLA's deadlines never come (the site's opening hours open at no time)"
STRICT_WARNINGS = "strict: the plan has warnings (outside opening hours, against an SLA), so nothing was saved"


def _tenant() -> str:
    return api.principal().tenant


# ---------------------------------------------------------------- job types, resources, vehicles (admin)


@api.route("GET", "/job-types", roles=STAFF_AND_RESOURCES)
def list_job_types() -> Page[JobType]:
    return Page(items=catalog.members(_tenant(), "type"))


@api.route("POST", "/job-types", roles=ADMINS, returns=JobType, location="/job-types/{job_type_id}")
def create_job_type(body: JobTypeFields):
    created = catalog.create(_tenant(), "type", body)
    return respond(JobType.model_validate(created), 201, created["version"])


@api.route("GET", "/job-types/{job_type_id}", roles=STAFF_AND_RESOURCES, returns=JobType)
def get_job_type(job_type_id: str):
    found = catalog.member(_tenant(), "type", job_type_id)
    return respond(JobType.model_validate(found), version=found["version"])


@api.route("PATCH", "/job-types/{job_type_id}", roles=ADMINS, returns=JobType, if_match="required")
def update_job_type(job_type_id: str, body: JobTypePatch):
    updated = catalog.update(_tenant(), "type", job_type_id, body, api.version())
    return respond(JobType.model_validate(updated), version=updated["version"])


@api.route("GET", "/resources", roles=STAFF)
def list_resources() -> Page[Resource]:
    return Page(items=catalog.members(_tenant(), "resource"))


@api.route(
    "POST", "/resources", roles=ADMINS, returns=Resource, location="/resources/{resource_id}", conflicts=("the user is a resource already",)
)
def create_resource(body: ResourceFields):
    created = catalog.create(_tenant(), "resource", body)
    return respond(Resource.model_validate(created), 201, created["version"])


@api.route("GET", "/resources/{resource_id}", roles=STAFF, returns=Resource)
def get_resource(resource_id: str):
    found = catalog.member(_tenant(), "resource", resource_id)
    return respond(Resource.model_validate(found), version=found["version"])


@api.route("PATCH", "/resources/{resource_id}", roles=ADMINS, returns=Resource, if_match="required")
def update_resource(resource_id: str, body: ResourcePatch):
    updated = catalog.update(_tenant(), "resource", resource_id, body, api.version())
    return respond(Resource.model_validate(updated), version=updated["version"])


@api.route("GET", "/vehicles", roles=STAFF)
def list_vehicles() -> Page[Vehicle]:
    return Page(items=catalog.members(_tenant(), "vehicle"))


@api.route("POST", "/vehicles", roles=ADMINS, returns=Vehicle, location="/vehicles/{vehicle_id}")
def create_vehicle(body: VehicleFields):
    created = catalog.create(_tenant(), "vehicle", body)
    return respond(Vehicle.model_validate(created), 201, created["version"])


@api.route("GET", "/vehicles/{vehicle_id}", roles=STAFF, returns=Vehicle)
def get_vehicle(vehicle_id: str):
    found = catalog.member(_tenant(), "vehicle", vehicle_id)
    return respond(Vehicle.model_validate(found), version=found["version"])


@api.route("PATCH", "/vehicles/{vehicle_id}", roles=ADMINS, returns=Vehicle, if_match="required")
def update_vehicle(vehicle_id: str, body: VehiclePatch):
    updated = catalog.update(_tenant(), "vehicle", vehicle_id, body, api.version())
    return respond(Vehicle.model_validate(updated), version=updated["version"])


# ---------------------------------------------------------------- SLAs of a site (office and admin)


@api.route("GET", "/contacts/{contact_id}/slas", roles=STAFF)
def list_slas(contact_id: str, job_type_id: IdParam = None) -> Page[Sla]:
    return Page(items=catalog.slas(_tenant(), contact_id, job_type_id))


@api.route("POST", "/contacts/{contact_id}/slas", roles=STAFF, returns=Sla, location="/contacts/{contact_id}/slas/{sla_id}")
def create_sla(contact_id: str, body: SlaFields):
    created = catalog.create_sla(_tenant(), contact_id, body)
    return respond(Sla.model_validate(created), 201, created["version"])


@api.route("GET", "/contacts/{contact_id}/slas/{sla_id}", roles=STAFF, returns=Sla)
def get_sla(contact_id: str, sla_id: str):
    found = catalog.sla(_tenant(), contact_id, sla_id)
    return respond(Sla.model_validate(found), version=found["version"])


@api.route("DELETE", "/contacts/{contact_id}/slas/{sla_id}", roles=STAFF, if_match="required")
def delete_sla(contact_id: str, sla_id: str):
    catalog.delete_sla(_tenant(), contact_id, sla_id, api.version())
    return respond(None, 204)


# ---------------------------------------------------------------- jobs


@api.route("GET", "/jobs", roles=STAFF_AND_RESOURCES)
def list_jobs(
    status: Annotated[Status | None, Query()] = None,
    reference: Annotated[str | None, Query(min_length=1, max_length=40)] = None,
    limit: Annotated[Limit, Query()] = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[Job]:
    items, next_cursor = service.find(api.principal(), status=status, reference=reference, limit=limit, cursor=cursor)
    return Page(items=items, next_cursor=next_cursor)


@api.route("POST", "/jobs", roles=STAFF, returns=JobWritten, location="/jobs/{job_id}", conflicts=(STRICT_WARNINGS, SLA_NEVER_OPEN))
def create_job(body: JobCreate):
    job = service.create(api.principal(), body)
    return respond(JobWritten.model_validate(job), 201, job["version"])


@api.route("GET", "/jobs/{job_id}", roles=STAFF_AND_RESOURCES, returns=Job | TabletJob)
def get_job(job_id: str):
    principal = api.principal()
    if principal.is_resource:
        job = views.tablet(principal, job_id)
        return respond(TabletJob.model_validate(job), version=job["version"])
    job = service.get(principal, job_id)
    return respond(Job.model_validate(job), version=job["version"])


@api.route(
    "PATCH",
    "/jobs/{job_id}",
    roles=STAFF,
    returns=JobWritten,
    if_match="required",
    conflicts=("a done or cancelled job cannot be re-planned", STRICT_WARNINGS, SLA_NEVER_OPEN),
)
def update_job(job_id: str, body: JobPatch):
    job = service.update(api.principal(), job_id, body, api.version())
    return respond(JobWritten.model_validate(job), version=job["version"])


@api.route(
    "POST",
    "/jobs/{job_id}/status",
    roles=STAFF_AND_RESOURCES,
    returns=Job,
    if_match="required",
    etag_of="/jobs/{job_id}",
    conflicts=("the status cannot go there from the current one (`errors` lists the allowed ones), or the job is not planned",),
)
def change_status(job_id: str, body: StatusChange):
    job = service.change_status(api.principal(), job_id, body, api.version())
    return respond(Job.model_validate(job), version=job["version"])


@api.route("GET", "/jobs/{job_id}/charges", roles=STAFF, returns=Charges)
def job_charges(job_id: str):
    found = charges.lines(api.principal(), job_id)
    return respond(Charges.model_validate(found), version=found["version"])


@api.route(
    "PUT",
    "/jobs/{job_id}/charges",
    roles=STAFF,
    returns=Charges,
    if_match="required",
    conflicts=("the lines of a completed or cancelled job are final",),
)
def replace_job_charges(job_id: str, body: ChargesFields):
    saved = charges.replace_lines(api.principal(), job_id, body.lines, api.version())
    return respond(Charges.model_validate(saved), version=saved["version"])


@api.route("GET", "/jobs/{job_id}/costs", roles=STAFF, returns=JobCosts)
def job_costs(job_id: str):
    return respond(JobCosts.model_validate(charges.costs(api.principal(), job_id)))


@api.route("GET", "/jobs/{job_id}/history", roles=STAFF_AND_RESOURCES)
def job_history(job_id: str, limit: Annotated[Limit, Query()] = DEFAULT_LIMIT, cursor: Cursor = None) -> Page[HistoryEntry]:
    items, next_cursor = service.history(api.principal(), job_id, limit, cursor)
    return Page(items=items, next_cursor=next_cursor)


@api.route("GET", "/jobs/{job_id}/fields", roles=STAFF_AND_RESOURCES, returns=ContactFieldValues)
def job_fields(job_id: str):
    answers = views.job_fields(api.principal(), job_id)
    return respond(answers, version=answers.version)


@api.route("PATCH", "/jobs/{job_id}/fields", roles=STAFF_AND_RESOURCES, returns=ContactFieldValues, if_match="required")
def answer_fields(job_id: str, body: ValuesPatch):
    answers = views.answer_fields(api.principal(), job_id, body, api.version())
    return respond(ContactFieldValues.model_validate(answers), version=answers.version)


@api.route("GET", "/contacts/{contact_id}/jobs", roles=STAFF, conflicts=("more associated sites than one log merges",))
def site_log(
    contact_id: str,
    include: Annotated[
        Literal["children", "siblings"] | None,
        Query(description="children: the contact's child sites too; siblings: its parent's other sites"),
    ] = None,
    status: Annotated[Status | None, Query()] = None,
    since: Annotated[AwareDatetime | None, Query(description="created at or after")] = None,
    until: Annotated[AwareDatetime | None, Query(description="created at or before")] = None,
    limit: Annotated[Limit, Query()] = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[Job]:
    items, next_cursor = views.site_log(
        api.principal(), contact_id, include=include, status=status, since=since, until=until, limit=limit, cursor=cursor
    )
    return Page(items=items, next_cursor=next_cursor)


@api.route("GET", "/reports/sla-breaches", roles=STAFF)
def sla_breaches(
    until: Annotated[AwareDatetime | None, Query(description="only jobs whose first SLA deadline is by then")] = None,
    limit: Annotated[Limit, Query()] = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[BreachLine]:
    items, next_cursor = views.breaches(api.principal(), until=until, limit=limit, cursor=cursor)
    return Page(items=items, next_cursor=next_cursor)


handler = api.handler()
