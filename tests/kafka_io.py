"""Talk to the broker as upstream services and downstream readers do: confluent-kafka."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable
from typing import Any

import orjson
from confluent_kafka import Consumer, Producer

from app.records import iso_ms


def publish(bootstrap: str, topic: str, records: Iterable[tuple[str | None, bytes, int]],
            config: dict[str, Any] | None = None) -> None:
    """Produce (key, value bytes, timestamp ms) records with librdkafka's default partitioner.

    `config`: more librdkafka settings (security, message.max.bytes)."""
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5, **(config or {})})
    for key, value, ts in records:
        producer.produce(topic, value=value, key=key.encode() if key else None, timestamp=ts)
    assert producer.flush(30) == 0, "records left unsent"


def consume(bootstrap: str, topics: list[str], expected: int, timeout: float = 90.0,
            settle: float = 3.0, config: dict[str, Any] | None = None
            ) -> list[tuple[str, str | None, dict[str, Any]]]:
    """Read committed records until `expected` arrived (then `settle` more seconds) or timeout."""
    consumer = Consumer({**(config or {}),
        "bootstrap.servers": bootstrap, "group.id": f"reader-{uuid.uuid4().hex[:8]}",
        "auto.offset.reset": "earliest", "isolation.level": "read_committed",
        "enable.auto.commit": False,
    })
    consumer.subscribe(topics)
    got: list[tuple[str, str | None, dict[str, Any]]] = []
    deadline = time.monotonic() + timeout
    settle_until = None
    try:
        while time.monotonic() < deadline:
            if len(got) >= expected:
                settle_until = settle_until or time.monotonic() + settle
                if time.monotonic() > settle_until:
                    break
            message = consumer.poll(0.5)
            if message is None or message.error():
                continue
            key = message.key().decode() if message.key() is not None else None
            got.append((message.topic(), key, orjson.loads(message.value())))
    finally:
        consumer.close()
    return got


def trace_line(topic: str, ts: int, value: bytes) -> bytes:
    """The `sendguard replay` trace line for a record published with `publish`."""
    try:
        return orjson.dumps({"topic": topic, "timestamp": iso_ms(ts), "value": orjson.loads(value)})
    except orjson.JSONDecodeError:
        return orjson.dumps({"topic": topic, "timestamp": iso_ms(ts),
                             "raw": value.decode("utf-8", "replace")})
