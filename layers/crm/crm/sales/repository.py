"""DynamoDB keys and writes of the sales context. The only module that knows these keys.

Items (every key starts with the tenant, through crm.platform.keys):
  set-up list   PK=T#t#SALESSETUP  SK=STAGES|PROBABILITIES|TAGS   entries (ordered), ids, version
  usage         PK=T#t#SALESUSE    SK=<list>#<entry id>   n = opportunities using the entry (a used
                entry is not removed from its list: the removal is conditional on n = 0)
  opportunity   PK=T#t#OPP#<id>    SK=OPP
                GSI1 T#t#OPPSTATUS#<status> / <due>#<id>    GSI2 T#t#CONTACTOPPS#<contact> / <due>#<id>
                GSI3 T#t#OWNEROPPS#<owner> / <due>#<id>     GSI4 T#t#STAGEOPPS#<stage> / <due>#<id>
  tag listing   PK=T#t#OPPTAG#<tag>  SK=<due>#<id>   a copy of the opportunity, rewritten with it
  counter       PK=T#t#COUNTER#OPP  SK=COUNTER   n = the last reference number issued
  reference     PK=T#t#OPPREF#<REFERENCE>  SK=OPPREF  opportunity_id
  document link PK=T#t#OPP#<id>    SK=DOC#<document id>   a document of the opportunity: made from it or
                linked to it, when and by whom, the note that says so, the job a quote was assigned to
  linked once   PK=T#t#OPPDOC#<document id>  SK=OPPDOC   opportunity_id: a document is an opportunity's for good
  summary cell  PK=T#t#OPPSUM#<family>#<scope...>  SK=<month>#<probability|status> or <stage>
                n, v: the count and value of the opportunities in it (crm.sales.rules.cells)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from boto3.dynamodb.conditions import Attr, Key

from crm.platform import dynamo, numbering, personal_data
from crm.platform.errors import Conflict, PreconditionFailed
from crm.platform.i18n import tr
from crm.platform.keys import tenant_key
from crm.sales import rules

SETUP, USE, OPP, REF = "SALESSETUP", "SALESUSE", "OPP", "OPPREF"
DOC, LINKED = "DOC#", "OPPDOC"
LISTS = {"stages": "STAGES", "probabilities": "PROBABILITIES", "tags": "TAGS"}
INDEXES = {
    "status": ("GSI1", "OPPSTATUS"),
    "contact_id": ("GSI2", "CONTACTOPPS"),
    "owner": ("GSI3", "OWNEROPPS"),
    "stage_id": ("GSI4", "STAGEOPPS"),
}
INDEX_KEYS = frozenset({f"GSI{n}{part}" for n in (1, 2, 3, 4) for part in ("PK", "SK")}) | {"PK", "SK"}


def _out(item: dict) -> dict:
    return dynamo.from_item({k: v for k, v in item.items() if k not in INDEX_KEYS})


def _opp_pk(tenant: str, opportunity_id: str) -> str:
    return tenant_key(tenant, OPP, opportunity_id)


def _tag_pk(tenant: str, tag_id: str) -> str:
    return tenant_key(tenant, "OPPTAG", tag_id)


def _summary_pk(tenant: str, parts: Iterable[str]) -> str:
    return tenant_key(tenant, "OPPSUM", *parts)


def _stale() -> PreconditionFailed:
    return PreconditionFailed(tr("the opportunity changed since you read it; reload it and apply your change again"))


# ---------------------------------------------------------------- set-up lists


def get_list(tenant: str, kind: str) -> dict:
    item = dynamo.get(tenant_key(tenant, SETUP), LISTS[kind])
    return dynamo.from_item(item) if item else {"entries": [], "version": 0}


def save_list(tenant: str, kind: str, entries: list[dict], removed: Iterable[str], expected_version: int) -> None:
    """Replace a list on condition it is still at `expected_version` and no removed entry is used."""
    item = {"PK": tenant_key(tenant, SETUP), "SK": LISTS[kind], "entries": entries, "ids": [e["id"] for e in entries]}
    held = Attr("PK").not_exists() if expected_version == 0 else Attr("version").eq(expected_version)
    steps: list[dynamo.Step] = [
        (
            dynamo.put(dynamo.to_item({**item, "version": expected_version + 1}), ConditionExpression=held),
            PreconditionFailed(tr("the list changed since you read it; reload it and apply your change again")),
        )
    ]
    for entry_id in removed:
        unused = Attr("n").not_exists() | Attr("n").eq(0)
        refusal = Conflict(tr("{entry} is used by opportunities; move them to another before removing it", entry=entry_id))
        steps.append((dynamo.check(tenant_key(tenant, USE), f"{LISTS[kind]}#{entry_id}", ConditionExpression=unused), refusal))
    dynamo.transact_explained(steps)


def _used(tenant: str, kind: str, entry_id: str, delta: int) -> dynamo.Step:
    """The entry's count of opportunities moves; one coming into use must still be in its list."""
    op = dynamo.update(
        tenant_key(tenant, USE), f"{LISTS[kind]}#{entry_id}", UpdateExpression="ADD n :d", ExpressionAttributeValues={":d": delta}
    )
    return op, None


