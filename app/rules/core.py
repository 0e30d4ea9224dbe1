"""The decision core: one recipient's event and state in, records to publish out.

Pure and synchronous (no I/O, no clock: the decision time is the input record's timestamp),
so the Faust worker, `sendguard replay`, the tests and the benchmarks all run the same rules.
State is one plain JSON-able dict per recipient, owned by the caller and updated in place:

    {"seen": {msg_id: [decided_ms, source_token, reason, detail, tenant]},
     "seen_min": [oldest_dropped_ms, oldest_approved_ms],   # lower bounds, null when none
     "consent": {...}, "events": {...}}          # the consent ledger, see app/rules/consent.py

`seen` holds the msg_ids decided within the policy's dedup window. It makes a retried intent
a `duplicate` (the first decision stands), makes redelivery of the same input record after
a crash re-emit the same decision instead of a duplicate drop, and tells which tenant a
delivery report's message came from.

`seen_min` lets `prune` skip the walk over `seen` when nothing in it can be due, which is
almost always: a heavy recipient's `seen` holds a day of msg_ids. Each value is a lower bound
of the decided_ms of the entries not approved (forgotten after the dedup window) and approved
(kept until the DLR window ends too); an entry updated in place may leave it lower than the
true minimum, which only costs one early walk that recomputes it. States written before the
field existed have none: the first prune or decision computes it.

The entries of `seen` and `seen_min` that this module writes are tuples, never changed in place
(replaced), though a state read back from JSON holds lists: the same JSON either way, and a
tuple of strings and numbers is no work for Python's cyclic garbage collector, which otherwise
walks every one of them in each full collection (a process holding many states as objects,
like `sendguard replay` or benchmarks/core_bench.py, runs several).
"""

from __future__ import annotations

import unicodedata
from typing import Any, Final

import orjson

from app.rules import caps, consent, content, quiet
from app.rules.content import SIGNATURE_BRACKETS, bracket_in
from app.rules.policy import CATEGORIES, Policy
from app.rules.records import (
    CONSENT_EVENTS,
    OBSERVATION,
    PLAUSIBLE_MIN_MS,
    TEXT_MAX_CHARS,
    Emit,
    Source,
    bounded_id,
    clip,
    consent_outcome_record,
    dead_letter,
    decision_record,
    iso_ms,
    parse_rfc3339_ms,
)
from app.rules.replies import ReplyClass, ReplyIntent, classify_reply
from app.rules.routing import CONSENT, INTENT, REPLY, TICK

RecipientState = dict[str, Any]

# Reason codes, in the order they are checked (topics/README.md documents each).
OK: Final = "ok"
DUPLICATE: Final = "duplicate"
INVALID_INTENT: Final = "invalid_intent"
INVALID_PHONE: Final = "invalid_phone"
EXPIRED: Final = "expired"
UNKNOWN_TENANT: Final = "unknown_tenant"
SIGNATURE_INVALID: Final = "signature_invalid"
MISSING_UNSUBSCRIBE_NOTICE: Final = "missing_unsubscribe_notice"
CATEGORY_MISMATCH: Final = "category_mismatch"
BANNED_CONTENT: Final = "banned_content"
OPTED_OUT: Final = "opted_out"
NO_CONSENT: Final = "no_consent"
QUIET_HOURS: Final = "quiet_hours"
FREQUENCY_CAP: Final = "frequency_cap"
ERASED: Final = "erased"  # not a check: a held intent dropped because its recipient was erased
HELD: Final = "held"  # not a reason: a deferred intent's state until it is released
INTERNAL_ERROR: Final = "internal_error"

_REQUIRED_STRINGS: Final = ("tenant", "signature", "category", "phone", "content")
_OPTIONAL_STRINGS: Final = ("campaign_id", "expires_at")
MAX_MSG_ID_LENGTH: Final = 128
SEEN_MIN: Final = "seen_min"  # state key: lower bounds of `seen`'s decided_ms (module docstring)


