"""The decide agent's state: recipient states read and written once per batch (`StateCache`),
and what the agent keeps per partition of sendguard.recipient-events (`Recipients`): the
latest record time decided, the index of held intents, and where the idle-state sweep goes on.

Keys are keyed hashes of the recipient and values are sealed (app/runtime/privacy.py), here at the
boundary, so the core and replay work on plain data.
"""

from __future__ import annotations

import logging
from typing import Any, cast

import faust
import orjson
from aiokafka.partitioner import murmur2
from faust.types import EventT

from app.faust_ext.batches import set_current_event
from app.faust_ext.sender import BatchSender
from app.faust_ext.tables import partition_db, raw_access
from app.rules.core import fail_closed, handle, next_release, prune, release_due
from app.rules.policy import Policy
from app.rules.records import Emit, Source
from app.rules.routing import TICK
from app.runtime.privacy import StateSealer

log = logging.getLogger(__name__)

# "-v2": partitioned by the recipient's number (app/runtime/lanes.py); "recipients" was
# partitioned by its keyed hash, and is read once to migrate (app/runtime/migration.py).
TABLE_NAME = "recipients-v2"
LEGACY_TABLE_NAME = "recipients"
# Keys no phone can collide with: the per-partition index of held intents.
HELD_INDEX_KEY = b"\x00held-index:"
SWEEP_KEYS_PER_TICK = 100  # idle-state pruning: keys visited per partition per tick


def legacy_partition(key: bytes, partitions: int) -> int:
    """Where the legacy table kept a recipient: Kafka's default partitioner on its keyed hash
    (the internal topic's key before one hop)."""
    return (murmur2(key) & 0x7FFFFFFF) % partitions


def source_of(message: faust.types.Message) -> Source:
    """Where a record came from, as decisions and dead letters name it."""
    return Source(message.topic, message.partition, message.offset,
                  round(message.timestamp * 1000))


class StateCache:
    """The recipient states one batch reads and writes: each key is read from the table once,
    decoded per event (so an event that fails leaves no half-done change), and written back
    once, sealed, at the end of the batch, in the changelog partition of the event that last
    changed it."""

    def __init__(self, table: Any, sealer: StateSealer, legacy: Any = None) -> None:
        self._table = table
        self._sealer = sealer
        self._legacy = legacy  # LegacyStates (migration.py) while a migration is under way
        self._migrated: set[bytes] = set()
        self._read, self._write, self._delete = raw_access(table)
        self._stored: dict[bytes, bytes | None] = {}  # plaintext as read from the table
        self._current: dict[bytes, bytes | None] = {}  # plaintext after this batch's events
        self._writers: dict[bytes, EventT] = {}
        self.event: EventT | None = None  # the event being decided (set by the agent)

    def load(self, key: bytes) -> dict[str, Any]:
        if key in self._current:
            plain = self._current[key]
        else:
            sealed = self._read(key)
            if sealed is None and self._legacy is not None:
                sealed = self._legacy.get(key)
                if sealed is not None:  # written to this table at the end of the batch
                    self._migrated.add(key)
            plain = self._sealer.open(sealed, key) if sealed else None
            self._current[key] = plain
            self._stored[key] = None if key in self._migrated else plain
        return orjson.loads(plain) if plain else {}

    def save(self, key: bytes, state: dict[str, Any]) -> None:
        self._current[key] = orjson.dumps(state) if state else None
        if self.event is not None:
            self._writers[key] = self.event

    def write_back(self, sender: BatchSender) -> None:
        """Write each changed state to the store and queue its changelog record, once."""
        for key, plain in self._current.items():
            if plain == self._stored[key]:
                continue
            event = self._writers[key]
            set_current_event(event)  # the store's partition
            value = None if plain is None else self._sealer.seal(plain, key)
            if value is None:
                self._delete(key)
            else:
                self._write(key, value)
            sender.add_changelog(self._table, key, value, event.message.tp)
        for key in self._migrated:  # in the same transaction as its state's new home
            sender.add(self._legacy.topic, key, None, None, self._writers[key].message.tp,
                       legacy_partition(key, self._legacy.partitions))
            self._legacy.forget(key)
        self._migrated.clear()
        self._stored.clear()
        self._current.clear()
        self._writers.clear()


