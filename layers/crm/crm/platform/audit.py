"""The audit trail: an append-only record of the sensitive actions done in a tenant.

One call records an action. `entry(...)` gives the item to add to the action's own DynamoDB
transaction, so the record exists exactly when the action happened; `write(...)` writes it alone,
for an action that is not a DynamoDB write (an export file, a download link: write the record
first, then hand the link out). A record names people by id (the actor's user id, the target's
id), never by their data, so erasing a person erases nothing here. Records are never updated; each
expires (TTL) after the retention the tenant's admins set, counted from when it was written.

A tenant's admins read it newest first, filtered by actor, action and period: the tenant's
partition, or GSI1 by action, or GSI2 by actor (both: GSI2, filtered on the action). No Scan.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal

from boto3.dynamodb.conditions import Attr, ConditionBase, Key
from pydantic import BaseModel, ConfigDict, Field

from crm.platform import clock, dynamo, ids
from crm.platform.auth import Principal
from crm.platform.errors import PreconditionFailed, invalid
from crm.platform.i18n import tr
from crm.platform.keys import tenant_key
from crm.platform.pagination import Page

Action = Literal[
    "person.exported",  # a GDPR export file was written and its link handed out
    "person.erased",
    "attachment.downloaded",  # a download link to an attachment was handed out
    "document.issued",  # finance: a document got its number
    "document.downloaded",
    "settings.changed",  # details.fields: the names of the settings changed
    "opportunities.exported",  # sales: a selection's export file was written and its link handed out
    "documents.exported",  # finance: a documents list's export file was written and its link handed out
    "report.exported",  # reports: a report's file (CSV, XLSX, PDF, SVG) was written and its link handed out
    "ereporting.exported",  # finance: a month's e-reporting file was written and its link handed out
    "received_invoice.downloaded",  # finance: a link to a supplier's e-invoice as received was handed out
]
DEFAULT_RETENTION_DAYS, MIN_RETENTION_DAYS, MAX_RETENTION_DAYS = 365, 30, 3650
SETTINGS = "SETTINGS"
LAST = "~"  # sorts after every ULID character: the upper bound of a period's last second


class AuditRecord(BaseModel):
    id: str
    at: str
    action: Action
    actor_id: str = Field(description="the user id (token subject) of who did it")
    actor_role: str
    target_type: str
    target_id: str
    details: dict[str, Any] = Field(default_factory=dict, description="ids and names of fields; never personal data")


class AuditSettings(BaseModel):
    version: int
    retention_days: int = Field(description="how long a record is kept once written")


class AuditSettingsPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    retention_days: int = Field(ge=MIN_RETENTION_DAYS, le=MAX_RETENTION_DAYS)


def _pk(tenant: str) -> str:
    return tenant_key(tenant, "AUDIT")


def _settings_pk(tenant: str) -> str:
    return tenant_key(tenant, "AUDIT", SETTINGS)


# ---------------------------------------------------------------- recording


def _item(principal: Principal, action: str, target_type: str, target_id: str, details: dict[str, Any], retention_days: int) -> dict:
    tenant, now, record_id = principal.tenant, clock.now(), ids.new_id()
    sort = f"{clock.iso(now)}#{record_id}"
    record = AuditRecord(
        id=record_id,
        at=clock.iso(now),
        action=action,  # validated: an unknown action fails here, not in a reader
        actor_id=principal.user_id,
        actor_role=principal.role,
        target_type=target_type,
        target_id=target_id,
        details=details,
    )
    expires = now + timedelta(days=retention_days)
    return {
        **dynamo.to_item(record.model_dump()),
        "PK": _pk(tenant),
        "SK": sort,
        "GSI1PK": tenant_key(tenant, "AUDIT", "ACTION", action),
        "GSI1SK": sort,
        "GSI2PK": tenant_key(tenant, "AUDIT", "ACTOR", principal.user_id),
        "GSI2SK": sort,
        "expires_at": int(expires.timestamp()),
    }


def entry(
    principal: Principal, action: str, target_type: str, target_id: str, *, retention_days: int | None = None, **details: Any
) -> dict:
    """The record of `action`, as an item of the transaction that does it. `retention_days` when the
    caller has read the audit settings (the billing run, once per run)."""
    retention = retention_days if retention_days is not None else settings(principal.tenant).retention_days
    return dynamo.put(_item(principal, action, target_type, target_id, details, retention), ConditionExpression=Attr("PK").not_exists())


def write(principal: Principal, action: str, target_type: str, target_id: str, **details: Any) -> None:
    """Record `action` now, on its own (before what it records is handed out)."""
    item = _item(principal, action, target_type, target_id, details, settings(principal.tenant).retention_days)
    dynamo.put_one(item, Attr("PK").not_exists(), PreconditionFailed(tr("this audit record exists already")))


# ---------------------------------------------------------------- reading


def find(
    tenant: str,
    *,
    actor: str | None,
    action: str | None,
    since: datetime | None,
    until: datetime | None,
    limit: int,
    cursor: str | None,
) -> Page[AuditRecord]:
    if since and until and since > until:
        raise invalid("since", tr("must not be after until"))
    if actor:
        partition, index, prefix = ("GSI2PK", tenant_key(tenant, "AUDIT", "ACTOR", actor)), "GSI2", "GSI2SK"
    elif action:
        partition, index, prefix = ("GSI1PK", tenant_key(tenant, "AUDIT", "ACTION", action)), "GSI1", "GSI1SK"
    else:
        partition, index, prefix = ("PK", _pk(tenant)), None, "SK"
    low, high = clock.iso(since) if since else None, f"{clock.iso(until)}{LAST}" if until else None
    items, next_cursor = dynamo.query_page(
        tenant=tenant,
        query={"audit": [actor, action, low, high]},
        partition=partition,
        sort=_period(Key(prefix), low, high),
        index=index,
        limit=limit,
        cursor=cursor,
        newest_first=True,
        filter_expression=Attr("action").eq(action) if actor and action else None,
    )
    return Page(items=[AuditRecord.model_validate(dynamo.from_item(i)) for i in items], next_cursor=next_cursor)


def _period(sort_key: Key, low: str | None, high: str | None) -> ConditionBase | None:
    """Sort keys start with the record's time: a period is a range of them."""
    if low and high:
        return sort_key.between(low, high)
    if low:
        return sort_key.gte(low)
    return sort_key.lte(high) if high else None


