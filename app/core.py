"""The decision core: one recipient's event and state in, records to publish out.

Pure and synchronous (no I/O, no clock: the decision time is the input record's timestamp),
so the Faust worker, `sendguard replay`, the tests and the benchmarks all run the same rules.
State is one plain JSON-able dict per recipient, owned by the caller and updated in place:

    {"seen": {msg_id: [decided_ms, source_token, reason, detail]}}

`seen` holds the msg_ids decided within the policy's dedup window. It makes a retried intent
a `duplicate` (the first decision stands) and makes redelivery of the same input record after
a crash re-emit the same decision instead of a duplicate drop.
"""

from __future__ import annotations

from typing import Any

import orjson

from app.policy import CATEGORIES, Policy
from app.records import Emit, Source, dead_letter, decision_record, iso_ms, parse_rfc3339_ms
from app.routing import CONSENT, INTENT, REPLY

RecipientState = dict[str, Any]

# Reason codes, in the order they are checked (topics/README.md documents each).
OK = "ok"
DUPLICATE = "duplicate"
INVALID_INTENT = "invalid_intent"
INVALID_PHONE = "invalid_phone"
EXPIRED = "expired"
UNKNOWN_TENANT = "unknown_tenant"
SIGNATURE_INVALID = "signature_invalid"
INTERNAL_ERROR = "internal_error"

_REQUIRED_STRINGS = ("tenant", "signature", "category", "phone", "content")
_OPTIONAL_STRINGS = ("campaign_id", "expires_at")
MAX_MSG_ID_LENGTH = 128


def handle(envelope: dict[str, Any], state: RecipientState, policy: Policy) -> list[Emit]:
    """Apply one routed event to its recipient's state; return the records to publish."""
    kind = envelope["kind"]
    if kind == INTENT:
        return [decide_intent(envelope, state, policy)]
    if kind in (CONSENT, REPLY):
        return []  # The consent ledger and reply handling plug in here.
    raise ValueError(f"unknown envelope kind {kind!r}")


def decide_intent(envelope: dict[str, Any], state: RecipientState, policy: Policy) -> Emit:
    """Decide one send intent: the first failing check is the reason, else "ok"."""
    intent = envelope["value"]
    msg_id: str = intent["msg_id"]
    now_ms: int = envelope["ts"]
    phone: str | None = envelope["phone"]
    token = f"{envelope['topic']}:{envelope['partition']}:{envelope['offset']}"

    seen: dict[str, list[Any]] = state.setdefault("seen", {})
    _prune_seen(seen, now_ms - policy.dedup_window_s * 1000)
    prior = seen.get(msg_id)
    if prior is not None:
        decided_ms, prior_token, prior_reason, prior_detail = prior
        if prior_token == token:  # the same input record again: repeat its decision
            return decision_record(
                intent, phone, prior_reason, prior_detail, policy.version, decided_ms
            )
        detail = f"msg_id first decided at {iso_ms(decided_ms)} as {prior_reason}"
        return decision_record(intent, phone, DUPLICATE, detail, policy.version, now_ms)

    reason, detail = check_intent(intent, phone, envelope.get("phone_error"), now_ms, policy)
    seen[msg_id] = [now_ms, token, reason, detail]
    return decision_record(intent, phone, reason, detail, policy.version, now_ms)


def check_intent(
    intent: dict[str, Any],
    phone: str | None,
    phone_error: str | None,
    now_ms: int,
    policy: Policy,
) -> tuple[str, str | None]:
    """The stateless checks, in reason order; returns (reason, detail)."""
    problems = [f"{name} must be a non-empty string" for name in _REQUIRED_STRINGS
                if not isinstance(intent.get(name), str) or not intent[name]]
    problems += [f"{name} must be a string" for name in _OPTIONAL_STRINGS
                 if intent.get(name) is not None and not isinstance(intent[name], str)]
    if len(intent["msg_id"]) > MAX_MSG_ID_LENGTH:
        problems.append(f"msg_id longer than {MAX_MSG_ID_LENGTH} characters")
    category = intent.get("category")
    if isinstance(category, str) and category and category not in CATEGORIES:
        problems.append(f"category {category!r} is not one of {', '.join(CATEGORIES)}")
    expires_ms = None
    if isinstance(intent.get("expires_at"), str):
        try:
            expires_ms = parse_rfc3339_ms(intent["expires_at"])
        except ValueError as exc:
            problems.append(f"expires_at {exc}")
    if problems:
        return INVALID_INTENT, "; ".join(problems)
    if phone is None:
        return INVALID_PHONE, phone_error or "phone is not a valid number"
    if expires_ms is not None and expires_ms < now_ms:
        return EXPIRED, f"expired at {iso_ms(expires_ms)}, decided at {iso_ms(now_ms)}"
    tenant = policy.tenants.get(intent["tenant"])
    if tenant is None:
        return UNKNOWN_TENANT, f"tenant {intent['tenant']!r} is not in policy {policy.version}"
    return _check_signature(intent["signature"], intent["content"], tenant.signatures)


def _check_signature(
    signature: str, content: str, registered: frozenset[str]
) -> tuple[str, str | None]:
    if signature not in registered:
        return SIGNATURE_INVALID, f"signature 【{signature}】 is not registered to this tenant"
    prefix = f"【{signature}】"
    if not content.startswith(prefix):
        return SIGNATURE_INVALID, f"content must start with {prefix}"
    body = content[len(prefix):]
    if "【" in body or "】" in body:
        return SIGNATURE_INVALID, "content holds a second 【】 after the signature"
    return OK, None


def _prune_seen(seen: dict[str, list[Any]], cutoff_ms: int) -> None:
    for msg_id in [m for m, entry in seen.items() if entry[0] < cutoff_ms]:
        del seen[msg_id]


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
        envelope = orjson.loads(raw) if raw else None
        intent = envelope["value"] if envelope and envelope.get("kind") == INTENT else None
        if isinstance(intent, dict) and isinstance(intent.get("msg_id"), str):
            emits.append(decision_record(intent, envelope.get("phone"), INTERNAL_ERROR,
                                         "SendGuard failed to decide; see sms.dead-letter",
                                         policy.version, int(envelope.get("ts", 0))))
    except Exception:  # the dead letter above already holds the bytes
        pass
    return emits
