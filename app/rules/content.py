"""Content rules, and the segment count billing needs.

Marketing must tell the recipient how to refuse (MIIT 2015: a convenient, working way to
refuse); verification codes and notifications must not carry refusal instructions, a sign of
marketing sent through the wrong category, which platforms treat as a serious violation.
Banned phrases (fraud, impersonation) come from the policy.

Every comparison reads the content as app/rules/textnorm.py normalises it, the same way replies are
read: full width, case, traditional characters, invisible characters and quote look-alikes
make no difference, and phrases compare in compact form (letters and digits only), so a
space, punctuation or a zero-width character inside 中奖 or 回复TD退订 hides nothing.
"""

from __future__ import annotations

import re
from typing import Final, NamedTuple

from app.rules.policy import Policy
from app.rules.textnorm import compact, fold

# Refusal *instructions* ("回T退订", "拒收请回复R", "Reply STOP"), not the words alone: a
# notification may confirm "您已退订营销短信". Chinese forms are read in compact form (回复“TD”退订,
# 回 T 退订 and 回\u200bT退订 are 回复td退订...); a code is TD, T, N, R or four or more zeros, and
# not the start of a word or of another instruction (回复R重新订阅).
_CODE: Final = r"(?:td|t|n|r|0{4,})(?![a-z0-9])(?!重新|恢复|订阅|开通|查询|确认|领取|参与|办理)"
_REPLY_ZH: Final = r"(?:回复?|发送?|编辑|输入)(?:短信)?"
# A condition that names no refusal word: "if you'd rather not receive (these messages), reply
# TD" (如不想再收到此类短信，请回复TD; 若不需要请回N). What it may not want is messages, a
# service or nothing named, never another thing (如不需要发票请回复N is an ordinary question).
_ZH_CONDITION: Final = (
    "(?:如果?|若|假如|要是|倘若)(?:您|你)?(?:不想要?|不愿意?|不希望|不需要|不再需要|无需|不要|拒绝|不愿再)"
    "再?(?:收到|接收|接到|收|获取|看到|订阅)?"
    "(?:此类|这类|这些|该类|类似|相关|后续|更多|我们的?|我司的?|我行的?|本|此|该)?"
    "(?:营销|推广|广告|优惠|活动)?(?:短信|信息|消息|推送|通知|提醒|简讯|讯息|服务|打扰|被打扰)?"
    "(?:的话)?(?:请|请您|您可|可|即可|可以|直接)*"
)
_ZH_INSTRUCTION: Final = re.compile(
    rf"{_REPLY_ZH}{_CODE}(?:到\d+)?(?:即可|可|就能|就可以|可以)?(?:退订|拒收|退出|取消订阅|免打扰)"
    rf"|(?:退订|拒收|取消订阅|退出|拒绝接收|免打扰)(?:短信|信息|消息)?(?:请|请您|可|即可|您可)?"
    rf"{_REPLY_ZH}{_CODE}"
    rf"|{_ZH_CONDITION}{_REPLY_ZH}{_CODE}(?!取消(?!订阅|推送|短信|信息)|改|预约|预订)"
)
# English: reply / text / send, then an opt-out keyword (quotes folded to ASCII and dropped).
_EN_INSTRUCTION: Final = re.compile(
    r"\b(?:reply|replying|respond|text|txt|send|sms|msg|message)\s+(?:with\s+|back\s+)?"
    r"[\"']?\s*(?:stop|stopall|unsubscribe|unsub|optout|opt\s*-?\s*out|td|arret)\b"
    r"|\b(?:to\s+)?(?:opt\s*-?\s*out|unsubscribe)\b[^.!?\n]{0,24}?\b(?:reply|text|txt|send)\b"
    # the condition names no keyword, the code any: "to stop receiving these, reply N"
    r"|\b(?:to\s+(?:stop|end|quit)\s+(?:receiving|getting|these|this|our|all|future|further)"
    r"|if\s+you\s+(?:no\s+longer|dont|do\s+not|would\s+rather\s+not)\s+(?:wish|want|like)?\s*"
    r"(?:to\s+)?(?:receive|get|hear)\s+(?:\w+\s+){0,3}?(?:texts|messages|alerts|sms|marketing"
    r"|promotions|notifications|offers|updates|from\s+us))\b[^.!?\n]{0,40}?"
    r"\b(?:reply|text|txt|send|respond)\s+(?:with\s+)?[a-z0-9]{1,12}\b"
)

_EN_WORDS: Final = ("repl", "respond", "text", "txt", "send", "sms", "msg", "message", "opt",
                     "unsub")

# GSM 03.38 default alphabet; the extension table's characters take two septets.
_GSM7: Final = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXTENDED: Final = frozenset("^{}\\[~]|€\f")
# Not in the GSM 03.38 alphabet (default or extension): one C-level scan in `segments`.
_NOT_GSM7: Final = re.compile(f"[^{''.join(map(re.escape, sorted(_GSM7 | _GSM7_EXTENDED)))}]")

# 【】 and what looks like them: a body holding any is a second signature, and a signature
# written with a look-alike is no registered signature (ASCII [] are left to ordinary text).
SIGNATURE_BRACKETS: Final = "【】〖〗〘〙〚〛［］︻︼︗︘⟦⟧"
_BRACKET: Final = re.compile(f"[{SIGNATURE_BRACKETS}]")


class Text(NamedTuple):
    """A message's content as the rules read it, normalised once per decision."""

    folded: str  # app/textnorm.fold: NFKC, case, traditional, invisibles, look-alikes


