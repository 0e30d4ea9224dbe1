"""The runtime in-process, in seconds and without a broker: the agents (app/runtime/agents.py)
through Faust's `agent.test_context()` on the app `create_app` builds, compared with replay;
the per-partition state (app/runtime/state.py) on real Faust tables (memory and RocksDB
stores); the HTTP pages (app/runtime/web.py) through aiohttp's test client.

The agents' `BatchSender` is replaced by `Recorder`, which keeps what a batch queues through
the same three methods (add, add_changelog, batch). What needs a broker stays in the Kafka
tests: handing records to aiokafka (partition metadata, delivery, a failed send crashing the
worker), the exactly-once gate and transactions, changelog recovery and standbys, the tick
timer's sends (`send_ticks`: the assignor's active partitions and the producer), and routing a
/recipients request to the worker that holds the number's partition (a group assignment).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any, NamedTuple

import faust
import orjson
import pytest
from aiohttp.test_utils import TestClient, TestServer
from aiokafka.partitioner import DefaultPartitioner
from faust.exceptions import SameNode
from faust.types import TP, Message
from prometheus_client import CONTENT_TYPE_LATEST
from rocksdict import Rdict

from app import contracts
from app.faust_ext.batches import set_current_event
from app.faust_ext.tables import copartitioned
from app.rules.policy import Policy, load_policy
from app.rules.records import (
    APPROVED,
    DEAD_LETTER,
    DROPPED,
    PRIORITY_EVENTS,
    RECIPIENT_EVENTS,
    Emit,
)
from app.rules.routing import CONSENT, INTENT, REPLY, TICK
from app.runtime import agents
from app.runtime.agents import TICK_KEY, Publisher, Router
from app.runtime.lanes import Paths
from app.runtime.migration import LegacyStates, held_due
from app.runtime.settings import Settings
from app.runtime.state import HELD_INDEX_KEY, TABLE_NAME, Recipients, legacy_partition
from app.runtime.worker import create_app
from app.tools.explain import explain
from app.tools.replay import replay

POLICY = contracts.example_policy_path()
SECRET = "an in-process test secret"
TOKEN = "in-process-token"
PHONE = "+86 139 8765 4321"
E164 = "+8613987654321"
OTHER_E164 = "+8613812345678"
MEITUAN_PORT = "106900005678"
T0 = 1_795_312_800_000  # 2026-11-22T10:00:00+08:00: marketing is outside quiet hours
NIGHT = T0 + 12 * 3_600_000  # 22:00 in Shanghai: in marketing's quiet hours (21:00-08:00)
MORNING = T0 + 22 * 3_600_000  # 08:00 the next day: the quiet hours end
HANG_GUARD_S = 10.0  # only so that a broken agent fails the test instead of hanging it
RAW = faust.Schema(key_serializer="raw", value_serializer="raw")
PARTITIONER = DefaultPartitioner()
INTERNAL = (RECIPIENT_EVENTS, PRIORITY_EVENTS)
PRIORITY_TOPICS = ("priority_intents", PRIORITY_EVENTS)


def grant(event_id: str, tenant: str, phone: str = PHONE) -> dict[str, Any]:
    return {"event_id": event_id, "phone": phone, "tenant": tenant, "category": "marketing",
            "action": "grant", "source": "signup_form", "occurred_at": "2026-11-01T10:00:00Z",
            "evidence": {"form_id": "reg-v3", "ip": "203.0.113.7"}}


def marketing(msg_id: str, tenant: str, signature: str, phone: str = PHONE) -> dict[str, Any]:
    return {"msg_id": msg_id, "tenant": tenant, "signature": signature, "category": "marketing",
            "phone": phone, "content": f"【{signature}】双11神券已到账，拒收请回复R"}


def td_reply(reply_id: str) -> dict[str, Any]:
    return {"type": "mo", "reply_id": reply_id, "phone": PHONE, "to": MEITUAN_PORT + "01",
            "text": "TD", "received_at": "2026-11-22T10:00:00+08:00"}


@pytest.fixture
def policy() -> Policy:
    return load_policy(POLICY)


@pytest.fixture
def defer_policy(tmp_path: Path) -> Policy:
    """The example policy, holding marketing in quiet hours instead of dropping it."""
    text = POLICY.read_text(encoding="utf-8")
    assert 'quiet_hours_action = "drop"' in text
    path = tmp_path / "defer.toml"
    path.write_text(text.replace('quiet_hours_action = "drop"', 'quiet_hours_action = "defer"'),
                    encoding="utf-8")
    return load_policy(path)


def settings_for(tmp_path: Path, store: str = "memory://") -> Settings:
    return Settings(processing_guarantee="at_least_once", store=store,
                    data_dir=str(tmp_path / "data"), api_token=TOKEN, state_secret=SECRET)


class Sent(NamedTuple):
    topic: str
    key: bytes | None
    value: bytes
    timestamp_ms: int | None
    source: TP
    partition: int | None = None


class Recorder:
    """Stands in for BatchSender: keeps what each batch queues; counts the batches sent."""

    def __init__(self) -> None:
        self.records: list[Sent] = []
        self.changelog: list[tuple[bytes, bytes | None, TP]] = []
        self.batches = 0
        self._ended = asyncio.Condition()

    def add(self, topic: str, key: bytes | None, value: bytes, timestamp_ms: int | None,
            source: TP, partition: int | None = None) -> None:
        self.records.append(Sent(topic, key, value, timestamp_ms, source, partition))

    def add_changelog(self, table: Any, key: bytes, value: bytes | None, source: TP) -> None:
        self.changelog.append((key, value, source))

    @contextlib.asynccontextmanager
    async def collecting(self) -> AsyncIterator[None]:
        yield

    def take(self) -> None:
        """(What it keeps is kept at once.)"""

    async def flush(self, pending: None) -> None:
        async with self._ended:
            self.batches += 1
            self._ended.notify_all()

    async def wait_for_batches(self, count: int) -> None:
        async with self._ended:
            await asyncio.wait_for(self._ended.wait_for(lambda: self.batches >= count),
                                   HANG_GUARD_S)


def message(topic: str, partition: int, offset: int, timestamp_ms: int, key: bytes | None,
            value: bytes | None, app: faust.App) -> Message:
    return Message(topic=topic, partition=partition, offset=offset,
                   timestamp=timestamp_ms / 1000, timestamp_type=0, headers=None, key=key,
                   value=value, checksum=None, generation_id=app.consumer_generation_id)


async def subscribed(channel: Any) -> None:
    """Until an agent reads `channel` (its task subscribes on its first turn): a record put
    before would reach no one."""
    for _ in range(1000):
        if channel.subscriber_count:
            return
        await asyncio.sleep(0)
    raise AssertionError("the agent never read its channel")


class Worker:
    """Both lanes' agents of a `create_app` app under `test_context`, records passed back to
    them as their topics would pass them: recipient events (the hop) to their lane on the
    partition the publisher gives, consent events the worker derives back to `bulk`. Each
    record is put once the previous one's batch has ended."""

    def __init__(self, app: faust.App, settings: Settings, recorder: Recorder) -> None:
        self.app = app
        self.settings = settings
        self.recorder = recorder
        self.inputs = app.channel(schema=RAW)  # the bulk lane's topics
        self.priority = app.channel(schema=RAW)  # the priority lane's
        self.offsets: dict[tuple[str, int], int] = defaultdict(int)
        self.forwarded = 0
        self.partitions = list(range(settings.recipient_partitions))
        self.hops: list[Sent] = []  # records sent to an internal topic

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[Worker]:
        bulk, priority = self.app.agents["bulk"], self.app.agents["priority"]
        async with bulk.test_context(channel=self.inputs), \
                priority.test_context(channel=self.priority):
            await subscribed(self.inputs)
            await subscribed(self.priority)
            yield self

    async def _put(self, channel: Any, topic: str, partition: int, timestamp_ms: int,
                   key: bytes | None, value: bytes | None) -> None:
        offset = self.offsets[(topic, partition)]
        self.offsets[(topic, partition)] += 1
        event = await channel.decode(message(topic, partition, offset, timestamp_ms, key,
                                             value, self.app))
        ended = self.recorder.batches
        await channel.put(event)
        await self.recorder.wait_for_batches(ended + 1)

    async def send(self, topic_id: str, value: dict[str, Any] | bytes, timestamp_ms: int,
                   key: bytes | None = None) -> None:
        """An input record, then every record it leads to, until the topics are quiet."""
        raw = value if isinstance(value, bytes) else orjson.dumps(value)
        await self.send_raw(topic_id, raw, timestamp_ms, key)

    async def send_raw(self, topic_id: str, raw: bytes, timestamp_ms: int,
                       key: bytes | None = None, partition: int = 0) -> None:
        channel = self.priority if topic_id in PRIORITY_TOPICS else self.inputs
        await self._put(channel, self.settings.topic(topic_id), partition, timestamp_ms, key,
                        raw)
        await self._forward()

    async def send_to_decide(self, key: bytes, value: bytes, timestamp_ms: int,
                             partition: int = 0, topic_id: str = RECIPIENT_EVENTS) -> None:
        channel = self.priority if topic_id in PRIORITY_TOPICS else self.inputs
        await self._put(channel, self.settings.topic(topic_id), partition, timestamp_ms, key,
                        value)

    async def tick(self, now_ms: int) -> None:
        """What `send_ticks` sends each partition: a sealed tick, keyed TICK_KEY."""
        value = self.settings.sealer().seal(orjson.dumps({"kind": TICK, "ts": now_ms}),
                                            TICK_KEY)
        for partition in self.partitions:
            await self.send_to_decide(TICK_KEY, value, now_ms, partition)
        await self._forward()

    async def _forward(self) -> None:
        internal = {self.settings.topic(topic_id): topic_id for topic_id in INTERNAL}
        consent_events = self.settings.topic("consent_events")
        while self.forwarded < len(self.recorder.records):
            sent = self.recorder.records[self.forwarded]
            self.forwarded += 1
            if sent.topic in internal:
                assert sent.key is not None and sent.timestamp_ms is not None
                assert sent.partition is not None  # the recipient's, not the key's
                self.hops.append(sent)
                await self.send_to_decide(sent.key, sent.value, sent.timestamp_ms,
                                          sent.partition, internal[sent.topic])
            elif sent.topic == consent_events:
                assert sent.timestamp_ms is not None
                await self._put(self.inputs, consent_events, 0, sent.timestamp_ms, sent.key,
                                sent.value)

    def published(self) -> dict[str, list[tuple[str | None, Any]]]:
        """Per topic, the (key, value) of each record for the outside, in order."""
        internal = {self.settings.topic(topic_id) for topic_id in INTERNAL}
        out: dict[str, list[tuple[str | None, Any]]] = defaultdict(list)
        for sent in self.recorder.records:
            if sent.topic not in internal:
                out[sent.topic].append((sent.key.decode() if sent.key is not None else None,
                                        orjson.loads(sent.value)))
        return dict(out)


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> Recorder:
    """The agents queue their records in a Recorder instead of a BatchSender."""
    recording = Recorder()
    monkeypatch.setattr(agents, "BatchSender", lambda app: recording)
    return recording


