"""On the launched Apache Kafka: verification codes sent with app.client while a campaign's
backlog drains are decided in the priority lane, before the backlog ends, and every decision
is the one replay gives (the lanes share no state where no [global] cap binds)."""

from __future__ import annotations

import asyncio
import threading
import time

import orjson
import pytest
from confluent_kafka import Consumer

from app import contracts
from app.client import IntentProducer
from app.rules.policy import load_policy
from app.runtime.admin import ensure_topics
from app.runtime.settings import Settings
from app.tools.replay import replay
from tests.kafka_io import daytime_in_shanghai_ms, publish, trace_line
from tests.test_faults_kafka import FAST_GROUP, decided_by

pytestmark = pytest.mark.kafka

POLICY = contracts.example_policy_path()
BACKLOG = 20_000
CODES = 20


def phone(i: int) -> str:
    return f"+86138{i:08d}"


def marketing(i: int) -> dict:
    return {"msg_id": f"mk-{i}", "tenant": "jd", "signature": "京东", "category": "marketing",
            "phone": phone(i), "content": "【京东】11.11狂欢返场，家电爆款直降200元。退订回T"}


def code(i: int) -> dict:
    return {"msg_id": f"code-{i}", "tenant": "jd", "signature": "京东",
            "category": "verification", "phone": phone(BACKLOG + i),
            "content": f"【京东】验证码{100000 + i}，5分钟内有效。"}


class Decisions(threading.Thread):
    """Reads decisions (read_committed) as they come, noting the order they are seen in."""

    def __init__(self, bootstrap: str, topics: list[str], expected: int) -> None:
        super().__init__(daemon=True)
        self.consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"r{time.time()}",
                                  "auto.offset.reset": "earliest",
                                  "isolation.level": "read_committed"})
        self.consumer.subscribe(topics)
        self.expected = expected
        self.seen: list[dict] = []

    def run(self) -> None:
        deadline = time.monotonic() + 300
        try:
            while len(self.seen) < self.expected and time.monotonic() < deadline:
                message = self.consumer.poll(0.2)
                if message is not None and not message.error():
                    self.seen.append(orjson.loads(message.value()))
        finally:
            self.consumer.close()


def test_codes_overtake_a_campaigns_backlog(worker_factory, kafka: str) -> None:
    worker = worker_factory()
    topics = worker.topics
    settings = Settings.from_env(worker.env)
    asyncio.run(ensure_topics(settings))  # the campaign is queued before the worker starts
    now = daytime_in_shanghai_ms()
    backlog = [(phone(i), orjson.dumps(marketing(i)), now + i // 100) for i in range(BACKLOG)]
    publish(kafka, topics["send_intents"], backlog)
    reader = Decisions(kafka, [topics["approved"], topics["dropped"]], BACKLOG + CODES)
    reader.start()
    worker.start()

    async def send_codes() -> list[int]:
        stamps = []
        async with IntentProducer(kafka, topics["send_intents"],
                                  priority_topic=topics["priority_intents"]) as producer:
            for i in range(CODES):
                stamp = int(time.time() * 1000)
                await producer.send(timestamp_ms=stamp, **code(i))
                stamps.append(stamp)
                await asyncio.sleep(0.05)
        return stamps

    stamps = asyncio.run(send_codes())
    reader.join()
    assert len(reader.seen) == BACKLOG + CODES, worker.log_tail()
    order = [d["msg_id"] for d in reader.seen]
    last_code = max(order.index(f"code-{i}") for i in range(CODES))
    # every code was decided while most of the campaign still waited
    assert last_code < BACKLOG * 0.9, (last_code, worker.log_tail())

    trace = [trace_line(topics["send_intents"], ts, value) for _, value, ts in backlog]
    trace += [trace_line(topics["priority_intents"], stamp, orjson.dumps(code(i)))
              for i, stamp in enumerate(stamps)]
    decided = {d["msg_id"]: d for d in reader.seen}
    for backlog in (False, True):  # a worker that keeps up, one that finds it all queued
        replayed = [orjson.loads(line)["value"]
                    for line in replay(settings, load_policy(POLICY), trace, backlog=backlog)]
        assert {d["msg_id"]: d for d in replayed} == decided


def test_recipient_keyed_traffic_takes_one_hop_on_every_worker(worker_factory,
                                                                kafka: str) -> None:
    """Intents keyed by the E.164 number with Kafka's default partitioner are decided where
    they are read, on the group leader and on the other worker alike: none reaches the
    internal topics, which hold only the ticks. (Each worker once read co-partitioning from a
    metadata snapshot only the leader keeps: the other sent every record through the hop, and
    when it became leader its new records overtook the ones still queued there, so a code was
    capped by a later one.)"""
    first = worker_factory(**FAST_GROUP).start()
    second = worker_factory(**FAST_GROUP).start()
    topics = first.topics
    now = daytime_in_shanghai_ms()
    intents = [(code(i)["phone"], orjson.dumps(code(i)), now + i) for i in range(2_000)]
    # librdkafka's murmur2_random is the Java client's default partitioner on a keyed record
    publish(kafka, topics["send_intents"], intents, {"partitioner": "murmur2_random"})
    reader = Decisions(kafka, [topics["approved"], topics["dropped"]], len(intents))
    reader.start()
    reader.join()
    assert len(reader.seen) == len(intents), first.log_tail() + second.log_tail()
    assert decided_by(first) > 0 and decided_by(second) > 0  # both own partitions

    internal = Consumer({"bootstrap.servers": kafka, "group.id": f"r{time.time()}",
                         "auto.offset.reset": "earliest", "isolation.level": "read_committed"})
    internal.subscribe([topics["recipient_events"], topics["priority_events"]])
    hopped: list[bytes | None] = []
    ticks = 0
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        for message in internal.consume(1000, 0.5):
            if message.error():
                continue
            if message.key() == b"\x00tick":
                ticks += 1
            else:
                hopped.append(message.key())
    internal.close()
    assert ticks > 0, "the internal topics were not read"  # (each worker ticks every second)
    assert not hopped, f"{len(hopped)} of {len(intents)} intents took the hop: {hopped[:3]}"
