"""Quiet hours in the recipient's local time: never silently UTC.

The zone comes from the policy's [zones] table (longest E.164 prefix) or else from the
number itself (libphonenumber's prefix→zone data: +86 is Asia/Shanghai, +1 415 is
America/Los_Angeles). A number that maps to several zones (+44, +61, toll-free +1 800) is
read strictly: it is quiet when it is quiet in any of them, and a held message is released
only when it is quiet in none.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Final
from zoneinfo import ZoneInfo

import phonenumbers
from phonenumbers import timezone as phone_zones

from app.rules.policy import Policy

_UNKNOWN: Final = "Etc/Unknown"
_ZONES_KEPT: Final = 65536  # recipients' zones kept per policy
_MINUTES_KEPT: Final = 4096  # local minutes kept per zone
_KEPT_MS_LIMIT: Final = 2**33 * 1000
_LOCAL_MINUTES: Final[dict[ZoneInfo, dict[int, int]]] = {}
# The instants a datetime can hold in every zone, a day to spare (next_open_ms adds one).
_DATETIME_MIN_MS: Final = -62_135_596_800_000 + 2 * 86_400_000  # 0001-01-03T00:00:00Z
_DATETIME_MAX_MS: Final = 253_402_300_799_999 - 2 * 86_400_000  # 9999-12-29T23:59:59.999Z


@lru_cache(maxsize=512)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


@lru_cache(maxsize=65536)
def _number_zones(e164: str) -> tuple[str, ...]:
    if e164.startswith("+86"):
        return ("Asia/Shanghai",)
    try:
        zones = phone_zones.time_zones_for_number(phonenumbers.parse(e164))
    except phonenumbers.NumberParseException:
        return ()
    return tuple(z for z in zones if z != _UNKNOWN)


def zones_for(e164: str, policy: Policy) -> tuple[ZoneInfo, ...]:
    """The recipient's possible time zones (at least one: the policy's default), kept per
    policy (a recipient's next message asks again)."""
    known = policy.derived("quiet.zones", _no_zones)
    zones = known.get(e164)
    if zones is None:
        if len(known) >= _ZONES_KEPT:
            known.clear()
        zones = known[e164] = _zones_for(e164, policy)
    return zones


def _no_zones(policy: Policy) -> dict[str, tuple[ZoneInfo, ...]]:
    return {}


def _zones_for(e164: str, policy: Policy) -> tuple[ZoneInfo, ...]:
    best = ""
    for prefix in policy.zones:
        if e164.startswith(prefix) and len(prefix) > len(best):
            best = prefix
    names = (policy.zones[best],) if best else _number_zones(e164) or (policy.timezone,)
    return tuple(_zone(name) for name in names)


def _in_range(minute: int, window: tuple[int, int]) -> bool:
    start, end = window
    return start <= minute < end if start < end else minute >= start or minute < end


def quiet_zone(now_ms: int, zones: tuple[ZoneInfo, ...],
               window: tuple[int, int]) -> tuple[ZoneInfo, datetime] | None:
    """(zone, local time) of a zone where `now` is inside the quiet window, or None."""
    for zone in zones:
        if _in_range(_local_minute(now_ms, zone), window):
            return zone, _utc(now_ms).astimezone(zone)
    return None


def can_defer(now_ms: int) -> bool:
    """Whether an intent decided at `now_ms` may be held for quiet hours: not when a datetime
    cannot hold the time (a corrupt record timestamp), whose release could never come."""
    return _DATETIME_MIN_MS <= now_ms <= _DATETIME_MAX_MS


def _utc(now_ms: int) -> datetime:
    """`now_ms` as a UTC datetime. A record timestamp a datetime cannot hold (only a corrupt
    one: years 0001 and 9999 at the edges) is clamped into range, so none makes a rule raise."""
    return datetime.fromtimestamp(min(max(now_ms, _DATETIME_MIN_MS), _DATETIME_MAX_MS) / 1000,
                                  tz=UTC)


def _local_minute(now_ms: int, zone: ZoneInfo) -> int:
    """The local time's hour * 60 + minute, kept by (zone, UTC minute): decisions come in
    time order, many a minute, and a datetime conversion costs ~10 dict lookups.

    A UTC minute is kept only when the zone's offset is a whole number of minutes at its
    first and last second, so the same all through it (time zone transitions fall on whole
    seconds, never two in a minute); otherwise, and outside the range where ms / 1000 is exact
    to the microsecond (as records.iso_ms), it is converted every time."""
    if not 0 <= now_ms < _KEPT_MS_LIMIT:
        local = _utc(now_ms).astimezone(zone)
        return local.hour * 60 + local.minute
    minute = now_ms // 60_000
    by_minute = _LOCAL_MINUTES.get(zone)
    if by_minute is None or len(by_minute) >= _MINUTES_KEPT:
        by_minute = _LOCAL_MINUTES[zone] = {}
    found = by_minute.get(minute)
    if found is not None:
        return found
    local = datetime.fromtimestamp(now_ms / 1000, tz=UTC).astimezone(zone)
    local_minute = local.hour * 60 + local.minute
    first = datetime.fromtimestamp(minute * 60, tz=UTC).astimezone(zone).utcoffset()
    last = datetime.fromtimestamp(minute * 60 + 59, tz=UTC).astimezone(zone).utcoffset()
    if first is not None and first == last and first.total_seconds() % 60 == 0:
        by_minute[minute] = local_minute
    return local_minute


def next_open_ms(now_ms: int, zones: tuple[ZoneInfo, ...], window: tuple[int, int]) -> int:
    """The first moment at or after `now_ms` when no zone is in its quiet window."""
    moment = now_ms
    for _ in range(4 * len(zones) + 4):
        found = quiet_zone(moment, zones, window)
        if found is None:
            return moment
        zone, local = found
        end_h, end_m = divmod(window[1], 60)
        opens = local.replace(hour=end_h, minute=end_m, second=0, microsecond=0)
        if opens <= local:
            opens = (local + timedelta(days=1)).replace(hour=end_h, minute=end_m, second=0,
                                                        microsecond=0)
        # Wall-clock arithmetic in the zone, then back to UTC: DST-safe enough for a minute
        # boundary, and never earlier than `moment`.
        moment = max(moment + 1, round(opens.replace(tzinfo=zone).timestamp() * 1000))
    return moment
