"""Frequency caps, quiet hours and content rules, without Kafka: exact, bounded, explainable."""

from __future__ import annotations

import random
import re
import tomllib
import unicodedata
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import orjson
import pytest

from app import contracts
from app.rules import caps, content, textnorm
from app.rules.core import handle
from app.rules.policy import Policy, parse_policy
from app.rules.records import OBSERVATION, RECIPIENT_EVENTS, Source
from app.rules.routing import CONSENT, INTENT, TICK, route

EXAMPLE = contracts.example_policy_path()
SHANGHAI = ZoneInfo("Asia/Shanghai")
CN = "+8613812345678"
US_WEST = "+14155550100"


def policy(**changes: Any) -> Policy:
    """The example policy with changes: {"categories.marketing.caps": [...], ...}."""
    data = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))
    for path, value in changes.items():
        *parents, leaf = path.split(".")
        node = data
        for name in parents:
            node = node.setdefault(name, {})
        node[leaf] = value
    return parse_policy(data)


def at(text: str, zone: ZoneInfo = SHANGHAI) -> int:
    """Local wall-clock time -> epoch ms."""
    return int(datetime.fromisoformat(text).replace(tzinfo=zone).timestamp() * 1000)


TEXT = {
    "verification": "验证码123456，5分钟内有效。",
    "notification": "您的订单已发货。",
    "marketing": "双11神券已到账，拒收请回复R",
}
SIGNATURES = {"jd": "京东", "cmb": "招商银行", "meituan": "美团"}
# For tests that send several marketing messages to one recipient.
NO_MARKETING_CAPS: dict[str, Any] = {"categories.marketing.caps": [],
                                     "categories.marketing.recipient_caps": []}


class Recipient:
    def __init__(self, pol: Policy, phone: str = CN) -> None:
        self.policy, self.phone = pol, phone
        self.state: dict[str, Any] = {}
        self.offset = 0

    def feed(self, kind: str, value: dict[str, Any], ts: int) -> list:
        self.offset += 1
        emit = route(kind, Source("in", 0, self.offset, ts), None, orjson.dumps(value),
                     self.policy)
        assert emit.topic == RECIPIENT_EVENTS
        return [e for e in handle(emit.value, self.state, self.policy)
                if e.topic != OBSERVATION]

    def grant(self, tenant: str = "meituan") -> None:
        self.feed(CONSENT, {"event_id": f"g-{tenant}", "phone": self.phone, "tenant": tenant,
                            "category": "marketing", "action": "grant", "source": "form",
                            "occurred_at": "2026-01-01T00:00:00Z",
                            "evidence": {"form_id": "f1"}}, at("2026-01-01T08:00:00"))

    def send(self, ts: int, category: str = "verification", tenant: str = "jd",
             text: str | None = None) -> dict[str, Any] | None:
        signature = SIGNATURES[tenant]
        emits = self.feed(INTENT, {
            "msg_id": f"m{self.offset}", "tenant": tenant, "signature": signature,
            "category": category, "phone": self.phone,
            "content": f"【{signature}】{text if text is not None else TEXT[category]}"}, ts)
        return emits[0].value if emits else None

    def reason(self, ts: int, **kwargs: Any) -> str:
        record = self.send(ts, **kwargs)
        return record["reason"] if record else "held"

    def tick(self, ts: int) -> list[dict[str, Any]]:
        envelope = {"kind": TICK, "ts": ts}
        return [e.value for e in handle(envelope, self.state, self.policy)]


# --- frequency caps ----------------------------------------------------------------------

def test_window_edge_exact_to_the_millisecond() -> None:
    r = Recipient(policy())
    t0 = at("2026-11-22T10:00:00")
    assert r.reason(t0) == "ok"
    assert r.reason(t0 + 59_999, tenant="jd") == "frequency_cap"  # 1/1m: inside the window
    assert r.reason(t0 + 60_000) == "ok"  # the first message has left (now - 1m, now]


def test_a_second_before_and_after_the_edge() -> None:
    r = Recipient(policy(**{"categories.verification.caps": ["2/1h"]}))
    t0 = at("2026-11-22T10:00:00")
    assert [r.reason(t0), r.reason(t0 + 1000)] == ["ok", "ok"]
    assert r.reason(t0 + 3_599_000) == "frequency_cap"
    record = r.send(t0 + 3_599_000)
    assert record["detail"] == "verification 2/1h"
    assert r.reason(t0 + 3_600_000) == "ok"   # t0 left the window; t0+1s still in
    assert r.reason(t0 + 3_600_999) == "frequency_cap"
    assert r.reason(t0 + 3_601_000) == "ok"


