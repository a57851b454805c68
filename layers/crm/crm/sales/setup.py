"""The sales set-up an admin keeps (the seed's): opportunity stages in their order, probabilities (a
label with an optional percentage) and opportunity tags with colours.

Each list is one versioned item written whole (PUT with If-Match), so reordering is writing the list
in its new order and two admins editing at once cannot lose a change (412). An entry keeps its id
across edits; an entry still used by an opportunity cannot be removed (409).
"""

from __future__ import annotations

from pydantic import BaseModel

from crm.platform import ids
from crm.platform.errors import Conflict, FieldError, invalid_fields
from crm.platform.i18n import joined, tr
from crm.sales import repository as repo
from crm.sales import rules
from crm.sales.models import OpportunityTags, Probabilities, Stages

VIEWS: dict[str, type[Stages] | type[Probabilities] | type[OpportunityTags]] = {
    "stages": Stages,
    "probabilities": Probabilities,
    "tags": OpportunityTags,
}
NAMES = {"stages": "name", "probabilities": "label", "tags": "name"}


def _view(kind: str, stored: dict) -> BaseModel:
    entries = stored["entries"]
    if kind == "probabilities":
        entries = [{**e, "weight": rules.weight(e)} for e in entries]
    return VIEWS[kind].model_validate({"entries": entries, "version": stored["version"]})


def get(tenant: str, kind: str) -> BaseModel:
    return _view(kind, repo.get_list(tenant, kind))


def entries(tenant: str, kind: str) -> dict[str, dict]:
    """A list's entries by id, in order."""
    return {e["id"]: e for e in repo.get_list(tenant, kind)["entries"]}


def replace(tenant: str, kind: str, new_entries: list[BaseModel], expected_version: int) -> BaseModel:
    current = repo.get_list(tenant, kind)
    known = {e["id"] for e in current["entries"]}
    name = NAMES[kind]
    errors, seen, out = [], set(), []
    for i, entry in enumerate(new_entries):
        data = entry.model_dump(exclude_none=True)
        if data.get("id") and data["id"] not in known:
            errors.append(FieldError(f"entries.{i}.id", tr("is not an entry of this list; leave it out for a new one")))
        folded = data[name].casefold()
        if folded in seen:
            errors.append(FieldError(f"entries.{i}.{name}", tr("is already in this list")))
        seen.add(folded)
        out.append({**data, "id": data.get("id") or ids.new_id()})
    if len({e["id"] for e in out}) != len(out):
        errors.append(FieldError("entries", tr("an entry is listed twice")))
    if errors:
        raise invalid_fields(errors)
    repo.save_list(tenant, kind, out, sorted(known - {e["id"] for e in out}), expected_version)
    return _view(kind, {"entries": out, "version": expected_version + 1})


def require_ready(tenant: str) -> tuple[dict[str, dict], dict[str, dict]]:
    """The stages and probabilities, both needed before any opportunity (the seed): 409 saying
    what to set up first."""
    stages, probabilities = entries(tenant, "stages"), entries(tenant, "probabilities")
    missing = [what for what, found in ((tr("a stage"), stages), (tr("a probability"), probabilities)) if not found]
    if missing:
        raise Conflict(tr("set up {what} in the sales settings before creating an opportunity", what=joined(missing, tr(" and "))))
    return stages, probabilities
