"""The seam's batch path (app/faust_ext/): a failed batch counts as unprocessed, per-batch state
is read once and written once per recipient, and fetched records are delivered in order once."""

from __future__ import annotations

import asyncio
import collections
import types
from typing import Any

import faust
import orjson
import pytest
from faust.types import TP
from faust.types.tuples import ConsumerMessage

from app.faust_ext import eos
from app.faust_ext.batches import TURN_EVERY, with_turns
from app.faust_ext.consumer import BatchDelivery, FastDelivery
from app.faust_ext.gate import CommitGate
from app.faust_ext.sender import BatchSender
from app.faust_ext.transport import SeamApp
from app.runtime.agents import Gate
from app.runtime.privacy import StateSealer
from app.runtime.settings import Settings
from app.runtime.state import StateCache

TOPIC = "sendguard.recipient-events"


class _Event:
    """What the batch path reads of a Faust event (weak-referenceable, as Faust's is)."""

    def __init__(self, tp: TP, offset: int) -> None:
        self.message = types.SimpleNamespace(tp=tp, offset=offset, partition=tp.partition)


def _event(tp: TP, offset: int) -> Any:
    return _Event(tp, offset)


def _transactional_app() -> Any:
    seeks: list[tuple[TP, int]] = []

    async def seek(tp: TP, offset: int) -> None:
        seeks.append((tp, offset))

    consumer = types.SimpleNamespace(_committed_offset={}, seek=seek, gate=CommitGate())
    return types.SimpleNamespace(in_transaction=True, consumer=consumer, seeks=seeks)


def test_a_batch_that_raises_is_not_processed_and_is_fetched_again() -> None:
    app, tp = _transactional_app(), TP(TOPIC, 0)
    gate = app.consumer.gate

    async def scenario() -> list[int]:
        for offset in range(5):
            gate.on_fetched(tp, offset)
        async with eos.processing_batch(app, [_event(tp, 0), _event(tp, 1)]) as wanted:
            assert [e.message.offset for e in wanted] == [0, 1]
        with pytest.raises(RuntimeError):
            async with eos.processing_batch(app, [_event(tp, 2), _event(tp, 3)]):
                raise RuntimeError("a send failed")
        assert gate.processed[tp] == 2  # 2 and 3 do not count as processed
        async with eos.processing_batch(app, [_event(tp, 4)]) as wanted:
            return [e.message.offset for e in wanted]

    assert asyncio.run(scenario()) == []  # 4 is not processed before 2 and 3 ...
    assert app.seeks == [(tp, 2)]  # ... which are fetched again


def test_a_batch_skips_records_already_processed() -> None:
    app, tp = _transactional_app(), TP(TOPIC, 1)

    async def scenario() -> list[int]:
        for offset in (7, 8, 9):
            app.consumer.gate.on_fetched(tp, offset)
        events = [_event(tp, 7), _event(tp, 8), _event(tp, 7), _event(tp, 9)]
        async with eos.processing_batch(app, events) as wanted:
            return [e.message.offset for e in wanted]

    assert asyncio.run(scenario()) == [7, 8, 9]


class _Store(dict):  # type: ignore[type-arg]
    def __init__(self) -> None:
        super().__init__()
        self.reads = 0

    def get(self, key: Any, default: Any = None) -> Any:
        self.reads += 1
        return super().get(key, default)


class _Sender:
    def __init__(self) -> None:
        self.changelog: list[tuple[bytes, bytes | None, TP]] = []

    def add_changelog(self, table: Any, key: bytes, value: bytes | None, source: TP) -> None:
        self.changelog.append((key, value, source))