class Recipients:
    """The recipients table and what the decide agent keeps per partition beside it."""

    def __init__(self, table: Any, sealer: StateSealer, policy: Policy,
                 sweep_lag_s: int, legacy: Any = None) -> None:
        self.table = table
        self.legacy = legacy
        self.sealer = sealer
        self.policy = policy
        self.sweep_lag_s = sweep_lag_s
        self.latest_ms: dict[int, int] = {}  # per partition: the latest record time decided
        self.sweep_from: dict[int, bytes | None] = {}  # per partition: where the sweep goes on

    def states(self) -> StateCache:
        """A StateCache for one batch."""
        return StateCache(self.table, self.sealer, self.legacy)

    def decide_message(self, message: faust.types.Message, states: StateCache) -> list[Emit]:
        """Decide a record of an internal topic (a sealed recipient event, or a tick) against
        its state; fail closed on an error."""
        key = cast(bytes, message.key)  # raw keys: bytes
        plain: bytes | None = None
        try:
            plain = self.sealer.open(cast(bytes, message.value), key)
            envelope = orjson.loads(plain)
            if envelope["kind"] == TICK:
                emits = self.release_held(states, message.partition, envelope["ts"])
                self.sweep(states, message.partition, envelope["ts"])
                return emits
            return self._decide(key, envelope, message.partition, states)
        except Exception as exc:
            log.exception("deciding failed; dead-lettered (%s)", type(exc).__name__)
            return fail_closed(source_of(message), key, plain or message.value, exc,
                               self.policy)

    def decide_routed(self, recipient: str, envelope: dict[str, Any],
                      message: faust.types.Message, states: StateCache) -> list[Emit]:
        """Decide an input record routed to `envelope`, read in its recipient's partition
        (one hop, app/runtime/lanes.py); fail closed on an error."""
        key = self.sealer.recipient_key(recipient)
        try:
            return self._decide(key, envelope, message.partition, states)
        except Exception as exc:
            log.exception("deciding failed; dead-lettered (%s)", type(exc).__name__)
            return fail_closed(source_of(message), key, orjson.dumps(envelope), exc,
                               self.policy)

    def _decide(self, key: bytes, envelope: dict[str, Any], partition: int,
                states: StateCache) -> list[Emit]:
        self.latest_ms[partition] = max(self.latest_ms.get(partition, 0), envelope["ts"])
        state = states.load(key)
        held_before = next_release(state)
        emits = handle(envelope, state, self.policy)
        states.save(key, state)
        if next_release(state) != held_before:
            self.index_held(states, partition, {key.decode(): next_release(state)})
        return emits

    def index_held(self, states: StateCache, partition: int,
                   changes: dict[str, int | None]) -> None:
        """Per partition, which recipients hold deferred intents and when the next is due."""
        index_key = HELD_INDEX_KEY + str(partition).encode()
        index = states.load(index_key)
        for recipient, due in changes.items():
            if due is None:
                index.pop(recipient, None)
            else:
                index[recipient] = due
        states.save(index_key, index)

    def release_held(self, states: StateCache, partition: int, now_ms: int) -> list[Emit]:
        """Release the intents held on this partition that are due at `now_ms`."""
        if self.legacy is not None:  # migration: legacy recipients with deferred intents
            moved = self.legacy.take_held(partition)
            if moved:
                self.index_held(states, partition, dict(moved))
        index = states.load(HELD_INDEX_KEY + str(partition).encode())
        emits: list[Emit] = []
        changes: dict[str, int | None] = {}
        for recipient, due in sorted(index.items(), key=lambda item: item[1]):
            if due > now_ms:
                break
            key = recipient.encode()
            state = states.load(key)
            emits += release_due(state, now_ms, self.policy)
            states.save(key, state)
            changes[recipient] = next_release(state)
        if changes:
            self.index_held(states, partition, changes)
        return emits

    def sweep(self, states: StateCache, partition: int, wall_ms: int) -> None:
        """Prune a few recipients' state per tick, so an idle recipient's state disappears.

        Pruning is otherwise done on a recipient's next event. "Now" is the latest record time
        decided on this partition (never ahead of the clock), less the sweep lag for records
        that arrive out of order, so the sweep never prunes what a decision could still read.
        RocksDB stores only: the memory store has no per-partition order.
        """
        db = partition_db(self.table, partition)
        if db is None or partition not in self.latest_ms:
            return
        now_ms = min(wall_ms, self.latest_ms[partition]) - self.sweep_lag_s * 1000
        cursor, keys = db.iter(), cast(list[bytes], [])
        start = self.sweep_from.get(partition)
        cursor.seek(start) if start is not None else cursor.seek_to_first()
        while cursor.valid() and len(keys) < SWEEP_KEYS_PER_TICK:
            keys.append(cursor.key())
            cursor.next()
        self.sweep_from[partition] = cursor.key() if cursor.valid() else None
        del cursor
        for key in keys:
            # Not the held index, nor Faust's own keys (the changelog offset it persists in
            # the same database, b"__faust\0offset__").
            if not self.sealer.is_recipient_key(key):
                continue
            state = states.load(key)
            prune(state, now_ms, self.policy)
            states.save(key, state)
