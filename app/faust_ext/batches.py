"""Agents take their events in batches: Faust's per-event stream machinery was the worker's cost.

Profiled (docs/performance.md), the rules were ~5% of the worker's CPU; most of the rest was
Faust's `async for` per event (sensors, a wake-up per event, an ack per iteration).
`event_batches` reads an agent's channel queue directly, as Faust's own `Stream` does, and
hands over every event already delivered (up to a bound) at once. What Faust's stream does per
event is kept: events of an older consumer generation or arriving while flow control is off (a
rebalance) are skipped and acked, delivered events are tracked as unacked (so a rebalance waits
for them), and every event is acked after its batch, also if the batch raised.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator
from typing import Any

import faust
from faust import streams
from faust.types import AppT, EventT, Message

from app.faust_ext import contract
from app.faust_ext.consumer import batch_consumer
from app.faust_ext.contract import require
from app.faust_ext.sensor import FaustSensor
from app.runtime import metrics

TURN_EVERY = 50  # events an agent decides between two turns of the event loop (~5 ms)

require(contract.STREAMS)


async def event_batches(stream: faust.StreamT, max_events: int,
                        agent: str) -> AsyncIterator[list[EventT]]:
    """Yield lists of the events delivered to the agent's stream, in order, each acked after."""
    batch_size = metrics.AGENT_BATCH.labels(agent)
    app = stream.app
    consumer = batch_consumer(app)
    channel: Any = stream.channel.__aiter__()  # registers it with the conductor, as `async for`
    if _is_raw(channel):
        consumer.raw_batch_channels.add(channel)
    queue = channel.queue
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
        track_unacked = app.consumer.unacked.add  # (a set Faust may replace: read per batch)
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
                track_unacked(message)
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
            streams._current_event.set(None)  # noqa: SLF001


class Sensors:
    """Faust's per-record sensor calls, once per batch where every sensor takes batches (the
    worker's own, sensor.py: Faust's Prometheus sensor, without a lock per record)."""

    def __init__(self, app: AppT) -> None:
        self._sensors = list(app.sensors)
        self._batched = all(isinstance(sensor, FaustSensor) for sensor in self._sensors)
        self._message_in = app.sensors.on_message_in
        self._message_out = app.sensors.on_message_out

    def into(self, messages: list[Message]) -> None:
        """Records handed to the agent (Faust's `on_message_in`)."""
        if self._batched:
            for sensor in self._sensors:
                sensor.on_messages_in(messages)
        else:
            for message in messages:
                self._message_in(message.tp, message.offset, message)

    def out(self, messages: list[Message]) -> None:
        """Records acked (Faust's `on_message_out`)."""
        if not messages:
            return
        if self._batched:
            for sensor in self._sensors:
                sensor.on_messages_out(len(messages))
        else:
            for message in messages:
                self._message_out(message.tp, message.offset, message)


def _is_raw(channel: Any) -> bool:
    """Whether the channel's events are its records' bytes as they are (raw codecs, no model)."""
    schema = channel.schema
    return (schema is not None and schema.key_type is None and schema.value_type is None
            and schema.key_serializer == "raw" and schema.value_serializer == "raw")


async def with_turns(events: list[EventT]) -> AsyncIterator[EventT]:
    """The events of a batch, with a turn of the event loop every TURN_EVERY of them: a
    commit's broker round trips run while batches are decided (eos.py), and each waits
    for a turn."""
    for i, event in enumerate(events):
        if i and not i % TURN_EVERY:
            await asyncio.sleep(0)
        yield event


def set_current_event(event: EventT) -> None:
    """Make `event` Faust's current event: table writes use its partition for the changelog,
    RocksDB reads go to its partition's database instead of trying every partition."""
    streams._current_event.set(weakref.ref(event))  # noqa: SLF001
