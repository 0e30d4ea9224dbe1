"""Plain-data records that cross a topic: emits, envelopes, decisions and dead letters.

The worker and the replay tool both build their output from these functions, which is what
makes `sendguard replay` print byte-for-byte what the worker publishes.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final, NamedTuple, cast

# Logical topic ids (keys of topics/topics.toml); names are resolved by settings.
APPROVED: Final = "approved"
DROPPED: Final = "dropped"
DEAD_LETTER: Final = "dead_letter"
RECIPIENT_EVENTS: Final = "recipient_events"
# The priority lane's internal topic: recipient events the worker decides ahead of queued bulk
# traffic (verification codes, notifications marked priority high; app/rules/routing.py).
PRIORITY_EVENTS: Final = "priority_events"
CONSENT_EVENTS: Final = "consent_events"
CONSENT_OUTCOMES: Final = "consent_outcomes"
# Not a topic: a fact for the worker's metrics (a reply's class, a delivery report's status),
# so the core stays pure; replay prints none.
OBSERVATION: Final = "observation"
CONSENT_FIELDS: Final = ("event_id", "tenant", "category", "action", "source", "occurred_at")

# Size bounds that keep every record the worker writes publishable (topics/README.md, "Sizes").
# A dead letter keeps the original key and value in full while together they are at most
# DEAD_LETTER_ORIGINAL_MAX_BYTES: Kafka's default message.max.bytes, so every record an input
# topic with default limits accepts. Larger ones (an operator raised an input topic's limit)
# keep a DEAD_LETTER_PREFIX_BYTES prefix of each part, with its length and sha256.
DEAD_LETTER_ORIGINAL_MAX_BYTES: Final = 1_048_588
DEAD_LETTER_PREFIX_BYTES: Final = 64 * 1024
# Free text the worker writes (a decision's detail, a dead letter's error) is clipped to this.
TEXT_MAX_CHARS: Final = 1000
# The largest record the worker sends (its producer's max_request_size); topics.toml gives each
# topic the worker writes a max.message.bytes that its largest record fits in, up to this.
MAX_RECORD_BYTES: Final = 4 * 1024 * 1024

# The fields of an intent that decision records carry (unknown extra fields are not forwarded).
INTENT_FIELDS: Final = (
    "msg_id", "tenant", "signature", "category", "phone", "content", "campaign_id", "expires_at",
)


class Emit(NamedTuple):
    """One record to publish: logical topic id, key (str or None) and JSON value."""

    topic: str
    key: str | None
    value: dict[str, Any]


_TUPLE_NEW: Final = tuple.__new__  # (looked up once: compiled, not an attribute per call)


def _emit(topic: str, key: Any, value: dict[str, Any]) -> Emit:  # key: str or None
    """`Emit(topic, key, value)`: a NamedTuple's own constructor is a Python function, this
    is about 2x cheaper (one per decision)."""
    return cast(Emit, _TUPLE_NEW(Emit, (topic, key, value)))



@dataclass(frozen=True, slots=True)
class Source:
    """Where an input record came from; its coordinates make redelivery detectable."""

    topic: str
    partition: int
    offset: int
    timestamp_ms: int

    @property
    def token(self) -> str:
        return f"{self.topic}:{self.partition}:{self.offset}"


# Below 2**33 s (year 2242) ts_ms / 1000 as a float is within 0.48 µs of the exact time, so
# datetime's microseconds are exactly ms * 1000 and the fast path formats the same text.
_FAST_ISO_LIMIT_MS: Final = 2**33 * 1000
# "SS." and "mmmZ" by value: two list lookups instead of two int formats per timestamp.
_SECONDS: Final = [f"{s:02d}." for s in range(60)]
_MILLIS: Final = [f"{ms:03d}Z" for ms in range(1000)]

# The instants RFC 3339 can write (years 0000-9999, in UTC).
RFC3339_MIN_MS: Final = -62_167_219_200_000  # 0000-01-01T00:00:00.000Z
RFC3339_MAX_MS: Final = 253_402_300_799_999  # 9999-12-31T23:59:59.999Z
# The earliest instant a payload's timestamp plausibly means (earlier: a defaulted field).
PLAUSIBLE_MIN_MS: Final = 946_684_800_000  # 2000-01-01T00:00:00.000Z
_DAY_MS: Final = 86_400_000


def iso_ms(ts_ms: int) -> str:
    """Epoch milliseconds -> RFC 3339 UTC with milliseconds ('2026-11-22T06:03:59.123Z').

    Total: an instant RFC 3339 cannot write (before year 0000, after 9999: only a corrupt
    record timestamp) is clamped to the nearest one it can, so no input makes this raise."""
    if type(ts_ms) is int and 0 <= ts_ms < _FAST_ISO_LIMIT_MS:
        in_minute_ms = ts_ms % 60_000  # (integer arithmetic, which mypyc compiles to C)
        minutes = ts_ms // 60_000
        minute = _MINUTES.get(minutes)
        if minute is None:
            minute = _iso_minute(minutes)
        return f"{minute}{_SECONDS[in_minute_ms // 1000]}{_MILLIS[in_minute_ms % 1000]}"
    ms = min(max(int(ts_ms), RFC3339_MIN_MS), RFC3339_MAX_MS)
    days, in_day_ms = divmod(ms, _DAY_MS)
    year, month, day = _civil_from_days(days)
    seconds, millis = divmod(in_day_ms, 1000)
    return (f"{year:04d}-{month:02d}-{day:02d}T{seconds // 3600:02d}:{seconds // 60 % 60:02d}:"
            f"{seconds % 60:02d}.{millis:03d}Z")


# '2026-11-22T06:03:' by minute, cached: decisions come in time order, many per minute (epoch
# time has no leap seconds, so a minute is always 60,000 ms). A plain dict, emptied when full,
# rather than lru_cache: compiled, a dict lookup is done in C, a cached function is a call.
_MINUTES: Final[dict[int, str]] = {}
_MINUTES_KEPT: Final = 1024


def _iso_minute(minutes: int) -> str:
    if len(_MINUTES) >= _MINUTES_KEPT:
        _MINUTES.clear()
    text = _MINUTES[minutes] = datetime.fromtimestamp(minutes * 60, tz=UTC).strftime(
        "%Y-%m-%dT%H:%M:")
    return text


# RFC 3339 section 5.6 date-time, and nothing else: 'T' (or 't') between date and time, seconds
# required, an offset required ('Z', 'z' or +hh:mm/-hh:mm). datetime.fromisoformat also takes
# a space, week and ordinal dates, basic format (20261122T1000), hour-only times and no offset.
_RFC3339: Final = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt]([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]+))?"
    r"(?:[Zz]|([+-])([0-9]{2}):([0-9]{2}))")
RFC3339_EXAMPLE: Final = "2026-11-22T20:00:00+08:00"
_MONTH_DAYS: Final = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def parse_rfc3339_ms(text: object) -> int:
    """RFC 3339 date-time with an explicit offset -> epoch ms; ValueError otherwise, never any
    other exception. Digits past the millisecond are dropped; a leap second (:60) is read as
    the second after :59 (epoch time has none). -00:00 ("offset unknown") is read as UTC."""
    if not isinstance(text, str):
        raise ValueError(f"must be an RFC 3339 string (e.g. {RFC3339_EXAMPLE})")
    found = _RFC3339.fullmatch(text) if len(text) <= 64 else None
    if found is None:
        raise ValueError(f"is not an RFC 3339 date-time with an offset (e.g. {RFC3339_EXAMPLE})")
    year, month, day = int(found[1]), int(found[2]), int(found[3])
    hour, minute, second = int(found[4]), int(found[5]), int(found[6])
    if not 1 <= month <= 12 or not 1 <= day <= _days_in_month(year, month):
        raise ValueError(f"has no such date ({found[1]}-{found[2]}-{found[3]})")
    if hour > 23 or minute > 59 or second > 60:
        raise ValueError(f"has no such time of day ({found[4]}:{found[5]}:{found[6]})")
    offset_s = 0
    if found[8] is not None:
        offset_hours, offset_minutes = int(found[9]), int(found[10])
        if offset_hours > 23 or offset_minutes > 59:
            raise ValueError(f"has no such offset ({found[8]}{found[9]}:{found[10]})")
        offset_s = (offset_hours * 3600 + offset_minutes * 60) * (1 if found[8] == "+" else -1)
    millis = int((found[7] or "")[:3].ljust(3, "0"))
    local_s = _days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second
    return (local_s - offset_s) * 1000 + millis


def _days_in_month(year: int, month: int) -> int:
    if month == 2 and year % 4 == 0 and (year % 100 != 0 or year % 400 == 0):
        return 29
    return _MONTH_DAYS[month - 1]


def _days_from_civil(year: int, month: int, day: int) -> int:
    """Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm)."""
    year -= 1 if month <= 2 else 0
    era = year // 400
    year_of_era = year - era * 400
    day_of_year = (153 * (month - 3 if month > 2 else month + 9) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    return era * 146_097 + day_of_era - 719_468


def _civil_from_days(days: int) -> tuple[int, int, int]:
    """(year, month, day) of a day count since 1970-01-01 (inverse of _days_from_civil)."""
    days += 719_468
    era = days // 146_097
    day_of_era = days - era * 146_097
    year_of_era = (day_of_era - day_of_era // 1460 + day_of_era // 36_524
                   - day_of_era // 146_096) // 365
    day_of_year = day_of_era - (365 * year_of_era + year_of_era // 4 - year_of_era // 100)
    shifted_month = (5 * day_of_year + 2) // 153
    day = day_of_year - (153 * shifted_month + 2) // 5 + 1
    month = shifted_month + 3 if shifted_month < 10 else shifted_month - 9
    return year_of_era + era * 400 + (1 if month <= 2 else 0), month, day


def decision_record(
    intent: dict[str, Any],
    phone: Any,  # str or None (see app.rules.core._record)
    reason: str,
    detail: str | None,
    policy_version: str,
    decided_ms: int,
) -> Emit:
    """The one decision record for an intent, on sms.approved (reason "ok") or sms.dropped."""
    # INTENT_FIELDS spelt out (each a string, else None), then the verdict's fields, in one
    # dict display: one per decision, so no helper layers (tests/test_core.py holds the field
    # order to INTENT_FIELDS).
    # (`intent.get` each time: compiled, a bound `get` would be a call through Python)
    msg_id, tenant, signature = intent.get("msg_id"), intent.get("tenant"), intent.get("signature")
    category, given_phone, text = intent.get("category"), intent.get("phone"), intent.get("content")
    campaign_id, expires_at = intent.get("campaign_id"), intent.get("expires_at")
    approved = reason == "ok"
    value: dict[str, Any] = {
        "msg_id": msg_id if isinstance(msg_id, str) else None,
        "tenant": tenant if isinstance(tenant, str) else None,
        "signature": signature if isinstance(signature, str) else None,
        "category": category if isinstance(category, str) else None,
        "phone": phone if phone is not None else (
            given_phone if isinstance(given_phone, str) else None),
        "content": text if isinstance(text, str) else None,
        "campaign_id": campaign_id if isinstance(campaign_id, str) else None,
        "expires_at": expires_at if isinstance(expires_at, str) else None,
        "decision": "approved" if approved else "dropped",
        "reason": reason,
        "detail": detail if detail is None or len(detail) <= TEXT_MAX_CHARS else clip(detail),
        "policy_version": policy_version,
        "decided_at": iso_ms(decided_ms),
    }
    return _emit(APPROVED if approved else DROPPED, phone, value)


def dead_letter(
    source: Source,
    stage: str,
    error_class: str,
    error: str,
    key: bytes | None,
    value: bytes | None,
    policy_version: str,
) -> Emit:
    """A record that could not be decided, with its original bytes, so nothing is lost.

    Key and value are kept in full up to DEAD_LETTER_ORIGINAL_MAX_BYTES together (base64 adds
    a third: the dead-letter topic's limit is sized for it); beyond, each part longer than
    DEAD_LETTER_PREFIX_BYTES keeps that prefix, and `*_bytes` and `*_sha256` always describe
    the whole original, so the dead letter itself can never be too large to publish.
    """
    whole = len(key or b"") + len(value or b"") <= DEAD_LETTER_ORIGINAL_MAX_BYTES
    return Emit(DEAD_LETTER, None, {
        "source_topic": source.topic,
        "partition": source.partition,
        "offset": source.offset,
        "timestamp": iso_ms(source.timestamp_ms),
        "stage": stage,
        "error_class": error_class,
        "error": clip(error),
        **_original("key", key, whole),
        **_original("value", value, whole),
        "policy_version": policy_version,
    })


def _original(part: str, data: bytes | None, whole: bool) -> dict[str, Any]:
    if data is None:
        return {f"{part}_base64": None, f"{part}_bytes": None, f"{part}_sha256": None,
                f"{part}_truncated": False}
    kept = data if whole else data[:DEAD_LETTER_PREFIX_BYTES]
    return {f"{part}_base64": base64.b64encode(kept).decode("ascii"),
            f"{part}_bytes": len(data), f"{part}_sha256": hashlib.sha256(data).hexdigest(),
            f"{part}_truncated": len(kept) < len(data)}


def bounded_id(text: str, limit: int = 128) -> str:
    """An id as SendGuard stores or derives it: as given up to `limit` characters, else by its
    sha256 ("sha256:<hex>"), still unique and never large."""
    if len(text) <= limit:
        return text
    return "sha256:" + hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def clip(text: str | None, limit: int = TEXT_MAX_CHARS) -> str | None:
    """Free text cut to `limit` characters (ending in '…' when cut): details can echo input."""
    if text is None or len(text) <= limit:
        return text
    return text[:limit - 1] + "…"


def consent_outcome_record(
    event: dict[str, Any],
    phone: str,
    result: str,
    reason: str | None,
    detail: str | None,
    policy_version: str,
    decided_ms: int,
    read_as: dict[str, Any] | None = None,
) -> Emit:
    """What became of one consent event: applied, rejected (with a reason), duplicate, stale;
    `read_as`: the tenant, category, action and occurred_at it was judged as (None when the
    event could not be read)."""
    value = _string_fields(event, CONSENT_FIELDS)
    value["phone"] = phone
    value["result"] = result
    _add_verdict(value, reason, detail, policy_version, decided_ms)
    value["read_as"] = read_as
    return _emit(CONSENT_OUTCOMES, phone, value)


def _string_fields(source: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    """The named fields of an input record, each a string or None (wrong types dropped)."""
    return {name: field if isinstance(field := source.get(name), str) else None
            for name in names}


def _add_verdict(value: dict[str, Any], reason: str | None, detail: str | None,
                 policy_version: str, decided_ms: int) -> None:
    """The verdict's fields, added in place (in this order) to a record's value."""
    value["reason"] = reason
    value["detail"] = clip(detail)
    value["policy_version"] = policy_version
    value["decided_at"] = iso_ms(decided_ms)
