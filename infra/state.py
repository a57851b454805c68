"""The local stack's state directory (`.local/` by default): secrets, snapshots, scheduler history.

Layout::

    <state dir>/
      lock                       held by the stack using the state dir (infra/state_lock.py)
      secrets.json               CursorSigningKey (generated once per state dir)
      runtime.json               last moto port (reused when free, so cached clients keep working)
      scheduler_runner.json      what the scheduler runner fired when (written on every fire)
      snapshot/                  the last snapshot, replaced as a whole (snapshot.tmp -> snapshot)
        manifest.json            format version, time, counts
        dynamodb_tables.json     table definitions (key schema, attributes, GSIs, TTL)
        dynamodb.jsonl           {"table": ..., "item": <DynamoDB typed JSON; B/BS base64>}
        s3.jsonl                 {"bucket", "key", "content_type", "metadata", "body_b64"}
        schedule_groups.json     group names
        schedules.jsonl          Scheduler schedules (get_schedule fields, dates ISO 8601)
        cognito_users.jsonl      {"email", "tenant", "role", "sub", "enabled"}  (staff; password: LOCAL_PASSWORD)
        cognito_pool_users.jsonl the other pools' users (booking-site customers), mode 0600:
                                 {"pool", "email", "sub", "attributes", "status", "enabled", "password"}
        ses_outbox.jsonl         {"id", "from", "to", "subject", "body", "sent_at"}
        events.jsonl             events published on the buses {"id", "bus", "source", "detail-type", "detail", "time", "received_at"}

Snapshots use the AWS APIs of moto (Scan is fine here: this is not function code).
"""

from __future__ import annotations

import base64
import json
import logging
import os
import secrets
import shutil
import threading
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from infra.moto_stack import ClientFactory, EventLog, Outbox, PoolUsers, UserDirectory
from infra.template import REGION

log = logging.getLogger(__name__)

FORMAT_VERSION = 1


# ---------------------------------------------------------------- files


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _write_jsonl(path: Path, rows: Iterable[dict]) -> int:
    n = 0
    with open(path, "w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, separators=(",", ":"), default=_json_default) + "\n")
            n += 1
    return n


def _read_jsonl(path: Path) -> list[dict]:
    if not path.exists():
        return []
    rows = []
    with open(path, encoding="utf-8") as f:
        for lineno, raw in enumerate(f, 1):
            line = raw.strip()
            if not line:
                continue
            try:
                rows.append(json.loads(line))
            except ValueError:
                log.warning("%s:%s is not JSON; skipped", path, lineno)
    return rows


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(bytes(value)).decode()
    raise TypeError(f"cannot snapshot {type(value).__name__}")


class StateDir:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)

    @property
    def snapshot_dir(self) -> Path:
        current = self.path / "snapshot"
        old = self.path / "snapshot.old"
        if not current.exists() and old.exists():  # crashed between the two renames
            return old
        return current

    @property
    def scheduler_state_file(self) -> Path:
        return self.path / "scheduler_runner.json"

    def _json(self, name: str) -> dict:
        path = self.path / name
        if path.exists():
            try:
                return json.loads(path.read_text())
            except ValueError:
                log.warning("%s is not JSON; ignoring it", path)
        return {}

    def cursor_signing_key(self) -> str:
        data = self._json("secrets.json")
        if not data.get("CursorSigningKey"):
            data["CursorSigningKey"] = secrets.token_urlsafe(48)
            _write_atomic(self.path / "secrets.json", json.dumps(data, indent=1))
            os.chmod(self.path / "secrets.json", 0o600)
        return data["CursorSigningKey"]

    def last_moto_port(self) -> int | None:
        return self._json("runtime.json").get("moto_port")

    def remember_moto_port(self, port: int) -> None:
        _write_atomic(self.path / "runtime.json", json.dumps({"moto_port": port}))

    def begin_snapshot(self) -> Path:
        tmp = self.path / "snapshot.tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        return tmp

    def commit_snapshot(self, tmp: Path) -> None:
        current, old = self.path / "snapshot", self.path / "snapshot.old"
        shutil.rmtree(old, ignore_errors=True)
        if current.exists():
            os.replace(current, old)
        os.replace(tmp, current)
        shutil.rmtree(old, ignore_errors=True)


