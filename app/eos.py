"""Exactly-once on Faust: put every send in the transaction of the partition being processed.

Faust's TransactionManager.send derives a record's transactional id from the partition the
record is sent *to* (its destination's copartition group and partition number), not from the
input partition being processed (faust-streaming #440; compare #517, #323, #177). Offsets, on
the other hand, are committed in the transaction of the *input* partition. So a record the
repartition agent sends from sms.send-intents partition 2 to sendguard.recipient-events
partition 5 joins partition 5's transaction, which only commits when partition 5's offsets
advance, which needs that very record, which a read_committed consumer cannot see: the worker
stalls with nothing logged. Records for topics the worker does not consume (sms.approved) have
no such group and were sent outside any transaction.

The fix is one method: within an event, send with the transactional id of the event's own
input partition (the id Faust's commit uses for that partition's offsets); outside an event
(buffered changelog writes flushed later) keep Faust's behaviour, which derives
the changelog partition's id, equal to its input partition's by copartitioning.

Second, what a transaction holds must match the offsets it commits. Faust commits the offsets
it derives from acks, which lag far behind what was processed when the input has gaps (the
transaction markers in sendguard.recipient-events; faust-streaming #606, #517), and it takes
that snapshot while agents keep processing, and table changelog writes (buffered, sent by a
background task) can trail their event into the next transaction. Killed with -9, the worker
re-decided events whose decisions were already committed: tests/test_faults_kafka.py found
9,325 of 50,000 msg_ids decided twice after three kill -9s. The fix is a gate: each batch of events
(app/batches.py) runs inside `processing_batch(app, events)`; a commit closes the gate, waits
until no batch is in progress and the changelog buffer is sent, takes, per input
partition, the offset after the last event processed, and opens the gate again while the
broker commits: a batch's sends to a transaction being committed wait until it is (its
records belong to the next one). Batches run concurrently with each other and with a
commit's round trips, never with its snapshot.

Third, Faust sometimes drops records it fetched (its stream queues are cleared when flow
resumes after a rebalance, while the fetch position has moved on), and re-delivers others. The
gate tracks fetched offsets: a re-delivered record is skipped; for a dropped one it seeks back
and skips what arrives until that record comes again, so nothing is committed past it. If it
does not come back within RESYNC_TIMEOUT_S the worker stops (exit 1) and a restart decides it:
never a lost intent. So the gate, not Faust's read offset, tells a record fetched twice: a
worker joining a busy group made the other lose a block of records, dropped as "fetched twice"
against a read offset the fetch loop had moved on during recovery (app/batches.py).

And a rebalance commits what was processed even when a periodic commit is under way: Faust
then skipped its own, and the transactions of the partitions kept stayed open across the
rebalance while the gate forgot what they held.

Fourth, recovery. Under a transaction Faust reads changelog highwaters from a cache that is
empty for a partition just assigned, and fails with ConsistencyError where a standby copy had
persisted an offset (faust-streaming #158): `CommittedEndConsumerThread` asks the broker. And
RocksDB keeps table writes whose transaction a crash aborted: `discard_local_tables` makes each
start rebuild the tables from the committed changelog, as Kafka Streams does under EOS. And a
repeated flow-control resume dropped queued standby changelog records, so a worker taking a
partition over decided on stale state: `keep_queues_on_repeated_resume`.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import logging
import shutil
import time
from collections.abc import AsyncIterator, Awaitable, Iterable
from pathlib import Path
from typing import Any

import faust
from faust.streams import current_event
from faust.transport.consumer import TransactionManager
from faust.transport.drivers import aiokafka as aiokafka_driver
from faust.types import TP, Message

from app.batches import BatchDelivery, per_app, transactions_committing
from app.batches import transactional_id as input_transactional_id

log = logging.getLogger(__name__)
RESYNC_TIMEOUT_S = 60.0  # a record sought back for must come within this, or the worker stops


class SourcePartitionTransactionManager(TransactionManager):
    """TransactionManager whose sends join the transaction of the input partition."""

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


class CommitGate:
    """Batches run concurrently with each other, never with a commit. Per input partition it
    knows the next offset to process and the offsets fetched but not processed yet, so a record
    Faust fetched twice is processed once and one it dropped is fetched again (module doc)."""

    def __init__(self) -> None:
        self._condition = asyncio.Condition()
        self._active = 0
        self._committing = False
        self.processed: dict[TP, int] = {}  # the offset after the last event processed
        self.fetched: dict[TP, list[int]] = {}  # fetched, not processed yet (sorted)
        self.resync: dict[TP, int] = {}  # after a seek back: skip until this offset arrives
        self._resync_since: dict[TP, float] = {}

    def on_fetched(self, tp: TP, offset: int) -> None:
        if offset >= self.processed.get(tp, -1):
            bisect.insort(self.fetched.setdefault(tp, []), offset)

    def forget(self, tps: Any) -> None:
        for tp in tps:
            self.processed.pop(tp, None)
            self.fetched.pop(tp, None)
            self.resync.pop(tp, None)
            self._resync_since.pop(tp, None)

    def verdict(self, tp: TP, offset: int, committed: int | None) -> int | None:
        """None: process the event; -1: skip it (already processed, or waiting for a
        re-fetch); otherwise skip it and seek back to the returned offset."""
        waiting = self.resync.get(tp)
        if waiting is not None:
            if offset != waiting:
                return -1
            del self.resync[tp]
            self._resync_since.pop(tp, None)
        expected = self.processed.get(tp, committed)
        if expected is not None and offset < expected:
            return -1  # fetched again (Faust re-delivers after some seeks)
        pending = self.fetched.get(tp)
        if pending and pending[0] < offset:
            # An earlier fetched record never reached the agent (Faust's queues are cleared
            # when flow resumes after a rebalance): fetch again from there.
            target = pending[0]
            self.fetched[tp] = []
            self.resync[tp] = target
            self._resync_since[tp] = time.monotonic()
            return target
        return None

    def resync_overdue(self, timeout_s: float) -> bool:
        """Whether a record sought back for has not come in `timeout_s` seconds."""
        now = time.monotonic()
        return any(now - since > timeout_s for since in self._resync_since.values())

    def rollback(self, tp: TP, processed: int | None, fetched: list[int]) -> None:
        """Forget what a failed batch processed of `tp` (see `processing_batch`)."""
        if processed is None:
            self.processed.pop(tp, None)
        else:
            self.processed[tp] = processed
        if tp not in self.resync:
            self.fetched[tp] = fetched

    def done(self, tp: TP, offset: int) -> None:
        self.processed[tp] = offset + 1
        pending = self.fetched.get(tp)
        if pending:
            del pending[:bisect.bisect_right(pending, offset)]

    @contextlib.asynccontextmanager
    async def event(self) -> AsyncIterator[None]:
        async with self._condition:
            await self._condition.wait_for(lambda: not self._committing)
            self._active += 1
        try:
            yield
        finally:
            async with self._condition:
                self._active -= 1
                self._condition.notify_all()

    @contextlib.asynccontextmanager
    async def closed(self) -> AsyncIterator[None]:
        """No batch in progress, none starting: a commit's snapshot of `processed`."""
        async with self._condition:
            await self._condition.wait_for(lambda: not self._committing)
            self._committing = True
            await self._condition.wait_for(lambda: self._active == 0)
        try:
            yield
        finally:
            async with self._condition:
                self._committing = False
                self._condition.notify_all()


