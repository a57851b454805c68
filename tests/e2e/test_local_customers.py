"""Booking-site customers (the CustomerUserPool) on the local stack survive a restart: their
attributes and sub, the password they chose, and an invitation not yet used."""

from __future__ import annotations

import os
import re
import stat

import pytest
import requests

from tests.support.booking_sign_in import SignIn
from tests.support.booking_sign_in import sign_in as sign_in_like_the_page

pytestmark = pytest.mark.e2e

TENANT = "customers-e2e"
CHOSEN = "Chosen-Passw0rd-42"


def sign_in(stack, email: str, password: str, new_password: str | None = None) -> SignIn:
    return sign_in_like_the_page(stack.base_url, email, password, new_password)


def temporary_password(stack, email: str) -> str:
    message = next(m for m in stack.outbox() if m["to"] == [email])  # newest first
    return re.search(r"temporary password:\s*(\S+)", message["body"]).group(1)


def customers(stack) -> dict[str, dict]:
    return {row["email"]: row for row in stack.pool_users["CustomerUserPool"].all()}


def test_customers_sign_in_again_after_a_restart(stack, api, restart):
    admin, office = api("admin", tenant=TENANT), api("office", tenant=TENANT)
    group = admin.post("/contact-groups", json={"name": "Customers"}).json()
    acme = office.post("/contacts", json={"name": "Acme Heating", "group_id": group["id"]}).json()
    repair = admin.post("/job-types", json={"name": "Repair"}).json()
    site = office.put(
        f"/contacts/{acme['id']}/booking-site",
        headers={"If-Match": '"0"'},
        json={"slug": "acme-heating", "job_type_ids": [repair["id"]], "notify_email": "dispatch@acme.example"},
    )
    assert site.status_code == 201, site.text
    people = {}
    for name, email in (("Jane Doe", "jane@acme.example"), ("Joe Bloggs", "joe@acme.example")):
        person = office.post(f"/contacts/{acme['id']}/persons", json={"name": name, "email": email, "booking_site_access": True})
        assert person.status_code == 201, person.text
        people[email] = person.json()
        invited = office.post(f"/contacts/{acme['id']}/booking-site/invitations", json={"person_id": person.json()["id"]})
        assert invited.status_code == 201, invited.text

    # Jane chooses her own password; Joe has not signed in yet.
    jane_temporary, joe_temporary = temporary_password(stack, "jane@acme.example"), temporary_password(stack, "joe@acme.example")
    assert sign_in(stack, "jane@acme.example", jane_temporary).code == "NEW_PASSWORD_REQUIRED"
    assert sign_in(stack, "jane@acme.example", jane_temporary, CHOSEN).token
    before = customers(stack)

    restart()

    after = customers(stack)
    for email in ("jane@acme.example", "joe@acme.example"):
        assert after[email]["sub"] == before[email]["sub"]
        assert after[email]["attributes"] == before[email]["attributes"]
        assert after[email]["attributes"]["custom:person_id"] == people[email]["id"]
        assert after[email]["attributes"]["custom:contact_id"] == acme["id"] and after[email]["attributes"]["custom:tenant"] == TENANT
    assert after["jane@acme.example"]["status"] == "CONFIRMED" and after["joe@acme.example"]["status"] == "FORCE_CHANGE_PASSWORD"

    # Jane signs in with the password she chose, and her token opens her site.
    assert sign_in(stack, "jane@acme.example", jane_temporary).code == "NotAuthorizedException"
    again = sign_in(stack, "jane@acme.example", CHOSEN)
    assert again.token, again
    jobs = requests.get(f"{stack.base_url}/booking/sites/acme-heating/jobs", headers={"Authorization": f"Bearer {again.token}"}, timeout=15)
    assert jobs.status_code == 200, jobs.text
    # Joe's emailed temporary password still works, and still asks for his own.
    assert sign_in(stack, "joe@acme.example", joe_temporary).code == "NEW_PASSWORD_REQUIRED"
    assert sign_in(stack, "joe@acme.example", joe_temporary, "Joes-Own-Passw0rd").token

    # The snapshot holds passwords: only its owner reads it.
    stack.snapshot()
    mode = stat.S_IMODE(os.stat(stack.state.snapshot_dir / "cognito_pool_users.jsonl").st_mode)
    assert mode == 0o600
