"""On the launched Apache Kafka: `sendguard capture` reads back exactly the committed records
of a time range, and a trace captured after a worker ran it replays to the worker's own
decisions, then compares two policies as a reviewer expects."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import orjson
import pytest
from confluent_kafka import Producer

from app.rules.policy import load_policy
from app.runtime.settings import Settings, load_topic_specs
from app.tools.compare import compare
from app.tools.replay import read_trace, replay
from tests.kafka_io import consume, daytime_in_shanghai_ms, publish

pytestmark = pytest.mark.kafka

ROOT = Path(__file__).resolve().parents[1]
POLICY = ROOT / "policy.example.toml"



def intent(msg_id: str, phone: str, category: str = "notification",
           tenant: str = "jd") -> dict:
    signature = {"jd": "京东", "meituan": "美团"}[tenant]
    text = {"notification": "您的订单已发货", "verification": "验证码123456",
            "marketing": "双11神券已到账，拒收请回复R"}[category]
    return {"msg_id": msg_id, "tenant": tenant, "signature": signature, "category": category,
            "phone": phone, "content": f"【{signature}】{text}"}


def run_capture(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "app.tools.cli", "capture", *args], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=120)


def test_capture_reads_the_committed_records_of_a_time_range(kafka: str,
                                                             tmp_path: Path) -> None:
    prefix = f"c{uuid.uuid4().hex[:8]}"
    specs = load_topic_specs({})
    env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": kafka,
           **{spec.env: f"{prefix}.{spec.name}" for spec in specs.values()}}
    topics = {spec.id: f"{prefix}.{spec.name}" for spec in specs.values()}
    assert subprocess.run([sys.executable, "-m", "app.tools.cli", "create-topics"], cwd=ROOT,
                          env=env,
                          capture_output=True, timeout=120).returncode == 0
    t0 = int(time.time() * 1000)  # producers' clocks: about now (the abort marker's is now)
    intents, consents, replies = (topics["send_intents"], topics["consent_events"],
                                  topics["carrier_replies"])
    rows = [  # (topic, key, value bytes, timestamp)
        (intents, "13800000000", orjson.dumps(intent("early", "13800000000")), t0 - 1),
        (consents, None, orjson.dumps({"event_id": "e1", "phone": "13800000001",
                                       "action": "revoke"}), t0),
        (intents, "13800000001", orjson.dumps(intent("a", "13800000001")), t0 + 1),
        (replies, "13800000001", orjson.dumps({"type": "dlr", "msg_id": "a",
                                               "phone": "13800000001", "status": "DELIVRD"}),
         t0 + 2),
        (intents, None, b"not json", t0 + 3),
        (intents, "k", b"\xff\xfe", t0 + 4),
        (intents, "13800000002", orjson.dumps(intent("b", "+86 138 0000 0002")), t0 + 5),
        (intents, "13800000003", orjson.dumps(intent("late", "13800000003")), t0 + 7),
        # from a clock a little behind: appended after "late", yet inside the range
        (intents, "13800000007", orjson.dumps(intent("behind", "13800000007")), t0 + 6),
        (intents, "13800000006", orjson.dumps(intent("after", "13800000006")), t0 + 400_000),
    ]
    inside = [row for row in rows if t0 <= row[3] < t0 + 7]
    aborted = Producer({"bootstrap.servers": kafka, "transactional.id": f"{prefix}-tx"})
    aborted.init_transactions(30)
    for n, (topic, key, value, ts) in enumerate(rows):
        publish(kafka, topic, [(key, value, ts)])
        if n == 2:  # an aborted intent amid the range, on every partition
            aborted.begin_transaction()
            for partition in range(specs["send_intents"].partitions):
                aborted.produce(intents, value=orjson.dumps(intent("aborted", "13800000009")),
                                partition=partition, timestamp=t0 + 2)
            assert aborted.flush(30) == 0  # on the broker, then aborted
            aborted.abort_transaction(30)

    trace = tmp_path / "trace.jsonl"
    done = run_capture(env, "--from", str(t0), "--to",
                       datetime.fromtimestamp((t0 + 7) / 1000, ZoneInfo("Asia/Shanghai"))
                       .isoformat(timespec="milliseconds"), "--output", str(trace))
    assert done.returncode == 0, done.stderr
    assert "personal data" in done.stderr
    assert f"  {intents:<28} {5:>10,}" in done.stdout  # a, not json, not UTF-8, b, behind
    assert trace.stat().st_mode & 0o777 == 0o600
    captured = list(read_trace(trace.read_bytes().splitlines()))
    assert [r.timestamp_ms for r in captured] == sorted(r.timestamp_ms for r in captured)
    assert captured == [(topic, ts, key.encode() if key else None,
                         value if value[:1] != b"{" else orjson.dumps(orjson.loads(value)))
                        for topic, key, value, ts in inside]

    masked = tmp_path / "masked.jsonl"
    done = run_capture(env, "--from", str(t0), "--to", str(t0 + 7), "--output", str(masked),
                       "--mask-phones")
    assert done.returncode == 0, done.stderr
    text = masked.read_text(encoding="utf-8")
    assert "1380000000" not in text and "138 0000 0002" not in text
    assert "(3 phone numbers masked)" in done.stdout

    done = run_capture({**env, "SENDGUARD_TOPIC_SEND_INTENTS": f"{prefix}.missing"},
                       "--from", str(t0), "--output", str(tmp_path / "x.jsonl"))
    assert done.returncode == 1
    assert done.stderr.splitlines()[-1] == \
        f"sendguard capture: topic {prefix}.missing does not exist (check SENDGUARD_TOPIC_* " \
        "and the broker)"
    assert not (tmp_path / "x.jsonl").exists() and not (tmp_path / "x.jsonl.partial").exists()


def test_a_trace_captured_after_the_worker_ran_it_replays_and_compares(
        worker_factory, kafka: str, tmp_path: Path) -> None:
    worker = worker_factory().start()
    topics = worker.topics
    t0 = daytime_in_shanghai_ms()
    grant = {"event_id": "g1", "phone": "13900000001", "tenant": "meituan",
             "category": "marketing", "action": "grant", "source": "signup_form",
             "occurred_at": "2026-11-01T10:00:00Z", "evidence": {"form_id": "reg-v3"}}
    rows = [("consent_events", grant, t0)]
    rows += [("send_intents", intent(f"n{i}", f"1380000000{i}"), t0 + 10 + i) for i in range(4)]
    rows += [("send_intents", intent("code", "13800000009", "verification"), t0 + 20),
             ("send_intents", intent("mk1", "13900000001", "marketing", "meituan"), t0 + 21),
             ("carrier_replies", {"type": "mo", "reply_id": "mo-1", "phone": "13900000001",
                                  "to": "10690000567801", "text": "TD",
                                  "received_at": "2026-11-22T10:00:00+08:00"}, t0 + 22),
             ("send_intents", intent("mk2", "13900000001", "marketing", "meituan"), t0 + 23)]
    # Kafka orders records within a partition, not across topics: each record is published
    # once the ones before it are decided (a TD revoke yields two outcomes: applied, its echo).
    published = {"send_intents": 0, "consent_events": 0, "carrier_replies": 0}
    for topic_id, value, ts in rows:
        consume(kafka, [topics["approved"], topics["dropped"]], settle=0,
                expected=published["send_intents"])
        consume(kafka, [topics["consent_outcomes"]], settle=0,
                expected=published["consent_events"] + 2 * published["carrier_replies"])
        publish(kafka, topics[topic_id], [(value.get("phone"), orjson.dumps(value), ts)])
        published[topic_id] += 1
    decisions = consume(kafka, [topics["approved"], topics["dropped"]], expected=7, settle=0)
    outcomes = consume(kafka, [topics["consent_outcomes"]], expected=3, settle=0)
    assert sorted(v["result"] for _, _, v in outcomes) == ["applied", "applied", "duplicate"]

    trace = tmp_path / "trace.jsonl"
    env = {**worker.env}
    done = run_capture(env, "--from", str(t0), "--to", str(t0 + 24), "--output", str(trace))
    assert done.returncode == 0, done.stderr
    assert "(1 consent events the worker derived" in done.stdout  # the TD's revoke, left out
    lines = trace.read_bytes().splitlines()
    assert len(lines) == len(rows)

    settings = Settings.from_env({k: v for k, v in worker.env.items()
                                  if k.startswith("SENDGUARD_TOPIC_")})
    replayed = [orjson.loads(line) for line in replay(settings, load_policy(POLICY), lines)]
    assert {r["value"]["msg_id"]: r["value"] for r in replayed
            if r["topic"] in (topics["approved"], topics["dropped"])} == \
        {v["msg_id"]: v for _, _, v in decisions}
    assert sorted(r["value"]["result"] for r in replayed
                  if r["topic"] == topics["consent_outcomes"]) == \
        sorted(v["result"] for _, _, v in outcomes)

    # The reviewer's question: what if notifications needed an opt-in?
    new_policy = tmp_path / "new.toml"
    new_policy.write_text(POLICY.read_text(encoding="utf-8").replace(
        'consent = "opt_out"', 'consent = "opt_in"'), encoding="utf-8")
    result = compare(settings, load_policy(POLICY), load_policy(new_policy),
                     read_trace(lines))
    assert {pair: b.count for pair, b in result.transitions.items()} == {
        ("ok", "no_consent"): 4, ("ok", "ok"): 2, ("opted_out", "opted_out"): 1}
    assert result.transitions["ok", "no_consent"].groups == {("jd", "notification"): 4}
    done = subprocess.run([sys.executable, "-m", "app.tools.cli", "replay", "--json", "--compare",
                           str(POLICY), str(new_policy), str(trace)], cwd=ROOT, env=env,
                          capture_output=True, check=True)
    assert json.loads(done.stdout)["changed"] == 4
