"""The stock context's subscriptions: a completed job's parts are posted (van -> site for parts
fitted and units installed, site -> van for units removed; reservations released), each part once
however often the event is delivered; a cancelled job's reservations are released, once; a deleted contact is no warehouse any more (it held no stock:
its deletion is refused while it does; its movements stay in the ledger).

Each handler makes one call into the crm layer; crm.platform.subscriber does the rest.
"""

from __future__ import annotations

from crm.contacts.events import ContactDeleted
from crm.jobs.events import JobCancelled, JobCompleted
from crm.platform import settings
from crm.platform.subscriber import Subscriber
from crm.stock import parts
from crm.stock import settings as stock_settings

settings.require(settings.TABLE_NAME)
subscriber = Subscriber("stock_events")


@subscriber.on(JobCompleted)
def job_completed(event: JobCompleted) -> None:
    parts.complete(event)


@subscriber.on(JobCancelled)
def job_cancelled(event: JobCancelled) -> None:
    parts.cancel(event)


@subscriber.on(ContactDeleted)
def contact_deleted(event: ContactDeleted) -> None:
    stock_settings.forget_contact(event.tenant, event.contact_id)


handler = subscriber.handler()