def test_several_caps_at_once_name_the_one_broken() -> None:
    r = Recipient(policy(**{"categories.verification.caps": ["1/1m", "3/1h", "4/24h"],
                            "global.caps": []}))
    t0 = at("2026-11-22T09:00:00")
    assert [r.reason(t0 + i * 60_000) for i in range(3)] == ["ok"] * 3
    assert r.send(t0 + 3 * 60_000)["detail"] == "verification 3/1h"
    # Two caps broken at once: the detail names the first in policy order.
    assert r.send(t0 + 2 * 60_000 + 10)["detail"] == "verification 1/1m"
    assert r.reason(t0 + 3_600_000 + 60_000) == "ok"
    assert r.send(t0 + 7_200_000)["detail"] == "verification 4/24h"


def test_tenant_caps_are_per_tenant_and_global_caps_span_tenants() -> None:
    r = Recipient(policy(**{"global.caps": ["3/24h"]}))
    t0 = at("2026-11-22T09:00:00")
    assert r.reason(t0, tenant="jd") == "ok"
    assert r.reason(t0 + 1, tenant="jd") == "frequency_cap"  # jd verification 1/1m
    assert r.reason(t0 + 2, tenant="cmb") == "ok"  # another tenant has its own cap
    assert r.reason(t0 + 3, tenant="cmb", category="notification") == "ok"
    record = r.send(t0 + 4, tenant="meituan", category="notification")
    assert (record["reason"], record["detail"]) == ("frequency_cap", "global 3/24h")


def test_recipient_caps_span_tenants() -> None:
    """The example policy's promise, one marketing SMS a week per recipient: three tenants
    within 20 s, only the first is approved; the cap rolls, exact to the millisecond."""
    r = Recipient(policy())
    for tenant in SIGNATURES:
        r.grant(tenant)
    t0 = at("2026-11-23T10:00:00")
    records = [r.send(t0 + i * 10_000, category="marketing", tenant=tenant)
               for i, tenant in enumerate(["jd", "cmb", "meituan"])]
    assert [(rec["reason"], rec["detail"]) for rec in records] == [
        ("ok", None), ("frequency_cap", "marketing recipient 1/7d"),
        ("frequency_cap", "marketing recipient 1/7d")]
    week = 7 * 86_400_000
    assert r.reason(t0 + week - 1, category="marketing", tenant="cmb") == "frequency_cap"
    assert r.reason(t0 + week, category="marketing", tenant="cmb") == "ok"
    assert r.reason(t0 + week + 1, category="marketing", tenant="meituan") == "frequency_cap"
    # Other categories are not counted, nor counting: a recipient cap is per category.
    assert r.reason(t0 + week + 2, category="notification", tenant="meituan") == "ok"
    assert r.state["sent"]["*|marketing"] == (t0 + week,)


def test_recipient_caps_count_only_approved_and_stay_bounded() -> None:
    pol = policy(**{"categories.notification.recipient_caps": ["2/1h", "3/1d"],
                    "categories.notification.caps": []})
    r = Recipient(pol)
    t0 = at("2026-11-23T09:00:00")
    tenants = ["jd", "cmb", "meituan"]
    reasons = [r.reason(t0 + i * 60_000, category="notification", tenant=tenants[i % 3])
               for i in range(200)]
    assert reasons[:2] == ["ok", "ok"] and set(reasons[2:60]) == {"frequency_cap"}
    assert reasons[60] == "ok"  # t0 left the hour: (now - 1h, now]
    assert reasons.count("ok") == 3  # then 3/1d holds
    capped = r.send(t0 + 200 * 60_000, category="notification", tenant="cmb")
    assert capped["detail"] == "notification recipient 3/1d"
    assert len(r.state["sent"]["*|notification"]) <= 3  # largest count of the scope
    # Dropped for another reason: not counted.
    assert r.reason(t0 + 86_400_000 + 3_600_000, category="notification", tenant="jd",
                    text="恭喜您中奖了") == "banned_content"
    assert r.reason(t0 + 86_400_000 + 3_600_001, category="notification", tenant="jd") == "ok"
    caps.prune(r.state, t0 + 3 * 86_400_000, pol)
    assert "*|notification" not in r.state.get("sent", {})