def _gate(app: faust.App) -> CommitGate:
    return per_app(app, "_sendguard_commit_gate", CommitGate)


@contextlib.asynccontextmanager
async def processing_batch(app: faust.App,
                           events: list[faust.EventT]) -> AsyncIterator[list[faust.EventT]]:
    """Yield the events of a batch (app/batches.py) to process, in order, with no commit until
    the batch is done: always all of them unless exactly-once; else without a record already
    processed or out of order. If the batch raises, none of it counts as processed, so
    the next event of each partition seeks back to the first of them."""
    if not app.in_transaction:
        yield events
        return
    gate = _gate(app)
    consumer = app.consumer
    async with gate.event():
        tps = {event.message.tp for event in events}
        processed = {tp: gate.processed.get(tp) for tp in tps}
        fetched = {tp: list(gate.fetched.get(tp, ())) for tp in tps}
        wanted: list[faust.EventT] = []
        for event in events:
            message = event.message
            committed = consumer._committed_offset.get(message.tp)
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


class _TrackedQueue(asyncio.Queue):  # type: ignore[type-arg]
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
        self.buffer.pending = _TrackedQueue()

    async def maybe_begin_transaction(self, transactional_id: str) -> None:
        """Begin a transaction for a partition assigned, unless its producer, kept through
        the rebalance, is in one already.

        A rebalance commits every transaction that holds records or offsets
        (`GatedConsumer.commit_and_end_transactions`); one begun by the last periodic commit
        with nothing in it since is kept (Faust's begins again, fails and logs a warning per
        producer at every rebalance). One that holds something stops the worker: the gate
        forgot what it processed, so committing it would decide those records twice and
        aborting it would leave this worker's tables ahead of the changelog; a restart
        rebuilds them and decides again from the committed offsets."""
        producer = self._transaction_producers.get(transactional_id)
        txn = getattr(producer, "_txn_manager", None)
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

    async def _highwaters(self, partitions: Any) -> Any:
        return await self._ensure_consumer().end_offsets(list(partitions))


