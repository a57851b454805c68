"""What jobs are made of, managed by the admin: job types, resources (technicians: staff users
with the resource role, keyed by their user id, with a group and skills) and vehicles (a group
and attributes); and each site's SLAs."""

from __future__ import annotations

from pydantic import BaseModel

from crm.contacts import service as contacts
from crm.jobs import catalog_repository as repo
from crm.platform import idempotency, ids
from crm.platform.errors import NotFound, invalid
from crm.platform.i18n import tr

REQUIRED = ("name", "skills", "attributes")


def _missing(kind: str) -> str:
    return {"type": tr("no such job type"), "resource": tr("no such resource"), "vehicle": tr("no such vehicle")}[kind]


def _unknown(kind: str) -> str:
    return {
        "type": tr("is not a job type of this account"),
        "resource": tr("is not a resource of this account"),
        "vehicle": tr("is not a vehicle of this account"),
    }[kind]


def members(tenant: str, kind: str) -> list[dict]:
    return sorted(repo.list_collection(tenant, kind), key=lambda m: (m["name"].casefold(), m["id"]))


def member(tenant: str, kind: str, member_id: str) -> dict:
    found = repo.get_member(tenant, kind, member_id)
    if found is None:
        raise NotFound(_missing(kind))
    return found


def referenced(tenant: str, kind: str, member_id: str | None, field: str) -> dict | None:
    """A member named by a request body: a missing one is a 422 on that field, not a 404."""
    if member_id is None:
        return None
    found = repo.get_member(tenant, kind, member_id)
    if found is None:
        raise invalid(field, _unknown(kind))
    return found


def create(tenant: str, kind: str, fields: BaseModel) -> dict:
    data = fields.model_dump(mode="json")
    member_id = data.pop("user_id") if kind == "resource" else ids.new_id()
    data |= {"id": member_id, "version": 1}
    repo.put_member(tenant, kind, data, None, idempotency.claim(member_id))
    return data


def update(tenant: str, kind: str, member_id: str, patch: BaseModel, expected_version: int) -> dict:
    old = member(tenant, kind, member_id)
    if old["version"] != expected_version:
        raise repo.stale_member(kind)
    changes = patch.model_dump(exclude_unset=True, mode="json")
    for name in REQUIRED:
        if name in changes and changes[name] is None:
            raise invalid(name, tr("cannot be cleared") if name == "name" else tr("cannot be cleared; send [] for none"))
    new = {**old, **changes, "version": old["version"] + 1}
    repo.put_member(tenant, kind, {k: v for k, v in new.items() if v is not None}, expected_version)
    return new


# ---------------------------------------------------------------- SLAs of a site


def applies(sla: dict, job_type_id: str | None) -> bool:
    return job_type_id is None or sla.get("job_type_id") in (None, job_type_id)


def slas(tenant: str, contact_id: str, job_type_id: str | None = None) -> list[dict]:
    contacts.get(tenant, contact_id)
    found = [s for s in repo.list_slas(tenant, contact_id) if applies(s, job_type_id)]
    return sorted(found, key=lambda s: (s["name"].casefold(), s["id"]))


def create_sla(tenant: str, contact_id: str, fields: BaseModel) -> dict:
    contacts.get(tenant, contact_id)
    data = fields.model_dump(mode="json")
    referenced(tenant, "type", data.get("job_type_id"), "job_type_id")
    sla = {**data, "id": ids.new_id(), "contact_id": contact_id, "version": 1}
    sla["constraints"] = [{"id": ids.new_id(), **c} for c in data["constraints"]]
    repo.create_sla(tenant, sla, idempotency.claim(sla["id"]))
    return sla


def sla(tenant: str, contact_id: str, sla_id: str) -> dict:
    found = repo.get_sla(tenant, contact_id, sla_id)
    if found is None:
        raise NotFound(tr("no such SLA on this contact"))
    return found


def delete_sla(tenant: str, contact_id: str, sla_id: str, expected_version: int) -> None:
    sla(tenant, contact_id, sla_id)
    repo.delete_sla(tenant, contact_id, sla_id, expected_version)
