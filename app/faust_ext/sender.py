"""`BatchSender`: a batch's records handed to the producer at its end, one record batch per
partition, without awaiting their delivery, in the transaction of the input partition being
processed under exactly-once (eos.py); a failed delivery crashes the worker, so a decision is
never lost silently.

Per-record `send` (Faust's and aiokafka's) cost a metadata lookup, two partition-set copies, a
lock, and a future per record, which was ~20% of the worker's CPU; aiokafka's `send_batch`
takes a `BatchBuilder` filled here instead (records keep their order per partition, which is
all Kafka orders).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any, cast

from faust.types import TP, AppT

log = logging.getLogger(__name__)
PARTITION_CACHE_KEYS = 100_000  # keys whose partition BatchSender remembers (~20 MiB at most)
Records = list[tuple[bytes | None, bytes | None, int | None]]  # (key, value, timestamp ms)
# (transactional id or None, topic, partition) -> its records, in order
Pending = dict[tuple[str | None, str, int], Records]


def transactional_id(app: AppT, source: TP) -> str:
    """The transactional id Faust commits the offsets of input partition `source` under
    (Faust's TransactionManager.commit)."""
    return f"{app.conf.id}-{app.assignor.group_for_topic(source.topic)}-{source.partition}"


class BatchSender:
    """Collects a batch's records and hands them to the producer at the end of the batch, one
    record batch per (transaction, partition), without awaiting their delivery."""

    def __init__(self, app: AppT) -> None:
        self._app = app
        self._transactional_ids: dict[TP, str] = {}
        self._generation: int | None = None
        self._partitions: dict[tuple[str, bytes | None], int] = {}
        self._pending: Pending = {}
        self._tables: dict[str, Any] = {}  # changelog topic -> its table

    def add(self, topic: str, key: bytes | None, value: bytes | None, timestamp_ms: int | None,
            source: TP, partition: int | None = None) -> None:
        """Queue a record for `partition` (by default the key's, Kafka's default partitioner);
        under exactly-once for the transaction of input partition `source`, the one its offsets
        commit in (eos.py)."""
        if partition is None:
            partition = self._partition(topic, key)
        self._queue(topic, partition, key, value, timestamp_ms, source)

    def add_changelog(self, table: Any, key: bytes, value: bytes | None, source: TP) -> None:
        """Queue a table change for the changelog partition of `source` (co-partitioned), as
        Faust's Table does through its producer buffer, whose one sender task was the
        bottleneck once a batch wrote hundreds of changes at once."""
        topic = table.changelog_topic.get_topic_name()
        self._tables[topic] = table
        self._queue(topic, source.partition, key, value, None, source)

    def _queue(self, topic: str, partition: int, key: bytes | None, value: bytes | None,
               timestamp_ms: int | None, source: TP) -> None:
        tid = self._transactional_id(source) if self._app.in_transaction else None
        records = self._pending.get((tid, topic, partition))
        if records is None:
            records = self._pending[(tid, topic, partition)] = []
        records.append((key, value, timestamp_ms))

    @contextlib.asynccontextmanager
    async def collecting(self) -> AsyncIterator[None]:
        """Around the deciding part of one agent batch, inside `eos.processing_batch` (so the
        commit that covers the batch's offsets covers its records): if it raises, its queued
        records are dropped (its events are processed again)."""
        try:
            yield
        except BaseException:
            self._pending.clear()
            raise

    def take(self) -> Pending:
        """The records queued since the last take, to `flush` (the queue starts empty)."""
        pending, self._pending = self._pending, {}
        return pending

    async def flush(self, pending: Pending) -> None:
        """Hand `pending` records to their producers, each in its transaction."""
        producer: Any = self._app.producer  # checked by the seam's Transport
        for (tid, topic, partition), records in pending.items():
            if tid is None:
                client = producer._ensure_producer()  # noqa: SLF001
                await self._send_batches(client, topic, partition, records)
                continue
            # aiokafka refuses a send to a transaction being committed, and a record sent
            # then belongs to the next one (eos.py takes the offsets a commit covers first).
            commit = self._app.consumer.committing.get(tid)  # type: ignore[attr-defined]
            if commit is not None:
                await commit.wait()
            client = producer._transaction_producers.get(tid)  # noqa: SLF001
            if client is None:
                raise RuntimeError(f"no transactional producer for {tid}")
            async with producer._trn_locks[tid]:  # noqa: SLF001
                await self._send_batches(client, topic, partition, records)

    async def _send_batches(self, client: Any, topic: str, partition: int,
                            records: Records) -> None:
        builder, count = client.create_batch(), 0
        for key, value, timestamp_ms in records:
            if builder.append(timestamp=timestamp_ms, key=key, value=value, headers=[]) is None:
                await self._send_batch(client, builder, topic, partition, count)
                builder, count = client.create_batch(), 0
                builder.append(timestamp=timestamp_ms, key=key, value=value, headers=[])
            count += 1
        await self._send_batch(client, builder, topic, partition, count)

    async def _send_batch(self, client: Any, builder: Any, topic: str, partition: int,
                          count: int) -> None:
        sent = await client.send_batch(builder, topic, partition=partition)
        table = self._tables.get(topic)
        if table is None:
            sent.add_done_callback(self._on_sent)
        else:
            sent.add_done_callback(lambda future: self._changelog_sent(table, future, count))

    def _changelog_sent(self, table: Any, future: Any, count: int) -> None:
        """Faust's Table._on_changelog_sent: the offset its recovery may start from."""
        if future.cancelled() or future.exception() is not None:
            self._on_sent(future)
            return
        metadata = future.result()  # of the record batch: its first offset
        offset = metadata.offset + count - 1
        if self._app.in_transaction:
            self._app.tables.persist_offset_on_commit(table.data, metadata.topic_partition,
                                                      offset)
        else:
            table.data.set_persisted_offset(metadata.topic_partition, offset)

    def _partition(self, topic: str, key: bytes | None) -> int:
        """Faust's partitioner (murmur2, as Kafka's Java client), remembered per key: in pure
        Python it cost ~5% of the worker's CPU, and recipients recur. A keyless record
        (a dead letter) is spread as the partitioner spreads it."""
        if key is None:
            return cast(int, self._app.consumer.key_partition(topic, key, None))
        partition = self._partitions.get((topic, key))
        if partition is None:
            if len(self._partitions) >= PARTITION_CACHE_KEYS:
                self._partitions.clear()
            partition = cast(int, self._app.consumer.key_partition(topic, key, None))
            self._partitions[(topic, key)] = partition
        return partition

    def _transactional_id(self, source: TP) -> str:
        """`transactional_id`, remembered per consumer generation: the assignor numbers its
        topic groups afresh at each rebalance."""
        generation = self._app.consumer_generation_id
        if generation != self._generation:
            self._transactional_ids.clear()
            self._generation = generation
        tid = self._transactional_ids.get(source)
        if tid is None:
            tid = self._transactional_ids[source] = transactional_id(self._app, source)
        return tid

    def _on_sent(self, future: Any) -> None:
        if future.cancelled() or future.exception() is None:
            return
        exc = future.exception()
        log.error("a record could not be published (%s): stopping the worker so that a "
                  "restart re-decides from the committed offset", type(exc).__name__)
        self._app.loop.create_task(self._app.crash(exc))
