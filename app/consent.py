"""The consent ledger: per recipient × tenant × category, the latest event by event time wins.

Pure functions over one recipient's state document (see app/core.py):

    state["consent"] = {"<tenant>|<category>": [action, occurred_ms, source, event_id]}
    state["events"]  = {event_id: seen_ms}      # recent event ids, for idempotency
    state["erased"]  = occurred_ms              # the latest erasure request, if any

A revoke may be wide (tenant "*", category "all"); a grant must name one tenant and one
category, with evidence of an explicit opt-in. Ordering is by occurred_at, not arrival: a
late-arriving older grant never re-enables a newer revoke, and on a tie the revoke wins.
A revoke is always applied, whatever its evidence: refusing must never be obstructed.
An erasure request (PIPL art. 47) deletes everything held for the recipient except their
revokes, so that erasure never re-enables marketing; grants that occurred before it are stale.
"""

from __future__ import annotations

from typing import Any, Final

from app.policy import Policy
from app.records import bounded_id, parse_rfc3339_ms

GRANT: Final = "grant"
REVOKE: Final = "revoke"
ERASE: Final = "erase"
ACTIONS: Final = (GRANT, REVOKE, ERASE)
ALL_TENANTS: Final = "*"
ALL_CATEGORIES: Final = "all"
CONSENT_CATEGORIES: Final = ("marketing", "notification")
_CATEGORY_VALUES: Final = (*CONSENT_CATEGORIES, ALL_CATEGORIES)  # what an event's category may be
# Longest event id, source and tenant kept in a recipient's state as given; longer event ids
# are kept by their sha256, longer sources cut, and a revoke naming a longer tenant (none in a
# policy is that long) revokes for every tenant.
MAX_ID_LENGTH: Final = 128

# Outcomes of applying an event (the `result` of a consent outcome record).
APPLIED: Final = "applied"
REJECTED: Final = "rejected"
DUPLICATE: Final = "duplicate"
STALE: Final = "stale"

# Why a grant is rejected (the `reason` of a rejected outcome).
PRECHECKED: Final = "prechecked"
NO_EVIDENCE: Final = "no_evidence"
WIDE_GRANT: Final = "wide_grant"
UNKNOWN_TENANT: Final = "unknown_tenant"
INVALID_EVENT: Final = "invalid_event"


# Plain classes, read-only by convention, not frozen dataclasses: compiled with mypyc, their
# __init__ is C, where a dataclass's generated one is interpreted Python (~10,000 instructions
# for a ConsentEvent, one or two of these per consent event).
class ConsentEvent:
    __slots__ = ("action", "category", "event_id", "evidence", "occurred_ms", "source", "tenant")

    def __init__(self, event_id: str, tenant: str, category: str, action: str, source: str,
                 occurred_ms: int, evidence: dict[str, Any] | None = None) -> None:
        self.event_id = event_id
        self.tenant = tenant
        self.category = category
        self.action = action
        self.source = source
        self.occurred_ms = occurred_ms
        self.evidence: dict[str, Any] = {} if evidence is None else evidence


class Outcome:
    __slots__ = ("detail", "reason", "result")

    def __init__(self, result: str, reason: str | None = None, detail: str | None = None) -> None:
        self.result = result
        self.reason = reason
        self.detail = detail


def parse_event(value: dict[str, Any], record_ms: int) -> ConsentEvent | str:
    """The event, or the text of what makes it unusable.

    Revokes are read leniently (missing tenant: all tenants; missing or unknown category:
    all categories; no occurred_at: the record time), because a refusal must never be lost
    to a formality. Grants are read strictly.
    """
    event_id = value.get("event_id")
    if not isinstance(event_id, str) or not event_id:
        return "event_id must be a non-empty string"
    event_id = bounded_id(event_id, MAX_ID_LENGTH)
    action = value.get("action")
    if action not in ACTIONS:
        return f"action must be one of {', '.join(ACTIONS)}"
    tenant, category = value.get("tenant"), value.get("category")
    given_source = value.get("source")
    source = given_source[:MAX_ID_LENGTH] if isinstance(given_source, str) else "unknown"
    evidence = value.get("evidence")
    try:
        # Nothing occurred after it was published: a clock ahead (or a typo, 2099) must not
        # let a grant outrank the refusals that follow it.
        occurred_ms = min(parse_rfc3339_ms(value.get("occurred_at")), record_ms)
    except ValueError as exc:
        if action == GRANT:
            return f"occurred_at {exc}"
        occurred_ms = record_ms
    if action == ERASE:  # the whole recipient, whatever tenant or category it names
        return ConsentEvent(event_id, ALL_TENANTS, ALL_CATEGORIES, ERASE, source, occurred_ms)
    if action == REVOKE:
        return ConsentEvent(
            event_id,
            tenant if isinstance(tenant, str) and 0 < len(tenant) <= MAX_ID_LENGTH
            else ALL_TENANTS,
            category if category in _CATEGORY_VALUES else ALL_CATEGORIES,
            REVOKE, source, occurred_ms, evidence if isinstance(evidence, dict) else {},
        )
    if not isinstance(tenant, str) or not tenant:
        return "tenant must be a non-empty string"
    if category not in _CATEGORY_VALUES:
        return f"category must be one of {', '.join(_CATEGORY_VALUES)}"
    if evidence is not None and not isinstance(evidence, dict):
        return "evidence must be an object"
    return ConsentEvent(event_id, tenant, category, GRANT, source, occurred_ms, evidence or {})


