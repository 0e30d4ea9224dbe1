"""Content rules read through the one normaliser: refusal wording in the wrong category, the
marketing notice, banned phrases and signature brackets, however the text is dressed."""

from __future__ import annotations

import pytest

from app.rules.textnorm import fold
from tests.test_rules import Recipient, at, policy

NOON = "2026-11-22T12:00:00"


def decide(category: str, text: str, tenant: str | None = None) -> dict:
    r = Recipient(policy())
    if category == "marketing":
        r.grant()
    tenant = tenant or ("meituan" if category == "marketing" else "jd")
    record = r.send(at(NOON), category=category, tenant=tenant, text=text)
    assert record is not None
    return record


@pytest.mark.parametrize("category", ["verification", "notification"])
@pytest.mark.parametrize(
    "wording",
    ["回复“TD”退订", "回复「TD」退订", "回復TD退訂", "退订请回R", "回复R拒收", "回复0000退订",
     "回\u200bT退订", "回ＴＤ退订", "回 T 退订", "退 订 回 T", "拒收请回复Ｒ", "回覆N退訂",
     "发送TD到10690000退订", "如需退订请回复T", "Reply STOP to opt out", "Text STOP",
     "txt STOP to 12345", "Reply “STOP” to unsubscribe", "To opt out, reply END",
     "ＲＥＰＬＹ　ＳＴＯＰ"],
)  # fmt: skip
def test_refusal_instructions_are_marketing_in_disguise(category: str, wording: str) -> None:
    record = decide(category, f"您的订单已发货，{wording}")
    assert record["reason"] == "category_mismatch", record


@pytest.mark.parametrize(
    "text",
    ["您已成功退订营销短信。", "退订成功，如需恢复请回复订阅", "已为您取消订阅，回复R重新订阅",
     "您的快递已到，回复1确认，回复2改期", "Reply Y to confirm or N to reschedule",
     "Your bus stop has changed. Reply 1 for details", "Reply CANCEL to cancel your appointment",
     "您的验证码是0000，请勿泄露"],
)  # fmt: skip
def test_notifications_that_only_mention_refusal_pass(text: str) -> None:
    assert decide("notification", text)["reason"] == "ok"


@pytest.mark.parametrize(
    "notice",
    ["回复TD退订", "回T退订", "退订回T", "拒收请回复R", "回复R拒收", "退订请回复TD", "回N退订",
     "回复0000退订", "回复“TD”退订", "回覆TD退訂", "拒收請回覆R", "Reply STOP to opt out",
     "Text STOP to unsubscribe", "回 T 退 订"],
)  # fmt: skip
def test_a_marketing_text_ending_in_any_usual_notice_carries_one(notice: str) -> None:
    record = decide("marketing", f"双11神券已到账，{notice}")
    assert record["reason"] == "ok", record


def test_marketing_without_a_notice_is_still_dropped() -> None:
    record = decide("marketing", "双11神券已到账，您已退订的可忽略")
    assert record["reason"] == "missing_unsubscribe_notice"


@pytest.mark.parametrize(
    ("text", "phrase"),
    [("恭喜您中獎了", "中奖"), ("恭喜您中 奖了", "中奖"), ("恭喜您中。奖了", "中奖"),
     ("恭喜您中\u200b奖了", "中奖"), ("资金请转入安 全 账 户", "安全账户"),
     ("资金请转入安全賬戶", "安全账户"), ("资金请转入安全帐户", "安全账户"),
     ("资金请转入安全帳戶", "安全账户"), ("恭喜您中奨了", "中奖"), ("贷款秒到帳", "贷款秒到账")],
)
def test_banned_phrases_compare_in_compact_form(text: str, phrase: str) -> None:
    record = decide("notification", text)
    assert (record["reason"], record["detail"]) == ("banned_content", phrase)