def test_a_state_from_before_recipient_caps_counts_what_it_holds() -> None:
    """A recipient's tenant lists, written while the policy had per-tenant marketing caps
    only (or before recipient_caps existed), still count across tenants after the change;
    the keys the new policy no longer names are pruned."""
    before = policy(**{"categories.marketing.caps": ["1/7d"],
                       "categories.marketing.recipient_caps": []})
    r = Recipient(before)
    for tenant in SIGNATURES:
        r.grant(tenant)
    t0 = at("2026-11-23T10:00:00")
    assert r.reason(t0, category="marketing", tenant="jd") == "ok"
    assert r.reason(t0 + 10_000, category="marketing", tenant="cmb") == "ok"  # per tenant
    assert set(r.state["sent"]) == {"jd|marketing", "cmb|marketing", "*"}
    r.state = orjson.loads(orjson.dumps(r.state))  # as the worker's store reads it back
    r.policy = policy()  # recipient_caps = ["1/7d"], no per-tenant cap
    record = r.send(t0 + 86_400_000, category="marketing", tenant="meituan")
    assert (record["reason"], record["detail"]) == ("frequency_cap", "marketing recipient 1/7d")
    assert set(r.state["sent"]) == {"*|marketing", "*"}
    assert list(r.state["sent"]["*|marketing"]) == [t0 + 10_000]  # cut to 1/7d's one
    assert r.reason(t0 + 10_000 + 7 * 86_400_000, category="marketing", tenant="jd") == "ok"


def test_dropped_messages_consume_nothing() -> None:
    r = Recipient(policy())
    t0 = at("2026-11-22T09:00:00")
    for i in range(5):  # signature_invalid, missing notice, quiet hours...
        assert r.reason(t0 + i, text="没有签名的内容【x】") == "signature_invalid"
    assert r.reason(t0 + 10, category="marketing", tenant="meituan") == "no_consent"
    assert "sent" not in r.state
    assert r.reason(t0 + 20) == "ok"


def test_cap_state_stays_bounded_and_idle_state_is_pruned() -> None:
    pol = policy()
    r = Recipient(pol)
    t0 = at("2026-11-22T00:00:00")
    for i in range(2000):  # one every 30 s for ~17 h, most of them capped
        r.send(t0 + i * 30_000)
    biggest = max(max(c.count for c in pol.categories["verification"].caps),
                  max(c.count for c in pol.global_caps))
    for times in r.state["sent"].values():
        assert len(times) <= biggest
        assert list(times) == sorted(times)
    size = len(orjson.dumps(r.state["sent"]))
    print(f"\ncap state after 2000 sends: {size} bytes JSON "
          f"({sum(len(t) for t in r.state['sent'].values())} timestamps)")
    # A week later the recipient is idle: the next write prunes every cap timestamp away.
    caps.prune(r.state, t0 + 8 * 86_400_000, pol)
    assert "sent" not in r.state


def test_redelivered_approval_is_not_counted_twice() -> None:
    r = Recipient(policy(**{"categories.verification.caps": ["2/1h"]}))
    t0 = at("2026-11-22T09:00:00")
    intent = {"msg_id": "same", "tenant": "jd", "signature": "京东", "category": "verification",
              "phone": CN, "content": "【京东】验证码1"}
    envelope = route(INTENT, Source("in", 0, 99, t0), None, orjson.dumps(intent),
                     r.policy).value
    first = handle(envelope, r.state, r.policy)
    again = handle(envelope, r.state, r.policy)  # the same record after a crash
    assert first == again
    assert list(r.state["sent"]["jd|verification"]) == [t0]


# --- quiet hours -------------------------------------------------------------------------

