"""The custom fields context's subscriptions: a deleted contact's answers go after it.

Each handler makes one call into the crm layer; crm.platform.subscriber does the rest.
"""

from __future__ import annotations

from crm.contacts.events import ContactDeleted
from crm.customfields import service
from crm.platform import settings
from crm.platform.subscriber import Subscriber

settings.require(settings.TABLE_NAME)
subscriber = Subscriber("customfields_events")


@subscriber.on(ContactDeleted)
def contact_deleted(event: ContactDeleted) -> None:
    service.forget_contact(event.tenant, event.contact_id)


handler = subscriber.handler()
