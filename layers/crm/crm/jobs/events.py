"""The jobs context's events on the CRM bus (stock movements and invoicing subscribe to them)."""

from __future__ import annotations

from typing import ClassVar

from crm.platform.outbox import Event


class JobCompleted(Event):
    """A job reached a completed status; its `event_id` is the history entry of that change."""

    source: ClassVar[str] = "crm.jobs"
    detail_type: ClassVar[str] = "JobCompleted"
    job_id: str
    reference: str
    status: str
    contact_id: str
    job_type_id: str
    resource_id: str | None = None
    vehicle_id: str | None = None
    completed_at: str
    completed_by: str


class JobCancelled(Event):
    """A job was cancelled; its `event_id` is the history entry of that change (stock releases the
    parts it had reserved for it)."""

    source: ClassVar[str] = "crm.jobs"
    detail_type: ClassVar[str] = "JobCancelled"
    job_id: str
    reference: str
    contact_id: str
    cancelled_at: str
    cancelled_by: str
