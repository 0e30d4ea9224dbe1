"""Realistic benchmark traffic: send intents and consent events for a skewed recipient base.

Recipients are drawn from a Zipf-Mandelbrot law (weight 1 / (rank + 50)) over a population of
about 5 recipients per intent (1,000,000 for the default 200,000 intents): a long tail of people
who get one message, and a head of heavy users that caps and dedup actually bite on. The mix is
the shipped example policy's world: 25% verification codes, 45% notifications, 30% marketing,
with the right 【signature】 and, for marketing, an unsubscribe notice; a few percent of the
mistakes upstream services make (unknown tenant, foreign signature, missing notice, banned
phrase, expired, retried msg_id). Most marketing recipients granted consent on a form (with
evidence) before the traffic starts; some revoked, a few "grants" came from pre-ticked boxes.

Record timestamps (the decision time) lie in a past daytime window in Asia/Shanghai, so
marketing is decided on consent and caps rather than dropped for quiet hours whatever the hour
the benchmark runs at, and well inside the input topics' 7-day retention.
"""

from __future__ import annotations

import bisect
import itertools
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import orjson

SHANGHAI = ZoneInfo("Asia/Shanghai")
ZIPF_OFFSET = 50
RECIPIENTS_PER_INTENT = 5
_PREFIXES = [f"13{d}" for d in range(10)] + ["150", "151", "152", "153", "155", "156", "157",
                                             "158", "159", "180", "181", "182", "186", "187",
                                             "188", "189", "198", "199"]

# (tenant, signature) per category; marketing templates carry a notice from the policy.
_TEMPLATES: dict[str, list[tuple[str, str, str]]] = {
    "verification": [
        ("jd", "京东", "【京东】验证码{code}，5分钟内有效。为保障账户安全，请勿将验证码告诉他人。"),
        ("cmb", "招商银行", "【招商银行】您正在登录手机银行，动态码{code}，请勿泄露。"),
        ("meituan", "美团", "【美团】您的验证码是{code}，用于登录美团账号，10分钟内有效。"),
        ("jd", "京东到家", "【京东到家】验证码{code}，您正在绑定新手机号，如非本人操作请忽略。"),
    ],
    "notification": [
        ("jd", "京东", "【京东】您的订单{order}已发货，顺丰快递SF{waybill}，预计明天送达。"),
        ("jd", "京东", "【京东】您购买的商品已签收，如有问题请在7天内申请售后。订单号{order}"),
        ("cmb", "招商银行", "【招商银行】您尾号{card}的信用卡于{hh}:{mm}消费人民币{amount}元。"),
        ("cmb", "招商银行", "【招商银行】您的账单已出，本期应还{amount}元，到期还款日11月25日。"),
        ("meituan", "美团", "【美团】骑手已取餐，预计{mm}分钟后送达，订单尾号{card}。"),
    ],
    "marketing": [
        ("meituan", "美团", "【美团】双11神券{amount}元已到账，外卖满30可用，今晚24点失效。"
                            "拒收请回复R"),
        ("meituan", "美团", "【美团】周末特惠：酒店低至5折，景点门票立减{mm}元，点击查看。"
                            "回TD退订"),
        ("jd", "京东", "【京东】11.11狂欢返场，家电爆款直降{amount}元，PLUS会员再享9折。退订回T"),
        ("jd", "京东到家", "【京东到家】生鲜满99减{mm}，新鲜水果30分钟送达，快来下单吧！回T退订"),
    ],
}
_CATEGORY_CUM = [("verification", 0.25), ("notification", 0.70), ("marketing", 1.0)]


@dataclass
class Record:
    """One input record: key, JSON value bytes, record timestamp (ms)."""

    key: bytes | None
    value: bytes
    ts: int


@dataclass
class Traffic:
    """Pre-fill for the benchmark: intents and consent events, and what they amount to."""

    intents: list[Record]
    consents: list[Record]
    population: int
    distinct_recipients: int
    marketing: int
    verification: int

    @property
    def total(self) -> int:
        return len(self.intents) + len(self.consents)


def phone_of(rank: int) -> str:
    """A distinct, valid mainland mobile number per rank (an odd multiplier permutes 10^8)."""
    return _PREFIXES[rank % len(_PREFIXES)] + f"{(rank * 2654435761 + 12345) % 10**8:08d}"


