"""Plain-data records that cross a topic: emits, envelopes, decisions and dead letters.

The worker and the replay tool both build their output from these functions, which is what
makes `sendguard replay` print byte-for-byte what the worker publishes.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple

# Logical topic ids (keys of topics/topics.toml); names are resolved by settings.
APPROVED = "approved"
DROPPED = "dropped"
DEAD_LETTER = "dead_letter"
RECIPIENT_EVENTS = "recipient_events"
CONSENT_EVENTS = "consent_events"
CONSENT_OUTCOMES = "consent_outcomes"
# Not a topic: a fact for the worker's metrics (a reply's class, a delivery report's status),
# so the core stays pure; replay prints none.
OBSERVATION = "observation"
CONSENT_FIELDS = ("event_id", "tenant", "category", "action", "source", "occurred_at")

# The fields of an intent that decision records carry (unknown extra fields are not forwarded).
INTENT_FIELDS = (
    "msg_id", "tenant", "signature", "category", "phone", "content", "campaign_id", "expires_at",
)


class Emit(NamedTuple):
    """One record to publish: logical topic id, key (str or None) and JSON value."""

    topic: str
    key: str | None
    value: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Source:
    """Where an input record came from; its coordinates make redelivery detectable."""

    topic: str
    partition: int
    offset: int
    timestamp_ms: int

    @property
    def token(self) -> str:
        return f"{self.topic}:{self.partition}:{self.offset}"


def iso_ms(ts_ms: int) -> str:
    """Epoch milliseconds -> RFC 3339 UTC with milliseconds ('2026-11-22T06:03:59.123Z')."""
    return datetime.fromtimestamp(ts_ms / 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def parse_rfc3339_ms(text: object) -> int:
    """RFC 3339 text with an explicit offset -> epoch ms; ValueError otherwise."""
    if not isinstance(text, str):
        raise ValueError("must be an RFC 3339 string")
    moment = datetime.fromisoformat(text.strip())
    if moment.tzinfo is None:
        raise ValueError("needs a UTC offset (e.g. 2026-11-22T20:00:00+08:00)")
    return round(moment.timestamp() * 1000)


def decision_record(
    intent: dict[str, Any],
    phone: str | None,
    reason: str,
    detail: str | None,
    policy_version: str,
    decided_ms: int,
) -> Emit:
    """The one decision record for an intent, on sms.approved (reason "ok") or sms.dropped."""
    value = _string_fields(intent, INTENT_FIELDS)
    if phone is not None:
        value["phone"] = phone
    approved = reason == "ok"
    value["decision"] = "approved" if approved else "dropped"
    value.update(_verdict(reason, detail, policy_version, decided_ms))
    return Emit(APPROVED if approved else DROPPED, phone, value)


def dead_letter(
    source: Source,
    stage: str,
    error_class: str,
    error: str,
    key: bytes | None,
    value: bytes | None,
    policy_version: str,
) -> Emit:
    """A record that could not be decided, with its original bytes, so nothing is lost."""
    return Emit(DEAD_LETTER, None, {
        "source_topic": source.topic,
        "partition": source.partition,
        "offset": source.offset,
        "timestamp": iso_ms(source.timestamp_ms),
        "stage": stage,
        "error_class": error_class,
        "error": error,
        "key_base64": None if key is None else base64.b64encode(key).decode("ascii"),
        "value_base64": None if value is None else base64.b64encode(value).decode("ascii"),
        "policy_version": policy_version,
    })


def consent_outcome_record(
    event: dict[str, Any],
    phone: str,
    result: str,
    reason: str | None,
    detail: str | None,
    policy_version: str,
    decided_ms: int,
) -> Emit:
    """What became of one consent event: applied, rejected (with a reason), duplicate, stale."""
    value = _string_fields(event, CONSENT_FIELDS)
    value["phone"] = phone
    value["result"] = result
    value.update(_verdict(reason, detail, policy_version, decided_ms))
    return Emit(CONSENT_OUTCOMES, phone, value)


def _string_fields(source: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    """The named fields of an input record, each a string or None (wrong types dropped)."""
    return {name: field if isinstance(field := source.get(name), str) else None
            for name in names}


def _verdict(reason: str | None, detail: str | None, policy_version: str,
             decided_ms: int) -> dict[str, Any]:
    return {"reason": reason, "detail": detail, "policy_version": policy_version,
            "decided_at": iso_ms(decided_ms)}
