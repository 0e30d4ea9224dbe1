"""Prometheus metrics. Labels are bounded sets: never a phone, msg_id or free text.

Every metric is documented in docs/runbook.md ("Metrics"). Label values that come from
input (tenants, topics, carrier statuses, consent sources) are mapped onto fixed sets
first: a tenant outside the policy counts as "other". Every series of those sets exists
from the start, at 0 (`configure`), so the first event of a kind is an increase.
"""

from __future__ import annotations

import collections
import importlib.metadata
from collections.abc import Callable, Mapping
from typing import Any

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
)
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString

from app.rules import core
from app.rules.consent import ACTIONS, ALL_TENANTS, APPLIED, DUPLICATE, REJECTED, STALE
from app.rules.policy import CATEGORIES, Policy
from app.rules.records import (
    APPROVED,
    CONSENT_OUTCOMES,
    DEAD_LETTER,
    DROPPED,
    OBSERVATION,
    PRIORITY_EVENTS,
    RECIPIENT_EVENTS,
    Emit,
)
from app.rules.replies import ReplyIntent

# No `_created` series beside each counter and histogram: Prometheus's text format stores them
# as series of their own, which would double the series every label set below costs.
disable_created_metrics()

INTENTS = Counter("sendguard_intents_total", "Send intents received, by category.",
                  ["category"])
