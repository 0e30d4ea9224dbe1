"""Phone numbers: normalise any common written form to E.164, and mask for logs.

Upstream services write numbers however their users typed them (13812345678,
+86 138 1234 5678, 008613812345678, +1 (415) 555-0100). State, keys and caps must agree on
one form, so everything is normalised to E.164 before it is routed. Full-width forms
(＋８６ １３８…, typed with a Chinese IME) are folded to ASCII first (NFKC), and only ASCII
digits count after that: a mixed-width number must not become a second recipient with its own
consent and caps.

SMS reaches mobiles only, so a number is accepted only if Google's libphonenumber metadata
calls it valid and of type MOBILE or FIXED_LINE_OR_MOBILE (regions such as the US and Canada
that cannot tell the two apart). Every other type is refused, in every written form: fixed
lines, toll-free, shared-cost (400), premium rate, VoIP, personal numbers, pagers, UAN and
voicemail, and unallocated ranges. Mainland Chinese mobiles (most traffic) take a fast path:
a set of national prefixes derived from the same metadata when this module is imported, so it
agrees with the slow path exactly (tests/test_phones.py checks every 1XX and 1XXX prefix).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

import phonenumbers
from phonenumbers import PhoneNumber, PhoneNumberType

_SEPARATORS: Final = re.compile(r"[\s\-().\u00a0\u3000]+")
_DIGITS: Final = re.compile(r"\+?[0-9]{4,20}")  # \d would also match other scripts' digits

# The number types an SMS can be delivered to. FIXED_LINE_OR_MOBILE: regions whose numbering
# plan does not tell mobiles from landlines (NANP); refusing them would refuse all of them.
SMS_TYPES: Final = frozenset({PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE})
_TYPE_NAMES: Final = {
    PhoneNumberType.FIXED_LINE: "a fixed line",
    PhoneNumberType.TOLL_FREE: "a toll-free number",
    PhoneNumberType.PREMIUM_RATE: "a premium-rate number",
    PhoneNumberType.SHARED_COST: "a shared-cost number",
    PhoneNumberType.VOIP: "a VoIP number",
    PhoneNumberType.PERSONAL_NUMBER: "a personal (forwarding) number",
    PhoneNumberType.PAGER: "a pager",
    PhoneNumberType.UAN: "a universal access number",
    PhoneNumberType.VOICEMAIL: "a voicemail number",
}

CN_COUNTRY_CODE: Final = 86
CN_MOBILE_LENGTH: Final = 11  # the only possible length of a mainland mobile's national number


class InvalidPhone(ValueError):
    """The text is not a phone number SendGuard can send an SMS to."""


def sms_reachable(number: PhoneNumber) -> bool:
    """Whether libphonenumber calls `number` valid and of a type an SMS can reach."""
    return (phonenumbers.is_valid_number(number)
            and phonenumbers.number_type(number) in SMS_TYPES)


def _cn_sms_reachable(national: str) -> bool:
    return sms_reachable(PhoneNumber(country_code=CN_COUNTRY_CODE, national_number=int(national)))


def _uniform(prefix: str, length: int) -> bool | None:
    """Whether every `length`-digit number starting with `prefix` is an SMS-reachable CN
    number (True), none is (False), or the digits after the prefix matter (None).

    Judged on completions that reach each next digit followed by 0s, 5s, 9s and a run of
    all digits: libphonenumber's patterns are digit ranges followed by `\\d{n}`, so a range
    boundary after `prefix` shows as a disagreement among them (the test checks the result)."""
    rest = length - len(prefix)
    if rest == 0:
        return _cn_sms_reachable(prefix)
    tails = ("0" * rest, "5" * rest, "9" * rest, ("0123456789" * 2)[:rest],
             ("9876543210" * 2)[:rest])
    seen = {_cn_sms_reachable(prefix + digit + tail[1:]) for digit in "0123456789"
            for tail in tails}
    return seen.pop() if len(seen) == 1 else None


def cn_mobile_prefixes(length: int = CN_MOBILE_LENGTH) -> tuple[int, frozenset[str]]:
    """(depth, prefixes): the national prefixes of `depth` digits whose numbers of `length`
    digits are all SMS-reachable mainland numbers, by libphonenumber's metadata."""
    leaves: list[str] = []
    pending = ["1"]  # mainland mobiles all start with 1; other first digits are never mobile
    while pending:
        prefix = pending.pop()
        verdict = _uniform(prefix, length)
        if verdict is None:
            pending.extend(prefix + digit for digit in "0123456789")
        elif verdict:
            leaves.append(prefix)
    depth = max((len(leaf) for leaf in leaves), default=1)
    prefixes: set[str] = set()
    for leaf in leaves:  # widened to one depth: the fast path is one slice and one lookup
        widen = depth - len(leaf)
        prefixes.update(leaf + str(n).zfill(widen) if widen else leaf
                        for n in range(10 ** widen))
    return depth, frozenset(prefixes)


_CN_PREFIX_DEPTH, _CN_MOBILE_PREFIXES = cn_mobile_prefixes()


def is_cn_mobile(national: str) -> bool:
    """Whether `national` (ASCII digits) is an SMS-reachable mainland number: the fast path."""
    return (len(national) == CN_MOBILE_LENGTH
            and national[:_CN_PREFIX_DEPTH] in _CN_MOBILE_PREFIXES)


def normalise_phone(raw: object, default_region: str = "CN") -> str:
    """Return `raw` as E.164 ("+8613812345678"), or raise InvalidPhone saying why."""
    if not isinstance(raw, str):
        raise InvalidPhone("phone must be a string")
    text = _SEPARATORS.sub("", unicodedata.normalize("NFKC", raw).strip())
    if text.startswith("00"):
        text = "+" + text[2:]
    if not _DIGITS.fullmatch(text):
        raise InvalidPhone("phone must hold only digits, spaces, dashes, brackets and a leading +")
    # Fast path: mainland Chinese mobiles, with or without the 86 country code.
    national = text
    if text.startswith("+86"):
        national = text[3:]
    elif text.startswith("86") and len(text) == 13:
        national = text[2:]
    if is_cn_mobile(national):
        return "+86" + national
    try:
        parsed = phonenumbers.parse(text, None if text.startswith("+") else default_region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhone(f"unparseable phone number: {exc.error_type!s}") from exc
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidPhone("not a valid number for its country (or an unallocated range)")
    kind = phonenumbers.number_type(parsed)
    if kind not in SMS_TYPES:
        raise InvalidPhone(f"{_TYPE_NAMES.get(kind, 'not a mobile number')}: SMS reaches "
                           "mobiles only")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def mask_phone(phone: str | None) -> str:
    """Mask a phone for logs and answers: +8613812345678 -> +86138****5678."""
    if not phone:
        return ""
    keep_tail = 4
    if len(phone) <= keep_tail + 3:
        return "*" * len(phone)
    head = phone[:6] if phone.startswith("+") else phone[:3]
    return head + "*" * (len(phone) - len(head) - keep_tail) + phone[-keep_tail:]
