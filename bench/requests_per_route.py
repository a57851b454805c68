"""AWS API calls each ContactsFunction route makes, counted through botocore's event system.

Every route of template.yaml's ContactsFunction is called once, in-process with a genuine API
Gateway event, against a tenant in a realistic state: groups, settings, a parent contact with a
child, notes (one with an alert that has fired, so the email archive is not empty) and attachments
uploaded through their presigned POST. A few variants (search, reference lookup, a note with an
alert, an idempotent POST) and the alert's scheduled delivery get rows of their own.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import requests

from bench.env import AwsCalls, breakdown, stack
from infra import template
from tests.support.lambdas import Reply, call, invoke

FUNCTION = "ContactsFunction"
TENANT = "bench"


def _ok(method: str, path: str, *, role: str = "office", **kwargs) -> Reply:
    reply = call(method, path, tenant=TENANT, role=role, **kwargs)
    if not 200 <= reply.status < 300:
        raise RuntimeError(f"{method} {path} -> {reply.status}: {reply.body}")
    return reply


def _contact(name: str, group_id: str, **fields) -> dict:
    return _ok("POST", "/contacts", body={"name": name, "group_id": group_id, **fields}).json


def _upload(contact_id: str, filename: str) -> str:
    """Ask for a presigned POST and upload through it, as the browser does."""
    data = b"%PDF-1.4 bench\n"
    ticket = _ok(
        "POST", f"/contacts/{contact_id}/attachments", body={"filename": filename, "content_type": "application/pdf", "size": len(data)}
    ).json
    upload = ticket["upload"]
    response = requests.post(upload["url"], data=upload["fields"], files={"file": (filename, data)}, timeout=10)
    response.raise_for_status()
    return ticket["id"]


def _deliver(contact_id: str, note_id: str) -> None:
    """The note's schedule fires: AlertsFunction sends the email and archives it."""
    invoke("AlertsFunction", {"tenant": TENANT, "contact_id": contact_id, "note_id": note_id})


def _seed() -> dict[str, str]:
    """The tenant's state before any route is measured; returns the ids the scenarios use."""
    group = _ok("POST", "/contact-groups", role="admin", body={"name": "Customers"}).json["id"]
    spare = _ok("POST", "/contact-groups", role="admin", body={"name": "Spare"}).json["id"]
    other = _ok("POST", "/contact-groups", role="admin", body={"name": "Retired"}).json["id"]
    _ok("PATCH", "/settings", role="admin", body={"default_zone_radius_m": 30}, headers={"If-Match": '"0"'})
    parent = _contact(
        "Acme Holdings",
        group,
        reference="ACME-1",
        address={"line1": "1 Rue de la Paix", "city": "Paris", "postcode": "75002", "country": "FR"},
        location={"lat": 48.8686, "lon": 2.3314},
        main_contact={"name": "Ada Admin", "email": "ada@acme.example"},
        flag="Pays late: ask for a deposit",
    )["id"]
    child = _contact(
        "Acme Depot Nord",
        group,
        reference="ACME-2",
        parent_id=parent,
        address={"line1": "2 Quai de Jemmapes", "city": "Paris", "postcode": "75010", "country": "FR"},
        location={"lat": 48.8721, "lon": 2.3660},
        zone={"kind": "square", "side_m": 100},
        on_site_contact={"name": "Bob Gate", "phone": "+33 1 23 45 67 89"},
        opening_hours={
            "time_zone": "Europe/Paris",
            "weekly": {d: [{"open": "08:00", "close": "17:00"}] for d in ("mon", "tue", "wed", "thu", "fri")},
        },
    )["id"]
    victim = _contact("Acme Annex", group, reference="ACME-3", parent_id=parent, location={"lat": 48.87, "lon": 2.35})["id"]
    _ok("POST", f"/contacts/{child}/notes", body={"text": "Gate code 1234"})
    alert_at = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    sent, note = (
        _ok("POST", f"/contacts/{child}/notes", body={"text": text, "alert_at": alert_at}).json["id"]
        for text in ("Call back about the quote", "Renew the contract")
    )
    _deliver(child, sent)  # so the email archive holds one email
    _ok("POST", f"/contacts/{victim}/notes", body={"text": "Closing down"})
    _upload(child, "plan.pdf")
    doomed = _upload(child, "old-plan.pdf")
    _upload(victim, "lease.pdf")
    return {
        "group": group,
        "spare": spare,
        "other": other,
        "parent": parent,
        "child": child,
        "victim": victim,
        "note": note,
        "attachment": doomed,
    }


