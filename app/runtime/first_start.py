"""Where a new deployment starts reading send intents (SENDGUARD_FIRST_START).

A consumer group with no committed offsets reads its topics from the earliest retained
record, so by default (`earliest`) a first start decides up to the 7 days of intents that
sms.send-intents retains. With `latest`, before the worker's first start the group's offsets
on sms.send-intents and sms.priority-intents are set to the topics' end: intents published
before it are never decided (nor sent). This applies to the send intents only: consent
events and carrier replies are always read from the earliest, so no refusal on record is
ever skipped. Once the group
has committed offsets, restarts resume from them whatever the setting.
"""

from __future__ import annotations

import logging

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import CommitFailedError, IllegalGenerationError, KafkaError

from app.runtime.admin import topic_partitions
from app.runtime.settings import Settings

log = logging.getLogger(__name__)


async def apply_first_start(settings: Settings) -> dict[TopicPartition, int] | None:
    """With first_start=latest and a group that has never committed on the intents topics
    (sms.send-intents, sms.priority-intents), commit their end offsets for it; return them
    (None: nothing done)."""
    if settings.first_start != "latest":
        return None
    topics = [settings.topic("send_intents"), settings.topic("priority_intents")]
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.bootstrap, group_id=settings.app_id,
                                enable_auto_commit=False, isolation_level="read_committed",
                                **settings.kafka_security.aiokafka_kwargs())
    tps = [TopicPartition(topic, p)
           for topic, partitions in (await topic_partitions(settings, topics)).items()
           for p in partitions]
    await consumer.start()
    try:
        consumer.assign(tps)
        committed = {tp: await consumer.committed(tp) for tp in tps}
        if any(offset is not None for offset in committed.values()):
            return None  # not a first start
        ends = await consumer.end_offsets(tps)
        skipped = sum(ends.values()) - sum((await consumer.beginning_offsets(tps)).values())
        try:
            await consumer.commit(dict(ends))
        except (CommitFailedError, IllegalGenerationError, KafkaError) as exc:
            # Another worker of the group started first and owns the offsets now.
            log.warning("SENDGUARD_FIRST_START=latest: offsets not set (%s); another worker "
                        "of group %s started first", type(exc).__name__, settings.app_id)
            return None
        log.warning("SENDGUARD_FIRST_START=latest: first start of group %s: the %d send "
                    "intents retained from before it are skipped (never decided)",
                    settings.app_id, skipped)
        return dict(ends)
    finally:
        await consumer.stop()
