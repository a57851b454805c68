"""A tenant set up for sales (stages, probabilities, a tag, two contacts) and opportunities in it,
for the sales and reports tests."""

from __future__ import annotations

from tests.support.lambdas import call


def put_list(kind: str, entries: list[dict], version: int = 0, tenant: str = "t1"):
    return call("PUT", f"/sales/{kind}", role="admin", tenant=tenant, body={"entries": entries}, headers={"If-Match": f'"{version}"'})


def set_up(aws: dict[str, str]) -> dict[str, str]:
    """Tenant t1 ready to sell: ids by name."""
    group = call("POST", "/contact-groups", role="admin", body={"name": "Customers"}).json["id"]
    contact = call("POST", "/contacts", body={"name": "Dupont SA", "group_id": group}).json["id"]
    other = call("POST", "/contacts", body={"name": "Martin SARL", "group_id": group}).json["id"]
    stages = put_list("stages", [{"name": "Premier rendez-vous"}, {"name": "Devis envoyé"}]).json["entries"]
    chances = put_list("probabilities", [{"label": "Chaud", "percent": 75}, {"label": "Tiède"}]).json["entries"]
    tags = put_list("tags", [{"name": "VIP", "colour": "#E69F00"}]).json["entries"]
    return {
        "contact": contact,
        "other": other,
        "first": stages[0]["id"],
        "quote": stages[1]["id"],
        "hot": chances[0]["id"],
        "warm": chances[1]["id"],
        "vip": tags[0]["id"],
        "bucket": aws["AttachmentsBucket"],
    }


def opportunity(sales, **fields):
    body = {"contact_id": sales["contact"], "subject": "Chaudière", "stage_id": sales["first"], "probability_id": sales["hot"]} | fields
    return call("POST", "/opportunities", body=body)
