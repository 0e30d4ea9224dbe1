"""The batch path's pure parts: a failed batch counts as unprocessed, per-batch state is read
once and written once per recipient, and fetched records are delivered in order once."""

from __future__ import annotations

import asyncio
import types
from typing import Any

import orjson
import pytest
from faust.types import TP

from app import eos
from app.batches import BatchDelivery
from app.privacy import StateSealer
from app.settings import Settings
from app.worker import StateCache

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

    consumer = types.SimpleNamespace(_committed_offset={}, seek=seek)
    return types.SimpleNamespace(in_transaction=True, consumer=consumer, seeks=seeks)


def test_a_batch_that_raises_is_not_processed_and_is_fetched_again() -> None:
    app, tp = _transactional_app(), TP(TOPIC, 0)
    gate = eos._gate(app)

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
            eos._gate(app).on_fetched(tp, offset)
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

    async def send_changelog(self, table: Any, key: bytes, value: bytes | None,
                             source: TP) -> None:
        self.changelog.append((key, value, source))


def test_state_is_read_once_and_written_once_per_recipient_per_batch() -> None:
    sealer = StateSealer("a test secret of enough bytes")
    table = types.SimpleNamespace(data=_Store())
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
    asyncio.run(states.write_back(sender))  # type: ignore[arg-type]
    assert table.data.reads == 2  # one read per recipient
    assert [(k, orjson.loads(sealer.open(v, k)), s.partition) for k, v, s in sender.changelog
            if v is not None] == [(key, {"n": 3}, 2)]  # one write, of the changed state only
    assert orjson.loads(sealer.open(table.data[key], key)) == {"n": 3}


def test_emptied_state_is_deleted_with_a_tombstone() -> None:
    sealer = StateSealer("a test secret of enough bytes")
    table = types.SimpleNamespace(data=_Store())
    key, tp = b"c" * 32, TP(TOPIC, 0)
    table.data[key] = sealer.seal(orjson.dumps({"seen": {}}), key)
    states, sender = StateCache(table, sealer), _Sender()
    states.event = _event(tp, 0)
    states.load(key)
    states.save(key, {})
    asyncio.run(states.write_back(sender))  # type: ignore[arg-type]
    assert key not in table.data
    assert sender.changelog == [(key, None, tp)]


class _Consumer(BatchDelivery):
    def __init__(self) -> None:
        self.delivered: list[int] = []
        self._read_offset: dict[TP, int | None] = {}
        self._commit_every = None
        self._n_acked = 0
        self.app = types.SimpleNamespace(
            topics=types.SimpleNamespace(acks_enabled_for=lambda topic: False))

        async def callback(message: Any) -> None:
            self.delivered.append(message.offset)

        self.callback = callback


def test_a_fetch_is_delivered_in_order_without_re_deliveries() -> None:
    consumer, tp = _Consumer(), TP("sms.send-intents", 0)
    consumer._read_offset[tp] = 5
    batch = [(tp, types.SimpleNamespace(offset=o, topic=tp.topic)) for o in (4, 5, 6, 7)]
    asyncio.run(consumer._deliver(batch))  # type: ignore[arg-type]
    assert consumer.delivered == [5, 6, 7]  # 4 is below the read offset: fetched again
    assert consumer._read_offset[tp] == 7


def test_batch_size_is_bounded_and_configurable() -> None:
    assert Settings.from_env({}).batch_max_events == 1000
    assert Settings.from_env({"SENDGUARD_BATCH_MAX_EVENTS": "50"}).batch_max_events == 50
