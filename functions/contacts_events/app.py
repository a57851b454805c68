"""The contacts context's subscriptions: a deleted contact's notes, emails (and their person-data
index entries) and folder of attachments go after it.

Each handler makes one call into the crm layer; crm.platform.subscriber does the rest (parsing,
partial batch failures, logs).
"""

from __future__ import annotations

from crm.contacts import service
from crm.contacts.events import ContactDeleted
from crm.platform import settings
from crm.platform.subscriber import Subscriber

settings.require(settings.TABLE_NAME, settings.ATTACHMENTS_BUCKET)
subscriber = Subscriber("contacts_events")


@subscriber.on(ContactDeleted)
def contact_deleted(event: ContactDeleted) -> None:
    service.forget_contact(event.tenant, event.contact_id)


handler = subscriber.handler()