def test_state_is_read_once_and_written_once_per_recipient_per_batch() -> None:
    sealer = StateSealer("a test secret of enough bytes")
    store = _Store()
    table = types.SimpleNamespace(data=store, get=store.get, pop=store.pop)
    key, other = b"a" * 32, b"b" * 32
    tp = TP(TOPIC, 2)
    table.data[other] = sealer.seal(orjson.dumps({"n": 5}), other)
    states, sender = StateCache(table, sealer), _Sender()
    for offset in range(3):  # three events of one recipient
        states.event = _event(tp, offset)
        state = states.load(key)
        state["n"] = state.get("n", 0) + 1
        states.save(key, state)
    states.event = _event(tp, 3)
    failed = states.load(key)
    failed["n"] = 1000  # the event raised before save: its change must not count
    states.save(other, states.load(other))  # read, unchanged
    states.write_back(sender)  # type: ignore[arg-type]
    assert table.data.reads == 2  # one read per recipient
    assert [(k, orjson.loads(sealer.open(v, k)), s.partition) for k, v, s in sender.changelog
            if v is not None] == [(key, {"n": 3}, 2)]  # one write, of the changed state only
    assert orjson.loads(sealer.open(table.data[key], key)) == {"n": 3}


def test_emptied_state_is_deleted_with_a_tombstone() -> None:
    sealer = StateSealer("a test secret of enough bytes")
    store = _Store()
    table = types.SimpleNamespace(data=store, get=store.get, pop=store.pop)
    key, tp = b"c" * 32, TP(TOPIC, 0)
    table.data[key] = sealer.seal(orjson.dumps({"seen": {}}), key)
    states, sender = StateCache(table, sealer), _Sender()
    states.event = _event(tp, 0)
    states.load(key)
    states.save(key, {})
    states.write_back(sender)  # type: ignore[arg-type]
    assert key not in table.data
    assert sender.changelog == [(key, None, tp)]


class _Consumer(BatchDelivery):
    """What the fetch loop reads of Faust's consumer; `fetches` are what getmany returns."""

    def __init__(self, fetches: list[list[tuple[TP, Any]]], suspend_at: int,
                 drops_refetched: bool = True) -> None:
        super().__init__()
        self._drops_refetched = drops_refetched
        self.delivered: list[int] = []
        self.dropped: list[int] = []
        self._read_offset: dict[TP, int | None] = collections.defaultdict(lambda: None)
        self._commit_every = None
        self._n_acked = 0
        self.app = types.SimpleNamespace(topics=types.SimpleNamespace(
            acks_enabled_for=lambda topic: False, _tp_to_callback={}, _tp_index={}))
        self.diag = types.SimpleNamespace(set_flag=lambda flag: None,
                                          unset_flag=lambda flag: None)
        self.should_stop = False
        self.consumer_stopped_errors = ()
        self._fetches = fetches
        self._suspend_at = suspend_at
        self._stopped = asyncio.Event()
        self.suspend_flow = asyncio.Event()

        async def callback(message: Any) -> None:
            self.delivered.append(message.offset)

        self.callback = callback

    def on_dropped(self, message: Any) -> None:
        self.dropped.append(message.offset)

    def drops_refetched(self, topic: str) -> bool:
        return self._drops_refetched

    async def getmany(self, timeout: float) -> Any:
        if not self._fetches:
            self._stopped.set()
            return
        if len(self._fetches) == self._suspend_at:
            self.suspend_flow.set()  # a rebalance began
        for item in self._fetches.pop(0):
            yield item


def test_fetched_records_are_delivered_in_order_and_dropped_while_suspended() -> None:
    tp = TP("sms.send-intents", 0)

    def fetch(*offsets: int) -> list[tuple[TP, Any]]:
        return [(tp, types.SimpleNamespace(offset=o, topic=tp.topic, tp=tp)) for o in offsets]

    consumer = _Consumer([fetch(4, 5, 6, 7), fetch(8, 9)], suspend_at=1)
    consumer._read_offset[tp] = 5
    fetcher = types.SimpleNamespace(_stopped=asyncio.Event())
    asyncio.run(consumer._drain_messages(fetcher))
    assert consumer.delivered == [5, 6, 7]  # 4 is below the read offset: fetched again
    assert consumer.dropped == [8, 9]  # flow suspended: dropped, and seen by the gate
    assert consumer._read_offset[tp] == 9  # as Faust's loop: the read offset moves on


