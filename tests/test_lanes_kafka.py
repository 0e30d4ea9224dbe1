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
