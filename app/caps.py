"""Frequency caps: rolling windows over the timestamps of approved messages, exact to the ms.

A cap "count/window" allows at most `count` approved messages in any window of that length
ending now, i.e. with timestamps in (now - window, now]. State per recipient:

    state["sent"] = {"<tenant>|<category>": [ts_ms, ...], "*": [ts_ms, ...]}

Each list is sorted and bounded: never more than the largest cap count of its scope, never
older than its longest window, so a recipient's cap state is O(caps), not O(messages). Only
approved messages are recorded. Faust's windowed tables do not fit: a hopping window's
`.value()` reads the newest window, not the rolling count, and their expiry runs on wall-clock
time rather than record time.
"""

from __future__ import annotations

import bisect
from typing import Any

from app.policy import Cap, Policy

GLOBAL_SCOPE = "*"


def scopes(tenant: str, category: str, policy: Policy) -> list[tuple[str, str, tuple[Cap, ...]]]:
    """(state key, label for the detail, caps) for every cap scope that applies."""
    return [(f"{tenant}|{category}", category, policy.categories[category].caps),
            (GLOBAL_SCOPE, "global", policy.global_caps)]


def broken_cap(state: dict[str, Any], tenant: str, category: str, now_ms: int,
               policy: Policy) -> str | None:
    """The first cap a new message would break, as "marketing 1/7d", or None."""
    sent: dict[str, list[int]] = state.get("sent") or {}
    for key, label, caps in scopes(tenant, category, policy):
        times = sent.get(key)
        if not times:
            continue
        for cap in caps:
            in_window = len(times) - bisect.bisect_right(times, now_ms - cap.window_s * 1000)
            if in_window >= cap.count:
                return f"{label} {cap.text}"
    return None


def record_approval(state: dict[str, Any], tenant: str, category: str, now_ms: int,
                    policy: Policy) -> None:
    """Count one approved message in every scope, pruning each list to its bound."""
    sent: dict[str, list[int]] = state.setdefault("sent", {})
    for key, _, caps in scopes(tenant, category, policy):
        if not caps:
            continue
        times = sent.setdefault(key, [])
        bisect.insort(times, now_ms)
        sent[key] = _bounded(times, now_ms, caps)
    if not sent:
        del state["sent"]


def prune(state: dict[str, Any], now_ms: int, policy: Policy) -> None:
    """Drop timestamps no cap can see any more; drop empty scopes."""
    sent: dict[str, list[int]] = state.get("sent") or {}
    for key in list(sent):
        if key == GLOBAL_SCOPE:
            caps = policy.global_caps
        else:
            category = key.rsplit("|", 1)[-1]
            caps = policy.categories[category].caps if category in policy.categories else ()
        kept = _bounded(sent[key], now_ms, caps) if caps else []
        if kept:
            sent[key] = kept
        else:
            del sent[key]
    if "sent" in state and not sent:
        del state["sent"]


def _bounded(times: list[int], now_ms: int, caps: tuple[Cap, ...]) -> list[int]:
    horizon = now_ms - max(cap.window_s for cap in caps) * 1000
    keep = max(cap.count for cap in caps)
    start = max(bisect.bisect_right(times, horizon), len(times) - keep)
    return times[start:]
