"""Frequency caps: rolling windows over the timestamps of approved messages, exact to the ms.

A cap "count/window" allows at most `count` approved messages in any window of that length
ending now, i.e. with timestamps in (now - window, now]. State per recipient:

    state["sent"] = {"<tenant>|<category>": [ts_ms, ...], "*": [ts_ms, ...]}

(written as tuples, replaced rather than changed in place, as app/core.py explains for `seen`;
read back from JSON they are lists)

Each list is sorted and bounded: never more than the largest cap count of its scope, never
older than its longest window, so a recipient's cap state is O(caps), not O(messages). Only
approved messages are recorded. Faust's windowed tables do not fit: a hopping window's
`.value()` reads the newest window, not the rolling count, and their expiry runs on wall-clock
time rather than record time.
"""

from __future__ import annotations

from bisect import bisect_right, insort
from collections.abc import Sequence
from typing import Any, Final, NamedTuple

from app.policy import Policy

GLOBAL_SCOPE: Final = "*"


class Scope(NamedTuple):
    """One cap scope's rules, derived once per policy: windows in ms, the detail each cap gives
    when broken, and the bound its timestamp list keeps (longest window, largest count)."""

    caps: tuple[tuple[int, int, str], ...]  # (count, window_ms, detail) in policy order
    horizon_ms: int
    keep: int


class CapRules(NamedTuple):
    by_category: dict[str, Scope | None]  # None: the category has no caps
    global_scope: Scope | None
    by_key: dict[str, Scope | None]  # by state key, for "*" and the policy's tenants
    # (state key, scope) of the scopes with caps, category first, by tenant then category of
    # the policy: built once, not two keys and a tuple per decision
    applying: dict[str, dict[str, tuple[tuple[str, Scope], ...]]]
    # (keep, horizon_ms) by state key, for the keys of by_key that have caps (prune's check)
    bounds: dict[str, tuple[int, int]]


def _scope(label: str, caps: tuple[Any, ...]) -> Scope | None:
    if not caps:
        return None
    return Scope(tuple((cap.count, cap.window_s * 1000, f"{label} {cap.text}") for cap in caps),
                 max(cap.window_s for cap in caps) * 1000, max(cap.count for cap in caps))


def _build(policy: Policy) -> CapRules:
    by_category = {name: _scope(name, cat.caps) for name, cat in policy.categories.items()}
    global_scope = _scope("global", policy.global_caps)
    by_key = {f"{tenant}|{category}": scope for tenant in policy.tenants
              for category, scope in by_category.items()}
    by_key[GLOBAL_SCOPE] = global_scope
    applying = {tenant: {category: _applying(tenant, category, by_category, global_scope)
                         for category in by_category} for tenant in policy.tenants}
    bounds = {key: (scope.keep, scope.horizon_ms) for key, scope in by_key.items()
              if scope is not None}
    return CapRules(by_category, global_scope, by_key, applying, bounds)


def _applying(tenant: str, category: str, by_category: dict[str, Scope | None],
              global_scope: Scope | None) -> tuple[tuple[str, Scope], ...]:
    pairs = ((f"{tenant}|{category}", by_category[category]), (GLOBAL_SCOPE, global_scope))
    return tuple((key, scope) for key, scope in pairs if scope is not None)


def _scope_of_key(key: str, cap_rules: CapRules) -> Scope | None:
    """The scope a state key counts for (its category's; a tenant may have left the policy)."""
    if key in cap_rules.by_key:
        return cap_rules.by_key[key]
    return cap_rules.by_category.get(key.rpartition("|")[2])


def rules(policy: Policy) -> CapRules:
    """The policy's cap scopes, built on first use."""
    return policy.derived("caps", _build)


def _scopes_with_caps(tenant: str, category: str,
                      policy: Policy) -> tuple[tuple[str, Scope], ...]:
    """(state key, scope) for every cap scope that applies and has caps, category first, from
    the per-policy table (a tenant the policy does not name, which only a direct caller can
    pass, is derived on the spot)."""
    cap_rules = rules(policy)
    by_category = cap_rules.applying.get(tenant)
    found = by_category.get(category) if by_category is not None else None
    if found is None:
        return _applying(tenant, category, cap_rules.by_category, cap_rules.global_scope)
    return found


def broken_cap(state: dict[str, Any], tenant: str, category: str, now_ms: int,
               policy: Policy) -> str | None:
    """The first cap a new message would break, as "marketing 1/7d", or None."""
    sent: dict[str, Sequence[int]] | None = state.get("sent")
    if not sent:
        return None
    for key, scope in _scopes_with_caps(tenant, category, policy):
        times = sent.get(key)
        if not times:
            continue
        held = len(times)
        for count, window_ms, detail in scope.caps:
            # Fewer timestamps than the count cannot break it: skip the search.
            if held >= count and held - bisect_right(times, now_ms - window_ms) >= count:
                return detail
    return None


def record_approval(state: dict[str, Any], tenant: str, category: str, now_ms: int,
                    policy: Policy) -> None:
    """Count one approved message in every scope, pruning each list to its bound."""
    scopes = _scopes_with_caps(tenant, category, policy)
    sent: dict[str, Sequence[int]] | None = state.get("sent")
    if sent is None:
        if not scopes:
            return
        sent = state["sent"] = {}
    for key, scope in scopes:
        times = sent.get(key)
        if not times:
            sent[key] = (now_ms,)  # (a bound keeps at least one, and now is in every window)
            continue
        if times[-1] <= now_ms:  # in time order, as usual: insort would append
            kept: tuple[int, ...] = (*times, now_ms)
        else:
            ordered = list(times)
            insort(ordered, now_ms)
            kept = tuple(ordered)
        start = _first_kept(kept, now_ms, scope)
        sent[key] = kept[start:] if start else kept
    if not sent:
        del state["sent"]


def prune(state: dict[str, Any], now_ms: int, policy: Policy) -> None:
    """Drop timestamps no cap can see any more; drop empty scopes."""
    sent: dict[str, Sequence[int]] | None = state.get("sent")
    if sent is None:
        return
    due: list[tuple[str, Sequence[int]]] | None = None
    if sent:
        bounds = rules(policy).bounds
        for key, times in sent.items():
            bound = bounds.get(key)
            # The usual case: nothing aged out, nothing over the bound.
            if (bound is not None and times and times[0] > now_ms - bound[1]
                    and len(times) <= bound[0]):
                continue
            if due is None:
                due = []
            due.append((key, times))  # or a key the policy no longer names: checked below
    if due is not None:
        cap_rules = rules(policy)
        for key, times in due:
            scope = _scope_of_key(key, cap_rules)
            start = _first_kept(times, now_ms, scope) if scope is not None else len(times)
            if start >= len(times):
                del sent[key]
            elif start:
                sent[key] = times[start:]
    if not sent:
        del state["sent"]


def _first_kept(times: Sequence[int], now_ms: int, scope: Scope) -> int:
    """Index of the first timestamp inside the scope's longest window and largest count."""
    return max(bisect_right(times, now_ms - scope.horizon_ms), len(times) - scope.keep)