def replayed(settings: Settings, policy: Policy,
             trace: list[bytes]) -> dict[str, list[tuple[str | None, Any]]]:
    out: dict[str, list[tuple[str | None, Any]]] = defaultdict(list)
    for line in replay(settings, policy, trace):
        record = orjson.loads(line)
        out[record["topic"]].append((record["key"], record["value"]))
    return dict(out)


def trace_line(topic: str, timestamp_ms: int, value: dict[str, Any] | bytes) -> bytes:
    if isinstance(value, bytes):
        return orjson.dumps({"topic": topic, "timestamp": timestamp_ms,
                             "raw": value.decode("utf-8")})
    return orjson.dumps({"topic": topic, "timestamp": timestamp_ms, "value": value})


def table_state(app: faust.App, settings: Settings, e164: str) -> dict[str, Any]:
    """A recipient's state as the worker stored it in its table (sealed, under a hashed key)."""
    sealer = settings.sealer()
    key = sealer.recipient_key(e164)
    sealed = app.tables[TABLE_NAME].get(key)
    return orjson.loads(sealer.open(sealed, key)) if sealed else {}


def consent_status(state: dict[str, Any], policy: Policy, tenant: str) -> str:
    consents = explain(E164, state, policy, T0)["consent"]
    [entry] = [c for c in consents if c["tenant"] == tenant and c["category"] == "marketing"]
    return str(entry["status"])