def _listed(tenant: str, kind: str, entry_id: str, field: str) -> dynamo.Step:
    condition = Attr("ids").contains(entry_id)
    refusal = Conflict(tr("{field}: the set-up no longer has this entry; reload it", field=field))
    return dynamo.check(tenant_key(tenant, SETUP), LISTS[kind], ConditionExpression=condition), refusal


def _usage_steps(tenant: str, old: dict | None, new: dict) -> list[dynamo.Step]:
    steps: list[dynamo.Step] = []
    for kind, field in (("stages", "stage_id"), ("probabilities", "probability_id")):
        before, after = (old or {}).get(field), new[field]
        if before != after:
            steps += [_listed(tenant, kind, after, field), _used(tenant, kind, after, 1)]
            if before:
                steps.append(_used(tenant, kind, before, -1))
    before_tags, after_tags = set((old or {}).get("tags") or []), set(new.get("tags") or [])
    if after_tags - before_tags:
        steps.append(_tags_listed(tenant, sorted(after_tags - before_tags)))
    steps += [_used(tenant, "tags", t, 1) for t in sorted(after_tags - before_tags)]
    steps += [_used(tenant, "tags", t, -1) for t in sorted(before_tags - after_tags)]
    return steps


def _tags_listed(tenant: str, tag_ids: list[str]) -> dynamo.Step:
    condition = Attr("ids").contains(tag_ids[0])
    for tag_id in tag_ids[1:]:
        condition = condition & Attr("ids").contains(tag_id)
    refusal = Conflict(tr("{field}: the set-up no longer has this entry; reload it", field="tags"))
    return dynamo.check(tenant_key(tenant, SETUP), LISTS["tags"], ConditionExpression=condition), refusal


# ---------------------------------------------------------------- opportunities


def _opp_item(tenant: str, opportunity: dict) -> dict:
    order = rules.due_order(opportunity)
    item = {**opportunity, "PK": _opp_pk(tenant, opportunity["id"]), "SK": OPP}
    for field, (index, name) in INDEXES.items():
        item |= {f"{index}PK": tenant_key(tenant, name, opportunity[field]), f"{index}SK": order}
    return dynamo.to_item({k: v for k, v in item.items() if v is not None})


def _tag_steps(tenant: str, old: dict | None, new: dict) -> list[dynamo.Step]:
    """The tag listings (copies of the opportunity, one per tag) follow it."""
    copy = {k: v for k, v in new.items() if v is not None}
    puts = {(_tag_pk(tenant, t), rules.due_order(new)) for t in new.get("tags") or []}
    gone = {(_tag_pk(tenant, t), rules.due_order(old)) for t in old.get("tags") or []} - puts if old else set()
    steps: list[dynamo.Step] = [(dynamo.delete(pk, sk), None) for pk, sk in sorted(gone)]
    steps += [(dynamo.put(dynamo.to_item({**copy, "PK": pk, "SK": sk})), None) for pk, sk in sorted(puts)]
    return steps


