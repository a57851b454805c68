"""The General tab over HTTP, as the web client drives it: a customer and its site, search, the
zone and opening-hours checks, an attachment through S3's presigned POST, and a restart."""

from __future__ import annotations

import requests

PARIS = {"lat": 48.8606, "lon": 2.3376}
HOURS = {"time_zone": "Europe/Paris", "weekly": {d: [{"open": "08:00", "close": "18:00"}] for d in ("mon", "tue", "wed", "thu", "fri")}}


def test_a_customer_and_its_site_from_creation_to_restart(stack, api, restart):
    admin, office, tech = api("admin", tenant="http"), api("office", tenant="http"), api("resource", tenant="http")
    customers = admin.post("/contact-groups", json={"name": "Customers"}).json()["id"]
    sites = admin.post("/contact-groups", json={"name": "Sites"}).json()["id"]

    customer = office.post(
        "/contacts", json={"name": "Société Lumière", "group_id": customers, "reference": "LUM-01", "flag": "Pays at 90 days"}
    )
    assert customer.status_code == 201 and customer.headers["ETag"] == '"1"'
    site = office.post(
        "/contacts",
        json={
            "name": "Lumière – Louvre",
            "group_id": sites,
            "parent_id": customer.json()["id"],
            "location": PARIS,
            "opening_hours": HOURS,
            "site_notes": "Service entrance on rue de Rivoli",
            "on_site_contact": {"name": "Inès", "phone": "+33 1 40 20 53 17"},
        },
    ).json()
    assert site["zone"] == {"kind": "circle", "radius_m": 20.0}

    assert {c["name"] for c in office.get("/contacts", params={"q": "lumiere"}).json()["items"]} == {"Lumière – Louvre", "Société Lumière"}
    assert office.get("/contacts", params={"q": "LUM-01"}).json()["items"][0]["name"] == "Société Lumière"
    children = office.get(f"/contacts/{customer.json()['id']}/children").json()["items"]
    assert [c["id"] for c in children] == [site["id"]]

    # The technician: no flag, the zone check from their tablet.
    seen = tech.get(f"/contacts/{customer.json()['id']}").json()
    assert "flag" not in seen
    at_the_door = tech.get(f"/contacts/{site['id']}/zone", params={"lat": 48.86065, "lon": 2.3376}).json()
    assert at_the_door["inside"] is True and at_the_door["distance_m"] < 10
    assert tech.post("/contacts", json={"name": "x", "group_id": sites}).status_code == 403

    # Planning a Saturday visit warns.
    saturday = office.post(
        f"/contacts/{site['id']}/availability", json={"start": "2030-01-12T09:00:00Z", "end": "2030-01-12T10:00:00Z"}
    ).json()
    assert saturday["within"] is False and saturday["reasons"]

    # An attachment goes straight to S3 (moto) with the presigned POST, and comes back presigned.
    ticket = office.post(
        f"/contacts/{site['id']}/attachments", json={"filename": "plan.pdf", "content_type": "application/pdf", "size": 8}
    ).json()
    uploaded = requests.post(
        ticket["upload"]["url"], data=ticket["upload"]["fields"], files={"file": ("plan.pdf", b"%PDF-1.7")}, timeout=15
    )
    assert uploaded.status_code in (200, 204), uploaded.text
    listed = office.get(f"/contacts/{site['id']}/attachments").json()["items"]
    link = office.get(f"/contacts/{site['id']}/attachments/{listed[0]['id']}/download").json()
    assert requests.get(link["url"], timeout=15).content == b"%PDF-1.7"

    # A stale write is refused over HTTP too.
    renamed = office.patch(f"/contacts/{site['id']}", json={"name": "Lumière – Louvre (Aile Richelieu)"}, headers={"If-Match": '"1"'})
    assert renamed.status_code == 200
    stale = office.patch(f"/contacts/{site['id']}", json={"name": "Other"}, headers={"If-Match": '"1"'})
    assert stale.status_code == 412 and stale.headers["Content-Type"] == "application/problem+json"

    restart()

    office = api("office", tenant="http")
    after = office.get(f"/contacts/{site['id']}")
    assert after.status_code == 200 and after.json()["name"] == "Lumière – Louvre (Aile Richelieu)" and after.headers["ETag"] == '"2"'
    assert [c["name"] for c in office.get("/contacts", params={"q": "richelieu"}).json()["items"]] == ["Lumière – Louvre (Aile Richelieu)"]
    assert office.get(f"/contacts/{site['id']}/attachments").json()["items"][0]["filename"] == "plan.pdf"
    assert api("office", tenant="other").get(f"/contacts/{site['id']}").status_code == 404
