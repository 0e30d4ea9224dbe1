"""The consent ledger: per recipient × tenant × category, the latest event by event time wins.

Pure functions over one recipient's state document (see app/rules/core.py):

    state["consent"] = {"<tenant>|<category>": [action, occurred_ms, source, event_id]}
    state["events"]  = {event_id: seen_ms}      # recent event ids, for idempotency
    state["erased"]  = occurred_ms              # the latest erasure request, if any

A revoke may be wide (tenant "*", category "all"); a grant must name one tenant and one
category, with evidence of an explicit opt-in. Ordering is by occurred_at, not arrival: a
late-arriving older grant never re-enables a newer revoke, and on a tie the revoke wins.
A revoke is always applied, whatever its evidence: refusing must never be obstructed. Events
are read to fail safe: what could be a refusal is read as one, and a refusal whose tenant,
category or time is unclear is widened (every tenant, all categories, the record's time),
never dropped; only grants are read strictly. The outcome's detail names each such reading.
An erasure request (PIPL art. 47) deletes everything held for the recipient except their
revokes, so that erasure never re-enables marketing; grants that occurred before it are stale.
"""

from __future__ import annotations

import hashlib
import unicodedata
from typing import Any, Final

import orjson

from app.rules.policy import Policy
from app.rules.records import bounded_id, iso_ms, parse_rfc3339_ms

GRANT: Final = "grant"
REVOKE: Final = "revoke"
ERASE: Final = "erase"
ACTIONS: Final = (GRANT, REVOKE, ERASE)
ALL_TENANTS: Final = "*"
ALL_CATEGORIES: Final = "all"
CONSENT_CATEGORIES: Final = ("marketing", "notification")
_CATEGORY_VALUES: Final = (*CONSENT_CATEGORIES, ALL_CATEGORIES)  # what an event's category may be
# Longest event id and source kept in a recipient's state as given; longer event ids are kept
# by their sha256, longer sources cut. (A revoke naming a tenant the policy does not know, so
# any longer one, revokes for every tenant.)
MAX_ID_LENGTH: Final = 128
# An occurred_at before this (an upstream default such as epoch 0 or year 1), or more than
# MAX_AHEAD_MS after the record's timestamp, is no event time: the record's timestamp is used.
EARLIEST_MS: Final = 946_684_800_000  # 2000-01-01T00:00:00Z
MAX_AHEAD_MS: Final = 86_400_000
# Actions, folded (case, width, separators): a grant by another name is not trusted (grants
# are read strictly); any other word (opt-out, unsubscribe, a typo, none at all) is a revoke.
_GRANT_LIKE: Final = frozenset({"granted", "optin", "optedin", "subscribe", "subscribed",
                                "resubscribe", "consent", "consented", "allow", "accept",
                                "accepted", "start", "yes"})
# What a `prechecked` flag may say for "not pre-ticked": anything else counts as pre-ticked.
_FALSE_WORDS: Final = frozenset({"", "false", "f", "0", "no", "n", "off", "none", "null"})
_PRECHECKED_KEYS: Final = frozenset({"prechecked", "preticked", "preselected"})

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
    __slots__ = ("action", "category", "event_id", "evidence", "notes", "occurred_ms", "source",
                 "tenant")

    def __init__(self, event_id: str, tenant: str, category: str, action: str, source: str,
                 occurred_ms: int, evidence: dict[str, Any] | None = None,
                 notes: list[str] | None = None) -> None:
        self.event_id = event_id
        self.tenant = tenant
        self.category = category
        self.action = action
        self.source = source
        self.occurred_ms = occurred_ms
        self.evidence: dict[str, Any] = {} if evidence is None else evidence
        # What was read otherwise than given (widened, replaced): the outcome's detail.
        self.notes: list[str] = [] if notes is None else notes


class Outcome:
    __slots__ = ("detail", "reason", "result")

    def __init__(self, result: str, reason: str | None = None, detail: str | None = None) -> None:
        self.result = result
        self.reason = reason
        self.detail = detail


