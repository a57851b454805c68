"""The gate: schemathesis fuzzes every operation of the served /openapi.json through the local
API Gateway in process (Cognito authorizer, real proxy events; a WSGI adapter instead of a
socket). Its coverage phase sends each parameter's boundaries and violations (missing required
headers, wrong types, unexpected media types, ...), its fuzzing phase positive and negative data.
Every answer must be no server error, and a status, media type, headers and body the document
lists for that operation.

Each operation runs with the callers that may use it: every staff operation with an admin token,
those an office user may call with an office token too, customer operations with a booking-site
customer's token, the public one with none. Path parameters are ids of a seeded world, so routes
answer more than 404. Bounded by examples per operation (the fuzzing phase) and by the coverage
phase's cases (a fixed set per parameter), not by time: the cost grows with the operations.
"""

from __future__ import annotations

import re

import pytest
import requests
import schemathesis
from schemathesis import engine
from schemathesis.engine import Status, events

from infra.gateway import api_routes
from tests.support.booking_sign_in import sign_in
from tests.support.finance import SELLER
from tests.support.gateway_wsgi import wsgi
from tests.support.lambdas import module

pytestmark = pytest.mark.e2e

EXAMPLES = 12  # per operation and caller, in the fuzzing phase
TENANT = "fuzz"
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
)
ROUTES = {(r.method, r.path): r for r in api_routes()}


class Client:
    def __init__(self, stack, token: str):
        self.base, self.headers = stack.base_url, {"Authorization": f"Bearer {token}"}

    def send(self, method: str, path: str, **kwargs) -> dict:
        reply = requests.request(method, self.base + path, headers={**self.headers, **kwargs.pop("headers", {})}, timeout=30, **kwargs)
        assert reply.status_code < 300, (method, path, reply.status_code, reply.text)
        return reply.json() if reply.content else {}


@pytest.fixture(scope="module")
def world(stack) -> dict[str, str]:
    """One of everything the operations name in their paths, in the fuzzing tenant."""
    admin = Client(stack, stack.token(TENANT, "admin", "admin@fuzz.example"))
    office = Client(stack, stack.token(TENANT, "office", "office@fuzz.example"))
    group = admin.send("POST", "/contact-groups", json={"name": "Customers"})
    contact = office.send(
        "POST",
        "/contacts",
        json={"name": "Fuzz Heating", "group_id": group["id"], "location": {"lat": 48.85, "lon": 2.35}, "reference": "FUZZ-1"},
    )
    office.send("POST", "/contacts", json={"name": "Fuzz Annex", "group_id": group["id"], "parent_id": contact["id"]})
    field = admin.send("POST", f"/contact-groups/{group['id']}/fields", json={"label": "Gate code", "type": "text"})
    note = office.send("POST", f"/contacts/{contact['id']}/notes", json={"text": "Ring twice"})
    tag = admin.send("POST", "/tags", json={"name": "VIP", "colour": "#336699"})
    person = office.send(
        "POST",
        f"/contacts/{contact['id']}/persons",
        json={"name": "Bo Oker", "email": "bo@fuzz.example", "booking_site_access": True, "tag_ids": [tag["id"]]},
    )
    consent = office.send("POST", f"/persons/{person['id']}/consent", json={"status": "given", "medium": "email"})
    job_type = admin.send("POST", "/job-types", json={"name": "Service"})
    resource = admin.send("POST", "/resources", json={"user_id": "fuzz-tech", "name": "Tech"})
    vehicle = admin.send("POST", "/vehicles", json={"name": "Van"})
    sla = office.send(
        "POST",
        f"/contacts/{contact['id']}/slas",
        json={"name": "Same day", "constraints": [{"kind": "time", "rule": "complete_before", "minutes": 480}]},
    )
    job = office.send("POST", "/jobs", json={"contact_id": contact["id"], "job_type_id": job_type["id"], "vehicle_id": vehicle["id"]})
    item = office.send(
        "POST", "/stock/items", json={"kind": "stock", "make": "Grundfos", "model": "Alpha2", "reorder": {"point": 5, "quantity": 10}}
    )
    boiler = office.send("POST", "/stock/items", json={"kind": "equipment", "make": "Viessmann", "model": "Vitodens"})
    receipt = {"item_id": item["id"], "quantity": 3, "to_location": f"vehicle:{vehicle['id']}", "reason": "purchase_receipt"}
    movement = office.send("POST", "/stock/movements", json=receipt)
    unit = {"item_id": boiler["id"], "serial": "SN-1", "to_location": f"contact:{contact['id']}", "reason": "purchase_receipt"}
    office.send("POST", "/stock/movements", json=unit)
    part = office.send("POST", f"/jobs/{job['id']}/parts", json={"kind": "planned", "item_id": item["id"], "quantity": 1})
    slug = "fuzz-site"
    site = {"slug": slug, "job_type_ids": [job_type["id"]], "notify_email": "office@fuzz.example"}
    office.send("PUT", f"/contacts/{contact['id']}/booking-site", json=site, headers={"If-Match": '"0"'})
    office.send("POST", f"/contacts/{contact['id']}/booking-site/invitations", json={"person_id": person["id"]})
    invitation = next(m for m in stack.outbox() if m["to"] == ["bo@fuzz.example"])
    password = re.search(r"temporary password:\s*(\S+)", invitation["body"]).group(1)
    customer = sign_in(stack.base_url, "bo@fuzz.example", password, "Fuzz-Passw0rd-42").token
    assert customer
    attachment = office.send(
        "POST", f"/contacts/{contact['id']}/attachments", json={"filename": "a.pdf", "content_type": "application/pdf", "size": 3}
    )
    tax = {"tax_rates": [{"code": "S20", "name": "VAT 20 %", "rate": "20"}]}
    admin.send("PATCH", "/finance/settings", json=tax, headers={"If-Match": '"0"'})
    line = {"description": "Service", "unit_price": 12000, "tax_rate": "S20"}
    admin.send("PUT", "/settings/legal", json=SELLER, headers={"If-Match": '"0"'})
    home = {"line1": "8 rue Victor Hugo", "city": "Lyon", "postcode": "69002", "country": "FR"}
    buyer = office.send("POST", "/contacts", json={"name": "Fuzz Buyer", "group_id": group["id"], "kind": "individual", "address": home})
    invoice = office.send("POST", "/documents", json={"type": "invoice", "contact_id": buyer["id"], "lines": [line]})
    office.send("POST", f"/documents/{invoice['id']}/issue", headers={"If-Match": '"1"'})
    payment = office.send("POST", f"/documents/{invoice['id']}/payments", json={"amount": 100, "date": "2026-12-01", "method": "card"})
    terms = {"contact_id": contact["id"], "start_date": "2026-01-01", "end_date": "2026-12-31", "instalment": 5000, "tax_rate": "S20"}
    contract = office.send("POST", "/contracts", json=terms)
    office.send("POST", f"/contracts/{contract['id']}/status", json={"status": "active"}, headers={"If-Match": '"1"'})
    return {
        "contract_id": contract["id"],
        "document_id": invoice["id"],
        "payment_id": payment["id"],
        "group_id": group["id"],
        "contact_id": contact["id"],
        "field_id": field["id"],
        "note_id": note["id"],
        "tag_id": tag["id"],
        "person_id": person["id"],
        "event_id": consent["id"],
        "job_type_id": job_type["id"],
        "resource_id": resource["id"],
        "vehicle_id": vehicle["id"],
        "sla_id": sla["id"],
        "job_id": job["id"],
        "item_id": item["id"],
        "movement_id": movement["id"],
        "serial": "SN-1",
        "part_id": part["id"],
        "slug": slug,
        "attachment_id": attachment["id"],
        "customer_token": customer,
        "office_token": stack.token(TENANT, "office", "office@fuzz.example"),
        "admin_token": stack.token(TENANT, "admin", "admin@fuzz.example"),
    }


