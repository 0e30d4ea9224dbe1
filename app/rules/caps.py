"""Frequency caps: rolling windows over the timestamps of approved messages, exact to the ms.

A cap "count/window" allows at most `count` approved messages in any window of that length
ending now, i.e. with timestamps in (now - window, now]. Three scopes: a category's `caps`
count per tenant, its `recipient_caps` across every tenant, `[global] caps` across every
tenant and category. State per recipient:

    state["sent"] = {"<tenant>|<category>": [ts_ms, ...],   # category caps
                     "*|<category>": [ts_ms, ...],          # recipient caps ("*": every tenant)
                     "*": [ts_ms, ...]}                     # global caps

    state["sent_due"] = [due_ms, rules_id]

(written as tuples, replaced rather than changed in place, as app/rules/core.py explains for `seen`;
read back from JSON they are lists)

Each list is sorted and bounded: never more than the largest cap count of its scope, never
older than its longest window, so a recipient's cap state is O(caps), not O(messages). Only
approved messages are recorded. Faust's windowed tables do not fit: a hopping window's
`.value()` reads the newest window, not the rolling count, and their expiry runs on wall-clock
time rather than record time.

`sent_due` makes `prune` O(1) when nothing is due, which is almost always (it walked every list
of a heavy recipient on each event): a lower bound of the first time any list has a timestamp
past its longest window, valid while every list is within its count (true after each walk and
each approval) under the cap rules whose `rules_id` it names. A state without it (written
before it existed) or with another rules_id (the policy's caps changed) is walked, which sets it.

A walk also fills a missing "*|<category>" list from the category's tenant lists: every
timestamp in them is an approved message of that category to this recipient, so a state
written before the category had recipient caps (or before they existed) counts the messages
it still holds, rather than none.
"""

from __future__ import annotations

import zlib
from bisect import bisect_right, insort
from collections.abc import Sequence
from typing import Any, Final, NamedTuple

from app.rules.policy import Policy

GLOBAL_SCOPE: Final = "*"
SENT_DUE: Final = "sent_due"  # state key: [due_ms, rules_id] (module docstring)


class Scope(NamedTuple):
    """One cap scope's rules, derived once per policy: windows in ms, the detail each cap gives
    when broken, and the bound its timestamp list keeps (longest window, largest count)."""

    caps: tuple[tuple[int, int, str], ...]  # (count, window_ms, detail) in policy order
    horizon_ms: int
    keep: int


class CapRules(NamedTuple):
    by_category: dict[str, Scope | None]  # None: the category has no caps
    by_recipient: dict[str, Scope | None]  # by category; None: no recipient caps
    global_scope: Scope | None
    # by state key, for "*", every "*|<category>" and the policy's tenants
    by_key: dict[str, Scope | None]
    # (state key, scope) of the scopes with caps, tenant, recipient then global, by tenant then
    # category of the policy: built once, not three keys and a tuple per decision
    applying: dict[str, dict[str, tuple[tuple[str, Scope], ...]]]
    recipient_keys: dict[str, str]  # "*|<category>" by category, for those with recipient caps
    # (keep, horizon_ms) by state key, for the keys of by_key that have caps (prune's check)
    bounds: dict[str, tuple[int, int]]
    rules_id: int  # the bounds' fingerprint, stable across processes (sent_due names it)


def _scope(label: str, caps: tuple[Any, ...]) -> Scope | None:
    if not caps:
        return None
    return Scope(tuple((cap.count, cap.window_s * 1000, f"{label} {cap.text}") for cap in caps),
                 max(cap.window_s for cap in caps) * 1000, max(cap.count for cap in caps))


def _recipient_key(category: str) -> str:
    return f"{GLOBAL_SCOPE}|{category}"


def _build(policy: Policy) -> CapRules:
    by_category = {name: _scope(name, cat.caps) for name, cat in policy.categories.items()}
    by_recipient = {name: _scope(f"{name} recipient", cat.recipient_caps)
                    for name, cat in policy.categories.items()}
    global_scope = _scope("global", policy.global_caps)
    by_key = {f"{tenant}|{category}": scope for tenant in policy.tenants
              for category, scope in by_category.items()}
    by_key.update((_recipient_key(category), scope) for category, scope in by_recipient.items())
    by_key[GLOBAL_SCOPE] = global_scope
    applying = {tenant: {category: _applying(tenant, category, by_category, by_recipient,
                                             global_scope)
                         for category in by_category} for tenant in policy.tenants}
    recipient_keys = {category: _recipient_key(category)
                      for category, scope in by_recipient.items() if scope is not None}
    bounds = {key: (scope.keep, scope.horizon_ms) for key, scope in by_key.items()
              if scope is not None}
    rules_id = zlib.crc32(repr(sorted(bounds.items())).encode())
    return CapRules(by_category, by_recipient, global_scope, by_key, applying, recipient_keys,
                    bounds, rules_id)


