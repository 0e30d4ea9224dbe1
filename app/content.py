"""Content rules, and the segment count billing needs.

Marketing must tell the recipient how to refuse (MIIT 2015: a convenient, working way to
refuse); verification codes and notifications must not carry refusal instructions, a sign of
marketing sent through the wrong category, which platforms treat as a serious violation.
Banned phrases (fraud, impersonation) come from the policy.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final, NamedTuple, cast

from app.policy import Policy

# Refusal *instructions* ("回T退订", "拒收请回复R", "Reply STOP"), not the words alone: a
# notification may confirm "您已退订营销短信".
_INSTRUCTION: Final = re.compile(
    r"回复?\s*(?:TD|T|N|R)\s*退订|退订\s*(?:请)?回(?:复)?\s*(?:TD|T|N)\b|拒收\s*请?\s*回复?\s*R"
    r"|\breply\s+(?:stop|unsubscribe|td)\b|\btext\s+stop\b",
    re.IGNORECASE,
)

# GSM 03.38 default alphabet; the extension table's characters take two septets.
_GSM7: Final = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXTENDED: Final = frozenset("^{}\\[~]|€\f")


# NFKC without the general algorithm, for the usual message (see `nfkc`). Characters NFKC leaves
# alone and that never compose: printable ASCII, CJK unified ideographs, and the CJK symbols and
# punctuation without a decomposition or a combining class; plus full-width ASCII, which NFKC
# maps to the one ASCII character 0xFEE0 below.
_FULLWIDTH_ASCII: Final = "\uff01-\uff5e"
_INERT_CJK_PUNCTUATION: Final = "".join(
    ch for ch in map(chr, range(0x3001, 0x3040))
    if unicodedata.normalize("NFKD", ch) == ch and not unicodedata.combining(ch)
)
_NOT_SIMPLE: Final = re.compile(
    f"[^\\x20-\\x7e\\u4e00-\\u9fff{re.escape(_INERT_CJK_PUNCTUATION)}{_FULLWIDTH_ASCII}]"
)
_FULLWIDTH: Final = re.compile(f"[{_FULLWIDTH_ASCII}]")
# Not simple, or full-width: text without any is its own NFKC (the usual message: one scan).
_NOT_PLAIN: Final = re.compile(f"[^\\x20-\\x7e\\u4e00-\\u9fff{re.escape(_INERT_CJK_PUNCTUATION)}]")
# Not plain, or an upper-case ASCII letter: text without any is its own NFKC and its own
# casefold (lower() would copy it unchanged).
_NOT_PLAIN_OR_UPPER: Final = re.compile(
    f"[^\\x20-\\x40\\x5b-\\x7e\\u4e00-\\u9fff{re.escape(_INERT_CJK_PUNCTUATION)}]")
# Not in the GSM 03.38 alphabet (default or extension): one C-level scan in `segments`.
_NOT_GSM7: Final = re.compile(f"[^{''.join(map(re.escape, sorted(_GSM7 | _GSM7_EXTENDED)))}]")


def nfkc(text: str) -> str:
    """unicodedata.normalize("NFKC", text), about 3x faster on the usual Chinese message.

    When every character is one of the simple ones above, NFKC decomposes nothing but the
    full-width forms (each to one ASCII character), reorders nothing (no combining class) and
    composes nothing (none can be the second of a composition), so the result is those
    replacements. Anything else takes the general algorithm. tests/test_rules.py checks both.
    """
    if _NOT_SIMPLE.search(text) is not None:
        return unicodedata.normalize("NFKC", text)
    return _fold_fullwidth(text)


def _fold_fullwidth(text: str) -> str:
    for wide in set(_FULLWIDTH.findall(text)):
        text = text.replace(wide, chr(ord(wide) - 0xFEE0))
    return text


class Text(NamedTuple):
    """A message's content as the rules read it, normalised once per decision."""

    nfkc: str  # NFKC: full-width forms folded to ASCII (what the instruction regex reads)
    folded: str  # NFKC and case folded (what phrases are looked up in)


class Phrases(NamedTuple):
    """The policy's phrases as given and case folded, folded once per policy, and for each
    list a regex of the folded phrases that finds whether any occurs in one C-level scan."""

    notices: tuple[tuple[str, str], ...]  # marketing's unsubscribe notices
    banned: tuple[tuple[str, str], ...]
    any_notice: re.Pattern[str] | None  # None: no phrase
    any_banned: re.Pattern[str] | None
    any_phrase: re.Pattern[str] | None  # any notice or banned phrase


def fold(text: str) -> str:
    """NFKC and case folded: how a phrase and the content are compared."""
    return unicodedata.normalize("NFKC", text).casefold()


