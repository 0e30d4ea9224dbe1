"""Exactly-once on Faust: put every send in the transaction of the partition being processed.

Faust's TransactionManager.send derives a record's transactional id from the partition the
record is sent *to* (its destination's copartition group and partition number), not from the
input partition being processed (faust-streaming #440; compare #517, #323, #177). Offsets, on
the other hand, are committed in the transaction of the *input* partition. So a record the
repartition agent sends from sms.send-intents partition 2 to sendguard.recipient-events
partition 5 joins partition 5's transaction, which only commits when partition 5's offsets
advance, which needs that very record, which a read_committed consumer cannot see: the worker
stalls with nothing logged. Records for topics the worker does not consume (sms.approved) have
no such group and were sent outside any transaction.

The fix is one method: within an event, send with the transactional id of the event's own
input partition (the id Faust's commit uses for that partition's offsets); outside an event
(buffered changelog writes flushed later) keep Faust's behaviour, which derives
the changelog partition's id, equal to its input partition's by copartitioning.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

from faust.streams import current_event
from faust.transport.consumer import TransactionManager
from faust.transport.drivers import aiokafka as aiokafka_driver


class SourcePartitionTransactionManager(TransactionManager):
    """TransactionManager whose sends join the transaction of the input partition."""

    async def send(self, topic: str, key: bytes | None, value: bytes | None,
                   partition: int | None, timestamp: float | None, headers: Any, *,
                   transactional_id: str | None = None) -> Awaitable[Any]:
        event = current_event()
        if event is None:
            return await super().send(topic, key, value, partition, timestamp, headers,
                                      transactional_id=transactional_id)
        source = event.message.tp
        group = self.app.assignor.group_for_topic(source.topic)
        return await self.producer.send(
            topic, key, value, self.consumer.key_partition(topic, key, partition), timestamp,
            headers, transactional_id=f"{self.app.conf.id}-{group}-{source.partition}",
        )


def install() -> None:
    """Use the fixed manager for every app in this process (called for exactly_once only)."""
    aiokafka_driver.Transport.TransactionManager = SourcePartitionTransactionManager
