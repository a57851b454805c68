"""The Documents screen's lists: by contact (a supplier's purchase orders too; with its children),
by delivery site, by origin (what sales made them from), or the account's documents of a type;
filtered by type, status and period, newest first, paged with a signed cursor. No Scan: each list
is a Query per index partition (crm.finance.repository)."""

from __future__ import annotations

from datetime import date

from crm.contacts import service as contacts
from crm.finance import repository as repo
from crm.platform import pagination
from crm.platform.auth import Principal
from crm.platform.errors import Conflict, invalid
from crm.platform.i18n import tr

MAX_FAMILY = 100  # a contact's children listed with it (include=children)


def _filter_contact(tenant: str, contact_id: str, field: str) -> None:
    """A list filter naming no contact of the account is bad input (422), not a missing page."""
    if contacts.lookup(tenant, contact_id) is None:
        raise invalid(field, tr("is not a contact of this account"))


def family(tenant: str, contact_id: str, include: str | None) -> list[str]:
    """The contact's id, and with `include="children"` its child contacts' (409 past MAX_FAMILY)."""
    _filter_contact(tenant, contact_id, "contact_id")
    if include != "children":
        return [contact_id]
    found, _ = contacts.children(tenant, contact_id, limit=MAX_FAMILY + 1, cursor=None)
    if len(found) > MAX_FAMILY:
        raise Conflict(tr("more than {most} child contacts; list their documents one by one", most=MAX_FAMILY))
    return [contact_id, *(c["id"] for c in found)]


def find(
    principal: Principal,
    *,
    type: str | None = None,
    status: str | None = None,
    contact_id: str | None = None,
    delivery_site_id: str | None = None,
    origin: tuple[str, str] | None = None,
    include: str | None = None,
    since: date | None = None,
    until: date | None = None,
    limit: int,
    cursor: str | None,
) -> tuple[list[dict], str | None]:
    """Newest first (by issue date, a draft by its creation day). By contact (a supplier's purchase
    orders, `include=children` for a parent's sites too), by delivery site, by origin, or the
    account's documents of a `type`; filtered by type, status and period."""
    tenant = principal.tenant
    if since and until and until < since:
        raise invalid("until", tr("must not be before since"))
    if include and not contact_id:
        raise invalid("include", tr("lists a contact's children: give contact_id"))
    partitions: list[tuple[str, tuple[str, ...]]]
    if contact_id:
        partitions = [("GSI1", ("DOCS-CONTACT", c)) for c in family(tenant, contact_id, include)]
    elif delivery_site_id:
        _filter_contact(tenant, delivery_site_id, "delivery_site_id")
        partitions = [("GSI3", ("DOCS-SITE", delivery_site_id))]
    elif origin:
        partitions = [("GSI4", ("DOCS-ORIGIN", *origin))]
    elif type:
        partitions = [("GSI2", ("DOCS", type))]
    else:
        raise invalid("type", tr("choose a type, a contact, a delivery site or an origin"))
    query = {"type": type, "status": status, "contact": contact_id, "site": delivery_site_id, "origin": origin, "include": include}
    query |= {"since": str(since), "until": str(until)}
    position = pagination.decode(cursor, tenant, query) or {}
    items, before = repo.query_documents(
        tenant,
        partitions,
        before=position.get("before"),
        since=since.isoformat() if since else None,
        until=until.isoformat() if until else None,
        limit=limit,
        keep=lambda d: (type is None or d["type"] == type) and (status is None or d["status"] == status),
    )
    return items, pagination.encode({"before": before}, tenant, query) if before else None


def documents_of(
    principal: Principal, *, contact_id: str | None = None, origin: dict | None = None, limit: int = 50, cursor: str | None = None
) -> tuple[list[dict], str | None]:
    """For other contexts: a contact's documents, or those made from `origin` ({"kind", "id"})."""
    where = (origin["kind"], origin["id"]) if origin else None
    return find(principal, contact_id=contact_id, origin=where, limit=limit, cursor=cursor)
