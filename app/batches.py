"""Agents take their events in batches: Faust's per-event stream machinery is the worker's cost.

Profiled (docs/performance.md), the rules were ~5% of the worker's CPU; most of the rest was
Faust's `async for` per event (sensors, a wake-up per event, an ack per iteration), one awaited
send per record and one changelog write per table update. `event_batches` reads an agent's
channel queue directly, as Faust's own `Stream` does, and hands over every event already
delivered (up to a bound) at once. What Faust's stream does per event is kept: events of an
older consumer generation or arriving while flow control is off (a rebalance) are skipped and
acked, delivered events are tracked as unacked (so a rebalance waits for them), and every event
is acked after its batch, also if the batch raised. `BatchSender` hands a batch's records to the
producer at its end, one record batch per partition, without awaiting their delivery, in the
transaction of the input partition being processed under exactly-once (see app/eos.py), and
crashes the worker if a delivery fails: a decision must never be lost silently.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

import faust
from faust.streams import _current_event
from faust.transport.consumer import CONSUMER_FETCHING
from faust.transport.drivers import aiokafka as aiokafka_driver
from faust.types import TP, EventT, Message

from app import metrics

log = logging.getLogger(__name__)
T = TypeVar("T")
PARTITION_CACHE_KEYS = 100_000  # keys whose partition BatchSender remembers (~20 MiB at most)
TURN_EVERY = 50  # events an agent decides between two turns of the event loop (~5 ms)


class BatchDelivery:
    """Consumer mixin: Faust's fetch loop without a task and an `asyncio.wait` per record.

    Faust hands each fetched record to the conductor through `wait_first(callback,
    suspend_flow)`: four futures, an `asyncio.wait` and a return to the event loop per record,
    so an agent woke for every record and never saw a batch. This is the same loop (same
    per-record bookkeeping, same order, same lazy fetch iterator, a yield every 100 records)
    with the callback awaited directly while flow is on. While flow is suspended (a
    rebalance) a record is dropped as Faust's `wait_first` drops it: its read offset moves on
    and `on_dropped` sees it, so the exactly-once gate fetches it again (app/eos.py).

    Faust's loop also drops, silently, a record below the partition's read offset (taken as
    fetched twice) and, in `getmany`, the rest of a fetch when flow stops, the generation
    changes or a partition is paused. After a rebalance the read offset can be ahead of
    records never handed over (the loop sets it while recovery seeks to the committed offset),
    so under exactly-once such a drop lost records for good. Here `drops_refetched` decides the
    first drop (app/eos.py hands those records to its gate) and `on_not_handed_over` is told
    of the others.
    """

    def on_dropped(self, message: Message) -> None:
        """Called for a record not delivered because flow is suspended."""

    def on_not_handed_over(self, tp: TP, offsets: list[int], generation_id: int) -> None:
        """Called with the offsets of records of a fetch made in consumer generation
        `generation_id` that `getmany` does not hand over (Faust's fetch loop drops them)."""

    def drops_refetched(self, topic: str) -> bool:
        """Whether a record of `topic` below its partition's read offset is dropped as
        fetched twice (Faust's rule; app/eos.py's gate tells a record processed from one that
        is not)."""
        return True

    async def getmany(self, timeout: float) -> AsyncIterator[tuple[TP, Message]]:
        """Faust's `Consumer.getmany`, with `on_not_handed_over` told of what it drops."""
        consumer: Any = self
        records, active_partitions = await consumer._wait_next_records(timeout)
        generation_id = consumer.app.consumer_generation_id
        if records is None or consumer.should_stop:
            return
        if not consumer.flow_active:  # Faust: seek back to the committed offsets
            for tp, fetched in records.items():
                self.on_not_handed_over(tp, [r.offset for r in fetched], generation_id)
            try:
                await consumer.perform_seek()
            except Exception as exc:
                log.warning("exception performing seek when flow not active %r", exc)
            return
        left = {tp: len(fetched) for tp, fetched in records.items()}
        to_message = consumer._to_message
        try:
            for tp, record in consumer.scheduler.iterate(records):
                if (not consumer.flow_active
                        or consumer.app.consumer_generation_id != generation_id):
                    break
                left[tp] -= 1
                if (active_partitions is None or tp in active_partitions
                        or tp in consumer._buffered_partitions):
                    consumer.app.monitor.track_tp_end_offset(tp, consumer.highwater(tp))
                    yield tp, to_message(tp, record)
                else:
                    self.on_not_handed_over(tp, [record.offset], generation_id)
        finally:
            for tp, count in left.items():
                if count:
                    self.on_not_handed_over(tp, [r.offset for r in records[tp][-count:]],
                                            generation_id)

    async def _drain_messages(self, fetcher: Any) -> None:
        consumer: Any = self
        consumer_stopped = consumer._stopped.is_set
        fetcher_stopped = fetcher._stopped.is_set
        callback = consumer.callback
        read_offsets = consumer._read_offset
        acks_enabled_for = consumer.app.topics.acks_enabled_for
        commit_every = consumer._commit_every
        suspended = consumer.suspend_flow.is_set
        drops_refetched = self.drops_refetched
        since_yield = 0
        try:
            while not (consumer_stopped() or fetcher_stopped()):
                consumer.diag.set_flag(CONSUMER_FETCHING)
                records = consumer.getmany(timeout=1.0)
                await asyncio.sleep(0)  # as Faust: never hold the loop across fetches
                if not consumer.should_stop:
                    async for tp, message in records:
                        since_yield += 1
                        if since_yield > 100:
                            await asyncio.sleep(0)
                            since_yield = 0
                        offset = message.offset
                        read = read_offsets[tp]
                        if (read is not None and offset < read
                                and drops_refetched(message.topic)):
                            continue  # fetched again: Faust drops it here too
                        if read and offset - read > 1 and acks_enabled_for(message.topic):
                            await consumer._add_gap(tp, read + 1, offset)
                        if commit_every is not None and consumer._n_acked >= commit_every:
                            consumer._n_acked = 0
                            await consumer.commit()
                        if suspended():
                            self.on_dropped(message)
                        elif not self._deliver_now(message):
                            await callback(message)
                        read_offsets[tp] = offset
                consumer.diag.unset_flag(CONSUMER_FETCHING)
        except consumer.consumer_stopped_errors:
            if consumer.transport.app.should_stop:
                log.info("Broker stopped consumer, shutting down...")
                return
            raise
        except asyncio.CancelledError:
            if consumer.transport.app.should_stop:
                log.info("Consumer shutting down for user cancel.")
                return
            raise
        except Exception as exc:
            log.exception("Drain messages raised: %r", exc)
            raise
        finally:
            consumer.diag.unset_flag(CONSUMER_FETCHING)

    def _deliver_now(self, message: Message) -> bool:
        """Hand `message` to its batch agent's queue at once (`FastDelivery`); False if the
        conductor must deliver it."""
        deliverers: dict[TP, tuple[Any, FastDelivery | None]] | None = getattr(
            self, "_deliverers", None)
        if deliverers is None:
            deliverers = self._deliverers = {}  # type: ignore[attr-defined]
        tp = message.tp
        consumer: Any = self
        conductor = consumer.app.topics
        handler = conductor._tp_to_callback.get(tp)
        known = deliverers.get(tp)
        if known is None or known[0] is not handler:
            known = deliverers[tp] = (handler, FastDelivery.for_partition(consumer.app, tp))
        return known[1] is not None and known[1](message)


class FastDelivery:
    """Faust's conductor, for a partition read only by one batch agent with raw bytes.

    Per record, Faust's conductor takes a lock, awaits flow control and the producer buffer,
    decodes key and value through the serializer registry (the identity, for raw topics) and
    builds the Event: ~15% of the worker's CPU. This does the same synchronously, and hands
    back (False) every record it cannot deliver as the conductor would: flow control off (a
    rebalance), the producer buffer over its limit, the agent's queue full, so the conductor
    handles those exactly as before (it waits).
    """

    def __init__(self, app: faust.App, tp: TP, channel: Any) -> None:
        tp = TP(tp.topic, tp.partition)  # Faust's own type: the consumer asserts it
        consumer = app.consumer
        on_topic_buffer_full = app.sensors.on_topic_buffer_full

        def on_pressure_high() -> None:  # as the conductor's: stop fetching this partition
            on_topic_buffer_full(tp)
            consumer.on_buffer_full(tp)

        def on_pressure_drop() -> None:
            consumer.on_buffer_drop(tp)

        self._app = app
        self._queue = channel.queue
        self._flowing = app.flow_control.is_active
        self._buffer = app.producer.buffer
        self._event = app.conf.Event
        self._pressure = {"on_pressure_high": on_pressure_high,
                          "on_pressure_drop": on_pressure_drop}

    @classmethod
    def for_partition(cls, app: faust.App, tp: TP) -> FastDelivery | None:
        channels = app.topics._tp_index.get(tp) or ()
        if len(channels) != 1:
            return None
        (channel,) = channels
        return cls(app, tp, channel) if channel in _raw_batch_channels(app) else None

    def __call__(self, message: Message) -> bool:
        buffer, queue = self._buffer, self._queue
        if not self._flowing() or buffer.size > buffer.max_messages or queue.full():
            return False
        message.incref(1)
        queue.put_nowait_enhanced(
            self._event(self._app, message.key, message.value, message.headers, message),
            **self._pressure)
        return True


def _raw_batch_channels(app: faust.App) -> weakref.WeakSet[Any]:
    """The channels `event_batches` reads whose key and value are raw bytes."""
    return per_app(app, "_sendguard_raw_batch_channels", weakref.WeakSet)


def per_app(app: faust.App, attribute: str, create: Callable[[], T]) -> T:
    """The object SendGuard keeps on `app` under `attribute`, created on first use (one per
    app, as a worker process runs one; tests build several)."""
    value = getattr(app, attribute, None)
    if value is None:
        value = create()
        setattr(app, attribute, value)
    return value


class BatchDeliveryConsumer(BatchDelivery, aiokafka_driver.Consumer):
    """Faust's aiokafka consumer with batch delivery (at-least-once; app/eos.py has its own)."""


def install() -> None:
    """Use batch delivery for every app in this process; app/eos.py's consumer extends it."""
    aiokafka_driver.Transport.Consumer = BatchDeliveryConsumer


async def event_batches(stream: faust.StreamT, max_events: int,
                        agent: str) -> AsyncIterator[list[EventT]]:
    """Yield lists of the events delivered to the agent's stream, in order, each acked after."""
    batch_size = metrics.AGENT_BATCH.labels(agent)
    app = stream.app
    channel: Any = stream.channel.__aiter__()  # registers it with the conductor, as `async for`
    if _is_raw(channel):
        _raw_batch_channels(app).add(channel)
    queue = channel.queue
    consumer = app.consumer
    acking_topics = app.topics.acking_topics
    flow_control = app.flow_control
    sensors = Sensors(app)
    while True:
        try:
            first = await channel.__anext__()
        except StopAsyncIteration:  # the channel closed: the worker is stopping
            return
        events = [first]
        while len(events) < max_events and not queue.empty():
            events.append(queue.get_nowait())
        generation = app.consumer_generation_id
        batch: list[EventT] = []
        tracked: list[Message] = []
        for event in events:
            message = event.message
            if not flow_control.is_active() or message.generation_id != generation:
                if event.ack():  # what Faust's stream does with such an event: skip and ack
                    sensors.out([message])
                continue
            if message.topic in acking_topics and not message.tracked:
                message.tracked = True  # Faust's consumer.track_message, sensors once per batch
                consumer._unacked_messages.add(message)
                tracked.append(message)
            batch.append(event)
        if tracked:
            sensors.into(tracked)
        if not batch:
            continue
        batch_size.observe(len(batch))
        try:
            yield batch
        finally:
            sensors.out([event.message for event in batch if event.ack()])
            _current_event.set(None)


class Sensors:
    """Faust's per-record sensor calls, once per batch where every sensor takes batches (the
    worker's own, app/metrics.py: Faust's Prometheus sensor, without a lock per record)."""

    def __init__(self, app: faust.App) -> None:
        self._sensors = list(app.sensors)
        self._batched = all(isinstance(sensor, metrics.FaustSensor) for sensor in self._sensors)
        self._on_message_in = app.sensors.on_message_in
        self._on_message_out = app.sensors.on_message_out

    def into(self, messages: list[Message]) -> None:
        """Records handed to the agent (Faust's `on_message_in`)."""
        if self._batched:
            for sensor in self._sensors:
                sensor.on_messages_in(messages)
        else:
            for message in messages:
                self._on_message_in(message.tp, message.offset, message)

    def out(self, messages: list[Message]) -> None:
        """Records acked (Faust's `on_message_out`)."""
        if not messages:
            return
        if self._batched:
            for sensor in self._sensors:
                sensor.on_messages_out(len(messages))
        else:
            for message in messages:
                self._on_message_out(message.tp, message.offset, message)


def _is_raw(channel: Any) -> bool:
    """Whether the channel's events are its records' bytes as they are (raw codecs, no model)."""
    schema = getattr(channel, "schema", None)
    return (schema is not None and schema.key_type is None and schema.value_type is None
            and schema.key_serializer == "raw" and schema.value_serializer == "raw")


async def with_turns(events: list[EventT]) -> AsyncIterator[EventT]:
    """The events of a batch, with a turn of the event loop every TURN_EVERY of them: a
    commit's broker round trips run while batches are decided (app/eos.py), and each waits
    for a turn."""
    for i, event in enumerate(events):
        if i and not i % TURN_EVERY:
            await asyncio.sleep(0)
        yield event


def set_current_event(event: EventT) -> None:
    """Make `event` Faust's current event: table writes use its partition for the changelog,
    RocksDB reads go to its partition's database instead of trying every partition."""
    _current_event.set(weakref.ref(event))


def transactions_committing(app: faust.App) -> dict[str, asyncio.Event]:
    """The transactions being committed now, by transactional id, each set when committed:
    aiokafka refuses a send to a transaction being committed, and a record sent then belongs
    to the next one (app/eos.py takes the offsets a commit covers before it starts)."""
    return per_app(app, "_sendguard_committing", dict)


def transactional_id(app: faust.App, source: TP) -> str:
    """The transactional id Faust commits the offsets of input partition `source` under."""
    return f"{app.conf.id}-{app.assignor.group_for_topic(source.topic)}-{source.partition}"


class BatchSender:
    """Collects a batch's records and hands them to the producer at the end of the batch, one
    record batch per (transaction, partition), without awaiting their delivery; a failed
    delivery crashes the worker.

    Per-record `send` (Faust's and aiokafka's) cost a metadata lookup, two partition-set
    copies, a lock, and a future per record, which was ~20% of the worker's CPU; aiokafka's
    `send_batch` takes a `BatchBuilder` filled here instead (records keep their order per
    partition, which is all Kafka orders).
    """

    def __init__(self, app: faust.App) -> None:
        self._app = app
        self._transactional_ids: dict[TP, str] = {}
        self._generation: int | None = None
        self._partitions: dict[tuple[str, bytes | None], int] = {}
        # (transactional id or None, topic, partition) -> [(key, value, timestamp ms)]
        self._pending: dict[tuple[str | None, str, int],
                            list[tuple[bytes | None, bytes | None, int | None]]] = {}
        self._tables: dict[str, Any] = {}  # changelog topic -> its table

    def add(self, topic: str, key: bytes | None, value: bytes, timestamp_ms: int | None,
            source: TP) -> None:
        """Queue a record; under exactly-once for the transaction of input partition `source`,
        the one its offsets commit in (app/eos.py)."""
        self._queue(topic, self._partition(topic, key), key, value, timestamp_ms, source)

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
    async def batch(self) -> AsyncIterator[None]:
        """Around one agent batch, inside `eos.processing_batch` (so the commit that covers the
        batch's offsets covers its records): queued records are sent at the end, or dropped
        if the batch raised (its events are processed again)."""
        try:
            yield
        except BaseException:
            self._pending.clear()
            raise
        await self.flush()

    async def flush(self) -> None:
        """Hand every queued record to its producer, in its transaction."""
        pending, self._pending = self._pending, {}
        producer = self._app.producer
        committing = transactions_committing(self._app)
        for (tid, topic, partition), records in pending.items():
            if tid is None:
                await self._send_batches(producer._ensure_producer(), topic, partition, records)
                continue
            commit = committing.get(tid)
            if commit is not None:
                await commit.wait()
            client = producer._transaction_producers.get(tid)
            if client is None:
                raise RuntimeError(f"no transactional producer for {tid}")
            async with producer._trn_locks[tid]:
                await self._send_batches(client, topic, partition, records)

    async def _send_batches(self, client: Any, topic: str, partition: int,
                            records: list[tuple[bytes | None, bytes | None, int | None]]) -> None:
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
            sent.add_done_callback(lambda future: self._on_changelog_sent(table, future, count))

    def _on_changelog_sent(self, table: Any, future: Any, count: int) -> None:
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
            return self._app.consumer.key_partition(topic, key, None)
        partition = self._partitions.get((topic, key))
        if partition is None:
            if len(self._partitions) >= PARTITION_CACHE_KEYS:
                self._partitions.clear()
            partition = self._app.consumer.key_partition(topic, key, None)
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