class GatedConsumer(BatchDelivery, aiokafka_driver.Consumer):
    """Consumer that commits, with the gate closed, the offsets of the events processed."""

    def _new_consumer_thread(self) -> aiokafka_driver.AIOKafkaConsumerThread:
        return CommittedEndConsumerThread(self, loop=self.loop, beacon=self.beacon)

    async def force_commit(self, topics: Any = None,
                           start_new_transaction: bool = True) -> bool:
        """Snapshot, with the gate closed, the offsets of the events processed; then commit
        them with the gate open again: batches go on deciding while the broker commits, and
        only their sends to a transaction being committed wait for it (app/batches.py)."""
        if not self.app.in_transaction:
            return await super().force_commit(topics, start_new_transaction)
        gate = _gate(self.app)
        async with gate.closed():
            pending = getattr(self.app.producer.buffer, "pending", None)
            if isinstance(pending, _TrackedQueue):
                await pending.idle.wait()
            offsets = {tp: offset for tp, offset in gate.processed.items()
                       if (topics is None or tp in topics or tp.topic in topics)
                       and self._should_commit(tp, offset)}
            if not offsets:
                return False
            committing = transactions_committing(self.app)
            for tp in offsets:
                committing.setdefault(input_transactional_id(self.app, tp), asyncio.Event())
        try:
            sensor_state = self.app.sensors.on_commit_initiated(self)
            did_commit = await self._commit_offsets(
                offsets, start_new_transaction=start_new_transaction)
            self.app.sensors.on_commit_completed(self, sensor_state)
        finally:
            for done in committing.values():
                done.set()
            committing.clear()
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
        _gate(self.app).forget(revoked)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.__init_callback()

    def drops_refetched(self, topic: str) -> bool:
        """Under exactly-once the gate skips what was processed; a table's changelog (read
        by recovery and standbys, not the gate) keeps Faust's rule."""
        return not self.app.in_transaction or topic in self.app.tables.changelog_topics

    def on_dropped(self, message: Message) -> None:
        self._note_fetched(message.tp, (message.offset,), message.generation_id)

    def on_not_handed_over(self, tp: TP, offsets: list[int], generation_id: int) -> None:
        """Records Faust's `getmany` drops are fetched but not processed: the gate seeks
        back for them."""
        self._note_fetched(tp, offsets, generation_id)

    def _deliver_now(self, message: Message) -> bool:
        """Batch delivery past the conductor (app/batches.py) is a fetch the gate sees too."""
        if not super()._deliver_now(message):
            return False
        self._note_fetched(message.tp, (message.offset,), message.generation_id)
        return True

    def _note_fetched(self, tp: TP, offsets: Iterable[int], generation_id: int) -> None:
        """Tell the gate of records fetched in consumer generation `generation_id`: those of
        an older one are fetched anew from the committed offset, and a changelog's are read by
        recovery and standbys, not processed."""
        if (generation_id == self.app.consumer_generation_id
                and tp.topic not in self.app.tables.changelog_topics):
            gate = _gate(self.app)
            for offset in offsets:
                gate.on_fetched(tp, offset)

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


def keep_queues_on_repeated_resume(app: faust.App) -> None:
    """Resuming flow that is already flowing must not clear the queues.

    Faust's FlowControlEvent.resume() always clears every queue it manages, among them the
    tables' changelog queue. Recovery resumes flow when it starts reading actives, and again
    when it starts the standbys: by then the fetch loop has already put standby changelog
    records in that queue, the second resume drops them, and the standby's offsets move past
    them (nothing notices the gap). A worker that later took such a partition over trusted its
    standby copy and decided on stale or empty state (tests/test_faults_kafka.py, takeover).
    Clearing is right on a suspended-to-flowing transition (what is queued then is from before
    the rebalance), so only a resume of flowing flow is made a no-op.
    """
    flow = app.flow_control
    resume = flow.resume

    def resume_unless_flowing() -> None:
        if not flow.is_active():
            resume()

    flow.resume = resume_unless_flowing  # type: ignore[method-assign]


def install() -> None:
    """Use the fixed classes for every app in this process (called for exactly_once only)."""
    aiokafka_driver.Transport.TransactionManager = SourcePartitionTransactionManager
    aiokafka_driver.Transport.Producer = GatedProducer
    aiokafka_driver.Transport.Consumer = GatedConsumer