class Phrases(NamedTuple):
    """The policy's phrases, once per policy: each as given with the regex that finds it in
    folded content whatever non-letters lie between its letters (its compact form in the
    compact content), and for each list one regex that finds whether any occurs."""

    notices: tuple[tuple[str, re.Pattern[str]], ...]  # marketing's unsubscribe notices
    banned: tuple[tuple[str, re.Pattern[str]], ...]
    any_notice: re.Pattern[str] | None  # None: no phrase
    any_banned: re.Pattern[str] | None
    any_phrase: re.Pattern[str] | None  # any notice or banned phrase


def prepare(content: str) -> Text:
    """The content folded, once for every rule below."""
    return _TUPLE_NEW(Text, (fold(content),))


_TUPLE_NEW: Final = tuple.__new__  # (a NamedTuple's own constructor is a Python function)
_GAP: Final = r"[\W_]*"


def phrase_pattern(phrase: str) -> str | None:
    """A regex that finds `phrase` in folded text as its compact form finds it in compact
    text: its letters and digits in order, anything else between. A phrase without a letter
    or digit ("！！") is found as written; a blank one never (None)."""
    folded = fold(phrase).strip()
    key = compact(folded)
    if key:
        return _GAP.join(re.escape(ch) for ch in key)
    return re.escape(folded) if folded else None


def _keyed(phrases: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    keyed: list[tuple[str, str]] = []
    for phrase in phrases:
        pattern = phrase_pattern(phrase)
        if pattern is not None:
            keyed.append((phrase, pattern))
    return tuple(keyed)


def _any_of(keyed: tuple[tuple[str, str], ...]) -> re.Pattern[str] | None:
    """A regex that matches where any of the phrases occurs."""
    return re.compile("|".join(pattern for _, pattern in keyed)) if keyed else None


def _compiled(keyed: tuple[tuple[str, str], ...]) -> tuple[tuple[str, re.Pattern[str]], ...]:
    return tuple((phrase, re.compile(pattern)) for phrase, pattern in keyed)


def _build(policy: Policy) -> Phrases:
    notices = _keyed(policy.categories["marketing"].unsubscribe_notice)
    banned = _keyed(policy.banned_phrases)
    return Phrases(_compiled(notices), _compiled(banned), _any_of(notices), _any_of(banned),
                   _any_of(notices + banned))


def phrases(policy: Policy) -> Phrases:
    return policy.derived("content", _build)


def _first(keyed: tuple[tuple[str, re.Pattern[str]], ...], any_of: re.Pattern[str] | None,
           folded: str) -> str | None:
    """The first phrase, in policy order, that occurs in the folded text."""
    if any_of is None or any_of.search(folded) is None:
        return None
    for phrase, pattern in keyed:
        if pattern.search(folded) is not None:
            return phrase
    return None


def has_notice(text: Text, policy: Policy) -> bool:
    """Whether marketing content tells how to refuse: one of the policy's notices, or any
    refusal instruction (回复TD退订 is a notice whichever of the usual forms it takes)."""
    found = phrases(policy)
    return (_first(found.notices, found.any_notice, text.folded) is not None
            or instruction(text) is not None)


def no_phrase(text: Text, policy: Policy) -> bool:
    """Whether neither a notice nor a banned phrase occurs: one scan where a message that is
    not marketing would take two (`refusal_instruction`'s and `banned_phrase`'s)."""
    any_phrase = phrases(policy).any_phrase
    return any_phrase is None or any_phrase.search(text.folded) is None


def refusal_instruction(text: Text, policy: Policy) -> str | None:
    """The refusal instruction a non-marketing message carries, if any: a policy notice (the
    first in policy order) or an instruction in one of the usual forms."""
    found = phrases(policy)
    notice = _first(found.notices, found.any_notice, text.folded)
    return notice if notice is not None else instruction(text)


def instruction(text: Text) -> str | None:
    """A refusal instruction in one of the usual forms (回T退订, 拒收请回复R, reply STOP...),
    as it reads normalised, if any."""
    folded = text.folded
    # Every Chinese form holds 回, 发, 编辑 or 输入; every English one one of these words.
    if "回" in folded or "发" in folded or "编" in folded or "输" in folded:
        match = _ZH_INSTRUCTION.search(compact(folded))
        if match is not None:
            return match.group()
    if any(word in folded for word in _EN_WORDS):
        english = _EN_INSTRUCTION.search(folded.replace('"', " ").replace("'", " "))
        if english is not None:
            return " ".join(english.group().split())
    return None


def banned_phrase(text: Text, policy: Policy) -> str | None:
    found = phrases(policy)
    return _first(found.banned, found.any_banned, text.folded)


def bracket_in(content: str, start: int = 0) -> str | None:
    """The first 【, 】 or look-alike bracket in `content` from `start`, if any."""
    match = _BRACKET.search(content, start)
    return match.group() if match is not None else None


def segments(content: str) -> int:
    """SMS parts: GSM-7 160 single / 153 per part; else UCS-2 70 / 67 (UTF-16 units)."""
    # "【" is not GSM-7: an approved intent starts with its 【signature】 (no regex needed)
    if "【" not in content and _NOT_GSM7.search(content) is None:
        septets = len(content) + sum(ch in _GSM7_EXTENDED for ch in content)
        return 1 if septets <= 160 else -(-septets // 153)
    units = len(content.encode("utf-16-le")) // 2
    return 1 if units <= 70 else -(-units // 67)
