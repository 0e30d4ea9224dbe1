"""The decision core and first-hop routing, without Kafka: plain data in, records out."""

from typing import Any

import orjson
import pytest

from app import contracts
from app.rules.core import fail_closed, handle, prune
from app.rules.policy import Policy, load_policy
from app.rules.records import (
    APPROVED,
    DEAD_LETTER,
    DROPPED,
    INTENT_FIELDS,
    RECIPIENT_EVENTS,
    Source,
    clip,
    decision_record,
)
from app.rules.routing import CONSENT, INTENT, REPLY, route

POLICY: Policy = load_policy(contracts.example_policy_path())
T0 = 1_795_000_000_000  # ms
GOOD = {
    "msg_id": "m-1", "tenant": "jd", "signature": "京东", "category": "notification",
    "phone": "138 1234 5678", "content": "【京东】您的订单已发货",
}


def routed(value: Any, ts: int = T0, offset: int = 0, kind: str = INTENT) -> Any:
    raw = value if isinstance(value, bytes) else orjson.dumps(value)
    return route(kind, Source("sms.send-intents", 0, offset, ts), b"k", raw, POLICY)


def decide(value: dict, state: dict, ts: int = T0, offset: int = 0) -> tuple[str, Any]:
    emit = routed(value, ts, offset)
    assert emit.topic == RECIPIENT_EVENTS
    [decision] = handle(emit.value, state, POLICY)
    return decision.value["reason"], decision


def test_a_valid_intent_is_approved_with_normalised_phone() -> None:
    reason, decision = decide(GOOD, {})
    assert reason == "ok"
    assert decision.topic == APPROVED
    assert decision.key == "+8613812345678"
    assert decision.value["phone"] == "+8613812345678"
    assert decision.value["decision"] == "approved"
    assert decision.value["policy_version"] == POLICY.version
    assert decision.value["decided_at"].endswith("Z")


@pytest.mark.parametrize(
    ("change", "reason", "detail_part"),
    [
        ({"tenant": None}, "invalid_intent", "tenant"),
        ({"category": "promo"}, "invalid_intent", "promo"),
        ({"content": 42}, "invalid_intent", "content"),
        ({"expires_at": "tomorrow"}, "invalid_intent", "expires_at"),
        ({"expires_at": "2026-11-22T10:00:00"}, "invalid_intent", "offset"),
        ({"msg_id": "x" * 129}, "invalid_intent", "msg_id"),
        ({"phone": "12345"}, "invalid_phone", "valid"),
        ({"expires_at": "2020-01-01T00:00:00Z"}, "expired", "expired at 2020-01-01"),
        ({"tenant": "acme"}, "unknown_tenant", "acme"),
        ({"signature": "淘宝", "content": "【淘宝】hi"}, "signature_invalid", "not registered"),
        ({"content": "您的订单已发货"}, "signature_invalid", "start with 【京东】"),
        ({"content": "【京东】来自【淘宝】的优惠"}, "signature_invalid", "second 【】"),
        ({"signature": "美团", "content": "【美团】hi"}, "signature_invalid", "not registered"),
    ],
)
def test_each_reason(change: dict, reason: str, detail_part: str) -> None:
    got, decision = decide({**GOOD, **change}, {})
    assert got == reason
    assert decision.topic == DROPPED
    assert detail_part in decision.value["detail"]


def test_reasons_are_checked_in_order() -> None:
    # invalid_intent beats invalid_phone beats expired beats unknown_tenant beats signature.
    everything_wrong = {**GOOD, "category": "promo", "phone": "1", "tenant": "acme",
                        "expires_at": "2020-01-01T00:00:00Z", "content": "no signature"}
    assert decide(everything_wrong, {})[0] == "invalid_intent"
    del everything_wrong["category"]
    everything_wrong["category"] = "marketing"
    assert decide(everything_wrong, {})[0] == "invalid_phone"
    everything_wrong["phone"] = GOOD["phone"]
    assert decide(everything_wrong, {})[0] == "expired"
    del everything_wrong["expires_at"]
    assert decide(everything_wrong, {})[0] == "unknown_tenant"
    everything_wrong["tenant"] = "jd"
    assert decide(everything_wrong, {})[0] == "signature_invalid"


def test_a_future_expiry_is_fine() -> None:
    assert decide({**GOOD, "expires_at": "2099-01-01T00:00:00+08:00"}, {})[0] == "ok"