DECISIONS = Counter(
    "sendguard_decisions_total",
    "Decision records published, by decision, reason, category and tenant.",
    ["decision", "reason", "category", "tenant"],
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
    "Events one agent took at once (app/faust_ext/batches.py), by agent (its lane).",
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
BUILD_INFO = Gauge("sendguard_build_info",
                   "SendGuard's version and the policy version in force (value 1).",
                   ["version", "policy_version"])

# Every label value is one of a fixed set (the policy's tenants and the deployment's topics
# are fixed at start); anything else counts as OTHER (INVALID for categories and actions).
OTHER = "other"
INVALID = "invalid"
REASONS = (
    core.OK, core.DUPLICATE, core.INVALID_INTENT, core.INVALID_PHONE, core.EXPIRED,
    core.UNKNOWN_TENANT, core.SIGNATURE_INVALID, core.MISSING_UNSUBSCRIBE_NOTICE,
    core.CATEGORY_MISMATCH, core.BANNED_CONTENT, core.OPTED_OUT, core.NO_CONSENT,
    core.QUIET_HOURS, core.FREQUENCY_CAP, core.ERASED, core.INTERNAL_ERROR,
)  # as topics/schemas/decision.schema.json (tests/test_metrics.py holds them equal)
DEAD_LETTER_STAGES = ("route", "decide")
DEAD_LETTER_CLASSES = ("not_json", "not_object", "missing_msg_id", "invalid_consent_event",
                       "invalid_reply", "internal_error")  # as dead-letter.schema.json
# The topics a dead letter can come from: the inputs (route) and the internal ones (decide).
DEAD_LETTER_SOURCES = ("send_intents", "priority_intents", "consent_events", "carrier_replies",
                       RECIPIENT_EVENTS, PRIORITY_EVENTS)
CONSENT_RESULTS = (APPLIED, REJECTED, DUPLICATE, STALE)
AGENTS = ("bulk", "priority")  # one agent per lane
_SOURCES = ("signup_form", "reply", "dlr", "support", "app", "web", "import")
_DLR_STATUSES = ("DELIVRD", "UNDELIV", "EXPIRED", "REJECTD", "DELETED", "ACCEPTD", "UNKNOWN")
_INTENTS = tuple(str(intent) for intent in ReplyIntent)
# value -> label, for each label: one dict lookup per record (`.get(value, OTHER)`).
_CATEGORY = {category: category for category in CATEGORIES}
_REASON = {reason: reason for reason in REASONS}
_ACTION = {action: action for action in ACTIONS}
_SOURCE = {source: source for source in _SOURCES}
_RESULT = {result: result for result in CONSENT_RESULTS}
_STAGE = {stage: stage for stage in DEAD_LETTER_STAGES}
_CLASS = {error_class: error_class for error_class in DEAD_LETTER_CLASSES}
_INTENT = {intent: intent for intent in _INTENTS}
_DLR_STATUS = {status: status for status in _DLR_STATUSES}
_tenant: dict[str, str] = {}  # set by `configure`, as the topics are
_topic: dict[str, str] = {}


def software_version() -> str:
    """The installed sendguard distribution's version ("unknown" when run from a bare tree)."""
    try:
        return importlib.metadata.version("sendguard")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def configure(policy: Policy, topics: Mapping[str, str],
              table_keys: Callable[[], float] | None = None) -> None:
    """Fix the label sets to the policy's tenants and the deployment's topics (logical id ->
    name), and create every labelled series at 0.

    A series born at its first increment is invisible to `increase()` and `rate()`, which need
    two samples: the first dead letter of a class would never fire its alert.
    """
    global _tenant, _topic
    _tenant = {tenant: tenant for tenant in policy.tenants}
    _topic = {topics[topic]: topics[topic] for topic in DEAD_LETTER_SOURCES}
    BUILD_INFO.labels(software_version(), policy.version).set(1)
    if table_keys is not None:
        TABLE_KEYS.set_function(table_keys)
    for labels in label_sets():
        child(*labels)


def label_sets() -> list[tuple[Any, ...]]:
    """(metric, *label values) of every series a labelled metric can have, given `configure`'s
    tenants and topics: bounded, and small (about 70 per tenant in the policy)."""
    tenants = (*sorted(_tenant), OTHER)
    categories = (*CATEGORIES, INVALID)
    sets: list[tuple[Any, ...]] = [(INTENTS, category) for category in categories]
    sets += [(DECISIONS, "approved" if reason == core.OK else "dropped", reason, category,
              tenant)
             for reason in (*REASONS, OTHER) for category in categories for tenant in tenants]
    sets += [(CONSENT_EVENTS, action, source, result)
             for action in (*ACTIONS, INVALID)
             for source in (*_SOURCES, OTHER)
             for result in (*CONSENT_RESULTS, OTHER)]
    sets += [(UNSUBSCRIBES, tenant) for tenant in (*tenants, "all")]
    sets += [(REPLIES, intent) for intent in (*_INTENTS, OTHER)]
    sets += [(DELIVERY_REPORTS, status) for status in (*_DLR_STATUSES, OTHER)]
    sets += [(DEAD_LETTERS, topic, stage, error_class)
             for topic in (*sorted(_topic), OTHER)
             for stage in (*DEAD_LETTER_STAGES, OTHER)
             for error_class in (*DEAD_LETTER_CLASSES, OTHER)]
    sets += [(AGENT_BATCH, agent) for agent in AGENTS]
    return sets


def _category(value: object) -> str:
    """An intent's category as given (any JSON value, so checked for a string first)."""
    return value if isinstance(value, str) and value in _CATEGORY else INVALID


_children: dict[tuple[Any, ...], Any] = {}
# Increments not yet added to their metric, by (metric, *labels): a prometheus_client increment
# takes a lock (~4% of the worker's CPU, once per record); `flush` adds them before a scrape.
_pending: collections.Counter[tuple[Any, ...]] = collections.Counter()


def child(metric: Any, *labels: Any) -> Any:
    """`metric.labels(*labels)`, looked up once: label sets here are bounded by design, and
    `labels()` (a lock and a tuple of validated strings per call) was 4% of the worker's CPU."""
    found = _children.get((metric, *labels))
    if found is None:
        found = _children[(metric, *labels)] = metric.labels(*labels)
    return found


def count_later(count: int, metric: Any, *labels: Any) -> None:
    """Add `count` to `metric.labels(*labels)` at the next `flush` (no lock per record)."""
    _pending[(metric, *labels)] += count


def flush() -> None:
    """Add the counts `count_emit` and the Faust sensor kept aside: call before a scrape."""
    for (metric, *labels), count in _pending.items():
        child(metric, *labels).inc(count)
    _pending.clear()


def count_emit(emit: Emit) -> None:
    """Count one record the worker publishes (or one observation) by its bounded labels."""
    topic, value = emit.topic, emit.value
    if topic in (APPROVED, DROPPED):
        # (decision follows reason: "approved" exactly when the reason is "ok")
        _pending[DECISIONS, value["decision"], _REASON.get(value["reason"], OTHER),
                 _CATEGORY.get(value["category"], INVALID),
                 _tenant.get(value["tenant"], OTHER)] += 1
    elif topic == RECIPIENT_EVENTS:
        if value["kind"] == "intent":
            _pending[INTENTS, _category(value["value"].get("category"))] += 1
    elif topic == DEAD_LETTER:
        _pending[DEAD_LETTERS, _topic.get(value["source_topic"], OTHER),
                 _STAGE.get(value["stage"], OTHER), _CLASS.get(value["error_class"], OTHER)] += 1
    elif topic == CONSENT_OUTCOMES:
        read_as = value.get("read_as") or {}  # as judged: "REVOKE" is a revoke, "acme" is "*"
        action = _ACTION.get(read_as.get("action", value["action"]), INVALID)
        source = _SOURCE.get(value["source"], OTHER)
        result = _RESULT.get(value["result"], OTHER)
        _pending[CONSENT_EVENTS, action, source, result] += 1
        if (action, result) == ("revoke", APPLIED) and source in ("reply", "dlr"):
            tenant = read_as.get("tenant", value["tenant"])
            _pending[UNSUBSCRIBES,
                     "all" if tenant == ALL_TENANTS else _tenant.get(tenant, OTHER)] += 1
    elif topic == OBSERVATION:
        if "reply" in value:
            _pending[REPLIES, _INTENT.get(value["reply"], OTHER)] += 1
        else:
            _pending[DELIVERY_REPORTS, _DLR_STATUS.get(value["dlr_status"], OTHER)] += 1


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


def faust_sensor_registry() -> CollectorRegistry:
    """A registry for Faust's own sensor, served from the default one under clean names."""
    registry = CollectorRegistry(auto_describe=True)
    REGISTRY.register(PromtoolCleanNames(registry))
    return registry
