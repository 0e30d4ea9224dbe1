"""End to end on the launched Apache Kafka: the worker runs as users run it, a non-Faust client
publishes, and every output record is checked; then replay must give the same decisions."""

from __future__ import annotations

import collections
import time

import orjson
import pytest

from app import contracts
from app.rules.policy import load_policy
from app.runtime.settings import Settings
from app.tools.replay import replay
from tests.kafka_io import consume, publish, trace_line

pytestmark = pytest.mark.kafka

POLICY = contracts.example_policy_path()

T0 = int(time.time() * 1000) - 60_000


def intent(msg_id: str, phone: str = "13812345678", **change: object) -> dict:
    return {"msg_id": msg_id, "tenant": "jd", "signature": "京东", "category": "notification",
            "phone": phone, "content": "【京东】您的订单已发货", **change}


def scenario() -> list[tuple[str | None, bytes, int, str]]:
    """(key, value, timestamp, expected outcome) in publish order."""
    rows: list[tuple[str | None, bytes, int, str]] = []

    def add(value: object, expect: str, key: str | None = None) -> None:
        raw = value if isinstance(value, bytes) else orjson.dumps(value)
        rows.append((key, raw, T0 + len(rows) * 10, expect))

    for i in range(20):  # ordinary traffic across recipients, keyed or not
        phone = f"1391234{i:04d}"
        add(intent(f"ok-{i}", phone), "ok", key=phone if i % 2 else None)
    add(b"{this is not json", "dead:not_json")
    add(b"\xff\xfe\x00garbage", "dead:not_json")
    add(b"[1, 2, 3]", "dead:not_object")
    add({k: v for k, v in intent("x").items() if k != "msg_id"}, "dead:missing_msg_id")
    add(intent("dup-1", "13800000001"), "ok", key="13800000001")
    add(intent("dup-1", "+86 138 0000 0001"), "duplicate", key="13800000001")
    add(intent("tenant-1", tenant="acme"), "unknown_tenant")
    add(intent("phone-1", phone="12345"), "invalid_phone")
    add(intent("phone-2", phone="not a number"), "invalid_phone")
    add(intent("sig-1", content="【淘宝】双11大促"), "signature_invalid")
    add(intent("cat-1", category="promo"), "invalid_intent")
    add(intent("exp-1", expires_at="2020-01-01T00:00:00Z"), "expired")
    add(intent("us-1", phone="+1 415 555 0100"), "ok")
    for i in range(10):  # the worker is still deciding after all of that
        add(intent(f"after-{i}", f"1371234{i:04d}"), "ok")
    return rows


def test_worker_decides_every_record_and_replay_agrees(worker_factory, kafka: str) -> None:
    worker = worker_factory().start()
    topics = worker.topics
    rows = scenario()
    # Upstream clients compress as they like: every codec Kafka has, a fifth of the rows each.
    codecs = ("none", "gzip", "snappy", "lz4", "zstd")
    step = -(-len(rows) // len(codecs))
    for i, codec in enumerate(codecs):
        publish(kafka, topics["send_intents"],
                [(k, v, ts) for k, v, ts, _ in rows[i * step:(i + 1) * step]],
                {"compression.type": codec})

    outputs = consume(kafka, [topics["approved"], topics["dropped"], topics["dead_letter"]],
                      expected=len(rows))
    decisions = [(t, k, v) for t, k, v in outputs if t != topics["dead_letter"]]
    dead = [v for t, _, v in outputs if t == topics["dead_letter"]]

    expected_dead = sorted(e.split(":")[1] for *_, e in rows if e.startswith("dead:"))
    assert sorted(d["error_class"] for d in dead) == expected_dead
    for letter in dead:
        assert letter["source_topic"] == topics["send_intents"]
        assert letter["value_base64"]

    by_msg: dict[str, list[dict]] = collections.defaultdict(list)
    for topic, key, value in decisions:
        by_msg[value["msg_id"]].append(value)
        assert topic == (topics["approved"] if value["reason"] == "ok" else topics["dropped"])
        assert key == (value["phone"] if value["reason"] != "invalid_phone" else None)
        assert value["policy_version"] == load_policy(POLICY).version
    expected_by_msg: dict[str, list[str]] = collections.defaultdict(list)
    for _, raw, _, expect in rows:
        if not expect.startswith("dead:"):
            expected_by_msg[orjson.loads(raw)["msg_id"]].append(expect)
    # Two topics interleave arbitrarily for a reader: order each msg_id's records by time.
    reasons = {m: [d["reason"] for d in sorted(ds, key=lambda d: d["decided_at"])]
               for m, ds in by_msg.items()}
    assert reasons == expected_by_msg
    assert by_msg["dup-1"][0]["phone"] == "+8613800000001"
    assert len(decisions) + len(dead) == len(rows), "extra or missing records"

    # Replay of the same trace gives the same decision records, field for field.
    trace = [trace_line(topics["send_intents"], ts, raw) for _, raw, ts, _ in rows]
    settings = Settings.from_env({k: v for k, v in worker.env.items()
                                  if k.startswith("SENDGUARD_TOPIC_")})
    replayed = [orjson.loads(line) for line in replay(settings, load_policy(POLICY), trace)]
    replay_decisions = sorted((r["value"] for r in replayed if r["topic"] != topics["dead_letter"]),
                              key=lambda v: (v["msg_id"], v["decided_at"]))
    worker_decisions = sorted((v for _, _, v in decisions),
                              key=lambda v: (v["msg_id"], v["decided_at"]))
    assert replay_decisions == worker_decisions
    replay_dead = sorted(r["value"]["error_class"] for r in replayed
                         if r["topic"] == topics["dead_letter"])
    assert replay_dead == expected_dead
    print(f"\nworker: {len(decisions)} decisions, {len(dead)} dead letters; replay identical")
