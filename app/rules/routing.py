"""First hop: parse an input record and re-key it by recipient, or dead-letter it.

Upstream services key their records however they like and use any partitioner, so the worker
re-keys all three input streams by the normalised recipient into one internal topic. One agent
then sees each recipient's intents, consent events and replies in arrival order, next to the
recipient's state. Pure: bytes in, an envelope or a dead letter out.
"""

from __future__ import annotations

from typing import Any, Final

import orjson

from app.rules.phones import InvalidPhone, normalise_phone
from app.rules.policy import Policy
from app.rules.records import RECIPIENT_EVENTS, Emit, Source, dead_letter

INTENT: Final = "intent"
CONSENT: Final = "consent"
REPLY: Final = "reply"
# A clock tick the worker sends to each of its partitions to release held intents.
TICK: Final = "tick"
# Lanes: the priority lane is decided ahead of queued bulk traffic (topics/README.md, "Lanes").
PRIORITY: Final = "priority"
BULK: Final = "bulk"
# Categories whose intents may take the priority lane: never marketing, which must not overtake
# a queued refusal.
PRIORITY_CATEGORIES: Final = frozenset({"verification", "notification"})
INVALID_PHONE_KEY_PREFIX: Final = "msg:"
# JSON nested deeper than this is refused: orjson parses up to 1024 levels but encodes only 254,
# and the worker re-encodes each value inside an envelope (and a held intent inside its state).
MAX_NESTING: Final = 128


def route(
    kind: str, source: Source, key: bytes | None, raw: bytes | None, policy: Policy
) -> Emit:
    """Return the envelope for sendguard.recipient-events, or a dead letter saying why not."""

    def reject(error_class: str, error: str) -> Emit:
        return dead_letter(source, "route", error_class, error, key, raw, policy.version)

    if raw is None:
        return reject("not_json", "record has no value (tombstone)")
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        return reject("not_json", f"value is not UTF-8 JSON: {exc}")
    if not isinstance(value, dict):
        return reject("not_object", f"value is JSON {type(value).__name__}, not an object")
    if _too_deep(value, MAX_NESTING):
        return reject("not_json", f"value is nested deeper than {MAX_NESTING} levels")
    envelope: dict[str, Any] = {
        "kind": kind,
        "topic": source.topic,
        "partition": source.partition,
        "offset": source.offset,
        "ts": source.timestamp_ms,
        "phone": None,
        "value": value,
    }
    if kind == INTENT:
        msg_id = value.get("msg_id")
        if not isinstance(msg_id, str) or not msg_id:
            return reject("missing_msg_id", "intent has no msg_id (a non-empty string)")
        try:
            envelope["phone"] = normalise_phone(value.get("phone"), policy.default_region)
        except InvalidPhone as exc:
            # Still decided (invalid_phone), keyed by msg_id so a retry is still a duplicate.
            envelope["phone_error"] = str(exc)
            return Emit(RECIPIENT_EVENTS, INVALID_PHONE_KEY_PREFIX + msg_id, envelope)
        return Emit(RECIPIENT_EVENTS, envelope["phone"], envelope)
    error_class = "invalid_consent_event" if kind == CONSENT else "invalid_reply"
    try:
        envelope["phone"] = normalise_phone(value.get("phone"), policy.default_region)
    except InvalidPhone as exc:
        return reject(error_class, f"phone: {exc}")
    return Emit(RECIPIENT_EVENTS, envelope["phone"], envelope)


def wants_priority(value: dict[str, Any]) -> bool:
    """Whether an intent belongs in the priority lane (published to sms.priority-intents):
    a verification code, or a notification marked `"priority": "high"` (any case)."""
    category = value.get("category")
    if category == "verification":
        return True
    priority = value.get("priority")
    return (category == "notification" and isinstance(priority, str)
            and priority.strip().casefold() == "high")


def lane_of(envelope: dict[str, Any], priority_topic: bool) -> str:
    """The lane of a routed recipient event: the priority lane is what upstream published to
    the priority topic, but marketing (and an intent of no known category), which must never
    overtake a queued refusal. A recipient's records in one topic partition keep their order:
    a code published to sms.send-intents stays in the bulk lane, in its place."""
    if not priority_topic or envelope["kind"] != INTENT:
        return BULK
    category = envelope["value"].get("category")
    return PRIORITY if isinstance(category, str) and category in PRIORITY_CATEGORIES else BULK


def _too_deep(value: dict[str, Any], limit: int) -> bool:
    """Whether containers nest deeper than `limit` (iterative: no recursion on hostile input)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        children = node.values() if isinstance(node, dict) else node
        stack.extend((child, depth + 1) for child in children
                     if isinstance(child, dict | list))
    return False