def _scenarios(ids: dict[str, str]) -> dict[tuple[str, str], list[tuple[str, Callable[[], object]]]]:
    """(method, template path) -> [(row label, the measured call)], the route's own row first."""
    child, parent, victim = ids["child"], ids["parent"], ids["victim"]
    tomorrow = datetime.now(UTC) + timedelta(days=1)
    contact_body = {
        "name": "Acme Depot Sud",
        "group_id": ids["group"],
        "reference": "ACME-4",
        "parent_id": child,
        "location": {"lat": 48.80, "lon": 2.35},
        "address": {"line1": "3 Rue Sud", "postcode": "75013"},
    }

    def etag(path: str, role: str = "office") -> dict:
        return {"If-Match": _ok("GET", path, role=role).headers["etag"]}

    def group_etag(group_id: str) -> dict:
        group = next(g for g in _ok("GET", "/contact-groups").json["items"] if g["id"] == group_id)
        return {"If-Match": f'"{group["version"]}"'}

    def later(method: str, path: str, headers: dict | Callable[[], dict] | None = None, **kwargs) -> Callable[[], Callable[[], object]]:
        """The call to measure, prepared just before: If-Match values are read then, uncounted."""

        def prepare() -> Callable[[], object]:
            h = headers() if callable(headers) else headers
            return lambda: _ok(method, path, headers=h, **kwargs)

        return prepare

    c = f"/contacts/{child}"
    return {
        ("GET", "/contacts"): [
            ("GET /contacts", later("GET", "/contacts")),
            ("GET /contacts?q=acme", later("GET", "/contacts", query={"q": "acme"})),
            ("GET /contacts?reference=ACME-2", later("GET", "/contacts", query={"reference": "ACME-2"})),
        ],
        ("POST", "/contacts"): [
            ("POST /contacts (parent 2 deep, default zone)", later("POST", "/contacts", body=contact_body)),
            (
                "POST /contacts with Idempotency-Key",
                later(
                    "POST",
                    "/contacts",
                    body={**contact_body, "name": "Acme Kiosk", "reference": "ACME-5"},
                    headers={"Idempotency-Key": "bench-1"},
                ),
            ),
        ],
        ("GET", "/contacts/{contact_id}"): [("GET /contacts/{id}", later("GET", c))],
        ("PATCH", "/contacts/{contact_id}"): [
            ("PATCH /contacts/{id} (rename)", later("PATCH", c, lambda: etag(c), body={"name": "Acme Depot Nord-Est"}))
        ],
        ("DELETE", "/contacts/{contact_id}"): [
            ("DELETE /contacts/{id} (1 note, 1 attachment)", later("DELETE", f"/contacts/{victim}", lambda: etag(f"/contacts/{victim}")))
        ],
        ("GET", "/contacts/{contact_id}/children"): [("GET /contacts/{id}/children", later("GET", f"/contacts/{parent}/children"))],
        ("GET", "/contacts/{contact_id}/zone"): [
            ("GET /contacts/{id}/zone", later("GET", f"{c}/zone", query={"lat": 48.8722, "lon": 2.3661}))
        ],
        ("POST", "/contacts/{contact_id}/availability"): [
            (
                "POST /contacts/{id}/availability",
                later(
                    "POST",
                    f"{c}/availability",
                    body={"start": (tomorrow.replace(hour=9)).isoformat(), "end": (tomorrow.replace(hour=10)).isoformat()},
                ),
            )
        ],
        ("GET", "/contacts/{contact_id}/notes"): [("GET /contacts/{id}/notes", later("GET", f"{c}/notes"))],
        ("POST", "/contacts/{contact_id}/notes"): [
            ("POST /contacts/{id}/notes", later("POST", f"{c}/notes", body={"text": "Left a card"})),
            (
                "POST /contacts/{id}/notes with alert",
                later("POST", f"{c}/notes", body={"text": "Check the boiler", "alert_at": tomorrow.isoformat()}),
            ),
        ],
        ("GET", "/contacts/{contact_id}/attachments"): [("GET /contacts/{id}/attachments (2 files)", later("GET", f"{c}/attachments"))],
        ("POST", "/contacts/{contact_id}/attachments"): [
            (
                "POST /contacts/{id}/attachments",
                later("POST", f"{c}/attachments", body={"filename": "photo.jpg", "content_type": "image/jpeg", "size": 2048}),
            )
        ],
        ("DELETE", "/contacts/{contact_id}/attachments/{attachment_id}"): [
            ("DELETE /contacts/{id}/attachments/{id}", later("DELETE", f"{c}/attachments/{ids['attachment']}"))
        ],
        ("GET", "/contacts/{contact_id}/emails"): [("GET /contacts/{id}/emails", later("GET", f"{c}/emails"))],
        ("GET", "/contacts/{contact_id}/folder"): [("GET /contacts/{id}/folder (notes, email, attachments)", later("GET", f"{c}/folder"))],
        ("GET", "/contact-groups"): [("GET /contact-groups", later("GET", "/contact-groups"))],
        ("POST", "/contact-groups"): [("POST /contact-groups", later("POST", "/contact-groups", role="admin", body={"name": "Prospects"}))],
        ("PATCH", "/contact-groups/{group_id}"): [
            (
                "PATCH /contact-groups/{id}",
                later(
                    "PATCH", f"/contact-groups/{ids['spare']}", lambda: group_etag(ids["spare"]), role="admin", body={"name": "Spare parts"}
                ),
            )
        ],
        ("DELETE", "/contact-groups/{group_id}"): [
            (
                "DELETE /contact-groups/{id}",
                later("DELETE", f"/contact-groups/{ids['other']}", lambda: group_etag(ids["other"]), role="admin"),
            )
        ],
        ("GET", "/settings"): [("GET /settings", later("GET", "/settings"))],
        ("PATCH", "/settings"): [
            ("PATCH /settings", later("PATCH", "/settings", lambda: etag("/settings"), role="admin", body={"default_zone_radius_m": 25}))
        ],
        ("GET", "/me"): [("GET /me", later("GET", "/me"))],
        ("PATCH", "/me"): [("PATCH /me", later("PATCH", "/me", lambda: etag("/me"), body={"locale": "fr-FR"}))],
    }


def _row(label: str, counts: Counter) -> dict:
    dynamo_total, dynamo_ops = breakdown(counts, "dynamodb")
    _, other = breakdown(counts, None)
    return {"Route": label, "DynamoDB requests": dynamo_total, "DynamoDB operations": dynamo_ops, "Other AWS requests": other}


def measure() -> list[dict]:
    """One row per route (template order) and variant, then the alert's delivery."""
    calls = AwsCalls()
    with stack(calls):
        calls.label_table(os.environ["IDEMPOTENCY_TABLE"], "idempotency")
        ids = _seed()
        scenarios = _scenarios(ids)
        routes = [(r.method, r.path) for r in template.routes() if r.function == FUNCTION]
        missing = [f"{m} {p}" for m, p in routes if (m, p) not in scenarios]
        if missing:
            raise RuntimeError(f"no benchmark scenario for {', '.join(missing)}: add one to bench/requests_per_route.py")
        rows = []
        for route in routes:
            for label, prepare in scenarios[route]:
                run = prepare()
                calls.take()
                run()
                rows.append(_row(label, calls.take()))
        _deliver(ids["child"], ids["note"])
        rows.append(_row("AlertsFunction: a note's alert fires", calls.take()))
    return rows
