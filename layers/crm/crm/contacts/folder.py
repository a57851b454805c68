"""The contact's folder: attachments, notes and emails filed on it, newest first, in one list.

All three carry ULID ids, so one position (the last id shown) pages through the three sources at
once: each is asked for what is older than it, and the merge keeps the newest `limit`.
"""

from __future__ import annotations

from ulid import ULID

from crm.contacts import attachments
from crm.contacts.models import ArchivedEmail, FolderEntry, Note
from crm.contacts.repository import notes as notes_repo
from crm.platform import pagination


def _filed_at(entry_id: str):
    return ULID.from_str(entry_id).datetime


def list_folder(tenant: str, contact_id: str, *, limit: int, cursor: str | None) -> tuple[list[FolderEntry], str | None]:
    query = {"folder": contact_id}
    before = (pagination.decode(cursor, tenant, query) or {}).get("before")
    entries = [
        FolderEntry(kind="note", id=n["id"], filed_at=_filed_at(n["id"]), note=Note.model_validate(n))
        for n in notes_repo.list_before(tenant, contact_id, notes_repo.NOTE, before, limit + 1)
    ]
    entries += [
        FolderEntry(kind="email", id=e["id"], filed_at=_filed_at(e["id"]), email=ArchivedEmail.model_validate(e))
        for e in notes_repo.list_before(tenant, contact_id, notes_repo.EMAIL, before, limit + 1)
    ]
    entries += [
        FolderEntry(kind="attachment", id=a.id, filed_at=_filed_at(a.id), attachment=a)
        for a in attachments.list_attachments(tenant, contact_id)
        if before is None or a.id < before
    ]
    entries.sort(key=lambda e: e.id, reverse=True)
    page, more = entries[:limit], len(entries) > limit
    return page, pagination.encode({"before": page[-1].id}, tenant, query) if more else None
