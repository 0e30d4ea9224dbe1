"""On the launched Apache Kafka: with quiet_hours_action = "defer", a marketing intent sent in
quiet hours gets no record until the window opens, then exactly one, decided at the opening."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import orjson
import pytest

from app import contracts
from tests.kafka_io import consume, publish

pytestmark = pytest.mark.kafka

EXAMPLE = contracts.example_policy_path()
SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_deferred_intent_is_released_when_quiet_hours_end(worker_factory, kafka: str,
                                                          tmp_path: Path) -> None:
    # Quiet hours from a minute ago until the next minute boundary at least 20 s away.
    now = datetime.now(SHANGHAI)
    opens = (now + timedelta(seconds=80)).replace(second=0, microsecond=0)
    window = f"{(now - timedelta(minutes=1)):%H:%M}-{opens:%H:%M}"
    policy = tmp_path / "policy.toml"
    policy.write_text(
        EXAMPLE.read_text(encoding="utf-8")
        .replace('quiet_hours_action = "drop"', 'quiet_hours_action = "defer"')
        .replace('quiet_hours = "21:00-08:00"', f'quiet_hours = "{window}"'),
        encoding="utf-8")
    worker = worker_factory(policy=policy).start()
    topics = worker.topics
    phone = "13912345000"
    publish(kafka, topics["consent_events"], [(phone, orjson.dumps({
        "event_id": "g1", "phone": phone, "tenant": "meituan", "category": "marketing",
        "action": "grant", "source": "signup_form", "occurred_at": "2026-01-01T00:00:00Z",
        "evidence": {"form_id": "f"}}), int(time.time() * 1000))])
    assert consume(kafka, [topics["consent_outcomes"]], expected=1, settle=0)
    publish(kafka, topics["send_intents"], [(phone, orjson.dumps({
        "msg_id": "late-1", "tenant": "meituan", "signature": "美团", "category": "marketing",
        "phone": phone, "content": "【美团】神券到账，拒收请回复R"}), int(time.time() * 1000))])

    outputs = [topics["approved"], topics["dropped"]]
    early = consume(kafka, outputs, expected=1, timeout=min(10.0, max(
        1.0, opens.timestamp() - time.time() - 5)), settle=0)
    assert early == [], "a deferred intent must not be decided inside quiet hours"
    released = consume(kafka, outputs, expected=1,
                       timeout=opens.timestamp() - time.time() + 30)
    assert [(v["msg_id"], v["reason"]) for _, _, v in released] == [("late-1", "ok")]
    decided = datetime.fromisoformat(released[0][2]["decided_at"])
    assert decided == opens.astimezone(decided.tzinfo)
    print(f"\ndeferred intent released at {released[0][2]['decided_at']} "
          f"(window {window} Asia/Shanghai)")
