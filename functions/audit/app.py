"""Audit API: a tenant's audit trail of sensitive actions, and how long it is kept (admins only).

Each route parses, authorises (its roles) and makes one call into the crm layer.
"""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query

from crm.contacts.readers import reader_locale
from crm.platform import audit, settings
from crm.platform.auth import ADMINS
from crm.platform.http import Api, respond
from crm.platform.pagination import DEFAULT_LIMIT, Page
from crm.platform.types import AwareDatetime, Limit

settings.require(settings.TABLE_NAME, settings.CURSOR_KEYS_PARAMETER)
api = Api("audit", reader_locale=reader_locale)
app = api.app


@api.route("GET", "/audit", roles=ADMINS)
def list_audit(
    actor: Annotated[str | None, Query(min_length=1, max_length=128, description="the user id (token subject) who acted")] = None,
    action: Annotated[audit.Action | None, Query()] = None,
    since: Annotated[AwareDatetime | None, Query(description="recorded at or after")] = None,
    until: Annotated[AwareDatetime | None, Query(description="recorded at or before")] = None,
    limit: Annotated[Limit, Query()] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> Page[audit.AuditRecord]:
    """Newest first."""
    return audit.find(api.principal().tenant, actor=actor, action=action, since=since, until=until, limit=limit, cursor=cursor)


@api.route("GET", "/audit/settings", roles=ADMINS, returns=audit.AuditSettings)
def get_audit_settings():
    current = audit.settings(api.principal().tenant)
    return respond(current, version=current.version)


@api.route("PATCH", "/audit/settings", roles=ADMINS, returns=audit.AuditSettings, if_match="required")
def update_audit_settings(body: audit.AuditSettingsPatch):
    updated = audit.update_settings(api.principal(), body, api.version())
    return respond(updated, version=updated.version)


handler = api.handler()