def handle(envelope: dict[str, Any], state: RecipientState, policy: Policy) -> list[Emit]:
    """Apply one routed event to its recipient's state; return the records to publish."""
    kind = envelope["kind"]
    if kind == INTENT:
        return decide_intent(envelope, state, policy)
    if kind == TICK:
        return release_due(state, envelope["ts"], policy)
    if kind == CONSENT:
        return apply_consent_event(envelope["value"], envelope["phone"], envelope["ts"],
                                   state, policy)
    if kind == REPLY:
        return handle_reply(envelope, state, policy)
    raise ValueError(f"unknown envelope kind {kind!r}")


def decide_intent(envelope: dict[str, Any], state: RecipientState, policy: Policy) -> list[Emit]:
    """Decide one send intent: the first failing check is the reason, else "ok".

    Returns no record while the intent is held for quiet hours (policy action "defer"); it is
    decided when `release_due` runs at or after the window opens.
    """
    intent = envelope["value"]
    msg_id: str = intent["msg_id"]
    now_ms: int = envelope["ts"]
    phone: str | None = envelope["phone"]
    token = f"{envelope['topic']}:{envelope['partition']}:{envelope['offset']}"

    prune(state, now_ms, policy)
    seen: dict[str, Any] | None = state.get("seen")  # entries: lists or tuples
    if seen is None:  # (as setdefault, without a new empty dict per call)
        seen = state["seen"] = {}
    dedup_cutoff_ms = now_ms - policy.dedup_window_s * 1000
    prior = seen.get(msg_id)
    if prior is not None:
        decided_ms, prior_token, prior_reason, prior_detail = prior[:4]
        if prior_token == token:  # the same input record again: repeat its decision
            if prior_reason == HELD:
                return []
            return [_record(intent, phone, prior_reason, prior_detail, decided_ms, policy)]
        if decided_ms >= dedup_cutoff_ms:  # (kept longer only for delivery reports)
            first = f"msg_id first decided at {iso_ms(decided_ms)} as {prior_reason}"
            return [_record(intent, phone, DUPLICATE, first, now_ms, policy)]

    reason, detail = check_intent(intent, phone, envelope.get("phone_error"), now_ms, policy)
    if reason == OK and phone is not None:  # (check_intent gives no "ok" without a phone)
        reason, detail, release_ms = check_recipient(intent, phone, now_ms, state, policy)
        if release_ms is not None:
            held = state.setdefault("held", [])
            held.append([release_ms, now_ms, token, phone, intent])
            held.sort(key=lambda h: (h[0], h[1]))
            _remember(state, msg_id, (now_ms, token, HELD, detail, intent["tenant"]))
            return []
    return [_finish(intent, phone, reason, detail, now_ms, token, state, policy)]


def check_recipient(
    intent: dict[str, Any], phone: str, now_ms: int, state: RecipientState, policy: Policy,
    may_defer: bool = True,
) -> tuple[str, str | None, int | None]:
    """The checks that read the recipient's state: consent, quiet hours, caps.

    Returns (reason, detail, release_ms); release_ms is set when the intent is to be held.
    """
    tenant, category = intent["tenant"], intent["category"]
    reason, detail = check_consent(tenant, category, state, policy)
    if reason != OK:
        return reason, detail, None
    window = policy.categories[category].quiet_hours
    if window is not None:
        zones = quiet.zones_for(phone, policy)
        found = quiet.quiet_zone(now_ms, zones, window)
        if found is not None:
            zone, local = found
            detail = (f"{category} quiet hours {_clock(window)} in {zone.key} "
                      f"(local time {local:%H:%M})")
            if policy.quiet_hours_action == "defer" and may_defer and quiet.can_defer(now_ms):
                release_ms = quiet.next_open_ms(now_ms, zones, window)
                return OK, f"held until {iso_ms(release_ms)}: {detail}", release_ms
            return QUIET_HOURS, detail, None
    broken = caps.broken_cap(state, tenant, category, now_ms, policy)
    if broken is not None:
        return FREQUENCY_CAP, broken, None
    return OK, None, None


