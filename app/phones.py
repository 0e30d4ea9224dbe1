"""Phone numbers: normalise any common written form to E.164, and mask for logs.

Upstream services write numbers however their users typed them (13812345678,
+86 138 1234 5678, 008613812345678, +1 (415) 555-0100). State, keys and caps must agree on
one form, so everything is normalised to E.164 before it is routed. Chinese mobiles take a
fast path (most traffic); everything else goes through Google's libphonenumber metadata.
Full-width forms (＋８６ １３８…, typed with a Chinese IME) are folded to ASCII first (NFKC), and
only ASCII digits count after that: a mixed-width number must not become a second recipient
with its own consent and caps.
"""

from __future__ import annotations

import re
import unicodedata

import phonenumbers

_SEPARATORS = re.compile(r"[\s\-().\u00a0\u3000]+")
_CN_MOBILE = re.compile(r"1[3-9][0-9]{9}")
_DIGITS = re.compile(r"\+?[0-9]{4,20}")  # \d would also match other scripts' digits


class InvalidPhone(ValueError):
    """The text is not a phone number SendGuard can send an SMS to."""


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
    if _CN_MOBILE.fullmatch(national):
        return "+86" + national
    if text.startswith("+86"):
        raise InvalidPhone("not a mainland Chinese mobile number (+86 1[3-9]XXXXXXXXX)")
    try:
        parsed = phonenumbers.parse(text, None if text.startswith("+") else default_region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhone(f"unparseable phone number: {exc.error_type!s}") from exc
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidPhone("not a valid number for its country")
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
