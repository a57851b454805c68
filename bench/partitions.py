"""moto's Query, made to read one partition instead of the whole table.

moto 5 answers every Query from `Table.all_items()`: the whole table, sorted, on every call, which
it then walks item by item. At the 100,000 items of the 10,000-contact tenant that is about a
second per Query, which would bury what a handler does under what the mock does. Inside
`partitioned()`, `all_items()` returns, for the duration of one Query, only the items of the
partition asked for (of the table, or of the GSI queried) whose sort key can meet the key condition,
found by bisection in a map built on first use. moto then does what it always does with them: sort,
apply the key condition, the start key, the filter and the limit. So replies are moto's own, only
sooner; `same_as_moto(fn)` checks it, calling `fn` with and without.

A write forgets only what it can have changed: the table's map of the partition it writes, and the
map of each GSI that holds the item, before or after the write (a write to an item no GSI holds
keeps the GSIs' maps). A table's partition is mapped from that partition alone, a GSI from the
whole table. So a run that writes while it queries (a billing run queueing contracts while it pages
through the due ones; a redelivered message reading its contract's claims) pays for the partitions
it reads, not for the table, each time.

A Query with a Limit and no filter gets only what moto can reach for its page: the items after its
start key (found by bisection too), as many as the limit, then the one after (moto announces a next
page when any item follows the page, in the key condition's range or not). So paging through a
partition costs each page its own items, where moto alone walks the partition from its start for
every page. With a filter, moto still walks every item that meets the key condition.
"""

from __future__ import annotations

import inspect
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar
from unittest.mock import patch

from moto.dynamodb.comparisons import OpDefault
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Table

T = TypeVar("T")
_QUERY = Table.query
_SIGNATURE = inspect.signature(_QUERY)
# id(table) -> (table, {GSI name: {hash value: (sort keys, items)}, None: the table's, by partition})
_maps: dict[int, tuple[Table, dict]] = {}


def _key_attributes(table: Table, index_name: str | None) -> tuple[str, str] | None:
    """(hash, sort) attribute of the table or GSI; None where moto's own way is kept (no sort key,
    a local index, multi-attribute keys)."""
    if index_name is None:
        return (table.hash_key_attr, table.range_key_attr) if table.range_key_attr else None
    index = next((i for i in table.global_indexes if i.name == index_name), None)
    hashes = [k["AttributeName"] for k in index.schema if k["KeyType"] == "HASH"] if index else []
    sorts = [k["AttributeName"] for k in index.schema if k["KeyType"] == "RANGE"] if index else []
    return (hashes[0], sorts[0]) if len(hashes) == len(sorts) == 1 and table.range_key_attr else None


def _in_key_order(items: list, sort_attribute: str) -> tuple[list, list]:
    items.sort(key=lambda i: (i.attrs[sort_attribute].value, i.hash_key.value, i.range_key.value))
    return [i.attrs[sort_attribute].value for i in items], items


def _partition(table: Table, index_name: str | None, attributes: tuple[str, str], value: Any) -> tuple[list, list]:
    """(sort key values, items) of one partition of the table or of one GSI, in key order."""
    _, by_index = _maps.setdefault(id(table), (table, {}))
    hash_attribute, sort_attribute = attributes
    if index_name is None:
        mapped = by_index.setdefault(None, {})
        if value not in mapped:
            mapped[value] = _in_key_order(list(table.items[value].values()) if value in table.items else [], sort_attribute)
        return mapped[value]
    if index_name not in by_index:
        groups: dict = defaultdict(list)
        for partition in table.items.values():
            for item in partition.values():
                if hash_attribute in item.attrs and sort_attribute in item.attrs:
                    groups[item.attrs[hash_attribute]].append(item)
        by_index[index_name] = {v: _in_key_order(items, sort_attribute) for v, items in groups.items()}
    return by_index[index_name].get(value, ([], []))


def _within(keys: list, comparison: str | None, bounds: list) -> tuple[slice, bool]:
    """The slice of the sorted `keys` holding every key that meets the key condition, and whether
    it holds only those (else a superset: moto applies the condition again)."""
    values = [b.value for b in bounds]
    if comparison is None:
        return slice(None), True
    if not all(isinstance(v, str) for v in [*values, *keys[:1]]):
        return slice(None), False
    comparison = comparison.upper()
    if comparison == "BEGINS_WITH":
        start = end = bisect_left(keys, values[0])
        while end < len(keys) and keys[end].startswith(values[0]):
            end += 1
        return slice(start, end), True
    if comparison == "BETWEEN":
        return slice(bisect_left(keys, values[0]), bisect_right(keys, values[1])), True
    exact = {
        "=": slice(bisect_left(keys, values[0]), bisect_right(keys, values[0])),
        "<": slice(0, bisect_left(keys, values[0])),
        "<=": slice(0, bisect_right(keys, values[0])),
        ">": slice(bisect_right(keys, values[0]), None),
        ">=": slice(bisect_left(keys, values[0]), None),
    }.get(comparison)
    return (exact, True) if exact else (slice(None), False)


def _page(keys: list, lo: int, hi: int, sort_attribute: str, asked: dict, forward: bool) -> tuple[int, int]:
    """Of keys[lo:hi], which all meet the key condition, the bounds of those moto can reach for one
    page of `limit` after the start key: `limit` past the start, plus the items whose sort key ties
    with the start's, which moto steps over."""
    reach, start = asked["limit"], asked.get("exclusive_start_key")
    if start and sort_attribute not in start:
        return lo, hi
    if start:
        at = DynamoType(start[sort_attribute]).value
        first, last = bisect_left(keys, at, lo, hi), bisect_right(keys, at, lo, hi)
        return (first, min(hi, last + reach)) if forward else (max(lo, first - reach), last)
    return (lo, min(hi, lo + reach)) if forward else (max(lo, hi - reach), hi)


