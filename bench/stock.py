"""Stock (issue 7): DynamoDB requests per StockFunction route; the reorder report at 10,000
catalogue items with 50 below their point against a bare one-page Query of its sparse index; and
20 concurrent movements on one balance, none lost.

The catalogue is loaded with the product's own code (`crm.stock.catalogue.create` and a purchase
receipt through `crm.stock.movements.post` per item), its transactions collected and batch-written
(bench.bulk). Routes are called in-process with genuine API Gateway events.
"""

from __future__ import annotations

import json
import threading
from decimal import Decimal

from boto3.dynamodb.conditions import Key
from moto.dynamodb.responses import DynamoHandler

from bench import bulk
from bench.env import AwsCalls, breakdown, stack
from bench.partitions import partitioned, same_as_moto
from bench.timing import interleaved, spread
from crm.platform import aws
from crm.platform.keys import tenant_key
from crm.stock import catalogue, movements
from crm.stock.models import ItemFields
from crm.stock.repository import balances as stock_balances
from tests.support.lambdas import LambdaContext, Reply, api_event, call, claims, module

TENANT = "bench"
CATALOGUE, LOW = 10_000, 50
WARM_UP, REPETITIONS = 3, 20
CONCURRENT = 20
PLAN = {"planned_start": "2030-01-07T09:00:00Z", "planned_end": "2030-01-07T10:00:00Z"}


def _ok(method: str, path: str, *, role: str = "office", **kwargs) -> Reply:
    reply = call(method, path, tenant=TENANT, role=role, **kwargs)
    if not 200 <= reply.status < 300:
        raise RuntimeError(f"{method} {path} -> {reply.status}: {reply.body}")
    return reply


# ---------------------------------------------------------------- requests per route


