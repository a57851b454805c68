"""Keys of the e-invoicing records (the only module that knows them).

  platform lifecycle  PK=T#t#DOC#<document>   SK=PLATFORM      (beside the document it follows)
  received invoice    PK=T#t#BILL#<id>        SK=BILL          GSI1 T#t#BILLS / <received_at>#<id>
  its uniqueness      PK=T#t#BILLNO#<supplier legal id>#<number>  SK=BILLNO  (one per supplier invoice)

The lifecycle has its own version: statuses arriving from the platform never make the office's
copy of the document stale.
"""

from __future__ import annotations

from collections.abc import Sequence

from boto3.dynamodb.conditions import Attr

from crm.platform import dynamo
from crm.platform.errors import Conflict, PreconditionFailed
from crm.platform.i18n import tr
from crm.platform.keys import tenant_key

PLATFORM, BILL, BILLNO = "PLATFORM", "BILL", "BILLNO"
INDEX_KEYS = frozenset({"PK", "SK", "GSI1PK", "GSI1SK"})


def _out(item: dict) -> dict:
    return dynamo.from_item({k: v for k, v in item.items() if k not in INDEX_KEYS})


def _lifecycle_pk(tenant: str, document_id: str) -> str:
    return tenant_key(tenant, "DOC", document_id)


def lifecycle(tenant: str, document_id: str) -> dict | None:
    item = dynamo.get(_lifecycle_pk(tenant, document_id), PLATFORM)
    return _out(item) if item else None


def create_lifecycle(tenant: str, record: dict, claim: Sequence[dynamo.Step] = ()) -> None:
    item = dynamo.to_item({**record, "PK": _lifecycle_pk(tenant, record["document_id"]), "SK": PLATFORM})
    already = Conflict(tr("the invoice is already submitted to the e-invoicing platform"))
    dynamo.put_one(item, Attr("PK").not_exists(), already, claim)


def save_lifecycle(tenant: str, record: dict, expected_version: int) -> None:
    """Replace the lifecycle on condition nobody moved it since `expected_version` was read."""
    item = dynamo.to_item(
        {k: v for k, v in record.items() if v is not None} | {"PK": _lifecycle_pk(tenant, record["document_id"]), "SK": PLATFORM}
    )
    stale = PreconditionFailed(tr("the invoice's platform status changed meanwhile; read it again"))
    dynamo.put_one(item, Attr("version").eq(expected_version), stale)


# ---------------------------------------------------------------- received invoices


def _bill_pk(tenant: str, bill_id: str) -> str:
    return tenant_key(tenant, "BILL", bill_id)


def bill(tenant: str, bill_id: str) -> dict | None:
    item = dynamo.get(_bill_pk(tenant, bill_id), BILL)
    return _out(item) if item else None


def _bill_item(tenant: str, record: dict) -> dict:
    keys = {
        "PK": _bill_pk(tenant, record["id"]),
        "SK": BILL,
        "GSI1PK": tenant_key(tenant, "BILLS"),
        "GSI1SK": f"{record['received_at']}#{record['id']}",
    }
    return dynamo.to_item({k: v for k, v in record.items() if v is not None} | keys)


def create_bill(tenant: str, record: dict, supplier_key: str, claim: Sequence[dynamo.Step] = ()) -> None:
    """The bill, and the item that makes its supplier's invoice number unique: the same supplier
    invoice received twice is a 409, and nothing of the second is kept."""
    unique = {"PK": tenant_key(tenant, "BILLNO", supplier_key, record["number"]), "SK": BILLNO, "bill_id": record["id"]}
    twice = Conflict(tr("this supplier invoice ({number}) was already received", number=record["number"]))
    dynamo.transact_explained(
        [
            *claim,
            (
                dynamo.put(_bill_item(tenant, record), ConditionExpression=Attr("PK").not_exists()),
                Conflict(tr("a bill with this id exists")),
            ),
            (dynamo.put(unique, ConditionExpression=Attr("PK").not_exists()), twice),
        ]
    )


def stale_bill() -> PreconditionFailed:
    return PreconditionFailed(tr("the received invoice changed since you read it; reload it and answer again"))


def save_bill(tenant: str, record: dict, expected_version: int) -> None:
    dynamo.put_one(_bill_item(tenant, record), Attr("version").eq(expected_version), stale_bill())


def supplier_linked(tenant: str, record: dict, expected_version: int) -> dynamo.Step:
    """The bill, replaced by `record` (its supplier now a contact), in the transaction that creates
    the contact: unless the bill moved since read, or already has its supplier."""
    free = Attr("version").eq(expected_version) & Attr("supplier.contact_id").not_exists()
    return (dynamo.put(_bill_item(tenant, record), ConditionExpression=free), supplier_taken())


def supplier_taken() -> Conflict:
    return Conflict(tr("the received invoice already has its supplier among the contacts"))


def bills(tenant: str, query: dict, *, limit: int, cursor: str | None) -> tuple[list[dict], str | None]:
    """Received invoices, newest first."""
    items, next_cursor = dynamo.query_page(
        tenant=tenant,
        query=query,
        partition=("GSI1PK", tenant_key(tenant, "BILLS")),
        index="GSI1",
        limit=limit,
        cursor=cursor,
        newest_first=True,
    )
    return [_out(i) for i in items], next_cursor
