"""`make bench`: every measure in one run, printed as Markdown tables and written to bench/results.md.

No measure asserts a time: each is a ratio against a floor measured in the same run, on the same
backend (moto in-process, or a fresh interpreter), with medians and their spread.
"""

from __future__ import annotations

import platform
import sys
import time
import warnings
from pathlib import Path

from bench import (
    billing,
    cold_import,
    documents,
    einvoice,
    finance,
    handler_latency,
    job_log,
    job_money,
    received,
    requests_per_route,
    sales_reports,
    search_at_scale,
    stock,
)

RESULTS = Path(__file__).with_name("results.md")

MEASURES = [
    (
        "AWS requests per route (ContactsFunction)",
        "One call per route of template.yaml's ContactsFunction, in-process with a real API Gateway event, on a tenant with "
        "groups, settings, a parent and child contact, notes, an archived alert email and uploaded attachments; "
        "counted on botocore's `before-call` event. `[idempotency]` marks calls to the IdempotencyTable.",
        requests_per_route.measure,
    ),
    (
        "Handler latency, in-process (moto)",
        f"GET /contacts/{{contact_id}} through the whole Lambda handler vs a bare GetItem of the same item through the same "
        f"boto3 Table; {handler_latency.WARM_UP} warm-up then {handler_latency.REPETITIONS} interleaved calls each.",
        handler_latency.measure,
    ),
    (
        f"Search at {search_at_scale.CONTACTS:,} contacts (GET /contacts?q=)",
        f"One tenant with {search_at_scale.CONTACTS:,} contacts from a deterministic generator (`random.Random({search_at_scale.SEED})`): French "
        "people and businesses (accented names, common surnames far more common than rare ones), references, addresses, emails, "
        "phones typed in mixed formats. Loaded without HTTP: `crm.contacts.service.create` per contact, its transaction collected and "
        "batch-written (BatchWriteItem; `bench/bulk.py`); groups through the API. Per query, one first page (limit 50): DynamoDB "
        "requests and items read (a Query's ScannedCount, the items a get returned); the term items its Query returned against the "
        "contacts on the page; then every page by `next_cursor`: pages, contacts returned and distinct ones. "
        f"Times: median (p90/median) of {search_at_scale.REPETITIONS} interleaved rounds after {search_at_scale.WARM_UP} warm-up, in-process "
        "on moto, of the bare Query with the search's key condition (the term's partition, `begins_with`, Limit 50), of that Query "
        "plus a BatchGetItem of the contacts it names, and of the whole handler. moto's Query reads one partition here "
        "(`bench/partitions.py`; each measured reply checked identical to moto's own whole-table Query).",
        search_at_scale.measure,
    ),
    (
        "Job log of a busy site (GET /contacts/{contact_id}/jobs)",
        f"One tenant: a site with {job_log.SITE_JOBS:,} jobs; a parent whose {len(job_log.CHILD_JOBS)} child sites hold "
        f"{sum(job_log.CHILD_JOBS):,} jobs ({', '.join(f'{n:,}' for n in job_log.CHILD_JOBS)}). Contacts, job types, resources through "
        "the API; jobs (four years, mostly finished, each with its reference and creation history entry) by "
        "`crm.jobs.repository.create_job`, its transactions collected and batch-written (`bench/bulk.py`). Per page: DynamoDB requests "
        "and items read (a Query's ScannedCount, the items a get returned); the deep page is reached by following `next_cursor`. Times (lone site only): median (p90/median) of {job_log.REPETITIONS} interleaved rounds after "
        f"{job_log.WARM_UP} warm-up, in-process on moto (one partition per Query, `bench/partitions.py`, replies checked against moto's "
        "own), of the whole handler and of the floor, a bare Query of one page of the site's GSI2 partition (newest first, Limit 50; "
        "for the deep page, `GSI2SK <` the last key shown).",
        job_log.measure,
    ),
    (
        "Stock (StockFunction): requests per route, the reorder report at scale, concurrent movements",
        "Each route once, in-process with a real API Gateway event, on a tenant with a warehouse, a van, a site, a job, stock and "
        "equipment items, movements and parts; counted on botocore's `before-call` event (reads by id before a write: the item, "
        "its locations, the stock settings; the balances in one BatchGetItem). The reorder report: "
        f"{stock.CATALOGUE:,} catalogue items with a reorder point, {stock.LOW} of them at or below it, loaded with the product's "
        "own create and receipt code (collected transactions batch-written, `bench/bulk.py`); the first page (limit 50) through "
        f"the whole handler against a bare Query of one page of the sparse index, median (p90/median) of {stock.REPETITIONS} "
        f"interleaved rounds after {stock.WARM_UP} warm-up, in-process on moto (one partition per Query, `bench/partitions.py`). "
        f"{stock.CONCURRENT} threads posting a transfer of 1 from a balance of {stock.CONCURRENT} at once, moto's requests "
        "serialised as DynamoDB applies them.",
        stock.measure,
    ),
    (
        "A job's costs and a contact's money over a year (GET /jobs/{job_id}/costs, crm.jobs.charges.job_money)",
        f"One tenant: a parent whose {job_money.SITES} sites completed {job_money.JOBS} jobs over a year (1 to 3 lines, labour, mileage), "
        "each completion priced and its summary writes built by `crm.jobs.charges.completion`, batch-written. Per read: DynamoDB requests "
        f"and items read; median (p90/median) of {job_money.REPETITIONS} interleaved rounds after {job_money.WARM_UP} warm-up, in-process "
        "on moto, against its floor: a bare GetItem of the job (costs), a bare Query of the same summary partition and months (job_money).",
        job_money.measure,
    ),
    (
        "Documents: PDF pages, XLSX rows, charts (crm.platform.pdf, exports, charts)",
        f"In-process, interleaved: median (p90/median) of {documents.PDF_REPETITIONS} rounds after {documents.PDF_WARM_UP} warm-up for the "
        f"pages and charts, {documents.XLSX_REPETITIONS} rounds after {documents.XLSX_WARM_UP} for the XLSX. The invoice page (letterhead "
        f"and logo, dates, two addresses, {documents.LINES} lines of which a third wrap, totals, legal mentions, footer) through the "
        "toolkit (platypus layout, PDF/A-3b, byte-identical re-renders) against raw reportlab canvas calls drawing the same content "
        "with the same embedded fonts, both one page; "
        f"{documents.XLSX_ROWS:,} rows of seven typed columns (text, integer, money, percentage, date, datetime) through "
        "`exports.write_xlsx` against XlsxWriter alone writing the same cells and formats (both constant_memory); a report page "
        "with and without a 12-month bar + line chart, and the chart as SVG. `bench/documents.py`.",
        documents.measure,
    ),
    (
        "Finance: invoice PDF pages, AWS requests per route (FinanceFunction)",
        f"The invoice page as an issued document renders it (`crm.finance.pdfs.render`: catalogue texts, Babel amounts and dates, "
        f"PDF/A-3b, six columns) against raw reportlab canvas calls drawing the documents bench's invoice page (five columns), "
        f"interleaved, median of {documents.PDF_REPETITIONS} after {documents.PDF_WARM_UP} warm-up; then one call per finance route on a "
        "tenant with a contact, a person who receives financial documents and a tax rate, counted on botocore's `before-call`. "
        "`bench/finance.py`.",
        finance.measure,
    ),
    (
        "E-invoicing: issuing a Factur-X invoice against the plain PDF (FinanceFunction)",
        f"POST /documents/{{id}}/issue through the whole handler on moto, a {einvoice.LINES}-line invoice to a business customer "
        "(numbered, rendered, its CII XML generated and checked against the XSD, embedded by factur-x's generate_from_binary, "
        "stored) against the same invoice to a private customer (the plain PDF/A-3), interleaved, median (p90/median) of "
        f"{einvoice.REPETITIONS} after {einvoice.WARM_UP} warm-up (goal: at most 1.5×); then the steps alone against the render "
        "of the same issued invoice. `bench/einvoice.py`.",
        einvoice.measure,
    ),
    (
        "Billing run: time and requests per invoice at two sizes (the small one before and after the large one)",
        "Contracts written in bulk, then `billing_run.enqueue` (the sparse index, one SQS message per contract) and "
        "`billing_run.handle_batch` for each batch of up to 10 messages taken from moto's SQS, in-process, on moto made to cost "
        "what DynamoDB and SQS cost with moto's own answers: transactions snapshot only the items they name "
        "(`infra/dynamodb_rollback.py`), a Query reads its partition and a page its items (`bench/partitions.py`, checked once per "
        "run against moto's whole-table Query), a queue's message costs itself (`bench/env.py`); every invoice is Factur-X; sizes "
        "from BILLING_BENCH_SIZES. `bench/billing.py`.",
        billing.timed,
    ),
    (
        "E-invoicing: the schematrons of a received e-invoice against reading it",
        "`received_parsing.check_rules` (the EN 16931 and French CTC schematrons of the file's profile, saxonche, each compiled "
        "once per process) against `received_parsing.read` (hardened parse, the XSD compiled once per process, the package's "
        f"reading) of the same file, interleaved, median (p90/median) of {received.REPETITIONS} after {received.WARM_UP} warm-up; "
        "the first check of each profile (compiling its schematrons) timed apart. No AWS. `bench/received.py`.",
        received.measure,
    ),
    (
        "Billing run: the at-least-once simulation",
        "The same code fed by an in-process queue in batches of 10, 5 % of messages failing once at a random step and coming back, 1 % "
        "delivered again at the end (a redelivery's Query of its contract's claims reads one partition, `bench/partitions.py`); "
        "size from BILLING_BENCH_SIMULATED. `bench/billing.py`.",
        billing.simulation,
    ),
    (
        f"Sales at {sales_reports.OPPORTUNITIES:,} opportunities: the projection, the export, the chart PDF",
        f"One tenant: 4 stages, 5 probabilities, 50 contacts through the API; {sales_reports.OPPORTUNITIES:,} opportunities (two owners, "
        "one with about a tenth, close months over three years, 70 % open) by `crm.sales.repository.create_opportunity`, transactions "
        "collected and batch-written (`bench/bulk.py`). DynamoDB requests of the projection handler at "
        f"{sales_reports.FIRST_BATCH:,} and at {sales_reports.OPPORTUNITIES:,} opportunities; times: median (p90/median) of interleaved "
        f"rounds in-process on moto: the projection handler (24 months, JSON) against a bare Query of the cells it reads, and, timed "
        "once, a Query of every open opportunity (what a projection without summary cells reads); the export's XLSX of all "
        f"{sales_reports.OPPORTUNITIES:,} rows from memory (its columns, `crm.platform.exports.write_xlsx`) against XlsxWriter alone "
        "writing the same cells, and the whole export handler on the second owner's selection (read by pages from moto, written, "
        "uploaded); the projection as PDF/A with its chart against the same as JSON. Rows that must be read from moto are read once "
        "or at 1,000 (moto's Query with a filter walks every item its key condition meets), so the run stays bounded. `bench/sales_reports.py`.",
        sales_reports.measure,
    ),
    (
        "Cold import, fresh interpreter",
        f"Median of {cold_import.RUNS} runs (after one warm-up round) of importing each function's module, "
        "with the function's environment from template.yaml, against the floor (`import boto3`, Powertools Logger() and "
        "Metrics() constructed); the second row is what routing and validation add to it in every API function. Heavy "
        "modules: those in `sys.modules` afterwards, with the cumulative `-X importtime` of the import that first pulled each in.",
        cold_import.measure,
    ),
]


def markdown(rows: list[dict]) -> str:
    header = list(rows[0])
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(row[h]) for h in header) + " |" for row in rows]
    return "\n".join(lines)


def main() -> None:
    warnings.filterwarnings("ignore", category=UserWarning, module=r"aws_lambda_powertools\..*")
    started = time.perf_counter()
    sections = []
    for title, note, measure in MEASURES:
        sections.append(f"### {title}\n\n{note}\n\n{markdown(measure())}\n")
        print(sections[-1], flush=True)
    footer = f"_Python {platform.python_version()} on {platform.system()} {platform.machine()}, {time.perf_counter() - started:.0f} s; ratios, not times, are the result._\n"
    print(footer)
    RESULTS.write_text("\n".join(sections) + "\n" + footer, encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
