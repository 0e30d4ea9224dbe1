"""Every record the worker writes fits the topic it goes to, whatever an input topic with the
broker's default limit accepted: the bounds in app/rules/records.py, the limits in topics.toml
and the
worker's producer limit are checked against worst cases here (the Kafka side is
tests/test_poison_kafka.py). A record that does not fit would fail the send, and under
exactly-once a broker-side refusal poisons the producer's transaction."""

from __future__ import annotations

import base64
import hashlib
import os
from typing import Any

import orjson
import pytest

from app import contracts
from app.rules.core import fail_closed, handle
from app.rules.policy import load_policy
from app.rules.records import (
    DEAD_LETTER_ORIGINAL_MAX_BYTES,
    DEAD_LETTER_PREFIX_BYTES,
    MAX_RECORD_BYTES,
    TEXT_MAX_CHARS,
    Source,
    dead_letter,
)
from app.rules.routing import INTENT, MAX_NESTING, REPLY, route
from app.runtime.settings import load_topic_specs

POLICY = load_policy(contracts.example_policy_path())
SPECS = load_topic_specs({})
INPUT_LIMIT = 1_048_588  # Kafka's default message.max.bytes: what the input topics accept
RECORD_OVERHEAD = 200  # batch header and record framing, generously
SOURCE = Source("sms.send-intents", 3, 42, 1_795_312_800_000)


def limit(topic_id: str) -> int:
    return int(SPECS[topic_id].config.get("max.message.bytes", INPUT_LIMIT))


def fits(topic_id: str, key: bytes | str | None, value: dict[str, Any]) -> int:
    """The record's size; asserts it fits the topic and the worker's producer."""
    key_bytes = key.encode() if isinstance(key, str) else key or b""
    size = len(key_bytes) + len(orjson.dumps(value)) + RECORD_OVERHEAD
    assert size <= min(limit(topic_id), MAX_RECORD_BYTES), (topic_id, size, limit(topic_id))
    return size


def test_the_producer_can_send_what_every_topic_accepts() -> None:
    written = ["approved", "dropped", "consent_outcomes", "dead_letter", "recipient_events"]
    assert all(limit(t) <= MAX_RECORD_BYTES for t in written)
    assert DEAD_LETTER_ORIGINAL_MAX_BYTES == INPUT_LIMIT


@pytest.mark.parametrize("key_share", [0.0, 0.5, 0.99])
def test_a_dead_letter_of_the_largest_input_keeps_it_whole_and_fits(key_share: float) -> None:
    key = os.urandom(int(INPUT_LIMIT * key_share)) or None
    value = os.urandom(INPUT_LIMIT - len(key or b""))
    letter = dead_letter(SOURCE, "route", "not_json", "x" * 5000, key, value, "v1").value
    size = fits("dead_letter", None, letter)
    assert base64.b64decode(letter["value_base64"]) == value
    assert not letter["value_truncated"] and not letter["key_truncated"]
    assert len(letter["error"]) == TEXT_MAX_CHARS
    print(f"\ndead letter of a {INPUT_LIMIT}-byte record ({key_share:.0%} key): {size} bytes "
          f"(limit {limit('dead_letter')})")


def test_a_dead_letter_beyond_the_bound_keeps_a_prefix_length_and_sha256() -> None:
    key, value = b"k" * 10, os.urandom(50 * 1024 * 1024)  # an input topic's limit was raised
    letter = dead_letter(SOURCE, "route", "not_json", "bad", key, value, "v1").value
    assert (letter["value_bytes"], letter["value_sha256"], letter["value_truncated"]) == (
        len(value), hashlib.sha256(value).hexdigest(), True)
    assert base64.b64decode(letter["value_base64"]) == value[:DEAD_LETTER_PREFIX_BYTES]
    assert base64.b64decode(letter["key_base64"]) == key and not letter["key_truncated"]
    print(f"\ndead letter of a 50 MiB value: {fits('dead_letter', None, letter)} bytes")
    empty = dead_letter(SOURCE, "route", "not_json", "tombstone", None, None, "v1").value
    assert (empty["value_base64"], empty["value_bytes"], empty["value_sha256"]) == (
        None, None, None)