def test_under_exactly_once_a_record_below_the_read_offset_is_handed_over() -> None:
    """After a rebalance the read offset can be ahead of records never processed (the fetch
    loop moved it on while recovery sought back): dropping them lost them for good. Under
    exactly-once they go to the gate, which skips what it processed (app/faust_ext/eos.py)."""
    tp = TP(TOPIC, 2)
    fetched = [(tp, types.SimpleNamespace(offset=o, topic=tp.topic, tp=tp)) for o in (3, 4, 5)]
    consumer = _Consumer([fetched], suspend_at=0, drops_refetched=False)
    consumer._read_offset[tp] = 5
    asyncio.run(consumer._drain_messages(types.SimpleNamespace(_stopped=asyncio.Event())))
    assert consumer.delivered == [3, 4, 5]


class _Fetching(BatchDelivery):
    """What `getmany` reads of Faust's consumer: one fetch of `records`."""

    def __init__(self, records: dict[TP, list[Any]], active: set[TP]) -> None:
        super().__init__()
        self.app = types.SimpleNamespace(
            consumer_generation_id=4,
            monitor=types.SimpleNamespace(track_tp_end_offset=lambda tp, offset: None))
        self._records, self._active = records, active
        self.flow_active = True
        self.should_stop = False
        self._buffered_partitions: set[TP] = set()
        self.scheduler = faust.App("getmany-test").conf.ConsumerScheduler()
        self.not_handed_over: list[tuple[TP, list[int], int]] = []

    async def _wait_next_records(self, timeout: float) -> Any:
        return self._records, self._active

    def highwater(self, tp: TP) -> int:
        return 100

    def _to_message(self, tp: TP, record: Any) -> Any:
        return record

    def on_not_handed_over(self, tp: TP, offsets: list[int], generation_id: int) -> None:
        self.not_handed_over.append((tp, offsets, generation_id))


def test_getmany_reports_every_record_it_does_not_hand_over() -> None:
    """Faust's `getmany` silently drops the rest of a fetch when flow stops (a rebalance) and
    the records of a partition paused meanwhile; the gate must know (app/faust_ext/eos.py)."""
    a, b, paused = TP(TOPIC, 0), TP(TOPIC, 1), TP(TOPIC, 2)

    def records(tp: TP, *offsets: int) -> list[Any]:
        return [types.SimpleNamespace(offset=o, tp=tp) for o in offsets]

    consumer = _Fetching({a: records(a, 10, 11, 12), b: records(b, 20, 21),
                          paused: records(paused, 30)}, active={a, b})

    async def take(count: int) -> list[int]:
        handed: list[int] = []
        async for _tp, record in consumer.getmany(1.0):
            handed.append(record.offset)
            if len(handed) == count:
                consumer.flow_active = False  # a rebalance begins
        return handed

    assert asyncio.run(take(3)) == [10, 20, 11]  # round robin over the partitions
    assert sorted(consumer.not_handed_over) == sorted([
        (paused, [30], 4), (a, [12], 4), (b, [21], 4)])


def _fast_delivery_app(guarantee: str = "at_least_once") -> tuple[Any, Any, TP]:
    """A Faust app (never started) whose topic partition one raw batch agent reads."""
    app = SeamApp("fast-delivery-test", broker="kafka://127.0.0.1:9", store="memory://",
                  processing_guarantee=guarantee)
    channel = app.topic("t", key_serializer="raw", value_serializer="raw").__aiter__()
    app.consumer.raw_batch_channels.add(channel)
    tp = TP("t", 0)
    app.topics._tp_index[tp].add(channel)
    app.flow_control.resume()
    return app, channel, tp


def _message(tp: TP, offset: int, generation: int | None = None) -> Any:
    return ConsumerMessage(tp.topic, tp.partition, offset, 1.5, 0, [("h", b"x")], b"key",
                           b"value", None, 3, 5, tp, generation_id=generation)


def test_fast_delivery_queues_the_event_the_conductor_would() -> None:
    app, channel, tp = _fast_delivery_app()
    message = _message(tp, 7)
    expected = asyncio.run(channel.decode(message, propagate=True))  # the conductor's event
    deliver = FastDelivery.for_partition(app, tp)
    assert deliver is not None and deliver(message)
    event = channel.queue.get_nowait()
    assert (event.key, event.value, event.headers, event.message) == (
        expected.key, expected.value, expected.headers, message)
    assert type(event) is type(expected)
    assert message.refcount == 1  # acked once by the agent, as after the conductor


