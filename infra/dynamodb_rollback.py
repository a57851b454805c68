"""moto's TransactWriteItems, rolled back item by item instead of from copies of whole tables.

moto keeps a transaction all-or-nothing by deep-copying each table it names before writing, once
per item of the transaction, and putting the copy back when an item fails. That costs time in
proportion to the table's size times the transaction's items (about 1 s for a 6-item transaction
at 4,000 items), on every transaction, cancelled or not. On DynamoDB a transaction costs what its
items cost. The local stack serialises DynamoDB requests (infra/moto_server.py), so a growing
table (a fuzz run, a long session) slowed every request of every function until untouched routes
ran past their Lambda timeout.

`roll_back_item_by_item()` makes moto's table copies no-ops (the table itself is "copied") and
keeps instead, before moto runs the transaction, a copy of each item the transaction names (or
that it did not exist); when the transaction fails, exactly those items are put back. What moto
answers, and what the table holds after, are unchanged; only the cost is that of the items.
"""

from __future__ import annotations

import copy
from typing import Any


def _key(table: Any, operation: dict) -> dict | None:
    """The key an operation of a transaction writes (None when it names none: moto refuses it)."""
    attributes = operation.get("Key") or operation.get("Item") or {}
    names = [table.hash_key_attr, *([table.range_key_attr] if table.range_key_attr else [])]
    return {name: attributes[name] for name in names} if all(name in attributes for name in names) else None


def _table(backend: Any, operation: Any) -> Any:
    """The table an operation names (by name or ARN), None when none (moto refuses it)."""
    from moto.dynamodb.exceptions import ResourceNotFoundException

    if not isinstance(operation, dict) or not isinstance(operation.get("TableName"), str):
        return None
    try:
        return backend.get_table(operation["TableName"])
    except ResourceNotFoundException:
        return None


def roll_back_item_by_item() -> None:
    """In every moto of this process (its server and mock_aws). Idempotent."""
    from moto.dynamodb import models
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.dynamo_type import DynamoType
    from moto.dynamodb.models.table import Table

    current = DynamoDBBackend.transact_write_items
    if getattr(current, "rolls_back_item_by_item", False):
        return

    class NoTableCopies:
        """moto.dynamodb.models' `copy`: deep copies as usual, except a whole table's."""

        def __getattr__(self, name: str) -> Any:
            return getattr(copy, name)

        @staticmethod
        def deepcopy(value: Any, memo: dict | None = None) -> Any:
            return value if isinstance(value, Table) else copy.deepcopy(value, memo)

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        before = []
        for entry in transact_items:
            operation = next(iter(entry.values()), None) if isinstance(entry, dict) else None
            table = _table(self, operation)
            key = _key(table, operation) if table is not None else None
            if key is None:
                continue
            hash_key = DynamoType(key[table.hash_key_attr])
            range_key = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
            stored = table.get_item(hash_key, range_key)
            before.append((table, hash_key, range_key, copy.deepcopy(stored) if stored is not None else None))
        try:
            current(self, transact_items)
        except Exception:
            for table, hash_key, range_key, item in reversed(before):  # the first copy of a key is its original
                _restore(table, hash_key, range_key, item)
            raise

    models.copy = NoTableCopies()  # type: ignore[assignment]
    transact_write_items.rolls_back_item_by_item = True  # type: ignore[attr-defined]
    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]


def _restore(table: Any, hash_key: Any, range_key: Any, item: Any) -> None:
    if range_key is None:
        if item is None:
            table.items.pop(hash_key, None)
        else:
            table.items[hash_key] = item
        return
    if item is not None:
        table.items[hash_key][range_key] = item
        return
    partition = table.items.get(hash_key)
    if partition is not None:
        partition.pop(range_key, None)
        if not partition:
            del table.items[hash_key]
