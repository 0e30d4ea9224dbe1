"""Faust's Prometheus sensor, with batch calls and its per-record label lookups done once.

Faust calls `labels()` two to three times per record (a lock and a tuple of validated strings
each: ~5% of the worker's CPU); here each label child is looked up once (app/runtime/metrics.py
`child`), and `on_messages_in`/`on_messages_out` take a batch (batches.py).
"""

from __future__ import annotations

import collections
from typing import Any

from faust.sensors.monitor import Monitor
from faust.sensors.prometheus import FaustMetrics, PrometheusMonitor
from prometheus_client import CollectorRegistry

from app.faust_ext.contract import PROMETHEUS_MONITOR_STATE, require
from app.runtime import metrics


class FaustSensor(PrometheusMonitor):
    """Faust's Prometheus sensor (offsets, events, sends, rebalances), batched."""

    def __init__(self, registry: CollectorRegistry) -> None:
        super().__init__(metrics=FaustMetrics.create(registry, "faust"))
        require(PROMETHEUS_MONITOR_STATE, self)

    def on_message_in(self, tp: Any, offset: int, message: Any) -> None:
        Monitor.on_message_in(self, tp, offset, message)
        faust_metrics = self._metrics
        faust_metrics.messages_received.inc()
        faust_metrics.active_messages.inc()
        metrics.child(faust_metrics.messages_received_per_topics, tp.topic).inc()
        metrics.child(faust_metrics.messages_received_per_topics_partition, tp.topic,
                      tp.partition).set(offset)

    def on_messages_in(self, messages: list[Any]) -> None:
        """`on_message_in` for a batch of records (batches.py): the same counts and gauges,
        each metric updated once per partition instead of once per record."""
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
            metrics.count_later(count, faust_metrics.messages_received_per_topics, topic)
        for tp, offset in last.items():
            metrics.child(faust_metrics.messages_received_per_topics_partition, tp.topic,
                          tp.partition).set(offset)

    def on_messages_out(self, count: int) -> None:
        """`on_message_out` for `count` records acked at once (no per-record timing)."""
        self.messages_active -= count
        self._metrics.active_messages.dec(count)

    def on_table_get(self, table: Any, key: Any) -> None:
        Monitor.on_table_get(self, table, key)
        metrics.child(self._metrics.table_operations, f"table.{table.name}",
                      self.KEYS_RETRIEVED).inc()

    def track_tp_end_offset(self, tp: Any, offset: int) -> None:
        Monitor.track_tp_end_offset(self, tp, offset)
        metrics.child(self._metrics.topic_partition_end_offset, tp.topic,
                      tp.partition).set(offset)
