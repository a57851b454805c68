"""Finance's sensitive actions in the audit trail (GET /audit): a document's issue (in its
transaction: a refused issue records nothing), each PDF link handed out (issued or a draft's
preview), and each change of the finance settings (the names of the fields changed)."""

from __future__ import annotations

import pytest

from tests.support.finance import LINE, draft, issue, issued, setup_finance
from tests.support.lambdas import call, claims

OFFICE_ID = claims("t1", "office")["sub"]
ADMIN_ID = claims("t1", "admin")["sub"]


@pytest.fixture
def world(aws):
    return setup_finance()


def trail(action: str) -> list[dict]:
    reply = call("GET", "/audit", role="admin", query={"action": action})
    assert reply.status == 200, reply.body
    return reply.json["items"]


def test_an_issue_is_recorded_with_its_number_and_a_refused_one_is_not(world):
    invoice = issued(world["customer"])
    [record] = trail("document.issued")
    assert (record["target_type"], record["target_id"], record["actor_id"]) == ("document", invoice["id"], OFFICE_ID)
    assert record["details"] == {"type": "invoice", "number": invoice["number"]}

    stale = draft(world["customer"], lines=[LINE])
    assert issue({**stale, "version": stale["version"] + 1}).status == 412
    assert call("POST", f"/documents/{invoice['id']}/issue", headers={"If-Match": f'"{invoice["version"]}"'}).status == 409
    assert len(trail("document.issued")) == 1


def test_each_pdf_link_handed_out_is_recorded(world):
    invoice = issued(world["customer"])
    preview = draft(world["customer"])
    assert call("GET", f"/documents/{invoice['id']}/pdf").status == 200
    assert call("GET", f"/documents/{preview['id']}/pdf").status == 200
    records = {r["target_id"]: r for r in trail("document.downloaded")}
    assert records[invoice["id"]]["details"] == {"preview": False}
    assert records[preview["id"]]["details"] == {"preview": True}
    assert call("GET", "/documents/01JAAAAAAAAAAAAAAAAAAAAAAA/pdf").status == 404
    assert len(trail("document.downloaded")) == 2


def test_a_change_of_the_finance_settings_names_its_fields_and_a_stale_one_records_nothing(world):
    current = call("GET", "/finance/settings").json
    headers = {"If-Match": f'"{current["version"]}"'}
    assert call("PATCH", "/finance/settings", role="admin", body={"payment_terms_days": 45}, headers=headers).status == 200
    assert call("PATCH", "/finance/settings", role="admin", body={"payment_terms_days": 60}, headers=headers).status == 412
    changes = [r for r in trail("settings.changed") if r["target_type"] == "finance_settings"]
    assert [r["details"]["fields"] for r in changes] == [["payment_terms_days"], ["company", "lines", "nominal_codes", "tax_rates"]]
    assert {r["actor_id"] for r in changes} == {ADMIN_ID}
