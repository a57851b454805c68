"""The booking site in a real browser (Debian's headless Chromium, driven by Playwright's Python
API) on a phone-sized screen, against the local stack, in English and in French: the office
configures a contact's site and invites a person; the person signs in with the emailed temporary
password, chooses their own, sees their jobs, books one, signs out, resets a forgotten password
with the code emailed to them (the customer pool's CustomMessage trigger, in their language); the
office finds the job 'to schedule' and the email in the outbox. The page signs in as it does in
AWS: Cognito's JSON API at the endpoint its config.json names (locally the stack's /_local/cognito,
which hands the calls to moto).

A screenshot per step lands in test-artifacts/booking/ (git-ignored).
"""

from __future__ import annotations

import re
import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest
import requests
from babel.dates import format_date

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
RESET_PASSWORD = "Reset-Passw0rd-22"


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


def _office_world(api, tenant: str = TENANT, slug: str = "abc-plumbing", email: str = "jane@abc.example", locale: str = "en-GB") -> dict:
    admin, office = api("admin", tenant=tenant), api("office", tenant=tenant)
    settings = admin.get("/settings")
    assert admin.patch("/settings", json={"locale": locale}, headers={"If-Match": settings.headers["ETag"]}).status_code == 200
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
            "slug": slug,
            "job_type_ids": [repair["id"], survey["id"]],
            "notify_email": "dispatch@acme.example",
            "columns": ["reference", "type", "site", "status", "planned_start", "preferred_date"],
        },
    )
    assert site.status_code == 201, site.text
    jane = office.post(f"/contacts/{abc['id']}/persons", json={"name": "Jane Doe", "email": email, "booking_site_access": True}).json()
    invited = office.post(f"/contacts/{abc['id']}/booking-site/invitations", json={"person_id": jane["id"]})
    assert invited.status_code == 201, invited.text
    return {"office": office, "abc": abc, "paris": paris, "repair": repair, "earlier": earlier.json(), "url": invited.json()["url"]}


def _invitation(stack, email: str = "jane@abc.example", slug: str = "abc-plumbing", words: str = "temporary password:") -> tuple[str, str]:
    message = next(m for m in stack.outbox() if m["to"] == [email])
    url = re.search(rf"(http://\S+/booking/{slug})", message["body"]).group(1)
    password = re.search(rf"{words}\s*(\S+)", message["body"]).group(1)
    return url, password


def _reset_code(stack, email: str, subject: str) -> str:
    """The code of the newest forgot-password email to `email` (the local stack sends what the
    customer pool's CustomMessage trigger wrote, as Cognito does in AWS)."""
    message = next(m for m in stack.outbox() if m["to"] == [email] and m["subject"] == subject)
    return re.search(r"\b(\d{6})\b", message["body"]).group(1)


def _forgot_password(page, stack, shots, email: str, subject: str, texts: dict) -> None:
    """Signed out: "forgot your password?", a code by email, a wrong one refused, the right one
    sets the new password, which then signs in."""
    page.click("#forgot")
    page.wait_for_selector("#reset:not([hidden])")
    assert page.inner_text("#reset h2") == texts["heading"]
    page.fill("#reset-email", email)
    page.click("#reset-request-button")
    page.wait_for_selector("#reset-confirm-form:not([hidden])")
    code = _reset_code(stack, email, subject)
    shots(page, "reset-code-sent")
    page.fill("#reset-code", "000000" if code != "000000" else "111111")
    page.fill("#reset-password", RESET_PASSWORD)
    page.click("#reset-confirm-button")
    page.wait_for_selector("#reset-error:not([hidden])")
    assert texts["wrong code"] in page.inner_text("#reset-error")
    page.fill("#reset-code", code)
    page.click("#reset-confirm-button")
    page.wait_for_selector("#notice.ok")
    assert texts["done"] in page.inner_text("#notice")
    shots(page, "reset-done")
    page.fill("#password", RESET_PASSWORD)
    page.click("#sign-in-button")
    page.wait_for_selector("#jobs-table:not([hidden])")


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
    assert format_date(date.fromisoformat(preferred), "long", locale="en_GB") in email["body"]  # 1 December 2026

    # Each pool's tokens open only their own routes: the customer's no staff route, staff no customer route.
    customer_token = page.evaluate("sessionStorage.getItem('booking-token:abc-plumbing')")
    as_customer = {"Authorization": f"Bearer {customer_token}"}
    assert requests.get(f"{stack.base_url}/booking/sites/abc-plumbing/jobs", headers=as_customer, timeout=15).status_code == 200
    assert requests.get(f"{stack.base_url}/contacts", headers=as_customer, timeout=15).status_code == 401
    assert world["office"].get("/booking/sites/abc-plumbing/jobs").status_code == 401

    # Signing out forgets the token; signing in again takes the new password.
    page.click("#sign-out")
    page.wait_for_selector("#sign-in:not([hidden])")
    assert page.inner_text("#notice") == "You are signed out."
    page.fill("#email", "jane@abc.example")
    page.fill("#password", NEW_PASSWORD)
    page.click("#sign-in-button")
    page.wait_for_selector("#jobs-table:not([hidden])")
    shots(page, "signed-in-again")

    # A forgotten password: a code by email (in English, Jane's account's language), then a new one.
    page.click("#sign-out")
    page.wait_for_selector("#sign-in:not([hidden])")
    english = {"heading": "Choose a new password", "wrong code": "That code is wrong or has expired", "done": "Your new password is set"}
    _forgot_password(page, stack, shots, "jane@abc.example", "Your password reset code for ABC Plumbing's booking site", english)
    page.close()