# ---------------------------------------------------------------- DynamoDB typed JSON


def _encode_attr(value: dict) -> dict:
    ((kind, v),) = value.items()
    if kind == "B":
        return {"B": base64.b64encode(v).decode()}
    if kind == "BS":
        return {"BS": [base64.b64encode(b).decode() for b in v]}
    if kind == "M":
        return {"M": {k: _encode_attr(x) for k, x in v.items()}}
    if kind == "L":
        return {"L": [_encode_attr(x) for x in v]}
    return value


def _decode_attr(value: dict) -> dict:
    ((kind, v),) = value.items()
    if kind == "B":
        return {"B": base64.b64decode(v)}
    if kind == "BS":
        return {"BS": [base64.b64decode(b) for b in v]}
    if kind == "M":
        return {"M": {k: _decode_attr(x) for k, x in v.items()}}
    if kind == "L":
        return {"L": [_decode_attr(x) for x in v]}
    return value


def _table_definition(desc: dict) -> dict:
    definition: dict[str, Any] = {
        "TableName": desc["TableName"],
        "KeySchema": desc["KeySchema"],
        "AttributeDefinitions": desc["AttributeDefinitions"],
        "BillingMode": "PAY_PER_REQUEST",
    }
    gsis = [
        {"IndexName": g["IndexName"], "KeySchema": g["KeySchema"], "Projection": g["Projection"]}
        for g in desc.get("GlobalSecondaryIndexes", [])
    ]
    if gsis:
        definition["GlobalSecondaryIndexes"] = gsis
    lsis = [
        {"IndexName": i["IndexName"], "KeySchema": i["KeySchema"], "Projection": i["Projection"]}
        for i in desc.get("LocalSecondaryIndexes", [])
    ]
    if lsis:
        definition["LocalSecondaryIndexes"] = lsis
    return definition


# ---------------------------------------------------------------- snapshot