def release_due(state: RecipientState, now_ms: int, policy: Policy) -> list[Emit]:
    """Decide the held intents whose quiet hours ended by `now_ms`, at their release time.

    Consent and caps are checked again at release time, under the original msg_id.
    """
    held: list[list[Any]] = state.get("held") or []
    emits = []
    while held and held[0][0] <= now_ms:
        release_ms, _, token, phone, intent = held.pop(0)
        reason, detail = check_intent(intent, phone, None, release_ms, policy)
        if reason == OK:
            reason, detail, _ = check_recipient(intent, phone, release_ms, state, policy,
                                                may_defer=False)
        emits.append(_finish(intent, phone, reason, detail, release_ms, token, state, policy))
    if "held" in state and not held:
        del state["held"]
    return emits


def next_release(state: RecipientState) -> int | None:
    """When the recipient's next held intent is due, if any (for the worker's index)."""
    held = state.get("held")
    return held[0][0] if held else None


def _finish(intent: dict[str, Any], phone: str | None, reason: str, detail: str | None,
            now_ms: int, token: str, state: RecipientState, policy: Policy) -> Emit:
    """Record the decision in state (seen; caps when approved) and build its record."""
    if detail is not None and len(detail) > TEXT_MAX_CHARS:
        detail = clip(detail)
    # State stays small whatever the intent holds: a msg_id over the length limit is never a
    # valid one (invalid_intent) and is not remembered, nor a tenant no policy could name.
    tenant = intent.get("tenant")
    tenant = tenant if isinstance(tenant, str) and len(tenant) <= consent.MAX_ID_LENGTH else None
    msg_id = intent["msg_id"]
    if len(msg_id) <= MAX_MSG_ID_LENGTH:
        _remember(state, msg_id, (now_ms, token, reason, detail, tenant))
    if reason == OK:
        caps.record_approval(state, intent["tenant"], intent["category"], now_ms, policy)
    return _record(intent, phone, reason, detail, now_ms, policy)


def _record(intent: dict[str, Any], phone: Any, reason: str, detail: str | None,
            decided_ms: int, policy: Policy) -> Emit:
    # phone: str or None, but Any: fail_closed passes whatever a corrupt envelope holds, and
    # compiled code would refuse a non-str where Python carries it along (app/native.py).
    emit = decision_record(intent, phone, reason, detail, policy.version, decided_ms)
    emit.value["segments"] = content.segments(intent["content"]) if reason == OK else None
    return emit


def _clock(window: tuple[int, int]) -> str:
    return "-".join(f"{m // 60:02d}:{m % 60:02d}" for m in window)


def check_intent(
    intent: dict[str, Any],
    phone: str | None,
    phone_error: str | None,
    now_ms: int,
    policy: Policy,
) -> tuple[str, str | None]:
    """The stateless checks, in reason order; returns (reason, detail)."""
    problems = [] if _well_formed(intent) else _shape_problems(intent)
    expires_ms = None
    expires_at = intent.get("expires_at")
    if isinstance(expires_at, str):
        try:
            expires_ms = parse_rfc3339_ms(expires_at)
        except ValueError as exc:
            problems.append(f"expires_at {exc}")
        else:
            if expires_ms < PLAUSIBLE_MIN_MS:  # a defaulted field (year 1, epoch 0), not a time
                problems.append(f"expires_at is before {iso_ms(PLAUSIBLE_MIN_MS)}")
    if problems:
        return INVALID_INTENT, "; ".join(problems)
    if phone is None:
        return INVALID_PHONE, phone_error or "phone is not a valid number"
    if expires_ms is not None and expires_ms < now_ms:
        return EXPIRED, f"expired at {iso_ms(expires_ms)}, decided at {iso_ms(now_ms)}"
    tenant = policy.tenants.get(intent["tenant"])
    if tenant is None:
        return UNKNOWN_TENANT, f"tenant {intent['tenant']!r} is not in policy {policy.version}"
    reason, detail = _check_signature(intent["signature"], intent["content"], tenant.signatures)
    if reason != OK:
        return reason, detail
    return check_content(intent["category"], intent["content"], policy)


