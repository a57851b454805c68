"""The lifecycle of a document, as pure rules.

draft -> issued (numbered) -> sent -> accepted | rejected. Only a draft is edited or deleted: an
issued document has a number and an archived PDF, so for every type (quotes and purchase orders
too) a change is a new draft ("duplicate"), and an invoice is reversed by a credit note. Accepted
is a quote's answer (after issue or send); rejected comes after sent.
"""

from __future__ import annotations

from crm.platform.errors import Conflict
from crm.platform.i18n import tr

# status -> the statuses it may move to by hand (POST /documents/{id}/status), per type
MOVES: dict[str, dict[str, frozenset[str]]] = {
    "quote": {"issued": frozenset({"sent", "accepted"}), "sent": frozenset({"accepted", "rejected"})},
    "invoice": {"issued": frozenset({"sent"}), "sent": frozenset({"rejected"})},
    "credit_note": {"issued": frozenset({"sent"}), "sent": frozenset({"rejected"})},
    "purchase_order": {"issued": frozenset({"sent"}), "sent": frozenset({"accepted", "rejected"})},
}
NUMBERED = frozenset({"issued", "sent", "accepted", "rejected"})


def check_move(doc_type: str, status: str, to: str) -> None:
    if to not in MOVES[doc_type].get(status, frozenset()):
        raise Conflict(tr("a {status} {type} cannot be marked {to}", status=status, type=doc_type, to=to))


def check_draft(document: dict, action: str) -> None:
    """Editing and deleting are for drafts only."""
    if document["status"] != "draft":
        raise Conflict(
            tr("{number} is issued: it cannot be {action}; duplicate it, or credit an invoice", number=document["number"], action=action)
        )


def check_issued(document: dict) -> None:
    """Sending, downloading the archived PDF, payments and credit notes need a numbered document."""
    if document["status"] not in NUMBERED:
        raise Conflict(tr("the document is a draft: issue it first"))