def parse_event(value: dict[str, Any], record_ms: int, policy: Policy) -> ConsentEvent | str:
    """The event as the ledger applies it, or the text of what makes it unusable.

    Revokes are read leniently (an unrecognised or missing action: a revoke; a tenant the
    policy does not know, or none: all tenants; a missing or unknown category: all
    categories; an unusable occurred_at: the record time; no event_id: one derived from the
    content), because a refusal must never be lost or narrowed by a formality. Grants are read
    strictly. `notes` says what was read otherwise than given.
    """
    notes: list[str] = []
    written = value.get("action")
    action = _action(written)
    if action is None:
        return f"action {clip_id(written)} is not {GRANT!r}: grants are read strictly"
    if action == REVOKE and written != REVOKE and _word(written) != REVOKE:
        notes.append(f"read as a revoke: action {clip_id(written)} is not one of "
                     f"{', '.join(ACTIONS)}")
    event_id = value.get("event_id")
    if not isinstance(event_id, str) or not event_id:
        if action != REVOKE:
            return "event_id must be a non-empty string"
        event_id = "sha256:" + hashlib.sha256(orjson.dumps(
            value, option=orjson.OPT_SORT_KEYS)).hexdigest()
        notes.append("no event_id: derived from the event's content")
    event_id = bounded_id(event_id, MAX_ID_LENGTH)
    tenant, category = value.get("tenant"), value.get("category")
    given_source = value.get("source")
    source = given_source[:MAX_ID_LENGTH] if isinstance(given_source, str) else "unknown"
    evidence = value.get("evidence")
    try:
        occurred_ms, note = event_time(value.get("occurred_at"), record_ms)
    except ValueError as exc:
        if action == GRANT:
            return f"occurred_at {exc}"
        occurred_ms, note = record_ms, f"occurred_at replaced by the record's timestamp: {exc}"
    if note is not None:
        notes.append(note)
    if action == ERASE:  # the whole recipient, whatever tenant or category it names
        return ConsentEvent(event_id, ALL_TENANTS, ALL_CATEGORIES, ERASE, source, occurred_ms,
                            None, notes)
    if action == REVOKE:
        if not isinstance(tenant, str) or not tenant:
            tenant = ALL_TENANTS
            notes.append("widened: no tenant, so every tenant (*)")
        elif tenant != ALL_TENANTS and tenant not in policy.tenants:
            notes.append(f"widened: unknown tenant {clip_id(tenant)}, so every tenant (*)")
            tenant = ALL_TENANTS
        if category not in _CATEGORY_VALUES:
            notes.append(f"widened: category {clip_id(category)} is not one of "
                         f"{', '.join(_CATEGORY_VALUES)}, so {ALL_CATEGORIES}")
            category = ALL_CATEGORIES
        return ConsentEvent(event_id, tenant, category, REVOKE, source, occurred_ms,
                            evidence if isinstance(evidence, dict) else {}, notes)
    if not isinstance(tenant, str) or not tenant:
        return "tenant must be a non-empty string"
    if category not in _CATEGORY_VALUES:
        return f"category must be one of {', '.join(_CATEGORY_VALUES)}"
    if evidence is not None and not isinstance(evidence, dict):
        return "evidence must be an object"
    return ConsentEvent(event_id, tenant, category, GRANT, source, occurred_ms, evidence or {},
                        notes)