def _well_formed(intent: dict[str, Any]) -> bool:
    """The common case, checked without building any problem text: every required field a
    non-empty string, optional ones absent or strings, a short msg_id, a known category.

    Spelt out field by field (once per decision); anything unusual, a str subclass included,
    takes the general loop, so the answer is the same. (`intent.get` each time, not a bound
    `get`: compiled, that is a dict lookup in C rather than a call through Python.)"""
    tenant, signature, category = intent.get("tenant"), intent.get("signature"), intent.get(
        "category")
    phone, text = intent.get("phone"), intent.get("content")
    campaign_id, expires_at = intent.get("campaign_id"), intent.get("expires_at")
    if (type(tenant) is str and type(signature) is str and type(category) is str
            and type(phone) is str and type(text) is str
            and tenant and signature and category and phone and text
            and (campaign_id is None or type(campaign_id) is str)
            and (expires_at is None or type(expires_at) is str)):
        return len(intent["msg_id"]) <= MAX_MSG_ID_LENGTH and category in CATEGORIES
    return _well_formed_in_general(intent)


def _well_formed_in_general(intent: dict[str, Any]) -> bool:
    for name in _REQUIRED_STRINGS:
        value = intent.get(name)
        if not value or not isinstance(value, str):
            return False
    for name in _OPTIONAL_STRINGS:
        value = intent.get(name)
        if value is not None and not isinstance(value, str):
            return False
    return len(intent["msg_id"]) <= MAX_MSG_ID_LENGTH and intent["category"] in CATEGORIES


def _shape_problems(intent: dict[str, Any]) -> list[str]:
    """What makes an intent malformed, in the order the detail lists them (expiry apart)."""
    problems = [f"{name} must be a non-empty string" for name in _REQUIRED_STRINGS
                if not isinstance(intent.get(name), str) or not intent[name]]
    problems += [f"{name} must be a string" for name in _OPTIONAL_STRINGS
                 if intent.get(name) is not None and not isinstance(intent[name], str)]
    if len(intent["msg_id"]) > MAX_MSG_ID_LENGTH:
        problems.append(f"msg_id longer than {MAX_MSG_ID_LENGTH} characters")
    category = intent.get("category")
    if isinstance(category, str) and category and category not in CATEGORIES:
        problems.append(f"category {category!r} is not one of {', '.join(CATEGORIES)}")
    return problems


def check_content(category: str, text: str, policy: Policy) -> tuple[str, str | None]:
    """Refusal wording where it belongs and nowhere else; no banned phrases."""
    prepared = content.prepare(text)  # normalised once for every phrase below
    if category == "marketing":
        notices = policy.categories[category].unsubscribe_notice
        if notices and not content.has_notice(prepared, policy):
            return MISSING_UNSUBSCRIBE_NOTICE, f"marketing must carry one of: {', '.join(notices)}"
    else:
        clean = content.no_phrase(prepared, policy)  # usually: one scan for both phrase lists
        wording = (content.instruction(prepared) if clean
                   else content.refusal_instruction(prepared, policy))
        if wording is not None:
            return CATEGORY_MISMATCH, (f"{category} carries refusal wording {wording!r}: "
                                       f"marketing sent as {category}?")
        if clean:  # no banned phrase either
            return OK, None
    phrase = content.banned_phrase(prepared, policy)
    if phrase is not None:
        return BANNED_CONTENT, phrase
    return OK, None


def _check_signature(
    signature: str, content: str, registered: frozenset[str]
) -> tuple[str, str | None]:
    if signature not in registered:
        return SIGNATURE_INVALID, f"signature 【{signature}】 is not registered to this tenant"
    prefix = f"【{signature}】"
    if not content.startswith(prefix):
        if content[:1] in SIGNATURE_BRACKETS and content[:1] != "【":  # 〖京东〗: no signature
            return SIGNATURE_INVALID, f"content must start with {prefix}, not {content[:1]}"
        return SIGNATURE_INVALID, f"content must start with {prefix}"
    bracket = bracket_in(content, len(prefix))  # 【】 or a look-alike in the body
    if bracket is not None:
        return SIGNATURE_INVALID, f"content holds a second 【】 ({bracket}) after the signature"
    return OK, None


