"""Demo data for a fresh local stack: the `demo` tenant's groups, contacts, sites and notes.

Written through the API with real tokens, as a client would, so the demo also proves the stack.
"""
from __future__ import annotations

import requests

TENANT = "demo"
USERS = {"admin": "admin@demo.example", "office": "office@demo.example", "resource": "tech@demo.example"}
WEEKDAYS_8_TO_18 = {d: [{"open": "08:00", "close": "12:30"}, {"open": "13:30", "close": "18:00"}] for d in ("mon", "tue", "wed", "thu", "fri")}


def seed(stack) -> None:
    session = requests.Session()

    def as_(role: str):
        return {"Authorization": f"Bearer {stack.token(TENANT, role, USERS[role])}"}

    def post(path: str, body: dict, role: str = "office") -> dict:
        reply = session.post(f"{stack.base_url}{path}", json=body, headers=as_(role), timeout=10)
        reply.raise_for_status()
        return reply.json()

    stack.token(TENANT, "resource", USERS["resource"])  # the technician exists from the start
    groups = {name: post("/contact-groups", {"name": name}, role="admin")["id"] for name in ("Customers", "Sites", "Suppliers")}
    abc = post("/contacts", {
        "name": "ABC SA", "group_id": groups["Customers"], "reference": "ABC001",
        "address": {"line1": "12 avenue de l'Opéra", "postcode": "75001", "city": "Paris", "country": "FR"},
        "main_contact": {"name": "Claire Martin", "email": "claire.martin@abc.example"},
        "flag": "Two invoices overdue: ask for payment before any new job",
    })
    post("/contacts", {
        "name": "ABC SA – Paris Rivoli", "group_id": groups["Sites"], "parent_id": abc["id"],
        "address": {"line1": "99 rue de Rivoli", "postcode": "75001", "city": "Paris", "country": "FR"},
        "location": {"lat": 48.8606, "lon": 2.3376},
        "on_site_contact": {"name": "Karim Benali", "phone": "+33 1 40 20 50 50", "address": "Loading bay, rue de l'Amiral de Coligny"},
        "opening_hours": {"time_zone": "Europe/Paris", "weekly": WEEKDAYS_8_TO_18},
        "site_notes": "Beware of the dog in the yard. Key at reception.",
    })
    post("/contacts", {
        "name": "ABC SA – Lyon Part-Dieu", "group_id": groups["Sites"], "parent_id": abc["id"],
        "address": {"line1": "17 rue du Docteur Bouchut", "postcode": "69003", "city": "Lyon", "country": "FR"},
        "location": {"lat": 45.7610, "lon": 4.8566},
        "zone": {"kind": "square", "side_m": 120},
        "opening_hours": {"time_zone": "Europe/Paris", "weekly": WEEKDAYS_8_TO_18},
    })
    post("/contacts", {
        "name": "Société Dupont Plomberie", "group_id": groups["Suppliers"], "reference": "SUP-DUPONT",
        "address": {"line1": "4 rue des Artisans", "postcode": "93100", "city": "Montreuil", "country": "FR"},
        "main_contact": {"name": "Luc Dupont", "email": "commandes@dupont-plomberie.example"},
    })
    post(f"/contacts/{abc['id']}/notes", {"text": "Annual boiler service contract up for renewal in January."})
