"""DynamoDB keys of the per-contact ledger (the statement of account's and the financial tab's
index). The only module that knows these keys.

Items (keys through crm.platform.keys), one partition per contact (the document's contact):
  entry    PK=T#t#LEDGER#<contact>  SK=E#<date>#<id>      an invoice or credit note issued, a payment
  open     PK=T#t#LEDGER#<contact>  SK=OPEN#<invoice>     an invoice with something still due
  balance  PK=T#t#LEDGER#<contact>  SK=BALANCE            the contact's balance over every entry (ADD)

Each is written in the transaction that issues the document or records the payment: an entry is
created once (conditional put), so the balance moves once with it. The balance is the one item the
opening balance is read from: the balance before a day is this total less the entries from that day.
"""

from __future__ import annotations

from boto3.dynamodb.conditions import Attr, Key

from crm.platform import dynamo
from crm.platform.errors import Conflict
from crm.platform.i18n import tr
from crm.platform.keys import tenant_key

ENTRY, OPEN, BALANCE = "E#", "OPEN#", "BALANCE"
LAST = "~"  # sorts after every date


def _pk(tenant: str, contact_id: str) -> str:
    return tenant_key(tenant, "LEDGER", contact_id)


def _out(item: dict) -> dict:
    return dynamo.from_item({k: v for k, v in item.items() if k not in ("PK", "SK")})


def entry_steps(tenant: str, entry: dict) -> list[dynamo.Step]:
    """The entry (once) and the contact's balance moved by its `delta`, in one transaction."""
    pk = _pk(tenant, entry["contact_id"])
    item = dynamo.to_item({**entry, "PK": pk, "SK": f"{ENTRY}{entry['date']}#{entry['id']}"})
    balance = dynamo.update(
        pk,
        BALANCE,
        UpdateExpression="ADD #balance :delta, #entries :one",
        ExpressionAttributeNames={"#balance": "balance", "#entries": "entries"},
        ExpressionAttributeValues={":delta": entry["delta"], ":one": 1},
    )
    already = Conflict(tr("this entry is already in the contact's ledger"))
    return [(dynamo.put(item, ConditionExpression=Attr("PK").not_exists()), already), (balance, None)]


def open_step(tenant: str, invoice: dict) -> dynamo.Step:
    """The invoice's open item with what it has due now, or its removal once nothing is due. The
    invoice's own conditional save in the same transaction orders two changes of it."""
    pk, sk = _pk(tenant, invoice["contact_id"]), OPEN + invoice["id"]
    if invoice["due"] <= 0:
        return dynamo.delete(pk, sk), None
    keep = ("id", "number", "contact_id", "issue_date", "due_date", "gross", "due", "currency")
    return dynamo.put(dynamo.to_item({"PK": pk, "SK": sk, **{k: invoice.get(k) for k in keep}})), None


def balance(tenant: str, contact_id: str) -> int:
    item = dynamo.get(_pk(tenant, contact_id), BALANCE)
    return int(item["balance"]) if item else 0


def entries_from(tenant: str, contact_id: str, since: str) -> list[dict]:
    """The contact's entries dated `since` (YYYY-MM-DD) or later, oldest first."""
    sort = Key("SK").between(f"{ENTRY}{since}", f"{ENTRY}{LAST}")
    return [_out(i) for i in dynamo.query_all(("PK", _pk(tenant, contact_id)), sort)]


def open_invoices(tenant: str, contact_id: str) -> list[dict]:
    """The contact's invoices with something due now."""
    return [_out(i) for i in dynamo.query_all(("PK", _pk(tenant, contact_id)), Key("SK").begins_with(OPEN))]
