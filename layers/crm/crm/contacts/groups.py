"""Contact groups (the seed's "groupes de contacts"): listed by name with how many contacts each
holds, created, renamed and retired (only when empty; crm.contacts.repository.accounts keeps the
counts in the contacts' own transactions)."""

from __future__ import annotations

from crm.contacts.models import Group, GroupFields
from crm.contacts.repository import accounts as accounts_repo
from crm.platform import idempotency, ids
from crm.platform.errors import NotFound
from crm.platform.i18n import tr


def groups(tenant: str) -> list[Group]:
    return sorted(
        (Group.model_validate({"contact_count": 0, **g}) for g in accounts_repo.list_groups(tenant)), key=lambda g: g.name.casefold()
    )


def create_group(tenant: str, fields: GroupFields) -> Group:
    group_id = ids.new_id()
    group = {"id": group_id, "name": fields.name, "version": 1, "contact_count": 0}
    accounts_repo.create_group(tenant, group, idempotency.claim(group_id))
    return Group.model_validate(group)


def get_group(tenant: str, group_id: str) -> dict:
    group = accounts_repo.get_group(tenant, group_id)
    if group is None:
        raise NotFound(tr("no such contact group"))
    return group


def group(tenant: str, group_id: str) -> Group:
    return Group.model_validate({"contact_count": 0, **get_group(tenant, group_id)})


def rename_group(tenant: str, group_id: str, fields: GroupFields, expected_version: int) -> Group:
    group = get_group(tenant, group_id)
    accounts_repo.rename_group(tenant, group, fields.name, expected_version)
    return Group.model_validate({**group, "name": fields.name, "version": expected_version + 1})


def retire_group(tenant: str, group_id: str, expected_version: int) -> None:
    accounts_repo.retire_group(tenant, get_group(tenant, group_id), expected_version)
