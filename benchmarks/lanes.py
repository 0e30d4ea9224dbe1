"""Lanes and one hop, measured: verification codes behind a campaign, and recipient-keyed
traffic against msg_id-keyed traffic.

Recipient-keyed records are keyed as app.client sends them: the E.164 number with Kafka's
default partitioner (murmur2; librdkafka's `murmur2_random`), into topics with as many
partitions as sendguard.recipient-events (8), so the worker decides them where it reads them.
msg_id-keyed records (consent events by event_id) land in their recipient's partition only by
chance (about 1 in 8) and otherwise take the hop.

The backlog run: a campaign's consent grants are decided first (a worker started and
stopped), then the campaign's marketing intents fill sms.send-intents and the same worker
(same app id and state directory) starts again. From the first marketing decision a
read_committed consumer sees until the last, verification codes are sent at a fixed rate,
each stamped with its send time: to sms.priority-intents (the lane, as app.client does) or to
sms.send-intents behind the campaign (no lane). A code's latency = the consumer's clock when
its decision arrives - its record timestamp; the drain rate = marketing decisions per second
between the first and last one's broker append time (output topics use LogAppendTime).
"""

from __future__ import annotations

import contextlib
import dataclasses
import random
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
from confluent_kafka import OFFSET_BEGINNING, Consumer, Producer, TopicPartition

from app.rules.phones import normalise_phone
from app.runtime.lanes import recipient_partition
from app.runtime.settings import load_topic_specs
from benchmarks.latency import Latency
from benchmarks.measure import (
    LOG_APPEND,
    Counted,
    Process,
    count_outputs,
    create_topics,
    percentile,
    publish,
)
from benchmarks.traffic import Record, Traffic, intent_value, phone_of

SPECS = load_topic_specs({})
PARTITIONS = SPECS["recipient_events"].partitions
KAFKA_PARTITIONER = {"partitioner": "murmur2_random"}  # the Java client's, as app.client's
KEYINGS = {"e164-keyed": "recipient", "msg_id-keyed": "msg_id"}  # throughput variants
CAMPAIGN_PREFIX = "campaign-"
CODE_PREFIX = "code-"
MIN_CODES = 10  # codes sent at least, however fast a small backlog drains


def record_key(value: dict[str, Any], by: str) -> str:
    """A record's key: the E.164 recipient, or the msg_id (a consent event's event_id)."""
    if by == "recipient":
        return normalise_phone(value["phone"])
    return str(value.get("msg_id") or value["event_id"])


def rekeyed(records: list[Record], by: str) -> list[Record]:
    return [Record(record_key(orjson.loads(r.value), by).encode(), r.value, r.ts)
            for r in records]


def in_place(records: list[Record]) -> float:
    """Share of records that Kafka's partitioner puts in their recipient's partition (decided
    without the hop)."""
    hits = sum(recipient_partition(r.key.decode(), PARTITIONS)
               == recipient_partition(record_key(orjson.loads(r.value), "recipient"), PARTITIONS)
               for r in records if r.key is not None)
    return hits / max(len(records), 1)


def prefill_keyed(bench: Any, data: Traffic, keyings: list[str]) -> dict[str, Any]:
    """Publish the benchmark's traffic again per keying, into 8-partition input topics with
    Kafka's partitioner; return, per variant name, the bench (a copy of run.py's `bench` with
    its own input topics, prefix and directory) its one-worker runs use."""
    out: dict[str, Any] = {}
    prefix, bootstrap, workdir = bench.prefix, bench.bootstrap, bench.workdir
    for name in keyings:
        tag = name.split("-")[0].replace("_", "")
        intents, consents = f"{prefix}.{tag}.intents", f"{prefix}.{tag}.consents"
        create_topics(bootstrap, {intents: PARTITIONS, consents: PARTITIONS})
        keyed_intents = rekeyed(data.intents, KEYINGS[name])
        took = publish(bootstrap, consents, rekeyed(data.consents, KEYINGS[name]),
                       KAFKA_PARTITIONER)
        took += publish(bootstrap, intents, keyed_intents, KAFKA_PARTITIONER)
        print(f"pre-filled {name} traffic ({PARTITIONS} partitions, murmur2) in {took:.1f}s; "
              f"{in_place(keyed_intents):.1%} of intents in their recipient's partition",
              flush=True)
        (workdir / tag).mkdir(exist_ok=True)
        out[name] = dataclasses.replace(
            bench, prefix=f"{prefix}-{tag}", workdir=workdir / tag,
            intents_topic=intents, consents_topic=consents)
    return out


@dataclass
class Backlog:
    """One backlog run: the codes' latencies and the campaign's drain."""

    lane: bool
    size: int
    decided: int = 0
    drain_per_s: float = 0.0
    drain_s: float = 0.0
    codes_sent: int = 0
    code_ms: list[float] = field(default_factory=list)
    note: str = ""

    def line(self) -> str:
        name = "with the lane" if self.lane else "without the lane"
        return (f"  backlog {name:17} {self.size:,} marketing intents drained at "
                f"{self.drain_per_s:,.0f} decisions/s ({self.drain_s:.1f} s); "
                f"{len(self.code_ms)}/{self.codes_sent} codes decided, p50 "
                f"{percentile(self.code_ms, 50):.0f} ms, p99 {percentile(self.code_ms, 99):.0f}"
                f" ms, max {max(self.code_ms, default=float('nan')):.0f} ms {self.note}")


