"""The job log of a busy site (GET /contacts/{contact_id}/jobs), issue 4.

One tenant: a site with 5,000 jobs, and a parent whose 5 child sites hold 5,000 jobs between them
(unevenly, as real sites do). Contacts, job types and resources are made through the API; the jobs
(spread over four years, mostly finished, each with its reference and creation history entry) by
crm.jobs.repository.create_job, its transactions collected and batch-written (bench.bulk), with
the numbering counter read from a local count instead of the table. For the first page and a deep
page (reached by following next_cursor): the DynamoDB requests and items read per page, and the
median in-process time of the lone site's handler against the floor, a bare Query of one page
(Limit 50, newest first) of the site's own GSI2 partition at the same position, interleaved.
"""

from __future__ import annotations

import itertools
import json
import random
from datetime import datetime, timedelta
from unittest.mock import patch

from boto3.dynamodb.conditions import Key
from ulid import ULID

from bench import bulk
from bench.env import AwsCalls, breakdown, stack
from bench.partitions import partitioned, same_as_moto
from bench.timing import interleaved, spread
from crm.jobs import repository as jobs_repo
from crm.platform import aws, clock
from crm.platform.keys import tenant_key
from crm.platform.pagination import DEFAULT_LIMIT
from tests.support.lambdas import LambdaContext, api_event, call, claims, module

TENANT, SEED = "bench", 7
SITE_JOBS, CHILD_JOBS = 5_000, (1_800, 1_200, 900, 650, 450)
DEEP_PAGE = 21  # jobs 1,001 to 1,050, newest first
WARM_UP, REPETITIONS = 3, 20
YEARS = 4
DESCRIPTIONS = (
    "Annual boiler service",
    "Leak under the sink",
    "Replace the thermostat",
    "Gas safety check",
    "No hot water",
    "Radiator bleeding",
    "Fit a new valve",
    "Inspect the ventilation",
    "Alarm fault",
    "Quarterly maintenance visit",
)


def _ok(method: str, path: str, *, role: str = "office", **kwargs) -> dict:
    reply = call(method, path, tenant=TENANT, role=role, **kwargs)
    if not 200 <= reply.status < 300:
        raise RuntimeError(f"{method} {path} -> {reply.status}: {reply.body}")
    return reply.json


def _contact(name: str, group: str, postcode: str, **fields) -> str:
    address = {"line1": f"{postcode[-2:]} avenue de la République", "city": "Lyon", "postcode": postcode, "country": "FR"}
    return _ok("POST", "/contacts", body={"name": name, "group_id": group, "address": address, **fields})["id"]


def _jobs(
    rng: random.Random, contact_id: str, count: int, types: list[str], resources: list[str], now: datetime
) -> list[tuple[dict, dict]]:
    """(job, its creation history entry) as crm.jobs.service makes them, oldest first."""
    made = []
    for created in sorted(now - timedelta(seconds=rng.uniform(0, YEARS * 365 * 86400)) for _ in range(count)):
        at, by = clock.iso(created), rng.choice(("office@bench.example", "planning@bench.example"))
        recent = now - created < timedelta(days=30)
        status = (
            rng.choice(("to_schedule", "scheduled", "scheduled", "in_progress", "completed"))
            if recent
            else rng.choices(("completed", "completed_with_issues", "cancelled"), (85, 5, 10))[0]
        )
        job = {
            "id": str(ULID.from_datetime(created)),
            "version": 1,
            "contact_id": contact_id,
            "job_type_id": rng.choice(types),
            "description": rng.choice(DESCRIPTIONS),
            "created_at": at,
            "created_by": by,
            "updated_at": at,
            "status": status,
        }
        if status != "to_schedule":
            start = (created + timedelta(days=rng.randrange(1, 15))).replace(hour=rng.randrange(8, 17), minute=0, second=0, microsecond=0)
            job |= {
                "planned_start": clock.iso(start),
                "planned_end": clock.iso(start + timedelta(hours=rng.choice((1, 2, 3)))),
                "resource_id": rng.choice(resources),
                "version": 2,
            }
            if status in ("in_progress", "completed", "completed_with_issues"):
                job |= {"started_at": job["planned_start"], "version": 4}
            if status.startswith("completed"):
                job |= {"completed_at": job["planned_end"], "updated_at": job["planned_end"], "version": 5}
        entry = {
            "id": str(ULID.from_datetime(created)),
            "at": at,
            "by": by,
            "role": "office",
            "kind": "created",
            "to_status": "to_schedule",
        }
        made.append((job, entry))
    return made


