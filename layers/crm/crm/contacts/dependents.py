"""Records other contexts file under a contact, which deleting the contact would orphan.

Persons and jobs hang on a contact by its id; a contact that still has them is not deleted (the
office deletes or moves them first, and a job's history stays whole). What only describes the
contact (custom-field answers, booking site, SLAs) goes with it. The other contexts are imported here, at
delete time only, so the contacts function's cold start does not load them.
"""

from __future__ import annotations

from crm.platform.i18n import tr


def blocking(tenant: str, contact_id: str) -> list[str]:
    """What still hangs on the contact, in words (messages: "persons", "jobs"); empty when none does."""
    from crm.jobs import service as jobs
    from crm.people import service as people

    found: list[str] = []
    if people.find(tenant, contact_id=contact_id, limit=1, cursor=None)[0]:
        found.append(tr("persons"))
    if jobs.jobs_of_contacts(tenant, [contact_id], limit=1, cursor=None)[0]:
        found.append(tr("jobs"))
    return found


def forget(tenant: str, contact_id: str) -> None:
    """After the contact is deleted: what other contexts kept about it only (idempotent)."""
    from crm.booking import service as booking
    from crm.customfields import service as customfields
    from crm.jobs import service as jobs

    customfields.forget_contact(tenant, contact_id)  # its answers
    booking.forget_contact(tenant, contact_id)  # its booking site, and the slug freed
    jobs.forget_contact(tenant, contact_id)  # its SLAs (it has no jobs, or it would not be deleted)
