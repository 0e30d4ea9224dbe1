"""The explain answer, without Kafka: state built by the real core, read back by explain().

Dates, versions and ids come out as stored; another person's number in free text is masked.
"""

from __future__ import annotations

from typing import Any

import orjson

from app import contracts
from app.rules.core import handle
from app.rules.policy import Policy, load_policy
from app.rules.records import RECIPIENT_EVENTS, Source
from app.rules.routing import CONSENT, INTENT, route
from app.tools.explain import explain

POLICY: Policy = load_policy(contracts.example_policy_path())
PHONE = "+8613812345678"
OTHER = "13999998888"  # somebody else's number, quoted in free text
T0 = 1_795_000_000_000  # 2026-11-18T11:06:40Z
INTENT_BASE = {"tenant": "jd", "signature": "京东", "category": "notification",
               "phone": "138 1234 5678", "content": "【京东】您的订单已发货"}


def _feed(state: dict[str, Any], kind: str, value: dict[str, Any], ts: int) -> None:
    emit = route(kind, Source("in", 0, ts, ts), None, orjson.dumps(value), POLICY)
    assert emit.topic == RECIPIENT_EVENTS, emit
    handle(emit.value, state, POLICY)


def _state() -> dict[str, Any]:
    state: dict[str, Any] = {}
    _feed(state, CONSENT, {"event_id": "g-20261101-0001", "phone": PHONE, "tenant": "meituan",
                           "category": "marketing", "action": "grant",
                           "source": f"call centre, agent called back from {OTHER}",
                           "occurred_at": "2026-11-01T12:00:00+08:00",
                           "evidence": {"recording": "rec-1"}}, T0)
    _feed(state, INTENT, {**INTENT_BASE, "msg_id": "m-1"}, T0 + 1000)
    _feed(state, INTENT, {**INTENT_BASE, "msg_id": "m-2",
                          "expires_at": "2026-11-01T00:00:00Z"}, T0 + 2000)
    _feed(state, INTENT, {**INTENT_BASE, "msg_id": "m-3", "signature": f"代发{OTHER}",
                          "content": f"【代发{OTHER}】您的订单已发货"}, T0 + 3000)
    return state


def test_dates_versions_and_ids_are_intact() -> None:
    answer = explain(PHONE, _state(), POLICY, T0 + 5000)
    print(f"\n{orjson.dumps(answer, option=orjson.OPT_INDENT_2).decode()}")
    assert answer["phone"] == PHONE
    assert POLICY.version == "2026-11-22.1"  # date-shaped: what the old masker garbled
    assert answer["policy_version"] == POLICY.version
    assert answer["as_of"] == "2026-11-18T11:06:45.000Z"
    ledger = {e["event_id"]: e for e in answer["consent_ledger"]}
    assert ledger["g-20261101-0001"]["occurred_at"] == "2026-11-01T04:00:00.000Z"
    meituan = next(c for c in answer["consent"]
                   if (c["tenant"], c["category"]) == ("meituan", "marketing"))
    assert meituan["deciding_event"]["occurred_at"] == "2026-11-01T04:00:00.000Z"
    decisions = {d["msg_id"]: d for d in answer["recent_decisions"]}
    assert set(decisions) == {"m-1", "m-2", "m-3"}
    assert decisions["m-1"]["reason"] == "ok"
    assert decisions["m-1"]["decided_at"] == "2026-11-18T11:06:41.000Z"
    assert decisions["m-2"]["reason"] == "expired"
    assert decisions["m-2"]["detail"] == (
        "expired at 2026-11-01T00:00:00.000Z, decided at 2026-11-18T11:06:42.000Z")
    usage = next(u for u in answer["cap_usage"] if u["category"] == "notification")
    assert usage["last_approved_at"] == "2026-11-18T11:06:41.000Z"


def test_another_number_in_free_text_is_masked() -> None:
    answer = explain(PHONE, _state(), POLICY, T0 + 5000)
    text = orjson.dumps(answer).decode()
    decisions = {d["msg_id"]: d for d in answer["recent_decisions"]}
    assert decisions["m-3"]["reason"] == "signature_invalid"
    assert decisions["m-3"]["detail"] == \
        "signature 【代发139****8888】 is not registered to this tenant"
    [grant] = answer["consent_ledger"]
    assert grant["source"] == "call centre, agent called back from 139****8888"
    meituan = next(c for c in answer["consent"]
                   if (c["tenant"], c["category"]) == ("meituan", "marketing"))
    assert meituan["deciding_event"]["source"] == grant["source"]
    assert OTHER not in text
    assert text.count("139****8888") == 3


def test_cap_usage_shows_the_recipient_scope_with_its_caps() -> None:
    state = _state()
    _feed(state, INTENT, {**INTENT_BASE, "msg_id": "mk-1", "tenant": "meituan",
                          "signature": "美团", "category": "marketing",
                          "content": "【美团】神券到账，拒收请回复R"}, T0 + 4000)
    answer = explain(PHONE, state, POLICY, T0 + 5000)
    assert answer["recent_decisions"][0]["reason"] == "ok"
    usage = {(u["tenant"], u["category"]): u["caps"] for u in answer["cap_usage"]}
    assert usage[("*", "marketing")] == [{"cap": "1/7d", "used": 1, "limit": 1}]  # all tenants
    assert usage[("jd", "notification")] == [{"cap": "50/24h", "used": 1, "limit": 50}]
    assert usage[(None, None)] == [{"cap": "40/24h", "used": 2, "limit": 40}]
