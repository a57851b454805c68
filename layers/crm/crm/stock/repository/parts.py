"""Parts planned or used on a job, their settlement by the job's completion, and the cost price of
what was issued to each job."""

from __future__ import annotations

from collections.abc import Sequence

from boto3.dynamodb.conditions import Attr, Key

from crm.platform import dynamo
from crm.platform.errors import Conflict, PreconditionFailed
from crm.platform.i18n import tr
from crm.platform.keys import tenant_key
from crm.stock.repository.records import PART, clean, out

COST = "COST#"


def _parts_pk(tenant: str, job_id: str) -> str:
    return tenant_key(tenant, "JOBPARTS", job_id)


def parts(tenant: str, job_id: str) -> list[dict]:
    return [out(i) for i in dynamo.query_all(("PK", _parts_pk(tenant, job_id)), Key("SK").begins_with(PART))]


def get_part(tenant: str, job_id: str, part_id: str) -> dict | None:
    found = dynamo.get(_parts_pk(tenant, job_id), PART + part_id)
    return out(found) if found else None


def part_put(tenant: str, part: dict, expected_version: int | None) -> dynamo.Step:
    record = {**part, "PK": _parts_pk(tenant, part["job_id"]), "SK": PART + part["id"]}
    if expected_version is None:
        return dynamo.put(clean(record), ConditionExpression=Attr("PK").not_exists()), Conflict(tr("a part with this id exists"))
    stale = PreconditionFailed(tr("the part changed since you read it; reload it"))
    return dynamo.put(clean(record), ConditionExpression=Attr("version").eq(expected_version) & Attr("settled").not_exists()), stale


def part_delete(tenant: str, job_id: str, part_id: str, expected_version: int) -> dynamo.Step:
    stale = PreconditionFailed(tr("the part changed since you read it; reload it"))
    held = Attr("version").eq(expected_version) & Attr("settled").not_exists()
    return dynamo.delete(_parts_pk(tenant, job_id), PART + part_id, ConditionExpression=held), stale


def part_settled(tenant: str, part: dict, outcome: dict) -> dynamo.Step:
    """The part settled by the job's completion, once (`outcome`: its movement id, or that its
    reservation was released, or why it could not be posted): the same completion delivered
    twice moves nothing twice."""
    names = {f"#{k}": k for k in outcome}
    values = {f":{k}": v for k, v in outcome.items()} | {":one": 1}
    return (
        dynamo.update(
            _parts_pk(tenant, part["job_id"]),
            PART + part["id"],
            UpdateExpression="SET " + ", ".join(f"#{k} = :{k}" for k in outcome) + ", version = version + :one",
            ConditionExpression=Attr("PK").exists() & Attr("settled").not_exists(),
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        ),
        AlreadyPosted(tr("this part was already posted")),
    )


class AlreadyPosted(Conflict):
    """A job part's movement was posted by an earlier delivery of the completion."""


# ---------------------------------------------------------------- the cost of parts issued to jobs


def _cost_sk(currency: str) -> str:
    return f"{COST}{currency}"


def job_cost_added(tenant: str, job_id: str, currency: str, amount: int) -> dynamo.Step:
    """Move a job's parts cost in `currency` by `amount` (negative: parts returned), in the
    transaction of the movement that issued or returned them: the sum follows the ledger exactly."""
    return (
        dynamo.update(
            _parts_pk(tenant, job_id),
            _cost_sk(currency),
            UpdateExpression="SET job_id = :job ADD cost :amount",
            ExpressionAttributeValues={":job": job_id, ":amount": amount},
        ),
        None,
    )


def job_costs(tenant: str, job_ids: Sequence[str], currency: str) -> dict[str, int]:
    """The parts cost in `currency` of each of these jobs that has one: one BatchGetItem per 100 jobs."""
    found = dynamo.batch_get([(_parts_pk(tenant, job_id), _cost_sk(currency)) for job_id in job_ids])
    return {item["job_id"]: int(item["cost"]) for item in found}