def check_consent(
    tenant: str, category: str, state: RecipientState, policy: Policy
) -> tuple[str, str | None]:
    """The category's consent mode against the recipient's ledger for this tenant."""
    mode = policy.categories[category].consent
    if mode == "none":
        return OK, None
    entry = consent.latest(state, tenant, category)
    if entry is not None and entry[0] == consent.REVOKE:
        _, occurred_ms, source, event_id = entry
        return OPTED_OUT, (f"{category} revoked at {iso_ms(occurred_ms)} via {source} "
                           f"(event {event_id})")
    if mode == "opt_in" and entry is None:
        return NO_CONSENT, f"no {category} opt-in from this recipient for tenant {tenant!r}"
    return OK, None


def apply_consent_event(
    value: dict[str, Any], phone: str, now_ms: int, state: RecipientState, policy: Policy
) -> list[Emit]:
    """Apply a consent event to the ledger; the outcome record says what became of it, and
    how the event was read where that differs from what it says (widened, time replaced)."""
    event = consent.parse_event(value, now_ms, policy)
    dropped: list[Emit] = []
    read_as: dict[str, Any] | None = None
    if isinstance(event, str):
        outcome = consent.Outcome(consent.REJECTED, consent.INVALID_EVENT, event)
    else:
        held = state.get("held") or []
        outcome = consent.apply_event(state, event, now_ms, policy)
        if event.action == consent.ERASE and outcome.result == consent.APPLIED:
            # Held intents still get their one decision; the erasure deleted them from state.
            detail = f"recipient's data erased at {iso_ms(now_ms)} (event {event.event_id})"
            dropped = [_record(intent, held_phone, ERASED, detail, now_ms, policy)
                       for _, _, _, held_phone, intent in held]
        if event.notes:
            outcome.detail = "; ".join(
                event.notes if outcome.detail is None else [outcome.detail, *event.notes])
        read_as = {"tenant": event.tenant, "category": event.category,
                   "action": event.action, "occurred_at": iso_ms(event.occurred_ms)}
    return [*dropped, consent_outcome_record(value, phone, outcome.result, outcome.reason,
                                             outcome.detail, policy.version, now_ms, read_as)]


def handle_reply(envelope: dict[str, Any], state: RecipientState, policy: Policy) -> list[Emit]:
    """Turn an unsubscribe reply or a blacklisting delivery report into a consent event.

    The revocation is applied to the ledger at once (the next intent is already blocked) and
    published to sms.consent-events, so the ledger's audit trail shows why consent changed;
    when it comes back it is a duplicate by event_id.
    """
    value, phone, now_ms = envelope["value"], envelope["phone"], envelope["ts"]
    kind = value.get("type")
    if kind != "mo" and kind != "dlr" and isinstance(kind, str):  # "MO", " dlr ": the same
        kind = kind.strip().lower()
    event: dict[str, Any] | None = None
    if kind == "mo":
        if not all(isinstance(value.get(f), str) for f in ("reply_id", "text", "to")):
            return [_invalid_reply(envelope, "an mo reply needs reply_id, to and text strings",
                                   policy)]
        reply = classify_reply(value["text"])
        observed = Emit(OBSERVATION, None, {"reply": str(reply.intent)})
        event = _event_from_mo(value, reply, phone, now_ms, state, policy)
    elif kind == "dlr":
        if not isinstance(value.get("msg_id"), str) or not isinstance(value.get("status"), str):
            return [_invalid_reply(envelope, "a dlr needs msg_id and status strings", policy)]
        observed = Emit(OBSERVATION, None, {"dlr_status": value["status"]})
        event = _event_from_dlr(value, phone, now_ms, state, policy)
    else:
        return [_invalid_reply(envelope, "type must be mo or dlr", policy)]
    if event is None:
        return [observed]
    return [observed, Emit(CONSENT_EVENTS, phone, event),
            *apply_consent_event(event, phone, now_ms, state, policy)]


