"""Access rules of the sales routes, a body and query that pass validation for each, and the objects the matrix probes them with."""

from __future__ import annotations

from crm.platform.auth import ADMIN
from tests.integration.access.roles import ADMINS, STAFF
from tests.support.lambdas import call

LAYER = 60

ROLES: dict[tuple[str, str], set[str]] = {
    ("GET", "/sales/stages"): STAFF,
    ("PUT", "/sales/stages"): ADMINS,
    ("GET", "/sales/probabilities"): STAFF,
    ("PUT", "/sales/probabilities"): ADMINS,
    ("GET", "/sales/tags"): STAFF,
    ("PUT", "/sales/tags"): ADMINS,
    ("GET", "/opportunities"): STAFF,
    ("POST", "/opportunities"): STAFF,
    ("GET", "/opportunities/pipeline"): STAFF,
    ("GET", "/opportunities/export"): STAFF,
    ("GET", "/opportunities/{opportunity_id}"): STAFF,
    ("PATCH", "/opportunities/{opportunity_id}"): STAFF,
    ("GET", "/opportunities/{opportunity_id}/notes"): STAFF,
    ("POST", "/opportunities/{opportunity_id}/notes"): STAFF,
    ("GET", "/opportunities/{opportunity_id}/notes/{note_id}"): STAFF,
    ("GET", "/opportunities/{opportunity_id}/documents"): STAFF,
    ("POST", "/opportunities/{opportunity_id}/documents"): STAFF,
    ("GET", "/opportunities/{opportunity_id}/documents/{document_id}"): STAFF,
    ("POST", "/opportunities/{opportunity_id}/documents/{document_id}/job"): STAFF,
    ("POST", "/opportunities/{opportunity_id}/documents/{document_id}/accept"): STAFF,
}

VALID_INPUT: dict[tuple[str, str], dict] = {
    ("PUT", "/sales/stages"): {"body": {"entries": [{"name": "Devis envoyé"}]}, "headers": {"If-Match": "*"}},
    ("PUT", "/sales/probabilities"): {"body": {"entries": [{"label": "Chaud"}]}, "headers": {"If-Match": "*"}},
    ("PUT", "/sales/tags"): {"body": {"entries": [{"name": "VIP", "colour": "#e69f00"}]}, "headers": {"If-Match": "*"}},
    ("POST", "/opportunities"): {
        "body": {"contact_id": "{contact_id}", "subject": "Probe", "stage_id": "{stage_id}", "probability_id": "{probability_id}"}
    },
    ("PATCH", "/opportunities/{opportunity_id}"): {"body": {"subject": "Renamed"}, "headers": {"If-Match": '"1"'}},
    ("POST", "/opportunities/{opportunity_id}/notes"): {"body": {"text": "Called back"}},
    ("POST", "/opportunities/{opportunity_id}/documents"): {
        "body": {"document": {"type": "quote", "lines": [{"description": "Probe", "unit_price": 100, "tax_rate": "S20"}]}}
    },
    ("POST", "/opportunities/{opportunity_id}/documents/{document_id}/job"): {"body": {"job_reference": "JOB-000001"}},
    ("POST", "/opportunities/{opportunity_id}/documents/{document_id}/accept"): {
        "body": {"mark_won": False},
        "headers": {"If-Match": '"1"'},
    },
}


def world(ids: dict[str, str], aws: dict[str, str]) -> dict[str, str]:
    """A stage, a probability and a tag set up, and an opportunity on the world's contact, the
    finance world's invoice linked to it."""
    stages = call("PUT", "/sales/stages", role=ADMIN, body={"entries": [{"name": "Premier rendez-vous"}]}, headers={"If-Match": '"0"'}).json
    chances = call(
        "PUT", "/sales/probabilities", role=ADMIN, body={"entries": [{"label": "25%", "percent": 25}]}, headers={"If-Match": '"0"'}
    ).json
    call("PUT", "/sales/tags", role=ADMIN, body={"entries": [{"name": "VIP", "colour": "#0072b2"}]}, headers={"If-Match": '"0"'})
    stage_id, probability_id = stages["entries"][0]["id"], chances["entries"][0]["id"]
    body = {"contact_id": ids["contact_id"], "subject": "Boiler", "stage_id": stage_id, "probability_id": probability_id}
    opportunity = call("POST", "/opportunities", body=body).json
    call("POST", f"/opportunities/{opportunity['id']}/documents", body={"document_id": ids["document_id"]})
    return {"stage_id": stage_id, "probability_id": probability_id, "opportunity_id": opportunity["id"]}
