"""On the launched Apache Kafka: a "TD" reply to tenant A's port opts the user out of A's
marketing at once, B's still goes out, the derived consent event is on sms.consent-events,
and replay of the same trace gives the same records."""

from __future__ import annotations

import orjson
import pytest

from app import contracts
from app.rules.policy import load_policy
from app.runtime.settings import Settings
from app.tools.replay import replay
from tests.kafka_io import consume, daytime_in_shanghai_ms, publish, trace_line

pytestmark = pytest.mark.kafka

POLICY = contracts.example_policy_path()
PHONE = "+86 139 8765 4321"
E164 = "+8613987654321"
MEITUAN_PORT = "106900005678"



def grant(event_id: str, tenant: str) -> dict:
    return {"event_id": event_id, "phone": PHONE, "tenant": tenant, "category": "marketing",
            "action": "grant", "source": "signup_form", "occurred_at": "2026-11-01T10:00:00Z",
            "evidence": {"form_id": "reg-v3", "ip": "203.0.113.7"}}


def marketing(msg_id: str, tenant: str, signature: str) -> dict:
    return {"msg_id": msg_id, "tenant": tenant, "signature": signature, "category": "marketing",
            "phone": PHONE, "content": f"【{signature}】双11神券已到账，拒收请回复R"}


def test_td_reply_opts_out_of_one_tenant_only(worker_factory, kafka: str) -> None:
    worker = worker_factory().start()
    topics = worker.topics
    now = daytime_in_shanghai_ms()
    trace: list[bytes] = []

    def send(topic_id: str, value: dict, ts: int) -> None:
        raw = orjson.dumps(value)
        publish(kafka, topics[topic_id], [(None, raw, ts)])
        trace.append(trace_line(topics[topic_id], ts, raw))

    send("consent_events", grant("g-meituan", "meituan"), now)
    send("consent_events", grant("g-jd", "jd"), now + 1)
    outcomes = consume(kafka, [topics["consent_outcomes"]], expected=2, settle=0)
    assert [v["result"] for _, _, v in outcomes] == ["applied", "applied"]

    send("carrier_replies", {"type": "mo", "reply_id": "mo-1", "phone": PHONE,
                             "to": MEITUAN_PORT + "01", "text": "TD",
                             "received_at": "2026-11-22T10:00:00+08:00"}, now + 2)
    derived = consume(kafka, [topics["consent_events"]], expected=3, settle=0)
    [(_, key, event)] = [r for r in derived if r[2].get("source") == "reply"]
    assert key == E164
    assert (event["event_id"], event["tenant"], event["category"], event["action"]) == \
        ("reply:mo-1", "meituan", "marketing", "revoke")
    assert event["evidence"]["text"] == "TD" and event["evidence"]["to"] == MEITUAN_PORT + "01"

    send("send_intents", marketing("mk-meituan", "meituan", "美团"), now + 3)
    send("send_intents", marketing("mk-jd", "jd", "京东"), now + 4)
    decisions = consume(kafka, [topics["approved"], topics["dropped"]], expected=2)
    reasons = {v["msg_id"]: v["reason"] for _, _, v in decisions}
    assert reasons == {"mk-meituan": "opted_out", "mk-jd": "ok"}
    dropped = next(v for _, _, v in decisions if v["msg_id"] == "mk-meituan")
    assert "reply" in dropped["detail"] and "reply:mo-1" in dropped["detail"]

    outcomes = consume(kafka, [topics["consent_outcomes"]], expected=4)
    assert sorted(v["result"] for _, _, v in outcomes) == \
        ["applied", "applied", "applied", "duplicate"]  # the derived event's echo

    settings = Settings.from_env({k: v for k, v in worker.env.items()
                                  if k.startswith("SENDGUARD_TOPIC_")})
    replayed = [orjson.loads(line) for line in replay(settings, load_policy(POLICY), trace)]
    replay_decisions = {r["value"]["msg_id"]: r["value"] for r in replayed
                        if r["topic"] in (topics["approved"], topics["dropped"])}
    assert replay_decisions == {v["msg_id"]: v for _, _, v in decisions}
    replay_events = [r["value"] for r in replayed if r["topic"] == topics["consent_events"]]
    assert replay_events == [event]
    replay_outcomes = sorted((r["value"] for r in replayed
                              if r["topic"] == topics["consent_outcomes"]),
                             key=lambda v: (v["event_id"], v["result"]))
    assert replay_outcomes == sorted((v for _, _, v in outcomes),
                                     key=lambda v: (v["event_id"], v["result"]))
    print(f"\nTD reply: meituan marketing opted_out, jd approved; replay identical "
          f"({len(replayed)} records)")