def test_quiet_hours_cross_midnight_in_shanghai() -> None:
    r = Recipient(policy(**NO_MARKETING_CAPS))
    r.grant()
    for local, expected in [("2026-11-22T20:59:59", "ok"), ("2026-11-22T21:00:00", "quiet_hours"),
                            ("2026-11-23T00:30:00", "quiet_hours"),
                            ("2026-11-23T07:59:59", "quiet_hours"),
                            ("2026-11-23T08:00:00", "ok")]:
        assert r.reason(at(local), category="marketing", tenant="meituan") == expected, local
    record = r.send(at("2026-11-22T23:00:00"), category="marketing", tenant="meituan")
    assert "Asia/Shanghai" in record["detail"] and "23:00" in record["detail"]
    # Verification codes and notifications are exempt.
    assert r.reason(at("2026-11-23T02:00:00")) == "ok"


def test_quiet_hours_for_a_us_number_use_its_own_zone_not_utc() -> None:
    la = ZoneInfo("America/Los_Angeles")
    r = Recipient(policy(**NO_MARKETING_CAPS), phone=US_WEST)
    r.grant()
    # 10:00 in Los Angeles is 02:00 next day in Shanghai: fine for a US recipient.
    assert r.reason(at("2026-11-22T10:00:00", la), category="marketing",
                    tenant="meituan") == "ok"
    assert r.reason(at("2026-11-22T22:30:00", la), category="marketing",
                    tenant="meituan") == "quiet_hours"
    # Across local midnight, and at the edges of 21:00-08:00 in Los Angeles.
    for local, expected in (("2026-11-23T02:00:00", "quiet_hours"),
                            ("2026-11-23T07:59:59", "quiet_hours"),
                            ("2026-11-23T08:00:00", "ok"),
                            ("2026-11-23T20:59:59", "ok"),
                            ("2026-11-23T21:00:00", "quiet_hours")):
        assert r.reason(at(local, la), category="marketing", tenant="meituan") == expected, local


def test_a_number_spanning_zones_is_read_strictly_and_the_policy_can_map_it() -> None:
    mobile = "+61412345678"  # an Australian mobile: Perth to Lord Howe, and Christmas Island
    sydney = ZoneInfo("Australia/Sydney")
    r = Recipient(policy(**NO_MARKETING_CAPS), phone=mobile)
    r.grant()
    morning_sydney = at("2026-11-22T09:00:00", sydney)  # 06:00 in Perth
    assert r.reason(morning_sydney, category="marketing", tenant="meituan") == "quiet_hours"
    mapped = Recipient(policy(**NO_MARKETING_CAPS, zones={"+614": "Australia/Sydney"}),
                       phone=mobile)
    mapped.grant()
    assert mapped.reason(morning_sydney, category="marketing", tenant="meituan") == "ok"


def test_defer_holds_and_releases_at_the_window_start() -> None:
    r = Recipient(policy(**{"global.quiet_hours_action": "defer"}))
    r.grant()
    late = at("2026-11-22T23:15:00")
    assert r.send(late, category="marketing", tenant="meituan") is None  # held, no record
    held_id = f"m{r.offset - 1}"
    opens = at("2026-11-23T08:00:00")
    assert r.tick(opens - 1) == []
    [released] = r.tick(opens + 700)
    assert (released["msg_id"], released["reason"]) == (held_id, "ok")
    assert released["decided_at"] == "2026-11-23T00:00:00.000Z"  # 08:00 Shanghai exactly
    assert "held" not in r.state
    assert r.tick(opens + 5000) == []


def test_deferred_intent_is_rechecked_at_release() -> None:
    r = Recipient(policy(**{"global.quiet_hours_action": "defer"}))
    r.grant()
    assert r.send(at("2026-11-22T23:15:00"), category="marketing", tenant="meituan") is None
    held_id = f"m{r.offset - 1}"
    # The user opts out overnight: the held message must not go out in the morning.
    r.feed(CONSENT, {"event_id": "rv", "phone": CN, "tenant": "meituan",
                     "category": "marketing", "action": "revoke", "source": "reply",
                     "occurred_at": "2026-11-23T01:00:00+08:00"}, at("2026-11-23T01:00:00"))
    [released] = r.tick(at("2026-11-23T08:00:01"))
    assert (released["msg_id"], released["reason"]) == (held_id, "opted_out")


