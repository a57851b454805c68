"""In-process time of GET /contacts/{contact_id} through the whole Lambda handler (event parsing,
auth, validation, DynamoDB, serialisation) against the floor: a bare GetItem of the same item
through the same boto3 Table, on the same moto backend, interleaved with it."""

from __future__ import annotations

from bench.env import stack
from bench.timing import interleaved, paired_difference_ms, spread
from crm.platform import aws
from crm.platform.keys import tenant_key
from tests.support.lambdas import LambdaContext, api_event, call, claims, module

WARM_UP, REPETITIONS = 50, 500


def measure() -> list[dict]:
    with stack():
        group = call("POST", "/contact-groups", role="admin", body={"name": "Customers"}).json["id"]
        contact = call(
            "POST",
            "/contacts",
            body={
                "name": "Acme Depot Nord",
                "group_id": group,
                "reference": "ACME-2",
                "address": {"line1": "2 Quai de Jemmapes", "city": "Paris", "postcode": "75010", "country": "FR"},
                "location": {"lat": 48.8721, "lon": 2.3660},
                "opening_hours": {
                    "time_zone": "Europe/Paris",
                    "weekly": {d: [{"open": "08:00", "close": "17:00"}] for d in ("mon", "tue", "wed", "thu", "fri")},
                },
                "main_contact": {"name": "Ada Admin", "email": "ada@acme.example"},
            },
        ).json
        function, event = api_event("GET", f"/contacts/{contact['id']}", user=claims("t1", "office"))
        handler, context = module(function).handler, LambdaContext(function)
        table = aws.table()
        key = {"PK": tenant_key("t1", "CONTACT", contact["id"]), "SK": "CONTACT"}
        if handler(event, context)["statusCode"] != 200 or "Item" not in table.get_item(Key=key, ConsistentRead=True):
            raise RuntimeError("GET /contacts/{contact_id} or its GetItem found nothing to measure")

        def full() -> None:
            handler(event, context)

        def floor() -> None:
            table.get_item(Key=key, ConsistentRead=True)

        samples = interleaved({"floor": floor, "handler": full}, WARM_UP, REPETITIONS)
    handler_ms, handler_spread = spread(samples["handler"])
    floor_ms, floor_spread = spread(samples["floor"])
    overhead_ms = paired_difference_ms(samples["handler"], samples["floor"])
    return [
        {
            "Measure": "bare GetItem of the contact (floor)",
            "Median ms": f"{floor_ms:.2f}",
            "p90/median": f"{floor_spread:.2f}",
            "× floor": "1.00",
        },
        {
            "Measure": "GET /contacts/{contact_id}, whole handler",
            "Median ms": f"{handler_ms:.2f}",
            "p90/median": f"{handler_spread:.2f}",
            "× floor": f"{handler_ms / floor_ms:.2f}",
        },
        {
            "Measure": "handler minus GetItem (median of paired differences)",
            "Median ms": f"{overhead_ms:.2f}",
            "p90/median": "",
            "× floor": f"{overhead_ms / floor_ms:.2f}",
        },
    ]
