"""The booking site in a real browser (Debian's headless Chromium, driven by Playwright's Python
API) on a phone-sized screen, against the local stack: the office configures a contact's site and
invites a person; the person signs in with the emailed temporary password, chooses their own,
sees their jobs, books one; the office finds it 'to schedule' and the email in the outbox. The page
signs in as it does in AWS: Cognito's JSON API at the endpoint its config.json names (locally the
stack's /_local/cognito, which hands the calls to moto).

A screenshot per step lands in test-artifacts/booking/ (git-ignored).
"""

from __future__ import annotations

import re
import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest
import requests

pytestmark = pytest.mark.e2e

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 375, "height": 812}
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "booking"
TENANT = "booking-e2e"
NEW_PASSWORD = "Chosen-Passw0rd-1"


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs it (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright (the dev extra)")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def artifacts() -> Path:
    if ARTIFACTS.exists():
        shutil.rmtree(ARTIFACTS)
    ARTIFACTS.mkdir(parents=True)
    return ARTIFACTS


@pytest.fixture
def shots(request, artifacts):
    taken: list[Path] = []
    story = request.node.name.removeprefix("test_")[:40]

    def shot(page, name: str) -> None:
        path = artifacts / f"{story}-{len(taken) + 1:02d}-{name}.png"
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(path), full_page=True)
        taken.append(path)

    yield shot
    assert all(p.stat().st_size > 0 for p in taken)


def _office_world(api) -> dict:
    admin, office = api("admin", tenant=TENANT), api("office", tenant=TENANT)
    group = admin.post("/contact-groups", json={"name": "Customers"}).json()
    abc = office.post("/contacts", json={"name": "ABC Plumbing", "group_id": group["id"]}).json()
    paris = office.post("/contacts", json={"name": "ABC Paris", "group_id": group["id"], "parent_id": abc["id"]}).json()
    repair = admin.post("/job-types", json={"name": "Boiler repair"}).json()
    survey = admin.post("/job-types", json={"name": "Annual survey"}).json()
    earlier = office.post(
        "/jobs",
        json={
            "contact_id": paris["id"],
            "job_type_id": survey["id"],
            "description": "Yearly check",
            "planned_start": "2030-03-04T09:00:00Z",
            "planned_end": "2030-03-04T10:00:00Z",
        },
    )
    assert earlier.status_code == 201, earlier.text
    site = office.put(
        f"/contacts/{abc['id']}/booking-site",
        headers={"If-Match": '"0"'},
        json={
            "slug": "abc-plumbing",
            "job_type_ids": [repair["id"], survey["id"]],
            "notify_email": "dispatch@acme.example",
            "columns": ["reference", "type", "site", "status", "planned_start", "preferred_date"],
        },
    )
    assert site.status_code == 201, site.text
    jane = office.post(
        f"/contacts/{abc['id']}/persons", json={"name": "Jane Doe", "email": "jane@abc.example", "booking_site_access": True}
    ).json()
    invited = office.post(f"/contacts/{abc['id']}/booking-site/invitations", json={"person_id": jane["id"]})
    assert invited.status_code == 201, invited.text
    return {"office": office, "abc": abc, "paris": paris, "repair": repair, "earlier": earlier.json(), "url": invited.json()["url"]}


def _invitation(stack) -> tuple[str, str]:
    message = next(m for m in stack.outbox() if m["to"] == ["jane@abc.example"])
    url = re.search(r"(http://\S+/booking/abc-plumbing)", message["body"]).group(1)
    password = re.search(r"temporary password:\s*(\S+)", message["body"]).group(1)
    return url, password


