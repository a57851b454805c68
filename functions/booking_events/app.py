"""The booking context's subscriptions: a deleted contact's booking site goes, and its slug is freed.

Each handler makes one call into the crm layer; crm.platform.subscriber does the rest.
"""

from __future__ import annotations

from crm.booking import service
from crm.contacts.events import ContactDeleted
from crm.platform import settings
from crm.platform.subscriber import Subscriber

settings.require(settings.TABLE_NAME)
subscriber = Subscriber("booking_events")


@subscriber.on(ContactDeleted)
def contact_deleted(event: ContactDeleted) -> None:
    service.forget_contact(event.tenant, event.contact_id)


handler = subscriber.handler()