def test_fast_delivery_leaves_to_the_conductor_what_it_would_wait_for() -> None:
    app, channel, tp = _fast_delivery_app()
    deliver = FastDelivery.for_partition(app, tp)
    assert deliver is not None
    app.flow_control.suspend()  # a rebalance: the conductor waits for flow
    assert not deliver(_message(tp, 1)) and channel.queue.empty()
    app.flow_control.resume()
    while not channel.queue.full():
        channel.queue.put_nowait(None)
    assert not deliver(_message(tp, 2))  # the agent's queue is full: the conductor waits
    app.topics._tp_index[tp].add(app.topic("t").__aiter__())  # a second reader of the topic
    assert FastDelivery.for_partition(app, tp) is None
    other = TP("json", 0)
    app.topics._tp_index[other].add(app.topic("json", value_serializer="json").__aiter__())
    assert FastDelivery.for_partition(app, other) is None  # not a raw batch agent's


def test_batch_size_is_bounded_and_configurable() -> None:
    assert Settings.from_env({}).batch_max_events == 1000
    assert Settings.from_env({"SENDGUARD_BATCH_MAX_EVENTS": "50"}).batch_max_events == 50


class _Builder:
    """aiokafka's BatchBuilder, full after `capacity` records."""

    def __init__(self, capacity: int) -> None:
        self.records: list[tuple[Any, ...]] = []
        self._capacity = capacity

    def append(self, *, timestamp: int | None, key: bytes | None, value: bytes | None,
               headers: list[Any]) -> object | None:
        if len(self.records) >= self._capacity:
            return None
        self.records.append((key, value, timestamp))
        return object()


class _Client:
    """A transactional aiokafka producer: what BatchSender calls."""

    def __init__(self, capacity: int = 100) -> None:
        self.sent: list[tuple[str, int, list[tuple[Any, ...]]]] = []
        self._capacity = capacity

    def create_batch(self) -> _Builder:
        return _Builder(self._capacity)

    async def send_batch(self, builder: _Builder, topic: str, *, partition: int) -> Any:
        self.sent.append((topic, partition, builder.records))
        done: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        done.set_result(types.SimpleNamespace(offset=0, topic_partition=TP(topic, partition)))
        return done


def _sending_app(clients: dict[str, _Client]) -> Any:
    producer = types.SimpleNamespace(_transaction_producers=clients,
                                     _trn_locks=collections.defaultdict(asyncio.Lock))
    consumer = types.SimpleNamespace(key_partition=lambda topic, key, partition: key[0] % 4,
                                     committing={})
    return types.SimpleNamespace(
        in_transaction=True, producer=producer, consumer=consumer, consumer_generation_id=1,
        conf=types.SimpleNamespace(id="sg"), assignor=types.SimpleNamespace(
            group_for_topic=lambda topic: 0 if topic == "intents" else 1))


def test_records_go_out_per_transaction_and_partition_in_order_at_the_end_of_the_batch(
) -> None:
    clients = {"sg-0-0": _Client(capacity=2), "sg-0-1": _Client()}
    app = _sending_app(clients)
    sender = BatchSender(app)

    async def scenario() -> list[Any]:
        async with sender.collecting():
            for n, source in enumerate([TP("intents", 0)] * 3 + [TP("intents", 1)]):
                sender.add("approved", bytes([1]), b"v%d" % n, 1000 + n, source)
            sender.add("approved", bytes([2]), b"v4", 1004, TP("intents", 0))
        assert not clients["sg-0-0"].sent  # nothing is sent before the flush
        await sender.flush(sender.take())
        return [c.sent for c in clients.values()]

    in_partition_0, in_partition_1 = asyncio.run(scenario())
    assert in_partition_0 == [  # full after 2 records: a second record batch, order kept
        ("approved", 1, [(b"\x01", b"v0", 1000), (b"\x01", b"v1", 1001)]),
        ("approved", 1, [(b"\x01", b"v2", 1002)]),
        ("approved", 2, [(b"\x02", b"v4", 1004)]),
    ]
    assert in_partition_1 == [("approved", 1, [(b"\x01", b"v3", 1003)])]


