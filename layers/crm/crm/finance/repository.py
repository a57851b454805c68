"""DynamoDB keys and writes of the finance context. The only module that knows these keys.

Items (every key starts with the tenant, through crm.platform.keys):
  settings   PK=T#t#FINANCE  SK=SETTINGS
  document   PK=T#t#DOC#<id>  SK=DOC
             GSI1 T#t#DOCS-CONTACT#<contact> / <date>#<id>      a contact's (a supplier's) documents
             GSI2 T#t#DOCS#<type> / <date>#<id>                 the account's documents of a type
             GSI3 T#t#DOCS-SITE#<delivery site> / <date>#<id>   (sparse) delivered to a site
             GSI4 T#t#DOCS-ORIGIN#<kind>#<id> / <date>#<id>     (sparse) made from an opportunity, a job...
             <date> is the issue date, or the creation day of a draft
  payment    PK=T#t#DOC#<invoice>  SK=PAYMENT#<ulid>
             GSI2 T#t#PAYMENTS / <date>#<ulid>                  the account's payments by date
  sending    PK=T#t#DOC#<id>  SK=SENDING   a send in progress (expires): one send at a time
  counter    PK=T#t#COUNTER#DOC#<type>  SK=COUNTER   n = the last number issued of that type
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Sequence

from boto3.dynamodb.conditions import Attr, Key
from botocore.exceptions import ClientError

from crm.platform import dynamo, personal_data
from crm.platform.errors import Conflict, PreconditionFailed, Unavailable
from crm.platform.i18n import tr
from crm.platform.keys import tenant_key

DOC, SETTINGS, COUNTER, SENDING, PAYMENT = "DOC", "SETTINGS", "COUNTER", "SENDING", "PAYMENT#"
INDEX_KEYS = frozenset({f"GSI{n}{part}" for n in (1, 2, 3, 4) for part in ("PK", "SK")}) | {"PK", "SK"}
NUMBERING_ATTEMPTS = 25


def _doc_pk(tenant: str, document_id: str) -> str:
    return tenant_key(tenant, "DOC", document_id)


def _settings_pk(tenant: str) -> str:
    return tenant_key(tenant, "FINANCE")


def _counter_pk(tenant: str, doc_type: str) -> str:
    return tenant_key(tenant, "COUNTER", "DOC", doc_type)


def _out(item: dict) -> dict:
    return dynamo.from_item({k: v for k, v in item.items() if k not in INDEX_KEYS and k not in ("expires_at",)})


def stale() -> PreconditionFailed:
    return PreconditionFailed(tr("the document changed since you read it; reload it and apply your change again"))


# ---------------------------------------------------------------- settings


def get_settings(tenant: str) -> dict | None:
    item = dynamo.get(_settings_pk(tenant), SETTINGS)
    return _out(item) if item else None


def put_settings(tenant: str, settings: dict, expected_version: int, audit_record: dict) -> None:
    """The finance settings at `expected_version`, with the audit record of the change."""
    held = Attr("PK").not_exists() if expected_version == 0 else Attr("version").eq(expected_version)
    item = dynamo.to_item({**settings, "PK": _settings_pk(tenant), "SK": SETTINGS})
    stale = PreconditionFailed(tr("the finance settings changed since you read them; reload them and apply your change again"))
    dynamo.transact_explained([(dynamo.put(item, ConditionExpression=held), stale), (audit_record, None)])


# ---------------------------------------------------------------- documents


def sort_key(document: dict) -> str:
    return f"{document.get('issue_date') or document['created_at'][:10]}#{document['id']}"


def _doc_item(tenant: str, document: dict) -> dict:
    order = sort_key(document)
    item = {
        **document,
        "PK": _doc_pk(tenant, document["id"]),
        "SK": DOC,
        "GSI1PK": tenant_key(tenant, "DOCS-CONTACT", document["contact_id"]),
        "GSI1SK": order,
        "GSI2PK": tenant_key(tenant, "DOCS", document["type"]),
        "GSI2SK": order,
    }
    if document.get("delivery_site_id"):
        item |= {"GSI3PK": tenant_key(tenant, "DOCS-SITE", document["delivery_site_id"]), "GSI3SK": order}
    if document.get("origin"):
        origin = document["origin"]
        item |= {"GSI4PK": tenant_key(tenant, "DOCS-ORIGIN", origin["kind"], origin["id"]), "GSI4SK": order}
    return dynamo.to_item({k: v for k, v in item.items() if v is not None})


def place(tenant: str, document_id: str, erasure: str) -> personal_data.Place:
    """A document names its person by id (and prints her name in its parties once issued)."""
    return personal_data.Place(_doc_pk(tenant, document_id), DOC, "finance", "document", document_id, ("person_id",), erasure)


def get_document(tenant: str, document_id: str) -> dict | None:
    item = dynamo.get(_doc_pk(tenant, document_id), DOC)
    return _out(item) if item else None


def create_step(tenant: str, document: dict) -> dynamo.Step:
    """A new document, as a step of a transaction."""
    return dynamo.put(_doc_item(tenant, document), ConditionExpression=Attr("PK").not_exists()), Conflict(
        tr("a document with this id exists")
    )


def create_document(tenant: str, document: dict, also: Sequence[dynamo.Step] = (), claim: Sequence[dynamo.Step] = ()) -> None:
    """The draft, with `also` (the contact's count of documents, the person-data index) and the
    request's idempotency claim, first: when the transaction fails on it, its error is the answer."""
    dynamo.transact_explained([*claim, create_step(tenant, document), *also])


def save_document(tenant: str, document: dict, expected_version: int, also: Sequence[dynamo.Step] = ()) -> None:
    """Replace the document on condition it is still at `expected_version` (with `also`, all or nothing)."""
    item, held = _doc_item(tenant, document), Attr("version").eq(expected_version)
    if not also:
        dynamo.put_one(item, held, stale())
        return
    dynamo.transact_explained([(dynamo.put(item, ConditionExpression=held), stale()), *also])


def save_step(tenant: str, document: dict, expected_version: int) -> dynamo.Step:
    """The conditional replacement of a document, as a step of another write's transaction."""
    return dynamo.put(_doc_item(tenant, document), ConditionExpression=Attr("version").eq(expected_version)), stale()


def delete_document(tenant: str, document: dict, expected_version: int, also: Sequence[dynamo.Step] = ()) -> None:
    held = Attr("version").eq(expected_version) & Attr("status").eq("draft")
    dynamo.transact_explained([(dynamo.delete(_doc_pk(tenant, document["id"]), DOC, ConditionExpression=held), stale()), *also])


def counter_key(tenant: str, doc_type: str) -> tuple[str, str]:
    """The key of a type's counter (for a batch read with other items)."""
    return _counter_pk(tenant, doc_type), COUNTER


def counter_of(item: dict | None) -> int:
    return int(item["n"]) if item else 0


def counter_value(tenant: str, doc_type: str) -> int:
    return counter_of(dynamo.get(*counter_key(tenant, doc_type)))


def counter_step(tenant: str, doc_type: str, current: int) -> dynamo.Step:
    """The counter moved from `current` (the last number given) to the next, on condition it is
    still at `current`: of two issues at once, one fails here and takes the next number."""
    held = Attr("PK").not_exists() if current == 0 else Attr("n").eq(current)
    return dynamo.put({"PK": _counter_pk(tenant, doc_type), "SK": COUNTER, "n": current + 1}, ConditionExpression=held), None


def lost_the_number(error: ClientError) -> bool:
    """Whether a transaction whose LAST step is `counter_step` failed on it (another took the number)."""
    return dynamo.error_code(error) == "TransactionCanceledException" and dynamo.cancellation_codes(error)[-1] == "ConditionalCheckFailed"


def issue(tenant: str, doc_type: str, build, also: Sequence[dynamo.Step] = ()) -> dict:
    """Number a draft: the type's counter moves from n to n+1 in the same transaction as the
    document (`build(n+1)` gives its steps: the document saved on condition it is still the draft
    read). Of two issues at once one wins the counter, the other re-reads it and takes the next
    number; a failed transaction writes nothing, so no number is skipped or given twice."""
    for attempt in range(NUMBERING_ATTEMPTS):
        current = counter_value(tenant, doc_type)
        document, steps = build(current + 1)
        try:
            dynamo.transact_explained([*steps, *also, counter_step(tenant, doc_type, current)])
            return document
        except ClientError as e:
            if not lost_the_number(e):
                raise
            time.sleep(random.uniform(0, 0.01 * (attempt + 1)))  # noqa: S311 - jitter: lost the race for the number, retry
    raise Unavailable(tr("too many documents are being issued at once; nothing was saved, retry shortly"), headers={"Retry-After": "1"})


# ---------------------------------------------------------------- lists


def query_documents(
    tenant: str,
    partitions: Sequence[tuple[str, tuple[str, ...]]],
    *,
    before: str | None,
    since: str | None,
    until: str | None,
    limit: int,
    keep: Callable[[dict], bool],
) -> tuple[list[dict], str | None]:
    """Newest first: the documents of one or more index partitions ((index, key parts), e.g. a
    contact and its children) strictly before the sort key `before`, within the [since, until]
    days, that `keep` accepts. One Query per partition, each reading at most `limit` items.

    Returns the page and the sort key to continue before (None at the end). Below the highest
    last key of a partition that may hold more, the others are not known yet: the page stops there.
    """
    high = min(b for b in (before, (until + "~") if until else None, "~") if b)  # "~" sorts after every date
    read: list[tuple[str, dict]] = []
    boundary: str | None = None
    for index, parts in partitions:
        sort_name = f"{index}SK"
        sort = Key(sort_name).between(since, high) if since else Key(sort_name).lt(high)
        items = [i for i in dynamo.query_all((f"{index}PK", tenant_key(tenant, *parts)), sort, index, newest_first=True, limit=limit + 1)]
        items = [i for i in items if i[sort_name] < high][:limit]  # BETWEEN includes its upper bound
        if len(items) == limit:
            last = items[-1][sort_name]
            boundary = last if boundary is None or last > boundary else boundary
        read += [(i[sort_name], i) for i in items]
    complete = sorted(((k, i) for k, i in read if boundary is None or k >= boundary), key=lambda pair: pair[0], reverse=True)
    kept = [(k, i) for k, i in complete if keep(i)]
    if len(kept) > limit:
        return [_out(i) for _, i in kept[:limit]], kept[limit - 1][0]
    return [_out(i) for _, i in kept], boundary


def purchase_order_by_number(tenant: str, number: str) -> dict | None:
    """The issued purchase order numbered `number` (a supplier's invoice names it), newest first.
    Numbers are not indexed: this reads the account's purchase orders, filtered, page by page."""
    partition = ("GSI2PK", tenant_key(tenant, "DOCS", "purchase_order"))
    found = next(iter(dynamo.query_all(partition, None, "GSI2", newest_first=True, filter_expression=Attr("number").eq(number))), None)
    return _out(found) if found else None


# ---------------------------------------------------------------- payments


def payment_step(tenant: str, document_id: str, payment: dict) -> dynamo.Step:
    """A payment, listed by its date too (GSI2: the month's payments for e-reporting)."""
    keys = {"PK": _doc_pk(tenant, document_id), "SK": PAYMENT + payment["id"]}
    keys |= {"GSI2PK": tenant_key(tenant, "PAYMENTS"), "GSI2SK": f"{payment['date']}#{payment['id']}"}
    item = dynamo.to_item({**payment, **keys})
    return dynamo.put(item, ConditionExpression=Attr("PK").not_exists()), Conflict(tr("a payment with this id exists"))


def payments_between(tenant: str, since: str, until: str) -> Iterable[dict]:
    """The account's payments dated from `since` to `until` (ISO days, both included), oldest first."""
    dated = Key("GSI2SK").between(since, until + "~")
    return (_out(i) for i in dynamo.query_all(("GSI2PK", tenant_key(tenant, "PAYMENTS")), dated, "GSI2"))


def payments(tenant: str, document_id: str) -> list[dict]:
    """An invoice's payments, oldest first (a bounded list: each is a part of what is due)."""
    return [_out(i) for i in dynamo.query_all(("PK", _doc_pk(tenant, document_id)), Key("SK").begins_with(PAYMENT))]


# ---------------------------------------------------------------- one send at a time


def start_sending(tenant: str, document_id: str, now: int, lease_s: int) -> None:
    """Hold the document's send for `lease_s` seconds: a second send meanwhile is a 409 (one email,
    not two, for a double click); a send that crashed frees it when the lease ends."""
    item = {"PK": _doc_pk(tenant, document_id), "SK": SENDING, "expires_at": now + lease_s}
    free = Attr("PK").not_exists() | Attr("expires_at").lt(now)
    dynamo.put_one(item, free, Conflict(tr("this document is being sent; retry in a minute")))


def sending_done(tenant: str, document_id: str) -> dynamo.Step:
    return dynamo.delete(_doc_pk(tenant, document_id), SENDING), None


def release_sending(tenant: str, document_id: str) -> None:
    dynamo.transact_explained([sending_done(tenant, document_id)])
