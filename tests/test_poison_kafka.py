"""Poison input at volume: a few thousand malformed records on all three input topics, mixed
with valid traffic, published with confluent-kafka as upstream services do.

Expected, on the launched Apache Kafka with exactly-once on:
- every poison record is on sms.dead-letter with its error and its original bytes (or, for
  values over the documented bound, a prefix with the length and sha256), or is decided (an
  intent with a msg_id) or gets a consent outcome (a consent event naming a valid phone);
- every record, poison or valid, gives exactly the records the replay core gives for the same
  bytes (`app.tools.replay.Replayer`, the engine of `sendguard replay`);
- the worker stays alive: its process runs, /healthz answers, and it decides new traffic
  published after the storm.
The outcome per class of poison is printed.
"""

from __future__ import annotations

import base64
import collections
import hashlib
import random
import time
import urllib.request
import uuid
from dataclasses import dataclass
from typing import Any

import orjson
import pytest
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic

from app.rules.policy import load_policy
from app.rules.records import DEAD_LETTER_ORIGINAL_MAX_BYTES
from app.runtime.settings import Settings
from app.tools.replay import Replayer
from tests.conftest import POLICY
from tests.kafka_io import consume

pytestmark = pytest.mark.kafka

INTENTS, CONSENTS, REPLIES = "send_intents", "consent_events", "carrier_replies"
OUTPUTS = ("approved", "dropped", "dead_letter", "consent_outcomes")
WRONG_TYPES: list[Any] = [0, 12345678901, -1.5, 1e300, [], ["13812345678"], {}, {"a": 1},
                          None, True, False, ""]
PRODUCER_MAX = 4_000_000  # so the broker, not librdkafka, decides what is too large


@dataclass
class Row:
    topic_id: str
    key: bytes | None
    value: bytes | None
    cls: str  # poison class, or "valid" / "after"
    ts: int = 0


