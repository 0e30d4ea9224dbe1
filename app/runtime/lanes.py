"""Where a recipient event is decided: here (one hop) or after a hop, in which lane.

A recipient's state lives in partition `murmur2(E.164) % N` of the recipients table (Kafka's
default partitioner on the number, N = sendguard.recipient-events' partitions). An input record
that is already in that partition of a topic co-partitioned with the internal topics (N
partitions; upstream keyed it by the E.164 number with Kafka's default partitioner, as
app.client does) is decided where it was read: the worker that owns it owns the table partition
too. Any other record takes the hop to the recipient's partition of the internal topic of its
lane. Which path an input partition's records take must not change while the worker owns it
(the shorter path would overtake records queued in the hop), so co-partitioning is read from
this generation's assignment, never from metadata that comes and goes. The lane is the
topic's (sms.priority-intents: priority), but a marketing intent read from the priority topic
takes the hop to the bulk lane: it must never overtake a refusal queued there.
"""

from __future__ import annotations

from collections.abc import Callable

from aiokafka.partitioner import murmur2

from app.rules.records import PRIORITY_EVENTS, RECIPIENT_EVENTS, Emit
from app.rules.routing import BULK, PRIORITY, lane_of

CACHE_KEYS = 100_000  # recipients whose partition is remembered (murmur2 is pure Python)


def recipient_partition(key: str, partitions: int) -> int:
    """Kafka's default partitioner (Java client's murmur2) on the recipient key's bytes."""
    return (murmur2(key.encode()) & 0x7FFFFFFF) % partitions


class Paths:
    """Decides, per routed recipient event, whether it is decided here or takes the hop."""

    def __init__(self, partitions: int, priority_inputs: frozenset[str],
                 copartitioned: Callable[[str], bool]) -> None:
        self.partitions = partitions
        self._priority_inputs = priority_inputs  # input topics read by the priority lane
        self._copartitioned = copartitioned  # topic name -> co-partitioned with the table
        self._cache: dict[str, int] = {}

    def partition(self, key: str) -> int:
        """The recipient's partition (remembered: recipients recur)."""
        partition = self._cache.get(key)
        if partition is None:
            if len(self._cache) >= CACHE_KEYS:
                self._cache.clear()
            partition = self._cache[key] = recipient_partition(key, self.partitions)
        return partition

    def hop(self, emit: Emit, topic: str, partition: int) -> str | None:
        """None to decide `emit` (a recipient event read from `topic`[`partition`]) here, or
        the logical id of the internal topic it goes to."""
        lane = lane_of(emit.value, topic in self._priority_inputs)
        if (self._copartitioned(topic)
                and self.partition(emit.key or "") == partition
                and lane == (PRIORITY if topic in self._priority_inputs else BULK)):
            return None
        return PRIORITY_EVENTS if lane == PRIORITY else RECIPIENT_EVENTS