def test_a_french_customer_reads_the_site_in_french_and_may_switch_to_english(stack, api, browser, shots):
    """A French account, a browser in French: the site, its dates, the API's answers and the emails
    all in French; the switcher to English is remembered across visits."""
    tenant, slug, email = "booking-fr", "abc-fr", "luc@abc.example"
    world = _office_world(api, tenant=tenant, slug=slug, email=email, locale="fr-FR")
    url, temporary = _invitation(stack, email=email, slug=slug, words="mot de passe temporaire :")

    page = browser.new_page(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale="fr-FR")
    page.set_default_timeout(45_000)
    page.goto(url)
    page.wait_for_selector("#sign-in:not([hidden])")
    assert page.inner_text("#sign-in h2") == "Se connecter" and page.input_value("#language") == "fr"
    assert page.evaluate("document.documentElement.lang") == "fr"
    shots(page, "fr-sign-in")

    page.fill("#email", email)
    page.fill("#password", "pas-le-bon")
    page.click("#sign-in-button")
    page.wait_for_selector("#sign-in-error:not([hidden])")
    assert page.inner_text("#sign-in-error") == "E-mail ou mot de passe incorrect."
    page.fill("#password", temporary)
    page.click("#sign-in-button")
    page.wait_for_selector("#new-password-block:not([hidden])")
    assert page.inner_text("#sign-in-button") == "Enregistrer le mot de passe et se connecter"
    page.fill("#new-password", NEW_PASSWORD)
    page.click("#sign-in-button")

    page.wait_for_selector("#jobs-table:not([hidden])")
    assert page.locator("#jobs-head th").all_inner_texts() == ["Référence", "Type", "Site", "Statut", "Début prévu", "Date souhaitée"]
    planned = page.locator('#jobs-body td[data-column="planned_start"]').first.inner_text()
    assert "2030" in planned and "mars" in planned, planned  # 4 March 2030, as a French reader writes it
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], "the page scrolls sideways on a phone"
    shots(page, "fr-jobs")

    # The API answers in French too: a date in the past is refused in the customer's language.
    page.select_option("#job-type", label="Boiler repair")
    page.fill("#preferred-date", "2020-01-01")
    page.fill("#description", "La chaudière fait du bruit.")
    page.click("#book-button")
    page.wait_for_selector('.field-error[data-field="preferred_date"]:not([hidden])')
    assert page.inner_text('.field-error[data-field="preferred_date"]') == "Est dans le passé"
    page.fill("#preferred-date", (date.today() + timedelta(days=10)).isoformat())
    page.click("#book-button")
    page.wait_for_selector("#notice.ok")
    assert page.inner_text("#notice").startswith("Merci : la demande ")
    page.wait_for_function("n => document.querySelectorAll('#jobs-body tr').length === n", arg=2)
    assert "À planifier" in page.locator("#jobs-body tr").first.inner_text()
    shots(page, "fr-booked")
    office_mail = next(m for m in stack.outbox() if m["to"] == ["dispatch@acme.example"] and "Boiler repair" in m["subject"])
    assert office_mail["subject"].startswith("Demande d'intervention ") and "Date souhaitée : " in office_mail["body"]

    page.click("#sign-out")
    page.wait_for_selector("#sign-in:not([hidden])")
    assert page.inner_text("#notice") == "Vous êtes déconnecté."
    french = {
        "heading": "Choisir un nouveau mot de passe",
        "wrong code": "Ce code est erroné ou a expiré",
        "done": "Votre nouveau mot de passe est enregistré",
    }
    subject = "Votre code pour changer de mot de passe sur le site de réservation de ABC Plumbing"
    _forgot_password(page, stack, shots, email, subject, french)
    assert world["abc"]["name"] in page.inner_text("#company")

    # The switcher: English at once, and still English on the next visit.
    page.select_option("#language", "en")
    page.wait_for_function("() => document.querySelector('#jobs h2').textContent === 'Your jobs'")
    assert page.locator("#jobs-head th").all_inner_texts()[:4] == ["Reference", "Type", "Site", "Status"]
    assert "To schedule" in page.locator("#jobs-body tr").first.inner_text()
    page.reload()
    page.wait_for_selector("#jobs-table:not([hidden])")
    assert page.inner_text("#jobs h2") == "Your jobs" and page.input_value("#language") == "en"
    shots(page, "fr-switched-to-english")
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


