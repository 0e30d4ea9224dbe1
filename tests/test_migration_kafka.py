"""On the launched Apache Kafka: state written by the last release before one hop (its
`recipients` table, partitioned by the keyed hash) is read by this release and moved to
`recipients-v2` when its recipient next has an event (app/runtime/migration.py): an opt-out and
a cap recorded by the old release still hold, and the legacy changelog gets a tombstone."""

from __future__ import annotations

import subprocess
import tarfile
import uuid
from pathlib import Path

import orjson
import pytest
from confluent_kafka import Consumer

from app.runtime.migration import legacy_changelog
from app.runtime.privacy import DEVELOPMENT_SECRET, StateSealer
from tests.kafka_io import consume, daytime_in_shanghai_ms, publish

pytestmark = pytest.mark.kafka

ROOT = Path(__file__).resolve().parents[1]
LEGACY_RELEASE = "571957d"  # main before lanes and one hop
PHONE = "+86 139 8765 4321"
E164 = "+8613987654321"
MEITUAN_PORT = "106900005678"


def legacy_checkout(tmp_path: Path) -> Path:
    """The last release's code (what `git archive` of that commit holds)."""
    target = tmp_path / "legacy-release"
    target.mkdir()
    archive = tmp_path / "legacy.tar"
    try:
        subprocess.run(["git", "-C", str(ROOT), "archive", "-o", str(archive), LEGACY_RELEASE,
                        "app", "topics", "policy.example.toml"], check=True,
                       capture_output=True)
    except subprocess.CalledProcessError as exc:  # a shallow clone: no history to upgrade from
        pytest.skip(f"commit {LEGACY_RELEASE} not in this clone: {exc.stderr.decode()[:200]}")
    with tarfile.open(archive) as tar:
        tar.extractall(target, filter="tar")
    return target


def grant(event_id: str, tenant: str) -> dict:
    return {"event_id": event_id, "phone": PHONE, "tenant": tenant, "category": "marketing",
            "action": "grant", "source": "signup_form", "occurred_at": "2026-11-01T10:00:00Z",
            "evidence": {"form_id": "reg-v3", "ip": "203.0.113.7"}}


def marketing(msg_id: str, tenant: str, signature: str) -> dict:
    return {"msg_id": msg_id, "tenant": tenant, "signature": signature, "category": "marketing",
            "phone": PHONE, "content": f"【{signature}】双11神券已到账，拒收请回复R"}


def changelog_records(bootstrap: str, topic: str) -> list[tuple[bytes, bytes | None]]:
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": uuid.uuid4().hex,
                         "auto.offset.reset": "earliest", "isolation.level": "read_committed",
                         "enable.auto.commit": False})
    consumer.subscribe([topic])
    records: list[tuple[bytes, bytes | None]] = []
    idle = 0
    try:
        while idle < 10:
            message = consumer.poll(0.5)
            if message is None or message.error():
                idle += 1
                continue
            idle = 0
            records.append((message.key(), message.value()))
    finally:
        consumer.close()
    return records


def test_state_of_the_last_release_is_migrated(worker_factory, kafka: str,
                                               tmp_path: Path) -> None:
    old = worker_factory(root=legacy_checkout(tmp_path)).start()
    topics = old.topics
    now = daytime_in_shanghai_ms()

    def send(topic_id: str, value: dict, ts: int) -> None:
        publish(kafka, topics[topic_id], [(E164, orjson.dumps(value), ts)])

    send("consent_events", grant("g-meituan", "meituan"), now)
    send("consent_events", grant("g-jd", "jd"), now + 1)
    send("carrier_replies", {"type": "mo", "reply_id": "mo-1", "phone": PHONE,
                             "to": MEITUAN_PORT + "01", "text": "TD",
                             "received_at": "2026-11-22T10:00:00+08:00"}, now + 2)
    send("send_intents", marketing("mk-jd-1", "jd", "京东"), now + 3)
    decisions = consume(kafka, [topics["approved"], topics["dropped"]], expected=1)
    assert [(v["msg_id"], v["reason"]) for _, _, v in decisions] == [("mk-jd-1", "ok")]
    old.stop()

    app_id = old.env["SENDGUARD_APP_ID"]
    key = StateSealer(DEVELOPMENT_SECRET).recipient_key(E164)
    legacy = legacy_changelog(app_id)
    assert any(k == key and v for k, v in changelog_records(kafka, legacy))  # the old layout

    new = worker_factory().start()
    assert "state migration: 1 recipients still in the legacy table" in new.log_tail(400)
    send("send_intents", marketing("mk-meituan", "meituan", "美团"), now + 10)
    send("send_intents", marketing("mk-jd-2", "jd", "京东"), now + 11)
    decisions = consume(kafka, [topics["approved"], topics["dropped"]], expected=3)
    reasons = {v["msg_id"]: v["reason"] for _, _, v in decisions}
    # the opt-out and the weekly recipient cap recorded by the old release still hold
    assert reasons == {"mk-jd-1": "ok", "mk-meituan": "opted_out", "mk-jd-2": "frequency_cap"}

    after = [(k, v) for k, v in changelog_records(kafka, legacy) if k == key]
    assert after[-1][1] is None  # moved: a tombstone in the legacy changelog
    moved = changelog_records(kafka, f"{app_id}-recipients-v2-changelog")
    assert any(k == key and v for k, v in moved)
    new.stop()
    restarted = worker_factory().start()  # the next start finds nothing left to move
    assert "state migration: 0 recipients still in the legacy table" in \
        restarted.log_tail(400)
