"""DynamoDB keys and writes of jobs: the only module that knows these keys (with
catalog_repository and money_repository for the rest of the jobs context).

Items (every key starts with the tenant, through crm.platform.keys):
  job          PK=T#t#JOB#<id>  SK=JOB
               GSI1 T#t#JOBSTATUS#<status> / <planned start or created>#<id>   lists by status
               GSI2 T#t#CONTACTJOBS#<contact> / <created>#<id>                  the site's job log
               GSI3 T#t#RESOURCEJOBS#<resource> / <planned start or created>#<id> (when assigned)
               GSI4 T#t#SLAJOBS / <first deadline or created>#<id>   (sparse: jobs with an SLA that
                    are open or breached it; the breach report)
  history      PK=T#t#JOB#<id>  SK=HISTORY#<ulid>   append-only: creation, status changes, overrides
  counter      PK=T#t#COUNTER#JOB  SK=COUNTER   n = the last reference number issued
  reference    PK=T#t#JOBREF#<REFERENCE>  SK=JOBREF  job_id (uniqueness, lookup)
  job types, resources, vehicles and SLAs: crm.jobs.catalog_repository
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence

from boto3.dynamodb.conditions import Attr, Key
from botocore.exceptions import ClientError

from crm.platform import dynamo, personal_data
from crm.platform.errors import Conflict, PreconditionFailed, Unavailable
from crm.platform.i18n import tr
from crm.platform.keys import tenant_key

JOB, COUNTER, REF = "JOB", "COUNTER", "JOBREF"
HISTORY = "HISTORY#"
INDEX_KEYS = frozenset({f"GSI{n}{part}" for n in (1, 2, 3, 4) for part in ("PK", "SK")}) | {"PK", "SK"}
NUMBERING_ATTEMPTS = 25


def _job_pk(tenant: str, job_id: str) -> str:
    return tenant_key(tenant, "JOB", job_id)


def _ref_pk(tenant: str, reference: str) -> str:
    return tenant_key(tenant, "JOBREF", reference.upper())


def _counter_pk(tenant: str) -> str:
    return tenant_key(tenant, "COUNTER", "JOB")


def job_key(tenant: str, job_id: str) -> tuple[str, str]:
    """The key of a job's item (for the money repository's invoiced mark)."""
    return _job_pk(tenant, job_id), JOB


def _out(item: dict) -> dict:
    return dynamo.from_item({k: v for k, v in item.items() if k not in INDEX_KEYS})


def stale() -> PreconditionFailed:
    return PreconditionFailed(tr("the job changed since you read it; reload it and apply your change again"))


# ---------------------------------------------------------------- job items


def _job_item(tenant: str, job: dict, sla_watch: bool) -> dict:
    order = f"{job.get('planned_start') or job['created_at']}#{job['id']}"
    item = {
        **job,
        "PK": _job_pk(tenant, job["id"]),
        "SK": JOB,
        "GSI1PK": tenant_key(tenant, "JOBSTATUS", job["status"]),
        "GSI1SK": order,
        "GSI2PK": tenant_key(tenant, "CONTACTJOBS", job["contact_id"]),
        "GSI2SK": f"{job['created_at']}#{job['id']}",
    }
    if job.get("resource_id"):
        item |= {"GSI3PK": tenant_key(tenant, "RESOURCEJOBS", job["resource_id"]), "GSI3SK": order}
    if sla_watch:
        first = job.get("sla", {}).get("first_deadline") or job["created_at"]
        item |= {"GSI4PK": tenant_key(tenant, "SLAJOBS"), "GSI4SK": f"{first}#{job['id']}"}
    return dynamo.to_item({k: v for k, v in item.items() if v is not None})


def _history_put(tenant: str, job_id: str, entry: dict) -> tuple[dict, Exception | None]:
    item = {"PK": _job_pk(tenant, job_id), "SK": HISTORY + entry["id"], **entry}
    return dynamo.put(dynamo.to_item({k: v for k, v in item.items() if v is not None}), ConditionExpression=Attr("PK").not_exists()), None


def get_job(tenant: str, job_id: str) -> dict | None:
    item = dynamo.get(_job_pk(tenant, job_id), JOB)
    return _out(item) if item else None


def counter_value(tenant: str) -> int:
    item = dynamo.get(_counter_pk(tenant), COUNTER)
    return int(item["n"]) if item else 0


def place(tenant: str, job_id: str) -> personal_data.Place:
    """A job's description, which may name who booked it (for the person-data index)."""
    return personal_data.Place(_job_pk(tenant, job_id), JOB, "jobs", "job", job_id, ("description",))


