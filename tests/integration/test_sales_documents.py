"""Documents of an opportunity through the handlers: a quote made from it or an existing document of
its contact linked to it, for good, each with its note; its documents tab; a quote assigned to a
new or an existing job (its lines as the job's chargeable lines); accepting a quote, marking the
opportunity won or not, as the user chooses."""

from __future__ import annotations

import pytest

from tests.support.finance import LINE, draft, issue, setup_finance
from tests.support.lambdas import call
from tests.support.sales import opportunity, put_list

DISCOUNTED = {"description": "Pose", "quantity": "2", "unit_price": 10001, "discount": "10", "tax_rate": "S5"}


@pytest.fixture
def world(aws):
    parties = setup_finance()
    stage = put_list("stages", [{"name": "Devis envoyé"}]).json["entries"][0]["id"]
    chance = put_list("probabilities", [{"label": "Chaud", "percent": 75}]).json["entries"][0]["id"]
    sales = {"contact": parties["customer"], "first": stage, "hot": chance}
    made = opportunity(sales, expected_value=50000)
    assert made.status == 201, made.body
    job_type = call("POST", "/job-types", role="admin", body={"name": "Installation"}).json["id"]
    return {**parties, "sales": sales, "opportunity": made.json, "job_type": job_type}


def _documents(opportunity_id: str) -> str:
    return f"/opportunities/{opportunity_id}/documents"


def _quote(world, **document) -> dict:
    body = {"document": {"type": "quote", "lines": [LINE, DISCOUNTED], **document}}
    reply = call("POST", _documents(world["opportunity"]["id"]), body=body)
    assert reply.status == 201, reply.body
    return reply.json


def _issued_quote(world) -> dict:
    made = _quote(world, delivery_site_id=world["site"])
    issued = issue({"id": made["document_id"], "version": 1})
    assert issued.status == 200, issued.body
    return issued.json


def _notes(opportunity_id: str) -> list[str]:
    return [n["text"] for n in call("GET", f"/opportunities/{opportunity_id}/notes").json["items"]]


def test_a_quote_made_from_an_opportunity_is_its_own_with_a_note(world):
    opp = world["opportunity"]
    made = call("POST", _documents(opp["id"]), body={"document": {"type": "quote", "lines": [LINE]}})
    assert made.status == 201, made.body
    assert made.headers["location"] == f"{_documents(opp['id'])}/{made.json['document_id']}"
    assert made.json | {"linked_at": None, "note_id": None} == made.json | {
        "type": "quote",
        "status": "draft",
        "number": None,
        "made_here": True,
        "gross": 14400,
        "currency": "EUR",
        "linked_at": None,
        "note_id": None,
    }
    document = call("GET", f"/documents/{made.json['document_id']}").json
    assert document["contact_id"] == world["customer"] and document["origin"] == {"kind": "opportunity", "id": opp["id"]}
    assert _notes(opp["id"]) == ["Made from this opportunity: Quote (draft)"]
    assert call("GET", f"/contacts/{world['customer']}/notes").json["items"][0]["id"] == made.json["note_id"]
    tab = call("GET", _documents(opp["id"])).json
    assert [d["document_id"] for d in tab["items"]] == [made.json["document_id"]]


def test_an_existing_document_of_the_contact_is_linked_once_for_good(world):
    opp = world["opportunity"]
    invoice = draft(world["customer"])
    issue(invoice)
    linked = call("POST", _documents(opp["id"]), body={"document_id": invoice["id"]})
    assert linked.status == 201, linked.body
    assert linked.json["made_here"] is False and linked.json["number"] == "INV-000001"
    assert _notes(opp["id"]) == ["Linked to this opportunity: Invoice INV-000001"]
    second = opportunity(world["sales"]).json
    again = call("POST", _documents(second["id"]), body={"document_id": invoice["id"]})
    assert again.status == 409
    assert call("POST", _documents(opp["id"]), body={"document_id": invoice["id"]}).status == 409
    assert call("GET", _documents(second["id"])).json["items"] == []
    assert _notes(second["id"]) == []


def test_another_contacts_document_or_a_bad_quote_is_bad_input_and_stores_nothing(world):
    opp = world["opportunity"]
    theirs = draft(world["other"])
    reply = call("POST", _documents(opp["id"]), body={"document_id": theirs["id"]})
    assert reply.status == 422 and reply.json["errors"][0]["field"] == "document_id"
    bad = call("POST", _documents(opp["id"]), body={"document": {"type": "quote", "lines": [{**LINE, "tax_rate": "NOPE"}]}})
    assert bad.status == 422 and bad.json["errors"][0]["field"].startswith("document.lines.0")
    other = call("POST", _documents(opp["id"]), body={"document": {"type": "quote", "contact_id": world["other"], "lines": [LINE]}})
    assert other.status == 422 and other.json["errors"][0]["field"] == "document.contact_id"
    both = call("POST", _documents(opp["id"]), body={"document_id": theirs["id"], "document": {"type": "quote", "lines": [LINE]}})
    assert both.status == 422
    assert call("GET", _documents(opp["id"])).json["items"] == [] and _notes(opp["id"]) == []
    assert call("GET", "/documents", query={"type": "quote"}).json["items"] == []