def test_a_retried_msg_id_is_a_duplicate_and_the_first_decision_stands() -> None:
    state: dict = {}
    assert decide(GOOD, state, T0, offset=1)[0] == "ok"
    reason, decision = decide({**GOOD, "content": "【京东】changed"}, state, T0 + 5000, offset=2)
    assert reason == "duplicate"
    assert "as ok" in decision.value["detail"]
    assert state["seen"]["m-1"][2] == "ok"  # not overwritten by the duplicate


def test_a_dropped_first_decision_also_stands() -> None:
    state: dict = {}
    assert decide({**GOOD, "tenant": "acme"}, state, offset=1)[0] == "unknown_tenant"
    assert decide(GOOD, state, T0 + 1, offset=2)[0] == "duplicate"


def test_redelivery_of_the_same_record_repeats_its_decision() -> None:
    state: dict = {}
    first = decide(GOOD, state, T0, offset=7)[1]
    again = decide(GOOD, state, T0, offset=7)[1]
    assert again == first


def test_dedup_window_expires_and_state_is_pruned() -> None:
    state: dict = {}
    window_ms = POLICY.dedup_window_s * 1000
    decide(GOOD, state, T0, offset=1)
    assert decide(GOOD, state, T0 + window_ms - 1, offset=2)[0] == "duplicate"
    other = {**GOOD, "msg_id": "m-2"}
    assert decide(other, state, T0 + window_ms + 1, offset=3)[0] == "ok"
    # Approved msg_ids outlive the dedup window (a late delivery report names its tenant),
    # but are no longer duplicates.
    assert "m-1" in state["seen"]
    assert decide(GOOD, state, T0 + window_ms + 2, offset=4)[0] == "ok"
    later = T0 + window_ms + 2 + POLICY.dlr_window_s * 1000 + 1
    assert decide({**GOOD, "msg_id": "m-3"}, state, later, offset=5)[0] == "ok"
    assert list(state["seen"]) == ["m-3"]


def test_dropped_msg_ids_are_forgotten_after_the_dedup_window() -> None:
    state: dict = {}
    window_ms = POLICY.dedup_window_s * 1000
    decide({**GOOD, "tenant": "nobody"}, state, T0, offset=1)
    decide({**GOOD, "msg_id": "m-2"}, state, T0 + window_ms + 1, offset=2)
    assert list(state["seen"]) == ["m-2"]


def test_seen_min_bounds_what_seen_holds() -> None:
    state: dict = {}
    decide(GOOD, state, T0, offset=1)  # approved
    decide({**GOOD, "msg_id": "m-2", "tenant": "nobody"}, state, T0 - 5, offset=2)  # dropped
    decide({**GOOD, "msg_id": "m-3"}, state, T0 - 10, offset=3)  # out of order, approved
    assert list(state["seen_min"]) == [T0 - 5, T0 - 10]


def test_a_state_written_before_seen_min_is_read_and_pruned_the_same() -> None:
    """States in RocksDB from before the field: the first decision computes it, and pruning
    forgets exactly what it forgot before."""
    window_ms = POLICY.dedup_window_s * 1000
    old = {"seen": {"m-1": [T0, "sms.send-intents:0:1", "ok", None, "jd"],
                    "m-2": [T0 + 1, "sms.send-intents:0:2", "unknown_tenant", "x", None]}}
    state = orjson.loads(orjson.dumps(old))
    assert decide(GOOD, state, T0 + 2, offset=3)[0] == "duplicate"
    assert list(state["seen_min"]) == [T0 + 1, T0]
    state = orjson.loads(orjson.dumps(old))
    assert decide({**GOOD, "msg_id": "m-4"}, state, T0 + window_ms + 2, offset=4)[0] == "ok"
    assert list(state["seen"]) == ["m-1", "m-4"]  # the drop is forgotten, the approval kept
    assert list(state["seen_min"]) == [None, T0]
    later = T0 + POLICY.dlr_window_s * 1000 + 1
    assert decide({**GOOD, "msg_id": "m-5"}, state, later, offset=5)[0] == "ok"
    assert list(state["seen"]) == ["m-4", "m-5"]
    assert list(state["seen_min"]) == [None, T0 + window_ms + 2]


