"""Exactly-once on Faust: every send in the transaction of the input partition being processed,
and commits of exactly what was processed (the commit gate, gate.py).

First, Faust's TransactionManager.send derives a record's transactional id from the partition
the record is sent *to* (faust-streaming #440; compare #517, #323, #177), while offsets are
committed in the transaction of the *input* partition. A record the worker sends on its hop
from sms.send-intents partition 2 to sendguard.recipient-events partition 5 would join
partition 5's transaction, which commits only when partition 5's offsets advance, which needs
that very record, which a read_committed consumer cannot see: the worker stalls with nothing
logged. `SourcePartitionTransactionManager` sends with the id of the event's input partition.

Second, what a transaction holds must match the offsets it commits. Faust commits offsets
derived from acks, which lag behind what was processed when the input has gaps (transaction
markers; faust-streaming #606, #517), takes that snapshot while agents keep processing, and
lets buffered changelog writes trail their event into the next transaction: killed with -9,
a worker re-decided events whose decisions were already committed. So each batch of events
runs inside `processing_batch(app, events)`; a commit closes the gate, waits until no batch is
in progress and the changelog buffer is sent, takes, per input partition, the offset after
the last event processed, and opens the gate again while the broker commits: a batch's sends
to a transaction being committed wait until it is (its records belong to the next one).

Third, Faust sometimes drops records it fetched (its stream queues are cleared when flow
resumes after a rebalance, while the fetch position has moved on), and re-delivers others.
The gate tracks fetched offsets: a re-delivered record is skipped; for a dropped one it seeks
back and skips what arrives until that record comes again, so nothing is committed past it.
If it does not come back within RESYNC_TIMEOUT_S the worker stops (exit 1) and a restart
decides it: never a lost intent. So the gate, not Faust's read offset, tells a record fetched
twice (consumer.py). And a rebalance commits what was processed even when a periodic commit
is under way: Faust then skipped its own, and the transactions of the partitions kept stayed
open across the rebalance while the gate forgot what they held.

Fourth, recovery. Under a transaction Faust reads changelog highwaters from a cache that is
empty for a partition just assigned, and fails with ConsistencyError where a standby copy had
persisted an offset (faust-streaming #158): `CommittedEndConsumerThread` asks the broker. And
RocksDB keeps table writes whose transaction a crash aborted: `discard_local_tables` makes each
start rebuild the tables from the committed changelog, as Kafka Streams does under EOS.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
from collections.abc import AsyncIterator, Awaitable, Iterable
from pathlib import Path
from typing import Any

import faust
from faust.streams import current_event
from faust.transport.consumer import TransactionManager
from faust.transport.drivers import aiokafka as aiokafka_driver
from faust.types import TP, AppT, Message

from app.faust_ext.consumer import BatchConsumer
from app.faust_ext.contract import (
    CONSUMER_THREAD,
    KAFKA_PRODUCER_STATE,
    PRODUCER_BUFFER,
    PRODUCER_BUFFER_STATE,
    require,
)
from app.faust_ext.gate import CommitGate
from app.faust_ext.sender import transactional_id as input_transactional_id

log = logging.getLogger(__name__)
RESYNC_TIMEOUT_S = 60.0  # a record sought back for must come within this, or the worker stops


class SourcePartitionTransactionManager(TransactionManager):
    """TransactionManager whose sends join the transaction of the input partition; outside an
    event (buffered changelog writes flushed later) Faust's: the changelog partition's id,
    equal to its input partition's by copartitioning."""

    async def send(self, topic: str, key: bytes | None, value: bytes | None,
                   partition: int | None, timestamp: float | None, headers: Any, *,
                   transactional_id: str | None = None) -> Awaitable[Any]:
        event = current_event()
        if event is None:
            return await super().send(topic, key, value, partition, timestamp, headers,
                                      transactional_id=transactional_id)
        return await self.producer.send(
            topic, key, value, self.consumer.key_partition(topic, key, partition), timestamp,
            headers, transactional_id=input_transactional_id(self.app, event.message.tp),
        )