# ---------------------------------------------------------------- retention


def settings(tenant: str) -> AuditSettings:
    stored = dynamo.get(_settings_pk(tenant), SETTINGS)
    if not stored:
        return AuditSettings(version=0, retention_days=DEFAULT_RETENTION_DAYS)
    return AuditSettings(version=int(stored["version"]), retention_days=int(stored["retention_days"]))


def update_settings(principal: Principal, patch: AuditSettingsPatch, expected_version: int) -> AuditSettings:
    """A new retention, for the records written from now on, this change's own record first (those
    written before keep theirs: nothing here is rewritten)."""
    tenant = principal.tenant
    updated = AuditSettings(version=expected_version + 1, retention_days=patch.retention_days)
    condition = Attr("PK").not_exists() if expected_version == 0 else Attr("version").eq(expected_version)
    stale = PreconditionFailed(tr("the audit settings changed since you read them; reload them and apply your change again"))
    record = _item(principal, "settings.changed", "audit_settings", tenant, {"fields": ["retention_days"]}, patch.retention_days)
    dynamo.transact_explained(
        [
            (dynamo.put({**updated.model_dump(), "PK": _settings_pk(tenant), "SK": SETTINGS}, ConditionExpression=condition), stale),
            (dynamo.put(record, ConditionExpression=Attr("PK").not_exists()), None),
        ]
    )
    return updated
