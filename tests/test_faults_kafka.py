"""Nothing lost, nothing sent twice: exactly-once on the launched Apache Kafka under faults.

Each test publishes consent events (and waits for their outcomes), then tens of thousands of
intents keyed by phone, breaks something while the worker decides them, and then checks, with a
read_committed reader of sms.approved + sms.dropped, that every msg_id has exactly one
committed decision, equal field for field to what `sendguard replay` decides on the same trace.
Decisions depend on caps and consent, so equality shows the recipients table survived intact.

Faults: kill -9 of the worker three times (restarted on the same data dir), a second worker
joining and the first one stopping (partitions and table state move), a second worker joining
while the first works through a backlog (it lost a block of records about one run in three
before the fix in the seam's fetch loop, app/faust_ext/consumer.py), and a broker restart.

Determinism: every record's time is fixed (a morning in Asia/Shanghai, outside marketing's
quiet hours), one recipient's records share an input partition (keyed by phone) so they keep
their order, and all consent events are decided before the first intent is published, so no
cross-topic order matters.
"""

from __future__ import annotations

import collections
import itertools
import random
import signal
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import orjson
import pytest

from app import contracts
from app.rules.policy import load_policy
from app.rules.records import iso_ms
from app.runtime.lanes import recipient_partition
from app.runtime.settings import Settings
from app.runtime.worker import FAUST_ENV_PREFIX
from app.tools.replay import replay
from tests.conftest import WorkerProcess
from tests.kafka_io import CommittedReader, consume, publish, trace_line

pytestmark = pytest.mark.kafka

POLICY = contracts.example_policy_path()
TENANTS = {"jd": "京东", "cmb": "招商银行", "meituan": "美团"}
# Faust reads these from the environment itself (under SendGuard's prefix). A worker killed
# with -9 stays a group member until its session times out; the restarted one waits for that
# (Faust's default: 60 s). A shorter session keeps three crash-restarts in the test budget; it
# changes no decision.
FAST_GROUP = {f"{FAUST_ENV_PREFIX}BROKER_SESSION_TIMEOUT": "10",
              f"{FAUST_ENV_PREFIX}BROKER_HEARTBEAT_INTERVAL": "1"}
Row = tuple[str, bytes, int]  # key (the phone), value, timestamp ms


def shanghai_morning_ms() -> int:
    """Yesterday 09:00 Asia/Shanghai: inside every topic's retention, in the past, and the
    intents (spread over less than an hour) are outside marketing's 21:00-08:00 quiet hours."""
    shanghai = ZoneInfo("Asia/Shanghai")
    morning = (datetime.now(shanghai) - timedelta(days=1)).replace(
        hour=9, minute=0, second=0, microsecond=0)
    return int(morning.timestamp() * 1000)


@dataclass
class Traffic:
    """Consent events and intents, in publish order; `trace` is the replay trace of both."""

    consents: list[Row] = field(default_factory=list)
    intents: list[Row] = field(default_factory=list)

    def trace(self, topics: dict[str, str]) -> list[bytes]:
        return ([trace_line(topics["consent_events"], ts, v) for _, v, ts in self.consents]
                + [trace_line(topics["send_intents"], ts, v) for _, v, ts in self.intents])


