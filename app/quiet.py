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

from app.policy import Policy

_UNKNOWN: Final = "Etc/Unknown"


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
    """The recipient's possible time zones (at least one: the policy's default)."""
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
    moment = datetime.fromtimestamp(now_ms / 1000, tz=UTC)
    for zone in zones:
        local = moment.astimezone(zone)
        if _in_range(local.hour * 60 + local.minute, window):
            return zone, local
    return None


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
