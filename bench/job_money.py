"""A job's costs (GET /jobs/{job_id}/costs) and a contact's money over a year (crm.jobs.charges.job_money).

One tenant: a parent account whose 4 sites completed 500 jobs over a year, each with 1 to 3
chargeable lines, a technician's time and mileage. Each completion is priced, and its summary
writes built, by crm.jobs.charges.completion; the jobs and summaries are batch-written (one
transaction per job would take long on moto, which copies the table for each). Per read: DynamoDB requests and items read, and the median in-process time against its
floor, a bare Query of the same summary partition (for job_money) or a bare GetItem of the job
(for the costs route), interleaved.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, date, datetime, timedelta
from unittest.mock import patch

from boto3.dynamodb.conditions import Key
from ulid import ULID

from bench import bulk
from bench.env import AwsCalls, breakdown, stack
from bench.timing import interleaved, spread
from crm.jobs import charges
from crm.jobs import money_repository as money_repo
from crm.jobs import repository as jobs_repo
from crm.jobs.models import Labour, Mileage
from crm.platform import aws, clock
from crm.platform.keys import tenant_key
from tests.support.lambdas import LambdaContext, api_event, call, claims, module

TENANT, SEED = "bench", 11
JOBS, SITES, YEAR = 500, 4, 2029
WARM_UP, REPETITIONS = 3, 20


def _ok(method: str, path: str, *, role: str = "office", **kwargs) -> dict:
    reply = call(method, path, tenant=TENANT, role=role, **kwargs)
    if not 200 <= reply.status < 300:
        raise RuntimeError(f"{method} {path} -> {reply.status}: {reply.body}")
    return reply.json


def _write_summaries(operations: list[dict]) -> None:
    """Store the completions' summary writes: the job entries as put, each month's ADDs summed
    into its item (what DynamoDB would hold after applying them one by one)."""
    table = aws.table()
    months: dict[tuple[str, str], dict] = {}
    with table.batch_writer() as writer:
        for operation in operations:
            if "Put" in operation:
                writer.put_item(Item=operation["Put"]["Item"])
                continue
            update = operation["Update"]
            key, values = (update["Key"]["PK"], update["Key"]["SK"]), update["ExpressionAttributeValues"]
            month = months.setdefault(key, {"PK": key[0], "SK": key[1], "month": values[":month"]})
            for name in ("jobs", *money_repo.AMOUNTS):
                month[name] = month.get(name, 0) + values[f":{name}"]
        for item in months.values():
            writer.put_item(Item=item)


def _load(rng: random.Random) -> tuple[str, str, str]:
    """The parent, its busiest site and one completed job there. The completions are the product's
    (crm.jobs.charges.completion prices them and builds their summary writes); the jobs are written
    by crm.jobs.repository.create_job, collected and batch-written (bench/bulk.py)."""
    group = _ok("POST", "/contact-groups", role="admin", body={"name": "Customers"})["id"]
    parent = _ok("POST", "/contacts", body={"name": "Holding", "group_id": group})["id"]
    sites = [_ok("POST", "/contacts", body={"name": f"Site {n}", "group_id": group, "parent_id": parent})["id"] for n in range(SITES)]
    job_type = _ok("POST", "/job-types", role="admin", body={"name": "Service"})["id"]
    tech = _ok("POST", "/resources", role="admin", body={"user_id": "tech", "name": "Tech", "cost_rate": 3200})["id"]
    van = _ok("POST", "/vehicles", role="admin", body={"name": "Van", "mileage_rate": 42})["id"]
    days = sorted(datetime(YEAR, 1, 1, 8, tzinfo=UTC) + timedelta(days=rng.uniform(0, 364)) for _ in range(JOBS))
    jobs, summaries = [], []
    for n, day in enumerate(days, start=1):
        lines = [
            {
                "description": f"Line {k}",
                "quantity": rng.choice(("1", "2", "0.5", "1.25")),
                "unit_price": rng.randrange(500, 20000),
                "tax_rate": "20",
            }
            for k in range(rng.randint(1, 3))
        ]
        done = day + timedelta(minutes=rng.randint(20, 240))
        job = {
            "id": str(ULID.from_datetime(day)),
            "reference": f"JOB-{n:06d}",
            "version": 5,
            "status": "completed",
            "contact_id": rng.choices(sites, (50, 25, 15, 10))[0],
            "job_type_id": job_type,
            "resource_id": tech,
            "vehicle_id": van,
            "planned_start": clock.iso(day),
            "planned_end": clock.iso(day + timedelta(hours=4)),
            "charges": lines,
            "created_at": clock.iso(day - timedelta(days=3)),
            "created_by": "office@bench.example",
            "updated_at": clock.iso(done),
            "started_at": clock.iso(day),
            "completed_at": clock.iso(done),
        }
        labour = [Labour(resource_id=tech, minutes=int((done - day).total_seconds() // 60))]
        recorded, steps = charges.completion(TENANT, job, labour, [Mileage(vehicle_id=van, km=str(rng.randint(2, 80)))], done)
        jobs.append(job | recorded)
        summaries += [operation for operation, _ in steps]
    numbers = iter(range(JOBS))
    with bulk.collected() as operations, patch.object(jobs_repo, "counter_value", lambda tenant: next(numbers)):
        for job in jobs:
            jobs_repo.create_job(TENANT, lambda n, job=job: (job, []), sla_watch=False)
    bulk.write(operations)
    _write_summaries(summaries)
    return parent, sites[0], next(j["id"] for j in reversed(jobs) if j["contact_id"] == sites[0])


def measure() -> list[dict]:
    calls = AwsCalls()
    with stack(calls):
        parent, site, job_id = _load(random.Random(SEED))
        handler, context = module("JobsFunction").handler, LambdaContext("JobsFunction")
        table = aws.table()
        user = claims(TENANT, "office")
        since, until = date(YEAR, 1, 1), date(YEAR, 12, 31)

        def costs() -> dict:
            reply = handler(api_event("GET", f"/jobs/{job_id}/costs", user=user)[1], context)
            if reply["statusCode"] != 200:
                raise RuntimeError(f"GET /jobs/{job_id}/costs -> {reply['statusCode']}: {reply['body']}")
            return json.loads(reply["body"])

        def year(contact_id: str, children: bool):
            return lambda: charges.job_money(TENANT, contact_id, since, until, children)

        def bare_query(contact_id: str, scope: str):
            pk = tenant_key(TENANT, "JOBMONEY", contact_id, scope)
            condition = Key("PK").eq(pk) & Key("SK").between(f"{YEAR}-01", f"{YEAR}-12~")
            return lambda: table.query(KeyConditionExpression=condition)

        reads = [
            (
                "GET /jobs/{job_id}/costs, a completed job",
                costs,
                lambda: table.get_item(Key={"PK": tenant_key(TENANT, "JOB", job_id), "SK": "JOB"}),
            ),
            (f"job_money, parent with its {SITES} sites, a year", year(parent, True), bare_query(parent, "FAMILY")),
            ("job_money, the busiest site alone, a year", year(site, False), bare_query(site, "SITE")),
        ]
        rows = []
        for label, read, floor in reads:
            calls.take(), calls.take_items_read()
            result = read()
            counts, items = calls.take(), calls.take_items_read()
            total, operations = breakdown(counts, "dynamodb")
            samples = interleaved({"read": read, "floor": floor}, WARM_UP, REPETITIONS)
            (median, p90), (floor_median, _) = spread(samples["read"]), spread(samples["floor"])
            jobs = len(result.get("jobs", [])) if "months" in result else 1
            rows.append(
                {
                    "Read": label,
                    "Jobs in it": jobs,
                    "DynamoDB requests": total,
                    "DynamoDB operations": operations,
                    "Items read": items,
                    "Median (p90/median)": f"{median:.1f} ms ({p90:.2f})",
                    "Floor": f"{floor_median:.1f} ms",
                    "Ratio": f"**{median / floor_median:.2f}×**",
                }
            )
        return rows