def _event_from_mo(value: dict[str, Any], reply: ReplyClass, phone: str, now_ms: int,
                   state: RecipientState, policy: Policy) -> dict[str, Any] | None:
    tenant = policy.tenant_for_port(value["to"])
    if reply.intent == ReplyIntent.UNSUBSCRIBE:
        if reply.scope == "all":
            tenant, category = consent.ALL_TENANTS, consent.ALL_CATEGORIES
        else:  # an unknown port: when in doubt, stop sending
            tenant, category = tenant or consent.ALL_TENANTS, "marketing"
        action = consent.REVOKE
    elif reply.intent == ReplyIntent.RESUBSCRIBE and tenant is not None:
        # Only undoes an opt-out: a bare YES is not a first opt-in.
        entry = consent.latest(state, tenant, "marketing")
        if entry is None or entry[0] != consent.REVOKE:
            return None
        category, action = "marketing", consent.GRANT
    else:
        return None
    # Derived events stay small whatever the reply holds: they go back through an input topic.
    return {
        "event_id": f"reply:{bounded_id(value['reply_id'])}",
        "phone": phone, "tenant": tenant, "category": category, "action": action,
        "source": "reply", "occurred_at": _event_time(value.get("received_at"), now_ms),
        "evidence": {"reply_id": clip(value["reply_id"]), "text": clip(value["text"]),
                     "to": clip(value["to"]), "keyword": reply.keyword},
    }


def _event_from_dlr(value: dict[str, Any], phone: str, now_ms: int, state: RecipientState,
                    policy: Policy) -> dict[str, Any] | None:
    """A revoke for a blacklisting report (its error code or status one of the policy's,
    in any case, trimmed): of the tenant that sent the message when an approval of it was
    decided within the DLR window before the report's time, else of every tenant.

    The window is checked here, not left to pruning, so the answer is the same whether or not
    a prune or other traffic came in between."""
    code = _blacklisting_code(value.get("error_code"), policy)
    if code is None:
        code = _blacklisting_code(value.get("status"), policy)
        if code is None:
            return None
    tenant = consent.ALL_TENANTS
    seen = (state.get("seen") or {}).get(value["msg_id"])
    if (seen is not None and len(seen) > 4 and seen[2] == OK and isinstance(seen[4], str)
            and seen[4] and now_ms - policy.dlr_window_s * 1000 <= seen[0] <= now_ms):
        tenant = seen[4]
    return {
        "event_id": f"dlr:{bounded_id(value['msg_id'])}:{code}",
        "phone": phone, "tenant": tenant, "category": "marketing", "action": consent.REVOKE,
        "source": "dlr", "occurred_at": _event_time(value.get("reported_at"), now_ms),
        "evidence": {"msg_id": clip(value["msg_id"]), "status": clip(value["status"]),
                     "error_code": clip(value.get("error_code"))
                     if isinstance(value.get("error_code"), str) else None},
    }


def _blacklisting_code(text: object, policy: Policy) -> str | None:
    """The policy's blacklisting code `text` is, compared trimmed, in any case and width."""
    if not isinstance(text, str):
        return None
    codes = policy.derived("dlr_revoke_codes", _folded_codes)
    code = text if text in codes else _fold_code(text)
    return code if code in codes else None


def _folded_codes(policy: Policy) -> frozenset[str]:
    return frozenset(_fold_code(code) for code in policy.dlr_revoke_error_codes)