def _load() -> tuple[str, str]:
    """The tenant; returns (the site's id, the parent's id)."""
    group = _ok("POST", "/contact-groups", role="admin", body={"name": "Customers"})["id"]
    site = _contact("Résidence Les Tilleuls", group, "69003", reference="RES-TILLEULS")
    parent = _contact("Groupe Hôtelier Azur", group, "69002", reference="AZUR")
    children = [_contact(f"Hôtel Azur {n}", group, f"6900{n + 3}", parent_id=parent) for n in range(1, len(CHILD_JOBS) + 1)]
    types = [
        _ok("POST", "/job-types", role="admin", body={"name": n, "duration_minutes": d})["id"]
        for n, d in (("Maintenance", 60), ("Repair", 120), ("Inspection", 45))
    ]
    resources = [
        _ok("POST", "/resources", role="admin", body={"user_id": f"tech-{n}", "name": f"Technician {n}"})["id"] for n in range(1, 7)
    ]
    rng, now, numbers = random.Random(SEED), clock.now(), itertools.count()
    made = _jobs(rng, site, SITE_JOBS, types, resources, now)
    for child, count in zip(children, CHILD_JOBS, strict=False):
        made += _jobs(rng, child, count, types, resources, now)
    made.sort(key=lambda pair: pair[0]["created_at"])  # numbered in creation order, as the API would
    with bulk.collected() as operations, patch.object(jobs_repo, "counter_value", lambda tenant: next(numbers)):
        for job, entry in made:
            jobs_repo.create_job(TENANT, lambda n, job=job, entry=entry: ({**job, "reference": f"JOB-{n:06d}"}, [entry]), sla_watch=False)
    bulk.write(operations)
    return site, parent


def measure() -> list[dict]:
    calls = AwsCalls()
    with stack(calls):
        site, parent = _load()
        handler, context = module("JobsFunction").handler, LambdaContext("JobsFunction")
        table = aws.table()
        user = claims(TENANT, "office")

        def log(contact_id: str, include: str | None, cursor: str | None = None) -> dict:
            event = api_event("GET", f"/contacts/{contact_id}/jobs", query={"include": include, "cursor": cursor}, user=user)[1]
            reply = handler(event, context)
            if reply["statusCode"] != 200:
                raise RuntimeError(f"GET /contacts/{contact_id}/jobs -> {reply['statusCode']}: {reply['body']}")
            return json.loads(reply["body"])

        def deep_cursor(contact_id: str, include: str | None) -> tuple[str, str]:
            """The cursor to page DEEP_PAGE, and the GSI2 sort key it continues after."""
            cursor, page = None, None
            for _ in range(DEEP_PAGE - 1):
                page = log(contact_id, include, cursor)
                cursor = page["next_cursor"]
            last = page["items"][-1]
            return cursor, f"{last['created_at']}#{last['id']}"

        def floor(before: str | None):
            condition = Key("GSI2PK").eq(tenant_key(TENANT, "CONTACTJOBS", site))
            if before:
                condition &= Key("GSI2SK").lt(before)
            return lambda: table.query(IndexName="GSI2", KeyConditionExpression=condition, ScanIndexForward=False, Limit=DEFAULT_LIMIT)

        with partitioned():
            site_cursor, site_before = deep_cursor(site, None)
            family_cursor, _ = deep_cursor(parent, "children")
            pages = [
                (f"site with {SITE_JOBS:,} jobs, page 1", lambda: log(site, None), floor(None)),
                (f"site with {SITE_JOBS:,} jobs, page {DEEP_PAGE} (via cursor)", lambda: log(site, None, site_cursor), floor(site_before)),
                (
                    f"parent, include=children ({len(CHILD_JOBS)} sites, {sum(CHILD_JOBS):,} jobs), page 1",
                    lambda: log(parent, "children"),
                    None,
                ),
                (f"parent, include=children, page {DEEP_PAGE} (via cursor)", lambda: log(parent, "children", family_cursor), None),
            ]
            rows, measured = [], {}
            for label, get, bare in pages:
                same_as_moto(get)
                calls.take(), calls.take_items_read()
                page = get()
                counts, read = calls.take(), calls.take_items_read()
                total, operations = breakdown(counts, "dynamodb")
                rows.append(
                    {
                        "Page (limit 50)": label,
                        "Jobs on page": len(page["items"]),
                        "DynamoDB requests": total,
                        "DynamoDB operations": operations,
                        "Items read": read,
                    }
                )
                if bare:
                    if [i["id"] for i in bare()["Items"]] != [j["id"] for j in page["items"]]:
                        raise RuntimeError(f"the floor of {label!r} is not the same page of jobs")
                    measured[f"floor {label}"], measured[f"handler {label}"] = bare, get
            samples = interleaved(measured, WARM_UP, REPETITIONS)
    for row, (label, _, bare) in zip(rows, pages, strict=False):
        if not bare:
            row |= {"Floor: one-page Query ms": "—", "Handler ms": "—", "× floor": "—"}
            continue
        (floor_ms, floor_spread), (handler_ms, handler_spread) = spread(samples[f"floor {label}"]), spread(samples[f"handler {label}"])
        row |= {
            "Floor: one-page Query ms": f"{floor_ms:.1f} ({floor_spread:.2f})",
            "Handler ms": f"{handler_ms:.1f} ({handler_spread:.2f})",
            "× floor": f"{handler_ms / floor_ms:.2f}",
        }
    return rows
