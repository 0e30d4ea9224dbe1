"""Direct access to a table's RocksDB store: raw reads and writes, one partition's database
(the idle-state sweep walks it in key order) and the store's key estimate.

The memory store (SENDGUARD_STORE=memory://) is reached through its public mapping; it has no
per-partition order, so the sweep skips it. Which store a table has is decided by its type,
never by probing for an attribute: a renamed upstream name is an error at start
(`check_stores`), not a sweep that quietly stops.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import faust
from faust.stores import rocksdb

from app.faust_ext.contract import ROCKSDB_STORE, ROCKSDB_STORE_STATE, require

Get = Callable[[bytes], "bytes | None"]
Set = Callable[[bytes, bytes], None]
Delete = Callable[[bytes], None]


def check_stores(app: faust.App) -> None:
    """At start: every RocksDB store of the app has the names this module uses."""
    for table in app.tables.values():
        if isinstance(table.data, rocksdb.Store):
            require(ROCKSDB_STORE)
            require(ROCKSDB_STORE_STATE, table.data)


def raw_access(table: Any) -> tuple[Get, Set, Delete]:
    """get, set and delete of raw keys and values in the event's partition (Faust's current
    event). RocksDB: one read of the event's partition, where Table.get checks existence,
    reads again and runs the (identity) codec: ~4% of the CPU."""
    store = table.data
    if isinstance(store, rocksdb.Store):
        return store._get, store._set, store._del  # noqa: SLF001
    return table.get, store.__setitem__, lambda key: store.pop(key, None)


def partition_db(table: Any, partition: int) -> Any:
    """The RocksDB (rocksdict) database of one table partition; None for the memory store."""
    store = table.data
    if isinstance(store, rocksdb.Store):
        return store._db_for_partition(partition)  # noqa: SLF001
    return None


def estimated_keys(table: Any) -> float:
    """Keys in this worker's local store (RocksDB's estimate; exact for memory)."""
    store = table.data
    if not isinstance(store, rocksdb.Store):
        return float(len(store))
    total = 0
    for db in list(store._dbs.values()):  # noqa: SLF001
        try:
            total += int(db.property_int_value("rocksdb.estimate-num-keys") or 0)
        except Exception:  # a closing store during a rebalance; the gauge is an estimate
            continue
    return float(total)


def copartitioned(app: Any, topic: str, other: str) -> bool:
    """Whether `topic` and `other` are co-partitioned in this consumer generation: Faust's
    assignor put them in one topic group (equal partition counts, assigned together), so this
    worker owns partition p of one exactly when it owns p of the other.

    Known on every member and fixed for a generation. (The consumer's `topic_partitions`
    reads a metadata snapshot that only the group leader keeps: on the other members every
    record took the hop, and a worker that became leader decided a recipient's new records
    in one hop ahead of its older ones still queued in the hop.)"""
    try:
        return bool(app.assignor.group_for_topic(topic) == app.assignor.group_for_topic(other))
    except KeyError:  # not in this generation's assignment
        return False
