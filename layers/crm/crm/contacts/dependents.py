"""Records other contexts file under a contact, which deleting the contact would orphan.

Persons and jobs hang on a contact by its id; a contact that still has them is not deleted (the
office deletes or moves them first, and a job's history stays whole). What only describes the
contact (custom-field answers, booking site, SLAs) goes with it, on the ContactDeleted event.
"""

from __future__ import annotations


def blocking(tenant: str, contact_id: str) -> list[str]:
    """What still hangs on the contact, in words ("persons", "jobs"); empty when none does."""
    from crm.jobs import service as jobs
    from crm.people import service as people

    found = []
    if people.find(tenant, contact_id=contact_id, limit=1, cursor=None)[0]:
        found.append("persons")
    if jobs.jobs_of_contacts(tenant, [contact_id], limit=1, cursor=None)[0]:
        found.append("jobs")
    return found