def _applying(tenant: str, category: str, by_category: dict[str, Scope | None],
              by_recipient: dict[str, Scope | None],
              global_scope: Scope | None) -> tuple[tuple[str, Scope], ...]:
    pairs = ((f"{tenant}|{category}", by_category.get(category)),
             (_recipient_key(category), by_recipient.get(category)),
             (GLOBAL_SCOPE, global_scope))
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
    """(state key, scope) for every cap scope that applies and has caps (tenant, recipient,
    global), from the per-policy table (a tenant the policy does not name, which only a direct
    caller can pass, is derived on the spot)."""
    cap_rules = rules(policy)
    by_category = cap_rules.applying.get(tenant)
    found = by_category.get(category) if by_category is not None else None
    if found is None:
        return _applying(tenant, category, cap_rules.by_category, cap_rules.by_recipient,
                         cap_rules.global_scope)
    return found


def broken_cap(state: dict[str, Any], tenant: str, category: str, now_ms: int,
               policy: Policy) -> str | None:
    """The first cap a new message would break, as "marketing 1/7d", "marketing recipient
    1/7d" or "global 40/24h" (in that order of scope), or None."""
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
    due = state.get(SENT_DUE)
    if due is not None and tenant not in rules(policy).applying:  # (a direct caller's tenant)
        del state[SENT_DUE]  # its keys have no bound: prune walks them every time
        due = None
    due_ms: int | None = due[0] if due is not None else None
    for key, scope in scopes:
        times = sent.get(key)
        if not times:
            kept: tuple[int, ...] = (now_ms,)  # (a bound keeps at least one)
        else:
            if times[-1] <= now_ms:  # in time order, as usual: insort would append
                kept = (*times, now_ms)
            else:
                ordered = list(times)
                insort(ordered, now_ms)
                kept = tuple(ordered)
            start = _first_kept(kept, now_ms, scope)
            if start:
                kept = kept[start:]
        sent[key] = kept
        if due_ms is not None and kept[0] + scope.horizon_ms < due_ms:
            due_ms = kept[0] + scope.horizon_ms  # (an earlier timestamp came in out of order)
    if not sent:
        del state["sent"]
    elif due is not None and due_ms is not None and due_ms != due[0]:
        state[SENT_DUE] = (due_ms, due[1])


def prune(state: dict[str, Any], now_ms: int, policy: Policy) -> None:
    """Drop timestamps no cap can see any more; drop empty scopes."""
    sent: dict[str, Sequence[int]] | None = state.get("sent")
    if sent is None:
        state.pop(SENT_DUE, None)  # (a state left by a rollback to code without it may hold one)
        return
    cap_rules = rules(policy)
    due = state.get(SENT_DUE)
    if due is not None and now_ms < due[0] and due[1] == cap_rules.rules_id:
        return  # the usual case: nothing aged out, nothing over a bound
    # The walk: what is kept is the same as checking every list on every call would keep.
    for category, key in cap_rules.recipient_keys.items():
        if key not in sent:
            fill_recipient_scope(sent, key, category)
    due_ms: int | None = None
    walk_always = False  # a key whose bound the policy does not name: no due time
    bounds = cap_rules.bounds
    for key, times in list(sent.items()):
        bound = bounds.get(key)
        if bound is None or not times or times[0] <= now_ms - bound[1] or len(times) > bound[0]:
            scope = _scope_of_key(key, cap_rules)  # or a key the policy no longer names
            start = _first_kept(times, now_ms, scope) if scope is not None else len(times)
            if start >= len(times):
                del sent[key]
                continue
            if start:
                times = sent[key] = times[start:]
        if bound is None:
            walk_always = True
        elif due_ms is None or times[0] + bound[1] < due_ms:
            due_ms = times[0] + bound[1]
    if not sent:
        del state["sent"]
    if sent and due_ms is not None and not walk_always:
        state[SENT_DUE] = (due_ms, cap_rules.rules_id)
    else:
        state.pop(SENT_DUE, None)


def fill_recipient_scope(sent: dict[str, Sequence[int]], key: str, category: str) -> None:
    """Set a missing recipient list `key` to the timestamps of the category's tenant lists
    (module docstring); the walk then cuts it to its bound."""
    suffix = f"|{category}"
    merged = sorted(ts for scope_key, times in sent.items() if scope_key.endswith(suffix)
                    for ts in times)
    if merged:
        sent[key] = tuple(merged)


def _first_kept(times: Sequence[int], now_ms: int, scope: Scope) -> int:
    """Index of the first timestamp inside the scope's longest window and largest count."""
    return max(bisect_right(times, now_ms - scope.horizon_ms), len(times) - scope.keep)
