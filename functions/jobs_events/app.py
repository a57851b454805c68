"""The jobs context's subscriptions: a deleted contact's SLAs go (its jobs, the site's history,
kept it from being deleted while it had any).

Each handler makes one call into the crm layer; crm.platform.subscriber does the rest.
"""

from __future__ import annotations

from crm.contacts.events import ContactDeleted
from crm.jobs import service
from crm.platform import settings
from crm.platform.subscriber import Subscriber

settings.require(settings.TABLE_NAME)
subscriber = Subscriber("jobs_events")


@subscriber.on(ContactDeleted)
def contact_deleted(event: ContactDeleted) -> None:
    service.forget_contact(event.tenant, event.contact_id)


handler = subscriber.handler()
