"""Counts kept aside per batch reach Prometheus as per-record counting would, at a scrape."""

from __future__ import annotations

import types

from faust.sensors.prometheus import FaustMetrics
from faust.types import TP
from prometheus_client import REGISTRY, CollectorRegistry

from app import metrics
from app.records import APPROVED, CONSENT_OUTCOMES, Emit


def _decision(reason: str) -> Emit:
    value = {"decision": "approve", "reason": reason, "category": "verification"}
    return Emit(APPROVED, "+8613800138000", value)


def test_published_records_are_counted_at_the_next_scrape() -> None:
    labels = {"decision": "approve", "reason": "ok", "category": "verification"}
    before = REGISTRY.get_sample_value("sendguard_decisions_total", labels) or 0.0
    for _ in range(3):
        metrics.count_emit(_decision("ok"))
    metrics.flush()
    assert REGISTRY.get_sample_value("sendguard_decisions_total", labels) == before + 3
    metrics.flush()  # nothing counted twice
    assert REGISTRY.get_sample_value("sendguard_decisions_total", labels) == before + 3


def _sensor() -> tuple[metrics.FaustSensor, CollectorRegistry]:
    registry = CollectorRegistry(auto_describe=True)
    return metrics.FaustSensor(metrics=FaustMetrics.create(registry, "faust")), registry


def _samples(registry: CollectorRegistry) -> set[tuple[str, tuple[tuple[str, str], ...], float]]:
    return {(sample.name, tuple(sorted(sample.labels.items())), sample.value)
            for family in registry.collect() for sample in family.samples
            if not sample.name.endswith("_created")}


def test_the_sensor_counts_a_batch_as_it_counts_its_records_one_by_one() -> None:
    messages = [types.SimpleNamespace(tp=TP(topic, partition), topic=topic, offset=offset)
                for topic, partition, offsets in (("a", 0, range(5)), ("a", 1, range(3, 6)),
                                                  ("b", 0, range(2)))
                for offset in offsets]
    one_by_one, one_by_one_registry = _sensor()
    for message in messages:
        one_by_one.on_message_in(message.tp, message.offset, message)
    for message in messages[:4]:
        one_by_one.on_message_out(message.tp, message.offset, message)
    batched, batched_registry = _sensor()
    batched.on_messages_in(messages)
    batched.on_messages_out(4)
    metrics.flush()
    assert _samples(batched_registry) == _samples(one_by_one_registry)
    assert ("faust_messages_received_per_topic_total", (("topic", "a"),), 8.0) in \
        _samples(batched_registry)
    assert batched.tp_read_offsets == one_by_one.tp_read_offsets
    assert (batched.messages_received_total, batched.messages_active) == (10, 6)
    assert batched.messages_received_by_topic == one_by_one.messages_received_by_topic


def test_consent_outcomes_are_counted_as_read_not_as_written() -> None:
    """A revoke written "REVOKE" for an unknown tenant counts as a revoke of every tenant."""
    labels = {"action": "revoke", "source": "dlr", "result": "applied"}
    before = REGISTRY.get_sample_value("sendguard_consent_events_total", labels) or 0.0
    all_before = REGISTRY.get_sample_value("sendguard_unsubscribes_total", {"tenant": "all"}) \
        or 0.0
    value = {"action": "REVOKE", "source": "dlr", "result": "applied", "tenant": "gone",
             "read_as": {"action": "revoke", "tenant": "*"}}
    metrics.count_emit(Emit(CONSENT_OUTCOMES, "+8613800138000", value))
    metrics.flush()
    assert REGISTRY.get_sample_value("sendguard_consent_events_total", labels) == before + 1
    assert REGISTRY.get_sample_value("sendguard_unsubscribes_total", {"tenant": "all"}) == \
        all_before + 1