def _summary_steps(tenant: str, old: dict | None, new: dict | None) -> list[dynamo.Step]:
    return [
        (
            dynamo.update(
                _summary_pk(tenant, d.cell[0]),
                d.cell[1],
                UpdateExpression="ADD n :n, v :v",
                ExpressionAttributeValues={":n": d.count, ":v": d.value},
            ),
            None,
        )
        for d in rules.deltas(old, new)
    ]


def place(tenant: str, opportunity_id: str) -> personal_data.Place:
    """An opportunity names a person (its person_id); its subject may name her too."""
    return personal_data.Place(_opp_pk(tenant, opportunity_id), OPP, "sales", "opportunity", opportunity_id, ("subject",))


def create_opportunity(tenant: str, build, also: Sequence[dynamo.Step] = (), claim: Sequence[dynamo.Step] = ()) -> dict:
    """Number and write an opportunity with its reference, usage counts, tag listings and summary
    cells, `also` (the contact's count, the person-data index) and the request's claim, at once.
    `build(n)` returns the opportunity numbered n."""
    built: dict = {}

    def steps(n: int) -> list[dynamo.Step]:
        opportunity = built["it"] = build(n)
        return [
            *claim,
            (
                dynamo.put(_opp_item(tenant, opportunity), ConditionExpression=Attr("PK").not_exists()),
                Conflict(tr("this opportunity exists")),
            ),
            (
                dynamo.put(
                    {"PK": tenant_key(tenant, REF, opportunity["reference"]), "SK": REF, "opportunity_id": opportunity["id"]},
                    ConditionExpression=Attr("PK").not_exists(),
                ),
                Conflict(tr("reference {reference} is already taken; the counter is out of step", reference=opportunity["reference"])),
            ),
            *_usage_steps(tenant, None, opportunity),
            *_tag_steps(tenant, None, opportunity),
            *_summary_steps(tenant, None, opportunity),
            *also,
        ]

    numbering.create_numbered(tenant_key(tenant, "COUNTER", OPP), steps)
    return built["it"]


def save_opportunity(tenant: str, old: dict, new: dict, also: Sequence[dynamo.Step] = ()) -> None:
    """Replace the opportunity on condition it is still at old's version, with everything that follows it."""
    steps: list[dynamo.Step] = [
        (dynamo.put(_opp_item(tenant, new), ConditionExpression=Attr("version").eq(old["version"])), _stale()),
        *_usage_steps(tenant, old, new),
        *_tag_steps(tenant, old, new),
        *_summary_steps(tenant, old, new),
        *also,
    ]
    dynamo.transact_explained(steps)


def get_opportunity(tenant: str, opportunity_id: str) -> dict | None:
    item = dynamo.get(_opp_pk(tenant, opportunity_id), OPP)
    return _out(item) if item else None


def opportunity_id_by_reference(tenant: str, reference: str) -> str | None:
    item = dynamo.get(tenant_key(tenant, REF, reference.upper()), REF)
    return item["opportunity_id"] if item else None


def select(tenant: str, selection: rules.Selection, *, limit: int, cursor: str | None, query: dict) -> tuple[list[dict], str | None]:
    """A page of the opportunities a selection holds, by due date: one index read (its due period
    as the key condition), the other filters applied to what it reads (a bounded number of reads
    per page, crm.platform.dynamo.query_page)."""
    name, value = selection.index()
    if name == "tag":
        partition, index, sort_key = ("PK", _tag_pk(tenant, value)), None, "SK"
    else:
        gsi, prefix = INDEXES[name]
        partition, index, sort_key = (f"{gsi}PK", tenant_key(tenant, prefix, value)), gsi, f"{gsi}SK"
    low, high = selection.due_from, (selection.due_to + "#~") if selection.due_to else None
    sort = None
    if low and high:
        sort = Key(sort_key).between(low, high)
    elif low or high:
        sort = Key(sort_key).gte(low) if low else Key(sort_key).lt(high)
    items, next_cursor = dynamo.query_page(
        tenant=tenant,
        query=query,
        partition=partition,
        sort=sort,
        index=index,
        limit=limit,
        cursor=cursor,
        keep=lambda item: selection.matches(dynamo.from_item(item)),
    )
    return [_out(i) for i in items], next_cursor


