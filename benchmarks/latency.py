"""End-to-end latency at a fixed offered rate: intent record timestamp -> committed approval.

A librdkafka producer (a thread) publishes intents at `rate` per second in 5 ms steps, each
stamped by the producer at send time (CreateTime). The decide agent gives its records the
input's timestamp, so for every record a read_committed consumer of sms.approved receives,
latency = the consumer's clock at receipt - the record's timestamp: parse, repartition,
decide, the transaction commit and the fetch, all included. sms.dropped is read too, only to
know when every intent has been decided.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from dataclasses import dataclass, field

import orjson
from confluent_kafka import Consumer, Producer

from benchmarks.traffic import intent_value, phone_of, pick_category


@dataclass
class Latency:
    offered: int = 0
    offered_rate: float = 0.0
    decided: int = 0
    approved_ms: list[float] = field(default_factory=list)
    verification_ms: list[float] = field(default_factory=list)


def _intents(count: int, seed: int) -> list[tuple[bytes, bytes]]:
    """Fresh recipients (skew does not matter here), the usual category mix."""
    rng = random.Random(seed)
    out = []
    for i in range(count):
        phone = phone_of(5_000_000 + rng.randrange(count * 5))
        value = intent_value(i, phone, pick_category(rng), rng, prefix=f"lat{seed}")
        out.append((phone.encode(), orjson.dumps(value)))
    return out


def _produce(bootstrap: str, topic: str, records: list[tuple[bytes, bytes]], rate: float,
             result: Latency) -> None:
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 2})
    started = time.monotonic()
    sent = 0
    while sent < len(records):
        due = min(len(records), int((time.monotonic() - started) * rate) + 1)
        while sent < due:
            key, value = records[sent]
            producer.produce(topic, value=value, key=key)
            sent += 1
        producer.poll(0)
        time.sleep(0.005)
    producer.flush(60)
    result.offered = sent
    result.offered_rate = sent / max(time.monotonic() - started, 1e-3)


def measure(bootstrap: str, intents_topic: str, approved: str, dropped: str, rate: float,
            seconds: float, drain_s: float = 120.0, seed: int = 5) -> Latency:
    """Offer `rate` intents/s for `seconds`, then wait (up to drain_s) for every decision."""
    records = _intents(int(rate * seconds), seed)
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
                                args=(bootstrap, intents_topic, records, rate, result))
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