def intent(**fields: Any) -> dict[str, Any]:
    return {"msg_id": "m1", "tenant": "jd", "signature": "京东", "category": "notification",
            "phone": "13812345678", "content": "【京东】您的订单已发货", **fields}


def padded(field: str, phone: str = "13812345678") -> bytes:
    """An intent of exactly INPUT_LIMIT bytes, the padding all in one field."""
    fields = {"phone": phone, field: ""}
    base = len(orjson.dumps(intent(**fields)))
    return orjson.dumps(intent(**{**fields, field: "x" * (INPUT_LIMIT - base)}))


@pytest.mark.parametrize("field", ["content", "category", "expires_at", "tenant", "signature",
                                   "campaign_id", "msg_id", "extra"])
def test_the_largest_intent_routes_and_gets_a_decision_that_fits(field: str) -> None:
    raw = padded(field)
    assert len(raw) == INPUT_LIMIT
    routed = route(INTENT, SOURCE, None, raw, POLICY)
    fits("recipient_events", routed.key, routed.value)
    envelope = orjson.loads(orjson.dumps(routed.value))  # as the decide agent reads it
    state: dict[str, Any] = {}
    [decision] = handle(envelope, state, POLICY)
    size = fits(decision.topic, decision.key, decision.value)
    assert len(orjson.dumps(state)) < 2000, "state must not grow with the intent"
    assert decision.value["detail"] is None or len(decision.value["detail"]) <= TEXT_MAX_CHARS
    print(f"\n{field}: {decision.value['reason']}, decision {size} bytes")


def test_an_invalid_phone_intent_keyed_by_a_huge_msg_id_fits_the_internal_topic() -> None:
    raw = padded("msg_id", phone="not a phone")
    routed = route(INTENT, SOURCE, None, raw, POLICY)
    assert routed.key.startswith("msg:") and len(routed.key) > INPUT_LIMIT // 2
    print(f"\nkeyed by msg_id: {fits('recipient_events', routed.key, routed.value)} bytes")


def test_a_failing_decide_step_dead_letters_the_largest_envelope() -> None:
    envelope = orjson.dumps(route(INTENT, SOURCE, None, padded("content"), POLICY).value)
    key = b"+8613812345678"
    dead, dropped = fail_closed(Source("sendguard.recipient-events", 1, 5, SOURCE.timestamp_ms),
                                key, envelope, RuntimeError("boom"), POLICY)
    fits("dead_letter", None, dead.value)
    fits("dropped", dropped.key, dropped.value)


def test_consent_events_derived_from_the_largest_reply_stay_small() -> None:
    """They go back through sms.consent-events, an input topic with the default limit."""
    reply = {"type": "mo", "reply_id": "r" * 300_000, "phone": "13812345678",
             "to": "1069" + "0" * 300_000, "text": "TD" + " " * 400_000,
             "received_at": "2026-11-21T20:00:00+08:00"}
    routed = route(REPLY, Source("sms.carrier-replies", 0, 1, SOURCE.timestamp_ms), None,
                   orjson.dumps(reply), POLICY)
    state: dict[str, Any] = {}
    emits = handle(orjson.loads(orjson.dumps(routed.value)), state, POLICY)
    derived = [e for e in emits if e.topic == "consent_events"]
    assert derived and len(orjson.dumps(derived[0].value)) < 5000
    assert derived[0].value["event_id"].startswith("reply:sha256:")
    assert len(orjson.dumps(state)) < 2000


@pytest.mark.parametrize(("depth", "routed"), [(MAX_NESTING, True), (MAX_NESTING + 1, False)])
def test_nesting_bound(depth: int, routed: bool) -> None:
    body = orjson.dumps(intent())[:-1] + b',"extra":' + b"[" * (depth - 1) + b"]" * (
        depth - 1) + b"}"
    emit = route(INTENT, SOURCE, None, body, POLICY)
    assert (emit.topic == "recipient_events") == routed
    if routed:  # the envelope, and a state holding the intent (held for quiet hours), encode
        orjson.dumps(emit.value)
        orjson.dumps({"held": [[0, 0, "t", "+86", emit.value["value"]]]})
    else:
        assert emit.value["error"] == f"value is nested deeper than {MAX_NESTING} levels"