def _candidates(table: Table, asked: dict) -> list | None:
    """The items of the partition asked for that moto's Query can reach; None: moto's own way."""
    index_name = asked.get("index_name")
    attributes = _key_attributes(table, index_name)
    if attributes is None or len(asked.get("range_key_conditions") or ()) > 1:
        return None
    value = asked.get("hash_key")
    if index_name:
        value = dict(asked.get("hash_key_conditions") or ()).get(attributes[0], value)
    keys, items = _partition(table, index_name, attributes, value)
    window, exact = _within(keys, asked.get("range_comparison"), asked.get("range_objs") or [])
    lo, hi, _ = window.indices(len(keys))
    forward = asked.get("scan_index_forward") is not False
    unfiltered = isinstance(asked.get("filter_expression"), (type(None), OpDefault)) and not asked.get("filter_kwargs")
    if exact and unfiltered and asked.get("limit") and all(isinstance(k, str) for k in keys[:1]):
        lo, hi = _page(keys, lo, hi, attributes[1], asked, forward)
    # moto answers "there is a next page" when any item of the partition follows the page's last,
    # whether it meets the key condition or not: keep the one after, in the Query's direction.
    return items[lo : hi + 1] if forward else items[max(0, lo - 1) : hi]


def _query(self: Table, *args, **kwargs):
    items = _candidates(self, _SIGNATURE.bind(self, *args, **kwargs).arguments)
    if items is None:
        return _QUERY(self, *args, **kwargs)
    self.all_items = lambda: items  # shadows the method for this one call
    try:
        return _QUERY(self, *args, **kwargs)
    finally:
        del self.all_items


# ---------------------------------------------------------------- writes forget what they change


def _written_keys(backend: DynamoDBBackend, name: str, arguments: dict) -> list[tuple[Table, dict]] | None:
    """(table, key attributes) of each item a backend write names; None: it may write anything."""
    if name == "transact_write_items":
        named = [next(iter(operation.values())) for operation in arguments["transact_items"]]
        pairs = [(o.get("TableName"), o.get("Item") or o.get("Key") or {}) for o in named]
    elif name in ("put_item", "update_item", "delete_item"):
        pairs = [(arguments["table_name"], arguments.get("item_attrs") or arguments.get("key") or {})]
    else:
        return None
    return [(backend.tables[table_name], key) for table_name, key in pairs if table_name in backend.tables]


def _located(table: Table, key: dict) -> tuple[DynamoType, DynamoType | None] | None:
    if table.hash_key_attr not in key or (table.range_key_attr and table.range_key_attr not in key):
        return None
    return DynamoType(key[table.hash_key_attr]), DynamoType(key[table.range_key_attr]) if table.range_key_attr else None


def _indexes_holding(table: Table, place: tuple[DynamoType, DynamoType | None]) -> set[str]:
    """The GSIs whose key the item at `place` carries (none when there is no item)."""
    hash_value, range_value = place
    partition = table.items.get(hash_value)  # .get: no entry made in moto's defaultdict
    item = partition.get(range_value) if isinstance(partition, dict) else partition
    if item is None:
        return set()
    return {i.name for i in table.global_indexes if any(k["AttributeName"] in item.attrs for k in i.schema)}


def _forgetting(name: str, write: Callable) -> Callable:
    signature = inspect.signature(write)

    def wrapper(self: DynamoDBBackend, *args, **kwargs):
        named = _written_keys(self, name, signature.bind(self, *args, **kwargs).arguments)
        if named is None:
            _maps.clear()
            return write(self, *args, **kwargs)
        places = [(table, _located(table, key)) for table, key in named if id(table) in _maps]
        before = [(table, place, _indexes_holding(table, place) if place else None) for table, place in places]
        try:
            return write(self, *args, **kwargs)
        finally:  # also when it failed: a cancelled transaction puts items back
            for table, place, indexes in before:
                by_index = _maps.get(id(table), (table, {}))[1]
                if place is None:
                    by_index.clear()
                    continue
                by_index.get(None, {}).pop(place[0], None)
                for index_name in indexes | _indexes_holding(table, place):
                    by_index.pop(index_name, None)

    return wrapper


WRITES = (
    "put_item",
    "update_item",
    "delete_item",
    "transact_write_items",
    "execute_statement",
    "execute_transaction",
    "batch_execute_statement",
)


@contextmanager
def partitioned() -> Iterator[None]:
    originals = {name: getattr(DynamoDBBackend, name) for name in WRITES}
    Table.query = _query
    for name, write in originals.items():
        setattr(DynamoDBBackend, name, _forgetting(name, write))
    try:
        yield
    finally:
        Table.query = _QUERY
        for name, write in originals.items():
            setattr(DynamoDBBackend, name, write)
        _maps.clear()


def same_as_moto(fn: Callable[[], T]) -> T:
    """`fn()` inside `partitioned()` (as the caller is), after checking that moto's own, whole-table
    Query gives the same answer (compared with ==). The product's clock stands still for both calls:
    a page's cursor carries the second it was signed, and moto's whole-table answer can take one."""
    from crm.platform import clock

    if Table.query is not _query:
        raise RuntimeError("same_as_moto() is for calls made inside partitioned()")
    at = clock.now()
    with patch.object(clock, "now", lambda: at):
        Table.query = _QUERY
        try:
            reference = fn()
        finally:
            Table.query = _query
        answer = fn()
    if answer != reference:
        raise RuntimeError(f"partitioned() changed an answer of moto's: {reference!r:.300} became {answer!r:.300}")
    return answer
