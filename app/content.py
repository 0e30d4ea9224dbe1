"""Content rules, and the segment count billing needs.

Marketing must tell the recipient how to refuse (MIIT 2015: a convenient, working way to
refuse); verification codes and notifications must not carry refusal instructions, a sign of
marketing sent through the wrong category, which platforms treat as a serious violation.
Banned phrases (fraud, impersonation) come from the policy.
"""

from __future__ import annotations

import functools
import re
import unicodedata

from app.policy import Policy

# Refusal *instructions* ("回T退订", "拒收请回复R", "Reply STOP"), not the words alone: a
# notification may confirm "您已退订营销短信".
_INSTRUCTION = re.compile(
    r"回复?\s*(?:TD|T|N|R)\s*退订|退订\s*(?:请)?回(?:复)?\s*(?:TD|T|N)\b|拒收\s*请?\s*回复?\s*R"
    r"|\breply\s+(?:stop|unsubscribe|td)\b|\btext\s+stop\b",
    re.IGNORECASE,
)

# GSM 03.38 default alphabet; the extension table's characters take two septets.
_GSM7 = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXTENDED = frozenset("^{}\\[~]|€\f")


@functools.lru_cache(maxsize=4096)
def _fold(text: str) -> str:
    """NFKC and case folded; cached: the policy's phrases and a campaign's content repeat."""
    return unicodedata.normalize("NFKC", text).casefold()


def has_notice(content: str, notices: tuple[str, ...]) -> bool:
    folded = _fold(content)
    return any(_fold(notice) in folded for notice in notices)


def refusal_instruction(content: str, policy: Policy) -> str | None:
    """The refusal instruction a non-marketing message carries, if any."""
    notices = policy.categories["marketing"].unsubscribe_notice
    folded = _fold(content)
    for notice in notices:
        if _fold(notice) in folded:
            return notice
    match = _INSTRUCTION.search(unicodedata.normalize("NFKC", content))
    return match.group(0) if match else None


def banned_phrase(content: str, policy: Policy) -> str | None:
    folded = _fold(content)
    for phrase in policy.banned_phrases:
        if _fold(phrase) in folded:
            return phrase
    return None


def segments(content: str) -> int:
    """SMS parts: GSM-7 160 single / 153 per part; else UCS-2 70 / 67 (UTF-16 units)."""
    if all(ch in _GSM7 or ch in _GSM7_EXTENDED for ch in content):
        septets = len(content) + sum(ch in _GSM7_EXTENDED for ch in content)
        return 1 if septets <= 160 else -(-septets // 153)
    units = len(content.encode("utf-16-le")) // 2
    return 1 if units <= 70 else -(-units // 67)
