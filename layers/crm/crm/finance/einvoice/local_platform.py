"""The local e-invoicing platform: what `make dev` and the tests send invoices to.

It keeps what a platform would, in the documents bucket under platform/t/<tenant>/: each deposited
file unchanged with its state (statuses with their times), and the answers given to received
invoices. It plays the platform's answers deterministically, by the buyer's SIREN, so a test or a
demo chooses the path an invoice takes:

- SIREN 111111118: rejected by the platform (the buyer is not in the e-invoicing directory);
- SIREN 222222226: refused by the buyer (no purchase order number);
- any other: approved by the buyer.

The verdict is given at the first status poll after the deposit, then kept; "paid" follows when the
seller reports it. Suppliers' invoices for the account are delivered under inbox/<ULID>/<file>
(`deliver`, for the demo and the tests) until acknowledged. Every call is idempotent on its ids, as
a real platform's API is.
"""

from __future__ import annotations

import json

from botocore.exceptions import ClientError

from crm.finance.einvoice.port import Delivered, StatusEvent, Submission
from crm.platform import aws, clock, ids, settings

REJECTED_SIREN, REFUSED_SIREN = "111111118", "222222226"
VERDICTS = {
    REJECTED_SIREN: ("rejected", "the buyer is not registered in the e-invoicing directory"),
    REFUSED_SIREN: ("refused", "the invoice names no purchase order of the buyer"),
}


def _prefix(tenant: str) -> str:
    return f"platform/t/{tenant}/"


class LocalPlatform:
    def __init__(self) -> None:
        self._s3 = aws.client("s3")
        self._bucket = settings.documents_bucket()

    def _read(self, key: str) -> dict | None:
        try:
            return json.loads(self._s3.get_object(Bucket=self._bucket, Key=key)["Body"].read())
        except ClientError as e:
            if e.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                return None
            raise

    def _write(self, key: str, state: dict) -> None:
        self._s3.put_object(Bucket=self._bucket, Key=key, Body=json.dumps(state).encode(), ContentType="application/json")

    def _state_key(self, tenant: str, platform_id: str) -> str:
        return f"{_prefix(tenant)}sent/{platform_id}/state.json"

    def submit(self, tenant: str, submission: Submission) -> str:
        platform_id = submission.document_id
        key = self._state_key(tenant, platform_id)
        if self._read(key) is None:
            folder = f"{_prefix(tenant)}sent/{platform_id}/"
            self._s3.put_object(Bucket=self._bucket, Key=folder + submission.filename, Body=submission.content)
            events = [{"status": "submitted", "at": clock.iso(clock.now())}]
            self._write(key, {"number": submission.number, "buyer_siren": submission.buyer_siren, "events": events})
        return platform_id

    def statuses(self, tenant: str, platform_id: str) -> list[StatusEvent]:
        key = self._state_key(tenant, platform_id)
        state = self._read(key)
        if state is None:
            return []
        if len(state["events"]) == 1:  # the first poll after the deposit: the platform's verdict
            status, reason = VERDICTS.get(state["buyer_siren"], ("approved", None))
            state["events"].append({"status": status, "at": clock.iso(clock.now()), "reason": reason})
            self._write(key, state)
        return [StatusEvent(e["status"], e["at"], e.get("reason")) for e in state["events"]]

    def report_paid(self, tenant: str, platform_id: str, amount: int, currency: str, paid_on: str) -> None:
        key = self._state_key(tenant, platform_id)
        state = self._read(key)
        if state is None or any(e["status"] == "paid" for e in state["events"]):
            return
        state["events"].append({"status": "paid", "at": clock.iso(clock.now()), "amount": amount, "currency": currency, "on": paid_on})
        self._write(key, state)

    def answer_received(self, tenant: str, received_id: str, accepted: bool, reason: str | None) -> None:
        key = f"{_prefix(tenant)}received/{received_id}/answer.json"
        if self._read(key) is None:
            self._write(key, {"status": "approved" if accepted else "refused", "reason": reason, "at": clock.iso(clock.now())})

    def _inbox(self, tenant: str) -> str:
        return f"{_prefix(tenant)}inbox/"

    def deliver(self, tenant: str, filename: str, content: bytes) -> str:
        """A supplier's invoice arriving for the account (what a supplier's platform would route)."""
        received_id = ids.new_id()
        self._s3.put_object(Bucket=self._bucket, Key=f"{self._inbox(tenant)}{received_id}/{filename}", Body=content)
        return received_id

    def incoming(self, tenant: str) -> list[Delivered]:
        paginator = self._s3.get_paginator("list_objects_v2")
        keys = [o["Key"] for page in paginator.paginate(Bucket=self._bucket, Prefix=self._inbox(tenant)) for o in page.get("Contents", [])]
        out = []
        for key in sorted(keys):  # ULIDs: oldest first
            received_id, filename = key[len(self._inbox(tenant)) :].split("/", 1)
            out.append(Delivered(received_id, filename, self._s3.get_object(Bucket=self._bucket, Key=key)["Body"].read()))
        return out

    def acknowledge(self, tenant: str, received_id: str) -> None:
        listed = self._s3.list_objects_v2(Bucket=self._bucket, Prefix=f"{self._inbox(tenant)}{received_id}/")
        for found in listed.get("Contents", []):
            self._s3.delete_object(Bucket=self._bucket, Key=found["Key"])
