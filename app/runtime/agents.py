"""The worker's agents, one per lane (`bulk`, `priority`; lanes.py), and the `tick` timer that
wakes each partition. Each agent reads its lane's input and internal topics: an input record
already in its recipient's partition is decided at once (one hop), any other is routed to that
partition of its lane's internal topic (the hop) and decided when read from there.

Both agents catch per record: Faust acks and skips an event whose agent raised, so an
exception would otherwise lose an intent silently. Each takes its events in batches
(app/faust_ext/batches.py) and sends a batch's records at its end, in the transaction of the
input partition under exactly-once (app/faust_ext/eos.py).
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import faust
import orjson
from faust.types import TP, AppT

from app.faust_ext.batches import event_batches, set_current_event, with_turns
from app.faust_ext.eos import processing_batch
from app.faust_ext.sender import BatchSender, Pending
from app.rules.policy import Policy
from app.rules.records import (
    APPROVED,
    DROPPED,
    OBSERVATION,
    PRIORITY_EVENTS,
    RECIPIENT_EVENTS,
    Emit,
    dead_letter,
)
from app.rules.routing import BULK, PRIORITY, TICK, route
from app.runtime import metrics
from app.runtime.lanes import Paths
from app.runtime.privacy import StateSealer
from app.runtime.state import Recipients, StateCache, source_of

log = logging.getLogger(__name__)

TICK_KEY = b"\x00tick"  # a key no phone can collide with
TICK_INTERVAL_S = 1.0
DECISION_TOPICS = (APPROVED, DROPPED)
INTERNAL_TOPICS = (RECIPIENT_EVENTS, PRIORITY_EVENTS)


class Publisher:
    """Counts each emit and queues it for its topic; recipient events (the hop) keyed by the
    recipient's keyed hash, sealed, and sent to the recipient's partition (lanes.py)."""

    def __init__(self, sealer: StateSealer, names: dict[str, str], paths: Paths) -> None:
        self._sealer = sealer
        self._names = names  # logical topic id -> topic name
        self._paths = paths

    def publish(self, sender: BatchSender, emit: Emit, timestamp_ms: int | None,
                source: TP) -> None:
        """Queue one emit (counted, but a routed recipient event is counted when routed)."""
        if emit.topic not in INTERNAL_TOPICS:
            metrics.count_emit(emit)
        if emit.topic == OBSERVATION:
            return
        key = emit.key.encode() if emit.key is not None else None
        value = orjson.dumps(emit.value)
        if emit.topic in INTERNAL_TOPICS:
            recipient = emit.key or ""
            key = self._sealer.recipient_key(recipient)
            sender.add(self._names[emit.topic], key, self._sealer.seal(value, key),
                       timestamp_ms, source, self._paths.partition(recipient))
            return
        sender.add(self._names[emit.topic], key, value, timestamp_ms, source)


class Router:
    """Routes an input record by its topic's kind (intent, consent event, reply)."""

    def __init__(self, kinds: dict[str, str], policy: Policy) -> None:
        self._kinds = kinds  # topic name -> kind
        self._policy = policy

    def route_message(self, message: faust.types.Message) -> Emit:
        source = source_of(message)
        try:
            return route(self._kinds[message.topic], source, message.key, message.value,
                         self._policy)
        except Exception as exc:
            log.exception("routing failed; dead-lettered (%s)", type(exc).__name__)
            return dead_letter(source, "route", "internal_error", repr(exc), message.key,
                               message.value, self._policy.version)


