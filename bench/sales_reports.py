"""Sales at scale (issue 9): the projection report at 10,000 opportunities, the XLSX export of a
10,000-row selection, and the projection's PDF with its chart.

One tenant: stages, probabilities and 50 contacts through the API; 10,000 opportunities (three
years of close months, most open) by crm.sales.repository.create_opportunity, their transactions
collected and batch-written (bench.bulk), numbered from a local count. The projection reads its
summary cells: its cost is the months shown, whatever the number of opportunities, which the
DynamoDB requests per call show at 1,000 and at 10,000 opportunities.

Bounded in time: moto's Query with a filter costs time in proportion to the items that meet its
key condition (bench/partitions.py), so reading 10,000 opportunities by pages cost minutes per read
on moto (twice it ran past 25 minutes). What reads every row is therefore timed once (the Query of every
open opportunity) or at 1,000 rows (the export handler, its second owner's selection); the XLSX
writing of 10,000 rows is timed from memory: the export's own columns and rows through
crm.platform.exports against XlsxWriter alone writing the same cells.
"""

from __future__ import annotations

import io
import itertools
import json
import random
import time
from datetime import datetime, timedelta
from unittest.mock import patch

from boto3.dynamodb.conditions import Key
from ulid import ULID

from bench import bulk
from bench.env import AwsCalls, breakdown, stack
from bench.partitions import partitioned
from bench.timing import interleaved, spread
from crm.platform import aws, clock, numbering
from crm.platform.keys import tenant_key
from crm.sales import repository as sales_repo
from tests.support.lambdas import LambdaContext, api_event, call, claims, module

TENANT, SEED = "bench", 9
OPPORTUNITIES, FIRST_BATCH = 10_000, 1_000
MONTHS = ("2027-01", "2028-12")  # the report's 24 months
WARM_UP, REPETITIONS = 3, 20
EXPORT_REPETITIONS = 3
OWNER, SECOND_OWNER, SECOND_SHARE = "ann@bench.example", "bob@bench.example", 0.1  # bob's selection: about 1,000


def _ok(method: str, path: str, *, role: str = "office", **kwargs) -> dict:
    reply = call(method, path, tenant=TENANT, role=role, **kwargs)
    if not 200 <= reply.status < 300:
        raise RuntimeError(f"{method} {path} -> {reply.status}: {reply.body}")
    return reply.json


def _set_up() -> tuple[list[str], list[str], list[str]]:
    entries = [{"name": n} for n in ("Premier rendez-vous", "Devis envoyé", "Bon de commande envoyé", "Négociation")]
    stages = [e["id"] for e in _ok("PUT", "/sales/stages", role="admin", body={"entries": entries}, headers={"If-Match": '"0"'})["entries"]]
    chances = [{"label": f"{p}%", "percent": p} for p in (25, 50, 75, 100)] + [{"label": "Tiède"}]
    probabilities = [
        e["id"] for e in _ok("PUT", "/sales/probabilities", role="admin", body={"entries": chances}, headers={"If-Match": '"0"'})["entries"]
    ]
    group = _ok("POST", "/contact-groups", role="admin", body={"name": "Customers"})["id"]
    contacts = [_ok("POST", "/contacts", body={"name": f"Client {n:02d}", "group_id": group})["id"] for n in range(50)]
    return stages, probabilities, contacts


def _opportunities(rng: random.Random, count: int, stages, probabilities, contacts, now: datetime) -> list[dict]:
    made = []
    for _ in range(count):
        created = now - timedelta(seconds=rng.uniform(0, 365 * 86400))
        status = rng.choices(("open", "on_hold", "won", "lost"), (70, 5, 15, 10))[0]
        at = clock.iso(created)
        made.append(
            {
                "id": str(ULID.from_datetime(created)),
                "contact_id": rng.choice(contacts),
                "subject": rng.choice(("Chaudière", "Climatisation", "Contrat de maintenance", "Plomberie")),
                "status": status,
                "lost_reason": "Prix" if status == "lost" else None,
                "closed_at": at if status in ("won", "lost") else None,
                "due_date": (created + timedelta(days=rng.randrange(10, 400))).date().isoformat(),
                "stage_id": rng.choice(stages),
                "probability_id": rng.choice(probabilities),
                "owner": SECOND_OWNER if rng.random() < SECOND_SHARE else OWNER,
                "expected_value": rng.randrange(50, 50_000) * 100,
                "currency": "EUR",
                "close_month": f"{rng.randrange(2027, 2030)}-{rng.randrange(1, 13):02d}",
                "tags": [],
                "created_at": at,
                "updated_at": at,
                "version": 1,
            }
        )
    return made