def create_job(
    tenant: str,
    build: Callable[[int], tuple[dict, list[dict]]],
    sla_watch: bool,
    also: Sequence[dynamo.Step] = (),
    claim: Sequence[dynamo.Step] = (),
) -> dict:
    """Number and write a job in one transaction with its counter and reference items, `also` (what
    moves along in other contexts: the site's count of jobs, the person-data index) and the
    request's idempotency claim, last (the counter's and reference's positions are read below).

    `build(n)` returns the job (numbered n) and its history entries. The counter is read, then
    written as n+1 on condition it still holds n: of two jobs created at once one wins, the other
    re-reads and takes the next number; a failed transaction writes nothing, so no number is lost.
    """
    for attempt in range(NUMBERING_ATTEMPTS):
        current = counter_value(tenant)
        job, history = build(current + 1)
        counter = {"PK": _counter_pk(tenant), "SK": COUNTER, "n": current + 1}
        held = Attr("PK").not_exists() if current == 0 else Attr("n").eq(current)
        steps = [
            (dynamo.put(counter, ConditionExpression=held), None),
            (
                dynamo.put(_job_item(tenant, job, sla_watch), ConditionExpression=Attr("PK").not_exists()),
                Conflict(tr("a job with this id exists")),
            ),
            (
                dynamo.put(
                    {"PK": _ref_pk(tenant, job["reference"]), "SK": REF, "job_id": job["id"]}, ConditionExpression=Attr("PK").not_exists()
                ),
                None,
            ),
            *(_history_put(tenant, job["id"], h) for h in history),
            *also,
            *claim,
        ]
        try:
            dynamo.transact_explained(steps)
            return job
        except ClientError as e:
            if dynamo.error_code(e) != "TransactionCanceledException":
                raise
            codes = dynamo.cancellation_codes(e)
            if codes[:1] != ["ConditionalCheckFailed"] and codes[2:3] == ["ConditionalCheckFailed"]:
                raise Conflict(
                    tr("reference {reference} is already taken; the job counter is out of step", reference=job["reference"])
                ) from None
            time.sleep(random.uniform(0, 0.01 * (attempt + 1)))  # noqa: S311 - jitter, not a secret  # lost the race for the number: retry
    raise Unavailable(tr("too many jobs are being created at once; nothing was saved, retry shortly"), headers={"Retry-After": "1"})


def save_job(
    tenant: str,
    job: dict,
    expected_version: int,
    sla_watch: bool,
    history: Sequence[dict] = (),
    also: Sequence[dynamo.Step] = (),
    retries: int = 0,
) -> None:
    """Replace the job on condition it is still at `expected_version`, with its history entries and
    `also` (e.g. the completion event owed), all or nothing (the job alone: one conditional Put).
    A transaction that conflicts with another on a shared item (a month's totals) is tried again
    up to `retries` times; its conditions are checked afresh each time."""
    item, held = _job_item(tenant, job, sla_watch), Attr("version").eq(expected_version)
    if not history and not also:
        dynamo.put_one(item, held, stale())
        return
    steps: list[dynamo.Step] = [(dynamo.put(item, ConditionExpression=held), stale())]
    steps += [_history_put(tenant, job["id"], h) for h in history]
    for attempt in range(retries + 1):
        try:
            dynamo.transact_explained([*steps, *also])
            return
        except ClientError as e:
            if attempt == retries or "TransactionConflict" not in dynamo.cancellation_codes(e):
                raise
            time.sleep(random.uniform(0, 0.02 * 2**attempt))  # noqa: S311 - jitter, not a secret


def job_id_by_reference(tenant: str, reference: str) -> str | None:
    item = dynamo.get(_ref_pk(tenant, reference), REF)
    return item["job_id"] if item else None


def history(tenant: str, job_id: str, *, limit: int, cursor: str | None, query: dict) -> tuple[list[dict], str | None]:
    items, next_cursor = dynamo.query_page(
        tenant=tenant,
        query=query,
        partition=("PK", _job_pk(tenant, job_id)),
        sort=Key("SK").begins_with(HISTORY),
        limit=limit,
        cursor=cursor,
    )
    return [_out(i) for i in items], next_cursor