# --- the agents, through test_context -------------------------------------------------------


async def test_agents_publish_what_replay_publishes(tmp_path: Path, defer_policy: Policy,
                                                    recorder: Recorder) -> None:
    """Consent events, a TD reply (its derived revoke fed back), intents approved, dropped and
    held for quiet hours, a record that is not JSON: the same records, in the same order per
    topic, as `sendguard replay` of the same trace."""
    settings = settings_for(tmp_path)
    app = create_app(settings, defer_policy)
    inputs: list[tuple[str, dict[str, Any] | bytes, int]] = [
        ("consent_events", grant("g-meituan", "meituan"), T0),
        ("consent_events", grant("g-jd", "jd"), T0 + 1),
        ("carrier_replies", td_reply("mo-1"), T0 + 2),
        ("send_intents", marketing("mk-meituan", "meituan", "美团"), T0 + 3),
        ("send_intents", marketing("mk-jd", "jd", "京东"), T0 + 4),
        ("send_intents", b"not json {", T0 + 5),
        ("consent_events", grant("g-jd-other", "jd", OTHER_E164), T0 + 6),
        ("send_intents", marketing("mk-jd-night", "jd", "京东", OTHER_E164), NIGHT),
    ]
    async with Worker(app, settings, recorder).running() as worker:
        for topic_id, value, timestamp_ms in inputs:
            await worker.send(topic_id, value, timestamp_ms)
        held = worker.published()
        await worker.tick(MORNING)
        published = worker.published()

    trace = [trace_line(settings.topic(t), ts, v) for t, v, ts in inputs]
    assert published == replayed(settings, defer_policy, trace)
    decisions = {v["msg_id"]: v["reason"] for topic in (APPROVED, DROPPED)
                 for _, v in published.get(settings.topic(topic), [])}
    assert decisions == {"mk-meituan": "opted_out", "mk-jd": "ok", "mk-jd-night": "ok"}
    assert "mk-jd-night" not in str(held)  # held until the tick of the morning
    assert len(published[settings.topic(DEAD_LETTER)]) == 1


