"""The seed's "export your selection": the opportunities a selection holds as CSV or XLSX, in the
reader's language, behind a download link. A file holds at most EXPORT_ROWS rows; a larger
selection is exported in parts, each answer giving the cursor of the next."""

from __future__ import annotations

import io
from collections.abc import Iterator

from pydantic import BaseModel

from crm.contacts import readers
from crm.contacts import service as contacts
from crm.platform import exports, files
from crm.platform.auth import Principal
from crm.platform.exports import Column, Kind
from crm.platform.i18n import Reader, tr
from crm.sales import rules, service, setup

EXPORT_ROWS = 10_000
PAGE = 200
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class SelectionExport(files.FileLink):
    next_cursor: str | None = None


def columns(reader: Reader, currency: str) -> list[Column]:
    label = reader.text
    return [
        Column("reference", label(tr("Reference"))),
        Column("subject", label(tr("Subject"))),
        Column("contact", label(tr("Contact"))),
        Column("status", label(tr("Status"))),
        Column("stage", label(tr("Stage"))),
        Column("probability", label(tr("Probability"))),
        Column("owner", label(tr("Owner"))),
        Column("due_date", label(tr("Due date")), Kind.DATE),
        Column("close_month", label(tr("Close month"))),
        Column("expected_value", label(tr("Expected value")), Kind.MONEY, currency=currency),
        Column("tags", label(tr("Tags"))),
    ]


STATUS_NAMES = {"open": tr("open"), "on_hold": tr("on hold"), "won": tr("won"), "lost": tr("lost")}


def _rows(principal: Principal, selection: rules.Selection, cursor: str | None, reader: Reader, state: dict) -> Iterator[dict]:
    tenant = principal.tenant
    stages, probabilities, tags = (setup.entries(tenant, kind) for kind in ("stages", "probabilities", "tags"))
    names: dict[str, str] = {}
    sent = 0
    while sent < EXPORT_ROWS:
        page, cursor = service.find(tenant, selection, None, limit=min(PAGE, EXPORT_ROWS - sent), cursor=cursor)
        unknown = list({o["contact_id"] for o in page} - names.keys())
        names |= {c["id"]: c["name"] for c in contacts.lookup_many(tenant, unknown)}
        for o in page:
            yield {
                **o,
                "contact": names.get(o["contact_id"], ""),
                "status": reader.text(STATUS_NAMES[o["status"]]),
                "stage": stages.get(o["stage_id"], {}).get("name", ""),
                "probability": probabilities.get(o["probability_id"], {}).get("label", ""),
                "tags": ", ".join(tags[t]["name"] for t in o.get("tags") or [] if t in tags),
            }
        sent += len(page)
        if cursor is None:
            break
    state["next_cursor"] = cursor


def export(principal: Principal, selection: rules.Selection, file_format: str, cursor: str | None) -> BaseModel:
    reader = readers.principal_reader(principal)
    state: dict = {}
    out = io.BytesIO()
    rows = _rows(principal, selection, cursor, reader, state)
    cols = columns(reader, reader.currency)
    write = exports.write_csv if file_format == "csv" else exports.write_xlsx
    count = write(out, cols, rows, locale=reader.locale, time_zone=reader.time_zone, max_rows=EXPORT_ROWS)
    filename = f"opportunities.{file_format}"
    link = files.publish(
        principal,
        "opportunities",
        filename,
        CONTENT_TYPES[file_format],
        out.getvalue(),
        action="opportunities.exported",
        target_type="opportunity_selection",
        target_id=principal.tenant,
        rows=count,
        format=file_format,
        continued=cursor is not None,
    )
    return SelectionExport(**link.model_dump(), next_cursor=state.get("next_cursor"))
