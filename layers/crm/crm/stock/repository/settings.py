"""The tenant's stock settings and its reorder alerts."""

from __future__ import annotations

from boto3.dynamodb.conditions import Attr, Key

from crm.platform import dynamo
from crm.platform.errors import Conflict, PreconditionFailed
from crm.platform.i18n import tr
from crm.platform.keys import tenant_key
from crm.stock.repository.records import clean, out


def _settings_pk(tenant: str) -> str:
    return tenant_key(tenant, "SSETTINGS")


def get_settings(tenant: str) -> dict | None:
    found = dynamo.get(_settings_pk(tenant), "SETTINGS")
    return out(found) if found else None


def put_settings(tenant: str, settings: dict, expected_version: int) -> None:
    held = Attr("PK").not_exists() if expected_version == 0 else Attr("version").eq(expected_version)
    stale = PreconditionFailed(tr("the stock settings changed since you read them; reload them first"))
    dynamo.put_one(clean({**settings, "PK": _settings_pk(tenant), "SK": "SETTINGS"}), held, stale)


def _alerts_pk(tenant: str) -> str:
    return tenant_key(tenant, "SALERTS")


def last_alert(tenant: str) -> dict | None:
    found = dynamo.get(_alerts_pk(tenant), "LAST")
    return out(found) if found else None


def alert_writes(tenant: str, alert: dict, low_keys: list[str]) -> list[dynamo.Step]:
    """The alert's record (once per occurrence) and the set of low lines it saw (the next alert's baseline)."""
    record = {**alert, "PK": _alerts_pk(tenant), "SK": "ALERT#" + alert["id"]}
    return [
        (dynamo.put(clean(record), ConditionExpression=Attr("PK").not_exists()), AlreadyAlerted(tr("this alert already ran"))),
        (dynamo.put({"PK": _alerts_pk(tenant), "SK": "LAST", "id": alert["id"], "low": low_keys}), None),
    ]


class AlreadyAlerted(Conflict):
    """The occurrence's alert was recorded by an earlier delivery."""


def get_alert(tenant: str, alert_id: str) -> dict | None:
    found = dynamo.get(_alerts_pk(tenant), "ALERT#" + alert_id)
    return out(found) if found else None


def alerts(tenant: str, *, limit: int, cursor: str | None, query: dict) -> tuple[list[dict], str | None]:
    found, next_cursor = dynamo.query_page(
        tenant=tenant,
        query=query,
        partition=("PK", _alerts_pk(tenant)),
        sort=Key("SK").begins_with("ALERT#"),
        limit=limit,
        cursor=cursor,
        newest_first=True,
    )
    return [out(i) for i in found], next_cursor
