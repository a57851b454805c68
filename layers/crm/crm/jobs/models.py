"""Pydantic shapes of the jobs context at the HTTP edge (inputs strict, outputs explicit)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StringConstraints, model_validator

from crm.jobs.money_models import ChargeLines, Km
from crm.jobs.sla import Constraint, Name, Violation
from crm.jobs.transitions import Status
from crm.platform.i18n import tr
from crm.platform.types import STRICT, AwareDatetime, Email, Id, LongText, Text

UserId = Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=r"^[^#\s]+$")]
Tags = Annotated[list[Name], Field(max_length=50)]
Duration = Annotated[int, Field(gt=0, le=7 * 24 * 60)]
# Rates in minor units of the account's currency; the bounds refuse typing slips (a rate in units
# instead of cents stays well inside them, an extra few zeros does not).
CostRate = Annotated[int, Field(ge=0, le=10_000_000, description="Minor units of the account's currency per hour")]
MileageRate = Annotated[int, Field(ge=0, le=1_000_000, description="Minor units of the account's currency per km")]


# ---------------------------------------------------------------- job types, resources, vehicles


class JobTypeFields(BaseModel):
    model_config = STRICT
    name: Text
    duration_minutes: Duration | None = None


class JobTypePatch(BaseModel):
    model_config = STRICT
    name: Text | None = None
    duration_minutes: Duration | None = None


class JobType(BaseModel):
    id: str
    version: int
    name: str
    duration_minutes: int | None = None


class ResourceFields(BaseModel):
    """A technician: a staff user (Cognito `sub`) with the resource role, their group and skills."""

    model_config = STRICT
    user_id: UserId
    name: Text
    email: Email | None = None
    group: Name | None = None
    skills: Tags = []
    cost_rate: CostRate | None = None


class ResourcePatch(BaseModel):
    model_config = STRICT
    name: Text | None = None
    email: Email | None = None
    group: Name | None = None
    skills: Tags | None = None
    cost_rate: CostRate | None = None


class Resource(BaseModel):
    id: str
    version: int
    name: str
    email: str | None = None
    group: str | None = None
    skills: list[str] = []
    cost_rate: int | None = Field(default=None, description="Minor units of the account's currency per hour")


class VehicleFields(BaseModel):
    model_config = STRICT
    name: Text
    registration: Annotated[str, StringConstraints(min_length=1, max_length=20)] | None = None
    group: Name | None = None
    attributes: Tags = []
    mileage_rate: MileageRate | None = None


class VehiclePatch(BaseModel):
    model_config = STRICT
    name: Text | None = None
    registration: Annotated[str, StringConstraints(min_length=1, max_length=20)] | None = None
    group: Name | None = None
    attributes: Tags | None = None
    mileage_rate: MileageRate | None = None


class Vehicle(BaseModel):
    id: str
    version: int
    name: str
    registration: str | None = None
    group: str | None = None
    attributes: list[str] = []
    mileage_rate: int | None = Field(default=None, description="Minor units of the account's currency per km")


# ---------------------------------------------------------------- SLAs


class SlaFields(BaseModel):
    model_config = STRICT
    name: Name
    job_type_id: Id | None = Field(default=None, description="None: the SLA applies to every job type")
    constraints: Annotated[list[Constraint], Field(min_length=1, max_length=20)]


class Sla(BaseModel):
    id: str
    contact_id: str
    version: int
    name: str
    job_type_id: str | None = None
    constraints: list[dict[str, Any]]


class SlaOffer(BaseModel):
    id: str
    name: str


# ---------------------------------------------------------------- jobs


Overrides = Annotated[list[Annotated[str, StringConstraints(max_length=26)]], Field(max_length=20)]


class _Planned(BaseModel):
    @model_validator(mode="after")
    def _ordered(self):
        start, end = getattr(self, "planned_start", None), getattr(self, "planned_end", None)
        if start is not None and end is not None and end <= start:
            raise ValueError(tr("planned_end must be after planned_start"))
        return self


class JobCreate(_Planned):
    model_config = STRICT
    contact_id: Id
    job_type_id: Id
    description: LongText | None = None
    planned_start: AwareDatetime | None = None
    planned_end: AwareDatetime | None = None
    resource_id: UserId | None = None
    vehicle_id: Id | None = None
    sla_id: Id | None = Field(default=None, description="One of the SLAs the site offers for this job type")
    strict: bool = Field(default=False, description="Refuse (409) instead of saving with warnings")
    override_constraints: Overrides = Field(default=[], description="SLA constraint ids the office overrides")
    charges: ChargeLines = Field(default=[], description="Chargeable lines (e.g. a quote's, when sales makes a job of it)")


class JobPatch(_Planned):
    """A JSON merge patch of the plan: fields sent replace, null clears, fields left out stay."""

    model_config = STRICT
    description: LongText | None = None
    planned_start: AwareDatetime | None = None
    planned_end: AwareDatetime | None = None
    resource_id: UserId | None = None
    vehicle_id: Id | None = None
    strict: bool = False
    override_constraints: Overrides = []


class Labour(BaseModel):
    model_config = STRICT
    resource_id: UserId
    minutes: Duration


class Mileage(BaseModel):
    model_config = STRICT
    vehicle_id: Id
    km: Km


class StatusChange(BaseModel):
    model_config = STRICT
    status: Status
    note: Annotated[str, StringConstraints(min_length=1, max_length=1000)] | None = None
    labour: Annotated[list[Labour], Field(max_length=20)] | None = Field(
        default=None, description="On completion: minutes per resource; left out, the job log's time in progress, for its resource"
    )
    mileage: Annotated[list[Mileage], Field(max_length=20)] | None = Field(default=None, description="On completion: km per vehicle")


class JobSla(BaseModel):
    sla_id: str
    name: str
    constraints: list[dict[str, Any]]


class Job(BaseModel):
    id: str
    reference: str
    version: int
    status: Status
    contact_id: str
    job_type_id: str
    description: str | None = None
    planned_start: str | None = None
    planned_end: str | None = None
    resource_id: str | None = None
    vehicle_id: str | None = None
    sla: JobSla | None = None
    preferred_date: str | None = Field(default=None, description="The day a booking-site customer asked for")
    created_at: str
    created_by: str
    updated_at: str
    started_at: str | None = None
    completed_at: str | None = None


class Warning(BaseModel):
    code: Literal["outside_opening_hours", "sla_constraint"]
    message: str
    reasons: list[str] = []
    constraint_id: str | None = None


class JobWritten(Job):
    warnings: list[Warning] = []
    flag: str | None = Field(default=None, description="The site's flag, shown when a job is created for it")
    available_slas: list[SlaOffer] = []


class HistoryEntry(BaseModel):
    id: str
    at: str
    by: str
    role: str
    kind: Literal["created", "status", "override"]
    from_status: str | None = None
    to_status: str | None = None
    constraint_id: str | None = None
    note: str | None = None


# ---------------------------------------------------------------- the tablet view


class Site(BaseModel):
    """What a resource sees of the job's site: never the flag, never financial data."""

    id: str
    name: str
    address: dict[str, Any] | None = None
    location: dict[str, Any] | None = None
    zone: dict[str, Any] | None = None
    on_site_contact: dict[str, Any] | None = None
    site_notes: str | None = None
    opening_hours: dict[str, Any] | None = None


class TabletJob(Job):
    site: Site
    fields: list[dict[str, Any]] = Field(default=[], description="The site's custom fields visible to resources, with their answers")
    fields_version: int | None = Field(default=None, description="Send as If-Match to PATCH /jobs/{job_id}/fields")


class BreachLine(BaseModel):
    job: Job
    violations: list[Violation]
