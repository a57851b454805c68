"""`make dev`'s local stack, driven over HTTP as a developer (or the web client) would."""

from __future__ import annotations

import re
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
import requests

from infra import template

pytestmark = pytest.mark.e2e


def wait_for(condition, timeout: float = 20.0, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("condition not met in time")


def outbox(stack) -> list[dict]:
    return requests.get(f"{stack.base_url}/_local/outbox", timeout=10).json()["messages"]


def new_contact(api, name: str) -> dict:
    admin = api("admin")
    group = admin.post("/contact-groups", json={"name": f"Group {uuid.uuid4().hex[:6]}"})
    assert group.status_code == 201, group.text
    contact = admin.post("/contacts", json={"name": name, "group_id": group.json()["id"]})
    assert contact.status_code == 201, contact.text
    return contact.json()


def test_health_reports_every_service(stack):
    r = requests.get(f"{stack.base_url}/_local/health", timeout=10)
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok"
    assert set(body["services"]) >= {"dynamodb", "s3", "ses", "scheduler", "cognito"}
    assert body["functions"]["ContactsFunction"] == "loaded"


def test_a_token_from_the_local_route_opens_the_api(stack):
    r = requests.post(f"{stack.base_url}/_local/token", json={"tenant": "e2e", "role": "office", "email": "office@e2e.example"}, timeout=10)
    assert r.status_code == 200
    listed = requests.get(f"{stack.base_url}/contacts", headers={"Authorization": f"Bearer {r.json()['token']}"}, timeout=10)
    assert listed.status_code == 200
    assert "items" in listed.json()


def test_the_api_refuses_a_request_without_a_token(stack):
    r = requests.get(f"{stack.base_url}/contacts", timeout=10)
    assert r.status_code == 401
    assert r.headers["Content-Type"] == "application/problem+json"
    assert {k: r.json()[k] for k in ("type", "title", "status")} == {"type": "about:blank", "title": "Unauthorized", "status": 401}


def test_an_unknown_route_is_the_templates_404_problem(stack, api):
    r = api("admin").get("/no-such-thing")
    assert r.status_code == 404 and r.headers["Content-Type"] == "application/problem+json"
    assert r.json()["title"] == "Not found"


def test_openapi_json_describes_the_contacts_api(stack):
    spec = requests.get(f"{stack.base_url}/openapi.json", timeout=10).json()
    assert spec["openapi"].startswith("3.1")
    assert {"get", "post"} <= set(spec["paths"]["/contacts"])
    assert {"get", "patch", "delete"} <= set(spec["paths"]["/contacts/{contact_id}"])
    # every documented path is a route of the template
    template_paths = {r.path for r in template.routes()}
    assert set(spec["paths"]) <= template_paths


def test_docs_is_swagger_ui_with_assets_served_locally(stack):
    page = requests.get(f"{stack.base_url}/docs", timeout=10)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert "/openapi.json" in page.text
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert assets and all(a.startswith("/") for a in assets)  # nothing from a CDN
    for asset in assets:
        r = requests.get(stack.base_url + asset, timeout=10)
        assert r.status_code == 200 and len(r.content) > 10_000, asset
    assert any("SwaggerUIBundle" in requests.get(stack.base_url + a, timeout=10).text for a in assets if a.endswith(".js"))


def test_a_note_alert_is_emailed_when_its_schedule_fires(stack, api):
    assert outbox(stack) == []  # nothing was sent before
    contact = new_contact(api, "Alert Test SA")
    alert_at = datetime.now(UTC) + timedelta(seconds=2)
    note = api("office").post(
        f"/contacts/{contact['id']}/notes",
        json={"text": "Call back about the boiler", "alert_at": alert_at.isoformat(), "alert_to": ["tech@e2e.example"]},
    )
    assert note.status_code == 201, note.text

    messages = wait_for(lambda: outbox(stack), timeout=30)
    assert len(messages) == 1
    sent = messages[0]
    assert sent["to"] == ["tech@e2e.example"]
    assert sent["from"] == stack.refs["MailFrom"]
    assert "Alert Test SA" in sent["subject"] and "Call back about the boiler" in sent["body"]
    assert sent["sent_at"]
    # the one-off schedule deleted itself after firing
    names = [s["name"] for s in requests.get(f"{stack.base_url}/_local/schedules", timeout=10).json()["schedules"]]
    assert f"note-{note.json()['id']}" not in names


def test_a_schedule_can_be_run_now_from_the_local_route(stack, api):
    contact = new_contact(api, "Run Now SARL")
    note = (
        api("office")
        .post(
            f"/contacts/{contact['id']}/notes",
            json={
                "text": "Quarterly check",
                "alert_at": (datetime.now(UTC) + timedelta(days=7)).isoformat(),
                "alert_to": ["boss@e2e.example"],
            },
        )
        .json()
    )
    listed = requests.get(f"{stack.base_url}/_local/schedules", timeout=10).json()["schedules"]
    schedule = next(s for s in listed if s["name"] == f"note-{note['id']}")
    assert schedule["expression"].startswith("at(") and schedule["next_run"] and schedule["target"] == "AlertsFunction"

    before = len(outbox(stack))
    r = requests.post(f"{stack.base_url}/_local/schedules/{schedule['name']}/run", timeout=30)
    assert r.status_code == 200, r.text
    messages = outbox(stack)
    assert len(messages) == before + 1 and messages[0]["to"] == ["boss@e2e.example"]  # newest first


def test_data_survives_a_restart(stack, restart, api):
    table, bucket = stack.refs["Table"], stack.refs["AttachmentsBucket"]
    key = {"PK": {"S": f"E2E#{uuid.uuid4().hex}"}, "SK": {"S": "ITEM"}}
    stack.client("dynamodb").put_item(TableName=table, Item={**key, "n": {"N": "42"}, "blob": {"B": b"\x00\xff"}})
    stack.client("s3").put_object(Bucket=bucket, Key="t/e2e/hello.txt", Body=b"hello", ContentType="text/plain", Metadata={"who": "e2e"})
    token = stack.token("e2e", "admin", "admin@e2e.example")
    emails_before = outbox(stack)

    restart()

    item = stack.client("dynamodb").get_item(TableName=table, Key=key)["Item"]
    assert item["n"] == {"N": "42"} and item["blob"] == {"B": b"\x00\xff"}
    obj = stack.client("s3").get_object(Bucket=bucket, Key="t/e2e/hello.txt")
    assert obj["Body"].read() == b"hello" and obj["ContentType"] == "text/plain" and obj["Metadata"] == {"who": "e2e"}
    assert outbox(stack) == emails_before
    # a token minted before the restart still opens the API (same pool id, same signing key)
    assert requests.get(f"{stack.base_url}/contacts", headers={"Authorization": f"Bearer {token}"}, timeout=10).status_code == 200


def test_parallel_writes_of_two_tenants_each_land_in_their_own_tenant(stack, api):
    """Two requests to one function at once run in two instances of it, as on Lambda: none reads
    the other's event (the resolver's state), identity or body."""
    tenants = ("par-a", "par-b")
    groups = {t: api("admin", tenant=t).post("/contact-groups", json={"name": "Parallel"}).json()["id"] for t in tenants}
    headers = {t: {"Authorization": f"Bearer {stack.token(t, 'office', f'office@{t}.example')}"} for t in tenants}

    def create(i: int) -> tuple[str, str, requests.Response]:
        tenant, name = tenants[i % 2], f"{tenants[i % 2]} contact {i}"
        body = {"name": name, "group_id": groups[tenant]}
        return tenant, name, requests.post(f"{stack.base_url}/contacts", json=body, headers=headers[tenant], timeout=60)

    with ThreadPoolExecutor(20) as pool:
        results = list(pool.map(create, range(20)))
    assert [(r.status_code, r.json().get("name")) for _, name, r in results] == [(201, name) for _, name, _ in results]
    for tenant in tenants:
        listed = requests.get(f"{stack.base_url}/contacts", params={"limit": 50}, headers=headers[tenant], timeout=30).json()["items"]
        assert sorted(c["name"] for c in listed) == sorted(name for t, name, _ in results if t == tenant)


def test_the_booking_site_and_its_api_paths_carry_the_headers_of_the_distributions_policy(stack):
    (policy,) = template.resources("AWS::CloudFront::ResponseHeadersPolicy", stack.template).values()
    config = template.resolve(policy["Properties"]["ResponseHeadersPolicyConfig"], stack.refs, stack.template)["SecurityHeadersConfig"]
    header_of = {
        "ContentSecurityPolicy": "Content-Security-Policy",
        "StrictTransportSecurity": "Strict-Transport-Security",
        "ContentTypeOptions": "X-Content-Type-Options",
        "FrameOptions": "X-Frame-Options",
        "ReferrerPolicy": "Referrer-Policy",
        "XSSProtection": "X-XSS-Protection",
    }
    page = requests.get(f"{stack.base_url}/booking/abc-demo", timeout=10)
    api_answer = requests.get(f"{stack.base_url}/booking/sites/no-such-site", timeout=10)  # the API, behind the distribution
    assert page.status_code == 200 and api_answer.status_code == 404
    for reply in (page, api_answer):
        assert {header_of[k] for k in config} <= set(reply.headers)
        assert reply.headers["Content-Security-Policy"] == config["ContentSecurityPolicy"]["ContentSecurityPolicy"]
    assert "Content-Security-Policy" not in requests.get(f"{stack.base_url}/contacts", timeout=10).headers  # the API's own URL
