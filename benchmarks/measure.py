"""Measuring on Kafka: topics, publishing, counting outputs, and processes under test.

Throughput is taken from the broker's clock: output topics are created with
message.timestamp.type=LogAppendTime, so each output record carries the time the broker
appended it, and a variant's rate is (records - 1) / (last append - first append). That
excludes process start-up, group join and table recovery, and does not depend on when the
(read_committed) counting consumer happened to poll: with exactly-once a consumer only sees a
transaction's records at its commit, which would quantise wall-clock arrival to the commit
interval. Counting is still done with read_committed, so only committed records count.
"""

from __future__ import annotations

import contextlib
import math
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from pathlib import Path

import orjson
from confluent_kafka import OFFSET_BEGINNING, Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from benchmarks.traffic import Record

ROOT = Path(__file__).resolve().parents[1]
LOG_APPEND = {"message.timestamp.type": "LogAppendTime"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


def create_topics(bootstrap: str, topics: dict[str, int], config: dict[str, str] | None = None
                  ) -> None:
    """Create topics (name -> partitions) and wait until they exist."""
    admin = AdminClient({"bootstrap.servers": bootstrap})
    futures = admin.create_topics([NewTopic(name, parts, 1, config=dict(config or {}))
                                   for name, parts in topics.items()])
    for future in futures.values():
        future.result(60)


def delete_topics(bootstrap: str, prefix: str) -> None:
    """Delete every topic whose name starts with `prefix` (only the benchmark's own)."""
    admin = AdminClient({"bootstrap.servers": bootstrap})
    names = [t for t in admin.list_topics(timeout=30).topics if t.startswith(prefix)]
    if names:
        for future in admin.delete_topics(names, operation_timeout=30).values():
            with contextlib.suppress(Exception):  # already gone: nothing to clean
                future.result(60)


def publish(bootstrap: str, topic: str, records: list[Record],
            config: dict[str, str] | None = None) -> float:
    """Produce records as an upstream service would (librdkafka; `config` adds to its
    settings, e.g. the partitioner); return the seconds taken."""
    started = time.monotonic()
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 20,
                         "batch.num.messages": 10000, **(config or {})})
    for record in records:
        while True:
            try:
                producer.produce(topic, value=record.value, key=record.key, timestamp=record.ts)
                break
            except BufferError:
                producer.poll(0.05)
    if producer.flush(120) != 0:
        raise RuntimeError(f"records left unsent to {topic}")
    return time.monotonic() - started


@dataclass
class Counted:
    """What a read_committed consumer found on the outputs."""

    count: int = 0
    distinct: int = 0  # records with an identity not seen before (all, without identity)
    by_topic: dict[str, int] = field(default_factory=dict)
    append_ms: list[int] = field(default_factory=list)

    def rate(self, since_ms: float = 0) -> float:
        """Records per second between the first record appended at or after `since_ms` and
        the last one (all of them by default)."""
        times = sorted(t for t in self.append_ms if t >= since_ms)
        if len(times) < 2:
            return 0.0
        return (len(times) - 1) / max((times[-1] - times[0]) / 1000, 1e-3)


def decision_identity(value: bytes) -> tuple[str, bool]:
    """What makes a SendGuard output unique: its msg_id (a retried request's `duplicate`
    drop apart) or a consent outcome's event_id. Seen twice = a duplicate commit."""
    record = orjson.loads(value)
    return (record.get("msg_id") or record.get("event_id") or "",
            record.get("reason") == "duplicate")


def count_outputs(bootstrap: str, topics: list[str], expected: int, stall_s: float = 90.0,
                  identity: Callable[[bytes], Hashable] | None = None) -> Counted:
    """Read committed records from `topics` until `expected` distinct ones arrived or none
    came for stall_s."""
    consumer = Consumer({
        "bootstrap.servers": bootstrap, "group.id": unique("bench-reader"),
        "isolation.level": "read_committed", "enable.auto.commit": False,
        "auto.offset.reset": "earliest", "fetch.wait.max.ms": 100,
    })
    admin_meta = consumer.list_topics(timeout=30)
    consumer.assign([TopicPartition(t, p, OFFSET_BEGINNING)
                     for t in topics for p in admin_meta.topics[t].partitions])
    counted = Counted(by_topic={t: 0 for t in topics})
    seen: set[Hashable] = set()
    last_progress = time.monotonic()
    try:
        while counted.distinct < expected and time.monotonic() - last_progress < stall_s:
            messages = consumer.consume(10000, 0.5)
            for message in messages:
                if message.error():
                    continue
                counted.count += 1
                if identity is None:
                    counted.distinct += 1
                else:
                    key = identity(message.value())
                    if key not in seen:
                        seen.add(key)
                        counted.distinct += 1
                counted.by_topic[message.topic()] += 1
                counted.append_ms.append(message.timestamp()[1])
            if messages:
                last_progress = time.monotonic()
    finally:
        consumer.close()
    return counted


class Process:
    """A process under test, started in its own session with its output in a log file."""

    def __init__(self, args: list[str], env: dict[str, str], log_path: Path,
                 ready_text: str | None = None) -> None:
        self.args, self.env, self.log_path, self.ready_text = args, env, log_path, ready_text
        self.proc: subprocess.Popen[bytes] | None = None
        self.ready_at = 0.0  # wall clock (s) when it was first seen ready

    def start(self) -> Process:
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(self.args, cwd=ROOT, env={**os.environ, **self.env},
                                         stdout=log, stderr=subprocess.STDOUT,
                                         start_new_session=True)
        return self

    def wait_ready(self, timeout: float = 180.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is None or self.proc.poll() is not None:
                raise RuntimeError(f"{self.args[2:4]} exited:\n{self.log_tail()}")
            if self.ready_text is None or self.ready_text in self.log_path.read_text(
                    errors="replace"):
                self.ready_at = time.time()
                return
            time.sleep(0.2)
        raise RuntimeError(f"not ready in {timeout}s:\n{self.log_tail()}")

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def rss_mib(self) -> float:
        return rss_mib(self.pid)

    def log_tail(self, lines: int = 40) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, timeout: float = 30.0) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)


def rss_mib(pid: int) -> float:
    """Resident set size of a process, from /proc (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def python() -> str:
    return sys.executable


def median(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of unsorted values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(q / 100 * len(ordered))))
    return ordered[rank - 1]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy_seconds() -> float:
    """CPU time every core of the machine has spent busy so far (all processes), from
    /proc/stat (Linux): user, nice, system, irq, softirq and steal; idle and iowait are not."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(f) for f in fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")
