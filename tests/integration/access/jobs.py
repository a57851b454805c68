"""Access rules of the jobs routes, a body and query that pass validation for each, and the objects the matrix probes them with."""

from __future__ import annotations

from crm.platform.auth import ADMIN, RESOURCE
from tests.integration.access.roles import ADMINS, STAFF, STAFF_AND_RESOURCES
from tests.support.lambdas import call, claims

LAYER = 30  # worlds are built bottom-up: a context's objects may use those below it

ROLES: dict[tuple[str, str], set[str]] = {
    ("GET", "/job-types"): STAFF_AND_RESOURCES,
    ("POST", "/job-types"): ADMINS,
    ("GET", "/job-types/{job_type_id}"): STAFF_AND_RESOURCES,
    ("PATCH", "/job-types/{job_type_id}"): ADMINS,
    ("GET", "/resources"): STAFF,
    ("POST", "/resources"): ADMINS,
    ("GET", "/resources/{resource_id}"): STAFF,
    ("PATCH", "/resources/{resource_id}"): ADMINS,
    ("GET", "/vehicles"): STAFF,
    ("POST", "/vehicles"): ADMINS,
    ("GET", "/vehicles/{vehicle_id}"): STAFF,
    ("PATCH", "/vehicles/{vehicle_id}"): ADMINS,
    ("GET", "/contacts/{contact_id}/slas"): STAFF,
    ("POST", "/contacts/{contact_id}/slas"): STAFF,
    ("GET", "/contacts/{contact_id}/slas/{sla_id}"): STAFF,
    ("DELETE", "/contacts/{contact_id}/slas/{sla_id}"): STAFF,
    ("GET", "/contacts/{contact_id}/jobs"): STAFF,
    ("GET", "/jobs"): STAFF_AND_RESOURCES,
    ("POST", "/jobs"): STAFF,
    ("GET", "/jobs/{job_id}"): STAFF_AND_RESOURCES,
    ("PATCH", "/jobs/{job_id}"): STAFF,
    ("POST", "/jobs/{job_id}/status"): STAFF_AND_RESOURCES,
    ("GET", "/jobs/{job_id}/history"): STAFF_AND_RESOURCES,
    ("GET", "/jobs/{job_id}/charges"): STAFF,
    ("PUT", "/jobs/{job_id}/charges"): STAFF,
    ("GET", "/jobs/{job_id}/costs"): STAFF,
    ("GET", "/jobs/{job_id}/fields"): STAFF_AND_RESOURCES,
    ("PATCH", "/jobs/{job_id}/fields"): STAFF_AND_RESOURCES,
    ("GET", "/reports/sla-breaches"): STAFF,
}

VALID_INPUT: dict[tuple[str, str], dict] = {
    ("POST", "/job-types"): {"body": {"name": "Probe type"}},
    ("PATCH", "/job-types/{job_type_id}"): {"body": {"name": "Renamed type"}, "headers": {"If-Match": '"1"'}},
    ("POST", "/resources"): {"body": {"user_id": "probe-user", "name": "Probe Resource"}},
    ("PATCH", "/resources/{resource_id}"): {"body": {"name": "Renamed"}, "headers": {"If-Match": '"1"'}},
    ("POST", "/vehicles"): {"body": {"name": "Probe van"}},
    ("PATCH", "/vehicles/{vehicle_id}"): {"body": {"name": "Renamed van"}, "headers": {"If-Match": '"1"'}},
    ("POST", "/contacts/{contact_id}/slas"): {
        "body": {"name": "4h", "constraints": [{"kind": "time", "rule": "complete_before", "minutes": 240}]}
    },
    ("DELETE", "/contacts/{contact_id}/slas/{sla_id}"): {"headers": {"If-Match": '"1"'}},
    ("POST", "/jobs"): {"body": {"contact_id": "{contact_id}", "job_type_id": "{job_type_id}"}},
    ("PATCH", "/jobs/{job_id}"): {"body": {"description": "probe"}, "headers": {"If-Match": '"1"'}},
    ("POST", "/jobs/{job_id}/status"): {"body": {"status": "in_progress"}, "headers": {"If-Match": '"1"'}},
    ("PUT", "/jobs/{job_id}/charges"): {
        "body": {"lines": [{"description": "Labour", "quantity": "1.5", "unit_price": 6000, "tax_rate": "20"}]},
        "headers": {"If-Match": '"1"'},
    },
    ("PATCH", "/jobs/{job_id}/fields"): {"body": {"values": {}}, "headers": {"If-Match": '"0"'}},
}


def world(ids: dict[str, str], aws: dict[str, str]) -> dict[str, str]:
    """A job type, a resource (the matrix's resource user), a vehicle, an SLA, and a job assigned to
    that resource, so the resource role reaches its own job."""
    contact_id = ids["contact_id"]
    job_type = call("POST", "/job-types", role=ADMIN, body={"name": "Service"}).json
    resource = call("POST", "/resources", role=ADMIN, body={"user_id": claims("t1", RESOURCE)["sub"], "name": "Tech"}).json
    vehicle = call("POST", "/vehicles", role=ADMIN, body={"name": "Van 1"}).json
    sla = call(
        "POST",
        f"/contacts/{contact_id}/slas",
        body={"name": "Same day", "constraints": [{"kind": "time", "rule": "complete_before", "minutes": 480}]},
    ).json
    plan = {
        "planned_start": "2030-01-07T09:00:00Z",
        "planned_end": "2030-01-07T10:00:00Z",
        "resource_id": resource["id"],
        "vehicle_id": vehicle["id"],
    }
    job = call("POST", "/jobs", body={"contact_id": contact_id, "job_type_id": job_type["id"], **plan}).json
    return {
        "job_type_id": job_type["id"],
        "resource_id": resource["id"],
        "vehicle_id": vehicle["id"],
        "sla_id": sla["id"],
        "job_id": job["id"],
    }
