"""Sales through the handlers: the set-up, opportunities (references, validation, status changes),
selections by every filter, the pipeline, notes with alerts, a contact kept while it has
opportunities, and the export of a selection."""

from __future__ import annotations

import io
import json
from urllib.parse import unquote, urlparse

import boto3

from tests.support.lambdas import call
from tests.support.sales import opportunity, put_list


def test_an_opportunity_needs_a_stage_and_a_probability_first(aws):
    group = call("POST", "/contact-groups", role="admin", body={"name": "Customers"}).json["id"]
    contact = call("POST", "/contacts", body={"name": "Dupont SA", "group_id": group}).json["id"]
    stage = put_list("stages", [{"name": "Premier rendez-vous"}]).json["entries"][0]["id"]
    body = {"contact_id": contact, "subject": "Chaudière", "stage_id": stage, "probability_id": "01ARZ3NDEKTSV4RRFFQ69G5FAV"}
    reply = call("POST", "/opportunities", body=body)
    assert reply.status == 409
    assert "probability" in reply.json["detail"] and "stage" not in reply.json["detail"].replace("probability", "")


def test_set_up_lists_keep_ids_reorder_and_refuse_stale_or_used_changes(sales):
    listed = call("GET", "/sales/stages").json
    assert [e["name"] for e in listed["entries"]] == ["Premier rendez-vous", "Devis envoyé"]
    reordered = put_list("stages", list(reversed(listed["entries"])), version=listed["version"])
    assert reordered.status == 200
    assert [e["id"] for e in reordered.json["entries"]] == [sales["quote"], sales["first"]]
    assert put_list("stages", [], version=listed["version"]).status == 412
    weights = {e["label"]: e["weight"] for e in call("GET", "/sales/probabilities").json["entries"]}
    assert weights == {"Chaud": 75, "Tiède": 50}
    opportunity(sales)
    used = put_list("stages", [{"id": sales["quote"], "name": "Devis envoyé"}], version=reordered.json["version"])
    assert used.status == 409
    assert [e["id"] for e in call("GET", "/sales/stages").json["entries"]] == [sales["quote"], sales["first"]]
    duplicate = put_list("tags", [{"name": "VIP", "colour": "#000000"}, {"name": "vip", "colour": "#000000"}], version=1)
    assert duplicate.status == 422 and duplicate.json["errors"][0]["field"] == "entries.1.name"


def test_references_are_gapless_and_the_creator_owns_it(sales):
    first = opportunity(sales)
    assert first.status == 201, first.body
    refused = opportunity(sales, close_month="10000-01")
    second = opportunity(sales, expected_value=150000, close_month="2027-03")
    assert refused.status == 422 and refused.json["errors"][0]["field"] == "close_month"
    assert [first.json["reference"], second.json["reference"]] == ["OPP-000001", "OPP-000002"]
    assert first.json["owner"] == "office@t1.example" and first.json["currency"] == "EUR"
    assert call("GET", "/opportunities", query={"reference": "opp-000002"}).json["items"][0]["id"] == second.json["id"]


def test_another_tenants_set_up_and_contacts_are_bad_input(sales):
    put_list("stages", [{"name": "Theirs"}], tenant="t2")
    their_stage = call("GET", "/sales/stages", tenant="t2").json["entries"][0]["id"]
    reply = opportunity(sales, stage_id=their_stage, tags=["01ARZ3NDEKTSV4RRFFQ69G5FAV"], status="lost")
    assert reply.status == 422
    assert {e["field"] for e in reply.json["errors"]} == {"stage_id", "tags", "lost_reason"}
    assert call("GET", "/opportunities", query={"status": "lost"}).json["items"] == []


def test_status_changes_move_the_pipeline_and_close_dates(sales):
    a = opportunity(sales, expected_value=100000).json
    b = opportunity(sales, expected_value=50000, stage_id=sales["quote"]).json
    pipeline = {s["name"]: (s["count"], s["value"]) for s in call("GET", "/opportunities/pipeline").json["stages"]}
    assert pipeline == {"Premier rendez-vous": (1, 100000), "Devis envoyé": (1, 50000)}
    lost = call("PATCH", f"/opportunities/{a['id']}", body={"status": "lost"}, headers={"If-Match": '"1"'})
    assert lost.status == 422 and lost.json["errors"][0]["field"] == "lost_reason"
    lost = call("PATCH", f"/opportunities/{a['id']}", body={"status": "lost", "lost_reason": "Too dear"}, headers={"If-Match": '"1"'})
    assert lost.status == 200 and lost.json["closed_at"]
    moved = call(
        "PATCH", f"/opportunities/{b['id']}", body={"stage_id": sales["first"], "expected_value": 70000}, headers={"If-Match": '"1"'}
    )
    assert moved.status == 200
    pipeline = {s["name"]: (s["count"], s["value"]) for s in call("GET", "/opportunities/pipeline").json["stages"]}
    assert pipeline == {"Premier rendez-vous": (1, 70000), "Devis envoyé": (0, 0)}
    stale = call("PATCH", f"/opportunities/{b['id']}", body={"subject": "x"}, headers={"If-Match": '"1"'})
    assert stale.status == 412