def summary(tenant: str, parts: Sequence[str], low: str | None = None, high: str | None = None) -> list[dict]:
    """The summary cells of one partition (e.g. the projection of all opportunities), those whose
    sort key is between `low` and `high` when given: each {key, n, v}."""
    sort = Key("SK").between(low, high) if low and high else None
    return [
        {"key": i["SK"], "n": int(i.get("n", 0)), "v": int(i.get("v", 0))}
        for i in dynamo.query_all(("PK", _summary_pk(tenant, parts)), sort)
    ]


# ---------------------------------------------------------------- documents of an opportunity


def link_steps(tenant: str, link: dict) -> list[dynamo.Step]:
    """The link of a document to an opportunity, written once: a document is one opportunity's."""
    item = dynamo.to_item({**link, "PK": _opp_pk(tenant, link["opportunity_id"]), "SK": DOC + link["document_id"]})
    once = {"PK": tenant_key(tenant, LINKED, link["document_id"]), "SK": LINKED, "opportunity_id": link["opportunity_id"]}
    taken = Conflict(tr("this document is already linked to an opportunity, for good"))
    return [
        (dynamo.put(once, ConditionExpression=Attr("PK").not_exists()), taken),
        (dynamo.put(item, ConditionExpression=Attr("PK").not_exists()), taken),
    ]


def save_link(tenant: str, link: dict, also: Sequence[dynamo.Step] = (), claim: Sequence[dynamo.Step] = ()) -> None:
    dynamo.transact_explained([*claim, *link_steps(tenant, link), *also])


def get_link(tenant: str, opportunity_id: str, document_id: str) -> dict | None:
    item = dynamo.get(_opp_pk(tenant, opportunity_id), DOC + document_id)
    return _out(item) if item else None


def linked_to(tenant: str, document_id: str) -> str | None:
    """The opportunity a document is linked to, if any."""
    item = dynamo.get(tenant_key(tenant, LINKED, document_id), LINKED)
    return item["opportunity_id"] if item else None


def links(tenant: str, opportunity_id: str, *, limit: int, cursor: str | None) -> tuple[list[dict], str | None]:
    """The opportunity's documents, newest first (document ids are ULIDs)."""
    items, next_cursor = dynamo.query_page(
        tenant=tenant,
        query={"opportunity_documents": opportunity_id},
        partition=("PK", _opp_pk(tenant, opportunity_id)),
        sort=Key("SK").begins_with(DOC),
        limit=limit,
        cursor=cursor,
        newest_first=True,
    )
    return [_out(i) for i in items], next_cursor


def hold_assignment(tenant: str, opportunity_id: str, document_id: str, now: int, lease_s: int) -> None:
    """Hold the quote's assignment to a job for `lease_s` seconds (one at a time: a second is a 409;
    a crashed one frees it when the lease ends). Refused once it is assigned."""
    free = Attr("PK").exists() & Attr("job_id").not_exists() & (Attr("assigning_until").not_exists() | Attr("assigning_until").lt(now))
    dynamo.update_one(
        _opp_pk(tenant, opportunity_id),
        DOC + document_id,
        Conflict(tr("this quote is being assigned to a job, or already is; reload it")),
        UpdateExpression="SET assigning_until = :until",
        ExpressionAttributeValues={":until": now + lease_s},
        ConditionExpression=free,
    )


def assigned(tenant: str, opportunity_id: str, document_id: str, job: dict | None) -> None:
    """The quote's assignment ends: to `job` (its id and reference), or to nothing (it failed)."""
    pk, sk = _opp_pk(tenant, opportunity_id), DOC + document_id
    if job is None:
        dynamo.update_one(pk, sk, Conflict(tr("this quote is already assigned to a job")), UpdateExpression="REMOVE assigning_until")
        return
    dynamo.update_one(
        pk,
        sk,
        Conflict(tr("this quote is already assigned to a job")),
        UpdateExpression="SET job_id = :id, job_reference = :ref REMOVE assigning_until",
        ExpressionAttributeValues={":id": job["id"], ":ref": job["reference"]},
        ConditionExpression=Attr("job_id").not_exists(),
    )