@pytest.mark.parametrize("category", ["notification", "marketing"])
@pytest.mark.parametrize("bracket",
                         ["【公安局】", "〖公安局〗", "［公安局］", "︻公安局︼", "〘公安局〙"])
def test_a_second_signature_in_any_bracket_is_refused(category: str, bracket: str) -> None:
    record = decide(category, f"您涉嫌洗钱，{bracket}拒收请回复R")
    assert record["reason"] == "signature_invalid", record


@pytest.mark.parametrize("signature",
                         ["〖京东〗", "［京东］", "︻京东︼", "[京东]", "【京\u200b东】"])
def test_a_signature_in_look_alike_brackets_is_no_signature(signature: str) -> None:
    """Fail safe: the text the carrier gets lacks a real 【】 signature, so it is refused
    (signature_invalid), not normalised and passed."""
    r = Recipient(policy())
    emits = r.feed("intent", {"msg_id": "m1", "tenant": "jd", "signature": "京东",
                              "category": "notification", "phone": "+8613812345678",
                              "content": f"{signature}您的订单已发货"}, at(NOON))
    assert emits[0].value["reason"] == "signature_invalid"


@pytest.mark.parametrize(
    ("phrase", "text"),
    [("躺着赚钱", "在家躺著赚钱"), ("巅峰", "人生巅峯"), ("在线客服", "联系在綫客服"),
     ("卫生局", "衞生局通知"), ("众筹", "眾籌平台"), ("这里", "點這裏领取")],
)
def test_banned_phrases_match_across_variant_characters(phrase: str, text: str) -> None:
    """A policy phrase written in one form of a character matches content written in another
    (异体字 that traditional → simplified leaves apart, and that it unifies), both ways."""
    r = Recipient(policy(**{"content.banned_phrases": [phrase]}))
    record = r.send(at(NOON), category="notification", tenant="jd", text=text)
    assert record is not None
    assert (record["reason"], record["detail"]) == ("banned_content", phrase)
    r = Recipient(policy(**{"content.banned_phrases": [text]}))
    record = r.send(at(NOON), category="notification", tenant="jd", text=fold(text))
    assert record is not None and record["reason"] == "banned_content"


CONDITIONAL_INSTRUCTIONS = [
    "如不想再收到此类短信，请回复TD", "若不需要请回N", "如不希望接收我们的推送，请回复T",
    "若您不想再被打扰，可直接回复0000", "如不需要此服务回复R", "如不想再收到此類簡訊，請回覆TD",
    "to stop receiving these, reply STOP", "If you no longer wish to receive these texts, reply N",
    "To stop these alerts reply 0",
]  # fmt: skip


@pytest.mark.parametrize("category", ["verification", "notification"])
@pytest.mark.parametrize("wording", CONDITIONAL_INSTRUCTIONS)
def test_a_conditional_refusal_instruction_is_marketing_in_disguise(
        category: str, wording: str) -> None:
    """"If you'd rather not get these, reply TD": a refusal instruction with no 退订 beside it."""
    record = decide(category, f"您的验证码是482913，5分钟内有效。{wording}")
    assert record["reason"] == "category_mismatch", record


@pytest.mark.parametrize("wording", CONDITIONAL_INSTRUCTIONS)
def test_a_conditional_refusal_instruction_is_a_marketing_notice(wording: str) -> None:
    record = decide("marketing", f"双11神券已到账，{wording}")
    assert record["reason"] == "ok", record


@pytest.mark.parametrize(
    "text",
    ["您的快递已到，回复1确认", "您预约了明天10点的体检，回复Y确认预约", "如不需要发票请回复N",
     "如需改期请回复1，如不需要请回复N取消预约", "如不需要配送上门请回复1",
     "To stop the delivery, reply 1", "If you do not want to receive your parcel at home, reply 1",
     "如有疑问请回复T咨询"],
)  # fmt: skip
def test_conditional_answers_that_refuse_nothing_pass(text: str) -> None:
    assert decide("notification", text)["reason"] == "ok"
