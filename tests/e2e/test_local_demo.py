"""`make dev`'s demo data (infra/demo.py) on a fresh state dir: it seeds without an error or a
print, the booking site at /booking/abc-demo works for the invited person, there is stock to
look at (a warehouse, the van, a reservation for the job, a line to reorder), and ABC's statement
of account shows its overdue invoices."""

from __future__ import annotations

import json
import logging
import re
from datetime import date, timedelta

import pytest
import requests

from infra import demo
from infra.local import LocalStack, banner
from tests.support.booking_sign_in import sign_in

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    records: list[logging.LogRecord] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler = Collect(level=logging.WARNING)
    logging.getLogger("infra").addHandler(handler)
    try:
        with LocalStack(port=0, state_dir=tmp_path_factory.mktemp("demo-state"), seed=demo.seed) as stack:
            yield stack, records
    finally:
        logging.getLogger("infra").removeHandler(handler)


def _telemetry(line: str) -> bool:
    """A function's own JSON log line or EMF metrics, which Lambda sends to CloudWatch."""
    try:
        doc = json.loads(line)
    except ValueError:
        return False
    return isinstance(doc, dict) and ("_aws" in doc or "service" in doc)


def test_the_demo_seeds_without_errors_or_prints(tmp_path, capfd):
    with LocalStack(port=0, state_dir=tmp_path, seed=demo.seed) as stack:
        out = capfd.readouterr().out
        assert [line for line in out.splitlines() if not _telemetry(line)] == []
        assert "/booking/abc-demo" in banner(stack) and "/_local/outbox" in banner(stack)


def test_the_demo_booking_site_works_for_the_invited_person(seeded):
    stack, records = seeded
    assert not [r for r in records if r.levelno >= logging.ERROR], [r.getMessage() for r in records]
    base = stack.base_url
    public = requests.get(f"{base}/booking/sites/abc-demo", timeout=10)
    assert public.status_code == 200 and public.json()["company_name"] == "ABC SA"
    assert public.json()["logo_url"].startswith("https://")
    page = requests.get(f"{base}/booking/abc-demo", timeout=10)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")

    (invitation,) = [m for m in stack.outbox() if m["to"] == [demo.INVITED]]
    assert f"{base}/booking/abc-demo" in invitation["body"]
    temporary = re.search(r"mot de passe temporaire :\s*(\S+)", invitation["body"]).group(1)  # the demo account is French
    login = sign_in(base, demo.INVITED, temporary, "Claire-Passw0rd-1")  # as the page does
    assert login.token, login
    as_claire = {"Authorization": f"Bearer {login.token}"}
    jobs = requests.get(f"{base}/booking/sites/abc-demo/jobs", headers=as_claire, timeout=15).json()["items"]
    assert len(jobs) == 1 and jobs[0]["type"] == "Boiler service" and "Paris" in jobs[0]["site"]
    options = requests.get(f"{base}/booking/sites/abc-demo/options", headers=as_claire, timeout=15).json()
    assert {t["name"] for t in options["job_types"]} == {"Boiler service", "Boiler repair"}


def test_the_demo_technician_is_a_resource_with_a_job(seeded):
    stack, _ = seeded
    tech = next(u for u in stack.users.all() if u.email == demo.USERS["resource"])
    as_tech = {"Authorization": f"Bearer {stack.token(demo.TENANT, 'resource', tech.email)}"}
    as_office = {"Authorization": f"Bearer {stack.token(demo.TENANT, 'office', demo.USERS['office'])}"}
    resources = requests.get(f"{stack.base_url}/resources", headers=as_office, timeout=15).json()["items"]
    assert [r["id"] for r in resources] == [tech.sub]
    jobs = requests.get(f"{stack.base_url}/jobs", params={"status": "scheduled"}, headers=as_office, timeout=15).json()["items"]
    assert len(jobs) == 1 and jobs[0]["resource_id"] == tech.sub
    assert requests.get(f"{stack.base_url}/jobs/{jobs[0]['id']}", headers=as_tech, timeout=15).status_code == 200


def test_the_demo_invoices_are_in_abcs_statement_of_account(seeded):
    stack, _ = seeded
    as_office = {"Authorization": f"Bearer {stack.token(demo.TENANT, 'office', demo.USERS['office'])}"}
    (abc,) = requests.get(f"{stack.base_url}/contacts", params={"reference": "ABC001"}, headers=as_office, timeout=15).json()["items"]
    since = (date.today() - timedelta(days=120)).isoformat()
    reply = requests.get(f"{stack.base_url}/contacts/{abc['id']}/statement", params={"since": since}, headers=as_office, timeout=30)
    assert reply.status_code == 200, reply.text
    statement = reply.json()
    assert [e["kind"] for e in statement["entries"]] == ["invoice", "payment", "invoice"]
    assert statement["opening_balance"] == 0 and statement["closing_balance"] == 46200 + 16500 - 20000
    assert statement["ageing"]["days_61_90"] == 26200 and statement["ageing"]["days_1_30"] == 16500


def test_the_demo_has_stock_in_the_warehouse_and_the_van_with_a_line_to_reorder(seeded):
    stack, _ = seeded
    as_office = {"Authorization": f"Bearer {stack.token(demo.TENANT, 'office', demo.USERS['office'])}"}
    get = lambda path: requests.get(f"{stack.base_url}{path}", headers=as_office, timeout=15).json()  # noqa: E731
    (van,) = get("/vehicles")["items"]
    in_van = {b["model"]: b for b in get(f"/vehicles/{van['id']}/stock")["items"]}
    assert (in_van["Alpha2 25-40"]["on_hand"], in_van["Alpha2 25-40"]["reserved"]) == (2, 1)  # one reserved for the job
    (job,) = get("/jobs?status=scheduled")["items"]
    assert [p["kind"] for p in get(f"/jobs/{job['id']}/parts")["items"]] == ["planned"]
    (warehouse,) = get("/stock/settings")["warehouses"]
    assert {b["model"] for b in get(f"/contacts/{warehouse}/stock")["items"]} >= {"Alpha2 25-40", "Cuivre 22 mm", "X100"}
    assert {line["model"] for line in get("/stock/reorder-report")["items"]} >= {"X100"}
    assert [u["serial"] for u in get(f"/contacts/{warehouse}/equipment")["items"]] == ["7788123400001"]
