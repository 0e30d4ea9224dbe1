"""Prometheus metrics. Labels are bounded sets: never a phone, msg_id or free text.

Every metric is documented in docs/runbook.md ("Metrics"). Label values that come from
input (tenants, topics, carrier statuses, consent sources) are mapped onto fixed sets
first: a tenant outside the policy counts as "other".
"""

from __future__ import annotations

import collections
from collections.abc import Callable, Iterable
from typing import Any

from faust.sensors.monitor import Monitor
from faust.sensors.prometheus import PrometheusMonitor
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString

from app.consent import ALL_TENANTS
from app.policy import CATEGORIES, Policy
from app.records import (
    APPROVED,
    CONSENT_OUTCOMES,
    DEAD_LETTER,
    DROPPED,
    OBSERVATION,
    RECIPIENT_EVENTS,
    Emit,
)

INTENTS = Counter("sendguard_intents_total", "Send intents received, by category.",
                  ["category"])
DECISIONS = Counter(
    "sendguard_decisions_total",
    "Decision records published, by decision, reason and category.",
    ["decision", "reason", "category"],
)
CONSENT_EVENTS = Counter(
    "sendguard_consent_events_total",
    "Consent events by action, source and result (applied, rejected, duplicate, stale).",
    ["action", "source", "result"],
)
UNSUBSCRIBES = Counter(
    "sendguard_unsubscribes_total",
    "Revocations from replies and delivery reports, by tenant ('all': every tenant).",
    ["tenant"],
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
DEAD_LETTERS = Counter(
    "sendguard_dead_letters_total",
    "Records dead-lettered, by source topic, pipeline stage and error class.",
    ["source_topic", "stage", "error_class"],
)
DECISION_LATENCY = Histogram(
    "sendguard_decision_latency_seconds",
    "From an intent's Kafka record timestamp to its decision being published.",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
AGENT_BATCH = Histogram(
    "sendguard_agent_batch_events",
    "Events one agent took at once (app/batches.py), by agent (repartition, decide).",
    ["agent"],
    buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000),
)
FETCH_BATCH = Histogram(
    "sendguard_fetch_batch_records",
    "Records returned by one non-empty consumer fetch (all partitions of one poll).",
    buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000),
)
TABLE_KEYS = Gauge("sendguard_recipients_table_keys",
                   "Estimated keys in this worker's recipients state store.")
POLICY_INFO = Gauge("sendguard_policy_info", "The policy in force (value 1).", ["version"])

_KNOWN_CATEGORIES = frozenset(CATEGORIES)
_KNOWN_SOURCES = frozenset({"signup_form", "reply", "dlr", "support", "app", "web", "import"})
_KNOWN_DLR_STATUSES = frozenset({"DELIVRD", "UNDELIV", "EXPIRED", "REJECTD", "DELETED",
                                 "ACCEPTD", "UNKNOWN"})
_known_tenants: frozenset[str] = frozenset()
_known_topics: frozenset[str] = frozenset()


def configure(policy: Policy, topic_names: Iterable[str],
              table_keys: Callable[[], float] | None = None) -> None:
    """Fix the label sets to the policy's tenants and the deployment's topics."""
    global _known_tenants, _known_topics
    _known_tenants = frozenset(policy.tenants)
    _known_topics = frozenset(topic_names)
    POLICY_INFO.labels(policy.version).set(1)
    if table_keys is not None:
        TABLE_KEYS.set_function(table_keys)


def _category(value: object) -> str:
    return value if isinstance(value, str) and value in _KNOWN_CATEGORIES else "invalid"


_children: dict[tuple[Any, ...], Any] = {}
# Increments not yet added to their metric, by (metric, *labels): a prometheus_client increment
# takes a lock (~4% of the worker's CPU, once per record); `flush` adds them before a scrape.
_pending: collections.Counter[tuple[Any, ...]] = collections.Counter()


def _child(metric: Any, *labels: Any) -> Any:
    """`metric.labels(*labels)`, looked up once: label sets here are bounded by design, and
    `labels()` (a lock and a tuple of validated strings per call) was 4% of the worker's CPU."""
    child = _children.get((metric, *labels))
    if child is None:
        child = _children[(metric, *labels)] = metric.labels(*labels)
    return child


def flush() -> None:
    """Add the counts `count_emit` and the Faust sensor kept aside: call before a scrape."""
    for (metric, *labels), count in _pending.items():
        _child(metric, *labels).inc(count)
    _pending.clear()


