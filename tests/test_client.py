"""app.client without a broker: intents checked against the shipped schema, keyed by E.164."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.client import IntentProducer, InvalidIntent, build_intent, send_intent_schema

ROOT = Path(__file__).resolve().parents[1]
FIELDS = {"msg_id": "jd-1", "tenant": "jd", "signature": "京东", "category": "notification",
          "phone": "+86 138-1234-5678", "content": "【京东】您的订单已发货"}


def test_the_schema_is_the_shipped_one() -> None:
    shipped = json.loads((ROOT / "topics" / "schemas" / "send-intent.schema.json")
                         .read_text(encoding="utf-8"))
    assert send_intent_schema() == shipped


def test_an_intent_is_keyed_and_sent_by_its_e164_recipient() -> None:
    key, value = build_intent(**FIELDS, expires_at="2026-11-22T22:00:00+08:00")
    assert key == "+8613812345678"
    assert value == {**FIELDS, "phone": "+8613812345678",
                     "expires_at": "2026-11-22T22:00:00+08:00"}
    assert "campaign_id" not in value
    key, _ = build_intent(**{**FIELDS, "phone": "(415) 555-0100"}, default_region="US")
    assert key == "+14155550100"


def test_every_problem_is_named_and_nothing_is_sent() -> None:
    with pytest.raises(InvalidIntent) as caught:
        build_intent(**{**FIELDS, "msg_id": "x" * 129, "category": "promo", "phone": "12345"},
                     expires_at="2026-11-22T22:00:00")
    message = str(caught.value)
    assert message.startswith(f'send intent "{"x" * 129}": ')
    assert message.count("expires_at") == 1
    for field in ("msg_id:", "category:", "phone: ", "expires_at: "):
        assert field in message, field
    with pytest.raises(InvalidIntent, match="content: '' should be non-empty"):
        build_intent(**{**FIELDS, "content": ""})


def test_the_producer_is_always_idempotent_with_acks_all() -> None:
    producer = IntentProducer("k:9092", linger_ms=5)
    assert producer.config == {"bootstrap_servers": "k:9092", "linger_ms": 5,
                               "enable_idempotence": True, "acks": "all"}
    with pytest.raises(ValueError, match="enable_idempotence=True"):
        IntentProducer("k:9092", enable_idempotence=False)
    with pytest.raises(ValueError, match="acks='all'"):
        IntentProducer("k:9092", acks=1)


def test_from_env_reads_the_workers_variables() -> None:
    producer = IntentProducer.from_env({"KAFKA_BOOTSTRAP_SERVERS": "b:9093",
                                        "SENDGUARD_TOPIC_SEND_INTENTS": "prod.intents"})
    assert producer.topic == "prod.intents"
    assert producer.config["bootstrap_servers"] == "b:9093"
    assert producer.config["security_protocol"] == "PLAINTEXT"


async def test_sending_before_start_says_so() -> None:
    with pytest.raises(RuntimeError, match="not started"):
        await IntentProducer().send(**FIELDS)


def test_codes_and_priority_notifications_go_to_the_priority_topic() -> None:
    producer = IntentProducer.from_env({"SENDGUARD_TOPIC_SEND_INTENTS": "p.intents",
                                        "SENDGUARD_TOPIC_PRIORITY_INTENTS": "p.priority"})
    _, code = build_intent(**{**FIELDS, "category": "verification"})
    _, notice = build_intent(**{**FIELDS, "category": "notification", "priority": "High"})
    _, plain = build_intent(**{**FIELDS, "category": "notification"})
    _, ad = build_intent(**{**FIELDS, "category": "marketing", "priority": "high"})
    assert [producer.topic_for(v) for v in (code, notice, plain, ad)] == [
        "p.priority", "p.priority", "p.intents", "p.intents"]


def test_the_key_is_the_number_that_decides_the_partition() -> None:
    """One hop: the client's key is the E.164 number the worker partitions state by."""
    key, value = build_intent(**{**FIELDS, "phone": "+86 138 1234 5678"})
    assert key == "+8613812345678" == value["phone"]