def prepare(content: str) -> Text:
    """`Text(nfkc(content), fold(content))`, in one regex scan for the usual message."""
    # The characters that are not plain (printable ASCII, CJK ideographs, the inert CJK
    # punctuation): usually none, or a few full-width forms such as "，". Simple text (plain
    # and full-width forms only) folds to printable ASCII and caseless CJK, where lower() is
    # casefold() and about 6x faster (tests/test_rules.py checks every such character).
    # The usual Chinese message's one full-width form first: replace() and a search that finds
    # nothing are cheaper than a findall, a set and the loop (which the rest still takes).
    normal = content.replace("，", ",") if "，" in content else content
    found = _NOT_PLAIN_OR_UPPER.search(normal)
    if found is None:  # and no upper-case letter: lower() would give the same text
        return _text(normal, normal)
    if _NOT_PLAIN.search(normal, found.start()) is None:  # (what precedes it is plain)
        return _text(normal, normal.lower())
    normal = content
    for special in set(_NOT_PLAIN.findall(content)):
        if not "\uff01" <= special <= "\uff5e":  # not simple: the general algorithm
            normal = unicodedata.normalize("NFKC", content)
            return _text(normal, normal.casefold())
        normal = normal.replace(special, chr(ord(special) - 0xFEE0))
    return _text(normal, normal.lower())


_TUPLE_NEW: Final = tuple.__new__  # (looked up once: compiled, not an attribute per call)


def _text(nfkc: str, folded: str) -> Text:
    # A NamedTuple's own constructor is a Python function: this is ~2x cheaper per decision.
    return cast(Text, _TUPLE_NEW(Text, (nfkc, folded)))



def _any_of(folded: tuple[tuple[str, str], ...]) -> re.Pattern[str] | None:
    """A regex that matches where any of the phrases occurs (literal alternatives)."""
    if not folded:
        return None
    return re.compile("|".join(re.escape(phrase) for _, phrase in folded))


def _build(policy: Policy) -> Phrases:
    notices = tuple((n, fold(n)) for n in policy.categories["marketing"].unsubscribe_notice)
    banned = tuple((p, fold(p)) for p in policy.banned_phrases)
    return Phrases(notices, banned, _any_of(notices), _any_of(banned), _any_of(notices + banned))


def phrases(policy: Policy) -> Phrases:
    return policy.derived("content", _build)


def has_notice(text: Text, policy: Policy) -> bool:
    """Whether the content carries one of marketing's unsubscribe notices."""
    any_notice = phrases(policy).any_notice
    return any_notice is not None and any_notice.search(text.folded) is not None


def no_phrase(text: Text, policy: Policy) -> bool:
    """Whether neither a notice nor a banned phrase occurs: one scan where a message that is
    not marketing would take two (`refusal_instruction`'s and `banned_phrase`'s)."""
    any_phrase = phrases(policy).any_phrase
    return any_phrase is None or any_phrase.search(text.folded) is None


def refusal_instruction(text: Text, policy: Policy) -> str | None:
    """The refusal instruction a non-marketing message carries, if any."""
    folded = text.folded
    found = phrases(policy)
    if found.any_notice is not None and found.any_notice.search(folded) is not None:
        for notice, folded_notice in found.notices:  # the first in policy order
            if folded_notice in folded:
                return notice
    return instruction(text)


def instruction(text: Text) -> str | None:
    """A refusal instruction in the regex's own wording (回T退订, reply stop...), if any."""
    folded = text.folded
    # Every alternative of _INSTRUCTION holds 回 or the ASCII word reply or text (which only
    # ASCII letters match, case-insensitively): without them, skip the slower regex.
    if "回" not in text.nfkc and "reply" not in folded and "text" not in folded:
        return None
    match = _INSTRUCTION.search(text.nfkc)
    return match.group(0) if match else None


def banned_phrase(text: Text, policy: Policy) -> str | None:
    folded = text.folded
    found = phrases(policy)
    if found.any_banned is None or found.any_banned.search(folded) is None:
        return None
    for phrase, folded_phrase in found.banned:  # the first in policy order
        if folded_phrase in folded:
            return phrase
    return None


def segments(content: str) -> int:
    """SMS parts: GSM-7 160 single / 153 per part; else UCS-2 70 / 67 (UTF-16 units)."""
    # "【" is not GSM-7: an approved intent starts with its 【signature】 (no regex needed)
    if "【" not in content and _NOT_GSM7.search(content) is None:
        septets = len(content) + sum(ch in _GSM7_EXTENDED for ch in content)
        return 1 if septets <= 160 else -(-septets // 153)
    units = len(content.encode("utf-16-le")) // 2
    return 1 if units <= 70 else -(-units // 67)