def count_emit(emit: Emit) -> None:
    """Count one record the worker publishes (or one observation) by its bounded labels."""
    topic, value = emit.topic, emit.value
    if topic in (APPROVED, DROPPED):
        _pending[DECISIONS, value["decision"], value["reason"], _category(value["category"])] += 1
    elif topic == RECIPIENT_EVENTS:
        if value["kind"] == "intent":
            _pending[INTENTS, _category(value["value"].get("category"))] += 1
    elif topic == DEAD_LETTER:
        source = value["source_topic"] if value["source_topic"] in _known_topics else "other"
        _pending[DEAD_LETTERS, source, value["stage"], value["error_class"]] += 1
    elif topic == CONSENT_OUTCOMES:
        read_as = value.get("read_as") or {}  # as judged: "REVOKE" is a revoke, "acme" is "*"
        action = read_as.get("action", value["action"])
        action = action if action in ("grant", "revoke") else "invalid"
        source = value["source"] if value["source"] in _KNOWN_SOURCES else "other"
        _pending[CONSENT_EVENTS, action, source, value["result"]] += 1
        if (action, value["result"]) == ("revoke", "applied") and source in ("reply", "dlr"):
            tenant = read_as.get("tenant", value["tenant"])
            _pending[UNSUBSCRIBES, "all" if tenant == ALL_TENANTS else
                     tenant if tenant in _known_tenants else "other"] += 1
    elif topic == OBSERVATION:
        if "reply" in value:
            _pending[REPLIES, value["reply"]] += 1
        else:
            status = value["dlr_status"]
            _pending[DELIVERY_REPORTS,
                     status if status in _KNOWN_DLR_STATUSES else "other"] += 1


class PromtoolCleanNames(Collector):
    """Re-exports another registry with promtool-clean names.

    Faust's sensor calls one histogram `faust_events_runtime_ms`; `promtool check metrics`
    wants base units, so it is served as `faust_events_runtime_seconds`, its bucket bounds and
    sum divided by 1000. Everything else passes through unchanged.
    """

    def __init__(self, source: CollectorRegistry) -> None:
        self.source = source

    def collect(self):
        for family in self.source.collect():
            if family.name.endswith("_ms"):
                old, new = family.name, family.name[:-3] + "_seconds"
                family.name = new
                family.samples = [_in_seconds(sample, old, new) for sample in family.samples]
            yield family


def _in_seconds(sample: Any, old: str, new: str) -> Any:
    suffix = sample.name[len(old):]
    labels, value = dict(sample.labels), sample.value
    if suffix == "_bucket" and labels.get("le") not in (None, "+Inf"):
        labels["le"] = floatToGoString(float(labels["le"]) / 1000)
    elif suffix in ("", "_sum"):
        value = value / 1000
    return sample._replace(name=new + suffix, labels=labels, value=value)


def meter_fetch_batches() -> None:
    """Count records per consumer fetch: Faust's sensor has no batch-size metric."""
    from faust.transport.drivers import aiokafka as driver

    base = driver.Transport.Consumer
    if getattr(base, "sendguard_metered", False):
        return

    class MeteredConsumer(base):  # type: ignore[misc, valid-type]
        sendguard_metered = True

        async def _getmany(self, active_partitions: Any, timeout: float) -> Any:
            records = await super()._getmany(active_partitions, timeout)
            count = sum(len(batch) for batch in records.values())
            if count:
                FETCH_BATCH.observe(count)
            return records

    driver.Transport.Consumer = MeteredConsumer


class FaustSensor(PrometheusMonitor):
    """Faust's Prometheus sensor, with the label children of its per-record metrics looked up
    once (Faust calls `labels()` two to three times per record: ~5% of the worker's CPU)."""

    def on_message_in(self, tp: Any, offset: int, message: Any) -> None:
        Monitor.on_message_in(self, tp, offset, message)
        faust_metrics = self._metrics
        faust_metrics.messages_received.inc()
        faust_metrics.active_messages.inc()
        _child(faust_metrics.messages_received_per_topics, tp.topic).inc()
        _child(faust_metrics.messages_received_per_topics_partition, tp.topic,
               tp.partition).set(offset)

    def on_messages_in(self, messages: list[Any]) -> None:
        """`on_message_in` for a batch of records (app/batches.py): the same counts and
        gauges, each metric updated once per partition instead of once per record."""
        self.messages_received_total += len(messages)
        self.messages_active += len(messages)
        last: dict[Any, int] = {}
        by_topic: collections.Counter[str] = collections.Counter()
        for message in messages:
            last[message.tp] = message.offset
            by_topic[message.topic] += 1
        self.tp_read_offsets.update(last)
        faust_metrics = self._metrics
        faust_metrics.messages_received.inc(len(messages))
        faust_metrics.active_messages.inc(len(messages))
        for topic, count in by_topic.items():
            self.messages_received_by_topic[topic] += count
            _pending[faust_metrics.messages_received_per_topics, topic] += count
        for tp, offset in last.items():
            _child(faust_metrics.messages_received_per_topics_partition, tp.topic,
                   tp.partition).set(offset)

    def on_messages_out(self, count: int) -> None:
        """`on_message_out` for `count` records acked at once (no per-record timing)."""
        self.messages_active -= count
        self._metrics.active_messages.dec(count)

    def on_table_get(self, table: Any, key: Any) -> None:
        Monitor.on_table_get(self, table, key)
        _child(self._metrics.table_operations, f"table.{table.name}",
               self.KEYS_RETRIEVED).inc()

    def track_tp_end_offset(self, tp: Any, offset: int) -> None:
        Monitor.track_tp_end_offset(self, tp, offset)
        _child(self._metrics.topic_partition_end_offset, tp.topic, tp.partition).set(offset)


def faust_sensor_registry() -> CollectorRegistry:
    """A registry for Faust's own sensor, served from the default one under clean names."""
    registry = CollectorRegistry(auto_describe=True)
    REGISTRY.register(PromtoolCleanNames(registry))
    return registry
