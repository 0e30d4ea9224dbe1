"""The worker's metrics: every labelled series exists from the start (so the first event is an
increase), labels stay in bounded sets, and counts kept aside per batch reach Prometheus as
per-record counting would, at a scrape."""

from __future__ import annotations

import types
from pathlib import Path

import pytest
from faust.types import TP
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from app.faust_ext.sensor import FaustSensor
from app.rules.policy import load_policy
from app.rules.records import APPROVED, CONSENT_OUTCOMES, DEAD_LETTER, DROPPED, Emit
from app.runtime import metrics
from app.runtime.settings import Settings
from app.runtime.worker import create_app
from tests.test_contracts import schema

EXAMPLE = Path(__file__).resolve().parents[1] / "policy.example.toml"


def _decision(reason: str, tenant: object = "meituan") -> Emit:
    value = {"decision": "approved" if reason == "ok" else "dropped", "reason": reason,
             "category": "verification", "tenant": tenant}
    return Emit(APPROVED if reason == "ok" else DROPPED, "+8613800138000", value)


@pytest.fixture(scope="module")
def exported() -> dict[str, set[tuple[tuple[str, str], ...]]]:
    """What a worker's /metrics serves before any record: label sets by sample name."""
    create_app(Settings(), load_policy(EXAMPLE))
    metrics.flush()
    samples: dict[str, set[tuple[tuple[str, str], ...]]] = {}
    for family in text_string_to_metric_families(generate_latest(REGISTRY).decode()):
        for sample in family.samples:
            samples.setdefault(sample.name, set()).add(tuple(sorted(sample.labels.items())))
    return samples


def test_every_labelled_series_exists_before_the_first_event(exported) -> None:
    """`increase()` needs two samples: a series born at its first increment never fires."""
    policy_tenants = ("cmb", "jd", "meituan")
    assert set(load_policy(EXAMPLE).tenants) == set(policy_tenants)
    decisions = exported["sendguard_decisions_total"]
    for reason in metrics.REASONS:
        for category in ("verification", "notification", "marketing", "invalid"):
            for tenant in (*policy_tenants, "other"):
                decision = "approved" if reason == "ok" else "dropped"
                assert (("category", category), ("decision", decision), ("reason", reason),
                        ("tenant", tenant)) in decisions, (reason, category, tenant)
    dead_letters = exported["sendguard_dead_letters_total"]
    for topic in ("sms.send-intents", "sms.consent-events", "sms.carrier-replies",
                  "sendguard.recipient-events"):
        for stage in ("route", "decide"):
            for error_class in metrics.DEAD_LETTER_CLASSES:
                assert (("error_class", error_class), ("source_topic", topic),
                        ("stage", stage)) in dead_letters, (topic, stage, error_class)
    assert {(("tenant", t),) for t in (*policy_tenants, "all", "other")} <= \
        exported["sendguard_unsubscribes_total"]
    assert {(("intent", i),) for i in ("unsubscribe", "resubscribe", "help", "none")} <= \
        exported["sendguard_replies_total"]
    assert (("action", "revoke"), ("result", "applied"), ("source", "reply")) in \
        exported["sendguard_consent_events_total"]
    assert (("status", "DELIVRD"),) in exported["sendguard_delivery_reports_total"]
    assert (("category", "marketing"),) in exported["sendguard_intents_total"]
    # and no labelled counter of SendGuard's is left out
    for family in REGISTRY.collect():
        if family.name.startswith("sendguard_") and family.type == "counter":
            assert f"{family.name}_total" in exported, family.name


def test_build_info_names_the_software_and_the_policy(exported) -> None:
    (labels,) = exported["sendguard_build_info"]
    assert dict(labels) == {"version": metrics.software_version(),
                            "policy_version": load_policy(EXAMPLE).version}
    assert metrics.software_version() not in ("", "unknown")  # the checkout is installed


def test_label_sets_follow_the_record_contracts() -> None:
    assert list(metrics.REASONS) == schema("decision")["properties"]["reason"]["enum"]
    dead_letter = schema("dead-letter")["properties"]
    assert list(metrics.DEAD_LETTER_CLASSES) == dead_letter["error_class"]["enum"]
    assert list(metrics.DEAD_LETTER_STAGES) == dead_letter["stage"]["enum"]


def test_values_outside_the_sets_count_as_other(exported) -> None:
    """A tenant the policy does not name (or a phone number put there) is "other", never a
    label of its own; so is an error class the code does not list."""
    other = {"decision": "dropped", "reason": "unknown_tenant", "category": "verification",
             "tenant": "other"}
    before = REGISTRY.get_sample_value("sendguard_decisions_total", other) or 0.0
    for tenant in ("+8613800138000", None, 7):
        metrics.count_emit(_decision("unknown_tenant", tenant))
    metrics.count_emit(Emit(DEAD_LETTER, None, {
        "source_topic": "sms.send-intents", "stage": "route", "error_class": "brand_new"}))
    metrics.flush()
    assert REGISTRY.get_sample_value("sendguard_decisions_total", other) == before + 3
    assert REGISTRY.get_sample_value("sendguard_dead_letters_total", {
        "source_topic": "sms.send-intents", "stage": "route", "error_class": "other"}) == 1
    text = generate_latest(REGISTRY).decode()
    assert "8613800138000" not in text and "brand_new" not in text


def test_published_records_are_counted_at_the_next_scrape() -> None:
    labels = {"decision": "approved", "reason": "ok", "category": "verification",
              "tenant": "other"}
    before = REGISTRY.get_sample_value("sendguard_decisions_total", labels) or 0.0
    for _ in range(3):
        metrics.count_emit(_decision("ok", tenant=None))
    metrics.flush()
    assert REGISTRY.get_sample_value("sendguard_decisions_total", labels) == before + 3
    metrics.flush()  # nothing counted twice
    assert REGISTRY.get_sample_value("sendguard_decisions_total", labels) == before + 3


def _sensor() -> tuple[FaustSensor, CollectorRegistry]:
    registry = CollectorRegistry(auto_describe=True)
    return FaustSensor(registry), registry


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