def test_a_held_msg_id_is_still_a_duplicate() -> None:
    r = Recipient(policy(**{"global.quiet_hours_action": "defer"}))
    r.grant()
    t = at("2026-11-22T23:15:00")
    intent = {"msg_id": "h1", "tenant": "meituan", "signature": "美团", "category": "marketing",
              "phone": CN, "content": "【美团】神券，拒收请回复R"}
    assert r.feed(INTENT, intent, t) == []
    [dup] = r.feed(INTENT, intent, t + 1000)
    assert dup.value["reason"] == "duplicate" and "held" in dup.value["detail"]


# --- content -----------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("category", "text", "reason", "detail_part"),
    [
        ("marketing", "双11神券已到账", "missing_unsubscribe_notice", "拒收请回复R"),
        ("marketing", "双11神券已到账 Reply STOP to opt out", "no_consent", "opt-in"),
        ("verification", "验证码123456，回TD退订", "category_mismatch", "回TD退订"),
        ("notification", "您的订单已发货，拒收请回复R", "category_mismatch", "拒收请回复R"),
        ("notification", "您的订单已发货，退订回T", "category_mismatch", "退订回T"),
        ("notification", "您已成功退订营销短信。", "ok", None),
        ("notification", "【公安局通知】您涉嫌洗钱", "signature_invalid", "【】"),
        ("notification", "您的账户资金请转入安全账户", "banned_content", "安全账户"),
        ("notification", "恭喜您中奖了", "banned_content", "中奖"),
    ],
)
def test_content_rules(category: str, text: str, reason: str, detail_part: str | None) -> None:
    r = Recipient(policy())
    tenant = "meituan" if category == "marketing" else "jd"
    record = r.send(at("2026-11-22T10:00:00"), category=category, tenant=tenant, text=text)
    assert record["reason"] == reason
    if detail_part:
        assert detail_part in record["detail"]


def test_reason_order_content_before_consent_before_quiet_before_caps() -> None:
    r = Recipient(policy())
    night = at("2026-11-22T23:00:00")
    assert r.reason(night, category="marketing", tenant="meituan",
                    text="无退订提示") == "missing_unsubscribe_notice"
    assert r.reason(night, category="marketing", tenant="meituan") == "no_consent"
    r.grant()
    assert r.reason(night, category="marketing", tenant="meituan") == "quiet_hours"
    day = at("2026-11-23T10:00:00")
    assert r.reason(day, category="marketing", tenant="meituan") == "ok"
    assert r.reason(day + 1000, category="marketing", tenant="meituan") == "frequency_cap"


@pytest.mark.parametrize(
    ("text", "parts"),
    [("a" * 160, 1), ("a" * 161, 2), ("a" * 306, 2), ("a" * 307, 3), ("€" * 80, 1),
     ("€" * 81, 2), ("中" * 70, 1), ("中" * 71, 2), ("中" * 134, 2), ("中" * 135, 3),
     ("【京东】验证码123456", 1), ("😀" * 35, 1), ("😀" * 36, 2)],
)
def test_segments(text: str, parts: int) -> None:
    assert content.segments(text) == parts


def test_approved_records_state_their_segments() -> None:
    r = Recipient(policy())
    record = r.send(at("2026-11-22T10:00:00"), category="notification", text="中" * 100)
    assert (record["reason"], record["segments"]) == ("ok", 2)
    dropped = r.send(at("2026-11-22T10:00:01"), category="notification", text="中奖")
    assert dropped["segments"] is None


def test_fast_nfkc_is_nfkc() -> None:
    """textnorm.nfkc's shortcut gives unicodedata's NFKC: every simple character alone, every
    pair of the non-ideographs, random mixes, and text that must take the general path."""
    ideographs = [chr(c) for c in range(0x4E00, 0xA000)]
    others = ([chr(c) for c in range(0x20, 0x7F)] + list(textnorm.INERT_CJK_PUNCTUATION)
              + [chr(c) for c in range(0xFF01, 0xFF5F)])
    rng = random.Random(5)
    texts = ideographs + others + [a + b for a in others for b in others]
    texts += ["".join(rng.choices(others + ideographs[:200], k=40)) for _ in range(2000)]
    texts += ["【京东】您的订单已发货，预计明天送达！回ＴＤ退订", "ＡＢＣ\u0301", "＜\u0338",
              "\u3000中奖", "ｶﾞ", "①②", "Å", "ﬁ", "中\n奖", "가\u1161"]
    for text in texts:
        assert textnorm.nfkc(text) == unicodedata.normalize("NFKC", text), repr(text)


