"""DynamoDB keys and writes of a job's money: the summaries a contact's financial tab reads, and
the mark that a job is invoiced. The only module that knows these keys.

Items (keys through crm.platform.keys):
  month     PK=T#t#JOBMONEY#<contact>#<scope>  SK=<YYYY-MM>                       totals (ADD)
  job entry PK=T#t#JOBMONEY#<contact>#<scope>  SK=<YYYY-MM>#<completed at>#<job id>  one job's totals

  scope SITE: the jobs at the contact itself; FAMILY: those and its child sites' (a completed job
  counts in its site's SITE and FAMILY partitions and in its parent's FAMILY partition). Months
  are calendar months in the account's time zone. A month sorts just before its jobs, so one Query
  between two months reads a period's month totals and its jobs together.
"""

from __future__ import annotations

from boto3.dynamodb.conditions import Attr, Key

from crm.jobs import repository as jobs_repo
from crm.platform import dynamo
from crm.platform.errors import Conflict
from crm.platform.i18n import tr
from crm.platform.keys import tenant_key

SITE, FAMILY = "SITE", "FAMILY"
AMOUNTS = ("charges", "labour_cost", "mileage_cost")
ENTRY_FIELDS = ("job_id", "reference", "contact_id", "completed_at", "month", *AMOUNTS)


def _pk(tenant: str, contact_id: str, scope: str) -> str:
    return tenant_key(tenant, "JOBMONEY", contact_id, scope)


def completion_steps(tenant: str, entry: dict, parent_id: str | None) -> list[dynamo.Step]:
    """What a job's completion adds to the summaries, for its own transaction: the job's entry and
    its month's totals in each partition it counts in. The entry's creation is conditional, so a
    job is never counted twice."""
    partitions = [(entry["contact_id"], SITE), (entry["contact_id"], FAMILY)]
    if parent_id:
        partitions.append((parent_id, FAMILY))
    steps: list[dynamo.Step] = []
    counted = Conflict(tr("this job's money is already counted"))
    for contact_id, scope in partitions:
        pk = _pk(tenant, contact_id, scope)
        sk = f"{entry['month']}#{entry['completed_at']}#{entry['job_id']}"
        steps.append((dynamo.put(dynamo.to_item({"PK": pk, "SK": sk, **entry}), ConditionExpression=Attr("PK").not_exists()), counted))
        names = {f"#{name}": name for name in ("jobs", "month", *AMOUNTS)}
        values = {":jobs": 1, ":month": entry["month"], **{f":{name}": entry[name] for name in AMOUNTS}}
        added = ", ".join(f"#{name} :{name}" for name in ("jobs", *AMOUNTS))
        operation = dynamo.update(
            pk,
            entry["month"],
            UpdateExpression=f"ADD {added} SET #month = :month",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )
        steps.append((operation, None))
    return steps


def period(tenant: str, contact_id: str, family: bool, first_month: str, last_month: str) -> tuple[list[dict], list[dict]]:
    """The month totals and the job entries of a contact (with its children when `family`) from
    `first_month` to `last_month` (YYYY-MM, both included): one Query (more pages only past 1 MB)."""
    sort = Key("SK").between(first_month, last_month + "~")
    items = [dynamo.from_item(i) for i in dynamo.query_all(("PK", _pk(tenant, contact_id, FAMILY if family else SITE)), sort)]
    months = [i for i in items if "job_id" not in i]
    jobs = [{k: i.get(k) for k in ENTRY_FIELDS} for i in items if "job_id" in i]
    return months, jobs


def invoiced_step(tenant: str, job_id: str, invoice_id: str, at: str, statuses: frozenset[str]) -> dynamo.Step:
    """Mark a completed job invoiced by `invoice_id` (its version moves on), on condition that no
    invoice has it yet: of two documents invoicing one job, the second's transaction fails."""
    pk, sk = jobs_repo.job_key(tenant, job_id)
    condition = Attr("invoice_id").not_exists() & Attr("status").is_in(sorted(statuses))
    operation = dynamo.update(
        pk,
        sk,
        UpdateExpression="SET #invoice = :invoice, #invoiced = :at, #version = #version + :one",
        ConditionExpression=condition,
        ExpressionAttributeNames={"#invoice": "invoice_id", "#invoiced": "invoiced_at", "#version": "version"},
        ExpressionAttributeValues={":invoice": invoice_id, ":at": at, ":one": 1},
    )
    return operation, Conflict(tr("the job was invoiced by another document meanwhile; reload it to see which"))


def uninvoiced_step(tenant: str, job_id: str, invoice_id: str) -> dynamo.Step:
    """Free a job its invoice `invoice_id` no longer invoices (a draft deleted), on condition that
    this invoice still has it."""
    pk, sk = jobs_repo.job_key(tenant, job_id)
    operation = dynamo.update(
        pk,
        sk,
        UpdateExpression="REMOVE #invoice, #invoiced SET #version = #version + :one",
        ConditionExpression=Attr("invoice_id").eq(invoice_id),
        ExpressionAttributeNames={"#invoice": "invoice_id", "#invoiced": "invoiced_at", "#version": "version"},
        ExpressionAttributeValues={":one": 1},
    )
    return operation, Conflict(tr("the job is no longer invoiced by this document; reload it"))


def put_lines(tenant: str, job_id: str, lines: list[dict], expected_version: int, at: str, open_statuses: frozenset[str]) -> None:
    """Replace a job's chargeable lines on condition it is still at `expected_version` and open
    (one conditional UpdateItem: the job's index keys stay as they are)."""
    pk, sk = jobs_repo.job_key(tenant, job_id)
    dynamo.update_one(
        pk,
        sk,
        jobs_repo.stale(),
        UpdateExpression="SET #charges = :lines, #updated = :at, #version = #version + :one",
        ConditionExpression=Attr("version").eq(expected_version) & Attr("status").is_in(sorted(open_statuses)),
        ExpressionAttributeNames={"#charges": "charges", "#updated": "updated_at", "#version": "version"},
        ExpressionAttributeValues={":lines": dynamo.to_item({"lines": lines})["lines"], ":at": at, ":one": 1},
    )
