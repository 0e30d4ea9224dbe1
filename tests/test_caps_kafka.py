"""On the launched Apache Kafka: a burst of 12 verification codes to one phone in one minute
gives 1 approval and 11 frequency_cap drops, and replay agrees record for record."""

from __future__ import annotations

import time

import orjson
import pytest

from app import contracts
from app.rules.policy import load_policy
from app.runtime.settings import Settings
from app.tools.replay import replay
from tests.kafka_io import consume, publish, trace_line

pytestmark = pytest.mark.kafka

POLICY = contracts.example_policy_path()


def test_verification_burst_is_capped(worker_factory, kafka: str) -> None:
    worker = worker_factory().start()
    topics = worker.topics
    now = int(time.time() * 1000) - 60_000
    # Keyed by the phone, as topics/README.md recommends: one input partition keeps the
    # burst in order, so replay of the trace in publish order sees what the worker saw.
    rows = [("13912340000", orjson.dumps({
        "msg_id": f"otp-{i}", "tenant": "jd", "signature": "京东", "category": "verification",
        "phone": "13912340000", "content": f"【京东】验证码{100000 + i}，5分钟内有效。",
    }), now + i * 4_000) for i in range(12)]
    publish(kafka, topics["send_intents"], rows)

    decisions = consume(kafka, [topics["approved"], topics["dropped"]], expected=12)
    by_reason: dict[str, list[dict]] = {}
    for _, _, value in decisions:
        by_reason.setdefault(value["reason"], []).append(value)
    assert len(decisions) == 12
    assert [v["msg_id"] for v in by_reason["ok"]] == ["otp-0"]
    assert len(by_reason["frequency_cap"]) == 11
    assert {v["detail"] for v in by_reason["frequency_cap"]} == {"verification 1/1m"}
    assert by_reason["ok"][0]["segments"] == 1

    settings = Settings.from_env({k: v for k, v in worker.env.items()
                                  if k.startswith("SENDGUARD_TOPIC_")})
    trace = [trace_line(topics["send_intents"], ts, raw) for _, raw, ts in rows]
    replayed = {r["value"]["msg_id"]: r["value"]
                for r in map(orjson.loads, replay(settings, load_policy(POLICY), trace))}
    assert replayed == {v["msg_id"]: v for _, _, v in decisions}
    print(f"\nburst of 12 codes: {len(by_reason['ok'])} approved, "
          f"{len(by_reason['frequency_cap'])} frequency_cap; replay identical")