def make_traffic(n_intents: int, n_phones: int, seed: int = 7) -> Traffic:
    """Marketing needing a granted opt-in, notifications, verification codes that hit their
    caps (1/1m, 5/1h) and, on a few hot phones, the global 40/24h cap; revokes, including wide
    ones that block notifications, and grants without evidence that are rejected."""
    rng = random.Random(seed)
    start = shanghai_morning_ms()
    phones = [f"1390{p:07d}" for p in range(n_phones)]
    hot = phones[: max(1, n_phones // 100)]
    traffic = Traffic()

    def consent(phone: str, **event: Any) -> None:
        event = {"event_id": f"c{len(traffic.consents)}", "phone": phone, "source": "signup_form",
                 "category": "marketing", **event}
        ts = start - 3_600_000 + len(traffic.consents) * 10
        traffic.consents.append((phone, orjson.dumps(event), ts))

    for p, phone in enumerate(phones):
        roll = rng.random()
        granted_at = iso_ms(start - 30 * 86_400_000 + p * 1000)
        if roll < 0.5:
            tenant = rng.choice(list(TENANTS))
            consent(phone, tenant=tenant, action="grant", occurred_at=granted_at,
                    evidence={"form_id": "reg-v3", "ip": "203.0.113.7"})
            if rng.random() < 0.2:
                consent(phone, tenant=tenant, action="revoke", source="app_settings",
                        occurred_at=iso_ms(start - 86_400_000 + p))
        elif roll < 0.55:  # no evidence: rejected, so marketing stays no_consent
            consent(phone, tenant=rng.choice(list(TENANTS)), action="grant",
                    occurred_at=granted_at)
        elif roll < 0.58:  # revoke everything: notifications are opted_out too
            consent(phone, tenant="*", category="all", action="revoke", source="complaint",
                    occurred_at=granted_at)

    for i in range(n_intents):
        phone = rng.choice(hot) if rng.random() < 0.1 else rng.choice(phones)
        tenant = rng.choice(list(TENANTS))
        signature = TENANTS[tenant]
        category = rng.choices(["verification", "notification", "marketing"], [4, 4, 2])[0]
        content = {
            "verification": f"【{signature}】验证码{rng.randrange(100000, 1000000)}，5分钟内有效。",
            "notification": f"【{signature}】您的订单{i}已发货",
            "marketing": f"【{signature}】双11神券已到账，拒收请回复R",
        }[category]
        intent = {"msg_id": f"m{i:06d}", "tenant": tenant, "signature": signature,
                  "category": category, "phone": phone, "content": content}
        traffic.intents.append((phone, orjson.dumps(intent), start + i * 30))
    return traffic


def publish_consents(kafka: str, topics: dict[str, str], traffic: Traffic) -> None:
    """Publish the consent events and wait until every one has its outcome."""
    publish(kafka, topics["consent_events"], traffic.consents)
    outcomes = consume(kafka, [topics["consent_outcomes"]], expected=len(traffic.consents),
                       timeout=180, settle=0)
    assert len(outcomes) == len(traffic.consents)
    results = collections.Counter(v["result"] for _, _, v in outcomes)
    print(f"\n{len(outcomes)} consent events decided first: {dict(results)}")


def check_exactly_once_and_replay(records: list[tuple[str, str | None, dict[str, Any]]],
                                  traffic: Traffic, worker: WorkerProcess) -> None:
    """Every msg_id exactly once, on the right topic and key, and identical to replay."""
    topics = worker.topics
    by_msg: dict[str, list[dict[str, Any]]] = collections.defaultdict(list)
    for topic, key, value in records:
        by_msg[value["msg_id"]].append(value)
        assert topic == (topics["approved"] if value["reason"] == "ok" else topics["dropped"])
        assert key == value["phone"]
    sent = {orjson.loads(v)["msg_id"] for _, v, _ in traffic.intents}
    twice = sorted(m for m, ds in by_msg.items() if len(ds) > 1)
    lost = sorted(sent - by_msg.keys())
    print(f"committed decisions: {len(records)} for {len(by_msg)} msg_ids; "
          f"decided twice: {len(twice)}, lost: {len(lost)}")
    assert not twice, ("msg_ids decided more than once, e.g.\n"
                       + "\n".join(str(by_msg[m]) for m in twice[:3]))
    assert not lost, f"msg_ids without a decision: {lost[:10]}"
    assert by_msg.keys() == sent and len(records) == len(sent)

    settings = Settings.from_env({k: v for k, v in worker.env.items()
                                  if k.startswith("SENDGUARD_TOPIC_")})
    started = time.monotonic()
    replayed = {r["value"]["msg_id"]: r["value"]
                for r in map(orjson.loads, replay(settings, load_policy(POLICY),
                                                  traffic.trace(topics)))
                if r["topic"] in (topics["approved"], topics["dropped"])}
    worker_decisions = {m: ds[0] for m, ds in by_msg.items()}
    differ = sorted(m for m in sent if replayed.get(m) != worker_decisions.get(m))
    reasons = collections.Counter(d["reason"] for d in worker_decisions.values())
    details = collections.Counter(d["detail"] for d in worker_decisions.values()
                                  if d["reason"] == "frequency_cap")
    print(f"reasons: {dict(reasons.most_common())}")
    print(f"caps broken: {dict(details.most_common())}")
    print(f"replay of {len(traffic.consents) + len(traffic.intents)} trace lines in "
          f"{time.monotonic() - started:.1f}s: {len(sent) - len(differ)} identical, "
          f"{len(differ)} differ")
    first = differ[0] if differ else None
    # (worker reason, replay reason, the recipient's table partition): state lost with a
    # partition's recovery shows as one partition, a rule difference as all of them.
    kinds = collections.Counter(
        (worker_decisions[m]["reason"] if m in worker_decisions else None,
         replayed[m]["reason"] if m in replayed else None,
         recipient_partition(worker_decisions[m]["phone"], settings.recipient_partitions)
         if m in worker_decisions else None)
        for m in differ)
    assert not differ, (f"{len(differ)} decisions differ from replay, e.g. "
                        f"worker {worker_decisions.get(first)} replay {replayed.get(first)}; "
                        f"by (worker, replay, partition): {dict(kinds.most_common(10))}")
    # The traffic exercises what must survive: consent and each kind of cap.
    assert {"ok", "no_consent", "opted_out", "frequency_cap"} <= reasons.keys()
    assert any(d.startswith("global") for d in details)


def wait_for(reader: CommittedReader, expected: int, timeout: float,
             *workers: WorkerProcess) -> None:
    def alive() -> None:
        for worker in workers:
            worker.check_alive()

    if not reader.wait_for(expected, timeout, alive):
        raise AssertionError(f"{reader.count} of {expected} decisions after {timeout}s\n"
                             + "\n".join(w.log_tail(30) for w in workers))


def decided_by(worker: WorkerProcess) -> float:
    """The worker's own count of decision records it published (its /metrics)."""
    port = worker.env["SENDGUARD_WEB_PORT"]
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        text = response.read().decode()
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
               if line.startswith("sendguard_decisions_total{"))


def output_stall(reader: CommittedReader, since: float) -> tuple[float, float]:
    """(longest gap between committed decisions after `since`, time from `since` until the
    first decision after that gap): how long output stopped, and when it flowed again."""
    times = [since, *(t for t in reader.arrivals if t > since)]
    gaps = [(b - a, b) for a, b in itertools.pairwise(times)]
    gap, resumed = max(gaps, default=(0.0, since))
    return gap, resumed - since


def first_worker_deciding(worker_factory: Callable[..., WorkerProcess], kafka: str,
                          traffic: Traffic) -> tuple[WorkerProcess, CommittedReader]:
    """A first worker of a group, its consent events decided, and a reader of decisions."""
    first = worker_factory(**FAST_GROUP).start()
    publish_consents(kafka, first.topics, traffic)
    return first, CommittedReader(kafka, [first.topics["approved"], first.topics["dropped"]])


def test_kill_9_three_times_loses_nothing_and_duplicates_nothing(
        worker_factory: Callable[..., WorkerProcess], kafka: str) -> None:
    n = 50_000
    traffic = make_traffic(n, n_phones=2_500)
    worker = worker_factory(**FAST_GROUP).start()
    topics = worker.topics
    publish_consents(kafka, topics, traffic)

    reader = CommittedReader(kafka, [topics["approved"], topics["dropped"]])
    started = time.monotonic()
    publish(kafka, topics["send_intents"], traffic.intents)
    print(f"published {n} intents in {time.monotonic() - started:.1f}s")
    seed = random.randrange(2**32)
    rng = random.Random(seed)
    # One kill point in each of three stretches of the run, so each crash hits mid-stream.
    points = [int(n * rng.uniform(0.1 + 0.27 * k, 0.3 + 0.27 * k)) for k in range(3)]
    kills = []
    for point in points:
        wait_for(reader, point, 300, worker)
        time.sleep(rng.uniform(0, 0.5))
        at = reader.count
        worker.stop(signal.SIGKILL)
        assert at < n, "the worker had finished before the kill: it proved nothing"
        down = time.monotonic()
        worker.start()
        kills.append((at, time.monotonic() - down))
    wait_for(reader, n, 600, worker)
    elapsed = time.monotonic() - started
    records = reader.close(settle=5)
    print(f"kill -9 (seed {seed}) at " + ", ".join(
        f"{at} committed (restart ready in {ready:.1f}s)" for at, ready in kills))
    print(f"all {n} intents decided {elapsed:.1f}s after the first was published "
          f"({n / elapsed:.0f}/s including restarts)")
    check_exactly_once_and_replay(records, traffic, worker)


def test_second_worker_takes_over_when_the_first_stops(
        worker_factory: Callable[..., WorkerProcess], kafka: str) -> None:
    n = 24_000
    traffic = make_traffic(n, n_phones=1_000, seed=11)
    first, reader = first_worker_deciding(worker_factory, kafka, traffic)
    topics = first.topics
    started = time.monotonic()
    head, tail = traffic.intents[:n // 3], traffic.intents[n // 3:]
    publish(kafka, topics["send_intents"], head)
    wait_for(reader, n // 10, 300, first)
    second = worker_factory(**FAST_GROUP)
    joined = time.monotonic()
    second.start()
    print(f"second worker ready {time.monotonic() - joined:.1f}s after start, "
          f"{reader.count} decisions committed")
    # The rest arrives at a steady rate while both work and while the first stops, so the
    # handover happens mid-stream however fast the first worker is.
    publisher = threading.Thread(target=publish_steadily,
                                 args=(kafka, topics["send_intents"], tail, 1_000))
    publisher.start()
    try:
        # Both work for a while: the first stops only once the second has decided some.
        deadline = time.monotonic() + 120
        while (shared := decided_by(second)) == 0 and time.monotonic() < deadline:
            first.check_alive()
            second.check_alive()
            time.sleep(0.5)
        at = reader.count
        stopped = time.monotonic()
        first.stop(signal.SIGTERM)
        exited = time.monotonic() - stopped
        assert first.proc is not None and first.proc.returncode == 0, first.log_tail()
        assert publisher.is_alive(), "the first worker stopped after the stream ended"
    finally:
        publisher.join()
    assert at < n, "the first worker stopped after everything was decided: it proved nothing"
    wait_for(reader, n, 300, second)
    elapsed = time.monotonic() - started
    records = reader.close(settle=5)
    gap, recovered = output_stall(reader, stopped)
    print(f"second worker had published {shared:.0f} decisions before the first stopped "
          f"(at {at} committed); first worker exited {exited:.1f}s after SIGTERM; "
          f"recovery: decisions flowed again {recovered:.1f}s after SIGTERM "
          f"(longest output gap {gap:.1f}s); all {n} decided in {elapsed:.1f}s")
    assert shared > 0, "the second worker never got partitions"
    check_exactly_once_and_replay(records, traffic, second)


def test_second_worker_joining_a_busy_group_loses_nothing(
        worker_factory: Callable[..., WorkerProcess], kafka: str) -> None:
    """Scaling out under load: a backlog is published, the first worker is deciding it flat
    out, and a second one joins. Partitions the first keeps and gives away are revoked
    mid-batch, with transactions open on every one of them.

    More intents arrive steadily behind the backlog, and their last half only once the second
    worker is ready, so it has records to decide however fast the first drains the backlog
    (it once drained all of it before the second worker's first assignment)."""
    n = 60_000
    backlog = 40_000
    traffic = make_traffic(n, n_phones=2_000, seed=17)
    first, reader = first_worker_deciding(worker_factory, kafka, traffic)
    topics = first.topics
    started = time.monotonic()
    publish(kafka, topics["send_intents"], traffic.intents[:backlog])
    second_ready = threading.Event()
    tail = traffic.intents[backlog:]
    publisher = threading.Thread(target=publish_tail,
                                 args=(kafka, topics["send_intents"], tail, second_ready))
    publisher.start()
    try:
        wait_for(reader, backlog // 10, 300, first)
        second = worker_factory(**FAST_GROUP)
        joined = time.monotonic()
        at = reader.count
        second.start()
        print(f"second worker joined at {at} committed, ready {time.monotonic() - joined:.1f}s "
              f"after start, {reader.count} committed then")
    finally:
        second_ready.set()
        publisher.join()
    assert at < backlog // 2, "the first worker was nearly through the backlog at the join"
    wait_for(reader, n, 180, first, second)
    elapsed = time.monotonic() - started
    records = reader.close(settle=5)
    print(f"all {n} decided in {elapsed:.1f}s; the second worker published "
          f"{decided_by(second):.0f} decisions")
    assert decided_by(second) > 0, "the second worker never got partitions"
    check_exactly_once_and_replay(records, traffic, second)


def publish_tail(bootstrap: str, topic: str, tail: list[Any], resume: threading.Event) -> None:
    """Half the tail steadily now, the other half once `resume` is set (at most 300 s on)."""
    half = len(tail) // 2
    publish_steadily(bootstrap, topic, tail[:half], 2_000)
    resume.wait(300)
    publish_steadily(bootstrap, topic, tail[half:], 2_000)


def publish_steadily(bootstrap: str, topic: str, records: list[Any], per_s: int) -> None:
    """Publish in order, `per_s` records a second (in tenths of a second)."""
    step = max(1, per_s // 10)
    for i in range(0, len(records), step):
        publish(bootstrap, topic, records[i:i + step])
        time.sleep(0.1)


def test_worker_survives_a_broker_restart(tmp_path: Path) -> None:
    import brokers  # deploy/, on sys.path via conftest

    n = 20_000
    traffic = make_traffic(n, n_phones=1_000, seed=13)
    # Its own broker: the session broker is shared with every other test.
    broker = brokers.start_kafka()
    worker = WorkerProcess(broker.bootstrap, tmp_path, f"t{uuid.uuid4().hex[:8]}", POLICY,
                           **FAST_GROUP)
    try:
        worker.start()
        topics = worker.topics
        publish_consents(broker.bootstrap, topics, traffic)
        reader = CommittedReader(broker.bootstrap, [topics["approved"], topics["dropped"]])
        started = time.monotonic()
        publish(broker.bootstrap, topics["send_intents"], traffic.intents)
        wait_for(reader, n // 3, 300, worker)
        at = reader.count
        halted = time.monotonic()
        broker.halt()
        down_for = time.monotonic() - halted
        time.sleep(5)  # the worker sees its broker gone, not just a blip
        worker.check_alive()
        resumed = time.monotonic()
        broker.resume()
        print(f"broker stopped at {at} committed (took {down_for:.1f}s), restarted "
              f"{resumed - halted:.1f}s later, ready in {time.monotonic() - resumed:.1f}s")
        assert at < n, "the broker restarted after everything was decided: it proved nothing"
        wait_for(reader, n, 300, worker)
        elapsed = time.monotonic() - started
        records = reader.close(settle=5)
        gap, recovered = output_stall(reader, halted)
        print(f"decisions flowed again {recovered:.1f}s after the broker stop (longest gap "
              f"{gap:.1f}s); all {n} decided in {elapsed:.1f}s")
        check_exactly_once_and_replay(records, traffic, worker)
    finally:
        worker.stop()
        broker.stop()
