"""Batch delivery: Faust's fetch loop, handing records to the batch agents without a task and
an `asyncio.wait` per record, and a meter of records per fetch.

Faust hands each fetched record to the conductor through `wait_first(callback,
suspend_flow)`: four futures, an `asyncio.wait` and a return to the event loop per record,
so an agent woke for every record and never saw a batch. `BatchDelivery._drain_messages` is
the same loop (same per-record bookkeeping, same order, same lazy fetch iterator, a yield
every 100 records) with the callback awaited directly while flow is on. While flow is
suspended (a rebalance) a record is dropped as Faust's `wait_first` drops it: its read offset
moves on and `on_dropped` sees it, so the exactly-once gate fetches it again (eos.py).

Faust's loop also drops, silently, a record below the partition's read offset (taken as
fetched twice) and, in `getmany`, the rest of a fetch when flow stops, the generation changes
or a partition is paused. After a rebalance the read offset can be ahead of records never
handed over (the loop sets it while recovery seeks to the committed offset), so under
exactly-once such a drop would lose records for good. Here `drops_refetched` decides the first
drop (eos.py hands those records to its gate) and `on_not_handed_over` is told of the others.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import AsyncIterator
from typing import Any

from faust.transport.consumer import CONSUMER_FETCHING
from faust.transport.drivers import aiokafka as aiokafka_driver
from faust.types import TP, AppT, Message

from app.faust_ext.contract import CONDUCTOR_STATE, CONSUMER, CONSUMER_STATE, FETCHER_STATE, require
from app.faust_ext.standby import StandbyApplier
from app.runtime import metrics

log = logging.getLogger(__name__)


class BatchDelivery:
    """Consumer mixin: Faust's fetch loop with batch delivery (module doc)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # per partition: (the conductor's handler, FastDelivery or None) it was built for
        self.deliverers: dict[TP, tuple[Any, FastDelivery | None]] = {}
        # the channels `event_batches` reads whose keys and values are raw bytes
        self.raw_batch_channels: weakref.WeakSet[Any] = weakref.WeakSet()

    def on_dropped(self, message: Message) -> None:
        """Called for a record not delivered because flow is suspended."""

    def on_not_handed_over(self, tp: TP, offsets: list[int], generation_id: int | None) -> None:
        """Called with the offsets of records of a fetch made in consumer generation
        `generation_id` that `getmany` does not hand over (Faust's fetch loop drops them)."""

    def take_standby(self, message: Message) -> bool:
        """Whether `message`, a standby changelog record, was applied here (standby.py)
        rather than handed to Faust's conductor."""
        return False

    def after_fetch(self) -> None:
        """Called after the records of each fetch were handed over."""

    def drops_refetched(self, topic: str) -> bool:
        """Whether a record of `topic` below its partition's read offset is dropped as
        fetched twice (Faust's rule; eos.py's gate tells a record processed from one that
        is not)."""
        return True

    async def _getmany(self, active_partitions: Any, timeout: float) -> Any:
        """Faust's, counting records per fetch (its sensor has no batch-size metric), and
        handing over what is buffered of the app's priority topics (`SeamApp.priority_topics`)
        before anything else: a fetch of bulk records is delivered whole, one record at a
        time into its agent's queue, so a priority record behind it would wait until the bulk
        agent has decided most of it. With `broker_max_poll_records` bounding a fetch, a
        priority record waits for at most that many bulk records to be queued."""
        records: Any = None
        priority = getattr(self.app, "priority_topics", None)  # type: ignore[attr-defined]
        if priority and active_partitions:
            first = {tp for tp in active_partitions if tp.topic in priority}
            if first:
                records = await super()._getmany(first, 0.0)  # type: ignore[misc]
        if not records:
            records = await super()._getmany(active_partitions, timeout)  # type: ignore[misc]
        count = sum(len(batch) for batch in records.values())
        if count:
            metrics.FETCH_BATCH.observe(count)
        return records

    async def getmany(self, timeout: float) -> AsyncIterator[tuple[TP, Message]]:
        """Faust's `Consumer.getmany`, with `on_not_handed_over` told of what it drops and
        each partition's end offset tracked once per fetch (Faust: per record)."""
        consumer: Any = self
        records, active_partitions = await consumer._wait_next_records(timeout)  # noqa: SLF001
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
        to_message = consumer._to_message  # noqa: SLF001
        buffered = consumer._buffered_partitions  # noqa: SLF001
        tracked: set[TP] = set()  # end offsets: once per partition and fetch, not per record
        try:
            for tp, record in consumer.scheduler.iterate(records):
                if (not consumer.flow_active
                        or consumer.app.consumer_generation_id != generation_id):
                    break
                left[tp] -= 1
                if active_partitions is None or tp in active_partitions or tp in buffered:
                    if tp not in tracked:
                        tracked.add(tp)
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
        """Faust's fetch loop, delivering to batch agents at once (module doc)."""
        require(FETCHER_STATE, fetcher)
        consumer: Any = self
        consumer_stopped = consumer._stopped.is_set  # noqa: SLF001
        fetcher_stopped = fetcher._stopped.is_set  # noqa: SLF001
        callback = consumer.callback
        read_offsets = consumer._read_offset  # noqa: SLF001
        commit_every = consumer._commit_every  # noqa: SLF001
        acks_enabled_for = consumer.app.topics.acks_enabled_for
        suspended = consumer.suspend_flow.is_set
        drops_refetched = self.drops_refetched
        take_standby = self.take_standby
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
                            await consumer._add_gap(tp, read + 1, offset)  # noqa: SLF001
                        if commit_every is not None and consumer._n_acked >= commit_every:  # noqa: SLF001
                            consumer._n_acked = 0  # noqa: SLF001
                            await consumer.commit()
                        if suspended():
                            self.on_dropped(message)
                        elif not (take_standby(message) or self._deliver_now(message)):
                            await callback(message)
                        read_offsets[tp] = offset
                    self.after_fetch()
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
        tp = message.tp
        consumer: Any = self
        handler = consumer.app.topics._tp_to_callback.get(tp)  # noqa: SLF001
        known = self.deliverers.get(tp)
        if known is None or known[0] is not handler:
            known = self.deliverers[tp] = (handler,
                                           FastDelivery.for_partition(consumer.app, tp))
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

    def __init__(self, app: AppT, tp: TP, channel: Any) -> None:
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
        self._event: Any = app.conf.Event
        self._pressure = {"on_pressure_high": on_pressure_high,
                          "on_pressure_drop": on_pressure_drop}

    @classmethod
    def for_partition(cls, app: AppT, tp: TP) -> FastDelivery | None:
        channels: Any = app.topics._tp_index.get(tp) or ()  # type: ignore[attr-defined]  # noqa: SLF001
        if len(channels) != 1:
            return None
        (channel,) = channels
        raw_channels = app.consumer.raw_batch_channels  # type: ignore[attr-defined]
        return cls(app, tp, channel) if channel in raw_channels else None

    def __call__(self, message: Message) -> bool:
        buffer, queue = self._buffer, self._queue
        if not self._flowing() or buffer.size > buffer.max_messages or queue.full():
            return False
        message.incref(1)
        queue.put_nowait_enhanced(
            self._event(self._app, message.key, message.value, message.headers, message),
            **self._pressure)
        return True


class BatchConsumer(BatchDelivery, aiokafka_driver.Consumer):
    """Faust's aiokafka consumer with batch delivery (at-least-once; eos.py extends it)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        require(CONSUMER)
        require(CONSUMER_STATE, self)
        require(CONDUCTOR_STATE, self.app.topics)
        self.standby = StandbyApplier(self.app)

    def take_standby(self, message: Message) -> bool:
        return self.standby.take(message)

    def after_fetch(self) -> None:
        self.standby.after_fetch()


def batch_consumer(app: AppT) -> BatchDelivery:
    """The app's consumer, which must be the seam's (an app made by faust_ext.SeamApp)."""
    consumer = app.consumer
    if not isinstance(consumer, BatchDelivery):
        raise TypeError(f"{type(consumer).__name__} is not the seam's consumer: make the app "
                        "with app.faust_ext.transport.SeamApp")
    return consumer