def test_phrases_are_found_as_compact_forms_are() -> None:
    """A phrase's regex finds it in the folded content exactly where its compact form is in
    the compact content: every pair of pieces, with noise between and around."""
    phrases = ["中奖", "拒收请回复R", "Reply STOP to opt out", "安全账户", "回T退订"]
    noise = ["", " ", "，", "\u200b", "。。", "x", "😀", "_"]
    rng = random.Random(9)
    for phrase in phrases:
        pattern = re.compile(content.phrase_pattern(phrase) or "")
        key = textnorm.normalise(phrase)
        for _ in range(400):
            text = "".join(ch + rng.choice(noise) for ch in rng.choice([phrase, phrase[::-1],
                                                                        phrase[1:], "中x奖"]))
            folded = textnorm.fold(rng.choice(noise) + text)
            found = pattern.search(folded) is not None
            assert found == (key in textnorm.compact(folded)), (phrase, text)
    assert content.phrase_pattern("  ") is None
    assert content.phrase_pattern("！！") == "!!"


def test_the_refusal_regex_prefilter_misses_nothing() -> None:
    """instruction() skips a regex when the text lacks the words all its alternatives hold:
    the same answer as searching every text."""
    pol = policy()
    texts = ["回T退订", "退订请回复TD", "拒收请回复R", "REPLY STOP", "Text Stop now",
             "【京东】您的订单已发货，回复N退订", "ｒｅｐｌｙ　ｓｔｏｐ", "您已退订营销短信",
             "发送TD到10690退订", "编辑短信R拒收", "输入0000退订", "To opt out, reply X",
             "unsubscribe: text 0", "txt STOP to 12345", "respond with stop", "退订回Ｔ"]
    for text in texts:
        prepared = content.prepare(text)
        zh = content._ZH_INSTRUCTION.search(textnorm.compact(prepared.folded))
        en = content._EN_INSTRUCTION.search(prepared.folded.replace('"', " ")
                                            .replace("'", " "))
        expected = zh.group() if zh else (" ".join(en.group().split()) if en else None)
        assert content.instruction(prepared) == expected, text
        assert expected is not None or text == "您已退订营销短信", text
        notice = next((n for n, p in content.phrases(pol).notices
                       if p.search(prepared.folded)), expected)
        assert content.refusal_instruction(prepared, pol) == notice, text


def test_segments_gsm7_scan_is_the_alphabet() -> None:
    alphabet = content._GSM7 | content._GSM7_EXTENDED
    for code in range(0x30000):
        ch = chr(code)
        assert (content._NOT_GSM7.search(ch) is None) == (ch in alphabet), hex(code)


def test_segments_shortcut_bracket_is_not_gsm7() -> None:
    """segments skips the GSM-7 scan for text holding 【 (every approved intent's signature)."""
    assert "【" not in content._GSM7 | content._GSM7_EXTENDED
    assert content.segments("【京东】" + "a" * 100) == 2  # UCS-2: 104 units, 67 a part


def test_no_phrase_is_neither_a_notice_nor_a_banned_phrase() -> None:
    """check_content's one scan for both lists says the same as the two scans it replaces."""
    pol = policy()
    found = content.phrases(pol)
    pieces = [*pol.categories["marketing"].unsubscribe_notice, *pol.banned_phrases,
              "您的订单已发货", "Reply", "中", "奖", "回T", "x", "，", " "]
    rng = random.Random(3)
    texts = pieces + ["".join(rng.choices(pieces, k=rng.randrange(1, 4))) for _ in range(3000)]
    for text in texts:
        prepared = content.prepare(text)
        has_notice = any(p.search(prepared.folded) for _, p in found.notices)
        assert content.no_phrase(prepared, pol) == (
            not has_notice and content.banned_phrase(prepared, pol) is None), text


@pytest.mark.parametrize("zone", ["America/Los_Angeles", "Europe/London", "Australia/Lord_Howe",
                                  "Asia/Kathmandu", "America/St_Johns", "Asia/Shanghai"])
