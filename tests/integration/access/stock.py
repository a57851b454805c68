"""Access rules of the stock routes, a body and query that pass validation for each, and the objects the matrix probes them with."""

from __future__ import annotations

from tests.integration.access.roles import ADMINS, STAFF, STAFF_AND_RESOURCES
from tests.support.lambdas import call

LAYER = 40  # above jobs: parts hang on jobs, vans are the jobs context's vehicles

ROLES: dict[tuple[str, str], set[str]] = {
    ("GET", "/stock/items"): STAFF_AND_RESOURCES,
    ("POST", "/stock/items"): STAFF,
    ("GET", "/stock/items/{item_id}"): STAFF_AND_RESOURCES,
    ("PATCH", "/stock/items/{item_id}"): STAFF,
    ("GET", "/stock/items/{item_id}/balances"): STAFF_AND_RESOURCES,
    ("PUT", "/stock/items/{item_id}/levels"): STAFF,
    ("GET", "/stock/items/{item_id}/units/{serial}"): STAFF_AND_RESOURCES,
    ("GET", "/stock/items/{item_id}/units/{serial}/movements"): STAFF,
    ("GET", "/stock/makes"): STAFF_AND_RESOURCES,
    ("GET", "/stock/models"): STAFF_AND_RESOURCES,
    ("POST", "/stock/movements"): STAFF,
    ("GET", "/stock/movements/{movement_id}"): STAFF,
    ("POST", "/stock/reversals"): STAFF,
    ("GET", "/contacts/{contact_id}/stock"): STAFF,
    ("GET", "/contacts/{contact_id}/equipment"): STAFF_AND_RESOURCES,
    ("GET", "/contacts/{contact_id}/movements"): STAFF,
    ("GET", "/vehicles/{vehicle_id}/stock"): STAFF_AND_RESOURCES,
    ("GET", "/jobs/{job_id}/parts"): STAFF_AND_RESOURCES,
    ("POST", "/jobs/{job_id}/parts"): STAFF_AND_RESOURCES,
    ("GET", "/jobs/{job_id}/parts/{part_id}"): STAFF_AND_RESOURCES,
    ("DELETE", "/jobs/{job_id}/parts/{part_id}"): STAFF_AND_RESOURCES,
    ("GET", "/stock/reorder-report"): STAFF,
    ("GET", "/stock/reorder-report/export"): STAFF,
    ("GET", "/stock/settings"): STAFF,
    ("PATCH", "/stock/settings"): ADMINS,
    ("GET", "/stock/alerts"): STAFF,
}

VALID_INPUT: dict[tuple[str, str], dict] = {
    ("POST", "/stock/items"): {"body": {"kind": "stock", "make": "Probe", "model": "P-1"}},
    ("PATCH", "/stock/items/{item_id}"): {"body": {"description": "probe"}, "headers": {"If-Match": '"1"'}},
    ("GET", "/stock/models"): {"query": {"make": "Grundfos"}},
    ("GET", "/stock/reorder-report/export"): {"query": {"format": "csv"}},
    ("PUT", "/stock/items/{item_id}/levels"): {"body": {"location": "contact:{contact_id}", "reorder": {"point": 1, "quantity": 2}}},
    ("POST", "/stock/movements"): {
        "body": {"item_id": "{item_id}", "quantity": 1, "to_location": "contact:{contact_id}", "reason": "purchase_receipt"}
    },
    ("POST", "/stock/reversals"): {"body": {"movement_id": "{movement_id}"}},
    ("POST", "/jobs/{job_id}/parts"): {"body": {"kind": "used", "item_id": "{item_id}", "quantity": 1}},
    ("DELETE", "/jobs/{job_id}/parts/{part_id}"): {"headers": {"If-Match": '"1"'}},
    ("PATCH", "/stock/settings"): {"body": {"allow_negative": False}, "headers": {"If-Match": '"0"'}},
}


def world(ids: dict[str, str], aws: dict[str, str]) -> dict[str, str]:
    """A stock item received in the job's van, an equipment unit at the contact, and a part on the job."""
    item = call("POST", "/stock/items", body={"kind": "stock", "make": "Grundfos", "model": "Alpha2"}).json
    boiler = call("POST", "/stock/items", body={"kind": "equipment", "make": "Viessmann", "model": "Vitodens 100"}).json
    van = f"vehicle:{ids['vehicle_id']}"
    movement = call(
        "POST", "/stock/movements", body={"item_id": item["id"], "quantity": 5, "to_location": van, "reason": "purchase_receipt"}
    ).json
    site = f"contact:{ids['contact_id']}"
    call("POST", "/stock/movements", body={"item_id": boiler["id"], "serial": "SN-1", "to_location": site, "reason": "purchase_receipt"})
    part = call("POST", f"/jobs/{ids['job_id']}/parts", body={"kind": "planned", "item_id": item["id"], "quantity": 1}).json
    return {"item_id": item["id"], "serial": "SN-1", "movement_id": movement["id"], "part_id": part["id"], "boiler_id": boiler["id"]}
