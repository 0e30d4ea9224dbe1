"""On the launched Apache Kafka: SENDGUARD_FIRST_START=latest skips the intents published
before a group's first start, never the refusals, and never on a restart."""

from __future__ import annotations

import subprocess
import sys

import orjson
import pytest

from tests.conftest import ROOT
from tests.kafka_io import consume, daytime_in_shanghai_ms, publish

pytestmark = pytest.mark.kafka

GRANT_AND_REVOKE = [
    {"event_id": f"e-{action}", "phone": "13900000001", "tenant": "meituan",
     "category": "marketing", "action": action, "source": "signup_form",
     "occurred_at": f"2026-11-0{day}T10:00:00Z", "evidence": {"form_id": "reg-v3"}}
    for day, action in ((1, "grant"), (2, "revoke"))]



def intent(msg_id: str, phone: str, category: str = "notification") -> dict:
    tenant, signature, text = (("meituan", "美团", "双11神券已到账，拒收请回复R")
                               if category == "marketing" else ("jd", "京东", "您的订单已发货"))
    return {"msg_id": msg_id, "tenant": tenant, "signature": signature, "category": category,
            "phone": phone, "content": f"【{signature}】{text}"}


def test_latest_skips_past_intents_but_not_refusals_or_a_restarts_backlog(
        worker_factory, kafka: str) -> None:
    worker = worker_factory(SENDGUARD_FIRST_START="latest")
    topics = worker.topics
    assert subprocess.run([sys.executable, "-m", "app.tools.cli", "create-topics"], cwd=ROOT,
                          env=worker.env, capture_output=True, timeout=120).returncode == 0
    t0 = daytime_in_shanghai_ms()
    publish(kafka, topics["consent_events"],
            [(e["phone"], orjson.dumps(e), t0 + n) for n, e in enumerate(GRANT_AND_REVOKE)])
    publish(kafka, topics["send_intents"],
            [("13800000001", orjson.dumps(intent("before", "13800000001")), t0 + 2)])

    worker.start()
    publish(kafka, topics["send_intents"],
            [("13800000001", orjson.dumps(intent("after", "13800000001")), t0 + 3),
             ("13900000001", orjson.dumps(intent("mk", "13900000001", "marketing")), t0 + 4)])
    decisions = consume(kafka, [topics["approved"], topics["dropped"]], expected=2)
    assert {v["msg_id"]: v["reason"] for _, _, v in decisions} == \
        {"after": "ok", "mk": "opted_out"}  # "before" skipped; the earlier revoke applied

    worker.stop()
    publish(kafka, topics["send_intents"],
            [("13800000002", orjson.dumps(intent("while-down", "13800000002")), t0 + 5)])
    worker.start()
    decisions = consume(kafka, [topics["approved"], topics["dropped"]], expected=3)
    assert sorted(v["msg_id"] for _, _, v in decisions) == ["after", "mk", "while-down"]