def event_time(text: object, record_ms: int) -> tuple[int, str | None]:
    """An event's occurred_at as the ledger orders it, and a note when it was replaced.

    Nothing occurred after it was published: a time ahead of the record's timestamp (a clock
    ahead) counts as that timestamp, so a grant cannot outrank the refusals that follow it;
    more than a day ahead (a typo, 2099) or before 2000 (an upstream default: epoch 0, year
    1) is no event time at all, and is replaced by it, with a note. Raises ValueError when
    the text is not a usable RFC 3339 time.
    """
    try:
        occurred_ms = parse_rfc3339_ms(text)
    except OverflowError as exc:  # a year the platform's time functions cannot hold
        raise ValueError("is out of range") from exc
    if occurred_ms < EARLIEST_MS:
        return record_ms, (f"occurred_at replaced by the record's timestamp: "
                           f"{clip_id(text)} is before 2000-01-01")
    if occurred_ms > record_ms + MAX_AHEAD_MS:
        return record_ms, (f"occurred_at replaced by the record's timestamp: {clip_id(text)} "
                           f"is more than 24 h after it ({iso_ms(record_ms)})")
    return min(occurred_ms, record_ms), None


def _action(given: object) -> str | None:
    """The action an event is applied as: grant, revoke and erase in any case or width,
    trimmed; None for a grant by another name (rejected: grants are read strictly); a revoke
    for anything else (opt-out, unsubscribe, a typo, none at all): when in doubt, a refusal."""
    if isinstance(given, str) and given in ACTIONS:  # as written: the usual case
        return given
    word = _word(given)
    if word in ACTIONS:
        return word
    folded = "".join(c for c in word if c.isalnum())
    if folded == GRANT or folded in _GRANT_LIKE:
        return None
    return REVOKE


def _word(text: object) -> str:
    """A word as compared: width and case folded, trimmed ("" for a non-string)."""
    if not isinstance(text, str):
        return ""
    if text.isascii():
        return text.strip().lower()
    return unicodedata.normalize("NFKC", text).strip().casefold()


def clip_id(value: object) -> str:
    """A value named in a note (its repr: 'acme', None, 7), short whatever it holds."""
    text = repr(value)
    return text if len(text) <= 64 else text[:63] + "…"


def check_grant(event: ConsentEvent, policy: Policy) -> Outcome | None:
    """A rejection for a grant that is not valid consent, else None."""
    if event.tenant == ALL_TENANTS or event.category == ALL_CATEGORIES:
        return Outcome(REJECTED, WIDE_GRANT,
                       "a grant must name one tenant and one category; only revokes widen")
    if event.tenant not in policy.tenants:
        return Outcome(REJECTED, UNKNOWN_TENANT, f"tenant {event.tenant!r} is not in the policy")
    # One pass over the evidence: a prechecked flag (any spelling of the key, any JSON form
    # but a clear false) rejects; anything else that is not empty is evidence.
    substantive = False
    for key, value in event.evidence.items():
        if _is_prechecked_key(key):
            if not _clearly_false(value):
                return Outcome(REJECTED, PRECHECKED,
                               "a pre-ticked box or consent by default is not consent "
                               "(MIIT 2021)")
        elif not substantive:
            substantive = _substantive(value)
    if policy.require_consent_evidence and not substantive:
        return Outcome(REJECTED, NO_EVIDENCE, "the policy requires evidence of the opt-in")
    return None


def _is_prechecked_key(key: str) -> bool:
    """"prechecked", "preChecked", "pre_checked", "Pre-Checked", "preticked" alike."""
    if key == "prechecked":
        return True
    if len(key) < 9:  # the usual keys (form_id, ip, checkbox): shorter than any spelling
        return False
    return "".join(c for c in _word(key) if c.isalnum()) in _PRECHECKED_KEYS


def _clearly_false(flag: Any) -> bool:
    """Whether a prechecked flag clearly says "not pre-ticked": false, 0, "false", "0",
    "no", "off", "", null (and the like); anything else counts as pre-ticked."""
    if flag is None or flag is False:
        return True
    if isinstance(flag, (int, float)):
        return flag == 0
    if isinstance(flag, str):
        word = _word(flag)
        if word in _FALSE_WORDS:
            return True
        try:
            return float(word) == 0
        except ValueError:
            return False
    return False


def _substantive(value: Any) -> bool:
    """Whether an evidence value holds anything (not null, blank or an empty container)."""
    if isinstance(value, str):
        return bool(value.strip())
    return value is not None and value != [] and value != {}


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