def codes(count: int, campaign_size: int, seed: int = 13) -> list[tuple[str, bytes, bytes]]:
    """Verification codes (msg_id, E.164 key, value) for recipients of the campaign's range:
    about a fifth of them also have a campaign message queued."""
    rng = random.Random(seed)
    out = []
    for i in range(count):
        phone = phone_of(2_000_000 + rng.randrange(campaign_size * 5))
        value = intent_value(i, phone, "verification", rng, prefix=CODE_PREFIX.rstrip("-"))
        out.append((str(value["msg_id"]), normalise_phone(phone).encode(), orjson.dumps(value)))
    return out


class CodeSender(threading.Thread):
    """Sends codes at `rate` per second once `go` is set, until `halt` is set (and at least
    MIN_CODES were sent); remembers each one's record timestamp (ms)."""

    def __init__(self, bootstrap: str, topic: str, rate: float, campaign_size: int) -> None:
        super().__init__(daemon=True)
        self.bootstrap, self.topic, self.rate = bootstrap, topic, rate
        self.pending = codes(int(rate * 600) + MIN_CODES, campaign_size)
        self.sent_ms: dict[str, int] = {}
        self.go, self.halt = threading.Event(), threading.Event()

    def run(self) -> None:
        producer = Producer({"bootstrap.servers": self.bootstrap, "linger.ms": 0,
                             "enable.idempotence": True, **KAFKA_PARTITIONER})
        self.go.wait()
        started = time.monotonic()
        for n, (msg_id, key, value) in enumerate(self.pending):
            if self.halt.is_set() and n >= MIN_CODES:
                break
            time.sleep(max(0.0, started + n / self.rate - time.monotonic()))
            now_ms = int(time.time() * 1000)
            self.sent_ms[msg_id] = now_ms
            producer.produce(self.topic, value=value, key=key, timestamp=now_ms)
            producer.poll(0)
        producer.flush(60)


def backlog(bootstrap: str, topics: dict[str, str], campaign: Traffic, lane: bool,
            new_worker: Callable[[], Process], rate: float = 50.0,
            stall_s: float = 180.0) -> Backlog:
    """Decide the campaign's consent grants, fill sms.send-intents with the campaign, start
    the worker and send codes at `rate`/s while it drains (module docstring)."""
    create_topics(bootstrap, {topics[i]: PARTITIONS
                              for i in ("send_intents", "priority_intents", "consent_events")})
    create_topics(bootstrap, {topics[i]: SPECS[i].partitions
                              for i in ("approved", "dropped", "consent_outcomes", "dead_letter")},
                  LOG_APPEND)
    publish(bootstrap, topics["consent_events"], rekeyed(campaign.consents, "recipient"),
            KAFKA_PARTITIONER)
    warm = new_worker()
    try:
        warm.start().wait_ready()
        counted = count_outputs(bootstrap, [topics["consent_outcomes"]], len(campaign.consents),
                                stall_s)
    finally:
        warm.stop()
    result = Backlog(lane, len(campaign.intents))
    if counted.distinct < len(campaign.consents):
        result.note = f"consents INCOMPLETE {counted.distinct}/{len(campaign.consents)}"
    publish(bootstrap, topics["send_intents"], rekeyed(campaign.intents, "recipient"),
            KAFKA_PARTITIONER)
    worker = new_worker()
    worker.log_path = worker.log_path.with_name(worker.log_path.stem + "-drain.log")
    sender = CodeSender(bootstrap, topics["priority_intents" if lane else "send_intents"],
                        rate, len(campaign.intents))
    sender.start()
    try:
        worker.start().wait_ready()
        _watch(bootstrap, [topics["approved"], topics["dropped"]], sender, result, stall_s)
        _save_metrics(worker)
    finally:
        sender.halt.set()
        sender.go.set()
        sender.join(120)
        worker.stop()
    return result


def _save_metrics(worker: Process) -> None:
    """The worker's /metrics (batch sizes per lane, fetch sizes) next to its log."""
    port = getattr(worker, "web_port", None)
    with (contextlib.suppress(OSError),
          urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as answer):
        worker.log_path.with_suffix(".metrics.txt").write_bytes(answer.read())