def log(tenant: str, job_id: str) -> list[dict]:
    """Every history entry of a job, oldest first (a job's log holds a few dozen at most)."""
    return [_out(i) for i in dynamo.query_all(("PK", _job_pk(tenant, job_id)), Key("SK").begins_with(HISTORY))]


# ---------------------------------------------------------------- lists


def jobs_by_status(tenant: str, status: str, *, limit: int, cursor: str | None, query: dict) -> tuple[list[dict], str | None]:
    items, next_cursor = dynamo.query_page(
        tenant=tenant, query=query, partition=("GSI1PK", tenant_key(tenant, "JOBSTATUS", status)), index="GSI1", limit=limit, cursor=cursor
    )
    return [_out(i) for i in items], next_cursor


def jobs_of_resource(
    tenant: str, resource_id: str, status: str | None, *, limit: int, cursor: str | None, query: dict
) -> tuple[list[dict], str | None]:
    items, next_cursor = dynamo.query_page(
        tenant=tenant,
        query=query,
        partition=("GSI3PK", tenant_key(tenant, "RESOURCEJOBS", resource_id)),
        index="GSI3",
        limit=limit,
        cursor=cursor,
        filter_expression=Attr("status").eq(status) if status else None,
    )
    return [_out(i) for i in items], next_cursor


def contact_log(
    tenant: str,
    contact_ids: list[str],
    *,
    status: str | None,
    since: str | None,
    until: str | None,
    limit: int,
    before: str | None,
    before_site: str | None = None,
) -> tuple[list[dict], str | None]:
    """Jobs of several contacts, newest first: one Query per contact, merged by creation time.

    The merge follows one global order (created_at#id, unique), so after a page ending at key K
    every newer job of every contact has been returned: the next page only needs K (`before`).
    Returns the page and the key to continue before, or None at the end.

    Each contact's Query must bring back `limit` jobs (or all it has): the whole page may come from
    one contact. The next page starts strictly before K (`lt`), so K is not read again; with `since`
    the key condition is a BETWEEN, which includes K, so the Query of the contact holding K
    (`before_site`, all of them when unknown) asks for one more.

    So a page costs one Query per contact (at most MAX_FAMILY of them, each Limit `limit`, or
    `limit` + 1 for one), plus a filter's extra reads. A second index entry per job keyed by the
    site's parent would make "a parent and its children" one Query, but the copy on every job goes
    stale when a site changes parent, so the log reads each site's own partition instead.
    """
    # until + "~" sorts after every key of that instant and equals none, so `lt` keeps all of them.
    bounds = [b for b in (before, (until + "~") if until else None) if b]
    high = min(bounds) if bounds else None
    if since and high:
        sort, extra = Key("GSI2SK").between(since, high), int(high == before)  # K itself comes back
    elif since:
        sort, extra = Key("GSI2SK").gte(since), 0
    else:
        sort, extra = (Key("GSI2SK").lt(high) if high else None), 0
    fetched: list[dict] = []
    more = False
    for contact_id in contact_ids:
        items, next_cursor = dynamo.query_page(
            tenant=tenant,
            query={},
            partition=("GSI2PK", tenant_key(tenant, "CONTACTJOBS", contact_id)),
            sort=sort,
            index="GSI2",
            limit=limit + (extra if before_site in (None, contact_id) else 0),
            newest_first=True,
            filter_expression=Attr("status").eq(status) if status else None,
        )
        fetched += [i for i in items if i["GSI2SK"] != before]
        more = more or next_cursor is not None
    fetched.sort(key=lambda i: i["GSI2SK"], reverse=True)
    page = fetched[:limit]
    more = more or len(fetched) > limit
    return [_out(i) for i in page], (page[-1]["GSI2SK"] if more and page else None)


def sla_watch(
    tenant: str, *, until: str | None, keep: Callable[[dict], bool], limit: int, cursor: str | None, query: dict
) -> tuple[list[dict], str | None]:
    items, next_cursor = dynamo.query_page(
        tenant=tenant,
        query=query,
        partition=("GSI4PK", tenant_key(tenant, "SLAJOBS")),
        sort=Key("GSI4SK").lte(until + "~") if until else None,
        index="GSI4",
        limit=limit,
        cursor=cursor,
        keep=lambda i: keep(_out(i)),
    )
    return [_out(i) for i in items], next_cursor