def test_the_local_cognito_resets_a_password_as_cognito_does(stack, api):
    """/_local/cognito's ForgotPassword and ConfirmForgotPassword behave as Cognito's: the code goes
    by email only, only that code and a password of the pool's policy are taken, and a customer who
    never chose a password cannot reset it."""
    from tests.support.booking_sign_in import sign_in

    email = "joe@abc.example"
    _office_world(api, tenant="booking-reset", slug="abc-reset", email=email)
    _, temporary = _invitation(stack, email=email, slug="abc-reset")
    client_id = requests.get(f"{stack.base_url}/booking/config.json", timeout=15).json()["client_id"]

    def cognito(action: str, body: dict) -> requests.Response:
        headers = {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": f"AWSCognitoIdentityProviderService.{action}"}
        return requests.post(f"{stack.base_url}/_local/cognito", json={"ClientId": client_id, **body}, headers=headers, timeout=15)

    refused = cognito("ForgotPassword", {"Username": email})
    assert refused.status_code == 400 and refused.json()["__type"] == "NotAuthorizedException"
    assert sign_in(stack.base_url, email, temporary, NEW_PASSWORD).token

    sent = cognito("ForgotPassword", {"Username": email, "ClientMetadata": {"locale": "fr-FR"}})
    assert sent.status_code == 200 and sent.json()["CodeDeliveryDetails"]["DeliveryMedium"] == "EMAIL"
    assert not [h for h in sent.headers if "confirmation-code" in h.lower()], "the code goes by email only"
    code = _reset_code(stack, email, "Votre code pour changer de mot de passe sur le site de réservation de ABC Plumbing")

    weak = cognito("ConfirmForgotPassword", {"Username": email, "ConfirmationCode": code, "Password": "short"})
    assert weak.status_code == 400 and weak.json()["__type"] == "InvalidPasswordException"
    wrong = cognito("ConfirmForgotPassword", {"Username": email, "ConfirmationCode": "12345", "Password": RESET_PASSWORD})
    assert wrong.status_code == 400 and wrong.json()["__type"] in ("CodeMismatchException", "ExpiredCodeException")
    assert sign_in(stack.base_url, email, RESET_PASSWORD).code == "NotAuthorizedException"
    assert cognito("ConfirmForgotPassword", {"Username": email, "ConfirmationCode": code, "Password": RESET_PASSWORD}).status_code == 200
    assert sign_in(stack.base_url, email, RESET_PASSWORD).token
    assert sign_in(stack.base_url, email, NEW_PASSWORD).code == "NotAuthorizedException"

    before = len(stack.outbox())
    assert cognito("ForgotPassword", {"Username": "nobody@abc.example"}).status_code == 200  # nobody learns who has an access
    assert len(stack.outbox()) == before