def verification(msg_id: str, phone: str = PHONE) -> dict[str, Any]:
    return {"msg_id": msg_id, "tenant": "jd", "signature": "京东", "category": "verification",
            "phone": phone, "content": "【京东】验证码123456，5分钟内有效。"}


def home(e164: str) -> int:
    """The recipient's partition: Kafka's default partitioner on its E.164 number."""
    return PARTITIONER(e164.encode(), list(range(8)), list(range(8)))


async def test_records_in_their_recipients_partition_are_decided_without_the_hop(
        tmp_path: Path, policy: Policy, recorder: Recorder,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Input topics with as many partitions as the table: a record keyed by the E.164 number
    (Kafka's partitioner) is decided where it is read; one in another partition takes the hop
    to the recipient's partition. Either way the state lives in that one partition, and the
    decisions are replay's."""
    monkeypatch.setattr("app.runtime.worker.copartitioned", lambda app, topic, other: True)
    settings = settings_for(tmp_path)
    app = create_app(settings, policy)
    p = home(E164)
    inputs = [("consent_events", grant("g-jd", "jd"), T0, p),  # in its partition
              ("send_intents", marketing("mk-1", "jd", "京东"), T0 + 1, p),
              ("send_intents", marketing("mk-2", "jd", "京东"), T0 + 2, (p + 1) % 8)]
    async with Worker(app, settings, recorder).running() as worker:
        for topic_id, value, timestamp_ms, partition in inputs:
            await worker.send_raw(topic_id, orjson.dumps(value), timestamp_ms,
                                  E164.encode(), partition)
        published = worker.published()

    assert [(h.topic, h.partition) for h in worker.hops] == [
        (settings.topic(RECIPIENT_EVENTS), p)]  # only mk-2, to the recipient's partition
    assert {source.partition for _, _, source in recorder.changelog} == {p}
    trace = [trace_line(settings.topic(t), ts, v) for t, v, ts, _ in inputs]
    assert published == replayed(settings, policy, trace)
    decisions = [(v["msg_id"], v["reason"]) for topic in (APPROVED, DROPPED)
                 for _, v in published.get(settings.topic(topic), [])]
    assert sorted(decisions) == [("mk-1", "ok"), ("mk-2", "frequency_cap")]


async def test_each_intent_takes_its_lane(tmp_path: Path, policy: Policy,
                                          recorder: Recorder) -> None:
    """The lane is the topic's: what upstream published to sms.priority-intents hops to the
    priority lane, but marketing, which hops to the bulk lane (it must not overtake a queued
    refusal); a code published to sms.send-intents keeps its place in the bulk lane."""
    settings = settings_for(tmp_path)
    app = create_app(settings, policy)
    notification = {**verification("n-1"), "category": "notification", "priority": " HIGH",
                    "content": "【京东】您的订单已发货。"}
    async with Worker(app, settings, recorder).running() as worker:
        await worker.send("send_intents", verification("v-1"), T0)
        await worker.send("send_intents", notification, T0 + 1)
        await worker.send("priority_intents", {**notification, "msg_id": "n-2"}, T0 + 2)
        await worker.send("priority_intents", marketing("mk-1", "jd", "京东"), T0 + 3)
        await worker.send("priority_intents", verification("v-2"), T0 + 4)

    lanes = [(orjson.loads(settings.sealer().open(h.value, h.key or b""))["value"]["msg_id"],
              h.topic) for h in worker.hops]
    priority, bulk = settings.topic(PRIORITY_EVENTS), settings.topic(RECIPIENT_EVENTS)
    assert lanes == [("v-1", bulk), ("n-1", bulk), ("n-2", priority), ("mk-1", bulk),
                     ("v-2", priority)]
    assert {h.partition for h in worker.hops} == {home(E164)}


async def test_a_malformed_record_is_dead_lettered_and_the_agents_go_on(
        tmp_path: Path, policy: Policy, recorder: Recorder) -> None:
    settings = settings_for(tmp_path)
    app = create_app(settings, policy)
    sealer = settings.sealer()
    async with Worker(app, settings, recorder).running() as worker:
        await worker.send("send_intents", b"\xff not json", T0)
        # a recipient event that does not authenticate (another secret, or tampered with)
        await worker.send_to_decide(sealer.recipient_key(E164), b"\x01" + b"\x00" * 40, T0 + 1)
        await worker.send("send_intents", {**marketing("mk-1", "jd", "京东"), "content": 7},
                          T0 + 2)
        published = worker.published()

    letters = [v for _, v in published[settings.topic(DEAD_LETTER)]]
    assert [(v["stage"], v["error_class"]) for v in letters] == [
        ("route", "not_json"), ("decide", "internal_error")]
    assert letters[1]["error"].startswith("SealError")
    assert [v["msg_id"] for _, v in published[settings.topic(DROPPED)]] == ["mk-1"]


async def test_a_consent_event_updates_the_table(tmp_path: Path, policy: Policy,
                                                 recorder: Recorder) -> None:
    settings = settings_for(tmp_path)
    app = create_app(settings, policy)
    assert consent_status(table_state(app, settings, E164), policy, "meituan") == "no_consent"
    async with Worker(app, settings, recorder).running() as worker:
        await worker.send("consent_events", grant("g-1", "meituan"), T0)
        granted = table_state(app, settings, E164)
        await worker.send("carrier_replies", td_reply("mo-1"), T0 + 1)
        revoked = table_state(app, settings, E164)

    assert consent_status(granted, policy, "meituan") == "granted"
    assert consent_status(revoked, policy, "meituan") == "revoked"
    # one changelog record per change, sealed under the hashed key: no phone number
    key = settings.sealer().recipient_key(E164)
    assert {k for k, _, _ in recorder.changelog} == {key}
    assert all(b"13987654321" not in (v or b"") + k for k, v, _ in recorder.changelog)
    assert all(b"13987654321" not in (s.key or b"") + s.value for s in recorder.records
               if s.topic == settings.topic(RECIPIENT_EVENTS))


# --- the per-partition state, on real Faust tables ------------------------------------------


class Decider:
    """Recipients over the real `recipients` table of a `create_app` app: recipient events
    routed and sealed as the worker publishes them, decided a batch at a time as
    `decide_batches` decides them."""

    def __init__(self, tmp_path: Path, policy: Policy, store: str = "memory://",
                 sweep_lag_s: int = 0) -> None:
        self.settings = settings_for(tmp_path, store)
        Path(self.settings.data_dir).mkdir(parents=True, exist_ok=True)
        self.app = create_app(self.settings, policy)
        self.table = self.app.tables[TABLE_NAME]
        self.sealer = self.settings.sealer()
        self.recipients = Recipients(self.table, self.sealer, policy, sweep_lag_s)
        names = {topic_id: spec.name for topic_id, spec in self.settings.topics.items()}
        self.router = Router({names["send_intents"]: INTENT, names["consent_events"]: CONSENT,
                              names["carrier_replies"]: REPLY}, policy)
        self.publisher = Publisher(self.sealer, names,
                                   Paths(self.settings.recipient_partitions, frozenset(),
                                         lambda topic: False))
        self.sender = Recorder()
        self.offset = 0

    def event(self, partition: int, timestamp_ms: int, key: bytes | None,
              value: bytes | None, topic: str) -> faust.EventT:
        self.offset += 1
        return faust.Event(self.app, key, value, None,
                           message(topic, partition, self.offset, timestamp_ms, key, value,
                                   self.app))

    def recipient_event(self, topic_id: str, value: dict[str, Any], timestamp_ms: int,
                        partition: int = 0) -> faust.EventT:
        """The recipient event `repartition` publishes for this input record."""
        source = self.event(0, timestamp_ms, None, orjson.dumps(value),
                            self.settings.topic(topic_id))
        emit = self.router.route_message(source.message)
        assert emit.topic == RECIPIENT_EVENTS
        before = len(self.sender.records)
        self.publisher.publish(self.sender, emit, timestamp_ms, source.message.tp)  # type: ignore[arg-type]
        sent = self.sender.records[before]
        return self.event(partition, timestamp_ms, sent.key, sent.value, sent.topic)

    def tick(self, now_ms: int, partition: int) -> faust.EventT:
        value = self.sealer.seal(orjson.dumps({"kind": TICK, "ts": now_ms}), TICK_KEY)
        return self.event(partition, now_ms, TICK_KEY, value,
                          self.settings.topic(RECIPIENT_EVENTS))

    def decide(self, *events: faust.EventT) -> list[Emit]:
        states = self.recipients.states()
        emits: list[Emit] = []
        for event in events:
            set_current_event(event)
            states.event = event
            emits += self.recipients.decide_message(event.message, states)
        states.write_back(self.sender)  # type: ignore[arg-type]
        return emits

    def held_index(self, partition: int) -> dict[str, Any]:
        set_current_event(self.tick(0, partition))  # RocksDB reads the event's partition
        return self.recipients.states().load(HELD_INDEX_KEY + str(partition).encode())

    def state(self, e164: str, partition: int = 0) -> dict[str, Any]:
        set_current_event(self.tick(0, partition))
        return self.recipients.states().load(self.sealer.recipient_key(e164))


def reasons(emits: list[Emit]) -> list[tuple[str, str]]:
    return [(e.value["msg_id"], e.value["reason"]) for e in emits
            if e.topic in (APPROVED, DROPPED)]


@pytest.fixture(params=["memory://", "rocksdb://"])
def store(request: pytest.FixtureRequest) -> Iterator[str]:
    yield request.param


def test_state_carries_from_batch_to_batch_through_the_table(tmp_path: Path, policy: Policy,
                                                             store: str) -> None:
    decider = Decider(tmp_path, policy, store)
    assert reasons(decider.decide(
        decider.recipient_event("consent_events", grant("g-1", "jd"), T0),
        decider.recipient_event("send_intents", marketing("m-1", "jd", "京东"), T0 + 1),
    )) == [("m-1", "ok")]
    # a later batch reads what this one wrote: the consent, m-1 decided, the cap used
    assert reasons(decider.decide(
        decider.recipient_event("send_intents", marketing("m-1", "jd", "京东"), T0 + 2),
        decider.recipient_event("send_intents", marketing("m-2", "jd", "京东"), T0 + 3),
    )) == [("m-1", "duplicate"), ("m-2", "frequency_cap")]  # marketing: one a day
    assert consent_status(decider.state(E164), policy, "jd") == "granted"
    key = decider.sealer.recipient_key(E164)
    assert [k for k, _, _ in decider.sender.changelog] == [key, key]  # once per batch


def test_a_held_intent_is_indexed_per_partition_and_released_by_its_tick(
        tmp_path: Path, defer_policy: Policy, store: str) -> None:
    decider = Decider(tmp_path, defer_policy, store)
    key = decider.sealer.recipient_key(E164).decode()
    assert reasons(decider.decide(
        decider.recipient_event("consent_events", grant("g-1", "jd"), T0, partition=3),
        decider.recipient_event("send_intents", marketing("m-1", "jd", "京东"), NIGHT,
                                partition=3),
    )) == []
    assert decider.held_index(3) == {key: MORNING}
    assert decider.decide(decider.tick(MORNING - 1, 3)) == []  # not due yet
    assert decider.decide(decider.tick(MORNING, 2)) == []  # another partition's tick
    released = decider.decide(decider.tick(MORNING, 3))
    assert reasons(released) == [("m-1", "ok")]
    assert decider.held_index(3) == {}
    assert decider.decide(decider.tick(MORNING + 1000, 3)) == []  # released once


def test_a_failure_fails_closed_and_changes_no_state(tmp_path: Path, policy: Policy) -> None:
    decider = Decider(tmp_path, policy)
    decider.decide(decider.recipient_event("consent_events", grant("g-1", "jd"), T0))
    before = decider.state(E164)
    good = decider.recipient_event("send_intents", marketing("m-1", "jd", "京东"), T0 + 1)
    # the right key, a value sealed for another recipient: it does not authenticate
    other = decider.recipient_event("send_intents", marketing("m-2", "jd", "京东", OTHER_E164),
                                    T0 + 1)
    tampered = decider.event(0, T0 + 1, good.message.key, other.message.value,
                             good.message.topic)
    emits = decider.decide(tampered)
    assert [(e.topic, e.value["stage"], e.value["error_class"]) for e in emits] == [
        (DEAD_LETTER, "decide", "internal_error")]
    assert decider.state(E164) == before
    assert decider.recipients.latest_ms == {0: T0}  # the failed event's time is not taken


def test_the_sweep_prunes_idle_state_only_once_no_decision_can_read_it(
        tmp_path: Path, policy: Policy) -> None:
    """RocksDB only: the memory store has no per-partition key order to sweep."""
    lag_s = 60
    decider = Decider(tmp_path, policy, "rocksdb://", sweep_lag_s=lag_s)
    dedup_ms = policy.dedup_window_s * 1000
    decider.decide(decider.recipient_event("send_intents", marketing("m-1", "jd", "京东"), T0,
                                           partition=5))
    assert "seen" in decider.state(E164, 5)

    def later(offset_ms: int) -> faust.EventT:  # another recipient's event moves time on
        return decider.recipient_event(
            "send_intents", marketing(f"o-{offset_ms}", "jd", "京东", OTHER_E164),
            T0 + offset_ms, partition=5)

    # the dedup window has passed, but not the sweep lag too: m-1 could still be a duplicate
    decider.decide(later(dedup_ms + 1), decider.tick(T0 + 10 * dedup_ms, 5))
    assert "seen" in decider.state(E164, 5)
    decider.decide(later(dedup_ms + lag_s * 1000 + 1), decider.tick(T0 + 10 * dedup_ms, 5))
    assert decider.state(E164, 5) == {}
    pruned_key = decider.sealer.recipient_key(E164)
    assert (pruned_key, None, TP(decider.settings.topic(RECIPIENT_EVENTS), 5)) in \
        decider.sender.changelog  # a tombstone in the changelog


# --- the HTTP pages -------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def web_client(app: faust.App) -> AsyncIterator[TestClient]:
    async with TestClient(TestServer(app.web.web_app)) as client:
        yield client


async def test_health_readiness_and_metrics(tmp_path: Path, policy: Policy) -> None:
    app = create_app(settings_for(tmp_path), policy)
    async with web_client(app) as client:
        health = await client.get("/healthz")
        assert health.status == 200
        assert await health.json() == {"status": "ok", "policy_version": policy.version}
        not_ready = await client.get("/readyz")
        assert not_ready.status == 503
        assert (await not_ready.json())["ready"] is False
        app.tables.recovery.completed.set()  # what Faust sets once the tables are recovered
        ready = await client.get("/readyz")
        assert ready.status == 200
        assert (await ready.json())["ready"] is True
        metrics_page = await client.get("/metrics")
        assert metrics_page.status == 200
        assert metrics_page.headers["Content-Type"] == CONTENT_TYPE_LATEST
        assert "sendguard_" in await metrics_page.text()


async def test_recipient_page_needs_the_token_and_explains_the_table_state(
        tmp_path: Path, policy: Policy, recorder: Recorder,
        monkeypatch: pytest.MonkeyPatch) -> None:
    settings = settings_for(tmp_path)
    app = create_app(settings, policy)

    async def on_this_worker(*args: Any) -> Any:  # the group assignment needs a broker
        raise SameNode()

    monkeypatch.setattr(app.router, "route_req", on_this_worker)
    async with Worker(app, settings, recorder).running() as worker:
        await worker.send("consent_events", grant("g-1", "meituan"), T0)
    path = "/recipients/" + PHONE.replace(" ", "%20")
    async with web_client(app) as client:
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}):
            refused = await client.get(path, headers=headers)
            assert refused.status == 401
            assert PHONE not in await refused.text()
        answer = await client.get(path, headers={"Authorization": f"Bearer {TOKEN}"})
        assert answer.status == 200
        body = await answer.json()
        assert consent_status(table_state(app, settings, E164), policy, "meituan") == "granted"
        [meituan] = [c for c in body["consent"]
                     if c["tenant"] == "meituan" and c["category"] == "marketing"]
        assert meituan["status"] == "granted"
        assert meituan["deciding_event"]["event_id"] == "g-1"
        invalid = await client.get("/recipients/not-a-number",
                                   headers={"Authorization": f"Bearer {TOKEN}"})
        assert invalid.status == 400


