"""The contacts context's events on the CRM bus, for the contexts above it to subscribe to."""

from __future__ import annotations

from typing import ClassVar

from crm.platform.outbox import Event


class ContactDeleted(Event):
    """A contact is gone (it had no persons, jobs or children left): every context forgets what it
    kept about it, idempotently."""

    source: ClassVar[str] = "crm.contacts"
    detail_type: ClassVar[str] = "ContactDeleted"
    contact_id: str
    group_id: str
    parent_id: str | None = None
    deleted_at: str