def _load(made: list[dict], numbers) -> None:
    with bulk.collected() as operations, patch.object(numbering, "current", lambda pk: next(numbers)):
        for opportunity in made:
            sales_repo.create_opportunity(TENANT, lambda n, o=opportunity: {**o, "reference": f"OPP-{n:06d}"})
    bulk.write(operations)


def _row(label: str, samples: list[int], floor_ms: float | None, extra: dict) -> dict:
    ms, p90 = spread(samples)
    return {
        "Measure": label,
        "Median ms": f"{ms:.2f}",
        "p90/median": f"{p90:.2f}",
        "× floor": f"{ms / floor_ms:.2f}" if floor_ms else "1.00",
        **extra,
    }


def measure() -> list[dict]:
    calls = AwsCalls()
    rows = []
    with stack(calls):
        stages, probabilities, contacts = _set_up()
        rng, now, numbers = random.Random(SEED), clock.now(), itertools.count()
        handler, context = module("ReportsFunction").handler, LambdaContext("ReportsFunction")
        sales_handler = module("SalesFunction").handler
        user = claims(TENANT, "office")
        table = aws.table()
        first, last = MONTHS

        def projection(file_format: str = "json") -> dict:
            query = {"from_month": first, "to_month": last, "format": file_format}
            reply = handler(api_event("GET", "/reports/opportunity-projection", query=query, user=user)[1], context)
            if reply["statusCode"] != 200:
                raise RuntimeError(f"projection -> {reply['statusCode']}: {reply['body']}")
            return json.loads(reply["body"])

        def cells():
            condition = Key("PK").eq(tenant_key(TENANT, "OPPSUM", "PROJ", "ALL")) & Key("SK").between(f"{first}#", f"{last}#~")
            return table.query(KeyConditionExpression=condition)

        def every_open_opportunity() -> int:
            condition = Key("GSI1PK").eq(tenant_key(TENANT, "OPPSTATUS", "open"))
            args, n = {"IndexName": "GSI1", "KeyConditionExpression": condition}, 0
            while True:
                page = table.query(**args)
                n += len(page["Items"])
                if "LastEvaluatedKey" not in page:
                    return n
                args["ExclusiveStartKey"] = page["LastEvaluatedKey"]

        def requests_of(get) -> tuple[int, str]:
            calls.take(), calls.take_items_read()
            get()
            return breakdown(calls.take(), "dynamodb")

        made = _opportunities(rng, OPPORTUNITIES, stages, probabilities, contacts, now)
        with partitioned():
            _load(made[:FIRST_BATCH], numbers)
            at_first = requests_of(projection)
            _load(made[FIRST_BATCH:], numbers)
            at_all = requests_of(projection)
            samples = interleaved({"cells": cells, "handler": projection}, WARM_UP, REPETITIONS)
            # once: a Query of every open opportunity pages through thousands of items on moto
            started = time.perf_counter_ns()
            open_count = every_open_opportunity()
            every_row_ns = time.perf_counter_ns() - started
        floor_ms = spread(samples["cells"])[0]
        rows.append(
            _row(
                f"bare Query of the projection's cells, {MONTHS[0]}..{MONTHS[1]} (floor)",
                samples["cells"],
                None,
                {"DynamoDB requests": "1"},
            )
        )
        rows.append(
            _row(
                f"GET /reports/opportunity-projection, 24 months, {OPPORTUNITIES:,} opportunities",
                samples["handler"],
                floor_ms,
                {"DynamoDB requests": f"{at_all[0]} ({at_all[1]}); {at_first[0]} at {FIRST_BATCH:,} opportunities"},
            )
        )
        rows.append(
            {
                "Measure": f"for comparison: Query of every open opportunity ({open_count:,} items, paged), timed once",
                "Median ms": f"{every_row_ns / 1e6:.0f}",
                "p90/median": "",
                "× floor": f"{every_row_ns / 1e6 / floor_ms:.0f}",
                "DynamoDB requests": "one per 1 MB page",
            }
        )
        rows += _exports(made, stages, probabilities, contacts, sales_handler, user)

        with partitioned():
            pdf_samples = interleaved({"json": projection, "pdf": lambda: projection("pdf")}, WARM_UP, REPETITIONS // 2)
        json_ms = spread(pdf_samples["json"])[0]
        rows.append(_row("projection as JSON (floor)", pdf_samples["json"], None, {"DynamoDB requests": ""}))
        rows.append(_row("projection as PDF/A with its 24-month chart, uploaded", pdf_samples["pdf"], json_ms, {"DynamoDB requests": ""}))
    return rows


def _exports(made: list[dict], stages, probabilities, contacts, sales_handler, user) -> list[dict]:
    """XLSX of 10,000 rows: the export's writing (its columns, its rows as the export makes them)
    against XlsxWriter alone writing the same cells; and the whole export handler, reading its
    selection by pages from moto, on the second owner's ~1,000 opportunities."""
    from crm.platform import exports
    from crm.platform.i18n import Reader
    from crm.sales import exports as sales_exports

    reader = Reader("fr-FR", "Europe/Paris", "EUR")
    columns = sales_exports.columns(reader, "EUR")
    names = {c: f"Client {n:02d}" for n, c in enumerate(contacts)}
    stage_names = {s: f"Stage {n}" for n, s in enumerate(stages)}
    chance_names = {p: f"{n * 25}%" for n, p in enumerate(probabilities)}
    selection = [
        {
            **o,
            "contact": names[o["contact_id"]],
            "stage": stage_names[o["stage_id"]],
            "probability": chance_names[o["probability_id"]],
            "tags": "",
        }
        for o in made
    ]

    def product_xlsx() -> bytes:
        out = io.BytesIO()
        exports.write_xlsx(out, columns, selection, locale=reader.locale, time_zone=reader.time_zone, max_rows=len(selection))
        return out.getvalue()

    def bare_xlsx() -> bytes:
        import xlsxwriter

        out = io.BytesIO()
        book = xlsxwriter.Workbook(out, {"constant_memory": True})
        sheet = book.add_worksheet()
        bold, money, day = (
            book.add_format({"bold": True}),
            book.add_format({"num_format": "#,##0.00 €"}),
            book.add_format({"num_format": "dd/mm/yyyy"}),
        )
        keys = [c.key for c in columns]
        for c, column in enumerate(columns):
            sheet.write_string(0, c, column.label, bold)
        for r, o in enumerate(selection, start=1):
            for c, key in enumerate(keys):
                if key == "due_date":
                    sheet.write_datetime(r, c, datetime.fromisoformat(o["due_date"]), day)
                elif key == "expected_value":
                    sheet.write_number(r, c, o["expected_value"] / 100, money)
                else:
                    sheet.write_string(r, c, str(o.get(key) or ""))
        book.close()
        return out.getvalue()

    samples = interleaved({"xlsxwriter": bare_xlsx, "export": product_xlsx}, 1, EXPORT_REPETITIONS)
    bare_ms, product_ms = spread(samples["xlsxwriter"])[0], spread(samples["export"])[0]
    n = len(selection)
    out = [
        _row(
            f"XLSX of {n:,} rows x {len(columns)} columns, XlsxWriter alone (constant memory; floor)",
            samples["xlsxwriter"],
            None,
            {"DynamoDB requests": f"{n / bare_ms * 1000:,.0f} rows/s"},
        ),
        _row(
            f"the export's XLSX of the same {n:,} rows (crm.platform.exports.write_xlsx, its columns and formats)",
            samples["export"],
            bare_ms,
            {"DynamoDB requests": f"{n / product_ms * 1000:,.0f} rows/s ({bare_ms / product_ms:.2f}x the floor's rate)"},
        ),
    ]

    def handler_export() -> int:
        event = api_event("GET", "/opportunities/export", query={"format": "xlsx", "owner": SECOND_OWNER}, user=user)[1]
        reply = sales_handler(event, LambdaContext("SalesFunction"))
        if reply["statusCode"] != 200:
            raise RuntimeError(f"export -> {reply['statusCode']}: {reply['body']}")
        return json.loads(reply["body"])["rows"]

    with partitioned():
        exported = handler_export()  # warm-up
        handler_samples = interleaved({"export": handler_export}, 0, EXPORT_REPETITIONS)
    handler_ms = spread(handler_samples["export"])[0]
    out.append(
        _row(
            f"GET /opportunities/export?format=xlsx, {exported:,} rows (read by pages of 200 from moto, written, uploaded)",
            handler_samples["export"],
            bare_ms * exported / n,
            {"DynamoDB requests": f"{exported / handler_ms * 1000:,.0f} rows/s; floor: XlsxWriter's time for as many rows"},
        )
    )
    return out
