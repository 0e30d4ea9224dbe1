"""Classify MO (mobile-originated) SMS replies: unsubscribe, resubscribe, help, or nothing.

Every reply in the stream goes through `classify_reply`, so it is pure, synchronous and cheap:
precompiled regexes (possessive/atomic, so no catastrophic backtracking) and a dict, no I/O.

Why the rules look the way they do
----------------------------------
A missed opt-out is a legal failure (MIIT: once the user refuses, sending must stop; FCC 2025:
revocation "by any reasonable means"), but a false opt-out silently destroys consent a tenant
legitimately holds, and replies also reach notification senders whose questions users answer
("需要上门吗?" "不需要"). So the classifier fires on *commands*, not on words that merely appear:

1. Normalise (`normalise_reply`): NFKC (full-width ＴＤ/００００ become ASCII), casefold, a small
   traditional→simplified map for the characters refusals use (退訂→退订, 別發→别发, 簡訊→简讯),
   strip emoji/punctuation/space at both ends, collapse inner whitespace. For matching, inner
   punctuation and emoji become spaces and apostrophes vanish ("don't" → "dont"); text with a
   CJK character is matched with all spaces removed ("退 订" → "退订"), Latin-only text by words.
2. The whole text is one keyword. Unsubscribe: R, T, TD, N, 0000, 00000 (Chinese platforms; four
   or more zeros count, a 000 does not), STOP, STOPALL, UNSUBSCRIBE, UNSUB, CANCEL, END, QUIT,
   REVOKE, OPTOUT, ARRET (CTIA/FCC/AWS), 退订 (and the typo 退定), 拒收, 取消订阅, 停止发送,
   bare 停止 (the literal STOP), and 取消/退订/拒收 + a message noun (取消短信, 拒收此类短信).
   Resubscribe: START, UNSTOP, YES, SUBSCRIBE, RESUBSCRIBE, OPT IN; 订阅, 重新/恢复/继续订阅,
   恢复/重新接收, 取消退订. Help: HELP, INFO, 帮助, 求助 (help only triggers an info reply, so
   being generous costs nothing).
3. A keyword may repeat ("TDTD", "退订退订", "stop stop") and be wrapped in filler: polite
   (请/麻烦/帮我/我要/你好 … 谢谢/了/吧/好吗; please/pls/ok/"I want to" … thanks/now/me) or
   annoyed (烦死了, 天天发, 他妈的). English free text that merely contains a keyword is NOT an
   opt-out ("cancel my order #123", "stop by tomorrow?"): CTIA counts the keyword alone. Chinese
   chains copied from the instruction count ("回复TD退订", "退订回T", "拒收请回复R", "回T").
4. Negation guard: a negator directly before the keyword (不退订, 不要退订, 不用退订, 别退订,
   "don't stop") is never an opt-out. Punctuation breaks the guard: "不需要，退订" opts out.
   A bare refusal word set off by punctuation is an aside, and the clause after it is what the
   reply asks for: "不，退订", "不要，TD", "No, stop", "no. STOP" opt out ("不，不要退订" does
   not). Whitespace sets off only a refusal that is complete on its own ("不要了 TD", "算了 TD"):
   "不要 TD" may be "don't TD". The last clause counts only for unsubscribe or help: a
   resubscribe must stand alone ("No, YES" is not consent).
5. Explicit refusals, anchored with the same fillers: 别/不要/请勿 (再)(给我)发/传(短信), 请勿打扰,
   别烦我, 不想再收到…, 不需要这些短信, 滚, 拉黑; "stop texting/calling me", "remove me from your
   list", "no more texts", "don't text me", "leave me alone". Anchoring keeps "不要发韵达",
   "别发错地址" and "不用发了" (usually "no need to send the invoice") out.
6. Also unsubscribe: asking HOW to unsubscribe ("怎么退订", "退订怎么操作", "how do I opt out") —
   the intent is unambiguous and making the user ask twice is the obstruction MIIT forbids;
   complaints that an earlier unsubscribe failed ("退订了还发", "退订不了"); threats to report
   ("再发就投诉", "再发就打12321"). Questions about what unsubscribing means or costs
   ("TD是什么意思", "退订收费吗", "回TD是退订吗") are NONE: they state no intent.

Judgment calls: Y, 是, 好的, 1, 2, 000, NO, "no thanks", "not interested", 不需要, 不要了, 拒绝 and
取消 alone are NONE: they answer appointment or offer questions ("回复Y确认", "回复取消" for a
booking), and 取消/退订 with a booking object ("取消订单", "退订酒店", "我要退订单") is commerce.
开通 is NONE (it activates a product, it does not ask for messages). YES is resubscribe because
CTIA says so; the consent ledger should honour it only when the number is currently opted out.
Scope is "all" only for STOPALL / "STOP ALL"; 全部退订 means everything *from this sender*.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum


class ReplyIntent(StrEnum):
    """What the sender must do with the reply; the values are stable audit-log strings."""

    UNSUBSCRIBE = "unsubscribe"
    RESUBSCRIBE = "resubscribe"
    HELP = "help"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class ReplyClass:
    """What a reply asks for. `keyword` and `normalised` go into the audit trail."""

    intent: ReplyIntent
    scope: str  # "sender" normally; "all" for STOPALL (every tenant and category but verification)
    keyword: str | None
    normalised: str


SCOPE_SENDER = "sender"
SCOPE_ALL = "all"

# Traditional → simplified, only for characters that appear in refusals and fillers.
_T2S = str.maketrans(
    "訂謝發簡訊別請幫銷閱擾騷給們麼樣還為沒經傳廣關閉覆復訴舉報煩來對這個嗎說讓號碼驗證費務單"
    "動種類絕購聯繫係問託將過後會員優錯點幾遞開續繼無須暫讀裡話",
    "订谢发简讯别请帮销阅扰骚给们么样还为没经传广关闭复复诉举报烦来对这个吗说让号码验证费务单"
    "动种类绝购联系系问托将过后会员优错点几递开续继无须暂读里话",
)
_EDGES = re.compile(r"^[\W_]+|[\W_]+$")
_SPACES = re.compile(r"\s+")
_NONWORD = re.compile(r"[\W_]+")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_ZEROS = re.compile(r"0{4,}")  # 0000, 00000 and over-typed variants

_EN_UNSUB = (
    "stopall",
    "stop all",
    "stop",
    "unsubscribe",
    "unsub",
    "cancel",
    "end",
    "quit",
    "revoke",
    "optout",
    "opt out",
    "arret",
    "arrêt",
)
_CODES = ("td", "t", "r", "n", "0000", "00000")
_EN_RESUB = ("start", "unstop", "yes", "subscribe", "resubscribe", "opt in", "optin")
_EN_HELP = ("help", "info")


def _alt(words: tuple[str, ...] | list[str]) -> str:
    """Regex alternation, longest first so "stop all" wins over "stop"."""
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


# Leading refusal asides (rule 4): "不，" "不要，" "no. " "nope, " "不要了 " "算了，" ...
_ASIDE = re.compile(
    rf"^(?:(?>(?:{_alt(['不', '不要', '不用', '不必', '不需要', 'no', 'nope', 'nah'])})+"
    r"\s*[^\w\s]+\s*)"
    rf"|(?>(?:{_alt(['不了', '不要了', '不用了', '不必了', '不需要了', '算了'])})+"
    r"(?:\s*[^\w\s]+\s*|\s+)))++"
)

_INTENT_OF: dict[str, ReplyIntent] = {
    **{w: ReplyIntent.UNSUBSCRIBE for w in (*_EN_UNSUB, *_CODES)},
    **{w: ReplyIntent.RESUBSCRIBE for w in _EN_RESUB},
    **{w: ReplyIntent.HELP for w in _EN_HELP},
}

# --- English (Latin-only wording, matched on the spaced form) -------------------------------
_EN_LEAD = (
    r"(?:please|pls|plz|ok|okay|kindly|just|hi|hey|hello|no thanks|no thank you"
    r"|not interested|i want to|i wanna|i would like to|id like to|i wish to)"
)
_EN_TRAIL = (
    r"(?:please|pls|plz|thanks|thank you|thx|ty|now|right now|asap|immediately|already|me"
    r"|no thanks|not interested)"
)
_EN_COMMAND = re.compile(
    rf"^(?:{_EN_LEAD} )*(?P<kw>{_alt(list(_INTENT_OF))})(?: ?(?P=kw))*(?: {_EN_TRAIL})*$"
)
_EN_THINGS = r"(?:texts?|messages?|msgs?|sms|spam|ads|crap|stuff)"
_EN_LIST = r"(?:this|your|the|all|these)(?: mailing| texting| sms| contact)? lists?"
_EN_REFUSAL = re.compile(
    rf"^(?:{_EN_LEAD} )*(?P<kw>"
    rf"(?:stop|quit|cease) (?:texting|txting|messaging|sending|spamming|contacting|calling)"
    rf"(?: me)?(?: (?:these|this|those|the|your|ur|any))?(?: {_EN_THINGS})?"
    rf"|stop (?:it|this|that|these|them|your|ur)(?: {_EN_THINGS})?"
    rf"|remove me(?: from {_EN_LIST})?|take me off {_EN_LIST}|opt me out"
    rf"|unsubscribe me from (?:this|these|your|all)(?: {_EN_THINGS}| list)?"
    rf"|no more {_EN_THINGS}"
    rf"|(?:dont|do not|never) (?:text|txt|message|msg|sms|contact|spam) me"
    rf"(?: again| anymore| ever again)?"
    rf"|leave me alone|revoke(?: my)? consent"
    rf"|how (?:(?:do|can|could|should) i |to )(?:unsubscribe|opt out|optout"
    rf"|stop (?:receiving |getting )?(?:these|this|the|your) {_EN_THINGS})"
    rf")(?: {_EN_TRAIL})*$"
)
_EN_NEGATION = re.compile(
    r"\b(?:dont|do not|never|not|wont|will not|didnt|did not|cant|cannot|can not|no need to)"
    r"(?: ever)? (?:stop|unsubscribe|cancel|opt out|optout|end|quit|revoke)\b"
)

# --- Chinese (any text with a CJK character, matched on the compact form) -------------------
_ZH_OBJ = (
    r"(?:(?:这个|这些|这种|这类|此类|此|该|本|你们的?|你家的?|所有|全部|一切|以后的?)?"
    r"(?:营销|推广|广告|垃圾|骚扰)?(?:短信|信息|消息|简讯|讯息|推送|通知|广告))"
)
# Filler that may precede a command. 不需要 only as an aside ("不需要，退订"), not "不需要这些短信".
_ZH_LEAD = (
    r"(?:请问|问一?下|请|麻烦(?:你们?|您)?|拜托(?:你们?)?|求求?你们?|你好|您好|喂|亲|hi"
    r"|hello|那个|谢谢|你们|以后|今后|往后|千万|赶紧|赶快|马上|立即|立刻|现在|直接|我要"
    r"|我想要?|我需要|我?申请|请?帮我|帮个?忙|给我|已经?|我|要|就|好的?|ok|不用了|没兴趣|不感兴趣"
    r"|全部|(?:天天|每天|老是|一直|又)发|烦死了?|烦不烦|好烦|讨厌|够了|受够了|他妈的?|妈的|特么的?|tmd"
    rf"|不需要(?!再?{_ZH_OBJ})|{_ZH_OBJ})"
)
_ZH_TRAIL = (
    r"(?:了|吧|啊|呀|哦|噢|喔|嗯|呢|哈|啦|嘛|哇|过|谢谢(?:你们?|您|啦|了)?|谢了|感谢|多谢"
    r"|蟹蟹|3q|好吗|好不好|可以吗|行吗|行不行|ok|okay|thx|thanks|please|pls|拜托了?"
    r"|马上|立刻|立即|一下|掉|永久|全部|所有)"
)
_ZH_VERB = (
    r"(?:退订|退定|退阅|取消订阅|退出订阅|停止订阅|拒收|拒绝接收|停止接收|不再接收|停止发送"
    r"|停止推送|取消推送|停止)"
)
_ZH_CODE = f"(?:0{{4,}}|{_alt([c for c in (*_CODES, *_EN_UNSUB) if not c.startswith('0')])})"
_ZH_NEGV = r"(?:别|不要|勿|请勿|莫|甭|不许|不准|禁止)(?:他妈的?|特么的?|tmd)?"
_ZH_UNIT = (
    rf"(?:(?:请?回复?)?{_ZH_CODE}"
    rf"|(?:请?回复?)?{_ZH_VERB}{_ZH_OBJ}?"
    rf"|{_ZH_NEGV}再?(?:给我|向我|对我|跟我|为我)?再?(?:发送?|推送?|群发|乱发|传|寄)"
    rf"{_ZH_OBJ}?(?:给我)?"
    rf"|{_ZH_NEGV}再?(?:打扰|骚扰|烦|联系)我?|勿扰|免打扰|滚蛋?|已?拉黑(?:你们)?"
    rf"|(?:取消|关闭){_ZH_OBJ}|(?:不需要|不要|不想要)再?{_ZH_OBJ}"
    rf"|不想再?(?:收到?|接收|看到){_ZH_OBJ}?)"
)
_ZH_UNSUB = re.compile(
    rf"^{_ZH_LEAD}*+(?P<kw>(?>{_ZH_UNIT})(?:(?:{_ZH_LEAD}|{_ZH_TRAIL})*+(?>{_ZH_UNIT}))*)"
    rf"{_ZH_TRAIL}*+$"
)
_ZH_HOWTO = re.compile(
    rf"^{_ZH_LEAD}*+{_ZH_OBJ}?(?P<kw>(?:要|该|应该)?(?:怎么样?|怎样|如何|咋)"
    rf"(?:才能|才可以|可以|能|去)?"
    rf"(?:{_ZH_VERB}{_ZH_OBJ}?|不再?(?:收到?|接收){_ZH_OBJ}?|取消{_ZH_OBJ})"
    rf"|{_ZH_VERB}{_ZH_OBJ}?(?:要|该)?(?:怎么|如何|怎样)(?:操作|弄|办|回复?|搞)?)"
    r"(?:啊|呀|呢|吗|哦|嘛|的|啦)*$"
)
_ZH_COMPLAINT = re.compile(
    r"^(?:我|都|已经?|早就?|不是|明明|之前|上次|昨天|前天)*(?P<kw>退订.{0,8}?"
    r"(?:还|又|仍然|依然)(?:在|是|要|一直)?(?:发|推|收到|给我发)"
    r"|(?:为什么|怎么)?退订(?:短信)?(?:不了|失败|没用|无效|不成功))"
)
_ZH_THREAT = re.compile(
    rf"(?P<kw>再(?:给我)?发{_ZH_OBJ}?(?:的话)?我?就?(?:投诉|举报|报警|拉黑|打12321|告你))"
)
_ZH_RESUB = re.compile(
    rf"^{_ZH_LEAD}*+(?P<kw>(?:重新|恢复|继续)?订阅|取消(?:退订|拒收)|(?:恢复|重新|继续)接收)"
    rf"{_ZH_OBJ}?{_ZH_TRAIL}*+$"
)
_ZH_HELP = re.compile(rf"^{_ZH_LEAD}*+(?P<kw>帮助|求助){_ZH_TRAIL}*+$")
_ZH_NEGATION = re.compile(
    r"(?:不|别|勿|没|甭|莫|无需|无须|不用|不必|不需要|暂不|先不)"
    r"(?:要|想|用|必|是|是要|有|需要|打算|准备)?(?:帮我|给我|替我)?(?:退订|退定|取消订阅|拒收|td)"
)


def normalise_reply(text: str) -> str:
    """NFKC, casefold, traditional→simplified, trim noise at both ends, collapse whitespace."""
    folded = unicodedata.normalize("NFKC", text).casefold().translate(_T2S)
    return _SPACES.sub(" ", _EDGES.sub("", folded))


def _result(intent: ReplyIntent, keyword: str | None, normalised: str) -> ReplyClass:
    scope = SCOPE_SENDER
    if intent is ReplyIntent.UNSUBSCRIBE and keyword and "stopall" in keyword.replace(" ", ""):
        scope = SCOPE_ALL
    return ReplyClass(intent, scope, keyword, normalised)


def classify_reply(text: str) -> ReplyClass:
    """Classify one MO reply; see the module docstring for the rules and why."""
    normalised = normalise_reply(text)
    if not normalised:
        return ReplyClass(ReplyIntent.NONE, SCOPE_SENDER, None, normalised)
    aside = _ASIDE.match(normalised)
    if aside and aside.end() < len(normalised):
        intent, keyword = _classify(normalised[aside.end():])
        if intent in (ReplyIntent.UNSUBSCRIBE, ReplyIntent.HELP):
            return _result(intent, keyword, normalised)
    intent, keyword = _classify(normalised)
    if intent is ReplyIntent.NONE:
        return ReplyClass(ReplyIntent.NONE, SCOPE_SENDER, None, normalised)
    return _result(intent, keyword, normalised)


def _classify(normalised: str) -> tuple[ReplyIntent, str | None]:
    """The intent and keyword of normalised text (rules 2 to 6)."""
    spaced = _NONWORD.sub(" ", normalised.replace("'", "").replace("\u2019", "")).strip()
    compact = spaced.replace(" ", "")

    intent = _INTENT_OF.get(spaced)
    if intent is not None:
        return intent, spaced
    if _EN_NEGATION.search(spaced) or _ZH_NEGATION.search(spaced):
        return ReplyIntent.NONE, None

    if _ZEROS.fullmatch(compact):
        return ReplyIntent.UNSUBSCRIBE, compact
    if m := _EN_COMMAND.match(spaced):
        kw = m.group("kw")
        return _INTENT_OF[kw], kw
    if m := _EN_REFUSAL.match(spaced):
        return ReplyIntent.UNSUBSCRIBE, m.group("kw")

    if _CJK.search(compact):
        for pattern in (_ZH_UNSUB, _ZH_HOWTO, _ZH_COMPLAINT):
            if m := pattern.match(compact):
                return ReplyIntent.UNSUBSCRIBE, m.group("kw")
        if m := _ZH_THREAT.search(compact):
            return ReplyIntent.UNSUBSCRIBE, m.group("kw")
        if m := _ZH_RESUB.match(compact):
            return ReplyIntent.RESUBSCRIBE, m.group("kw")
        if m := _ZH_HELP.match(compact):
            return ReplyIntent.HELP, m.group("kw")

    return ReplyIntent.NONE, None