def _routes(calls: AwsCalls) -> list[dict]:
    group = _ok("POST", "/contact-groups", role="admin", body={"name": "Sites"}).json["id"]
    store = _ok("POST", "/contacts", body={"name": "Main store", "group_id": group}).json["id"]
    site = _ok("POST", "/contacts", body={"name": "Hôtel Lutèce", "group_id": group}).json["id"]
    van = _ok("POST", "/vehicles", role="admin", body={"name": "Van 1"}).json["id"]
    job_type = _ok("POST", "/job-types", role="admin", body={"name": "Repair"}).json["id"]
    tech = claims(TENANT, "resource")["sub"]
    _ok("POST", "/resources", role="admin", body={"user_id": tech, "name": "Ann"})
    job = _ok("POST", "/jobs", body={"contact_id": site, "job_type_id": job_type, "resource_id": tech, "vehicle_id": van, **PLAN}).json[
        "id"
    ]
    _ok("PATCH", "/stock/settings", role="admin", body={"warehouses": [store]}, headers={"If-Match": '"0"'})
    pump = _ok(
        "POST", "/stock/items", body={"kind": "stock", "make": "Grundfos", "model": "Alpha2", "reorder": {"point": 5, "quantity": 10}}
    ).json
    boiler = _ok("POST", "/stock/items", body={"kind": "equipment", "make": "Viessmann", "model": "Vitodens"}).json["id"]
    receipt = {"item_id": pump["id"], "quantity": 20, "to_location": f"contact:{store}", "reason": "purchase_receipt"}
    first = _ok("POST", "/stock/movements", body=receipt).json["id"]
    mistake = _ok("POST", "/stock/movements", body={**receipt, "quantity": 1}).json["id"]
    _ok(
        "POST",
        "/stock/movements",
        body={"item_id": boiler, "serial": "SN-1", "to_location": f"vehicle:{van}", "reason": "purchase_receipt"},
    )
    transfer = {
        "item_id": pump["id"],
        "quantity": 4,
        "from_location": f"contact:{store}",
        "to_location": f"vehicle:{van}",
        "reason": "transfer",
    }
    part = {"kind": "used", "item_id": pump["id"], "quantity": 1}
    scenarios = [
        ("GET /stock/items?q=gr", lambda: _ok("GET", "/stock/items", query={"q": "gr"})),
        ("POST /stock/items", lambda: _ok("POST", "/stock/items", body={"kind": "stock", "make": "Danfoss", "model": "RA-N 15"})),
        ("GET /stock/items/{id}", lambda: _ok("GET", f"/stock/items/{pump['id']}")),
        (
            "PATCH /stock/items/{id} (reorder levels)",
            lambda: _ok("PATCH", f"/stock/items/{pump['id']}", body={"reorder": {"point": 6, "quantity": 10}}, headers={"If-Match": '"1"'}),
        ),
        ("GET /stock/makes?q=gr", lambda: _ok("GET", "/stock/makes", query={"q": "gr"})),
        ("GET /stock/models?make=grundfos", lambda: _ok("GET", "/stock/models", query={"make": "grundfos"})),
        ("POST /stock/movements (transfer, warehouse -> van)", lambda: _ok("POST", "/stock/movements", body=transfer)),
        (
            "POST /stock/movements with Idempotency-Key",
            lambda: _ok("POST", "/stock/movements", body=transfer, headers={"Idempotency-Key": "b-1"}),
        ),
        (
            "POST /stock/movements (a unit by serial, van -> site)",
            lambda: _ok(
                "POST",
                "/stock/movements",
                body={
                    "item_id": boiler,
                    "serial": "SN-1",
                    "from_location": f"vehicle:{van}",
                    "to_location": f"contact:{site}",
                    "reason": "transfer",
                },
            ),
        ),
        ("POST /stock/reversals", lambda: _ok("POST", "/stock/reversals", body={"movement_id": mistake})),
        ("GET /stock/movements/{id}", lambda: _ok("GET", f"/stock/movements/{first}")),
        ("GET /contacts/{id}/stock", lambda: _ok("GET", f"/contacts/{store}/stock")),
        ("GET /contacts/{id}/equipment", lambda: _ok("GET", f"/contacts/{site}/equipment")),
        ("GET /contacts/{id}/movements", lambda: _ok("GET", f"/contacts/{store}/movements")),
        ("GET /vehicles/{id}/stock", lambda: _ok("GET", f"/vehicles/{van}/stock")),
        ("GET /stock/items/{id}/balances", lambda: _ok("GET", f"/stock/items/{pump['id']}/balances")),
        ("POST /jobs/{id}/parts (used)", lambda: _ok("POST", f"/jobs/{job}/parts", body=part)),
        ("POST /jobs/{id}/parts (planned: reserves)", lambda: _ok("POST", f"/jobs/{job}/parts", body={**part, "kind": "planned"})),
        ("GET /jobs/{id}/parts", lambda: _ok("GET", f"/jobs/{job}/parts")),
        ("GET /stock/reorder-report", lambda: _ok("GET", "/stock/reorder-report")),
        ("GET /stock/settings", lambda: _ok("GET", "/stock/settings")),
        ("GET /stock/alerts", lambda: _ok("GET", "/stock/alerts")),
    ]
    rows = []
    for label, run in scenarios:
        calls.take()
        run()
        total, operations = breakdown(calls.take(), "dynamodb")
        rows.append({"Route": label, "DynamoDB requests": total, "DynamoDB operations": operations})
    return rows


# ---------------------------------------------------------------- the reorder report at scale


