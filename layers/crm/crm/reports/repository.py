"""DynamoDB keys and writes of the reports context. The only module that knows these keys.

Items (every key starts with the tenant, through crm.platform.keys):
  subscription  PK=T#t#REPORTSUBS  SK=SUB#<id>   report, filters, format, recipients, recurrence,
                unsubscribed (a set: addresses that used their email's link), version
  delivery      PK=T#t#REPORTSUB#<id>  SK=RUN#<occurrence>#<recipient>   one per email sent (or
                skipped) for an occurrence: a second delivery of the occurrence finds it and
                sends nothing; expires after 60 days
"""

from __future__ import annotations

from boto3.dynamodb.conditions import Attr, Key

from crm.platform import dynamo
from crm.platform.errors import Conflict, PreconditionFailed
from crm.platform.i18n import tr
from crm.platform.keys import tenant_key

SUBS, SUB = "REPORTSUBS", "SUB#"
RUN_RETENTION_S = 60 * 86400


def _subs_pk(tenant: str) -> str:
    return tenant_key(tenant, SUBS)


def _runs_pk(tenant: str, subscription_id: str) -> str:
    return tenant_key(tenant, "REPORTSUB", subscription_id)


def create(tenant: str, subscription: dict, claim: list[dynamo.Step]) -> None:
    item = {**dynamo.to_item(subscription), "PK": _subs_pk(tenant), "SK": SUB + subscription["id"]}
    dynamo.transact_explained(
        [*claim, (dynamo.put(item, ConditionExpression=Attr("PK").not_exists()), Conflict(tr("this subscription exists")))]
    )


def get(tenant: str, subscription_id: str) -> dict | None:
    item = dynamo.get(_subs_pk(tenant), SUB + subscription_id)
    return dynamo.from_item({k: v for k, v in item.items() if k not in ("PK", "SK")}) if item else None


def page(tenant: str, *, limit: int, cursor: str | None) -> tuple[list[dict], str | None]:
    items, next_cursor = dynamo.query_page(
        tenant=tenant,
        query={"subscriptions": True},
        partition=("PK", _subs_pk(tenant)),
        sort=Key("SK").begins_with(SUB),
        limit=limit,
        cursor=cursor,
    )
    return [dynamo.from_item(i) for i in items], next_cursor


def delete(tenant: str, subscription_id: str, expected_version: int) -> None:
    stale = PreconditionFailed(tr("the subscription changed since you read it; reload it before deleting"))
    step = dynamo.delete(_subs_pk(tenant), SUB + subscription_id, ConditionExpression=Attr("version").eq(expected_version))
    dynamo.transact_explained([(step, stale)])


def unsubscribe(tenant: str, subscription_id: str, address: str) -> bool:
    """Adds `address` to the subscription's unsubscribed set (idempotent); False if it is gone."""
    try:
        dynamo.update_one(
            _subs_pk(tenant),
            SUB + subscription_id,
            Conflict(tr("no such subscription")),
            UpdateExpression="ADD unsubscribed :a",
            ConditionExpression=Attr("PK").exists(),
            ExpressionAttributeValues={":a": {address}},
        )
    except Conflict:
        return False
    return True


def _run_sk(occurrence: str, recipient: str) -> str:
    return f"RUN#{occurrence}#{recipient}"


def delivered_to(tenant: str, subscription_id: str, occurrence: str, recipient: str) -> bool:
    return dynamo.get(_runs_pk(tenant, subscription_id), _run_sk(occurrence, recipient)) is not None


def delivery(tenant: str, subscription_id: str, occurrence: str, recipient: str, outcome: str, now: int) -> list[dynamo.Step]:
    """The step recording that an occurrence went (or was skipped) for a recipient: on condition it
    had not, so two deliveries at once record one."""
    item = {
        "PK": _runs_pk(tenant, subscription_id),
        "SK": _run_sk(occurrence, recipient),
        "outcome": outcome,
        "expires_at": now + RUN_RETENTION_S,
    }
    return [(dynamo.put(item, ConditionExpression=Attr("PK").not_exists()), Conflict(tr("this report was already sent")))]