def test_seen_min_left_by_a_rollback_is_repaired() -> None:
    """Older code (a rollback) keeps seen_min as it finds it: a bound left lower than seen's
    oldest entry costs one walk that recomputes it; one left without seen is dropped."""
    window_ms = POLICY.dedup_window_s * 1000
    state: dict = {"seen": {"m-1": [T0, "t:0:1", "ok", None, "jd"]}, "seen_min": [0, 0]}
    decide({**GOOD, "msg_id": "m-2"}, state, T0 + window_ms + 1, offset=2)
    assert list(state["seen_min"]) == [None, T0]
    orphan: dict = {"seen_min": [T0, None], "events": {"e-1": T0}}
    prune(orphan, T0 + 1, POLICY)  # as the worker's idle sweep does
    assert orphan == {"events": {"e-1": T0}}


def test_invalid_phone_intents_are_keyed_by_msg_id() -> None:
    emit = routed({**GOOD, "phone": "not a phone"})
    assert emit.key == "msg:m-1"
    assert emit.value["phone"] is None
    [decision] = handle(emit.value, {}, POLICY)
    assert decision.key is None
    assert decision.value["phone"] == "not a phone"


@pytest.mark.parametrize(
    ("raw", "error_class"),
    [
        (b"\xff\xfe not utf-8", "not_json"),
        (b"{not json", "not_json"),
        (b"[1, 2]", "not_object"),
        (b'"just a string"', "not_object"),
        (orjson.dumps({**GOOD, "msg_id": None}), "missing_msg_id"),
        (orjson.dumps({**GOOD, "msg_id": ""}), "missing_msg_id"),
        (orjson.dumps({k: v for k, v in GOOD.items() if k != "msg_id"}), "missing_msg_id"),
        (orjson.dumps({**GOOD, "msg_id": 17}), "missing_msg_id"),
    ],
)
def test_undecidable_records_are_dead_lettered_with_their_bytes(raw: bytes, error_class: str):
    emit = routed(raw, offset=3)
    assert emit.topic == DEAD_LETTER
    assert emit.value["error_class"] == error_class
    assert emit.value["offset"] == 3
    import base64
    assert base64.b64decode(emit.value["value_base64"]) == raw


def test_tombstones_are_dead_lettered() -> None:
    emit = route(INTENT, Source("t", 0, 0, T0), None, None, POLICY)
    assert emit.topic == DEAD_LETTER


@pytest.mark.parametrize(("kind", "error_class"),
                         [(CONSENT, "invalid_consent_event"), (REPLY, "invalid_reply")])
def test_consent_and_replies_need_a_valid_phone(kind: str, error_class: str) -> None:
    ok = routed({"phone": "+8613812345678"}, kind=kind)
    assert ok.topic == RECIPIENT_EVENTS and ok.key == "+8613812345678"
    bad = routed({"phone": "nope"}, kind=kind)
    assert bad.topic == DEAD_LETTER and bad.value["error_class"] == error_class


def test_fail_closed_dead_letters_and_drops_the_intent() -> None:
    envelope = routed(GOOD).value
    raw = orjson.dumps(envelope)
    emits = fail_closed(Source("internal", 2, 9, T0), b"k", raw, KeyError("boom"), POLICY)
    assert [e.topic for e in emits] == [DEAD_LETTER, DROPPED]
    assert emits[0].value["stage"] == "decide"
    assert emits[1].value["reason"] == "internal_error"
    assert emits[1].value["msg_id"] == "m-1"
    garbage = fail_closed(Source("internal", 2, 9, T0), b"k", b"\x00", ValueError(), POLICY)
    assert [e.topic for e in garbage] == [DEAD_LETTER]


def test_a_decision_record_carries_the_intent_fields_in_order_and_strings_only() -> None:
    intent = {**GOOD, "campaign_id": 7, "expires_at": None, "extra": "x", "tenant": ["jd"]}
    value = decision_record(intent, "+8613812345678", "ok", None, "v1", T0).value
    assert list(value) == [*INTENT_FIELDS, "decision", "reason", "detail", "policy_version",
                           "decided_at"]
    assert value["campaign_id"] is None and value["tenant"] is None
    assert value["phone"] == "+8613812345678" and value["msg_id"] == "m-1"
    long = decision_record(GOOD, None, "banned_content", "x" * 5000, "v1", T0).value
    assert long["phone"] == GOOD["phone"] and long["detail"] == clip("x" * 5000)