def test_local_minute_is_the_datetime_conversion_across_transitions(zone: str) -> None:
    """quiet._local_minute keeps a minute's local time only where the offset holds all through
    it: the same as converting every time, across DST changes (half an hour at Lord Howe) and
    offsets of 45 minutes, and before 1970 (not kept)."""
    from datetime import UTC

    from app.rules import quiet

    tz = ZoneInfo(zone)
    quiet._LOCAL_MINUTES.clear()
    starts = [datetime(2026, 3, 8, tzinfo=UTC), datetime(2026, 3, 29, tzinfo=UTC),
              datetime(2026, 4, 5, tzinfo=UTC), datetime(2026, 10, 4, tzinfo=UTC),
              datetime(2026, 10, 25, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC),
              datetime(1901, 1, 1, tzinfo=UTC), datetime(1969, 12, 31, 23, tzinfo=UTC)]
    for start in starts:
        first_ms = int(start.timestamp() * 1000)
        for now_ms in range(first_ms, first_ms + 2 * 86_400_000, 7_919):  # ~2 days, odd steps
            local = datetime.fromtimestamp(now_ms / 1000, tz=UTC).astimezone(tz)
            assert quiet._local_minute(now_ms, tz) == local.hour * 60 + local.minute, now_ms


def _prune_every_list(state: dict[str, Any], now_ms: int, pol: Policy) -> None:
    """caps.prune as it was before sent_due: every list checked (and every missing recipient
    list filled) on every call."""
    sent = state.get("sent")
    if sent is None:
        return
    cap_rules = caps.rules(pol)
    for category, key in cap_rules.recipient_keys.items():
        if key not in sent:
            caps.fill_recipient_scope(sent, key, category)
    for key, times in list(sent.items()):
        scope = caps._scope_of_key(key, cap_rules)
        start = caps._first_kept(times, now_ms, scope) if scope is not None else len(times)
        if start >= len(times):
            del sent[key]
        elif start:
            sent[key] = times[start:]
    if not sent:
        del state["sent"]


def test_cap_prune_with_sent_due_keeps_what_checking_every_list_keeps() -> None:
    """sent_due only skips walks that would drop nothing: random approvals (some out of order)
    and prunes, with states read back from JSON, states from before sent_due (stripped), keys
    of a tenant the policy no longer names, a second policy's caps, and a third's without
    recipient caps (states written before them), keep the same lists."""
    pols = [policy(), policy(**{"global.caps": ["3/1h", "5/2d"],
                                "categories.marketing.caps": ["2/1d"],
                                "categories.marketing.recipient_caps": ["3/2d"]}),
            policy(**{"categories.marketing.caps": ["1/7d"],
                      "categories.marketing.recipient_caps": []})]
    rng = random.Random(7)
    for _ in range(300):
        state: dict[str, Any] = {}
        reference: dict[str, Any] = {}
        now_ms = 1_795_000_000_000
        for _ in range(rng.randrange(1, 60)):
            now_ms += rng.choice([0, 1_000, 60_000, 3_600_000, 86_400_000, 3 * 86_400_000])
            pol = rng.choices(pols, weights=[8, 1, 1])[0]
            ts = now_ms - rng.randrange(0, 7_200_000) if rng.random() < 0.1 else now_ms
            draw = rng.random()
            if draw < 0.5:
                tenant = rng.choice(["jd", "cmb", "meituan"])
                category = rng.choice(["verification", "notification", "marketing"])
                caps.prune(state, ts, pol)
                _prune_every_list(reference, ts, pol)
                caps.record_approval(state, tenant, category, ts, pol)
                caps.record_approval(reference, tenant, category, ts, pol)
            elif draw < 0.8:
                caps.prune(state, ts, pol)
                _prune_every_list(reference, ts, pol)
            elif draw < 0.9:
                state = orjson.loads(orjson.dumps(state))  # as the worker's store reads it back
            elif draw < 0.95:
                state.pop(caps.SENT_DUE, None)  # written before sent_due
            elif "sent" in state:  # a tenant since removed from the policy
                state["sent"]["gone|marketing"] = (ts,)
                reference.setdefault("sent", {})["gone|marketing"] = (ts,)
                # written under a policy that named it: another rules_id, so the next is a walk
                state.pop(caps.SENT_DUE, None)
            reference.pop(caps.SENT_DUE, None)
            got = {k: list(v) for k, v in state.get("sent", {}).items()}
            assert got == {k: list(v) for k, v in reference.get("sent", {}).items()}
            assert (caps.SENT_DUE in state) <= ("sent" in state)