# --- migration from the legacy layout (app/runtime/migration.py) ----------------------------


def legacy_from(decider: Decider, tmp_path: Path, partition: int) -> LegacyStates:
    """Move what `decider` stored for E164 (as the last release would have stored it) into
    a legacy copy, leaving its table empty."""
    key = decider.sealer.recipient_key(E164)
    set_current_event(decider.tick(0, partition))
    sealed = decider.table.data.pop(key)  # memory store
    decider.table.data.pop(HELD_INDEX_KEY + str(partition).encode(), None)  # not migrated
    db = Rdict(str(tmp_path / "legacy"))
    db[key] = sealed
    found = held_due(decider.sealer, key, sealed, decider.settings.recipient_partitions)
    held = {found[0]: {key.decode(): found[1]}} if found else {}
    return LegacyStates(db, "sendguard-recipients-changelog", 8, held)


def test_a_recipient_in_the_legacy_table_moves_at_its_next_event(tmp_path: Path,
                                                                 policy: Policy) -> None:
    decider = Decider(tmp_path, policy)
    decider.decide(decider.recipient_event("consent_events", grant("g-1", "meituan"), T0),
                   decider.recipient_event("carrier_replies", td_reply("mo-1"), T0 + 1))
    legacy = legacy_from(decider, tmp_path, 0)
    decider.recipients.legacy = legacy
    decider.sender = Recorder()
    key = decider.sealer.recipient_key(E164)
    p = home(E164)
    assert reasons(decider.decide(decider.recipient_event(
        "send_intents", marketing("m-1", "meituan", "美团"), T0 + 2, partition=p))) == [
        ("m-1", "opted_out")]  # the old release's opt-out holds
    assert [(k, s.partition) for k, _, s in decider.sender.changelog] == [(key, p)]
    [tombstone] = [r for r in decider.sender.records if r.topic == legacy.topic]
    assert (tombstone.key, tombstone.value, tombstone.partition) == \
        (key, None, legacy_partition(key, 8))
    assert legacy.get(key) is None and legacy.count() == 0
    assert consent_status(decider.state(E164, p), policy, "meituan") == "revoked"


