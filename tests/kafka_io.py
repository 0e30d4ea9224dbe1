"""Talk to the broker as upstream services and downstream readers do: confluent-kafka."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import orjson
from confluent_kafka import Consumer, Producer

from app.rules.records import iso_ms


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


def daytime_in_shanghai_ms() -> int:
    """The latest 10:00 Asia/Shanghai before now: marketing is outside quiet hours then, and
    the record stays inside the topics' retention."""
    shanghai = ZoneInfo("Asia/Shanghai")
    local = datetime.now(shanghai).replace(hour=10, minute=0, second=0, microsecond=0)
    if local > datetime.now(shanghai):
        local -= timedelta(days=1)
    return int(local.timestamp() * 1000)


def trace_line(topic: str, ts: int, value: bytes) -> bytes:
    """The `sendguard replay` trace line for a record published with `publish`."""
    try:
        return orjson.dumps({"topic": topic, "timestamp": iso_ms(ts), "value": orjson.loads(value)})
    except orjson.JSONDecodeError:
        return orjson.dumps({"topic": topic, "timestamp": iso_ms(ts),
                             "raw": value.decode("utf-8", "replace")})


class CommittedReader:
    """A read_committed reader in a background thread, for tests that watch progress while
    they break things: `count` is how many committed records arrived so far, `arrivals` their
    monotonic arrival times (to measure how long output stalled)."""

    def __init__(self, bootstrap: str, topics: list[str]) -> None:
        self.records: list[tuple[str, str | None, dict[str, Any]]] = []
        self.arrivals: list[float] = []
        self.msg_ids: set[str] = set()  # distinct msg_ids among the records
        self._consumer = Consumer({
            "bootstrap.servers": bootstrap, "group.id": f"reader-{uuid.uuid4().hex[:8]}",
            "auto.offset.reset": "earliest", "isolation.level": "read_committed",
            "enable.auto.commit": False,
        })
        self._consumer.subscribe(topics)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="committed-reader", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            for message in self._consumer.consume(1000, 0.2):
                if message.error():
                    continue
                key = message.key().decode() if message.key() is not None else None
                value = orjson.loads(message.value())
                self.records.append((message.topic(), key, value))
                self.msg_ids.add(value.get("msg_id"))
                self.arrivals.append(time.monotonic())

    @property
    def count(self) -> int:
        return len(self.records)

    def wait_for(self, expected: int, timeout: float, alive: Callable[[], None] | None = None
                 ) -> bool:
        """Wait until `expected` distinct msg_ids arrived; `alive` may raise if a process died.
        (Distinct: duplicates must not make up for lost records.)"""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.msg_ids) >= expected:
                return True
            if alive is not None:
                alive()
            time.sleep(0.05)
        return False

    def close(self, settle: float = 3.0) -> list[tuple[str, str | None, dict[str, Any]]]:
        """Read `settle` seconds more (anything extra, e.g. a duplicate, shows up), then stop."""
        time.sleep(settle)
        self._stop.set()
        self._thread.join(10)
        self._consumer.close()
        return list(self.records)