def _load_catalogue() -> None:
    """10,000 items with a reorder point of 5, each received once in a van: 50 of them 2, the rest 100."""
    van = "vehicle:01ARZ3NDEKTSV4RRFFQ69G5FAV"
    with bulk.collected() as operations:
        for n in range(CATALOGUE):
            fields = ItemFields(kind="stock", make=f"Make {n % 97:02d}", model=f"Model {n:05d}", reorder={"point": 5, "quantity": 12})
            item = catalogue.create(TENANT, fields)
            low = n % (CATALOGUE // LOW) == 0
            movements.post(
                TENANT,
                item,
                amount=Decimal(2 if low else 100),
                serial=None,
                source=None,
                destination=van,
                reason="purchase_receipt",
                by="bench",
            )
    bulk.write(operations)


def _report_at_scale(calls: AwsCalls) -> list[dict]:
    _load_catalogue()
    handler, context = module("StockFunction").handler, LambdaContext("StockFunction")
    user = claims(TENANT, "office")
    table = aws.table()

    def report() -> dict:
        reply = handler(api_event("GET", "/stock/reorder-report", query={"limit": LOW}, user=user)[1], context)
        if reply["statusCode"] != 200:
            raise RuntimeError(reply["body"])
        return json.loads(reply["body"])

    def bare() -> dict:
        return table.query(IndexName="GSI2", KeyConditionExpression=Key("GSI2PK").eq(tenant_key(TENANT, "REORDER")), Limit=LOW)

    with partitioned():
        page = same_as_moto(report)
        calls.take(), calls.take_items_read()
        page = report()
        counts, read = calls.take(), calls.take_items_read()
        if (
            len(page["items"]) != LOW
            or page["next_cursor"] is not None
            or [r["item_id"] for r in page["items"]] != [i["item_id"] for i in bare()["Items"]]
        ):
            raise RuntimeError("the report's page is not the sparse index's")
        samples = interleaved({"report": report, "bare": bare}, WARM_UP, REPETITIONS)
    total, operations = breakdown(counts, "dynamodb")
    (handler_ms, handler_spread), (floor_ms, floor_spread) = spread(samples["report"]), spread(samples["bare"])
    return [
        {
            "What": f"GET /stock/reorder-report, {CATALOGUE:,} items, {LOW} at or below their point",
            "Lines": len(page["items"]),
            "DynamoDB requests": f"{total} ({operations})",
            "Items read": read,
            "Median ms (p90/median)": f"{handler_ms:.2f} ({handler_spread:.2f})",
            "Floor: bare Query of one page, ms": f"{floor_ms:.2f} ({floor_spread:.2f})",
            "Ratio": f"{handler_ms / floor_ms:.2f}x",
        }
    ]


# ---------------------------------------------------------------- concurrent movements


def _concurrent() -> list[dict]:
    """20 threads move 1 each from a balance of 20, at once; DynamoDB requests serialised as DynamoDB
    applies them (moto runs a transaction item by item, unlocked: see tests/conftest.py)."""
    lock, real = threading.Lock(), DynamoHandler.call_action
    races = {"lost": 0}
    real_transact = stock_balances.transact

    def counted(steps) -> None:
        try:
            real_transact(steps)
        except stock_balances.LostRace:
            races["lost"] += 1
            raise

    def one_at_a_time(self):
        with lock:
            return real(self)

    group = _ok("POST", "/contact-groups", role="admin", body={"name": "Stores"}).json["id"]
    store = _ok("POST", "/contacts", body={"name": "Store B", "group_id": group}).json["id"]
    van = _ok("POST", "/vehicles", role="admin", body={"name": "Van B"}).json["id"]
    item = _ok("POST", "/stock/items", body={"kind": "stock", "make": "Caleffi", "model": "Filter"}).json["id"]
    _ok(
        "POST",
        "/stock/movements",
        body={"item_id": item, "quantity": CONCURRENT, "to_location": f"contact:{store}", "reason": "purchase_receipt"},
    )
    body = {"item_id": item, "quantity": 1, "from_location": f"contact:{store}", "to_location": f"vehicle:{van}", "reason": "transfer"}
    statuses: list[int] = []
    DynamoHandler.call_action, stock_balances.transact = one_at_a_time, counted
    try:
        threads = [
            threading.Thread(target=lambda: statuses.append(call("POST", "/stock/movements", tenant=TENANT, body=body).status))
            for _ in range(CONCURRENT)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        DynamoHandler.call_action, stock_balances.transact = real, real_transact
    balances = {r["location"]: r["on_hand"] for r in _ok("GET", f"/stock/items/{item}/balances").json["items"]}
    movements_listed = len(_ok("GET", f"/contacts/{store}/movements", query={"limit": 200}).json["items"])
    return [
        {
            "What": f"{CONCURRENT} transfers of 1 at once from a balance of {CONCURRENT}",
            "Answered 201": statuses.count(201),
            "Lost": CONCURRENT - statuses.count(201),
            "Balance left / in the van": f"{balances.get(f'contact:{store}', 0)} / {balances.get(f'vehicle:{van}', 0)}",
            "Movements in the ledger": movements_listed - 1,
            "Lost races read again and retried": races["lost"],
        }
    ]


def measure() -> list[dict]:
    calls = AwsCalls()
    with stack(calls) as _:
        rows = _routes(calls)
        concurrent = _concurrent()
        report = _report_at_scale(calls)
    return [
        *rows,
        *(
            {
                "Route": r["What"],
                "DynamoDB requests": r["DynamoDB requests"],
                "DynamoDB operations": "; ".join(f"{k}: {v}" for k, v in r.items() if k not in ("What", "DynamoDB requests")),
            }
            for r in report
        ),
        *(
            {
                "Route": r["What"],
                "DynamoDB requests": "—",
                "DynamoDB operations": "; ".join(f"{k}: {v}" for k, v in r.items() if k != "What"),
            }
            for r in concurrent
        ),
    ]
