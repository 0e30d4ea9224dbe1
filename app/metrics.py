"""Prometheus metrics. Labels are bounded sets: never a phone, msg_id or free text."""

from __future__ import annotations

from prometheus_client import Counter

from app.policy import CATEGORIES
from app.records import APPROVED, DEAD_LETTER, DROPPED, Emit

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
_KNOWN_CATEGORIES = frozenset(CATEGORIES)


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