def test_a_batch_that_raised_sends_nothing() -> None:
    clients = {"sg-0-0": _Client()}
    sender = BatchSender(_sending_app(clients))

    async def scenario() -> None:
        with pytest.raises(RuntimeError):
            async with sender.collecting():
                sender.add("approved", b"\x01", b"v", None, TP("intents", 0))
                raise RuntimeError("deciding failed")
        async with sender.collecting():
            pass
        await sender.flush(sender.take())

    asyncio.run(scenario())
    assert clients["sg-0-0"].sent == []


def test_records_for_a_transaction_being_committed_wait_until_it_is() -> None:
    clients = {"sg-0-0": _Client(), "sg-0-1": _Client()}
    app = _sending_app(clients)
    sender = BatchSender(app)

    async def scenario() -> None:
        committed = app.consumer.committing.setdefault("sg-0-0", asyncio.Event())
        sender.add("approved", b"\x01", b"a", None, TP("intents", 0))
        sender.add("approved", b"\x01", b"b", None, TP("intents", 1))
        flushing = asyncio.ensure_future(sender.flush(sender.take()))
        for _ in range(5):
            await asyncio.sleep(0)
        assert not clients["sg-0-0"].sent  # its transaction is being committed: it waits
        assert not flushing.done()
        committed.set()
        await flushing
        assert [records for _, _, records in clients["sg-0-0"].sent] == [[(b"\x01", b"a", None)]]
        assert len(clients["sg-0-1"].sent) == 1

    asyncio.run(scenario())


def test_batches_send_in_the_order_they_decided_though_the_first_waits_for_a_commit() -> None:
    """Both lanes write a recipient's state; the second lane's batch must not reach the
    producer before the first's, or the changelog would end with the older state."""
    clients = {"sg-0-0": _Client(), "sg-0-1": _Client()}
    app = _sending_app(clients)
    gate = Gate(None, None, None, None, frozenset())  # type: ignore[arg-type]
    bulk, priority = BatchSender(app), BatchSender(app)

    async def scenario() -> None:
        committed = app.consumer.committing.setdefault("sg-0-0", asyncio.Event())
        bulk.add("approved", b"\x02", b"decision", None, TP("intents", 0))  # waits for commit
        bulk.add("changelog", b"\x01", b"older", None, TP("intents", 1))
        first = gate.send_in_turn(bulk, bulk.take())
        priority.add("changelog", b"\x01", b"newer", None, TP("intents", 1))
        second = gate.send_in_turn(priority, priority.take())
        for _ in range(5):
            await asyncio.sleep(0)
        assert not clients["sg-0-1"].sent and not second.done()
        committed.set()
        await asyncio.gather(first, second)
        assert [records for _, _, records in clients["sg-0-1"].sent] == [
            [(b"\x01", b"older", None)], [(b"\x01", b"newer", None)]]

    asyncio.run(scenario())


def test_a_batch_gives_the_event_loop_a_turn_every_turn_every_events() -> None:
    async def scenario() -> list[int]:
        seen: list[int] = []
        turns: list[int] = []

        async def other_task() -> None:  # a commit's round trip, say: runs on a turn
            while True:
                turns.append(len(seen))
                await asyncio.sleep(0)

        task = asyncio.ensure_future(other_task())
        await asyncio.sleep(0)
        async for event in with_turns(list(range(2 * TURN_EVERY + 1))):
            seen.append(event)
        task.cancel()
        return turns

    assert asyncio.run(scenario()) == [0, TURN_EVERY, 2 * TURN_EVERY]


def test_a_record_delivered_past_the_conductor_counts_as_fetched_for_the_gate() -> None:
    app, _channel, tp = _fast_delivery_app("exactly_once")
    assert app.consumer._deliver_now(_message(tp, 3, app.consumer_generation_id))
    assert app.consumer.gate.fetched == {tp: [3]}  # a record Faust then drops is fetched again
