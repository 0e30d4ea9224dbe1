"""The worker's agents: `repartition` re-keys input records by recipient, `decide` decides each
recipient event against the recipient's state, and the `tick` timer wakes each partition.

Both agents catch per record: Faust acks and skips an event whose agent raised, so an
exception would otherwise lose an intent silently. Each takes its events in batches
(app/faust_ext/batches.py) and sends a batch's records at its end, in the transaction of the
input partition under exactly-once (app/faust_ext/eos.py).
"""

from __future__ import annotations

import logging
import time
from typing import Any

import faust
import orjson
from faust.types import TP, AppT

from app.faust_ext.batches import event_batches, set_current_event, with_turns
from app.faust_ext.eos import processing_batch
from app.faust_ext.sender import BatchSender
from app.rules.policy import Policy
from app.rules.records import APPROVED, DROPPED, OBSERVATION, RECIPIENT_EVENTS, Emit, dead_letter
from app.rules.routing import TICK, route
from app.runtime import metrics
from app.runtime.privacy import StateSealer
from app.runtime.state import Recipients, source_of

log = logging.getLogger(__name__)

TICK_KEY = b"\x00tick"  # a key no phone can collide with
TICK_INTERVAL_S = 1.0
DECISION_TOPICS = (APPROVED, DROPPED)


class Publisher:
    """Counts each emit and queues it for its topic; recipient events keyed and sealed."""

    def __init__(self, sealer: StateSealer, names: dict[str, str]) -> None:
        self._sealer = sealer
        self._names = names  # logical topic id -> topic name

    def publish(self, sender: BatchSender, emit: Emit, timestamp_ms: int | None,
                source: TP) -> None:
        metrics.count_emit(emit)
        if emit.topic == OBSERVATION:
            return
        key = emit.key.encode() if emit.key is not None else None
        value = orjson.dumps(emit.value)
        if emit.topic == RECIPIENT_EVENTS:
            key = self._sealer.recipient_key(emit.key or "")
            value = self._sealer.seal(value, key)
        sender.add(self._names[emit.topic], key, value, timestamp_ms, source)


class Router:
    """Routes an input record by its topic's kind (intent, consent event, reply)."""

    def __init__(self, kinds: dict[str, str], policy: Policy) -> None:
        self._kinds = kinds  # topic name -> kind
        self._policy = policy

    def route_message(self, message: faust.types.Message) -> list[Emit]:
        source = source_of(message)
        try:
            return [route(self._kinds[message.topic], source, message.key, message.value,
                          self._policy)]
        except Exception as exc:
            log.exception("routing failed; dead-lettered (%s)", type(exc).__name__)
            return [dead_letter(source, "route", "internal_error", repr(exc), message.key,
                                message.value, self._policy.version)]


async def repartition_batches(stream: faust.StreamT, max_events: int, router: Router,
                              publisher: Publisher) -> None:
    """Parse each input record and re-key it by recipient (or dead-letter it)."""
    faust_app = stream.app
    sender = BatchSender(faust_app)
    async for events in event_batches(stream, max_events, "repartition"):
        async with processing_batch(faust_app, events) as wanted, sender.batch():
            async for event in with_turns(wanted):
                for emit in router.route_message(event.message):
                    timestamp_ms = emit.value["ts"] if emit.topic == RECIPIENT_EVENTS else None
                    publisher.publish(sender, emit, timestamp_ms, event.message.tp)


async def decide_batches(stream: faust.StreamT, max_events: int, recipients: Recipients,
                         publisher: Publisher) -> None:
    """Decide each recipient event against the recipient's state; each state is written back
    once per batch (one changelog record per recipient, not per event)."""
    faust_app = stream.app
    sender = BatchSender(faust_app)
    async for events in event_batches(stream, max_events, "decide"):
        async with processing_batch(faust_app, events) as wanted, sender.batch():
            states = recipients.states()
            decided: list[tuple[Emit, int, TP]] = []
            async for event in with_turns(wanted):
                set_current_event(event)
                states.event = event
                # Records keep the input's time, so derived consent events fed back through
                # sms.consent-events are decided at the time replay gives them.
                timestamp_ms = round(event.message.timestamp * 1000)
                decided += [(emit, timestamp_ms, event.message.tp)
                            for emit in recipients.decide_message(event.message, states)]
            states.write_back(sender)
            now = time.time()
            for emit, timestamp_ms, source in decided:
                publisher.publish(sender, emit, timestamp_ms, source)
                if emit.topic in DECISION_TOPICS:
                    metrics.DECISION_LATENCY.observe(max(0.0, now - timestamp_ms / 1000))


async def send_ticks(faust_app: AppT, sealer: StateSealer, recipient_events: Any) -> None:
    """Wake each of this worker's partitions: held intents are released on time (also those
    held before the policy stopped deferring) and idle state is swept.

    Ticks bypass the transactions (Faust's plain producer): sent in the transaction of the
    partition they wake, they would be invisible to it until it commits, which on an idle
    partition needs a consumed record, the tick itself: the transaction times out and the
    worker is fenced. A tick is a signal, lost or repeated harmlessly.
    """
    value = sealer.seal(orjson.dumps({"kind": TICK, "ts": int(time.time() * 1000)}), TICK_KEY)
    topic = recipient_events.get_topic_name()
    for tp in faust_app.assignor.assigned_actives():
        if tp.topic == topic:
            await faust_app.producer.send(topic, TICK_KEY, value, tp.partition, None, None)


def add_agents(faust_app: faust.App, max_events: int, inputs: Any, recipient_events: Any,
               router: Router, recipients: Recipients, publisher: Publisher) -> None:
    """The two agents and the tick timer, on `faust_app`."""

    @faust_app.agent(inputs, name="repartition")
    async def repartition(stream: faust.StreamT) -> None:
        await repartition_batches(stream, max_events, router, publisher)

    @faust_app.agent(recipient_events, name="decide")
    async def decide(stream: faust.StreamT) -> None:
        await decide_batches(stream, max_events, recipients, publisher)

    @faust_app.timer(interval=TICK_INTERVAL_S)
    async def tick() -> None:
        await send_ticks(faust_app, recipients.sealer, recipient_events)