def _roles(method: str, path: str) -> frozenset[str]:
    return module(ROUTES[(method, path)].function).api.contracts[(method, path)].roles


def _operations(caller: str) -> list[tuple[str, str]]:
    """The operations a caller fuzzes: those whose authorizer takes its token and whose roles
    let it in (an office user's refusals are the access matrix's business)."""
    out = []
    for (method, path), route in ROUTES.items():
        if (
            (caller == "anyone" and route.authorizer is None)
            or (caller == "customer" and route.authorizer == "CustomerAuth")
            or (route.authorizer == "CognitoAuth" and caller in _roles(method, path))
        ):
            out.append((method, path))
    return sorted(out)


def _failures(stack, world: dict[str, str], caller: str, operations: list[tuple[str, str]]) -> tuple[list[str], int]:
    checks: dict = {"enabled": False} | {name: {"enabled": True} for name in CHECKS}
    config = schemathesis.Config.from_dict(
        {
            "headers": {} if caller == "anyone" else {"Authorization": f"Bearer {world[f'{caller}_token']}"},
            "generation": {"max-examples": EXAMPLES, "mode": "all", "deterministic": True},
            "phases": {
                "examples": {"enabled": False},
                "stateful": {"enabled": False},
                "coverage": {"enabled": True},
                "fuzzing": {"enabled": True},
            },
            "checks": checks,
            "parameters": {f"path.{name}": value for name, value in world.items() if not name.endswith("_token")},
            "cache": {"enabled": False},  # nothing written into the repository: each run starts afresh
        }
    )
    served = schemathesis.openapi.from_wsgi("/openapi.json", wsgi(stack.gateway), config=config)
    ids = {f"{method} {path}" for method, path in operations}
    schema = served.include(lambda ctx: f"{ctx.operation.method.upper()} {ctx.operation.path}" in ids)
    found, sent = [], 0
    for event in engine.from_schema(schema).execute():
        if isinstance(event, events.NonFatalError | events.FatalError):
            found.append(f"{event.label if hasattr(event, 'label') else ''}: {event.info if hasattr(event, 'info') else event}")
        if not isinstance(event, events.ScenarioFinished):
            continue
        sent += len(event.recorder.interactions)
        for results in event.recorder.checks.values():
            for check in results:
                if check.status == Status.FAILURE and check.failure_info is not None:
                    failure = check.failure_info.failure
                    found.append(f"{event.recorder.label}: {failure.title}: {failure.message}\n{check.failure_info.code_sample}")
    return sorted(set(found)), sent


@pytest.mark.parametrize("caller", ["admin", "office", "customer", "anyone"])
def test_every_operation_answers_as_its_document_says(stack, world, caller):
    operations = _operations(caller)
    assert operations
    failures, sent = _failures(stack, world, caller, operations)
    assert not failures, "\n\n".join(failures)
    assert sent >= len(operations) * EXAMPLES  # every operation was fuzzed


def test_every_operation_is_fuzzed_by_a_caller_it_lets_in():
    fuzzed = {op for caller in ("admin", "office", "customer", "anyone") for op in _operations(caller)}
    assert fuzzed == set(ROUTES)
