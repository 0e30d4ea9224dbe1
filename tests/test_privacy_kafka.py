"""On the launched Apache Kafka, in production mode: no phone number in any changelog or
internal topic (aborted records included), in the worker's RocksDB files or in its log; and an
erasure request leaves only the opt-out, found again by the explain endpoint."""

from __future__ import annotations

import json
import time
import urllib.request
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import orjson
import pytest
from confluent_kafka import Consumer, TopicPartition
from confluent_kafka.admin import AdminClient

from app import contracts
from app.runtime.state import TABLE_NAME
from tests.kafka_io import consume, publish

pytestmark = pytest.mark.kafka

EXAMPLE = contracts.example_policy_path()
SHANGHAI = ZoneInfo("Asia/Shanghai")
TOKEN = "privacy-test-token"
ERASED, KEPT = "13812340001", "13812340002"
PHONES = [ERASED, KEPT, "13812340003", "+1 415 555 0123"]
# What any stored form of each number contains: its national significant number.
NEEDLES = [b"13812340001", b"13812340002", b"13812340003", b"4155550123"]


def read_everything(bootstrap: str, topic: str) -> list[bytes]:
    """Every key and value in the topic, aborted transactions included (read_uncommitted)."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"scan-{time.time_ns()}",
                         "isolation.level": "read_uncommitted", "enable.auto.commit": False})
    try:
        metadata = consumer.list_topics(topic, timeout=10).topics[topic]
        ends = {p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1]
                for p in metadata.partitions}
        consumer.assign([TopicPartition(topic, p, 0) for p in ends])
        blobs: list[bytes] = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            message = consumer.poll(0.2)
            if message is not None and not message.error():
                blobs += [message.key() or b"", message.value() or b""]
            # Positions, not offsets: a transaction's last offset is its (unseen) marker.
            positions = consumer.position([TopicPartition(topic, p) for p in ends])
            if all(tp.offset >= ends[tp.partition] or ends[tp.partition] == 0
                   for tp in positions):
                return blobs
        raise AssertionError(f"could not read {topic} to its end")
    finally:
        consumer.close()


def found_phones(blobs: list[bytes]) -> list[bytes]:
    return [needle for needle in NEEDLES if any(needle in blob for blob in blobs)]


def test_no_phone_number_is_stored_and_erasure_keeps_only_the_opt_out(
        worker_factory, kafka: str, tmp_path: Path) -> None:
    # Quiet hours for the next half hour, deferred: held intents stay in state while we look.
    now = datetime.now(SHANGHAI)
    window = f"{now - timedelta(minutes=1):%H:%M}-{now + timedelta(minutes=30):%H:%M}"
    policy = tmp_path / "policy.toml"
    policy.write_text(EXAMPLE.read_text(encoding="utf-8")
                      .replace('quiet_hours_action = "drop"', 'quiet_hours_action = "defer"')
                      .replace('quiet_hours = "21:00-08:00"', f'quiet_hours = "{window}"'),
                      encoding="utf-8")
    worker = worker_factory(policy=policy, SENDGUARD_ENV="production",
                            SENDGUARD_STATE_SECRET="privacy-test-secret-0123456789",
                            SENDGUARD_API_TOKEN=TOKEN).start()
    topics = worker.topics
    ts = int(time.time() * 1000)

    def event(phone: str, event_id: str, action: str, tenant: str) -> bytes:
        return orjson.dumps({"event_id": event_id, "phone": phone, "tenant": tenant,
                             "category": "marketing", "action": action, "source": "app",
                             "occurred_at": "2026-01-01T00:00:00Z",
                             "evidence": {"form_id": "f", "note": f"from {phone}"}})

    publish(kafka, topics["consent_events"], [
        (phone, event(phone, f"g-{i}", "grant", "meituan"), ts) for i, phone in enumerate(PHONES)
    ] + [(ERASED, event(ERASED, "rv-jd", "revoke", "jd"), ts)])
    assert len(consume(kafka, [topics["consent_outcomes"]], expected=5, settle=0)) == 5
    intents = []
    for i, phone in enumerate(PHONES):
        for category, signature, tenant, text in (
                ("verification", "京东", "jd", f"验证码{i}2345，请勿告诉他人"),
                ("marketing", "美团", "meituan", f"神券，客服电话{phone}，拒收请回复R")):
            intents.append((None, orjson.dumps({
                "msg_id": f"{category}-{i}", "tenant": tenant, "signature": signature,
                "category": category, "phone": phone,
                "content": f"【{signature}】{text}"}), ts + 1))
    publish(kafka, topics["send_intents"], intents)
    publish(kafka, topics["carrier_replies"], [(KEPT, orjson.dumps({
        "type": "mo", "reply_id": "r1", "phone": KEPT, "to": "1069000112345",
        "text": f"TD 我的号码是{KEPT}", "received_at": "2026-11-23T10:00:00+08:00"}), ts + 2)])
    # Verification codes are decided now; marketing to the +86 numbers is held for quiet hours
    # (in state), the +1 number's is not (its quiet hours are in its own zone).
    decided = consume(kafka, [topics["approved"], topics["dropped"]], expected=5)
    assert sorted(v["msg_id"] for _, _, v in decided) == \
        ["marketing-3", *(f"verification-{i}" for i in range(4))]

    publish(kafka, topics["consent_events"], [(ERASED, orjson.dumps({
        "event_id": "erase-1", "phone": "+86 138 1234 0001", "tenant": "*", "category": "all",
        "action": "erase", "source": "privacy_request",
        "occurred_at": datetime.now(SHANGHAI).isoformat()}), ts + 3)])
    erased = consume(kafka, [topics["dropped"]], expected=1, timeout=60)
    assert [(v["msg_id"], v["reason"]) for _, _, v in erased
            if v["reason"] == "erased"] == [("marketing-0", "erased")]

    url = f"http://127.0.0.1:{worker.env['SENDGUARD_WEB_PORT']}/recipients/{ERASED}"
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {TOKEN}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        answer = json.loads(response.read())
    assert [(e["tenant"], e["action"]) for e in answer["consent_ledger"]] == [("jd", "revoke")]
    assert answer["recent_decisions"] == [] and answer["held"] == []
    assert answer["cap_usage"] == [] and answer["erased_at"] is not None

    time.sleep(4)  # a commit interval: the changelog writes of the erasure are flushed
    admin = AdminClient({"bootstrap.servers": kafka})
    app_id = worker.env["SENDGUARD_APP_ID"]
    hops = (topics["recipient_events"], topics["priority_events"])
    changelog = f"{app_id}-{TABLE_NAME}-changelog"
    internal = sorted(name for name in admin.list_topics(timeout=10).topics
                      if name.startswith(f"{app_id}-") or name in hops)
    assert changelog in internal and set(hops) <= set(internal)
    counts = {}
    for topic in internal:
        blobs = read_everything(kafka, topic)
        counts[topic] = len(blobs) // 2
        assert found_phones(blobs) == [], f"phone numbers in {topic}"
    # (records keyed by the number in its partition skip the hop: ticks are there anyway)
    assert counts[topics["recipient_events"]] and counts[changelog]
    files = [p for p in Path(worker.env["SENDGUARD_DATA_DIR"]).rglob("*") if p.is_file()]
    assert files and found_phones([p.read_bytes() for p in files]) == [], "phones on disk"
    assert found_phones([worker.log_path.read_bytes()]) == [], "phones in the log"
    # The public topics do carry the numbers (that is their contract): the scan can fail.
    assert found_phones(read_everything(kafka, topics["approved"]))
    print(f"\nno phone number in {len(internal)} internal topics "
          f"({', '.join(f'{t}: {n}' for t, n in counts.items())} records), "
          f"{len(files)} state files or the log; erasure kept only the opt-out")