def _watch(bootstrap: str, topics: list[str], sender: CodeSender, result: Backlog,
           stall_s: float) -> None:
    """Read the decisions (read_committed) until the campaign and every code sent is decided,
    or nothing came for stall_s."""
    consumer = Consumer({
        "bootstrap.servers": bootstrap, "group.id": f"bench-backlog-{uuid.uuid4().hex[:6]}",
        "isolation.level": "read_committed", "enable.auto.commit": False,
        "fetch.wait.max.ms": 10,
    })
    meta = consumer.list_topics(timeout=30)
    consumer.assign([TopicPartition(t, p, OFFSET_BEGINNING)
                     for t in topics for p in meta.topics[t].partitions])
    campaign = Counted()
    seen: set[str] = set()
    duplicates = 0
    last_progress = time.monotonic()
    try:
        while time.monotonic() - last_progress < stall_s:
            if (campaign.distinct >= result.size and not sender.is_alive()
                    and len(result.code_ms) >= len(sender.sent_ms)):
                break
            messages = consumer.consume(1000, 0.05)
            now_ms = time.time() * 1000
            for message in messages:
                if message.error():
                    continue
                msg_id = str(orjson.loads(message.value()).get("msg_id", ""))
                if msg_id in seen:
                    duplicates += 1
                    continue
                seen.add(msg_id)
                if msg_id.startswith(CAMPAIGN_PREFIX):
                    campaign.distinct += 1
                    campaign.append_ms.append(message.timestamp()[1])
                elif msg_id in sender.sent_ms:
                    result.code_ms.append(now_ms - sender.sent_ms[msg_id])
            if messages:
                last_progress = time.monotonic()
            if campaign.distinct:
                sender.go.set()
            if campaign.distinct >= result.size:
                sender.halt.set()
    finally:
        with contextlib.suppress(Exception):
            consumer.close()
    result.decided = campaign.distinct
    result.drain_per_s = campaign.rate()
    if len(campaign.append_ms) > 1:
        result.drain_s = (max(campaign.append_ms) - min(campaign.append_ms)) / 1000
    result.codes_sent = len(sender.sent_ms)
    if campaign.distinct < result.size:
        result.note += f" campaign INCOMPLETE {campaign.distinct}/{result.size}"
    if duplicates:
        result.note += f" DUPLICATES {duplicates} decided twice"
    if len(result.code_ms) < result.codes_sent:
        result.note += f" codes INCOMPLETE {len(result.code_ms)}/{result.codes_sent}"


def summary(rates: dict[str, float], lat: Latency | None, backlogs: dict[bool, Backlog],
            code_rate: float, per_cpu: dict[str, float] | None = None
            ) -> tuple[list[str], dict[str, float]]:
    """The report's lines and the RESULT line's fields for one hop and the lanes: `rates` is
    the median records/s per throughput variant (`per_cpu` its records per CPU-second of the
    worker), `lat` the recipient-keyed latency run, `backlogs` the backlog run with the lane
    (True) and without (False)."""
    nan = float("nan")
    lines: list[str] = []
    fields = {"one_hop_ratio": nan, "p99_e164_ms": nan, "code_p99_backlog_ms": nan,
              "code_p99_nolane_ms": nan, "drain_ratio": nan}
    keyed, by_msg_id = rates.get("e164-keyed"), rates.get("msg_id-keyed")
    if keyed and by_msg_id:
        fields["one_hop_ratio"] = keyed / by_msg_id
        lines.append(f"One hop: one worker on E.164-keyed traffic {keyed:,.0f} records/s, on "
                     f"msg_id-keyed {by_msg_id:,.0f}: {fields['one_hop_ratio']:.2f} x "
                     f"(target >= 1.4)")
        cpu = per_cpu or {}
        if cpu.get("e164-keyed") and cpu.get("msg_id-keyed"):
            lines.append(f"  per CPU-second of the worker: {cpu['e164-keyed']:,.0f} against "
                         f"{cpu['msg_id-keyed']:,.0f} records, "
                         f"{cpu['e164-keyed'] / cpu['msg_id-keyed']:.2f} x (on a saturated "
                         f"machine the rate follows the cores the worker gets; this does not)")
    if lat is not None:
        fields["p99_e164_ms"] = percentile(lat.approved_ms, 99)
        lines.append(f"Latency at {lat.offered_rate:,.0f} intents/s, E.164-keyed as app.client "
                     f"sends ({lat.offered} intents, {lat.decided} decided): p50 "
                     f"{percentile(lat.approved_ms, 50):.0f} ms, p99 {fields['p99_e164_ms']:.0f}"
                     f" ms, max {max(lat.approved_ms, default=nan):.0f} ms; verification codes "
                     f"(priority lane) p50 {percentile(lat.verification_ms, 50):.0f} ms, p99 "
                     f"{percentile(lat.verification_ms, 99):.0f} ms (target p99 < 300 ms)")
    if backlogs:
        lines.append(f"Verification codes at {code_rate:.0f}/s while a campaign's backlog drains "
                     f"(target with the lane: p99 < 1,000 ms, drain no more than 10% slower):")
        lines += [run.line() for run in backlogs.values()]
    if True in backlogs:
        fields["code_p99_backlog_ms"] = percentile(backlogs[True].code_ms, 99)
    if False in backlogs:
        fields["code_p99_nolane_ms"] = percentile(backlogs[False].code_ms, 99)
    if True in backlogs and False in backlogs and backlogs[False].drain_per_s:
        fields["drain_ratio"] = backlogs[True].drain_per_s / backlogs[False].drain_per_s
        lines.append(f"  drain rate with the lane / without: {fields['drain_ratio']:.3f}")
    return lines, fields
