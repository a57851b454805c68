"""Demo data for a fresh local stack: the `demo` tenant's groups, contacts, sites and notes; job
types, the technician as a resource with a job at ABC's Paris site, in his van; stock (a
warehouse, the van, a pump, copper pipe, inhibitor below its reorder point, a boiler by serial,
their receipts and transfers, a pump reserved for the job); finance settings and two invoices to
ABC, both overdue, one part paid (issued and paid through the API, so ABC's ledger, statement of
account and financial tab have them); ABC's booking site
(/booking/abc-demo) and Claire Martin, a person of ABC invited to it (the invitation, with her
temporary password, is in /_local/outbox). The account speaks French (its settings' locale), as
the companies of the product guide do: emails and the API's problem details read in French.

Written through the API with real tokens, as a client would, so the demo also proves the stack.
Prints nothing: infra/local.py's banner says where to look.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import requests

TENANT = "demo"
USERS = {"admin": "admin@demo.example", "office": "office@demo.example", "resource": "tech@demo.example"}
BOOKING_SLUG = "abc-demo"
INVITED = "claire.martin@abc.example"
PARIS = ZoneInfo("Europe/Paris")
WEEKDAYS_8_TO_18 = {
    d: [{"open": "08:00", "close": "12:30"}, {"open": "13:30", "close": "18:00"}] for d in ("mon", "tue", "wed", "thu", "fri")
}


# The demo account's legal identity: all an invoice names (numbers whose check keys are right).
DEMO_LEGAL_IDENTITY = {
    "legal_name": "Plomberie Démo SARL",
    "legal_form": "SARL",
    "share_capital": {"amount": 1000000, "currency": "EUR"},
    "address": {"line1": "5 rue des Artisans", "postcode": "92100", "city": "Boulogne-Billancourt", "country": "FR"},
    "siret": "30326504500011",
    "rcs_city": "Nanterre",
    "vat_number": "FR40303265045",
    "iban": "FR7630006000011234567890189",
    "bic": "AGRIFRPP",
    "late_payment_rate": "12.15",
    "early_payment_discount": "none",
}


def seed(stack) -> None:
    session = requests.Session()

    def as_(role: str):
        return {"Authorization": f"Bearer {stack.token(TENANT, role, USERS[role])}"}

    def send(method: str, path: str, body: dict | None, role: str = "office", headers: dict | None = None) -> dict:
        reply = session.request(method, f"{stack.base_url}{path}", json=body, headers={**as_(role), **(headers or {})}, timeout=10)
        if not reply.ok:
            raise RuntimeError(f"demo data: {method} {path} answered {reply.status_code}: {reply.text[:500]}")
        return reply.json()

    def post(path: str, body: dict, role: str = "office") -> dict:
        return send("POST", path, body, role)

    send(
        "PATCH", "/settings", {"locale": "fr-FR", "currency": "EUR", "time_zone": "Europe/Paris"}, role="admin", headers={"If-Match": '"0"'}
    )
    send("PUT", "/settings/legal", DEMO_LEGAL_IDENTITY, role="admin", headers={"If-Match": '"0"'})
    tech = stack.users.ensure(USERS["resource"], TENANT, "resource")  # the technician exists from the start
    groups = {
        name: post("/contact-groups", {"name": name}, role="admin")["id"] for name in ("Customers", "Sites", "Suppliers", "Warehouses")
    }
    abc = post(
        "/contacts",
        {
            "name": "ABC SA",
            "group_id": groups["Customers"],
            "reference": "ABC001",
            "address": {"line1": "12 avenue de l'Opéra", "postcode": "75001", "city": "Paris", "country": "FR"},
            "siret": "73282932000074",
            "vat_number": "FR44732829320",
            "main_contact": {"name": "Claire Martin", "email": "claire.martin@abc.example"},
            "flag": "Two invoices overdue: ask for payment before any new job",
        },
    )
    paris = post(
        "/contacts",
        {
            "name": "ABC SA – Paris Rivoli",
            "group_id": groups["Sites"],
            "parent_id": abc["id"],
            "address": {"line1": "99 rue de Rivoli", "postcode": "75001", "city": "Paris", "country": "FR"},
            "location": {"lat": 48.8606, "lon": 2.3376},
            "on_site_contact": {"name": "Karim Benali", "phone": "+33 1 40 20 50 50", "address": "Loading bay, rue de l'Amiral de Coligny"},
            "opening_hours": {"time_zone": "Europe/Paris", "weekly": WEEKDAYS_8_TO_18},
            "site_notes": "Beware of the dog in the yard. Key at reception.",
        },
    )
    post(
        "/contacts",
        {
            "name": "ABC SA – Lyon Part-Dieu",
            "group_id": groups["Sites"],
            "parent_id": abc["id"],
            "address": {"line1": "17 rue du Docteur Bouchut", "postcode": "69003", "city": "Lyon", "country": "FR"},
            "location": {"lat": 45.7610, "lon": 4.8566},
            "zone": {"kind": "square", "side_m": 120},
            "opening_hours": {"time_zone": "Europe/Paris", "weekly": WEEKDAYS_8_TO_18},
        },
    )
    post(
        "/contacts",
        {
            "name": "Société Dupont Plomberie",
            "group_id": groups["Suppliers"],
            "reference": "SUP-DUPONT",
            "address": {"line1": "4 rue des Artisans", "postcode": "93100", "city": "Montreuil", "country": "FR"},
            "main_contact": {"name": "Luc Dupont", "email": "commandes@dupont-plomberie.example"},
        },
    )
    post(f"/contacts/{abc['id']}/notes", {"text": "Annual boiler service contract up for renewal in January."})

    # Jobs: two job types, the technician as a resource, one job planned at ABC's Paris site.
    service = post("/job-types", {"name": "Boiler service"}, role="admin")
    repair = post("/job-types", {"name": "Boiler repair"}, role="admin")
    post("/resources", {"user_id": tech.sub, "name": "Tom Technician"}, role="admin")
    van = post("/vehicles", {"name": "Kangoo AB-123-CD"}, role="admin")
    start = datetime.combine(_next_weekday(date.today()), time(9, 0), PARIS)
    job = post(
        "/jobs",
        {
            "contact_id": paris["id"],
            "job_type_id": service["id"],
            "resource_id": tech.sub,
            "vehicle_id": van["id"],
            "description": "Annual boiler service",
            "planned_start": start.isoformat(),
            "planned_end": (start + timedelta(hours=2)).isoformat(),
        },
    )
    _stock(send, post, groups["Warehouses"], van["id"], job["id"])

    # Finance: two invoices to ABC for its Paris site, both overdue (as its flag says), one part paid.
    send(
        "PATCH",
        "/finance/settings",
        {
            "tax_rates": [{"code": "S20", "name": "TVA 20 %", "rate": "20"}, {"code": "S10", "name": "TVA 10 %", "rate": "10"}],
            "nominal_codes": [{"code": "706000", "name": "Prestations de services"}],
            "company": {"name": DEMO_LEGAL_IDENTITY["legal_name"], "address": ["5 rue des Artisans", "92100 Boulogne-Billancourt"]},
        },
        role="admin",
        headers={"If-Match": '"0"'},
    )
    invoices = []
    for days_ago, lines in (
        (100, [{"description": "Remplacement du circulateur", "unit_price": 42000, "tax_rate": "S10", "nominal_code": "706000"}]),
        (45, [{"description": "Entretien annuel chaudière", "unit_price": 15000, "tax_rate": "S10", "nominal_code": "706000"}]),
    ):
        fields = {"type": "invoice", "contact_id": abc["id"], "delivery_site_id": paris["id"], "lines": lines}
        draft = post("/documents", {**fields, "issue_date": (date.today() - timedelta(days=days_ago)).isoformat()})
        invoices.append(send("POST", f"/documents/{draft['id']}/issue", None, headers={"If-Match": f'"{draft["version"]}"'}))
    paid_on = (date.today() - timedelta(days=60)).isoformat()
    post(f"/documents/{invoices[0]['id']}/payments", {"amount": 20000, "date": paid_on, "method": "bank_transfer"})

    # ABC's booking site, and Claire (ABC's main contact) invited to it.
    send(
        "PUT",
        f"/contacts/{abc['id']}/booking-site",
        {
            "slug": BOOKING_SLUG,
            "logo_url": "https://abc.example/logo.png",
            "job_type_ids": [service["id"], repair["id"]],
            "notify_email": USERS["office"],
            "columns": ["reference", "type", "site", "status", "planned_start", "preferred_date"],
        },
        headers={"If-Match": '"0"'},
    )
    claire = post(f"/contacts/{abc['id']}/persons", {"name": "Claire Martin", "email": INVITED, "booking_site_access": True})
    post(f"/contacts/{abc['id']}/booking-site/invitations", {"person_id": claire["id"]})


def _stock(send, post, warehouses_group: str, van_id: str, job_id: str) -> None:
    """The warehouse and the van's stock: items received at the warehouse, some moved to the van,
    a pump reserved for the job, inhibitor at or below its reorder point (the reorder report and
    the daily alert have a line), and a boiler known by its serial."""
    depot = post(
        "/contacts",
        {
            "name": "Dépôt Boulogne",
            "group_id": warehouses_group,
            "address": {"line1": "5 rue des Artisans", "postcode": "92100", "city": "Boulogne-Billancourt", "country": "FR"},
        },
    )
    send("PATCH", "/stock/settings", {"warehouses": [depot["id"]]}, role="admin", headers={"If-Match": '"0"'})
    warehouse, in_van = f"contact:{depot['id']}", f"vehicle:{van_id}"
    item = lambda **fields: post("/stock/items", {"kind": "stock", **fields})["id"]  # noqa: E731
    pump = item(
        make="Grundfos",
        model="Alpha2 25-40",
        part_number="99411112",
        unit_cost=18000,
        unit_price=29900,
        reorder={"point": 3, "quantity": 5},
    )
    pipe = item(make="Wieland", model="Cuivre 22 mm", unit="m", unit_cost=950, unit_price=1600, reorder={"point": 20, "maximum": 100})
    inhibitor = item(
        make="Sentinel",
        model="X100",
        description="Inhibiteur 500 ml",
        unit_cost=1500,
        unit_price=2900,
        reorder={"point": 4, "quantity": 12},
    )
    boiler = post(
        "/stock/items", {"kind": "equipment", "make": "Viessmann", "model": "Vitodens 100-W", "unit_cost": 140000, "unit_price": 219000}
    )
    for moved in (
        {"item_id": pump, "quantity": 6, "to_location": warehouse, "reason": "purchase_receipt"},
        {"item_id": pipe, "quantity": 50, "to_location": warehouse, "reason": "purchase_receipt"},
        {"item_id": inhibitor, "quantity": 3, "to_location": warehouse, "reason": "purchase_receipt"},
        {"item_id": boiler["id"], "serial": "7788123400001", "to_location": warehouse, "reason": "purchase_receipt"},
        {"item_id": pump, "quantity": 2, "from_location": warehouse, "to_location": in_van, "reason": "transfer"},
        {"item_id": pipe, "quantity": 10, "from_location": warehouse, "to_location": in_van, "reason": "transfer"},
    ):
        post("/stock/movements", moved)
    send("PUT", f"/stock/items/{pump}/levels", {"location": in_van, "reorder": {"point": 1, "quantity": 2}})  # the van's own minimum
    post(f"/jobs/{job_id}/parts", {"kind": "planned", "item_id": pump, "quantity": 1})  # reserved in the van


def _next_weekday(today: date) -> date:
    day = today + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day