def test_a_retried_link_answers_what_the_first_made(world):
    opp = world["opportunity"]
    body, key = {"document": {"type": "quote", "lines": [LINE]}}, {"Idempotency-Key": "quote-1"}
    first = call("POST", _documents(opp["id"]), body=body, headers=key)
    again = call("POST", _documents(opp["id"]), body=body, headers=key)
    assert (first.status, again.status) == (201, 201) and again.json["document_id"] == first.json["document_id"]
    assert len(call("GET", _documents(opp["id"])).json["items"]) == 1 and len(_notes(opp["id"])) == 1


def test_a_quote_assigned_to_a_new_job_gives_it_its_lines(world):
    opp, quote = world["opportunity"], _issued_quote(world)
    path = f"{_documents(opp['id'])}/{quote['id']}/job"
    assigned = call("POST", path, body={"job": {"job_type_id": world["job_type"]}})
    assert assigned.status == 200, assigned.body
    job = call("GET", f"/jobs/{assigned.json['job_id']}").json
    assert job["status"] == "to_schedule" and job["contact_id"] == world["site"]
    assert job["reference"] == assigned.json["job_reference"]
    lines = call("GET", f"/jobs/{job['id']}/charges").json
    # 100.01 less 10 % is 90.009: 90.01 a unit, two of them
    assert [(line["description"], line["quantity"], line["unit_price"], line["net"]) for line in lines["lines"]] == [
        ("Entretien chaudière", "1", 12000, 12000),
        ("Pose", "2", 9001, 18002),
    ]
    assert call("POST", path, body={"job": {"job_type_id": world["job_type"]}}).status == 409
    assert call("GET", f"{_documents(opp['id'])}/{quote['id']}").json["job_reference"] == job["reference"]


def test_a_quote_assigned_to_an_existing_job_adds_its_lines(world):
    opp, quote = world["opportunity"], _issued_quote(world)
    job = call("POST", "/jobs", body={"contact_id": world["customer"], "job_type_id": world["job_type"]}).json
    path = f"{_documents(opp['id'])}/{quote['id']}/job"
    unknown = call("POST", path, body={"job_reference": "NOPE-1"})
    assert unknown.status == 422 and unknown.json["errors"][0]["field"] == "job_reference"
    assigned = call("POST", path, body={"job_reference": job["reference"].lower()})
    assert assigned.status == 200, assigned.body
    assert assigned.json["job_id"] == job["id"]
    assert [line["net"] for line in call("GET", f"/jobs/{job['id']}/charges").json["lines"]] == [12000, 18002]


def test_a_draft_or_an_invoice_is_not_assigned_to_a_job(world):
    opp = world["opportunity"]
    quote = _quote(world)
    path = f"{_documents(opp['id'])}/{quote['document_id']}/job"
    assert call("POST", path, body={"job": {"job_type_id": world["job_type"]}}).status == 409
    invoice = draft(world["customer"])
    call("POST", _documents(opp["id"]), body={"document_id": invoice["id"]})
    assert call("POST", f"{_documents(opp['id'])}/{invoice['id']}/job", body={"job": {"job_type_id": world["job_type"]}}).status == 409
    assert call("GET", "/jobs", query={"status": "to_schedule"}).json["items"] == []


@pytest.mark.parametrize("mark_won", [True, False])
def test_accepting_a_quote_marks_the_opportunity_won_when_the_user_chooses(world, mark_won):
    opp, quote = world["opportunity"], _issued_quote(world)
    path = f"{_documents(opp['id'])}/{quote['id']}/accept"
    assert call("POST", path, body={"mark_won": mark_won}, headers={"If-Match": '"1"'}).status == 412
    accepted = call("POST", path, body={"mark_won": mark_won}, headers={"If-Match": f'"{quote["version"]}"'})
    assert accepted.status == 200, accepted.body
    assert accepted.json["document"]["status"] == "accepted"
    assert call("GET", f"/documents/{quote['id']}").json["status"] == "accepted"
    status = call("GET", f"/opportunities/{opp['id']}").json["status"]
    assert status == ("won" if mark_won else "open")
    pipeline = call("GET", "/opportunities/pipeline").json["stages"][0]
    assert pipeline["count"] == (0 if mark_won else 1)


def test_accepting_again_marks_won_without_accepting_twice(world):
    opp, quote = world["opportunity"], _issued_quote(world)
    path = f"{_documents(opp['id'])}/{quote['id']}/accept"
    call("POST", path, body={"mark_won": False}, headers={"If-Match": f'"{quote["version"]}"'})
    again = call("POST", path, body={"mark_won": True}, headers={"If-Match": "*"})
    assert again.status == 200, again.body
    assert again.json["opportunity"]["status"] == "won"


def test_another_tenants_opportunity_and_documents_are_not_found(world):
    opp = world["opportunity"]
    quote = _quote(world)
    assert call("GET", _documents(opp["id"]), tenant="t2").status == 404
    assert call("GET", f"{_documents(opp['id'])}/{quote['document_id']}", tenant="t2").status == 404
    assert call("POST", _documents(opp["id"]), tenant="t2", body={"document_id": quote["document_id"]}).status == 404


def test_a_draft_deleted_in_finance_leaves_the_documents_tab(world):
    opp = world["opportunity"]
    kept, gone = _quote(world), _quote(world)
    assert call("DELETE", f"/documents/{gone['document_id']}", headers={"If-Match": '"1"'}).status == 204
    assert [d["document_id"] for d in call("GET", _documents(opp["id"])).json["items"]] == [kept["document_id"]]
    assert call("GET", f"{_documents(opp['id'])}/{gone['document_id']}").status == 404