class Traffic:
    """Builds rows; each recipient (phone) and msg_id is used once, so the order in which the
    worker's partitions interleave cannot change any decision."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.rows: list[Row] = []
        self._phone = 0
        self._msg = 0

    def phone(self) -> str:
        self._phone += 1
        return f"13{self._phone % 7 + 3}{self._phone:08d}"

    def msg_id(self, prefix: str) -> str:
        self._msg += 1
        return f"{prefix}-{self._msg}"

    def intent(self, prefix: str = "ok", **change: Any) -> dict[str, Any]:
        return {"msg_id": self.msg_id(prefix), "tenant": "jd", "signature": "京东",
                "category": self.rng.choice(["notification", "verification"]),
                "phone": self.phone(), "content": "【京东】您的订单已发货", **change}

    def consent(self, **change: Any) -> dict[str, Any]:
        return {"event_id": self.msg_id("ev"), "phone": self.phone(), "tenant": "meituan",
                "category": "marketing", "action": "grant", "source": "signup_form",
                "occurred_at": "2026-11-01T12:00:00+08:00",
                "evidence": {"form_id": "reg-v3"}, **change}

    def reply(self, **change: Any) -> dict[str, Any]:
        return {"type": "mo", "reply_id": self.msg_id("mo"), "phone": self.phone(),
                "to": "106900005678", "text": self.rng.choice(["TD", "好的", "退订", "STOP"]),
                "received_at": "2026-11-21T20:00:00+08:00", **change}

    def add(self, topic_id: str, value: Any, cls: str, key: bytes | None = None) -> None:
        raw = value if isinstance(value, bytes) or value is None else orjson.dumps(value)
        self.rows.append(Row(topic_id, key, raw, cls))

    def garbage(self, n: int) -> bytes:
        return self.rng.randbytes(n)


def build(traffic: Traffic, max_value: int) -> None:
    """About 3,000 poison records of every kind, and 600 valid ones, in a seeded order."""
    t, rng = traffic, traffic.rng
    makers = {INTENTS: t.intent, CONSENTS: t.consent, REPLIES: t.reply}
    for topic_id in makers:
        for _ in range(350):
            t.add(topic_id, t.garbage(rng.randint(1, 3000)), "random_bytes")
        for _ in range(60):
            t.add(topic_id, b"", "empty")
            t.add(topic_id, None, "tombstone")
        for _ in range(40):  # invalid UTF-8 inside otherwise well-formed JSON
            good = orjson.dumps(makers[topic_id]())
            cut = rng.randint(1, len(good) - 2)
            t.add(topic_id, good[:cut] + rng.choice([b"\xff", b"\xc3\x28", b"\xed\xa0\x80",
                                                     b"\xf8\x88\x80\x80\x80"]) + good[cut:],
                  "invalid_utf8")
        for depth in (1025, 2000, 50_000):  # beyond orjson's parse limit of 1024
            t.add(topic_id, b"[" * depth + b"]" * depth, "deep_nesting")
            t.add(topic_id, b'{"a":' * depth + b"1" + b"}" * depth, "deep_nesting")
        for depth in (200, 253, 254, 255, 300, 1000, 1024):  # parses; too deep to re-encode
            nested = b"[" * (depth - 1) + b"]" * (depth - 1)
            t.add(topic_id, orjson.dumps(makers[topic_id]())[:-1] + b',"extra":' + nested + b"}",
                  "deep_nesting")
        for literal in (b"NaN", b"Infinity", b"-Infinity", b"1e400", b"-1e999", b"nan"):
            for field in ("phone", "extra"):
                t.add(topic_id, orjson.dumps(makers[topic_id]())[:-1]
                      + b',"' + field.encode() + b'":' + literal + b"}", "nan_infinity")
        for value in (b"0", b"-0", b"1e29", b'"text"', b"[1,2]", b"true", b"null", b"[]",
                      b'"\\u0000"', b"123456789012345678901234567890"):
            t.add(topic_id, value, "not_object")
        for _ in range(30):  # duplicate keys: the last wins, in the worker and in replay
            body = makers[topic_id]()
            name = rng.choice(list(body))
            # A fresh phone, never a shared one: two records of one recipient from different
            # partitions may be decided in either order (a shared "13912345678" here once gave
            # two revokes at the same occurred_at, reported applied/stale the other way round).
            raw = orjson.dumps(body)[:-1] + b',"' + name.encode() + b'":' + orjson.dumps(
                rng.choice([*WRONG_TYPES, t.phone(), "x"])) + b"}"
            t.add(topic_id, raw, "duplicate_keys")
        for _ in range(40):
            body = makers[topic_id]()
            field = rng.choice(list(body))
            body[field] = "长" * rng.randint(5_000, 60_000)
            t.add(topic_id, body, "long_strings")
        for _ in range(120):  # garbage keys on valid and invalid values alike
            t.add(topic_id, makers[topic_id](), "garbage_key", key=t.garbage(rng.randint(1, 8000)))
            t.add(topic_id, t.garbage(100), "garbage_key", key=t.garbage(rng.randint(1, 8000)))
    for topic_id, make in makers.items():  # every field of every record, every wrong type
        fields = list(make())
        for field in fields:
            for wrong in WRONG_TYPES:
                t.add(topic_id, make(**{field: wrong}), "wrong_types")
            body = make()
            del body[field]
            t.add(topic_id, body, "wrong_types")
        for value in ([make() for _ in range(3)], {"value": make()}, {}):
            t.add(topic_id, value, "wrong_types")
    for kind in ("dlr", "weird", None):
        t.add(REPLIES, t.reply(type=kind), "wrong_types")
    huge(t, max_value)
    for maker, n in ((t.intent, 400), (t.consent, 100), (t.reply, 100)):
        topic_id = {t.intent: INTENTS, t.consent: CONSENTS, t.reply: REPLIES}[maker]
        for _ in range(n):
            body = maker()
            t.add(topic_id, body, "valid", key=body["phone"].encode() if rng.random() < .5
                  else None)


def huge(t: Traffic, max_value: int) -> None:
    """Values near the broker's 1 MB limit, and intents whose fields are huge."""
    pad = lambda body, size: body[:-1] + b',"pad":"' + b"x" * (size - len(body) - 9) + b'"}'  # noqa: E731
    for topic_id in (INTENTS, CONSENTS, REPLIES):
        t.add(topic_id, t.garbage(1_000_000), "huge")
        t.add(topic_id, t.garbage(max_value), "huge")
        t.add(topic_id, pad(b'{"no_msg_id":true}', max_value), "huge")
        t.add(topic_id, b"[" + b"1," * (max_value // 2 - 2) + b"1]", "huge")
        t.add(topic_id, t.garbage(400_000), "huge", key=t.garbage(max_value - 400_100))
    t.add(INTENTS, t.intent("big", content="【京东】" + "货" * 170_000), "huge")  # ~500 KB
    t.add(INTENTS, pad(orjson.dumps(t.intent("big")), max_value), "huge")
    t.add(INTENTS, t.intent("big", content="x" * (max_value - 300)), "huge")
    t.add(INTENTS, t.intent("big", category="c" * (max_value - 300)), "huge")
    t.add(INTENTS, t.intent("big", expires_at="9" * (max_value - 300)), "huge")
    big_id = "m" * (max_value // 2 - 200)
    t.add(INTENTS, t.intent(phone="not a phone", msg_id=big_id), "huge")
    t.add(INTENTS, {"msg_id": big_id + "2", "phone": "1" * (max_value // 2 - 200)}, "huge")
    t.add(CONSENTS, t.consent(evidence={"text": "同意" * 170_000}), "huge")
    t.add(CONSENTS, t.consent(action="revoke", tenant="t" * (max_value - 400)), "huge")
    t.add(REPLIES, t.reply(text="TD" + " " * (max_value - 400)), "huge")
    t.add(REPLIES, t.reply(reply_id="r" * (max_value - 400)), "huge")


def largest_accepted_value(bootstrap: str) -> int:
    """The largest value (no key) a topic with the broker's default limits accepts."""
    topic = f"probe-{uuid.uuid4().hex[:8]}"
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(topic, 1, 1)])[topic].result(30)

    def accepted(size: int) -> bool:
        producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 0,
                             "message.max.bytes": PRODUCER_MAX})
        errors: list[Any] = []
        producer.produce(topic, b"v" * size, on_delivery=lambda err, _m: errors.append(err))
        producer.flush(30)
        return len(errors) == 1 and errors[0] is None  # KafkaError == None raises

    low, high = 1_000_000, 1_100_000
    assert accepted(low) and not accepted(high)
    while high - low > 1:
        mid = (low + high) // 2
        low, high = (mid, high) if accepted(mid) else (low, mid)
    admin.delete_topics([topic])
    return low


def publish_rows(bootstrap: str, topics: dict[str, str], rows: list[Row]) -> int:
    """Produce every row in order (one producer, all topics); return the delivery failures."""
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5,
                         "message.max.bytes": PRODUCER_MAX, "enable.idempotence": True})
    failed: list[Any] = []
    for row in rows:
        while True:
            try:
                producer.produce(topics[row.topic_id], value=row.value, key=row.key,
                                 timestamp=row.ts,
                                 on_delivery=lambda err, _m: err and failed.append(err))
                break
            except BufferError:
                producer.poll(0.5)
        producer.poll(0)
    assert producer.flush(120) == 0, "records left unsent"
    return len(failed)


