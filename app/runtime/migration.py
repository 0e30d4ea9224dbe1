"""Migration from the state layout before one hop: the `recipients` table, whose partition was
chosen by the recipient's keyed hash, to `recipients-v2`, partitioned by the number
(app/runtime/lanes.py). The hash cannot be turned back into the number, so the legacy state
cannot be moved ahead of time; it moves when its recipient next has an event.

At start each worker reads the legacy changelog, if it exists, whole (read_committed) into a
local RocksDB copy. A recipient with no state in `recipients-v2` is looked up there; its state
is then written to `recipients-v2` and a tombstone to the legacy changelog, in the same
transaction (app/runtime/state.py), so a restart never finds it in both or in neither. The
migration is done when the legacy changelog has no live key left (the worker logs how many
remain at each start; docs/runbook.md says when to delete the topic).
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition
from rocksdict import Rdict

from app.runtime.admin import topic_partitions
from app.runtime.lanes import recipient_partition
from app.runtime.privacy import StateSealer
from app.runtime.settings import Settings
from app.runtime.state import LEGACY_TABLE_NAME

log = logging.getLogger(__name__)
FETCH_TIMEOUT_MS = 1000


def legacy_changelog(app_id: str) -> str:
    """The legacy table's changelog topic (Faust's name for it)."""
    return f"{app_id}-{LEGACY_TABLE_NAME}-changelog"


class LegacyStates:
    """This worker's read-only copy of the legacy table: sealed states by keyed hash."""

    def __init__(self, db: Rdict, topic: str, partitions: int,
                 held: dict[int, dict[str, int]]) -> None:
        self._db = db
        self.topic = topic
        self.partitions = partitions  # of the legacy changelog: where its tombstones go
        # by new partition: the legacy recipients holding deferred intents, and when the
        # first is due (their held index entries were per legacy partition)
        self._held = held

    def take_held(self, partition: int) -> dict[str, int]:
        """The legacy recipients of `partition` with deferred intents, for its held index."""
        return self._held.pop(partition, {})

    def get(self, key: bytes) -> bytes | None:
        value = self._db.get(key)
        return bytes(value) if value is not None else None

    def forget(self, key: bytes) -> None:
        """The state was migrated (its tombstone is queued in the same transaction)."""
        self._db.delete(key)

    def count(self) -> int:
        return sum(1 for _ in self._db.keys())  # noqa: SIM118 (Rdict has no __iter__)

    def close(self) -> None:
        self._db.close()


def held_due(sealer: StateSealer, key: bytes, sealed: bytes,
             partitions: int) -> tuple[int, int] | None:
    """For a legacy state holding deferred intents: its partition in the new layout (a held
    intent names its recipient's number) and when the first is due."""
    entries = orjson.loads(sealer.open(sealed, key)).get("held")
    if not entries:
        return None
    due, phone = entries[0][0], entries[0][3]
    return recipient_partition(phone, partitions), due


async def load_legacy(settings: Settings) -> LegacyStates | None:
    """Copy the legacy changelog into data_dir/legacy-recipients; None if there is none."""
    topic = legacy_changelog(settings.app_id)
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.bootstrap, isolation_level="read_committed",
        enable_auto_commit=False, key_deserializer=None, value_deserializer=None,
        **settings.kafka_security.aiokafka_kwargs())
    await consumer.start()
    try:
        try:
            [partitions] = (await topic_partitions(settings, [topic])).values()
        except LookupError:  # a new install, or the move is done and the topic deleted
            return None
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        path = Path(settings.data_dir) / "legacy-recipients"
        shutil.rmtree(path, ignore_errors=True)  # rebuilt from the committed changelog
        db = Rdict(str(path))
        sealer: StateSealer = settings.sealer()
        held: dict[bytes, tuple[int, int]] = {}  # key -> (new partition, first due)
        remaining = {tp: end for tp, end in ends.items() if end > 0}
        while remaining:
            batches = await consumer.getmany(*remaining, timeout_ms=FETCH_TIMEOUT_MS)
            for records in batches.values():
                for record in records:
                    if not sealer.is_recipient_key(record.key or b""):
                        continue  # the held index and Faust's own keys
                    held.pop(record.key, None)
                    if record.value is None:
                        db.delete(record.key)
                    else:
                        db[record.key] = record.value
                        found = held_due(sealer, record.key, record.value,
                                         settings.recipient_partitions)
                        if found is not None:
                            held[record.key] = found
            for tp in list(remaining):
                if await consumer.position(tp) >= remaining[tp]:
                    del remaining[tp]
        by_partition: dict[int, dict[str, int]] = {}
        for key, (partition, first_due) in held.items():
            by_partition.setdefault(partition, {})[key.decode()] = first_due
        legacy = LegacyStates(db, topic, len(partitions), by_partition)
        left = legacy.count()
        # (a warning: the worker's logging is not set up yet, and it asks for an action)
        log.warning("state migration: %d recipients still in the legacy table %s%s", left, topic,
                 "" if left else " (done: the topic can be deleted, docs/runbook.md)")
        return legacy
    finally:
        await consumer.stop()