def test_selections_by_every_filter(sales):
    made = {
        "a": opportunity(sales, expected_value=1000, due_date="2027-01-10", tags=[sales["vip"]]).json,
        "b": opportunity(sales, expected_value=5000, due_date="2027-02-10", stage_id=sales["quote"], probability_id=sales["warm"]).json,
        "c": opportunity(sales, expected_value=9000, due_date="2027-03-10", contact_id=sales["other"], owner="ann@t1.example").json,
        "d": opportunity(sales, expected_value=9000, status="on_hold").json,
    }
    name = {o["id"]: k for k, o in made.items()}

    def selected(**query) -> list[str]:
        return [name[o["id"]] for o in call("GET", "/opportunities", query=query).json["items"]]

    assert selected() == ["a", "b", "c"]  # open ones by default, by due date
    assert selected(status="on_hold") == ["d"]
    assert selected(stage_id=sales["quote"]) == ["b"]
    assert selected(probability_id=sales["warm"]) == ["b"]
    assert selected(owner="ANN@t1.example") == ["c"]
    assert selected(tag=sales["vip"]) == ["a"]
    assert selected(contact_id=sales["contact"]) == ["a", "b", "d"]
    assert selected(contact_id=sales["contact"], status="open") == ["a", "b"]
    assert selected(due_from="2027-02-01", due_to="2027-03-10") == ["b", "c"]
    assert selected(value_min="2000", value_max="9000") == ["b", "c"]
    assert selected(tag=sales["vip"], value_min="2000") == []
    # a tag removed from an opportunity leaves the tag's selection with it
    call("PATCH", f"/opportunities/{made['a']['id']}", body={"tags": []}, headers={"If-Match": '"1"'})
    assert selected(tag=sales["vip"]) == []
    bad = call("GET", "/opportunities", query={"value_min": "-1", "due_from": "soon"})
    assert bad.status == 422 and {e["field"] for e in bad.json["errors"]} == {"value_min", "due_from"}


def test_notes_with_alerts_and_the_contact_kept(sales):
    made = opportunity(sales).json
    note = call(
        "POST",
        f"/opportunities/{made['id']}/notes",
        body={"text": "Rappeler M. Dupont", "alert_at": "2030-01-01T08:00:00Z", "alert_to": ["sales@t1.example"]},
    )
    assert note.status == 201, note.body
    assert note.json["topic"] == {"kind": "opportunity", "id": made["id"]} and note.json["alert_status"] == "pending"
    listed = call("GET", f"/opportunities/{made['id']}/notes").json["items"]
    assert [n["id"] for n in listed] == [note.json["id"]]
    assert call("GET", f"/opportunities/{made['id']}/notes/{note.json['id']}").json["text"] == "Rappeler M. Dupont"
    # the note is the contact's too (its alert is the contacts' one)
    assert note.json["id"] in [n["id"] for n in call("GET", f"/contacts/{sales['contact']}/notes").json["items"]]
    contact = call("GET", f"/contacts/{sales['contact']}").json
    refused = call("DELETE", f"/contacts/{sales['contact']}", headers={"If-Match": f'"{contact["version"]}"'})
    assert refused.status == 409 and "1 opportunity" in refused.json["detail"]


def test_the_export_holds_the_selection(sales):
    import openpyxl

    for value in (1000, 2000, 3000):
        opportunity(sales, expected_value=value, tags=[sales["vip"]])
    opportunity(sales, status="won")
    reply = call("GET", "/opportunities/export", query={"format": "xlsx"})
    assert reply.status == 200, reply.body
    assert reply.json["rows"] == 3 and reply.json["next_cursor"] is None
    s3 = boto3.client("s3")
    [stored] = s3.list_objects_v2(Bucket=sales["bucket"], Prefix="t/t1/exports/opportunities/")["Contents"]
    assert stored["Key"].endswith("/opportunities.xlsx")
    body = s3.get_object(Bucket=sales["bucket"], Key=stored["Key"])["Body"].read()
    sheet = openpyxl.load_workbook(io.BytesIO(body)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:2] == ("Reference", "Subject")
    assert [r[9] for r in rows[1:]] == [10, 20, 30] and rows[1][10] == "VIP"


def exported(aws, person_id: str) -> dict:
    """The records of a person's GDPR export."""
    url = call("POST", f"/persons/{person_id}/export", role="admin", body={}).json["url"]
    key = unquote(urlparse(url).path.lstrip("/").removeprefix(aws["AttachmentsBucket"] + "/"))
    return json.loads(boto3.client("s3").get_object(Bucket=aws["AttachmentsBucket"], Key=key)["Body"].read())["records"]


