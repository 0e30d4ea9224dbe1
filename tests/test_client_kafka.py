"""On the launched Apache Kafka: intents sent with app.client are decided exactly like the
same intents written by hand as plain JSON with another client (confluent-kafka)."""

from __future__ import annotations

import asyncio

import orjson
import pytest

from app.client import IntentProducer
from app.rules.phones import normalise_phone
from tests.kafka_io import consume, daytime_in_shanghai_ms, publish

pytestmark = pytest.mark.kafka

# Each recipient twice, as written by hand and for the client: same kind, another number.
PHONES = [("138 0000 0001", "138 0000 1001"), ("+86 139-0000-0002", "+86 139-0000-1002"),
          ("0086 150 0000 0003", "0086 150 0000 1003"), ("+1 415 555 0104", "+1 415 555 0105")]



def intents(side: int, t0: int) -> list[tuple[dict, int]]:
    """(intent, timestamp) rows for one side: a code and its capped retry-by-mistake, a
    notification, marketing without consent, a foreign signature, an unknown tenant, and an
    expired intent."""
    def phone(i: int) -> str:
        return PHONES[i][side]

    def row(n: int, phone: str, category: str, text: str, tenant: str = "jd",
            signature: str = "京东", **extra: str) -> tuple[dict, int]:
        return ({"msg_id": f"{'hc'[side]}-{n}", "tenant": tenant, "signature": signature,
                 "category": category, "phone": phone, "content": f"【{signature}】{text}",
                 **extra}, t0 + n)

    return [
        row(0, phone(0), "verification", "验证码123456"),
        row(1, phone(0), "verification", "验证码654321"),  # 1/1m: frequency_cap
        row(2, phone(1), "notification", "您的订单已发货"),
        row(3, phone(2), "marketing", "双11神券已到账，拒收请回复R", "meituan", "美团"),
        row(4, phone(1), "notification", "您的订单已发货", signature="美团"),
        row(5, phone(3), "notification", "Your order has shipped", tenant="acme"),
        row(6, phone(3), "notification", "您的订单已发货",
            expires_at="2020-01-01T00:00:00+08:00"),
    ]


def test_client_records_are_decided_like_hand_written_ones(worker_factory, kafka: str) -> None:
    worker = worker_factory().start()
    topics = worker.topics
    t0 = daytime_in_shanghai_ms()
    by_hand = intents(0, t0)
    publish(kafka, topics["send_intents"],
            [(value["phone"], orjson.dumps(value), ts) for value, ts in by_hand])

    async def send_with_client() -> None:
        async with IntentProducer(kafka, topics["send_intents"],
                                  priority_topic=topics["priority_intents"]) as producer:
            for value, ts in intents(1, t0):
                await producer.send(timestamp_ms=ts, **value)

    asyncio.run(send_with_client())
    decisions = consume(kafka, [topics["approved"], topics["dropped"]], expected=14, settle=2)
    by_id = {v["msg_id"]: (key, v) for _, key, v in decisions}
    assert len(by_id) == len(decisions) == 14
    reasons = []
    for n in range(7):
        (hand_key, hand), (client_key, client) = by_id[f"h-{n}"], by_id[f"c-{n}"]
        assert {k: v for k, v in hand.items() if k not in ("msg_id", "phone")} == \
            {k: v for k, v in client.items() if k not in ("msg_id", "phone")}, n
        assert (hand_key is None) == (client_key is None)
        reasons.append(hand["reason"])
    assert reasons == ["ok", "frequency_cap", "ok", "no_consent", "signature_invalid",
                       "unknown_tenant", "expired"]
    for n, (value, _) in enumerate(intents(1, t0)):
        assert by_id[f"c-{n}"][1]["phone"] == normalise_phone(value["phone"])