def healthz(port: str) -> dict[str, Any]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10) as response:
        return orjson.loads(response.read())


def canonical(value: dict[str, Any]) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def without_coordinates(letter: dict[str, Any]) -> bytes:
    """Replay numbers dead letters by line, the worker by partition and offset."""
    return canonical({k: v for k, v in letter.items() if k not in ("partition", "offset")})


def test_poison_storm_is_dead_lettered_or_decided_and_the_worker_lives(worker_factory,
                                                                        kafka: str) -> None:
    worker = worker_factory().start()
    topics = worker.topics
    max_value = largest_accepted_value(kafka)
    traffic = Traffic(seed=20261123)
    build(traffic, max_value)
    rows = traffic.rows
    traffic.rng.shuffle(rows)
    after = [Row(INTENTS, None, orjson.dumps(traffic.intent("after")), "after")
             for _ in range(20)]
    t0 = int(time.time() * 1000) - 300_000
    for i, row in enumerate([*rows, *after]):
        row.ts = t0 + i  # unique: a dead letter's timestamp names its row
    poison = sum(row.cls != "valid" for row in rows)
    print(f"\nlargest value the input topics accept: {max_value} bytes; publishing "
          f"{poison} poison and {len(rows) - poison} valid records")

    # What `sendguard replay` gives for the very same bytes, in the same order.
    settings = Settings.from_env({k: v for k, v in worker.env.items()
                                  if k.startswith("SENDGUARD_TOPIC_")})
    replayer = Replayer(settings, load_policy(POLICY))
    expected_by_row: list[list[tuple[str, dict[str, Any]]]] = []
    for row in [*rows, *after]:
        emits = replayer.feed(topics[row.topic_id], row.ts, row.key, row.value)
        expected_by_row.append([(e.topic, e.value) for e in emits if e.topic in OUTPUTS])
    expected_by_row[-1] += [(e.topic, e.value) for e in replayer.finish() if e.topic in OUTPUTS]
    expected_count = sum(len(e) for e in expected_by_row)

    started = time.monotonic()
    failures = publish_rows(kafka, topics, rows)
    assert failures == 0, f"{failures} records refused by the broker"
    assert healthz(worker.env["SENDGUARD_WEB_PORT"])["status"] == "ok"
    publish_rows(kafka, topics, after)
    got = consume(kafka, [topics[t] for t in OUTPUTS], expected_count, timeout=420,
                  settle=5.0)
    took = time.monotonic() - started
    assert worker.proc is not None and worker.proc.poll() is None, worker.log_tail()
    health = healthz(worker.env["SENDGUARD_WEB_PORT"])
    by_topic = {name: topic_id for topic_id, name in topics.items()}
    actual = collections.Counter(
        (by_topic[t], without_coordinates(v) if by_topic[t] == "dead_letter" else canonical(v))
        for t, _, v in got)
    expected = collections.Counter(
        (t, without_coordinates(v) if t == "dead_letter" else canonical(v))
        for emits in expected_by_row for t, v in emits)

    # Outcomes per class, from what the worker published.
    row_by_ts = {row.ts: row for row in [*rows, *after]}
    outcome_of: dict[int, list[str]] = collections.defaultdict(list)
    for emits, row in zip(expected_by_row, [*rows, *after], strict=True):
        for topic_id, value in emits:
            outcome_of[row.ts].append(_label(topic_id, value))
    table: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    for row in [*rows, *after]:
        for label in outcome_of[row.ts] or ["(nothing)"]:
            table[row.cls][label] += 1
    print(f"{len(got)} output records ({expected_count} expected) in {took:.0f}s; "
          f"worker alive, /healthz {health['status']}")
    for cls in sorted(table):
        print(f"  {cls:15} " + ", ".join(f"{label} {n}" for label, n in
                                         sorted(table[cls].items(), key=lambda kv: -kv[1])))

    missing, extra = expected - actual, actual - expected
    assert not missing and not extra, (
        f"{sum(missing.values())} expected records missing, {sum(extra.values())} unexpected: "
        f"{[(k[0], k[1][:300]) for k in list(missing)[:3]]} / "
        f"{[(k[0], k[1][:300]) for k in list(extra)[:3]]}\n{worker.log_tail(20)}")
    # Nothing silently dropped: every poison row has an outcome, except carrier replies that
    # ask for nothing (an MO reply that is no unsubscribe only counts in the metrics).
    assert not [row for row in rows if not outcome_of[row.ts] and row.topic_id != REPLIES]
    assert {label for row in after for label in outcome_of[row.ts]} == {"decided:ok"}
    # Dead letters carry the original bytes: in full up to the bound, else prefix+sha256.
    checked = 0
    for topic, _, letter in got:
        if by_topic[topic] != "dead_letter" or letter["stage"] != "route":
            continue
        row = row_by_ts[_ts(letter["timestamp"])]
        assert letter["source_topic"] == topics[row.topic_id]
        whole = len(row.key or b"") + len(row.value or b"") <= DEAD_LETTER_ORIGINAL_MAX_BYTES
        _check_original(letter, "key", row.key, whole)
        _check_original(letter, "value", row.value, whole)
        checked += 1
    print(f"original key and value bytes checked on {checked} dead letters")
    assert checked > 2000


def _label(topic_id: str, value: dict[str, Any]) -> str:
    if topic_id == "dead_letter":
        return f"dead:{value['error_class']}"
    if topic_id == "consent_outcomes":
        return f"consent:{value['result']}"
    return f"decided:{value['reason']}"


def _ts(text: str) -> int:
    from app.rules.records import parse_rfc3339_ms

    return parse_rfc3339_ms(text.replace("Z", "+00:00"))


def _check_original(letter: dict[str, Any], part: str, original: bytes | None,
                    whole: bool) -> None:
    encoded = letter[f"{part}_base64"]
    if original is None:
        assert encoded is None and letter[f"{part}_bytes"] is None
        return
    assert letter[f"{part}_bytes"] == len(original)
    assert letter[f"{part}_sha256"] == hashlib.sha256(original).hexdigest()
    kept = base64.b64decode(encoded)
    if whole:
        assert kept == original and not letter[f"{part}_truncated"]
    else:
        assert original.startswith(kept) and len(kept) == min(len(original), 64 * 1024)
        assert letter[f"{part}_truncated"] == (len(kept) < len(original))