def test_the_person_an_opportunity_names_finds_it_in_her_export(aws, sales):
    jane = call("POST", f"/contacts/{sales['contact']}/persons", body={"name": "Jane Doe", "email": "jane@dupont.example"}).json
    stranger = call("POST", f"/contacts/{sales['other']}/persons", body={"name": "Bob Stone"}).json
    refused = opportunity(sales, person_id=stranger["id"])
    assert refused.status == 422 and refused.json["errors"][0]["field"] == "person_id"
    made = opportunity(sales, person_id=jane["id"], subject="Chaudière pour Jane Doe").json
    assert [o["id"] for o in exported(aws, jane["id"])["opportunity"]] == [made["id"]]
    # moved to nobody, she is no longer found there
    call("PATCH", f"/opportunities/{made['id']}", body={"person_id": None}, headers={"If-Match": '"1"'})
    assert "opportunity" not in exported(aws, jane["id"])


def test_a_contact_created_on_the_spot_with_its_opportunity(sales):
    group = call("GET", "/contact-groups").json["items"][0]["id"]
    body = {"new_contact": {"name": "Nouveau Client SARL", "group_id": group}, "subject": "Climatisation"}
    body |= {"stage_id": sales["first"], "probability_id": sales["hot"]}
    made = call("POST", "/opportunities", body=body, headers={"Idempotency-Key": "new-client-1"})
    assert made.status == 201, made.body
    contact = call("GET", f"/contacts/{made.json['contact_id']}").json
    assert contact["name"] == "Nouveau Client SARL"
    again = call("POST", "/opportunities", body=body, headers={"Idempotency-Key": "new-client-1"})
    assert again.status == 201 and again.json["id"] == made.json["id"]
    assert len(call("GET", "/contacts", query={"q": "Nouveau"}).json["items"]) == 1
    both = call("POST", "/opportunities", body=body | {"contact_id": sales["contact"]})
    bad = call("POST", "/opportunities", body=body | {"stage_id": "01ARZ3NDEKTSV4RRFFQ69G5FAV"})
    assert both.status == 422 and bad.status == 422 and bad.json["errors"][0]["field"] == "stage_id"
    assert len(call("GET", "/contacts", query={"q": "Nouveau"}).json["items"]) == 1  # nothing made for a bad opportunity


def test_a_due_period_that_ends_before_it_starts_is_bad_input(sales):
    for path in ("/opportunities", "/opportunities/export"):
        reply = call("GET", path, query={"due_from": "2027-02-01", "due_to": "2027-01-01"})
        assert reply.status == 422 and reply.json["errors"][0]["field"] == "due_to"


def _opportunity_fields(fields: list[dict]) -> None:
    reply = call("PATCH", "/finance/settings", role="admin", body={"document_fields": {"opportunity": fields}}, headers={"If-Match": '"0"'})
    assert reply.status == 200, reply.body


def test_opportunity_custom_fields_are_checked_shown_and_filtered_on(sales):
    heard = [{"id": "web", "label": "Internet"}, {"id": "word", "label": "Bouche à oreille"}]
    _opportunity_fields(
        [
            {
                "key": "source",
                "label": "Comment avez-vous entendu parler de nous ?",
                "type": "single_choice",
                "required": True,
                "options": heard,
            },
            {"key": "visits", "label": "Visites", "type": "number"},
        ]
    )
    missing = opportunity(sales, custom_fields={"visits": "two", "colour": "red"})
    assert missing.status == 422
    assert {e["field"] for e in missing.json["errors"]} == {"custom_fields.source", "custom_fields.visits", "custom_fields.colour"}
    assert opportunity(sales, custom_fields={"source": "radio"}).json["errors"][0]["field"] == "custom_fields.source"
    assert call("GET", "/opportunities").json["items"] == []
    web = opportunity(sales, custom_fields={"source": "web", "visits": 2})
    assert web.status == 201, web.body
    assert web.json["custom_fields"] == {"source": "web", "visits": 2}
    word = opportunity(sales, custom_fields={"source": "word"}).json
    assert [o["id"] for o in call("GET", "/opportunities", query={"custom_field": "source:web"}).json["items"]] == [web.json["id"]]
    changed = call("PATCH", f"/opportunities/{word['id']}", body={"custom_fields": {"source": "web"}}, headers={"If-Match": '"1"'})
    assert changed.status == 200 and changed.json["custom_fields"] == {"source": "web"}
    assert len(call("GET", "/opportunities", query={"custom_field": "source:web"}).json["items"]) == 2
    cleared = call("PATCH", f"/opportunities/{word['id']}", body={"custom_fields": None}, headers={"If-Match": '"2"'})
    assert cleared.status == 422 and cleared.json["errors"][0]["field"] == "custom_fields.source"
    assert call("GET", f"/opportunities/{word['id']}").json["custom_fields"] == {"source": "web"}