def _fold_code(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip().upper()


def _event_time(text: object, fallback_ms: int) -> str:
    """A derived event's occurred_at: the reply's or report's time, as the ledger will read
    it (app.rules.consent.event_time), else the record's."""
    try:
        occurred_ms, _ = consent.event_time(text, fallback_ms)
    except ValueError:
        occurred_ms = fallback_ms
    return iso_ms(occurred_ms)


def _invalid_reply(envelope: dict[str, Any], error: str, policy: Policy) -> Emit:
    source = Source(envelope["topic"], envelope["partition"], envelope["offset"], envelope["ts"])
    return dead_letter(source, "decide", "invalid_reply", error, None,
                       orjson.dumps(envelope["value"]), policy.version)


def prune(state: RecipientState, now_ms: int, policy: Policy) -> None:
    """Drop what no rule can read any more at `now_ms`: decided msg_ids past the dedup (and,
    approved ones, DLR) window, consent event ids past the dedup window, cap timestamps past
    the longest window. Decision-neutral: every later decision prunes the same first."""
    seen = state.get("seen")
    if seen is not None:
        dedup_cutoff_ms = now_ms - policy.dedup_window_s * 1000
        dlr_cutoff_ms = now_ms - policy.dlr_window_s * 1000
        bounds = state.get(SEEN_MIN)
        if bounds is None or _seen_due(bounds, dedup_cutoff_ms, dlr_cutoff_ms):
            _prune_seen(seen, dedup_cutoff_ms, dlr_cutoff_ms)
            state[SEEN_MIN] = _seen_bounds(seen)
        if not seen:
            del state["seen"]
            del state[SEEN_MIN]
    elif SEEN_MIN in state:  # left by older code (a rollback) that emptied seen without it
        del state[SEEN_MIN]
    consent.prune_events(state, now_ms - policy.dedup_window_s * 1000)
    caps.prune(state, now_ms, policy)


def _prune_seen(seen: dict[str, Any], dedup_cutoff_ms: int, dlr_cutoff_ms: int) -> None:
    """Forget msg_ids decided before the dedup window, except approved ones (whose delivery
    reports name their tenant) until the DLR window ends too."""
    for msg_id in [m for m, entry in seen.items() if entry[0] < dedup_cutoff_ms and (
            entry[2] != OK or entry[0] < dlr_cutoff_ms)]:
        del seen[msg_id]


def _seen_due(bounds: Any, dedup_cutoff_ms: int, dlr_cutoff_ms: int) -> bool:
    """Whether `_prune_seen` may drop anything, by the `seen_min` bounds alone."""
    dropped_ms, approved_ms = bounds
    return ((dropped_ms is not None and dropped_ms < dedup_cutoff_ms)
            or (approved_ms is not None and approved_ms < dedup_cutoff_ms
                and approved_ms < dlr_cutoff_ms))


def _seen_bounds(seen: dict[str, Any]) -> tuple[int | None, int | None]:
    """The exact `seen_min` of `seen`: oldest decided_ms not approved, oldest approved."""
    dropped: int | None = None
    approved: int | None = None
    for entry in seen.values():
        decided_ms: int = entry[0]
        if entry[2] == OK:
            if approved is None or decided_ms < approved:
                approved = decided_ms
        elif dropped is None or decided_ms < dropped:
            dropped = decided_ms
    return dropped, approved


def _remember(state: RecipientState, msg_id: str,
              entry: tuple[int, str, str, str | None, str | None]) -> None:
    """Set `seen[msg_id]`, keeping `seen_min` a lower bound of what `seen` holds."""
    seen: dict[str, Any] | None = state.get("seen")
    if seen is None:
        seen = state["seen"] = {}
    seen[msg_id] = entry
    bounds = state.get(SEEN_MIN)
    if bounds is None:  # a state from before seen_min, or the first entry
        state[SEEN_MIN] = _seen_bounds(seen)
        return
    decided_ms = entry[0]
    dropped_ms, approved_ms = bounds
    if entry[2] == OK:
        if approved_ms is None or decided_ms < approved_ms:
            state[SEEN_MIN] = (dropped_ms, decided_ms)
    elif dropped_ms is None or decided_ms < dropped_ms:
        state[SEEN_MIN] = (decided_ms, approved_ms)


def fail_closed(
    source: Source, key: bytes | None, raw: bytes | None, error: Exception, policy: Policy
) -> list[Emit]:
    """When deciding raised: dead-letter the event and, for an intent, drop it with a reason.

    A compliance gate fails closed: an intent it could not check is not sent, and it still
    gets its one decision record, so upstream is never left waiting on a silent loss.
    """
    emits = [dead_letter(source, "decide", "internal_error", f"{type(error).__name__}: {error}",
                         key, raw, policy.version)]
    try:
        envelope: Any = orjson.loads(raw) if raw else None
        intent = envelope["value"] if envelope and envelope.get("kind") == INTENT else None
        if isinstance(intent, dict) and isinstance(intent.get("msg_id"), str):
            emits.append(_record(intent, envelope.get("phone"), INTERNAL_ERROR,
                                 "SendGuard failed to decide; see sms.dead-letter",
                                 int(envelope.get("ts", 0)), policy))
    except Exception:  # the dead letter above already holds the bytes
        pass
    return emits