@contextlib.asynccontextmanager
async def processing_batch(app: AppT,
                           events: list[faust.EventT]) -> AsyncIterator[list[faust.EventT]]:
    """Yield the events of a batch (batches.py) to process, in order, with no commit until the
    batch is done: always all of them unless exactly-once; else without a record already
    processed or out of order. If the batch raises, none of it counts as processed, so the
    next event of each partition seeks back to the first of them."""
    if not app.in_transaction:
        yield events
        return
    consumer: Any = app.consumer
    gate: CommitGate[TP] = consumer.gate
    async with gate.event():
        tps = {event.message.tp for event in events}
        processed = {tp: gate.processed.get(tp) for tp in tps}
        fetched = {tp: list(gate.fetched.get(tp, ())) for tp in tps}
        wanted: list[faust.EventT] = []
        for event in events:
            message = event.message
            committed = consumer._committed_offset.get(message.tp)  # noqa: SLF001
            verdict = gate.verdict(message.tp, message.offset, committed)
            if verdict is None:
                wanted.append(event)
                gate.done(message.tp, message.offset)
            elif verdict >= 0:
                log.warning("record %s[%s]@%s was fetched but never reached the agent; "
                            "fetching again from there (arrived %s, committed %s)",
                            message.tp.topic, message.tp.partition, verdict, message.offset,
                            committed)
                await consumer.seek(message.tp, verdict)
        if gate.resync_overdue(RESYNC_TIMEOUT_S):
            await app.crash(RuntimeError("exactly-once: a record Faust dropped did not come "
                                         "back after a seek"))
        try:
            yield wanted
        except BaseException:
            for tp in tps:
                gate.rollback(tp, processed[tp], fetched[tp])
            raise


class TrackedQueue(asyncio.Queue):  # type: ignore[type-arg]
    """The producer buffer's queue; idle when empty and its one reader finished the last item
    (the buffer task calls get() again only after the previous record was sent)."""

    def __init__(self) -> None:
        super().__init__()
        self.idle = asyncio.Event()
        self.idle.set()

    def put_nowait(self, item: Any) -> None:
        self.idle.clear()
        super().put_nowait(item)

    async def get(self) -> Any:
        if self.empty():
            self.idle.set()
        return await super().get()