def _written(phone: str, rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.80:
        return phone
    if roll < 0.95:
        return f"+86 {phone[:3]} {phone[3:7]} {phone[7:]}"
    return f"+86{phone}"


def daytime_start(now: datetime | None = None) -> datetime:
    """The most recent 09:00 Asia/Shanghai that lies at least 11 hours in the past."""
    now = (now or datetime.now(SHANGHAI)).astimezone(SHANGHAI)
    start = now.replace(hour=9, minute=0, second=0, microsecond=0)
    while start > now - timedelta(hours=11):
        start -= timedelta(days=1)
    return start


def _fill(text: str, rng: random.Random) -> str:
    return text.format(code=f"{rng.randint(0, 999999):06d}", order=rng.randint(10**11, 10**12),
                       waybill=rng.randint(10**11, 10**12), card=rng.randint(1000, 9999),
                       hh=f"{rng.randint(9, 18):02d}", mm=f"{rng.randint(10, 59):02d}",
                       amount=f"{rng.randint(5, 3000)}.{rng.randint(0, 99):02d}")


def intent_value(i: int, phone: str, category: str, rng: random.Random,
                 prefix: str = "b") -> dict[str, object]:
    """One well-formed intent for `phone` (mistakes are added by the caller)."""
    tenant, signature, template = rng.choice(_TEMPLATES[category])
    value: dict[str, object] = {
        "msg_id": f"{prefix}-{i:08d}", "tenant": tenant, "signature": signature,
        "category": category, "phone": _written(phone, rng), "content": _fill(template, rng),
    }
    if category == "marketing":
        value["campaign_id"] = f"c-{tenant}-1111-{rng.randint(1, 20)}"
    return value


def pick_category(rng: random.Random) -> str:
    roll = rng.random()
    return next(name for name, upto in _CATEGORY_CUM if roll < upto)


def _mistake(value: dict[str, object], rng: random.Random, now_ms: int) -> None:
    """About 3% of intents carry a mistake that a check must catch."""
    roll = rng.random()
    if roll < 0.010:
        value["tenant"] = "unknown-shop"
    elif roll < 0.015:
        value["content"] = str(value["content"]).replace(f"【{value['signature']}】", "【淘宝】")
    elif roll < 0.020 and value["category"] == "marketing":
        value["content"] = str(value["content"]).rsplit("。", 1)[0] + "。"
    elif roll < 0.023:
        value["content"] = str(value["content"]) + "恭喜您中奖"
    elif roll < 0.030:
        value["expires_at"] = datetime.fromtimestamp((now_ms - 60_000) / 1000,
                                                      SHANGHAI).isoformat()


def generate(intents: int, seed: int = 7, population: int | None = None) -> Traffic:
    """`intents` intents (plus 1% retried msg_ids) and the consent events that precede them."""
    rng = random.Random(seed)
    population = population or max(1_000, intents * RECIPIENTS_PER_INTENT)
    cum = list(itertools.accumulate(1.0 / (rank + ZIPF_OFFSET) for rank in range(population)))
    ranks = [bisect.bisect_left(cum, rng.random() * cum[-1]) for _ in range(intents)]
    start = daytime_start()
    t0 = int(start.timestamp() * 1000)
    spacing = max(1, 10 * 3600 * 1000 // max(intents, 1))  # spread over 09:00-19:00
    out: list[Record] = []
    marketing: dict[tuple[int, str], None] = {}
    counts = {"marketing": 0, "verification": 0}
    for i, rank in enumerate(ranks):
        ts = t0 + i * spacing
        category = pick_category(rng)
        value = intent_value(i, phone_of(rank), category, rng)
        _mistake(value, rng, ts)
        if category in counts:
            counts[category] += 1
        if category == "marketing":
            marketing[(rank, str(value["tenant"]))] = None
        raw = orjson.dumps(value)
        out.append(Record(str(value["phone"]).encode(), raw, ts))
        if rng.random() < 0.01:  # a retry of the same request a little later: a duplicate
            out.append(Record(str(value["phone"]).encode(), raw, ts + spacing // 2))
    consents = list(_consents(marketing, rng, t0))
    return Traffic(out, consents, population, len(set(ranks)), counts["marketing"],
                   counts["verification"])


def _consents(marketing: dict[tuple[int, str], None], rng: random.Random,
              t0: int) -> Iterator[Record]:
    """Grants for ~80% of (recipient, tenant) marketing pairs; some revokes and pre-ticks."""
    ts = t0 - 3600 * 1000
    for n, (rank, tenant) in enumerate(marketing):
        roll = rng.random()
        if roll >= 0.80:
            continue
        phone = phone_of(rank)
        occurred = datetime.fromtimestamp((t0 - rng.randint(1, 30) * 86_400_000) / 1000,
                                          SHANGHAI)
        event = {"event_id": f"form-{n:08d}", "phone": phone, "tenant": tenant,
                 "category": "marketing", "action": "grant", "source": "signup_form",
                 "occurred_at": occurred.isoformat(),
                 "evidence": {"form_id": "reg-v3", "ip": f"10.{n % 250}.{rank % 250}.7",
                              "prechecked": roll < 0.01}}
        yield Record(phone.encode(), orjson.dumps(event), ts)
        ts += 1
        if roll > 0.76:  # later changed their mind
            revoke = {**event, "event_id": f"revoke-{n:08d}", "action": "revoke",
                      "source": "app_settings",
                      "occurred_at": (occurred + timedelta(days=1)).isoformat()}
            revoke.pop("evidence")
            yield Record(phone.encode(), orjson.dumps(revoke), ts)
            ts += 1


def campaign(size: int, seed: int = 11, first_rank: int = 2_000_000) -> Traffic:
    """One marketing campaign: `size` intents to as many distinct recipients (ranks from
    `first_rank`, apart from generate()'s), with the usual ~3% mistakes, and consent grants
    for ~80% of them (some revoked, a few pre-ticked), timed before the campaign."""
    rng = random.Random(seed)
    ranks = rng.sample(range(first_rank, first_rank + size * RECIPIENTS_PER_INTENT), size)
    t0 = int(daytime_start().timestamp() * 1000)
    spacing = max(1, 10 * 3600 * 1000 // max(size, 1))
    out: list[Record] = []
    pairs: dict[tuple[int, str], None] = {}
    for i, rank in enumerate(ranks):
        ts = t0 + i * spacing
        value = intent_value(i, phone_of(rank), "marketing", rng, prefix="campaign")
        _mistake(value, rng, ts)
        pairs[(rank, str(value["tenant"]))] = None
        out.append(Record(str(value["phone"]).encode(), orjson.dumps(value), ts))
    return Traffic(out, list(_consents(pairs, rng, t0)), size * RECIPIENTS_PER_INTENT, size,
                   size, 0)
