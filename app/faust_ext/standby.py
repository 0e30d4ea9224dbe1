"""Standby changelog records applied in the fetch loop, not one by one through Faust's queue.

With two workers, each keeps a standby copy of the other's table partitions (standby
replicas), so it reads every changelog record the other writes: about one per record decided.
Faust hands each to the conductor (a lock, a decode, an `await` per record) and its recovery
task takes them from the changelog queue one per turn of the event loop (an
`asyncio.wait_for` each). Measured (benchmarks/scale.py), that made the second worker's CPU per
record 1.4-1.6x what the same two workers cost without standbys, and its turns split the
agents' batches.

`StandbyApplier.take` does in the fetch loop, synchronously, what Recovery._slurp_changelogs
does with a standby record: skip it unless its offset is past the standby's, note the offset,
append it to the table's recovery buffer and apply the buffer (one RocksDB write batch per
partition, and the persisted offset) when it reaches the table's standby_buffer_size. The
buffer is Recovery's own, so Faust's flush at a rebalance or stop applies what it holds.

A standby partition's records never go through the changelog queue, so the two paths cannot
reorder them: while flow control is off (a rebalance) such a record is dropped, as the
queue's clear on resume drops it in Faust, and recovery seeks every standby partition to its
offset before resuming it. A record of a standby partition that recovery has not yet resumed
(it is still paused: a fetch buffered before the pause, or handed over while recovery reads
the actives with flow on) is dropped too. Taken, it would move the standby's offset to
wherever that fetch stood before recovery computed the offset to seek to, and recovery
would then seek past every record in between: a copy missing recipients' whole state, which
the worker trusts when it takes the partition over (Faust's own queue has the same window).
Taken only for RocksDB tables (their batch apply reads the record, not a decoded event)
without an on_changelog_event callback; anything else goes to Faust.
"""

from __future__ import annotations

from typing import Any

from faust.stores import rocksdb
from faust.types import TP, AppT, Message

from app.faust_ext.contract import CONSUMER_STATE, RECOVERY_STATE, TABLE, require


class Change:
    """A changelog record in Recovery's buffer: RocksDB's apply_changelog_batch reads only
    `event.message`, so the Event Faust builds (and its decode) is not needed."""

    __slots__ = ("message",)

    def __init__(self, message: Message) -> None:
        self.message = message


class StandbyApplier:
    """Applies standby changelog records as they are fetched (module doc)."""

    def __init__(self, app: AppT) -> None:
        self._app = app
        self._recovery: Any = None
        self._tables: dict[TP, Any] = {}  # standby partition -> its table, if taken here
        self._paused: set[TP] = set()  # the consumer's paused partitions (set at first use)

    def take(self, message: Message) -> bool:
        """Apply `message` if it is a standby changelog record this handles; False if Faust
        must deliver it."""
        recovery = self._recovery
        if recovery is None:
            tables: Any = self._app.tables
            recovery = self._recovery = tables.recovery
            require(RECOVERY_STATE, recovery)
            consumer: Any = self._app.consumer
            require(CONSUMER_STATE, consumer)
            self._paused = consumer._paused_partitions  # noqa: SLF001 (Faust's, not aiokafka's)
        tp = message.tp
        if tp not in recovery.standby_tps or tp in recovery.active_tps:
            return False
        table = self._tables.get(tp)
        if table is None:
            table = recovery.tp_to_table.get(tp)
            if not self._handles(table):
                return False
            self._tables[tp] = table
        if not self._app.flow_control.is_active() or tp in self._paused:
            return True  # a rebalance, or not yet sought: dropped, recovery seeks back (doc)
        offsets = recovery.standby_offsets
        seen = offsets.get(tp)
        offset = message.offset
        if seen is not None and offset <= seen:
            return True
        offsets[tp] = offset
        buffer = recovery.buffers[table]
        buffer.append(Change(message))
        if len(buffer) >= table.standby_buffer_size:
            table.apply_changelog_batch(buffer)
            buffer.clear()
        return True

    def after_fetch(self) -> None:
        """Once per fetch: signal the standbys ready when caught up, as Faust's recovery does
        after a standby record."""
        recovery, tables = self._recovery, self._app.tables
        if (recovery is not None and self._tables and not tables.standbys_ready
                and not recovery.standby_remaining_total()):
            recovery.tables.on_standbys_ready()  # (Faust's TableManager, as its recovery)

    @staticmethod
    def _handles(table: Any) -> bool:
        if table is None or not isinstance(table.data, rocksdb.Store):
            return False
        require(TABLE, table)
        return table._on_changelog_event is None  # noqa: SLF001