def test_a_customer_signs_in_sees_their_jobs_and_books_one(stack, api, browser, shots):
    world = _office_world(api)
    url, temporary = _invitation(stack)
    assert url == world["url"] == f"{stack.base_url}/booking/abc-plumbing"

    page = browser.new_page(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    page.set_default_timeout(45_000)  # a bound, not a timing: CI machines are busy
    page.goto(url)
    page.wait_for_selector("#sign-in:not([hidden])")
    assert page.inner_text("#company") == "ABC Plumbing"
    shots(page, "sign-in")

    # A wrong password says so and lets nobody in.
    page.fill("#email", "jane@abc.example")
    page.fill("#password", "not-the-password")
    page.click("#sign-in-button")
    page.wait_for_selector("#sign-in-error:not([hidden])")
    assert "Wrong email or password" in page.inner_text("#sign-in-error")
    shots(page, "wrong-password")

    # The emailed temporary password asks for a new one first.
    page.fill("#password", temporary)
    page.click("#sign-in-button")
    page.wait_for_selector("#new-password-block:not([hidden])")
    shots(page, "choose-password")
    page.fill("#new-password", NEW_PASSWORD)
    page.click("#sign-in-button")

    # Signed in: the jobs of the contact and its site, in the configured columns.
    page.wait_for_selector("#jobs-table:not([hidden])")
    headers = page.locator("#jobs-head th").all_inner_texts()
    assert headers == ["Reference", "Type", "Site", "Status", "Planned start", "Preferred date"]
    first = page.locator("#jobs-body tr").first
    assert world["earlier"]["reference"] in first.inner_text()
    assert "ABC Paris" in first.inner_text() and "Annual survey" in first.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], "the page scrolls sideways on a phone"
    shots(page, "jobs")

    # An incomplete request is caught before it is sent.
    page.select_option("#job-type", label="Boiler repair")
    page.select_option("#site", label="ABC Paris")
    page.click("#book-button")
    page.wait_for_selector('.field-error[data-field="description"]:not([hidden])')
    shots(page, "incomplete-request")

    preferred = (date.today() + timedelta(days=10)).isoformat()
    page.fill("#preferred-date", preferred)
    page.fill("#description", "The boiler in the basement makes a knocking noise.")
    page.click("#book-button")
    page.wait_for_selector("#notice.ok")
    reference = re.search(r"request (\S+) is in", page.inner_text("#notice")).group(1)
    page.wait_for_function("n => document.querySelectorAll('#jobs-body tr').length === n", arg=2)
    newest = page.locator("#jobs-body tr").first.inner_text()
    assert reference in newest and "To schedule" in newest and "Boiler repair" in newest
    shots(page, "booked")

    # A request whose answer is lost (the job was filed) or that meets a 5xx is sent again with the
    # same Idempotency-Key: the retry replays the first, no second job is filed.
    keys: list[str | None] = []

    def flaky(route) -> None:
        keys.append(route.request.headers.get("idempotency-key"))
        if len(keys) == 1:
            route.fetch()  # filed...
            route.abort("connectionreset")  # ...but the answer never arrives
        elif len(keys) == 2:
            route.fulfill(status=503, content_type="application/problem+json", body='{"title": "Service Unavailable", "status": 503}')
        else:
            route.continue_()

    page.route("**/booking/sites/abc-plumbing/requests", flaky)
    page.fill("#description", "The radiator upstairs stays cold.")
    for attempt in (1, 2):
        page.click("#book-button")
        page.wait_for_function("() => !document.getElementById('book-button').disabled")
        assert page.is_visible("#book-error"), attempt
    shots(page, "request-failed")
    page.click("#book-button")
    page.wait_for_function(
        "r => document.querySelector('#notice.ok') && !document.querySelector('#notice').textContent.includes(r)", arg=reference
    )
    page.unroute("**/booking/sites/abc-plumbing/requests")
    assert len(keys) == 3 and keys[0] and keys[0] == keys[1] == keys[2]
    cold = [
        j
        for j in world["office"].get("/jobs", params={"status": "to_schedule"}).json()["items"]
        if j["description"] == "The radiator upstairs stays cold."
    ]
    assert len(cold) == 1 and cold[0]["reference"] in page.inner_text("#notice")

    # The office: the job is in its 'to schedule' list, at the chosen site; the email is out.
    to_schedule = world["office"].get("/jobs", params={"status": "to_schedule"}).json()["items"]
    booked = next(j for j in to_schedule if j["reference"] == reference)
    assert booked["contact_id"] == world["paris"]["id"] and booked["job_type_id"] == world["repair"]["id"]
    emails = [m for m in stack.outbox() if m["to"] == ["dispatch@acme.example"]]
    assert len(emails) == 2  # this request's, and the retried one's once
    (email,) = [m for m in emails if reference in m["subject"]]
    assert preferred in email["body"]

    # Each pool's tokens open only their own routes: the customer's no staff route, staff no customer route.
    customer_token = page.evaluate("sessionStorage.getItem('booking-token:abc-plumbing')")
    as_customer = {"Authorization": f"Bearer {customer_token}"}
    assert requests.get(f"{stack.base_url}/booking/sites/abc-plumbing/jobs", headers=as_customer, timeout=15).status_code == 200
    assert requests.get(f"{stack.base_url}/contacts", headers=as_customer, timeout=15).status_code == 401
    assert world["office"].get("/booking/sites/abc-plumbing/jobs").status_code == 401

    # Signing out forgets the token; signing in again takes the new password.
    page.click("#sign-out")
    page.wait_for_selector("#sign-in:not([hidden])")
    page.fill("#email", "jane@abc.example")
    page.fill("#password", NEW_PASSWORD)
    page.click("#sign-in-button")
    page.wait_for_selector("#jobs-table:not([hidden])")
    shots(page, "signed-in-again")
    page.close()


def test_the_page_comes_with_the_template_security_headers_and_its_sign_in_config(stack):
    page = requests.get(f"{stack.base_url}/booking/abc-plumbing", timeout=15)
    assert page.headers["X-Frame-Options"] == "DENY" and page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["Referrer-Policy"] == "no-referrer" and page.headers["Strict-Transport-Security"].startswith("max-age=")
    csp = page.headers["Content-Security-Policy"]
    assert "connect-src 'self' https://cognito-idp." in csp and "frame-ancestors 'none'" in csp
    config = requests.get(f"{stack.base_url}/booking/config.json", timeout=15).json()
    assert config == {"cognito_endpoint": "/_local/cognito", "client_id": stack.resources.other_pools["CustomerUserPool"]["client_id"]}
    # The stand-in serves the page's two calls only, for the booking site's client only.
    target = {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "AWSCognitoIdentityProviderService.AdminCreateUser"}
    refused = requests.post(f"{stack.base_url}/_local/cognito", json={"ClientId": config["client_id"]}, headers=target, timeout=15)
    assert refused.status_code == 400 and refused.json()["__type"] == "UnknownOperationException"
    assert requests.post(f"{stack.base_url}/_local/customer-login", json={}, timeout=15).status_code == 404


def test_an_unknown_slug_says_so(stack, browser, shots):
    page = browser.new_page(viewport=PHONE)
    page.goto(f"{stack.base_url}/booking/no-such-company")
    page.wait_for_selector("#notice:not([hidden])")
    assert "does not exist" in page.inner_text("#notice")
    assert page.is_hidden("#sign-in")
    shots(page, "unknown-site")
    page.close()