def check_grant(event: ConsentEvent, policy: Policy) -> Outcome | None:
    """A rejection for a grant that is not valid consent, else None."""
    if event.tenant == ALL_TENANTS or event.category == ALL_CATEGORIES:
        return Outcome(REJECTED, WIDE_GRANT,
                       "a grant must name one tenant and one category; only revokes widen")
    if event.tenant not in policy.tenants:
        return Outcome(REJECTED, UNKNOWN_TENANT, f"tenant {event.tenant!r} is not in the policy")
    if event.evidence.get("prechecked") is True:
        return Outcome(REJECTED, PRECHECKED,
                       "a pre-ticked box or consent by default is not consent (MIIT 2021)")
    if policy.require_consent_evidence and not event.evidence:
        return Outcome(REJECTED, NO_EVIDENCE, "the policy requires evidence of the opt-in")
    return None


def apply_event(state: dict[str, Any], event: ConsentEvent, now_ms: int,
                policy: Policy) -> Outcome:
    """Apply one event to the recipient's ledger (in place) and say what happened."""
    prune_events(state, now_ms - policy.dedup_window_s * 1000)
    events: dict[str, int] = state.setdefault("events", {})
    if event.event_id in events:
        return Outcome(DUPLICATE, None, "event_id already applied")
    if event.action == GRANT and (rejection := check_grant(event, policy)):
        return rejection
    if event.action == GRANT and event.occurred_ms <= state.get("erased", -1):
        return Outcome(STALE, None, "the recipient's data was erased after this grant occurred")
    events[event.event_id] = now_ms
    if event.action == ERASE:
        erase(state, event, now_ms)
        return Outcome(APPLIED)
    ledger: dict[str, Any] = state.setdefault("consent", {})  # entries: lists or tuples
    key = f"{event.tenant}|{event.category}"
    current = ledger.get(key)
    if current is not None and _rank(current[0], current[1]) >= _rank(event.action,
                                                                      event.occurred_ms):
        return Outcome(STALE, None,
                       f"a {current[0]} that occurred later (or at the same time) stands")
    ledger[key] = (event.action, event.occurred_ms, event.source, event.event_id)
    return Outcome(APPLIED)


def erase(state: dict[str, Any], event: ConsentEvent, now_ms: int) -> None:
    """Delete all the recipient's state but the revokes, the erasure's time and its id.

    What goes: grants and their evidence, decided msg_ids, cap timestamps, held intents (the
    caller decides those first), other event ids. What stays is the fact of each opt-out,
    under the recipient's keyed hash, so marketing stays blocked after the erasure.
    """
    revokes = {key: entry for key, entry in (state.get("consent") or {}).items()
               if entry[0] == REVOKE}
    erased = max(event.occurred_ms, state.get("erased", event.occurred_ms))
    state.clear()
    if revokes:
        state["consent"] = revokes
    state["erased"] = erased
    state["events"] = {event.event_id: now_ms}


def prune_events(state: dict[str, Any], cutoff_ms: int) -> None:
    """Forget event ids applied before the cutoff (re-applying one changes nothing anyway)."""
    events: dict[str, int] | None = state.get("events")
    if not events:  # none (no new empty dict per call), or an empty one left to drop
        if "events" in state:  # (not pop(key, None): compiled, that is a call through Python)
            del state["events"]  # noqa: RUF051
        return
    if min(events.values()) < cutoff_ms:  # a scan in C first: usually none are due
        for old in [e for e, seen in events.items() if seen < cutoff_ms]:
            del events[old]
        if not events:
            del state["events"]


def _rank(action: str, occurred_ms: int) -> tuple[int, int]:
    """Later wins; on a tie a revoke wins."""
    return occurred_ms, 1 if action == REVOKE else 0


def latest(state: dict[str, Any], tenant: str, category: str) -> Any:
    """The deciding ledger entry for tenant × category (a list or tuple: [action, occurred_ms,
    source, event_id]), the latest of the entries in scope; None if none."""
    ledger: dict[str, Any] | None = state.get("consent")
    if not ledger:
        return None
    best: Any = None
    for key in _scope_keys(tenant, category):
        entry = ledger.get(key)
        # Strictly later replaces: on equal rank the first in this order stands (as max() did).
        # _rank(entry) > _rank(best), spelt out: no two tuples per comparison.
        if entry is not None and (best is None or entry[1] > best[1] or (
                entry[1] == best[1] and entry[0] == REVOKE and best[0] != REVOKE)):
            best = entry
    return best


_SCOPE_KEYS: Final[dict[str, dict[str, tuple[str, str, str, str]]]] = {}


def _scope_keys(tenant: str, category: str) -> tuple[str, str, str, str]:
    """The ledger keys whose entries apply to tenant × category, built once per pair (a
    recipient's ledger is read on most decisions), not four strings per read."""
    by_category = _SCOPE_KEYS.get(tenant)
    if by_category is None or len(by_category) > 16:
        if len(_SCOPE_KEYS) >= 1024:
            _SCOPE_KEYS.clear()
        by_category = _SCOPE_KEYS[tenant] = {}
    keys = by_category.get(category)
    if keys is None:
        keys = by_category[category] = (f"{tenant}|{category}", f"{tenant}|{ALL_CATEGORIES}",
                                        f"{ALL_TENANTS}|{category}",
                                        f"{ALL_TENANTS}|{ALL_CATEGORIES}")
    return keys