class Snapshot:
    """Takes and restores snapshots of everything the local stack holds in moto."""

    def __init__(
        self,
        state: StateDir,
        make_client: ClientFactory,
        users: UserDirectory | None,
        outbox: Outbox,
        events: EventLog | None = None,
        pools: Iterable[PoolUsers] = (),
    ):
        self.state = state
        self._client = make_client
        self.users = users
        self.outbox = outbox
        self.events = events
        self.pools = {p.logical_id: p for p in pools}
        self._lock = threading.Lock()

    # -- taking

    def take(self) -> dict[str, int]:
        with self._lock:
            tmp = self.state.begin_snapshot()
            counts = {
                "dynamodb_items": self._dump_dynamodb(tmp),
                "s3_objects": self._dump_s3(tmp),
                "schedules": self._dump_schedules(tmp),
                "cognito_users": _write_jsonl(tmp / "cognito_users.jsonl", (u.__dict__ for u in (self.users.all() if self.users else []))),
                "cognito_pool_users": self._dump_pool_users(tmp),
                "ses_outbox": _write_jsonl(tmp / "ses_outbox.jsonl", self.outbox.messages()),
                "events": _write_jsonl(tmp / "events.jsonl", self.events.events() if self.events else []),
            }
            manifest = {"format": FORMAT_VERSION, "taken_at": datetime.now(UTC).isoformat(), "counts": counts}
            (tmp / "manifest.json").write_text(json.dumps(manifest, indent=1))
            self.state.commit_snapshot(tmp)
            log.debug("snapshot written: %s", counts)
            return counts

    def _dump_pool_users(self, out: Path) -> int:
        path = out / "cognito_pool_users.jsonl"
        path.touch(mode=0o600)  # it holds passwords
        os.chmod(path, 0o600)
        return _write_jsonl(path, (row for pool in self.pools.values() for row in pool.all()))

    def _dump_dynamodb(self, out: Path) -> int:
        ddb = self._client("dynamodb")
        tables = [name for page in ddb.get_paginator("list_tables").paginate() for name in page["TableNames"]]
        definitions = []
        for name in tables:
            definition = _table_definition(ddb.describe_table(TableName=name)["Table"])
            ttl = ddb.describe_time_to_live(TableName=name).get("TimeToLiveDescription", {})
            if ttl.get("TimeToLiveStatus") in ("ENABLED", "ENABLING"):
                definition["TimeToLive"] = ttl["AttributeName"]
            definitions.append(definition)
        (out / "dynamodb_tables.json").write_text(json.dumps(definitions, indent=1))

        def rows():
            for name in tables:
                for page in ddb.get_paginator("scan").paginate(TableName=name):
                    for item in page["Items"]:
                        yield {"table": name, "item": {k: _encode_attr(v) for k, v in item.items()}}

        return _write_jsonl(out / "dynamodb.jsonl", rows())

    def _dump_s3(self, out: Path) -> int:
        s3 = self._client("s3")
        buckets = [b["Name"] for b in s3.list_buckets().get("Buckets", [])]
        (out / "s3_buckets.json").write_text(json.dumps(buckets))

        def rows():
            for bucket in buckets:
                for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
                    for obj in page.get("Contents", []):
                        got = s3.get_object(Bucket=bucket, Key=obj["Key"])
                        yield {
                            "bucket": bucket,
                            "key": obj["Key"],
                            "content_type": got.get("ContentType"),
                            "metadata": got.get("Metadata", {}),
                            "body_b64": base64.b64encode(got["Body"].read()).decode(),
                        }

        return _write_jsonl(out / "s3.jsonl", rows())

    def _dump_schedules(self, out: Path) -> int:
        scheduler = self._client("scheduler")
        groups = [g["Name"] for page in scheduler.get_paginator("list_schedule_groups").paginate() for g in page["ScheduleGroups"]]
        (out / "schedule_groups.json").write_text(json.dumps(groups))
        keep = (
            "Name",
            "GroupName",
            "Description",
            "ScheduleExpression",
            "ScheduleExpressionTimezone",
            "FlexibleTimeWindow",
            "Target",
            "State",
            "ActionAfterCompletion",
            "StartDate",
            "EndDate",
            "KmsKeyArn",
        )

        def rows():
            for page in scheduler.get_paginator("list_schedules").paginate():
                for item in page.get("Schedules", []):
                    detail = scheduler.get_schedule(Name=item["Name"], GroupName=item.get("GroupName", "default"))
                    yield {k: detail[k] for k in keep if detail.get(k) is not None}

        return _write_jsonl(out / "schedules.jsonl", rows())

    # -- restoring

    def restore(self) -> dict[str, int]:
        """Load the last snapshot into a fresh moto (template resources already created)."""
        src = self.state.snapshot_dir
        if not (src / "manifest.json").exists():
            return {}
        counts = {
            "dynamodb_items": self._load_dynamodb(src),
            "s3_objects": self._load_s3(src),
            "schedules": self._load_schedules(src),
            "cognito_users": self._load_users(src),
            "cognito_pool_users": self._load_pool_users(src),
        }
        outbox = _read_jsonl(src / "ses_outbox.jsonl")
        self.outbox.restore(outbox)
        counts["ses_outbox"] = len(outbox)
        if self.events is not None:
            events = _read_jsonl(src / "events.jsonl")
            self.events.restore(events)
            counts["events"] = len(events)
        log.info("restored from %s: %s", src, counts)
        return counts

    def _load_dynamodb(self, src: Path) -> int:
        ddb = self._client("dynamodb")
        existing = {name for page in ddb.get_paginator("list_tables").paginate() for name in page["TableNames"]}
        path = src / "dynamodb_tables.json"
        for definition in json.loads(path.read_text()) if path.exists() else []:
            if definition["TableName"] in existing:
                continue
            ttl = definition.pop("TimeToLive", None)
            ddb.create_table(**definition)
            if ttl:
                ddb.update_time_to_live(TableName=definition["TableName"], TimeToLiveSpecification={"AttributeName": ttl, "Enabled": True})
        n = 0
        batch: dict[str, list] = {}
        for row in _read_jsonl(src / "dynamodb.jsonl"):
            batch.setdefault(row["table"], []).append({"PutRequest": {"Item": {k: _decode_attr(v) for k, v in row["item"].items()}}})
            n += 1
        for table, requests in batch.items():
            for i in range(0, len(requests), 25):
                pending: dict = {table: requests[i : i + 25]}
                for _ in range(10):
                    pending = ddb.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
                    if not pending:
                        break
        return n

    def _load_s3(self, src: Path) -> int:
        s3 = self._client("s3")
        existing = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
        path = src / "s3_buckets.json"
        for bucket in json.loads(path.read_text()) if path.exists() else []:
            if bucket not in existing:
                s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
        n = 0
        for row in _read_jsonl(src / "s3.jsonl"):
            args: dict[str, Any] = {
                "Bucket": row["bucket"],
                "Key": row["key"],
                "Body": base64.b64decode(row["body_b64"]),
                "Metadata": row.get("metadata") or {},
            }
            if row.get("content_type"):
                args["ContentType"] = row["content_type"]
            s3.put_object(**args)
            n += 1
        return n

    def _load_schedules(self, src: Path) -> int:
        scheduler = self._client("scheduler")
        existing = {g["Name"] for page in scheduler.get_paginator("list_schedule_groups").paginate() for g in page["ScheduleGroups"]}
        path = src / "schedule_groups.json"
        for group in json.loads(path.read_text()) if path.exists() else []:
            if group not in existing:
                scheduler.create_schedule_group(Name=group)
        n = 0
        now = datetime.now(UTC)
        for row in _read_jsonl(src / "schedules.jsonl"):
            for key in ("StartDate", "EndDate"):
                if key in row:
                    row[key] = datetime.fromisoformat(row[key])
            # Scheduler refuses a recurring schedule whose StartDate is more than 5 minutes ago
            if "StartDate" in row and row["StartDate"] < now - timedelta(minutes=4) and not row["ScheduleExpression"].startswith("at("):
                row.pop("StartDate")
            try:
                scheduler.create_schedule(**row)
                n += 1
            except Exception:
                log.warning("could not restore schedule %s/%s", row.get("GroupName"), row.get("Name"), exc_info=True)
        return n

    def _load_users(self, src: Path) -> int:
        n = 0
        if self.users is None:
            return n
        for row in _read_jsonl(src / "cognito_users.jsonl"):
            try:
                self.users.ensure(row["email"], row["tenant"], row["role"], sub=row.get("sub"), enabled=row.get("enabled", True))
                n += 1
            except Exception:
                log.warning("could not restore user %s", row.get("email"), exc_info=True)
        return n

    def _load_pool_users(self, src: Path) -> int:
        n = 0
        for row in _read_jsonl(src / "cognito_pool_users.jsonl"):
            pool = self.pools.get(row.get("pool", ""))
            if pool is None:
                log.warning("user %s of pool %s: the template has no such pool; not restored", row.get("email"), row.get("pool"))
                continue
            try:
                pool.restore(row)
                n += 1
            except Exception:
                log.warning("could not restore user %s of pool %s", row.get("email"), row.get("pool"), exc_info=True)
        return n


class Snapshotter:
    """Writes a snapshot every `interval` seconds when `change_token()` changed since the last."""

    def __init__(self, snapshot: Snapshot, change_token: Callable[[], Any], interval: float = 10.0):
        self.snapshot = snapshot
        self._change_token = change_token
        self.interval = interval
        self._last_token: Any = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def mark_clean(self) -> None:
        self._last_token = self._change_token()

    def maybe_snapshot(self, force: bool = False) -> dict[str, int] | None:
        """Snapshot if something changed (or `force`); return the counts, None if skipped."""
        token = self._change_token()
        if not force and token == self._last_token:
            return None
        counts = self.snapshot.take()
        self._last_token = token
        return counts

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.maybe_snapshot()
            except Exception:
                log.warning("periodic snapshot failed", exc_info=True)

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="crm-local-snapshot", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None