def test_a_legacy_recipients_deferred_intent_is_released_in_its_new_partition(
        tmp_path: Path, defer_policy: Policy) -> None:
    decider = Decider(tmp_path, defer_policy)
    decider.decide(
        decider.recipient_event("consent_events", grant("g-1", "jd"), T0),
        decider.recipient_event("send_intents", marketing("m-1", "jd", "京东"), NIGHT))
    decider.recipients.legacy = legacy_from(decider, tmp_path, 0)
    p = home(E164)
    assert decider.decide(decider.tick(MORNING, (p + 1) % 8)) == []  # not its partition
    assert reasons(decider.decide(decider.tick(MORNING, p))) == [("m-1", "ok")]
    assert decider.recipients.legacy.count() == 0


def test_co_partitioning_is_read_from_this_generations_assignment(tmp_path: Path,
                                                                   policy: Policy) -> None:
    """The path of a record (one hop or the hop) follows the assignor's topic groups, which
    every member receives with its assignment; before one (or for a topic it does not name)
    a record takes the hop."""
    app = create_app(settings_for(tmp_path), policy)
    assert copartitioned(app, "sms.send-intents", "sendguard.recipient-events") is False

    groups = {"in8": 1, "internal": 1, "in12": 2}

    class Assignment:
        def group_for_topic(self, topic: str) -> int:
            return groups[topic]  # a KeyError for a topic not assigned, as Faust's

    other = type("App", (), {"assignor": Assignment()})()
    assert copartitioned(other, "in8", "internal") is True
    assert copartitioned(other, "in12", "internal") is False
    assert copartitioned(other, "unknown", "internal") is False
