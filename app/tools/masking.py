"""Pseudonymous phone numbers for traces that are shared (`sendguard capture --mask-phones`).

A masked trace must still decide like the real one, so a number is not starred out but
replaced by a fake number of the same kind: the same country code and first national digits
(a Chinese mobile's 1XX prefix, a US area code), valid for its country, with the same time
zones and number type, so consent, caps, quiet hours and validity come out the same. Each
real number gets one fake, distinct from every other's, so recipients still group as before.
The fake digits come from an HMAC under a key drawn at random for each capture and never
written down: a fake cannot be mapped back, and two captures mask the same number differently.

Only the recipient's number is masked (each record's `phone` field and a key that holds a
number); message content, reply texts and consent evidence are copied as they are.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from typing import Any

import phonenumbers
from phonenumbers import timezone as phone_zones

from app.rules.phones import InvalidPhone, normalise_phone

KEEP_DIGITS = 3  # national digits kept: a Chinese mobile's 1XX, a NANP area code
MIN_FAKE_DIGITS = 4  # at least this many are replaced, however short the number
ATTEMPTS = 200  # fakes tried before keeping one more digit of the real number
LONG_DIGIT_RUN = re.compile(r"[0-9]{7,}")  # in a key, a run that could be a phone number


class PhoneMasker:
    """Masks phone numbers consistently within one capture."""

    def __init__(self, default_region: str = "CN", key: bytes | None = None) -> None:
        self._key = key if key is not None else secrets.token_bytes(32)
        self._region = default_region
        self._fakes: dict[str, str] = {}  # real E.164 -> fake E.164
        self._taken: set[str] = set()
        self.unmatched = 0  # numbers no fake of the same kind was found for (masked invalid)

    @property
    def numbers(self) -> int:
        """Distinct numbers masked so far."""
        return len(self._fakes)

    def value(self, value: Any) -> Any:
        """A record's JSON value with its `phone` field masked (a new object).

        A value that is not an object is replaced by an empty one of the same JSON type: it
        is dead-lettered the same way, and whatever it held stays out of the trace."""
        if isinstance(value, dict):
            if "phone" not in value:
                return value
            return {**value, "phone": self.phone(value["phone"])}
        return _empty_like(value)

    def phone(self, phone: Any) -> Any:
        """A phone field's masked value: a valid number's fake, an invalid one's token."""
        if not isinstance(phone, str):
            return _empty_like(phone)  # wrong-typed: still wrong-typed (invalid_intent)
        if not phone:
            return phone
        try:
            e164 = normalise_phone(phone, self._region)
        except InvalidPhone:
            return self._token(phone)
        return self.fake(e164)

    def key(self, key: str | None, value: Any) -> str | None:
        """A record key: the value's phone as given -> the same mask; another phone number
        -> its fake; anything else with a run of 7 or more digits -> a token."""
        if key is None or not key:
            return key
        if isinstance(value, dict) and key == value.get("phone"):
            return self.phone(key)  # type: ignore[no-any-return]
        try:
            return self.fake(normalise_phone(key, self._region))
        except InvalidPhone:
            pass
        return self._token(key) if LONG_DIGIT_RUN.search(key) else key

    def raw(self, value: bytes) -> str:
        """A value that is not JSON: replaced by text that is not JSON either."""
        return f"masked: not JSON ({len(value)} bytes)"

    def fake(self, e164: str) -> str:
        """The fake number standing for the valid number `e164` in this capture."""
        found = self._fakes.get(e164)
        if found is not None:
            return found
        country, national = _split(e164)
        fake = None
        # Keep KEEP_DIGITS of the real number (fewer if short); in a rare numbering plan where
        # no fake of the same kind turns up, keep one more digit at a time.
        for keep in range(min(KEEP_DIGITS, max(0, len(national) - MIN_FAKE_DIGITS)),
                          len(national)):
            fake = self._find_fake(e164, f"+{country}{national[:keep]}", len(national) - keep)
            if fake is not None:
                break
        if fake is None:
            self.unmatched += 1
            fake = self._token(e164)
        self._fakes[e164] = fake
        self._taken.add(fake)
        return fake

    def _find_fake(self, e164: str, prefix: str, digits: int) -> str | None:
        for attempt in range(ATTEMPTS):
            tail = int.from_bytes(self._mac(f"{e164}/{digits}/{attempt}"), "big") % 10**digits
            fake = f"{prefix}{tail:0{digits}d}"
            if fake != e164 and fake not in self._taken and _same_kind(e164, fake):
                return fake
        return None

    def _token(self, text: str) -> str:
        """An invalid phone or an id: a stable token that no phone check accepts."""
        return "masked:" + self._mac(text).hex()[:16]

    def _mac(self, text: str) -> bytes:
        return hmac.new(self._key, text.encode("utf-8", "surrogatepass"), hashlib.sha256).digest()


def _split(e164: str) -> tuple[str, str]:
    """(country code, national significant number) of a normalised number."""
    if e164.startswith("+86"):
        return "86", e164[3:]
    number = phonenumbers.parse(e164)
    return str(number.country_code), phonenumbers.national_significant_number(number)


def _same_kind(real: str, fake: str) -> bool:
    """Whether `fake` is decided like `real`: valid, same region, type and time zones."""
    try:
        if normalise_phone(fake) != fake:
            return False
    except InvalidPhone:
        return False
    if real.startswith("+86"):
        return True  # (mainland mobiles: one zone, and normalise_phone checked the form)
    a, b = phonenumbers.parse(real), phonenumbers.parse(fake)
    return (phonenumbers.region_code_for_number(a) == phonenumbers.region_code_for_number(b)
            and phonenumbers.number_type(a) == phonenumbers.number_type(b)
            and phone_zones.time_zones_for_number(a) == phone_zones.time_zones_for_number(b))


def _empty_like(value: Any) -> Any:
    """An empty value of the same JSON type (null and booleans hold nothing: kept)."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        return ""
    if isinstance(value, int | float):
        return type(value)(0)
    return type(value)()  # list, dict
