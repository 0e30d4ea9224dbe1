"""End-to-end latency at a fixed offered rate: intent record timestamp -> committed approval.

A librdkafka producer (a thread) publishes intents at `rate` per second in 5 ms steps, each
stamped by the producer at send time (CreateTime). The decide agent gives its records the
input's timestamp, so for every record a read_committed consumer of sms.approved receives,
latency = the consumer's clock at receipt - the record's timestamp: parse, repartition,
decide, the transaction commit and the fetch, all included. sms.dropped is read too, only to
know when every intent has been decided.

Keyed as before one hop (the national number, librdkafka's default partitioner: every record
takes the hop), or `recipient_keyed` as app.client sends (the E.164 number, Kafka's murmur2
partitioner, verification codes to the priority topic): decided where they are read.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from dataclasses import dataclass, field

import orjson
from confluent_kafka import Consumer, Producer

from app.rules.phones import normalise_phone
from benchmarks.traffic import intent_value, phone_of, pick_category


@dataclass
class Latency:
    offered: int = 0
    offered_rate: float = 0.0
    decided: int = 0
    approved_ms: list[float] = field(default_factory=list)
    verification_ms: list[float] = field(default_factory=list)


def _intents(count: int, seed: int, recipient_keyed: bool = False
             ) -> list[tuple[bytes, bytes, bool]]:
    """Fresh recipients (skew does not matter here), the usual category mix: (key, value,
    is a verification code)."""
    rng = random.Random(seed)
    out = []
    for i in range(count):
        phone = phone_of(5_000_000 + rng.randrange(count * 5))
        category = pick_category(rng)
        value = intent_value(i, phone, category, rng, prefix=f"lat{seed}")
        key = normalise_phone(phone) if recipient_keyed else phone
        out.append((key.encode(), orjson.dumps(value), category == "verification"))
    return out


def _produce(bootstrap: str, topics: tuple[str, str], records: list[tuple[bytes, bytes, bool]],
             rate: float, result: Latency, config: dict[str, str]) -> None:
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 2, **config})
    started = time.monotonic()
    sent = 0
    while sent < len(records):
        due = min(len(records), int((time.monotonic() - started) * rate) + 1)
        while sent < due:
            key, value, code = records[sent]
            producer.produce(topics[code], value=value, key=key)
            sent += 1
        producer.poll(0)
        time.sleep(0.005)
    producer.flush(60)
    result.offered = sent
    result.offered_rate = sent / max(time.monotonic() - started, 1e-3)


def measure(bootstrap: str, intents_topic: str, approved: str, dropped: str, rate: float,
            seconds: float, drain_s: float = 120.0, seed: int = 5,
            priority_topic: str | None = None) -> Latency:
    """Offer `rate` intents/s for `seconds`, then wait (up to drain_s) for every decision.
    With `priority_topic`, recipient-keyed as app.client sends (codes to that topic)."""
    keyed = priority_topic is not None
    records = _intents(int(rate * seconds), seed, keyed)
    topics = (intents_topic, priority_topic or intents_topic)
    config = {"partitioner": "murmur2_random"} if keyed else {}
    result = Latency()
    consumer = Consumer({
        "bootstrap.servers": bootstrap, "group.id": f"bench-latency-{uuid.uuid4().hex[:6]}",
        "isolation.level": "read_committed", "auto.offset.reset": "earliest",
        "enable.auto.commit": False, "fetch.wait.max.ms": 10,
    })
    consumer.subscribe([approved, dropped])
    while not consumer.assignment():  # join before producing, so nothing is skipped
        consumer.poll(0.2)
    producer = threading.Thread(target=_produce,
                                args=(bootstrap, topics, records, rate, result, config))
    producer.start()
    deadline = None
    try:
        while result.decided < len(records):
            if not producer.is_alive():
                deadline = deadline or time.monotonic() + drain_s
                if time.monotonic() > deadline:
                    break
            for message in consumer.consume(1000, 0.05):
                if message.error():
                    continue
                now_ms = time.time() * 1000
                result.decided += 1
                if message.topic() == approved:
                    latency = now_ms - message.timestamp()[1]
                    result.approved_ms.append(latency)
                    if b'"category":"verification"' in message.value():
                        result.verification_ms.append(latency)
    finally:
        producer.join()
        consumer.close()
    return result
