"""DynamoDB keys and writes of what jobs are planned with: job types, resources, vehicles, and the
SLAs of a contact. The only module that knows these keys.

Items (every key starts with the tenant, through crm.platform.keys):
  job type     PK=T#t#JOBTYPES  SK=TYPE#<id>
  resource     PK=T#t#RESOURCES SK=RESOURCE#<user id>
  vehicle      PK=T#t#VEHICLES  SK=VEHICLE#<id>
  SLA          PK=T#t#SLAS#<contact>  SK=SLA#<id>
"""

from __future__ import annotations

from collections.abc import Sequence

from boto3.dynamodb.conditions import Attr, Key
from botocore.exceptions import ClientError

from crm.platform import aws, dynamo
from crm.platform.errors import Conflict, PreconditionFailed
from crm.platform.i18n import tr
from crm.platform.keys import tenant_key

COLLECTIONS = {"type": ("JOBTYPES", "TYPE#"), "resource": ("RESOURCES", "RESOURCE#"), "vehicle": ("VEHICLES", "VEHICLE#")}


# ---------------------------------------------------------------- job types, resources, vehicles


def stale_member(kind: str) -> PreconditionFailed:
    """The 412 of a job type, resource or vehicle changed since it was read."""
    return PreconditionFailed(
        {
            "type": tr("the job type changed since you read it; reload it and apply your change again"),
            "resource": tr("the resource changed since you read it; reload it and apply your change again"),
            "vehicle": tr("the vehicle changed since you read it; reload it and apply your change again"),
        }[kind]
    )


def _collection_key(tenant: str, kind: str, item_id: str) -> tuple[str, str]:
    partition, prefix = COLLECTIONS[kind]
    return tenant_key(tenant, partition), prefix + item_id


def list_collection(tenant: str, kind: str) -> list[dict]:
    partition, prefix = COLLECTIONS[kind]
    return [dynamo.from_item(i) for i in dynamo.query_all(("PK", tenant_key(tenant, partition)), Key("SK").begins_with(prefix))]


def get_member(tenant: str, kind: str, item_id: str) -> dict | None:
    item = dynamo.get(*_collection_key(tenant, kind, item_id))
    return dynamo.from_item(item) if item else None


def put_member(tenant: str, kind: str, data: dict, expected_version: int | None, claim: Sequence[dynamo.Step] = ()) -> None:
    """Create (expected_version None: the id must be new) or replace at the version read."""
    pk, sk = _collection_key(tenant, kind, data["id"])
    error: Exception
    if expected_version is None:
        condition, error = (
            Attr("PK").not_exists(),
            Conflict(
                {
                    "type": tr("this job type already exists"),
                    "resource": tr("this user is already a resource"),
                    "vehicle": tr("this vehicle already exists"),
                }[kind]
            ),
        )
    else:
        condition, error = Attr("version").eq(expected_version), stale_member(kind)
    item = dynamo.to_item({k: v for k, v in {**data, "PK": pk, "SK": sk}.items() if v is not None})
    dynamo.put_one(item, condition, error, claim)


# ---------------------------------------------------------------- SLAs


def _sla_key(tenant: str, contact_id: str, sla_id: str) -> tuple[str, str]:
    return tenant_key(tenant, "SLAS", contact_id), "SLA#" + sla_id


def list_slas(tenant: str, contact_id: str) -> list[dict]:
    return [dynamo.from_item(i) for i in dynamo.query_all(("PK", tenant_key(tenant, "SLAS", contact_id)), Key("SK").begins_with("SLA#"))]


def get_sla(tenant: str, contact_id: str, sla_id: str) -> dict | None:
    item = dynamo.get(*_sla_key(tenant, contact_id, sla_id))
    return dynamo.from_item(item) if item else None


def delete_slas(tenant: str, contact_id: str) -> None:
    """Every SLA of a contact, gone (those of a deleted contact); none left is no error."""
    found = dynamo.query_all(("PK", tenant_key(tenant, "SLAS", contact_id)), Key("SK").begins_with("SLA#"))
    dynamo.batch_delete((i["PK"], i["SK"]) for i in found)


def create_sla(tenant: str, sla: dict, claim: Sequence[dynamo.Step] = ()) -> None:
    pk, sk = _sla_key(tenant, sla["contact_id"], sla["id"])
    dynamo.put_one(dynamo.to_item({**sla, "PK": pk, "SK": sk}), Attr("PK").not_exists(), Conflict(tr("this SLA already exists")), claim)


def delete_sla(tenant: str, contact_id: str, sla_id: str, expected_version: int) -> None:
    pk, sk = _sla_key(tenant, contact_id, sla_id)
    stale = PreconditionFailed(tr("the SLA changed since you read it; reload it first"))
    try:  # one conditional DeleteItem (a one-item transaction would cost twice the write)
        aws.table().delete_item(Key={"PK": pk, "SK": sk}, ConditionExpression=Attr("version").eq(expected_version))
    except ClientError as e:
        if dynamo.error_code(e) == "ConditionalCheckFailedException":
            raise stale from None
        raise
