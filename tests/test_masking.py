"""`capture --mask-phones`: fake numbers that decide like the real ones, and leak none."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import orjson
import phonenumbers
import pytest
from phonenumbers import timezone as phone_zones

from app.rules.phones import normalise_phone
from app.rules.policy import load_policy
from app.runtime.settings import Settings
from app.tools.capture import _trace_line
from app.tools.masking import PhoneMasker
from app.tools.replay import replay

POLICY = load_policy(Path(__file__).resolve().parents[1] / "policy.example.toml")
NUMBERS = ["+8613812345678", "+8619912345678", "+14155550100", "+12125550100",
           "+85251234567", "+447911123456", "+33612345678", "+393123456789", "+4915112345678",
           "+61412345678"]  # mobiles: SendGuard refuses every other kind of number


def test_a_number_in_any_form_gets_one_fake_of_the_same_kind() -> None:
    masker = PhoneMasker()
    for real in NUMBERS:
        fake = masker.phone(real)
        assert fake != real and normalise_phone(fake) == fake
        a, b = phonenumbers.parse(real), phonenumbers.parse(fake)
        assert a.country_code == b.country_code
        assert phonenumbers.national_significant_number(b)[:3] == \
            phonenumbers.national_significant_number(a)[:3]
        assert phonenumbers.number_type(a) == phonenumbers.number_type(b)
        assert phone_zones.time_zones_for_number(a) == phone_zones.time_zones_for_number(b)
    assert masker.phone("138 1234 5678") == masker.phone("+86 138-1234-5678") == \
        masker.phone("008613812345678") == masker.fake("+8613812345678")
    assert len({masker.phone(n) for n in NUMBERS}) == len(NUMBERS) == masker.numbers
    assert masker.unmatched == 0


def test_fakes_are_distinct_even_when_many_share_a_prefix() -> None:
    masker = PhoneMasker(key=b"k" * 32)
    reals = [f"+861380000{i:04d}" for i in range(3000)]
    assert len({masker.fake(r) for r in reals}) == 3000
    assert not {masker.fake(r) for r in reals} & set(reals[:0])


def test_each_capture_masks_differently_and_a_key_masks_the_same() -> None:
    assert PhoneMasker().phone(NUMBERS[0]) != PhoneMasker().phone(NUMBERS[0])
    assert PhoneMasker(key=b"x" * 32).phone(NUMBERS[0]) == \
        PhoneMasker(key=b"x" * 32).phone(NUMBERS[0])


@pytest.mark.parametrize(("given", "masked"), [
    ("", ""), (None, None), (13812345678, 0), (1.5, 0.0), (True, True), (["138"], []),
    ({"n": "138"}, {}),
])
def test_wrong_typed_and_empty_phones_stay_wrong_but_hold_nothing(given: Any,
                                                                  masked: Any) -> None:
    assert PhoneMasker().phone(given) == masked


def test_an_invalid_number_becomes_a_stable_token() -> None:
    masker = PhoneMasker()
    token = masker.phone("+86 123")
    assert token.startswith("masked:") and "123" not in token
    assert masker.phone("+86 123") == token != masker.phone("+86 124")


def test_keys() -> None:
    masker = PhoneMasker()
    assert masker.key("13812345678", {"phone": "13812345678"}) == masker.phone("13812345678")
    assert masker.key("+86 138 1234 5678", {}) == masker.phone("13812345678")
    assert masker.key("order-2026112200042", {}).startswith("masked:")
    assert masker.key("jd-42", {}) == "jd-42"
    assert masker.key(None, {}) is None


TS = 1_795_352_400_000  # 2026-11-22T13:00:00Z: 21:00 in Shanghai, 05:00 in Los Angeles


def spooled(topic: str, ts: int, value: Any, key: str | None = None,
            raw: bytes | None = None) -> dict[str, Any]:
    data = raw if raw is not None else orjson.dumps(value)
    return {"topic": topic, "timestamp": ts, "echo": None, "key": key,
            "value": base64.b64encode(data).decode()}


def intent(msg_id: str, phone: Any, category: str = "marketing") -> dict[str, Any]:
    text = "双11神券已到账，拒收请回复R" if category == "marketing" else "您的订单已发货"
    return {"msg_id": msg_id, "tenant": "meituan", "signature": "美团", "category": category,
            "phone": phone, "content": f"【美团】{text}"}


def records() -> list[dict[str, Any]]:
    rows = []
    for i, phone in enumerate(["13812345678", "+14155550100", "+85251234567", "+61412345678"]):
        rows.append(spooled("sms.consent-events", TS - 10_000_000, {
            "event_id": f"g{i}", "phone": phone, "tenant": "meituan", "category": "marketing",
            "action": "grant", "source": "signup_form", "occurred_at": "2026-11-01T00:00:00Z",
            "evidence": {"form_id": "f"}}, key=phone))
        for hour in (0, 3, 12):  # caps, and quiet hours in each recipient's own zone
            rows.append(spooled("sms.send-intents", TS + hour * 3_600_000,
                                intent(f"m{i}-{hour}", phone), key=phone))
        rows.append(spooled("sms.send-intents", TS, intent(f"n{i}", phone, "notification")))
    rows.append(spooled("sms.carrier-replies", TS + 1, {
        "type": "mo", "reply_id": "r1", "phone": "+86 138 1234 5678", "to": "10690000567801",
        "text": "TD", "received_at": "2026-11-22T21:00:00+08:00"}))
    rows.append(spooled("sms.send-intents", TS + 2, intent("after-td", "13812345678",
                                                           "notification")))
    rows.append(spooled("sms.send-intents", TS, intent("bad", "+86 123")))
    rows.append(spooled("sms.send-intents", TS, intent("typed", 13812345678)))
    rows.append(spooled("sms.send-intents", TS, None, key="13812345678", raw=b"13812345678 x"))
    rows.append(spooled("sms.send-intents", TS, "13812345678"))
    return sorted(rows, key=lambda r: r["timestamp"])


def decided(lines: list[bytes]) -> dict[str, tuple[str, str | None]]:
    out = [orjson.loads(o) for o in replay(Settings.from_env({}), POLICY, lines)]
    return {r["value"].get("msg_id") or f"dead-{i}": (r["value"].get("reason"),
                                                       r["value"].get("error_class"))
            for i, r in enumerate(out) if r["topic"] in ("sms.approved", "sms.dropped",
                                                          "sms.dead-letter")}


def test_a_masked_trace_decides_like_the_real_one_and_holds_no_number() -> None:
    rows = records()
    plain = [orjson.dumps(_trace_line(r, None)) for r in rows]
    masker = PhoneMasker()
    masked = [orjson.dumps(_trace_line(r, masker)) for r in rows]
    expected = decided(plain)
    assert decided(masked) == expected
    reasons = {reason for reason, _ in expected.values()}
    assert {"ok", "quiet_hours", "frequency_cap", "opted_out", "invalid_phone",
            "invalid_intent"} <= reasons
    text = b"\n".join(masked).decode()
    for digits in ("13812345678", "4155550100", "51234567", "412345678"):
        assert digits not in text
