"""The stock context's subscriptions: a completed job's parts are posted (van -> site for parts
fitted and units installed, site -> van for units removed; reservations released), each part once
however often the event is delivered.

Each handler makes one call into the crm layer; crm.platform.subscriber does the rest.
"""

from __future__ import annotations

from crm.jobs.events import JobCompleted
from crm.platform.subscriber import Subscriber
from crm.stock import parts

subscriber = Subscriber("stock_events")


@subscriber.on(JobCompleted)
def job_completed(event: JobCompleted) -> None:
    parts.complete(event)


handler = subscriber.handler()