class Gate:
    """What both lanes' agents decide with, and the lock that lets one batch at a time decide:
    a batch reads each recipient's state once and writes it back at its end, so two batches
    must not interleave. A batch's records are sent after the lock is released (the sends may
    wait for a commit in progress), in the order the batches decided (`send_in_turn`)."""

    def __init__(self, router: Router, recipients: Recipients, publisher: Publisher,
                 paths: Paths, internal: frozenset[str]) -> None:
        self.router = router
        self.recipients = recipients
        self.publisher = publisher
        self.paths = paths
        self.internal = internal  # names of the internal topics (records already routed)
        self.lock = asyncio.Lock()
        self._last_send: asyncio.Future[None] | None = None

    def send_in_turn(self, sender: BatchSender, pending: Pending) -> asyncio.Future[None]:
        """Send `pending` once the batch decided before it has sent its records (call with the
        lock held). A recipient's changelog records, whichever lane wrote them, go through
        one transactional producer (Faust's assignor puts co-partitioned topics in one topic
        group: one transactional id per partition number), so they reach the broker in the
        order they were written."""
        previous = self._last_send

        async def send() -> None:
            if previous is not None:
                await asyncio.wait([previous])  # its outcome is its own batch's to raise
            await sender.flush(pending)

        self._last_send = sending = asyncio.ensure_future(send())
        return sending

    def take(self, event: faust.EventT, states: StateCache, sender: BatchSender) -> list[Emit]:
        """Decide one event (returning its emits), or route it and send it on (the hop)."""
        message = event.message
        if message.topic in self.internal:
            return self.recipients.decide_message(message, states)
        emit = self.router.route_message(message)
        if emit.topic != RECIPIENT_EVENTS:  # a dead letter
            self.publisher.publish(sender, emit, None, message.tp)
            return []
        metrics.count_emit(emit)  # an intent received, whichever path it takes
        try:
            hop = self.paths.hop(emit, message.topic, message.partition)
        except Exception as exc:  # never lose the record: the bulk lane decides it
            log.exception("choosing the lane failed; the record takes the bulk hop (%s)",
                          type(exc).__name__)
            hop = RECIPIENT_EVENTS
        if hop is None:
            return self.recipients.decide_routed(emit.key or "", emit.value, message, states)
        self.publisher.publish(sender, emit._replace(topic=hop), emit.value["ts"], message.tp)
        return []


async def gate_batches(stream: faust.StreamT, max_events: int, lane: str, gate: Gate) -> None:
    """Take each batch of one lane's events: decide those in their recipient's partition and
    send the others on to it; each state is written back once per batch (one changelog record
    per recipient, not per event)."""
    faust_app = stream.app
    sender = BatchSender(faust_app)
    async for events in event_batches(stream, max_events, lane):
        async with processing_batch(faust_app, events) as wanted:
            async with gate.lock, sender.collecting():
                states = gate.recipients.states()
                decided: list[tuple[Emit, int, TP]] = []
                async for event in with_turns(wanted):
                    set_current_event(event)
                    states.event = event
                    # Records keep the input's time, so derived consent events fed back
                    # through sms.consent-events are decided at the time replay gives them.
                    timestamp_ms = round(event.message.timestamp * 1000)
                    decided += [(emit, timestamp_ms, event.message.tp)
                                for emit in gate.take(event, states, sender)]
                states.write_back(sender)
                now = time.time()
                for emit, timestamp_ms, source in decided:
                    gate.publisher.publish(sender, emit, timestamp_ms, source)
                    if emit.topic in DECISION_TOPICS:
                        metrics.DECISION_LATENCY.observe(max(0.0, now - timestamp_ms / 1000))
                sending = gate.send_in_turn(sender, sender.take())
            await sending


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


def add_agents(faust_app: faust.App, max_events: int, bulk: Any, priority: Any,
               recipient_events: Any, gate: Gate) -> None:
    """The two lanes' agents and the tick timer, on `faust_app`."""

    @faust_app.agent(bulk, name=BULK)
    async def bulk_lane(stream: faust.StreamT) -> None:
        await gate_batches(stream, max_events, BULK, gate)

    @faust_app.agent(priority, name=PRIORITY)
    async def priority_lane(stream: faust.StreamT) -> None:
        await gate_batches(stream, max_events, PRIORITY, gate)

    @faust_app.timer(interval=TICK_INTERVAL_S)
    async def tick() -> None:
        await send_ticks(faust_app, gate.recipients.sealer, recipient_events)