class GatedProducer(aiokafka_driver.Producer):
    """Producer whose buffer (table changelog writes) can be waited for until sent, and whose
    transactions commit concurrently."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        require(PRODUCER_BUFFER)
        require(PRODUCER_BUFFER_STATE, self.buffer)
        if self.app.conf.producer_threaded:
            # The threaded producer reads the buffer from its own queue, which a commit
            # cannot wait for: a changelog write could trail into the next transaction.
            raise RuntimeError("exactly_once does not work with Faust's producer_threaded "
                               "(SENDGUARD_FAUST_PRODUCER_THREADED): unset it")
        # Faust keeps these on the class, shared by every producer of the process.
        self._transaction_producers = {}
        self._trn_locks = {}
        self.buffer.pending = TrackedQueue()

    async def buffer_sent(self) -> None:
        """Wait until every record put in the buffer (Faust's changelog writes) was sent."""
        pending: TrackedQueue = self.buffer.pending  # type: ignore[assignment]
        await pending.idle.wait()

    async def maybe_begin_transaction(self, transactional_id: str) -> None:
        """Begin a transaction for a partition assigned, unless its producer, kept through
        the rebalance, is in one already.

        A rebalance commits every transaction that holds records or offsets
        (`ExactlyOnceConsumer.commit_and_end_transactions`); one begun by the last periodic
        commit with nothing in it since is kept (Faust's begins again, fails and logs a
        warning per producer at every rebalance). One that holds something stops the worker:
        the gate forgot what it processed, so committing it would decide those records twice
        and aborting it would leave this worker's tables ahead of the changelog; a restart
        rebuilds them and decides again from the committed offsets."""
        producer = self._transaction_producers.get(transactional_id)
        if producer is None:
            await self.begin_transaction(transactional_id)
            begun = self._transaction_producers.get(transactional_id)
            if begun is not None:
                require(KAFKA_PRODUCER_STATE, begun)
            return
        txn = producer._txn_manager  # noqa: SLF001
        if txn is not None and txn.is_in_transaction():
            if txn.is_empty_transaction() and not txn.partitions_to_add():
                return
            await self.app.crash(RuntimeError(
                f"exactly-once: transaction {transactional_id} held records across a "
                "rebalance"))
            return
        await self.begin_transaction(transactional_id)

    async def commit_transactions(self, tid_to_offset_map: Any, group_id: str,
                                  start_new_transaction: bool = True) -> None:
        """Faust commits its transactional producers one after another, three broker round
        trips each (offsets, commit, begin): with 13 of them a commit took longer than a short
        commit interval, and sends to a transaction being committed wait. They are
        independent."""
        await asyncio.gather(*(
            self._commit_one(tid, offsets, group_id, start_new_transaction)
            for tid, offsets in tid_to_offset_map.items()))

    async def _commit_one(self, transactional_id: str, offsets: Any, group_id: str,
                          start_new_transaction: bool) -> None:
        async with self._trn_locks[transactional_id]:
            producer = self._transaction_producers.get(transactional_id)
            if producer is None:
                log.warning("commit invoked for unknown transaction %s", transactional_id)
                return
            await producer.send_offsets_to_transaction(offsets, group_id)
            await producer.commit_transaction()
            if start_new_transaction:
                await producer.begin_transaction()


class CommittedEndConsumerThread(aiokafka_driver.AIOKafkaConsumerThread):
    """Changelog highwaters asked of the broker, not read from the fetcher's cache.

    In a transaction Faust takes each changelog partition's highwater from the consumer's
    last_stable_offset, which aiokafka knows only for partitions it has fetched: for one just
    assigned it is None, the highwater becomes -1, and a worker taking over a partition whose
    standby copy persisted an offset stops with ConsistencyError ("persisted offset higher than
    the highwater", faust-streaming #158). A ListOffsets request made with read_committed (the
    consumer's isolation level here) returns the same last stable offset, always.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        require(CONSUMER_THREAD)

    async def _highwaters(self, partitions: Any) -> Any:
        return await self._ensure_consumer().end_offsets(list(partitions))


class ExactlyOnceConsumer(BatchConsumer):
    """Consumer that commits, with the gate closed, the offsets of the events processed."""

    # The tables' changelog topics, read once per consumer generation (tables are all
    # registered before the consumer subscribes; a new one would mean a rebalance).
    _changelog_topics: frozenset[str] = frozenset()
    _changelogs_generation: int | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.gate: CommitGate[TP] = CommitGate()
        # The transactions being committed now, by transactional id, each set when committed
        # (BatchSender waits: aiokafka refuses a send to a transaction being committed).
        self.committing: dict[str, asyncio.Event] = {}
        super().__init__(*args, **kwargs)
        self.__init_callback()

    def _new_consumer_thread(self) -> aiokafka_driver.AIOKafkaConsumerThread:
        return CommittedEndConsumerThread(self, loop=self.loop, beacon=self.beacon)

    async def force_commit(self, topics: Any = None,
                           start_new_transaction: bool = True) -> bool:
        """Snapshot, with the gate closed, the offsets of the events processed; then commit
        them with the gate open again: batches go on deciding while the broker commits, and
        only their sends to a transaction being committed wait for it (sender.py)."""
        if not self.app.in_transaction:
            return await super().force_commit(topics, start_new_transaction)
        async with self.gate.closed():
            producer: GatedProducer = self.app.producer  # type: ignore[assignment]
            await producer.buffer_sent()
            offsets = {tp: offset for tp, offset in self.gate.processed.items()
                       if (topics is None or tp in topics or tp.topic in topics)
                       and self._should_commit(tp, offset)}
            if not offsets:
                return False
            for tp in offsets:
                self.committing.setdefault(input_transactional_id(self.app, tp),
                                           asyncio.Event())
        try:
            sensor_state = self.app.sensors.on_commit_initiated(self)
            did_commit = await self._commit_offsets(
                offsets, start_new_transaction=start_new_transaction)
            self.app.sensors.on_commit_completed(self, sensor_state)
        finally:
            for done in self.committing.values():
                done.set()
            self.committing.clear()
        self._forget_acked(offsets)
        return did_commit

    def _forget_acked(self, offsets: dict[TP, int]) -> None:
        """Faust's own ack bookkeeping is not used for commits here; keep it bounded."""
        for tp, offset in offsets.items():
            acked = self._acked.get(tp)
            if acked:
                acked[:] = [o for o in acked if o >= offset]
            index = self._acked_index.get(tp)
            if index:
                index.difference_update([o for o in index if o < offset])
            gap = self._gap.get(tp)
            if gap:
                gap.chop(0, offset)

    async def commit_and_end_transactions(self) -> None:
        """Commit what was processed and begin no new transaction (a rebalance, a stop).

        Faust's returns at once when a periodic commit is under way, and that one begins new
        transactions: the records of the batches processed since its snapshot stayed in an
        open transaction across the rebalance, uncommitted, while the gate forgot them."""
        while await self.maybe_wait_for_commit_to_finish():
            pass  # (no await between the last check and the commit: none starts meanwhile)
        await self.commit(start_new_transaction=False)

    async def on_partitions_revoked(self, revoked: set[TP]) -> None:
        await super().on_partitions_revoked(revoked)  # commits what was processed first
        self.gate.forget(revoked)

    def drops_refetched(self, topic: str) -> bool:
        """Under exactly-once the gate skips what was processed; a table's changelog (read
        by recovery and standbys, not the gate) keeps Faust's rule."""
        return not self.app.in_transaction or topic in self.app.tables.changelog_topics

    def on_dropped(self, message: Message) -> None:
        self._note_fetched(message.tp, (message.offset,), message.generation_id)

    def on_not_handed_over(self, tp: TP, offsets: list[int], generation_id: int | None) -> None:
        """Records Faust's `getmany` drops are fetched but not processed: the gate seeks
        back for them."""
        self._note_fetched(tp, offsets, generation_id)

    def _deliver_now(self, message: Message) -> bool:
        """Batch delivery past the conductor (consumer.py) is a fetch the gate sees too."""
        if not super()._deliver_now(message):
            return False
        self._note_fetched(message.tp, (message.offset,), message.generation_id)
        return True

    def _note_fetched(self, tp: TP, offsets: Iterable[int], generation_id: int | None) -> None:
        """Tell the gate of records fetched in consumer generation `generation_id`: those of
        an older one are fetched anew from the committed offset, and a changelog's are read by
        recovery and standbys, not processed."""
        if generation_id != self.app.consumer_generation_id:
            return
        if self._changelogs_generation != generation_id:  # (a set built per call upstream)
            self._changelog_topics = frozenset(self.app.tables.changelog_topics)
            self._changelogs_generation = generation_id
        if tp.topic not in self._changelog_topics:
            for offset in offsets:
                self.gate.on_fetched(tp, offset)

    def __init_callback(self) -> None:
        deliver = self.callback

        async def on_message(message: Message) -> Any:
            self._note_fetched(message.tp, (message.offset,), message.generation_id)
            return await deliver(message)

        self.callback = on_message


def discard_local_tables(tabledir: Path) -> None:
    """Delete this worker's local copy of the tables before it starts, so that recovery
    rebuilds them from the committed changelog.

    Faust writes a table change to RocksDB at once and to the changelog in the transaction; a
    worker killed before the commit leaves changes on disk that Kafka aborted, and recovery
    only overwrites keys that have a later committed record: a recipient first seen in the
    aborted transaction would keep a decision that never happened (its re-delivered intent
    dropped as a duplicate). Kafka Streams wipes its stores after an unclean stop under
    exactly-once for the same reason. The cost is a full read of the (compacted) changelog at
    each start; little is lost, as Faust in a transaction never persists the offset of a live
    write (it files it under the changelog partition and looks it up under the input
    partition), only the one its last recovery reached, so a start already re-read everything
    written since. Standby copies on other workers are not affected: takeovers stay warm.
    """
    if tabledir.is_dir():
        shutil.rmtree(tabledir)
