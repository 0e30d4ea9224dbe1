"""Prometheus metrics. Labels are bounded sets: never a phone, msg_id or free text."""

from __future__ import annotations

from prometheus_client import Counter

from app.policy import CATEGORIES
from app.records import APPROVED, DEAD_LETTER, DROPPED, OBSERVATION, Emit
from app.records import CONSENT_OUTCOMES as CONSENT_OUTCOMES_TOPIC

DECISIONS = Counter(
    "sendguard_decisions_total",
    "Decision records published, by decision, reason and category.",
    ["decision", "reason", "category"],
)
DEAD_LETTERS = Counter(
    "sendguard_dead_letters_total",
    "Records dead-lettered, by pipeline stage and error class.",
    ["stage", "error_class"],
)
CONSENT_OUTCOMES = Counter(
    "sendguard_consent_events_total",
    "Consent events by action, source and result (applied, rejected, duplicate, stale).",
    ["action", "source", "result"],
)
REPLIES = Counter(
    "sendguard_replies_total",
    "MO replies by classification (unsubscribe, resubscribe, help, none).",
    ["intent"],
)
DELIVERY_REPORTS = Counter(
    "sendguard_delivery_reports_total",
    "Delivery reports by status (carrier statuses outside the usual set count as other).",
    ["status"],
)
_KNOWN_CATEGORIES = frozenset(CATEGORIES)
_KNOWN_SOURCES = frozenset({"signup_form", "reply", "dlr", "support", "app", "web", "import"})
_KNOWN_DLR_STATUSES = frozenset({"DELIVRD", "UNDELIV", "EXPIRED", "REJECTD", "DELETED",
                                 "ACCEPTD", "UNKNOWN"})


def count_emit(emit: Emit) -> None:
    """Count one published record by its bounded labels."""
    if emit.topic in (APPROVED, DROPPED):
        value = emit.value
        category = value.get("category")
        DECISIONS.labels(
            value["decision"],
            value["reason"],
            category if category in _KNOWN_CATEGORIES else "invalid",
        ).inc()
    elif emit.topic == DEAD_LETTER:
        DEAD_LETTERS.labels(emit.value["stage"], emit.value["error_class"]).inc()
    elif emit.topic == CONSENT_OUTCOMES_TOPIC:
        value = emit.value
        CONSENT_OUTCOMES.labels(
            value["action"] if value["action"] in ("grant", "revoke") else "invalid",
            value["source"] if value["source"] in _KNOWN_SOURCES else "other",
            value["result"],
        ).inc()
    elif emit.topic == OBSERVATION:
        if "reply" in emit.value:
            REPLIES.labels(emit.value["reply"]).inc()
        else:
            status = emit.value["dlr_status"]
            DELIVERY_REPORTS.labels(status if status in _KNOWN_DLR_STATUSES else "other").inc()
